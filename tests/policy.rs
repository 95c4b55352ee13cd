//! Spec P1 to P8 and B1: the policy, its validation, targeting and permissions.

use crate::common::*;
use tapsim::*;

fn bad_request(r: Result<TapPolicy>) -> String {
    let e = r.expect_err("must be rejected");
    assert_eq!(e.code(), ErrorCode::BadRequest, "{e}");
    assert_eq!(e.http_status(), 400);
    e.to_string()
}

#[test]
fn p1_defaults_and_fixed_id() {
    let fx = Fx::new();
    let p = fx.tenant.current_policy();
    assert_eq!(
        p.state,
        PolicyState::Disabled,
        "[sim] a new tenant starts disabled"
    );
    assert_eq!(p.default_lifetime_in_minutes, 60);
    assert_eq!(p.minimum_lifetime_in_minutes, 60);
    assert_eq!(p.maximum_lifetime_in_minutes, 480);
    assert_eq!(p.default_length, 8);
    assert!(!p.is_usable_once);
    assert_eq!(
        p.include_targets,
        vec![IncludeTarget::group(TargetId::AllUsers)]
    );
    assert!(!p.include_targets[0].is_registration_required);
    assert!(p.exclude_targets.is_empty());
    let json = serde_json::to_value(p).unwrap();
    assert_eq!(json["id"], "TemporaryAccessPass");
    assert_eq!(json["includeTargets"][0]["targetType"], "group");
}

#[test]
fn p2_lifetime_bounds_accept_10_and_43200() {
    let mut fx = Fx::new();
    let p = fx.patch(
        PolicyPatch::new()
            .minimum_lifetime_in_minutes(10)
            .default_lifetime_in_minutes(10)
            .maximum_lifetime_in_minutes(43_200),
    );
    assert_eq!(
        (p.minimum_lifetime_in_minutes, p.maximum_lifetime_in_minutes),
        (10, 43_200)
    );
    let p = fx.patch(
        PolicyPatch::new()
            .minimum_lifetime_in_minutes(43_200)
            .default_lifetime_in_minutes(43_200),
    );
    assert_eq!(p.default_lifetime_in_minutes, 43_200);
}

#[test]
fn p2_lifetime_bounds_reject_9_and_43201_naming_field_and_range() {
    let mut fx = Fx::new();
    let before = fx.state_json();
    for (patch, field, value) in [
        (
            PolicyPatch::new().minimum_lifetime_in_minutes(9),
            "minimumLifetimeInMinutes",
            "9",
        ),
        (
            PolicyPatch::new().maximum_lifetime_in_minutes(43_201),
            "maximumLifetimeInMinutes",
            "43201",
        ),
        (
            PolicyPatch::new().default_lifetime_in_minutes(0),
            "defaultLifetimeInMinutes",
            "0",
        ),
        (
            PolicyPatch::new().maximum_lifetime_in_minutes(-5),
            "maximumLifetimeInMinutes",
            "-5",
        ),
    ] {
        let msg = bad_request(fx.tenant.update_policy(fx.policy_admin, &patch));
        assert!(msg.contains(field), "{msg}");
        assert!(msg.contains("10") && msg.contains("43200"), "{msg}");
        assert!(msg.contains(value), "{msg}");
    }
    assert_eq!(fx.state_json(), before, "rejected updates change nothing");
}

#[test]
fn p2_default_length_8_to_48() {
    let mut fx = Fx::new();
    assert_eq!(
        fx.patch(PolicyPatch::new().default_length(8))
            .default_length,
        8
    );
    assert_eq!(
        fx.patch(PolicyPatch::new().default_length(48))
            .default_length,
        48
    );
    for bad in [7, 49, 0, -1] {
        let msg = bad_request(
            fx.tenant
                .update_policy(fx.policy_admin, &PolicyPatch::new().default_length(bad)),
        );
        assert!(
            msg.contains("defaultLength") && msg.contains("between 8 and 48"),
            "{msg}"
        );
    }
}

