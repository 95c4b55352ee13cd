//! Reports as a readable transcript (with the logs as aligned tables) or as JSON lines.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use serde_json::json;

use super::runner::{Outcome, Report, StepReport};
use super::scenario::LogKind;
use tapsim::graph::format_datetime;
use tapsim::{AuditRecord, SignInRecord, UserId};

/// How to write the text transcript.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct TextOptions {
    /// ANSI colour (for a terminal).
    pub color: bool,
    /// Only the steps that failed, and the result line.
    pub quiet: bool,
    /// Every check of every sign-in, every fact a step found (the audit and sign-in
    /// records it left, the clock after it) and every expectation that held; without
    /// it, a sign-in shows only the check that decided it, and the logs appear once,
    /// at the end.
    pub verbose: bool,
    /// The widest a line may be, in characters (at least 40): narration wraps, and
    /// table cells wrap or are cut to fit. Default 100.
    pub width: usize,
}

impl Default for TextOptions {
    fn default() -> TextOptions {
        TextOptions {
            color: false,
            quiet: false,
            verbose: false,
            width: DEFAULT_WIDTH,
        }
    }
}

/// The width of the transcript when nothing else is known.
pub const DEFAULT_WIDTH: usize = 100;

impl TextOptions {
    /// Plain text, brief, 100 columns wide.
    pub fn new() -> TextOptions {
        TextOptions::default()
    }
    /// Brief or verbose.
    pub fn verbose(mut self, on: bool) -> TextOptions {
        self.verbose = on;
        self
    }
    /// The widest a line may be (values under 40 count as 40).
    pub fn width(mut self, width: usize) -> TextOptions {
        self.width = width.max(40);
        self
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

/// Words of `text` in lines of at most `width` characters (a word longer than that is
/// cut into pieces). Each line of `text` is wrapped on its own.
pub(crate) fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines = Vec::new();
    for para in text.lines() {
        let mut line = String::new();
        let mut len = 0;
        for word in para.split_whitespace() {
            let mut word: Vec<char> = word.chars().collect();
            while word.len() > width {
                if len > 0 {
                    lines.push(std::mem::take(&mut line));
                    len = 0;
                }
                let rest = word.split_off(width);
                lines.push(word.into_iter().collect());
                word = rest;
            }
            if len > 0 && len + 1 + word.len() > width {
                lines.push(std::mem::take(&mut line));
                len = 0;
            }
            if len > 0 {
                line.push(' ');
                len += 1;
            }
            len += word.len();
            line.extend(word);
        }
        lines.push(line);
    }
    if lines.is_empty() {
        lines.push(String::new());
    }
    lines
}

/// `text` cut to `width` characters, with `…` where it was cut.
fn cut(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_owned()
    } else {
        let mut s: String = text.chars().take(width.saturating_sub(1)).collect();
        s.push('…');
        s
    }
}

