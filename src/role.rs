//! Microsoft Entra built-in directory roles that matter to Temporary Access Pass.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A built-in Microsoft Entra directory role.
///
/// Serialized (and parsed) by its Entra display name, such as
/// `"Authentication Administrator"`.
///
/// ```
/// use tapsim::Role;
/// let r: Role = "Privileged Authentication Administrator".parse().unwrap();
/// assert_eq!(r, Role::PrivilegedAuthenticationAdministrator);
/// assert_eq!(r.to_string(), "Privileged Authentication Administrator");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Role {
    /// Full access to everything.
    #[serde(rename = "Global Administrator")]
    GlobalAdministrator,
    /// Reads everything an administrator can read, changes nothing.
    #[serde(rename = "Global Reader")]
    GlobalReader,
    /// Manages authentication methods of any user (spec T9).
    #[serde(rename = "Privileged Authentication Administrator")]
    PrivilegedAuthenticationAdministrator,
    /// Manages authentication methods of non-admins and some admins (spec T9).
    #[serde(rename = "Authentication Administrator")]
    AuthenticationAdministrator,
    /// Manages the authentication methods policy (spec P6).
    #[serde(rename = "Authentication Policy Administrator")]
    AuthenticationPolicyAdministrator,
    /// Reads basic directory information.
    #[serde(rename = "Directory Readers")]
    DirectoryReaders,
    /// Invites guest users.
    #[serde(rename = "Guest Inviter")]
    GuestInviter,
    /// Reads Message Center posts.
    #[serde(rename = "Message Center Reader")]
    MessageCenterReader,
    /// Resets passwords of non-admins.
    #[serde(rename = "Password Administrator")]
    PasswordAdministrator,
    /// Reads usage reports.
    #[serde(rename = "Reports Reader")]
    ReportsReader,
    /// Reads usage and insights.
    #[serde(rename = "User Experience Success Manager")]
    UserExperienceSuccessManager,
    /// Reads usage summary reports.
    #[serde(rename = "Usage Summary Reports Reader")]
    UsageSummaryReportsReader,
    /// Resets passwords and manages support requests.
    #[serde(rename = "Helpdesk Administrator")]
    HelpdeskAdministrator,
    /// Manages users and groups.
    #[serde(rename = "User Administrator")]
    UserAdministrator,
    /// Manages groups.
    #[serde(rename = "Groups Administrator")]
    GroupsAdministrator,
    /// Manages role assignments.
    #[serde(rename = "Privileged Role Administrator")]
    PrivilegedRoleAdministrator,
}

impl Role {
    /// Every role tapsim knows, in declaration order.
    pub const ALL: [Role; 16] = [
        Role::GlobalAdministrator,
        Role::GlobalReader,
        Role::PrivilegedAuthenticationAdministrator,
        Role::AuthenticationAdministrator,
        Role::AuthenticationPolicyAdministrator,
        Role::DirectoryReaders,
        Role::GuestInviter,
        Role::MessageCenterReader,
        Role::PasswordAdministrator,
        Role::ReportsReader,
        Role::UserExperienceSuccessManager,
        Role::UsageSummaryReportsReader,
        Role::HelpdeskAdministrator,
        Role::UserAdministrator,
        Role::GroupsAdministrator,
        Role::PrivilegedRoleAdministrator,
    ];

    /// The roles whose holders an Authentication Administrator may still act on
    /// (spec T9, R2).
    pub const AUTHENTICATION_ADMINISTRATOR_REACH: [Role; 8] = [
        Role::AuthenticationAdministrator,
        Role::DirectoryReaders,
        Role::GuestInviter,
        Role::MessageCenterReader,
        Role::PasswordAdministrator,
        Role::ReportsReader,
        Role::UserExperienceSuccessManager,
        Role::UsageSummaryReportsReader,
    ];

    /// The role's Entra display name.
    pub const fn display_name(self) -> &'static str {
        match self {
            Role::GlobalAdministrator => "Global Administrator",
            Role::GlobalReader => "Global Reader",
            Role::PrivilegedAuthenticationAdministrator => {
                "Privileged Authentication Administrator"
            }
            Role::AuthenticationAdministrator => "Authentication Administrator",
            Role::AuthenticationPolicyAdministrator => "Authentication Policy Administrator",
            Role::DirectoryReaders => "Directory Readers",
            Role::GuestInviter => "Guest Inviter",
            Role::MessageCenterReader => "Message Center Reader",
            Role::PasswordAdministrator => "Password Administrator",
            Role::ReportsReader => "Reports Reader",
            Role::UserExperienceSuccessManager => "User Experience Success Manager",
            Role::UsageSummaryReportsReader => "Usage Summary Reports Reader",
            Role::HelpdeskAdministrator => "Helpdesk Administrator",
            Role::UserAdministrator => "User Administrator",
            Role::GroupsAdministrator => "Groups Administrator",
            Role::PrivilegedRoleAdministrator => "Privileged Role Administrator",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.display_name())
    }
}

/// The error returned when a string names no known role.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown role `{0}` (expected an Entra display name such as `Authentication Administrator`)"
)]
pub struct ParseRoleError(pub String);

impl FromStr for Role {
    type Err = ParseRoleError;

    /// Parses a display name, ignoring case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.display_name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| ParseRoleError(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_parse_and_serialize_alike() {
        for r in Role::ALL {
            assert_eq!(r.display_name().parse::<Role>().unwrap(), r);
            let json = serde_json::to_string(&r).unwrap();
            assert_eq!(json, format!("\"{}\"", r.display_name()));
        }
        assert!("Chief Wizard".parse::<Role>().is_err());
    }
}

/// A set of roles, one bit each. Serializes as a list of display names, in declaration
/// order.
///
/// ```
/// use tapsim::{Role, RoleSet};
/// let set: RoleSet = [Role::GlobalReader, Role::ReportsReader].into_iter().collect();
/// assert!(set.contains(Role::GlobalReader));
/// assert_eq!(set.iter().collect::<Vec<_>>(), [Role::GlobalReader, Role::ReportsReader]);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct RoleSet(u32);

impl RoleSet {
    /// The empty set.
    pub const EMPTY: RoleSet = RoleSet(0);

    fn bit(role: Role) -> u32 {
        let i = Role::ALL.iter().position(|r| *r == role).unwrap_or(31);
        1 << i
    }

    /// Whether `role` is in the set.
    pub fn contains(self, role: Role) -> bool {
        self.0 & RoleSet::bit(role) != 0
    }

    /// Adds `role`; returns whether it was new.
    pub fn insert(&mut self, role: Role) -> bool {
        let new = !self.contains(role);
        self.0 |= RoleSet::bit(role);
        new
    }

    /// Removes `role`; returns whether it was there.
    pub fn remove(&mut self, role: Role) -> bool {
        let had = self.contains(role);
        self.0 &= !RoleSet::bit(role);
        had
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// How many roles the set holds.
    pub fn len(self) -> usize {
        self.0.count_ones() as usize
    }

    /// The roles, in declaration order.
    pub fn iter(self) -> impl Iterator<Item = Role> {
        Role::ALL.into_iter().filter(move |r| self.contains(*r))
    }
}

impl FromIterator<Role> for RoleSet {
    fn from_iter<I: IntoIterator<Item = Role>>(iter: I) -> RoleSet {
        let mut s = RoleSet::EMPTY;
        for r in iter {
            s.insert(r);
        }
        s
    }
}

impl fmt::Debug for RoleSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl Serialize for RoleSet {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for RoleSet {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Vec::<Role>::deserialize(d)?.into_iter().collect())
    }
}
