//! Evaluating an org's rules now: each enabled rule's value in its current
//! window, its state, and the changes to notify. A change is stored once
//! per (rule, window, state) — `ON CONFLICT DO NOTHING` — with a PENDING
//! delivery to each of the rule's channels in the same transaction, so two
//! workers evaluating together send one notification, and a worker killed
//! after the commit leaves deliveries another sends. Run in a transaction
//! bound to the org, on the worker's login.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use diesel::sql_types::{Double, Jsonb, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::rules::{changes, state_of, Change, Comparison, State};
use super::values::{window_of, Reads, Watched};
use crate::storage::models::alert_channel;
use crate::storage::models::alert_rule::{self, Rule};
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
    value: f64,
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
        rule.threshold
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
        "threshold": rule.threshold,
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
    let due = |r: &&Rule| {
        r.enabled
            && r.user_id
                .as_deref()
                .is_none_or(|u| touched.is_none_or(|t| t.contains(u)))
    };
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
        let before = stored.map(|s| (s.window_start, parse_state(&s.state)));
        for change in changes(before, span.start, state) {
            // A window that ended resolves with the value it ended on.
            let shown = if change.window_start == span.start {
                v
            } else {
                stored.and_then(|s| s.value)
            }
            .unwrap_or(0.0);
            let inserted: Vec<Inserted> = diesel::sql_query(
                "INSERT INTO alert_notifications (org_id, rule_id, window_start, state, value, threshold, at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) \
                 ON CONFLICT (rule_id, window_start, state) DO NOTHING RETURNING id",
            )
            .bind::<SqlUuid, _>(org.id)
            .bind::<SqlUuid, _>(rule.id)
            .bind::<Timestamptz, _>(change.window_start)
            .bind::<Text, _>(change.state.as_str())
            .bind::<Double, _>(shown)
            .bind::<Double, _>(rule.threshold)
            .bind::<Timestamptz, _>(now)
            .load(conn)
            .await?;
            let Some(Inserted { id }) = inserted.into_iter().next() else {
                continue; // another evaluation stored it first
            };
            for channel in channels.iter().filter(|c| rule.channel_ids.contains(&c.id)) {
                diesel::sql_query(
                    "INSERT INTO alert_deliveries (id, org_id, channel_id, purpose, body, status, attempts, \
                     notification_id, next_attempt_at) VALUES ($1, $2, $3, 'NOTIFICATION', $4, 'PENDING', 0, $5, $6)",
                )
                .bind::<SqlUuid, _>(Uuid::new_v4())
                .bind::<SqlUuid, _>(org.id)
                .bind::<SqlUuid, _>(channel.id)
                .bind::<Jsonb, _>(body(org, rule, &change, shown, &channel.kind, now))
                .bind::<SqlUuid, _>(id)
                .bind::<Timestamptz, _>(now)
                .execute(conn)
                .await?;
            }
            notified.push(Notified {
                id,
                org_id: org.id,
                rule_id: rule.id,
                window_start: change.window_start,
                state: change.state,
                value: shown,
            });
        }
        diesel::sql_query(
            "INSERT INTO alert_states (rule_id, org_id, window_start, state, value, evaluated_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (rule_id) DO UPDATE SET \
             window_start = excluded.window_start, state = excluded.state, value = excluded.value, \
             evaluated_at = excluded.evaluated_at",
        )
        .bind::<SqlUuid, _>(rule.id)
        .bind::<SqlUuid, _>(org.id)
        .bind::<Timestamptz, _>(span.start)
        .bind::<Text, _>(state.as_str())
        .bind::<diesel::sql_types::Nullable<Double>, _>(v)
        .bind::<Timestamptz, _>(now)
        .execute(conn)
        .await?;
    }
    Ok(notified)
}
