//! Alert channels: an ORG_ADMIN makes a webhook or Slack channel (its
//! signing secret shown once, its target shown without the path that may
//! hold a secret), tests it against a real receiver on a loopback port —
//! the body signed with HMAC-SHA256 of that secret, a delivery id, a 500
//! recorded as failed, a redirect not followed — and deletes it; every
//! change audited. Other roles and other orgs' admins reach none of it, and
//! without the operator's leave no channel may point inside the network.

use agentmon_core::auth::Role;
use serde_json::{json, Value};

use super::receiver::{sign, Receiver};
use crate::harness::{error_code, TestApp};

const CREATE: &str = "mutation($org: String!, $name: String!, $kind: AlertChannelKind!, $url: String!) { \
  createAlertChannel(org: $org, name: $name, kind: $kind, url: $url) { signingSecret channel { id name kind target createdAt } } }";
const TEST: &str = "mutation($id: ID!) { testAlertChannel(id: $id) { status attempts responseStatus lastError channel { id target } } }";
const DELETE: &str = "mutation($id: ID!) { deleteAlertChannel(id: $id) }";
const LIST: &str =
    "query($org: String!) { org(slug: $org) { alertChannels { id name kind target } } }";

async fn create(app: &TestApp, token: &str, org: &str, kind: &str, url: &str) -> Value {
    app.graphql(
        Some(token),
        CREATE,
        json!({ "org": org, "name": format!("{kind} channel"), "kind": kind, "url": url }),
    )
    .await
}

