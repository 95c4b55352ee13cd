//! Spec A1, A2, R10: exactly one audit record per state change, with Entra's strings.

use chrono::Duration;
use tapsim::*;

use crate::common::*;

#[test]
fn a1_pass_created_by_an_admin() {
    let mut fx = Fx::enabled();
    fx.advance(Duration::minutes(1));
    let issued = fx.issue(
        fx.ada,
        PassOptions::new().lifetime_in_minutes(90).usable_once(true),
    );
    let rec = fx.tenant.audit_log().last().unwrap();
    assert_eq!(rec.activity(), Some(Activity::AdminRegisteredPass));
    assert_eq!(rec.activity_display_name, "Admin registered security info");
    assert_eq!(
        rec.result_reason,
        "Admin registered temporary access pass method for user"
    );
    assert_eq!(rec.category, "UserManagement");
    assert_eq!(rec.logged_by_service, "Authentication Methods");
    assert_eq!(rec.result, "success");
    assert_eq!(rec.activity_date_time, t0() + Duration::minutes(1));
    assert_eq!(rec.initiated_by.user.user_principal_name, "aa@contoso.com");
    assert_eq!(rec.target_user(), Some(fx.ada.to_string().as_str()));
    assert_eq!(
        rec.target_resources[0].user_principal_name.as_deref(),
        Some(ADA)
    );
    assert_eq!(
        rec.new_value("TemporaryAccessPassId"),
        Some(issued.pass.id.to_string().as_str())
    );
    assert_eq!(rec.new_value("StartDateTime"), Some("2026-01-05T09:01:00Z"));
    assert_eq!(rec.new_value("EndDateTime"), Some("2026-01-05T10:31:00Z"));
    assert_eq!(rec.new_value("Usage"), Some("Single"));
    let json = serde_json::to_string(rec).unwrap();
    assert!(
        !json.contains(issued.secret.danger_reveal()),
        "never the secret"
    );
    let multi = fx.issue(fx.bob, PassOptions::new().usable_once(false));
    assert_eq!(
        fx.tenant.audit_log().last().unwrap().new_value("Usage"),
        Some("Multiple")
    );
    let _ = multi;
}

#[test]
fn a2_other_events_and_their_strings() {
    let mut fx = Fx::enabled();
    let policy = fx.tenant.audit_log().last().unwrap();
    assert_eq!(
        policy.activity_display_name,
        "Authentication Methods Policy Update"
    );
    assert_eq!(policy.category, "Policy");
    assert_eq!(policy.new_value("state"), Some("\"enabled\""));
    let issued = fx.issue(fx.ada, PassOptions::default());
    fx.tenant
        .delete_pass(fx.auth_admin, fx.ada, issued.pass.id)
        .unwrap();
    let del = fx.tenant.audit_log().last().unwrap();
    assert_eq!(del.activity_display_name, "Admin deleted security info");
    assert_eq!(
        del.result_reason,
        "Admin deleted temporary access pass method for user"
    );
    fx.tenant.reset_policy(fx.global_admin).unwrap();
    let reset = fx.tenant.audit_log().last().unwrap();
    assert_eq!(
        reset.activity_display_name,
        "Authentication Methods Policy Reset"
    );
    assert_eq!(reset.category, "Policy");
    assert_eq!(
        reset.initiated_by.user.user_principal_name,
        "ga@contoso.com"
    );
}

#[test]
fn a2_exactly_one_record_per_state_change_and_none_for_rejections() {
    let mut fx = Fx::new();
    let count = |fx: &Fx| fx.tenant.audit_log().len();
    assert_eq!(count(&fx), 0, "directory setup is not audited [sim]");
    fx.enable();
    assert_eq!(count(&fx), 1);
    let _ = fx.tenant.update_policy(fx.auth_admin, &PolicyPatch::new());
    let _ = fx
        .tenant
        .update_policy(fx.policy_admin, &PolicyPatch::new().default_length(1));
    assert_eq!(count(&fx), 1, "rejected calls leave no record");
    let first = fx.issue(fx.ada, PassOptions::default());
    assert_eq!(count(&fx), 2);
    fx.issue(fx.ada, PassOptions::default());
    assert_eq!(count(&fx), 3, "a replacement leaves one record, not two");
    assert_eq!(
        fx.tenant.audit_log()[2].activity(),
        Some(Activity::AdminRegisteredPass)
    );
    let _ = fx
        .tenant
        .create_pass(fx.auth_admin, fx.ada, Lifetime::minutes(1));
    let _ = fx.tenant.delete_pass(fx.auth_admin, fx.ada, first.pass.id);
    fx.tenant.sign_in(ADA, Credential::Password(ADA_PASSWORD));
    fx.tenant.list_passes(fx.auth_admin, fx.ada).unwrap();
    assert_eq!(
        count(&fx),
        3,
        "reads, sign-ins and rejections are not audited"
    );
}

#[test]
fn a2_audit_ids_and_correlation_ids_are_distinct() {
    let mut fx = Fx::enabled();
    for _ in 0..5 {
        fx.issue(fx.ada, PassOptions::default());
    }
    let mut ids: Vec<Guid> = fx
        .tenant
        .audit_log()
        .iter()
        .flat_map(|r| [r.id, r.correlation_id])
        .collect();
    let n = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), n);
}

