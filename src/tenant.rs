//! The tenant: one aggregate that owns all state, and its builder.

use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::audit::{
    Activity, AuditInitiator, AuditRecord, KeyValue, ModifiedProperty, TargetResource, UserIdentity,
};
use crate::authz;
use crate::clock::{Clock, SystemClock};
use crate::crypto::{HashCost, Hasher, PhcHash};
use crate::directory::{Directory, Group, Member, NewUser, User};
use crate::error::{Denial, Error, Result};
use crate::ids::{GroupId, Guid, TenantId, UserId};
use crate::pass::PassRecord;
use crate::policy::{LIFETIME_RANGE, PolicyPatch, Scope, TapPolicy};
use crate::profile::{Profile, Switches};
use crate::role::Role;
use crate::signin::{LockoutSettings, SessionControls, SignInState};

/// Settings fixed when a tenant is built.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct TenantConfig {
    /// The tenant's id.
    pub tenant_id: TenantId,
    /// The tenant's primary domain, such as `contoso.com`.
    pub domain: String,
    /// The profile the switches started from.
    pub profile: Profile,
    /// The rules that changed over time (spec B1).
    pub switches: Switches,
    /// The argon2id cost of new hashes.
    pub hash_cost: HashCost,
    /// Whether group membership counts through nested groups (spec P5) \[sim\].
    pub transitive_membership: bool,
    /// Smart-lockout settings (spec S7).
    pub lockout: LockoutSettings,
    /// Session controls: the sign-in frequency (spec R17). Absent from older snapshots:
    /// none.
    #[serde(default)]
    pub session_controls: SessionControls,
    /// How many records each log (sign-ins, audit) keeps: the newest ones; older ones
    /// are dropped and counted ([`Tenant::log_records_dropped`]). Absent from older
    /// snapshots: [`DEFAULT_LOG_CAPACITY`].
    #[serde(default = "default_log_capacity")]
    pub log_capacity: u32,
}

/// The default number of records each log keeps: enough for every lab and test, and a
/// few tens of megabytes at most.
pub const DEFAULT_LOG_CAPACITY: u32 = 100_000;
/// The largest log capacity a tenant accepts.
pub const MAX_LOG_CAPACITY: u32 = 10_000_000;

fn default_log_capacity() -> u32 {
    DEFAULT_LOG_CAPACITY
}

/// How many log records a tenant has dropped to stay within its log capacity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogDrops {
    /// Sign-in log records dropped, oldest first.
    pub sign_ins: u64,
    /// Audit log records dropped, oldest first.
    pub audits: u64,
}

/// Keeps `log` within `capacity` visible records, plus a slack of an eighth that is
/// dropped all at once (so appending stays amortized O(1)); counts what it drops.
fn trim_log<T>(log: &mut Vec<T>, capacity: u32, dropped: &mut u64) {
    let capacity = capacity as usize;
    if log.len() > capacity + capacity / 8 {
        let extra = log.len() - capacity;
        log.drain(..extra);
        *dropped = dropped.saturating_add(extra as u64);
    }
}

/// The newest `capacity` records of `log`.
fn visible<T>(log: &[T], capacity: u32) -> &[T] {
    &log[log.len().saturating_sub(capacity as usize)..]
}

/// Everything a tenant holds; serializable, and round-trips exactly (see
/// [`Tenant::snapshot`] and [`Tenant::from_snapshot`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantState {
    pub(crate) config: TenantConfig,
    pub(crate) directory: Directory,
    pub(crate) policy: TapPolicy,
    /// At most one pass per user (spec T5), in the user's slot (the user's position in
    /// the directory): one entry per user.
    pub(crate) passes: Vec<Option<PassRecord>>,
    pub(crate) audit_log: Vec<AuditRecord>,
    pub(crate) sign_in: SignInState,
    /// Log records dropped to stay within `config.log_capacity`.
    #[serde(default)]
    pub(crate) log_drops: LogDrops,
    /// A hash of a secret nobody knows, verified against when a user has no pass, so that
    /// a missing pass costs the same time as a wrong one (spec S2).
    pub(crate) decoy_hash: PhcHash,
    pub(crate) rng: ChaCha8Rng,
}

/// A simulated Microsoft Entra tenant with its Temporary Access Pass policy.
///
/// Every operation takes the acting principal (a user of the tenant), checks
/// permissions, validates, then changes state at once or not at all, appending exactly
/// one audit record per change. Time comes from the injected [`Clock`] and randomness
/// from one seeded ChaCha8 generator, so the same seed and calls give the same state.
///
/// `Clone` forks the tenant; the fork shares the clock (use
/// [`Tenant::fork_with_clock`] to give it its own).
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use tapsim::{HashCost, ManualClock, NewUser, PolicyPatch, PolicyState, Role, Tenant};
///
/// let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap());
/// let mut tenant = Tenant::builder().seed(7).clock(clock).hash_cost(HashCost::Minimum).build()?;
/// let admin = tenant.add_user(NewUser::member("pol@contoso.com", "Pol").role(Role::AuthenticationPolicyAdministrator))?;
/// let policy = tenant.update_policy(admin, &PolicyPatch::new().state(PolicyState::Enabled))?;
/// assert_eq!(policy.state, PolicyState::Enabled);
/// # Ok::<(), tapsim::Error>(())
/// ```
pub struct Tenant {
    pub(crate) state: TenantState,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) hasher: Hasher,
    /// Which tenant value this is: a draft commits only into the value it was drawn
    /// from (see [`Instance`]).
    pub(crate) instance: Instance,
}

