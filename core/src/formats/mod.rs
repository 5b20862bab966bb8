//! Reading the configurations users have, in the forms their tools take, and writing them back.
//!
//! | form | what | the tool that sends it |
//! |---|---|---|
//! | [`Form::Xml`] | the `CORSConfiguration` document of the API | any client |
//! | [`Form::Json`] | the S3 console's JSON: a bare array of rules | the S3 console's CORS editor |
//! | [`Form::CliJson`] | `{"CORSRules": [...]}` (also the `--cli-input-json` skeleton) | `aws s3api put-bucket-cors` (botocore) |
//! | [`Form::CloudFormation`] | a template in JSON or YAML: every `AWS::S3::Bucket` | CloudFormation |
//! | [`Form::Terraform`] | `terraform show -json` (plan or state), or a `.tf.json` file | the AWS and Alibaba Cloud providers |
//!
//! Each form becomes the document its tool would send, and that document is validated
//! exactly as an XML one is ([`crate::Options::compile_xml`]). What the tool itself refuses
//! before sending is a [`LoadErrorKind::Tool`] error, named as the tool's. Errors and findings
//! point into the user's file: [`Location`] has the line and column for JSON and YAML and the
//! resource address for Terraform.
//!
//! ```
//! use corsmatch::formats::{self, Form};
//! use corsmatch::{Options, Profile};
//!
//! let console = br#"[{"AllowedOrigins": ["https://app.example.com"], "AllowedMethods": ["PUT"],
//!                     "AllowedHeaders": ["*"], "MaxAgeSeconds": 600}]"#;
//! let source = formats::read(console, None)?;
//! assert_eq!(source.form, Form::Json);
//! let bucket = source.select(None)?;
//! assert_eq!(bucket.provider, Some(Profile::S3));
//! let rules = bucket.compile(&Options::new(Profile::S3))?;
//! assert_eq!(rules.config().unwrap().rules[0].max_age_seconds, Some(600));
//!
//! let bad = br#"{"CORSRules": [{"AllowedOrigins": ["*"], "AllowedMethods": ["FETCH"]}]}"#;
//! let err = formats::read(bad, None)?.select(None)?.compile(&Options::new(Profile::S3)).unwrap_err();
//! assert_eq!(err.config_error().unwrap().code(), "InvalidRequest");
//! assert_eq!(err.location().unwrap().to_string(), "1:61 CORSRules[0].AllowedMethods[0]");
//! # Ok::<(), corsmatch::formats::LoadError>(())
//! ```

mod cloudformation;
mod emit;
pub(crate) mod json;
pub(crate) mod node;
mod s3json;
mod terraform;
mod yaml;

use std::borrow::Cow;
use std::fmt;

pub use emit::{convert, Converted};
pub use node::Pos;

use crate::error::{ConfigError, ErrorKind};
use crate::{Limits, Options, Profile, RuleSet};

/// The largest file read in a form other than XML: 64 MiB (a Terraform plan of a large
/// estate runs to tens of megabytes). XML documents keep the profile's limit.
pub const MAX_INPUT_BYTES: usize = 64 << 20;

/// The forms a configuration can come in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Form {
    /// The API's `CORSConfiguration` XML document.
    Xml,
    /// The S3 console's JSON: an array of rules.
    Json,
    /// The AWS CLI's JSON: `{"CORSRules": [...]}`.
    CliJson,
    /// A CloudFormation template, JSON or YAML.
    CloudFormation,
    /// Terraform: `terraform show -json` output, or a `.tf.json` configuration file.
    Terraform,
}

impl Form {
    /// Every form, in the order of the module documentation.
    pub const ALL: [Form; 5] = [Form::Xml, Form::Json, Form::CliJson, Form::CloudFormation, Form::Terraform];

    /// The name used on the command line: `xml`, `json`, `cli-json`, `cloudformation`,
    /// `terraform`.
    pub const fn name(self) -> &'static str {
        match self {
            Form::Xml => "xml",
            Form::Json => "json",
            Form::CliJson => "cli-json",
            Form::CloudFormation => "cloudformation",
            Form::Terraform => "terraform",
        }
    }
}

