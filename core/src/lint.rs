//! Lint: the rules that never apply, overlap, or let in more than meant.
//!
//! [`lint`] looks at a configuration the way the providers will use it and reports
//! [`Finding`]s, each with a stable id, a [`Severity`], the rule and item it is about, a
//! one-line message and a fix.
//!
//! ```
//! use corsmatch::{lint, Profile, RuleSet};
//!
//! let xml = br#"<CORSConfiguration>
//!   <CORSRule><AllowedOrigin>https://*.example.com</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>
//!   <CORSRule><AllowedOrigin>https://www.example.com</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>
//!   <ResponseVary>true</ResponseVary>
//! </CORSConfiguration>"#;
//! let findings = RuleSet::from_xml(xml, Profile::Oss)?.lint();
//! assert_eq!(findings.len(), 1);
//! assert_eq!((findings[0].id, findings[0].rule), (lint::SHADOWED_RULE, Some(1)));
//! assert_eq!(findings[0].related, [0]);
//! assert!(lint::has_problems(&findings));
//! println!("{}", findings[0]); // warning shadowed-rule rule 1: the rule never applies: ...
//! # Ok::<(), corsmatch::ConfigError>(())
//! ```
//!
//! | id | severity | what |
//! |---|---|---|
//! | `shadowed-rule` | warning | the rule never applies: earlier rules match every request it matches |
//! | `overlap` | info, warning | two rules match one request but answer differently (warning when the earlier one answers `*` and the later one would echo the origin with credentials) |
//! | `origin-no-scheme` | warning | `example.com`: browsers always send the scheme |
//! | `origin-has-path` | warning | a path, query, fragment or trailing slash: browsers never send one |
//! | `origin-default-port` | warning | `:443` on https, `:80` on http: browsers omit them |
//! | `origin-uppercase` | warning | browsers send origins in lowercase |
//! | `wildcard-registrable-domain` | warning | the `*` lets another site in (`https://*example.com`, `https://example.*`, `https://*.com`, `https://*`) |
//! | `wildcard-all-with-credentials` | error | such a pattern in a rule answered with `Access-Control-Allow-Credentials` |
//! | `vary-missing` | warning | oss: `ResponseVary` is off while rules echo the origin |
//! | `header-duplicate` | info | an AllowedHeader another of the rule's already allows, or an ExposeHeader listed twice |
//! | `method-duplicate` | info | an AllowedMethod listed twice |
//! | `expose-sensitive` | warning | an ExposeHeader that carries credentials (`authorization`, `set-cookie`, `x-oss-security-token`, …) |
//! | `many-origins-in-rule` | info | the OSS guide's advice: one origin per rule |
//!
//! Findings at [`Severity::Warning`] or above are problems ([`Finding::is_problem`]); the
//! command line exits 1 when there is one.
//!
//! # Shadowed rules, decided exactly
//!
//! Rule `R` (index `i`) is shadowed iff for every request it matches, that is every origin
//! `O` one of its AllowedOrigin patterns matches, every method `m` it lists and every header
//! list `H` it allows, some earlier rule matches `(O, m, H)` too. The languages are infinite;
//! three observations make the decision finite and exact.
//!
//! **1. Headers come apart from origins and methods.** Let `U` be the header items a request
//! can carry once `Access-Control-Request-Headers` is parsed (non-empty, no `,`, no leading or
//! trailing space or tab, no ASCII capital), and `L(X)` the items rule `X`'s AllowedHeader
//! patterns match within `U`. If `R` has no AllowedHeader, the only list it allows is the empty
//! one, which every rule allows. Otherwise, for one `(O, m)` let `E` be the earlier rules
//! matching `O` and `m`: every list `R` allows is allowed by one rule of `E` iff some `j` in
//! `E` has `L(R) ⊆ L(j)`. (If none does, pick for each `j` an item of `L(R)` outside `L(j)`:
//! the list of those items, at most one per earlier rule, is allowed by `R` and by no rule of
//! `E`; with `E` empty it is the empty list.) So one earlier rule has to allow all of a list's
//! headers at once; several rules' headers taken together do not count. Whether `j`
//! header-covers `R` does not depend on `O` or `m`, so with `C(m)` the earlier rules that list
//! `m` and header-cover `R`:
//!
//! > `R` is shadowed iff for each of its methods `m`, the origin patterns of the rules of
//! > `C(m)` together match every origin some pattern of `R` matches.
//!
//! **2. A union of patterns covers a glob only if one of them does.** Both containments above
//! (origins, and `L(R) ⊆ L(j)`) ask whether the strings a pattern `r` matches are all matched
//! by some pattern of a set `P`. An exact `r` is one string: match it against `P`. For
//! `r = pr*qr` (`*` alone is `""*""`) take the witness `w = pr F qr`, where `F` is a character
//! that appears in no pattern (there are always such: the patterns are finite, and an
//! `Origin` or a header item may hold any character but a few). `r` matches `w`. An exact
//! value of `P` does not (it holds no `F`). A glob `a*b` of `P` matches `w` iff `a` is a prefix
//! of `pr` and `b` a suffix of `qr` (a longer `a` or `b` would have to contain `F`), and such a
//! glob matches every string `r` matches: it starts with `pr`, ends with `qr`, and is at least
//! `|pr| + |qr| >= |a| + |b|` long. So:
//!
//! > `r` is covered by `P` iff `P` holds `*`, or a glob `a*b` with `pr` starting with `a` and
//! > `qr` ending with `b` (for an exact `r`: iff a pattern of `P` matches it).
//!
//! For header items the question is asked within `U`: a pattern that matches no item
//! (`a,b`, ` x`, the empty string) is covered by anything; otherwise `w` is an item, with `F`
//! neither a comma, a space, a tab nor a capital, and the same reasoning holds. In other words
//! the "regions" of strings distinguished by which patterns match them need no enumeration:
//! the generic string of a glob, `pr F qr`, is in the smallest region the glob reaches.
//! Unions do matter for exact values (`https://a.com` and `https://b.com` in two earlier rules
//! cover a rule listing both) and for methods.
//!
//! **3. Methods** are a finite set: each is checked on its own (rule 0 covering GET and rule 1
//! covering PUT shadow a later GET+PUT rule).
//!
//! The cost is one containment test per pair of patterns and method, quadratic in the size of
//! the document at worst. The test suite checks the result against a brute-force enumeration
//! of requests on generated configurations.
//!
//! The matching analysed is the providers' own (strict origins off). With
//! [`Options::strict_origins`] on, a rule reported shadowed is still shadowed: strict origins
//! change nothing for the origins browsers send, and a rule with the origin `*` is covered,
//! with or without them, only by earlier rules with `*`. But browser origins are too few
//! characters for step 2's witness, so a rule that only strict origins shadow is not
//! reported; one that matches no browser origin at all is reported by `origin-no-scheme`,
//! `origin-has-path`, `origin-default-port` or `origin-uppercase`.
//!
//! # Overlap
//!
//! Two rules match a common request iff they share a method and an origin: the empty header
//! list is allowed by every rule. Two origin patterns intersect iff one's prefix starts the
//! other's and one's suffix ends the other's (an exact value: iff the other pattern matches
//! it). The request shown is built from the two patterns, a browser origin when one fits
//! (the tests check that both rules match it). An overlap is reported
//! when the answers differ: `*` against the echoed origin (and credentials), the methods
//! listed, the exposed headers or the max age. It is not reported for a shadowed rule.
//!
//! # Registrable domains
//!
//! `wildcard-registrable-domain` looks at the host part the pattern fixes after its `*`: it
//! must pin a registrable domain, that is contain a `.` followed by a domain that is not a
//! public suffix. Single labels (`com`, `cn`) are public suffixes; so are the common
//! two-label ones and well-known shared hosting domains in a short embedded list (`co.uk`,
//! `com.cn`, `github.io`, …). The full Public Suffix List is not embedded.

