//! Spec S1 to S10, M1 to M5: sign-in, sessions, lockout, methods, tenants side by side.

use std::sync::Arc;

use chrono::Duration;
use tapsim::*;

use crate::common::*;

#[test]
fn s1_pass_signs_in_alone_and_satisfies_mfa() {
    let mut fx = Fx::enabled();
    let issued = fx.issue(fx.ada, PassOptions::default());
    let out = fx.sign_in_pass(ADA, &issued.secret);
    let s = out.session().expect("allowed");
    assert!(s.satisfies_mfa());
    assert_eq!(s.methods(), [MethodKind::TemporaryAccessPass]);
    assert!(matches!(
        s.source(),
        SessionSource::Pass {
            one_time: false,
            ..
        }
    ));
    let names: Vec<&str> = out.trace.iter().map(|c| c.name.as_ref()).collect();
    for check in [
        "user",
        "lockout",
        "credential",
        "policy state",
        "scope",
        "one-time use",
        "validity window",
    ] {
        assert!(names.contains(&check), "trace lacks {check}: {names:?}");
    }
    assert!(out.trace.iter().all(|c| c.passed));
}

#[test]
fn s1_pass_works_for_users_without_a_password() {
    let mut fx = Fx::enabled();
    let issued = fx.issue(fx.bob, PassOptions::default());
    assert!(
        fx.sign_in_pass("BOB@contoso.com", &issued.secret)
            .is_allowed(),
        "UPNs ignore case"
    );
}

#[test]
fn s2_blocked_sign_ins_carry_the_user_credential_policy_message() {
    let mut fx = Fx::enabled();
    let once = fx.issue(fx.ada, PassOptions::new().usable_once(true));
    assert!(fx.sign_in_pass(ADA, &once.secret).is_allowed());
    let used = fx.sign_in_pass(ADA, &once.secret);
    assert_eq!(used.denial(), Some(DenialReason::PassOneTimeUsed));
    assert_eq!(
        used.denial().unwrap().message(),
        "Temporary Access Pass sign in was blocked due to User Credential Policy"
    );
    let multi = fx.issue(fx.bob, PassOptions::new().usable_once(false));
    fx.patch(PolicyPatch::new().is_usable_once(true));
    let blocked = fx.sign_in_pass("bob@contoso.com", &multi.secret);
    assert_eq!(blocked.denial(), Some(DenialReason::PassDisabledByPolicy));
    assert_eq!(
        blocked.denial().unwrap().message(),
        BLOCKED_BY_USER_CREDENTIAL_POLICY
    );
}

#[test]
fn s2_wrong_missing_and_deleted_passes_look_the_same() {
    let mut fx = Fx::enabled();
    let no_pass = fx.tenant.sign_in(ADA, Credential::Pass("Abcdefgh"));
    let issued = fx.issue(fx.ada, PassOptions::default());
    let wrong = fx.tenant.sign_in(ADA, Credential::Pass("Abcdefgh"));
    fx.tenant
        .delete_pass(fx.auth_admin, fx.ada, issued.pass.id)
        .unwrap();
    let deleted = fx.sign_in_pass(ADA, &issued.secret);
    let unknown = fx
        .tenant
        .sign_in("nobody@contoso.com", Credential::Pass("Abcdefgh"));
    for out in [&no_pass, &wrong, &deleted, &unknown] {
        assert_eq!(out.denial(), Some(DenialReason::InvalidCredential));
        assert_eq!(out.denial().unwrap().aadsts_code(), Some(50126));
    }
    // The log records look the same too, apart from ids and the user.
    let log = fx.tenant.sign_in_log();
    let reasons: Vec<_> = log
        .iter()
        .map(|r| (&r.status.failure_reason, r.status.error_code))
        .collect();
    assert!(reasons.windows(2).all(|w| w[0] == w[1]), "{reasons:?}");
    // A wrong secret never reveals usability.
    assert!(wrong.trace.iter().all(|c| c.name != "validity window"));
}

#[test]
fn s2_expired_and_not_yet_valid_fail_with_their_reason() {
    let mut fx = Fx::enabled();
    let issued = fx.issue(fx.ada, PassOptions::new().start(t0() + Duration::hours(1)));
    assert_eq!(
        fx.sign_in_pass(ADA, &issued.secret).denial(),
        Some(DenialReason::PassNotYetValid)
    );
    fx.advance(Duration::hours(3));
    assert_eq!(
        fx.sign_in_pass(ADA, &issued.secret).denial(),
        Some(DenialReason::PassExpired)
    );
}

#[test]
fn s3_one_time_pass_signs_in_exactly_once() {
    let mut fx = Fx::enabled();
    let once = fx.issue(fx.ada, PassOptions::new().usable_once(true));
    // Failed attempts do not consume it.
    for _ in 0..3 {
        assert_eq!(
            fx.tenant
                .sign_in(ADA, Credential::Pass("wrong-value"))
                .denial(),
            Some(DenialReason::InvalidCredential)
        );
    }
    let early = fx.issue(
        fx.bob,
        PassOptions::new()
            .usable_once(true)
            .start(t0() + Duration::minutes(5)),
    );
    assert!(
        !fx.sign_in_pass("bob@contoso.com", &early.secret)
            .is_allowed()
    );
    fx.advance(Duration::minutes(5));
    assert!(
        fx.sign_in_pass("bob@contoso.com", &early.secret)
            .is_allowed(),
        "a failed attempt did not consume it"
    );
    let results: Vec<bool> = (0..5)
        .map(|_| fx.sign_in_pass(ADA, &once.secret).is_allowed())
        .collect();
    assert_eq!(results, [true, false, false, false, false]);
    assert_eq!(
        fx.tenant.pass_view(fx.ada).unwrap().method_usability_reason,
        UsabilityReason::OneTimeUsed
    );
}

#[test]
fn s3_multi_use_pass_signs_in_many_times_within_its_window() {
    let mut fx = Fx::enabled();
    let multi = fx.issue(fx.ada, PassOptions::new().usable_once(false));
    for _ in 0..5 {
        assert!(fx.sign_in_pass(ADA, &multi.secret).is_allowed());
        fx.advance(Duration::minutes(10));
    }
    fx.advance(Duration::minutes(10));
    assert_eq!(
        fx.sign_in_pass(ADA, &multi.secret).denial(),
        Some(DenialReason::PassExpired)
    );
}

#[test]
fn s4_the_password_stays_and_is_single_factor() {
    let mut fx = Fx::enabled();
    let issued = fx.issue(fx.ada, PassOptions::default());
    assert!(fx.sign_in_pass(ADA, &issued.secret).is_allowed());
    let pw = fx.tenant.sign_in(ADA, Credential::Password(ADA_PASSWORD));
    let s = pw.session().expect("the password still signs in");
    assert!(!s.satisfies_mfa());
    assert_eq!(
        fx.tenant
            .sign_in(ADA, Credential::Password("nope"))
            .denial(),
        Some(DenialReason::InvalidCredential)
    );
    // No password set: invalid credential, not a different answer.
    assert_eq!(
        fx.tenant
            .sign_in("bob@contoso.com", Credential::Password("x"))
            .denial(),
        Some(DenialReason::InvalidCredential)
    );
    // set_password works.
    fx.tenant.set_password(fx.bob, "bob-password").unwrap();
    assert!(
        fx.tenant
            .sign_in("bob@contoso.com", Credential::Password("bob-password"))
            .is_allowed()
    );
}

#[test]
fn s5_session_ends_when_the_pass_does() {
    // S5 as written (Docs2025); B2 amends it under Current (b2_ tests).
    let mut fx = Fx::docs_2025();
    let issued = fx.issue(fx.ada, PassOptions::new().lifetime_in_minutes(60));
    fx.advance(Duration::minutes(20));
    let s = fx
        .sign_in_pass(ADA, &issued.secret)
        .session()
        .unwrap()
        .clone();
    assert_eq!(
        s.expires(),
        Some(t0() + Duration::minutes(60)),
        "never after the pass's end"
    );
    fx.clock
        .set(t0() + Duration::minutes(60) - Duration::microseconds(1));
    assert_eq!(
        fx.tenant.session_status(s.id()).unwrap(),
        SessionStatus::Active
    );
    fx.clock.set(t0() + Duration::minutes(60));
    assert_eq!(
        fx.tenant.session_status(s.id()).unwrap(),
        SessionStatus::Ended {
            at: t0() + Duration::minutes(60),
            reason: SessionEndReason::PassExpired
        }
    );
    // An ended session cannot register methods: sign in again.
    let e = fx.register(s.id(), MethodKind::Passkey, "pk").unwrap_err();
    assert_eq!(e, Error::AccessDenied(Denial::SessionNotValid));
}

#[test]
fn s5_policy_changes_and_consumption_do_not_end_sessions() {
    let mut fx = Fx::enabled();
    let once = fx.issue(fx.ada, PassOptions::new().usable_once(true));
    let s = fx.ada_pass_session(&once.secret);
    fx.patch(PolicyPatch::new().state(PolicyState::Disabled));
    assert_eq!(
        fx.tenant.session_status(s).unwrap(),
        SessionStatus::Active,
        "R7"
    );
}

#[test]
fn s5_sign_out() {
    let mut fx = Fx::enabled();
    let s = fx.ada_password_session();
    fx.tenant.sign_out(s).unwrap();
    assert!(matches!(
        fx.tenant.session_status(s).unwrap(),
        SessionStatus::Ended {
            reason: SessionEndReason::SignedOut,
            ..
        }
    ));
    assert_eq!(
        fx.tenant.sign_out(SessionId(Guid::NIL)).unwrap_err().code(),
        ErrorCode::ItemNotFound
    );
}

