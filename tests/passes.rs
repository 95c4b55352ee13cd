//! Spec T1 to T12: the pass lifecycle, both profiles.

use chrono::Duration;
use tapsim::*;

use crate::common::*;

#[test]
fn t1_fields_of_a_read_pass() {
    let mut fx = Fx::enabled();
    let issued = fx.issue(fx.ada, PassOptions::default());
    let p = &issued.pass;
    assert_eq!(p.created_date_time, t0());
    assert_eq!(p.start_date_time, t0());
    assert_eq!(p.lifetime_in_minutes, 60);
    assert!(!p.is_usable_once);
    assert!(p.is_usable);
    assert_eq!(p.method_usability_reason, UsabilityReason::EnabledByPolicy);
    assert_eq!(p.last_used_date_time, None);
    assert_eq!(p.id.to_string().len(), 36, "the id is a GUID");
}

#[test]
fn t1_last_used_is_kept() {
    let mut fx = Fx::enabled();
    let issued = fx.issue(fx.ada, PassOptions::default());
    fx.advance(Duration::minutes(5));
    assert!(fx.sign_in_pass(ADA, &issued.secret).is_allowed());
    let view = fx.tenant.pass_view(fx.ada).unwrap();
    assert_eq!(view.last_used_date_time, Some(t0() + Duration::minutes(5)));
}

#[test]
fn t2_every_field_optional_defaults_from_policy() {
    let mut fx = Fx::enabled();
    fx.patch(
        PolicyPatch::new()
            .default_lifetime_in_minutes(90)
            .maximum_lifetime_in_minutes(200),
    );
    let issued = fx.issue(fx.ada, PassOptions::from_graph_json("{}").unwrap());
    assert_eq!(issued.pass.lifetime_in_minutes, 90);
    assert_eq!(issued.pass.start_date_time, t0(), "start defaults to now");
    assert!(issued.pass.is_usable, "usable at once");
    fx.patch(PolicyPatch::new().is_usable_once(true));
    let once = fx.issue(fx.bob, PassOptions::default());
    assert!(
        once.pass.is_usable_once,
        "[sim] isUsableOnce defaults to the policy's"
    );
}

#[test]
fn t2_custom_start_and_lifetime() {
    let mut fx = Fx::enabled();
    let start = t0() + Duration::hours(2);
    let issued = fx.issue(
        fx.ada,
        PassOptions::new().start(start).lifetime_in_minutes(120),
    );
    assert_eq!(issued.pass.start_date_time, start);
    assert_eq!(issued.pass.end_date_time(), start + Duration::minutes(120));
    assert_eq!(
        issued.pass.method_usability_reason,
        UsabilityReason::NotYetValid
    );
}

#[test]
fn t2_past_start_is_accepted_as_given() {
    let mut fx = Fx::enabled();
    let start = t0() - Duration::minutes(30);
    let issued = fx.issue(fx.ada, PassOptions::new().start(start));
    assert_eq!(issued.pass.start_date_time, start);
    assert!(issued.pass.is_usable);
    fx.advance(Duration::minutes(30));
    assert_eq!(
        fx.tenant.pass_view(fx.ada).unwrap().method_usability_reason,
        UsabilityReason::Expired,
        "the lifetime counts from the given start"
    );
}

#[test]
fn t3_lifetime_outside_policy_bounds_is_rejected_with_entras_message() {
    let mut fx = Fx::enabled();
    let before = fx.state_json();
    for l in [59, 481, 0, -1, 10, 43_200, i64::MAX] {
        let e = fx
            .tenant
            .create_pass(fx.auth_admin, fx.ada, Lifetime::minutes(l))
            .unwrap_err();
        assert_eq!(e.code(), ErrorCode::BadRequest);
        assert_eq!(
            e.to_string(),
            "Invalid LifetimeInMinutes specified. The valid range between 60 and 480."
        );
    }
    assert_eq!(fx.state_json(), before, "rejections change nothing");
    assert_eq!(
        fx.issue(fx.ada, Lifetime::minutes(60).into())
            .pass
            .lifetime_in_minutes,
        60
    );
    assert_eq!(
        fx.issue(fx.ada, Lifetime::hours(8).into())
            .pass
            .lifetime_in_minutes,
        480
    );
}