use std::fmt;

use crate::config::{CorsConfig, CorsRule};
use crate::pattern::{is_serialized_origin, Pattern};
use crate::{Options, Profile, RuleSet};

/// `shadowed-rule`
pub const SHADOWED_RULE: &str = "shadowed-rule";
/// `overlap`
pub const OVERLAP: &str = "overlap";
/// `origin-no-scheme`
pub const ORIGIN_NO_SCHEME: &str = "origin-no-scheme";
/// `origin-has-path`
pub const ORIGIN_HAS_PATH: &str = "origin-has-path";
/// `origin-default-port`
pub const ORIGIN_DEFAULT_PORT: &str = "origin-default-port";
/// `origin-uppercase`
pub const ORIGIN_UPPERCASE: &str = "origin-uppercase";
/// `wildcard-registrable-domain`
pub const WILDCARD_REGISTRABLE_DOMAIN: &str = "wildcard-registrable-domain";
/// `wildcard-all-with-credentials`
pub const WILDCARD_ALL_WITH_CREDENTIALS: &str = "wildcard-all-with-credentials";
/// `vary-missing`
pub const VARY_MISSING: &str = "vary-missing";
/// `header-duplicate`
pub const HEADER_DUPLICATE: &str = "header-duplicate";
/// `method-duplicate`
pub const METHOD_DUPLICATE: &str = "method-duplicate";
/// `expose-sensitive`
pub const EXPOSE_SENSITIVE: &str = "expose-sensitive";
/// `many-origins-in-rule`
pub const MANY_ORIGINS_IN_RULE: &str = "many-origins-in-rule";

/// Every finding id, in the order of the module documentation.
pub const IDS: [&str; 13] = [
    SHADOWED_RULE,
    OVERLAP,
    ORIGIN_NO_SCHEME,
    ORIGIN_HAS_PATH,
    ORIGIN_DEFAULT_PORT,
    ORIGIN_UPPERCASE,
    WILDCARD_REGISTRABLE_DOMAIN,
    WILDCARD_ALL_WITH_CREDENTIALS,
    VARY_MISSING,
    HEADER_DUPLICATE,
    METHOD_DUPLICATE,
    EXPOSE_SENSITIVE,
    MANY_ORIGINS_IN_RULE,
];