#[test]
fn s6_ten_minute_window_after_a_one_time_pass() {
    // S6 as written (Docs2025); B2 makes it MFA freshness under Current (b2_ tests).
    let mut fx = Fx::docs_2025();
    let s = fx.ada_pass_signed_in(true);
    fx.advance(Duration::minutes(10) - Duration::microseconds(1));
    assert!(fx.register(s, MethodKind::Fido2SecurityKey, "key").is_ok());
    fx.advance(Duration::microseconds(1));
    for kind in [
        MethodKind::Fido2SecurityKey,
        MethodKind::Passkey,
        MethodKind::MicrosoftAuthenticatorPasswordless,
    ] {
        assert_eq!(
            fx.register(s, kind, "late").unwrap_err(),
            Error::AccessDenied(Denial::RegistrationWindowClosed),
            "{kind}"
        );
    }
    // Kinds outside R9's list are not limited by the window.
    assert!(
        fx.register(s, MethodKind::MicrosoftAuthenticatorPush, "push")
            .is_ok()
    );
    assert!(
        fx.register(s, MethodKind::WindowsHelloForBusiness, "whfb")
            .is_ok()
    );
}

#[test]
fn s6_multi_use_pass_has_no_window() {
    // S6 as written (Docs2025); under Current freshness covers every session (b2_ tests).
    let mut fx = Fx::docs_2025();
    let s = fx.ada_pass_signed_in(false);
    fx.advance(Duration::minutes(90));
    assert!(fx.register(s, MethodKind::Passkey, "pk").is_ok());
}

#[test]
fn s7_lockout_after_ten_failures_for_sixty_seconds() {
    let mut fx = Fx::enabled();
    for _ in 0..9 {
        assert_eq!(
            fx.tenant.sign_in(ADA, Credential::Password("bad")).denial(),
            Some(DenialReason::InvalidCredential)
        );
    }
    assert_eq!(fx.tenant.locked_until(fx.ada), None);
    fx.tenant.sign_in(ADA, Credential::Password("bad"));
    assert_eq!(
        fx.tenant.locked_until(fx.ada),
        Some(t0() + Duration::seconds(60))
    );
    // While locked even the right password fails as locked, and nothing is counted.
    let locked = fx.tenant.sign_in(ADA, Credential::Password(ADA_PASSWORD));
    assert_eq!(locked.denial(), Some(DenialReason::AccountLocked));
    assert_eq!(locked.denial().unwrap().aadsts_code(), Some(50053));
    fx.advance(Duration::seconds(60));
    assert!(
        fx.tenant
            .sign_in(ADA, Credential::Password(ADA_PASSWORD))
            .is_allowed(),
        "open again at t + d"
    );
}

#[test]
fn s7_lockouts_double_and_success_resets_only_the_count() {
    let mut fx = Fx::build(Tenant::builder().lockout(LockoutSettings {
        threshold: 3,
        duration_seconds: 60,
    }));
    let fail = |fx: &mut Fx, n| {
        for _ in 0..n {
            fx.tenant.sign_in(ADA, Credential::Password("bad"));
        }
    };
    fail(&mut fx, 3);
    assert_eq!(
        fx.tenant.locked_until(fx.ada),
        Some(t0() + Duration::seconds(60))
    );
    fx.advance(Duration::seconds(60));
    fail(&mut fx, 2);
    assert!(
        fx.tenant
            .sign_in(ADA, Credential::Password(ADA_PASSWORD))
            .is_allowed()
    );
    fail(&mut fx, 2);
    assert_eq!(
        fx.tenant.locked_until(fx.ada),
        None,
        "the success reset the count"
    );
    fail(&mut fx, 1);
    let now = t0() + Duration::seconds(60);
    assert_eq!(
        fx.tenant.locked_until(fx.ada),
        Some(now + Duration::seconds(120)),
        "second lockout: 2 x d"
    );
    fx.advance(Duration::seconds(120));
    fail(&mut fx, 3);
    assert_eq!(
        fx.tenant.locked_until(fx.ada),
        Some(now + Duration::seconds(120) + Duration::seconds(240))
    );
}

#[test]
fn s7_correct_secret_of_unusable_pass_counts_and_locked_attempts_consume_nothing() {
    let mut fx = Fx::build(Tenant::builder().lockout(LockoutSettings {
        threshold: 2,
        duration_seconds: 30,
    }));
    fx.enable();
    let future = fx.issue(
        fx.ada,
        PassOptions::new()
            .start(t0() + Duration::minutes(1))
            .usable_once(true),
    );
    fx.sign_in_pass(ADA, &future.secret);
    fx.sign_in_pass(ADA, &future.secret);
    assert!(
        fx.tenant.locked_until(fx.ada).is_some(),
        "R6: a correct secret for an unusable pass counts"
    );
    fx.advance(Duration::minutes(1));
    fx.clock.set(t0() + Duration::seconds(29));
    assert_eq!(
        fx.sign_in_pass(ADA, &future.secret).denial(),
        Some(DenialReason::AccountLocked)
    );
    fx.clock.set(t0() + Duration::minutes(1));
    assert!(
        fx.sign_in_pass(ADA, &future.secret).is_allowed(),
        "the one-time pass was not consumed while locked"
    );
}

#[test]
fn s7_disabled_accounts_are_refused() {
    let mut fx = Fx::enabled();
    let issued = fx.issue(fx.ada, PassOptions::default());
    fx.tenant.set_account_enabled(fx.ada, false).unwrap();
    assert_eq!(
        fx.sign_in_pass(ADA, &issued.secret).denial(),
        Some(DenialReason::AccountDisabled)
    );
}

#[test]
fn s8_federated_users_sign_in_with_their_pass_in_the_tenant() {
    let mut fx = Fx::enabled();
    let fed = fx
        .tenant
        .add_user(
            NewUser::member("fed@contoso.com", "Fed")
                .federated(true)
                .password("pw"),
        )
        .unwrap();
    let issued = fx.issue(fed, PassOptions::default());
    let out = fx.sign_in_pass("fed@contoso.com", &issued.secret);
    assert!(out.is_allowed());
    let fed_check = out.trace.iter().find(|c| c.name == "federation").unwrap();
    assert!(
        fed_check.passed
            && fed_check
                .detail
                .contains("not sent to the federation provider")
    );
}

#[test]
fn s9_every_attempt_appends_one_record_with_entras_fields() {
    let mut fx = Fx::enabled();
    let issued = fx.issue(fx.ada, PassOptions::default());
    fx.tenant.sign_in(ADA, Credential::Pass("wrong-one"));
    let ok = fx.sign_in_pass(ADA, &issued.secret);
    fx.tenant.sign_in(ADA, Credential::Password(ADA_PASSWORD));
    let log = fx.tenant.sign_in_log();
    assert_eq!(log.len(), 3);
    let json = serde_json::to_value(log).unwrap();
    let rec = &json[1];
    assert_eq!(log[1].id, ok.log_record);
    assert_eq!(rec["userPrincipalName"], ADA);
    assert_eq!(rec["status"]["errorCode"], 0);
    assert_eq!(
        rec["authenticationDetails"][0]["authenticationMethod"],
        "Temporary Access Pass"
    );
    assert_eq!(rec["authenticationDetails"][0]["succeeded"], true);
    assert_eq!(
        rec["authenticationRequirement"],
        "multiFactorAuthentication"
    );
    assert_eq!(rec["createdDateTime"], "2026-01-05T09:00:00Z");
    assert_eq!(json[0]["status"]["errorCode"], 50126);
    assert_eq!(json[0]["authenticationDetails"][0]["succeeded"], false);
    assert_eq!(
        json[2]["authenticationDetails"][0]["authenticationMethod"],
        "Password"
    );
    assert_eq!(
        json[2]["authenticationRequirement"],
        "singleFactorAuthentication"
    );
    // Sign-ins leave no audit record (R10).
    assert!(fx.tenant.audit_log().iter().all(|r| r.activity().is_some()));
    assert_eq!(
        fx.tenant.audit_log().len(),
        2,
        "policy update and pass creation only"
    );
}

fn two_tenants() -> (World, TenantId, TenantId, UserId, UserId, ManualClock) {
    two_tenants_with(Profile::Current)
}

/// Two tenants of one profile: a home with Bob and a resource with Bob as a guest.
pub(crate) fn two_tenants_with(
    profile: Profile,
) -> (World, TenantId, TenantId, UserId, UserId, ManualClock) {
    let clock = ManualClock::new(t0());
    let shared: Arc<dyn Clock> = Arc::new(clock.clone());
    let mut home = Tenant::builder()
        .profile(profile)
        .seed(10)
        .domain("fabrikam.com")
        .shared_clock(shared.clone())
        .hash_cost(HashCost::Minimum)
        .build()
        .unwrap();
    let mut resource = Tenant::builder()
        .profile(profile)
        .seed(20)
        .shared_clock(shared)
        .hash_cost(HashCost::Minimum)
        .build()
        .unwrap();
    let home_admin = home
        .add_user(NewUser::member("admin@fabrikam.com", "Admin").role(Role::GlobalAdministrator))
        .unwrap();
    let bob = home
        .add_user(NewUser::member("bob@fabrikam.com", "Bob").password("bob-pw"))
        .unwrap();
    home.update_policy(home_admin, &PolicyPatch::new().state(PolicyState::Enabled))
        .unwrap();
    let guest = resource
        .add_user(
            NewUser::member("bob_fabrikam.com#EXT#@contoso.com", "Bob (guest)")
                .user_type(UserType::ExternalGuest),
        )
        .unwrap();
    let mut world = World::new();
    let h = world.add(home).unwrap();
    let r = world.add(resource).unwrap();
    world.link_guest(r, guest, h, bob).unwrap();
    (world, h, r, bob, guest, clock)
}

