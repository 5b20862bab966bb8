//! CloudFormation templates (JSON or YAML): the `CorsConfiguration` of every
//! `AWS::S3::Bucket`.
//!
//! CloudFormation checks properties against the resource type's schema before calling S3
//! (the `AWS::S3::Bucket` schema, as cfn-lint ships it): `CorsRules` is required; a rule has
//! only `AllowedHeaders`, `AllowedMethods`, `AllowedOrigins`, `ExposedHeaders`, `Id` and
//! `MaxAge`, needs the methods and origins, lists methods from `GET PUT HEAD POST DELETE`,
//! repeats no item of a list (nor a rule), keeps `Id` within 255 characters and `MaxAge` at 0
//! or more. Those refusals are CloudFormation's, with its messages' shape (`Properties
//! validation failed for resource NAME with message: #/PATH: REASON`, the reasons in the
//! words of the JSON-schema validator CloudFormation uses). Everything else is S3's to
//! refuse: CloudFormation has no `ExposedHeaders` wildcard check of its own. CloudFormation
//! renames on the way (`ExposedHeaders` -> `ExposeHeader`, `MaxAge` -> `MaxAgeSeconds`, `Id`
//! -> `ID`) and turns scalars into the schema's type (`MaxAge: "600"` is 600).
//!
//! Intrinsic functions are evaluated where the template alone decides them: `Ref` to a
//! parameter with a `Default` (a `CommaDelimitedList` default is split), `Ref: AWS::NoValue`
//! (the property is left out), `Fn::Sub` over such parameters and its own variables, and
//! `Fn::Join`. Anything else (a pseudo parameter, `Fn::If`, `Fn::GetAtt`, an import) depends
//! on the deployment and is reported with its location, as something corsmatch cannot know.

use super::node::{Node, Pos, Value};
use super::{at, Body, Bucket, Item, LoadError, Location, RawConfig, RawRule, S3_NAMESPACE};
use crate::Profile;

pub(crate) const TOOL: &str = "CloudFormation";

/// The rule's properties, the element each becomes, and whether it is a list.
const PROPERTIES: [(&str, Option<usize>); 6] = [
    ("AllowedHeaders", Some(2)),
    ("AllowedMethods", Some(1)),
    ("AllowedOrigins", Some(0)),
    ("ExposedHeaders", Some(3)),
    ("Id", None),
    ("MaxAge", None),
];

const METHODS: [&str; 5] = ["GET", "PUT", "HEAD", "POST", "DELETE"];

pub(crate) fn read(root: &Node) -> Result<Vec<Bucket>, LoadError> {
    let none = None;
    let Some(resources) = root.get("Resources").filter(|r| r.as_map().is_some()) else {
        return Err(LoadError::tool(
            TOOL,
            "Template format error: the template has no Resources section",
            Some(at(&none, "", root.pos)),
        ));
    };
    let params = root.get("Parameters");
    let mut buckets = Vec::new();
    for (name, _, resource) in resources.fields() {
        if resource.get("Type").and_then(Node::as_str) != Some("AWS::S3::Bucket") {
            continue;
        }
        let Some((_, cors)) = resource.get("Properties").and_then(|p| p.entry("CorsConfiguration")) else { continue };
        let ctx =
            Ctx { name: name.to_string(), params, base: format!("Resources.{name}.Properties.CorsConfiguration") };
        let Some(raw) = ctx.config(cors)? else { continue };
        buckets.push(Bucket {
            resource: Some(name.to_string()),
            provider: Some(Profile::S3),
            tool: Some(TOOL),
            notes: Vec::new(),
            body: Body::Raw(raw),
        });
    }
    Ok(buckets)
}

struct Ctx<'a> {
    name: String,
    params: Option<&'a Node>,
    base: String,
}

/// A value after its intrinsic functions: a node, or `AWS::NoValue`.
enum Resolved {
    Node(Node),
    NoValue,
}

