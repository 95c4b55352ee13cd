//! Spec G1, G2: Microsoft Graph JSON shapes, checked against Graph's documented examples
//! and against the v1.0 schema excerpt (tests/data, a copy of
//! ../shared/spec/graph-v1.0-schema-excerpt.xml).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Duration, TimeZone, Utc};
use serde_json::{Value, json};
use tapsim::*;

use crate::common::*;

const SCHEMA: &str = include_str!("data/graph-v1.0-schema-excerpt.xml");

/// Property name -> type, for an entity or complex type, inherited properties included.
fn schema_properties(type_name: &str) -> BTreeMap<String, String> {
    let mut props = BTreeMap::new();
    let mut name = Some(type_name.to_owned());
    while let Some(n) = name.take() {
        let open = [
            format!("<EntityType Name=\"{n}\""),
            format!("<ComplexType Name=\"{n}\""),
        ]
        .into_iter()
        .find_map(|tag| SCHEMA.find(&tag))
        .unwrap_or_else(|| panic!("type {n} not in the schema excerpt"));
        let rest = &SCHEMA[open..];
        let header_end = rest.find('>').unwrap();
        let header = &rest[..header_end];
        let end = rest
            .find("</EntityType>")
            .into_iter()
            .chain(rest.find("</ComplexType>"))
            .min()
            .unwrap();
        for line in rest[..end].lines() {
            let line = line.trim();
            if line.starts_with("<Property ") || line.starts_with("<NavigationProperty ") {
                let attr = |a: &str| {
                    let k = format!("{a}=\"");
                    let i = line.find(&k).unwrap() + k.len();
                    line[i..i + line[i..].find('"').unwrap()].to_owned()
                };
                props.insert(attr("Name"), attr("Type"));
            }
        }
        if let Some(i) = header.find("BaseType=\"graph.") {
            let b = &header[i + 16..];
            name = Some(b[..b.find('"').unwrap()].to_owned());
        }
    }
    props
}

/// Checks that every property of `json` is in the schema for `type_name`, with a JSON
/// type fitting the Edm type; `extra` names the allowed non-v1.0 properties.
fn assert_matches_schema(json: &Value, type_name: &str, extra: &[&str]) {
    let props = schema_properties(type_name);
    let obj = json
        .as_object()
        .unwrap_or_else(|| panic!("{type_name}: not an object: {json}"));
    for (k, v) in obj {
        if k.starts_with('@') || extra.contains(&k.as_str()) {
            continue;
        }
        let ty = props.get(k).unwrap_or_else(|| {
            panic!("{type_name}: property `{k}` is not in the Graph v1.0 schema")
        });
        let ok = match ty.as_str() {
            _ if v.is_null() => true,
            "Edm.String" => v.is_string(),
            "Edm.Int32" => v.is_i64(),
            "Edm.Boolean" => v.is_boolean(),
            "Edm.DateTimeOffset" => v.as_str().is_some_and(|s| graph::parse_datetime(s).is_ok()),
            t if t.starts_with("Collection(") => v.is_array(),
            "graph.authenticationMethodState" => v == "enabled" || v == "disabled",
            "graph.operationResult" => v == "success" || v == "failure",
            t if t.starts_with("graph.") => v.is_object() || v.is_string(),
            _ => false,
        };
        assert!(ok, "{type_name}.{k}: `{v}` does not fit `{ty}`");
    }
}

#[test]
fn g1_default_policy_enabled_is_graphs_documented_get_example() {
    let mut fx = Fx::new();
    let policy = fx.patch(PolicyPatch::new().state(PolicyState::Enabled));
    // Graph's documented GET example, less the two `@odata.context` response
    // annotations, which describe the HTTP response rather than the object (see the next
    // test for the response with them).
    let mut documented = documented_get_example();
    let map = documented.as_object_mut().unwrap();
    map.remove("@odata.context");
    map.remove("includeTargets@odata.context");
    assert_eq!(serde_json::to_value(&policy).unwrap(), documented);
}

