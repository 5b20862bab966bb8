//! The configuration model (`CORSConfiguration`), its XML parser and serialiser, and the
//! providers' validation, in their order.

use crate::error::{ConfigError, ErrorKind};
use crate::pattern::Method;

/// Which provider's behaviour to reproduce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Profile {
    /// Alibaba Cloud OSS (the default).
    #[default]
    Oss,
    /// AWS S3 and S3-compatible servers.
    S3,
}

impl Profile {
    /// The provider's rule limit (10 for OSS, 100 for S3).
    pub const fn max_rules(self) -> usize {
        match self {
            Profile::Oss => 10,
            Profile::S3 => 100,
        }
    }

    /// The provider's limit on the XML document, in bytes (16 KB for OSS, 64 KB for S3).
    pub const fn max_document_bytes(self) -> usize {
        match self {
            Profile::Oss => 16 * 1024,
            Profile::S3 => 64 * 1024,
        }
    }

    /// The profile's name as used on the command line (`oss`, `s3`).
    pub const fn name(self) -> &'static str {
        match self {
            Profile::Oss => "oss",
            Profile::S3 => "s3",
        }
    }

    /// Characters an `ExposeHeader` must not contain under this profile.
    fn expose_forbidden(self, c: char) -> bool {
        match self {
            Profile::Oss => matches!(c, '*' | '<' | '>' | '&' | '\'' | '"'),
            Profile::S3 => c == '*' || c.is_whitespace(),
        }
    }
}

impl std::str::FromStr for Profile {
    type Err = String;
    fn from_str(s: &str) -> Result<Profile, String> {
        match s {
            "oss" => Ok(Profile::Oss),
            "s3" => Ok(Profile::S3),
            other => Err(format!("unknown profile {other:?}: expected oss or s3")),
        }
    }
}

/// One `CORSRule`, values kept verbatim (case, order, duplicates).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CorsRule {
    /// `ID` (s3 only).
    pub id: Option<String>,
    /// `AllowedOrigin` patterns.
    pub allowed_origins: Vec<String>,
    /// `AllowedMethod` values.
    pub allowed_methods: Vec<String>,
    /// `AllowedHeader` patterns.
    pub allowed_headers: Vec<String>,
    /// `ExposeHeader` names.
    pub expose_headers: Vec<String>,
    /// `MaxAgeSeconds`, at most `i32::MAX` (the schema's `int`).
    pub max_age_seconds: Option<u32>,
}

/// A bucket's CORS configuration: rules in document order, first match wins.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CorsConfig {
    /// The rules, in document order.
    pub rules: Vec<CorsRule>,
    /// `ResponseVary` (oss only); `None` when absent, which means false.
    pub response_vary: Option<bool>,
}

/// Limits applied when reading a document; the profile's by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest number of rules accepted.
    pub max_rules: usize,
    /// Largest XML document accepted, in bytes.
    pub max_document_bytes: usize,
}

impl Limits {
    /// The provider's own limits.
    pub const fn of(profile: Profile) -> Limits {
        Limits { max_rules: profile.max_rules(), max_document_bytes: profile.max_document_bytes() }
    }
}

const S3_NAMESPACE: &str = "http://s3.amazonaws.com/doc/2006-03-01/";

/// The longest rule `ID` the providers (and their tools) accept, in characters.
pub(crate) const MAX_ID_CHARS: usize = 255;
const OSS_NAMESPACE: &str = "http://doc.oss-cn-hangzhou.aliyuncs.com";

/// What the parser read, before the value checks: a negative or invalid number is kept as
/// text so that the checks run in the provider's order.
struct RawRule {
    rule: CorsRule,
    /// `MaxAgeSeconds`, an integer by the schema: the value, or the (trimmed) text of a
    /// negative one, refused only after the rule's other values (the providers' order).
    max_age: Option<Result<u32, String>>,
}

impl CorsConfig {
    /// Parses and validates a `CORSConfiguration` document with the profile's limits.
    pub fn from_xml(document: &[u8], profile: Profile) -> Result<CorsConfig, ConfigError> {
        CorsConfig::from_xml_with_limits(document, profile, Limits::of(profile))
    }

