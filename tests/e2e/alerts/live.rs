//! `alertNotified`: a MANAGER hears each state change of the org's rules
//! as the worker stores it (with its value and rule); a MEMBER, and a
//! MANAGER of another org, are refused; another org's changes are not
//! sent.

use std::time::Duration;

use agentmon_core::auth::Role;
use agentmon_core::bus::Change;
use serde_json::{json, Value};
use uuid::Uuid;

use super::spend;
use crate::harness::live::LiveClient;
use crate::harness::{error_code, TestApp};

const AFTER: &str = "subscription($org: String!, $after: ID) { alertNotified(org: $org, after: $after) { id state value threshold rule { name state } deliveries { status } } }";
const NOTIFIED: &str = "subscription($org: String!) { alertNotified(org: $org) { id state value threshold rule { name state } deliveries { status } } }";

#[tokio::test]
async fn a_manager_hears_each_change_of_the_orgs_rules() {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    app.create_org("globex", "UTC").await;
    let addr = app.listen().await;
    let admin = app.user_token(Role::OrgAdmin, Some("acme"));
    let body = app
        .graphql(
            Some(&admin),
            "mutation { createAlertRule(org: \"acme\", rule: {name: \"Org budget\", metric: COST_USD, window: MONTH, threshold: 2, warnAt: 0.5, channelIds: []}) { id } }",
            json!({}),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
    // $1.20 of $2: WARNING, stored by the worker's evaluation after the
    // batch (nobody hears it yet).
    app.seed(&[spend("ann", "r1", "1.2")]).await;
    let body = app
        .graphql(
            Some(&admin),
            "{ org(slug: \"acme\") { id alertNotifications { edges { node { id state } } } } }",
            json!({}),
        )
        .await;
    let id = |v: &Value| {
        Uuid::parse_str(v.as_str().unwrap_or_default()).unwrap_or_else(|e| panic!("{e}: {body}"))
    };
    let org = id(&body["data"]["org"]["id"]);
    let edges = &body["data"]["org"]["alertNotifications"]["edges"];
    assert_eq!(edges[0]["node"]["state"], "WARNING", "{body}");
    let warning = id(&edges[0]["node"]["id"]);

    let mut member =
        LiveClient::signed_in(&addr, &app.user_token(Role::Member, Some("acme"))).await;
    member
        .subscribe("m", NOTIFIED, json!({"org": "acme"}))
        .await;
    let refused = member
        .next(Duration::from_secs(5))
        .await
        .unwrap_or_default();
    assert_eq!(error_code(&refused["payload"]), "FORBIDDEN", "{refused}");
    let mut other =
        LiveClient::signed_in(&addr, &app.user_token(Role::Manager, Some("globex"))).await;
    other.subscribe("o", NOTIFIED, json!({"org": "acme"})).await;
    let refused = other.next(Duration::from_secs(5)).await.unwrap_or_default();
    assert_eq!(error_code(&refused["payload"]), "FORBIDDEN", "{refused}");

    // After the WARNING the manager has: what is stored after it is sent,
    // however the subscription's start and the worker interleave.
    let mut manager =
        LiveClient::signed_in(&addr, &app.user_token(Role::Manager, Some("acme"))).await;
    manager
        .subscribe(
            "n",
            AFTER,
            json!({"org": "acme", "after": warning.to_string()}),
        )
        .await;
    // A wake-up naming the WARNING again, or another org, sends nothing.
    for other_org in [org, Uuid::new_v4()] {
        app.services
            .bus
            .publish(Change {
                notifications: vec![(other_org, warning)],
                ..Default::default()
            })
            .await;
    }
    assert_eq!(manager.next(Duration::from_millis(500)).await, None);

    // $1.20 + $0.90 = $2.10 ≥ $2: the worker's round stores FIRING and
    // announces it.
    app.ingest(&[spend("ann", "r2", "0.9")]).await;
    let worker = app.worker(500);
    worker.drain().await.unwrap_or_else(|e| panic!("{e}"));
    let fired = manager
        .next(Duration::from_secs(5))
        .await
        .unwrap_or_else(|| panic!("no FIRING heard"));
    let heard = &fired["payload"]["data"]["alertNotified"];
    assert_eq!(heard["state"], "FIRING", "{fired}");
    assert!(
        (heard["value"].as_f64().unwrap_or_default() - 2.1).abs() < 1e-9,
        "{fired}"
    );
    assert_eq!(heard["threshold"], 2.0, "{fired}");
    assert_eq!(heard["rule"]["name"], "Org budget", "{fired}");
    assert_eq!(heard["rule"]["state"], "FIRING", "{fired}");
    assert_eq!(heard["deliveries"], json!([]), "{fired}");
    assert_eq!(
        manager.next(Duration::from_millis(500)).await,
        None,
        "sent once"
    );

    // A subscriber who last saw the WARNING, starting now, gets the FIRING
    // it missed at once; with no `after`, nothing old.
    let mut late = LiveClient::signed_in(&addr, &app.user_token(Role::Manager, Some("acme"))).await;
    late.subscribe(
        "a",
        AFTER,
        json!({"org": "acme", "after": warning.to_string()}),
    )
    .await;
    late.subscribe("b", NOTIFIED, json!({"org": "acme"})).await;
    let missed = late
        .next(Duration::from_secs(5))
        .await
        .unwrap_or_else(|| panic!("the missed FIRING was not sent"));
    assert_eq!(missed["id"], "a", "{missed}");
    assert_eq!(
        missed["payload"]["data"]["alertNotified"]["state"], "FIRING",
        "{missed}"
    );
    assert_eq!(late.next(Duration::from_millis(500)).await, None);
    // `after` of another org's notification is not found.
    let mut stranger =
        LiveClient::signed_in(&addr, &app.user_token(Role::Manager, Some("globex"))).await;
    stranger
        .subscribe(
            "s",
            AFTER,
            json!({"org": "globex", "after": warning.to_string()}),
        )
        .await;
    let refused = stranger
        .next(Duration::from_secs(5))
        .await
        .unwrap_or_default();
    assert_eq!(error_code(&refused["payload"]), "NOT_FOUND", "{refused}");
}
