//! Benchmarks against the hardware floor (issue 6). Figures and how to read them:
//! `docs/performance.md`.
//!
//! Each measurement runs beside its floor in the same run:
//!
//! 1. a Temporary Access Pass sign-in at production hash cost against a bare argon2id
//!    verification of the same PHC string (target ratio <= 1.02);
//! 2. the same at minimum hash cost (target <= 1.10);
//! 3. usability and policy-scope evaluation for one user against a `HashMap` lookup
//!    (target < 100 ns), in tenants of 1,000 and 1,000,000 users with 100 groups nested
//!    three deep (target ratio <= 1.5 between the two sizes);
//! 4. pass creation throughput at both hash costs;
//! 5. (memory: `cargo run --release --example memory`, which needs a counting allocator
//!    and so a binary of its own);
//! 6. model-test throughput: operations per second that the model test's harness
//!    applies at minimum cost (target >= 50,000);
//! 7. how long `World` takes to find the external guest a home user principal name
//!    belongs to, in tenants of 100,000 users.
//!
//! Criterion gives each figure on its own; at the end a paired, interleaved measurement
//! prints the ratios (A and B alternate in short batches, and the median of the
//! per-round ratios is reported, so that load from other processes cancels out).
//!
//! Environment:
//! - `TAPSIM_BENCH_USERS`: the large tenant's size (default 1,000,000);
//! - `TAPSIM_BENCH_QUICK=1`: shorter measurements, for iterating.

use std::collections::HashMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

use argon2::Argon2;
use argon2::password_hash::PasswordVerifier;
use chrono::{TimeZone, Utc};
use criterion::{BatchSize, BenchmarkId, Criterion, Throughput};
use tapsim::{
    Credential, ExcludeTarget, GroupId, HashCost, IncludeTarget, ManualClock, NewUser, PassOptions,
    PolicyPatch, PolicyState, Role, Tenant, UserId,
};

#[path = "../tests/model.rs"]
#[allow(dead_code, unused_imports, missing_docs, clippy::all)]
mod model;

fn quick() -> bool {
    std::env::var("TAPSIM_BENCH_QUICK").is_ok_and(|v| v != "0")
}

fn big_tenant_users() -> usize {
    std::env::var("TAPSIM_BENCH_USERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000)
}

fn t0() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap()
}

// ---- Fixtures ---------------------------------------------------------------------------

/// A small tenant with a help desk admin and Ada, who holds a multi-use pass.
struct SignInFixture {
    tenant: Tenant,
    helpdesk: UserId,
    ada: UserId,
    secret: String,
    phc: String,
}

impl SignInFixture {
    fn new(cost: HashCost) -> SignInFixture {
        let mut tenant = Tenant::builder()
            .seed(7)
            .clock(ManualClock::new(t0()))
            .hash_cost(cost)
            .build()
            .unwrap();
        let policy_admin = tenant
            .add_user(
                NewUser::member("pol@contoso.com", "Pol")
                    .role(Role::AuthenticationPolicyAdministrator),
            )
            .unwrap();
        let helpdesk = tenant
            .add_user(
                NewUser::member("hd@contoso.com", "HD").role(Role::AuthenticationAdministrator),
            )
            .unwrap();
        let ada = tenant
            .add_user(NewUser::member("ada@contoso.com", "Ada"))
            .unwrap();
        tenant
            .update_policy(
                policy_admin,
                &PolicyPatch::new().state(PolicyState::Enabled),
            )
            .unwrap();
        let issued = tenant
            .create_pass(helpdesk, ada, PassOptions::new().lifetime_in_minutes(480))
            .unwrap();
        let secret = issued.secret.danger_reveal().to_owned();
        let phc = tenant.pass_record(ada).unwrap().hash().as_str().to_owned();
        SignInFixture {
            tenant,
            helpdesk,
            ada,
            secret,
            phc,
        }
    }

    fn sign_in(&mut self) -> bool {
        self.tenant
            .sign_in("ada@contoso.com", Credential::Pass(&self.secret))
            .is_allowed()
    }
}

