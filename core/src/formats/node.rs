//! The tree every JSON and YAML input is read into: values with the line and column they
//! start at, so that errors and findings can point into the user's file.

use std::fmt;

/// A 1-based line and column (in characters) in the user's file; `line == 0` when unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, PartialOrd, Ord, Hash)]
pub struct Pos {
    /// The line, from 1.
    pub line: u32,
    /// The column, from 1, counted in characters.
    pub column: u32,
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// A value as the file wrote it. Numbers keep their text: tools differ on what they accept
/// (`600`, `600.0`, `"600"`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Null,
    Bool(bool),
    /// An integer, as written (`-12`, `007` in YAML).
    Int(String),
    /// A number with a fraction or an exponent, as written.
    Float(String),
    Str(String),
    Seq(Vec<Node>),
    /// Keys in file order; a repeated key is kept (see [`Node::get`]).
    Map(Vec<(Node, Node)>),
}

/// One value and where it starts. `tag` is a YAML tag such as `!Ref` (CloudFormation's short
/// forms); JSON values have none.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    pub value: Value,
    pub pos: Pos,
    pub tag: Option<String>,
}

impl Node {
    pub(crate) fn new(value: Value, pos: Pos) -> Node {
        Node { value, pos, tag: None }
    }

    /// The value of `key` in a mapping. A repeated key gives its last value, as JavaScript's
    /// `JSON.parse`, Python's `json` and Go's `encoding/json` do.
    pub(crate) fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|(_, v)| v)
    }

    /// The key node and the value of `key` (the last one when repeated).
    pub(crate) fn entry(&self, key: &str) -> Option<(&Node, &Node)> {
        match &self.value {
            Value::Map(entries) => entries.iter().rev().find(|(k, _)| k.as_str() == Some(key)).map(|(k, v)| (k, v)),
            _ => None,
        }
    }

    pub(crate) fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    pub(crate) fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(items) => Some(items),
            _ => None,
        }
    }

    pub(crate) fn as_map(&self) -> Option<&[(Node, Node)]> {
        match &self.value {
            Value::Map(entries) => Some(entries),
            _ => None,
        }
    }

    pub(crate) fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }

    /// The entries of a mapping with their keys as text (keys that are not strings are
    /// skipped: no format read here has them), the last of a repeated key only.
    pub(crate) fn fields(&self) -> Vec<(&str, &Node, &Node)> {
        let Some(entries) = self.as_map() else { return Vec::new() };
        let mut out: Vec<(&str, &Node, &Node)> = Vec::new();
        for (k, v) in entries {
            let Some(name) = k.as_str() else { continue };
            match out.iter_mut().find(|(n, _, _)| *n == name) {
                Some(slot) => *slot = (name, k, v),
                None => out.push((name, k, v)),
            }
        }
        out
    }

    /// A scalar's text, as a tool that turns any scalar into a string would write it
    /// (`600` -> `600`, `true` -> `true`); `None` for null, sequences and mappings.
    pub(crate) fn scalar_text(&self) -> Option<String> {
        match &self.value {
            Value::Str(s) => Some(s.clone()),
            Value::Int(t) | Value::Float(t) => Some(t.clone()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    /// JSON's name for the value's type, for messages.
    pub(crate) fn type_name(&self) -> &'static str {
        match self.value {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) | Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "an object",
        }
    }
}
