//! Errors: requests that cannot be carried out, each with a Graph code and HTTP status.
//!
//! A denied sign-in is not an error: see [`crate::SignInOutcome`].

use std::fmt;

use serde::Serialize;

use crate::ids::{GroupId, UserId};

/// A Microsoft Graph error code (spec G2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[non_exhaustive]
pub enum ErrorCode {
    /// `badRequest`, HTTP 400.
    #[serde(rename = "badRequest")]
    BadRequest,
    /// `accessDenied`, HTTP 403.
    #[serde(rename = "accessDenied")]
    AccessDenied,
    /// `itemNotFound`, HTTP 404.
    #[serde(rename = "itemNotFound")]
    ItemNotFound,
    /// `request_ResourceNotFound`, HTTP 404.
    #[serde(rename = "request_ResourceNotFound")]
    RequestResourceNotFound,
    /// `conflict`, HTTP 409.
    #[serde(rename = "conflict")]
    Conflict,
    /// `serviceNotAvailable`, HTTP 503: the simulator lacks a resource (memory for
    /// argon2) to carry the request out; trying again later may work.
    #[serde(rename = "serviceNotAvailable")]
    ServiceNotAvailable,
}

impl ErrorCode {
    /// Every code.
    pub const ALL: [ErrorCode; 6] = [
        ErrorCode::BadRequest,
        ErrorCode::AccessDenied,
        ErrorCode::ItemNotFound,
        ErrorCode::RequestResourceNotFound,
        ErrorCode::Conflict,
        ErrorCode::ServiceNotAvailable,
    ];

    /// The code as Graph spells it.
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadRequest => "badRequest",
            ErrorCode::AccessDenied => "accessDenied",
            ErrorCode::ItemNotFound => "itemNotFound",
            ErrorCode::RequestResourceNotFound => "request_ResourceNotFound",
            ErrorCode::Conflict => "conflict",
            ErrorCode::ServiceNotAvailable => "serviceNotAvailable",
        }
    }

    /// The HTTP status the code implies.
    pub const fn http_status(self) -> u16 {
        match self {
            ErrorCode::BadRequest => 400,
            ErrorCode::AccessDenied => 403,
            ErrorCode::ItemNotFound | ErrorCode::RequestResourceNotFound => 404,
            ErrorCode::Conflict => 409,
            ErrorCode::ServiceNotAvailable => 503,
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a principal was refused (`accessDenied`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Denial {
    /// The acting principal is not a user of this tenant (spec R1).
    UnknownPrincipal(UserId),
    /// The actor's account is disabled.
    AccountDisabled(UserId),
    /// Nobody may create a pass for themselves (spec T8).
    SelfIssue,
    /// None of the actor's roles allows the operation (spec P6, T9).
    MissingRole {
        /// What was attempted, such as `update the Temporary Access Pass policy`.
        operation: &'static str,
    },
    /// The target holds a role outside the Authentication Administrator's reach (spec R2).
    TargetTooPrivileged {
        /// The first role of the target that puts it out of reach.
        role: crate::Role,
    },
    /// The session is no longer valid (spec S5, R9).
    SessionNotValid,
    /// The session does not satisfy multifactor authentication (spec M2, R9).
    SessionNotMultifactor,
    /// The ten-minute window after a one-time pass sign-in has closed (spec S6, R9).
    RegistrationWindowClosed,
    /// The session's last multifactor proof is 10 minutes old or more (spec B2's S6):
    /// prove a strong credential again ([`crate::Tenant::step_up`]) or sign in again.
    MfaNotFresh,
    /// The target holds a role outside what the actor's role may reach (spec R15).
    OutOfReach {
        /// The actor's role that was considered.
        actor_role: crate::Role,
        /// The first role of the target outside its reach.
        target_role: crate::Role,
    },
    /// The session rests on a session of the guest's home tenant, which this tenant
    /// cannot see: act through [`crate::World`], which can (spec R11, R15).
    HomeSessionUnseen,
}

impl fmt::Display for Denial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Denial::UnknownPrincipal(id) => write!(f, "principal `{id}` is not a user of this tenant"),
            Denial::AccountDisabled(id) => write!(f, "the account of principal `{id}` is disabled"),
            Denial::SelfIssue => f.write_str("nobody can create a Temporary Access Pass for themselves"),
            Denial::MissingRole { operation } => {
                write!(f, "the acting principal holds no role allowed to {operation}")
            }
            Denial::TargetTooPrivileged { role } => write!(
                f,
                "an Authentication Administrator cannot act on a user holding the `{role}` role"
            ),
            Denial::SessionNotValid => f.write_str("the session is no longer valid: sign in again"),
            Denial::SessionNotMultifactor => {
                f.write_str("registering security info needs a session that satisfies multifactor authentication")
            }
            Denial::RegistrationWindowClosed => f.write_str(
                "passwordless methods must be registered within 10 minutes of signing in with a one-time Temporary Access Pass",
            ),
            Denial::MfaNotFresh => f.write_str(
                "registering security info needs multifactor authentication within the last 10 minutes: prove a strong credential again in this session, or sign in again",
            ),
            Denial::OutOfReach { actor_role, target_role } => write!(
                f,
                "a {actor_role} cannot act on a user holding the `{target_role}` role"
            ),
            Denial::HomeSessionUnseen => f.write_str(
                "this session rests on a session of the guest's home tenant, which this tenant cannot see: use the World that holds both",
            ),
        }
    }
}