impl fmt::Display for Form {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Form {
    type Err = String;
    fn from_str(s: &str) -> Result<Form, String> {
        Form::ALL
            .into_iter()
            .find(|f| f.name() == s)
            .ok_or_else(|| format!("unknown form {s:?}: expected xml, json, cli-json, cloudformation or terraform"))
    }
}

/// Where something is in the user's file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The CloudFormation logical id or the Terraform address, when the file has resources.
    pub resource: Option<String>,
    /// The path to the value, in the file's own names: `CORSRules[0].AllowedMethods[1]`,
    /// `Resources.Uploads.Properties.CorsConfiguration.CorsRules[0].MaxAge`,
    /// `cors_rule[0].allowed_origins[2]`. Empty for the whole file.
    pub path: String,
    /// Line and column, from 1; `line == 0` when the file has no lines worth naming.
    pub pos: Pos,
}

impl fmt::Display for Location {
    /// `LINE:COLUMN PATH`, or `RESOURCE: PATH (LINE:COLUMN)` when a resource is named.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.resource {
            Some(r) => {
                write!(f, "{r}")?;
                if !self.path.is_empty() {
                    write!(f, ": {}", self.path)?;
                }
                if self.pos.line > 0 {
                    write!(f, " ({})", self.pos)?;
                }
                Ok(())
            }
            None if self.pos.line > 0 && self.path.is_empty() => write!(f, "{}", self.pos),
            None if self.pos.line > 0 => write!(f, "{} {}", self.pos, self.path),
            None => f.write_str(&self.path),
        }
    }
}

/// What went wrong reading a configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LoadErrorKind {
    /// The file is not valid in its form's syntax (JSON, YAML), or not UTF-8.
    Syntax {
        /// The form, or the syntax it was read as.
        form: Form,
        /// What is wrong.
        message: String,
    },
    /// The tool refuses the file before sending anything: botocore's parameter validation,
    /// CloudFormation's resource schema, Terraform's schema. The message is the tool's.
    Tool {
        /// `AWS CLI`, `CloudFormation`, `Terraform`, `S3 console`.
        tool: &'static str,
        /// The tool's message.
        message: String,
    },
    /// The provider refuses the document the tool sends: its code and message.
    Provider(ConfigError),
    /// Something corsmatch cannot evaluate: an intrinsic function without a value to use, a
    /// Terraform interpolation.
    Unsupported {
        /// What, and what to do.
        message: String,
    },
    /// The content is none of the forms.
    Undetected {
        /// Why.
        message: String,
    },
    /// The file has no bucket with a CORS configuration.
    NoBucket,
    /// Several buckets and no resource named.
    Ambiguous {
        /// The resources to choose from.
        resources: Vec<String>,
    },
    /// The resource named is not in the file.
    UnknownResource {
        /// The name asked for.
        name: String,
        /// The resources there are.
        resources: Vec<String>,
    },
    /// The file is larger than [`MAX_INPUT_BYTES`].
    TooLarge {
        /// Its size.
        size: usize,
    },
}

/// A configuration that could not be read or that would be refused, with where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError(Box<(LoadErrorKind, Option<Location>)>);

impl LoadError {
    pub(crate) fn new(kind: LoadErrorKind, location: Option<Location>) -> LoadError {
        LoadError(Box::new((kind, location)))
    }

    pub(crate) fn syntax(form: Form, e: json::SyntaxError) -> LoadError {
        let location = Location { resource: None, path: String::new(), pos: e.pos };
        LoadError::new(LoadErrorKind::Syntax { form, message: e.message }, Some(location))
    }

    pub(crate) fn tool(tool: &'static str, message: impl Into<String>, at: Option<Location>) -> LoadError {
        LoadError::new(LoadErrorKind::Tool { tool, message: message.into() }, at)
    }

    pub(crate) fn unsupported(message: impl Into<String>, at: Option<Location>) -> LoadError {
        LoadError::new(LoadErrorKind::Unsupported { message: message.into() }, at)
    }

    /// What went wrong.
    pub fn kind(&self) -> &LoadErrorKind {
        &self.0 .0
    }

    /// Where, when known.
    pub fn location(&self) -> Option<&Location> {
        self.0 .1.as_ref()
    }

