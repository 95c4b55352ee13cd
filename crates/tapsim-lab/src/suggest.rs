//! "Did you mean ...?" for mistyped names: a small edit distance, no dependency.

/// The Levenshtein distance between `a` and `b`, ignoring ASCII case, counted in
/// characters.
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().map(|c| c.to_ascii_lowercase()).collect();
    let b: Vec<char> = b.chars().map(|c| c.to_ascii_lowercase()).collect();
    // One row of the dynamic-programming table at a time; rows have b.len() + 1 cells,
    // so every index below is in bounds.
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut row = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitute = prev[j] + usize::from(ca != cb);
            row[j + 1] = substitute.min(prev[j + 1] + 1).min(row[j] + 1);
        }
        std::mem::swap(&mut prev, &mut row);
    }
    prev[b.len()]
}

/// The candidate closest to `input`, if it is close enough to be a likely typo: at most
/// a third of the input's length away (at least 2 edits for short names), equal ignoring
/// case, `-`, `_` and spaces, or (for inputs of 4 characters or more) contained in the
/// candidate.
pub(crate) fn closest<'a>(
    input: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let squash = |s: &str| -> String {
        s.chars()
            .filter(|c| !matches!(c, '_' | '-' | ' '))
            .map(|c| c.to_ascii_lowercase())
            .collect()
    };
    let wanted = squash(input);
    let limit = (input.chars().count() / 3).max(2);
    let mut best: Option<(usize, &'a str)> = None;
    for c in candidates {
        if c == input {
            continue;
        }
        let squashed = squash(c);
        let d = if squashed == wanted {
            0
        } else {
            edit_distance(input, c)
        };
        // A shortened name (`lifetime` for `lifetime_in_minutes`) is a likely slip too;
        // among several candidates, the closest wins.
        let close = d <= limit && d < input.chars().count().max(1);
        let contained = wanted.chars().count() >= 4 && squashed.contains(&wanted);
        if (close || contained) && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

/// `did you mean `x`?`, for the help line of a diagnostic.
pub(crate) fn did_you_mean<'a>(
    input: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    closest(input, candidates).map(|c| format!("did you mean `{c}`?"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(edit_distance("", ""), 0);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("UPN", "upn"), 0);
        assert_eq!(edit_distance("usr", "user"), 1);
        assert_eq!(edit_distance("abc", ""), 3);
    }

    #[test]
    fn suggestions() {
        let fields = ["upn", "name", "password", "roles"];
        assert_eq!(closest("pasword", fields), Some("password"));
        assert_eq!(closest("role", fields), Some("roles"));
        assert_eq!(closest("zzzzzzzz", fields), None);
        assert_eq!(
            closest("lifetime", ["lifetime_in_minutes", "name"]),
            Some("lifetime_in_minutes")
        );
        assert_eq!(
            closest("oneTimeUsed", ["passOneTimeUsed", "passExpired"]),
            Some("passOneTimeUsed")
        );
        assert_eq!(
            closest(
                "Authentication Admin",
                [
                    "Privileged Authentication Administrator",
                    "Authentication Administrator"
                ]
            ),
            Some("Authentication Administrator")
        );
        assert_eq!(
            closest("create-pass", ["create_pass", "delete_pass"]),
            Some("create_pass")
        );
        assert_eq!(
            did_you_mean("alx@contoso.com", ["alex@contoso.com", "pat@contoso.com"]).as_deref(),
            Some("did you mean `alex@contoso.com`?")
        );
    }
}