#[test]
fn p2_min_default_max_ordering() {
    let mut fx = Fx::new();
    // min = default = max is valid.
    let p = fx.patch(
        PolicyPatch::new()
            .minimum_lifetime_in_minutes(120)
            .default_lifetime_in_minutes(120)
            .maximum_lifetime_in_minutes(120),
    );
    assert_eq!(p.default_lifetime_in_minutes, 120);
    // default below min, default above max.
    for patch in [
        PolicyPatch::new().default_lifetime_in_minutes(60),
        PolicyPatch::new().default_lifetime_in_minutes(121),
    ] {
        let msg = bad_request(fx.tenant.update_policy(fx.policy_admin, &patch));
        assert!(msg.contains("defaultLifetimeInMinutes"), "{msg}");
    }
}

#[test]
fn p2_minimum_above_maximum_names_minimum_and_maximum_not_the_default() {
    let mut fx = Fx::new();
    let before = fx.state_json();
    // min 130 > max 120; the default (120) also lies below the minimum, but the message
    // is about the two bounds.
    let msg = bad_request(
        fx.tenant.update_policy(
            fx.policy_admin,
            &PolicyPatch::new()
                .minimum_lifetime_in_minutes(130)
                .default_lifetime_in_minutes(120)
                .maximum_lifetime_in_minutes(120),
        ),
    );
    assert_eq!(
        msg,
        "`minimumLifetimeInMinutes` (`130`) must not be greater than `maximumLifetimeInMinutes` (`120`)"
    );
    // One minute apart the other way is valid: min = max is the boundary.
    assert_eq!(fx.state_json(), before);
    fx.patch(
        PolicyPatch::new()
            .minimum_lifetime_in_minutes(120)
            .default_lifetime_in_minutes(120)
            .maximum_lifetime_in_minutes(120),
    );
    let msg = bad_request(fx.tenant.update_policy(
        fx.policy_admin,
        &PolicyPatch::new().minimum_lifetime_in_minutes(121),
    ));
    assert!(msg.starts_with("`minimumLifetimeInMinutes` (`121`) must not be greater than `maximumLifetimeInMinutes` (`120`)"), "{msg}");
    assert!(!msg.contains("defaultLifetimeInMinutes"), "{msg}");
}

#[test]
fn r4_target_type_may_be_omitted_and_means_group() {
    let mut fx = Fx::new();
    let g = fx.tenant.add_group("Onboarding");
    let body = format!(
        r#"{{"includeTargets": [{{"id": "{g}", "isRegistrationRequired": true}}], "excludeTargets": [{{"id": "all_users"}}]}}"#
    );
    let p = fx
        .tenant
        .update_policy_json(fx.policy_admin, &body)
        .unwrap();
    assert_eq!(p.include_targets[0].target_type, TargetType::Group);
    assert_eq!(p.include_targets[0].id, TargetId::Group(g));
    assert_eq!(
        p.exclude_targets,
        vec![ExcludeTarget::group(TargetId::AllUsers)]
    );
    // Read back, the type is written out.
    let json = serde_json::to_value(&p).unwrap();
    assert_eq!(json["includeTargets"][0]["targetType"], "group");
    // A type that is given must still be `group`.
    let e = fx
        .tenant
        .update_policy_json(
            fx.policy_admin,
            r#"{"includeTargets": [{"targetType": "user", "id": "all_users"}]}"#,
        )
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::BadRequest);
    assert!(e.to_string().contains("targetType"), "{e}");
}

