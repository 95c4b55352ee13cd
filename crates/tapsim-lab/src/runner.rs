//! Runs a scenario against a [`Tenant`] and reports each step: what happened, why, and
//! whether the expectation held.

use std::collections::BTreeMap;
use std::ops::Range;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::decode::{denial_name, result_text};
use super::error::{Location, SetupError};
use super::scenario::*;
use super::time::format_duration;
use super::timeline::{Recorder, Timeline};
use tapsim::graph::format_datetime;
use tapsim::{
    Check, Credential, DenialReason, Device, Error, ErrorCode, ExcludeTarget, GroupId, Guid,
    HashCost, IncludeTarget, LockoutSettings, ManualClock, Member, MethodId, MethodKind, NewUser,
    PassId, PassOptions, PolicyPatch, Profile, Secret, SessionId, SessionStatus, Switches,
    TapPolicy, TargetId, TemporaryAccessPass, Tenant, TenantId, UsabilityReason, UserId,
};

/// Overrides for a run: what the command line's `--seed`, `--profile` and
/// `--hash-cost` change. `None` keeps the scenario's own setting.
///
/// ```
/// use tapsim::{HashCost, Profile};
/// use tapsim_lab::RunOptions;
/// let fast = RunOptions::new().hash_cost(HashCost::Minimum).profile(Profile::Preview2021);
/// assert_eq!(fast.seed, None);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RunOptions {
    /// Replaces the scenario's seed.
    pub seed: Option<u64>,
    /// Replaces the scenario's profile; switches the scenario sets one by one still
    /// apply on top.
    pub profile: Option<Profile>,
    /// Replaces the scenario's hash cost ([`HashCost::Minimum`] keeps tests fast).
    pub hash_cost: Option<HashCost>,
}

impl RunOptions {
    /// No overrides.
    pub fn new() -> RunOptions {
        RunOptions::default()
    }
    /// Replaces the seed.
    pub fn seed(mut self, seed: u64) -> RunOptions {
        self.seed = Some(seed);
        self
    }
    /// Replaces the profile.
    pub fn profile(mut self, profile: Profile) -> RunOptions {
        self.profile = Some(profile);
        self
    }
    /// Replaces the hash cost.
    pub fn hash_cost(mut self, cost: HashCost) -> RunOptions {
        self.hash_cost = Some(cost);
        self
    }
}

/// The settings a run used, after overrides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Settings {
    /// The tenant's id (drawn from the seed).
    pub tenant_id: TenantId,
    /// The domain.
    pub domain: String,
    /// The seed.
    pub seed: u64,
    /// The profile.
    pub profile: Profile,
    /// The switches in force.
    pub switches: Switches,
    /// The hash cost.
    pub hash_cost: HashCost,
    /// Whether nested groups count.
    pub transitive_membership: bool,
    /// The lockout settings.
    pub lockout: LockoutSettings,
    /// The clock's first instant.
    #[serde(with = "tapsim::graph::datetime")]
    pub start: DateTime<Utc>,
}

/// What a step came to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "camelCase")]
#[non_exhaustive]
pub enum Outcome {
    /// The call succeeded.
    Ok,
    /// The call failed with a Graph error.
    Error {
        /// The Graph code.
        code: ErrorCode,
        /// The HTTP status.
        status: u16,
        /// The message.
        message: String,
    },
    /// The sign-in was allowed.
    Allowed {
        /// Whether the session satisfies MFA.
        mfa: bool,
        /// The session's name, if the step named it.
        session: Option<String>,
    },
    /// The sign-in was denied.
    Denied {
        /// The reason.
        reason: DenialReason,
        /// The message the user sees.
        message: String,
    },
    /// The step could not run, because something an earlier step should have made is
    /// missing.
    NotRun {
        /// Why.
        why: String,
    },
}

impl Outcome {
    /// How the outcome reads in reports, such as ``denied `passExpired` ``.
    pub fn summary(&self) -> String {
        match self {
            Outcome::Ok => "ok".to_owned(),
            Outcome::Error { code, .. } => format!("error `{code}`"),
            Outcome::Allowed { .. } => "allowed".to_owned(),
            Outcome::Denied { reason, .. } => format!("denied `{}`", denial_name(*reason)),
            Outcome::NotRun { .. } => "not run".to_owned(),
        }
    }
}

/// One expectation and whether it held.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExpectationCheck {
    /// What was expected, such as ``usability `NotYetValid` ``.
    pub expected: String,
    /// What happened.
    pub actual: String,
    /// Whether it held.
    pub held: bool,
    /// Whether the scenario stated it (`false`: the default expectation of success).
    pub stated: bool,
}

/// One step as it ran.
///
/// Serializes without the shown-once pass value: only the text transcript shows it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct StepReport {
    /// The step's number, from 1.
    pub number: usize,
    /// Where the step is in the file.
    pub location: Option<Location>,
    /// The step's name (`do`).
    pub action: &'static str,
    /// What happens, in words.
    pub description: String,
    /// The scenario's narration.
    pub say: Option<String>,
    /// The spec rules the step shows.
    pub rules: Vec<String>,
    /// The clock when the step ran.
    #[serde(with = "tapsim::graph::datetime")]
    pub at: DateTime<Utc>,
    /// What it came to.
    pub outcome: Outcome,
    /// Facts worth seeing: the pass as created, the policy as updated, audit records.
    pub details: Vec<String>,
    /// For a sign-in: the checks made, in order (the decision trace).
    pub trace: Vec<Check>,
    /// The expectations and whether they held.
    pub expectations: Vec<ExpectationCheck>,
    /// A freshly created pass's value, shown once in the transcript as the portal
    /// shows it. Never serialized; `Debug` prints `[redacted]`.
    #[serde(skip)]
    pub shown_once: Option<Secret>,
    /// For `print_log`: which log, and how many records it held at this step.
    #[serde(skip)]
    pub printed_log: Option<(LogKind, usize)>,
}

impl StepReport {
    /// Whether the step ran and every expectation held.
    pub fn passed(&self) -> bool {
        !matches!(self.outcome, Outcome::NotRun { .. }) && self.expectations.iter().all(|e| e.held)
    }
}

/// A run's result: the setup, every step, and the logs.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Report {
    /// The scenario's title.
    pub title: String,
    /// The explanation for learners.
    pub about: Option<String>,
    /// Where the scenario came from.
    pub origin: Option<String>,
    /// The settings used.
    pub settings: Settings,
    /// What the setup made, one line each.
    pub setup: Vec<String>,
    /// The steps.
    pub steps: Vec<StepReport>,
    /// The tenant as the run left it: its sign-in and audit logs, passes, sessions.
    pub tenant: Tenant,
    /// Passes, sessions, sign-in attempts, policy changes and clock moves over time.
    pub timeline: Timeline,
}

