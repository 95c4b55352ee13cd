//! Errors as Graph writes them: a status, a code and a message, rendered in Graph's
//! envelope (spec G2) by the server's outer layer, which knows the request's ids.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// An error answered to a client: HTTP status, Graph `code` and `message`.
///
/// A handler returns it; the server's outer layer renders it as
/// `{"error": {"code", "message", "innerError": {"date", "request-id", "client-request-id"}}}`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{status} {code}: {message}")]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// Graph's error code, such as `badRequest` or `InvalidAuthenticationToken`.
    pub code: &'static str,
    /// The message.
    pub message: String,
}

impl ApiError {
    /// An error with this status, code and message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }

    /// `400 invalidRequest`: a request the server cannot read (bad JSON, bad query).
    pub fn invalid_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "invalidRequest", message)
    }

    /// `401 InvalidAuthenticationToken`.
    pub fn unauthenticated(message: impl Into<String>) -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "InvalidAuthenticationToken",
            message,
        )
    }

    /// `404 itemNotFound` for an object, or a route, that does not exist.
    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "itemNotFound", message)
    }

    /// `403 accessDenied`.
    pub fn access_denied(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "accessDenied", message)
    }

    /// `409 conflict`.
    pub fn conflict(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::CONFLICT, "conflict", message)
    }
}

impl From<tapsim::Error> for ApiError {
    fn from(e: tapsim::Error) -> ApiError {
        let status =
            StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        ApiError::new(status, e.code().as_str(), e.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        // The body is written by the outer layer (`crate::server::finish`), which has the
        // request's ids and the clock; the error travels in the response's extensions.
        let mut response = self.status.into_response();
        response.extensions_mut().insert(self);
        response
    }
}

/// A handler's result.
pub type ApiResult<T = Response> = Result<T, ApiError>;