/// argon2id's own verification of the same PHC string: the floor of a pass sign-in.
fn bare_verify(secret: &str, phc: &str) -> bool {
    Argon2::default()
        .verify_password(secret.as_bytes(), phc)
        .is_ok()
}

/// A tenant of `n` users in 100 groups nested three deep, every user with a pass, and a
/// policy that includes two top-level groups and excludes one leaf group.
struct ScopeFixture {
    tenant: Tenant,
    /// Users to evaluate, in a shuffled order, all in scope.
    sample: Vec<UserId>,
    /// The floor: the same users in a `HashMap`.
    map: HashMap<UserId, u64>,
    build: Duration,
}

/// 4 top-level groups, 4 children each, 5 grandchildren each: 4 + 16 + 80 = 100.
fn nested_groups(t: &mut Tenant) -> (Vec<GroupId>, Vec<GroupId>) {
    let mut tops = Vec::new();
    let mut leaves = Vec::new();
    for a in 0..4 {
        let top = t.add_group(format!("top {a}"));
        tops.push(top);
        for b in 0..4 {
            let mid = t.add_group(format!("mid {a}.{b}"));
            t.add_member(top, mid).unwrap();
            for c in 0..5 {
                let leaf = t.add_group(format!("leaf {a}.{b}.{c}"));
                t.add_member(mid, leaf).unwrap();
                leaves.push(leaf);
            }
        }
    }
    (tops, leaves)
}

impl ScopeFixture {
    fn new(n: usize) -> ScopeFixture {
        let started = Instant::now();
        let mut t = Tenant::builder()
            .seed(11)
            .clock(ManualClock::new(t0()))
            .hash_cost(HashCost::Minimum)
            .build()
            .unwrap();
        let admin = t
            .add_user(NewUser::member("ga@contoso.com", "GA").role(Role::GlobalAdministrator))
            .unwrap();
        let (tops, leaves) = nested_groups(&mut t);
        let mut users = Vec::with_capacity(n);
        for i in 0..n {
            let u = t
                .add_user(NewUser::member(
                    format!("user{i}@contoso.com"),
                    format!("User {i}"),
                ))
                .unwrap();
            // Leaves 0..40 lie under tops 0 and 1, which the policy includes.
            t.add_member(leaves[i % 40], u).unwrap();
            users.push(u);
        }
        let excluded = leaves[79];
        t.update_policy(
            admin,
            &PolicyPatch::new()
                .state(PolicyState::Enabled)
                .maximum_lifetime_in_minutes(1_440)
                .include_targets(vec![
                    IncludeTarget::group(tops[0]),
                    IncludeTarget::group(tops[1]),
                ])
                .exclude_targets(vec![ExcludeTarget::group(excluded)]),
        )
        .unwrap();
        for &u in &users {
            t.create_pass(admin, u, PassOptions::default()).unwrap();
        }
        let build = started.elapsed();
        // A fixed, scattered sample: every k-th user, k coprime with n.
        let k = (n / 4096).max(1) * 2 + 1;
        let sample: Vec<UserId> = (0..4096.min(n)).map(|i| users[(i * k) % n]).collect();
        let map = users
            .iter()
            .enumerate()
            .map(|(i, &u)| (u, i as u64))
            .collect();
        ScopeFixture {
            tenant: t,
            sample,
            map,
            build,
        }
    }
}

impl ScopeFixture {
    /// The sample's user after the one at `*i`, round and round; `*i` moves to it.
    fn next(&self, i: &mut usize) -> UserId {
        *i = (*i + 1) % self.sample.len();
        self.sample[*i]
    }
}

// ---- Criterion benches ----------------------------------------------------------------------

fn criterion() -> Criterion {
    let (warm, measure) = if quick() {
        (Duration::from_millis(200), Duration::from_millis(600))
    } else {
        (Duration::from_millis(700), Duration::from_secs(3))
    };
    // Command-line options, read last, win.
    Criterion::default()
        .warm_up_time(warm)
        .measurement_time(measure)
        .sample_size(20)
        .configure_from_args()
}

