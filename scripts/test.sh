#!/usr/bin/env bash
# The whole test suite, on a fresh Debian machine with Rust: installs what the tests need
# (Debian's NUT 2.8 as the reference peer, socat, python3-nut, libnss3-tools, openssl, mandoc, libusb
# headers), checks formatting and clippy, builds every program (the end-to-end tests run them),
# runs every test, smoke-runs the fuzz targets, then lists every skipped test with its reason.
# `.ci/run` calls this.
#
# Fails when: cargo fmt or clippy complain, a test fails, a fuzz target crashes, or a test was
# skipped for a prerequisite this script provides (installed packages, root, the nut user,
# IPv6 loopback and the nut-ddl corpus when present, ...): such a skip would hide lost coverage.
#
# Switches: FUZZ_SECONDS=N (per fuzz target, default 5; 0 skips the fuzz run),
# NUT_DDL_SINGLE_EVERY=N (ddl_compat: single-variable runs on every Nth dump only).
set -euo pipefail
cd "$(dirname "$0")/.."

need_pkgs=(nut-server nut-client python3-nut socat pkg-config libusb-1.0-0-dev iproute2 procps libnss3-tools openssl util-linux systemd udev mandoc man-db groff-base lintian dpkg-dev binutils systemd-container)
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

mkdir -p target
t0=$(date +%s)
step_times=()
timed() { # timed LABEL START: remember how long a step took, for the closing summary
    step_times+=("$(printf '%-22s %5d s' "$1" $(($(date +%s) - $2)))")
}

# Prerequisites this run provides (names of nut_testkit::Prereq). A test that skips for one of
# them fails (nut_testkit::skip panics for names in NUT_TEST_REQUIRE), and is listed below.
provided=(debian-nut python3-nut socat libnss3-tools openssl libwrap0 user-nut user-nobody mandoc lintian dpkg-dev)
if [ "$(id -u)" -eq 0 ]; then
    provided+=(root unshare systemd-nspawn)
    probe="nutprobe$$"
    if ip netns add "$probe" 2>/dev/null; then
        ip netns delete "$probe"
        provided+=(netns)
    fi
fi
if python3 -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' 2>/dev/null; then
    provided+=(ipv6)
fi
if [ -d "${NUT_DDL_DIR:-../shared/testdata/nut-ddl}" ]; then
    provided+=(nut-ddl)
fi
if [ -d "${NUT_HID_DESCRIPTORS_DIR:-../shared/testdata/hid-descriptors}" ]; then
    provided+=(hid-descriptors)
fi
if [ "$(ulimit -Hn)" = unlimited ] || [ "$(ulimit -Hn)" -ge 500 ]; then
    provided+=(nofile-limit)
fi
export NUT_TEST_REQUIRE="${provided[*]}"
# Older switch, still read by some tests: Debian's NUT must be there.
export NUT_REQUIRE_DEBIAN=1
# Every skip appends "<prerequisite> TAB <test> TAB <reason>" here (nut_testkit::skip).
export NUT_TEST_SKIP_LOG="$PWD/target/test-skips.txt"
: >"$NUT_TEST_SKIP_LOG"
echo "== prerequisites provided (a skip for one of these fails): ${provided[*]}"

echo "== cargo fmt --all -- --check"
s=$(date +%s)
fmt_status=0
cargo fmt --all -- --check || fmt_status=$?
timed "cargo fmt --check" "$s"

echo "== building every program (the end-to-end tests run them)"
s=$(date +%s)
cargo build --workspace --bins
timed "build" "$s"

echo "== cargo clippy --workspace --all-targets -- -D warnings"
s=$(date +%s)
clippy_status=0
cargo clippy --workspace --all-targets -- -D warnings || clippy_status=$?
timed "cargo clippy" "$s"

echo "== running the tests"
s=$(date +%s)
set +e
cargo test --workspace --no-fail-fast 2>&1 | tee target/test-output.txt
status=${PIPESTATUS[0]}
set -e
timed "cargo test" "$s"

