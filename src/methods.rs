//! Authentication methods (spec M1 to M5): kinds, registration, possession, removal.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize, Serializer};

use crate::crypto::{PhcHash, Secret};
use crate::ids::{MethodId, UserId};

/// A kind of authentication method (spec M1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum MethodKind {
    /// The password (set by the directory, not registered).
    Password,
    /// Microsoft Authenticator approving a push after the password.
    MicrosoftAuthenticatorPush,
    /// Microsoft Authenticator passwordless phone sign-in.
    MicrosoftAuthenticatorPasswordless,
    /// A FIDO2 security key.
    Fido2SecurityKey,
    /// A passkey (device-bound or synced FIDO2 credential).
    Passkey,
    /// Windows Hello for Business.
    WindowsHelloForBusiness,
    /// A code by text message, after the password.
    Sms,
    /// A voice call, after the password.
    Voice,
    /// A software OATH token code, after the password.
    SoftwareOath,
    /// A Temporary Access Pass (issued by an admin, not registered).
    TemporaryAccessPass,
    /// A passkey held in Microsoft Authenticator (spec B2's M5 amended): a device-bound
    /// FIDO2 credential, which Graph lists as a `fido2AuthenticationMethod` with
    /// Authenticator's AAGUID ([`AUTHENTICATOR_PASSKEY_AAGUID`]). Registrable only with
    /// the `authenticator_passkey` switch on (profile `Current`).
    AuthenticatorPasskey,
}

/// The AAGUID of a passkey in Microsoft Authenticator for iOS, as Microsoft documents
/// it ("Enable passkeys in Authenticator"): the `aaGuid` of an
/// [`MethodKind::AuthenticatorPasskey`] in Graph. (Authenticator for Android's is
/// `de1e552d-db1d-4423-a619-566b625cdc84`; tapsim's Authenticator is the iOS one \[sim\].)
pub const AUTHENTICATOR_PASSKEY_AAGUID: &str = "90a3ccdf-635c-4729-a248-9b709135078f";

/// The `model` Graph gives a passkey in Microsoft Authenticator for iOS (the name
/// Microsoft's AAGUID table gives [`AUTHENTICATOR_PASSKEY_AAGUID`]).
pub const AUTHENTICATOR_PASSKEY_MODEL: &str = "Microsoft Authenticator for iOS";

impl MethodKind {
    /// Every kind.
    pub const ALL: [MethodKind; 11] = [
        MethodKind::Password,
        MethodKind::MicrosoftAuthenticatorPush,
        MethodKind::MicrosoftAuthenticatorPasswordless,
        MethodKind::Fido2SecurityKey,
        MethodKind::Passkey,
        MethodKind::WindowsHelloForBusiness,
        MethodKind::Sms,
        MethodKind::Voice,
        MethodKind::SoftwareOath,
        MethodKind::TemporaryAccessPass,
        MethodKind::AuthenticatorPasskey,
    ];

