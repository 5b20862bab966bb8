//! Configuration errors, carrying the provider's HTTP status, code and message.

use std::fmt;

/// What went wrong with a configuration document or its compilation.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Not well-formed XML, the wrong root, an unknown or repeated element, a rule without
    /// origin or method, a non-integer `MaxAgeSeconds`, a body over the profile's size, no
    /// rule at all, or a `ResponseVary` that is not `true`/`false`.
    MalformedXml {
        /// Why, in our words (the provider's message does not say).
        detail: String,
    },
    /// More rules than the limit in force.
    TooManyRules {
        /// The number of rules in the document.
        count: usize,
        /// The limit in force.
        limit: usize,
    },
    /// An `AllowedMethod` outside `GET PUT DELETE POST HEAD`.
    UnsupportedMethod {
        /// The offending value, verbatim.
        method: String,
    },
    /// An `AllowedOrigin` with two or more `*`.
    OriginWildcards {
        /// The offending value, verbatim.
        origin: String,
    },
    /// An `AllowedHeader` with two or more `*`.
    HeaderWildcards {
        /// The offending value, verbatim.
        header: String,
    },
    /// An `ExposeHeader` with a character the profile forbids.
    ExposeHeaderChar {
        /// The offending value, verbatim.
        header: String,
        /// The first forbidden character found.
        found: char,
    },
    /// A negative `MaxAgeSeconds`.
    NegativeMaxAge {
        /// The value as written.
        value: String,
    },
    /// A control character (CR, LF, NUL, ...) in a value: refused so that no value can
    /// inject a response header.
    ControlCharacter {
        /// The element holding it.
        element: &'static str,
        /// The offending value, verbatim.
        value: String,
    },
    /// An `ID` (s3) longer than 255 characters.
    IdTooLong {
        /// Its length in characters.
        len: usize,
    },
    /// The compiled structure would be larger than the configured limit.
    CompiledTooLarge {
        /// Bytes the compiled rule set needs.
        size: usize,
        /// The limit in force.
        limit: usize,
    },
}

impl ErrorKind {
    /// The variant's name (`MalformedXml`, `ControlCharacter`, ...), for bindings that show
    /// the kind as a string.
    pub fn name(&self) -> &'static str {
        match self {
            ErrorKind::MalformedXml { .. } => "MalformedXml",
            ErrorKind::TooManyRules { .. } => "TooManyRules",
            ErrorKind::UnsupportedMethod { .. } => "UnsupportedMethod",
            ErrorKind::OriginWildcards { .. } => "OriginWildcards",
            ErrorKind::HeaderWildcards { .. } => "HeaderWildcards",
            ErrorKind::ExposeHeaderChar { .. } => "ExposeHeaderChar",
            ErrorKind::NegativeMaxAge { .. } => "NegativeMaxAge",
            ErrorKind::ControlCharacter { .. } => "ControlCharacter",
            ErrorKind::IdTooLong { .. } => "IdTooLong",
            ErrorKind::CompiledTooLarge { .. } => "CompiledTooLarge",
        }
    }
}

/// A configuration the provider would refuse, or one too large to compile.
///
/// `code()`, `message()` and `status()` are what the provider sends back, verbatim, so a
/// server can answer `PutBucketCors` with them; `Display` gives a lowercase explanation for
/// logs and humans.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    kind: ErrorKind,
    code: &'static str,
    message: String,
    status: u16,
}

/// The provider's message for `MalformedXML`.
pub const MALFORMED_XML_MESSAGE: &str =
    "The XML you provided was not well-formed or did not validate against our published schema";

