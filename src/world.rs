//! Several tenants side by side, and external guests signing in across them (spec S10,
//! R11).

use std::borrow::Cow;
use std::collections::BTreeMap;

use crate::crypto::{ProofRequest, Proofs};
use crate::directory::{HomeAccount, UserType};
use crate::error::{Error, Result};
use crate::ids::{Guid, SessionId, TenantId, UserId};
use crate::methods::MethodKind;
use crate::signin::{
    Check, Credential, Decision, DenialReason, Session, SessionSource, SessionStatus, SignInOutcome,
};
use crate::tenant::Tenant;

/// A simulation of several tenants. External guests of a resource tenant are linked to
/// their home accounts and sign in with their home tenant's credentials, a Temporary
/// Access Pass included.
///
/// ```
/// # use chrono::{TimeZone, Utc};
/// # use std::sync::Arc;
/// # use tapsim::*;
/// let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap()));
/// let mut home = Tenant::builder().seed(1).domain("fabrikam.com").shared_clock(clock.clone()).hash_cost(HashCost::Minimum).build()?;
/// let mut resource = Tenant::builder().seed(2).shared_clock(clock).hash_cost(HashCost::Minimum).build()?;
/// let bob = home.add_user(NewUser::member("bob@fabrikam.com", "Bob").password("bob's password"))?;
/// let guest = resource.add_user(NewUser::member("bob_fabrikam.com#EXT#@contoso.com", "Bob").user_type(UserType::ExternalGuest))?;
/// let mut world = World::new();
/// let (home_id, resource_id) = (world.add(home)?, world.add(resource)?);
/// world.link_guest(resource_id, guest, home_id, bob)?;
/// let out = world.sign_in(resource_id, "bob@fabrikam.com", Credential::Password("bob's password"))?;
/// assert!(out.is_allowed());
/// # Ok::<(), tapsim::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct World {
    tenants: BTreeMap<TenantId, Tenant>,
}

impl World {
    /// An empty world.
    pub fn new() -> World {
        World::default()
    }

    /// Adds a tenant; returns its id.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] if a tenant with the same id is already there (build
    /// tenants with different seeds).
    pub fn add(&mut self, tenant: Tenant) -> Result<TenantId> {
        let id = tenant.id();
        if self.tenants.contains_key(&id) {
            return Err(Error::InvalidConfig(format!(
                "a tenant with id `{id}` is already in this world: give each tenant its own seed"
            )));
        }
        self.tenants.insert(id, tenant);
        Ok(id)
    }

    /// A tenant by id.
    pub fn tenant(&self, id: TenantId) -> Option<&Tenant> {
        self.tenants.get(&id)
    }

    /// A tenant by id, to change it.
    pub fn tenant_mut(&mut self, id: TenantId) -> Option<&mut Tenant> {
        self.tenants.get_mut(&id)
    }

    /// The tenants, by id.
    pub fn tenants(&self) -> impl Iterator<Item = &Tenant> {
        self.tenants.values()
    }

    fn get(&self, id: TenantId) -> Result<&Tenant> {
        self.tenants
            .get(&id)
            .ok_or_else(|| Error::InvalidConfig(format!("no tenant `{id}` in this world")))
    }

    /// Links `guest`, an external guest of `resource`, to `home_user` of `home`.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for an unknown tenant, a guest who is not an external
    /// guest, a home account that is itself an external guest, or linking a tenant to
    /// itself; [`Error::UserNotFound`] for unknown users.
    pub fn link_guest(
        &mut self,
        resource: TenantId,
        guest: UserId,
        home: TenantId,
        home_user: UserId,
    ) -> Result<()> {
        if resource == home {
            return Err(Error::InvalidConfig(
                "a guest's home tenant must differ from the resource tenant".into(),
            ));
        }
        let home_account = self
            .get(home)?
            .directory()
            .user(home_user)
            .ok_or_else(|| Error::UserNotFound(home_user.to_string()))?;
        // A guest signs in with their home account's own credentials: an external guest
        // there has none of its own (spec S10).
        if home_account.user_type() == UserType::ExternalGuest {
            return Err(Error::InvalidConfig(format!(
                "user `{home_user}` is itself an external guest of tenant `{home}`: a guest's home account cannot be a guest"
            )));
        }
        let r = self
            .tenants
            .get_mut(&resource)
            .ok_or_else(|| Error::InvalidConfig(format!("no tenant `{resource}` in this world")))?;
        let g = r
            .state
            .directory
            .user_mut(guest)
            .ok_or_else(|| Error::UserNotFound(guest.to_string()))?;
        if g.user_type != UserType::ExternalGuest {
            return Err(Error::InvalidConfig(format!(
                "user `{guest}` is not an external guest"
            )));
        }
        // Through the directory, which keeps its index of guests by home account.
        r.state.directory.set_home(
            guest,
            Some(HomeAccount {
                tenant: home,
                user: home_user,
            }),
        );
        Ok(())
    }

