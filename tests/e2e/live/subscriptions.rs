//! Subscriptions: updates within a second, the policy of the queries,
//! coalescing, and connections without a valid token refused.

use std::time::Duration;

use agentmon_core::auth::{MintRequest, Role};
use agentmon_core::bus::Change;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::harness::live::LiveClient;
use crate::harness::{event, TestApp};

const SESSION_UPDATED: &str = "subscription($org: String!, $id: String) { sessionUpdated(org: $org, sessionId: $id) { org session { id messageCount user { id } } } }";

async fn app() -> (TestApp, String) {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    app.create_org("globex", "UTC").await;
    let addr = app.listen().await;
    (app, addr)
}

/// The id of org `slug`, as the bus names orgs.
async fn org_id(app: &TestApp, slug: &str) -> Uuid {
    let body = app
        .graphql(
            Some(&app.super_admin()),
            "query($slug: String!) { org(slug: $slug) { id } }",
            json!({ "slug": slug }),
        )
        .await;
    Uuid::parse_str(body["data"]["org"]["id"].as_str().unwrap_or_default())
        .unwrap_or_else(|e| panic!("{e}: {body}"))
}

/// A change of `sessions` of `org`, as the worker would announce it.
fn change(org: Uuid, sessions: &[&str]) -> Change {
    Change {
        id: Uuid::new_v4(),
        orgs: vec![org],
        sessions: sessions.iter().map(|s| (org, s.to_string())).collect(),
        ..Default::default()
    }
}

fn message(session: &str, user: &str) -> Value {
    event("acme", "MESSAGE_SENT")
        .session(session)
        .user(user)
        .set("message", json!({"role": "USER", "text": "hi"}))
        .build()
}

#[tokio::test]
async fn a_subscriber_gets_the_update_of_a_projected_event() {
    let (app, addr) = app().await;
    let acme = org_id(&app, "acme").await;
    // s1 is there, without messages, so that a probe has an answer.
    app.seed(&[event("acme", "SESSION_STARTED").session("s1").build()])
        .await;
    let mut client = LiveClient::signed_in(&addr, &app.super_admin()).await;
    client
        .subscribe("1", SESSION_UPDATED, json!({"org": "acme", "id": "s1"}))
        .await;
    // Subscribed once a change published on the bus is answered.
    let probe = client
        .probe(&app.services.bus, &change(acme, &["s1"]))
        .await;
    assert_eq!(
        probe["payload"]["data"]["sessionUpdated"]["session"],
        json!({"id": "s1", "messageCount": 0, "user": {"id": "u1"}}),
        "{probe}"
    );

    app.ingest(&[message("s1", "u1"), message("s2", "u1")])
        .await;
    app.project_all().await;
    let update = client
        .next_besides(&[&probe], Duration::from_secs(5))
        .await
        .unwrap_or_else(|| panic!("no update"));
    assert_eq!(update["type"], "next", "{update}");
    assert_eq!(update["id"], "1");
    assert_eq!(
        update["payload"]["data"]["sessionUpdated"],
        json!({"org": "acme", "session": {"id": "s1", "messageCount": 1, "user": {"id": "u1"}}})
    );
    // Only the session asked for: another change of s2, then of s1, and the
    // next message is s1's (an update of s2 would have come first). The
    // positive message on the same connection is what makes "no update of
    // s2" mean something. (Copies of answers already read are not news.)
    app.ingest(&[message("s2", "u1")]).await;
    app.project_all().await;
    app.ingest(&[message("s1", "u1")]).await;
    app.project_all().await;
    let next = client
        .next_besides(&[&probe, &update], Duration::from_secs(5))
        .await
        .unwrap_or_else(|| panic!("no update of s1"));
    assert_eq!(
        next["payload"]["data"]["sessionUpdated"]["session"],
        json!({"id": "s1", "messageCount": 2, "user": {"id": "u1"}}),
        "{next}"
    );
}

