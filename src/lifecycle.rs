//! The pass lifecycle (spec T2 to T12): create, list, get, delete.

use crate::audit::{Activity, ModifiedProperty};
use crate::authz::{self, PassOperation};
use crate::crypto::{PendingHash, Secret, generate_secret};
use crate::directory::UserType;
use crate::error::{Error, Result};
use crate::ids::{Guid, PassId, UserId};
use crate::pass::{IssuedPass, PassOptions, PassRecord, TemporaryAccessPass};
use crate::tenant::Tenant;

impl Tenant {
    /// Creates a Temporary Access Pass for `user`, as `actor` (spec T2 to T9, P8).
    ///
    /// Checks, in order: the actor (R1), the user (R1), permission (T8, T9), guest type
    /// (T7), policy scope (T6, unless the `create_for_out_of_scope_users` switch is on),
    /// the lifetime against the policy (T3), the one-time policy (P8), an existing pass
    /// (T5: replaced, or `conflict` under the `delete_before_create` switch). A rejected
    /// request changes nothing and leaves no audit record. A success leaves exactly one
    /// `Admin registered security info` record.
    ///
    /// The secret is returned here and never again.
    ///
    /// ```
    /// # use chrono::{TimeZone, Utc};
    /// # use tapsim::*;
    /// # let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap());
    /// # let mut t = Tenant::builder().clock(clock).hash_cost(HashCost::Minimum).build()?;
    /// # let pol = t.add_user(NewUser::member("pol@contoso.com", "Pol").role(Role::AuthenticationPolicyAdministrator))?;
    /// # t.update_policy(pol, &PolicyPatch::new().state(PolicyState::Enabled))?;
    /// let helpdesk = t.add_user(NewUser::member("hd@contoso.com", "Help Desk").role(Role::AuthenticationAdministrator))?;
    /// let ada = t.add_user(NewUser::member("ada@contoso.com", "Ada"))?;
    /// let issued = t.create_pass(helpdesk, ada, PassOptions::default())?;
    /// assert_eq!(issued.secret.danger_reveal().len(), 8);
    /// assert!(issued.pass.is_usable);
    /// // Later reads never show the secret.
    /// let listed = t.list_passes(helpdesk, ada)?;
    /// assert_eq!(serde_json::to_value(&listed[0])?["temporaryAccessPass"], serde_json::Value::Null);
    /// // An out-of-range lifetime is rejected with Entra's message.
    /// let err = t.create_pass(helpdesk, ada, Lifetime::minutes(5)).unwrap_err();
    /// assert_eq!(err.to_string(), "Invalid LifetimeInMinutes specified. The valid range between 60 and 480.");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn create_pass(
        &mut self,
        actor: UserId,
        user: UserId,
        options: impl Into<PassOptions>,
    ) -> Result<IssuedPass> {
        let mut draft = self.prepare_create_pass(actor, user, options)?;
        draft.run_hash();
        self.commit_create_pass(draft)
    }

    /// The first of [`Tenant::create_pass`]'s three phases, for callers that share the
    /// tenant behind a lock (design.md, "Serving many callers"): every check of
    /// `create_pass`, then the pass's id, secret and salt drawn from the tenant's RNG, in
    /// the order `create_pass` draws them. Run [`PassDraft::run_hash`] with the lock released,
    /// then lock again and call [`Tenant::commit_create_pass`]. Nothing is stored yet.
    ///
    /// ```
    /// # use chrono::{TimeZone, Utc};
    /// # use tapsim::*;
    /// # let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap());
    /// # let mut t = Tenant::builder().clock(clock).hash_cost(HashCost::Minimum).build()?;
    /// # let pol = t.add_user(NewUser::member("pol@contoso.com", "Pol").role(Role::AuthenticationPolicyAdministrator))?;
    /// # t.update_policy(pol, &PolicyPatch::new().state(PolicyState::Enabled))?;
    /// let hd = t.add_user(NewUser::member("hd@contoso.com", "HD").role(Role::AuthenticationAdministrator))?;
    /// let ada = t.add_user(NewUser::member("ada@contoso.com", "Ada"))?;
    /// let tenant = std::sync::Mutex::new(t);
    /// // 1. Under the lock: checks, and the secret and salt drawn.
    /// let mut draft = tenant.lock().unwrap().prepare_create_pass(hd, ada, PassOptions::default())?;
    /// // 2. No lock: argon2id.
    /// draft.run_hash();
    /// // 3. Under the lock again: the checks against the tenant as it is now, then stored.
    /// let issued = tenant.lock().unwrap().commit_create_pass(draft)?;
    /// assert!(issued.pass.is_usable);
    /// # Ok::<(), tapsim::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`Tenant::create_pass`].
    pub fn prepare_create_pass(
        &mut self,
        actor: UserId,
        user: UserId,
        options: impl Into<PassOptions>,
    ) -> Result<PassDraft> {
        let options = options.into();
        let checked = self.check_create_pass(actor, user, &options, self.now())?;
        let before = self.state.rng.clone();
        let id = PassId(Guid::random(&mut self.state.rng));
        let secret = generate_secret(&mut self.state.rng, checked.length);
        let hash = PendingHash::draw(&self.hasher, &mut self.state.rng, &secret);
        Ok(PassDraft {
            actor,
            user,
            options,
            length: checked.length,
            id,
            secret,
            hash,
            rng: self.mark(before),
        })
    }

    /// The last of [`Tenant::create_pass`]'s three phases (see
    /// [`Tenant::prepare_create_pass`]): every check again, against the tenant as it is
    /// now (the actor, the user and the permission still there, the policy as it is, an
    /// existing pass replaced now, spec T5), then the pass stored, exactly as
    /// `create_pass` would. A draft whose hash was not run is hashed here. When the
    /// policy's `defaultLength` changed in between, the secret drawn no longer fits: the
    /// pass is drawn again and hashed here.
    ///
    /// # Errors
    /// [`Error::StaleDraft`] (`conflict`) for a draft another tenant drew, a tenant
    /// built from the same seed included (spec T4: its ids and secret came from that
    /// tenant's RNG). Then as [`Tenant::create_pass`], from the checks made now. A
    /// refused commit changes nothing; if nothing else drew from the tenant's RNG since
    /// the draft, the RNG goes back to where it was before it, as after a refused
    /// `create_pass`.
    pub fn commit_create_pass(&mut self, draft: PassDraft) -> Result<IssuedPass> {
        self.check_drawn_here(&draft.rng)?;
        let now = self.now();
        let checked = match self.check_create_pass(draft.actor, draft.user, &draft.options, now) {
            Ok(c) => c,
            Err(e) => {
                self.rewind(&draft.rng);
                return Err(e);
            }
        };
        if checked.length != draft.length {
            self.rewind(&draft.rng);
            let (actor, user, options) = (draft.actor, draft.user, draft.options.clone());
            let again = self.prepare_create_pass(actor, user, options)?;
            return self.store_pass(again, checked, now);
        }
        self.store_pass(draft, checked, now)
    }

    /// Stores a checked draft's pass: replaces the user's pass (T5), leaves the audit
    /// record, returns the secret.
    fn store_pass(
        &mut self,
        draft: PassDraft,
        checked: CheckedPass,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<IssuedPass> {
        let PassDraft {
            actor,
            user,
            id,
            secret,
            hash,
            rng,
            ..
        } = draft;
        let hash = match hash.finish() {
            Ok(hash) => hash,
            Err(e) => {
                // argon2 could not get its memory: nothing changes, the RNG included.
                self.rewind(&rng);
                return Err(e);
            }
        };
        if let Some(old) = self.pass_slot_mut(user).and_then(Option::take) {
            self.end_sessions_of_pass(old.id, now);
        }
        let record = PassRecord {
            id,
            created: now,
            start: checked.start,
            lifetime_in_minutes: checked.lifetime,
            is_usable_once: checked.is_usable_once,
            used: false,
            last_used: None,
            hash,
        };
        let props = pass_properties(&record, false);
        let reason = record.usability(self.scope_of(user), self.state.policy.is_usable_once, now);
        let view = record.view(reason);
        if let Some(slot) = self.pass_slot_mut(user) {
            *slot = Some(record);
        }
        let target = self.user_target(user, props);
        self.audit(actor, Activity::AdminRegisteredPass, target, Vec::new());
        Ok(IssuedPass {
            pass: view,
            secret: Secret::new(secret),
        })
    }

    /// Puts the RNG back to before a draft, if the draft was drawn here and nothing drew
    /// from the RNG since.
    pub(crate) fn rewind(&mut self, mark: &RngMark) {
        if mark.tenant == self.instance && self.state.rng == mark.after {
            self.state.rng = mark.before.clone();
        }
    }

    /// The mark of a draft that drew from this tenant's RNG, which was at `before`.
    pub(crate) fn mark(&self, before: rand_chacha::ChaCha8Rng) -> RngMark {
        RngMark {
            tenant: self.instance,
            before,
            after: self.state.rng.clone(),
        }
    }

    /// Refuses a draft drawn from another tenant value (spec T4: its ids, secret and
    /// salt came from that tenant's RNG; this one would draw them again): first thing in
    /// every commit, before anything changes.
    pub(crate) fn check_drawn_here(&self, mark: &RngMark) -> Result<()> {
        if mark.tenant == self.instance {
            Ok(())
        } else {
            Err(Error::StaleDraft)
        }
    }

    /// Every check of [`Tenant::create_pass`], in its order, against the tenant as it is.
    fn check_create_pass(
        &self,
        actor: UserId,
        user: UserId,
        options: &PassOptions,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<CheckedPass> {
        let actor_user = self.actor(actor)?;
        let target = self.target(user)?;
        authz::check_pass_access(actor_user, target, PassOperation::Create)?;
        if target.user_type() == UserType::ExternalGuest {
            return Err(Error::ExternalGuest);
        }
        let policy = &self.state.policy;
        if !self.scope_of(user).is_in_scope()
            && !self.state.config.switches.create_for_out_of_scope_users
        {
            return Err(Error::UserOutOfPolicyScope);
        }
        let (min, max) = (
            policy.minimum_lifetime_in_minutes,
            policy.maximum_lifetime_in_minutes,
        );
        let lifetime = match options.lifetime_in_minutes {
            None => policy.default_lifetime_in_minutes,
            Some(l) => u32::try_from(l)
                .ok()
                .filter(|l| (min..=max).contains(l))
                .ok_or(Error::LifetimeOutOfRange { min, max })?,
        };
        let is_usable_once = options.is_usable_once.unwrap_or(policy.is_usable_once);
        if policy.is_usable_once && !is_usable_once {
            return Err(Error::MultiUseNotAllowed);
        }
        if self.pass_of(user).is_some() && self.state.config.switches.delete_before_create {
            return Err(Error::PassAlreadyExists);
        }
        // Truncated to Graph's 100 ns ticks, so the pass is stored as its JSON reads (R16).
        let start = crate::graph::truncate_to_ticks(options.start_date_time.unwrap_or(now));
        if start < crate::graph::earliest_instant() {
            return Err(crate::error::Invalid::Body(format!(
                "`startDateTime` `{}` is before 0001-01-01T00:00:00Z",
                crate::graph::format_datetime(&start)
            ))
            .into());
        }
        // The pass must end by Graph's latest date-time (four-digit years).
        if crate::pass::add_minutes(start, i64::from(lifetime)) > crate::graph::latest_instant() {
            return Err(crate::error::Invalid::Body(format!(
                "`startDateTime` `{}` is too far in the future: the pass must end by 9999-12-31T23:59:59Z",
                crate::graph::format_datetime(&start)
            ))
            .into());
        }
        Ok(CheckedPass {
            start,
            lifetime,
            is_usable_once,
            length: policy.default_length as usize,
        })
    }

    /// Creates a pass from a Graph create body (spec T2, R1, R3): the actor, the user and
    /// the permission are checked before the body, in R1's order; then as
    /// [`Tenant::create_pass`].
    ///
    /// ```
    /// # use chrono::{TimeZone, Utc};
    /// # use tapsim::*;
    /// # let mut t = Tenant::builder().clock(ManualClock::new(Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap())).hash_cost(HashCost::Minimum).build()?;
    /// # let pol = t.add_user(NewUser::member("pol@contoso.com", "Pol").role(Role::AuthenticationPolicyAdministrator))?;
    /// # t.update_policy(pol, &PolicyPatch::new().state(PolicyState::Enabled))?;
    /// let hd = t.add_user(NewUser::member("hd@contoso.com", "HD").role(Role::AuthenticationAdministrator))?;
    /// let ada = t.add_user(NewUser::member("ada@contoso.com", "Ada"))?;
    /// let issued = t.create_pass_json(hd, ada, r#"{"lifetimeInMinutes": 120, "isUsableOnce": true}"#)?;
    /// assert_eq!(issued.pass.lifetime_in_minutes, 120);
    /// // Nobody issues their own pass: refused before the body is read.
    /// let err = t.create_pass_json(ada, ada, r#"{"lifetimeInMinutes": "soon"}"#).unwrap_err();
    /// assert_eq!(err.code(), ErrorCode::AccessDenied);
    /// # Ok::<(), tapsim::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`Tenant::create_pass`], with `badRequest` for a body that does not parse
    /// ([`PassOptions::from_graph_json`]) right after the permission check.
    pub fn create_pass_json(
        &mut self,
        actor: UserId,
        user: UserId,
        body: &str,
    ) -> Result<IssuedPass> {
        authz::check_pass_access(
            self.actor(actor)?,
            self.target(user)?,
            PassOperation::Create,
        )?;
        let options = PassOptions::from_graph_json(body)?;
        self.create_pass(actor, user, options)
    }

    /// [`Tenant::prepare_create_pass`] from a Graph create body, with
    /// [`Tenant::create_pass_json`]'s order of checks (the permission before the body).
    ///
    /// # Errors
    /// As [`Tenant::create_pass_json`].
    pub fn prepare_create_pass_json(
        &mut self,
        actor: UserId,
        user: UserId,
        body: &str,
    ) -> Result<PassDraft> {
        authz::check_pass_access(
            self.actor(actor)?,
            self.target(user)?,
            PassOperation::Create,
        )?;
        let options = PassOptions::from_graph_json(body)?;
        self.prepare_create_pass(actor, user, options)
    }

    /// Lists `user`'s passes as `actor`: at most one (spec T12), with usability computed
    /// now (spec T10). Expired passes stay listed (spec T11).
    ///
    /// # Errors
    /// `accessDenied` (spec T9), `itemNotFound` for an unknown user.
    pub fn list_passes(&self, actor: UserId, user: UserId) -> Result<Vec<TemporaryAccessPass>> {
        authz::check_pass_access(self.actor(actor)?, self.target(user)?, PassOperation::Read)?;
        Ok(self.pass_view(user).into_iter().collect())
    }

    /// Gets `user`'s pass by id as `actor`.
    ///
    /// # Errors
    /// As [`Tenant::list_passes`], and `itemNotFound` when the user has no pass with
    /// that id.
    pub fn get_pass(
        &self,
        actor: UserId,
        user: UserId,
        pass: PassId,
    ) -> Result<TemporaryAccessPass> {
        authz::check_pass_access(self.actor(actor)?, self.target(user)?, PassOperation::Read)?;
        self.pass_view(user)
            .filter(|p| p.id == pass)
            .ok_or_else(|| Error::PassNotFound(pass.to_string()))
    }

    /// Deletes `user`'s pass as `actor` (spec T12): the sessions signed in with it end.
    /// Leaves one `Admin deleted security info` record (or `User deleted security info`
    /// when users delete their own).
    ///
    /// # Errors
    /// As [`Tenant::get_pass`].
    pub fn delete_pass(&mut self, actor: UserId, user: UserId, pass: PassId) -> Result<()> {
        authz::check_pass_access(
            self.actor(actor)?,
            self.target(user)?,
            PassOperation::Delete,
        )?;
        if self.pass_of(user).map(|p| p.id) != Some(pass) {
            return Err(Error::PassNotFound(pass.to_string()));
        }
        let now = self.now();
        let Some(old) = self.pass_slot_mut(user).and_then(Option::take) else {
            // Checked just above.
            return Err(Error::PassNotFound(pass.to_string()));
        };
        self.end_sessions_of_pass(old.id, now);
        let activity = if actor == user {
            Activity::UserDeletedPass
        } else {
            Activity::AdminDeletedPass
        };
        let target = self.user_target(user, pass_properties(&old, true));
        self.audit(actor, activity, target, Vec::new());
        Ok(())
    }

    /// The user's pass as read now (an observer's view: no permission check).
    pub fn pass_view(&self, user: UserId) -> Option<TemporaryAccessPass> {
        // One index lookup serves the user and the pass: they share a slot.
        let slot = self.state.directory.slot(user)?;
        let record = self.state.passes.get(slot)?.as_ref()?;
        let u = self.state.directory.users_slice().get(slot)?;
        let scope = self.state.policy.scope_of_user(
            &self.state.directory,
            u,
            self.state.config.transitive_membership,
        );
        let reason = record.usability(scope, self.state.policy.is_usable_once, self.now());
        Some(record.view(reason))
    }

    /// The user's stored pass record (an observer's view; holds only the hash).
    pub fn pass_record(&self, user: UserId) -> Option<&PassRecord> {
        self.pass_of(user)
    }
}

/// What [`Tenant::create_pass`]'s checks settle.
struct CheckedPass {
    start: chrono::DateTime<chrono::Utc>,
    lifetime: u32,
    is_usable_once: bool,
    length: usize,
}

/// The tenant's RNG before and after a draft drew from it, and which tenant value it
/// was: a draft commits only into that tenant, and a refused commit puts the RNG back
/// when nothing else drew in between. Not `Clone`: one draft, one commit.
pub(crate) struct RngMark {
    pub(crate) tenant: crate::tenant::Instance,
    pub(crate) before: rand_chacha::ChaCha8Rng,
    pub(crate) after: rand_chacha::ChaCha8Rng,
}

/// A pass being created in three phases ([`Tenant::prepare_create_pass`]): checked,
/// its id, secret and salt drawn, its hash to run with no lock held
/// ([`PassDraft::run_hash`]), then committed ([`Tenant::commit_create_pass`]), into the
/// tenant that drew it only. Holds the secret and the RNG's position: not `Clone`, not
/// `Serialize`, its hash out of reach (a caller cannot put another secret's hash in it,
/// spec T4); `Debug` redacts both.
///
/// ```compile_fail,E0616
/// // The hash is private: no draft takes another secret's hash.
/// fn swap(mut pass: tapsim::PassDraft, password: tapsim::PasswordDraft) -> tapsim::PassDraft {
///     pass.hash = password.hash;
///     pass
/// }
/// ```
pub struct PassDraft {
    actor: UserId,
    user: UserId,
    options: PassOptions,
    length: usize,
    id: PassId,
    secret: zeroize::Zeroizing<String>,
    hash: PendingHash,
    rng: RngMark,
}

impl std::fmt::Debug for PassDraft {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PassDraft")
            .field("actor", &self.actor)
            .field("user", &self.user)
            .field("id", &self.id)
            .field("hash", &self.hash)
            .finish_non_exhaustive()
    }
}

impl PassDraft {
    /// The user the pass is for.
    pub fn user(&self) -> UserId {
        self.user
    }

    /// Computes the argon2id hash of the secret, the slow part: call it with no lock
    /// held. Once; later calls do nothing (a commit hashes a draft not run).
    pub fn run_hash(&mut self) {
        self.hash.run();
    }
}

/// The audit record's modified properties for a pass (spec A1): id, start, end, usage.
fn pass_properties(p: &PassRecord, deleted: bool) -> Vec<ModifiedProperty> {
    let usage = if p.is_usable_once {
        "Single"
    } else {
        "Multiple"
    };
    [
        ("TemporaryAccessPassId", p.id.to_string()),
        ("StartDateTime", crate::graph::format_datetime(&p.start)),
        ("EndDateTime", crate::graph::format_datetime(&p.end())),
        ("Usage", usage.to_owned()),
    ]
    .into_iter()
    .map(|(name, value)| {
        let (old_value, new_value) = if deleted {
            (Some(value), None)
        } else {
            (None, Some(value))
        };
        ModifiedProperty {
            display_name: name.to_owned(),
            old_value,
            new_value,
        }
    })
    .collect()
}
