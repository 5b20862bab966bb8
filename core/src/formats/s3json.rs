//! The S3 console's JSON (a bare array of rules) and the AWS CLI's (`{"CORSRules": [...]}`,
//! or the `--cli-input-json` skeleton `{"Bucket": .., "CORSConfiguration": {"CORSRules": ..}}`).
//!
//! - **AWS CLI**: botocore validates the parameters against S3's model before sending
//!   (`ParamValidationError`): unknown keys, missing `AllowedMethods`/`AllowedOrigins`, and
//!   types (`MaxAgeSeconds` must be an integer, lists must be lists of strings). Every problem
//!   is reported, in botocore's order and words. It then writes each value with Python's
//!   `str()`, so `true` as `MaxAgeSeconds` is sent as `True`.
//! - **S3 console**: its editor takes the array and sends it; nothing public says it checks
//!   more than the JSON syntax. corsmatch answers what S3 answers for the document: a key
//!   S3's schema does not have, or a value that is not a list of strings where one is
//!   needed, is `MalformedXML` [choice]. Scalars are sent as their text.

use super::json::SyntaxError;
use super::node::{Node, Value};
use super::{at, Form, Item, LoadError, LoadErrorKind, Location, RawConfig, RawRule, S3_NAMESPACE};
use crate::error::ConfigError;

pub(crate) const CONSOLE: &str = "S3 console";
pub(crate) const CLI: &str = "AWS CLI";

/// S3's `CORSRule` members, in the model's order (botocore lists them so), and the element
/// each becomes (`None`: `ID` and `MaxAgeSeconds`, which are not lists).
const MEMBERS: [(&str, Option<usize>); 6] = [
    ("ID", None),
    ("AllowedHeaders", Some(2)),
    ("AllowedMethods", Some(1)),
    ("AllowedOrigins", Some(0)),
    ("ExposeHeaders", Some(3)),
    ("MaxAgeSeconds", None),
];

pub(crate) fn syntax_error(form: Form, e: SyntaxError) -> LoadError {
    if form == Form::CliJson {
        let location = Location { resource: None, path: String::new(), pos: e.pos };
        // awscli's argprocess: "Error parsing parameter '--cors-configuration': Invalid JSON: ..."
        let message = format!("Error parsing parameter '--cors-configuration': Invalid JSON: {}", e.message);
        LoadError::tool(CLI, message, Some(location))
    } else {
        LoadError::syntax(form, e)
    }
}

pub(crate) fn read(root: &Node, form: Form) -> Result<super::Bucket, LoadError> {
    let raw = if form == Form::Json { console(root)? } else { cli(root)? };
    Ok(super::Bucket {
        resource: None,
        provider: Some(crate::Profile::S3),
        tool: Some(if form == Form::Json { CONSOLE } else { CLI }),
        notes: Vec::new(),
        body: super::Body::Raw(raw),
    })
}

// ---------------------------------------------------------------------------------------
// The console

fn malformed(detail: String, at: Location) -> LoadError {
    LoadError::new(LoadErrorKind::Provider(ConfigError::malformed(detail, false)), Some(at))
}

fn console(root: &Node) -> Result<RawConfig, LoadError> {
    let none = None;
    let Some(items) = root.as_seq() else {
        return Err(LoadError::tool(
            CONSOLE,
            "the CORS editor takes a JSON array of rules ([{\"AllowedOrigins\": [...], ...}])",
            Some(at(&none, "", root.pos)),
        ));
    };
    let mut rules = Vec::new();
    for (i, node) in items.iter().enumerate() {
        let path = format!("[{i}]");
        if node.as_map().is_none() {
            return Err(malformed(
                format!("rule {i} is {}, not an object", node.type_name()),
                at(&none, path, node.pos),
            ));
        }
        let mut rule = RawRule { id: None, lists: Default::default(), max_age: None, at: at(&none, &path, node.pos) };
        for (key, k, v) in node.fields() {
            let p = super::join(&path, key);
            let Some((_, slot)) = MEMBERS.iter().find(|(m, _)| *m == key) else {
                return Err(malformed(format!("S3's CORSRule has no element {key:?}"), at(&none, p, k.pos)));
            };
            if v.is_null() {
                continue;
            }
            match slot {
                Some(list) => {
                    let Some(values) = v.as_seq() else {
                        return Err(malformed(format!("{key} is {}, not a list", v.type_name()), at(&none, p, v.pos)));
                    };
                    for (j, x) in values.iter().enumerate() {
                        let ip = format!("{p}[{j}]");
                        let Some(text) = x.scalar_text() else {
                            return Err(malformed(
                                format!("{key}[{j}] is {}, not a string", x.type_name()),
                                at(&none, ip, x.pos),
                            ));
                        };
                        rule.lists[*list].push(Item { text, at: at(&none, ip, x.pos) });
                    }
                }
                None => {
                    let Some(text) = v.scalar_text() else {
                        return Err(malformed(format!("{key} is {}, not a value", v.type_name()), at(&none, p, v.pos)));
                    };
                    let item = Some(Item { text, at: at(&none, p, v.pos) });
                    if key == "ID" {
                        rule.id = item;
                    } else {
                        rule.max_age = item;
                    }
                }
            }
        }
        rules.push(rule);
    }
    Ok(RawConfig { rules, at: at(&none, "", root.pos), namespace: Some(S3_NAMESPACE) })
}

