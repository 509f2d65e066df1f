//! What the OTLP receiver refuses and how it meets its limits: bodies it
//! cannot take get the OTLP answers and store nothing, an export that
//! cannot be stored in time gets the 503 exporters retry, records missing
//! or overflowing a field still land, and the rate limit charges an export
//! sent again only for what it adds.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use futures::StreamExt;
use serde_json::{json, Value};

use super::otlp::{fixtures, key_of};
use crate::harness::TestApp;

/// An OTLP/JSON agent span of conversation `conversation` that ended an
/// hour ago and started `started` seconds before (0: no start time).
fn agent_span(trace: u32, conversation: &str, started: i64) -> Value {
    let end = (chrono::Utc::now() - chrono::Duration::hours(1))
        .timestamp_nanos_opt()
        .unwrap_or_default();
    let start = if started == 0 {
        0
    } else {
        end - started * 1_000_000_000
    };
    json!({
        "traceId": format!("{trace:032x}"),
        "spanId": format!("{:016x}", trace + 1),
        "name": "invoke_agent helper",
        "startTimeUnixNano": start.to_string(),
        "endTimeUnixNano": end.to_string(),
        "attributes": [
            { "key": "gen_ai.operation.name", "value": { "stringValue": "invoke_agent" } },
            { "key": "gen_ai.conversation.id", "value": { "stringValue": conversation } },
            { "key": "user.id", "value": { "stringValue": "ada" } } ]
    })
}

