#!/usr/bin/env bash
# Runs each fuzz target for SECONDS (default 60), one after the other, on one core, and
# prints per target the executions, the rate and the corpus size. A crash, a timeout (one
# input over 10 s) or an out-of-memory (over 2 GiB) fails the run, and the path of the
# failing input is printed.
#
# Where things go (nothing in the source tree but the git-ignored corpus, fuzz/corpus/):
#   FUZZ_OUT   logs/<target>.log and findings/<target>/, the failing inputs libFuzzer writes
#              (default: target/fuzz, under CARGO_TARGET_DIR when set)
#   FUZZ_KEEP  a folder to copy each new failing input into as well, as <target>/<file>;
#              FUZZ_KEEP=core/tests/data/fuzz-regressions keeps it where cargo test replays it
#              from then on (unset by default; fuzz/run-tests.sh never sets it)
# Usage: fuzz/run.sh [SECONDS] [TARGET...]    (extra libFuzzer flags: FUZZ_ARGS="-max_len=65536")
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
# shellcheck source=env.sh
. "$here/env.sh"
seconds="${1:-60}"
shift || true
out="${FUZZ_OUT:-${CARGO_TARGET_DIR:-$root/target}/fuzz}"
keep="${FUZZ_KEEP:-}"
# Relative paths are taken from where the script was started.
case "$out" in /*) ;; *) out="$PWD/$out" ;; esac
case "$keep" in /* | "") ;; *) keep="$PWD/$keep" ;; esac
cd "$here" || exit 2
ensure_cargo_fuzz || exit 2
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    mapfile -t targets < <(cargo_fuzz list)
fi
[ -d corpus ] || ./seed.sh >/dev/null || exit 2
mkdir -p "$out/logs" || exit 2
failed=()
findings=()
summary=()
for t in "${targets[@]}"; do
    log="$out/logs/$t.log"
    found="$out/findings/$t"
    mkdir -p "$found" || exit 2
    echo "== fuzz $t for ${seconds}s (log: $log)"
    # The last -artifact_prefix wins over the one cargo-fuzz passes (fuzz/artifacts/<target>/).
    # shellcheck disable=SC2086
    cargo_fuzz run "${FUZZ_BUILD_FLAGS[@]}" "$t" "corpus/$t" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$found/" ${FUZZ_ARGS:-} >"$log" 2>&1
    status=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    corpus=$(find "corpus/$t" -type f | wc -l)
    line="$t: ${runs:-?} executions in ${seconds}s (${rate:-?}/s), corpus $corpus inputs"
    if [ $status -ne 0 ]; then
        line="$line, FAILED (exit $status)"
        failed+=("$t")
        grep -v '# Uses' "$log" | grep -E -A20 'panicked|ERROR: |SUMMARY' | head -60
        mapfile -t written < <(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log")
        if [ ${#written[@]} -eq 0 ]; then
            echo "fuzz: $t failed without writing an input; see $log"
        fi
        for f in "${written[@]}"; do
            findings+=("$t: $f")
            echo "fuzz: $t failed on $f"
            echo "  replay: cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run -s address -a $t $f"
            [ -n "$keep" ] || continue
            mkdir -p "$keep/$t"
            if find "$keep/$t" -maxdepth 1 -type f -exec cmp -s "$f" {} \; -print | grep -q .; then
                echo "  already kept under $keep/$t"
                continue
            fi
            cp "$f" "$keep/$t/"
            echo "  kept as $keep/$t/$(basename "$f"): give it a name that says what it is, and add it to git"
        done
    fi
    summary+=("$line")
    echo "$line"
done
echo "== fuzz summary"
printf '%s\n' "${summary[@]}"
if [ ${#failed[@]} -ne 0 ]; then
    if [ ${#findings[@]} -ne 0 ]; then
        echo "== failing inputs (to keep one as a regression, copy it to core/tests/data/fuzz-regressions/<target>/)"
        printf '%s\n' "${findings[@]}"
    fi
    echo "fuzz: FAILED: ${failed[*]}" >&2
    exit 1
fi
