//! Every length limit of docs/events.md, refused by name one over and accepted at it.

use serde_json::{json, Value};

use crate::harness::{event, TestApp};

use super::*;

/// `n` characters of three bytes each: the limits count characters.
fn chars(n: usize) -> String {
    "語".repeat(n)
}

/// One length limit of docs/events.md: the field the message names, the
/// limit, and an event with a value of `n` characters (or keys) there.
struct Limit {
    field: &'static str,
    max: usize,
    event: fn(usize) -> Value,
}

fn limits() -> Vec<Limit> {
    vec![
        Limit {
            field: "sessionId",
            max: 256,
            event: |n| {
                event("acme", "SESSION_STARTED")
                    .session(&chars(n))
                    .user("u-session")
                    .build()
            },
        },
        Limit {
            field: "userId",
            max: 256,
            event: |n| {
                event("acme", "SESSION_STARTED")
                    .session("s-user")
                    .user(&chars(n))
                    .build()
            },
        },
        Limit {
            field: "runId",
            max: 256,
            event: |n| {
                event("acme", "RUN_STARTED")
                    .session("s-run")
                    .run(&chars(n))
                    .build()
            },
        },
        Limit {
            field: "run.model",
            max: 256,
            event: |n| {
                event("acme", "RUN_STARTED")
                    .session("s-model")
                    .run("r-model")
                    .set("run", json!({ "model": chars(n) }))
                    .build()
            },
        },
        Limit {
            field: "user.email",
            max: 256,
            event: |n| {
                event("acme", "SESSION_STARTED")
                    .session("s-email")
                    .set("user", json!({ "email": chars(n) }))
                    .build()
            },
        },
        Limit {
            field: "user.name",
            max: 256,
            event: |n| {
                event("acme", "SESSION_STARTED")
                    .session("s-name")
                    .set("user", json!({ "name": chars(n) }))
                    .build()
            },
        },
        Limit {
            field: "run.errorMessage",
            max: 10_000,
            event: |n| {
                event("acme", "RUN_FINISHED")
                    .session("s-error")
                    .run("r-error")
                    .set(
                        "run",
                        json!({ "status": "FAILED", "errorMessage": chars(n) }),
                    )
                    .build()
            },
        },
        Limit {
            field: "message.text",
            max: 100_000,
            event: |n| {
                event("acme", "MESSAGE_SENT")
                    .session("s-text")
                    .set("message", json!({ "role": "USER", "text": chars(n) }))
                    .build()
            },
        },
        Limit {
            field: "attributes key",
            max: 128,
            event: |n| {
                event("acme", "SESSION_STARTED")
                    .session("s-key")
                    .set("attributes", json!({ chars(n): 1 }))
                    .build()
            },
        },
        Limit {
            field: "attributes.k",
            max: 1_024,
            event: |n| {
                event("acme", "SESSION_STARTED")
                    .session("s-value")
                    .set("attributes", json!({ "k": chars(n) }))
                    .build()
            },
        },
        Limit {
            field: "attributes",
            max: 64,
            event: |n| {
                let keys: serde_json::Map<String, Value> =
                    (0..n).map(|i| (format!("k{i}"), json!(i))).collect();
                event("acme", "SESSION_STARTED")
                    .session("s-keys")
                    .set("attributes", Value::Object(keys))
                    .build()
            },
        },
    ]
}

/// docs/events.md, "Length limits" and the id limits: one character over
/// a limit is refused alone with a message naming the field and the limit;
/// exactly at the limit is accepted (in characters, not bytes).
#[tokio::test]
async fn each_length_limit_is_refused_by_name_one_over_and_accepted_at_the_limit() {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    for limit in limits() {
        let (field, max) = (limit.field, limit.max);
        let body = app
            .ingest(&[(limit.event)(max), (limit.event)(max + 1)])
            .await;
        let result = &body["data"]["ingestEvents"];
        assert_eq!(
            result["accepted"], 1,
            "{field}: {max} is accepted: {} {}",
            result["rejected"], body["errors"]
        );
        let refused = rejection(&body, 1);
        assert_eq!(refused["code"], "INVALID_EVENT", "{field}: {refused}");
        let message = refused["message"].as_str().unwrap_or_default();
        assert!(
            message.contains(field) && message.contains(&max.to_string()),
            "{field}: the message names the field and {max}: {message}"
        );
        assert_eq!(
            result["rejected"].as_array().map(Vec::len),
            Some(1),
            "{field}"
        );
    }
    // The org's slug: 256 characters pass the check (no such org), 257 not.
    let body = app
        .ingest(&[
            event(&chars(256), "SESSION_STARTED")
                .session("s-org")
                .build(),
            event(&chars(257), "SESSION_STARTED")
                .session("s-org")
                .build(),
        ])
        .await;
    assert_eq!(rejection(&body, 0)["code"], "UNKNOWN_ORG");
    let refused = rejection(&body, 1);
    assert_eq!(refused["code"], "INVALID_EVENT", "{refused}");
    let message = refused["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with("org ") && message.contains("256"),
        "{message}"
    );
}
