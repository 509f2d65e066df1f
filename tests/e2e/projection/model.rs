//! An independent in-memory fold of SPEC section 3, written from the spec
//! and not from the projectors: what the read models must hold.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use serde_json::{Map, Value};
use uuid::Uuid;

use super::stream::{Ev, ORGS};

/// The value of a run without a model, or a session without the attribute,
/// in the breakdowns.
pub const NONE: &str = "(none)";

#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub user: String,
    pub started_at: DateTime<Utc>,
    pub last_event_at: DateTime<Utc>,
    /// Of `started_at`, in the org's time zone.
    pub day: NaiveDate,
    pub event_count: i64,
    pub message_count: i64,
    pub run_count: i64,
    pub succeeded: i64,
    pub failed: i64,
    pub cancelled: i64,
    pub cost_nanos: i64,
    pub input: i64,
    pub output: i64,
    pub active_ms: i64,
    pub handed_off: bool,
    pub iterated: bool,
    pub attributes: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    pub user: String,
    pub session: String,
    /// For a failed run: its category, OTHER when none was given.
    pub category: Option<String>,
    pub status: String,
    /// The latest finish's model, else the earliest start's.
    pub model: Option<String>,
    /// Of its earliest start and of its latest finish.
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub duration: Option<i64>,
    pub day: Option<NaiveDate>,
    pub cost_nanos: i64,
    pub input: i64,
    pub output: i64,
}

/// One handoff event.
#[derive(Debug, Clone, PartialEq)]
pub struct Handoff {
    pub session: String,
    pub user: String,
    pub at: DateTime<Utc>,
    pub target: String,
    /// A USER message or a RUN_STARTED of its session within (at, at + 4 h].
    pub iterated: bool,
}

/// Figures of one (dimension, day, value) of the breakdowns: sessions on
/// their start day, finished runs on their finish day.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Breakdown {
    pub sessions: i64,
    pub runs: i64,
    pub succeeded: i64,
    pub failed: i64,
    pub cancelled: i64,
    pub cost_nanos: i64,
    pub input: i64,
    pub output: i64,
}

/// Figures of one day (org or user).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Day {
    pub active_users: i64,
    pub event_count: i64,
    pub sessions: i64,
    pub session_runs: i64,
    pub session_active_ms: i64,
    pub handed_off: i64,
    pub iterated: i64,
    pub runs: i64,
    pub succeeded: i64,
    pub failed: i64,
    pub cancelled: i64,
    pub cost_nanos: i64,
    pub input: i64,
    pub output: i64,
    pub failed_by_category: [i64; 4],
}

#[derive(Debug, Default)]
pub struct Expected {
    pub sessions: BTreeMap<(String, String), Session>,
    pub runs: BTreeMap<(String, String), Run>,
    pub org_days: BTreeMap<(String, NaiveDate), Day>,
    pub user_days: BTreeMap<(String, String, NaiveDate), Day>,
    /// Durations of finished runs, per org.
    pub durations: BTreeMap<String, Vec<i64>>,
    /// Durations of finished runs, per (org, user).
    pub user_durations: BTreeMap<(String, String), Vec<i64>>,
    /// Per (org, handoff event id).
    pub handoffs: BTreeMap<(String, Uuid), Handoff>,
    /// Per (org, user): the first and the last `occurredAt` of their events.
    pub users: BTreeMap<(String, String), (DateTime<Utc>, DateTime<Utc>)>,
    /// Per (org, dimension, day, value), for the dimensions every org has:
    /// `model` (a session counts under each model of its runs, finished or
    /// not) and `agent` (the session's attribute `agent`).
    pub breakdowns: BTreeMap<(String, String, NaiveDate, String), Breakdown>,
}

impl Expected {
    /// What retention leaves of the figures (SPEC section 9): the days
    /// before each org's first kept day hold nothing, durations included.
    /// Sessions and runs are those of the events given to [`expected`].
    pub fn without_days_before(mut self, first_kept: &BTreeMap<String, NaiveDate>) -> Expected {
        let kept = |org: &String, day: &NaiveDate| first_kept.get(org).is_none_or(|k| day >= k);
        self.org_days.retain(|(org, day), _| kept(org, day));
        self.user_days.retain(|(org, _, day), _| kept(org, day));
        self.breakdowns.retain(|(org, _, day, _), _| kept(org, day));
        self.durations.clear();
        self.user_durations.clear();
        for ((org, _), run) in &self.runs {
            if let (Some(day), Some(ms)) = (run.day, run.duration) {
                if kept(org, &day) {
                    self.durations.entry(org.clone()).or_default().push(ms);
                    self.user_durations
                        .entry((org.clone(), run.user.clone()))
                        .or_default()
                        .push(ms);
                }
            }
        }
        self
    }
}

