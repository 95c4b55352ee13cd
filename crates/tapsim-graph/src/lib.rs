//! tapsim over HTTP: Microsoft Graph's Temporary Access Pass endpoints, backed by a
//! simulated tenant, and a control plane (`/_tapsim`) to set up, move and inspect it.
//!
//! Programs that call Microsoft Graph for Temporary Access Pass work (PowerShell, Python,
//! JavaScript, .NET, Rust) can be pointed at this server instead of a real tenant: the
//! same URLs, bodies, status codes and errors, with tapsim's rules behind them. The
//! contract is `docs/spec/graph-server.md` in the repository; `docs/graph-server.md` is
//! the user's guide.
//!
//! Rust tests embed it: [`spawn`] starts a server on a free loopback port and returns
//! its base URL and a handle that stops it; [`router`] gives the `axum::Router` to drive
//! in-process (with `tower::ServiceExt::oneshot`).
//!
//! ```
//! use tapsim::HashCost;
//! use tapsim_graph::{ServerConfig, spawn};
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(async {
//! let server = spawn(ServerConfig::new().hash_cost(HashCost::Minimum)).await?;
//! assert!(server.url().starts_with("http://127.0.0.1:"));
//! server.shutdown().await;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(missing_debug_implementations)]

mod control;
mod error;
mod faults;
mod graph;
mod query;
mod server;
mod state;

pub use error::{ApiError, ApiResult};
pub use server::{RunningServer, ServeError, router, spawn, spawn_on};
pub use state::{ClockChoice, DEFAULT_ADMIN, Limits, ServerConfig};
