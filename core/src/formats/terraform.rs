//! Terraform: the JSON of `terraform show -json` (a plan's `planned_values`, or a state's
//! `values`, modules included), or a `.tf.json` configuration file. Each resource that sets
//! CORS is a bucket, named by its address:
//!
//! | resource | provider | what it sends |
//! |---|---|---|
//! | `aws_s3_bucket_cors_configuration` | hashicorp/aws | `cors_rule` and its four lists are sets |
//! | `aws_s3_bucket` (inline `cors_rule`, deprecated) | hashicorp/aws | lists, kept in order |
//! | `alicloud_oss_bucket` (`cors_rule`) | aliyun/alicloud | lists, kept in order |
//!
//! What the providers do on the way, from their source:
//! - `max_age_seconds` left out is sent as `MaxAgeSeconds` 0, by all three: the providers read
//!   the attribute's zero value and always set it. Browsers then get `Access-Control-Max-Age:
//!   0`. The AWS provider converts it with Go's `int32()`, which wraps values over 2^31.
//! - `aws_s3_bucket_cors_configuration`: the Terraform plugin SDK keeps a set in the order of
//!   its elements' hash codes (CRC-32 of a serialisation, compared as decimal strings), and
//!   that is the order the provider sends: rules and values are reordered, and repeated ones
//!   sent once. Empty strings are dropped from its lists, and an empty `id` is not sent.
//!   Rule order decides which rule answers (the first match wins), so a reorder is reported
//!   in [`super::Bucket::notes`].
//! - Before any of this Terraform checks the schema: `allowed_methods` and `allowed_origins`
//!   are required, at most 100 (aws) or 10 (alicloud) `cors_rule` blocks, an `id` of at most
//!   255 characters (aws).

use super::node::{Node, Value};
use super::{at, Body, Bucket, Item, LoadError, Location, RawConfig, RawRule, S3_NAMESPACE};
use crate::Profile;

pub(crate) const TOOL: &str = "Terraform";

/// The resource types read, with their provider and shape.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// `aws_s3_bucket_cors_configuration`: sets.
    AwsCors,
    /// `aws_s3_bucket`'s inline `cors_rule`: lists.
    AwsInline,
    /// `alicloud_oss_bucket`'s `cors_rule`: lists.
    Alicloud,
}

impl Kind {
    fn of(resource_type: &str) -> Option<Kind> {
        match resource_type {
            "aws_s3_bucket_cors_configuration" => Some(Kind::AwsCors),
            "aws_s3_bucket" => Some(Kind::AwsInline),
            "alicloud_oss_bucket" => Some(Kind::Alicloud),
            _ => None,
        }
    }

    fn max_rules(self) -> usize {
        match self {
            Kind::Alicloud => 10,
            _ => 100,
        }
    }

    fn tool(self) -> &'static str {
        match self {
            Kind::Alicloud => "Terraform (aliyun/alicloud)",
            _ => "Terraform (hashicorp/aws)",
        }
    }
}

/// The attributes of a `cors_rule`, and the element each list becomes.
const LISTS: [(&str, usize); 4] =
    [("allowed_origins", 0), ("allowed_methods", 1), ("allowed_headers", 2), ("expose_headers", 3)];

pub(crate) fn read(root: &Node) -> Result<Vec<Bucket>, LoadError> {
    let mut found = Vec::new();
    // `terraform show -json`: a plan has planned_values, a state values.
    let module = root.get("planned_values").or_else(|| root.get("values")).and_then(|v| v.get("root_module"));
    if let Some(module) = module {
        walk_module(module, &mut found, 0);
    } else if let Some(resources) = root.get("resource") {
        // A .tf.json file: {"resource": {"TYPE": {"NAME": {...}}}} (or a list of such maps).
        let blocks: Vec<&Node> = match resources.as_seq() {
            Some(items) => items.iter().collect(),
            None => vec![resources],
        };
        for block in blocks {
            for (rtype, _, by_name) in block.fields() {
                let named: Vec<&Node> = match by_name.as_seq() {
                    Some(items) => items.iter().collect(),
                    None => vec![by_name],
                };
                for n in named {
                    for (name, _, body) in n.fields() {
                        let body = body.as_seq().and_then(|b| b.first()).unwrap_or(body);
                        found.push((format!("{rtype}.{name}"), rtype.to_string(), body.clone(), true));
                    }
                }
            }
        }
    } else {
        return Err(LoadError::tool(
            TOOL,
            "neither `terraform show -json` output (planned_values or values) nor a .tf.json file (resource)",
            Some(at(&None, "", root.pos)),
        ));
    }
    let mut buckets = Vec::new();
    for (address, rtype, values, config_file) in found {
        let Some(kind) = Kind::of(&rtype) else { continue };
        if let Some(b) = bucket(kind, address, &values, config_file)? {
            buckets.push(b);
        }
    }
    Ok(buckets)
}