/// Why a policy or a request body was rejected (`badRequest`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Invalid {
    /// A numeric field lies outside its allowed range (spec P2).
    OutOfRange {
        /// The Graph name of the field.
        field: &'static str,
        /// The rejected value.
        value: i64,
        /// The smallest allowed value.
        min: i64,
        /// The largest allowed value.
        max: i64,
    },
    /// `defaultLifetimeInMinutes` is outside `minimumLifetimeInMinutes..=maximumLifetimeInMinutes`,
    /// or the minimum is above the maximum (then the message names those two, spec P2).
    DefaultLifetimeOutsideBounds {
        /// `minimumLifetimeInMinutes`.
        min: u32,
        /// `defaultLifetimeInMinutes`.
        default: u32,
        /// `maximumLifetimeInMinutes`.
        max: u32,
    },
    /// A target names a group the tenant does not have (spec P5).
    UnknownTargetGroup(GroupId),
    /// A target's id is neither `all_users` nor a GUID, or its type is not `group` (spec R4).
    BadTarget(String),
    /// A JSON body that does not parse, has an unknown field, or a mistyped value (spec R3).
    Body(String),
    /// A target collection holds more targets than tapsim's bound
    /// ([`crate::MAX_POLICY_TARGETS`]) \[sim\].
    TooManyTargets {
        /// `includeTargets` or `excludeTargets`.
        field: &'static str,
        /// The bound.
        max: usize,
        /// The targets given.
        got: usize,
    },
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Invalid::OutOfRange {
                field,
                value,
                min,
                max,
            } => write!(
                f,
                "`{field}` must be between {min} and {max}, got `{value}`"
            ),
            Invalid::DefaultLifetimeOutsideBounds { min, max, .. } if min > max => write!(
                f,
                "`minimumLifetimeInMinutes` (`{min}`) must not be greater than `maximumLifetimeInMinutes` (`{max}`)"
            ),
            Invalid::DefaultLifetimeOutsideBounds { min, default, max } => write!(
                f,
                "`defaultLifetimeInMinutes` (`{default}`) must lie between `minimumLifetimeInMinutes` (`{min}`) and `maximumLifetimeInMinutes` (`{max}`)"
            ),
            Invalid::UnknownTargetGroup(g) => {
                write!(f, "target group `{g}` does not exist in this tenant")
            }
            Invalid::BadTarget(msg) | Invalid::Body(msg) => f.write_str(msg),
            Invalid::TooManyTargets { field, max, got } => {
                write!(f, "`{field}` holds at most {max} targets, got {got}")
            }
        }
    }
}

