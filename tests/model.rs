//! Model-based property test of the whole tenant (issue 6).
//!
//! A small reference model of the rules (`Model`, written from `tap-rules.md`, not from
//! the library's code) runs beside the real [`Tenant`]. proptest-state-machine generates
//! random sequences of every operation: users, groups and nested membership, policy
//! updates (valid and invalid) and resets, pass creation, reads and deletion by actors of
//! every role, clock moves onto exact boundaries, sign-ins with right and wrong
//! secrets, passwords and devices, method registration and removal. Each operation's
//! result must agree with the model's, and after every step:
//!
//! - the tenant's observable state (policy, scope, every pass as read now, lockouts,
//!   methods, session statuses, log lengths) equals the model's;
//! - at most one pass per user;
//! - no secret the test has seen (pass values, passwords, device secrets) is in the
//!   snapshot JSON, its `Debug`, the audit or sign-in log, or any result or error;
//! - a one-time pass signs in at most once;
//! - a rejected call changes nothing (the snapshot JSON, RNG included, is unchanged);
//! - every successful state change leaves exactly one audit record, of the right
//!   activity, actor and target, and every sign-in exactly one sign-in record;
//! - nothing panics.
//!
//! At the end of each case the snapshot must round-trip through JSON and
//! [`Tenant::from_snapshot`], and replaying the same calls on a fresh tenant with the
//! same seed must give the same state byte for byte.
//!
//! Four rule sets run as separate tests: `Switches::current()` (B2's amendments on),
//! `Switches::preview_2021()` (B2's off, as in `Docs2025`), and each of the two
//! creation switches alone on top of `Current`.
//!
//! Case counts: `TAPSIM_PROPTEST_CASES` (default 64 per rule set) and
//! `TAPSIM_PROPTEST_STEPS` (longest sequence, default 64) raise them for long runs, for
//! example `TAPSIM_PROPTEST_CASES=2000 cargo test --release model`. Failures are kept
//! in `proptest-regressions/model.txt` and replayed first on every run.
//!
//! This file is also compiled into `benches/tapsim.rs` (with `#[path]`), which measures
//! how many operations per second the harness applies.

#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::marker::PhantomData;
use std::sync::Arc;

use chrono::{DateTime, Duration, TimeZone, Utc};
use proptest::prelude::*;
use proptest::strategy::Union;
use proptest::test_runner::Config;
use proptest_state_machine::{ReferenceStateMachine, StateMachineTest};
use tapsim::{
    Activity, AuditRecord, Credential, Denial, DenialReason, Device, Error, ErrorCode,
    ExcludeTarget, HashCost, IncludeTarget, Invalid, LockoutSettings, ManualClock, Member,
    MethodId, MethodKind, NewUser, PassId, PassOptions, PolicyPatch, PolicyState, Role, Scope,
    Secret, SessionEndReason, SessionId, SessionSource, SessionStatus, SignInOutcome, Switches,
    TapPolicy, TargetId, TargetType, TemporaryAccessPass, Tenant, TenantState, UsabilityReason,
    UserId, UserType,
};

// ---- Configuration ----------------------------------------------------------------------

/// Cases per rule set unless `TAPSIM_PROPTEST_CASES` says otherwise.
pub const DEFAULT_CASES: u32 = 64;
/// Longest operation sequence unless `TAPSIM_PROPTEST_STEPS` says otherwise.
pub const DEFAULT_STEPS: usize = 64;

fn env_number<T: std::str::FromStr>(name: &str) -> Option<T> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

/// Cases per rule set (`TAPSIM_PROPTEST_CASES`).
pub fn cases() -> u32 {
    env_number("TAPSIM_PROPTEST_CASES").unwrap_or(DEFAULT_CASES)
}

/// The longest operation sequence (`TAPSIM_PROPTEST_STEPS`).
pub fn max_steps() -> usize {
    env_number("TAPSIM_PROPTEST_STEPS")
        .unwrap_or(DEFAULT_STEPS)
        .max(1)
}

fn config() -> Config {
    Config {
        cases: cases(),
        max_shrink_iters: 4096,
        ..Config::default()
    }
}

/// 2026-01-05T09:00:00Z, when every case starts.
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap()
}

// ---- The rules, as the spec states them ---------------------------------------------------

/// Spec T9: the roles an Authentication Administrator may still act on.
const AUTH_ADMIN_REACH: [Role; 8] = [
    Role::AuthenticationAdministrator,
    Role::DirectoryReaders,
    Role::GuestInviter,
    Role::MessageCenterReader,
    Role::PasswordAdministrator,
    Role::ReportsReader,
    Role::UserExperienceSuccessManager,
    Role::UsageSummaryReportsReader,
];

/// Spec R8: methods that sign in alone and satisfy MFA.
const SIGNS_IN_ALONE: [MethodKind; 5] = [
    MethodKind::Fido2SecurityKey,
    MethodKind::Passkey,
    MethodKind::AuthenticatorPasskey,
    MethodKind::MicrosoftAuthenticatorPasswordless,
    MethodKind::WindowsHelloForBusiness,
];

/// Spec S6, R9: methods registered within ten minutes of a one-time pass sign-in.
const TEN_MINUTE_WINDOW: [MethodKind; 4] = [
    MethodKind::Fido2SecurityKey,
    MethodKind::Passkey,
    MethodKind::AuthenticatorPasskey,
    MethodKind::MicrosoftAuthenticatorPasswordless,
];

/// Spec P2: lifetimes and length.
const LIFETIMES: std::ops::RangeInclusive<i64> = 10..=43_200;
const LENGTHS: std::ops::RangeInclusive<i64> = 8..=48;

/// Why the model expects a call to be rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fail {
    UnknownActor,
    ActorDisabled,
    SelfIssue,
    MissingRole,
    TooPrivileged(Role),
    SessionNotValid,
    SessionNotMultifactor,
    WindowClosed,
    /// Spec B2's S6: the last multifactor proof is ten minutes old or more.
    MfaNotFresh,
    UserNotFound,
    GroupNotFound,
    PassNotFound,
    MethodNotFound,
    SessionNotFound,
    OutOfRange(&'static str),
    DefaultOutsideBounds,
    UnknownTargetGroup,
    BadTarget,
    Body,
    LifetimeOutOfRange(u32, u32),
    OutOfScope,
    ExternalGuest,
    MultiUseNotAllowed,
    PassAlreadyExists,
    DuplicateUpn,
    InvalidUpn,
    GroupCycle,
    NotRegistrable,
    /// Spec B2: a passkey in Authenticator with the `authenticator_passkey` switch off.
    KindSwitchedOff,
}

impl Fail {
    /// Spec G2, R3: the Graph code each rejection carries.
    fn code(self) -> ErrorCode {
        use Fail::*;
        match self {
            UnknownActor
            | ActorDisabled
            | SelfIssue
            | MissingRole
            | TooPrivileged(_)
            | SessionNotValid
            | SessionNotMultifactor
            | WindowClosed
            | MfaNotFresh => ErrorCode::AccessDenied,
            UserNotFound | PassNotFound | MethodNotFound | SessionNotFound => {
                ErrorCode::ItemNotFound
            }
            GroupNotFound => ErrorCode::RequestResourceNotFound,
            PassAlreadyExists => ErrorCode::Conflict,
            OutOfRange(_)
            | DefaultOutsideBounds
            | UnknownTargetGroup
            | BadTarget
            | Body
            | LifetimeOutOfRange(..)
            | OutOfScope
            | ExternalGuest
            | MultiUseNotAllowed
            | DuplicateUpn
            | InvalidUpn
            | GroupCycle
            | NotRegistrable
            | KindSwitchedOff => ErrorCode::BadRequest,
        }
    }
}

/// The tenant's error, read as a [`Fail`].
fn classify(e: &Error) -> Fail {
    match e {
        Error::AccessDenied(d) => match d {
            Denial::UnknownPrincipal(_) => Fail::UnknownActor,
            Denial::AccountDisabled(_) => Fail::ActorDisabled,
            Denial::SelfIssue => Fail::SelfIssue,
            Denial::MissingRole { .. } => Fail::MissingRole,
            Denial::TargetTooPrivileged { role } => Fail::TooPrivileged(*role),
            Denial::SessionNotValid => Fail::SessionNotValid,
            Denial::SessionNotMultifactor => Fail::SessionNotMultifactor,
            Denial::RegistrationWindowClosed => Fail::WindowClosed,
            Denial::MfaNotFresh => Fail::MfaNotFresh,
            other => panic!("a denial the model does not know: {other:?}"),
        },
        Error::UserNotFound(_) => Fail::UserNotFound,
        Error::GroupNotFound(_) => Fail::GroupNotFound,
        Error::PassNotFound(_) => Fail::PassNotFound,
        Error::MethodNotFound(_) => Fail::MethodNotFound,
        Error::SessionNotFound(_) => Fail::SessionNotFound,
        Error::Invalid(i) => match i {
            Invalid::OutOfRange { field, .. } => Fail::OutOfRange(field),
            Invalid::DefaultLifetimeOutsideBounds { .. } => Fail::DefaultOutsideBounds,
            Invalid::UnknownTargetGroup(_) => Fail::UnknownTargetGroup,
            Invalid::BadTarget(_) => Fail::BadTarget,
            Invalid::Body(_) => Fail::Body,
            other => panic!("an invalid-request reason the model does not know: {other:?}"),
        },
        Error::LifetimeOutOfRange { min, max } => Fail::LifetimeOutOfRange(*min, *max),
        Error::UserOutOfPolicyScope => Fail::OutOfScope,
        Error::ExternalGuest => Fail::ExternalGuest,
        Error::MultiUseNotAllowed => Fail::MultiUseNotAllowed,
        Error::PassAlreadyExists => Fail::PassAlreadyExists,
        Error::DuplicateUpn(_) => Fail::DuplicateUpn,
        Error::InvalidUpn(_) => Fail::InvalidUpn,
        Error::GroupCycle { .. } => Fail::GroupCycle,
        Error::NotRegistrable(_) => Fail::NotRegistrable,
        Error::MethodKindSwitchedOff { .. } => Fail::KindSwitchedOff,
        other => panic!("an error the model does not know: {other:?}"),
    }
}

// ---- The model's state ------------------------------------------------------------------

/// A user as the model sees one. Users are never deleted: an index names one for good.
#[derive(Debug, Clone)]
pub struct MUser {
    upn: String,
    kind: UserType,
    federated: bool,
    enabled: bool,
    roles: BTreeSet<Role>,
    /// The serial of the current password (the harness holds the text).
    password: Option<usize>,
}

/// A group: its direct members.
#[derive(Debug, Clone, Default)]
pub struct MGroup {
    users: BTreeSet<usize>,
    groups: BTreeSet<usize>,
}

/// What a policy target names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tgt {
    AllUsers,
    Group(usize),
    /// A group id the tenant does not have.
    Missing,
}

/// An include target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MInclude {
    kind: TargetType,
    id: Tgt,
    registration: bool,
}

/// An exclude target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MExclude {
    kind: TargetType,
    id: Tgt,
}

/// The policy (spec P1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MPolicy {
    enabled: bool,
    default: u32,
    min: u32,
    max: u32,
    length: u32,
    once: bool,
    include: Vec<MInclude>,
    exclude: Vec<MExclude>,
}

impl MPolicy {
    /// Spec P1, B1: the defaults; a new tenant starts disabled [sim].
    fn defaults(switches: &Switches) -> MPolicy {
        MPolicy {
            enabled: false,
            default: 60,
            min: 60,
            max: switches.default_maximum_lifetime_in_minutes,
            length: 8,
            once: false,
            include: vec![MInclude {
                kind: TargetType::Group,
                id: Tgt::AllUsers,
                registration: false,
            }],
            exclude: Vec::new(),
        }
    }
}

/// A pass the model knows of. `serial` indexes every pass ever issued.
#[derive(Debug, Clone)]
pub struct MPass {
    serial: usize,
    created: DateTime<Utc>,
    start: DateTime<Utc>,
    lifetime: u32,
    once: bool,
    used: bool,
    last_used: Option<DateTime<Utc>>,
}

impl MPass {
    fn end(&self) -> DateTime<Utc> {
        self.start + Duration::minutes(i64::from(self.lifetime))
    }
}

/// How a session was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MSource {
    Pass { serial: usize, once: bool },
    Password,
    Method { method: usize },
}

/// A session.
#[derive(Debug, Clone)]
pub struct MSession {
    user: usize,
    signed_in: DateTime<Utc>,
    source: MSource,
    mfa: bool,
    expires: Option<DateTime<Utc>>,
    /// Spec B2, R17: the pass's end at sign-in, for pass sessions.
    token_expires: Option<DateTime<Utc>>,
    ended: Option<(DateTime<Utc>, SessionEndReason)>,
}

impl MSession {
    /// Spec S5, R7: ended early, or past its pass's end, whichever came first.
    fn status(&self, now: DateTime<Utc>) -> SessionStatus {
        let expired = self
            .expires
            .filter(|end| now >= *end)
            .map(|end| (end, SessionEndReason::PassExpired));
        let first = match (self.ended, expired) {
            (Some(a), Some(b)) => Some(if a.0 <= b.0 { a } else { b }),
            (a, b) => a.or(b),
        };
        match first {
            Some((at, reason)) => SessionStatus::Ended { at, reason },
            None => SessionStatus::Active,
        }
    }

    fn active(&self, now: DateTime<Utc>) -> bool {
        self.status(now) == SessionStatus::Active
    }
}

/// A registered method (and the device the harness holds for it).
#[derive(Debug, Clone)]
pub struct MMethod {
    user: usize,
    kind: MethodKind,
    removed: bool,
}

