#!/usr/bin/env bash
# Builds the C library (target/release/libcorsmatch.a, and .so) and writes
# target/release/corsmatch.pc for pkg-config, so that C code links with
#   cc app.c $(PKG_CONFIG_PATH=target/release pkg-config --cflags --libs corsmatch)
# The .pc links the static library (by path: a plain -lcorsmatch would pick the .so next to it).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
cargo build --release -p corsmatch-ffi
target_dir="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
libdir="$target_dir/release"
version="$(scripts/version.sh)"
# The system libraries the Rust standard library needs in a static link on Linux/glibc
# (`cargo rustc -p corsmatch-ffi --crate-type staticlib -- --print native-static-libs`).
system_libs="-lgcc_s -lutil -lrt -lpthread -lm -ldl"
if [ "$(uname -s)" = Darwin ]; then
    system_libs="-lSystem -lc -lm -framework CoreFoundation"
fi
cat >"$libdir/corsmatch.pc.tmp" <<PC
prefix=$root
includedir=\${prefix}/ffi-c/include
libdir=$libdir

Name: corsmatch
Description: Bucket CORS decided exactly as Alibaba Cloud OSS and AWS S3 decide it (C ABI)
Version: $version
Cflags: -I\${includedir}
Libs: \${libdir}/libcorsmatch.a $system_libs
PC
mv "$libdir/corsmatch.pc.tmp" "$libdir/corsmatch.pc"
echo "wrote $libdir/corsmatch.pc (static: $libdir/libcorsmatch.a)"