/// Everything that can make a tapsim operation fail.
///
/// Each variant maps to a stable Graph [`ErrorCode`] (and so an HTTP status), and
/// [`Error::to_graph_json`] renders Graph's error envelope. Messages the spec quotes
/// from the real service are reproduced letter for letter.
///
/// ```
/// use tapsim::{Error, ErrorCode};
/// let e = Error::LifetimeOutOfRange { min: 60, max: 480 };
/// assert_eq!(e.code(), ErrorCode::BadRequest);
/// assert_eq!(e.http_status(), 400);
/// assert_eq!(e.to_string(), "Invalid LifetimeInMinutes specified. The valid range between 60 and 480.");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The acting principal may not do this (`accessDenied`).
    #[error("access denied: {0}")]
    AccessDenied(Denial),
    /// The target user does not exist (`itemNotFound`, spec R1).
    #[error("user `{0}` not found")]
    UserNotFound(String),
    /// The group does not exist (`request_ResourceNotFound`).
    #[error("group `{0}` not found")]
    GroupNotFound(GroupId),
    /// The user has no pass with that id (`itemNotFound`).
    #[error("Temporary Access Pass `{0}` not found for this user")]
    PassNotFound(String),
    /// The user has no method with that id (`itemNotFound`).
    #[error("authentication method `{0}` not found for this user")]
    MethodNotFound(String),
    /// No such session (`itemNotFound`).
    #[error("session `{0}` not found")]
    SessionNotFound(String),
    /// The policy update or request body is invalid (`badRequest`, spec P2, R3, R4).
    #[error("{0}")]
    Invalid(Invalid),
    /// The requested lifetime is outside the policy's bounds (`badRequest`, spec T3).
    #[error("Invalid LifetimeInMinutes specified. The valid range between {min} and {max}.")]
    LifetimeOutOfRange {
        /// The policy's `minimumLifetimeInMinutes`.
        min: u32,
        /// The policy's `maximumLifetimeInMinutes`.
        max: u32,
    },
    /// The policy does not cover the user (`badRequest`, spec T6).
    #[error(
        "Converged UserCredentialPolicy does not allow creating or updating this authentication method. AuthMethodType [TemporaryAccessPass]."
    )]
    UserOutOfPolicyScope,
    /// External guests cannot be issued a pass (`badRequest`, spec T7).
    #[error("Temporary Access Pass cannot be added to an external guest user.")]
    ExternalGuest,
    /// The policy allows only one-time passes (`badRequest`, spec P8).
    #[error(
        "the Temporary Access Pass policy allows only one-time passes (`isUsableOnce` is true)"
    )]
    MultiUseNotAllowed,
    /// The user already has a pass and the delete-first switch is on (`conflict`, spec T5).
    #[error("the user already has a Temporary Access Pass: delete it before creating another")]
    PassAlreadyExists,
    /// The user principal name is already taken (`badRequest`).
    #[error("user principal name `{0}` is already in use")]
    DuplicateUpn(String),
    /// The user principal name is not of the form `name@domain` (`badRequest`).
    #[error("`{0}` is not a valid user principal name (expected `name@domain`)")]
    InvalidUpn(String),
    /// A password must have 1 to 256 characters (`badRequest`): Entra's upper limit;
    /// its complexity policy is not simulated \[sim\].
    #[error("a password must have between 1 and 256 characters, got {0}")]
    InvalidPassword(usize),
    /// A name is longer than its bound (`badRequest`): a user's or a group's
    /// `displayName` (Entra's 256 characters), a method's display name.
    #[error("`{field}` must have at most {max} characters, got {got}")]
    NameTooLong {
        /// What was named, such as `displayName`.
        field: &'static str,
        /// The bound, in characters.
        max: usize,
        /// The characters given.
        got: usize,
    },
    /// The group would contain itself, directly or through nested groups (`badRequest`).
    #[error("group `{group}` cannot contain group `{member}`: the group would contain itself")]
    GroupCycle {
        /// The group being added to.
        group: GroupId,
        /// The group that was to become a member.
        member: GroupId,
    },
    /// A step-up needs more than the password alone (`badRequest`, spec R18).
    #[error(
        "a password alone is no step-up: present a Temporary Access Pass, a registered method, or the password with a second factor"
    )]
    PasswordAloneIsNoStepUp,
    /// This method kind cannot be registered (`badRequest`, spec R9).
    #[error("`{0}` cannot be registered as security info")]
    NotRegistrable(&'static str),
    /// This method kind does not exist under the tenant's rules: the B2 switch that
    /// brings it is off (`badRequest`, spec B2) \[sim\].
    #[error(
        "`{kind}` cannot be registered under this tenant's rules: it needs the `{switch}` switch (B2, on in profile `Current`)"
    )]
    MethodKindSwitchedOff {
        /// The kind's display name.
        kind: &'static str,
        /// The switch that brings it.
        switch: &'static str,
    },
    /// The tenant configuration is inconsistent (`badRequest`).
    #[error("invalid tenant configuration: {0}")]
    InvalidConfig(String),
    /// argon2 could not hash a secret, because its memory could not be allocated
    /// (`serviceNotAvailable`, HTTP 503). Nothing changed.
    #[error("the secret could not be hashed: {0}")]
    HashFailed(String),
    /// A draft ([`crate::PassDraft`], [`crate::MethodDraft`], [`crate::UserDraft`],
    /// [`crate::PasswordDraft`]) committed into a tenant other than the one that drew it,
    /// such as the same tenant rebuilt by a reset or restored from a snapshot meanwhile
    /// (`conflict`, spec T4): its ids and secret came from the other tenant's RNG.
    /// Nothing changes; prepare it again.
    #[error(
        "the draft was drawn from another tenant (or from this one before it was reset or restored): prepare it again"
    )]
    StaleDraft,
}

