//! Problems shown as a compiler shows them: the message, where, the line of the file with
//! a caret under the place, and the hint. Written once, for every caller: the command's
//! `check` and `run`, TOML and JSON alike.

use annotate_snippets::{AnnotationKind, Group, Level, Origin, Renderer, Snippet};

use super::error::{Diagnostic, LineIndex, ScenarioError};
use super::escape::escape_line;

impl Diagnostic {
    /// The problem as a compiler shows it: `error: message`, then ` --> origin:line:column`,
    /// the line of `source` with a caret under the place (labelled with the path), and
    /// `= help: ...`. Without a location (or a source), the path follows the origin
    /// instead. With `color`, ANSI styles; without, none at all. The scenario's text is
    /// shown escaped: no control character or terminal escape is written raw.
    ///
    /// ```
    /// use tapsim_lab::Scenario;
    /// let source = "setup_only = true\n[[users]]\nupn = 'ada@contoso.com'\nrole = []\n";
    /// let err = Scenario::from_toml(source).unwrap_err();
    /// let text = err.diagnostics[0].render(Some("lab.toml"), Some(source), false);
    /// assert_eq!(
    ///     text,
    ///     "error: unknown field `role`\n \
    ///        --> lab.toml:4:1\n  \
    ///         |\n\
    ///      4 | role = []\n  \
    ///         | ^^^^ users[0]\n  \
    ///         |\n  \
    ///         = help: did you mean `roles`?\n"
    /// );
    /// ```
    pub fn render(&self, origin: Option<&str>, source: Option<&str>, color: bool) -> String {
        let lines = source.map(|s| (s, LineIndex::new(s)));
        self.render_in(origin, lines.as_ref().map(|(s, i)| (*s, i)), color)
    }

    /// [`Diagnostic::render`] with the source's line index built once by the caller:
    /// rendering every problem of a file costs its length once, not once per problem.
    fn render_in(
        &self,
        origin: Option<&str>,
        source: Option<(&str, &LineIndex)>,
        color: bool,
    ) -> String {
        let origin = origin.map(escape_line);
        let mut group = Group::with_title(Level::ERROR.primary_title(self.message.as_str()));
        // ` --> file:line:column`, when the snippet cannot say it itself.
        let mut arrow = None;
        let line = self
            .location
            .and_then(|l| Some((l, source.and_then(|(s, index)| index.line(s, l.line))?)));
        match line {
            Some((loc, line)) => {
                // The snippet shows at most a window of a long line around the place (so
                // that a file's thousands of problems on one long line cost the window
                // each, not the line); the place itself is written below, as the file
                // says it.
                arrow = origin.as_ref().map(|o| (format!("{o}:{loc}"), loc.line));
                let (text, column) = window(line, loc.column);
                let span = token_at(text, column);
                group = group.element(
                    Snippet::source(text)
                        .line_start(loc.line)
                        .annotation(AnnotationKind::Primary.span(span).label(self.path.as_str())),
                );
            }
            None => {
                let mut place = match (&origin, self.location) {
                    (Some(o), Some(l)) => format!("{o}:{l}"),
                    (Some(o), None) => o.to_string(),
                    (None, Some(l)) => l.to_string(),
                    (None, None) => String::new(),
                };
                if !self.path.is_empty() {
                    if place.is_empty() {
                        place.clone_from(&self.path);
                    } else {
                        place = format!("{place} ({})", self.path);
                    }
                }
                if !place.is_empty() {
                    group = group.element(Origin::path(place));
                }
            }
        }
        if let Some(help) = &self.help {
            group = group.element(Level::HELP.message(help.as_str()));
        }
        let renderer = if color {
            Renderer::styled()
        } else {
            Renderer::plain()
        };
        let mut out = renderer.render(&[group]);
        if line.is_none() {
            // With no source line there is no line-number gutter: indent the place and
            // the help by one column, as a one-digit gutter would, so every problem
            // lines up alike (` --> ...`, `  = help: ...`).
            out = out
                .split('\n')
                .enumerate()
                .map(|(i, l)| {
                    if i == 0 || l.is_empty() {
                        l.to_owned()
                    } else {
                        format!(" {l}")
                    }
                })
                .collect::<Vec<_>>()
                .join("\n");
        }
        if let Some((place, line)) = arrow {
            // After the title line (one line: messages are escaped), aligned as the
            // renderer aligns its own, past the widest line number.
            let pad = " ".repeat(line.to_string().len());
            let arrow = if color {
                format!("{pad}\x1b[1m\x1b[94m--> \x1b[0m{place}\n")
            } else {
                format!("{pad}--> {place}\n")
            };
            let at = out.find('\n').map_or(out.len(), |i| i + 1);
            out.insert_str(at, &arrow);
        }
        out.push('\n');
        out
    }
}