    /// The name the sign-in log's `authenticationMethod` uses.
    pub const fn display_name(self) -> &'static str {
        match self {
            MethodKind::Password => "Password",
            MethodKind::MicrosoftAuthenticatorPush => "Mobile app notification",
            MethodKind::MicrosoftAuthenticatorPasswordless => "Passwordless phone sign-in",
            MethodKind::Fido2SecurityKey => "FIDO2 security key",
            MethodKind::Passkey => "Passkey",
            MethodKind::WindowsHelloForBusiness => "Windows Hello for Business",
            MethodKind::Sms => "Text message",
            MethodKind::Voice => "Phone call",
            MethodKind::SoftwareOath => "OATH verification code",
            MethodKind::TemporaryAccessPass => "Temporary Access Pass",
            MethodKind::AuthenticatorPasskey => "Passkey (Microsoft Authenticator)",
        }
    }

    /// Whether a user can register it at My Security Info (spec R9: not the password,
    /// not a pass).
    pub const fn is_registrable(self) -> bool {
        !matches!(self, MethodKind::Password | MethodKind::TemporaryAccessPass)
    }

    /// Whether it signs in alone and satisfies MFA (spec R8). The others registrable
    /// kinds need the password as well.
    pub const fn is_passwordless(self) -> bool {
        matches!(
            self,
            MethodKind::Fido2SecurityKey
                | MethodKind::Passkey
                | MethodKind::AuthenticatorPasskey
                | MethodKind::MicrosoftAuthenticatorPasswordless
                | MethodKind::WindowsHelloForBusiness
        )
    }

    /// Whether registering it after a one-time pass must happen within ten minutes
    /// (spec S6, R9).
    pub const fn has_registration_window(self) -> bool {
        matches!(
            self,
            MethodKind::Fido2SecurityKey
                | MethodKind::Passkey
                | MethodKind::AuthenticatorPasskey
                | MethodKind::MicrosoftAuthenticatorPasswordless
        )
    }

    /// The Graph `@odata.type` of the method's resource.
    pub const fn odata_type(self) -> &'static str {
        match self {
            MethodKind::Password => "#microsoft.graph.passwordAuthenticationMethod",
            MethodKind::MicrosoftAuthenticatorPush
            | MethodKind::MicrosoftAuthenticatorPasswordless => {
                "#microsoft.graph.microsoftAuthenticatorAuthenticationMethod"
            }
            MethodKind::Fido2SecurityKey
            | MethodKind::Passkey
            | MethodKind::AuthenticatorPasskey => "#microsoft.graph.fido2AuthenticationMethod",
            MethodKind::WindowsHelloForBusiness => {
                "#microsoft.graph.windowsHelloForBusinessAuthenticationMethod"
            }
            MethodKind::Sms | MethodKind::Voice => "#microsoft.graph.phoneAuthenticationMethod",
            MethodKind::SoftwareOath => "#microsoft.graph.softwareOathAuthenticationMethod",
            MethodKind::TemporaryAccessPass => crate::pass::PASS_ODATA_TYPE,
        }
    }
}

impl fmt::Display for MethodKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.display_name())
    }
}

impl std::str::FromStr for MethodKind {
    type Err = String;
    /// Parses the camelCase serde name (`fido2SecurityKey`) or the display name.
    fn from_str(s: &str) -> Result<Self, String> {
        MethodKind::ALL
            .into_iter()
            .find(|k| {
                k.display_name().eq_ignore_ascii_case(s)
                    || serde_json::to_value(k)
                        .ok()
                        .and_then(|v| v.as_str().map(|n| n.eq_ignore_ascii_case(s)))
                        .unwrap_or(false)
            })
            .ok_or_else(|| format!("unknown method kind `{s}`"))
    }
}

/// A registered method, as stored: the hash of its device's secret, never the secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MethodRecord {
    pub(crate) id: MethodId,
    pub(crate) kind: MethodKind,
    pub(crate) display_name: String,
    #[serde(with = "crate::graph::datetime")]
    pub(crate) created: DateTime<Utc>,
    pub(crate) hash: PhcHash,
}

impl MethodRecord {
    /// The method's id.
    pub fn id(&self) -> MethodId {
        self.id
    }
    /// Its kind.
    pub fn kind(&self) -> MethodKind {
        self.kind
    }
    /// The name given at registration (a key's label, a phone's number, ...).
    pub fn display_name(&self) -> &str {
        &self.display_name
    }
    /// When it was registered.
    pub fn created(&self) -> DateTime<Utc> {
        self.created
    }
}

