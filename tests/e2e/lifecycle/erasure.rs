//! A user's data: exported as JSON lines, then erased through a job; the
//! receipt counts what was stored, every figure equals a fresh computation
//! without the user, and readers never see a figure in between.

use agentmon_core::auth::Role;
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use serde_json::{json, Value};

use super::{days_ago, ingest_all, session};
use crate::harness::read_models::{assert_same, snapshot};
use crate::harness::{error_code, TestApp};
use crate::projection::model::expected;
use crate::projection::stream::{stream, Ev, ORGS};
use crate::projection::verify::verify;

const ERASE: &str = "mutation($u: String!) { eraseUser(org: \"acme\", userId: $u) {
  id userId requestedBy completedAt events sessions runs jobId } }";
const KPIS: &str = "{ org(slug: \"acme\") { overview(range: { from: \"2026-01-01\", to: \"2027-12-31\" }) {
  kpis { sessions runs activeUsers costUsd succeededRuns failedRuns durationP50Ms localHandoffRate } } } }";

const ERASE_IN: &str = "mutation($org: String!, $u: String!) { eraseUser(org: $org, userId: $u) {
  id userId jobId } }";

async fn export(app: &TestApp, token: &str, user: &str) -> (StatusCode, String) {
    let response = app
        .respond(
            Request::get(format!("/export/user.jsonl?org=acme&userId={user}"))
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .body(Body::empty())
                .unwrap_or_else(|e| panic!("{e}")),
        )
        .await;
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

async fn seed(app: &TestApp) -> Vec<Value> {
    app.create_org("acme", "Europe/Berlin").await;
    app.create_org("other", "UTC").await;
    let mut events = Vec::new();
    for i in 0..60 {
        let user = ["ann", "bob", "cat"][i % 3];
        events.extend(session(
            "acme",
            &format!("s{i}"),
            user,
            days_ago((i % 20) as i64),
            i,
        ));
    }
    // The same user id in another org is another person's data.
    let other: Vec<Value> = session("other", "x1", "ann", days_ago(1), 1);
    ingest_all(app, &events).await;
    ingest_all(app, &other).await;
    app.project_all().await;
    events
}

#[tokio::test]
async fn a_user_is_exported_then_erased_and_every_figure_is_exact_without_them() {
    let app = TestApp::new().await;
    let events = seed(&app).await;
    let admin = app.user_token(Role::OrgAdmin, Some("acme"));
    let mine: Vec<&Value> = events.iter().filter(|e| e["userId"] == "ann").collect();

    // Export: the profile, then every event of ann in acme and nothing else.
    let (status, body) = export(&app, &admin, "ann").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let lines: Vec<Value> = body
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(lines[0]["type"], "profile");
    assert_eq!(lines[0]["email"], "ann@example.com");
    assert_eq!(lines.len() - 1, mine.len());
    let mut exported: Vec<&str> = lines[1..]
        .iter()
        .map(|l| l["eventId"].as_str().unwrap_or_default())
        .collect();
    let mut expected: Vec<&str> = mine
        .iter()
        .map(|e| e["eventId"].as_str().unwrap_or_default())
        .collect();
    exported.sort();
    expected.sort();
    assert_eq!(exported, expected);
    assert!(lines[1..]
        .iter()
        .all(|l| l["userId"] == "ann" && l["type"] == "event"));
    assert_eq!(
        app.count("SELECT count(*) AS n FROM audit_log WHERE action = 'USER_DATA_EXPORTED' AND target = 'ann'").await,
        1
    );
    // Other roles and orgs may not export.
    for token in [
        app.user_token(Role::Manager, Some("acme")),
        app.user_token(Role::OrgAdmin, Some("other")),
        app.user_token(Role::Support, None),
    ] {
        assert_eq!(export(&app, &token, "ann").await.0, StatusCode::FORBIDDEN);
    }

    let stored = (
        app.count("SELECT count(*) AS n FROM events o JOIN orgs g ON g.id = o.org_id WHERE g.slug = 'acme' AND user_id = 'ann'").await,
        app.count("SELECT count(*) AS n FROM session_owners o JOIN orgs g ON g.id = o.org_id WHERE g.slug = 'acme' AND user_id = 'ann'").await,
        app.count("SELECT count(*) AS n FROM runs o JOIN orgs g ON g.id = o.org_id WHERE g.slug = 'acme' AND user_id = 'ann'").await,
    );

    // Erase: a receipt at once; a second request while it runs is refused.
    let body = app
        .graphql(Some(&admin), ERASE, json!({ "u": "ann" }))
        .await;
    let receipt = body["data"]["eraseUser"].clone();
    assert_eq!(receipt["userId"], "ann", "{body}");
    assert_eq!(receipt["completedAt"], Value::Null);
    assert_eq!(receipt["requestedBy"], "tester");
    let again = app
        .graphql(Some(&admin), ERASE, json!({ "u": "ann" }))
        .await;
    assert_eq!(error_code(&again), "BAD_USER_INPUT", "{again}");
    let unknown = app
        .graphql(Some(&admin), ERASE, json!({ "u": "nobody" }))
        .await;
    assert_eq!(error_code(&unknown), "NOT_FOUND", "{unknown}");
    let manager = app.user_token(Role::Manager, Some("acme"));
    let refused = app
        .graphql(Some(&manager), ERASE, json!({ "u": "bob" }))
        .await;
    assert_eq!(error_code(&refused), "FORBIDDEN", "{refused}");

    assert_eq!(app.run_jobs().await, 1);
    let body = app
        .graphql(
            Some(&admin),
            "query($j: ID!) { job(id: $j) { kind status progress }
              org(slug: \"acme\") { erasures { userId completedAt events sessions runs } } }",
            json!({ "j": receipt["jobId"] }),
        )
        .await;
    assert_eq!(body["data"]["job"]["status"], "SUCCEEDED", "{body}");
    let done = &body["data"]["org"]["erasures"][0];
    assert!(done["completedAt"].is_string(), "{body}");
    assert_eq!(
        (
            done["events"].as_i64(),
            done["sessions"].as_i64(),
            done["runs"].as_i64()
        ),
        (Some(stored.0), Some(stored.1), Some(stored.2)),
        "the receipt counts what was stored"
    );
    assert_eq!(stored, (120, 20, 20));

    // Gone from every query and export.
    let body = app
        .graphql(
            Some(&admin),
            "{ org(slug: \"acme\") { user(id: \"ann\") { id }
               sessions(filter: { userId: \"ann\" }) { edges { node { id } } }
               users(range: { from: \"2026-01-01\", to: \"2027-12-31\" }) { edges { node { user { id } } } } } }",
            json!({}),
        )
        .await;
    let org = &body["data"]["org"];
    assert_eq!(org["user"], Value::Null, "{body}");
    assert_eq!(org["sessions"]["edges"], json!([]), "{body}");
    assert!(
        !org["users"]["edges"].to_string().contains("\"ann\""),
        "{body}"
    );
    assert_eq!(export(&app, &admin, "ann").await.0, StatusCode::NOT_FOUND);
    // ann of the other org is another person: untouched.
    assert_eq!(
        app.count("SELECT count(*) AS n FROM events e JOIN orgs o ON o.id = e.org_id WHERE o.slug = 'other'").await,
        6
    );
    let erased = app
        .count(
            "SELECT count(*) AS n FROM audit_log WHERE action = 'USER_ERASED' AND target = 'ann'",
        )
        .await;
    assert_eq!(erased, 1);

    // Every read model equals a fresh computation without them.
    let now = snapshot(&app).await;
    agentmon_projectors::replay::replay(&app.db, &agentmon_projectors::registry(), None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_same(&now, &snapshot(&app).await, "after the erasure vs a replay");

    // A resent old event is a duplicate, not a resurrection; a new event
    // of the same user id later is new data.
    let body = app.ingest(&[mine[0].clone()]).await;
    assert_eq!(body["data"]["ingestEvents"]["duplicates"], 1, "{body}");
    // It claims nothing either: ann is still unknown, her session nobody's.
    assert_eq!(export(&app, &admin, "ann").await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        app.count(
            "SELECT count(*) AS n FROM session_owners s JOIN orgs o ON o.id = s.org_id \
             WHERE o.slug = 'acme' AND s.user_id = 'ann'"
        )
        .await,
        0
    );
    let fresh = session("acme", "new", "ann", days_ago(0), 1);
    ingest_all(&app, &fresh).await;
    app.project_all().await;
    assert_eq!(
        app.count(
            "SELECT count(*) AS n FROM sessions WHERE user_id = 'ann' AND session_id = 'new'"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn after_an_erasure_every_figure_is_the_independent_fold_of_the_remaining_events() {
    // Random streams (runs started or finished twice, finished before they
    // started, sessions across midnight in a half-hour-offset org), erased
    // and compared with a fold written from the spec, not with a replay by
    // the same projectors.
    let app = TestApp::new().await;
    for (slug, tz) in ORGS {
        app.create_org(slug, tz).await;
    }
    let events: Vec<Ev> = (700..706).flat_map(stream).collect();
    let json: Vec<Value> = events.iter().map(Ev::json).collect();
    ingest_all(&app, &json).await;
    app.project_all().await;

    // The owner of the first session of the first org. The same id in the
    // other org is another person, whose data stays.
    let (org, _) = ORGS[0];
    let user = events
        .iter()
        .find(|e| e.org == org)
        .map(|e| e.user.clone())
        .unwrap_or_else(|| panic!("no event in {org}"));
    let remaining: Vec<Ev> = events
        .iter()
        .filter(|e| !(e.org == org && e.user == user))
        .cloned()
        .collect();
    assert!(remaining.len() < events.len());
    assert!(
        remaining.iter().any(|e| e.org == org),
        "another user of {org} keeps their figures"
    );

    let admin = app.user_token(Role::OrgAdmin, Some(org));
    let body = app
        .graphql(
            Some(&admin),
            ERASE_IN,
            json!({ "org": org, "u": user.as_str() }),
        )
        .await;
    assert_eq!(body["data"]["eraseUser"]["userId"], user.as_str(), "{body}");
    assert_eq!(app.run_jobs().await, 1);

    verify(
        &app,
        &expected(&remaining),
        &format!("after erasing {user} of {org}"),
    )
    .await;
    assert_eq!(
        app.count("SELECT sum(event_count)::bigint AS n FROM org_daily")
            .await as usize,
        remaining.len(),
        "every remaining event counted once"
    );
}

#[tokio::test]
async fn readers_during_an_erasure_see_the_figures_before_or_after_never_between() {
    let app = TestApp::new().await;
    seed(&app).await;
    let admin = app.user_token(Role::OrgAdmin, Some("acme"));
    let kpis = |body: Value| body["data"]["org"]["overview"]["kpis"].clone();
    let before = kpis(app.graphql(Some(&admin), KPIS, json!({})).await);
    // The erasure's transaction takes at least half a second, so readers
    // surely read while it is open.
    let mut owner = app.db.owner().await.unwrap_or_else(|e| panic!("{e}"));
    use diesel_async::SimpleAsyncConnection;
    owner
        .batch_execute(
            "CREATE FUNCTION slow_bob() RETURNS trigger LANGUAGE plpgsql AS $$ \
             BEGIN PERFORM pg_sleep(0.5); RETURN OLD; END $$; \
             CREATE TRIGGER slow_bob BEFORE DELETE ON users FOR EACH ROW \
             WHEN (OLD.user_id = 'bob') EXECUTE FUNCTION slow_bob();",
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    drop(owner);

    let body = app
        .graphql(Some(&admin), ERASE, json!({ "u": "bob" }))
        .await;
    assert!(body["data"]["eraseUser"]["id"].is_string(), "{body}");
    let runner = agentmon_projectors::jobs::JobRunner::new(app.db.clone(), app.url());
    let job = tokio::spawn(async move { runner.drain().await });
    let mut seen = Vec::new();
    while !job.is_finished() {
        seen.push(kpis(app.graphql(Some(&admin), KPIS, json!({})).await));
    }
    job.await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|e| panic!("{e}"));
    let after = kpis(app.graphql(Some(&admin), KPIS, json!({})).await);
    assert_ne!(before, after);
    assert!(after["sessions"].as_i64() < before["sessions"].as_i64());
    assert!(
        seen.len() >= 3,
        "readers read while the erasure ran: {}",
        seen.len()
    );
    for figure in seen {
        assert!(figure == before || figure == after, "in between: {figure}");
    }
}

#[tokio::test]
async fn a_failed_erasure_leaves_everything_and_runs_again_when_asked() {
    let app = TestApp::new().await;
    seed(&app).await;
    let admin = app.user_token(Role::OrgAdmin, Some("acme"));
    let mut owner = app.db.owner().await.unwrap_or_else(|e| panic!("{e}"));
    use diesel_async::SimpleAsyncConnection;
    owner
        .batch_execute(
            "CREATE FUNCTION keep_cat() RETURNS trigger LANGUAGE plpgsql AS $$ \
             BEGIN RAISE EXCEPTION 'cat may not go'; END $$; \
             CREATE TRIGGER keep_cat BEFORE DELETE ON users FOR EACH ROW \
             WHEN (OLD.user_id = 'cat') EXECUTE FUNCTION keep_cat();",
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let before = snapshot(&app).await;
    let events = "SELECT count(*) AS n FROM events WHERE user_id = 'cat'";
    let stored = app.count(events).await;

    let first = app
        .graphql(Some(&admin), ERASE, json!({ "u": "cat" }))
        .await;
    let receipt = first["data"]["eraseUser"].clone();
    app.run_jobs().await;
    let job = |id: Value| {
        let app = &app;
        let admin = admin.clone();
        async move {
            app.graphql(
                Some(&admin),
                "query($j: ID!) { job(id: $j) { status error attempts } }",
                json!({ "j": id }),
            )
            .await["data"]["job"]
                .clone()
        }
    };
    let failed = job(receipt["jobId"].clone()).await;
    assert_eq!(failed["status"], "FAILED", "{failed}");
    assert!(
        failed["error"]
            .as_str()
            .is_some_and(|e| e.contains("worker's log")),
        "{failed}"
    );
    assert_eq!(
        app.count(events).await,
        stored,
        "a failed erasure removed events"
    );
    assert_same(&before, &snapshot(&app).await, "after a failed erasure");

    owner
        .batch_execute("DROP TRIGGER keep_cat ON users")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let again = app
        .graphql(Some(&admin), ERASE, json!({ "u": "cat" }))
        .await;
    assert_eq!(again["data"]["eraseUser"]["id"], receipt["id"], "{again}");
    app.run_jobs().await;
    let done = job(receipt["jobId"].clone()).await;
    assert_eq!(done["status"], "SUCCEEDED", "{done}");
    assert_eq!(
        done["attempts"], 1,
        "asked again, the job starts afresh: {done}"
    );
    assert_eq!(app.count(events).await, 0);
}

#[tokio::test]
async fn an_erased_persons_model_and_attribute_values_leave_the_breakdowns() {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    let admin = app.user_token(Role::OrgAdmin, Some("acme"));
    let keys = app
        .graphql(
            Some(&admin),
            "mutation { setBreakdownKeys(org: \"acme\", keys: [\"repo\"]) { slug } }",
            json!({}),
        )
        .await;
    assert!(keys["errors"].is_null(), "{keys}");
    app.run_jobs().await;
    // Ann alone used her model and her repository; bob uses the shared ones.
    let mut events = session("acme", "s-ann", "ann", days_ago(2), 1);
    for e in &mut events {
        if e["type"] == "RUN_STARTED" {
            e["run"]["model"] = json!("ann-private-model");
        }
        if e["type"] == "SESSION_STARTED" {
            e["attributes"]["repo"] = json!("ann-private-repo");
        }
    }
    events.extend(session("acme", "s-bob", "bob", days_ago(2), 2));
    ingest_all(&app, &events).await;
    app.project_all().await;
    let private = "SELECT count(*) AS n FROM org_daily_breakdowns \
                   WHERE value IN ('ann-private-model', 'ann-private-repo')";
    assert_eq!(app.count(private).await, 2, "both values broken down");

    let body = app
        .graphql(Some(&admin), ERASE, json!({ "u": "ann" }))
        .await;
    assert_eq!(body["data"]["eraseUser"]["userId"], "ann", "{body}");
    assert_eq!(app.run_jobs().await, 1);
    assert_eq!(
        app.count(private).await,
        0,
        "no row keeps her values at zero"
    );
    assert!(
        app.count("SELECT count(*) AS n FROM org_daily_breakdowns WHERE value = 'm-1'")
            .await
            > 0,
        "bob's figures stay"
    );
}

#[tokio::test]
async fn events_retention_left_behind_are_exported_and_erased_with_their_user() {
    use diesel_async::SimpleAsyncConnection;
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    let mut events = session("acme", "old", "ann", days_ago(65), 3);
    events.extend(session("acme", "new", "ann", days_ago(1), 4));
    events.extend(session("acme", "bobs", "bob", days_ago(65), 5));
    ingest_all(&app, &events).await;
    app.project_all().await;
    let ann_events = events.iter().filter(|e| e["userId"] == "ann").count() as i64;
    let bob_events = events.iter().filter(|e| e["userId"] == "bob").count() as i64;

    // Retention of 30 days while the old month is busy: its sessions go,
    // the partition drop is postponed, and their events stay behind.
    let old_month = days_ago(65).format("events_%Ym%m").to_string();
    let mut holder = app.db.owner().await.unwrap_or_else(|e| panic!("{e}"));
    holder
        .batch_execute(&format!(
            "BEGIN; LOCK TABLE {old_month} IN ACCESS SHARE MODE"
        ))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let admin = app.user_token(Role::OrgAdmin, Some("acme"));
    let body = app
        .graphql(
            Some(&admin),
            "mutation { updateOrg(slug: \"acme\", retentionDays: 30) { retentionDays } }",
            json!({}),
        )
        .await;
    assert_eq!(body["data"]["updateOrg"]["retentionDays"], 30, "{body}");
    app.run_jobs().await;
    holder
        .batch_execute("COMMIT")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let stored = "SELECT count(*) AS n FROM events WHERE user_id = 'ann'";
    let owned = "SELECT count(*) AS n FROM session_owners WHERE user_id = 'ann'";
    assert_eq!(
        app.count(stored).await,
        ann_events,
        "the old events stayed behind"
    );
    assert_eq!(
        app.count(owned).await,
        1,
        "only the new session is still owned"
    );

    // The export holds every stored event of the user.
    let (status, body) = export(&app, &admin, "ann").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body.lines().count() as i64 - 1, ann_events, "{body}");

    // Erasure takes them all, and counts them on the receipt.
    let body = app
        .graphql(Some(&admin), ERASE, json!({ "u": "ann" }))
        .await;
    assert!(body["data"]["eraseUser"]["id"].is_string(), "{body}");
    app.run_jobs().await;
    assert_eq!(app.count(stored).await, 0, "nothing of ann is left");
    let receipt = app
        .graphql(
            Some(&admin),
            "{ org(slug: \"acme\") { erasures { userId events completedAt } } }",
            json!({}),
        )
        .await;
    let done = &receipt["data"]["org"]["erasures"][0];
    assert_eq!(done["userId"], "ann", "{receipt}");
    assert_eq!(done["events"], ann_events, "{receipt}");
    assert!(done["completedAt"].is_string(), "{receipt}");
    // Bob's leftovers are bob's: untouched.
    assert_eq!(
        app.count("SELECT count(*) AS n FROM events WHERE user_id = 'bob'")
            .await,
        bob_events
    );
}
