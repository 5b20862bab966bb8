# Sourced by run.sh and run-tests.sh: how cargo-fuzz is invoked on this machine.
#
# cargo-fuzz needs nightly-only rustc flags (-Zsanitizer=address). By default the stable
# toolchain is used with RUSTC_BOOTSTRAP=1, which enables them and needs no nightly install;
# FUZZ_TOOLCHAIN=nightly uses `cargo +nightly fuzz` instead. Every target is built the same
# way (AddressSanitizer, debug assertions, release optimisations), so switching targets never
# rebuilds.
FUZZ_TOOLCHAIN="${FUZZ_TOOLCHAIN:-stable}"
FUZZ_SANITIZER="${FUZZ_SANITIZER:-address}"
CARGO_FUZZ_VERSION="0.13.2"

ensure_cargo_fuzz() {
    if ! cargo fuzz --version >/dev/null 2>&1; then
        echo "fuzz: installing cargo-fuzz $CARGO_FUZZ_VERSION" >&2
        cargo install cargo-fuzz --locked --version "$CARGO_FUZZ_VERSION"
    fi
}

cargo_fuzz() {
    if [ "$FUZZ_TOOLCHAIN" = stable ]; then
        RUSTC_BOOTSTRAP=1 cargo fuzz "$@"
    else
        cargo "+$FUZZ_TOOLCHAIN" fuzz "$@"
    fi
}

FUZZ_BUILD_FLAGS=(--sanitizer "$FUZZ_SANITIZER" --debug-assertions)