/// The benchmark filter given on the command line (`cargo bench -- FILTER`), if any.
fn filter() -> Option<String> {
    let mut args = std::env::args().skip(1);
    let mut found = None;
    while let Some(a) = args.next() {
        if a.starts_with('-') {
            // Options of criterion that take a value.
            if matches!(
                a.as_str(),
                "--save-baseline"
                    | "-s"
                    | "--baseline"
                    | "-b"
                    | "--load-baseline"
                    | "--sample-size"
                    | "--warm-up-time"
                    | "--measurement-time"
                    | "--nresamples"
                    | "--noise-threshold"
                    | "--confidence-level"
                    | "--significance-level"
                    | "--profile-time"
                    | "--output-format"
                    | "--color"
                    | "-c"
                    | "--plotting-backend"
                    | "--format"
            ) {
                args.next();
            }
        } else {
            found = Some(a);
        }
    }
    found
}

fn sign_in_benches(c: &mut Criterion) {
    for (name, cost) in [
        ("production", HashCost::Production),
        ("minimum", HashCost::Minimum),
    ] {
        let mut g = c.benchmark_group(format!("1-2 sign-in/{name}"));
        if cost == HashCost::Production {
            g.sample_size(10);
        }
        let mut f = SignInFixture::new(cost);
        assert!(f.sign_in());
        let (secret, phc) = (f.secret.clone(), f.phc.clone());
        let f = f;
        g.bench_function("argon2id verify (floor)", |b| {
            b.iter(|| assert!(bare_verify(black_box(&secret), black_box(&phc))))
        });
        g.bench_function("tapsim sign_in", |b| {
            b.iter_batched_ref(
                || f.tenant.clone(),
                |t| {
                    assert!(
                        t.sign_in("ada@contoso.com", Credential::Pass(&f.secret))
                            .is_allowed()
                    )
                },
                BatchSize::SmallInput,
            )
        });
        g.finish();
    }
}

fn scope_benches(c: &mut Criterion, fixtures: &[(usize, ScopeFixture)]) {
    let mut g = c.benchmark_group("3 usability+scope");
    for (n, f) in fixtures {
        let one = f.sample[0];
        g.bench_with_input(
            BenchmarkId::new("HashMap get, one user (floor)", n),
            n,
            |b, _| b.iter(|| black_box(f.map.get(black_box(&one)))),
        );
        g.bench_with_input(BenchmarkId::new("pass_view, one user", n), n, |b, _| {
            b.iter(|| black_box(f.tenant.pass_view(black_box(one))))
        });
        g.bench_with_input(BenchmarkId::new("scope_of, one user", n), n, |b, _| {
            b.iter(|| black_box(f.tenant.scope_of(black_box(one))))
        });
        let mut i = 0;
        g.bench_with_input(
            BenchmarkId::new("HashMap get, scattered (floor)", n),
            n,
            |b, _| b.iter(|| black_box(f.map.get(&f.next(&mut i)))),
        );
        g.bench_with_input(BenchmarkId::new("pass_view, scattered", n), n, |b, _| {
            b.iter(|| black_box(f.tenant.pass_view(f.next(&mut i))))
        });
    }
    g.finish();
}

fn creation_benches(c: &mut Criterion) {
    for (name, cost) in [
        ("production", HashCost::Production),
        ("minimum", HashCost::Minimum),
    ] {
        let mut g = c.benchmark_group(format!("4 create_pass/{name}"));
        g.throughput(Throughput::Elements(1));
        if cost == HashCost::Production {
            g.sample_size(10);
        }
        let f = SignInFixture::new(cost);
        g.bench_function("create_pass (replaces)", |b| {
            b.iter_batched(
                || f.tenant.clone(),
                |mut t| {
                    let issued = t.create_pass(f.helpdesk, f.ada, PassOptions::default());
                    (t, issued)
                },
                BatchSize::SmallInput,
            )
        });
        g.finish();
    }
}

/// Sequences the model test would generate, made once.
fn model_sequences() -> Vec<(model::Model, Vec<model::Op>)> {
    let mut v = model::sample_sequences::<model::CurrentRules>(32, 64);
    v.extend(model::sample_sequences::<model::Preview2021Rules>(32, 64));
    v
}