#[tokio::test]
async fn bodies_the_receiver_cannot_take_get_the_otlp_answers_and_store_nothing() {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    let key = key_of(&app, "acme").await;
    let send = |kind: &'static str,
                encoding: Option<&'static str>,
                auth: Option<String>,
                body: Vec<u8>| {
        let mut r = Request::post("/otlp/v1/logs").header(header::CONTENT_TYPE, kind);
        if let Some(e) = encoding {
            r = r.header(header::CONTENT_ENCODING, e);
        }
        if let Some(a) = auth {
            r = r.header(header::AUTHORIZATION, a);
        }
        r.body(Body::from(body)).unwrap_or_else(|e| panic!("{e}"))
    };
    let good =
        std::fs::read(fixtures("claude-basic-json").join("0001-logs.json")).unwrap_or_default();
    let bearer = Some(format!("Bearer {key}"));
    let cases = [
        (
            send("application/json", None, None, good.clone()),
            StatusCode::UNAUTHORIZED,
        ),
        (
            send(
                "application/json",
                None,
                Some("Bearer amk_not_a_key_at_all_0000000000000000000000".into()),
                good.clone(),
            ),
            StatusCode::UNAUTHORIZED,
        ),
        (
            send(
                "application/json",
                None,
                Some(format!("Bearer {}", app.super_admin())),
                good.clone(),
            ),
            StatusCode::FORBIDDEN,
        ),
        (
            send("text/plain", None, bearer.clone(), good.clone()),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        (
            send(
                "application/json",
                None,
                bearer.clone(),
                b"{\"resourceLogs\": 7}".to_vec(),
            ),
            StatusCode::BAD_REQUEST,
        ),
        (
            send(
                "application/x-protobuf",
                None,
                bearer.clone(),
                vec![0xff, 0xff, 0xff, 0x0f],
            ),
            StatusCode::BAD_REQUEST,
        ),
        (
            send(
                "application/json",
                Some("gzip"),
                bearer.clone(),
                good.clone(),
            ),
            StatusCode::BAD_REQUEST,
        ),
        (
            send("application/json", Some("br"), bearer.clone(), good.clone()),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        // The key is checked before the body is read: without one, a body
        // over the 8 MiB limit is refused for the key (it was read first,
        // and refused for its size).
        (
            send("application/json", None, None, vec![b' '; 9 << 20]),
            StatusCode::UNAUTHORIZED,
        ),
        (
            send(
                "application/json",
                None,
                bearer.clone(),
                vec![b' '; 9 << 20],
            ),
            StatusCode::PAYLOAD_TOO_LARGE,
        ),
    ];
    for (request, want) in cases {
        let (status, body) = app.request(request).await;
        assert_eq!(status, want, "{body}");
        // A Status that says why, in the request's encoding.
        let says = match &body {
            Value::String(protobuf) => protobuf.contains("not an OTLP protobuf message"),
            json => json["message"].as_str().is_some_and(|m| m.len() > 10),
        };
        assert!(says, "a Status body that says why: {body}");
    }
    assert_eq!(
        app.count("SELECT count(*) AS n FROM events").await,
        0,
        "nothing stored"
    );
    // A record without a session is dropped and said so, the others kept.
    let mut doc: Value = serde_json::from_slice(&good).unwrap_or_default();
    let records = doc["resourceLogs"][0]["scopeLogs"][0]["logRecords"]
        .as_array_mut()
        .map(|r| {
            let prompt = r
                .iter_mut()
                .find(|r| r["body"]["stringValue"] == "claude_code.user_prompt");
            for a in prompt
                .and_then(|p| p["attributes"].as_array_mut())
                .into_iter()
                .flatten()
            {
                if a["key"] == "session.id" {
                    a["key"] = json!("not.session");
                }
            }
            r.len()
        });
    let (status, body) = app
        .request(send(
            "application/json",
            None,
            bearer,
            serde_json::to_vec(&doc).unwrap_or_default(),
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["partialSuccess"]["rejectedLogRecords"], 1,
        "{body} of {records:?}"
    );
    assert!(
        body["partialSuccess"]["errorMessage"]
            .as_str()
            .unwrap_or_default()
            .contains("no session"),
        "{body}"
    );
}

#[tokio::test]
async fn an_export_that_cannot_be_stored_in_time_gets_a_503_to_retry_not_a_408() {
    use diesel_async::{AsyncConnection, RunQueryDsl};
    use tower::ServiceExt;
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    let key = key_of(&app, "acme").await;
    let router = app.router_with_timeout(std::time::Duration::from_secs(3));
    let body =
        std::fs::read(fixtures("claude-basic-json").join("0001-logs.json")).unwrap_or_default();
    let request = |body: Body| {
        Request::post("/otlp/v1/logs")
            .header(header::CONTENT_TYPE, "application/json")
            .header("x-api-key", &key)
            .body(body)
            .unwrap_or_else(|e| panic!("{e}"))
    };
    // Sent at once, and sent slowly: half of it, then the rest 1.5 s later
    // (the time to read it counts against the server's timeout too).
    let (first, rest) = body.split_at(body.len() / 2);
    let (first, rest) = (
        bytes::Bytes::copy_from_slice(first),
        bytes::Bytes::copy_from_slice(rest),
    );
    let slowly = futures::stream::iter([Ok::<_, std::io::Error>(first)]).chain(
        futures::stream::once(async move {
            tokio::time::sleep(std::time::Duration::from_millis(1_500)).await;
            Ok(rest)
        }),
    );
    let requests = [
        ("sent at once", request(Body::from(body.clone()))),
        ("sent slowly", request(Body::from_stream(slowly))),
    ];
    // Storage stalls: another transaction holds the event ledger.
    let mut owner = app.db.owner().await.unwrap_or_else(|e| panic!("{e}"));
    let answers = owner
        .transaction::<_, diesel::result::Error, _>(async |tx| {
            diesel::sql_query("LOCK TABLE event_keys IN ACCESS EXCLUSIVE MODE")
                .execute(tx)
                .await?;
            let mut answers = Vec::new();
            for (how, request) in requests {
                let response = router
                    .clone()
                    .oneshot(request)
                    .await
                    .unwrap_or_else(|e| panic!("{e}"));
                let retry = response.headers().get(header::RETRY_AFTER).cloned();
                answers.push((how, response.status(), retry));
            }
            Ok(answers)
        })
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    for (how, status, retry) in answers {
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{how}");
        assert!(retry.is_some(), "{how}: with Retry-After");
    }
}

/// Two agents whose sessions are named only on their resource can send
/// records alike in all else: the same call at the same instant (an
/// exporter with millisecond clocks makes that likely). Those are two
/// records, not one sent twice: before, the second session's call was
/// taken for a resend of the first's and dropped.
#[tokio::test]
async fn records_alike_from_two_resources_are_two_records() {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    let key = key_of(&app, "acme").await;
    let at = (chrono::Utc::now() - chrono::Duration::hours(1))
        .timestamp_nanos_opt()
        .unwrap_or_default()
        .to_string();
    let call = json!({
        "timeUnixNano": at,
        "body": { "stringValue": "claude_code.api_request" },
        "attributes": [
            { "key": "event.name", "value": { "stringValue": "api_request" } },
            { "key": "model", "value": { "stringValue": "claude-test" } },
            { "key": "input_tokens", "value": { "stringValue": "100" } },
            { "key": "output_tokens", "value": { "stringValue": "20" } } ]
    });
    let resource = |session: &str| {
        json!({
            "resource": { "attributes": [
                { "key": "service.name", "value": { "stringValue": "claude-code" } },
                { "key": "session.id", "value": { "stringValue": session } },
                { "key": "user.id", "value": { "stringValue": session } } ] },
            "scopeLogs": [{ "scope": { "name": "com.anthropic.claude_code.events" }, "logRecords": [call.clone()] }]
        })
    };
    let export = json!({ "resourceLogs": [resource("one"), resource("two")] }).to_string();
    for _ in 0..2 {
        // Sent twice: the resend adds nothing.
        let request = Request::post("/otlp/v1/logs")
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::AUTHORIZATION, format!("Bearer {key}"))
            .body(Body::from(export.clone()))
            .unwrap_or_else(|e| panic!("{e}"));
        let (status, body) = app.request(request).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(body["partialSuccess"].is_null(), "nothing refused: {body}");
    }
    app.project_all().await;
    for session in ["one", "two"] {
        let answer = app
            .graphql(
                Some(&app.super_admin()),
                "query($id: String!) { org(slug: \"acme\") { session(id: $id) { inputTokens outputTokens } } }",
                json!({ "id": session }),
            )
            .await;
        let figures = &answer["data"]["org"]["session"];
        let tokens = [&figures["inputTokens"], &figures["outputTokens"]].map(Value::as_f64);
        assert_eq!(
            tokens,
            [Some(100.0), Some(20.0)],
            "session {session}: {answer}"
        );
    }
    assert_eq!(app.count("SELECT count(*) AS n FROM events").await, 2);
}

/// `partial_success` counts records, as OTLP defines it: an agent span
/// dated two days ahead makes a run's start and finish, both refused, and
/// is one span refused (it said 2); a good span beside it is stored.
#[tokio::test]
async fn partial_success_counts_refused_spans_not_their_events() {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    let key = key_of(&app, "acme").await;
    let mut ahead = agent_span(1, "ahead", 1);
    let end = (chrono::Utc::now() + chrono::Duration::days(2))
        .timestamp_nanos_opt()
        .unwrap_or_default();
    ahead["endTimeUnixNano"] = json!(end.to_string());
    ahead["startTimeUnixNano"] = json!((end - 1_000_000_000).to_string());
    let export = json!({ "resourceSpans": [{ "scopeSpans": [{ "spans": [ahead, agent_span(3, "now", 1)] }] }] });
    let (status, body) = app.request(traces(&key, export.to_string())).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let partial = &body["partialSuccess"];
    assert_eq!(partial["rejectedSpans"], json!(1), "{body}");
    let message = partial["errorMessage"].as_str().unwrap_or_default();
    assert!(message.contains("in the future"), "{body}");
    assert_eq!(app.count("SELECT count(*) AS n FROM events").await, 2);
}

/// An OTLP/JSON traces export sent with `key`.
fn traces(key: &str, export: String) -> Request<Body> {
    Request::post("/otlp/v1/traces")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::AUTHORIZATION, format!("Bearer {key}"))
        .body(Body::from(export))
        .unwrap_or_else(|e| panic!("{e}"))
}

/// An agent span without its start time starts when it ends, and a
/// service name longer than an attribute may be (with a NUL in it) is
/// shortened: before, the run's start was dated 1970 and refused, and
/// every event carrying the name was refused.
#[tokio::test]
async fn a_span_without_a_start_and_a_long_service_name_still_give_the_run() {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    let key = key_of(&app, "acme").await;
    let name = format!("{}\u{0}", "n".repeat(2_000));
    let export = json!({ "resourceSpans": [{
        "resource": { "attributes": [
            { "key": "service.name", "value": { "stringValue": name } } ] },
        "scopeSpans": [{ "spans": [agent_span(1, "conv-1", 0)] }] }] });
    let (status, body) = app.request(traces(&key, export.to_string())).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["partialSuccess"].is_null(), "nothing refused: {body}");
    app.project_all().await;
    let answer = app
        .graphql(
            Some(&app.super_admin()),
            "{ org(slug: \"acme\") { session(id: \"conv-1\") { agent runCount runs { status startedAt finishedAt } } } }",
            json!({}),
        )
        .await;
    let session = &answer["data"]["org"]["session"];
    assert_eq!(session["runCount"], 1, "{answer}");
    let agent = session["agent"].as_str().unwrap_or_default();
    assert_eq!(
        agent,
        "n".repeat(1_024),
        "cut to 1,024 characters, without the NUL"
    );
    let run = &session["runs"][0];
    assert_eq!(run["status"], "SUCCEEDED", "{answer}");
    assert_eq!(run["startedAt"], run["finishedAt"], "{answer}");
}

