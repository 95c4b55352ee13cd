//! [proptest](mod@proptest) strategies for property tests of code built on tapsim (feature
//! `proptest`).
//!
//! Four kinds of value, each as plain data that shrinks well and prints readably when a
//! property fails, and each with a way to turn it into the real thing:
//!
//! - **policy patches**, valid ([`valid_policy_patch`], [`valid_policy_patch_for`]) and
//!   invalid with the rule they break ([`invalid_policy_patch`]);
//! - **pass options** ([`pass_options`]), in and out of the policy's range;
//! - **directories and tenants** ([`directory`], [`tenant_spec`]): users of every kind
//!   and role, groups nested as a forest, a policy, a behaviour profile; a
//!   [`TenantSpec`] builds a [`Sim`] with [`TenantSpec::build`];
//! - **operation sequences** ([`op`], [`ops`]): admin calls, clock moves, sign-ins with
//!   right and wrong secrets, method registration and removal. [`Sim::apply`] applies
//!   any operation to any state: operations name users, groups, sessions and devices by
//!   [`Index`], resolved against what the simulation has at that moment, so no
//!   sequence is ever invalid and shrinking stays effective.
//!
//! Every tenant uses [`HashCost::Minimum`] (microseconds a hash) and a [`ManualClock`].
//! [`config`] reads the number of cases from `TAPSIM_PROPTEST_CASES`, so that CI runs
//! stay short and long runs need no code change.
//!
//! # A downstream property test
//!
//! Say your help-desk tool renders a report of who holds a pass. Whatever happened in
//! the tenant, the report must never contain a secret, and must list exactly the users
//! who hold one:
//!
//! ```
//! use proptest::prelude::*;
//! use tapsim::testing::{self, Sim};
//!
//! /// The code under test.
//! fn report(sim: &Sim) -> String {
//!     sim.users()
//!         .iter()
//!         .filter_map(|&u| sim.tenant.pass_view(u).map(|p| format!("{u}: {}\n", p.method_usability_reason)))
//!         .collect()
//! }
//!
//! proptest! {
//!     #![proptest_config(ProptestConfig { cases: 8, ..testing::config() })]
//!     // In your crate: `#[test]` here.
//!     fn report_never_leaks(spec in testing::tenant_spec(), ops in testing::ops(0..30)) {
//!         let mut sim = spec.build();
//!         for op in &ops {
//!             sim.apply(op);
//!             let text = report(&sim);
//!             for secret in sim.danger_secrets() {
//!                 prop_assert!(!text.contains(secret));
//!             }
//!             let holders = sim.users().iter().filter(|&&u| sim.tenant.pass_record(u).is_some()).count();
//!             prop_assert_eq!(text.lines().count(), holders);
//!         }
//!     }
//! }
//! # report_never_leaks();
//! ```
//!
//! `examples/downstream_proptest.rs` runs a longer version of this with the same
//! strategies (`cargo run --example downstream_proptest --features proptest`).

use std::fmt;

use chrono::{DateTime, Duration, TimeZone, Utc};
use proptest::collection::SizeRange;
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::Config;

use crate::{
    Credential, Device, Error, ErrorCode, ExcludeTarget, GroupId, Guid, HashCost, IncludeTarget,
    LIFETIME_RANGE, LockoutSettings, ManualClock, Member, MethodKind, NewUser, PassOptions,
    PolicyPatch, PolicyState, Role, Secret, SessionId, Switches, TapPolicy, TargetId, TargetType,
    Tenant, UserId, UserType,
};

/// The environment variable that sets the number of cases [`config`] asks for.
pub const CASES_ENV: &str = "TAPSIM_PROPTEST_CASES";

/// The number of cases [`config`] asks for when [`CASES_ENV`] is not set.
pub const DEFAULT_CASES: u32 = 64;

/// proptest's default configuration with the number of cases read from
/// `TAPSIM_PROPTEST_CASES` (default [`DEFAULT_CASES`]).
///
/// ```
/// let config = tapsim::testing::config();
/// assert!(config.cases >= 1);
/// ```
pub fn config() -> Config {
    let cases = std::env::var(CASES_ENV)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(DEFAULT_CASES)
        .max(1);
    Config {
        cases,
        ..Config::default()
    }
}

// ---- Policy patches -----------------------------------------------------------------------

/// A lifetime in minutes inside spec P2's range (10..=43200), biased toward the values
/// that matter: the edges, an hour, eight hours, a day.
pub fn lifetime() -> impl Strategy<Value = i64> {
    let (lo, hi) = (
        i64::from(*LIFETIME_RANGE.start()),
        i64::from(*LIFETIME_RANGE.end()),
    );
    prop_oneof![
        2 => prop::sample::select(vec![lo, 60, 480, 1_440, hi]),
        3 => lo..=1_440,
        1 => lo..=hi,
    ]
}

/// Three lifetimes with minimum <= default <= maximum, each in range.
pub fn lifetime_bounds() -> impl Strategy<Value = (i64, i64, i64)> {
    (lifetime(), lifetime(), lifetime()).prop_map(|(a, b, c)| {
        let mut v = [a, b, c];
        v.sort_unstable();
        (v[0], v[1], v[2])
    })
}

fn include_targets(groups: Vec<GroupId>) -> BoxedStrategy<Vec<IncludeTarget>> {
    let one = if groups.is_empty() {
        Just(TargetId::AllUsers).boxed()
    } else {
        prop_oneof![
            1 => Just(TargetId::AllUsers),
            3 => prop::sample::select(groups).prop_map(TargetId::Group),
        ]
        .boxed()
    };
    prop::collection::vec(
        (one, any::<bool>()).prop_map(|(id, required)| IncludeTarget {
            is_registration_required: required,
            ..IncludeTarget::group(id)
        }),
        0..3,
    )
    .boxed()
}

