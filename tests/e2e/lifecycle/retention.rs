//! Retention: an org set from its default to 30 days loses what is older,
//! its figures then equal a fresh computation from the events that remain,
//! and a month past every org's retention stops being a partition.

use std::collections::BTreeMap;

use agentmon_core::auth::Role;
use agentmon_core::storage::models::org::{first_kept_day, start_of_day};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use serde_json::{json, Value};

use super::{days_ago, ingest_all, session};
use crate::harness::read_models::{assert_same, snapshot};
use crate::harness::{error_code, event, TestApp};
use crate::projection::model::expected;
use crate::projection::stream::{stream, Ev, ORGS};
use crate::projection::verify::verify;

const DAILY: &str = "query($from: Date!, $to: Date!) { org(slug: \"acme\") {
  overview(range: { from: $from, to: $to }) { daily { date kpis { sessions runs activeUsers costUsd } } } } }";

async fn daily(app: &TestApp, from: &str, to: &str) -> Vec<Value> {
    let body = app
        .graphql(
            Some(&app.super_admin()),
            DAILY,
            json!({ "from": from, "to": to }),
        )
        .await;
    body["data"]["org"]["overview"]["daily"]
        .as_array()
        .cloned()
        .unwrap_or_else(|| panic!("{body}"))
}

fn partition(at: chrono::DateTime<Utc>) -> String {
    format!("events_{:04}m{:02}", at.year(), at.month())
}

