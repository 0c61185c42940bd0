#!/usr/bin/env bash
# The main job: a complete local NUT stack on a simulated UPS, no hardware needed.
#
#   dummy-ups (replays scripts/demo/power-failure.seq)  ->  upsd on 127.0.0.1:<free port>
#   -> upsc shows the data -> upsmon watches it, notifies through upssched, and when the
#   battery runs low runs a harmless SHUTDOWNCMD (it writes a file instead of powering off).
#
# Everything runs from a temporary directory as the current user and is stopped at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

echo "== building"
cargo build --bins -q
bin="$root/target/debug"

work=$(mktemp -d /tmp/nut-demo.XXXXXX)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    "$bin/upsdrvctl" stop >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export NUT_CONFPATH="$work/etc" NUT_STATEPATH="$work/run" NUT_ALTPIDPATH="$work/run"
mkdir -p "$NUT_CONFPATH" "$NUT_STATEPATH"
chmod 700 "$NUT_STATEPATH"
me=$(id -un)
cp scripts/demo/power-failure.seq "$NUT_CONFPATH/"

cat > "$NUT_CONFPATH/ups.conf" <<CONF
statepath = "$NUT_STATEPATH"
driverpath = "$bin"
[demo]
    driver = dummy-ups
    port = power-failure.seq
    desc = "Simulated UPS"
CONF
cat > "$NUT_CONFPATH/upsd.conf" <<CONF
LISTEN 127.0.0.1 $port
STATEPATH $NUT_STATEPATH
CONF
cat > "$NUT_CONFPATH/upsd.users" <<CONF
[monuser]
    password = secret
    upsmon primary
CONF
# Notifications and timer commands append to one events log, which this script prints as it
# grows (the upssched timer daemon runs detached from the terminal).
events="$work/events.log"
: > "$events"
cat > "$NUT_CONFPATH/notify.sh" <<CONF
#!/bin/sh
echo "   [upsmon NOTIFYCMD] \$NOTIFYTYPE \$UPSNAME: \$*" >> "$events"
exec "$bin/upssched" "\$@"
CONF
cat > "$NUT_CONFPATH/upssched-cmd" <<CONF
#!/bin/sh
echo "   [upssched CMDSCRIPT] \$1 (\$NOTIFYTYPE \$UPSNAME)" >> "$events"
CONF
chmod +x "$NUT_CONFPATH/notify.sh" "$NUT_CONFPATH/upssched-cmd"
cat > "$NUT_CONFPATH/upssched.conf" <<CONF
CMDSCRIPT $NUT_CONFPATH/upssched-cmd
PIPEFN $NUT_STATEPATH/upssched.pipe
LOCKFN $NUT_STATEPATH/upssched.lock
AT ONBATT * START-TIMER onbatt-for-2s 2
AT ONLINE * CANCEL-TIMER onbatt-for-2s
AT LOWBATT * EXECUTE lowbatt-now
CONF
cat > "$NUT_CONFPATH/upsmon.conf" <<CONF
MONITOR demo@127.0.0.1:$port 1 monuser secret primary
MINSUPPLIES 1
POLLFREQ 1
POLLFREQALERT 1
HOSTSYNC 2
FINALDELAY 0
NOTIFYCMD $NUT_CONFPATH/notify.sh
NOTIFYFLAG ONLINE EXEC
NOTIFYFLAG ONBATT EXEC
NOTIFYFLAG LOWBATT EXEC
NOTIFYFLAG FSD EXEC
NOTIFYFLAG SHUTDOWN EXEC
NOTIFYFLAG COMMOK EXEC
NOTIFYFLAG COMMBAD EXEC
POWERDOWNFLAG $work/killpower
SHUTDOWNCMD "/bin/sh -c 'echo shutdown-would-run-now > $work/shutdown.done'"
CONF
chmod 640 "$NUT_CONFPATH/upsd.users" "$NUT_CONFPATH/upsmon.conf"

echo "== starting the driver (upsdrvctl start)"
"$bin/upsdrvctl" -u "$me" start
echo "== starting upsd on 127.0.0.1:$port"
"$bin/upsd" -F -u "$me" 2> "$work/upsd.log" &
pids+=($!)
for _ in $(seq 100); do "$bin/upsc" "demo@127.0.0.1:$port" ups.status >/dev/null 2>&1 && break; sleep 0.1; done

echo "== upsc demo@127.0.0.1:$port"
"$bin/upsc" "demo@127.0.0.1:$port" 2>/dev/null | sed 's/^/   /'

echo "== starting upsmon (primary); the power fails in a few seconds"
"$bin/upsmon" -F -u "$me" 2> "$work/upsmon.log" &
pids+=($!)

last=""
shown=0
show_events() {
    local n
    n=$(wc -l < "$events")
    if [ "$n" -gt "$shown" ]; then
        tail -n +"$((shown + 1))" "$events" | head -n "$((n - shown))"
        shown=$n
    fi
}
for _ in $(seq 300); do
    show_events
    st=$("$bin/upsc" "demo@127.0.0.1:$port" ups.status 2>/dev/null || echo "?")
    if [ "$st" != "$last" ]; then
        ch=$("$bin/upsc" "demo@127.0.0.1:$port" battery.charge 2>/dev/null || echo "?")
        echo "   ups.status=$st battery.charge=$ch"
        last=$st
    fi
    if [ -f "$work/shutdown.done" ]; then
        show_events
        echo "== upsmon ran SHUTDOWNCMD: $(cat "$work/shutdown.done")"
        [ -f "$work/killpower" ] && echo "== POWERDOWNFLAG written: $work/killpower"
        break
    fi
    sleep 0.1
done
[ -f "$work/shutdown.done" ] || { echo "!! no shutdown happened; upsmon log:"; cat "$work/upsmon.log"; exit 1; }
echo "== done; stopping everything"