    /// Parses and validates a document with explicit limits (for servers that allow more).
    pub fn from_xml_with_limits(document: &[u8], profile: Profile, limits: Limits) -> Result<CorsConfig, ConfigError> {
        let oss = profile == Profile::Oss;
        if document.len() > limits.max_document_bytes {
            return Err(ConfigError::malformed(
                format!("the document has {} bytes, over the limit of {}", document.len(), limits.max_document_bytes),
                oss,
            ));
        }
        let text = std::str::from_utf8(document)
            .map_err(|e| ConfigError::malformed(format!("the document is not UTF-8: {e}"), oss))?;
        let (raw, vary_text) = parse_document(text, profile)?;
        check_rule_count(raw.len(), limits, oss)?;
        let mut rules = Vec::with_capacity(raw.len());
        for r in raw {
            let mut rule = r.rule;
            validate_rule(&rule, profile)?;
            if let Some(max_age) = r.max_age {
                let negative = |value| ConfigError::new(ErrorKind::NegativeMaxAge { value }, oss);
                rule.max_age_seconds = Some(max_age.map_err(negative)?);
            }
            rules.push(rule);
        }
        let response_vary = match vary_text.as_deref().map(xml_trim) {
            None => None,
            Some("true") => Some(true),
            Some("false") => Some(false),
            Some(other) => {
                return Err(ConfigError::malformed(format!("ResponseVary must be true or false, not {other:?}"), oss))
            }
        };
        Ok(CorsConfig { rules, response_vary })
    }

    /// Checks a configuration built in code the way a parsed one is checked.
    pub fn validate(&self, profile: Profile, limits: Limits) -> Result<(), ConfigError> {
        let oss = profile == Profile::Oss;
        // Step 1: what the parser would have refused as not matching the schema.
        for rule in &self.rules {
            if rule.allowed_origins.is_empty() || rule.allowed_methods.is_empty() {
                return Err(ConfigError::malformed("a CORSRule needs AllowedOrigin and AllowedMethod", oss));
            }
            // The schema's MaxAgeSeconds is an `int`: a larger value could never be stored.
            if rule.max_age_seconds.is_some_and(|a| a > i32::MAX as u32) {
                return Err(ConfigError::malformed("MaxAgeSeconds is larger than 2147483647", oss));
            }
            if rule.id.is_some() && oss {
                return Err(ConfigError::malformed("ID is not part of the OSS schema", oss));
            }
        }
        if self.response_vary.is_some() && !oss {
            return Err(ConfigError::malformed("ResponseVary is not part of the S3 schema", oss));
        }
        // Step 2: the number of rules.
        check_rule_count(self.rules.len(), limits, oss)?;
        // Step 3: each rule's values, in document order.
        for rule in &self.rules {
            validate_rule(rule, profile)?;
        }
        Ok(())
    }

    /// Serialises to a `CORSConfiguration` document that parses back to the same rules.
    ///
    /// The document starts with an XML declaration and escapes `&`, `<` and `>`, as
    /// GetBucketCors does, so it can be a little longer than the one stored: one written at
    /// exactly the profile's size limit may need a raised `Limits::max_document_bytes` to be
    /// read back.
    pub fn to_xml(&self) -> String {
        use crate::render::escape_string as esc;
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CORSConfiguration>");
        for rule in &self.rules {
            out.push_str("<CORSRule>");
            if let Some(id) = &rule.id {
                out.push_str(&format!("<ID>{}</ID>", esc(id)));
            }
            let lists: [(&str, &Vec<String>); 4] = [
                ("AllowedOrigin", &rule.allowed_origins),
                ("AllowedMethod", &rule.allowed_methods),
                ("AllowedHeader", &rule.allowed_headers),
                ("ExposeHeader", &rule.expose_headers),
            ];
            for (name, values) in lists {
                for v in values {
                    out.push_str(&format!("<{name}>{}</{name}>", esc(v)));
                }
            }
            if let Some(age) = rule.max_age_seconds {
                out.push_str(&format!("<MaxAgeSeconds>{age}</MaxAgeSeconds>"));
            }
            out.push_str("</CORSRule>");
        }
        if let Some(vary) = self.response_vary {
            out.push_str(&format!("<ResponseVary>{vary}</ResponseVary>"));
        }
        out.push_str("</CORSConfiguration>\n");
        out
    }
}