impl Clone for Tenant {
    /// A fork: the same state and clock, but another tenant for drafts: a draft drawn
    /// from one of the two commits into that one only ([`Error::StaleDraft`]).
    fn clone(&self) -> Tenant {
        Tenant {
            state: self.state.clone(),
            clock: Arc::clone(&self.clock),
            hasher: self.hasher.clone(),
            instance: Instance::next(),
        }
    }
}

/// The identity of one tenant value in this process, given when it is built, restored
/// from a snapshot or forked. A draft ([`crate::PassDraft`] and the others) records the
/// instance it drew its ids, secret and salt from, and commits only into it: two tenants
/// built from one seed (a server reset, a snapshot restored, a fork) draw the same
/// values, so a draft committed into the other one would store ids that tenant's RNG
/// draws again (spec T4). Never shown, serialized or compared with anything else, so it
/// does not touch determinism: the same seed and calls give the same state and logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Instance(u64);

impl Instance {
    /// A value no other tenant of this process holds (a 64-bit counter does not wrap).
    pub(crate) fn next() -> Instance {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        Instance(NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
    }
}

impl fmt::Debug for Tenant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tenant")
            .field("config", &self.state.config)
            .field("users", &self.state.directory.users().len())
            .field("groups", &self.state.directory.groups().len())
            .field("passes", &self.state.passes.iter().flatten().count())
            .field("clock", &self.clock)
            .finish_non_exhaustive()
    }
}

/// Builds a [`Tenant`]; rejects inconsistent configuration at [`TenantBuilder::build`].
#[derive(Debug, Clone)]
pub struct TenantBuilder {
    seed: u64,
    domain: String,
    profile: Profile,
    switches: Option<Switches>,
    hash_cost: HashCost,
    transitive_membership: bool,
    lockout: LockoutSettings,
    session_controls: SessionControls,
    log_capacity: u32,
    clock: Option<Arc<dyn Clock>>,
}

impl Default for TenantBuilder {
    fn default() -> TenantBuilder {
        TenantBuilder {
            seed: 0,
            domain: "contoso.com".to_owned(),
            profile: Profile::Current,
            switches: None,
            hash_cost: HashCost::Production,
            transitive_membership: true,
            lockout: LockoutSettings::default(),
            session_controls: SessionControls::default(),
            log_capacity: DEFAULT_LOG_CAPACITY,
            clock: None,
        }
    }
}

impl TenantBuilder {
    /// The RNG seed (default 0). Same seed, same calls: same ids, secrets, hashes, logs.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
    /// The tenant's primary domain (default `contoso.com`).
    pub fn domain(mut self, domain: impl Into<String>) -> Self {
        self.domain = domain.into();
        self
    }
    /// The behaviour profile (default [`Profile::Current`]); resets switches to it.
    pub fn profile(mut self, profile: Profile) -> Self {
        self.profile = profile;
        self.switches = None;
        self
    }
    /// Individual switches, overriding the profile's.
    pub fn switches(mut self, switches: Switches) -> Self {
        self.switches = Some(switches);
        self
    }
    /// The argon2id cost (default [`HashCost::Production`]).
    pub fn hash_cost(mut self, cost: HashCost) -> Self {
        self.hash_cost = cost;
        self
    }
    /// Whether nested group membership counts (default true).
    pub fn transitive_membership(mut self, on: bool) -> Self {
        self.transitive_membership = on;
        self
    }
    /// Smart-lockout settings.
    pub fn lockout(mut self, lockout: LockoutSettings) -> Self {
        self.lockout = lockout;
        self
    }
    /// How many records each log keeps (default [`DEFAULT_LOG_CAPACITY`]; 1 to
    /// [`MAX_LOG_CAPACITY`]).
    pub fn log_capacity(mut self, records: u32) -> Self {
        self.log_capacity = records;
        self
    }
    /// Session controls (spec R17; default: sessions last until revoked).
    pub fn session_controls(mut self, controls: SessionControls) -> Self {
        self.session_controls = controls;
        self
    }
    /// The clock (default [`SystemClock`]: not deterministic).
    pub fn clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Some(Arc::new(clock));
        self
    }
    /// A shared clock.
    pub fn shared_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Builds the tenant.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for argon2 parameters argon2 rejects, a default maximum
    /// lifetime outside 60..=43200 minutes, a lockout threshold of 0, a non-positive
    /// lockout duration, a sign-in frequency outside 1 hour to 365 days, or a malformed
    /// domain.
    pub fn build(self) -> Result<Tenant> {
        let hasher = Hasher::new(self.hash_cost).map_err(Error::InvalidConfig)?;
        validate_log_capacity(self.log_capacity)?;
        let switches = self.switches.unwrap_or_else(|| self.profile.into());
        validate_switches(&switches)?;
        self.lockout.validate()?;
        self.session_controls.validate()?;
        crate::directory::validate_upn(&format!("x@{}", self.domain))
            .map_err(|_| Error::InvalidConfig(format!("`{}` is not a domain name", self.domain)))?;
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let tenant_id = TenantId(Guid::random(&mut rng));
        let decoy = crate::crypto::generate_secret(&mut rng, 16);
        let decoy_hash = hasher.hash(&mut rng, &decoy)?;
        let config = TenantConfig {
            tenant_id,
            domain: self.domain,
            profile: self.profile,
            switches,
            hash_cost: self.hash_cost,
            transitive_membership: self.transitive_membership,
            lockout: self.lockout,
            session_controls: self.session_controls,
            log_capacity: self.log_capacity,
        };
        Ok(Tenant {
            state: TenantState {
                policy: TapPolicy::defaults(&switches),
                config,
                directory: Directory::default(),
                passes: Vec::new(),
                audit_log: Vec::new(),
                sign_in: SignInState::default(),
                log_drops: LogDrops::default(),
                decoy_hash,
                rng,
            },
            clock: self.clock.unwrap_or_else(|| Arc::new(SystemClock)),
            hasher,
            instance: Instance::next(),
        })
    }
}