/// How much a finding matters. Ordered: `Info < Warning < Error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Worth knowing; nothing is wrong.
    Info,
    /// Probably not what was meant.
    Warning,
    /// Lets in what should not get in.
    Error,
}

impl Severity {
    /// `info`, `warning` or `error`.
    pub const fn name(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A request that shows a finding (an overlap): an actual request or a preflight with these
/// Origin, method (or Access-Control-Request-Method) and requested headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Example {
    /// The `Origin`.
    pub origin: String,
    /// The method, or the preflight's `Access-Control-Request-Method`.
    pub method: String,
    /// The `Access-Control-Request-Headers` items; empty for none.
    pub headers: Vec<String>,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The stable id, one of [`IDS`] (or, from `doctor`, of [`crate::doctor::FINDING_IDS`]).
    pub id: &'static str,
    /// How much it matters.
    pub severity: Severity,
    /// The rule (0-based); `None` for the configuration as a whole.
    pub rule: Option<usize>,
    /// The element the item is in: `AllowedOrigin`, `AllowedMethod`, `AllowedHeader` or
    /// `ExposeHeader`.
    pub element: Option<&'static str>,
    /// The item's 0-based index among the rule's values of that element.
    pub item: Option<usize>,
    /// One line saying what is wrong.
    pub message: String,
    /// One line saying what to do.
    pub fix: String,
    /// Other rules involved: the earlier rules that shadow this one, the rule it overlaps.
    pub related: Vec<usize>,
    /// A request that shows it (overlap).
    pub example: Option<Example>,
}

impl Finding {
    /// Whether it is a warning or an error.
    pub fn is_problem(&self) -> bool {
        self.severity >= Severity::Warning
    }
}

impl fmt::Display for Finding {
    /// `severity id rule N[ item M]: message (fix: ...)`, or `severity id config: ...`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} ", self.severity, self.id)?;
        match self.rule {
            Some(r) => write!(f, "rule {r}")?,
            None => f.write_str("config")?,
        }
        if let Some(i) = self.item {
            write!(f, " item {i}")?;
        }
        write!(f, ": {} (fix: {})", self.message, self.fix)
    }
}

/// Whether any finding is a warning or an error.
pub fn has_problems(findings: &[Finding]) -> bool {
    findings.iter().any(Finding::is_problem)
}

/// The findings as a JSON array, one object per finding with, in this order, `id`,
/// `severity` (`info`, `warning`, `error`), `rule`, `element`, `item` (numbers, strings or
/// null), `message`, `fix`, `related` (a list of rule indexes) and `example`
/// (`{"origin", "method", "headers"}` or null). The command line's `lint --json` prints it;
/// bindings can pass it through.
pub fn to_json(findings: &[Finding]) -> String {
    fn string(out: &mut String, s: &str) {
        out.push_str(&serde_json::to_string(s).expect("a string always serialises"));
    }
    fn number(out: &mut String, n: Option<usize>) {
        match n {
            Some(n) => out.push_str(&n.to_string()),
            None => out.push_str("null"),
        }
    }
    let mut out = String::from("[");
    for (n, f) in findings.iter().enumerate() {
        if n > 0 {
            out.push(',');
        }
        out.push_str("{\"id\":");
        string(&mut out, f.id);
        out.push_str(",\"severity\":");
        string(&mut out, f.severity.name());
        out.push_str(",\"rule\":");
        number(&mut out, f.rule);
        out.push_str(",\"element\":");
        match f.element {
            Some(e) => string(&mut out, e),
            None => out.push_str("null"),
        }
        out.push_str(",\"item\":");
        number(&mut out, f.item);
        out.push_str(",\"message\":");
        string(&mut out, &f.message);
        out.push_str(",\"fix\":");
        string(&mut out, &f.fix);
        out.push_str(",\"related\":[");
        for (k, r) in f.related.iter().enumerate() {
            if k > 0 {
                out.push(',');
            }
            out.push_str(&r.to_string());
        }
        out.push_str("],\"example\":");
        match &f.example {
            None => out.push_str("null"),
            Some(e) => {
                out.push_str("{\"origin\":");
                string(&mut out, &e.origin);
                out.push_str(",\"method\":");
                string(&mut out, &e.method);
                out.push_str(",\"headers\":[");
                for (k, h) in e.headers.iter().enumerate() {
                    if k > 0 {
                        out.push(',');
                    }
                    string(&mut out, h);
                }
                out.push_str("]}");
            }
        }
        out.push('}');
    }
    out.push(']');
    out
}

impl RuleSet {
    /// Lints the configuration the rule set was compiled from, with its options; a bucket
    /// without configuration has no findings.
    pub fn lint(&self) -> Vec<Finding> {
        self.config().map_or_else(Vec::new, |c| lint(c, self.options()))
    }
}