impl Report {
    /// Whether every step ran and every expectation held.
    pub fn passed(&self) -> bool {
        self.steps.iter().all(StepReport::passed)
    }

    /// The steps that did not pass.
    pub fn failures(&self) -> impl Iterator<Item = &StepReport> {
        self.steps.iter().filter(|s| !s.passed())
    }

    /// How many expectations were checked, and how many failed (a step that could not
    /// run counts as one failed expectation).
    pub fn expectation_counts(&self) -> (usize, usize) {
        let all = self.steps.iter().map(|s| s.expectations.len()).sum();
        let failed = self
            .steps
            .iter()
            .map(|s| s.expectations.iter().filter(|e| !e.held).count())
            .sum();
        (all, failed)
    }
}

impl Scenario {
    /// Runs the scenario: builds its tenant on a manual clock, sets up users, groups and
    /// the initial policy, then runs every step, checking what each expects.
    ///
    /// A step that fails its expectation does not stop the run; a step that needs
    /// something an earlier step failed to make is reported as not run.
    ///
    /// ```
    /// use tapsim::HashCost;
    /// use tapsim_lab::{RunOptions, Scenario};
    ///
    /// let scenario = Scenario::from_toml(r#"
    ///     title = "A one-time pass signs in once"
    ///     [[users]]
    ///     upn = "pat@contoso.com"
    ///     roles = ["Authentication Policy Administrator", "Authentication Administrator"]
    ///     [[users]]
    ///     upn = "ada@contoso.com"
    ///     [policy]
    ///     actor = "pat@contoso.com"
    ///     state = "enabled"
    ///     [[steps]]
    ///     do = "create_pass"
    ///     actor = "pat@contoso.com"
    ///     user = "ada@contoso.com"
    ///     is_usable_once = true
    ///     name = "p"
    ///     [[steps]]
    ///     do = "sign_in"
    ///     pass = "p"
    ///     expect = { mfa = true }
    ///     [[steps]]
    ///     do = "sign_in"
    ///     pass = "p"
    ///     expect = { denied = "passOneTimeUsed" }
    /// "#)?;
    /// let report = scenario.run(&RunOptions::new().hash_cost(HashCost::Minimum))?;
    /// assert!(report.passed());
    /// assert_eq!(report.steps[2].outcome.summary(), "denied `passOneTimeUsed`");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`SetupError`] when the tenant refuses the setup (such as an initial policy the
    /// rules reject).
    pub fn run(&self, options: &RunOptions) -> Result<Report, SetupError> {
        let mut runner = Runner::setup(self, options)?;
        let steps = self.steps.iter().map(|s| runner.step(s)).collect();
        Ok(Report {
            title: self.title.clone(),
            about: self.about.clone(),
            origin: self.origin.clone(),
            settings: runner.settings,
            setup: runner.setup_lines,
            steps,
            timeline: runner.timeline.finish(),
            tenant: runner.tenant,
        })
    }
}

/// A scenario's setup, without its steps: what [`Scenario::setup`] returns.
#[derive(Debug)]
#[non_exhaustive]
pub struct Setup {
    /// The tenant, with the scenario's users, groups and initial policy.
    pub tenant: Tenant,
    /// The tenant's manual clock, at the scenario's start.
    pub clock: ManualClock,
    /// The devices the scenario's users hold (`methods` in `[[users]]`), by name.
    pub devices: BTreeMap<String, Device>,
    /// The settings the tenant was built with.
    pub settings: Settings,
}

impl Scenario {
    /// Builds the scenario's tenant (users, groups, initial policy) and runs none of
    /// its steps: what a server or a test starts from.
    ///
    /// ```
    /// use tapsim::HashCost;
    /// use tapsim_lab::{RunOptions, Scenario};
    ///
    /// let scenario = Scenario::from_toml(r#"
    ///     [[users]]
    ///     upn = "ada@contoso.com"
    ///     [[steps]]
    ///     do = "advance_clock"
    ///     by = "1h"
    /// "#)?;
    /// let setup = scenario.setup(&RunOptions::new().hash_cost(HashCost::Minimum))?;
    /// assert!(setup.tenant.user_by_upn("ada@contoso.com").is_some());
    /// assert_eq!(setup.tenant.now(), scenario.tenant.start);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`SetupError`] when the tenant refuses the setup.
    pub fn setup(&self, options: &RunOptions) -> Result<Setup, SetupError> {
        let runner = Runner::setup(self, options)?;
        let devices = runner
            .devices
            .into_iter()
            .filter_map(|(name, d)| d.held.map(|held| (name, held)))
            .collect();
        Ok(Setup {
            tenant: runner.tenant,
            clock: runner.clock,
            devices,
            settings: runner.settings,
        })
    }
}

struct NamedPass {
    user: UserId,
    id: PassId,
    secret: Secret,
}

struct NamedDevice {
    user: UserId,
    method: MethodId,
    kind: MethodKind,
    held: Option<Device>,
}

/// What a step showed, for its expectations.
#[derive(Default)]
struct Observed {
    usability: Option<UsabilityReason>,
    mfa: Option<bool>,
    strengths: Option<Vec<tapsim::AuthenticationStrength>>,
    session: Option<SessionStatus>,
    count: Option<usize>,
    sign_in_record: Option<Guid>,
}

struct Runner {
    tenant: Tenant,
    clock: ManualClock,
    settings: Settings,
    setup_lines: Vec<String>,
    groups: BTreeMap<String, GroupId>,
    passes: BTreeMap<String, NamedPass>,
    sessions: BTreeMap<String, SessionId>,
    devices: BTreeMap<String, NamedDevice>,
    timeline: Recorder,
}

/// What running an action produced.
struct Done {
    outcome: Outcome,
    details: Vec<String>,
    trace: Vec<Check>,
    observed: Observed,
    shown_once: Option<Secret>,
    printed_log: Option<(LogKind, usize)>,
    /// The session a sign-in opened, and its name.
    opened: Option<(SessionId, Option<String>)>,
}

/// Something a step needs that an earlier step did not make: the step does not run.
struct CannotRun(String);

impl CannotRun {
    fn new(why: impl Into<String>) -> CannotRun {
        CannotRun(why.into())
    }
}

impl Done {
    fn new(outcome: Outcome) -> Done {
        Done {
            outcome,
            details: Vec::new(),
            trace: Vec::new(),
            observed: Observed::default(),
            shown_once: None,
            printed_log: None,
            opened: None,
        }
    }
    fn ok() -> Done {
        Done::new(Outcome::Ok)
    }
    fn detail(mut self, line: impl Into<String>) -> Done {
        self.details.push(line.into());
        self
    }
    fn from_error(e: &Error) -> Done {
        Done::new(Outcome::Error {
            code: e.code(),
            status: e.http_status(),
            message: e.to_string(),
        })
    }
}