#[test]
fn r1_policy_body_is_checked_after_the_actor_and_its_permission() {
    let mut fx = Fx::new();
    let bad_bodies = [
        "{not json",
        r#"{"defaultLenght": 12}"#,
        r#"{"state": 1}"#,
        r#"{"id": "Fido2"}"#,
        r#"{"defaultLength": 60}"#,
    ];
    let before = fx.state_json();
    for body in bad_bodies {
        // Unknown actor: accessDenied, whatever the body.
        let e = fx
            .tenant
            .update_policy_json(UserId(Guid::NIL), body)
            .unwrap_err();
        assert!(
            matches!(e, Error::AccessDenied(Denial::UnknownPrincipal(_))),
            "{e}"
        );
        // Known actor without the role: accessDenied, whatever the body.
        for actor in [fx.ada, fx.auth_admin, fx.global_reader] {
            let e = fx.tenant.update_policy_json(actor, body).unwrap_err();
            assert!(
                matches!(e, Error::AccessDenied(Denial::MissingRole { .. })),
                "{e}"
            );
        }
        // The policy admin: the body's own error.
        let e = fx
            .tenant
            .update_policy_json(fx.policy_admin, body)
            .unwrap_err();
        assert_eq!(e.code(), ErrorCode::BadRequest, "{body}: {e}");
    }
    assert_eq!(fx.state_json(), before, "rejections change nothing");
    // A disabled policy admin is refused before the body too.
    fx.tenant
        .set_account_enabled(fx.policy_admin, false)
        .unwrap();
    let e = fx
        .tenant
        .update_policy_json(fx.policy_admin, "{not json")
        .unwrap_err();
    assert!(
        matches!(e, Error::AccessDenied(Denial::AccountDisabled(_))),
        "{e}"
    );
    // And a valid body from an allowed actor is applied, with one audit record.
    let p = fx
        .tenant
        .update_policy_json(fx.global_admin, r#"{"state": "enabled"}"#)
        .unwrap();
    assert_eq!(p.state, PolicyState::Enabled);
    assert_eq!(fx.tenant.audit_log().len(), 1);
}

#[test]
fn p2_range_errors_come_before_ordering_errors() {
    // R4: each lifetime's range (minimum, default, maximum), then length, then ordering.
    let mut fx = Fx::new();
    let msg = bad_request(
        fx.tenant.update_policy(
            fx.policy_admin,
            &PolicyPatch::new()
                .minimum_lifetime_in_minutes(5)
                .default_lifetime_in_minutes(50_000)
                .default_length(3),
        ),
    );
    assert!(msg.contains("minimumLifetimeInMinutes"), "{msg}");
    let msg = bad_request(
        fx.tenant.update_policy(
            fx.policy_admin,
            &PolicyPatch::new()
                .default_lifetime_in_minutes(50_000)
                .default_length(3),
        ),
    );
    assert!(msg.contains("defaultLifetimeInMinutes"), "{msg}");
    let msg = bad_request(
        fx.tenant.update_policy(
            fx.policy_admin,
            &PolicyPatch::new()
                .default_length(3)
                .default_lifetime_in_minutes(30),
        ),
    );
    assert!(msg.contains("defaultLength"), "{msg}");
}

#[test]
fn p3_partial_update_keeps_other_fields() {
    let mut fx = Fx::new();
    fx.patch(PolicyPatch::new().default_length(12));
    let p = fx.patch(PolicyPatch::new().is_usable_once(true));
    assert_eq!(p.default_length, 12, "untouched fields keep their values");
    assert!(p.is_usable_once);
    assert_eq!(p.state, PolicyState::Disabled);
}

#[test]
fn p3_merged_result_validated_as_a_whole_and_applied_atomically() {
    let mut fx = Fx::new();
    // Valid only together: raising min alone would exceed default and max.
    let p = fx.patch(
        PolicyPatch::new()
            .minimum_lifetime_in_minutes(600)
            .default_lifetime_in_minutes(600)
            .maximum_lifetime_in_minutes(900),
    );
    assert_eq!(p.minimum_lifetime_in_minutes, 600);
    // One bad field rejects the whole patch; the good fields are not applied either.
    let before = fx.tenant.current_policy().clone();
    let _ = fx
        .tenant
        .update_policy(
            fx.policy_admin,
            &PolicyPatch::new()
                .state(PolicyState::Enabled)
                .default_length(100),
        )
        .unwrap_err();
    assert_eq!(fx.tenant.current_policy(), &before);
}

#[test]
fn p4_reset_restores_every_default() {
    let mut fx = Fx::new();
    let g = fx.tenant.add_group("g");
    fx.patch(
        PolicyPatch::new()
            .state(PolicyState::Enabled)
            .default_length(20)
            .is_usable_once(true)
            .maximum_lifetime_in_minutes(1000)
            .include_targets(vec![IncludeTarget::group(g)])
            .exclude_targets(vec![ExcludeTarget::group(g)]),
    );
    let p = fx.tenant.reset_policy(fx.policy_admin).unwrap();
    assert_eq!(p, TapPolicy::defaults(&Switches::current()));
    assert_eq!(
        p.state,
        PolicyState::Disabled,
        "R4: reset returns state to disabled"
    );
}

#[test]
fn p5_exclusion_wins_over_inclusion() {
    let mut fx = Fx::new();
    let g = fx.tenant.add_group("excluded");
    fx.tenant.add_member(g, fx.ada).unwrap();
    fx.patch(
        PolicyPatch::new()
            .state(PolicyState::Enabled)
            .exclude_targets(vec![ExcludeTarget::group(g)]),
    );
    assert_eq!(fx.tenant.scope_of(fx.ada), Scope::Excluded);
    assert_eq!(fx.tenant.scope_of(fx.bob), Scope::InScope);
}

#[test]
fn p5_group_targets_include_only_members() {
    let mut fx = Fx::new();
    let g = fx.tenant.add_group("tap users");
    fx.tenant.add_member(g, fx.ada).unwrap();
    fx.patch(
        PolicyPatch::new()
            .state(PolicyState::Enabled)
            .include_targets(vec![IncludeTarget::group(g)]),
    );
    assert_eq!(fx.tenant.scope_of(fx.ada), Scope::InScope);
    assert_eq!(fx.tenant.scope_of(fx.bob), Scope::NotIncluded);
}

#[test]
fn p5_exclusion_of_a_nested_group() {
    let mut fx = Fx::new();
    let outer = fx.tenant.add_group("outer");
    let inner = fx.tenant.add_group("inner");
    let innermost = fx.tenant.add_group("innermost");
    fx.tenant.add_member(outer, inner).unwrap();
    fx.tenant.add_member(inner, innermost).unwrap();
    fx.tenant.add_member(innermost, fx.ada).unwrap();
    fx.patch(
        PolicyPatch::new()
            .state(PolicyState::Enabled)
            .exclude_targets(vec![ExcludeTarget::group(outer)]),
    );
    assert_eq!(
        fx.tenant.scope_of(fx.ada),
        Scope::Excluded,
        "membership is transitive [sim]"
    );
    assert_eq!(fx.tenant.scope_of(fx.bob), Scope::InScope);
}

#[test]
fn p5_transitive_membership_can_be_switched_off() {
    let mut fx = Fx::build(Tenant::builder().transitive_membership(false));
    let outer = fx.tenant.add_group("outer");
    let inner = fx.tenant.add_group("inner");
    fx.tenant.add_member(outer, inner).unwrap();
    fx.tenant.add_member(inner, fx.ada).unwrap();
    fx.patch(
        PolicyPatch::new()
            .state(PolicyState::Enabled)
            .include_targets(vec![IncludeTarget::group(outer)]),
    );
    assert_eq!(fx.tenant.scope_of(fx.ada), Scope::NotIncluded);
    fx.patch(PolicyPatch::new().include_targets(vec![IncludeTarget::group(inner)]));
    assert_eq!(fx.tenant.scope_of(fx.ada), Scope::InScope);
}

#[test]
fn p5_unknown_target_group_is_rejected() {
    let mut fx = Fx::new();
    let ghost = GroupId(Guid::from_bytes([7; 16]));
    for patch in [
        PolicyPatch::new().include_targets(vec![IncludeTarget::group(ghost)]),
        PolicyPatch::new().exclude_targets(vec![ExcludeTarget::group(ghost)]),
    ] {
        let msg = bad_request(fx.tenant.update_policy(fx.policy_admin, &patch));
        assert!(msg.contains(&ghost.to_string()), "{msg}");
    }
}

#[test]
fn p5_targets_must_be_groups_and_all_users_may_be_excluded() {
    let mut fx = Fx::new();
    let user_target = IncludeTarget {
        target_type: TargetType::User,
        id: TargetId::AllUsers,
        is_registration_required: false,
    };
    let msg = bad_request(fx.tenant.update_policy(
        fx.policy_admin,
        &PolicyPatch::new().include_targets(vec![user_target]),
    ));
    assert!(msg.contains("group"), "{msg}");
    fx.patch(
        PolicyPatch::new()
            .state(PolicyState::Enabled)
            .exclude_targets(vec![ExcludeTarget::group(TargetId::AllUsers)]),
    );
    assert_eq!(
        fx.tenant.scope_of(fx.ada),
        Scope::Excluded,
        "R4: nobody is in scope"
    );
}

#[test]
fn p5_disabled_policy_covers_nobody() {
    let fx = Fx::new();
    assert_eq!(fx.tenant.scope_of(fx.ada), Scope::PolicyDisabled);
}

#[test]
fn p6_who_may_read_the_policy() {
    let fx = Fx::new();
    for ok in [fx.global_reader, fx.policy_admin, fx.global_admin] {
        assert!(fx.tenant.policy(ok).is_ok());
    }
    for denied in [fx.auth_admin, fx.priv_auth_admin, fx.ada] {
        let e = fx.tenant.policy(denied).unwrap_err();
        assert_eq!(e.code(), ErrorCode::AccessDenied);
        assert_eq!(e.http_status(), 403);
    }
}

#[test]
fn p6_who_may_update_and_reset_the_policy() {
    let mut fx = Fx::new();
    let before = fx.state_json();
    for denied in [fx.global_reader, fx.auth_admin, fx.priv_auth_admin, fx.ada] {
        let e = fx
            .tenant
            .update_policy(denied, &PolicyPatch::new().state(PolicyState::Enabled))
            .unwrap_err();
        assert_eq!(e.code(), ErrorCode::AccessDenied);
        assert_eq!(
            fx.tenant.reset_policy(denied).unwrap_err().code(),
            ErrorCode::AccessDenied
        );
    }
    assert_eq!(fx.state_json(), before, "refused calls change nothing");
    for ok in [fx.policy_admin, fx.global_admin] {
        assert!(
            fx.tenant
                .update_policy(ok, &PolicyPatch::new().default_length(9))
                .is_ok()
        );
        assert!(fx.tenant.reset_policy(ok).is_ok());
    }
}

#[test]
fn p6_unknown_or_disabled_actor_is_denied() {
    let mut fx = Fx::new();
    let stranger = UserId(Guid::from_bytes([9; 16]));
    let e = fx
        .tenant
        .update_policy(stranger, &PolicyPatch::new())
        .unwrap_err();
    assert_eq!(e, Error::AccessDenied(Denial::UnknownPrincipal(stranger)));
    fx.tenant
        .set_account_enabled(fx.policy_admin, false)
        .unwrap();
    let e = fx
        .tenant
        .update_policy(fx.policy_admin, &PolicyPatch::new())
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::AccessDenied);
}