/// What a restored snapshot must satisfy beyond its shape: every stored hash is an
/// argon2id PHC string within tapsim's cost bounds (spec T4; a hash asking argon2 for
/// 4 GiB, or another algorithm, or plain text is refused), every pass's lifetime lies in
/// P2's range and every user principal name is valid. The error names the object.
fn check_snapshot_contents(state: &TenantState) -> Result<()> {
    let bad = |what: String, why: String| Error::InvalidConfig(format!("snapshot: {what}: {why}"));
    crate::crypto::check_stored_hash(&state.decoy_hash)
        .map_err(|e| bad("the decoy hash".to_owned(), e))?;
    for user in state.directory.users() {
        crate::directory::validate_upn(user.user_principal_name())
            .map_err(|e| bad(format!("user `{}`", user.id()), e.to_string()))?;
        if let Some(h) = &user.password {
            crate::crypto::check_stored_hash(h)
                .map_err(|e| bad(format!("the password of user `{}`", user.id()), e))?;
        }
    }
    for pass in state.passes.iter().flatten() {
        crate::crypto::check_stored_hash(&pass.hash)
            .map_err(|e| bad(format!("pass `{}`", pass.id), e))?;
        if !LIFETIME_RANGE.contains(&pass.lifetime_in_minutes) {
            return Err(bad(
                format!("pass `{}`", pass.id),
                format!(
                    "lifetimeInMinutes `{}` is outside {}..={}",
                    pass.lifetime_in_minutes,
                    LIFETIME_RANGE.start(),
                    LIFETIME_RANGE.end()
                ),
            ));
        }
    }
    for methods in state.sign_in.methods.values() {
        for m in methods {
            crate::crypto::check_stored_hash(&m.hash)
                .map_err(|e| bad(format!("method `{}`", m.id()), e))?;
        }
    }
    Ok(())
}

/// Checks a log capacity: 1 to [`MAX_LOG_CAPACITY`] records.
fn validate_log_capacity(records: u32) -> Result<()> {
    if (1..=MAX_LOG_CAPACITY).contains(&records) {
        Ok(())
    } else {
        Err(Error::InvalidConfig(format!(
            "`log_capacity` must be between 1 and {MAX_LOG_CAPACITY} records, got `{records}`"
        )))
    }
}

/// Checks what [`TenantBuilder::build`] and [`Tenant::set_switches`] accept.
fn validate_switches(switches: &Switches) -> Result<()> {
    let max = switches.default_maximum_lifetime_in_minutes;
    if !(60..=*LIFETIME_RANGE.end()).contains(&max) {
        return Err(Error::InvalidConfig(format!(
            "`default_maximum_lifetime_in_minutes` must be between 60 and 43200, got `{max}`"
        )));
    }
    Ok(())
}

impl Tenant {
    /// Changes the rules' switches on a live tenant (spec R14): simulator setup, so no
    /// audit record. They apply from the next operation on, to existing sessions and
    /// passes too; the default maximum lifetime applies at the next policy reset.
    ///
    /// ```
    /// use tapsim::{HashCost, Switches, Tenant};
    /// let mut t = Tenant::builder().hash_cost(HashCost::Minimum).build()?;
    /// t.set_switches(Switches::current().delete_before_create(true))?;
    /// assert!(t.config().switches.delete_before_create);
    /// assert!(t.audit_log().is_empty());
    /// # Ok::<(), tapsim::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for a default maximum lifetime outside 60..=43200
    /// minutes; nothing changes then.
    pub fn set_switches(&mut self, switches: Switches) -> Result<()> {
        validate_switches(&switches)?;
        self.state.config.switches = switches;
        self.refresh_session_ends();
        Ok(())
    }

    /// Changes the session controls on a live tenant (spec R14, R17): simulator setup,
    /// so no audit record. They apply to existing sessions too, measured from each
    /// session's sign-in.
    ///
    /// ```
    /// # use chrono::{Duration, TimeZone, Utc};
    /// # use tapsim::*;
    /// # let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap());
    /// # let mut t = Tenant::builder().clock(clock.clone()).hash_cost(HashCost::Minimum).build()?;
    /// let ada = t.add_user(NewUser::member("ada@contoso.com", "Ada").password("pw"))?;
    /// let s = t.sign_in("ada@contoso.com", Credential::Password("pw")).session().unwrap().id();
    /// t.set_session_controls(SessionControls::sign_in_every(60))?;
    /// clock.advance(Duration::hours(1));
    /// assert!(matches!(
    ///     t.session_status(s)?,
    ///     SessionStatus::Ended { reason: SessionEndReason::SignInFrequency, .. }
    /// ));
    /// assert!(t.set_session_controls(SessionControls::sign_in_every(0)).is_err());
    /// # Ok::<(), tapsim::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for a sign-in frequency outside 1 hour to 365 days;
    /// nothing changes then.
    pub fn set_session_controls(&mut self, controls: SessionControls) -> Result<()> {
        controls.validate()?;
        self.state.config.session_controls = controls;
        self.refresh_session_ends();
        Ok(())
    }

    /// Changes the smart-lockout settings on a live tenant (spec R14, S7); counts and
    /// lockouts already running are kept.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for a threshold of 0 or a non-positive duration.
    pub fn set_lockout(&mut self, lockout: LockoutSettings) -> Result<()> {
        lockout.validate()?;
        self.state.config.lockout = lockout;
        Ok(())
    }