impl Runner {
    fn setup(scenario: &Scenario, options: &RunOptions) -> Result<Runner, SetupError> {
        let spec = &scenario.tenant;
        let fail = |path: &str, error: Error| SetupError {
            origin: scenario.origin.clone(),
            path: path.to_owned(),
            error,
        };
        let profile = options.profile.unwrap_or(spec.profile);
        let switches = spec.switches.apply(Switches::from(profile));
        let seed = options.seed.unwrap_or(spec.seed);
        let hash_cost = options.hash_cost.unwrap_or(spec.hash_cost);
        let clock = ManualClock::new(spec.start);
        let mut tenant = Tenant::builder()
            .seed(seed)
            .domain(spec.domain.clone())
            .profile(profile)
            .switches(switches)
            .hash_cost(hash_cost)
            .transitive_membership(spec.transitive_membership)
            .lockout(spec.lockout)
            .clock(clock.clone())
            .build()
            .map_err(|e| fail("tenant", e))?;
        let settings = Settings {
            tenant_id: tenant.id(),
            domain: spec.domain.clone(),
            seed,
            profile,
            switches,
            hash_cost,
            transitive_membership: spec.transitive_membership,
            lockout: spec.lockout,
            start: spec.start,
        };
        let mut lines = vec![format!(
            "tenant {} ({}), clock at {}",
            spec.domain,
            tenant.id(),
            format_datetime(&spec.start)
        )];
        let mut devices = BTreeMap::new();
        for (i, u) in scenario.users.iter().enumerate() {
            let mut new = NewUser::member(u.upn.clone(), u.display_name.clone())
                .user_type(u.user_type)
                .federated(u.federated)
                .account_enabled(u.enabled);
            for r in &u.roles {
                new = new.role(*r);
            }
            if let Some(p) = &u.password {
                new = new.password(p.clone());
            }
            let id = tenant
                .add_user(new)
                .map_err(|e| fail(&format!("users[{i}]"), e))?;
            let mut facts = Vec::new();
            if u.user_type != tapsim::UserType::Member {
                facts.push(
                    serde_json::to_value(u.user_type)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default(),
                );
            }
            facts.extend(u.roles.iter().map(|r| r.display_name().to_owned()));
            if u.federated {
                facts.push("federated".to_owned());
            }
            if !u.enabled {
                facts.push("account disabled".to_owned());
            }
            if u.password.is_some() {
                facts.push("has a password".to_owned());
            }
            for m in &u.methods {
                let device = tenant
                    .provision_method(id, m.kind, m.display_name.clone())
                    .map_err(|e| fail(&format!("users[{i}].methods"), e))?;
                facts.push(format!(
                    "holds device `{}` ({}, \"{}\")",
                    m.device, m.kind, m.display_name
                ));
                devices.insert(
                    m.device.clone(),
                    NamedDevice {
                        user: id,
                        method: device.method(),
                        kind: m.kind,
                        held: Some(device),
                    },
                );
            }
            let facts = if facts.is_empty() {
                "member".to_owned()
            } else {
                facts.join(", ")
            };
            lines.push(format!("user {} \"{}\": {facts}", u.upn, u.display_name));
        }
        let mut groups = BTreeMap::new();
        for g in &scenario.groups {
            groups.insert(g.name.clone(), tenant.add_group(g.name.clone()));
        }
        for (i, g) in scenario.groups.iter().enumerate() {
            let Some(&gid) = groups.get(&g.name) else {
                continue;
            };
            let mut members = Vec::new();
            for upn in &g.users {
                let Some(uid) = tenant.user_by_upn(upn).map(|u| u.id()) else {
                    return Err(fail(
                        &format!("groups[{i}]"),
                        Error::UserNotFound(upn.clone()),
                    ));
                };
                tenant
                    .add_member(gid, uid)
                    .map_err(|e| fail(&format!("groups[{i}]"), e))?;
                members.push(upn.clone());
            }
            for inner in &g.groups {
                let Some(&inner_id) = groups.get(inner) else {
                    continue;
                };
                tenant
                    .add_member(gid, inner_id)
                    .map_err(|e| fail(&format!("groups[{i}]"), e))?;
                members.push(format!("group \"{inner}\""));
            }
            let members = if members.is_empty() {
                "no members".to_owned()
            } else {
                members.join(", ")
            };
            lines.push(format!("group \"{}\": {members}", g.name));
        }
        let mut runner = Runner {
            tenant,
            clock,
            settings,
            setup_lines: Vec::new(),
            groups,
            passes: BTreeMap::new(),
            sessions: BTreeMap::new(),
            devices,
            timeline: Recorder::new(spec.start),
        };
        if let Some(p) = &scenario.policy {
            let actor = runner
                .user(&p.actor)
                .ok_or_else(|| fail("policy", Error::UserNotFound(p.actor.clone())))?;
            let patch = runner.patch(&p.change);
            let policy = runner
                .tenant
                .update_policy(actor, &patch)
                .map_err(|e| fail("policy", e))?;
            lines.push(format!(
                "policy set by {}: {}",
                p.actor,
                runner.policy_text(&policy)
            ));
        } else {
            let policy = runner.tenant.current_policy().clone();
            lines.push(format!("policy: {}", runner.policy_text(&policy)));
        }
        runner.setup_lines = lines;
        Ok(runner)
    }

    fn user(&self, upn: &str) -> Option<UserId> {
        self.tenant.user_by_upn(upn).map(|u| u.id())
    }

    fn upn(&self, id: UserId) -> String {
        self.tenant
            .directory()
            .user(id)
            .map_or_else(|| id.to_string(), |u| u.user_principal_name().to_owned())
    }

    fn patch(&self, c: &PolicyChange) -> PolicyPatch {
        let mut p = PolicyPatch::new();
        p.state = c.state;
        p.default_lifetime_in_minutes = c.default_lifetime_in_minutes;
        p.minimum_lifetime_in_minutes = c.minimum_lifetime_in_minutes;
        p.maximum_lifetime_in_minutes = c.maximum_lifetime_in_minutes;
        p.default_length = c.default_length;
        p.is_usable_once = c.is_usable_once;
        let target = |t: &TargetName| match t {
            TargetName::AllUsers => Some(TargetId::AllUsers),
            TargetName::Group(g) => self.groups.get(g).map(|g| TargetId::Group(*g)),
        };
        p.include_targets = c.include.as_ref().map(|ts| {
            ts.iter()
                .filter_map(target)
                .map(IncludeTarget::group)
                .collect()
        });
        p.exclude_targets = c.exclude.as_ref().map(|ts| {
            ts.iter()
                .filter_map(target)
                .map(ExcludeTarget::group)
                .collect()
        });
        p
    }