fn tz_of(org: &str) -> Tz {
    let name = ORGS
        .iter()
        .find(|(slug, _)| *slug == org)
        .map_or("UTC", |(_, tz)| *tz);
    name.parse().unwrap_or(Tz::UTC)
}

fn day(at: DateTime<Utc>, org: &str) -> NaiveDate {
    at.with_timezone(&tz_of(org)).date_naive()
}

pub fn expected(events: &[Ev]) -> Expected {
    let mut by_session: BTreeMap<(String, String), Vec<&Ev>> = BTreeMap::new();
    for e in events {
        by_session
            .entry((e.org.to_string(), e.session.clone()))
            .or_default()
            .push(e);
    }
    let mut out = Expected::default();
    let mut active: BTreeMap<(String, NaiveDate), BTreeSet<String>> = BTreeMap::new();
    for ((org, session_id), mut evs) in by_session {
        evs.sort_by_key(|e| (e.at, e.id));
        let user = evs[0].user.clone();
        // Per run, its earliest start and its latest finish by
        // (occurredAt, eventId): `evs` is in that order.
        let mut runs: BTreeMap<String, (Option<&Ev>, Option<&Ev>)> = BTreeMap::new();
        for e in &evs {
            if let Some(run) = &e.run {
                let entry = runs.entry(run.clone()).or_default();
                if e.kind == "RUN_STARTED" {
                    entry.0 = entry.0.or(Some(*e));
                } else if e.kind == "RUN_FINISHED" {
                    entry.1 = Some(e);
                }
            }
        }
        let mut s = Session {
            user: user.clone(),
            started_at: evs[0].at,
            last_event_at: evs[evs.len() - 1].at,
            day: day(evs[0].at, &org),
            event_count: evs.len() as i64,
            message_count: evs.iter().filter(|e| e.kind == "MESSAGE_SENT").count() as i64,
            run_count: runs.len() as i64,
            succeeded: 0,
            failed: 0,
            cancelled: 0,
            cost_nanos: 0,
            input: 0,
            output: 0,
            active_ms: 0,
            handed_off: false,
            iterated: false,
            attributes: Map::new(),
        };
        let session_day = s.day;
        let mut session_runs: Vec<Run> = Vec::new();
        for (run_id, (start, finish)) in &runs {
            let start_model = start.and_then(|st| st.model);
            let Some(f) = finish else {
                let run = Run {
                    user: user.clone(),
                    session: session_id.clone(),
                    category: None,
                    status: "RUNNING".into(),
                    model: start_model.map(String::from),
                    started_at: start.map(|st| st.at),
                    finished_at: None,
                    duration: None,
                    day: None,
                    cost_nanos: 0,
                    input: 0,
                    output: 0,
                };
                session_runs.push(run.clone());
                out.runs.insert((org.clone(), run_id.clone()), run);
                continue;
            };
            let duration = f
                .duration
                .or_else(|| start.map(|st| (f.at - st.at).num_milliseconds().max(0)));
            let status = f.status.unwrap_or("SUCCEEDED");
            let run = Run {
                user: user.clone(),
                session: session_id.clone(),
                category: (status == "FAILED").then(|| f.category.unwrap_or("OTHER").to_string()),
                status: status.into(),
                model: f.model.or(start_model).map(String::from),
                started_at: start.map(|st| st.at),
                finished_at: Some(f.at),
                duration,
                day: Some(day(f.at, &org)),
                cost_nanos: f.cost_nanos.unwrap_or(0),
                input: f.input.unwrap_or(0),
                output: f.output.unwrap_or(0),
            };
            s.succeeded += i64::from(status == "SUCCEEDED");
            s.failed += i64::from(status == "FAILED");
            s.cancelled += i64::from(status == "CANCELLED");
            s.cost_nanos += run.cost_nanos;
            s.input += run.input;
            s.output += run.output;
            s.active_ms += duration.unwrap_or(0);
            for d in [
                out.org_days
                    .entry((org.clone(), day(f.at, &org)))
                    .or_default(),
                out.user_days
                    .entry((org.clone(), user.clone(), day(f.at, &org)))
                    .or_default(),
            ] {
                d.runs += 1;
                d.succeeded += i64::from(status == "SUCCEEDED");
                d.failed += i64::from(status == "FAILED");
                d.cancelled += i64::from(status == "CANCELLED");
                d.cost_nanos += run.cost_nanos;
                d.input += run.input;
                d.output += run.output;
                if status == "FAILED" {
                    let i = ["TOOL", "MODEL", "TIMEOUT", "OTHER"]
                        .iter()
                        .position(|c| Some(*c) == f.category)
                        .unwrap_or(3);
                    d.failed_by_category[i] += 1;
                }
            }
            if let Some(ms) = duration {
                out.durations.entry(org.clone()).or_default().push(ms);
                out.user_durations
                    .entry((org.clone(), user.clone()))
                    .or_default()
                    .push(ms);
            }
            session_runs.push(run.clone());
            out.runs.insert((org.clone(), run_id.clone()), run);
        }
        let local: Vec<&&Ev> = evs
            .iter()
            .filter(|e| e.kind == "SESSION_HANDOFF" && e.target == Some("LOCAL"))
            .collect();
        s.handed_off = !local.is_empty();
        s.iterated = local.iter().any(|h| {
            evs.iter().any(|e| {
                let works =
                    e.kind == "RUN_STARTED" || (e.kind == "MESSAGE_SENT" && e.role == Some("USER"));
                works && e.at > h.at && e.at <= h.at + Duration::hours(4)
            })
        });
        for h in evs.iter().filter(|e| e.kind == "SESSION_HANDOFF") {
            let iterated = evs.iter().any(|e| {
                let works =
                    e.kind == "RUN_STARTED" || (e.kind == "MESSAGE_SENT" && e.role == Some("USER"));
                works && e.at > h.at && e.at <= h.at + Duration::hours(4)
            });
            out.handoffs.insert(
                (org.clone(), h.id),
                Handoff {
                    session: session_id.clone(),
                    user: user.clone(),
                    at: h.at,
                    target: h.target.unwrap_or_default().to_string(),
                    iterated,
                },
            );
        }
        for e in &evs {
            if let Some(attrs) = &e.attributes {
                for (k, v) in attrs {
                    s.attributes.insert(k.clone(), v.clone());
                }
            }
            let d = day(e.at, &org);
            out.user_days
                .entry((org.clone(), user.clone(), d))
                .or_default()
                .event_count += 1;
            out.org_days
                .entry((org.clone(), d))
                .or_default()
                .event_count += 1;
            active
                .entry((org.clone(), d))
                .or_default()
                .insert(user.clone());
        }
        for d in [
            out.org_days.entry((org.clone(), session_day)).or_default(),
            out.user_days
                .entry((org.clone(), user.clone(), session_day))
                .or_default(),
        ] {
            d.sessions += 1;
            d.session_runs += s.run_count;
            d.session_active_ms += s.active_ms;
            d.handed_off += i64::from(s.handed_off);
            d.iterated += i64::from(s.iterated);
        }
        let agent = match s.attributes.get("agent") {
            None | Some(Value::Null) => NONE.to_string(),
            Some(Value::String(v)) => v.clone(),
            Some(other) => other.to_string(),
        };
        let models: BTreeSet<String> = session_runs
            .iter()
            .map(|r| r.model.clone().unwrap_or_else(|| NONE.to_string()))
            .collect();
        for (dimension, value) in models
            .into_iter()
            .map(|m| ("model", m))
            .chain([("agent", agent.clone())])
        {
            out.breakdowns
                .entry((org.clone(), dimension.to_string(), session_day, value))
                .or_default()
                .sessions += 1;
        }
        for r in &session_runs {
            let Some(run_day) = r.day else { continue };
            let model = r.model.clone().unwrap_or_else(|| NONE.to_string());
            for (dimension, value) in [("model", model), ("agent", agent.clone())] {
                let b = out
                    .breakdowns
                    .entry((org.clone(), dimension.to_string(), run_day, value))
                    .or_default();
                b.runs += 1;
                b.succeeded += i64::from(r.status == "SUCCEEDED");
                b.failed += i64::from(r.status == "FAILED");
                b.cancelled += i64::from(r.status == "CANCELLED");
                b.cost_nanos += r.cost_nanos;
                b.input += r.input;
                b.output += r.output;
            }
        }
        let seen = out
            .users
            .entry((org.clone(), user.clone()))
            .or_insert((s.started_at, s.last_event_at));
        seen.0 = seen.0.min(s.started_at);
        seen.1 = seen.1.max(s.last_event_at);
        out.sessions.insert((org, session_id), s);
    }
    for ((org, d), users) in active {
        out.org_days.entry((org, d)).or_default().active_users = users.len() as i64;
    }
    out
}

/// The nearest-rank percentile: the ⌈p·n⌉-th smallest value.
pub fn nearest_rank(values: &[i64], p: f64) -> Option<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    Some(sorted[rank - 1] as f64)
}
