//! The account-recovery story of the seed story, told end to end with narration.
//!
//! [`account_recovery`] walks every step against a real [`Tenant`], checks that each
//! step turns out as the rules say, and returns the narrated chapters with the tenant.
//! `examples/account_recovery.rs` prints it and `tests/story.rs` asserts it; the
//! built-in lab `docs/labs/account-recovery.toml` tells the same story as a scenario
//! file.

use chrono::{DateTime, Duration, TimeZone, Utc};

use tapsim::{
    Credential, DenialReason, Error, ErrorCode, HashCost, ManualClock, MethodKind, NewUser,
    PassOptions, PolicyPatch, PolicyState, Role, Switches, Tenant, UsabilityReason, UserId,
};

/// One step of the story: a title, the rules it exercises, and what happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chapter {
    /// The step's title.
    pub title: String,
    /// The spec rule ids the step exercises.
    pub rules: Vec<&'static str>,
    /// What happened, one line per event.
    pub lines: Vec<String>,
}

/// The story's result: its chapters, and the tenants it ran on.
#[derive(Debug)]
pub struct Story {
    /// The chapters, in order.
    pub chapters: Vec<Chapter>,
    /// The tenant the story ran on.
    pub tenant: Tenant,
    /// The plain-`Current` tenant of the epilogue (pass replacement, spec T5), if the
    /// story's tenant had the delete-first switch on.
    pub epilogue_tenant: Option<Tenant>,
    /// The story's clock.
    pub clock: ManualClock,
    /// The recovering user.
    pub user: UserId,
}

/// A step did not turn out as the rules say.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the story went off the rules at \"{chapter}\": {what}")]
pub struct StoryError {
    /// The chapter.
    pub chapter: String,
    /// What went wrong.
    pub what: String,
}

/// How to tell the story.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoryOptions {
    /// The rules' switches. The seed story runs `Current` with the delete-first switch on.
    pub switches: Switches,
    /// argon2id cost (production in the lab).
    pub hash_cost: HashCost,
    /// The RNG seed.
    pub seed: u64,
}

impl Default for StoryOptions {
    /// The seed story's own setting: `Current` with `delete_before_create`, production
    /// hash cost, seed 2021.
    fn default() -> StoryOptions {
        StoryOptions {
            switches: Switches::current().delete_before_create(true),
            hash_cost: HashCost::Production,
            seed: 2021,
        }
    }
}

/// The story's first instant: Monday 2026-01-05 09:00 UTC.
pub fn story_start() -> DateTime<Utc> {
    // A fixed, valid calendar date: `single` cannot be `None`.
    Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0)
        .single()
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
}

struct Teller {
    chapters: Vec<Chapter>,
}

