#!/usr/bin/env bash
# The C ABI benchmark: ns per call through the C ABI (bench.c) against RuleSet::evaluate
# called from Rust (examples/evaluate_bench.rs), on the same 100-rule workload and requests,
# then the two side by side in one process (examples/abi_gap.rs: the gap as the median of
# per-round differences, which this VM's drift between the first two runs does not reach).
# Not part of the tests. `ffi-c/bench/run.sh [ITERATIONS [ROUNDS]]` (defaults 2,000,000 and
# 201; `run.sh 1 1` is a smoke run).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
iterations="${1:-2000000}"
rounds="${2:-201}"
ffi-c/build-c.sh >/dev/null
target_dir="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
out="$target_dir/ffi-bench"
mkdir -p "$out"
python3 ffi-c/bench/workload.py >"$out/workload-100.xml"
pc="$target_dir/release/corsmatch.pc"
# shellcheck source=../pc-flags.sh
. ffi-c/pc-flags.sh
# shellcheck disable=SC2046 # the pkg-config flags are meant to split
${CC:-gcc} -std=c11 -O2 -Wall -Wextra -Werror $(pc_flags --cflags) ffi-c/bench/bench.c $(pc_flags --libs) -o "$out/bench"
echo "== C ABI"
"$out/bench" "$out/workload-100.xml" "$iterations"
echo "== Rust RuleSet::evaluate"
cargo run --quiet --release -p corsmatch-ffi --example evaluate_bench -- "$out/workload-100.xml" "$iterations"
echo "== side by side: RuleSet::evaluate and the C ABI (libcorsmatch.so) in alternating batches"
cargo run --quiet --release -p corsmatch-ffi --example abi_gap -- "$target_dir/release/libcorsmatch.so" "$out/workload-100.xml" "$rounds"
