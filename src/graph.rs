//! Microsoft Graph JSON conventions shared by every type that mirrors a Graph type.

use chrono::{DateTime, Utc};

/// Formats an instant as Graph does (spec G1, R16): ISO 8601 in UTC with a `Z`, and at
/// most 7 fractional digits (Graph's 100-nanosecond ticks), truncated, never rounded up.
/// The fraction is left out when it is zero and otherwise written with 3, 6 or 7 digits,
/// the fewest that keep every tick \[sim\] (`2022-06-05T00:00:00Z`,
/// `2022-06-02T16:21:09.765Z`, `2022-06-02T16:21:09.765173Z`,
/// `2022-06-02T16:21:09.7651739Z`).
///
/// ```
/// use chrono::{TimeZone, Utc};
/// let t = Utc.with_ymd_and_hms(2022, 6, 5, 0, 0, 0).unwrap();
/// assert_eq!(tapsim::graph::format_datetime(&t), "2022-06-05T00:00:00Z");
/// let nanos = t + chrono::Duration::nanoseconds(999_999_999);
/// assert_eq!(tapsim::graph::format_datetime(&nanos), "2022-06-05T00:00:00.9999999Z");
/// ```
pub fn format_datetime(t: &DateTime<Utc>) -> String {
    use std::fmt::Write;
    let ticks = t.timestamp_subsec_nanos() % 1_000_000_000 / 100;
    let mut out = String::with_capacity(28);
    write_whole_seconds(&mut out, t);
    // Writing to a String cannot fail.
    let _ = if ticks == 0 {
        Ok(())
    } else if ticks.is_multiple_of(10_000) {
        write!(out, ".{:03}", ticks / 10_000)
    } else if ticks.is_multiple_of(10) {
        write!(out, ".{:06}", ticks / 10)
    } else {
        write!(out, ".{ticks:07}")
    };
    out.push('Z');
    out
}

/// `YYYY-MM-DDTHH:MM:SS` (the clock is kept within years 1970 to 9999), written digit
/// by digit: this runs for every date-time in every response.
fn write_whole_seconds(out: &mut String, t: &DateTime<Utc>) {
    use chrono::{Datelike, Timelike};
    fn push(out: &mut String, n: u32, width: u32, then: Option<char>) {
        for i in (0..width).rev() {
            let digit = n / 10u32.pow(i) % 10;
            out.push(char::from(b'0' + u8::try_from(digit).unwrap_or(0)));
        }
        if let Some(c) = then {
            out.push(c);
        }
    }
    push(out, u32::try_from(t.year()).unwrap_or(0), 4, Some('-'));
    push(out, t.month(), 2, Some('-'));
    push(out, t.day(), 2, Some('T'));
    push(out, t.hour(), 2, Some(':'));
    push(out, t.minute(), 2, Some(':'));
    push(out, t.second(), 2, None);
}

/// Formats an instant as Graph writes `innerError.date` (spec R16): UTC, whole seconds,
/// no fraction and no offset (`2021-04-01T17:02:01`).
///
/// ```
/// use chrono::{TimeZone, Utc};
/// let t = Utc.with_ymd_and_hms(2021, 4, 1, 17, 2, 1).unwrap() + chrono::Duration::milliseconds(999);
/// assert_eq!(tapsim::graph::format_error_date(&t), "2021-04-01T17:02:01");
/// ```
pub fn format_error_date(t: &DateTime<Utc>) -> String {
    let mut out = String::with_capacity(19);
    write_whole_seconds(&mut out, t);
    out
}