impl Serialize for MethodView {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("@odata.type", self.kind.odata_type())?;
        m.serialize_entry("id", &self.id)?;
        m.serialize_entry(
            "createdDateTime",
            &crate::graph::format_datetime(&self.created_date_time),
        )?;
        match self.kind {
            // Every property v1.0 declares for each type (spec G3); what tapsim does not
            // model is null. Navigation properties (`device`) come only with `$expand`.
            MethodKind::Sms | MethodKind::Voice => {
                m.serialize_entry("phoneNumber", &self.display_name)?;
                m.serialize_entry("phoneType", "mobile")?;
                m.serialize_entry("smsSignInState", &None::<()>)?;
            }
            // Graph never reads a secret key back.
            MethodKind::SoftwareOath => m.serialize_entry("secretKey", &None::<()>)?,
            MethodKind::MicrosoftAuthenticatorPush
            | MethodKind::MicrosoftAuthenticatorPasswordless => {
                m.serialize_entry("displayName", &self.display_name)?;
                m.serialize_entry("deviceTag", &None::<()>)?;
                m.serialize_entry("phoneAppVersion", &None::<()>)?;
            }
            MethodKind::WindowsHelloForBusiness => {
                m.serialize_entry("displayName", &self.display_name)?;
                m.serialize_entry("keyStrength", &None::<()>)?;
            }
            // Graph never reads a password back.
            MethodKind::Password => m.serialize_entry("password", &None::<()>)?,
            MethodKind::Fido2SecurityKey
            | MethodKind::Passkey
            | MethodKind::AuthenticatorPasskey => {
                // Every property v1.0 declares for fido2AuthenticationMethod, whatever the
                // kind (spec G3): what tapsim does not model is null or []. A passkey in
                // Authenticator has its AAGUID and model; a security key is device-bound;
                // a passkey may be either. tapsim simulates no attestation service, and
                // `publicKeyCredential` is only ever sent at registration [sim].
                let authenticator = self.kind == MethodKind::AuthenticatorPasskey;
                m.serialize_entry("displayName", &self.display_name)?;
                m.serialize_entry(
                    "aaGuid",
                    &authenticator.then_some(AUTHENTICATOR_PASSKEY_AAGUID),
                )?;
                m.serialize_entry(
                    "model",
                    &authenticator.then_some(AUTHENTICATOR_PASSKEY_MODEL),
                )?;
                m.serialize_entry("attestationCertificates", &[] as &[&str])?;
                m.serialize_entry("attestationLevel", &authenticator.then_some("notAttested"))?;
                m.serialize_entry(
                    "passkeyType",
                    &(self.kind != MethodKind::Passkey).then_some("deviceBound"),
                )?;
                m.serialize_entry("publicKeyCredential", &None::<()>)?;
            }
            // A pass is never a registered method: Graph reads it as the pass
            // (`graph::pass_v1`), and `MethodView` is only made of registered methods.
            MethodKind::TemporaryAccessPass => {}
        }
        m.end()
    }
}

/// A registered method as read through Graph (never a secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MethodView {
    /// `id`.
    pub id: MethodId,
    /// The kind.
    pub kind: MethodKind,
    /// `displayName` (or `phoneNumber` for phones).
    pub display_name: String,
    /// `createdDateTime`.
    pub created_date_time: DateTime<Utc>,
}

impl From<&MethodRecord> for MethodView {
    fn from(r: &MethodRecord) -> MethodView {
        MethodView {
            id: r.id,
            kind: r.kind,
            display_name: r.display_name.clone(),
            created_date_time: r.created,
        }
    }
}

/// A device the simulated user holds: the only way to sign in with a registered method
/// (spec M3). Holds the device's own secret; not `Clone`, not `Serialize`, and its
/// `Debug` redacts the secret. Dropping it is losing the device.
#[derive(Debug)]
pub struct Device {
    pub(crate) user: UserId,
    pub(crate) method: MethodId,
    pub(crate) kind: MethodKind,
    pub(crate) secret: Secret,
}

impl Device {
    /// The user the device was registered for.
    pub fn user(&self) -> UserId {
        self.user
    }
    /// The registered method it proves.
    pub fn method(&self) -> MethodId {
        self.method
    }
    /// Its kind.
    pub fn kind(&self) -> MethodKind {
        self.kind
    }
    /// The device's secret. Whatever you do with it can leak it.
    pub fn danger_secret(&self) -> &Secret {
        &self.secret
    }
    /// A device that claims to be `method` of `user` with a secret of the caller's
    /// choosing: a forgery, for testing that possession is really checked.
    pub fn danger_forge(user: UserId, method: MethodId, kind: MethodKind, secret: &str) -> Device {
        Device {
            user,
            method,
            kind,
            secret: Secret::from(secret),
        }
    }
}

use crate::audit::{Activity, ModifiedProperty};
use crate::authz::{self, PassOperation};
use crate::error::{Denial, Error, Result};
use crate::ids::{Guid, SessionId};
use crate::signin::{SessionSource, SessionStatus};

