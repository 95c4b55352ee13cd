//! Spec S11: authentication method modes and the built-in authentication strengths.

use tapsim::AuthenticationStrength as S;
use tapsim::*;

use crate::common::*;
use crate::signin::{guest_signs_in_with, issue_at_home, two_tenants_with};

#[test]
fn s11_built_in_strengths_are_graphs_documented_policies() {
    assert_eq!(
        S::ALL.map(|s| (s.id(), s.display_name())),
        [
            (
                "00000000-0000-0000-0000-000000000002",
                "Multifactor authentication"
            ),
            ("00000000-0000-0000-0000-000000000003", "Passwordless MFA"),
            (
                "00000000-0000-0000-0000-000000000004",
                "Phishing resistant MFA"
            ),
        ]
    );
    assert_eq!(S::Multifactor.allowed_combinations().len(), 19);
    assert_eq!(
        S::PasswordlessMfa.allowed_combinations(),
        [
            "windowsHelloForBusiness",
            "fido2",
            "x509CertificateMultiFactor",
            "deviceBasedPush"
        ]
    );
    assert_eq!(
        S::PhishingResistantMfa.allowed_combinations(),
        [
            "windowsHelloForBusiness",
            "fido2",
            "x509CertificateMultiFactor"
        ]
    );
    // Each stronger strength allows only combinations the weaker ones allow.
    for c in S::PhishingResistantMfa.allowed_combinations() {
        assert!(
            S::PasswordlessMfa.allows(c) && S::Multifactor.allows(c),
            "{c}"
        );
    }
    for s in S::ALL {
        assert_eq!(s.id().parse::<S>(), Ok(s));
        assert_eq!(s.display_name().parse::<S>(), Ok(s));
    }
    assert!("Strong".parse::<S>().is_err());
}

#[test]
fn s11_a_pass_satisfies_multifactor_and_nothing_stronger() {
    for (once, mode) in [
        (true, "temporaryAccessPassOneTime"),
        (false, "temporaryAccessPassMultiUse"),
    ] {
        let mut fx = Fx::enabled();
        let issued = fx.issue(fx.ada, PassOptions::new().usable_once(once));
        let out = fx.sign_in_pass(ADA, &issued.secret);
        let s = out.session().unwrap();
        assert_eq!(s.authentication_method_modes(), [mode]);
        assert_eq!(s.strengths(), [S::Multifactor], "{mode}");
    }
}

#[test]
fn s11_each_credential_records_its_combination_and_strengths() {
    let mut fx = Fx::enabled();
    let mut device = |kind| fx.tenant.provision_method(fx.ada, kind, "d").unwrap();
    let cases = [
        (
            MethodKind::Passkey,
            "fido2",
            vec![S::Multifactor, S::PasswordlessMfa, S::PhishingResistantMfa],
        ),
        (
            MethodKind::Fido2SecurityKey,
            "fido2",
            vec![S::Multifactor, S::PasswordlessMfa, S::PhishingResistantMfa],
        ),
        (
            MethodKind::WindowsHelloForBusiness,
            "windowsHelloForBusiness",
            vec![S::Multifactor, S::PasswordlessMfa, S::PhishingResistantMfa],
        ),
        (
            MethodKind::MicrosoftAuthenticatorPasswordless,
            "deviceBasedPush",
            vec![S::Multifactor, S::PasswordlessMfa],
        ),
        (
            MethodKind::MicrosoftAuthenticatorPush,
            "password,microsoftAuthenticatorPush",
            vec![S::Multifactor],
        ),
        (MethodKind::Sms, "password,sms", vec![S::Multifactor]),
        (MethodKind::Voice, "password,voice", vec![S::Multifactor]),
        (
            MethodKind::SoftwareOath,
            "password,softwareOath",
            vec![S::Multifactor],
        ),
    ];
    let devices: Vec<_> = cases.iter().map(|c| device(c.0)).collect();
    for ((kind, mode, strengths), d) in cases.iter().zip(&devices) {
        let credential = if kind.is_passwordless() {
            Credential::Device(d)
        } else {
            Credential::PasswordAndDevice(ADA_PASSWORD, d)
        };
        let out = fx.tenant.sign_in(ADA, credential);
        let s = out.session().unwrap();
        assert_eq!(s.authentication_method_modes(), [*mode], "{kind}");
        assert_eq!(&s.strengths(), strengths, "{kind}");
        let rec = fx.tenant.sign_in_log().last().unwrap();
        assert_eq!(rec.authentication_method_modes.as_deref(), Some(*mode));
        assert_eq!(&rec.strengths(), strengths, "the sign-in log shows it");
    }
    let pw = fx.tenant.sign_in(ADA, Credential::Password(ADA_PASSWORD));
    assert_eq!(
        pw.session().unwrap().authentication_method_modes(),
        ["password"]
    );
    assert!(pw.session().unwrap().strengths().is_empty());
    // A failure proves nothing.
    fx.tenant.sign_in(ADA, Credential::Password("wrong"));
    let rec = fx.tenant.sign_in_log().last().unwrap();
    assert_eq!(rec.authentication_method_modes, None);
    assert!(rec.strengths().is_empty());
}