#[test]
fn t4_secret_length_follows_default_length() {
    let mut fx = Fx::enabled();
    for len in [8, 20, 48] {
        fx.patch(PolicyPatch::new().default_length(len));
        let issued = fx.issue(fx.ada, PassOptions::default());
        assert_eq!(issued.secret.danger_reveal().chars().count(), len as usize);
    }
}

#[test]
fn t4_secret_uses_letters_digits_and_symbols() {
    let mut fx = Fx::enabled();
    fx.patch(PolicyPatch::new().default_length(48));
    let mut all = String::new();
    for _ in 0..30 {
        all.push_str(
            fx.issue(fx.ada, PassOptions::default())
                .secret
                .danger_reveal(),
        );
    }
    assert!(all.chars().any(|c| c.is_ascii_uppercase()));
    assert!(all.chars().any(|c| c.is_ascii_lowercase()));
    assert!(all.chars().any(|c| c.is_ascii_digit()));
    assert!(all.chars().any(|c| !c.is_ascii_alphanumeric()));
    assert!(all.chars().all(|c| c.is_ascii_graphic()));
}

#[test]
fn t4_secret_shown_once_then_null_and_only_a_hash_kept() {
    let mut fx = Fx::enabled();
    let issued = fx.issue(fx.ada, PassOptions::default());
    let created = issued.danger_graph_json();
    assert_eq!(
        created["temporaryAccessPass"],
        issued.secret.danger_reveal()
    );
    let read =
        serde_json::to_value(&fx.tenant.list_passes(fx.auth_admin, fx.ada).unwrap()[0]).unwrap();
    assert!(read["temporaryAccessPass"].is_null());
    let record = fx.tenant.pass_record(fx.ada).unwrap();
    assert!(record.hash().as_str().starts_with("$argon2id$"));
    assert!(!fx.state_json().contains(issued.secret.danger_reveal()));
    assert_eq!(format!("{:?}", issued.secret), "[redacted]");
}

#[test]
fn t5_create_replaces_with_a_new_id_and_old_secret_stops_working() {
    let mut fx = Fx::enabled();
    let first = fx.issue(fx.ada, PassOptions::default());
    let second = fx.issue(fx.ada, PassOptions::default());
    assert_ne!(first.pass.id, second.pass.id);
    let list = fx.tenant.list_passes(fx.auth_admin, fx.ada).unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].id, second.pass.id);
    assert_eq!(
        fx.sign_in_pass(ADA, &first.secret).denial(),
        Some(DenialReason::InvalidCredential)
    );
    assert!(fx.sign_in_pass(ADA, &second.secret).is_allowed());
}

#[test]
fn t5_create_replaces_an_expired_pass_too() {
    let mut fx = Fx::enabled();
    fx.issue(fx.ada, PassOptions::default());
    fx.advance(Duration::hours(2));
    assert_eq!(
        fx.tenant.pass_view(fx.ada).unwrap().method_usability_reason,
        UsabilityReason::Expired
    );
    let fresh = fx.issue(fx.ada, PassOptions::default());
    assert!(fx.tenant.pass_view(fx.ada).unwrap().is_usable);
    assert_eq!(fx.tenant.pass_view(fx.ada).unwrap().id, fresh.pass.id);
}

#[test]
fn t5_delete_before_create_switch_gives_conflict() {
    for switches in [
        Switches::preview_2021(),
        Switches::current().delete_before_create(true),
    ] {
        let mut fx = Fx::with(switches);
        fx.enable();
        let first = fx.issue(fx.ada, PassOptions::default());
        let before = fx.state_json();
        let e = fx
            .tenant
            .create_pass(fx.auth_admin, fx.ada, PassOptions::default())
            .unwrap_err();
        assert_eq!(e, Error::PassAlreadyExists);
        assert_eq!(e.code(), ErrorCode::Conflict);
        assert_eq!(e.http_status(), 409);
        assert_eq!(fx.state_json(), before);
        // Expired passes too, until deleted.
        fx.advance(Duration::hours(3));
        assert_eq!(
            fx.tenant
                .create_pass(fx.auth_admin, fx.ada, PassOptions::default())
                .unwrap_err(),
            Error::PassAlreadyExists
        );
        fx.tenant
            .delete_pass(fx.auth_admin, fx.ada, first.pass.id)
            .unwrap();
        assert!(
            fx.tenant
                .create_pass(fx.auth_admin, fx.ada, PassOptions::default())
                .is_ok()
        );
    }
}