use crate::tenant::Tenant;

/// How long after a one-time pass sign-in passwordless methods may be registered
/// (spec S6, `Docs2025`), and how fresh the last multifactor proof must be to register
/// anything (spec B2's S6, `Current`).
pub const REGISTRATION_WINDOW_MINUTES: i64 = 10;

impl Tenant {
    /// Registers a method at My Security Info, inside `session` (spec M2, M3, M5, S6,
    /// R9). Returns the device the user now holds: the only way to sign in with the
    /// method. Leaves one `User registered security info` record.
    ///
    /// # Errors
    /// In R9's order: [`Error::SessionNotFound`]; `accessDenied` when the session has
    /// ended (spec R15: revoked too), rests on a home-tenant session this tenant cannot
    /// see (a guest's: use [`crate::World::register_method`]), belongs to a disabled
    /// user (spec R15), or does not satisfy MFA; `badRequest` for the password or a
    /// pass; then, with B2's `mfa_freshness` on (`Current`), `accessDenied`
    /// ([`Denial::MfaNotFresh`]) when the session's [`crate::Session::last_mfa`] is 10
    /// minutes old or more, for every kind; with it off (`Docs2025`), `accessDenied`
    /// outside the ten-minute window for passwordless kinds in sessions from a one-time
    /// pass.
    ///
    /// ```
    /// # use chrono::{Duration, TimeZone, Utc};
    /// # use tapsim::*;
    /// # let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap());
    /// # let mut t = Tenant::builder().clock(clock.clone()).hash_cost(HashCost::Minimum).build()?;
    /// # let pol = t.add_user(NewUser::member("pol@contoso.com", "Pol").role(Role::AuthenticationPolicyAdministrator))?;
    /// # t.update_policy(pol, &PolicyPatch::new().state(PolicyState::Enabled))?;
    /// # let hd = t.add_user(NewUser::member("hd@contoso.com", "HD").role(Role::AuthenticationAdministrator))?;
    /// # let ada = t.add_user(NewUser::member("ada@contoso.com", "Ada"))?;
    /// let issued = t.create_pass(hd, ada, PassOptions::new().usable_once(true))?;
    /// let session = t.sign_in("ada@contoso.com", Credential::Pass(issued.secret.danger_reveal()))
    ///     .session().unwrap().id();
    /// let key = t.register_method(session, MethodKind::Fido2SecurityKey, "YubiKey 5")?;
    /// assert!(t.sign_in("ada@contoso.com", Credential::Device(&key)).is_allowed());
    /// clock.advance(Duration::minutes(10));
    /// let late = t.register_method(session, MethodKind::Passkey, "phone").unwrap_err();
    /// assert_eq!(late.code(), ErrorCode::AccessDenied);
    /// # Ok::<(), tapsim::Error>(())
    /// ```
    pub fn register_method(
        &mut self,
        session: SessionId,
        kind: MethodKind,
        display_name: impl Into<String>,
    ) -> Result<Device> {
        self.register_method_with(session, None, kind, display_name.into())
    }

    /// [`Tenant::register_method`], with the status of the home session the session
    /// rests on, when the caller ([`crate::World`]) can see it.
    pub(crate) fn register_method_with(
        &mut self,
        session: SessionId,
        home: Option<SessionStatus>,
        kind: MethodKind,
        display_name: String,
    ) -> Result<Device> {
        let mut draft = self.prepare_register_method_with(session, home, kind, display_name)?;
        draft.run_hash();
        self.commit_register_method_with(draft, home)
    }

