//! The audit log (spec A1, A2, R10): one `directoryAudit` record per state change.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::Guid;

/// The service that logs authentication-method events.
pub const AUTHENTICATION_METHODS_SERVICE: &str = "Authentication Methods";

/// The service that logs directory events such as revoking a user's sessions (spec R10,
/// R15).
pub const CORE_DIRECTORY_SERVICE: &str = "Core Directory";

/// What happened, with Entra's activity and result-reason strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Activity {
    /// An admin created a pass (spec A1).
    AdminRegisteredPass,
    /// An admin deleted a pass (spec A2).
    AdminDeletedPass,
    /// A user deleted their own pass (spec R10).
    UserDeletedPass,
    /// A user registered a method of their own (spec A2).
    UserRegisteredMethod,
    /// A user deleted a method of their own (spec A2).
    UserDeletedMethod,
    /// An admin deleted a user's method (spec M4, A2).
    AdminDeletedMethod,
    /// The policy was updated (spec A2).
    PolicyUpdate,
    /// The policy was reset to its defaults (spec A2).
    PolicyReset,
    /// A user's sign-in sessions were revoked (Graph's `revokeSignInSessions`, spec R15).
    RevokeSignInSessions,
}

impl Activity {
    /// `activityDisplayName`.
    pub const fn display_name(self) -> &'static str {
        match self {
            Activity::AdminRegisteredPass => "Admin registered security info",
            Activity::AdminDeletedPass | Activity::AdminDeletedMethod => {
                "Admin deleted security info"
            }
            Activity::UserDeletedPass | Activity::UserDeletedMethod => "User deleted security info",
            Activity::UserRegisteredMethod => "User registered security info",
            Activity::PolicyUpdate => "Authentication Methods Policy Update",
            Activity::PolicyReset => "Authentication Methods Policy Reset",
            Activity::RevokeSignInSessions => "Invalidate all refresh tokens for user",
        }
    }

    /// `loggedByService`: `Core Directory` for revocation, else `Authentication Methods`
    /// (spec R10, R15).
    pub const fn logged_by_service(self) -> &'static str {
        match self {
            Activity::RevokeSignInSessions => CORE_DIRECTORY_SERVICE,
            _ => AUTHENTICATION_METHODS_SERVICE,
        }
    }

    /// `category`: `Policy` for the policy, else `UserManagement` (spec R10).
    pub const fn category(self) -> &'static str {
        match self {
            Activity::PolicyUpdate | Activity::PolicyReset => "Policy",
            _ => "UserManagement",
        }
    }

    /// `resultReason`: spec A1, A2's strings where they give one, else tapsim's \[sim\].
    pub const fn result_reason(self) -> &'static str {
        match self {
            Activity::AdminRegisteredPass => {
                "Admin registered temporary access pass method for user"
            }
            Activity::AdminDeletedPass => "Admin deleted temporary access pass method for user",
            Activity::UserDeletedPass => "User deleted temporary access pass method",
            Activity::UserRegisteredMethod => "User registered authentication method",
            Activity::UserDeletedMethod => "User deleted authentication method",
            Activity::AdminDeletedMethod => "Admin deleted authentication method for user",
            Activity::PolicyUpdate => "Temporary Access Pass policy updated",
            Activity::PolicyReset => "Temporary Access Pass policy reset to its defaults",
            Activity::RevokeSignInSessions => {
                "All refresh tokens and sign-in sessions of the user invalidated"
            }
        }
    }

    /// Every activity.
    pub const ALL: [Activity; 9] = [
        Activity::AdminRegisteredPass,
        Activity::AdminDeletedPass,
        Activity::UserDeletedPass,
        Activity::UserRegisteredMethod,
        Activity::UserDeletedMethod,
        Activity::AdminDeletedMethod,
        Activity::PolicyUpdate,
        Activity::PolicyReset,
        Activity::RevokeSignInSessions,
    ];

    /// `operationType`.
    pub const fn operation_type(self) -> &'static str {
        match self {
            Activity::AdminRegisteredPass | Activity::UserRegisteredMethod => "Add",
            Activity::AdminDeletedPass
            | Activity::UserDeletedPass
            | Activity::UserDeletedMethod
            | Activity::AdminDeletedMethod => "Delete",
            Activity::PolicyUpdate | Activity::PolicyReset | Activity::RevokeSignInSessions => {
                "Update"
            }
        }
    }
}

/// `initiatedBy.user` (`userIdentity`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserIdentity {
    /// The user's object id.
    pub id: Guid,
    /// The user's display name.
    pub display_name: String,
    /// The user's principal name.
    pub user_principal_name: String,
}

/// `initiatedBy` (`auditActivityInitiator`): always a user in tapsim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditInitiator {
    /// The acting user.
    pub user: UserIdentity,
}

/// `modifiedProperty`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ModifiedProperty {
    /// The property's name.
    pub display_name: String,
    /// Its value before (JSON text; `null` for a new object).
    pub old_value: Option<String>,
    /// Its value after (`null` for a deleted object).
    pub new_value: Option<String>,
}

/// `targetResource`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TargetResource {
    /// The target's id.
    pub id: String,
    /// The target's display name.
    pub display_name: String,
    /// `User` or `Policy`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The target user's principal name (users only).
    pub user_principal_name: Option<String>,
    /// What changed.
    pub modified_properties: Vec<ModifiedProperty>,
}

/// One `directoryAudit` record.
///
/// Serializes with Graph v1.0's `directoryAudit` property names. Records never hold a
/// secret: a pass's record carries its id, start, end and usage only (spec A1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditRecord {
    /// `id`.
    pub id: Guid,
    /// `activityDateTime`.
    #[serde(with = "crate::graph::datetime")]
    pub activity_date_time: DateTime<Utc>,
    /// `activityDisplayName`.
    pub activity_display_name: String,
    /// `category`.
    pub category: String,
    /// `correlationId`.
    pub correlation_id: Guid,
    /// `initiatedBy`.
    pub initiated_by: AuditInitiator,
    /// `loggedByService`: `Authentication Methods`, or `Core Directory` for revocation.
    pub logged_by_service: String,
    /// `operationType`.
    pub operation_type: String,
    /// `result`: `success` (only successful calls are audited, spec R10).
    pub result: String,
    /// `resultReason`.
    pub result_reason: String,
    /// `targetResources`.
    pub target_resources: Vec<TargetResource>,
    /// `additionalDetails`.
    pub additional_details: Vec<KeyValue>,
}

impl AuditRecord {
    /// The typed activity, read back from `activityDisplayName` and `resultReason`.
    pub fn activity(&self) -> Option<Activity> {
        Activity::ALL.into_iter().find(|a| {
            a.display_name() == self.activity_display_name
                && a.result_reason() == self.result_reason
        })
    }

    /// The target user's id, if the record is about a user.
    pub fn target_user(&self) -> Option<&str> {
        self.target_resources
            .iter()
            .find(|t| t.kind == "User")
            .map(|t| t.id.as_str())
    }

    /// A modified property's new value, by name.
    pub fn new_value(&self, property: &str) -> Option<&str> {
        self.target_resources
            .iter()
            .flat_map(|t| &t.modified_properties)
            .find(|p| p.display_name == property)
            .and_then(|p| p.new_value.as_deref())
    }
}

/// `keyValue`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyValue {
    /// `key`.
    pub key: String,
    /// `value`.
    pub value: String,
}