#[test]
fn t6_out_of_scope_creation_is_rejected() {
    let mut fx = Fx::new();
    let msg = "Converged UserCredentialPolicy does not allow creating or updating this authentication method. AuthMethodType [TemporaryAccessPass].";
    // Disabled policy.
    let e = fx
        .tenant
        .create_pass(fx.auth_admin, fx.ada, PassOptions::default())
        .unwrap_err();
    assert_eq!(e.to_string(), msg);
    assert_eq!(e.code(), ErrorCode::BadRequest);
    // Not included.
    let g = fx.tenant.add_group("tap");
    fx.patch(
        PolicyPatch::new()
            .state(PolicyState::Enabled)
            .include_targets(vec![IncludeTarget::group(g)]),
    );
    let e = fx
        .tenant
        .create_pass(fx.auth_admin, fx.ada, PassOptions::default())
        .unwrap_err();
    assert_eq!(e, Error::UserOutOfPolicyScope);
    // Excluded.
    fx.tenant.add_member(g, fx.ada).unwrap();
    fx.patch(PolicyPatch::new().exclude_targets(vec![ExcludeTarget::group(g)]));
    let e = fx
        .tenant
        .create_pass(fx.auth_admin, fx.ada, PassOptions::default())
        .unwrap_err();
    assert_eq!(e, Error::UserOutOfPolicyScope);
    assert!(fx.tenant.pass_record(fx.ada).is_none());
    let created = fx
        .tenant
        .audit_log()
        .iter()
        .filter(|r| r.activity() == Some(Activity::AdminRegisteredPass));
    assert_eq!(
        created.count(),
        0,
        "rejected creations leave no audit record"
    );
}

#[test]
fn t6_preview_2021_creates_out_of_scope_but_blocks_sign_in() {
    let mut fx = Fx::with(Switches::preview_2021());
    let issued = fx.issue(fx.ada, PassOptions::default());
    assert!(!issued.pass.is_usable);
    assert_eq!(
        issued.pass.method_usability_reason,
        UsabilityReason::DisabledByPolicy
    );
    let out = fx.sign_in_pass(ADA, &issued.secret);
    assert_eq!(out.denial(), Some(DenialReason::PassDisabledByPolicy));
    assert_eq!(
        out.denial().unwrap().message(),
        BLOCKED_BY_USER_CREDENTIAL_POLICY
    );
}

#[test]
fn t6_switch_alone_on_current() {
    let mut fx = Fx::with(Switches::current().create_for_out_of_scope_users(true));
    let issued = fx.issue(fx.ada, PassOptions::default());
    assert_eq!(
        issued.pass.method_usability_reason,
        UsabilityReason::DisabledByPolicy
    );
    // delete_before_create is still off: a second create replaces.
    assert!(
        fx.tenant
            .create_pass(fx.auth_admin, fx.ada, PassOptions::default())
            .is_ok()
    );
}

#[test]
fn t7_internal_guests_can_be_issued_a_pass() {
    let mut fx = Fx::enabled();
    let guest = fx
        .tenant
        .add_user(NewUser::member("guest@contoso.com", "Guest").user_type(UserType::InternalGuest))
        .unwrap();
    assert!(
        fx.tenant
            .create_pass(fx.auth_admin, guest, PassOptions::default())
            .is_ok()
    );
}

#[test]
fn t7_external_guests_cannot() {
    for switches in [Switches::current(), Switches::preview_2021()] {
        let mut fx = Fx::with(switches);
        fx.enable();
        let guest = fx
            .tenant
            .add_user(
                NewUser::member("ext_fabrikam.com#EXT#@contoso.com", "Ext")
                    .user_type(UserType::ExternalGuest),
            )
            .unwrap();
        let e = fx
            .tenant
            .create_pass(fx.global_admin, guest, PassOptions::default())
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "Temporary Access Pass cannot be added to an external guest user."
        );
        assert_eq!(e.code(), ErrorCode::BadRequest);
    }
}

#[test]
fn t8_nobody_creates_a_pass_for_themselves() {
    let mut fx = Fx::enabled();
    for actor in [fx.global_admin, fx.priv_auth_admin, fx.auth_admin, fx.ada] {
        let e = fx
            .tenant
            .create_pass(actor, actor, PassOptions::default())
            .unwrap_err();
        assert_eq!(e, Error::AccessDenied(Denial::SelfIssue));
    }
}

