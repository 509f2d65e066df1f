//! Evaluating an org's rules now: each enabled rule's value in its current
//! window, its state, and the changes to notify. A change is stored once
//! per (rule, window, state) — `ON CONFLICT DO NOTHING` — with a PENDING
//! delivery to each of the rule's channels in the same transaction, so two
//! workers evaluating together send one notification, and a worker killed
//! after the commit leaves deliveries another sends. Run in a transaction
//! bound to the org, on the worker's login.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use diesel::sql_types::{Double, Integer, Jsonb, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::rules::{changes, state_of, Change, Comparison, State};
use super::values::{window_of, Reads, Watched};
use crate::storage::models::alert_channel;
use crate::storage::models::alert_rule::{self, Rule, RuleState};
use crate::storage::models::org::Org;
use crate::Result;

/// A notification stored by this evaluation.
#[derive(Debug, Clone, PartialEq)]
pub struct Notified {
    pub id: Uuid,
    pub org_id: Uuid,
    pub rule_id: Uuid,
    pub window_start: DateTime<Utc>,
    pub state: State,
    pub value: f64,
}

fn parse_state(text: &str) -> State {
    match text {
        "WARNING" => State::Warning,
        "FIRING" => State::Firing,
        _ => State::Ok,
    }
}

#[derive(diesel::QueryableByName)]
struct Inserted {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
}

/// What a channel receives for `change` of `rule`: a webhook's JSON, or
/// Slack's message.
pub fn body(
    org: &Org,
    rule: &Rule,
    change: &Change,
    (value, threshold): (f64, f64),
    kind: &str,
    at: DateTime<Utc>,
) -> serde_json::Value {
    let verb = match change.state {
        State::Firing => "is FIRING",
        State::Warning => "is at WARNING",
        State::Ok => "resolved",
    };
    let scope = match (&rule.team_id, &rule.user_id) {
        (Some(team), _) => serde_json::json!({ "team": team }),
        (None, Some(user)) => serde_json::json!({ "user": user }),
        (None, None) => serde_json::json!({ "org": org.slug }),
    };
    let link = format!("#/org/{}/alerts", org.slug);
    let text = format!(
        "agentmon: {} {verb} in {} — {} {} over the {} (threshold {}).",
        rule.name,
        org.name,
        rule.metric,
        value,
        rule.window.to_lowercase(),
        threshold
    );
    if kind == "SLACK" {
        return serde_json::json!({ "text": text });
    }
    serde_json::json!({
        "type": "ALERT",
        "org": org.slug,
        "rule": { "id": rule.id, "name": rule.name, "metric": rule.metric, "window": rule.window, "comparison": rule.comparison },
        "scope": scope,
        "windowStart": change.window_start,
        "state": change.state.as_str(),
        "value": value,
        "threshold": threshold,
        "at": at,
        "link": link,
        "text": text,
    })
}

/// Evaluates the enabled rules of `org` at `now`: all of them, or after a
/// batch (`touched`: the users of its events) those on the org, its teams
/// and the touched users — another user's figures did not change.
pub async fn evaluate(
    conn: &mut AsyncPgConnection,
    org: &Org,
    now: DateTime<Utc>,
    touched: Option<&BTreeSet<&str>>,
) -> Result<Vec<Notified>> {
    let rules = alert_rule::of_org(conn, org.id).await?;
    let states = alert_rule::states(conn, org.id).await?;
    let channels = alert_channel::of_org(conn, org.id).await?;
    let mut notified = Vec::new();
    let mut reads = Reads::default();
    let mut evaluated = Evaluated::default();
    let due = |r: &&Rule| {
        r.enabled
            && r.user_id
                .as_deref()
                .is_none_or(|u| touched.is_none_or(|t| t.contains(u)))
    };
    // A rule disabled while FIRING is resolved once, as it fired (the
    // receiver's incident would stay open); a disabled rule keeps no state.
    for rule in rules.iter().filter(|r| !r.enabled) {
        if let Some(s) = states.iter().find(|s| s.rule_id == rule.id) {
            if parse_state(&s.state) == State::Firing {
                let pending = Pending::resolved(s, rule.threshold);
                notified.extend(notify(conn, org, rule, &channels, pending, now).await?);
            }
            alert_rule::forget_state(conn, rule.id).await?;
        }
    }
    for rule in rules.iter().filter(due) {
        let span = window_of(&rule.window).span(now, org.tz());
        let v = match Watched::of(rule) {
            Some(watched) => reads.value(conn, org, &watched, &span, now).await?,
            None => None,
        };
        let comparison = if rule.comparison == "BELOW" {
            Comparison::Below
        } else {
            Comparison::Above
        };
        let state = state_of(v, rule.threshold, rule.warn_at, comparison);
        let stored = states.iter().find(|s| s.rule_id == rule.id);
        if stored.is_some_and(|s| s.revision == rule.revision && s.window_start > span.start) {
            continue; // a later evaluation (another worker) got here first
        }
        let mut due: Vec<Pending> = Vec::new();
        let before = match stored {
            // The rule was changed: what its old revision had FIRING is
            // resolved, as it fired; the new one starts from OK.
            Some(s) if s.revision != rule.revision => {
                if parse_state(&s.state) == State::Firing {
                    due.push(Pending::resolved(s, rule.threshold));
                }
                None
            }
            Some(s) => Some((s.window_start, parse_state(&s.state))),
            None => None,
        };
        for change in changes(before, span.start, state) {
            due.push(match stored {
                // A window that ended resolves with what it ended on.
                Some(s) if change.window_start != span.start => {
                    Pending::resolved(s, rule.threshold)
                }
                _ => Pending {
                    revision: rule.revision,
                    change,
                    value: v.unwrap_or(0.0),
                    threshold: rule.threshold,
                },
            });
        }
        for pending in due {
            notified.extend(notify(conn, org, rule, &channels, pending, now).await?);
        }
        evaluated.push(rule.id, span.start, state, v, rule.revision, rule.threshold);
    }
    evaluated.store(conn, org, now).await?;
    Ok(notified)
}

