//! OData query options on the two logs: `$filter`, `$top`, `$orderby`, `$skiptoken`.
//!
//! `$filter` takes `and`-joined comparisons (`eq`, `ne`, `gt`, `ge`, `lt`, `le`) on
//! property paths (`status/errorCode`), `startswith(path,'x')` and
//! `path/any(v: v/path op literal)`; literals are single-quoted strings (`''` for a
//! quote), unquoted date-times or dates, integers, `true`, `false`, `null`. Anything else
//! is `400 invalidRequest` naming the part that is not supported.

use std::cmp::Ordering;

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;

use crate::error::ApiError;

/// The longest `$filter`, in characters.
pub(crate) const MAX_FILTER_CHARS: usize = 2048;
/// The most comparisons in one `$filter`.
const MAX_TERMS: usize = 32;
/// `$top`'s default and maximum.
pub(crate) const MAX_TOP: usize = 1000;

/// A parsed `$filter`: every term must hold.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Filter(Vec<Term>);

#[derive(Debug, Clone, PartialEq)]
enum Term {
    Compare(Vec<String>, Op, Literal),
    StartsWith(Vec<String>, String),
    Any(Vec<String>, Vec<String>, Op, Literal),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

#[derive(Debug, Clone, PartialEq)]
enum Literal {
    Str(String),
    Time(DateTime<Utc>),
    Int(i64),
    Bool(bool),
    Null,
}

fn unsupported(what: impl std::fmt::Display) -> ApiError {
    ApiError::invalid_request(format!("Invalid filter clause: {what}"))
}

struct Lexer<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> Lexer<'a> {
    fn skip_ws(&mut self) {
        while self.s[self.pos..].starts_with(' ') {
            self.pos += 1;
        }
    }
    fn rest(&self) -> &'a str {
        &self.s[self.pos..]
    }
    fn eat(&mut self, token: &str) -> bool {
        self.skip_ws();
        if self.rest().starts_with(token) {
            self.pos += token.len();
            true
        } else {
            false
        }
    }
    fn expect(&mut self, token: &str) -> Result<(), ApiError> {
        if self.eat(token) {
            Ok(())
        } else {
            Err(unsupported(format!(
                "expected `{token}` at `{}`",
                truncate(self.rest())
            )))
        }
    }
    /// A word: letters, digits, `_`, `/`, `.`, `:`, `-`, `+`.
    fn word(&mut self) -> &'a str {
        self.skip_ws();
        let start = self.pos;
        let len = self
            .rest()
            .find(|c: char| !(c.is_ascii_alphanumeric() || "_/.:-+".contains(c)))
            .unwrap_or(self.rest().len());
        self.pos += len;
        &self.s[start..start + len]
    }
    /// An identifier: letters, digits, `_`.
    fn ident(&mut self) -> &'a str {
        self.skip_ws();
        let start = self.pos;
        let len = self
            .rest()
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(self.rest().len());
        self.pos += len;
        &self.s[start..start + len]
    }
    fn string(&mut self) -> Result<String, ApiError> {
        self.skip_ws();
        if !self.rest().starts_with('\'') {
            return Err(unsupported(format!(
                "expected a quoted string at `{}`",
                truncate(self.rest())
            )));
        }
        self.pos += 1;
        let mut out = String::new();
        loop {
            let Some(c) = self.rest().chars().next() else {
                return Err(unsupported("a string is not closed"));
            };
            self.pos += c.len_utf8();
            if c == '\'' {
                if self.rest().starts_with('\'') {
                    self.pos += 1;
                    out.push('\'');
                } else {
                    return Ok(out);
                }
            } else {
                out.push(c);
            }
        }
    }
}

fn truncate(s: &str) -> String {
    s.chars().take(40).collect()
}