/// The home tenant's Global Administrator issues `bob` a pass.
pub(crate) fn issue_at_home(
    world: &mut World,
    h: TenantId,
    bob: UserId,
    options: PassOptions,
) -> IssuedPass {
    let home = world.tenant_mut(h).unwrap();
    let admin = home.user_by_upn("admin@fabrikam.com").unwrap().id();
    home.create_pass(admin, bob, options).unwrap()
}

/// Bob signs in to the resource tenant with his home pass.
pub(crate) fn guest_signs_in_with(
    world: &mut World,
    r: TenantId,
    issued: &IssuedPass,
) -> SignInOutcome {
    world
        .sign_in(
            r,
            "bob@fabrikam.com",
            Credential::Pass(issued.secret.danger_reveal()),
        )
        .unwrap()
}

/// The resource tenant trusts the home tenant's MFA; the home admin issues Bob a default
/// pass and he signs in to the resource tenant with it, which must be allowed: the pass
/// and his guest session.
pub(crate) fn trusted_guest_pass_session(
    world: &mut World,
    h: TenantId,
    r: TenantId,
    bob: UserId,
) -> (IssuedPass, Session) {
    world.tenant_mut(r).unwrap().set_inbound_mfa_trust(h, true);
    let issued = issue_at_home(world, h, bob, PassOptions::default());
    let session = guest_signs_in_with(world, r, &issued)
        .session()
        .unwrap()
        .clone();
    (issued, session)
}

#[test]
fn s10_guest_signs_in_with_home_pass_mfa_only_when_trusted() {
    let (mut world, h, r, bob, guest, _clock) = two_tenants();
    let issued = issue_at_home(&mut world, h, bob, PassOptions::default());
    let out = guest_signs_in_with(&mut world, r, &issued);
    let s = out.session().unwrap();
    assert_eq!(s.user(), guest);
    assert!(!s.satisfies_mfa(), "no inbound trust: single factor here");
    world.tenant_mut(r).unwrap().set_inbound_mfa_trust(h, true);
    let out = guest_signs_in_with(&mut world, r, &issued);
    assert!(out.session().unwrap().satisfies_mfa());
    assert!(out.trace.iter().any(|c| c.name == "cross-tenant trust"));
    // Both tenants logged both attempts; the resource's records name the home tenant.
    assert_eq!(world.tenant(h).unwrap().sign_in_log().len(), 2);
    let rlog = world.tenant(r).unwrap().sign_in_log();
    assert_eq!(rlog.len(), 2);
    assert!(
        rlog.iter()
            .all(|x| x.home_tenant_id == h && x.resource_tenant_id == r)
    );
    // The home tenant's records name the same resource (Graph's `resourceTenantId` is the
    // tenant signed in to; `homeTenantId` the user's).
    assert!(
        world
            .tenant(h)
            .unwrap()
            .sign_in_log()
            .iter()
            .all(|x| x.home_tenant_id == h && x.resource_tenant_id == r)
    );
    // A password at home is single factor: never MFA, trusted or not.
    let pw = world
        .sign_in(r, "bob@fabrikam.com", Credential::Password("bob-pw"))
        .unwrap();
    assert!(!pw.session().unwrap().satisfies_mfa());
}

#[test]
fn s10_home_tenant_consumes_one_time_passes_and_applies_lockout() {
    let (mut world, h, r, bob, _guest, _clock) = two_tenants();
    let once = issue_at_home(&mut world, h, bob, PassOptions::new().usable_once(true));
    assert!(
        world
            .sign_in(
                r,
                "bob@fabrikam.com",
                Credential::Pass(once.secret.danger_reveal())
            )
            .unwrap()
            .is_allowed()
    );
    let again = guest_signs_in_with(&mut world, r, &once);
    assert_eq!(again.denial(), Some(DenialReason::PassOneTimeUsed));
    assert_eq!(
        world
            .tenant(h)
            .unwrap()
            .pass_view(bob)
            .unwrap()
            .method_usability_reason,
        UsabilityReason::OneTimeUsed
    );
    for _ in 0..10 {
        world
            .sign_in(r, "bob@fabrikam.com", Credential::Password("wrong"))
            .unwrap();
    }
    assert!(world.tenant(h).unwrap().locked_until(bob).is_some());
}

#[test]
fn s10_external_guest_cannot_be_issued_a_pass_in_the_resource_tenant() {
    let (mut world, _h, r, _bob, guest, _clock) = two_tenants();
    let t = world.tenant_mut(r).unwrap();
    let ga = t
        .add_user(NewUser::member("ga@contoso.com", "GA").role(Role::GlobalAdministrator))
        .unwrap();
    t.update_policy(ga, &PolicyPatch::new().state(PolicyState::Enabled))
        .unwrap();
    assert_eq!(
        t.create_pass(ga, guest, PassOptions::default())
            .unwrap_err(),
        Error::ExternalGuest
    );
}

#[test]
fn s10_world_rejects_bad_links() {
    let (mut world, h, r, bob, guest, _clock) = two_tenants();
    assert!(matches!(
        world.link_guest(r, guest, r, guest),
        Err(Error::InvalidConfig(_))
    ));
    assert!(matches!(
        world.link_guest(r, UserId(Guid::NIL), h, bob),
        Err(Error::UserNotFound(_))
    ));
    let member = world
        .tenant_mut(r)
        .unwrap()
        .add_user(NewUser::member("m@contoso.com", "M"))
        .unwrap();
    assert!(matches!(
        world.link_guest(r, member, h, bob),
        Err(Error::InvalidConfig(_))
    ));
    let copy = world.tenant(h).unwrap().clone();
    assert!(world.add(copy).is_err(), "the same tenant id twice");
}

fn mfa_session(fx: &mut Fx) -> SessionId {
    let issued = fx.issue(fx.ada, PassOptions::new().lifetime_in_minutes(120));
    fx.ada_pass_session(&issued.secret)
}

#[test]
fn m1_method_kinds() {
    let names: Vec<&str> = MethodKind::ALL.iter().map(|k| k.display_name()).collect();
    for n in [
        "Password",
        "Temporary Access Pass",
        "FIDO2 security key",
        "Passkey",
        "Windows Hello for Business",
        "Text message",
        "Phone call",
        "OATH verification code",
        "Passwordless phone sign-in",
        "Mobile app notification",
    ] {
        assert!(names.contains(&n), "{n}");
    }
    assert_eq!(
        "fido2SecurityKey".parse::<MethodKind>().unwrap(),
        MethodKind::Fido2SecurityKey
    );
    assert_eq!(
        "Passkey".parse::<MethodKind>().unwrap(),
        MethodKind::Passkey
    );
    assert!("carrier pigeon".parse::<MethodKind>().is_err());
}

#[test]
fn m2_registering_needs_an_mfa_session() {
    let mut fx = Fx::enabled();
    let pw = fx.ada_password_session();
    let before = fx.state_json();
    assert_eq!(
        fx.register(pw, MethodKind::Fido2SecurityKey, "k")
            .unwrap_err(),
        Error::AccessDenied(Denial::SessionNotMultifactor)
    );
    assert_eq!(fx.state_json(), before);
    assert_eq!(
        fx.register(SessionId(Guid::NIL), MethodKind::Passkey, "k")
            .unwrap_err()
            .code(),
        ErrorCode::ItemNotFound
    );
    let s = mfa_session(&mut fx);
    let key = fx
        .register(s, MethodKind::Fido2SecurityKey, "YubiKey")
        .unwrap();
    assert_eq!(key.user(), fx.ada);
    let rec = fx.tenant.audit_log().last().unwrap();
    assert_eq!(rec.activity_display_name, "User registered security info");
    assert_eq!(rec.initiated_by.user.user_principal_name, ADA);
}

#[test]
fn m2_password_and_pass_cannot_be_registered() {
    let mut fx = Fx::enabled();
    let s = mfa_session(&mut fx);
    for kind in [MethodKind::Password, MethodKind::TemporaryAccessPass] {
        let e = fx.register(s, kind, "x").unwrap_err();
        assert_eq!(e.code(), ErrorCode::BadRequest, "{kind}");
    }
}

#[test]
fn m3_possession_is_real() {
    let mut fx = Fx::enabled();
    let s = mfa_session(&mut fx);
    let key = fx.register(s, MethodKind::Fido2SecurityKey, "key").unwrap();
    assert!(
        fx.tenant
            .sign_in(ADA, Credential::Device(&key))
            .session()
            .unwrap()
            .satisfies_mfa()
    );
    let forged = Device::danger_forge(fx.ada, key.method(), key.kind(), "guess");
    assert_eq!(
        fx.tenant.sign_in(ADA, Credential::Device(&forged)).denial(),
        Some(DenialReason::InvalidCredential)
    );
    // Someone else's device does not sign in as Ada.
    assert_eq!(
        fx.tenant
            .sign_in("bob@contoso.com", Credential::Device(&key))
            .denial(),
        Some(DenialReason::InvalidCredential)
    );
    assert!(!format!("{key:?}").contains(key.danger_secret().danger_reveal()));
    drop(key); // Losing the device: nothing else can sign in as it.
}

