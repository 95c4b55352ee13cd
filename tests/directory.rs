//! The directory, determinism, and snapshots.

use std::sync::Arc;

use tapsim::*;

use crate::common::*;

#[test]
fn directory_users_and_typed_errors() {
    let mut fx = Fx::new();
    let before = fx.state_json();
    assert_eq!(
        fx.tenant
            .add_user(NewUser::member("ADA@contoso.com", "dup"))
            .unwrap_err(),
        Error::DuplicateUpn("ADA@contoso.com".into())
    );
    assert!(matches!(
        fx.tenant.add_user(NewUser::member("no-at-sign", "x")),
        Err(Error::InvalidUpn(_))
    ));
    assert_eq!(fx.state_json(), before, "rejected calls change nothing");
    let u = fx.tenant.user_by_upn("Ada@Contoso.com").unwrap();
    assert_eq!(u.id(), fx.ada);
    assert_eq!(u.user_type(), UserType::Member);
    assert!(u.account_enabled() && !u.is_federated());
    let ghost = UserId(Guid::NIL);
    assert!(matches!(
        fx.tenant.assign_role(ghost, Role::GlobalReader),
        Err(Error::UserNotFound(_))
    ));
    fx.tenant.assign_role(fx.ada, Role::ReportsReader).unwrap();
    assert!(
        fx.tenant
            .directory()
            .user(fx.ada)
            .unwrap()
            .has_role(Role::ReportsReader)
    );
    fx.tenant.remove_role(fx.ada, Role::ReportsReader).unwrap();
    assert!(
        fx.tenant
            .directory()
            .user(fx.ada)
            .unwrap()
            .roles()
            .is_empty()
    );
}

#[test]
fn directory_groups_nest_but_never_contain_themselves() {
    let mut fx = Fx::new();
    let a = fx.tenant.add_group("a");
    let b = fx.tenant.add_group("b");
    let c = fx.tenant.add_group("c");
    assert!(fx.tenant.add_member(a, b).unwrap());
    assert!(!fx.tenant.add_member(a, b).unwrap(), "already a member");
    fx.tenant.add_member(b, c).unwrap();
    fx.tenant.add_member(c, fx.ada).unwrap();
    let before = fx.state_json();
    assert_eq!(
        fx.tenant.add_member(c, a).unwrap_err(),
        Error::GroupCycle {
            group: c,
            member: a
        }
    );
    assert_eq!(
        fx.tenant.add_member(a, a).unwrap_err(),
        Error::GroupCycle {
            group: a,
            member: a
        }
    );
    let ghost = GroupId(Guid::NIL);
    assert_eq!(
        fx.tenant.add_member(ghost, fx.ada).unwrap_err(),
        Error::GroupNotFound(ghost)
    );
    assert_eq!(
        fx.tenant.add_member(a, ghost).unwrap_err(),
        Error::GroupNotFound(ghost)
    );
    assert!(matches!(
        fx.tenant.add_member(a, UserId(Guid::NIL)),
        Err(Error::UserNotFound(_))
    ));
    assert_eq!(fx.state_json(), before);
    assert!(fx.tenant.directory().is_member(fx.ada, a, true));
    assert!(!fx.tenant.directory().is_member(fx.ada, a, false));
    assert!(fx.tenant.remove_member(b, c).unwrap());
    assert!(!fx.tenant.directory().is_member(fx.ada, a, true));
    assert!(!fx.tenant.remove_member(b, c).unwrap());
}

