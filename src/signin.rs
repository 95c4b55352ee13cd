//! Sign-in evaluation, sessions and lockout (spec S1 to S10).

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::crypto::{ProofRequest, Proofs};
use crate::error::{Denial, Error, Result};
use crate::ids::{Guid, MethodId, PassId, SessionId, TenantId, UserId};
use crate::methods::{Device, MethodKind, MethodRecord};
use crate::pass::UsabilityReason;
use crate::tenant::Tenant;

/// Smart-lockout settings (spec S7, R6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LockoutSettings {
    /// Failed sign-ins in a row that lock the account (default 10).
    pub threshold: u32,
    /// The first lockout's length in seconds (default 60); the n-th lasts
    /// `duration x 2^(n-1)`.
    pub duration_seconds: i64,
}

impl Default for LockoutSettings {
    fn default() -> LockoutSettings {
        LockoutSettings {
            threshold: 10,
            duration_seconds: 60,
        }
    }
}

impl LockoutSettings {
    /// Checks the settings: a threshold of at least 1 and a positive duration.
    ///
    /// ```
    /// use tapsim::LockoutSettings;
    /// assert!(LockoutSettings::default().validate().is_ok());
    /// assert!(LockoutSettings { threshold: 0, duration_seconds: 60 }.validate().is_err());
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] naming the setting.
    pub fn validate(&self) -> Result<()> {
        if self.threshold == 0 {
            return Err(Error::InvalidConfig(
                "lockout `threshold` must be at least 1".into(),
            ));
        }
        if self.duration_seconds <= 0 {
            return Err(Error::InvalidConfig(format!(
                "lockout `duration_seconds` must be positive, got `{}`",
                self.duration_seconds
            )));
        }
        Ok(())
    }

    /// The length of the `n`-th lockout (n from 1): `duration x 2^(n-1)`, saturating, so
    /// it never shrinks as `n` grows (`n` = 0 reads as 1).
    ///
    /// ```
    /// use tapsim::LockoutSettings;
    /// let s = LockoutSettings::default();
    /// assert_eq!(s.lockout_length(3).num_seconds(), 240);
    /// assert!(s.lockout_length(64) >= s.lockout_length(63));
    /// assert_eq!(s.lockout_length(u32::MAX), s.lockout_length(64));
    /// ```
    pub fn lockout_length(&self, n: u32) -> Duration {
        // 2^63 does not fit an i64 (`1 << 63` is negative): from there on, saturate.
        let shift = n.saturating_sub(1);
        let factor = if shift < 63 { 1i64 << shift } else { i64::MAX };
        let secs = self
            .duration_seconds
            .saturating_mul(factor)
            .min(i64::MAX / 1_000);
        Duration::try_seconds(secs).unwrap_or(Duration::MAX)
    }
}

/// Session controls (spec R17): Conditional Access sign-in frequency, which bounds how
/// long any session lasts, measured from its sign-in (a step-up does not extend it).
/// By default sessions last until revoked.
///
/// ```
/// use tapsim::SessionControls;
/// assert_eq!(SessionControls::default(), SessionControls::until_revoked());
/// let eight_hours = SessionControls::sign_in_every(8 * 60);
/// assert_eq!(eight_hours.sign_in_frequency_minutes, Some(480));
/// assert!(eight_hours.validate().is_ok());
/// assert!(SessionControls::sign_in_every(59).validate().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[non_exhaustive]
pub struct SessionControls {
    /// Sign-in frequency: every session ends this many minutes after its sign-in.
    /// `None`: sessions last until revoked.
    #[serde(default)]
    pub sign_in_frequency_minutes: Option<u32>,
}

impl SessionControls {
    /// The range Conditional Access offers for sign-in frequency: 1 hour to 365 days,
    /// in minutes.
    pub const SIGN_IN_FREQUENCY_RANGE: std::ops::RangeInclusive<u32> = 60..=525_600;

    /// No sign-in frequency: sessions last until revoked (the default).
    pub const fn until_revoked() -> SessionControls {
        SessionControls {
            sign_in_frequency_minutes: None,
        }
    }

    /// A sign-in frequency of `minutes` (checked by [`SessionControls::validate`]).
    pub const fn sign_in_every(minutes: u32) -> SessionControls {
        SessionControls {
            sign_in_frequency_minutes: Some(minutes),
        }
    }

    /// Checks the settings: a sign-in frequency within
    /// [`SessionControls::SIGN_IN_FREQUENCY_RANGE`].
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] naming the setting and its range.
    pub fn validate(&self) -> Result<()> {
        match self.sign_in_frequency_minutes {
            Some(m) if !Self::SIGN_IN_FREQUENCY_RANGE.contains(&m) => {
                Err(Error::InvalidConfig(format!(
                    "`sign_in_frequency_minutes` must be between 60 and 525600 (1 hour to 365 days), got `{m}`"
                )))
            }
            _ => Ok(()),
        }
    }
}

/// A user's failed-attempt counter and lockout history (spec S7, R6).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LockoutCounter {
    failures: u32,
    lockouts: u32,
    #[serde(with = "crate::graph::opt_datetime")]
    locked_until: Option<DateTime<Utc>>,
}

/// Sessions, lockout counters, registered methods, cross-tenant trust and the sign-in log.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignInState {
    pub(crate) sessions: BTreeMap<SessionId, Session>,
    pub(crate) lockouts: BTreeMap<UserId, LockoutCounter>,
    pub(crate) methods: BTreeMap<UserId, Vec<MethodRecord>>,
    /// Home tenants whose MFA this (resource) tenant trusts (spec S10).
    pub(crate) trusted_mfa_tenants: BTreeSet<TenantId>,
    pub(crate) log: Vec<SignInRecord>,
}

/// What a user presents at sign-in. Secrets are borrowed, never stored; `Debug` redacts
/// them.
#[derive(Clone, Copy)]
pub enum Credential<'a> {
    /// A Temporary Access Pass's value.
    Pass(&'a str),
    /// The password alone.
    Password(&'a str),
    /// A registered device alone (passwordless kinds, spec R8).
    Device(&'a Device),
    /// The password, then a registered device as the second factor (spec R8).
    PasswordAndDevice(&'a str, &'a Device),
}

impl fmt::Debug for Credential<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credential::Pass(_) => f.write_str("Pass([redacted])"),
            Credential::Password(_) => f.write_str("Password([redacted])"),
            Credential::Device(d) => write!(f, "Device({:?})", d.method()),
            Credential::PasswordAndDevice(_, d) => {
                write!(f, "PasswordAndDevice([redacted], {:?})", d.method())
            }
        }
    }
}

impl Credential<'_> {
    /// The methods this credential presents, first factor first.
    pub fn methods(&self) -> Vec<MethodKind> {
        match self {
            Credential::Pass(_) => vec![MethodKind::TemporaryAccessPass],
            Credential::Password(_) => vec![MethodKind::Password],
            Credential::Device(d) => vec![d.kind()],
            Credential::PasswordAndDevice(_, d) => vec![MethodKind::Password, d.kind()],
        }
    }
}

/// How a session was obtained.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum SessionSource {
    /// A Temporary Access Pass.
    Pass {
        /// The pass signed in with.
        pass: PassId,
        /// Whether it was a one-time pass (spec S6).
        one_time: bool,
    },
    /// The password alone.
    Password,
    /// A registered method (with the password first, for kinds that need it).
    Method {
        /// The method.
        method: MethodId,
        /// Its kind.
        kind: MethodKind,
    },
    /// A sign-in at the guest's home tenant (spec S10).
    HomeTenant {
        /// The home tenant.
        tenant: TenantId,
        /// The session the home tenant opened; this one ends no later than it
        /// (see [`crate::World::session_status`]).
        home_session: SessionId,
        /// Whether the home session satisfied MFA.
        home_mfa: bool,
    },
}

/// Why a session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum SessionEndReason {
    /// The pass it was signed in with reached its end (spec S5).
    PassExpired,
    /// The pass was deleted or replaced (spec S5, T12).
    PassDeleted,
    /// The tenant's sign-in frequency was reached (spec R17).
    SignInFrequency,
    /// The user signed out.
    SignedOut,
    /// The user's sessions were revoked (Graph's `revokeSignInSessions`, spec R15), here or,
    /// for a guest's session in a resource tenant, at home.
    Revoked,
}

