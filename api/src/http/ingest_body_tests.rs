//! The body's events read in one pass must be what async-graphql itself
//! makes of the same variables (validation and input conversion, run by a
//! schema with the same input types), and anything it would refuse or
//! coerce must be left to it.

use async_graphql::{EmptySubscription, Object, Schema, Variables};
use serde_json::{json, Value};

use super::{read, read_parts};
use crate::graphql::event_input::EventInput;
use agentmon_core::generate::Plan;

const QUERY: &str = "mutation($e: [EventInput!]!) { ingestEvents(events: $e) { accepted } }";

struct Query;

#[Object]
impl Query {
    async fn ok(&self) -> bool {
        true
    }
}

struct Mutation;

#[Object]
impl Mutation {
    /// The events as async-graphql hands them to a resolver.
    async fn ingest_events(&self, events: Vec<EventInput>) -> String {
        format!("{events:?}")
    }
}

/// async-graphql's reading of `events`: their Debug text, or its errors.
async fn reference(events: &Value) -> Result<String, String> {
    let schema = Schema::new(Query, Mutation, EmptySubscription);
    let request =
        async_graphql::Request::new("mutation($e: [EventInput!]!) { ingestEvents(events: $e) }")
            .variables(Variables::from_json(json!({ "e": events })));
    let response = schema.execute(request).await;
    if !response.errors.is_empty() {
        return Err(format!("{:?}", response.errors));
    }
    let data = response.data.into_json().map_err(|e| e.to_string())?;
    Ok(data["ingestEvents"]
        .as_str()
        .unwrap_or_default()
        .to_string())
}

fn body(query: &str, variables: Value) -> Vec<u8> {
    json!({ "query": query, "variables": variables })
        .to_string()
        .into_bytes()
}

/// The one-pass reading of `events`, when it takes them.
fn fast(events: &Value) -> Option<String> {
    read_parts(&body(QUERY, json!({ "e": events }))).map(|(_, events)| format!("{events:?}"))
}

fn event() -> Value {
    json!({
        "eventId": "6f1c2a9e-51d4-4c3b-9a57-0c8f1d2e3b4a",
        "org": "acme",
        "type": "RUN_FINISHED",
        "occurredAt": "2026-11-30T09:15:00.250+02:00",
        "sessionId": "s-1",
        "userId": "u-1",
        "runId": "r-1",
        "run": { "status": "FAILED", "errorCategory": "TOOL", "inputTokens": 12,
                 "costUsd": "0.0012", "durationMs": 900 },
        "attributes": { "repo": "a/b", "n": 3, "ok": true },
        "user": { "email": "a@example.com", "name": null }
    })
}

fn with(change: impl FnOnce(&mut Value)) -> Value {
    let mut e = event();
    change(&mut e);
    json!([e])
}

#[tokio::test]
async fn realistic_events_read_in_one_pass_equal_what_graphql_makes_of_them() {
    let plan = Plan {
        orgs: 3,
        users: 12,
        days: 6,
        ..Plan::default()
    };
    let events: Vec<_> = plan.events().take(3_000).collect();
    assert!(
        events.len() >= 1_000,
        "the plan made {} events",
        events.len()
    );
    let kinds: std::collections::HashSet<_> = events.iter().map(|e| e.event_type).collect();
    assert_eq!(
        kinds.len(),
        9,
        "every type of event is among them: {kinds:?}"
    );
    for chunk in events.chunks(500) {
        let sent = serde_json::to_value(chunk).unwrap();
        let ours = fast(&sent).expect("a plain ingestEvents body is read in one pass");
        assert_eq!(Ok(ours), reference(&sent).await);
    }
}

