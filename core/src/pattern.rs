//! Methods and the one-star glob used by `AllowedOrigin` and `AllowedHeader`.

/// One of the five methods a CORS rule may allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Method {
    /// `GET`
    Get,
    /// `PUT`
    Put,
    /// `DELETE`
    Delete,
    /// `POST`
    Post,
    /// `HEAD`
    Head,
}

impl Method {
    /// All five, in a fixed order (the bit order of [`Method::bit`]).
    pub const ALL: [Method; 5] = [Method::Get, Method::Put, Method::Delete, Method::Post, Method::Head];

    /// Parses a method, case-sensitively as the providers do (`get` is not `GET`).
    pub fn parse(s: &str) -> Option<Method> {
        match s {
            "GET" => Some(Method::Get),
            "PUT" => Some(Method::Put),
            "DELETE" => Some(Method::Delete),
            "POST" => Some(Method::Post),
            "HEAD" => Some(Method::Head),
            _ => None,
        }
    }

    /// The method's name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
            Method::Post => "POST",
            Method::Head => "HEAD",
        }
    }

    /// The method's bit in a method mask.
    pub const fn bit(self) -> u8 {
        1 << (self as u8)
    }

    /// The method's index, 0 to 4.
    pub const fn index(self) -> usize {
        self as usize
    }
}

/// An `AllowedOrigin` or `AllowedHeader` value: the wildcard is a value, not a string.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Pattern {
    /// `*` alone: matches everything.
    Any,
    /// No `*`: matches exactly this.
    Exact(String),
    /// `prefix*suffix`: starts with prefix, ends with suffix, and is at least as long as both.
    Glob {
        /// What the value must start with.
        prefix: String,
        /// What the value must end with.
        suffix: String,
    },
}

impl Pattern {
    /// Reads a validated pattern (at most one `*`).
    pub fn parse(s: &str) -> Pattern {
        if s == "*" {
            return Pattern::Any;
        }
        match s.split_once('*') {
            None => Pattern::Exact(s.to_string()),
            Some((prefix, suffix)) => Pattern::Glob { prefix: prefix.to_string(), suffix: suffix.to_string() },
        }
    }

    /// Reads a header pattern: lowercased ASCII, since header names compare case-insensitively.
    pub fn parse_header(s: &str) -> Pattern {
        Pattern::parse(&s.to_ascii_lowercase())
    }

    /// Byte-for-byte, case-sensitive match (origins). Header patterns are matched on
    /// lowercased values with the lowercased pattern.
    pub fn matches(&self, value: &str) -> bool {
        match self {
            Pattern::Any => true,
            Pattern::Exact(e) => e == value,
            Pattern::Glob { prefix, suffix } => glob_matches(prefix, suffix, value),
        }
    }
}

/// `prefix*suffix` against `value`: the star may match nothing, but the prefix and the
/// suffix may not overlap (`a*a` does not match `a`).
///
/// Written with `std` for the reference matcher and lint; the engine compares with its own
/// inlined words (`ascii::glob_matches`), checked against this by the equivalence tests.
pub fn glob_matches(prefix: &str, suffix: &str, value: &str) -> bool {
    value.len() >= prefix.len() + suffix.len() && value.starts_with(prefix) && value.ends_with(suffix)
}

/// Whether `origin` is a serialized origin as browsers send it (SEMANTICS §7, strict
/// origins): `null`, or `scheme "://" host [":" port]` in lowercase ASCII, without path,
/// userinfo, query or whitespace.
pub fn is_serialized_origin(origin: &str) -> bool {
    if origin == "null" {
        return true;
    }
    let Some((scheme, rest)) = origin.split_once("://") else { return false };
    let mut sb = scheme.bytes();
    if !sb.next().is_some_and(|b| b.is_ascii_lowercase())
        || !sb.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.'))
    {
        return false;
    }
    let (host, port) = if let Some(stripped) = rest.strip_prefix('[') {
        // IPv6 literal
        let Some((inside, after)) = stripped.split_once(']') else { return false };
        if inside.is_empty()
            || !inside.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase() || b == b':' || b == b'.')
        {
            return false;
        }
        match after {
            "" => ("v6", None),
            p => match p.strip_prefix(':') {
                Some(port) => ("v6", Some(port)),
                None => return false,
            },
        }
    } else {
        match rest.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (rest, None),
        }
    };
    if host.is_empty()
        || !host.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'.' | b'_'))
    {
        return false;
    }
    match port {
        None => true,
        // A port is a 16-bit number (the URL standard); browsers never send another.
        Some(p) => {
            !p.is_empty()
                && p.len() <= 5
                && p.bytes().all(|b| b.is_ascii_digit())
                && p.parse::<u32>().is_ok_and(|n| n <= 65535)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_needs_room_for_prefix_and_suffix() {
        assert!(Pattern::parse("start*end").matches("startend"));
        assert!(Pattern::parse("prefix*").matches("prefix"));
        assert!(!Pattern::parse("http://a*a.com").matches("http://a.com"));
        assert!(Pattern::parse("http://a*a.com").matches("http://aa.com"));
        assert!(!Pattern::parse("*suffix").matches("foo.suffix.get"));
    }

    #[test]
    fn serialized_origins() {
        for ok in ["null", "https://example.com", "http://a.b:8080", "http://[::1]:80", "x-y+z.1://h", "http://x:65535"]
        {
            assert!(is_serialized_origin(ok), "{ok}");
        }
        for bad in [
            "https://evil.com/.example.com",
            "https://Example.com",
            "https://a.com:",
            "example.com",
            "https://u@a.com",
            "https://a.com/",
            "https://a .com",
            "HTTPS://a.com",
            "https://",
            "https://[]",
            "http://x:65536",
            "http://x:99999",
        ] {
            assert!(!is_serialized_origin(bad), "{bad}");
        }
    }
}
