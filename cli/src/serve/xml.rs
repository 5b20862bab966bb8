//! The XML of the answers (listings, upload results) and of small request documents
//! (CompleteMultipartUpload, Delete, AccessControlPolicy), and the dates both use.

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

// The dates, for the modules that write them next to the XML.
pub use super::clock::{http_date, iso8601};

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
