#!/usr/bin/env bash
# The whole test suite, on a fresh Debian machine with Rust: installs what the tests need
# (Debian's NUT 2.8 as the reference peer, socat, python3-nut, libusb headers), builds every
# program (the end-to-end tests run them), then runs every test. `.ci/run` calls this.
set -euo pipefail
cd "$(dirname "$0")/.."

need_pkgs=(nut-server nut-client python3-nut socat pkg-config libusb-1.0-0-dev iproute2 procps libnss3-tools openssl util-linux)
missing=()
for p in "${need_pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "== installing: ${missing[*]}"
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    # Debian's nut packages try to start services on install; nothing starts while nut.conf
    # says MODE=none, which is what the package ships.
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Tests that compare with Debian's NUT fail instead of skipping when it is missing.
export NUT_REQUIRE_DEBIAN=1

echo "== building every program (the end-to-end tests run them)"
cargo build --workspace --bins

echo "== running the tests"
set +e
cargo test --workspace --no-fail-fast 2>&1 | tee target/test-output.txt
status=${PIPESTATUS[0]}
set -e

# Every fuzz target, briefly (issue: the fuzz targets are smoke-run in CI). FUZZ_SECONDS=0 skips.
fuzz_status=0
if [ "${FUZZ_SECONDS:-5}" != 0 ]; then
    echo "== fuzz smoke run (${FUZZ_SECONDS:-5} s per target)"
    set +e
    ./scripts/fuzz-smoke.sh "${FUZZ_SECONDS:-5}"
    fuzz_status=$?
    set -e
fi

# One summary line over every test binary, in the plain form CI reads.
passed=$(grep -Eo '[0-9]+ passed' target/test-output.txt | awk '{s+=$1} END {print s+0}')
failed=$(grep -Eo '[0-9]+ failed' target/test-output.txt | awk '{s+=$1} END {print s+0}')
echo "tests: $passed passed, $failed failed"
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ] && [ "$fuzz_status" -eq 0 ]