/// The same calls on a fresh tenant of `seed`.
fn scripted(seed: u64) -> Tenant {
    let mut t = Tenant::builder()
        .seed(seed)
        .clock(ManualClock::new(t0()))
        .hash_cost(HashCost::Minimum)
        .build()
        .unwrap();
    let ga = t
        .add_user(NewUser::member("ga@contoso.com", "GA").role(Role::GlobalAdministrator))
        .unwrap();
    let u = t
        .add_user(NewUser::member("u@contoso.com", "U").password("pw"))
        .unwrap();
    t.update_policy(ga, &PolicyPatch::new().state(PolicyState::Enabled))
        .unwrap();
    let p = t.create_pass(ga, u, PassOptions::default()).unwrap();
    let s = t
        .sign_in("u@contoso.com", Credential::Pass(p.secret.danger_reveal()))
        .session()
        .unwrap()
        .id();
    t.register_method(s, MethodKind::Passkey, "pk").unwrap();
    t.sign_in("u@contoso.com", Credential::Password("wrong"));
    t
}

#[test]
fn determinism_same_seed_same_state_different_seed_different_state() {
    let a = serde_json::to_string(&scripted(5).snapshot()).unwrap();
    let b = serde_json::to_string(&scripted(5).snapshot()).unwrap();
    let c = serde_json::to_string(&scripted(6).snapshot()).unwrap();
    assert_eq!(a, b);
    assert_ne!(a, c);
}

#[test]
fn determinism_pinned_values_are_portable() {
    // ChaCha8 gives the same stream on every platform: pin values of seed 0, so that a
    // change of RNG, of draw order or of platform shows up here.
    let mut t = Tenant::builder()
        .clock(ManualClock::new(t0()))
        .hash_cost(HashCost::Minimum)
        .build()
        .unwrap();
    assert_eq!(t.id().to_string(), "6c3b9aa7-67f7-45b5-b7c0-d8ba5fa54677");
    let ga = t
        .add_user(NewUser::member("ga@contoso.com", "GA").role(Role::GlobalAdministrator))
        .unwrap();
    let u = t.add_user(NewUser::member("u@contoso.com", "U")).unwrap();
    t.update_policy(ga, &PolicyPatch::new().state(PolicyState::Enabled))
        .unwrap();
    let p = t.create_pass(ga, u, PassOptions::default()).unwrap();
    assert_eq!(
        p.pass.id.to_string(),
        "8bb98d95-9071-47d5-93ad-62dc07ae5ec3"
    );
    assert_eq!(p.secret.danger_reveal(), "GhywC6i9");
}

#[test]
fn snapshot_round_trips_exactly_and_restores_a_working_tenant() {
    let t = scripted(9);
    let snap = t.snapshot();
    let json = serde_json::to_string(&snap).unwrap();
    let back: TenantState = serde_json::from_str(&json).unwrap();
    assert_eq!(back, snap);
    assert_eq!(serde_json::to_string(&back).unwrap(), json);
    let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(t0()));
    let mut restored = Tenant::from_snapshot(back, clock).unwrap();
    // The restored tenant continues exactly as the original would.
    let mut original = t.clone();
    let a = original.sign_in("u@contoso.com", Credential::Password("pw"));
    let b = restored.sign_in("u@contoso.com", Credential::Password("pw"));
    assert_eq!(a.session().unwrap().id(), b.session().unwrap().id());
}

#[test]
fn clone_forks_a_tenant() {
    let t = scripted(3);
    let mut fork = t.fork_with_clock(Arc::new(ManualClock::new(t0())));
    let ga = fork.user_by_upn("ga@contoso.com").unwrap().id();
    fork.reset_policy(ga).unwrap();
    assert_eq!(t.current_policy().state, PolicyState::Enabled);
    assert_eq!(fork.current_policy().state, PolicyState::Disabled);
}

#[test]
fn many_tenants_side_by_side() {
    let a = scripted(1);
    let b = scripted(2);
    assert_ne!(a.id(), b.id());
    assert_eq!(a.directory().users().len(), 2);
    assert_eq!(b.directory().users().len(), 2);
}

