//! Tests: what checking a scenario refuses before anything runs (issues 11 and 13):
//! empty files, times out of the calendar, control characters in messages, and large
//! files checked in linear time.

#![allow(missing_docs)]

mod common;

use common::*;
use tapsim_lab::{Diagnostic, DiagnosticKind, Format, Scenario};

fn errors(src: &str, format: Format) -> Vec<Diagnostic> {
    match Scenario::parse(src, format) {
        Ok(_) => panic!("scenario should not parse:\n{src}"),
        Err(e) => e.diagnostics,
    }
}

fn one_error(src: &str) -> Diagnostic {
    let mut d = errors(src, Format::Toml);
    assert_eq!(d.len(), 1, "expected one diagnostic, got {d:#?}");
    d.remove(0)
}

// ---- Empty files and files with no steps (issue 13) ----------------------------------

const SETUP_HELP: &str =
    "a file that only sets up a tenant (for `tapsim serve --scenario`) says `setup_only = true`";

#[test]
fn an_empty_file_is_refused_by_name_in_both_syntaxes() {
    for (src, format) in [
        ("", Format::Toml),
        (" \n\t\n", Format::Toml),
        ("", Format::Json),
        ("\n", Format::Json),
        ("# only a comment\n", Format::Toml),
        ("{}", Format::Json),
    ] {
        let d = errors(src, format);
        assert_eq!(d.len(), 1, "{src:?}: {d:#?}");
        assert_eq!(d[0].kind, DiagnosticKind::MissingField);
        assert_eq!(
            d[0].message,
            "the file is empty: a scenario has at least one step, in `steps`"
        );
        assert_eq!(d[0].path, "steps");
        assert_eq!(d[0].help.as_deref(), Some(SETUP_HELP));
    }
}

