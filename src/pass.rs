//! Temporary Access Passes (`temporaryAccessPassAuthenticationMethod`, spec T1 to T12):
//! stored records, the read view, the shown-once creation result, and usability.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize, Serializer};

use crate::crypto::{PhcHash, Secret};
use crate::error::{Error, Invalid, Result};
use crate::ids::PassId;
use crate::policy::Scope;

/// The Graph `@odata.type` of a pass.
pub const PASS_ODATA_TYPE: &str = "#microsoft.graph.temporaryAccessPassAuthenticationMethod";

/// `t + minutes`, saturating at chrono's latest instant (instead of panicking).
pub(crate) fn add_minutes(t: DateTime<Utc>, minutes: i64) -> DateTime<Utc> {
    Duration::try_minutes(minutes)
        .and_then(|d| t.checked_add_signed(d))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// Why a pass is or is not usable (`methodUsabilityReason`, spec T10).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum UsabilityReason {
    /// Usable.
    EnabledByPolicy,
    /// The policy no longer allows it (disabled, user out of scope, or a multi-use pass
    /// under a one-time policy).
    DisabledByPolicy,
    /// Past its end.
    Expired,
    /// Before its start.
    NotYetValid,
    /// A one-time pass that has signed in once.
    OneTimeUsed,
}

impl UsabilityReason {
    /// Every reason, in spec T10's order of precedence after `EnabledByPolicy`.
    pub const ALL: [UsabilityReason; 5] = [
        UsabilityReason::EnabledByPolicy,
        UsabilityReason::DisabledByPolicy,
        UsabilityReason::OneTimeUsed,
        UsabilityReason::Expired,
        UsabilityReason::NotYetValid,
    ];

    /// Whether the pass can sign in.
    pub fn is_usable(self) -> bool {
        self == UsabilityReason::EnabledByPolicy
    }

    /// Graph's spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            UsabilityReason::EnabledByPolicy => "EnabledByPolicy",
            UsabilityReason::DisabledByPolicy => "DisabledByPolicy",
            UsabilityReason::Expired => "Expired",
            UsabilityReason::NotYetValid => "NotYetValid",
            UsabilityReason::OneTimeUsed => "OneTimeUsed",
        }
    }
}

impl std::fmt::Display for UsabilityReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A stored pass. Holds the argon2id hash of the secret, never the secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PassRecord {
    pub(crate) id: PassId,
    #[serde(with = "crate::graph::datetime")]
    pub(crate) created: DateTime<Utc>,
    #[serde(with = "crate::graph::datetime")]
    pub(crate) start: DateTime<Utc>,
    pub(crate) lifetime_in_minutes: u32,
    pub(crate) is_usable_once: bool,
    /// Set by a one-time pass's first successful sign-in.
    pub(crate) used: bool,
    #[serde(with = "crate::graph::opt_datetime")]
    pub(crate) last_used: Option<DateTime<Utc>>,
    pub(crate) hash: PhcHash,
}

impl PassRecord {
    /// The pass's id.
    pub fn id(&self) -> PassId {
        self.id
    }
    /// The first instant the pass is valid.
    pub fn start(&self) -> DateTime<Utc> {
        self.start
    }
    /// The first instant the pass is no longer valid: start + lifetime (exclusive).
    pub fn end(&self) -> DateTime<Utc> {
        add_minutes(self.start, i64::from(self.lifetime_in_minutes))
    }
    /// Whether it is a one-time pass.
    pub fn is_usable_once(&self) -> bool {
        self.is_usable_once
    }
    /// Whether a one-time pass has been consumed.
    pub fn is_used(&self) -> bool {
        self.used
    }
    /// The argon2id hash of the secret.
    pub fn hash(&self) -> &PhcHash {
        &self.hash
    }
}

/// Computes usability (spec T10, P7) from the pass, the user's scope under the current
/// policy, the policy's `isUsableOnce`, and the time.
///
/// When several reasons apply the first of `DisabledByPolicy`, `OneTimeUsed`, `Expired`,
/// `NotYetValid` wins. Valid from `start` (inclusive) to `start + lifetime` (exclusive).
///
/// ```
/// # use chrono::{Duration, TimeZone, Utc};
/// # use tapsim::{usability, Scope, UsabilityReason};
/// let start = Utc.with_ymd_and_hms(2026, 1, 1, 9, 0, 0).unwrap();
/// let end = start + Duration::minutes(60);
/// let at = |t| usability(start, end, false, false, Scope::InScope, false, t);
/// assert_eq!(at(start - Duration::seconds(1)), UsabilityReason::NotYetValid);
/// assert_eq!(at(start), UsabilityReason::EnabledByPolicy);
/// assert_eq!(at(end), UsabilityReason::Expired);
/// ```
pub fn usability(
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    is_usable_once: bool,
    used: bool,
    scope: Scope,
    policy_usable_once: bool,
    now: DateTime<Utc>,
) -> UsabilityReason {
    if !scope.is_in_scope() || (policy_usable_once && !is_usable_once) {
        UsabilityReason::DisabledByPolicy
    } else if is_usable_once && used {
        UsabilityReason::OneTimeUsed
    } else if now >= end {
        UsabilityReason::Expired
    } else if now < start {
        UsabilityReason::NotYetValid
    } else {
        UsabilityReason::EnabledByPolicy
    }
}

