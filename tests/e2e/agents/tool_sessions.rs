//! A tool's sessions: the sessions list and the CSV export filtered by a
//! tool name hold exactly the sessions whose events called that tool.

use std::collections::BTreeSet;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use serde_json::{json, Value};

use crate::harness::{event, TestApp};

fn tool_call(session: &str, minute: u32, name: &str) -> Value {
    event("acme", "TOOL_CALL")
        .session(session)
        .set(
            "occurredAt",
            json!(format!("2026-11-20T10:{minute:02}:00Z")),
        )
        .set("tool", json!({ "name": name, "success": true }))
        .build()
}

fn started(session: &str) -> Value {
    event("acme", "SESSION_STARTED")
        .session(session)
        .set("occurredAt", json!("2026-11-20T09:59:00Z"))
        .build()
}

#[tokio::test]
async fn filtering_sessions_by_tool_lists_the_sessions_that_called_it() {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    let events = vec![
        started("s1"),
        tool_call("s1", 1, "Bash"),
        tool_call("s1", 2, "Edit"),
        started("s2"),
        tool_call("s2", 1, "Read"),
        tool_call("s2", 3, "bash"),
        started("s3"),
        tool_call("s4", 5, "Bash"),
    ];
    app.seed(&events).await;
    let manager = app.user_token(agentmon_core::auth::Role::Manager, Some("acme"));

    for tool in ["Bash", "Read", "Edit", "bash", "Nope"] {
        // From the events as sent: the sessions with a call of exactly that name.
        let want: BTreeSet<String> = events
            .iter()
            .filter(|e| e["type"] == "TOOL_CALL" && e["tool"]["name"] == tool)
            .map(|e| e["sessionId"].as_str().unwrap_or_default().to_string())
            .collect();
        let body = app
            .graphql(
                Some(&manager),
                "query($tool: String) { org(slug: \"acme\") { sessions(filter: {tool: $tool}) { \
                 totalCount edges { node { id } } } } }",
                json!({ "tool": tool }),
            )
            .await;
        let sessions = &body["data"]["org"]["sessions"];
        let got: BTreeSet<String> = sessions["edges"]
            .as_array()
            .unwrap_or_else(|| panic!("{body}"))
            .iter()
            .map(|e| e["node"]["id"].as_str().unwrap_or_default().to_string())
            .collect();
        assert_eq!(got, want, "tool {tool}: {body}");
        assert_eq!(sessions["totalCount"], want.len(), "tool {tool}: {body}");

        let (status, csv) = app
            .request(
                Request::get(format!("/export/sessions.csv?org=acme&tool={tool}"))
                    .header(header::AUTHORIZATION, format!("Bearer {manager}"))
                    .body(Body::empty())
                    .unwrap_or_else(|e| panic!("{e}")),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{csv}");
        let csv = csv.as_str().unwrap_or_default().to_string();
        let exported: BTreeSet<String> = csv
            .lines()
            .skip(1)
            .map(|l| l.split(',').next().unwrap_or_default().to_string())
            .collect();
        assert_eq!(exported, want, "export, tool {tool}: {csv}");
    }

    let long = "x".repeat(257);
    let body = app
        .graphql(
            Some(&manager),
            "query($tool: String) { org(slug: \"acme\") { sessions(filter: {tool: $tool}) { totalCount } } }",
            json!({ "tool": long }),
        )
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{body}"
    );
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("tool is longer than 256 characters"),
        "{body}"
    );
}