#[test]
fn directory_passwords_have_1_to_256_characters() {
    let mut fx = Fx::new();
    let before = fx.state_json();
    let empty = fx
        .tenant
        .add_user(NewUser::member("p@contoso.com", "x").password(""));
    assert_eq!(empty.unwrap_err(), Error::InvalidPassword(0));
    let long = fx.tenant.set_password(fx.bob, "x".repeat(257)).unwrap_err();
    assert_eq!(long, Error::InvalidPassword(257));
    assert_eq!(long.code(), ErrorCode::BadRequest);
    assert_eq!(fx.state_json(), before, "rejected calls change nothing");
    fx.tenant.set_password(fx.bob, "y".repeat(256)).unwrap();
    assert!(
        fx.tenant
            .sign_in("bob@contoso.com", Credential::Password(&"y".repeat(256)))
            .is_allowed()
    );
}

#[test]
fn snapshots_are_validated_when_restored() {
    let t = scripted(4);
    let mut json = serde_json::to_value(t.snapshot()).unwrap();
    json["policy"]["defaultLength"] = serde_json::json!(4_000_000);
    let bad: TenantState = serde_json::from_value(json).unwrap();
    let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(t0()));
    let e = Tenant::from_snapshot(bad, clock.clone()).unwrap_err();
    assert_eq!(e.code(), ErrorCode::BadRequest);
    let mut json = serde_json::to_value(t.snapshot()).unwrap();
    json["config"]["lockout"]["threshold"] = serde_json::json!(0);
    let bad: TenantState = serde_json::from_value(json).unwrap();
    assert!(matches!(
        Tenant::from_snapshot(bad, clock),
        Err(Error::InvalidConfig(_))
    ));
}

#[test]
fn hash_costs_over_one_gib_are_refused() {
    let e = Tenant::builder()
        .hash_cost(HashCost::Custom {
            memory_kib: u32::MAX,
            iterations: 1,
            lanes: 1,
        })
        .build()
        .unwrap_err();
    assert!(
        matches!(e, Error::InvalidConfig(ref m) if m.contains("1 GiB")),
        "{e}"
    );
}

// ---- R14: settings change at run time ---------------------------------------------------

#[test]
fn r14_switches_change_on_a_live_tenant_without_an_audit_record() {
    let mut fx = Fx::enabled();
    let audits = fx.tenant.audit_log().len();
    fx.tenant
        .set_switches(Switches::current().delete_before_create(true))
        .unwrap();
    assert_eq!(
        fx.tenant.audit_log().len(),
        audits,
        "R14: setup leaves no record"
    );
    let ada = fx.ada;
    fx.issue(ada, PassOptions::new());
    let second = fx
        .tenant
        .create_pass(fx.auth_admin, ada, PassOptions::new())
        .unwrap_err();
    assert_eq!(
        second.code(),
        ErrorCode::Conflict,
        "T5's older rule applies at once"
    );
    // The default maximum lifetime applies at the next reset, not before.
    fx.tenant
        .set_switches(Switches::current().default_maximum_lifetime_in_minutes(1440))
        .unwrap();
    assert_eq!(fx.tenant.current_policy().maximum_lifetime_in_minutes, 480);
    fx.tenant.reset_policy(fx.policy_admin).unwrap();
    assert_eq!(fx.tenant.current_policy().maximum_lifetime_in_minutes, 1440);
}

#[test]
fn r14_bad_switches_and_lockouts_change_nothing() {
    let mut fx = Fx::new();
    let before = fx.state_json();
    let e = fx
        .tenant
        .set_switches(Switches::current().default_maximum_lifetime_in_minutes(59))
        .unwrap_err();
    assert!(e.to_string().contains("between 60 and 43200"), "{e}");
    let e = fx
        .tenant
        .set_lockout(LockoutSettings {
            threshold: 0,
            duration_seconds: 60,
        })
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::BadRequest);
    assert_eq!(fx.state_json(), before);
}

