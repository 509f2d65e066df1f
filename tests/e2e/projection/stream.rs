//! Random event streams with the edge cases of SPEC section 3: runs finished
//! before they started, missing starts, missing durations, runs started or
//! finished twice (other eventIds, the same instant now and then), handoffs
//! followed by work exactly at and just past 4 hours, sessions that cross
//! midnight in a non-UTC org (one with a half-hour offset).

use chrono::{DateTime, Duration, TimeZone, Utc};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde_json::{json, Map, Value};
use uuid::Uuid;

/// The orgs of a stream: slug and time zone.
pub const ORGS: [(&str, &str); 2] = [("p-utc", "UTC"), ("p-ind", "Asia/Kolkata")];

/// One event, as the test knows it (and as it sends it, via `json`).
#[derive(Debug, Clone)]
pub struct Ev {
    pub id: Uuid,
    pub org: &'static str,
    pub kind: &'static str,
    pub at: DateTime<Utc>,
    pub session: String,
    pub user: String,
    pub run: Option<String>,
    pub role: Option<&'static str>,
    pub status: Option<&'static str>,
    pub category: Option<&'static str>,
    pub model: Option<&'static str>,
    pub input: Option<i64>,
    pub output: Option<i64>,
    pub cost_nanos: Option<i64>,
    pub duration: Option<i64>,
    pub target: Option<&'static str>,
    pub attributes: Option<Map<String, Value>>,
}

impl Ev {
    fn new(
        org: &'static str,
        kind: &'static str,
        at: DateTime<Utc>,
        session: &str,
        user: &str,
    ) -> Ev {
        Ev {
            id: Uuid::new_v4(),
            org,
            kind,
            at,
            session: session.into(),
            user: user.into(),
            run: None,
            role: None,
            status: None,
            category: None,
            model: None,
            input: None,
            output: None,
            cost_nanos: None,
            duration: None,
            target: None,
            attributes: None,
        }
    }

    pub fn json(&self) -> Value {
        let mut e = json!({
            "eventId": self.id, "org": self.org, "type": self.kind,
            "occurredAt": self.at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "sessionId": self.session, "userId": self.user,
        });
        if let Some(run) = &self.run {
            e["runId"] = json!(run);
        }
        if let Some(role) = self.role {
            e["message"] = json!({ "role": role, "text": "hi" });
        }
        if self.kind == "RUN_STARTED" || self.kind == "RUN_FINISHED" {
            let mut run = json!({});
            if let Some(m) = self.model {
                run["model"] = json!(m)
            }
            if let Some(s) = self.status {
                run["status"] = json!(s)
            }
            if let Some(c) = self.category {
                run["errorCategory"] = json!(c)
            }
            if let Some(t) = self.input {
                run["inputTokens"] = json!(t)
            }
            if let Some(t) = self.output {
                run["outputTokens"] = json!(t)
            }
            if let Some(n) = self.cost_nanos {
                run["costUsd"] = json!(format!("{}.{:09}", n / 1_000_000_000, n % 1_000_000_000));
            }
            if let Some(d) = self.duration {
                run["durationMs"] = json!(d)
            }
            e["run"] = run;
        }
        if let Some(target) = self.target {
            e["handoff"] = json!({ "target": target });
        }
        if let Some(attrs) = &self.attributes {
            e["attributes"] = Value::Object(attrs.clone());
        }
        e
    }
}

/// A random stream for `seed`: every event once, in occurrence order.
pub fn stream(seed: u64) -> Vec<Ev> {
    let mut rng = StdRng::seed_from_u64(seed);
    let base = Utc
        .with_ymd_and_hms(2026, 11, 10, 0, 0, 0)
        .single()
        .unwrap_or_default();
    let mut events = Vec::new();
    for (org, _) in ORGS {
        for s in 0..rng.random_range(3..7) {
            let user = format!("u{}", rng.random_range(0..3));
            let session = format!("{org}-{seed}-s{s}");
            // Some sessions start half an hour before midnight, local or UTC.
            let start = if rng.random_bool(0.3) {
                base + Duration::days(rng.random_range(0..3))
                    + Duration::hours(18)
                    + Duration::minutes(rng.random_range(20..40))
            } else {
                base + Duration::minutes(rng.random_range(0..4 * 24 * 60))
            };
            events.extend(session_events(&mut rng, org, &session, &user, start));
        }
    }
    events
}

