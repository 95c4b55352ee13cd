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
        message,
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

/// Parses JSON text. JSON values carry no spans: later problems are located by path.
pub(crate) fn parse_json(source: &str) -> Result<Node, Diagnostic> {
    match serde_json::from_str::<serde_json::Value>(source) {
        Ok(v) => Ok(from_json(v)),
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

fn from_json(v: serde_json::Value) -> Node {
    use serde_json::Value as J;
    let value = match v {
        J::Null => Value::Null,
        J::Bool(b) => Value::Bool(b),
        J::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => Value::Int(i128::from(i)),
            (None, Some(u)) => Value::Int(i128::from(u)),
            _ => Value::Float,
        },
        J::String(s) => Value::Str(s),
        J::Array(a) => Value::Array(a.into_iter().map(from_json).collect()),
        J::Object(o) => Value::Table(
            o.into_iter()
                .map(|(key, v)| Entry {
                    key,
                    key_span: None,
                    node: from_json(v),
                })
                .collect(),
        ),
    };
    Node { span: None, value }
}