/// At least one rule, and at most the limit.
fn check_rule_count(count: usize, limits: Limits, oss: bool) -> Result<(), ConfigError> {
    if count == 0 {
        return Err(ConfigError::malformed("the configuration has no CORSRule", oss));
    }
    if count > limits.max_rules {
        return Err(ConfigError::new(ErrorKind::TooManyRules { count, limit: limits.max_rules }, oss));
    }
    Ok(())
}

fn parse_document(text: &str, profile: Profile) -> Result<(Vec<RawRule>, Option<String>), ConfigError> {
    let oss = profile == Profile::Oss;
    let bad = |detail: String| ConfigError::malformed(detail, oss);
    let options = roxmltree::ParsingOptions { allow_dtd: false, ..Default::default() };
    let doc =
        roxmltree::Document::parse_with_options(text, options).map_err(|e| bad(format!("not well-formed XML: {e}")))?;
    let root = doc.root_element();
    check_name(root, "CORSConfiguration", oss)?;
    known_namespace(root, oss)?;
    let mut rules = Vec::new();
    let mut vary: Option<String> = None;
    for child in structural_children(root, oss)? {
        match child.tag_name().name() {
            "CORSRule" => rules.push(parse_rule(child, profile)?),
            "ResponseVary" if oss => {
                if vary.is_some() {
                    return Err(bad("ResponseVary appears twice".into()));
                }
                vary = Some(leaf_text(child, oss)?);
            }
            other => return Err(bad(format!("unexpected element <{other}> in CORSConfiguration"))),
        }
    }
    Ok((rules, vary))
}

fn parse_rule(node: roxmltree::Node<'_, '_>, profile: Profile) -> Result<RawRule, ConfigError> {
    let oss = profile == Profile::Oss;
    let bad = |detail: String| ConfigError::malformed(detail, oss);
    let mut rule = CorsRule::default();
    let mut max_age = None;
    for child in structural_children(node, oss)? {
        let value = leaf_text(child, oss)?;
        match child.tag_name().name() {
            "AllowedOrigin" => rule.allowed_origins.push(value),
            "AllowedMethod" => rule.allowed_methods.push(value),
            "AllowedHeader" => rule.allowed_headers.push(value),
            "ExposeHeader" => rule.expose_headers.push(value),
            "MaxAgeSeconds" => {
                if max_age.is_some() {
                    return Err(bad("MaxAgeSeconds appears twice in a CORSRule".into()));
                }
                let text = xml_trim(&value);
                let Ok(seconds) = text.parse::<i32>() else {
                    return Err(bad(format!("MaxAgeSeconds {value:?} is not an integer")));
                };
                max_age = Some(u32::try_from(seconds).map_err(|_| text.to_string()));
            }
            "ID" if !oss => {
                if rule.id.is_some() {
                    return Err(bad("ID appears twice in a CORSRule".into()));
                }
                rule.id = Some(value);
            }
            other => return Err(bad(format!("unexpected element <{other}> in CORSRule"))),
        }
    }
    if rule.allowed_origins.is_empty() || rule.allowed_methods.is_empty() {
        return Err(bad("a CORSRule needs AllowedOrigin and AllowedMethod".into()));
    }
    Ok(RawRule { rule, max_age })
}

/// XML's whitespace (space, tab, CR, LF): what a schema value may be surrounded with.
fn xml_trim(text: &str) -> &str {
    text.trim_matches(|c| matches!(c, ' ' | '\t' | '\r' | '\n'))
}

fn check_name(node: roxmltree::Node<'_, '_>, expected: &str, oss: bool) -> Result<(), ConfigError> {
    let name = node.tag_name();
    if name.name() != expected {
        return Err(ConfigError::malformed(format!("the root element is <{}>, not <{expected}>", name.name()), oss));
    }
    Ok(())
}

