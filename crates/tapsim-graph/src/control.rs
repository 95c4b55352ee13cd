//! The control plane (`/_tapsim`): not Graph, but what a test needs to set up, move and
//! inspect the simulation (graph-server.md, "The control plane").

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Duration, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tapsim::{
    Credential, Decision, Device, LockoutSettings, MethodKind, NewUser, Profile, ProofRequest,
    Proofs, Role, SessionId, SessionStatus, Switches, Tenant, TenantState, UserType,
};
use tapsim_lab::{Format, Scenario};

use crate::error::{ApiError, ApiResult};
use crate::faults::FaultSpec;
use crate::graph::json_response;
use crate::server::AppState;
use crate::state::{Sim, SimClock, random_token};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/_tapsim/health", get(health))
        .route("/_tapsim/reset", post(reset))
        .route("/_tapsim/scenario", post(scenario))
        .route("/_tapsim/snapshot", get(get_snapshot).put(put_snapshot))
        .route("/_tapsim/clock", get(get_clock).post(move_clock))
        .route("/_tapsim/tenants", get(list_tenants).post(add_tenant))
        .route("/_tapsim/guests", post(link_guest))
        .route("/_tapsim/users", post(add_user))
        .route("/_tapsim/groups", post(add_group))
        .route("/_tapsim/groups/{name}/members", post(add_member))
        .route("/_tapsim/tokens", post(mint_token))
        .route("/_tapsim/settings", get(get_settings).put(put_settings))
        .route("/_tapsim/signIns", post(sign_in))
        .route("/_tapsim/offer", get(offer))
        .route("/_tapsim/sessions/{id}", get(session_status))
        .route("/_tapsim/sessions/{id}/methods", post(register_method))
        .route("/_tapsim/sessions/{id}/stepUp", post(step_up))
        .route("/_tapsim/faults", post(add_fault).delete(clear_faults))
}

/// A control-plane body: JSON, unknown fields refused.
fn body<T: DeserializeOwned>(bytes: &Bytes) -> ApiResult<T> {
    serde_json::from_slice(bytes)
        .map_err(|e| ApiError::invalid_request(format!("The request body is not valid: {e}")))
}

fn ok(body: &Value) -> Response {
    json_response(StatusCode::OK, body)
}

async fn health() -> Response {
    ok(&json!({"status": "ok"}))
}

fn replace(sim: &mut Sim, fresh: Sim) {
    // Tokens name users by UPN: they stay valid for users that still exist.
    let tokens = std::mem::take(&mut sim.tokens);
    *sim = fresh;
    sim.tokens = tokens;
}

async fn reset(State(state): State<AppState>) -> ApiResult {
    let fresh = Sim::start(&state.config, state.config.scenario.as_ref())?;
    replace(&mut state.lock(), fresh);
    Ok(ok(&json!({"status": "reset"})))
}

async fn scenario(State(state): State<AppState>, headers: HeaderMap, bytes: Bytes) -> ApiResult {
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| ApiError::invalid_request("The scenario is not UTF-8 text."))?;
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("json"))
        || text.trim_start().starts_with('{');
    let format = if is_json { Format::Json } else { Format::Toml };
    let scenario =
        Scenario::parse(text, format).map_err(|e| ApiError::invalid_request(e.to_string()))?;
    let fresh = Sim::start(&state.config, Some(&scenario))?;
    // Every tenant's users, guests included: a scenario of several tenants loads them all.
    let users: usize = fresh
        .world
        .tenants()
        .map(|t| t.directory().users().len())
        .sum();
    let tenants = fresh.world.tenants().count();
    replace(&mut state.lock(), fresh);
    Ok(ok(&json!({
        "status": "loaded",
        "title": scenario.title,
        "tenants": tenants,
        "users": users,
    })))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct TenantQuery {
    tenant: Option<String>,
}

async fn get_snapshot(
    State(state): State<AppState>,
    query: Result<Query<TenantQuery>, QueryRejection>,
) -> ApiResult {
    let Query(q) = query.map_err(|e| ApiError::invalid_request(e.body_text()))?;
    let sim = state.lock();
    let snapshot = sim.at(sim.tenant_named(q.tenant.as_deref())?)?.snapshot();
    let value = serde_json::to_value(&snapshot)
        .map_err(|e| ApiError::invalid_request(format!("The snapshot cannot be written: {e}")))?;
    Ok(ok(&value))
}

