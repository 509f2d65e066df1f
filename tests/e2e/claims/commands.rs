//! The CLI: key, org update, migrate and replay --dead-letters, as the README says.

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use diesel_async::{AsyncConnection, RunQueryDsl, SimpleAsyncConnection};
use serde_json::json;

use crate::harness::{error_code, event, TestApp, SECRET};

use super::*;

/// `agentmon ARGS` on the database at `url`, as operator `claims-operator`.
async fn agentmon_on(url: &str, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_agentmon"));
    command
        .args(args)
        .env("DATABASE_URL", url)
        .env("AGENTMON_JWT_SECRET", SECRET)
        .env("USER", "claims-operator")
        .env("RUST_LOG", "info")
        .env_remove("AGENTMON_LOG_FORMAT")
        .env_remove("DATABASE_APP_URL")
        .env_remove("REDIS_URL")
        .env_remove("AGENTMON_JWKS");
    tokio::task::spawn_blocking(move || command.output())
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|e| panic!("{e}"))
}

async fn agentmon(app: &TestApp, args: &[&str]) -> Output {
    agentmon_on(app.url(), args).await
}

/// Its stdout, trimmed; panics with its stderr unless it succeeded.
fn succeeded(output: &Output, what: &str) -> String {
    assert!(
        output.status.success(),
        "agentmon {what} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

/// README: `agentmon key create [--org SLUG] --name N` — "the secret is
/// printed once, on stdout"; `agentmon key revoke ID` revokes one.
#[tokio::test]
async fn agentmon_key_creates_a_key_that_ingests_and_revokes_it() {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    let secret = succeeded(
        &agentmon(
            &app,
            &["key", "create", "--org", "acme", "--name", "cli producer"],
        )
        .await,
        "key create",
    );
    assert!(
        secret.starts_with("amk_") && secret.len() == 47,
        "stdout is the secret alone: {secret}"
    );
    let one = |s: &str| vec![event("acme", "SESSION_STARTED").session(s).build()];
    let body = app.ingest_as(&secret, &one("a")).await;
    assert_eq!(body["data"]["ingestEvents"]["accepted"], 1, "{body}");

    let listed = app
        .graphql(
            Some(&app.super_admin()),
            "{ org(slug: \"acme\") { apiKeys { id name orgs createdBy } } }",
            json!({}),
        )
        .await;
    let key = &listed["data"]["org"]["apiKeys"][0];
    assert_eq!(key["name"], "cli producer", "{listed}");
    assert_eq!(key["orgs"], json!(["acme"]), "{listed}");
    assert_eq!(key["createdBy"], "cli:claims-operator", "{listed}");
    let id = key["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{listed}"))
        .to_string();

    let said = succeeded(&agentmon(&app, &["key", "revoke", &id]).await, "key revoke");
    assert!(said.contains(&id), "{said}");
    // A server that has not verified the key since refuses it at once.
    let refused = app.ingest_on_replica(&secret, &one("b")).await;
    assert_eq!(error_code(&refused), "UNAUTHENTICATED", "{refused}");
    assert_eq!(
        app.count(
            "SELECT count(*) AS n FROM audit_log WHERE actor_sub = 'cli:claims-operator' \
             AND action IN ('API_KEY_CREATED', 'API_KEY_REVOKED')"
        )
        .await,
        2
    );
}

/// README: `agentmon org update SLUG [--name N] [--timezone TZ] [--status S]
/// [--retention-days D]` changes an org; a new time zone is rebuilt by a
/// job that a worker runs.
#[tokio::test]
async fn agentmon_org_update_changes_the_org_and_queues_its_rebuild() {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    // 23:30 UTC on the 20th is 00:30 on the 21st in Berlin.
    app.seed(&[event("acme", "RUN_FINISHED")
        .run("r1")
        .set("run", json!({"status": "SUCCEEDED"}))
        .set("occurredAt", json!("2026-11-20T23:30:00Z"))
        .build()])
        .await;
    let runs_on =
        |day: &str| format!("SELECT count(*) AS n FROM org_daily WHERE day = '{day}' AND runs = 1");
    assert_eq!(app.count(&runs_on("2026-11-20")).await, 1);

    let said = succeeded(
        &agentmon(
            &app,
            &[
                "org",
                "update",
                "acme",
                "--name",
                "Acme Two",
                "--timezone",
                "Europe/Berlin",
                "--retention-days",
                "400",
            ],
        )
        .await,
        "org update",
    );
    assert!(
        said.contains("TIMEZONE_CHANGE queued as job") && said.contains("RETENTION queued as job"),
        "{said}"
    );
    let org = app
        .graphql(
            Some(&app.super_admin()),
            "{ org(slug: \"acme\") { name timezone retentionDays status } }",
            json!({}),
        )
        .await;
    assert_eq!(
        org["data"]["org"],
        json!({"name": "Acme Two", "timezone": "Europe/Berlin", "retentionDays": 400, "status": "ACTIVE"}),
        "{org}"
    );
    assert_eq!(
        app.count(&runs_on("2026-11-21")).await,
        0,
        "the command itself rebuilds nothing"
    );
    assert_eq!(app.run_jobs().await, 2);
    assert_eq!(app.count(&runs_on("2026-11-21")).await, 1);
    assert_eq!(app.count(&runs_on("2026-11-20")).await, 0);
    assert_eq!(
        app.count(
            "SELECT count(*) AS n FROM audit_log \
             WHERE action = 'ORG_UPDATED' AND actor_sub = 'cli:claims-operator'"
        )
        .await,
        1
    );

    succeeded(
        &agentmon(&app, &["org", "update", "acme", "--status", "suspended"]).await,
        "org update --status",
    );
    let body = app
        .ingest(&[event("acme", "SESSION_STARTED").session("late").build()])
        .await;
    assert_eq!(rejection(&body, 0)["code"], "ORG_SUSPENDED", "{body}");
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// README: `agentmon migrate` "applies pending migrations".
#[tokio::test]
async fn agentmon_migrate_brings_an_empty_database_up_to_date_once() {
    let app = TestApp::new().await;
    let url = app.url();
    let base = &url[..url.rfind('/').map_or(0, |i| i + 1)];
    let name = format!("t_{}_empty", uuid::Uuid::new_v4().simple());
    let empty = format!("{base}{name}");
    let mut admin = diesel_async::AsyncPgConnection::establish(url)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    admin
        .batch_execute(&format!("CREATE DATABASE {name} TEMPLATE template0"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let migrations = std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations"))
        .unwrap_or_else(|e| panic!("{e}"))
        .flatten()
        .filter(|e| e.path().join("up.sql").exists())
        .count();
    assert!(migrations >= 10, "{migrations} migrations");

    for run in 1..=2 {
        let output = agentmon_on(&empty, &["migrate"]).await;
        assert_eq!(succeeded(&output, "migrate"), "database is up to date");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(
            stderr.contains("migrations applied"),
            run == 1,
            "run {run}: {stderr}"
        );
        let mut conn = diesel_async::AsyncPgConnection::establish(&empty)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let applied = diesel::sql_query("SELECT count(*) AS n FROM __diesel_schema_migrations")
            .get_result::<Count>(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .n;
        assert_eq!(applied, migrations as i64, "run {run}");
        let events = diesel::sql_query("SELECT count(*) AS n FROM events")
            .get_result::<Count>(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .n;
        assert_eq!(events, 0);
    }
    let _ = admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .await;
}

/// README: `agentmon replay --dead-letters [--org SLUG]` "puts dead letters
/// back on the queue".
#[tokio::test]
async fn agentmon_replay_dead_letters_requeues_one_orgs_dead_letters() {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    app.create_org("beta", "UTC").await;
    app.poison_session_poison().await;
    app.ingest(&[
        event("acme", "SESSION_STARTED").session("poison").build(),
        event("beta", "SESSION_STARTED").session("poison").build(),
    ])
    .await;
    let dead = "SELECT count(*) AS n FROM dead_letters";
    let worker = app.worker(100);
    for _ in 0..100 {
        worker.drain().await.unwrap_or_else(|e| panic!("{e}"));
        if app.count(dead).await == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(app.count(dead).await, 2);

    app.cure_poison().await;
    let said = succeeded(
        &agentmon(&app, &["replay", "--dead-letters", "--org", "acme"]).await,
        "replay --dead-letters",
    );
    assert!(said.starts_with("1 dead letters put back"), "{said}");
    app.project_all().await;
    let projected = |slug: &str| {
        format!(
            "SELECT count(*) AS n FROM sessions s JOIN orgs o ON o.id = s.org_id \
             WHERE o.slug = '{slug}' AND s.session_id = 'poison'"
        )
    };
    assert_eq!(app.count(&projected("acme")).await, 1);
    assert_eq!(app.count(&projected("beta")).await, 0, "beta's stays dead");
    assert_eq!(app.count(dead).await, 1);
    assert_eq!(
        app.count(
            "SELECT count(*) AS n FROM audit_log \
             WHERE action = 'DEAD_LETTERS_RETRIED' AND actor_sub = 'cli:claims-operator'"
        )
        .await,
        1
    );
}