#[test]
fn m3_r8_second_factor_methods_need_the_password() {
    let mut fx = Fx::enabled();
    let s = mfa_session(&mut fx);
    for kind in [
        MethodKind::MicrosoftAuthenticatorPush,
        MethodKind::Sms,
        MethodKind::Voice,
        MethodKind::SoftwareOath,
    ] {
        let d = fx.register(s, kind, "d").unwrap();
        assert_eq!(
            fx.tenant.sign_in(ADA, Credential::Device(&d)).denial(),
            Some(DenialReason::PasswordRequired),
            "{kind}"
        );
        let both = fx
            .tenant
            .sign_in(ADA, Credential::PasswordAndDevice(ADA_PASSWORD, &d));
        assert!(both.session().unwrap().satisfies_mfa(), "{kind}");
        assert_eq!(
            fx.tenant
                .sign_in(ADA, Credential::PasswordAndDevice("wrong", &d))
                .denial(),
            Some(DenialReason::InvalidCredential)
        );
    }
    for kind in [
        MethodKind::Fido2SecurityKey,
        MethodKind::Passkey,
        MethodKind::MicrosoftAuthenticatorPasswordless,
        MethodKind::WindowsHelloForBusiness,
    ] {
        let d = fx.register(s, kind, "d").unwrap();
        assert!(
            fx.tenant
                .sign_in(ADA, Credential::Device(&d))
                .session()
                .unwrap()
                .satisfies_mfa(),
            "{kind}"
        );
    }
}

#[test]
fn m4_user_removes_old_methods() {
    let mut fx = Fx::enabled();
    let old = fx.provision(fx.ada, MethodKind::MicrosoftAuthenticatorPush, "lost phone");
    let s = mfa_session(&mut fx);
    fx.tenant
        .remove_method(fx.ada, fx.ada, old.method())
        .unwrap();
    assert_eq!(
        fx.tenant
            .sign_in(ADA, Credential::PasswordAndDevice(ADA_PASSWORD, &old))
            .denial(),
        Some(DenialReason::InvalidCredential),
        "a removed method no longer signs in"
    );
    assert_eq!(
        fx.tenant.session_status(s).unwrap(),
        SessionStatus::Active,
        "R7: removal ends no session"
    );
    let rec = fx.tenant.audit_log().last().unwrap();
    assert_eq!(rec.activity(), Some(Activity::UserDeletedMethod));
    assert_eq!(rec.activity_display_name, "User deleted security info");
    assert_eq!(
        fx.tenant
            .remove_method(fx.ada, fx.ada, old.method())
            .unwrap_err()
            .code(),
        ErrorCode::ItemNotFound
    );
}

#[test]
fn m4_admins_remove_methods_within_t9_limits() {
    let mut fx = Fx::enabled();
    let d = fx.provision(fx.ada, MethodKind::Sms, "+1 555 0100");
    assert_eq!(
        fx.tenant
            .remove_method(fx.bob, fx.ada, d.method())
            .unwrap_err()
            .code(),
        ErrorCode::AccessDenied
    );
    assert_eq!(
        fx.tenant
            .remove_method(fx.global_reader, fx.ada, d.method())
            .unwrap_err()
            .code(),
        ErrorCode::AccessDenied
    );
    fx.tenant
        .remove_method(fx.auth_admin, fx.ada, d.method())
        .unwrap();
    assert_eq!(
        fx.tenant.audit_log().last().unwrap().activity_display_name,
        "Admin deleted security info"
    );
    let ga_key = fx.provision(fx.global_admin, MethodKind::Fido2SecurityKey, "ga key");
    assert_eq!(
        fx.tenant
            .remove_method(fx.auth_admin, fx.global_admin, ga_key.method())
            .unwrap_err(),
        Error::AccessDenied(Denial::TargetTooPrivileged {
            role: Role::GlobalAdministrator
        })
    );
    fx.tenant
        .remove_method(fx.priv_auth_admin, fx.global_admin, ga_key.method())
        .unwrap();
}

#[test]
fn m5_every_registrable_kind_after_a_pass() {
    let mut fx = Fx::enabled();
    let s = mfa_session(&mut fx);
    let kinds: Vec<MethodKind> = MethodKind::ALL
        .into_iter()
        .filter(|k| k.is_registrable())
        .collect();
    assert_eq!(kinds.len(), 9);
    for kind in &kinds {
        fx.register(s, *kind, kind.display_name()).unwrap();
    }
    let listed = fx.tenant.list_methods(fx.auth_admin, fx.ada).unwrap();
    assert_eq!(listed.iter().map(|m| m.kind).collect::<Vec<_>>(), kinds);
    let json = serde_json::to_value(&listed).unwrap();
    assert_eq!(
        json[2]["@odata.type"],
        "#microsoft.graph.fido2AuthenticationMethod"
    );
    assert_eq!(
        json[5]["@odata.type"],
        "#microsoft.graph.phoneAuthenticationMethod"
    );
}

#[test]
fn s7_every_failed_attempt_counts_whatever_the_credential() {
    let mut fx = Fx::build(Tenant::builder().lockout(LockoutSettings {
        threshold: 3,
        duration_seconds: 60,
    }));
    fx.enable();
    let push = fx.provision(fx.ada, MethodKind::MicrosoftAuthenticatorPush, "phone");
    assert_eq!(
        fx.tenant.sign_in(ADA, Credential::Device(&push)).denial(),
        Some(DenialReason::PasswordRequired)
    );
    assert_eq!(
        fx.tenant
            .sign_in(ADA, Credential::Pass("no-such-pass"))
            .denial(),
        Some(DenialReason::InvalidCredential)
    );
    assert_eq!(fx.tenant.locked_until(fx.ada), None);
    fx.tenant.sign_in(ADA, Credential::Password("wrong"));
    assert_eq!(
        fx.tenant.locked_until(fx.ada),
        Some(t0() + Duration::seconds(60)),
        "R6"
    );
}

#[test]
fn s10_guest_session_ends_with_the_home_pass() {
    // As written (Docs2025): the home session ends with the deleted pass, and the
    // guest's with it. Under Current see b2_a_guest_session_outlives_the_home_pass.
    let (mut world, h, r, bob, _guest, clock) = two_tenants_with(Profile::Docs2025);
    let (issued, session) = trusted_guest_pass_session(&mut world, h, r, bob);
    let s = session.id();
    assert_eq!(world.session_status(r, s).unwrap(), SessionStatus::Active);
    clock.advance(Duration::minutes(5));
    // Bob deletes his own pass at home (spec T9: users may).
    world
        .tenant_mut(h)
        .unwrap()
        .delete_pass(bob, bob, issued.pass.id)
        .unwrap();
    assert_eq!(
        world.session_status(r, s).unwrap(),
        SessionStatus::Ended {
            at: t0() + Duration::minutes(5),
            reason: SessionEndReason::PassDeleted
        }
    );
    assert!(world.session_status(r, SessionId(Guid::NIL)).is_err());
}

#[test]
fn s10_disabled_guest_is_refused_by_the_resource_tenant_once_home_proves_the_pass() {
    let (mut world, h, r, bob, guest, _clock) = two_tenants();
    let once = issue_at_home(&mut world, h, bob, PassOptions::new().usable_once(true));
    world
        .tenant_mut(r)
        .unwrap()
        .set_account_enabled(guest, false)
        .unwrap();
    let out = guest_signs_in_with(&mut world, r, &once);
    assert_eq!(out.denial(), Some(DenialReason::AccountDisabled));
    // The home tenant proved the pass, so it logs the refused attempt too (R11, R15).
    let home_log = world.tenant(h).unwrap().sign_in_log();
    assert_eq!(home_log.len(), 1);
    assert_eq!(
        home_log[0].status.additional_details.as_deref(),
        Some("accountDisabled")
    );
    assert_eq!(world.tenant(r).unwrap().sign_in_log().len(), 1);
    assert!(
        world.tenant(h).unwrap().pass_view(bob).unwrap().is_usable,
        "nothing consumed"
    );
}

#[test]
fn s9_the_log_records_the_accounts_own_upn() {
    let mut fx = Fx::enabled();
    fx.tenant
        .sign_in("ADA@Contoso.com", Credential::Password(ADA_PASSWORD));
    fx.tenant
        .sign_in("Nobody@Contoso.com", Credential::Password("x"));
    let log = fx.tenant.sign_in_log();
    assert_eq!(log[0].user_principal_name, ADA);
    assert_eq!(
        log[1].user_principal_name, "Nobody@Contoso.com",
        "unknown: as typed"
    );
}

#[test]
fn s2_r5_a_disabled_account_is_told_only_to_the_right_secret() {
    let mut fx = Fx::enabled();
    let issued = fx.issue(fx.ada, PassOptions::default());
    fx.tenant.set_account_enabled(fx.ada, false).unwrap();
    assert_eq!(
        fx.tenant
            .sign_in(ADA, Credential::Pass("wrong-value"))
            .denial(),
        Some(DenialReason::InvalidCredential)
    );
    assert_eq!(
        fx.tenant
            .sign_in(ADA, Credential::Password("wrong"))
            .denial(),
        Some(DenialReason::InvalidCredential)
    );
    assert_eq!(
        fx.sign_in_pass(ADA, &issued.secret).denial(),
        Some(DenialReason::AccountDisabled)
    );
    assert_eq!(
        fx.tenant
            .sign_in(ADA, Credential::Password(ADA_PASSWORD))
            .denial(),
        Some(DenialReason::AccountDisabled)
    );
}

#[test]
fn s7_a_lockout_too_long_to_represent_still_locks() {
    let mut fx = Fx::build(Tenant::builder().lockout(LockoutSettings {
        threshold: 1,
        duration_seconds: i64::MAX / 1000,
    }));
    fx.tenant.sign_in(ADA, Credential::Password("wrong"));
    assert_eq!(
        fx.tenant.locked_until(fx.ada),
        Some(graph::latest_instant())
    );
    assert_eq!(
        fx.tenant
            .sign_in(ADA, Credential::Password(ADA_PASSWORD))
            .denial(),
        Some(DenialReason::AccountLocked)
    );
}