    /// Turns transitive group membership (spec P5) on or off on a live tenant (R14).
    pub fn set_transitive_membership(&mut self, on: bool) {
        self.state.config.transitive_membership = on;
    }

    /// A builder with the defaults: seed 0, `contoso.com`, `Current`, production hash
    /// cost, transitive membership, default lockout, the system clock.
    pub fn builder() -> TenantBuilder {
        TenantBuilder::default()
    }

    /// The current time, from the injected clock, truncated to Graph's precision of
    /// 100 nanoseconds (spec R16), so that every recorded instant is written exactly.
    pub fn now(&self) -> DateTime<Utc> {
        crate::graph::truncate_to_ticks(self.clock.now())
    }

    /// The configuration the tenant was built with.
    pub fn config(&self) -> &TenantConfig {
        &self.state.config
    }

    /// The tenant's id.
    pub fn id(&self) -> TenantId {
        self.state.config.tenant_id
    }

    /// The directory (an observer's view: no permission check).
    pub fn directory(&self) -> &Directory {
        &self.state.directory
    }

    /// A user by principal name (an observer's view).
    pub fn user_by_upn(&self, upn: &str) -> Option<&User> {
        self.state.directory.user_by_upn(upn)
    }

    /// The policy as it is (an observer's view: no permission check). Principals read it
    /// with [`Tenant::policy`].
    pub fn current_policy(&self) -> &TapPolicy {
        &self.state.policy
    }

    /// The audit log, oldest first.
    pub fn audit_log(&self) -> &[AuditRecord] {
        visible(&self.state.audit_log, self.state.config.log_capacity)
    }

    /// How many records each log has dropped to stay within
    /// [`TenantConfig::log_capacity`]: the logs keep the newest records.
    ///
    /// ```
    /// use tapsim::{Credential, HashCost, Tenant};
    /// let mut t = Tenant::builder().hash_cost(HashCost::Minimum).log_capacity(8).build()?;
    /// for _ in 0..20 {
    ///     t.sign_in("nobody@contoso.com", Credential::Password("x"));
    /// }
    /// assert_eq!(t.sign_in_log().len(), 8);
    /// assert_eq!(t.log_records_dropped().sign_ins, 12);
    /// # Ok::<(), tapsim::Error>(())
    /// ```
    pub fn log_records_dropped(&self) -> LogDrops {
        let d = self.state.log_drops;
        let hidden =
            |len: usize| (len as u64).saturating_sub(u64::from(self.state.config.log_capacity));
        LogDrops {
            sign_ins: d.sign_ins + hidden(self.state.sign_in.log.len()),
            audits: d.audits + hidden(self.state.audit_log.len()),
        }
    }

    /// Changes how many records each log keeps, on a live tenant (R14): from the next
    /// record on.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] outside 1..=[`MAX_LOG_CAPACITY`].
    pub fn set_log_capacity(&mut self, records: u32) -> Result<()> {
        validate_log_capacity(records)?;
        self.state.config.log_capacity = records;
        Ok(())
    }

    /// Keeps both logs within the capacity; called after each append.
    pub(crate) fn trim_logs(&mut self) {
        let cap = self.state.config.log_capacity;
        let drops = &mut self.state.log_drops;
        trim_log(&mut self.state.audit_log, cap, &mut drops.audits);
        trim_log(&mut self.state.sign_in.log, cap, &mut drops.sign_ins);
    }

    /// The audit records whose target is `user`, oldest first.
    ///
    /// ```
    /// # use tapsim::*;
    /// # let mut t = Tenant::builder().hash_cost(HashCost::Minimum).clock(ManualClock::new(chrono::DateTime::UNIX_EPOCH)).build()?;
    /// # let ga = t.add_user(NewUser::member("ga@contoso.com", "GA").role(Role::GlobalAdministrator))?;
    /// # let ada = t.add_user(NewUser::member("ada@contoso.com", "Ada"))?;
    /// t.update_policy(ga, &PolicyPatch::new().state(PolicyState::Enabled))?;
    /// t.create_pass(ga, ada, PassOptions::default())?;
    /// let about_ada: Vec<_> = t.audit_records_for(ada).filter_map(|r| r.activity()).collect();
    /// assert_eq!(about_ada, [Activity::AdminRegisteredPass]);
    /// # Ok::<(), tapsim::Error>(())
    /// ```
    pub fn audit_records_for(&self, user: UserId) -> impl Iterator<Item = &AuditRecord> {
        let id = user.to_string();
        self.audit_log()
            .iter()
            .filter(move |r| r.target_user() == Some(id.as_str()))
    }

    /// The sign-in records of `user`, oldest first.
    pub fn sign_ins_for(&self, user: UserId) -> impl Iterator<Item = &crate::SignInRecord> {
        self.sign_in_log()
            .iter()
            .filter(move |r| r.user_id == user.guid())
    }

    /// A copy of all state, for saving or comparing. Holds hashes, never secrets, but it
    /// does hold the RNG's position: with it (as with the seed) anyone can draw the same
    /// passes again. Treat snapshots and seeds as secret wherever the passes matter; in
    /// tests and labs, that they reproduce everything is the point.
    pub fn snapshot(&self) -> TenantState {
        self.state.clone()
    }