fn exclude_targets(groups: Vec<GroupId>) -> BoxedStrategy<Vec<ExcludeTarget>> {
    if groups.is_empty() {
        return prop_oneof![
            6 => Just(Vec::new()),
            1 => Just(vec![ExcludeTarget::group(TargetId::AllUsers)]),
        ]
        .boxed();
    }
    prop_oneof![
        6 => prop::collection::vec(
            prop::sample::select(groups).prop_map(ExcludeTarget::group),
            0..3,
        ),
        1 => Just(vec![ExcludeTarget::group(TargetId::AllUsers)]),
    ]
    .boxed()
}

/// A patch that is valid merged into *any* valid policy (spec P2, P3, R4): it sets the
/// three lifetimes together or not at all, any length in range, any state and
/// `isUsableOnce`, and targets among `groups` (and `all_users`).
///
/// ```
/// use proptest::strategy::{Strategy, ValueTree};
/// use proptest::test_runner::TestRunner;
/// use tapsim::*;
///
/// let mut runner = TestRunner::deterministic();
/// let mut t = Tenant::builder().hash_cost(HashCost::Minimum).build()?;
/// let admin = t.add_user(NewUser::member("ga@contoso.com", "GA").role(Role::GlobalAdministrator))?;
/// let group = t.add_group("pilot");
/// for _ in 0..20 {
///     let patch = testing::valid_policy_patch(vec![group]).new_tree(&mut runner).unwrap().current();
///     t.update_policy(admin, &patch)?;
/// }
/// # Ok::<(), tapsim::Error>(())
/// ```
pub fn valid_policy_patch(groups: Vec<GroupId>) -> impl Strategy<Value = PolicyPatch> {
    (
        prop::option::of(prop::sample::select(vec![
            PolicyState::Enabled,
            PolicyState::Disabled,
        ])),
        prop::option::of(lifetime_bounds()),
        prop::option::of(8i64..=48),
        prop::option::of(any::<bool>()),
        prop::option::weighted(0.3, include_targets(groups.clone())),
        prop::option::weighted(0.3, exclude_targets(groups)),
    )
        .prop_map(|(state, bounds, length, once, include, exclude)| {
            let (min, default, max) = bounds.unzip3();
            PolicyPatch {
                state,
                minimum_lifetime_in_minutes: min,
                default_lifetime_in_minutes: default,
                maximum_lifetime_in_minutes: max,
                default_length: length,
                is_usable_once: once,
                include_targets: include,
                exclude_targets: exclude,
                ..PolicyPatch::new()
            }
        })
}

trait Unzip3 {
    fn unzip3(self) -> (Option<i64>, Option<i64>, Option<i64>);
}

impl Unzip3 for Option<(i64, i64, i64)> {
    fn unzip3(self) -> (Option<i64>, Option<i64>, Option<i64>) {
        match self {
            Some((a, b, c)) => (Some(a), Some(b), Some(c)),
            None => (None, None, None),
        }
    }
}

/// A patch valid against `policy` in particular: it may set a single lifetime, as long
/// as the merged result keeps minimum <= default <= maximum (spec P3).
pub fn valid_policy_patch_for(
    policy: &TapPolicy,
    groups: Vec<GroupId>,
) -> impl Strategy<Value = PolicyPatch> {
    let (min, default, max) = (
        i64::from(policy.minimum_lifetime_in_minutes),
        i64::from(policy.default_lifetime_in_minutes),
        i64::from(policy.maximum_lifetime_in_minutes),
    );
    let one_field = prop_oneof![
        (10..=default).prop_map(|v| PolicyPatch::new().minimum_lifetime_in_minutes(v)),
        (min..=max).prop_map(|v| PolicyPatch::new().default_lifetime_in_minutes(v)),
        (default..=*LIFETIME_RANGE.end() as i64)
            .prop_map(|v| PolicyPatch::new().maximum_lifetime_in_minutes(v)),
    ];
    prop_oneof![
        1 => valid_policy_patch(groups).boxed(),
        1 => one_field.boxed(),
    ]
}

/// The rule an [`InvalidPatch`] breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Violation {
    /// A lifetime field below 10 minutes (spec P2); the field's Graph name.
    LifetimeTooShort(&'static str),
    /// A lifetime field above 43200 minutes (spec P2).
    LifetimeTooLong(&'static str),
    /// `defaultLength` outside 8..=48 (spec P2).
    LengthOutOfRange,
    /// `defaultLifetimeInMinutes` outside minimum..=maximum (spec P2).
    DefaultOutsideBounds,
    /// A target names a group the tenant does not have (spec P5).
    UnknownGroup,
    /// A target whose `targetType` is not `group` (spec R4).
    TargetNotGroup,
    /// An `@odata.type` other than the policy's (spec R3).
    WrongODataType,
    /// An `id` other than `TemporaryAccessPass` (spec R3).
    WrongId,
}

impl Violation {
    /// The Graph code of the rejection: always `badRequest` (spec P2, R3).
    pub fn code(self) -> ErrorCode {
        ErrorCode::BadRequest
    }

    /// The field the error message must name, where there is one.
    pub fn field(self) -> Option<&'static str> {
        match self {
            Violation::LifetimeTooShort(f) | Violation::LifetimeTooLong(f) => Some(f),
            Violation::LengthOutOfRange => Some("defaultLength"),
            Violation::DefaultOutsideBounds => Some("defaultLifetimeInMinutes"),
            Violation::UnknownGroup | Violation::TargetNotGroup => None,
            Violation::WrongODataType => Some("@odata.type"),
            Violation::WrongId => Some("id"),
        }
    }
}

/// A patch that breaks exactly one rule, whatever the policy it is applied to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidPatch {
    /// The patch.
    pub patch: PolicyPatch,
    /// The rule it breaks.
    pub violation: Violation,
}

const LIFETIME_FIELDS: [&str; 3] = [
    "minimumLifetimeInMinutes",
    "defaultLifetimeInMinutes",
    "maximumLifetimeInMinutes",
];