impl ConfigError {
    pub(crate) fn new(kind: ErrorKind, oss: bool) -> ConfigError {
        let (status, code, message) = match &kind {
            ErrorKind::MalformedXml { .. } => (400, "MalformedXML", MALFORMED_XML_MESSAGE.to_string()),
            ErrorKind::TooManyRules { .. } if oss => {
                (400, "CORSRuleBeyondLimit", "The CORS Rules num is beyond limit.".to_string())
            }
            ErrorKind::TooManyRules { limit, .. } => (
                400,
                "InvalidRequest",
                format!("The number of CORS rules should not exceed allowed limit of {limit} rules."),
            ),
            ErrorKind::UnsupportedMethod { method } => (
                400,
                "InvalidRequest",
                format!("Found unsupported HTTP method in CORS config. Unsupported method is {method}"),
            ),
            ErrorKind::OriginWildcards { origin } => {
                (400, "InvalidRequest", format!("AllowedOrigin \"{origin}\" can not have more than one wildcard."))
            }
            ErrorKind::HeaderWildcards { header } => {
                (400, "InvalidRequest", format!("AllowedHeader \"{header}\" can not have more than one wildcard."))
            }
            ErrorKind::ExposeHeaderChar { found: '*', .. } => {
                (400, "InvalidRequest", "We currently do not support wildcard for ExposeHeader.".to_string())
            }
            ErrorKind::ExposeHeaderChar { header, .. } => {
                (400, "InvalidRequest", format!("ExposeHeader \"{header}\" contains an invalid character."))
            }
            ErrorKind::NegativeMaxAge { .. } => {
                (400, "InvalidArgument", "MaxAgeSeconds must not be negative.".to_string())
            }
            ErrorKind::ControlCharacter { element, .. } => {
                (400, "InvalidRequest", format!("{element} contains a control character."))
            }
            ErrorKind::IdTooLong { .. } => {
                (400, "InvalidArgument", "The ID of a CORS rule can not be longer than 255 characters.".to_string())
            }
            ErrorKind::CompiledTooLarge { size, limit } => (
                400,
                "InvalidRequest",
                format!("The CORS configuration is too large: it compiles to {size} bytes, over the limit of {limit}."),
            ),
        };
        ConfigError { kind, code, message, status }
    }

    pub(crate) fn malformed(detail: impl Into<String>, oss: bool) -> ConfigError {
        ConfigError::new(ErrorKind::MalformedXml { detail: detail.into() }, oss)
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// The provider's error code (`MalformedXML`, `InvalidRequest`, ...).
    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The provider's error message, verbatim.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The HTTP status the provider answers with.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The elements of the error body after `<Message>`, as `(name, text)`: OSS names the
    /// argument in its InvalidArgument bodies.
    pub fn extras(&self) -> Vec<(&'static str, &str)> {
        match &self.kind {
            ErrorKind::NegativeMaxAge { value } => vec![("ArgumentName", "MaxAgeSeconds"), ("ArgumentValue", value)],
            _ => Vec::new(),
        }
    }

    /// The provider's XML error body, with optional request and host ids.
    pub fn to_xml(&self, request_id: Option<&str>, host_id: Option<&str>) -> String {
        let mut out = String::new();
        crate::render::error_body(&mut out, self.code, &self.message, &self.extras(), request_id, host_id);
        out
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ErrorKind::MalformedXml { detail } => write!(f, "malformed configuration: {detail}"),
            ErrorKind::TooManyRules { count, limit } => {
                write!(f, "too many rules: {count}, the limit is {limit}")
            }
            ErrorKind::UnsupportedMethod { method } => write!(f, "unsupported method {method:?}"),
            ErrorKind::OriginWildcards { origin } => {
                write!(f, "origin {origin:?} has more than one wildcard")
            }
            ErrorKind::HeaderWildcards { header } => {
                write!(f, "allowed header {header:?} has more than one wildcard")
            }
            ErrorKind::ExposeHeaderChar { header, found } => {
                write!(f, "expose header {header:?} contains the forbidden character {found:?}")
            }
            ErrorKind::NegativeMaxAge { value } => write!(f, "negative MaxAgeSeconds {value}"),
            ErrorKind::ControlCharacter { element, value } => {
                write!(f, "{element} {value:?} contains a control character")
            }
            ErrorKind::IdTooLong { len } => write!(f, "rule id of {len} characters, the limit is 255"),
            ErrorKind::CompiledTooLarge { size, limit } => {
                write!(f, "compiled rule set of {size} bytes is over the limit of {limit}")
            }
        }?;
        write!(f, " ({} {})", self.status, self.code)
    }
}

impl std::error::Error for ConfigError {}

#[cfg(test)]
mod tests {
    use super::ErrorKind;

    #[test]
    fn kind_names_are_the_variant_names() {
        let s = String::new;
        for kind in [
            ErrorKind::MalformedXml { detail: s() },
            ErrorKind::TooManyRules { count: 0, limit: 0 },
            ErrorKind::UnsupportedMethod { method: s() },
            ErrorKind::OriginWildcards { origin: s() },
            ErrorKind::HeaderWildcards { header: s() },
            ErrorKind::ExposeHeaderChar { header: s(), found: ' ' },
            ErrorKind::NegativeMaxAge { value: s() },
            ErrorKind::ControlCharacter { element: "", value: s() },
            ErrorKind::IdTooLong { len: 0 },
            ErrorKind::CompiledTooLarge { size: 0, limit: 0 },
        ] {
            let debug = format!("{kind:?}");
            assert_eq!(Some(kind.name()), debug.split(' ').next(), "{debug}");
        }
    }
}