type Found = (String, String, Node, bool);

fn walk_module(module: &Node, out: &mut Vec<Found>, depth: usize) {
    if depth > 64 {
        return;
    }
    for r in module.get("resources").and_then(Node::as_seq).unwrap_or(&[]) {
        if r.get("mode").and_then(Node::as_str).is_some_and(|m| m != "managed") {
            continue;
        }
        let (Some(address), Some(rtype), Some(values)) =
            (r.get("address").and_then(Node::as_str), r.get("type").and_then(Node::as_str), r.get("values"))
        else {
            continue;
        };
        out.push((address.to_string(), rtype.to_string(), values.clone(), false));
    }
    for child in module.get("child_modules").and_then(Node::as_seq).unwrap_or(&[]) {
        walk_module(child, out, depth + 1);
    }
}

struct Ctx {
    resource: Option<String>,
    tool: &'static str,
    /// A .tf.json file, where `${` starts an interpolation and `$${` is a literal `${`.
    config_file: bool,
}

impl Ctx {
    fn loc(&self, path: impl Into<String>, node: &Node) -> Location {
        at(&self.resource, path, node.pos)
    }

    fn refuse(&self, message: String, path: impl Into<String>, node: &Node) -> LoadError {
        LoadError::tool(self.tool, message, Some(self.loc(path, node)))
    }

    fn text(&self, node: &Node, path: &str, attribute: &str) -> Result<String, LoadError> {
        let Some(text) = node.scalar_text() else {
            return Err(self.refuse(
                format!("Inappropriate value for attribute \"{attribute}\": string required."),
                path,
                node,
            ));
        };
        if !self.config_file {
            return Ok(text);
        }
        let literal = text.replace("$${", "").replace("%%{", "");
        if literal.contains("${") || literal.contains("%{") {
            return Err(LoadError::unsupported(
                format!("corsmatch cannot evaluate the Terraform expression in {text:?}; run terraform plan and read `terraform show -json` instead"),
                Some(self.loc(path, node)),
            ));
        }
        Ok(text.replace("$${", "${").replace("%%{", "%{"))
    }
}

