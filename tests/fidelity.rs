//! Faithful to Microsoft's 2026 documentation (issue #12): B2's M5 amended (a passkey in
//! Microsoft Authenticator, `authenticator_passkey`) in every profile, and R18's guest
//! step-up through the home tenant (R11).

use chrono::Duration;
use serde_json::Value;
use tapsim::*;

use crate::common::*;
use crate::signin::{guest_signs_in_with, issue_at_home, two_tenants_with};

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
    // A security key has the same shape (G3) but no Authenticator AAGUID.
    let key = &json[1];
    assert_eq!(
        key["@odata.type"],
        "#microsoft.graph.fido2AuthenticationMethod"
    );
    assert_eq!(key["aaGuid"], Value::Null);
    assert_eq!(key["model"], Value::Null);
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

// ---- R18 + R11: a guest steps up through the home tenant --------------------------------

const BOB: &str = "bob@fabrikam.com";

/// Bob's guest session in the resource tenant from his home password (single factor at
/// home, so single factor here too), and a multi-use home pass to step up with.
fn guest_password_session(
    world: &mut World,
    h: TenantId,
    r: TenantId,
    bob: UserId,
) -> (SessionId, IssuedPass) {
    let multi = issue_at_home(world, h, bob, PassOptions::new().usable_once(false));
    let s = world
        .sign_in(r, BOB, Credential::Password("bob-pw"))
        .unwrap()
        .session()
        .unwrap()
        .id();
    (s, multi)
}

fn home_session_of(world: &World, r: TenantId, s: SessionId) -> SessionId {
    match world.tenant(r).unwrap().session(s).unwrap().source() {
        SessionSource::HomeTenant { home_session, .. } => *home_session,
        other => panic!("not a guest session: {other:?}"),
    }
}

#[test]
fn r18_r11_a_guest_steps_up_through_the_home_tenant_and_counts_here_when_trusted() {
    for profile in Profile::ALL {
        let (mut world, h, r, bob, guest, clock) = two_tenants_with(profile);
        world.tenant_mut(r).unwrap().set_inbound_mfa_trust(h, true);
        let (s, multi) = guest_password_session(&mut world, h, r, bob);
        let before = world.tenant(r).unwrap().session(s).unwrap().clone();
        assert!(
            !before.satisfies_mfa(),
            "a password is single factor at home"
        );
        let (home_log, resource_log) = (
            world.tenant(h).unwrap().sign_in_log().len(),
            world.tenant(r).unwrap().sign_in_log().len(),
        );
        clock.advance(Duration::minutes(20));
        let out = world
            .step_up(r, s, Credential::Pass(multi.secret.danger_reveal()))
            .unwrap();
        let now = clock.now();
        let after = out.session().expect("the home pass steps up");
        assert_eq!(
            after.id(),
            s,
            "{profile:?}: the same session, not a new one"
        );
        assert_eq!(after.user(), guest);
        assert!(after.satisfies_mfa());
        assert_eq!(after.last_mfa(), Some(now));
        assert_eq!(
            after
                .authentication_method_modes()
                .last()
                .map(String::as_str),
            Some("temporaryAccessPassMultiUse"),
            "S11: the home proof's combination is added"
        );
        // A step-up changes none of the session's ends (R17).
        assert_eq!(after.expires(), before.expires());
        assert_eq!(after.token_expires(), before.token_expires());
        assert_eq!(after.signed_in(), before.signed_in());
        assert!(out.trace.iter().any(|c| c.name == "cross-tenant trust"));
        // The home tenant checked the pass and logged it; its session was stepped up too.
        let home = world.tenant(h).unwrap();
        assert_eq!(home.sign_in_log().len(), home_log + 1);
        let home_rec = home.sign_in_log().last().unwrap();
        assert_eq!(home_rec.status.error_code, Some(0));
        assert_eq!(
            home_rec.authentication_method_modes.as_deref(),
            Some("temporaryAccessPassMultiUse")
        );
        let hs = home.session(home_session_of(&world, r, s)).unwrap();
        assert_eq!(hs.last_mfa(), Some(now));
        assert_eq!(
            home.pass_record(bob).unwrap().id(),
            multi.pass.id,
            "the pass was used at home"
        );
        assert_eq!(home.pass_view(bob).unwrap().last_used_date_time, Some(now));
        // The resource tenant logged its own record, naming the home tenant.
        let resource = world.tenant(r).unwrap();
        assert_eq!(resource.sign_in_log().len(), resource_log + 1);
        let rec = resource.sign_in_log().last().unwrap();
        assert_eq!(rec.id, out.log_record);
        assert_eq!(rec.home_tenant_id, h);
        assert_eq!(rec.resource_tenant_id, r);
        assert_eq!(rec.user_principal_name, BOB);
        assert_eq!(rec.authentication_requirement, "multiFactorAuthentication");
        // Now fresh: the guest registers security info here (B2's S6, R9).
        assert!(
            world
                .register_method(r, s, MethodKind::Fido2SecurityKey, "key")
                .is_ok(),
            "{profile:?}"
        );
    }
}

