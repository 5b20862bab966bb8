//! Runs the shared case corpus through the compiled engine and the reference matcher.

mod common;

use common::{check, load, Case};
use corsmatch::{reference, Profile};

fn run(cases: &[Case]) {
    assert!(!cases.is_empty());
    let mut failures = Vec::new();
    for case in cases {
        let set = case.rule_set();
        let engine = set.respond(&case.request());
        let oracle = reference::respond(set.config(), set.options(), &case.request());
        if let Err(e) = check(case, &engine) {
            failures.push(format!("engine {e}"));
        }
        if let Err(e) = check(case, &oracle) {
            failures.push(format!("reference {e}"));
        }
        if engine != oracle {
            failures.push(format!("{}: engine {engine:?} != reference {oracle:?}", case.id));
        }
    }
    assert!(failures.is_empty(), "{} of {} cases failed:\n{}", failures.len(), cases.len(), failures.join("\n"));
}

#[test]
fn s3_public_vectors() {
    let cases = load(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/s3-public.json"), Profile::S3);
    assert_eq!(cases.len(), 74);
    run(&cases);
}

#[test]
fn oss_cases() {
    let cases = load(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/oss-cases.json"), Profile::Oss);
    run(&cases);
}

#[test]
fn s3_extra_cases() {
    let cases = load(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/s3-cases.json"), Profile::S3);
    run(&cases);
}
