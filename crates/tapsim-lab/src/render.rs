//! Reports as a readable transcript (with the logs as aligned tables) or as JSON lines.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use serde_json::json;

use super::runner::{Outcome, Report, StepReport};
use super::scenario::LogKind;
use tapsim::graph::format_datetime;
use tapsim::{AuditRecord, SignInRecord, UserId};

/// How to write the text transcript.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TextOptions {
    /// ANSI colour (for a terminal).
    pub color: bool,
    /// Only the steps that failed, and the result line.
    pub quiet: bool,
}

impl TextOptions {
    /// Plain text, everything.
    pub fn new() -> TextOptions {
        TextOptions::default()
    }
    /// With or without colour.
    pub fn color(mut self, on: bool) -> TextOptions {
        self.color = on;
        self
    }
    /// Quiet or not.
    pub fn quiet(mut self, on: bool) -> TextOptions {
        self.quiet = on;
        self
    }
}

#[derive(Clone, Copy)]
struct Paint(bool);

impl Paint {
    fn wrap(self, code: &str, s: &str) -> String {
        if self.0 {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_owned()
        }
    }
    fn bold(self, s: &str) -> String {
        self.wrap("1", s)
    }
    fn dim(self, s: &str) -> String {
        self.wrap("2", s)
    }
    fn good(self, s: &str) -> String {
        self.wrap("32", s)
    }
    fn bad(self, s: &str) -> String {
        self.wrap("31;1", s)
    }
    fn note(self, s: &str) -> String {
        self.wrap("33", s)
    }
    fn mark(self, ok: bool) -> String {
        if ok {
            self.good("✓")
        } else {
            self.bad("✗")
        }
    }
}

/// Lays out rows under headers, each column as wide as its widest cell.
fn table(out: &mut String, indent: &str, headers: &[&str], rows: &[Vec<String>], paint: Paint) {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<String>| -> String {
        let last = cells.len().saturating_sub(1);
        let mut s = String::from(indent);
        for (i, (cell, w)) in cells.iter().zip(&widths).enumerate() {
            s.push_str(cell);
            if i < last {
                let pad = w.saturating_sub(cell.chars().count()) + 2;
                s.push_str(&" ".repeat(pad));
            }
        }
        s.trim_end().to_owned()
    };
    let head = line(headers.iter().map(|h| (*h).to_owned()).collect());
    let _ = writeln!(out, "{}", paint.bold(&head));
    for row in rows {
        let _ = writeln!(out, "{}", line(row.clone()));
    }
}

fn short_time(t: &DateTime<Utc>) -> String {
    t.format("%H:%M:%S").to_string()
}

fn upn_of(report: &Report, id: Option<&str>) -> String {
    id.and_then(|id| id.parse::<UserId>().ok())
        .and_then(|id| report.tenant.directory().user(id))
        .map_or_else(
            || id.unwrap_or("").to_owned(),
            |u| u.user_principal_name().to_owned(),
        )
}

pub(crate) fn sign_in_rows(records: &[SignInRecord]) -> Vec<Vec<String>> {
    records
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let methods: Vec<&str> = r
                .authentication_details
                .iter()
                .map(|d| d.authentication_method.as_str())
                .collect();
            vec![
                (i + 1).to_string(),
                format_datetime(&r.created_date_time),
                r.user_principal_name.clone(),
                methods.join(" + "),
                if r.succeeded() { "success" } else { "failure" }.to_owned(),
                if r.authentication_requirement == "multiFactorAuthentication" {
                    "multifactor"
                } else {
                    "single factor"
                }
                .to_owned(),
                match (r.status.error_code, &r.status.failure_reason) {
                    (Some(0), _) | (None, None) => String::new(),
                    (Some(c), Some(f)) => format!("{c}: {f}"),
                    (None, Some(f)) => f.clone(),
                    (Some(c), None) => c.to_string(),
                },
            ]
        })
        .collect()
}

pub(crate) fn audit_rows(report: &Report, records: &[AuditRecord]) -> Vec<Vec<String>> {
    records
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let target = r
                .target_resources
                .first()
                .map(|t| {
                    t.user_principal_name
                        .clone()
                        .unwrap_or_else(|| format!("{} ({})", t.display_name, t.kind))
                })
                .unwrap_or_default();
            let mut detail = r.result_reason.clone();
            if let Some(u) = r.new_value("Usage") {
                detail.push_str(&format!(", usage {u}"));
            }
            vec![
                (i + 1).to_string(),
                format_datetime(&r.activity_date_time),
                r.activity_display_name.clone(),
                upn_of(report, Some(&r.initiated_by.user.id.to_string())),
                target,
                detail,
            ]
        })
        .collect()
}