impl Ctx<'_> {
    fn loc(&self, pointer: &[String], pos: Pos) -> Location {
        let mut path = self.base.clone();
        for p in pointer {
            if p.bytes().all(|b| b.is_ascii_digit()) {
                path.push_str(&format!("[{p}]"));
            } else {
                path = super::join(&path, p);
            }
        }
        Location { resource: Some(self.name.clone()), path, pos }
    }

    /// CloudFormation's refusal: `#/CorsConfiguration/...: reason`.
    fn refuse(&self, pointer: &[String], pos: Pos, reason: &str) -> LoadError {
        let mut p = String::from("#/CorsConfiguration");
        for seg in pointer {
            p.push('/');
            p.push_str(seg);
        }
        let message = format!("Properties validation failed for resource {} with message: {p}: {reason}", self.name);
        LoadError::tool(TOOL, message, Some(self.loc(pointer, pos)))
    }

    fn config(&self, node: &Node) -> Result<Option<RawConfig>, LoadError> {
        let node = match self.resolve(node, &[])? {
            Resolved::NoValue => return Ok(None),
            Resolved::Node(n) => n,
        };
        if node.as_map().is_none() {
            return Err(self.refuse(
                &[],
                node.pos,
                &format!("expected type: JSONObject, found: {}", schema_type(&node)),
            ));
        }
        for (key, k, _) in node.fields() {
            if key != "CorsRules" {
                return Err(self.refuse(&[], k.pos, &format!("extraneous key [{key}] is not permitted")));
            }
        }
        let Some(list) = node.get("CorsRules") else {
            return Err(self.refuse(&[], node.pos, "required key [CorsRules] not found"));
        };
        let ptr = vec!["CorsRules".to_string()];
        let list = match self.resolve(list, &ptr)? {
            Resolved::NoValue => return Err(self.refuse(&[], node.pos, "required key [CorsRules] not found")),
            Resolved::Node(n) => n,
        };
        let Some(items) = list.as_seq() else {
            return Err(self.refuse(
                &ptr,
                list.pos,
                &format!("expected type: JSONArray, found: {}", schema_type(&list)),
            ));
        };
        let mut rules: Vec<RawRule> = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let mut rp = ptr.clone();
            rp.push(i.to_string());
            let rule = match self.resolve(item, &rp)? {
                Resolved::NoValue => continue,
                Resolved::Node(n) => self.rule(&n, &rp)?,
            };
            if rules.iter().any(|r| same_rule(r, &rule)) {
                return Err(self.refuse(&ptr, list.pos, "array items are not unique"));
            }
            rules.push(rule);
        }
        Ok(Some(RawConfig { rules, at: self.loc(&ptr, list.pos), namespace: Some(S3_NAMESPACE) }))
    }

    fn rule(&self, node: &Node, ptr: &[String]) -> Result<RawRule, LoadError> {
        if node.as_map().is_none() {
            return Err(self.refuse(
                ptr,
                node.pos,
                &format!("expected type: JSONObject, found: {}", schema_type(node)),
            ));
        }
        for required in ["AllowedMethods", "AllowedOrigins"] {
            if node.get(required).is_none() {
                return Err(self.refuse(ptr, node.pos, &format!("required key [{required}] not found")));
            }
        }
        let mut rule = RawRule { id: None, lists: Default::default(), max_age: None, at: self.loc(ptr, node.pos) };
        let fields = node.fields();
        for (key, k, _) in &fields {
            if !PROPERTIES.iter().any(|(p, _)| p == key) {
                return Err(self.refuse(ptr, k.pos, &format!("extraneous key [{key}] is not permitted")));
            }
        }
        for (key, _, v) in fields {
            let mut p = ptr.to_vec();
            p.push(key.to_string());
            let v = match self.resolve(v, &p)? {
                Resolved::NoValue => {
                    if matches!(key, "AllowedMethods" | "AllowedOrigins") {
                        return Err(self.refuse(ptr, node.pos, &format!("required key [{key}] not found")));
                    }
                    continue;
                }
                Resolved::Node(n) => n,
            };
            let slot = PROPERTIES.iter().find(|(name, _)| *name == key).and_then(|(_, s)| *s);
            match (key, slot) {
                (_, Some(list)) => rule.lists[list] = self.strings(&v, &p, key == "AllowedMethods")?,
                ("Id", None) => {
                    let text = self.string(&v, &p)?;
                    let len = text.chars().count();
                    if len > crate::config::MAX_ID_CHARS {
                        return Err(self.refuse(&p, v.pos, &format!("expected maxLength: 255, actual: {len}")));
                    }
                    rule.id = Some(Item { text, at: self.loc(&p, v.pos) });
                }
                _ => rule.max_age = Some(Item { text: self.integer(&v, &p)?, at: self.loc(&p, v.pos) }),
            }
        }
        Ok(rule)
    }

    fn strings(&self, node: &Node, ptr: &[String], methods: bool) -> Result<Vec<Item>, LoadError> {
        let Some(items) = node.as_seq() else {
            return Err(self.refuse(ptr, node.pos, &format!("expected type: JSONArray, found: {}", schema_type(node))));
        };
        let mut out: Vec<Item> = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let mut p = ptr.to_vec();
            p.push(i.to_string());
            let item = match self.resolve(item, &p)? {
                Resolved::NoValue => continue,
                Resolved::Node(n) => n,
            };
            // A list parameter's default (a CommaDelimitedList) stands for several items.
            let texts = match item.as_seq() {
                Some(values) if item.tag.as_deref() == Some("list") => {
                    values.iter().filter_map(Node::as_str).map(str::to_string).collect()
                }
                _ => vec![self.string(&item, &p)?],
            };
            for text in texts {
                if methods && !METHODS.contains(&text.as_str()) {
                    return Err(self.refuse(&p, item.pos, &format!("{text} is not a valid enum value")));
                }
                if out.iter().any(|x| x.text == text) {
                    return Err(self.refuse(ptr, node.pos, "array items are not unique"));
                }
                out.push(Item { text, at: self.loc(&p, item.pos) });
            }
        }
        Ok(out)
    }

    fn string(&self, node: &Node, ptr: &[String]) -> Result<String, LoadError> {
        match &node.value {
            Value::Str(s) => Ok(s.clone()),
            Value::Int(t) | Value::Float(t) => Ok(t.clone()),
            Value::Bool(b) => Ok(b.to_string()),
            _ => Err(self.refuse(ptr, node.pos, &format!("expected type: String, found: {}", schema_type(node)))),
        }
    }

    fn integer(&self, node: &Node, ptr: &[String]) -> Result<String, LoadError> {
        let text = match &node.value {
            Value::Int(t) => t.trim_start_matches('+').to_string(),
            Value::Str(s) if s.trim().parse::<i64>().is_ok() => s.trim().trim_start_matches('+').to_string(),
            _ => {
                return Err(self.refuse(
                    ptr,
                    node.pos,
                    &format!("expected type: Integer, found: {}", schema_type(node)),
                ))
            }
        };
        match text.parse::<i64>() {
            Ok(n) if n < 0 => Err(self.refuse(ptr, node.pos, &format!("{n} is not greater or equal to 0"))),
            Ok(n) => Ok(n.to_string()),
            // Too large for the schema validator's long: S3 refuses it (not an int).
            Err(_) => Ok(text),
        }
    }

    /// Evaluates an intrinsic function, when the template alone decides its value.
    fn resolve(&self, node: &Node, ptr: &[String]) -> Result<Resolved, LoadError> {
        let Some((function, arg)) = intrinsic(node) else { return Ok(Resolved::Node(node.clone())) };
        let cannot = |why: &str| {
            LoadError::unsupported(
                format!("corsmatch cannot evaluate {function} here: {why}; write the value in the template, or give the parameter a Default"),
                Some(self.loc(ptr, node.pos)),
            )
        };
        match function.as_str() {
            "Ref" => {
                let Some(name) = arg.as_str() else { return Err(cannot("Ref takes a name")) };
                if name == "AWS::NoValue" {
                    return Ok(Resolved::NoValue);
                }
                match self.parameter(name) {
                    Some(v) => Ok(Resolved::Node(v.with_pos(node.pos))),
                    None => Err(cannot(&format!("{name} has no value before deployment"))),
                }
            }
            "Fn::Sub" => {
                let (template, vars) = match &arg.value {
                    Value::Str(s) => (s.clone(), None),
                    Value::Seq(items) if items.len() == 2 && items[0].as_str().is_some() => {
                        (items[0].as_str().unwrap_or_default().to_string(), Some(&items[1]))
                    }
                    _ => return Err(cannot("Fn::Sub takes a string, or a string and a map of variables")),
                };
                let mut out = String::new();
                let mut rest = template.as_str();
                while let Some(start) = rest.find("${") {
                    out.push_str(&rest[..start]);
                    let after = &rest[start + 2..];
                    let Some(end) = after.find('}') else { return Err(cannot("an unclosed ${")) };
                    let name = &after[..end];
                    if let Some(literal) = name.strip_prefix('!') {
                        out.push_str(&format!("${{{literal}}}"));
                    } else {
                        let var = vars.and_then(|v| v.get(name)).and_then(|v| match self.resolve(v, ptr) {
                            Ok(Resolved::Node(n)) => n.scalar_text(),
                            _ => None,
                        });
                        let value = var.or_else(|| self.parameter(name).and_then(|p| p.scalar_text()));
                        match value {
                            Some(v) => out.push_str(&v),
                            None => return Err(cannot(&format!("${{{name}}} has no value before deployment"))),
                        }
                    }
                    rest = &after[end + 1..];
                }
                out.push_str(rest);
                Ok(Resolved::Node(Node::new(Value::Str(out), node.pos)))
            }
            "Fn::Join" => {
                let parts = arg.as_seq().filter(|p| p.len() == 2);
                let Some([delimiter, list]) = parts else {
                    return Err(cannot("Fn::Join takes a delimiter and a list"));
                };
                let Some(delimiter) = delimiter.as_str() else {
                    return Err(cannot("Fn::Join's delimiter is a string"));
                };
                let list = match self.resolve(list, ptr)? {
                    Resolved::Node(n) => n,
                    Resolved::NoValue => return Err(cannot("Fn::Join of nothing")),
                };
                let Some(items) = list.as_seq() else { return Err(cannot("Fn::Join takes a list")) };
                let mut texts = Vec::new();
                for item in items {
                    match self.resolve(item, ptr)? {
                        Resolved::Node(n) => match n.as_seq() {
                            Some(values) if n.tag.as_deref() == Some("list") => {
                                texts.extend(values.iter().filter_map(Node::scalar_text))
                            }
                            _ => texts.push(n.scalar_text().ok_or_else(|| cannot("Fn::Join joins strings"))?),
                        },
                        Resolved::NoValue => {}
                    }
                }
                Ok(Resolved::Node(Node::new(Value::Str(texts.join(delimiter)), node.pos)))
            }
            _ => Err(cannot("its value is known only when the stack is deployed")),
        }
    }

    /// A parameter's `Default`, a list for list types (tagged `list` so that a list item
    /// standing for several values can be told from a nested list).
    fn parameter(&self, name: &str) -> Option<Node> {
        let p = self.params?.get(name)?;
        let default = p.get("Default")?;
        let kind = p.get("Type").and_then(Node::as_str).unwrap_or("String");
        if kind == "CommaDelimitedList" || kind.starts_with("List<") {
            let items: Vec<Node> = match &default.value {
                Value::Seq(items) => items.clone(),
                _ => default
                    .scalar_text()?
                    .split(',')
                    .map(|s| Node::new(Value::Str(s.trim().to_string()), default.pos))
                    .collect(),
            };
            let mut n = Node::new(Value::Seq(items), default.pos);
            n.tag = Some("list".into());
            return Some(n);
        }
        Some(Node::new(Value::Str(default.scalar_text()?), default.pos))
    }
}

