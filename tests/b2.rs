//! Spec B2 (what Microsoft's March 2026 text changed) and R17 (session controls): the
//! `Current` profile against `Docs2025` and `Preview2021`, boundaries included.

use chrono::Duration;
use tapsim::*;

use crate::common::*;
use crate::signin::{trusted_guest_pass_session, two_tenants_with};

/// Just under ten minutes.
fn nine_59() -> Duration {
    Duration::minutes(10) - Duration::microseconds(1)
}

#[test]
fn b2_profiles_bundle_the_three_switches() {
    let current = Switches::from(Profile::Current);
    assert!(
        current.session_outlives_pass && current.mfa_freshness && current.authenticator_passkey
    );
    let docs = Switches::from(Profile::Docs2025);
    assert!(!docs.session_outlives_pass && !docs.mfa_freshness && !docs.authenticator_passkey);
    assert_eq!(
        current,
        docs.session_outlives_pass(true)
            .mfa_freshness(true)
            .authenticator_passkey(true),
        "Current is Docs2025 with every B2 point on, and nothing else"
    );
    let preview = Switches::from(Profile::Preview2021);
    assert_eq!(
        preview,
        docs.delete_before_create(true)
            .create_for_out_of_scope_users(true)
            .default_maximum_lifetime_in_minutes(1440),
        "Preview2021 is Docs2025 plus the 2021 rules"
    );
    assert_eq!(
        Profile::ALL.map(Profile::name),
        ["Current", "Docs2025", "Preview2021"]
    );
    for p in Profile::ALL {
        assert_eq!(p.name().parse::<Profile>(), Ok(p));
    }
    // Each switch alone, and older settings bodies or snapshots without them read as off.
    let alone = Switches::docs_2025().mfa_freshness(true);
    assert!(alone.mfa_freshness && !alone.session_outlives_pass);
    let old: Switches = serde_json::from_str(
        r#"{"deleteBeforeCreate": false, "createForOutOfScopeUsers": false, "defaultMaximumLifetimeInMinutes": 480}"#,
    )
    .unwrap();
    assert_eq!(old, Switches::docs_2025());
    let fx = Fx::build(Tenant::builder().profile(Profile::Docs2025));
    assert_eq!(fx.tenant.config().switches, docs);
}

#[test]
fn r17_token_expiry_is_the_pass_end_as_it_stood_at_sign_in_in_every_profile() {
    for profile in Profile::ALL {
        let mut fx = Fx::enabled_with(profile.into());
        let issued = fx.issue(fx.ada, PassOptions::new().lifetime_in_minutes(60));
        fx.advance(Duration::minutes(20));
        let s = fx
            .sign_in_pass(ADA, &issued.secret)
            .session()
            .unwrap()
            .clone();
        let pass_end = t0() + Duration::minutes(60);
        assert_eq!(s.token_expires(), Some(pass_end), "{profile:?}");
        // The pass's later fate changes the token expiry not.
        fx.tenant
            .delete_pass(fx.auth_admin, fx.ada, issued.pass.id)
            .unwrap();
        let stored = fx.tenant.session(s.id()).unwrap();
        assert_eq!(stored.token_expires(), Some(pass_end), "{profile:?}");
        // Sessions not from a pass have no token cap.
        let pw = fx.tenant.sign_in(ADA, Credential::Password(ADA_PASSWORD));
        assert_eq!(pw.session().unwrap().token_expires(), None, "{profile:?}");
    }
}

#[test]
fn b2_a_session_past_the_pass_end_under_each_profile() {
    for profile in Profile::ALL {
        let mut fx = Fx::enabled_with(profile.into());
        let issued = fx.issue(fx.ada, PassOptions::new().lifetime_in_minutes(60));
        let s = fx
            .sign_in_pass(ADA, &issued.secret)
            .session()
            .unwrap()
            .clone();
        let pass_end = t0() + Duration::minutes(60);
        fx.clock.set(pass_end - Duration::microseconds(1));
        assert_eq!(
            fx.tenant.session_status(s.id()).unwrap(),
            SessionStatus::Active
        );
        fx.clock.set(pass_end);
        let status = fx.tenant.session_status(s.id()).unwrap();
        let registered = fx.register(s.id(), MethodKind::WindowsHelloForBusiness, "laptop");
        if profile == Profile::Current {
            // The pass's expiry "doesn't retroactively invalidate" the session.
            assert_eq!(s.expires(), None, "lasts until revoked");
            assert_eq!(status, SessionStatus::Active);
            // Still a session, but its MFA is an hour old: nothing to register (B2's S6).
            assert_eq!(
                registered.unwrap_err(),
                Error::AccessDenied(Denial::MfaNotFresh)
            );
        } else {
            assert_eq!(s.expires(), Some(pass_end), "{profile:?}");
            assert_eq!(
                status,
                SessionStatus::Ended {
                    at: pass_end,
                    reason: SessionEndReason::PassExpired
                },
                "{profile:?}"
            );
            assert_eq!(
                registered.unwrap_err(),
                Error::AccessDenied(Denial::SessionNotValid),
                "{profile:?}"
            );
        }
    }
}

