//! Ingest refusals across events and calls: a session or run claimed by
//! another, a call over the size limit, NUL characters in an event or an
//! argument. Each refuses only what breaks the rule.

use serde_json::{json, Value};

use crate::harness::{event, TestApp};

#[tokio::test]
async fn an_event_naming_another_user_for_a_known_session_is_rejected() {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    let first = app
        .ingest(&[event("acme", "SESSION_STARTED").user("alice").build()])
        .await;
    assert_eq!(first["data"]["ingestEvents"]["accepted"], 1);

    let body = app
        .ingest(&[
            event("acme", "MESSAGE_SENT")
                .user("bob")
                .set("message", json!({"role": "USER"}))
                .build(),
            // Within one call, the first event of a new session decides its user.
            event("acme", "SESSION_STARTED")
                .session("s2")
                .user("carol")
                .build(),
            event("acme", "SESSION_ENDED")
                .session("s2")
                .user("dave")
                .build(),
        ])
        .await;
    let result = &body["data"]["ingestEvents"];
    assert_eq!(result["accepted"], 1, "{body}");
    let codes: Vec<(i64, &str)> = result["rejected"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .iter()
        .map(|r| {
            (
                r["index"].as_i64().unwrap_or(-1),
                r["code"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        codes,
        vec![(0, "SESSION_USER_MISMATCH"), (2, "SESSION_USER_MISMATCH")]
    );
}

#[tokio::test]
async fn more_than_1000_events_fail_the_call_with_bad_user_input() {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    let events: Vec<Value> = (0..1001)
        .map(|_| event("acme", "SESSION_STARTED").build())
        .collect();
    let body = app.ingest(&events).await;
    assert_eq!(
        crate::harness::error_code(&body),
        "BAD_USER_INPUT",
        "{body}"
    );
    assert!(body["errors"][0]["message"]
        .as_str()
        .unwrap_or_default()
        .contains("1000"));

    let events: Vec<Value> = (0..1000)
        .map(|_| event("acme", "SESSION_STARTED").build())
        .collect();
    let body = app.ingest(&events).await;
    assert_eq!(body["data"]["ingestEvents"]["accepted"], 1000, "{body}");
}

#[tokio::test]
async fn a_run_id_named_in_another_session_is_rejected_naming_both_sessions() {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    let first = app
        .ingest(&[event("acme", "RUN_STARTED").session("s1").run("r1").build()])
        .await;
    assert_eq!(first["data"]["ingestEvents"]["accepted"], 1, "{first}");
    // Whatever the order of arrival: the run stays with the session that named it first.
    let body = app
        .ingest(&[
            event("acme", "RUN_FINISHED")
                .session("s2")
                .run("r1")
                .set("run", json!({"status": "SUCCEEDED"}))
                .build(),
            event("acme", "RUN_FINISHED")
                .session("s1")
                .run("r1")
                .set("run", json!({"status": "FAILED"}))
                .build(),
            // Within one call, the first event of a new run decides its session.
            event("acme", "RUN_STARTED").session("s3").run("r2").build(),
            event("acme", "RUN_STARTED").session("s4").run("r2").build(),
        ])
        .await;
    let result = &body["data"]["ingestEvents"];
    assert_eq!(result["accepted"], 2, "{body}");
    let rejected = result["rejected"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"));
    let codes: Vec<(i64, &str)> = rejected
        .iter()
        .map(|r| {
            (
                r["index"].as_i64().unwrap_or(-1),
                r["code"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        codes,
        vec![(0, "RUN_SESSION_MISMATCH"), (3, "RUN_SESSION_MISMATCH")]
    );
    let message = rejected[0]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("\"s1\"") && message.contains("\"s2\""),
        "{message}"
    );
    assert_eq!(
        app.count("SELECT count(*) AS n FROM events WHERE run_id = 'r1'")
            .await,
        2,
        "the other session's event is not stored"
    );
}

#[tokio::test]
async fn an_event_holding_a_nul_character_is_rejected_alone() {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    let mut events: Vec<Value> = (0..5)
        .map(|i| {
            event("acme", "SESSION_STARTED")
                .session(&format!("good-{i}"))
                .build()
        })
        .collect();
    events.insert(
        2,
        event("acme", "MESSAGE_SENT")
            .session("bad")
            .set(
                "message",
                json!({"role": "USER", "text": "hello\u{0}world"}),
            )
            .build(),
    );
    events.push(
        event("acme", "SESSION_STARTED")
            .session("bad-attribute")
            .set("attributes", json!({"repo": "web\u{0}"}))
            .build(),
    );
    let body = app.ingest(&events).await;
    let result = &body["data"]["ingestEvents"];
    assert_eq!(result["accepted"], 5, "{body}");
    assert_eq!(result["rejected"][0]["index"], 2, "{body}");
    assert_eq!(result["rejected"][0]["code"], "INVALID_EVENT", "{body}");
    assert!(
        result["rejected"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .starts_with("message.text holds a NUL character"),
        "{body}"
    );
    assert_eq!(result["rejected"][1]["index"], 6, "{body}");
    assert!(
        result["rejected"][1]["message"]
            .as_str()
            .unwrap_or_default()
            .starts_with("attributes.repo holds a NUL"),
        "{body}"
    );
    assert_eq!(app.count("SELECT count(*) AS n FROM events").await, 5);
    // The same call again: the five are duplicates, nothing else changes.
    let again = app.ingest(&events).await;
    assert_eq!(again["data"]["ingestEvents"]["duplicates"], 5, "{again}");
}

#[tokio::test]
async fn an_argument_holding_a_nul_character_is_bad_user_input() {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    let token = app.super_admin();
    let body = app
        .graphql(
            Some(&token),
            "query($slug: String!) { org(slug: $slug) { name } }",
            json!({ "slug": "ac\u{0}me" }),
        )
        .await;
    assert_eq!(
        crate::harness::error_code(&body),
        "BAD_USER_INPUT",
        "{body}"
    );
    let body = app
        .graphql(
            Some(&token),
            "query($id: String!) { org(slug: \"acme\") { session(id: $id) { id } } }",
            json!({ "id": "s\u{0}1" }),
        )
        .await;
    assert_eq!(
        crate::harness::error_code(&body),
        "BAD_USER_INPUT",
        "{body}"
    );
}