#[test]
fn t9_global_and_privileged_authentication_admins_act_on_anyone_else() {
    let mut fx = Fx::enabled();
    for admin in [fx.global_admin, fx.priv_auth_admin] {
        for target in [fx.ada, fx.auth_admin, fx.policy_admin, fx.global_reader] {
            let issued = fx
                .tenant
                .create_pass(admin, target, PassOptions::default())
                .unwrap();
            assert_eq!(fx.tenant.list_passes(admin, target).unwrap().len(), 1);
            assert!(fx.tenant.get_pass(admin, target, issued.pass.id).is_ok());
            fx.tenant
                .delete_pass(admin, target, issued.pass.id)
                .unwrap();
        }
    }
    // Each other, too.
    assert!(
        fx.tenant
            .create_pass(fx.global_admin, fx.priv_auth_admin, PassOptions::default())
            .is_ok()
    );
    assert!(
        fx.tenant
            .create_pass(fx.priv_auth_admin, fx.global_admin, PassOptions::default())
            .is_ok()
    );
}

#[test]
fn t9_authentication_admin_reaches_only_listed_roles() {
    let mut fx = Fx::enabled();
    for role in Role::AUTHENTICATION_ADMINISTRATOR_REACH {
        let target = fx.user_with_role(
            &format!("{}@contoso.com", role.display_name().replace(' ', ".")),
            role,
        );
        let issued = fx
            .tenant
            .create_pass(fx.auth_admin, target, PassOptions::default());
        assert!(issued.is_ok(), "{role}: {issued:?}");
        assert!(fx.tenant.list_passes(fx.auth_admin, target).is_ok());
        fx.tenant
            .delete_pass(fx.auth_admin, target, issued.unwrap().pass.id)
            .unwrap();
    }
    let outside: Vec<Role> = Role::ALL
        .into_iter()
        .filter(|r| !Role::AUTHENTICATION_ADMINISTRATOR_REACH.contains(r))
        .collect();
    assert!(
        outside.contains(&Role::GlobalAdministrator)
            && outside.contains(&Role::HelpdeskAdministrator)
    );
    for role in outside {
        let target = fx.user_with_role(
            &format!("{}@contoso.com", role.display_name().replace(' ', ".")),
            role,
        );
        let e = fx
            .tenant
            .create_pass(fx.auth_admin, target, PassOptions::default())
            .unwrap_err();
        assert_eq!(e, Error::AccessDenied(Denial::TargetTooPrivileged { role }));
        assert_eq!(
            fx.tenant
                .list_passes(fx.auth_admin, target)
                .unwrap_err()
                .code(),
            ErrorCode::AccessDenied
        );
    }
}

#[test]
fn t9_authentication_admin_refused_when_any_role_is_outside_reach() {
    let mut fx = Fx::enabled();
    let mixed = fx
        .tenant
        .add_user(
            NewUser::member("mixed@contoso.com", "Mixed")
                .role(Role::ReportsReader)
                .role(Role::UserAdministrator),
        )
        .unwrap();
    let e = fx
        .tenant
        .create_pass(fx.auth_admin, mixed, PassOptions::default())
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::AccessDenied);
    // A privileged authentication admin creates it; the AA may not delete it either (R2).
    let issued = fx
        .tenant
        .create_pass(fx.priv_auth_admin, mixed, PassOptions::default())
        .unwrap();
    assert_eq!(
        fx.tenant
            .delete_pass(fx.auth_admin, mixed, issued.pass.id)
            .unwrap_err()
            .code(),
        ErrorCode::AccessDenied
    );
}

#[test]
fn t9_global_reader_reads_only() {
    let mut fx = Fx::enabled();
    let issued = fx.issue(fx.ada, PassOptions::default());
    let read = fx
        .tenant
        .get_pass(fx.global_reader, fx.ada, issued.pass.id)
        .unwrap();
    assert!(serde_json::to_value(&read).unwrap()["temporaryAccessPass"].is_null());
    assert_eq!(
        fx.tenant
            .create_pass(fx.global_reader, fx.bob, PassOptions::default())
            .unwrap_err()
            .code(),
        ErrorCode::AccessDenied
    );
    assert_eq!(
        fx.tenant
            .delete_pass(fx.global_reader, fx.ada, issued.pass.id)
            .unwrap_err()
            .code(),
        ErrorCode::AccessDenied
    );
}