fn session_events(
    rng: &mut StdRng,
    org: &'static str,
    session: &str,
    user: &str,
    start: DateTime<Utc>,
) -> Vec<Ev> {
    let mut out = vec![];
    let mut first = Ev::new(org, "SESSION_STARTED", start, session, user);
    first.attributes = Some(attrs(rng));
    out.push(first);
    let mut t = start;
    for r in 0..rng.random_range(0..4) {
        t += Duration::seconds(rng.random_range(1..3_600));
        let mut msg = Ev::new(org, "MESSAGE_SENT", t, session, user);
        msg.role = Some(if rng.random_bool(0.5) {
            "USER"
        } else {
            "AGENT"
        });
        if rng.random_bool(0.3) {
            msg.attributes = Some(attrs(rng));
        }
        out.push(msg);
        let run_id = format!("{session}-r{r}");
        let started_at = t + Duration::milliseconds(rng.random_range(1..5_000));
        let has_start = rng.random_bool(0.8);
        if has_start {
            out.push(run_started(rng, org, session, user, &run_id, started_at));
            // Now and then a second start (another eventId), before or
            // after the first: the earliest counts.
            if rng.random_bool(0.15) {
                let ms = rng.random_range(1..90_000);
                let at = if rng.random_bool(0.5) {
                    started_at - Duration::milliseconds(ms)
                } else {
                    started_at + Duration::milliseconds(ms)
                };
                out.push(run_started(rng, org, session, user, &run_id, at));
                t = t.max(at);
            }
        }
        if rng.random_bool(0.85) {
            let finished_at = if rng.random_bool(0.1) {
                started_at - Duration::milliseconds(rng.random_range(1..60_000))
            // before its start
            } else {
                started_at + Duration::milliseconds(rng.random_range(1..3_000_000))
            };
            out.push(run_finished(rng, org, session, user, &run_id, finished_at));
            t = t.max(finished_at);
            // Now and then a second finish (another eventId, other
            // figures), at the same instant (the eventId decides), before
            // or after: the latest counts, and finishes are never added.
            if rng.random_bool(0.15) {
                let at = match rng.random_range(0..3) {
                    0 => finished_at,
                    1 => finished_at + Duration::milliseconds(rng.random_range(1..600_000)),
                    _ => finished_at - Duration::milliseconds(rng.random_range(1..600_000)),
                };
                out.push(run_finished(rng, org, session, user, &run_id, at));
                t = t.max(at);
            }
        }
    }
    if rng.random_bool(0.6) {
        t += Duration::seconds(rng.random_range(1..600));
        let mut h = Ev::new(org, "SESSION_HANDOFF", t, session, user);
        h.target = Some(if rng.random_bool(0.8) {
            "LOCAL"
        } else {
            "OTHER"
        });
        out.push(h);
        // Work after the handoff: at exactly 4 h (counts), 1 ms past (does
        // not), within the window, or by the agent only (does not).
        let after = match rng.random_range(0..5) {
            0 => Some((Duration::hours(4), "USER")),
            1 => Some((Duration::hours(4) + Duration::milliseconds(1), "USER")),
            2 => Some((Duration::minutes(rng.random_range(1..200)), "USER")),
            3 => Some((Duration::minutes(30), "AGENT")),
            _ => None,
        };
        if let Some((delay, role)) = after {
            let mut m = Ev::new(org, "MESSAGE_SENT", t + delay, session, user);
            m.role = Some(role);
            out.push(m);
        }
    }
    if rng.random_bool(0.7) {
        out.push(Ev::new(
            org,
            "SESSION_ENDED",
            t + Duration::seconds(rng.random_range(1..120)),
            session,
            user,
        ));
    }
    out
}

fn run_started(
    rng: &mut StdRng,
    org: &'static str,
    session: &str,
    user: &str,
    run_id: &str,
    at: DateTime<Utc>,
) -> Ev {
    let mut s = Ev::new(org, "RUN_STARTED", at, session, user);
    s.run = Some(run_id.into());
    s.model = Some(["m-a", "m-b"][rng.random_range(0..2)]);
    s
}

fn run_finished(
    rng: &mut StdRng,
    org: &'static str,
    session: &str,
    user: &str,
    run_id: &str,
    at: DateTime<Utc>,
) -> Ev {
    let mut f = Ev::new(org, "RUN_FINISHED", at, session, user);
    f.run = Some(run_id.into());
    let status = ["SUCCEEDED", "FAILED", "CANCELLED"][rng.random_range(0..3)];
    f.status = Some(status);
    if status == "FAILED" && rng.random_bool(0.7) {
        f.category = Some(["TOOL", "MODEL", "TIMEOUT", "OTHER"][rng.random_range(0..4)]);
    }
    f.input = rng.random_bool(0.9).then(|| rng.random_range(0..100_000));
    f.output = rng.random_bool(0.9).then(|| rng.random_range(0..20_000));
    f.cost_nanos = rng
        .random_bool(0.9)
        .then(|| rng.random_range(0..5_000_000_000));
    f.duration = rng.random_bool(0.6).then(|| rng.random_range(0..2_000_000));
    // Now and then the finish names a model: it wins over the start's.
    if rng.random_bool(0.2) {
        f.model = Some(["m-a", "m-b", "m-c"][rng.random_range(0..3)]);
    }
    f
}

fn attrs(rng: &mut StdRng) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert(
        "repo".into(),
        json!(["web", "api", "cli"][rng.random_range(0..3)]),
    );
    if rng.random_bool(0.5) {
        m.insert("pr".into(), json!(rng.random_range(1..100)));
    }
    if rng.random_bool(0.3) {
        m.insert("draft".into(), json!(rng.random_bool(0.5)));
    }
    m
}

/// The events as a producer delivers them: some twice, shuffled, in
/// batches of random sizes.
pub fn deliveries(seed: u64, events: &[Ev]) -> Vec<Vec<Value>> {
    let mut rng = StdRng::seed_from_u64(seed ^ 0x5eed);
    let mut sent: Vec<Value> = events.iter().map(Ev::json).collect();
    let repeats: Vec<Value> = sent
        .iter()
        .filter(|_| rng.random_bool(0.25))
        .cloned()
        .collect();
    sent.extend(repeats);
    sent.shuffle(&mut rng);
    let mut batches = vec![];
    while !sent.is_empty() {
        let n = rng.random_range(1..=40).min(sent.len());
        batches.push(sent.drain(..n).collect());
    }
    batches
}
