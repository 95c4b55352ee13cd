//! The router, the outer layer every request passes through (bounds, faults, ids,
//! Graph's envelope), and starting a server on a socket.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use tapsim::Guid;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tower_http::catch_panic::CatchPanicLayer;

use crate::error::ApiError;
use crate::faults::{FaultAction, fault_code};
use crate::state::{ServerConfig, Shared};
use crate::{control, graph};

/// The request's ids, as the outer layer chose them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RequestIds {
    pub(crate) request_id: Guid,
    pub(crate) client_request_id: Guid,
}

/// What every handler shares.
pub(crate) type AppState = Arc<Shared>;

/// Why a server could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    /// The starting state could not be built (a scenario the tenant refuses, a bad
    /// configuration).
    #[error("cannot build the starting state: {0}")]
    Setup(ApiError),
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
}

/// The whole application: Graph under `/v1.0` and `/beta`, the control plane under
/// `/_tapsim`, and the outer layer.
///
/// ```
/// use axum::body::Body;
/// use axum::http::Request;
/// use tapsim::HashCost;
/// use tapsim_graph::{ServerConfig, router};
/// use tower::ServiceExt;
///
/// # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
/// let app = router(ServerConfig::new().hash_cost(HashCost::Minimum))?;
/// let response = app
///     .oneshot(Request::get("/_tapsim/health").body(Body::empty())?)
///     .await?;
/// assert_eq!(response.status(), 200);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// [`ServeError::Setup`] when the starting state cannot be built.
pub fn router(config: ServerConfig) -> Result<Router, ServeError> {
    let state: AppState = Arc::new(Shared::new(config).map_err(ServeError::Setup)?);
    Ok(app(state, Router::new()))
}

/// The application over `state`, with `extra` routes inside the outer layers (tests add
/// one that panics).
fn app(state: AppState, extra: Router<AppState>) -> Router {
    let limit = state.config.limits.max_body_bytes;
    extra
        .merge(graph::routes())
        .merge(control::routes())
        .fallback(|| async { ApiError::not_found("Resource not found for the segment.") })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "Request_BadRequest",
                "The HTTP method is not allowed on this resource.",
            )
        })
        .layer(DefaultBodyLimit::max(limit))
        .layer(CatchPanicLayer::custom(|_| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "generalException",
                "An internal error occurred; the server keeps serving.",
            )
            .into_response()
        }))
        .layer(middleware::from_fn_with_state(state.clone(), outer))
        .with_state(state)
}

const REQUEST_ID: HeaderName = HeaderName::from_static("request-id");
const CLIENT_REQUEST_ID: HeaderName = HeaderName::from_static("client-request-id");

/// Every request passes here: bounds on the URI, scripted faults, the request's ids,
/// and errors rendered in Graph's envelope.
async fn outer(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let limits = state.config.limits;
    let client_sent = request
        .headers()
        .get(&CLIENT_REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<Guid>().ok());
    let path = request.uri().path();
    let path_len = path.len();
    let (ids, fault) = {
        let mut sim = state.lock();
        let request_id = sim.request_id();
        let ids = RequestIds {
            request_id,
            client_request_id: client_sent.unwrap_or(request_id),
        };
        let method = request.method();
        let fault = sim
            .faults
            .iter()
            .position(|f| f.matches(method, path))
            .map(|i| {
                let action = sim.faults[i].action.clone();
                if sim.faults[i].consume() {
                    sim.faults.remove(i);
                }
                action
            });
        (ids, fault)
    };
    let query_len = request.uri().query().map_or(0, str::len);
    let response = if path_len > limits.max_path_bytes {
        ApiError::invalid_request(format!(
            "The request path is longer than the limit of {} bytes.",
            limits.max_path_bytes
        ))
        .into_response()
    } else if query_len > limits.max_query_bytes {
        ApiError::invalid_request(format!(
            "The query string is longer than the limit of {} bytes.",
            limits.max_query_bytes
        ))
        .into_response()
    } else {
        match fault {
            Some(FaultAction::Fail {
                status,
                retry_after,
            }) => {
                let mut r = ApiError::new(
                    status,
                    fault_code(status),
                    "A fault installed with /_tapsim/faults.",
                )
                .into_response();
                if let Some(s) = retry_after {
                    r.headers_mut()
                        .insert(header::RETRY_AFTER, HeaderValue::from(s));
                }
                r
            }
            Some(FaultAction::Delay(ms)) => {
                tokio::time::sleep(Duration::from_millis(ms)).await;
                request.extensions_mut().insert(ids);
                next.run(request).await
            }
            None => {
                request.extensions_mut().insert(ids);
                next.run(request).await
            }
        }
    };
    finish(&state, ids, response).await
}

