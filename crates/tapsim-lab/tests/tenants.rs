//! Tests: several tenants in one lab (`[[tenants]]`, `[[guests]]`, spec S10, R11, R15,
//! B2, T7), their errors, and the built-in lab `guests-across-tenants`.

#![allow(missing_docs)]

use tapsim::{DenialReason, ErrorCode};
mod common;

use common::*;
use tapsim_lab::*;

/// The one problem in `src`. A file without steps is made setup-only (a first line
/// `setup_only = true`, so its lines move down by one) so that the missing timeline is
/// not a second problem.
fn one_error(src: &str) -> Diagnostic {
    let src = &if src.contains("[[steps]]") {
        src.to_owned()
    } else {
        format!("setup_only = true\n{src}")
    };
    match Scenario::from_toml(src) {
        Ok(_) => panic!("scenario should not parse:\n{src}"),
        Err(e) => {
            assert_eq!(
                e.diagnostics.len(),
                1,
                "expected one diagnostic, got {:#?}",
                e.diagnostics
            );
            e.diagnostics.into_iter().next().unwrap()
        }
    }
}

/// Two tenants: Contoso (resource, first) and Fabrikam (home), an admin in each, Bob at
/// Fabrikam and his guest account in Contoso. `{profile}` and `{trust}` are filled in.
fn two_tenants(profile: &str, trust: &str, steps: &str) -> String {
    format!(
        r#"
title = "two tenants"
[[tenants]]
name = "contoso"
seed = 1
profile = "{profile}"
trust_mfa_from = [{trust}]
[[tenants]]
name = "fabrikam"
seed = 2
profile = "{profile}"
[[users]]
upn = "pat@contoso.com"
roles = ["Authentication Policy Administrator", "Authentication Administrator"]
[[users]]
upn = "fiona@fabrikam.com"
tenant = "fabrikam"
roles = ["Authentication Policy Administrator", "Privileged Authentication Administrator"]
[[users]]
upn = "bob@fabrikam.com"
tenant = "fabrikam"
password = "bob-password"
[[guests]]
tenant = "contoso"
home = "bob@fabrikam.com"
[policy]
actor = "fiona@fabrikam.com"
state = "enabled"
{steps}"#
    )
}

const ISSUE_ONCE: &str = r#"
[[steps]]
do = "create_pass"
actor = "fiona@fabrikam.com"
user = "bob@fabrikam.com"
is_usable_once = true
name = "once"
"#;

const GUEST_SIGN_IN: &str = r#"
[[steps]]
do = "sign_in"
tenant = "contoso"
user = "bob@fabrikam.com"
pass = "once"
session = "guest"
"#;

// ---- Running ---------------------------------------------------------------------

#[test]
fn s10_a_two_tenant_lab_runs_green() {
    let src = two_tenants(
        "Current",
        "",
        &format!("{ISSUE_ONCE}{GUEST_SIGN_IN}expect = {{ mfa = false, strength = [] }}\n"),
    );
    let report = run_toml(&src);
    assert_green(&report);
    assert_eq!(report.tenant_names, ["contoso", "fabrikam"]);
    assert_eq!(report.other_tenants.len(), 1);
    assert_eq!(report.settings.name.as_deref(), Some("contoso"));
    assert_eq!(report.settings.other_tenants.len(), 1);
    assert_eq!(report.settings.other_tenants[0].domain, "fabrikam.com");
    assert_ne!(
        report.settings.tenant_id,
        report.settings.other_tenants[0].tenant_id
    );
    // Who lives where.
    let (contoso, fabrikam) = (&report.tenant, &report.other_tenants[0]);
    assert!(contoso.user_by_upn("pat@contoso.com").is_some());
    assert!(contoso.user_by_upn("bob@fabrikam.com").is_none());
    assert!(fabrikam.user_by_upn("bob@fabrikam.com").is_some());
    let guest = contoso
        .user_by_upn("bob_fabrikam.com#EXT#@contoso.com")
        .expect("the guest, named after the home account");
    assert_eq!(guest.user_type(), tapsim::UserType::ExternalGuest);
    assert_eq!(
        guest.home_account().map(|h| h.tenant),
        Some(fabrikam.id()),
        "linked to the home tenant"
    );
    let setup = report.setup.join("\n");
    assert!(setup.contains("tenant fabrikam: fabrikam.com"), "{setup}");
    assert!(
        setup.contains("user bob@fabrikam.com \"bob\" in fabrikam"),
        "{setup}"
    );
    assert!(setup.contains("home account bob@fabrikam.com"), "{setup}");
}

#[test]
fn r11_the_home_tenant_consumes_the_pass_and_both_tenants_log() {
    let src = two_tenants(
        "Current",
        "",
        &format!(
            "{ISSUE_ONCE}{GUEST_SIGN_IN}{}",
            r#"
[[steps]]
do = "sign_in"
tenant = "contoso"
user = "bob@fabrikam.com"
pass = "once"
expect = { denied = "passOneTimeUsed" }
[[steps]]
do = "sign_in"
user = "bob@fabrikam.com"
pass = "once"
expect = { denied = "passOneTimeUsed" }
[[steps]]
do = "print_log"
tenant = "fabrikam"
log = "sign_in"
expect = { count = 3 }
[[steps]]
do = "print_log"
log = "sign_in"
expect = { count = 2 }
"#
        ),
    );
    let report = run_toml(&src);
    assert_green(&report);
    let (contoso, fabrikam) = (&report.tenant, &report.other_tenants[0]);
    // The resource tenant's records name the home tenant; the home tenant's, itself.
    assert_eq!(contoso.sign_in_log().len(), 2);
    for r in contoso.sign_in_log() {
        assert_eq!(r.home_tenant_id, fabrikam.id());
        assert_eq!(r.resource_tenant_id, contoso.id());
    }
    assert_eq!(fabrikam.sign_in_log().len(), 3);
    assert!(
        fabrikam
            .sign_in_log()
            .iter()
            .all(|r| r.home_tenant_id == fabrikam.id())
    );
    // The sign-in step says so, tenant by tenant.
    let details = report.steps[1].details.join("\n");
    assert!(
        details.contains("sign-in log of fabrikam: success with Temporary Access Pass"),
        "{details}"
    );
    assert!(
        details.contains(
            "sign-in log of contoso: success with Temporary Access Pass, singleFactorAuthentication, homeTenantId fabrikam"
        ),
        "{details}"
    );
    assert!(
        report.steps[1]
            .description
            .ends_with("(session `guest`) in contoso")
    );
    // A print_log in another tenant shows that tenant's log.
    assert_eq!(report.steps[4].printed_log, Some((LogKind::SignIn, 3)));
    assert_eq!(report.printed_tenant(&report.steps[4]).id(), fabrikam.id());
    assert_eq!(report.printed_tenant(&report.steps[5]).id(), contoso.id());
}

