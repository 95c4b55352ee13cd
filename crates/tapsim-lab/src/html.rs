//! Reports as one self-contained HTML page: a timeline of each scenario drawn as inline
//! SVG (a lane per user with each pass's validity window, each session and each
//! sign-in attempt; policy changes and clock moves on the time axis), then each step's
//! narration and outcome, and the sign-in and audit logs as tables.
//!
//! The page has no script and loads nothing: no font, stylesheet or image from
//! anywhere. Every string that comes from a scenario or the tenant is escaped. Shapes
//! and words say what colour says (a cross for a denial, a hatched bar for a one-time
//! pass, a dashed outline for a single-factor session), and the figure has a text
//! alternative. It holds no secret: no password, no pass value.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};

use super::render::{AUDIT_HEADERS, SIGN_IN_HEADERS, Times, audit_rows, on_off, sign_in_rows};
use super::runner::{Outcome, Report, StepReport};
use super::timeline::{MarkerKind, PassFate, Timeline};
use tapsim::graph::format_datetime;

/// Escapes text for HTML and SVG content and attribute values. Control characters
/// (other than tab and newline) become U+FFFD: they mean nothing on a page.
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' => out.push(c),
            c if c.is_control() => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = r#"
:root { color-scheme: light; --ok: #1a7f37; --bad: #b3261e; --pass: #1f5fbf; --session: #6b3fa0; --mark: #8a5a00; --ink: #1b1b1b; --dim: #5a5a5a; --line: #d0d0d0; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Liberation Sans", sans-serif; color: var(--ink); background: #fff; }
main { max-width: 1200px; margin: 0 auto; padding: 16px 20px 40px; }
h1 { font-size: 1.6em; margin: 0.2em 0; }
h2 { font-size: 1.35em; margin: 1.6em 0 0.3em; border-bottom: 2px solid var(--ink); padding-bottom: 0.15em; }
h3 { font-size: 1.1em; margin: 1.4em 0 0.4em; }
.facts, .dim { color: var(--dim); font-size: 0.9em; }
.about p { max-width: 75ch; }
figure { margin: 0.5em 0 1em; }
figure svg.timeline { display: block; width: 100%; height: auto; border: 1px solid var(--line); }
figcaption { font-size: 0.9em; color: var(--dim); }
ul.legend { list-style: none; padding: 0; margin: 0.4em 0; display: flex; flex-wrap: wrap; gap: 4px 18px; font-size: 0.88em; }
ul.legend li { display: inline-flex; align-items: center; gap: 6px; }
ol.steps { list-style: none; padding: 0; margin: 0; }
li.step { border-left: 4px solid var(--line); padding: 6px 10px; margin: 8px 0; break-inside: avoid; }
li.step.failed { border-left-color: var(--bad); background: #fff4f3; }
.step-head { font-weight: 600; overflow-wrap: anywhere; }
.step-head .num { display: inline-block; min-width: 2.2em; }
.step-head time, .rules { font-weight: normal; color: var(--dim); }
.say { font-style: italic; margin: 2px 0; max-width: 90ch; }
.outcome { margin: 2px 0; overflow-wrap: anywhere; }
.allowed, .held { color: var(--ok); }
.denied, .error, .notheld, .notrun { color: var(--bad); }
ul.details, ul.expect, ul.trace, ul.setup { margin: 2px 0; padding-left: 1.4em; overflow-wrap: anywhere; }
ul.details { color: var(--dim); font-size: 0.92em; }
details summary { cursor: pointer; }
table { width: 100%; border-collapse: collapse; table-layout: fixed; font-size: 0.85em; }
th, td { border: 1px solid var(--line); padding: 3px 5px; text-align: left; vertical-align: top; overflow-wrap: anywhere; }
th { background: #f2f2f2; }
col.n { width: 3em; } col.t { width: 13em; }
.result { font-weight: 700; margin-top: 1em; }
.result.failed { color: var(--bad); }
svg text { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Liberation Sans", sans-serif; }
@media print {
  body { font-size: 11pt; }
  main { max-width: none; padding: 0; }
  h2 { break-before: page; }
  article:first-of-type h2 { break-before: avoid; }
  li.step.failed { background: none; }
  figure, table, tr { break-inside: avoid; }
  details > summary { list-style: none; }
  a { color: inherit; text-decoration: none; }
}
"#;

/// The SVG's coordinate system: 1200 wide, scaled to the page's width.
const VIEW_W: f64 = 1200.0;
const PLOT_X0: f64 = 200.0;
const PLOT_X1: f64 = 1188.0;
const AXIS_H: f64 = 58.0;
const ROW_H: f64 = 30.0;
const LANE_PAD: f64 = 8.0;

fn fx(x: f64) -> String {
    format!("{:.1}", x.max(0.0))
}

/// Where each step and the end of the run sit on the x axis.
struct Axis {
    /// `(x, clock)` of each step, then of the end of the run.
    points: Vec<(f64, DateTime<Utc>)>,
    /// Past the end of the run: where windows that go on are cut.
    tail_x: f64,
}

impl Axis {
    /// A column per step, so that steps at the same instant stay apart; the space
    /// between two steps grows with the logarithm of the time between them, so labs of
    /// minutes and labs of weeks both fit.
    fn new(t: &Timeline) -> Axis {
        let mut times: Vec<DateTime<Utc>> = t.steps.iter().map(|s| s.at).collect();
        times.push(t.end);
        let weight = |a: DateTime<Utc>, b: DateTime<Utc>| {
            let minutes = (b - a).num_seconds().max(0) as f64 / 60.0;
            1.0 + 0.6 * (1.0 + minutes).ln()
        };
        let mut xs = vec![0.5];
        for w in times.windows(2) {
            let last = xs.last().copied().unwrap_or(0.5);
            xs.push(last + weight(w[0], w[1]));
        }
        let tail = 1.5;
        let total = xs.last().copied().unwrap_or(0.5) + tail;
        let scale = (PLOT_X1 - PLOT_X0) / total;
        let points = xs
            .iter()
            .zip(times)
            .map(|(x, t)| (PLOT_X0 + x * scale, t))
            .collect();
        Axis {
            points,
            tail_x: PLOT_X1,
        }
    }

    /// The x of step `number` (from 1).
    fn step(&self, number: usize) -> f64 {
        self.points
            .get(number.saturating_sub(1))
            .map_or(PLOT_X0, |p| p.0)
    }

    /// The x of the end of the run.
    fn end(&self) -> f64 {
        self.points.last().map_or(PLOT_X0, |p| p.0)
    }

    /// The x of instant `t`, looking from step `from` onwards (the clock may have been
    /// set back before it), and whether `t` is past the end of the run.
    fn time(&self, from: usize, t: DateTime<Utc>) -> (f64, bool) {
        let i = from.saturating_sub(1);
        let Some(&(x0, t0)) = self.points.get(i) else {
            return (PLOT_X0, false);
        };
        if t <= t0 {
            return (x0, false);
        }
        for w in self.points.get(i..).unwrap_or_default().windows(2) {
            let ((xa, a), (xb, b)) = (w[0], w[1]);
            if b > a && a < t && t <= b {
                let f = (t - a).num_milliseconds() as f64 / (b - a).num_milliseconds() as f64;
                return (xa + f * (xb - xa), false);
            }
        }
        let (xe, te) = self.points.last().copied().unwrap_or((x0, t0));
        if t == te {
            (xe, false)
        } else {
            (self.tail_x, true)
        }
    }
}

/// Rows in a lane: bars that would overlap (their labels included) go on separate rows.
#[derive(Default)]
struct Rows {
    ends: Vec<f64>,
}

impl Rows {
    fn place(&mut self, x0: f64, x1: f64) -> usize {
        if let Some(i) = self.ends.iter().position(|e| *e + 4.0 <= x0) {
            self.ends[i] = x1;
            i
        } else {
            self.ends.push(x1);
            self.ends.len() - 1
        }
    }
}

/// Roughly how wide `text` is at 11px.
fn text_w(text: &str) -> f64 {
    text.chars().count() as f64 * 6.0
}

/// Where a label for something drawn from `x` starts: at `x`, or further left when it
/// would run past the right edge.
fn label_x(x: f64, text: &str) -> f64 {
    x.min(VIEW_W - 4.0 - text_w(text)).max(PLOT_X0)
}

fn short(t: &DateTime<Utc>, with_date: bool) -> String {
    if with_date {
        t.format("%m-%d %H:%M").to_string()
    } else {
        t.format("%H:%M").to_string()
    }
}

fn human_duration(from: DateTime<Utc>, to: DateTime<Utc>) -> String {
    let secs = (to - from).num_seconds().unsigned_abs();
    let (d, h, m, s) = (
        secs / 86_400,
        secs % 86_400 / 3600,
        secs % 3600 / 60,
        secs % 60,
    );
    let mut parts = Vec::new();
    for (v, u) in [(d, "d"), (h, "h"), (m, "m"), (s, "s")] {
        if v > 0 {
            parts.push(format!("{v}{u}"));
        }
    }
    if parts.is_empty() {
        "0s".to_owned()
    } else {
        parts.join("")
    }
}

/// One lane's drawing, built before the lane's height is known.
struct Lane {
    user: String,
    pass_rows: Rows,
    session_rows: Rows,
    /// `(row kind: 0 pass, 1 session, 2 attempts; row; svg)`.
    items: Vec<(u8, usize, String)>,
}

fn step_link(id: &str, number: usize) -> String {
    format!("#{id}-step-{number}")
}

fn timeline_svg(out: &mut String, id: &str, report: &Report) {
    let t = &report.timeline;
    let axis = Axis::new(t);
    let mut lanes: Vec<Lane> = Vec::new();
    let lane_of = |lanes: &mut Vec<Lane>, user: &str| -> usize {
        if let Some(i) = lanes.iter().position(|l| l.user.eq_ignore_ascii_case(user)) {
            return i;
        }
        lanes.push(Lane {
            user: user.to_owned(),
            pass_rows: Rows::default(),
            session_rows: Rows::default(),
            items: Vec::new(),
        });
        lanes.len() - 1
    };
    // Lanes in the order the users appear in the run.
    let mut order: Vec<(usize, &str)> = Vec::new();
    order.extend(t.passes.iter().map(|p| (p.created_step, p.user.as_str())));
    order.extend(t.sessions.iter().map(|s| (s.opened_step, s.user.as_str())));
    order.extend(t.attempts.iter().map(|a| (a.step, a.user.as_str())));
    order.sort_by_key(|(s, _)| *s);
    for (_, u) in &order {
        lane_of(&mut lanes, u);
    }

    for p in &t.passes {
        let lane = lane_of(&mut lanes, &p.user);
        let (xs, _) = axis.time(p.created_step, p.start);
        let (xe, cut) = axis.time(p.created_step, p.end);
        let (x_end, fate) = match p.gone {
            Some((step, fate)) if axis.step(step) < xe => (axis.step(step), Some(fate)),
            _ => (xe, None),
        };
        let x_create = axis.step(p.created_step);
        let mut words = vec![match &p.name {
            Some(n) => format!("pass {n}"),
            None => "pass".to_owned(),
        }];
        words.push(if p.one_time { "one-time" } else { "multi-use" }.to_owned());
        if p.consumed_step.is_some() {
            words.push("spent".to_owned());
        }
        match fate {
            Some(PassFate::Deleted) => words.push("deleted".to_owned()),
            Some(PassFate::Replaced) => words.push("replaced".to_owned()),
            None if cut => words.push(format!("until {}", format_datetime(&p.end))),
            None => {}
        }
        let label = words.join(" · ");
        let title = format!(
            "{}: created in step {}, valid {} to {}{}{}",
            label,
            p.created_step,
            format_datetime(&p.start),
            format_datetime(&p.end),
            p.consumed_step
                .map(|s| format!(", spent in step {s}"))
                .unwrap_or_default(),
            match p.gone {
                Some((s, PassFate::Deleted)) => format!(", deleted in step {s}"),
                Some((s, PassFate::Replaced)) => format!(", replaced in step {s}"),
                None => String::new(),
            }
        );
        let lx = label_x(x_create, &label);
        let row = lanes[lane]
            .pass_rows
            .place(lx.min(x_create), x_end.max(lx + text_w(&label)));
        let mut g = format!(
            "<g class=\"pass\"><title>{}</title><text x=\"{}\" y=\"10\" font-size=\"11\">{}</text>",
            esc(&title),
            fx(lx),
            esc(&label)
        );
        if xs > x_create {
            // Created before it starts: a thin line until it does.
            let _ = write!(
                g,
                "<line x1=\"{}\" y1=\"20\" x2=\"{}\" y2=\"20\" stroke=\"#1f5fbf\" stroke-dasharray=\"2 3\"/>",
                fx(x_create),
                fx(xs)
            );
        }
        let fill = if p.one_time {
            format!("url(#{id}-hatch)")
        } else {
            "#dce8fb".to_owned()
        };
        let spent_x = p.consumed_step.map(|s| axis.step(s)).filter(|x| *x < x_end);
        let solid_end = spent_x.unwrap_or(x_end);
        let _ = write!(
            g,
            "<rect x=\"{}\" y=\"13\" width=\"{}\" height=\"14\" fill=\"{fill}\" stroke=\"#1f5fbf\" stroke-width=\"1.5\"/>",
            fx(xs),
            fx((solid_end - xs).max(2.0))
        );
        if let Some(sx) = spent_x {
            let _ = write!(
                g,
                "<rect x=\"{}\" y=\"13\" width=\"{}\" height=\"14\" fill=\"none\" stroke=\"#1f5fbf\" stroke-dasharray=\"3 3\"/>",
                fx(sx),
                fx((x_end - sx).max(0.0))
            );
        }
        match fate {
            Some(PassFate::Deleted) => {
                // A cross at the end: deleted.
                let _ = write!(
                    g,
                    "<path d=\"M{a} 14 l8 12 M{a} 26 l8 -12\" stroke=\"#1b1b1b\" stroke-width=\"2\"/>",
                    a = fx(x_end - 4.0)
                );
            }
            Some(PassFate::Replaced) => {
                // A bar across the end: replaced by the next pass.
                let _ = write!(
                    g,
                    "<path d=\"M{a} 10 v20 M{b} 10 v20\" stroke=\"#1b1b1b\" stroke-width=\"2\"/>",
                    a = fx(x_end),
                    b = fx(x_end - 3.0)
                );
            }
            None if cut => {
                let _ = write!(
                    g,
                    "<path d=\"M{a} 12 l7 8 l-7 8 z\" fill=\"#1f5fbf\"/>",
                    a = fx(x_end)
                );
            }
            None => {}
        }
        g.push_str("</g>");
        lanes[lane].items.push((0, row, g));
    }

    for s in &t.sessions {
        let lane = lane_of(&mut lanes, &s.user);
        let xs = axis.step(s.opened_step);
        let (xe, cut, how) = match &s.ended {
            Some(e) if e.reason == "passExpired" => {
                let (x, _) = axis.time(s.opened_step, e.at);
                (x, false, format!("ended: {}", e.reason))
            }
            Some(e) => (axis.step(e.step), false, format!("ended: {}", e.reason)),
            None => match s.expires {
                Some(x) if x > t.end => {
                    let (xe, cut) = axis.time(s.opened_step, x);
                    (xe, cut, format!("open, ends by {}", format_datetime(&x)))
                }
                _ => (axis.end(), false, "open at the end".to_owned()),
            },
        };
        let label = format!(
            "session{} · {} · {how}",
            s.name.as_ref().map(|n| format!(" {n}")).unwrap_or_default(),
            if s.mfa { "MFA" } else { "single factor" },
        );
        let title = format!(
            "{label}: opened in step {} at {}",
            s.opened_step,
            format_datetime(&s.start)
        );
        let lx = label_x(xs, &label);
        let row = lanes[lane]
            .session_rows
            .place(lx.min(xs), xe.max(lx + text_w(&label)));
        let style = if s.mfa {
            "fill=\"#e6dcf3\" stroke=\"#6b3fa0\" stroke-width=\"1.5\""
        } else {
            "fill=\"#ffffff\" stroke=\"#6b3fa0\" stroke-width=\"1.5\" stroke-dasharray=\"5 3\""
        };
        let mut g = format!(
            "<g class=\"session\"><title>{}</title><text x=\"{}\" y=\"10\" font-size=\"11\">{}</text><rect x=\"{}\" y=\"14\" rx=\"6\" width=\"{}\" height=\"12\" {style}/>",
            esc(&title),
            fx(lx),
            esc(&label),
            fx(xs),
            fx((xe - xs).max(3.0))
        );
        if cut {
            let _ = write!(
                g,
                "<path d=\"M{a} 13 l7 7 l-7 7 z\" fill=\"#6b3fa0\"/>",
                a = fx(xe)
            );
        }
        g.push_str("</g>");
        lanes[lane].items.push((1, row, g));
    }

    for a in &t.attempts {
        let lane = lane_of(&mut lanes, &a.user);
        let x = axis.step(a.step);
        let step = report.steps.iter().find(|s| s.number == a.step);
        // The step's own description: a step-up is not a sign-in.
        let what = step.map_or_else(|| format!("{} signs in", a.user), |s| s.description.clone());
        let mut title = format!(
            "Step {}: {what}: {}",
            a.step,
            if a.allowed { "allowed" } else { "denied" }
        );
        if let Some(r) = &a.reason {
            title.push_str(&format!(", {r}"));
        }
        if let Some(Outcome::Denied { message, .. }) = step.map(|s| &s.outcome) {
            title.push_str(&format!(": {message}"));
        }
        if let Some(s) = step {
            for c in &s.trace {
                title.push_str(&format!(
                    "\n{} {}: {}",
                    if c.passed { "✓" } else { "✗" },
                    c.name,
                    c.detail
                ));
            }
        }
        let shape = if a.allowed {
            format!(
                "<circle cx=\"{x}\" cy=\"20\" r=\"6\" fill=\"#1a7f37\"/><path d=\"M{l} 20 l2.5 3 l4.5 -6\" stroke=\"#fff\" stroke-width=\"1.8\" fill=\"none\"/>",
                x = fx(x),
                l = fx(x - 3.5)
            )
        } else {
            format!(
                "<rect x=\"{r}\" y=\"14\" width=\"12\" height=\"12\" fill=\"#b3261e\"/><path d=\"M{a} 17 l6 6 M{a} 23 l6 -6\" stroke=\"#fff\" stroke-width=\"1.8\"/>",
                r = fx(x - 6.0),
                a = fx(x - 3.0)
            )
        };
        let g = format!(
            "<a href=\"{}\" aria-label=\"{}\"><g class=\"attempt\"><title>{}</title>{shape}</g></a>",
            step_link(id, a.step),
            esc(&title.replace('\n', "; ")),
            esc(&title)
        );
        lanes[lane].items.push((2, 0, g));
    }

    // Heights: each lane's pass rows, session rows and one row of attempts.
    let mut y = AXIS_H;
    let mut lane_svg = String::new();
    for (i, lane) in lanes.iter().enumerate() {
        let np = lane.pass_rows.ends.len();
        let ns = lane.session_rows.ends.len();
        let has_attempts = lane.items.iter().any(|(k, _, _)| *k == 2);
        let rows = np + ns + usize::from(has_attempts);
        let h = rows.max(1) as f64 * ROW_H + 2.0 * LANE_PAD;
        if i % 2 == 1 {
            let _ = write!(
                lane_svg,
                "<rect x=\"0\" y=\"{}\" width=\"{VIEW_W}\" height=\"{}\" fill=\"#f6f6f6\"/>",
                fx(y),
                fx(h)
            );
        }
        let label = if lane.user.chars().count() > 28 {
            format!("{}…", lane.user.chars().take(27).collect::<String>())
        } else {
            lane.user.clone()
        };
        let _ = write!(
            lane_svg,
            "<text x=\"8\" y=\"{}\" font-size=\"13\" font-weight=\"600\"><title>{}</title>{}</text>",
            fx(y + LANE_PAD + 18.0),
            esc(&lane.user),
            esc(&label)
        );
        for (kind, row, g) in &lane.items {
            let r = match kind {
                0 => *row,
                1 => np + row,
                _ => np + ns,
            };
            let _ = write!(
                lane_svg,
                "<g transform=\"translate(0 {})\">{g}</g>",
                fx(y + LANE_PAD + r as f64 * ROW_H)
            );
        }
        y += h;
        let _ = write!(
            lane_svg,
            "<line x1=\"0\" y1=\"{a}\" x2=\"{VIEW_W}\" y2=\"{a}\" stroke=\"#d0d0d0\"/>",
            a = fx(y)
        );
    }
    if lanes.is_empty() {
        let _ = write!(
            lane_svg,
            "<text x=\"{}\" y=\"{}\" font-size=\"13\" fill=\"#5a5a5a\">No pass, session or sign-in in this scenario.</text>",
            fx(PLOT_X0),
            fx(y + 22.0)
        );
        y += 36.0;
    }
    let height = y + 6.0;

    let allowed = t.attempts.iter().filter(|a| a.allowed).count();
    let desc = format!(
        "Timeline of {} steps from {} to {}: {} passes, {} sessions, {} sign-in attempts ({} allowed, {} denied), {} policy changes, {} clock moves. Each step is described in words below.",
        t.steps.len(),
        format_datetime(&t.start),
        format_datetime(&t.end),
        t.passes.len(),
        t.sessions.len(),
        t.attempts.len(),
        allowed,
        t.attempts.len() - allowed,
        t.markers
            .iter()
            .filter(|m| m.kind == MarkerKind::Policy)
            .count(),
        t.markers
            .iter()
            .filter(|m| m.kind != MarkerKind::Policy)
            .count(),
    );
    let _ = write!(
        out,
        "<svg class=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {VIEW_W} {h}\" width=\"{VIEW_W}\" height=\"{h}\" role=\"img\" aria-labelledby=\"{id}-svg-title {id}-svg-desc\"><title id=\"{id}-svg-title\">Timeline: {title}</title><desc id=\"{id}-svg-desc\">{desc}</desc>",
        h = fx(height),
        title = esc(&report.title),
        desc = esc(&desc),
    );
    let _ = write!(
        out,
        "<defs><pattern id=\"{id}-hatch\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"#dce8fb\"/><line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#1f5fbf\" stroke-width=\"2\"/></pattern></defs>"
    );
    // The axis: times where the clock changed, markers, step numbers.
    let _ = write!(
        out,
        "<text x=\"8\" y=\"16\" font-size=\"11\" fill=\"#5a5a5a\">time (UTC)</text><text x=\"8\" y=\"48\" font-size=\"11\" fill=\"#5a5a5a\">step</text><line x1=\"{a}\" y1=\"{AXIS_H}\" x2=\"{b}\" y2=\"{AXIS_H}\" stroke=\"#1b1b1b\"/>",
        a = fx(PLOT_X0),
        b = fx(PLOT_X1)
    );
    let multi_day = t.steps.first().map(|s| s.at.date_naive()) != Some(t.end.date_naive());
    let mut last_label = f64::MIN;
    let mut last_time = None;
    let mut times: Vec<(f64, DateTime<Utc>, Option<usize>)> = t
        .steps
        .iter()
        .map(|s| (axis.step(s.number), s.at, Some(s.number)))
        .collect();
    times.push((axis.end(), t.end, None));
    for (x, at, _) in &times {
        if last_time != Some(*at) && *x - last_label >= 70.0 {
            let _ = write!(
                out,
                "<text x=\"{}\" y=\"16\" font-size=\"11\" text-anchor=\"middle\">{}</text><line x1=\"{a}\" y1=\"20\" x2=\"{a}\" y2=\"{b}\" stroke=\"#e3e3e3\"/>",
                fx(*x),
                esc(&short(at, multi_day)),
                a = fx(*x),
                b = fx(height)
            );
            last_label = *x;
        }
        last_time = Some(*at);
    }
    let mut last_num = f64::MIN;
    for (x, _, n) in &times {
        let text = n.map_or_else(|| "end".to_owned(), |n| n.to_string());
        if *x - last_num >= 16.0 || n.is_none() {
            let _ = write!(
                out,
                "<a href=\"{}\"><text x=\"{}\" y=\"48\" font-size=\"10\" text-anchor=\"middle\" fill=\"#5a5a5a\">{}</text></a>",
                n.map_or_else(|| format!("#{id}-result"), |n| step_link(id, n)),
                fx(*x),
                text
            );
            last_num = *x;
        }
    }
    for m in &t.markers {
        let x = axis.step(m.step);
        let next = axis.step(m.step + 1).max(x);
        let (shape, title, line_x) = match m.kind {
            MarkerKind::Policy => (
                format!(
                    "<path d=\"M{x} 24 l6 6 l-6 6 l-6 -6 z\" fill=\"#8a5a00\"/>",
                    x = fx(x)
                ),
                format!("Step {}: the policy changed", m.step),
                x,
            ),
            kind => {
                let mid = (x + next) / 2.0;
                let (word, glyph) = if kind == MarkerKind::ClockBack {
                    (
                        format!(
                            "Step {}: the clock is set back, from {} to {}",
                            m.step,
                            format_datetime(&m.from),
                            format_datetime(&m.to)
                        ),
                        format!(
                            "<path d=\"M{a} 24 l-6 6 l6 6 M{b} 24 l-6 6 l6 6\" stroke=\"#1b1b1b\" stroke-width=\"2\" fill=\"none\"/>",
                            a = fx(mid),
                            b = fx(mid + 6.0)
                        ),
                    )
                } else {
                    (
                        format!(
                            "Step {}: the clock moves {} forward, to {}",
                            m.step,
                            human_duration(m.from, m.to),
                            format_datetime(&m.to)
                        ),
                        format!(
                            "<path d=\"M{a} 24 l6 6 l-6 6 M{b} 24 l6 6 l-6 6\" stroke=\"#1b1b1b\" stroke-width=\"2\" fill=\"none\"/><text x=\"{c}\" y=\"33\" font-size=\"10\">{d}</text>",
                            a = fx(mid - 6.0),
                            b = fx(mid),
                            c = fx(mid + 9.0),
                            d = esc(&format!("+{}", human_duration(m.from, m.to)))
                        ),
                    )
                };
                (glyph, word, mid)
            }
        };
        let _ = write!(
            out,
            "<a href=\"{}\" aria-label=\"{}\"><g class=\"marker\"><title>{}</title>{shape}<line x1=\"{l}\" y1=\"{AXIS_H}\" x2=\"{l}\" y2=\"{b}\" stroke=\"#8a5a00\" stroke-dasharray=\"4 4\"/></g></a>",
            step_link(id, m.step),
            esc(&title),
            esc(&title),
            l = fx(line_x),
            b = fx(height)
        );
    }
    out.push_str(&lane_svg);
    out.push_str("</svg>");
}

const LEGEND: &str = r##"<ul class="legend" aria-label="Legend">
<li><svg width="34" height="14" aria-hidden="true"><rect x="1" y="1" width="32" height="12" fill="#dce8fb" stroke="#1f5fbf" stroke-width="1.5"/></svg>multi-use pass, while valid</li>
<li><svg width="34" height="14" aria-hidden="true"><rect x="1" y="1" width="32" height="12" fill="url(#HATCH)" stroke="#1f5fbf" stroke-width="1.5"/></svg>one-time pass (dashed once spent)</li>
<li><svg width="20" height="14" aria-hidden="true"><path d="M6 1 l8 12 M6 13 l8 -12" stroke="#1b1b1b" stroke-width="2"/></svg>pass deleted</li>
<li><svg width="20" height="14" aria-hidden="true"><path d="M8 0 v14 M11 0 v14" stroke="#1b1b1b" stroke-width="2"/></svg>pass replaced</li>
<li><svg width="34" height="14" aria-hidden="true"><rect x="1" y="2" rx="5" width="32" height="10" fill="#e6dcf3" stroke="#6b3fa0" stroke-width="1.5"/></svg>session with MFA</li>
<li><svg width="34" height="14" aria-hidden="true"><rect x="1" y="2" rx="5" width="32" height="10" fill="#fff" stroke="#6b3fa0" stroke-width="1.5" stroke-dasharray="5 3"/></svg>single-factor session</li>
<li><svg width="14" height="14" aria-hidden="true"><circle cx="7" cy="7" r="6" fill="#1a7f37"/></svg>sign-in allowed</li>
<li><svg width="14" height="14" aria-hidden="true"><rect x="1" y="1" width="12" height="12" fill="#b3261e"/><path d="M4 4 l6 6 M4 10 l6 -6" stroke="#fff" stroke-width="1.8"/></svg>sign-in denied</li>
<li><svg width="14" height="14" aria-hidden="true"><path d="M7 1 l6 6 l-6 6 l-6 -6 z" fill="#8a5a00"/></svg>policy changed</li>
<li><svg width="20" height="14" aria-hidden="true"><path d="M3 1 l6 6 l-6 6 M9 1 l6 6 l-6 6" stroke="#1b1b1b" stroke-width="2" fill="none"/></svg>clock moved</li>
<li><svg width="14" height="14" aria-hidden="true"><path d="M2 1 l9 6 l-9 6 z" fill="#1f5fbf"/></svg>goes on past the end</li>
</ul>"##;

fn outcome_html(step: &StepReport) -> String {
    match &step.outcome {
        Outcome::Ok => "<span class=\"allowed\">✓ ok</span>".to_owned(),
        Outcome::Error {
            code,
            status,
            message,
        } => format!(
            "<span class=\"error\">✗ error {} ({status})</span>: {}",
            esc(&code.to_string()),
            esc(message)
        ),
        Outcome::Allowed { mfa, .. } => format!(
            "<span class=\"allowed\">✓ allowed</span>, {}",
            if *mfa { "multifactor" } else { "single factor" }
        ),
        Outcome::Denied { reason, message } => format!(
            "<span class=\"denied\">✗ denied</span>, {}: {}",
            esc(super::decode::denial_name(*reason)),
            esc(message)
        ),
        Outcome::NotRun { why } => {
            format!("<span class=\"notrun\">✗ not run</span>: {}", esc(why))
        }
    }
}

fn step_html(out: &mut String, id: &str, step: &StepReport) {
    let _ = write!(
        out,
        "<li class=\"step{}\" id=\"{id}-step-{n}\"><div class=\"step-head\"><span class=\"num\">{n}</span> <time datetime=\"{iso}\">{when}</time> {desc}",
        if step.passed() { "" } else { " failed" },
        n = step.number,
        iso = esc(&format_datetime(&step.at)),
        when = esc(&step.at.format("%Y-%m-%d %H:%M:%S").to_string()),
        desc = esc(&step.description),
    );
    if !step.rules.is_empty() {
        let _ = write!(
            out,
            " <span class=\"rules\">[{}]</span>",
            esc(&step.rules.join(", "))
        );
    }
    if !step.passed() {
        let where_ = step
            .location
            .map(|l| format!(" (line {})", l.line))
            .unwrap_or_default();
        let _ = write!(
            out,
            " <span class=\"notheld\">✗ did not go as expected{}</span>",
            esc(&where_)
        );
    }
    out.push_str("</div>");
    if let Some(say) = &step.say {
        let _ = write!(out, "<p class=\"say\">{}</p>", esc(say.trim_end()));
    }
    let _ = write!(out, "<p class=\"outcome\">→ {}</p>", outcome_html(step));
    if !step.details.is_empty() {
        out.push_str("<ul class=\"details\">");
        for d in &step.details {
            let _ = write!(out, "<li>{}</li>", esc(d));
        }
        out.push_str("</ul>");
    }
    if !step.trace.is_empty() {
        let failing: Vec<&str> = step
            .trace
            .iter()
            .filter(|c| !c.passed)
            .map(|c| c.name.as_ref())
            .collect();
        let summary = if failing.is_empty() {
            format!("Why: {} checks, all passed", step.trace.len())
        } else {
            format!(
                "Why: {} checks, failed: {}",
                step.trace.len(),
                failing.join(", ")
            )
        };
        let _ = write!(
            out,
            "<details><summary>{}</summary><ul class=\"trace\">",
            esc(&summary)
        );
        for c in &step.trace {
            let _ = write!(
                out,
                "<li class=\"{}\">{} {}: {}</li>",
                if c.passed { "held" } else { "notheld" },
                if c.passed { "✓" } else { "✗" },
                esc(&c.name),
                esc(&c.detail)
            );
        }
        out.push_str("</ul></details>");
    }
    let shown: Vec<_> = step
        .expectations
        .iter()
        .filter(|e| e.stated || !e.held)
        .collect();
    if !shown.is_empty() {
        out.push_str("<ul class=\"expect\">");
        for e in shown {
            if e.held {
                let _ = write!(
                    out,
                    "<li class=\"held\">✓ expected {}</li>",
                    esc(&e.expected)
                );
            } else {
                let _ = write!(
                    out,
                    "<li class=\"notheld\">✗ expected {}, but got {}</li>",
                    esc(&e.expected),
                    esc(&e.actual)
                );
            }
        }
        out.push_str("</ul>");
    }
    if let Some((log, n)) = step.printed_log {
        let _ = write!(
            out,
            "<p class=\"dim\">The {} log held {n} records here; it is shown in full below.</p>",
            match log {
                super::scenario::LogKind::SignIn => "sign-in",
                super::scenario::LogKind::Audit => "audit",
            }
        );
    }
    out.push_str("</li>");
}

fn table_html(out: &mut String, caption: &str, headers: &[&str], rows: &[Vec<String>]) {
    let _ = write!(
        out,
        "<table><caption class=\"dim\">{}</caption><colgroup><col class=\"n\"><col class=\"t\">",
        esc(caption)
    );
    for _ in 2..headers.len() {
        out.push_str("<col>");
    }
    out.push_str("</colgroup><thead><tr>");
    for h in headers {
        let _ = write!(out, "<th scope=\"col\">{}</th>", esc(h));
    }
    out.push_str("</tr></thead><tbody>");
    for row in rows {
        out.push_str("<tr>");
        for cell in row {
            let _ = write!(out, "<td>{}</td>", esc(cell));
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>");
}

fn article(out: &mut String, index: usize, report: &Report) {
    let id = format!("s{}", index + 1);
    let s = &report.settings;
    let _ = write!(
        out,
        "<article id=\"{id}\" aria-labelledby=\"{id}-title\"><h2 id=\"{id}-title\">{}</h2>",
        esc(&report.title)
    );
    let mut facts = Vec::new();
    if let Some(o) = &report.origin {
        facts.push(o.clone());
    }
    facts.push(report.seed_fact());
    facts.push(format!("profile {}", s.profile.name()));
    facts.push(format!(
        "hash cost {}",
        match s.hash_cost {
            tapsim::HashCost::Production => "production".to_owned(),
            tapsim::HashCost::Minimum => "minimum".to_owned(),
            c => format!("m={} t={} p={}", c.memory_kib(), c.iterations(), c.lanes()),
        }
    ));
    let _ = write!(
        out,
        "<p class=\"facts\">{}<br>switches: delete_before_create {}, create_for_out_of_scope_users {}, default maximum lifetime {} min</p>",
        esc(&facts.join(" · ")),
        on_off(s.switches.delete_before_create),
        on_off(s.switches.create_for_out_of_scope_users),
        s.switches.default_maximum_lifetime_in_minutes
    );
    if let Some(about) = &report.about {
        out.push_str("<div class=\"about\">");
        for para in about.trim().split("\n\n") {
            let _ = write!(out, "<p>{}</p>", esc(para.trim()));
        }
        out.push_str("</div>");
    }
    let _ = write!(out, "<h3>Setup</h3><ul class=\"setup\">");
    for line in &report.setup {
        let _ = write!(out, "<li>{}</li>", esc(line));
    }
    out.push_str("</ul><h3>Timeline</h3><figure>");
    timeline_svg(out, &id, report);
    let _ = write!(
        out,
        "<figcaption>A lane per user; a column per step (hover a mark for its trace, or follow it to the step). Time runs left to right; the space between steps grows with the time between them, and clock moves are marked.</figcaption>{}</figure>",
        // The legend's one-time swatch uses this scenario's hatch pattern.
        LEGEND.replace("#HATCH", &format!("#{id}-hatch"))
    );
    out.push_str("<h3>Steps</h3><ol class=\"steps\">");
    for step in &report.steps {
        step_html(out, &id, step);
    }
    out.push_str("</ol>");
    // Each tenant's logs (several tenants: "Sign-in log of X").
    for (name, tenant) in report.tenants() {
        let of = name.map(|n| format!(" of {}", esc(n))).unwrap_or_default();
        let signs = tenant.sign_in_log();
        let _ = write!(out, "<h3>Sign-in log{of} ({} records)</h3>", signs.len());
        table_html(
            out,
            "Sign-in log, oldest first",
            &SIGN_IN_HEADERS,
            &sign_in_rows(signs, Times::Full),
        );
        let audit = tenant.audit_log();
        let _ = write!(out, "<h3>Audit log{of} ({} records)</h3>", audit.len());
        table_html(
            out,
            "Audit log, oldest first",
            &AUDIT_HEADERS,
            &audit_rows(report, audit, Times::Full),
        );
    }
    let (all, failed) = report.expectation_counts();
    let result = if failed == 0 {
        format!(
            "Result: {} steps, {all} expectations checked, all hold",
            report.steps.len()
        )
    } else {
        let which: Vec<String> = report.failures().map(|s| s.number.to_string()).collect();
        format!(
            "Result: {failed} of {all} expectations failed, in step{} {}",
            if which.len() == 1 { "" } else { "s" },
            which.join(", ")
        )
    };
    let _ = write!(
        out,
        "<p class=\"result{}\" id=\"{id}-result\">{}</p></article>",
        if failed == 0 { "" } else { " failed" },
        esc(&result)
    );
}

/// Several runs as one self-contained HTML page (see [`Report::to_html`]): a section per
/// report, in order.
///
/// ```
/// use tapsim::HashCost;
/// use tapsim_lab::{builtin_lab, html_report, RunOptions, DEFAULT_LAB};
///
/// let lab = builtin_lab(DEFAULT_LAB).unwrap();
/// let reports = lab
///     .scenarios
///     .iter()
///     .map(|s| Ok(s.scenario()?.run(&RunOptions::new().hash_cost(HashCost::Minimum))?))
///     .collect::<Result<Vec<_>, Box<dyn std::error::Error>>>()?;
/// let page = html_report(&reports);
/// assert!(page.starts_with("<!DOCTYPE html>"));
/// assert_eq!(page.matches("<svg class=\"timeline\"").count(), reports.len());
/// assert!(!page.contains("<script"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn html_report(reports: &[Report]) -> String {
    let mut out = String::new();
    let title = match reports {
        [one] => one.title.clone(),
        _ => format!("{} scenarios", reports.len()),
    };
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><meta name=\"generator\" content=\"tapsim\"><title>{} · tapsim lab report</title><style>{STYLE}</style></head><body><main>",
        esc(&title)
    );
    let failed: Vec<&Report> = reports.iter().filter(|r| !r.passed()).collect();
    let _ = write!(
        out,
        "<header><h1>{}</h1><p class=\"facts\">tapsim lab report · {} · {}</p>",
        esc(&title),
        if reports.len() == 1 {
            "1 scenario".to_owned()
        } else {
            format!("{} scenarios", reports.len())
        },
        if failed.is_empty() {
            "every expectation holds".to_owned()
        } else {
            format!("{} with failed expectations", failed.len())
        }
    );
    if reports.len() > 1 {
        out.push_str("<nav aria-label=\"Scenarios\"><ol>");
        for (i, r) in reports.iter().enumerate() {
            let _ = write!(
                out,
                "<li><a href=\"#s{}\">{}</a>{}</li>",
                i + 1,
                esc(&r.title),
                if r.passed() { "" } else { " ✗ failed" }
            );
        }
        out.push_str("</ol></nav>");
    }
    out.push_str("</header>");
    for (i, r) in reports.iter().enumerate() {
        article(&mut out, i, r);
    }
    out.push_str("</main></body></html>\n");
    out
}

impl Report {
    /// The run as one self-contained HTML page: the settings and explanation, a
    /// timeline (inline SVG: a lane per user with passes, sessions and sign-in
    /// attempts; policy changes and clock moves on the axis), each step with its
    /// narration, outcome, trace and expectations, and the logs as tables.
    ///
    /// No script, nothing loaded from elsewhere, every scenario string escaped, no
    /// secret (pass values are shown only by the text transcript). Same run, same
    /// bytes.
    pub fn to_html(&self) -> String {
        html_report(std::slice::from_ref(self))
    }
}