#[test]
fn r11_without_trust_a_guests_home_step_up_changes_nothing_here() {
    let (mut world, h, r, bob, _guest, clock) = two_tenants_with(Profile::Current);
    let (s, multi) = guest_password_session(&mut world, h, r, bob);
    let before = world.tenant(r).unwrap().session(s).unwrap().clone();
    clock.advance(Duration::minutes(1));
    let out = world
        .step_up(r, s, Credential::Pass(multi.secret.danger_reveal()))
        .unwrap();
    // The home tenant accepted the pass, and its own session is fresh...
    assert!(out.is_allowed());
    let home = world.tenant(h).unwrap();
    assert_eq!(
        home.sign_in_log().last().unwrap().status.error_code,
        Some(0)
    );
    let hs = home.session(home_session_of(&world, r, s)).unwrap();
    assert_eq!(hs.last_mfa(), Some(clock.now()));
    // ...but this tenant does not trust the home tenant's MFA: single factor still.
    let after = out.session().unwrap();
    assert!(!after.satisfies_mfa());
    assert_eq!(after.last_mfa(), None);
    assert_eq!(after, &before, "the resource session is unchanged");
    let check = out
        .trace
        .iter()
        .find(|c| c.name == "cross-tenant trust")
        .unwrap();
    assert!(check.detail.contains("no inbound MFA trust"), "{check:?}");
    let rec = world.tenant(r).unwrap().sign_in_log().last().unwrap();
    assert_eq!(rec.authentication_requirement, "singleFactorAuthentication");
    assert_eq!(rec.home_tenant_id, h);
    assert_eq!(
        world
            .register_method(r, s, MethodKind::Fido2SecurityKey, "key")
            .unwrap_err(),
        Error::AccessDenied(Denial::SessionNotMultifactor)
    );
}

#[test]
fn r18_r11_a_guest_cannot_step_up_with_a_consumed_one_time_pass_and_failures_count_at_home() {
    let (mut world, h, r, bob, _guest, clock) = two_tenants_with(Profile::Current);
    world.tenant_mut(r).unwrap().set_inbound_mfa_trust(h, true);
    world
        .tenant_mut(h)
        .unwrap()
        .set_lockout(LockoutSettings {
            threshold: 2,
            duration_seconds: 60,
        })
        .unwrap();
    let once = issue_at_home(&mut world, h, bob, PassOptions::new().usable_once(true));
    let s = guest_signs_in_with(&mut world, r, &once)
        .session()
        .unwrap()
        .id();
    let signed_in = clock.now();
    clock.advance(Duration::minutes(5));
    let home_log = world.tenant(h).unwrap().sign_in_log().len();
    let out = world
        .step_up(r, s, Credential::Pass(once.secret.danger_reveal()))
        .unwrap();
    assert_eq!(out.denial(), Some(DenialReason::PassOneTimeUsed));
    let after = world.tenant(r).unwrap().session(s).unwrap();
    assert_eq!(after.last_mfa(), Some(signed_in), "nothing refreshed");
    assert_eq!(after.authentication_method_modes().len(), 1);
    // Both tenants logged the failure.
    assert_eq!(world.tenant(h).unwrap().sign_in_log().len(), home_log + 1);
    let rec = world.tenant(r).unwrap().sign_in_log().last().unwrap();
    assert_eq!(rec.id, out.log_record);
    assert_eq!(
        rec.status.additional_details.as_deref(),
        Some(DenialReason::PassOneTimeUsed.name())
    );
    // The home tenant's lockout counts it: one more failure locks Bob out at home.
    assert_eq!(world.tenant(h).unwrap().locked_until(bob), None);
    let wrong = world
        .step_up(r, s, Credential::Pass("not-the-pass"))
        .unwrap();
    assert_eq!(wrong.denial(), Some(DenialReason::InvalidCredential));
    assert_eq!(
        world.tenant(h).unwrap().locked_until(bob),
        Some(clock.now() + Duration::seconds(60))
    );
    // While locked, even a valid pass is refused, at home and so here.
    let fresh = {
        let home = world.tenant_mut(h).unwrap();
        let admin = home.user_by_upn("admin@fabrikam.com").unwrap().id();
        home.create_pass(admin, bob, PassOptions::new().usable_once(false))
            .unwrap()
    };
    let locked = world
        .step_up(r, s, Credential::Pass(fresh.secret.danger_reveal()))
        .unwrap();
    assert_eq!(locked.denial(), Some(DenialReason::AccountLocked));
    // A second pass restores freshness after the lockout (B2: a slow enrolment needs one).
    clock.advance(Duration::seconds(60));
    let ok = world
        .step_up(r, s, Credential::Pass(fresh.secret.danger_reveal()))
        .unwrap();
    assert_eq!(ok.session().unwrap().last_mfa(), Some(clock.now()));
}