/// Smart lockout (spec S7, R6).
#[derive(Debug, Clone, Default)]
pub struct MLock {
    failures: u32,
    lockouts: u32,
    until: Option<DateTime<Utc>>,
}

/// What the last operation must have returned.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Expect {
    /// No tenant call (a clock move, or nothing to act on).
    #[default]
    Nothing,
    /// Success with nothing to compare.
    Done,
    /// `add_member`, `remove_member`.
    Bool(bool),
    /// The policy, as the model has it after the step.
    Policy,
    /// A new pass: its serial.
    Created(usize),
    /// `list_passes`: the pass listed, if any.
    Listed(Option<usize>),
    /// `get_pass`.
    Got(usize),
    /// `list_methods`: method indexes in order.
    Methods(Vec<usize>),
    /// A new device: its method index.
    Device(usize),
    /// A sign-in that opened this session.
    SignedIn(usize),
    /// A sign-in denied for this reason.
    Denied(DenialReason),
    /// A rejected call.
    Fail(Fail),
}

/// The audit record a step must leave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MAudit {
    activity: Activity,
    actor: usize,
    /// The target user; `None` for the policy.
    user: Option<usize>,
}

/// A secret chosen for a sign-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretUse {
    Issued(usize),
    Wrong,
}

/// What the last step expects, and the concrete choices it made.
#[derive(Debug, Clone, Default)]
pub struct Last {
    expect: Expect,
    audit: Option<MAudit>,
    /// The pass a get or delete named (`None`: an id nobody has).
    pass: Option<usize>,
    /// The secret a pass sign-in presented.
    secret: Option<SecretUse>,
}

/// The reference model.
#[derive(Debug, Clone)]
pub struct Model {
    pub seed: u64,
    switches: Switches,
    transitive: bool,
    lockout: LockoutSettings,
    now: DateTime<Utc>,
    users: Vec<MUser>,
    groups: Vec<MGroup>,
    policy: MPolicy,
    /// The current pass of each user (spec T5: at most one).
    passes: BTreeMap<usize, MPass>,
    /// The user of every pass ever issued, by serial.
    issued: Vec<usize>,
    sessions: Vec<MSession>,
    methods: Vec<MMethod>,
    locks: BTreeMap<usize, MLock>,
    passwords: usize,
    audit_len: usize,
    sign_in_len: usize,
    last: Last,
}

/// The cast every case starts with: (upn, role, type, federated, password).
#[rustfmt::skip]
const CAST: [(&str, Option<Role>, UserType, bool, bool); 12] = [
    ("ga@contoso.com", Some(Role::GlobalAdministrator), UserType::Member, false, false),
    ("paa@contoso.com", Some(Role::PrivilegedAuthenticationAdministrator), UserType::Member, false, false),
    ("aa@contoso.com", Some(Role::AuthenticationAdministrator), UserType::Member, false, false),
    ("apa@contoso.com", Some(Role::AuthenticationPolicyAdministrator), UserType::Member, false, false),
    ("gr@contoso.com", Some(Role::GlobalReader), UserType::Member, false, false),
    ("ada@contoso.com", None, UserType::Member, false, true),
    ("bob@contoso.com", None, UserType::Member, false, false),
    ("gil@contoso.com", None, UserType::InternalGuest, false, true),
    ("ext@fabrikam.com", None, UserType::ExternalGuest, false, true),
    ("fed@fabrikam.net", None, UserType::Member, true, true),
    ("pwa@contoso.com", Some(Role::PasswordAdministrator), UserType::Member, false, true),
    ("ua@contoso.com", Some(Role::UserAdministrator), UserType::Member, false, true),
];
/// The cast's admins (indexes into [`CAST`]), the usual actors.
const ADMINS: std::ops::Range<usize> = 0..5;
const POLICY_ADMIN: usize = 3;

/// How a case starts.
#[derive(Debug, Clone, Copy)]
pub struct Start {
    pub seed: u64,
    pub transitive: bool,
    pub lockout: LockoutSettings,
    pub enabled: bool,
}

fn start_strategy() -> impl Strategy<Value = Start> {
    (
        any::<u64>(),
        prop::bool::weighted(0.8),
        prop_oneof![
            1 => Just(LockoutSettings::default()),
            3 => (1u32..=4, 1i64..=120).prop_map(|(threshold, duration_seconds)| LockoutSettings {
                threshold,
                duration_seconds
            }),
        ],
        prop::bool::weighted(0.85),
    )
        .prop_map(|(seed, transitive, lockout, enabled)| Start {
            seed,
            transitive,
            lockout,
            enabled,
        })
}

impl Model {
    pub fn new(switches: Switches, start: Start) -> Model {
        let mut m = Model {
            seed: start.seed,
            switches,
            transitive: start.transitive,
            lockout: start.lockout,
            now: t0(),
            users: Vec::new(),
            groups: Vec::new(),
            policy: MPolicy::defaults(&switches),
            passes: BTreeMap::new(),
            issued: Vec::new(),
            sessions: Vec::new(),
            methods: Vec::new(),
            locks: BTreeMap::new(),
            passwords: 0,
            audit_len: 0,
            sign_in_len: 0,
            last: Last::default(),
        };
        for (upn, role, kind, federated, password) in CAST {
            let password = password.then(|| m.new_password());
            m.users.push(MUser {
                upn: upn.to_owned(),
                kind,
                federated,
                enabled: true,
                roles: role.into_iter().collect(),
                password,
            });
        }
        if start.enabled {
            m.policy.enabled = true;
            m.audit_len = 1;
        }
        m
    }

    fn new_password(&mut self) -> usize {
        self.passwords += 1;
        self.passwords - 1
    }

    fn audit(&mut self, activity: Activity, actor: usize, user: Option<usize>) {
        self.audit_len += 1;
        self.last.audit = Some(MAudit {
            activity,
            actor,
            user,
        });
    }

    // -- who is who (spec R1, P6, T8, T9, R2) --

    fn user(&self, u: Option<usize>) -> Result<usize, Fail> {
        u.filter(|&i| i < self.users.len())
            .ok_or(Fail::UserNotFound)
    }

    fn actor(&self, a: Option<usize>) -> Result<usize, Fail> {
        let a = a.ok_or(Fail::UnknownActor)?;
        if !self.users[a].enabled {
            return Err(Fail::ActorDisabled);
        }
        Ok(a)
    }

    fn has(&self, u: usize, role: Role) -> bool {
        self.users[u].roles.contains(&role)
    }

    fn may_read_policy(&self, a: usize) -> Result<(), Fail> {
        let ok = [
            Role::GlobalReader,
            Role::AuthenticationPolicyAdministrator,
            Role::GlobalAdministrator,
        ]
        .iter()
        .any(|r| self.has(a, *r));
        if ok { Ok(()) } else { Err(Fail::MissingRole) }
    }

    fn may_write_policy(&self, a: usize) -> Result<(), Fail> {
        let ok = [
            Role::AuthenticationPolicyAdministrator,
            Role::GlobalAdministrator,
        ]
        .iter()
        .any(|r| self.has(a, *r));
        if ok { Ok(()) } else { Err(Fail::MissingRole) }
    }

    /// Spec T8, T9, R2 for create (`Some(true)`), delete (`Some(false)`) and read (`None`).
    fn may_act(&self, a: usize, u: usize, create: Option<bool>) -> Result<(), Fail> {
        if a == u {
            return if create == Some(true) {
                Err(Fail::SelfIssue)
            } else {
                Ok(())
            };
        }
        if self.has(a, Role::GlobalAdministrator)
            || self.has(a, Role::PrivilegedAuthenticationAdministrator)
        {
            return Ok(());
        }
        let mut too_privileged = None;
        if self.has(a, Role::AuthenticationAdministrator) {
            match self.users[u]
                .roles
                .iter()
                .find(|r| !AUTH_ADMIN_REACH.contains(r))
            {
                None => return Ok(()),
                Some(r) => too_privileged = Some(*r),
            }
        }
        if create.is_none() && self.has(a, Role::GlobalReader) {
            return Ok(());
        }
        Err(too_privileged.map_or(Fail::MissingRole, Fail::TooPrivileged))
    }

    // -- groups and scope (spec P5) --

    /// Whether `inner` is `outer` or nested in it, walking down from `outer`.
    fn contains_group(&self, outer: usize, inner: usize) -> bool {
        outer == inner
            || self.groups[outer]
                .groups
                .iter()
                .any(|&g| self.contains_group(g, inner))
    }

    fn member(&self, u: usize, g: usize) -> bool {
        self.groups[g].users.contains(&u)
            || (self.transitive && self.groups[g].groups.iter().any(|&h| self.member(u, h)))
    }

    fn covers(&self, u: usize, t: Tgt) -> bool {
        match t {
            Tgt::AllUsers => true,
            Tgt::Group(g) => self.member(u, g),
            Tgt::Missing => false,
        }
    }

    fn scope(&self, u: usize) -> Scope {
        if !self.policy.enabled {
            Scope::PolicyDisabled
        } else if self.policy.exclude.iter().any(|t| self.covers(u, t.id)) {
            Scope::Excluded
        } else if self.policy.include.iter().any(|t| self.covers(u, t.id)) {
            Scope::InScope
        } else {
            Scope::NotIncluded
        }
    }

    /// Spec T10, P7: why the user's pass is or is not usable now.
    fn usability(&self, u: usize, p: &MPass) -> UsabilityReason {
        if self.scope(u) != Scope::InScope || (self.policy.once && !p.once) {
            UsabilityReason::DisabledByPolicy
        } else if p.once && p.used {
            UsabilityReason::OneTimeUsed
        } else if self.now >= p.end() {
            UsabilityReason::Expired
        } else if self.now < p.start {
            UsabilityReason::NotYetValid
        } else {
            UsabilityReason::EnabledByPolicy
        }
    }

    fn locked_until(&self, u: usize) -> Option<DateTime<Utc>> {
        self.locks
            .get(&u)
            .and_then(|l| l.until)
            .filter(|t| self.now < *t)
    }

    /// Spec S5, T12: the sessions of a deleted or replaced pass end now, unless they
    /// outlive it (spec B2).
    fn end_sessions_of(&mut self, serial: usize) {
        if self.switches.session_outlives_pass {
            return;
        }
        let now = self.now;
        for s in &mut self.sessions {
            let from_pass = matches!(s.source, MSource::Pass { serial: x, .. } if x == serial);
            if from_pass && s.active(now) {
                s.ended = Some((now, SessionEndReason::PassDeleted));
            }
        }
    }

    // -- one step --