/// A change to store: of which revision of the rule, with the value and
/// threshold it was decided on.
struct Pending {
    revision: i32,
    change: Change,
    value: f64,
    threshold: f64,
}

impl Pending {
    /// The resolve of what `stored` holds (FIRING in a window that ended, or
    /// of a revision that was changed), with what it fired on.
    fn resolved(stored: &RuleState, threshold: f64) -> Pending {
        Pending {
            revision: stored.revision,
            change: Change {
                window_start: stored.window_start,
                state: State::Ok,
            },
            value: stored.value.unwrap_or(0.0),
            threshold: stored.threshold.unwrap_or(threshold),
        }
    }
}

/// Stores `pending` once — nothing when another evaluation stored it
/// first — with a PENDING delivery to each of the rule's channels.
async fn notify(
    conn: &mut AsyncPgConnection,
    org: &Org,
    rule: &Rule,
    channels: &[alert_channel::Channel],
    pending: Pending,
    now: DateTime<Utc>,
) -> Result<Option<Notified>> {
    let Pending {
        revision,
        change,
        value,
        threshold,
    } = pending;
    let inserted: Vec<Inserted> = diesel::sql_query(
        "INSERT INTO alert_notifications (org_id, rule_id, revision, window_start, state, value, threshold, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (rule_id, revision, window_start, state) DO NOTHING RETURNING id",
    )
    .bind::<SqlUuid, _>(org.id)
    .bind::<SqlUuid, _>(rule.id)
    .bind::<Integer, _>(revision)
    .bind::<Timestamptz, _>(change.window_start)
    .bind::<Text, _>(change.state.as_str())
    .bind::<Double, _>(value)
    .bind::<Double, _>(threshold)
    .bind::<Timestamptz, _>(now)
    .load(conn)
    .await?;
    let Some(Inserted { id }) = inserted.into_iter().next() else {
        return Ok(None);
    };
    for channel in channels.iter().filter(|c| rule.channel_ids.contains(&c.id)) {
        diesel::sql_query(
            "INSERT INTO alert_deliveries (id, org_id, channel_id, purpose, body, status, attempts, \
             notification_id, next_attempt_at) VALUES ($1, $2, $3, 'NOTIFICATION', $4, 'PENDING', 0, $5, $6)",
        )
        .bind::<SqlUuid, _>(Uuid::new_v4())
        .bind::<SqlUuid, _>(org.id)
        .bind::<SqlUuid, _>(channel.id)
        .bind::<Jsonb, _>(body(org, rule, &change, (value, threshold), &channel.kind, now))
        .bind::<SqlUuid, _>(id)
        .bind::<Timestamptz, _>(now)
        .execute(conn)
        .await?;
    }
    Ok(Some(Notified {
        id,
        org_id: org.id,
        rule_id: rule.id,
        window_start: change.window_start,
        state: change.state,
        value,
    }))
}

/// The states this evaluation leaves, stored in one statement.
#[derive(Default)]
struct Evaluated {
    rules: Vec<Uuid>,
    windows: Vec<DateTime<Utc>>,
    states: Vec<&'static str>,
    values: Vec<Option<f64>>,
    revisions: Vec<i32>,
    thresholds: Vec<f64>,
}

impl Evaluated {
    fn push(
        &mut self,
        rule: Uuid,
        window: DateTime<Utc>,
        state: State,
        value: Option<f64>,
        revision: i32,
        threshold: f64,
    ) {
        self.rules.push(rule);
        self.windows.push(window);
        self.states.push(state.as_str());
        self.values.push(value);
        self.revisions.push(revision);
        self.thresholds.push(threshold);
    }

    async fn store(
        self,
        conn: &mut AsyncPgConnection,
        org: &Org,
        now: DateTime<Utc>,
    ) -> Result<()> {
        if self.rules.is_empty() {
            return Ok(());
        }
        use diesel::sql_types::{Array, Nullable};
        diesel::sql_query(
            "INSERT INTO alert_states (rule_id, org_id, window_start, state, value, evaluated_at, revision, threshold) \
             SELECT r, $1, w, s, v, $2, n, t FROM unnest($3::uuid[], $4::timestamptz[], $5::text[], \
               $6::float8[], $7::int4[], $8::float8[]) AS x(r, w, s, v, n, t) \
             ON CONFLICT (rule_id) DO UPDATE SET \
             window_start = excluded.window_start, state = excluded.state, value = excluded.value, \
             evaluated_at = excluded.evaluated_at, revision = excluded.revision, threshold = excluded.threshold",
        )
        .bind::<SqlUuid, _>(org.id)
        .bind::<Timestamptz, _>(now)
        .bind::<Array<SqlUuid>, _>(&self.rules)
        .bind::<Array<Timestamptz>, _>(&self.windows)
        .bind::<Array<Text>, _>(&self.states)
        .bind::<Array<Nullable<Double>>, _>(&self.values)
        .bind::<Array<Integer>, _>(&self.revisions)
        .bind::<Array<Double>, _>(&self.thresholds)
        .execute(conn)
        .await?;
        Ok(())
    }
}