/// Lints a configuration. The profile and credentials come from `options`; shadowing and
/// overlap are decided for the providers' matching (see the module documentation on strict
/// origins). Findings come in rule order (configuration-wide ones first), then element and
/// item order.
pub fn lint(config: &CorsConfig, options: &Options) -> Vec<Finding> {
    let mut out = Vec::new();
    vary_missing(config, options, &mut out);
    for (index, rule) in config.rules.iter().enumerate() {
        origin_items(index, rule, options, &mut out);
        methods_dup(index, rule, &mut out);
        headers_dup(index, rule, &mut out);
        expose_items(index, rule, &mut out);
        if rule.allowed_origins.len() > 1 {
            out.push(Finding {
                id: MANY_ORIGINS_IN_RULE,
                severity: Severity::Info,
                rule: Some(index),
                element: Some("AllowedOrigin"),
                item: None,
                message: format!(
                    "the rule lists {} origins; they share one answer and cannot be tuned apart",
                    rule.allowed_origins.len()
                ),
                fix: "give each origin its own rule, as the OSS guide advises".to_string(),
                related: Vec::new(),
                example: None,
            });
        }
    }
    rule_relations(config, options, &mut out);
    let element_order = |e: Option<&str>| match e {
        None => 0,
        Some("AllowedOrigin") => 1,
        Some("AllowedMethod") => 2,
        Some("AllowedHeader") => 3,
        _ => 4,
    };
    out.sort_by_key(|f| (f.rule.map_or(0, |r| r + 1), element_order(f.element), f.item));
    out
}

// ---------------------------------------------------------------------------------------
// Items

fn origin_items(index: usize, rule: &CorsRule, options: &Options, out: &mut Vec<Finding>) {
    let echoes = !rule.allowed_origins.iter().any(|o| o == "*");
    for (item, text) in rule.allowed_origins.iter().enumerate() {
        if text == "*" {
            continue;
        }
        let mut push = |id, severity, message: String, fix: String| {
            out.push(Finding {
                id,
                severity,
                rule: Some(index),
                element: Some("AllowedOrigin"),
                item: Some(item),
                message,
                fix,
                related: Vec::new(),
                example: None,
            })
        };
        let no_scheme = lacks_scheme(text);
        if no_scheme {
            push(
                ORIGIN_NO_SCHEME,
                Severity::Warning,
                format!("origin {text:?} has no scheme; browsers send scheme://host[:port], so it never matches one"),
                format!("write \"https://{text}\" (or http:// for a site served over http)"),
            );
        }
        if let Some(cut) = path_start(text) {
            let trailing = cut + 1 == text.len() && text.ends_with('/');
            let message = if trailing {
                format!("origin {text:?} ends with a slash; browsers send origins without one, so it never matches")
            } else {
                format!("origin {text:?} has a path, query or fragment; browsers send only scheme://host[:port]")
            };
            push(ORIGIN_HAS_PATH, Severity::Warning, message, format!("write {:?}", &text[..cut]));
        }
        if let Some(port) = default_port(text) {
            push(
                ORIGIN_DEFAULT_PORT,
                Severity::Warning,
                format!("origin {text:?} names the default port {port}; browsers leave it out, so it never matches"),
                format!("write {:?}", &text[..text.len() - port.len() - 1]),
            );
        }
        if text.bytes().any(|b| b.is_ascii_uppercase()) {
            push(
                ORIGIN_UPPERCASE,
                Severity::Warning,
                format!("origin {text:?} has capital letters; browsers send origins in lowercase and the match is case-sensitive"),
                format!("write {:?}", text.to_ascii_lowercase()),
            );
        }
        if !no_scheme {
            if let Some(why) = lets_other_sites_in(text) {
                push(
                    WILDCARD_REGISTRABLE_DOMAIN,
                    Severity::Warning,
                    format!("origin {text:?}: the * {why}"),
                    "put the * before a dot and a domain you own, as in \"https://*.example.com\"".to_string(),
                );
                if echoes && options.allow_credentials {
                    push(
                        WILDCARD_ALL_WITH_CREDENTIALS,
                        Severity::Error,
                        format!(
                            "origin {text:?} lets other sites in and the rule answers them with \
                             Access-Control-Allow-Credentials: true, so their pages can read users' data"
                        ),
                        "list the sites you trust one by one, or use the origin * (answered without credentials)"
                            .to_string(),
                    );
                }
            }
        }
    }
}

/// An origin that can never start with a scheme: no `://`, not led by `*`, and a fixed start
/// that reads as a host name (`example.com`, `localhost:3000`). `http*` is left alone: the star
/// supplies the rest of the scheme.
fn lacks_scheme(text: &str) -> bool {
    if text == "null" || text.starts_with('*') || text.contains("://") {
        return false;
    }
    match Pattern::parse(text) {
        Pattern::Exact(_) => true,
        Pattern::Glob { prefix, .. } => prefix.contains(['.', ':', '/']),
        Pattern::Any => false,
    }
}

/// Where a path, query or fragment starts, when the pattern has one after its `://`: any `/`,
/// `?` or `#` after a `://` means no serialized origin matches.
fn path_start(text: &str) -> Option<usize> {
    let (prefix, suffix) = match Pattern::parse(text) {
        Pattern::Any => return None,
        Pattern::Exact(e) => (e, String::new()),
        Pattern::Glob { prefix, suffix } => (prefix, suffix),
    };
    // The `://` must be literal, in the prefix or in the suffix; one split by the star does
    // not count.
    let after = if let Some(i) = prefix.find("://") {
        i + 3
    } else {
        let i = suffix.find("://")?;
        prefix.len() + 1 + i + 3
    };
    text[after..].find(['/', '?', '#']).map(|p| after + p)
}