fn model_benches(c: &mut Criterion, sequences: &[(model::Model, Vec<model::Op>)]) {
    let ops: usize = sequences.iter().map(|(_, o)| o.len()).sum();
    let mut g = c.benchmark_group("6 model test");
    g.throughput(Throughput::Elements(ops as u64));
    g.sample_size(10);
    for (name, checks) in [
        ("tenant + model", model::Checks::None),
        ("with agreement checks", model::Checks::Agreement),
        ("with every invariant", model::Checks::Full),
    ] {
        g.bench_function(name, |b| {
            b.iter(|| {
                sequences
                    .iter()
                    .map(|(init, ops)| model::run_sequence(init, ops, checks))
                    .sum::<usize>()
            })
        });
    }
    g.finish();
}

// ---- Paired ratios --------------------------------------------------------------------------

/// What [`paired`] measures: the median and quartiles of the per-round ratios B/A, and
/// the median per-call times of A and B.
type Ratios = (f64, f64, f64, Duration, Duration);

/// The rounds of a paired measurement, as they are timed.
struct Rounds {
    batch: usize,
    ratios: Vec<f64>,
    a: Vec<Duration>,
    b: Vec<Duration>,
}

impl Rounds {
    fn new(rounds: usize, batch: usize) -> Rounds {
        Rounds {
            batch,
            ratios: Vec::with_capacity(rounds),
            a: Vec::new(),
            b: Vec::new(),
        }
    }

    /// One round: A's batch took `x`, B's took `y`.
    fn push(&mut self, x: Duration, y: Duration) {
        self.ratios.push(y.as_secs_f64() / x.as_secs_f64());
        self.a.push(x / self.batch as u32);
        self.b.push(y / self.batch as u32);
    }

    fn summary(mut self) -> Ratios {
        self.ratios.sort_by(f64::total_cmp);
        self.a.sort();
        self.b.sort();
        let q = |p: f64| self.ratios[((self.ratios.len() - 1) as f64 * p).round() as usize];
        (
            q(0.5),
            q(0.25),
            q(0.75),
            self.a[self.a.len() / 2],
            self.b[self.b.len() / 2],
        )
    }
}

/// How long `batch` calls of `f` take.
fn time_batch(batch: usize, mut f: impl FnMut()) -> Duration {
    let t = Instant::now();
    for _ in 0..batch {
        f();
    }
    t.elapsed()
}

/// The median (and quartiles) of per-round time ratios B/A, with A and B alternating in
/// batches of `batch` calls, the order flipped each round.
fn paired(rounds: usize, batch: usize, mut a: impl FnMut(), mut b: impl FnMut()) -> Ratios {
    let time = |f: &mut dyn FnMut()| time_batch(batch, f);
    // Warm up both.
    time(&mut a);
    time(&mut b);
    let mut measured = Rounds::new(rounds, batch);
    for r in 0..rounds {
        let (x, y) = if r % 2 == 0 {
            let x = time(&mut a);
            (x, time(&mut b))
        } else {
            let y = time(&mut b);
            (time(&mut a), y)
        };
        measured.push(x, y);
    }
    measured.summary()
}

/// [`paired`], with B's state rebuilt by `reset` (untimed) before each of its batches.
fn paired_with_reset<S>(
    rounds: usize,
    batch: usize,
    mut reset: impl FnMut() -> S,
    mut a: impl FnMut(),
    mut b: impl FnMut(&mut S),
) -> Ratios {
    let mut measured = Rounds::new(rounds, batch);
    for r in 0..=rounds {
        let mut state = reset();
        let mut time_a = || time_batch(batch, &mut a);
        let mut time_b = |s: &mut S| time_batch(batch, || b(s));
        let (x, y) = if r % 2 == 0 {
            let x = time_a();
            (x, time_b(&mut state))
        } else {
            let y = time_b(&mut state);
            (time_a(), y)
        };
        if r == 0 {
            continue; // warm-up
        }
        measured.push(x, y);
    }
    measured.summary()
}

fn report(label: &str, target: &str, r: Ratios) {
    let (median, p25, p75, a, b) = r;
    println!(
        "{label:<58} {median:>7.3}  (IQR {p25:.3}..{p75:.3}; {b:>10.2?} vs floor {a:>10.2?})  target {target}"
    );
}