# ---- Extra test passes -------------------------------------------------------------------
# The same tests again under other switches, e.g. the client compatibility tests with our upsd
# as the server (NUT_TEST_UPSD=ours) or with Debian's clients as the candidate
# (NUT_COMPAT_CANDIDATE=debian). Add lines as:
#     extra_pass "label" VAR=value ... -- cargo test -p nut-tests --test client_compat
# Their output is appended to target/test-output.txt, so the summary counts them.
extra_status=0
extra_pass() {
    local label="$1" start
    shift
    local envs=()
    while [ "$#" -gt 0 ] && [ "$1" != "--" ]; do
        envs+=("$1")
        shift
    done
    shift
    echo "== extra pass: $label (${envs[*]})"
    start=$(date +%s)
    set +e
    env "${envs[@]}" "$@" 2>&1 | tee -a target/test-output.txt
    local rc=${PIPESTATUS[0]}
    set -e
    [ "$rc" -eq 0 ] || extra_status=$rc
    timed "extra: $label" "$start"
}
# Our clients against our upsd (the default passes run them against Debian's upsd).
extra_pass "client programs, our upsd as the server" NUT_TEST_UPSD=ours -- \
    cargo test -p upsc -p upscmd -p upsrw -p upslog -p nut-client --no-fail-fast
extra_pass "client compatibility, our upsd as the server" NUT_TEST_UPSD=ours -- \
    cargo test -p nut-tests --test client_compat --no-fail-fast
# Debian's clients as the candidate: the harness itself must see no difference.
extra_pass "client compatibility, Debian against Debian (checks the harness)" NUT_COMPAT_CANDIDATE=debian -- \
    cargo test -p nut-tests --test client_compat --no-fail-fast
# ---- end of extra test passes ------------------------------------------------------------

# Every fuzz target, briefly (issue: the fuzz targets are smoke-run in CI). FUZZ_SECONDS=0 skips.
fuzz_status=0
if [ "${FUZZ_SECONDS:-5}" != 0 ]; then
    echo "== fuzz smoke run (${FUZZ_SECONDS:-5} s per target)"
    s=$(date +%s)
    set +e
    ./scripts/fuzz-smoke.sh "${FUZZ_SECONDS:-5}"
    fuzz_status=$?
    set -e
    timed "fuzz smoke" "$s"
fi

# Every skip, with its reason: cargo shows a passing test's output only on failure, so the
# skips are read from the log that nut_testkit::skip (and fuzz-smoke.sh) append to.
echo
echo "== skipped tests"
skips=0
bad_skips=0
while IFS=$'\t' read -r prereq test reason; do
    [ -n "$prereq" ] || continue
    skips=$((skips + 1))
    note=""
    for p in "${provided[@]}"; do
        if [ "$p" = "$prereq" ]; then
            note="   <-- FAIL: this script provides $prereq"
            bad_skips=$((bad_skips + 1))
        fi
    done
    echo "SKIP $test: $reason [needs $prereq]$note"
done <"$NUT_TEST_SKIP_LOG"
# #[ignore]d tests are skips too.
ignored_list=$(grep -E '^test .* \.\.\. ignored' target/test-output.txt || true)
if [ -n "$ignored_list" ]; then
    echo "$ignored_list"
fi
echo "skips: $skips ($bad_skips for a prerequisite this script provides)"

echo
echo "== time per step"
printf '%s\n' "${step_times[@]}"
printf '%-22s %5d s\n' "total" $(($(date +%s) - t0))

# One summary line over every test binary, in the plain form CI reads.
passed=$(grep -Eo '[0-9]+ passed' target/test-output.txt | awk '{s+=$1} END {print s+0}')
failed=$(grep -Eo '[0-9]+ failed' target/test-output.txt | awk '{s+=$1} END {print s+0}')
ignored=$(grep -Eo '[0-9]+ ignored' target/test-output.txt | awk '{s+=$1} END {print s+0}')
echo "tests: $passed passed, $failed failed, $ignored ignored, $skips skipped"
ok=1
[ "$fmt_status" -eq 0 ] || { echo "FAILED: cargo fmt --check (run cargo fmt --all)"; ok=0; }
[ "$clippy_status" -eq 0 ] || { echo "FAILED: cargo clippy -D warnings"; ok=0; }
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ] || { echo "FAILED: cargo test"; ok=0; }
[ "$extra_status" -eq 0 ] || { echo "FAILED: an extra test pass"; ok=0; }
[ "$fuzz_status" -eq 0 ] || { echo "FAILED: fuzz smoke run"; ok=0; }
[ "$bad_skips" -eq 0 ] || { echo "FAILED: $bad_skips test(s) skipped for a prerequisite this script provides"; ok=0; }
[ "$ok" -eq 1 ]