#[test]
fn a_file_with_no_steps_is_refused_unless_it_says_setup_only() {
    let d = one_error("title = \"x\"\n[[users]]\nupn = \"ada@contoso.com\"\n");
    assert_eq!(d.kind, DiagnosticKind::MissingField);
    assert_eq!(
        d.message,
        "the file has no steps: a scenario has at least one, in `steps`"
    );
    assert_eq!(d.location, None);
    assert_eq!(
        d.to_string(),
        format!(
            "steps: the file has no steps: a scenario has at least one, in `steps` ({SETUP_HELP})"
        )
    );
    // An empty list is no steps either, and says where it is.
    let d = one_error("title = \"x\"\nsteps = []\n");
    assert_eq!(
        d.message,
        "the file has no steps: a scenario has at least one, in `steps`"
    );
    assert_eq!(d.location.map(|l| (l.line, l.column)), Some((2, 1)));
    let d = errors(r#"{"title": "x", "steps": []}"#, Format::Json);
    assert_eq!(
        d[0].message,
        "the file has no steps: a scenario has at least one, in `steps`"
    );

    // A setup-only file parses, and runs no step.
    let s =
        Scenario::from_toml("setup_only = true\n[[users]]\nupn = \"ada@contoso.com\"\n").unwrap();
    assert!(s.steps.is_empty());
    let report = s.run(&fast()).unwrap();
    assert!(report.passed());
    assert!(report.steps.is_empty());
    let s = Scenario::from_json(r#"{"setup_only": true, "users": [{"upn": "ada@contoso.com"}]}"#)
        .unwrap();
    assert_eq!(s.users.len(), 1);
}

#[test]
fn setup_only_with_steps_or_not_a_boolean_is_refused() {
    let d = one_error(
        "setup_only = true\n[[steps]]\ndo = \"advance_clock\"\nby = \"1m\"\n[[steps]]\ndo = \"advance_clock\"\nby = \"1m\"\n",
    );
    assert_eq!(d.kind, DiagnosticKind::Inconsistent);
    assert_eq!(d.message, "`setup_only = true`, but the file has 2 steps");
    assert_eq!(d.path, "setup_only");
    assert_eq!(d.location.map(|l| (l.line, l.column)), Some((1, 14)));
    assert_eq!(d.help.as_deref(), Some("remove the steps, or `setup_only`"));

    let d = one_error("setup_only = \"yes\"\n[[steps]]\ndo = \"advance_clock\"\nby = \"1m\"\n");
    assert_eq!(d.kind, DiagnosticKind::WrongType);
    assert_eq!(d.message, "expected `true` or `false`, found text");
    assert_eq!(d.path, "setup_only");

    // `setup_only = false` says nothing more than its absence.
    let d = one_error("setup_only = false\n");
    assert_eq!(
        d.message,
        "the file has no steps: a scenario has at least one, in `steps`"
    );
    assert!(
        Scenario::from_toml("setup_only = false\n[[steps]]\ndo = \"advance_clock\"\nby = \"1m\"\n")
            .is_ok()
    );
}

// ---- Times out of the calendar (issue 13) ---------------------------------------------

const BEFORE: &str = "before 1970-01-01T00:00:00Z, the earliest instant a scenario may use";
const AFTER: &str = "after 9999-12-31T23:59:59Z, the latest instant a scenario may use";

/// A scenario with two users and a policy, then `steps`.
fn cast(tenant: &str, steps: &str) -> String {
    format!(
        r#"
[tenant]
hash_cost = "minimum"
{tenant}
[[users]]
upn = "pat@contoso.com"
roles = ["Global Administrator"]
[[users]]
upn = "ada@contoso.com"
[policy]
actor = "pat@contoso.com"
state = "enabled"
{steps}"#
    )
}

const A_STEP: &str = "[[steps]]\ndo = \"advance_clock\"\nby = \"1m\"\n";

#[test]
fn times_before_1970_and_after_9999_are_refused_the_same_way_everywhere() {
    // Every place a date-time is written, at both ends, TOML date-times and text alike;
    // offsets count: 00:30+01:00 on 1970-01-01 is 23:30 the day before, in UTC.
    let cases = [
        (
            cast("start = 1969-12-31T23:59:59Z", A_STEP),
            "tenant.start",
            format!("`1969-12-31T23:59:59Z` is {BEFORE}"),
        ),
        (
            cast("start = \"1970-01-01T00:30:00+01:00\"", A_STEP),
            "tenant.start",
            format!("`1970-01-01T00:30:00+01:00` is {BEFORE}"),
        ),
        (
            cast("start = 9999-12-31T23:59:59.5Z", A_STEP),
            "tenant.start",
            format!("`9999-12-31T23:59:59.5Z` is {AFTER}"),
        ),
        (
            cast(
                "",
                "[[steps]]\ndo = \"set_clock\"\nto = 1900-01-01T00:00:00Z\n",
            ),
            "step 1.to",
            format!("`1900-01-01T00:00:00Z` is {BEFORE}"),
        ),
        (
            cast(
                "",
                "[[steps]]\ndo = \"set_clock\"\nto = \"9999-12-31T23:00:00-01:00\"\n",
            ),
            "step 1.to",
            format!("`9999-12-31T23:00:00-01:00` is {AFTER}"),
        ),
        (
            cast(
                "",
                "[[steps]]\ndo = \"create_pass\"\nactor = \"pat@contoso.com\"\nuser = \"ada@contoso.com\"\nstart = \"0001-01-01T00:00:00Z\"\n",
            ),
            "step 1.start",
            format!("`0001-01-01T00:00:00Z` is {BEFORE}"),
        ),
    ];
    for (src, path, message) in cases {
        let d = one_error(&src);
        assert_eq!(d.kind, DiagnosticKind::InvalidTime, "{src}");
        assert_eq!(d.path, path);
        assert_eq!(d.message, message);
        assert!(d.location.is_some());
    }
    // The bounds themselves are in.
    let s = Scenario::from_toml(&cast(
        "start = 1970-01-01T00:00:00Z",
        "[[steps]]\ndo = \"set_clock\"\nto = 9999-12-31T23:59:59Z\n",
    ))
    .unwrap();
    assert_eq!(s.tenant.start.timestamp(), 0);
    let report = s.run(&fast()).unwrap();
    assert!(report.passed());
    // JSON says the same, by path.
    let d = errors(
        r#"{"tenant": {"start": "1969-07-20T20:17:00Z"}, "steps": [{"do": "advance_clock", "by": "1m"}]}"#,
        Format::Json,
    );
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].message, format!("`1969-07-20T20:17:00Z` is {BEFORE}"));
    assert_eq!(d[0].path, "tenant.start");
    // And so does the function the command's `serve --clock` uses.
    assert_eq!(
        tapsim_lab::parse_date_time("10000-01-01T00:00:00Z").unwrap_err(),
        "`10000-01-01T00:00:00Z` is not a date-time: write it like `2026-01-05T09:00:00Z`"
    );
    assert_eq!(
        tapsim_lab::parse_date_time("9999-12-31T23:59:59-00:01").unwrap_err(),
        format!("`9999-12-31T23:59:59-00:01` is {AFTER}")
    );
}

