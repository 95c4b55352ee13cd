//! Tests: how the `tapsim` command shows unusable input (issue 13): empty files, times
//! out of the calendar, control characters, and problems as source snippets.

#![allow(missing_docs)]

use std::path::PathBuf;
use std::process::{Command, Output};

fn tapsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tapsim"))
        .args(args)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

/// A scenario file in the temp directory, unique to the test.
fn file(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tapsim-diag-tests-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

const SETUP_HELP: &str =
    "a file that only sets up a tenant (for `tapsim serve --scenario`) says `setup_only = true`";

#[test]
fn check_and_run_refuse_an_empty_file_and_one_with_no_steps_alike() {
    for (name, text, message) in [
        (
            "empty.toml",
            "",
            "the file is empty: a scenario has at least one step, in `steps`",
        ),
        (
            "empty.json",
            "  \n",
            "the file is empty: a scenario has at least one step, in `steps`",
        ),
        (
            "no-steps.toml",
            "title = \"x\"\n",
            "the file has no steps: a scenario has at least one, in `steps`",
        ),
    ] {
        let f = file(name, text);
        let f = f.to_str().unwrap();
        let check = tapsim(&["check", f]);
        let run = tapsim(&["run", f, "--hash-cost", "minimum"]);
        assert_eq!(check.status.code(), Some(2));
        assert_eq!(run.status.code(), Some(2));
        let expected = format!("error: {message}\n --> {f} (steps)\n  = help: {SETUP_HELP}\n");
        assert_eq!(stderr(&check), expected);
        assert_eq!(stderr(&run), expected);
        assert!(stdout(&check).is_empty() && stdout(&run).is_empty());
    }
    // A setup-only file checks, and runs no step.
    let f = file(
        "setup.toml",
        "title = \"setup\"\nsetup_only = true\n[[users]]\nupn = \"ada@contoso.com\"\n",
    );
    let f = f.to_str().unwrap();
    let check = tapsim(&["check", f]);
    assert_eq!(check.status.code(), Some(0), "{}", stderr(&check));
    assert_eq!(
        stdout(&check),
        format!("ok: {f}: \"setup\", 1 users, 0 steps\n")
    );
    let run = tapsim(&["run", f, "--hash-cost", "minimum", "-q"]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
}

#[test]
fn times_out_of_the_calendar_are_shown_where_they_are_and_serve_refuses_them_too() {
    let f = file(
        "old.toml",
        "[tenant]\nstart = 1969-12-31T23:59:59Z\n[[steps]]\ndo = \"advance_clock\"\nby = \"1m\"\n",
    );
    let f = f.to_str().unwrap();
    let o = tapsim(&["check", f]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o),
        format!(
            "error: `1969-12-31T23:59:59Z` is before 1970-01-01T00:00:00Z, the earliest instant a scenario may use\n --> {f}:2:9\n  |\n2 | start = 1969-12-31T23:59:59Z\n  |         ^^^^^^^^^^^^^^^^^^^^ tenant.start\n"
        )
    );
    let o = tapsim(&["serve", "--clock", "10000-01-01T00:00:00+23:59"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o),
        "error: --clock: `10000-01-01T00:00:00+23:59` is not a date-time: write it like `2026-01-05T09:00:00Z`\n"
    );
    let o = tapsim(&["serve", "--clock", "1969-12-31T23:59:59Z"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o),
        "error: --clock: `1969-12-31T23:59:59Z` is before 1970-01-01T00:00:00Z, the earliest instant a scenario may use\n"
    );
}

/// ESC[31m, a carriage return and a NUL in names: escaped in every message, never raw.
#[test]
fn control_characters_in_names_are_escaped_in_every_message() {
    let f = file(
        "controls.toml",
        r#"title = "red \u001b[31m title"
[[users]]
upn = "ada@contoso.com"
[[groups]]
name = "Staff"
[[groups]]
name = "St\u001b[31maff\r\u0000"
groups = ["St\u001b[31maff\r\u0000x"]
[[steps]]
do = "sign_in"
user = "ad\u001b[31ma@contoso.com\r"
password = "x"
[[steps]]
do = "lose_device"
device = "ph\u0000one\r"
[[steps]]
do = "sign_in\u001b[2J"
"#,
    );
    let f = f.to_str().unwrap();
    let o = tapsim(&["check", f, "--color", "never"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    for raw in ['\u{1b}', '\r', '\0'] {
        assert!(!err.contains(raw), "{raw:?} written raw:\n{err}");
    }
    for message in [
        r"error: unknown group `St\u{1b}[31maff\r\0x`",
        r"error: unknown user `ad\u{1b}[31ma@contoso.com\r`",
        r"error: no device named `ph\0one\r` exists before this step",
        r"error: unknown step `sign_in\u{1b}[2J`",
        r"= help: did you mean `St\u{1b}[31maff\r\0`?",
        r"= help: did you mean `ada@contoso.com`?",
    ] {
        assert!(err.contains(message), "{message}\n{err}");
    }
    // In the snippet, the source line is the file's own text (escapes as written).
    assert!(
        err.contains(r#"11 | user = "ad\u001b[31ma@contoso.com\r""#),
        "{err}"
    );

    // The same names in a file that checks: the `ok` line and the transcript escape too.
    let f = file(
        "controls-ok.toml",
        "title = \"red \\u001b[31m title\\r\"\n[[users]]\nupn = \"ada@contoso.com\"\npassword = \"pw\"\n[[groups]]\nname = \"St\\u001b[31maff\\u0000\"\n[[steps]]\ndo = \"sign_in\"\nuser = \"ada@contoso.com\"\npassword = \"pw\"\nsay = \"bell \\u0007 and \\r then\"\n",
    );
    let f = f.to_str().unwrap();
    let o = tapsim(&["check", f]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        format!("ok: {f}: \"red \\u{{1b}}[31m title\\r\", 1 users, 1 steps\n")
    );
    let o = tapsim(&["run", f, "--hash-cost", "minimum", "--color", "never"]);
    let out = stdout(&o);
    assert!(out.contains(r"━━ red \u{1b}[31m title\r ━━"), "{out}");
    assert!(out.contains(r"bell \u{7} and \r then"), "{out}");
    assert!(
        out.contains(r#"group "St\u{1b}[31maff\0": no members"#),
        "{out}"
    );
    for raw in ['\u{1b}', '\r', '\0', '\u{7}'] {
        assert!(!out.contains(raw), "{raw:?} written raw:\n{out}");
    }
    // An unknown lab and a missing file named with control characters.
    let o = tapsim(&["run", "--lab", "lock\u{1b}[2Jout"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).starts_with(
            r"error: no built-in lab `lock\u{1b}[2Jout`; the labs are `account-recovery`,"
        ),
        "{}",
        stderr(&o)
    );
    let o = tapsim(&["check", "no\rsuch.toml"]);
    assert_eq!(
        stderr(&o),
        "error: cannot read `no\\rsuch.toml`: no such file\n"
    );
}

#[test]
fn problems_are_shown_as_snippets_by_check_and_run_alike_toml_and_json() {
    let toml = file(
        "snippet.toml",
        "title = \"t\"\n[[users]]\nupn = \"ada@contoso.com\"\n\n[[steps]]\ndo = \"advance_clok\"\nby = \"1m\"\n",
    );
    let toml = toml.to_str().unwrap();
    let expected = format!(
        "error: unknown step `advance_clok`\n --> {toml}:6:6\n  |\n6 | do = \"advance_clok\"\n  |      ^^^^^^^^^^^^^^ step 1.do\n  |\n  = help: did you mean `advance_clock`?\n"
    );
    let check = tapsim(&["check", toml]);
    let run = tapsim(&["run", toml]);
    assert_eq!(stderr(&check), expected);
    assert_eq!(stderr(&run), expected);

    // JSON: a syntax error has a place, so a snippet.
    let json = file(
        "snippet.json",
        "{\n  \"title\": \"t\",\n  \"steps\": [1 2]\n}\n",
    );
    let json = json.to_str().unwrap();
    let o = tapsim(&["check", json]);
    assert_eq!(
        stderr(&o),
        format!(
            "error: JSON syntax error: expected `,` or `]`\n --> {json}:3:15\n  |\n3 |   \"steps\": [1 2]\n  |               ^\n"
        )
    );
    assert_eq!(stderr(&tapsim(&["run", json])), stderr(&o));
    // Past its syntax, a JSON file's problems have their place and snippet too.
    let json = file(
        "place.json",
        "{\n  \"steps\": [\n    {\"do\": \"advance_clock\", \"by\": \"15x\"}\n  ]\n}\n",
    );
    let json = json.to_str().unwrap();
    assert_eq!(
        stderr(&tapsim(&["check", json])),
        format!(
            "error: `15x` is not a duration: write it like `15m`, `2h`, `1h30m`, `90s` or `3d`\n --> {json}:3:35\n  |\n3 |     {{\"do\": \"advance_clock\", \"by\": \"15x\"}}\n  |                                   ^^^^^ step 1.by\n"
        )
    );

    // Colour only when asked: `always` styles the snippet, `never` (or not a terminal)
    // writes no escape at all.
    let plain = stderr(&tapsim(&["check", toml, "--color", "never"]));
    assert_eq!(plain, expected);
    let styled = stderr(&tapsim(&["check", toml, "--color", "always"]));
    assert!(styled.contains('\u{1b}'), "{styled}");
    assert_ne!(styled, plain);

    // A built-in lab's problems would show the lab's own text: the library renders the
    // same way for any caller.
    let source = "setup_only = true\n[[users]]\nupn = 'ada@contoso.com'\nrole = []\n";
    let err = tapsim_lab::Scenario::from_toml(source).unwrap_err();
    assert_eq!(
        err.with_origin("x.toml").render(Some(source), false),
        "error: unknown field `role`\n --> x.toml:4:1\n  |\n4 | role = []\n  | ^^^^ users[0]\n  |\n  = help: did you mean `roles`?\n"
    );
}
