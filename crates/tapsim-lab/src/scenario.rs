//! The scenario model: what a scenario file says, parsed and checked.
//!
//! Every type here comes out of [`Scenario::parse`]; the format itself is described in
//! `docs/scenario-format.md`.

use chrono::{DateTime, Duration, Utc};

use super::error::{Location, ScenarioError};
use tapsim::{
    DenialReason, ErrorCode, HashCost, LockoutSettings, MethodKind, PolicyState, Profile, Role,
    Secret, SessionEndReason, Switches, UsabilityReason, UserType,
};

/// The syntax of a scenario file. Both say the same things with the same keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Format {
    /// TOML: for people to write.
    #[default]
    Toml,
    /// JSON: for programs to write.
    Json,
}

impl Format {
    /// The format a file name implies: `.json` is JSON, anything else TOML.
    ///
    /// ```
    /// use tapsim_lab::Format;
    /// assert_eq!(Format::from_path("labs/recovery.json"), Format::Json);
    /// assert_eq!(Format::from_path("labs/recovery.toml"), Format::Toml);
    /// ```
    pub fn from_path(path: impl AsRef<std::path::Path>) -> Format {
        match path.as_ref().extension().and_then(|e| e.to_str()) {
            Some(e) if e.eq_ignore_ascii_case("json") => Format::Json,
            _ => Format::Toml,
        }
    }
}

/// A training scenario: a tenant (or several, with external guests linked to their home
/// accounts), its users and groups, an optional initial policy, and a timeline of steps
/// with what each should do.
///
/// Parse one with [`Scenario::parse`] (or [`Scenario::from_toml`],
/// [`Scenario::from_json`]); run it with [`Scenario::run`](Scenario::run). Parsing checks
/// everything that can be checked without running: fields, types, times, and that every
/// user, group, pass, session and device a step names exists by then.
///
/// `Debug` never shows a password: they are [`Secret`]s.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Scenario {
    /// A short title.
    pub title: String,
    /// The explanation for learners, shown before the timeline.
    pub about: Option<String>,
    /// Where the scenario came from (a file name), for messages and reports.
    pub origin: Option<String>,
    /// The tenant's settings: the only tenant, or the first of `[[tenants]]`.
    pub tenant: TenantSpec,
    /// The tenants after the first, when the scenario declares several (`[[tenants]]`,
    /// spec S10): empty for a single tenant.
    pub other_tenants: Vec<TenantSpec>,
    /// The users, in the order they are created.
    pub users: Vec<UserSpec>,
    /// The groups.
    pub groups: Vec<GroupSpec>,
    /// The policy set before the timeline starts, if any.
    pub policy: Option<PolicySpec>,
    /// External guests linked to their home accounts (`[[guests]]`, spec S10). Each is
    /// also in `users`, as an external guest of its resource tenant.
    pub guests: Vec<GuestSpec>,
    /// The timeline.
    pub steps: Vec<Step>,
}

impl Scenario {
    /// Parses and checks a scenario.
    ///
    /// # Errors
    /// [`ScenarioError`] listing every problem found, each with its path and
    /// line and column.
    pub fn parse(source: &str, format: Format) -> Result<Scenario, ScenarioError> {
        super::decode::decode(source, format)
    }

    /// Parses and checks a TOML scenario.
    ///
    /// # Errors
    /// As [`Scenario::parse`].
    pub fn from_toml(source: &str) -> Result<Scenario, ScenarioError> {
        Scenario::parse(source, Format::Toml)
    }

    /// Parses and checks a JSON scenario.
    ///
    /// # Errors
    /// As [`Scenario::parse`].
    pub fn from_json(source: &str) -> Result<Scenario, ScenarioError> {
        Scenario::parse(source, Format::Json)
    }

    /// Every tenant, in declaration order: [`Scenario::tenant`] first, then
    /// [`Scenario::other_tenants`]. A user's or step's `tenant` is an index into it.
    pub fn tenants(&self) -> impl Iterator<Item = &TenantSpec> {
        std::iter::once(&self.tenant).chain(&self.other_tenants)
    }

    /// Whether the scenario declares more than one tenant: reports then say which
    /// tenant each user, record and log belongs to.
    pub fn is_multi_tenant(&self) -> bool {
        !self.other_tenants.is_empty()
    }

    /// The same scenario, saying where it came from (shown in reports).
    pub fn with_origin(mut self, origin: impl Into<String>) -> Scenario {
        self.origin = Some(origin.into());
        self
    }
}

