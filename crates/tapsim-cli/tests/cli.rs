//! Tests: the `tapsim` command, run as a user would (exit codes, output, files).

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
    let dir = std::env::temp_dir().join(format!("tapsim-lab-tests-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn no_arguments_runs_the_account_recovery_lab_and_exits_0() {
    // As the README says: `cargo run --release` runs this, at production cost.
    let o = tapsim(&[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.starts_with("━━ Account recovery with a Temporary Access Pass ━━"));
    assert!(out.contains("hash cost production"));
    assert!(out.contains("All 3 scenarios hold."));
    // Brief: at most half the 481 lines it was, none wider than 100 columns.
    let lines = out.lines().count();
    assert!(lines <= 240, "{lines} lines");
    for l in out.lines() {
        assert!(
            l.chars().count() <= 100,
            "{} columns: {l}",
            l.chars().count()
        );
    }
    // Each log once per scenario, and each decision with its reason.
    assert_eq!(out.matches("Sign-in log (").count(), 3);
    assert_eq!(out.matches("Audit log (").count(), 3);
    assert!(out.contains("denied, passNotYetValid: The Temporary Access Pass is not valid yet."));
    assert!(out.contains("✗ why: validity window"));
    assert!(
        !out.contains("✓ lockout"),
        "passed checks only with --verbose"
    );
    assert!(
        !out.contains('\x1b'),
        "no colour when stdout is not a terminal"
    );
    assert!(stderr(&o).is_empty());
}

#[test]
fn a_false_expectation_exits_1_and_says_which_step_and_why() {
    let f = file(
        "false.toml",
        r#"title = "wrong on purpose"
[[users]]
upn = "pat@contoso.com"
roles = ["Global Administrator"]
[[users]]
upn = "ada@contoso.com"
[policy]
actor = "pat@contoso.com"
state = "enabled"
[[steps]]
do = "create_pass"
actor = "pat@contoso.com"
user = "ada@contoso.com"
expect = { error = "conflict" }
"#,
    );
    let o = tapsim(&["run", f.to_str().unwrap(), "--hash-cost", "minimum"]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(
        out.contains("✗ expected error `conflict`, but got ok"),
        "{out}"
    );
    assert!(out.contains("Result: 1 of 1 expectations failed, in step 1"));
    let quiet = tapsim(&["run", f.to_str().unwrap(), "--hash-cost", "minimum", "-q"]);
    assert_eq!(quiet.status.code(), Some(1));
    assert!(stdout(&quiet).contains("(line 10)"), "{}", stdout(&quiet));
    assert!(stdout(&quiet).lines().count() < 12);
}

#[test]
fn unusable_input_exits_2_with_a_clear_message() {
    let o = tapsim(&["run", "no/such/file.toml"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o),
        "error: cannot read `no/such/file.toml`: no such file\n"
    );
    assert!(stdout(&o).is_empty());

    let f = file(
        "typo.toml",
        "title = \"t\"\n[[users]]\nupn = \"a@contoso.com\"\nrolse = []\n",
    );
    let o = tapsim(&["check", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    // The message, where, the line with a caret under the place, and the hint.
    assert!(
        err.starts_with(&format!(
            "error: unknown field `rolse`\n --> {}:4:1\n  |\n4 | rolse = []\n  | ^^^^^ users[0]\n  |\n  = help: did you mean `roles`?\n",
            f.display()
        )),
        "{err}"
    );

    // Nothing runs when any input is unusable.
    let o = tapsim(&["run", "--lab", "lockout", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stdout(&o).is_empty());

    let o = tapsim(&["run", "--lab", "lockot"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no built-in lab `lockot`"));
    assert_eq!(tapsim(&["run"]).status.code(), Some(2));
    assert_eq!(tapsim(&["--profile", "Future"]).status.code(), Some(2));
    assert_eq!(tapsim(&["frobnicate"]).status.code(), Some(2));
}

#[test]
fn check_validates_without_running() {
    let o = tapsim(&[
        "check",
        "docs/labs/lockout.toml",
        "docs/labs/who-may-issue.toml",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("ok: docs/labs/lockout.toml: \"Lockout after failed attempts\""));
    assert_eq!(out.lines().count(), 2);
    let o = tapsim(&["check", "docs/labs/lockout.toml", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(v["ok"], true);
}

#[test]
fn labs_lists_and_shows_the_builtin_labs() {
    let o = tapsim(&["labs"]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    for lab in tapsim_lab::builtin_labs() {
        assert!(out.contains(lab.id), "{}", lab.id);
    }
    assert!(out.contains(
        "account-recovery         Account recovery with a Temporary Access Pass (default)"
    ));
    let o = tapsim(&["labs", "lockout"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("lockout = { threshold = 3, duration_seconds = 60 }"));
    assert_eq!(tapsim(&["labs", "nope"]).status.code(), Some(2));
}

#[test]
fn json_lines_seed_and_profile_options() {
    let args = [
        "run",
        "--lab",
        "one-time-vs-multi-use",
        "--hash-cost",
        "minimum",
    ];
    let o = tapsim(&[&args[..], &["--format", "json"]].concat());
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    let events: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(events.last().unwrap()["passed"], true);
    assert!(events.iter().any(|e| e["type"] == "audit"));

    let a = stdout(&tapsim(&[&args[..], &["--seed", "5"]].concat()));
    let b = stdout(&tapsim(&[&args[..], &["--seed", "5"]].concat()));
    let c = stdout(&tapsim(&[&args[..], &["--seed", "6"]].concat()));
    assert_eq!(a, b);
    assert_ne!(a, c);
    assert!(a.contains("seed 5"));

    // Several scenarios end with a summary event.
    let o = tapsim(&["--hash-cost", "minimum", "--format", "json", "-q"]);
    let last: serde_json::Value = serde_json::from_str(stdout(&o).lines().last().unwrap()).unwrap();
    assert_eq!(
        last,
        serde_json::json!({"type": "summary", "scenarios": 3, "failed": [], "passed": true})
    );

    // Unusable input in JSON mode: error events on stdout, exit 2.
    let f = file(
        "bad.json",
        "{\"setup_only\": true, \"users\": [{\"upn\": \"a@contoso.com\", \"nmae\": 1}]}",
    );
    let o = tapsim(&["check", f.to_str().unwrap(), "--format", "json"]);
    assert_eq!(o.status.code(), Some(2));
    let e: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(e["type"], "error");
    assert_eq!(e["kind"], "unknownField");
    assert_eq!(e["path"], "users[0]");
    assert_eq!(e["help"], "did you mean `name`?");
    // Located as TOML's are, at the key.
    assert_eq!(e["line"], 1);
    assert_eq!(e["column"], 57);

    // The 2021 rules break the account-recovery story's T6 step: exit 1.
    let o = tapsim(&["--profile", "preview2021", "--hash-cost", "minimum", "-q"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("[T6]"), "{}", stdout(&o));
}

/// `tapsim serve`: the base URL is the first stdout line, the summary goes to stderr,
/// and SIGTERM stops it cleanly with status 0.
#[cfg(unix)]
#[test]
fn serve_prints_its_url_first_and_stops_cleanly_on_sigterm() {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::TcpStream;
    use std::process::Stdio;

    let mut child = Command::new(env!("CARGO_BIN_EXE_tapsim"))
        .args([
            "serve",
            "--port",
            "0",
            "--hash-cost",
            "minimum",
            "--clock",
            "2026-01-05T09:00:00Z",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut url = String::new();
    stdout.read_line(&mut url).unwrap();
    let url = url.trim();
    let addr = url
        .strip_prefix("http://")
        .unwrap_or_else(|| panic!("{url}"));
    assert!(addr.starts_with("127.0.0.1:"), "loopback by default: {url}");
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .write_all(b"GET /_tapsim/clock HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(
        answer.contains(r#"{"now":"2026-01-05T09:00:00Z"}"#),
        "{answer}"
    );
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(
        err.contains("admin@contoso.com (Global Administrator)"),
        "{err}"
    );
    assert!(err.contains("/_tapsim/tokens"), "{err}");
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    assert!(rest.is_empty(), "only the URL on stdout: {rest}");
}

#[test]
fn serve_refuses_an_as_user_the_starting_tenant_does_not_have() {
    let o = tapsim(&["serve", "--as", "ghost@contoso.com"]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(
            "--as ghost@contoso.com: the starting tenant has no such user (its users: admin@contoso.com)"
        ),
        "{err}"
    );
    assert!(
        o.stdout.is_empty(),
        "no URL is printed: the server never starts"
    );
}

#[test]
fn serve_refuses_a_bad_clock_and_an_unknown_lab_with_status_2() {
    let o = tapsim(&["serve", "--clock", "yesterday"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--clock"), "{}", stderr(&o));
    let o = tapsim(&["serve", "--lab", "lockot"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("lockout"), "{}", stderr(&o));
}

#[test]
fn html_format_writes_one_self_contained_page_for_every_scenario() {
    let o = tapsim(&[
        "run",
        "--lab",
        "account-recovery",
        "--format",
        "html",
        "--hash-cost",
        "minimum",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let page = stdout(&o);
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert_eq!(page.matches("<!DOCTYPE html>").count(), 1);
    assert_eq!(page.matches("<svg class=\"timeline\"").count(), 3);
    assert!(!page.contains("<script"));
    assert!(stderr(&o).is_empty());
    // A failing scenario still writes its page, and exits 1.
    let f = file(
        "html-false.toml",
        "[[users]]\nupn = \"a@contoso.com\"\n[[steps]]\ndo = \"advance_clock\"\nby = \"1m\"\nexpect = \"error\"\n",
    );
    let o = tapsim(&[
        "run",
        f.to_str().unwrap(),
        "--format",
        "html",
        "--hash-cost",
        "minimum",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("1 of 1 expectations failed, in step 1"));
}

#[test]
fn verbose_shows_every_check_and_columns_sets_the_width() {
    let args = ["run", "--lab", "lockout", "--hash-cost", "minimum"];
    let brief = stdout(&tapsim(&args));
    let verbose = stdout(&tapsim(&[&args[..], &["--verbose"]].concat()));
    assert!(!brief.contains("✓ user:"));
    assert!(verbose.contains("✓ user:"));
    assert!(verbose.lines().count() > brief.lines().count());
    let narrow = Command::new(env!("CARGO_BIN_EXE_tapsim"))
        .args(args)
        .env("COLUMNS", "60")
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .output()
        .unwrap();
    assert_eq!(narrow.status.code(), Some(0));
    for l in stdout(&narrow).lines() {
        assert!(l.chars().count() <= 60, "{l}");
    }
    assert_eq!(tapsim(&["-q", "-v"]).status.code(), Some(2));
}

#[test]
fn terminal_escapes_from_a_lab_are_never_written_raw() {
    let f = file(
        "escapes.toml",
        "title = \"red \\u001b[31m and bell \\u0007\"\n[[users]]\nupn = \"a@contoso.com\"\n[[steps]]\ndo = \"advance_clock\"\nby = \"1m\"\nsay = \"clear \\u001b[2J\"\n",
    );
    let o = tapsim(&["run", f.to_str().unwrap(), "--hash-cost", "minimum"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(!out.contains('\x1b') && !out.contains('\x07'), "{out:?}");
    assert!(out.contains("red \\u{1b}[31m and bell \\u{7}"), "{out}");
    assert!(out.contains("clear \\u{1b}[2J"), "{out}");
}

/// A full disk on stdout is reported, with exit 2; a full stderr never panics the
/// command (issue 11: no panics on any input).
#[cfg(target_os = "linux")]
#[test]
fn write_failures_exit_2_and_never_panic() {
    use std::process::Stdio;
    let full = || {
        std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap()
    };
    let o = Command::new(env!("CARGO_BIN_EXE_tapsim"))
        .args(["labs"])
        .stdout(Stdio::from(full()))
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("cannot write the output"),
        "{}",
        stderr(&o)
    );
    // A usage error whose message cannot be written: still exit 2, no panic (101).
    let o = Command::new(env!("CARGO_BIN_EXE_tapsim"))
        .args(["run", "no-such-file.toml"])
        .stdout(Stdio::null())
        .stderr(Stdio::from(full()))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    // Both full.
    let o = Command::new(env!("CARGO_BIN_EXE_tapsim"))
        .args(["labs"])
        .stdout(Stdio::from(full()))
        .stderr(Stdio::from(full()))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
}

/// `check` builds the setup too: what `run` would refuse, `check` refuses (issue 13).
#[test]
fn check_refuses_what_run_would_refuse_in_the_setup() {
    let f = file(
        "bad-setup.toml",
        "setup_only = true\n[[users]]\nupn = \"ada@contoso.com\"\n[policy]\nactor = \"ada@contoso.com\"\nstate = \"enabled\"\n",
    );
    let f = f.to_str().unwrap();
    let run = tapsim(&["run", f, "--hash-cost", "minimum"]);
    let check = tapsim(&["check", f]);
    assert_eq!(run.status.code(), Some(2), "{}", stderr(&run));
    assert_eq!(check.status.code(), Some(2), "{}", stdout(&check));
    assert!(
        stderr(&check).contains("accessDenied") || stderr(&check).contains("access denied"),
        "{}",
        stderr(&check)
    );
}

/// `-` reads the scenario from standard input, TOML or JSON (issue 13).
#[test]
fn a_dash_reads_the_scenario_from_stdin() {
    use std::io::Write;
    use std::process::Stdio;
    for (text, what) in [
        (
            "[[users]]\nupn = \"ada@contoso.com\"\n[[steps]]\ndo = \"advance_clock\"\nby = \"1h\"\n",
            "toml",
        ),
        (
            "{\"users\": [{\"upn\": \"ada@contoso.com\"}], \"steps\": [{\"do\": \"advance_clock\", \"by\": \"1h\"}]}",
            "json",
        ),
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_tapsim"))
            .args(["check", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
        let o = child.wait_with_output().unwrap();
        assert_eq!(o.status.code(), Some(0), "{what}: {}", stderr(&o));
        assert!(stdout(&o).contains("ok: <stdin>"), "{what}: {}", stdout(&o));
    }
}

/// Colour follows the ecosystem's conventions (issue 13): `--color` first, then
/// `NO_COLOR`, then `CLICOLOR_FORCE`, then whether stdout is a terminal (here: not).
#[test]
fn color_follows_the_flag_no_color_and_clicolor_force() {
    let run = |args: &[&str], env: &[(&str, &str)]| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_tapsim"));
        c.current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
            .env_remove("NO_COLOR")
            .env_remove("CLICOLOR_FORCE")
            .args(["run", "--lab", "lockout", "--hash-cost", "minimum"])
            .args(args);
        for (k, v) in env {
            c.env(k, v);
        }
        let o = c.output().unwrap();
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        stdout(&o).contains('\x1b')
    };
    assert!(!run(&[], &[]), "not a terminal: no colour");
    assert!(run(&["--color", "always"], &[]));
    assert!(
        run(&["--color", "always"], &[("NO_COLOR", "1")]),
        "the flag wins"
    );
    assert!(
        !run(&["--color", "never"], &[("CLICOLOR_FORCE", "1")]),
        "the flag wins"
    );
    assert!(run(&[], &[("CLICOLOR_FORCE", "1")]));
    assert!(!run(&[], &[("CLICOLOR_FORCE", "0")]));
    assert!(
        !run(&[], &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]),
        "NO_COLOR first"
    );
    assert!(
        run(&[], &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "")]),
        "an empty NO_COLOR is unset"
    );
}
