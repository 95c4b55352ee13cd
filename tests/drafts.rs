//! Drafts, the three-phase storage of secrets (design.md, "Serving many callers"): a
//! draft commits only into the tenant that drew it (T4), its hash is out of a caller's
//! reach (T4), and a registration's freshness is judged when it began (B2's S6, R9).

use std::sync::Arc;

use chrono::Duration;
use tapsim::*;

use crate::common::*;

/// Two tenants built from one seed: what a server's reset (or scenario, or snapshot)
/// amounts to for a request still hashing.
fn same_seed_pair() -> (Fx, Fx) {
    (Fx::enabled(), Fx::enabled())
}

#[test]
fn t4_a_draft_commits_only_into_the_tenant_state_it_was_drawn_from() {
    let (mut old, mut new) = same_seed_pair();
    let before = new.state_json();

    // A user: refused by name, nothing changes in the other tenant, the RNG included.
    let draft = old
        .tenant
        .prepare_add_user(NewUser::member("a@contoso.com", "A").password("pw"))
        .unwrap();
    let err = new.tenant.commit_add_user(draft).unwrap_err();
    assert_eq!(err, Error::StaleDraft);
    assert_eq!((err.code(), err.http_status()), (ErrorCode::Conflict, 409));
    assert_eq!(
        new.state_json(),
        before,
        "nothing changes, the RNG included"
    );

    // A pass: refused; no pass, no audit record.
    let (ga, ada) = (old.global_admin, old.ada);
    let draft = old
        .tenant
        .prepare_create_pass(ga, ada, PassOptions::default())
        .unwrap();
    let err = new.tenant.commit_create_pass(draft).unwrap_err();
    assert_eq!(err, Error::StaleDraft);
    assert_eq!(new.state_json(), before);

    // A password.
    let draft = old.tenant.prepare_set_password(old.bob, "bob-2").unwrap();
    assert_eq!(
        new.tenant.commit_set_password(draft).unwrap_err(),
        Error::StaleDraft
    );
    assert_eq!(new.state_json(), before);

    // So the other tenant's next draws are its own: no id is stored twice.
    let b = new
        .tenant
        .add_user(NewUser::member("b@contoso.com", "B"))
        .unwrap();
    let c = new
        .tenant
        .add_user(NewUser::member("c@contoso.com", "C"))
        .unwrap();
    assert_ne!(b, c);
    let issued = new.issue(new.ada, PassOptions::default());
    let audit_ids: Vec<Guid> = new.tenant.audit_log().iter().map(|r| r.id).collect();
    assert!(!audit_ids.contains(&issued.pass.id.0));

    // The drawing tenant takes its own drafts.
    let draft = old
        .tenant
        .prepare_add_user(NewUser::member("a@contoso.com", "A").password("pw"))
        .unwrap();
    let a = old.tenant.commit_add_user(draft).unwrap();
    assert!(old.tenant.directory().user(a).is_some());
}

#[test]
fn t4_a_method_draft_from_a_restored_or_forked_tenant_is_refused() {
    let mut fx = Fx::enabled();
    let once = fx.issue(fx.ada, PassOptions::new().usable_once(true));
    let s = fx.sign_in_pass(ADA, &once.secret).session().unwrap().id();
    // Restored from a snapshot: the same state, another tenant for drafts.
    let snapshot = fx.tenant.snapshot();
    let draft = fx
        .tenant
        .prepare_register_method(s, MethodKind::Fido2SecurityKey, "key")
        .unwrap();
    let mut restored = Tenant::from_snapshot(snapshot, Arc::new(fx.clock.clone())).unwrap();
    let before = serde_json::to_string(&restored.snapshot()).unwrap();
    assert_eq!(
        restored.commit_register_method(draft).unwrap_err(),
        Error::StaleDraft
    );
    assert_eq!(serde_json::to_string(&restored.snapshot()).unwrap(), before);
    // A fork (`Clone`) too.
    let mut fork = fx.tenant.clone();
    let draft = fx
        .tenant
        .prepare_register_method(s, MethodKind::Fido2SecurityKey, "key")
        .unwrap();
    assert_eq!(
        fork.commit_register_method(draft).unwrap_err(),
        Error::StaleDraft
    );
    assert!(fork.methods_of(fx.ada).is_empty());
}