pub(crate) const SIGN_IN_HEADERS: [&str; 7] = [
    "#",
    "time",
    "user",
    "method",
    "result",
    "requirement",
    "failure",
];
pub(crate) const AUDIT_HEADERS: [&str; 6] =
    ["#", "time", "activity", "initiated by", "target", "details"];

impl Report {
    /// The run as a readable transcript: the setup, each step with what happened, why
    /// and whether the expectation held, then the sign-in and audit logs as tables and a
    /// result line.
    ///
    /// A freshly created pass's value appears once, on its creation step, as the portal
    /// shows it; nothing else here holds a secret.
    pub fn to_text(&self, options: TextOptions) -> String {
        let p = Paint(options.color);
        let mut out = String::new();
        let s = &self.settings;
        let _ = write!(out, "{}", p.bold(&format!("━━ {} ━━", self.title)));
        match (&self.origin, options.quiet) {
            (Some(o), true) => {
                let _ = writeln!(out, " {}", p.dim(o));
            }
            _ => out.push('\n'),
        }
        let mut facts = Vec::new();
        if let Some(o) = &self.origin {
            facts.push(o.clone());
        }
        facts.push(format!("seed {}", s.seed));
        facts.push(format!("profile {}", s.profile.name()));
        facts.push(format!(
            "hash cost {}",
            match s.hash_cost {
                tapsim::HashCost::Production => "production".to_owned(),
                tapsim::HashCost::Minimum => "minimum".to_owned(),
                c => format!("m={} t={} p={}", c.memory_kib(), c.iterations(), c.lanes()),
            }
        ));
        if !options.quiet {
            let _ = writeln!(out, "{}", p.dim(&facts.join(" · ")));
            let _ = writeln!(
                out,
                "{}",
                p.dim(&format!(
                    "switches: delete_before_create {}, create_for_out_of_scope_users {}, default maximum lifetime {} min",
                    on_off(s.switches.delete_before_create),
                    on_off(s.switches.create_for_out_of_scope_users),
                    s.switches.default_maximum_lifetime_in_minutes
                ))
            );
            if let Some(about) = &self.about {
                let _ = writeln!(out);
                for line in about.trim_end().lines() {
                    let _ = writeln!(out, "{line}");
                }
            }
            let _ = writeln!(out, "\n{}", p.bold("Setup"));
            for line in &self.setup {
                let _ = writeln!(out, "  {line}");
            }
            let _ = writeln!(out, "\n{}", p.bold("Timeline"));
        }
        let mut last_date = None;
        for step in &self.steps {
            if options.quiet && step.passed() {
                continue;
            }
            self.step_text(&mut out, step, &mut last_date, p);
        }
        if !options.quiet {
            let signs = self.tenant.sign_in_log();
            let _ = writeln!(
                out,
                "\n{}",
                p.bold(&format!("Sign-in log ({} records)", signs.len()))
            );
            table(&mut out, "  ", &SIGN_IN_HEADERS, &sign_in_rows(signs), p);
            let audit = self.tenant.audit_log();
            let _ = writeln!(
                out,
                "\n{}",
                p.bold(&format!("Audit log ({} records)", audit.len()))
            );
            table(&mut out, "  ", &AUDIT_HEADERS, &audit_rows(self, audit), p);
            let _ = writeln!(out);
        }
        let _ = writeln!(out, "{}", self.result_line(p));
        out
    }

    fn result_line(&self, p: Paint) -> String {
        let (all, failed) = self.expectation_counts();
        let steps = self.steps.len();
        if failed == 0 {
            p.good(&format!(
                "Result: {steps} steps, {all} expectations checked, all hold"
            ))
        } else {
            let which: Vec<String> = self.failures().map(|s| s.number.to_string()).collect();
            p.bad(&format!(
                "Result: {failed} of {all} expectations failed, in step{} {}",
                if which.len() == 1 { "" } else { "s" },
                which.join(", ")
            ))
        }
    }