    /// Signs in to `resource` as `upn` (spec S10, R11).
    ///
    /// A user of `resource` signs in there. An external guest types their home UPN: the
    /// home tenant checks the credential, applies its lockout, consumes a one-time pass
    /// and logs the attempt; the resource tenant logs its own record (with
    /// `homeTenantId`) and opens a session that satisfies MFA only when it trusts the
    /// home tenant's MFA and the home sign-in satisfied it. A guest disabled in the
    /// resource tenant is told so only once the home tenant has proven the credential
    /// (spec R5, R15); that failure is counted toward the home lockout and logged at home
    /// too, and nothing is consumed.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] if `resource` is not in this world.
    pub fn sign_in(
        &mut self,
        resource: TenantId,
        upn: &str,
        credential: Credential<'_>,
    ) -> Result<SignInOutcome> {
        self.sign_in_with_proofs(resource, upn, credential, &Proofs::default())
    }

    /// The verifications [`World::sign_in`] will need (the home tenant's, for a guest),
    /// to run with no lock held: see [`Tenant::proofs_needed`].
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] if `resource` is not in this world.
    pub fn proofs_needed(
        &self,
        resource: TenantId,
        upn: &str,
        credential: Credential<'_>,
    ) -> Result<ProofRequest> {
        let r = self.get(resource)?;
        let local_member = r
            .user_by_upn(upn)
            .is_some_and(|u| u.user_type() != UserType::ExternalGuest);
        let checked_by = if local_member {
            r
        } else {
            match self.find_guest(resource, upn) {
                Some((_, home)) => self.get(home)?,
                None => r,
            }
        };
        Ok(checked_by.proofs_needed(upn, credential))
    }

    /// [`World::sign_in`] with verifications made beforehand: every rule is checked
    /// against the tenants as they are now (see [`Tenant::sign_in_with_proofs`]).
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] if `resource` is not in this world.
    pub fn sign_in_with_proofs(
        &mut self,
        resource: TenantId,
        upn: &str,
        credential: Credential<'_>,
        proofs: &Proofs,
    ) -> Result<SignInOutcome> {
        self.get(resource)?;
        let local_member = self
            .get(resource)?
            .user_by_upn(upn)
            .is_some_and(|u| u.user_type() != UserType::ExternalGuest);
        let guest = if local_member {
            None
        } else {
            self.find_guest(resource, upn)
        };
        let Some((guest, home)) = guest else {
            let r = self
                .tenants
                .get_mut(&resource)
                .ok_or_else(|| Error::InvalidConfig(format!("no tenant `{resource}`")))?;
            return Ok(r.sign_in_with_proofs(upn, credential, proofs));
        };
        let home_outcome = if self.guest_enabled(resource, guest)? {
            self.tenants
                .get_mut(&home)
                .ok_or_else(|| Error::InvalidConfig(format!("no tenant `{home}`")))?
                .sign_in_with_proofs(upn, credential, proofs)
        } else {
            // A disabled guest is told "disabled" only once the home tenant has proven the
            // credential (spec R5, R15); either way the home tenant counts and logs the
            // attempt (R11).
            self.disabled_guest_at_home(home, upn, credential, proofs, |h, proofs| {
                Ok(h.sign_in_with_proofs(upn, credential, proofs))
            })?
        };
        self.tenants
            .get_mut(&home)
            .ok_or_else(|| Error::InvalidConfig(format!("no tenant `{home}`")))?
            .log_for_resource(home_outcome.log_record, resource);
        let r = self
            .tenants
            .get_mut(&resource)
            .ok_or_else(|| Error::InvalidConfig(format!("no tenant `{resource}`")))?;
        Ok(r.guest_sign_in(guest, home, upn, &credential.methods(), home_outcome))
    }

    /// Whether a session of `tenant` is valid now. A guest's session in a resource
    /// tenant ends no later than the home session it rests on: when the home pass
    /// expires, is deleted or replaced, or the home user's sessions are revoked, so does
    /// the guest's session (spec S5, R11, R15). The tenant's own rule
    /// (`Tenant::session_status_with`) decides, given the home session's status.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for an unknown tenant, [`Error::SessionNotFound`].
    pub fn session_status(&self, tenant: TenantId, session: SessionId) -> Result<SessionStatus> {
        let home = self.home_status(tenant, session)?;
        self.get(tenant)?.session_status_with(session, home)
    }

    /// The status of the home session that `session` of `tenant` rests on, if it rests on
    /// one.
    fn home_status(&self, tenant: TenantId, session: SessionId) -> Result<Option<SessionStatus>> {
        let t = self.get(tenant)?;
        let s = t
            .session(session)
            .ok_or_else(|| Error::SessionNotFound(session.to_string()))?;
        match s.source() {
            SessionSource::HomeTenant {
                tenant: home,
                home_session,
                ..
            } => {
                // A home session that is gone from its tenant can vouch for nothing.
                let status = self.get(*home)?.session_status(*home_session).unwrap_or(
                    SessionStatus::Ended {
                        at: s.signed_in(),
                        reason: crate::SessionEndReason::SignedOut,
                    },
                );
                Ok(Some(status))
            }
            _ => Ok(None),
        }
    }

    /// Registers a method inside `session` of `tenant` ([`Tenant::register_method`]),
    /// seeing the home session a guest's session rests on: it must still be valid
    /// (spec R9, R11, R15). For sessions that rest on none, the same as calling the
    /// tenant.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for an unknown tenant; otherwise as
    /// [`Tenant::register_method`], with `accessDenied` when the home session has ended.
    pub fn register_method(
        &mut self,
        tenant: TenantId,
        session: SessionId,
        kind: MethodKind,
        display_name: impl Into<String>,
    ) -> Result<crate::Device> {
        let home = self.home_status(tenant, session)?;
        let t = self
            .tenants
            .get_mut(&tenant)
            .ok_or_else(|| Error::InvalidConfig(format!("no tenant `{tenant}` in this world")))?;
        match home {
            Some(home) => t.register_method_with(session, Some(home), kind, display_name.into()),
            None => t.register_method(session, kind, display_name),
        }
    }

    /// The first of [`World::register_method`]'s three phases (see
    /// [`Tenant::prepare_register_method`]), seeing the home session a guest's session
    /// rests on.
    ///
    /// # Errors
    /// As [`World::register_method`].
    pub fn prepare_register_method(
        &mut self,
        tenant: TenantId,
        session: SessionId,
        kind: MethodKind,
        display_name: impl Into<String>,
    ) -> Result<crate::MethodDraft> {
        let home = self.home_status(tenant, session)?;
        self.tenants
            .get_mut(&tenant)
            .ok_or_else(|| Error::InvalidConfig(format!("no tenant `{tenant}` in this world")))?
            .prepare_register_method_with(session, home, kind, display_name.into())
    }

    /// The last of [`World::register_method`]'s three phases: every check again, the
    /// home session's status included, as it is now.
    ///
    /// # Errors
    /// As [`World::register_method`], and [`Error::StaleDraft`] (`conflict`) for a draft
    /// another tenant state drew (one since restored, replaced or rebuilt).
    pub fn commit_register_method(
        &mut self,
        tenant: TenantId,
        draft: crate::MethodDraft,
    ) -> Result<crate::Device> {
        let home = self.home_status(tenant, draft.session())?;
        self.tenants
            .get_mut(&tenant)
            .ok_or_else(|| Error::InvalidConfig(format!("no tenant `{tenant}` in this world")))?
            .commit_register_method_with(draft, home)
    }

    /// The external guest of `resource` whose home account has principal name `upn`:
    /// one keyed name lookup in each other tenant, then one in the resource tenant's
    /// index of guests by home account (no scan of the users). When guests of several
    /// home tenants match, the one added first to `resource` wins.
    fn find_guest(&self, resource: TenantId, upn: &str) -> Option<(UserId, TenantId)> {
        let r = self.tenants.get(&resource)?;
        self.tenants
            .iter()
            .filter(|(id, _)| **id != resource)
            .filter_map(|(id, t)| {
                let home = HomeAccount {
                    tenant: *id,
                    user: t.user_by_upn(upn)?.id(),
                };
                let guest = r.directory().guest_of(home)?;
                Some((r.directory().slot(guest.id())?, guest.id(), *id))
            })
            .min_by_key(|(slot, ..)| *slot)
            .map(|(_, guest, home)| (guest, home))
    }
}

