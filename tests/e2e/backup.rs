//! Backups that restore: a database filled through the API (events and
//! their figures, an API key, roles, a team, an alert rule, the audit
//! log) backed up with `agentmon backup`, restored with `agentmon restore`
//! into a new data directory (the embedded cluster), holds every row of
//! every table as it was; the server on it answers the same figures, takes
//! the API key and the tokens signed with the same secret, and knows the
//! events it had already accepted.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use agentmon_core::auth::Role;
use serde_json::{json, Value};

use crate::harness::process::{agentmon, listening, post, succeeded, Server};
use crate::harness::{event, TestApp, SECRET};

/// Every table's rows, as one digest each (md5 of the rows as text, in
/// order), with its row count.
async fn tables(url: &str) -> Vec<(String, i64, String)> {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    tokio::spawn(connection);
    let names = client
        .query(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition \
             ORDER BY 1",
            &[],
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let mut out = Vec::new();
    for row in names {
        let name: String = row.get(0);
        let digest = client
            .query_one(
                &format!(
                    "SELECT count(*), coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') \
                     FROM public.\"{name}\" t"
                ),
                &[],
            )
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        out.push((name, digest.get(0), digest.get(1)));
    }
    out
}

const FIGURES: &str = "{ org(slug: \"acme\") { overview(range: {from: \"2026-11-01\", to: \"2026-11-30\"}) { kpis { sessions runs costUsd successRate activeUsers } } \
  apiKeys { id name prefix } members { id role } teams { name members { id } } alertRules { name threshold } \
  auditLog { edges { node { action } } } } }";

const INGEST: &str =
    "mutation($events: [EventInput!]!) { ingestEvents(events: $events) { accepted duplicates } }";

fn november(run: &str, user: &str, cost: &str, day: u32) -> Value {
    event("acme", "RUN_FINISHED")
        .user(user)
        .session(&format!("s-{run}"))
        .run(run)
        .at(format!("2026-11-{day:02}T10:00:00Z")
            .parse()
            .unwrap_or_else(|e| panic!("{e}")))
        .set("run", json!({ "status": "SUCCEEDED", "costUsd": cost }))
        .build()
}

#[tokio::test]
async fn a_backup_restores_into_a_new_data_directory_with_every_row() {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    let events: Vec<Value> = (1..=20)
        .map(|i| {
            november(
                &format!("r{i}"),
                ["ann", "bob", "cy"][i % 3],
                "0.25",
                (i % 28 + 1) as u32,
            )
        })
        .collect();
    app.seed(&events).await;
    let admin = app.user_token(Role::OrgAdmin, Some("acme"));
    let body = app
        .graphql(
            Some(&admin),
            "mutation { createApiKey(org: \"acme\", name: \"ci\") { secret } \
             setUserRole(org: \"acme\", userId: \"bob\", role: MANAGER) { id } \
             createTeam(org: \"acme\", name: \"Core\") { id } \
             createAlertRule(org: \"acme\", rule: {name: \"Budget\", metric: COST_USD, window: MONTH, threshold: 100, warnAt: 0.8, channelIds: []}) { id } }",
            json!({}),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
    let key = body["data"]["createApiKey"]["secret"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let by_key = november("k1", "ann", "1.5", 30);
    let accepted = app.ingest_as(&key, std::slice::from_ref(&by_key)).await;
    assert_eq!(
        accepted["data"]["ingestEvents"]["accepted"], 1,
        "{accepted}"
    );
    app.project_all().await;
    let before = app.graphql(Some(&admin), FIGURES, json!({})).await;
    assert!(before["errors"].is_null(), "{before}");
    let rows_before = tables(app.url()).await;

    let dir: PathBuf = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("backup-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let file = dir.join("agentmon.dump");
    let said = succeeded(
        agentmon(&["backup", file.to_str().unwrap_or_default()]).env("DATABASE_URL", app.url()),
    );
    assert!(said.contains("JWT secret"), "{said}");

    // Into a new data directory: the embedded cluster.
    let data = dir.join("data");
    succeeded(
        agentmon(&["restore", file.to_str().unwrap_or_default()]).env("AGENTMON_DATA_DIR", &data),
    );
    // Once is enough: a second restore into the same database is refused.
    let again = agentmon(&["restore", file.to_str().unwrap_or_default()])
        .env("AGENTMON_DATA_DIR", &data)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("not empty"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );

    let port = agentmon_core::storage::db::embedded::free_port().unwrap_or_else(|e| panic!("{e}"));
    let (server, pg_port) = serve(&data, port);
    let restored_url = format!(
        "postgres://agentmon:{}@127.0.0.1:{pg_port}/agentmon",
        std::fs::read_to_string(data.join("pg-password"))
            .unwrap_or_default()
            .trim()
    );
    let rows_after = tables(&restored_url).await;
    assert_eq!(
        rows_after.iter().map(|t| &t.0).collect::<Vec<_>>(),
        rows_before.iter().map(|t| &t.0).collect::<Vec<_>>(),
        "the same tables"
    );
    for (a, b) in rows_before.iter().zip(&rows_after) {
        assert_eq!(a, b, "table {} differs after the restore", a.0);
    }
    assert!(rows_before.iter().any(|t| t.0 == "events" && t.1 == 21));

    let url = format!("http://127.0.0.1:{port}");
    let after = post(&url, &admin, FIGURES, json!({})).await;
    assert_eq!(
        after, before,
        "the same figures, keys, roles, teams, rules and audit log"
    );
    // The key and the tokens work; an event accepted before is known.
    let resent = post(&url, &key, INGEST, json!({ "events": [by_key] })).await;
    assert_eq!(
        resent["data"]["ingestEvents"],
        json!({"accepted": 0, "duplicates": 1}),
        "{resent}"
    );
    let fresh = post(
        &url,
        &key,
        INGEST,
        json!({ "events": [november("k2", "ann", "2", 30)] }),
    )
    .await;
    assert_eq!(
        fresh["data"]["ingestEvents"],
        json!({"accepted": 1, "duplicates": 0}),
        "{fresh}"
    );
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}

/// `agentmon serve` on data directory `data`; the server and the port of
/// the embedded PostgreSQL it says it runs on.
fn serve(data: &Path, port: u16) -> (Server, u16) {
    let mut child = agentmon(&[
        "serve",
        "--no-worker",
        "--listen",
        &format!("127.0.0.1:{port}"),
    ])
    .env("AGENTMON_DATA_DIR", data)
    .env("AGENTMON_JWT_SECRET", SECRET)
    .stdout(Stdio::piped())
    .stderr(Stdio::null())
    .spawn()
    .unwrap_or_else(|e| panic!("{e}"));
    let stdout = child.stdout.take().unwrap_or_else(|| panic!("no stdout"));
    let server = Server(child);
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut lines = BufReader::new(stdout).lines();
    let pg_port = loop {
        let Some(Ok(line)) = lines.next() else {
            panic!("the server stopped before saying where its PostgreSQL runs");
        };
        if let Some(at) = line.split("embedded, on 127.0.0.1:").nth(1) {
            break at.trim().parse().unwrap_or_else(|e| panic!("{line}: {e}"));
        }
        assert!(
            Instant::now() < deadline,
            "the server said nothing of its PostgreSQL"
        );
    };
    // Read on, so that the server's later lines do not hit a closed pipe.
    std::thread::spawn(move || lines.for_each(drop));
    listening(port);
    (server, pg_port)
}
