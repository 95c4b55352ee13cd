//! What a run looked like over time: each pass's validity window, each session, each
//! sign-in attempt, and the policy changes and clock jumps between them. The runner
//! records it step by step ([`Recorder`]) by looking at the tenant after each step, so
//! it shows what the rules did, not what the scenario expected; the HTML report draws
//! it.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::decode::denial_name;
use super::runner::Outcome;
use super::scenario::Action;
use tapsim::{PassId, SessionId, SessionStatus, Tenant, UserId};

/// A run's timeline: what the HTML report draws.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Timeline {
    /// The clock as the run started.
    #[serde(with = "tapsim::graph::datetime")]
    pub start: DateTime<Utc>,
    /// The clock after the last step.
    #[serde(with = "tapsim::graph::datetime")]
    pub end: DateTime<Utc>,
    /// The clock when each step ran, in step order (`steps[0]` is step 1).
    pub steps: Vec<StepTime>,
    /// Every pass created, in creation order.
    pub passes: Vec<PassWindow>,
    /// Every session opened, in order.
    pub sessions: Vec<SessionSpan>,
    /// Every sign-in attempt, in order.
    pub attempts: Vec<Attempt>,
    /// Policy changes and clock moves, in order.
    pub markers: Vec<Marker>,
}

/// When a step ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct StepTime {
    /// The step's number, from 1.
    pub number: usize,
    /// The clock when it ran.
    #[serde(with = "tapsim::graph::datetime")]
    pub at: DateTime<Utc>,
}

/// How a pass stopped existing before the end of the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum PassFate {
    /// An admin deleted it.
    Deleted,
    /// A newer pass for the same user replaced it (T5).
    Replaced,
}

/// One pass's validity window, and what became of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct PassWindow {
    /// The user's UPN.
    pub user: String,
    /// The name the scenario gave it, if any.
    pub name: Option<String>,
    /// The step that created it.
    pub created_step: usize,
    /// When it becomes usable.
    #[serde(with = "tapsim::graph::datetime")]
    pub start: DateTime<Utc>,
    /// When it stops being usable.
    #[serde(with = "tapsim::graph::datetime")]
    pub end: DateTime<Utc>,
    /// Whether it is a one-time pass.
    pub one_time: bool,
    /// The step in which a one-time pass was spent, if it was.
    pub consumed_step: Option<usize>,
    /// The step in which it was deleted or replaced, and which.
    pub gone: Option<(usize, PassFate)>,
}

/// One session, from sign-in to its end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct SessionSpan {
    /// The user's UPN.
    pub user: String,
    /// The name the scenario gave it, if any.
    pub name: Option<String>,
    /// The sign-in step that opened it.
    pub opened_step: usize,
    /// When it was opened.
    #[serde(with = "tapsim::graph::datetime")]
    pub start: DateTime<Utc>,
    /// Its hard end, for a pass session (S5).
    #[serde(serialize_with = "opt_datetime")]
    pub expires: Option<DateTime<Utc>>,
    /// Whether it satisfies MFA.
    pub mfa: bool,
    /// When and why it ended, as the tenant says, by the end of the run.
    pub ended: Option<SessionEnded>,
}

/// When and why a session ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct SessionEnded {
    /// The first step after which the tenant reported it ended.
    pub step: usize,
    /// When it ended.
    #[serde(with = "tapsim::graph::datetime")]
    pub at: DateTime<Utc>,
    /// Why: `passExpired`, `passDeleted`, `signedOut` or `revoked`.
    pub reason: String,
}

/// One sign-in attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Attempt {
    /// The step.
    pub step: usize,
    /// When.
    #[serde(with = "tapsim::graph::datetime")]
    pub at: DateTime<Utc>,
    /// The UPN typed.
    pub user: String,
    /// Whether it was allowed.
    pub allowed: bool,
    /// The denial reason's name, such as `passExpired`, when denied.
    pub reason: Option<String>,
}

