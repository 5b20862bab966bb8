//! YAML (CloudFormation templates) read into the same [`Node`] tree as JSON, event by event
//! with yaml-rust2's parser, so that every value keeps its line and column and tags such as
//! `!Ref` and `!Sub` survive as tags instead of failing the parse.
//!
//! Plain scalars are resolved with YAML 1.2's core schema (`null`, `true`, `12`, `1.5`); quoted
//! ones are strings. Aliases are refused, as CloudFormation refuses them, so no input can make
//! the tree grow beyond the text (the "billion laughs"). Nesting is bounded by [`MAX_DEPTH`].

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

use super::json::{SyntaxError, MAX_DEPTH};
use super::node::{Node, Pos, Value};

/// Parses the first document of a YAML stream.
pub(crate) fn parse(text: &str) -> Result<Node, SyntaxError> {
    let mut builder = Builder::default();
    let mut parser = Parser::new_from_str(text);
    if let Err(e) = parser.load(&mut builder, true) {
        return Err(SyntaxError {
            message: e.info().to_string(),
            pos: Pos { line: e.marker().line() as u32, column: e.marker().col() as u32 + 1 },
        });
    }
    if let Some(e) = builder.error {
        return Err(e);
    }
    builder.root.ok_or_else(|| SyntaxError { message: "the file holds no YAML document".into(), pos: Pos::default() })
}

/// A container being filled: its node, and for a mapping the key waiting for its value.
struct Open {
    node: Node,
    key: Option<Node>,
}

#[derive(Default)]
struct Builder {
    stack: Vec<Open>,
    root: Option<Node>,
    error: Option<SyntaxError>,
    documents: usize,
}

fn pos(mark: Marker) -> Pos {
    Pos { line: mark.line() as u32, column: mark.col() as u32 + 1 }
}

fn tag_name(tag: Option<yaml_rust2::parser::Tag>) -> Option<String> {
    tag.map(|t| format!("{}{}", t.handle, t.suffix))
}

/// YAML 1.2 core schema for a plain scalar.
fn resolve(text: String) -> Value {
    match text.as_str() {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    let digits = text.strip_prefix(['-', '+']).unwrap_or(&text);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        return Value::Int(text);
    }
    let is_float = !digits.is_empty()
        && digits.bytes().any(|b| b.is_ascii_digit())
        && digits.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'-' | b'+'))
        && digits.parse::<f64>().is_ok();
    if is_float {
        return Value::Float(text);
    }
    Value::Str(text)
}

impl Builder {
    fn fail(&mut self, message: &str, at: Pos) {
        if self.error.is_none() {
            self.error = Some(SyntaxError { message: message.to_string(), pos: at });
        }
    }

    fn push_value(&mut self, node: Node) {
        match self.stack.last_mut() {
            None => {
                if self.root.is_none() {
                    self.root = Some(node);
                }
            }
            Some(open) => match &mut open.node.value {
                Value::Seq(items) => items.push(node),
                Value::Map(entries) => match open.key.take() {
                    None => open.key = Some(node),
                    Some(key) => entries.push((key, node)),
                },
                _ => unreachable!("only containers are opened"),
            },
        }
    }

    fn open(&mut self, value: Value, tag: Option<String>, at: Pos) {
        if self.stack.len() >= MAX_DEPTH {
            self.fail(&format!("nested more than {MAX_DEPTH} levels deep"), at);
            return;
        }
        self.stack.push(Open { node: Node { value, pos: at, tag }, key: None });
    }

    fn close(&mut self) {
        if let Some(mut open) = self.stack.pop() {
            // yaml-rust2 marks a block mapping where its first value starts; the mapping is
            // where its first key is.
            if let Value::Map(entries) = &open.node.value {
                if let Some((key, _)) = entries.first() {
                    open.node.pos = open.node.pos.min(key.pos);
                }
            }
            self.push_value(open.node);
        }
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        // After an error the rest of the stream is still parsed (linear), but not built.
        if self.error.is_some() {
            return;
        }
        let at = pos(mark);
        match ev {
            Event::DocumentStart => {
                self.documents += 1;
                if self.documents > 1 {
                    self.fail("a template holds one YAML document; this file has several", at);
                }
            }
            Event::Alias(_) => self.fail("YAML aliases (*name) are not allowed in CloudFormation templates", at),
            Event::Scalar(text, style, _, tag) => {
                let value =
                    if style == TScalarStyle::Plain && tag.is_none() { resolve(text) } else { Value::Str(text) };
                self.push_value(Node { value, pos: at, tag: tag_name(tag) });
            }
            Event::SequenceStart(_, tag) => self.open(Value::Seq(Vec::new()), tag_name(tag), at),
            Event::MappingStart(_, tag) => self.open(Value::Map(Vec::new()), tag_name(tag), at),
            Event::SequenceEnd | Event::MappingEnd => self.close(),
            Event::Nothing | Event::StreamStart | Event::StreamEnd | Event::DocumentEnd => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_positions_and_scalars() {
        let text = "Resources:\n  B:\n    Type: AWS::S3::Bucket\n    Props:\n      - !Ref Name\n      - !Sub 'https://${D}'\n      - 600\n      - '600'\n      - ~\n      - [a, 1.5, true]\n";
        let n = parse(text).unwrap();
        let b = n.get("Resources").unwrap().get("B").unwrap();
        assert_eq!(b.get("Type").unwrap().as_str(), Some("AWS::S3::Bucket"));
        assert_eq!(b.get("Type").unwrap().pos, Pos { line: 3, column: 11 });
        let items = b.get("Props").unwrap().as_seq().unwrap();
        assert_eq!(items[0].tag.as_deref(), Some("!Ref"));
        assert_eq!(items[0].as_str(), Some("Name"));
        assert_eq!(items[0].pos, Pos { line: 5, column: 14 });
        assert_eq!(items[1].tag.as_deref(), Some("!Sub"));
        assert_eq!(items[1].as_str(), Some("https://${D}"));
        assert_eq!(items[2].value, Value::Int("600".into()));
        assert_eq!(items[3].value, Value::Str("600".into()));
        assert_eq!(items[4].value, Value::Null);
        let flow = items[5].as_seq().unwrap();
        assert_eq!(flow[1].value, Value::Float("1.5".into()));
        assert_eq!(flow[2].value, Value::Bool(true));
    }

    #[test]
    fn hostile_yaml_is_refused() {
        let e = parse("a: &x [1, 2]\nb: *x\n").unwrap_err();
        assert!(e.message.contains("aliases"), "{e:?}");
        let deep = "[".repeat(50_000);
        assert!(parse(&deep).is_err());
        let e = parse("a: [1, 2\n").unwrap_err();
        assert!(e.pos.line >= 1);
        let e = parse("a: 1\n---\nb: 2\n").unwrap_err();
        assert!(e.message.contains("one YAML document"), "{e:?}");
    }
}