fn bucket(kind: Kind, address: String, values: &Node, config_file: bool) -> Result<Option<Bucket>, LoadError> {
    let ctx = Ctx { resource: Some(address.clone()), tool: kind.tool(), config_file };
    let rules_node = match values.entry("cors_rule") {
        Some((_, v)) if !v.is_null() => v,
        _ if kind == Kind::AwsCors => {
            if config_file {
                return Err(ctx.refuse("At least 1 \"cors_rule\" blocks are required.".into(), "", values));
            }
            return Err(LoadError::unsupported(
                "cors_rule is known only after apply; corsmatch reads values the plan knows",
                Some(ctx.loc("cors_rule", values)),
            ));
        }
        _ => return Ok(None),
    };
    let items: Vec<&Node> = match (&rules_node.value, config_file) {
        (Value::Seq(items), _) => items.iter().collect(),
        // In .tf.json one block may be written as an object.
        (Value::Map(_), true) => vec![rules_node],
        _ => {
            return Err(ctx.refuse(
                "Inappropriate value for attribute \"cors_rule\": list of object required.".into(),
                "cors_rule",
                rules_node,
            ))
        }
    };
    if items.is_empty() {
        return Ok(None);
    }
    if items.len() > kind.max_rules() {
        return Err(ctx.refuse(
            format!("Too many cors_rule blocks: No more than {} \"cors_rule\" blocks are allowed", kind.max_rules()),
            format!("cors_rule[{}]", kind.max_rules()),
            items[kind.max_rules()],
        ));
    }
    let mut rules = Vec::new();
    let mut missing_age = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let path = format!("cors_rule[{i}]");
        if item.as_map().is_none() {
            return Err(ctx.refuse(
                "Inappropriate value for attribute \"cors_rule\": object required.".into(),
                path,
                item,
            ));
        }
        let mut rule = RawRule { id: None, lists: Default::default(), max_age: None, at: ctx.loc(&path, item) };
        for (name, element) in LISTS {
            let p = format!("{path}.{name}");
            let v = item.get(name).filter(|v| !v.is_null());
            let Some(v) = v else {
                if matches!(name, "allowed_methods" | "allowed_origins") {
                    return Err(ctx.refuse(
                        format!("The argument \"{name}\" is required, but no definition was found."),
                        path,
                        item,
                    ));
                }
                continue;
            };
            let Some(values) = v.as_seq() else {
                return Err(ctx.refuse(
                    format!("Inappropriate value for attribute \"{name}\": list of string required."),
                    p,
                    v,
                ));
            };
            for (j, x) in values.iter().enumerate() {
                let xp = format!("{p}[{j}]");
                if x.is_null() {
                    return Err(ctx.refuse(
                        format!("Null value found in list: \"{name}\" may not contain null."),
                        xp,
                        x,
                    ));
                }
                let text = ctx.text(x, &xp, name)?;
                rule.lists[element].push(Item { text, at: ctx.loc(xp, x) });
            }
        }
        if kind == Kind::AwsCors {
            if let Some(v) = item.get("id").filter(|v| !v.is_null()) {
                let text = ctx.text(v, &format!("{path}.id"), "id")?;
                let len = text.chars().count();
                if len > crate::config::MAX_ID_CHARS {
                    return Err(ctx.refuse(
                        format!("expected length of cors_rule.{i}.id to be in the range (0 - 255), got {text}"),
                        format!("{path}.id"),
                        v,
                    ));
                }
                if !text.is_empty() {
                    rule.id = Some(Item { text, at: ctx.loc(format!("{path}.id"), v) });
                }
            }
        }
        let age_path = format!("{path}.max_age_seconds");
        let age = match item.get("max_age_seconds").filter(|v| !v.is_null()) {
            None => {
                missing_age.push(i);
                Item { text: "0".into(), at: ctx.loc(&path, item) }
            }
            Some(v) => {
                let text = match &v.value {
                    Value::Int(t) => t.clone(),
                    Value::Str(s) if config_file && s.trim().parse::<i64>().is_ok() => s.trim().to_string(),
                    Value::Float(t) if t.parse::<f64>().is_ok_and(|f| f.fract() == 0.0 && f.abs() < 9e15) => {
                        format!("{}", t.parse::<f64>().unwrap_or(0.0) as i64)
                    }
                    _ => {
                        return Err(ctx.refuse(
                            "Inappropriate value for attribute \"max_age_seconds\": a whole number is required.".into(),
                            age_path,
                            v,
                        ))
                    }
                };
                let Ok(n) = text.parse::<i64>() else {
                    return Err(ctx.refuse(format!("Inappropriate value for attribute \"max_age_seconds\": {text} does not fit a 64-bit integer."), age_path, v));
                };
                // The AWS provider's aws.Int32(int32(v)) wraps; alicloud keeps Go's int.
                let sent = if kind == Kind::Alicloud { n } else { i64::from(n as i32) };
                Item { text: sent.to_string(), at: ctx.loc(age_path, v) }
            }
        };
        rule.max_age = Some(age);
        rules.push(rule);
    }
    let mut notes = Vec::new();
    if !missing_age.is_empty() {
        let which: Vec<String> = missing_age.iter().map(|i| format!("cors_rule[{i}]")).collect();
        notes.push(format!(
            "{} without max_age_seconds: the provider sends MaxAgeSeconds 0, so browsers get Access-Control-Max-Age: 0 and preflight every request; set max_age_seconds",
            which.join(", ")
        ));
    }
    if kind == Kind::AwsCors {
        rules = sdk_set_order(rules, &mut notes);
    }
    let (provider, namespace) = match kind {
        Kind::Alicloud => (Profile::Oss, None),
        _ => (Profile::S3, Some(S3_NAMESPACE)),
    };
    let list_at = ctx.loc("cors_rule", rules_node);
    Ok(Some(Bucket {
        resource: Some(address),
        provider: Some(provider),
        tool: Some(kind.tool()),
        notes,
        body: Body::Raw(RawConfig { rules, at: list_at, namespace }),
    }))
}

// ---------------------------------------------------------------------------------------
// The Terraform plugin SDK's sets (helper/schema: set.go, serialize.go; hashcode.String)

/// `hashcode.String`: the CRC-32 (IEEE) of the text, as Go's non-negative `int`.
fn hash_code(text: &str) -> String {
    crc32fast::hash(text.as_bytes()).to_string()
}

