//! Training labs: scenario files, a runner that checks what each step expects, and
//! reports as transcripts or JSON lines.
//!
//! A scenario describes a tenant (seed, profile, switches, hash cost, lockout), or several
//! side by side with external guests linked to their home accounts (spec S10), its users
//! and groups, an initial policy, and a timeline of steps: the clock moves, admins
//! change the policy and create, read and delete passes, users sign in and register
//! methods, devices get lost, logs get printed. Each step can say what it expects; a
//! pass, a session or a device made in one step is named and used by later steps. The
//! format is described in `docs/scenario-format.md`, and the built-in labs of
//! `docs/labs/` are embedded ([`builtin_labs`]).
//!
//! Parsing checks everything it can before anything runs, and says where: every problem
//! is a [`Diagnostic`] with a path, a line and a column, with a suggestion for
//! near misses. Running never panics: an expectation that does not hold is a failed
//! step in the [`Report`], not an error.
//!
//! ```
//! use tapsim::HashCost;
//! use tapsim_lab::{builtin_lab, RunOptions, TextOptions, DEFAULT_LAB};
//!
//! let lab = builtin_lab(DEFAULT_LAB).unwrap();
//! let scenario = lab.scenarios[0].scenario()?;
//! let report = scenario.run(&RunOptions::new().hash_cost(HashCost::Minimum))?;
//! assert!(report.passed());
//! let text = report.to_text(TextOptions::new());
//! assert!(text.contains("Converged UserCredentialPolicy does not allow"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Same scenario, same seed: the same report, byte for byte.
//!
//! This crate was `tapsim::lab` (and `tapsim::story`) before tapsim became a workspace:
//! replace `tapsim::lab::` with `tapsim_lab::` and `tapsim::story` with
//! `tapsim_lab::story`; nothing else changed.

#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(missing_debug_implementations)]

mod builtin;
mod decode;
mod error;
mod escape;
mod html;
mod node;
mod render;
mod runner;
mod scenario;
mod snippet;
pub mod story;
mod suggest;
mod time;
mod timeline;

pub use builtin::{
    BuiltinLab, BuiltinScenario, DEFAULT_LAB, builtin_lab, builtin_labs, closest_builtin_lab,
};
pub use decode::{MAX_GROUPS, MAX_SCENARIO_BYTES, MAX_STEPS, MAX_TENANTS, MAX_USERS};
pub use error::{Diagnostic, DiagnosticKind, LabError, Location, ScenarioError, SetupError};
pub use escape::escape_line;
pub use html::html_report;
pub use render::{DEFAULT_WIDTH, TextOptions};
pub use runner::{ExpectationCheck, Outcome, Report, RunOptions, Settings, Setup, StepReport};
pub use scenario::{
    Action, AuditExpectation, AuditMatch, Expect, ExpectedResult, ExpectedSession, Format,
    GroupSpec, GuestSpec, LogKind, MemberName, MethodSpec, PolicyChange, PolicySpec, Scenario,
    SignInLogExpectation, SignInWith, Step, SwitchOverrides, TargetName, TenantSpec, TimeSpec,
    UserSpec,
};
pub use timeline::{
    Attempt, Marker, MarkerKind, PassFate, PassWindow, SessionEnded, SessionSpan, StepTime,
    Timeline,
};

/// Parses a date-time as scenario files write it: RFC 3339 with a time zone, between
/// 1970-01-01T00:00:00Z and 9999-12-31T23:59:59Z. Outside, the error names the bound;
/// nothing is clamped.
///
/// ```
/// let t = tapsim_lab::parse_date_time("2026-01-05T10:00:00+01:00").unwrap();
/// assert_eq!(t.to_rfc3339(), "2026-01-05T09:00:00+00:00");
/// assert_eq!(
///     tapsim_lab::parse_date_time("1969-12-31T23:59:59Z").unwrap_err(),
///     "`1969-12-31T23:59:59Z` is before 1970-01-01T00:00:00Z, the earliest instant a scenario may use"
/// );
/// ```
///
/// # Errors
/// A text that is not such a date-time, or one out of those bounds, with a message
/// saying which.
pub fn parse_date_time(text: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    time::parse_instant(text)
}

/// Parses, checks and runs a scenario's text in one call.
///
/// ```
/// use tapsim::HashCost;
/// use tapsim_lab::{run_source, Format, LabError, RunOptions};
///
/// let err = run_source("[[steps]]\ndo = \"advance_clok\"\n", Format::Toml, &RunOptions::new()).unwrap_err();
/// assert!(matches!(err, LabError::Scenario(_)));
/// assert!(err.to_string().contains("did you mean `advance_clock`?"));
/// ```
///
/// # Errors
/// [`LabError::Scenario`] for a scenario that does not parse or check,
/// [`LabError::Setup`] for a setup the tenant refuses.
pub fn run_source(source: &str, format: Format, options: &RunOptions) -> Result<Report, LabError> {
    let scenario = Scenario::parse(source, format)?;
    Ok(scenario.run(options)?)
}
