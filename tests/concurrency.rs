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
