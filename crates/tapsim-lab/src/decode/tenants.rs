//! Several tenants in one scenario (spec S10, R11): `[[tenants]]`, the `tenant` of users,
//! groups and steps, `[[guests]]` linking an external guest to their home account, and
//! the checks that keep every act inside one tenant.
//!
//! A file without `[[tenants]]` has one tenant (`[tenant]`, or the defaults) and reads
//! exactly as before: nothing here runs for it unless it names a tenant.

use std::collections::{BTreeMap, BTreeSet};

use super::{Cx, K, Path, Tab};
use crate::error::Diagnostic;
use crate::node::{Node, Span, Value};
use crate::scenario::{Action, GuestSpec, Scenario, SignInWith, TenantSpec, UserSpec};
use crate::suggest::did_you_mean;
use tapsim::UserType;

/// The most tenants a scenario may declare.
pub const MAX_TENANTS: usize = 16;

/// The steps that may name their tenant: the others act in the tenant of their users.
const TENANT_STEPS: [&str; 3] = ["sign_in", "print_log", "set_mfa_trust"];

/// What the tenants are, and where each user and group lives.
#[derive(Debug, Default)]
pub(super) struct Tenancy {
    /// The names of `[[tenants]]`, in order; empty for a single tenant.
    names: Vec<String>,
    /// Lowercased principal name to the user's tenant.
    users: BTreeMap<String, usize>,
    /// Group name to the group's tenant.
    groups: BTreeMap<String, usize>,
    /// Lowercased home principal name to the resource tenants it is a guest of, with
    /// the guest's principal name there.
    homes: BTreeMap<String, Vec<(usize, String)>>,
    /// The tenants' domains, lowercased, by index (empty for a single tenant).
    domains: Vec<String>,
    /// Lowercased principal names of the external guests (of `[[guests]]`, and of
    /// `[[users]]` with `type = "externalGuest"`).
    external: BTreeSet<String>,
    /// Whether a `[[guests]]` entry did not resolve (its problem is reported): a
    /// sign-in it would have linked is then not reported again as unlinked.
    unresolved_guest: bool,
    /// Where each step's `tenant` key is, by the step's path (`step 3`).
    step_keys: BTreeMap<String, crate::error::Location>,
}

impl Tenancy {
    /// The tenant of a declared user (0 when unknown).
    fn user(&self, upn: &str) -> usize {
        self.users.get(&upn.to_lowercase()).copied().unwrap_or(0)
    }

    /// The name reports use for tenant `i`.
    fn name(&self, i: usize) -> String {
        self.names
            .get(i)
            .cloned()
            .unwrap_or_else(|| format!("#{i}"))
    }
}

fn span_of(t: &Tab<'_>, key: &str) -> Span {
    t.entries
        .iter()
        .find(|e| e.key == key)
        .and_then(|e| e.node.span.clone())
}

