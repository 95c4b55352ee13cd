//! Microsoft Graph JSON conventions shared by every type that mirrors a Graph type.

use chrono::{DateTime, SecondsFormat, Utc};

/// Formats an instant as Graph does: ISO 8601 in UTC with a `Z`, fractional seconds only
/// when present (`2022-06-05T00:00:00Z`, `2022-06-02T16:21:09.765173Z`).
///
/// ```
/// use chrono::{TimeZone, Utc};
/// let t = Utc.with_ymd_and_hms(2022, 6, 5, 0, 0, 0).unwrap();
/// assert_eq!(tapsim::graph::format_datetime(&t), "2022-06-05T00:00:00Z");
/// ```
pub fn format_datetime(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// The latest instant tapsim works with: 9999-12-31T23:59:59.999999Z. Graph's
/// date-times have four-digit years; the manual clock stops here and passes must end by
/// then.
///
/// ```
/// assert_eq!(tapsim::graph::format_datetime(&tapsim::graph::latest_instant()), "9999-12-31T23:59:59.999999Z");
/// ```
pub fn latest_instant() -> DateTime<Utc> {
    // 253402300800 s is 10000-01-01T00:00:00Z, well within chrono's range.
    DateTime::from_timestamp_micros(253_402_300_800_000_000 - 1).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// The earliest instant a pass may start: 0001-01-01T00:00:00Z (four-digit years).
pub fn earliest_instant() -> DateTime<Utc> {
    // -62135596800 s is 0001-01-01T00:00:00Z, well within chrono's range.
    DateTime::from_timestamp(-62_135_596_800, 0).unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// Parses an ISO 8601 date-time with an offset (`Z` or `+hh:mm`) into UTC.
pub fn parse_datetime(s: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("`{s}` is not an ISO 8601 date-time with an offset: {e}"))
}

/// serde support for a Graph `Edm.DateTimeOffset`, for `#[serde(with = "tapsim::graph::datetime")]`.
///
/// ```
/// use chrono::{DateTime, TimeZone, Utc};
///
/// #[derive(serde::Serialize)]
/// struct Event {
///     #[serde(with = "tapsim::graph::datetime")]
///     at: DateTime<Utc>,
/// }
/// let e = Event { at: Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap() };
/// assert_eq!(serde_json::to_string(&e)?, r#"{"at":"2026-01-05T09:00:00Z"}"#);
/// # Ok::<(), serde_json::Error>(())
/// ```
pub mod datetime {
    use super::*;
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes `t` as [`format_datetime`] does.
    ///
    /// # Errors
    /// Whatever the serializer returns.
    pub fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format_datetime(t))
    }

    /// Reads a date-time as [`parse_datetime`] does.
    ///
    /// # Errors
    /// A value that is not a string, or not an ISO 8601 date-time with an offset.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let s = String::deserialize(d)?;
        parse_datetime(&s).map_err(serde::de::Error::custom)
    }
}

/// serde support for an optional Graph `Edm.DateTimeOffset`.
pub(crate) mod opt_datetime {
    use super::*;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(
        t: &Option<DateTime<Utc>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.serialize_str(&format_datetime(t)),
            None => s.serialize_none(),
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<DateTime<Utc>>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|s| parse_datetime(&s).map_err(serde::de::Error::custom))
            .transpose()
    }
}

/// The `@odata.context` of a policy read, as Graph v1.0 answers it.
pub const POLICY_CONTEXT: &str =
    "https://graph.microsoft.com/v1.0/$metadata#authenticationMethodConfigurations/$entity";

/// The `includeTargets@odata.context` annotation of a policy read. Graph's documented v1.0
/// example carries this beta URL; tapsim reproduces the example letter for letter.
pub const POLICY_INCLUDE_TARGETS_CONTEXT: &str = "https://graph.microsoft.com/beta/$metadata#policies/authenticationMethodsPolicy/authenticationMethodConfigurations('TemporaryAccessPass')/microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration/includeTargets";

/// The body of Graph's answer to `GET .../authenticationMethodConfigurations/temporaryAccessPass`:
/// the policy's JSON with the response's `@odata.context` annotations, as in Graph's
/// documented example.
///
/// ```
/// use tapsim::{graph, Switches, TapPolicy};
/// let body = graph::policy_get_response(&TapPolicy::defaults(&Switches::current()));
/// assert_eq!(body["@odata.context"], graph::POLICY_CONTEXT);
/// assert_eq!(body["id"], "TemporaryAccessPass");
/// ```
pub fn policy_get_response(policy: &crate::TapPolicy) -> serde_json::Value {
    let mut body = serde_json::to_value(policy).unwrap_or(serde_json::Value::Null);
    if let Some(map) = body.as_object_mut() {
        map.insert("@odata.context".into(), POLICY_CONTEXT.into());
        map.insert(
            "includeTargets@odata.context".into(),
            POLICY_INCLUDE_TARGETS_CONTEXT.into(),
        );
    }
    body
}