#[test]
fn t9_authentication_policy_admin_has_no_access_to_passes() {
    let mut fx = Fx::enabled();
    let issued = fx.issue(fx.ada, PassOptions::default());
    let apa = fx.policy_admin;
    assert_eq!(
        fx.tenant
            .create_pass(apa, fx.bob, PassOptions::default())
            .unwrap_err()
            .code(),
        ErrorCode::AccessDenied
    );
    assert_eq!(
        fx.tenant.list_passes(apa, fx.ada).unwrap_err().code(),
        ErrorCode::AccessDenied
    );
    assert_eq!(
        fx.tenant
            .delete_pass(apa, fx.ada, issued.pass.id)
            .unwrap_err()
            .code(),
        ErrorCode::AccessDenied
    );
}

#[test]
fn t9_users_read_and_delete_their_own_pass_but_never_create_it() {
    let mut fx = Fx::enabled();
    let issued = fx.issue(fx.ada, PassOptions::default());
    assert_eq!(fx.tenant.list_passes(fx.ada, fx.ada).unwrap().len(), 1);
    assert_eq!(
        fx.tenant.list_passes(fx.bob, fx.ada).unwrap_err().code(),
        ErrorCode::AccessDenied
    );
    assert_eq!(
        fx.tenant
            .create_pass(fx.bob, fx.ada, PassOptions::default())
            .unwrap_err()
            .code(),
        ErrorCode::AccessDenied
    );
    fx.tenant
        .delete_pass(fx.ada, fx.ada, issued.pass.id)
        .unwrap();
    assert!(fx.tenant.list_passes(fx.ada, fx.ada).unwrap().is_empty());
    let last = fx.tenant.audit_log().last().unwrap();
    assert_eq!(last.activity(), Some(Activity::UserDeletedPass));
    assert_eq!(last.activity_display_name, "User deleted security info");
}

#[test]
fn t9_roles_add_up() {
    let mut fx = Fx::enabled();
    // An Authentication Administrator who is also a Global Reader may read a target out of
    // reach, but still not create.
    let both = fx
        .tenant
        .add_user(
            NewUser::member("both@contoso.com", "Both")
                .role(Role::AuthenticationAdministrator)
                .role(Role::GlobalReader),
        )
        .unwrap();
    fx.tenant
        .create_pass(fx.global_admin, fx.priv_auth_admin, PassOptions::default())
        .unwrap();
    assert!(fx.tenant.list_passes(both, fx.priv_auth_admin).is_ok());
    assert_eq!(
        fx.tenant
            .create_pass(both, fx.priv_auth_admin, PassOptions::default())
            .unwrap_err(),
        Error::AccessDenied(Denial::TargetTooPrivileged {
            role: Role::PrivilegedAuthenticationAdministrator
        })
    );
}

#[test]
fn t9_r1_order_actor_then_user_then_permission_then_request() {
    let mut fx = Fx::enabled();
    let ghost = UserId(Guid::from_bytes([1; 16]));
    // Unknown actor first, even with an unknown target and a bad request.
    assert_eq!(
        fx.tenant
            .create_pass(ghost, ghost, Lifetime::minutes(1))
            .unwrap_err()
            .code(),
        ErrorCode::AccessDenied
    );
    // Then the unknown target: itemNotFound.
    let e = fx
        .tenant
        .create_pass(fx.auth_admin, ghost, Lifetime::minutes(1))
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::ItemNotFound);
    assert_eq!(e.http_status(), 404);
    // Then permission before the request's validity.
    assert_eq!(
        fx.tenant
            .create_pass(fx.bob, fx.ada, Lifetime::minutes(1))
            .unwrap_err()
            .code(),
        ErrorCode::AccessDenied
    );
    // Then whether the pass exists before anything else.
    let e = fx
        .tenant
        .get_pass(fx.auth_admin, fx.ada, PassId(Guid::NIL))
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::ItemNotFound);
}