    fn target_name(&self, t: TargetId) -> String {
        match t {
            TargetId::AllUsers => "all_users".to_owned(),
            TargetId::Group(g) => self
                .groups
                .iter()
                .find(|(_, id)| **id == g)
                .map_or_else(|| g.to_string(), |(n, _)| format!("\"{n}\"")),
        }
    }

    fn policy_text(&self, p: &TapPolicy) -> String {
        let list = |ts: Vec<String>| {
            if ts.is_empty() {
                "nobody".to_owned()
            } else {
                ts.join(", ")
            }
        };
        format!(
            "{}, lifetime {}..{} min (default {}), length {}, one-time {}, include {}, exclude {}",
            if p.state == tapsim::PolicyState::Enabled {
                "enabled"
            } else {
                "disabled"
            },
            p.minimum_lifetime_in_minutes,
            p.maximum_lifetime_in_minutes,
            p.default_lifetime_in_minutes,
            p.default_length,
            p.is_usable_once,
            list(
                p.include_targets
                    .iter()
                    .map(|t| self.target_name(t.id))
                    .collect()
            ),
            list(
                p.exclude_targets
                    .iter()
                    .map(|t| self.target_name(t.id))
                    .collect()
            ),
        )
    }

    fn pass_text(p: &TemporaryAccessPass) -> String {
        format!(
            "pass {}: valid {} to {} ({} min), {}, {} ({})",
            p.id,
            format_datetime(&p.start_date_time),
            format_datetime(&p.end_date_time()),
            p.lifetime_in_minutes,
            if p.is_usable_once {
                "one-time"
            } else {
                "multi-use"
            },
            if p.is_usable { "usable" } else { "not usable" },
            p.method_usability_reason
        )
    }

    fn step(&mut self, step: &Step) -> StepReport {
        let at = self.clock_now();
        let audit_before = self.tenant.audit_log().len();
        let sign_ins_before = self.tenant.sign_in_log().len();
        let description = self.describe(&step.action);
        let mut done = self.act(&step.action);
        self.timeline.after_step(
            &self.tenant,
            step.number,
            &step.action,
            &done.outcome,
            at,
            sign_ins_before,
            done.opened.take(),
        );
        let new_audit = audit_before..self.tenant.audit_log().len();
        for r in self
            .tenant
            .audit_log()
            .get(new_audit.clone())
            .unwrap_or_default()
        {
            done.details.push(format!(
                "audit: \"{}\" ({})",
                r.activity_display_name, r.result_reason
            ));
        }
        let expectations = self.evaluate(step, &done, new_audit);
        StepReport {
            number: step.number,
            location: step.location,
            action: step.action.name(),
            description,
            say: step.say.clone(),
            rules: step.rules.clone(),
            at,
            outcome: done.outcome,
            details: done.details,
            trace: done.trace,
            expectations,
            shown_once: done.shown_once,
            printed_log: done.printed_log,
        }
    }

    fn clock_now(&self) -> DateTime<Utc> {
        use tapsim::Clock;
        self.clock.now()
    }