#[test]
fn p7_disabling_the_policy_reaches_existing_passes() {
    let mut fx = Fx::enabled();
    let issued = fx.issue(fx.ada, PassOptions::default());
    assert!(fx.tenant.pass_view(fx.ada).unwrap().is_usable);
    fx.patch(PolicyPatch::new().state(PolicyState::Disabled));
    let view = fx.tenant.pass_view(fx.ada).unwrap();
    assert!(!view.is_usable);
    assert_eq!(
        view.method_usability_reason,
        UsabilityReason::DisabledByPolicy
    );
    let out = fx.sign_in_pass(ADA, &issued.secret);
    assert_eq!(out.denial(), Some(DenialReason::PassDisabledByPolicy));
    // Enabling again restores it: usability is computed, not stored.
    fx.enable();
    assert!(fx.sign_in_pass(ADA, &issued.secret).is_allowed());
}

#[test]
fn p7_excluding_the_user_reaches_existing_passes() {
    let mut fx = Fx::enabled();
    fx.issue(fx.ada, PassOptions::default());
    let g = fx.tenant.add_group("no tap");
    fx.patch(PolicyPatch::new().exclude_targets(vec![ExcludeTarget::group(g)]));
    assert!(
        fx.tenant.pass_view(fx.ada).unwrap().is_usable,
        "not yet a member"
    );
    fx.tenant.add_member(g, fx.ada).unwrap();
    assert_eq!(
        fx.tenant.pass_view(fx.ada).unwrap().method_usability_reason,
        UsabilityReason::DisabledByPolicy
    );
}

