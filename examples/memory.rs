//! Memory per user (issue 6, figure 5): a tenant of 1,000,000 users, each holding one
//! Temporary Access Pass, measured with a counting global allocator.
//!
//! ```sh
//! cargo run --release --example memory            # 1,000,000 users
//! cargo run --release --example memory -- 10000   # another size
//! ```
//!
//! It prints the live heap bytes per user after each phase (users, passes, group
//! membership) and how much of it the audit log holds, since every pass creation
//! appends one audit record (spec A1). See `docs/performance.md`.

use std::alloc::System;
use std::time::Instant;

use chrono::{TimeZone, Utc};
use stats_alloc::{INSTRUMENTED_SYSTEM, StatsAlloc};
use tapsim::{
    AuditRecord, HashCost, ManualClock, NewUser, PassOptions, PassRecord, PolicyPatch, PolicyState,
    Role, SignInRecord, Tenant, TenantState, User,
};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Live heap bytes now. (`stats_alloc` already adds a reallocation's growth to
/// `bytes_allocated` and its shrinking to `bytes_deallocated`.)
fn live() -> i64 {
    let s = GLOBAL.stats();
    s.bytes_allocated as i64 - s.bytes_deallocated as i64
}

/// Resident set size from `/proc/self/statm`, where there is one.
fn rss() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

/// The heap bytes an audit record owns, from the capacities of its strings and vectors.
fn heap_bytes(r: &AuditRecord) -> usize {
    let s = |x: &String| x.capacity();
    let o = |x: &Option<String>| x.as_ref().map_or(0, String::capacity);
    let u = &r.initiated_by.user;
    s(&r.activity_display_name)
        + s(&r.category)
        + s(&r.logged_by_service)
        + s(&r.operation_type)
        + s(&r.result)
        + s(&r.result_reason)
        + s(&u.display_name)
        + s(&u.user_principal_name)
        + r.target_resources.capacity() * size_of::<tapsim::TargetResource>()
        + r.target_resources
            .iter()
            .map(|t| {
                s(&t.id)
                    + s(&t.display_name)
                    + s(&t.kind)
                    + o(&t.user_principal_name)
                    + t.modified_properties.capacity() * size_of::<tapsim::ModifiedProperty>()
                    + t.modified_properties
                        .iter()
                        .map(|p| s(&p.display_name) + o(&p.old_value) + o(&p.new_value))
                        .sum::<usize>()
            })
            .sum::<usize>()
        + r.additional_details.capacity() * size_of::<tapsim::KeyValue>()
        + r.additional_details
            .iter()
            .map(|kv| s(&kv.key) + s(&kv.value))
            .sum::<usize>()
}

fn per_user(bytes: i64, n: usize) -> f64 {
    bytes as f64 / n as f64
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = std::env::args()
        .nth(1)
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(1_000_000);
    println!("tenant of {n} users, one pass each, minimum hash cost");
    println!(
        "type sizes: User {} B, PassRecord {} B, AuditRecord {} B, SignInRecord {} B, TenantState {} B",
        size_of::<User>(),
        size_of::<PassRecord>(),
        size_of::<AuditRecord>(),
        size_of::<SignInRecord>(),
        size_of::<TenantState>(),
    );

    let rss0 = rss();
    let base = live();
    let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap());
    let mut t = Tenant::builder()
        .seed(1)
        .clock(clock)
        .hash_cost(HashCost::Minimum)
        .build()?;
    let admin =
        t.add_user(NewUser::member("ga@contoso.com", "GA").role(Role::GlobalAdministrator))?;
    t.update_policy(admin, &PolicyPatch::new().state(PolicyState::Enabled))?;
    let empty = live();

    let started = Instant::now();
    let mut users = Vec::with_capacity(n);
    for i in 0..n {
        users.push(t.add_user(NewUser::member(
            format!("user{i}@contoso.com"),
            format!("User {i}"),
        ))?);
    }
    let users_done = live();
    let users_time = started.elapsed();
    let rss_users = rss();

    let started = Instant::now();
    for &u in &users {
        t.create_pass(admin, u, PassOptions::default())?;
    }
    let passes_done = live();
    let passes_time = started.elapsed();

    // The audit log's share, from its records' public fields: every string's and
    // vector's capacity, and the log's own buffer (a vector grown by doubling).
    let log = t.audit_log();
    let audit_bytes = (log.len().next_power_of_two() * size_of::<AuditRecord>()
        + log.iter().map(heap_bytes).sum::<usize>()) as i64;

    // One group membership each (the shape of the scope benchmark).
    let group = t.add_group("everyone");
    let before_groups = live();
    for &u in &users {
        t.add_member(group, u)?;
    }
    let groups_done = live();
    let rss1 = rss();
    // `users` is the example's own list of ids, not the tenant's.
    let ids = (users.capacity() * size_of::<tapsim::UserId>()) as i64;

    let directory = users_done - empty - ids;
    let passes = passes_done - users_done;
    let total = passes_done - empty - ids;
    println!();
    println!("{:<52} {:>10} {:>12}", "phase", "B/user", "total MiB");
    let row = |label: &str, bytes: i64| {
        println!(
            "{label:<52} {:>10.1} {:>12.1}",
            per_user(bytes, n),
            bytes as f64 / (1 << 20) as f64
        );
    };
    row("users (directory: record, UPN index)", directory);
    row("+ one pass each (pass record + its audit record)", passes);
    row(
        "  of which the audit log (one record per pass)",
        audit_bytes,
    );
    row("  of which the pass records", passes - audit_bytes);
    row("= user with one pass, audit log included", total);
    row(
        "= user with one pass, audit log excluded",
        total - audit_bytes,
    );
    row("+ one group membership each", groups_done - before_groups);
    println!();
    println!(
        "empty tenant: {} B; building: users {users_time:.2?}, passes {passes_time:.2?}",
        empty - base
    );
    if let (Some(a), Some(u), Some(b)) = (rss0, rss_users, rss1) {
        let mib = |x: u64| x as f64 / (1 << 20) as f64;
        println!(
            "resident set: users {:.1} MiB ({:.1} B/user), then passes and groups {:.1} MiB \
             (freed argon2 blocks and log growth the allocator keeps count here)",
            mib(u - a),
            (u - a) as f64 / n as f64,
            mib(b - u)
        );
    }
    println!("target: <= 512 B/user with one pass");
    Ok(())
}