    /// Every check of [`Tenant::register_method`], in R9's order, against the tenant as
    /// it is now; the session's user. MFA freshness and the one-time pass's window are
    /// judged at `began`, when registration began (B2's S6: "less than 10 minutes old
    /// when registration begins"): the prepare phase's time, which a commit keeps.
    fn check_registration(
        &self,
        session: SessionId,
        home: Option<SessionStatus>,
        kind: MethodKind,
        display_name: &str,
        began: chrono::DateTime<chrono::Utc>,
    ) -> Result<UserId> {
        let s = self.live_session(session, home)?;
        // A disabled user's sessions register nothing until the account is enabled (R15).
        let user = s.user();
        match self.state.directory.user(user) {
            None => return Err(Error::UserNotFound(user.to_string())),
            Some(u) if !u.account_enabled() => {
                return Err(Denial::AccountDisabled(user).into());
            }
            Some(_) => {}
        }
        if !s.satisfies_mfa() {
            return Err(Denial::SessionNotMultifactor.into());
        }
        if !kind.is_registrable() {
            return Err(Error::NotRegistrable(kind.display_name()));
        }
        self.check_kind_switched_on(kind)?;
        if self.state.config.switches.mfa_freshness {
            // B2's S6: the last multifactor proof must be less than 10 minutes old, for
            // every kind, in every session.
            let fresh = s
                .last_mfa()
                .is_some_and(|t| began < crate::pass::add_minutes(t, REGISTRATION_WINDOW_MINUTES));
            if !fresh {
                return Err(Denial::MfaNotFresh.into());
            }
        } else {
            let one_time = matches!(s.source(), SessionSource::Pass { one_time: true, .. });
            let window_end = crate::pass::add_minutes(s.signed_in(), REGISTRATION_WINDOW_MINUTES);
            if one_time && kind.has_registration_window() && began >= window_end {
                return Err(Denial::RegistrationWindowClosed.into());
            }
        }
        check_method_name(display_name)?;
        Ok(user)
    }

    /// The first of [`Tenant::register_method`]'s three phases (see
    /// [`Tenant::prepare_create_pass`]): every check, then the method's id, the device's
    /// secret and the salt drawn from the tenant's RNG as `register_method` draws them.
    /// Run the draft's hash with no lock held, then [`Tenant::commit_register_method`].
    ///
    /// # Errors
    /// As [`Tenant::register_method`].
    pub fn prepare_register_method(
        &mut self,
        session: SessionId,
        kind: MethodKind,
        display_name: impl Into<String>,
    ) -> Result<MethodDraft> {
        self.prepare_register_method_with(session, None, kind, display_name.into())
    }

    /// The last of [`Tenant::register_method`]'s three phases: every check again,
    /// against the tenant as it is now (the session still valid, the user still there
    /// and enabled, the kind still switched on), then the method stored. MFA freshness
    /// and the one-time pass's window are judged at the time the draft was prepared,
    /// when registration began (B2's S6), not at commit: a slow hash or a busy lock does
    /// not close them. A draft whose hash was not run is hashed here.
    ///
    /// # Errors
    /// [`Error::StaleDraft`] (`conflict`) for a draft another tenant drew (spec T4). Then
    /// as [`Tenant::register_method`], from the checks made now. A refused commit changes
    /// nothing (the RNG goes back to before the draft if nothing drew since).
    pub fn commit_register_method(&mut self, draft: MethodDraft) -> Result<Device> {
        self.commit_register_method_with(draft, None)
    }

    /// [`Tenant::prepare_register_method`], seeing the home session a guest's session
    /// rests on.
    pub(crate) fn prepare_register_method_with(
        &mut self,
        session: SessionId,
        home: Option<SessionStatus>,
        kind: MethodKind,
        display_name: String,
    ) -> Result<MethodDraft> {
        let began = self.now();
        let user = self.check_registration(session, home, kind, &display_name, began)?;
        let before = self.state.rng.clone();
        let id = MethodId(Guid::random(&mut self.state.rng));
        let secret = crate::crypto::generate_secret(&mut self.state.rng, 32);
        let hash = crate::crypto::PendingHash::draw(&self.hasher, &mut self.state.rng, &secret);
        Ok(MethodDraft {
            session,
            user,
            kind,
            display_name,
            id,
            secret,
            hash,
            began,
            rng: self.mark(before),
        })
    }

