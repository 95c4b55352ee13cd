//! The Graph server against its floors, measured in the same run (issue 10):
//!
//! 1. `GET` of a pass through the whole application (outer layer, routing, auth, the
//!    domain, JSON) against a bare axum handler that returns a JSON body of the same
//!    size (target: p50 ratio <= 1.5);
//! 2. a control-plane sign-in with a multi-use pass at minimum hash cost against the bare
//!    handler plus a bare argon2id verification of the same PHC string (target <= 1.3).
//!
//! Both sides run in-process first (`tower::ServiceExt::oneshot`, no socket, so the
//! ratio is not diluted by TCP), then over loopback TCP (HTTP/1.1 keep-alive, one
//! connection per side, as a client sees it), interleaved in rounds so that load from
//! other processes cancels out. Prints requests per second and p50/p99 latency for each
//! side, and the ratios.
//! `TAPSIM_BENCH_QUICK=1` for a short run. Figures: docs/performance.md.

#![allow(missing_docs)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use argon2::Argon2;
use argon2::password_hash::PasswordVerifier;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::Request;
use axum::routing::get;
use chrono::{TimeZone, Utc};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tapsim::HashCost;
use tapsim_graph::{ServerConfig, router};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tower::ServiceExt;

/// A minimal HTTP/1.1 keep-alive client: one request, the whole answer read by its
/// `content-length`. Returns the body's length.
async fn over_tcp(stream: &mut TcpStream, buf: &mut Vec<u8>, request: &[u8]) -> usize {
    stream.write_all(request).await.expect("loopback write");
    buf.clear();
    let mut chunk = [0u8; 4096];
    loop {
        let n = stream.read(&mut chunk).await.expect("loopback read");
        assert!(n > 0, "the server closed the connection");
        buf.extend_from_slice(&chunk[..n]);
        let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        if buf.len() >= end + 4 + length {
            return length;
        }
    }
}

/// A server of `app` on a free loopback port.
async fn serve(app: Router) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let addr = listener.local_addr().expect("its address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

/// The whole body of `app`'s answer to `request`, in-process.
async fn body_of(app: &Router, request: Request<Body>) -> Bytes {
    let response = app
        .clone()
        .oneshot(request)
        .await
        .expect("infallible service");
    response
        .into_body()
        .collect()
        .await
        .expect("in-memory body")
        .to_bytes()
}

async fn call(app: &Router, request: Request<Body>) -> usize {
    body_of(app, request).await.len()
}

fn post(uri: &str, token: Option<&str>, body: &Value) -> Request<Body> {
    let mut r = Request::post(uri).header("content-type", "application/json");
    if let Some(t) = token {
        r = r.header("authorization", format!("Bearer {t}"));
    }
    r.body(Body::from(body.to_string())).expect("valid request")
}

async fn json_of(app: &Router, request: Request<Body>) -> Value {
    serde_json::from_slice(&body_of(app, request).await).expect("JSON answer")
}

struct Fixture {
    app: Router,
    token: String,
    pass_uri: String,
    secret: String,
    phc: String,
    pass_body_len: usize,
}

const PASSES: &str = "/v1.0/users/ada%40contoso.com/authentication/temporaryAccessPassMethods";
const POLICY: &str = "/v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/TemporaryAccessPass";

async fn fixture() -> Fixture {
    let config = ServerConfig::new()
        .hash_cost(HashCost::Minimum)
        .manual_clock(Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap());
    let app = router(config).expect("starting state");
    let minted = json_of(
        &app,
        post(
            "/_tapsim/tokens",
            None,
            &json!({"userPrincipalName": "admin@contoso.com"}),
        ),
    )
    .await;
    let token = minted["access_token"].as_str().expect("a token").to_owned();
    let ada = json!({"userPrincipalName": "ada@contoso.com"});
    json_of(&app, post("/_tapsim/users", None, &ada)).await;
    let patch = Request::patch(POLICY)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(Body::from(
            r#"{"state":"enabled","maximumLifetimeInMinutes":43200,"defaultLifetimeInMinutes":43200}"#,
        ))
        .expect("valid request");
    call(&app, patch).await;
    let created = json_of(
        &app,
        post(PASSES, Some(&token), &json!({"isUsableOnce": false})),
    )
    .await;
    let secret = created["temporaryAccessPass"]
        .as_str()
        .expect("the secret")
        .to_owned();
    let pass_uri = format!("{PASSES}/{}", created["id"].as_str().expect("an id"));
    let snapshot = json_of(
        &app,
        Request::get("/_tapsim/snapshot")
            .body(Body::empty())
            .expect("valid"),
    )
    .await;
    let phc = find_phc(&snapshot).expect("the pass's hash in the snapshot");
    let pass_body_len = call(&app, get_req(&pass_uri, &token)).await;
    Fixture {
        app,
        token,
        pass_uri,
        secret,
        phc,
        pass_body_len,
    }
}

/// The pass's argon2id PHC string, wherever the snapshot keeps it.
fn find_phc(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if s.starts_with("$argon2id$") => Some(s.clone()),
        Value::Array(items) => items.iter().rev().find_map(find_phc),
        Value::Object(map) => map
            .get("passes")
            .and_then(find_phc)
            .or_else(|| map.values().find_map(find_phc)),
        _ => None,
    }
}

