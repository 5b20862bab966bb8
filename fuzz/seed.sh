#!/usr/bin/env bash
# Writes the seed corpus of every fuzz target into fuzz/corpus/<target>/ (git-ignored) from
# the shared cases (core/tests/data/*.json, examples/*.xml, examples/requests.jsonl), and
# adds every input kept under core/tests/data/fuzz-regressions/<target>/.
# Usage: fuzz/seed.sh [CORPUS_DIR]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
corpus="${1:-$here/corpus}"
cargo run --quiet --manifest-path "$here/Cargo.toml" -p corsmatch-fuzz-seed -- "$root" "$corpus"
for dir in "$root"/core/tests/data/fuzz-regressions/*/; do
    [ -d "$dir" ] || continue
    target="$(basename "$dir")"
    mkdir -p "$corpus/$target"
    find "$dir" -maxdepth 1 -type f ! -name '*.md' ! -name '.*' -exec cp {} "$corpus/$target/" \;
done
mkdir -p "$corpus/ffi_calls"
