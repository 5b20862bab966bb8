//! The XML of the answers (listings, upload results) and of small request documents
//! (CompleteMultipartUpload, Delete, AccessControlPolicy), and the dates both use.

use std::time::{Duration, UNIX_EPOCH};

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use corsmatch::render::escape_into;

/// An XML answer being written.
pub struct Xml(String);

impl Xml {
    /// A document whose root element is `root`, in `namespace` when one is given.
    pub fn new(root: &str, namespace: Option<&str>) -> Xml {
        let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<");
        s.push_str(root);
        if let Some(ns) = namespace {
            s.push_str(" xmlns=\"");
            s.push_str(ns);
            s.push('"');
        }
        s.push('>');
        Xml(s)
    }

    pub fn open(&mut self, name: &str) -> &mut Xml {
        self.0.push('<');
        self.0.push_str(name);
        self.0.push('>');
        self
    }

    pub fn close(&mut self, name: &str) -> &mut Xml {
        self.0.push_str("</");
        self.0.push_str(name);
        self.0.push('>');
        self
    }

    /// `<name>text</name>`, the text escaped.
    pub fn elem(&mut self, name: &str, text: impl AsRef<str>) -> &mut Xml {
        self.open(name);
        escape_into(&mut self.0, text.as_ref());
        self.close(name)
    }

    /// Appends markup as it is (attributes this writer has no call for).
    pub fn raw(&mut self, markup: &str) -> &mut Xml {
        self.0.push_str(markup);
        self
    }

    /// Closes the root and answers 200 with it.
    pub fn finish(mut self, root: &str) -> Response {
        self.close(root);
        xml_response(StatusCode::OK, self.0)
    }
}

pub fn xml_response(status: StatusCode, body: String) -> Response {
    let mut r = (status, body).into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/xml"));
    r
}

/// `2025-01-31T12:00:00.000Z`, as listings give LastModified: whole seconds, and oss2 accepts
/// no other form.
pub fn iso8601(ms: u64) -> String {
    let secs = ms / 1000;
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil from days (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.000Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// `Fri, 31 Jan 2025 12:00:00 GMT`, as `Last-Modified` gives it.
pub fn http_date(ms: u64) -> String {
    httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_millis(ms / 1000 * 1000))
}

/// Parses a small request document: no DTD, UTF-8. `None` when it is not well-formed.
pub fn parse(bytes: &[u8]) -> Option<roxmltree::Document<'_>> {
    let text = std::str::from_utf8(bytes).ok()?;
    let options = roxmltree::ParsingOptions { allow_dtd: false, ..Default::default() };
    roxmltree::Document::parse_with_options(text, options).ok()
}

/// The element children of `node` named `name` (any namespace).
pub fn children<'a, 'input>(
    node: roxmltree::Node<'a, 'input>,
    name: &'static str,
) -> impl Iterator<Item = roxmltree::Node<'a, 'input>> {
    node.children().filter(move |c| c.is_element() && c.tag_name().name() == name)
}

/// The text of the first child element `name`.
pub fn child_text<'a>(node: roxmltree::Node<'a, '_>, name: &'static str) -> Option<&'a str> {
    children(node, name).next().map(|c| c.text().unwrap_or(""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso8601(1_738_324_800_123), "2025-01-31T12:00:00.000Z");
        assert_eq!(iso8601(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(http_date(1_738_324_800_123), "Fri, 31 Jan 2025 12:00:00 GMT");
    }
}
