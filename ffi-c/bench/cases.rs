//! The requests of the C ABI benchmark, shared by `examples/evaluate_bench.rs` and
//! `examples/abi_gap.rs` (`ffi-c/bench/bench.c` holds the same three).

use corsmatch::Request;

pub struct Case {
    pub name: &'static str,
    pub req: Request<'static>,
    pub status: Option<u16>,
    pub rule: Option<usize>,
}

pub fn cases() -> [Case; 3] {
    [
        Case {
            name: "preflight-match",
            req: Request::preflight(
                Some("https://upload.tenant99.example.net"),
                Some("PUT"),
                Some("content-type, x-amz-date"),
            ),
            status: Some(200),
            rule: Some(99),
        },
        Case {
            name: "preflight-denied",
            req: Request::preflight(Some("https://evil.example.org"), Some("PUT"), None),
            status: Some(403),
            rule: None,
        },
        Case {
            name: "actual-match",
            req: Request::new("GET", Some("https://app50.example1.com")),
            status: None,
            rule: Some(50),
        },
    ]
}