fn get_req(uri: &str, token: &str) -> Request<Body> {
    Request::get(uri)
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .expect("valid request")
}

/// A bare axum app whose one handler returns a JSON body of `len` bytes.
fn bare(len: usize) -> Router {
    let body = format!("{{\"v\":\"{}\"}}", "x".repeat(len.saturating_sub(8)));
    Router::new().route(
        "/bare",
        get(move || {
            let body = body.clone();
            async move { ([("content-type", "application/json")], body) }
        }),
    )
}

struct Stats {
    p50: Duration,
    p99: Duration,
    per_second: f64,
}

fn stats(mut samples: Vec<Duration>) -> Stats {
    samples.sort();
    let total: Duration = samples.iter().sum();
    let at = |q: f64| samples[((samples.len() as f64 - 1.0) * q) as usize];
    Stats {
        p50: at(0.50),
        p99: at(0.99),
        per_second: samples.len() as f64 / total.as_secs_f64(),
    }
}

async fn time<F, Fut>(samples: &mut Vec<Duration>, n: usize, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for _ in 0..n {
        let started = Instant::now();
        f().await;
        samples.push(started.elapsed());
    }
}

/// `rounds` rounds of `per_round` timed runs of each side, interleaved so that load from
/// other processes falls on both.
async fn compare<A, FutA, B, FutB>(
    rounds: usize,
    per_round: usize,
    mut ours: A,
    mut theirs: B,
) -> (Stats, Stats)
where
    A: FnMut() -> FutA,
    FutA: std::future::Future<Output = ()>,
    B: FnMut() -> FutB,
    FutB: std::future::Future<Output = ()>,
{
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        time(&mut a, per_round, &mut ours).await;
        time(&mut b, per_round, &mut theirs).await;
    }
    (stats(a), stats(b))
}

/// `n` timed requests over one keep-alive connection; `also` runs inside each timing.
async fn time_tcp(
    samples: &mut Vec<Duration>,
    n: usize,
    (conn, buf): (&mut TcpStream, &mut Vec<u8>),
    request: &[u8],
    also: impl Fn(),
) {
    for _ in 0..n {
        let started = Instant::now();
        also();
        black_box(over_tcp(conn, buf, request).await);
        samples.push(started.elapsed());
    }
}

fn report(label: &str, (a, b): &(Stats, Stats), target: &str) {
    println!(
        "{label}\n  tapsim: {:>9.0} req/s  p50 {:>9.2?}  p99 {:>9.2?}\n  floor:  {:>9.0} req/s  p50 {:>9.2?}  p99 {:>9.2?}\n  ratio p50 {:.2}, p99 {:.2}  (target {target})",
        a.per_second,
        a.p50,
        a.p99,
        b.per_second,
        b.p50,
        b.p99,
        a.p50.as_secs_f64() / b.p50.as_secs_f64(),
        a.p99.as_secs_f64() / b.p99.as_secs_f64(),
    );
}

fn bare_get() -> Request<Body> {
    Request::get("/bare").body(Body::empty()).expect("valid")
}

