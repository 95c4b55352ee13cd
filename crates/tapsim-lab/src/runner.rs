//! Runs a scenario against its tenants (a [`World`]: one [`Tenant`], or several with
//! external guests signing in across them) and reports each step: what happened, why,
//! and whether the expectation held.

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
    TapPolicy, TargetId, TemporaryAccessPass, Tenant, TenantId, UsabilityReason, UserId, World,
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
    /// The tenant's name, when the scenario declares several (`[[tenants]]`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The settings of the tenants after the first, when there are several.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub other_tenants: Vec<Settings>,
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
    /// For `print_log` in a scenario with several tenants: whose log, by index into
    /// [`Report::tenants`].
    #[serde(skip)]
    pub printed_tenant: usize,
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
    /// The tenant as the run left it: its sign-in and audit logs, passes, sessions (the
    /// first tenant, when there are several).
    pub tenant: Tenant,
    /// The tenants after the first as the run left them, when there are several.
    pub other_tenants: Vec<Tenant>,
    /// Every tenant's name, in order, when there are several (empty for one).
    pub tenant_names: Vec<String>,
    /// Passes, sessions, sign-in attempts, policy changes and clock moves over time.
    pub timeline: Timeline,
}

impl Report {
    /// Every tenant the run used, with its name when there are several: `tenant` first,
    /// then `other_tenants`.
    pub fn tenants(&self) -> Vec<(Option<&str>, &Tenant)> {
        std::iter::once(&self.tenant)
            .chain(&self.other_tenants)
            .enumerate()
            .map(|(i, t)| (self.tenant_names.get(i).map(String::as_str), t))
            .collect()
    }

    /// The seed, as the report's heading says it: `seed 7`, or with several tenants
    /// `tenants contoso (seed 1), fabrikam (seed 2)`.
    pub(crate) fn seed_fact(&self) -> String {
        if self.tenant_names.is_empty() {
            return format!("seed {}", self.settings.seed);
        }
        let seeds = std::iter::once(&self.settings)
            .chain(&self.settings.other_tenants)
            .map(|s| s.seed);
        let tenants: Vec<String> = self
            .tenant_names
            .iter()
            .zip(seeds)
            .map(|(n, s)| format!("{n} (seed {s})"))
            .collect();
        format!("tenants {}", tenants.join(", "))
    }

    /// The tenant whose log a `print_log` step printed.
    pub fn printed_tenant(&self, step: &StepReport) -> &Tenant {
        match step.printed_tenant {
            0 => &self.tenant,
            i => self.other_tenants.get(i - 1).unwrap_or(&self.tenant),
        }
    }

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
        let (tenant, other_tenants) = runner.take_tenants();
        Ok(Report {
            title: self.title.clone(),
            about: self.about.clone(),
            origin: self.origin.clone(),
            settings: runner.settings,
            setup: runner.setup_lines,
            steps,
            timeline: super::timeline::merge(runner.timelines),
            tenant,
            other_tenants,
            tenant_names: if runner.multi {
                runner.names
            } else {
                Vec::new()
            },
        })
    }
}

/// A scenario's setup, without its steps: what [`Scenario::setup`] returns.
#[derive(Debug)]
#[non_exhaustive]
pub struct Setup {
    /// The tenant, with the scenario's users, groups and initial policy (the first
    /// tenant, when there are several).
    pub tenant: Tenant,
    /// The tenants after the first, when the scenario declares several.
    pub other_tenants: Vec<Tenant>,
    /// The tenants' manual clock, at the scenario's start.
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
        let (tenant, other_tenants) = runner.take_tenants();
        let devices = runner
            .devices
            .into_iter()
            .filter_map(|(name, d)| d.held.map(|held| (name, held)))
            .collect();
        Ok(Setup {
            tenant,
            other_tenants,
            clock: runner.clock,
            devices,
            settings: runner.settings,
        })
    }
}

struct NamedPass {
    tenant: usize,
    user: UserId,
    id: PassId,
    secret: Secret,
}