#[test]
fn p7_one_time_policy_disables_existing_multi_use_passes_only() {
    let mut fx = Fx::enabled();
    let multi = fx.issue(fx.ada, PassOptions::new().usable_once(false));
    let once = fx.issue(fx.bob, PassOptions::new().usable_once(true));
    fx.patch(PolicyPatch::new().is_usable_once(true));
    assert_eq!(
        fx.tenant.pass_view(fx.ada).unwrap().method_usability_reason,
        UsabilityReason::DisabledByPolicy
    );
    assert!(fx.tenant.pass_view(fx.bob).unwrap().is_usable);
    assert_eq!(
        fx.sign_in_pass(ADA, &multi.secret).denial(),
        Some(DenialReason::PassDisabledByPolicy)
    );
    assert!(
        fx.sign_in_pass("bob@contoso.com", &once.secret)
            .is_allowed()
    );
}

#[test]
fn p8_one_time_policy_makes_new_passes_one_time() {
    let mut fx = Fx::enabled();
    fx.patch(PolicyPatch::new().is_usable_once(true));
    let issued = fx.issue(fx.ada, PassOptions::default());
    assert!(issued.pass.is_usable_once);
}

#[test]
fn p8_one_time_policy_rejects_multi_use_requests() {
    let mut fx = Fx::enabled();
    fx.patch(PolicyPatch::new().is_usable_once(true));
    let before = fx.state_json();
    let e = fx
        .tenant
        .create_pass(fx.auth_admin, fx.ada, PassOptions::new().usable_once(false))
        .unwrap_err();
    assert_eq!(e, Error::MultiUseNotAllowed);
    assert_eq!(e.code(), ErrorCode::BadRequest);
    assert_eq!(fx.state_json(), before);
}

