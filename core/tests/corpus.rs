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
    // The ceph/s3-tests vectors recorded no error body; these refused preflights check the
    // status and headers, and the error only against the reference. Any other refused case
    // names its error.
    let unrecorded: Vec<&str> =
        cases.iter().filter(|c| c.refused() && c.expect.get("error").is_none()).map(|c| c.id.as_str()).collect();
    assert_eq!(unrecorded, ["st-18", "st-19", "st-20", "st-22", "st-23", "st-27", "st-30", "st-31", "st-35", "st-36"]);
    assert!(cases.iter().filter(|c| c.id.starts_with("st-")).all(Case::body_unrecorded));
    run(&cases);
}

/// The runner refuses a refused case that names no error, and one that names the wrong one.
#[test]
fn a_refused_case_must_name_its_error() {
    let cases = load(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/oss-cases.json"), Profile::Oss);
    let refused: Vec<&Case> = cases.iter().filter(|c| c.refused()).collect();
    assert!(refused.len() >= 10);
    for case in refused {
        assert!(case.expect["error"].is_object(), "{}: a refused case names its error", case.id);
        let got = case.rule_set().respond(&case.request());
        assert_eq!(check(case, &got), Ok(()));
        let mut unnamed = case.clone();
        unnamed.expect.as_object_mut().unwrap().remove("error");
        let err = check(&unnamed, &got).expect_err("no error named");
        assert!(err.contains("must name its error"), "{err}");
        let mut wrong = case.clone();
        wrong.expect["error"]["Code"] = "SomethingElse".into();
        assert!(check(&wrong, &got).is_err());
    }
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