    /// A tenant restored from a snapshot, reading time from `clock`.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] if the snapshot's hash cost or lockout settings are
    /// invalid or its pass table does not match its users; [`Error::Invalid`] if its
    /// policy is invalid.
    pub fn from_snapshot(state: TenantState, clock: Arc<dyn Clock>) -> Result<Tenant> {
        let hasher = Hasher::new(state.config.hash_cost).map_err(Error::InvalidConfig)?;
        validate_switches(&state.config.switches)?;
        validate_log_capacity(state.config.log_capacity)?;
        state.config.lockout.validate()?;
        check_snapshot_contents(&state)?;
        state.config.session_controls.validate()?;
        state.policy.validate(&state.directory)?;
        if state.passes.len() != state.directory.users().len() {
            return Err(Error::InvalidConfig(format!(
                "the snapshot has {} pass slots for {} users",
                state.passes.len(),
                state.directory.users().len()
            )));
        }
        Ok(Tenant {
            state,
            clock,
            hasher,
            instance: Instance::next(),
        })
    }

    /// A fork of this tenant that reads time from its own clock.
    pub fn fork_with_clock(&self, clock: Arc<dyn Clock>) -> Tenant {
        Tenant {
            state: self.state.clone(),
            clock,
            hasher: self.hasher.clone(),
            instance: Instance::next(),
        }
    }

    // ---- Directory setup -------------------------------------------------------------
    //
    // Directory administration is the simulation's setup, not a simulated Graph call:
    // it takes no acting principal and leaves no audit record \[sim\].

    /// Adds a user. The password, if any, is hashed with argon2id at once.
    ///
    /// # Errors
    /// [`Error::InvalidUpn`], [`Error::DuplicateUpn`] (case-insensitive),
    /// [`Error::NameTooLong`] for a `displayName` over Entra's 256 characters
    /// ([`crate::MAX_USER_DISPLAY_NAME_CHARS`]), [`Error::InvalidPassword`].
    pub fn add_user(&mut self, new: NewUser) -> Result<UserId> {
        let mut draft = self.prepare_add_user(new)?;
        draft.run_hash();
        self.commit_add_user(draft)
    }

    /// The first of [`Tenant::add_user`]'s three phases (see
    /// [`Tenant::prepare_create_pass`]): the checks, then the user's id and the
    /// password's salt drawn from the tenant's RNG as `add_user` draws them. Run the
    /// draft's hash (if it has a password) with no lock held, then
    /// [`Tenant::commit_add_user`].
    ///
    /// ```
    /// # use tapsim::*;
    /// # let mut t = Tenant::builder().hash_cost(HashCost::Minimum).build()?;
    /// let mut draft = t.prepare_add_user(NewUser::member("ada@contoso.com", "Ada").password("pw"))?;
    /// draft.run_hash(); // with no lock held
    /// let ada = t.commit_add_user(draft)?;
    /// assert!(t.sign_in("ada@contoso.com", Credential::Password("pw")).is_allowed());
    /// # Ok::<(), tapsim::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`Tenant::add_user`].
    pub fn prepare_add_user(&mut self, new: NewUser) -> Result<UserDraft> {
        self.state
            .directory
            .check_new_user(&new.user_principal_name)?;
        crate::directory::check_name_length(
            "displayName",
            &new.display_name,
            crate::directory::MAX_USER_DISPLAY_NAME_CHARS,
        )?;
        if let Some(p) = &new.password {
            check_password(p)?;
        }
        let before = self.state.rng.clone();
        let id = UserId(Guid::random(&mut self.state.rng));
        let hash = new.password.as_ref().map(|p| {
            crate::crypto::PendingHash::draw(&self.hasher, &mut self.state.rng, p.danger_reveal())
        });
        Ok(UserDraft {
            id,
            new,
            hash,
            rng: self.mark(before),
        })
    }

    /// The last of [`Tenant::add_user`]'s three phases: the name must still be free (a
    /// user added in between may have taken it); then the user is added.
    ///
    /// # Errors
    /// [`Error::StaleDraft`] for a draft another tenant drew (a tenant built from the
    /// same seed included); [`Error::DuplicateUpn`]; [`Error::HashFailed`]. Nothing
    /// changes then (the RNG goes back to before the draft if nothing drew since).
    pub fn commit_add_user(&mut self, draft: UserDraft) -> Result<UserId> {
        self.check_drawn_here(&draft.rng)?;
        let UserDraft { id, new, hash, rng } = draft;
        if let Err(e) = self
            .state
            .directory
            .check_new_user(&new.user_principal_name)
        {
            self.rewind(&rng);
            return Err(e);
        }
        let password = match hash.map(crate::crypto::PendingHash::finish).transpose() {
            Ok(p) => p,
            Err(e) => {
                // argon2 could not get its memory: nothing changes, the RNG included.
                self.rewind(&rng);
                return Err(e);
            }
        };
        self.state.directory.insert_user(User {
            id,
            user_principal_name: new.user_principal_name.into_boxed_str(),
            display_name: new.display_name.into_boxed_str(),
            user_type: new.user_type,
            federated: new.federated,
            account_enabled: new.account_enabled,
            roles: new.roles.into_iter().collect(),
            member_of: Default::default(),
            password,
            home: None,
        });
        self.state.passes.push(None);
        Ok(id)
    }

    /// The user's pass record, if any.
    pub(crate) fn pass_of(&self, user: UserId) -> Option<&PassRecord> {
        let slot = self.state.directory.slot(user)?;
        self.state.passes.get(slot)?.as_ref()
    }

    /// The user's pass slot, to change it.
    pub(crate) fn pass_slot_mut(&mut self, user: UserId) -> Option<&mut Option<PassRecord>> {
        let slot = self.state.directory.slot(user)?;
        self.state.passes.get_mut(slot)
    }

    /// Sets or replaces a user's password.
    ///
    /// # Errors
    /// [`Error::UserNotFound`], [`Error::InvalidPassword`].
    pub fn set_password(&mut self, user: UserId, password: impl Into<crate::Secret>) -> Result<()> {
        let mut draft = self.prepare_set_password(user, password)?;
        draft.run_hash();
        self.commit_set_password(draft)
    }