fn ratios(fixtures: &[(usize, ScopeFixture)], sequences: &[(model::Model, Vec<model::Op>)]) {
    let q = quick();
    println!();
    println!("== Ratios to the floor (paired, interleaved, median of rounds) ==");
    for (name, cost, rounds, batch, target) in [
        (
            "production",
            HashCost::Production,
            if q { 6 } else { 30 },
            2,
            "<= 1.02",
        ),
        (
            "minimum",
            HashCost::Minimum,
            if q { 20 } else { 200 },
            400,
            "<= 1.10",
        ),
    ] {
        let base = SignInFixture::new(cost);
        let (secret, phc) = (base.secret.clone(), base.phc.clone());
        // A fresh copy of the small tenant each round: the per-call overhead, with at
        // most one batch of sessions and log records accumulated.
        let r = paired_with_reset(
            rounds,
            batch,
            || base.tenant.clone(),
            || assert!(bare_verify(black_box(&secret), black_box(&phc))),
            |t| {
                assert!(
                    t.sign_in("ada@contoso.com", Credential::Pass(&secret))
                        .is_allowed()
                )
            },
        );
        report(
            &format!("(1/2) sign_in / argon2id verify, {name} cost"),
            target,
            r,
        );
        if cost == HashCost::Minimum {
            // The same tenant throughout: every session and log record stays, so the
            // cost of a growing state shows.
            let mut f = SignInFixture::new(cost);
            let kept_phc = f.phc.clone();
            let r = paired(
                rounds,
                batch,
                || assert!(bare_verify(black_box(&secret), black_box(&kept_phc))),
                || assert!(f.sign_in()),
            );
            report(
                &format!(
                    "(2') same, {name} cost, state kept ({} sign-ins)",
                    rounds * batch
                ),
                "(reference)",
                r,
            );
        }
    }
    let rounds = if q { 20 } else { 200 };
    for (n, f) in fixtures {
        let one = f.sample[0];
        let r = paired(
            rounds,
            20_000,
            || {
                black_box(f.map.get(black_box(&one)));
            },
            || {
                black_box(f.tenant.pass_view(black_box(one)));
            },
        );
        report(
            &format!("(3) pass_view / HashMap get, one user, {n} users"),
            "absolute < 100 ns",
            r,
        );
        let (mut i, mut j) = (0, 0);
        let r = paired(
            rounds,
            20_000,
            || {
                black_box(f.map.get(&f.next(&mut i)));
            },
            || {
                black_box(f.tenant.pass_view(f.next(&mut j)));
            },
        );
        report(
            &format!("(3) pass_view / HashMap get, scattered, {n} users"),
            "absolute < 100 ns",
            r,
        );
    }
    if let [(small_n, small), (big_n, big)] = fixtures {
        let (mut i, mut j) = (0, 0);
        let r = paired(
            rounds,
            20_000,
            || {
                black_box(small.tenant.pass_view(small.next(&mut i)));
            },
            || {
                black_box(big.tenant.pass_view(big.next(&mut j)));
            },
        );
        report(
            &format!("(3) pass_view {big_n} users / {small_n} users, scattered"),
            "<= 1.5",
            r,
        );
        let (a, b) = (small.sample[0], big.sample[0]);
        let r = paired(
            rounds,
            20_000,
            || {
                black_box(small.tenant.pass_view(black_box(a)));
            },
            || {
                black_box(big.tenant.pass_view(black_box(b)));
            },
        );
        report(
            &format!("(3) pass_view {big_n} users / {small_n} users, one user"),
            "<= 1.5",
            r,
        );
        let (mut i, mut j) = (0, 0);
        let r = paired(
            rounds,
            20_000,
            || {
                black_box(small.map.get(&small.next(&mut i)));
            },
            || {
                black_box(big.map.get(&big.next(&mut j)));
            },
        );
        report(
            &format!("(3) floor itself: HashMap {big_n} / {small_n}, scattered"),
            "(reference)",
            r,
        );
        println!(
            "    tenant build with every user holding a pass: {small_n} users {:.2?}, {big_n} users {:.2?}",
            small.build, big.build
        );
    }
    for (name, checks) in [
        ("tenant + model", model::Checks::None),
        ("with agreement checks", model::Checks::Agreement),
        ("with every invariant", model::Checks::Full),
    ] {
        let started = Instant::now();
        let mut ops = 0;
        let repeat = if q { 1 } else { 3 };
        for _ in 0..repeat {
            ops += sequences
                .iter()
                .map(|(init, o)| model::run_sequence(init, o, checks))
                .sum::<usize>();
        }
        let rate = ops as f64 / started.elapsed().as_secs_f64();
        println!(
            "{:<58} {rate:>9.0} ops/s  target >= 50,000",
            format!("(6) model test, {name}")
        );
    }
}