impl World {
    /// The home tenant's answer for a guest disabled in the resource tenant (spec R5, R15,
    /// R11), `upn` being the home account's principal name. The home tenant proves the
    /// credential first, changing nothing. Not proven (wrong, unknown, or the home account
    /// locked out): `attempt` runs at home as for an enabled guest (invalid credential or
    /// locked, counted and logged there). Proven: the resource tenant refuses its disabled
    /// guest, and the home tenant counts that failure toward its lockout and logs it
    /// ([`Tenant::record_refused_elsewhere`]), consuming nothing.
    fn disabled_guest_at_home(
        &mut self,
        home: TenantId,
        upn: &str,
        credential: Credential<'_>,
        proofs: &Proofs,
        attempt: impl FnOnce(&mut Tenant, &Proofs) -> Result<SignInOutcome>,
    ) -> Result<SignInOutcome> {
        let h = self.get(home)?;
        let proofs = proofs.completed(h.proofs_needed(upn, credential));
        let proven = h.proves_credential(upn, credential, &proofs);
        let h = self
            .tenants
            .get_mut(&home)
            .ok_or_else(|| Error::InvalidConfig(format!("no tenant `{home}`")))?;
        if !proven {
            let outcome = attempt(h, &proofs)?;
            // Not proven, so the home tenant denied it. Were it to allow it, the resource
            // tenant would still refuse its disabled guest (the home record stands).
            if !outcome.is_allowed() {
                return Ok(outcome);
            }
            return Ok(disabled_here(Guid::NIL));
        }
        let record = h.record_refused_elsewhere(upn, &credential.methods());
        Ok(disabled_here(record))
    }
}