/// What a marker on the time axis shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum MarkerKind {
    /// The policy changed (an update or a reset that succeeded).
    Policy,
    /// The clock moved forward.
    ClockForward,
    /// The clock was set back.
    ClockBack,
}

/// A policy change or a clock move.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Marker {
    /// The step.
    pub step: usize,
    /// Which kind.
    pub kind: MarkerKind,
    /// The clock before the step.
    #[serde(with = "tapsim::graph::datetime")]
    pub from: DateTime<Utc>,
    /// The clock after it.
    #[serde(with = "tapsim::graph::datetime")]
    pub to: DateTime<Utc>,
}

fn opt_datetime<S: serde::Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_str(&tapsim::graph::format_datetime(t)),
        None => s.serialize_none(),
    }
}

/// Builds a [`Timeline`] while the runner runs, one step at a time.
#[derive(Debug)]
pub(crate) struct Recorder {
    timeline: Timeline,
    /// Passes still in the tenant: their index in `passes`, user and id.
    live_passes: Vec<(usize, UserId, PassId)>,
    /// Sessions not yet ended: their index in `sessions`, and id.
    live_sessions: Vec<(usize, SessionId)>,
}

impl Recorder {
    pub(crate) fn new(start: DateTime<Utc>) -> Recorder {
        Recorder {
            timeline: Timeline {
                start,
                end: start,
                steps: Vec::new(),
                passes: Vec::new(),
                sessions: Vec::new(),
                attempts: Vec::new(),
                markers: Vec::new(),
            },
            live_passes: Vec::new(),
            live_sessions: Vec::new(),
        }
    }