#[test]
fn t4_a_drafts_hash_cannot_be_swapped() {
    // The hash is out of reach (a compile_fail doctest on `PassDraft` shows the field
    // cannot be assigned): a caller runs it, and the pass stored is the drawn secret's.
    let mut fx = Fx::enabled();
    let admin = fx.global_admin;
    let mut draft = fx
        .tenant
        .prepare_create_pass(admin, fx.ada, PassOptions::default())
        .unwrap();
    let mut pw = fx
        .tenant
        .prepare_set_password(fx.ada, "chosen-secret")
        .unwrap();
    draft.run_hash();
    pw.run_hash();
    draft.run_hash(); // once; a second run changes nothing
    fx.tenant.commit_set_password(pw).unwrap();
    let issued = fx.tenant.commit_create_pass(draft).unwrap();
    let chosen = fx.tenant.sign_in(ADA, Credential::Pass("chosen-secret"));
    assert_eq!(chosen.denial(), Some(DenialReason::InvalidCredential));
    assert!(fx.sign_in_pass(ADA, &issued.secret).is_allowed());
}

#[test]
fn t4_drafts_never_show_their_secret() {
    let mut fx = Fx::enabled();
    let (aa, ada) = (fx.auth_admin, fx.ada);
    let draft = fx
        .tenant
        .prepare_create_pass(aa, ada, PassOptions::new().usable_once(true))
        .unwrap();
    let text = format!("{draft:?}");
    let issued = fx.tenant.commit_create_pass(draft).unwrap();
    let secret = issued.secret.danger_reveal();
    assert!(text.contains("PassDraft"), "{text}");
    assert!(!text.contains(secret), "{text}");

    let draft = fx
        .tenant
        .prepare_set_password(fx.bob, "bob-password-2")
        .unwrap();
    let text = format!("{draft:?}");
    assert!(
        text.contains("PasswordDraft") && !text.contains("bob-password-2"),
        "{text}"
    );
    fx.tenant.commit_set_password(draft).unwrap();

    let draft = fx
        .tenant
        .prepare_add_user(NewUser::member("carol@contoso.com", "Carol").password("carol-pw-2"))
        .unwrap();
    let text = format!("{draft:?}");
    assert!(
        text.contains("UserDraft") && !text.contains("carol-pw-2"),
        "{text}"
    );
    fx.tenant.commit_add_user(draft).unwrap();

    let s = fx.sign_in_pass(ADA, &issued.secret).session().unwrap().id();
    let draft = fx
        .tenant
        .prepare_register_method(s, MethodKind::Fido2SecurityKey, "key")
        .unwrap();
    let text = format!("{draft:?}");
    let device = fx.tenant.commit_register_method(draft).unwrap();
    let secret = device.danger_secret().danger_reveal();
    assert!(
        text.contains("MethodDraft") && !text.contains(secret),
        "{text}"
    );
}

#[test]
fn b2_s6_registration_freshness_is_judged_when_registration_begins() {
    let mut fx = Fx::enabled();
    let once = fx.issue(
        fx.ada,
        PassOptions::new()
            .usable_once(true)
            .lifetime_in_minutes(120),
    );
    let s = fx.sign_in_pass(ADA, &once.secret).session().unwrap().id();
    fx.advance(Duration::minutes(9));
    let draft = fx
        .tenant
        .prepare_register_method(s, MethodKind::Fido2SecurityKey, "key")
        .unwrap();
    fx.advance(Duration::minutes(2)); // a slow hash, a busy lock
    let device = fx.tenant.commit_register_method(draft).unwrap();
    assert!(
        fx.tenant
            .sign_in(ADA, Credential::Device(&device))
            .is_allowed()
    );
    // Begun 10 minutes after the proof or later: refused when it begins.
    let err = fx
        .tenant
        .prepare_register_method(s, MethodKind::Passkey, "phone")
        .unwrap_err();
    assert_eq!(err, Error::AccessDenied(Denial::MfaNotFresh));
}

