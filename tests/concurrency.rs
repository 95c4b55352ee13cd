//! Sign-ins in parallel (issue 11): the credential check in three phases (what to
//! verify under the lock, argon2 with no lock, every rule under the lock again), raced
//! from many threads and in every interleaving of two attempts.

use std::sync::{Arc, Barrier, Mutex};

use tapsim::*;

use crate::common::*;

/// One attempt in three phases against a shared tenant, as a server does it.
fn three_phase(t: &Mutex<Tenant>, upn: &str, credential: Credential<'_>) -> SignInOutcome {
    let request = t.lock().unwrap().proofs_needed(upn, credential);
    let proofs = request.verify();
    t.lock()
        .unwrap()
        .sign_in_with_proofs(upn, credential, &proofs)
}

#[test]
fn s3_a_one_time_pass_signs_in_exactly_once_however_many_threads_race() {
    for run in 0..100 {
        let mut fx = Fx::enabled();
        let ada = fx.ada;
        let issued = fx.issue(ada, PassOptions::new().usable_once(true));
        let secret = issued.secret.danger_reveal().to_owned();
        let tenant = Arc::new(Mutex::new(fx.tenant));
        let threads = 8;
        let barrier = Arc::new(Barrier::new(threads));
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let (tenant, barrier, secret) = (tenant.clone(), barrier.clone(), secret.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    three_phase(&tenant, ADA, Credential::Pass(&secret)).denial()
                })
            })
            .collect();
        let denials: Vec<Option<DenialReason>> =
            handles.into_iter().map(|h| h.join().unwrap()).collect();
        let allowed = denials.iter().filter(|d| d.is_none()).count();
        assert_eq!(allowed, 1, "run {run}: {denials:?}");
        assert!(
            denials
                .iter()
                .flatten()
                .all(|d| *d == DenialReason::PassOneTimeUsed),
            "run {run}: {denials:?}"
        );
        let t = tenant.lock().unwrap();
        assert_eq!(t.sign_in_log().len(), threads, "one record per attempt");
    }
}

#[test]
fn r6_lockout_counts_every_racing_failure_exactly_once() {
    for run in 0..20 {
        let fx = Fx::build(Tenant::builder().lockout(LockoutSettings {
            threshold: 6,
            duration_seconds: 60,
        }));
        let ada = fx.ada;
        let tenant = Arc::new(Mutex::new(fx.tenant));
        // Five failures in parallel: one short of the threshold.
        let barrier = Arc::new(Barrier::new(5));
        let handles: Vec<_> = (0..5)
            .map(|_| {
                let (tenant, barrier) = (tenant.clone(), barrier.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    three_phase(&tenant, ADA, Credential::Password("wrong")).denial()
                })
            })
            .collect();
        for h in handles {
            assert_eq!(h.join().unwrap(), Some(DenialReason::InvalidCredential));
        }
        assert_eq!(tenant.lock().unwrap().locked_until(ada), None, "run {run}");
        // The sixth locks the account: the five were each counted once.
        three_phase(&tenant, ADA, Credential::Password("wrong"));
        assert!(
            tenant.lock().unwrap().locked_until(ada).is_some(),
            "run {run}"
        );
    }
}

#[test]
fn t5_a_pass_replaced_between_the_phases_does_not_sign_in() {
    let mut fx = Fx::enabled();
    let ada = fx.ada;
    let old = fx.issue(ada, PassOptions::new());
    let old_secret = old.secret.danger_reveal().to_owned();
    let request = fx.tenant.proofs_needed(ADA, Credential::Pass(&old_secret));
    let proofs = request.verify();
    // Between the phases, the help desk replaces the pass.
    let new = fx.issue(ada, PassOptions::new());
    let out = fx
        .tenant
        .sign_in_with_proofs(ADA, Credential::Pass(&old_secret), &proofs);
    assert_eq!(out.denial(), Some(DenialReason::InvalidCredential));
    // And proofs for the old pass do not stand in for the new one's secret either.
    let new_secret = new.secret.danger_reveal();
    let out = fx
        .tenant
        .sign_in_with_proofs(ADA, Credential::Pass(new_secret), &proofs);
    assert!(
        out.is_allowed(),
        "verified in the commit, with the new hash"
    );
}