/// An export larger than an org's rate limit lets through at once lands
/// whole over its retries: each retry pays only for what it adds. Before,
/// a retry paid again for the part stored by the last one, and an export
/// over what the budget refills between retries never landed.
#[tokio::test]
async fn an_export_over_the_rate_limit_lands_whole_over_its_retries() {
    let app = TestApp::with_rates(1_000, 10_000, None).await;
    app.create_org("acme", "UTC").await;
    let key = key_of(&app, "acme").await;
    // 1,500 agent spans, each a run of its own: 3,000 events, three times
    // what the limit lets through at once.
    let spans: Vec<Value> = (0..1_500).map(|i| agent_span(i, "big", 1)).collect();
    let export = json!({ "resourceSpans": [{ "scopeSpans": [{ "spans": spans }] }] }).to_string();
    let mut answers = Vec::new();
    loop {
        let (status, body) = app.request(traces(&key, export.clone())).await;
        answers.push(status);
        if status == StatusCode::OK {
            assert!(body["partialSuccess"].is_null(), "{body}");
            break;
        }
        assert!(
            answers.len() < 6,
            "the export never landed whole: {answers:?}, {} events stored; {body}",
            app.count("SELECT count(*) AS n FROM events").await
        );
        // The exporter's backoff: the budget refills 1,000 events a second.
        tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    }
    assert_eq!(app.count("SELECT count(*) AS n FROM events").await, 3_000);
    assert_eq!(answers.len(), 3, "one call's budget per try: {answers:?}");
}

