//! Secrets (spec T4, M3): shown once, never in Debug, Display, serde output or logs.

use tapsim::*;

use crate::common::*;

#[test]
fn t4_no_output_ever_contains_a_secret() {
    let mut fx = Fx::enabled();
    fx.patch(PolicyPatch::new().default_length(16));
    let once = fx.issue(fx.ada, PassOptions::new().usable_once(true));
    let s = fx.sign_in_pass(ADA, &once.secret).session().unwrap().id();
    let key = fx
        .tenant
        .register_method(s, MethodKind::Fido2SecurityKey, "key")
        .unwrap();
    fx.tenant.sign_in(ADA, Credential::Device(&key));
    fx.tenant
        .sign_in(ADA, Credential::Pass(once.secret.danger_reveal()));
    fx.tenant.sign_in(ADA, Credential::Password(ADA_PASSWORD));
    let multi = fx.issue(fx.bob, PassOptions::default());
    let secrets = [
        once.secret.danger_reveal().to_owned(),
        multi.secret.danger_reveal().to_owned(),
        key.danger_secret().danger_reveal().to_owned(),
        ADA_PASSWORD.to_owned(),
    ];
    let outputs = [
        fx.state_json(),
        format!("{:?}", fx.tenant),
        format!("{:?}", fx.tenant.snapshot()),
        format!("{once:?}"),
        format!("{multi:?}"),
        format!("{key:?}"),
        format!("{:?}", Credential::Pass(once.secret.danger_reveal())),
        format!("{:?}", Credential::PasswordAndDevice(ADA_PASSWORD, &key)),
        format!("{}", once.secret),
        serde_json::to_string(fx.tenant.audit_log()).unwrap(),
        serde_json::to_string(fx.tenant.sign_in_log()).unwrap(),
        format!("{:?}", fx.tenant.audit_log()),
        format!("{:?}", fx.tenant.sign_in_log()),
        serde_json::to_string(&fx.tenant.list_passes(fx.auth_admin, fx.ada).unwrap()).unwrap(),
        serde_json::to_string(&fx.tenant.list_methods(fx.auth_admin, fx.ada).unwrap()).unwrap(),
        format!(
            "{:?}",
            NewUser::member("x@contoso.com", "x").password(ADA_PASSWORD)
        ),
        serde_json::to_string(&once.pass).unwrap(),
    ];
    for secret in &secrets {
        for out in &outputs {
            assert!(!out.contains(secret.as_str()), "secret leaked into: {out}");
        }
    }
    // The create response is the one place the pass is shown, by a `danger_` name.
    assert_eq!(
        once.danger_graph_json()["temporaryAccessPass"],
        once.secret.danger_reveal()
    );
}

#[test]
fn t4_same_secret_twice_gives_different_hashes() {
    let mut fx = Fx::enabled();
    fx.tenant.set_password(fx.bob, ADA_PASSWORD).unwrap();
    let a = fx.tenant.directory().user(fx.ada).unwrap().clone();
    let b = fx.tenant.directory().user(fx.bob).unwrap().clone();
    assert!(a.has_password() && b.has_password());
    let json_a = serde_json::to_value(&a).unwrap();
    let json_b = serde_json::to_value(&b).unwrap();
    assert_ne!(json_a["password"], json_b["password"], "salts differ");
    assert!(
        json_a["password"]
            .as_str()
            .unwrap()
            .starts_with("$argon2id$")
    );
}