/// Whether a session is still valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum SessionStatus {
    /// Valid.
    Active,
    /// No longer valid: the user must sign in again.
    Ended {
        /// When it ended.
        #[serde(with = "crate::graph::datetime")]
        at: DateTime<Utc>,
        /// Why.
        reason: SessionEndReason,
    },
}

impl SessionStatus {
    /// Whether the session is valid.
    pub fn is_active(self) -> bool {
        self == SessionStatus::Active
    }

    /// The status of a session that ends at whichever of two statuses ends first: its own,
    /// and that of the session it rests on (spec S5, R11, R15).
    pub(crate) fn and(self, other: SessionStatus) -> SessionStatus {
        match (self, other) {
            (SessionStatus::Active, o) | (o, SessionStatus::Active) => o,
            (
                a @ SessionStatus::Ended { at: at_a, .. },
                b @ SessionStatus::Ended { at: at_b, .. },
            ) => {
                if at_a <= at_b {
                    a
                } else {
                    b
                }
            }
        }
    }
}

/// A signed-in session (spec S1, S4, S5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Session {
    pub(crate) id: SessionId,
    pub(crate) user: UserId,
    #[serde(with = "crate::graph::datetime")]
    pub(crate) signed_in: DateTime<Utc>,
    pub(crate) source: SessionSource,
    pub(crate) methods: Vec<MethodKind>,
    pub(crate) satisfies_mfa: bool,
    /// The session's own end under the tenant's settings (spec S5, R7, R17, B2): kept
    /// up to date by the tenant ([`Tenant::refresh_session_ends`]).
    #[serde(with = "crate::graph::opt_datetime")]
    pub(crate) expires: Option<DateTime<Utc>>,
    /// Why the session ends at `expires` (`None` in older snapshots: the pass's end).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) expires_reason: Option<SessionEndReason>,
    /// The token expiry: for a pass session, the pass's end as it stood at sign-in
    /// (spec B2, R17); for a guest's session, the home session's.
    #[serde(default, with = "crate::graph::opt_datetime")]
    pub(crate) token_expires: Option<DateTime<Utc>>,
    /// For a guest's session, the home session's own end at sign-in.
    #[serde(
        default,
        with = "crate::graph::opt_datetime",
        skip_serializing_if = "Option::is_none"
    )]
    pub(crate) home_expires: Option<DateTime<Utc>>,
    pub(crate) ended: Option<SessionEnd>,
    /// The last multifactor proof in the session: the sign-in's, or a step-up's (R18).
    #[serde(default, with = "crate::graph::opt_datetime")]
    pub(crate) last_mfa: Option<DateTime<Utc>>,
    /// One `authenticationMethodModes` combination per proof: the sign-in's, then each
    /// step-up's (spec S11).
    #[serde(default)]
    pub(crate) authentication_method_modes: Vec<String>,
}

/// When and why a session was ended early.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SessionEnd {
    #[serde(with = "crate::graph::datetime")]
    at: DateTime<Utc>,
    reason: SessionEndReason,
}

impl Session {
    /// The session's id.
    pub fn id(&self) -> SessionId {
        self.id
    }
    /// The signed-in user.
    pub fn user(&self) -> UserId {
        self.user
    }
    /// When the user signed in.
    pub fn signed_in(&self) -> DateTime<Utc> {
        self.signed_in
    }
    /// How the session was obtained.
    pub fn source(&self) -> &SessionSource {
        &self.source
    }
    /// The methods used, first factor first.
    pub fn methods(&self) -> &[MethodKind] {
        &self.methods
    }
    /// Whether the session satisfies multifactor authentication (spec S1, S4, R8).
    pub fn satisfies_mfa(&self) -> bool {
        self.satisfies_mfa
    }
    /// When the session last proved multifactor authentication: at sign-in when that
    /// satisfied MFA, then at each successful step-up ([`Tenant::step_up`], spec R18).
    /// `None` while it never has.
    pub fn last_mfa(&self) -> Option<DateTime<Utc>> {
        self.last_mfa
    }
    /// The session's own end (exclusive), under the tenant's settings now (spec S5, R7,
    /// R17, B2): the earliest of the pass's end (for a pass session, unless
    /// `session_outlives_pass` is on), the home session's end (for a guest's session)
    /// and the sign-in frequency's bound. `None`: it lasts until revoked or signed out.
    pub fn expires(&self) -> Option<DateTime<Utc>> {
        self.expires
    }
    /// When the session's tokens expire (spec B2, R17): for a session signed in with a
    /// pass, the pass's end as it stood at sign-in, whatever happens to the pass later
    /// and whether or not the session outlives it; for a guest's session, its home
    /// session's. `None` for other sessions. A step-up changes it not (R18).
    pub fn token_expires(&self) -> Option<DateTime<Utc>> {
        self.token_expires
    }
    /// Whether the session is valid at `now` by its own ends (spec S5, R7, R15). A
    /// guest's session resting on a home session also ends with it: ask
    /// [`crate::World::session_status`] for that.
    pub fn status(&self, now: DateTime<Utc>) -> SessionStatus {
        let ended = self.ended.map(|e| (e.at, e.reason));
        let reason = self.expires_reason.unwrap_or(SessionEndReason::PassExpired);
        let expired = self
            .expires
            .filter(|end| now >= *end)
            .map(|end| (end, reason));
        match (ended, expired) {
            (Some(a), Some(b)) => {
                let (at, reason) = if a.0 <= b.0 { a } else { b };
                SessionStatus::Ended { at, reason }
            }
            (Some((at, reason)), None) | (None, Some((at, reason))) => {
                SessionStatus::Ended { at, reason }
            }
            (None, None) => SessionStatus::Active,
        }
    }
    /// The `authenticationMethodModes` combinations the session used, one per proof:
    /// the sign-in's first, then each step-up's (spec S11), such as
    /// `["password", "password,microsoftAuthenticatorPush"]`.
    pub fn authentication_method_modes(&self) -> &[String] {
        &self.authentication_method_modes
    }
    /// Whether the session satisfies a built-in authentication strength (spec S11): one
    /// of its combinations is allowed by it (combinations are never merged across
    /// proofs).
    ///
    /// ```
    /// # use chrono::{TimeZone, Utc};
    /// # use tapsim::*;
    /// # let mut t = Tenant::builder().clock(ManualClock::new(Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap())).hash_cost(HashCost::Minimum).build()?;
    /// # let ga = t.add_user(NewUser::member("ga@contoso.com", "GA").role(Role::GlobalAdministrator))?;
    /// # t.update_policy(ga, &PolicyPatch::new().state(PolicyState::Enabled))?;
    /// let ada = t.add_user(NewUser::member("ada@contoso.com", "Ada"))?;
    /// let issued = t.create_pass(ga, ada, PassOptions::new().usable_once(true))?;
    /// let out = t.sign_in("ada@contoso.com", Credential::Pass(issued.secret.danger_reveal()));
    /// let s = out.session().unwrap();
    /// assert_eq!(s.authentication_method_modes(), ["temporaryAccessPassOneTime"]);
    /// assert!(s.satisfies_strength(AuthenticationStrength::Multifactor));
    /// assert!(!s.satisfies_strength(AuthenticationStrength::PhishingResistantMfa));
    /// # Ok::<(), tapsim::Error>(())
    /// ```
    pub fn satisfies_strength(&self, strength: crate::AuthenticationStrength) -> bool {
        self.authentication_method_modes
            .iter()
            .any(|c| strength.allows(c))
    }
    /// The built-in strengths the session satisfies (spec S11), in
    /// [`crate::AuthenticationStrength::ALL`]'s order.
    pub fn strengths(&self) -> Vec<crate::AuthenticationStrength> {
        crate::AuthenticationStrength::ALL
            .into_iter()
            .filter(|s| self.satisfies_strength(*s))
            .collect()
    }
    /// Whether the session is valid at `now` by its own ends (see [`Session::status`]).
    pub fn is_active(&self, now: DateTime<Utc>) -> bool {
        self.status(now).is_active()
    }
}

