//! Replays every input that fuzzing ever failed on, kept under
//! `tests/data/fuzz-regressions/<target>/`, through the very checks of that fuzz target
//! (`fuzz/checks/src/lib.rs`, included here by path), so `cargo test` replays them without
//! cargo-fuzz. `ffi_calls` inputs need the C ABI crate and are replayed by
//! `fuzz/run-tests.sh` through the fuzz binary instead.

#[allow(dead_code)]
#[path = "../../fuzz/checks/src/lib.rs"]
mod checks;

use std::path::{Path, PathBuf};

/// A fuzz target's check.
type Check = fn(&[u8]);

/// Targets whose inputs this file replays, and the targets replayed elsewhere.
const REPLAYED_HERE: [(&str, Check); 2] =
    [("config_parse", checks::config_parse), ("engine_vs_reference", checks::engine_vs_reference)];
const REPLAYED_BY_RUN_TESTS: [&str; 1] = ["ffi_calls"];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/fuzz-regressions")
}

/// The input files of one target (hidden files and `*.md` notes left out), sorted.
fn inputs(target: &str) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(root().join(target)) else { return Vec::new() };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.expect("readable directory entry").path())
        .filter(|p| p.is_file())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            !name.starts_with('.') && !name.ends_with(".md")
        })
        .collect();
    files.sort();
    files
}

/// Runs each input through `check`; returns how many ran, and what failed.
fn replay(target: &str, check: Check) -> (usize, Vec<String>) {
    let mut replayed = 0;
    let mut failures = Vec::new();
    for path in inputs(target) {
        let data = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let outcome = std::panic::catch_unwind(|| check(&data));
        replayed += 1;
        if let Err(panic) = outcome {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            failures.push(format!("{target}/{}: {message}", path.file_name().unwrap().to_string_lossy()));
        }
    }
    (replayed, failures)
}

#[test]
fn fuzz_regressions_replay() {
    let mut failures = Vec::new();
    let mut total = 0;
    for (target, check) in REPLAYED_HERE {
        let expected = inputs(target).len();
        let (replayed, failed) = replay(target, check);
        assert_eq!(replayed, expected, "{target}: replayed {replayed} of {expected} inputs");
        total += replayed;
        failures.extend(failed);
    }
    // Fuzzing has found inputs before: an empty replay means the data went missing.
    assert!(total > 0, "no regression input under {}", root().display());
    assert!(failures.is_empty(), "{} regression inputs fail again:\n{}", failures.len(), failures.join("\n"));
}

/// Every directory under fuzz-regressions belongs to a target whose inputs are replayed, so
/// that no crash is kept without being run.
#[test]
fn fuzz_regressions_have_a_replayer() {
    for entry in std::fs::read_dir(root()).expect("tests/data/fuzz-regressions") {
        let path = entry.expect("entry").path();
        if !path.is_dir() {
            continue;
        }
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        assert!(
            REPLAYED_HERE.iter().any(|(t, _)| *t == name) || REPLAYED_BY_RUN_TESTS.contains(&name.as_str()),
            "inputs under {} are replayed by nothing",
            path.display()
        );
    }
}

/// The checks do fail on what they are meant to catch: a document that does not parse is
/// no failure, a panic inside a check is reported with the input's name.
#[test]
fn replay_reports_a_failing_check() {
    let boom: Check = |_| panic!("boom");
    if let Some((target, _)) = REPLAYED_HERE.iter().find(|(t, _)| !inputs(t).is_empty()) {
        let (replayed, failures) = replay(target, boom);
        assert_eq!(failures.len(), replayed);
        assert!(failures[0].contains("boom"), "{failures:?}");
    }
    checks::config_parse(b"\x00<not xml");
    checks::config_parse(b"");
}
