#!/usr/bin/env bash
# `make test-dist`: installs each artifact of `make dist` as its users would, with cargo and
# rustc taken off PATH, and runs real tests through it:
#   CLI     dist/bin/corsmatch: --version, the example, and (through the Python tests'
#           cross-checks, CORSMATCH_CLI) every case of the corpus;
#   Python  a fresh venv installs the wheel and runs py/tests (the corpus, the WSGI and ASGI
#           middlewares behind wsgiref and uvicorn on loopback);
#   C       the tarball unpacked in a temporary folder; examples/c/preflight.c, the corpus test
#           and a version check built through pkg-config, statically and against the .so;
#   Go      a module outside the repository requires the Go module through a `replace` of
#           dist/go, runs a program and the package's tests (the corpus among them); a package
#           of another version must fail to link; another platform gets the build error.
# The commands are the README's "Install" steps.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dist="$root/dist"
log() { printf '== test-dist: %s\n' "$*"; }
fail() { echo "test-dist: FAILED: $*" >&2; exit 1; }

version="$(cat "$dist/VERSION" 2>/dev/null)" || fail "no dist/VERSION: run make dist first"
[ "$version" = "$("$root/scripts/version.sh")" ] \
    || fail "dist/ is of version $version, the workspace of another: run make dist"

# No Rust: every PATH entry holding cargo or rustc goes.
path=""
IFS=: read -ra dirs <<<"$PATH"
for d in "${dirs[@]}"; do
    [ -e "$d/cargo" ] || [ -e "$d/rustc" ] || path="${path:+$path:}$d"
done
export PATH="$path"
unset CARGO RUSTC RUSTUP_TOOLCHAIN CARGO_TARGET_DIR
if command -v cargo >/dev/null 2>&1 || command -v rustc >/dev/null 2>&1; then
    fail "cargo or rustc is still on PATH"
fi
log "cargo and rustc are off PATH"

# The README's Install steps are these: each command below must be there, verbatim.
readme_says() { grep -qxF -- "$1" "$root/README.md" || fail "README.md no longer says: $1"; }
readme_says 'install -m 755 dist/bin/corsmatch ~/.local/bin/corsmatch'
readme_says "venv/bin/pip install dist/python/corsmatch-$version-cp39-abi3-manylinux2014_x86_64.manylinux_2_17_x86_64.whl"
readme_says "tar -xzf dist/c/corsmatch-$version-linux-x86_64.tar.gz"
readme_says "export PKG_CONFIG_PATH=\$PWD/corsmatch-$version-linux-x86_64/lib/pkgconfig"
readme_says 'cc app.c $(pkg-config --cflags --libs corsmatch) -Wl,-rpath,$(pkg-config --variable=libdir corsmatch) -o app'
readme_says 'cc -static app.c $(pkg-config --static --cflags --libs corsmatch) -o app'
readme_says "require github.com/corsmatch/corsmatch/go v$version"
readme_says 'replace github.com/corsmatch/corsmatch/go => /path/to/dist/go'
readme_says 'PKG_CONFIG_PATH=$HOME/.local/lib/pkgconfig CGO_LDFLAGS="-Wl,-rpath,$HOME/.local/lib" go build -tags corsmatch_pkgconfig ./...'

work="$(mktemp -d "${TMPDIR:-/tmp}/corsmatch-test-dist.XXXXXX")"
# cgo may leave a C compiler behind that writes a moment after it exits: try twice.
trap 'rm -rf "$work" 2>/dev/null || { sleep 2; rm -rf "$work"; }' EXIT
cd "$work"

log "CLI: dist/bin/corsmatch"
# README: install -m 755 dist/bin/corsmatch ~/.local/bin/corsmatch
mkdir bin && install -m 755 "$dist/bin/corsmatch" bin/corsmatch
export PATH="$work/bin:$PATH"
cli="$(command -v corsmatch)"
[ "$cli" = "$work/bin/corsmatch" ] || fail "corsmatch on PATH is $cli"
[ "$("$cli" --version)" = "corsmatch $version" ] || fail "corsmatch --version says $("$cli" --version)"
"$cli" eval --config "$root/examples/oss-web-upload.xml" --requests "$root/examples/requests.jsonl" >cli-eval.txt
[ -s cli-eval.txt ] || fail "corsmatch eval printed nothing"