#[test]
fn r18_r11_a_guest_step_up_checks_the_session_first_and_a_password_alone_is_no_step_up() {
    let (mut world, h, r, bob, _guest, _clock) = two_tenants_with(Profile::Current);
    let (s, multi) = guest_password_session(&mut world, h, r, bob);
    let logs = |w: &World| {
        (
            w.tenant(h).unwrap().sign_in_log().len(),
            w.tenant(r).unwrap().sign_in_log().len(),
        )
    };
    let before = logs(&world);
    let pass = Credential::Pass(multi.secret.danger_reveal());
    assert_eq!(
        world.step_up(r, SessionId(Guid::NIL), pass).unwrap_err(),
        Error::SessionNotFound(SessionId(Guid::NIL).to_string())
    );
    assert_eq!(
        world
            .step_up(r, s, Credential::Password("bob-pw"))
            .unwrap_err(),
        Error::PasswordAloneIsNoStepUp
    );
    assert_eq!(
        world
            .step_up_proofs_needed(r, s, Credential::Password("bob-pw"))
            .unwrap_err(),
        Error::PasswordAloneIsNoStepUp,
        "refused before any hashing"
    );
    assert_eq!(logs(&world), before, "no log record, no lockout count");
    // The resource tenant alone cannot see the home session: it still refuses.
    assert_eq!(
        world.tenant_mut(r).unwrap().step_up(s, pass).unwrap_err(),
        Error::AccessDenied(Denial::HomeSessionUnseen)
    );
    // Once the home session ends, so does this one: accessDenied, the session first.
    let home = world.tenant_mut(h).unwrap();
    let admin = home.user_by_upn("admin@fabrikam.com").unwrap().id();
    home.revoke_sign_in_sessions(admin, bob).unwrap();
    assert_eq!(
        world.step_up(r, s, pass).unwrap_err(),
        Error::AccessDenied(Denial::SessionNotValid)
    );
    assert_eq!(
        world
            .step_up(r, s, Credential::Password("bob-pw"))
            .unwrap_err(),
        Error::AccessDenied(Denial::SessionNotValid),
        "the session is checked before the credential's shape"
    );
    assert_eq!(logs(&world), before);
}