/// A patch that breaks exactly one rule of spec P2, P5, R3 or R4; `groups` are the
/// tenant's groups (an unknown group is drawn outside them). Applied to any valid
/// policy by a policy administrator, it is rejected as `badRequest` and changes nothing.
///
/// ```
/// use proptest::strategy::{Strategy, ValueTree};
/// use proptest::test_runner::TestRunner;
/// use tapsim::*;
///
/// let mut runner = TestRunner::deterministic();
/// let mut t = Tenant::builder().hash_cost(HashCost::Minimum).build()?;
/// let admin = t.add_user(NewUser::member("ga@contoso.com", "GA").role(Role::GlobalAdministrator))?;
/// for _ in 0..20 {
///     let bad = testing::invalid_policy_patch(vec![]).new_tree(&mut runner).unwrap().current();
///     let err = t.update_policy(admin, &bad.patch).unwrap_err();
///     assert_eq!(err.code(), bad.violation.code());
///     if let Some(field) = bad.violation.field() {
///         assert!(err.to_string().contains(field), "{err}");
///     }
/// }
/// assert!(t.audit_log().is_empty());
/// # Ok::<(), tapsim::Error>(())
/// ```
pub fn invalid_policy_patch(groups: Vec<GroupId>) -> impl Strategy<Value = InvalidPatch> {
    let valid = (lifetime_bounds(), 8i64..=48);
    let field = prop::sample::select(LIFETIME_FIELDS.to_vec());
    let unknown = any::<[u8; 16]>()
        .prop_map(|b| GroupId(Guid::from_bytes(b)))
        .prop_filter("a group the tenant does not have", move |g| {
            !groups.contains(g)
        });
    let violation = prop_oneof![
        (field.clone(), prop_oneof![Just(i64::MIN), -10i64..10])
            .prop_map(|(f, v)| (Violation::LifetimeTooShort(f), v)),
        (field, prop_oneof![Just(i64::MAX), 43_201i64..100_000])
            .prop_map(|(f, v)| (Violation::LifetimeTooLong(f), v)),
        prop_oneof![-5i64..8, 49i64..1_000].prop_map(|v| (Violation::LengthOutOfRange, v)),
        Just((Violation::DefaultOutsideBounds, 0)),
        Just((Violation::UnknownGroup, 0)),
        Just((Violation::TargetNotGroup, 0)),
        Just((Violation::WrongODataType, 0)),
        Just((Violation::WrongId, 0)),
    ];
    (valid, violation, unknown, any::<bool>()).prop_map(
        |(((min, default, max), length), (violation, value), unknown, include)| {
            let mut patch = PolicyPatch::new()
                .minimum_lifetime_in_minutes(min)
                .default_lifetime_in_minutes(default)
                .maximum_lifetime_in_minutes(max)
                .default_length(length);
            match violation {
                Violation::LifetimeTooShort(f) | Violation::LifetimeTooLong(f) => match f {
                    "minimumLifetimeInMinutes" => patch.minimum_lifetime_in_minutes = Some(value),
                    "defaultLifetimeInMinutes" => patch.default_lifetime_in_minutes = Some(value),
                    _ => patch.maximum_lifetime_in_minutes = Some(value),
                },
                Violation::LengthOutOfRange => patch.default_length = Some(value),
                Violation::DefaultOutsideBounds => {
                    // Minimum and maximum equal, default one minute off.
                    let m = min.max(11);
                    patch.minimum_lifetime_in_minutes = Some(m);
                    patch.maximum_lifetime_in_minutes = Some(m);
                    patch.default_lifetime_in_minutes = Some(if include { m - 1 } else { m + 1 });
                }
                Violation::UnknownGroup => {
                    if include {
                        patch.include_targets = Some(vec![IncludeTarget::group(unknown)]);
                    } else {
                        patch.exclude_targets = Some(vec![ExcludeTarget::group(unknown)]);
                    }
                }
                Violation::TargetNotGroup => {
                    patch.include_targets = Some(vec![IncludeTarget {
                        target_type: if include {
                            TargetType::User
                        } else {
                            TargetType::UnknownFutureValue
                        },
                        ..IncludeTarget::group(TargetId::AllUsers)
                    }]);
                }
                Violation::WrongODataType => {
                    patch.odata_type =
                        Some("#microsoft.graph.fido2AuthenticationMethodConfiguration".into());
                }
                Violation::WrongId => patch.id = Some("Fido2".into()),
            }
            InvalidPatch { patch, violation }
        },
    )
}

/// A valid policy: any state, bounds, length, `isUsableOnce`, and targets among
/// `groups`.
pub fn valid_policy(groups: Vec<GroupId>) -> impl Strategy<Value = TapPolicy> {
    (
        any::<bool>(),
        lifetime_bounds(),
        8u32..=48,
        any::<bool>(),
        include_targets(groups.clone()),
        exclude_targets(groups),
    )
        .prop_map(
            |(enabled, (min, default, max), length, once, include, exclude)| TapPolicy {
                state: if enabled {
                    PolicyState::Enabled
                } else {
                    PolicyState::Disabled
                },
                minimum_lifetime_in_minutes: min as u32,
                default_lifetime_in_minutes: default as u32,
                maximum_lifetime_in_minutes: max as u32,
                default_length: length,
                is_usable_once: once,
                include_targets: include,
                exclude_targets: exclude,
            },
        )
}

// ---- Pass options ---------------------------------------------------------------------------

/// Pass options relative to `now` (spec T2, T3): each field set or left to its default;
/// lifetimes mostly in spec P2's range, sometimes outside any policy's; starts in the
/// past, now, or up to two days ahead.
pub fn pass_options(now: DateTime<Utc>) -> impl Strategy<Value = PassOptions> {
    (
        prop::option::of(prop_oneof![
            4 => lifetime(),
            1 => prop::sample::select(vec![0, 9, 43_201, -1, i64::MAX]),
        ]),
        prop::option::of(any::<bool>()),
        prop::option::weighted(0.3, -86_400i64..2 * 86_400),
    )
        .prop_map(move |(lifetime, once, start)| {
            let mut o = PassOptions::new();
            if let Some(l) = lifetime {
                o = o.lifetime_in_minutes(l);
            }
            if let Some(once) = once {
                o = o.usable_once(once);
            }
            if let Some(s) = start {
                o = o.start(now + Duration::seconds(s));
            }
            o
        })
}

// ---- Directories and tenants ------------------------------------------------------------------

