//! Faithful to Microsoft's 2026 documentation (issue #12): B2's M5 amended (a passkey in
//! Microsoft Authenticator, `authenticator_passkey`) in every profile, and R18's guest
//! step-up through the home tenant (R11).

use chrono::Duration;
use serde_json::Value;
use tapsim::*;

use crate::common::*;

/// Just under ten minutes.
fn nine_59() -> Duration {
    Duration::minutes(10) - Duration::microseconds(1)
}

/// A session of Ada's from a one-time pass (MFA, as R9 needs).
fn one_time_pass_session(fx: &mut Fx) -> SessionId {
    let once = fx.issue(
        fx.ada,
        PassOptions::new()
            .usable_once(true)
            .lifetime_in_minutes(120),
    );
    fx.sign_in_pass(ADA, &once.secret).session().unwrap().id()
}

// ---- B2: M5 amended, a passkey in Microsoft Authenticator -------------------------------

#[test]
fn b2_m5_current_registers_a_passkey_in_authenticator_which_signs_in_alone_as_fido2() {
    let mut fx = Fx::enabled();
    assert!(fx.tenant.config().switches.authenticator_passkey);
    let s = one_time_pass_session(&mut fx);
    let phone = fx
        .tenant
        .register_method(s, MethodKind::AuthenticatorPasskey, "Ada's iPhone")
        .unwrap();
    assert_eq!(phone.kind(), MethodKind::AuthenticatorPasskey);
    // One `User registered security info` record naming the kind as Entra does.
    let rec = fx.tenant.audit_log().last().unwrap();
    assert_eq!(rec.activity_display_name, "User registered security info");
    let method_type = rec.target_resources[0]
        .modified_properties
        .iter()
        .find(|p| p.display_name == "MethodType")
        .unwrap();
    assert_eq!(
        method_type.new_value.as_deref(),
        Some("Passkey (Microsoft Authenticator)")
    );

    // R8: it signs in alone and satisfies MFA; S11: its mode is `fido2`, so it satisfies
    // every built-in strength, phishing-resistant included.
    let out = fx.tenant.sign_in(ADA, Credential::Device(&phone));
    let session = out.session().expect("a passkey signs in alone (R8)");
    assert!(session.satisfies_mfa());
    assert_eq!(session.authentication_method_modes(), ["fido2"]);
    assert_eq!(session.strengths(), AuthenticationStrength::ALL.to_vec());
    assert_eq!(session.methods(), [MethodKind::AuthenticatorPasskey]);
    let log = fx.tenant.sign_in_log().last().unwrap();
    assert_eq!(
        log.authentication_details[0].authentication_method,
        "Passkey (Microsoft Authenticator)"
    );
    assert_eq!(log.authentication_method_modes.as_deref(), Some("fido2"));
    assert_eq!(log.authentication_requirement, "multiFactorAuthentication");
    // A forged handle for the same method does not sign in (M3).
    let forged = Device::danger_forge(
        fx.ada,
        phone.method(),
        MethodKind::AuthenticatorPasskey,
        "guess",
    );
    assert!(
        !fx.tenant
            .sign_in(ADA, Credential::Device(&forged))
            .is_allowed()
    );
}