/// The tenant's settings (`[tenant]`, or one of `[[tenants]]`).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct TenantSpec {
    /// The name users, groups, guests and steps use for it (`[[tenants]]`); `None` for
    /// the single `[tenant]`.
    pub name: Option<String>,
    /// The tenants whose MFA this one trusts for its external guests (cross-tenant
    /// access settings, spec S10), by index into [`Scenario::tenants`].
    pub trust_mfa_from: Vec<usize>,
    /// The RNG seed (default 0): the same seed gives the same ids, passes and logs.
    pub seed: u64,
    /// The behaviour profile (default `Current`).
    pub profile: Profile,
    /// Switches set one by one, over the profile's.
    pub switches: SwitchOverrides,
    /// The primary domain (default `contoso.com`).
    pub domain: String,
    /// The clock's first instant (default 2026-01-05T09:00:00Z).
    pub start: DateTime<Utc>,
    /// The argon2id cost (default production).
    pub hash_cost: HashCost,
    /// Whether nested group membership counts (default true).
    pub transitive_membership: bool,
    /// Smart-lockout settings (default 10 failures, 60 seconds).
    pub lockout: LockoutSettings,
}

/// Switches a scenario sets individually; `None` keeps the profile's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct SwitchOverrides {
    /// T5: delete before re-create.
    pub delete_before_create: Option<bool>,
    /// T6: creation allowed for users out of scope.
    pub create_for_out_of_scope_users: Option<bool>,
    /// B1: the policy's default maximum lifetime.
    pub default_maximum_lifetime_in_minutes: Option<u32>,
    /// B2: sessions outlive their pass.
    pub session_outlives_pass: Option<bool>,
    /// B2: the ten minutes are MFA freshness, for every registration.
    pub mfa_freshness: Option<bool>,
    /// B2: Microsoft Authenticator registers a passkey.
    pub authenticator_passkey: Option<bool>,
}

impl SwitchOverrides {
    /// `base` with these overrides applied.
    pub fn apply(&self, base: Switches) -> Switches {
        let mut s = base;
        if let Some(on) = self.delete_before_create {
            s = s.delete_before_create(on);
        }
        if let Some(on) = self.create_for_out_of_scope_users {
            s = s.create_for_out_of_scope_users(on);
        }
        if let Some(m) = self.default_maximum_lifetime_in_minutes {
            s = s.default_maximum_lifetime_in_minutes(m);
        }
        if let Some(on) = self.session_outlives_pass {
            s = s.session_outlives_pass(on);
        }
        if let Some(on) = self.mfa_freshness {
            s = s.mfa_freshness(on);
        }
        if let Some(on) = self.authenticator_passkey {
            s = s.authenticator_passkey(on);
        }
        s
    }
}

/// A user (`[[users]]`).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct UserSpec {
    /// The user principal name.
    pub upn: String,
    /// The display name.
    pub display_name: String,
    /// Member, internal guest or external guest.
    pub user_type: UserType,
    /// Whether the user's domain is federated.
    pub federated: bool,
    /// Whether the account may sign in.
    pub enabled: bool,
    /// Directory roles.
    pub roles: Vec<Role>,
    /// The password, if any.
    pub password: Option<Secret>,
    /// Methods the user already holds when the scenario starts.
    pub methods: Vec<MethodSpec>,
    /// The user's tenant, by index into [`Scenario::tenants`] (0: the first).
    pub tenant: usize,
}

/// An external guest of a resource tenant, linked to their account in another tenant
/// (`[[guests]]`, spec S10).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct GuestSpec {
    /// The guest's principal name in the resource tenant, such as
    /// `bob_fabrikam.com#EXT#@contoso.com`.
    pub upn: String,
    /// The resource tenant, by index into [`Scenario::tenants`].
    pub tenant: usize,
    /// The home account's principal name (a user of another tenant).
    pub home: String,
}

/// A method a user holds from the start, as a named device.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MethodSpec {
    /// The kind.
    pub kind: MethodKind,
    /// Its display name, such as `Alex's phone`.
    pub display_name: String,
    /// The name later steps use for the device.
    pub device: String,
}

/// A group (`[[groups]]`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct GroupSpec {
    /// The display name, unique in the scenario.
    pub name: String,
    /// Member users, by principal name.
    pub users: Vec<String>,
    /// Member groups (nested), by name.
    pub groups: Vec<String>,
    /// The group's tenant, by index into [`Scenario::tenants`] (0: the first).
    pub tenant: usize,
}