impl Error {
    /// The Graph error code.
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::AccessDenied(_) => ErrorCode::AccessDenied,
            Error::UserNotFound(_)
            | Error::PassNotFound(_)
            | Error::MethodNotFound(_)
            | Error::SessionNotFound(_) => ErrorCode::ItemNotFound,
            Error::GroupNotFound(_) => ErrorCode::RequestResourceNotFound,
            Error::PassAlreadyExists | Error::StaleDraft => ErrorCode::Conflict,
            Error::Invalid(_)
            | Error::LifetimeOutOfRange { .. }
            | Error::UserOutOfPolicyScope
            | Error::ExternalGuest
            | Error::MultiUseNotAllowed
            | Error::DuplicateUpn(_)
            | Error::InvalidUpn(_)
            | Error::InvalidPassword(_)
            | Error::NameTooLong { .. }
            | Error::GroupCycle { .. }
            | Error::NotRegistrable(_)
            | Error::MethodKindSwitchedOff { .. }
            | Error::PasswordAloneIsNoStepUp
            | Error::InvalidConfig(_) => ErrorCode::BadRequest,
            Error::HashFailed(_) => ErrorCode::ServiceNotAvailable,
        }
    }

    /// The HTTP status Graph would answer with.
    pub fn http_status(&self) -> u16 {
        self.code().http_status()
    }

    /// Graph's error envelope for this error (spec G2).
    ///
    /// `date` is the time of the request, written as Graph writes it: whole seconds, no
    /// offset (spec R16); `request_id` and `client_request_id` are echoed.
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use tapsim::{Error, Guid};
    /// let at = Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap();
    /// let json = Error::ExternalGuest.to_graph_json(at, Guid::NIL, Guid::NIL);
    /// assert_eq!(json["error"]["code"], "badRequest");
    /// assert_eq!(json["error"]["innerError"]["date"], "2026-01-05T09:00:00");
    /// ```
    pub fn to_graph_json(
        &self,
        date: chrono::DateTime<chrono::Utc>,
        request_id: crate::Guid,
        client_request_id: crate::Guid,
    ) -> serde_json::Value {
        serde_json::json!({
            "error": {
                "code": self.code().as_str(),
                "message": self.to_string(),
                "innerError": {
                    "date": crate::graph::format_error_date(&date),
                    "request-id": request_id.to_string(),
                    "client-request-id": client_request_id.to_string(),
                }
            }
        })
    }
}

impl From<Invalid> for Error {
    fn from(v: Invalid) -> Self {
        Error::Invalid(v)
    }
}

impl From<Denial> for Error {
    fn from(d: Denial) -> Self {
        Error::AccessDenied(d)
    }
}

/// `Result` with tapsim's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