#[tokio::test]
async fn what_graphql_refuses_or_coerces_is_left_to_it() {
    let cases: Vec<(&str, Value, bool)> = vec![
        ("every field kind", json!([event()]), true),
        (
            "a UUID without hyphens",
            with(|e| e["eventId"] = json!("6f1c2a9e51d44c3b9a570c8f1d2e3b4a")),
            true,
        ),
        (
            "explicit nulls",
            with(|e| {
                e["runId"] = Value::Null;
                e["attributes"] = Value::Null;
            }),
            true,
        ),
        (
            "a nested attribute",
            with(|e| e["attributes"] = json!({ "a": { "b": 1 } })),
            true,
        ),
        ("an empty list", json!([]), true),
        ("one object for the list", event(), false),
        (
            "an unknown field",
            with(|e| e["colour"] = json!("red")),
            false,
        ),
        (
            "an unknown nested field",
            with(|e| e["run"]["colour"] = json!("red")),
            false,
        ),
        (
            "a lower-case enum",
            with(|e| e["type"] = json!("run_finished")),
            false,
        ),
        (
            "an Int sent as a float",
            with(|e| e["run"]["inputTokens"] = json!(12.0)),
            false,
        ),
        (
            "an Int beyond 32 bits",
            with(|e| e["run"]["inputTokens"] = json!(3_000_000_000u64)),
            false,
        ),
        (
            "an Int as a string",
            with(|e| e["run"]["inputTokens"] = json!("12")),
            false,
        ),
        (
            "a missing required field",
            with(|e| {
                e.as_object_mut().unwrap().remove("org");
            }),
            false,
        ),
        (
            "null for a required field",
            with(|e| e["sessionId"] = Value::Null),
            false,
        ),
        (
            "a number for a string",
            with(|e| e["userId"] = json!(7)),
            false,
        ),
        (
            "a malformed UUID",
            with(|e| e["eventId"] = json!("not-a-uuid")),
            false,
        ),
        (
            "a malformed time",
            with(|e| e["occurredAt"] = json!("yesterday")),
            false,
        ),
        ("a null event", json!([Value::Null]), false),
        (
            "brackets inside a string",
            with(|e| e["sessionId"] = json!("s-[1]\\\"[")),
            true,
        ),
        (
            "an enum as an object",
            with(|e| e["type"] = json!({ "RUN_FINISHED": null })),
            false,
        ),
        (
            "a nested enum as an object",
            with(|e| e["run"]["status"] = json!({ "FAILED": null })),
            false,
        ),
        (
            "an input object as an array",
            with(|e| e["user"] = json!(["a@example.com", null])),
            false,
        ),
        (
            "an event as an array",
            json!([[
                "6f1c2a9e-51d4-4c3b-9a57-0c8f1d2e3b4a",
                "acme",
                "SESSION_STARTED",
                "2026-12-01T00:00:00Z",
                "s",
                "u",
                null,
                null,
                null,
                null,
                null,
                null,
                null,
                null,
                null,
                null
            ]]),
            false,
        ),
        (
            "an attribute holding a list",
            with(|e| e["attributes"] = json!({ "a": [1] })),
            false,
        ),
    ];
    for (what, events, taken) in cases {
        let ours = fast(&events);
        assert_eq!(
            ours.is_some(),
            taken,
            "{what}: taken by the one-pass reading"
        );
        let theirs = reference(&events).await;
        if let Some(ours) = ours {
            assert_eq!(Ok(ours), theirs, "{what}");
        }
    }
}

#[test]
fn only_a_lone_ingest_events_field_fed_by_a_list_variable_is_read() {
    let e = json!({ "e": [event()] });
    let taken = |query: &str, variables: &Value| read(&body(query, variables.clone())).is_some();
    assert!(taken(QUERY, &e));
    assert!(taken(
        "mutation Send($e: [EventInput!]!) { done: ingestEvents(events: $e) { accepted duplicates } }",
        &e
    ));
    for query in [
        "mutation($e: [EventInput!]) { ingestEvents(events: $e) { accepted } }",
        "mutation($e: [EventInput]!) { ingestEvents(events: $e) { accepted } }",
        "mutation($e: [EventInput!]!, $s: Boolean!) { ingestEvents(events: $e) @skip(if: $s) { accepted } }",
        "mutation($e: [EventInput!]!) { ingestEvents(events: $e) { accepted } b: ingestEvents(events: $e) { accepted } }",
        "mutation($e: [EventInput!]!) { ...F } fragment F on MutationRoot { ingestEvents(events: $e) { accepted } }",
        "query($e: [EventInput!]!) { ingestEvents(events: $e) { accepted } }",
        "mutation($e: [EventInput!]!) { ingestEvents(events: $e) { accepted } } mutation B { x }",
        "mutation { ingestEvents(events: []) { accepted } }",
        "mutation($e: [EventInput!]! { ingestEvents(events: $e) { accepted } }",
    ] {
        assert!(!taken(query, &e), "{query}");
    }
    // The variable must be sent; other variables pass through as they are.
    assert!(!taken(QUERY, &json!({ "f": [event()] })));
    let (request, _) =
        read_parts(&body(QUERY, json!({ "e": [event()], "x": { "k": 1 } }))).unwrap();
    assert_eq!(
        request
            .variables
            .get("e")
            .map(ToString::to_string)
            .as_deref(),
        Some("[]")
    );
    assert_eq!(
        request
            .variables
            .get("x")
            .map(ToString::to_string)
            .as_deref(),
        Some("{k: 1}")
    );
    // An operation chosen by name among several.
    let two =
        "mutation A($e: [EventInput!]!) { ingestEvents(events: $e) { accepted } } query B { ok }";
    let named = |name: &str| {
        let body = json!({ "query": two, "operationName": name, "variables": e }).to_string();
        read(body.as_bytes()).is_some()
    };
    assert!(named("A"));
    assert!(!named("B"));
    // Request extensions go the general path.
    let body = json!({ "query": QUERY, "variables": e, "extensions": { "persistedQuery": {} } });
    assert!(read(body.to_string().as_bytes()).is_none());
}
