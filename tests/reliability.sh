#!/usr/bin/env bash
# mtok's reliability run: the whole test suite under AddressSanitizer + UndefinedBehaviorSanitizer +
# LeakSanitizer (which includes the hostile inputs, the kill -9 tests of fault_writer, `mtok bench`
# and `mtok sweep`, 8 concurrent writers, the schema migrations and the replay of every fuzz seed
# and kept crash input), then every fuzz target in tests/fuzz/TARGETS with libFuzzer. Prints the
# figures at the end (per fuzz target: executions and crashes; hostile inputs tried; per kill -9
# writer: kills, kills survived, rows lost) and exits non-zero when any of them is bad.
#
#   tests/reliability.sh [smoke | long] [--fuzz-seconds N | --fuzz-runs N] [--kills N]
#
#   smoke (default)  fuzz each target 15 s, 50 kills               (CI: a few minutes)
#   long             fuzz each target 1,000,000 executions, 500 kills   (hours on 2 cores)
#
# Builds build-asan/ (gcc or $CC) and build-fuzz/ (clang). Logs stay in build-reliability/.
set -uo pipefail
cd "$(dirname "$0")/.."
SRC=$PWD
mode=smoke fuzz_seconds="" fuzz_runs="" kills=""
while [ $# -gt 0 ]; do
    case "$1" in
    smoke | long) mode=$1; shift ;;
    --fuzz-seconds) fuzz_seconds=$2; shift 2 ;;
    --fuzz-runs) fuzz_runs=$2; shift 2 ;;
    --kills) kills=$2; shift 2 ;;
    -h | --help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "reliability: unknown argument $1" >&2; exit 2 ;;
    esac
done
if [ "$mode" = long ]; then
    [ -z "$fuzz_seconds" ] && [ -z "$fuzz_runs" ] && fuzz_runs=1000000
    : "${kills:=500}"
else
    [ -z "$fuzz_seconds" ] && [ -z "$fuzz_runs" ] && fuzz_seconds=15
    : "${kills:=50}"
fi
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}
LOG=$SRC/build-reliability
mkdir -p "$LOG"
start=$(date +%s)
failed=0

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1:abort_on_error=1:detect_stack_use_after_return=1:check_initialization_order=1:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

# ---- 1. the suite under the sanitizers ---------------------------------------------------------
echo "== sanitizers: building build-asan (ASan + UBSan, -fno-sanitize-recover)"
if ! { cmake -S "$SRC" -B "$SRC/build-asan" -DCMAKE_BUILD_TYPE=Debug -DMTOK_SANITIZE=ON &&
       cmake --build "$SRC/build-asan" -j "$JOBS"; } >"$LOG/asan-build.log" 2>&1; then
    tail -30 "$LOG/asan-build.log"
    echo "reliability: the sanitizer build failed" >&2
    exit 1
fi
echo "== sanitizers: ctest (MTOK_FAULT_KILLS=$kills)"
MTOK_FAULT_KILLS=$kills ctest --test-dir "$SRC/build-asan" --output-on-failure -V -j "$JOBS" \
    >"$LOG/asan-ctest.log" 2>&1
ctest_rc=$?
tests_line=$(grep -E "tests passed" "$LOG/asan-ctest.log" | tail -1)
echo "   ${tests_line:-no ctest summary}"
[ $ctest_rc -ne 0 ] && { grep -E "\*\*\*|Failed" "$LOG/asan-ctest.log" | head -20; failed=1; }
# ctest -V prints each test's output as it runs ("N: ..."), then a failed test's again: count once.
san_reports=$(grep -cE "^[0-9]+: .*(ERROR: (Address|Leak)Sanitizer|runtime error:)" "$LOG/asan-ctest.log")

# Figures the tests print (ctest -V keeps their stdout).
pick() { grep -ohE "$1" "$LOG/asan-ctest.log" | tail -1; }
hostile=$(pick "hostile inputs tried: [0-9]+" | grep -oE "[0-9]+$")
broken=$(pick "broken files checked: [0-9]+" | grep -oE "[0-9]+$")
# One summary line per kill -9 writer ("kill -9 of mtok bench: kills: 50, survived: 50, ...").
kill_writers="fault_writer|mtok bench|mtok sweep"
kill_lines=$(grep -ohE "kill -9 of ($kill_writers): kills: [0-9]+, survived: [0-9]+.*rows lost: [0-9]+" \
    "$LOG/asan-ctest.log" | awk -F: '!seen[$1]++')
