//! Microsoft Graph's endpoints for Temporary Access Pass work (graph-server.md, "Graph
//! v1.0 endpoints"), in v1.0 and beta views (spec G3).

use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequestParts, OriginalUri, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, delete, get, post};
use serde_json::{Value, json};
use tapsim::{MethodId, MethodKind, PassId, Role, Tenant, TenantId, UserId, UserType};

use crate::control::{INLINE_KIB, Step, off_lock};
use crate::error::{ApiError, ApiResult};
use crate::query::LogQuery;
use crate::server::AppState;
use crate::state::Sim;

/// Which Graph version a request addressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Version {
    V1,
    Beta,
}

impl<S: Send + Sync> FromRequestParts<S> for Version {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Version, Self::Rejection> {
        Ok(if parts.uri.path().starts_with("/beta/") {
            Version::Beta
        } else {
            Version::V1
        })
    }
}

impl Version {
    fn segment(self) -> &'static str {
        match self {
            Version::V1 => "v1.0",
            Version::Beta => "beta",
        }
    }
    fn context(self, rest: &str) -> String {
        format!(
            "https://graph.microsoft.com/{}/$metadata#{rest}",
            self.segment()
        )
    }
}

/// The policy's path under a version prefix.
const POLICY_PATH: &str =
    "/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/{config}";

pub(crate) fn routes() -> Router<AppState> {
    let mut router = Router::new();
    for prefix in ["/v1.0", "/beta"] {
        let routes: [(&str, MethodRouter<AppState>); 16] = [
            ("/users", get(list_users)),
            ("/users/{user}", get(get_user)),
            ("/users/{user}/revokeSignInSessions", post(revoke)),
            (
                "/users/{user}/authentication/temporaryAccessPassMethods",
                get(list_passes).post(create_pass),
            ),
            (
                "/users/{user}/authentication/temporaryAccessPassMethods/{id}",
                get(get_pass).delete(delete_pass),
            ),
            ("/users/{user}/authentication/methods", get(list_methods)),
            (
                "/users/{user}/authentication/{collection}/{id}",
                delete(delete_method),
            ),
            ("/me", get(get_me)),
            (
                "/me/authentication/temporaryAccessPassMethods",
                get(list_passes_me),
            ),
            (
                "/me/authentication/temporaryAccessPassMethods/{id}",
                get(get_pass_me).delete(delete_pass_me),
            ),
            ("/me/authentication/methods", get(list_methods_me)),
            (
                POLICY_PATH,
                get(get_policy).patch(patch_policy).delete(reset_policy),
            ),
            ("/auditLogs/directoryAudits", get(list_audits)),
            ("/auditLogs/directoryAudits/{id}", get(get_audit)),
            ("/auditLogs/signIns", get(list_sign_ins)),
            ("/auditLogs/signIns/{id}", get(get_sign_in)),
        ];
        for (path, method_router) in routes {
            router = router.route(&format!("{prefix}{path}"), method_router);
        }
    }
    router
}

/// The user a request acts as: its bearer token's, or `--as` without one.
pub(crate) fn caller(
    state: &AppState,
    sim: &Sim,
    headers: &HeaderMap,
) -> ApiResult<(TenantId, UserId)> {
    let auth = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let (tid, upn) = match auth {
        Some(value) => {
            let token = value
                .strip_prefix("Bearer ")
                .or_else(|| value.strip_prefix("bearer "))
                .ok_or_else(|| ApiError::unauthenticated("Access token is empty."))?
                .trim();
            sim.tokens
                .get(token)
                .map(|(tid, upn)| (*tid, upn.as_str()))
                .ok_or_else(|| ApiError::unauthenticated("Invalid JWT token. The token is not known to this server."))?
        }
        None => state.config.act_as.as_deref().map(|upn| (sim.main, upn)).ok_or_else(|| {
            ApiError::unauthenticated(
                "Access token is empty. Mint one with POST /_tapsim/tokens, or start the server with --as.",
            )
        })?,
    };
    sim.at(tid)?
        .user_by_upn(upn)
        .map(|u| (tid, u.id()))
        .ok_or_else(|| {
            ApiError::unauthenticated(format!("The token's user `{upn}` no longer exists."))
        })
}

/// The `Content-Type` of Graph's JSON answers.
const GRAPH_JSON: &str = "application/json; odata.metadata=minimal; odata.streaming=true; IEEE754Compatible=false; charset=utf-8";

