//! A session's title: its first user message on one line, cut to 120
//! characters; null without one; another org's session of the same id
//! keeps its own.

use chrono::{Duration, TimeZone, Utc};
use serde_json::{json, Value};

use crate::harness::{event, TestApp};

const LIST: &str = "query($org: String!) { org(slug: $org) { sessions(first: 10) {
  edges { node { id title } } } } }";

fn message(org: &str, session: &str, minute: i64, role: &str, text: &str) -> Value {
    let at = Utc
        .with_ymd_and_hms(2026, 11, 20, 10, 0, 0)
        .single()
        .unwrap_or_default()
        + Duration::minutes(minute);
    event(org, "MESSAGE_SENT")
        .session(session)
        .at(at)
        .set("message", json!({"role": role, "text": text}))
        .build()
}

async fn titles(app: &TestApp, org: &str) -> Vec<(String, Value)> {
    let body = app
        .graphql(Some(&app.super_admin()), LIST, json!({ "org": org }))
        .await;
    let mut out: Vec<(String, Value)> = body["data"]["org"]["sessions"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .iter()
        .map(|e| {
            let node = &e["node"];
            (
                node["id"].as_str().unwrap_or_default().to_string(),
                node["title"].clone(),
            )
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[tokio::test]
async fn sessions_are_titled_by_their_first_user_message() {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    app.create_org("beta", "UTC").await;
    let long = "word ".repeat(40);
    let events = vec![
        message("acme", "a", 0, "AGENT", "Hello, what shall we do?"),
        message("acme", "a", 2, "USER", "  Fix\n the   login bug "),
        message("acme", "a", 3, "USER", "and the tests"),
        message("acme", "b", 0, "USER", &long),
        message("acme", "c", 0, "AGENT", "Only the agent spoke"),
        event("acme", "SESSION_STARTED").session("d").build(),
        message("acme", "d", 1, "USER", " \n\t "),
        message("beta", "a", 1, "USER", "beta's own words"),
    ];
    app.seed(&events).await;

    let cut = format!("{}…", "word ".repeat(24).trim_end());
    assert_eq!(cut.chars().count(), 120);
    assert_eq!(
        titles(&app, "acme").await,
        [
            ("a".to_string(), json!("Fix the login bug")),
            ("b".to_string(), json!(cut)),
            ("c".to_string(), Value::Null),
            ("d".to_string(), Value::Null),
        ]
    );
    assert_eq!(
        titles(&app, "beta").await,
        [("a".to_string(), json!("beta's own words"))]
    );
}