conc_line=$(pick "concurrent writers: .*failed writers: [0-9]+")
migrate_line=$(pick "schema fixtures migrated: .*")
rss_line=$(pick "100 MB file: max RSS [0-9]+ KiB")
replayed=$(grep -ohE "[0-9]+ inputs replayed" "$LOG/asan-ctest.log" | awk '{s += $1} END {print s + 0}')

# ---- 2. fuzzing ---------------------------------------------------------------------------------
if [ -n "$fuzz_runs" ]; then fuzz_args=(--runs "$fuzz_runs"); else fuzz_args=(--seconds "$fuzz_seconds"); fi
echo "== fuzzing: tests/fuzz/run.sh ${fuzz_args[*]}"
if command -v clang >/dev/null; then
    tests/fuzz/run.sh "${fuzz_args[@]}" | tee "$LOG/fuzz.log"
    fuzz_rc=${PIPESTATUS[0]}
    [ "$fuzz_rc" -ne 0 ] && failed=1
else
    echo "   clang not found: fuzzing skipped (tools/deps.sh --fuzz installs it)" | tee "$LOG/fuzz.log"
    failed=1
fi
fuzz_san=$(cat "$SRC"/build-fuzz/fuzz-*.log 2>/dev/null |
    grep -caE "ERROR: (Address|Leak)Sanitizer|runtime error:")
san_reports=$((san_reports + fuzz_san))

# ---- 3. the figures -----------------------------------------------------------------------------
secs=$(($(date +%s) - start))
sum_of() { echo "$kill_lines" | grep -oE "$1: [0-9]+" | awk '{s += $NF} END {print s + 0}'; }
rows_lost=$(sum_of "rows lost")
survived=$(sum_of "survived")
nkills=$(sum_of "kills")
n_kill_lines=$(echo "$kill_lines" | grep -c "kill -9 of")
conc_lost=$(echo "$conc_line" | grep -oE "rows lost: [0-9]+" | grep -oE "[0-9]+")
echo
echo "==== mtok reliability ($mode, $(date -u +%Y-%m-%dT%H:%MZ), $(git rev-parse --short HEAD 2>/dev/null || echo '?'), ${secs} s)"
echo "fuzzing (libFuzzer + ASan + UBSan, one process per target):"
grep -E "^fuzz " "$LOG/fuzz.log" | sed 's/^fuzz /  /'
total_crashes=$(grep -E "^fuzz " "$LOG/fuzz.log" | grep -oE "[0-9]+ crashes" | awk '{s += $1} END {print s + 0}')
echo "  crashes: $total_crashes (kept crash inputs replayed by CTest: tests/fuzz/regressions/)"
echo "hostile inputs tried: ${hostile:-?} generated (test_hostile) + ${broken:-?} files in tests/data/broken; fuzz seeds and regressions replayed: $replayed"
echo "  ${rss_line:-100 MB file: ?}"
echo "database:"
echo "  kill -9: $nkills kills, $survived survived, rows lost: $rows_lost ($n_kill_lines of 3 writers reported)"
echo "$kill_lines" | sed 's/^kill -9 of /    /' | grep -v '^$'
echo "  ${conc_line:-concurrent writers: ?}"
echo "  ${migrate_line:-schema fixtures: ?}"
echo "sanitizer reports: $san_reports (ASan + UBSan + LSan over the whole suite and every fuzz run)"
echo "suite under sanitizers: ${tests_line:-?}"
[ "${rows_lost:-1}" != 0 ] && failed=1
[ "$n_kill_lines" -ne 3 ] && failed=1
[ "${conc_lost:-1}" != 0 ] && failed=1
{ [ "$nkills" -eq 0 ] || [ "$survived" != "$nkills" ]; } && failed=1
[ "$san_reports" -ne 0 ] && failed=1
[ "$total_crashes" -ne 0 ] && failed=1
if [ $failed -ne 0 ]; then
    echo "RESULT: FAIL (logs: $LOG, build-fuzz/fuzz-*.log)"
    exit 1
fi
echo "RESULT: ok"
