//! A faithful, deterministic, in-memory simulator of Microsoft Entra ID's **Temporary
//! Access Pass** (TAP): the time-limited passcode an admin issues so a user can sign in
//! and register strong methods after losing them, or onboard passwordless.
//!
//! This crate is the pure domain: no I/O, no async, no files, no system clock or global
//! RNG inside. A [`Tenant`] owns a directory, the TAP policy ([`TapPolicy`]), passes,
//! methods, sessions and the sign-in and audit logs; every operation takes an acting
//! principal and follows the spec's rules, and every type Graph knows serializes to
//! Microsoft Graph v1.0's JSON. Time comes from an injected [`Clock`] and randomness from
//! the tenant's seed, so the same seed and the same calls give the same passes and logs.
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use tapsim::*;
//!
//! let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap());
//! let mut tenant = Tenant::builder()
//!     .seed(7)
//!     .clock(clock.clone())
//!     .hash_cost(HashCost::Minimum)
//!     .build()?;
//! let admin = tenant.add_user(NewUser::member("gina@contoso.com", "Gina").role(Role::GlobalAdministrator))?;
//! let user = tenant.add_user(NewUser::member("sam@contoso.com", "Sam"))?;
//! tenant.update_policy(admin, &PolicyPatch::new().state(PolicyState::Enabled))?;
//!
//! // The secret is shown once; a wrong one is denied with a reason, not an error.
//! let issued = tenant.create_pass(admin, user, PassOptions::new())?;
//! let wrong = tenant.sign_in("sam@contoso.com", Credential::Pass("not-the-pass"));
//! assert!(!wrong.is_allowed());
//! let right = tenant.sign_in("sam@contoso.com", Credential::Pass(issued.secret.danger_reveal()));
//! assert!(right.session().unwrap().satisfies_mfa());
//!
//! // Errors carry Graph's code and status: nobody issues their own pass (T8).
//! let err = tenant.create_pass(admin, admin, PassOptions::new()).unwrap_err();
//! assert_eq!(err.code(), ErrorCode::AccessDenied);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The satellites build on this crate: `tapsim-lab` (training labs: scenario files, a
//! runner, reports) and `tapsim-cli` (the `tapsim` command). The rules it simulates, each
//! mapped to its tests, are in the repository's `docs/rules.md`.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(missing_debug_implementations)]

mod audit;
pub mod authz;
mod clock;
mod crypto;
mod directory;
mod error;
pub mod graph;
mod ids;
mod lifecycle;
mod methods;
mod pass;
mod policy;
mod profile;
mod role;
mod signin;
pub mod strength;
mod tenant;
#[cfg(feature = "proptest")]
pub mod testing;
mod world;

pub use audit::{
    AUTHENTICATION_METHODS_SERVICE, Activity, AuditInitiator, AuditRecord, CORE_DIRECTORY_SERVICE,
    KeyValue, ModifiedProperty, TargetResource, UserIdentity,
};
pub use clock::{Clock, ManualClock, SystemClock};
pub use crypto::{HashCost, PhcHash, ProofRequest, Proofs, Secret};
pub use directory::{
    Directory, Group, HomeAccount, MAX_GROUP_DISPLAY_NAME_CHARS, MAX_USER_DISPLAY_NAME_CHARS,
    Member, NewUser, User, UserType, validate_upn,
};
pub use error::{Denial, Error, ErrorCode, Invalid, Result};
pub use ids::{GroupId, Guid, MethodId, ParseGuidError, PassId, SessionId, TenantId, UserId};
pub use lifecycle::PassDraft;
pub use methods::{AUTHENTICATOR_PASSKEY_AAGUID, AUTHENTICATOR_PASSKEY_MODEL};
pub use methods::{Device, MethodKind, MethodRecord, MethodView, REGISTRATION_WINDOW_MINUTES};
pub use methods::{MAX_METHOD_NAME_CHARS, MethodDraft};
pub use pass::{
    IssuedPass, Lifetime, PASS_ODATA_TYPE, PassOptions, PassRecord, TemporaryAccessPass,
    UsabilityReason, usability,
};
pub use policy::MAX_POLICY_TARGETS;
pub use policy::{
    ExcludeTarget, IncludeTarget, LENGTH_RANGE, LIFETIME_RANGE, POLICY_ID, POLICY_ODATA_TYPE,
    PolicyPatch, PolicyState, Scope, TapPolicy, TargetId, TargetType,
};
pub use profile::{Profile, Switches};
pub use role::{ParseRoleError, Role, RoleSet};
pub use signin::{
    APP_DISPLAY_NAME, AuthenticationDetail, BLOCKED_BY_USER_CREDENTIAL_POLICY, Check, Credential,
    Decision, DenialReason, LockoutSettings, MAX_LOGGED_NAME_CHARS, OfferedCredential, Session,
    SessionControls, SessionEndReason, SessionSource, SessionStatus, SignInOutcome, SignInRecord,
    SignInStatus,
};
pub use strength::AuthenticationStrength;
pub use tenant::{
    DEFAULT_LOG_CAPACITY, LogDrops, MAX_LOG_CAPACITY, Tenant, TenantBuilder, TenantConfig,
    TenantState,
};
pub use tenant::{PasswordDraft, UserDraft};
pub use world::World;

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
