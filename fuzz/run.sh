#!/usr/bin/env bash
# Runs each fuzz target for SECONDS (default 60), one after the other, on one core, and
# prints per target the executions, the rate and the corpus size. A crash, a timeout (one
# input over 10 s) or an out-of-memory (over 2 GiB) fails the run: its input is copied to
# core/tests/data/fuzz-regressions/<target>/, where cargo test replays it from then on.
# Usage: fuzz/run.sh [SECONDS] [TARGET...]    (extra libFuzzer flags: FUZZ_ARGS="-max_len=65536")
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
# shellcheck source=env.sh
. "$here/env.sh"
seconds="${1:-60}"
shift || true
cd "$here" || exit 2
ensure_cargo_fuzz || exit 2
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    mapfile -t targets < <(cargo_fuzz list)
fi
[ -d corpus ] || ./seed.sh >/dev/null || exit 2
mkdir -p logs
failed=()
summary=()
for t in "${targets[@]}"; do
    log="logs/$t.log"
    echo "== fuzz $t for ${seconds}s (log: fuzz/$log)"
    # shellcheck disable=SC2086
    cargo_fuzz run "${FUZZ_BUILD_FLAGS[@]}" "$t" "corpus/$t" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 ${FUZZ_ARGS:-} >"$log" 2>&1
    status=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    corpus=$(find "corpus/$t" -type f | wc -l)
    line="$t: ${runs:-?} executions in ${seconds}s (${rate:-?}/s), corpus $corpus inputs"
    if [ $status -ne 0 ]; then
        line="$line, FAILED (exit $status)"
        failed+=("$t")
        grep -v '# Uses' "$log" | grep -E -A20 'panicked|ERROR: |SUMMARY' | head -60
        mkdir -p "$root/core/tests/data/fuzz-regressions/$t"
        for f in $(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log"); do
            kept="$root/core/tests/data/fuzz-regressions/$t"
            if find "$kept" -maxdepth 1 -type f -exec cmp -s "$f" {} \; -print | grep -q .; then
                echo "$f is an input already kept under core/tests/data/fuzz-regressions/$t"
                continue
            fi
            cp "$f" "$kept/"
            echo "kept $f as core/tests/data/fuzz-regressions/$t/$(basename "$f"): add it to git"
        done
    fi
    summary+=("$line")
    echo "$line"
done
echo "== fuzz summary"
printf '%s\n' "${summary[@]}"
if [ ${#failed[@]} -ne 0 ]; then
    echo "fuzz: FAILED: ${failed[*]}" >&2
    exit 1
fi