/// The caller's tenant, the caller, and the user a path names (the caller for `/me`).
fn actor_and_target(
    state: &AppState,
    sim: &Sim,
    headers: &HeaderMap,
    user: Option<&str>,
) -> ApiResult<(TenantId, UserId, UserId)> {
    let (tid, actor) = caller(state, sim, headers)?;
    let target = match user {
        Some(key) => sim.user_key(tid, key)?,
        None => actor,
    };
    Ok((tid, actor, target))
}

/// The key `/me` stands for in `@odata.context`: the caller's id.
fn me_key(state: &AppState, headers: &HeaderMap) -> ApiResult<String> {
    let sim = state.lock();
    Ok(caller(state, &sim, headers)?.1.to_string())
}

/// A JSON response.
pub(crate) fn json_response(status: StatusCode, body: &Value) -> Response {
    json_text_response(status, body.to_string())
}

/// A response whose body is JSON text already written.
fn json_text_response(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, GRAPH_JSON)], body).into_response()
}

/// `{"@odata.context": context, ...the object's own properties}`, written without a
/// `Value` in between: `object` is a JSON object's text.
fn with_context(context: &str, object: &str) -> String {
    let context = serde_json::to_string(context).unwrap_or_else(|_| "null".to_owned());
    match object.strip_prefix('{') {
        Some("}") => format!("{{\"@odata.context\":{context}}}"),
        Some(rest) => format!("{{\"@odata.context\":{context},{rest}"),
        None => object.to_owned(),
    }
}

fn collection(context: String, value: Vec<Value>) -> Value {
    json!({"@odata.context": context, "value": value})
}

/// The user key as the client sent it in the path, still percent-encoded.
fn raw_user_key(uri: &OriginalUri) -> String {
    uri.path().split('/').nth(3).unwrap_or_default().to_owned()
}

/// A Graph body as text (an empty body is `{}`), refused as `invalidRequest` when it is
/// not JSON; the domain checks the actor and permission before it reads what it says
/// (R1).
fn graph_body(body: &Bytes) -> ApiResult<&str> {
    let text = std::str::from_utf8(body)
        .map_err(|_| ApiError::invalid_request("The request body is not UTF-8 JSON."))?;
    if text.trim().is_empty() {
        return Ok("{}");
    }
    // Bytes that are not JSON at all are the HTTP layer's to refuse (graph-server.md);
    // what the JSON says is the domain's, after the permission check.
    serde_json::from_str::<serde::de::IgnoredAny>(text).map_err(|e| {
        ApiError::invalid_request(format!("The request body is not valid JSON: {e}"))
    })?;
    Ok(text)
}

fn user_json(tenant: &Tenant, id: UserId) -> Value {
    let Some(u) = tenant.directory().user(id) else {
        return Value::Null;
    };
    json!({
        "id": u.id(),
        "displayName": u.display_name(),
        "userPrincipalName": u.user_principal_name(),
        "userType": if u.user_type() == UserType::Member { "Member" } else { "Guest" },
        "accountEnabled": u.account_enabled(),
        "mail": null,
    })
}

// ---- users -----------------------------------------------------------------------------

async fn list_users(State(state): State<AppState>, v: Version, headers: HeaderMap) -> ApiResult {
    let sim = state.lock();
    let (tid, _) = caller(&state, &sim, &headers)?;
    let tenant = sim.at(tid)?;
    let users = tenant
        .directory()
        .users()
        .map(|u| user_json(tenant, u.id()))
        .collect();
    Ok(json_response(
        StatusCode::OK,
        &collection(v.context("users"), users),
    ))
}

async fn get_user(
    State(state): State<AppState>,
    v: Version,
    headers: HeaderMap,
    Path(key): Path<String>,
) -> ApiResult {
    let sim = state.lock();
    let (tid, _) = caller(&state, &sim, &headers)?;
    let id = sim.user_key(tid, &key)?;
    let mut body = user_json(sim.at(tid)?, id);
    body["@odata.context"] = json!(v.context("users/$entity"));
    Ok(json_response(StatusCode::OK, &body))
}

async fn get_me(State(state): State<AppState>, v: Version, headers: HeaderMap) -> ApiResult {
    let sim = state.lock();
    let (tid, me) = caller(&state, &sim, &headers)?;
    let mut body = user_json(sim.at(tid)?, me);
    body["@odata.context"] = json!(v.context("users/$entity"));
    Ok(json_response(StatusCode::OK, &body))
}

