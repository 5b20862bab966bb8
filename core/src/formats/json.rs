//! A strict JSON reader (RFC 8259) that records where each value starts. serde_json's errors
//! carry a line and column, but its values do not; findings about valid values need them.
//!
//! Bounded: nesting deeper than [`MAX_DEPTH`] is refused, so no input can exhaust the stack.

use super::node::{Node, Pos, Value};

/// The deepest nesting accepted. The forms read here need 10 levels at most (a Terraform
/// plan's modules add a few); a document nested deeper is refused rather than recursed into.
pub(crate) const MAX_DEPTH: usize = 128;

/// A JSON syntax error: what was wrong and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SyntaxError {
    pub message: String,
    pub pos: Pos,
}

/// Parses a whole document: one value, white space around it.
pub(crate) fn parse(text: &str) -> Result<Node, SyntaxError> {
    let mut p = Parser { bytes: text.as_bytes(), text, at: 0, line: 1, line_start: 0 };
    p.skip_ws();
    let node = p.value(0)?;
    p.skip_ws();
    if p.at < p.bytes.len() {
        return Err(p.error("unexpected text after the JSON value"));
    }
    Ok(node)
}

struct Parser<'a> {
    bytes: &'a [u8],
    text: &'a str,
    at: usize,
    line: u32,
    line_start: usize,
}

impl Parser<'_> {
    fn pos(&self) -> Pos {
        let column = self.text[self.line_start..self.at].chars().count() as u32 + 1;
        Pos { line: self.line, column }
    }

    fn error(&self, message: impl Into<String>) -> SyntaxError {
        SyntaxError { message: message.into(), pos: self.pos() }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn skip_ws(&mut self) {
        while let Some(b) = self.peek() {
            match b {
                b' ' | b'\t' | b'\r' => self.at += 1,
                b'\n' => {
                    self.at += 1;
                    self.line += 1;
                    self.line_start = self.at;
                }
                _ => break,
            }
        }
    }

    fn expect(&mut self, b: u8, what: &str) -> Result<(), SyntaxError> {
        if self.peek() == Some(b) {
            self.at += 1;
            Ok(())
        } else {
            Err(self.unexpected(what))
        }
    }

    fn unexpected(&self, expected: &str) -> SyntaxError {
        match self.text[self.at..].chars().next() {
            None => self.error(format!("expected {expected}, found the end of the file")),
            Some(c) => self.error(format!("expected {expected}, found {c:?}")),
        }
    }

    fn value(&mut self, depth: usize) -> Result<Node, SyntaxError> {
        if depth >= MAX_DEPTH {
            return Err(self.error(format!("nested more than {MAX_DEPTH} levels deep")));
        }
        let pos = self.pos();
        let value = match self.peek() {
            Some(b'{') => self.object(depth)?,
            Some(b'[') => self.array(depth)?,
            Some(b'"') => Value::Str(self.string()?),
            Some(b't') => self.word("true", Value::Bool(true))?,
            Some(b'f') => self.word("false", Value::Bool(false))?,
            Some(b'n') => self.word("null", Value::Null)?,
            Some(b'-' | b'0'..=b'9') => self.number()?,
            _ => return Err(self.unexpected("a JSON value")),
        };
        Ok(Node::new(value, pos))
    }

    fn word(&mut self, word: &str, value: Value) -> Result<Value, SyntaxError> {
        if self.bytes[self.at..].starts_with(word.as_bytes()) {
            self.at += word.len();
            Ok(value)
        } else {
            Err(self.unexpected("a JSON value"))
        }
    }

    fn object(&mut self, depth: usize) -> Result<Value, SyntaxError> {
        self.at += 1;
        let mut entries = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.at += 1;
            return Ok(Value::Map(entries));
        }
        loop {
            self.skip_ws();
            if self.peek() != Some(b'"') {
                return Err(self.unexpected("a key in double quotes"));
            }
            let key_pos = self.pos();
            let key = Node::new(Value::Str(self.string()?), key_pos);
            self.skip_ws();
            self.expect(b':', "':'")?;
            self.skip_ws();
            let value = self.value(depth + 1)?;
            entries.push((key, value));
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b'}') => {
                    self.at += 1;
                    return Ok(Value::Map(entries));
                }
                _ => return Err(self.unexpected("',' or '}'")),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<Value, SyntaxError> {
        self.at += 1;
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.at += 1;
            return Ok(Value::Seq(items));
        }
        loop {
            self.skip_ws();
            items.push(self.value(depth + 1)?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b']') => {
                    self.at += 1;
                    return Ok(Value::Seq(items));
                }
                _ => return Err(self.unexpected("',' or ']'")),
            }
        }
    }

    fn number(&mut self) -> Result<Value, SyntaxError> {
        let start = self.at;
        let mut float = false;
        if self.peek() == Some(b'-') {
            self.at += 1;
        }
        match self.peek() {
            Some(b'0') => self.at += 1,
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(self.unexpected("a digit")),
        }
        if self.peek() == Some(b'.') {
            float = true;
            self.at += 1;
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.unexpected("a digit after '.'"));
            }
            self.digits();
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            float = true;
            self.at += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.at += 1;
            }
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.unexpected("a digit in the exponent"));
            }
            self.digits();
        }
        let text = self.text[start..self.at].to_string();
        Ok(if float { Value::Float(text) } else { Value::Int(text) })
    }

    fn digits(&mut self) {
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.at += 1;
        }
    }

    fn string(&mut self) -> Result<String, SyntaxError> {
        self.at += 1;
        let mut out = String::new();
        loop {
            let start = self.at;
            while let Some(b) = self.peek() {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.at += 1;
            }
            out.push_str(&self.text[start..self.at]);
            match self.peek() {
                None => return Err(self.error("a string is not closed")),
                Some(b'"') => {
                    self.at += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.at += 1;
                    let c = match self.peek() {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => {
                            self.at += 1;
                            let c = self.unicode_escape()?;
                            out.push(c);
                            continue;
                        }
                        _ => return Err(self.error("an unknown escape in a string")),
                    };
                    self.at += 1;
                    out.push(c);
                }
                Some(_) => return Err(self.error("a control character in a string (write it as \\u00XX)")),
            }
        }
    }

    /// After `\u`: four hex digits, and a second `\uXXXX` for a surrogate pair.
    fn unicode_escape(&mut self) -> Result<char, SyntaxError> {
        let high = self.hex4()?;
        if !(0xD800..0xE000).contains(&high) {
            return Ok(char::from_u32(high).expect("not a surrogate"));
        }
        if high >= 0xDC00 || !self.bytes[self.at..].starts_with(b"\\u") {
            return Err(self.error("a lone UTF-16 surrogate in a \\u escape"));
        }
        self.at += 2;
        let low = self.hex4()?;
        if !(0xDC00..0xE000).contains(&low) {
            return Err(self.error("a lone UTF-16 surrogate in a \\u escape"));
        }
        let c = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00);
        Ok(char::from_u32(c).expect("a valid surrogate pair"))
    }

    fn hex4(&mut self) -> Result<u32, SyntaxError> {
        let digits = self.bytes.get(self.at..self.at + 4).ok_or_else(|| self.error("a short \\u escape"))?;
        let mut n = 0;
        for &d in digits {
            let v = (d as char).to_digit(16).ok_or_else(|| self.error("a \\u escape needs four hex digits"))?;
            n = n * 16 + v;
        }
        self.at += 4;
        Ok(n)
    }
}

