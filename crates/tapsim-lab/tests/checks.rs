//! Tests: what checking a scenario refuses before anything runs (issues 11 and 13):
//! empty files, times out of the calendar, control characters in messages, and large
//! files checked in linear time.

#![allow(missing_docs)]

use tapsim::HashCost;
use tapsim_lab::{Diagnostic, DiagnosticKind, Format, RunOptions, Scenario};

fn fast() -> RunOptions {
    RunOptions::new().hash_cost(HashCost::Minimum)
}

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
    let s = Scenario::from_toml("setup_only = true\n[[users]]\nupn = \"ada@contoso.com\"\n")
        .unwrap();
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
