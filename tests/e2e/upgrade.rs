//! Upgrades: a binary older than its database (one migrated by a newer
//! agentmon) refuses to start, saying what to do, and changes nothing.

use std::process::{Command, Stdio};

use serde_json::{json, Value};

use crate::harness::process::{agentmon, listening, post, succeeded, Server};
use crate::harness::{TestApp, TestDb};

#[tokio::test]
async fn a_binary_older_than_the_database_refuses_to_start() {
    let app = TestApp::new().await;
    app.count(
        "WITH newer AS (INSERT INTO __diesel_schema_migrations (version) VALUES ('29991231000000') RETURNING 1) \
         SELECT count(*) AS n FROM newer",
    )
    .await;
    for args in [
        vec!["migrate"],
        vec!["serve", "--no-worker", "--listen", "127.0.0.1:0"],
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_agentmon"))
            .args(&args)
            .env("DATABASE_URL", app.url())
            .env("AGENTMON_JWT_SECRET", crate::harness::SECRET)
            .env_remove("DATABASE_APP_URL")
            .env_remove("REDIS_URL")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{e}"));
        // A binary that does not refuse would run on: stopped, and failed.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while matches!(child.try_wait(), Ok(None)) {
            if std::time::Instant::now() > deadline {
                let _ = child.kill();
                panic!("{args:?} did not refuse to start");
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let out = child.wait_with_output().unwrap_or_else(|e| panic!("{e}"));
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} started: {said}");
        assert!(
            said.contains("migrated by a newer agentmon (migration 29991231000000"),
            "{args:?}: {said}"
        );
    }
    assert_eq!(
        app.count(
            "SELECT count(*) AS n FROM __diesel_schema_migrations WHERE version = '29991231000000'"
        )
        .await,
        1,
        "left as it was"
    );
}

fn fixture(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/upgrade")
        .join(name)
}

/// The database the previous release made and filled
/// (`scripts/upgrade-fixture.sh`), restored into a new database and opened
/// by this binary: its migrations apply, every table keeps its rows, the
/// answers are those the previous release gave, and its API key works.
#[tokio::test]
async fn a_database_of_the_previous_release_opens_with_every_row_and_figure() {
    let db = TestDb::empty().await;
    let recorded: Value = serde_json::from_str(
        &std::fs::read_to_string(fixture("answers.json")).unwrap_or_else(|e| panic!("{e}")),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let dump = fixture("previous.dump");
    let said = succeeded(
        agentmon(&["restore", dump.to_str().unwrap_or_default()]).env("DATABASE_URL", &db.url),
    );
    assert!(
        said.contains("newer migrations"),
        "this version's migrations applied: {said}"
    );

    // Every row the previous release wrote is there (jobs may be queued
    // by a migration; the migrations' own list grows).
    let (client, connection) = tokio_postgres::connect(&db.url, tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    tokio::spawn(connection);
    let rows = std::fs::read_to_string(fixture("rows.txt")).unwrap_or_else(|e| panic!("{e}"));
    let mut checked = 0;
    for line in rows.lines() {
        let Some((table, count)) = line.split_once(' ') else {
            continue;
        };
        let before: i64 = count
            .trim()
            .parse()
            .unwrap_or_else(|e| panic!("{line}: {e}"));
        let now: i64 = client
            .query_one(&format!("SELECT count(*) FROM public.\"{table}\""), &[])
            .await
            .unwrap_or_else(|e| panic!("{table}: {e}"))
            .get(0);
        if table == "jobs" || table == "__diesel_schema_migrations" {
            assert!(now >= before, "{table}: {now} rows, {before} before");
        } else {
            assert_eq!(now, before, "{table} kept every row");
        }
        checked += 1;
    }
    assert!(checked > 20, "{rows}");

    let secret = recorded["jwt_secret"].as_str().unwrap_or_default();
    let port = agentmon_core::storage::db::embedded::free_port().unwrap_or_else(|e| panic!("{e}"));
    let _server = Server(
        agentmon(&[
            "serve",
            "--no-worker",
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .env("DATABASE_URL", &db.url)
        .env("AGENTMON_JWT_SECRET", secret)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}")),
    );
    listening(port);
    let url = format!("http://127.0.0.1:{port}");
    let token =
        succeeded(agentmon(&["token", "--role", "SUPER_ADMIN"]).env("AGENTMON_JWT_SECRET", secret));
    let token = token.lines().last().unwrap_or_default().trim().to_string();
    let queries: Vec<Value> = serde_json::from_str(
        &std::fs::read_to_string(fixture("queries.json")).unwrap_or_else(|e| panic!("{e}")),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    for q in &queries {
        let name = q["name"].as_str().unwrap_or_default();
        let body = post(
            &url,
            &token,
            q["query"].as_str().unwrap_or_default(),
            json!({}),
        )
        .await;
        assert_eq!(
            body["data"], recorded["answers"][name],
            "{name}: this version answers what the previous release did"
        );
    }
    // The previous release's API key still ingests.
    let key = recorded["api_key"].as_str().unwrap_or_default();
    let event = crate::harness::event("demo-1", "SESSION_STARTED")
        .session("after-upgrade")
        .build();
    let body = post(
        &url,
        key,
        "mutation($e: [EventInput!]!) { ingestEvents(events: $e) { accepted } }",
        json!({ "e": [event] }),
    )
    .await;
    assert_eq!(body["data"]["ingestEvents"]["accepted"], 1, "{body}");
}