/// A user to create.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct UserSpec {
    /// Member, internal or external guest.
    pub kind: UserType,
    /// Directory roles.
    pub roles: Vec<Role>,
    /// A federated domain.
    pub federated: bool,
    /// Whether the account may sign in.
    pub enabled: bool,
    /// Whether the user has a password (generated; see [`Sim::danger_secrets`]).
    pub password: bool,
    /// Groups (by index in [`DirectorySpec::groups`]) the user is a direct member of.
    pub groups: Vec<usize>,
}

/// A group to create. Groups form a forest: a group's parent comes before it, so
/// nesting never makes a cycle.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct GroupSpec {
    /// The group that contains this one (an index lower than its own).
    pub parent: Option<usize>,
}

/// Users and groups.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DirectorySpec {
    /// Groups, parents first.
    pub groups: Vec<GroupSpec>,
    /// Users.
    pub users: Vec<UserSpec>,
}

fn role() -> impl Strategy<Value = Role> {
    prop::sample::select(Role::ALL.to_vec())
}

fn user_spec(groups: usize) -> impl Strategy<Value = UserSpec> {
    (
        prop_oneof![
            6 => Just(UserType::Member),
            1 => Just(UserType::InternalGuest),
            1 => Just(UserType::ExternalGuest),
        ],
        prop::collection::vec(role(), 0..2),
        prop::bool::weighted(0.1),
        prop::bool::weighted(0.9),
        prop::bool::weighted(0.7),
        if groups == 0 {
            Just(Vec::new()).boxed()
        } else {
            prop::collection::vec(0..groups, 0..3).boxed()
        },
    )
        .prop_map(
            |(kind, roles, federated, enabled, password, groups)| UserSpec {
                kind,
                roles,
                federated,
                enabled,
                password,
                groups,
            },
        )
}

/// A directory of `users` users and `groups` groups (nested as a forest, at most three
/// deep in practice), with users of every kind and role.
pub fn directory(
    users: impl Into<SizeRange>,
    groups: impl Into<SizeRange>,
) -> impl Strategy<Value = DirectorySpec> {
    let users = users.into();
    prop::collection::vec(any::<(bool, Index)>(), groups).prop_flat_map(move |parents| {
        let groups: Vec<GroupSpec> = parents
            .iter()
            .enumerate()
            .map(|(i, (nested, parent))| GroupSpec {
                parent: (*nested && i > 0).then(|| parent.index(i)),
            })
            .collect();
        let n = groups.len();
        prop::collection::vec(user_spec(n), users.clone()).prop_map(move |users| DirectorySpec {
            groups: groups.clone(),
            users,
        })
    })
}

/// What a policy target names, with groups by index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetSpec {
    /// `all_users`.
    AllUsers,
    /// A group of the directory, by index.
    Group(usize),
}

/// A valid policy, with groups by index.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PolicySpec {
    /// `state`.
    pub enabled: bool,
    /// (minimum, default, maximum) lifetimes.
    pub lifetimes: (i64, i64, i64),
    /// `defaultLength`.
    pub length: i64,
    /// `isUsableOnce`.
    pub usable_once: bool,
    /// `includeTargets`.
    pub include: Vec<TargetSpec>,
    /// `excludeTargets`.
    pub exclude: Vec<TargetSpec>,
}

fn policy_spec(groups: usize) -> impl Strategy<Value = PolicySpec> {
    let target = if groups == 0 {
        Just(TargetSpec::AllUsers).boxed()
    } else {
        prop_oneof![
            2 => Just(TargetSpec::AllUsers),
            3 => (0..groups).prop_map(TargetSpec::Group),
        ]
        .boxed()
    };
    let exclude = if groups == 0 {
        Just(Vec::new()).boxed()
    } else {
        prop::collection::vec((0..groups).prop_map(TargetSpec::Group), 0..2).boxed()
    };
    (
        prop::bool::weighted(0.85),
        lifetime_bounds(),
        8i64..=48,
        prop::bool::weighted(0.3),
        prop::collection::vec(target, 1..3),
        exclude,
    )
        .prop_map(
            |(enabled, lifetimes, length, usable_once, include, exclude)| PolicySpec {
                enabled,
                lifetimes,
                length,
                usable_once,
                include,
                exclude,
            },
        )
}

/// Each behaviour profile, and each switch alone (spec B1, B2): the 2021 rules on top of
/// `Current`, each B2 point alone on top of `Docs2025` (`authenticator_passkey` alone
/// lets a passkey in Microsoft Authenticator register under the rules as written).
pub fn switches() -> impl Strategy<Value = Switches> {
    prop::sample::select(vec![
        Switches::current(),
        Switches::docs_2025(),
        Switches::preview_2021(),
        Switches::current().delete_before_create(true),
        Switches::current().create_for_out_of_scope_users(true),
        Switches::docs_2025().session_outlives_pass(true),
        Switches::docs_2025().mfa_freshness(true),
        Switches::docs_2025().authenticator_passkey(true),
    ])
}

/// Everything a [`Sim`] is built from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TenantSpec {
    /// The tenant's RNG seed.
    pub seed: u64,
    /// The rules (spec B1).
    pub switches: Switches,
    /// Whether nested group membership counts (spec P5).
    pub transitive_membership: bool,
    /// Smart lockout (spec S7).
    pub lockout: LockoutSettings,
    /// The directory.
    pub directory: DirectorySpec,
    /// The policy, set by the administrator once the directory exists.
    pub policy: PolicySpec,
}

/// A tenant of up to 12 users and 6 groups, with any profile, policy and lockout.
pub fn tenant_spec() -> impl Strategy<Value = TenantSpec> {
    tenant_spec_sized(0..12, 0..6)
}

/// [`tenant_spec`] with directory sizes of your choice.
pub fn tenant_spec_sized(
    users: impl Into<SizeRange>,
    groups: impl Into<SizeRange>,
) -> impl Strategy<Value = TenantSpec> {
    (
        any::<u64>(),
        switches(),
        prop::bool::weighted(0.8),
        prop_oneof![
            1 => Just(LockoutSettings::default()),
            1 => (1u32..=5, 1i64..=300).prop_map(|(threshold, duration_seconds)| {
                LockoutSettings { threshold, duration_seconds }
            }),
        ],
        directory(users, groups),
    )
        .prop_flat_map(|(seed, switches, transitive, lockout, directory)| {
            policy_spec(directory.groups.len()).prop_map(move |policy| TenantSpec {
                seed,
                switches,
                transitive_membership: transitive,
                lockout,
                directory: directory.clone(),
                policy,
            })
        })
}