#[test]
fn a_duration_that_would_take_the_clock_past_9999_is_refused_before_running() {
    let src = cast(
        "start = 9999-12-01T00:00:00Z",
        "[[steps]]\ndo = \"advance_clock\"\nby = \"15d\"\n[[steps]]\ndo = \"advance_clock\"\nby = \"15d\"\n[[steps]]\ndo = \"advance_clock\"\nby = \"2d\"\n",
    );
    let d = one_error(&src);
    assert_eq!(d.kind, DiagnosticKind::InvalidTime);
    assert_eq!(d.path, "step 3.by");
    assert_eq!(
        d.message,
        format!("advancing the clock by `2d` from 9999-12-31T00:00:00Z would take it {AFTER}")
    );
    // `set_clock` moves the clock the checks follow, backwards too.
    let src = cast(
        "start = 9999-12-01T00:00:00Z",
        "[[steps]]\ndo = \"set_clock\"\nto = 2026-01-01T00:00:00Z\n[[steps]]\ndo = \"advance_clock\"\nby = \"36500d\"\n",
    );
    assert!(Scenario::from_toml(&src).is_ok());
    let src = cast(
        "",
        "[[steps]]\ndo = \"set_clock\"\nto = 9999-12-31T00:00:00Z\n[[steps]]\ndo = \"advance_clock\"\nby = \"36500d\"\n",
    );
    assert_eq!(
        one_error(&src).message,
        format!("advancing the clock by `36500d` from 9999-12-31T00:00:00Z would take it {AFTER}")
    );
}

#[test]
fn a_relative_pass_start_out_of_the_calendar_is_refused_at_both_ends() {
    let pass = |start: &str| {
        format!(
            "[[steps]]\ndo = \"create_pass\"\nactor = \"pat@contoso.com\"\nuser = \"ada@contoso.com\"\nstart = \"{start}\"\n"
        )
    };
    let d = one_error(&cast("start = 1970-01-01T00:30:00Z", &pass("-1h")));
    assert_eq!(d.kind, DiagnosticKind::InvalidTime);
    assert_eq!(d.path, "step 1.start");
    assert_eq!(
        d.message,
        format!("a start `-1h` from 1970-01-01T00:30:00Z is {BEFORE}")
    );
    let d = one_error(&cast("start = 9999-12-31T12:00:00Z", &pass("+1d")));
    assert_eq!(
        d.message,
        format!("a start `+1d` from 9999-12-31T12:00:00Z is {AFTER}")
    );
    // Within the calendar, a relative start is fine.
    assert!(Scenario::from_toml(&cast("start = 1970-01-01T02:00:00Z", &pass("-1h"))).is_ok());
}

// ---- Control characters in messages (issue 13) ----------------------------------------

#[test]
fn messages_quote_control_characters_and_escapes_as_rust_escapes() {
    let d = errors(
        "[[users]]\nupn = \"ada@contoso.com\"\n[[groups]]\nname = \"St\\u001b[31maff\\r\\u0000\"\n[[steps]]\ndo = \"list_passes\"\nactor = \"ad\\u001b[31ma@contoso.com\"\nuser = \"ada@contoso.com\"\n[[steps]]\ndo = \"add_to_group\"\ngroup = \"St\\u001b[31maff\\r\"\nuser = \"ada@contoso.com\"\n",
        Format::Toml,
    );
    assert_eq!(d.len(), 2, "{d:#?}");
    assert_eq!(d[0].message, r"unknown user `ad\u{1b}[31ma@contoso.com`");
    assert_eq!(
        d[0].help.as_deref(),
        Some("did you mean `ada@contoso.com`?")
    );
    assert_eq!(d[1].message, r"unknown group `St\u{1b}[31maff\r`");
    assert_eq!(
        d[1].help.as_deref(),
        Some(r"did you mean `St\u{1b}[31maff\r\0`?")
    );
    // Keys too, in the path and the message; and JSON's duplicate keys.
    let d = one_error("\"ti\\u001btle\" = 1\n[[steps]]\ndo = \"advance_clock\"\nby = \"1m\"\n");
    assert_eq!(d.message, r"unknown field `ti\u{1b}tle`");
    let d = errors("{\"a\\u0000\": 1, \"a\\u0000\": 2}", Format::Json);
    assert_eq!(d[0].message, r"JSON syntax error: duplicate key `a\0`");
    for d in d
        .iter()
        .chain([&one_error("title = \"\\u0007\"\nsteps = 1\n")])
    {
        assert!(!d.to_string().chars().any(|c| c.is_control()), "{d}");
    }
}

