//! CSV exports: Bearer auth, the filters and permissions of the queries,
//! proper quoting, formulas defused.

use agentmon_core::auth::{MintRequest, Role};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use serde_json::{json, Value};
use tower::ServiceExt;

use crate::harness::{event, TestApp};

async fn get(app: &TestApp, path: &str, token: Option<&str>) -> (StatusCode, String) {
    let mut request = Request::get(path);
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let (status, body) = app
        .request(
            request
                .body(Body::empty())
                .unwrap_or_else(|e| panic!("{e}")),
        )
        .await;
    let text = match body {
        Value::String(s) => s,
        other => other.to_string(),
    };
    (status, text)
}

async fn seeded() -> TestApp {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    app.create_org("globex", "UTC").await;
    app.ingest(&[
        event("acme", "SESSION_STARTED")
            .session("s-alice")
            .user("alice")
            .set(
                "attributes",
                json!({"note": "he said \"hi\", then\nleft", "formula": "=HYPERLINK(\"x\")"}),
            )
            .build(),
        event("acme", "RUN_FINISHED")
            .session("s-alice")
            .user("alice")
            .run("r1")
            .set(
                "run",
                json!({"status": "SUCCEEDED", "costUsd": "1.25", "durationMs": 10}),
            )
            .build(),
        event("acme", "SESSION_STARTED")
            .session("s-bob")
            .user("bob")
            .set("attributes", json!({"repo": "api"}))
            .build(),
    ])
    .await;
    app.project_all().await;
    app
}

fn parse(text: &str) -> Vec<Vec<String>> {
    csv::Reader::from_reader(text.as_bytes())
        .records()
        .map(|r| {
            r.unwrap_or_else(|e| panic!("{e}: {text}"))
                .iter()
                .map(String::from)
                .collect()
        })
        .collect()
}

#[tokio::test]
async fn sessions_export_quotes_filters_and_defuses_formulas() {
    let app = seeded().await;
    let manager = app.token(MintRequest::User {
        sub: "m".into(),
        role: Role::Manager,
        org: Some("acme".into()),
    });
    let (status, text) = get(&app, "/export/sessions.csv?org=acme", Some(&manager)).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert!(text.starts_with("session_id,user_id,started_at"), "{text}");
    let rows = parse(&text);
    assert_eq!(rows.len(), 2, "{text}");
    let alice = rows
        .iter()
        .find(|r| r[0] == "s-alice")
        .unwrap_or_else(|| panic!("{text}"));
    assert_eq!(alice[9], "1.25");
    let attributes: Value = serde_json::from_str(&alice[15]).unwrap_or_default();
    assert_eq!(
        attributes["note"], "he said \"hi\", then\nleft",
        "quoting survives a round trip"
    );

    let (_, text) = get(
        &app,
        "/export/sessions.csv?org=acme&attribute=repo:api",
        Some(&manager),
    )
    .await;
    let rows = parse(&text);
    assert_eq!(
        rows.iter().map(|r| r[0].as_str()).collect::<Vec<_>>(),
        ["s-bob"]
    );

    // A cell a spreadsheet would run as a formula starts with a quote.
    let app2 = TestApp::new().await;
    app2.create_org("acme", "UTC").await;
    app2.ingest(&[event("acme", "SESSION_STARTED")
        .session("=cmd|' /C calc'!A0")
        .user("=1+1")
        .build()])
        .await;
    app2.project_all().await;
    let admin = app2.super_admin();
    let (_, text) = get(&app2, "/export/sessions.csv?org=acme", Some(&admin)).await;
    let rows = parse(&text);
    assert_eq!(rows[0][0], "'=cmd|' /C calc'!A0");
    assert_eq!(rows[0][1], "'=1+1");
}