/// `443` for `https://…:443`, `80` for `http://…:80` (the end fixed by the pattern).
fn default_port(text: &str) -> Option<&'static str> {
    let end = match Pattern::parse(text) {
        Pattern::Any => return None,
        Pattern::Exact(e) => e,
        Pattern::Glob { suffix, .. } => suffix,
    };
    let scheme = |s: &str| text.get(..s.len()).is_some_and(|t| t.eq_ignore_ascii_case(s));
    if scheme("https://") && end.ends_with(":443") {
        Some("443")
    } else if scheme("http://") && end.ends_with(":80") {
        Some("80")
    } else {
        None
    }
}

/// Public suffixes of two labels or more, and shared hosting domains where anyone can have
/// a subdomain (a short list, not the Public Suffix List).
const PUBLIC_SUFFIXES: &[&str] = &[
    "ac.uk",
    "co.uk",
    "gov.uk",
    "org.uk",
    "com.cn",
    "edu.cn",
    "gov.cn",
    "net.cn",
    "org.cn",
    "com.hk",
    "com.tw",
    "com.sg",
    "com.au",
    "net.au",
    "org.au",
    "co.jp",
    "ne.jp",
    "or.jp",
    "co.kr",
    "co.in",
    "co.nz",
    "co.za",
    "com.br",
    "com.mx",
    "com.tr",
    "appspot.com",
    "azurewebsites.net",
    "blogspot.com",
    "cloudfront.net",
    "firebaseapp.com",
    "github.io",
    "gitlab.io",
    "herokuapp.com",
    "netlify.app",
    "pages.dev",
    "s3.amazonaws.com",
    "vercel.app",
    "web.app",
    "workers.dev",
];

fn is_public_suffix(domain: &str) -> bool {
    !domain.contains('.') || PUBLIC_SUFFIXES.contains(&domain)
}

/// Why the pattern's `*` lets in an origin of another registrable domain, if it does.
fn lets_other_sites_in(text: &str) -> Option<&'static str> {
    let Pattern::Glob { prefix, suffix } = Pattern::parse(text) else { return None };
    if suffix.contains("://") {
        return None; // the star stands for the scheme
    }
    if let Some(i) = prefix.find("://") {
        if prefix[i + 3..].contains([':', '/', '?', '#', '@']) {
            return None; // the star is in the port, or the pattern has a path (reported apart)
        }
    }
    let host_end = suffix.find([':', '/', '?', '#']).unwrap_or(suffix.len());
    let host = &suffix[..host_end];
    match host.find('.') {
        None if host.is_empty() => Some("ends the host, so any domain name can follow it"),
        None => Some("is not followed by a dot, so it completes any domain name ending the same way"),
        Some(0) if is_public_suffix(&host[1..]) => {
            Some("leaves only a public suffix fixed, so every site under it matches")
        }
        Some(0) => None,
        Some(d) if is_public_suffix(&host[d + 1..]) => {
            Some("is not followed by a dot, so it completes any domain name ending the same way")
        }
        Some(_) => None,
    }
}

fn methods_dup(index: usize, rule: &CorsRule, out: &mut Vec<Finding>) {
    for (item, m) in rule.allowed_methods.iter().enumerate() {
        if rule.allowed_methods[..item].contains(m) {
            out.push(Finding {
                id: METHOD_DUPLICATE,
                severity: Severity::Info,
                rule: Some(index),
                element: Some("AllowedMethod"),
                item: Some(item),
                message: format!("method {m} is listed twice, and twice in Access-Control-Allow-Methods"),
                fix: format!("remove the second {m}"),
                related: Vec::new(),
                example: None,
            });
        }
    }
}

/// `L(a) ⊆ L(b)` for two single patterns (no universe restriction).
fn pattern_within(a: &Pattern, b: &Pattern) -> bool {
    match (a, b) {
        (_, Pattern::Any) => true,
        (Pattern::Exact(e), b) => b.matches(e),
        (Pattern::Any, _) | (Pattern::Glob { .. }, Pattern::Exact(_)) => false,
        (Pattern::Glob { prefix: pa, suffix: sa }, Pattern::Glob { prefix: pb, suffix: sb }) => {
            pa.starts_with(pb.as_str()) && sa.ends_with(sb.as_str())
        }
    }
}