/// A set of strings with the default hash (`HashSchema` of a string: the value and `;`), in
/// `Set.List()` order (codes sorted as strings), repeated values once.
fn string_set(items: &[Item]) -> Vec<&Item> {
    let mut keyed: Vec<(String, &Item)> = Vec::new();
    for item in items {
        let code = hash_code(&format!("{};", item.text));
        if !keyed.iter().any(|(c, _)| *c == code) {
            keyed.push((code, item));
        }
    }
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    keyed.into_iter().map(|(_, i)| i).collect()
}

/// `SerializeResourceForHash` of a rule: its attributes in name order, each `name:value;`,
/// sets as `{v;v;}` in set order, absent values as their zero value.
fn rule_serialisation(rule: &RawRule) -> String {
    let set = |element: usize| -> String {
        let mut s = String::from("{");
        for item in string_set(&rule.lists[element]) {
            s.push_str(&item.text);
            s.push(';');
        }
        s.push('}');
        s
    };
    format!(
        "allowed_headers:{};allowed_methods:{};allowed_origins:{};expose_headers:{};id:{};max_age_seconds:{};",
        set(2),
        set(1),
        set(0),
        set(3),
        rule.id.as_ref().map_or("", |i| &i.text),
        rule.max_age.as_ref().map_or("0", |i| &i.text),
    )
}

/// The rules and their values in the order the provider sends them, as `Set.List()` gives
/// them; then the provider drops empty strings (`flex.ExpandStringValueSet`).
fn sdk_set_order(rules: Vec<RawRule>, notes: &mut Vec<String>) -> Vec<RawRule> {
    // The hash is of the values as configured; max_age_seconds left out is 0 there too.
    let mut keyed: Vec<(String, usize)> = Vec::new();
    for (i, rule) in rules.iter().enumerate() {
        let code = hash_code(&rule_serialisation(rule));
        if !keyed.iter().any(|(c, _)| *c == code) {
            keyed.push((code, i));
        }
    }
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    let order: Vec<usize> = keyed.iter().map(|(_, i)| *i).collect();
    if order.len() < rules.len() {
        notes.push(format!("cors_rule is a set: {} repeated rule(s) are sent once", rules.len() - order.len()));
    }
    if order.windows(2).any(|w| w[0] > w[1]) {
        let shown: Vec<String> = order.iter().map(|i| format!("cors_rule[{i}]")).collect();
        notes.push(format!(
            "cors_rule is a set: the provider sends the rules in the order of their hash codes ({}), not as written; the first rule that matches answers, so check that this order gives the answers you mean",
            shown.join(", ")
        ));
    }
    order
        .into_iter()
        .map(|i| {
            let rule = &rules[i];
            let mut out = RawRule {
                id: rule.id.clone(),
                lists: Default::default(),
                max_age: rule.max_age.clone(),
                at: rule.at.clone(),
            };
            for element in 0..4 {
                out.lists[element] = string_set(&rule.lists[element])
                    .into_iter()
                    .filter(|item| !item.text.is_empty())
                    .cloned()
                    .collect();
            }
            out
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(t: &str) -> Item {
        Item { text: t.into(), at: at(&None, "", Default::default()) }
    }

    #[test]
    fn string_sets_follow_crc32_codes_as_strings() {
        // crc32("GET;") = 2549283581, crc32("PUT;") = 1149567424, crc32("HEAD;") = 3400449487:
        // sorted as strings: "1149567424" < "2549283581" < "3400449487".
        assert_eq!(hash_code("GET;"), crc32fast::hash(b"GET;").to_string());
        let items = [item("HEAD"), item("GET"), item("PUT"), item("GET")];
        let order: Vec<&str> = string_set(&items).iter().map(|i| i.text.as_str()).collect();
        let mut want: Vec<(String, &str)> =
            ["HEAD", "GET", "PUT"].iter().map(|m| (hash_code(&format!("{m};")), *m)).collect();
        want.sort();
        assert_eq!(order, want.iter().map(|(_, m)| *m).collect::<Vec<_>>());
        assert_eq!(order.len(), 3);
    }

    #[test]
    fn rule_serialisation_is_the_sdks() {
        let rule = RawRule {
            id: None,
            lists: [vec![item("https://a.com")], vec![item("GET")], vec![], vec![item("ETag")]],
            max_age: Some(item("600")),
            at: at(&None, "", Default::default()),
        };
        assert_eq!(
            rule_serialisation(&rule),
            "allowed_headers:{};allowed_methods:{GET;};allowed_origins:{https://a.com;};expose_headers:{ETag;};id:;max_age_seconds:600;"
        );
    }
}
