//! Shared fixtures: a tenant at minimum hash cost on a manual clock, with the cast of
//! admins every area needs.

#![allow(dead_code)]

use chrono::{DateTime, Duration, TimeZone, Utc};
use tapsim::*;

/// 2026-01-05T09:00:00Z.
pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap()
}

/// A tenant and its cast.
#[derive(Debug)]
pub struct Fx {
    pub tenant: Tenant,
    pub clock: ManualClock,
    /// Global Administrator.
    pub global_admin: UserId,
    /// Privileged Authentication Administrator.
    pub priv_auth_admin: UserId,
    /// Authentication Administrator (help desk).
    pub auth_admin: UserId,
    /// Authentication Policy Administrator.
    pub policy_admin: UserId,
    /// Global Reader.
    pub global_reader: UserId,
    /// A member with no role and a password (`ada@contoso.com`, password `ada-password`).
    pub ada: UserId,
    /// Another member with no role (`bob@contoso.com`).
    pub bob: UserId,
}

pub const ADA: &str = "ada@contoso.com";
pub const ADA_PASSWORD: &str = "ada-password";

impl Fx {
    /// `Current` profile, policy still disabled (spec P1's [sim] default).
    pub fn new() -> Fx {
        Fx::with(Switches::current())
    }

    /// A tenant with these switches, policy disabled.
    pub fn with(switches: Switches) -> Fx {
        Fx::build(Tenant::builder().switches(switches))
    }

    /// A tenant from a builder (seed 1 and the fixture's clock and hash cost are set).
    pub fn build(builder: TenantBuilder) -> Fx {
        let clock = ManualClock::new(t0());
        let mut tenant = builder
            .seed(1)
            .clock(clock.clone())
            .hash_cost(HashCost::Minimum)
            .build()
            .unwrap();
        let mut add = |upn: &str, role: Option<Role>| {
            let mut u = NewUser::member(upn, upn.split('@').next().unwrap());
            if let Some(r) = role {
                u = u.role(r);
            }
            tenant.add_user(u).unwrap()
        };
        let global_admin = add("ga@contoso.com", Some(Role::GlobalAdministrator));
        let priv_auth_admin = add(
            "paa@contoso.com",
            Some(Role::PrivilegedAuthenticationAdministrator),
        );
        let auth_admin = add("aa@contoso.com", Some(Role::AuthenticationAdministrator));
        let policy_admin = add(
            "apa@contoso.com",
            Some(Role::AuthenticationPolicyAdministrator),
        );
        let global_reader = add("gr@contoso.com", Some(Role::GlobalReader));
        let bob = add("bob@contoso.com", None);
        let ada = tenant
            .add_user(NewUser::member(ADA, "Ada").password(ADA_PASSWORD))
            .unwrap();
        Fx {
            tenant,
            clock,
            global_admin,
            priv_auth_admin,
            auth_admin,
            policy_admin,
            global_reader,
            ada,
            bob,
        }
    }

    /// `Current`, policy enabled for all users.
    pub fn enabled() -> Fx {
        let mut fx = Fx::new();
        fx.enable();
        fx
    }

    /// These switches, policy enabled for all users.
    pub fn enabled_with(switches: Switches) -> Fx {
        let mut fx = Fx::with(switches);
        fx.enable();
        fx
    }

    /// `Docs2025` (the rules as written before B2), policy enabled for all users.
    pub fn docs_2025() -> Fx {
        Fx::enabled_with(Switches::docs_2025())
    }

    /// Enables the policy (as the policy admin).
    pub fn enable(&mut self) {
        self.patch(PolicyPatch::new().state(PolicyState::Enabled));
    }

    /// Applies a policy patch as the policy admin, which must succeed.
    pub fn patch(&mut self, patch: PolicyPatch) -> TapPolicy {
        self.tenant
            .update_policy(self.policy_admin, &patch)
            .unwrap()
    }

    /// Creates a pass for `user` as the Authentication Administrator, which must succeed.
    pub fn issue(&mut self, user: UserId, options: PassOptions) -> IssuedPass {
        self.tenant
            .create_pass(self.auth_admin, user, options)
            .unwrap()
    }

    /// Signs in as `upn` with a pass value.
    pub fn sign_in_pass(&mut self, upn: &str, secret: &Secret) -> SignInOutcome {
        self.tenant
            .sign_in(upn, Credential::Pass(secret.danger_reveal()))
    }

    /// Creates a two-hour pass for Ada, one-time or not, as [`Fx::issue`] does.
    pub fn ada_pass(&mut self, usable_once: bool) -> IssuedPass {
        let options = PassOptions::new()
            .usable_once(usable_once)
            .lifetime_in_minutes(120);
        self.issue(self.ada, options)
    }

    /// Ada signs in with a pass value, which must be allowed: the session.
    pub fn ada_pass_session(&mut self, secret: &Secret) -> SessionId {
        self.sign_in_pass(ADA, secret).session().unwrap().id()
    }

    /// Ada signs in with a new two-hour pass ([`Fx::ada_pass`]): the session.
    pub fn ada_pass_signed_in(&mut self, usable_once: bool) -> SessionId {
        let issued = self.ada_pass(usable_once);
        self.ada_pass_session(&issued.secret)
    }

    /// Ada signs in with her password, which must be allowed: the session.
    pub fn ada_password_session(&mut self) -> SessionId {
        self.tenant
            .sign_in(ADA, Credential::Password(ADA_PASSWORD))
            .session()
            .unwrap()
            .id()
    }

    /// Registers a method in a session (as [`Tenant::register_method`]).
    pub fn register(&mut self, session: SessionId, kind: MethodKind, name: &str) -> Result<Device> {
        self.tenant.register_method(session, kind, name)
    }

    /// Provisions a method for `user` (as [`Tenant::provision_method`]), which must succeed.
    pub fn provision(&mut self, user: UserId, kind: MethodKind, name: &str) -> Device {
        self.tenant.provision_method(user, kind, name).unwrap()
    }

    /// Moves the clock.
    pub fn advance(&self, by: Duration) {
        self.clock.advance(by);
    }

    /// Adds a member with no role.
    pub fn user(&mut self, upn: &str) -> UserId {
        self.tenant.add_user(NewUser::member(upn, upn)).unwrap()
    }

    /// Adds a user holding `role`.
    pub fn user_with_role(&mut self, upn: &str, role: Role) -> UserId {
        self.tenant
            .add_user(NewUser::member(upn, upn).role(role))
            .unwrap()
    }

    /// The tenant's whole state as JSON text (for change detection and secret scans).
    pub fn state_json(&self) -> String {
        serde_json::to_string(&self.tenant.snapshot()).unwrap()
    }
}
