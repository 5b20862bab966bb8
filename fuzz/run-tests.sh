#!/usr/bin/env bash
# The fuzz part of `make test`: installs cargo-fuzz if missing, writes the seed corpus,
# replays every kept regression input through its fuzz binary (ffi_calls' are replayed only
# here; cargo test replays the others too), then runs each target for FUZZ_SECONDS (default
# 30). Fails on any crash, timeout or out-of-memory, printing the path of the failing input.
# It writes nothing into the source tree but the git-ignored fuzz/corpus/: logs and failing
# inputs go under FUZZ_OUT (default target/fuzz; see run.sh), and FUZZ_KEEP is ignored, so
# that a test run never changes the tree it tests.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
# shellcheck source=env.sh
. "$here/env.sh"
out="${FUZZ_OUT:-${CARGO_TARGET_DIR:-$root/target}/fuzz}"
case "$out" in /*) ;; *) out="$PWD/$out" ;; esac
mkdir -p "$out/logs"
cd "$here"
ensure_cargo_fuzz
./seed.sh
mapfile -t targets < <(cargo_fuzz list)
[ ${#targets[@]} -ge 3 ] || { echo "fuzz: expected at least 3 targets, found: ${targets[*]}" >&2; exit 1; }
replayed=0
for t in "${targets[@]}"; do
    mapfile -t inputs < <(find "$root/core/tests/data/fuzz-regressions/$t" -maxdepth 1 -type f ! -name '*.md' ! -name '.*' 2>/dev/null | sort)
    [ ${#inputs[@]} -gt 0 ] || continue
    echo "== replay ${#inputs[@]} regression inputs of $t"
    log="$out/logs/replay-$t.log"
    mkdir -p "$out/findings/$t"
    cargo_fuzz run "${FUZZ_BUILD_FLAGS[@]}" "$t" "${inputs[@]}" -- -runs=1 -artifact_prefix="$out/findings/$t/" >"$log" 2>&1 || {
        grep -v '# Uses' "$log" | tail -40
        echo "fuzz: a regression input of $t fails again: $(sed -n 's/^Running: //p' "$log" | tail -1) (log: $log)" >&2
        exit 1
    }
    replayed=$((replayed + ${#inputs[@]}))
done
echo "== replayed $replayed regression inputs"
FUZZ_OUT="$out" FUZZ_KEEP="" ./run.sh "${FUZZ_SECONDS:-30}" "${targets[@]}"