    /// Looks at the tenant after step `number` ran from `before` (the clock then) and
    /// records what changed: `sign_ins_before` is the sign-in log's length before the
    /// step, `opened` the session a sign-in opened and `pass_name` the name a created
    /// pass was given.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn after_step(
        &mut self,
        tenant: &Tenant,
        status: &dyn Fn(SessionId) -> tapsim::Result<SessionStatus>,
        label: Option<&str>,
        number: usize,
        action: &Action,
        outcome: &Outcome,
        before: DateTime<Utc>,
        sign_ins_before: usize,
        opened: Option<(SessionId, Option<String>)>,
    ) {
        let now = tenant.now();
        let t = &mut self.timeline;
        t.steps.push(StepTime { number, at: before });
        t.end = now;
        // With several tenants, a lane per user and tenant, the tenant first (a long
        // lane label is cut at its end): `fabrikam: bob@fabrikam.com`.
        let lane = |upn: String| match label {
            Some(l) => format!("{l}: {upn}"),
            None => upn,
        };
        let upn = |id: UserId| {
            lane(
                tenant
                    .directory()
                    .user(id)
                    .map_or_else(|| id.to_string(), |u| u.user_principal_name().to_owned()),
            )
        };
        // Markers.
        let marker = match (action, outcome) {
            (Action::UpdatePolicy { .. } | Action::ResetPolicy { .. }, Outcome::Ok) => {
                Some(MarkerKind::Policy)
            }
            (Action::AdvanceClock { .. } | Action::SetClock { .. }, Outcome::Ok) => {
                if now < before {
                    Some(MarkerKind::ClockBack)
                } else {
                    Some(MarkerKind::ClockForward)
                }
            }
            _ => None,
        };
        if let Some(kind) = marker {
            t.markers.push(Marker {
                step: number,
                kind,
                from: before,
                to: now,
            });
        }
        // Attempts: the sign-in log records this step appended.
        for r in tenant
            .sign_in_log()
            .get(sign_ins_before..)
            .unwrap_or_default()
        {
            let reason = match outcome {
                Outcome::Denied { reason, .. } => Some(denial_name(*reason).to_owned()),
                _ => None,
            };
            t.attempts.push(Attempt {
                step: number,
                at: r.created_date_time,
                // Several tenants: the account the record is about (a guest's record in
                // a resource tenant shares the guest's lane with the guest's sessions).
                user: match label
                    .and(r.user_id.to_string().parse::<UserId>().ok())
                    .and_then(|id| tenant.directory().user(id))
                {
                    Some(u) => lane(u.user_principal_name().to_owned()),
                    None => lane(r.user_principal_name.clone()),
                },
                allowed: r.succeeded(),
                reason: if r.succeeded() { None } else { reason },
            });
        }
        // Sessions: the one opened, then the ends of those still live.
        if let Some((id, name)) = opened
            && let Some(s) = tenant.session(id)
        {
            t.sessions.push(SessionSpan {
                user: upn(s.user()),
                name,
                opened_step: number,
                start: s.signed_in(),
                expires: s.expires(),
                mfa: s.satisfies_mfa(),
                ended: None,
            });
            self.live_sessions.push((t.sessions.len() - 1, id));
        }
        self.live_sessions.retain(|(i, id)| {
            let Ok(SessionStatus::Ended { at, reason }) = status(*id) else {
                return true;
            };
            if let Some(span) = t.sessions.get_mut(*i) {
                span.ended = Some(SessionEnded {
                    step: number,
                    at,
                    reason: serde_json::to_value(reason)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default(),
                });
            }
            false
        });
        // Passes: new ones, spent ones, and those deleted or replaced.
        let mut current = BTreeSet::new();
        for u in tenant.directory().users() {
            if let Some(p) = tenant.pass_record(u.id()) {
                current.insert((u.id(), p.id()));
            }
        }
        self.live_passes.retain(|(i, user, id)| {
            let Some(w) = t.passes.get_mut(*i) else {
                return false;
            };
            match tenant.pass_record(*user) {
                Some(p) if p.id() == *id => {
                    if p.is_used() && w.consumed_step.is_none() {
                        w.consumed_step = Some(number);
                    }
                    true
                }
                Some(_) => {
                    w.gone = Some((number, PassFate::Replaced));
                    false
                }
                None => {
                    w.gone = Some((number, PassFate::Deleted));
                    false
                }
            }
        });
        for (user, id) in current {
            if self.live_passes.iter().any(|(_, _, p)| *p == id) {
                continue;
            }
            let Some(p) = tenant.pass_record(user) else {
                continue;
            };
            let name = match action {
                Action::CreatePass { name, .. } => name.clone(),
                _ => None,
            };
            t.passes.push(PassWindow {
                user: upn(user),
                name,
                created_step: number,
                start: p.start(),
                end: p.end(),
                one_time: p.is_usable_once(),
                consumed_step: p.is_used().then_some(number),
                gone: None,
            });
            self.live_passes.push((t.passes.len() - 1, user, id));
        }
    }

    /// The timeline recorded.
    pub(crate) fn finish(self) -> Timeline {
        self.timeline
    }
}

/// One timeline from the recorders of every tenant of a run: the first tenant's steps and
/// markers (clock moves and policy changes are seen by every recorder), everyone's passes,
/// sessions and attempts in step order.
pub(crate) fn merge(recorders: Vec<Recorder>) -> Timeline {
    let mut timelines = recorders.into_iter().map(Recorder::finish);
    let Some(mut first) = timelines.next() else {
        return Recorder::new(DateTime::<Utc>::MIN_UTC).finish();
    };
    let mut any = false;
    for t in timelines {
        any = true;
        first.passes.extend(t.passes);
        first.sessions.extend(t.sessions);
        first.attempts.extend(t.attempts);
    }
    if any {
        // Stable: within a step, the first tenant's entries stay first.
        first.passes.sort_by_key(|p| p.created_step);
        first.sessions.sort_by_key(|s| s.opened_step);
        first.attempts.sort_by_key(|a| a.step);
    }
    first
}
