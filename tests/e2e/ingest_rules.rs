//! Every ingest rule of SPEC section 2: a broken rule rejects only its
//! event, with its index, code and a message naming the field.

use chrono::{Duration, Utc};
use serde_json::{json, Value};

use crate::harness::{event, EventBuilder, TestApp};

struct Case {
    name: &'static str,
    event: EventBuilder,
    code: &'static str,
    message_mentions: &'static str,
}

fn cases() -> Vec<Case> {
    let long = "x".repeat(257);
    let many: serde_json::Map<String, Value> =
        (0..65).map(|i| (format!("k{i}"), json!(i))).collect();
    vec![
        Case {
            name: "RUN_STARTED without runId",
            event: event("acme", "RUN_STARTED"),
            code: "INVALID_EVENT",
            message_mentions: "runId",
        },
        Case {
            name: "RUN_FINISHED without runId",
            event: event("acme", "RUN_FINISHED").set("run", json!({"status": "SUCCEEDED"})),
            code: "INVALID_EVENT",
            message_mentions: "runId",
        },
        Case {
            name: "MESSAGE_SENT without message",
            event: event("acme", "MESSAGE_SENT"),
            code: "INVALID_EVENT",
            message_mentions: "message",
        },
        Case {
            name: "SESSION_HANDOFF without handoff",
            event: event("acme", "SESSION_HANDOFF"),
            code: "INVALID_EVENT",
            message_mentions: "handoff",
        },
        Case {
            name: "RUN_FINISHED without status",
            event: event("acme", "RUN_FINISHED").run("r1"),
            code: "INVALID_EVENT",
            message_mentions: "run.status",
        },
        Case {
            name: "RUN_FINISHED with status RUNNING",
            event: event("acme", "RUN_FINISHED")
                .run("r1")
                .set("run", json!({"status": "RUNNING"})),
            code: "INVALID_EVENT",
            message_mentions: "run.status",
        },
        Case {
            name: "empty sessionId",
            event: event("acme", "SESSION_STARTED").session(""),
            code: "INVALID_EVENT",
            message_mentions: "sessionId",
        },
        Case {
            name: "empty userId",
            event: event("acme", "SESSION_STARTED").user(""),
            code: "INVALID_EVENT",
            message_mentions: "userId",
        },
        Case {
            name: "sessionId over 256 chars",
            event: event("acme", "SESSION_STARTED").session(&long),
            code: "INVALID_EVENT",
            message_mentions: "sessionId",
        },
        Case {
            name: "runId over 256 chars",
            event: event("acme", "RUN_STARTED").run(&long),
            code: "INVALID_EVENT",
            message_mentions: "runId",
        },
        Case {
            name: "negative input tokens",
            event: event("acme", "RUN_FINISHED")
                .run("r1")
                .set("run", json!({"status": "SUCCEEDED", "inputTokens": -1})),
            code: "INVALID_EVENT",
            message_mentions: "run.inputTokens",
        },
        Case {
            name: "negative output tokens",
            event: event("acme", "RUN_FINISHED")
                .run("r1")
                .set("run", json!({"status": "SUCCEEDED", "outputTokens": -5})),
            code: "INVALID_EVENT",
            message_mentions: "run.outputTokens",
        },
        Case {
            name: "negative duration",
            event: event("acme", "RUN_FINISHED")
                .run("r1")
                .set("run", json!({"status": "FAILED", "durationMs": -1})),
            code: "INVALID_EVENT",
            message_mentions: "run.durationMs",
        },
        Case {
            name: "negative cost",
            event: event("acme", "RUN_FINISHED")
                .run("r1")
                .set("run", json!({"status": "SUCCEEDED", "costUsd": "-0.01"})),
            code: "INVALID_EVENT",
            message_mentions: "run.costUsd",
        },
        Case {
            name: "cost with 10 fractional digits",
            event: event("acme", "RUN_FINISHED").run("r1").set(
                "run",
                json!({"status": "SUCCEEDED", "costUsd": "0.0000000001"}),
            ),
            code: "INVALID_EVENT",
            message_mentions: "run.costUsd",
        },
        Case {
            name: "cost not a decimal",
            event: event("acme", "RUN_FINISHED")
                .run("r1")
                .set("run", json!({"status": "SUCCEEDED", "costUsd": "1e-3"})),
            code: "INVALID_EVENT",
            message_mentions: "run.costUsd",
        },
        Case {
            name: "attributes not an object",
            event: event("acme", "SESSION_STARTED").set("attributes", json!([1, 2])),
            code: "INVALID_EVENT",
            message_mentions: "attributes",
        },
        Case {
            name: "attributes nested",
            event: event("acme", "SESSION_STARTED").set("attributes", json!({"a": {"b": 1}})),
            code: "INVALID_EVENT",
            message_mentions: "attributes.a",
        },
        Case {
            name: "attributes over 64 keys",
            event: event("acme", "SESSION_STARTED").set("attributes", Value::Object(many)),
            code: "INVALID_EVENT",
            message_mentions: "64",
        },
        Case {
            name: "attribute key over 128 chars",
            event: event("acme", "SESSION_STARTED")
                .set("attributes", json!({ "k".repeat(129): 1 })),
            code: "INVALID_EVENT",
            message_mentions: "128",
        },
        Case {
            name: "attribute value over 1024 chars",
            event: event("acme", "SESSION_STARTED")
                .set("attributes", json!({ "k": "v".repeat(1025) })),
            code: "INVALID_EVENT",
            message_mentions: "attributes.k",
        },
        Case {
            name: "occurredAt over 24 h ahead",
            event: event("acme", "SESSION_STARTED").at(Utc::now() + Duration::hours(25)),
            code: "INVALID_EVENT",
            message_mentions: "occurredAt",
        },
        Case {
            name: "unknown org",
            event: event("nosuch", "SESSION_STARTED"),
            code: "UNKNOWN_ORG",
            message_mentions: "nosuch",
        },
        Case {
            name: "suspended org",
            event: event("frozen", "SESSION_STARTED"),
            code: "ORG_SUSPENDED",
            message_mentions: "frozen",
        },
    ]
}