#[test]
fn s10_mfa_counts_in_the_resource_tenant_only_with_trust() {
    let steps = format!("{ISSUE_ONCE}{GUEST_SIGN_IN}expect = {{ mfa = true }}\n");
    let trusted = run_toml(&two_tenants("Current", "\"fabrikam\"", &steps));
    assert_green(&trusted);
    assert!(trusted.setup[0].contains("trusts MFA from fabrikam"));
    let untrusted = run_toml(&two_tenants("Current", "", &steps));
    assert!(!untrusted.passed());
    assert_eq!(
        untrusted.steps[1].outcome,
        Outcome::Allowed {
            mfa: false,
            session: Some("guest".to_owned())
        }
    );
    // A step turns the trust on (and off) at run time (R14).
    let src = two_tenants(
        "Current",
        "",
        &format!(
            "{}{ISSUE_ONCE}{}",
            r#"
[[steps]]
do = "set_mfa_trust"
tenant = "contoso"
from = "fabrikam"
"#,
            r#"
[[steps]]
do = "sign_in"
tenant = "contoso"
user = "bob@fabrikam.com"
pass = "once"
expect = { mfa = true, sign_in_log = { requirement = "multiFactorAuthentication" } }
[[steps]]
do = "set_mfa_trust"
from = "fabrikam"
trusted = false
[[steps]]
do = "create_pass"
actor = "fiona@fabrikam.com"
user = "bob@fabrikam.com"
is_usable_once = false
name = "multi"
[[steps]]
do = "sign_in"
tenant = "contoso"
user = "bob@fabrikam.com"
pass = "multi"
expect = { mfa = false, sign_in_log = { requirement = "singleFactorAuthentication" } }
"#
        ),
    );
    let report = run_toml(&src);
    assert_green(&report);
    assert_eq!(
        report.steps[0].description,
        "contoso now trusts MFA done in fabrikam"
    );
    assert_eq!(
        report.steps[3].description,
        "contoso stops trusting MFA done in fabrikam"
    );
}

#[test]
fn t7_no_pass_for_an_external_guest_in_the_resource_tenant() {
    let src = two_tenants(
        "Current",
        "",
        r#"
[[steps]]
do = "update_policy"
actor = "pat@contoso.com"
state = "enabled"
[[steps]]
do = "create_pass"
actor = "pat@contoso.com"
user = "bob_fabrikam.com#EXT#@contoso.com"
expect = { error = "badRequest", message = "Temporary Access Pass cannot be added to an external guest user.", audit = false }
"#,
    );
    let report = run_toml(&src);
    assert_green(&report);
    match &report.steps[1].outcome {
        Outcome::Error { code, status, .. } => {
            assert_eq!(*code, ErrorCode::BadRequest);
            assert_eq!(*status, 400);
        }
        other => panic!("{other:?}"),
    }
    assert!(
        report
            .tenant
            .pass_record(
                report
                    .tenant
                    .user_by_upn("bob_fabrikam.com#EXT#@contoso.com")
                    .unwrap()
                    .id()
            )
            .is_none()
    );
}

const REVOKE_STORY: &str = r#"
[[steps]]
do = "create_pass"
actor = "fiona@fabrikam.com"
user = "bob@fabrikam.com"
is_usable_once = false
name = "multi"
[[steps]]
do = "sign_in"
tenant = "contoso"
user = "bob@fabrikam.com"
pass = "multi"
session = "guest"
[[steps]]
do = "delete_pass"
actor = "fiona@fabrikam.com"
pass = "multi"
[[steps]]
do = "check_session"
session = "guest"
expect = "any"
"#;

#[test]
fn r15_revoking_the_home_sessions_ends_the_guest_session_and_the_resource_cannot() {
    let src = two_tenants(
        "Current",
        "",
        &format!(
            "{REVOKE_STORY}{}",
            r#"
[[steps]]
do = "revoke_sessions"
actor = "pat@contoso.com"
user = "bob_fabrikam.com#EXT#@contoso.com"
expect = { audit = { activity = "Invalidate all refresh tokens for user" } }
[[steps]]
do = "check_session"
session = "guest"
expect = { session = "active" }
[[steps]]
do = "revoke_sessions"
actor = "fiona@fabrikam.com"
user = "bob@fabrikam.com"
[[steps]]
do = "check_session"
session = "guest"
expect = { session = "ended" }
"#
        ),
    );
    let report = run_toml(&src);
    assert_green(&report);
    // B2 (Current): deleting the home pass ended nothing.
    assert_eq!(report.steps[3].details, ["active"]);
    assert_eq!(report.steps[4].details[0], "0 sessions ended");
    assert_eq!(report.steps[6].details[0], "1 session ended");
    // The guest's session is in the resource tenant; the world sees its home end.
    let ended = report
        .timeline
        .sessions
        .iter()
        .filter(|s| s.ended.is_some())
        .count();
    assert_eq!(ended, 2, "{:#?}", report.timeline.sessions);
    let lanes: Vec<&str> = report
        .timeline
        .sessions
        .iter()
        .map(|s| s.user.as_str())
        .collect();
    assert_eq!(
        lanes,
        [
            "contoso: bob_fabrikam.com#EXT#@contoso.com",
            "fabrikam: bob@fabrikam.com"
        ],
        "the guest's session and the home session it rests on"
    );
}

#[test]
fn b2_deleting_the_home_pass_ends_the_guest_session_only_under_the_older_rules() {
    let report = run_toml(&two_tenants("Docs2025", "", REVOKE_STORY));
    assert_green(&report);
    match report.steps[3].outcome {
        Outcome::Ok => {}
        ref other => panic!("{other:?}"),
    }
    // Under Docs2025 the pass's deletion ends the home session, and the guest's with it.
    assert!(
        report.steps[3].details[0].contains("ended"),
        "{:?}",
        report.steps[3].details
    );
    let current = run_toml(&two_tenants("Current", "", REVOKE_STORY));
    assert_eq!(current.steps[3].details, ["active"]);
}