    /// The provider's error, when the provider is what refuses.
    pub fn config_error(&self) -> Option<&ConfigError> {
        match self.kind() {
            LoadErrorKind::Provider(e) => Some(e),
            _ => None,
        }
    }

    /// Whether it is about choosing a resource (no bucket, several, an unknown name), which
    /// the command line treats as a usage error rather than an invalid configuration.
    pub fn is_selection(&self) -> bool {
        matches!(
            self.kind(),
            LoadErrorKind::NoBucket | LoadErrorKind::Ambiguous { .. } | LoadErrorKind::UnknownResource { .. }
        )
    }
}

impl From<ConfigError> for LoadError {
    fn from(e: ConfigError) -> LoadError {
        LoadError::new(LoadErrorKind::Provider(e), None)
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(at) = self.location() {
            write!(f, "{at}: ")?;
        }
        match self.kind() {
            LoadErrorKind::Syntax { form, message } => write!(f, "not valid {}: {message}", syntax_name(*form)),
            LoadErrorKind::Tool { tool, message } => write!(f, "{tool} refuses this before sending it: {message}"),
            LoadErrorKind::Provider(e) => write!(f, "the provider refuses it: {} ({}: {})", e, e.code(), e.message()),
            LoadErrorKind::Unsupported { message } => write!(f, "{message}"),
            LoadErrorKind::Undetected { message } => write!(f, "{message}"),
            LoadErrorKind::NoBucket => f.write_str("no bucket with a CORS configuration in the file"),
            LoadErrorKind::Ambiguous { resources } => {
                write!(
                    f,
                    "the file has {} buckets with CORS: {}; choose one with --resource",
                    resources.len(),
                    resources.join(", ")
                )
            }
            LoadErrorKind::UnknownResource { name, resources } => {
                write!(f, "no bucket {name:?} with CORS in the file; there are: {}", resources.join(", "))
            }
            LoadErrorKind::TooLarge { size } => {
                write!(f, "the file has {size} bytes, over the limit of {MAX_INPUT_BYTES}")
            }
        }
    }
}

impl std::error::Error for LoadError {}

fn syntax_name(form: Form) -> &'static str {
    match form {
        Form::Xml => "XML",
        Form::CloudFormation => "JSON or YAML",
        _ => "JSON",
    }
}

// ---------------------------------------------------------------------------------------
// The document a tool sends, before validation, with where each value came from.

/// A value and where it is in the user's file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Item {
    pub text: String,
    pub at: Location,
}

/// The elements of a rule, in the order of [`RawRule::lists`].
pub(crate) const ELEMENTS: [&str; 4] = ["AllowedOrigin", "AllowedMethod", "AllowedHeader", "ExposeHeader"];

/// One rule as the tool would send it: every value is text, as on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RawRule {
    pub id: Option<Item>,
    /// `AllowedOrigin`, `AllowedMethod`, `AllowedHeader`, `ExposeHeader` values.
    pub lists: [Vec<Item>; 4],
    /// `MaxAgeSeconds` as the tool writes it (`600`, `-1`, `True`).
    pub max_age: Option<Item>,
    pub at: Location,
}

/// The document a tool sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RawConfig {
    pub rules: Vec<RawRule>,
    /// Where the list of rules is (for errors about the whole configuration).
    pub at: Location,
    /// The root element's namespace the tool writes (S3's for the AWS tools).
    pub namespace: Option<&'static str>,
}

pub(crate) const S3_NAMESPACE: &str = "http://s3.amazonaws.com/doc/2006-03-01/";

impl RawConfig {
    fn to_xml(&self, rules: &[RawRule]) -> String {
        use crate::render::escape_string as esc;
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        match self.namespace {
            Some(ns) => out.push_str(&format!("<CORSConfiguration xmlns=\"{ns}\">")),
            None => out.push_str("<CORSConfiguration>"),
        }
        for rule in rules {
            out.push_str("<CORSRule>");
            if let Some(id) = &rule.id {
                out.push_str(&format!("<ID>{}</ID>", esc(&id.text)));
            }
            for (name, items) in ELEMENTS.iter().zip(&rule.lists) {
                for item in items {
                    out.push_str(&format!("<{name}>{}</{name}>", esc(&item.text)));
                }
            }
            if let Some(age) = &rule.max_age {
                out.push_str(&format!("<MaxAgeSeconds>{}</MaxAgeSeconds>", esc(&age.text)));
            }
            out.push_str("</CORSRule>");
        }
        out.push_str("</CORSConfiguration>");
        out
    }