#[test]
fn b1_profiles_bundle_named_switches() {
    assert_eq!(Switches::from(Profile::Current), Switches::current());
    let old = Switches::from(Profile::Preview2021);
    assert!(old.delete_before_create);
    assert!(old.create_for_out_of_scope_users);
    assert_eq!(old.default_maximum_lifetime_in_minutes, 1440);
    let cur = Switches::current();
    assert!(!cur.delete_before_create && !cur.create_for_out_of_scope_users);
    assert_eq!(cur.default_maximum_lifetime_in_minutes, 480);
}

#[test]
fn b1_preview_2021_default_maximum_lifetime_is_1440() {
    let mut fx = Fx::build(Tenant::builder().profile(Profile::Preview2021));
    assert_eq!(fx.tenant.current_policy().maximum_lifetime_in_minutes, 1440);
    fx.patch(PolicyPatch::new().maximum_lifetime_in_minutes(600));
    let p = fx.tenant.reset_policy(fx.policy_admin).unwrap();
    assert_eq!(
        p.maximum_lifetime_in_minutes, 1440,
        "reset restores the profile's default"
    );
    assert_eq!(fx.tenant.config().profile, Profile::Preview2021);
}

#[test]
fn b1_a_switch_can_be_set_alone() {
    let fx = Fx::with(Switches::current().delete_before_create(true));
    let sw = fx.tenant.config().switches;
    assert!(sw.delete_before_create);
    assert!(!sw.create_for_out_of_scope_users);
    assert_eq!(sw.default_maximum_lifetime_in_minutes, 480);
}

#[test]
fn b1_inconsistent_configuration_is_rejected_at_build() {
    let errs = [
        Tenant::builder()
            .switches(Switches::current().default_maximum_lifetime_in_minutes(30))
            .build(),
        Tenant::builder()
            .switches(Switches::current().default_maximum_lifetime_in_minutes(50_000))
            .build(),
        Tenant::builder()
            .lockout(LockoutSettings {
                threshold: 0,
                duration_seconds: 60,
            })
            .build(),
        Tenant::builder()
            .lockout(LockoutSettings {
                threshold: 3,
                duration_seconds: 0,
            })
            .build(),
        Tenant::builder()
            .hash_cost(HashCost::Custom {
                memory_kib: 1,
                iterations: 1,
                lanes: 1,
            })
            .build(),
        Tenant::builder().domain("not a domain").build(),
    ];
    for e in errs {
        assert!(matches!(e, Err(Error::InvalidConfig(_))), "{e:?}");
    }
}