#[tokio::test]
async fn a_member_gets_updates_of_their_own_sessions_only() {
    let (app, addr) = app().await;
    let member = app.token(MintRequest::User {
        sub: "alice".into(),
        role: Role::Member,
        org: Some("acme".into()),
    });
    let acme = org_id(&app, "acme").await;
    // One session of hers already, for the probe: no later event touches it.
    app.seed(&[event("acme", "SESSION_STARTED")
        .session("alice-0")
        .user("alice")
        .build()])
        .await;
    let mut client = LiveClient::signed_in(&addr, &member).await;
    client
        .subscribe("all", SESSION_UPDATED, json!({"org": "acme"}))
        .await;
    let probe = client
        .probe(&app.services.bus, &change(acme, &["alice-0"]))
        .await;
    assert_eq!(
        probe["payload"]["data"]["sessionUpdated"]["session"]["id"], "alice-0",
        "{probe}"
    );

    app.ingest(&[message("bob-1", "bob"), message("alice-1", "alice")])
        .await;
    app.project_all().await;
    let update = client
        .next_besides(&[&probe], Duration::from_secs(5))
        .await
        .unwrap_or_else(|| panic!("no update"));
    assert_eq!(
        update["payload"]["data"]["sessionUpdated"]["session"]["id"], "alice-1",
        "{update}"
    );
    // Bob's sessions are not sent: after another of his and another of
    // hers, the next message is hers.
    app.ingest(&[message("bob-2", "bob")]).await;
    app.project_all().await;
    app.ingest(&[message("alice-2", "alice")]).await;
    app.project_all().await;
    let next = client
        .next_besides(&[&probe, &update], Duration::from_secs(5))
        .await
        .unwrap_or_else(|| panic!("no update of alice-2"));
    assert_eq!(
        next["payload"]["data"]["sessionUpdated"]["session"]["id"], "alice-2",
        "bob's session is not sent: {next}"
    );

    client
        .subscribe("other-org", SESSION_UPDATED, json!({"org": "globex"}))
        .await;
    let refused = client
        .next_besides(&[&probe, &update, &next], Duration::from_secs(5))
        .await
        .unwrap_or_default();
    assert_eq!(error_code(&refused), "FORBIDDEN", "{refused}");
}