/// Renders an error in Graph's envelope and sets the id headers.
async fn finish(state: &AppState, ids: RequestIds, response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let error = parts.extensions.remove::<ApiError>().or_else(|| {
        // An error the framework answered (413 from the body limit, a rejected path).
        (parts.status.is_client_error() || parts.status.is_server_error()).then(|| {
            let (code, message) = match parts.status {
                StatusCode::PAYLOAD_TOO_LARGE => (
                    "invalidRequest",
                    format!(
                        "The request body is larger than the limit of {} bytes.",
                        state.config.limits.max_body_bytes
                    ),
                ),
                StatusCode::NOT_FOUND => ("itemNotFound", "Resource not found.".to_owned()),
                StatusCode::METHOD_NOT_ALLOWED => (
                    "Request_BadRequest",
                    "The HTTP method is not allowed on this resource.".to_owned(),
                ),
                s if s.is_server_error() => (
                    "generalException",
                    "An internal error occurred; the server keeps serving.".to_owned(),
                ),
                _ => ("invalidRequest", "The request is not valid.".to_owned()),
            };
            ApiError::new(parts.status, code, message)
        })
    });
    let body = match error {
        Some(e) => {
            let date = state.lock().clock.now();
            let json = serde_json::json!({
                "error": {
                    "code": e.code,
                    "message": e.message,
                    "innerError": {
                        "date": date.format("%Y-%m-%dT%H:%M:%S").to_string(),
                        "request-id": ids.request_id.to_string(),
                        "client-request-id": ids.client_request_id.to_string(),
                    }
                }
            });
            parts.status = e.status;
            parts.headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            parts.headers.remove(header::CONTENT_LENGTH);
            Body::from(json.to_string())
        }
        None => body,
    };
    set_ids(&mut parts.headers, ids);
    Response::from_parts(parts, body)
}

fn set_ids(headers: &mut HeaderMap, ids: RequestIds) {
    let value = |id: Guid| HeaderValue::from_bytes(&id.to_ascii());
    if let Ok(request_id) = value(ids.request_id) {
        let client = if ids.client_request_id == ids.request_id {
            Ok(request_id.clone())
        } else {
            value(ids.client_request_id)
        };
        headers.insert(REQUEST_ID, request_id);
        if let Ok(client) = client {
            headers.insert(CLIENT_REQUEST_ID, client);
        }
    }
}

/// A server listening on a socket: its base URL, and a handle that stops it.
#[derive(Debug)]
pub struct RunningServer {
    url: String,
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

impl RunningServer {
    /// The base URL, such as `http://127.0.0.1:43123` (Graph is under `/v1.0`).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting, lets requests in flight finish, and waits for the server to end.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.task).await;
    }
}

/// Starts a server on a free loopback port (`127.0.0.1:0`).
///
/// # Errors
/// [`ServeError`] when the state cannot be built or the port cannot be bound.
pub async fn spawn(config: ServerConfig) -> Result<RunningServer, ServeError> {
    spawn_on(SocketAddr::from(([127, 0, 0, 1], 0)), config).await
}

/// Starts a server on `addr` (port 0 picks a free one). Serving beyond loopback is the
/// caller's choice: the command warns when it is not loopback.
///
/// # Errors
/// [`ServeError`] when the state cannot be built or the address cannot be bound.
pub async fn spawn_on(addr: SocketAddr, config: ServerConfig) -> Result<RunningServer, ServeError> {
    let app = router(config)?;
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| ServeError::Bind { addr, source })?;
    let addr = listener
        .local_addr()
        .map_err(|source| ServeError::Bind { addr, source })?;
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await
    });
    let url = match addr {
        SocketAddr::V4(a) => format!("http://{}:{}", a.ip(), a.port()),
        SocketAddr::V6(a) => format!("http://[{}]:{}", a.ip(), a.port()),
    };
    Ok(RunningServer {
        url,
        addr,
        stop: Some(stop),
        task,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::get;
    use tower::ServiceExt;

    /// A handler that panics is a 500 in Graph's envelope, and the server keeps serving.
    #[tokio::test]
    async fn a_panicking_handler_is_a_500_envelope_and_serving_goes_on() {
        let config = ServerConfig::new().hash_cost(tapsim::HashCost::Minimum);
        let state: AppState = Arc::new(Shared::new(config).unwrap());
        async fn boom(State(s): State<AppState>) -> &'static str {
            let _held = s.lock();
            panic!("a handler failure, with the lock held");
        }
        let boom: Router<AppState> = Router::new().route("/boom", get(boom));
        let app = app(state, boom);
        let get = |uri: &str| Request::get(uri).body(Body::empty()).unwrap();
        let r = app.clone().oneshot(get("/boom")).await.unwrap();
        assert_eq!(r.status(), 500);
        let body = axum::body::to_bytes(r.into_body(), 1 << 16).await.unwrap();
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(json["error"]["code"], "generalException");
        let r = app.oneshot(get("/_tapsim/health")).await.unwrap();
        assert_eq!(r.status(), 200, "a poisoned lock still serves");
    }
}