/// The element children of a container; text other than whitespace, or a foreign namespace,
/// makes the document invalid.
fn structural_children<'a, 'input>(
    node: roxmltree::Node<'a, 'input>,
    oss: bool,
) -> Result<Vec<roxmltree::Node<'a, 'input>>, ConfigError> {
    let mut out = Vec::new();
    for child in node.children() {
        if child.is_element() {
            known_namespace(child, oss)?;
            out.push(child);
        } else if child.is_text() && !xml_trim(child.text().unwrap_or("")).is_empty() {
            return Err(ConfigError::malformed(format!("unexpected text in <{}>", node.tag_name().name()), oss));
        }
    }
    Ok(out)
}

/// No namespace, S3's or OSS's: anything else is not the providers' schema.
fn known_namespace(node: roxmltree::Node<'_, '_>, oss: bool) -> Result<(), ConfigError> {
    match node.tag_name().namespace() {
        None | Some(S3_NAMESPACE) | Some(OSS_NAMESPACE) => Ok(()),
        Some(ns) => Err(ConfigError::malformed(format!("element in unknown namespace {ns:?}"), oss)),
    }
}

/// The text of a leaf element (text and CDATA, comments skipped); a child element is an error.
fn leaf_text(node: roxmltree::Node<'_, '_>, oss: bool) -> Result<String, ConfigError> {
    let mut out = String::new();
    for child in node.children() {
        if child.is_element() {
            return Err(ConfigError::malformed(format!("<{}> must not contain elements", node.tag_name().name()), oss));
        }
        if child.is_text() {
            out.push_str(child.text().unwrap_or(""));
        }
    }
    Ok(out)
}

/// Control characters, and the two noncharacters XML 1.0 cannot hold either (U+FFFE,
/// U+FFFF): a value with one could not be stored as XML, nor sent in a header.
fn has_control(s: &str) -> bool {
    s.chars().any(|c| (c < ' ' && c != '\t') || matches!(c, '\u{7f}' | '\u{fffe}' | '\u{ffff}'))
}

fn control_check(element: &'static str, values: &[String], oss: bool) -> Result<(), ConfigError> {
    match values.iter().find(|v| has_control(v)) {
        Some(v) => Err(ConfigError::new(ErrorKind::ControlCharacter { element, value: v.clone() }, oss)),
        None => Ok(()),
    }
}

/// The per-rule checks of SEMANTICS §2 step 3, in order.
fn validate_rule(rule: &CorsRule, profile: Profile) -> Result<(), ConfigError> {
    let oss = profile == Profile::Oss;
    if let Some(id) = &rule.id {
        control_check("ID", std::slice::from_ref(id), oss)?;
        let len = id.chars().count();
        if len > MAX_ID_CHARS {
            return Err(ConfigError::new(ErrorKind::IdTooLong { len }, oss));
        }
    }
    for m in &rule.allowed_methods {
        if Method::parse(m).is_none() {
            return Err(ConfigError::new(ErrorKind::UnsupportedMethod { method: m.clone() }, oss));
        }
    }
    control_check("AllowedOrigin", &rule.allowed_origins, oss)?;
    if let Some(o) = rule.allowed_origins.iter().find(|o| o.matches('*').count() > 1) {
        return Err(ConfigError::new(ErrorKind::OriginWildcards { origin: o.clone() }, oss));
    }
    control_check("AllowedHeader", &rule.allowed_headers, oss)?;
    if let Some(h) = rule.allowed_headers.iter().find(|h| h.matches('*').count() > 1) {
        return Err(ConfigError::new(ErrorKind::HeaderWildcards { header: h.clone() }, oss));
    }
    control_check("ExposeHeader", &rule.expose_headers, oss)?;
    for h in &rule.expose_headers {
        if let Some(found) = h.chars().find(|&c| profile.expose_forbidden(c)) {
            return Err(ConfigError::new(ErrorKind::ExposeHeaderChar { header: h.clone(), found }, oss));
        }
    }
    Ok(())
}
