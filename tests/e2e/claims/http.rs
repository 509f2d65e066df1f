//! The query limits, the request timeout and request ids, as the README says.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use diesel_async::{AsyncConnection, RunQueryDsl};
use serde_json::{json, Value};
use tower::ServiceExt;

use crate::harness::{error_code, TestApp, SECRET};

use super::*;

/// An introspection query exactly `depth` fields deep (at least 5):
/// `__schema`, `types`, `fields`, `type`, then `ofType`s down to `name`.
fn introspection_of_depth(depth: usize) -> String {
    let mut inner = String::from("name");
    for _ in 0..depth - 5 {
        inner = format!("ofType {{ {inner} }}");
    }
    format!("{{ __schema {{ types {{ fields {{ type {{ {inner} }} }} }} }} }}")
}

/// README: `AGENTMON_MAX_QUERY_DEPTH` `16`; deeper queries are refused.
#[tokio::test]
async fn a_query_16_deep_runs_and_one_17_deep_is_refused() {
    let app = TestApp::new().await;
    let body = app
        .graphql(None, &introspection_of_depth(16), json!({}))
        .await;
    assert!(body["errors"].is_null(), "{}", body["errors"]);
    assert!(body["data"]["__schema"]["types"].is_array());
    let body = app
        .graphql(None, &introspection_of_depth(17), json!({}))
        .await;
    assert!(body["data"].is_null(), "{body}");
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    assert!(first_message(&body).contains("deep"), "{body}");
}

/// `n` aliases of `me { userId }` (two points each: `__typename` counts
/// none), and `extra` more fields on a last one.
fn viewers(n: usize, extra: &str) -> String {
    let fields: Vec<String> = (0..n).map(|i| format!("t{i}: me {{ userId }}")).collect();
    format!("{{ {} {extra} }}", fields.join(" "))
}

/// README: `AGENTMON_MAX_QUERY_COMPLEXITY` `5000`; more complex queries are
/// refused.
#[tokio::test]
async fn a_query_of_complexity_5000_runs_and_one_of_5001_is_refused() {
    let app = TestApp::new().await;
    let token = app.super_admin();
    let body = app
        .graphql(Some(&token), &viewers(2_500, ""), json!({}))
        .await;
    assert!(body["errors"].is_null(), "{}", body["errors"]);
    assert_eq!(
        body["data"]["t2499"]["userId"], "tester",
        "{}",
        body["data"]["t2499"]
    );
    // 2,499 × 2 + 3 = 5,001.
    let body = app
        .graphql(
            Some(&token),
            &viewers(2_499, "x: me { userId role }"),
            json!({}),
        )
        .await;
    assert!(body["data"].is_null(), "{}", body["errors"]);
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{}", body["errors"]);
    assert!(
        first_message(&body).contains("complex"),
        "{}",
        body["errors"]
    );
}

/// README's configuration table: the defaults `serve` starts with.
#[test]
fn the_server_starts_with_the_documented_limits() {
    use clap::Parser;
    let cli = agentmon_api::cli::Cli::try_parse_from(["agentmon", "serve"])
        .unwrap_or_else(|e| panic!("{e}"));
    let agentmon_api::cli::Command::Serve(serve) = cli.command else {
        panic!("`agentmon serve` is not the serve command");
    };
    assert_eq!(serve.max_query_depth, 16, "AGENTMON_MAX_QUERY_DEPTH");
    assert_eq!(
        serve.max_query_complexity, 5_000,
        "AGENTMON_MAX_QUERY_COMPLEXITY"
    );
    assert_eq!(
        serve.request_timeout,
        Duration::from_secs(30),
        "AGENTMON_REQUEST_TIMEOUT"
    );
    let limits = agentmon_api::graphql::Limits::default();
    assert_eq!(
        (limits.depth, limits.complexity),
        (16, 5_000),
        "the schema's own defaults agree"
    );
}

