//! The Graph server, in-process: every row of graph-server.md and its error paths. Tests
//! are named after the spec rule or the graph-server.md section they check.

#![allow(missing_docs)]

mod common;

use axum::body::Body;
use axum::http::{Method, Request};
use common::*;
use serde_json::{Value, json};
use tapsim_graph::{Limits, ServerConfig};

/// Carol's passes in her home tenant, Fabrikam.
const CAROL_HOME_PASSES: &str =
    "/v1.0/users/carol%40fabrikam.com/authentication/temporaryAccessPassMethods";

// ---- Who is calling ---------------------------------------------------------------------

#[tokio::test]
async fn who_is_calling_no_token_or_unknown_token_is_401() {
    let s = Server::new();
    s.call(Method::GET, POLICY, None, None)
        .await
        .assert_envelope(401, "InvalidAuthenticationToken");
    s.call(Method::GET, POLICY, Some("nope"), None)
        .await
        .assert_envelope(401, "InvalidAuthenticationToken");
    let a = s
        .request(
            Request::get(POLICY)
                .header("authorization", "Basic abc")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    a.assert_envelope(401, "InvalidAuthenticationToken");
}

#[tokio::test]
async fn who_is_calling_tokens_act_as_their_user_and_leave_no_sign_in() {
    let c = cast().await;
    // The help desk may not read the policy (P6); the admin may.
    c.server
        .get(POLICY, &c.helpdesk)
        .await
        .assert_envelope(403, "accessDenied");
    assert_eq!(c.admin_get(POLICY).await.status, 200);
    let log = c.admin_get("/v1.0/auditLogs/signIns").await;
    assert_eq!(
        log.body["value"].as_array().unwrap().len(),
        0,
        "minting signs nobody in"
    );
    let unknown = c
        .server
        .control(
            Method::POST,
            "/tokens",
            json!({"userPrincipalName": "x@contoso.com"}),
        )
        .await;
    unknown.assert_envelope(404, "itemNotFound");
}

#[tokio::test]
async fn who_is_calling_as_makes_tokenless_requests_act_as_that_user() {
    let s = Server::with(config().act_as("admin@contoso.com"));
    assert_eq!(s.call(Method::GET, POLICY, None, None).await.status, 200);
    let me = s.call(Method::GET, "/v1.0/me", None, None).await;
    assert_eq!(me.body["userPrincipalName"], "admin@contoso.com");
    // A token still wins over --as.
    s.user("gina@contoso.com", &[]).await;
    let gina = s.token("gina@contoso.com").await;
    s.get(POLICY, &gina)
        .await
        .assert_envelope(403, "accessDenied");
}

// ---- Passes ----------------------------------------------------------------------------

#[tokio::test]
async fn g1_create_pass_is_201_with_its_secret_then_reads_null() {
    let c = cast().await;
    let created = c
        .create_pass(json!({"isUsableOnce": true, "lifetimeInMinutes": 60}))
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let secret = created.body["temporaryAccessPass"].as_str().unwrap();
    assert_eq!(secret.chars().count(), 8);
    assert_eq!(created.body["methodUsabilityReason"], "EnabledByPolicy");
    assert_eq!(
        created.body["@odata.context"],
        "https://graph.microsoft.com/v1.0/$metadata#users('alex%40contoso.com')/authentication/temporaryAccessPassMethods/$entity"
    );
    let id = created.body["id"].as_str().unwrap();
    let list = c.server.get(PASSES, &c.helpdesk).await;
    assert_eq!(list.status, 200);
    assert_eq!(
        list.body["@odata.context"],
        "https://graph.microsoft.com/v1.0/$metadata#users('alex%40contoso.com')/authentication/temporaryAccessPassMethods"
    );
    let value = list.body["value"].as_array().unwrap();
    assert_eq!(value.len(), 1);
    assert_eq!(value[0]["id"], id);
    assert_eq!(value[0]["temporaryAccessPass"], Value::Null);
    assert!(!list.text.contains(secret), "T4: the secret is shown once");
    let one = c.server.get(&format!("{PASSES}/{id}"), &c.helpdesk).await;
    assert_eq!(one.status, 200);
    assert_eq!(one.body["temporaryAccessPass"], Value::Null);
    assert!(
        value[0].get("lastUsedDateTime").is_none(),
        "G3: v1.0 has no lastUsedDateTime"
    );
}

#[tokio::test]
async fn g3_beta_view_adds_last_used_date_time() {
    let c = cast().await;
    let secret = c.create_pass(json!({})).await.secret();
    let beta = c
        .server
        .get(&PASSES.replace("/v1.0/", "/beta/"), &c.helpdesk)
        .await;
    assert_eq!(beta.body["value"][0]["lastUsedDateTime"], Value::Null);
    assert!(
        beta.body["@odata.context"]
            .as_str()
            .unwrap()
            .starts_with("https://graph.microsoft.com/beta/")
    );
    let signed = c.sign_in_with_pass(&secret).await;
    assert_eq!(signed.body["decision"], "allowed");
    let beta = c
        .server
        .get(&PASSES.replace("/v1.0/", "/beta/"), &c.helpdesk)
        .await;
    assert_eq!(
        beta.body["value"][0]["lastUsedDateTime"],
        "2026-01-05T09:00:00Z"
    );
}

#[tokio::test]
async fn path_keys_decode_match_upns_without_case_and_accept_ids() {
    let c = cast().await;
    c.create_pass(json!({})).await;
    for key in ["alex@contoso.com", "ALEX%40Contoso.com"] {
        let a = c
            .server
            .get(
                &format!("/v1.0/users/{key}/authentication/temporaryAccessPassMethods"),
                &c.helpdesk,
            )
            .await;
        assert_eq!(a.status, 200, "{key}: {}", a.text);
        assert_eq!(a.body["value"].as_array().unwrap().len(), 1);
        assert!(
            a.body["@odata.context"]
                .as_str()
                .unwrap()
                .contains(&format!("users('{key}')"))
        );
    }
    let user = c
        .server
        .get("/v1.0/users/alex@contoso.com", &c.helpdesk)
        .await;
    let id = user.body["id"].as_str().unwrap();
    let by_id = c
        .server
        .get(
            &format!("/v1.0/users/{id}/authentication/temporaryAccessPassMethods"),
            &c.helpdesk,
        )
        .await;
    assert_eq!(by_id.body["value"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn t8_t7_t6_rejections_carry_graph_codes_and_messages() {
    let c = cast().await;
    c.server
        .post(
            "/v1.0/users/hana%40contoso.com/authentication/temporaryAccessPassMethods",
            &c.helpdesk,
            json!({}),
        )
        .await
        .assert_envelope(403, "accessDenied");
    let guest = c
        .server
        .control(
            Method::POST,
            "/users",
            json!({"userPrincipalName": "carol_fabrikam.com#EXT#@contoso.com", "userType": "externalGuest"}),
        )
        .await;
    assert_eq!(guest.status, 201, "{}", guest.text);
    assert_eq!(guest.body["userType"], "Guest");
    let a = c
        .server
        .post("/v1.0/users/carol_fabrikam.com%23EXT%23%40contoso.com/authentication/temporaryAccessPassMethods", &c.helpdesk, json!({}))
        .await;
    a.assert_envelope(400, "badRequest");
    assert_eq!(
        a.message(),
        "Temporary Access Pass cannot be added to an external guest user."
    );
    // T6: scope the policy to a group the user is not in.
    c.server
        .control(Method::POST, "/groups", json!({"displayName": "Recovery"}))
        .await;
    let group = c
        .server
        .control(Method::POST, "/groups", json!({"displayName": "Other"}))
        .await;
    let gid = group.body["id"].as_str().unwrap();
    let patch = c
        .server
        .patch(POLICY, &c.admin, json!({"includeTargets": [{"targetType": "group", "id": gid, "isRegistrationRequired": false}]}))
        .await;
    assert_eq!(patch.status, 204, "{}", patch.text);
    let a = c.create_pass(json!({})).await;
    a.assert_envelope(400, "badRequest");
    assert_eq!(
        a.message(),
        "Converged UserCredentialPolicy does not allow creating or updating this authentication method. AuthMethodType [TemporaryAccessPass]."
    );
}

#[tokio::test]
async fn t3_lifetime_out_of_range_and_bad_bodies_are_400() {
    let c = cast().await;
    let a = c.create_pass(json!({"lifetimeInMinutes": 5})).await;
    a.assert_envelope(400, "badRequest");
    assert_eq!(
        a.message(),
        "Invalid LifetimeInMinutes specified. The valid range between 60 and 480."
    );
    c.create_pass(json!({"lifetimeInMinutes": "sixty"}))
        .await
        .assert_envelope(400, "badRequest");
    c.create_pass(json!({"colour": "blue"}))
        .await
        .assert_envelope(400, "badRequest");
    c.create_pass(json!([1, 2]))
        .await
        .assert_envelope(400, "badRequest");
    c.server
        .raw(Method::POST, PASSES, Some(&c.helpdesk), "{not json")
        .await
        .assert_envelope(400, "invalidRequest");
    let wrong_type = c
        .create_pass(json!({"@odata.type": "#microsoft.graph.user"}))
        .await;
    wrong_type.assert_envelope(400, "badRequest");
    let right_type = c.create_pass(json!({"@odata.type": "#microsoft.graph.temporaryAccessPassAuthenticationMethod", "startDateTime": "2026-01-05T10:00:00.1234567+02:00"}))
        .await;
    assert_eq!(right_type.status, 201, "{}", right_type.text);
    assert_eq!(right_type.body["methodUsabilityReason"], "EnabledByPolicy");
    assert_eq!(
        right_type.body["startDateTime"],
        "2026-01-05T08:00:00.1234567Z"
    );
}

#[tokio::test]
async fn t12_delete_pass_is_204_and_unknown_ids_are_404() {
    let c = cast().await;
    let created = c.create_pass(json!({})).await;
    let id = created.body["id"].as_str().unwrap();
    c.server
        .get(
            &format!("{PASSES}/00000000-0000-0000-0000-000000000000"),
            &c.helpdesk,
        )
        .await
        .assert_envelope(404, "itemNotFound");
    c.server
        .get(&format!("{PASSES}/not-a-guid"), &c.helpdesk)
        .await
        .assert_envelope(404, "itemNotFound");
    let del = c
        .server
        .delete(&format!("{PASSES}/{id}"), &c.helpdesk)
        .await;
    assert_eq!(del.status, 204);
    assert!(del.text.is_empty());
    let list = c.server.get(PASSES, &c.helpdesk).await;
    assert_eq!(list.body["value"], json!([]));
    c.server
        .delete(&format!("{PASSES}/{id}"), &c.helpdesk)
        .await
        .assert_envelope(404, "itemNotFound");
    c.server
        .get(
            "/v1.0/users/nobody%40contoso.com/authentication/temporaryAccessPassMethods",
            &c.helpdesk,
        )
        .await
        .assert_envelope(404, "itemNotFound");
}

#[tokio::test]
async fn me_reads_and_deletes_its_own_pass_and_has_no_post() {
    let c = cast().await;
    let created = c.create_pass(json!({})).await;
    let id = created.body["id"].as_str().unwrap();
    let mine = c
        .server
        .get(
            "/v1.0/me/authentication/temporaryAccessPassMethods",
            &c.user_token,
        )
        .await;
    assert_eq!(mine.body["value"][0]["id"], id);
    let one = c
        .server
        .get(
            &format!("/v1.0/me/authentication/temporaryAccessPassMethods/{id}"),
            &c.user_token,
        )
        .await;
    assert_eq!(one.status, 200);
    c.server
        .post(
            "/v1.0/me/authentication/temporaryAccessPassMethods",
            &c.user_token,
            json!({}),
        )
        .await
        .assert_envelope(405, "Request_BadRequest");
    c.server
        .patch(&format!("{PASSES}/{id}"), &c.helpdesk, json!({}))
        .await
        .assert_envelope(405, "Request_BadRequest");
    let del = c
        .server
        .delete(
            &format!("/v1.0/me/authentication/temporaryAccessPassMethods/{id}"),
            &c.user_token,
        )
        .await;
    assert_eq!(del.status, 204);
    let audit = c.admin_get("/v1.0/auditLogs/directoryAudits?$filter=activityDisplayName eq 'User deleted security info'".replace(' ', "%20").as_str()).await;
    assert_eq!(
        audit.body["value"].as_array().unwrap().len(),
        1,
        "{}",
        audit.text
    );
}

// ---- Policy ----------------------------------------------------------------------------

#[tokio::test]
async fn p1_p3_p4_policy_get_patch_and_reset() {
    let c = cast().await;
    let got = c.admin_get(POLICY).await;
    assert_eq!(got.body["state"], "enabled");
    assert_eq!(got.body["defaultLifetimeInMinutes"], 60);
    assert_eq!(
        got.body["@odata.type"],
        "#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration"
    );
    let lower = c
        .admin_get(&POLICY.replace("TemporaryAccessPass", "temporaryAccessPass"))
        .await;
    assert_eq!(
        lower.status, 200,
        "the segment's case varies in Microsoft's pages"
    );
    c.admin_get(&POLICY.replace("TemporaryAccessPass", "Fido2"))
        .await
        .assert_envelope(404, "itemNotFound");
    let patch = c
        .server
        .patch(POLICY, &c.admin, json!({"defaultLength": 12}))
        .await;
    assert_eq!(patch.status, 204);
    assert_eq!(c.admin_get(POLICY).await.body["defaultLength"], 12);
    let bad = c
        .server
        .patch(POLICY, &c.admin, json!({"defaultLength": 4}))
        .await;
    bad.assert_envelope(400, "badRequest");
    assert!(bad.message().contains("defaultLength"));
    let reset = c.server.delete(POLICY, &c.admin).await;
    assert_eq!(reset.status, 204);
    let after = c.admin_get(POLICY).await;
    assert_eq!(
        (
            after.body["state"].clone(),
            after.body["defaultLength"].clone()
        ),
        (json!("disabled"), json!(8))
    );
    c.server
        .patch(POLICY, &c.helpdesk, json!({"state": "enabled"}))
        .await
        .assert_envelope(403, "accessDenied");
}

// ---- Methods ---------------------------------------------------------------------------

#[tokio::test]
async fn m4_methods_list_and_delete_by_collection() {
    let c = cast().await;
    let secret = c.create_pass(json!({})).await.secret();
    let signed = c.sign_in_with_pass(&secret).await;
    let session = signed.session_id();
    let reg = c
        .server
        .control(
            Method::POST,
            &format!("/sessions/{session}/methods"),
            json!({"kind": "fido2SecurityKey", "displayName": "YubiKey"}),
        )
        .await;
    assert_eq!(reg.status, 201, "{}", reg.text);
    let device = reg.body["device"].as_str().unwrap().to_owned();
    let method_id = reg.body["method"]["id"].as_str().unwrap().to_owned();
    let list = c
        .server
        .get(
            "/v1.0/users/alex%40contoso.com/authentication/methods",
            &c.helpdesk,
        )
        .await;
    let types: Vec<&str> = list.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["@odata.type"].as_str().unwrap())
        .collect();
    assert!(
        types.contains(&"#microsoft.graph.fido2AuthenticationMethod"),
        "{types:?}"
    );
    let mine = c
        .server
        .get("/v1.0/me/authentication/methods", &c.user_token)
        .await;
    assert_eq!(mine.body["value"], list.body["value"]);
    // The key signs in (M3), is not in another collection, then is removed (M4).
    let with_key = c
        .server
        .sign_in(json!({"userPrincipalName": "alex@contoso.com", "device": device}))
        .await;
    assert_eq!(with_key.body["decision"], "allowed", "{}", with_key.text);
    c.server
        .delete(
            &format!("/v1.0/users/alex%40contoso.com/authentication/phoneMethods/{method_id}"),
            &c.helpdesk,
        )
        .await
        .assert_envelope(404, "itemNotFound");
    c.server
        .delete(
            &format!("/v1.0/users/alex%40contoso.com/authentication/bogusMethods/{method_id}"),
            &c.helpdesk,
        )
        .await
        .assert_envelope(404, "itemNotFound");
    let del = c
        .server
        .delete(
            &format!("/v1.0/users/alex%40contoso.com/authentication/fido2Methods/{method_id}"),
            &c.helpdesk,
        )
        .await;
    assert_eq!(del.status, 204, "{}", del.text);
    let again = c
        .server
        .sign_in(json!({"userPrincipalName": "alex@contoso.com", "device": device}))
        .await;
    assert_eq!(again.body["decision"], "denied");
}

// ---- Users -----------------------------------------------------------------------------

#[tokio::test]
async fn users_are_listed_and_read_as_graph_writes_them() {
    let c = cast().await;
    let all = c.server.get("/v1.0/users", &c.helpdesk).await;
    assert_eq!(
        all.body["@odata.context"],
        "https://graph.microsoft.com/v1.0/$metadata#users"
    );
    let upns: Vec<&str> = all.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["userPrincipalName"].as_str().unwrap())
        .collect();
    assert_eq!(
        upns,
        ["admin@contoso.com", "hana@contoso.com", "alex@contoso.com"]
    );
    let one = c
        .server
        .get("/v1.0/users/Alex@Contoso.com", &c.helpdesk)
        .await;
    assert_eq!(one.body["userType"], "Member");
    c.server
        .get("/v1.0/users/nobody@contoso.com", &c.helpdesk)
        .await
        .assert_envelope(404, "itemNotFound");
}

// ---- Logs ------------------------------------------------------------------------------

async fn story_logs() -> Cast {
    let c = cast().await;
    for _ in 0..3 {
        c.create_pass(json!({})).await;
    }
    for pw in ["wrong", "Summer-2025!"] {
        c.server
            .sign_in(json!({"userPrincipalName": "alex@contoso.com", "password": pw}))
            .await;
    }
    c
}

fn q(s: &str) -> String {
    s.replace(' ', "%20").replace('\'', "%27")
}

#[tokio::test]
async fn logs_filter_on_paths_strings_dates_and_numbers() {
    let c = story_logs().await;
    let audits = |f: &str| format!("/v1.0/auditLogs/directoryAudits?$filter={}", q(f));
    let count = |a: &Answer| a.body["value"].as_array().map_or(usize::MAX, Vec::len);
    let a = c
        .admin_get(&audits(
            "activityDisplayName eq 'Admin registered security info'",
        ))
        .await;
    assert_eq!(count(&a), 3, "{}", a.text);
    assert_eq!(
        a.body["@odata.context"],
        "https://graph.microsoft.com/v1.0/$metadata#auditLogs/directoryAudits"
    );
    let a = c.admin_get(&audits("initiatedBy/user/userPrincipalName eq 'hana@contoso.com' and activityDateTime ge 2026-01-05")).await;
    assert_eq!(count(&a), 3);
    let a = c
        .admin_get(&audits("activityDateTime ge 2026-01-06T00:00:00Z"))
        .await;
    assert_eq!(count(&a), 0);
    let a = c
        .admin_get(&audits(
            "startswith(activityDisplayName,'Authentication Methods Policy')",
        ))
        .await;
    assert_eq!(count(&a), 1);
    let a = c
        .admin_get(&audits(
            "targetResources/any(t: t/userPrincipalName eq 'alex@contoso.com')",
        ))
        .await;
    assert_eq!(count(&a), 3);
    let signins = |f: &str| format!("/v1.0/auditLogs/signIns?$filter={}", q(f));
    let a = c.admin_get(&signins("status/errorCode ne 0")).await;
    assert_eq!(count(&a), 1, "{}", a.text);
    let a = c
        .admin_get(&signins(
            "userPrincipalName eq 'alex@contoso.com' and createdDateTime ge 2026-01-05T09:00:00Z",
        ))
        .await;
    assert_eq!(count(&a), 2);
    assert!(
        a.body["value"][0].get("authenticationDetails").is_none(),
        "G3: beta only"
    );
    let beta = c
        .admin_get(&signins("status/errorCode eq 0").replace("/v1.0/", "/beta/"))
        .await;
    assert!(beta.body["value"][0]["authenticationDetails"].is_array());
}

#[tokio::test]
async fn logs_bad_filters_are_400_naming_the_part() {
    let c = story_logs().await;
    for (f, part) in [
        ("activityDisplayName eq 'x' or id eq 'y'", "or"),
        ("contains(activityDisplayName,'x')", "contains"),
        ("activityDisplayName eq", "literal"),
    ] {
        let a = c
            .admin_get(&format!("/v1.0/auditLogs/directoryAudits?$filter={}", q(f)))
            .await;
        a.assert_envelope(400, "invalidRequest");
        assert!(a.message().contains(part), "{f}: {}", a.message());
    }
    c.admin_get("/v1.0/auditLogs/signIns?$top=0")
        .await
        .assert_envelope(400, "invalidRequest");
    c.admin_get("/v1.0/auditLogs/signIns?$select=id")
        .await
        .assert_envelope(400, "invalidRequest");
    c.admin_get("/v1.0/auditLogs/signIns?$orderby=userPrincipalName")
        .await
        .assert_envelope(400, "invalidRequest");
}

#[tokio::test]
async fn logs_sign_ins_newest_first_top_orderby_and_next_link() {
    let c = story_logs().await;
    let all = c.admin_get("/v1.0/auditLogs/signIns").await;
    let statuses: Vec<i64> = all.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"]["errorCode"].as_i64().unwrap())
        .collect();
    assert_eq!(statuses.len(), 2);
    assert_eq!(statuses[0], 0, "newest first: the success came last");
    let asc = c
        .admin_get("/v1.0/auditLogs/signIns?$orderby=createdDateTime%20asc")
        .await;
    assert_ne!(asc.body["value"][0]["status"]["errorCode"], 0);
    let page = c.admin_get("/v1.0/auditLogs/directoryAudits?$top=2").await;
    assert_eq!(page.body["value"].as_array().unwrap().len(), 2);
    let next = page.body["@odata.nextLink"].as_str().unwrap();
    assert!(
        next.contains("$skiptoken=2") && next.contains("$top=2"),
        "{next}"
    );
    let path = next.split_once("localhost").map_or(next, |(_, p)| p);
    let rest = c.admin_get(path).await;
    assert_eq!(
        rest.body["value"].as_array().unwrap().len(),
        2,
        "{}",
        rest.text
    );
    assert!(rest.body.get("@odata.nextLink").is_none());
    let id = rest.body["value"][0]["id"].as_str().unwrap();
    let one = c
        .admin_get(&format!("/v1.0/auditLogs/directoryAudits/{id}"))
        .await;
    assert_eq!(one.body["id"], id);
    c.admin_get("/v1.0/auditLogs/directoryAudits/nope")
        .await
        .assert_envelope(404, "Request_ResourceNotFound");
    let sid = all.body["value"][0]["id"].as_str().unwrap();
    assert_eq!(
        c.admin_get(&format!("/v1.0/auditLogs/signIns/{sid}"))
            .await
            .body["id"],
        sid
    );
}

#[tokio::test]
async fn logs_are_read_by_log_readers_only() {
    let c = story_logs().await;
    c.server
        .get("/v1.0/auditLogs/directoryAudits", &c.helpdesk)
        .await
        .assert_envelope(403, "accessDenied");
    c.server
        .get("/v1.0/auditLogs/signIns", &c.user_token)
        .await
        .assert_envelope(403, "accessDenied");
    c.server.user("rita@contoso.com", &["Reports Reader"]).await;
    let rita = c.server.token("rita@contoso.com").await;
    assert_eq!(
        c.server.get("/v1.0/auditLogs/signIns", &rita).await.status,
        200
    );
}

// ---- Responses -------------------------------------------------------------------------

#[tokio::test]
async fn responses_carry_ids_and_echo_only_guid_client_request_ids() {
    let s = Server::new();
    let a = s
        .request(
            Request::get("/_tapsim/health")
                .header("client-request-id", "0a1b2c3d-0000-4000-8000-000000000001")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(
        a.headers["client-request-id"],
        "0a1b2c3d-0000-4000-8000-000000000001"
    );
    assert!(
        a.headers["request-id"]
            .to_str()
            .unwrap()
            .parse::<tapsim::Guid>()
            .is_ok()
    );
    let b = s
        .request(
            Request::get("/_tapsim/health")
                .header("client-request-id", "evil\tvalue")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(b.headers["client-request-id"], b.headers["request-id"]);
    assert_ne!(
        a.headers["request-id"], b.headers["request-id"],
        "fresh per request"
    );
}

#[tokio::test]
async fn responses_request_ids_repeat_with_the_seed() {
    let ids = |s: Server| async move {
        let mut out = Vec::new();
        for _ in 0..3 {
            out.push(
                s.call(Method::GET, "/_tapsim/health", None, None)
                    .await
                    .headers["request-id"]
                    .clone(),
            );
        }
        out
    };
    assert_eq!(ids(Server::new()).await, ids(Server::new()).await);
    assert_ne!(
        ids(Server::new()).await,
        ids(Server::with(config().seed(2))).await
    );
}

#[tokio::test]
async fn bad_input_unknown_routes_methods_huge_bodies_and_long_paths_get_the_envelope() {
    let s = Server::with(config().limits({
        let mut l = Limits::default();
        l.max_body_bytes = 1024;
        l
    }));
    let admin = s.token("admin@contoso.com").await;
    s.get("/v1.0/nothing/here", &admin)
        .await
        .assert_envelope(404, "itemNotFound");
    s.get("/elsewhere", &admin)
        .await
        .assert_envelope(404, "itemNotFound");
    s.call(Method::PUT, POLICY, Some(&admin), Some(json!({})))
        .await
        .assert_envelope(405, "Request_BadRequest");
    let huge = format!("{{\"state\": \"{}\"}}", "x".repeat(4096));
    let a = s.raw(Method::PATCH, POLICY, Some(&admin), &huge).await;
    a.assert_envelope(413, "invalidRequest");
    assert!(a.message().contains("1024 bytes"), "{}", a.message());
    let long = format!("/v1.0/users/{}", "a".repeat(3000));
    let a = s.get(&long, &admin).await;
    a.assert_envelope(400, "invalidRequest");
    assert!(a.message().contains("2048"));
    let long_query = format!("/v1.0/auditLogs/signIns?$filter={}", "a".repeat(5000));
    s.get(&long_query, &admin)
        .await
        .assert_envelope(400, "invalidRequest");
    s.control(Method::POST, "/users", json!({"userPrincipalName": 5}))
        .await
        .assert_envelope(400, "invalidRequest");
    s.control(
        Method::POST,
        "/users",
        json!({"userPrincipalName": "bad upn"}),
    )
    .await
    .assert_envelope(400, "badRequest");
    s.control(
        Method::POST,
        "/users",
        json!({"userPrincipalName": "a@contoso.com", "roles": ["Wizard"]}),
    )
    .await
    .assert_envelope(400, "invalidRequest");
}

// ---- Control plane ---------------------------------------------------------------------

#[tokio::test]
async fn control_health_clock_and_reset() {
    let s = Server::new();
    assert_eq!(
        s.control(Method::GET, "/health", json!(null)).await.body,
        json!({"status": "ok"})
    );
    assert_eq!(
        s.call(Method::GET, "/_tapsim/clock", None, None).await.body["now"],
        "2026-01-05T09:00:00Z"
    );
    let moved = s
        .control(Method::POST, "/clock", json!({"advanceSeconds": 90}))
        .await;
    assert_eq!(moved.body["now"], "2026-01-05T09:01:30Z");
    let set = s
        .control(
            Method::POST,
            "/clock",
            json!({"now": "2026-02-01T00:00:00+02:00"}),
        )
        .await;
    assert_eq!(set.body["now"], "2026-01-31T22:00:00Z");
    s.control(Method::POST, "/clock", json!({"advanceSeconds": -1}))
        .await
        .assert_envelope(400, "invalidRequest");
    s.control(Method::POST, "/clock", json!({}))
        .await
        .assert_envelope(400, "invalidRequest");
    s.user("zed@contoso.com", &[]).await;
    let zed = s.token("zed@contoso.com").await;
    let admin = s.token("admin@contoso.com").await;
    assert_eq!(
        s.control(Method::POST, "/reset", json!({})).await.status,
        200
    );
    assert_eq!(
        s.call(Method::GET, "/_tapsim/clock", None, None).await.body["now"],
        "2026-01-05T09:00:00Z"
    );
    s.get("/v1.0/me", &zed)
        .await
        .assert_envelope(401, "InvalidAuthenticationToken");
    assert_eq!(
        s.get("/v1.0/me", &admin).await.status,
        200,
        "tokens of users that still exist stay valid"
    );
}

#[tokio::test]
async fn control_clock_cannot_move_the_system_clock() {
    let s = Server::with(ServerConfig::new().hash_cost(tapsim::HashCost::Minimum));
    s.control(Method::POST, "/clock", json!({"advanceSeconds": 1}))
        .await
        .assert_envelope(409, "conflict");
}

#[tokio::test]
async fn control_scenario_replaces_the_state_with_a_setup() {
    let s = Server::new();
    let toml = r#"
        title = "Two users"
        setup_only = true
        [[users]]
        upn = "pat@contoso.com"
        roles = ["Authentication Policy Administrator"]
        [[users]]
        upn = "ada@contoso.com"
        [policy]
        actor = "pat@contoso.com"
        state = "enabled"
    "#;
    let a = s
        .request(
            Request::post("/_tapsim/scenario")
                .header("content-type", "application/toml")
                .body(Body::from(toml))
                .unwrap(),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.body["users"], 2);
    let pat = s.token("pat@contoso.com").await;
    assert_eq!(s.get(POLICY, &pat).await.body["state"], "enabled");
    let bad = s
        .request(
            Request::post("/_tapsim/scenario")
                .body(Body::from("[[steps]]\ndo = \"advance_clok\"\n"))
                .unwrap(),
        )
        .await;
    bad.assert_envelope(400, "invalidRequest");
    assert!(bad.message().contains("advance_clock"), "{}", bad.message());
}

#[tokio::test]
async fn s10_a_scenario_of_several_tenants_loads_every_tenant_and_its_guests() {
    let s = Server::new();
    let toml = r#"
        setup_only = true
        [[tenants]]
        name = "contoso"
        [[tenants]]
        name = "fabrikam"
        [[users]]
        upn = "fiona@fabrikam.com"
        tenant = "fabrikam"
        roles = ["Authentication Policy Administrator"]
        [[users]]
        upn = "bob@fabrikam.com"
        tenant = "fabrikam"
        password = "bob-password"
        [[guests]]
        home = "bob@fabrikam.com"
    "#;
    let a = s
        .request(
            Request::post("/_tapsim/scenario")
                .header("content-type", "application/toml")
                .body(Body::from(toml))
                .unwrap(),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    // Both tenants' users count: the admin and Bob in Fabrikam, Bob's guest account in
    // Contoso.
    assert_eq!(a.body["tenants"], 2, "{}", a.text);
    assert_eq!(a.body["users"], 3, "{}", a.text);
    let tenants = s.control(Method::GET, "/tenants", json!(null)).await;
    let domains: Vec<&str> = tenants.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["domain"].as_str().unwrap())
        .collect();
    assert_eq!(domains.len(), 2, "{}", tenants.text);
    assert!(domains.contains(&"contoso.com") && domains.contains(&"fabrikam.com"));
    // The guest link holds: Bob signs in to Contoso with his Fabrikam password.
    let guest = s
        .sign_in(json!({"userPrincipalName": "bob@fabrikam.com", "password": "bob-password", "tenant": "contoso.com"}))
        .await;
    assert_eq!(guest.status, 200, "{}", guest.text);
    assert_eq!(guest.body["decision"], "allowed", "{}", guest.text);
}

#[tokio::test]
async fn control_snapshot_round_trips_and_restores_validated() {
    let c = cast().await;
    c.create_pass(json!({})).await;
    let snap = c
        .server
        .control(Method::GET, "/snapshot", json!(null))
        .await;
    assert_eq!(snap.status, 200);
    assert!(
        !snap.text.contains("\"temporaryAccessPass\":\""),
        "no secret in a snapshot"
    );
    c.server.delete(POLICY, &c.admin).await;
    let put = c
        .server
        .control(Method::PUT, "/snapshot", snap.body.clone())
        .await;
    assert_eq!(put.status, 200, "{}", put.text);
    assert_eq!(c.admin_get(POLICY).await.body["state"], "enabled");
    assert_eq!(
        c.server
            .control(Method::GET, "/snapshot", json!(null))
            .await
            .body,
        snap.body
    );
    c.server
        .control(Method::PUT, "/snapshot", json!({"config": 1}))
        .await
        .assert_envelope(400, "invalidRequest");
}

#[tokio::test]
async fn control_users_and_groups() {
    let s = Server::new();
    let g = s
        .control(Method::POST, "/groups", json!({"displayName": "Recovery"}))
        .await;
    assert_eq!(g.status, 201);
    s.control(Method::POST, "/groups", json!({"displayName": "Recovery"}))
        .await
        .assert_envelope(409, "conflict");
    s.control(Method::POST, "/groups", json!({"displayName": ""}))
        .await
        .assert_envelope(400, "invalidRequest");
    let u = s.control(Method::POST, "/users", json!({"userPrincipalName": "ivy@contoso.com", "displayName": "Ivy", "userType": "internalGuest", "groups": ["Recovery"]})).await;
    assert_eq!(
        (u.status.as_u16(), u.body["userType"].clone()),
        (201, json!("Guest"))
    );
    let taken = s
        .control(
            Method::POST,
            "/users",
            json!({"userPrincipalName": "ivy@contoso.com"}),
        )
        .await;
    taken.assert_envelope(400, "badRequest");
    assert!(taken.message().contains("already in use"));
    s.control(
        Method::POST,
        "/users",
        json!({"userPrincipalName": "x@contoso.com", "groups": ["Nope"]}),
    )
    .await
    .assert_envelope(404, "itemNotFound");
    s.control(Method::POST, "/groups", json!({"displayName": "Outer"}))
        .await;
    let m = s
        .control(
            Method::POST,
            "/groups/Outer/members",
            json!({"group": "Recovery"}),
        )
        .await;
    assert_eq!(m.body["added"], true, "{}", m.text);
    let m = s
        .control(
            Method::POST,
            "/groups/Outer/members",
            json!({"userPrincipalName": "admin@contoso.com"}),
        )
        .await;
    assert_eq!(m.body["added"], true);
    s.control(
        Method::POST,
        "/groups/Nope/members",
        json!({"userPrincipalName": "admin@contoso.com"}),
    )
    .await
    .assert_envelope(404, "itemNotFound");
}

#[tokio::test]
async fn s3_r5_control_sign_ins_decide_with_reasons() {
    let c = cast().await;
    let secret = c.create_pass(json!({"isUsableOnce": true})).await.secret();
    let sign_in = |body: Value| c.server.sign_in(body);
    let wrong = sign_in(
        json!({"userPrincipalName": "alex@contoso.com", "temporaryAccessPass": "nope-nope"}),
    )
    .await;
    let nobody = sign_in(
        json!({"userPrincipalName": "ghost@contoso.com", "temporaryAccessPass": "nope-nope"}),
    )
    .await;
    assert_eq!(wrong.body["decision"], "denied");
    assert_eq!(
        (wrong.body["reason"].clone(), wrong.body["message"].clone()),
        (
            nobody.body["reason"].clone(),
            nobody.body["message"].clone()
        ),
        "R5"
    );
    let ok =
        sign_in(json!({"userPrincipalName": "alex@contoso.com", "temporaryAccessPass": secret}))
            .await;
    assert_eq!(ok.body["decision"], "allowed", "{}", ok.text);
    assert_eq!(ok.body["session"]["satisfiesMfa"], true);
    // Current (B2): the tokens end with the pass, the session outlives it (R17).
    assert_eq!(ok.body["session"]["tokenExpires"], "2026-01-05T10:00:00Z");
    assert_eq!(ok.body["session"]["expires"], serde_json::Value::Null);
    assert_eq!(
        ok.body["session"]["authenticationMethodModes"],
        json!(["temporaryAccessPassOneTime"])
    );
    assert_eq!(
        ok.body["session"]["strengths"],
        json!([{"id": "00000000-0000-0000-0000-000000000002", "displayName": "Multifactor authentication"}])
    );
    let sid = ok.session_id();
    let again =
        sign_in(json!({"userPrincipalName": "alex@contoso.com", "temporaryAccessPass": secret}))
            .await;
    assert_eq!(again.body["reason"], "passOneTimeUsed");
    assert_eq!(
        again.body["message"],
        "Temporary Access Pass sign in was blocked due to User Credential Policy"
    );
    assert!(
        again.body["trace"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["passed"] == false)
    );
    let status = c
        .server
        .control(Method::GET, &format!("/sessions/{sid}"), json!(null))
        .await;
    assert_eq!(status.body["active"], true, "{}", status.text);
    c.server
        .control(
            Method::GET,
            "/sessions/00000000-0000-4000-8000-000000000000",
            json!(null),
        )
        .await
        .assert_envelope(404, "itemNotFound");
    sign_in(json!({"userPrincipalName": "alex@contoso.com"}))
        .await
        .assert_envelope(400, "invalidRequest");
    sign_in(json!({"userPrincipalName": "alex@contoso.com", "device": "forged"}))
        .await
        .assert_envelope(400, "invalidRequest");
    sign_in(
        json!({"userPrincipalName": "alex@contoso.com", "password": "x", "tenant": "fabrikam.com"}),
    )
    .await
    .assert_envelope(404, "itemNotFound");
}

#[tokio::test]
async fn faults_answer_the_next_n_matching_requests_then_clear() {
    let c = cast().await;
    let f = c.server.control(Method::POST, "/faults", json!({"method": "GET", "path": "/v1.0/policies/*", "status": 429, "retryAfter": 2, "count": 2})).await;
    assert_eq!(f.status, 201, "{}", f.text);
    for _ in 0..2 {
        let a = c.admin_get(POLICY).await;
        a.assert_envelope(429, "TooManyRequests");
        assert_eq!(a.headers["retry-after"], "2");
    }
    assert_eq!(c.admin_get(POLICY).await.status, 200, "used up");
    // Other methods and paths are not matched.
    c.server
        .control(
            Method::POST,
            "/faults",
            json!({"method": "GET", "path": "/v1.0/policies/*", "status": 503}),
        )
        .await;
    assert_eq!(
        c.server.patch(POLICY, &c.admin, json!({})).await.status,
        204
    );
    assert_eq!(c.server.get(PASSES, &c.helpdesk).await.status, 200);
    c.admin_get(POLICY)
        .await
        .assert_envelope(503, "serviceNotAvailable");
    c.server
        .control(
            Method::POST,
            "/faults",
            json!({"method": "GET", "path": "/v1.0/*", "status": 504, "count": 5}),
        )
        .await;
    assert_eq!(
        c.server
            .control(Method::DELETE, "/faults", json!(null))
            .await
            .status,
        204
    );
    assert_eq!(c.admin_get(POLICY).await.status, 200);
    let delayed = c
        .server
        .control(
            Method::POST,
            "/faults",
            json!({"method": "GET", "path": "/_tapsim/health", "delayMs": 20}),
        )
        .await;
    assert_eq!(delayed.status, 201);
    let started = std::time::Instant::now();
    assert_eq!(
        c.server
            .control(Method::GET, "/health", json!(null))
            .await
            .status,
        200
    );
    assert!(started.elapsed() >= std::time::Duration::from_millis(20));
    for bad in [
        json!({"method": "GET", "path": "/x", "status": 404}),
        json!({"method": "GET", "path": "x", "status": 429}),
        json!({"method": "GET", "path": "/x"}),
        json!({"method": "GET", "path": "/x", "status": 429, "delayMs": 5}),
        json!({"method": "GET", "path": "/x", "delayMs": 999999999}),
        json!({"method": "GET", "path": "/x", "status": 429, "count": 0}),
    ] {
        c.server
            .control(Method::POST, "/faults", bad.clone())
            .await
            .assert_envelope(400, "invalidRequest");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_one_time_pass_signs_in_once_under_concurrent_requests() {
    let c = cast().await;
    let secret = c.create_pass(json!({"isUsableOnce": true})).await.secret();
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let s = c.server.clone();
        let body = json!({"userPrincipalName": "alex@contoso.com", "temporaryAccessPass": secret});
        tasks.push(tokio::spawn(async move {
            s.sign_in(body).await.body["decision"].clone()
        }));
    }
    let mut allowed = 0;
    for t in tasks {
        if t.await.unwrap() == "allowed" {
            allowed += 1;
        }
    }
    assert_eq!(allowed, 1);
}

#[tokio::test]
async fn r1_actor_and_permission_come_before_the_body() {
    let c = cast().await;
    // A user may not issue their own pass: refused before the mistyped body is read.
    let mine = "/v1.0/users/alex%40contoso.com/authentication/temporaryAccessPassMethods";
    c.server
        .post(mine, &c.user_token, json!({"lifetimeInMinutes": "soon"}))
        .await
        .assert_envelope(403, "accessDenied");
    c.server
        .patch(POLICY, &c.helpdesk, json!({"defaultLength": "long"}))
        .await
        .assert_envelope(403, "accessDenied");
    c.server
        .patch(POLICY, &c.admin, json!({"defaultLength": "long"}))
        .await
        .assert_envelope(400, "badRequest");
}

#[tokio::test]
async fn r13_offer_says_which_credential_the_sign_in_screen_asks_for() {
    let c = cast().await;
    let offer = |upn: &'static str| {
        let uri = format!("/_tapsim/offer?userPrincipalName={upn}");
        let server = &c.server;
        async move { server.call(Method::GET, &uri, None, None).await }
    };
    assert_eq!(
        offer("alex%40contoso.com").await.body["credential"],
        "Password"
    );
    c.create_pass(json!({})).await;
    assert_eq!(
        offer("alex%40contoso.com").await.body["credential"],
        "Temporary Access Pass"
    );
    assert_eq!(
        offer("ghost%40contoso.com").await.body["credential"],
        "Password"
    );
    let log = c.admin_get("/v1.0/auditLogs/signIns").await;
    assert_eq!(log.body["value"], json!([]), "R13: no log record");
    c.server
        .call(Method::GET, "/_tapsim/offer", None, None)
        .await
        .assert_envelope(400, "invalidRequest");
}

#[tokio::test]
async fn r15_revoke_sign_in_sessions_ends_every_session_and_is_audited() {
    let c = cast().await;
    let signed = c
        .server
        .sign_in(json!({"userPrincipalName": "alex@contoso.com", "password": "Summer-2025!"}))
        .await;
    let sid = signed.session_id();
    let revoke = "/v1.0/users/alex%40contoso.com/revokeSignInSessions";
    c.server
        .post(revoke, &c.user_token.replace('a', "b"), json!({}))
        .await
        .assert_envelope(401, "InvalidAuthenticationToken");
    c.server.user("rex@contoso.com", &[]).await;
    let rex = c.server.token("rex@contoso.com").await;
    c.server
        .post(revoke, &rex, json!({}))
        .await
        .assert_envelope(403, "accessDenied");
    let a = c.server.post(revoke, &c.admin, json!({})).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.body["value"], true);
    let status = c
        .server
        .control(Method::GET, &format!("/sessions/{sid}"), json!(null))
        .await;
    assert_eq!(status.body["active"], false, "{}", status.text);
    assert_eq!(
        status.body["status"]["ended"]["reason"], "revoked",
        "{}",
        status.text
    );
    let audit = c
        .server
        .get(
            &format!(
                "/v1.0/auditLogs/directoryAudits?$filter={}",
                q("activityDisplayName eq 'Invalidate all refresh tokens for user'")
            ),
            &c.admin,
        )
        .await;
    let records = audit.body["value"].as_array().unwrap();
    assert_eq!(records.len(), 1, "{}", audit.text);
    assert_eq!(records[0]["loggedByService"], "Core Directory");
    // The user may revoke their own; succeeds with no live session too.
    let own = c.server.post(revoke, &c.user_token, json!({})).await;
    assert_eq!(own.status, 200);
    c.server
        .post(
            "/v1.0/users/ghost%40contoso.com/revokeSignInSessions",
            &c.admin,
            json!({}),
        )
        .await
        .assert_envelope(404, "itemNotFound");
}

#[tokio::test]
async fn r18_step_up_refreshes_mfa_and_a_consumed_one_time_pass_cannot() {
    let c = cast().await;
    let secret = c.create_pass(json!({"isUsableOnce": true})).await.secret();
    let signed = c.sign_in_with_pass(&secret).await;
    let sid = signed.session_id();
    assert_eq!(signed.body["session"]["lastMfa"], "2026-01-05T09:00:00Z");
    let step = format!("/sessions/{sid}/stepUp");
    c.server.advance(300).await;
    let again = c
        .server
        .control(Method::POST, &step, json!({"temporaryAccessPass": secret}))
        .await;
    assert_eq!(again.status, 200);
    assert_eq!(again.body["decision"], "denied", "{}", again.text);
    assert_eq!(again.body["reason"], "passOneTimeUsed");
    let alone = c
        .server
        .control(Method::POST, &step, json!({"password": "Summer-2025!"}))
        .await;
    alone.assert_envelope(400, "badRequest");
    c.server
        .control(
            Method::POST,
            "/sessions/00000000-0000-4000-8000-000000000000/stepUp",
            json!({"temporaryAccessPass": "x"}),
        )
        .await
        .assert_envelope(404, "itemNotFound");
    // A multi-use pass steps up and refreshes the session's multifactor time.
    let secret = c.create_pass(json!({"isUsableOnce": false})).await.secret();
    let fresh = c.sign_in_with_pass(&secret).await;
    let sid = fresh.session_id();
    c.server.advance(120).await;
    let ok = c
        .server
        .control(
            Method::POST,
            &format!("/sessions/{sid}/stepUp"),
            json!({"temporaryAccessPass": secret}),
        )
        .await;
    assert_eq!(ok.body["decision"], "allowed", "{}", ok.text);
    assert_eq!(ok.body["session"]["lastMfa"], "2026-01-05T09:07:00Z");
}

#[tokio::test]
async fn r14_settings_change_the_live_tenant_and_bad_ones_change_nothing() {
    let c = cast().await;
    let before = c
        .server
        .call(Method::GET, "/_tapsim/settings", None, None)
        .await;
    assert_eq!(before.body["switches"]["deleteBeforeCreate"], false);
    let put = c
        .server
        .control(
            Method::PUT,
            "/settings",
            json!({"switches": {"deleteBeforeCreate": true}, "lockout": {"threshold": 3, "durationSeconds": 120}}),
        )
        .await;
    assert_eq!(put.status, 200, "{}", put.text);
    assert_eq!(put.body["lockout"]["threshold"], 3);
    c.create_pass(json!({})).await;
    c.create_pass(json!({}))
        .await
        .assert_envelope(409, "conflict");
    let bad = c
        .server
        .control(
            Method::PUT,
            "/settings",
            json!({"switches": {"deleteBeforeCreate": false}, "lockout": {"threshold": 0, "durationSeconds": 1}}),
        )
        .await;
    bad.assert_envelope(400, "badRequest");
    let after = c
        .server
        .call(Method::GET, "/_tapsim/settings", None, None)
        .await;
    assert_eq!(
        after.body["switches"]["deleteBeforeCreate"], true,
        "nothing changed"
    );
    c.server
        .control(Method::PUT, "/settings", json!({"colour": 1}))
        .await
        .assert_envelope(400, "invalidRequest");
    let profile = c
        .server
        .control(Method::PUT, "/settings", json!({"profile": "Preview2021"}))
        .await;
    assert_eq!(
        profile.body["switches"]["createForOutOfScopeUsers"], true,
        "{}",
        profile.text
    );
}

#[tokio::test]
async fn s10_r11_guests_sign_in_across_tenants_of_one_server() {
    let s = Server::new();
    let t = s
        .control(Method::POST, "/tenants", json!({"domain": "fabrikam.com"}))
        .await;
    assert_eq!(t.status, 201, "{}", t.text);
    s.control(Method::POST, "/tenants", json!({"domain": "fabrikam.com"}))
        .await
        .assert_envelope(409, "conflict");
    let listed = s.call(Method::GET, "/_tapsim/tenants", None, None).await;
    assert_eq!(listed.body["value"].as_array().unwrap().len(), 2);
    // Carol's home is Fabrikam; she is an external guest of Contoso.
    let carol = json!({"userPrincipalName": "carol@fabrikam.com", "tenant": "fabrikam.com"});
    assert_eq!(s.control(Method::POST, "/users", carol).await.status, 201);
    let guest = json!({"userPrincipalName": "carol_fabrikam.com#EXT#@contoso.com", "userType": "externalGuest"});
    assert_eq!(s.control(Method::POST, "/users", guest).await.status, 201);
    let link = json!({"userPrincipalName": "carol_fabrikam.com#EXT#@contoso.com", "homeTenant": "fabrikam.com", "homeUserPrincipalName": "carol@fabrikam.com"});
    let linked = s.control(Method::POST, "/guests", link).await;
    assert_eq!(linked.status, 200, "{}", linked.text);
    // Fabrikam's own admin, with a token of that tenant, enables its policy and issues.
    let fab = s.token_in("admin@fabrikam.com", "fabrikam.com").await;
    s.enable_policy(&fab).await;
    let created = s
        .post(CAROL_HOME_PASSES, &fab, json!({"isUsableOnce": false}))
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let secret = created.secret();
    // Contoso's admin sees no such user: tenants are apart.
    let contoso = s.token("admin@contoso.com").await;
    s.get(CAROL_HOME_PASSES, &contoso)
        .await
        .assert_envelope(404, "itemNotFound");
    let sign_in = json!({"userPrincipalName": "carol@fabrikam.com", "temporaryAccessPass": secret, "tenant": "contoso.com"});
    let untrusted = s.sign_in(sign_in.clone()).await;
    assert_eq!(untrusted.body["decision"], "allowed", "{}", untrusted.text);
    assert_eq!(
        untrusted.body["session"]["satisfiesMfa"], false,
        "R11: no trust, no MFA"
    );
    let trust = json!({"tenant": "contoso.com", "trustMfaFrom": [{"tenant": "fabrikam.com", "trusted": true}]});
    assert_eq!(s.control(Method::PUT, "/settings", trust).await.status, 200);
    let trusted = s.sign_in(sign_in).await;
    assert_eq!(
        trusted.body["session"]["satisfiesMfa"], true,
        "{}",
        trusted.text
    );
    let sid = trusted.session_id();
    // The home pass deleted: under `Current` (B2) the sessions outlive it...
    let pid = created.body["id"].as_str().unwrap();
    let del = s.delete(&format!("{CAROL_HOME_PASSES}/{pid}"), &fab).await;
    assert_eq!(del.status, 204);
    let status = s
        .control(Method::GET, &format!("/sessions/{sid}"), json!(null))
        .await;
    assert_eq!(status.body["active"], true, "{}", status.text);
    // ...until the home admin revokes Carol's sessions: the resource session that rests
    // on them ends too (R15, decided in one place).
    let revoked = s
        .post(
            "/v1.0/users/carol%40fabrikam.com/revokeSignInSessions",
            &fab,
            json!({}),
        )
        .await;
    assert_eq!(revoked.status, 200, "{}", revoked.text);
    let status = s
        .control(Method::GET, &format!("/sessions/{sid}"), json!(null))
        .await;
    assert_eq!(status.body["active"], false, "{}", status.text);
    let reg = s
        .control(
            Method::POST,
            &format!("/sessions/{sid}/methods"),
            json!({"kind": "fido2SecurityKey"}),
        )
        .await;
    reg.assert_envelope(403, "accessDenied");
    s.sign_in(
        json!({"userPrincipalName": "x@contoso.com", "password": "x", "tenant": "nowhere.com"}),
    )
    .await
    .assert_envelope(404, "itemNotFound");
}

/// At a cost that sends verification to the blocking pool, racing sign-ins with one
/// one-time pass still sign in exactly once, and a policy read is answered meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn s3_three_phase_sign_ins_off_the_lock_sign_in_a_one_time_pass_once() {
    let s = Server::with(config().hash_cost(tapsim::HashCost::Custom {
        memory_kib: 2048,
        iterations: 1,
        lanes: 1,
    }));
    let admin = s.token("admin@contoso.com").await;
    s.user("alex@contoso.com", &[]).await;
    s.enable_policy(&admin).await;
    let created = s.post(PASSES, &admin, json!({"isUsableOnce": true})).await;
    let secret = created.secret();
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let s = s.clone();
        let body = json!({"userPrincipalName": "alex@contoso.com", "temporaryAccessPass": secret});
        tasks.push(tokio::spawn(async move {
            s.sign_in(body).await.body["decision"].clone()
        }));
    }
    assert_eq!(s.get(POLICY, &admin).await.status, 200);
    let mut allowed = 0;
    for t in tasks {
        if t.await.unwrap() == "allowed" {
            allowed += 1;
        }
    }
    assert_eq!(allowed, 1);
    let log = s.get("/v1.0/auditLogs/signIns", &admin).await;
    assert_eq!(log.body["value"].as_array().unwrap().len(), 8);
}

/// B2's M5 amended: a passkey in Microsoft Authenticator registers under `Current`, is
/// listed and removed as a FIDO2 method with Authenticator's AAGUID, and is `400` under
/// `Docs2025`.
#[tokio::test]
async fn b2_m5_authenticator_passkey_registers_under_current_and_is_400_under_docs_2025() {
    let c = cast().await;
    let secret = c.create_pass(json!({"isUsableOnce": false})).await.secret();
    let sign_in = json!({"userPrincipalName": "alex@contoso.com", "temporaryAccessPass": secret});
    let signed = c.server.sign_in(sign_in.clone()).await;
    let session = signed.session_id();
    let methods = format!("/sessions/{session}/methods");
    let reg = c
        .server
        .control(
            Method::POST,
            &methods,
            json!({"kind": "authenticatorPasskey", "displayName": "Alex's iPhone"}),
        )
        .await;
    assert_eq!(reg.status, 201, "{}", reg.text);
    assert_eq!(reg.body["method"]["kind"], "authenticatorPasskey");
    let device = reg.body["device"].as_str().unwrap().to_owned();
    let method_id = reg.body["method"]["id"].as_str().unwrap().to_owned();
    let list = c
        .server
        .get(
            "/v1.0/users/alex%40contoso.com/authentication/methods",
            &c.helpdesk,
        )
        .await;
    let listed = &list.body["value"][0];
    assert_eq!(
        listed["@odata.type"],
        "#microsoft.graph.fido2AuthenticationMethod"
    );
    assert_eq!(listed["aaGuid"], "90a3ccdf-635c-4729-a248-9b709135078f");
    assert_eq!(listed["model"], "Microsoft Authenticator for iOS");
    assert_eq!(listed["passkeyType"], "deviceBound");
    // It signs in alone (R8) with the `fido2` mode and every built-in strength (S11).
    let with_phone = c
        .server
        .sign_in(json!({"userPrincipalName": "alex@contoso.com", "device": device}))
        .await;
    assert_eq!(
        with_phone.body["decision"], "allowed",
        "{}",
        with_phone.text
    );
    assert_eq!(
        with_phone.body["session"]["authenticationMethodModes"],
        json!(["fido2"])
    );
    assert_eq!(
        with_phone.body["session"]["authenticationMethods"],
        json!(["Passkey (Microsoft Authenticator)"])
    );
    assert_eq!(
        with_phone.body["session"]["strengths"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    // Removed through Graph's fido2Methods collection (M4).
    let del = c
        .server
        .delete(
            &format!("/v1.0/users/alex%40contoso.com/authentication/fido2Methods/{method_id}"),
            &c.helpdesk,
        )
        .await;
    assert_eq!(del.status, 204, "{}", del.text);
    // Docs2025 (switch off): the kind is refused as a bad request.
    let docs = c
        .server
        .control(Method::PUT, "/settings", json!({"profile": "Docs2025"}))
        .await;
    assert_eq!(
        docs.body["switches"]["authenticatorPasskey"], false,
        "{}",
        docs.text
    );
    let signed = c.server.sign_in(sign_in).await;
    let session = signed.session_id();
    let refused = c
        .server
        .control(
            Method::POST,
            &format!("/sessions/{session}/methods"),
            json!({"kind": "authenticatorPasskey"}),
        )
        .await;
    refused.assert_envelope(400, "badRequest");
    assert!(
        refused.text.contains("authenticator_passkey"),
        "{}",
        refused.text
    );
}

/// R18's last sentence, R11: a guest's session in a resource tenant steps up through the
/// home tenant; it counts there only when the resource tenant trusts the home tenant's
/// MFA, and a consumed one-time pass cannot step up.
#[tokio::test]
async fn r18_r11_a_guest_steps_up_through_the_home_tenant() {
    let s = Server::new();
    s.control(Method::POST, "/tenants", json!({"domain": "fabrikam.com"}))
        .await;
    let carol = json!({"userPrincipalName": "carol@fabrikam.com", "tenant": "fabrikam.com", "password": "carol-pw"});
    assert_eq!(s.control(Method::POST, "/users", carol).await.status, 201);
    let guest = json!({"userPrincipalName": "carol_fabrikam.com#EXT#@contoso.com", "userType": "externalGuest"});
    assert_eq!(s.control(Method::POST, "/users", guest).await.status, 201);
    let link = json!({"userPrincipalName": "carol_fabrikam.com#EXT#@contoso.com", "homeTenant": "fabrikam.com", "homeUserPrincipalName": "carol@fabrikam.com"});
    assert_eq!(s.control(Method::POST, "/guests", link).await.status, 200);
    let fab = s.token_in("admin@fabrikam.com", "fabrikam.com").await;
    s.enable_policy(&fab).await;
    let once = s
        .post(CAROL_HOME_PASSES, &fab, json!({"isUsableOnce": true}))
        .await;
    let once = once.secret();
    let trust = json!({"tenant": "contoso.com", "trustMfaFrom": [{"tenant": "fabrikam.com", "trusted": true}]});
    assert_eq!(s.control(Method::PUT, "/settings", trust).await.status, 200);
    // Carol signs in to Contoso with her home password: single factor.
    let signed = s
        .sign_in(json!({"userPrincipalName": "carol@fabrikam.com", "password": "carol-pw", "tenant": "contoso.com"}))
        .await;
    assert_eq!(
        signed.body["session"]["satisfiesMfa"], false,
        "{}",
        signed.text
    );
    let sid = signed.session_id();
    let step = format!("/sessions/{sid}/stepUp");
    s.advance(60).await;
    // Her home one-time pass steps her up here: checked and consumed at home.
    let up = s
        .control(Method::POST, &step, json!({"temporaryAccessPass": once}))
        .await;
    assert_eq!(up.status, 200, "{}", up.text);
    assert_eq!(up.body["decision"], "allowed", "{}", up.text);
    assert_eq!(up.body["session"]["id"], sid.as_str());
    assert_eq!(up.body["session"]["satisfiesMfa"], true);
    assert_eq!(up.body["session"]["lastMfa"], "2026-01-05T09:01:00Z");
    // The single-factor home password counted for nothing here; the step-up does (S11).
    assert_eq!(
        up.body["session"]["authenticationMethodModes"],
        json!(["temporaryAccessPassOneTime"])
    );
    // Used once: it cannot step up again (R18), and the home tenant says so.
    let again = s
        .control(Method::POST, &step, json!({"temporaryAccessPass": once}))
        .await;
    assert_eq!(again.body["decision"], "denied", "{}", again.text);
    assert_eq!(again.body["reason"], "passOneTimeUsed");
    // A password alone is no step-up.
    s.control(Method::POST, &step, json!({"password": "carol-pw"}))
        .await
        .assert_envelope(400, "badRequest");
    // Both tenants logged both attempts; the resource's records name the home tenant.
    let home_log = s.get("/v1.0/auditLogs/signIns", &fab).await;
    assert_eq!(
        home_log.body["value"].as_array().unwrap().len(),
        3,
        "{}",
        home_log.text
    );
    let contoso = s.token("admin@contoso.com").await;
    let resource_log = s.get("/v1.0/auditLogs/signIns", &contoso).await;
    let records = resource_log.body["value"].as_array().unwrap();
    assert_eq!(records.len(), 3, "{}", resource_log.text);
    let fab_id = s
        .call(Method::GET, "/_tapsim/tenants", None, None)
        .await
        .body["value"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["domain"] == "fabrikam.com")
        .map(|t| t["id"].clone())
        .unwrap();
    assert!(
        records.iter().all(|r| r["homeTenantId"] == fab_id),
        "{records:?}"
    );
}

/// At a cost that sends hashing to the blocking pool, passes created in parallel leave
/// one pass and one audit record each (T5 at commit), and a method registered in three
/// phases signs in.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn t5_three_phase_creations_and_registrations_off_the_lock() {
    let s = Server::with(config().hash_cost(tapsim::HashCost::Custom {
        memory_kib: 2048,
        iterations: 1,
        lanes: 1,
    }));
    let admin = s.token("admin@contoso.com").await;
    s.user("alex@contoso.com", &[]).await;
    s.enable_policy(&admin).await;
    // A user added with a password, hashed off the lock, signs in with it.
    let added = s
        .control(
            Method::POST,
            "/users",
            json!({"userPrincipalName": "pat@contoso.com", "password": "pat-pw"}),
        )
        .await;
    assert_eq!(added.status, 201, "{}", added.text);
    let pat = s
        .sign_in(json!({"userPrincipalName": "pat@contoso.com", "password": "pat-pw"}))
        .await;
    assert_eq!(pat.body["decision"], "allowed", "{}", pat.text);
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let (app, token) = (s.app.clone(), admin.clone());
        tasks.push(tokio::spawn(async move {
            let s = Server { app };
            s.post(PASSES, &token, json!({})).await
        }));
    }
    let mut secrets = Vec::new();
    for t in tasks {
        let created = t.await.unwrap();
        assert_eq!(created.status, 201, "{}", created.text);
        secrets.push(created.secret());
    }
    let listed = s.get(PASSES, &admin).await;
    assert_eq!(listed.body["value"].as_array().unwrap().len(), 1);
    let audits = s.get("/v1.0/auditLogs/directoryAudits", &admin).await;
    let creations = audits.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["activityDisplayName"] == "Admin registered security info")
        .count();
    assert_eq!(creations, 4);
    let mut session = None;
    for secret in &secrets {
        let out = s
            .sign_in(
                json!({"userPrincipalName": "alex@contoso.com", "temporaryAccessPass": secret}),
            )
            .await;
        if out.body["decision"] == "allowed" {
            assert!(session.is_none(), "only the pass kept signs in");
            session = Some(out.session_id());
        }
    }
    let session = session.expect("the pass kept signs in");
    let reg = s
        .control(
            Method::POST,
            &format!("/sessions/{session}/methods"),
            json!({"kind": "fido2SecurityKey", "displayName": "YubiKey"}),
        )
        .await;
    assert_eq!(reg.status, 201, "{}", reg.text);
    let device = reg.body["device"].as_str().unwrap();
    let with_key = s
        .sign_in(json!({"userPrincipalName": "alex@contoso.com", "device": device}))
        .await;
    assert_eq!(with_key.body["decision"], "allowed", "{}", with_key.text);
    let long = s
        .control(
            Method::POST,
            &format!("/sessions/{session}/methods"),
            json!({"kind": "passkey", "displayName": "k".repeat(257)}),
        )
        .await;
    long.assert_envelope(400, "badRequest");
}