    /// [`Tenant::commit_register_method`], seeing the home session a guest's session
    /// rests on.
    pub(crate) fn commit_register_method_with(
        &mut self,
        draft: MethodDraft,
        home: Option<SessionStatus>,
    ) -> Result<Device> {
        self.check_drawn_here(&draft.rng)?;
        // Freshness and the window are judged when registration began, so a slow hash or
        // a busy lock does not close them; but a registration has those ten minutes to
        // finish [sim]: a draft held longer is judged now, as a new one would be.
        let now = self.now();
        let judged_at = if now >= crate::pass::add_minutes(draft.began, REGISTRATION_WINDOW_MINUTES)
        {
            now
        } else {
            draft.began
        };
        let checked = self.check_registration(
            draft.session,
            home,
            draft.kind,
            &draft.display_name,
            judged_at,
        );
        let user = match checked {
            Ok(user) if user == draft.user => user,
            Ok(user) => {
                // Sessions keep their user: unreachable, refused rather than mixed up.
                self.rewind(&draft.rng);
                return Err(Error::UserNotFound(user.to_string()));
            }
            Err(e) => {
                self.rewind(&draft.rng);
                return Err(e);
            }
        };
        let MethodDraft {
            kind,
            display_name,
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
        let (device, props) = self.store_method(user, kind, display_name, id, secret, hash);
        let target = self.user_target(user, props);
        self.audit(user, Activity::UserRegisteredMethod, target, Vec::new());
        Ok(device)
    }

    /// Gives `user` a registered method as part of the simulation's setup, with no
    /// session, permission check or audit record \[sim\]: for users who "already have"
    /// Microsoft Authenticator when a story begins. Users register methods themselves
    /// with [`Tenant::register_method`].
    ///
    /// # Errors
    /// [`Error::UserNotFound`]; `badRequest` for the password or a pass.
    pub fn provision_method(
        &mut self,
        user: UserId,
        kind: MethodKind,
        display_name: impl Into<String>,
    ) -> Result<Device> {
        self.target(user)?;
        if !kind.is_registrable() {
            return Err(Error::NotRegistrable(kind.display_name()));
        }
        self.check_kind_switched_on(kind)?;
        let display_name = display_name.into();
        check_method_name(&display_name)?;
        let (device, _) = self.insert_method(user, kind, display_name)?;
        Ok(device)
    }

    fn insert_method(
        &mut self,
        user: UserId,
        kind: MethodKind,
        display_name: String,
    ) -> Result<(Device, Vec<ModifiedProperty>)> {
        let rng_before = self.state.rng.clone();
        let id = MethodId(Guid::random(&mut self.state.rng));
        let secret = crate::crypto::generate_secret(&mut self.state.rng, 32);
        let hash = match self.hasher.hash(&mut self.state.rng, &secret) {
            Ok(hash) => hash,
            Err(e) => {
                // argon2 could not get its memory: nothing changes, the RNG included.
                self.state.rng = rng_before;
                return Err(e);
            }
        };
        Ok(self.store_method(user, kind, display_name, id, secret, hash))
    }

    /// Stores a method whose secret is hashed; returns the device that proves it.
    fn store_method(
        &mut self,
        user: UserId,
        kind: MethodKind,
        display_name: String,
        id: MethodId,
        secret: zeroize::Zeroizing<String>,
        hash: PhcHash,
    ) -> (Device, Vec<ModifiedProperty>) {
        let record = MethodRecord {
            id,
            kind,
            display_name,
            created: self.now(),
            hash,
        };
        let props = method_properties(&record, false);
        self.state
            .sign_in
            .methods
            .entry(user)
            .or_default()
            .push(record);
        let device = Device {
            user,
            method: id,
            kind,
            secret: Secret::new(secret),
        };
        (device, props)
    }

    /// Lists `user`'s registered methods as `actor` (spec T9's read rules).
    ///
    /// # Errors
    /// `accessDenied`, `itemNotFound` for an unknown user.
    pub fn list_methods(&self, actor: UserId, user: UserId) -> Result<Vec<MethodView>> {
        authz::check_pass_access(self.actor(actor)?, self.target(user)?, PassOperation::Read)?;
        Ok(self.methods_of(user).iter().map(MethodView::from).collect())
    }

    /// The user's registered methods (an observer's view).
    pub fn methods_of(&self, user: UserId) -> &[MethodRecord] {
        self.state
            .sign_in
            .methods
            .get(&user)
            .map_or(&[], Vec::as_slice)
    }

    /// Removes a registered method, as the user or as an admin within T9's limits (spec
    /// M4, R2). A removed method no longer signs in; no session ends (spec R7). Leaves
    /// one `User deleted security info` or `Admin deleted security info` record.
    ///
    /// # Errors
    /// `accessDenied`, `itemNotFound` for an unknown user or method.
    pub fn remove_method(&mut self, actor: UserId, user: UserId, method: MethodId) -> Result<()> {
        authz::check_pass_access(
            self.actor(actor)?,
            self.target(user)?,
            PassOperation::Delete,
        )?;
        let not_found = || Error::MethodNotFound(method.to_string());
        let methods = self
            .state
            .sign_in
            .methods
            .get_mut(&user)
            .ok_or_else(not_found)?;
        let pos = methods
            .iter()
            .position(|m| m.id == method)
            .ok_or_else(not_found)?;
        let removed = methods.remove(pos);
        if methods.is_empty() {
            self.state.sign_in.methods.remove(&user);
        }
        let activity = if actor == user {
            Activity::UserDeletedMethod
        } else {
            Activity::AdminDeletedMethod
        };
        let target = self.user_target(user, method_properties(&removed, true));
        self.audit(actor, activity, target, Vec::new());
        Ok(())
    }
}

/// A method being registered in three phases ([`Tenant::prepare_register_method`]),
/// committed into the tenant that drew it only. Holds the device's secret and the RNG's
/// position: not `Clone`, not `Serialize`, its hash out of reach (spec T4); `Debug`
/// redacts both.
pub struct MethodDraft {
    session: SessionId,
    user: UserId,
    kind: MethodKind,
    display_name: String,
    id: MethodId,
    secret: zeroize::Zeroizing<String>,
    /// The argon2id hash of the device's secret.
    hash: crate::crypto::PendingHash,
    /// When registration began (the prepare phase): MFA freshness is judged then.
    began: chrono::DateTime<chrono::Utc>,
    rng: crate::lifecycle::RngMark,
}

impl fmt::Debug for MethodDraft {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MethodDraft")
            .field("session", &self.session)
            .field("user", &self.user)
            .field("kind", &self.kind)
            .field("hash", &self.hash)
            .finish_non_exhaustive()
    }
}