impl Cx<'_> {
    /// `[[tenants]]`: the first and the others. Reports every problem; `None` when the
    /// list cannot be read at all.
    pub(super) fn tenants_section(
        &mut self,
        node: &Node,
        path: Path,
    ) -> Option<(TenantSpec, Vec<TenantSpec>)> {
        let items = self.list(node, &path)?;
        if items.is_empty() {
            self.err(
                K::MissingField,
                &path,
                &node.span,
                "`tenants` is empty: declare at least one tenant".to_owned(),
                None,
            );
            return None;
        }
        // Names first, so that `trust_mfa_from` can name a tenant declared after it.
        for (i, n) in items.iter().enumerate() {
            let name = match &n.value {
                Value::Table(entries) => {
                    entries
                        .iter()
                        .find(|e| e.key == "name")
                        .and_then(|e| match &e.node.value {
                            Value::Str(s) => Some((s.clone(), e.node.span.clone())),
                            _ => None,
                        })
                }
                _ => None,
            };
            let Some((name, span)) = name else {
                // Reported when the entry is read.
                self.env.tenancy.names.push(String::new());
                continue;
            };
            let p = path.index(i).key("name");
            if name.trim().is_empty() {
                self.err(
                    K::InvalidValue,
                    &p,
                    &span,
                    "a tenant's name cannot be empty".to_owned(),
                    None,
                );
            } else if self.env.tenancy.names.contains(&name) {
                self.err(
                    K::DuplicateName,
                    &p,
                    &span,
                    format!("tenant `{name}` is declared twice"),
                    Some("give each tenant its own name".to_owned()),
                );
            }
            self.env.tenancy.names.push(name);
        }
        let mut specs = Vec::new();
        let mut failed = false;
        for (i, n) in items.iter().enumerate() {
            match self.one_tenant(n, path.index(i), i) {
                Some(s) => specs.push(s),
                None => failed = true,
            }
        }
        if failed {
            return None;
        }
        self.distinct_tenants(&specs, &path);
        self.env.tenancy.domains = specs.iter().map(|s| s.domain.to_lowercase()).collect();
        let mut specs = specs.into_iter();
        let first = specs.next()?;
        Some((first, specs.collect()))
    }

    /// One entry of `[[tenants]]`: its name and trust, then the keys of `[tenant]`.
    fn one_tenant(&mut self, node: &Node, path: Path, index: usize) -> Option<TenantSpec> {
        let Value::Table(entries) = &node.value else {
            self.table(node, path);
            return None;
        };
        let mut t = self.table(node, path.clone())?;
        let name = self.req_text(&mut t, "name");
        let mut trust = Vec::new();
        for (other, p, span) in self.text_list(&mut t, "trust_mfa_from") {
            if let Some(j) = self.tenant_named(&other, &p, &span) {
                if j == index {
                    self.err(
                        K::Inconsistent,
                        &p,
                        &span,
                        format!("tenant `{other}` cannot trust itself: its own MFA counts already"),
                        None,
                    );
                } else if !trust.contains(&j) {
                    trust.push(j);
                }
            }
        }
        if index > 0 && t.has("start") {
            t.get("start");
            self.err(
                K::Inconsistent,
                &path.key("start"),
                &span_of(&t, "start"),
                "all tenants share one clock: set `start` on the first tenant only".to_owned(),
                None,
            );
        }
        let has_seed = t.has("seed");
        let has_domain = t.has("domain");
        // The rest is `[tenant]`'s: read by the same code, without the keys read here.
        let rest: Vec<_> = entries
            .iter()
            .filter(|e| match e.key.as_str() {
                "name" | "trust_mfa_from" => false,
                "start" => index == 0,
                _ => true,
            })
            .cloned()
            .collect();
        t.silence();
        let rest = Node {
            span: node.span.clone(),
            value: Value::Table(rest),
        };
        let mut spec = self.tenant(&rest, path)?;
        let name = name?;
        if !has_seed {
            spec.seed = index as u64;
        }
        if !has_domain {
            spec.domain = format!("{}.com", name.to_lowercase());
        }
        spec.name = Some(name);
        spec.trust_mfa_from = trust;
        Some(spec)
    }

    /// Tenants need their own seeds (their ids come from them) and their own domains.
    fn distinct_tenants(&mut self, specs: &[TenantSpec], path: &Path) {
        for (i, a) in specs.iter().enumerate() {
            for b in specs.iter().take(i) {
                let (an, bn) = (
                    a.name.clone().unwrap_or_default(),
                    b.name.clone().unwrap_or_default(),
                );
                if a.seed == b.seed {
                    self.err(
                        K::DuplicateName,
                        &path.index(i).key("seed"),
                        &None,
                        format!(
                            "tenants `{bn}` and `{an}` have the same seed {}: a tenant's id comes from its seed",
                            a.seed
                        ),
                        Some("give each tenant its own `seed`".to_owned()),
                    );
                }
                if a.domain.eq_ignore_ascii_case(&b.domain) {
                    self.err(
                        K::DuplicateName,
                        &path.index(i).key("domain"),
                        &None,
                        format!(
                            "tenants `{bn}` and `{an}` have the same domain `{}`",
                            a.domain
                        ),
                        Some("give each tenant its own `domain`".to_owned()),
                    );
                }
            }
        }
    }

    /// A tenant by name, with a suggestion for a near miss.
    fn tenant_named(&mut self, name: &str, path: &Path, span: &Span) -> Option<usize> {
        let names = &self.env.tenancy.names;
        if let Some(i) = names.iter().position(|n| n == name && !n.is_empty()) {
            return Some(i);
        }
        let help = if names.is_empty() {
            Some("declare several tenants with `[[tenants]]`, each with a `name`".to_owned())
        } else {
            did_you_mean(name, names.iter().map(String::as_str)).or_else(|| {
                Some(format!(
                    "the tenants are {}",
                    names
                        .iter()
                        .map(|n| format!("`{n}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })
        };
        self.err(
            K::UnknownName,
            path,
            span,
            format!("unknown tenant `{name}`"),
            help,
        );
        None
    }

    /// The tenant a table names with `key`, if it names one (and it exists).
    fn tenant_key(&mut self, t: &mut Tab<'_>, key: &'static str) -> Option<usize> {
        // An absent key is not asked for in a single-tenant file, so that it gets exactly
        // the messages it always got (the list of expected keys included); with several
        // tenants it is, so that a misspelt `tenant` gets a suggestion.
        if !t.entries.iter().any(|e| e.key == key) {
            if !self.env.tenancy.names.is_empty() {
                t.known.push(key);
            }
            return None;
        }
        let node = t.get(key)?;
        let path = t.path.key(key);
        let name = self.text(node, &path)?;
        self.tenant_named(&name, &path, &node.span)
    }

    /// A user's `tenant` (default the first), remembered for the checks. A user with no
    /// `tenant` whose principal name is on another declared tenant's domain is an error:
    /// it would silently land in the first tenant.
    pub(super) fn user_tenant(&mut self, t: &mut Tab<'_>, upn: Option<&String>) -> usize {
        // A misspelt `tenant` is reported as an unknown field, with a suggestion.
        let named = t.has("tenant")
            || t.entries
                .iter()
                .any(|e| did_you_mean(&e.key, ["tenant"]).is_some());
        let tenant = self.tenant_key(t, "tenant").unwrap_or(0);
        if !named && let Some(upn) = upn {
            let domain = upn.rsplit_once('@').map(|(_, d)| d.to_lowercase());
            let owner = domain.and_then(|d| self.env.tenancy.domains.iter().position(|x| *x == d));
            if let Some(j) = owner.filter(|j| *j != tenant) {
                let (there, here) = (self.env.tenancy.name(j), self.env.tenancy.name(tenant));
                self.err(
                    K::Inconsistent,
                    &t.path.key("upn"),
                    &span_of(t, "upn"),
                    format!(
                        "`{upn}` is on the domain of `{there}`, but with no `tenant` it would be a user of `{here}`"
                    ),
                    Some(format!("add `tenant = \"{there}\"`")),
                );
            }
        }
        if let Some(upn) = upn {
            self.env
                .tenancy
                .users
                .entry(upn.to_lowercase())
                .or_insert(tenant);
        }
        tenant
    }

    /// A group's `tenant` (default the first), remembered for the checks.
    pub(super) fn group_tenant(&mut self, t: &mut Tab<'_>, name: Option<&String>) -> usize {
        let tenant = self.tenant_key(t, "tenant").unwrap_or(0);
        if let Some(name) = name {
            self.env
                .tenancy
                .groups
                .entry(name.clone())
                .or_insert(tenant);
        }
        tenant
    }

    /// `[[guests]]`: each guest becomes an external guest user of its resource tenant,
    /// linked to a user of another tenant.
    pub(super) fn guests_section(
        &mut self,
        node: &Node,
        path: Path,
        tenants: &[&TenantSpec],
        declared: &[UserSpec],
    ) -> (Vec<GuestSpec>, Vec<UserSpec>) {
        let (mut guests, mut users) = (Vec::new(), Vec::new());
        self.env.tenancy.external.extend(
            declared
                .iter()
                .filter(|u| u.user_type == UserType::ExternalGuest)
                .map(|u| u.upn.to_lowercase()),
        );
        let Some(items) = self.list(node, &path) else {
            self.env.tenancy.unresolved_guest = true;
            return (guests, users);
        };
        if tenants.len() < 2 && !items.is_empty() {
            self.env.tenancy.unresolved_guest = true;
            self.err(
                K::Inconsistent,
                &path,
                &node.span,
                "a guest's home is another tenant: `[[guests]]` needs at least two `[[tenants]]`"
                    .to_owned(),
                None,
            );
            return (guests, users);
        }
        for (i, n) in items.iter().enumerate() {
            if let Some((g, u)) = self.guest(n, path.index(i), tenants) {
                guests.push(g);
                users.push(u);
            } else {
                self.env.tenancy.unresolved_guest = true;
            }
        }
        (guests, users)
    }

    fn guest(
        &mut self,
        node: &Node,
        path: Path,
        tenants: &[&TenantSpec],
    ) -> Option<(GuestSpec, UserSpec)> {
        let mut t = self.table(node, path)?;
        let resource = self.tenant_key(&mut t, "tenant");
        let resource_named = t.has("tenant");
        let resource = match resource {
            Some(r) => r,
            None if resource_named => {
                t.silence();
                self.finish(t);
                return None;
            }
            None => 0,
        };
        let home = self.user_key(&mut t, "home", true);
        let upn = self.opt_text(&mut t, "upn");
        let display_name = self.opt_text(&mut t, "name");
        let enabled = self.opt_bool(&mut t, "enabled").unwrap_or(true);
        let span = t.span.clone();
        let upn_span = span_of(&t, "upn");
        let home_span = span_of(&t, "home");
        let p = t.path.clone();
        self.finish(t);
        let home = home?;
        if self.env.tenancy.external.contains(&home.to_lowercase()) {
            // Its own home account, when a `[[guests]]` entry made it.
            let own = self.env.tenancy.homes.iter().find_map(|(h, rs)| {
                rs.iter()
                    .any(|(_, g)| g.eq_ignore_ascii_case(&home))
                    .then(|| self.env.users.get(h).cloned().unwrap_or_else(|| h.clone()))
            });
            self.err(
                K::Inconsistent,
                &p.key("home"),
                &home_span,
                format!(
                    "`{home}` is itself an external guest (of `{}`): a guest's home account cannot be a guest",
                    self.env.tenancy.name(self.env.tenancy.user(&home))
                ),
                Some(match own {
                    Some(h) => format!("name the guest's own home account, `{h}`"),
                    None => "name a member account of the home tenant".to_owned(),
                }),
            );
            return None;
        }
        let home_tenant = self.env.tenancy.user(&home);
        if home_tenant == resource {
            self.err(
                K::Inconsistent,
                &p.key("home"),
                &span,
                format!(
                    "`{home}` is a user of `{}` already: a guest's home is another tenant",
                    self.env.tenancy.name(resource)
                ),
                Some("name the resource tenant with `tenant = \"...\"`".to_owned()),
            );
            return None;
        }
        let domain = tenants.get(resource).map(|s| s.domain.clone())?;
        let upn = upn.unwrap_or_else(|| format!("{}#EXT#@{domain}", home.replace('@', "_")));
        let key = upn.to_lowercase();
        if let Err(e) = tapsim::validate_upn(&upn) {
            self.err(
                K::InvalidValue,
                &p.key("upn"),
                &upn_span,
                e.to_string(),
                None,
            );
            return None;
        }
        if let Some(prev) = self.env.users.get(&key) {
            let msg = format!("user `{upn}` is declared twice (as `{prev}` before)");
            self.err(K::DuplicateName, &p.key("upn"), &upn_span, msg, None);
            return None;
        }
        if let Some(rs) = self.env.tenancy.homes.get(&home.to_lowercase())
            && rs.iter().any(|(r, _)| *r == resource)
        {
            self.err(
                K::DuplicateName,
                &p.key("home"),
                &span,
                format!(
                    "`{home}` is a guest of `{}` already",
                    self.env.tenancy.name(resource)
                ),
                None,
            );
            return None;
        }
        self.env.users.insert(key.clone(), upn.clone());
        self.env.tenancy.external.insert(key.clone());
        self.env.tenancy.users.insert(key, resource);
        self.env
            .tenancy
            .homes
            .entry(home.to_lowercase())
            .or_default()
            .push((resource, upn.clone()));
        let user = UserSpec {
            display_name: display_name
                .unwrap_or_else(|| home.split('@').next().unwrap_or_default().to_owned()),
            upn: upn.clone(),
            user_type: UserType::ExternalGuest,
            federated: false,
            enabled,
            roles: Vec::new(),
            password: None,
            methods: Vec::new(),
            tenant: resource,
        };
        Some((
            GuestSpec {
                upn,
                tenant: resource,
                home,
            },
            user,
        ))
    }

    /// A step's `tenant`: only the steps of [`TENANT_STEPS`] name one.
    pub(super) fn step_tenant(&mut self, t: &mut Tab<'_>, kind: Option<&str>) -> Option<usize> {
        if !t.has("tenant") {
            // Read (a `null`) or absent: either way no tenant.
            return self.tenant_key(t, "tenant").and(None);
        }
        if let Some(at) = self.loc(&span_of(t, "tenant")) {
            self.env.tenancy.step_keys.insert(t.path.0.clone(), at);
        }
        let tenant = self.tenant_key(t, "tenant");
        if let Some(kind) = kind
            && !TENANT_STEPS.contains(&kind)
        {
            self.err(
                K::Inconsistent,
                &t.path.key("tenant"),
                &span_of(t, "tenant"),
                format!(
                    "a `{kind}` step acts in the tenant of the users it names: only `sign_in`, `print_log` and `set_mfa_trust` name a tenant"
                ),
                None,
            );
            return None;
        }
        tenant
    }

    /// The steps only several tenants need: `revoke_sessions` (any scenario) and
    /// `set_mfa_trust`.
    pub(super) fn tenancy_action(&mut self, t: &mut Tab<'_>, kind: &str) -> Option<Action> {
        match kind {
            "revoke_sessions" => {
                let actor = self.user_key(t, "actor", true);
                let user = self.user_key(t, "user", true);
                Some(Action::RevokeSessions {
                    actor: actor?,
                    user: user?,
                })
            }
            _ => {
                let from = if t.has("from") {
                    self.tenant_key(t, "from")
                } else {
                    self.missing(t, "from");
                    None
                };
                let trusted = self.opt_bool(t, "trusted").unwrap_or(true);
                Some(Action::SetMfaTrust {
                    from: from?,
                    trusted,
                })
            }
        }
    }

    /// After everything is read: each step acts inside one tenant.
    pub(super) fn check_tenancy(&mut self, s: &Scenario) {
        if self.env.tenancy.names.is_empty() {
            return;
        }
        let ty = |cx: &Cx<'_>, upn: &str| cx.env.tenancy.user(upn);
        if let Some(p) = &s.policy {
            for g in p.change.include.iter().chain(&p.change.exclude).flatten() {
                if let crate::scenario::TargetName::Group(g) = g {
                    self.same_tenant_group(&p.actor, g, "policy", None);
                }
            }
        }
        for (i, g) in s.groups.iter().enumerate() {
            for u in &g.users {
                if ty(self, u) != g.tenant {
                    let msg = format!(
                        "group \"{}\" is in `{}`, but `{u}` is a user of `{}`",
                        g.name,
                        self.env.tenancy.name(g.tenant),
                        self.env.tenancy.name(ty(self, u))
                    );
                    self.push(&format!("groups[{i}]"), None, msg, None);
                }
            }
            for inner in &g.groups {
                let it = self.env.tenancy.groups.get(inner).copied().unwrap_or(0);
                if it != g.tenant {
                    let msg = format!(
                        "group \"{}\" is in `{}`, but group \"{inner}\" is in `{}`",
                        g.name,
                        self.env.tenancy.name(g.tenant),
                        self.env.tenancy.name(it)
                    );
                    self.push(&format!("groups[{i}]"), None, msg, None);
                }
            }
        }
        // Whose each named pass is.
        let pass_owner = |name: &str| {
            s.steps.iter().find_map(|st| match &st.action {
                Action::CreatePass {
                    user,
                    name: Some(n),
                    ..
                } if n == name => Some(user.as_str()),
                _ => None,
            })
        };
        // The tenant and holder of each named session and device, as the steps make
        // them (a guest's session is in the resource tenant, held by the guest).
        let mut sessions: BTreeMap<&str, (usize, String)> = BTreeMap::new();
        let mut devices: BTreeMap<&str, (usize, String)> = s
            .users
            .iter()
            .flat_map(|u| {
                u.methods
                    .iter()
                    .map(move |m| (m.device.as_str(), (u.tenant, u.upn.clone())))
            })
            .collect();
        for step in &s.steps {
            let path = format!("step {}", step.number);
            let loc = step.location;
            match &step.action {
                Action::SignIn {
                    user,
                    with,
                    session,
                } => {
                    // The user's own tenant checks the credential: for a guest (a home
                    // account signing in to another tenant) that is the home (R11).
                    let own = ty(self, user);
                    let r = step.tenant.unwrap_or(own);
                    if let Some(device) = device_of(with)
                        && let Some((d, holder)) = devices.get(device)
                        && *d != own
                    {
                        let (held, there) = (self.env.tenancy.name(*d), self.env.tenancy.name(own));
                        let msg = if r == own {
                            format!(
                                "{user} signs in to `{there}`, but device `{device}` is a method of {holder} in `{held}`: `{there}` does not know it"
                            )
                        } else {
                            format!(
                                "{user} signs in to `{}` as a guest and proves at home in `{there}` (R11), but device `{device}` is a method of {holder} in `{held}`: `{there}` does not know it",
                                self.env.tenancy.name(r)
                            )
                        };
                        let help = format!(
                            "use a device registered in a session {user} opens in `{there}`"
                        );
                        self.push(&path, loc, msg, Some(help));
                    }
                    if let Some(name) = session {
                        let holder = if r == own {
                            user.clone()
                        } else {
                            self.env
                                .tenancy
                                .homes
                                .get(&user.to_lowercase())
                                .and_then(|rs| rs.iter().find(|(t, _)| *t == r))
                                .map_or_else(|| user.clone(), |(_, g)| g.clone())
                        };
                        sessions.insert(name, (r, holder));
                    }
                }
                Action::StepUp { session, with } => {
                    if let Some(device) = device_of(with)
                        && let Some((r, holder)) = sessions.get(session.as_str())
                        && let Some((d, device_holder)) = devices.get(device)
                    {
                        // A guest's session: the home account proves, at home (R11).
                        let home = self.env.tenancy.homes.iter().find_map(|(h, rs)| {
                            rs.iter()
                                .any(|(t, g)| t == r && g.eq_ignore_ascii_case(holder))
                                .then(|| {
                                    self.env.users.get(h).cloned().unwrap_or_else(|| h.clone())
                                })
                        });
                        let checker = home.as_deref().map_or(*r, |h| ty(self, h));
                        if *d != checker {
                            let (held, there) =
                                (self.env.tenancy.name(*d), self.env.tenancy.name(checker));
                            let (msg, who) = match &home {
                                Some(h) => (
                                    format!(
                                        "{h} steps up in session `{session}` as a guest of `{}` and proves at home in `{there}` (R11), but device `{device}` is a method of {device_holder} in `{held}`: `{there}` does not know it",
                                        self.env.tenancy.name(*r)
                                    ),
                                    h.clone(),
                                ),
                                None => (
                                    format!(
                                        "{holder} steps up in session `{session}` in `{there}`, but device `{device}` is a method of {device_holder} in `{held}`: `{there}` does not know it"
                                    ),
                                    holder.clone(),
                                ),
                            };
                            let help = format!(
                                "use a device registered in a session {who} opens in `{there}`"
                            );
                            self.push(&path, loc, msg, Some(help));
                        }
                    }
                }
                Action::RegisterMethod {
                    session, device, ..
                } => {
                    if let Some(held) = sessions.get(session.as_str()) {
                        devices.insert(device, held.clone());
                    }
                }
                Action::RemoveMethod { actor, device } => {
                    if let Some((d, holder)) = devices.get(device.as_str())
                        && ty(self, actor) != *d
                    {
                        let msg = format!(
                            "{actor} is an admin of `{}`, but device `{device}` is a method of {holder}, a user of `{}`: an admin acts in their own tenant",
                            self.env.tenancy.name(ty(self, actor)),
                            self.env.tenancy.name(*d)
                        );
                        // The holder's own home account: name the guest it is there.
                        let help = self
                            .env
                            .tenancy
                            .homes
                            .get(&actor.to_lowercase())
                            .and_then(|rs| rs.iter().find(|(t, _)| t == d))
                            .map(|(_, guest)| {
                                format!(
                                    "in `{}`, {actor} is the guest `{guest}`",
                                    self.env.tenancy.name(*d)
                                )
                            });
                        self.push(&path, loc, msg, help);
                    }
                }
                _ => {}
            }
            let pairs: Vec<(&str, &str)> = match &step.action {
                Action::CreatePass { actor, user, .. }
                | Action::ListPasses { actor, user }
                | Action::ListMethods { actor, user }
                | Action::RevokeSessions { actor, user } => vec![(actor, user)],
                Action::GetPass { actor, pass } | Action::DeletePass { actor, pass } => {
                    pass_owner(pass)
                        .map(|u| (actor.as_str(), u))
                        .into_iter()
                        .collect()
                }
                _ => Vec::new(),
            };
            for (actor, user) in pairs {
                let (a, u) = (ty(self, actor), ty(self, user));
                if a != u {
                    let msg = format!(
                        "{actor} is an admin of `{}`, but {user} is a user of `{}`: an admin acts in their own tenant",
                        self.env.tenancy.name(a),
                        self.env.tenancy.name(u)
                    );
                    // A home account with a guest in the admin's tenant: name the guest.
                    let help = self
                        .env
                        .tenancy
                        .homes
                        .get(&user.to_lowercase())
                        .and_then(|rs| rs.iter().find(|(t, _)| *t == a))
                        .map(|(_, guest)| {
                            format!(
                                "in `{}`, {user} is the guest `{guest}`",
                                self.env.tenancy.name(a)
                            )
                        });
                    self.push(&path, loc, msg, help);
                }
            }
            match &step.action {
                Action::UpdatePolicy { actor, change } => {
                    for g in change.include.iter().chain(&change.exclude).flatten() {
                        if let crate::scenario::TargetName::Group(g) = g {
                            self.same_tenant_group(actor, g, &path, loc);
                        }
                    }
                }
                Action::AddToGroup { group, member }
                | Action::RemoveFromGroup { group, member } => {
                    let gt = self.env.tenancy.groups.get(group).copied().unwrap_or(0);
                    let (what, mt) = match member {
                        crate::scenario::MemberName::User(u) => (u.clone(), ty(self, u)),
                        crate::scenario::MemberName::Group(h) => (
                            format!("group \"{h}\""),
                            self.env.tenancy.groups.get(h).copied().unwrap_or(0),
                        ),
                    };
                    if gt != mt {
                        let msg = format!(
                            "group \"{group}\" is in `{}`, but {what} is in `{}`",
                            self.env.tenancy.name(gt),
                            self.env.tenancy.name(mt)
                        );
                        self.push(&path, loc, msg, None);
                    }
                }
                Action::SetMfaTrust { from, .. } if step.tenant.unwrap_or(0) == *from => {
                    let msg = format!(
                        "tenant `{}` cannot trust itself: name the guests' home tenant in `from`",
                        self.env.tenancy.name(*from)
                    );
                    self.push(&path, loc, msg, None);
                }
                Action::SignIn { user, .. } => {
                    if let Some(r) = step.tenant {
                        let own = ty(self, user) == r;
                        let guest = self
                            .env
                            .tenancy
                            .homes
                            .get(&user.to_lowercase())
                            .is_some_and(|rs| rs.iter().any(|(t, _)| *t == r));
                        // A `[[guests]]` entry that did not resolve is reported already.
                        if !own && !guest && !self.env.tenancy.unresolved_guest {
                            // At the step's `tenant`, which names the tenant.
                            let loc = self.env.tenancy.step_keys.get(&path).copied().or(loc);
                            let msg = format!(
                                "{user} is neither a user of `{}` nor the home account of one of its guests",
                                self.env.tenancy.name(r)
                            );
                            self.push(
                                &path,
                                loc,
                                msg,
                                Some("link the account with `[[guests]]`".to_owned()),
                            );
                        }
                    }
                }
                _ => {}
            }
        }
    }

    fn same_tenant_group(
        &mut self,
        actor: &str,
        group: &str,
        path: &str,
        loc: Option<crate::error::Location>,
    ) {
        let a = self.env.tenancy.user(actor);
        let g = self.env.tenancy.groups.get(group).copied().unwrap_or(0);
        if a != g {
            let msg = format!(
                "{actor} changes the policy of `{}`, but group \"{group}\" is in `{}`",
                self.env.tenancy.name(a),
                self.env.tenancy.name(g)
            );
            self.push(path, loc, msg, None);
        }
    }

    fn push(
        &mut self,
        path: &str,
        location: Option<crate::error::Location>,
        message: String,
        help: Option<String>,
    ) {
        self.diags.push(Diagnostic {
            kind: K::Inconsistent,
            message,
            path: path.to_owned(),
            location,
            help,
        });
    }
}

/// The device a credential names, if any.
fn device_of(with: &SignInWith) -> Option<&str> {
    match with {
        SignInWith::Device(d) | SignInWith::PasswordAndDevice { device: d, .. } => Some(d),
        _ => None,
    }
}