/// Lays out rows under headers, each column as wide as its widest cell, in at most
/// `width` characters: the last column wraps inside itself when at least 24 characters
/// are left for it, or else goes under its row, indented; the widest other columns are
/// cut (with `…`) only when even that does not fit.
fn table(
    out: &mut String,
    indent: &str,
    headers: &[&str],
    rows: &[Vec<String>],
    paint: Paint,
    width: usize,
) {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let n = widths.len();
    let indent_w = indent.chars().count();
    let fixed = |widths: &[usize]| -> usize {
        indent_w
            + widths
                .iter()
                .take(n.saturating_sub(1))
                .map(|w| w + 2)
                .sum::<usize>()
    };
    // Cut the widest of the first columns until they leave room for the last one
    // under its row (or in place).
    while fixed(&widths) > width && n > 1 {
        let Some((i, w)) = widths
            .iter()
            .take(n - 1)
            .enumerate()
            .max_by_key(|(i, w)| (**w, usize::MAX - *i))
            .map(|(i, w)| (i, *w))
        else {
            break;
        };
        if w <= 8 {
            break;
        }
        widths[i] = w - 1;
    }
    let room = width.saturating_sub(fixed(&widths));
    let last_full = widths.last().copied().unwrap_or(0);
    // Where the last column goes: in place (wrapped to `room`), or under the row.
    let in_place = last_full <= room || room >= 24;
    let under = indent_w + 4;
    let pad_to = |s: &mut String, w: usize| {
        let len = s.chars().count();
        if len < w {
            s.push_str(&" ".repeat(w - len));
        }
    };
    let mut emit = |cells: &[String], bold: bool| {
        if bold && !in_place {
            // The header says where the last column went: under each row.
            let mut head = String::from(indent);
            for (i, (cell, w)) in cells.iter().zip(&widths).enumerate().take(n - 1) {
                let start = indent_w + widths.iter().take(i).map(|w| w + 2).sum::<usize>();
                pad_to(&mut head, start);
                head.push_str(&cut(cell, *w));
            }
            let last = cells.get(n - 1).map(String::as_str).unwrap_or("");
            let tail = format!("  (↳ {last})");
            if head.chars().count() + tail.chars().count() <= width {
                head.push_str(&tail);
                let _ = writeln!(out, "{}", paint.bold(&head));
                return;
            }
        }
        let mut first = String::from(indent);
        for (i, (cell, w)) in cells.iter().zip(&widths).enumerate().take(n - 1) {
            let start = indent_w + widths.iter().take(i).map(|w| w + 2).sum::<usize>();
            pad_to(&mut first, start);
            first.push_str(&cut(cell, *w));
        }
        pad_to(&mut first, fixed(&widths));
        let last = cells.get(n - 1).map(String::as_str).unwrap_or("");
        let mut lines = Vec::new();
        if in_place {
            let parts = wrap(last, room.max(1));
            let col = fixed(&widths);
            for (k, part) in parts.into_iter().enumerate() {
                if k == 0 {
                    first.push_str(&part);
                    lines.push(first.trim_end().to_owned());
                    first = String::new();
                } else {
                    lines.push(format!("{}{part}", " ".repeat(col)).trim_end().to_owned());
                }
            }
        } else {
            lines.push(first.trim_end().to_owned());
            if !last.is_empty() {
                for part in wrap(last, width.saturating_sub(under + 2).max(1)) {
                    lines.push(format!("{}↳ {part}", " ".repeat(under)));
                }
            }
        }
        for l in lines {
            let _ = writeln!(out, "{}", if bold { paint.bold(&l) } else { l });
        }
    };
    emit(
        &headers.iter().map(|h| (*h).to_owned()).collect::<Vec<_>>(),
        true,
    );
    for row in rows {
        emit(row, false);
    }
}

fn short_time(t: &DateTime<Utc>) -> String {
    t.format("%H:%M:%S").to_string()
}

fn upn_of(report: &Report, id: Option<&str>) -> String {
    id.and_then(|id| id.parse::<UserId>().ok())
        .and_then(|id| {
            report
                .tenants()
                .into_iter()
                .find_map(|(_, t)| t.directory().user(id))
        })
        .map_or_else(
            || id.unwrap_or("").to_owned(),
            |u| u.user_principal_name().to_owned(),
        )
}

/// How a log table writes its times: in full, or as `HH:MM:SS` when every record is on
/// the same day (which the table's heading then says).
#[derive(Clone, Copy)]
pub(crate) enum Times {
    Full,
    OfDay,
    /// `HH:MM`: every record on the same day, at a whole minute.
    Minutes,
}

impl Times {
    /// The shortest way to write `times` unambiguously, and the day they share.
    fn fit(
        times: impl Iterator<Item = DateTime<Utc>> + Clone,
    ) -> (Times, Option<chrono::NaiveDate>) {
        use chrono::Timelike;
        match one_day(times.clone()) {
            None => (Times::Full, None),
            Some(d)
                if times
                    .clone()
                    .all(|t| t.second() == 0 && t.nanosecond() == 0) =>
            {
                (Times::Minutes, Some(d))
            }
            Some(d) => (Times::OfDay, Some(d)),
        }
    }
}

impl Times {
    fn show(self, t: &DateTime<Utc>) -> String {
        match self {
            Times::Full => format_datetime(t),
            Times::OfDay => t.format("%H:%M:%S").to_string(),
            Times::Minutes => t.format("%H:%M").to_string(),
        }
    }
}

