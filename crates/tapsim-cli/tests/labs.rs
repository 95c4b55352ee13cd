//! Tests: `tapsim labs NAME` writes one scenario file that runs on its own (issue 13).

#![allow(missing_docs)]

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn tapsim(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tapsim"))
        .args(args)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.unwrap_or("").as_bytes()).unwrap();
    drop(input);
    child.wait_with_output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8(b.to_vec()).unwrap()
}

#[test]
fn labs_name_writes_one_file_that_checks_and_runs_on_its_own() {
    for lab in tapsim_lab::builtin_labs() {
        for (i, part) in lab.scenarios.iter().enumerate() {
            let name = part
                .file
                .trim_start_matches("docs/labs/")
                .trim_end_matches(".toml");
            // The lab's id writes its first part; every part's name writes that part.
            let mut names = vec![name];
            if i == 0 {
                assert_eq!(name, lab.id);
                names.push(lab.id);
            }
            for n in names {
                let o = tapsim(&["labs", n], None);
                assert_eq!(o.status.code(), Some(0), "{n}: {}", text(&o.stderr));
                let out = text(&o.stdout);
                assert_eq!(out, part.source, "{n}");
                let check = tapsim(&["check", "-"], Some(&out));
                assert_eq!(check.status.code(), Some(0), "{n}: {}", text(&check.stderr));
                assert!(text(&check.stdout).starts_with("ok: <stdin>: "));
            }
        }
    }
    // It runs, too.
    let out = text(&tapsim(&["labs", "account-recovery-delete-first"], None).stdout);
    let run = tapsim(&["run", "-", "--hash-cost", "minimum", "-q"], Some(&out));
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
    // A part of several says so on stderr, naming the others.
    let o = tapsim(&["labs", "account-recovery"], None);
    assert_eq!(
        text(&o.stderr),
        "note: this is part 1 of 3 of the lab `account-recovery`; the others: `tapsim labs account-recovery-delete-first`, `tapsim labs account-recovery-preview2021`\n"
    );
    assert!(tapsim(&["labs", "lockout"], None).stderr.is_empty());
    // JSON: one line, the part and the lab's parts.
    let o = tapsim(
        &[
            "labs",
            "passwordless-onboarding-docs2025",
            "--format",
            "json",
        ],
        None,
    );
    let v: serde_json::Value = serde_json::from_str(text(&o.stdout).trim()).unwrap();
    assert_eq!(v["id"], "passwordless-onboarding");
    assert_eq!(v["part"], "passwordless-onboarding-docs2025");
    assert_eq!(
        v["parts"],
        serde_json::json!([
            "passwordless-onboarding",
            "passwordless-onboarding-docs2025"
        ])
    );
    assert!(tapsim_lab::Scenario::from_toml(v["source"].as_str().unwrap()).is_ok());
    // Unknown names are unusable input.
    assert_eq!(tapsim(&["labs", "nope"], None).status.code(), Some(2));
}

#[test]
fn labs_without_a_name_still_lists_them_with_their_parts() {
    let o = tapsim(&["labs"], None);
    assert_eq!(o.status.code(), Some(0));
    let out = text(&o.stdout);
    for lab in tapsim_lab::builtin_labs() {
        assert!(out.contains(lab.id), "{}", lab.id);
    }
    assert!(out.contains(
        "parts: account-recovery, account-recovery-delete-first, account-recovery-preview2021"
    ));
    assert!(out.contains("docs/labs/lockout.toml"));
}
