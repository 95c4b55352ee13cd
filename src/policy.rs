//! The Temporary Access Pass policy (`temporaryAccessPassAuthenticationMethodConfiguration`,
//! spec P1 to P8): fields, defaults, partial updates, validation, and who is in scope.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::directory::{Directory, User};
use crate::error::{Invalid, Result};
use crate::ids::{GroupId, UserId};
use crate::profile::Switches;

/// The Graph `@odata.type` of the policy.
pub const POLICY_ODATA_TYPE: &str =
    "#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration";

/// The policy's fixed id (spec P1).
pub const POLICY_ID: &str = "TemporaryAccessPass";

/// Bounds of every lifetime field, in minutes: 10 minutes to 30 days (spec P2).
pub const LIFETIME_RANGE: std::ops::RangeInclusive<u32> = 10..=43_200;

/// Bounds of `defaultLength` (spec P2).
pub const LENGTH_RANGE: std::ops::RangeInclusive<u32> = 8..=48;

/// Whether the method is on (`authenticationMethodState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum PolicyState {
    /// `enabled`.
    Enabled,
    /// `disabled`.
    Disabled,
}

/// The kind of a target (`authenticationMethodTargetType`). Only `group` is accepted in
/// the TAP policy (spec R4); the others exist so that Graph bodies parse and get a clear
/// error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum TargetType {
    /// `user`.
    User,
    /// `group`.
    Group,
    /// `unknownFutureValue`.
    UnknownFutureValue,
}

/// What a target names: every user (`all_users`) or one group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TargetId {
    /// The built-in `all_users`: every user of the tenant.
    AllUsers,
    /// A group of the tenant.
    Group(GroupId),
}

impl TargetId {
    /// The Graph spelling of the built-in all-users target.
    pub const ALL_USERS: &'static str = "all_users";
}

impl fmt::Display for TargetId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TargetId::AllUsers => f.write_str(TargetId::ALL_USERS),
            TargetId::Group(g) => fmt::Display::fmt(g, f),
        }
    }
}

impl FromStr for TargetId {
    type Err = Invalid;
    fn from_str(s: &str) -> Result<Self, Invalid> {
        if s == TargetId::ALL_USERS {
            return Ok(TargetId::AllUsers);
        }
        s.parse().map(TargetId::Group).map_err(|_| {
            Invalid::BadTarget(format!(
                "target id `{s}` is neither `all_users` nor a group's object id"
            ))
        })
    }
}

impl Serialize for TargetId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for TargetId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl From<GroupId> for TargetId {
    fn from(g: GroupId) -> TargetId {
        TargetId::Group(g)
    }
}

/// `targetType` when a body leaves it out: `group`, the only type a TAP policy target
/// can have (spec R4).
fn group_target_type() -> TargetType {
    TargetType::Group
}

/// An include target (`authenticationMethodTarget`). In a body, `targetType` may be left
/// out: it can only be `group`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IncludeTarget {
    /// Always `group` in a valid policy (the default when a body leaves it out).
    #[serde(default = "group_target_type")]
    pub target_type: TargetType,
    /// The group, or `all_users`.
    pub id: TargetId,
    /// Stored, not enforced (spec R4).
    #[serde(default)]
    pub is_registration_required: bool,
}

impl IncludeTarget {
    /// A group target (or `all_users`), registration not required.
    pub fn group(id: impl Into<TargetId>) -> IncludeTarget {
        IncludeTarget {
            target_type: TargetType::Group,
            id: id.into(),
            is_registration_required: false,
        }
    }
}

/// An exclude target (`excludeTarget`). In a body, `targetType` may be left out: it can
/// only be `group`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExcludeTarget {
    /// Always `group` in a valid policy (the default when a body leaves it out).
    #[serde(default = "group_target_type")]
    pub target_type: TargetType,
    /// The group, or `all_users`.
    pub id: TargetId,
}