#[test]
fn r14_lockout_and_membership_settings_apply_from_the_next_operation() {
    let mut fx = Fx::new();
    fx.tenant
        .set_lockout(LockoutSettings {
            threshold: 2,
            duration_seconds: 30,
        })
        .unwrap();
    for _ in 0..2 {
        fx.tenant.sign_in(ADA, Credential::Password("wrong"));
    }
    let locked = fx.tenant.sign_in(ADA, Credential::Password(ADA_PASSWORD));
    assert_eq!(locked.denial(), Some(DenialReason::AccountLocked));
    fx.advance(chrono::Duration::seconds(30));
    assert!(
        fx.tenant
            .sign_in(ADA, Credential::Password(ADA_PASSWORD))
            .is_allowed()
    );
    // Transitive membership off: a member of a nested group is no longer in scope.
    let outer = fx.tenant.add_group("Outer");
    let inner = fx.tenant.add_group("Inner");
    fx.tenant.add_member(outer, inner).unwrap();
    fx.tenant.add_member(inner, fx.ada).unwrap();
    fx.enable();
    fx.patch(PolicyPatch::new().include_targets(vec![IncludeTarget::group(outer)]));
    assert!(fx.tenant.scope_of(fx.ada).is_in_scope());
    fx.tenant.set_transitive_membership(false);
    assert!(!fx.tenant.scope_of(fx.ada).is_in_scope());
}

// ---- Snapshots from outside: validated on restore (T4, P2; issue 11) -------------------

/// A tenant's snapshot as JSON, with one edit, restored.
fn restore_edited(t: &Tenant, edit: impl FnOnce(&mut serde_json::Value)) -> Result<Tenant> {
    let mut json = serde_json::to_value(t.snapshot()).unwrap();
    edit(&mut json);
    let state: TenantState = serde_json::from_value(json).unwrap();
    Tenant::from_snapshot(state, Arc::new(ManualClock::new(t0())))
}

/// The first string in `v` that starts with `$argon2id$`, to change.
fn first_hash(v: &mut serde_json::Value) -> Option<&mut serde_json::Value> {
    match v {
        serde_json::Value::String(s) if s.starts_with("$argon2id$") => Some(v),
        serde_json::Value::Array(items) => items.iter_mut().find_map(first_hash),
        serde_json::Value::Object(map) => map.values_mut().find_map(first_hash),
        _ => None,
    }
}

#[test]
fn t4_a_snapshot_with_other_algorithms_or_plain_text_is_refused() {
    let mut fx = Fx::enabled();
    let ada = fx.ada;
    fx.issue(ada, PassOptions::new());
    for (from, to, says) in [
        ("$argon2id$", "$argon2d$", "argon2id"),
        ("$argon2id$", "$argon2i$", "argon2id"),
        ("v=19", "v=16", "version 19"),
    ] {
        let e = restore_edited(&fx.tenant, |j| {
            let h = first_hash(j).unwrap();
            *h = serde_json::Value::String(h.as_str().unwrap().replace(from, to));
        })
        .unwrap_err();
        assert_eq!(e.code(), ErrorCode::BadRequest);
        assert!(e.to_string().contains(says), "{e}");
        assert!(
            e.to_string()
                .starts_with("invalid tenant configuration: snapshot:"),
            "{e}"
        );
    }
    let e = restore_edited(&fx.tenant, |j| {
        *first_hash(j).unwrap() = serde_json::Value::String("hunter2".to_owned());
    })
    .unwrap_err();
    assert!(e.to_string().contains("not a PHC string"), "{e}");
}

#[test]
fn t4_a_snapshot_asking_argon2_for_too_much_is_refused_by_name() {
    let mut fx = Fx::enabled();
    let ada = fx.ada;
    fx.issue(ada, PassOptions::new());
    for (from, to, bound) in [
        ("m=8,", "m=4194304,", "memory"),
        ("t=1,", "t=4294967295,", "iterations"),
        ("p=1", "p=64", "lanes"),
    ] {
        let e = restore_edited(&fx.tenant, |j| {
            let h = first_hash(j).unwrap();
            *h = serde_json::Value::String(h.as_str().unwrap().replacen(from, to, 1));
        })
        .unwrap_err();
        assert!(e.to_string().contains(bound), "{e}");
    }
}

