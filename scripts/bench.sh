#!/usr/bin/env bash
# Side-by-side benchmark of Debian's NUT 2.8.0 and ours; regenerates docs/benchmarks.md.
#   scripts/bench.sh            full run (5 runs, about 15 minutes)
#   scripts/bench.sh --quick    1 run with shorter windows (smoke test, about 3 minutes)
#   scripts/bench.sh --only qx  only the nutdrv_qx section (Debian's and ours on simulated
#                               serial UPSes, about 3 minutes; with --quick 1 run); rewrites
#                               that section of docs/benchmarks.md alone
#   scripts/bench.sh --only serial  the other serial drivers (apcsmart, ..., Debian's and ours
#                               on simulated UPSes, 1 run of 20 s each; --runs N for more)
# Extra arguments go to bench/run.py (e.g. --runs 3, --out FILE).
set -euo pipefail
cd "$(dirname "$0")/.."

only=
prev=
for a in "$@"; do
    [ "$prev" = --only ] && only=$a
    case $a in --only=*) only=${a#--only=} ;; esac
    prev=$a
done

if [ "$(id -u)" != 0 ]; then
    echo "bench.sh: run as root (the daemons run with -u root; NUT's upsmon needs unshare -m)" >&2
    exit 1
fi
if [ ! -x /lib/nut/upsd ] || [ ! -x /lib/nut/dummy-ups ] || [ ! -x /lib/nut/upsmon ]; then
    echo "bench.sh: Debian's NUT is missing: apt-get install -y nut-server nut-client" >&2
    exit 1
fi

if [ "$only" = serial ]; then
    # Every serial driver the section lists (bench/run.py SERIAL_SPECS) is built.
    cargo build --release -p ups-sim $(sed -n 's/^    serial_spec("\([a-z0-9_-]*\)".*/-p \1/p' bench/run.py | sort -u)
    cmd="scripts/bench.sh${*:+ $*}"
    exec python3 bench/run.py --command "$cmd" "$@"
fi

if [ "$only" = qx ]; then
    if [ ! -x /lib/nut/nutdrv_qx ]; then
        echo "bench.sh: Debian's nutdrv_qx is missing: apt-get install -y nut-server" >&2
        exit 1
    fi
    cargo build --release -p ups-sim -p nutdrv_qx
    cmd="scripts/bench.sh${*:+ $*}"
    exec python3 bench/run.py --command "$cmd" "$@"
fi

cargo build --release -p upsd -p dummy-ups -p upsmon -p upssched -p ups-sim -p nutdrv_qx
cargo build --release --manifest-path bench/Cargo.toml

# 10,000 idle clients need 10,000 descriptors in the generator and in upsd.
hard=$(ulimit -Hn)
if [ "$hard" != unlimited ] && [ "$hard" -lt 10300 ]; then
    echo "bench.sh: the hard open-files limit is $hard; raise it to at least 10300 (ulimit -Hn)" >&2
    exit 1
fi
ulimit -n "$hard"

cmd="scripts/bench.sh${*:+ $*}"
exec python3 bench/run.py --command "$cmd" "$@"
