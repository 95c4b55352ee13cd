#![doc = include_str!("../README.md")]
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
pub mod lab;
mod lifecycle;
mod methods;
mod pass;
mod policy;
mod profile;
mod role;
mod signin;
pub mod story;
mod tenant;
#[cfg(feature = "proptest")]
pub mod testing;
mod world;

pub use audit::{
    AUTHENTICATION_METHODS_SERVICE, Activity, AuditInitiator, AuditRecord, KeyValue,
    ModifiedProperty, TargetResource, UserIdentity,
};
pub use clock::{Clock, ManualClock, SystemClock};
pub use crypto::{HashCost, PhcHash, Secret};
pub use directory::{Directory, Group, HomeAccount, Member, NewUser, User, UserType};
pub use error::{Denial, Error, ErrorCode, Invalid, Result};
pub use ids::{GroupId, Guid, MethodId, ParseGuidError, PassId, SessionId, TenantId, UserId};
pub use methods::{Device, MethodKind, MethodRecord, MethodView, REGISTRATION_WINDOW_MINUTES};
pub use pass::{
    IssuedPass, Lifetime, PASS_ODATA_TYPE, PassOptions, PassRecord, TemporaryAccessPass,
    UsabilityReason, usability,
};
pub use policy::{
    ExcludeTarget, IncludeTarget, LENGTH_RANGE, LIFETIME_RANGE, POLICY_ID, POLICY_ODATA_TYPE,
    PolicyPatch, PolicyState, Scope, TapPolicy, TargetId, TargetType,
};
pub use profile::{Profile, Switches};
pub use role::{ParseRoleError, Role, RoleSet};
pub use signin::{
    APP_DISPLAY_NAME, AuthenticationDetail, BLOCKED_BY_USER_CREDENTIAL_POLICY, Check, Credential,
    Decision, DenialReason, LockoutSettings, Session, SessionEndReason, SessionSource,
    SessionStatus, SignInOutcome, SignInRecord, SignInStatus,
};
pub use tenant::{Tenant, TenantBuilder, TenantConfig, TenantState};
pub use world::World;