/// Why a sign-in was denied (spec S2, S7, R5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum DenialReason {
    /// A wrong secret, no pass, a deleted or replaced pass, a removed or forged device,
    /// or an unknown user: all look the same (spec R5).
    InvalidCredential,
    /// The correct pass, but the policy blocks it: out of scope, disabled, or multi-use
    /// under a one-time policy (`DisabledByPolicy`, spec S2).
    PassDisabledByPolicy,
    /// The correct one-time pass, already used (`OneTimeUsed`, spec S2, S3).
    PassOneTimeUsed,
    /// The correct pass, past its end (`Expired`).
    PassExpired,
    /// The correct pass, before its start (`NotYetValid`).
    PassNotYetValid,
    /// Too many failed attempts (spec S7).
    AccountLocked,
    /// The account is disabled.
    AccountDisabled,
    /// The method only completes a second factor: present the password with it (spec R8).
    PasswordRequired,
}

/// The S2 message, quoted from the service.
pub const BLOCKED_BY_USER_CREDENTIAL_POLICY: &str =
    "Temporary Access Pass sign in was blocked due to User Credential Policy";

impl DenialReason {
    /// Every reason.
    pub const ALL: [DenialReason; 8] = [
        DenialReason::InvalidCredential,
        DenialReason::PassDisabledByPolicy,
        DenialReason::PassOneTimeUsed,
        DenialReason::PassExpired,
        DenialReason::PassNotYetValid,
        DenialReason::AccountLocked,
        DenialReason::AccountDisabled,
        DenialReason::PasswordRequired,
    ];

    /// The user-facing message (the service's own where the spec quotes it).
    pub const fn message(self) -> &'static str {
        match self {
            DenialReason::InvalidCredential => {
                "Error validating credentials due to invalid username or password."
            }
            DenialReason::PassDisabledByPolicy | DenialReason::PassOneTimeUsed => {
                BLOCKED_BY_USER_CREDENTIAL_POLICY
            }
            DenialReason::PassExpired => "The Temporary Access Pass has expired.",
            DenialReason::PassNotYetValid => "The Temporary Access Pass is not valid yet.",
            DenialReason::AccountLocked => {
                "The account is locked because the user tried to sign in too many times with an incorrect user ID or password."
            }
            DenialReason::AccountDisabled => "The user account is disabled.",
            DenialReason::PasswordRequired => {
                "This method is a second factor: sign in with the password first."
            }
        }
    }

    /// The reason's name, as serialized (`invalidCredential`, ...).
    pub const fn name(self) -> &'static str {
        match self {
            DenialReason::InvalidCredential => "invalidCredential",
            DenialReason::PassDisabledByPolicy => "passDisabledByPolicy",
            DenialReason::PassOneTimeUsed => "passOneTimeUsed",
            DenialReason::PassExpired => "passExpired",
            DenialReason::PassNotYetValid => "passNotYetValid",
            DenialReason::AccountLocked => "accountLocked",
            DenialReason::AccountDisabled => "accountDisabled",
            DenialReason::PasswordRequired => "passwordRequired",
        }
    }

    /// The closest AADSTS code, where one exists (spec S2) \[sim\].
    pub const fn aadsts_code(self) -> Option<i32> {
        match self {
            DenialReason::InvalidCredential => Some(50126),
            DenialReason::AccountLocked => Some(50053),
            DenialReason::AccountDisabled => Some(50057),
            DenialReason::PasswordRequired => Some(50074),
            _ => None,
        }
    }

    /// The usability reason a correct pass revealed, if this is such a denial.
    pub const fn usability_reason(self) -> Option<UsabilityReason> {
        match self {
            DenialReason::PassDisabledByPolicy => Some(UsabilityReason::DisabledByPolicy),
            DenialReason::PassOneTimeUsed => Some(UsabilityReason::OneTimeUsed),
            DenialReason::PassExpired => Some(UsabilityReason::Expired),
            DenialReason::PassNotYetValid => Some(UsabilityReason::NotYetValid),
            _ => None,
        }
    }

    /// Whether the attempt counts toward lockout (spec R6): every failure does, whatever
    /// the credential, except attempts while locked.
    const fn counts_as_failure(self) -> bool {
        !matches!(self, DenialReason::AccountLocked)
    }

    fn from_usability(r: UsabilityReason) -> Option<DenialReason> {
        match r {
            UsabilityReason::EnabledByPolicy => None,
            UsabilityReason::DisabledByPolicy => Some(DenialReason::PassDisabledByPolicy),
            UsabilityReason::OneTimeUsed => Some(DenialReason::PassOneTimeUsed),
            UsabilityReason::Expired => Some(DenialReason::PassExpired),
            UsabilityReason::NotYetValid => Some(DenialReason::PassNotYetValid),
        }
    }
}

impl fmt::Display for DenialReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

/// The credential the sign-in screen asks for first (spec R13, S1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum OfferedCredential {
    /// The user has a pass that reads `EnabledByPolicy`: the pass is asked for instead of
    /// the password.
    TemporaryAccessPass,
    /// Anything else, unknown users included.
    Password,
}

impl OfferedCredential {
    /// The name the sign-in screen (and the sign-in log) gives it:
    /// `Temporary Access Pass` or `Password`.
    pub const fn as_str(self) -> &'static str {
        match self {
            OfferedCredential::TemporaryAccessPass => "Temporary Access Pass",
            OfferedCredential::Password => "Password",
        }
    }
}

impl fmt::Display for OfferedCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A sign-in's decision: a session, or a reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Signed in.
    Allowed(Session),
    /// Not signed in.
    Denied(DenialReason),
}

/// One check a sign-in made, in order: the decision trace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Check {
    /// What was checked (at sign-in and at a step-up alike): `user`, `lockout`,
    /// `account`, `federation`, `credential`,
    /// `method`, `policy state`, `scope`, `one-time policy`, `one-time use`,
    /// `validity window`, `cross-tenant trust`.
    pub name: Cow<'static, str>,
    /// Whether it passed.
    pub passed: bool,
    /// What was found.
    pub detail: Cow<'static, str>,
}

/// The result of a sign-in: a decision with the checks behind it, and its log record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInOutcome {
    /// Allowed with a session, or denied with a reason.
    pub decision: Decision,
    /// The checks made, in order.
    pub trace: Vec<Check>,
    /// The id of the sign-in log record this attempt appended.
    pub log_record: Guid,
}

impl SignInOutcome {
    /// The session, if allowed.
    pub fn session(&self) -> Option<&Session> {
        match &self.decision {
            Decision::Allowed(s) => Some(s),
            Decision::Denied(_) => None,
        }
    }
    /// The denial reason, if denied.
    pub fn denial(&self) -> Option<DenialReason> {
        match &self.decision {
            Decision::Allowed(_) => None,
            Decision::Denied(r) => Some(*r),
        }
    }
    /// Whether the user signed in.
    pub fn is_allowed(&self) -> bool {
        matches!(self.decision, Decision::Allowed(_))
    }
}

/// `signInStatus`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignInStatus {
    /// `0` on success; the AADSTS code on failure, or `null` where none fits.
    pub error_code: Option<i32>,
    /// The failure's message (`null` on success).
    pub failure_reason: Option<String>,
    /// More detail (the denial reason's name).
    pub additional_details: Option<String>,
}

/// One `authenticationDetail` (Graph beta) of a sign-in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthenticationDetail {
    /// `authenticationMethod`, such as `Temporary Access Pass`.
    pub authentication_method: String,
    /// `authenticationStepDateTime`.
    #[serde(with = "crate::graph::datetime")]
    pub authentication_step_date_time: DateTime<Utc>,
    /// `authenticationStepRequirement`: `Primary authentication` or `MFA`.
    pub authentication_step_requirement: String,
    /// `authenticationStepResultDetail`.
    pub authentication_step_result_detail: String,
    /// `succeeded`.
    pub succeeded: bool,
}

