//! One tree for both syntaxes: TOML (with byte spans) and JSON (without), so that the
//! decoder can say where every problem is.

use std::ops::Range;

use super::error::{Diagnostic, DiagnosticKind, Location};

/// A byte range in the source text, when known.
pub(crate) type Span = Option<Range<usize>>;

/// A value with where it came from.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub(crate) span: Span,
    pub(crate) value: Value,
}

/// A TOML or JSON value.
#[derive(Debug, Clone)]
pub(crate) enum Value {
    /// JSON's `null`: treated as an absent key.
    Null,
    Str(String),
    /// Wide enough for every TOML integer and every JSON integer (i64 and u64).
    Int(i128),
    /// A decimal number (no field of the format takes one).
    Float,
    Bool(bool),
    /// A TOML date-time literal, as written.
    DateTime(String),
    Array(Vec<Node>),
    Table(Vec<Entry>),
}

/// A key and its value.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub(crate) key: String,
    pub(crate) key_span: Span,
    pub(crate) node: Node,
}

impl Value {
    /// The type's name as the messages say it.
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Str(_) => "text",
            Value::Int(_) => "an integer",
            Value::Float => "a decimal number",
            Value::Bool(_) => "a boolean",
            Value::DateTime(_) => "a date-time",
            Value::Array(_) => "a list",
            Value::Table(_) => "a table",
        }
    }
}

fn syntax(message: String, location: Option<Location>) -> Diagnostic {
    Diagnostic {
        kind: DiagnosticKind::Syntax,
        message: crate::escape::escape_line(&message).into_owned(),
        path: String::new(),
        location,
        help: None,
    }
}

/// Parses TOML text.
pub(crate) fn parse_toml(source: &str) -> Result<Node, Diagnostic> {
    use toml::de::DeTable;
    match DeTable::parse(source) {
        Ok(table) => {
            let span = table.span();
            let entries = table
                .into_inner()
                .into_iter()
                .map(|(k, v)| Entry {
                    key_span: Some(k.span()),
                    key: k.into_inner().into_owned(),
                    node: from_toml(v),
                })
                .collect();
            Ok(Node {
                span: Some(span),
                value: Value::Table(entries),
            })
        }
        Err(e) => {
            let location = e.span().map(|s| Location::of_offset(source, s.start));
            let message = e.message().trim().replace('\n', "; ");
            Err(syntax(format!("TOML syntax error: {message}"), location))
        }
    }
}

fn from_toml(v: toml::Spanned<toml::de::DeValue<'_>>) -> Node {
    use toml::de::DeValue;
    let span = Some(v.span());
    let value = match v.into_inner() {
        DeValue::String(s) => Value::Str(s.into_owned()),
        DeValue::Integer(i) => match i128::from_str_radix(i.as_str(), i.radix()) {
            Ok(n) => Value::Int(n),
            // Not reachable for integers the TOML parser accepted (at most 64 bits);
            // kept as text so the decoder reports a type error rather than panicking.
            Err(_) => Value::Str(i.as_str().to_owned()),
        },
        DeValue::Float(_) => Value::Float,
        DeValue::Boolean(b) => Value::Bool(b),
        DeValue::Datetime(d) => Value::DateTime(d.to_string()),
        DeValue::Array(a) => Value::Array(a.into_iter().map(from_toml).collect()),
        DeValue::Table(t) => Value::Table(
            t.into_iter()
                .map(|(k, v)| Entry {
                    key_span: Some(k.span()),
                    key: k.into_inner().into_owned(),
                    node: from_toml(v),
                })
                .collect(),
        ),
    };
    Node { span, value }
}

/// Parses JSON text, with the byte span of every value and key (as TOML has), so that
/// later problems are located in JSON as in TOML.
pub(crate) fn parse_json(source: &str) -> Result<Node, Diagnostic> {
    match serde_json::from_str::<JsonNode>(source) {
        Ok(JsonNode(mut node)) => {
            // serde_json has checked the text (and bounded its nesting to 128): the
            // scan below only finds where each value the tree holds is.
            let mut scan = Spans {
                text: source.as_bytes(),
                at: 0,
            };
            scan.value(Some(&mut node));
            Ok(node)
        }
        Err(e) => {
            let location = (e.line() > 0).then(|| Location {
                line: e.line(),
                column: e.column().max(1),
            });
            // serde_json appends " at line L column C"; the location says it already.
            let text = e.to_string();
            let message = text
                .rsplit_once(" at line ")
                .map_or(text.as_str(), |(m, _)| m)
                .to_owned();
            Err(syntax(format!("JSON syntax error: {message}"), location))
        }
    }
}

/// A JSON value read straight into a [`Node`], refusing a key given twice in one object
/// (as TOML does): `serde_json::Value` would keep the last silently.
struct JsonNode(Node);

impl<'de> serde::Deserialize<'de> for JsonNode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<JsonNode, D::Error> {
        d.deserialize_any(JsonVisitor).map(JsonNode)
    }
}

struct JsonVisitor;

fn node(value: Value) -> Node {
    Node { span: None, value }
}