/// The day every instant in `times` falls on, if they share one.
fn one_day(mut times: impl Iterator<Item = DateTime<Utc>>) -> Option<chrono::NaiveDate> {
    let first = times.next()?.date_naive();
    times.all(|t| t.date_naive() == first).then_some(first)
}

pub(crate) fn sign_in_rows(records: &[SignInRecord], times: Times) -> Vec<Vec<String>> {
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
                times.show(&r.created_date_time),
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

pub(crate) fn audit_rows(
    report: &Report,
    records: &[AuditRecord],
    times: Times,
) -> Vec<Vec<String>> {
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
                times.show(&r.activity_date_time),
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
    /// result line, in lines of at most [`TextOptions::width`] characters.
    ///
    /// Brief by default: a sign-in shows the check that decided it (the failing one),
    /// an expectation shows when it failed, and the logs appear once, at the end;
    /// [`TextOptions::verbose`] shows every check, fact and expectation. Control
    /// characters from the scenario are shown as `\u{..}` escapes, never written raw.
    ///
    /// A freshly created pass's value appears once, on its creation step, as the portal
    /// shows it; nothing else here holds a secret.
    pub fn to_text(&self, options: TextOptions) -> String {
        let p = Paint(options.color);
        let width = options.width.max(40);
        let mut out = String::new();
        let s = &self.settings;
        let title = format!("━━ {} ━━", visible(&self.title));
        match (&self.origin, options.quiet) {
            (Some(o), true) => {
                let _ = writeln!(out, "{} {}", p.bold(&title), p.dim(&visible(o)));
            }
            _ => {
                let _ = writeln!(out, "{}", p.bold(&title));
            }
        }
        let mut facts = Vec::new();
        if let Some(o) = &self.origin {
            facts.push(visible(o));
        }
        facts.push(self.seed_fact());
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
            let facts = facts.join(" · ");
            let switches = format!(
                "switches: delete_before_create {}, create_for_out_of_scope_users {}, default max lifetime {} min",
                on_off(s.switches.delete_before_create),
                on_off(s.switches.create_for_out_of_scope_users),
                s.switches.default_maximum_lifetime_in_minutes
            );
            for line in wrap(&facts, width).iter().chain(&wrap(&switches, width)) {
                let _ = writeln!(out, "{}", p.dim(line));
            }
            if let Some(about) = &self.about {
                let _ = writeln!(out);
                for para in visible(about.trim_end()).split("\n\n") {
                    // Lines of a paragraph join and wrap again; paragraphs stay apart.
                    let joined = para.lines().map(str::trim).collect::<Vec<_>>().join(" ");
                    if joined.is_empty() {
                        continue;
                    }
                    if !out.ends_with("\n\n") {
                        out.push('\n');
                    }
                    for line in wrap(&joined, width) {
                        let _ = writeln!(out, "{line}");
                    }
                }
            }
            let _ = writeln!(out, "\n{}", p.bold("Setup"));
            for line in &self.setup {
                indented(&mut out, "  ", "    ", &visible(line), width, |l| {
                    l.to_owned()
                });
            }
            let _ = writeln!(
                out,
                "{}",
                p.bold("Timeline  (✓ the step went as the lab expects, ✗ it did not)")
            );
        }
        let mut last_at = None;
        for step in &self.steps {
            if options.quiet && step.passed() {
                continue;
            }
            self.step_text(&mut out, step, &mut last_at, p, options);
        }
        // Each tenant's logs (one tenant: "Sign-in log"; several: "Sign-in log of X").
        for (name, tenant) in self.tenants().into_iter().filter(|_| !options.quiet) {
            let of = name.map(|n| format!(" of {n}")).unwrap_or_default();
            let signs = tenant.sign_in_log();
            let (times, day) = Times::fit(signs.iter().map(|r| r.created_date_time));
            let _ = writeln!(
                out,
                "\n{}",
                p.bold(&log_heading(&format!("Sign-in log{of}"), signs.len(), day))
            );
            let rows = visible_rows(sign_in_rows(signs, times));
            table(&mut out, "  ", &SIGN_IN_HEADERS, &rows, p, width);
            let audit = tenant.audit_log();
            let (times, day) = Times::fit(audit.iter().map(|r| r.activity_date_time));
            let _ = writeln!(
                out,
                "\n{}",
                p.bold(&log_heading(&format!("Audit log{of}"), audit.len(), day))
            );
            let rows = visible_rows(audit_rows(self, audit, times));
            table(&mut out, "  ", &AUDIT_HEADERS, &rows, p, width);
            let _ = writeln!(out);
        }
        for line in wrap(&self.result_text(), width) {
            let _ = writeln!(
                out,
                "{}",
                if self.passed() {
                    p.good(&line)
                } else {
                    p.bad(&line)
                }
            );
        }
        out
    }

    fn result_text(&self) -> String {
        let (all, failed) = self.expectation_counts();
        let steps = self.steps.len();
        if failed == 0 {
            format!("Result: {steps} steps, {all} expectations checked, all hold")
        } else {
            let which: Vec<String> = self.failures().map(|s| s.number.to_string()).collect();
            format!(
                "Result: {failed} of {all} expectations failed, in step{} {}",
                if which.len() == 1 { "" } else { "s" },
                which.join(", ")
            )
        }
    }

    fn step_text(
        &self,
        out: &mut String,
        step: &StepReport,
        last_at: &mut Option<DateTime<Utc>>,
        p: Paint,
        options: TextOptions,
    ) {
        let width = options.width.max(40);
        let verbose = options.verbose;
        let date = step.at.date_naive();
        // Brief: the time only when the clock moved since the step before.
        let same_instant = *last_at == Some(step.at);
        let when = if same_instant && !verbose && !options.quiet {
            String::new()
        } else if last_at.map(|t| t.date_naive()) == Some(date) {
            short_time(&step.at)
        } else {
            step.at.format("%Y-%m-%d %H:%M:%S").to_string()
        };
        *last_at = Some(step.at);
        let rules = if step.rules.is_empty() {
            String::new()
        } else {
            format!("  [{}]", visible(&step.rules.join(", ")))
        };
        let line = step
            .location
            .filter(|_| !step.passed())
            .map(|l| format!(" (line {})", l.line))
            .unwrap_or_default();
        // The heading: number, time, what happens (wrapped under itself).
        let number = format!("{:>3}", step.number);
        let lead = if when.is_empty() {
            format!("{number}  ")
        } else {
            format!("{number} {when}  ")
        };
        let lead_w = lead.chars().count();
        let body = format!("{}{rules}{line}", visible(&step.description));
        let mut result = match &step.outcome {
            Outcome::Ok => "ok".to_owned(),
            Outcome::Error {
                code,
                status,
                message,
            } => format!("error {code} ({status}): {}", visible(message)),
            Outcome::Allowed { mfa, .. } => format!(
                "allowed, {}",
                if *mfa { "multifactor" } else { "single factor" }
            ),
            Outcome::Denied { reason, message } => {
                format!("denied, {}: {message}", super::decode::denial_name(*reason))
            }
            Outcome::NotRun { why } => format!("not run: {}", visible(why)),
        };
        // Brief: the facts that are not in the logs at the end go on the result line.
        let facts: Vec<String> = step
            .details
            .iter()
            .filter(|d| verbose || !is_log_fact(d))
            .map(|d| {
                if verbose {
                    visible(d)
                } else {
                    same_day_times(&brief_fact(&visible(d)), step.at)
                }
            })
            .collect();
        let mut facts = facts.into_iter();
        if !verbose
            && matches!(step.outcome, Outcome::Allowed { .. } | Outcome::Ok)
            && let Some(first) = facts.next()
        {
            result = format!("{result}; {first}");
        }
        let mark = p.mark(step.passed());
        let heading = wrap(&body, width.saturating_sub(lead_w).max(20));
        let results = wrap(&result, width.saturating_sub(7));
        // Brief: a short outcome goes at the end of the heading, when it fits.
        let inline = !verbose
            && results.len() == 1
            && heading.last().is_some_and(|l| {
                lead_w + l.chars().count() + 4 + results[0].chars().count() <= width
            });
        if verbose {
            out.push('\n');
        }
        if when.is_empty() {
            let _ = write!(out, "{}  ", p.bold(&number));
        } else {
            let _ = write!(out, "{} {}  ", p.bold(&number), p.dim(&when));
        }
        for (i, part) in heading.iter().enumerate() {
            if i > 0 {
                out.push_str(&" ".repeat(lead_w));
            }
            if inline && i + 1 == heading.len() {
                let _ = writeln!(out, "{}  {mark} {}", p.bold(part), results[0]);
            } else {
                let _ = writeln!(out, "{}", p.bold(part));
            }
        }
        if let Some(say) = &step.say {
            for para in visible(say.trim_end()).lines() {
                for l in wrap(para, width.saturating_sub(5)) {
                    let _ = writeln!(out, "     {}", p.note(&l));
                }
            }
        }
        if !inline {
            for (i, part) in results.iter().enumerate() {
                if i == 0 {
                    let _ = writeln!(out, "   {mark} → {part}");
                } else {
                    let _ = writeln!(out, "       {part}");
                }
            }
        }
        if let Some(secret) = &step.shown_once {
            // Deliberate: the one place a pass's value is shown, once, as the portal
            // shows it to the admin who created it.
            let _ = writeln!(
                out,
                "       pass value, shown once: {}",
                p.bold(secret.danger_reveal())
            );
        }
        for d in facts {
            for (i, l) in wrap(&d, width.saturating_sub(7)).iter().enumerate() {
                let pad = if i == 0 { "       " } else { "         " };
                let _ = writeln!(out, "{pad}{}", p.dim(l));
            }
        }
        let shown: Vec<_> = step.trace.iter().filter(|c| verbose || !c.passed).collect();
        if !shown.is_empty() {
            if verbose {
                let _ = writeln!(out, "       why:");
            }
            let pad = if verbose { "         " } else { "       " };
            for c in shown {
                let text = format!(
                    "{}{}: {}",
                    if verbose { "" } else { "why: " },
                    c.name,
                    visible(&c.detail)
                );
                let text = if verbose {
                    text
                } else {
                    same_day_times(&text, step.at)
                };
                let w = width.saturating_sub(pad.len() + 2);
                for (i, l) in wrap(&text, w).iter().enumerate() {
                    if i == 0 {
                        let _ = writeln!(out, "{pad}{} {l}", p.mark(c.passed));
                    } else {
                        let _ = writeln!(out, "{pad}  {l}");
                    }
                }
            }
        }
        for e in &step.expectations {
            if e.held && (!e.stated || !verbose) {
                continue;
            }
            let text = if e.held {
                format!("expected {}", visible(&e.expected))
            } else {
                format!(
                    "expected {}, but got {}",
                    visible(&e.expected),
                    visible(&e.actual)
                )
            };
            for (i, l) in wrap(&text, width.saturating_sub(7)).iter().enumerate() {
                if i == 0 {
                    let _ = writeln!(out, "     {} {l}", p.mark(e.held));
                } else {
                    let _ = writeln!(out, "       {l}");
                }
            }
        }
        if let Some((log, n)) = step.printed_log {
            match log {
                LogKind::SignIn if verbose => {
                    let records = self
                        .printed_tenant(step)
                        .sign_in_log()
                        .get(..n)
                        .unwrap_or_default();
                    let rows = visible_rows(sign_in_rows(records, Times::Full));
                    table(out, "       ", &SIGN_IN_HEADERS, &rows, p, width);
                }
                LogKind::Audit if verbose => {
                    let records = self
                        .printed_tenant(step)
                        .audit_log()
                        .get(..n)
                        .unwrap_or_default();
                    let rows = visible_rows(audit_rows(self, records, Times::Full));
                    table(out, "       ", &AUDIT_HEADERS, &rows, p, width);
                }
                // Brief: each log is printed once, at the end.
                _ => {
                    let text =
                        format!("{n} records so far: records 1 to {n} of the log at the end");
                    indented(out, "       ", "       ", &text, width, |l| p.dim(l));
                }
            }
        }
    }
    /// The run as JSON lines, one event per line: `scenario`, then each `step`, each
    /// `signIn` and `audit` record (in Graph's shapes), and a `result`. With `quiet`,
    /// only failed steps and the result.
    ///
    /// Holds no secret: a created pass appears as Graph reads it back, without its value.
    /// The same text [`Report::write_json_lines`] streams.
    pub fn to_json_lines(&self, quiet: bool) -> String {
        let mut out = Vec::new();
        // Writing to a `Vec` cannot fail, and serde_json writes UTF-8.
        let _ = self.write_json_lines(quiet, &mut out);
        String::from_utf8(out).unwrap_or_default()
    }

    /// Writes the run as JSON lines (as [`Report::to_json_lines`] returns them) to
    /// `out`, one line at a time: each event is built, written and flushed before the
    /// next is built, so that a reader sees each line as soon as it is written and
    /// memory holds one event, never the whole report (issue 11).
    ///
    /// ```
    /// use tapsim::HashCost;
    /// use tapsim_lab::{builtin_lab, RunOptions, DEFAULT_LAB};
    ///
    /// let lab = builtin_lab(DEFAULT_LAB).unwrap();
    /// let report = lab.scenarios[0].scenario()?.run(&RunOptions::new().hash_cost(HashCost::Minimum))?;
    /// let mut out = Vec::new();
    /// report.write_json_lines(false, &mut out)?;
    /// assert_eq!(String::from_utf8(out)?, report.to_json_lines(false));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// The first error `out` returns; nothing more is written after it.
    pub fn write_json_lines(
        &self,
        quiet: bool,
        mut out: impl std::io::Write,
    ) -> std::io::Result<()> {
        for event in self.json_events(quiet) {
            serde_json::to_writer(&mut out, &event)?;
            out.write_all(b"\n")?;
            out.flush()?;
        }
        Ok(())
    }

    /// The JSON events, built one at a time as they are asked for.
    fn json_events(&self, quiet: bool) -> impl Iterator<Item = serde_json::Value> + '_ {
        let head = std::iter::once_with(move || {
            json!({
                "type": "scenario",
                "title": self.title,
                "origin": self.origin,
                "settings": self.settings,
                "setup": self.setup,
            })
        });
        let steps = self
            .steps
            .iter()
            .filter(move |s| !quiet || !s.passed())
            .map(move |s| self.step_json(s));
        // With several tenants, each record says whose log it is in (`tenant`).
        let logs = (!quiet).then(|| {
            let tenants = self.tenants();
            let sign_ins = tenants.clone().into_iter().flat_map(|(name, t)| {
                t.sign_in_log()
                    .iter()
                    .map(move |r| tagged(json!({ "type": "signIn", "record": r }), name))
            });
            let audits = tenants.into_iter().flat_map(|(name, t)| {
                t.audit_log()
                    .iter()
                    .map(move |r| tagged(json!({ "type": "audit", "record": r }), name))
            });
            sign_ins.chain(audits)
        });
        let result = std::iter::once_with(move || {
            let (all, failed) = self.expectation_counts();
            json!({
                "type": "result",
                "title": self.title,
                "origin": self.origin,
                "passed": self.passed(),
                "steps": self.steps.len(),
                "expectations": all,
                "failedExpectations": failed,
                "failedSteps": self.failures().map(|s| s.number).collect::<Vec<_>>(),
            })
        });
        head.chain(steps)
            .chain(logs.into_iter().flatten())
            .chain(result)
    }

    /// One `step` event, with the log it printed.
    fn step_json(&self, s: &StepReport) -> serde_json::Value {
        let mut v = serde_json::to_value(s).unwrap_or_default();
        if let Some(obj) = v.as_object_mut() {
            obj.insert("type".to_owned(), json!("step"));
            obj.insert("passed".to_owned(), json!(s.passed()));
            if let Some((log, n)) = s.printed_log {
                let tenant = self.printed_tenant(s);
                let records = match log {
                    LogKind::SignIn => {
                        serde_json::to_value(tenant.sign_in_log().get(..n).unwrap_or_default())
                    }
                    LogKind::Audit => {
                        serde_json::to_value(tenant.audit_log().get(..n).unwrap_or_default())
                    }
                };
                obj.insert("log".to_owned(), records.unwrap_or_default());
            }
        }
        v
    }
}

