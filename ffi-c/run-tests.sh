#!/usr/bin/env bash
# Tests of the C ABI, all of them; exits non-zero on any failure.
#  1. builds the library and target/release/corsmatch.pc (ffi-c/build-c.sh);
#  2. checks that include/corsmatch.h is what cbindgen generates from the code;
#  3. compiles the header alone as C99, C11 and C++ with every warning an error;
#  4. compiles the C tests (tests/c) with -Wall -Wextra -Werror under AddressSanitizer and
#     UndefinedBehaviorSanitizer, linked with the static library, and runs them: the shared
#     case corpus, bad input, 8 threads on one rule set, the interner;
#  5. builds examples/c/preflight.c with the pkg-config flags and checks its answer.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
CC="${CC:-gcc}"

echo "== build the C library"
ffi-c/build-c.sh
target_dir="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
pc="$target_dir/release/corsmatch.pc"
out="$target_dir/ffi-c-tests"
mkdir -p "$out"

# shellcheck source=pc-flags.sh
. "$root/ffi-c/pc-flags.sh"

cflags="$(pc_flags --cflags)"
libs="$(pc_flags --libs)"
echo "pkg-config corsmatch: $cflags $libs"

echo "== header drift check (cbindgen =0.29.4)"
cargo test -p corsmatch-ffi --test header --quiet

echo "== the header compiles alone"
printf '#include "corsmatch.h"\nint main(void) { return (int)corsmatch_version().len == 0; }\n' >"$out/header.c"
for std in c99 c11; do
    $CC -std=$std -Wall -Wextra -Werror -pedantic -Wno-long-long $cflags -c "$out/header.c" -o "$out/header-$std.o"
done
if command -v g++ >/dev/null 2>&1; then
    cp "$out/header.c" "$out/header.cc"
    g++ -std=c++11 -Wall -Wextra -Werror $cflags -c "$out/header.cc" -o "$out/header-cxx.o"
fi

echo "== the case corpus, converted for C"
python3 ffi-c/tests/corpus_to_text.py core/tests/data >"$out/corpus.txt"

sanitize=(-std=c11 -g -O1 -fno-omit-frame-pointer -Wall -Wextra -Werror -pthread
    -fsanitize=address,undefined -fno-sanitize-recover=all)
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
failed=0
for test in corpus_test bad_input_test threads_test intern_test; do
    echo "== $test (ASan + UBSan)"
    # shellcheck disable=SC2086 # the pkg-config flags are meant to split
    $CC "${sanitize[@]}" $cflags "ffi-c/tests/c/$test.c" $libs -o "$out/$test"
    args=()
    [ "$test" = corpus_test ] && args=("$out/corpus.txt")
    if ! "$out/$test" "${args[@]}"; then
        echo "FAILED: $test"
        failed=1
    fi
done

echo "== examples/c/preflight.c"
# shellcheck disable=SC2086
$CC -std=c11 -Wall -Wextra -Werror examples/c/preflight.c $cflags $libs -o "$out/preflight"
answer="$("$out/preflight" examples/oss-web-upload.xml https://www.example.com PUT content-type)"
echo "$answer"
# What examples/c/preflight prints for the README's request.
expected="$(cat "examples/c/preflight.expected")"
if [ "$answer" != "$expected" ]; then
    echo "FAILED: examples/c/preflight printed something else than expected"
    failed=1
fi
denied="$("$out/preflight" examples/oss-web-upload.xml https://evil.example.net PUT -)"
if ! grep -q '^status: 403$' <<<"$denied" || ! grep -q '<Code>AccessForbidden</Code>' <<<"$denied"; then
    echo "FAILED: examples/c/preflight did not refuse a preflight from another site: $denied"
    failed=1
fi

if [ "$failed" != 0 ]; then
    echo "ffi-c: FAILED"
    exit 1
fi
echo "ffi-c: all C ABI tests passed"