impl ExcludeTarget {
    /// A group target (or `all_users`).
    pub fn group(id: impl Into<TargetId>) -> ExcludeTarget {
        ExcludeTarget {
            target_type: TargetType::Group,
            id: id.into(),
        }
    }
}

/// The most targets `includeTargets`, and `excludeTargets`, may each hold \[sim\]:
/// Entra documents no number for an authentication method policy's targets, so tapsim
/// bounds them (each sign-in and pass read looks through them all).
pub const MAX_POLICY_TARGETS: usize = 500;

/// The Temporary Access Pass policy. Serializes to Graph v1.0's JSON (spec G1).
///
/// ```
/// use tapsim::{PolicyState, Switches, TapPolicy};
/// let p = TapPolicy::defaults(&Switches::current());
/// assert_eq!(p.state, PolicyState::Disabled);
/// assert_eq!((p.minimum_lifetime_in_minutes, p.default_lifetime_in_minutes, p.maximum_lifetime_in_minutes), (60, 60, 480));
/// let json = serde_json::to_value(&p).unwrap();
/// assert_eq!(json["id"], "TemporaryAccessPass");
/// assert_eq!(json["includeTargets"][0]["id"], "all_users");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TapPolicy {
    /// `state`.
    pub state: PolicyState,
    /// `defaultLifetimeInMinutes`.
    pub default_lifetime_in_minutes: u32,
    /// `minimumLifetimeInMinutes`.
    pub minimum_lifetime_in_minutes: u32,
    /// `maximumLifetimeInMinutes`.
    pub maximum_lifetime_in_minutes: u32,
    /// `defaultLength`.
    pub default_length: u32,
    /// `isUsableOnce`.
    pub is_usable_once: bool,
    /// `includeTargets`.
    pub include_targets: Vec<IncludeTarget>,
    /// `excludeTargets`.
    pub exclude_targets: Vec<ExcludeTarget>,
}

/// Whether, and why not, a policy covers a user (spec P5, T6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Scope {
    /// Enabled, included, not excluded.
    InScope,
    /// The policy's `state` is `disabled`.
    PolicyDisabled,
    /// No include target covers the user.
    NotIncluded,
    /// An exclude target covers the user (exclusion wins).
    Excluded,
}

impl Scope {
    /// The scope's name, as serialized (`inScope`, `policyDisabled`, ...).
    pub const fn as_str(self) -> &'static str {
        match self {
            Scope::InScope => "inScope",
            Scope::PolicyDisabled => "policyDisabled",
            Scope::NotIncluded => "notIncluded",
            Scope::Excluded => "excluded",
        }
    }

    /// Whether the user is covered.
    pub fn is_in_scope(self) -> bool {
        self == Scope::InScope
    }
}

impl TapPolicy {
    /// The defaults of spec P1 (with the profile's default maximum lifetime, spec B1).
    /// `state` starts `disabled` \[sim\].
    pub fn defaults(switches: &Switches) -> TapPolicy {
        TapPolicy {
            state: PolicyState::Disabled,
            default_lifetime_in_minutes: 60,
            minimum_lifetime_in_minutes: 60,
            maximum_lifetime_in_minutes: switches.default_maximum_lifetime_in_minutes,
            default_length: 8,
            is_usable_once: false,
            include_targets: vec![IncludeTarget::group(TargetId::AllUsers)],
            exclude_targets: Vec::new(),
        }
    }

    /// Whether the policy covers `user` (spec P5): enabled, some include target covers
    /// the user, and no exclude target does. Group membership is transitive when
    /// `transitive` is set.
    pub fn scope(&self, directory: &Directory, user: UserId, transitive: bool) -> Scope {
        match directory.user(user) {
            Some(u) => self.scope_of_user(directory, u, transitive),
            None if self.state == PolicyState::Disabled => Scope::PolicyDisabled,
            None => Scope::NotIncluded,
        }
    }