    /// Where the provider's error is: the first rule that fails on its own with the same
    /// error (the providers check rules one at a time, in order), then its item.
    fn locate(&self, error: &ConfigError, options: &Options) -> Location {
        let kind = error.kind();
        match kind {
            ErrorKind::TooManyRules { limit, .. } => {
                return self.rules.get(*limit).map_or_else(|| self.at.clone(), |r| r.at.clone())
            }
            ErrorKind::CompiledTooLarge { .. } => return self.at.clone(),
            ErrorKind::MalformedXml { .. } if self.rules.is_empty() => return self.at.clone(),
            _ => {}
        }
        let lone = options.max_rules(usize::MAX).max_document_bytes(usize::MAX).max_compiled_bytes(usize::MAX);
        let culprit = self.rules.iter().find(|r| {
            let doc = self.to_xml(std::slice::from_ref(*r));
            matches!(lone.compile_xml(doc.as_bytes()), Err(e) if e.code() == error.code() && e.message() == error.message())
        });
        let Some(rule) = culprit else { return self.at.clone() };
        let in_list = |element: &str, value: &str| {
            let index = ELEMENTS.iter().position(|e| *e == element)?;
            rule.lists[index].iter().find(|i| i.text == value).map(|i| i.at.clone())
        };
        let found = match kind {
            ErrorKind::UnsupportedMethod { method } => in_list("AllowedMethod", method),
            ErrorKind::OriginWildcards { origin } => in_list("AllowedOrigin", origin),
            ErrorKind::HeaderWildcards { header } => in_list("AllowedHeader", header),
            ErrorKind::ExposeHeaderChar { header, .. } => in_list("ExposeHeader", header),
            ErrorKind::ControlCharacter { element: "ID", .. } | ErrorKind::IdTooLong { .. } => {
                rule.id.as_ref().map(|i| i.at.clone())
            }
            ErrorKind::ControlCharacter { element, value } => in_list(element, value),
            ErrorKind::NegativeMaxAge { .. } => rule.max_age.as_ref().map(|i| i.at.clone()),
            ErrorKind::MalformedXml { detail } if detail.contains("MaxAgeSeconds") => {
                rule.max_age.as_ref().map(|i| i.at.clone())
            }
            _ => None,
        };
        found.unwrap_or_else(|| rule.at.clone())
    }
}

// ---------------------------------------------------------------------------------------
// Buckets and sources

#[derive(Debug, Clone)]
enum Body {
    /// An XML document, compiled byte for byte as before this module existed.
    Xml(Vec<u8>),
    /// What a tool would send.
    Raw(RawConfig),
}

/// One bucket's CORS configuration, as its tool would send it.
#[derive(Debug, Clone)]
pub struct Bucket {
    /// The CloudFormation logical id or the Terraform address; `None` for XML and the S3
    /// JSON forms.
    pub resource: Option<String>,
    /// Whose API the tool calls: `S3` for the AWS tools, `Oss` for Alibaba Cloud's Terraform
    /// provider, `None` for XML (which both take).
    pub provider: Option<Profile>,
    /// The tool that sends it (`S3 console`, `AWS CLI`, `CloudFormation`, `Terraform
    /// (hashicorp/aws)`, ...); `None` for XML.
    pub tool: Option<&'static str>,
    /// What the tool changes on the way, worth knowing (Terraform's set ordering, a
    /// `max_age_seconds` it always sends).
    pub notes: Vec<String>,
    body: Body,
}

impl Bucket {
    fn xml(bytes: Vec<u8>) -> Bucket {
        Bucket { resource: None, provider: None, tool: None, notes: Vec::new(), body: Body::Xml(bytes) }
    }

