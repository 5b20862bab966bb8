//! The checked-in C header must be exactly what the pinned cbindgen generates from the code.
//! Regenerate it with `CORSMATCH_BLESS=1 cargo test -p corsmatch-ffi --test header`.

use std::path::Path;

#[test]
fn checked_in_header_matches_the_rust_code() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(dir.join("cbindgen.toml")).expect("cbindgen.toml parses");
    let bindings = cbindgen::Builder::new()
        .with_config(config)
        .with_src(dir.join("src/lib.rs"))
        .generate()
        .expect("cbindgen generates the header");
    let mut generated = Vec::new();
    bindings.write(&mut generated);
    let path = dir.join("include/corsmatch.h");
    if std::env::var_os("CORSMATCH_BLESS").is_some() {
        std::fs::write(&path, &generated).expect("write include/corsmatch.h");
        return;
    }
    let checked_in = std::fs::read(&path).unwrap_or_default();
    if checked_in != generated {
        let generated = String::from_utf8_lossy(&generated);
        let checked_in = String::from_utf8_lossy(&checked_in);
        let first = generated.lines().zip(checked_in.lines()).position(|(a, b)| a != b);
        panic!(
            "ffi-c/include/corsmatch.h is out of date with ffi-c/src/lib.rs (first differing line: {:?}).\n\
             Regenerate it with: CORSMATCH_BLESS=1 cargo test -p corsmatch-ffi --test header",
            first.map(|i| i + 1)
        );
    }
}