fn headers_dup(index: usize, rule: &CorsRule, out: &mut Vec<Finding>) {
    let patterns: Vec<Pattern> = rule.allowed_headers.iter().map(|h| Pattern::parse_header(h)).collect();
    for (item, text) in rule.allowed_headers.iter().enumerate() {
        let mine = &patterns[item];
        // The same pattern earlier, or a wider one anywhere.
        let by = patterns.iter().enumerate().find(|&(other, p)| {
            other != item && ((p == mine && other < item) || (p != mine && pattern_within(mine, p)))
        });
        if let Some((other, _)) = by {
            let by_text = &rule.allowed_headers[other];
            let message = if patterns[other] == *mine {
                format!("AllowedHeader {text:?} repeats {by_text:?} (header names ignore case)")
            } else {
                format!("AllowedHeader {text:?} is already allowed by {by_text:?}")
            };
            out.push(Finding {
                id: HEADER_DUPLICATE,
                severity: Severity::Info,
                rule: Some(index),
                element: Some("AllowedHeader"),
                item: Some(item),
                message,
                fix: format!("remove {text:?}"),
                related: Vec::new(),
                example: None,
            });
        }
    }
    for (item, text) in rule.expose_headers.iter().enumerate() {
        if let Some(first) = rule.expose_headers[..item].iter().find(|e| e.eq_ignore_ascii_case(text)) {
            out.push(Finding {
                id: HEADER_DUPLICATE,
                severity: Severity::Info,
                rule: Some(index),
                element: Some("ExposeHeader"),
                item: Some(item),
                message: format!("ExposeHeader {text:?} repeats {first:?} (header names ignore case)"),
                fix: format!("remove {text:?}"),
                related: Vec::new(),
                example: None,
            });
        }
    }
}

const SENSITIVE_EXACT: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "www-authenticate",
    "proxy-authenticate",
    "cookie",
    "set-cookie",
    "set-cookie2",
    "x-oss-security-token",
    "x-amz-security-token",
    "x-amz-server-side-encryption-customer-key",
    "x-amz-copy-source-server-side-encryption-customer-key",
    "x-oss-server-side-encryption-customer-key",
];
const SENSITIVE_PARTS: &[&str] = &["token", "secret", "password", "credential", "api-key", "apikey", "session"];

fn expose_items(index: usize, rule: &CorsRule, out: &mut Vec<Finding>) {
    for (item, text) in rule.expose_headers.iter().enumerate() {
        let lower = text.to_ascii_lowercase();
        if SENSITIVE_EXACT.contains(&lower.as_str()) || SENSITIVE_PARTS.iter().any(|p| lower.contains(p)) {
            out.push(Finding {
                id: EXPOSE_SENSITIVE,
                severity: Severity::Warning,
                rule: Some(index),
                element: Some("ExposeHeader"),
                item: Some(item),
                message: format!(
                    "ExposeHeader {text:?} carries credentials or session data; exposing it lets the other \
                     site's script read them"
                ),
                fix: format!("remove {text:?}; expose only what the page needs (ETag, x-oss-request-id)"),
                related: Vec::new(),
                example: None,
            });
        }
    }
}

fn vary_missing(config: &CorsConfig, options: &Options, out: &mut Vec<Finding>) {
    if options.profile != Profile::Oss || config.response_vary == Some(true) {
        return;
    }
    let echoing: Vec<usize> = config
        .rules
        .iter()
        .enumerate()
        .filter(|(_, r)| !r.allowed_origins.iter().any(|o| o == "*"))
        .map(|(i, _)| i)
        .collect();
    if echoing.is_empty() {
        return;
    }
    out.push(Finding {
        id: VARY_MISSING,
        severity: Severity::Warning,
        rule: None,
        element: None,
        item: None,
        message: format!(
            "ResponseVary is off while {} {} the request's origin; without Vary: Origin a shared cache can \
             serve one origin's answer to another",
            rule_list(&echoing),
            if echoing.len() == 1 { "echoes" } else { "echo" }
        ),
        fix: "add <ResponseVary>true</ResponseVary> to the CORSConfiguration".to_string(),
        related: echoing,
        example: None,
    });
}

fn rule_list(rules: &[usize]) -> String {
    let words: Vec<String> = rules.iter().map(usize::to_string).collect();
    match words.as_slice() {
        [one] => format!("rule {one}"),
        [init @ .., last] => format!("rules {} and {last}", init.join(", ")),
        [] => "no rule".to_string(),
    }
}

// ---------------------------------------------------------------------------------------
// Shadowing and overlap

/// A rule as the analysis sees it.
struct Parsed<'c> {
    origins: Vec<Pattern>,
    methods: Vec<&'c str>,
    /// Lowercased, deduplicated; empty when the rule has no AllowedHeader.
    headers: Vec<Pattern>,
}

