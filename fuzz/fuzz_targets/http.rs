//! HTTP requests to the Graph server, in-process: whatever the method, path, headers and
//! body, the answer is a response (an error in Graph's envelope), never a panic.
//!
//! Input: the first byte picks the method, then the path up to the first newline, then
//! a bearer token up to the next newline (empty: none), then the body.
#![no_main]

use std::sync::OnceLock;

use axum::body::Body;
use axum::http::{Method, Request};
use http_body_util::BodyExt;
use libfuzzer_sys::fuzz_target;
use tapsim::HashCost;
use tapsim_graph::{ServerConfig, router};
use tower::ServiceExt;

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime")
    })
}

fn app() -> &'static axum::Router {
    static APP: OnceLock<axum::Router> = OnceLock::new();
    APP.get_or_init(|| {
        let config = ServerConfig::new()
            .hash_cost(HashCost::Minimum)
            .manual_clock(chrono::DateTime::UNIX_EPOCH + chrono::Duration::days(20_000))
            .act_as("admin@contoso.com");
        router(config).expect("the starting state")
    })
}

const METHODS: [Method; 6] = [
    Method::GET,
    Method::POST,
    Method::PATCH,
    Method::DELETE,
    Method::PUT,
    Method::OPTIONS,
];

fuzz_target!(|data: &[u8]| {
    let Some((&m, rest)) = data.split_first() else {
        return;
    };
    let method = METHODS[usize::from(m) % METHODS.len()].clone();
    let mut parts = rest.splitn(3, |b| *b == b'\n');
    let path = parts.next().unwrap_or_default();
    let token = parts.next().unwrap_or_default();
    let body = parts.next().unwrap_or_default().to_vec();
    let Ok(path) = std::str::from_utf8(path) else {
        return;
    };
    let mut request = Request::builder().method(method).uri(path);
    if !token.is_empty() {
        request = request.header("authorization", [b"Bearer ".as_slice(), token].concat());
    }
    let Ok(request) = request.body(Body::from(body)) else {
        return; // not a valid URI or header: no request to send
    };
    runtime().block_on(async {
        let response = app().clone().oneshot(request).await.expect("infallible");
        let status = response.status();
        let bytes = response.into_body().collect().await.expect("in memory").to_bytes();
        if status.is_client_error() || status.is_server_error() {
            let v: serde_json::Value =
                serde_json::from_slice(&bytes).expect("every error is Graph's JSON envelope");
            assert!(v["error"]["code"].is_string(), "envelope without a code: {v}");
        }
        assert_ne!(status, 500, "a handler failed");
    });
});
