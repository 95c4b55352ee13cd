//! Tests: the 2026 rules in scenario files (issue #12): B2's M5 amended, a passkey in
//! Microsoft Authenticator (`kind = "authenticatorPasskey"`), in each profile.

#![allow(missing_docs)]

use tapsim::{HashCost, Profile};
use tapsim_lab::*;

const SCENARIO: &str = r#"
title = "a passkey in Authenticator"
[tenant]
seed = 1
[[users]]
upn = "pat@contoso.com"
roles = ["Authentication Policy Administrator"]
[[users]]
upn = "hana@contoso.com"
roles = ["Authentication Administrator"]
[[users]]
upn = "ada@contoso.com"
password = "ada-password"
[policy]
actor = "pat@contoso.com"
state = "enabled"

[[steps]]
do = "create_pass"
actor = "hana@contoso.com"
user = "ada@contoso.com"
is_usable_once = true
name = "p"

[[steps]]
do = "sign_in"
pass = "p"
session = "s"

[[steps]]
do = "register_method"
session = "s"
kind = "authenticatorPasskey"
name = "Ada's iPhone"
device = "phone"

[[steps]]
do = "sign_in"
device = "phone"
expect = { mfa = true, strength = ["Multifactor authentication", "Passwordless MFA", "Phishing resistant MFA"], sign_in_log = { method = "Passkey (Microsoft Authenticator)", requirement = "multiFactorAuthentication" } }
"#;

fn run(profile: Profile) -> Report {
    Scenario::from_toml(SCENARIO)
        .unwrap_or_else(|e| panic!("scenario should parse:\n{e}"))
        .run(
            &RunOptions::new()
                .hash_cost(HashCost::Minimum)
                .profile(profile),
        )
        .unwrap()
}

#[test]
fn b2_m5_a_lab_registers_a_passkey_in_authenticator_under_current() {
    let report = run(Profile::Current);
    assert!(
        report.passed(),
        "{}",
        report.to_text(TextOptions::new().quiet(true))
    );
}

#[test]
fn b2_m5_a_lab_under_docs_2025_shows_the_registration_refused() {
    for profile in [Profile::Docs2025, Profile::Preview2021] {
        let report = run(profile);
        assert!(!report.passed(), "{profile:?}: the registration is refused");
        let text = report.to_text(TextOptions::new().quiet(true));
        assert!(text.contains("badRequest"), "{text}");
        assert!(text.contains("authenticator_passkey"), "{text}");
    }
    // The scenario's own expectation of the refusal passes.
    let refused = SCENARIO.replace(
        "device = \"phone\"\n\n",
        "device = \"phone\"\nexpect = { error = \"badRequest\", message = \"authenticator_passkey\" }\n\n",
    );
    let cut = refused.rfind("[[steps]]").unwrap();
    let report = Scenario::from_toml(&refused[..cut])
        .unwrap()
        .run(
            &RunOptions::new()
                .hash_cost(HashCost::Minimum)
                .profile(Profile::Docs2025),
        )
        .unwrap();
    assert!(
        report.passed(),
        "{}",
        report.to_text(TextOptions::new().quiet(true))
    );
}