#[test]
fn r6_lockout_length_never_shrinks_at_any_count() {
    for duration_seconds in [1, 60, 3_600, i64::MAX / 1_000] {
        let s = LockoutSettings {
            threshold: 10,
            duration_seconds,
        };
        assert_eq!(s.lockout_length(1).num_seconds(), duration_seconds);
        assert_eq!(s.lockout_length(0), s.lockout_length(1));
        let mut last = s.lockout_length(1);
        for n in (2..=200).chain([u32::MAX - 1, u32::MAX]) {
            let len = s.lockout_length(n);
            assert!(
                len >= last,
                "lockout {n} ({len}) shorter than the one before ({last})"
            );
            assert!(len > chrono::Duration::zero());
            last = len;
        }
    }
    let s = LockoutSettings::default();
    assert_eq!(s.lockout_length(2).num_seconds(), 120);
    // Around the i64 shift limit: the 64th and 65th lockouts saturate, never wrap.
    assert!(s.lockout_length(64) >= s.lockout_length(63));
    assert_eq!(s.lockout_length(65), s.lockout_length(64));
}

// ---- R12: federated users ---------------------------------------------------------------

fn federated(fx: &mut Fx) -> UserId {
    fx.tenant
        .add_user(
            NewUser::member("fed@contoso.com", "Fed")
                .federated(true)
                .password("fed-password"),
        )
        .unwrap()
}

#[test]
fn r12_a_federated_password_is_checked_by_the_simulated_federation_provider() {
    let mut fx = Fx::enabled();
    federated(&mut fx);
    let out = fx
        .tenant
        .sign_in("fed@contoso.com", Credential::Password("fed-password"));
    let s = out.session().expect("the federated password works");
    assert!(!s.satisfies_mfa(), "a password alone is single-factor (S4)");
    assert_eq!(s.source(), &SessionSource::Password);
    let names: Vec<_> = out.trace.iter().map(|c| c.name.as_ref()).collect();
    assert_eq!(
        names,
        ["user", "lockout", "federation", "credential", "account"]
    );
    assert!(out.trace[2].detail.contains("federation provider"));
    assert!(out.trace[3].passed);
    assert!(
        out.trace[3]
            .detail
            .contains("the federation provider verified the password"),
        "{:?}",
        out.trace[3]
    );
    // A wrong password: the same invalid credential as anyone's, said by the provider.
    let out = fx
        .tenant
        .sign_in("fed@contoso.com", Credential::Password("wrong"));
    assert_eq!(out.denial(), Some(DenialReason::InvalidCredential));
    assert!(out.trace[3].detail.contains("federation provider rejected"));
    // The password and a second factor work too (R8).
    let fed = fx.tenant.user_by_upn("fed@contoso.com").unwrap().id();
    let phone = fx.provision(fed, MethodKind::MicrosoftAuthenticatorPush, "phone");
    let out = fx.tenant.sign_in(
        "fed@contoso.com",
        Credential::PasswordAndDevice("fed-password", &phone),
    );
    assert!(out.session().unwrap().satisfies_mfa());
}

#[test]
fn r12_federated_passwords_are_checked_after_lockout_and_count_toward_it() {
    let mut fx = Fx::build(Tenant::builder().lockout(LockoutSettings {
        threshold: 2,
        duration_seconds: 60,
    }));
    fx.enable();
    let fed = federated(&mut fx);
    for _ in 0..2 {
        let out = fx
            .tenant
            .sign_in("fed@contoso.com", Credential::Password("wrong"));
        assert_eq!(out.denial(), Some(DenialReason::InvalidCredential));
    }
    assert_eq!(
        fx.tenant.locked_until(fed),
        Some(t0() + Duration::seconds(60))
    );
    // Locked: even the right password is refused before the provider is asked.
    let out = fx
        .tenant
        .sign_in("fed@contoso.com", Credential::Password("fed-password"));
    assert_eq!(out.denial(), Some(DenialReason::AccountLocked));
    assert!(
        out.trace
            .iter()
            .all(|c| c.name != "credential" && c.name != "federation")
    );
    fx.advance(Duration::seconds(60));
    assert!(
        fx.tenant
            .sign_in("fed@contoso.com", Credential::Password("fed-password"))
            .is_allowed()
    );
    // Disabled: told only to the right password (R5), and it counts.
    fx.tenant.set_account_enabled(fed, false).unwrap();
    let wrong = fx
        .tenant
        .sign_in("fed@contoso.com", Credential::Password("wrong"));
    assert_eq!(wrong.denial(), Some(DenialReason::InvalidCredential));
    let right = fx
        .tenant
        .sign_in("fed@contoso.com", Credential::Password("fed-password"));
    assert_eq!(right.denial(), Some(DenialReason::AccountDisabled));
    assert!(
        fx.tenant.locked_until(fed).is_some(),
        "both failures counted"
    );
}

// ---- R13: what the sign-in screen offers ------------------------------------------------

#[test]
fn r13_the_pass_is_offered_only_while_it_reads_enabled_by_policy() {
    let mut fx = Fx::enabled();
    assert_eq!(fx.tenant.offer(ADA), OfferedCredential::Password);
    assert_eq!(
        fx.tenant.offer("nobody@contoso.com"),
        OfferedCredential::Password
    );
    // Not yet valid, then valid from its start (inclusive) to its end (exclusive).
    let start = t0() + Duration::minutes(30);
    let issued = fx.issue(fx.ada, PassOptions::new().start(start).usable_once(true));
    assert_eq!(fx.tenant.offer(ADA), OfferedCredential::Password);
    fx.advance(Duration::minutes(30) - Duration::microseconds(1));
    assert_eq!(fx.tenant.offer(ADA), OfferedCredential::Password);
    fx.advance(Duration::microseconds(1));
    assert_eq!(fx.tenant.offer(ADA), OfferedCredential::TemporaryAccessPass);
    assert_eq!(
        fx.tenant.offer("ADA@CONTOSO.COM"),
        OfferedCredential::TemporaryAccessPass
    );
    assert_eq!(
        OfferedCredential::TemporaryAccessPass.as_str(),
        "Temporary Access Pass"
    );
    assert_eq!(OfferedCredential::Password.to_string(), "Password");
    assert_eq!(
        serde_json::to_value(OfferedCredential::TemporaryAccessPass).unwrap(),
        "temporaryAccessPass"
    );
    // The policy reaches it (P7): disabled, then enabled again.
    fx.patch(PolicyPatch::new().state(PolicyState::Disabled));
    assert_eq!(fx.tenant.offer(ADA), OfferedCredential::Password);
    fx.enable();
    assert_eq!(fx.tenant.offer(ADA), OfferedCredential::TemporaryAccessPass);
    // Consumed: no longer offered.
    assert!(fx.sign_in_pass(ADA, &issued.secret).is_allowed());
    assert_eq!(fx.tenant.offer(ADA), OfferedCredential::Password);
    // A multi-use pass until its end, exclusive.
    fx.issue(fx.ada, PassOptions::new().usable_once(false));
    assert_eq!(fx.tenant.offer(ADA), OfferedCredential::TemporaryAccessPass);
    fx.advance(Duration::minutes(60) - Duration::microseconds(1));
    assert_eq!(fx.tenant.offer(ADA), OfferedCredential::TemporaryAccessPass);
    fx.advance(Duration::microseconds(1));
    assert_eq!(fx.tenant.offer(ADA), OfferedCredential::Password);
    // Deleted: gone.
    let fresh = fx.issue(fx.ada, PassOptions::default());
    assert_eq!(fx.tenant.offer(ADA), OfferedCredential::TemporaryAccessPass);
    fx.tenant
        .delete_pass(fx.auth_admin, fx.ada, fresh.pass.id)
        .unwrap();
    assert_eq!(fx.tenant.offer(ADA), OfferedCredential::Password);
}

#[test]
fn r13_offering_asks_nothing_counts_nothing_and_logs_nothing() {
    let mut fx = Fx::build(Tenant::builder().lockout(LockoutSettings {
        threshold: 1,
        duration_seconds: 60,
    }));
    fx.enable();
    fx.issue(fx.ada, PassOptions::default());
    let before = fx.state_json();
    for _ in 0..5 {
        assert_eq!(fx.tenant.offer(ADA), OfferedCredential::TemporaryAccessPass);
        assert_eq!(
            fx.tenant.offer("ghost@contoso.com"),
            OfferedCredential::Password
        );
    }
    assert_eq!(
        fx.state_json(),
        before,
        "no log record, no lockout count, no RNG draw"
    );
    assert_eq!(fx.tenant.locked_until(fx.ada), None);
    // Locked or disabled: the same answer as otherwise.
    fx.tenant.sign_in(ADA, Credential::Password("wrong"));
    assert!(fx.tenant.locked_until(fx.ada).is_some());
    assert_eq!(fx.tenant.offer(ADA), OfferedCredential::TemporaryAccessPass);
    fx.tenant.set_account_enabled(fx.ada, false).unwrap();
    assert_eq!(fx.tenant.offer(ADA), OfferedCredential::TemporaryAccessPass);
    fx.tenant.set_account_enabled(fx.bob, false).unwrap();
    assert_eq!(
        fx.tenant.offer("bob@contoso.com"),
        OfferedCredential::Password
    );
}

// ---- R15: disabled accounts and revoked sessions ------------------------------------------

fn revoked_at(at: chrono::DateTime<chrono::Utc>) -> SessionStatus {
    SessionStatus::Ended {
        at,
        reason: SessionEndReason::Revoked,
    }
}