/// `t` truncated to Graph's precision, whole 100-nanosecond ticks (spec R16). Every
/// instant a tenant records is truncated so, so that what it stores is exactly what its
/// JSON says, and snapshots round-trip.
pub(crate) fn truncate_to_ticks(t: DateTime<Utc>) -> DateTime<Utc> {
    let extra = i64::from(t.timestamp_subsec_nanos() % 100);
    t.checked_sub_signed(chrono::Duration::nanoseconds(extra))
        .unwrap_or(t)
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

/// A sign-in record as Graph v1.0's `signIn` (spec G3): every property the v1.0 schema
/// declares, those tapsim does not model `null` (collections `[]`), and no other.
///
/// ```
/// # use chrono::{TimeZone, Utc};
/// # use tapsim::*;
/// # let mut t = Tenant::builder().clock(ManualClock::new(Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap())).hash_cost(HashCost::Minimum).build()?;
/// t.sign_in("nobody@contoso.com", Credential::Password("pw"));
/// let v1 = graph::sign_in_v1(&t.sign_in_log()[0]);
/// assert_eq!(v1["status"]["errorCode"], 50126);
/// assert_eq!(v1["riskEventTypes"], serde_json::json!([]));
/// assert!(v1.get("authenticationDetails").is_none());
/// assert!(graph::sign_in_beta(&t.sign_in_log()[0]).get("authenticationDetails").is_some());
/// # Ok::<(), tapsim::Error>(())
/// ```
pub fn sign_in_v1(r: &crate::SignInRecord) -> serde_json::Value {
    use serde_json::{Value, json};
    json!({
        "id": r.id,
        "appDisplayName": r.app_display_name,
        "appId": Value::Null,
        "appliedConditionalAccessPolicies": [],
        "authenticationAppDeviceDetails": Value::Null,
        "clientAppUsed": r.client_app_used,
        "conditionalAccessStatus": Value::Null,
        "correlationId": r.correlation_id,
        "createdDateTime": format_datetime(&r.created_date_time),
        "deviceDetail": Value::Null,
        "homeTenantId": r.home_tenant_id,
        "ipAddress": Value::Null,
        "isInteractive": r.is_interactive,
        "location": Value::Null,
        "resourceDisplayName": Value::Null,
        "resourceId": Value::Null,
        "resourceTenantId": r.resource_tenant_id,
        "riskDetail": Value::Null,
        "riskEventTypes": [],
        "riskEventTypes_v2": [],
        "riskLevelAggregated": Value::Null,
        "riskLevelDuringSignIn": Value::Null,
        "riskState": Value::Null,
        "servicePrincipalId": Value::Null,
        "servicePrincipalName": Value::Null,
        "status": {
            "additionalDetails": r.status.additional_details,
            "errorCode": r.status.error_code,
            "failureReason": r.status.failure_reason,
        },
        "userAgent": Value::Null,
        "userDisplayName": r.user_display_name,
        "userId": r.user_id,
        "userPrincipalName": r.user_principal_name,
    })
}

/// A sign-in record as Graph beta's `signIn` (spec G3): [`sign_in_v1`] plus the beta
/// properties tapsim models, `authenticationDetails` and `authenticationRequirement`.
pub fn sign_in_beta(r: &crate::SignInRecord) -> serde_json::Value {
    let mut v = sign_in_v1(r);
    if let Some(o) = v.as_object_mut() {
        o.insert(
            "authenticationDetails".into(),
            serde_json::to_value(&r.authentication_details).unwrap_or_default(),
        );
        o.insert(
            "authenticationRequirement".into(),
            r.authentication_requirement.clone().into(),
        );
    }
    v
}

/// An audit record as Graph v1.0's `directoryAudit` (spec G3): every property the v1.0
/// schema declares, nested types included (`initiatedBy.app` and `user.ipAddress`,
/// `targetResources[].groupType` `null`), and no other.
///
/// ```
/// # use tapsim::*;
/// # let mut t = Tenant::builder().hash_cost(HashCost::Minimum).clock(ManualClock::new(chrono::DateTime::UNIX_EPOCH)).build()?;
/// let ga = t.add_user(NewUser::member("ga@contoso.com", "GA").role(Role::GlobalAdministrator))?;
/// t.update_policy(ga, &PolicyPatch::new().state(PolicyState::Enabled))?;
/// let v1 = graph::audit_v1(&t.audit_log()[0]);
/// assert_eq!(v1["initiatedBy"]["app"], serde_json::Value::Null);
/// assert_eq!(v1["targetResources"][0]["groupType"], serde_json::Value::Null);
/// # Ok::<(), tapsim::Error>(())
/// ```
pub fn audit_v1(r: &crate::AuditRecord) -> serde_json::Value {
    use serde_json::{Value, json};
    let targets: Vec<Value> = r
        .target_resources
        .iter()
        .map(|t| {
            json!({
                "displayName": t.display_name,
                "groupType": Value::Null,
                "id": t.id,
                "modifiedProperties": t.modified_properties.iter().map(|m| json!({
                    "displayName": m.display_name,
                    "newValue": m.new_value,
                    "oldValue": m.old_value,
                })).collect::<Vec<_>>(),
                "type": t.kind,
                "userPrincipalName": t.user_principal_name,
            })
        })
        .collect();
    let user = &r.initiated_by.user;
    json!({
        "id": r.id,
        "activityDateTime": format_datetime(&r.activity_date_time),
        "activityDisplayName": r.activity_display_name,
        "additionalDetails": r.additional_details.iter().map(|k| json!({"key": k.key, "value": k.value})).collect::<Vec<_>>(),
        "category": r.category,
        "correlationId": r.correlation_id,
        "initiatedBy": {
            "app": Value::Null,
            "user": {
                "displayName": user.display_name,
                "id": user.id,
                "ipAddress": Value::Null,
                "userPrincipalName": user.user_principal_name,
            },
        },
        "loggedByService": r.logged_by_service,
        "operationType": r.operation_type,
        "result": r.result,
        "resultReason": r.result_reason,
        "targetResources": targets,
    })
}

/// A pass as Graph v1.0's `temporaryAccessPassAuthenticationMethod` (spec G1, G3): every
/// property the v1.0 schema declares, `temporaryAccessPass` `null` (the secret is shown
/// only at creation, [`crate::IssuedPass::danger_graph_json`]), and no other. The same
/// JSON as serializing the [`crate::TemporaryAccessPass`].
///
/// ```
/// # use chrono::{TimeZone, Utc};
/// # use tapsim::*;
/// # let mut t = Tenant::builder().clock(ManualClock::new(Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap())).hash_cost(HashCost::Minimum).build()?;
/// # let ga = t.add_user(NewUser::member("ga@contoso.com", "GA").role(Role::GlobalAdministrator))?;
/// # t.update_policy(ga, &PolicyPatch::new().state(PolicyState::Enabled))?;
/// let ada = t.add_user(NewUser::member("ada@contoso.com", "Ada"))?;
/// let issued = t.create_pass(ga, ada, PassOptions::default())?;
/// let pass = t.get_pass(ga, ada, issued.pass.id)?;
/// let v1 = graph::pass_v1(&pass);
/// assert_eq!(v1["temporaryAccessPass"], serde_json::Value::Null);
/// assert!(v1.get("lastUsedDateTime").is_none());
/// assert_eq!(graph::pass_beta(&pass)["lastUsedDateTime"], serde_json::Value::Null);
/// # Ok::<(), tapsim::Error>(())
/// ```
pub fn pass_v1(p: &crate::TemporaryAccessPass) -> serde_json::Value {
    // A struct of strings, numbers and booleans: serializing cannot fail.
    serde_json::to_value(p).unwrap_or(serde_json::Value::Null)
}

/// A pass as Graph beta's `temporaryAccessPassAuthenticationMethod` (spec G3):
/// [`pass_v1`] plus the beta-only `lastUsedDateTime` (the last successful sign-in or
/// step-up with the pass, `null` when it has never been used).
pub fn pass_beta(p: &crate::TemporaryAccessPass) -> serde_json::Value {
    with_last_used(pass_v1(p), p.last_used_date_time.as_ref())
}

/// Graph beta's `201 Created` body for a new pass (spec G3, T4): the secret in clear, as
/// [`crate::IssuedPass::danger_graph_json`], plus the beta-only `lastUsedDateTime`
/// (`null`: a new pass has not been used). Whatever you do with it can leak the secret.
pub fn danger_issued_pass_beta(issued: &crate::IssuedPass) -> serde_json::Value {
    with_last_used(
        issued.danger_graph_json(),
        issued.pass.last_used_date_time.as_ref(),
    )
}

fn with_last_used(
    mut v: serde_json::Value,
    last_used: Option<&DateTime<Utc>>,
) -> serde_json::Value {
    if let Some(o) = v.as_object_mut() {
        o.insert(
            "lastUsedDateTime".into(),
            last_used.map_or(serde_json::Value::Null, |t| format_datetime(t).into()),
        );
    }
    v
}
