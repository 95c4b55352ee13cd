//! The runner on every scenario that parses (TOML): running never panics; a step that
//! does not turn out as expected is a failed step in the report.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tapsim::HashCost;
use tapsim_lab::{Format, RunOptions, Scenario};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(scenario) = Scenario::parse(text, Format::Toml) else {
        return;
    };
    if let Ok(report) = scenario.run(&RunOptions::new().hash_cost(HashCost::Minimum)) {
        let _ = report.passed();
    }
});
