//! The built-in labs: the scenario files of `docs/labs/`, embedded.

use super::error::ScenarioError;
use super::scenario::Scenario;

/// One scenario file of a built-in lab.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BuiltinScenario {
    /// Its path in the repository, such as `docs/labs/account-recovery.toml`.
    pub file: &'static str,
    /// Its TOML text.
    pub source: &'static str,
}

impl BuiltinScenario {
    /// The parsed scenario, with its file as origin.
    ///
    /// # Errors
    /// Never for the files shipped (a test parses them all); [`ScenarioError`] if one
    /// were broken.
    pub fn scenario(&self) -> Result<Scenario, ScenarioError> {
        Scenario::from_toml(self.source)
            .map(|s| s.with_origin(self.file))
            .map_err(|e| e.with_origin(self.file))
    }
}

/// A built-in lab: one or more scenarios that teach one thing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BuiltinLab {
    /// Its id, as `tapsim labs` lists it and `tapsim run --lab` takes it.
    pub id: &'static str,
    /// A short title.
    pub title: &'static str,
    /// One line on what it teaches.
    pub summary: &'static str,
    /// Its scenarios, run in order.
    pub scenarios: &'static [BuiltinScenario],
}

/// The lab `tapsim` runs with no arguments: account recovery, the seed story.
pub const DEFAULT_LAB: &str = "account-recovery";

macro_rules! lab_file {
    ($name:literal) => {
        BuiltinScenario {
            file: concat!("docs/labs/", $name),
            source: include_str!(concat!("../../../docs/labs/", $name)),
        }
    };
}

static LABS: [BuiltinLab; 7] = [
    BuiltinLab {
        id: "account-recovery",
        title: "Account recovery with a Temporary Access Pass",
        summary: "A user who lost their phone gets back in with a pass and registers again: \
                  today's rules first, then the older delete-first rule, then the 2021 preview's",
        scenarios: &[
            lab_file!("account-recovery.toml"),
            lab_file!("account-recovery-delete-first.toml"),
            lab_file!("account-recovery-preview2021.toml"),
        ],
    },
    BuiltinLab {
        id: "passwordless-onboarding",
        title: "Passwordless onboarding of a new hire",
        summary: "A new hire with no password signs in with a one-time pass and registers a passkey within ten minutes: \
                  the 2026 rules (MFA freshness, a second pass for a slow enrolment), then the rules as written before",
        scenarios: &[
            lab_file!("passwordless-onboarding.toml"),
            lab_file!("passwordless-onboarding-docs2025.toml"),
        ],
    },
    BuiltinLab {
        id: "one-time-vs-multi-use",
        title: "One-time versus multi-use passes",
        summary: "What one-time use, expiry and a one-time policy do to passes that already exist",
        scenarios: &[lab_file!("one-time-vs-multi-use.toml")],
    },
    BuiltinLab {
        id: "policy-targeting",
        title: "Policy targeting with include and exclude groups",
        summary: "Who the policy covers: nested groups, exclusion wins, and changes reach existing passes",
        scenarios: &[lab_file!("policy-targeting.toml")],
    },
    BuiltinLab {
        id: "who-may-issue",
        title: "Who may issue a pass to whom",
        summary: "The admin roles, their reach, reading versus creating, and why nobody issues their own pass",
        scenarios: &[lab_file!("who-may-issue.toml")],
    },
    BuiltinLab {
        id: "lockout",
        title: "Lockout after failed attempts",
        summary: "Failed sign-ins lock the account, each lockout longer, and locked attempts consume nothing",
        scenarios: &[lab_file!("lockout.toml")],
    },
    BuiltinLab {
        id: "guests-across-tenants",
        title: "A guest signs in with a pass from home",
        summary: "An external guest signs in to a resource tenant with a pass from the home tenant: \
                  MFA only with cross-tenant trust, one-time use and logs on both sides, and whose revocation counts",
        scenarios: &[lab_file!("guests-across-tenants.toml")],
    },
];

/// Every built-in lab, the default first.
///
/// ```
/// use tapsim_lab::{builtin_labs, DEFAULT_LAB};
/// assert_eq!(builtin_labs()[0].id, DEFAULT_LAB);
/// for lab in builtin_labs() {
///     for file in lab.scenarios {
///         assert!(file.scenario().is_ok(), "{}", file.file);
///     }
/// }
/// ```
pub fn builtin_labs() -> &'static [BuiltinLab] {
    &LABS
}

/// A built-in lab by id.
pub fn builtin_lab(id: &str) -> Option<&'static BuiltinLab> {
    LABS.iter().find(|l| l.id.eq_ignore_ascii_case(id))
}

/// The id of the built-in lab closest to `id`, when `id` looks like a typo of one.
///
/// ```
/// assert_eq!(tapsim_lab::closest_builtin_lab("lockot"), Some("lockout"));
/// assert_eq!(tapsim_lab::closest_builtin_lab("zzz"), None);
/// ```
pub fn closest_builtin_lab(id: &str) -> Option<&'static str> {
    crate::suggest::closest(id, LABS.iter().map(|l| l.id))
}
