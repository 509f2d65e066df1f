//! A budget on a team: WARNING then FIRING as its members' spend crosses
//! the lines, each notified once, delivered signed to a real receiver and
//! retried through a failure with the same delivery id; another user's
//! spend does not count; evaluating again (or twice at once) sends nothing
//! more.

use agentmon_core::auth::Role;
use serde_json::{json, Value};

use super::receiver::Receiver;
use super::{budget, spend, Budget};
use crate::harness::{event, TestApp};

/// Sends what is due now, as the worker's delivery loop does each second.
async fn deliver(app: &TestApp) {
    agentmon_projectors::alerts::deliver_due(
        &app.db,
        app.services.webhooks,
        chrono::Utc::now(),
        20,
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
}

fn states(receiver: &Receiver) -> Vec<String> {
    receiver
        .received()
        .iter()
        .map(|r| {
            let body: Value = serde_json::from_slice(&r.body).unwrap_or_default();
            body["state"].as_str().unwrap_or_default().to_string()
        })
        .collect()
}

#[tokio::test]
async fn a_team_budget_warns_then_fires_once_each_delivered_signed_through_a_failure() {
    let app = TestApp::with_private_webhooks().await;
    let receiver = Receiver::start().await;
    let Budget {
        channel,
        team,
        rule,
        ..
    } = budget(&app, &receiver).await;
    let admin = app.user_token(Role::OrgAdmin, Some("acme"));
    app.seed(&[spend("ann", "r0", "0.1"), spend("bob", "b0", "0.1")])
        .await;

    // 0.1 + 0.5 = 0.6 of 1.0: WARNING; bob's 5 is not the team's.
    app.seed(&[spend("ann", "r1", "0.5"), spend("bob", "b1", "5")])
        .await;
    deliver(&app).await;
    assert_eq!(states(&receiver), ["WARNING"]);
    // Nothing new: nothing sent.
    app.project_all().await;
    agentmon_projectors::alerts::evaluate_orgs(&app.db, None, chrono::Utc::now())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    deliver(&app).await;
    assert_eq!(states(&receiver), ["WARNING"]);

    // The receiver fails once; 1.1: FIRING, retried with the same id.
    receiver.answer(&[500]);
    app.seed(&[spend("ann", "r2", "0.5")]).await;
    deliver(&app).await;
    assert_eq!(states(&receiver), ["WARNING", "FIRING"]);
    let later = chrono::Utc::now() + chrono::Duration::seconds(11);
    let sent = agentmon_projectors::alerts::deliver_due(&app.db, app.services.webhooks, later, 20)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(sent, 1);
    assert_eq!(states(&receiver), ["WARNING", "FIRING", "FIRING"]);
    let ids: Vec<String> = receiver
        .received()
        .iter()
        .map(|r| {
            r.headers
                .get("x-agentmon-delivery")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    assert_eq!(ids[1], ids[2], "a retry keeps its delivery id");
    assert_ne!(ids[0], ids[1]);

    // Two evaluations at once store nothing twice.
    let now = chrono::Utc::now();
    let (a, b) = tokio::join!(
        agentmon_projectors::alerts::evaluate_orgs(&app.db, None, now),
        agentmon_projectors::alerts::evaluate_orgs(&app.db, None, now)
    );
    assert!(a.is_ok() && b.is_ok());
    assert_eq!(
        app.count("SELECT count(*) AS n FROM alert_notifications")
            .await,
        2
    );

    let body = app
        .graphql(
            Some(&app.user_token(Role::Manager, Some("acme"))),
            "{ org(slug: \"acme\") { alertRules { id state value } } }",
            json!({}),
        )
        .await;
    assert_eq!(body["data"]["org"]["alertRules"][0]["id"], rule);
    assert_eq!(
        body["data"]["org"]["alertRules"][0]["state"], "FIRING",
        "{body}"
    );
    let value = body["data"]["org"]["alertRules"][0]["value"]
        .as_f64()
        .unwrap_or_default();
    assert!((value - 1.1).abs() < 1e-9, "{body}");

    // The budget raised to $5 past its spend: resolved, once, delivered.
    let body = app
        .graphql(
            Some(&admin),
            "mutation($id: ID!, $t: ID!, $c: ID!) { updateAlertRule(id: $id, rule: {name: \"Core budget\", metric: COST_USD, window: DAY, threshold: 5, warnAt: 0.5, teamId: $t, channelIds: [$c]}) { state threshold } }",
            json!({ "id": rule, "t": team, "c": channel }),
        )
        .await;
    assert_eq!(
        body["data"]["updateAlertRule"],
        json!({"state": "OK", "threshold": 5.0}),
        "the rule as it now reads starts from OK: {body}"
    );
    for _ in 0..2 {
        agentmon_projectors::alerts::evaluate_orgs(&app.db, None, chrono::Utc::now())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
    deliver(&app).await;
    assert_eq!(states(&receiver), ["WARNING", "FIRING", "FIRING", "OK"]);
}

#[tokio::test]
async fn a_silent_producer_fires_without_new_events() {
    let app = TestApp::with_private_webhooks().await;
    app.create_org("acme", "UTC").await;
    let receiver = Receiver::start().await;
    let admin = app.user_token(Role::OrgAdmin, Some("acme"));
    let last = event("acme", "SESSION_STARTED")
        .user("ann")
        .session("quiet")
        .at(chrono::Utc::now() - chrono::Duration::minutes(40))
        .build();
    app.seed(&[last]).await;
    let body = app
        .graphql(
            Some(&admin),
            "mutation($url: String!) { createAlertChannel(org: \"acme\", name: \"hook\", kind: SLACK, url: $url) { channel { id } } }",
            json!({ "url": format!("http://{}/hook", receiver.addr) }),
        )
        .await;
    let channel = body["data"]["createAlertChannel"]["channel"]["id"].clone();
    let body = app
        .graphql(
            Some(&admin),
            "mutation($c: ID!) { createAlertRule(org: \"acme\", rule: {name: \"Producer silent\", metric: SILENCE_MINUTES, window: DAY, threshold: 30, channelIds: [$c]}) { id } }",
            json!({ "c": channel }),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
    // The minute's evaluation, with no event since.
    let now = chrono::Utc::now();
    let notified = agentmon_projectors::alerts::evaluate_orgs(&app.db, None, now)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(notified.len(), 1);
    assert!((notified[0].value - 40.0).abs() < 1.0, "{notified:?}");
    agentmon_projectors::alerts::deliver_due(&app.db, app.services.webhooks, now, 20)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let got = receiver.received();
    assert_eq!(got.len(), 1);
    let sent: Value = serde_json::from_slice(&got[0].body).unwrap_or_default();
    assert!(
        sent["text"]
            .as_str()
            .unwrap_or_default()
            .contains("Producer silent is FIRING"),
        "{sent}"
    );
}

const RULES: &str = "{ org(slug: \"acme\") { alertRules { name state value evaluatedAt } } }";

/// A rule on a user is evaluated after a batch of that user's events, and
/// left alone by a batch of another user's (their figures did not change).
#[tokio::test]
async fn a_users_rule_is_evaluated_after_a_batch_of_their_events() {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    let admin = app.user_token(Role::OrgAdmin, Some("acme"));
    for (name, user, threshold) in [("ann's runs", "ann", 2), ("bob's runs", "bob", 1)] {
        let body = app
            .graphql(
                Some(&admin),
                "mutation($n: String!, $u: String!, $t: Float!) { createAlertRule(org: \"acme\", rule: {name: $n, metric: RUNS, window: DAY, threshold: $t, userId: $u, channelIds: []}) { id } }",
                json!({ "n": name, "u": user, "t": threshold }),
            )
            .await;
        assert!(body["errors"].is_null(), "{body}");
    }
    // Every rule evaluated once, as the minute's evaluation does.
    agentmon_projectors::alerts::evaluate_orgs(&app.db, None, chrono::Utc::now())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let rules = |body: Value| -> Vec<Value> {
        body["data"]["org"]["alertRules"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    };
    let before = rules(app.graphql(Some(&admin), RULES, json!({})).await);
    assert_eq!(before[0]["value"], 0.0, "{before:?}");

    // A batch of bob's: his rule fires; ann's is not read again.
    app.seed(&[spend("bob", "b1", "0.1")]).await;
    let after = rules(app.graphql(Some(&admin), RULES, json!({})).await);
    assert_eq!(after[1]["state"], "FIRING", "{after:?}");
    assert_eq!(after[1]["value"], 1.0, "{after:?}");
    assert_eq!(
        after[0]["evaluatedAt"], before[0]["evaluatedAt"],
        "{after:?}"
    );

    // Two runs of ann's: hers fires after that batch.
    app.seed(&[spend("ann", "a1", "0.1"), spend("ann", "a2", "0.1")])
        .await;
    let after = rules(app.graphql(Some(&admin), RULES, json!({})).await);
    assert_eq!(after[0]["state"], "FIRING", "{after:?}");
    assert_eq!(after[0]["value"], 2.0, "{after:?}");
    assert_eq!(
        app.count("SELECT count(*) AS n FROM alert_notifications WHERE state = 'FIRING'")
            .await,
        2
    );
}

/// Dead letters piling up fire at the minute's evaluation, with no new
/// event: the org's count now.
#[tokio::test]
async fn dead_letters_fire_without_new_events() {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    let admin = app.user_token(Role::OrgAdmin, Some("acme"));
    let body = app
        .graphql(
            Some(&admin),
            "mutation { createAlertRule(org: \"acme\", rule: {name: \"Dead letters\", metric: DEAD_LETTERS, window: DAY, threshold: 1, channelIds: []}) { id } }",
            json!({}),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
    app.poison_session_poison().await;
    app.ingest(&[event("acme", "SESSION_STARTED").session("poison").build()])
        .await;
    let worker = app.worker(100);
    for _ in 0..200 {
        worker.drain().await.unwrap_or_else(|e| panic!("{e}"));
        if app.count("SELECT count(*) AS n FROM dead_letters").await == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(app.count("SELECT count(*) AS n FROM dead_letters").await, 1);
    let notified = agentmon_projectors::alerts::evaluate_orgs(&app.db, None, chrono::Utc::now())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let fired: Vec<(String, f64)> = notified
        .iter()
        .map(|n| (n.state.as_str().to_string(), n.value))
        .collect();
    // Fired already, or now: once either way.
    let stored = app
        .count("SELECT count(*) AS n FROM alert_notifications WHERE state = 'FIRING' AND value = 1")
        .await;
    assert_eq!(stored, 1, "{fired:?}");
}

/// Disabling a FIRING rule resolves it once, as it fired: the receiver's
/// incident would otherwise stay open (before, disabling dropped its state
/// and nothing was ever resolved, even once it was enabled again).
#[tokio::test]
async fn a_rule_disabled_while_firing_is_resolved_once() {
    let app = TestApp::with_private_webhooks().await;
    let receiver = Receiver::start().await;
    let Budget {
        channel,
        team,
        rule,
        ..
    } = budget(&app, &receiver).await;
    let admin = app.user_token(Role::OrgAdmin, Some("acme"));
    // 1.5 of 1.0: FIRING.
    app.seed(&[spend("ann", "r1", "1.5")]).await;
    deliver(&app).await;
    assert_eq!(states(&receiver), ["FIRING"]);
    let set = |enabled: bool| {
        app.graphql(
            Some(&admin),
            "mutation($id: ID!, $t: ID!, $c: ID!, $on: Boolean!) { updateAlertRule(id: $id, rule: {name: \"Core budget\", metric: COST_USD, window: DAY, threshold: 1.0, warnAt: 0.5, teamId: $t, channelIds: [$c], enabled: $on}) { state enabled } }",
            json!({ "id": rule, "t": team, "c": channel, "on": enabled }),
        )
    };
    let body = set(false).await;
    assert_eq!(
        body["data"]["updateAlertRule"],
        json!({"state": "OK", "enabled": false}),
        "{body}"
    );
    for _ in 0..2 {
        agentmon_projectors::alerts::evaluate_orgs(&app.db, None, chrono::Utc::now())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }
    deliver(&app).await;
    assert_eq!(states(&receiver), ["FIRING", "OK"], "resolved once");
    let resolved: Value = serde_json::from_slice(&receiver.received()[1].body).unwrap_or_default();
    assert_eq!(resolved["threshold"], 1.0, "{resolved}");
    // Enabled again while the spend is still over: FIRING anew, once.
    set(true).await;
    agentmon_projectors::alerts::evaluate_orgs(&app.db, None, chrono::Utc::now())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    deliver(&app).await;
    assert_eq!(states(&receiver), ["FIRING", "OK", "FIRING"]);
}
