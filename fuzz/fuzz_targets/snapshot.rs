//! Snapshot restore: any bytes either fail to parse, are refused by validation, or give
//! a tenant that signs in without panicking. A stored hash can never make argon2 ask for
//! more than tapsim's bounds.
#![no_main]

use std::sync::Arc;

use chrono::TimeZone;
use libfuzzer_sys::fuzz_target;
use tapsim::{Credential, ManualClock, Tenant, TenantState};

fuzz_target!(|data: &[u8]| {
    let Ok(state) = serde_json::from_slice::<TenantState>(data) else {
        return;
    };
    let start = chrono::Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap();
    let Ok(mut tenant) = Tenant::from_snapshot(state, Arc::new(ManualClock::new(start))) else {
        return;
    };
    let upns: Vec<String> = tenant
        .directory()
        .users()
        .take(4)
        .map(|u| u.user_principal_name().to_owned())
        .collect();
    for upn in upns {
        let _ = tenant.sign_in(&upn, Credential::Password("password"));
        let _ = tenant.sign_in(&upn, Credential::Pass("ABCDEFGH"));
    }
    let _ = serde_json::to_string(&tenant.snapshot());
});