/// When every [`Sim`] starts: 2026-01-05T09:00:00Z.
pub fn epoch() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0)
        .single()
        .unwrap_or(DateTime::UNIX_EPOCH)
}

impl TenantSpec {
    /// Builds the tenant: a Global Administrator ([`Sim::admin`]) first, then the
    /// groups and their nesting, the users and their memberships, then the policy.
    ///
    /// # Panics
    /// Never for a spec from [`tenant_spec`]; for a hand-made spec with out-of-range
    /// group indexes or an invalid policy.
    pub fn build(&self) -> Sim {
        let clock = ManualClock::new(epoch());
        let mut tenant = Tenant::builder()
            .seed(self.seed)
            .clock(clock.clone())
            .hash_cost(HashCost::Minimum)
            .switches(self.switches)
            .transitive_membership(self.transitive_membership)
            .lockout(self.lockout)
            .build()
            .expect("a TenantSpec's configuration is valid");
        let admin = tenant
            .add_user(NewUser::member("admin@contoso.com", "Admin").role(Role::GlobalAdministrator))
            .expect("the administrator");
        let mut sim = Sim {
            tenant,
            clock,
            admin,
            users: Vec::new(),
            groups: Vec::new(),
            passwords: Vec::new(),
            passes: Vec::new(),
            sessions: Vec::new(),
            devices: Vec::new(),
            seen: Vec::new(),
            next_user: 0,
        };
        for (i, g) in self.directory.groups.iter().enumerate() {
            let id = sim.tenant.add_group(format!("group {i}"));
            if let Some(p) = g.parent {
                let parent = sim.groups[p];
                sim.tenant
                    .add_member(parent, id)
                    .expect("a forest has no cycle");
            }
            sim.groups.push(id);
        }
        for u in &self.directory.users {
            let id = sim.add_user(u);
            for &g in &u.groups {
                sim.tenant
                    .add_member(sim.groups[g], id)
                    .expect("a group of the spec");
            }
        }
        let p = &self.policy;
        let target = |t: &TargetSpec| match t {
            TargetSpec::AllUsers => TargetId::AllUsers,
            TargetSpec::Group(g) => TargetId::Group(sim.groups[*g]),
        };
        let patch = PolicyPatch::new()
            .state(if p.enabled {
                PolicyState::Enabled
            } else {
                PolicyState::Disabled
            })
            .minimum_lifetime_in_minutes(p.lifetimes.0)
            .default_lifetime_in_minutes(p.lifetimes.1)
            .maximum_lifetime_in_minutes(p.lifetimes.2)
            .default_length(p.length)
            .is_usable_once(p.usable_once)
            .include_targets(
                p.include
                    .iter()
                    .map(|t| IncludeTarget::group(target(t)))
                    .collect(),
            )
            .exclude_targets(
                p.exclude
                    .iter()
                    .map(|t| ExcludeTarget::group(target(t)))
                    .collect(),
            );
        sim.tenant
            .update_policy(admin, &patch)
            .expect("a PolicySpec is valid");
        sim
    }
}

// ---- Operations -------------------------------------------------------------------------------

/// Who performs an admin operation.
#[derive(Debug, Clone, Copy)]
pub enum Actor {
    /// The simulation's Global Administrator.
    Admin,
    /// A user of the simulation (by [`Index`]): allowed or not, by their roles.
    User(Index),
}

/// A member to add to or remove from a group.
#[derive(Debug, Clone, Copy)]
pub enum MemberRef {
    /// A user.
    User(Index),
    /// Another group (adding one that would make a cycle is rejected).
    Group(Index),
}

/// The secret a pass sign-in presents.
#[derive(Debug, Clone, Copy)]
pub enum SecretRef {
    /// The last pass issued to the user (perhaps replaced or deleted since).
    Latest,
    /// A pass issued to anyone, by [`Index`] over every pass issued.
    Any(Index),
    /// A value no pass has.
    Wrong,
}

/// An operation on a [`Sim`]. Indexes resolve against what exists when it is applied;
/// an operation whose list is empty is skipped.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Op {
    /// Adds a user.
    AddUser(UserSpec),
    /// Adds an empty group.
    AddGroup,
    /// Adds a member to a group.
    AddMember {
        /// The group.
        group: Index,
        /// The member.
        member: MemberRef,
    },
    /// Removes a member from a group.
    RemoveMember {
        /// The group.
        group: Index,
        /// The member.
        member: MemberRef,
    },
    /// Updates the policy (valid or not).
    UpdatePolicy {
        /// Who.
        actor: Actor,
        /// The patch; its targets name groups by index.
        patch: PatchSpec,
    },
    /// Resets the policy.
    ResetPolicy {
        /// Who.
        actor: Actor,
    },
    /// Creates a pass.
    CreatePass {
        /// Who.
        actor: Actor,
        /// For whom.
        user: Index,
        /// Lifetime in minutes (perhaps out of range).
        lifetime: Option<i64>,
        /// One-time or not.
        usable_once: Option<bool>,
        /// Start, in seconds from now.
        start_in: Option<i64>,
    },
    /// Deletes the user's pass, if they have one.
    DeletePass {
        /// Who.
        actor: Actor,
        /// Whose.
        user: Index,
    },
    /// Moves the clock forward.
    Advance {
        /// By how many seconds.
        seconds: i64,
    },
    /// Signs in with a pass.
    SignInPass {
        /// Who.
        user: Index,
        /// With which value.
        secret: SecretRef,
    },
    /// Signs in with the newest pass issued, as the user it was issued to (it may have
    /// been used, replaced or deleted since).
    SignInNewestPass,
    /// Signs in with the password.
    SignInPassword {
        /// Who.
        user: Index,
        /// The right password, or a wrong one.
        correct: bool,
    },
    /// Signs in with a registered device (with the password first for kinds that need
    /// it).
    SignInDevice {
        /// Which device, over every device registered.
        device: Index,
    },
    /// Registers a method inside a session.
    RegisterMethod {
        /// Which session, over every session opened.
        session: Index,
        /// The kind (the password and a pass are rejected).
        kind: MethodKind,
    },
    /// Removes a registered method.
    RemoveMethod {
        /// Who.
        actor: Actor,
        /// Which device's method.
        device: Index,
    },
    /// Signs a session out.
    SignOut {
        /// Which session.
        session: Index,
    },
}