    fn step(&mut self, op: &Op) -> Result<Expect, Fail> {
        match op {
            Op::AddUser {
                kind,
                role,
                federated,
                enabled,
                password,
            } => {
                let password = password.then(|| self.new_password());
                let upn = format!("user{}@contoso.com", self.users.len());
                self.users.push(MUser {
                    upn,
                    kind: *kind,
                    federated: *federated,
                    enabled: *enabled,
                    roles: role.iter().copied().collect(),
                    password,
                });
                Ok(Expect::Done)
            }
            Op::AddUserDuplicate { .. } => Err(Fail::DuplicateUpn),
            Op::AddUserMalformed => Err(Fail::InvalidUpn),
            Op::AssignRole { user, role } => {
                let u = self.user(*user)?;
                self.users[u].roles.insert(*role);
                Ok(Expect::Done)
            }
            Op::RemoveRole { user, role } => {
                let u = self.user(*user)?;
                self.users[u].roles.remove(role);
                Ok(Expect::Done)
            }
            Op::SetEnabled { user, enabled } => {
                let u = self.user(*user)?;
                self.users[u].enabled = *enabled;
                Ok(Expect::Done)
            }
            Op::SetPassword { user } => {
                let u = self.user(*user)?;
                self.users[u].password = Some(self.new_password());
                Ok(Expect::Done)
            }
            Op::AddGroup => {
                self.groups.push(MGroup::default());
                Ok(Expect::Done)
            }
            Op::AddMember { group, member } => {
                let g = group.ok_or(Fail::GroupNotFound)?;
                match *member {
                    MemberPick::User(u) => {
                        let u = self.user(u)?;
                        Ok(Expect::Bool(self.groups[g].users.insert(u)))
                    }
                    MemberPick::Group(h) => {
                        let h = h.ok_or(Fail::GroupNotFound)?;
                        if self.contains_group(h, g) {
                            return Err(Fail::GroupCycle);
                        }
                        Ok(Expect::Bool(self.groups[g].groups.insert(h)))
                    }
                }
            }
            Op::RemoveMember { group, member } => {
                let g = group.ok_or(Fail::GroupNotFound)?;
                match *member {
                    MemberPick::User(u) => {
                        let u = self.user(u)?;
                        Ok(Expect::Bool(self.groups[g].users.remove(&u)))
                    }
                    MemberPick::Group(h) => {
                        let h = h.ok_or(Fail::GroupNotFound)?;
                        Ok(Expect::Bool(self.groups[g].groups.remove(&h)))
                    }
                }
            }
            Op::UpdatePolicy { actor, patch } => {
                let a = self.actor(*actor)?;
                self.may_write_policy(a)?;
                let merged = self.merged(patch)?;
                // Spec R10: only a change leaves a record.
                if merged != self.policy {
                    self.policy = merged;
                    self.audit(Activity::PolicyUpdate, a, None);
                }
                Ok(Expect::Policy)
            }
            Op::ResetPolicy { actor } => {
                let a = self.actor(*actor)?;
                self.may_write_policy(a)?;
                let defaults = MPolicy::defaults(&self.switches);
                if defaults != self.policy {
                    self.policy = defaults;
                    self.audit(Activity::PolicyReset, a, None);
                }
                Ok(Expect::Policy)
            }
            Op::ReadPolicy { actor } => {
                let a = self.actor(*actor)?;
                self.may_read_policy(a)?;
                Ok(Expect::Policy)
            }
            Op::CreatePass {
                actor,
                user,
                lifetime,
                once,
                start,
            } => self.create_pass(*actor, *user, *lifetime, *once, *start),
            Op::ListPasses { actor, user } => {
                let a = self.actor(*actor)?;
                let u = self.user(*user)?;
                self.may_act(a, u, None)?;
                Ok(Expect::Listed(self.passes.get(&u).map(|p| p.serial)))
            }
            Op::GetPass { actor, user, pass } => {
                let serial = self.resolve_pass(*user, *pass);
                self.last.pass = serial;
                let a = self.actor(*actor)?;
                let u = self.user(*user)?;
                self.may_act(a, u, None)?;
                match self.passes.get(&u) {
                    Some(p) if Some(p.serial) == serial => Ok(Expect::Got(p.serial)),
                    _ => Err(Fail::PassNotFound),
                }
            }
            Op::DeletePass { actor, user, pass } => {
                let serial = self.resolve_pass(*user, *pass);
                self.last.pass = serial;
                let a = self.actor(*actor)?;
                let u = self.user(*user)?;
                self.may_act(a, u, Some(false))?;
                match self.passes.get(&u) {
                    Some(p) if Some(p.serial) == serial => {}
                    _ => return Err(Fail::PassNotFound),
                }
                let old = self.passes.remove(&u).expect("checked");
                self.end_sessions_of(old.serial);
                let activity = if a == u {
                    Activity::UserDeletedPass
                } else {
                    Activity::AdminDeletedPass
                };
                self.audit(activity, a, Some(u));
                Ok(Expect::Done)
            }
            Op::Advance { micros } => {
                self.now += Duration::microseconds(*micros);
                Ok(Expect::Nothing)
            }
            Op::ToPassEdge { user, end, nudge } => {
                if let Some(p) = self.passes.get(user) {
                    let edge = if *end { p.end() } else { p.start };
                    self.set_now(edge + Duration::microseconds(*nudge));
                }
                Ok(Expect::Nothing)
            }
            Op::ToWindowEdge { session, nudge } => {
                let at = self.sessions[*session].signed_in
                    + Duration::minutes(10)
                    + Duration::microseconds(*nudge);
                self.set_now(at);
                Ok(Expect::Nothing)
            }
            Op::ToLockoutEdge { user, nudge } => {
                if let Some(until) = self.locks.get(user).and_then(|l| l.until) {
                    self.set_now(until + Duration::microseconds(*nudge));
                }
                Ok(Expect::Nothing)
            }
            Op::SignInPass { upn, secret } => {
                let chosen = self.resolve_secret(upn.user, *secret);
                self.last.secret = Some(chosen);
                Ok(self.sign_in(upn.user, Cred::Pass(chosen)))
            }
            Op::SignInPassword { upn, correct } => {
                Ok(self.sign_in(upn.user, Cred::Password(*correct)))
            }
            Op::SignInDevice {
                upn,
                device,
                password,
                forged,
            } => Ok(self.sign_in(
                upn.user,
                Cred::Device {
                    method: *device,
                    password: *password,
                    forged: *forged,
                },
            )),
            Op::SignOut { session } => {
                let s = session.ok_or(Fail::SessionNotFound)?;
                let now = self.now;
                let s = &mut self.sessions[s];
                if s.active(now) {
                    s.ended = Some((now, SessionEndReason::SignedOut));
                }
                Ok(Expect::Done)
            }
            Op::RegisterMethod { session, kind } => {
                let i = session.ok_or(Fail::SessionNotFound)?;
                let s = &self.sessions[i];
                if !s.active(self.now) {
                    return Err(Fail::SessionNotValid);
                }
                // Spec R15: a disabled user's sessions register nothing.
                if !self.users[s.user].enabled {
                    return Err(Fail::ActorDisabled);
                }
                if !s.mfa {
                    return Err(Fail::SessionNotMultifactor);
                }
                if !registrable(*kind) {
                    return Err(Fail::NotRegistrable);
                }
                if !self.kind_switched_on(*kind) {
                    return Err(Fail::KindSwitchedOff);
                }
                let one_time = matches!(s.source, MSource::Pass { once: true, .. });
                let ten_minutes_on = self.now >= s.signed_in + Duration::minutes(10);
                if self.switches.mfa_freshness {
                    // Spec B2's S6: every kind, every session; the model has no step-up,
                    // so the last multifactor proof is the sign-in.
                    if ten_minutes_on {
                        return Err(Fail::MfaNotFresh);
                    }
                } else if one_time && TEN_MINUTE_WINDOW.contains(kind) && ten_minutes_on {
                    return Err(Fail::WindowClosed);
                }
                let user = s.user;
                self.methods.push(MMethod {
                    user,
                    kind: *kind,
                    removed: false,
                });
                self.audit(Activity::UserRegisteredMethod, user, Some(user));
                Ok(Expect::Device(self.methods.len() - 1))
            }
            Op::ProvisionMethod { user, kind } => {
                let u = self.user(*user)?;
                if !registrable(*kind) {
                    return Err(Fail::NotRegistrable);
                }
                if !self.kind_switched_on(*kind) {
                    return Err(Fail::KindSwitchedOff);
                }
                self.methods.push(MMethod {
                    user: u,
                    kind: *kind,
                    removed: false,
                });
                Ok(Expect::Device(self.methods.len() - 1))
            }
            Op::RemoveMethod {
                actor,
                user,
                method,
            } => {
                let a = self.actor(*actor)?;
                let u = self.user(*user)?;
                self.may_act(a, u, Some(false))?;
                let m = &mut self.methods[*method];
                if m.user != u || m.removed {
                    return Err(Fail::MethodNotFound);
                }
                m.removed = true;
                let activity = if a == u {
                    Activity::UserDeletedMethod
                } else {
                    Activity::AdminDeletedMethod
                };
                self.audit(activity, a, Some(u));
                Ok(Expect::Done)
            }
            Op::ListMethods { actor, user } => {
                let a = self.actor(*actor)?;
                let u = self.user(*user)?;
                self.may_act(a, u, None)?;
                Ok(Expect::Methods(self.methods_of(u)))
            }
        }
    }

    fn set_now(&mut self, to: DateTime<Utc>) {
        // The manual clock keeps microseconds, from 1970 on.
        self.now = to.max(DateTime::UNIX_EPOCH);
    }

    fn methods_of(&self, u: usize) -> Vec<usize> {
        (0..self.methods.len())
            .filter(|&i| self.methods[i].user == u && !self.methods[i].removed)
            .collect()
    }

    fn resolve_pass(&self, user: Option<usize>, pick: PassPick) -> Option<usize> {
        match pick {
            PassPick::Current => user.and_then(|u| self.passes.get(&u)).map(|p| p.serial),
            PassPick::Issued(s) => Some(s),
            PassPick::Unknown => None,
        }
    }

    fn resolve_secret(&self, user: Option<usize>, pick: SecretPick) -> SecretUse {
        match pick {
            SecretPick::Current => user
                .and_then(|u| {
                    self.passes
                        .get(&u)
                        .map(|p| p.serial)
                        .or_else(|| self.issued.iter().rposition(|&v| v == u))
                })
                .map_or(SecretUse::Wrong, SecretUse::Issued),
            SecretPick::Issued(s) => SecretUse::Issued(s),
            SecretPick::Wrong => SecretUse::Wrong,
        }
    }

    /// Spec P2, P3, R4: the merged policy, validated as a whole.
    fn merged(&self, p: &PatchSpec) -> Result<MPolicy, Fail> {
        if p.odata_ok == Some(false) || p.id_ok == Some(false) {
            return Err(Fail::Body);
        }
        let cur = &self.policy;
        let min = p.min.unwrap_or(i64::from(cur.min));
        let default = p.default.unwrap_or(i64::from(cur.default));
        let max = p.max.unwrap_or(i64::from(cur.max));
        let length = p.length.unwrap_or(i64::from(cur.length));
        for (field, v) in [
            ("minimumLifetimeInMinutes", min),
            ("defaultLifetimeInMinutes", default),
            ("maximumLifetimeInMinutes", max),
        ] {
            if !LIFETIMES.contains(&v) {
                return Err(Fail::OutOfRange(field));
            }
        }
        if !LENGTHS.contains(&length) {
            return Err(Fail::OutOfRange("defaultLength"));
        }
        if !(min <= default && default <= max) {
            return Err(Fail::DefaultOutsideBounds);
        }
        let include = p.include.clone().unwrap_or_else(|| cur.include.clone());
        let exclude = p.exclude.clone().unwrap_or_else(|| cur.exclude.clone());
        let targets = include
            .iter()
            .map(|t| (t.kind, t.id))
            .chain(exclude.iter().map(|t| (t.kind, t.id)));
        for (kind, id) in targets {
            if kind != TargetType::Group {
                return Err(Fail::BadTarget);
            }
            if id == Tgt::Missing {
                return Err(Fail::UnknownTargetGroup);
            }
        }
        let as_u32 = |v: i64| u32::try_from(v).expect("validated");
        Ok(MPolicy {
            enabled: p.state.unwrap_or(cur.enabled),
            default: as_u32(default),
            min: as_u32(min),
            max: as_u32(max),
            length: as_u32(length),
            once: p.once.unwrap_or(cur.once),
            include,
            exclude,
        })
    }

    /// Spec T2 to T9, P8 in the library's documented order.
    fn create_pass(
        &mut self,
        actor: Option<usize>,
        user: Option<usize>,
        lifetime: Option<i64>,
        once: Option<bool>,
        start: Option<i64>,
    ) -> Result<Expect, Fail> {
        let a = self.actor(actor)?;
        let u = self.user(user)?;
        self.may_act(a, u, Some(true))?;
        if self.users[u].kind == UserType::ExternalGuest {
            return Err(Fail::ExternalGuest);
        }
        if self.scope(u) != Scope::InScope && !self.switches.create_for_out_of_scope_users {
            return Err(Fail::OutOfScope);
        }
        let (min, max) = (self.policy.min, self.policy.max);
        let lifetime = match lifetime {
            None => self.policy.default,
            Some(l) if (i64::from(min)..=i64::from(max)).contains(&l) => l as u32,
            Some(_) => return Err(Fail::LifetimeOutOfRange(min, max)),
        };
        let once = once.unwrap_or(self.policy.once);
        if self.policy.once && !once {
            return Err(Fail::MultiUseNotAllowed);
        }
        if self.passes.contains_key(&u) && self.switches.delete_before_create {
            return Err(Fail::PassAlreadyExists);
        }
        if let Some(old) = self.passes.remove(&u) {
            self.end_sessions_of(old.serial);
        }
        let serial = self.issued.len();
        self.issued.push(u);
        self.passes.insert(
            u,
            MPass {
                serial,
                created: self.now,
                start: start.map_or(self.now, |s| self.now + Duration::seconds(s)),
                lifetime,
                once,
                used: false,
                last_used: None,
            },
        );
        self.audit(Activity::AdminRegisteredPass, a, Some(u));
        Ok(Expect::Created(serial))
    }

    /// Spec S1 to S8, R5 to R8.
    fn sign_in(&mut self, user: Option<usize>, cred: Cred) -> Expect {
        self.sign_in_len += 1;
        let Some(u) = user else {
            return Expect::Denied(DenialReason::InvalidCredential);
        };
        let result = self.evaluate(u, cred);
        match result {
            Ok((source, mfa)) => {
                if let Some(l) = self.locks.get_mut(&u) {
                    l.failures = 0;
                }
                // Spec B2, R17: tokens are capped at the pass's end; the session itself
                // ends there only when it does not outlive the pass.
                let token_expires = match source {
                    MSource::Pass { .. } => self.passes.get(&u).map(MPass::end),
                    _ => None,
                };
                let expires = token_expires.filter(|_| !self.switches.session_outlives_pass);
                self.sessions.push(MSession {
                    user: u,
                    signed_in: self.now,
                    source,
                    mfa,
                    expires,
                    token_expires,
                    ended: None,
                });
                Expect::SignedIn(self.sessions.len() - 1)
            }
            Err(reason) => {
                // Spec R6: every failed attempt counts, whatever the credential, except
                // attempts while locked.
                if reason != DenialReason::AccountLocked {
                    let (threshold, base) = (self.lockout.threshold, self.lockout.duration_seconds);
                    let now = self.now;
                    let l = self.locks.entry(u).or_default();
                    l.failures += 1;
                    if l.failures >= threshold {
                        l.failures = 0;
                        l.lockouts += 1;
                        let factor = 2i64.saturating_pow(l.lockouts - 1);
                        l.until = Some(now + Duration::seconds(base.saturating_mul(factor)));
                    }
                }
                Expect::Denied(reason)
            }
        }
    }