/// `event` with `"tenant": name` added when the run has several tenants.
fn tagged(mut event: serde_json::Value, name: Option<&str>) -> serde_json::Value {
    if let (Some(n), Some(o)) = (name, event.as_object_mut()) {
        o.insert("tenant".to_owned(), json!(n));
    }
    event
}

pub(crate) fn on_off(b: bool) -> &'static str {
    if b { "on" } else { "off" }
}

/// A heading for a log table: how many records, and their day when they share one.
fn log_heading(name: &str, n: usize, day: Option<chrono::NaiveDate>) -> String {
    match day {
        Some(d) => format!("{name} ({n} records, times UTC on {d})"),
        None => format!("{name} ({n} records, times UTC)"),
    }
}

/// Whether a step's fact repeats a log record (shown once, in the log at the end) or
/// the clock (shown by the next step).
fn is_log_fact(d: &str) -> bool {
    d.starts_with("audit: ") || d.starts_with("sign-in log: ") || d.starts_with("now ")
}

/// Writes `text` wrapped to `width`, its first line after `first`, the rest after
/// `rest`, each through `paint`.
fn indented(
    out: &mut String,
    first: &str,
    rest: &str,
    text: &str,
    width: usize,
    paint: impl Fn(&str) -> String,
) {
    let w = width.saturating_sub(rest.chars().count()).max(10);
    for (i, l) in wrap(text, w).iter().enumerate() {
        let _ = writeln!(out, "{}{}", if i == 0 { first } else { rest }, paint(l));
    }
}