#[test]
fn t10_validity_boundaries_start_inclusive_end_exclusive() {
    let mut fx = Fx::enabled();
    let start = t0() + Duration::minutes(30);
    let issued = fx.issue(
        fx.ada,
        PassOptions::new().start(start).lifetime_in_minutes(60),
    );
    let reason = |fx: &Fx| fx.tenant.pass_view(fx.ada).unwrap().method_usability_reason;
    fx.clock.set(start - Duration::microseconds(1));
    assert_eq!(reason(&fx), UsabilityReason::NotYetValid);
    assert_eq!(
        fx.sign_in_pass(ADA, &issued.secret).denial(),
        Some(DenialReason::PassNotYetValid)
    );
    fx.clock.set(start);
    assert_eq!(reason(&fx), UsabilityReason::EnabledByPolicy);
    fx.clock
        .set(start + Duration::minutes(60) - Duration::microseconds(1));
    assert_eq!(reason(&fx), UsabilityReason::EnabledByPolicy);
    assert!(fx.sign_in_pass(ADA, &issued.secret).is_allowed());
    fx.clock.set(start + Duration::minutes(60));
    assert_eq!(reason(&fx), UsabilityReason::Expired);
    assert_eq!(
        fx.sign_in_pass(ADA, &issued.secret).denial(),
        Some(DenialReason::PassExpired)
    );
}

#[test]
fn t10_each_reason_and_its_spelling() {
    let spellings: Vec<String> = [
        UsabilityReason::EnabledByPolicy,
        UsabilityReason::DisabledByPolicy,
        UsabilityReason::Expired,
        UsabilityReason::NotYetValid,
        UsabilityReason::OneTimeUsed,
    ]
    .iter()
    .map(|r| {
        serde_json::to_value(r)
            .unwrap()
            .as_str()
            .unwrap()
            .to_owned()
    })
    .collect();
    assert_eq!(
        spellings,
        [
            "EnabledByPolicy",
            "DisabledByPolicy",
            "Expired",
            "NotYetValid",
            "OneTimeUsed"
        ]
    );
    let mut fx = Fx::enabled();
    let once = fx.issue(fx.ada, PassOptions::new().usable_once(true));
    assert!(fx.sign_in_pass(ADA, &once.secret).is_allowed());
    assert_eq!(
        fx.tenant.pass_view(fx.ada).unwrap().method_usability_reason,
        UsabilityReason::OneTimeUsed
    );
}

#[test]
fn t10_precedence_disabled_then_one_time_used_then_expired_then_not_yet_valid() {
    use tapsim::usability;
    let (start, end) = (t0(), t0() + Duration::minutes(60));
    let after = end + Duration::minutes(1);
    let before = start - Duration::minutes(1);
    let out = Scope::PolicyDisabled;
    let inn = Scope::InScope;
    // Everything applies: DisabledByPolicy wins.
    assert_eq!(
        usability(start, end, true, true, out, false, after),
        UsabilityReason::DisabledByPolicy
    );
    // Used and expired: OneTimeUsed.
    assert_eq!(
        usability(start, end, true, true, inn, false, after),
        UsabilityReason::OneTimeUsed
    );
    // Expired (a pass cannot be both expired and not yet valid unless end <= start).
    assert_eq!(
        usability(start, start, false, false, inn, false, start),
        UsabilityReason::Expired
    );
    assert_eq!(
        usability(start, end, false, false, inn, false, before),
        UsabilityReason::NotYetValid
    );
    // A multi-use pass under a one-time policy reads DisabledByPolicy.
    assert_eq!(
        usability(start, end, false, false, inn, true, start),
        UsabilityReason::DisabledByPolicy
    );
    // Used one-time pass before start: OneTimeUsed beats NotYetValid.
    assert_eq!(
        usability(start, end, true, true, inn, true, before),
        UsabilityReason::OneTimeUsed
    );
}

#[test]
fn t11_expired_passes_stay_listed() {
    let mut fx = Fx::enabled();
    let issued = fx.issue(fx.ada, PassOptions::default());
    fx.advance(Duration::days(400));
    let list = fx.tenant.list_passes(fx.auth_admin, fx.ada).unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].id, issued.pass.id);
    assert!(!list[0].is_usable);
    assert_eq!(list[0].method_usability_reason, UsabilityReason::Expired);
}

#[test]
fn t12_list_get_delete() {
    let mut fx = Fx::enabled();
    assert!(
        fx.tenant
            .list_passes(fx.auth_admin, fx.ada)
            .unwrap()
            .is_empty()
    );
    let issued = fx.issue(fx.ada, PassOptions::default());
    assert_eq!(
        fx.tenant
            .get_pass(fx.auth_admin, fx.ada, issued.pass.id)
            .unwrap(),
        issued.pass
    );
    // Wrong id, or the right id under another user: itemNotFound.
    assert_eq!(
        fx.tenant
            .get_pass(fx.auth_admin, fx.bob, issued.pass.id)
            .unwrap_err()
            .code(),
        ErrorCode::ItemNotFound
    );
    fx.tenant
        .delete_pass(fx.auth_admin, fx.ada, issued.pass.id)
        .unwrap();
    assert!(
        fx.tenant
            .list_passes(fx.auth_admin, fx.ada)
            .unwrap()
            .is_empty()
    );
    let e = fx
        .tenant
        .delete_pass(fx.auth_admin, fx.ada, issued.pass.id)
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::ItemNotFound);
    assert_eq!(
        fx.sign_in_pass(ADA, &issued.secret).denial(),
        Some(DenialReason::InvalidCredential)
    );
}