impl PassRecord {
    pub(crate) fn usability(
        &self,
        scope: Scope,
        policy_usable_once: bool,
        now: DateTime<Utc>,
    ) -> UsabilityReason {
        usability(
            self.start,
            self.end(),
            self.is_usable_once,
            self.used,
            scope,
            policy_usable_once,
            now,
        )
    }

    pub(crate) fn view(&self, reason: UsabilityReason) -> TemporaryAccessPass {
        TemporaryAccessPass {
            id: self.id,
            created_date_time: self.created,
            start_date_time: self.start,
            lifetime_in_minutes: self.lifetime_in_minutes,
            is_usable_once: self.is_usable_once,
            is_usable: reason.is_usable(),
            method_usability_reason: reason,
            last_used_date_time: self.last_used,
        }
    }
}

/// A pass as read through Graph (spec T1, T10): no secret. Serializes to Graph v1.0's
/// JSON with `"temporaryAccessPass": null`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemporaryAccessPass {
    /// `id`.
    pub id: PassId,
    /// `createdDateTime`.
    pub created_date_time: DateTime<Utc>,
    /// `startDateTime`.
    pub start_date_time: DateTime<Utc>,
    /// `lifetimeInMinutes`.
    pub lifetime_in_minutes: u32,
    /// `isUsableOnce`.
    pub is_usable_once: bool,
    /// `isUsable`, computed at read time.
    pub is_usable: bool,
    /// `methodUsabilityReason`, computed at read time.
    pub method_usability_reason: UsabilityReason,
    /// The last successful sign-in with the pass (Graph beta's `lastUsedDateTime`; not in
    /// the v1.0 JSON) \[sim\].
    pub last_used_date_time: Option<DateTime<Utc>>,
}

impl TemporaryAccessPass {
    /// The first instant the pass is no longer valid.
    pub fn end_date_time(&self) -> DateTime<Utc> {
        add_minutes(self.start_date_time, i64::from(self.lifetime_in_minutes))
    }

    fn to_json<'a>(&self, secret: Option<&'a str>) -> PassJson<'a> {
        PassJson {
            odata_type: PASS_ODATA_TYPE,
            id: self.id,
            temporary_access_pass: secret,
            created_date_time: crate::graph::format_datetime(&self.created_date_time),
            start_date_time: crate::graph::format_datetime(&self.start_date_time),
            lifetime_in_minutes: self.lifetime_in_minutes,
            is_usable_once: self.is_usable_once,
            is_usable: self.is_usable,
            method_usability_reason: self.method_usability_reason.as_str(),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PassJson<'a> {
    #[serde(rename = "@odata.type")]
    odata_type: &'static str,
    id: PassId,
    temporary_access_pass: Option<&'a str>,
    created_date_time: String,
    start_date_time: String,
    lifetime_in_minutes: u32,
    is_usable_once: bool,
    is_usable: bool,
    method_usability_reason: &'static str,
}

impl Serialize for TemporaryAccessPass {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_json(None).serialize(s)
    }
}

/// What creating a pass returns: the pass and its secret, shown this once (spec T4).
///
/// Not `Serialize`; `Debug` redacts the secret. The Graph create response (with the
/// secret) is available through [`IssuedPass::danger_graph_json`].
#[derive(Debug, Clone)]
pub struct IssuedPass {
    /// The pass as read right after creation.
    pub pass: TemporaryAccessPass,
    /// The secret. Hand it to the user out of band; tapsim keeps only its hash.
    pub secret: Secret,
}

impl IssuedPass {
    /// Graph's `201 Created` body, **with the secret in clear**. Whatever you do with it
    /// (print, log, store) can leak the secret.
    pub fn danger_graph_json(&self) -> serde_json::Value {
        // Serializing a struct of strings, numbers and booleans cannot fail.
        serde_json::to_value(self.pass.to_json(Some(self.secret.danger_reveal())))
            .unwrap_or(serde_json::Value::Null)
    }
}