struct NamedDevice {
    tenant: usize,
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
    /// Every tenant, in the scenario's order (`ids[i]` is tenant `i`).
    world: World,
    ids: Vec<TenantId>,
    /// The tenants' names (their domains for a single `[tenant]`).
    names: Vec<String>,
    /// Whether there are several tenants: messages then say which.
    multi: bool,
    clock: ManualClock,
    settings: Settings,
    setup_lines: Vec<String>,
    groups: BTreeMap<String, GroupId>,
    passes: BTreeMap<String, NamedPass>,
    sessions: BTreeMap<String, SessionId>,
    devices: BTreeMap<String, NamedDevice>,
    /// One per tenant.
    timelines: Vec<Recorder>,
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
        let multi = scenario.is_multi_tenant();
        let clock = ManualClock::new(spec.start);
        let mut tenants = Vec::new();
        let mut all_settings = Vec::new();
        let mut names = Vec::new();
        for (i, spec) in scenario.tenants().enumerate() {
            let profile = options.profile.unwrap_or(spec.profile);
            let switches = spec.switches.apply(Switches::from(profile));
            // With several tenants, an overriding seed gives each its own, in order.
            let seed = options.seed.map_or(spec.seed, |s| s.wrapping_add(i as u64));
            let hash_cost = options.hash_cost.unwrap_or(spec.hash_cost);
            let path = if multi {
                format!("tenants[{i}]")
            } else {
                "tenant".to_owned()
            };
            let tenant = Tenant::builder()
                .seed(seed)
                .domain(spec.domain.clone())
                .profile(profile)
                .switches(switches)
                .hash_cost(hash_cost)
                .transitive_membership(spec.transitive_membership)
                .lockout(spec.lockout)
                .clock(clock.clone())
                .build()
                .map_err(|e| fail(&path, e))?;
            all_settings.push(Settings {
                tenant_id: tenant.id(),
                domain: spec.domain.clone(),
                seed,
                profile,
                switches,
                hash_cost,
                transitive_membership: spec.transitive_membership,
                lockout: spec.lockout,
                start: scenario.tenant.start,
                name: spec.name.clone().filter(|_| multi),
                other_tenants: Vec::new(),
            });
            names.push(spec.name.clone().unwrap_or_else(|| spec.domain.clone()));
            tenants.push(tenant);
        }
        let mut lines = Vec::new();
        for (i, (spec, t)) in scenario.tenants().zip(&tenants).enumerate() {
            if !multi {
                lines.push(format!(
                    "tenant {} ({}), clock at {}",
                    spec.domain,
                    t.id(),
                    format_datetime(&spec.start)
                ));
                continue;
            }
            let mut line = format!("tenant {}: {} ({})", names[i], spec.domain, t.id());
            if i == 0 {
                line.push_str(&format!(", clock at {}", format_datetime(&spec.start)));
            }
            if !spec.trust_mfa_from.is_empty() {
                let from: Vec<&str> = spec
                    .trust_mfa_from
                    .iter()
                    .filter_map(|j| names.get(*j).map(String::as_str))
                    .collect();
                line.push_str(&format!(", trusts MFA from {}", from.join(", ")));
            }
            lines.push(line);
        }
        let tenant_ids: Vec<TenantId> = tenants.iter().map(Tenant::id).collect();
        for (i, spec) in scenario.tenants().enumerate() {
            for j in &spec.trust_mfa_from {
                if let (Some(t), Some(home)) = (tenants.get_mut(i), tenant_ids.get(*j)) {
                    t.set_inbound_mfa_trust(*home, true);
                }
            }
        }
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
            let tenant = tenants
                .get_mut(u.tenant)
                .ok_or_else(|| fail(&format!("users[{i}]"), unknown_tenant(u.tenant)))?;
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
            if let Some(g) = scenario.guests.iter().find(|g| g.upn == u.upn) {
                facts.push(format!("home account {}", g.home));
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
                        tenant: u.tenant,
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
            let of = if multi {
                format!(" in {}", names[u.tenant])
            } else {
                String::new()
            };
            lines.push(format!(
                "user {} \"{}\"{of}: {facts}",
                u.upn, u.display_name
            ));
        }
        let mut groups = BTreeMap::new();
        for (i, g) in scenario.groups.iter().enumerate() {
            let tenant = tenants
                .get_mut(g.tenant)
                .ok_or_else(|| fail("groups", unknown_tenant(g.tenant)))?;
            // Entra's bound on a group's name holds in a lab as over HTTP.
            let id = tenant
                .try_add_group(g.name.clone())
                .map_err(|e| fail(&format!("groups[{i}]"), e))?;
            groups.insert(g.name.clone(), id);
        }
        for (i, g) in scenario.groups.iter().enumerate() {
            let Some(&gid) = groups.get(&g.name) else {
                continue;
            };
            let tenant = tenants
                .get_mut(g.tenant)
                .ok_or_else(|| fail("groups", unknown_tenant(g.tenant)))?;
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
            let of = if multi {
                format!(" in {}", names[g.tenant])
            } else {
                String::new()
            };
            lines.push(format!("group \"{}\"{of}: {members}", g.name));
        }
        let mut world = World::new();
        for t in tenants {
            world.add(t).map_err(|e| fail("tenants", e))?;
        }
        for (i, g) in scenario.guests.iter().enumerate() {
            let upn_in = |t: usize, upn: &str| {
                tenant_ids
                    .get(t)
                    .and_then(|id| world.tenant(*id))
                    .and_then(|t| t.user_by_upn(upn))
                    .map(|u| u.id())
            };
            let path = format!("guests[{i}]");
            let home_tenant = (0..tenant_ids.len())
                .find(|t| *t != g.tenant && upn_in(*t, &g.home).is_some())
                .ok_or_else(|| fail(&path, Error::UserNotFound(g.home.clone())))?;
            let (Some(guest), Some(home_user)) =
                (upn_in(g.tenant, &g.upn), upn_in(home_tenant, &g.home))
            else {
                return Err(fail(&path, Error::UserNotFound(g.upn.clone())));
            };
            world
                .link_guest(
                    tenant_ids[g.tenant],
                    guest,
                    tenant_ids[home_tenant],
                    home_user,
                )
                .map_err(|e| fail(&path, e))?;
        }
        let mut settings = all_settings.remove(0);
        if multi {
            settings.other_tenants = all_settings;
        }
        let mut runner = Runner {
            world,
            ids: tenant_ids,
            names,
            multi,
            clock,
            settings,
            setup_lines: Vec::new(),
            groups,
            passes: BTreeMap::new(),
            sessions: BTreeMap::new(),
            devices,
            timelines: scenario
                .tenants()
                .map(|_| Recorder::new(spec.start))
                .collect(),
        };
        if let Some(p) = &scenario.policy {
            let (ti, actor) = runner
                .user(&p.actor)
                .ok_or_else(|| fail("policy", Error::UserNotFound(p.actor.clone())))?;
            let patch = runner.patch(&p.change);
            let policy = runner
                .tm(ti)
                .update_policy(actor, &patch)
                .map_err(|e| fail("policy", e))?;
            lines.push(format!(
                "policy set by {}: {}",
                p.actor,
                runner.policy_text(&policy)
            ));
            if multi {
                for t in (0..runner.ids.len()).filter(|t| *t != ti) {
                    let policy = runner.t(t).current_policy().clone();
                    lines.push(format!(
                        "policy of {}: {}",
                        runner.names[t],
                        runner.policy_text(&policy)
                    ));
                }
            }
        } else {
            for t in 0..runner.ids.len() {
                let policy = runner.t(t).current_policy().clone();
                let of = if multi {
                    format!(" of {}", runner.names[t])
                } else {
                    String::new()
                };
                lines.push(format!("policy{of}: {}", runner.policy_text(&policy)));
            }
        }
        runner.setup_lines = lines;
        Ok(runner)
    }

    /// Tenant `i` (every index the runner uses comes from the scenario's tenants).
    fn t(&self, i: usize) -> &Tenant {
        self.ids
            .get(i)
            .or(self.ids.first())
            .and_then(|id| self.world.tenant(*id))
            // Invariant: `ids` holds the id of every tenant added to `world` at setup,
            // never fewer than one, and a world never loses a tenant.
            .expect("a tenant of the run")
    }

    /// Tenant `i`, to change it.
    fn tm(&mut self, i: usize) -> &mut Tenant {
        let id = *self
            .ids
            .get(i)
            .or(self.ids.first())
            // Invariant: setup adds at least one tenant.
            .expect("a tenant of the run");
        self.world
            .tenant_mut(id)
            // Invariant: as in `t`.
            .expect("a tenant of the run")
    }

    /// The tenants as the run left them: the first, and the others.
    fn take_tenants(&self) -> (Tenant, Vec<Tenant>) {
        let first = self.t(0).clone();
        let others = (1..self.ids.len()).map(|i| self.t(i).clone()).collect();
        (first, others)
    }

    /// The tenant that holds a session (session ids are unique across tenants).
    fn session_tenant(&self, id: SessionId) -> usize {
        (0..self.ids.len())
            .find(|i| self.t(*i).session(id).is_some())
            .unwrap_or(0)
    }

    /// ` in contoso` with several tenants, nothing with one.
    fn in_tenant(&self, i: usize) -> String {
        if self.multi {
            format!(" in {}", self.names.get(i).map_or("?", String::as_str))
        } else {
            String::new()
        }
    }

    /// A user by principal name, and their tenant.
    fn user(&self, upn: &str) -> Option<(usize, UserId)> {
        (0..self.ids.len()).find_map(|i| self.t(i).user_by_upn(upn).map(|u| (i, u.id())))
    }

    fn upn(&self, id: UserId) -> String {
        (0..self.ids.len())
            .find_map(|i| self.t(i).directory().user(id))
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
        let n = self.ids.len();
        let audit_before: Vec<usize> = (0..n).map(|i| self.t(i).audit_log().len()).collect();
        let sign_ins_before: Vec<usize> = (0..n).map(|i| self.t(i).sign_in_log().len()).collect();
        let mut description = self.describe(&step.action);
        match (&step.action, step.tenant) {
            (Action::SetMfaTrust { .. }, t) => {
                let here = self.names.get(t.unwrap_or(0)).map_or("?", String::as_str);
                description = description.replacen("the tenant", here, 1);
            }
            (Action::SignIn { .. } | Action::PrintLog { .. }, Some(t)) => {
                description.push_str(&self.in_tenant(t));
            }
            _ => {}
        }
        let mut done = self.act(&step.action, step.tenant);
        let opened = done.opened.take();
        let opened_in = opened.as_ref().map(|(id, _)| self.session_tenant(*id));
        // A guest's session rests on a session the home tenant opened: that one goes on
        // the home tenant's timeline (unnamed).
        let home_opened = opened.as_ref().and_then(|(id, _)| {
            match self.t(opened_in.unwrap_or(0)).session(*id)?.source() {
                tapsim::SessionSource::HomeTenant {
                    tenant,
                    home_session,
                    ..
                } => Some((self.ids.iter().position(|t| t == tenant)?, *home_session)),
                _ => None,
            }
        });
        let mut timelines = std::mem::take(&mut self.timelines);
        for (i, recorder) in timelines.iter_mut().enumerate() {
            let id = self.ids[i];
            let world = &self.world;
            let status = |s: SessionId| world.session_status(id, s);
            let label = self.multi.then(|| self.names[i].as_str());
            recorder.after_step(
                self.t(i),
                &status,
                label,
                step.number,
                &step.action,
                &done.outcome,
                at,
                sign_ins_before[i],
                match home_opened {
                    Some((h, home)) if h == i => Some((home, None)),
                    _ => opened.clone().filter(|_| opened_in == Some(i)),
                },
            );
        }
        self.timelines = timelines;
        let new_audit: Vec<Range<usize>> = (0..n)
            .map(|i| audit_before[i]..self.t(i).audit_log().len())
            .collect();
        for (i, range) in new_audit.iter().enumerate() {
            let of = if self.multi {
                format!(" ({})", self.names[i])
            } else {
                String::new()
            };
            for r in self.t(i).audit_log().get(range.clone()).unwrap_or_default() {
                done.details.push(format!(
                    "audit{of}: \"{}\" ({})",
                    r.activity_display_name, r.result_reason
                ));
            }
        }
        let expectations = self.evaluate(step, &done, &new_audit);
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
            printed_tenant: step.tenant.unwrap_or(0),
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
            Action::StepUp { session, with } => {
                let who = self
                    .sessions
                    .get(session)
                    .and_then(|id| self.t(self.session_tenant(*id)).session(*id))
                    .map_or_else(|| "the user".to_owned(), |s| self.upn(s.user()));
                format!(
                    "in session `{session}`, {who} proves again with {}",
                    credential_text(with)
                )
            }
            Action::SignIn {
                user,
                with,
                session,
            } => {
                let how = credential_text(with);
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
                    .and_then(|id| self.t(self.session_tenant(*id)).session(*id))
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
            Action::RevokeSessions { actor, user } => {
                format!("{actor} revokes every session of {user}")
            }
            Action::SetMfaTrust { from, trusted } => {
                let from = self.names.get(*from).map_or("?", String::as_str);
                if *trusted {
                    format!("the tenant now trusts MFA done in {from}")
                } else {
                    format!("the tenant stops trusting MFA done in {from}")
                }
            }
        }
    }

    fn need_user(&self, upn: &str) -> Result<(usize, UserId), CannotRun> {
        self.user(upn)
            .ok_or_else(|| CannotRun::new(format!("user `{upn}` does not exist")))
    }

    fn need_pass(&self, name: &str) -> Result<(usize, UserId, PassId), CannotRun> {
        self.passes
            .get(name)
            .map(|p| (p.tenant, p.user, p.id))
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

    fn act(&mut self, action: &Action, tenant: Option<usize>) -> Done {
        match self.try_act(action, tenant) {
            Ok(d) => d,
            Err(CannotRun(why)) => Done::new(Outcome::NotRun { why }),
        }
    }

    /// Runs one action; `Err` when something the step needs is missing.
    fn try_act(&mut self, action: &Action, tenant: Option<usize>) -> Result<Done, CannotRun> {
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
                let (ti, actor) = self.need_user(actor)?;
                let patch = self.patch(change);
                match self.tm(ti).update_policy(actor, &patch) {
                    Ok(p) => Done::ok().detail(format!("policy: {}", self.policy_text(&p))),
                    Err(e) => Done::from_error(&e),
                }
            }
            Action::ResetPolicy { actor } => {
                let (ti, actor) = self.need_user(actor)?;
                match self.tm(ti).reset_policy(actor) {
                    Ok(p) => Done::ok().detail(format!("policy: {}", self.policy_text(&p))),
                    Err(e) => Done::from_error(&e),
                }
            }
            Action::GetPolicy { actor } => {
                let (ti, actor) = self.need_user(actor)?;
                match self.t(ti).policy(actor) {
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
                let ((ti, actor), (_, user)) = (self.need_user(actor)?, self.need_user(user)?);
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
                match self.tm(ti).create_pass(actor, user, options) {
                    Ok(issued) => {
                        let mut d = Done::ok().detail(Runner::pass_text(&issued.pass));
                        d.observed.usability = Some(issued.pass.method_usability_reason);
                        d.shown_once = Some(issued.secret.clone());
                        if let Some(n) = name {
                            self.passes.insert(
                                n.clone(),
                                NamedPass {
                                    tenant: ti,
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
                let ((ti, actor), (_, user)) = (self.need_user(actor)?, self.need_user(user)?);
                match self.t(ti).list_passes(actor, user) {
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
                let (_, actor) = self.need_user(actor)?;
                let (ti, user, id) = self.need_pass(pass)?;
                match self.t(ti).get_pass(actor, user, id) {
                    Ok(p) => {
                        let mut d = Done::ok().detail(Runner::pass_text(&p));
                        d.observed.usability = Some(p.method_usability_reason);
                        d
                    }
                    Err(e) => Done::from_error(&e),
                }
            }
            Action::DeletePass { actor, pass } => {
                let (_, actor) = self.need_user(actor)?;
                let (ti, user, id) = self.need_pass(pass)?;
                t_done(self.tm(ti).delete_pass(actor, user, id))
            }
            Action::SignIn {
                user,
                with,
                session,
            } => self.sign_in(user, with, session.as_deref(), tenant)?,
            Action::StepUp { session, with } => self.step_up(session, with)?,
            Action::SignOut { session } => {
                let id = self.need_session(session)?;
                let ti = self.session_tenant(id);
                t_done(self.tm(ti).sign_out(id))
            }
            Action::CheckSession { session } => {
                let id = self.need_session(session)?;
                let tid = self.ids[self.session_tenant(id)];
                // The world sees a guest's home session too (spec R11, R15).
                match self.world.session_status(tid, id) {
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
                let ti = self.session_tenant(id);
                match self
                    .world
                    .register_method(self.ids[ti], id, *kind, display_name.clone())
                {
                    Ok(handle) => {
                        let user = handle.user();
                        let d = Done::ok().detail(format!(
                            "{} now holds device `{device}` ({kind})",
                            self.upn(user)
                        ));
                        self.devices.insert(
                            device.clone(),
                            NamedDevice {
                                tenant: ti,
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
                let (_, actor) = self.need_user(actor)?;
                let (ti, user, method) = {
                    let d = self.need_device(device)?;
                    (d.tenant, d.user, d.method)
                };
                t_done(self.tm(ti).remove_method(actor, user, method))
            }
            Action::ListMethods { actor, user } => {
                let ((ti, actor), (_, user)) = (self.need_user(actor)?, self.need_user(user)?);
                match self.t(ti).list_methods(actor, user) {
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
                let ti = (0..self.ids.len())
                    .find(|i| self.t(*i).directory().group(gid).is_some())
                    .unwrap_or(0);
                let m = match member {
                    MemberName::User(u) => Member::User(self.need_user(u)?.1),
                    MemberName::Group(g) => Member::Group(self.need_group(g)?),
                };
                let adding = matches!(action, Action::AddToGroup { .. });
                let r = if adding {
                    self.tm(ti).add_member(gid, m)
                } else {
                    self.tm(ti).remove_member(gid, m)
                };
                match r {
                    Ok(true) => Done::ok(),
                    Ok(false) if adding => Done::ok().detail("already a member"),
                    Ok(false) => Done::ok().detail("was not a member"),
                    Err(e) => Done::from_error(&e),
                }
            }
            Action::AssignRole { user, role } => {
                let (ti, u) = self.need_user(user)?;
                t_done(self.tm(ti).assign_role(u, *role))
            }
            Action::RemoveRole { user, role } => {
                let (ti, u) = self.need_user(user)?;
                t_done(self.tm(ti).remove_role(u, *role))
            }
            Action::SetAccountEnabled { user, enabled } => {
                let (ti, u) = self.need_user(user)?;
                t_done(self.tm(ti).set_account_enabled(u, *enabled))
            }
            Action::SetPassword { user, password } => {
                let (ti, u) = self.need_user(user)?;
                t_done(self.tm(ti).set_password(u, password.clone()))
            }
            Action::PrintLog { log } => {
                let t = self.t(tenant.unwrap_or(0));
                let n = match log {
                    LogKind::SignIn => t.sign_in_log().len(),
                    LogKind::Audit => t.audit_log().len(),
                };
                let mut d = Done::ok();
                d.printed_log = Some((*log, n));
                d.observed.count = Some(n);
                d
            }
            Action::RevokeSessions { actor, user } => {
                let ((ti, actor), (_, user)) = (self.need_user(actor)?, self.need_user(user)?);
                match self.tm(ti).revoke_sign_in_sessions(actor, user) {
                    Ok(n) => Done::ok().detail(match n {
                        1 => "1 session ended".to_owned(),
                        n => format!("{n} sessions ended"),
                    }),
                    Err(e) => Done::from_error(&e),
                }
            }
            Action::SetMfaTrust { from, trusted } => {
                let ti = tenant.unwrap_or(0);
                let home =
                    self.ids.get(*from).copied().ok_or_else(|| {
                        CannotRun::new(format!("the scenario has no tenant #{from}"))
                    })?;
                self.tm(ti).set_inbound_mfa_trust(home, *trusted);
                let (here, there) = (
                    self.names.get(ti).map_or("?", String::as_str),
                    self.names.get(*from).map_or("?", String::as_str),
                );
                Done::ok().detail(if *trusted {
                    format!("{here} counts MFA done in {there} as its own")
                } else {
                    format!("{here} asks guests from {there} for MFA of its own")
                })
            }
        })
    }

    fn sign_in(
        &mut self,
        upn: &str,
        with: &SignInWith,
        session: Option<&str>,
        tenant: Option<usize>,
    ) -> Result<Done, CannotRun> {
        // The tenant signed in to: the one the step names, else the user's own. A guest
        // types their home name in the resource tenant, and the world sends the
        // credential home (spec S10, R11).
        let into = tenant.unwrap_or_else(|| self.user(upn).map_or(0, |(t, _)| t));
        let into_id = self.ids[into];
        let sign_ins_before = self.sign_in_counts();
        let credential = credential(&self.passes, &self.devices, with)?;
        let outcome = self
            .world
            .sign_in(into_id, upn, credential)
            .map_err(|e| CannotRun::new(e.to_string()))?;
        Ok(self.proved(outcome, into, &sign_ins_before, session, None))
    }

    /// A step-up in session `session` (spec R18): through the world, so that a guest
    /// proves at home (R11). A refused step-up (the session ended, a password alone) is
    /// an error; a wrong credential is a denial, logged and counted like a sign-in's.
    fn step_up(&mut self, session: &str, with: &SignInWith) -> Result<Done, CannotRun> {
        let id = self.need_session(session)?;
        let into = self.session_tenant(id);
        let sign_ins_before = self.sign_in_counts();
        let credential = credential(&self.passes, &self.devices, with)?;
        match self.world.step_up(self.ids[into], id, credential) {
            Ok(outcome) => {
                Ok(self.proved(outcome, into, &sign_ins_before, Some(session), Some(id)))
            }
            Err(e) => Ok(Done::from_error(&e)),
        }
    }

    /// How many sign-in records each tenant holds.
    fn sign_in_counts(&self) -> Vec<usize> {
        (0..self.ids.len())
            .map(|i| self.t(i).sign_in_log().len())
            .collect()
    }

    /// What a proof of a credential did, a sign-in or (`stepped_up`, naming the session)
    /// a step-up in tenant `into`: the decision, the session, and each new sign-in record.
    fn proved(
        &mut self,
        outcome: tapsim::SignInOutcome,
        into: usize,
        sign_ins_before: &[usize],
        session: Option<&str>,
        stepped_up: Option<SessionId>,
    ) -> Done {
        let n = self.ids.len();
        let mut done = match outcome.session() {
            Some(s) if stepped_up.is_some() => {
                let fresh = s.last_mfa().map_or_else(
                    || "stepped up, no multifactor proof counted here".to_owned(),
                    |t| {
                        format!(
                            "stepped up, last multifactor proof at {}",
                            format_datetime(&t)
                        )
                    },
                );
                let mut d = Done::new(Outcome::Allowed {
                    mfa: s.satisfies_mfa(),
                    session: session.map(str::to_owned),
                })
                .detail(format!(
                    "session `{}`: {}, {fresh}",
                    session.unwrap_or_default(),
                    if s.satisfies_mfa() {
                        "multifactor"
                    } else {
                        "single factor"
                    }
                ));
                d.observed.mfa = Some(s.satisfies_mfa());
                d.observed.strengths = Some(s.strengths());
                d
            }
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
        // With several tenants, every tenant's new record (a guest's home tenant logs
        // the attempt too); with one, the record of the attempt.
        let records: Vec<(usize, &tapsim::SignInRecord)> = if self.multi {
            // The home tenant decides first: the tenant signed in to is listed last.
            (0..n)
                .filter(|i| *i != into)
                .chain([into])
                .flat_map(|i| {
                    self.t(i)
                        .sign_in_log()
                        .get(sign_ins_before[i]..)
                        .unwrap_or_default()
                        .iter()
                        .map(move |r| (i, r))
                })
                .collect()
        } else {
            self.t(into)
                .sign_in_log()
                .iter()
                .rev()
                .find(|r| r.id == outcome.log_record)
                .map(|r| (into, r))
                .into_iter()
                .collect()
        };
        for (i, r) in records {
            let methods: Vec<&str> = r
                .authentication_details
                .iter()
                .map(|d| d.authentication_method.as_str())
                .collect();
            let (of, home) = if self.multi {
                let home = if r.home_tenant_id == self.ids[i] {
                    String::new()
                } else {
                    let name = self
                        .ids
                        .iter()
                        .position(|id| *id == r.home_tenant_id)
                        .and_then(|h| self.names.get(h))
                        .map_or_else(|| r.home_tenant_id.to_string(), Clone::clone);
                    format!(", homeTenantId {name}")
                };
                (format!(" of {}", self.names[i]), home)
            } else {
                (String::new(), String::new())
            };
            done.details.push(format!(
                "sign-in log{of}: {} with {}, {}{}{home}",
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
        done
    }

    fn evaluate(
        &self,
        step: &Step,
        done: &Done,
        new_audit: &[Range<usize>],
    ) -> Vec<ExpectationCheck> {
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

    fn check_audit(&self, a: &AuditExpectation, new: &[Range<usize>]) -> ExpectationCheck {
        let records: Vec<&tapsim::AuditRecord> = new
            .iter()
            .enumerate()
            .flat_map(|(i, range)| {
                self.t(i)
                    .audit_log()
                    .get(range.clone())
                    .unwrap_or_default()
                    .iter()
            })
            .collect();
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
        let record = id.and_then(|id| {
            (0..self.ids.len())
                .find_map(|i| self.t(i).sign_in_log().iter().rev().find(|r| r.id == id))
        });
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

/// A tenant index the scenario does not have (parsing makes this impossible).
fn unknown_tenant(i: usize) -> Error {
    Error::InvalidConfig(format!("the scenario has no tenant #{i}"))
}

/// The credential a step names: a pass created earlier, a value typed, a password, a
/// device the user still holds, or a password with a device.
fn credential<'a>(
    passes: &'a BTreeMap<String, NamedPass>,
    devices: &'a BTreeMap<String, NamedDevice>,
    with: &'a SignInWith,
) -> Result<Credential<'a>, CannotRun> {
    let no_device = |name: &str| {
        CannotRun::new(format!(
            "the user does not hold device `{name}`: it was lost or never registered"
        ))
    };
    let held = |name: &str| {
        devices
            .get(name)
            .and_then(|d| d.held.as_ref())
            .ok_or_else(|| no_device(name))
    };
    Ok(match with {
        SignInWith::Pass(name) => {
            let p = passes.get(name).ok_or_else(|| {
                CannotRun::new(format!(
                    "pass `{name}` was never created: the step that names it did not succeed"
                ))
            })?;
            Credential::Pass(p.secret.danger_reveal())
        }
        SignInWith::PassValue(v) => Credential::Pass(v.danger_reveal()),
        SignInWith::Password(pw) => Credential::Password(pw.danger_reveal()),
        SignInWith::Device(name) => Credential::Device(held(name)?),
        SignInWith::PasswordAndDevice { password, device } => {
            Credential::PasswordAndDevice(password.danger_reveal(), held(device)?)
        }
    })
}

/// How a step says which credential it proves.
fn credential_text(with: &SignInWith) -> String {
    match with {
        SignInWith::Pass(p) => format!("pass `{p}`"),
        SignInWith::PassValue(_) => "a pass value typed from memory".to_owned(),
        SignInWith::Password(_) => "a password".to_owned(),
        SignInWith::Device(d) => format!("device `{d}`"),
        SignInWith::PasswordAndDevice { device, .. } => {
            format!("a password and device `{device}`")
        }
    }
}