    /// The XML document the tool sends (for XML, the file itself).
    pub fn document(&self) -> Cow<'_, [u8]> {
        match &self.body {
            Body::Xml(bytes) => Cow::Borrowed(bytes),
            Body::Raw(raw) => Cow::Owned(raw.to_xml(&raw.rules).into_bytes()),
        }
    }

    /// Validates the document as the provider does and compiles it. An XML document goes
    /// through [`Options::compile_xml`] unchanged; the provider's errors for other forms
    /// carry the location of the value at fault.
    pub fn compile(&self, options: &Options) -> Result<RuleSet, LoadError> {
        self.compile_document(options).map(|(_, set)| set)
    }

    /// [`Bucket::compile`], with the document compiled ([`Bucket::document`]).
    pub fn compile_document(&self, options: &Options) -> Result<(Cow<'_, [u8]>, RuleSet), LoadError> {
        let document = self.document();
        match options.compile_xml(&document) {
            Ok(set) => Ok((document, set)),
            Err(e) => Err(match &self.body {
                Body::Xml(_) => LoadError::from(e),
                Body::Raw(raw) => {
                    let at = raw.locate(&e, options);
                    LoadError::new(LoadErrorKind::Provider(e), Some(at))
                }
            }),
        }
    }

    /// Where rule `rule` (0-based, in the order the tool sends the rules) is, or its item
    /// `item` of `element` (`AllowedOrigin`, `AllowedMethod`, `AllowedHeader`,
    /// `ExposeHeader`): what a lint finding names.
    pub fn locate(&self, rule: usize, element: Option<&str>, item: Option<usize>) -> Option<Location> {
        match &self.body {
            Body::Xml(bytes) => locate_xml(bytes, rule, element, item),
            Body::Raw(raw) => {
                let r = raw.rules.get(rule)?;
                let list = element.and_then(|e| ELEMENTS.iter().position(|x| *x == e)).map(|i| &r.lists[i]);
                match (list, item) {
                    (Some(list), Some(i)) => list.get(i).map(|x| x.at.clone()).or_else(|| Some(r.at.clone())),
                    _ => Some(r.at.clone()),
                }
            }
        }
    }

    /// Where the configuration as a whole is (findings about no rule in particular).
    pub fn location(&self) -> Option<Location> {
        match &self.body {
            Body::Xml(_) => Some(Location { resource: None, path: String::new(), pos: Pos { line: 1, column: 1 } }),
            Body::Raw(raw) => Some(raw.at.clone()),
        }
    }
}

/// A file's buckets.
#[derive(Debug, Clone)]
pub struct Source {
    /// The form it was read as.
    pub form: Form,
    /// Its buckets with CORS, in file order.
    pub buckets: Vec<Bucket>,
}

impl Source {
    /// The resources' names (an XML or S3 JSON file has one bucket without a name).
    pub fn resources(&self) -> Vec<String> {
        self.buckets.iter().filter_map(|b| b.resource.clone()).collect()
    }

    /// The bucket named `resource`, or the only one. A CloudFormation name is a logical id;
    /// a Terraform name is an address, and a unique suffix of one (`uploads` for
    /// `aws_s3_bucket_cors_configuration.uploads`) is accepted too.
    pub fn select(self, resource: Option<&str>) -> Result<Bucket, LoadError> {
        let names = self.resources();
        let mut buckets = self.buckets;
        let Some(name) = resource else {
            return match buckets.len() {
                0 => Err(LoadError::new(LoadErrorKind::NoBucket, None)),
                1 => Ok(buckets.remove(0)),
                _ => Err(LoadError::new(LoadErrorKind::Ambiguous { resources: names }, None)),
            };
        };
        if let Some(i) = buckets.iter().position(|b| b.resource.as_deref() == Some(name)) {
            return Ok(buckets.swap_remove(i));
        }
        let suffix = format!(".{name}");
        let matching: Vec<usize> = (0..buckets.len())
            .filter(|&i| buckets[i].resource.as_deref().is_some_and(|r| r.ends_with(&suffix)))
            .collect();
        match matching.as_slice() {
            [i] => Ok(buckets.swap_remove(*i)),
            [] => {
                Err(LoadError::new(LoadErrorKind::UnknownResource { name: name.to_string(), resources: names }, None))
            }
            _ => Err(LoadError::new(
                LoadErrorKind::Ambiguous {
                    resources: matching.iter().filter_map(|&i| buckets[i].resource.clone()).collect(),
                },
                None,
            )),
        }
    }
}