/// R15: `revokeSignInSessions` ends every session of the user.
async fn revoke(
    State(state): State<AppState>,
    v: Version,
    headers: HeaderMap,
    Path(key): Path<String>,
) -> ApiResult {
    let mut sim = state.lock();
    let (tid, actor) = caller(&state, &sim, &headers)?;
    let user = sim.user_key(tid, &key)?;
    sim.at_mut(tid)?.revoke_sign_in_sessions(actor, user)?;
    Ok(json_response(
        StatusCode::OK,
        &json!({"@odata.context": v.context("Edm.Boolean"), "value": true}),
    ))
}

// ---- passes ----------------------------------------------------------------------------

/// G3: the domain's views of the pass (beta adds `lastUsedDateTime`).
fn pass_json(v: Version, pass: &tapsim::TemporaryAccessPass) -> Value {
    match v {
        Version::V1 => tapsim::graph::pass_v1(pass),
        Version::Beta => tapsim::graph::pass_beta(pass),
    }
}

fn passes_context(v: Version, key: &str) -> String {
    v.context(&format!(
        "users('{key}')/authentication/temporaryAccessPassMethods"
    ))
}

fn list_passes_of(
    state: &AppState,
    v: Version,
    headers: &HeaderMap,
    user: Option<&str>,
    key: &str,
) -> ApiResult {
    let sim = state.lock();
    let (tid, actor, target) = actor_and_target(state, &sim, headers, user)?;
    let passes = sim.at(tid)?.list_passes(actor, target)?;
    let value = passes.iter().map(|p| pass_json(v, p)).collect();
    Ok(json_response(
        StatusCode::OK,
        &collection(passes_context(v, key), value),
    ))
}

async fn list_passes(
    State(state): State<AppState>,
    v: Version,
    headers: HeaderMap,
    uri: OriginalUri,
    Path(user): Path<String>,
) -> ApiResult {
    list_passes_of(&state, v, &headers, Some(&user), &raw_user_key(&uri))
}

async fn list_passes_me(
    State(state): State<AppState>,
    v: Version,
    headers: HeaderMap,
) -> ApiResult {
    let key = me_key(&state, &headers)?;
    list_passes_of(&state, v, &headers, None, &key)
}

fn parse_pass_id(id: &str) -> ApiResult<PassId> {
    id.parse::<PassId>()
        .map_err(|_| tapsim::Error::PassNotFound(id.to_owned()).into())
}

fn get_pass_of(
    state: &AppState,
    v: Version,
    headers: &HeaderMap,
    user: Option<&str>,
    key: &str,
    id: &str,
) -> ApiResult {
    let sim = state.lock();
    let (tid, actor, target) = actor_and_target(state, &sim, headers, user)?;
    let id = parse_pass_id(id).unwrap_or(PassId(tapsim::Guid::NIL));
    let pass = sim.at(tid)?.get_pass(actor, target, id)?;
    drop(sim);
    let object = match v {
        Version::V1 => serde_json::to_string(&pass).unwrap_or_default(),
        Version::Beta => pass_json(v, &pass).to_string(),
    };
    let context = format!("{}/$entity", passes_context(v, key));
    Ok(json_text_response(
        StatusCode::OK,
        with_context(&context, &object),
    ))
}

async fn get_pass(
    State(state): State<AppState>,
    v: Version,
    headers: HeaderMap,
    uri: OriginalUri,
    Path((user, id)): Path<(String, String)>,
) -> ApiResult {
    get_pass_of(&state, v, &headers, Some(&user), &raw_user_key(&uri), &id)
}

async fn get_pass_me(
    State(state): State<AppState>,
    v: Version,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let key = me_key(&state, &headers)?;
    get_pass_of(&state, v, &headers, None, &key, &id)
}