/// The policy set before the timeline (`[policy]`), by an actor who may change it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PolicySpec {
    /// Who sets it (an Authentication Policy Administrator or Global Administrator).
    pub actor: String,
    /// The change.
    pub change: PolicyChange,
}

/// A change to the policy: `None` fields keep their values (spec P3).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct PolicyChange {
    /// `state`.
    pub state: Option<PolicyState>,
    /// `defaultLifetimeInMinutes`.
    pub default_lifetime_in_minutes: Option<i64>,
    /// `minimumLifetimeInMinutes`.
    pub minimum_lifetime_in_minutes: Option<i64>,
    /// `maximumLifetimeInMinutes`.
    pub maximum_lifetime_in_minutes: Option<i64>,
    /// `defaultLength`.
    pub default_length: Option<i64>,
    /// `isUsableOnce`.
    pub is_usable_once: Option<bool>,
    /// `includeTargets`, by group name: replaces the list.
    pub include: Option<Vec<TargetName>>,
    /// `excludeTargets`, by group name: replaces the list.
    pub exclude: Option<Vec<TargetName>>,
}

/// A policy target, by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetName {
    /// `all_users`.
    AllUsers,
    /// A group of the scenario.
    Group(String),
}

/// One step of the timeline.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Step {
    /// The step's number, from 1.
    pub number: usize,
    /// Where the step starts in the file (TOML).
    pub location: Option<Location>,
    /// Narration for learners, shown with the step.
    pub say: Option<String>,
    /// The spec rules the step shows, such as `T6`.
    pub rules: Vec<String>,
    /// The tenant the step acts in when it names one (`tenant = "..."`: the tenant a
    /// `sign_in` signs in to, whose log a `print_log` prints, whose trust a
    /// `set_mfa_trust` sets), by index into [`Scenario::tenants`]. Other steps act in
    /// the tenant of the users they name.
    pub tenant: Option<usize>,
    /// What happens.
    pub action: Action,
    /// What should come of it.
    pub expect: Expect,
}

/// An instant: absolute, or relative to the clock when the step runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeSpec {
    /// This instant.
    At(DateTime<Utc>),
    /// The step's time plus this (possibly negative) duration, written like `+15m`.
    FromNow(Duration),
}

/// How a user signs in.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum SignInWith {
    /// A pass created earlier, by name.
    Pass(String),
    /// A literal pass value (to show what a wrong value does).
    PassValue(Secret),
    /// The password alone.
    Password(Secret),
    /// A device the user holds, alone (passwordless kinds).
    Device(String),
    /// The password, then a device as the second factor.
    PasswordAndDevice {
        /// The password.
        password: Secret,
        /// The device, by name.
        device: String,
    },
}

/// A member of a group: a user or a nested group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemberName {
    /// A user, by principal name.
    User(String),
    /// A group, by name.
    Group(String),
}

/// Which log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LogKind {
    /// The sign-in log.
    SignIn,
    /// The audit log.
    Audit,
}

