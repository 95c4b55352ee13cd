//! Scripted faults (`POST /_tapsim/faults`): the next N requests that match a method and
//! a path pattern get an error status, or a delay, instead of (or before) their answer.

use axum::http::{Method, StatusCode};
use serde::Deserialize;

use crate::error::ApiError;

/// A fault as a client installs it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct FaultSpec {
    method: String,
    path: String,
    status: Option<u16>,
    retry_after: Option<u32>,
    delay_ms: Option<u64>,
    count: Option<u32>,
}

/// What a matching request gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FaultAction {
    /// An error status in Graph's envelope, with `Retry-After` when given.
    Fail {
        status: StatusCode,
        retry_after: Option<u32>,
    },
    /// The real answer, this many milliseconds late.
    Delay(u64),
}

/// An installed fault.
#[derive(Debug, Clone)]
pub(crate) struct Fault {
    method: Method,
    pattern: Vec<String>,
    pub(crate) action: FaultAction,
    remaining: u32,
}

/// The longest path pattern, in segments.
const MAX_PATTERN_SEGMENTS: usize = 64;

impl FaultSpec {
    pub(crate) fn into_fault(self, max_delay_ms: u64) -> Result<Fault, ApiError> {
        let method = Method::from_bytes(self.method.to_ascii_uppercase().as_bytes())
            .map_err(|_| ApiError::invalid_request(format!("unknown method `{}`", self.method)))?;
        if !self.path.starts_with('/') {
            return Err(ApiError::invalid_request(format!(
                "a fault's `path` starts with `/`, not `{}`",
                self.path
            )));
        }
        let pattern: Vec<String> = segments(&self.path).map(str::to_owned).collect();
        if pattern.len() > MAX_PATTERN_SEGMENTS {
            return Err(ApiError::invalid_request(format!(
                "a fault's `path` has at most {MAX_PATTERN_SEGMENTS} segments"
            )));
        }
        let action = match (self.status, self.delay_ms) {
            (Some(status), None) => {
                let status = match status {
                    429 | 500 | 502 | 503 | 504 => StatusCode::from_u16(status)
                        .map_err(|_| ApiError::invalid_request("bad status"))?,
                    other => {
                        return Err(ApiError::invalid_request(format!(
                            "a fault's `status` is one of 429, 500, 502, 503, 504, not `{other}`"
                        )));
                    }
                };
                FaultAction::Fail {
                    status,
                    retry_after: self.retry_after,
                }
            }
            (None, Some(ms)) if ms <= max_delay_ms => FaultAction::Delay(ms),
            (None, Some(ms)) => {
                return Err(ApiError::invalid_request(format!(
                    "a fault's `delayMs` is at most {max_delay_ms}, not `{ms}`"
                )));
            }
            _ => {
                return Err(ApiError::invalid_request(
                    "a fault has either `status` or `delayMs`",
                ));
            }
        };
        let remaining = self.count.unwrap_or(1);
        if remaining == 0 {
            return Err(ApiError::invalid_request("a fault's `count` is at least 1"));
        }
        Ok(Fault {
            method,
            pattern,
            action,
            remaining,
        })
    }
}

fn segments(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter(|s| !s.is_empty())
}

impl Fault {
    /// Whether the fault applies to this request: the method, and the pattern's
    /// segments (`*` is one segment, or the rest of the path when it is last).
    pub(crate) fn matches(&self, method: &Method, path: &str) -> bool {
        if self.method != *method {
            return false;
        }
        let mut got = segments(path);
        for (i, want) in self.pattern.iter().enumerate() {
            let last = i + 1 == self.pattern.len();
            match got.next() {
                None => return false,
                Some(_) if want == "*" && last => return true,
                Some(_) if want == "*" => {}
                Some(seg) if seg.eq_ignore_ascii_case(want) => {}
                Some(_) => return false,
            }
        }
        got.next().is_none()
    }

    /// Uses the fault once; `true` when it is used up.
    pub(crate) fn consume(&mut self) -> bool {
        self.remaining = self.remaining.saturating_sub(1);
        self.remaining == 0
    }
}

/// The Graph code of a faulted status.
pub(crate) fn fault_code(status: StatusCode) -> &'static str {
    match status.as_u16() {
        429 => "TooManyRequests",
        503 => "serviceNotAvailable",
        504 => "gatewayTimeout",
        502 => "badGateway",
        _ => "generalException",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fault(path: &str) -> Fault {
        FaultSpec {
            method: "get".into(),
            path: path.into(),
            status: Some(429),
            retry_after: Some(1),
            delay_ms: None,
            count: Some(2),
        }
        .into_fault(1000)
        .unwrap()
    }

    #[test]
    fn star_matches_one_segment_or_the_rest_when_last() {
        let f = fault("/v1.0/policies/*");
        assert!(f.matches(&Method::GET, "/v1.0/policies/authenticationMethodsPolicy"));
        assert!(f.matches(&Method::GET, "/v1.0/policies/a/b/c"));
        assert!(!f.matches(&Method::GET, "/v1.0/policies"));
        assert!(!f.matches(&Method::POST, "/v1.0/policies/a"));
        let inner = fault("/v1.0/users/*/authentication");
        assert!(inner.matches(&Method::GET, "/v1.0/users/x/authentication"));
        assert!(!inner.matches(&Method::GET, "/v1.0/users/x/authentication/methods"));
    }

    #[test]
    fn a_fault_is_used_up_after_its_count() {
        let mut f = fault("/x");
        assert!(!f.consume());
        assert!(f.consume());
    }
}