    /// [`TapPolicy::scope`] for a user already looked up.
    pub(crate) fn scope_of_user(&self, directory: &Directory, u: &User, transitive: bool) -> Scope {
        if self.state == PolicyState::Disabled {
            return Scope::PolicyDisabled;
        }
        let targets_groups = self
            .include_targets
            .iter()
            .map(|t| t.id)
            .chain(self.exclude_targets.iter().map(|t| t.id))
            .any(|id| id != TargetId::AllUsers);
        // One upward walk serves every target.
        let groups = targets_groups.then(|| directory.groups_of(u, transitive));
        let covers = |id: TargetId| match id {
            TargetId::AllUsers => true,
            TargetId::Group(g) => groups.as_ref().is_some_and(|set| set.contains(g)),
        };
        if self.exclude_targets.iter().any(|t| covers(t.id)) {
            return Scope::Excluded;
        }
        if self.include_targets.iter().any(|t| covers(t.id)) {
            Scope::InScope
        } else {
            Scope::NotIncluded
        }
    }

    /// Checks the policy as a whole, in spec R4's order: each lifetime's range (minimum,
    /// default, maximum), `defaultLength`, the default within minimum..maximum, then the
    /// targets (type `group`, group known to `directory`).
    pub fn validate(&self, directory: &Directory) -> Result<()> {
        for (field, value) in [
            ("minimumLifetimeInMinutes", self.minimum_lifetime_in_minutes),
            ("defaultLifetimeInMinutes", self.default_lifetime_in_minutes),
            ("maximumLifetimeInMinutes", self.maximum_lifetime_in_minutes),
        ] {
            check_range(field, i64::from(value), &LIFETIME_RANGE)?;
        }
        check_range(
            "defaultLength",
            i64::from(self.default_length),
            &LENGTH_RANGE,
        )?;
        let (min, default, max) = (
            self.minimum_lifetime_in_minutes,
            self.default_lifetime_in_minutes,
            self.maximum_lifetime_in_minutes,
        );
        if !(min <= default && default <= max) {
            return Err(Invalid::DefaultLifetimeOutsideBounds { min, default, max }.into());
        }
        for (field, got) in [
            ("includeTargets", self.include_targets.len()),
            ("excludeTargets", self.exclude_targets.len()),
        ] {
            if got > MAX_POLICY_TARGETS {
                return Err(Invalid::TooManyTargets {
                    field,
                    max: MAX_POLICY_TARGETS,
                    got,
                }
                .into());
            }
        }
        let targets = self
            .include_targets
            .iter()
            .map(|t| ("includeTargets", t.target_type, t.id))
            .chain(
                self.exclude_targets
                    .iter()
                    .map(|t| ("excludeTargets", t.target_type, t.id)),
            );
        for (field, target_type, id) in targets {
            if target_type != TargetType::Group {
                return Err(Invalid::BadTarget(format!(
                    "`{field}` accepts only targets of `targetType` `group`, got `{}` for `{id}`",
                    serde_json::to_value(target_type)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default()
                ))
                .into());
            }
            if let TargetId::Group(g) = id
                && directory.group(g).is_none()
            {
                return Err(Invalid::UnknownTargetGroup(g).into());
            }
        }
        Ok(())
    }

    /// This policy with `patch` merged in (spec P3), not yet validated.
    pub fn merged(&self, patch: &PolicyPatch) -> TapPolicy {
        let mut p = self.clone();
        if let Some(s) = patch.state {
            p.state = s;
        }
        let clamp = |v: i64| u32::try_from(v).unwrap_or(if v < 0 { 0 } else { u32::MAX });
        if let Some(v) = patch.default_lifetime_in_minutes {
            p.default_lifetime_in_minutes = clamp(v);
        }
        if let Some(v) = patch.minimum_lifetime_in_minutes {
            p.minimum_lifetime_in_minutes = clamp(v);
        }
        if let Some(v) = patch.maximum_lifetime_in_minutes {
            p.maximum_lifetime_in_minutes = clamp(v);
        }
        if let Some(v) = patch.default_length {
            p.default_length = clamp(v);
        }
        if let Some(v) = patch.is_usable_once {
            p.is_usable_once = v;
        }
        if let Some(t) = &patch.include_targets {
            p.include_targets = t.clone();
        }
        if let Some(t) = &patch.exclude_targets {
            p.exclude_targets = t.clone();
        }
        p
    }
}