#[test]
fn b2_deleting_or_replacing_the_pass_ends_no_session_revoking_does() {
    let mut fx = Fx::enabled();
    let first = fx.issue(fx.ada, PassOptions::default());
    let s1 = fx.ada_pass_session(&first.secret);
    let second = fx.issue(fx.ada, PassOptions::default()); // replaces the first (T5)
    let s2 = fx.ada_pass_session(&second.secret);
    fx.tenant
        .delete_pass(fx.auth_admin, fx.ada, second.pass.id)
        .unwrap();
    for s in [s1, s2] {
        assert_eq!(fx.tenant.session_status(s).unwrap(), SessionStatus::Active);
    }
    // An admin who wants the user out revokes the sessions (R15).
    assert_eq!(
        fx.tenant
            .revoke_sign_in_sessions(fx.auth_admin, fx.ada)
            .unwrap(),
        2
    );
    for s in [s1, s2] {
        assert!(matches!(
            fx.tenant.session_status(s).unwrap(),
            SessionStatus::Ended {
                reason: SessionEndReason::Revoked,
                ..
            }
        ));
    }
    // Docs2025: both end with their pass.
    let mut old = Fx::docs_2025();
    let first = old.issue(old.ada, PassOptions::default());
    let s1 = old.ada_pass_session(&first.secret);
    old.issue(old.ada, PassOptions::default());
    assert!(matches!(
        old.tenant.session_status(s1).unwrap(),
        SessionStatus::Ended {
            reason: SessionEndReason::PassDeleted,
            ..
        }
    ));
}

#[test]
fn b2_a_guest_session_outlives_the_home_pass() {
    let (mut world, h, r, bob, _guest, clock) = two_tenants_with(Profile::Current);
    let (issued, s) = trusted_guest_pass_session(&mut world, h, r, bob);
    assert_eq!(s.token_expires(), Some(t0() + Duration::minutes(60)));
    clock.advance(Duration::minutes(5));
    world
        .tenant_mut(h)
        .unwrap()
        .delete_pass(bob, bob, issued.pass.id)
        .unwrap();
    clock.advance(Duration::hours(2));
    assert_eq!(
        world.session_status(r, s.id()).unwrap(),
        SessionStatus::Active
    );
    // Revoking at home ends it (R15).
    world
        .tenant_mut(h)
        .unwrap()
        .revoke_sign_in_sessions(bob, bob)
        .unwrap();
    assert!(!world.session_status(r, s.id()).unwrap().is_active());
}

#[test]
fn b2_mfa_freshness_at_9_59_and_at_exactly_10_00_after_the_sign_in() {
    let registrable: Vec<MethodKind> = MethodKind::ALL
        .into_iter()
        .filter(|k| k.is_registrable())
        .collect();
    for kind in registrable {
        let mut fx = Fx::enabled();
        let s = fx.ada_pass_signed_in(true);
        fx.advance(nine_59());
        assert!(fx.register(s, kind, "in time").is_ok(), "{kind} at 9:59");
        fx.advance(Duration::microseconds(1));
        let before = fx.state_json();
        assert_eq!(
            fx.register(s, kind, "late").unwrap_err(),
            Error::AccessDenied(Denial::MfaNotFresh),
            "{kind} at 10:00"
        );
        assert_eq!(
            fx.state_json(),
            before,
            "a refused registration changes nothing"
        );
    }
    // Docs2025: at 10:00 only the passwordless kinds of R9 are refused.
    let mut old = Fx::docs_2025();
    let s = old.ada_pass_signed_in(true);
    old.advance(Duration::minutes(10));
    assert!(
        old.register(s, MethodKind::WindowsHelloForBusiness, "w")
            .is_ok()
    );
    assert_eq!(
        old.register(s, MethodKind::Passkey, "p").unwrap_err(),
        Error::AccessDenied(Denial::RegistrationWindowClosed)
    );
}

