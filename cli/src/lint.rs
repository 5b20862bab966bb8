//! `corsmatch lint`: the lint findings of a configuration, one line each or as a JSON array.
//!
//! Exit codes: 0 when no finding is a warning or an error, 1 otherwise (an invalid
//! configuration is reported by the caller, as `check` does, also with 1).

use std::process::ExitCode;

use corsmatch::lint;
use corsmatch::RuleSet;

/// Lints the rule set's configuration, prints the findings (then `extra`, the doctor's) and
/// gives the exit code.
pub fn run(set: &RuleSet, json: bool, extra: Vec<lint::Finding>) -> ExitCode {
    let (text, code) = report(set, json, extra);
    print!("{text}");
    ExitCode::from(code)
}

/// The text to print and the exit code: 0 with no warning or error, 1 otherwise. JSON is
/// [`corsmatch::lint::to_json`], the array the bindings return too.
pub fn report(set: &RuleSet, json: bool, extra: Vec<lint::Finding>) -> (String, u8) {
    let mut findings = set.lint();
    findings.extend(extra);
    let text = if json {
        let mut s = lint::to_json(&findings);
        s.push('\n');
        s
    } else {
        findings.iter().map(|f| format!("{f}\n")).collect()
    };
    (text, u8::from(lint::has_problems(&findings)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use corsmatch::Profile;

    fn set(xml: &str) -> RuleSet {
        RuleSet::from_xml(xml.as_bytes(), Profile::Oss).expect("a valid configuration")
    }

    const SHADOWED: &str = "<CORSConfiguration>\
        <CORSRule><AllowedOrigin>https://*.a.com</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>\
        <CORSRule><AllowedOrigin>https://www.a.com</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>\
        <ResponseVary>true</ResponseVary></CORSConfiguration>";

    #[test]
    fn one_line_per_finding_and_exit_1_on_a_warning() {
        let (text, code) = report(&set(SHADOWED), false, Vec::new());
        assert_eq!(code, 1);
        assert_eq!(
            text,
            "warning shadowed-rule rule 1: the rule never applies: rule 0 matches every request it matches \
             (origin, method and headers), and the first match wins (fix: remove the rule, or move it above the \
             rules that cover it if its answer should win)\n"
        );
    }

    #[test]
    fn json_array() {
        let (text, code) = report(&set(SHADOWED), true, Vec::new());
        assert_eq!(code, 1);
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        let list = v.as_array().unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0]["id"], "shadowed-rule");
        assert_eq!(list[0]["severity"], "warning");
        assert_eq!(list[0]["rule"], 1);
        assert_eq!(list[0]["item"], serde_json::Value::Null);
        assert_eq!(list[0]["related"], serde_json::json!([0]));
    }

    #[test]
    fn info_only_exits_0() {
        let xml = "<CORSConfiguration>\
            <CORSRule><AllowedOrigin>https://a.com</AllowedOrigin><AllowedMethod>GET</AllowedMethod>\
            <AllowedMethod>PUT</AllowedMethod></CORSRule>\
            <CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>\
            <ResponseVary>true</ResponseVary></CORSConfiguration>";
        let (text, code) = report(&set(xml), true, Vec::new());
        assert_eq!(code, 0);
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v[0]["id"], "overlap");
        assert_eq!(v[0]["severity"], "info");
        assert_eq!(v[0]["example"], serde_json::json!({"origin": "https://a.com", "method": "GET", "headers": []}));
        let clean = "<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin>\
            <AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>";
        assert_eq!(report(&set(clean), false, Vec::new()), (String::new(), 0));
        assert_eq!(report(&set(clean), true, Vec::new()), ("[]\n".to_string(), 0));
        assert_eq!(report(&RuleSet::no_config(Profile::Oss), false, Vec::new()), (String::new(), 0));
    }
}