#[test]
fn r5_proofs_reveal_nothing_a_sign_in_would_not() {
    let mut fx = Fx::enabled();
    // An unknown user, a wrong secret and a user with no pass all need exactly one
    // verification (the decoy for the missing ones): the same work, the same answer.
    for (upn, secret) in [
        ("ghost@contoso.com", "ABCDEFGH"),
        (ADA, "ABCDEFGH"),
        ("bob@contoso.com", "ABCDEFGH"),
    ] {
        let request = fx.tenant.proofs_needed(upn, Credential::Pass(secret));
        assert_eq!(request.len(), 1, "{upn}");
        let proofs = request.verify();
        let out = fx
            .tenant
            .sign_in_with_proofs(upn, Credential::Pass(secret), &proofs);
        assert_eq!(out.denial(), Some(DenialReason::InvalidCredential), "{upn}");
        assert!(!format!("{request_debug:?}", request_debug = proofs).contains(secret));
    }
    // A locked account needs none: nothing is verified, as at sign-in.
    fx.tenant
        .set_lockout(LockoutSettings {
            threshold: 1,
            duration_seconds: 60,
        })
        .unwrap();
    fx.tenant.sign_in(ADA, Credential::Password("wrong"));
    assert!(
        fx.tenant
            .proofs_needed(ADA, Credential::Password(ADA_PASSWORD))
            .is_empty()
    );
}

/// Every interleaving of two attempts' locked phases (prepare P, commit C; the
/// verification between them holds no lock, so it cannot interleave with state): a
/// one-time pass signs in exactly once, in each of the six orders.
#[test]
fn s3_every_interleaving_of_two_attempts_signs_in_once() {
    // A and B each do P then C; the orders of the four steps that keep that.
    let orders: [[(usize, char); 4]; 6] = [
        [(0, 'P'), (0, 'C'), (1, 'P'), (1, 'C')],
        [(0, 'P'), (1, 'P'), (0, 'C'), (1, 'C')],
        [(0, 'P'), (1, 'P'), (1, 'C'), (0, 'C')],
        [(1, 'P'), (0, 'P'), (0, 'C'), (1, 'C')],
        [(1, 'P'), (0, 'P'), (1, 'C'), (0, 'C')],
        [(1, 'P'), (1, 'C'), (0, 'P'), (0, 'C')],
    ];
    for order in orders {
        let mut fx = Fx::enabled();
        let ada = fx.ada;
        let issued = fx.issue(ada, PassOptions::new().usable_once(true));
        let secret = issued.secret.danger_reveal();
        let mut proofs: [Option<Proofs>; 2] = [None, None];
        let mut allowed = 0;
        for (who, step) in order {
            match step {
                'P' => {
                    proofs[who] = Some(
                        fx.tenant
                            .proofs_needed(ADA, Credential::Pass(secret))
                            .verify(),
                    );
                }
                _ => {
                    let p = proofs[who].take().unwrap();
                    if fx
                        .tenant
                        .sign_in_with_proofs(ADA, Credential::Pass(secret), &p)
                        .is_allowed()
                    {
                        allowed += 1;
                    }
                }
            }
        }
        assert_eq!(allowed, 1, "{order:?}");
        assert_eq!(
            fx.tenant.pass_view(ada).unwrap().method_usability_reason,
            UsabilityReason::OneTimeUsed
        );
    }
}

// ---- Storing secrets in three phases (issue 11) -----------------------------------------

/// The same operations, one call each or in three phases, from the same seed.
fn store_secrets(split: bool) -> (Fx, Vec<String>) {
    let mut fx = Fx::enabled();
    let (aa, ada) = (fx.auth_admin, fx.ada);
    let mut secrets = Vec::new();
    let issued = if split {
        let mut draft = fx
            .tenant
            .prepare_create_pass(aa, ada, PassOptions::new().usable_once(true))
            .unwrap();
        draft.run_hash();
        fx.tenant.commit_create_pass(draft).unwrap()
    } else {
        fx.tenant
            .create_pass(aa, ada, PassOptions::new().usable_once(true))
            .unwrap()
    };
    secrets.push(issued.secret.danger_reveal().to_owned());
    if split {
        let mut draft = fx
            .tenant
            .prepare_set_password(fx.bob, "bob's new one")
            .unwrap();
        draft.run_hash();
        fx.tenant.commit_set_password(draft).unwrap();
    } else {
        fx.tenant.set_password(fx.bob, "bob's new one").unwrap();
    }
    let carol = NewUser::member("carol@contoso.com", "Carol").password("carol-pw");
    if split {
        let mut draft = fx.tenant.prepare_add_user(carol).unwrap();
        draft.run_hash();
        fx.tenant.commit_add_user(draft).unwrap();
    } else {
        fx.tenant.add_user(carol).unwrap();
    }
    let session = fx.sign_in_pass(ADA, &issued.secret).session().unwrap().id();
    let device = if split {
        let mut draft = fx
            .tenant
            .prepare_register_method(session, MethodKind::Fido2SecurityKey, "key")
            .unwrap();
        draft.run_hash();
        fx.tenant.commit_register_method(draft).unwrap()
    } else {
        fx.tenant
            .register_method(session, MethodKind::Fido2SecurityKey, "key")
            .unwrap()
    };
    secrets.push(device.danger_secret().danger_reveal().to_owned());
    // A second pass replaces the first (T5), the same way on both paths.
    let second = if split {
        // Not hashed beforehand: the commit hashes it.
        let draft = fx
            .tenant
            .prepare_create_pass(aa, ada, PassOptions::default())
            .unwrap();
        fx.tenant.commit_create_pass(draft).unwrap()
    } else {
        fx.tenant
            .create_pass(aa, ada, PassOptions::default())
            .unwrap()
    };
    secrets.push(second.secret.danger_reveal().to_owned());
    (fx, secrets)
}