async fn create_pass(
    State(state): State<AppState>,
    v: Version,
    headers: HeaderMap,
    uri: OriginalUri,
    Path(user): Path<String>,
    body: Bytes,
) -> ApiResult {
    let (tid, step) = {
        let mut sim = state.lock();
        let (tid, actor) = caller(&state, &sim, &headers)?;
        let target = sim.user_key(tid, &user)?;
        let tenant = sim.at_mut(tid)?;
        let body = graph_body(&body)?;
        let step = if tenant.config().hash_cost.memory_kib() <= INLINE_KIB as u32 {
            Step::Done(tenant.create_pass_json(actor, target, body)?)
        } else {
            Step::Hash(tenant.prepare_create_pass_json(actor, target, body)?)
        };
        (tid, step)
    };
    let issued = match step {
        Step::Done(issued) => issued,
        // Three phases, as for a sign-in: the checks and the draws under the lock, the
        // hash with no lock, every check again (T5 included) under the lock.
        Step::Hash(draft) => {
            let draft = off_lock(move || {
                let mut draft = draft;
                draft.run_hash();
                draft
            })
            .await?;
            // A reset, scenario or snapshot meanwhile rebuilt the tenant: the draft's ids
            // came from the old one, and the commit is refused (`conflict`).
            state.lock().at_mut(tid)?.commit_create_pass(draft)?
        }
    };
    let mut json = match v {
        Version::V1 => issued.danger_graph_json(),
        Version::Beta => tapsim::graph::danger_issued_pass_beta(&issued),
    };
    let key = raw_user_key(&uri);
    json["@odata.context"] = json!(format!("{}/$entity", passes_context(v, &key)));
    Ok(json_response(StatusCode::CREATED, &json))
}

fn delete_pass_of(
    state: &AppState,
    headers: &HeaderMap,
    user: Option<&str>,
    id: &str,
) -> ApiResult {
    let mut sim = state.lock();
    let (tid, actor, target) = actor_and_target(state, &sim, headers, user)?;
    let id = parse_pass_id(id).unwrap_or(PassId(tapsim::Guid::NIL));
    sim.at_mut(tid)?.delete_pass(actor, target, id)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn delete_pass(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((user, id)): Path<(String, String)>,
) -> ApiResult {
    delete_pass_of(&state, &headers, Some(&user), &id)
}

async fn delete_pass_me(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    delete_pass_of(&state, &headers, None, &id)
}

// ---- methods ---------------------------------------------------------------------------

fn list_methods_of(
    state: &AppState,
    v: Version,
    headers: &HeaderMap,
    user: Option<&str>,
    key: &str,
) -> ApiResult {
    let sim = state.lock();
    let (tid, actor, target) = actor_and_target(state, &sim, headers, user)?;
    let methods = sim.at(tid)?.list_methods(actor, target)?;
    let value = methods
        .iter()
        .map(|m| serde_json::to_value(m).unwrap_or(Value::Null))
        .collect();
    let context = v.context(&format!("users('{key}')/authentication/methods"));
    Ok(json_response(StatusCode::OK, &collection(context, value)))
}

async fn list_methods(
    State(state): State<AppState>,
    v: Version,
    headers: HeaderMap,
    uri: OriginalUri,
    Path(user): Path<String>,
) -> ApiResult {
    list_methods_of(&state, v, &headers, Some(&user), &raw_user_key(&uri))
}

async fn list_methods_me(
    State(state): State<AppState>,
    v: Version,
    headers: HeaderMap,
) -> ApiResult {
    let key = me_key(&state, &headers)?;
    list_methods_of(&state, v, &headers, None, &key)
}

/// The method kinds each Graph collection holds (M4).
fn collection_kinds(name: &str) -> Option<&'static [MethodKind]> {
    Some(match name {
        // A passkey in Authenticator is a FIDO2 method in Graph (B2's M5 amended).
        "fido2Methods" => &[
            MethodKind::Fido2SecurityKey,
            MethodKind::Passkey,
            MethodKind::AuthenticatorPasskey,
        ],
        "microsoftAuthenticatorMethods" => &[
            MethodKind::MicrosoftAuthenticatorPush,
            MethodKind::MicrosoftAuthenticatorPasswordless,
        ],
        "phoneMethods" => &[MethodKind::Sms, MethodKind::Voice],
        "softwareOathMethods" => &[MethodKind::SoftwareOath],
        "windowsHelloForBusinessMethods" => &[MethodKind::WindowsHelloForBusiness],
        "passwordMethods" => &[MethodKind::Password],
        _ => return None,
    })
}