/// A policy patch with groups by index (resolved when applied).
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct PatchSpec {
    /// `state`.
    pub enabled: Option<bool>,
    /// `minimumLifetimeInMinutes`.
    pub min: Option<i64>,
    /// `defaultLifetimeInMinutes`.
    pub default: Option<i64>,
    /// `maximumLifetimeInMinutes`.
    pub max: Option<i64>,
    /// `defaultLength`.
    pub length: Option<i64>,
    /// `isUsableOnce`.
    pub usable_once: Option<bool>,
    /// `includeTargets`: `None` for `all_users`, else a group by index.
    pub include: Option<Vec<Option<Index>>>,
    /// `excludeTargets`: groups by index.
    pub exclude: Option<Vec<Index>>,
}

fn any_lifetime() -> impl Strategy<Value = i64> {
    prop_oneof![
        6 => lifetime(),
        1 => prop::sample::select(vec![0, 9, 43_201, -1, i64::MAX]),
    ]
}

fn patch_spec() -> impl Strategy<Value = PatchSpec> {
    (
        prop::option::weighted(0.5, prop::bool::weighted(0.85)),
        prop::option::weighted(0.3, lifetime_bounds()),
        prop::option::weighted(0.1, any_lifetime()),
        prop::option::weighted(
            0.2,
            prop_oneof![4 => 8i64..=48, 1 => Just(7i64), 1 => Just(49i64)],
        ),
        prop::option::weighted(0.3, prop::bool::weighted(0.3)),
        prop::option::weighted(
            0.2,
            prop::collection::vec(prop::option::weighted(0.7, any::<Index>()), 0..3),
        ),
        prop::option::weighted(0.2, prop::collection::vec(any::<Index>(), 0..2)),
    )
        .prop_map(
            |(enabled, bounds, stray, length, usable_once, include, exclude)| {
                let (mut min, default, max) = bounds.unzip3();
                if stray.is_some() {
                    min = stray;
                }
                PatchSpec {
                    enabled,
                    min,
                    default,
                    max,
                    length,
                    usable_once,
                    include,
                    exclude,
                }
            },
        )
}

fn actor() -> impl Strategy<Value = Actor> {
    prop_oneof![
        3 => Just(Actor::Admin),
        1 => any::<Index>().prop_map(Actor::User),
    ]
}

fn method_kind() -> impl Strategy<Value = MethodKind> {
    prop::sample::select(MethodKind::ALL.to_vec())
}

/// One operation of any kind, weighted toward passes and sign-ins.
pub fn op() -> impl Strategy<Value = Op> {
    let member = prop_oneof![
        any::<Index>().prop_map(MemberRef::User),
        any::<Index>().prop_map(MemberRef::Group),
    ];
    prop_oneof![
        2 => user_spec(0).prop_map(Op::AddUser),
        1 => Just(Op::AddGroup),
        2 => (any::<Index>(), member.clone()).prop_map(|(group, member)| Op::AddMember { group, member }),
        1 => (any::<Index>(), member).prop_map(|(group, member)| Op::RemoveMember { group, member }),
        4 => (actor(), patch_spec()).prop_map(|(actor, patch)| Op::UpdatePolicy { actor, patch }),
        1 => actor().prop_map(|actor| Op::ResetPolicy { actor }),
        8 => (
            actor(),
            any::<Index>(),
            prop::option::weighted(0.4, any_lifetime()),
            prop::option::of(any::<bool>()),
            prop::option::weighted(0.2, -3_600i64..86_400),
        )
            .prop_map(|(actor, user, lifetime, usable_once, start_in)| Op::CreatePass {
                actor,
                user,
                lifetime,
                usable_once,
                start_in,
            }),
        2 => (actor(), any::<Index>()).prop_map(|(actor, user)| Op::DeletePass { actor, user }),
        4 => prop_oneof![
            Just(1i64), Just(60), Just(600), Just(3_600), Just(8 * 3_600), Just(86_400),
            0i64..7_200,
        ]
        .prop_map(|seconds| Op::Advance { seconds }),
        8 => (
            any::<Index>(),
            prop_oneof![6 => Just(SecretRef::Latest), 1 => any::<Index>().prop_map(SecretRef::Any), 1 => Just(SecretRef::Wrong)],
        )
            .prop_map(|(user, secret)| Op::SignInPass { user, secret }),
        6 => Just(Op::SignInNewestPass),
        2 => (any::<Index>(), prop::bool::weighted(0.7))
            .prop_map(|(user, correct)| Op::SignInPassword { user, correct }),
        2 => any::<Index>().prop_map(|device| Op::SignInDevice { device }),
        4 => (any::<Index>(), method_kind())
            .prop_map(|(session, kind)| Op::RegisterMethod { session, kind }),
        1 => (actor(), any::<Index>()).prop_map(|(actor, device)| Op::RemoveMethod { actor, device }),
        1 => any::<Index>().prop_map(|session| Op::SignOut { session }),
    ]
}

/// A sequence of operations.
pub fn ops(len: impl Into<SizeRange>) -> impl Strategy<Value = Vec<Op>> {
    prop::collection::vec(op(), len)
}

/// What applying an [`Op`] did.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Applied {
    /// The call succeeded. `audited`: the call is one the audit log records, so it
    /// appended exactly one audit record, except a policy update or reset that left the
    /// policy as it was, which appends none (spec R10).
    Done {
        /// Whether the call is one the audit log records.
        audited: bool,
    },
    /// The call was rejected; the tenant did not change.
    Rejected(Error),
    /// A sign-in succeeded and opened this session.
    SignedIn(SessionId),
    /// A sign-in was denied.
    Denied(crate::DenialReason),
    /// Nothing to act on (an empty list to pick from), or a clock move.
    Skipped,
}

