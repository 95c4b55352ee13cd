//! Sign-ins in parallel on one shared tenant (issue 11), at production hash cost:
//!
//! 1. sign-ins per second with two threads against one thread (target >= 1.8 on two
//!    cores), each sign-in in three phases: what to verify under the lock, argon2id with
//!    no lock, every rule under the lock again;
//! 2. a policy read's p99 latency (lock, read, unlock) while two threads sign in
//!    (target < 1 ms), against the same read with nobody signing in.
//!
//! `TAPSIM_BENCH_QUICK=1` for a short run. Figures: docs/performance.md.

#![allow(missing_docs)]

use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use tapsim::{
    Credential, HashCost, ManualClock, NewUser, PassOptions, PolicyPatch, PolicyState, Role,
    Tenant, UserId,
};

struct Fixture {
    tenant: Arc<Mutex<Tenant>>,
    admin: UserId,
    secret: String,
}

fn fixture() -> Fixture {
    let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap());
    let mut t = Tenant::builder()
        .clock(clock)
        .hash_cost(HashCost::Production)
        .build()
        .expect("a tenant");
    let admin = t
        .add_user(NewUser::member("gina@contoso.com", "Gina").role(Role::GlobalAdministrator))
        .expect("admin");
    let ada = t
        .add_user(NewUser::member("ada@contoso.com", "Ada"))
        .expect("ada");
    t.update_policy(
        admin,
        &PolicyPatch::new()
            .state(PolicyState::Enabled)
            .maximum_lifetime_in_minutes(43_200)
            .default_lifetime_in_minutes(43_200),
    )
    .expect("policy");
    let issued = t
        .create_pass(admin, ada, PassOptions::new().usable_once(false))
        .expect("a pass");
    Fixture {
        tenant: Arc::new(Mutex::new(t)),
        admin,
        secret: issued.secret.danger_reveal().to_owned(),
    }
}

fn sign_in(t: &Mutex<Tenant>, secret: &str) -> bool {
    let credential = Credential::Pass(secret);
    let request = t
        .lock()
        .expect("not poisoned")
        .proofs_needed("ada@contoso.com", credential);
    let proofs = request.verify();
    t.lock()
        .expect("not poisoned")
        .sign_in_with_proofs("ada@contoso.com", credential, &proofs)
        .is_allowed()
}

/// Sign-ins per second with `threads` threads for `d`.
fn throughput(f: &Fixture, threads: usize, d: Duration) -> f64 {
    let count = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let (t, s, count, stop) = (
                f.tenant.clone(),
                f.secret.clone(),
                count.clone(),
                stop.clone(),
            );
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    assert!(sign_in(&t, &s));
                    count.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    std::thread::sleep(d);
    stop.store(true, Ordering::Relaxed);
    for h in handles {
        h.join().expect("no panic");
    }
    count.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}

/// Policy reads' latencies for `d`, while `signers` threads sign in.
fn policy_reads(f: &Fixture, signers: usize, d: Duration) -> Vec<Duration> {
    let stop = Arc::new(AtomicBool::new(false));
    let handles: Vec<_> = (0..signers)
        .map(|_| {
            let (t, s, stop) = (f.tenant.clone(), f.secret.clone(), stop.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    sign_in(&t, &s);
                }
            })
        })
        .collect();
    let mut samples = Vec::new();
    let end = Instant::now() + d;
    while Instant::now() < end {
        let started = Instant::now();
        {
            let t = f.tenant.lock().expect("not poisoned");
            black_box(
                t.policy(f.admin)
                    .expect("a reader")
                    .default_lifetime_in_minutes,
            );
        }
        samples.push(started.elapsed());
        std::thread::sleep(Duration::from_micros(200));
    }
    stop.store(true, Ordering::Relaxed);
    for h in handles {
        h.join().expect("no panic");
    }
    samples.sort();
    samples
}

fn p(samples: &[Duration], q: f64) -> Duration {
    samples[((samples.len() as f64 - 1.0) * q) as usize]
}

fn main() {
    let quick = std::env::var("TAPSIM_BENCH_QUICK").is_ok_and(|v| v != "0")
        || !std::env::args().any(|a| a == "--bench");
    let d = if quick {
        Duration::from_millis(300)
    } else {
        Duration::from_secs(4)
    };
    let f = fixture();
    let one = throughput(&f, 1, d);
    let two = throughput(&f, 2, d);
    println!(
        "sign-ins per second, production cost: 1 thread {one:.1}, 2 threads {two:.1}, ratio {:.2} (target >= 1.8)",
        two / one
    );
    let idle = policy_reads(&f, 0, d);
    let busy = policy_reads(&f, 2, d);
    println!(
        "policy read while 2 threads sign in: p50 {:?}, p99 {:?}, max {:?} over {} reads (target p99 < 1 ms); idle p99 {:?}",
        p(&busy, 0.5),
        p(&busy, 0.99),
        busy[busy.len() - 1],
        busy.len(),
        p(&idle, 0.99),
    );
}
