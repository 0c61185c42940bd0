#!/usr/bin/env bash
# Boots a real systemd in a container (systemd-nspawn) over a copy-on-write overlay of this
# machine's root, installs the nut-rs package there with apt, and runs the whole stack from its
# units on dummy-ups: drivers as nut-driver@ instances made by the enumerator, upsd, upsmon.
# Then restarts each unit, reloads upsd, and adds and removes a ups.conf section.
#
#   tests/systemd/boot-stack.sh <nut-rs .deb>
#
# Needs root, systemd-nspawn (Debian package systemd-container) and overlayfs. The host is not
# changed: every write lands in a tmpfs, the container has its own network namespace (loopback
# only), and everything is unmounted at the end. Prints "PASS" last on success; any failed check
# exits non-zero with what was seen.
set -euo pipefail

deb=$(readlink -f "$1")
[ -f "$deb" ] || { echo "no package at $1" >&2; exit 2; }

tmp=$(mktemp -d /tmp/nut-boot.XXXXXX)
machine="nutrs$$"
nspawn_pid=""
leader=""

cleanup() {
    set +e
    if [ -n "$leader" ] && [ -d "/proc/$leader" ]; then
        nsenter -t "$leader" -a -- systemctl poweroff >/dev/null 2>&1
    fi
    if [ -n "$nspawn_pid" ]; then
        for _ in $(seq 1 100); do [ -d "/proc/$nspawn_pid" ] || break; sleep 0.1; done
        if [ -d "/proc/$nspawn_pid" ]; then
            kill "$nspawn_pid"
            for _ in $(seq 1 50); do [ -d "/proc/$nspawn_pid" ] || break; sleep 0.1; done
            [ -d "/proc/$nspawn_pid" ] && kill -9 "$nspawn_pid"
        fi
        wait "$nspawn_pid" 2>/dev/null
    fi
    mountpoint -q "$tmp/root" && umount "$tmp/root"
    mountpoint -q "$tmp/rw" && umount "$tmp/rw"
    rm -rf "$tmp"
}
trap cleanup EXIT

fail() {
    echo "FAIL: $*" >&2
    if [ -n "$leader" ]; then
        echo "--- units:" >&2
        nsenter -t "$leader" -a -- systemctl list-units 'nut*' --all --no-legend >&2 || true
        echo "--- journal:" >&2
        nsenter -t "$leader" -a -- journalctl --no-pager -n 60 -u 'nut*' >&2 || true
    fi
    exit 1
}

# within SECONDS CMD...: run CMD until it succeeds (polling every 0.2 s), or fail.
within() {
    local secs=$1
    shift
    local end=$((SECONDS + secs))
    until "$@" >/dev/null 2>&1; do
        [ $SECONDS -lt $end ] || return 1
        sleep 0.2
    done
}

in_ct() { nsenter -t "$leader" -a -- "$@"; }

mkdir -p "$tmp/rw" "$tmp/root" "$tmp/pkg"
cp "$deb" "$tmp/pkg/nut-rs.deb"
mount -t tmpfs -o size=2G,mode=0755 tmpfs "$tmp/rw"
mkdir -p "$tmp/rw/upper" "$tmp/rw/work"
mount -t overlay overlay -o "lowerdir=/,upperdir=$tmp/rw/upper,workdir=$tmp/rw/work" "$tmp/root"

systemd-nspawn -D "$tmp/root" -M "$machine" --register=no --keep-unit --private-network \
    --bind-ro="$tmp/pkg:/mnt/pkg" --boot </dev/null >"$tmp/boot.log" 2>&1 &
nspawn_pid=$!

# The container's init is nspawn's child.
within 30 pgrep -P "$nspawn_pid" || { cat "$tmp/boot.log" >&2; fail "no container init"; }
leader=$(pgrep -P "$nspawn_pid" | head -1)
# The container's systemd answers on its bus only once that is up: until then systemctl fails
# at once with nothing on stdout, so wait for the bus first.
bus_up() { [ -n "$(in_ct systemctl is-system-running 2>/dev/null)" ]; }
within 60 bus_up || true
state=$(in_ct systemctl is-system-running --wait 2>/dev/null || true)
case "$state" in
running | degraded) echo "container: systemd $(in_ct systemctl --version | head -1 | cut -d' ' -f2) is $state" ;;
*) cat "$tmp/boot.log" >&2; fail "systemd in the container is '$state'" ;;
esac

# Package-installed services may start in the container (a Docker-style policy-rc.d on the
# host denies it; the container is ours).
in_ct rm -f /usr/sbin/policy-rc.d
in_ct env DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o Dpkg::Use-Pty=0 /mnt/pkg/nut-rs.deb \
    >"$tmp/apt.log" 2>&1 || { cat "$tmp/apt.log" >&2; fail "apt-get install of the package"; }