impl<'de> serde::de::Visitor<'de> for JsonVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E>(self) -> Result<Node, E> {
        Ok(node(Value::Null))
    }
    fn visit_bool<E>(self, b: bool) -> Result<Node, E> {
        Ok(node(Value::Bool(b)))
    }
    fn visit_i64<E>(self, i: i64) -> Result<Node, E> {
        Ok(node(Value::Int(i128::from(i))))
    }
    fn visit_u64<E>(self, u: u64) -> Result<Node, E> {
        Ok(node(Value::Int(i128::from(u))))
    }
    fn visit_f64<E>(self, _: f64) -> Result<Node, E> {
        Ok(node(Value::Float))
    }
    fn visit_str<E>(self, s: &str) -> Result<Node, E> {
        Ok(node(Value::Str(s.to_owned())))
    }
    fn visit_string<E>(self, s: String) -> Result<Node, E> {
        Ok(node(Value::Str(s)))
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(JsonNode(n)) = seq.next_element()? {
            items.push(n);
        }
        Ok(node(Value::Array(items)))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut entries: Vec<Entry> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !seen.insert(key.clone()) {
                return Err(serde::de::Error::custom(format!("duplicate key `{key}`")));
            }
            let JsonNode(n) = map.next_value()?;
            entries.push(Entry {
                key,
                key_span: None,
                node: n,
            });
        }
        Ok(node(Value::Table(entries)))
    }
}

/// Finds the spans of a JSON text that serde_json accepted, walking it next to the tree
/// built from it (same values, same order).
struct Spans<'s> {
    text: &'s [u8],
    at: usize,
}

impl Spans<'_> {
    fn peek(&self) -> u8 {
        self.text.get(self.at).copied().unwrap_or(0)
    }

    fn blanks(&mut self) {
        while matches!(self.peek(), b' ' | b'\t' | b'\n' | b'\r') {
            self.at += 1;
        }
    }

    /// Past a string (at its opening quote).
    fn string(&mut self) {
        self.at += 1;
        while self.at < self.text.len() {
            match self.text[self.at] {
                b'\\' => self.at += 2,
                b'"' => {
                    self.at += 1;
                    return;
                }
                _ => self.at += 1,
            }
        }
    }

    /// Past one value, setting the span of `node` and of what it holds.
    fn value(&mut self, mut node: Option<&mut Node>) {
        self.blanks();
        let start = self.at;
        match self.peek() {
            b'{' => {
                self.at += 1;
                let mut entries = match node.as_deref_mut().map(|n| &mut n.value) {
                    Some(Value::Table(entries)) => Some(entries.iter_mut()),
                    _ => None,
                };
                loop {
                    self.blanks();
                    match self.peek() {
                        b'}' => {
                            self.at += 1;
                            break;
                        }
                        b',' => {
                            self.at += 1;
                            continue;
                        }
                        b'"' => {}
                        _ => break,
                    }
                    let key_start = self.at;
                    self.string();
                    let key_end = self.at;
                    self.blanks();
                    if self.peek() == b':' {
                        self.at += 1;
                    }
                    let entry = entries.as_mut().and_then(Iterator::next);
                    match entry {
                        Some(e) => {
                            e.key_span = Some(key_start..key_end);
                            self.value(Some(&mut e.node));
                        }
                        None => self.value(None),
                    }
                }
            }
            b'[' => {
                self.at += 1;
                let mut items = match node.as_deref_mut().map(|n| &mut n.value) {
                    Some(Value::Array(items)) => Some(items.iter_mut()),
                    _ => None,
                };
                loop {
                    self.blanks();
                    match self.peek() {
                        b']' => {
                            self.at += 1;
                            break;
                        }
                        b',' => {
                            self.at += 1;
                            continue;
                        }
                        0 => break,
                        _ => {}
                    }
                    let item = items.as_mut().and_then(Iterator::next);
                    let before = self.at;
                    self.value(item);
                    // Never reached for text serde_json accepted; no loop without end
                    // all the same.
                    if self.at == before {
                        break;
                    }
                }
            }
            b'"' => self.string(),
            _ => {
                while !matches!(
                    self.peek(),
                    0 | b',' | b']' | b'}' | b' ' | b'\t' | b'\n' | b'\r'
                ) {
                    self.at += 1;
                }
            }
        }
        if let Some(n) = node {
            n.span = Some(start..self.at);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_values_and_keys_get_their_spans() {
        let src = "{ \"a\" : [1, \"x\\\"y\", {\"b\": null}], \"c\": true }";
        let node = parse_json(src).unwrap();
        let Value::Table(entries) = &node.value else {
            panic!("{node:?}")
        };
        let at = |s: &Span| &src[s.clone().unwrap()];
        assert_eq!(at(&node.span), src);
        assert_eq!(at(&entries[0].key_span), "\"a\"");
        assert_eq!(at(&entries[0].node.span), "[1, \"x\\\"y\", {\"b\": null}]");
        let Value::Array(items) = &entries[0].node.value else {
            panic!()
        };
        assert_eq!(at(&items[0].span), "1");
        assert_eq!(at(&items[1].span), "\"x\\\"y\"");
        let Value::Table(inner) = &items[2].value else {
            panic!()
        };
        assert_eq!(at(&inner[0].key_span), "\"b\"");
        assert_eq!(at(&inner[0].node.span), "null");
        assert_eq!(at(&entries[1].node.span), "true");
    }
}