/// What a step does. The key `do` in the file names it (the `snake_case` of the
/// variant, as [`Action::name`] returns).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Action {
    /// Moves the clock forward.
    AdvanceClock {
        /// How far.
        by: Duration,
    },
    /// Sets the clock.
    SetClock {
        /// To when.
        to: DateTime<Utc>,
    },
    /// Updates the policy (spec P2, P3, P5, P6).
    UpdatePolicy {
        /// Who.
        actor: String,
        /// The change.
        change: PolicyChange,
    },
    /// Resets the policy to its defaults (spec P4).
    ResetPolicy {
        /// Who.
        actor: String,
    },
    /// Reads the policy (spec P6).
    GetPolicy {
        /// Who.
        actor: String,
    },
    /// Creates a pass (spec T2 to T9).
    CreatePass {
        /// Who issues it.
        actor: String,
        /// For whom.
        user: String,
        /// The name later steps use for the pass and its value.
        name: Option<String>,
        /// `startDateTime`.
        start: Option<TimeSpec>,
        /// `lifetimeInMinutes`.
        lifetime_in_minutes: Option<i64>,
        /// `isUsableOnce`.
        is_usable_once: Option<bool>,
    },
    /// Lists a user's passes (spec T12).
    ListPasses {
        /// Who reads.
        actor: String,
        /// Whose.
        user: String,
    },
    /// Reads a pass by name (spec T12).
    GetPass {
        /// Who reads.
        actor: String,
        /// The pass.
        pass: String,
    },
    /// Deletes a pass by name (spec T12).
    DeletePass {
        /// Who deletes.
        actor: String,
        /// The pass.
        pass: String,
    },
    /// A user signs in (spec S1 to S9).
    SignIn {
        /// The principal name typed.
        user: String,
        /// With what.
        with: SignInWith,
        /// The name later steps use for the session, if the sign-in is allowed.
        session: Option<String>,
    },
    /// Proves a credential again inside a session (spec R18): refreshes its multifactor
    /// time and adds the modes used; a guest proves at home (R11).
    StepUp {
        /// The session.
        session: String,
        /// With what.
        with: SignInWith,
    },
    /// Signs a session out.
    SignOut {
        /// The session.
        session: String,
    },
    /// Looks at whether a session is still valid (spec S5).
    CheckSession {
        /// The session.
        session: String,
    },
    /// Registers a method inside a session (spec M2, S6).
    RegisterMethod {
        /// The session.
        session: String,
        /// The kind.
        kind: MethodKind,
        /// Its display name.
        display_name: String,
        /// The name later steps use for the device.
        device: String,
    },
    /// Removes the method a device proves (spec M4).
    RemoveMethod {
        /// Who removes it.
        actor: String,
        /// The device whose method goes.
        device: String,
    },
    /// Lists a user's methods.
    ListMethods {
        /// Who reads.
        actor: String,
        /// Whose.
        user: String,
    },
    /// The user loses a device: it can no longer be presented (spec M3).
    LoseDevice {
        /// The device.
        device: String,
    },
    /// Adds a member to a group (directory setup: no actor, no audit record).
    AddToGroup {
        /// The group.
        group: String,
        /// The member.
        member: MemberName,
    },
    /// Removes a member from a group (directory setup).
    RemoveFromGroup {
        /// The group.
        group: String,
        /// The member.
        member: MemberName,
    },
    /// Assigns a role (directory setup).
    AssignRole {
        /// To whom.
        user: String,
        /// The role.
        role: Role,
    },
    /// Removes a role (directory setup).
    RemoveRole {
        /// From whom.
        user: String,
        /// The role.
        role: Role,
    },
    /// Enables or disables an account (directory setup).
    SetAccountEnabled {
        /// Whose.
        user: String,
        /// Enabled or not.
        enabled: bool,
    },
    /// Sets a password (directory setup).
    SetPassword {
        /// Whose.
        user: String,
        /// The new password.
        password: Secret,
    },
    /// Prints a log as it is at this point.
    PrintLog {
        /// Which.
        log: LogKind,
    },
    /// Ends every session of a user (Graph's `revokeSignInSessions`, spec R15), and the
    /// sessions of other tenants that rest on them.
    RevokeSessions {
        /// Who revokes.
        actor: String,
        /// Whose sessions.
        user: String,
    },
    /// Sets whether the step's tenant trusts MFA done in another tenant (cross-tenant
    /// access settings, spec S10, R14).
    SetMfaTrust {
        /// The home tenant, by index into [`Scenario::tenants`].
        from: usize,
        /// Trusted or not.
        trusted: bool,
    },
}

impl Action {
    /// Every step name, as written after `do =`.
    pub const NAMES: [&'static str; 27] = [
        "advance_clock",
        "set_clock",
        "update_policy",
        "reset_policy",
        "get_policy",
        "create_pass",
        "list_passes",
        "get_pass",
        "delete_pass",
        "sign_in",
        "step_up",
        "sign_out",
        "check_session",
        "register_method",
        "remove_method",
        "list_methods",
        "lose_device",
        "add_to_group",
        "remove_from_group",
        "assign_role",
        "remove_role",
        "enable_account",
        "disable_account",
        "set_password",
        "print_log",
        "revoke_sessions",
        "set_mfa_trust",
    ];