    /// The first of [`Tenant::set_password`]'s three phases (see
    /// [`Tenant::prepare_create_pass`]): the checks, and the salt drawn from the tenant's
    /// RNG as `set_password` draws it. Run the draft's hash with no lock held, then
    /// [`Tenant::commit_set_password`].
    ///
    /// ```
    /// # use tapsim::*;
    /// # let mut t = Tenant::builder().hash_cost(HashCost::Minimum).build()?;
    /// let ada = t.add_user(NewUser::member("ada@contoso.com", "Ada"))?;
    /// let mut draft = t.prepare_set_password(ada, "new password")?;
    /// draft.run_hash(); // with no lock held
    /// t.commit_set_password(draft)?;
    /// assert!(t.sign_in("ada@contoso.com", Credential::Password("new password")).is_allowed());
    /// # Ok::<(), tapsim::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`Tenant::set_password`].
    pub fn prepare_set_password(
        &mut self,
        user: UserId,
        password: impl Into<crate::Secret>,
    ) -> Result<PasswordDraft> {
        if self.state.directory.user(user).is_none() {
            return Err(Error::UserNotFound(user.to_string()));
        }
        let password = password.into();
        check_password(&password)?;
        let before = self.state.rng.clone();
        let hash = crate::crypto::PendingHash::draw(
            &self.hasher,
            &mut self.state.rng,
            password.danger_reveal(),
        );
        Ok(PasswordDraft {
            user,
            hash,
            rng: self.mark(before),
        })
    }

    /// The last of [`Tenant::set_password`]'s three phases: the user must still exist;
    /// then the password is stored. A draft whose hash was not run is hashed here.
    ///
    /// # Errors
    /// [`Error::StaleDraft`] for a draft another tenant drew; [`Error::UserNotFound`]
    /// when the user is gone; [`Error::HashFailed`]. Nothing
    /// changes then (the RNG goes back to before the draft if nothing drew since).
    pub fn commit_set_password(&mut self, draft: PasswordDraft) -> Result<()> {
        self.check_drawn_here(&draft.rng)?;
        let PasswordDraft { user, hash, rng } = draft;
        // Defensive: tenants delete no user today, and a draft from a rebuilt tenant is
        // refused above, so the user is still here; were users ever deleted, this is the
        // answer, with nothing changed.
        if self.state.directory.user(user).is_none() {
            self.rewind(&rng);
            return Err(Error::UserNotFound(user.to_string()));
        }
        let hash = match hash.finish() {
            Ok(hash) => hash,
            Err(e) => {
                // argon2 could not get its memory: nothing changes, the RNG included.
                self.rewind(&rng);
                return Err(e);
            }
        };
        if let Some(u) = self.state.directory.user_mut(user) {
            u.password = Some(hash);
        }
        Ok(())
    }

    /// Assigns a directory role (no effect if held).
    ///
    /// # Errors
    /// [`Error::UserNotFound`].
    pub fn assign_role(&mut self, user: UserId, role: Role) -> Result<()> {
        let u = self
            .state
            .directory
            .user_mut(user)
            .ok_or_else(|| Error::UserNotFound(user.to_string()))?;
        u.roles.insert(role);
        Ok(())
    }

    /// Removes a directory role (no effect if not held).
    ///
    /// # Errors
    /// [`Error::UserNotFound`].
    pub fn remove_role(&mut self, user: UserId, role: Role) -> Result<()> {
        let u = self
            .state
            .directory
            .user_mut(user)
            .ok_or_else(|| Error::UserNotFound(user.to_string()))?;
        u.roles.remove(role);
        Ok(())
    }

    /// Enables or disables a user's account.
    ///
    /// # Errors
    /// [`Error::UserNotFound`].
    pub fn set_account_enabled(&mut self, user: UserId, enabled: bool) -> Result<()> {
        let u = self
            .state
            .directory
            .user_mut(user)
            .ok_or_else(|| Error::UserNotFound(user.to_string()))?;
        u.account_enabled = enabled;
        Ok(())
    }

    /// Adds an empty group, named by trusted setup code: the name's length is not
    /// checked. Names that come from outside go through [`Tenant::try_add_group`].
    pub fn add_group(&mut self, display_name: impl Into<String>) -> GroupId {
        let id = GroupId(Guid::random(&mut self.state.rng));
        self.state.directory.insert_group(id, display_name.into());
        id
    }

    /// Adds an empty group, refusing a `displayName` over Entra's 256 characters
    /// ([`crate::MAX_GROUP_DISPLAY_NAME_CHARS`]).
    ///
    /// ```
    /// # use tapsim::*;
    /// # let mut t = Tenant::builder().hash_cost(HashCost::Minimum).build()?;
    /// assert!(t.try_add_group("a".repeat(256)).is_ok());
    /// let err = t.try_add_group("a".repeat(257)).unwrap_err();
    /// assert_eq!(err.code(), ErrorCode::BadRequest);
    /// # Ok::<(), tapsim::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::NameTooLong`]; nothing changes then.
    pub fn try_add_group(&mut self, display_name: impl Into<String>) -> Result<GroupId> {
        let name = display_name.into();
        crate::directory::check_name_length(
            "displayName",
            &name,
            crate::directory::MAX_GROUP_DISPLAY_NAME_CHARS,
        )?;
        Ok(self.add_group(name))
    }