#[test]
fn b2_mfa_freshness_covers_every_kind_of_session() {
    let mut fx = Fx::enabled();
    // A multi-use pass: no window as written, ten minutes of freshness now.
    let multi = fx.ada_pass(false);
    let pass_session = fx.ada_pass_session(&multi.secret);
    // A password and push session.
    let push = fx.provision(fx.ada, MethodKind::MicrosoftAuthenticatorPush, "phone");
    let push_session = fx
        .tenant
        .sign_in(ADA, Credential::PasswordAndDevice(ADA_PASSWORD, &push))
        .session()
        .unwrap()
        .id();
    fx.advance(Duration::minutes(10));
    for s in [pass_session, push_session] {
        assert_eq!(
            fx.register(s, MethodKind::SoftwareOath, "otp").unwrap_err(),
            Error::AccessDenied(Denial::MfaNotFresh)
        );
    }
    // Docs2025: the multi-use pass has no limit (S6 as written).
    let mut old = Fx::docs_2025();
    let s = old.ada_pass_signed_in(false);
    old.advance(Duration::minutes(90));
    assert!(old.register(s, MethodKind::SoftwareOath, "otp").is_ok());
}

#[test]
fn b2_a_step_up_restores_freshness_for_ten_minutes_from_the_step_up() {
    let mut fx = Fx::enabled();
    let multi = fx.ada_pass(false);
    let s = fx.ada_pass_session(&multi.secret);
    fx.advance(Duration::minutes(15));
    assert_eq!(
        fx.register(s, MethodKind::Passkey, "pk").unwrap_err(),
        Error::AccessDenied(Denial::MfaNotFresh)
    );
    // The multi-use pass can be entered again.
    let out = fx
        .tenant
        .step_up(s, Credential::Pass(multi.secret.danger_reveal()))
        .unwrap();
    assert!(out.is_allowed());
    let proved = fx.tenant.now();
    fx.advance(nine_59());
    assert!(fx.register(s, MethodKind::Passkey, "pk").is_ok());
    fx.clock.set(proved + Duration::minutes(10));
    assert_eq!(
        fx.register(s, MethodKind::Fido2SecurityKey, "key")
            .unwrap_err(),
        Error::AccessDenied(Denial::MfaNotFresh)
    );
}

#[test]
fn b2_step_up_with_a_consumed_one_time_pass_is_refused_so_a_slow_enrolment_needs_a_second_pass() {
    let mut fx = Fx::enabled();
    let once = fx.ada_pass(true);
    let s = fx.ada_pass_session(&once.secret);
    fx.advance(Duration::minutes(12));
    assert_eq!(
        fx.register(s, MethodKind::Passkey, "pk").unwrap_err(),
        Error::AccessDenied(Denial::MfaNotFresh)
    );
    let logs = fx.tenant.sign_in_log().len();
    let again = fx
        .tenant
        .step_up(s, Credential::Pass(once.secret.danger_reveal()))
        .unwrap();
    assert_eq!(again.denial(), Some(DenialReason::PassOneTimeUsed));
    assert_eq!(
        fx.tenant.sign_in_log().len(),
        logs + 1,
        "the refusal is logged"
    );
    assert_eq!(
        fx.tenant.session(s).unwrap().last_mfa(),
        Some(t0()),
        "nothing refreshed"
    );
    // The help desk issues a second pass; the session survives the replacement (B2) and
    // the new pass steps it up.
    let second = fx.issue(fx.ada, PassOptions::new().usable_once(true));
    assert_eq!(fx.tenant.session_status(s).unwrap(), SessionStatus::Active);
    assert!(
        fx.tenant
            .step_up(s, Credential::Pass(second.secret.danger_reveal()))
            .unwrap()
            .is_allowed()
    );
    assert!(fx.register(s, MethodKind::Passkey, "pk").is_ok());
}