#[tokio::test]
async fn exports_keep_the_permissions_of_the_queries() {
    let app = seeded().await;
    let member = app.token(MintRequest::User {
        sub: "alice".into(),
        role: Role::Member,
        org: Some("acme".into()),
    });
    let (status, text) = get(&app, "/export/sessions.csv?org=acme", Some(&member)).await;
    assert_eq!(status, StatusCode::OK);
    let ids: Vec<String> = parse(&text).into_iter().map(|r| r[0].clone()).collect();
    assert_eq!(ids, ["s-alice"], "a member exports only their own sessions");
    let (status, _) = get(
        &app,
        "/export/sessions.csv?org=acme&userId=bob",
        Some(&member),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = get(
        &app,
        "/export/users.csv?org=acme&from=2026-11-01&to=2026-11-30",
        Some(&member),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = get(&app, "/export/sessions.csv?org=globex", Some(&member)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = get(&app, "/export/sessions.csv?org=acme", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = get(
        &app,
        "/export/sessions.csv?org=acme",
        Some(&app.ingest_token(&["*"])),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let admin = app.super_admin();
    let (status, text) = get(
        &app,
        "/export/sessions.csv?org=acme&from=yesterday",
        Some(&admin),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{text}");
    let (status, _) = get(&app, "/export/sessions.csv?org=nosuch", Some(&admin)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn users_export_lists_users_by_runs() {
    let app = seeded().await;
    let admin = app.super_admin();
    let (status, text) = get(
        &app,
        "/export/users.csv?org=acme&from=2026-11-01&to=2026-11-30",
        Some(&admin),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let rows = parse(&text);
    assert_eq!(
        rows.iter().map(|r| r[0].as_str()).collect::<Vec<_>>(),
        ["alice", "bob"],
        "{text}"
    );
    assert_eq!(rows[0][4], "1", "alice's runs");
    assert_eq!(rows[0][10], "1.25", "alice's cost");
}

#[tokio::test]
async fn exports_refuse_unbounded_asks_with_what_to_fix() {
    let app = seeded().await;
    let admin = app.super_admin();
    let (status, body) = get(
        &app,
        "/export/users.csv?org=acme&from=2000-01-01&to=2026-01-01",
        Some(&admin),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains("at most 3660 days"), "{body}");
    let many: String = (0..17).map(|i| format!("&attribute=k{i}:v")).collect();
    let (status, body) = get(
        &app,
        &format!("/export/sessions.csv?org=acme{many}"),
        Some(&admin),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains("at most 16 attribute conditions"), "{body}");
}

#[tokio::test]
async fn a_server_streams_a_bounded_number_of_exports_at_once() {
    let app = seeded().await;
    let admin = app.super_admin();
    let busy = app
        .exports
        .clone()
        .acquire_many_owned(agentmon_api::http::MAX_CONCURRENT_EXPORTS as u32)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let response = app
        .respond(
            Request::get("/export/sessions.csv?org=acme")
                .header(header::AUTHORIZATION, format!("Bearer {admin}"))
                .body(Body::empty())
                .unwrap_or_else(|e| panic!("{e}")),
        )
        .await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(response.headers()[header::RETRY_AFTER], "5");
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap_or_default();
    let body: Value = serde_json::from_slice(&body).unwrap_or_default();
    assert_eq!(body["errors"][0]["extensions"]["code"], "RATE_LIMITED");
    assert_eq!(body["errors"][0]["extensions"]["retryAfterSeconds"], 5);
    drop(busy);
    let (status, _) = get(&app, "/export/sessions.csv?org=acme", Some(&admin)).await;
    assert_eq!(status, StatusCode::OK, "a slot is free again");
}

/// 4,000 sessions of ann: more pages than an export's stream buffers, so
/// a download its client does not read stays open.
async fn many_sessions_of_ann(app: &TestApp) {
    for call in 0..4 {
        let events: Vec<Value> = (0..1_000)
            .map(|i| {
                event("acme", "SESSION_STARTED")
                    .session(&format!("s-{call}-{i}"))
                    .user("ann")
                    .build()
            })
            .collect();
        let body = app.ingest(&events).await;
        assert_eq!(body["data"]["ingestEvents"]["accepted"], 1_000, "{body}");
    }
}

#[tokio::test]
async fn a_user_streams_at_most_two_exports_at_once_and_others_are_not_held_up() {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    many_sessions_of_ann(&app).await;
    let admin = |sub: &str| {
        app.token(MintRequest::User {
            sub: sub.into(),
            role: Role::OrgAdmin,
            org: Some("acme".into()),
        })
    };
    let export = |token: String| {
        app.respond(
            Request::get("/export/user.jsonl?org=acme&userId=ann")
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .body(Body::empty())
                .unwrap_or_else(|e| panic!("{e}")),
        )
    };
    let slow = admin("slow-reader");
    let first = export(slow.clone()).await;
    let second = export(slow.clone()).await;
    assert_eq!(first.status(), StatusCode::OK);
    assert_eq!(second.status(), StatusCode::OK);
    let third = export(slow.clone()).await;
    assert_eq!(third.status(), StatusCode::TOO_MANY_REQUESTS);
    let body = axum::body::to_bytes(third.into_body(), usize::MAX)
        .await
        .unwrap_or_default();
    assert!(
        String::from_utf8_lossy(&body).contains("exports at once per user"),
        "{}",
        String::from_utf8_lossy(&body)
    );
    // Another admin of the org is not held up by the slow reader.
    let other = export(admin("colleague")).await;
    assert_eq!(other.status(), StatusCode::OK);
    let all = axum::body::to_bytes(other.into_body(), usize::MAX)
        .await
        .unwrap_or_default();
    assert_eq!(
        String::from_utf8_lossy(&all).lines().count(),
        4_001,
        "the profile and every event"
    );
    // A download given up frees its slot.
    drop(first);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let again = export(slow.clone()).await;
        if again.status() == StatusCode::OK {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the slot never came back"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    drop(second);
}

#[tokio::test]
async fn a_download_whose_client_reads_nothing_is_aborted_and_gives_back_its_slots() {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    many_sessions_of_ann(&app).await;
    let stall = std::time::Duration::from_millis(500);
    let server = app.router_with_export_stall(stall);
    let token = app.token(MintRequest::User {
        sub: "slow-reader".into(),
        role: Role::OrgAdmin,
        org: Some("acme".into()),
    });
    let export = || {
        server.clone().oneshot(
            Request::get("/export/user.jsonl?org=acme&userId=ann")
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .body(Body::empty())
                .unwrap_or_else(|e| panic!("{e}")),
        )
    };
    // Two downloads the client never reads take the user's two slots.
    let first = export().await.unwrap_or_else(|e| panic!("{e}"));
    let second = export().await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(first.status(), StatusCode::OK);
    assert_eq!(second.status(), StatusCode::OK);
    let refused = export().await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    // Both stalled downloads give back their server slots (the client
    // still holds both responses).
    let deadline = std::time::Instant::now() + stall * 20;
    while app.exports.available_permits() < agentmon_api::http::MAX_CONCURRENT_EXPORTS {
        assert!(
            std::time::Instant::now() < deadline,
            "the stalled downloads kept their slots"
        );
        tokio::time::sleep(stall / 5).await;
    }
    let third = export().await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        third.status(),
        StatusCode::OK,
        "the user's slot is free again"
    );
    // A stalled download, read at last, ends with an error: never as if
    // the file were complete.
    let read = axum::body::to_bytes(first.into_body(), usize::MAX).await;
    assert!(read.is_err(), "the body ended cleanly after a stall");
    // A download read at once is whole.
    let all = axum::body::to_bytes(third.into_body(), usize::MAX)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        String::from_utf8_lossy(&all).lines().count(),
        4_001,
        "the profile and every event"
    );
    drop(second);
}
