//! A downstream property test written with `tapsim::testing` (feature `proptest`).
//!
//! ```sh
//! cargo run --example downstream_proptest --features proptest
//! TAPSIM_PROPTEST_CASES=2000 cargo run --release --example downstream_proptest --features proptest
//! ```
//!
//! The code under test here is a small help-desk tool: it renders who holds a pass, and
//! it counts the passes issued from the audit log. In your own crate the same property
//! sits in a `proptest!` block under `#[test]` (see the `tapsim::testing` docs); this
//! example drives proptest's runner by hand so that it runs as a program.
//!
//! The properties, for any tenant and any sequence of operations:
//! 1. the report never contains a secret (pass values, passwords, device secrets);
//! 2. it lists exactly the users who hold a pass, each with the reason Entra would show;
//! 3. the audit log counts exactly the passes the operations issued;
//! 4. every successful audited call left exactly one audit record, and every rejected
//!    call left none.

use proptest::prelude::*;
use proptest::test_runner::{TestError, TestRunner};
use tapsim::testing::{self, Applied, Op, Sim};
use tapsim::{Activity, UserId};

/// The help desk's report: one line per user who holds a pass.
fn report(sim: &Sim) -> Vec<(UserId, String)> {
    sim.users()
        .iter()
        .filter_map(|&u| {
            let pass = sim.tenant.pass_view(u)?;
            let upn = sim.tenant.directory().user(u)?.user_principal_name();
            Some((
                u,
                format!(
                    "{upn}: {} (until {})",
                    pass.method_usability_reason,
                    pass.end_date_time()
                ),
            ))
        })
        .collect()
}

/// The help desk's count of passes issued, from the audit log.
fn passes_issued(sim: &Sim) -> usize {
    sim.tenant
        .audit_log()
        .iter()
        .filter(|r| r.activity() == Some(Activity::AdminRegisteredPass))
        .count()
}

fn property(sim: &mut Sim, ops: &[Op]) -> Result<(), TestCaseError> {
    let mut issued = 0;
    for op in ops {
        let audit_before = sim.tenant.audit_log().len();
        let applied = sim.apply(op);
        let audit_after = sim.tenant.audit_log().len();
        match &applied {
            Applied::Done { audited: true } => {
                // A policy update that changes nothing leaves no record (spec R10).
                let no_op_policy = matches!(op, Op::UpdatePolicy { .. } | Op::ResetPolicy { .. });
                if no_op_policy {
                    prop_assert!(audit_after - audit_before <= 1);
                } else {
                    prop_assert_eq!(audit_after, audit_before + 1, "{:?}", op);
                }
                if matches!(op, Op::CreatePass { .. }) {
                    issued += 1;
                }
            }
            _ => prop_assert_eq!(audit_after, audit_before, "{:?} -> {:?}", op, applied),
        }

        let lines = report(sim);
        for (_, line) in &lines {
            for secret in sim.danger_secrets() {
                prop_assert!(!line.contains(secret), "the report leaked a secret");
            }
        }
        let holders: Vec<UserId> = sim
            .users()
            .iter()
            .copied()
            .filter(|&u| sim.tenant.pass_record(u).is_some())
            .collect();
        let listed: Vec<UserId> = lines.iter().map(|(u, _)| *u).collect();
        prop_assert_eq!(listed, holders);
        prop_assert_eq!(passes_issued(sim), issued);
    }
    Ok(())
}

fn main() {
    // A program has no source file to keep failures next to; a test would.
    let config = proptest::test_runner::Config {
        failure_persistence: None,
        ..testing::config()
    };
    println!(
        "{} cases (set {} to change)",
        config.cases,
        testing::CASES_ENV
    );
    let mut runner = TestRunner::new(config);
    let result = runner.run(
        &(testing::tenant_spec(), testing::ops(0..60)),
        |(spec, ops)| {
            let mut sim = spec.build();
            property(&mut sim, &ops)
        },
    );
    match result {
        Ok(()) => println!("ok: the help-desk report holds for every case"),
        Err(TestError::Fail(why, (spec, ops))) => {
            eprintln!("minimal failing case: {why}\n{spec:#?}\n{ops:#?}");
            std::process::exit(1);
        }
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    }
}