/// One sign-in log record (Graph's `signIn`, with beta's `authenticationDetails` and
/// `authenticationRequirement`, spec S9).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignInRecord {
    /// `id`.
    pub id: Guid,
    /// `createdDateTime`.
    #[serde(with = "crate::graph::datetime")]
    pub created_date_time: DateTime<Utc>,
    /// `userId` (the nil GUID for an unknown user).
    pub user_id: Guid,
    /// `userPrincipalName`: the account's own; as typed for an unknown user; the home
    /// UPN for an external guest.
    pub user_principal_name: String,
    /// `userDisplayName`.
    pub user_display_name: Option<String>,
    /// `appDisplayName`.
    pub app_display_name: String,
    /// `clientAppUsed`.
    pub client_app_used: String,
    /// `isInteractive`.
    pub is_interactive: bool,
    /// `correlationId`.
    pub correlation_id: Guid,
    /// `homeTenantId`.
    pub home_tenant_id: TenantId,
    /// `resourceTenantId`.
    pub resource_tenant_id: TenantId,
    /// `status`.
    pub status: SignInStatus,
    /// `authenticationDetails` (beta).
    pub authentication_details: Vec<AuthenticationDetail>,
    /// `authenticationRequirement` (beta): `singleFactorAuthentication` or
    /// `multiFactorAuthentication`.
    pub authentication_requirement: String,
    /// The `authenticationMethodModes` combination the attempt proved (spec S11);
    /// `None` for a failed attempt. Not a Graph property: the Graph views leave it out.
    #[serde(default)]
    pub authentication_method_modes: Option<String>,
}

impl SignInRecord {
    /// Whether the attempt succeeded.
    pub fn succeeded(&self) -> bool {
        self.status.error_code == Some(0)
    }
    /// The built-in strengths the attempt's proof satisfies (spec S11): none for a
    /// failed attempt.
    pub fn strengths(&self) -> Vec<crate::AuthenticationStrength> {
        crate::AuthenticationStrength::ALL
            .into_iter()
            .filter(|s| {
                self.authentication_method_modes
                    .as_deref()
                    .is_some_and(|c| s.allows(c))
            })
            .collect()
    }
}

/// The longest user name a sign-in record keeps as typed: Entra's longest user principal
/// name. A longer name (no user has it) is cut there and marked with `…`, so that
/// attempts with huge names cannot grow the log without bound.
pub const MAX_LOGGED_NAME_CHARS: usize = 113;

fn logged_name(typed: &str) -> String {
    match typed.char_indices().nth(MAX_LOGGED_NAME_CHARS) {
        None => typed.to_owned(),
        Some((cut, _)) => format!("{}…", &typed[..cut]),
    }
}

/// The app every simulated sign-in is for.
pub const APP_DISPLAY_NAME: &str = "My Security Info";

/// What the credential check found, before usability.
enum Verified {
    Pass { one_time: bool, pass: PassId },
    Password,
    Method { method: MethodId, kind: MethodKind },
}

struct Attempt<'a> {
    upn: &'a str,
    user: Option<UserId>,
    methods: Vec<MethodKind>,
    trace: Vec<Check>,
    /// Verifications already made outside the lock (empty: verify inline).
    proofs: &'a Proofs,
}

impl Attempt<'_> {
    fn check(&mut self, name: &'static str, passed: bool, detail: impl Into<Cow<'static, str>>) {
        self.trace.push(Check {
            name: Cow::Borrowed(name),
            passed,
            detail: detail.into(),
        });
    }
}

impl Tenant {
    /// Evaluates a sign-in by `upn` with `credential` (spec S1 to S8, R5 to R8).
    ///
    /// Unlike admin calls, which name their target by [`UserId`], a sign-in names the
    /// user by principal name (ignoring case), as a person types it.
    ///
    /// Never fails: the outcome is allowed (with a session) or denied (with a reason),
    /// with the trace of checks made; every attempt appends one sign-in log record (S9).
    /// A wrong secret and a missing pass give the same denial and do the same hashing
    /// work.
    ///
    /// ```
    /// # use chrono::{TimeZone, Utc};
    /// # use tapsim::*;
    /// # let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap());
    /// # let mut t = Tenant::builder().clock(clock).hash_cost(HashCost::Minimum).build()?;
    /// # let pol = t.add_user(NewUser::member("pol@contoso.com", "Pol").role(Role::AuthenticationPolicyAdministrator))?;
    /// # t.update_policy(pol, &PolicyPatch::new().state(PolicyState::Enabled))?;
    /// # let hd = t.add_user(NewUser::member("hd@contoso.com", "HD").role(Role::AuthenticationAdministrator))?;
    /// let ada = t.add_user(NewUser::member("ada@contoso.com", "Ada").password("old password"))?;
    /// let issued = t.create_pass(hd, ada, PassOptions::default())?;
    /// let outcome = t.sign_in("ada@contoso.com", Credential::Pass(issued.secret.danger_reveal()));
    /// assert!(outcome.session().unwrap().satisfies_mfa());
    /// let wrong = t.sign_in("ada@contoso.com", Credential::Pass("nope1234"));
    /// assert_eq!(wrong.denial(), Some(DenialReason::InvalidCredential));
    /// # Ok::<(), tapsim::Error>(())
    /// ```
    pub fn sign_in(&mut self, upn: &str, credential: Credential<'_>) -> SignInOutcome {
        self.attempt(upn, credential, None, &Proofs::default())
    }

    /// The verifications a sign-in (or step-up) by `upn` with `credential` will need,
    /// given the tenant as it is now: the first of three phases that let sign-ins run in
    /// parallel behind a lock. Take them under the lock, run [`ProofRequest::verify`]
    /// with the lock released, then lock again and call
    /// [`Tenant::sign_in_with_proofs`], which re-checks everything against the tenant as
    /// it is by then. A one-time pass still signs in exactly once, a failure counts once,
    /// and a pass replaced in between does not sign in (its new hash has no proof, and
    /// is verified then).
    ///
    /// ```
    /// # use chrono::{TimeZone, Utc};
    /// # use tapsim::*;
    /// # let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap());
    /// # let mut t = Tenant::builder().clock(clock).hash_cost(HashCost::Minimum).build()?;
    /// # let pol = t.add_user(NewUser::member("pol@contoso.com", "Pol").role(Role::AuthenticationPolicyAdministrator))?;
    /// # t.update_policy(pol, &PolicyPatch::new().state(PolicyState::Enabled))?;
    /// # let hd = t.add_user(NewUser::member("hd@contoso.com", "HD").role(Role::AuthenticationAdministrator))?;
    /// let ada = t.add_user(NewUser::member("ada@contoso.com", "Ada"))?;
    /// let issued = t.create_pass(hd, ada, PassOptions::new().usable_once(true))?;
    /// let secret = issued.secret.danger_reveal();
    /// let tenant = std::sync::Mutex::new(t);
    /// // 1. Under the lock: what to verify.
    /// let request = tenant.lock().unwrap().proofs_needed("ada@contoso.com", Credential::Pass(secret));
    /// // 2. No lock: argon2id.
    /// let proofs = request.verify();
    /// // 3. Under the lock again: every rule, against the tenant as it is now.
    /// let outcome = tenant.lock().unwrap().sign_in_with_proofs("ada@contoso.com", Credential::Pass(secret), &proofs);
    /// assert!(outcome.is_allowed());
    /// let again = tenant.lock().unwrap().sign_in_with_proofs("ada@contoso.com", Credential::Pass(secret), &proofs);
    /// assert_eq!(again.denial(), Some(DenialReason::PassOneTimeUsed));
    /// # Ok::<(), tapsim::Error>(())
    /// ```
    pub fn proofs_needed(&self, upn: &str, credential: Credential<'_>) -> ProofRequest {
        let mut request = ProofRequest::default();
        let decoy = &self.state.decoy_hash;
        let Some(user) = self.state.directory.user_by_upn(upn) else {
            request.push("decoy", decoy);
            return request;
        };
        let now = self.now();
        let locked = self
            .state
            .sign_in
            .lockouts
            .get(&user.id())
            .and_then(|c| c.locked_until)
            .is_some_and(|until| now < until);
        if locked {
            return request;
        }
        let password = user.password.as_ref().unwrap_or(decoy);
        let device_hash = |d: &Device| {
            self.state
                .sign_in
                .methods
                .get(&user.id())
                .and_then(|ms| ms.iter().find(|m| m.id == d.method()))
                .filter(|_| d.user() == user.id())
                .map_or(decoy, |m| &m.hash)
        };
        match credential {
            Credential::Pass(secret) => {
                let hash = self.pass_of(user.id()).map_or(decoy, |r| &r.hash);
                request.push(secret, hash);
            }
            Credential::Password(pw) => request.push(pw, password),
            Credential::Device(d) => {
                request.push(d.danger_secret().danger_reveal(), device_hash(d))
            }
            Credential::PasswordAndDevice(pw, d) => {
                request.push(pw, password);
                request.push(d.danger_secret().danger_reveal(), device_hash(d));
            }
        }
        request
    }