log "Python: a fresh venv installs the wheel"
wheel="$(ls "$dist"/python/corsmatch-"$version"-cp39-abi3-manylinux2014_x86_64.manylinux_2_17_x86_64.whl)"
sdist="$dist/python/corsmatch-$version.tar.gz"
tar -tzf "$sdist" >sdist.txt
grep -qx "corsmatch-$version/core/src/lib.rs" sdist.txt && grep -qx "corsmatch-$version/py/src/lib.rs" sdist.txt || fail "the sdist lacks the core crate"
python3 -m venv venv
venv/bin/pip install --quiet --disable-pip-version-check "$wheel"
grep -v -e '^maturin' -e '^mypy' "$root/py/requirements-test.txt" >requirements.txt
venv/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
got="$(venv/bin/python -c 'import corsmatch; print(corsmatch.__version__)')"
[ "$got" = "$version" ] || fail "corsmatch.__version__ is $got"
case "$(venv/bin/python -c 'import corsmatch; print(corsmatch.__file__)')" in
    "$work"/venv/*) ;;
    *) fail "corsmatch is not imported from the venv" ;;
esac
# From py/tests (no corsmatch folder there): the installed package is tested, and its
# cross-checks run every corpus case through the packaged CLI.
(cd "$root/py/tests" && CORSMATCH_CLI="$cli" PYTHONDONTWRITEBYTECODE=1 \
    "$work/venv/bin/python" -m pytest -q -p no:cacheprovider) || fail "Python tests"

log "C: the tarball through pkg-config"
name="corsmatch-$version-linux-x86_64"
mkdir c && tar -C c -xzf "$dist/c/$name.tar.gz"
export PKG_CONFIG_PATH="$work/c/$name/lib/pkgconfig"
[ "$(pkg-config --modversion corsmatch)" = "$version" ] || fail "pkg-config --modversion corsmatch"
soname="$(readelf -d "c/$name/lib/libcorsmatch.so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')"
[ "$soname" = "libcorsmatch.so.0.${version#0.}" ] || [ "$soname" = "libcorsmatch.so.${version%%.*}" ] \
    || [ "$soname" = "libcorsmatch.so.$(echo "$version" | cut -d. -f1-2)" ] || fail "SONAME $soname"
cat >version.c <<'C'
#include <stdio.h>
#include "corsmatch.h"
int main(void) {
    corsmatch_str v = corsmatch_version();
    printf("%.*s\n", (int)v.len, v.data);
    return 0;
}
C
python3 "$root/ffi-c/tests/corpus_to_text.py" "$root/core/tests/data" >corpus.txt
# What examples/c/preflight prints for the README's request.
expected="$(cat "$root/examples/c/preflight.expected")"
for link in shared static; do
    if [ $link = shared ]; then
        # README: cc app.c $(pkg-config --cflags --libs corsmatch) -Wl,-rpath,...
        flags=($(pkg-config --cflags --libs corsmatch) "-Wl,-rpath,$(pkg-config --variable=libdir corsmatch)")
    else
        # README: cc -static app.c $(pkg-config --static --cflags --libs corsmatch)
        flags=(-static $(pkg-config --static --cflags --libs corsmatch))
    fi
    cc -std=c11 -Wall -Wextra -Werror "$root/examples/c/preflight.c" "${flags[@]}" -o preflight-$link
    cc -std=c11 -Wall -Wextra -Werror version.c "${flags[@]}" -o version-$link
    cc -std=c11 -Wall -Wextra -Werror -pthread -I"$root/ffi-c/tests/c" "$root/ffi-c/tests/c/corpus_test.c" "${flags[@]}" -o corpus-$link
    if [ $link = shared ]; then
        loaded="$(ldd preflight-shared | sed -n 's/^\s*libcorsmatch\.so[.0-9]* => \(\S*\) .*/\1/p')"
        [ -n "$loaded" ] && [ "$(realpath "$loaded")" = "$work/c/$name/lib/libcorsmatch.so.$version" ] \
            || fail "preflight-shared does not load the tarball's .so: $(ldd preflight-shared)"
    else
        ! ldd preflight-static >/dev/null 2>&1 || fail "preflight-static is dynamic: $(ldd preflight-static)"
    fi
    [ "$(./version-$link)" = "$version" ] || fail "corsmatch_version() ($link) says $(./version-$link)"
    [ "$(./preflight-$link "$root/examples/oss-web-upload.xml" https://www.example.com PUT content-type)" = "$expected" ] \
        || fail "preflight ($link)"
    ./preflight-$link "$root/examples/oss-web-upload.xml" https://evil.example.net PUT - | grep -q '^status: 403$' \
        || fail "preflight ($link) did not refuse another site"
    ./corpus-$link corpus.txt >corpus-$link.out || { cat corpus-$link.out; fail "C corpus test ($link)"; }
    echo "C ($link): $(tail -n 1 corpus-$link.out)"
done
unset PKG_CONFIG_PATH

log "Go: a module outside the repository, with replace => dist/go"
export CGO_ENABLED=1 GOFLAGS=-mod=mod
mkdir goapp && cd goapp
cat >go.mod <<GOMOD
module example.com/corsmatch-dist-test

go 1.24.0

require github.com/corsmatch/corsmatch/go v$version

replace github.com/corsmatch/corsmatch/go => $dist/go
GOMOD
cat >main.go <<'GO'
package main

import (
	"fmt"
	"os"

	corsmatch "github.com/corsmatch/corsmatch/go"
)