#[test]
fn b2_m5_a_passkey_in_authenticator_is_a_fido2_method_with_authenticators_aaguid_in_graph() {
    let mut fx = Fx::enabled();
    let s = one_time_pass_session(&mut fx);
    fx.tenant
        .register_method(s, MethodKind::AuthenticatorPasskey, "Ada's iPhone")
        .unwrap();
    fx.tenant
        .register_method(s, MethodKind::Fido2SecurityKey, "YubiKey")
        .unwrap();
    let listed = fx.tenant.list_methods(fx.auth_admin, fx.ada).unwrap();
    let json = serde_json::to_value(&listed).unwrap();
    let phone = &json[0];
    assert_eq!(
        phone["@odata.type"],
        "#microsoft.graph.fido2AuthenticationMethod"
    );
    assert_eq!(phone["displayName"], "Ada's iPhone");
    assert_eq!(phone["aaGuid"], "90a3ccdf-635c-4729-a248-9b709135078f");
    assert_eq!(phone["aaGuid"], AUTHENTICATOR_PASSKEY_AAGUID);
    assert_eq!(phone["model"], "Microsoft Authenticator for iOS");
    assert_eq!(phone["passkeyType"], "deviceBound");
    assert_eq!(phone["attestationLevel"], "notAttested");
    assert_eq!(phone["attestationCertificates"], serde_json::json!([]));
    assert_eq!(phone["id"], listed[0].id.to_string());
    // A security key keeps its own shape: no Authenticator AAGUID.
    let key = &json[1];
    assert_eq!(
        key["@odata.type"],
        "#microsoft.graph.fido2AuthenticationMethod"
    );
    assert!(key.get("aaGuid").is_none());
    // The kind parses by its serde name and by its sign-in-log name.
    assert_eq!(
        "authenticatorPasskey".parse::<MethodKind>(),
        Ok(MethodKind::AuthenticatorPasskey)
    );
    assert_eq!(
        "Passkey (Microsoft Authenticator)".parse::<MethodKind>(),
        Ok(MethodKind::AuthenticatorPasskey)
    );
    assert_eq!(
        serde_json::to_value(MethodKind::AuthenticatorPasskey).unwrap(),
        Value::from("authenticatorPasskey")
    );
}

#[test]
fn b2_m5_docs_2025_and_preview_2021_refuse_a_passkey_in_authenticator_as_bad_request() {
    for profile in [Profile::Docs2025, Profile::Preview2021] {
        let mut fx = Fx::enabled_with(profile.into());
        assert!(!fx.tenant.config().switches.authenticator_passkey);
        let s = one_time_pass_session(&mut fx);
        let before = fx.state_json();
        let e = fx
            .tenant
            .register_method(s, MethodKind::AuthenticatorPasskey, "phone")
            .unwrap_err();
        assert_eq!(
            e,
            Error::MethodKindSwitchedOff {
                kind: "Passkey (Microsoft Authenticator)",
                switch: "authenticator_passkey",
            },
            "{profile:?}"
        );
        assert_eq!(e.code(), ErrorCode::BadRequest);
        assert_eq!(e.http_status(), 400);
        assert!(e.to_string().contains("authenticator_passkey"), "{e}");
        assert_eq!(
            fx.state_json(),
            before,
            "a refused registration changes nothing"
        );
        // Setup cannot give one either.
        assert_eq!(
            fx.tenant
                .provision_method(fx.ada, MethodKind::AuthenticatorPasskey, "phone")
                .unwrap_err()
                .code(),
            ErrorCode::BadRequest
        );
        // The other passkeys and passwordless phone sign-in still register (M5 as written).
        for kind in [
            MethodKind::Passkey,
            MethodKind::MicrosoftAuthenticatorPasswordless,
        ] {
            assert!(fx.tenant.register_method(s, kind, "ok").is_ok(), "{kind}");
        }
    }
}

#[test]
fn b2_m5_the_kind_is_checked_in_r9s_order() {
    let mut fx = Fx::docs_2025();
    // The session first: unknown is itemNotFound, a single-factor one accessDenied.
    let e = fx
        .tenant
        .register_method(SessionId(Guid::NIL), MethodKind::AuthenticatorPasskey, "p")
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::ItemNotFound);
    let pw = fx
        .tenant
        .sign_in(ADA, Credential::Password(ADA_PASSWORD))
        .session()
        .unwrap()
        .id();
    assert_eq!(
        fx.tenant
            .register_method(pw, MethodKind::AuthenticatorPasskey, "p")
            .unwrap_err(),
        Error::AccessDenied(Denial::SessionNotMultifactor)
    );
    // Then the kind, before the ten-minute window.
    let s = one_time_pass_session(&mut fx);
    fx.advance(Duration::minutes(30));
    assert_eq!(
        fx.tenant
            .register_method(s, MethodKind::AuthenticatorPasskey, "p")
            .unwrap_err()
            .code(),
        ErrorCode::BadRequest
    );
}