    /// Adds a user or a group to a group. Returns whether it was newly added.
    ///
    /// # Errors
    /// [`Error::GroupNotFound`], [`Error::UserNotFound`], and [`Error::GroupCycle`] when
    /// the group would contain itself.
    pub fn add_member(&mut self, group: GroupId, member: impl Into<Member>) -> Result<bool> {
        self.state.directory.add_member(group, member.into())
    }

    /// Removes a user or a group from a group. Returns whether it was a member.
    ///
    /// # Errors
    /// [`Error::GroupNotFound`], [`Error::UserNotFound`].
    pub fn remove_member(&mut self, group: GroupId, member: impl Into<Member>) -> Result<bool> {
        self.state.directory.remove_member(group, member.into())
    }

    /// A group by id (an observer's view).
    pub fn group(&self, id: GroupId) -> Option<&Group> {
        self.state.directory.group(id)
    }

    // ---- Policy (spec P1 to P8) --------------------------------------------------------

    /// The acting principal, who must be an enabled user of this tenant (spec R1).
    pub(crate) fn actor(&self, actor: UserId) -> Result<&User> {
        let u = self
            .state
            .directory
            .user(actor)
            .ok_or(Error::AccessDenied(Denial::UnknownPrincipal(actor)))?;
        if !u.account_enabled() {
            return Err(Error::AccessDenied(Denial::AccountDisabled(actor)));
        }
        Ok(u)
    }

    /// The target user of an admin call (spec R1: unknown is `itemNotFound`).
    pub(crate) fn target(&self, user: UserId) -> Result<&User> {
        self.state
            .directory
            .user(user)
            .ok_or_else(|| Error::UserNotFound(user.to_string()))
    }

    /// Reads the policy as `actor` (spec P6: Global Reader, Authentication Policy
    /// Administrator, Global Administrator).
    ///
    /// # Errors
    /// `accessDenied` for anyone else.
    pub fn policy(&self, actor: UserId) -> Result<&TapPolicy> {
        authz::check_policy_read(self.actor(actor)?)?;
        Ok(&self.state.policy)
    }

    /// Updates the policy as `actor` (spec P2, P3, P5, P6): merges `patch`, validates the
    /// whole result, and applies it at once or not at all. Leaves one
    /// `Authentication Methods Policy Update` audit record when the policy changes (an
    /// update that changes nothing leaves none, spec R10).
    ///
    /// # Errors
    /// `accessDenied` unless the actor is an Authentication Policy Administrator or a
    /// Global Administrator; `badRequest` ([`Error::Invalid`]) for any invalid field.
    pub fn update_policy(&mut self, actor: UserId, patch: &PolicyPatch) -> Result<TapPolicy> {
        let actor_user = self.actor(actor)?;
        authz::check_policy_write(actor_user)?;
        patch.check_identity()?;
        patch.check_ranges()?;
        let merged = self.state.policy.merged(patch);
        merged.validate(&self.state.directory)?;
        if merged == self.state.policy {
            // Valid, but nothing changes: no state change, no audit record (spec R10).
            return Ok(merged);
        }
        let changes = policy_changes(&self.state.policy, &merged);
        self.state.policy = merged;
        self.audit(
            actor,
            Activity::PolicyUpdate,
            policy_target(changes),
            Vec::new(),
        );
        Ok(self.state.policy.clone())
    }

    /// Updates the policy as `actor` from a Graph PATCH body (spec P3, R1, R3): the actor
    /// and its permission are checked before the body, so an unauthorised caller learns
    /// nothing about its body's validity; then as [`Tenant::update_policy`].
    ///
    /// ```
    /// # use tapsim::*;
    /// # let mut t = Tenant::builder().hash_cost(HashCost::Minimum).clock(ManualClock::new(chrono::DateTime::UNIX_EPOCH)).build()?;
    /// let pol = t.add_user(NewUser::member("pol@contoso.com", "Pol").role(Role::AuthenticationPolicyAdministrator))?;
    /// let bob = t.add_user(NewUser::member("bob@contoso.com", "Bob"))?;
    /// let p = t.update_policy_json(pol, r#"{"state": "enabled", "includeTargets": [{"id": "all_users"}]}"#)?;
    /// assert_eq!(p.state, PolicyState::Enabled);
    /// // Bob may not change the policy: refused before his malformed body is read.
    /// let err = t.update_policy_json(bob, "{not json").unwrap_err();
    /// assert_eq!(err.code(), ErrorCode::AccessDenied);
    /// # Ok::<(), tapsim::Error>(())
    /// ```
    ///
    /// # Errors
    /// `accessDenied` as [`Tenant::update_policy`], then `badRequest` for a body that does
    /// not parse ([`PolicyPatch::from_graph_json`]) or a patch that is invalid.
    pub fn update_policy_json(&mut self, actor: UserId, body: &str) -> Result<TapPolicy> {
        authz::check_policy_write(self.actor(actor)?)?;
        let patch = PolicyPatch::from_graph_json(body)?;
        self.update_policy(actor, &patch)
    }

    /// Resets the policy to the defaults of spec P1 (`state` back to `disabled`, spec
    /// P4, R4). Leaves one `Authentication Methods Policy Reset` audit record, unless the
    /// policy already had its defaults (spec R10: no change, no record).
    ///
    /// # Errors
    /// As [`Tenant::update_policy`].
    pub fn reset_policy(&mut self, actor: UserId) -> Result<TapPolicy> {
        authz::check_policy_write(self.actor(actor)?)?;
        let defaults = TapPolicy::defaults(&self.state.config.switches);
        if defaults == self.state.policy {
            // Already the defaults: no state change, no audit record (spec R10).
            return Ok(defaults);
        }
        let changes = policy_changes(&self.state.policy, &defaults);
        self.state.policy = defaults;
        self.audit(
            actor,
            Activity::PolicyReset,
            policy_target(changes),
            Vec::new(),
        );
        Ok(self.state.policy.clone())
    }