fn main() {
    // `cargo test` runs bench targets without `--bench`: keep that run short.
    let quick = std::env::var("TAPSIM_BENCH_QUICK").is_ok_and(|v| v != "0")
        || !std::env::args().any(|a| a == "--bench");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let f = fixture().await;
        let floor = bare(f.pass_body_len);
        let (rounds, per_round) = if quick { (5, 50) } else { (40, 500) };

        let bare_call = || async {
            black_box(call(&floor, bare_get()).await);
        };

        // 1. GET of a pass.
        let both = compare(
            rounds,
            per_round,
            || async {
                black_box(call(&f.app, get_req(&f.pass_uri, &f.token)).await);
            },
            bare_call,
        )
        .await;
        report(
            &format!(
                "GET pass ({} bytes) vs bare axum JSON handler",
                f.pass_body_len
            ),
            &both,
            "p50 <= 1.5",
        );

        // The outer layers alone: `GET /_tapsim/health` through the whole stack.
        let health = || {
            Request::get("/_tapsim/health")
                .body(Body::empty())
                .expect("valid")
        };
        let both = compare(
            rounds,
            per_round,
            || async {
                black_box(call(&f.app, health()).await);
            },
            bare_call,
        )
        .await;
        report(
            "(breakdown) GET /_tapsim/health, the outer layers alone, vs bare handler",
            &both,
            "none: it shows what the layers cost",
        );

        // 2. Control-plane sign-in at minimum cost.
        let argon = Argon2::default();
        let verify = || {
            let ok = argon
                .verify_password(f.secret.as_bytes(), f.phc.as_str())
                .is_ok();
            assert!(ok, "the floor verifies the same secret");
        };
        let sign_in =
            json!({"userPrincipalName": "ada@contoso.com", "temporaryAccessPass": f.secret});
        let both = compare(
            rounds,
            per_round,
            || async {
                black_box(call(&f.app, post("/_tapsim/signIns", None, &sign_in)).await);
            },
            || async {
                verify();
                black_box(call(&floor, bare_get()).await);
            },
        )
        .await;
        report(
            "control-plane sign-in (minimum cost) vs bare argon2id verify + bare handler",
            &both,
            "p50 <= 1.3",
        );

        // 3. The same two over loopback TCP, as a client sees them.
        let ours_addr = serve(f.app.clone()).await;
        let floor_addr = serve(floor.clone()).await;
        let mut ours_conn = TcpStream::connect(ours_addr).await.expect("connect");
        let mut floor_conn = TcpStream::connect(floor_addr).await.expect("connect");
        ours_conn.set_nodelay(true).expect("nodelay");
        floor_conn.set_nodelay(true).expect("nodelay");
        let get_pass = format!(
            "GET {} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {}\r\n\r\n",
            f.pass_uri, f.token
        );
        let get_bare = b"GET /bare HTTP/1.1\r\nHost: localhost\r\n\r\n";
        let (mut buf_a, mut buf_b) = (Vec::new(), Vec::new());
        let (mut ours, mut theirs) = (Vec::new(), Vec::new());
        for _ in 0..rounds {
            let conn = (&mut ours_conn, &mut buf_a);
            time_tcp(&mut ours, per_round, conn, get_pass.as_bytes(), || {}).await;
            let conn = (&mut floor_conn, &mut buf_b);
            time_tcp(&mut theirs, per_round, conn, get_bare, || {}).await;
        }
        let both = (stats(ours), stats(theirs));
        report(
            "GET pass over loopback TCP vs the bare handler over loopback TCP",
            &both,
            "p50 <= 1.5",
        );
        let body = sign_in.to_string();
        let sign_in_req = format!(
            "POST /_tapsim/signIns HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        let (mut ours, mut theirs) = (Vec::new(), Vec::new());
        for _ in 0..rounds {
            let conn = (&mut ours_conn, &mut buf_a);
            time_tcp(&mut ours, per_round, conn, sign_in_req.as_bytes(), || {}).await;
            let conn = (&mut floor_conn, &mut buf_b);
            time_tcp(&mut theirs, per_round, conn, get_bare, verify).await;
        }
        let both = (stats(ours), stats(theirs));
        report(
            "control-plane sign-in over loopback TCP vs argon2id verify + bare handler over TCP",
            &both,
            "p50 <= 1.3",
        );
    });
}