/// README: "Every request has `AGENTMON_REQUEST_TIMEOUT` (30 s) to produce
/// its response."
#[tokio::test]
async fn a_request_slower_than_the_timeout_gets_408_and_the_server_goes_on() {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    let router = app.router_with_timeout(Duration::from_millis(500));
    let token = app.super_admin();
    let orgs = || {
        Request::post("/graphql")
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::from(
                json!({ "query": "{ orgs { slug } }" }).to_string(),
            ))
            .unwrap_or_else(|e| panic!("{e}"))
    };
    // The request waits for a table another transaction holds.
    let mut owner = app.db.owner().await.unwrap_or_else(|e| panic!("{e}"));
    let (status, waited) = owner
        .transaction::<_, diesel::result::Error, _>(async |tx| {
            diesel::sql_query("LOCK TABLE orgs IN ACCESS EXCLUSIVE MODE")
                .execute(tx)
                .await?;
            let started = Instant::now();
            let response = router
                .clone()
                .oneshot(orgs())
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            Ok((response.status(), started.elapsed()))
        })
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(status, StatusCode::REQUEST_TIMEOUT);
    assert!(
        waited >= Duration::from_millis(500) && waited < Duration::from_secs(3),
        "answered after {waited:?}"
    );
    // The lock gone, the same request is answered.
    let response = router
        .oneshot(orgs())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(response.status(), StatusCode::OK);
}

/// A request id sent by the client is the one the response carries; others
/// get one each.
#[tokio::test]
async fn the_clients_request_id_is_echoed_and_others_get_one_each() {
    let app = TestApp::new().await;
    let healthz = |id: Option<&str>| {
        let mut request = Request::get("/healthz");
        if let Some(id) = id {
            request = request.header("x-request-id", id);
        }
        request
            .body(Body::empty())
            .unwrap_or_else(|e| panic!("{e}"))
    };
    let response = app.respond(healthz(Some("claims-trace-1"))).await;
    assert_eq!(response.headers()["x-request-id"], "claims-trace-1");
    let mut ids = Vec::new();
    for _ in 0..2 {
        let response = app.respond(healthz(None)).await;
        let id = response.headers()["x-request-id"]
            .to_str()
            .unwrap_or_default()
            .to_string();
        assert!(!id.is_empty());
        ids.push(id);
    }
    assert_ne!(ids[0], ids[1], "each request has an id of its own");
}

/// A server process, killed when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// README: `AGENTMON_LOG_FORMAT=json` — "every line of a request carries its
/// `request_id`", the id the client sent in `X-Request-Id`.
#[tokio::test]
async fn json_log_lines_of_a_request_carry_its_request_id() {
    let app = TestApp::new().await;
    let port = agentmon_core::storage::db::embedded::free_port().unwrap_or_else(|e| panic!("{e}"));
    let addr = format!("127.0.0.1:{port}");
    let log_path = temp_path("claims-log");
    let log = std::fs::File::create(&log_path).unwrap_or_else(|e| panic!("{e}"));
    let server = Server(
        Command::new(env!("CARGO_BIN_EXE_agentmon"))
            .args(["serve", "--no-worker", "--listen", &addr])
            .env("DATABASE_URL", app.url())
            .env("AGENTMON_JWT_SECRET", SECRET)
            .env("AGENTMON_LOG_FORMAT", "json")
            .env("RUST_LOG", "info")
            .env_remove("DATABASE_APP_URL")
            .env_remove("REDIS_URL")
            .env_remove("AGENTMON_WEB_DIR")
            .env_remove("AGENTMON_DEMO")
            .stdout(Stdio::null())
            .stderr(Stdio::from(log))
            .spawn()
            .unwrap_or_else(|e| panic!("{e}")),
    );
    wait_ready(&addr).await;

    let id = format!("claims-{}", uuid::Uuid::new_v4().simple());
    let response = reqwest::Client::new()
        .post(format!("http://{addr}/graphql"))
        .header("x-request-id", &id)
        .bearer_auth(app.super_admin())
        .json(&json!({ "query": "{ me { role } }" }))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-request-id"], id.as_str());

    // The line saying the request was served is written as it leaves.
    let deadline = Instant::now() + Duration::from_secs(5);
    let lines: Vec<Value> = loop {
        let text = std::fs::read_to_string(&log_path).unwrap_or_default();
        // Only whole lines: the last piece may still be being written.
        let whole = text.rsplit_once('\n').map_or("", |(whole, _)| whole);
        let lines: Vec<Value> = whole
            .lines()
            .filter(|line| line.contains(id.as_str()))
            .map(|line| {
                serde_json::from_str(line)
                    .unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"))
            })
            .collect();
        if lines.iter().any(|l| l["fields"]["message"] == "served") || Instant::now() > deadline {
            break lines;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    drop(server);
    let _ = std::fs::remove_file(&log_path);
    let served: Vec<&Value> = lines
        .iter()
        .filter(|l| l["fields"]["message"] == "served")
        .collect();
    assert_eq!(served.len(), 1, "{lines:#?}");
    assert_eq!(served[0]["fields"]["status"], 200, "{:#}", served[0]);
    for line in &lines {
        assert_eq!(line["span"]["request_id"], id.as_str(), "{line:#}");
    }
}