#[tokio::test]
async fn setting_retention_to_30_days_removes_older_data_and_leaves_exact_figures() {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    let mut events = Vec::new();
    // One session a day for the last 40 days, two users; a session in a
    // month before the one of 35 days ago (so that whole month lies past
    // the new retention, whatever today is); one session that began 35
    // days ago and is still going 5 days ago (kept, straddling the cutoff).
    for d in 0_i64..40 {
        let user = ["ann", "bob"][(d % 2) as usize];
        events.extend(session(
            "acme",
            &format!("s{d}"),
            user,
            days_ago(d),
            d as usize,
        ));
    }
    let long_start = days_ago(35);
    let old_at = long_start
        .with_day(1)
        .unwrap_or_else(|| panic!("the first of a month"))
        - Duration::days(20);
    events.extend(session("acme", "old", "ann", old_at, 7));
    let mut long = session("acme", "long", "cat", long_start, 8);
    long.push(
        event("acme", "MESSAGE_SENT")
            .session("long")
            .user("cat")
            .at(days_ago(5))
            .set("message", json!({"role": "USER", "text": "still here"}))
            .build(),
    );
    events.extend(long);
    ingest_all(&app, &events).await;
    app.project_all().await;

    let today = Utc::now().date_naive();
    let first_kept = today - Duration::days(29);
    let (from, to) = ((today - Duration::days(100)).to_string(), today.to_string());
    let before = daily(&app, &from, &to).await;
    let old_month = partition(old_at);
    let exists =
        |name: &str| format!("SELECT count(*) AS n FROM pg_class WHERE relname = '{name}'");
    assert_eq!(app.count(&exists(&old_month)).await, 1);

    // Out of range: refused, nothing changes.
    let admin = app.user_token(Role::OrgAdmin, Some("acme"));
    for days in [0, 3651] {
        let body = app
            .graphql(
                Some(&admin),
                "mutation($d: Int) { updateOrg(slug: \"acme\", retentionDays: $d) { retentionDays } }",
                json!({ "d": days }),
            )
            .await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    }
    let body = app
        .graphql(
            Some(&admin),
            "mutation { updateOrg(slug: \"acme\", retentionDays: 30) { retentionDays } }",
            json!({}),
        )
        .await;
    assert_eq!(body["data"]["updateOrg"]["retentionDays"], 30, "{body}");
    assert_eq!(app.run_jobs().await, 1);
    app.project_all().await;

    let after = daily(&app, &from, &to).await;
    assert_eq!(before.len(), after.len());
    for (b, a) in before.iter().zip(&after) {
        let day = a["date"].as_str().unwrap_or_default();
        if day < first_kept.to_string().as_str() {
            assert_eq!(
                a["kpis"],
                json!({"sessions": 0, "runs": 0, "activeUsers": 0, "costUsd": "0"}),
                "{day} is past retention"
            );
        } else {
            assert_eq!(a, b, "{day} is kept and must not change");
        }
    }
    // Equal to a fresh computation from the events that remain.
    let kept = snapshot(&app).await;
    agentmon_projectors::replay::replay(&app.db, &agentmon_projectors::registry(), None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_same(&kept, &snapshot(&app).await, "after retention vs a replay");

    let cutoff = first_kept
        .and_hms_opt(0, 0, 0)
        .unwrap_or_default()
        .and_utc();
    let sql = format!(
        "SELECT count(*) AS n FROM sessions WHERE last_event_at < '{}'",
        cutoff.to_rfc3339()
    );
    assert_eq!(app.count(&sql).await, 0, "sessions past the cutoff remain");
    assert_eq!(
        app.count("SELECT count(*) AS n FROM sessions WHERE session_id = 'long'")
            .await,
        1
    );
    let sql = format!(
        "SELECT count(*) AS n FROM events WHERE session_id <> 'long' AND occurred_at < '{}'",
        cutoff.to_rfc3339()
    );
    assert_eq!(
        app.count(&sql).await,
        0,
        "events of removed sessions remain"
    );
    assert_eq!(
        app.count(&exists(&old_month)).await,
        0,
        "{old_month} is still a partition"
    );
    let next_month = Utc::now() + chrono::Months::new(1);
    assert_eq!(app.count(&exists(&partition(next_month))).await, 1);

    // Events older than the retention are refused at ingest.
    let body = app
        .ingest(&[event("acme", "SESSION_STARTED")
            .session("late")
            .at(days_ago(31))
            .build()])
        .await;
    assert_eq!(
        body["data"]["ingestEvents"]["rejected"][0]["code"], "OUTSIDE_RETENTION",
        "{body}"
    );
    let job = app
        .graphql(
            Some(&app.super_admin()),
            "{ jobs { kind status result } }",
            json!({}),
        )
        .await;
    let job = &job["data"]["jobs"][0];
    assert_eq!(
        (job["kind"].as_str(), job["status"].as_str()),
        (Some("RETENTION"), Some("SUCCEEDED")),
        "{job}"
    );
    assert_eq!(job["result"]["sessions"], 11, "{job}");
    assert!(
        job["result"]["droppedPartitions"]
            .as_array()
            .is_some_and(|d| d.contains(&json!(old_month))),
        "{job}"
    );
}

/// The first and last instant of each session.
/// Each (org, session)'s first and last event.
type Spans = BTreeMap<(&'static str, String), (DateTime<Utc>, DateTime<Utc>)>;

fn spans(events: &[Ev]) -> Spans {
    let mut out: Spans = BTreeMap::new();
    for e in events {
        let span = out
            .entry((e.org, e.session.clone()))
            .or_insert((e.at, e.at));
        span.0 = span.0.min(e.at);
        span.1 = span.1.max(e.at);
    }
    out
}

#[tokio::test]
async fn after_retention_every_figure_is_the_independent_fold_of_the_kept_sessions() {
    let app = TestApp::new().await;
    for (slug, tz) in ORGS {
        app.create_org(slug, tz).await;
    }
    // Each org's first kept day and its first instant with 30 days of
    // retention, in its time zone (one of them half an hour off UTC).
    let now = Utc::now();
    let cutoffs: BTreeMap<&'static str, (NaiveDate, DateTime<Utc>)> = ORGS
        .iter()
        .map(|(slug, tz)| {
            let tz: Tz = tz.parse().unwrap_or(Tz::UTC);
            let day = first_kept_day(now, tz, 30);
            (*slug, (day, start_of_day(day, tz)))
        })
        .collect();

    // Random streams moved by whole days (so that they keep their times of
    // day) to span the 31st to the 27th day ago: the cutoffs fall among
    // their sessions.
    let mut events: Vec<Ev> = (800..806).flat_map(stream).collect();
    let first = events
        .iter()
        .map(|e| e.at)
        .min()
        .unwrap_or_else(|| panic!("no events"));
    let target = now.date_naive() - Duration::days(31);
    let shift = Duration::days(target.signed_duration_since(first.date_naive()).num_days());
    for e in &mut events {
        e.at += shift;
    }
    // In each org one session straddles its cutoff: begun before, going on
    // after, so it stays whole while its early days go. (Moved by whole
    // milliseconds, as events carry them.)
    for (org, (_, cutoff)) in &cutoffs {
        let mut moved = None;
        for ((o, session), (first, last)) in spans(&events) {
            let half = Duration::seconds((last - first).num_seconds() / 2);
            if o == *org && half > Duration::zero() {
                moved = Some((session, *cutoff - first - half));
                break;
            }
        }
        let (session, by) = moved.unwrap_or_else(|| panic!("no session of {org} to move"));
        for e in &mut events {
            if e.org == *org && e.session == session {
                e.at += by;
            }
        }
    }
    let json: Vec<Value> = events.iter().map(Ev::json).collect();
    ingest_all(&app, &json).await;
    app.project_all().await;

    for (slug, _) in ORGS {
        let admin = app.user_token(Role::OrgAdmin, Some(slug));
        let body = app
            .graphql(
                Some(&admin),
                "mutation($org: String!) { updateOrg(slug: $org, retentionDays: 30) { retentionDays } }",
                json!({ "org": slug }),
            )
            .await;
        assert_eq!(body["data"]["updateOrg"]["retentionDays"], 30, "{body}");
        assert_eq!(app.run_jobs().await, 1, "{slug}");
    }
    app.project_all().await;

    // What remains: the sessions whose last event is at or after their
    // org's cutoff, whole; no day before the first kept day.
    let span_of = spans(&events);
    let remaining: Vec<Ev> = events
        .iter()
        .filter(|e| span_of[&(e.org, e.session.clone())].1 >= cutoffs[&e.org].1)
        .cloned()
        .collect();
    assert!(remaining.len() < events.len(), "some sessions go");
    for (org, (_, cutoff)) in &cutoffs {
        assert!(
            remaining.iter().any(|e| e.org == *org && e.at < *cutoff),
            "a kept session of {org} begins before its cutoff"
        );
    }
    let first_kept: BTreeMap<String, NaiveDate> = cutoffs
        .iter()
        .map(|(org, (day, _))| (org.to_string(), *day))
        .collect();
    verify(
        &app,
        &expected(&remaining).without_days_before(&first_kept),
        "after retention of 30 days",
    )
    .await;
}