fn path(word: &str) -> Result<Vec<String>, ApiError> {
    let parts: Vec<String> = word.split('/').map(str::to_owned).collect();
    if word.is_empty()
        || parts
            .iter()
            .any(|p| p.is_empty() || !p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
    {
        return Err(unsupported(format!(
            "`{}` is not a property path",
            truncate(word)
        )));
    }
    Ok(parts)
}

fn op(word: &str) -> Result<Op, ApiError> {
    Ok(match word {
        "eq" => Op::Eq,
        "ne" => Op::Ne,
        "gt" => Op::Gt,
        "ge" => Op::Ge,
        "lt" => Op::Lt,
        "le" => Op::Le,
        other => {
            return Err(unsupported(format!(
                "the operator `{}` is not supported (eq, ne, gt, ge, lt, le)",
                truncate(other)
            )));
        }
    })
}

fn literal(lx: &mut Lexer<'_>) -> Result<Literal, ApiError> {
    lx.skip_ws();
    if lx.rest().starts_with('\'') {
        return lx.string().map(Literal::Str);
    }
    let w = lx.word();
    match w {
        "true" => return Ok(Literal::Bool(true)),
        "false" => return Ok(Literal::Bool(false)),
        "null" => return Ok(Literal::Null),
        _ => {}
    }
    if let Ok(n) = w.parse::<i64>() {
        return Ok(Literal::Int(n));
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(w) {
        return Ok(Literal::Time(t.with_timezone(&Utc)));
    }
    if let Ok(d) = NaiveDate::parse_from_str(w, "%Y-%m-%d")
        && let Some(t) = d.and_hms_opt(0, 0, 0)
    {
        return Ok(Literal::Time(t.and_utc()));
    }
    Err(unsupported(format!(
        "`{}` is not a supported literal",
        truncate(w)
    )))
}

impl Filter {
    /// Parses a `$filter` value.
    pub(crate) fn parse(s: &str) -> Result<Filter, ApiError> {
        if s.chars().count() > MAX_FILTER_CHARS {
            return Err(unsupported(format!(
                "a $filter has at most {MAX_FILTER_CHARS} characters"
            )));
        }
        let mut lx = Lexer { s, pos: 0 };
        let mut terms = Vec::new();
        loop {
            if terms.len() == MAX_TERMS {
                return Err(unsupported(format!(
                    "a $filter has at most {MAX_TERMS} comparisons"
                )));
            }
            terms.push(term(&mut lx)?);
            lx.skip_ws();
            if lx.rest().is_empty() {
                return Ok(Filter(terms));
            }
            let w = lx.word();
            if w != "and" {
                return Err(unsupported(format!(
                    "only `and` joins comparisons, not `{}`",
                    truncate(if w.is_empty() { lx.rest() } else { w })
                )));
            }
        }
    }

    /// Whether a record passes.
    pub(crate) fn matches(&self, record: &Value) -> bool {
        self.0.iter().all(|t| t.matches(record))
    }
}

fn term(lx: &mut Lexer<'_>) -> Result<Term, ApiError> {
    lx.skip_ws();
    if lx.eat("startswith(") {
        let p = path(lx.word())?;
        lx.expect(",")?;
        let prefix = lx.string()?;
        lx.expect(")")?;
        return Ok(Term::StartsWith(p, prefix));
    }
    let w = lx.word();
    if let Some(collection) = w.strip_suffix("/any") {
        let collection = path(collection)?;
        lx.expect("(")?;
        let var = lx.ident();
        if var.is_empty() {
            return Err(unsupported(
                "`any` needs a lambda variable, as in `any(t: t/id eq 'x')`",
            ));
        }
        lx.expect(":")?;
        let inner = lx.word();
        let inner = inner
            .strip_prefix(var)
            .and_then(|p| p.strip_prefix('/'))
            .ok_or_else(|| {
                unsupported(format!(
                    "`{}` does not start with `{var}/`",
                    truncate(inner)
                ))
            })?;
        let inner = path(inner)?;
        let o = op(lx.word())?;
        let l = literal(lx)?;
        lx.expect(")")?;
        return Ok(Term::Any(collection, inner, o, l));
    }
    if w.is_empty() {
        return Err(unsupported(format!(
            "`{}` is not supported",
            truncate(lx.rest())
        )));
    }
    if lx.rest().trim_start().starts_with('(') {
        return Err(unsupported(format!(
            "the function `{}` is not supported",
            truncate(w)
        )));
    }
    let p = path(w)?;
    let o = op(lx.word())?;
    let l = literal(lx)?;
    Ok(Term::Compare(p, o, l))
}

fn get<'v>(record: &'v Value, path: &[String]) -> &'v Value {
    path.iter()
        .fold(record, |v, key| v.get(key).unwrap_or(&Value::Null))
}

