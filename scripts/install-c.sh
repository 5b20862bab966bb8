#!/usr/bin/env bash
# Installs the C library into PREFIX: include/corsmatch.h, lib/libcorsmatch.a,
# lib/libcorsmatch.so (-> .so.<soname version> -> .so.<version>), lib/pkgconfig/corsmatch.pc.
# The .pc finds everything relative to itself (${pcfiledir}), so the tree can be moved or
# unpacked anywhere. `make install PREFIX=...` and the C tarball of `make dist` both use it.
#
# Usage: scripts/install-c.sh PREFIX LIBDIR   (LIBDIR: where cargo wrote the built libraries)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
prefix="$1"
built="$2"
version="$("$root/scripts/version.sh")"
major="${version%%.*}"
minor="${version#*.}"
minor="${minor%%.*}"
# For 0.x the minor version breaks compatibility (ffi-c/build.rs sets the same SONAME).
if [ "$major" = 0 ]; then soversion="0.$minor"; else soversion="$major"; fi

mkdir -p "$prefix/include" "$prefix/lib/pkgconfig"
install -m 644 "$root/ffi-c/include/corsmatch.h" "$prefix/include/corsmatch.h"
install -m 644 "$built/libcorsmatch.a" "$prefix/lib/libcorsmatch.a"
install -m 755 "$built/libcorsmatch.so" "$prefix/lib/libcorsmatch.so.$version"
# Debug information out, global symbols in: the static library stays linkable.
strip --strip-debug "$prefix/lib/libcorsmatch.a"
strip --strip-unneeded "$prefix/lib/libcorsmatch.so.$version"
ln -sfn "libcorsmatch.so.$version" "$prefix/lib/libcorsmatch.so.$soversion"
ln -sfn "libcorsmatch.so.$soversion" "$prefix/lib/libcorsmatch.so"
# Libs.private: what the Rust standard library needs from the system in a static link
# (`cargo rustc -p corsmatch-ffi --crate-type staticlib -- --print native-static-libs`; gcc
# adds libgcc_s, or libgcc_eh under -static, itself).
cat >"$prefix/lib/pkgconfig/corsmatch.pc" <<PC
prefix=\${pcfiledir}/../..
includedir=\${prefix}/include
libdir=\${prefix}/lib

Name: corsmatch
Description: Bucket CORS decided exactly as Alibaba Cloud OSS and AWS S3 decide it (C ABI)
Version: $version
Cflags: -I\${includedir}
Libs: -L\${libdir} -lcorsmatch
Libs.private: -lutil -lrt -lpthread -lm -ldl
PC