    fn describe(&self, action: &Action) -> String {
        let member = |m: &MemberName| match m {
            MemberName::User(u) => u.clone(),
            MemberName::Group(g) => format!("group \"{g}\""),
        };
        match action {
            Action::AdvanceClock { by } => {
                format!("the clock moves forward {}", format_duration(*by))
            }
            Action::SetClock { to } => format!("the clock is set to {}", format_datetime(to)),
            Action::UpdatePolicy { actor, change } => {
                format!("{actor} updates the policy: {}", change_text(change))
            }
            Action::ResetPolicy { actor } => format!("{actor} resets the policy to its defaults"),
            Action::GetPolicy { actor } => format!("{actor} reads the policy"),
            Action::CreatePass {
                actor,
                user,
                name,
                start,
                lifetime_in_minutes,
                is_usable_once,
            } => {
                let mut opts = Vec::new();
                match start {
                    Some(TimeSpec::At(t)) => opts.push(format!("starting {}", format_datetime(t))),
                    Some(TimeSpec::FromNow(d)) => {
                        opts.push(format!("starting in {}", format_duration(*d)))
                    }
                    None => {}
                }
                if let Some(l) = lifetime_in_minutes {
                    opts.push(format!("for {l} min"));
                }
                match is_usable_once {
                    Some(true) => opts.push("one-time".to_owned()),
                    Some(false) => opts.push("multi-use".to_owned()),
                    None => {}
                }
                let opts = if opts.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", opts.join(", "))
                };
                let name = name
                    .as_ref()
                    .map(|n| format!(", named `{n}`"))
                    .unwrap_or_default();
                format!("{actor} creates a pass for {user}{opts}{name}")
            }
            Action::ListPasses { actor, user } => format!("{actor} lists the passes of {user}"),
            Action::GetPass { actor, pass } => format!("{actor} reads pass `{pass}`"),
            Action::DeletePass { actor, pass } => format!("{actor} deletes pass `{pass}`"),
            Action::SignIn {
                user,
                with,
                session,
            } => {
                let how = match with {
                    SignInWith::Pass(p) => format!("pass `{p}`"),
                    SignInWith::PassValue(_) => "a pass value typed from memory".to_owned(),
                    SignInWith::Password(_) => "a password".to_owned(),
                    SignInWith::Device(d) => format!("device `{d}`"),
                    SignInWith::PasswordAndDevice { device, .. } => {
                        format!("a password and device `{device}`")
                    }
                };
                let session = session
                    .as_ref()
                    .map(|s| format!(" (session `{s}`)"))
                    .unwrap_or_default();
                format!("{user} signs in with {how}{session}")
            }
            Action::SignOut { session } => format!("session `{session}` signs out"),
            Action::CheckSession { session } => format!("is session `{session}` still valid?"),
            Action::RegisterMethod {
                session,
                kind,
                display_name,
                device,
            } => {
                let who = self
                    .sessions
                    .get(session)
                    .and_then(|id| self.tenant.session(*id))
                    .map_or_else(|| "the user".to_owned(), |s| self.upn(s.user()));
                format!(
                    "in session `{session}`, {who} registers {kind} \"{display_name}\" as device `{device}`"
                )
            }
            Action::RemoveMethod { actor, device } => match self.devices.get(device) {
                Some(d) if self.upn(d.user).eq_ignore_ascii_case(actor) => format!(
                    "{actor} removes their own {} method (device `{device}`)",
                    d.kind
                ),
                Some(d) => format!(
                    "{actor} removes the {} method of {} (device `{device}`)",
                    d.kind,
                    self.upn(d.user)
                ),
                None => format!("{actor} removes the method of device `{device}`"),
            },
            Action::ListMethods { actor, user } => format!("{actor} lists the methods of {user}"),
            Action::LoseDevice { device } => match self.devices.get(device) {
                Some(d) => format!("{} loses device `{device}` ({})", self.upn(d.user), d.kind),
                None => format!("device `{device}` is lost"),
            },
            Action::AddToGroup { group, member: m } => {
                format!("{} is added to group \"{group}\"", member(m))
            }
            Action::RemoveFromGroup { group, member: m } => {
                format!("{} is removed from group \"{group}\"", member(m))
            }
            Action::AssignRole { user, role } => format!("{user} is given the {role} role"),
            Action::RemoveRole { user, role } => format!("{user} loses the {role} role"),
            Action::SetAccountEnabled {
                user,
                enabled: true,
            } => format!("{user}'s account is enabled"),
            Action::SetAccountEnabled {
                user,
                enabled: false,
            } => format!("{user}'s account is disabled"),
            Action::SetPassword { user, .. } => format!("{user} gets a new password"),
            Action::PrintLog {
                log: LogKind::SignIn,
            } => "the sign-in log so far".to_owned(),
            Action::PrintLog {
                log: LogKind::Audit,
            } => "the audit log so far".to_owned(),
        }
    }

    fn need_user(&self, upn: &str) -> Result<UserId, CannotRun> {
        self.user(upn)
            .ok_or_else(|| CannotRun::new(format!("user `{upn}` does not exist")))
    }

    fn need_pass(&self, name: &str) -> Result<(UserId, PassId), CannotRun> {
        self.passes
            .get(name)
            .map(|p| (p.user, p.id))
            .ok_or_else(|| {
                CannotRun::new(format!(
                    "pass `{name}` was never created: the step that names it did not succeed"
                ))
            })
    }

    fn need_session(&self, name: &str) -> Result<SessionId, CannotRun> {
        self.sessions.get(name).copied().ok_or_else(|| {
            CannotRun::new(format!(
                "session `{name}` was never opened: the sign-in that names it was not allowed"
            ))
        })
    }

    fn need_device(&self, name: &str) -> Result<&NamedDevice, CannotRun> {
        self.devices.get(name).ok_or_else(|| {
            CannotRun::new(format!(
                "device `{name}` was never registered: the step that names it did not succeed"
            ))
        })
    }

    fn need_group(&self, name: &str) -> Result<GroupId, CannotRun> {
        self.groups
            .get(name)
            .copied()
            .ok_or_else(|| CannotRun::new(format!("group \"{name}\" does not exist")))
    }

    fn act(&mut self, action: &Action) -> Done {
        match self.try_act(action) {
            Ok(d) => d,
            Err(CannotRun(why)) => Done::new(Outcome::NotRun { why }),
        }
    }

    /// Runs one action; `Err` when something the step needs is missing.
    fn try_act(&mut self, action: &Action) -> Result<Done, CannotRun> {
        let t_done = |r: Result<(), Error>| match r {
            Ok(()) => Done::ok(),
            Err(e) => Done::from_error(&e),
        };
        Ok(match action {
            Action::AdvanceClock { by } => {
                let to = self.clock_now().checked_add_signed(*by);
                if to.is_none_or(|t| t > latest_instant()) {
                    return Err(CannotRun::new(format!(
                        "the clock cannot pass {}, the latest instant a lab may reach",
                        format_datetime(&latest_instant())
                    )));
                }
                self.clock.advance(*by);
                Done::ok().detail(format!("now {}", format_datetime(&self.clock_now())))
            }
            Action::SetClock { to } => {
                let before = self.clock_now();
                self.clock.set(*to);
                let d = Done::ok().detail(format!("now {}", format_datetime(&self.clock_now())));
                if *to < before {
                    d.detail("the clock moved back")
                } else {
                    d
                }
            }
            Action::UpdatePolicy { actor, change } => {
                let actor = self.need_user(actor)?;
                let patch = self.patch(change);
                match self.tenant.update_policy(actor, &patch) {
                    Ok(p) => Done::ok().detail(format!("policy: {}", self.policy_text(&p))),
                    Err(e) => Done::from_error(&e),
                }
            }
            Action::ResetPolicy { actor } => {
                let actor = self.need_user(actor)?;
                match self.tenant.reset_policy(actor) {
                    Ok(p) => Done::ok().detail(format!("policy: {}", self.policy_text(&p))),
                    Err(e) => Done::from_error(&e),
                }
            }
            Action::GetPolicy { actor } => {
                let actor = self.need_user(actor)?;
                match self.tenant.policy(actor) {
                    Ok(p) => {
                        let p = p.clone();
                        Done::ok().detail(format!("policy: {}", self.policy_text(&p)))
                    }
                    Err(e) => Done::from_error(&e),
                }
            }
            Action::CreatePass {
                actor,
                user,
                name,
                start,
                lifetime_in_minutes,
                is_usable_once,
            } => {
                let (actor, user) = (self.need_user(actor)?, self.need_user(user)?);
                let mut options = PassOptions::new();
                if let Some(s) = start {
                    let at = match s {
                        TimeSpec::At(t) => Some(*t),
                        TimeSpec::FromNow(d) => self.clock_now().checked_add_signed(*d),
                    };
                    match at {
                        Some(at) => options = options.start(at),
                        None => return Err(CannotRun::new("the start is outside the calendar")),
                    }
                }
                if let Some(l) = lifetime_in_minutes {
                    options = options.lifetime_in_minutes(*l);
                }
                if let Some(o) = is_usable_once {
                    options = options.usable_once(*o);
                }
                match self.tenant.create_pass(actor, user, options) {
                    Ok(issued) => {
                        let mut d = Done::ok().detail(Runner::pass_text(&issued.pass));
                        d.observed.usability = Some(issued.pass.method_usability_reason);
                        d.shown_once = Some(issued.secret.clone());
                        if let Some(n) = name {
                            self.passes.insert(
                                n.clone(),
                                NamedPass {
                                    user,
                                    id: issued.pass.id,
                                    secret: issued.secret,
                                },
                            );
                        }
                        d
                    }
                    Err(e) => Done::from_error(&e),
                }
            }
            Action::ListPasses { actor, user } => {
                let (actor, user) = (self.need_user(actor)?, self.need_user(user)?);
                match self.tenant.list_passes(actor, user) {
                    Ok(list) => {
                        let mut d = Done::ok();
                        if list.is_empty() {
                            d = d.detail("no pass");
                        }
                        for p in &list {
                            d = d.detail(Runner::pass_text(p));
                        }
                        d.observed.usability = list.first().map(|p| p.method_usability_reason);
                        d.observed.count = Some(list.len());
                        d
                    }
                    Err(e) => Done::from_error(&e),
                }
            }
            Action::GetPass { actor, pass } => {
                let actor = self.need_user(actor)?;
                let (user, id) = self.need_pass(pass)?;
                match self.tenant.get_pass(actor, user, id) {
                    Ok(p) => {
                        let mut d = Done::ok().detail(Runner::pass_text(&p));
                        d.observed.usability = Some(p.method_usability_reason);
                        d
                    }
                    Err(e) => Done::from_error(&e),
                }
            }
            Action::DeletePass { actor, pass } => {
                let actor = self.need_user(actor)?;
                let (user, id) = self.need_pass(pass)?;
                t_done(self.tenant.delete_pass(actor, user, id))
            }
            Action::SignIn {
                user,
                with,
                session,
            } => self.sign_in(user, with, session.as_deref())?,
            Action::SignOut { session } => {
                let id = self.need_session(session)?;
                t_done(self.tenant.sign_out(id))
            }
            Action::CheckSession { session } => {
                let id = self.need_session(session)?;
                match self.tenant.session_status(id) {
                    Ok(status) => {
                        let mut d = Done::ok().detail(session_text(status));
                        d.observed.session = Some(status);
                        d
                    }
                    Err(e) => Done::from_error(&e),
                }
            }
            Action::RegisterMethod {
                session,
                kind,
                display_name,
                device,
            } => {
                let id = self.need_session(session)?;
                match self.tenant.register_method(id, *kind, display_name.clone()) {
                    Ok(handle) => {
                        let user = handle.user();
                        let d = Done::ok().detail(format!(
                            "{} now holds device `{device}` ({kind})",
                            self.upn(user)
                        ));
                        self.devices.insert(
                            device.clone(),
                            NamedDevice {
                                user,
                                method: handle.method(),
                                kind: *kind,
                                held: Some(handle),
                            },
                        );
                        d
                    }
                    Err(e) => Done::from_error(&e),
                }
            }
            Action::RemoveMethod { actor, device } => {
                let actor = self.need_user(actor)?;
                let (user, method) = {
                    let d = self.need_device(device)?;
                    (d.user, d.method)
                };
                t_done(self.tenant.remove_method(actor, user, method))
            }
            Action::ListMethods { actor, user } => {
                let (actor, user) = (self.need_user(actor)?, self.need_user(user)?);
                match self.tenant.list_methods(actor, user) {
                    Ok(list) => {
                        let mut d = Done::ok();
                        if list.is_empty() {
                            d = d.detail("no registered method");
                        }
                        for m in &list {
                            let name = self
                                .devices
                                .iter()
                                .find(|(_, d)| d.method == m.id)
                                .map(|(n, _)| format!(" (device `{n}`)"))
                                .unwrap_or_default();
                            d = d.detail(format!("{}: \"{}\"{name}", m.kind, m.display_name));
                        }
                        d.observed.count = Some(list.len());
                        d
                    }
                    Err(e) => Done::from_error(&e),
                }
            }
            Action::LoseDevice { device } => {
                let Some(d) = self.devices.get_mut(device) else {
                    return Err(CannotRun::new(format!(
                        "device `{device}` was never registered: the step that names it did not succeed"
                    )));
                };
                // Dropping the handle is losing the device (spec M3); the method stays
                // registered until someone removes it.
                d.held = None;
                let (kind, user) = (d.kind, d.user);
                Done::ok().detail(format!(
                    "{} no longer holds it; the {kind} method stays registered until removed",
                    self.upn(user)
                ))
            }
            Action::AddToGroup { group, member } | Action::RemoveFromGroup { group, member } => {
                let gid = self.need_group(group)?;
                let m = match member {
                    MemberName::User(u) => Member::User(self.need_user(u)?),
                    MemberName::Group(g) => Member::Group(self.need_group(g)?),
                };
                let adding = matches!(action, Action::AddToGroup { .. });
                let r = if adding {
                    self.tenant.add_member(gid, m)
                } else {
                    self.tenant.remove_member(gid, m)
                };
                match r {
                    Ok(true) => Done::ok(),
                    Ok(false) if adding => Done::ok().detail("already a member"),
                    Ok(false) => Done::ok().detail("was not a member"),
                    Err(e) => Done::from_error(&e),
                }
            }
            Action::AssignRole { user, role } => {
                let u = self.need_user(user)?;
                t_done(self.tenant.assign_role(u, *role))
            }
            Action::RemoveRole { user, role } => {
                let u = self.need_user(user)?;
                t_done(self.tenant.remove_role(u, *role))
            }
            Action::SetAccountEnabled { user, enabled } => {
                let u = self.need_user(user)?;
                t_done(self.tenant.set_account_enabled(u, *enabled))
            }
            Action::SetPassword { user, password } => {
                let u = self.need_user(user)?;
                t_done(self.tenant.set_password(u, password.clone()))
            }
            Action::PrintLog { log } => {
                let n = match log {
                    LogKind::SignIn => self.tenant.sign_in_log().len(),
                    LogKind::Audit => self.tenant.audit_log().len(),
                };
                let mut d = Done::ok();
                d.printed_log = Some((*log, n));
                d.observed.count = Some(n);
                d
            }
        })
    }

    fn sign_in(
        &mut self,
        upn: &str,
        with: &SignInWith,
        session: Option<&str>,
    ) -> Result<Done, CannotRun> {
        let no_device = |name: &str| {
            CannotRun::new(format!(
                "the user does not hold device `{name}`: it was lost or never registered"
            ))
        };
        let outcome = match with {
            SignInWith::Pass(name) => {
                let p = self.passes.get(name).ok_or_else(|| {
                    CannotRun::new(format!(
                        "pass `{name}` was never created: the step that names it did not succeed"
                    ))
                })?;
                self.tenant
                    .sign_in(upn, Credential::Pass(p.secret.danger_reveal()))
            }
            SignInWith::PassValue(v) => self
                .tenant
                .sign_in(upn, Credential::Pass(v.danger_reveal())),
            SignInWith::Password(pw) => self
                .tenant
                .sign_in(upn, Credential::Password(pw.danger_reveal())),
            SignInWith::Device(name) => {
                let d = self
                    .devices
                    .get(name)
                    .and_then(|d| d.held.as_ref())
                    .ok_or_else(|| no_device(name))?;
                self.tenant.sign_in(upn, Credential::Device(d))
            }
            SignInWith::PasswordAndDevice { password, device } => {
                let d = self
                    .devices
                    .get(device)
                    .and_then(|d| d.held.as_ref())
                    .ok_or_else(|| no_device(device))?;
                self.tenant.sign_in(
                    upn,
                    Credential::PasswordAndDevice(password.danger_reveal(), d),
                )
            }
        };
        let mut done = match outcome.session() {
            Some(s) => {
                if let Some(name) = session {
                    self.sessions.insert(name.to_owned(), s.id());
                }
                let ends = s
                    .expires()
                    .map(|e| format!("ends by {}", format_datetime(&e)))
                    .unwrap_or_else(|| "lasts until signed out".to_owned());
                let mut d = Done::new(Outcome::Allowed {
                    mfa: s.satisfies_mfa(),
                    session: session.map(str::to_owned),
                })
                .detail(format!(
                    "session {}: {}, {ends}",
                    session
                        .map(|n| format!("`{n}`"))
                        .unwrap_or_else(|| s.id().to_string()),
                    if s.satisfies_mfa() {
                        "multifactor"
                    } else {
                        "single factor"
                    }
                ));
                d.observed.mfa = Some(s.satisfies_mfa());
                d.opened = Some((s.id(), session.map(str::to_owned)));
                d.observed.strengths = Some(s.strengths());
                d
            }
            None => {
                let reason = outcome.denial().unwrap_or(DenialReason::InvalidCredential);
                Done::new(Outcome::Denied {
                    reason,
                    message: reason.message().to_owned(),
                })
            }
        };
        if let Some(r) = self
            .tenant
            .sign_in_log()
            .iter()
            .rev()
            .find(|r| r.id == outcome.log_record)
        {
            let methods: Vec<&str> = r
                .authentication_details
                .iter()
                .map(|d| d.authentication_method.as_str())
                .collect();
            done.details.push(format!(
                "sign-in log: {} with {}, {}{}",
                if r.succeeded() { "success" } else { "failure" },
                methods.join(" + "),
                r.authentication_requirement,
                r.status
                    .error_code
                    .filter(|c| *c != 0)
                    .map(|c| format!(", error {c}"))
                    .unwrap_or_default()
            ));
        }
        done.observed.sign_in_record = Some(outcome.log_record);
        done.trace = outcome.trace;
        Ok(done)
    }

    fn evaluate(&self, step: &Step, done: &Done, new_audit: Range<usize>) -> Vec<ExpectationCheck> {
        let e = &step.expect;
        let obs = &done.observed;
        let mut checks = Vec::new();
        if let Outcome::NotRun { why } = &done.outcome {
            checks.push(ExpectationCheck {
                expected: "the step runs".to_owned(),
                actual: why.clone(),
                held: false,
                stated: false,
            });
            return checks;
        }
        let sign_in = step.action.is_sign_in();
        let stated = e.result.is_some() || e.message.is_some();
        let expected = e.result.unwrap_or(match (e.message.is_some(), sign_in) {
            (true, true) => ExpectedResult::Denied(None),
            (true, false) => ExpectedResult::Error(None),
            (false, true) => ExpectedResult::Allowed,
            (false, false) => ExpectedResult::Ok,
        });
        let held = match (expected, &done.outcome) {
            (ExpectedResult::Any, _) => true,
            (ExpectedResult::Ok, Outcome::Ok)
            | (ExpectedResult::Allowed, Outcome::Allowed { .. }) => true,
            (ExpectedResult::Error(c), Outcome::Error { code, .. }) => c.is_none_or(|c| c == *code),
            (ExpectedResult::Denied(r), Outcome::Denied { reason, .. }) => {
                r.is_none_or(|r| r == *reason)
            }
            _ => false,
        };
        if expected != ExpectedResult::Any {
            let mut actual = done.outcome.summary();
            if let Outcome::Error { message, .. } | Outcome::Denied { message, .. } = &done.outcome
                && !held
            {
                actual = format!("{actual}: {message}");
            }
            checks.push(ExpectationCheck {
                expected: result_text(Some(expected)),
                actual,
                held,
                stated,
            });
        }
        if let Some(m) = &e.message {
            let got = match &done.outcome {
                Outcome::Error { message, .. } | Outcome::Denied { message, .. } => Some(message),
                _ => None,
            };
            checks.push(ExpectationCheck {
                expected: format!("a message containing \"{m}\""),
                actual: got.map_or_else(
                    || "no message: the step succeeded".to_owned(),
                    |g| format!("\"{g}\""),
                ),
                held: got.is_some_and(|g| g.contains(m.as_str())),
                stated: true,
            });
        }
        let mut compare = |what: &str, expected: String, actual: Option<String>| {
            checks.push(ExpectationCheck {
                expected: format!("{what} {expected}"),
                held: actual.as_deref() == Some(expected.as_str()),
                actual: actual.map_or_else(|| format!("no {what}"), |a| format!("{what} {a}")),
                stated: true,
            });
        };
        if let Some(u) = e.usability {
            compare(
                "usability",
                format!("`{u}`"),
                obs.usability.map(|u| format!("`{u}`")),
            );
        }
        if let Some(m) = e.mfa {
            compare("mfa", m.to_string(), obs.mfa.map(|m| m.to_string()));
        }
        if let Some(want) = &e.strength {
            let names = |v: &[tapsim::AuthenticationStrength]| {
                let v: Vec<String> = v.iter().map(|s| format!("`{s}`")).collect();
                if v.is_empty() {
                    "[none]".to_owned()
                } else {
                    format!("[{}]", v.join(", "))
                }
            };
            compare("strength", names(want), obs.strengths.as_deref().map(names));
        }
        if let Some(c) = e.count {
            compare("count", c.to_string(), obs.count.map(|c| c.to_string()));
        }
        if let Some(s) = e.session {
            let status = obs.session;
            let held = match (s, status) {
                (ExpectedSession::Active, Some(SessionStatus::Active)) => true,
                (ExpectedSession::Ended(r), Some(SessionStatus::Ended { reason, .. })) => {
                    r.is_none_or(|r| r == reason)
                }
                _ => false,
            };
            checks.push(ExpectationCheck {
                expected: format!("session {}", expected_session_text(s)),
                actual: status.map_or_else(|| "no session".to_owned(), session_text),
                held,
                stated: true,
            });
        }
        if let Some(a) = &e.audit {
            checks.push(self.check_audit(a, new_audit));
        }
        if let Some(l) = &e.sign_in_log {
            checks.push(self.check_sign_in_log(l, obs.sign_in_record));
        }
        checks
    }

    fn check_audit(&self, a: &AuditExpectation, new: Range<usize>) -> ExpectationCheck {
        let records = self.tenant.audit_log().get(new).unwrap_or_default();
        let actual = if records.is_empty() {
            "no audit record".to_owned()
        } else {
            records
                .iter()
                .map(|r| format!("\"{}\"", r.activity_display_name))
                .collect::<Vec<_>>()
                .join(", ")
        };
        match a {
            AuditExpectation::None => ExpectationCheck {
                expected: "no audit record".to_owned(),
                held: records.is_empty(),
                actual,
                stated: true,
            },
            AuditExpectation::Record(m) => {
                let upn_of = |id: Option<&str>| {
                    id.and_then(|id| id.parse::<UserId>().ok())
                        .map(|id| self.upn(id))
                };
                let held = records.iter().any(|r| {
                    m.activity
                        .as_ref()
                        .is_none_or(|x| *x == r.activity_display_name)
                        && m.result_reason
                            .as_ref()
                            .is_none_or(|x| *x == r.result_reason)
                        && m.initiated_by.as_ref().is_none_or(|x| {
                            x.eq_ignore_ascii_case(&r.initiated_by.user.user_principal_name)
                        })
                        && m.target.as_ref().is_none_or(|x| {
                            upn_of(r.target_user()).is_some_and(|t| x.eq_ignore_ascii_case(&t))
                        })
                        && m.usage
                            .as_ref()
                            .is_none_or(|x| r.new_value("Usage") == Some(x.as_str()))
                });
                let mut want = Vec::new();
                if let Some(x) = &m.activity {
                    want.push(format!("\"{x}\""));
                }
                if let Some(x) = &m.result_reason {
                    want.push(format!("reason \"{x}\""));
                }
                if let Some(x) = &m.initiated_by {
                    want.push(format!("by {x}"));
                }
                if let Some(x) = &m.target {
                    want.push(format!("for {x}"));
                }
                if let Some(x) = &m.usage {
                    want.push(format!("usage {x}"));
                }
                ExpectationCheck {
                    expected: format!(
                        "an audit record{}",
                        if want.is_empty() {
                            String::new()
                        } else {
                            format!(" {}", want.join(" "))
                        }
                    ),
                    held,
                    actual,
                    stated: true,
                }
            }
        }
    }

    fn check_sign_in_log(&self, l: &SignInLogExpectation, id: Option<Guid>) -> ExpectationCheck {
        let record = id.and_then(|id| self.tenant.sign_in_log().iter().rev().find(|r| r.id == id));
        let mut want = Vec::new();
        if let Some(x) = &l.method {
            want.push(format!("method \"{x}\""));
        }
        if let Some(x) = &l.requirement {
            want.push(x.clone());
        }
        if let Some(x) = l.error_code {
            want.push(format!("error code {x}"));
        }
        if let Some(x) = &l.failure {
            want.push(format!("failure containing \"{x}\""));
        }
        let (held, actual) = match record {
            None => (false, "no sign-in record".to_owned()),
            Some(r) => {
                let methods: Vec<&str> = r
                    .authentication_details
                    .iter()
                    .map(|d| d.authentication_method.as_str())
                    .collect();
                let held = l
                    .method
                    .as_ref()
                    .is_none_or(|m| methods.contains(&m.as_str()))
                    && l.requirement
                        .as_ref()
                        .is_none_or(|x| *x == r.authentication_requirement)
                    && l.error_code.is_none_or(|c| r.status.error_code == Some(c))
                    && l.failure.as_ref().is_none_or(|f| {
                        r.status
                            .failure_reason
                            .as_ref()
                            .is_some_and(|g| g.contains(f.as_str()))
                    });
                let actual = format!(
                    "method \"{}\", {}, error code {}{}",
                    methods.join(" + "),
                    r.authentication_requirement,
                    r.status
                        .error_code
                        .map_or_else(|| "none".to_owned(), |c| c.to_string()),
                    r.status
                        .failure_reason
                        .as_ref()
                        .map(|f| format!(", failure \"{f}\""))
                        .unwrap_or_default()
                );
                (held, actual)
            }
        };
        ExpectationCheck {
            expected: format!("a sign-in record with {}", want.join(", ")),
            actual,
            held,
            stated: true,
        }
    }
}