#[test]
fn r15_revocation_ends_every_live_session_of_the_user_and_leaves_one_record() {
    let mut fx = Fx::enabled();
    let issued = fx.issue(fx.ada, PassOptions::default());
    let by_pass = fx.ada_pass_session(&issued.secret);
    let by_password = fx.ada_password_session();
    let signed_out = fx.ada_password_session();
    fx.tenant.sign_out(signed_out).unwrap();
    fx.tenant.set_password(fx.bob, "bob-password").unwrap();
    let bobs = fx
        .tenant
        .sign_in("bob@contoso.com", Credential::Password("bob-password"))
        .session()
        .unwrap()
        .id();
    fx.advance(Duration::minutes(3));
    let audits = fx.tenant.audit_log().len();
    assert_eq!(
        fx.tenant
            .revoke_sign_in_sessions(fx.global_admin, fx.ada)
            .unwrap(),
        2,
        "the two live sessions; the signed-out one was not live"
    );
    let now = t0() + Duration::minutes(3);
    for s in [by_pass, by_password] {
        assert_eq!(fx.tenant.session_status(s).unwrap(), revoked_at(now));
    }
    assert!(matches!(
        fx.tenant.session_status(signed_out).unwrap(),
        SessionStatus::Ended {
            reason: SessionEndReason::SignedOut,
            ..
        }
    ));
    assert_eq!(
        fx.tenant.session_status(bobs).unwrap(),
        SessionStatus::Active
    );
    // One record, Core Directory's.
    let log = fx.tenant.audit_log();
    assert_eq!(log.len(), audits + 1);
    let r = log.last().unwrap();
    assert_eq!(r.activity(), Some(Activity::RevokeSignInSessions));
    assert_eq!(
        r.activity_display_name,
        "Invalidate all refresh tokens for user"
    );
    assert_eq!(r.category, "UserManagement");
    assert_eq!(r.logged_by_service, "Core Directory");
    assert_eq!(r.logged_by_service, CORE_DIRECTORY_SERVICE);
    assert_eq!(r.initiated_by.user.id, fx.global_admin.guid());
    assert_eq!(r.target_user(), Some(fx.ada.to_string().as_str()));
    assert_eq!(r.activity_date_time, now);
    // A revoked session registers nothing; the pass still signs in anew (multi-use).
    let e = fx
        .register(by_pass, MethodKind::Fido2SecurityKey, "key")
        .unwrap_err();
    assert_eq!(e, Error::AccessDenied(Denial::SessionNotValid));
    assert!(fx.sign_in_pass(ADA, &issued.secret).is_allowed());
    // Nothing live: still a success, still one record. Users may revoke their own.
    let fresh = fx.ada_pass_session(&issued.secret);
    assert_eq!(
        fx.tenant.revoke_sign_in_sessions(fx.ada, fx.ada).unwrap(),
        2
    );
    assert_eq!(fx.tenant.session_status(fresh).unwrap(), revoked_at(now));
    assert_eq!(
        fx.tenant.revoke_sign_in_sessions(fx.ada, fx.ada).unwrap(),
        0
    );
    assert_eq!(fx.tenant.audit_log().len(), audits + 3);
    assert_eq!(
        fx.tenant.audit_log().last().unwrap().initiated_by.user.id,
        fx.ada.guid()
    );
}

#[test]
fn r15_who_may_revoke_follows_the_reset_passwords_table() {
    let mut fx = Fx::enabled();
    let helpdesk = fx.user_with_role("hd@contoso.com", Role::HelpdeskAdministrator);
    let password_admin = fx.user_with_role("pw@contoso.com", Role::PasswordAdministrator);
    let user_admin = fx.user_with_role("ua@contoso.com", Role::UserAdministrator);
    let groups_admin = fx.user_with_role("gra@contoso.com", Role::GroupsAdministrator);
    let reports = fx.user_with_role("rr@contoso.com", Role::ReportsReader);
    let (ga, paa, aa, apa, gr, ada) = (
        fx.global_admin,
        fx.priv_auth_admin,
        fx.auth_admin,
        fx.policy_admin,
        fx.global_reader,
        fx.ada,
    );
    let allowed = [
        (ga, ga),
        (ga, paa),
        (paa, ga),
        (paa, paa),
        (aa, ada),
        (aa, aa),
        (aa, reports),
        (aa, password_admin),
        (helpdesk, ada),
        (helpdesk, helpdesk),
        (helpdesk, password_admin),
        (helpdesk, reports),
        (password_admin, ada),
        (password_admin, password_admin),
        (user_admin, ada),
        (user_admin, groups_admin),
        (user_admin, helpdesk),
        (user_admin, user_admin),
        (ada, ada),
        (gr, gr),
        (apa, apa),
    ];
    for (actor, user) in allowed {
        fx.tenant
            .revoke_sign_in_sessions(actor, user)
            .unwrap_or_else(|e| panic!("{actor} on {user}: {e}"));
    }
    let before = fx.state_json();
    let out_of_reach = [
        (
            aa,
            ga,
            Role::AuthenticationAdministrator,
            Role::GlobalAdministrator,
        ),
        (
            aa,
            helpdesk,
            Role::AuthenticationAdministrator,
            Role::HelpdeskAdministrator,
        ),
        (
            helpdesk,
            aa,
            Role::HelpdeskAdministrator,
            Role::AuthenticationAdministrator,
        ),
        (
            helpdesk,
            user_admin,
            Role::HelpdeskAdministrator,
            Role::UserAdministrator,
        ),
        (
            password_admin,
            helpdesk,
            Role::PasswordAdministrator,
            Role::HelpdeskAdministrator,
        ),
        (
            password_admin,
            reports,
            Role::PasswordAdministrator,
            Role::ReportsReader,
        ),
        (
            user_admin,
            aa,
            Role::UserAdministrator,
            Role::AuthenticationAdministrator,
        ),
        (
            user_admin,
            paa,
            Role::UserAdministrator,
            Role::PrivilegedAuthenticationAdministrator,
        ),
    ];
    for (actor, user, actor_role, target_role) in out_of_reach {
        let e = fx.tenant.revoke_sign_in_sessions(actor, user).unwrap_err();
        assert_eq!(
            e,
            Error::AccessDenied(Denial::OutOfReach {
                actor_role,
                target_role
            })
        );
    }
    for (actor, user) in [
        (gr, ada),
        (apa, ada),
        (ada, fx.bob),
        (groups_admin, ada),
        (reports, ada),
    ] {
        let e = fx.tenant.revoke_sign_in_sessions(actor, user).unwrap_err();
        assert!(
            matches!(e, Error::AccessDenied(Denial::MissingRole { .. })),
            "{e}"
        );
    }
    // R1's order: actor, then user, then permission.
    let nobody = UserId(Guid::NIL);
    assert!(matches!(
        fx.tenant
            .revoke_sign_in_sessions(nobody, nobody)
            .unwrap_err(),
        Error::AccessDenied(Denial::UnknownPrincipal(_))
    ));
    assert_eq!(
        fx.tenant
            .revoke_sign_in_sessions(ada, nobody)
            .unwrap_err()
            .code(),
        ErrorCode::ItemNotFound
    );
    assert_eq!(
        fx.state_json(),
        before,
        "rejections change nothing, RNG included"
    );
}

#[test]
fn r15_disabled_accounts_prove_first_count_consume_nothing_and_act_on_nothing() {
    let mut fx = Fx::enabled();
    let session = fx.ada_password_session();
    let multi = fx.issue(fx.ada, PassOptions::default());
    let by_pass = fx.ada_pass_session(&multi.secret);
    let key = fx
        .register(by_pass, MethodKind::Fido2SecurityKey, "key")
        .unwrap();
    fx.tenant.set_account_enabled(fx.ada, false).unwrap();
    // Disabling ends no session...
    assert_eq!(
        fx.tenant.session_status(session).unwrap(),
        SessionStatus::Active
    );
    assert_eq!(
        fx.tenant.session_status(by_pass).unwrap(),
        SessionStatus::Active
    );
    // ...but its sessions register nothing (checked before MFA: the password session is
    // told the same), and the user removes nothing.
    let before = fx.state_json();
    for s in [by_pass, session] {
        let e = fx.register(s, MethodKind::Passkey, "phone").unwrap_err();
        assert_eq!(e, Error::AccessDenied(Denial::AccountDisabled(fx.ada)));
    }
    let e = fx
        .tenant
        .remove_method(fx.ada, fx.ada, key.method())
        .unwrap_err();
    assert_eq!(e, Error::AccessDenied(Denial::AccountDisabled(fx.ada)));
    assert_eq!(fx.state_json(), before, "rejections change nothing");
    // An admin may still issue the disabled user a pass (for their return).
    let once = fx.issue(fx.ada, PassOptions::new().usable_once(true));
    // Sign-in: a wrong pass is an invalid credential; the right one is told "disabled",
    // both count, and the one-time pass is not consumed.
    let wrong = fx.tenant.sign_in(ADA, Credential::Pass("wrong-pass"));
    assert_eq!(wrong.denial(), Some(DenialReason::InvalidCredential));
    let right = fx.sign_in_pass(ADA, &once.secret);
    assert_eq!(right.denial(), Some(DenialReason::AccountDisabled));
    let names: Vec<_> = right.trace.iter().map(|c| c.name.as_ref()).collect();
    assert_eq!(names, ["user", "lockout", "credential", "account"]);
    assert_eq!(
        fx.tenant.pass_view(fx.ada).unwrap().method_usability_reason,
        UsabilityReason::EnabledByPolicy
    );
    assert_eq!(
        fx.tenant.sign_in(ADA, Credential::Device(&key)).denial(),
        Some(DenialReason::AccountDisabled)
    );
    for _ in 0..7 {
        fx.tenant.sign_in(ADA, Credential::Password(ADA_PASSWORD));
    }
    assert!(
        fx.tenant.locked_until(fx.ada).is_some(),
        "10 failures: locked"
    );
    fx.advance(Duration::seconds(60));
    // A disabled admin acts on nothing.
    fx.tenant.set_account_enabled(fx.auth_admin, false).unwrap();
    let denied = Error::AccessDenied(Denial::AccountDisabled(fx.auth_admin));
    assert_eq!(
        fx.tenant
            .create_pass(fx.auth_admin, fx.bob, PassOptions::default())
            .unwrap_err(),
        denied
    );
    assert_eq!(
        fx.tenant
            .revoke_sign_in_sessions(fx.auth_admin, fx.bob)
            .unwrap_err(),
        denied
    );
    assert_eq!(
        fx.tenant.list_passes(fx.auth_admin, fx.bob).unwrap_err(),
        denied
    );
    // Enabled again: everything works, and the one-time pass signs in once.
    fx.tenant.set_account_enabled(fx.auth_admin, true).unwrap();
    fx.tenant.set_account_enabled(fx.ada, true).unwrap();
    let by_key = fx.tenant.sign_in(ADA, Credential::Device(&key));
    fx.register(
        by_key.session().unwrap().id(),
        MethodKind::WindowsHelloForBusiness,
        "laptop",
    )
    .unwrap();
    assert!(fx.sign_in_pass(ADA, &once.secret).is_allowed());
    // Live: the password session, the key's, the one-time pass's, and (Current, B2)
    // the multi-use pass's, which outlived its replacement by the one-time pass.
    assert_eq!(
        fx.tenant
            .revoke_sign_in_sessions(fx.auth_admin, fx.ada)
            .unwrap(),
        4
    );
}