    fn evaluate(&mut self, u: usize, cred: Cred) -> Result<(MSource, bool), DenialReason> {
        if self.locked_until(u).is_some() {
            return Err(DenialReason::AccountLocked);
        }
        let user = &self.users[u];
        // Spec R5: the account's state is told only after the credential is proven.
        let enabled = user.enabled;
        let account = || {
            if enabled {
                Ok(())
            } else {
                Err(DenialReason::AccountDisabled)
            }
        };
        // Spec R12: a federated user's password is checked like any other (the simulator
        // stands in for the federation provider).
        let password_ok = |right: bool| right && user.password.is_some();
        match cred {
            Cred::Pass(secret) => {
                // Spec R5: the secret first; a wrong one reveals nothing.
                let Some(pass) = self
                    .passes
                    .get(&u)
                    .filter(|p| secret == SecretUse::Issued(p.serial))
                else {
                    return Err(DenialReason::InvalidCredential);
                };
                account()?;
                match self.usability(u, pass) {
                    UsabilityReason::EnabledByPolicy => {}
                    UsabilityReason::DisabledByPolicy => {
                        return Err(DenialReason::PassDisabledByPolicy);
                    }
                    UsabilityReason::OneTimeUsed => return Err(DenialReason::PassOneTimeUsed),
                    UsabilityReason::Expired => return Err(DenialReason::PassExpired),
                    UsabilityReason::NotYetValid => return Err(DenialReason::PassNotYetValid),
                }
                let now = self.now;
                let pass = self.passes.get_mut(&u).expect("checked");
                pass.last_used = Some(now);
                if pass.once {
                    pass.used = true;
                }
                Ok((
                    MSource::Pass {
                        serial: pass.serial,
                        once: pass.once,
                    },
                    true,
                ))
            }
            Cred::Password(right) => {
                if password_ok(right) {
                    account()?;
                    Ok((MSource::Password, false))
                } else {
                    Err(DenialReason::InvalidCredential)
                }
            }
            Cred::Device {
                method,
                password,
                forged,
            } => {
                let m = &self.methods[method];
                let device_ok = !forged && !m.removed && m.user == u;
                if let Some(right) = password
                    && !password_ok(right)
                {
                    return Err(DenialReason::InvalidCredential);
                }
                if !device_ok {
                    return Err(DenialReason::InvalidCredential);
                }
                account()?;
                if password.is_none() && !SIGNS_IN_ALONE.contains(&m.kind) {
                    return Err(DenialReason::PasswordRequired);
                }
                Ok((MSource::Method { method }, true))
            }
        }
    }
}

fn registrable(kind: MethodKind) -> bool {
    !matches!(kind, MethodKind::Password | MethodKind::TemporaryAccessPass)
}

impl Model {
    /// Spec B2's M5 amended: a passkey in Authenticator exists only with the
    /// `authenticator_passkey` switch on.
    fn kind_switched_on(&self, kind: MethodKind) -> bool {
        kind != MethodKind::AuthenticatorPasskey || self.switches.authenticator_passkey
    }
}

/// A credential as the model sees it.
#[derive(Debug, Clone, Copy)]
enum Cred {
    Pass(SecretUse),
    Password(bool),
    Device {
        method: usize,
        password: Option<bool>,
        forged: bool,
    },
}

// ---- Operations -------------------------------------------------------------------------

/// A group member to add or remove (`None`: an id the tenant does not have).
#[derive(Debug, Clone, Copy)]
pub enum MemberPick {
    User(Option<usize>),
    Group(Option<usize>),
}

/// The pass a get or delete names.
#[derive(Debug, Clone, Copy)]
pub enum PassPick {
    /// The user's current pass (an unknown id if none).
    Current,
    /// Any pass ever issued, by serial: perhaps replaced, deleted, or another user's.
    Issued(usize),
    /// An id nobody has.
    Unknown,
}

/// The secret a pass sign-in presents.
#[derive(Debug, Clone, Copy)]
pub enum SecretPick {
    /// The user's current pass, else their last one, else a wrong value.
    Current,
    /// Any secret ever issued, by serial.
    Issued(usize),
    /// A value no pass has.
    Wrong,
}

/// The name a sign-in types: a user's (`shout`: in upper case), or nobody's.
#[derive(Debug, Clone, Copy)]
pub struct Upn {
    user: Option<usize>,
    shout: bool,
}

/// A policy patch, symbolically (groups by index).
#[derive(Debug, Clone, Default)]
pub struct PatchSpec {
    odata_ok: Option<bool>,
    id_ok: Option<bool>,
    state: Option<bool>,
    default: Option<i64>,
    min: Option<i64>,
    max: Option<i64>,
    length: Option<i64>,
    once: Option<bool>,
    include: Option<Vec<MInclude>>,
    exclude: Option<Vec<MExclude>>,
}

/// One operation. Indexes name users, groups, sessions and methods of the model; `None`
/// names something the tenant does not have.
#[derive(Debug, Clone)]
pub enum Op {
    AddUser {
        kind: UserType,
        role: Option<Role>,
        federated: bool,
        enabled: bool,
        password: bool,
    },
    /// An existing user's name in upper case (spec: unique ignoring case).
    AddUserDuplicate {
        of: usize,
    },
    AddUserMalformed,
    AssignRole {
        user: Option<usize>,
        role: Role,
    },
    RemoveRole {
        user: Option<usize>,
        role: Role,
    },
    SetEnabled {
        user: Option<usize>,
        enabled: bool,
    },
    SetPassword {
        user: Option<usize>,
    },
    AddGroup,
    AddMember {
        group: Option<usize>,
        member: MemberPick,
    },
    RemoveMember {
        group: Option<usize>,
        member: MemberPick,
    },
    UpdatePolicy {
        actor: Option<usize>,
        patch: PatchSpec,
    },
    ResetPolicy {
        actor: Option<usize>,
    },
    ReadPolicy {
        actor: Option<usize>,
    },
    CreatePass {
        actor: Option<usize>,
        user: Option<usize>,
        lifetime: Option<i64>,
        once: Option<bool>,
        /// Seconds from now.
        start: Option<i64>,
    },
    ListPasses {
        actor: Option<usize>,
        user: Option<usize>,
    },
    GetPass {
        actor: Option<usize>,
        user: Option<usize>,
        pass: PassPick,
    },
    DeletePass {
        actor: Option<usize>,
        user: Option<usize>,
        pass: PassPick,
    },
    Advance {
        micros: i64,
    },
    /// To the user's pass's start (or end), plus `nudge` microseconds.
    ToPassEdge {
        user: usize,
        end: bool,
        nudge: i64,
    },
    /// To the end of a session's ten-minute registration window, plus `nudge`.
    ToWindowEdge {
        session: usize,
        nudge: i64,
    },
    /// To the end of the user's lockout, plus `nudge`.
    ToLockoutEdge {
        user: usize,
        nudge: i64,
    },
    SignInPass {
        upn: Upn,
        secret: SecretPick,
    },
    SignInPassword {
        upn: Upn,
        correct: bool,
    },
    SignInDevice {
        upn: Upn,
        device: usize,
        /// With the password first (right or wrong), or alone.
        password: Option<bool>,
        forged: bool,
    },
    SignOut {
        session: Option<usize>,
    },
    RegisterMethod {
        session: Option<usize>,
        kind: MethodKind,
    },
    ProvisionMethod {
        user: Option<usize>,
        kind: MethodKind,
    },
    RemoveMethod {
        actor: Option<usize>,
        user: Option<usize>,
        method: usize,
    },
    ListMethods {
        actor: Option<usize>,
        user: Option<usize>,
    },
}

impl Model {
    /// Whether every index in `op` names something the model has (shrinking may remove
    /// the step that made it).
    fn admits(&self, op: &Op) -> bool {
        let (nu, ng, ns, nm, ni) = (
            self.users.len(),
            self.groups.len(),
            self.sessions.len(),
            self.methods.len(),
            self.issued.len(),
        );
        let u = |x: &Option<usize>| x.is_none_or(|i| i < nu);
        let g = |x: &Option<usize>| x.is_none_or(|i| i < ng);
        let s = |x: &Option<usize>| x.is_none_or(|i| i < ns);
        let member_ok = |m: &MemberPick| match m {
            MemberPick::User(x) => u(x),
            MemberPick::Group(x) => g(x),
        };
        let pass = |p: &PassPick| !matches!(p, PassPick::Issued(i) if *i >= ni);
        let tgt = |t: Tgt| !matches!(t, Tgt::Group(i) if i >= ng);
        match op {
            Op::AddUser { .. } | Op::AddUserMalformed | Op::AddGroup | Op::Advance { .. } => true,
            Op::AddUserDuplicate { of } => *of < nu,
            Op::AssignRole { user, .. }
            | Op::RemoveRole { user, .. }
            | Op::SetEnabled { user, .. }
            | Op::SetPassword { user }
            | Op::ProvisionMethod { user, .. } => u(user),
            Op::AddMember { group, member } | Op::RemoveMember { group, member } => {
                g(group) && member_ok(member)
            }
            Op::UpdatePolicy { actor, patch } => {
                u(actor)
                    && patch.include.iter().flatten().all(|t| tgt(t.id))
                    && patch.exclude.iter().flatten().all(|t| tgt(t.id))
            }
            Op::ResetPolicy { actor } | Op::ReadPolicy { actor } => u(actor),
            Op::CreatePass { actor, user, .. }
            | Op::ListPasses { actor, user }
            | Op::ListMethods { actor, user } => u(actor) && u(user),
            Op::GetPass {
                actor,
                user,
                pass: p,
            }
            | Op::DeletePass {
                actor,
                user,
                pass: p,
            } => u(actor) && u(user) && pass(p),
            Op::ToPassEdge { user, .. } | Op::ToLockoutEdge { user, .. } => *user < nu,
            Op::ToWindowEdge { session, .. } => *session < ns,
            Op::SignInPass { upn, secret } => {
                u(&upn.user) && !matches!(secret, SecretPick::Issued(i) if *i >= ni)
            }
            Op::SignInPassword { upn, .. } => u(&upn.user),
            Op::SignInDevice { upn, device, .. } => u(&upn.user) && *device < nm,
            Op::SignOut { session } | Op::RegisterMethod { session, .. } => s(session),
            Op::RemoveMethod {
                actor,
                user,
                method,
            } => u(actor) && u(user) && *method < nm,
        }
    }

    /// Applies `op` to the model, recording what the tenant must answer.
    pub fn apply_op(mut self, op: &Op) -> Model {
        self.last = Last::default();
        self.last.expect = match self.step(op) {
            Ok(e) => e,
            Err(f) => Expect::Fail(f),
        };
        self
    }
}

// ---- Generation -------------------------------------------------------------------------

fn some_or_none(n: usize) -> BoxedStrategy<Option<usize>> {
    prop_oneof![12 => (0..n).prop_map(Some), 1 => Just(None)].boxed()
}

fn actor(n: usize) -> BoxedStrategy<Option<usize>> {
    prop_oneof![
        8 => ADMINS.prop_map(Some),
        3 => (0..n).prop_map(Some),
        1 => Just(None),
    ]
    .boxed()
}

/// An actor who may usually act on passes: GA, PAA, AA; sometimes anyone.
fn pass_admin(n: usize) -> BoxedStrategy<Option<usize>> {
    prop_oneof![
        7 => prop::sample::select(vec![0, 1, 2]).prop_map(Some),
        3 => actor(n),
    ]
    .boxed()
}

/// A target user: usually one without an admin role.
fn target_user(n: usize) -> BoxedStrategy<Option<usize>> {
    prop_oneof![
        6 => (ADMINS.end..n).prop_map(Some),
        2 => some_or_none(n),
    ]
    .boxed()
}

fn upn(n: usize) -> BoxedStrategy<Upn> {
    (
        prop_oneof![14 => (0..n).prop_map(Some), 1 => Just(None)],
        prop::bool::weighted(0.15),
    )
        .prop_map(|(user, shout)| Upn { user, shout })
        .boxed()
}

fn lifetime_number() -> BoxedStrategy<i64> {
    prop_oneof![
        4 => 10i64..=1_440,
        1 => 10i64..=43_200,
        2 => prop::sample::select(vec![
            10, 60, 480, 1_440, 43_200, // edges of P2
            9, 43_201, 0, -5, i64::MAX, i64::MIN, 1 << 32, // outside
        ]),
    ]
    .boxed()
}

fn length_number() -> BoxedStrategy<i64> {
    prop_oneof![
        4 => 8i64..=48,
        1 => prop::sample::select(vec![7, 49, 0, -1, i64::MAX, 1 << 32]),
    ]
    .boxed()
}

fn target(ng: usize) -> BoxedStrategy<Tgt> {
    let mut options: Vec<(u32, BoxedStrategy<Tgt>)> = vec![
        (3, Just(Tgt::AllUsers).boxed()),
        (1, Just(Tgt::Missing).boxed()),
    ];
    if ng > 0 {
        options.push((8, (0..ng).prop_map(Tgt::Group).boxed()));
    }
    Union::new_weighted(options).boxed()
}

fn target_type() -> BoxedStrategy<TargetType> {
    prop_oneof![
        20 => Just(TargetType::Group),
        1 => Just(TargetType::User),
        1 => Just(TargetType::UnknownFutureValue),
    ]
    .boxed()
}

fn patch(ng: usize) -> BoxedStrategy<PatchSpec> {
    let include = prop::collection::vec(
        (target_type(), target(ng), any::<bool>()).prop_map(|(kind, id, registration)| MInclude {
            kind,
            id,
            registration,
        }),
        0..3,
    );
    let exclude = prop::collection::vec(
        (target_type(), target(ng)).prop_map(|(kind, id)| MExclude { kind, id }),
        0..3,
    );
    let sometimes = |p: f64| prop::bool::weighted(p);
    let numbers = (
        prop::option::weighted(0.25, lifetime_number()),
        prop::option::weighted(0.25, lifetime_number()),
        prop::option::weighted(0.25, lifetime_number()),
        prop::option::weighted(0.2, length_number()),
        // A consistent triple, so that lifetimes actually change.
        prop::option::weighted(
            0.3,
            (10i64..=600, 10i64..=2_000, 10i64..=3_000).prop_map(|(a, b, c)| {
                let mut v = [a, b, c];
                v.sort();
                v
            }),
        ),
    );
    let rest = (
        prop::option::weighted(0.5, sometimes(0.85)),
        prop::option::weighted(0.3, sometimes(0.4)),
        prop::option::weighted(0.2, include),
        prop::option::weighted(0.2, exclude),
        prop::option::weighted(0.03, any::<bool>()),
        prop::option::weighted(0.03, any::<bool>()),
    );
    (numbers, rest)
        .prop_map(
            |((min, default, max, length, triple), (state, once, include, exclude, odata, id))| {
                let (min, default, max) = match triple {
                    Some([a, b, c]) => (Some(a), Some(b), Some(c)),
                    None => (min, default, max),
                };
                PatchSpec {
                    odata_ok: odata,
                    id_ok: id,
                    state,
                    default,
                    min,
                    max,
                    length,
                    once,
                    include,
                    exclude,
                }
            },
        )
        .boxed()
}

