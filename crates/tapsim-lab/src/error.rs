//! What can be wrong with a scenario, said with where and what.

use std::fmt;

use serde::Serialize;

/// A position in a scenario file: 1-based line and column (columns count characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Location {
    /// The line, from 1.
    pub line: usize,
    /// The column, from 1, in characters.
    pub column: usize,
}

impl Location {
    /// The location of byte offset `offset` in `source` (clamped to the text's end and
    /// to a character boundary).
    ///
    /// ```
    /// use tapsim_lab::Location;
    /// let loc = Location::of_offset("a = 1\nbé = 2\n", 10);
    /// assert_eq!((loc.line, loc.column), (2, 4));
    /// ```
    pub fn of_offset(source: &str, offset: usize) -> Location {
        LineIndex::new(source).locate(source, offset)
    }
}

/// Where each line of a text starts, built once, so that locating a byte offset costs a
/// binary search and a scan of one line, not of the whole text (checking a scenario is
/// then linear in its size, however many locations it reports).
#[derive(Debug, Clone)]
pub(crate) struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub(crate) fn new(source: &str) -> LineIndex {
        let starts = std::iter::once(0)
            .chain(source.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        LineIndex { starts }
    }

    /// The text of 1-based line `line` of `source` (the text the index was built
    /// from), without its line break.
    pub(crate) fn line<'s>(&self, source: &'s str, line: usize) -> Option<&'s str> {
        let start = *self.starts.get(line.checked_sub(1)?)?;
        let end = self.starts.get(line).map_or(source.len(), |next| next - 1);
        let text = source.get(start..end)?;
        Some(text.strip_suffix('\r').unwrap_or(text))
    }

    /// The 1-based line and column (in characters) of `offset` in `source`, the text
    /// the index was built from.
    pub(crate) fn locate(&self, source: &str, offset: usize) -> Location {
        let mut offset = offset.min(source.len());
        while !source.is_char_boundary(offset) {
            offset -= 1;
        }
        // The last line start at or before the offset; `starts[0]` is 0, so there is one.
        let line = self.starts.partition_point(|s| *s <= offset).max(1);
        let line_start = self.starts[line - 1];
        let column = source[line_start..offset].chars().count() + 1;
        Location { line, column }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// The kind of a problem found in a scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum DiagnosticKind {
    /// The text is not valid TOML or JSON.
    Syntax,
    /// A key the format does not have (with a suggestion when one is close).
    UnknownField,
    /// A required key is missing.
    MissingField,
    /// A value of the wrong type, such as a number where text is expected.
    WrongType,
    /// A value of the right type that is not allowed, such as an unknown role.
    InvalidValue,
    /// A reference to a user, group, pass, session or device the scenario does not have
    /// (yet).
    UnknownName,
    /// A name given twice.
    DuplicateName,
    /// A date-time or a duration that does not parse.
    InvalidTime,
    /// Fields that do not go together, such as an expected denial on a step that is not
    /// a sign-in.
    Inconsistent,
    /// The file is over one of the limits every scenario has (size, users, groups,
    /// steps, nesting): the message names it.
    LimitExceeded,
}

/// One problem in a scenario: what, where (path, line and column), and
/// a hint when one helps.
///
/// Messages are lowercase, without a trailing period, with the scenario's own text in
/// backticks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Diagnostic {
    /// The kind of problem.
    pub kind: DiagnosticKind,
    /// What is wrong.
    pub message: String,
    /// Where in the scenario's structure, such as `users[0].roles[1]` or `step 4.user`
    /// (steps are numbered from 1, as in the transcript; other lists from 0).
    pub path: String,
    /// Where in the text, when known (TOML and JSON alike; not for a problem about
    /// the whole file).
    pub location: Option<Location>,
    /// A hint, such as ``did you mean `upn`?``.
    pub help: Option<String>,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(loc) = self.location {
            write!(f, "{loc}: ")?;
        }
        if !self.path.is_empty() {
            write!(f, "{}: ", self.path)?;
        }
        f.write_str(&self.message)?;
        if let Some(help) = &self.help {
            write!(f, " ({help})")?;
        }
        Ok(())
    }
}

/// A scenario that cannot be used: every problem found, in file order.
///
/// ```
/// use tapsim_lab::Scenario;
/// let err = Scenario::from_toml("title = 'x'\nsetup_only = true\n[[users]]\nupn = 'ada@contoso.com'\nrole = []\n").unwrap_err();
/// assert_eq!(err.to_string(), "5:1: users[0]: unknown field `role` (did you mean `roles`?)");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ScenarioError {
    /// The file (or other origin) of the scenario, when known.
    pub origin: Option<String>,
    /// The problems; never empty.
    pub diagnostics: Vec<Diagnostic>,
}

impl ScenarioError {
    /// The same error, saying which file it is about.
    pub fn with_origin(mut self, origin: impl Into<String>) -> ScenarioError {
        self.origin = Some(origin.into());
        self
    }
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.diagnostics.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            if let Some(origin) = &self.origin {
                write!(f, "{}:", crate::escape::escape_line(origin))?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

/// The tenant refused the scenario's setup (its users, groups or initial policy), so
/// the timeline could not start.
///
/// Parsing catches nearly everything; this is what remains, such as a setup policy that
/// the policy rules reject.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}setup failed at {path}: {error}", .origin.as_ref().map(|o| format!("{o}: ")).unwrap_or_default())]
pub struct SetupError {
    /// The file (or other origin) of the scenario, when known.
    pub origin: Option<String>,
    /// What was being set up, such as `users[2]` or `policy`.
    pub path: String,
    /// The tenant's error.
    pub error: tapsim::Error,
}

/// Anything that keeps a scenario from running to the end of its timeline.
///
/// Failed expectations are not errors: they are in the [`Report`](super::Report).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LabError {
    /// The scenario does not parse or refers to things it does not have.
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    /// The tenant refused the setup.
    #[error(transparent)]
    Setup(#[from] SetupError),
}