/// The outcome of a guest whose credential the home tenant proved, refused because the
/// guest's account is disabled in the resource tenant.
fn disabled_here(home_record: Guid) -> SignInOutcome {
    SignInOutcome {
        decision: Decision::Denied(DenialReason::AccountDisabled),
        trace: vec![
            Check {
                name: Cow::Borrowed("credential"),
                passed: true,
                detail: Cow::Borrowed("the home tenant verified the credential"),
            },
            Check {
                name: Cow::Borrowed("account"),
                passed: false,
                detail: Cow::Borrowed("the guest's account is disabled in the resource tenant"),
            },
        ],
        log_record: home_record,
    }
}

impl Tenant {
    /// Records, in this home tenant, an attempt by `upn` whose credential it proved but
    /// that a resource tenant refused because the guest is disabled there (spec R15,
    /// R11): a failure counted toward lockout and a sign-in log record
    /// (`accountDisabled`); nothing is consumed. Returns the record's id.
    pub(crate) fn record_refused_elsewhere(&mut self, upn: &str, methods: &[MethodKind]) -> Guid {
        let now = self.now();
        let user = self.directory().user_by_upn(upn).map(|u| u.id());
        if let Some(user) = user {
            self.count_failure(user, now);
        }
        let home = self.id();
        self.log_sign_in(
            now,
            user,
            upn,
            methods,
            &Decision::Denied(DenialReason::AccountDisabled),
            false,
            home,
        )
    }
}

