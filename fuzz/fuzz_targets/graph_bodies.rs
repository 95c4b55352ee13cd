//! Graph request bodies: a policy PATCH and a pass POST body parse to a value or a
//! typed `badRequest`, never a panic; a parsed patch merges and validates.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tapsim::{PassOptions, PolicyPatch, Switches, TapPolicy};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(patch) = PolicyPatch::from_graph_json(text) {
        let merged = TapPolicy::defaults(&Switches::current()).merged(&patch);
        let _ = serde_json::to_string(&merged);
    }
    let _ = PassOptions::from_graph_json(text);
});