#[tokio::test]
async fn each_broken_rule_rejects_only_its_event_with_its_code() {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    app.create_org("frozen", "UTC").await;
    suspend(&app, "frozen").await;

    for case in cases() {
        let good = event("acme", "SESSION_STARTED")
            .session(&format!("ok-{}", case.name))
            .build();
        let bad = case.event.build();
        let body = app.ingest(&[good, bad.clone()]).await;
        let result = &body["data"]["ingestEvents"];
        assert_eq!(
            result["accepted"], 1,
            "{}: the good event is stored: {body}",
            case.name
        );
        let rejected = result["rejected"]
            .as_array()
            .unwrap_or_else(|| panic!("{body}"));
        assert_eq!(rejected.len(), 1, "{}: {body}", case.name);
        assert_eq!(rejected[0]["index"], 1, "{}", case.name);
        assert_eq!(rejected[0]["eventId"], bad["eventId"], "{}", case.name);
        assert_eq!(rejected[0]["code"], case.code, "{}: {body}", case.name);
        let message = rejected[0]["message"].as_str().unwrap_or_default();
        assert!(
            message.contains(case.message_mentions),
            "{}: message {message:?} should mention {:?}",
            case.name,
            case.message_mentions
        );
    }
}

#[tokio::test]
async fn valid_events_of_every_type_are_accepted() {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    let events = vec![
        event("acme", "SESSION_STARTED").set("attributes", json!({"repo": "web", "pr": 12, "draft": false})).set("user", json!({"email": "u1@example.com", "name": "U One"})).build(),
        event("acme", "MESSAGE_SENT").set("message", json!({"role": "USER", "text": "fix the bug"})).build(),
        event("acme", "RUN_STARTED").run("r1").set("run", json!({"model": "gpt-x"})).build(),
        event("acme", "RUN_FINISHED").run("r1").set("run", json!({"status": "FAILED", "errorCategory": "TOOL", "errorMessage": "lint failed", "inputTokens": 1200, "outputTokens": 300, "costUsd": "0.001234567", "durationMs": 5400})).build(),
        event("acme", "SESSION_HANDOFF").set("handoff", json!({"target": "LOCAL"})).build(),
        event("acme", "SESSION_ENDED").build(),
        event("acme", "RUN_FINISHED").run("r2").set("run", json!({"status": "SUCCEEDED", "costUsd": "12"})).build(),
        event("acme", "SESSION_STARTED").at(Utc::now() + Duration::hours(23)).session("s-future").build(),
    ];
    let body = app.ingest(&events).await;
    assert_eq!(
        body["data"]["ingestEvents"],
        json!({ "accepted": 8, "duplicates": 0, "rejected": [] }),
        "{body}"
    );
}

async fn suspend(app: &TestApp, slug: &str) {
    use diesel_async::SimpleAsyncConnection;
    let mut conn = app.db.owner().await.unwrap_or_else(|e| panic!("{e}"));
    conn.batch_execute(&format!(
        "UPDATE orgs SET status = 'SUSPENDED' WHERE slug = '{slug}'"
    ))
    .await
    .unwrap_or_else(|e| panic!("{e}"));
}