impl Tenant {
    /// Records, in this resource tenant, a guest's sign-in that `home` evaluated.
    pub(crate) fn guest_sign_in(
        &mut self,
        guest: UserId,
        home: TenantId,
        upn: &str,
        methods: &[MethodKind],
        home_outcome: SignInOutcome,
    ) -> SignInOutcome {
        let now = self.now();
        let mut trace = home_outcome.trace;
        let mut mfa = false;
        let decision = match home_outcome.decision {
            Decision::Denied(r) => Decision::Denied(r),
            Decision::Allowed(home_session) => {
                let trusted = self.trusts_mfa_from(home);
                mfa = trusted && home_session.satisfies_mfa();
                trace.push(Check {
                    name: Cow::Borrowed("cross-tenant trust"),
                    passed: true,
                    detail: Cow::Owned(if trusted {
                        let at_home = if mfa { "satisfied" } else { "not satisfied at home" };
                        format!("inbound MFA trust for home tenant `{home}`: MFA {at_home}")
                    } else {
                        format!(
                            "no inbound MFA trust for home tenant `{home}`: single factor here, MFA must be done in this tenant"
                        )
                    }),
                });
                let mut session = Session {
                    id: SessionId(Guid::random(&mut self.state.rng)),
                    user: guest,
                    signed_in: now,
                    source: SessionSource::HomeTenant {
                        tenant: home,
                        home_session: home_session.id(),
                        home_mfa: home_session.satisfies_mfa(),
                    },
                    methods: home_session.methods().to_vec(),
                    satisfies_mfa: mfa,
                    expires: None,
                    expires_reason: None,
                    token_expires: home_session.token_expires(),
                    home_expires: home_session.expires(),
                    ended: None,
                    last_mfa: mfa.then_some(now),
                    // The home proof counts here only when this tenant trusts it (S10).
                    authentication_method_modes: if mfa {
                        home_session.authentication_method_modes().to_vec()
                    } else {
                        Vec::new()
                    },
                };
                self.set_own_end(&mut session);
                self.state
                    .sign_in
                    .sessions
                    .insert(session.id, session.clone());
                Decision::Allowed(session)
            }
        };
        let log_record = self.log_sign_in(now, Some(guest), upn, methods, &decision, mfa, home);
        SignInOutcome {
            decision,
            trace,
            log_record,
        }
    }
}

/// Step-up across tenants (spec R18's last sentence, R11).
impl World {
    /// Proves a credential again inside `session` of `tenant` (spec R18), seeing the home
    /// tenant a guest's session rests on: in a resource tenant a guest steps up through
    /// the home tenant, as at sign-in (R11). For a session that rests on none, the same
    /// as [`Tenant::step_up`].
    ///
    /// For a guest, the session is checked first, home session included (unknown:
    /// `itemNotFound`; ended: `accessDenied`); a password alone is no step-up
    /// (`badRequest`). Then the home tenant steps up the home session the guest's session
    /// rests on, exactly as [`Tenant::step_up`] does: it checks the credential, applies
    /// its lockout, consumes or refuses a one-time pass (a consumed one-time pass cannot
    /// step up) and logs its own record. The resource tenant logs its own record (with
    /// `homeTenantId`); on success, and only when it trusts the home tenant's MFA (R11),
    /// the guest's session here gets a fresh [`Session::last_mfa`], satisfies MFA and
    /// adds the combination of modes the home proof used (S11). Without that trust the
    /// home proof counts for nothing here: the session stays as it was (single factor).
    /// A guest disabled in the resource tenant is told so only once the home tenant has
    /// proven the credential (R5, R15), as at sign-in: a wrong one is the home tenant's
    /// denial; a proven one is refused as disabled, and the home tenant counts it toward
    /// its lockout and logs it, consuming nothing. No end of either session changes.
    ///
    /// ```
    /// # use chrono::{Duration, TimeZone, Utc};
    /// # use std::sync::Arc;
    /// # use tapsim::*;
    /// # let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap());
    /// # let shared: Arc<dyn Clock> = Arc::new(clock.clone());
    /// # let mut home = Tenant::builder().seed(1).domain("fabrikam.com").shared_clock(shared.clone()).hash_cost(HashCost::Minimum).build()?;
    /// # let mut resource = Tenant::builder().seed(2).shared_clock(shared).hash_cost(HashCost::Minimum).build()?;
    /// # let ga = home.add_user(NewUser::member("ga@fabrikam.com", "GA").role(Role::GlobalAdministrator))?;
    /// # home.update_policy(ga, &PolicyPatch::new().state(PolicyState::Enabled))?;
    /// let bob = home.add_user(NewUser::member("bob@fabrikam.com", "Bob").password("pw"))?;
    /// let pass = home.create_pass(ga, bob, PassOptions::new().usable_once(false))?;
    /// let guest = resource.add_user(NewUser::member("bob_fabrikam.com#EXT#@contoso.com", "Bob").user_type(UserType::ExternalGuest))?;
    /// let mut world = World::new();
    /// let (h, r) = (world.add(home)?, world.add(resource)?);
    /// world.link_guest(r, guest, h, bob)?;
    /// world.tenant_mut(r).unwrap().set_inbound_mfa_trust(h, true);
    /// let s = world.sign_in(r, "bob@fabrikam.com", Credential::Password("pw"))?.session().unwrap().id();
    /// clock.advance(Duration::minutes(20));
    /// let out = world.step_up(r, s, Credential::Pass(pass.secret.danger_reveal()))?;
    /// assert_eq!(out.session().unwrap().last_mfa(), Some(clock.now()));
    /// assert_eq!(world.tenant(h).unwrap().sign_in_log().len(), 2); // home logged it
    /// # Ok::<(), tapsim::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for an unknown tenant; [`Error::SessionNotFound`];
    /// `accessDenied` for an ended session (its home session's end included);
    /// [`Error::PasswordAloneIsNoStepUp`].
    pub fn step_up(
        &mut self,
        tenant: TenantId,
        session: SessionId,
        credential: Credential<'_>,
    ) -> Result<SignInOutcome> {
        self.step_up_with_proofs(tenant, session, credential, &Proofs::default())
    }