impl Node {
    fn with_pos(mut self, pos: Pos) -> Node {
        self.pos = pos;
        self
    }
}

/// `!Ref x` / `{"Ref": x}` and the `Fn::` functions: the function's long name and argument.
fn intrinsic(node: &Node) -> Option<(String, Node)> {
    if let Some(tag) = node.tag.as_deref().and_then(|t| t.strip_prefix('!')) {
        if tag == "list" {
            return None;
        }
        let name = if tag == "Ref" || tag == "Condition" { tag.to_string() } else { format!("Fn::{tag}") };
        let mut arg = node.clone();
        arg.tag = None;
        return Some((name, arg));
    }
    let entries = node.as_map()?;
    if entries.len() != 1 {
        return None;
    }
    let key = entries[0].0.as_str()?;
    (key == "Ref" || key.starts_with("Fn::")).then(|| (key.to_string(), entries[0].1.clone()))
}

fn schema_type(node: &Node) -> &'static str {
    match node.value {
        Value::Null => "Null",
        Value::Bool(_) => "Boolean",
        Value::Int(_) => "Integer",
        Value::Float(_) => "BigDecimal",
        Value::Str(_) => "String",
        Value::Seq(_) => "JSONArray",
        Value::Map(_) => "JSONObject",
    }
}

fn same_rule(a: &RawRule, b: &RawRule) -> bool {
    let texts = |items: &[Item]| items.iter().map(|i| i.text.clone()).collect::<Vec<_>>();
    a.lists.iter().zip(&b.lists).all(|(x, y)| texts(x) == texts(y))
        && a.id.as_ref().map(|i| &i.text) == b.id.as_ref().map(|i| &i.text)
        && a.max_age.as_ref().map(|i| &i.text) == b.max_age.as_ref().map(|i| &i.text)
}