#[test]
fn r15_a_guests_resource_session_ends_with_the_revoked_home_session() {
    let (mut world, h, r, bob, guest, clock) = two_tenants();
    let (issued, session) = trusted_guest_pass_session(&mut world, h, r, bob);
    let s = session.id();
    // The resource tenant alone cannot see the home session: it refuses, not guesses.
    let e = world
        .tenant_mut(r)
        .unwrap()
        .register_method(s, MethodKind::Fido2SecurityKey, "key")
        .unwrap_err();
    assert_eq!(e, Error::AccessDenied(Denial::HomeSessionUnseen));
    // The world sees both.
    world
        .register_method(r, s, MethodKind::Fido2SecurityKey, "key")
        .unwrap();
    // Revoking the guest in the resource tenant ends nothing: the sessions are home's.
    let resource_admin = world
        .tenant_mut(r)
        .unwrap()
        .add_user(NewUser::member("ga@contoso.com", "GA").role(Role::GlobalAdministrator))
        .unwrap();
    assert_eq!(
        world
            .tenant_mut(r)
            .unwrap()
            .revoke_sign_in_sessions(resource_admin, guest)
            .unwrap(),
        0
    );
    assert_eq!(world.session_status(r, s).unwrap(), SessionStatus::Active);
    assert_eq!(world.tenant(r).unwrap().audit_log().len(), 2);
    // Revoking Bob at home ends his resource session too.
    clock.advance(Duration::minutes(2));
    let home_admin = world
        .tenant(h)
        .unwrap()
        .user_by_upn("admin@fabrikam.com")
        .unwrap()
        .id();
    assert_eq!(
        world
            .tenant_mut(h)
            .unwrap()
            .revoke_sign_in_sessions(home_admin, bob)
            .unwrap(),
        1
    );
    let now = t0() + Duration::minutes(2);
    assert_eq!(world.session_status(r, s).unwrap(), revoked_at(now));
    let e = world
        .register_method(r, s, MethodKind::Passkey, "phone")
        .unwrap_err();
    assert_eq!(e, Error::AccessDenied(Denial::SessionNotValid));
    // A new sign-in through home opens a new, valid session.
    let again = guest_signs_in_with(&mut world, r, &issued)
        .session()
        .unwrap()
        .id();
    assert_eq!(
        world.session_status(r, again).unwrap(),
        SessionStatus::Active
    );
}

#[test]
fn r15_a_deleted_home_pass_stops_registration_in_the_resource_session() {
    // The bug this rule fixed: the resource tenant registered in a session whose home
    // pass was gone (Docs2025, where deleting the pass ends the home session).
    let (mut world, h, r, bob, _guest, _clock) = two_tenants_with(Profile::Docs2025);
    let (issued, session) = trusted_guest_pass_session(&mut world, h, r, bob);
    let s = session.id();
    world
        .tenant_mut(h)
        .unwrap()
        .delete_pass(bob, bob, issued.pass.id)
        .unwrap();
    let before = world.tenant(r).unwrap().snapshot();
    for e in [
        world
            .register_method(r, s, MethodKind::Fido2SecurityKey, "key")
            .unwrap_err(),
        world
            .tenant_mut(r)
            .unwrap()
            .register_method(s, MethodKind::Fido2SecurityKey, "key")
            .unwrap_err(),
    ] {
        assert_eq!(e.code(), ErrorCode::AccessDenied, "{e}");
    }
    assert_eq!(world.tenant(r).unwrap().snapshot(), before);
    assert!(world.tenant(r).unwrap().audit_log().is_empty());
}

// ---- R18: proving again in a session ------------------------------------------------------

#[test]
fn r18_a_step_up_refreshes_the_multifactor_time_and_changes_no_end() {
    // Docs2025, where the pass's end ends the session (Current: b2_ tests).
    let mut fx = Fx::docs_2025();
    let multi = fx.issue(fx.ada, PassOptions::new().usable_once(false));
    let first = fx.sign_in_pass(ADA, &multi.secret);
    let s = first.session().unwrap().clone();
    assert_eq!(s.last_mfa(), Some(t0()));
    fx.advance(Duration::minutes(20));
    let logs = fx.tenant.sign_in_log().len();
    let out = fx
        .tenant
        .step_up(s.id(), Credential::Pass(multi.secret.danger_reveal()))
        .unwrap();
    let after = out.session().unwrap();
    assert_eq!(after.id(), s.id());
    assert_eq!(after.last_mfa(), Some(t0() + Duration::minutes(20)));
    assert_eq!(after.signed_in(), s.signed_in());
    assert_eq!(after.expires(), s.expires(), "no end changes");
    assert_eq!(after.source(), s.source());
    assert_eq!(
        fx.tenant.session(s.id()).unwrap(),
        after,
        "stored as returned"
    );
    assert_eq!(fx.tenant.sign_in_log().len(), logs + 1);
    let rec = fx.tenant.sign_in_log().last().unwrap();
    assert_eq!(rec.id, out.log_record);
    assert!(rec.succeeded());
    assert_eq!(rec.authentication_requirement, "multiFactorAuthentication");
    // The pass still ends the session at its end.
    fx.advance(Duration::minutes(40));
    assert!(matches!(
        fx.tenant.session_status(s.id()).unwrap(),
        SessionStatus::Ended {
            reason: SessionEndReason::PassExpired,
            ..
        }
    ));
    // A password session has no multifactor time until a step-up gives it one.
    let pw = fx
        .tenant
        .sign_in(ADA, Credential::Password(ADA_PASSWORD))
        .session()
        .unwrap()
        .clone();
    assert_eq!(pw.last_mfa(), None);
    assert!(!pw.satisfies_mfa());
    let push = fx.provision(fx.ada, MethodKind::MicrosoftAuthenticatorPush, "phone");
    fx.advance(Duration::minutes(1));
    let out = fx
        .tenant
        .step_up(pw.id(), Credential::PasswordAndDevice(ADA_PASSWORD, &push))
        .unwrap();
    let s = out.session().unwrap();
    assert!(s.satisfies_mfa());
    assert_eq!(s.last_mfa(), Some(fx.tenant.now()));
    assert_eq!(s.expires(), None);
    // Now it may register (M2).
    fx.register(pw.id(), MethodKind::Passkey, "phone passkey")
        .unwrap();
}

#[test]
fn r18_the_session_is_checked_first_and_a_password_alone_is_no_step_up() {
    let mut fx = Fx::enabled();
    let multi = fx.issue(fx.ada, PassOptions::default());
    let s = fx.ada_pass_session(&multi.secret);
    let before = fx.state_json();
    // Unknown session: itemNotFound, whatever the credential.
    for cred in [
        Credential::Password(ADA_PASSWORD),
        Credential::Pass(multi.secret.danger_reveal()),
    ] {
        let e = fx.tenant.step_up(SessionId(Guid::NIL), cred).unwrap_err();
        assert_eq!(e.code(), ErrorCode::ItemNotFound);
    }
    // A password alone: badRequest, no log, no count, nothing changes.
    for pw in [ADA_PASSWORD, "wrong"] {
        let e = fx.tenant.step_up(s, Credential::Password(pw)).unwrap_err();
        assert_eq!(e, Error::PasswordAloneIsNoStepUp);
        assert_eq!(e.code(), ErrorCode::BadRequest);
    }
    assert_eq!(fx.state_json(), before);
    // An ended session: accessDenied before the credential is looked at.
    fx.tenant.sign_out(s).unwrap();
    let before = fx.state_json();
    for cred in [
        Credential::Pass("wrong-pass"),
        Credential::Pass(multi.secret.danger_reveal()),
        Credential::Password("wrong"),
    ] {
        let e = fx.tenant.step_up(s, cred).unwrap_err();
        assert_eq!(e, Error::AccessDenied(Denial::SessionNotValid));
    }
    assert_eq!(fx.state_json(), before, "no log, no lockout count");
}