#[test]
fn p2_a_snapshot_with_a_pass_lifetime_outside_p2_is_refused() {
    let mut fx = Fx::enabled();
    let ada = fx.ada;
    fx.issue(ada, PassOptions::new());
    let e = restore_edited(&fx.tenant, |j| {
        let pass = j["passes"]
            .as_array_mut()
            .unwrap()
            .iter_mut()
            .find(|p| !p.is_null())
            .unwrap();
        pass["lifetimeInMinutes"] = serde_json::json!(5);
    })
    .unwrap_err();
    assert!(
        e.to_string()
            .contains("lifetimeInMinutes `5` is outside 10..=43200"),
        "{e}"
    );
    // The untouched snapshot restores.
    assert!(restore_edited(&fx.tenant, |_| {}).is_ok());
}

#[test]
fn directory_display_names_have_at_most_256_characters() {
    let mut fx = Fx::new();
    let before = fx.state_json();
    // Characters, not bytes: 257 two-byte characters are refused, 256 accepted.
    let long = fx
        .tenant
        .add_user(NewUser::member("long@contoso.com", "é".repeat(257)))
        .unwrap_err();
    assert_eq!(
        long,
        Error::NameTooLong {
            field: "displayName",
            max: MAX_USER_DISPLAY_NAME_CHARS,
            got: 257
        }
    );
    assert_eq!(
        (long.code(), long.http_status()),
        (ErrorCode::BadRequest, 400)
    );
    assert_eq!(
        long.to_string(),
        "`displayName` must have at most 256 characters, got 257"
    );
    let group = fx.tenant.try_add_group("g".repeat(257)).unwrap_err();
    assert!(matches!(
        group,
        Error::NameTooLong {
            max: 256,
            got: 257,
            ..
        }
    ));
    assert_eq!(fx.state_json(), before, "rejected calls change nothing");
    let ok = fx
        .tenant
        .add_user(NewUser::member("long@contoso.com", "é".repeat(256)))
        .unwrap();
    assert_eq!(
        fx.tenant
            .directory()
            .user(ok)
            .unwrap()
            .display_name()
            .chars()
            .count(),
        256
    );
    let g = fx
        .tenant
        .try_add_group("g".repeat(MAX_GROUP_DISPLAY_NAME_CHARS))
        .unwrap();
    assert_eq!(fx.tenant.group(g).unwrap().display_name().len(), 256);
}

#[test]
fn m2_method_display_names_have_at_most_256_characters() {
    let mut fx = Fx::enabled();
    let issued = fx.issue(fx.ada, PassOptions::default());
    let session = fx.sign_in_pass(ADA, &issued.secret).session().unwrap().id();
    let before = fx.state_json();
    let e = fx
        .tenant
        .register_method(
            session,
            MethodKind::Passkey,
            "k".repeat(MAX_METHOD_NAME_CHARS + 1),
        )
        .unwrap_err();
    assert_eq!(
        e,
        Error::NameTooLong {
            field: "method displayName",
            max: 256,
            got: 257
        }
    );
    let e = fx
        .tenant
        .provision_method(fx.bob, MethodKind::Sms, "5".repeat(257))
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::BadRequest);
    assert_eq!(fx.state_json(), before, "rejected calls change nothing");
    let key = fx
        .tenant
        .register_method(session, MethodKind::Passkey, "k".repeat(256))
        .unwrap();
    assert_eq!(fx.tenant.methods_of(fx.ada)[0].display_name().len(), 256);
    assert!(
        fx.tenant
            .sign_in(ADA, Credential::Device(&key))
            .is_allowed()
    );
}
