#!/usr/bin/env bash
# Build every cargo-fuzz target in fuzz/ and run each for a few seconds from its seed corpus.
#
# Usage: scripts/fuzz-smoke.sh [seconds-per-target]   (default 10)
#
# Works on the stable toolchain: targets are built with `--sanitizer none` (AddressSanitizer
# needs `-Zsanitizer`, i.e. nightly) and `--debug-assertions`, so overflow checks and
# debug_assert! are on. Set FUZZ_SANITIZER=address to build with ASan instead; the script
# then sets RUSTC_BOOTSTRAP=1 so stable rustc accepts the -Z flag.
#
# Every input in fuzz/regressions/<target>/ is replayed first and must pass. Targets listed in
# fuzz/known-failing (an open bug in another crate, with its reason) are built but skipped
# unless FUZZ_ALL=1 (each skip is also appended to $NUT_TEST_SKIP_LOG when set, so
# scripts/test.sh lists it). Exits non-zero
# if any target crashes, fails to build, or a regression input fails; crashing inputs are
# kept in fuzz/artifacts/<target>/ (reproduce with `fuzz/target/<triple>/release/<target> FILE`).
set -euo pipefail

secs="${1:-10}"
case "$secs" in
'' | *[!0-9]*)
    echo "usage: $0 [seconds-per-target]" >&2
    exit 2
    ;;
esac

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root/fuzz"
export PATH="$HOME/.cargo/bin:$PATH"

# libfuzzer-sys compiles libFuzzer's C++ sources.
if ! command -v c++ >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "fuzz-smoke: no C++ compiler, installing g++ (libfuzzer-sys builds libFuzzer from C++)"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq g++ >/dev/null
    else
        echo "fuzz-smoke: no C++ compiler found; install one (Debian: apt-get install g++)" >&2
        exit 1
    fi
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz-smoke: installing cargo-fuzz (cargo install cargo-fuzz --locked)"
    cargo install cargo-fuzz --locked
fi

sanitizer="${FUZZ_SANITIZER:-none}"
if [ "$sanitizer" != none ]; then
    export RUSTC_BOOTSTRAP=1
fi
flags=(--sanitizer "$sanitizer" --debug-assertions)

echo "fuzz-smoke: building all targets (sanitizer=$sanitizer, debug assertions on)"
if ! nice -n 10 cargo fuzz build "${flags[@]}"; then
    echo "fuzz-smoke: build failed" >&2
    exit 1
fi

triple="$(rustc -vV | sed -n 's/^host: //p')"
bindir="target/$triple/release"
mapfile -t targets < <(cargo fuzz list)

# "<target> <reason>" lines, # comments.
declare -A known=()
if [ -f known-failing ]; then
    while read -r name reason; do
        case "$name" in '' | '#'*) continue ;; esac
        known[$name]="$reason"
    done <known-failing
fi

passed=0
failed=0
skipped=0
failures=()
report=()
for t in "${targets[@]}"; do
    bin="$bindir/$t"
    mkdir -p "corpus/$t" "artifacts/$t"
    log="artifacts/$t/smoke.log"

    if [ -n "${known[$t]:-}" ] && [ "${FUZZ_ALL:-0}" != 1 ]; then
        echo "fuzz-smoke: skipping $t (known open bug: ${known[$t]})"
        # Listed with the other skips at the end of scripts/test.sh (nut_testkit::skip's log).
        if [ -n "${NUT_TEST_SKIP_LOG:-}" ]; then
            printf 'known-bug\tfuzz target %s\t%s (fuzz/known-failing)\n' "$t" "${known[$t]}" >>"$NUT_TEST_SKIP_LOG"
        fi
        skipped=$((skipped + 1))
        report+=("$(printf '%-18s %8s %12s  %s' "$t" "-" "-" "skipped (fuzz/known-failing)")")
        continue
    fi

    # Known crashers fixed since: each must now run cleanly.
    if [ -d "regressions/$t" ] && [ -n "$(ls -A "regressions/$t")" ]; then
        if ! "$bin" "regressions/$t"/* >"$log" 2>&1; then
            echo "fuzz-smoke: $t: a regression input crashes again:" >&2
            tail -n 30 "$log" >&2
            failed=$((failed + 1))
            failures+=("$t (regression)")
            report+=("$(printf '%-18s %8s %12s  %s' "$t" "-" "-" "REGRESSION FAILED")")
            continue
        fi
    fi

    seeds=()
    [ -d "corpus-seed/$t" ] && seeds=("corpus-seed/$t")
    set +e
    nice -n 10 "$bin" "corpus/$t" "${seeds[@]}" \
        -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="artifacts/$t/" >"$log" 2>&1
    rc=$?
    set -e
    execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)"
    if [ "$rc" -eq 0 ]; then
        passed=$((passed + 1))
        report+=("$(printf '%-18s %8s %12s  %s' "$t" "$secs" "${execs:-?}" "ok")")
    else
        failed=$((failed + 1))
        failures+=("$t")
        report+=("$(printf '%-18s %8s %12s  %s' "$t" "$secs" "${execs:-?}" "CRASH (exit $rc)")")
        echo "fuzz-smoke: $t crashed (exit $rc); last lines of $log:" >&2
        grep -v '^#[0-9]' "$log" | tail -n 30 >&2
    fi
done

echo
printf '%-18s %8s %12s  %s\n' target seconds execs result
printf '%s\n' "${report[@]}"
echo
if [ "$failed" -ne 0 ]; then
    echo "fuzz-smoke: failing targets: ${failures[*]} (inputs in fuzz/artifacts/<target>/)" >&2
fi
echo "fuzz-smoke: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