#[test]
fn r18_the_credential_is_checked_as_at_sign_in_and_failures_count() {
    let mut fx = Fx::build(Tenant::builder().lockout(LockoutSettings {
        threshold: 3,
        duration_seconds: 60,
    }));
    fx.enable();
    let once = fx.issue(fx.ada, PassOptions::new().usable_once(true));
    let s = fx.ada_pass_session(&once.secret);
    // A consumed one-time pass cannot step up (S2, S3).
    let out = fx
        .tenant
        .step_up(s, Credential::Pass(once.secret.danger_reveal()))
        .unwrap();
    assert_eq!(out.denial(), Some(DenialReason::PassOneTimeUsed));
    assert_eq!(
        fx.tenant
            .sign_in_log()
            .last()
            .unwrap()
            .status
            .failure_reason
            .as_deref(),
        Some(BLOCKED_BY_USER_CREDENTIAL_POLICY)
    );
    assert_eq!(fx.tenant.session(s).unwrap().last_mfa(), Some(t0()));
    // A wrong secret reveals nothing (R5) and counts; a second-factor device alone is
    // refused as at sign-in (R8) and counts: three failures lock.
    let wrong = fx
        .tenant
        .step_up(s, Credential::Pass("wrong-pass"))
        .unwrap();
    assert_eq!(wrong.denial(), Some(DenialReason::InvalidCredential));
    let push = fx.provision(fx.ada, MethodKind::Sms, "+1 555 0100");
    let alone = fx.tenant.step_up(s, Credential::Device(&push)).unwrap();
    assert_eq!(alone.denial(), Some(DenialReason::PasswordRequired));
    assert!(fx.tenant.locked_until(fx.ada).is_some());
    assert_eq!(fx.tenant.sign_in_log().len(), 4);
    // Locked: even a right credential fails as locked, and consumes nothing.
    let fresh = fx.issue(fx.ada, PassOptions::new().usable_once(true));
    let s2 = fx
        .tenant
        .sign_in(ADA, Credential::Password(ADA_PASSWORD))
        .denial();
    assert_eq!(s2, Some(DenialReason::AccountLocked));
    fx.advance(Duration::seconds(60));
    let pw = fx.ada_password_session();
    // Someone else's device is an invalid credential.
    fx.tenant.set_password(fx.bob, "bob-password").unwrap();
    let bobs_key = fx.provision(fx.bob, MethodKind::Fido2SecurityKey, "bob's key");
    let out = fx
        .tenant
        .step_up(pw, Credential::Device(&bobs_key))
        .unwrap();
    assert_eq!(out.denial(), Some(DenialReason::InvalidCredential));
    // An unused one-time pass steps up once, and is consumed by it.
    let out = fx
        .tenant
        .step_up(pw, Credential::Pass(fresh.secret.danger_reveal()))
        .unwrap();
    assert!(out.is_allowed());
    assert_eq!(
        fx.tenant.pass_view(fx.ada).unwrap().method_usability_reason,
        UsabilityReason::OneTimeUsed
    );
    // A disabled user's credential is told "disabled" after proof, as at sign-in.
    let multi = fx.issue(fx.ada, PassOptions::new().usable_once(false));
    fx.tenant.set_account_enabled(fx.ada, false).unwrap();
    let out = fx
        .tenant
        .step_up(pw, Credential::Pass(multi.secret.danger_reveal()))
        .unwrap();
    assert_eq!(out.denial(), Some(DenialReason::AccountDisabled));
}

#[test]
fn r15_r5_a_disabled_guest_is_told_disabled_only_after_home_proves_the_credential() {
    let (mut world, h, r, bob, guest, clock) = two_tenants();
    let once = issue_at_home(&mut world, h, bob, PassOptions::new().usable_once(true));
    world
        .tenant_mut(r)
        .unwrap()
        .set_account_enabled(guest, false)
        .unwrap();
    // A wrong credential learns nothing about the guest: the home tenant checks it,
    // denies it, counts it and logs it, as for an enabled guest.
    for wrong in [
        Credential::Password("not-bob-pw"),
        Credential::Pass("wrong-pass"),
    ] {
        let out = world.sign_in(r, "bob@fabrikam.com", wrong).unwrap();
        assert_eq!(out.denial(), Some(DenialReason::InvalidCredential));
        assert!(
            out.trace.iter().all(|c| c.name != "account"),
            "nothing about the account before the credential is proven"
        );
    }
    assert_eq!(world.tenant(h).unwrap().sign_in_log().len(), 2);
    assert_eq!(world.tenant(r).unwrap().sign_in_log().len(), 2);
    // The same as the split path of a server: proofs made beforehand, no lock held.
    let request = world
        .proofs_needed(r, "bob@fabrikam.com", Credential::Password("still-wrong"))
        .unwrap();
    assert_eq!(request.len(), 1, "the home tenant's verification");
    let proofs = request.verify();
    let out = world
        .sign_in_with_proofs(
            r,
            "bob@fabrikam.com",
            Credential::Password("still-wrong"),
            &proofs,
        )
        .unwrap();
    assert_eq!(out.denial(), Some(DenialReason::InvalidCredential));
    // The failures count toward the home tenant's lockout (R6).
    for _ in 0..7 {
        world
            .sign_in(r, "bob@fabrikam.com", Credential::Password("wrong"))
            .unwrap();
    }
    assert!(world.tenant(h).unwrap().locked_until(bob).is_some());
    // Locked at home: still nothing about the guest, even with the right secret.
    let locked = guest_signs_in_with(&mut world, r, &once);
    assert_eq!(locked.denial(), Some(DenialReason::AccountLocked));
    clock.advance(Duration::minutes(2));
    // A proven credential is told "disabled": the home tenant logs that failure (R11)
    // and counts it toward its lockout (R15), and nothing is consumed at home.
    let home_log = world.tenant(h).unwrap().sign_in_log().len();
    let right = guest_signs_in_with(&mut world, r, &once);
    assert_eq!(right.denial(), Some(DenialReason::AccountDisabled));
    let names: Vec<_> = right.trace.iter().map(|c| c.name.as_ref()).collect();
    assert_eq!(names, ["credential", "account"]);
    assert!(world.tenant(h).unwrap().pass_view(bob).unwrap().is_usable);
    let home_records = world.tenant(h).unwrap().sign_in_log();
    assert_eq!(home_records.len(), home_log + 1);
    let at_home = home_records.last().unwrap();
    assert_eq!(at_home.user_id, bob.guid());
    assert_eq!(
        at_home.status.additional_details.as_deref(),
        Some("accountDisabled")
    );
    assert_eq!(at_home.resource_tenant_id, r, "the tenant signed in to");
    for _ in 0..9 {
        guest_signs_in_with(&mut world, r, &once);
    }
    assert!(
        world.tenant(h).unwrap().locked_until(bob).is_some(),
        "ten proven failures lock the home account"
    );
    clock.advance(Duration::minutes(10));
    // Enabled again, the guest signs in with the same one-time pass.
    world
        .tenant_mut(r)
        .unwrap()
        .set_account_enabled(guest, true)
        .unwrap();
    assert!(guest_signs_in_with(&mut world, r, &once).is_allowed());
}

#[test]
fn s10_world_finds_guests_through_an_index_kept_on_link_relink_and_restore() {
    let (mut world, h, r, bob, guest, clock) = two_tenants();
    let signs_in_as = |world: &mut World, upn: &str, pw: &str| {
        world
            .sign_in(r, upn, Credential::Password(pw))
            .unwrap()
            .session()
            .map(|s| s.user())
    };
    assert_eq!(
        signs_in_as(&mut world, "bob@fabrikam.com", "bob-pw"),
        Some(guest)
    );
    // Upper case finds him too: the home tenant's keyed name index ignores case.
    assert_eq!(
        signs_in_as(&mut world, "BOB@Fabrikam.com", "bob-pw"),
        Some(guest)
    );
    // A second guest linked to Bob: the one added first wins.
    let second = world
        .tenant_mut(r)
        .unwrap()
        .add_user(
            NewUser::member("bob2_fabrikam.com#EXT#@contoso.com", "Bob 2")
                .user_type(UserType::ExternalGuest),
        )
        .unwrap();
    world.link_guest(r, second, h, bob).unwrap();
    assert_eq!(
        signs_in_as(&mut world, "bob@fabrikam.com", "bob-pw"),
        Some(guest)
    );
    // Relinked to Carol, the first guest is no longer Bob's.
    let carol = world
        .tenant_mut(h)
        .unwrap()
        .add_user(NewUser::member("carol@fabrikam.com", "Carol").password("carol-pw"))
        .unwrap();
    world.link_guest(r, guest, h, carol).unwrap();
    assert_eq!(
        signs_in_as(&mut world, "bob@fabrikam.com", "bob-pw"),
        Some(second)
    );
    assert_eq!(
        signs_in_as(&mut world, "carol@fabrikam.com", "carol-pw"),
        Some(guest)
    );
    // A resource tenant restored from its snapshot keeps its guests' links.
    let snapshot = world.tenant(r).unwrap().snapshot();
    let restored = Tenant::from_snapshot(snapshot, Arc::new(clock.clone())).unwrap();
    *world.tenant_mut(r).unwrap() = restored;
    assert_eq!(
        signs_in_as(&mut world, "bob@fabrikam.com", "bob-pw"),
        Some(second)
    );
    assert_eq!(
        signs_in_as(&mut world, "carol@fabrikam.com", "carol-pw"),
        Some(guest)
    );
    let dir = world.tenant(r).unwrap().directory();
    assert_eq!(
        dir.guest_of(HomeAccount {
            tenant: h,
            user: carol
        })
        .map(|u| u.id()),
        Some(guest)
    );
    // A name no home tenant has is not a guest: the resource tenant answers alone.
    let home_log = world.tenant(h).unwrap().sign_in_log().len();
    let out = world
        .sign_in(r, "nobody@fabrikam.com", Credential::Password("x"))
        .unwrap();
    assert_eq!(out.denial(), Some(DenialReason::InvalidCredential));
    assert_eq!(
        world.tenant(h).unwrap().sign_in_log().len(),
        home_log,
        "home was not asked about nobody"
    );
}