#[test]
fn t4_three_phase_storage_gives_the_one_call_secrets_and_state_for_a_seed() {
    let (one, one_secrets) = store_secrets(false);
    let (split, split_secrets) = store_secrets(true);
    assert_eq!(one_secrets, split_secrets);
    assert_eq!(
        one.state_json(),
        split.state_json(),
        "hashes, ids, logs, RNG"
    );
    let mut fx = split;
    assert!(
        fx.tenant
            .sign_in("bob@contoso.com", Credential::Password("bob's new one"))
            .is_allowed()
    );
    let second = Secret::from(split_secrets[2].as_str());
    assert!(fx.sign_in_pass(ADA, &second).is_allowed());
    // Drafts redact their secrets.
    let draft = fx
        .tenant
        .prepare_create_pass(fx.auth_admin, fx.ada, PassOptions::default())
        .unwrap();
    let text = format!("{draft:?}");
    let third = fx.tenant.commit_create_pass(draft).unwrap();
    assert!(text.contains("PassDraft"), "{text}");
    assert!(!text.contains(third.secret.danger_reveal()), "{text}");
}

#[test]
fn t5_a_pass_created_between_the_phases_is_replaced_at_commit() {
    let mut fx = Fx::enabled();
    let (aa, ada) = (fx.auth_admin, fx.ada);
    let mut draft = fx
        .tenant
        .prepare_create_pass(aa, ada, PassOptions::default())
        .unwrap();
    draft.run_hash();
    // Another caller creates a pass in between.
    let other = fx
        .tenant
        .create_pass(aa, ada, PassOptions::default())
        .unwrap();
    let mine = fx.tenant.commit_create_pass(draft).unwrap();
    // T5 at commit: the pass in place is replaced.
    assert_eq!(fx.tenant.pass_record(ada).unwrap().id(), mine.pass.id);
    assert_ne!(mine.pass.id, other.pass.id, "fresh draws, never reused");
    assert!(fx.sign_in_pass(ADA, &other.secret).denial().is_some());
    assert!(fx.sign_in_pass(ADA, &mine.secret).is_allowed());
    assert_eq!(
        fx.tenant
            .audit_records_for(ada)
            .filter(|r| r.activity() == Some(Activity::AdminRegisteredPass))
            .count(),
        2
    );
    // Under the delete-first switch the commit finds the pass in place: conflict.
    let mut fx = Fx::enabled_with(Switches::current().delete_before_create(true));
    let draft = fx
        .tenant
        .prepare_create_pass(fx.auth_admin, fx.ada, PassOptions::default())
        .unwrap();
    let other = fx.issue(fx.ada, PassOptions::default());
    let before = fx.state_json();
    assert_eq!(
        fx.tenant.commit_create_pass(draft).unwrap_err(),
        Error::PassAlreadyExists
    );
    assert_eq!(fx.state_json(), before, "a refused commit changes nothing");
    assert!(fx.sign_in_pass(ADA, &other.secret).is_allowed());
}

