//! `corsmatch lint`: the lint findings of a configuration, as text (one line each), JSON,
//! GitHub workflow annotations or SARIF.
//!
//! Exit codes: 0 when no finding is a warning or an error, 1 otherwise (an invalid
//! configuration is reported by the caller, as `check` does, also with 1).
//!
//! For an XML document the text and JSON are what they always were. For the other forms each
//! finding also says where it is in the user's file: text lines start with `FILE:LINE:COL:`
//! (and the resource, for a template or a plan), JSON objects gain a `location`.

use std::process::ExitCode;

use corsmatch::formats::{Bucket, Location};
use corsmatch::lint::{self, Finding, Severity};
use corsmatch::RuleSet;

/// One bucket to lint: its rule set, where it came from (`None` without configuration), and
/// the doctor's findings to add (`--sdk`).
pub struct Target {
    pub set: RuleSet,
    pub bucket: Option<Bucket>,
    pub extra: Vec<Finding>,
}

/// Lints each target, prints the findings in `format` (`text`, `json`, `github`, `sarif`)
/// and gives the exit code. `file` is the configuration's path, for locations.
pub fn run(targets: &[Target], format: &str, file: Option<&str>) -> ExitCode {
    let (text, code) = report_all(targets, format, file);
    print!("{text}");
    ExitCode::from(code)
}

/// A finding with where it is, when the form says.
struct Located<'a> {
    finding: &'a Finding,
    location: Option<Location>,
    /// Whether the location is printed in the text and JSON forms (not for XML, whose output
    /// stays as it was).
    shown: bool,
}

fn locate<'a>(target: &Target, finding: &'a Finding) -> Located<'a> {
    let Some(bucket) = &target.bucket else { return Located { finding, location: None, shown: false } };
    let location = match finding.rule {
        Some(rule) => bucket.locate(rule, finding.element, finding.item),
        None => bucket.location(),
    };
    Located { finding, location, shown: bucket.tool.is_some() }
}

/// The text to print and the exit code: 0 with no warning or error, 1 otherwise.
pub fn report_all(targets: &[Target], format: &str, file: Option<&str>) -> (String, u8) {
    let findings: Vec<Vec<Finding>> = targets
        .iter()
        .map(|t| {
            let mut f = t.set.lint();
            f.extend(t.extra.iter().cloned());
            f
        })
        .collect();
    let located: Vec<Located<'_>> =
        targets.iter().zip(&findings).flat_map(|(t, fs)| fs.iter().map(move |f| locate(t, f))).collect();
    let problem = located.iter().any(|l| l.finding.is_problem());
    let file = file.unwrap_or("-");
    let text = match format {
        "json" => json(&located, &findings),
        "github" => located.iter().map(|l| github(l, file)).collect(),
        "sarif" => sarif(&located, file),
        _ => located
            .iter()
            .map(|l| match (&l.location, l.shown) {
                (Some(at), true) => format!("{}: {}\n", prefix(at, file), l.finding),
                _ => format!("{}\n", l.finding),
            })
            .collect(),
    };
    (text, u8::from(problem))
}

/// `FILE:LINE:COL` (or `FILE`), then the resource and path when there is a resource.
fn prefix(at: &Location, file: &str) -> String {
    let mut p = if at.pos.line > 0 { format!("{file}:{}:{}", at.pos.line, at.pos.column) } else { file.to_string() };
    if let Some(r) = &at.resource {
        p.push_str(&format!(": {r}"));
        if !at.path.is_empty() {
            p.push_str(&format!(" {}", at.path));
        }
    }
    p
}