// ---- Large files are checked in linear time (issue 11) --------------------------------

/// `n` groups, each nesting the next: `g00000` holds `g00001`, ... (the last closes the
/// ring back to the first when `ring`).
fn chain(n: usize, ring: bool) -> String {
    let mut s = String::from("title = \"chain\"\n[[users]]\nupn = \"ada@contoso.com\"\n");
    for i in 0..n {
        s.push_str(&format!("[[groups]]\nname = \"g{i:05}\"\n"));
        if i + 1 < n {
            s.push_str(&format!("groups = [\"g{:05}\"]\n", i + 1));
        } else if ring {
            s.push_str("groups = [\"g00000\"]\n");
        }
    }
    s.push_str(A_STEP);
    s
}

#[test]
fn a_ten_thousand_deep_group_chain_checks_and_a_ring_is_one_error() {
    let s = Scenario::from_toml(&chain(10_000, false)).unwrap();
    assert_eq!(s.groups.len(), 10_000);
    assert_eq!(s.groups[9_998].groups, ["g09999"]);
    // Closing the ring: every group is on the cycle, the first says so, once.
    let d = one_error(&chain(10_000, true));
    assert_eq!(d.kind, DiagnosticKind::Inconsistent);
    assert_eq!(d.path, "groups[0].groups");
    assert_eq!(
        d.message,
        "group `g00000` would contain itself through its nested groups"
    );
    // A group that leads into a cycle without being on it is not the one named.
    let src = "[[groups]]\nname = \"lead\"\ngroups = [\"a\"]\n[[groups]]\nname = \"a\"\ngroups = [\"b\"]\n[[groups]]\nname = \"b\"\ngroups = [\"a\"]\n[[groups]]\nname = \"self\"\ngroups = [\"self\"]\n";
    let d = one_error(&format!("{src}{A_STEP}"));
    assert_eq!(d.path, "groups[1].groups");
    assert_eq!(
        d.message,
        "group `a` would contain itself through its nested groups"
    );
}

#[test]
fn thousands_of_near_miss_names_are_each_reported_and_suggestions_stay_bounded() {
    // 9,999 groups in a chain, 1,000 users, then one group naming 5,000 unknown groups
    // and 5,000 unknown users, each one edit from a declared name.
    let mut src = chain(9_999, false);
    src.truncate(src.len() - A_STEP.len());
    for i in 0..1_000 {
        src.push_str(&format!("[[users]]\nupn = \"user{i:05}@contoso.com\"\n"));
    }
    let groups: Vec<String> = (0..5_000).map(|i| format!("\"h{i:05}\"")).collect();
    let users: Vec<String> = (0..5_000)
        .map(|i| format!("\"usr{i:05}@contoso.com\""))
        .collect();
    src.push_str(&format!(
        "[[groups]]\nname = \"misses\"\nusers = [{}]\ngroups = [{}]\n{A_STEP}",
        users.join(", "),
        groups.join(", ")
    ));
    let d = errors(&src, Format::Toml);
    assert_eq!(d.len(), 10_000);
    assert!(d.iter().all(|d| d.kind == DiagnosticKind::UnknownName));
    let users_missed = d
        .iter()
        .filter(|d| d.message.starts_with("unknown user"))
        .count();
    assert_eq!(users_missed, 5_000);
    // File order: the users' list comes first on its line, then the groups'.
    assert_eq!(d[0].message, "unknown user `usr00000@contoso.com`");
    assert_eq!(
        d[0].help.as_deref(),
        Some("did you mean `user00000@contoso.com`?")
    );
    assert_eq!(d[9_999].message, "unknown group `h04999`");
    assert_eq!(d[9_999].path, "groups[9999].groups[4999]");
    // Suggestions are looked for within one budget per file: past it, every problem is
    // still reported, with the general hint.
    let suggested = d
        .iter()
        .filter(|d| {
            d.help
                .as_deref()
                .is_some_and(|h| h.starts_with("did you mean"))
        })
        .count();
    assert!(suggested > 0 && suggested < 5_000, "{suggested}");
    assert_eq!(
        d[9_999].help.as_deref(),
        Some("groups are declared in `[[groups]]`")
    );
}
