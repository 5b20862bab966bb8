#!/usr/bin/env bash
# `make dist`: the release artifacts, in dist/ (scripts/test-dist.sh installs and tests them
# without Rust):
#   dist/python/   the abi3 manylinux wheel (tag checked) and the sdist (maturin)
#   dist/c/        corsmatch-<version>-linux-x86_64.tar.gz: header, static and shared
#                  libraries, a relocatable pkg-config file (scripts/install-c.sh)
#   dist/go/       the Go module with the static library prebuilt for linux/amd64
#   dist/bin/      the corsmatch CLI
#   dist/crates/   `cargo package` of the crates published on crates.io
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
log() { printf '== dist: %s\n' "$*"; }

version="$(scripts/version.sh)"
[ "$(uname -s)-$(uname -m)" = Linux-x86_64 ] || { echo "make dist builds the linux-x86_64 artifacts; this is $(uname -s)-$(uname -m)" >&2; exit 1; }
target_dir="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
dist="$root/dist"
rm -rf "$dist"
mkdir -p "$dist/python" "$dist/c" "$dist/go" "$dist/bin" "$dist/crates"
echo "$version" >"$dist/VERSION"

# The C library, small: the `dist` profile (LTO, one codegen unit, no debug info), stripped
# of debug information when installed. The C tarball and the Go module ship the same build.
log "C library (cargo build --profile dist -p corsmatch-ffi)"
cargo build --profile dist -p corsmatch-ffi
built="$target_dir/dist"

log "C tarball"
name="corsmatch-$version-linux-x86_64"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
scripts/install-c.sh "$stage/$name" "$built"
cp LICENSE-MIT LICENSE-APACHE "$stage/$name/"
tar -C "$stage" --owner=0 --group=0 --numeric-owner -czf "$dist/c/$name.tar.gz" "$name"
# `make install` lays out the same tree.
make --no-print-directory -s install CARGO="cargo --quiet" PREFIX="$stage/installed" >/dev/null
cp LICENSE-MIT LICENSE-APACHE "$stage/installed/"
diff -r "$stage/$name" "$stage/installed" >/dev/null || { echo "make install differs from the tarball" >&2; exit 1; }

log "Go module"
go_out="$dist/go"
cp go/go.mod go/go.sum go/README.md go/*.go "$go_out/"
cp LICENSE-MIT LICENSE-APACHE "$go_out/"
# link_local.go links ../target/release of a checkout; the module links its own build/.
rm "$go_out/link_local.go"
cp scripts/go-dist/link_prebuilt.go scripts/go-dist/link_unsupported.go scripts/go-dist/vendor_keep.go "$go_out/"
mkdir -p "$go_out/build/include" "$go_out/build/linux-amd64"
cp ffi-c/include/corsmatch.h "$go_out/build/include/"
sed 's/@PKG@/include/' scripts/go-dist/empty.go.in >"$go_out/build/include/empty.go"
install -m 644 "$built/libcorsmatch.a" "$go_out/build/linux-amd64/libcorsmatch.a"
strip --strip-debug "$go_out/build/linux-amd64/libcorsmatch.a"
sed 's/@PKG@/linuxamd64/' scripts/go-dist/empty.go.in >"$go_out/build/linux-amd64/empty.go"
# The tests ship with the module, reading the corpus from testdata/ instead of the checkout.
mkdir -p "$go_out/testdata/corpus" "$go_out/testdata/examples"
cp -R core/tests/data/. "$go_out/testdata/corpus/"
cp examples/*.xml "$go_out/testdata/examples/"
sed -i -e 's|filepath.Join("..", "core", "tests", "data", |filepath.Join("testdata", "corpus", |' \
    -e 's|"\.\./examples/|"testdata/examples/|' "$go_out"/*_test.go
if grep -n '"\.\.' "$go_out"/*.go; then
    echo "dist/go: a Go file still reads from the checkout" >&2
    exit 1
fi
gofmt -l "$go_out" | { ! grep .; } || { echo "dist/go: gofmt" >&2; exit 1; }
echo "dist/go/build/linux-amd64/libcorsmatch.a: $(stat -c %s "$go_out/build/linux-amd64/libcorsmatch.a") bytes"

log "CLI (release build, stripped)"
cargo build --release -p corsmatch-cli
install -m 755 "$target_dir/release/corsmatch" "$dist/bin/corsmatch"
strip "$dist/bin/corsmatch"

log "Python wheel and sdist (maturin)"
venv="$target_dir/dist-venv"
# ziglang: maturin links the extension with zig against glibc 2.17, so that the wheel is
# manylinux2014 whatever the glibc of the build machine (Debian 12's is 2.36).
tools=("$(grep '^maturin==' py/requirements-test.txt | cut -d' ' -f1)" "ziglang==0.17.1")
if [ ! -x "$venv/bin/maturin" ] || [ "$(cat "$venv/.tools" 2>/dev/null)" != "${tools[*]}" ]; then
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "${tools[@]}"
    echo "${tools[*]}" >"$venv/.tools"
fi
# maturin finds zig through `python3 -m ziglang`: the venv's python3 first on PATH. It checks
# the extension's symbol versions against manylinux2014 and refuses to write the wheel otherwise.
PATH="$venv/bin:$PATH" maturin build --quiet --release --strip --zig --compatibility manylinux2014 \
    -m py/Cargo.toml -o "$dist/python"
"$venv/bin/maturin" sdist -m py/Cargo.toml -o "$dist/python"
wheel="$(cd "$dist/python" && ls ./*.whl)"
case "$wheel" in
    "./corsmatch-$version-cp39-abi3-manylinux2014_x86_64.manylinux_2_17_x86_64.whl") ;;
    *) echo "unexpected wheel name (want cp39-abi3, manylinux2014): $wheel" >&2; exit 1 ;;
esac

log "crates (cargo package)"
# corsmatch-cli is not packaged: it include_str!s ../../../examples/*.xml, outside its
# package, so its .crate would not build. --allow-dirty: a developer's tree may hold edits;
# CI packages a clean clone.
cargo package --quiet --allow-dirty -p corsmatch
cp "$target_dir/package/corsmatch-$version.crate" "$dist/crates/"

log "wrote:"
(cd "$dist" && find . -type f -not -path './go/*' -printf '%s\t%p\n' | sort -k2)
echo "dist/go: $(find "$go_out" -type f | wc -l) files"