/// Options for creating a pass (spec T2): every field optional.
///
/// ```
/// use tapsim::{Lifetime, PassOptions};
/// let simple: PassOptions = Lifetime::minutes(120).into();
/// assert_eq!(simple.lifetime_in_minutes, Some(120));
/// let full = PassOptions::new().lifetime_in_minutes(90).usable_once(true);
/// assert_eq!(full.is_usable_once, Some(true));
/// let graph = PassOptions::from_graph_json(r#"{"startDateTime": "2022-06-05T00:00:00.000Z", "lifetimeInMinutes": 60, "isUsableOnce": false}"#).unwrap();
/// assert_eq!(graph.lifetime_in_minutes, Some(60));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[non_exhaustive]
pub struct PassOptions {
    /// When the pass becomes usable; defaults to now. A past start is accepted \[sim\].
    #[serde(
        default,
        with = "crate::graph::opt_datetime",
        skip_serializing_if = "Option::is_none"
    )]
    pub start_date_time: Option<DateTime<Utc>>,
    /// Lifetime in minutes; defaults to the policy's `defaultLifetimeInMinutes`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifetime_in_minutes: Option<i64>,
    /// One-time or multi-use; defaults to the policy's `isUsableOnce` \[sim\].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_usable_once: Option<bool>,
}

impl PassOptions {
    /// All defaults.
    pub fn new() -> PassOptions {
        PassOptions::default()
    }
    /// Sets the start.
    pub fn start(mut self, at: DateTime<Utc>) -> PassOptions {
        self.start_date_time = Some(at);
        self
    }
    /// Sets the lifetime in minutes.
    pub fn lifetime_in_minutes(mut self, minutes: i64) -> PassOptions {
        self.lifetime_in_minutes = Some(minutes);
        self
    }
    /// Asks for a one-time (`true`) or multi-use (`false`) pass.
    pub fn usable_once(mut self, once: bool) -> PassOptions {
        self.is_usable_once = Some(once);
        self
    }
    /// Parses a Graph create body; unknown fields, mistyped values and an `@odata.type`
    /// other than [`PASS_ODATA_TYPE`] are `badRequest` (an `@odata.type` may be present,
    /// as Graph's SDKs send it, or absent).
    ///
    /// ```
    /// use tapsim::PassOptions;
    /// let sdk = PassOptions::from_graph_json(r##"{"@odata.type": "#microsoft.graph.temporaryAccessPassAuthenticationMethod", "isUsableOnce": true}"##).unwrap();
    /// assert_eq!(sdk.is_usable_once, Some(true));
    /// assert!(PassOptions::from_graph_json(r##"{"@odata.type": "#microsoft.graph.user"}"##).is_err());
    /// ```
    pub fn from_graph_json(body: &str) -> Result<PassOptions> {
        let invalid = |e: String| {
            Error::from(Invalid::Body(format!(
                "invalid Temporary Access Pass body: {e}"
            )))
        };
        let mut value: serde_json::Value =
            serde_json::from_str(body).map_err(|e| invalid(e.to_string()))?;
        if let Some(object) = value.as_object_mut()
            && let Some(t) = object.remove("@odata.type")
            && t.as_str() != Some(PASS_ODATA_TYPE)
        {
            return Err(invalid(format!(
                "`@odata.type` must be `{PASS_ODATA_TYPE}`, got `{t}`"
            )));
        }
        serde_json::from_value(value).map_err(|e| invalid(e.to_string()))
    }
}

/// A lifetime, for the simple form of creation: `create_pass(actor, user, Lifetime::minutes(60))`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lifetime(i64);

impl Lifetime {
    /// A lifetime of `m` minutes.
    pub const fn minutes(m: i64) -> Lifetime {
        Lifetime(m)
    }
    /// A lifetime of `h` hours.
    pub const fn hours(h: i64) -> Lifetime {
        Lifetime(h.saturating_mul(60))
    }
}

impl From<Lifetime> for PassOptions {
    fn from(l: Lifetime) -> PassOptions {
        PassOptions::new().lifetime_in_minutes(l.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ends_saturate_instead_of_overflowing() {
        let late = DateTime::<Utc>::MAX_UTC - Duration::minutes(5);
        assert_eq!(add_minutes(late, 60), DateTime::<Utc>::MAX_UTC);
        assert_eq!(add_minutes(late, i64::MAX), DateTime::<Utc>::MAX_UTC);
        let t = DateTime::<Utc>::UNIX_EPOCH;
        assert_eq!(add_minutes(t, 60), t + Duration::hours(1));
    }
}
