//! Near misses: an `AllowedOrigin` that was meant for the page's origin but can never match
//! what a browser sends.

use crate::reference::origin_matches;
use crate::CorsRule;

/// How an `AllowedOrigin` misses the origin, and what to write instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NearMiss {
    /// The rule's 0-based index.
    pub rule: usize,
    /// The `AllowedOrigin` as written.
    pub written: String,
    /// What to write: it matches the origin.
    pub corrected: String,
    /// Whether `corrected` replaces `written` (it could never match a browser) or goes
    /// beside it (`written` is a valid origin of another scheme).
    pub replace: bool,
    /// Why it misses, as a clause: `it has a trailing slash; a browser never sends one`.
    pub why: String,
}

/// The first `AllowedOrigin` of `rules` that misses `origin` only by something a browser
/// never sends (a path or trailing slash, a default port, capitals, no scheme, blanks), or by
/// its scheme.
pub(crate) fn near_miss(rules: &[CorsRule], origin: &str) -> Option<NearMiss> {
    let matches = |pattern: &str| {
        let probe = CorsRule { allowed_origins: vec![pattern.to_string()], ..CorsRule::default() };
        origin_matches(&probe, origin, false)
    };
    for (rule, r) in rules.iter().enumerate() {
        for written in &r.allowed_origins {
            if let Some((corrected, why)) = corrections(written).into_iter().find(|(c, _)| matches(c)) {
                return Some(NearMiss { rule, written: written.clone(), corrected, replace: true, why });
            }
        }
    }
    // A scheme apart: the written origin is a real one, so the fix adds rather than replaces.
    for (rule, r) in rules.iter().enumerate() {
        for written in &r.allowed_origins {
            for (from, to) in [("https://", "http://"), ("http://", "https://")] {
                let Some(rest) = written.strip_prefix(from) else { continue };
                let other = format!("{to}{rest}");
                if matches(&other) {
                    let why = format!(
                        "it is {} and the page is {}; browsers tell the two apart",
                        from.trim_end_matches("://"),
                        to.trim_end_matches("://")
                    );
                    return Some(NearMiss { rule, written: written.clone(), corrected: other, replace: false, why });
                }
            }
        }
    }
    None
}

/// The spellings a browser could match, each correction on top of the ones before, each with
/// every reason so far that the written one does not.
fn corrections(written: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut reasons: Vec<String> = Vec::new();
    let mut all = written.trim_matches(|c: char| c.is_ascii_whitespace()).to_string();
    let mut note = |text: &str, why: String, out: &mut Vec<(String, String)>| {
        reasons.push(why);
        out.push((text.to_string(), format!("it {}", reasons.join(", and "))));
    };
    if all != written {
        note(&all, "has blanks around it; they are part of the value".into(), &mut out);
    }
    if all.bytes().any(|b| b.is_ascii_uppercase()) {
        all = all.to_ascii_lowercase();
        note(&all, "has capital letters; a browser sends origins in lowercase".into(), &mut out);
    }
    if let Some(start) = all.find("://").map(|i| i + 3) {
        if let Some(slash) = all[start..].find(['/', '?', '#']) {
            let why = if &all[start + slash..] == "/" {
                "has a trailing slash; a browser never sends one"
            } else {
                "has a path; a browser sends only scheme://host[:port]"
            };
            all.truncate(start + slash);
            note(&all, why.into(), &mut out);
        }
    }
    for (scheme, port) in [("http://", ":80"), ("https://", ":443")] {
        if all.starts_with(scheme) && all.ends_with(port) {
            all.truncate(all.len() - port.len());
            note(&all, format!("names the default port {}; a browser leaves it out", &port[1..]), &mut out);
        }
    }
    if !all.contains("://") && all != "*" {
        let mut why = reasons.clone();
        why.push("has no scheme; a browser always sends one".into());
        let why = format!("it {}", why.join(", and "));
        for scheme in ["https://", "http://"] {
            out.push((format!("{scheme}{all}"), why.clone()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(origins: &[&str]) -> Vec<CorsRule> {
        vec![
            CorsRule { allowed_origins: vec!["https://other.example".into()], ..CorsRule::default() },
            CorsRule { allowed_origins: origins.iter().map(|s| s.to_string()).collect(), ..CorsRule::default() },
        ]
    }

    fn miss(written: &str, origin: &str) -> Option<(String, bool, String)> {
        near_miss(&rules(&[written]), origin).map(|m| {
            assert_eq!((m.rule, m.written.as_str()), (1, written));
            (m.corrected, m.replace, m.why)
        })
    }

    #[test]
    fn each_classic_mistake_is_named_and_corrected() {
        let o = "https://app.example.com";
        let cases = [
            ("https://app.example.com/", o, "trailing slash"),
            ("https://app.example.com/upload", o, "has a path"),
            ("https://app.example.com:443", o, "default port 443"),
            ("HTTPS://App.Example.com", o, "capital letters"),
            ("app.example.com", o, "no scheme"),
            (" https://app.example.com", o, "blanks"),
            ("*.example.com", o, "no scheme"),
            ("https://*.example.com/", o, "trailing slash"),
            (
                "HTTP://APP.example.com:80/",
                "http://app.example.com",
                "capital letters; a browser sends origins in lowercase, and has a trailing slash",
            ),
        ];
        for (written, origin, why) in cases {
            let (corrected, replace, got) = miss(written, origin).unwrap_or_else(|| panic!("{written}"));
            assert!(replace, "{written}");
            assert!(got.contains(why), "{written}: {got}");
            let probe = CorsRule { allowed_origins: vec![corrected.clone()], ..CorsRule::default() };
            assert!(origin_matches(&probe, origin, true), "{written} -> {corrected}");
        }
    }

    #[test]
    fn another_scheme_is_added_beside_not_replaced() {
        let (corrected, replace, why) = miss("https://app.example.com", "http://app.example.com").unwrap();
        assert_eq!((corrected.as_str(), replace), ("http://app.example.com", false));
        assert!(why.contains("https and the page is http"), "{why}");
    }

    #[test]
    fn unrelated_origins_are_no_near_miss() {
        assert_eq!(miss("https://app.example.com/", "https://evil.example"), None);
        assert_eq!(miss("https://*.example.com", "https://example.com"), None);
        assert_eq!(miss("https://app.example.com", "https://app.example.com.evil"), None);
    }
}