impl<'c> Parsed<'c> {
    fn new(rule: &'c CorsRule) -> Parsed<'c> {
        let mut origins: Vec<Pattern> = Vec::new();
        for o in &rule.allowed_origins {
            let p = Pattern::parse(o);
            if !origins.contains(&p) {
                origins.push(p);
            }
        }
        let mut methods: Vec<&str> = Vec::new();
        for m in &rule.allowed_methods {
            if !methods.contains(&m.as_str()) {
                methods.push(m);
            }
        }
        let mut headers: Vec<Pattern> = Vec::new();
        for h in &rule.allowed_headers {
            let p = Pattern::parse_header(h);
            if !headers.contains(&p) {
                headers.push(p);
            }
        }
        Parsed { origins, methods, headers }
    }
}

/// Whether `s` can be an item of a parsed `Access-Control-Request-Headers` list.
fn is_header_item(s: &str) -> bool {
    !s.is_empty()
        && !s.contains(',')
        && !s.starts_with([' ', '\t'])
        && !s.ends_with([' ', '\t'])
        && !s.bytes().any(|b| b.is_ascii_uppercase())
}

/// Whether every string `r` matches is matched by a pattern of `others` (step 2 of the module
/// documentation); among header items only, when `items`.
fn covered(r: &Pattern, others: &[&Pattern], items: bool) -> bool {
    match r {
        Pattern::Exact(e) => (items && !is_header_item(e)) || others.iter().any(|p| p.matches(e)),
        Pattern::Any | Pattern::Glob { .. } => {
            let matches_no_item = items
                && match r {
                    Pattern::Glob { prefix, suffix } => !is_header_item(&format!("{prefix}x{suffix}")),
                    _ => false,
                };
            matches_no_item || others.iter().any(|p| pattern_within(r, p))
        }
    }
}

/// A string both patterns match, as readable as the patterns allow, or `None` when their
/// languages are disjoint.
fn common_origin(a: &Pattern, b: &Pattern) -> Option<String> {
    let glob_witness = |p: &str, q: &str| -> String {
        ["www", "x", ""]
            .iter()
            .map(|fill| format!("{p}{fill}{q}"))
            .find(|s| is_serialized_origin(s))
            .unwrap_or_else(|| format!("{p}x{q}"))
    };
    match (a, b) {
        (Pattern::Any, Pattern::Any) => Some("https://www.example.com".to_string()),
        (Pattern::Exact(e), other) | (other, Pattern::Exact(e)) => other.matches(e).then(|| e.clone()),
        (Pattern::Any, Pattern::Glob { prefix, suffix }) | (Pattern::Glob { prefix, suffix }, Pattern::Any) => {
            Some(glob_witness(prefix, suffix))
        }
        (Pattern::Glob { prefix: p1, suffix: q1 }, Pattern::Glob { prefix: p2, suffix: q2 }) => {
            let p = if p1.starts_with(p2.as_str()) {
                p1
            } else if p2.starts_with(p1.as_str()) {
                p2
            } else {
                return None;
            };
            let q = if q1.ends_with(q2.as_str()) {
                q1
            } else if q2.ends_with(q1.as_str()) {
                q2
            } else {
                return None;
            };
            Some(glob_witness(p, q))
        }
    }
}

/// A common origin of two rules, preferring one a browser could send.
fn common_rule_origin(a: &Parsed<'_>, b: &Parsed<'_>) -> Option<String> {
    let mut fallback = None;
    for pa in &a.origins {
        for pb in &b.origins {
            if let Some(o) = common_origin(pa, pb) {
                if is_serialized_origin(&o) {
                    return Some(o);
                }
                fallback.get_or_insert(o);
            }
        }
    }
    fallback
}

/// Whether every header list rule `r` allows is allowed by rule `j` (step 1).
fn header_covers(r: &Parsed<'_>, j: &Parsed<'_>) -> bool {
    let others: Vec<&Pattern> = j.headers.iter().collect();
    r.headers.iter().all(|h| covered(h, &others, true))
}

/// The earlier rules that shadow rule `i`, or `None` when some request reaches it.
fn shadowed_by(rules: &[Parsed<'_>], i: usize) -> Option<Vec<usize>> {
    let r = &rules[i];
    let hc: Vec<bool> = rules[..i].iter().map(|j| header_covers(r, j)).collect();
    let mut used = vec![false; i];
    for m in &r.methods {
        let c: Vec<usize> = (0..i).filter(|&j| hc[j] && rules[j].methods.contains(m)).collect();
        let others: Vec<&Pattern> = c.iter().flat_map(|&j| rules[j].origins.iter()).collect();
        if !r.origins.iter().all(|o| covered(o, &others, false)) {
            return None;
        }
        c.iter().for_each(|&j| used[j] = true);
    }
    // Name only the rules that share an origin with this one.
    Some((0..i).filter(|&j| used[j] && common_rule_origin(r, &rules[j]).is_some()).collect())
}

/// What a rule answers, apart from what the request itself decides.
#[derive(PartialEq, Eq)]
struct Answer {
    wildcard: bool,
    methods: String,
    expose: String,
    max_age: Option<u32>,
}

impl Answer {
    fn of(rule: &CorsRule) -> Answer {
        Answer {
            wildcard: rule.allowed_origins.iter().any(|o| o == "*"),
            methods: rule.allowed_methods.join(", "),
            expose: rule.expose_headers.join(", "),
            max_age: rule.max_age_seconds,
        }
    }
}

fn answer_differences(a: &Answer, b: &Answer, ia: usize, ib: usize, credentials: bool) -> Vec<String> {
    let origin = |w: bool| {
        if w {
            "*".to_string()
        } else if credentials {
            "the origin, with credentials".to_string()
        } else {
            "the origin".to_string()
        }
    };
    let list = |s: &str| if s.is_empty() { "none".to_string() } else { format!("{s:?}") };
    let age = |a: Option<u32>| a.map_or("none".to_string(), |a| a.to_string());
    let mut out = Vec::new();
    if a.wildcard != b.wildcard {
        out.push(format!("Allow-Origin {} (rule {ia}) against {} (rule {ib})", origin(a.wildcard), origin(b.wildcard)));
    }
    if a.methods != b.methods {
        out.push(format!("Allow-Methods {} against {}", list(&a.methods), list(&b.methods)));
    }
    if a.expose != b.expose {
        out.push(format!("Expose-Headers {} against {}", list(&a.expose), list(&b.expose)));
    }
    if a.max_age != b.max_age {
        out.push(format!("Max-Age {} against {}", age(a.max_age), age(b.max_age)));
    }
    out
}

fn rule_relations(config: &CorsConfig, options: &Options, out: &mut Vec<Finding>) {
    let rules: Vec<Parsed<'_>> = config.rules.iter().map(Parsed::new).collect();
    let answers: Vec<Answer> = config.rules.iter().map(Answer::of).collect();
    let shadows: Vec<Option<Vec<usize>>> =
        (0..rules.len()).map(|i| (i > 0).then(|| shadowed_by(&rules, i)).flatten()).collect();
    let shadowed: Vec<bool> = shadows.iter().map(Option::is_some).collect();
    for (i, by) in shadows.into_iter().enumerate() {
        let Some(by) = by else { continue };
        out.push(Finding {
            id: SHADOWED_RULE,
            severity: Severity::Warning,
            rule: Some(i),
            element: None,
            item: None,
            message: if by.is_empty() {
                "the rule never applies: it has no AllowedOrigin or no AllowedMethod".to_string()
            } else {
                format!(
                    "the rule never applies: {} {} every request it matches (origin, method and headers), \
                     and the first match wins",
                    rule_list(&by),
                    if by.len() == 1 { "matches" } else { "match" }
                )
            },
            fix: "remove the rule, or move it above the rules that cover it if its answer should win".to_string(),
            related: by,
            example: None,
        });
    }
    for k in 1..rules.len() {
        if shadowed[k] {
            continue;
        }
        for i in 0..k {
            if shadowed[i] {
                continue;
            }
            let (a, b) = (&answers[i], &answers[k]);
            if a == b {
                continue;
            }
            let Some(method) = rules[k].methods.iter().find(|m| rules[i].methods.contains(m)) else { continue };
            let Some(origin) = common_rule_origin(&rules[i], &rules[k]) else { continue };
            let diffs = answer_differences(a, b, i, k, options.allow_credentials);
            let severity =
                if a.wildcard && !b.wildcard && options.allow_credentials { Severity::Warning } else { Severity::Info };
            out.push(Finding {
                id: OVERLAP,
                severity,
                rule: Some(k),
                element: None,
                item: None,
                message: format!(
                    "rules {i} and {k} both match a {method} request from {origin:?} without \
                     Access-Control-Request-Headers, and rule {i} is checked first; they answer differently: {}",
                    diffs.join("; ")
                ),
                fix: format!("narrow rule {i} or rule {k} so that they share no request, or give them the same answer"),
                related: vec![i],
                example: Some(Example { origin, method: method.to_string(), headers: Vec::new() }),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn glob(s: &str) -> Pattern {
        Pattern::parse(s)
    }

    fn cov(r: &str, others: &[&str]) -> bool {
        let others: Vec<Pattern> = others.iter().map(|s| glob(s)).collect();
        covered(&glob(r), &others.iter().collect::<Vec<_>>(), false)
    }

    #[test]
    fn containment_examples() {
        assert!(cov("a*", &["a*"]));
        assert!(cov("ab*", &["a*"]));
        assert!(!cov("a*", &["ab*"]));
        // a*a is "aa" and "a" x "a" for any x; "a~a" escapes all of these.
        assert!(!cov("a*a", &["aa", "aba", "a*aa"]));
        assert!(cov("ab*ba", &["a*bba", "ab*a"]));
        assert!(cov("x", &["*x"]));
        assert!(!cov("*", &["a*", "*a"]));
        assert!(cov("*", &["a*", "*"]));
        // "ab" is matched by a*b only because the star may match nothing.
        assert!(cov("ab", &["a*b"]));
        assert!(!cov("a", &["a*a"]));
        assert!(cov("a*b", &["a*", "*b"]));
        assert!(!cov("a*", &["a*b", "a", "a*a"]));
        // Header items: a pattern no item can match is covered by nothing at all.
        for never in ["a,b", " x*", "*x ", ""] {
            assert!(covered(&Pattern::parse_header(never), &[], true), "{never:?}");
        }
        assert!(!covered(&Pattern::parse_header("a b*"), &[], true));
    }

    #[test]
    fn registrable_domains() {
        for bad in
            ["https://*example.com", "https://example.*", "https://*", "https://*.com", "http*", "https://*:8443"]
        {
            assert!(lets_other_sites_in(bad).is_some(), "{bad}");
        }
        for ok in [
            "https://*.example.com",
            "*.example.com",
            "https://a*b.example.com",
            "*://example.com",
            "http://localhost:*",
        ] {
            assert!(lets_other_sites_in(ok).is_none(), "{ok}");
        }
    }
}