#[test]
fn g1_get_response_is_graphs_documented_example_letter_for_letter() {
    let mut fx = Fx::new();
    let policy = fx.patch(PolicyPatch::new().state(PolicyState::Enabled));
    assert_eq!(
        graph::policy_get_response(&policy),
        documented_get_example()
    );
}

/// Graph's documented v1.0 GET example for the policy, as published (its includeTargets
/// annotation carries a beta URL).
fn documented_get_example() -> Value {
    serde_json::from_str(
        r##"{
    "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#authenticationMethodConfigurations/$entity",
    "@odata.type": "#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration",
    "id": "TemporaryAccessPass",
    "state": "enabled",
    "defaultLifetimeInMinutes": 60,
    "defaultLength": 8,
    "minimumLifetimeInMinutes": 60,
    "maximumLifetimeInMinutes": 480,
    "isUsableOnce": false,
    "includeTargets@odata.context": "https://graph.microsoft.com/beta/$metadata#policies/authenticationMethodsPolicy/authenticationMethodConfigurations('TemporaryAccessPass')/microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration/includeTargets",
    "includeTargets": [
        {
            "targetType": "group",
            "id": "all_users",
            "isRegistrationRequired": false
        }
    ],
    "excludeTargets": []
}"##,
    )
    .unwrap()
}

#[test]
fn g1_policy_properties_match_the_schema() {
    let mut fx = Fx::new();
    let g = fx.tenant.add_group("g");
    let p = fx.patch(PolicyPatch::new().exclude_targets(vec![ExcludeTarget::group(g)]));
    let json = serde_json::to_value(&p).unwrap();
    assert_matches_schema(
        &json,
        "temporaryAccessPassAuthenticationMethodConfiguration",
        &[],
    );
    let schema: BTreeSet<String> =
        schema_properties("temporaryAccessPassAuthenticationMethodConfiguration")
            .into_keys()
            .collect();
    let ours: BTreeSet<String> = json
        .as_object()
        .unwrap()
        .keys()
        .filter(|k| !k.starts_with('@'))
        .cloned()
        .collect();
    assert_eq!(ours, schema, "every property, inherited ones included");
    assert_matches_schema(
        &json["includeTargets"][0],
        "authenticationMethodTarget",
        &[],
    );
    assert_matches_schema(&json["excludeTargets"][0], "excludeTarget", &[]);
    // Round trip.
    let back: TapPolicy = serde_json::from_value(json).unwrap();
    assert_eq!(back, p);
}