    /// The verifications [`World::step_up`] will need (the home tenant's, for a guest), to
    /// run with no lock held: see [`Tenant::proofs_needed`]. The session and the
    /// credential's shape are checked here already, so that a step-up that will be refused
    /// costs no hashing.
    ///
    /// # Errors
    /// As [`World::step_up`].
    pub fn step_up_proofs_needed(
        &self,
        tenant: TenantId,
        session: SessionId,
        credential: Credential<'_>,
    ) -> Result<ProofRequest> {
        let (source, _) = self.step_up_session(tenant, session, credential)?;
        match source {
            SessionSource::HomeTenant {
                tenant: home,
                home_session,
                ..
            } => {
                // A guest disabled here is still proven at home first (R5, R15).
                let h = self.get(home)?;
                Ok(h.proofs_needed(&Self::session_upn(h, home_session)?, credential))
            }
            _ => {
                let t = self.get(tenant)?;
                Ok(t.proofs_needed(&Self::session_upn(t, session)?, credential))
            }
        }
    }

    /// [`World::step_up`] with verifications made beforehand: every rule is checked
    /// against the tenants as they are now (see [`Tenant::sign_in_with_proofs`]).
    ///
    /// # Errors
    /// As [`World::step_up`].
    pub fn step_up_with_proofs(
        &mut self,
        tenant: TenantId,
        session: SessionId,
        credential: Credential<'_>,
        proofs: &Proofs,
    ) -> Result<SignInOutcome> {
        let (source, guest) = self.step_up_session(tenant, session, credential)?;
        let SessionSource::HomeTenant {
            tenant: home,
            home_session,
            ..
        } = source
        else {
            return self
                .tenants
                .get_mut(&tenant)
                .ok_or_else(|| Error::InvalidConfig(format!("no tenant `{tenant}`")))?
                .step_up_with_proofs(session, credential, proofs);
        };
        let upn = Self::session_upn(self.get(home)?, home_session)?;
        let home_outcome = if self.guest_enabled(tenant, guest)? {
            self.tenants
                .get_mut(&home)
                .ok_or_else(|| Error::InvalidConfig(format!("no tenant `{home}`")))?
                .step_up_with_proofs(home_session, credential, proofs)?
        } else {
            // As at sign-in: the home tenant proves the credential first (R5, R15), and
            // counts and logs the attempt either way (R11).
            self.disabled_guest_at_home(home, &upn, credential, proofs, |h, proofs| {
                h.step_up_with_proofs(home_session, credential, proofs)
            })?
        };
        self.tenants
            .get_mut(&home)
            .ok_or_else(|| Error::InvalidConfig(format!("no tenant `{home}`")))?
            .log_for_resource(home_outcome.log_record, tenant);
        let r = self
            .tenants
            .get_mut(&tenant)
            .ok_or_else(|| Error::InvalidConfig(format!("no tenant `{tenant}`")))?;
        Ok(r.guest_step_up(
            session,
            guest,
            home,
            &upn,
            &credential.methods(),
            home_outcome,
        ))
    }