/// A tenant built from a [`TenantSpec`], with the handles a test needs: the users and
/// groups it has, every secret issued (to sign in with, and to scan for), the sessions
/// opened and the devices registered.
pub struct Sim {
    /// The tenant.
    pub tenant: Tenant,
    /// Its clock; [`Op::Advance`] moves it.
    pub clock: ManualClock,
    /// A Global Administrator, not among [`Sim::users`].
    pub admin: UserId,
    users: Vec<UserId>,
    groups: Vec<GroupId>,
    /// Per user (by position in `users`): the password, if any.
    passwords: Vec<Option<Secret>>,
    /// Every pass issued: (user position, secret).
    passes: Vec<(usize, Secret)>,
    sessions: Vec<SessionId>,
    devices: Vec<(usize, Device)>,
    seen: Vec<Secret>,
    next_user: usize,
}

impl fmt::Debug for Sim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sim")
            .field("tenant", &self.tenant)
            .field("users", &self.users.len())
            .field("groups", &self.groups.len())
            .field("passes_issued", &self.passes.len())
            .field("sessions", &self.sessions.len())
            .field("devices", &self.devices.len())
            .finish_non_exhaustive()
    }
}

const WRONG: &str = "not+the+pass";

impl Sim {
    /// The users the simulation created (not the administrator), in order.
    pub fn users(&self) -> &[UserId] {
        &self.users
    }

    /// The groups, in order.
    pub fn groups(&self) -> &[GroupId] {
        &self.groups
    }

    /// The sessions opened so far, in order.
    pub fn sessions(&self) -> &[SessionId] {
        &self.sessions
    }

    /// Every secret the simulation has seen, in clear: pass values, passwords, device
    /// secrets. For checking that your code never shows one; whatever else you do with
    /// them can leak them.
    pub fn danger_secrets(&self) -> impl Iterator<Item = &str> {
        self.seen.iter().map(Secret::danger_reveal)
    }

    fn remember(&mut self, s: &Secret) {
        self.seen.push(s.clone());
    }

    fn add_user(&mut self, u: &UserSpec) -> UserId {
        let i = self.next_user;
        self.next_user += 1;
        let upn = format!("user{i}@contoso.com");
        let mut new = NewUser::member(upn.as_str(), format!("User {i}"))
            .user_type(u.kind)
            .federated(u.federated)
            .account_enabled(u.enabled);
        for r in &u.roles {
            new = new.role(*r);
        }
        let password = u.password.then(|| {
            Secret::from(format!(
                "Pw-{i}-{:x}!",
                self.tenant.id().guid().as_bytes()[0]
            ))
        });
        if let Some(p) = &password {
            new = new.password(p.clone());
            self.remember(p);
        }
        let id = self
            .tenant
            .add_user(new)
            .expect("generated names are unique");
        self.users.push(id);
        self.passwords.push(password);
        id
    }

    fn pick<T: Copy>(list: &[T], i: Index) -> Option<T> {
        (!list.is_empty()).then(|| list[i.index(list.len())])
    }

    fn actor(&self, a: Actor) -> Option<UserId> {
        match a {
            Actor::Admin => Some(self.admin),
            Actor::User(i) => Self::pick(&self.users, i),
        }
    }

    fn now(&self) -> DateTime<Utc> {
        use crate::Clock;
        self.clock.now()
    }

    fn patch(&self, p: &PatchSpec) -> Option<PolicyPatch> {
        let group = |i: Index| Self::pick(&self.groups, i);
        let include = match &p.include {
            None => None,
            Some(ts) => Some(
                ts.iter()
                    .map(|t| match t {
                        None => Some(IncludeTarget::group(TargetId::AllUsers)),
                        Some(i) => group(*i).map(IncludeTarget::group),
                    })
                    .collect::<Option<Vec<_>>>()?,
            ),
        };
        let exclude = match &p.exclude {
            None => None,
            Some(ts) => Some(
                ts.iter()
                    .map(|i| group(*i).map(ExcludeTarget::group))
                    .collect::<Option<Vec<_>>>()?,
            ),
        };
        Some(PolicyPatch {
            state: p.enabled.map(|on| {
                if on {
                    PolicyState::Enabled
                } else {
                    PolicyState::Disabled
                }
            }),
            minimum_lifetime_in_minutes: p.min,
            default_lifetime_in_minutes: p.default,
            maximum_lifetime_in_minutes: p.max,
            default_length: p.length,
            is_usable_once: p.usable_once,
            include_targets: include,
            exclude_targets: exclude,
            ..PolicyPatch::new()
        })
    }

    fn done<T>(r: Result<T, Error>, audited: bool) -> Applied {
        match r {
            Ok(_) => Applied::Done { audited },
            Err(e) => Applied::Rejected(e),
        }
    }

