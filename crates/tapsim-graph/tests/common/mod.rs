//! Helpers: a server in-process (driven with `tower::ServiceExt::oneshot`), requests and
//! their JSON answers.

#![allow(dead_code)]

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use chrono::{DateTime, TimeZone, Utc};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tapsim::HashCost;
use tapsim_graph::{ServerConfig, router};
use tower::ServiceExt;

pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap()
}

pub fn config() -> ServerConfig {
    ServerConfig::new()
        .seed(1)
        .hash_cost(HashCost::Minimum)
        .manual_clock(t0())
}

/// An answer: status, headers, and the body as JSON (`Null` when empty).
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Answer {
    /// The Graph error code.
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or_default()
    }
    pub fn message(&self) -> &str {
        self.body["error"]["message"].as_str().unwrap_or_default()
    }
    /// A created pass's secret (`temporaryAccessPass`).
    pub fn secret(&self) -> String {
        self.body["temporaryAccessPass"]
            .as_str()
            .unwrap_or_else(|| panic!("no secret: {}", self.text))
            .to_owned()
    }
    /// An allowed sign-in's session id.
    pub fn session_id(&self) -> String {
        self.body["session"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {}", self.text))
            .to_owned()
    }
    /// Asserts Graph's error envelope, with ids that match the headers.
    pub fn assert_envelope(&self, status: u16, code: &str) -> &Answer {
        assert_eq!(self.status.as_u16(), status, "{}", self.text);
        assert_eq!(self.code(), code, "{}", self.text);
        let inner = &self.body["error"]["innerError"];
        assert_eq!(
            inner["request-id"].as_str(),
            self.headers.get("request-id").and_then(|v| v.to_str().ok())
        );
        assert_eq!(
            inner["client-request-id"].as_str(),
            self.headers
                .get("client-request-id")
                .and_then(|v| v.to_str().ok())
        );
        let date = inner["date"].as_str().unwrap();
        assert_eq!(date.len(), 19, "R16: no fraction, no offset: {date}");
        assert!(self.message().len() > 3);
        self
    }
}

/// Cloning shares the app and so the simulator behind it.
#[derive(Clone)]
pub struct Server {
    pub app: Router,
}

impl Server {
    pub fn new() -> Server {
        Server::with(config())
    }

    pub fn with(config: ServerConfig) -> Server {
        Server {
            app: router(config).unwrap(),
        }
    }

    pub async fn request(&self, request: Request<Body>) -> Answer {
        let response = self.app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or(Value::Null)
        };
        Answer {
            status,
            headers,
            body,
            text,
        }
    }

    pub async fn call(
        &self,
        method: Method,
        uri: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        let mut r = Request::builder().method(method).uri(uri);
        if let Some(t) = token {
            r = r.header("authorization", format!("Bearer {t}"));
        }
        let body = match body {
            Some(b) => {
                r = r.header("content-type", "application/json");
                Body::from(b.to_string())
            }
            None => Body::empty(),
        };
        self.request(r.body(body).unwrap()).await
    }

    pub async fn raw(&self, method: Method, uri: &str, token: Option<&str>, body: &str) -> Answer {
        let mut r = Request::builder()
            .method(method)
            .uri(uri)
            .header("content-type", "application/json");
        if let Some(t) = token {
            r = r.header("authorization", format!("Bearer {t}"));
        }
        self.request(r.body(Body::from(body.to_owned())).unwrap())
            .await
    }

    pub async fn get(&self, uri: &str, token: &str) -> Answer {
        self.call(Method::GET, uri, Some(token), None).await
    }

    pub async fn post(&self, uri: &str, token: &str, body: Value) -> Answer {
        self.call(Method::POST, uri, Some(token), Some(body)).await
    }

    pub async fn patch(&self, uri: &str, token: &str, body: Value) -> Answer {
        self.call(Method::PATCH, uri, Some(token), Some(body)).await
    }

    pub async fn delete(&self, uri: &str, token: &str) -> Answer {
        self.call(Method::DELETE, uri, Some(token), None).await
    }

    pub async fn control(&self, method: Method, path: &str, body: Value) -> Answer {
        self.call(method, &format!("/_tapsim{path}"), None, Some(body))
            .await
    }

    /// A sign-in on the control plane (`POST /_tapsim/signIns`).
    pub async fn sign_in(&self, body: Value) -> Answer {
        self.control(Method::POST, "/signIns", body).await
    }

    /// Moves the manual clock on by `seconds`.
    pub async fn advance(&self, seconds: i64) {
        let a = self
            .control(Method::POST, "/clock", json!({"advanceSeconds": seconds}))
            .await;
        assert_eq!(a.status, 200, "{}", a.text);
    }

    pub async fn token(&self, upn: &str) -> String {
        self.mint(json!({"userPrincipalName": upn})).await
    }

    /// A token for a user of another tenant of the server.
    pub async fn token_in(&self, upn: &str, tenant: &str) -> String {
        self.mint(json!({"userPrincipalName": upn, "tenant": tenant}))
            .await
    }

    async fn mint(&self, body: Value) -> String {
        let a = self.control(Method::POST, "/tokens", body).await;
        assert_eq!(a.status, 200, "{}", a.text);
        a.body["access_token"].as_str().unwrap().to_owned()
    }

    pub async fn user(&self, upn: &str, roles: &[&str]) -> String {
        let a = self
            .control(
                Method::POST,
                "/users",
                json!({"userPrincipalName": upn, "roles": roles, "password": "Summer-2025!"}),
            )
            .await;
        assert_eq!(a.status, 201, "{}", a.text);
        a.body["id"].as_str().unwrap().to_owned()
    }

    pub async fn enable_policy(&self, admin: &str) {
        let a = self
            .call(
                Method::PATCH,
                "/v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/TemporaryAccessPass",
                Some(admin),
                Some(json!({"state": "enabled"})),
            )
            .await;
        assert_eq!(a.status, 204, "{}", a.text);
    }
}

/// The story's cast: an enabled policy, a help desk, a user with a password.
pub struct Cast {
    pub server: Server,
    pub admin: String,
    pub helpdesk: String,
    pub user_token: String,
}

impl Cast {
    /// The help desk creates a pass for Alex with these properties: the answer.
    pub async fn create_pass(&self, body: Value) -> Answer {
        self.server.post(PASSES, &self.helpdesk, body).await
    }

    /// Alex signs in with a pass.
    pub async fn sign_in_with_pass(&self, secret: &str) -> Answer {
        self.server
            .sign_in(
                json!({"userPrincipalName": "alex@contoso.com", "temporaryAccessPass": secret}),
            )
            .await
    }

    /// A GET as the admin.
    pub async fn admin_get(&self, uri: &str) -> Answer {
        self.server.get(uri, &self.admin).await
    }
}

pub async fn cast() -> Cast {
    let server = Server::new();
    let admin = server.token("admin@contoso.com").await;
    server
        .user("hana@contoso.com", &["Authentication Administrator"])
        .await;
    server.user("alex@contoso.com", &[]).await;
    server.enable_policy(&admin).await;
    let helpdesk = server.token("hana@contoso.com").await;
    let user_token = server.token("alex@contoso.com").await;
    Cast {
        server,
        admin,
        helpdesk,
        user_token,
    }
}

pub const PASSES: &str = "/v1.0/users/alex%40contoso.com/authentication/temporaryAccessPassMethods";
pub const POLICY: &str = "/v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/TemporaryAccessPass";