    /// [`Tenant::sign_in`], using verifications made beforehand with no lock held (see
    /// [`Tenant::proofs_needed`]). Every rule is checked against the tenant as it is now;
    /// a verification the proofs do not hold (the state changed) is made here.
    pub fn sign_in_with_proofs(
        &mut self,
        upn: &str,
        credential: Credential<'_>,
        proofs: &Proofs,
    ) -> SignInOutcome {
        self.attempt(upn, credential, None, proofs)
    }

    /// Whether `credential` proves `upn`'s identity here, with nothing changed: the user
    /// exists, is not locked out, and every secret presented matches (the pass, the
    /// password, the registered device). Another tenant asks this before it says anything
    /// about its own view of the account (spec R5, R15: a disabled guest).
    pub(crate) fn proves_credential(
        &self,
        upn: &str,
        credential: Credential<'_>,
        proofs: &Proofs,
    ) -> bool {
        let Some(user) = self.state.directory.user_by_upn(upn) else {
            return false;
        };
        let id = user.id();
        if self
            .locked_until(id)
            .is_some_and(|until| self.now() < until)
        {
            return false;
        }
        let password = |pw: &str| {
            user.password
                .as_ref()
                .is_some_and(|h| self.verified(proofs, pw, h))
        };
        let device = |d: &Device| {
            d.user() == id
                && self
                    .methods_of(id)
                    .iter()
                    .find(|m| m.id == d.method())
                    .is_some_and(|m| {
                        self.verified(proofs, d.danger_secret().danger_reveal(), &m.hash)
                    })
        };
        match credential {
            Credential::Pass(secret) => self
                .pass_of(id)
                .is_some_and(|r| self.verified(proofs, secret, &r.hash)),
            Credential::Password(pw) => password(pw),
            Credential::Device(d) => device(d),
            Credential::PasswordAndDevice(pw, d) => password(pw) && device(d),
        }
    }

    /// Whether `secret` matches `hash`: from the proofs when they hold this very pair,
    /// else verified now.
    fn verified(&self, proofs: &Proofs, secret: &str, hash: &crate::crypto::PhcHash) -> bool {
        proofs
            .get(secret, hash)
            .unwrap_or_else(|| self.hasher.verify(secret, hash))
    }

    /// Proves a credential again inside `session` (spec R18, B2's S6): a pass, a
    /// registered method, or the password with a second factor, of the session's own user.
    ///
    /// The session is checked first: unknown is `itemNotFound`; ended (or a guest's,
    /// which steps up through its home tenant: [`crate::World::step_up`]) is
    /// `accessDenied`. A password alone is no
    /// step-up: `badRequest`, with no log record and no lockout count. Otherwise the
    /// credential goes through exactly the checks of [`Tenant::sign_in`] (S2, S3, R5, the
    /// lockout of R6), and the attempt leaves a sign-in log record: a failure counts
    /// toward lockout, a consumed one-time pass cannot step up. A success refreshes the
    /// session's [`Session::last_mfa`] (and the session then satisfies MFA), resets the
    /// failure count, and changes none of the session's ends; the outcome carries the
    /// session as it now is.
    ///
    /// ```
    /// # use chrono::{Duration, TimeZone, Utc};
    /// # use tapsim::*;
    /// # let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap());
    /// # let mut t = Tenant::builder().clock(clock.clone()).hash_cost(HashCost::Minimum).build()?;
    /// # let pol = t.add_user(NewUser::member("pol@contoso.com", "Pol").role(Role::AuthenticationPolicyAdministrator))?;
    /// # t.update_policy(pol, &PolicyPatch::new().state(PolicyState::Enabled))?;
    /// # let hd = t.add_user(NewUser::member("hd@contoso.com", "HD").role(Role::AuthenticationAdministrator))?;
    /// let ada = t.add_user(NewUser::member("ada@contoso.com", "Ada").password("pw"))?;
    /// let issued = t.create_pass(hd, ada, PassOptions::default())?;
    /// let session = t.sign_in("ada@contoso.com", Credential::Password("pw")).session().unwrap().id();
    /// clock.advance(Duration::minutes(20));
    /// let out = t.step_up(session, Credential::Pass(issued.secret.danger_reveal()))?;
    /// assert_eq!(out.session().unwrap().last_mfa(), Some(t.now()));
    /// let err = t.step_up(session, Credential::Password("pw")).unwrap_err();
    /// assert_eq!(err.code(), ErrorCode::BadRequest);
    /// # Ok::<(), tapsim::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::SessionNotFound`]; `accessDenied` for an ended session or one resting on
    /// a home-tenant session; [`Error::PasswordAloneIsNoStepUp`].
    pub fn step_up(
        &mut self,
        session: SessionId,
        credential: Credential<'_>,
    ) -> Result<SignInOutcome> {
        self.step_up_with_proofs(session, credential, &Proofs::default())
    }

    /// [`Tenant::step_up`] with verifications made beforehand (see
    /// [`Tenant::proofs_needed`], asked for the session's user).
    ///
    /// # Errors
    /// As [`Tenant::step_up`].
    pub fn step_up_with_proofs(
        &mut self,
        session: SessionId,
        credential: Credential<'_>,
        proofs: &Proofs,
    ) -> Result<SignInOutcome> {
        let user = self.live_session(session, None)?.user();
        if matches!(credential, Credential::Password(_)) {
            return Err(Error::PasswordAloneIsNoStepUp);
        }
        let upn = self
            .state
            .directory
            .user(user)
            .map(|u| u.user_principal_name().to_owned())
            .ok_or_else(|| Error::UserNotFound(user.to_string()))?;
        Ok(self.attempt(&upn, credential, Some(session), proofs))
    }

    /// One attempt to prove `credential` as `upn`: a sign-in (`into` `None`), or a
    /// step-up inside session `into`. The same checks, lockout and log either way.
    fn attempt(
        &mut self,
        upn: &str,
        credential: Credential<'_>,
        into: Option<SessionId>,
        proofs: &Proofs,
    ) -> SignInOutcome {
        let now = self.now();
        let mut attempt = Attempt {
            upn,
            user: None,
            methods: credential.methods(),
            trace: Vec::with_capacity(10),
            proofs,
        };
        let result = self.evaluate(now, credential, &mut attempt);
        let mut modes = None;
        let (decision, requirement) = match result {
            Ok((verified, mfa)) => {
                let user = attempt.user.unwrap_or(UserId(Guid::NIL));
                let one_time = matches!(verified, Verified::Pass { one_time: true, .. });
                let federated = self
                    .state
                    .directory
                    .user(user)
                    .is_some_and(|u| u.is_federated());
                let combination =
                    crate::strength::combination(&attempt.methods, one_time, federated);
                modes = Some(combination.clone());
                let session = match into {
                    None => Some(self.open_session(
                        user,
                        now,
                        verified,
                        attempt.methods.clone(),
                        mfa,
                        combination,
                    )),
                    Some(id) => self.refresh_session(id, user, now, mfa, combination),
                };
                match session {
                    Some(session) => (Decision::Allowed(session), mfa),
                    // step_up checked the session before: it exists. Were it gone, the
                    // attempt would be denied rather than panic.
                    None => (Decision::Denied(DenialReason::InvalidCredential), false),
                }
            }
            Err(reason) => {
                if let Some(user) = attempt.user
                    && reason.counts_as_failure()
                {
                    self.count_failure(user, now);
                }
                (Decision::Denied(reason), false)
            }
        };
        let home = self.id();
        let log_record = self.log_sign_in(
            now,
            attempt.user,
            attempt.upn,
            &attempt.methods,
            &decision,
            requirement,
            home,
        );
        if let Some(r) = self.state.sign_in.log.last_mut()
            && r.id == log_record
        {
            r.authentication_method_modes = modes;
        }
        SignInOutcome {
            decision,
            trace: attempt.trace,
            log_record,
        }
    }