fn nudge() -> BoxedStrategy<i64> {
    prop::sample::select(vec![-1_000_000, -1, 0, 0, 1, 1_000_000]).boxed()
}

fn method_kind() -> BoxedStrategy<MethodKind> {
    prop::sample::select(MethodKind::ALL.to_vec()).boxed()
}

fn role() -> BoxedStrategy<Role> {
    prop::sample::select(Role::ALL.to_vec()).boxed()
}

/// The operations that make sense from `m`, weighted toward interesting ones.
pub fn transitions(m: &Model) -> BoxedStrategy<Op> {
    let (nu, ng, ns, nm, ni) = (
        m.users.len(),
        m.groups.len(),
        m.sessions.len(),
        m.methods.len(),
        m.issued.len(),
    );
    let p = &m.policy;
    let (min, max) = (i64::from(p.min), i64::from(p.max));
    let lifetime = prop_oneof![
        4 => Just(None),
        3 => (min..=max).prop_map(Some),
        2 => prop::sample::select(vec![min - 1, min, max, max + 1, 0, -1, i64::MAX, 1 << 32]).prop_map(Some),
    ];
    let start = prop_oneof![
        6 => Just(None),
        1 => (-3 * 86_400i64..3 * 86_400).prop_map(Some),
        1 => prop::sample::select(vec![-60, -1, 0, 1, 60, 3_600]).prop_map(Some),
    ];
    let users_with_pass: Vec<usize> = m.passes.keys().copied().collect();
    let pass_user = if users_with_pass.is_empty() {
        (0..nu).boxed()
    } else {
        prop_oneof![
            4 => prop::sample::select(users_with_pass.clone()),
            1 => 0..nu,
        ]
        .boxed()
    };
    let pass_pick = {
        let mut v: Vec<(u32, BoxedStrategy<PassPick>)> = vec![
            (6, Just(PassPick::Current).boxed()),
            (1, Just(PassPick::Unknown).boxed()),
        ];
        if ni > 0 {
            v.push((2, (0..ni).prop_map(PassPick::Issued).boxed()));
        }
        Union::new_weighted(v)
    };
    let secret_pick = {
        let mut v: Vec<(u32, BoxedStrategy<SecretPick>)> = vec![
            (8, Just(SecretPick::Current).boxed()),
            (2, Just(SecretPick::Wrong).boxed()),
        ];
        if ni > 0 {
            v.push((2, (0..ni).prop_map(SecretPick::Issued).boxed()));
        }
        Union::new_weighted(v)
    };
    let user_type = prop_oneof![
        6 => Just(UserType::Member),
        1 => Just(UserType::InternalGuest),
        1 => Just(UserType::ExternalGuest),
    ];

    let mut ops: Vec<(u32, BoxedStrategy<Op>)> = vec![
        (
            2,
            (
                user_type,
                prop::option::weighted(0.4, role()),
                prop::bool::weighted(0.1),
                prop::bool::weighted(0.9),
                prop::bool::weighted(0.6),
            )
                .prop_map(|(kind, role, federated, enabled, password)| Op::AddUser {
                    kind,
                    role,
                    federated,
                    enabled,
                    password,
                })
                .boxed(),
        ),
        (
            1,
            prop_oneof![
                (0..nu).prop_map(|of| Op::AddUserDuplicate { of }),
                Just(Op::AddUserMalformed)
            ]
            .boxed(),
        ),
        (
            2,
            (some_or_none(nu), role())
                .prop_map(|(user, role)| Op::AssignRole { user, role })
                .boxed(),
        ),
        (
            1,
            (some_or_none(nu), role())
                .prop_map(|(user, role)| Op::RemoveRole { user, role })
                .boxed(),
        ),
        (
            1,
            (some_or_none(nu), prop::bool::weighted(0.6))
                .prop_map(|(user, enabled)| Op::SetEnabled { user, enabled })
                .boxed(),
        ),
        (
            1,
            some_or_none(nu)
                .prop_map(|user| Op::SetPassword { user })
                .boxed(),
        ),
        (2, Just(Op::AddGroup).boxed()),
        (
            8,
            (
                prop_oneof![
                    6 => prop::sample::select(vec![0, POLICY_ADMIN]).prop_map(Some),
                    2 => actor(nu),
                ],
                patch(ng),
            )
                .prop_map(|(actor, patch)| Op::UpdatePolicy { actor, patch })
                .boxed(),
        ),
        (
            1,
            actor(nu)
                .prop_map(|actor| Op::ResetPolicy { actor })
                .boxed(),
        ),
        (
            1,
            actor(nu)
                .prop_map(|actor| Op::ReadPolicy { actor })
                .boxed(),
        ),
        (
            14,
            (pass_admin(nu), target_user(nu), lifetime, prop::option::weighted(0.6, prop::bool::weighted(0.5)), start)
                .prop_map(|(actor, user, lifetime, once, start)| Op::CreatePass {
                    actor,
                    user,
                    lifetime,
                    once,
                    start,
                })
                .boxed(),
        ),
        (
            3,
            (pass_admin(nu), pass_user.clone().prop_map(Some))
                .prop_map(|(actor, user)| Op::ListPasses { actor, user })
                .boxed(),
        ),
        (
            2,
            (pass_admin(nu), pass_user.clone().prop_map(Some), pass_pick.clone())
                .prop_map(|(actor, user, pass)| Op::GetPass { actor, user, pass })
                .boxed(),
        ),
        (
            4,
            (
                prop_oneof![3 => pass_admin(nu), 1 => pass_user.clone().prop_map(Some)],
                pass_user.clone().prop_map(Some),
                pass_pick,
            )
                .prop_map(|(actor, user, pass)| Op::DeletePass { actor, user, pass })
                .boxed(),
        ),
        (
            6,
            prop_oneof![
                4 => prop::sample::select(vec![
                    1,
                    1_000_000,
                    59_000_000,
                    60_000_000,
                    600_000_000,
                    3_660_000_000,
                    8 * 3_600_000_000,
                    86_400_000_000,
                    31 * 86_400_000_000,
                ]),
                1 => 0i64..7_200_000_000,
            ]
            .prop_map(|micros| Op::Advance { micros })
            .boxed(),
        ),
        (
            5,
            (pass_user.clone(), any::<bool>(), nudge())
                .prop_map(|(user, end, nudge)| Op::ToPassEdge { user, end, nudge })
                .boxed(),
        ),
        (
            if m.passes.is_empty() { 2 } else { 16 },
            (
                prop_oneof![6 => pass_user.clone().prop_map(Some), 1 => upn(nu).prop_map(|u| u.user)],
                prop::bool::weighted(0.15),
                secret_pick,
            )
                .prop_map(|(user, shout, secret)| Op::SignInPass {
                    upn: Upn { user, shout },
                    secret,
                })
                .boxed(),
        ),
        (
            4,
            (upn(nu), prop::bool::weighted(0.6))
                .prop_map(|(upn, correct)| Op::SignInPassword { upn, correct })
                .boxed(),
        ),
        (
            2,
            (
                prop_oneof![3 => actor(nu), 1 => (0..nu).prop_map(Some)],
                some_or_none(nu),
            )
                .prop_map(|(actor, user)| Op::ListMethods { actor, user })
                .boxed(),
        ),
        (
            2,
            (some_or_none(nu), method_kind())
                .prop_map(|(user, kind)| Op::ProvisionMethod { user, kind })
                .boxed(),
        ),
    ];
    if ng > 0 {
        let member = prop_oneof![
            3 => some_or_none(nu).prop_map(MemberPick::User),
            2 => some_or_none(ng).prop_map(MemberPick::Group),
        ];
        ops.push((
            6,
            (some_or_none(ng), member.clone())
                .prop_map(|(group, member)| Op::AddMember { group, member })
                .boxed(),
        ));
        ops.push((
            2,
            (some_or_none(ng), member)
                .prop_map(|(group, member)| Op::RemoveMember { group, member })
                .boxed(),
        ));
    }
    if ns > 0 {
        let mfa: Vec<usize> = (0..ns).filter(|&i| m.sessions[i].mfa).collect();
        let mut picks: Vec<(u32, BoxedStrategy<Option<usize>>)> = vec![
            (2, Just(Some(ns - 1)).boxed()),
            (2, (0..ns).prop_map(Some).boxed()),
            (1, Just(None).boxed()),
        ];
        if !mfa.is_empty() {
            let last = mfa[mfa.len() - 1];
            picks.push((6, Just(Some(last)).boxed()));
            picks.push((3, prop::sample::select(mfa).prop_map(Some).boxed()));
        }
        let session = Union::new_weighted(picks);
        ops.push((
            6,
            (session.clone(), method_kind())
                .prop_map(|(session, kind)| Op::RegisterMethod { session, kind })
                .boxed(),
        ));
        ops.push((
            1,
            session.prop_map(|session| Op::SignOut { session }).boxed(),
        ));
        ops.push((
            3,
            (prop_oneof![2 => Just(ns - 1), 1 => 0..ns], nudge())
                .prop_map(|(session, nudge)| Op::ToWindowEdge { session, nudge })
                .boxed(),
        ));
    }
    if nm > 0 {
        let owners: Vec<usize> = m.methods.iter().map(|x| x.user).collect();
        let owners2 = owners.clone();
        ops.push((
            5,
            (
                0..nm,
                upn(nu),
                prop::bool::weighted(0.8),
                prop::option::weighted(0.4, prop::bool::weighted(0.7)),
                prop::bool::weighted(0.1),
            )
                .prop_map(
                    move |(device, other, own, password, forged)| Op::SignInDevice {
                        upn: if own {
                            Upn {
                                user: Some(owners[device]),
                                shout: other.shout,
                            }
                        } else {
                            other
                        },
                        device,
                        password,
                        forged,
                    },
                )
                .boxed(),
        ));
        ops.push((
            3,
            (
                0..nm,
                actor(nu),
                prop::bool::weighted(0.3),
                prop::bool::weighted(0.9),
                some_or_none(nu),
            )
                .prop_map(move |(method, actor, by_owner, owner_target, other)| {
                    let owner = owners2[method];
                    Op::RemoveMethod {
                        actor: if by_owner { Some(owner) } else { actor },
                        user: if owner_target { Some(owner) } else { other },
                        method,
                    }
                })
                .boxed(),
        ));
    }
    if !m.locks.is_empty() {
        let locked: Vec<usize> = m.locks.keys().copied().collect();
        ops.push((
            2,
            (prop::sample::select(locked), nudge())
                .prop_map(|(user, nudge)| Op::ToLockoutEdge { user, nudge })
                .boxed(),
        ));
    }
    Union::new_weighted(ops).boxed()
}

// ---- The tenant beside the model ----------------------------------------------------------

/// How much a step checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checks {
    /// Results only, against the model (for replays).
    None,
    /// Results, logs and the observable state against the model.
    Agreement,
    /// Everything, including the secret scans and the rejected-call snapshot comparison.
    Full,
}

/// The real tenant, the handles the test holds, and every secret it has seen.
pub struct Harness {
    tenant: Tenant,
    clock: ManualClock,
    users: Vec<UserId>,
    groups: Vec<tapsim::GroupId>,
    passwords: Vec<String>,
    pass_ids: Vec<PassId>,
    secrets: Vec<Secret>,
    sessions: Vec<SessionId>,
    devices: Vec<Device>,
    one_time_sign_ins: BTreeMap<usize, u32>,
    /// Every secret seen, in clear, for the scans.
    seen: Vec<String>,
    checks: Checks,
    init: Model,
    ops: Vec<Op>,
}

impl std::fmt::Debug for Harness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Harness")
            .field("tenant", &self.tenant)
            .field("ops", &self.ops.len())
            .finish_non_exhaustive()
    }
}

fn unknown_user() -> UserId {
    "00000000-0000-4000-8000-00000000dead".parse().unwrap()
}
fn unknown_group() -> tapsim::GroupId {
    "00000000-0000-4000-8000-00000000beef".parse().unwrap()
}
fn unknown_pass() -> PassId {
    "00000000-0000-4000-8000-00000000f00d".parse().unwrap()
}
fn unknown_session() -> SessionId {
    "00000000-0000-4000-8000-00000000cafe".parse().unwrap()
}

/// Whether a patch's `@odata.type` and `id`, when present, name the policy.
trait IdentityOk {
    fn check_identity_ok(&self) -> bool;
}

impl IdentityOk for PolicyPatch {
    fn check_identity_ok(&self) -> bool {
        self.odata_type
            .as_deref()
            .is_none_or(|t| t == tapsim::POLICY_ODATA_TYPE)
            && self
                .id
                .as_deref()
                .is_none_or(|i| i.eq_ignore_ascii_case(tapsim::POLICY_ID))
    }
}

const WRONG_PASS: &str = "not+the+pass";
const WRONG_PASSWORD: &str = "not-the-password";