/// Restores one tenant from its snapshot: the one it names (by its own id), which must
/// be on this server.
async fn put_snapshot(State(state): State<AppState>, bytes: Bytes) -> ApiResult {
    let snapshot: TenantState = body(&bytes)?;
    let mut sim = state.lock();
    let tenant = Tenant::from_snapshot(snapshot, sim.clock.shared())?;
    let slot = sim.at_mut(tenant.id()).map_err(|_| {
        ApiError::invalid_request(format!(
            "The snapshot is of tenant `{}`, which is not on this server.",
            tenant.id()
        ))
    })?;
    *slot = tenant;
    sim.devices.clear();
    Ok(ok(&json!({"status": "restored"})))
}

fn clock_json(sim: &Sim) -> Value {
    json!({"now": tapsim::graph::format_datetime(&sim.clock.now())})
}

async fn get_clock(State(state): State<AppState>) -> Response {
    ok(&clock_json(&state.lock()))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct MoveClock {
    advance_seconds: Option<i64>,
    now: Option<String>,
}

/// The clock's bounds as messages name them: a manual clock holds 1970 to 9999, and a
/// move outside them is refused rather than clamped.
const EARLIEST_CLOCK: &str = "1970-01-01T00:00:00Z";
/// See [`EARLIEST_CLOCK`].
const LATEST_CLOCK: &str = "9999-12-31T23:59:59Z";

async fn move_clock(State(state): State<AppState>, bytes: Bytes) -> ApiResult {
    let change: MoveClock = body(&bytes)?;
    let sim = state.lock();
    let SimClock::Manual(clock) = &sim.clock else {
        return Err(ApiError::conflict(
            "The server runs on the system clock; start it with --clock to move time.",
        ));
    };
    match (change.advance_seconds, change.now) {
        (Some(s), None) => {
            if s < 0 {
                return Err(ApiError::invalid_request(
                    "`advanceSeconds` moves time forward: at least 0",
                ));
            }
            let to = Duration::try_seconds(s)
                .and_then(|by| tapsim::Clock::now(clock).checked_add_signed(by))
                .filter(|to| *to <= tapsim::graph::latest_instant())
                .ok_or_else(|| {
                    ApiError::invalid_request(format!(
                        "`advanceSeconds` {s} would take the clock past {}, the latest \
                         instant tapsim's clock holds",
                        LATEST_CLOCK
                    ))
                })?;
            clock.set(to);
        }
        (None, Some(now)) => {
            let t: DateTime<Utc> =
                tapsim::graph::parse_datetime(&now).map_err(ApiError::invalid_request)?;
            if t < DateTime::<Utc>::UNIX_EPOCH {
                return Err(ApiError::invalid_request(format!(
                    "`now` {now} is before {EARLIEST_CLOCK}, the earliest instant tapsim's \
                     clock holds"
                )));
            }
            if t > tapsim::graph::latest_instant() {
                return Err(ApiError::invalid_request(format!(
                    "`now` {now} is after {LATEST_CLOCK}, the latest instant tapsim's clock \
                     holds"
                )));
            }
            clock.set(t);
        }
        _ => {
            return Err(ApiError::invalid_request(
                "Send either `advanceSeconds` or `now`.",
            ));
        }
    }
    Ok(ok(&clock_json(&sim)))
}

/// The most tenants one server holds.
const MAX_TENANTS: usize = 16;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct NewTenantBody {
    domain: String,
    seed: Option<u64>,
    profile: Option<Profile>,
}

fn tenant_json(t: &Tenant) -> Value {
    json!({"id": t.id(), "domain": t.config().domain, "profile": t.config().profile})
}

async fn list_tenants(State(state): State<AppState>) -> Response {
    let sim = state.lock();
    let value: Vec<Value> = sim.world.tenants().map(tenant_json).collect();
    ok(&json!({"value": value}))
}

/// Another tenant beside the first, on the same clock, with its own Global
/// Administrator `admin@{domain}`: a home tenant for guests (S10).
async fn add_tenant(State(state): State<AppState>, bytes: Bytes) -> ApiResult {
    let b: NewTenantBody = body(&bytes)?;
    let mut sim = state.lock();
    if sim.world.tenants().count() >= MAX_TENANTS {
        return Err(ApiError::invalid_request(format!(
            "The server holds its limit of {MAX_TENANTS} tenants."
        )));
    }
    if sim.tenant_named(Some(&b.domain)).is_ok() {
        return Err(ApiError::conflict(format!(
            "A tenant with the domain `{}` exists already.",
            b.domain
        )));
    }
    let main = sim.at(sim.main)?.config().clone();
    let seed = b.seed.unwrap_or_else(|| {
        state
            .config
            .seed
            .wrapping_add(sim.world.tenants().count() as u64)
    });
    let mut tenant = Tenant::builder()
        .seed(seed)
        .domain(b.domain.clone())
        .profile(b.profile.unwrap_or(main.profile))
        .hash_cost(main.hash_cost)
        .shared_clock(sim.clock.shared())
        .build()?;
    tenant.add_user(
        NewUser::member(format!("admin@{}", b.domain), "Tenant Admin")
            .role(Role::GlobalAdministrator),
    )?;
    let body = tenant_json(&tenant);
    sim.world.add(tenant)?;
    Ok(json_response(StatusCode::CREATED, &body))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct GuestBody {
    /// The resource tenant (id or domain); the first tenant when absent.
    tenant: Option<String>,
    /// The external guest's UPN in the resource tenant.
    user_principal_name: String,
    home_tenant: String,
    home_user_principal_name: String,
}

/// Links an external guest of a resource tenant to their home account (S10).
async fn link_guest(State(state): State<AppState>, bytes: Bytes) -> ApiResult {
    let b: GuestBody = body(&bytes)?;
    let mut sim = state.lock();
    let resource = sim.tenant_named(b.tenant.as_deref())?;
    let home = sim.tenant_named(Some(&b.home_tenant))?;
    let guest = sim.user_key(resource, &b.user_principal_name)?;
    let home_user = sim.user_key(home, &b.home_user_principal_name)?;
    sim.world.link_guest(resource, guest, home, home_user)?;
    Ok(ok(&json!({"linked": true})))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct NewUserBody {
    user_principal_name: String,
    display_name: Option<String>,
    user_type: Option<UserType>,
    #[serde(default)]
    roles: Vec<String>,
    password: Option<String>,
    #[serde(default)]
    federated: bool,
    account_enabled: Option<bool>,
    #[serde(default)]
    groups: Vec<String>,
    tenant: Option<String>,
}

/// The most roles or groups one request may name.
const MAX_NAMES: usize = 64;

async fn add_user(State(state): State<AppState>, bytes: Bytes) -> ApiResult {
    let b: NewUserBody = body(&bytes)?;
    if b.roles.len() > MAX_NAMES || b.groups.len() > MAX_NAMES {
        return Err(ApiError::invalid_request(format!(
            "A user has at most {MAX_NAMES} roles and {MAX_NAMES} groups here."
        )));
    }
    let display = b.display_name.clone().unwrap_or_else(|| {
        b.user_principal_name
            .split('@')
            .next()
            .unwrap_or_default()
            .to_owned()
    });
    let mut new = NewUser::member(b.user_principal_name.clone(), display)
        .user_type(b.user_type.unwrap_or(UserType::Member))
        .federated(b.federated)
        .account_enabled(b.account_enabled.unwrap_or(true));
    for r in &b.roles {
        let role: Role = r
            .parse()
            .map_err(|_| ApiError::invalid_request(format!("unknown role `{r}` (use Entra's display names, such as `Authentication Administrator`)")))?;
        new = new.role(role);
    }
    if let Some(p) = b.password {
        new = new.password(p);
    }
    let (tid, groups, step) = {
        let mut sim = state.lock();
        let tid = sim.tenant_named(b.tenant.as_deref())?;
        let groups = b
            .groups
            .iter()
            .map(|g| group_by_name(sim.at(tid)?, g))
            .collect::<ApiResult<Vec<_>>>()?;
        let tenant = sim.at_mut(tid)?;
        let cheap = tenant.config().hash_cost.memory_kib() <= INLINE_KIB as u32;
        let step = if new.password.is_none() || cheap {
            Step::Done(tenant.add_user(new)?)
        } else {
            // A password at a real cost: hashed with no lock held, as sign-ins are.
            Step::Hash(tenant.prepare_add_user(new)?)
        };
        (tid, groups, step)
    };
    let step = match step {
        Step::Done(id) => Step::Done(id),
        Step::Hash(draft) => Step::Hash(
            off_lock(move || {
                let mut draft = draft;
                draft.run_hash();
                draft
            })
            .await?,
        ),
    };
    let mut sim = state.lock();
    let tenant = sim.at_mut(tid)?;
    let id = match step {
        Step::Done(id) => id,
        Step::Hash(draft) => tenant.commit_add_user(draft)?,
    };
    for g in groups {
        tenant.add_member(g, id)?;
    }
    let u = tenant.directory().user(id);
    let body = json!({
        "id": id,
        "userPrincipalName": u.map(|u| u.user_principal_name()),
        "displayName": u.map(|u| u.display_name()),
        "userType": if b.user_type.unwrap_or(UserType::Member) == UserType::Member { "Member" } else { "Guest" },
    });
    Ok(json_response(StatusCode::CREATED, &body))
}

fn group_by_name(tenant: &Tenant, name: &str) -> ApiResult<tapsim::GroupId> {
    tenant
        .directory()
        .groups()
        .find(|g| g.display_name() == name || g.id().to_string().eq_ignore_ascii_case(name))
        .map(|g| g.id())
        .ok_or_else(|| ApiError::not_found(format!("no group `{name}`")))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct NewGroupBody {
    display_name: String,
    tenant: Option<String>,
}

/// The longest group name (Entra's limit, as the domain checks it).
const MAX_GROUP_NAME: usize = tapsim::MAX_GROUP_DISPLAY_NAME_CHARS;

async fn add_group(State(state): State<AppState>, bytes: Bytes) -> ApiResult {
    let b: NewGroupBody = body(&bytes)?;
    if b.display_name.is_empty() || b.display_name.chars().count() > MAX_GROUP_NAME {
        return Err(ApiError::invalid_request(format!(
            "A group's `displayName` has 1 to {MAX_GROUP_NAME} characters."
        )));
    }
    let mut sim = state.lock();
    let tid = sim.tenant_named(b.tenant.as_deref())?;
    if group_by_name(sim.at(tid)?, &b.display_name).is_ok() {
        return Err(ApiError::conflict(format!(
            "A group named `{}` exists already.",
            b.display_name
        )));
    }
    let id = sim.at_mut(tid)?.try_add_group(b.display_name.clone())?;
    Ok(json_response(
        StatusCode::CREATED,
        &json!({"id": id, "displayName": b.display_name}),
    ))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct MemberBody {
    user_principal_name: Option<String>,
    group: Option<String>,
    tenant: Option<String>,
}

async fn add_member(
    State(state): State<AppState>,
    Path(name): Path<String>,
    bytes: Bytes,
) -> ApiResult {
    let b: MemberBody = body(&bytes)?;
    let mut sim = state.lock();
    let tid = sim.tenant_named(b.tenant.as_deref())?;
    let group = group_by_name(sim.at(tid)?, &name)?;
    let added = match (b.user_principal_name, b.group) {
        (Some(upn), None) => {
            let user = sim.user_key(tid, &upn)?;
            sim.at_mut(tid)?.add_member(group, user)?
        }
        (None, Some(inner)) => {
            let inner = group_by_name(sim.at(tid)?, &inner)?;
            sim.at_mut(tid)?.add_member(group, inner)?
        }
        _ => {
            return Err(ApiError::invalid_request(
                "Send either `userPrincipalName` or `group`.",
            ));
        }
    };
    Ok(ok(&json!({"added": added})))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SwitchesBody {
    delete_before_create: Option<bool>,
    create_for_out_of_scope_users: Option<bool>,
    default_maximum_lifetime_in_minutes: Option<u32>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SettingsBody {
    tenant: Option<String>,
    profile: Option<Profile>,
    switches: Option<SwitchesBody>,
    lockout: Option<LockoutSettings>,
    transitive_membership: Option<bool>,
    /// Cross-tenant access settings: whether this tenant trusts MFA done in a home
    /// tenant (S10, R11), by the home tenant's id or domain.
    #[serde(default)]
    trust_mfa_from: Vec<TrustBody>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct TrustBody {
    tenant: String,
    trusted: bool,
}

fn settings_json(tenant: &Tenant) -> Value {
    let c = tenant.config();
    json!({
        "tenant": c.tenant_id,
        "domain": c.domain,
        "profile": c.profile,
        "switches": c.switches,
        "lockout": c.lockout,
        "transitiveMembership": c.transitive_membership,
        "hashCost": c.hash_cost,
    })
}

async fn get_settings(
    State(state): State<AppState>,
    query: Result<Query<TenantQuery>, QueryRejection>,
) -> ApiResult {
    let Query(q) = query.map_err(|e| ApiError::invalid_request(e.body_text()))?;
    let sim = state.lock();
    Ok(ok(&settings_json(
        sim.at(sim.tenant_named(q.tenant.as_deref())?)?,
    )))
}

/// R14: switches and settings change on the live tenant, from the next request on. The
/// whole body is checked before anything changes.
async fn put_settings(State(state): State<AppState>, bytes: Bytes) -> ApiResult {
    let b: SettingsBody = body(&bytes)?;
    let mut sim = state.lock();
    let tid = sim.tenant_named(b.tenant.as_deref())?;
    let trust = b
        .trust_mfa_from
        .iter()
        .map(|t| Ok((sim.tenant_named(Some(&t.tenant))?, t.trusted)))
        .collect::<ApiResult<Vec<_>>>()?;
    let tenant = sim.at_mut(tid)?;
    let mut switches = b.profile.map_or(tenant.config().switches, Switches::from);
    if let Some(s) = &b.switches {
        if let Some(v) = s.delete_before_create {
            switches = switches.delete_before_create(v);
        }
        if let Some(v) = s.create_for_out_of_scope_users {
            switches = switches.create_for_out_of_scope_users(v);
        }
        if let Some(v) = s.default_maximum_lifetime_in_minutes {
            switches = switches.default_maximum_lifetime_in_minutes(v);
        }
    }
    let lockout = b.lockout.unwrap_or(tenant.config().lockout);
    // Both checked before either changes: a refused body changes nothing.
    lockout.validate()?;
    tenant.set_switches(switches)?;
    tenant.set_lockout(lockout)?;
    if let Some(on) = b.transitive_membership {
        tenant.set_transitive_membership(on);
    }
    for (home, trusted) in trust {
        tenant.set_inbound_mfa_trust(home, trusted);
    }
    Ok(ok(&settings_json(tenant)))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct TokenBody {
    user_principal_name: String,
    tenant: Option<String>,
}

async fn mint_token(State(state): State<AppState>, bytes: Bytes) -> ApiResult {
    let b: TokenBody = body(&bytes)?;
    let mut sim = state.lock();
    let tid = sim.tenant_named(b.tenant.as_deref())?;
    let upn = sim
        .at(tid)?
        .user_by_upn(&b.user_principal_name)
        .map(|u| u.user_principal_name().to_owned())
        .ok_or_else(|| tapsim::Error::UserNotFound(b.user_principal_name.clone()))
        .map_err(ApiError::from)?;
    if sim.tokens.len() >= state.config.limits.max_tokens {
        return Err(ApiError::invalid_request(format!(
            "The server holds its limit of {} tokens; reuse one.",
            state.config.limits.max_tokens
        )));
    }
    let token = random_token(&mut sim.rng);
    sim.tokens.insert(token.clone(), (tid, upn));
    Ok(ok(
        &json!({"access_token": token, "token_type": "Bearer", "expires_in": 3600}),
    ))
}

/// The credential of a sign-in or a step-up: one of a pass, a password, a device (with
/// the password for the kinds that need it).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CredentialBody {
    temporary_access_pass: Option<String>,
    password: Option<String>,
    device: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SignInBody {
    user_principal_name: String,
    temporary_access_pass: Option<String>,
    password: Option<String>,
    device: Option<String>,
    tenant: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct StepUpBody {
    temporary_access_pass: Option<String>,
    password: Option<String>,
    device: Option<String>,
}

impl CredentialBody {
    /// The device the body names by handle, looked up in `devices` (shared, so that it
    /// outlives the lock).
    fn device(&self, devices: &HashMap<String, Arc<Device>>) -> ApiResult<Option<Arc<Device>>> {
        self.device
            .as_ref()
            .map(|handle| {
                devices.get(handle).cloned().ok_or_else(|| {
                    ApiError::invalid_request("unknown device handle (a registration returns one)")
                })
            })
            .transpose()
    }

    /// The credential, with the device [`CredentialBody::device`] found.
    fn credential<'a>(&'a self, device: Option<&'a Device>) -> ApiResult<Credential<'a>> {
        Ok(
            match (&self.temporary_access_pass, &self.password, device) {
                (Some(pass), None, None) => Credential::Pass(pass),
                (None, Some(pw), None) => Credential::Password(pw),
                (None, pw, Some(device)) => match pw {
                    Some(pw) => Credential::PasswordAndDevice(pw, device),
                    None => Credential::Device(device),
                },
                _ => {
                    return Err(ApiError::invalid_request(
                        "Send one credential: `temporaryAccessPass`, `password`, or `device` (with `password` for the kinds that need it).",
                    ));
                }
            },
        )
    }
}

fn session_json(session: &tapsim::Session) -> Value {
    let date =
        |t: Option<chrono::DateTime<chrono::Utc>>| t.map(|t| tapsim::graph::format_datetime(&t));
    json!({
        "id": session.id(),
        "satisfiesMfa": session.satisfies_mfa(),
        // The session's own end (R17, B2) and its tokens' (capped at the pass's end).
        "expires": date(session.expires()),
        "tokenExpires": date(session.token_expires()),
        "lastMfa": session.last_mfa().map(|t| tapsim::graph::format_datetime(&t)),
        "authenticationMethods": session.methods().iter().map(|m| m.display_name()).collect::<Vec<_>>(),
        // S11: one combination per proof, and the built-in strengths they satisfy.
        "authenticationMethodModes": session.authentication_method_modes(),
        "strengths": session.strengths().iter().map(|s| json!({"id": s.id(), "displayName": s.display_name()})).collect::<Vec<_>>(),
    })
}

/// The answer to a sign-in or a step-up: always `200`, allowed or denied with a reason.
fn decision_json(outcome: &tapsim::SignInOutcome) -> Response {
    /// One check of the trace, borrowed: the answer is written straight to text (the
    /// sign-in's answer is on its hot path).
    #[derive(Serialize)]
    struct TraceEntry<'a> {
        check: &'a str,
        passed: bool,
        detail: &'a str,
    }
    #[derive(Serialize)]
    #[serde(tag = "decision", rename_all = "camelCase")]
    enum Answer<'a> {
        Allowed {
            session: Value,
            trace: Vec<TraceEntry<'a>>,
        },
        #[serde(rename_all = "camelCase")]
        Denied {
            reason: tapsim::DenialReason,
            message: &'static str,
            error_code: Option<i32>,
            trace: Vec<TraceEntry<'a>>,
        },
    }
    let trace = outcome
        .trace
        .iter()
        .map(|c| TraceEntry {
            check: &c.name,
            passed: c.passed,
            detail: &c.detail,
        })
        .collect();
    let answer = match &outcome.decision {
        Decision::Allowed(session) => Answer::Allowed {
            session: session_json(session),
            trace,
        },
        Decision::Denied(reason) => Answer::Denied {
            reason: *reason,
            message: reason.message(),
            error_code: reason.aadsts_code(),
            trace,
        },
    };
    // Strings, numbers, booleans and a `Value`: serializing cannot fail.
    let text = serde_json::to_string(&answer).unwrap_or_default();
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        text,
    )
        .into_response()
}

/// Runs the verifications of a sign-in or step-up: inline when they are cheap (minimum
/// hash cost: a thread hop would cost more than the hashing), on the blocking pool when
/// they are not, so that no worker thread waits on argon2.
/// Below this much argon2 memory, a credential is verified inline, under the lock: a
/// thread hop and two lock round trips would cost more than the hashing.
pub(crate) const INLINE_KIB: u64 = 1024;

/// An operation that stores a secret: done under the lock (cheap hashing), or drafted,
/// to hash with no lock held and commit.
pub(crate) enum Step<D, P> {
    Done(D),
    Hash(P),
}

/// Runs `work` (argon2 hashing) on the blocking pool, so that no worker thread and no
/// lock waits on it.
pub(crate) async fn off_lock<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> ApiResult<T> {
    tokio::task::spawn_blocking(work).await.map_err(|_| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "generalException",
            "The secret could not be hashed; the server keeps serving.",
        )
    })
}

async fn verify(request: ProofRequest) -> ApiResult<Proofs> {
    if request.memory_kib() <= INLINE_KIB {
        return Ok(request.verify());
    }
    tokio::task::spawn_blocking(move || request.verify())
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "generalException",
                "The credential check failed; the server keeps serving.",
            )
        })
}

/// A sign-in in three phases, so that sign-ins run in parallel and a policy read never
/// waits on argon2: what to verify (under the lock), the verifications (no lock), every
/// rule against the world as it is then (under the lock). A one-time pass still signs
/// in exactly once (tapsim's `Tenant::proofs_needed`).
async fn sign_in(State(state): State<AppState>, bytes: Bytes) -> ApiResult {
    let b: SignInBody = body(&bytes)?;
    let given = CredentialBody {
        temporary_access_pass: b.temporary_access_pass,
        password: b.password,
        device: b.device,
    };
    let upn = b.user_principal_name;
    let (tid, device, request) = {
        let mut sim = state.lock();
        let tid = sim.tenant_named(b.tenant.as_deref())?;
        let device = given.device(&sim.devices)?;
        let credential = given.credential(device.as_deref())?;
        if sim.at(tid)?.config().hash_cost.memory_kib() <= INLINE_KIB as u32 {
            // Cheap hashing (tests): one pass under the lock costs less than three.
            let outcome = sim.world.sign_in(tid, &upn, credential)?;
            return Ok(decision_json(&outcome));
        }
        // S10, R11: a guest's credential is checked by their home tenant.
        let request = sim.world.proofs_needed(tid, &upn, credential)?;
        (tid, device, request)
    };
    let proofs = verify(request).await?;
    let credential = given.credential(device.as_deref())?;
    let outcome = state
        .lock()
        .world
        .sign_in_with_proofs(tid, &upn, credential, &proofs)?;
    Ok(decision_json(&outcome))
}

/// R18: proving again in a session, in the three phases of a sign-in. A guest's session
/// steps up through the home tenant (R11): the world sees both.
async fn step_up(State(state): State<AppState>, Path(id): Path<String>, bytes: Bytes) -> ApiResult {
    let b: StepUpBody = body(&bytes)?;
    let session = parse_session(&id)?;
    let given = CredentialBody {
        temporary_access_pass: b.temporary_access_pass,
        password: b.password,
        device: b.device,
    };
    let (tid, device, request) = {
        let sim = state.lock();
        let tid = session_tenant(&sim, session)?;
        let device = given.device(&sim.devices)?;
        let credential = given.credential(device.as_deref())?;
        let request = sim.world.step_up_proofs_needed(tid, session, credential)?;
        (tid, device, request)
    };
    let proofs = verify(request).await?;
    let credential = given.credential(device.as_deref())?;
    let outcome = state
        .lock()
        .world
        .step_up_with_proofs(tid, session, credential, &proofs)?;
    Ok(decision_json(&outcome))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct OfferQuery {
    user_principal_name: String,
    tenant: Option<String>,
}

/// R13: what the sign-in screen asks for first. Counts toward no lockout, logs nothing.
async fn offer(
    State(state): State<AppState>,
    query: Result<Query<OfferQuery>, QueryRejection>,
) -> ApiResult {
    let Query(q) = query.map_err(|e| ApiError::invalid_request(e.body_text()))?;
    let sim = state.lock();
    let offered = sim
        .at(sim.tenant_named(q.tenant.as_deref())?)?
        .offer(&q.user_principal_name);
    Ok(ok(&json!({
        "userPrincipalName": q.user_principal_name,
        "credential": offered.as_str(),
    })))
}

/// The tenant that holds a session (session ids are unique across tenants).
fn session_tenant(sim: &Sim, session: SessionId) -> ApiResult<tapsim::TenantId> {
    sim.world
        .tenants()
        .find(|t| t.session(session).is_some())
        .map(Tenant::id)
        .ok_or_else(|| tapsim::Error::SessionNotFound(session.to_string()).into())
}

fn parse_session(id: &str) -> ApiResult<SessionId> {
    id.parse::<SessionId>()
        .map_err(|_| tapsim::Error::SessionNotFound(id.to_owned()).into())
}

async fn session_status(State(state): State<AppState>, Path(id): Path<String>) -> ApiResult {
    let sim = state.lock();
    let id = parse_session(&id)?;
    let tid = session_tenant(&sim, id)?;
    // One place decides validity: the world sees a guest's home session too (R15).
    let status = sim.world.session_status(tid, id)?;
    let mut body = sim
        .at(tid)?
        .session(id)
        .map(session_json)
        .unwrap_or(Value::Null);
    body["status"] = serde_json::to_value(status).unwrap_or(Value::Null);
    body["active"] = json!(matches!(status, SessionStatus::Active));
    Ok(ok(&body))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RegisterBody {
    kind: String,
    display_name: Option<String>,
}

async fn register_method(
    State(state): State<AppState>,
    Path(id): Path<String>,
    bytes: Bytes,
) -> ApiResult {
    let b: RegisterBody = body(&bytes)?;
    let kind: MethodKind = b
        .kind
        .parse()
        .map_err(|_| ApiError::invalid_request(format!("unknown method kind `{}`", b.kind)))?;
    let session = parse_session(&id)?;
    let name = b
        .display_name
        .unwrap_or_else(|| kind.display_name().to_owned());
    let (tid, draft) = {
        let mut sim = state.lock();
        check_device_room(&state, &sim)?;
        let tid = session_tenant(&sim, session)?;
        if sim.at(tid)?.config().hash_cost.memory_kib() <= INLINE_KIB as u32 {
            // Cheap hashing: the check, the registration and the handle under one lock.
            let device = sim.world.register_method(tid, session, kind, name)?;
            return Ok(device_created(&mut sim, kind, device));
        }
        let draft = sim
            .world
            .prepare_register_method(tid, session, kind, name)?;
        (tid, draft)
    };
    // Three phases, as for a sign-in: the checks and the draws under the lock, the hash
    // with no lock, every check again under the lock.
    let draft = off_lock(move || {
        let mut draft = draft;
        draft.run_hash();
        draft
    })
    .await?;
    let mut sim = state.lock();
    // Other registrations may have taken the last handles while this one hashed: the
    // limit is checked again before anything is stored, and the handle given out under
    // the same lock.
    check_device_room(&state, &sim)?;
    let device = sim.world.commit_register_method(tid, draft)?;
    Ok(device_created(&mut sim, kind, device))
}

/// Refuses a registration when the server holds its limit of device handles.
fn check_device_room(state: &AppState, sim: &Sim) -> ApiResult<()> {
    if sim.devices.len() >= state.config.limits.max_devices {
        return Err(ApiError::invalid_request(format!(
            "The server holds its limit of {} device handles.",
            state.config.limits.max_devices
        )));
    }
    Ok(())
}

/// Gives out a handle for a registered device: the `201 Created` answer.
fn device_created(sim: &mut Sim, kind: MethodKind, device: Device) -> Response {
    let user = device.user();
    let method = sim
        .world
        .tenants()
        .flat_map(|t| t.methods_of(user).iter())
        .find(|m| m.id() == device.method())
        .map(|m| json!({"id": m.id(), "kind": kind, "displayName": m.display_name()}))
        .unwrap_or(Value::Null);
    let handle = random_token(&mut sim.rng);
    sim.devices.insert(handle.clone(), Arc::new(device));
    json_response(
        StatusCode::CREATED,
        &json!({"method": method, "device": handle}),
    )
}

async fn add_fault(State(state): State<AppState>, bytes: Bytes) -> ApiResult {
    let spec: FaultSpec = body(&bytes)?;
    let fault = spec.into_fault(state.config.limits.max_delay_ms)?;
    let mut sim = state.lock();
    if sim.faults.len() >= state.config.limits.max_faults {
        return Err(ApiError::invalid_request(format!(
            "The server holds its limit of {} faults; clear them with DELETE /_tapsim/faults.",
            state.config.limits.max_faults
        )));
    }
    sim.faults.push_back(fault);
    Ok(json_response(
        StatusCode::CREATED,
        &json!({"installed": sim.faults.len()}),
    ))
}

async fn clear_faults(State(state): State<AppState>) -> Response {
    state.lock().faults.clear();
    StatusCode::NO_CONTENT.into_response()
}