#[test]
fn a_guest_typing_their_home_name_without_a_tenant_signs_in_at_home() {
    let src = two_tenants(
        "Current",
        "",
        &format!(
            "{ISSUE_ONCE}{}",
            r#"
[[steps]]
do = "sign_in"
pass = "once"
expect = { mfa = true }
"#
        ),
    );
    let report = run_toml(&src);
    assert_green(&report);
    assert!(report.tenant.sign_in_log().is_empty());
    assert_eq!(report.other_tenants[0].sign_in_log().len(), 1);
}

#[test]
fn r15_a_disabled_guest_is_refused_once_home_proves_the_pass_and_nothing_is_spent() {
    let src = two_tenants(
        "Current",
        "",
        &format!(
            "{ISSUE_ONCE}{}",
            r#"
[[steps]]
do = "disable_account"
user = "bob_fabrikam.com#EXT#@contoso.com"
[[steps]]
do = "sign_in"
tenant = "contoso"
user = "bob@fabrikam.com"
pass = "once"
expect = { denied = "accountDisabled" }
[[steps]]
do = "sign_in"
user = "bob@fabrikam.com"
pass = "once"
expect = { mfa = true }
"#
        ),
    );
    let report = run_toml(&src);
    assert_green(&report);
    assert!(matches!(
        report.steps[2].outcome,
        Outcome::Denied {
            reason: DenialReason::AccountDisabled,
            ..
        }
    ));
    // Both tenants log the refused attempt (R11): the home tenant proved the pass, so it
    // logs a failure too (R15); then Bob's own sign-in at home.
    let (contoso, fabrikam) = (&report.tenant, &report.other_tenants[0]);
    let status = |r: &tapsim::SignInRecord| r.status.additional_details.clone();
    let home: Vec<_> = fabrikam.sign_in_log().iter().map(status).collect();
    assert_eq!(home, [Some("accountDisabled".to_owned()), None]);
    let here: Vec<_> = contoso.sign_in_log().iter().map(status).collect();
    assert_eq!(here, [Some("accountDisabled".to_owned())]);
}

#[test]
fn several_tenants_are_deterministic_and_an_overriding_seed_keeps_them_apart() {
    let src = two_tenants(
        "Current",
        "",
        &format!("{ISSUE_ONCE}{GUEST_SIGN_IN}expect = \"allowed\"\n"),
    );
    let a = run_toml(&src);
    let b = run_toml(&src);
    assert_eq!(a.to_json_lines(false), b.to_json_lines(false));
    assert_eq!(a.to_html(), b.to_html());
    let seeded = Scenario::from_toml(&src)
        .unwrap()
        .run(&fast().seed(7))
        .unwrap();
    assert_green(&seeded);
    assert_eq!(seeded.settings.seed, 7);
    assert_eq!(seeded.settings.other_tenants[0].seed, 8);
}

#[test]
fn a_scenario_of_several_tenants_reports_each_tenant() {
    let src = two_tenants(
        "Current",
        "",
        &format!("{ISSUE_ONCE}{GUEST_SIGN_IN}expect = \"allowed\"\n"),
    );
    let report = run_toml(&src);
    let text = report.to_text(TextOptions::new());
    assert!(
        text.contains("tenants contoso (seed 1), fabrikam (seed 2) · profile Current"),
        "{text}"
    );
    for heading in [
        "Sign-in log of contoso (1 records",
        "Audit log of contoso (0 records",
        "Sign-in log of fabrikam (1 records",
        "Audit log of fabrikam (2 records",
    ] {
        assert!(text.contains(heading), "`{heading}` in\n{text}");
    }
    assert!(!text.contains("\nSign-in log ("));
    let json = report.to_json_lines(false);
    let records: Vec<serde_json::Value> = json
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|v: &serde_json::Value| v["type"] == "signIn" || v["type"] == "audit")
        .collect();
    assert_eq!(records.len(), 4);
    let tenants: Vec<&str> = records
        .iter()
        .map(|v| v["tenant"].as_str().unwrap())
        .collect();
    assert_eq!(tenants, ["contoso", "fabrikam", "fabrikam", "fabrikam"]);
    let scenario: serde_json::Value = serde_json::from_str(json.lines().next().unwrap()).unwrap();
    assert_eq!(scenario["settings"]["name"], "contoso");
    assert_eq!(
        scenario["settings"]["otherTenants"][0]["domain"],
        "fabrikam.com"
    );
    let html = report.to_html();
    assert!(html.contains("tenants contoso (seed 1), fabrikam (seed 2)"));
    assert!(html.contains("<h3>Sign-in log of contoso (1 records)</h3>"));
    assert!(html.contains("<h3>Audit log of fabrikam (2 records)</h3>"));
    // Timeline lanes say whose tenant: Bob at home, and his guest account in Contoso.
    assert!(html.contains("fabrikam: bob@fabrikam.com"));
    assert!(html.contains("contoso: bob_fabrikam.com#EXT#@contoso.com"));
    let lanes: Vec<&str> = report
        .timeline
        .attempts
        .iter()
        .map(|a| a.user.as_str())
        .collect();
    // In step order; within a step, the first tenant's first.
    assert_eq!(
        lanes,
        [
            "contoso: bob_fabrikam.com#EXT#@contoso.com",
            "fabrikam: bob@fabrikam.com"
        ]
    );
}

#[test]
fn a_single_tenant_report_names_no_tenant() {
    let report = run_toml(
        r#"
[[users]]
upn = "ada@contoso.com"
password = "pw"
[[steps]]
do = "sign_in"
user = "ada@contoso.com"
password = "pw"
"#,
    );
    assert!(report.tenant_names.is_empty());
    assert!(report.other_tenants.is_empty());
    let json = report.to_json_lines(false);
    assert!(!json.contains("\"tenant\""), "{json}");
    assert!(!json.contains("otherTenants"), "{json}");
    let text = report.to_text(TextOptions::new());
    assert!(text.contains("\nSign-in log (1 records"), "{text}");
    assert_eq!(report.timeline.attempts[0].user, "ada@contoso.com");
    // One `[[tenants]]` entry is a single tenant too.
    let one = run_toml(
        r#"
[[tenants]]
name = "contoso"
[[users]]
upn = "ada@contoso.com"
password = "pw"
[[steps]]
do = "sign_in"
user = "ada@contoso.com"
password = "pw"
"#,
    );
    assert_green(&one);
    assert!(one.tenant_names.is_empty());
    assert_eq!(one.settings.domain, "contoso.com");
}