impl Teller {
    fn chapter(&mut self, title: &str, rules: &[&'static str]) {
        self.chapters.push(Chapter {
            title: title.to_owned(),
            rules: rules.to_vec(),
            lines: Vec::new(),
        });
    }
    fn say(&mut self, line: impl Into<String>) {
        if let Some(c) = self.chapters.last_mut() {
            c.lines.push(line.into());
        }
    }
    fn fail(&self, what: impl Into<String>) -> StoryError {
        StoryError {
            chapter: self
                .chapters
                .last()
                .map(|c| c.title.clone())
                .unwrap_or_default(),
            what: what.into(),
        }
    }
    fn ok<T>(&self, r: Result<T, Error>) -> Result<T, StoryError> {
        r.map_err(|e| self.fail(format!("unexpected error: {e}")))
    }
    fn expect(&self, cond: bool, what: &str) -> Result<(), StoryError> {
        if cond { Ok(()) } else { Err(self.fail(what)) }
    }
}

/// Tells the account-recovery story (see the seed story) and checks every step.
///
/// ```
/// use tapsim_lab::story::{account_recovery, StoryOptions};
/// use tapsim::HashCost;
/// let story = account_recovery(StoryOptions { hash_cost: HashCost::Minimum, ..StoryOptions::default() })?;
/// assert!(story.chapters.iter().any(|c| c.rules.contains(&"S1")));
/// # Ok::<(), tapsim_lab::story::StoryError>(())
/// ```
///
/// # Errors
/// [`StoryError`] if any step turns out other than the rules say (a bug in tapsim).
pub fn account_recovery(options: StoryOptions) -> Result<Story, StoryError> {
    let mut t = Teller {
        chapters: Vec::new(),
    };
    let clock = ManualClock::new(story_start());
    let sw = options.switches;

    t.chapter("The cast", &["B1"]);
    let mut tenant = t.ok(Tenant::builder()
        .seed(options.seed)
        .switches(sw)
        .hash_cost(options.hash_cost)
        .clock(clock.clone())
        .build())?;
    let policy_admin = t.ok(tenant.add_user(
        NewUser::member("pat@contoso.com", "Pat (policy admin)")
            .role(Role::AuthenticationPolicyAdministrator),
    ))?;
    let helpdesk = t.ok(tenant.add_user(
        NewUser::member("hana@contoso.com", "Hana (help desk)")
            .role(Role::AuthenticationAdministrator),
    ))?;
    let user = t
        .ok(tenant.add_user(NewUser::member("alex@contoso.com", "Alex").password("Summer-2025!")))?;
    let phone = t.ok(tenant.provision_method(
        user,
        MethodKind::MicrosoftAuthenticatorPush,
        "Alex's phone",
    ))?;
    let group = tenant.add_group("TAP users");
    t.say(format!(
        "Tenant contoso.com ({}), switches: delete_before_create={}, create_for_out_of_scope_users={}",
        tenant.id(),
        sw.delete_before_create,
        sw.create_for_out_of_scope_users
    ));
    t.say("Pat is an Authentication Policy Administrator; Hana, at the help desk, an Authentication Administrator.");
    t.say("Alex signs in with a password and Microsoft Authenticator. A group, \"TAP users\", will be targeted.");

    t.chapter("1. Alex loses the phone", &["S4", "M2"]);
    drop(phone);
    t.say("Alex's phone, with Microsoft Authenticator on it, is gone.");
    let pw = tenant.sign_in("alex@contoso.com", Credential::Password("Summer-2025!"));
    let pw_session = pw
        .session()
        .ok_or_else(|| t.fail("the password should still sign in"))?
        .clone();
    t.expect(
        !pw_session.satisfies_mfa(),
        "a password alone must be single-factor",
    )?;
    t.say("The password still signs in, but only as a single factor.");
    let refused = tenant.register_method(
        pw_session.id(),
        MethodKind::MicrosoftAuthenticatorPasswordless,
        "new phone",
    );
    t.expect(
        matches!(&refused, Err(e) if e.code() == ErrorCode::AccessDenied),
        "registering with a single-factor session must be refused",
    )?;
    t.say("Registering a new method needs multifactor authentication: refused. Alex calls the help desk.");

    t.chapter(
        "2. Enable the Temporary Access Pass policy",
        &["P6", "P5", "P1", "P2"],
    );
    let denied = tenant.update_policy(helpdesk, &PolicyPatch::new().state(PolicyState::Enabled));
    t.expect(
        matches!(&denied, Err(e) if e.code() == ErrorCode::AccessDenied),
        "the help desk may not change the policy",
    )?;
    t.say("Hana tries to enable the policy: accessDenied. Only a policy admin or a Global Administrator may.");
    let bad = tenant.update_policy(
        policy_admin,
        &PolicyPatch::new().maximum_lifetime_in_minutes(50_000),
    );
    t.expect(
        matches!(&bad, Err(e) if e.code() == ErrorCode::BadRequest),
        "a maximum lifetime over 30 days must be rejected",
    )?;
    t.say(format!(
        "Pat first asks for a 50000-minute maximum: {}",
        bad.map(|_| String::new()).unwrap_or_else(|e| e.to_string())
    ));
    let policy = t.ok(tenant.update_policy(
        policy_admin,
        &PolicyPatch::new()
            .state(PolicyState::Enabled)
            .include_targets(vec![tapsim::IncludeTarget::group(group)])
            .maximum_lifetime_in_minutes(1440)
            .default_lifetime_in_minutes(120),
    ))?;
    t.say(format!(
        "Pat enables the policy for \"TAP users\": lifetimes {}..{} minutes (default {}), length {}, one-time {}.",
        policy.minimum_lifetime_in_minutes,
        policy.maximum_lifetime_in_minutes,
        policy.default_lifetime_in_minutes,
        policy.default_length,
        policy.is_usable_once
    ));

    t.chapter("3. A user outside the policy", &["T6", "P7"]);
    let attempt = tenant.create_pass(helpdesk, user, PassOptions::default());
    if sw.create_for_out_of_scope_users {
        let issued = attempt
            .map_err(|e| t.fail(format!("Preview2021 creates for out-of-scope users: {e}")))?;
        t.expect(
            issued.pass.method_usability_reason == UsabilityReason::DisabledByPolicy,
            "an out-of-scope pass reads DisabledByPolicy",
        )?;
        t.say("Hana creates a pass for Alex, who is not in \"TAP users\". In this profile creation succeeds...");
        let blocked = tenant.sign_in(
            "alex@contoso.com",
            Credential::Pass(issued.secret.danger_reveal()),
        );
        t.expect(
            blocked.denial() == Some(DenialReason::PassDisabledByPolicy),
            "sign-in with an out-of-scope pass is blocked",
        )?;
        t.say(format!(
            "...but sign-in is blocked: \"{}\".",
            DenialReason::PassDisabledByPolicy.message()
        ));
        t.ok(tenant.add_member(group, user))?;
        t.say(
            "Hana adds Alex to \"TAP users\"; the policy reaches the existing pass at once (P7).",
        );
        let pass = tenant
            .pass_view(user)
            .ok_or_else(|| t.fail("the pass should exist"))?;
        t.expect(
            pass.is_usable,
            "the pass becomes usable once Alex is in scope",
        )?;
        t.ok(tenant.delete_pass(helpdesk, user, pass.id))?;
        t.say("That pass has been seen by too many eyes: Hana deletes it to start clean.");
    } else {
        let err = attempt
            .err()
            .ok_or_else(|| t.fail("creation for an out-of-scope user must fail"))?;
        t.expect(err == Error::UserOutOfPolicyScope, "T6's error")?;
        t.say(format!("Hana tries to create a pass for Alex: {err}"));
        t.ok(tenant.add_member(group, user))?;
        t.say("The fix: Hana adds Alex to \"TAP users\".");
    }

    t.chapter("4. Create the pass", &["T2", "T3", "T4", "A1"]);
    let too_long = tenant.create_pass(helpdesk, user, PassOptions::new().lifetime_in_minutes(2000));
    t.expect(
        matches!(&too_long, Err(Error::LifetimeOutOfRange { .. })),
        "a lifetime over the policy's maximum is rejected",
    )?;
    t.say(format!(
        "A 2000-minute pass? {}",
        too_long
            .map(|_| String::new())
            .unwrap_or_else(|e| e.to_string())
    ));
    let start = clock_now(&clock) + Duration::minutes(15);
    let issued = t.ok(tenant.create_pass(
        helpdesk,
        user,
        PassOptions::new().start(start).lifetime_in_minutes(240),
    ))?;
    t.expect(
        issued.pass.method_usability_reason == UsabilityReason::NotYetValid,
        "a future pass is not yet valid",
    )?;
    t.say(format!(
        "Hana creates a pass starting at {} for 240 minutes: {} characters, shown once: {}",
        tapsim::graph::format_datetime(&start),
        issued.secret.danger_reveal().len(),
        issued.secret.danger_reveal()
    ));
    t.say("Hana reads it out to Alex over the phone. tapsim keeps only its argon2id hash.");
    let listed = t.ok(tenant.list_passes(helpdesk, user))?;
    let json = serde_json::to_value(&listed[0]).unwrap_or_default();
    t.expect(
        json["temporaryAccessPass"].is_null(),
        "later reads never show the secret",
    )?;
    t.say("Reading it back shows \"temporaryAccessPass\": null.");
    if sw.delete_before_create {
        let again = tenant.create_pass(helpdesk, user, PassOptions::default());
        t.expect(
            again.as_ref().err() == Some(&Error::PassAlreadyExists),
            "T5 delete-first conflict",
        )?;
        t.say(format!(
            "A second pass while one exists? {} (conflict)",
            Error::PassAlreadyExists
        ));
    }

    t.chapter("5. Sign in with the pass", &["S1", "T10", "S9"]);
    let early = tenant.sign_in(
        "alex@contoso.com",
        Credential::Pass(issued.secret.danger_reveal()),
    );
    t.expect(
        early.denial() == Some(DenialReason::PassNotYetValid),
        "before its start the pass is not yet valid",
    )?;
    t.say(format!(
        "Alex is quick: \"{}\"",
        DenialReason::PassNotYetValid.message()
    ));
    clock.advance(Duration::minutes(15));
    let outcome = tenant.sign_in(
        "alex@contoso.com",
        Credential::Pass(issued.secret.danger_reveal()),
    );
    let session = outcome
        .session()
        .ok_or_else(|| t.fail("the pass should sign in"))?
        .clone();
    t.expect(session.satisfies_mfa(), "a pass session satisfies MFA")?;
    t.say("At the start time Alex enters the pass at My Security Info: signed in, no password, no MFA prompt.");
    t.say(format!(
        "The session satisfies MFA and ends no later than the pass: {}.",
        session
            .expires()
            .map(|e| tapsim::graph::format_datetime(&e))
            .unwrap_or_default()
    ));

    t.chapter("6. Re-register", &["M2", "M5", "S6"]);
    let new_phone = t.ok(tenant.register_method(
        session.id(),
        MethodKind::MicrosoftAuthenticatorPasswordless,
        "Alex's new phone",
    ))?;
    t.say("Inside that session Alex registers Microsoft Authenticator (passwordless phone sign-in) on a new phone.");
    let back = tenant.sign_in("alex@contoso.com", Credential::Device(&new_phone));
    t.expect(
        back.session().is_some_and(|s| s.satisfies_mfa()),
        "the new phone signs in with MFA",
    )?;
    t.say("Alex signs in with the new phone alone: passwordless, and MFA is satisfied.");

    t.chapter("7. Check the logs", &["S9", "A1"]);
    let tap_record = tenant
        .sign_in_log()
        .iter()
        .rev()
        .find(|r| {
            r.succeeded()
                && r.authentication_details
                    .iter()
                    .any(|d| d.authentication_method == "Temporary Access Pass")
        })
        .ok_or_else(|| t.fail("the sign-in log should show the pass sign-in"))?;
    t.say(format!(
        "Sign-in log: {} signed in at {} with \"Temporary Access Pass\" ({}).",
        tap_record.user_principal_name,
        tapsim::graph::format_datetime(&tap_record.created_date_time),
        tap_record.authentication_requirement
    ));
    let created = tenant
        .audit_log()
        .iter()
        .find(|r| r.activity() == Some(tapsim::Activity::AdminRegisteredPass))
        .ok_or_else(|| t.fail("the audit log should show the creation"))?;
    t.say(format!(
        "Audit log: \"{}\" by {}: \"{}\", usage {}.",
        created.activity_display_name,
        created.initiated_by.user.user_principal_name,
        created.result_reason,
        created.new_value("Usage").unwrap_or("?")
    ));

    t.chapter("8. Clean up", &["M4", "S4"]);
    let old = tenant
        .methods_of(user)
        .iter()
        .find(|m| m.kind() == MethodKind::MicrosoftAuthenticatorPush)
        .map(|m| m.id())
        .ok_or_else(|| t.fail("the lost phone's method should still be registered"))?;
    t.ok(tenant.remove_method(user, user, old))?;
    t.say("Alex removes the lost phone's Authenticator registration: whoever finds the phone can no longer use it.");
    let pw_again = tenant.sign_in("alex@contoso.com", Credential::Password("Summer-2025!"));
    t.expect(pw_again.is_allowed(), "the password still works (S4)")?;
    t.say("And the password still works: a pass never replaces it.");

    let epilogue_tenant = if sw.delete_before_create {
        t.chapter("Epilogue: the plain Current profile", &["T5", "T12", "S5"]);
        let (e, lines) = epilogue(options, &clock).map_err(|e| t.fail(e))?;
        for l in lines {
            t.say(l);
        }
        Some(e)
    } else {
        None
    };

    Ok(Story {
        chapters: t.chapters,
        tenant,
        epilogue_tenant,
        clock,
        user,
    })
}

fn clock_now(clock: &ManualClock) -> DateTime<Utc> {
    use tapsim::Clock;
    clock.now()
}

/// Plain `Current`: creating a pass replaces the old one; the old pass's session outlives
/// it (B2).
fn epilogue(options: StoryOptions, clock: &ManualClock) -> Result<(Tenant, Vec<String>), String> {
    let e = |e: Error| e.to_string();
    let mut lines = Vec::new();
    let mut tenant = Tenant::builder()
        .seed(options.seed.wrapping_add(1))
        .switches(Switches::current())
        .hash_cost(options.hash_cost)
        .clock(clock.clone())
        .build()
        .map_err(e)?;
    let admin = tenant
        .add_user(NewUser::member("gabi@contoso.com", "Gabi").role(Role::GlobalAdministrator))
        .map_err(e)?;
    let user = tenant
        .add_user(NewUser::member("alex@contoso.com", "Alex"))
        .map_err(e)?;
    tenant
        .update_policy(admin, &PolicyPatch::new().state(PolicyState::Enabled))
        .map_err(e)?;
    let first = tenant
        .create_pass(admin, user, PassOptions::default())
        .map_err(e)?;
    let s = tenant.sign_in(
        "alex@contoso.com",
        Credential::Pass(first.secret.danger_reveal()),
    );
    let session = s.session().ok_or("the first pass should sign in")?.id();
    let second = tenant
        .create_pass(admin, user, PassOptions::default())
        .map_err(e)?;
    if first.pass.id == second.pass.id {
        return Err("a replacement must have a new id".into());
    }
    lines.push(
        "Without the delete-first switch, creating a new pass replaces the old one, with a new id."
            .into(),
    );
    let old = tenant.sign_in(
        "alex@contoso.com",
        Credential::Pass(first.secret.danger_reveal()),
    );
    if old.denial() != Some(DenialReason::InvalidCredential) {
        return Err("the replaced pass must no longer sign in".into());
    }
    lines.push("The old value no longer signs in, and looks like any wrong value.".into());
    // Microsoft's March 2026 text (B2): the session outlives its pass, replaced or not.
    if tenant.session_status(session).map_err(e)? != tapsim::SessionStatus::Active {
        return Err("the old pass's session must outlive the replacement (B2)".into());
    }
    lines.push(
        "The session opened with the old pass goes on (B2, March 2026): to end it, revoke Alex's sessions."
            .into(),
    );
    Ok((tenant, lines))
}