#[test]
fn b2_m5_a_passkey_in_authenticator_obeys_the_ten_minutes_like_a_fido2_key() {
    // Current: MFA freshness, 9:59 in time, 10:00 too late.
    let mut fx = Fx::enabled();
    let s = one_time_pass_session(&mut fx);
    fx.advance(nine_59());
    assert!(
        fx.tenant
            .register_method(s, MethodKind::AuthenticatorPasskey, "in time")
            .is_ok()
    );
    fx.advance(Duration::microseconds(1));
    assert_eq!(
        fx.tenant
            .register_method(s, MethodKind::AuthenticatorPasskey, "late")
            .unwrap_err(),
        Error::AccessDenied(Denial::MfaNotFresh)
    );
    // The switch alone on top of Docs2025: R9's window after a one-time pass, as for
    // FIDO2 keys and passkeys.
    let mut alone = Fx::enabled_with(Switches::docs_2025().authenticator_passkey(true));
    let s = one_time_pass_session(&mut alone);
    alone.advance(nine_59());
    assert!(
        alone
            .tenant
            .register_method(s, MethodKind::AuthenticatorPasskey, "in time")
            .is_ok()
    );
    alone.advance(Duration::microseconds(1));
    assert_eq!(
        alone
            .tenant
            .register_method(s, MethodKind::AuthenticatorPasskey, "late")
            .unwrap_err(),
        Error::AccessDenied(Denial::RegistrationWindowClosed)
    );
    // A multi-use pass has no window as written.
    let multi = alone.issue(
        alone.ada,
        PassOptions::new()
            .usable_once(false)
            .lifetime_in_minutes(120),
    );
    let s = alone
        .sign_in_pass(ADA, &multi.secret)
        .session()
        .unwrap()
        .id();
    alone.advance(Duration::minutes(30));
    assert!(
        alone
            .tenant
            .register_method(s, MethodKind::AuthenticatorPasskey, "later")
            .is_ok()
    );
}

#[test]
fn b2_m5_switching_off_at_run_time_refuses_new_ones_and_keeps_those_registered() {
    let mut fx = Fx::enabled();
    let s = one_time_pass_session(&mut fx);
    let phone = fx
        .tenant
        .register_method(s, MethodKind::AuthenticatorPasskey, "phone")
        .unwrap();
    // R14: from the next operation on.
    let off = fx.tenant.config().switches.authenticator_passkey(false);
    fx.tenant.set_switches(off).unwrap();
    assert_eq!(
        fx.tenant
            .register_method(s, MethodKind::AuthenticatorPasskey, "another")
            .unwrap_err()
            .code(),
        ErrorCode::BadRequest
    );
    // [sim] The switch governs registration: a passkey already held still signs in.
    assert!(
        fx.tenant
            .sign_in(ADA, Credential::Device(&phone))
            .is_allowed()
    );
}

/// The exported strategies draw every profile and each B2 switch alone: across them and
/// whatever happened before, a passkey in Authenticator registers only with
/// `authenticator_passkey` on, and the refusal for the switch comes only with it off.
#[cfg(feature = "proptest")]
#[test]
fn b2_m5_across_drawn_tenants_the_switch_alone_decides_the_kind() {
    use proptest::strategy::{Strategy, ValueTree};
    use proptest::test_runner::TestRunner;
    use tapsim::testing;

    let mut runner = TestRunner::deterministic();
    let (mut on, mut off) = (0, 0);
    for _ in 0..64 {
        let spec = testing::tenant_spec()
            .new_tree(&mut runner)
            .unwrap()
            .current();
        let ops = testing::ops(0..40).new_tree(&mut runner).unwrap().current();
        let switched_on = spec.switches.authenticator_passkey;
        let mut sim = spec.build();
        for op in &ops {
            sim.apply(op);
        }
        for &s in sim.sessions() {
            let mut tenant = sim.tenant.clone();
            match tenant.register_method(s, MethodKind::AuthenticatorPasskey, "phone") {
                Ok(_) => {
                    assert!(switched_on, "registered with the switch off");
                    on += 1;
                }
                Err(Error::MethodKindSwitchedOff { .. }) => {
                    assert!(!switched_on, "refused with the switch on");
                    off += 1;
                }
                Err(_) => {}
            }
        }
    }
    assert!(on > 0 && off > 0, "both sides drawn: {on} on, {off} off");
}
