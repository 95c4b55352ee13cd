//! Text from a scenario made safe for a terminal: control characters, terminal escapes
//! and Unicode's bidirectional controls written as Rust escapes, never raw.

use std::borrow::Cow;

/// Whether `c` must not reach a terminal raw: a control character (C0, DEL, C1: `ESC`
/// starts every terminal escape) or a bidirectional control, which reorders what a
/// line shows.
fn unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

fn escape_where(s: &str, keep: impl Fn(char) -> bool) -> Cow<'_, str> {
    let bad = |c: char| unsafe_char(c) && !keep(c);
    if !s.chars().any(bad) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if bad(c) {
            // `\n`, `\r`, `\t`, `\0`, or `\u{1b}`: Rust's spelling.
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// `s` for one line of output: every control character, newlines and tabs included,
/// and every bidirectional control, written as Rust escapes (`\n`, `\r`, `\0`,
/// `\u{1b}`). Used for messages that quote a scenario's text.
///
/// ```
/// assert_eq!(tapsim_lab::escape_line("a\u{1b}[31mb\r\0"), "a\\u{1b}[31mb\\r\\0");
/// assert_eq!(tapsim_lab::escape_line("Alex's \"phone\""), "Alex's \"phone\"");
/// ```
pub fn escape_line(s: &str) -> Cow<'_, str> {
    escape_where(s, |_| false)
}

/// `s` for text that may span lines: as [`escape_line`], but newlines and tabs stay.
pub(crate) fn escape_text(s: &str) -> Cow<'_, str> {
    escape_where(s, |c| c == '\n' || c == '\t')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_controls_and_bidi_only() {
        assert!(matches!(
            escape_line("plain, 'quoted' \\ text é"),
            Cow::Borrowed(_)
        ));
        assert_eq!(
            escape_line("\u{7}\u{9b}\u{202e}x"),
            "\\u{7}\\u{9b}\\u{202e}x"
        );
        assert_eq!(escape_line("a\nb\tc"), "a\\nb\\tc");
        assert_eq!(escape_text("a\nb\tc\r"), "a\nb\tc\\r");
    }
}