#[test]
fn s11_a_federated_password_is_federated_single_factor() {
    let mut fx = Fx::enabled();
    let fed = fx
        .tenant
        .add_user(
            NewUser::member("fay@fabrikam.com", "Fay")
                .federated(true)
                .password("fay-pw"),
        )
        .unwrap();
    let push = fx
        .tenant
        .provision_method(fed, MethodKind::MicrosoftAuthenticatorPush, "phone")
        .unwrap();
    let alone = fx
        .tenant
        .sign_in("fay@fabrikam.com", Credential::Password("fay-pw"));
    assert_eq!(
        alone.session().unwrap().authentication_method_modes(),
        ["federatedSingleFactor"]
    );
    let both = fx.tenant.sign_in(
        "fay@fabrikam.com",
        Credential::PasswordAndDevice("fay-pw", &push),
    );
    let s = both.session().unwrap();
    assert_eq!(
        s.authentication_method_modes(),
        ["microsoftAuthenticatorPush,federatedSingleFactor"]
    );
    assert_eq!(s.strengths(), [S::Multifactor]);
}

#[test]
fn s11_each_proof_adds_its_own_combination_never_merged() {
    let mut fx = Fx::enabled();
    let multi = fx.issue(fx.ada, PassOptions::new().usable_once(false));
    let s = fx
        .tenant
        .sign_in(ADA, Credential::Password(ADA_PASSWORD))
        .session()
        .unwrap()
        .id();
    assert!(fx.tenant.session(s).unwrap().strengths().is_empty());
    // A failed step-up adds nothing.
    fx.tenant
        .step_up(s, Credential::Pass("wrong-value"))
        .unwrap();
    assert_eq!(
        fx.tenant.session(s).unwrap().authentication_method_modes(),
        ["password"]
    );
    fx.tenant
        .step_up(s, Credential::Pass(multi.secret.danger_reveal()))
        .unwrap();
    let key = fx
        .tenant
        .provision_method(fx.ada, MethodKind::Fido2SecurityKey, "key")
        .unwrap();
    fx.tenant.step_up(s, Credential::Device(&key)).unwrap();
    let session = fx.tenant.session(s).unwrap();
    assert_eq!(
        session.authentication_method_modes(),
        ["password", "temporaryAccessPassMultiUse", "fido2"]
    );
    // "password" and the pass side by side are no combination of their own.
    assert!(
        !session
            .authentication_method_modes()
            .iter()
            .any(|c| c.contains(','))
    );
    assert_eq!(session.strengths(), S::ALL);
}

#[test]
fn s11_a_guest_session_carries_the_home_modes_only_when_trusted() {
    for trusted in [false, true] {
        let (mut world, h, r, bob, _guest, _clock) = two_tenants_with(Profile::Current);
        world
            .tenant_mut(r)
            .unwrap()
            .set_inbound_mfa_trust(h, trusted);
        let issued = issue_at_home(&mut world, h, bob, PassOptions::default());
        let out = guest_signs_in_with(&mut world, r, &issued);
        let s = out.session().unwrap();
        if trusted {
            assert_eq!(
                s.authentication_method_modes(),
                ["temporaryAccessPassMultiUse"]
            );
            assert_eq!(s.strengths(), [S::Multifactor]);
        } else {
            assert!(s.strengths().is_empty());
        }
    }
}