#[test]
fn r1_commits_recheck_the_actor_the_user_and_the_session() {
    // The actor loses the role in between: refused, and the tenant is as before the
    // draft, its RNG included (nothing else drew from it).
    let mut fx = Fx::enabled();
    let before = fx.state_json();
    let draft = fx
        .tenant
        .prepare_create_pass(fx.auth_admin, fx.ada, PassOptions::default())
        .unwrap();
    fx.tenant
        .remove_role(fx.auth_admin, Role::AuthenticationAdministrator)
        .unwrap();
    let e = fx.tenant.commit_create_pass(draft).unwrap_err();
    assert_eq!(e.code(), ErrorCode::AccessDenied);
    fx.tenant
        .assign_role(fx.auth_admin, Role::AuthenticationAdministrator)
        .unwrap();
    assert_eq!(fx.state_json(), before);
    // The user is gone when the commit comes (a snapshot from before the user existed
    // was restored in between): the restored tenant is another tenant for drafts, so
    // the drafts are refused before anything else (T4), and nothing changes.
    let mut fx = Fx::enabled();
    let early = fx.tenant.snapshot();
    let carol = fx.user("carol@contoso.com");
    let pass = fx
        .tenant
        .prepare_create_pass(fx.auth_admin, carol, PassOptions::default())
        .unwrap();
    let password = fx.tenant.prepare_set_password(carol, "carol-pw").unwrap();
    fx.tenant = Tenant::from_snapshot(early, std::sync::Arc::new(fx.clock.clone())).unwrap();
    let restored = fx.state_json();
    assert_eq!(
        fx.tenant.commit_create_pass(pass).unwrap_err(),
        Error::StaleDraft
    );
    assert_eq!(
        fx.tenant.commit_set_password(password).unwrap_err(),
        Error::StaleDraft
    );
    assert_eq!(fx.state_json(), restored);
    assert!(fx.tenant.directory().user(carol).is_none());
    // The name is taken in between: the second user is refused at commit.
    let mut fx = Fx::enabled();
    let draft = fx
        .tenant
        .prepare_add_user(NewUser::member("dan@contoso.com", "Dan").password("d"))
        .unwrap();
    let first = fx
        .tenant
        .add_user(NewUser::member("DAN@contoso.com", "Dan 1"))
        .unwrap();
    assert_ne!(first, draft.id(), "fresh draws, never reused");
    assert_eq!(
        fx.tenant.commit_add_user(draft).unwrap_err(),
        Error::DuplicateUpn("dan@contoso.com".to_owned())
    );
    assert_eq!(
        fx.tenant.user_by_upn("dan@contoso.com").unwrap().id(),
        first
    );
    // The session is revoked in between: the method is not registered.
    let mut fx = Fx::enabled();
    let issued = fx.issue(fx.ada, PassOptions::default());
    let session = fx.sign_in_pass(ADA, &issued.secret).session().unwrap().id();
    let mut draft = fx
        .tenant
        .prepare_register_method(session, MethodKind::Passkey, "phone")
        .unwrap();
    draft.run_hash();
    fx.tenant.revoke_sign_in_sessions(fx.ada, fx.ada).unwrap();
    let e = fx.tenant.commit_register_method(draft).unwrap_err();
    assert_eq!(e.code(), ErrorCode::AccessDenied);
    assert!(fx.tenant.methods_of(fx.ada).is_empty());
}

#[test]
fn p2_a_pass_length_changed_between_the_phases_is_drawn_again_at_commit() {
    let mut fx = Fx::enabled();
    let (aa, ada) = (fx.auth_admin, fx.ada);
    let draft = fx
        .tenant
        .prepare_create_pass(aa, ada, PassOptions::default())
        .unwrap();
    fx.patch(PolicyPatch::new().default_length(12));
    let issued = fx.tenant.commit_create_pass(draft).unwrap();
    assert_eq!(issued.secret.danger_reveal().len(), 12);
    let state = fx.state_json();
    assert!(fx.sign_in_pass(ADA, &issued.secret).is_allowed());
    // Deterministic: the same calls from the same seed draw the same pass again.
    let mut again = Fx::enabled();
    let draft = again
        .tenant
        .prepare_create_pass(aa, ada, PassOptions::default())
        .unwrap();
    again.patch(PolicyPatch::new().default_length(12));
    let same = again.tenant.commit_create_pass(draft).unwrap();
    assert_eq!(same.secret, issued.secret);
    assert!(again.state_json() == state, "the same state");
}

#[test]
fn t5_passes_created_in_three_phases_from_many_threads_leave_one_pass_and_a_record_each() {
    for run in 0..20 {
        let fx = Fx::enabled();
        let (aa, ada) = (fx.auth_admin, fx.ada);
        let tenant = Arc::new(Mutex::new(fx.tenant));
        let threads = 6;
        let barrier = Arc::new(Barrier::new(threads));
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let (tenant, barrier) = (tenant.clone(), barrier.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    let mut draft = tenant
                        .lock()
                        .unwrap()
                        .prepare_create_pass(aa, ada, PassOptions::default())
                        .unwrap();
                    draft.run_hash();
                    tenant.lock().unwrap().commit_create_pass(draft).unwrap()
                })
            })
            .collect();
        let issued: Vec<IssuedPass> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        let mut t = tenant.lock().unwrap();
        let mut ids: Vec<_> = issued.iter().map(|i| i.pass.id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), threads, "run {run}: every draw is fresh");
        let kept = t.pass_record(ada).unwrap().id();
        assert_eq!(
            t.audit_records_for(ada).count(),
            threads,
            "run {run}: one record per creation"
        );
        // Exactly the pass kept signs in.
        let allowed: Vec<bool> = issued
            .iter()
            .map(|i| {
                t.sign_in(ADA, Credential::Pass(i.secret.danger_reveal()))
                    .is_allowed()
            })
            .collect();
        assert_eq!(allowed.iter().filter(|a| **a).count(), 1, "run {run}");
        let winner = issued.iter().position(|i| i.pass.id == kept).unwrap();
        assert!(allowed[winner], "run {run}");
    }
}