#[tokio::test]
async fn kpis_updates_are_coalesced_under_a_burst() {
    let (app, addr) = app().await;
    let acme = org_id(&app, "acme").await;
    let mut client = LiveClient::signed_in(&addr, &app.super_admin()).await;
    client
        .subscribe("k", "subscription { orgKpisUpdated(org: \"acme\", range: {from: \"2026-11-01\", to: \"2026-11-30\"}) { sessions } }", json!({}))
        .await;
    let probe = client.probe(&app.services.bus, &change(acme, &[])).await;
    assert_eq!(
        probe["payload"]["data"]["orgKpisUpdated"]["sessions"], 0,
        "{probe}"
    );
    // From the probe's answer on: its tick counts against the interval too,
    // so at most one message per second since then.
    let started = std::time::Instant::now();
    for i in 0..10 {
        app.ingest(&[event("acme", "SESSION_STARTED")
            .session(&format!("s{i}"))
            .build()])
            .await;
        app.worker(100)
            .round()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
    // Until the message that has every session (not until a silence).
    let mut received = vec![];
    while received.last() != Some(&10) {
        let m = client
            .next_besides(&[&probe], Duration::from_secs(10))
            .await
            .unwrap_or_else(|| panic!("no message with every session: {received:?}"));
        received.push(
            m["payload"]["data"]["orgKpisUpdated"]["sessions"]
                .as_i64()
                .unwrap_or(-1),
        );
    }
    let seconds = started.elapsed().as_secs_f64();
    assert!(
        received.len() as f64 <= seconds + 1.0,
        "{} messages in {seconds:.1} s: {received:?}",
        received.len()
    );
}

#[tokio::test]
async fn connections_without_a_valid_token_are_refused() {
    let (_app, addr) = app().await;
    for payload in [json!({}), json!({"Authorization": "Bearer not-a-token"})] {
        let (_, answer) = LiveClient::connect(&addr, payload.clone()).await;
        assert_ne!(answer["type"], "connection_ack", "{payload}: {answer}");
    }
}

#[tokio::test]
async fn a_connection_holds_a_limited_number_of_subscriptions() {
    let (app, addr) = app().await;
    let mut client = LiveClient::signed_in(&addr, &app.super_admin()).await;
    for i in 0..=crate::live::subscriptions::LIMIT {
        client
            .subscribe(&i.to_string(), SESSION_UPDATED, json!({"org": "acme"}))
            .await;
    }
    let refused = client
        .next(Duration::from_secs(5))
        .await
        .unwrap_or_default();
    assert_eq!(error_code(&refused), "RATE_LIMITED", "{refused}");
}

pub const LIMIT: usize = agentmon_api::graphql::live::MAX_SUBSCRIPTIONS;

/// The code of a refused subscription, whether it came as an `error`
/// message or as a `next` whose payload has errors.
fn error_code(message: &Value) -> &str {
    let errors = if message["type"] == "error" {
        &message["payload"]
    } else {
        &message["payload"]["errors"]
    };
    errors[0]["extensions"]["code"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn a_connection_is_closed_when_its_token_expires_and_runs_nothing_after() {
    let (app, addr) = app().await;
    let request = MintRequest::User {
        sub: "root".into(),
        role: Role::SuperAdmin,
        org: None,
    };
    let short = app
        .auth
        .mint(&request, Duration::from_secs(2))
        .unwrap_or_else(|e| panic!("{e}"));
    let mut client = LiveClient::signed_in(&addr, &short).await;
    client
        .subscribe("1", SESSION_UPDATED, json!({"org": "acme"}))
        .await;
    let ended = client
        .next(Duration::from_secs(6))
        .await
        .unwrap_or_default();
    assert_eq!(ended["type"], "closed", "{ended}");
    assert_eq!(ended["code"], 4403, "{ended}");
    assert!(
        ended["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("expired"),
        "{ended}"
    );
}

#[tokio::test]
async fn a_query_sent_over_a_websocket_after_its_token_expired_is_not_run() {
    let (app, addr) = app().await;
    let request = MintRequest::User {
        sub: "root".into(),
        role: Role::SuperAdmin,
        org: None,
    };
    let short = app
        .auth
        .mint(&request, Duration::from_secs(3))
        .unwrap_or_else(|e| panic!("{e}"));
    // The instant the server holds the connection to (exp, whole seconds):
    // what the test waits for, instead of a guess at how long that is.
    let (_, expires_at) = app
        .auth
        .verify_with_expiry(&short)
        .unwrap_or_else(|e| panic!("{e}"));
    let until = |at: chrono::DateTime<chrono::Utc>| {
        tokio::time::sleep((at - chrono::Utc::now()).to_std().unwrap_or_default())
    };
    let mut client = LiveClient::signed_in(&addr, &short).await;
    // Before expiry a query over the socket runs.
    client.subscribe("q1", "{ orgs { slug } }", json!({})).await;
    let answer = client
        .next(Duration::from_secs(2))
        .await
        .unwrap_or_default();
    assert_eq!(answer["type"], "next", "{answer}");
    // It still runs one half second before expiry: the connection is live
    // until then, so that nothing runs after is the expiry's doing.
    until(expires_at - chrono::Duration::milliseconds(500)).await;
    client.subscribe("q2", "{ orgs { slug } }", json!({})).await;
    let live = loop {
        let message = client
            .next(Duration::from_secs(2))
            .await
            .unwrap_or_default();
        if message["id"] != "q1" {
            break message;
        }
    };
    assert_eq!(live["id"], "q2", "{live}");
    assert_eq!(live["type"], "next", "{live}");
    // After it: a mutation would have run with the old principal.
    until(expires_at + chrono::Duration::milliseconds(500)).await;
    client
        .subscribe(
            "q3",
            "mutation { createOrg(slug: \"late\", name: \"Late\") { slug } }",
            json!({}),
        )
        .await;
    let mut seen = Vec::new();
    while let Some(message) = client.next(Duration::from_secs(2)).await {
        let closed = message["type"] == "closed";
        seen.push(message);
        if closed {
            break;
        }
    }
    assert!(seen.iter().all(|m| m["id"] != "q3"), "{seen:?}");
    assert_eq!(
        seen.last().map(|m| m["code"].clone()),
        Some(json!(4403)),
        "{seen:?}"
    );
    assert!(
        seen.last()
            .and_then(|m| m["reason"].as_str())
            .is_some_and(|r| r.contains("expired")),
        "closed for the expiry: {seen:?}"
    );
    assert_eq!(
        app.count("SELECT count(*) AS n FROM orgs WHERE slug = 'late'")
            .await,
        0,
        "nothing ran after expiry"
    );
}

#[tokio::test]
async fn a_support_subscription_is_written_to_the_audit_log() {
    let (app, addr) = app().await;
    let support = app.user_token(Role::Support, None);
    let audited = "SELECT count(*) AS n FROM audit_log a JOIN orgs o ON o.id = a.org_id \
                   WHERE o.slug = 'globex' AND a.actor_role = 'SUPPORT' AND a.action = 'SUPPORT_SUBSCRIBE'";
    assert_eq!(app.count(audited).await, 0);
    let mut client = LiveClient::signed_in(&addr, &support).await;
    client
        .subscribe("1", SESSION_UPDATED, json!({"org": "globex"}))
        .await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while app.count(audited).await == 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(app.count(audited).await, 1);
}

#[tokio::test]
async fn a_user_holds_at_most_ten_connections() {
    let (app, addr) = app().await;
    let token = app.super_admin();
    let mut open = Vec::new();
    for _ in 0..10 {
        open.push(LiveClient::signed_in(&addr, &token).await);
    }
    let (_, refused) =
        LiveClient::connect(&addr, json!({ "Authorization": format!("Bearer {token}") })).await;
    assert_ne!(refused["type"], "connection_ack", "{refused}");
    // Once one is closed, a new one is taken: tried until it is (the
    // server frees the place when it sees the close), not after a pause.
    drop(open.pop());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let (again, answer) =
            LiveClient::connect(&addr, json!({ "Authorization": format!("Bearer {token}") })).await;
        if answer["type"] == "connection_ack" {
            open.push(again);
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the closed connection's place was never freed: {answer}"
        );
        drop(again);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn the_same_subject_in_another_org_has_connections_of_its_own() {
    let (app, addr) = app().await;
    let of = |org: &str| {
        app.token(MintRequest::User {
            sub: "ann".into(),
            role: Role::Member,
            org: Some(org.into()),
        })
    };
    let acme = of("acme");
    let mut open = Vec::new();
    for _ in 0..10 {
        open.push(LiveClient::signed_in(&addr, &acme).await);
    }
    let (_, refused) =
        LiveClient::connect(&addr, json!({ "Authorization": format!("Bearer {acme}") })).await;
    assert_ne!(refused["type"], "connection_ack", "{refused}");
    // Another org's "ann" is another person: her connection is taken.
    let globex = of("globex");
    let (_, answer) = LiveClient::connect(
        &addr,
        json!({ "Authorization": format!("Bearer {globex}") }),
    )
    .await;
    assert_eq!(answer["type"], "connection_ack", "{answer}");
}

#[tokio::test]
async fn a_message_over_64_kib_closes_the_connection() {
    let (app, addr) = app().await;
    let mut client = LiveClient::signed_in(&addr, &app.super_admin()).await;
    let huge = format!(
        "subscription {{ sessionUpdated(org: \"{}\") {{ org }} }}",
        "a".repeat(100 * 1024)
    );
    client.subscribe("big", &huge, json!({})).await;
    // Closed: a close frame, or the stream ending before the wait is over.
    // Silence until the timeout is not a close.
    let wait = Duration::from_secs(10);
    let started = tokio::time::Instant::now();
    let answer = client.next(wait).await;
    let ended_early = started.elapsed() < wait;
    assert!(
        match &answer {
            Some(m) => m["type"] == "closed",
            None => ended_early,
        },
        "the server must drop the connection, not answer nor wait: {answer:?}"
    );
}

#[tokio::test]
async fn a_quiet_subscriber_stays_connected_while_one_that_is_gone_is_closed() {
    let (app, _) = app().await;
    let acme = org_id(&app, "acme").await;
    app.seed(&[event("acme", "SESSION_STARTED").session("s1").build()])
        .await;
    let ping = Duration::from_millis(200);
    let addr = app.listen_with_live(ping, Duration::from_millis(300)).await;
    // A client that sends nothing after subscribing, as graphql-ws clients
    // do while they wait, but answers pings: still there many pings later.
    let mut quiet = LiveClient::signed_in(&addr, &app.super_admin()).await;
    quiet
        .subscribe("1", SESSION_UPDATED, json!({"org": "acme", "id": "s1"}))
        .await;
    let probe = quiet.probe(&app.services.bus, &change(acme, &["s1"])).await;
    assert_eq!(probe["type"], "next", "{probe}");
    let until = tokio::time::Instant::now() + ping * 10;
    while tokio::time::Instant::now() < until {
        // Reading answers the server's pings; nothing else arrives.
        if let Some(m) = quiet.next_besides(&[&probe], ping).await {
            panic!("a quiet subscriber got {m}");
        }
    }
    app.ingest(&[message("s1", "u1")]).await;
    app.project_all().await;
    let update = quiet
        .next_besides(&[&probe], Duration::from_secs(5))
        .await
        .unwrap_or_else(|| panic!("the quiet subscriber was dropped"));
    assert_eq!(update["type"], "next", "{update}");

    // A client that stops reading answers no ping: closed as gone.
    let mut gone = LiveClient::signed_in(&addr, &app.super_admin()).await;
    gone.deaf_for(ping * 4).await;
    assert!(
        gone.closed_within(Duration::from_secs(2)).await,
        "a client that answered no ping is still connected"
    );

    // A connection that never sends connection_init is closed with 4408.
    let mut silent = LiveClient::silent(&addr).await;
    let closed = silent
        .next(Duration::from_secs(3))
        .await
        .unwrap_or_else(|| panic!("still open"));
    assert_eq!(closed["code"], 4408, "{closed}");
}