// ---------------------------------------------------------------------------------------
// The AWS CLI: botocore's parameter validation, then its serialisation

/// What botocore reports, in its order, with where the first one is.
#[derive(Default)]
struct Report {
    messages: Vec<String>,
    first: Option<Location>,
}

impl Report {
    fn add(&mut self, message: String, at: Location) {
        if self.first.is_none() {
            self.first = Some(at);
        }
        self.messages.push(message);
    }

    fn invalid_type(&mut self, name: &str, v: &Node, valid: &str, at: Location) {
        let message = format!(
            "Invalid type for parameter {name}, value: {}, type: {}, valid types: {valid}",
            py_str(v),
            py_type(v)
        );
        self.add(message, at);
    }
}

const STR: &str = "<class 'str'>";
const INT: &str = "<class 'int'>";
const LIST: &str = "<class 'list'>, <class 'tuple'>";
const DICT: &str = "<class 'dict'>";

fn cli(root: &Node) -> Result<RawConfig, LoadError> {
    let none = None;
    // The skeleton of `--cli-input-json` wraps the configuration; its other members (the
    // bucket, checksums) are not CORS.
    let (config, base) = match root.get("CORSConfiguration") {
        Some(c) if root.get("CORSRules").is_none() => (c, "CORSConfiguration"),
        _ => (root, ""),
    };
    let name = "CORSConfiguration";
    let mut report = Report::default();
    let mut rules = Vec::new();
    if config.as_map().is_none() {
        report.invalid_type(name, config, DICT, at(&none, base, config.pos));
    } else {
        if config.get("CORSRules").is_none() {
            report.add(format!("Missing required parameter in {name}: \"CORSRules\""), at(&none, base, config.pos));
        }
        for (key, k, _) in config.fields() {
            if key != "CORSRules" {
                report.add(
                    format!("Unknown parameter in {name}: \"{key}\", must be one of: CORSRules"),
                    at(&none, super::join(base, key), k.pos),
                );
            }
        }
        if let Some((_, list)) = config.entry("CORSRules") {
            let lname = format!("{name}.CORSRules");
            let lpath = super::join(base, "CORSRules");
            match list.as_seq() {
                None => report.invalid_type(&lname, list, LIST, at(&none, &lpath, list.pos)),
                Some(items) => {
                    for (i, item) in items.iter().enumerate() {
                        let rname = format!("{lname}[{i}]");
                        let rpath = format!("{lpath}[{i}]");
                        if let Some(rule) = cli_rule(item, &rname, &rpath, &mut report) {
                            rules.push(rule);
                        }
                    }
                }
            }
        }
    }
    if !report.messages.is_empty() {
        let message = format!("Parameter validation failed:\n{}", report.messages.join("\n"));
        return Err(LoadError::tool(CLI, message, report.first));
    }
    let list_at = config.get("CORSRules").map_or(config.pos, |l| l.pos);
    Ok(RawConfig { rules, at: at(&none, super::join(base, "CORSRules"), list_at), namespace: Some(S3_NAMESPACE) })
}