fn compare(value: &Value, op: Op, lit: &Literal) -> bool {
    let ord = match (value, lit) {
        (Value::Null, Literal::Null) => Some(Ordering::Equal),
        (_, Literal::Null) | (Value::Null, _) => None,
        (Value::String(s), Literal::Str(l)) => Some(s.to_lowercase().cmp(&l.to_lowercase())),
        (Value::String(s), Literal::Time(t)) => DateTime::parse_from_rfc3339(s)
            .ok()
            .map(|v| v.with_timezone(&Utc).cmp(t)),
        (Value::Number(n), Literal::Int(i)) => n.as_i64().map(|v| v.cmp(i)),
        (Value::Bool(b), Literal::Bool(l)) => Some(b.cmp(l)),
        _ => None,
    };
    match (op, ord) {
        (Op::Ne, None) => !matches!((value, lit), (Value::Null, Literal::Null)),
        (_, None) => false,
        (Op::Eq, Some(o)) => o == Ordering::Equal,
        (Op::Ne, Some(o)) => o != Ordering::Equal,
        (Op::Gt, Some(o)) => o == Ordering::Greater,
        (Op::Ge, Some(o)) => o != Ordering::Less,
        (Op::Lt, Some(o)) => o == Ordering::Less,
        (Op::Le, Some(o)) => o != Ordering::Greater,
    }
}

impl Term {
    fn matches(&self, record: &Value) -> bool {
        match self {
            Term::Compare(p, o, l) => compare(get(record, p), *o, l),
            Term::StartsWith(p, prefix) => get(record, p)
                .as_str()
                .is_some_and(|s| s.to_lowercase().starts_with(&prefix.to_lowercase())),
            Term::Any(collection, inner, o, l) => get(record, collection)
                .as_array()
                .is_some_and(|items| items.iter().any(|item| compare(get(item, inner), *o, l))),
        }
    }
}

/// The query options of a log request.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LogQuery {
    pub(crate) filter: Option<Filter>,
    pub(crate) top: usize,
    pub(crate) skip: usize,
    /// `Some(true)` for ascending, `Some(false)` for descending.
    pub(crate) ascending: Option<bool>,
}