/// `corsmatch::lint::to_json`, the array the bindings return too; each object gains a
/// `location` for the forms other than XML.
fn json(located: &[Located<'_>], findings: &[Vec<Finding>]) -> String {
    let all: Vec<Finding> = findings.iter().flatten().cloned().collect();
    let mut s = lint::to_json(&all);
    if located.iter().any(|l| l.shown) {
        let mut v: serde_json::Value = serde_json::from_str(&s).expect("lint::to_json writes JSON");
        for (obj, l) in v.as_array_mut().expect("an array").iter_mut().zip(located) {
            if let Some(at) = l.location.as_ref().filter(|_| l.shown) {
                obj["location"] = crate::location_json(at);
            }
        }
        s = serde_json::to_string(&v).expect("serialising JSON cannot fail");
    }
    s.push('\n');
    s
}

/// A GitHub Actions workflow command: `::warning file=F,line=L,col=C,title=ID::MESSAGE`.
fn github(l: &Located<'_>, file: &str) -> String {
    // Workflow commands escape %, CR and LF in the message, and also : and , in properties.
    let data = |s: &str| s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A");
    let prop = |s: &str| data(s).replace(':', "%3A").replace(',', "%2C");
    let f = l.finding;
    let level = match f.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "notice",
    };
    let mut props = vec![format!("file={}", prop(file))];
    let mut where_ = String::new();
    if let Some(at) = &l.location {
        if at.pos.line > 0 {
            props.push(format!("line={}", at.pos.line));
            props.push(format!("col={}", at.pos.column));
        }
        if let Some(r) = &at.resource {
            where_ = format!("{r}: ");
        }
    }
    props.push(format!("title={}", prop(&format!("corsmatch {}", f.id))));
    let rule = f.rule.map_or_else(|| "config".to_string(), |r| format!("rule {r}"));
    let message = format!("{where_}{rule}: {} (fix: {})", f.message, f.fix);
    format!("::{level} {}::{}\n", props.join(","), data(&message))
}

/// SARIF 2.1.0: one run, the lint ids as rules, one result per finding.
fn sarif(located: &[Located<'_>], file: &str) -> String {
    let mut ids: Vec<&str> = Vec::new();
    for l in located {
        if !ids.contains(&l.finding.id) {
            ids.push(l.finding.id);
        }
    }
    let rules: Vec<serde_json::Value> = ids
        .iter()
        .map(|id| serde_json::json!({"id": id, "name": id, "helpUri": "https://example.invalid/corsmatch#lint"}))
        .collect();
    let results: Vec<serde_json::Value> = located
        .iter()
        .map(|l| {
            let f = l.finding;
            let level = match f.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Info => "note",
            };
            let mut physical = serde_json::json!({"artifactLocation": {"uri": file}});
            let mut logical = Vec::new();
            if let Some(at) = &l.location {
                if at.pos.line > 0 {
                    physical["region"] = serde_json::json!({"startLine": at.pos.line, "startColumn": at.pos.column});
                }
                let name = match (&at.resource, at.path.is_empty()) {
                    (Some(r), false) => Some(format!("{r}.{}", at.path)),
                    (Some(r), true) => Some(r.clone()),
                    (None, false) => Some(at.path.clone()),
                    (None, true) => None,
                };
                if let Some(name) = name {
                    logical.push(serde_json::json!({"fullyQualifiedName": name}));
                }
            }
            let mut location = serde_json::json!({"physicalLocation": physical});
            if !logical.is_empty() {
                location["logicalLocations"] = serde_json::Value::Array(logical);
            }
            serde_json::json!({
                "ruleId": f.id,
                "ruleIndex": ids.iter().position(|i| *i == f.id),
                "level": level,
                "message": {"text": format!("{} (fix: {})", f.message, f.fix)},
                "locations": [location],
                "properties": {"rule": f.rule, "element": f.element, "item": f.item, "related": f.related},
            })
        })
        .collect();
    let doc = serde_json::json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "corsmatch", "version": corsmatch::VERSION, "rules": rules}},
            "results": results,
        }],
    });
    let mut s = serde_json::to_string_pretty(&doc).expect("serialising JSON cannot fail");
    s.push('\n');
    s
}

/// One rule set's findings (then `extra`), as text or JSON: what `lint` prints for an XML
/// document.
#[cfg(test)]
pub fn report(set: &RuleSet, json: bool, extra: Vec<Finding>) -> (String, u8) {
    let target = Target { set: set.clone(), bucket: None, extra };
    report_all(std::slice::from_ref(&target), if json { "json" } else { "text" }, None)
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
