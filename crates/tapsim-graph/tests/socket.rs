//! One test over a real socket: `spawn` listens on a free loopback port, answers HTTP/1.1,
//! and stops when asked.

#![allow(missing_docs)]

use tapsim::HashCost;
use tapsim_graph::{ServerConfig, spawn};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn http(addr: std::net::SocketAddr, request: &str) -> String {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut out = String::new();
    stream.read_to_string(&mut out).await.unwrap();
    out
}

#[tokio::test]
async fn where_it_listens_loopback_free_port_and_clean_shutdown() {
    let server = spawn(ServerConfig::new().hash_cost(HashCost::Minimum))
        .await
        .unwrap();
    assert!(server.addr().ip().is_loopback());
    assert_ne!(server.addr().port(), 0);
    assert_eq!(server.url(), format!("http://{}", server.addr()));
    let answer = http(
        server.addr(),
        "GET /_tapsim/health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
    assert!(answer.contains("request-id: "));
    assert!(answer.ends_with(r#"{"status":"ok"}"#), "{answer}");
    let denied = http(
        server.addr(),
        "GET /v1.0/me HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(denied.starts_with("HTTP/1.1 401"), "{denied}");
    assert!(denied.contains("\"InvalidAuthenticationToken\""));
    let addr = server.addr();
    server.shutdown().await;
    assert!(TcpStream::connect(addr).await.is_err(), "stopped");
}
