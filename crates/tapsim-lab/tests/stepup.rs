//! Tests: the `step_up` step (spec R18), in one tenant and for a guest who proves at
//! home (R11), and what the checker says about it.

#![allow(missing_docs)]

use tapsim::{DenialReason, ErrorCode};
mod common;

use common::*;
use tapsim_lab::*;

/// Ada, a pass of the kind given (`true`: one-time), a sign-in with it in session `s`,
/// eleven minutes, then `steps`.
fn one_tenant(one_time: bool, steps: &str) -> String {
    format!(
        r#"
[tenant]
seed = 3
start = 2026-01-05T09:00:00Z
[[users]]
upn = "admin@contoso.com"
roles = ["Authentication Policy Administrator", "Authentication Administrator"]
[[users]]
upn = "ada@contoso.com"
password = "ada-password"
[policy]
actor = "admin@contoso.com"
state = "enabled"
[[steps]]
do = "create_pass"
actor = "admin@contoso.com"
user = "ada@contoso.com"
is_usable_once = {one_time}
name = "tap"
[[steps]]
do = "sign_in"
pass = "tap"
session = "s"
[[steps]]
do = "advance_clock"
by = "11m"
{steps}"#
    )
}

const REGISTER: &str = r#"
[[steps]]
do = "register_method"
session = "s"
kind = "fido2SecurityKey"
name = "key"
"#;

#[test]
fn r18_a_step_up_with_a_multi_use_pass_restores_mfa_freshness_in_a_lab() {
    let src = one_tenant(
        false,
        &format!(
            r#"{REGISTER}device = "early"
expect = {{ error = "accessDenied", message = "within the last 10 minutes" }}
[[steps]]
do = "step_up"
session = "s"
pass = "tap"
expect = {{ mfa = true, strength = ["Multifactor authentication"], sign_in_log = {{ method = "Temporary Access Pass", requirement = "multiFactorAuthentication" }} }}
{REGISTER}device = "key"
"#
        ),
    );
    let report = run_toml(&src);
    assert_green(&report);
    let step = &report.steps[4];
    assert_eq!(step.action, "step_up");
    assert_eq!(
        step.description,
        "in session `s`, ada@contoso.com proves again with pass `tap`"
    );
    assert!(
        matches!(step.outcome, Outcome::Allowed { mfa: true, ref session } if session.as_deref() == Some("s")),
        "{:?}",
        step.outcome
    );
    assert!(
        step.details
            .iter()
            .any(|d| d == "session `s`: multifactor, stepped up, last multifactor proof at 2026-01-05T09:11:00Z"),
        "{:?}",
        step.details
    );
    // The step-up is one more sign-in record, and the key registered after it.
    assert_eq!(report.tenant.sign_in_log().len(), 2);
    assert!(report.steps[5].passed());
}

#[test]
fn r18_a_spent_one_time_pass_cannot_step_up_and_the_failure_counts() {
    let src = one_tenant(
        true,
        r#"
[[steps]]
do = "step_up"
session = "s"
pass = "tap"
expect = { denied = "passOneTimeUsed", message = "User Credential Policy" }
"#,
    );
    let report = run_toml(&src);
    assert_green(&report);
    let log = report.tenant.sign_in_log();
    assert_eq!(log.len(), 2, "the refused step-up is logged");
    assert!(!log[1].succeeded());
    assert!(matches!(
        report.steps[3].outcome,
        Outcome::Denied {
            reason: DenialReason::PassOneTimeUsed,
            ..
        }
    ));
}

#[test]
fn r18_a_password_alone_or_an_ended_session_is_an_error_not_a_denial() {
    let src = one_tenant(
        false,
        r#"
[[steps]]
do = "step_up"
session = "s"
password = "ada-password"
expect = { error = "badRequest", message = "a password alone is no step-up" }
[[steps]]
do = "sign_out"
session = "s"
[[steps]]
do = "step_up"
session = "s"
pass = "tap"
expect = { error = "accessDenied" }
"#,
    );
    let report = run_toml(&src);
    assert_green(&report);
    assert!(matches!(
        report.steps[3].outcome,
        Outcome::Error {
            code: ErrorCode::BadRequest,
            ..
        }
    ));
    // Neither refusal is a sign-in attempt: only the first sign-in is logged.
    assert_eq!(report.tenant.sign_in_log().len(), 1);
}

