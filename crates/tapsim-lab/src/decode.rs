//! From a parsed tree to a checked [`Scenario`], collecting every problem with its path
//! and location.
//!
//! One pass, in timeline order: users and groups first, then the steps, keeping track
//! of the passes, sessions and devices each step names so that a later step can only
//! use what exists by then.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};

use super::error::{Diagnostic, DiagnosticKind as K, Location, ScenarioError};
use super::node::{Entry, Node, Span, Value, parse_json, parse_toml};
use super::scenario::*;
use super::suggest::{SUGGESTION_BUDGET, did_you_mean, did_you_mean_within};
use super::time::{
    format_duration, latest_instant, out_of_calendar, parse_duration, parse_instant,
};
use tapsim::{
    DenialReason, ErrorCode, HashCost, LockoutSettings, MethodKind, PolicyState, Profile, Role,
    Secret, SessionEndReason, UsabilityReason, UserType,
};
pub use tenants::MAX_TENANTS;

mod tenants;

/// The largest scenario file, in bytes.
pub const MAX_SCENARIO_BYTES: usize = 1 << 20;
/// The most users a scenario may declare.
pub const MAX_USERS: usize = 10_000;
/// The most groups a scenario may declare.
pub const MAX_GROUPS: usize = 10_000;
/// The most steps a scenario may have.
pub const MAX_STEPS: usize = 10_000;

fn limit(message: String) -> ScenarioError {
    ScenarioError {
        origin: None,
        diagnostics: vec![Diagnostic {
            kind: K::LimitExceeded,
            message,
            path: String::new(),
            location: None,
            help: None,
        }],
    }
}

/// Parses `source` and checks it.
pub(crate) fn decode(source: &str, format: Format) -> Result<Scenario, ScenarioError> {
    if source.len() > MAX_SCENARIO_BYTES {
        return Err(limit(format!(
            "the file has {} bytes, over the limit of {MAX_SCENARIO_BYTES} bytes (1 MiB)",
            source.len()
        )));
    }
    let root = match format {
        // Blank text is an empty file in either syntax (JSON would call it a syntax
        // error): refused below as such, by name.
        _ if source.trim().is_empty() => Ok(Node {
            span: None,
            value: Value::Table(Vec::new()),
        }),
        Format::Toml => parse_toml(source),
        Format::Json => parse_json(source),
    }
    .map_err(|d| ScenarioError {
        origin: None,
        diagnostics: vec![d],
    })?;
    // The counts first: checking is then bounded by the limits, whatever the file holds.
    if let crate::node::Value::Table(entries) = &root.value {
        for (key, max) in [
            ("users", MAX_USERS),
            ("groups", MAX_GROUPS),
            ("steps", MAX_STEPS),
            ("tenants", MAX_TENANTS),
            ("guests", MAX_USERS),
        ] {
            let n = entries
                .iter()
                .find(|e| e.key == key)
                .and_then(|e| match &e.node.value {
                    crate::node::Value::Array(items) => Some(items.len()),
                    _ => None,
                })
                .unwrap_or(0);
            if n > max {
                return Err(limit(format!(
                    "the scenario has {n} {key}, over the limit of {max}"
                )));
            }
        }
    }
    let mut cx = Cx {
        // Both syntaxes have spans (JSON's found by `parse_json`).
        source: Some(source),
        lines: Some(crate::error::LineIndex::new(source)),
        diags: Vec::new(),
        env: Env::default(),
        suggestions: std::cell::Cell::new(SUGGESTION_BUDGET),
    };
    let scenario = cx.scenario(&root);
    let mut diags = cx.diags;
    // File order; problems without a location (JSON, or whole tables) keep their order.
    diags.sort_by_key(|d| {
        d.location
            .map_or((usize::MAX, usize::MAX), |l| (l.line, l.column))
    });
    match scenario {
        Some(s) if diags.is_empty() => Ok(s),
        _ => {
            if diags.is_empty() {
                diags.push(Diagnostic {
                    kind: K::InvalidValue,
                    message: "the scenario could not be read".to_owned(),
                    path: String::new(),
                    location: None,
                    help: None,
                });
            }
            Err(ScenarioError {
                origin: None,
                diagnostics: diags,
            })
        }
    }
}

/// A path into the scenario, as messages show it.
#[derive(Debug, Clone, Default)]
struct Path(String);

impl Path {
    fn key(&self, k: &str) -> Path {
        if self.0.is_empty() {
            Path(k.to_owned())
        } else {
            Path(format!("{}.{k}", self.0))
        }
    }
    fn index(&self, i: usize) -> Path {
        Path(format!("{}[{i}]", self.0))
    }
}

/// What the passes, sessions and devices named so far are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum NameKind {
    Pass,
    Session,
    Device,
}

impl NameKind {
    fn noun(self) -> &'static str {
        match self {
            NameKind::Pass => "pass",
            NameKind::Session => "session",
            NameKind::Device => "device",
        }
    }
    fn how(self) -> &'static str {
        match self {
            NameKind::Pass => "name a pass with `name = \"...\"` in a `create_pass` step",
            NameKind::Session => "name a session with `session = \"...\"` in a `sign_in` step",
            NameKind::Device => {
                "name a device in a user's `methods` or with `device = \"...\"` in a `register_method` step"
            }
        }
    }
}

#[derive(Debug, Clone)]
struct Named {
    /// The step that defined it (0 for the setup).
    step: usize,
    /// Whose it is (principal name; empty when the owner could not be resolved).
    user: String,
    /// For devices: the step that lost it.
    lost: Option<usize>,
}

#[derive(Debug, Default)]
struct Env {
    /// Lowercased principal name to the name as declared.
    users: BTreeMap<String, String>,
    groups: BTreeSet<String>,
    names: BTreeMap<(NameKind, String), Named>,
    /// Names that later steps define: for "it is created only in step N".
    later: BTreeMap<(NameKind, String), usize>,
    /// The tenants, and where each user and group lives.
    tenancy: tenants::Tenancy,
    /// The clock as the timeline reaches the step being read, when known: only
    /// `advance_clock` and `set_clock` move it, so it is known before running.
    clock: Option<DateTime<Utc>>,
}

struct Cx<'s> {
    source: Option<&'s str>,
    /// Built once for the TOML source, for every location reported.
    lines: Option<crate::error::LineIndex>,
    diags: Vec<Diagnostic>,
    env: Env,
    /// What is left of the file's budget for "did you mean" among its own names.
    suggestions: std::cell::Cell<usize>,
}

/// A table being read: remembers which keys were asked for, to report the others.
struct Tab<'n> {
    entries: &'n [Entry],
    span: Span,
    path: Path,
    used: Vec<bool>,
    known: Vec<&'static str>,
}

impl<'n> Tab<'n> {
    fn get(&mut self, key: &'static str) -> Option<&'n Node> {
        self.known.push(key);
        let i = self.entries.iter().position(|e| e.key == key)?;
        // `used` has one flag per entry (built together in `Cx::table`).
        self.used[i] = true;
        let node = &self.entries[i].node;
        (!matches!(node.value, Value::Null)).then_some(node)
    }

    fn has(&self, key: &str) -> bool {
        self.entries
            .iter()
            .any(|e| e.key == key && !matches!(e.node.value, Value::Null))
    }

    /// Marks every key as read (after an error that makes the rest meaningless).
    fn silence(&mut self) {
        self.used.iter_mut().for_each(|u| *u = true);
    }
}

impl<'s> Cx<'s> {
    fn loc(&self, span: &Span) -> Option<Location> {
        match (self.source, &self.lines, span) {
            (Some(src), Some(lines), Some(r)) => Some(lines.locate(src, r.start)),
            _ => None,
        }
    }

    fn err(&mut self, kind: K, path: &Path, span: &Span, message: String, help: Option<String>) {
        let location = self.loc(span);
        // Messages quote the scenario's text: never a raw control character or
        // terminal escape (issue 13).
        self.diags.push(Diagnostic {
            kind,
            message: crate::escape::escape_line(&message).into_owned(),
            path: crate::escape::escape_line(&path.0).into_owned(),
            location,
            help: help.map(|h| crate::escape::escape_line(&h).into_owned()),
        });
    }

    // ---- Tables and plain values ----------------------------------------------------