#[test]
fn several_tenants_read_the_same_from_json() {
    let json = r#"{
        "tenants": [
            {"name": "contoso", "seed": 1, "trust_mfa_from": ["fabrikam"]},
            {"name": "fabrikam", "seed": 2}
        ],
        "users": [
            {"upn": "fiona@fabrikam.com", "tenant": "fabrikam",
             "roles": ["Authentication Policy Administrator", "Authentication Administrator"]},
            {"upn": "bob@fabrikam.com", "tenant": "fabrikam"}
        ],
        "guests": [{"home": "bob@fabrikam.com"}],
        "policy": {"actor": "fiona@fabrikam.com", "state": "enabled"},
        "steps": [
            {"do": "create_pass", "actor": "fiona@fabrikam.com", "user": "bob@fabrikam.com", "name": "p"},
            {"do": "sign_in", "tenant": "contoso", "pass": "p", "expect": {"mfa": true}}
        ]
    }"#;
    let scenario = Scenario::from_json(json).unwrap();
    assert_eq!(scenario.guests[0].upn, "bob_fabrikam.com#EXT#@contoso.com");
    assert_eq!(scenario.tenant.trust_mfa_from, [1]);
    let report = scenario.run(&fast()).unwrap();
    assert_green(&report);
    let err =
        Scenario::from_json(&json.replace("\"tenant\": \"contoso\"", "\"tenant\": \"contosso\""))
            .unwrap_err();
    assert_eq!(err.diagnostics[0].message, "unknown tenant `contosso`");
    assert_eq!(err.diagnostics[0].path, "step 2.tenant");
}

// ---- The built-in lab --------------------------------------------------------------

#[test]
fn s10_the_guests_lab_runs_and_teaches_what_it_says() {
    let lab = builtin_lab("guests-across-tenants").expect("the guests lab is built in");
    assert_eq!(lab.scenarios.len(), 1);
    assert_eq!(
        lab.scenarios[0].file,
        "docs/labs/guests-across-tenants.toml"
    );
    let scenario = lab.scenarios[0].scenario().unwrap();
    assert!(scenario.is_multi_tenant());
    let report = scenario.run(&fast()).unwrap();
    assert_green(&report);
    let outcome = |action: &str, n: usize| {
        report
            .steps
            .iter()
            .filter(|s| s.action == action)
            .nth(n)
            .map(|s| s.outcome.clone())
            .unwrap_or_else(|| panic!("no {action} #{n}"))
    };
    // T7: the resource tenant cannot issue the guest a pass.
    assert!(matches!(
        outcome("create_pass", 0),
        Outcome::Error {
            code: ErrorCode::BadRequest,
            ..
        }
    ));
    // S10: single factor without trust, MFA with it; the one-time pass is spent at home.
    assert!(matches!(
        outcome("sign_in", 0),
        Outcome::Allowed { mfa: false, .. }
    ));
    assert!(matches!(
        outcome("sign_in", 1),
        Outcome::Denied {
            reason: DenialReason::PassOneTimeUsed,
            ..
        }
    ));
    assert!(matches!(
        outcome("sign_in", 2),
        Outcome::Allowed { mfa: true, .. }
    ));
    // R11: both tenants logged every attempt.
    let (contoso, fabrikam) = (&report.tenant, &report.other_tenants[0]);
    assert_eq!(contoso.sign_in_log().len(), 3);
    assert_eq!(fabrikam.sign_in_log().len(), 3);
    assert!(
        contoso
            .sign_in_log()
            .iter()
            .all(|r| r.home_tenant_id == fabrikam.id())
    );
    // R15, B2: deleting the home pass left the session; home revocation ended it.
    let checks: Vec<&StepReport> = report
        .steps
        .iter()
        .filter(|s| s.action == "check_session")
        .collect();
    assert_eq!(checks.len(), 3);
    assert_eq!(checks[0].details, ["active"]);
    assert_eq!(checks[1].details, ["active"]);
    assert!(
        checks[2].details[0].contains("(revoked)"),
        "{:?}",
        checks[2].details
    );
    // Narrated like the other labs: every step that teaches says why.
    let said = report.steps.iter().filter(|s| s.say.is_some()).count();
    assert!(
        said * 4 >= report.steps.len() * 3,
        "{said} of {}",
        report.steps.len()
    );
    // Its HTML report has both tenants' logs.
    let html = report.to_html();
    assert!(html.contains("Sign-in log of contoso (3 records)"));
    assert!(html.contains("Sign-in log of fabrikam (3 records)"));
}

// ---- Errors ------------------------------------------------------------------------

const TWO: &str = r#"
[[tenants]]
name = "contoso"
[[tenants]]
name = "fabrikam"
"#;

#[test]
fn an_unknown_tenant_is_a_located_error_with_a_suggestion() {
    let src = format!("{TWO}[[users]]\nupn = \"bob@fabrikam.com\"\ntenant = \"fabrikan\"\n");
    let d = one_error(&src);
    assert_eq!(d.kind, DiagnosticKind::UnknownName);
    assert_eq!(d.message, "unknown tenant `fabrikan`");
    assert_eq!(d.help.as_deref(), Some("did you mean `fabrikam`?"));
    assert_eq!(d.path, "users[0].tenant");
    // Line 8 of `src`, 9 with `setup_only` before it.
    assert_eq!(d.location.map(|l| l.line), Some(9));
    // Far from every name: the list.
    let d = one_error(&format!(
        "{TWO}[[users]]\nupn = \"bob@fabrikam.com\"\ntenant = \"zzzzzz\"\n"
    ));
    assert_eq!(
        d.help.as_deref(),
        Some("the tenants are `contoso`, `fabrikam`")
    );
    // A misspelt key gets a suggestion, in users and steps.
    let d = one_error(&format!(
        "{TWO}[[users]]\nupn = \"bob@fabrikam.com\"\ntenat = \"fabrikam\"\n"
    ));
    assert_eq!(d.message, "unknown field `tenat`");
    assert_eq!(d.help.as_deref(), Some("did you mean `tenant`?"));
    let d = one_error(&format!(
        "{TWO}[[steps]]\ndo = \"print_log\"\nlog = \"audit\"\ntenat = \"fabrikam\"\n"
    ));
    assert_eq!(d.help.as_deref(), Some("did you mean `tenant`?"));
    // A single-tenant file has no tenant to name.
    let d = one_error("[[users]]\nupn = \"ada@contoso.com\"\ntenant = \"contoso\"\n");
    assert_eq!(d.message, "unknown tenant `contoso`");
    assert!(d.help.unwrap().contains("`[[tenants]]`"));
}

