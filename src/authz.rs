//! Who may do what to whom (spec P6, T8, T9, R1, R2). Pure functions over users.

use crate::directory::User;
use crate::error::Denial;
use crate::role::Role;

/// An operation on a user's Temporary Access Pass or authentication methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PassOperation {
    /// Create a pass (never for oneself, spec T8).
    Create,
    /// List or get a pass or the user's methods.
    Read,
    /// Delete a pass, or remove a method (spec M4).
    Delete,
}

impl PassOperation {
    fn verb(self) -> &'static str {
        match self {
            PassOperation::Create => "create a Temporary Access Pass for this user",
            PassOperation::Read => "read this user's authentication methods",
            PassOperation::Delete => "delete this user's authentication methods",
        }
    }
}

/// Roles that may read the policy (spec P6).
pub const POLICY_READERS: [Role; 3] = [
    Role::GlobalReader,
    Role::AuthenticationPolicyAdministrator,
    Role::GlobalAdministrator,
];

/// Roles that may update or reset the policy (spec P6).
pub const POLICY_WRITERS: [Role; 2] = [
    Role::AuthenticationPolicyAdministrator,
    Role::GlobalAdministrator,
];

/// Whether `actor` may read the policy.
pub fn check_policy_read(actor: &User) -> Result<(), Denial> {
    if POLICY_READERS.iter().any(|r| actor.has_role(*r)) {
        Ok(())
    } else {
        Err(Denial::MissingRole {
            operation: "read the Temporary Access Pass policy",
        })
    }
}

/// Whether `actor` may update or reset the policy.
pub fn check_policy_write(actor: &User) -> Result<(), Denial> {
    if POLICY_WRITERS.iter().any(|r| actor.has_role(*r)) {
        Ok(())
    } else {
        Err(Denial::MissingRole {
            operation: "change the Temporary Access Pass policy",
        })
    }
}

/// The first role of `target` outside the Authentication Administrator's reach (spec R2).
pub fn outside_authentication_administrator_reach(target: &User) -> Option<Role> {
    target
        .roles()
        .iter()
        .find(|r| !Role::AUTHENTICATION_ADMINISTRATOR_REACH.contains(r))
}

/// Whether `actor` may perform `op` on `target`'s pass or methods (spec T8, T9, R1, R2).
///
/// Roles add up; everyone may read and delete their own pass and methods, nobody may
/// create a pass for themselves.
pub fn check_pass_access(actor: &User, target: &User, op: PassOperation) -> Result<(), Denial> {
    if actor.id() == target.id() {
        return match op {
            PassOperation::Create => Err(Denial::SelfIssue),
            PassOperation::Read | PassOperation::Delete => Ok(()),
        };
    }
    if actor.has_role(Role::GlobalAdministrator)
        || actor.has_role(Role::PrivilegedAuthenticationAdministrator)
    {
        return Ok(());
    }
    let too_privileged = if actor.has_role(Role::AuthenticationAdministrator) {
        match outside_authentication_administrator_reach(target) {
            None => return Ok(()),
            Some(role) => Some(role),
        }
    } else {
        None
    };
    if op == PassOperation::Read && actor.has_role(Role::GlobalReader) {
        return Ok(());
    }
    Err(match too_privileged {
        Some(role) => Denial::TargetTooPrivileged { role },
        None => Denial::MissingRole {
            operation: op.verb(),
        },
    })
}

/// Roles whose holders a Helpdesk Administrator may reset and revoke (spec R15, from
/// Microsoft's table of who can reset passwords and invalidate refresh tokens).
pub const HELPDESK_ADMINISTRATOR_REACH: [Role; 8] = [
    Role::DirectoryReaders,
    Role::GuestInviter,
    Role::HelpdeskAdministrator,
    Role::MessageCenterReader,
    Role::PasswordAdministrator,
    Role::ReportsReader,
    Role::UsageSummaryReportsReader,
    Role::UserExperienceSuccessManager,
];

/// Roles whose holders a Password Administrator may reset and revoke (spec R15).
pub const PASSWORD_ADMINISTRATOR_REACH: [Role; 3] = [
    Role::DirectoryReaders,
    Role::GuestInviter,
    Role::PasswordAdministrator,
];

/// Roles whose holders a User Administrator may reset and revoke (spec R15).
pub const USER_ADMINISTRATOR_REACH: [Role; 10] = [
    Role::DirectoryReaders,
    Role::GroupsAdministrator,
    Role::GuestInviter,
    Role::HelpdeskAdministrator,
    Role::MessageCenterReader,
    Role::PasswordAdministrator,
    Role::ReportsReader,
    Role::UserAdministrator,
    Role::UsageSummaryReportsReader,
    Role::UserExperienceSuccessManager,
];

/// Whether `actor` may revoke `target`'s sign-in sessions (spec R15, R1): anyone on
/// themselves; Global and Privileged Authentication Administrators on anyone; the
/// Authentication, Helpdesk, Password and User Administrators on users whose every role
/// lies in their column of Microsoft's table (a user with no role is in every column).
/// Roles add up.
pub fn check_revoke_sessions(actor: &User, target: &User) -> Result<(), Denial> {
    if actor.id() == target.id()
        || actor.has_role(Role::GlobalAdministrator)
        || actor.has_role(Role::PrivilegedAuthenticationAdministrator)
    {
        return Ok(());
    }
    let columns: [(Role, &[Role]); 4] = [
        (
            Role::AuthenticationAdministrator,
            &Role::AUTHENTICATION_ADMINISTRATOR_REACH,
        ),
        (Role::HelpdeskAdministrator, &HELPDESK_ADMINISTRATOR_REACH),
        (Role::PasswordAdministrator, &PASSWORD_ADMINISTRATOR_REACH),
        (Role::UserAdministrator, &USER_ADMINISTRATOR_REACH),
    ];
    let mut out_of_reach = None;
    for (role, reach) in columns {
        if !actor.has_role(role) {
            continue;
        }
        match target.roles().iter().find(|r| !reach.contains(r)) {
            None => return Ok(()),
            Some(r) => out_of_reach = out_of_reach.or(Some((role, r))),
        }
    }
    Err(match out_of_reach {
        Some((actor_role, target_role)) => Denial::OutOfReach {
            actor_role,
            target_role,
        },
        None => Denial::MissingRole {
            operation: "revoke this user's sign-in sessions",
        },
    })
}