impl LogQuery {
    /// Reads the options from the decoded query pairs. `date_property` is the only
    /// property `$orderby` accepts.
    pub(crate) fn parse(
        pairs: &[(String, String)],
        date_property: &str,
    ) -> Result<LogQuery, ApiError> {
        let mut q = LogQuery {
            filter: None,
            top: MAX_TOP,
            skip: 0,
            ascending: None,
        };
        for (key, value) in pairs {
            match key.as_str() {
                "$filter" => q.filter = Some(Filter::parse(value)?),
                "$top" => {
                    q.top = value
                        .parse::<usize>()
                        .ok()
                        .filter(|n| (1..=MAX_TOP).contains(n))
                        .ok_or_else(|| {
                            ApiError::invalid_request(format!(
                                "Invalid $top value `{}`: an integer from 1 to {MAX_TOP}",
                                truncate(value)
                            ))
                        })?;
                }
                "$skiptoken" => {
                    q.skip = value.parse::<usize>().map_err(|_| {
                        ApiError::invalid_request(format!(
                            "Invalid $skiptoken `{}`",
                            truncate(value)
                        ))
                    })?;
                }
                "$orderby" => {
                    let mut words = value.split_whitespace();
                    let property = words.next().unwrap_or_default();
                    if property != date_property {
                        return Err(ApiError::invalid_request(format!(
                            "$orderby is supported on `{date_property}` only, not `{}`",
                            truncate(property)
                        )));
                    }
                    q.ascending = match (words.next(), words.next()) {
                        (None | Some("asc"), None) => Some(true),
                        (Some("desc"), None) => Some(false),
                        _ => {
                            return Err(ApiError::invalid_request(format!(
                                "Invalid $orderby `{}`: `{date_property} asc` or `{date_property} desc`",
                                truncate(value)
                            )));
                        }
                    };
                }
                other if other.starts_with('$') => {
                    return Err(ApiError::invalid_request(format!(
                        "The query option `{}` is not supported here ($filter, $top, $orderby, $skiptoken)",
                        truncate(other)
                    )));
                }
                _ => {}
            }
        }
        Ok(q)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record() -> Value {
        json!({
            "activityDisplayName": "Admin registered security info",
            "activityDateTime": "2026-01-05T09:30:00Z",
            "initiatedBy": {"user": {"userPrincipalName": "hana@contoso.com"}},
            "status": {"errorCode": 0},
            "targetResources": [{"id": "abc", "userPrincipalName": "alex@contoso.com"}]
        })
    }

    #[test]
    fn comparisons_on_paths_strings_dates_and_numbers() {
        let r = record();
        for (f, want) in [
            (
                "activityDisplayName eq 'Admin registered security info'",
                true,
            ),
            (
                "activityDisplayName eq 'admin REGISTERED security info'",
                true,
            ),
            (
                "activityDisplayName ne 'Admin registered security info'",
                false,
            ),
            (
                "initiatedBy/user/userPrincipalName eq 'hana@contoso.com'",
                true,
            ),
            ("activityDateTime ge 2026-01-05T09:00:00Z", true),
            ("activityDateTime ge 2026-01-06", false),
            ("activityDateTime lt 2026-01-06", true),
            ("status/errorCode ne 0", false),
            (
                "status/errorCode eq 0 and activityDateTime gt 2026-01-05",
                true,
            ),
            ("startswith(activityDisplayName,'Admin')", true),
            ("startswith(activityDisplayName, 'User')", false),
            ("targetResources/any(t: t/id eq 'abc')", true),
            (
                "targetResources/any(t:t/userPrincipalName eq 'bob@contoso.com')",
                false,
            ),
            ("missing eq null", true),
        ] {
            assert_eq!(Filter::parse(f).unwrap().matches(&r), want, "{f}");
        }
    }

    #[test]
    fn unsupported_parts_are_named() {
        for (f, part) in [
            ("a eq 'x' or b eq 'y'", "`or`"),
            ("contains(a,'x')", "`contains`"),
            ("a has 'x'", "`has`"),
            ("a eq 'open", "not closed"),
            ("a eq x", "`x`"),
            ("", "not supported"),
        ] {
            let e = Filter::parse(f).unwrap_err();
            assert_eq!(e.code, "invalidRequest");
            assert!(e.message.contains(part), "{f}: {}", e.message);
        }
        let long = "a eq 'x' and ".repeat(40) + "a eq 'x'";
        assert!(
            Filter::parse(&long)
                .unwrap_err()
                .message
                .contains("at most 32")
        );
    }

    #[test]
    fn top_orderby_and_skiptoken() {
        let pairs = |v: &[(&str, &str)]| -> Vec<(String, String)> {
            v.iter()
                .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
                .collect()
        };
        let q = LogQuery::parse(
            &pairs(&[("$top", "5"), ("$orderby", "createdDateTime desc")]),
            "createdDateTime",
        )
        .unwrap();
        assert_eq!((q.top, q.ascending), (5, Some(false)));
        assert!(LogQuery::parse(&pairs(&[("$top", "0")]), "x").is_err());
        assert!(LogQuery::parse(&pairs(&[("$top", "1001")]), "x").is_err());
        assert!(
            LogQuery::parse(
                &pairs(&[("$orderby", "userPrincipalName")]),
                "createdDateTime"
            )
            .is_err()
        );
        assert!(
            LogQuery::parse(&pairs(&[("$select", "id")]), "x")
                .unwrap_err()
                .message
                .contains("$select")
        );
        assert_eq!(
            LogQuery::parse(&pairs(&[("$skiptoken", "7")]), "x")
                .unwrap()
                .skip,
            7
        );
    }
}