#[test]
fn a2_audit_and_sign_in_logs_are_queryable_by_user() {
    let mut fx = Fx::enabled();
    let issued = fx.issue(fx.ada, PassOptions::default());
    fx.issue(fx.bob, PassOptions::default());
    fx.sign_in_pass(ADA, &issued.secret);
    fx.tenant
        .sign_in("bob@contoso.com", Credential::Pass("wrong-one"));
    let ada: Vec<_> = fx.tenant.audit_records_for(fx.ada).collect();
    assert_eq!(ada.len(), 1);
    assert_eq!(
        ada[0].target_resources[0].user_principal_name.as_deref(),
        Some(ADA)
    );
    let ada_signins: Vec<_> = fx.tenant.sign_ins_for(fx.ada).collect();
    assert_eq!(ada_signins.len(), 1);
    assert!(ada_signins[0].succeeded());
    let bob_signins: Vec<_> = fx.tenant.sign_ins_for(fx.bob).collect();
    assert_eq!(bob_signins.len(), 1);
    assert!(!bob_signins[0].succeeded());
}

#[test]
fn a2_updates_that_change_nothing_leave_no_record() {
    let mut fx = Fx::new();
    fx.tenant
        .update_policy(fx.policy_admin, &PolicyPatch::new())
        .unwrap();
    fx.tenant
        .update_policy(fx.policy_admin, &PolicyPatch::new().default_length(8))
        .unwrap();
    fx.tenant.reset_policy(fx.policy_admin).unwrap();
    assert!(
        fx.tenant.audit_log().is_empty(),
        "R10: only state changes are audited"
    );
    fx.enable();
    fx.enable();
    assert_eq!(fx.tenant.audit_log().len(), 1);
}

#[test]
fn m4_removing_an_unknown_method_changes_nothing() {
    let mut fx = Fx::enabled();
    let d = fx
        .tenant
        .provision_method(fx.ada, MethodKind::Sms, "+1 555 0100")
        .unwrap();
    let before = fx.state_json();
    let e = fx
        .tenant
        .remove_method(fx.global_admin, fx.bob, d.method())
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::ItemNotFound);
    assert_eq!(
        fx.state_json(),
        before,
        "a rejected removal changes nothing"
    );
}

// ---- Bounded logs (issue 11) ------------------------------------------------------------

#[test]
fn s9_logs_keep_their_newest_records_within_the_capacity_and_count_the_rest() {
    let mut fx = Fx::build(Tenant::builder().log_capacity(16));
    for i in 0..1000 {
        fx.tenant
            .sign_in(&format!("nobody{i}@contoso.com"), Credential::Password("x"));
    }
    let log = fx.tenant.sign_in_log();
    assert_eq!(log.len(), 16);
    assert_eq!(log[15].user_principal_name, "nobody999@contoso.com");
    assert_eq!(log[0].user_principal_name, "nobody984@contoso.com");
    assert_eq!(fx.tenant.log_records_dropped().sign_ins, 984);
    // What is kept is bounded too, not only what is shown: at most an eighth more.
    let snapshot = serde_json::to_value(fx.tenant.snapshot()).unwrap();
    let kept = snapshot["signIn"]["log"].as_array().unwrap().len();
    assert!((16..=18).contains(&kept), "{kept} records kept");
    // The audit log follows the same bound.
    fx.enable();
    let ada = fx.ada;
    for _ in 0..40 {
        fx.issue(ada, PassOptions::new());
    }
    assert_eq!(fx.tenant.audit_log().len(), 16);
    assert_eq!(fx.tenant.log_records_dropped().audits, 41 - 16);
    assert_eq!(fx.tenant.audit_records_for(ada).count(), 16);
    // A snapshot restores with its counts.
    let back: TenantState = serde_json::from_value(snapshot).unwrap();
    let restored =
        Tenant::from_snapshot(back, std::sync::Arc::new(ManualClock::new(t0()))).unwrap();
    assert_eq!(restored.log_records_dropped().sign_ins, 984);
}

#[test]
fn s9_a_huge_typed_name_is_logged_cut_at_the_longest_upn() {
    let mut fx = Fx::new();
    let huge = "a".repeat(1 << 20);
    fx.tenant.sign_in(&huge, Credential::Password("x"));
    let logged = &fx.tenant.sign_in_log()[0].user_principal_name;
    assert_eq!(logged.chars().count(), MAX_LOGGED_NAME_CHARS + 1);
    assert!(logged.ends_with('…'));
    // Multi-byte characters are cut on a character boundary.
    fx.tenant
        .sign_in(&"é".repeat(500), Credential::Password("x"));
    assert_eq!(
        fx.tenant.sign_in_log()[1]
            .user_principal_name
            .chars()
            .count(),
        MAX_LOGGED_NAME_CHARS + 1
    );
}

#[test]
fn r14_log_capacity_is_checked_and_changes_at_run_time() {
    assert!(Tenant::builder().log_capacity(0).build().is_err());
    let mut fx = Fx::new();
    let e = fx
        .tenant
        .set_log_capacity(MAX_LOG_CAPACITY + 1)
        .unwrap_err();
    assert!(e.to_string().contains("log_capacity"), "{e}");
    fx.tenant.set_log_capacity(2).unwrap();
    for _ in 0..5 {
        fx.tenant.sign_in(ADA, Credential::Password("x"));
    }
    assert_eq!(fx.tenant.sign_in_log().len(), 2);
    assert_eq!(fx.tenant.log_records_dropped().sign_ins, 3);
}