/// Reads a configuration kept as JSON (the S3 console's array, the AWS CLI's
/// `{"CORSRules": ...}`, a CloudFormation template, Terraform's plan, state or `.tf.json`),
/// picks `resource` (or the only bucket), and compiles it with `options`. `profile` overrides
/// the provider the tool talks to (`s3` for the AWS tools, `oss` for Alibaba Cloud's
/// Terraform provider); limits `options` leaves at its profile's defaults follow the profile
/// used. The bindings' `from_json` is this. An XML document is refused with a
/// [`LoadErrorKind::Undetected`]: it has its own reader.
pub fn compile_json(
    bytes: &[u8],
    resource: Option<&str>,
    profile: Option<Profile>,
    mut options: Options,
) -> Result<RuleSet, LoadError> {
    let source = read(bytes, None)?;
    if source.form == Form::Xml {
        let message = "not JSON: read a CORSConfiguration document with from_xml".to_string();
        return Err(LoadError::new(LoadErrorKind::Undetected { message }, None));
    }
    let bucket = source.select(resource)?;
    let resolved = profile.or(bucket.provider).unwrap_or(options.profile);
    if resolved != options.profile {
        // Limits left at the given profile's defaults become the resolved profile's.
        let (was, now) = (Limits::of(options.profile), Limits::of(resolved));
        if options.limits.max_rules == was.max_rules {
            options.limits.max_rules = now.max_rules;
        }
        if options.limits.max_document_bytes == was.max_document_bytes {
            options.limits.max_document_bytes = now.max_document_bytes;
        }
        options.profile = resolved;
    }
    bucket.compile(&options)
}

/// Reads a file in any form: `form` forces one, `None` detects it from the content
/// ([`detect`]). A JSON object is parsed once, to detect its form and to read it.
pub fn read(bytes: &[u8], form: Option<Form>) -> Result<Source, LoadError> {
    let (form, parsed) = match form {
        Some(f) => (f, None),
        None => match detect_head(bytes) {
            Some(f) => (f, None),
            None => {
                let node = parse_object(bytes)?;
                (detect_object(&node)?, Some(node))
            }
        },
    };
    if form == Form::Xml {
        return Ok(Source { form, buckets: vec![Bucket::xml(bytes.to_vec())] });
    }
    let node = match parsed {
        Some(node) => node,
        None => {
            if bytes.len() > MAX_INPUT_BYTES {
                return Err(LoadError::new(LoadErrorKind::TooLarge { size: bytes.len() }, None));
            }
            let text = utf8(bytes, form)?;
            match form {
                Form::Json | Form::CliJson => json::parse(text).map_err(|e| s3json::syntax_error(form, e))?,
                Form::CloudFormation => parse_json_or_yaml(text, form)?,
                _ => json::parse(text).map_err(|e| LoadError::syntax(form, e))?,
            }
        }
    };
    let buckets = match form {
        Form::Xml => unreachable!("handled above"),
        Form::Json | Form::CliJson => vec![s3json::read(&node, form)?],
        Form::CloudFormation => cloudformation::read(&node)?,
        Form::Terraform => terraform::read(&node)?,
    };
    Ok(Source { form, buckets })
}

fn utf8(bytes: &[u8], form: Form) -> Result<&str, LoadError> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|e| {
        let before = &bytes[..e.valid_up_to()];
        let line = before.iter().filter(|&&b| b == b'\n').count() as u32 + 1;
        let line_start = before.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        let column = String::from_utf8_lossy(&before[line_start..]).chars().count() as u32 + 1;
        let at = Location { resource: None, path: String::new(), pos: Pos { line, column } };
        LoadError::new(LoadErrorKind::Syntax { form, message: format!("the file is not UTF-8 ({e})") }, Some(at))
    })
}

fn parse_json_or_yaml(text: &str, form: Form) -> Result<node::Node, LoadError> {
    if first_char(text) == Some('{') {
        json::parse(text).map_err(|e| LoadError::syntax(form, e))
    } else {
        yaml::parse(text).map_err(|e| LoadError::syntax(form, e))
    }
}

fn first_char(text: &str) -> Option<char> {
    text.trim_start_matches('\u{feff}').trim_start().chars().next()
}

