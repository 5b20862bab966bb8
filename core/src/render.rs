//! What goes on the wire: header names, the providers' messages, XML error bodies.

use crate::Profile;

/// `Access-Control-Allow-Origin`
pub const ALLOW_ORIGIN: &str = "Access-Control-Allow-Origin";
/// `Access-Control-Allow-Methods`
pub const ALLOW_METHODS: &str = "Access-Control-Allow-Methods";
/// `Access-Control-Allow-Headers`
pub const ALLOW_HEADERS: &str = "Access-Control-Allow-Headers";
/// `Access-Control-Expose-Headers`
pub const EXPOSE_HEADERS: &str = "Access-Control-Expose-Headers";
/// `Access-Control-Max-Age`
pub const MAX_AGE: &str = "Access-Control-Max-Age";
/// `Access-Control-Allow-Credentials`
pub const ALLOW_CREDENTIALS: &str = "Access-Control-Allow-Credentials";
/// `Vary`
pub const VARY: &str = "Vary";

/// Response header names in the order they are sent.
pub const HEADER_ORDER: [&str; 7] =
    [ALLOW_ORIGIN, ALLOW_METHODS, ALLOW_HEADERS, EXPOSE_HEADERS, MAX_AGE, ALLOW_CREDENTIALS, VARY];

/// Where each header's value stands in [`crate::Decision::values`] (and [`HEADER_ORDER`]).
pub mod slot {
    /// `Access-Control-Allow-Origin`
    pub const ALLOW_ORIGIN: usize = 0;
    /// `Access-Control-Allow-Methods`
    pub const ALLOW_METHODS: usize = 1;
    /// `Access-Control-Allow-Headers`
    pub const ALLOW_HEADERS: usize = 2;
    /// `Access-Control-Expose-Headers`
    pub const EXPOSE_HEADERS: usize = 3;
    /// `Access-Control-Max-Age`
    pub const MAX_AGE: usize = 4;
    /// `Access-Control-Allow-Credentials`
    pub const ALLOW_CREDENTIALS: usize = 5;
    /// `Vary`
    pub const VARY: usize = 6;
}

/// S3's `Vary` on every matched CORS response.
pub const S3_VARY: &str = "Origin, Access-Control-Request-Headers, Access-Control-Request-Method";
/// OSS's `Vary` when `ResponseVary` is true.
pub const OSS_VARY: &str = "Origin";

pub(crate) const MSG_NO_ORIGIN: &str = "Insufficient information. Origin request header needed.";
pub(crate) const MSG_OSS_NO_ACRM: &str =
    "Insufficient information. Request Access-Control-Request-Method header needed.";
pub(crate) const MSG_S3_NO_ACRM: &str = "Invalid Access-Control-Request-Method: null";
pub(crate) const MSG_INVALID_ACRM_PREFIX: &str = "Invalid Access-Control-Request-Method: ";
pub(crate) const MSG_OSS_DENIED: &str = "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Requet-Headers are not whitelisted by the resource's CORS spec.";
pub(crate) const MSG_S3_DENIED: &str = "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.";
pub(crate) const MSG_S3_NOT_ENABLED: &str = "CORSResponse: CORS is not enabled for this bucket.";
pub(crate) const MSG_S3_NO_BUCKET: &str = "CORSResponse: Bucket not found";
pub(crate) const MSG_OSS_NO_BUCKET: &str = "The specified bucket does not exist.";

/// Why a preflight is refused. The message is the provider's, per profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No `Origin` header: 400.
    NoOrigin,
    /// An `Access-Control-Request-Method` that is not one of the five: 400.
    InvalidAcrm,
    /// The bucket does not exist: 403 (s3) or 404 (oss).
    NoBucket,
    /// The bucket has no CORS configuration: 403.
    NotEnabled,
    /// No `Access-Control-Request-Method` header: 400.
    NoAcrm,
    /// No rule matched: 403.
    Denied,
}

impl Refusal {
    /// HTTP status.
    pub fn status(self, profile: Profile) -> u16 {
        match (self, profile) {
            (Refusal::NoOrigin | Refusal::InvalidAcrm | Refusal::NoAcrm, _) => 400,
            (Refusal::NoBucket, Profile::Oss) => 404,
            _ => 403,
        }
    }

    /// Error code.
    pub fn code(self, profile: Profile) -> &'static str {
        match (self, profile) {
            (Refusal::NoOrigin | Refusal::InvalidAcrm | Refusal::NoAcrm, _) => "BadRequest",
            (Refusal::NoBucket, Profile::Oss) => "NoSuchBucket",
            _ => "AccessForbidden",
        }
    }

    /// The message, except for `InvalidAcrm`, whose message ends with the request's value.
    pub fn static_message(self, profile: Profile) -> &'static str {
        match (self, profile) {
            (Refusal::NoOrigin, _) => MSG_NO_ORIGIN,
            (Refusal::InvalidAcrm, _) => MSG_INVALID_ACRM_PREFIX,
            (Refusal::NoBucket, Profile::Oss) => MSG_OSS_NO_BUCKET,
            (Refusal::NoBucket, Profile::S3) => MSG_S3_NO_BUCKET,
            (Refusal::NotEnabled | Refusal::Denied, Profile::Oss) => MSG_OSS_DENIED,
            (Refusal::NotEnabled, Profile::S3) => MSG_S3_NOT_ENABLED,
            (Refusal::NoAcrm, Profile::Oss) => MSG_OSS_NO_ACRM,
            (Refusal::NoAcrm, Profile::S3) => MSG_S3_NO_ACRM,
            (Refusal::Denied, Profile::S3) => MSG_S3_DENIED,
        }
    }

    /// Whether S3 adds `<Method>` and `<ResourceType>` to the body (its 403s).
    pub fn s3_extras(self, profile: Profile) -> bool {
        profile == Profile::S3 && matches!(self, Refusal::NoBucket | Refusal::NotEnabled | Refusal::Denied)
    }
}