#[test]
fn more_tenants_than_the_limit_are_refused_naming_the_bound() {
    let mut src = String::new();
    for i in 0..=MAX_TENANTS {
        src.push_str(&format!("[[tenants]]\nname = \"t{i}\"\n"));
    }
    let err = Scenario::from_toml(&src).unwrap_err();
    assert_eq!(err.diagnostics[0].kind, DiagnosticKind::LimitExceeded);
    assert_eq!(
        err.diagnostics[0].message,
        format!("the scenario has 17 tenants, over the limit of {MAX_TENANTS}")
    );
    assert_eq!(MAX_TENANTS, 16);
    // At the limit: fine.
    let mut src = String::from("setup_only = true\n");
    for i in 0..MAX_TENANTS {
        src.push_str(&format!("[[tenants]]\nname = \"t{i}\"\n"));
    }
    assert_eq!(Scenario::from_toml(&src).unwrap().tenants().count(), 16);
}

#[test]
fn tenant_declarations_that_cannot_work_are_errors() {
    let cases: [(&str, &str); 8] = [
        (
            "[tenant]\nseed = 1\n[[tenants]]\nname = \"a\"\n",
            "declare one tenant with `[tenant]` or several with `[[tenants]]`, not both",
        ),
        (
            "[[tenants]]\nname = \"a\"\n[[tenants]]\nname = \"a\"\ndomain = \"b.com\"\nseed = 5\n",
            "tenant `a` is declared twice",
        ),
        (
            "[[tenants]]\nname = \"a\"\nseed = 3\n[[tenants]]\nname = \"b\"\nseed = 3\n",
            "tenants `a` and `b` have the same seed 3: a tenant's id comes from its seed",
        ),
        (
            "[[tenants]]\nname = \"a\"\ndomain = \"x.com\"\n[[tenants]]\nname = \"b\"\ndomain = \"X.com\"\n",
            "tenants `a` and `b` have the same domain `X.com`",
        ),
        (
            "[[tenants]]\nname = \"a\"\ntrust_mfa_from = [\"a\"]\n[[tenants]]\nname = \"b\"\n",
            "tenant `a` cannot trust itself: its own MFA counts already",
        ),
        (
            "[[tenants]]\nname = \"a\"\n[[tenants]]\nname = \"b\"\nstart = \"2026-02-01T00:00:00Z\"\n",
            "all tenants share one clock: set `start` on the first tenant only",
        ),
        (
            "tenants = []\n",
            "`tenants` is empty: declare at least one tenant",
        ),
        (
            "[[tenants]]\nname = \"a\"\n[[users]]\nupn = \"b@a.com\"\n[[guests]]\nhome = \"b@a.com\"\n",
            "a guest's home is another tenant: `[[guests]]` needs at least two `[[tenants]]`",
        ),
    ];
    for (src, message) in cases {
        let d = one_error(src);
        assert_eq!(d.message, message, "{src}");
    }
    // An unknown key in a tenant is reported like any other.
    let d = one_error("[[tenants]]\nname = \"a\"\nsed = 1\n");
    assert_eq!(d.message, "unknown field `sed`");
    assert_eq!(d.help.as_deref(), Some("did you mean `seed`?"));
    assert_eq!(d.path, "tenants[0]");
    // A missing name.
    let d = one_error("[[tenants]]\nseed = 1\n");
    assert_eq!(d.message, "missing field `name`");
}

#[test]
fn guests_that_cannot_be_linked_are_errors() {
    let base = format!("{TWO}[[users]]\nupn = \"bob@fabrikam.com\"\ntenant = \"fabrikam\"\n");
    let d = one_error(&format!(
        "{base}[[guests]]\ntenant = \"fabrikam\"\nhome = \"bob@fabrikam.com\"\n"
    ));
    assert_eq!(
        d.message,
        "`bob@fabrikam.com` is a user of `fabrikam` already: a guest's home is another tenant"
    );
    let d = one_error(&format!("{base}[[guests]]\nhome = \"bob@fabrikam.co\"\n"));
    assert_eq!(d.message, "unknown user `bob@fabrikam.co`");
    assert_eq!(d.help.as_deref(), Some("did you mean `bob@fabrikam.com`?"));
    let d = one_error(&format!(
        "{base}[[guests]]\nhome = \"bob@fabrikam.com\"\n[[guests]]\nhome = \"bob@fabrikam.com\"\nupn = \"bob2#EXT#@contoso.com\"\n"
    ));
    assert_eq!(
        d.message,
        "`bob@fabrikam.com` is a guest of `contoso` already"
    );
    let d = one_error(&format!(
        "{base}[[users]]\nupn = \"bob_fabrikam.com#EXT#@contoso.com\"\n[[guests]]\nhome = \"bob@fabrikam.com\"\n"
    ));
    assert!(d.message.contains("is declared twice"), "{}", d.message);
}