#[test]
fn g1_pass_json_matches_graphs_create_example_shape() {
    let start = Utc.with_ymd_and_hms(2022, 6, 5, 0, 0, 0).unwrap();
    let mut fx = Fx::enabled();
    fx.clock.set(
        Utc.with_ymd_and_hms(2022, 6, 2, 16, 21, 9).unwrap() + Duration::microseconds(765_173),
    );
    let issued = fx.issue(fx.ada, PassOptions::from_graph_json(r#"{"startDateTime": "2022-06-05T00:00:00.000Z", "lifetimeInMinutes": 60, "isUsableOnce": false}"#).unwrap());
    let created = issued.danger_graph_json();
    let expected = json!({
        "@odata.type": "#microsoft.graph.temporaryAccessPassAuthenticationMethod",
        "id": issued.pass.id.to_string(),
        "temporaryAccessPass": issued.secret.danger_reveal(),
        "createdDateTime": "2022-06-02T16:21:09.765173Z",
        "startDateTime": "2022-06-05T00:00:00Z",
        "lifetimeInMinutes": 60,
        "isUsableOnce": false,
        "isUsable": false,
        "methodUsabilityReason": "NotYetValid"
    });
    assert_eq!(created, expected);
    assert_eq!(issued.pass.start_date_time, start);
    let schema: BTreeSet<String> = schema_properties("temporaryAccessPassAuthenticationMethod")
        .into_keys()
        .collect();
    let ours: BTreeSet<String> = created
        .as_object()
        .unwrap()
        .keys()
        .filter(|k| !k.starts_with('@'))
        .cloned()
        .collect();
    assert_eq!(ours, schema);
    assert_matches_schema(&created, "temporaryAccessPassAuthenticationMethod", &[]);
    let read = serde_json::to_value(fx.tenant.pass_view(fx.ada).unwrap()).unwrap();
    assert_eq!(read["temporaryAccessPass"], Value::Null);
    assert_matches_schema(&read, "temporaryAccessPassAuthenticationMethod", &[]);
}

#[test]
fn g1_create_body_rejects_unknown_and_mistyped_fields() {
    for (body, needle) in [
        (r#"{"lifetime": 60}"#, "lifetime"),
        (r#"{"lifetimeInMinutes": "sixty"}"#, "invalid type"),
        (r#"{"startDateTime": "tomorrow"}"#, "tomorrow"),
        (r#"{"isUsableOnce": 1}"#, "invalid type"),
    ] {
        let e = PassOptions::from_graph_json(body).unwrap_err();
        assert_eq!(e.code(), ErrorCode::BadRequest);
        assert!(e.to_string().contains(needle), "{body}: {e}");
    }
}

/// Asserts that `json` carries exactly the properties the schema declares for
/// `type_name` (inherited ones included) plus `extra`, each fitting its type (spec G3).
fn assert_exactly_the_schema(json: &Value, type_name: &str, extra: &[&str]) {
    assert_matches_schema(json, type_name, extra);
    let ours: BTreeSet<String> = json
        .as_object()
        .unwrap()
        .keys()
        .filter(|k| !k.starts_with('@'))
        .cloned()
        .collect();
    let mut want: BTreeSet<String> = schema_properties(type_name).into_keys().collect();
    want.extend(extra.iter().map(|e| (*e).to_owned()));
    assert_eq!(
        ours, want,
        "{type_name}: every property of its type, and no other"
    );
}

/// A tenant whose logs hold every kind of record: sign-ins allowed and denied, each
/// audit activity tapsim writes.
fn busy_logs() -> Fx {
    let mut fx = Fx::enabled();
    let issued = fx.issue(fx.ada, PassOptions::default());
    let s = fx.sign_in_pass(ADA, &issued.secret).session().unwrap().id();
    fx.tenant.sign_in(ADA, Credential::Pass("nope-nope"));
    fx.tenant
        .sign_in("ghost@contoso.com", Credential::Password("x"));
    let key = fx
        .tenant
        .register_method(s, MethodKind::Fido2SecurityKey, "key")
        .unwrap();
    fx.tenant.sign_in(ADA, Credential::Device(&key));
    fx.tenant
        .delete_pass(fx.auth_admin, fx.ada, issued.pass.id)
        .unwrap();
    fx.tenant
        .revoke_sign_in_sessions(fx.auth_admin, fx.ada)
        .unwrap();
    fx.tenant.reset_policy(fx.policy_admin).unwrap();
    fx
}

#[test]
fn g3_sign_in_views_carry_every_v1_property_and_beta_adds_its_own() {
    let fx = busy_logs();
    assert!(fx.tenant.sign_in_log().len() >= 4);
    for rec in fx.tenant.sign_in_log() {
        let v1 = graph::sign_in_v1(rec);
        assert_exactly_the_schema(&v1, "signIn", &[]);
        assert_exactly_the_schema(&v1["status"], "signInStatus", &[]);
        assert_eq!(v1["id"], rec.id.to_string());
        assert_eq!(v1["userPrincipalName"], rec.user_principal_name);
        assert_eq!(v1["appId"], Value::Null, "unmodelled: null");
        assert_eq!(
            v1["appliedConditionalAccessPolicies"],
            json!([]),
            "unmodelled: []"
        );
        let beta = graph::sign_in_beta(rec);
        assert_exactly_the_schema(
            &beta,
            "signIn",
            &["authenticationDetails", "authenticationRequirement"],
        );
        assert_eq!(
            beta["authenticationDetails"][0]["authenticationMethod"],
            rec.authentication_details[0].authentication_method
        );
        // The domain's own fields (S11's modes) are no Graph property.
        assert!(beta.get("authenticationMethodModes").is_none());
    }
}

#[test]
fn g3_audit_view_carries_every_v1_property_of_every_nested_type() {
    let fx = busy_logs();
    let activities: BTreeSet<_> = fx
        .tenant
        .audit_log()
        .iter()
        .filter_map(|r| r.activity())
        .collect::<Vec<_>>()
        .into_iter()
        .map(|a| a.display_name())
        .collect();
    assert!(activities.len() >= 5, "{activities:?}");
    for rec in fx.tenant.audit_log() {
        let json = graph::audit_v1(rec);
        assert_exactly_the_schema(&json, "directoryAudit", &[]);
        assert_exactly_the_schema(&json["initiatedBy"], "auditActivityInitiator", &[]);
        assert_exactly_the_schema(&json["initiatedBy"]["user"], "userIdentity", &[]);
        assert_eq!(json["activityDisplayName"], rec.activity_display_name);
        for t in json["targetResources"].as_array().unwrap() {
            assert_exactly_the_schema(t, "targetResource", &[]);
            for m in t["modifiedProperties"].as_array().unwrap() {
                assert_exactly_the_schema(m, "modifiedProperty", &[]);
            }
        }
        for d in json["additionalDetails"].as_array().unwrap() {
            assert_exactly_the_schema(d, "keyValue", &[]);
        }
    }
}

#[test]
fn g3_every_fido2_kind_carries_every_v1_property_of_fido2_authentication_method() {
    let mut fx = Fx::enabled();
    let once = fx.issue(
        fx.ada,
        PassOptions::new()
            .usable_once(true)
            .lifetime_in_minutes(120),
    );
    let s = fx.sign_in_pass(ADA, &once.secret).session().unwrap().id();
    let kinds = [
        MethodKind::Fido2SecurityKey,
        MethodKind::Passkey,
        MethodKind::AuthenticatorPasskey,
    ];
    for kind in kinds {
        fx.tenant
            .register_method(s, kind, kind.display_name())
            .unwrap();
    }
    let listed = fx.tenant.list_methods(fx.auth_admin, fx.ada).unwrap();
    assert_eq!(listed.len(), kinds.len());
    let mut shapes = BTreeSet::new();
    for view in &listed {
        let json = serde_json::to_value(view).unwrap();
        assert_eq!(
            json["@odata.type"],
            "#microsoft.graph.fido2AuthenticationMethod"
        );
        // Exactly the declared properties (entity's `id`, authenticationMethod's
        // `createdDateTime` and fido2AuthenticationMethod's own), each fitting its type.
        assert_exactly_the_schema(&json, "fido2AuthenticationMethod", &[]);
        let keys: Vec<String> = json.as_object().unwrap().keys().cloned().collect();
        shapes.insert(keys);
        // Property by property.
        let authenticator = view.kind == MethodKind::AuthenticatorPasskey;
        assert_eq!(json["id"], view.id.to_string());
        assert_eq!(
            json["createdDateTime"],
            graph::format_datetime(&view.created_date_time)
        );
        assert_eq!(json["displayName"], view.kind.display_name());
        assert_eq!(
            json["aaGuid"],
            if authenticator {
                json!(AUTHENTICATOR_PASSKEY_AAGUID)
            } else {
                Value::Null
            },
            "{:?}",
            view.kind
        );
        assert_eq!(
            json["model"],
            if authenticator {
                json!(AUTHENTICATOR_PASSKEY_MODEL)
            } else {
                Value::Null
            }
        );
        assert_eq!(json["attestationCertificates"], json!([]), "unmodelled: []");
        assert_eq!(
            json["attestationLevel"],
            if authenticator {
                json!("notAttested")
            } else {
                Value::Null
            }
        );
        assert_eq!(
            json["passkeyType"],
            match view.kind {
                MethodKind::Passkey => Value::Null,
                _ => json!("deviceBound"),
            }
        );
        assert_eq!(json["publicKeyCredential"], Value::Null, "unmodelled: null");
    }
    assert_eq!(shapes.len(), 1, "one shape in one fido2Methods collection");
}

#[test]
fn g3_pass_view_has_every_v1_property() {
    let mut fx = Fx::enabled();
    let issued = fx.issue(fx.ada, PassOptions::default());
    let pass = fx.tenant.get_pass(fx.ada, fx.ada, issued.pass.id).unwrap();
    let json = serde_json::to_value(&pass).unwrap();
    assert_exactly_the_schema(&json, "temporaryAccessPassAuthenticationMethod", &[]);
}

#[test]
fn g3_pass_views_v1_is_the_schema_and_beta_adds_last_used_date_time() {
    let mut fx = Fx::enabled();
    let issued = fx.issue(fx.ada, PassOptions::default());
    // Created: the secret in clear, beta adds `lastUsedDateTime` (never used yet).
    let created_v1 = issued.danger_graph_json();
    assert_exactly_the_schema(&created_v1, "temporaryAccessPassAuthenticationMethod", &[]);
    let created_beta = graph::danger_issued_pass_beta(&issued);
    assert_exactly_the_schema(
        &created_beta,
        "temporaryAccessPassAuthenticationMethod",
        &["lastUsedDateTime"],
    );
    assert_eq!(
        created_beta["temporaryAccessPass"],
        issued.secret.danger_reveal()
    );
    assert_eq!(created_beta["lastUsedDateTime"], Value::Null);
    let mut without = created_beta.clone();
    without.as_object_mut().unwrap().remove("lastUsedDateTime");
    assert_eq!(without, created_v1, "beta is v1.0 plus lastUsedDateTime");

    // Read before and after a sign-in.
    let unused = fx.tenant.get_pass(fx.ada, fx.ada, issued.pass.id).unwrap();
    let v1 = graph::pass_v1(&unused);
    assert_exactly_the_schema(&v1, "temporaryAccessPassAuthenticationMethod", &[]);
    assert_eq!(v1, serde_json::to_value(&unused).unwrap());
    assert_eq!(
        v1["temporaryAccessPass"],
        Value::Null,
        "no secret after creation"
    );
    assert_eq!(graph::pass_beta(&unused)["lastUsedDateTime"], Value::Null);

    fx.advance(Duration::seconds(90) + Duration::microseconds(123_456));
    let at = fx.tenant.now();
    assert!(fx.sign_in_pass(ADA, &issued.secret).is_allowed());
    let used = fx.tenant.get_pass(fx.ada, fx.ada, issued.pass.id).unwrap();
    let v1 = graph::pass_v1(&used);
    assert!(v1.get("lastUsedDateTime").is_none(), "not a v1.0 property");
    let beta = graph::pass_beta(&used);
    assert_exactly_the_schema(
        &beta,
        "temporaryAccessPassAuthenticationMethod",
        &["lastUsedDateTime"],
    );
    assert_eq!(beta["lastUsedDateTime"], graph::format_datetime(&at));
    assert_eq!(beta["lastUsedDateTime"], "2026-01-05T09:01:30.123456Z");
    let mut without = beta.clone();
    without.as_object_mut().unwrap().remove("lastUsedDateTime");
    assert_eq!(without, v1, "beta is v1.0 plus lastUsedDateTime");
}

#[test]
fn g1_methods_match_their_schemas() {
    let mut fx = Fx::enabled();
    for kind in MethodKind::ALL.into_iter().filter(|k| k.is_registrable()) {
        fx.tenant.provision_method(fx.ada, kind, "label").unwrap();
    }
    for m in fx.tenant.list_methods(fx.ada, fx.ada).unwrap() {
        let json = serde_json::to_value(&m).unwrap();
        let ty = m.kind.odata_type().trim_start_matches("#microsoft.graph.");
        assert_matches_schema(&json, ty, &[]);
    }
}

#[test]
fn g2_error_envelope_and_statuses() {
    let at = Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap();
    let rid: Guid = "11111111-2222-4333-8444-555555555555".parse().unwrap();
    let cases: Vec<(Error, &str, u16)> = vec![
        (
            Error::LifetimeOutOfRange { min: 60, max: 480 },
            "badRequest",
            400,
        ),
        (Error::UserOutOfPolicyScope, "badRequest", 400),
        (Error::ExternalGuest, "badRequest", 400),
        (Error::MultiUseNotAllowed, "badRequest", 400),
        (Error::AccessDenied(Denial::SelfIssue), "accessDenied", 403),
        (Error::UserNotFound("x".into()), "itemNotFound", 404),
        (Error::PassNotFound("x".into()), "itemNotFound", 404),
        (
            Error::GroupNotFound(GroupId(Guid::NIL)),
            "request_ResourceNotFound",
            404,
        ),
        (Error::PassAlreadyExists, "conflict", 409),
    ];
    for (e, code, status) in cases {
        assert_eq!(e.code().as_str(), code);
        assert_eq!(e.http_status(), status);
        let env = e.to_graph_json(at, rid, Guid::NIL);
        assert_eq!(
            env,
            json!({"error": {"code": code, "message": e.to_string(), "innerError": {
                "date": "2026-01-05T09:00:00",
                "request-id": "11111111-2222-4333-8444-555555555555",
                "client-request-id": "00000000-0000-0000-0000-000000000000"}}})
        );
    }
}

#[test]
fn g2_messages_help() {
    let e = Error::Invalid(Invalid::OutOfRange {
        field: "defaultLength",
        value: 60,
        min: 8,
        max: 48,
    });
    assert_eq!(
        e.to_string(),
        "`defaultLength` must be between 8 and 48, got `60`"
    );
    assert_eq!(
        Error::ExternalGuest.to_string(),
        "Temporary Access Pass cannot be added to an external guest user."
    );
}

#[test]
fn g2_all_constants_list_each_value_once_with_its_graph_spelling() {
    let codes: BTreeSet<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(codes.len(), ErrorCode::ALL.len());
    for c in ErrorCode::ALL {
        assert_eq!(serde_json::to_value(c).unwrap(), c.as_str());
    }
    let reasons: BTreeSet<&str> = UsabilityReason::ALL.iter().map(|r| r.as_str()).collect();
    assert_eq!(reasons.len(), 5);
    let denials: BTreeSet<String> = DenialReason::ALL
        .iter()
        .map(|d| {
            serde_json::to_value(d)
                .unwrap()
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(denials.len(), DenialReason::ALL.len());
}

#[test]
fn g1_names_match_their_serde_spelling() {
    for d in DenialReason::ALL {
        assert_eq!(serde_json::to_value(d).unwrap(), d.name());
    }
    for s in [
        Scope::InScope,
        Scope::PolicyDisabled,
        Scope::NotIncluded,
        Scope::Excluded,
    ] {
        assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
    }
}

// ---- R16: Graph date-times --------------------------------------------------------------

#[test]
fn r16_date_times_are_utc_with_at_most_seven_digits_truncated() {
    let t = Utc.with_ymd_and_hms(2022, 6, 2, 16, 21, 9).unwrap();
    let at = |nanos: i64| graph::format_datetime(&(t + Duration::nanoseconds(nanos)));
    assert_eq!(at(0), "2022-06-02T16:21:09Z");
    // Never rounded up, not even to the next second.
    assert_eq!(at(999_999_999), "2022-06-02T16:21:09.9999999Z");
    assert_eq!(at(765_173_999), "2022-06-02T16:21:09.7651739Z");
    // Below one tick (100 ns): nothing.
    assert_eq!(at(99), "2022-06-02T16:21:09Z");
    assert_eq!(at(100), "2022-06-02T16:21:09.0000001Z");
    assert_eq!(at(765_173_000), "2022-06-02T16:21:09.765173Z");
    assert_eq!(at(120_000_000), "2022-06-02T16:21:09.120Z");
    assert_eq!(
        graph::format_datetime(&graph::latest_instant()),
        "9999-12-31T23:59:59.999999Z"
    );
    for nanos in [0, 1, 99, 100, 123_456_789, 999_999_999] {
        let s = at(nanos);
        let frac = s
            .trim_end_matches('Z')
            .split_once('.')
            .map_or(0, |(_, f)| f.len());
        assert!(frac <= 7 && s.ends_with('Z'), "{s}");
        // What is written parses back to the truncated instant.
        let back = graph::parse_datetime(&s).unwrap();
        assert_eq!(back, t + Duration::nanoseconds(nanos / 100 * 100));
    }
}

#[test]
fn r16_inner_error_date_has_no_fraction_and_no_offset() {
    let at =
        Utc.with_ymd_and_hms(2021, 4, 1, 17, 2, 1).unwrap() + Duration::nanoseconds(987_654_321);
    let env = Error::ExternalGuest.to_graph_json(at, Guid::NIL, Guid::NIL);
    assert_eq!(env["error"]["innerError"]["date"], "2021-04-01T17:02:01");
}

/// A clock with nanoseconds, as a system clock has.
#[derive(Debug)]
struct NanoClock(chrono::DateTime<Utc>);

impl Clock for NanoClock {
    fn now(&self) -> chrono::DateTime<Utc> {
        self.0
    }
}

#[test]
fn r16_a_clock_with_nanoseconds_gives_seven_digit_records_and_exact_snapshots() {
    let now = t0() + Duration::nanoseconds(123_456_789);
    let mut t = Tenant::builder()
        .seed(3)
        .clock(NanoClock(now))
        .hash_cost(HashCost::Minimum)
        .build()
        .unwrap();
    let ga = t
        .add_user(NewUser::member("ga@contoso.com", "GA").role(Role::GlobalAdministrator))
        .unwrap();
    let ada = t.add_user(NewUser::member(ADA, "Ada")).unwrap();
    t.update_policy(ga, &PolicyPatch::new().state(PolicyState::Enabled))
        .unwrap();
    let body = r#"{"startDateTime": "2026-01-05T09:00:00.000000099Z", "lifetimeInMinutes": 60}"#;
    let issued = t
        .create_pass(ga, ada, PassOptions::from_graph_json(body).unwrap())
        .unwrap();
    assert!(
        t.sign_in(ADA, Credential::Pass(issued.secret.danger_reveal()))
            .is_allowed()
    );
    let expected = "2026-01-05T09:00:00.1234567Z";
    assert_eq!(t.now(), t0() + Duration::nanoseconds(123_456_700));
    let pass = serde_json::to_value(&issued.pass).unwrap();
    assert_eq!(pass["createdDateTime"], expected);
    assert_eq!(pass["startDateTime"], "2026-01-05T09:00:00Z");
    assert_eq!(
        serde_json::to_value(&t.audit_log()[1]).unwrap()["activityDateTime"],
        expected
    );
    let sign_in = serde_json::to_value(&t.sign_in_log()[0]).unwrap();
    assert_eq!(sign_in["createdDateTime"], expected);
    assert_eq!(
        sign_in["authenticationDetails"][0]["authenticationStepDateTime"],
        expected
    );
    // What is stored is what the JSON says: the snapshot round-trips exactly.
    let snapshot = t.snapshot();
    let text = serde_json::to_string(&snapshot).unwrap();
    let back: TenantState = serde_json::from_str(&text).unwrap();
    assert_eq!(back, snapshot);
}

proptest::proptest! {
    /// The hand-written formatter says what chrono's own formatting says, for every
    /// instant a tenant can hold (R16: at most 7 digits, truncated).
    #[test]
    fn r16_format_datetime_agrees_with_chrono(secs in 0i64..253_402_300_799, nanos in 0u32..1_000_000_000) {
        let t = chrono::DateTime::from_timestamp(secs, nanos).unwrap();
        let ticks = nanos / 100;
        let whole = t.format("%Y-%m-%dT%H:%M:%S").to_string();
        let fraction = format!("{ticks:07}");
        let fraction = fraction.trim_end_matches('0');
        let digits = match fraction.len() {
            0 => 0,
            1..=3 => 3,
            4..=6 => 6,
            _ => 7,
        };
        let want = if digits == 0 {
            format!("{whole}Z")
        } else {
            format!("{whole}.{}Z", &format!("{ticks:07}")[..digits])
        };
        proptest::prop_assert_eq!(tapsim::graph::format_datetime(&t), want);
        proptest::prop_assert_eq!(tapsim::graph::format_error_date(&t), whole);
    }

    /// GUIDs print as the hyphenated lower-case form and parse back.
    #[test]
    fn guid_display_round_trips(bytes in proptest::array::uniform16(proptest::num::u8::ANY)) {
        let g = tapsim::Guid::from_bytes(bytes);
        let text = g.to_string();
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let want = format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..]);
        proptest::prop_assert_eq!(&text, &want);
        proptest::prop_assert_eq!(text.parse::<tapsim::Guid>().unwrap(), g);
    }
}

/// Every other registrable kind renders exactly its v1.0 type's properties (spec G3):
/// what tapsim does not model is `null`, and no secret is ever read back
/// (`secretKey`). Navigation properties (`device`) are not properties.
#[test]
fn g3_every_other_method_kind_carries_exactly_its_v1_type() {
    let mut fx = Fx::enabled();
    let issued = fx.issue(fx.ada, PassOptions::new().lifetime_in_minutes(120));
    let s = fx.sign_in_pass(ADA, &issued.secret).session().unwrap().id();
    let kinds = [
        (
            MethodKind::MicrosoftAuthenticatorPush,
            "microsoftAuthenticatorAuthenticationMethod",
        ),
        (
            MethodKind::MicrosoftAuthenticatorPasswordless,
            "microsoftAuthenticatorAuthenticationMethod",
        ),
        (
            MethodKind::WindowsHelloForBusiness,
            "windowsHelloForBusinessAuthenticationMethod",
        ),
        (MethodKind::Sms, "phoneAuthenticationMethod"),
        (MethodKind::Voice, "phoneAuthenticationMethod"),
        (MethodKind::SoftwareOath, "softwareOathAuthenticationMethod"),
    ];
    for (kind, _) in kinds {
        fx.tenant
            .register_method(s, kind, kind.display_name())
            .unwrap();
    }
    let listed = fx.tenant.list_methods(fx.auth_admin, fx.ada).unwrap();
    assert_eq!(listed.len(), kinds.len());
    for (view, (kind, type_name)) in listed.iter().zip(kinds) {
        assert_eq!(view.kind, kind);
        let json = serde_json::to_value(view).unwrap();
        assert_eq!(json["@odata.type"], format!("#microsoft.graph.{type_name}"));
        assert_matches_schema(&json, type_name, &[]);
        // Every declared property but the `device` navigation property, which Graph
        // returns only when asked with `$expand`.
        let ours: BTreeSet<String> = json
            .as_object()
            .unwrap()
            .keys()
            .filter(|k| !k.starts_with('@'))
            .cloned()
            .collect();
        let want: BTreeSet<String> = schema_properties(type_name)
            .into_keys()
            .filter(|k| k != "device")
            .collect();
        assert_eq!(ours, want, "{type_name}");
        assert_eq!(json["id"], view.id.to_string());
        match kind {
            MethodKind::Sms | MethodKind::Voice => {
                assert_eq!(json["phoneNumber"], view.display_name);
                assert_eq!(json["phoneType"], "mobile");
                assert_eq!(json["smsSignInState"], Value::Null);
            }
            MethodKind::SoftwareOath => assert_eq!(json["secretKey"], Value::Null),
            MethodKind::WindowsHelloForBusiness => {
                assert_eq!(json["displayName"], view.display_name);
                assert_eq!(json["keyStrength"], Value::Null);
            }
            _ => {
                assert_eq!(json["displayName"], view.display_name);
                assert_eq!(json["deviceTag"], Value::Null);
                assert_eq!(json["phoneAppVersion"], Value::Null);
            }
        }
    }
}