fn check_range(
    field: &'static str,
    value: i64,
    range: &std::ops::RangeInclusive<u32>,
) -> Result<()> {
    let (min, max) = (i64::from(*range.start()), i64::from(*range.end()));
    if value < min || value > max {
        return Err(Invalid::OutOfRange {
            field,
            value,
            min,
            max,
        }
        .into());
    }
    Ok(())
}

/// A partial update of the policy (spec P3): `None` fields keep their values; a target
/// collection, when given, replaces the whole collection (spec R4).
///
/// Numbers are `i64` so that any integer a client sends gets P2's range message rather
/// than a type error.
///
/// ```
/// use tapsim::{PolicyPatch, PolicyState};
/// let from_rust = PolicyPatch::new().state(PolicyState::Enabled).maximum_lifetime_in_minutes(1440);
/// let from_graph = PolicyPatch::from_graph_json(
///     r##"{"@odata.type": "#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration",
///         "state": "enabled", "maximumLifetimeInMinutes": 1440}"##,
/// ).unwrap();
/// assert_eq!(from_rust.state, from_graph.state);
/// assert_eq!(from_rust.maximum_lifetime_in_minutes, from_graph.maximum_lifetime_in_minutes);
/// let err = PolicyPatch::from_graph_json(r#"{"defaultLenght": 12}"#).unwrap_err();
/// assert!(err.to_string().contains("defaultLenght"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PolicyPatch {
    /// `@odata.type`: if present, must be the policy's type.
    #[serde(
        rename = "@odata.type",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub odata_type: Option<String>,
    /// `id`: if present, must be `TemporaryAccessPass`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `state`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<PolicyState>,
    /// `defaultLifetimeInMinutes`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_lifetime_in_minutes: Option<i64>,
    /// `minimumLifetimeInMinutes`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimum_lifetime_in_minutes: Option<i64>,
    /// `maximumLifetimeInMinutes`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maximum_lifetime_in_minutes: Option<i64>,
    /// `defaultLength`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_length: Option<i64>,
    /// `isUsableOnce`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_usable_once: Option<bool>,
    /// `includeTargets`: replaces the collection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include_targets: Option<Vec<IncludeTarget>>,
    /// `excludeTargets`: replaces the collection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exclude_targets: Option<Vec<ExcludeTarget>>,
}