/// A registration has the ten minutes it began with to finish [sim]: a draft held
/// longer (here seven hours) is judged when it is committed, and refused once its MFA
/// is stale, as a registration begun then would be. Nothing is registered.
#[test]
fn b2_s6_a_registration_draft_held_past_ten_minutes_is_judged_again_at_commit() {
    let mut fx = Fx::enabled();
    let multi = fx.issue(fx.ada, PassOptions::new().lifetime_in_minutes(480));
    let s = fx.sign_in_pass(ADA, &multi.secret).session().unwrap().id();
    let draft = fx
        .tenant
        .prepare_register_method(s, MethodKind::Fido2SecurityKey, "key")
        .unwrap();
    fx.advance(Duration::hours(7));
    let err = fx.tenant.commit_register_method(draft).unwrap_err();
    assert_eq!(err, Error::AccessDenied(Denial::MfaNotFresh));
    assert!(
        fx.tenant
            .list_methods(fx.auth_admin, fx.ada)
            .unwrap()
            .is_empty()
    );
    // The same answer as a registration begun now.
    let begun_now = fx
        .tenant
        .prepare_register_method(s, MethodKind::Passkey, "phone")
        .unwrap_err();
    assert_eq!(begun_now, Error::AccessDenied(Denial::MfaNotFresh));
}

#[test]
fn r9_s6_a_docs_2025_window_is_judged_when_registration_begins() {
    let mut fx = Fx::docs_2025();
    let once = fx.issue(
        fx.ada,
        PassOptions::new()
            .usable_once(true)
            .lifetime_in_minutes(120),
    );
    let s = fx.sign_in_pass(ADA, &once.secret).session().unwrap().id();
    fx.advance(Duration::minutes(9));
    let draft = fx
        .tenant
        .prepare_register_method(s, MethodKind::Fido2SecurityKey, "key")
        .unwrap();
    fx.advance(Duration::minutes(2));
    assert!(fx.tenant.commit_register_method(draft).is_ok());
    let err = fx
        .tenant
        .prepare_register_method(s, MethodKind::Fido2SecurityKey, "key 2")
        .unwrap_err();
    assert_eq!(err, Error::AccessDenied(Denial::RegistrationWindowClosed));
}

#[test]
fn r9_r15_a_commit_still_checks_the_session_and_the_account_now() {
    let mut fx = Fx::enabled();
    let once = fx.issue(fx.ada, PassOptions::new().usable_once(false));
    let s = fx.sign_in_pass(ADA, &once.secret).session().unwrap().id();
    // Revoked between the phases: refused at commit, though registration began in time.
    let draft = fx
        .tenant
        .prepare_register_method(s, MethodKind::Fido2SecurityKey, "key")
        .unwrap();
    fx.tenant
        .revoke_sign_in_sessions(fx.global_admin, fx.ada)
        .unwrap();
    assert_eq!(
        fx.tenant.commit_register_method(draft).unwrap_err(),
        Error::AccessDenied(Denial::SessionNotValid)
    );
    // Disabled between the phases: refused at commit.
    let s = fx.sign_in_pass(ADA, &once.secret).session().unwrap().id();
    let draft = fx
        .tenant
        .prepare_register_method(s, MethodKind::Fido2SecurityKey, "key")
        .unwrap();
    fx.tenant.set_account_enabled(fx.ada, false).unwrap();
    let err = fx.tenant.commit_register_method(draft).unwrap_err();
    assert_eq!(err.code(), ErrorCode::AccessDenied, "{err}");
    assert!(fx.tenant.methods_of(fx.ada).is_empty());
}