impl Harness {
    pub fn new(m: &Model, checks: Checks) -> Harness {
        let clock = ManualClock::new(t0());
        let mut tenant = Tenant::builder()
            .seed(m.seed)
            .clock(clock.clone())
            .hash_cost(HashCost::Minimum)
            .switches(m.switches)
            .transitive_membership(m.transitive)
            .lockout(m.lockout)
            .build()
            .expect("valid configuration");
        let mut h = Harness {
            tenant: Tenant::builder()
                .hash_cost(HashCost::Minimum)
                .build()
                .expect("empty"),
            clock,
            users: Vec::new(),
            groups: Vec::new(),
            passwords: Vec::new(),
            pass_ids: Vec::new(),
            secrets: Vec::new(),
            sessions: Vec::new(),
            devices: Vec::new(),
            one_time_sign_ins: BTreeMap::new(),
            seen: Vec::new(),
            checks,
            init: m.clone(),
            ops: Vec::new(),
        };
        for (upn, role, kind, federated, password) in CAST {
            let mut new = NewUser::member(upn, upn.split('@').next().unwrap_or(upn))
                .user_type(kind)
                .federated(federated);
            if let Some(r) = role {
                new = new.role(r);
            }
            if password {
                new = new.password(h.next_password());
            }
            h.users.push(tenant.add_user(new).expect("cast"));
        }
        if m.policy.enabled {
            tenant
                .update_policy(
                    h.users[POLICY_ADMIN],
                    &PolicyPatch::new().state(PolicyState::Enabled),
                )
                .expect("enable");
        }
        h.tenant = tenant;
        h
    }

    /// The tenant under test.
    pub fn tenant(&self) -> &Tenant {
        &self.tenant
    }

    fn next_password(&mut self) -> String {
        let pw = format!("Pw-{:03}-{:016x}!", self.passwords.len(), self.init.seed);
        self.passwords.push(pw.clone());
        self.seen.push(pw.clone());
        pw
    }

    fn uid(&self, u: Option<usize>) -> UserId {
        u.map_or_else(unknown_user, |i| self.users[i])
    }

    fn gid(&self, g: Option<usize>) -> tapsim::GroupId {
        g.map_or_else(unknown_group, |i| self.groups[i])
    }

    fn upn_text(&self, m: &Model, upn: Upn) -> String {
        match upn.user {
            None => "nobody@contoso.com".to_owned(),
            Some(i) if upn.shout => m.users[i].upn.to_uppercase(),
            Some(i) => m.users[i].upn.clone(),
        }
    }

    fn target(&self, t: Tgt) -> TargetId {
        match t {
            Tgt::AllUsers => TargetId::AllUsers,
            Tgt::Group(i) => TargetId::Group(self.groups[i]),
            Tgt::Missing => TargetId::Group(unknown_group()),
        }
    }

    fn policy_patch(&self, p: &PatchSpec) -> PolicyPatch {
        let mut patch = PolicyPatch {
            odata_type: p.odata_ok.map(|ok| {
                if ok {
                    tapsim::POLICY_ODATA_TYPE.to_owned()
                } else {
                    "#microsoft.graph.fido2AuthenticationMethodConfiguration".to_owned()
                }
            }),
            id: p
                .id_ok
                .map(|ok| if ok { "temporaryaccesspass" } else { "Fido2" }.to_owned()),
            ..PolicyPatch::new()
        };
        patch.state = p.state.map(|on| {
            if on {
                PolicyState::Enabled
            } else {
                PolicyState::Disabled
            }
        });
        patch.default_lifetime_in_minutes = p.default;
        patch.minimum_lifetime_in_minutes = p.min;
        patch.maximum_lifetime_in_minutes = p.max;
        patch.default_length = p.length;
        patch.is_usable_once = p.once;
        patch.include_targets = p.include.as_ref().map(|ts| {
            ts.iter()
                .map(|t| IncludeTarget {
                    target_type: t.kind,
                    id: self.target(t.id),
                    is_registration_required: t.registration,
                })
                .collect()
        });
        patch.exclude_targets = p.exclude.as_ref().map(|ts| {
            ts.iter()
                .map(|t| ExcludeTarget {
                    target_type: t.kind,
                    id: self.target(t.id),
                })
                .collect()
        });
        patch
    }

    /// The policy the model holds, as the tenant should.
    fn expected_policy(&self, m: &Model) -> TapPolicy {
        let p = &m.policy;
        TapPolicy {
            state: if p.enabled {
                PolicyState::Enabled
            } else {
                PolicyState::Disabled
            },
            default_lifetime_in_minutes: p.default,
            minimum_lifetime_in_minutes: p.min,
            maximum_lifetime_in_minutes: p.max,
            default_length: p.length,
            is_usable_once: p.once,
            include_targets: p
                .include
                .iter()
                .map(|t| IncludeTarget {
                    target_type: t.kind,
                    id: self.target(t.id),
                    is_registration_required: t.registration,
                })
                .collect(),
            exclude_targets: p
                .exclude
                .iter()
                .map(|t| ExcludeTarget {
                    target_type: t.kind,
                    id: self.target(t.id),
                })
                .collect(),
        }
    }

    /// The pass the model holds for `u`, read now, as the tenant should show it.
    fn expected_pass(&self, m: &Model, u: usize) -> Option<TemporaryAccessPass> {
        let p = m.passes.get(&u)?;
        let reason = m.usability(u, p);
        Some(TemporaryAccessPass {
            id: self.pass_ids[p.serial],
            created_date_time: p.created,
            start_date_time: p.start,
            lifetime_in_minutes: p.lifetime,
            is_usable_once: p.once,
            is_usable: reason == UsabilityReason::EnabledByPolicy,
            method_usability_reason: reason,
            last_used_date_time: p.last_used,
        })
    }

    /// Fails the case unless the call's result is what the model expects. Returns the
    /// value of a success the model expected.
    fn settle<T: std::fmt::Debug>(
        &self,
        m: &Model,
        op: &Op,
        before: Option<TenantState>,
        result: Result<T, Error>,
    ) -> Option<T> {
        match (result, &m.last.expect) {
            (Err(e), Expect::Fail(f)) => {
                assert_eq!(classify(&e), *f, "{op:?}: wrong rejection {e:?}");
                assert_eq!(e.code(), f.code(), "{op:?}: wrong Graph code for {e:?}");
                if self.checks == Checks::Full {
                    self.scan(&format!("{e} {e:?}"), "an error");
                    if let Some(before) = before {
                        self.assert_unchanged(op, &before);
                    }
                }
                None
            }
            (Err(e), expect) => {
                panic!("{op:?}: the tenant rejected it ({e:?}); the model expected {expect:?}")
            }
            (Ok(v), Expect::Fail(f)) => {
                panic!("{op:?}: the tenant accepted it ({v:?}); the model expected {f:?}")
            }
            (Ok(v), _) => Some(v),
        }
    }

    /// A rejected call changes nothing (spec P2, R10, and the tenant's contract).
    fn assert_unchanged(&self, op: &Op, before: &TenantState) {
        let after = self.tenant.snapshot();
        if &after != before {
            let (a, b) = (
                serde_json::to_string(before).unwrap(),
                serde_json::to_string(&after).unwrap(),
            );
            let at = a
                .bytes()
                .zip(b.bytes())
                .position(|(x, y)| x != y)
                .unwrap_or(a.len().min(b.len()));
            let from = at.saturating_sub(120);
            panic!(
                "{op:?} was rejected but changed the tenant:\n before: ...{}\n after:  ...{}",
                &a[from..(at + 120).min(a.len())],
                &b[from..(at + 120).min(b.len())]
            );
        }
    }

    /// No secret the test has seen occurs in `text`.
    fn scan(&self, text: &str, what: &str) {
        for s in &self.seen {
            assert!(
                !text.contains(s.as_str()),
                "a secret leaked into {what}: {s:?}"
            );
        }
    }

    fn remember(&mut self, secret: &str) {
        self.seen.push(secret.to_owned());
    }

    /// Performs `op` (which the model `m` has already applied) and checks the result.
    pub fn run(&mut self, m: &Model, op: &Op) {
        let audit_before = self.tenant.audit_log().len();
        let needs_before = self.checks == Checks::Full
            && !matches!(
                op,
                Op::Advance { .. }
                    | Op::ToPassEdge { .. }
                    | Op::ToWindowEdge { .. }
                    | Op::ToLockoutEdge { .. }
                    | Op::SignInPass { .. }
                    | Op::SignInPassword { .. }
                    | Op::SignInDevice { .. }
            );
        let before = needs_before.then(|| self.tenant.snapshot());
        self.execute(m, op, before);
        if self.checks == Checks::None {
            return;
        }
        // Exactly one audit record per successful state change (spec A2, R10).
        let log = self.tenant.audit_log();
        assert_eq!(log.len(), m.audit_len, "{op:?}: audit log length");
        match &m.last.audit {
            Some(a) => {
                assert_eq!(log.len(), audit_before + 1, "{op:?}: one audit record");
                self.check_audit(m, op, a, &log[log.len() - 1]);
            }
            None => assert_eq!(log.len(), audit_before, "{op:?}: no audit record"),
        }
        assert_eq!(
            self.tenant.sign_in_log().len(),
            m.sign_in_len,
            "{op:?}: sign-in log length"
        );
    }

    fn check_audit(&self, m: &Model, op: &Op, a: &MAudit, r: &AuditRecord) {
        assert_eq!(r.activity(), Some(a.activity), "{op:?}: audit activity");
        assert_eq!(r.result, "success");
        assert_eq!(
            r.initiated_by.user.id,
            self.users[a.actor].guid(),
            "{op:?}: audit initiator"
        );
        match a.user {
            Some(u) => {
                let uid = self.users[u].to_string();
                assert_eq!(r.target_user(), Some(uid.as_str()), "{op:?}: audit target");
                assert_eq!(r.category, "UserManagement");
            }
            None => {
                assert_eq!(r.target_resources[0].kind, "Policy", "{op:?}: audit target");
                assert_eq!(r.category, "Policy");
            }
        }
        if a.activity == Activity::AdminRegisteredPass {
            let Expect::Created(serial) = m.last.expect else {
                panic!("{op:?}: a pass audit without a pass");
            };
            let p = &m.passes[&a.user.expect("a user")];
            let id = self.pass_ids[serial].to_string();
            assert_eq!(r.new_value("TemporaryAccessPassId"), Some(id.as_str()));
            let usage = if p.once { "Single" } else { "Multiple" };
            assert_eq!(r.new_value("Usage"), Some(usage), "{op:?}: usage");
        }
    }