    /// Whether the policy covers `user` now (spec P5).
    pub fn scope_of(&self, user: UserId) -> Scope {
        self.state.policy.scope(
            &self.state.directory,
            user,
            self.state.config.transitive_membership,
        )
    }

    // ---- Audit (spec A1, A2, R10) -----------------------------------------------------

    /// Appends one audit record. Called once per successful state change.
    pub(crate) fn audit(
        &mut self,
        actor: UserId,
        activity: Activity,
        target: TargetResource,
        details: Vec<KeyValue>,
    ) {
        let initiator = self
            .state
            .directory
            .user(actor)
            .map(|u| UserIdentity {
                id: u.id().guid(),
                display_name: u.display_name().to_owned(),
                user_principal_name: u.user_principal_name().to_owned(),
            })
            // Every audited call has resolved its actor first, so the user exists.
            .unwrap_or(UserIdentity {
                id: actor.guid(),
                display_name: String::new(),
                user_principal_name: String::new(),
            });
        let record = AuditRecord {
            id: Guid::random(&mut self.state.rng),
            activity_date_time: self.now(),
            activity_display_name: activity.display_name().to_owned(),
            category: activity.category().to_owned(),
            correlation_id: Guid::random(&mut self.state.rng),
            initiated_by: AuditInitiator { user: initiator },
            logged_by_service: activity.logged_by_service().to_owned(),
            operation_type: activity.operation_type().to_owned(),
            result: "success".to_owned(),
            result_reason: activity.result_reason().to_owned(),
            target_resources: vec![target],
            additional_details: details,
        };
        self.state.audit_log.push(record);
        self.trim_logs();
    }

    /// An audit target for a user.
    pub(crate) fn user_target(&self, user: UserId, props: Vec<ModifiedProperty>) -> TargetResource {
        let u = self.state.directory.user(user);
        TargetResource {
            id: user.to_string(),
            display_name: u.map(|u| u.display_name().to_owned()).unwrap_or_default(),
            kind: "User".to_owned(),
            user_principal_name: u.map(|u| u.user_principal_name().to_owned()),
            modified_properties: props,
        }
    }
}

/// A user being added in three phases ([`Tenant::prepare_add_user`]), committed into
/// the tenant that drew it only. Holds the password and the RNG's position: not `Clone`,
/// not `Serialize`, its hash out of reach (spec T4); `Debug` redacts both.
pub struct UserDraft {
    id: UserId,
    new: NewUser,
    /// The argon2id hash of the password, if one is given.
    hash: Option<crate::crypto::PendingHash>,
    rng: crate::lifecycle::RngMark,
}

impl fmt::Debug for UserDraft {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserDraft")
            .field("id", &self.id)
            .field("user_principal_name", &self.new.user_principal_name)
            .field("hash", &self.hash)
            .finish_non_exhaustive()
    }
}

impl UserDraft {
    /// The id the user will have.
    pub fn id(&self) -> UserId {
        self.id
    }

    /// Computes the argon2id hash of the password, if one is given, the slow part: call
    /// it with no lock held. Once; later calls do nothing (a commit hashes a draft not
    /// run).
    pub fn run_hash(&mut self) {
        if let Some(hash) = &mut self.hash {
            hash.run();
        }
    }
}

/// A password being set in three phases ([`Tenant::prepare_set_password`]), committed
/// into the tenant that drew it only. Holds the password and the RNG's position: not
/// `Clone`, not `Serialize`, its hash out of reach (spec T4); `Debug` redacts both.
pub struct PasswordDraft {
    user: UserId,
    /// The argon2id hash of the password.
    hash: crate::crypto::PendingHash,
    rng: crate::lifecycle::RngMark,
}

impl PasswordDraft {
    /// Computes the argon2id hash of the password, the slow part: call it with no lock
    /// held. Once; later calls do nothing (a commit hashes a draft not run).
    pub fn run_hash(&mut self) {
        self.hash.run();
    }
}

impl fmt::Debug for PasswordDraft {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordDraft")
            .field("user", &self.user)
            .field("hash", &self.hash)
            .finish_non_exhaustive()
    }
}

/// Passwords have 1 to 256 characters: Entra's upper limit; its complexity policy is
/// not simulated \[sim\].
fn check_password(p: &crate::Secret) -> Result<()> {
    let n = p.danger_reveal().chars().count();
    if (1..=256).contains(&n) {
        Ok(())
    } else {
        Err(Error::InvalidPassword(n))
    }
}

fn policy_target(changes: Vec<ModifiedProperty>) -> TargetResource {
    TargetResource {
        id: crate::policy::POLICY_ID.to_owned(),
        display_name: "Temporary Access Pass".to_owned(),
        kind: "Policy".to_owned(),
        user_principal_name: None,
        modified_properties: changes,
    }
}

/// The policy fields that differ, as modified properties with JSON values.
fn policy_changes(old: &TapPolicy, new: &TapPolicy) -> Vec<ModifiedProperty> {
    let (Ok(serde_json::Value::Object(a)), Ok(serde_json::Value::Object(b))) =
        (serde_json::to_value(old), serde_json::to_value(new))
    else {
        return Vec::new();
    };
    b.iter()
        .filter(|(k, v)| a.get(*k) != Some(*v))
        .map(|(k, v)| ModifiedProperty {
            display_name: k.clone(),
            old_value: a.get(k).map(|v| v.to_string()),
            new_value: Some(v.to_string()),
        })
        .collect()
}
