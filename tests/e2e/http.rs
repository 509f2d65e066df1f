//! Transport: body limits, malformed JSON, query limits, GET, request ids,
//! health checks and the static GraphiQL.

use agentmon_core::auth::Role;
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use serde_json::json;

use crate::harness::{error_code, TestApp};

fn post(body: impl Into<Body>) -> Request<Body> {
    Request::post("/graphql")
        .header(header::CONTENT_TYPE, "application/json")
        .body(body.into())
        .unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test]
async fn a_body_over_8_mib_gets_413() {
    let app = TestApp::new().await;
    let padding = "x".repeat(8 * 1024 * 1024 + 1);
    let body = json!({ "query": "{ me { userId } }", "variables": { "pad": padding } }).to_string();
    let (status, _) = app.request(post(body)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn malformed_json_gets_400_with_a_code() {
    let app = TestApp::new().await;
    let (status, body) = app.request(post("{\"query\": ")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
}

#[tokio::test]
async fn a_query_deeper_than_the_limit_is_refused_before_it_runs() {
    let app = TestApp::new().await;
    let mut query = String::from("__typename");
    for _ in 0..20 {
        query = format!("__schema {{ types {{ fields {{ type {{ ofType {{ {query} }} }} }} }} }}");
    }
    let body = app
        .graphql(
            Some(&app.super_admin()),
            &format!("{{ {query} }}"),
            json!({}),
        )
        .await;
    assert!(body["data"].is_null(), "{body}");
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
}

#[tokio::test]
async fn lists_nested_in_lists_count_their_items_against_the_complexity_limit() {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    let manager = app.user_token(Role::Manager, Some("acme"));
    // Each of these asked alone is fine; nested, they would load thousands
    // of full timelines, and are refused before anything runs.
    let range = "range: {from: \"2026-01-01\", to: \"2026-12-31\"}";
    for query in [
        format!(
            "{{ org(slug: \"acme\") {{ overview({range}) {{ topUsers(limit: 100) {{ user {{ \
             sessions(first: 200) {{ edges {{ node {{ timeline {{ data }} }} }} }} }} }} }} }} }}"
        ),
        "{ org(slug: \"acme\") { teams { members { sessions(first: 200) { edges { node { \
         runs { id } timeline { data } } } } } } } }"
            .to_string(),
    ] {
        let body = app.graphql(Some(&manager), &query, json!({})).await;
        assert!(body["data"].is_null(), "{body}");
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
        assert!(body.to_string().contains("complex"), "{body}");
    }
    let fine = app
        .graphql(
            Some(&manager),
            &format!(
                "{{ org(slug: \"acme\") {{ overview({range}) {{ topUsers(limit: 10) {{ user {{ id }} }} }} \
                 teams {{ members {{ id }} }} }} }}"
            ),
            json!({}),
        )
        .await;
    assert!(fine["errors"].is_null(), "{fine}");
}

#[tokio::test]
async fn a_syntax_error_has_a_code() {
    let app = TestApp::new().await;
    let body = app.graphql(None, "{ me { ", json!({})).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
}

#[tokio::test]
async fn queries_work_over_get_and_mutations_do_not() {
    let app = TestApp::new().await;
    let token = app.super_admin();
    let get = |q: &str| {
        Request::get(format!("/graphql?query={}", urlencode(q)))
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap_or_else(|e| panic!("{e}"))
    };
    let (status, body) = app.request(get("{ me { role } }")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"]["me"]["role"], "SUPER_ADMIN", "{body}");

    let (status, body) = app
        .request(get(
            "mutation { createOrg(slug: \"viaget\", name: \"x\") { slug } }",
        ))
        .await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{body}");
    assert_eq!(app.count("SELECT count(*) AS n FROM orgs").await, 0);
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let app = TestApp::new().await;
    let response = app
        .respond(
            Request::get("/healthz")
                .body(Body::empty())
                .unwrap_or_else(|e| panic!("{e}")),
        )
        .await;
    assert!(response.headers().contains_key("x-request-id"));
}

#[tokio::test]
async fn health_and_readiness_answer() {
    let app = TestApp::new().await;
    let (status, body) = app
        .request(
            Request::get("/healthz")
                .body(Body::empty())
                .unwrap_or_else(|e| panic!("{e}")),
        )
        .await;
    assert_eq!((status, body), (StatusCode::OK, json!("ok")));
    let (status, body) = app
        .request(
            Request::get("/readyz")
                .body(Body::empty())
                .unwrap_or_else(|e| panic!("{e}")),
        )
        .await;
    assert_eq!((status, body), (StatusCode::OK, json!("ready")));
}

#[tokio::test]
async fn the_sdl_is_served() {
    let app = TestApp::new().await;
    let (status, body) = app
        .request(
            Request::get("/schema.graphql")
                .body(Body::empty())
                .unwrap_or_else(|e| panic!("{e}")),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.as_str().unwrap_or_default().contains("ingestEvents"));
}

#[tokio::test]
async fn graphiql_is_served_from_our_own_files() {
    let app = TestApp::new().await;
    let (status, body) = app
        .request(
            Request::get("/graphiql")
                .body(Body::empty())
                .unwrap_or_else(|e| panic!("{e}")),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let html = body.as_str().unwrap_or_default();
    assert!(html.contains("/graphiql/graphiql.min.js\""), "{html}");
    assert!(
        !html.contains("https://"),
        "GraphiQL must not load from a CDN: {html}"
    );
    let (status, _) = app
        .request(
            Request::get("/vendor/graphiql/graphiql.min.js")
                .body(Body::empty())
                .unwrap_or_else(|e| panic!("{e}")),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "run `npm ci --prefix web` to install GraphiQL's files"
    );
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn metrics_are_served_in_prometheus_format_to_the_holder_of_the_metrics_token() {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    app.ingest(&[crate::harness::event("acme", "SESSION_STARTED").build()])
        .await;
    for refused in [
        None,
        Some("Bearer wrong"),
        Some("Bearer metrics-token-for-test"),
    ] {
        let mut request = Request::get("/metrics");
        if let Some(value) = refused {
            request = request.header(header::AUTHORIZATION, value);
        }
        let (status, _) = app
            .request(
                request
                    .body(Body::empty())
                    .unwrap_or_else(|e| panic!("{e}")),
            )
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{refused:?}");
    }
    let (status, body) = app
        .request(
            Request::get("/metrics")
                .header(
                    header::AUTHORIZATION,
                    format!("Bearer {}", crate::harness::METRICS_TOKEN),
                )
                .body(Body::empty())
                .unwrap_or_else(|e| panic!("{e}")),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body.as_str()
            .unwrap_or_default()
            .contains("agentmon_ingested_events_total"),
        "{body}"
    );
}

/// The introspection query GraphiQL sends (graphql-js `getIntrospectionQuery`).
const INTROSPECTION: &str = "query IntrospectionQuery { __schema { queryType { name } mutationType { name } \
  subscriptionType { name } types { ...FullType } directives { name description locations args { ...InputValue } } } }
fragment FullType on __Type { kind name description fields(includeDeprecated: true) { name description \
  args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason } inputFields { ...InputValue } \
  interfaces { ...TypeRef } enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason } \
  possibleTypes { ...TypeRef } }
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name \
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } } }";

#[tokio::test]
async fn graphiql_can_introspect_the_schema_within_the_limits() {
    let app = TestApp::new().await;
    let body = app.graphql(None, INTROSPECTION, json!({})).await;
    assert!(body["errors"].is_null(), "{body}");
    assert_eq!(body["data"]["__schema"]["queryType"]["name"], "Query");
    assert_eq!(
        body["data"]["__schema"]["subscriptionType"]["name"],
        "Subscription"
    );
}

#[tokio::test]
async fn a_batch_of_operations_is_refused_whole_and_stores_nothing() {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    let operation = |i: usize| {
        let events: Vec<_> = (0..3)
            .map(|j| {
                crate::harness::event("acme", "SESSION_STARTED")
                    .session(&format!("s{i}-{j}"))
                    .build()
            })
            .collect();
        json!({
            "query": "mutation($e: [EventInput!]!) { ingestEvents(events: $e) { accepted } }",
            "variables": { "e": events }
        })
    };
    let batch = json!([operation(1), operation(2)]);
    let (status, body) = app
        .request(
            Request::post("/graphql")
                .header(header::CONTENT_TYPE, "application/json")
                .header(
                    header::AUTHORIZATION,
                    format!("Bearer {}", app.ingest_token(&["*"])),
                )
                .body(Body::from(batch.to_string()))
                .unwrap_or_else(|e| panic!("{e}")),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(error_code(&body), "BAD_USER_INPUT");
    assert!(body["errors"][0]["message"]
        .as_str()
        .unwrap_or_default()
        .contains("one GraphQL operation"));
    assert_eq!(app.count("SELECT count(*) AS n FROM events").await, 0);
}

#[tokio::test]
async fn a_batch_of_one_operation_is_answered_and_an_empty_one_refused() {
    let app = TestApp::new().await;
    let (status, body) = app
        .request(post("\n  [{\"query\": \"{ __typename }\"}]"))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["__typename"], "Query", "{body}");

    let (status, body) = app.request(post(" []")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("holds 0"),
        "{body}"
    );

    let (status, body) = app.request(post("[{\"query\": 1}]")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("not a GraphQL request in JSON"),
        "{body}"
    );
}

/// Parsed operations are kept by their text: sending the same text again
/// must still validate it, apply its variables afresh and refuse what it
/// refused the first time.
#[tokio::test]
async fn the_same_operation_sent_again_is_checked_and_run_afresh() {
    let app = TestApp::new().await;
    let token = app.super_admin();
    let query = "query($hide: Boolean!) { me { userId role @skip(if: $hide) } }";
    for hide in [true, false, true] {
        let body = app
            .graphql(Some(&token), query, json!({ "hide": hide }))
            .await;
        let me = &body["data"]["me"];
        assert_eq!(me["userId"], "tester", "{body}");
        assert_eq!(me.get("role").is_none(), hide, "hide={hide}: {body}");
    }
    // 20 fields deep: it parses (the parser allows 32 nested selections),
    // so its document is kept, and validation refuses it (depth 16) both
    // times.
    let deep = format!(
        "{{ __schema {{ types {{ fields {{ type {{ {}name{} }} }} }} }} }}",
        "ofType { ".repeat(16),
        " }".repeat(16)
    );
    // 40 nested inline fragments and no deep fields: only the parser's
    // recursion check refuses it, and nothing of it is kept.
    let nested = format!(
        "{{ {}me {{ userId }}{} }}",
        "... on Query { ".repeat(40),
        " }".repeat(40)
    );
    for attempt in 1..=2 {
        let body = app.graphql(Some(&token), &deep, json!({})).await;
        assert!(body["data"].is_null(), "attempt {attempt}: {body}");
        assert_eq!(
            error_code(&body),
            "BAD_USER_INPUT",
            "attempt {attempt}: {body}"
        );
        assert!(
            body.to_string().contains("nested too deep"),
            "attempt {attempt}: {body}"
        );
        let body = app.graphql(Some(&token), &nested, json!({})).await;
        assert!(body["data"].is_null(), "attempt {attempt}: {body}");
        assert!(
            body.to_string().contains("recursion depth"),
            "attempt {attempt}: {body}"
        );
        let broken = app.graphql(Some(&token), "{ me { ", json!({})).await;
        assert_eq!(
            error_code(&broken),
            "BAD_USER_INPUT",
            "attempt {attempt}: {broken}"
        );
    }
}