/// An export whose events are all stored already still costs one request
/// of the producer's budget: sent over and over, it is refused like any
/// other call past the budget (it was free, each one a ledger lookup).
/// An export with nothing agentmon reads stays free.
#[tokio::test]
async fn an_export_sent_over_and_over_is_rate_limited() {
    let app = TestApp::with_rates(1_000, 3, None).await;
    app.create_org("acme", "UTC").await;
    let key = key_of(&app, "acme").await;
    let export =
        json!({ "resourceSpans": [{ "scopeSpans": [{ "spans": [agent_span(1, "again", 1)] }] }] })
            .to_string();
    let mut answers = Vec::new();
    for _ in 0..6 {
        answers.push(app.request(traces(&key, export.clone())).await.0);
    }
    assert_eq!(answers[0], StatusCode::OK, "{answers:?}");
    assert!(
        answers.contains(&StatusCode::TOO_MANY_REQUESTS),
        "resends past 3 a minute are refused: {answers:?}"
    );
    assert_eq!(app.count("SELECT count(*) AS n FROM events").await, 2);
    let mut page = agent_span(2, "again", 1);
    page["name"] = json!("GET /index.html");
    page["attributes"] = json!([]);
    let nothing_read =
        json!({ "resourceSpans": [{ "scopeSpans": [{ "spans": [page] }] }] }).to_string();
    assert_eq!(
        app.request(traces(&key, nothing_read)).await.0,
        StatusCode::OK,
        "an export of nothing agentmon reads stays free, the budget spent"
    );
}