    fn execute(&mut self, m: &Model, op: &Op, before: Option<TenantState>) {
        match op {
            Op::AddUser {
                kind,
                role,
                federated,
                enabled,
                password,
            } => {
                let upn = format!("user{}@contoso.com", self.users.len());
                let mut new = NewUser::member(upn.as_str(), upn.as_str())
                    .user_type(*kind)
                    .federated(*federated)
                    .account_enabled(*enabled);
                if let Some(r) = role {
                    new = new.role(*r);
                }
                if *password {
                    new = new.password(self.next_password());
                }
                let r = self.tenant.add_user(new);
                if let Some(id) = self.settle(m, op, before, r) {
                    self.users.push(id);
                }
            }
            Op::AddUserDuplicate { of } => {
                let r = self
                    .tenant
                    .add_user(NewUser::member(m.users[*of].upn.to_uppercase(), "dup"));
                self.settle(m, op, before, r);
            }
            Op::AddUserMalformed => {
                let r = self.tenant.add_user(NewUser::member("no-at-sign", "bad"));
                self.settle(m, op, before, r);
            }
            Op::AssignRole { user, role } => {
                let r = self.tenant.assign_role(self.uid(*user), *role);
                self.settle(m, op, before, r);
            }
            Op::RemoveRole { user, role } => {
                let r = self.tenant.remove_role(self.uid(*user), *role);
                self.settle(m, op, before, r);
            }
            Op::SetEnabled { user, enabled } => {
                let r = self.tenant.set_account_enabled(self.uid(*user), *enabled);
                self.settle(m, op, before, r);
            }
            Op::SetPassword { user } => {
                let pw = self.next_password();
                let r = self.tenant.set_password(self.uid(*user), pw.as_str());
                if self.settle(m, op, before, r).is_none() {
                    self.passwords.pop();
                }
            }
            Op::AddGroup => {
                let g = self.tenant.add_group(format!("group{}", self.groups.len()));
                self.groups.push(g);
            }
            Op::AddMember { group, member } | Op::RemoveMember { group, member } => {
                let g = self.gid(*group);
                let member = match *member {
                    MemberPick::User(u) => Member::User(self.uid(u)),
                    MemberPick::Group(h) => Member::Group(self.gid(h)),
                };
                let r = if matches!(op, Op::AddMember { .. }) {
                    self.tenant.add_member(g, member)
                } else {
                    self.tenant.remove_member(g, member)
                };
                if let Some(added) = self.settle(m, op, before, r) {
                    assert_eq!(Expect::Bool(added), m.last.expect, "{op:?}");
                }
            }
            Op::UpdatePolicy { actor, patch } => {
                let patch = self.policy_patch(patch);
                if self.checks == Checks::Full && patch.check_identity_ok() {
                    // Spec G1, R3: the patch reads back from its Graph JSON.
                    let json = serde_json::to_string(&patch).unwrap();
                    assert_eq!(PolicyPatch::from_graph_json(&json).as_ref(), Ok(&patch));
                }
                let r = self.tenant.update_policy(self.uid(*actor), &patch);
                if let Some(p) = self.settle(m, op, before, r) {
                    assert_eq!(p, self.expected_policy(m), "{op:?}: policy returned");
                }
            }
            Op::ResetPolicy { actor } => {
                let r = self.tenant.reset_policy(self.uid(*actor));
                if let Some(p) = self.settle(m, op, before, r) {
                    assert_eq!(p, self.expected_policy(m), "{op:?}: policy returned");
                }
            }
            Op::ReadPolicy { actor } => {
                let r = self.tenant.policy(self.uid(*actor)).cloned();
                if let Some(p) = self.settle(m, op, before, r) {
                    assert_eq!(p, self.expected_policy(m), "{op:?}: policy read");
                }
            }
            Op::CreatePass {
                actor,
                user,
                lifetime,
                once,
                start,
            } => {
                let mut options = PassOptions::new();
                if let Some(l) = lifetime {
                    options = options.lifetime_in_minutes(*l);
                }
                if let Some(o) = once {
                    options = options.usable_once(*o);
                }
                if let Some(s) = start {
                    options = options.start(self.clock_now() + Duration::seconds(*s));
                }
                if self.checks == Checks::Full {
                    // Spec T2: the body reads back from its Graph JSON.
                    let json = serde_json::to_string(&options).unwrap();
                    assert_eq!(PassOptions::from_graph_json(&json).as_ref(), Ok(&options));
                }
                let r = self
                    .tenant
                    .create_pass(self.uid(*actor), self.uid(*user), options);
                if let Some(issued) = self.settle(m, op, before, r) {
                    let Expect::Created(serial) = m.last.expect else {
                        unreachable!()
                    };
                    assert_eq!(serial, self.pass_ids.len());
                    let secret = issued.secret.danger_reveal().to_owned();
                    assert_eq!(secret.len(), m.policy.length as usize, "spec T4: length");
                    self.pass_ids.push(issued.pass.id);
                    if self.checks == Checks::Full {
                        // Positive control: the scanner finds a secret where one is.
                        let json = issued.danger_graph_json().to_string();
                        assert!(json.contains(&secret), "the scan would find nothing");
                        self.scan(&format!("{issued:?}"), "IssuedPass's Debug");
                        self.scan(
                            &serde_json::to_string(&issued.pass).unwrap(),
                            "the pass JSON",
                        );
                    }
                    self.remember(&secret);
                    self.secrets.push(issued.secret.clone());
                    let u = user.expect("a user");
                    assert_eq!(Some(issued.pass), self.expected_pass(m, u), "{op:?}: pass");
                }
            }
            Op::ListPasses { actor, user } => {
                let r = self.tenant.list_passes(self.uid(*actor), self.uid(*user));
                if let Some(list) = self.settle(m, op, before, r) {
                    assert!(list.len() <= 1, "spec T12: at most one pass");
                    let u = user.expect("a user");
                    assert_eq!(list.first().cloned(), self.expected_pass(m, u), "{op:?}");
                    if self.checks == Checks::Full {
                        let json = serde_json::to_string(&list).unwrap();
                        self.scan(&json, "the pass list JSON");
                    }
                }
            }
            Op::GetPass { actor, user, .. } => {
                let id = m.last.pass.map_or_else(unknown_pass, |s| self.pass_ids[s]);
                let r = self.tenant.get_pass(self.uid(*actor), self.uid(*user), id);
                if let Some(p) = self.settle(m, op, before, r) {
                    let u = user.expect("a user");
                    assert_eq!(Some(p), self.expected_pass(m, u), "{op:?}");
                }
            }
            Op::DeletePass { actor, user, .. } => {
                let id = m.last.pass.map_or_else(unknown_pass, |s| self.pass_ids[s]);
                let r = self
                    .tenant
                    .delete_pass(self.uid(*actor), self.uid(*user), id);
                self.settle(m, op, before, r);
            }
            Op::Advance { .. }
            | Op::ToPassEdge { .. }
            | Op::ToWindowEdge { .. }
            | Op::ToLockoutEdge { .. } => self.clock.set(m.now),
            Op::SignInPass { upn, .. } => {
                let text = self.upn_text(m, *upn);
                let secret = match m.last.secret.expect("resolved") {
                    SecretUse::Issued(s) => self.secrets[s].danger_reveal().to_owned(),
                    SecretUse::Wrong => WRONG_PASS.to_owned(),
                };
                let outcome = self.tenant.sign_in(&text, Credential::Pass(&secret));
                self.check_sign_in(
                    m,
                    op,
                    upn.user,
                    &outcome,
                    &[MethodKind::TemporaryAccessPass],
                );
            }
            Op::SignInPassword { upn, correct } => {
                let text = self.upn_text(m, *upn);
                let pw = match upn.user.and_then(|u| m.users[u].password) {
                    Some(serial) if *correct => self.passwords[serial].clone(),
                    _ => WRONG_PASSWORD.to_owned(),
                };
                let outcome = self.tenant.sign_in(&text, Credential::Password(&pw));
                self.check_sign_in(m, op, upn.user, &outcome, &[MethodKind::Password]);
            }
            Op::SignInDevice {
                upn,
                device,
                password,
                forged,
            } => {
                let text = self.upn_text(m, *upn);
                let d = &self.devices[*device];
                let forgery = forged.then(|| {
                    Device::danger_forge(d.user(), d.method(), d.kind(), "forged-device-secret")
                });
                let d = forgery.as_ref().unwrap_or(d);
                let pw = match (password, upn.user.and_then(|u| m.users[u].password)) {
                    (Some(true), Some(serial)) => self.passwords[serial].clone(),
                    _ => WRONG_PASSWORD.to_owned(),
                };
                let (credential, kinds) = match password {
                    None => (Credential::Device(d), vec![d.kind()]),
                    Some(_) => (
                        Credential::PasswordAndDevice(&pw, d),
                        vec![MethodKind::Password, d.kind()],
                    ),
                };
                let outcome = self.tenant.sign_in(&text, credential);
                self.check_sign_in(m, op, upn.user, &outcome, &kinds);
            }
            Op::SignOut { session } => {
                let id = session.map_or_else(unknown_session, |s| self.sessions[s]);
                let r = self.tenant.sign_out(id);
                self.settle(m, op, before, r);
            }
            Op::RegisterMethod { session, kind } => {
                let id = session.map_or_else(unknown_session, |s| self.sessions[s]);
                let r = self.tenant.register_method(
                    id,
                    *kind,
                    format!("{kind:?} {}", self.devices.len()),
                );
                if let Some(device) = self.settle(m, op, before, r) {
                    self.new_device(m, op, device);
                }
            }
            Op::ProvisionMethod { user, kind } => {
                let r = self
                    .tenant
                    .provision_method(self.uid(*user), *kind, "provisioned");
                if let Some(device) = self.settle(m, op, before, r) {
                    self.new_device(m, op, device);
                }
            }
            Op::RemoveMethod {
                actor,
                user,
                method,
            } => {
                let id = self.devices[*method].method();
                let r = self
                    .tenant
                    .remove_method(self.uid(*actor), self.uid(*user), id);
                self.settle(m, op, before, r);
            }
            Op::ListMethods { actor, user } => {
                let r = self.tenant.list_methods(self.uid(*actor), self.uid(*user));
                if let Some(list) = self.settle(m, op, before, r) {
                    let Expect::Methods(expected) = &m.last.expect else {
                        unreachable!()
                    };
                    let got: Vec<MethodId> = list.iter().map(|v| v.id).collect();
                    let want: Vec<MethodId> =
                        expected.iter().map(|&i| self.devices[i].method()).collect();
                    assert_eq!(got, want, "{op:?}: methods listed");
                    if self.checks == Checks::Full {
                        let json = serde_json::to_string(&list).unwrap();
                        self.scan(&json, "the method list JSON");
                    }
                }
            }
        }
    }

    fn clock_now(&self) -> DateTime<Utc> {
        use tapsim::Clock;
        self.clock.now()
    }

    fn new_device(&mut self, m: &Model, op: &Op, device: Device) {
        let Expect::Device(i) = m.last.expect else {
            unreachable!()
        };
        assert_eq!(i, self.devices.len(), "{op:?}");
        assert_eq!(device.kind(), m.methods[i].kind);
        assert_eq!(device.user(), self.users[m.methods[i].user]);
        if self.checks == Checks::Full {
            self.scan(&format!("{device:?}"), "a Device's Debug");
        }
        self.remember(device.danger_secret().danger_reveal());
        self.devices.push(device);
    }

    fn check_sign_in(
        &mut self,
        m: &Model,
        op: &Op,
        user: Option<usize>,
        outcome: &SignInOutcome,
        kinds: &[MethodKind],
    ) {
        if self.checks == Checks::Full {
            self.scan(&format!("{outcome:?}"), "a sign-in outcome");
        }
        match (&m.last.expect, outcome.session()) {
            (Expect::SignedIn(i), Some(s)) => {
                let ms = &m.sessions[*i];
                assert_eq!(*i, self.sessions.len(), "{op:?}");
                assert_eq!(s.user(), self.users[ms.user], "{op:?}: session user");
                assert_eq!(s.satisfies_mfa(), ms.mfa, "{op:?}: MFA");
                assert_eq!(s.expires(), ms.expires, "{op:?}: session end");
                assert_eq!(s.token_expires(), ms.token_expires, "{op:?}: token expiry");
                assert_eq!(s.signed_in(), ms.signed_in, "{op:?}: sign-in time");
                assert_eq!(s.methods(), kinds, "{op:?}: methods");
                let source = match ms.source {
                    MSource::Pass { serial, once } => SessionSource::Pass {
                        pass: self.pass_ids[serial],
                        one_time: once,
                    },
                    MSource::Password => SessionSource::Password,
                    MSource::Method { method } => SessionSource::Method {
                        method: self.devices[method].method(),
                        kind: m.methods[method].kind,
                    },
                };
                assert_eq!(s.source(), &source, "{op:?}: session source");
                if let MSource::Pass { serial, once: true } = ms.source {
                    let n = self.one_time_sign_ins.entry(serial).or_default();
                    *n += 1;
                    assert_eq!(*n, 1, "spec S3: a one-time pass signed in twice");
                }
                self.sessions.push(s.id());
            }
            (Expect::Denied(reason), None) => {
                assert_eq!(outcome.denial(), Some(*reason), "{op:?}: denial");
            }
            (expect, _) => panic!(
                "{op:?}: the tenant decided {:?}; the model expected {expect:?}",
                outcome.decision
            ),
        }
        if self.checks == Checks::None {
            return;
        }
        // Spec S9: one record per attempt, saying what happened.
        let record = self.tenant.sign_in_log().last().expect("a record");
        assert_eq!(record.id, outcome.log_record);
        assert_eq!(record.succeeded(), outcome.is_allowed(), "{op:?}");
        let expected_user = user.map_or(tapsim::Guid::NIL, |u| self.users[u].guid());
        assert_eq!(record.user_id, expected_user, "{op:?}: logged user");
        assert_eq!(
            record.status.failure_reason.as_deref(),
            outcome.denial().map(|d| d.message()),
            "{op:?}"
        );
        let mfa = outcome.session().is_some_and(|s| s.satisfies_mfa());
        let requirement = if mfa {
            "multiFactorAuthentication"
        } else {
            "singleFactorAuthentication"
        };
        assert_eq!(record.authentication_requirement, requirement, "{op:?}");
        let logged: Vec<&str> = record
            .authentication_details
            .iter()
            .map(|d| d.authentication_method.as_str())
            .collect();
        let want: Vec<&str> = kinds.iter().map(|k| k.display_name()).collect();
        assert_eq!(logged, want, "{op:?}: authenticationDetails");
    }

    /// The invariants that hold after every step.
    pub fn check_invariants(&self, m: &Model) {
        if self.checks == Checks::None {
            return;
        }
        let t = &self.tenant;
        assert_eq!(self.clock_now(), m.now, "the clock");
        assert_eq!(t.current_policy(), &self.expected_policy(m), "the policy");
        for (i, &id) in self.users.iter().enumerate() {
            assert_eq!(t.scope_of(id), m.scope(i), "scope of user {i}");
            assert_eq!(
                t.pass_view(id),
                self.expected_pass(m, i),
                "pass of user {i}"
            );
            if let Some(r) = t.pass_record(id) {
                assert!(r.hash().as_str().starts_with("$argon2id$"), "only a hash");
                assert_eq!(r.is_used(), m.passes[&i].used, "used flag of user {i}");
            }
            assert_eq!(t.locked_until(id), m.locked_until(i), "lockout of user {i}");
            let methods: Vec<MethodId> = t.methods_of(id).iter().map(|r| r.id()).collect();
            let want: Vec<MethodId> = m
                .methods_of(i)
                .into_iter()
                .map(|j| self.devices[j].method())
                .collect();
            assert_eq!(methods, want, "methods of user {i}");
        }
        for (j, &id) in self.sessions.iter().enumerate() {
            let status = t.session_status(id).expect("a known session");
            assert_eq!(status, m.sessions[j].status(m.now), "status of session {j}");
        }
        for (serial, n) in &self.one_time_sign_ins {
            assert!(*n <= 1, "one-time pass {serial} signed in {n} times");
        }
        if self.checks == Checks::Full {
            self.scan_state();
        }
    }

    /// No secret in any state, log or JSON (spec T4, A1, design "Secrets").
    fn scan_state(&self) {
        let t = &self.tenant;
        let snapshot = t.snapshot();
        let json = serde_json::to_string(&snapshot).unwrap();
        self.scan(&json, "the snapshot JSON");
        self.scan(&format!("{snapshot:?} {t:?}"), "the tenant's Debug");
        self.scan(
            &serde_json::to_string(t.audit_log()).unwrap(),
            "the audit log",
        );
        self.scan(
            &serde_json::to_string(t.sign_in_log()).unwrap(),
            "the sign-in log",
        );
    }