#[test]
fn steps_that_cross_tenants_are_errors() {
    let base = format!(
        "{TWO}[[users]]\nupn = \"pat@contoso.com\"\nroles = [\"Global Administrator\"]\n[[users]]\nupn = \"bob@fabrikam.com\"\ntenant = \"fabrikam\"\n[[groups]]\nname = \"Staff\"\n"
    );
    let cases: [(&str, &str); 6] = [
        (
            "[[steps]]\ndo = \"create_pass\"\nactor = \"pat@contoso.com\"\nuser = \"bob@fabrikam.com\"\n",
            "pat@contoso.com is an admin of `contoso`, but bob@fabrikam.com is a user of `fabrikam`: an admin acts in their own tenant",
        ),
        (
            "[[steps]]\ndo = \"revoke_sessions\"\nactor = \"pat@contoso.com\"\nuser = \"bob@fabrikam.com\"\n",
            "pat@contoso.com is an admin of `contoso`, but bob@fabrikam.com is a user of `fabrikam`: an admin acts in their own tenant",
        ),
        (
            "[[steps]]\ndo = \"sign_in\"\ntenant = \"contoso\"\nuser = \"bob@fabrikam.com\"\npassword = \"x\"\n",
            "bob@fabrikam.com is neither a user of `contoso` nor the home account of one of its guests",
        ),
        (
            "[[steps]]\ndo = \"add_to_group\"\ngroup = \"Staff\"\nuser = \"bob@fabrikam.com\"\n",
            "group \"Staff\" is in `contoso`, but bob@fabrikam.com is in `fabrikam`",
        ),
        (
            "[[steps]]\ndo = \"set_mfa_trust\"\nfrom = \"contoso\"\n",
            "tenant `contoso` cannot trust itself: name the guests' home tenant in `from`",
        ),
        (
            "[[steps]]\ndo = \"list_passes\"\ntenant = \"fabrikam\"\nactor = \"pat@contoso.com\"\nuser = \"pat@contoso.com\"\n",
            "a `list_passes` step acts in the tenant of the users it names: only `sign_in`, `print_log` and `set_mfa_trust` name a tenant",
        ),
    ];
    for (steps, message) in cases {
        let src = format!("{base}{steps}");
        let d = one_error(&src);
        assert_eq!(d.message, message, "{steps}");
        assert_eq!(d.kind, DiagnosticKind::Inconsistent);
        // At the key that does not fit, else at the step.
        let step_line = src.lines().position(|l| l == "[[steps]]").unwrap() + 1;
        let at = if steps.contains("list_passes") || steps.contains("do = \"sign_in\"") {
            step_line + 2
        } else {
            step_line
        };
        assert_eq!(d.location.map(|l| l.line), Some(at), "{steps}");
    }
    // A pass is read or deleted in the tenant of its user.
    let d = one_error(&format!(
        "{base}[[steps]]\ndo = \"create_pass\"\nactor = \"bob@fabrikam.com\"\nuser = \"bob@fabrikam.com\"\nname = \"bobs\"\nexpect = \"any\"\n[[steps]]\ndo = \"delete_pass\"\nactor = \"pat@contoso.com\"\npass = \"bobs\"\n"
    ));
    assert_eq!(
        d.message,
        "pat@contoso.com is an admin of `contoso`, but bob@fabrikam.com is a user of `fabrikam`: an admin acts in their own tenant"
    );
    assert_eq!(d.path, "step 2");
    // An admin acting on the home account of one of their guests is told the guest's name.
    let d = one_error(&format!(
        "{base}[[guests]]\nhome = \"bob@fabrikam.com\"\n[[steps]]\ndo = \"revoke_sessions\"\nactor = \"pat@contoso.com\"\nuser = \"bob@fabrikam.com\"\n"
    ));
    assert_eq!(
        d.help.as_deref(),
        Some("in `contoso`, bob@fabrikam.com is the guest `bob_fabrikam.com#EXT#@contoso.com`")
    );
    // Group members live in the group's tenant, in the setup too.
    let d = one_error(&format!(
        "{base}[[groups]]\nname = \"Fabrikam staff\"\nusers = [\"bob@fabrikam.com\"]\n"
    ));
    assert_eq!(
        d.message,
        "group \"Fabrikam staff\" is in `contoso`, but `bob@fabrikam.com` is a user of `fabrikam`"
    );
    assert_eq!(d.path, "groups[1]");
    // `set_mfa_trust` needs `from`, naming a tenant.
    let d = one_error(&format!("{base}[[steps]]\ndo = \"set_mfa_trust\"\n"));
    assert_eq!(d.message, "missing field `from`");
    let d = one_error(&format!(
        "{base}[[steps]]\ndo = \"set_mfa_trust\"\nfrom = \"fabrikan\"\n"
    ));
    assert_eq!(d.message, "unknown tenant `fabrikan`");
    assert_eq!(d.path, "step 1.from");
}

#[test]
fn revoke_sessions_works_in_a_single_tenant_too() {
    let report = run_toml(
        r#"
[[users]]
upn = "root@contoso.com"
roles = ["Global Administrator"]
[[users]]
upn = "ada@contoso.com"
password = "pw"
[[steps]]
do = "sign_in"
user = "ada@contoso.com"
password = "pw"
session = "s"
[[steps]]
do = "revoke_sessions"
actor = "root@contoso.com"
user = "ada@contoso.com"
expect = { audit = { activity = "Invalidate all refresh tokens for user", target = "ada@contoso.com" } }
[[steps]]
do = "check_session"
session = "s"
expect = { session = "ended" }
"#,
    );
    assert_green(&report);
    assert_eq!(report.steps[1].details[0], "1 session ended");
}

/// Two tenants, a global admin in the first and Bob at Fabrikam, with a method of his own
/// registered at home in step 3 (device `key`).
fn bobs_key_at_home(actor: &str) -> String {
    format!(
        r#"{TWO}[[users]]
upn = "carl@contoso.com"
roles = ["Global Administrator"]
[[users]]
upn = "fiona@fabrikam.com"
tenant = "fabrikam"
roles = ["Authentication Policy Administrator", "Authentication Administrator"]
[[users]]
upn = "bob@fabrikam.com"
tenant = "fabrikam"
password = "bob-pw"
[[guests]]
home = "bob@fabrikam.com"
[policy]
actor = "fiona@fabrikam.com"
state = "enabled"
[[steps]]
do = "create_pass"
actor = "fiona@fabrikam.com"
user = "bob@fabrikam.com"
name = "p"
is_usable_once = false
[[steps]]
do = "sign_in"
pass = "p"
session = "s"
[[steps]]
do = "register_method"
session = "s"
kind = "fido2SecurityKey"
device = "key"
[[steps]]
do = "remove_method"
actor = "{actor}"
device = "key"
"#
    )
}

#[test]
fn removing_a_method_of_another_tenants_user_is_a_located_error() {
    let src = bobs_key_at_home("carl@contoso.com");
    let d = one_error(&src);
    assert_eq!(d.kind, DiagnosticKind::Inconsistent);
    assert_eq!(
        d.message,
        "carl@contoso.com is an admin of `contoso`, but device `key` is a method of bob@fabrikam.com, a user of `fabrikam`: an admin acts in their own tenant"
    );
    assert_eq!(d.path, "step 4");
    let step_line = src
        .lines()
        .enumerate()
        .filter(|(_, l)| *l == "[[steps]]")
        .nth(3)
        .map(|(i, _)| i + 1);
    assert_eq!(d.location.map(|l| l.line), step_line);
    assert_eq!(d.help, None);
    // The home tenant's own admin may, and the run does it.
    let report = run_toml(&bobs_key_at_home("fiona@fabrikam.com"));
    assert_green(&report);
}