async fn delete_method(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((user, name, id)): Path<(String, String, String)>,
) -> ApiResult {
    let Some(kinds) = collection_kinds(&name) else {
        return Err(ApiError::not_found(format!(
            "Resource not found for the segment '{name}'."
        )));
    };
    let mut sim = state.lock();
    let (tid, actor) = caller(&state, &sim, &headers)?;
    let target = sim.user_key(tid, &user)?;
    if kinds == [MethodKind::Password] {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "badRequest",
            "The password method cannot be deleted.",
        ));
    }
    // A method of another collection is not found here; the domain still checks the
    // actor and permission first (R1), so the nil id stands for "not in this collection".
    let methods = sim.at(tid)?.methods_of(target);
    let id = id
        .parse::<MethodId>()
        .ok()
        .filter(|id| {
            methods
                .iter()
                .any(|m| m.id() == *id && kinds.contains(&m.kind()))
        })
        .unwrap_or(MethodId(tapsim::Guid::NIL));
    sim.at_mut(tid)?.remove_method(actor, target, id)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

// ---- policy ----------------------------------------------------------------------------

fn check_policy_segment(config: &str) -> ApiResult<()> {
    if config.eq_ignore_ascii_case(tapsim::POLICY_ID) {
        Ok(())
    } else {
        Err(ApiError::not_found(format!(
            "The authentication method configuration `{config}` does not exist here (only `TemporaryAccessPass`)."
        )))
    }
}

async fn get_policy(
    State(state): State<AppState>,
    v: Version,
    headers: HeaderMap,
    Path(config): Path<String>,
) -> ApiResult {
    check_policy_segment(&config)?;
    let sim = state.lock();
    let (tid, actor) = caller(&state, &sim, &headers)?;
    let policy = sim.at(tid)?.policy(actor)?;
    let mut body = tapsim::graph::policy_get_response(policy);
    if v == Version::V1 {
        body["@odata.context"] = json!(v.context(
            "policies/authenticationMethodsPolicy/authenticationMethodConfigurations/$entity"
        ));
    }
    Ok(json_response(StatusCode::OK, &body))
}

async fn patch_policy(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(config): Path<String>,
    body: Bytes,
) -> ApiResult {
    check_policy_segment(&config)?;
    let mut sim = state.lock();
    let (tid, actor) = caller(&state, &sim, &headers)?;
    sim.at_mut(tid)?
        .update_policy_json(actor, graph_body(&body)?)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn reset_policy(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(config): Path<String>,
) -> ApiResult {
    check_policy_segment(&config)?;
    let mut sim = state.lock();
    let (tid, actor) = caller(&state, &sim, &headers)?;
    sim.at_mut(tid)?.reset_policy(actor)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

// ---- logs ------------------------------------------------------------------------------

/// The roles that may read the logs (graph-server.md).
const LOG_READERS: [Role; 3] = [
    Role::GlobalAdministrator,
    Role::GlobalReader,
    Role::ReportsReader,
];

fn check_log_reader(tenant: &Tenant, actor: UserId) -> ApiResult<()> {
    let allowed = tenant
        .directory()
        .user(actor)
        .is_some_and(|u| LOG_READERS.iter().any(|r| u.has_role(*r)));
    if allowed {
        Ok(())
    } else {
        Err(ApiError::access_denied(
            "Insufficient privileges to complete the operation: reading the logs needs Global Administrator, Global Reader or Reports Reader.",
        ))
    }
}

/// G3: the domain's views, every property of Graph's `signIn` (beta adds its own).
fn sign_in_json(v: Version, record: &tapsim::SignInRecord) -> Value {
    match v {
        Version::V1 => tapsim::graph::sign_in_v1(record),
        Version::Beta => tapsim::graph::sign_in_beta(record),
    }
}

/// The two logs under `auditLogs`: what their endpoints share is one helper each for the
/// list and the single record; this says where they differ.
#[derive(Debug, Clone, Copy)]
enum Log {
    /// `auditLogs/directoryAudits`.
    Audits,
    /// `auditLogs/signIns`.
    SignIns,
}

impl Log {
    fn path(self) -> &'static str {
        match self {
            Log::Audits => "auditLogs/directoryAudits",
            Log::SignIns => "auditLogs/signIns",
        }
    }

    /// The only property `$orderby` accepts.
    fn date_property(self) -> &'static str {
        match self {
            Log::Audits => "activityDateTime",
            Log::SignIns => "createdDateTime",
        }
    }

    /// The order without `$orderby`: sign-ins newest first, audits oldest first.
    fn newest_first(self) -> bool {
        matches!(self, Log::SignIns)
    }

    /// Every record in the version's view (the audit log has one view), oldest first.
    fn records(self, tenant: &Tenant, v: Version) -> Vec<Value> {
        match self {
            Log::Audits => tenant
                .audit_log()
                .iter()
                .map(tapsim::graph::audit_v1)
                .collect(),
            Log::SignIns => tenant
                .sign_in_log()
                .iter()
                .map(|r| sign_in_json(v, r))
                .collect(),
        }
    }

    /// The record whose id is `id` (any case), in the version's view.
    fn find(self, tenant: &Tenant, v: Version, id: &str) -> Option<Value> {
        let is = |record_id: &tapsim::Guid| record_id.to_string().eq_ignore_ascii_case(id);
        match self {
            Log::Audits => tenant
                .audit_log()
                .iter()
                .find(|r| is(&r.id))
                .map(tapsim::graph::audit_v1),
            Log::SignIns => tenant
                .sign_in_log()
                .iter()
                .find(|r| is(&r.id))
                .map(|r| sign_in_json(v, r)),
        }
    }
}