func main() {
	xml, err := os.ReadFile(os.Args[1])
	if err != nil {
		panic(err)
	}
	rules, err := corsmatch.Compile(xml, corsmatch.OSS, nil)
	if err != nil {
		panic(err)
	}
	defer rules.Close()
	r, err := rules.Preflight(corsmatch.Request{
		Origin: corsmatch.String("https://www.example.com"),
		ACRM:   corsmatch.String("PUT"),
		ACRH:   corsmatch.String("content-type"),
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(corsmatch.Version(), r.Status)
}
GO
cp "$dist/go/go.sum" go.sum
go mod tidy >/dev/null 2>&1 || true
go build -o app . || fail "go build with the prebuilt library"
[ "$(./app "$root/examples/oss-web-upload.xml")" = "$version 200" ] || fail "the Go program says $(./app "$root/examples/oss-web-upload.xml")"
# The package's own tests (the shared corpus, adversarial cases, the middleware), run from
# the module directory as `go test` runs a dependency's tests.
go test -count=1 -v github.com/corsmatch/corsmatch/go >go-test.log 2>&1 || { grep -A 12 -- '--- FAIL' go-test.log || tail -n 40 go-test.log; fail "Go package tests through dist/go"; }
grep -q -- '--- PASS: TestCorpus' go-test.log && grep -q -- '--- PASS: TestAdversarial' go-test.log || fail "the Go corpus tests did not run"
echo "Go: $(grep -c -- '^--- PASS' go-test.log) tests passed, $(grep -c -- '^    --- PASS' go-test.log) subtests ($(tail -n 1 go-test.log))"
# Built from source elsewhere: -tags corsmatch_pkgconfig takes the flags from corsmatch.pc, here
# the tarball's (the layout `make install` writes), and links the shared library, found through
# the rpath in CGO_LDFLAGS (which also keys Go's build cache: it does not hash pkg-config's
# answer, and would reuse a library path of an earlier build).
export PKG_CONFIG_PATH="$work/c/$name/lib/pkgconfig"
CGO_LDFLAGS="-Wl,-rpath,$work/c/$name/lib" go build -tags corsmatch_pkgconfig -o app-pkgconfig . || fail "go build -tags corsmatch_pkgconfig"
[ "$(./app-pkgconfig "$root/examples/oss-web-upload.xml")" = "$version 200" ] || fail "the Go program linked through pkg-config"
echo "Go with -tags corsmatch_pkgconfig: $(ldd app-pkgconfig | grep -o 'libcorsmatch.so[.0-9]* => [^ ]*' | head -n 1)"
unset PKG_CONFIG_PATH
# `go mod vendor` keeps the library and the header (build/*/empty.go, vendor_keep.go).
go mod vendor
go build -mod=vendor -o app-vendored . || fail "go build -mod=vendor"
[ "$(./app-vendored "$root/examples/oss-web-upload.xml")" = "$version 200" ] || fail "the vendored Go program"
echo "Go vendored: $(find vendor -name 'libcorsmatch.a' -o -name corsmatch.h | sort | tr '\n' ' ')"
rm -rf vendor
cd "$work"

log "Go: a package of another version does not link"
cp -r "$dist/go" go-other && chmod -R u+w go-other
sed -i 's/corsmatch_abi_[0-9_]*/corsmatch_abi_9_9_9/g' go-other/abi_version.go
mkdir goapp-other && cp goapp/main.go goapp/go.sum goapp-other/
sed "s|=> $dist/go|=> $work/go-other|" goapp/go.mod >goapp-other/go.mod
if (cd goapp-other && go build -o app . >../mismatch.log 2>&1); then
    fail "a Go package of another version linked the library"
fi
grep -q "corsmatch_abi_9_9_9" mismatch.log || { cat mismatch.log; fail "the version mismatch was not reported as such"; }
echo "refused: $(grep -m1 -o "undefined reference to .corsmatch_abi_9_9_9." mismatch.log || grep -m1 corsmatch_abi_9_9_9 mismatch.log)"

log "Go: another platform gets a build error that says what to do"
# On linux/arm64 (say) the package has link_unsupported.go, whose preamble is an #error, and no
# library to link. This machine has no arm64 C compiler to run `go build` with, so cgo itself
# preprocesses the package's files for linux/arm64, as `go build` would there.
files="$(cd "$dist/go" && GOARCH=arm64 go list -f '{{join .CgoFiles " "}}' .)"
case " $files " in *" link_unsupported.go "*) ;; *) fail "linux/arm64 builds without link_unsupported.go: $files" ;; esac
[ -z "$(cd "$dist/go" && GOARCH=arm64 go list -f '{{.CgoLDFLAGS}}' . | tr -d '[]')" ] || fail "linux/arm64 links something"
mkdir cgo-arm64
# shellcheck disable=SC2086 # the file list is meant to split
if (cd "$dist/go" && GOARCH=arm64 go tool cgo -objdir "$work/cgo-arm64/" -- -Ibuild/include $files >"$work/arm64.log" 2>&1); then
    fail "cgo accepted the package for linux/arm64"
fi
grep -q "prebuilt for linux/amd64 only.*go build -tags corsmatch_pkgconfig" arm64.log || { cat arm64.log; fail "the error on linux/arm64 does not explain"; }
grep -m1 -o 'error: #error.*' arm64.log | cut -c1-200

log "all artifacts passed (version $version)"