#[test]
fn p2_graph_patch_body_is_applied_and_bad_bodies_rejected() {
    let mut fx = Fx::new();
    let patch = PolicyPatch::from_graph_json(
        r##"{"@odata.type": "#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration",
            "state": "enabled", "defaultLifetimeInMinutes": 120, "maximumLifetimeInMinutes": 240,
            "includeTargets": [{"targetType": "group", "id": "all_users", "isRegistrationRequired": false}]}"##,
    )
    .unwrap();
    let p = fx.patch(patch);
    assert_eq!(
        (
            p.state,
            p.default_lifetime_in_minutes,
            p.maximum_lifetime_in_minutes
        ),
        (PolicyState::Enabled, 120, 240)
    );
    for (body, needle) in [
        (r#"{"defaultLenght": 12}"#, "defaultLenght"),
        (r#"{"defaultLength": "twelve"}"#, "invalid type"),
        (r#"{"state": "on"}"#, "unknown variant"),
        (
            r##"{"@odata.type": "#microsoft.graph.fido2AuthenticationMethodConfiguration"}"##,
            "@odata.type",
        ),
        (
            r#"{"includeTargets": [{"targetType": "group", "id": "nobody"}]}"#,
            "nobody",
        ),
        (r#"not json"#, "invalid policy update body"),
    ] {
        let e = PolicyPatch::from_graph_json(body).unwrap_err();
        assert_eq!(e.code(), ErrorCode::BadRequest);
        assert!(e.to_string().contains(needle), "{body}: {e}");
    }
}

#[test]
fn p3_r4_a_target_collection_replaces_the_whole_collection() {
    let mut fx = Fx::new();
    let a = fx.tenant.add_group("a");
    let b = fx.tenant.add_group("b");
    fx.patch(PolicyPatch::new().include_targets(vec![IncludeTarget::group(a)]));
    let p = fx.patch(PolicyPatch::new().include_targets(vec![IncludeTarget::group(b)]));
    assert_eq!(
        p.include_targets,
        vec![IncludeTarget::group(b)],
        "replaced, not appended"
    );
    fx.patch(
        PolicyPatch::new().exclude_targets(vec![ExcludeTarget::group(a), ExcludeTarget::group(b)]),
    );
    let p = fx.patch(PolicyPatch::new().exclude_targets(vec![]));
    assert!(p.exclude_targets.is_empty());
    assert_eq!(
        p.include_targets,
        vec![IncludeTarget::group(b)],
        "the other collection is kept"
    );
}

#[test]
fn p5_r4_is_registration_required_is_stored_not_enforced() {
    let mut fx = Fx::new();
    let target = IncludeTarget {
        is_registration_required: true,
        ..IncludeTarget::group(TargetId::AllUsers)
    };
    let p = fx.patch(
        PolicyPatch::new()
            .state(PolicyState::Enabled)
            .include_targets(vec![target]),
    );
    assert!(p.include_targets[0].is_registration_required);
    assert_eq!(
        serde_json::to_value(&p).unwrap()["includeTargets"][0]["isRegistrationRequired"],
        true
    );
    // Not enforced: a user with no methods signs in with a pass all the same.
    let issued = fx.issue(fx.bob, PassOptions::default());
    assert!(
        fx.sign_in_pass("bob@contoso.com", &issued.secret)
            .is_allowed()
    );
}

#[test]
fn p5_each_target_collection_holds_at_most_500_targets() {
    let mut fx = Fx::enabled();
    let groups: Vec<GroupId> = (0..=MAX_POLICY_TARGETS)
        .map(|i| fx.tenant.add_group(format!("g{i}")))
        .collect();
    let include = |n: usize| {
        groups[..n]
            .iter()
            .map(|g| IncludeTarget::group(*g))
            .collect()
    };
    let exclude = |n: usize| {
        groups[..n]
            .iter()
            .map(|g| ExcludeTarget::group(*g))
            .collect()
    };
    let before = fx.state_json();
    let pa = fx.policy_admin;
    let msg = bad_request(
        fx.tenant
            .update_policy(pa, &PolicyPatch::new().include_targets(include(501))),
    );
    assert_eq!(msg, "`includeTargets` holds at most 500 targets, got 501");
    let e = fx
        .tenant
        .update_policy(pa, &PolicyPatch::new().exclude_targets(exclude(501)))
        .unwrap_err();
    assert_eq!(
        e,
        Error::Invalid(Invalid::TooManyTargets {
            field: "excludeTargets",
            max: 500,
            got: 501
        })
    );
    assert_eq!(fx.state_json(), before, "rejected updates change nothing");
    let p = fx
        .tenant
        .update_policy(
            pa,
            &PolicyPatch::new()
                .include_targets(include(500))
                .exclude_targets(exclude(500)),
        )
        .unwrap();
    assert_eq!(
        (p.include_targets.len(), p.exclude_targets.len()),
        (500, 500)
    );
}
