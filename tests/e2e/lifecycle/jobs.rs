//! Jobs: a replay is a job any worker may take; a worker killed in the
//! middle of one leaves it to another, and an org being rebuilt does not
//! stop the projection of the others.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use agentmon_core::auth::Role;
use diesel_async::{AsyncConnection, SimpleAsyncConnection};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use serde_json::{json, Value};

use super::{days_ago, ingest_all, session};
use crate::harness::read_models::{assert_same, snapshot};
use crate::harness::{error_code, TestApp};

const REPLAY: &str = "mutation($org: String, $p: String) { replay(org: $org, projector: $p) { id kind org status } }";

async fn job(app: &TestApp, id: &Value) -> Value {
    let body = app
        .graphql(
            Some(&app.super_admin()),
            "query($id: ID!) { job(id: $id) { id kind org status progress attempts error createdBy } }",
            json!({ "id": id }),
        )
        .await;
    body["data"]["job"].clone()
}

async fn wait_for(app: &TestApp, id: &Value, status: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let now = job(app, id).await;
        if now["status"] == status {
            return now;
        }
        assert!(
            Instant::now() < deadline,
            "job never reached {status}: {now}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Holds a share lock on the org's row in an open transaction until the
/// returned sender is dropped: a replay of the org waits behind it.
async fn hold_org(app: &TestApp, slug: &str) -> tokio::sync::oneshot::Sender<()> {
    let (release, released) = tokio::sync::oneshot::channel::<()>();
    let (held, is_held) = tokio::sync::oneshot::channel::<()>();
    let url = app.url().to_string();
    let slug = slug.to_string();
    tokio::spawn(async move {
        let mut conn = diesel_async::AsyncPgConnection::establish(&url)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        conn.batch_execute(&format!(
            "BEGIN; SELECT 1 FROM orgs WHERE slug = '{slug}' FOR KEY SHARE;"
        ))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        let _ = held.send(());
        let _ = released.await;
        let _ = conn.batch_execute("ROLLBACK").await;
    });
    let _ = is_held.await;
    release
}

async fn seed(app: &TestApp) {
    app.create_org("acme", "UTC").await;
    app.create_org("beta", "UTC").await;
    let mut events = Vec::new();
    for i in 0..20 {
        events.extend(session(
            "acme",
            &format!("s{i}"),
            "ann",
            days_ago(i as i64),
            i,
        ));
    }
    ingest_all(app, &events).await;
    app.project_all().await;
}

#[tokio::test]
async fn a_worker_killed_in_the_middle_of_a_replay_leaves_it_to_another() {
    let app = TestApp::new().await;
    seed(&app).await;
    let first = snapshot(&app).await;
    let release = hold_org(&app, "acme").await;
    let body = app
        .graphql(Some(&app.super_admin()), REPLAY, json!({ "org": "acme" }))
        .await;
    let id = body["data"]["replay"]["id"].clone();
    assert_eq!(body["data"]["replay"]["status"], "QUEUED", "{body}");

    let mut worker = Command::new(env!("CARGO_BIN_EXE_agentmon"))
        .args(["worker"])
        .env("DATABASE_URL", app.url())
        .env_remove("REDIS_URL")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let running = wait_for(&app, &id, "RUNNING").await;
    assert_eq!(running["attempts"], 1);
    kill(Pid::from_raw(worker.id() as i32), Signal::SIGKILL).unwrap_or_else(|e| panic!("{e}"));
    let _ = worker.wait();
    drop(release);

    // Another runner takes the job over once the dead worker's connection is gone.
    let deadline = Instant::now() + Duration::from_secs(30);
    while job(&app, &id).await["status"] != "SUCCEEDED" {
        assert!(
            Instant::now() < deadline,
            "the job was not taken over: {}",
            job(&app, &id).await
        );
        app.run_jobs().await;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let done = job(&app, &id).await;
    assert_eq!(done["attempts"], 2, "{done}");
    assert_eq!(done["progress"], 1.0);
    assert_same(&first, &snapshot(&app).await, "after a replay taken over");
    assert_eq!(
        app.count("SELECT count(*) AS n FROM jobs WHERE paused_org IS NOT NULL")
            .await,
        0
    );
}

#[tokio::test]
async fn other_orgs_project_while_one_org_is_rebuilt() {
    let app = TestApp::new().await;
    seed(&app).await;
    let release = hold_org(&app, "acme").await;
    let body = app
        .graphql(Some(&app.super_admin()), REPLAY, json!({ "org": "acme" }))
        .await;
    let id = body["data"]["replay"]["id"].clone();
    let runner = agentmon_projectors::jobs::JobRunner::new(app.db.clone(), app.url());
    let replaying = tokio::spawn(async move { runner.drain().await });
    wait_for(&app, &id, "RUNNING").await;

    ingest_all(&app, &session("beta", "b1", "bea", days_ago(0), 1)).await;
    ingest_all(&app, &session("acme", "a-new", "ann", days_ago(0), 1)).await;
    app.project_all().await;
    let projected = |slug: &str| {
        format!("SELECT count(*) AS n FROM sessions s JOIN orgs o ON o.id = s.org_id WHERE o.slug = '{slug}'")
    };
    assert_eq!(
        app.count(&projected("beta")).await,
        1,
        "beta waited for acme's replay"
    );
    assert_eq!(job(&app, &id).await["status"], "RUNNING");
    assert_eq!(
        app.count(&projected("acme")).await,
        20,
        "acme projected while paused"
    );

    drop(release);
    replaying
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|e| panic!("{e}"));
    app.project_all().await;
    assert_eq!(job(&app, &id).await["status"], "SUCCEEDED");
    assert_eq!(app.count(&projected("acme")).await, 21);
}

#[tokio::test]
async fn replays_and_jobs_answer_only_those_who_may_see_them() {
    let app = TestApp::new().await;
    seed(&app).await;
    let body = app
        .graphql(
            Some(&app.super_admin()),
            REPLAY,
            json!({ "org": "acme", "p": "nope" }),
        )
        .await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    assert!(body.to_string().contains("rollups"), "{body}");
    let body = app
        .graphql(Some(&app.super_admin()), REPLAY, json!({ "org": "ghost" }))
        .await;
    assert_eq!(error_code(&body), "NOT_FOUND", "{body}");
    let admin = app.user_token(Role::OrgAdmin, Some("acme"));
    let body = app
        .graphql(Some(&admin), REPLAY, json!({ "org": "acme" }))
        .await;
    assert_eq!(error_code(&body), "FORBIDDEN", "{body}");
    let body = app
        .graphql(Some(&admin), "{ jobs { id } }", json!({}))
        .await;
    assert_eq!(error_code(&body), "FORBIDDEN", "{body}");

    let body = app
        .graphql(
            Some(&app.super_admin()),
            REPLAY,
            json!({ "org": "acme", "p": "rollups" }),
        )
        .await;
    let id = body["data"]["replay"]["id"].clone();
    app.run_jobs().await;
    let seen = |token: String| {
        let id = id.clone();
        let app = &app;
        async move {
            app.graphql(
                Some(&token),
                "query($id: ID!) { job(id: $id) { status } }",
                json!({ "id": id }),
            )
            .await
        }
    };
    let own = seen(admin.clone()).await;
    assert_eq!(own["data"]["job"]["status"], "SUCCEEDED", "{own}");
    let other = seen(app.user_token(Role::OrgAdmin, Some("beta"))).await;
    assert_eq!(other["data"]["job"], Value::Null, "{other}");
    let member = seen(app.user_token(Role::Member, Some("acme"))).await;
    assert_eq!(error_code(&member), "FORBIDDEN", "{member}");
    assert_eq!(
        app.count("SELECT count(*) AS n FROM audit_log WHERE action = 'REPLAY'")
            .await,
        1
    );
}
