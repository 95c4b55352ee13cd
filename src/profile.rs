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
/// // B2: the March 2026 text is `Current`; the text before it is `Docs2025`.
/// assert!(Switches::from(Profile::Current).session_outlives_pass);
/// assert!(!Switches::from(Profile::Docs2025).mfa_freshness);
/// assert_eq!("docs2025".parse::<Profile>(), Ok(Profile::Docs2025));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Profile {
    /// Microsoft's documentation as of March 2026 (the default): the rules as amended
    /// by spec B2.
    #[default]
    Current,
    /// Microsoft's documentation from 2023 to 2025: the rules as written, without B2's
    /// amendments.
    Docs2025,
    /// The rules of TAP's 2021 public preview (`Docs2025` plus the old T5, T6 and
    /// maximum lifetime).
    Preview2021,
}

impl Profile {
    /// Every profile.
    pub const ALL: [Profile; 3] = [Profile::Current, Profile::Docs2025, Profile::Preview2021];

    /// The profile's name as written in scenario files and on the command line.
    pub const fn name(self) -> &'static str {
        match self {
            Profile::Current => "Current",
            Profile::Docs2025 => "Docs2025",
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
            .ok_or_else(|| {
                format!("unknown profile `{s}` (expected `Current`, `Docs2025` or `Preview2021`)")
            })
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
    /// B2 (S5 amended): a session signed in with a pass outlives the pass. Its tokens are
    /// capped at the pass's end as it stood at sign-in, but neither the pass's end nor its
    /// deletion or replacement ends the session; session controls (R17) and revocation
    /// (R15) do. Off: S5, R7 and T12 as written (the session ends with the pass).
    /// Absent from older snapshots and settings bodies: off.
    #[serde(default)]
    pub session_outlives_pass: bool,
    /// B2 (S6 amended): registering any method needs a multifactor proof less than 10
    /// minutes old ([`crate::Session::last_mfa`]), in every kind of session; a step-up
    /// (R18) refreshes it. Off: R9's window as written (passwordless kinds, one-time pass
    /// sessions, 10 minutes from the sign-in). Absent from older snapshots: off.
    #[serde(default)]
    pub mfa_freshness: bool,
    /// B2 (M5 amended): Microsoft Authenticator registers a passkey as well as
    /// passwordless phone sign-in. Absent from older snapshots: off.
    #[serde(default)]
    pub authenticator_passkey: bool,
}

impl Switches {
    /// The `Current` profile's switches: `Docs2025` with every B2 point on.
    pub const fn current() -> Switches {
        Switches::docs_2025()
            .session_outlives_pass(true)
            .mfa_freshness(true)
            .authenticator_passkey(true)
    }

    /// The `Docs2025` profile's switches: the rules as written, no B2 point.
    pub const fn docs_2025() -> Switches {
        Switches {
            delete_before_create: false,
            create_for_out_of_scope_users: false,
            default_maximum_lifetime_in_minutes: 480,
            session_outlives_pass: false,
            mfa_freshness: false,
            authenticator_passkey: false,
        }
    }

    /// The `Preview2021` profile's switches: `Docs2025` with the old T5, T6 and maximum
    /// lifetime.
    pub const fn preview_2021() -> Switches {
        Switches::docs_2025()
            .delete_before_create(true)
            .create_for_out_of_scope_users(true)
            .default_maximum_lifetime_in_minutes(1440)
    }

    /// Sets the B2 switch that lets sessions outlive their pass (S5 amended).
    pub const fn session_outlives_pass(mut self, on: bool) -> Switches {
        self.session_outlives_pass = on;
        self
    }

    /// Sets the B2 switch that makes the ten minutes MFA freshness (S6 amended).
    pub const fn mfa_freshness(mut self, on: bool) -> Switches {
        self.mfa_freshness = on;
        self
    }

    /// Sets the B2 switch that lets Microsoft Authenticator register a passkey (M5
    /// amended).
    pub const fn authenticator_passkey(mut self, on: bool) -> Switches {
        self.authenticator_passkey = on;
        self
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
            Profile::Docs2025 => Switches::docs_2025(),
            Profile::Preview2021 => Switches::preview_2021(),
        }
    }
}