/// Writes `s` as a JSON string literal.
pub(crate) fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{7f}' || c == '\u{2028}' || c == '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn to_serde(n: &Node) -> serde_json::Value {
        match &n.value {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => (*b).into(),
            Value::Int(t) | Value::Float(t) => serde_json::from_str(t).unwrap(),
            Value::Str(s) => s.clone().into(),
            Value::Seq(items) => items.iter().map(to_serde).collect(),
            Value::Map(entries) => {
                let mut m = serde_json::Map::new();
                for (k, v) in entries {
                    m.insert(k.as_str().unwrap().to_string(), to_serde(v));
                }
                m.into()
            }
        }
    }

    #[test]
    fn values_and_positions() {
        let text = "{\n  \"a\": [1, -2.5e3, \"x\\u00e9\\ud83d\\ude00\"],\n  \"é\": {\"b\": null, \"c\": true}\n}";
        let n = parse(text).unwrap();
        assert_eq!(n.pos, Pos { line: 1, column: 1 });
        let a = n.get("a").unwrap();
        assert_eq!(a.pos, Pos { line: 2, column: 8 });
        let items = a.as_seq().unwrap();
        assert_eq!(items[1].value, Value::Float("-2.5e3".into()));
        assert_eq!(items[1].pos, Pos { line: 2, column: 12 });
        assert_eq!(items[2].as_str(), Some("xé😀"));
        let (k, v) = n.entry("é").unwrap();
        assert_eq!(k.pos, Pos { line: 3, column: 3 });
        assert_eq!(v.get("c").unwrap().pos, Pos { line: 3, column: 25 });
        assert_eq!(to_serde(&n), serde_json::from_str::<serde_json::Value>(text).unwrap());
    }

    #[test]
    fn agrees_with_serde_json_on_what_is_json() {
        let cases = [
            "",
            " ",
            "{",
            "}",
            "[1,]",
            "[1 2]",
            "{\"a\":1,}",
            "{\"a\" 1}",
            "{a:1}",
            "01",
            "-",
            "1.",
            "1e",
            ".5",
            "\"\\x\"",
            "\"\t\"",
            "\"\\ud800\"",
            "\"\\udc00x\"",
            "tru",
            "nul",
            "[] []",
            "\"abc",
            "[1]",
            "{}",
            "  {\"k\": [true, false, null, 0, -0, 1e5, 1E+2, 0.5]} ",
            "\"\\u00e9\"",
            "[[[[]]]]",
        ];
        for c in cases {
            let ours = parse(c).map(|n| to_serde(&n));
            let theirs = serde_json::from_str::<serde_json::Value>(c);
            match (&ours, &theirs) {
                (Ok(a), Ok(b)) => assert_eq!(a, b, "{c:?}"),
                (Err(_), Err(_)) => {}
                _ => panic!("{c:?}: ours {ours:?}, serde_json {theirs:?}"),
            }
        }
    }

    #[test]
    fn deep_nesting_is_refused_not_recursed() {
        let deep = "[".repeat(100_000);
        let e = parse(&deep).unwrap_err();
        assert!(e.message.contains("nested more than 128"), "{e:?}");
        let ok = format!("{}{}", "[".repeat(100), "]".repeat(100));
        assert!(parse(&ok).is_ok());
    }

    #[test]
    fn errors_say_where() {
        let e = parse("{\n  \"a\": [1,\n  2,, 3]}").unwrap_err();
        assert_eq!(e.pos, Pos { line: 3, column: 5 });
        assert_eq!(e.message, "expected a JSON value, found ','");
    }

    #[test]
    fn quote_round_trips() {
        for s in ["plain", "q\"b\\s", "\u{0}\u{1f}\n\t\u{7f}", "é😀\u{2028}"] {
            assert_eq!(parse(&quote(s)).unwrap().as_str(), Some(s));
            assert_eq!(serde_json::from_str::<String>(&quote(s)).unwrap(), s);
        }
    }
}