#[test]
fn r18_r11_r15_a_guest_disabled_here_is_told_so_only_after_home_proves_and_counts_it() {
    let (mut world, h, r, bob, guest, _clock) = two_tenants_with(Profile::Current);
    world.tenant_mut(r).unwrap().set_inbound_mfa_trust(h, true);
    let s = world
        .sign_in(r, BOB, Credential::Password("bob-pw"))
        .unwrap()
        .session()
        .unwrap()
        .id();
    let once = issue_at_home(&mut world, h, bob, PassOptions::new().usable_once(true));
    world
        .tenant_mut(r)
        .unwrap()
        .set_account_enabled(guest, false)
        .unwrap();
    let logs = |world: &World| {
        (
            world.tenant(h).unwrap().sign_in_log().len(),
            world.tenant(r).unwrap().sign_in_log().len(),
        )
    };
    let (home_log, resource_log) = logs(&world);
    // A wrong pass learns nothing about the guest's account (R5): the home tenant's denial.
    let wrong = world
        .step_up(r, s, Credential::Pass("totally-wrong"))
        .unwrap();
    assert_eq!(wrong.denial(), Some(DenialReason::InvalidCredential));
    assert!(wrong.trace.iter().all(|c| c.name != "account"));
    assert_eq!(logs(&world), (home_log + 1, resource_log + 1));
    // The right one, in three phases as a server runs it: the home tenant's verification
    // is asked for even though the guest is disabled here.
    let cred = Credential::Pass(once.secret.danger_reveal());
    let request = world.step_up_proofs_needed(r, s, cred).unwrap();
    assert_eq!(request.len(), 1, "the home tenant's verification");
    let out = world
        .step_up_with_proofs(r, s, cred, &request.verify())
        .unwrap();
    assert_eq!(out.denial(), Some(DenialReason::AccountDisabled));
    let names: Vec<_> = out.trace.iter().map(|c| c.name.as_ref()).collect();
    assert_eq!(names, ["credential", "account"]);
    // Both tenants log it (R11); home logs a failure (R15) and consumes nothing.
    assert_eq!(logs(&world), (home_log + 2, resource_log + 2));
    let at_home = world.tenant(h).unwrap().sign_in_log().last().unwrap();
    assert_eq!(at_home.user_id, bob.guid());
    assert_eq!(
        at_home.status.additional_details.as_deref(),
        Some("accountDisabled")
    );
    assert_eq!(
        world
            .tenant(h)
            .unwrap()
            .pass_view(bob)
            .unwrap()
            .method_usability_reason,
        UsabilityReason::EnabledByPolicy,
        "the one-time pass is not consumed"
    );
    let rec = world.tenant(r).unwrap().sign_in_log().last().unwrap();
    assert_eq!(rec.id, out.log_record);
    assert_eq!(rec.home_tenant_id, h);
    assert_eq!(
        rec.status.additional_details.as_deref(),
        Some("accountDisabled")
    );
    // The proven failures count toward the home lockout (R15, R6): the wrong pass and the
    // proven one above are two of the ten.
    assert!(world.tenant(h).unwrap().locked_until(bob).is_none());
    for _ in 0..8 {
        let out = world.step_up(r, s, cred).unwrap();
        assert_eq!(out.denial(), Some(DenialReason::AccountDisabled));
    }
    assert!(world.tenant(h).unwrap().locked_until(bob).is_some());
    let locked = world.step_up(r, s, cred).unwrap();
    assert_eq!(locked.denial(), Some(DenialReason::AccountLocked));
}

#[test]
fn r18_the_world_steps_up_a_members_session_as_its_tenant_does_in_three_phases() {
    let (mut world, h, _r, bob, _guest, clock) = two_tenants_with(Profile::Current);
    let multi = issue_at_home(&mut world, h, bob, PassOptions::new().usable_once(false));
    let s = world
        .sign_in(h, BOB, Credential::Password("bob-pw"))
        .unwrap()
        .session()
        .unwrap()
        .id();
    clock.advance(Duration::minutes(3));
    let cred = Credential::Pass(multi.secret.danger_reveal());
    // Phase one (no lock in a server): what to verify; phase two: verify; three: decide.
    let proofs = world.step_up_proofs_needed(h, s, cred).unwrap().verify();
    let out = world.step_up_with_proofs(h, s, cred, &proofs).unwrap();
    let stepped = out.session().unwrap();
    assert_eq!(stepped.id(), s);
    assert_eq!(stepped.last_mfa(), Some(clock.now()));
    assert_eq!(
        world.tenant(h).unwrap().sign_in_log().last().unwrap().id,
        out.log_record
    );
    // Proofs made for another credential prove nothing: the world checks again.
    let stale = world
        .step_up_proofs_needed(h, s, Credential::Pass("not-the-pass"))
        .unwrap()
        .verify();
    let again = world.step_up_with_proofs(h, s, cred, &stale).unwrap();
    assert!(
        again.is_allowed(),
        "verified now, not taken from the proofs"
    );
}

#[test]
fn s10_a_guests_home_account_cannot_itself_be_an_external_guest() {
    // Contoso's guest Bob as the "home" of a guest in Fabrikam: he has no credential of
    // his own there, so the link is refused by name.
    let (mut world, h, r, _bob, guest, _clock) = two_tenants_with(Profile::Current);
    let guests_guest = world
        .tenant_mut(h)
        .unwrap()
        .add_user(
            NewUser::member("bob_fabrikam.com#EXT#@fabrikam.com", "Bob again")
                .user_type(UserType::ExternalGuest),
        )
        .unwrap();
    let err = world.link_guest(h, guests_guest, r, guest).unwrap_err();
    assert!(matches!(err, Error::InvalidConfig(_)), "{err:?}");
    assert_eq!(err.code(), ErrorCode::BadRequest);
    assert_eq!(
        err.to_string(),
        format!(
            "invalid tenant configuration: user `{guest}` is itself an external guest of tenant `{r}`: a guest's home account cannot be a guest"
        )
    );
    // Nothing was linked: signing in to Fabrikam with the guest's name finds no one.
    let out = world
        .sign_in(
            h,
            "bob_fabrikam.com#EXT#@contoso.com",
            Credential::Password("bob-pw"),
        )
        .unwrap();
    assert_eq!(out.denial(), Some(DenialReason::InvalidCredential));
}