in_ct dpkg-query -W -f='${Status}' nut-rs | grep -q 'install ok installed' || fail "nut-rs is not installed"
echo "installed: $(in_ct dpkg-query -W -f='${Package} ${Version}' nut-rs)"

root="/proc/$leader/root"
conf="$root/etc/nut"
printf 'MODE=standalone\n' >"$conf/nut.conf"
write_ups_conf() {
    : >"$conf/ups.conf.new"
    for u in "$@"; do
        printf '[%s]\n\tdriver = dummy-ups\n\tport = %s.dev\n\tdesc = "simulated %s"\n' "$u" "$u" "$u" >>"$conf/ups.conf.new"
        printf 'ups.status: OL\nbattery.charge: 100\ndevice.mfr: nut-rs boot test\n' >"$conf/$u.dev"
    done
    mv "$conf/ups.conf.new" "$conf/ups.conf"
}
write_ups_conf ups1 ups2 ups3
printf 'LISTEN 127.0.0.1 3493\n' >"$conf/upsd.conf"
printf '[monuser]\n\tpassword = bootpass\n\tupsmon primary\n' >"$conf/upsd.users"
printf 'MONITOR ups1@localhost 1 monuser bootpass primary\nSHUTDOWNCMD "/bin/true"\n' >"$conf/upsmon.conf"
in_ct chgrp nut /etc/nut/ups.conf /etc/nut/upsd.conf /etc/nut/upsd.users /etc/nut/upsmon.conf
in_ct chmod 0640 /etc/nut/ups.conf /etc/nut/upsd.conf /etc/nut/upsd.users /etc/nut/upsmon.conf

serves() { [ "$(in_ct upsc "$1@localhost" ups.status 2>/dev/null)" = OL ]; }
instances() { in_ct systemctl list-units 'nut-driver@*' --state=active --no-legend --plain | awk '{print $1}' | sort | tr '\n' ' '; }

in_ct systemctl restart nut-driver-enumerator.service || fail "enumerator"
in_ct systemctl start nut.target || fail "systemctl start nut.target"
for u in ups1 ups2 ups3; do
    within 30 serves "$u" || fail "upsc $u@localhost does not answer OL"
done
[ "$(instances)" = "nut-driver@ups1.service nut-driver@ups2.service nut-driver@ups3.service " ] ||
    fail "driver instances: $(instances)"
for unit in nut-server nut-monitor; do
    [ "$(in_ct systemctl show -p Type --value $unit)" = notify ] || fail "$unit is not Type=notify"
    in_ct systemctl is-active -q $unit || fail "$unit is not active"
done
within 30 sh -c "nsenter -t $leader -a -- upsc -c ups1@localhost | grep -q 127.0.0.1" ||
    fail "upsmon did not log in to upsd"
echo "stack: 3 driver instances, upsd and upsmon active (Type=notify: READY was received)"

for unit in nut-server nut-monitor nut-driver@ups1 nut-driver@ups2 nut-driver.target nut.target; do
    in_ct systemctl restart "$unit" || fail "systemctl restart $unit"
    for u in ups1 ups2 ups3; do
        within 30 serves "$u" || fail "after restarting $unit: upsc $u@localhost"
    done
    in_ct systemctl is-active -q nut-monitor || fail "after restarting $unit: nut-monitor is not active"
    echo "restart $unit: all three UPSes served"
done

in_ct systemctl reload nut-server || fail "reload nut-server"
in_ct systemctl is-active -q nut-server || fail "nut-server after reload"
serves ups1 || fail "upsc after reload"
echo "reload nut-server: active, serving"

# The enumerator's path unit follows ups.conf.
write_ups_conf ups1 ups2 ups3 ups4
within 30 serves ups4 || fail "a section added to ups.conf is not served: $(instances)"
write_ups_conf ups1 ups2 ups4
within 30 sh -c "! nsenter -t $leader -a -- systemctl is-active -q nut-driver@ups3.service" ||
    fail "the instance of a removed section still runs: $(instances)"
[ "$(instances)" = "nut-driver@ups1.service nut-driver@ups2.service nut-driver@ups4.service " ] ||
    fail "driver instances after the edits: $(instances)"
echo "ups.conf edits: ups4 added and served, ups3's instance removed"

# The path unit's last enumerator run (which reloads upsd) ends before the stack is stopped.
settled() { case "$(in_ct systemctl show -p ActiveState --value nut-driver-enumerator.service)" in inactive) true ;; *) false ;; esac; }
within 60 settled || fail "the enumerator did not finish cleanly: $(in_ct systemctl show -p ActiveState -p Result nut-driver-enumerator.service | tr '\n' ' ')"
in_ct systemctl stop nut.target || fail "stop nut.target"
within 30 sh -c "! nsenter -t $leader -a -- systemctl is-active -q nut-server" || fail "nut-server still active"
echo "PASS"