#[test]
fn t12_delete_ends_sessions_signed_in_with_the_pass() {
    // As written (Docs2025); under Current the session outlives the pass (B2).
    let mut fx = Fx::docs_2025();
    let issued = fx.issue(fx.ada, PassOptions::default());
    let s = fx.ada_pass_session(&issued.secret);
    let pw = fx.ada_password_session();
    fx.advance(Duration::minutes(5));
    fx.tenant
        .delete_pass(fx.auth_admin, fx.ada, issued.pass.id)
        .unwrap();
    assert_eq!(
        fx.tenant.session_status(s).unwrap(),
        SessionStatus::Ended {
            at: t0() + Duration::minutes(5),
            reason: SessionEndReason::PassDeleted
        }
    );
    assert_eq!(
        fx.tenant.session_status(pw).unwrap(),
        SessionStatus::Active,
        "other sessions stay"
    );
}

#[test]
fn t12_replacement_counts_as_deletion() {
    // As written (Docs2025); under Current the session outlives the pass (B2).
    let mut fx = Fx::docs_2025();
    let issued = fx.issue(fx.ada, PassOptions::default());
    let s = fx.ada_pass_session(&issued.secret);
    fx.issue(fx.ada, PassOptions::default());
    assert!(matches!(
        fx.tenant.session_status(s).unwrap(),
        SessionStatus::Ended {
            reason: SessionEndReason::PassDeleted,
            ..
        }
    ));
}

mod property {
    use chrono::Duration;
    use proptest::prelude::*;
    use tapsim::*;

    use crate::common::*;

    #[derive(Debug, Clone)]
    enum Op {
        Create {
            actor: usize,
            user: usize,
            lifetime: Option<i64>,
            once: Option<bool>,
        },
        Delete {
            actor: usize,
            user: usize,
            stale: bool,
        },
        Advance(i64),
        Policy {
            once: bool,
        },
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => (0..7usize, 0..7usize, proptest::option::of(prop_oneof![Just(59i64), Just(60), Just(480), Just(481), 0..600i64]), any::<Option<bool>>())
                .prop_map(|(actor, user, lifetime, once)| Op::Create { actor, user, lifetime, once }),
            2 => (0..7usize, 0..7usize, any::<bool>()).prop_map(|(actor, user, stale)| Op::Delete { actor, user, stale }),
            2 => prop_oneof![Just(1i64), Just(59), Just(60), 0..1_000i64].prop_map(Op::Advance),
            1 => any::<bool>().prop_map(|once| Op::Policy { once }),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        /// T5, T12: whatever the sequence of create, delete and clock moves, each user
        /// has at most one pass, and a rejected call changes nothing.
        #[test]
        fn t5_at_most_one_pass_per_user_and_rejections_change_nothing(ops in proptest::collection::vec(op(), 1..40)) {
            let mut fx = Fx::enabled();
            let people = [fx.global_admin, fx.priv_auth_admin, fx.auth_admin, fx.policy_admin, fx.global_reader, fx.ada, fx.bob];
            let mut last_ids = std::collections::BTreeMap::new();
            for op in ops {
                let before = fx.state_json();
                let audit_before = fx.tenant.audit_log().len();
                let result: Result<()> = match op {
                    Op::Create { actor, user, lifetime, once } => {
                        let mut o = PassOptions::new();
                        if let Some(l) = lifetime { o = o.lifetime_in_minutes(l); }
                        if let Some(b) = once { o = o.usable_once(b); }
                        fx.tenant.create_pass(people[actor], people[user], o).map(|p| { last_ids.insert(user, p.pass.id); })
                    }
                    Op::Delete { actor, user, stale } => {
                        let id = match (stale, fx.tenant.pass_record(people[user])) {
                            (false, Some(r)) => r.id(),
                            _ => last_ids.get(&user).copied().unwrap_or(PassId(Guid::NIL)),
                        };
                        fx.tenant.delete_pass(people[actor], people[user], id)
                    }
                    Op::Advance(m) => { fx.advance(Duration::minutes(m)); Ok(()) }
                    Op::Policy { once } => fx.tenant.update_policy(fx.policy_admin, &PolicyPatch::new().is_usable_once(once)).map(|_| ()),
                };
                if result.is_err() {
                    prop_assert_eq!(&fx.state_json(), &before, "a rejected call changed state");
                    prop_assert_eq!(fx.tenant.audit_log().len(), audit_before);
                }
                for u in people {
                    let n = fx.tenant.list_passes(fx.global_admin, u).map(|l| l.len()).unwrap_or(0);
                    prop_assert!(n <= 1);
                }
            }
        }
    }
}

