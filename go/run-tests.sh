#!/usr/bin/env bash
# Tests of the Go package; exits non-zero on any failure. Builds the static C library the
# package links (cargo, release; a no-op when it is up to date), then go vet, go test, and the
# concurrency and middleware tests again under the race detector. Module dependencies (test
# only: rs/cors and jub0bs/cors for the benchmarks) come through the Go module proxy, checked
# against go.sum.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
# One version everywhere: the versioned symbol the package references is the workspace's.
version="$(scripts/version.sh)"
sym="corsmatch_abi_${version//./_}"
if ! grep -q "const abiVersion = \"$version\"" go/abi_version.go || [ "$(grep -c "$sym" go/abi_version.go)" != 2 ]; then
    echo "go/abi_version.go is not for version $version: set abiVersion and $sym" >&2
    exit 1
fi
cargo build --release -p corsmatch-ffi
cd go
export CGO_ENABLED=1
go vet ./...
go test -count=1 ./...
go test -count=1 -race -run 'Concurrent|Middleware' ./...
# Linked through pkg-config instead (-tags corsmatch_pkgconfig), where pkg-config exists.
if command -v pkg-config >/dev/null 2>&1; then
    (cd .. && ffi-c/build-c.sh >/dev/null)
    target_dir="$(cd .. && cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
    PKG_CONFIG_PATH="$target_dir/release" go test -count=1 -tags corsmatch_pkgconfig -run 'Corpus|Adversarial|Middleware' ./...
fi
# The benchmarks compile and their workloads agree; one iteration each, no timing.
go test -count=1 -run 'BenchmarkWorkloadsAgree' -bench . -benchtime 1x ./... >/dev/null
echo "go: all tests passed"