    /// R18's first checks, in order: the session, valid now as the world sees it (a
    /// guest's home session included), then that the credential is more than a password
    /// alone. Returns how the session was obtained and its user.
    fn step_up_session(
        &self,
        tenant: TenantId,
        session: SessionId,
        credential: Credential<'_>,
    ) -> Result<(SessionSource, UserId)> {
        let home = self.home_status(tenant, session)?;
        let s = self.get(tenant)?.live_session(session, home)?;
        if matches!(credential, Credential::Password(_)) {
            return Err(Error::PasswordAloneIsNoStepUp);
        }
        Ok((s.source().clone(), s.user()))
    }

    /// Whether `user` of `tenant` may sign in there (an unknown user may not).
    fn guest_enabled(&self, tenant: TenantId, user: UserId) -> Result<bool> {
        Ok(self
            .get(tenant)?
            .directory()
            .user(user)
            .is_some_and(|u| u.account_enabled()))
    }

    /// The principal name of the user of `session` in `t`.
    fn session_upn(t: &Tenant, session: SessionId) -> Result<String> {
        let s = t
            .session(session)
            .ok_or_else(|| Error::SessionNotFound(session.to_string()))?;
        t.directory()
            .user(s.user())
            .map(|u| u.user_principal_name().to_owned())
            .ok_or_else(|| Error::UserNotFound(s.user().to_string()))
    }
}

impl Tenant {
    /// Records, in this resource tenant, a guest's step-up that `home` evaluated (spec
    /// R18, R11): its own log record, and on success, when this tenant trusts `home`'s
    /// MFA, a fresh multifactor time and the home proof's combination of modes on
    /// `session`.
    pub(crate) fn guest_step_up(
        &mut self,
        session: SessionId,
        guest: UserId,
        home: TenantId,
        upn: &str,
        methods: &[MethodKind],
        home_outcome: SignInOutcome,
    ) -> SignInOutcome {
        let now = self.now();
        let mut trace = home_outcome.trace;
        let mut mfa = false;
        let decision = match home_outcome.decision {
            Decision::Denied(r) => Decision::Denied(r),
            Decision::Allowed(home_session) => {
                let trusted = self.trusts_mfa_from(home);
                // Every step-up that succeeds proved MFA at home (R18: a password alone is
                // refused before); it counts here only when this tenant trusts it (R11).
                mfa = trusted && home_session.satisfies_mfa();
                trace.push(Check {
                    name: Cow::Borrowed("cross-tenant trust"),
                    passed: true,
                    detail: Cow::Owned(if mfa {
                        format!(
                            "inbound MFA trust for home tenant `{home}`: the home step-up counts here"
                        )
                    } else {
                        format!(
                            "no inbound MFA trust for home tenant `{home}`: the home step-up changes nothing here"
                        )
                    }),
                });
                match self.state.sign_in.sessions.get_mut(&session) {
                    Some(s) => {
                        if mfa {
                            s.last_mfa = Some(now);
                            s.satisfies_mfa = true;
                            if let Some(c) = home_session.authentication_method_modes().last() {
                                s.authentication_method_modes.push(c.clone());
                            }
                        }
                        Decision::Allowed(s.clone())
                    }
                    // World::step_up checked the session before: it exists. Were it gone,
                    // the attempt would be denied rather than panic.
                    None => Decision::Denied(DenialReason::InvalidCredential),
                }
            }
        };
        let log_record = self.log_sign_in(now, Some(guest), upn, methods, &decision, mfa, home);
        SignInOutcome {
            decision,
            trace,
            log_record,
        }
    }
}