/// A home tenant and a resource tenant of `n` users each, every tenth resource user an
/// external guest linked to its home account: what `World` looks through to find the
/// guest a home user principal name belongs to (issue 11).
fn world_fixture(n: usize) -> (tapsim::World, tapsim::TenantId, String, String) {
    let clock: std::sync::Arc<dyn tapsim::Clock> = std::sync::Arc::new(ManualClock::new(t0()));
    let build = |seed, domain: &str| {
        Tenant::builder()
            .seed(seed)
            .domain(domain)
            .shared_clock(clock.clone())
            .hash_cost(HashCost::Minimum)
            .build()
            .unwrap()
    };
    let (mut home, mut resource) = (build(1, "fabrikam.com"), build(2, "contoso.com"));
    let mut links = Vec::new();
    for i in 0..n {
        let h = home
            .add_user(NewUser::member(format!("u{i}@fabrikam.com"), "U"))
            .unwrap();
        let kind = if i % 10 == 0 {
            tapsim::UserType::ExternalGuest
        } else {
            tapsim::UserType::Member
        };
        let r = resource
            .add_user(NewUser::member(format!("u{i}_x@contoso.com"), "U").user_type(kind))
            .unwrap();
        if i % 10 == 0 {
            links.push((r, h));
        }
    }
    let mut world = tapsim::World::new();
    let (hid, rid) = (world.add(home).unwrap(), world.add(resource).unwrap());
    for (r, h) in links {
        world.link_guest(rid, r, hid, h).unwrap();
    }
    let last_guest = format!("u{}@fabrikam.com", (n - 1) / 10 * 10);
    (world, rid, last_guest, "nobody@fabrikam.com".to_owned())
}

fn world_benches(c: &mut Criterion, n: usize) {
    let (world, rid, guest, nobody) = world_fixture(n);
    let mut g = c.benchmark_group(format!("7 world guest lookup/{n} users"));
    for (name, upn) in [("linked guest", &guest), ("unknown name", &nobody)] {
        g.bench_function(name, |b| {
            b.iter(|| {
                world
                    .proofs_needed(rid, black_box(upn), Credential::Password("pw"))
                    .unwrap()
            })
        });
    }
    g.finish();
}

fn main() {
    let mut c = criterion();
    let test_mode = std::env::args().any(|a| a == "--test" || a == "--list");
    let filter = filter();
    let wanted = |group: &str| filter.as_deref().is_none_or(|f| group.contains(f));
    let big = if test_mode { 2_000 } else { big_tenant_users() };
    let fixtures: Vec<(usize, ScopeFixture)> = if wanted("3 usability+scope") {
        [1_000, big]
            .into_iter()
            .map(|n| (n, ScopeFixture::new(n)))
            .collect()
    } else {
        Vec::new()
    };
    let sequences = if wanted("6 model test") {
        model_sequences()
    } else {
        Vec::new()
    };

    if wanted("1-2 sign-in") {
        sign_in_benches(&mut c);
    }
    if !fixtures.is_empty() {
        scope_benches(&mut c, &fixtures);
    }
    if wanted("4 create_pass") {
        creation_benches(&mut c);
    }
    if !sequences.is_empty() {
        model_benches(&mut c, &sequences);
    }
    if wanted("7 world guest lookup") {
        world_benches(&mut c, if test_mode { 2_000 } else { 100_000 });
    }
    c.final_summary();
    if !test_mode && filter.is_none() {
        ratios(&fixtures, &sequences);
    }
}