/// A log's list: `$filter`, `$orderby`, then a page of `$top` from `$skiptoken`, with
/// `@odata.nextLink` while more remain.
fn list_log(
    state: &AppState,
    v: Version,
    headers: &HeaderMap,
    uri: &OriginalUri,
    pairs: &[(String, String)],
    log: Log,
) -> ApiResult {
    let query = LogQuery::parse(pairs, log.date_property())?;
    let sim = state.lock();
    let (tid, actor) = caller(state, &sim, headers)?;
    let tenant = sim.at(tid)?;
    check_log_reader(tenant, actor)?;
    let mut all = log.records(tenant, v);
    drop(sim);
    if let Some(f) = &query.filter {
        all.retain(|r| f.matches(r));
    }
    let ascending = query.ascending.unwrap_or(!log.newest_first());
    if !ascending {
        all.reverse();
    }
    let total = all.len();
    let page: Vec<Value> = all.into_iter().skip(query.skip).take(query.top).collect();
    let mut body = collection(v.context(log.path()), page);
    let next = query.skip.saturating_add(query.top);
    if next < total {
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("localhost");
        let kept: Vec<String> = uri
            .query()
            .unwrap_or_default()
            .split('&')
            .filter(|p| {
                !p.is_empty() && !p.starts_with("$skiptoken=") && !p.starts_with("%24skiptoken=")
            })
            .map(str::to_owned)
            .chain(std::iter::once(format!("$skiptoken={next}")))
            .collect();
        body["@odata.nextLink"] = json!(format!("http://{host}{}?{}", uri.path(), kept.join("&")));
    }
    Ok(json_response(StatusCode::OK, &body))
}

async fn list_audits(
    State(state): State<AppState>,
    v: Version,
    headers: HeaderMap,
    uri: OriginalUri,
    Query(pairs): Query<Vec<(String, String)>>,
) -> ApiResult {
    list_log(&state, v, &headers, &uri, &pairs, Log::Audits)
}

async fn list_sign_ins(
    State(state): State<AppState>,
    v: Version,
    headers: HeaderMap,
    uri: OriginalUri,
    Query(pairs): Query<Vec<(String, String)>>,
) -> ApiResult {
    list_log(&state, v, &headers, &uri, &pairs, Log::SignIns)
}

/// One record of a log, by id.
fn get_log_record(
    state: &AppState,
    v: Version,
    headers: &HeaderMap,
    id: &str,
    log: Log,
) -> ApiResult {
    let sim = state.lock();
    let (tid, actor) = caller(state, &sim, headers)?;
    let tenant = sim.at(tid)?;
    check_log_reader(tenant, actor)?;
    let mut record = log.find(tenant, v, id).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "Request_ResourceNotFound",
            format!("Resource '{id}' does not exist."),
        )
    })?;
    record["@odata.context"] = json!(v.context(&format!("{}/$entity", log.path())));
    Ok(json_response(StatusCode::OK, &record))
}

async fn get_audit(
    State(state): State<AppState>,
    v: Version,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    get_log_record(&state, v, &headers, &id, Log::Audits)
}

async fn get_sign_in(
    State(state): State<AppState>,
    v: Version,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    get_log_record(&state, v, &headers, &id, Log::SignIns)
}