fn cli_rule(item: &Node, name: &str, path: &str, report: &mut Report) -> Option<RawRule> {
    let none = None;
    if item.as_map().is_none() {
        report.invalid_type(name, item, DICT, at(&none, path, item.pos));
        return None;
    }
    let before = report.messages.len();
    for required in ["AllowedMethods", "AllowedOrigins"] {
        if item.get(required).is_none() {
            report.add(format!("Missing required parameter in {name}: \"{required}\""), at(&none, path, item.pos));
        }
    }
    let fields = item.fields();
    let valid: Vec<&str> = MEMBERS.iter().map(|(m, _)| *m).collect();
    for (key, k, _) in &fields {
        if !valid.contains(key) {
            report.add(
                format!("Unknown parameter in {name}: \"{key}\", must be one of: {}", valid.join(", ")),
                at(&none, super::join(path, key), k.pos),
            );
        }
    }
    let mut rule = RawRule { id: None, lists: Default::default(), max_age: None, at: at(&none, path, item.pos) };
    for (key, _, v) in fields {
        let Some((_, slot)) = MEMBERS.iter().find(|(m, _)| *m == key) else { continue };
        let mname = format!("{name}.{key}");
        let mpath = super::join(path, key);
        let here = at(&none, &mpath, v.pos);
        match slot {
            Some(list) => match v.as_seq() {
                None => report.invalid_type(&mname, v, LIST, here),
                Some(values) => {
                    for (j, x) in values.iter().enumerate() {
                        let xat = at(&none, format!("{mpath}[{j}]"), x.pos);
                        match x.as_str() {
                            Some(s) => rule.lists[*list].push(Item { text: s.to_string(), at: xat }),
                            None => report.invalid_type(&format!("{mname}[{j}]"), x, STR, xat),
                        }
                    }
                }
            },
            None if key == "ID" => match v.as_str() {
                Some(s) => rule.id = Some(Item { text: s.to_string(), at: here }),
                None => report.invalid_type(&mname, v, STR, here),
            },
            None => match &v.value {
                // Python's bool is an int: botocore lets it through and writes str(True).
                Value::Int(t) => rule.max_age = Some(Item { text: py_int(t), at: here }),
                Value::Bool(b) => {
                    rule.max_age = Some(Item { text: if *b { "True" } else { "False" }.into(), at: here })
                }
                _ => report.invalid_type(&mname, v, INT, here),
            },
        }
    }
    (report.messages.len() == before).then_some(rule)
}

/// An integer as Python prints it (`-0` is `0`).
fn py_int(text: &str) -> String {
    let (sign, digits) = match text.strip_prefix('-') {
        Some(d) => ("-", d),
        None => ("", text),
    };
    let digits = digits.trim_start_matches('0');
    if digits.is_empty() {
        "0".into()
    } else {
        format!("{sign}{digits}")
    }
}

/// `type(v)` as Python prints it, for a value `json.loads` made.
fn py_type(v: &Node) -> &'static str {
    match v.value {
        Value::Null => "<class 'NoneType'>",
        Value::Bool(_) => "<class 'bool'>",
        Value::Int(_) => INT,
        Value::Float(_) => "<class 'float'>",
        Value::Str(_) => STR,
        Value::Seq(_) => "<class 'list'>",
        Value::Map(_) => DICT,
    }
}

/// `str(v)` as Python prints it (botocore's messages use it).
fn py_str(v: &Node) -> String {
    match &v.value {
        Value::Str(s) => s.clone(),
        _ => py_repr(v),
    }
}

fn py_repr(v: &Node) -> String {
    match &v.value {
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Int(t) => py_int(t),
        Value::Float(t) => py_float(t),
        Value::Str(s) => py_repr_str(s),
        Value::Seq(items) => format!("[{}]", items.iter().map(py_repr).collect::<Vec<_>>().join(", ")),
        Value::Map(_) => {
            let fields = v.fields();
            let parts: Vec<String> =
                fields.iter().map(|(k, _, x)| format!("{}: {}", py_repr_str(k), py_repr(x))).collect();
            format!("{{{}}}", parts.join(", "))
        }
    }
}

/// Python's `repr(float)`: the shortest text that reads back, with `.0` or an exponent.
fn py_float(text: &str) -> String {
    let Ok(f) = text.parse::<f64>() else { return text.to_string() };
    if f.is_infinite() {
        return if f > 0.0 { "inf".into() } else { "-inf".into() };
    }
    let abs = f.abs();
    if abs != 0.0 && !(1e-4..1e16).contains(&abs) {
        // Rust writes 1e100 and 1.5e-7; Python 1e+100 and 1.5e-07.
        let s = format!("{f:e}");
        let (mantissa, exp) = s.split_once('e').expect("exponent form");
        let (sign, digits) = match exp.strip_prefix('-') {
            Some(d) => ('-', d),
            None => ('+', exp),
        };
        return format!("{mantissa}e{sign}{digits:0>2}");
    }
    let s = format!("{f:?}");
    if s.contains('.') || s.contains('e') {
        s
    } else {
        format!("{s}.0")
    }
}

/// Python's `repr(str)`.
fn py_repr_str(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') { '"' } else { '\'' };
    let mut out = String::new();
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c)
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if (0x80..0xa0).contains(&(c as u32)) => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_repr() {
        let j = |t: &str| super::super::json::parse(t).unwrap();
        assert_eq!(py_str(&j("\"600\"")), "600");
        assert_eq!(py_str(&j("600.0")), "600.0");
        assert_eq!(py_str(&j("6e2")), "600.0");
        assert_eq!(py_str(&j("1e100")), "1e+100");
        assert_eq!(py_str(&j("[\"a\", 1, null, true]")), "['a', 1, None, True]");
        assert_eq!(py_str(&j("{\"k\": \"it's\"}")), "{'k': \"it's\"}");
        assert_eq!(py_int("-0"), "0");
    }
}
