//! Secrets stored in three phases above the inline hash cost (design.md, "Serving many
//! callers"): a creation that was hashing when the world was rebuilt is refused
//! (`409 conflict`, spec T4: its ids came from the old world's RNG), and the device
//! limit is checked again when a registration commits.

mod common;

use std::collections::BTreeSet;

use axum::http::Method;
use serde_json::{Value, json};
use tapsim::HashCost;
use tapsim_graph::{Limits, ServerConfig};

use common::*;

/// Above the server's inline cost (1 MiB): hashed with no lock held, between the phases.
fn slow_cost() -> HashCost {
    HashCost::Custom {
        memory_kib: 32 * 1024,
        iterations: 8,
        lanes: 1,
    }
}

fn slow_config() -> ServerConfig {
    config().hash_cost(slow_cost())
}

/// A server with an enabled policy, a help desk and a user without a password.
async fn slow_cast(config: ServerConfig) -> (Server, String, String) {
    let server = Server::with(config);
    let admin = server.token("admin@contoso.com").await;
    let a = server
        .control(
            Method::POST,
            "/users",
            json!({"userPrincipalName": "hana@contoso.com", "roles": ["Authentication Administrator"]}),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.text);
    let a = server
        .control(
            Method::POST,
            "/users",
            json!({"userPrincipalName": "alex@contoso.com"}),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.text);
    server.enable_policy(&admin).await;
    let helpdesk = server.token("hana@contoso.com").await;
    (server, admin, helpdesk)
}

async fn snapshot(server: &Server) -> Value {
    let a = server.control(Method::GET, "/snapshot", Value::Null).await;
    assert_eq!(a.status, 200, "{}", a.text);
    a.body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn t4_a_pass_hashing_while_the_world_is_restored_is_refused_with_conflict() {
    let (server, admin, helpdesk) = slow_cast(slow_config()).await;
    let saved = snapshot(&server).await;
    let mut refused = 0;
    for _ in 0..3 {
        // The creation: checked and drawn under the lock, then hashing with none held.
        let app = Server {
            app: server.app.clone(),
        };
        let token = helpdesk.clone();
        let create = tokio::spawn(async move { app.post(PASSES, &token, json!({})).await });
        // Once it has drawn (the tenant's RNG moved), the world goes back to the saved
        // snapshot: the same seed's tenant, whose RNG has not drawn the pass.
        loop {
            if snapshot(&server).await["rng"] != saved["rng"] || create.is_finished() {
                break;
            }
            tokio::task::yield_now().await;
        }
        let put = server
            .control(Method::PUT, "/snapshot", saved.clone())
            .await;
        assert_eq!(put.status, 200, "{}", put.text);
        let created = create.await.unwrap();
        let listed = server.get(PASSES, &helpdesk).await;
        assert_eq!(listed.status, 200, "{}", listed.text);
        match created.status.as_u16() {
            409 => {
                created.assert_envelope(409, "conflict");
                refused += 1;
                // Nothing of the old world's draft is in the restored one.
                assert_eq!(listed.body["value"], json!([]), "{}", listed.text);
            }
            // Committed before the restore, which then replaced it: gone too.
            201 => assert_eq!(listed.body["value"], json!([]), "{}", listed.text),
            _ => panic!("{}", created.text),
        }
        if refused > 0 {
            break;
        }
    }
    assert!(refused > 0, "the restore never landed while a pass hashed");

    // The restored world draws its own ids: a pass and its audit record never share one,
    // and no two records do.
    let created = server.post(PASSES, &helpdesk, json!({})).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let pass_id = created.body["id"].as_str().unwrap().to_owned();
    let audits = server.get("/v1.0/auditLogs/directoryAudits", &admin).await;
    assert_eq!(audits.status, 200, "{}", audits.text);
    let ids: Vec<&str> = audits.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert!(!ids.is_empty());
    assert!(!ids.contains(&pass_id.as_str()), "{ids:?} {pass_id}");
    assert_eq!(ids.iter().collect::<BTreeSet<_>>().len(), ids.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_limit_reached_while_registrations_hash_is_checked_again_at_commit() {
    let mut limits = Limits::default();
    limits.max_devices = 1;
    let (server, _admin, helpdesk) = slow_cast(slow_config().limits(limits)).await;
    let created = server
        .post(PASSES, &helpdesk, json!({"isUsableOnce": false}))
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let secret = created.body["temporaryAccessPass"].as_str().unwrap();
    let signed = server
        .control(
            Method::POST,
            "/signIns",
            json!({"userPrincipalName": "alex@contoso.com", "temporaryAccessPass": secret}),
        )
        .await;
    let session = signed.body["session"]["id"].as_str().unwrap().to_owned();
    let path = format!("/sessions/{session}/methods");
    let body = json!({"kind": "fido2SecurityKey"});
    // Both pass the first check together, then hash; only one may be stored.
    let (a, b) = tokio::join!(
        server.control(Method::POST, &path, body.clone()),
        server.control(Method::POST, &path, body.clone()),
    );
    let mut statuses = [a.status.as_u16(), b.status.as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 400], "{} / {}", a.text, b.text);
    let refused = if a.status == 400 { &a } else { &b };
    assert!(
        refused.message().contains("limit of 1 device handles"),
        "{}",
        refused.text
    );
    // The refused registration stored nothing: one method, the one with a handle.
    let methods = server
        .get(
            "/v1.0/users/alex%40contoso.com/authentication/methods",
            &helpdesk,
        )
        .await;
    assert_eq!(methods.status, 200, "{}", methods.text);
    let fido: Vec<&Value> = methods.body["value"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| {
            m["@odata.type"]
                .as_str()
                .is_some_and(|t| t.contains("fido2"))
        })
        .collect();
    assert_eq!(fido.len(), 1, "{}", methods.text);
}