/// Appends `s` escaped as XML text content: `&`, `<` and `>` as entities (quotes need no
/// escape there, and the providers' messages carry a literal apostrophe), and the characters
/// XML 1.0 cannot hold at all (C0 controls other than tab, CR and LF; U+FFFE, U+FFFF) as
/// U+FFFD, so that a body is well-formed whatever the request carried.
pub fn escape_into(out: &mut String, s: &str) {
    let bytes = s.as_bytes();
    let special = |b: u8| {
        // U+FFFE and U+FFFF start with 0xEF: rare enough to take the slow path for.
        (b < 0x20 && b != b'\t' && b != b'\n' && b != b'\r') || b == 0xEF || matches!(b, b'&' | b'<' | b'>')
    };
    let plain = if bytes.len() <= 32 {
        // Codes, methods, ids: a byte loop costs less than calling `memchr3`.
        !bytes.iter().any(|&b| special(b))
    } else {
        // Without short-circuits, so that the scan over a message is vectorised.
        let suspect = bytes
            .iter()
            .fold(false, |acc, &b| acc | (b < 0x20 && b != b'\t' && b != b'\n' && b != b'\r') | (b == 0xEF));
        !suspect && memchr::memchr3(b'&', b'<', b'>', bytes).is_none()
    };
    if plain {
        out.push_str(s);
        return;
    }
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c < ' ' || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
}

/// `s` escaped as XML text content.
pub fn escape_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    escape_into(&mut out, s);
    out
}

/// Appends the provider's XML error body. `extras` are elements after `<Message>`, as
/// `(name, text)`: S3's `Method` and `ResourceType`, OSS's `ArgumentName` and
/// `ArgumentValue`.
pub fn error_body(
    out: &mut String,
    code: &str,
    message: &str,
    extras: &[(&str, &str)],
    request_id: Option<&str>,
    host_id: Option<&str>,
) {
    error_body_with(out, code, message, false, extras, request_id, host_id);
}

/// [`error_body`], with the message copied as it is when `plain_message` says it needs no
/// escape: the providers' own messages (checked by a test), whose escape scan costs about as
/// much as the rest of a refusal.
pub(crate) fn error_body_with(
    out: &mut String,
    code: &str,
    message: &str,
    plain_message: bool,
    extras: &[(&str, &str)],
    request_id: Option<&str>,
    host_id: Option<&str>,
) {
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>");
    escape_into(out, code);
    out.push_str("</Code><Message>");
    if plain_message {
        out.push_str(message);
    } else {
        escape_into(out, message);
    }
    out.push_str("</Message>");
    let mut element = |name: &str, text: &str| {
        out.push('<');
        out.push_str(name);
        out.push('>');
        escape_into(out, text);
        out.push_str("</");
        out.push_str(name);
        out.push('>');
    };
    for &(name, text) in extras {
        element(name, text);
    }
    for (name, text) in [("RequestId", request_id), ("HostId", host_id)] {
        if let Some(text) = text {
            element(name, text);
        }
    }
    out.push_str("</Error>");
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Refusals copy the static messages into bodies without escaping them.
    #[test]
    fn static_messages_need_no_escape() {
        let reasons = [
            Refusal::NoOrigin,
            Refusal::InvalidAcrm,
            Refusal::NoBucket,
            Refusal::NotEnabled,
            Refusal::NoAcrm,
            Refusal::Denied,
        ];
        for profile in [Profile::Oss, Profile::S3] {
            for reason in reasons {
                let m = reason.static_message(profile);
                assert_eq!(escape_string(m), m, "{reason:?} {profile:?}");
            }
        }
    }

    /// Short values take a byte loop and long ones a vectorised pass and `memchr3`: both
    /// must find every special byte wherever it stands.
    #[test]
    fn escapes_short_and_long_values_alike() {
        for len in [1, 5, 31, 32, 33, 80] {
            for at in [0, len / 2, len - 1] {
                for (special, want) in
                    [("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("\u{1}", "\u{FFFD}"), ("\u{FFFF}", "\u{FFFD}")]
                {
                    let mut s = "a".repeat(len - 1);
                    s.insert_str(at, special);
                    let mut expected = "a".repeat(len - 1);
                    expected.insert_str(at, want);
                    assert_eq!(escape_string(&s), expected, "{special:?} at {at} of {len}");
                }
                let plain = format!("{}\t\n\r", "a".repeat(len));
                assert_eq!(escape_string(&plain), plain);
            }
        }
    }
}
