//! The interner against plain compiles: the case corpus and generated documents, valid or
//! not, give the same rule sets (same answers) or the same errors, and every formatting of one
//! document shares one set.

mod common;

use corsmatch::{CorsConfig, CorsRule, Interner, Options, Profile, RuleSet};
use proptest::prelude::*;

/// The same document as different tools write it.
fn formattings(config: &CorsConfig) -> [String; 3] {
    let compact = config.to_xml();
    let pretty = compact.replace("><", ">\n  <");
    let commented = compact.replacen("<CORSConfiguration>", "<CORSConfiguration><!-- managed -->", 1);
    [compact, pretty, commented]
}

/// Checks the interned compile of each formatting against the plain one; returns the sets.
fn agree(interner: &Interner, options: &Options, config: &CorsConfig) -> Vec<RuleSet> {
    let mut sets = Vec::new();
    for doc in formattings(config) {
        // The pretty form adds whitespace inside empty values: it may differ from the compact
        // one, but the interner must agree with a plain compile of the same bytes.
        let plain = options.compile_xml(doc.as_bytes());
        let interned = interner.compile_xml(options, doc.as_bytes());
        match (plain, interned) {
            (Ok(p), Ok(i)) => {
                assert_eq!((p.config(), p.options()), (i.config(), i.options()), "{doc}");
                sets.push(i);
            }
            (Err(p), Err(i)) => assert_eq!((p.code(), p.to_string()), (i.code(), i.to_string()), "{doc}"),
            (p, i) => panic!("{doc}: plain {p:?}, interned {i:?}"),
        }
    }
    // Formattings that parse to the same configuration share one set.
    for a in &sets {
        for b in &sets {
            assert_eq!(a.shares_with(b), a.config() == b.config());
        }
    }
    sets
}

#[test]
fn the_corpus_compiles_alike_through_the_interner() {
    let interner = Interner::new();
    let mut alive = Vec::new();
    for (file, profile) in
        [("oss-cases.json", Profile::Oss), ("s3-cases.json", Profile::S3), ("s3-public.json", Profile::S3)]
    {
        let path = format!("{}/tests/data/{file}", env!("CARGO_MANIFEST_DIR"));
        for case in common::load(&path, profile) {
            let Some(config) = &case.config else { continue };
            for options in [case.options(), Options::new(Profile::Oss), Options::new(Profile::S3)] {
                for set in agree(&interner, &options, config) {
                    // The shared set answers the case's request as a plain compile does.
                    let plain = options.compile(set.config().unwrap().clone()).unwrap();
                    assert_eq!(
                        format!("{:?}", set.respond(&case.request())),
                        format!("{:?}", plain.respond(&case.request()))
                    );
                    alive.push(set);
                }
            }
        }
    }
    let s = interner.stats();
    assert!(s.hits > 0 && s.misses > 0 && s.sets == s.misses as usize, "{s:?}");
}

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("*".to_string()),
        Just("https://*.example.com".to_string()),
        Just("https://a.example.com".to_string()),
        Just("*.*".to_string()),
        Just(" https://a.example.com".to_string()),
        Just("content-type".to_string()),
        Just("Content-Type".to_string()),
        Just("x-a&b<c>".to_string()),
        Just("".to_string()),
    ]
}

fn rule() -> impl Strategy<Value = CorsRule> {
    let methods =
        prop::collection::vec(prop::sample::select(vec!["GET", "PUT", "POST", "DELETE", "HEAD", "get", "FETCH"]), 0..3);
    (
        prop::option::weighted(0.1, Just("id".to_string())),
        prop::collection::vec(value(), 0..3),
        methods,
        prop::collection::vec(value(), 0..3),
        prop::collection::vec(prop::sample::select(vec!["ETag", "x-*", "x-oss-request-id"]), 0..2),
        prop::option::of(prop::sample::select(vec![0u32, 600, 3600])),
    )
        .prop_map(|(id, origins, methods, headers, expose, max_age)| CorsRule {
            id,
            allowed_origins: origins,
            allowed_methods: methods.into_iter().map(str::to_string).collect(),
            allowed_headers: headers,
            expose_headers: expose.into_iter().map(str::to_string).collect(),
            max_age_seconds: max_age,
        })
}

proptest! {
    #[test]
    fn generated_documents_compile_alike_through_the_interner(
        configs in prop::collection::vec((prop::collection::vec(rule(), 0..4), prop::option::of(any::<bool>())), 1..6),
    ) {
        // One interner for all the documents of a case, so that later ones can hit earlier ones.
        let interner = Interner::new();
        let mut alive = Vec::new();
        for (rules, response_vary) in configs {
            let config = CorsConfig { rules, response_vary };
            for options in [Options::new(Profile::Oss), Options::new(Profile::S3), Options::new(Profile::S3).max_rules(2)] {
                alive.extend(agree(&interner, &options, &config));
            }
        }
    }
}
