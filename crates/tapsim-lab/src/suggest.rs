//! "Did you mean ...?" for mistyped names: a small edit distance, no dependency.

/// The Levenshtein distance between `a` and `b`, ignoring ASCII case, counted in
/// characters: the tests' reference for [`edit_distance_at_most`].
#[cfg(test)]
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

/// The Levenshtein distance between `a` and `b` (ignoring nothing: callers lowercase)
/// when it is at
/// most `max`, else `None`, in time proportional to `max` times the length: only the
/// band of cells within `max` of the diagonal is computed, and a row whose every cell
/// is over `max` ends the search.
pub(crate) fn edit_distance_at_most(a: &[char], b: &[char], max: usize) -> Option<usize> {
    // The distance is at least the difference in length, and at most the longer length.
    if a.len().abs_diff(b.len()) > max {
        return None;
    }
    let max = max.min(a.len().max(b.len()));
    let over = max + 1;
    let m = b.len();
    // Only the cells within `max` of the diagonal can stay within `max`: the others
    // count as `over`.
    let mut prev: Vec<usize> = (0..=m).map(|j| if j <= max { j } else { over }).collect();
    let mut row = vec![over; m + 1];
    for (i, ca) in a.iter().enumerate().map(|(i, c)| (i + 1, c)) {
        let lo = i.saturating_sub(max).max(1);
        let hi = (i + max).min(m);
        row[0] = if i <= max { i } else { over };
        if lo > 1 {
            row[lo - 1] = over;
        }
        let mut best = row[0];
        for j in lo..=hi {
            let substitute = prev[j - 1] + usize::from(*ca != b[j - 1]);
            let cell = substitute.min(prev[j] + 1).min(row[j - 1] + 1).min(over);
            row[j] = cell;
            best = best.min(cell);
        }
        if hi < m {
            row[hi + 1] = over;
        }
        if best > max {
            return None;
        }
        std::mem::swap(&mut prev, &mut row);
    }
    Some(prev[m]).filter(|d| *d <= max)
}

/// How many candidates one file's suggestions may look at in all: past it, a problem
/// is still reported, without a "did you mean" (issue 11: checking stays linear in the
/// file, however many near misses it has).
pub(crate) const SUGGESTION_BUDGET: usize = 1_000_000;

/// The candidate closest to `input`, if it is close enough to be a likely typo: at most
/// a third of the input's length away (at least 2 edits for short names), equal ignoring
/// case, `-`, `_` and spaces, or (for inputs of 4 characters or more) contained in the
/// candidate.
///
/// Only candidates of a similar length are compared letter by letter (the distance is
/// at least the difference in length, and the comparison stops once it is over the
/// bound or no better than the best so far), and no candidate costs an allocation.
pub(crate) fn closest<'a>(
    input: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    closest_within(input, candidates, &std::cell::Cell::new(usize::MAX))
}

/// [`closest`], counting each candidate looked at against `budget`: `None` once the
/// budget is spent.
pub(crate) fn closest_within<'a>(
    input: &str,
    candidates: impl IntoIterator<Item = &'a str>,
    budget: &std::cell::Cell<usize>,
) -> Option<&'a str> {
    let squashed = |s: &str, out: &mut String| {
        out.clear();
        out.extend(
            s.chars()
                .filter(|c| !matches!(c, '_' | '-' | ' '))
                .map(|c| c.to_ascii_lowercase()),
        );
    };
    let mut wanted = String::new();
    squashed(input, &mut wanted);
    let wanted_len = wanted.chars().count();
    let lower: Vec<char> = input.chars().map(|c| c.to_ascii_lowercase()).collect();
    let n = lower.len();
    let limit = (n / 3).max(2);
    let mut best: Option<(usize, &'a str)> = None;
    let mut buf = String::new();
    let mut chars: Vec<char> = Vec::new();
    for c in candidates {
        let left = budget.get();
        if left == 0 {
            return None;
        }
        budget.set(left - 1);
        if c == input {
            continue;
        }
        match best {
            Some((0, _)) => break,
            // Only a candidate equal to the input once squashed is closer still: compare
            // without squashing it anywhere, up to the first difference.
            Some((1, _)) => {
                // Squashing only removes characters and keeps the others' lengths.
                if c.len() < wanted.len() {
                    continue;
                }
                let squash = c
                    .chars()
                    .filter(|c| !matches!(c, '_' | '-' | ' '))
                    .map(|c| c.to_ascii_lowercase());
                if squash.eq(wanted.chars()) {
                    best = Some((0, c));
                }
                continue;
            }
            _ => {}
        }
        let m = c.chars().count();
        // Neither within `limit` edits nor long enough to be equal once squashed or to
        // contain the input: not a suggestion, and not worth a comparison.
        if n.abs_diff(m) > limit && m < wanted_len {
            continue;
        }
        squashed(c, &mut buf);
        let equal = buf == wanted;
        let contained = wanted_len >= 4 && buf.contains(wanted.as_str());
        // Only a strictly closer candidate replaces the best so far.
        let bound = match best {
            Some((bd, _)) => bd - 1,
            None if contained => usize::MAX,
            None => limit,
        };
        let d = if equal {
            Some(0)
        } else {
            chars.clear();
            chars.extend(c.chars().map(|c| c.to_ascii_lowercase()));
            edit_distance_at_most(&lower, &chars, bound)
        };
        let Some(d) = d else {
            continue;
        };
        // A shortened name (`lifetime` for `lifetime_in_minutes`) is a likely slip too;
        // among several candidates, the closest wins.
        let close = d <= limit && d < n.max(1);
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

/// [`did_you_mean`] within a file's budget (see [`SUGGESTION_BUDGET`]).
pub(crate) fn did_you_mean_within<'a>(
    input: &str,
    candidates: impl IntoIterator<Item = &'a str>,
    budget: &std::cell::Cell<usize>,
) -> Option<String> {
    closest_within(input, candidates, budget).map(|c| format!("did you mean `{c}`?"))
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
    fn bounded_distances_agree_with_the_full_one() {
        let words = [
            "",
            "a",
            "abc",
            "kitten",
            "sitting",
            "user",
            "usr",
            "lifetime_in_minutes",
            "lifetime",
            "alex@contoso.com",
            "alx@contoso.com",
            "g00001",
            "h00001",
        ];
        for a in words {
            for b in words {
                let (ca, cb): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
                let d = edit_distance(a, b);
                for max in 0..8 {
                    let want = (d <= max).then_some(d);
                    assert_eq!(edit_distance_at_most(&ca, &cb, max), want, "{a} {b} {max}");
                }
            }
        }
    }

    #[test]
    fn a_spent_budget_stops_suggesting() {
        let budget = std::cell::Cell::new(4);
        let names = ["g0", "g1", "g2", "g3"];
        assert_eq!(closest_within("g9", names, &budget), Some("g0"));
        assert_eq!(budget.get(), 0);
        assert_eq!(closest_within("g9", names, &budget), None);
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