impl MethodDraft {
    /// The session the method is being registered in.
    pub fn session(&self) -> SessionId {
        self.session
    }

    /// Computes the argon2id hash of the device's secret, the slow part: call it with no
    /// lock held. Once; later calls do nothing (a commit hashes a draft not run).
    pub fn run_hash(&mut self) {
        self.hash.run();
    }
}

/// The longest display name (or phone number) a registered method keeps, in characters
/// \[sim\]: Entra's display-name length.
pub const MAX_METHOD_NAME_CHARS: usize = 256;

/// Checks a method's display name against [`MAX_METHOD_NAME_CHARS`].
fn check_method_name(name: &str) -> Result<()> {
    crate::directory::check_name_length("method displayName", name, MAX_METHOD_NAME_CHARS)
}

fn method_properties(m: &MethodRecord, deleted: bool) -> Vec<ModifiedProperty> {
    [
        ("MethodId", m.id.to_string()),
        ("MethodType", m.kind.display_name().to_owned()),
        ("DisplayName", m.display_name.clone()),
    ]
    .into_iter()
    .map(|(name, value)| ModifiedProperty {
        display_name: name.to_owned(),
        old_value: deleted.then(|| value.clone()),
        new_value: (!deleted).then_some(value),
    })
    .collect()
}

impl Tenant {
    /// Whether the tenant's rules know `kind` (spec B2): a passkey in Microsoft
    /// Authenticator exists only with the `authenticator_passkey` switch on (M5 amended,
    /// `Current`); with it off (`Docs2025`, `Preview2021`) registering or provisioning one
    /// is `badRequest` \[sim\].
    fn check_kind_switched_on(&self, kind: MethodKind) -> Result<()> {
        if kind == MethodKind::AuthenticatorPasskey
            && !self.state.config.switches.authenticator_passkey
        {
            return Err(Error::MethodKindSwitchedOff {
                kind: kind.display_name(),
                switch: "authenticator_passkey",
            });
        }
        Ok(())
    }
}