    fn table<'n>(&mut self, node: &'n Node, path: Path) -> Option<Tab<'n>> {
        match &node.value {
            Value::Table(entries) => Some(Tab {
                entries,
                span: node.span.clone(),
                used: vec![false; entries.len()],
                path,
                known: Vec::new(),
            }),
            other => {
                let msg = format!("expected a table, found {}", other.type_name());
                self.err(K::WrongType, &path, &node.span, msg, None);
                None
            }
        }
    }

    fn finish(&mut self, t: Tab<'_>) {
        for (e, used) in t.entries.iter().zip(&t.used) {
            if !used {
                let help = did_you_mean(&e.key, t.known.iter().copied()).or_else(|| {
                    let mut known: Vec<&str> = t.known.clone();
                    known.sort_unstable();
                    known.dedup();
                    (!known.is_empty()).then(|| {
                        format!(
                            "expected one of {}",
                            known
                                .iter()
                                .map(|k| format!("`{k}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    })
                });
                let msg = format!("unknown field `{}`", e.key);
                let span = e.key_span.clone().or_else(|| e.node.span.clone());
                self.err(K::UnknownField, &t.path, &span, msg, help);
            }
        }
    }

    fn missing(&mut self, t: &Tab<'_>, key: &str) {
        let msg = format!("missing field `{key}`");
        self.err(K::MissingField, &t.path, &t.span, msg, None);
    }

    fn wrong_type(&mut self, node: &Node, path: &Path, expected: &str) {
        let msg = format!("expected {expected}, found {}", node.value.type_name());
        self.err(K::WrongType, path, &node.span, msg, None);
    }

    fn text(&mut self, node: &Node, path: &Path) -> Option<String> {
        match &node.value {
            Value::Str(s) => Some(s.clone()),
            _ => {
                self.wrong_type(node, path, "text");
                None
            }
        }
    }

    fn boolean(&mut self, node: &Node, path: &Path) -> Option<bool> {
        match node.value {
            Value::Bool(b) => Some(b),
            _ => {
                self.wrong_type(node, path, "`true` or `false`");
                None
            }
        }
    }

    fn int(&mut self, node: &Node, path: &Path, min: i128, max: i128) -> Option<i128> {
        match node.value {
            Value::Int(n) if (min..=max).contains(&n) => Some(n),
            Value::Int(n) => {
                let msg = format!("`{n}` is out of range: expected {min} to {max}");
                self.err(K::InvalidValue, path, &node.span, msg, None);
                None
            }
            _ => {
                self.wrong_type(node, path, "an integer");
                None
            }
        }
    }

    fn list<'n>(&mut self, node: &'n Node, path: &Path) -> Option<&'n [Node]> {
        match &node.value {
            Value::Array(items) => Some(items),
            _ => {
                self.wrong_type(node, path, "a list");
                None
            }
        }
    }

    fn opt_text(&mut self, t: &mut Tab<'_>, key: &'static str) -> Option<String> {
        let node = t.get(key)?;
        self.text(node, &t.path.key(key))
    }

    fn req_text(&mut self, t: &mut Tab<'_>, key: &'static str) -> Option<String> {
        match t.get(key) {
            Some(node) => self.text(node, &t.path.key(key)),
            None => {
                self.missing(t, key);
                None
            }
        }
    }

    fn opt_bool(&mut self, t: &mut Tab<'_>, key: &'static str) -> Option<bool> {
        let node = t.get(key)?;
        self.boolean(node, &t.path.key(key))
    }

    fn opt_int(
        &mut self,
        t: &mut Tab<'_>,
        key: &'static str,
        min: i128,
        max: i128,
    ) -> Option<i128> {
        let node = t.get(key)?;
        self.int(node, &t.path.key(key), min, max)
    }

    fn opt_secret(&mut self, t: &mut Tab<'_>, key: &'static str) -> Option<Secret> {
        self.opt_text(t, key).map(Secret::from)
    }

    fn text_list(&mut self, t: &mut Tab<'_>, key: &'static str) -> Vec<(String, Path, Span)> {
        let Some(node) = t.get(key) else {
            return Vec::new();
        };
        let path = t.path.key(key);
        let Some(items) = self.list(node, &path) else {
            return Vec::new();
        };
        items
            .iter()
            .enumerate()
            .filter_map(|(i, n)| {
                let p = path.index(i);
                self.text(n, &p).map(|s| (s, p, n.span.clone()))
            })
            .collect()
    }

    /// One of a fixed set of spellings (ignoring case, `_`, `-` and spaces), with a
    /// suggestion for a near miss.
    fn pick<T: Copy>(
        &mut self,
        node: &Node,
        path: &Path,
        what: &str,
        options: &[(&str, T)],
    ) -> Option<T> {
        let text = self.text(node, path)?;
        self.pick_text(&text, node, path, what, options)
    }

    fn pick_text<T: Copy>(
        &mut self,
        text: &str,
        node: &Node,
        path: &Path,
        what: &str,
        options: &[(&str, T)],
    ) -> Option<T> {
        let squash = |s: &str| -> String {
            s.chars()
                .filter(|c| !matches!(c, '_' | '-' | ' '))
                .map(|c| c.to_ascii_lowercase())
                .collect()
        };
        let wanted = squash(text);
        if let Some((_, v)) = options.iter().find(|(name, _)| squash(name) == wanted) {
            return Some(*v);
        }
        let names = options.iter().map(|(n, _)| *n);
        let help = did_you_mean(text, names.clone()).or_else(|| {
            Some(format!(
                "expected one of {}",
                names
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        });
        self.err(
            K::InvalidValue,
            path,
            &node.span,
            format!("unknown {what} `{text}`"),
            help,
        );
        None
    }

    fn instant(&mut self, node: &Node, path: &Path) -> Option<DateTime<Utc>> {
        let text = match &node.value {
            Value::Str(s) | Value::DateTime(s) => s.clone(),
            _ => {
                self.wrong_type(node, path, "a date-time such as `2026-01-05T09:00:00Z`");
                return None;
            }
        };
        match parse_instant(&text) {
            Ok(t) => Some(t),
            Err(msg) => {
                self.err(K::InvalidTime, path, &node.span, msg, None);
                None
            }
        }
    }

    fn time_spec(&mut self, node: &Node, path: &Path) -> Option<TimeSpec> {
        if let Value::Str(s) = &node.value {
            let s = s.trim();
            if s.starts_with('+') || s.starts_with('-') {
                return match parse_duration(s, true) {
                    Ok(d) => Some(TimeSpec::FromNow(d)),
                    Err(msg) => {
                        self.err(K::InvalidTime, path, &node.span, msg, None);
                        None
                    }
                };
            }
        }
        self.instant(node, path).map(TimeSpec::At)
    }

    // ---- Names --------------------------------------------------------------------

    /// A user named by principal name, which must be declared in `[[users]]`.
    fn user_named(&mut self, upn: &str, path: &Path, span: &Span) -> Option<String> {
        if let Some(u) = self.env.users.get(&upn.to_lowercase()) {
            return Some(u.clone());
        }
        let help = did_you_mean_within(
            upn,
            self.env.users.values().map(String::as_str),
            &self.suggestions,
        )
        .or_else(|| Some("users are declared in `[[users]]`".to_owned()));
        self.err(
            K::UnknownName,
            path,
            span,
            format!("unknown user `{upn}`"),
            help,
        );
        None
    }

    fn user_key(&mut self, t: &mut Tab<'_>, key: &'static str, required: bool) -> Option<String> {
        let Some(node) = t.get(key) else {
            if required {
                self.missing(t, key);
            }
            return None;
        };
        let path = t.path.key(key);
        let upn = self.text(node, &path)?;
        self.user_named(&upn, &path, &node.span)
    }

    fn group_named(&mut self, name: &str, path: &Path, span: &Span) -> Option<String> {
        if self.env.groups.contains(name) {
            return Some(name.to_owned());
        }
        let help = did_you_mean_within(
            name,
            self.env.groups.iter().map(String::as_str),
            &self.suggestions,
        )
        .or_else(|| Some("groups are declared in `[[groups]]`".to_owned()));
        self.err(
            K::UnknownName,
            path,
            span,
            format!("unknown group `{name}`"),
            help,
        );
        None
    }

    /// Defines a pass, session or device name at step `step`.
    fn define(
        &mut self,
        kind: NameKind,
        name: &str,
        step: usize,
        user: String,
        path: &Path,
        span: &Span,
    ) {
        let key = (kind, name.to_owned());
        if let Some(prev) = self.env.names.get(&key) {
            let at = if prev.step == 0 {
                "in the setup".to_owned()
            } else {
                format!("in step {}", prev.step)
            };
            self.err(
                K::DuplicateName,
                path,
                span,
                format!("{} name `{name}` is already used {at}", kind.noun()),
                Some("give each one its own name".to_owned()),
            );
            return;
        }
        self.env.names.insert(
            key,
            Named {
                step,
                user,
                lost: None,
            },
        );
    }

    fn define_key(
        &mut self,
        t: &mut Tab<'_>,
        key: &'static str,
        kind: NameKind,
        step: usize,
        user: Option<&String>,
    ) -> Option<String> {
        let node = t.get(key)?;
        let path = t.path.key(key);
        let name = self.text(node, &path)?;
        self.define(
            kind,
            &name,
            step,
            user.cloned().unwrap_or_default(),
            &path,
            &node.span,
        );
        Some(name)
    }

    /// A pass, session or device defined before step `step`.
    fn reference(
        &mut self,
        t: &mut Tab<'_>,
        key: &'static str,
        kind: NameKind,
        step: usize,
    ) -> Option<(String, Named)> {
        let Some(node) = t.get(key) else {
            self.missing(t, key);
            return None;
        };
        let path = t.path.key(key);
        let name = self.text(node, &path)?;
        if let Some(n) = self.env.names.get(&(kind, name.clone())) {
            return Some((name, n.clone()));
        }
        let help = match self.env.later.get(&(kind, name.clone())) {
            Some(at) if *at >= step => Some(format!(
                "it is only created in step {at}: a step can use what earlier steps created"
            )),
            _ => {
                // The names of this kind only, in order, never copied.
                let known = self
                    .env
                    .names
                    .range((kind, String::new())..)
                    .take_while(|((k, _), _)| *k == kind)
                    .map(|((_, n), _)| n.as_str());
                did_you_mean_within(&name, known, &self.suggestions)
                    .or_else(|| Some(kind.how().to_owned()))
            }
        };
        let msg = match kind {
            NameKind::Pass => format!("no pass named `{name}` was created before this step"),
            NameKind::Session => format!("no session named `{name}` was opened before this step"),
            NameKind::Device => format!("no device named `{name}` exists before this step"),
        };
        self.err(K::UnknownName, &path, &node.span, msg, help);
        None
    }

    /// A device the user still holds.
    fn held_device(
        &mut self,
        t: &mut Tab<'_>,
        key: &'static str,
        step: usize,
    ) -> Option<(String, Named)> {
        let span = t
            .entries
            .iter()
            .find(|e| e.key == key)
            .map(|e| e.node.span.clone());
        let (name, named) = self.reference(t, key, NameKind::Device, step)?;
        if let Some(lost) = named.lost {
            self.err(
                K::Inconsistent,
                &t.path.key(key),
                &span.flatten(),
                format!("device `{name}` was lost in step {lost}: nobody holds it any more"),
                Some("sign in with another method, or register a new device".to_owned()),
            );
            return None;
        }
        Some((name, named))
    }

    // ---- The scenario -------------------------------------------------------------

    fn scenario(&mut self, root: &Node) -> Option<Scenario> {
        let mut t = self.table(root, Path::default())?;
        let title = self.opt_text(&mut t, "title");
        let about = self.opt_text(&mut t, "about");
        let (tenant, other_tenants) = match (t.get("tenant"), t.get("tenants")) {
            (Some(n), None) => (self.tenant(n, Path::default().key("tenant")), Vec::new()),
            (None, Some(n)) => match self.tenants_section(n, Path::default().key("tenants")) {
                Some((first, others)) => (Some(first), others),
                None => (None, Vec::new()),
            },
            (None, None) => (Some(default_tenant()), Vec::new()),
            (Some(n), Some(_)) => {
                let msg =
                    "declare one tenant with `[tenant]` or several with `[[tenants]]`, not both"
                        .to_owned();
                self.err(
                    K::Inconsistent,
                    &Path::default().key("tenant"),
                    &n.span,
                    msg,
                    None,
                );
                (None, Vec::new())
            }
        };
        self.env.clock = tenant.as_ref().map(|t| t.start);
        let mut users = match t.get("users") {
            Some(n) => self.users(n, Path::default().key("users")),
            None => Vec::new(),
        };
        let guests = match (t.get("guests"), &tenant) {
            (Some(n), Some(first)) => {
                let all: Vec<&TenantSpec> = std::iter::once(first).chain(&other_tenants).collect();
                let (guests, guest_users) =
                    self.guests_section(n, Path::default().key("guests"), &all, &users);
                users.extend(guest_users);
                guests
            }
            _ => Vec::new(),
        };
        let groups = match t.get("groups") {
            Some(n) => self.groups(n, Path::default().key("groups")),
            None => Vec::new(),
        };
        let policy = t
            .get("policy")
            .and_then(|n| self.policy_section(n, Path::default().key("policy")));
        let steps = match t.get("steps") {
            Some(n) => self.steps(n, Path::default().key("steps")),
            None => Vec::new(),
        };
        let setup_only = t.get("setup_only");
        self.steps_or_setup_only(root, setup_only);
        self.finish(t);
        let scenario = Scenario {
            title: title.unwrap_or_else(|| "Untitled scenario".to_owned()),
            about,
            origin: None,
            tenant: tenant?,
            other_tenants,
            users,
            groups,
            policy,
            guests,
            steps,
        };
        self.check_tenancy(&scenario);
        Some(scenario)
    }

    /// A file with no step is refused (issue 13), unless it says `setup_only = true`:
    /// then it may have none, and must have none.
    fn steps_or_setup_only(&mut self, root: &Node, setup_only: Option<&Node>) {
        let Value::Table(entries) = &root.value else {
            return;
        };
        let path = Path::default();
        let flag = setup_only.and_then(|n| self.boolean(n, &path.key("setup_only")));
        let steps = entries.iter().find(|e| e.key == "steps");
        let count = match steps.map(|e| &e.node.value) {
            Some(Value::Array(items)) => items.len(),
            // Absent, or not a list (reported where it is read).
            None => 0,
            Some(_) => return,
        };
        match (flag, count) {
            (Some(true), 0) => {}
            (Some(true), n) => {
                let span = setup_only.and_then(|n| n.span.clone());
                self.err(
                    K::Inconsistent,
                    &path.key("setup_only"),
                    &span,
                    format!(
                        "`setup_only = true`, but the file has {n} step{}",
                        if n == 1 { "" } else { "s" }
                    ),
                    Some("remove the steps, or `setup_only`".to_owned()),
                );
            }
            (_, 0) => {
                let (message, span) = if entries.is_empty() {
                    (
                        "the file is empty: a scenario has at least one step, in `steps`",
                        None,
                    )
                } else {
                    (
                        "the file has no steps: a scenario has at least one, in `steps`",
                        steps.and_then(|e| e.key_span.clone()),
                    )
                };
                self.err(
                    K::MissingField,
                    &path.key("steps"),
                    &span,
                    message.to_owned(),
                    Some(
                        "a file that only sets up a tenant (for `tapsim serve --scenario`) says `setup_only = true`"
                            .to_owned(),
                    ),
                );
            }
            _ => {}
        }
    }

    fn tenant(&mut self, node: &Node, path: Path) -> Option<TenantSpec> {
        let mut t = self.table(node, path)?;
        let mut spec = default_tenant();
        if let Some(seed) = self.opt_int(&mut t, "seed", 0, i128::from(u64::MAX)) {
            spec.seed = u64::try_from(seed).unwrap_or_default();
        }
        if let Some(n) = t.get("profile") {
            let p = t.path.key("profile");
            let options: Vec<(&str, Profile)> =
                Profile::ALL.iter().map(|p| (p.name(), *p)).collect();
            if let Some(profile) = self.pick(n, &p, "profile", &options) {
                spec.profile = profile;
            }
        }
        if let Some(n) = t.get("switches") {
            spec.switches = self.switches(n, t.path.key("switches"));
        }
        if let Some(domain) = self.opt_text(&mut t, "domain") {
            if tapsim::validate_upn(&format!("x@{domain}")).is_err() {
                let span = t
                    .entries
                    .iter()
                    .find(|e| e.key == "domain")
                    .and_then(|e| e.node.span.clone());
                self.err(
                    K::InvalidValue,
                    &t.path.key("domain"),
                    &span,
                    format!("`{domain}` is not a domain name"),
                    Some("write it like `contoso.com`".to_owned()),
                );
            }
            spec.domain = domain;
        }
        if let Some(n) = t.get("start")
            && let Some(start) = self.instant(n, &t.path.key("start"))
        {
            spec.start = start;
        }
        if let Some(n) = t.get("hash_cost")
            && let Some(cost) = self.hash_cost(n, t.path.key("hash_cost"))
        {
            spec.hash_cost = cost;
        }
        if let Some(b) = self.opt_bool(&mut t, "transitive_membership") {
            spec.transitive_membership = b;
        }
        if let Some(n) = t.get("lockout")
            && let Some(l) = self.lockout(n, t.path.key("lockout"))
        {
            spec.lockout = l;
        }
        self.finish(t);
        Some(spec)
    }

    fn switches(&mut self, node: &Node, path: Path) -> SwitchOverrides {
        let mut s = SwitchOverrides::default();
        let Some(mut t) = self.table(node, path) else {
            return s;
        };
        s.delete_before_create = self.opt_bool(&mut t, "delete_before_create");
        s.create_for_out_of_scope_users = self.opt_bool(&mut t, "create_for_out_of_scope_users");
        s.session_outlives_pass = self.opt_bool(&mut t, "session_outlives_pass");
        s.mfa_freshness = self.opt_bool(&mut t, "mfa_freshness");
        s.authenticator_passkey = self.opt_bool(&mut t, "authenticator_passkey");
        s.default_maximum_lifetime_in_minutes = self
            .opt_int(&mut t, "default_maximum_lifetime_in_minutes", 60, 43_200)
            .and_then(|m| u32::try_from(m).ok());
        self.finish(t);
        s
    }

    fn hash_cost(&mut self, node: &Node, path: Path) -> Option<HashCost> {
        if let Value::Str(_) = node.value {
            return self.pick(
                node,
                &path,
                "hash cost",
                &[
                    ("production", HashCost::Production),
                    ("minimum", HashCost::Minimum),
                ],
            );
        }
        let mut t = self.table(node, path)?;
        // Bounded so that a scenario cannot ask for more memory or time than a lab
        // should take (argon2 itself accepts up to 4 TiB).
        let memory = self.opt_int(&mut t, "memory_kib", 8, MAX_MEMORY_KIB);
        let iterations = self.opt_int(&mut t, "iterations", 1, 16);
        let lanes = self.opt_int(&mut t, "lanes", 1, 16);
        for (key, v) in [
            ("memory_kib", memory),
            ("iterations", iterations),
            ("lanes", lanes),
        ] {
            if v.is_none() && !t.has(key) {
                self.missing(&t, key);
            }
        }
        let span = t.span.clone();
        let path = t.path.clone();
        self.finish(t);
        let to_u32 = |v: i128| u32::try_from(v).unwrap_or(u32::MAX);
        let cost = HashCost::Custom {
            memory_kib: to_u32(memory?),
            iterations: to_u32(iterations?),
            lanes: to_u32(lanes?),
        };
        if let Err(e) = cost.validate() {
            let message = match e {
                tapsim::Error::InvalidConfig(message) => message,
                other => other.to_string(),
            };
            self.err(K::InvalidValue, &path, &span, message, None);
            return None;
        }
        Some(cost)
    }

    fn lockout(&mut self, node: &Node, path: Path) -> Option<LockoutSettings> {
        let mut t = self.table(node, path)?;
        let mut l = LockoutSettings::default();
        if let Some(n) = self.opt_int(&mut t, "threshold", 1, i128::from(u32::MAX)) {
            l.threshold = u32::try_from(n).unwrap_or(u32::MAX);
        }
        if let Some(n) = self.opt_int(&mut t, "duration_seconds", 1, i128::from(i64::MAX / 1_000)) {
            l.duration_seconds = i64::try_from(n).unwrap_or(60);
        }
        self.finish(t);
        Some(l)
    }

    fn users(&mut self, node: &Node, path: Path) -> Vec<UserSpec> {
        let Some(items) = self.list(node, &path) else {
            return Vec::new();
        };
        let mut users = Vec::new();
        for (i, n) in items.iter().enumerate() {
            if let Some(u) = self.user(n, path.index(i)) {
                users.push(u);
            }
        }
        users
    }

    fn user(&mut self, node: &Node, path: Path) -> Option<UserSpec> {
        let mut t = self.table(node, path)?;
        let upn = self.req_text(&mut t, "upn");
        if let Some(upn) = &upn {
            let span = t
                .entries
                .iter()
                .find(|e| e.key == "upn")
                .and_then(|e| e.node.span.clone());
            let p = t.path.key("upn");
            if let Err(e) = tapsim::validate_upn(upn) {
                self.err(K::InvalidValue, &p, &span, e.to_string(), None);
            } else if let Some(prev) = self.env.users.get(&upn.to_lowercase()) {
                let msg = format!("user `{upn}` is declared twice (as `{prev}` before)");
                self.err(
                    K::DuplicateName,
                    &p,
                    &span,
                    msg,
                    Some("principal names ignore case".to_owned()),
                );
            } else {
                self.env.users.insert(upn.to_lowercase(), upn.clone());
            }
        }
        let tenant = self.user_tenant(&mut t, upn.as_ref());
        let display_name = self.opt_text(&mut t, "name");
        let user_type = match t.get("type") {
            Some(n) => self.pick(
                n,
                &t.path.key("type"),
                "user type",
                &[
                    ("member", UserType::Member),
                    ("internalGuest", UserType::InternalGuest),
                    ("externalGuest", UserType::ExternalGuest),
                ],
            ),
            None => Some(UserType::Member),
        };
        let federated = self.opt_bool(&mut t, "federated").unwrap_or(false);
        let enabled = self.opt_bool(&mut t, "enabled").unwrap_or(true);
        let mut roles = Vec::new();
        for (name, p, span) in self.text_list(&mut t, "roles") {
            let options: Vec<(&str, Role)> =
                Role::ALL.iter().map(|r| (r.display_name(), *r)).collect();
            let node = Node {
                span,
                value: Value::Str(name.clone()),
            };
            if let Some(r) = self.pick_text(&name, &node, &p, "role", &options) {
                roles.push(r);
            }
        }
        let password = self.opt_secret(&mut t, "password");
        let mut methods = Vec::new();
        if let Some(n) = t.get("methods") {
            let p = t.path.key("methods");
            if let Some(items) = self.list(n, &p) {
                for (i, m) in items.iter().enumerate() {
                    if let Some(m) = self.setup_method(m, p.index(i), upn.as_ref()) {
                        methods.push(m);
                    }
                }
            }
        }
        self.finish(t);
        let upn = upn?;
        Some(UserSpec {
            display_name: display_name
                .unwrap_or_else(|| upn.split('@').next().unwrap_or_default().to_owned()),
            upn,
            user_type: user_type?,
            federated,
            enabled,
            roles,
            password,
            methods,
            tenant,
        })
    }

    fn method_kind(&mut self, node: &Node, path: &Path) -> Option<MethodKind> {
        let text = self.text(node, path)?;
        let kind = match text.parse::<MethodKind>() {
            Ok(k) => k,
            Err(_) => {
                let names: Vec<(String, MethodKind)> = MethodKind::ALL
                    .iter()
                    .filter_map(|k| {
                        let v = serde_json::to_value(k).ok()?;
                        Some((v.as_str()?.to_owned(), *k))
                    })
                    .collect();
                let options: Vec<(&str, MethodKind)> =
                    names.iter().map(|(n, k)| (n.as_str(), *k)).collect();
                self.pick_text(&text, node, path, "method kind", &options)?
            }
        };
        if !kind.is_registrable() {
            self.err(
                K::InvalidValue,
                path,
                &node.span,
                format!("`{text}` is not a method a user registers"),
                Some(
                    "passwords are set with `password`, passes created with `create_pass`"
                        .to_owned(),
                ),
            );
            return None;
        }
        Some(kind)
    }

    fn setup_method(
        &mut self,
        node: &Node,
        path: Path,
        user: Option<&String>,
    ) -> Option<MethodSpec> {
        let mut t = self.table(node, path)?;
        let kind = match t.get("kind") {
            Some(n) => self.method_kind(n, &t.path.key("kind")),
            None => {
                self.missing(&t, "kind");
                None
            }
        };
        let display_name = self.opt_text(&mut t, "name");
        if !t.has("device") {
            self.missing(&t, "device");
        }
        let device = self.define_key(&mut t, "device", NameKind::Device, 0, user);
        self.finish(t);
        let kind = kind?;
        Some(MethodSpec {
            kind,
            display_name: display_name.unwrap_or_else(|| kind.display_name().to_owned()),
            device: device?,
        })
    }

    fn groups(&mut self, node: &Node, path: Path) -> Vec<GroupSpec> {
        let Some(items) = self.list(node, &path) else {
            return Vec::new();
        };
        // Names first, so that groups can nest groups declared after them.
        for (i, n) in items.iter().enumerate() {
            if let Value::Table(entries) = &n.value
                && let Some(e) = entries.iter().find(|e| e.key == "name")
                && let Value::Str(name) = &e.node.value
                && !self.env.groups.insert(name.clone())
            {
                let msg = format!("group `{name}` is declared twice");
                self.err(
                    K::DuplicateName,
                    &path.index(i).key("name"),
                    &e.node.span,
                    msg,
                    None,
                );
            }
        }
        let mut groups = Vec::new();
        for (i, n) in items.iter().enumerate() {
            if let Some(g) = self.group(n, path.index(i)) {
                groups.push(g);
            }
        }
        self.check_cycles(&groups, &path);
        groups
    }

    fn group(&mut self, node: &Node, path: Path) -> Option<GroupSpec> {
        let mut t = self.table(node, path)?;
        let name = self.req_text(&mut t, "name");
        let tenant = self.group_tenant(&mut t, name.as_ref());
        let mut users = Vec::new();
        for (upn, p, span) in self.text_list(&mut t, "users") {
            if let Some(u) = self.user_named(&upn, &p, &span) {
                users.push(u);
            }
        }
        let mut groups = Vec::new();
        for (g, p, span) in self.text_list(&mut t, "groups") {
            if let Some(g) = self.group_named(&g, &p, &span) {
                groups.push(g);
            }
        }
        self.finish(t);
        Some(GroupSpec {
            name: name?,
            users,
            groups,
            tenant,
        })
    }

    fn check_cycles(&mut self, groups: &[GroupSpec], path: &Path) {
        // Once per file, in time linear in the groups and their nesting (issue 11): the
        // groups on a cycle are those of a strongly connected component of two or more,
        // or nesting themselves. One report is enough: every group on the cycle would
        // say the same; the first in file order says it.
        let mut index_of: std::collections::HashMap<&str, usize> =
            std::collections::HashMap::with_capacity(groups.len());
        for (i, g) in groups.iter().enumerate() {
            index_of.entry(g.name.as_str()).or_insert(i);
        }
        let edges: Vec<Vec<usize>> = groups
            .iter()
            .map(|g| {
                g.groups
                    .iter()
                    .filter_map(|h| index_of.get(h.as_str()).copied())
                    .collect()
            })
            .collect();
        let on_cycle = on_cycles(&edges);
        if let Some(i) = on_cycle.iter().position(|c| *c) {
            self.err(
                K::Inconsistent,
                &path.index(i).key("groups"),
                &None,
                format!(
                    "group `{}` would contain itself through its nested groups",
                    groups[i].name
                ),
                None,
            );
        }
    }

    fn policy_section(&mut self, node: &Node, path: Path) -> Option<PolicySpec> {
        let mut t = self.table(node, path)?;
        let actor = self.user_key(&mut t, "actor", true);
        let change = self.policy_change(&mut t);
        self.finish(t);
        Some(PolicySpec {
            actor: actor?,
            change,
        })
    }

    fn policy_change(&mut self, t: &mut Tab<'_>) -> PolicyChange {
        let mut c = PolicyChange::default();
        if let Some(n) = t.get("state") {
            c.state = self.pick(
                n,
                &t.path.key("state"),
                "policy state",
                &[
                    ("enabled", PolicyState::Enabled),
                    ("disabled", PolicyState::Disabled),
                ],
            );
        }
        let range = (i128::from(i64::MIN), i128::from(i64::MAX));
        let as_i64 = |v: Option<i128>| v.and_then(|v| i64::try_from(v).ok());
        c.default_lifetime_in_minutes =
            as_i64(self.opt_int(t, "default_lifetime_in_minutes", range.0, range.1));
        c.minimum_lifetime_in_minutes =
            as_i64(self.opt_int(t, "minimum_lifetime_in_minutes", range.0, range.1));
        c.maximum_lifetime_in_minutes =
            as_i64(self.opt_int(t, "maximum_lifetime_in_minutes", range.0, range.1));
        c.default_length = as_i64(self.opt_int(t, "default_length", range.0, range.1));
        c.is_usable_once = self.opt_bool(t, "is_usable_once");
        for key in ["include", "exclude"] {
            if !t.has(key) {
                t.known.push(key);
                continue;
            }
            let mut targets = Vec::new();
            for (name, p, span) in self.text_list(t, key) {
                if name == tapsim::TargetId::ALL_USERS {
                    targets.push(TargetName::AllUsers);
                } else if let Some(g) = self.group_named(&name, &p, &span) {
                    targets.push(TargetName::Group(g));
                }
            }
            if key == "include" {
                c.include = Some(targets);
            } else {
                c.exclude = Some(targets);
            }
        }
        c
    }

    // ---- Steps --------------------------------------------------------------------

    fn steps(&mut self, node: &Node, path: Path) -> Vec<Step> {
        let Some(items) = self.list(node, &path) else {
            return Vec::new();
        };
        self.prescan(items);
        let mut steps = Vec::new();
        for (i, n) in items.iter().enumerate() {
            if let Some(s) = self.step(n, i + 1) {
                steps.push(s);
            }
        }
        steps
    }

    /// Notes which step first defines each name, for "only created in step N".
    fn prescan(&mut self, items: &[Node]) {
        for (i, n) in items.iter().enumerate() {
            let Value::Table(entries) = &n.value else {
                continue;
            };
            let text = |key: &str| {
                entries
                    .iter()
                    .find(|e| e.key == key)
                    .and_then(|e| match &e.node.value {
                        Value::Str(s) => Some(s.clone()),
                        _ => None,
                    })
            };
            let defined = match text("do").as_deref() {
                Some("create_pass") => text("name").map(|n| (NameKind::Pass, n)),
                Some("sign_in") => text("session").map(|n| (NameKind::Session, n)),
                Some("register_method") => text("device").map(|n| (NameKind::Device, n)),
                _ => None,
            };
            if let Some(key) = defined {
                self.env.later.entry(key).or_insert(i + 1);
            }
        }
    }

    fn step(&mut self, node: &Node, number: usize) -> Option<Step> {
        let path = Path(format!("step {number}"));
        let mut t = self.table(node, path.clone())?;
        let location = self.loc(&node.span);
        let say = self.opt_text(&mut t, "say");
        let rules = self
            .text_list(&mut t, "rules")
            .into_iter()
            .map(|(r, _, _)| r)
            .collect();
        let kind = self.req_text(&mut t, "do");
        let action = match kind.as_deref() {
            None => {
                t.silence();
                None
            }
            Some(k) => self.action(&mut t, k, number),
        };
        let tenant = self.step_tenant(&mut t, kind.as_deref());
        self.follow_clock(&t, kind.as_deref(), action.as_ref());
        let expect = match t.get("expect") {
            Some(n) => self.expect(n, path.key("expect"), action.as_ref()),
            None => {
                let e = Expect::default();
                self.check_expect(&e, &path, &node.span, action.as_ref());
                Some(e)
            }
        };
        self.finish(t);
        Some(Step {
            number,
            location,
            say,
            rules,
            tenant,
            action: action?,
            expect: expect?,
        })
    }

    /// Follows the clock through a step, refusing a step that would take it, or a pass's
    /// relative start, out of the calendar (issue 13): an error before running, never
    /// a clamp.
    fn follow_clock(&mut self, t: &Tab<'_>, kind: Option<&str>, action: Option<&Action>) {
        let Some(now) = self.env.clock else {
            return;
        };
        let span_of = |key: &str| {
            t.entries
                .iter()
                .find(|e| e.key == key)
                .and_then(|e| e.node.span.clone())
        };
        let show = tapsim::graph::format_datetime;
        match action {
            Some(Action::AdvanceClock { by }) => {
                match now.checked_add_signed(*by).filter(|to| *to <= latest_instant()) {
                    Some(to) => self.env.clock = Some(to),
                    None => self.err(
                        K::InvalidTime,
                        &t.path.key("by"),
                        &span_of("by"),
                        format!(
                            "advancing the clock by `{}` from {} would take it after 9999-12-31T23:59:59Z, the latest instant a scenario may use",
                            format_duration(*by),
                            show(&now)
                        ),
                        None,
                    ),
                }
            }
            Some(Action::SetClock { to }) => self.env.clock = Some(*to),
            Some(Action::CreatePass {
                start: Some(TimeSpec::FromNow(d)),
                ..
            }) => {
                let why = match now.checked_add_signed(*d) {
                    Some(at) => out_of_calendar(at),
                    None => out_of_calendar(DateTime::<Utc>::MAX_UTC),
                };
                if let Some(why) = why {
                    self.err(
                        K::InvalidTime,
                        &t.path.key("start"),
                        &span_of("start"),
                        format!(
                            "a start `{}` from {} is {why}",
                            format_signed(*d),
                            show(&now)
                        ),
                        None,
                    );
                }
            }
            // A clock step that did not read leaves the clock unknown from here on.
            None if matches!(kind, Some("advance_clock" | "set_clock")) => self.env.clock = None,
            _ => {}
        }
    }

    fn action(&mut self, t: &mut Tab<'_>, kind: &str, number: usize) -> Option<Action> {
        let path = t.path.clone();
        Some(match kind {
            "advance_clock" => {
                let Some(n) = t.get("by") else {
                    self.missing(t, "by");
                    return None;
                };
                let text = self.text(n, &path.key("by"))?;
                match parse_duration(&text, false) {
                    Ok(by) => Action::AdvanceClock { by },
                    Err(msg) => {
                        self.err(K::InvalidTime, &path.key("by"), &n.span, msg, None);
                        return None;
                    }
                }
            }
            "set_clock" => {
                let Some(n) = t.get("to") else {
                    self.missing(t, "to");
                    return None;
                };
                Action::SetClock {
                    to: self.instant(n, &path.key("to"))?,
                }
            }
            "update_policy" => {
                let actor = self.user_key(t, "actor", true);
                let change = self.policy_change(t);
                Action::UpdatePolicy {
                    actor: actor?,
                    change,
                }
            }
            "reset_policy" => Action::ResetPolicy {
                actor: self.user_key(t, "actor", true)?,
            },
            "get_policy" => Action::GetPolicy {
                actor: self.user_key(t, "actor", true)?,
            },
            "create_pass" => {
                let actor = self.user_key(t, "actor", true);
                let user = self.user_key(t, "user", true);
                let name = self.define_key(t, "name", NameKind::Pass, number, user.as_ref());
                // Read every key before giving up on a bad one, so that no valid key
                // is reported as unknown.
                let start = t
                    .get("start")
                    .map(|n| self.time_spec(n, &path.key("start")));
                let lifetime = self
                    .opt_int(
                        t,
                        "lifetime_in_minutes",
                        i128::from(i64::MIN),
                        i128::from(i64::MAX),
                    )
                    .and_then(|v| i64::try_from(v).ok());
                let once = self.opt_bool(t, "is_usable_once");
                let start = match start {
                    Some(s) => Some(s?),
                    None => None,
                };
                Action::CreatePass {
                    actor: actor?,
                    user: user?,
                    name,
                    start,
                    lifetime_in_minutes: lifetime,
                    is_usable_once: once,
                }
            }
            "list_passes" => {
                let actor = self.user_key(t, "actor", true);
                let user = self.user_key(t, "user", true);
                Action::ListPasses {
                    actor: actor?,
                    user: user?,
                }
            }
            "get_pass" | "delete_pass" => {
                let actor = self.user_key(t, "actor", true);
                let pass = self.reference(t, "pass", NameKind::Pass, number);
                let (actor, pass) = (actor?, pass?.0);
                if kind == "get_pass" {
                    Action::GetPass { actor, pass }
                } else {
                    Action::DeletePass { actor, pass }
                }
            }
            "sign_in" => self.sign_in(t, number)?,
            "step_up" => self.step_up(t, number)?,
            "sign_out" | "check_session" => {
                let (session, _) = self.reference(t, "session", NameKind::Session, number)?;
                if kind == "sign_out" {
                    Action::SignOut { session }
                } else {
                    Action::CheckSession { session }
                }
            }
            "register_method" => {
                let session = self.reference(t, "session", NameKind::Session, number);
                let kind = match t.get("kind") {
                    Some(n) => self.method_kind(n, &path.key("kind")),
                    None => {
                        self.missing(t, "kind");
                        None
                    }
                };
                let display_name = self.opt_text(t, "name");
                if !t.has("device") {
                    self.missing(t, "device");
                }
                let owner = session.as_ref().map(|(_, s)| s.user.clone());
                let device = self.define_key(t, "device", NameKind::Device, number, owner.as_ref());
                let (session, kind) = (session?.0, kind?);
                Action::RegisterMethod {
                    session,
                    kind,
                    display_name: display_name.unwrap_or_else(|| kind.display_name().to_owned()),
                    device: device?,
                }
            }
            "remove_method" => {
                let actor = self.user_key(t, "actor", true);
                let device = self.reference(t, "device", NameKind::Device, number);
                Action::RemoveMethod {
                    actor: actor?,
                    device: device?.0,
                }
            }
            "list_methods" => {
                let actor = self.user_key(t, "actor", true);
                let user = self.user_key(t, "user", true);
                Action::ListMethods {
                    actor: actor?,
                    user: user?,
                }
            }
            "lose_device" => {
                let (device, _) = self.held_device(t, "device", number)?;
                if let Some(n) = self.env.names.get_mut(&(NameKind::Device, device.clone())) {
                    n.lost = Some(number);
                }
                Action::LoseDevice { device }
            }
            "add_to_group" | "remove_from_group" => {
                let group = match t.get("group") {
                    Some(n) => {
                        let p = path.key("group");
                        self.text(n, &p)
                            .and_then(|g| self.group_named(&g, &p, &n.span))
                    }
                    None => {
                        self.missing(t, "group");
                        None
                    }
                };
                let member = match (t.has("user"), t.has("nested_group")) {
                    (true, false) => self.user_key(t, "user", true).map(MemberName::User),
                    (false, true) => {
                        let n = t.get("nested_group")?;
                        let p = path.key("nested_group");
                        self.text(n, &p)
                            .and_then(|g| self.group_named(&g, &p, &n.span))
                            .map(MemberName::Group)
                    }
                    _ => {
                        t.get("user");
                        t.get("nested_group");
                        self.err(
                            K::Inconsistent,
                            &path,
                            &t.span,
                            "name exactly one member: `user` or `nested_group`".to_owned(),
                            None,
                        );
                        None
                    }
                };
                let (group, member) = (group?, member?);
                if kind == "add_to_group" {
                    Action::AddToGroup { group, member }
                } else {
                    Action::RemoveFromGroup { group, member }
                }
            }
            "assign_role" | "remove_role" => {
                let user = self.user_key(t, "user", true);
                let role = match t.get("role") {
                    Some(n) => {
                        let options: Vec<(&str, Role)> =
                            Role::ALL.iter().map(|r| (r.display_name(), *r)).collect();
                        self.pick(n, &path.key("role"), "role", &options)
                    }
                    None => {
                        self.missing(t, "role");
                        None
                    }
                };
                let (user, role) = (user?, role?);
                if kind == "assign_role" {
                    Action::AssignRole { user, role }
                } else {
                    Action::RemoveRole { user, role }
                }
            }
            "enable_account" | "disable_account" => Action::SetAccountEnabled {
                user: self.user_key(t, "user", true)?,
                enabled: kind == "enable_account",
            },
            "set_password" => {
                let user = self.user_key(t, "user", true);
                if !t.has("password") {
                    self.missing(t, "password");
                }
                let password = self.opt_secret(t, "password");
                Action::SetPassword {
                    user: user?,
                    password: password?,
                }
            }
            "print_log" => {
                let Some(n) = t.get("log") else {
                    self.missing(t, "log");
                    return None;
                };
                Action::PrintLog {
                    log: self.pick(
                        n,
                        &path.key("log"),
                        "log",
                        &[("sign_in", LogKind::SignIn), ("audit", LogKind::Audit)],
                    )?,
                }
            }
            "revoke_sessions" | "set_mfa_trust" => self.tenancy_action(t, kind)?,
            other => {
                let span = t
                    .entries
                    .iter()
                    .find(|e| e.key == "do")
                    .and_then(|e| e.node.span.clone());
                let help = did_you_mean(other, Action::NAMES)
                    .or_else(|| Some("the steps are listed in docs/scenario-format.md".to_owned()));
                self.err(
                    K::InvalidValue,
                    &path.key("do"),
                    &span,
                    format!("unknown step `{other}`"),
                    help,
                );
                t.silence();
                return None;
            }
        })
    }

    fn sign_in(&mut self, t: &mut Tab<'_>, number: usize) -> Option<Action> {
        let user = self.user_key(t, "user", false);
        let (with, owner) = self.credential(t, number)?;
        let user = match (user, owner) {
            (Some(u), _) => u,
            // The pass or device belongs to a user who did not resolve: that error is
            // already reported where the pass or device was made.
            (None, Some(o)) if o.is_empty() => return None,
            (None, Some(o)) => o,
            (None, None) => {
                if !t.has("user") {
                    self.missing(t, "user");
                }
                return None;
            }
        };
        let session = self.define_key(t, "session", NameKind::Session, number, Some(&user));
        Some(Action::SignIn {
            user,
            with,
            session,
        })
    }

    /// A step-up (spec R18): the session, and the credential proved again in it.
    fn step_up(&mut self, t: &mut Tab<'_>, number: usize) -> Option<Action> {
        let session = self.reference(t, "session", NameKind::Session, number);
        let with = self.credential(t, number);
        Some(Action::StepUp {
            session: session?.0,
            with: with?.0,
        })
    }

    /// The credential a sign-in or step-up proves (`pass`, `pass_value`, `password`,
    /// `device`, or `password` with `device`), and the user a named pass or device
    /// belongs to.
    fn credential(
        &mut self,
        t: &mut Tab<'_>,
        number: usize,
    ) -> Option<(SignInWith, Option<String>)> {
        let path = t.path.clone();
        let has = |k: &str| t.has(k);
        let (pass, value, password, device) = (
            has("pass"),
            has("pass_value"),
            has("password"),
            has("device"),
        );
        match (pass, value, password, device) {
            (true, false, false, false) => {
                let (name, named) = self.reference(t, "pass", NameKind::Pass, number)?;
                Some((SignInWith::Pass(name), Some(named.user)))
            }
            (false, true, false, false) => self
                .opt_secret(t, "pass_value")
                .map(|s| (SignInWith::PassValue(s), None)),
            (false, false, true, false) => self
                .opt_secret(t, "password")
                .map(|s| (SignInWith::Password(s), None)),
            (false, false, false, true) => {
                let (name, named) = self.held_device(t, "device", number)?;
                Some((SignInWith::Device(name), Some(named.user)))
            }
            (false, false, true, true) => {
                let password = self.opt_secret(t, "password");
                let (name, named) = self.held_device(t, "device", number)?;
                Some((
                    SignInWith::PasswordAndDevice {
                        password: password?,
                        device: name,
                    },
                    Some(named.user),
                ))
            }
            _ => {
                for k in ["pass", "pass_value", "password", "device"] {
                    t.get(k);
                }
                self.err(
                    K::Inconsistent,
                    &path,
                    &t.span,
                    "say how the user signs in: one of `pass`, `pass_value`, `password` or `device` (or `password` with `device`)".to_owned(),
                    None,
                );
                None
            }
        }
    }

    // ---- Expectations ---------------------------------------------------------------

    fn expect(&mut self, node: &Node, path: Path, action: Option<&Action>) -> Option<Expect> {
        let results: [(&str, ExpectedResult); 5] = [
            ("ok", ExpectedResult::Ok),
            ("error", ExpectedResult::Error(None)),
            ("allowed", ExpectedResult::Allowed),
            ("denied", ExpectedResult::Denied(None)),
            ("any", ExpectedResult::Any),
        ];
        let mut e = Expect::default();
        if let Value::Str(_) = node.value {
            e.result = Some(self.pick(node, &path, "result", &results)?);
            self.check_expect(&e, &path, &node.span, action);
            return Some(e);
        }
        let mut t = self.table(node, path.clone())?;
        if let Some(n) = t.get("result") {
            e.result = self.pick(n, &path.key("result"), "result", &results);
        }
        if let Some(n) = t.get("error") {
            let code = self.pick(
                n,
                &path.key("error"),
                "error code",
                &[
                    ("badRequest", ErrorCode::BadRequest),
                    ("accessDenied", ErrorCode::AccessDenied),
                    ("itemNotFound", ErrorCode::ItemNotFound),
                    (
                        "request_ResourceNotFound",
                        ErrorCode::RequestResourceNotFound,
                    ),
                    ("conflict", ErrorCode::Conflict),
                ],
            );
            e.result = self.merge_result(
                e.result,
                code.map(|c| ExpectedResult::Error(Some(c))),
                &path,
                &n.span,
            );
        }
        if let Some(n) = t.get("denied") {
            let reason = self.pick(n, &path.key("denied"), "denial reason", &DENIAL_REASONS);
            e.result = self.merge_result(
                e.result,
                reason.map(|r| ExpectedResult::Denied(Some(r))),
                &path,
                &n.span,
            );
        }
        e.message = self.opt_text(&mut t, "message");
        if let Some(n) = t.get("usability") {
            e.usability = self.pick(
                n,
                &path.key("usability"),
                "usability reason",
                &[
                    ("EnabledByPolicy", UsabilityReason::EnabledByPolicy),
                    ("DisabledByPolicy", UsabilityReason::DisabledByPolicy),
                    ("Expired", UsabilityReason::Expired),
                    ("NotYetValid", UsabilityReason::NotYetValid),
                    ("OneTimeUsed", UsabilityReason::OneTimeUsed),
                ],
            );
        }
        e.mfa = self.opt_bool(&mut t, "mfa");
        if let Some(n) = t.get("strength") {
            let p = path.key("strength");
            e.strength = self.list(n, &p).map(|items| {
                items
                    .iter()
                    .enumerate()
                    .filter_map(|(i, item)| {
                        self.pick(item, &p.index(i), "authentication strength", &STRENGTHS)
                    })
                    .collect::<std::collections::BTreeSet<_>>()
                    .into_iter()
                    .collect()
            });
        }
        if let Some(n) = t.get("session") {
            e.session = self.pick(
                n,
                &path.key("session"),
                "session status",
                &[
                    ("active", ExpectedSession::Active),
                    ("ended", ExpectedSession::Ended(None)),
                    (
                        "passExpired",
                        ExpectedSession::Ended(Some(SessionEndReason::PassExpired)),
                    ),
                    (
                        "passDeleted",
                        ExpectedSession::Ended(Some(SessionEndReason::PassDeleted)),
                    ),
                    (
                        "signedOut",
                        ExpectedSession::Ended(Some(SessionEndReason::SignedOut)),
                    ),
                    (
                        "signInFrequency",
                        ExpectedSession::Ended(Some(SessionEndReason::SignInFrequency)),
                    ),
                    (
                        "revoked",
                        ExpectedSession::Ended(Some(SessionEndReason::Revoked)),
                    ),
                ],
            );
        }
        e.count = self
            .opt_int(&mut t, "count", 0, i128::from(u32::MAX))
            .and_then(|c| usize::try_from(c).ok());
        if let Some(n) = t.get("audit") {
            e.audit = self.audit_expectation(n, path.key("audit"));
        }
        if let Some(n) = t.get("sign_in_log") {
            e.sign_in_log = self.sign_in_log_expectation(n, path.key("sign_in_log"));
        }
        let span = t.span.clone();
        self.finish(t);
        self.check_expect(&e, &path, &span, action);
        Some(e)
    }

    fn merge_result(
        &mut self,
        stated: Option<ExpectedResult>,
        new: Option<ExpectedResult>,
        path: &Path,
        span: &Span,
    ) -> Option<ExpectedResult> {
        match (stated, new) {
            (None, n) => n,
            (s, None) => s,
            (Some(ExpectedResult::Error(None)), Some(n @ ExpectedResult::Error(_)))
            | (Some(ExpectedResult::Denied(None)), Some(n @ ExpectedResult::Denied(_))) => Some(n),
            (Some(s), Some(n)) => {
                let msg = format!(
                    "the expected results contradict each other: {} and {}",
                    result_text(Some(s)),
                    result_text(Some(n))
                );
                self.err(K::Inconsistent, path, span, msg, None);
                Some(s)
            }
        }
    }

    fn audit_expectation(&mut self, node: &Node, path: Path) -> Option<AuditExpectation> {
        match node.value {
            Value::Bool(false) => return Some(AuditExpectation::None),
            Value::Bool(true) => return Some(AuditExpectation::Record(AuditMatch::default())),
            _ => {}
        }
        let mut t = self.table(node, path)?;
        let mut m = AuditMatch {
            activity: self.opt_text(&mut t, "activity"),
            result_reason: self.opt_text(&mut t, "result_reason"),
            usage: self.opt_text(&mut t, "usage"),
            ..AuditMatch::default()
        };
        m.initiated_by = self.user_key(&mut t, "initiated_by", false);
        m.target = self.user_key(&mut t, "target", false);
        self.finish(t);
        Some(AuditExpectation::Record(m))
    }

    fn sign_in_log_expectation(&mut self, node: &Node, path: Path) -> Option<SignInLogExpectation> {
        let mut t = self.table(node, path)?;
        let e = SignInLogExpectation {
            method: self.opt_text(&mut t, "method"),
            requirement: self.opt_text(&mut t, "requirement"),
            error_code: self
                .opt_int(
                    &mut t,
                    "error_code",
                    i128::from(i32::MIN),
                    i128::from(i32::MAX),
                )
                .and_then(|c| i32::try_from(c).ok()),
            failure: self.opt_text(&mut t, "failure"),
        };
        self.finish(t);
        Some(e)
    }

    /// Whether what a step expects can apply to it at all.
    fn check_expect(&mut self, e: &Expect, path: &Path, span: &Span, action: Option<&Action>) {
        let Some(action) = action else {
            return;
        };
        let name = action.name();
        let bad = |cx: &mut Cx<'_>, what: &str, why: String| {
            cx.err(
                K::Inconsistent,
                path,
                span,
                format!("`{what}` does not apply to a `{name}` step: {why}"),
                None,
            );
        };
        let sign_in = action.is_sign_in();
        // A password alone is no step-up (spec R18): the step always fails `badRequest`.
        if let Action::StepUp {
            with: SignInWith::Password(_),
            ..
        } = action
        {
            let what = match e.result {
                None => Some("`allowed` (expected when `expect` states no result)"),
                Some(ExpectedResult::Allowed) => Some("`allowed`"),
                Some(ExpectedResult::Denied(_)) => Some("`denied`"),
                _ => None,
            };
            if let Some(what) = what {
                self.err(
                    K::Inconsistent,
                    path,
                    span,
                    format!(
                        "a password alone is no step-up (R18): this `step_up` fails with `badRequest`, so it cannot be {what}"
                    ),
                    Some("expect `{ error = \"badRequest\" }`".to_owned()),
                );
            }
        }
        match e.result {
            // A step-up may be refused as an error (spec R18), never `ok`.
            Some(ExpectedResult::Error(_)) if matches!(action, Action::StepUp { .. }) => {}
            Some(ExpectedResult::Ok | ExpectedResult::Error(_)) if sign_in => {
                self.err(
                    K::Inconsistent,
                    path,
                    span,
                    "a sign-in is allowed or denied, never `ok` or an `error`: expect `allowed`, or `denied` with a reason".to_owned(),
                    None,
                );
            }
            Some(ExpectedResult::Allowed | ExpectedResult::Denied(_)) if !sign_in => {
                self.err(
                    K::Inconsistent,
                    path,
                    span,
                    format!("only a sign-in is allowed or denied: a `{name}` step succeeds (`ok`) or fails with an `error`"),
                    None,
                );
            }
            _ => {}
        }
        if !sign_in {
            if e.mfa.is_some() {
                bad(self, "mfa", "only a sign-in opens a session".to_owned());
            }
            if e.strength.is_some() {
                bad(
                    self,
                    "strength",
                    "only a sign-in opens a session".to_owned(),
                );
            }
            if e.sign_in_log.is_some() {
                bad(
                    self,
                    "sign_in_log",
                    "only a sign-in writes the sign-in log".to_owned(),
                );
            }
        }
        if e.usability.is_some()
            && !matches!(
                action,
                Action::CreatePass { .. } | Action::GetPass { .. } | Action::ListPasses { .. }
            )
        {
            bad(
                self,
                "usability",
                "only `create_pass`, `get_pass` and `list_passes` show a pass".to_owned(),
            );
        }
        if e.session.is_some() && !matches!(action, Action::CheckSession { .. }) {
            bad(self, "session", "use a `check_session` step".to_owned());
        }
        if e.count.is_some()
            && !matches!(
                action,
                Action::ListPasses { .. } | Action::ListMethods { .. } | Action::PrintLog { .. }
            )
        {
            bad(
                self,
                "count",
                "only `list_passes`, `list_methods` and `print_log` count".to_owned(),
            );
        }
        let success_only = e.mfa.is_some()
            || e.strength.is_some()
            || e.usability.is_some()
            || e.session.is_some()
            || e.count.is_some();
        let failure = matches!(
            e.result,
            Some(ExpectedResult::Error(_) | ExpectedResult::Denied(_))
        );
        if success_only && failure {
            self.err(
                K::Inconsistent,
                path,
                span,
                "`mfa`, `usability`, `session` and `count` describe a success, but the step is expected to fail".to_owned(),
                None,
            );
        }
        if e.message.is_some()
            && matches!(e.result, Some(ExpectedResult::Ok | ExpectedResult::Allowed))
        {
            self.err(
                K::Inconsistent,
                path,
                span,
                "`message` is the text of an error or a denial, but the step is expected to succeed".to_owned(),
                None,
            );
        }
    }
}

/// The most memory a scenario's custom hash cost may ask for: 256 MiB.
const MAX_MEMORY_KIB: i128 = 262_144;

/// The denial reasons, as the scenario format (and `DenialReason`'s serde form) spells
/// them.
/// The built-in authentication strengths a `strength` expectation names (spec S11).
const STRENGTHS: [(&str, tapsim::AuthenticationStrength); 3] = [
    (
        "Multifactor authentication",
        tapsim::AuthenticationStrength::Multifactor,
    ),
    (
        "Passwordless MFA",
        tapsim::AuthenticationStrength::PasswordlessMfa,
    ),
    (
        "Phishing resistant MFA",
        tapsim::AuthenticationStrength::PhishingResistantMfa,
    ),
];

pub(crate) const DENIAL_REASONS: [(&str, DenialReason); 8] = [
    ("invalidCredential", DenialReason::InvalidCredential),
    ("passDisabledByPolicy", DenialReason::PassDisabledByPolicy),
    ("passOneTimeUsed", DenialReason::PassOneTimeUsed),
    ("passExpired", DenialReason::PassExpired),
    ("passNotYetValid", DenialReason::PassNotYetValid),
    ("accountLocked", DenialReason::AccountLocked),
    ("accountDisabled", DenialReason::AccountDisabled),
    ("passwordRequired", DenialReason::PasswordRequired),
];

/// The name of a denial reason, as scenario files and reports write it.
pub(crate) fn denial_name(r: DenialReason) -> &'static str {
    DENIAL_REASONS
        .iter()
        .find(|(_, d)| *d == r)
        .map_or("denied", |(n, _)| n)
}

/// How a result reads in messages.
pub(crate) fn result_text(r: Option<ExpectedResult>) -> String {
    match r {
        None => "success".to_owned(),
        Some(ExpectedResult::Ok) => "ok".to_owned(),
        Some(ExpectedResult::Error(None)) => "an error".to_owned(),
        Some(ExpectedResult::Error(Some(c))) => format!("error `{c}`"),
        Some(ExpectedResult::Allowed) => "allowed".to_owned(),
        Some(ExpectedResult::Denied(None)) => "denied".to_owned(),
        Some(ExpectedResult::Denied(Some(r))) => format!("denied `{}`", denial_name(r)),
        Some(ExpectedResult::Any) => "anything".to_owned(),
    }
}

/// Which nodes of a directed graph (`edges[v]`: the nodes `v` points to) lie on a cycle:
/// Tarjan's strongly connected components, with an explicit stack (a 10,000-deep chain
/// must not overflow the thread's), in time linear in nodes and edges.
fn on_cycles(edges: &[Vec<usize>]) -> Vec<bool> {
    const UNSEEN: usize = usize::MAX;
    let n = edges.len();
    let mut index = vec![UNSEEN; n];
    let mut low = vec![0; n];
    let mut on_stack = vec![false; n];
    let mut stack: Vec<usize> = Vec::new();
    let mut result = vec![false; n];
    let mut next = 0;
    // (node, how many of its edges were followed)
    let mut calls: Vec<(usize, usize)> = Vec::new();
    for root in 0..n {
        if index[root] != UNSEEN {
            continue;
        }
        index[root] = next;
        low[root] = next;
        next += 1;
        stack.push(root);
        on_stack[root] = true;
        calls.push((root, 0));
        while let Some(&(v, followed)) = calls.last() {
            if let Some(&w) = edges[v].get(followed) {
                if let Some(top) = calls.last_mut() {
                    top.1 += 1;
                }
                if index[w] == UNSEEN {
                    index[w] = next;
                    low[w] = next;
                    next += 1;
                    stack.push(w);
                    on_stack[w] = true;
                    calls.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            calls.pop();
            if let Some(&(u, _)) = calls.last() {
                low[u] = low[u].min(low[v]);
            }
            if low[v] == index[v] {
                let mut component = Vec::new();
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    component.push(w);
                    if w == v {
                        break;
                    }
                }
                if component.len() > 1 || edges[v].contains(&v) {
                    for w in component {
                        result[w] = true;
                    }
                }
            }
        }
    }
    result
}

/// A relative time as files write it: `+15m`, `-1h`.
fn format_signed(d: chrono::Duration) -> String {
    if d < chrono::Duration::zero() {
        format_duration(d)
    } else {
        format!("+{}", format_duration(d))
    }
}

fn default_tenant() -> TenantSpec {
    TenantSpec {
        name: None,
        trust_mfa_from: Vec::new(),
        seed: 0,
        profile: Profile::Current,
        switches: SwitchOverrides::default(),
        domain: "contoso.com".to_owned(),
        start: crate::story::story_start(),
        hash_cost: HashCost::Production,
        transitive_membership: true,
        lockout: LockoutSettings::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cycles_are_found_in_linear_time_without_recursion() {
        // 0 -> 1 -> 2 -> 0 is a cycle; 3 -> 0 leads into it; 4 nests itself; 5 alone.
        let edges = vec![vec![1], vec![2], vec![0], vec![0], vec![4], vec![]];
        assert_eq!(on_cycles(&edges), [true, true, true, false, true, false]);
        // A chain 100,000 deep: no cycle, and no stack overflow.
        let n = 100_000;
        let chain: Vec<Vec<usize>> = (0..n)
            .map(|i| if i + 1 < n { vec![i + 1] } else { vec![] })
            .collect();
        assert!(on_cycles(&chain).iter().all(|c| !c));
        let mut ring = chain;
        ring[n - 1].push(0);
        assert!(on_cycles(&ring).iter().all(|c| *c));
    }

    #[test]
    fn denial_names_match_serde() {
        for (name, r) in DENIAL_REASONS {
            assert_eq!(serde_json::to_value(r).unwrap(), name);
            assert_eq!(denial_name(r), name);
        }
    }
}