    /// Applies `op`. Never panics for operations from [`op`].
    pub fn apply(&mut self, op: &Op) -> Applied {
        match op {
            Op::AddUser(u) => {
                let spec = UserSpec {
                    groups: Vec::new(),
                    ..u.clone()
                };
                self.add_user(&spec);
                Applied::Done { audited: false }
            }
            Op::AddGroup => {
                let id = self
                    .tenant
                    .add_group(format!("group {}", self.groups.len()));
                self.groups.push(id);
                Applied::Done { audited: false }
            }
            Op::AddMember { group, member } | Op::RemoveMember { group, member } => {
                let Some(g) = Self::pick(&self.groups, *group) else {
                    return Applied::Skipped;
                };
                let m = match member {
                    MemberRef::User(i) => Self::pick(&self.users, *i).map(Member::User),
                    MemberRef::Group(i) => Self::pick(&self.groups, *i).map(Member::Group),
                };
                let Some(m) = m else {
                    return Applied::Skipped;
                };
                let r = if matches!(op, Op::AddMember { .. }) {
                    self.tenant.add_member(g, m)
                } else {
                    self.tenant.remove_member(g, m)
                };
                Self::done(r, false)
            }
            Op::UpdatePolicy { actor, patch } => {
                let (Some(a), Some(p)) = (self.actor(*actor), self.patch(patch)) else {
                    return Applied::Skipped;
                };
                Self::done(self.tenant.update_policy(a, &p), true)
            }
            Op::ResetPolicy { actor } => match self.actor(*actor) {
                Some(a) => Self::done(self.tenant.reset_policy(a), true),
                None => Applied::Skipped,
            },
            Op::CreatePass {
                actor,
                user,
                lifetime,
                usable_once,
                start_in,
            } => {
                let (Some(a), Some(pos)) = (
                    self.actor(*actor),
                    (!self.users.is_empty()).then(|| user.index(self.users.len())),
                ) else {
                    return Applied::Skipped;
                };
                let mut o = PassOptions::new();
                if let Some(l) = lifetime {
                    o = o.lifetime_in_minutes(*l);
                }
                if let Some(once) = usable_once {
                    o = o.usable_once(*once);
                }
                if let Some(s) = start_in {
                    o = o.start(self.now() + Duration::seconds(*s));
                }
                match self.tenant.create_pass(a, self.users[pos], o) {
                    Ok(issued) => {
                        self.remember(&issued.secret);
                        self.passes.push((pos, issued.secret));
                        Applied::Done { audited: true }
                    }
                    Err(e) => Applied::Rejected(e),
                }
            }
            Op::DeletePass { actor, user } => {
                let (Some(a), Some(u)) = (self.actor(*actor), Self::pick(&self.users, *user))
                else {
                    return Applied::Skipped;
                };
                let Some(pass) = self.tenant.pass_record(u).map(|p| p.id()) else {
                    return Applied::Skipped;
                };
                Self::done(self.tenant.delete_pass(a, u, pass), true)
            }
            Op::Advance { seconds } => {
                self.clock.advance(Duration::seconds(*seconds));
                Applied::Skipped
            }
            Op::SignInPass { user, secret } => {
                if self.users.is_empty() {
                    return Applied::Skipped;
                }
                let pos = user.index(self.users.len());
                let value = match secret {
                    SecretRef::Latest => self
                        .passes
                        .iter()
                        .rev()
                        .find(|(p, _)| *p == pos)
                        .map(|(_, s)| s.clone()),
                    SecretRef::Any(i) => (!self.passes.is_empty())
                        .then(|| self.passes[i.index(self.passes.len())].1.clone()),
                    SecretRef::Wrong => None,
                };
                let value = value.unwrap_or_else(|| Secret::from(WRONG));
                let upn = self.upn(pos);
                self.sign_in(&upn, Credential::Pass(value.danger_reveal()))
            }
            Op::SignInNewestPass => {
                let Some((pos, secret)) = self.passes.last().cloned() else {
                    return Applied::Skipped;
                };
                let upn = self.upn(pos);
                self.sign_in(&upn, Credential::Pass(secret.danger_reveal()))
            }
            Op::SignInPassword { user, correct } => {
                if self.users.is_empty() {
                    return Applied::Skipped;
                }
                let pos = user.index(self.users.len());
                let pw = match (&self.passwords[pos], correct) {
                    (Some(p), true) => p.clone(),
                    _ => Secret::from("not-the-password"),
                };
                let upn = self.upn(pos);
                self.sign_in(&upn, Credential::Password(pw.danger_reveal()))
            }
            Op::SignInDevice { device } => {
                if self.devices.is_empty() {
                    return Applied::Skipped;
                }
                let (pos, d) = &self.devices[device.index(self.devices.len())];
                let upn = self.upn(*pos);
                let pw = self.passwords[*pos]
                    .clone()
                    .unwrap_or_else(|| Secret::from("no-password"));
                let credential = if crate::MethodKind::is_passwordless(d.kind()) {
                    Credential::Device(d)
                } else {
                    Credential::PasswordAndDevice(pw.danger_reveal(), d)
                };
                let outcome = self.tenant.sign_in(&upn, credential);
                self.record(outcome)
            }
            Op::RegisterMethod { session, kind } => {
                let Some(s) = Self::pick(&self.sessions, *session) else {
                    return Applied::Skipped;
                };
                let user = self.tenant.session(s).map(|s| s.user());
                match self.tenant.register_method(s, *kind, format!("{kind:?}")) {
                    Ok(device) => {
                        let pos = user
                            .and_then(|u| self.users.iter().position(|x| *x == u))
                            .unwrap_or(0);
                        self.remember(device.danger_secret());
                        self.devices.push((pos, device));
                        Applied::Done { audited: true }
                    }
                    Err(e) => Applied::Rejected(e),
                }
            }
            Op::RemoveMethod { actor, device } => {
                let Some(a) = self.actor(*actor) else {
                    return Applied::Skipped;
                };
                if self.devices.is_empty() {
                    return Applied::Skipped;
                }
                let (pos, d) = &self.devices[device.index(self.devices.len())];
                let (user, method) = (self.users[*pos], d.method());
                Self::done(self.tenant.remove_method(a, user, method), true)
            }
            Op::SignOut { session } => match Self::pick(&self.sessions, *session) {
                Some(s) => Self::done(self.tenant.sign_out(s), false),
                None => Applied::Skipped,
            },
        }
    }

    fn upn(&self, pos: usize) -> String {
        self.tenant
            .directory()
            .user(self.users[pos])
            .map(|u| u.user_principal_name().to_owned())
            .unwrap_or_default()
    }

    fn sign_in(&mut self, upn: &str, credential: Credential<'_>) -> Applied {
        let outcome = self.tenant.sign_in(upn, credential);
        self.record(outcome)
    }

    fn record(&mut self, outcome: crate::SignInOutcome) -> Applied {
        match outcome.session() {
            Some(s) => {
                self.sessions.push(s.id());
                Applied::SignedIn(s.id())
            }
            None => Applied::Denied(
                outcome
                    .denial()
                    .unwrap_or(crate::DenialReason::InvalidCredential),
            ),
        }
    }
}