#[test]
fn a_guests_method_is_removed_in_the_resource_tenant_where_it_was_registered() {
    // Bob signs in to Contoso as its guest and registers a key there: the key is the
    // guest's, so his home account cannot remove it, and Contoso's admin can.
    let guest_key = |actor: &str| {
        bobs_key_at_home(actor)
            .replace(
                "do = \"sign_in\"\npass = \"p\"",
                "do = \"sign_in\"\ntenant = \"contoso\"\nuser = \"bob@fabrikam.com\"\npass = \"p\"",
            )
            .replace(
                "[[tenants]]\nname = \"contoso\"\n",
                "[[tenants]]\nname = \"contoso\"\ntrust_mfa_from = [\"fabrikam\"]\n",
            )
    };
    let d = one_error(&guest_key("bob@fabrikam.com"));
    assert_eq!(
        d.message,
        "bob@fabrikam.com is an admin of `fabrikam`, but device `key` is a method of bob_fabrikam.com#EXT#@contoso.com, a user of `contoso`: an admin acts in their own tenant"
    );
    assert_eq!(
        d.help.as_deref(),
        Some("in `contoso`, bob@fabrikam.com is the guest `bob_fabrikam.com#EXT#@contoso.com`")
    );
    let report = run_toml(&guest_key("carl@contoso.com"));
    assert_green(&report);
}

#[test]
fn s10_a_guests_home_that_is_itself_a_guest_is_a_located_error() {
    let src = r#"[[tenants]]
name = "contoso"
[[tenants]]
name = "fabrikam"
[[tenants]]
name = "northwind"
[[users]]
upn = "bob@fabrikam.com"
tenant = "fabrikam"
password = "pw"
[[guests]]
tenant = "contoso"
home = "bob@fabrikam.com"
[[guests]]
tenant = "northwind"
home = "bob_fabrikam.com#EXT#@contoso.com"
[[steps]]
do = "sign_in"
tenant = "northwind"
user = "bob_fabrikam.com#EXT#@contoso.com"
password = "pw"
"#;
    let all = match Scenario::from_toml(src) {
        Ok(_) => panic!("a guest of a guest should not parse"),
        Err(e) => e.diagnostics,
    };
    let d = &all[0];
    assert_eq!(d.kind, DiagnosticKind::Inconsistent);
    assert_eq!(
        d.message,
        "`bob_fabrikam.com#EXT#@contoso.com` is itself an external guest (of `contoso`): a guest's home account cannot be a guest"
    );
    assert_eq!(
        d.help.as_deref(),
        Some("name the guest's own home account, `bob@fabrikam.com`")
    );
    assert_eq!(d.path, "guests[1].home");
    let home_line = src
        .lines()
        .position(|l| l == "home = \"bob_fabrikam.com#EXT#@contoso.com\"")
        .unwrap()
        + 1;
    assert_eq!(d.location.map(|l| l.line), Some(home_line));
    // A `[[users]]` external guest is no home either.
    let d = one_error(&format!(
        "{TWO}[[users]]\nupn = \"eve_x.com#EXT#@fabrikam.com\"\ntenant = \"fabrikam\"\ntype = \"externalGuest\"\n[[guests]]\nhome = \"eve_x.com#EXT#@fabrikam.com\"\n"
    ));
    assert_eq!(
        d.message,
        "`eve_x.com#EXT#@fabrikam.com` is itself an external guest (of `fabrikam`): a guest's home account cannot be a guest"
    );
    assert_eq!(
        d.help.as_deref(),
        Some("name a member account of the home tenant")
    );
}

#[test]
fn a_user_on_another_tenants_domain_without_a_tenant_is_a_located_error() {
    let src = format!(
        "{TWO}[[users]]\nupn = \"zed@fabrikam.com\"\n[[users]]\nupn = \"ann@contoso.com\"\n"
    );
    let d = one_error(&src);
    assert_eq!(d.kind, DiagnosticKind::Inconsistent);
    assert_eq!(
        d.message,
        "`zed@fabrikam.com` is on the domain of `fabrikam`, but with no `tenant` it would be a user of `contoso`"
    );
    assert_eq!(d.help.as_deref(), Some("add `tenant = \"fabrikam\"`"));
    assert_eq!(d.path, "users[0].upn");
    let upn_line = src
        .lines()
        .position(|l| l == "upn = \"zed@fabrikam.com\"")
        .unwrap()
        + 1;
    // `one_error` puts `setup_only = true` above the file.
    assert_eq!(d.location.map(|l| l.line), Some(upn_line + 1));
    // Case does not matter; a declared domain does; saying the tenant is enough.
    let d = one_error(
        "[[tenants]]\nname = \"contoso\"\n[[tenants]]\nname = \"fabrikam\"\ndomain = \"Fabrikam.example\"\n[[users]]\nupn = \"zed@FABRIKAM.example\"\n",
    );
    assert_eq!(d.help.as_deref(), Some("add `tenant = \"fabrikam\"`"));
    for ok in [
        format!("{TWO}[[users]]\nupn = \"zed@fabrikam.com\"\ntenant = \"fabrikam\"\n"),
        format!("{TWO}[[users]]\nupn = \"zed@elsewhere.com\"\n"),
        "[[users]]\nupn = \"zed@fabrikam.com\"\n".to_owned(),
    ] {
        let ok = format!("setup_only = true\n{ok}");
        assert!(Scenario::from_toml(&ok).is_ok(), "{ok}");
    }
}

/// Bob at Fabrikam, his guest account in Contoso (which trusts Fabrikam's MFA), and a
/// multi-use pass of his, then `steps`.
fn bobs_guest(steps: &str) -> String {
    format!(
        r#"
[[tenants]]
name = "contoso"
trust_mfa_from = ["fabrikam"]
[[tenants]]
name = "fabrikam"
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
{steps}"#
    )
}

const GUEST_SESSION: &str = r#"
[[steps]]
do = "sign_in"
tenant = "contoso"
user = "bob@fabrikam.com"
pass = "home-pass"
session = "guest"
"#;

/// The lines of the `[[steps]]` headers of `src`, from 1.
fn step_lines(src: &str) -> Vec<usize> {
    src.lines()
        .enumerate()
        .filter(|(_, l)| *l == "[[steps]]")
        .map(|(i, _)| i + 1)
        .collect()
}