/// Tells the form from the content:
/// - `<`, or anything that is neither JSON nor a YAML template: XML (so every document read
///   before, valid or not, is still read as XML);
/// - `[`: the S3 console's JSON;
/// - `{` with `CORSRules` or `CORSConfiguration`: the AWS CLI's; with `Resources` or
///   `AWSTemplateFormatVersion`: CloudFormation; with `format_version`, `planned_values`,
///   `values` or `resource`: Terraform;
/// - YAML with a top-level `Resources:` or `AWSTemplateFormatVersion:` line: CloudFormation.
pub fn detect(bytes: &[u8]) -> Result<Form, LoadError> {
    match detect_head(bytes) {
        Some(form) => Ok(form),
        None => detect_object(&parse_object(bytes)?),
    }
}

/// [`detect`] from the first bytes: `None` for a JSON object, whose keys tell.
fn detect_head(bytes: &[u8]) -> Option<Form> {
    let head = &bytes[..bytes.len().min(4096)];
    let head = String::from_utf8_lossy(head);
    match first_char(&head) {
        Some('[') => Some(Form::Json),
        Some('{') => None,
        _ => {
            let template =
                head.lines().any(|l| l.starts_with("Resources:") || l.starts_with("AWSTemplateFormatVersion:"));
            Some(if template { Form::CloudFormation } else { Form::Xml })
        }
    }
}

/// A file that starts as a JSON object, parsed (its form not known yet).
fn parse_object(bytes: &[u8]) -> Result<node::Node, LoadError> {
    if bytes.len() > MAX_INPUT_BYTES {
        return Err(LoadError::new(LoadErrorKind::TooLarge { size: bytes.len() }, None));
    }
    let text = utf8(bytes, Form::CliJson)?;
    json::parse(text).map_err(|e| LoadError::syntax(Form::CliJson, e))
}

/// [`detect`] for a JSON object, from its keys.
fn detect_object(node: &node::Node) -> Result<Form, LoadError> {
    let has = |k: &str| node.get(k).is_some();
    if has("CORSRules") || has("CORSConfiguration") {
        Ok(Form::CliJson)
    } else if has("Resources") || has("AWSTemplateFormatVersion") {
        Ok(Form::CloudFormation)
    } else if has("format_version") || has("planned_values") || has("values") || has("resource") {
        Ok(Form::Terraform)
    } else {
        let keys: Vec<&str> = node.fields().iter().map(|(k, _, _)| *k).take(5).collect();
        Err(LoadError::new(
            LoadErrorKind::Undetected {
                message: format!(
                    "a JSON object with the keys {keys:?} is none of the forms corsmatch reads (CORSRules, a CloudFormation template, terraform show -json); name one with --from"
                ),
            },
            None,
        ))
    }
}

/// The location of rule `rule` (or its item) in an XML document, from roxmltree's positions.
fn locate_xml(bytes: &[u8], rule: usize, element: Option<&str>, item: Option<usize>) -> Option<Location> {
    let text = std::str::from_utf8(bytes).ok()?;
    let options = roxmltree::ParsingOptions { allow_dtd: false, ..Default::default() };
    let doc = roxmltree::Document::parse_with_options(text, options).ok()?;
    let node = doc.root_element().children().filter(|n| n.has_tag_name("CORSRule")).nth(rule)?;
    let mut path = format!("CORSRule[{rule}]");
    let target = match (element, item) {
        (Some(e), Some(i)) => {
            path.push_str(&format!(".{e}[{i}]"));
            node.children().filter(|n| n.has_tag_name(e)).nth(i).unwrap_or(node)
        }
        _ => node,
    };
    let p = doc.text_pos_at(target.range().start);
    Some(Location { resource: None, path, pos: Pos { line: p.row, column: p.col } })
}

// ---------------------------------------------------------------------------------------
// Helpers shared by the readers

/// A path in the file's own names: `base.key`, `base[i]`.
pub(crate) fn join(base: &str, key: &str) -> String {
    if base.is_empty() {
        key.to_string()
    } else {
        format!("{base}.{key}")
    }
}

pub(crate) fn at(resource: &Option<String>, path: impl Into<String>, pos: Pos) -> Location {
    Location { resource: resource.clone(), path: path.into(), pos }
}

#[cfg(test)]
mod tests;