/// `s` with every control character but newline and tab (and every bidirectional
/// control) shown as a Rust escape (`\r`, `\u{1b}`): text from a scenario never moves
/// the cursor, changes colours or rings a terminal.
pub(crate) fn visible(s: &str) -> String {
    crate::escape::escape_text(s).into_owned()
}

fn visible_rows(rows: Vec<Vec<String>>) -> Vec<Vec<String>> {
    rows.into_iter()
        .map(|r| r.iter().map(|c| visible(c)).collect())
        .collect()
}

/// A fact made brief: a pass's or a session's id (a GUID, in the logs and JSON) left
/// out, and a session's factor (on the result line already) too.
fn brief_fact(d: &str) -> String {
    let is_guid = |s: &str| {
        s.len() == 36
            && s.char_indices().all(|(i, c)| {
                if matches!(i, 8 | 13 | 18 | 23) {
                    c == '-'
                } else {
                    c.is_ascii_hexdigit()
                }
            })
    };
    for kind in ["pass ", "session "] {
        if let Some(rest) = d.strip_prefix(kind)
            && let Some((id, tail)) = rest.split_once(": ")
        {
            let who = if is_guid(id) {
                kind.trim_end().to_owned()
            } else {
                format!("{kind}{id}")
            };
            if kind == "session " {
                let tail = tail
                    .strip_prefix("multifactor, ")
                    .or_else(|| tail.strip_prefix("single factor, "))
                    .unwrap_or(tail);
                return format!("{who} {tail}");
            }
            return format!("{who}: {tail}");
        }
    }
    d.to_owned()
}

/// `text` with each date-time on the same day as `at` (`2026-01-05T09:15:00Z`) written
/// as its time of day (`09:15:00`): the step's heading says the day.
fn same_day_times(text: &str, at: DateTime<Utc>) -> String {
    let day = at.format("%Y-%m-%dT").to_string();
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(&day) {
        let (before, from) = rest.split_at(i);
        out.push_str(before);
        let time = &from[day.len()..];
        // HH:MM:SS then `Z` (with no fraction): the shape format_datetime writes.
        let b = time.as_bytes();
        if b.len() >= 9
            && b[2] == b':'
            && b[5] == b':'
            && b[8] == b'Z'
            && [0, 1, 3, 4, 6, 7].iter().all(|k| b[*k].is_ascii_digit())
        {
            out.push_str(&time[..8]);
            rest = &time[9..];
        } else {
            out.push_str(&day);
            rest = time;
        }
    }
    out.push_str(rest);
    out
}