impl ScenarioError {
    /// Every problem rendered as [`Diagnostic::render`] does, in file order, with the
    /// scenario's `source` when known.
    pub fn render(&self, source: Option<&str>, color: bool) -> String {
        let lines = source.map(|s| (s, LineIndex::new(s)));
        self.diagnostics
            .iter()
            .map(|d| {
                d.render_in(
                    self.origin.as_deref(),
                    lines.as_ref().map(|(s, i)| (*s, i)),
                    color,
                )
            })
            .collect()
    }
}

/// At most [`WINDOW`] characters of `line` around 1-based character column `column`, and
/// that column within them.
fn window(line: &str, column: usize) -> (&str, usize) {
    let before = WINDOW / 2;
    let first = column.saturating_sub(1).saturating_sub(before);
    let mut starts = line.char_indices().map(|(i, _)| i).skip(first);
    let Some(start) = starts.next() else {
        return (line, column);
    };
    let end = starts.nth(WINDOW - 1).unwrap_or(line.len());
    (&line[start..end], column - first)
}

/// The most characters of one line a snippet shows.
const WINDOW: usize = 160;

/// The byte range of the token at 1-based character column `column` of `line`: a quoted
/// string to its closing quote, a table header to its end, else a run of characters up
/// to a blank or a delimiter; at least one character (or the end of the line).
fn token_at(line: &str, column: usize) -> std::ops::Range<usize> {
    let start = line
        .char_indices()
        .nth(column.saturating_sub(1))
        .map_or(line.len(), |(i, _)| i);
    let rest = &line[start..];
    let mut chars = rest.char_indices();
    let Some((_, first)) = chars.next() else {
        return start..start;
    };
    let len = match first {
        '"' | '\'' => {
            let mut escaped = false;
            let mut end = rest.len();
            for (i, c) in chars {
                if c == first && !escaped {
                    end = i + c.len_utf8();
                    break;
                }
                escaped = first == '"' && c == '\\' && !escaped;
            }
            end
        }
        '[' if line[..start].trim().is_empty() => rest
            .find(|c: char| c.is_whitespace() || c == '#')
            .unwrap_or(rest.len()),
        '[' | '{' | ']' | '}' | ',' | '=' => first.len_utf8(),
        _ => rest
            .find(|c: char| c.is_whitespace() || "=,]}[{\"'#".contains(c))
            .unwrap_or(rest.len())
            .max(first.len_utf8()),
    };
    start..start + len
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens() {
        let at = |line: &str, col: usize| {
            let r = token_at(line, col);
            line[r].to_owned()
        };
        assert_eq!(at("rolse = []", 1), "rolse");
        assert_eq!(at("upn = \"a\\\"b\" # x", 7), "\"a\\\"b\"");
        assert_eq!(at("[[users]]", 1), "[[users]]");
        assert_eq!(at("steps = [{ do = 1 }]", 9), "[");
        assert_eq!(at("by = 15x", 6), "15x");
        assert_eq!(at("é = 'ü'", 5), "'ü'");
        assert_eq!(at("abc", 9), "");
    }

    #[test]
    fn long_lines_are_cut_to_a_window_around_the_place() {
        let line = "x".repeat(1000) + "HERE" + &"y".repeat(1000);
        let (text, column) = window(&line, 1001);
        assert_eq!(text.chars().count(), WINDOW);
        assert_eq!(&text[column - 1..column + 3], "HERE");
        assert_eq!(window("short", 3), ("short", 3));
        assert_eq!(window("short", 9), ("short", 9));
    }
}
