//! Behaviour profiles (spec B1): the rules Microsoft changed over time, as named switches.

use serde::{Deserialize, Serialize};

/// A bundle of [`Switches`] matching TAP's documented behaviour at one time.
///
/// ```
/// use tapsim::{Profile, Switches};
/// let story = Switches::from(Profile::Current).delete_before_create(true);
/// assert!(story.delete_before_create);
/// assert!(!story.create_for_out_of_scope_users);
/// assert_eq!(Switches::from(Profile::Preview2021).default_maximum_lifetime_in_minutes, 1440);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Profile {
    /// Today's documented rules (the default).
    #[default]
    Current,
    /// The rules of TAP's 2021 public preview.
    Preview2021,
}

impl Profile {
    /// Every profile.
    pub const ALL: [Profile; 2] = [Profile::Current, Profile::Preview2021];

    /// The profile's name as written in scenario files and on the command line.
    pub const fn name(self) -> &'static str {
        match self {
            Profile::Current => "Current",
            Profile::Preview2021 => "Preview2021",
        }
    }
}

impl std::str::FromStr for Profile {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Profile::ALL
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| format!("unknown profile `{s}` (expected `Current` or `Preview2021`)"))
    }
}

/// Each rule that differs between profiles, as a switch that can be set alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[non_exhaustive]
pub struct Switches {
    /// T5 \[old\]: creating a pass for a user who has one is a `conflict`; the admin must
    /// delete the old pass first. Off: creation replaces the old pass.
    pub delete_before_create: bool,
    /// T6 \[old\]: a pass can be created for a user the policy does not cover; only sign-in
    /// is blocked (usability `DisabledByPolicy`). Off: creation is rejected.
    pub create_for_out_of_scope_users: bool,
    /// P1/B1: the policy's default `maximumLifetimeInMinutes` (480 now, 1440 in 2021).
    pub default_maximum_lifetime_in_minutes: u32,
}

impl Switches {
    /// The `Current` profile's switches.
    pub const fn current() -> Switches {
        Switches {
            delete_before_create: false,
            create_for_out_of_scope_users: false,
            default_maximum_lifetime_in_minutes: 480,
        }
    }

    /// The `Preview2021` profile's switches.
    pub const fn preview_2021() -> Switches {
        Switches {
            delete_before_create: true,
            create_for_out_of_scope_users: true,
            default_maximum_lifetime_in_minutes: 1440,
        }
    }

    /// Sets the T5 delete-first switch.
    pub const fn delete_before_create(mut self, on: bool) -> Switches {
        self.delete_before_create = on;
        self
    }

    /// Sets the T6 out-of-scope creation switch.
    pub const fn create_for_out_of_scope_users(mut self, on: bool) -> Switches {
        self.create_for_out_of_scope_users = on;
        self
    }

    /// Sets the default maximum lifetime (must lie in 60..=43200 so that the default
    /// policy is valid; checked when the tenant is built).
    pub const fn default_maximum_lifetime_in_minutes(mut self, minutes: u32) -> Switches {
        self.default_maximum_lifetime_in_minutes = minutes;
        self
    }
}

impl Default for Switches {
    fn default() -> Switches {
        Switches::current()
    }
}

impl From<Profile> for Switches {
    fn from(p: Profile) -> Switches {
        match p {
            Profile::Current => Switches::current(),
            Profile::Preview2021 => Switches::preview_2021(),
        }
    }
}