    fn step_text(
        &self,
        out: &mut String,
        step: &StepReport,
        last_date: &mut Option<chrono::NaiveDate>,
        p: Paint,
    ) {
        let date = step.at.date_naive();
        let when = if *last_date == Some(date) {
            short_time(&step.at)
        } else {
            step.at.format("%Y-%m-%d %H:%M:%S").to_string()
        };
        *last_date = Some(date);
        let rules = if step.rules.is_empty() {
            String::new()
        } else {
            format!("  [{}]", step.rules.join(", "))
        };
        let line = step
            .location
            .map(|l| format!(" (line {})", l.line))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "\n{} {}  {}{}",
            p.bold(&format!("{:>3}", step.number)),
            p.dim(&when),
            p.bold(&step.description),
            p.dim(&format!(
                "{rules}{}",
                if step.passed() { String::new() } else { line }
            )),
        );
        if let Some(say) = &step.say {
            for l in say.trim_end().lines() {
                let _ = writeln!(out, "     {}", p.note(l));
            }
        }
        let result = match &step.outcome {
            Outcome::Ok => "ok".to_owned(),
            Outcome::Error {
                code,
                status,
                message,
            } => format!("error {code} ({status}): {message}"),
            Outcome::Allowed { mfa, .. } => format!(
                "allowed, {}",
                if *mfa { "multifactor" } else { "single factor" }
            ),
            Outcome::Denied { reason, message } => {
                format!("denied, {}: {message}", super::decode::denial_name(*reason))
            }
            Outcome::NotRun { why } => format!("not run: {why}"),
        };
        let _ = writeln!(out, "     → {result}");
        if let Some(secret) = &step.shown_once {
            // Deliberate: the one place a pass's value is shown, once, as the portal
            // shows it to the admin who created it.
            let _ = writeln!(
                out,
                "       pass value, shown once: {}",
                p.bold(secret.danger_reveal())
            );
        }
        for d in &step.details {
            let _ = writeln!(out, "       {}", p.dim(d));
        }
        if !step.trace.is_empty() {
            let _ = writeln!(out, "       why:");
            for c in &step.trace {
                let _ = writeln!(
                    out,
                    "         {} {}: {}",
                    p.mark(c.passed),
                    c.name,
                    c.detail
                );
            }
        }
        for e in &step.expectations {
            if e.held && !e.stated {
                continue;
            }
            if e.held {
                let _ = writeln!(out, "     {} expected {}", p.mark(true), e.expected);
            } else {
                let _ = writeln!(
                    out,
                    "     {} expected {}, but got {}",
                    p.mark(false),
                    e.expected,
                    e.actual
                );
            }
        }
        if let Some((log, n)) = step.printed_log {
            match log {
                LogKind::SignIn => {
                    let rows = sign_in_rows(self.tenant.sign_in_log().get(..n).unwrap_or_default());
                    table(out, "       ", &SIGN_IN_HEADERS, &rows, p);
                }
                LogKind::Audit => {
                    let rows =
                        audit_rows(self, self.tenant.audit_log().get(..n).unwrap_or_default());
                    table(out, "       ", &AUDIT_HEADERS, &rows, p);
                }
            }
        }
    }

    /// The run as JSON lines, one event per line: `scenario`, then each `step`, each
    /// `signIn` and `audit` record (in Graph's shapes), and a `result`. With `quiet`,
    /// only failed steps and the result.
    ///
    /// Holds no secret: a created pass appears as Graph reads it back, without its value.
    pub fn to_json_lines(&self, quiet: bool) -> String {
        let mut lines = Vec::new();
        lines.push(json!({
            "type": "scenario",
            "title": self.title,
            "origin": self.origin,
            "settings": self.settings,
            "setup": self.setup,
        }));
        for s in &self.steps {
            if quiet && s.passed() {
                continue;
            }
            let mut v = serde_json::to_value(s).unwrap_or_default();
            if let Some(obj) = v.as_object_mut() {
                obj.insert("type".to_owned(), json!("step"));
                obj.insert("passed".to_owned(), json!(s.passed()));
                if let Some((log, n)) = s.printed_log {
                    let records = match log {
                        LogKind::SignIn => serde_json::to_value(
                            self.tenant.sign_in_log().get(..n).unwrap_or_default(),
                        ),
                        LogKind::Audit => serde_json::to_value(
                            self.tenant.audit_log().get(..n).unwrap_or_default(),
                        ),
                    };
                    obj.insert("log".to_owned(), records.unwrap_or_default());
                }
            }
            lines.push(v);
        }
        if !quiet {
            for r in self.tenant.sign_in_log() {
                lines.push(json!({ "type": "signIn", "record": r }));
            }
            for r in self.tenant.audit_log() {
                lines.push(json!({ "type": "audit", "record": r }));
            }
        }
        let (all, failed) = self.expectation_counts();
        lines.push(json!({
            "type": "result",
            "title": self.title,
            "origin": self.origin,
            "passed": self.passed(),
            "steps": self.steps.len(),
            "expectations": all,
            "failedExpectations": failed,
            "failedSteps": self.failures().map(|s| s.number).collect::<Vec<_>>(),
        }));
        let mut out = String::new();
        for l in lines {
            let _ = writeln!(out, "{l}");
        }
        out
    }
}

pub(crate) fn on_off(b: bool) -> &'static str {
    if b { "on" } else { "off" }
}