#[test]
fn t2_a_pass_must_end_by_the_year_9999() {
    let mut fx = Fx::enabled();
    let late = graph::latest_instant() - Duration::minutes(30);
    let e = fx
        .tenant
        .create_pass(fx.auth_admin, fx.ada, PassOptions::new().start(late))
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::BadRequest);
    assert!(e.to_string().contains("too far in the future"), "{e}");
    let ok = graph::latest_instant() - Duration::minutes(60);
    assert!(
        fx.tenant
            .create_pass(fx.auth_admin, fx.ada, PassOptions::new().start(ok))
            .is_ok()
    );
    fx.clock.advance(Duration::MAX);
    assert_eq!(
        graph::format_datetime(&fx.tenant.now()),
        "9999-12-31T23:59:59.999999Z"
    );
}

#[test]
fn t2_a_pass_cannot_start_before_the_year_1() {
    let mut fx = Fx::enabled();
    let ancient = graph::earliest_instant() - Duration::days(1);
    let e = fx
        .tenant
        .create_pass(fx.auth_admin, fx.ada, PassOptions::new().start(ancient))
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::BadRequest);
    assert!(
        fx.tenant
            .create_pass(
                fx.auth_admin,
                fx.ada,
                PassOptions::new().start(graph::earliest_instant())
            )
            .is_ok()
    );
}

#[test]
fn r1_create_body_is_checked_after_actor_user_and_permission() {
    let mut fx = Fx::enabled();
    let bad = r#"{"lifetimeInMinutes": "soon"}"#;
    let before = fx.state_json();
    // Unknown actor, then unknown user, then permission, then the body.
    let e = fx
        .tenant
        .create_pass_json(UserId(Guid::NIL), UserId(Guid::NIL), bad)
        .unwrap_err();
    assert!(
        matches!(e, Error::AccessDenied(Denial::UnknownPrincipal(_))),
        "{e}"
    );
    let e = fx
        .tenant
        .create_pass_json(fx.auth_admin, UserId(Guid::NIL), bad)
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::ItemNotFound, "{e}");
    let e = fx.tenant.create_pass_json(fx.ada, fx.ada, bad).unwrap_err();
    assert_eq!(e, Error::AccessDenied(Denial::SelfIssue));
    let e = fx
        .tenant
        .create_pass_json(fx.policy_admin, fx.ada, bad)
        .unwrap_err();
    assert!(
        matches!(e, Error::AccessDenied(Denial::MissingRole { .. })),
        "{e}"
    );
    let e = fx
        .tenant
        .create_pass_json(fx.auth_admin, fx.global_admin, bad)
        .unwrap_err();
    assert!(
        matches!(e, Error::AccessDenied(Denial::TargetTooPrivileged { .. })),
        "{e}"
    );
    let e = fx
        .tenant
        .create_pass_json(fx.auth_admin, fx.ada, bad)
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::BadRequest, "{e}");
    assert!(e.to_string().contains("\"soon\""), "{e}");
    let e = fx
        .tenant
        .create_pass_json(fx.auth_admin, fx.ada, r#"{"lifetimeInMinutes": 5}"#)
        .unwrap_err();
    assert_eq!(e, Error::LifetimeOutOfRange { min: 60, max: 480 });
    assert_eq!(
        fx.state_json(),
        before,
        "rejections change nothing, RNG included"
    );
    let issued = fx
        .tenant
        .create_pass_json(fx.auth_admin, fx.ada, r#"{"isUsableOnce": true}"#)
        .unwrap();
    assert!(issued.pass.is_usable_once);
    assert_eq!(fx.tenant.audit_log().len(), 2);
}