    /// The step's name, as written after `do =`.
    pub fn name(&self) -> &'static str {
        match self {
            Action::AdvanceClock { .. } => "advance_clock",
            Action::SetClock { .. } => "set_clock",
            Action::UpdatePolicy { .. } => "update_policy",
            Action::ResetPolicy { .. } => "reset_policy",
            Action::GetPolicy { .. } => "get_policy",
            Action::CreatePass { .. } => "create_pass",
            Action::ListPasses { .. } => "list_passes",
            Action::GetPass { .. } => "get_pass",
            Action::DeletePass { .. } => "delete_pass",
            Action::SignIn { .. } => "sign_in",
            Action::StepUp { .. } => "step_up",
            Action::SignOut { .. } => "sign_out",
            Action::CheckSession { .. } => "check_session",
            Action::RegisterMethod { .. } => "register_method",
            Action::RemoveMethod { .. } => "remove_method",
            Action::ListMethods { .. } => "list_methods",
            Action::LoseDevice { .. } => "lose_device",
            Action::AddToGroup { .. } => "add_to_group",
            Action::RemoveFromGroup { .. } => "remove_from_group",
            Action::AssignRole { .. } => "assign_role",
            Action::RemoveRole { .. } => "remove_role",
            Action::SetAccountEnabled { enabled: true, .. } => "enable_account",
            Action::SetAccountEnabled { enabled: false, .. } => "disable_account",
            Action::SetPassword { .. } => "set_password",
            Action::PrintLog { .. } => "print_log",
            Action::RevokeSessions { .. } => "revoke_sessions",
            Action::SetMfaTrust { .. } => "set_mfa_trust",
        }
    }

    /// Whether the step proves a credential (a sign-in or a step-up): it is allowed or
    /// denied, and writes the sign-in log. A sign-in is never an error; a step-up is one
    /// when its session has ended or a password comes alone (spec R18).
    pub fn is_sign_in(&self) -> bool {
        matches!(self, Action::SignIn { .. } | Action::StepUp { .. })
    }
}

/// What a step should do. Every field is optional; with none, a step expects success:
/// a call that succeeds, or a sign-in that is allowed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Expect {
    /// The result, when stated (else success is expected).
    pub result: Option<ExpectedResult>,
    /// Text the error or denial message contains.
    pub message: Option<String>,
    /// The pass's `methodUsabilityReason` (create, get, list).
    pub usability: Option<UsabilityReason>,
    /// Whether the session satisfies MFA (sign-in).
    pub mfa: Option<bool>,
    /// Exactly the built-in authentication strengths the session satisfies (sign-in,
    /// spec S11); empty: none.
    pub strength: Option<Vec<tapsim::AuthenticationStrength>>,
    /// The session's status (check_session).
    pub session: Option<ExpectedSession>,
    /// How many passes, methods or log records (list_passes, list_methods, print_log).
    pub count: Option<usize>,
    /// The audit records the step leaves.
    pub audit: Option<AuditExpectation>,
    /// The sign-in log record the step leaves (sign-in).
    pub sign_in_log: Option<SignInLogExpectation>,
}

/// The result a step should have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExpectedResult {
    /// The call succeeds.
    Ok,
    /// The call fails, with this Graph code if given.
    Error(Option<ErrorCode>),
    /// The sign-in is allowed.
    Allowed,
    /// The sign-in is denied, for this reason if given.
    Denied(Option<DenialReason>),
    /// Anything: the step only shows what happens.
    Any,
}

/// A session's expected status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpectedSession {
    /// Still valid.
    Active,
    /// Ended, for this reason if given.
    Ended(Option<SessionEndReason>),
}

/// The audit records a step should leave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditExpectation {
    /// None at all (`audit = false`): rejected calls and sign-ins leave none (spec R10).
    None,
    /// At least one record matching every field given.
    Record(AuditMatch),
}

/// Fields an audit record should have; `None` fields match anything.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct AuditMatch {
    /// `activityDisplayName`, such as `Admin registered security info`.
    pub activity: Option<String>,
    /// `resultReason`.
    pub result_reason: Option<String>,
    /// The initiating user's principal name.
    pub initiated_by: Option<String>,
    /// The target user's principal name.
    pub target: Option<String>,
    /// The pass's usage property: `Single` or `Multiple`.
    pub usage: Option<String>,
}

/// Fields the sign-in log record should have; `None` fields match anything.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct SignInLogExpectation {
    /// An `authenticationMethod` among the record's details, such as
    /// `Temporary Access Pass`.
    pub method: Option<String>,
    /// `authenticationRequirement`: `singleFactorAuthentication` or
    /// `multiFactorAuthentication`.
    pub requirement: Option<String>,
    /// `status.errorCode` (0 for success).
    pub error_code: Option<i32>,
    /// Text `status.failureReason` contains.
    pub failure: Option<String>,
}