    fn evaluate(
        &mut self,
        now: DateTime<Utc>,
        credential: Credential<'_>,
        a: &mut Attempt<'_>,
    ) -> std::result::Result<(Verified, bool), DenialReason> {
        let Some(user) = self.state.directory.user_by_upn(a.upn) else {
            // Same hashing work as for a real user (spec S2, R5): one verification per
            // secret presented.
            let secrets = match credential {
                Credential::PasswordAndDevice(..) => 2,
                _ => 1,
            };
            for _ in 0..secrets {
                self.verified(a.proofs, "decoy", &self.state.decoy_hash);
            }
            a.check("user", false, format!("no user `{}`", a.upn));
            return Err(DenialReason::InvalidCredential);
        };
        let (user_id, enabled, federated) =
            (user.id(), user.account_enabled(), user.is_federated());
        a.user = Some(user_id);
        a.check(
            "user",
            true,
            format!("`{}` found", user.user_principal_name()),
        );
        let counter = self.state.sign_in.lockouts.get(&user_id);
        if let Some(until) = counter.and_then(|c| c.locked_until).filter(|u| now < *u) {
            a.check(
                "lockout",
                false,
                format!("locked until {}", crate::graph::format_datetime(&until)),
            );
            return Err(DenialReason::AccountLocked);
        }
        a.check("lockout", true, "not locked");
        // The account's state is told only to whoever proves the credential (spec R5):
        // each arm below checks it right after the credential, before anything else.
        let account = |a: &mut Attempt<'_>| {
            if enabled {
                a.check("account", true, "account enabled");
                Ok(())
            } else {
                a.check("account", false, "account disabled");
                Err(DenialReason::AccountDisabled)
            }
        };
        // A federated user's password goes to the federation provider, which tapsim stands
        // in for (spec R12): checked here, in the same order as any credential. A pass or
        // a device is checked by Entra itself (spec S8).
        let uses_password = matches!(
            credential,
            Credential::Password(_) | Credential::PasswordAndDevice(..)
        );
        if federated {
            a.check(
                "federation",
                true,
                if uses_password {
                    "federated user: the password is sent to the federation provider (simulated, R12)"
                } else {
                    "federated user: checked by Entra ID, not sent to the federation provider"
                },
            );
        }
        let (wrong_password, right_password) = if federated {
            (
                "the federation provider rejected the password (R12)",
                "the federation provider verified the password (R12)",
            )
        } else {
            ("wrong password", "password verified")
        };
        match credential {
            Credential::Pass(secret) => self.evaluate_pass(now, user_id, secret, a, account),
            Credential::Password(pw) => {
                if !self.verify_password(user_id, pw, a.proofs) {
                    a.check("credential", false, wrong_password);
                    return Err(DenialReason::InvalidCredential);
                }
                a.check(
                    "credential",
                    true,
                    format!("{right_password}: single factor (S4)"),
                );
                account(a)?;
                Ok((Verified::Password, false))
            }
            Credential::Device(device) => {
                let kind = self.verify_device(user_id, device, a)?;
                account(a)?;
                if !kind.is_passwordless() {
                    a.check(
                        "method",
                        false,
                        format!("{kind} needs the password first (R8)"),
                    );
                    return Err(DenialReason::PasswordRequired);
                }
                a.check(
                    "method",
                    true,
                    format!("{kind} signs in alone and satisfies MFA (R8)"),
                );
                Ok((
                    Verified::Method {
                        method: device.method(),
                        kind,
                    },
                    true,
                ))
            }
            Credential::PasswordAndDevice(pw, device) => {
                let password_ok = self.verify_password(user_id, pw, a.proofs);
                let kind = self.verify_device(user_id, device, a);
                if !password_ok {
                    a.check("credential", false, wrong_password);
                    return Err(DenialReason::InvalidCredential);
                }
                let kind = kind?;
                a.check("credential", true, right_password);
                account(a)?;
                a.check(
                    "method",
                    true,
                    format!("password and {kind}: MFA satisfied (R8)"),
                );
                Ok((
                    Verified::Method {
                        method: device.method(),
                        kind,
                    },
                    true,
                ))
            }
        }
    }

    fn verify_password(&self, user: UserId, pw: &str, proofs: &Proofs) -> bool {
        match self
            .state
            .directory
            .user(user)
            .and_then(|u| u.password.as_ref())
        {
            Some(h) => self.verified(proofs, pw, h),
            None => {
                self.verified(proofs, pw, &self.state.decoy_hash);
                false
            }
        }
    }

    fn verify_device(
        &self,
        user: UserId,
        device: &Device,
        a: &mut Attempt<'_>,
    ) -> std::result::Result<MethodKind, DenialReason> {
        let record = self
            .state
            .sign_in
            .methods
            .get(&user)
            .and_then(|ms| ms.iter().find(|m| m.id == device.method()))
            .filter(|_| device.user() == user);
        let hash = record.map_or(&self.state.decoy_hash, |r| &r.hash);
        let ok = self.verified(a.proofs, device.danger_secret().danger_reveal(), hash)
            && record.is_some();
        match record {
            Some(r) if ok => {
                a.check("credential", true, format!("{} verified", r.kind));
                Ok(r.kind)
            }
            _ => {
                a.check(
                    "credential",
                    false,
                    "device not registered for this user, or its proof is wrong",
                );
                Err(DenialReason::InvalidCredential)
            }
        }
    }

    fn evaluate_pass(
        &mut self,
        now: DateTime<Utc>,
        user: UserId,
        secret: &str,
        a: &mut Attempt<'_>,
        account: impl FnOnce(&mut Attempt<'_>) -> std::result::Result<(), DenialReason>,
    ) -> std::result::Result<(Verified, bool), DenialReason> {
        let record = self.pass_of(user);
        let hash = record.map_or(&self.state.decoy_hash, |r| &r.hash);
        let ok = self.verified(a.proofs, secret, hash) && record.is_some();
        let Some(record) = record.filter(|_| ok) else {
            a.check("credential", false, "no pass matches this value (R5)");
            return Err(DenialReason::InvalidCredential);
        };
        a.check("credential", true, "pass value verified");
        account(a)?;
        let policy = &self.state.policy;
        let scope = self.scope_of(user);
        a.check(
            "policy state",
            policy.state == crate::PolicyState::Enabled,
            match policy.state {
                crate::PolicyState::Enabled => "policy is enabled",
                crate::PolicyState::Disabled => "policy is disabled",
            },
        );
        a.check("scope", scope.is_in_scope(), scope.as_str());
        let one_time_policy_ok = !policy.is_usable_once || record.is_usable_once;
        a.check(
            "one-time policy",
            one_time_policy_ok,
            if one_time_policy_ok {
                "pass allowed by isUsableOnce"
            } else {
                "multi-use pass under a one-time policy (P7)"
            },
        );
        let used = record.is_usable_once && record.used;
        a.check(
            "one-time use",
            !used,
            if used {
                "one-time pass already used"
            } else {
                "not consumed"
            },
        );
        let in_window = now >= record.start && now < record.end();
        a.check(
            "validity window",
            in_window,
            format!(
                "valid from {} to {} (exclusive)",
                crate::graph::format_datetime(&record.start),
                crate::graph::format_datetime(&record.end())
            ),
        );
        let reason = record.usability(scope, policy.is_usable_once, now);
        if let Some(denial) = DenialReason::from_usability(reason) {
            return Err(denial);
        }
        let (pass, one_time) = (record.id, record.is_usable_once);
        if let Some(Some(r)) = self.pass_slot_mut(user) {
            r.last_used = Some(now);
            if r.is_usable_once {
                r.used = true;
            }
        }
        Ok((Verified::Pass { one_time, pass }, true))
    }

    fn open_session(
        &mut self,
        user: UserId,
        now: DateTime<Utc>,
        verified: Verified,
        methods: Vec<MethodKind>,
        mfa: bool,
        combination: String,
    ) -> Session {
        if let Some(c) = self.state.sign_in.lockouts.get_mut(&user) {
            c.failures = 0;
        }
        let (source, token_expires) = match verified {
            Verified::Pass { one_time, pass } => (
                SessionSource::Pass { pass, one_time },
                self.pass_of(user).map(|p| p.end()),
            ),
            Verified::Password => (SessionSource::Password, None),
            Verified::Method { method, kind } => (SessionSource::Method { method, kind }, None),
        };
        let mut session = Session {
            id: SessionId(Guid::random(&mut self.state.rng)),
            user,
            signed_in: now,
            source,
            methods,
            satisfies_mfa: mfa,
            expires: None,
            expires_reason: None,
            token_expires,
            home_expires: None,
            ended: None,
            last_mfa: mfa.then_some(now),
            authentication_method_modes: vec![combination],
        };
        self.set_own_end(&mut session);
        self.state
            .sign_in
            .sessions
            .insert(session.id, session.clone());
        session
    }

    /// A successful step-up (spec R18): the failure count resets, the session's last
    /// multifactor proof is now; none of its ends change.
    fn refresh_session(
        &mut self,
        id: SessionId,
        user: UserId,
        now: DateTime<Utc>,
        mfa: bool,
        combination: String,
    ) -> Option<Session> {
        if let Some(c) = self.state.sign_in.lockouts.get_mut(&user) {
            c.failures = 0;
        }
        let s = self.state.sign_in.sessions.get_mut(&id)?;
        s.authentication_method_modes.push(combination);
        if mfa {
            s.last_mfa = Some(now);
            s.satisfies_mfa = true;
        }
        Some(s.clone())
    }

    pub(crate) fn count_failure(&mut self, user: UserId, now: DateTime<Utc>) {
        let settings = self.state.config.lockout;
        let c = self.state.sign_in.lockouts.entry(user).or_default();
        c.failures = c.failures.saturating_add(1);
        if c.failures >= settings.threshold {
            c.failures = 0;
            c.lockouts = c.lockouts.saturating_add(1);
            // A lockout too long to represent lasts to the end of time, never to none.
            c.locked_until = Some(
                now.checked_add_signed(settings.lockout_length(c.lockouts))
                    .map_or(crate::graph::latest_instant(), |t| {
                        t.min(crate::graph::latest_instant())
                    }),
            );
        }
    }

    /// Says, on this home tenant's record `record` of a guest's attempt, that the
    /// resource signed in to is in tenant `resource` (spec R11: Graph's
    /// `resourceTenantId` is the tenant of the resource, `homeTenantId` the user's).
    pub(crate) fn log_for_resource(&mut self, record: Guid, resource: TenantId) {
        // The record was just written: it is the last one, or near it.
        if let Some(r) = self
            .state
            .sign_in
            .log
            .iter_mut()
            .rev()
            .find(|r| r.id == record)
        {
            r.resource_tenant_id = resource;
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn log_sign_in(
        &mut self,
        now: DateTime<Utc>,
        user: Option<UserId>,
        upn: &str,
        methods: &[MethodKind],
        decision: &Decision,
        mfa: bool,
        home: TenantId,
    ) -> Guid {
        let user = user.and_then(|u| self.state.directory.user(u));
        let (status, succeeded) = match decision {
            Decision::Allowed(_) => (
                SignInStatus {
                    error_code: Some(0),
                    failure_reason: None,
                    additional_details: None,
                },
                true,
            ),
            Decision::Denied(r) => (
                SignInStatus {
                    error_code: r.aadsts_code(),
                    failure_reason: Some(r.message().to_owned()),
                    additional_details: Some(r.name().to_owned()),
                },
                false,
            ),
        };
        let details = methods
            .iter()
            .enumerate()
            .map(|(i, m)| AuthenticationDetail {
                authentication_method: m.display_name().to_owned(),
                authentication_step_date_time: now,
                authentication_step_requirement: if i == 0 {
                    "Primary authentication"
                } else {
                    "MFA"
                }
                .to_owned(),
                authentication_step_result_detail: if succeeded {
                    "Correct credential".to_owned()
                } else {
                    status.failure_reason.clone().unwrap_or_default()
                },
                succeeded,
            })
            .collect();
        let record = SignInRecord {
            id: Guid::random(&mut self.state.rng),
            created_date_time: now,
            user_id: user.map_or(Guid::NIL, |u| u.id().guid()),
            // The account's own UPN, as Entra logs it; as typed for an unknown user, and the
            // home UPN for a guest signing in from their home tenant.
            user_principal_name: user
                .filter(|u| u.user_type() != crate::UserType::ExternalGuest)
                .map_or_else(|| logged_name(upn), |u| u.user_principal_name().to_owned()),
            user_display_name: user.map(|u| u.display_name().to_owned()),
            app_display_name: APP_DISPLAY_NAME.to_owned(),
            client_app_used: "Browser".to_owned(),
            is_interactive: true,
            correlation_id: Guid::random(&mut self.state.rng),
            home_tenant_id: home,
            resource_tenant_id: self.id(),
            status,
            authentication_method_modes: None,
            authentication_details: details,
            authentication_requirement: if mfa {
                "multiFactorAuthentication"
            } else {
                "singleFactorAuthentication"
            }
            .to_owned(),
        };
        let id = record.id;
        self.state.sign_in.log.push(record);
        self.trim_logs();
        id
    }

    /// Which credential the sign-in screen asks `upn` for first (spec R13, S1): the
    /// Temporary Access Pass when the user has a pass that reads `EnabledByPolicy` now,
    /// else the password. Like the real screen it may tell whether a usable pass exists;
    /// it proves nothing, so it counts toward no lockout, leaves no log record and
    /// changes nothing. An unknown user gets [`OfferedCredential::Password`]; a locked or
    /// disabled user gets the answer they would get otherwise.
    ///
    /// ```
    /// # use chrono::{TimeZone, Utc};
    /// # use tapsim::*;
    /// # let mut t = Tenant::builder().clock(ManualClock::new(Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap())).hash_cost(HashCost::Minimum).build()?;
    /// # let pol = t.add_user(NewUser::member("pol@contoso.com", "Pol").role(Role::AuthenticationPolicyAdministrator))?;
    /// # t.update_policy(pol, &PolicyPatch::new().state(PolicyState::Enabled))?;
    /// # let hd = t.add_user(NewUser::member("hd@contoso.com", "HD").role(Role::AuthenticationAdministrator))?;
    /// let ada = t.add_user(NewUser::member("ada@contoso.com", "Ada").password("pw"))?;
    /// assert_eq!(t.offer("ada@contoso.com"), OfferedCredential::Password);
    /// t.create_pass(hd, ada, PassOptions::default())?;
    /// assert_eq!(t.offer("ADA@contoso.com").as_str(), "Temporary Access Pass");
    /// assert_eq!(t.offer("nobody@contoso.com"), OfferedCredential::Password);
    /// assert!(t.sign_in_log().is_empty());
    /// # Ok::<(), tapsim::Error>(())
    /// ```
    pub fn offer(&self, upn: &str) -> OfferedCredential {
        let usable = self
            .state
            .directory
            .user_by_upn(upn)
            .and_then(|u| self.pass_view(u.id()))
            .is_some_and(|p| p.method_usability_reason == UsabilityReason::EnabledByPolicy);
        if usable {
            OfferedCredential::TemporaryAccessPass
        } else {
            OfferedCredential::Password
        }
    }

    /// The sign-in log, oldest first (spec S9).
    pub fn sign_in_log(&self) -> &[SignInRecord] {
        let log = &self.state.sign_in.log;
        &log[log
            .len()
            .saturating_sub(self.state.config.log_capacity as usize)..]
    }

    /// A session by id (an observer's view).
    pub fn session(&self, id: SessionId) -> Option<&Session> {
        self.state.sign_in.sessions.get(&id)
    }

    /// Whether a session is valid now (spec S5, R7, R15), as far as this tenant can see:
    /// its own ends. A guest's session that rests on a home-tenant session also ends with
    /// that one, which only [`crate::World::session_status`] can see; this tenant's own
    /// checks refuse such a session rather than guess ([`Denial::HomeSessionUnseen`]).
    ///
    /// # Errors
    /// [`Error::SessionNotFound`].
    pub fn session_status(&self, id: SessionId) -> Result<SessionStatus> {
        self.session_status_with(id, None)
    }

    /// The one rule for whether a session is valid now (spec S5, R7, R11, R15): its own
    /// ends (the pass's end, deletion or replacement of the pass, sign-out, revocation),
    /// and, for a session resting on a home-tenant session, `home`: that session's status
    /// as the caller sees it (`None` when it cannot see it). Every check and view, the
    /// tenant's and the [`crate::World`]'s, goes through here.
    pub(crate) fn session_status_with(
        &self,
        id: SessionId,
        home: Option<SessionStatus>,
    ) -> Result<SessionStatus> {
        let s = self
            .session(id)
            .ok_or_else(|| Error::SessionNotFound(id.to_string()))?;
        let own = s.status(self.now());
        Ok(match (&s.source, home) {
            (SessionSource::HomeTenant { .. }, Some(home)) => own.and(home),
            _ => own,
        })
    }

    /// The session, if it is valid now (spec R9, R15, R18): unknown is `itemNotFound`;
    /// ended, or resting on a home session the caller did not resolve (`home` `None`), is
    /// `accessDenied`.
    pub(crate) fn live_session(
        &self,
        id: SessionId,
        home: Option<SessionStatus>,
    ) -> Result<&Session> {
        let status = self.session_status_with(id, home)?;
        let s = self
            .session(id)
            .ok_or_else(|| Error::SessionNotFound(id.to_string()))?;
        if matches!(s.source, SessionSource::HomeTenant { .. }) && home.is_none() {
            return Err(Denial::HomeSessionUnseen.into());
        }
        if !status.is_active() {
            return Err(Denial::SessionNotValid.into());
        }
        Ok(s)
    }

    /// Revokes every sign-in session of `user`, as `actor` (Graph's
    /// `revokeSignInSessions`, spec R15). Returns how many sessions were live and ended.
    ///
    /// Checks in R1's order: the actor (unknown or disabled: `accessDenied`), the user
    /// (`itemNotFound`), then permission: anyone on themselves, Global and Privileged
    /// Authentication Administrators on anyone, and the Authentication, Helpdesk,
    /// Password and User Administrators on the users of their column of Microsoft's
    /// table ([`crate::authz::check_revoke_sessions`]). In a resource tenant an external
    /// guest's sessions belong to the home tenant: nothing ends here (revoke at home, and
    /// the guest's sessions here end with the home ones, [`crate::World::session_status`]).
    /// Succeeds even when no session was live, and always leaves one
    /// `Invalidate all refresh tokens for user` record (`UserManagement`,
    /// `Core Directory`).
    ///
    /// ```
    /// # use chrono::{TimeZone, Utc};
    /// # use tapsim::*;
    /// # let mut t = Tenant::builder().clock(ManualClock::new(Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap())).hash_cost(HashCost::Minimum).build()?;
    /// let helpdesk = t.add_user(NewUser::member("hd@contoso.com", "HD").role(Role::HelpdeskAdministrator))?;
    /// let ada = t.add_user(NewUser::member("ada@contoso.com", "Ada").password("pw"))?;
    /// let session = t.sign_in("ada@contoso.com", Credential::Password("pw")).session().unwrap().id();
    /// assert_eq!(t.revoke_sign_in_sessions(helpdesk, ada)?, 1);
    /// assert!(matches!(
    ///     t.session_status(session)?,
    ///     SessionStatus::Ended { reason: SessionEndReason::Revoked, .. }
    /// ));
    /// assert_eq!(t.revoke_sign_in_sessions(ada, ada)?, 0); // nothing live: still audited
    /// assert_eq!(t.audit_log()[1].activity_display_name, "Invalidate all refresh tokens for user");
    /// # Ok::<(), tapsim::Error>(())
    /// ```
    ///
    /// # Errors
    /// `accessDenied`, `itemNotFound` as above.
    pub fn revoke_sign_in_sessions(&mut self, actor: UserId, user: UserId) -> Result<usize> {
        let target = self.target_checked_by(actor, user)?;
        let external = target == crate::UserType::ExternalGuest;
        let now = self.now();
        let mut ended = 0;
        if !external {
            for s in self.state.sign_in.sessions.values_mut() {
                if s.user == user && s.status(now).is_active() {
                    s.ended = Some(SessionEnd {
                        at: now,
                        reason: SessionEndReason::Revoked,
                    });
                    ended += 1;
                }
            }
        }
        let props = vec![crate::audit::ModifiedProperty {
            display_name: "StsRefreshTokensValidFrom".to_owned(),
            old_value: None,
            new_value: Some(crate::graph::format_datetime(&now)),
        }];
        let target = self.user_target(user, props);
        self.audit(
            actor,
            crate::audit::Activity::RevokeSignInSessions,
            target,
            Vec::new(),
        );
        Ok(ended)
    }

    /// R1's checks for a revocation: actor, user, permission. Returns the user's type.
    fn target_checked_by(&self, actor: UserId, user: UserId) -> Result<crate::UserType> {
        let actor = self.actor(actor)?;
        let target = self.target(user)?;
        crate::authz::check_revoke_sessions(actor, target)?;
        Ok(target.user_type())
    }

    /// Signs a session out. Signing out an ended session changes nothing.
    ///
    /// # Errors
    /// [`Error::SessionNotFound`].
    pub fn sign_out(&mut self, id: SessionId) -> Result<()> {
        let now = self.now();
        let s = self
            .state
            .sign_in
            .sessions
            .get_mut(&id)
            .ok_or_else(|| Error::SessionNotFound(id.to_string()))?;
        if s.status(now) == SessionStatus::Active {
            s.ended = Some(SessionEnd {
                at: now,
                reason: SessionEndReason::SignedOut,
            });
        }
        Ok(())
    }

    /// Ends the sessions signed in with `pass` (spec S5, T12), unless they outlive it
    /// (B2's `session_outlives_pass`).
    pub(crate) fn end_sessions_of_pass(&mut self, pass: PassId, at: DateTime<Utc>) {
        if self.state.config.switches.session_outlives_pass {
            return;
        }
        for s in self.state.sign_in.sessions.values_mut() {
            let from_pass = matches!(s.source, SessionSource::Pass { pass: p, .. } if p == pass);
            if from_pass && s.status(at) == SessionStatus::Active {
                s.ended = Some(SessionEnd {
                    at,
                    reason: SessionEndReason::PassDeleted,
                });
            }
        }
    }

    /// A session's own end under the tenant's settings now (spec S5, R7, R17, B2), and
    /// why: the earliest of the pass's end (a pass session whose pass it does not
    /// outlive), the home session's end (a guest's session) and the sign-in frequency.
    fn own_end(&self, s: &Session) -> Option<(DateTime<Utc>, SessionEndReason)> {
        let outlives = self.state.config.switches.session_outlives_pass;
        let cap = match s.source {
            SessionSource::Pass { .. } if !outlives => s.token_expires,
            SessionSource::HomeTenant { .. } => s.home_expires,
            _ => None,
        }
        .map(|t| (t, SessionEndReason::PassExpired));
        let frequency = self
            .state
            .config
            .session_controls
            .sign_in_frequency_minutes
            .map(|m| {
                (
                    crate::pass::add_minutes(s.signed_in, i64::from(m)),
                    SessionEndReason::SignInFrequency,
                )
            });
        match (cap, frequency) {
            (Some(c), Some(f)) => Some(if f.0 < c.0 { f } else { c }),
            (c, f) => c.or(f),
        }
    }

    /// Sets a session's own end from the tenant's settings now.
    pub(crate) fn set_own_end(&self, s: &mut Session) {
        let end = self.own_end(s);
        s.expires = end.map(|e| e.0);
        s.expires_reason = end.map(|e| e.1);
    }

    /// Recomputes every session's own end after a change of switches or session
    /// controls (spec R14: settings apply to existing sessions too). An end already
    /// reached stays in the past only if the new settings still put it there.
    pub(crate) fn refresh_session_ends(&mut self) {
        let ends: Vec<_> = self
            .state
            .sign_in
            .sessions
            .values()
            .map(|s| (s.id, self.own_end(s)))
            .collect();
        for (id, end) in ends {
            if let Some(s) = self.state.sign_in.sessions.get_mut(&id) {
                s.expires = end.map(|e| e.0);
                s.expires_reason = end.map(|e| e.1);
            }
        }
    }

    /// Whether the user is locked out now, and until when (spec S7).
    pub fn locked_until(&self, user: UserId) -> Option<DateTime<Utc>> {
        let now = self.now();
        self.state
            .sign_in
            .lockouts
            .get(&user)
            .and_then(|c| c.locked_until)
            .filter(|u| now < *u)
    }

    /// Trusts (or stops trusting) MFA done in `home` for guests signing in here
    /// (spec S10's cross-tenant access settings).
    pub fn set_inbound_mfa_trust(&mut self, home: TenantId, trusted: bool) {
        if trusted {
            self.state.sign_in.trusted_mfa_tenants.insert(home);
        } else {
            self.state.sign_in.trusted_mfa_tenants.remove(&home);
        }
    }

    /// Whether this tenant trusts MFA from `home`.
    pub fn trusts_mfa_from(&self, home: TenantId) -> bool {
        self.state.sign_in.trusted_mfa_tenants.contains(&home)
    }
}