macro_rules! patch_setters {
    ($($(#[$doc:meta])* $name:ident: $ty:ty),* $(,)?) => {
        $(
            $(#[$doc])*
            pub fn $name(mut self, v: $ty) -> PolicyPatch {
                self.$name = Some(v.into());
                self
            }
        )*
    };
}

impl PolicyPatch {
    /// An empty patch: changes nothing.
    pub fn new() -> PolicyPatch {
        PolicyPatch::default()
    }

    patch_setters! {
        /// Sets `state`.
        state: PolicyState,
        /// Sets `defaultLifetimeInMinutes`.
        default_lifetime_in_minutes: i64,
        /// Sets `minimumLifetimeInMinutes`.
        minimum_lifetime_in_minutes: i64,
        /// Sets `maximumLifetimeInMinutes`.
        maximum_lifetime_in_minutes: i64,
        /// Sets `defaultLength`.
        default_length: i64,
        /// Sets `isUsableOnce`.
        is_usable_once: bool,
        /// Replaces `includeTargets`.
        include_targets: Vec<IncludeTarget>,
        /// Replaces `excludeTargets`.
        exclude_targets: Vec<ExcludeTarget>,
    }

    /// Parses a Graph PATCH body. Unknown fields, mistyped values and a wrong
    /// `@odata.type` or `id` are rejected as `badRequest` (spec R3).
    pub fn from_graph_json(body: &str) -> Result<PolicyPatch> {
        let patch: PolicyPatch = serde_json::from_str(body)
            .map_err(|e| Invalid::Body(format!("invalid policy update body: {e}")))?;
        patch.check_identity()?;
        Ok(patch)
    }

    /// Checks each numeric field the patch sets against its range, as sent (spec P2, R4
    /// order: minimum, default, maximum lifetime, then length), so that messages quote
    /// the value the client gave.
    pub(crate) fn check_ranges(&self) -> Result<()> {
        for (field, value, range) in [
            (
                "minimumLifetimeInMinutes",
                self.minimum_lifetime_in_minutes,
                &LIFETIME_RANGE,
            ),
            (
                "defaultLifetimeInMinutes",
                self.default_lifetime_in_minutes,
                &LIFETIME_RANGE,
            ),
            (
                "maximumLifetimeInMinutes",
                self.maximum_lifetime_in_minutes,
                &LIFETIME_RANGE,
            ),
            ("defaultLength", self.default_length, &LENGTH_RANGE),
        ] {
            if let Some(v) = value {
                check_range(field, v, range)?;
            }
        }
        Ok(())
    }

    pub(crate) fn check_identity(&self) -> Result<()> {
        if let Some(t) = &self.odata_type
            && t != POLICY_ODATA_TYPE
        {
            return Err(Invalid::Body(format!(
                "`@odata.type` must be `{POLICY_ODATA_TYPE}`, got `{t}`"
            ))
            .into());
        }
        if let Some(id) = &self.id
            && !id.eq_ignore_ascii_case(POLICY_ID)
        {
            return Err(Invalid::Body(format!("`id` must be `{POLICY_ID}`, got `{id}`")).into());
        }
        Ok(())
    }
}

/// The policy's Graph JSON shape.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PolicyJson {
    #[serde(rename = "@odata.type")]
    odata_type: String,
    id: String,
    state: PolicyState,
    default_lifetime_in_minutes: u32,
    default_length: u32,
    minimum_lifetime_in_minutes: u32,
    maximum_lifetime_in_minutes: u32,
    is_usable_once: bool,
    include_targets: Vec<IncludeTarget>,
    exclude_targets: Vec<ExcludeTarget>,
}

impl Serialize for TapPolicy {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        PolicyJson {
            odata_type: POLICY_ODATA_TYPE.to_owned(),
            id: POLICY_ID.to_owned(),
            state: self.state,
            default_lifetime_in_minutes: self.default_lifetime_in_minutes,
            default_length: self.default_length,
            minimum_lifetime_in_minutes: self.minimum_lifetime_in_minutes,
            maximum_lifetime_in_minutes: self.maximum_lifetime_in_minutes,
            is_usable_once: self.is_usable_once,
            include_targets: self.include_targets.clone(),
            exclude_targets: self.exclude_targets.clone(),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for TapPolicy {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let j = PolicyJson::deserialize(d)?;
        if j.odata_type != POLICY_ODATA_TYPE || j.id != POLICY_ID {
            return Err(serde::de::Error::custom(format!(
                "expected a `{POLICY_ODATA_TYPE}` with id `{POLICY_ID}`"
            )));
        }
        Ok(TapPolicy {
            state: j.state,
            default_lifetime_in_minutes: j.default_lifetime_in_minutes,
            minimum_lifetime_in_minutes: j.minimum_lifetime_in_minutes,
            maximum_lifetime_in_minutes: j.maximum_lifetime_in_minutes,
            default_length: j.default_length,
            is_usable_once: j.is_usable_once,
            include_targets: j.include_targets,
            exclude_targets: j.exclude_targets,
        })
    }
}