#[tokio::test]
async fn a_webhook_channel_is_signed_tested_against_a_real_receiver_and_deleted() {
    let app = TestApp::with_private_webhooks().await;
    app.create_org("acme", "UTC").await;
    app.create_org("globex", "UTC").await;
    let receiver = Receiver::start().await;
    let admin = app.user_token(Role::OrgAdmin, Some("acme"));
    let url = format!("http://{}/hooks/s3cr3t-path?token=t0ken", receiver.addr);

    let body = create(&app, &admin, "acme", "WEBHOOK", &url).await;
    let created = &body["data"]["createAlertChannel"];
    let secret = created["signingSecret"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_string();
    assert!(
        secret.starts_with("whsec_") && secret.len() > 40,
        "{secret}"
    );
    let channel = &created["channel"];
    assert_eq!(channel["target"], format!("http://{}", receiver.addr));
    let id = channel["id"].as_str().unwrap_or_default().to_string();

    // Listed without the path or the secret.
    let listed = app
        .graphql(Some(&admin), LIST, json!({ "org": "acme" }))
        .await;
    assert_eq!(
        listed["data"]["org"]["alertChannels"][0]["id"],
        id.as_str(),
        "{listed}"
    );
    for text in [
        listed.to_string(),
        body["data"]["createAlertChannel"]["channel"].to_string(),
    ] {
        assert!(
            !text.contains("s3cr3t") && !text.contains("t0ken") && !text.contains(&secret),
            "{text}"
        );
    }

    // A test: one POST, signed with the secret, with a delivery id.
    let tested = app.graphql(Some(&admin), TEST, json!({ "id": id })).await;
    let delivery = &tested["data"]["testAlertChannel"];
    assert_eq!(
        (
            delivery["status"].clone(),
            delivery["attempts"].clone(),
            delivery["responseStatus"].clone()
        ),
        (json!("DELIVERED"), json!(1), json!(200)),
        "{tested}"
    );
    let got = receiver.received();
    assert_eq!(got.len(), 1);
    let request = &got[0];
    assert_eq!(request.path, "/hooks/s3cr3t-path?token=t0ken");
    let header = |name: &str| {
        request
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(header("x-agentmon-signature"), sign(&secret, &request.body));
    assert_ne!(
        header("x-agentmon-signature"),
        sign("whsec_other", &request.body)
    );
    assert!(
        uuid::Uuid::parse_str(&header("x-agentmon-delivery")).is_ok(),
        "{}",
        header("x-agentmon-delivery")
    );
    assert_eq!(header("content-type"), "application/json");
    let sent: Value = serde_json::from_slice(&request.body).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        (sent["type"].clone(), sent["org"].clone()),
        (json!("TEST"), json!("acme")),
        "{sent}"
    );

    // A receiver answering 500: failed, with the status and why.
    receiver.answer(&[500]);
    let tested = app.graphql(Some(&admin), TEST, json!({ "id": id })).await;
    let delivery = &tested["data"]["testAlertChannel"];
    assert_eq!(
        (
            delivery["status"].clone(),
            delivery["responseStatus"].clone()
        ),
        (json!("FAILED"), json!(500)),
        "{tested}"
    );
    assert!(
        delivery["lastError"]
            .as_str()
            .unwrap_or_default()
            .contains("500"),
        "{tested}"
    );

    // A redirect is not followed.
    receiver.answer(&[302]);
    let tested = app.graphql(Some(&admin), TEST, json!({ "id": id })).await;
    let delivery = &tested["data"]["testAlertChannel"];
    assert_eq!(delivery["status"], "FAILED", "{tested}");
    assert!(
        delivery["lastError"]
            .as_str()
            .unwrap_or_default()
            .contains("redirects are not followed"),
        "{tested}"
    );
    assert!(receiver.received().iter().all(|r| r.path != "/elsewhere"));
    assert_eq!(receiver.received().len(), 3);

    // The secret is nowhere in the audit log, nor the path.
    let audit = app
        .graphql(
            Some(&admin),
            "{ org(slug: \"acme\") { auditLog { edges { node { action target detail } } } } }",
            json!({}),
        )
        .await;
    let text = audit.to_string();
    assert!(text.contains("ALERT_CHANNEL_CREATED"), "{audit}");
    assert!(
        !text.contains("s3cr3t") && !text.contains(&secret),
        "{audit}"
    );

    // Nobody else: a MANAGER, another org's admin.
    let manager = app.user_token(Role::Manager, Some("acme"));
    assert_eq!(
        error_code(
            &app.graphql(Some(&manager), LIST, json!({ "org": "acme" }))
                .await
        ),
        "FORBIDDEN"
    );
    assert_eq!(
        error_code(&create(&app, &manager, "acme", "WEBHOOK", &url).await),
        "FORBIDDEN"
    );
    let other = app.user_token(Role::OrgAdmin, Some("globex"));
    for (query, what) in [(TEST, "test"), (DELETE, "delete")] {
        let body = app.graphql(Some(&other), query, json!({ "id": id })).await;
        assert_eq!(error_code(&body), "NOT_FOUND", "{what}: {body}");
    }
    assert_eq!(
        receiver.received().len(),
        3,
        "another org's admin sent nothing"
    );

    // Deleted, then gone.
    let deleted = app.graphql(Some(&admin), DELETE, json!({ "id": id })).await;
    assert_eq!(deleted["data"]["deleteAlertChannel"], true, "{deleted}");
    let listed = app
        .graphql(Some(&admin), LIST, json!({ "org": "acme" }))
        .await;
    assert_eq!(listed["data"]["org"]["alertChannels"], json!([]));
    assert_eq!(
        error_code(&app.graphql(Some(&admin), TEST, json!({ "id": id })).await),
        "NOT_FOUND"
    );
    assert!(app
        .graphql(
            Some(&admin),
            "{ org(slug: \"acme\") { auditLog { edges { node { action } } } } }",
            json!({})
        )
        .await
        .to_string()
        .contains("ALERT_CHANNEL_DELETED"));
}

#[tokio::test]
async fn a_slack_channel_gets_slacks_message_format() {
    let app = TestApp::with_private_webhooks().await;
    app.create_org("acme", "UTC").await;
    let receiver = Receiver::start().await;
    let admin = app.user_token(Role::OrgAdmin, Some("acme"));
    let body = create(
        &app,
        &admin,
        "acme",
        "SLACK",
        &format!("http://{}/services/T0/B0/x", receiver.addr),
    )
    .await;
    let id = body["data"]["createAlertChannel"]["channel"]["id"].clone();
    assert_eq!(
        body["data"]["createAlertChannel"]["channel"]["kind"], "SLACK",
        "{body}"
    );
    let tested = app.graphql(Some(&admin), TEST, json!({ "id": id })).await;
    assert_eq!(
        tested["data"]["testAlertChannel"]["status"], "DELIVERED",
        "{tested}"
    );
    let sent: Value =
        serde_json::from_slice(&receiver.received()[0].body).unwrap_or_else(|e| panic!("{e}"));
    let text = sent["text"].as_str().unwrap_or_default();
    assert!(
        text.starts_with("agentmon: a test of the alert channel"),
        "{sent}"
    );
    assert_eq!(
        sent.as_object().map(|o| o.len()),
        Some(1),
        "Slack takes {{\"text\": …}}: {sent}"
    );
}

#[tokio::test]
async fn targets_inside_the_network_and_malformed_urls_are_refused() {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    let admin = app.user_token(Role::OrgAdmin, Some("acme"));
    for url in [
        "http://127.0.0.1:9/hook",
        "http://localhost/hook",
        "http://10.0.0.7/hook",
        "http://192.168.1.20:8080/hook",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://100.64.0.1/hook",
    ] {
        let body = create(&app, &admin, "acme", "WEBHOOK", url).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{url}: {body}");
        let message = body["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(
            message.contains("AGENTMON_WEBHOOK_ALLOW_PRIVATE=true"),
            "{url}: {message}"
        );
    }
    for (url, says) in [
        ("ftp://example.com/hook", "is not http or https"),
        ("https://user:pw@example.com/hook", "credentials"),
        ("hooks.example.com/x", "not a URL"),
    ] {
        let body = create(&app, &admin, "acme", "WEBHOOK", url).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{url}: {body}");
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .unwrap_or_default()
                .contains(says),
            "{url}: {body}"
        );
    }
    let listed = app
        .graphql(Some(&admin), LIST, json!({ "org": "acme" }))
        .await;
    assert_eq!(
        listed["data"]["org"]["alertChannels"],
        json!([]),
        "nothing was stored"
    );
}

