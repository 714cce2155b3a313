#!/usr/bin/env bash
# Fuzz every target (tests/fuzz/TARGETS) with libFuzzer, one after the other, single process.
#
#   tests/fuzz/run.sh [--seconds N | --runs N] [TARGET...]
#
# --seconds N  fuzz each target for N seconds (default 20)
# --runs N     fuzz each target for N executions (the long run: --runs 1000000); with --seconds
#              too, whichever comes first (a slow target's share of a time budget)
# MTOK_FUZZ_TIMEOUT=S: seconds one input may take before it counts as a hang (default 10; a long
# run that is paused now and then with SIGSTOP needs more, as libFuzzer times by the wall clock).
# Builds build-fuzz/ with clang -DMTOK_FUZZ=ON first. Corpora grow in build-fuzz/corpus/TARGET
# (kept between runs); crash inputs land in build-fuzz/artifacts/TARGET/. Copy each crash input
# into tests/fuzz/regressions/TARGET/ once it is fixed: CTest replays it on every build.
# Prints one line per target:
#   fuzz TARGET: EXECS executions in SECS s, CRASHES crashes, corpus N, peak RSS M MB
# and exits 1 when any target crashed.
set -uo pipefail
cd "$(dirname "$0")/../.."
SRC=$PWD
OUT=${MTOK_FUZZ_BUILD:-$SRC/build-fuzz}
seconds="" runs=""
targets=()
while [ $# -gt 0 ]; do
    case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) targets+=("$1"); shift ;;
    esac
done
if ! command -v clang >/dev/null; then
    echo "fuzz: clang not found (tools/deps.sh --fuzz installs it)" >&2
    exit 2
fi
mkdir -p "$OUT"
cmake -S "$SRC" -B "$OUT" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DMTOK_FUZZ=ON -DBUILD_TESTING=OFF >"$OUT/configure.log" 2>&1 ||
    { cat "$OUT/configure.log"; exit 2; }
cmake --build "$OUT" -j "${JOBS:-2}" >"$OUT/build.log" 2>&1 || { tail -30 "$OUT/build.log"; exit 2; }

dict_for() {
    case "$1" in
    cli) echo "$SRC/tests/fuzz/dict/cli.dict" ;;
    merge) echo "$SRC/tests/fuzz/dict/sql.dict" ;;
    http) # a response head, then JSON: libFuzzer takes one dictionary, so join the two
        cat "$SRC/tests/fuzz/dict/http.dict" "$SRC/tests/fuzz/dict/json.dict" >"$OUT/http.dict"
        echo "$OUT/http.dict" ;;
    *) echo "$SRC/tests/fuzz/dict/json.dict" ;;
    esac
}

# Seeds: copy every seed file into one directory (libFuzzer reads corpora as directories).
seed_dir() {
    local name=$1; shift
    local dir=$OUT/seeds/$name
    rm -rf "$dir"; mkdir -p "$dir"
    for s in "$@" tests/fuzz/corpus/$name tests/fuzz/regressions/$name; do
        if [ -d "$s" ]; then
            find "$s" -maxdepth 1 -type f ! -name '.*' -exec cp {} "$dir/" \;
        elif [ -f "$s" ]; then
            cp "$s" "$dir/"
        fi
    done
    # The merge target also takes database files: make each SQL seed into one (small pages).
    if [ "$name" = merge ] && command -v sqlite3 >/dev/null; then
        for f in "$dir"/*.sql; do
            [ -f "$f" ] || continue
            rm -f "$f.db"
            { echo "PRAGMA page_size=512;"; cat "$f"; } | sqlite3 "$f.db" >/dev/null 2>&1 || true
        done
    fi
    echo "$dir"
}

# Failure inputs in a directory: libFuzzer also writes slow-unit-* files, reports, not crashes.
failures() {
    find "$1" -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) |
        wc -l
}

status=0
while read -r name seeds; do
    case "$name" in ''|'#'*) continue ;; esac
    if [ ${#targets[@]} -gt 0 ] && [[ ! " ${targets[*]} " =~ " $name " ]]; then
        continue
    fi
    # shellcheck disable=SC2086
    seeds_dir=$(seed_dir "$name" $seeds)
    corpus=$OUT/corpus/$name
    artifacts=$OUT/artifacts/$name
    mkdir -p "$corpus" "$artifacts"
    before=$(failures "$artifacts")
    limit=()
    [ -n "$runs" ] && limit+=(-runs="$runs")
    [ -n "$seconds" ] && limit+=(-max_total_time="$seconds")
    [ ${#limit[@]} -eq 0 ] && limit=(-max_total_time=20)
    log=$OUT/fuzz-$name.log
    start=$(date +%s)
    # A 16 MB quarantine (ASan's default is 256 MB) still catches a use after a recent free and
    # spends far less time recycling: merge, whose SQLite allocates per page, runs 1.2-1.5x faster.
    ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1:quarantine_size_mb=16} \
    UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1} \
        "$OUT/tests/fuzz/fuzz_$name" "${limit[@]}" -timeout="${MTOK_FUZZ_TIMEOUT:-10}" -rss_limit_mb=2048 \
        -max_len=65536 -dict="$(dict_for "$name")" -print_final_stats=1 \
        -artifact_prefix="$artifacts/" "$corpus" "$seeds_dir" >"$log" 2>&1
    rc=$?
    secs=$(($(date +%s) - start))
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log" | tail -1)
    crashes=$(($(failures "$artifacts") - before))
    if [ "$rc" -ne 0 ] && [ "$crashes" -eq 0 ]; then crashes=1; fi
    [ "$crashes" -ne 0 ] && status=1
    n=$(find "$corpus" -type f | wc -l)
    echo "fuzz $name: ${execs:-0} executions in $secs s, $crashes crashes, corpus $n, peak RSS ${rss:-?} MB"
    if [ "$crashes" -ne 0 ]; then
        grep -m1 -E "ERROR: |oracle failed|runtime error|deadly signal|timeout" "$log" | sed 's/^/    /'
        echo "    log: $log; inputs: $artifacts"
    fi
done <"$SRC/tests/fuzz/TARGETS"
exit $status
