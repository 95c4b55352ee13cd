//! Scenario files in TOML: parsing and checking never panic, hang or blow up, whatever
//! the bytes; a problem is a located diagnostic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tapsim_lab::{Format, Scenario};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = Scenario::parse(text, Format::Toml);
    }
});
