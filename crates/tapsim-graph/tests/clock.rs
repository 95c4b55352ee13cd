//! Tests: the control plane's clock refuses instants it cannot hold (issue 13: times
//! before 1970 or after 9999 are refused the same way at both ends, never clamped).

#![allow(missing_docs)]

mod common;

use axum::http::Method;
use common::*;
use serde_json::json;

#[tokio::test]
async fn control_clock_refuses_instants_before_1970_and_after_9999_and_stays_put() {
    let s = Server::new();
    let start = "2026-01-05T09:00:00Z";
    let cases = [
        (
            json!({"now": "1969-12-31T23:59:59Z"}),
            "`now` 1969-12-31T23:59:59Z is before 1970-01-01T00:00:00Z, the earliest instant tapsim's clock holds",
        ),
        (
            json!({"now": "1970-01-01T00:30:00+01:00"}),
            "`now` 1970-01-01T00:30:00+01:00 is before 1970-01-01T00:00:00Z, the earliest instant tapsim's clock holds",
        ),
        (
            json!({"advanceSeconds": 253_402_300_800_i64}),
            "`advanceSeconds` 253402300800 would take the clock past 9999-12-31T23:59:59Z, the latest instant tapsim's clock holds",
        ),
        (
            json!({"advanceSeconds": i64::MAX}),
            "`advanceSeconds` 9223372036854775807 would take the clock past 9999-12-31T23:59:59Z, the latest instant tapsim's clock holds",
        ),
    ];
    for (body, message) in cases {
        let refused = s.control(Method::POST, "/clock", body.clone()).await;
        refused.assert_envelope(400, "invalidRequest");
        assert_eq!(refused.message(), message, "{body}");
        assert_eq!(
            s.control(Method::GET, "/clock", json!(null)).await.body["now"],
            start,
            "a refused move leaves the clock where it was: {body}"
        );
    }
    // The bounds themselves are accepted.
    for now in ["1970-01-01T00:00:00Z", "9999-12-31T23:59:59Z"] {
        let set = s
            .control(Method::POST, "/clock", json!({ "now": now }))
            .await;
        assert_eq!(set.status, 200, "{}", set.text);
        assert_eq!(set.body["now"], now);
    }
    // At the latest second, no second more.
    s.control(Method::POST, "/clock", json!({"advanceSeconds": 1}))
        .await
        .assert_envelope(400, "invalidRequest");
}