#[test]
fn r17_sign_in_frequency_bounds_every_session_in_every_profile() {
    for profile in Profile::ALL {
        let mut fx = Fx::build(
            Tenant::builder()
                .switches(profile.into())
                .session_controls(SessionControls::sign_in_every(120)),
        );
        fx.enable();
        let pw = fx.tenant.sign_in(ADA, Credential::Password(ADA_PASSWORD));
        let pw = pw.session().unwrap().clone();
        let bound = t0() + Duration::minutes(120);
        assert_eq!(pw.expires(), Some(bound), "{profile:?}");
        // A step-up does not extend it.
        let push = fx.provision(fx.ada, MethodKind::MicrosoftAuthenticatorPush, "phone");
        fx.advance(Duration::minutes(100));
        fx.tenant
            .step_up(pw.id(), Credential::PasswordAndDevice(ADA_PASSWORD, &push))
            .unwrap();
        assert_eq!(fx.tenant.session(pw.id()).unwrap().expires(), Some(bound));
        fx.clock.set(bound - Duration::microseconds(1));
        assert!(fx.tenant.session_status(pw.id()).unwrap().is_active());
        fx.clock.set(bound);
        assert_eq!(
            fx.tenant.session_status(pw.id()).unwrap(),
            SessionStatus::Ended {
                at: bound,
                reason: SessionEndReason::SignInFrequency
            },
            "{profile:?}"
        );
        // A pass session of 60 minutes: the pass ends it first as written; under Current
        // only the sign-in frequency does.
        let issued = fx.issue(fx.ada, PassOptions::new().lifetime_in_minutes(60));
        let s = fx
            .sign_in_pass(ADA, &issued.secret)
            .session()
            .unwrap()
            .clone();
        let (pass_end, frequency_end) = (
            bound + Duration::minutes(60),
            bound + Duration::minutes(120),
        );
        assert_eq!(s.token_expires(), Some(pass_end));
        let expected = if profile == Profile::Current {
            (frequency_end, SessionEndReason::SignInFrequency)
        } else {
            (pass_end, SessionEndReason::PassExpired)
        };
        assert_eq!(s.expires(), Some(expected.0), "{profile:?}");
        fx.clock.set(expected.0);
        assert_eq!(
            fx.tenant.session_status(s.id()).unwrap(),
            SessionStatus::Ended {
                at: expected.0,
                reason: expected.1
            },
            "{profile:?}"
        );
    }
}

#[test]
fn r17_session_controls_change_at_run_time_and_bad_ones_change_nothing() {
    let mut fx = Fx::enabled();
    let issued = fx.issue(fx.ada, PassOptions::new().lifetime_in_minutes(60));
    let s = fx.ada_pass_session(&issued.secret);
    for bad in [0, 59, 525_601] {
        let before = fx.state_json();
        let e = fx
            .tenant
            .set_session_controls(SessionControls::sign_in_every(bad))
            .unwrap_err();
        assert_eq!(e.code(), ErrorCode::BadRequest, "{bad}");
        assert!(e.to_string().contains("sign_in_frequency_minutes"), "{e}");
        assert_eq!(fx.state_json(), before);
        assert!(
            Tenant::builder()
                .hash_cost(HashCost::Minimum)
                .session_controls(SessionControls::sign_in_every(bad))
                .build()
                .is_err()
        );
    }
    // Applies to existing sessions (R14), with no audit record.
    let audits = fx.tenant.audit_log().len();
    fx.tenant
        .set_session_controls(SessionControls::sign_in_every(60))
        .unwrap();
    assert_eq!(
        fx.tenant.session(s).unwrap().expires(),
        Some(t0() + Duration::minutes(60))
    );
    assert_eq!(fx.tenant.audit_log().len(), audits);
    fx.tenant
        .set_session_controls(SessionControls::until_revoked())
        .unwrap();
    assert_eq!(fx.tenant.session(s).unwrap().expires(), None);
    // Switching B2's S5 amendment off brings the pass's end back, to existing sessions too.
    fx.tenant
        .set_switches(Switches::current().session_outlives_pass(false))
        .unwrap();
    assert_eq!(
        fx.tenant.session(s).unwrap().expires(),
        Some(t0() + Duration::minutes(60))
    );
    // The settings are part of the snapshot.
    fx.tenant
        .set_session_controls(SessionControls::sign_in_every(90))
        .unwrap();
    let snap = fx.tenant.snapshot();
    let json = serde_json::to_string(&snap).unwrap();
    let back: TenantState = serde_json::from_str(&json).unwrap();
    let restored = Tenant::from_snapshot(back, std::sync::Arc::new(fx.clock.clone())).unwrap();
    assert_eq!(
        restored.config().session_controls,
        SessionControls::sign_in_every(90)
    );
}