#[test]
fn r11_a_device_a_guest_registered_in_the_resource_tenant_cannot_prove_at_home() {
    // The guest registers a key in Contoso, then steps up and signs in to Contoso with
    // it: both go home to Fabrikam, which does not know the key.
    let src = bobs_guest(&format!(
        r#"{GUEST_SESSION}
[[steps]]
do = "register_method"
session = "guest"
kind = "fido2SecurityKey"
device = "key"
[[steps]]
do = "step_up"
session = "guest"
device = "key"
[[steps]]
do = "sign_in"
tenant = "contoso"
user = "bob@fabrikam.com"
device = "key"
session = "guest2"
"#
    ));
    let err = Scenario::from_toml(&src).unwrap_err();
    let lines = step_lines(&src);
    let got: Vec<_> = err
        .diagnostics
        .iter()
        .map(|d| {
            (
                d.kind,
                d.path.as_str(),
                d.location.map(|l| l.line),
                d.message.as_str(),
                d.help.as_deref(),
            )
        })
        .collect();
    let help = Some("use a device registered in a session bob@fabrikam.com opens in `fabrikam`");
    assert_eq!(
        got,
        [
            (
                DiagnosticKind::Inconsistent,
                "step 4",
                Some(lines[3]),
                "bob@fabrikam.com steps up in session `guest` as a guest of `contoso` and proves at home in `fabrikam` (R11), but device `key` is a method of bob_fabrikam.com#EXT#@contoso.com in `contoso`: `fabrikam` does not know it",
                help,
            ),
            (
                DiagnosticKind::Inconsistent,
                "step 5",
                Some(lines[4]),
                "bob@fabrikam.com signs in to `contoso` as a guest and proves at home in `fabrikam` (R11), but device `key` is a method of bob_fabrikam.com#EXT#@contoso.com in `contoso`: `fabrikam` does not know it",
                help,
            ),
        ]
    );
}

#[test]
fn a_device_registered_in_another_tenant_is_refused_at_home_too() {
    // The guest's key, used by the home account at home.
    let src = bobs_guest(&format!(
        r#"{GUEST_SESSION}
[[steps]]
do = "register_method"
session = "guest"
kind = "fido2SecurityKey"
device = "key"
[[steps]]
do = "sign_in"
user = "bob@fabrikam.com"
pass = "home-pass"
session = "home"
[[steps]]
do = "step_up"
session = "home"
device = "key"
[[steps]]
do = "sign_in"
user = "bob@fabrikam.com"
device = "key"
"#
    ));
    let err = Scenario::from_toml(&src).unwrap_err();
    let got: Vec<_> = err
        .diagnostics
        .iter()
        .map(|d| (d.path.as_str(), d.message.as_str(), d.help.as_deref()))
        .collect();
    let help = Some("use a device registered in a session bob@fabrikam.com opens in `fabrikam`");
    assert_eq!(
        got,
        [
            (
                "step 5",
                "bob@fabrikam.com steps up in session `home` in `fabrikam`, but device `key` is a method of bob_fabrikam.com#EXT#@contoso.com in `contoso`: `fabrikam` does not know it",
                help,
            ),
            (
                "step 6",
                "bob@fabrikam.com signs in to `fabrikam`, but device `key` is a method of bob_fabrikam.com#EXT#@contoso.com in `contoso`: `fabrikam` does not know it",
                help,
            ),
        ]
    );
}

#[test]
fn r11_a_device_registered_at_home_proves_a_guests_sign_in_and_step_up() {
    let src = bobs_guest(&format!(
        r#"
[[steps]]
do = "sign_in"
user = "bob@fabrikam.com"
pass = "home-pass"
session = "home"
[[steps]]
do = "register_method"
session = "home"
kind = "fido2SecurityKey"
device = "key"
{GUEST_SESSION}
[[steps]]
do = "step_up"
session = "guest"
device = "key"
expect = {{ mfa = true }}
[[steps]]
do = "sign_in"
tenant = "contoso"
user = "bob@fabrikam.com"
device = "key"
expect = {{ mfa = true }}
"#
    ));
    let report = run_toml(&src);
    assert_green(&report);
}

#[test]
fn a_guest_entry_that_does_not_resolve_is_reported_once() {
    // A misspelt resource tenant, or a misspelt home: one error, not one more for each
    // sign-in the entry would have linked.
    let steps = format!(
        "{GUEST_SESSION}[[steps]]\ndo = \"sign_in\"\ntenant = \"contoso\"\nuser = \"bob@fabrikam.com\"\npass = \"home-pass\"\n"
    );
    let misspelt_tenant = bobs_guest(&steps).replace(
        "[[guests]]\ntenant = \"contoso\"",
        "[[guests]]\ntenant = \"contosso\"",
    );
    let d = one_error(&misspelt_tenant);
    assert_eq!(d.message, "unknown tenant `contosso`");
    assert_eq!(d.path, "guests[0].tenant");
    assert_eq!(d.help.as_deref(), Some("did you mean `contoso`?"));
    let misspelt_home = bobs_guest(&steps).replace(
        "[[guests]]\ntenant = \"contoso\"\nhome = \"bob@fabrikam.com\"",
        "[[guests]]\ntenant = \"contoso\"\nhome = \"bob@fabrikam.co\"",
    );
    let d = one_error(&misspelt_home);
    assert_eq!(d.message, "unknown user `bob@fabrikam.co`");
    assert_eq!(d.path, "guests[0].home");
}

#[test]
fn a_sign_in_to_a_tenant_that_does_not_know_the_user_points_at_its_tenant() {
    let src = bobs_guest(GUEST_SESSION).replace(
        "[[guests]]\ntenant = \"contoso\"\nhome = \"bob@fabrikam.com\"\n",
        "",
    );
    let d = one_error(&src);
    assert_eq!(
        d.message,
        "bob@fabrikam.com is neither a user of `contoso` nor the home account of one of its guests"
    );
    assert_eq!(
        d.help.as_deref(),
        Some("link the account with `[[guests]]`")
    );
    assert_eq!(d.path, "step 2");
    // At the step's `tenant = "contoso"`, column 10 (the value).
    let line = step_lines(&src)[1] + 2;
    assert_eq!(src.lines().nth(line - 1), Some("tenant = \"contoso\""));
    assert_eq!(d.location.map(|l| (l.line, l.column)), Some((line, 10)));
}