/// The latest instant a lab's clock may reach: 9999-12-31T23:59:59Z, the last one a
/// scenario can write, far from the end of chrono's range so that every date sum the
/// tenant makes stays representable.
fn latest_instant() -> DateTime<Utc> {
    // A valid calendar date: the fallback is never taken.
    DateTime::from_timestamp(253_402_300_799, 0).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

fn change_text(c: &PolicyChange) -> String {
    let mut parts = Vec::new();
    if let Some(s) = c.state {
        parts.push(format!(
            "state {}",
            if s == tapsim::PolicyState::Enabled {
                "enabled"
            } else {
                "disabled"
            }
        ));
    }
    for (name, v) in [
        ("default lifetime", c.default_lifetime_in_minutes),
        ("minimum lifetime", c.minimum_lifetime_in_minutes),
        ("maximum lifetime", c.maximum_lifetime_in_minutes),
    ] {
        if let Some(v) = v {
            parts.push(format!("{name} {v} min"));
        }
    }
    if let Some(v) = c.default_length {
        parts.push(format!("length {v}"));
    }
    if let Some(v) = c.is_usable_once {
        parts.push(format!("one-time {v}"));
    }
    let names = |ts: &[TargetName]| {
        if ts.is_empty() {
            "nobody".to_owned()
        } else {
            ts.iter()
                .map(|t| match t {
                    TargetName::AllUsers => "all_users".to_owned(),
                    TargetName::Group(g) => format!("\"{g}\""),
                })
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    if let Some(ts) = &c.include {
        parts.push(format!("include {}", names(ts)));
    }
    if let Some(ts) = &c.exclude {
        parts.push(format!("exclude {}", names(ts)));
    }
    if parts.is_empty() {
        "no change".to_owned()
    } else {
        parts.join(", ")
    }
}

fn session_text(s: SessionStatus) -> String {
    match s {
        SessionStatus::Active => "active".to_owned(),
        SessionStatus::Ended { at, reason } => format!(
            "ended at {} ({})",
            format_datetime(&at),
            serde_json::to_value(reason)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default()
        ),
    }
}

fn expected_session_text(s: ExpectedSession) -> String {
    match s {
        ExpectedSession::Active => "active".to_owned(),
        ExpectedSession::Ended(None) => "ended".to_owned(),
        ExpectedSession::Ended(Some(r)) => format!(
            "ended ({})",
            serde_json::to_value(r)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default()
        ),
    }
}
