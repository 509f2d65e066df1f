//! Compares a database's read models with the independent fold.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};

use agentmon_core::metrics::sketch;
use diesel_async::RunQueryDsl;
use serde_json::{json, Value};

use super::model::{nearest_rank, Day, Expected};
use crate::harness::TestApp;

#[derive(diesel::QueryableByName)]
struct Rows {
    #[diesel(sql_type = diesel::sql_types::Jsonb)]
    rows: Value,
}

async fn rows(app: &TestApp, select: &str, from: &str) -> Vec<Value> {
    let mut conn = app.db.owner().await.unwrap_or_else(|e| panic!("{e}"));
    let sql = format!(
        "SELECT coalesce(jsonb_agg(jsonb_build_object({select})), '[]') AS rows FROM {from}"
    );
    let r: Rows = diesel::sql_query(&sql)
        .get_result(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    r.rows.as_array().cloned().unwrap_or_default()
}

fn keyed(rows: Vec<Value>, key: &[&str]) -> BTreeMap<String, Value> {
    rows.into_iter()
        .map(|mut r| {
            let k = key
                .iter()
                .map(|k| r[*k].to_string())
                .collect::<Vec<_>>()
                .join("/");
            if let Some(o) = r.as_object_mut() {
                for k in key {
                    o.remove(*k);
                }
            }
            (k, r)
        })
        .collect()
}

fn assert_maps(
    what: &str,
    context: &str,
    got: BTreeMap<String, Value>,
    want: BTreeMap<String, Value>,
) {
    for (k, w) in &want {
        assert_eq!(got.get(k), Some(w), "{context}: {what} {k}");
    }
    for k in got.keys() {
        assert!(
            want.contains_key(k),
            "{context}: {what} {k} should not exist: {}",
            got[k]
        );
    }
}

const FIGURES: &str = "'event_count', t.event_count, 'sessions', t.sessions, 'session_runs', t.session_runs, \
  'session_active_ms', t.session_active_ms, 'handed_off', t.handed_off, 'iterated', t.iterated, \
  'runs', t.runs, 'succeeded', t.succeeded, 'failed', t.failed, 'cancelled', t.cancelled, \
  'cost_nanos', (t.cost_usd * 1000000000)::bigint, 'input', t.input_tokens, 'output', t.output_tokens, \
  'by_category', jsonb_build_array(t.failed_tool, t.failed_model, t.failed_timeout, t.failed_other)";

fn figures(d: &Day) -> Value {
    json!({
        "event_count": d.event_count, "sessions": d.sessions, "session_runs": d.session_runs,
        "session_active_ms": d.session_active_ms, "handed_off": d.handed_off, "iterated": d.iterated,
        "runs": d.runs, "succeeded": d.succeeded, "failed": d.failed, "cancelled": d.cancelled,
        "cost_nanos": d.cost_nanos, "input": d.input, "output": d.output, "by_category": d.failed_by_category,
    })
}

fn nonzero(rows: Vec<Value>) -> Vec<Value> {
    rows.into_iter()
        .filter(|r| {
            r.as_object().is_some_and(|o| {
                o.iter().any(|(k, v)| {
                    !["org", "user", "day", "dimension", "value"].contains(&k.as_str())
                        && v != &json!(0)
                        && v != &json!([0, 0, 0, 0])
                })
            })
        })
        .collect()
}

pub async fn verify(app: &TestApp, exp: &Expected, context: &str) {
    let got = rows(
        app,
        "'org', o.slug, 'session', t.session_id, 'user', t.user_id, \
         'started_ms', (extract(epoch from t.started_at) * 1000)::bigint, \
         'last_ms', (extract(epoch from t.last_event_at) * 1000)::bigint, 'day', t.day, \
         'event_count', t.event_count, \
         'message_count', t.message_count, 'run_count', t.run_count, 'succeeded', t.succeeded_runs, \
         'failed', t.failed_runs, 'cancelled', t.cancelled_runs, 'cost_nanos', (t.cost_usd * 1000000000)::bigint, 'input', t.input_tokens, \
         'output', t.output_tokens, 'active_ms', t.active_time_ms, 'handed_off', t.handed_off, \
         'iterated', t.iterated_after_handoff, 'attributes', t.attributes",
        "sessions t JOIN orgs o ON o.id = t.org_id",
    )
    .await;
    let want: Vec<Value> = exp
        .sessions
        .iter()
        .map(|((org, id), s)| {
            json!({
                "org": org, "session": id, "user": s.user,
                "started_ms": s.started_at.timestamp_millis(), "last_ms": s.last_event_at.timestamp_millis(),
                "day": s.day, "event_count": s.event_count,
                "message_count": s.message_count, "run_count": s.run_count, "succeeded": s.succeeded,
                "failed": s.failed, "cancelled": s.cancelled, "cost_nanos": s.cost_nanos, "input": s.input, "output": s.output,
                "active_ms": s.active_ms, "handed_off": s.handed_off, "iterated": s.iterated,
                "attributes": s.attributes,
            })
        })
        .collect();
    assert_maps(
        "session",
        context,
        keyed(got, &["org", "session"]),
        keyed(want, &["org", "session"]),
    );

    let got = rows(
        app,
        "'org', o.slug, 'run', t.run_id, 'session', t.session_id, 'user', t.user_id, \
         'status', t.status, 'category', t.error_category, 'model', t.model, \
         'started_ms', (extract(epoch from t.started_at) * 1000)::bigint, \
         'finished_ms', (extract(epoch from t.finished_at) * 1000)::bigint, \
         'duration', t.duration_ms, 'day', t.day, \
         'cost_nanos', (t.cost_usd * 1000000000)::bigint, 'input', t.input_tokens, 'output', t.output_tokens",
        "runs t JOIN orgs o ON o.id = t.org_id",
    )
    .await;
    let want: Vec<Value> = exp
        .runs
        .iter()
        .map(|((org, id), r)| {
            json!({
                "org": org, "run": id, "session": r.session, "user": r.user,
                "status": r.status, "category": r.category, "model": r.model,
                "started_ms": r.started_at.map(|t| t.timestamp_millis()),
                "finished_ms": r.finished_at.map(|t| t.timestamp_millis()),
                "duration": r.duration, "day": r.day,
                "cost_nanos": r.cost_nanos, "input": r.input, "output": r.output,
            })
        })
        .collect();
    assert_maps(
        "run",
        context,
        keyed(got, &["org", "run"]),
        keyed(want, &["org", "run"]),
    );

    // Whether work followed within 4 h is compared for LOCAL handoffs: SPEC
    // starts no iteration window from another target.
    let got = rows(
        app,
        "'org', o.slug, 'event', t.event_id, 'session', t.session_id, 'user', t.user_id, \
         'at_ms', (extract(epoch from t.at) * 1000)::bigint, 'target', t.target, \
         'iterated', CASE WHEN t.target = 'LOCAL' THEN t.iterated END",
        "handoffs t JOIN orgs o ON o.id = t.org_id",
    )
    .await;
    let want: Vec<Value> = exp
        .handoffs
        .iter()
        .map(|((org, id), h)| {
            json!({
                "org": org, "event": id, "session": h.session, "user": h.user,
                "at_ms": h.at.timestamp_millis(), "target": h.target,
                "iterated": (h.target == "LOCAL").then_some(h.iterated),
            })
        })
        .collect();
    assert_maps(
        "handoff",
        context,
        keyed(got, &["org", "event"]),
        keyed(want, &["org", "event"]),
    );

    // Users with events: first seen and last active. A row without either
    // (a user whose events went) holds no figure.
    let got = rows(
        app,
        "'org', o.slug, 'user', t.user_id, \
         'first_ms', (extract(epoch from t.first_seen_at) * 1000)::bigint, \
         'last_ms', (extract(epoch from t.last_active_at) * 1000)::bigint",
        "users t JOIN orgs o ON o.id = t.org_id \
         WHERE t.first_seen_at IS NOT NULL OR t.last_active_at IS NOT NULL",
    )
    .await;
    let want: Vec<Value> = exp
        .users
        .iter()
        .map(|((org, user), (first, last))| {
            json!({
                "org": org, "user": user,
                "first_ms": first.timestamp_millis(), "last_ms": last.timestamp_millis(),
            })
        })
        .collect();
    assert_maps(
        "user",
        context,
        keyed(got, &["org", "user"]),
        keyed(want, &["org", "user"]),
    );

    let got = nonzero(
        rows(
            app,
            &format!("'org', o.slug, 'day', t.day, 'active_users', t.active_users, {FIGURES}"),
            "org_daily t JOIN orgs o ON o.id = t.org_id",
        )
        .await,
    );
    let want: Vec<Value> = exp
        .org_days
        .iter()
        .map(|((org, day), d)| {
            let mut v = figures(d);
            v["org"] = json!(org);
            v["day"] = json!(day);
            v["active_users"] = json!(d.active_users);
            v
        })
        .collect();
    assert_maps(
        "org day",
        context,
        keyed(got, &["org", "day"]),
        keyed(want, &["org", "day"]),
    );

    let got = nonzero(
        rows(
            app,
            &format!("'org', o.slug, 'user', t.user_id, 'day', t.day, {FIGURES}"),
            "user_daily t JOIN orgs o ON o.id = t.org_id",
        )
        .await,
    );
    let want: Vec<Value> = exp
        .user_days
        .iter()
        .map(|((org, user, day), d)| {
            let mut v = figures(d);
            v["org"] = json!(org);
            v["user"] = json!(user);
            v["day"] = json!(day);
            v
        })
        .collect();
    assert_maps(
        "user day",
        context,
        keyed(got, &["org", "user", "day"]),
        keyed(want, &["org", "user", "day"]),
    );

    // Each user's weeks (Monday to Sunday): the sums of its days.
    let got = nonzero(
        rows(
            app,
            "'org', o.slug, 'user', t.user_id, 'day', t.week, 'event_count', t.event_count, \
             'runs', t.runs, 'cost_nanos', (t.cost_usd * 1000000000)::bigint",
            "user_weekly t JOIN orgs o ON o.id = t.org_id",
        )
        .await,
    );
    let mut weeks: BTreeMap<(String, String, NaiveDate), [i64; 3]> = BTreeMap::new();
    for ((org, user, day), d) in &exp.user_days {
        let monday = *day - chrono::Days::new(u64::from(day.weekday().num_days_from_monday()));
        let w = weeks
            .entry((org.clone(), user.clone(), monday))
            .or_default();
        w[0] += d.event_count;
        w[1] += d.runs;
        w[2] += d.cost_nanos;
    }
    let want: Vec<Value> = nonzero(
        weeks
            .into_iter()
            .map(|((org, user, week), [events, runs, cost])| {
                json!({ "org": org, "user": user, "day": week,
                        "event_count": events, "runs": runs, "cost_nanos": cost })
            })
            .collect(),
    );
    assert_maps(
        "user week",
        context,
        keyed(got, &["org", "user", "day"]),
        keyed(want, &["org", "user", "day"]),
    );

    // The dimensions every org has (no test here sets breakdown keys).
    let got = nonzero(
        rows(
            app,
            "'org', o.slug, 'dimension', t.dimension, 'day', t.day, 'value', t.value, \
             'sessions', t.sessions, 'runs', t.runs, 'succeeded', t.succeeded, 'failed', t.failed, \
             'cancelled', t.cancelled, 'cost_nanos', (t.cost_usd * 1000000000)::bigint, \
             'input', t.input_tokens, 'output', t.output_tokens",
            "org_daily_breakdowns t JOIN orgs o ON o.id = t.org_id \
             WHERE t.dimension IN ('model', 'agent')",
        )
        .await,
    );
    let want: Vec<Value> = exp
        .breakdowns
        .iter()
        .map(|((org, dimension, day, value), b)| {
            json!({
                "org": org, "dimension": dimension, "day": day, "value": value,
                "sessions": b.sessions, "runs": b.runs, "succeeded": b.succeeded,
                "failed": b.failed, "cancelled": b.cancelled, "cost_nanos": b.cost_nanos,
                "input": b.input, "output": b.output,
            })
        })
        .collect();
    assert_maps(
        "breakdown",
        context,
        keyed(got, &["org", "dimension", "day", "value"]),
        keyed(want, &["org", "dimension", "day", "value"]),
    );

    durations(
        app,
        context,
        "o.slug",
        "org_daily_durations",
        &exp.durations,
    )
    .await;
    durations(
        app,
        context,
        "o.slug",
        "org_weekly_durations",
        &exp.durations,
    )
    .await;
    let by_user: BTreeMap<String, Vec<i64>> = exp
        .user_durations
        .iter()
        .map(|((org, user), d)| (format!("{org}/{user}"), d.clone()))
        .collect();
    durations(
        app,
        context,
        "o.slug || '/' || t.user_id",
        "user_daily_durations",
        &by_user,
    )
    .await;
}

/// The sketches of `table`, all days together per `key`: as many durations
/// as expected, and percentiles within the sketch's accuracy of the nearest
/// rank. A key without expected durations has none.
async fn durations(
    app: &TestApp,
    context: &str,
    key: &str,
    table: &str,
    want: &BTreeMap<String, Vec<i64>>,
) {
    let mut got: BTreeMap<String, Vec<(i32, i64)>> = BTreeMap::new();
    for r in rows(
        app,
        &format!("'key', {key}, 'bucket', t.bucket, 'count', t.count"),
        &format!("{table} t JOIN orgs o ON o.id = t.org_id"),
    )
    .await
    {
        got.entry(r["key"].as_str().unwrap_or_default().to_string())
            .or_default()
            .push((
                r["bucket"].as_i64().unwrap_or(0) as i32,
                r["count"].as_i64().unwrap_or(0),
            ));
    }
    for (k, buckets) in &got {
        let n: i64 = buckets.iter().map(|(_, c)| (*c).max(0)).sum();
        let expected = want.get(k).map_or(0, Vec::len);
        assert_eq!(
            n as usize, expected,
            "{context}: {table} {k}: durations counted"
        );
    }
    for (k, values) in want {
        let buckets = got.get(k).cloned().unwrap_or_default();
        for p in [0.5, 0.95, 0.99] {
            let exact = nearest_rank(values, p).unwrap_or(f64::NAN);
            let sketched = sketch::quantile(&buckets, p).unwrap_or(f64::NAN);
            assert!(
                (sketched - exact).abs() <= exact * sketch::RELATIVE_ACCURACY + 1e-9,
                "{context}: {table} {k} p{p}: sketch {sketched} vs nearest rank {exact}"
            );
        }
    }
}