#[test]
fn r18_r11_a_guest_steps_up_at_home_and_counts_here_only_with_trust() {
    let src = |trust: &str| {
        format!(
            r#"
[[tenants]]
name = "contoso"
seed = 1
trust_mfa_from = [{trust}]
[[tenants]]
name = "fabrikam"
seed = 2
[[users]]
upn = "fiona@fabrikam.com"
tenant = "fabrikam"
roles = ["Authentication Policy Administrator", "Authentication Administrator"]
[[users]]
upn = "bob@fabrikam.com"
tenant = "fabrikam"
[[guests]]
tenant = "contoso"
home = "bob@fabrikam.com"
[policy]
actor = "fiona@fabrikam.com"
state = "enabled"
[[steps]]
do = "create_pass"
actor = "fiona@fabrikam.com"
user = "bob@fabrikam.com"
is_usable_once = false
name = "home-pass"
[[steps]]
do = "sign_in"
tenant = "contoso"
user = "bob@fabrikam.com"
pass = "home-pass"
session = "guest"
[[steps]]
do = "advance_clock"
by = "11m"
[[steps]]
do = "step_up"
session = "guest"
pass = "home-pass"
expect = "any"
"#
        )
    };
    let trusted = run_toml(&src("\"fabrikam\""));
    assert_green(&trusted);
    assert!(
        matches!(trusted.steps[3].outcome, Outcome::Allowed { mfa: true, .. }),
        "{:?}",
        trusted.steps[3].outcome
    );
    let untrusted = run_toml(&src(""));
    assert_green(&untrusted);
    assert!(
        matches!(
            untrusted.steps[3].outcome,
            Outcome::Allowed { mfa: false, .. }
        ),
        "{:?}",
        untrusted.steps[3].outcome
    );
    // Each side logs the step-up: the home tenant its check, the resource its record.
    for report in [&trusted, &untrusted] {
        let (contoso, fabrikam) = (&report.tenant, &report.other_tenants[0]);
        assert_eq!(contoso.sign_in_log().len(), 2);
        assert_eq!(fabrikam.sign_in_log().len(), 2);
        assert_eq!(contoso.sign_in_log()[1].home_tenant_id, fabrikam.id());
    }
}

#[test]
fn a_step_up_names_an_open_session_and_cannot_expect_ok() {
    let cases = [
        (
            "[[steps]]\ndo = \"step_up\"\npass_value = \"x\"\n",
            "missing field `session`",
        ),
        (
            "[[steps]]\ndo = \"step_up\"\nsession = \"s\"\n",
            "say how the user signs in",
        ),
        (
            "[[steps]]\ndo = \"step_up\"\nsession = \"nope\"\npass = \"tap\"\n",
            "no session named `nope` was opened before this step",
        ),
        (
            "[[steps]]\ndo = \"step_up\"\nsession = \"s\"\npass = \"tap\"\nexpect = \"ok\"\n",
            "a sign-in is allowed or denied",
        ),
    ];
    for (steps, message) in cases {
        let err = Scenario::from_toml(&one_tenant(false, steps)).unwrap_err();
        assert_eq!(err.diagnostics.len(), 1, "{steps}: {:#?}", err.diagnostics);
        assert!(
            err.diagnostics[0].message.contains(message),
            "{steps}: {}",
            err.diagnostics[0].message
        );
    }
}

#[test]
fn r18_a_password_alone_step_up_cannot_expect_allowed_or_denied() {
    let step = |expect: &str| {
        one_tenant(
            false,
            &format!(
                "[[steps]]\ndo = \"step_up\"\nsession = \"s\"\npassword = \"ada-password\"\n{expect}"
            ),
        )
    };
    let help = "expect `{ error = \"badRequest\" }`";
    let cases = [
        (
            "expect = \"allowed\"\n",
            "step 4.expect",
            "a password alone is no step-up (R18): this `step_up` fails with `badRequest`, so it cannot be `allowed`",
        ),
        (
            "expect = { denied = \"invalidCredential\" }\n",
            "step 4.expect",
            "a password alone is no step-up (R18): this `step_up` fails with `badRequest`, so it cannot be `denied`",
        ),
        (
            "",
            "step 4",
            "a password alone is no step-up (R18): this `step_up` fails with `badRequest`, so it cannot be `allowed` (expected when `expect` states no result)",
        ),
        (
            "expect = { mfa = true }\n",
            "step 4.expect",
            "a password alone is no step-up (R18): this `step_up` fails with `badRequest`, so it cannot be `allowed` (expected when `expect` states no result)",
        ),
    ];
    for (expect, path, message) in cases {
        let src = step(expect);
        let err = Scenario::from_toml(&src).unwrap_err();
        assert_eq!(err.diagnostics.len(), 1, "{expect}: {:#?}", err.diagnostics);
        let d = &err.diagnostics[0];
        assert_eq!(
            (d.path.as_str(), d.message.as_str(), d.help.as_deref()),
            (path, message, Some(help)),
            "{expect}"
        );
        // At the expectation, or at the step when there is none.
        let line = if expect.is_empty() {
            src.lines()
                .enumerate()
                .filter(|(_, l)| *l == "[[steps]]")
                .last()
                .map(|(i, _)| i + 1)
        } else {
            src.lines()
                .position(|l| l == expect.trim_end())
                .map(|i| i + 1)
        };
        assert_eq!(d.location.map(|l| l.line), line, "{expect}");
    }
    // What it can expect: the error, or anything.
    for expect in [
        "expect = { error = \"badRequest\" }\n",
        "expect = \"any\"\n",
    ] {
        assert_green(&run_toml(&step(expect)));
    }
}

#[test]
fn r18_the_html_timeline_titles_a_step_up_as_a_step_up() {
    let src = one_tenant(
        false,
        "[[steps]]\ndo = \"step_up\"\nsession = \"s\"\npass = \"tap\"\n",
    );
    let page = run_toml(&src).to_html();
    // Each attempt's tooltip is its step's own description, then the result.
    assert!(
        page.contains(
            "<title>Step 4: in session `s`, ada@contoso.com proves again with pass `tap`: allowed"
        ),
        "{page}"
    );
    assert!(
        page.contains(
            "<title>Step 2: ada@contoso.com signs in with pass `tap` (session `s`): allowed"
        ),
        "{page}"
    );
    assert!(!page.contains("Step 4: ada@contoso.com signs in"), "{page}");
}
