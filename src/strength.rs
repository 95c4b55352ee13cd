//! Authentication strengths (spec S11): the method modes a session used, in Graph's
//! `authenticationMethodModes` names, and the three built-in strengths.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::methods::MethodKind;

/// A built-in Conditional Access authentication strength (Graph's built-in
/// `authenticationStrengthPolicy` objects, spec S11).
///
/// ```
/// use tapsim::AuthenticationStrength as S;
/// assert_eq!(S::Multifactor.id(), "00000000-0000-0000-0000-000000000002");
/// assert!(S::Multifactor.allows("temporaryAccessPassOneTime"));
/// assert!(!S::PasswordlessMfa.allows("temporaryAccessPassMultiUse"));
/// assert!(S::PhishingResistantMfa.allows("fido2"));
/// assert_eq!("Phishing-resistant MFA".parse::<S>(), Ok(S::PhishingResistantMfa));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum AuthenticationStrength {
    /// "Multifactor authentication" (`00000000-0000-0000-0000-000000000002`).
    Multifactor,
    /// "Passwordless MFA" (`00000000-0000-0000-0000-000000000003`).
    PasswordlessMfa,
    /// "Phishing resistant MFA" (`00000000-0000-0000-0000-000000000004`).
    PhishingResistantMfa,
}

impl AuthenticationStrength {
    /// The three built-in strengths.
    pub const ALL: [AuthenticationStrength; 3] = [
        AuthenticationStrength::Multifactor,
        AuthenticationStrength::PasswordlessMfa,
        AuthenticationStrength::PhishingResistantMfa,
    ];

    /// The built-in policy's `id`.
    pub const fn id(self) -> &'static str {
        match self {
            AuthenticationStrength::Multifactor => "00000000-0000-0000-0000-000000000002",
            AuthenticationStrength::PasswordlessMfa => "00000000-0000-0000-0000-000000000003",
            AuthenticationStrength::PhishingResistantMfa => "00000000-0000-0000-0000-000000000004",
        }
    }

    /// The built-in policy's `displayName`, as Graph writes it.
    pub const fn display_name(self) -> &'static str {
        match self {
            AuthenticationStrength::Multifactor => "Multifactor authentication",
            AuthenticationStrength::PasswordlessMfa => "Passwordless MFA",
            AuthenticationStrength::PhishingResistantMfa => "Phishing resistant MFA",
        }
    }

    /// The built-in policy's `allowedCombinations`, as Graph v1.0 documents them.
    pub const fn allowed_combinations(self) -> &'static [&'static str] {
        match self {
            AuthenticationStrength::Multifactor => &[
                "windowsHelloForBusiness",
                "fido2",
                "x509CertificateMultiFactor",
                "deviceBasedPush",
                "temporaryAccessPassOneTime",
                "temporaryAccessPassMultiUse",
                "password,microsoftAuthenticatorPush",
                "password,softwareOath",
                "password,hardwareOath",
                "password,x509CertificateSingleFactor",
                "password,x509CertificateMultiFactor",
                "password,sms",
                "password,voice",
                "federatedMultiFactor",
                "microsoftAuthenticatorPush,federatedSingleFactor",
                "softwareOath,federatedSingleFactor",
                "hardwareOath,federatedSingleFactor",
                "sms,federatedSingleFactor",
                "voice,federatedSingleFactor",
            ],
            AuthenticationStrength::PasswordlessMfa => &[
                "windowsHelloForBusiness",
                "fido2",
                "x509CertificateMultiFactor",
                "deviceBasedPush",
            ],
            AuthenticationStrength::PhishingResistantMfa => &[
                "windowsHelloForBusiness",
                "fido2",
                "x509CertificateMultiFactor",
            ],
        }
    }

    /// Whether one combination (such as `password,sms`) is allowed.
    pub fn allows(self, combination: &str) -> bool {
        self.allowed_combinations().contains(&combination)
    }
}

impl fmt::Display for AuthenticationStrength {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.display_name())
    }
}

impl std::str::FromStr for AuthenticationStrength {
    type Err = String;
    /// Parses the display name (hyphen or not), the id, or the serde name, ignoring case.
    fn from_str(s: &str) -> Result<Self, String> {
        let key = s.trim().replace('-', " ");
        AuthenticationStrength::ALL
            .into_iter()
            .find(|a| {
                a.display_name().eq_ignore_ascii_case(&key)
                    || a.id().eq_ignore_ascii_case(s.trim())
                    || serde_json::to_value(a)
                        .ok()
                        .and_then(|v| v.as_str().map(|n| n.eq_ignore_ascii_case(s.trim())))
                        .unwrap_or(false)
            })
            .ok_or_else(|| {
                format!(
                    "unknown authentication strength `{s}` (expected `Multifactor authentication`, `Passwordless MFA` or `Phishing resistant MFA`)"
                )
            })
    }
}

/// The `authenticationMethodModes` member a method proves, and its flag value (Graph
/// writes a combination's members in flag order).
fn mode(kind: MethodKind, one_time_pass: bool, federated: bool) -> (u32, &'static str) {
    match kind {
        MethodKind::Password if federated => (16_384, "federatedSingleFactor"),
        MethodKind::Password => (1, "password"),
        MethodKind::Voice => (2, "voice"),
        MethodKind::SoftwareOath => (8, "softwareOath"),
        MethodKind::Sms => (16, "sms"),
        MethodKind::Fido2SecurityKey | MethodKind::Passkey | MethodKind::AuthenticatorPasskey => {
            (32, "fido2")
        }
        MethodKind::WindowsHelloForBusiness => (64, "windowsHelloForBusiness"),
        MethodKind::MicrosoftAuthenticatorPush => (128, "microsoftAuthenticatorPush"),
        MethodKind::MicrosoftAuthenticatorPasswordless => (256, "deviceBasedPush"),
        MethodKind::TemporaryAccessPass if one_time_pass => (512, "temporaryAccessPassOneTime"),
        MethodKind::TemporaryAccessPass => (1024, "temporaryAccessPassMultiUse"),
    }
}

/// The combination of `authenticationMethodModes` one proof used (spec S11): its
/// members in Graph's flag order, joined with `,`. A federated user's password is
/// `federatedSingleFactor`; a pass is `temporaryAccessPassOneTime` or
/// `temporaryAccessPassMultiUse`.
///
/// ```
/// use tapsim::{MethodKind, strength::combination};
/// let push = [MethodKind::Password, MethodKind::MicrosoftAuthenticatorPush];
/// assert_eq!(combination(&push, false, false), "password,microsoftAuthenticatorPush");
/// assert_eq!(combination(&push, false, true), "microsoftAuthenticatorPush,federatedSingleFactor");
/// assert_eq!(combination(&[MethodKind::TemporaryAccessPass], true, false), "temporaryAccessPassOneTime");
/// ```
pub fn combination(methods: &[MethodKind], one_time_pass: bool, federated: bool) -> String {
    let mut modes: Vec<(u32, &str)> = methods
        .iter()
        .map(|k| mode(*k, one_time_pass, federated))
        .collect();
    modes.sort_unstable();
    modes.dedup();
    modes.iter().map(|m| m.1).collect::<Vec<_>>().join(",")
}