    /// End-of-case properties: the snapshot round-trips, and the same seed and calls give
    /// the same state.
    pub fn finish(self, m: &Model) {
        if self.checks == Checks::None {
            return;
        }
        let snapshot = self.tenant.snapshot();
        let json = serde_json::to_string(&snapshot).unwrap();
        let back: TenantState = serde_json::from_str(&json).expect("the snapshot parses");
        assert_eq!(back, snapshot, "the snapshot round-trips through JSON");
        let restored = Tenant::from_snapshot(back, Arc::new(self.clock.clone())).unwrap();
        assert_eq!(restored.snapshot(), snapshot, "from_snapshot restores it");
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        // One slot per user, `null` where the user has no pass.
        let slots = value["passes"].as_array().expect("a pass slot per user");
        assert_eq!(
            slots.len(),
            value["directory"]["users"].as_array().map_or(0, Vec::len)
        );
        let passes = slots.iter().filter(|p| !p.is_null()).count();
        assert_eq!(passes, m.passes.len(), "one pass per user, no other");

        // Same seed, same calls: the same state, byte for byte.
        let mut replay = Harness::new(&self.init, Checks::None);
        let mut model = self.init.clone();
        for op in &self.ops {
            model = model.apply_op(op);
            replay.run(&model, op);
        }
        let again = serde_json::to_string(&replay.tenant.snapshot()).unwrap();
        assert!(again == json, "a replay of the same calls diverged");
    }
}

// ---- proptest-state-machine glue ----------------------------------------------------------

/// A set of switches to run the model under.
pub trait Rules: 'static {
    fn switches() -> Switches;
}

/// `Switches::current()`.
pub struct CurrentRules;
/// `Switches::preview_2021()`.
pub struct Preview2021Rules;
/// `Switches::current()` with only `delete_before_create`.
pub struct DeleteFirstRules;
/// `Switches::current()` with only `create_for_out_of_scope_users`.
pub struct OutOfScopeRules;

impl Rules for CurrentRules {
    fn switches() -> Switches {
        Switches::current()
    }
}
impl Rules for Preview2021Rules {
    fn switches() -> Switches {
        Switches::preview_2021()
    }
}
impl Rules for DeleteFirstRules {
    fn switches() -> Switches {
        Switches::current().delete_before_create(true)
    }
}
impl Rules for OutOfScopeRules {
    fn switches() -> Switches {
        Switches::current().create_for_out_of_scope_users(true)
    }
}

/// The state machine under rules `R`.
pub struct Machine<R>(PhantomData<R>);

impl<R: Rules> ReferenceStateMachine for Machine<R> {
    type State = Model;
    type Transition = Op;

    fn init_state() -> BoxedStrategy<Model> {
        start_strategy()
            .prop_map(|start| Model::new(R::switches(), start))
            .boxed()
    }

    fn transitions(state: &Model) -> BoxedStrategy<Op> {
        transitions(state)
    }

    fn apply(state: Model, op: &Op) -> Model {
        state.apply_op(op)
    }

    fn preconditions(state: &Model, op: &Op) -> bool {
        state.admits(op)
    }
}

impl<R: Rules> StateMachineTest for Machine<R> {
    type SystemUnderTest = Harness;
    type Reference = Self;

    fn init_test(m: &Model) -> Harness {
        Harness::new(m, Checks::Full)
    }

    fn apply(mut h: Harness, m: &Model, op: Op) -> Harness {
        h.run(m, &op);
        h.ops.push(op);
        h
    }

    fn check_invariants(h: &Harness, m: &Model) {
        h.check_invariants(m);
    }

    fn teardown(h: Harness, m: Model) {
        h.finish(&m);
    }
}

/// Generates `cases` sequences of up to `steps` operations under `R`, deterministically.
pub fn sample_sequences<R: Rules>(cases: usize, steps: usize) -> Vec<(Model, Vec<Op>)> {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = Machine::<R>::sequential_strategy(steps..=steps);
    (0..cases)
        .map(|_| {
            let (init, ops, _) = strategy
                .new_tree(&mut runner)
                .expect("a sequence")
                .current();
            (init, ops)
        })
        .collect()
}

/// Applies `ops` to the model and a tenant with the given checks; returns the number of
/// operations applied.
pub fn run_sequence(init: &Model, ops: &[Op], checks: Checks) -> usize {
    let mut h = Harness::new(init, checks);
    let mut m = init.clone();
    for op in ops {
        m = m.apply_op(op);
        h.run(&m, op);
        h.check_invariants(&m);
    }
    ops.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest_state_machine::prop_state_machine;

    prop_state_machine! {
        #![proptest_config(config())]

        /// The `Current` rules.
        #[test]
        fn model_current(sequential 1..=max_steps() => Machine<CurrentRules>);

        /// The `Preview2021` rules.
        #[test]
        fn model_preview_2021(sequential 1..=max_steps() => Machine<Preview2021Rules>);

        /// `Current` with delete-before-create alone (spec T5 [old]).
        #[test]
        fn model_delete_before_create(sequential 1..=max_steps() => Machine<DeleteFirstRules>);

        /// `Current` with out-of-scope creation alone (spec T6 [old]).
        #[test]
        fn model_create_for_out_of_scope(sequential 1..=max_steps() => Machine<OutOfScopeRules>);
    }

    /// The generator reaches the states that matter: passes created and used, one-time
    /// passes consumed, methods registered, lockouts, rejected calls of each kind.
    #[test]
    fn model_generation_reaches_interesting_states() {
        let mut created = 0;
        let mut signed_in_with_pass = 0;
        let mut registered = 0;
        let mut locked = 0;
        let mut fails = BTreeSet::new();
        for (init, ops) in sample_sequences::<CurrentRules>(24, 48) {
            let mut m = init;
            for op in &ops {
                m = m.apply_op(op);
                match &m.last.expect {
                    Expect::Created(_) => created += 1,
                    Expect::SignedIn(i)
                        if matches!(m.sessions[*i].source, MSource::Pass { .. }) =>
                    {
                        signed_in_with_pass += 1
                    }
                    Expect::Device(_) => registered += 1,
                    Expect::Denied(DenialReason::AccountLocked) => locked += 1,
                    Expect::Fail(f) => {
                        fails.insert(format!("{f:?}"));
                    }
                    _ => {}
                }
            }
        }
        assert!(created > 20, "passes created: {created}");
        assert!(
            signed_in_with_pass > 10,
            "pass sign-ins: {signed_in_with_pass}"
        );
        assert!(registered > 5, "methods registered: {registered}");
        assert!(locked > 0, "lockouts: {locked}");
        assert!(fails.len() > 12, "kinds of rejection: {fails:?}");
    }
}

/// The strategies `tapsim::testing` exports (feature `proptest`) do what they say.
#[cfg(all(test, feature = "proptest"))]
mod exported_strategies {
    use super::*;
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    use tapsim::testing::{self, Applied, TargetSpec};

    fn draw<S: Strategy>(s: S, runner: &mut TestRunner) -> S::Value {
        s.new_tree(runner).expect("a value").current()
    }

    /// Valid patches are accepted whatever the (valid) policy they are merged into.
    #[test]
    fn testing_valid_patches_are_accepted() {
        let mut runner = TestRunner::deterministic();
        for _ in 0..cases() {
            let mut sim = draw(testing::tenant_spec(), &mut runner).build();
            let groups = sim.groups().to_vec();
            for _ in 0..6 {
                let patch = draw(testing::valid_policy_patch(groups.clone()), &mut runner);
                if let Err(e) = sim.tenant.update_policy(sim.admin, &patch) {
                    panic!("{patch:?} was rejected: {e}");
                }
                let current = sim.tenant.current_policy().clone();
                let patch = draw(
                    testing::valid_policy_patch_for(&current, groups.clone()),
                    &mut runner,
                );
                if let Err(e) = sim.tenant.update_policy(sim.admin, &patch) {
                    panic!("{patch:?} was rejected against {current:?}: {e}");
                }
                let policy = draw(testing::valid_policy(groups.clone()), &mut runner);
                assert_eq!(
                    policy.validate(sim.tenant.directory()),
                    Ok(()),
                    "{policy:?}"
                );
            }
        }
    }

    /// Invalid patches are rejected for the rule they break, and change nothing.
    #[test]
    fn testing_invalid_patches_are_rejected_for_their_reason() {
        let mut runner = TestRunner::deterministic();
        let mut seen = BTreeSet::new();
        for _ in 0..cases() {
            let mut sim = draw(testing::tenant_spec(), &mut runner).build();
            let groups = sim.groups().to_vec();
            for _ in 0..6 {
                let bad = draw(testing::invalid_policy_patch(groups.clone()), &mut runner);
                let before = sim.tenant.snapshot();
                let err = sim
                    .tenant
                    .update_policy(sim.admin, &bad.patch)
                    .expect_err("an invalid patch");
                assert_eq!(err.code(), bad.violation.code(), "{bad:?}: {err}");
                if let Some(field) = bad.violation.field() {
                    assert!(err.to_string().contains(field), "{bad:?}: {err}");
                }
                assert!(
                    sim.tenant.snapshot() == before,
                    "{bad:?} changed the tenant"
                );
                seen.insert(
                    format!("{:?}", bad.violation)
                        .split('(')
                        .next()
                        .unwrap_or_default()
                        .to_owned(),
                );
            }
        }
        assert!(seen.len() >= 7, "violations drawn: {seen:?}");
    }

    /// A built tenant has the spec's users and groups, and each user's scope is what
    /// the spec's policy, groups and nesting say (spec P5).
    #[test]
    fn testing_tenants_build_as_specified() {
        let mut runner = TestRunner::deterministic();
        for _ in 0..cases() {
            let spec = draw(testing::tenant_spec(), &mut runner);
            let sim = spec.build();
            let d = &spec.directory;
            assert_eq!(sim.users().len(), d.users.len());
            assert_eq!(sim.groups().len(), d.groups.len());
            // A group's ancestors, walking up the forest.
            let ancestors = |mut g: usize| {
                let mut v = vec![g];
                while let Some(p) = d.groups[g].parent {
                    v.push(p);
                    g = p;
                }
                v
            };
            let in_group = |u: usize, g: usize| {
                d.users[u].groups.iter().any(|&own| {
                    own == g || (spec.transitive_membership && ancestors(own).contains(&g))
                })
            };
            let covers = |u: usize, t: &TargetSpec| match t {
                TargetSpec::AllUsers => true,
                TargetSpec::Group(g) => in_group(u, *g),
            };
            for (u, &id) in sim.users().iter().enumerate() {
                let p = &spec.policy;
                let want = if !p.enabled {
                    Scope::PolicyDisabled
                } else if p.exclude.iter().any(|t| covers(u, t)) {
                    Scope::Excluded
                } else if p.include.iter().any(|t| covers(u, t)) {
                    Scope::InScope
                } else {
                    Scope::NotIncluded
                };
                assert_eq!(sim.tenant.scope_of(id), want, "user {u} of {spec:#?}");
            }
        }
    }

    proptest! {
        #![proptest_config(Config { cases: cases(), ..Config::default() })]

        /// Any sequence of operations, on any tenant: no panic, at most one pass per
        /// user, no secret in the state, rejected calls change nothing, audited calls
        /// leave exactly one record (none for a policy update that changes nothing),
        /// every sign-in one sign-in record.
        #[test]
        fn testing_operation_sequences_keep_the_invariants(
            spec in testing::tenant_spec(),
            ops in testing::ops(0..60),
        ) {
            let mut sim = spec.build();
            for op in &ops {
                let before = sim.tenant.snapshot();
                let (audit, sign_ins) = (sim.tenant.audit_log().len(), sim.tenant.sign_in_log().len());
                let applied = sim.apply(op);
                let (audit_now, sign_ins_now) = (sim.tenant.audit_log().len(), sim.tenant.sign_in_log().len());
                match &applied {
                    Applied::Rejected(_) => prop_assert!(sim.tenant.snapshot() == before, "{:?}", op),
                    Applied::Done { audited: true } => match op {
                        testing::Op::UpdatePolicy { .. } | testing::Op::ResetPolicy { .. } => {
                            prop_assert!(audit_now - audit <= 1)
                        }
                        _ => prop_assert_eq!(audit_now, audit + 1, "{:?}", op),
                    },
                    Applied::SignedIn(_) | Applied::Denied(_) => {
                        prop_assert_eq!(sign_ins_now, sign_ins + 1)
                    }
                    _ => prop_assert_eq!(audit_now, audit),
                }
                for &u in sim.users() {
                    prop_assert!(sim.tenant.list_passes(sim.admin, u).map_or(0, |l| l.len()) <= 1);
                }
            }
            let json = serde_json::to_string(&sim.tenant.snapshot()).unwrap();
            for s in sim.danger_secrets() {
                prop_assert!(!json.contains(s), "a secret in the snapshot");
            }
        }
    }

    /// The operation generator reaches passes, pass sign-ins and registered methods.
    #[test]
    fn testing_operations_reach_interesting_states() {
        let mut runner = TestRunner::deterministic();
        let (mut created, mut pass_sessions, mut devices) = (0, 0, 0);
        for _ in 0..cases().max(32) {
            let mut sim = draw(testing::tenant_spec(), &mut runner).build();
            for op in draw(testing::ops(40..=40), &mut runner) {
                match (sim.apply(&op), &op) {
                    (Applied::Done { .. }, testing::Op::CreatePass { .. }) => created += 1,
                    (Applied::Done { .. }, testing::Op::RegisterMethod { .. }) => devices += 1,
                    (Applied::SignedIn(s), _) => {
                        let pass = sim.tenant.session(s).map(|s| s.source().clone());
                        if matches!(pass, Some(SessionSource::Pass { .. })) {
                            pass_sessions += 1;
                        }
                    }
                    _ => {}
                }
            }
        }
        assert!(created >= 20, "passes created: {created}");
        assert!(pass_sessions >= 15, "pass sign-ins: {pass_sessions}");
        assert!(devices >= 3, "methods registered: {devices}");
    }
}