/// The test button takes from a budget of the org's before it sends: 12
/// tests at once send 10 and refuse 2, and a channel deleted and made
/// again starts no new count. Before, each test counted the tests already
/// recorded, which are recorded once sent: tests at once all passed, and a
/// new channel started from zero.
#[tokio::test]
async fn channel_tests_at_once_or_on_a_new_channel_stay_within_ten_a_minute() {
    let app = TestApp::with_private_webhooks().await;
    app.create_org("acme", "UTC").await;
    let receiver = Receiver::start().await;
    let admin = app.user_token(Role::OrgAdmin, Some("acme"));
    let url = format!("http://{}/hook", receiver.addr);
    let id_of = |body: &Value| body["data"]["createAlertChannel"]["channel"]["id"].clone();
    let id = id_of(&create(&app, &admin, "acme", "WEBHOOK", &url).await);
    let tests = (0..12).map(|_| app.graphql(Some(&admin), TEST, json!({ "id": id })));
    let answers = futures::future::join_all(tests).await;
    let refused = answers
        .iter()
        .filter(|a| error_code(a) == "RATE_LIMITED")
        .count();
    assert_eq!(refused, 2, "{answers:?}");
    assert_eq!(receiver.received().len(), 10);

    let deleted = app.graphql(Some(&admin), DELETE, json!({ "id": id })).await;
    assert!(deleted["errors"].is_null(), "{deleted}");
    let again = id_of(&create(&app, &admin, "acme", "WEBHOOK", &url).await);
    let answer = app
        .graphql(Some(&admin), TEST, json!({ "id": again }))
        .await;
    assert_eq!(error_code(&answer), "RATE_LIMITED", "{answer}");
    assert_eq!(receiver.received().len(), 10);
}
