//! Helpers every lab test file shares: minimum hash cost, running a TOML scenario, and
//! asserting that a run went as the lab expects.

#![allow(dead_code)] // each test file uses the helpers it needs

use tapsim::HashCost;
use tapsim_lab::{Report, RunOptions, Scenario, TextOptions};

/// Minimum hash cost: the labs' logic, without production argon2's milliseconds.
pub fn fast() -> RunOptions {
    RunOptions::new().hash_cost(HashCost::Minimum)
}

/// Runs a TOML scenario at minimum cost; it must parse and set up.
pub fn run_toml(src: &str) -> Report {
    run_toml_with(&fast(), src)
}

/// Runs a TOML scenario with `options`; it must parse and set up.
pub fn run_toml_with(options: &RunOptions, src: &str) -> Report {
    Scenario::from_toml(src)
        .unwrap_or_else(|e| panic!("scenario should parse:\n{e}"))
        .run(options)
        .unwrap()
}

/// Every step went as the scenario expects (else the failures, as text).
pub fn assert_green(report: &Report) {
    assert!(
        report.passed(),
        "{}",
        report.to_text(TextOptions::new().quiet(true))
    );
}
