//! Producer API keys: made by an org's admin, they ingest into that org
//! only, read nothing, and stop working within seconds of revocation on
//! every server; the secret is shown once and stored nowhere.

use std::time::{Duration, Instant};

use agentmon_core::auth::{MintRequest, Role};
use serde_json::{json, Value};

use crate::harness::{error_code, event, TestApp};

const CREATE: &str = "mutation($org: String, $name: String!) { createApiKey(org: $org, name: $name) { secret apiKey { id name orgs prefix createdBy revokedAt } } }";
const REVOKE: &str = "mutation($id: ID!) { revokeApiKey(id: $id) { id revokedAt } }";

fn admin_of(app: &TestApp, org: &str, sub: &str) -> String {
    app.token(MintRequest::User {
        sub: sub.into(),
        role: Role::OrgAdmin,
        org: Some(org.into()),
    })
}

async fn create(app: &TestApp, token: &str, org: Option<&str>, name: &str) -> Value {
    app.graphql(Some(token), CREATE, json!({ "org": org, "name": name }))
        .await
}

#[tokio::test]
async fn an_org_admins_key_ingests_into_its_org_only_and_reads_nothing() {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    app.create_org("globex", "UTC").await;
    let admin = admin_of(&app, "acme", "boss");
    let body = create(&app, &admin, Some("acme"), "ci pipeline").await;
    let created = &body["data"]["createApiKey"];
    let secret = created["secret"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_string();
    assert!(secret.starts_with("amk_") && secret.len() == 47, "{secret}");
    assert_eq!(created["apiKey"]["orgs"], json!(["acme"]));
    assert_eq!(created["apiKey"]["createdBy"], "boss");
    assert!(secret.starts_with(created["apiKey"]["prefix"].as_str().unwrap_or("?")));

    let body = app
        .ingest_as(
            &secret,
            &[
                event("acme", "SESSION_STARTED").session("s1").build(),
                event("globex", "SESSION_STARTED").session("s2").build(),
            ],
        )
        .await;
    assert_eq!(body["data"]["ingestEvents"]["accepted"], 1, "{body}");
    assert_eq!(
        body["data"]["ingestEvents"]["rejected"][0]["code"],
        "FORBIDDEN_ORG"
    );
    let read = app
        .graphql(Some(&secret), "{ orgs { slug } }", json!({}))
        .await;
    assert_eq!(error_code(&read), "FORBIDDEN", "{read}");

    // The secret is in no later answer and no column; only its hash is stored.
    let listed = app
        .graphql(
            Some(&admin),
            "{ org(slug: \"acme\") { apiKeys { id name prefix } } }",
            json!({}),
        )
        .await;
    assert!(!listed.to_string().contains(&secret), "{listed}");
    assert_eq!(
        listed["data"]["org"]["apiKeys"].as_array().map(Vec::len),
        Some(1)
    );
    let leaked = app
        .count(&format!(
            "SELECT count(*) AS n FROM api_keys WHERE name LIKE '%{s}%' OR prefix = '{s}' OR hash = convert_to('{s}', 'UTF8')",
            s = secret
        ))
        .await;
    assert_eq!(leaked, 0);
    assert_eq!(
        app.count("SELECT count(*) AS n FROM audit_log WHERE action = 'API_KEY_CREATED' AND actor_sub = 'boss' AND target IS NOT NULL")
            .await,
        1
    );
}

#[tokio::test]
async fn a_revoked_key_is_refused_at_its_next_call_also_on_a_second_server() {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    let admin = admin_of(&app, "acme", "boss");
    let body = create(&app, &admin, Some("acme"), "laptop").await;
    let secret = body["data"]["createApiKey"]["secret"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let id = body["data"]["createApiKey"]["apiKey"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let one = |s: &str| vec![event("acme", "SESSION_STARTED").session(s).build()];
    assert_eq!(
        app.ingest_as(&secret, &one("a")).await["data"]["ingestEvents"]["accepted"],
        1
    );
    let replica = app.ingest_on_replica(&secret, &one("b")).await;
    assert_eq!(replica["data"]["ingestEvents"]["accepted"], 1, "{replica}");

    let revoked = app.graphql(Some(&admin), REVOKE, json!({ "id": id })).await;
    assert!(
        revoked["data"]["revokeApiKey"]["revokedAt"].is_string(),
        "{revoked}"
    );
    let refused = app.ingest_as(&secret, &one("c")).await;
    assert_eq!(error_code(&refused), "UNAUTHENTICATED", "{refused}");
    // The other server remembers a verified key for at most two seconds.
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        let body = app.ingest_on_replica(&secret, &one("d")).await;
        if error_code(&body) == "UNAUTHENTICATED" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "still accepted by the replica: {body}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Unknown and revoked keys get the same answer.
    let unknown = app
        .ingest_as("amk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", &one("e"))
        .await;
    assert_eq!(
        unknown["errors"][0]["message"],
        refused["errors"][0]["message"]
    );
    assert_eq!(
        app.count("SELECT count(*) AS n FROM events WHERE session_id IN ('c', 'e')")
            .await,
        0
    );
    assert_eq!(
        app.count("SELECT count(*) AS n FROM audit_log WHERE action = 'API_KEY_REVOKED'")
            .await,
        1
    );
}

#[tokio::test]
async fn keys_are_refused_outside_the_callers_rights_with_what_to_fix() {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    app.create_org("globex", "UTC").await;
    let admin = admin_of(&app, "acme", "boss");
    let cases = [
        (
            app.user_token(Role::Manager, Some("acme")),
            Some("acme"),
            "x".to_string(),
            "FORBIDDEN",
        ),
        (admin.clone(), Some("globex"), "x".to_string(), "FORBIDDEN"),
        (admin.clone(), None, "x".to_string(), "FORBIDDEN"),
        (
            app.user_token(Role::Support, None),
            Some("acme"),
            "x".to_string(),
            "FORBIDDEN",
        ),
        (
            admin.clone(),
            Some("acme"),
            "".to_string(),
            "BAD_USER_INPUT",
        ),
        (
            admin.clone(),
            Some("acme"),
            "n".repeat(200),
            "BAD_USER_INPUT",
        ),
        // An org admin learns nothing of other orgs, not even whether they exist.
        (admin.clone(), Some("nope"), "x".to_string(), "FORBIDDEN"),
        (
            app.super_admin(),
            Some("nope"),
            "x".to_string(),
            "NOT_FOUND",
        ),
    ];
    for (token, org, name, code) in cases {
        let body = create(&app, &token, org, &name).await;
        assert_eq!(error_code(&body), code, "{org:?} {name}: {body}");
    }
    // A SUPER_ADMIN's key for every org.
    let every = create(&app, &app.super_admin(), None, "drop copy").await;
    assert_eq!(
        every["data"]["createApiKey"]["apiKey"]["orgs"],
        json!(["*"]),
        "{every}"
    );
    let id = every["data"]["createApiKey"]["apiKey"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    // An org admin cannot revoke a key that is not their org's.
    let body = app.graphql(Some(&admin), REVOKE, json!({ "id": id })).await;
    assert_eq!(error_code(&body), "NOT_FOUND", "{body}");
    let listed = app
        .graphql(Some(&app.super_admin()), "{ apiKeys { orgs } }", json!({}))
        .await;
    assert_eq!(
        listed["data"]["apiKeys"],
        json!([{ "orgs": ["*"] }]),
        "{listed}"
    );
}

#[tokio::test]
async fn a_keys_last_use_is_recorded_when_the_server_flushes_it() {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    let admin = admin_of(&app, "acme", "boss");
    let used = create(&app, &admin, Some("acme"), "busy").await;
    let idle = create(&app, &admin, Some("acme"), "idle").await;
    let secret = used["data"]["createApiKey"]["secret"]
        .as_str()
        .unwrap_or_else(|| panic!("{used}"))
        .to_string();
    let before = chrono::Utc::now();
    let body = app
        .ingest_as(
            &secret,
            &[event("acme", "SESSION_STARTED").session("s1").build()],
        )
        .await;
    assert_eq!(body["data"]["ingestEvents"]["accepted"], 1, "{body}");
    let after = chrono::Utc::now();

    // What the server does every few seconds, on the request login.
    let mut conn = app.db.app().await.unwrap_or_else(|e| panic!("{e}"));
    let flushed = app
        .services
        .keys
        .flush_last_used(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(flushed, 1);

    let listed = app
        .graphql(
            Some(&admin),
            "{ org(slug: \"acme\") { apiKeys { name lastUsedAt } } }",
            json!({}),
        )
        .await;
    let keys = listed["data"]["org"]["apiKeys"]
        .as_array()
        .unwrap_or_else(|| panic!("{listed}"));
    let last_used = |name: &str| {
        keys.iter()
            .find(|k| k["name"] == name)
            .unwrap_or_else(|| panic!("{listed}"))["lastUsedAt"]
            .clone()
    };
    let at: chrono::DateTime<chrono::Utc> = last_used("busy")
        .as_str()
        .unwrap_or_else(|| panic!("no lastUsedAt: {listed}"))
        .parse()
        .unwrap_or_else(|e| panic!("{e}"));
    // Stored to the microsecond: the bounds allow for the truncation.
    let slack = chrono::Duration::milliseconds(1);
    assert!(
        before - slack <= at && at <= after + slack,
        "{before} <= {at} <= {after}"
    );
    assert_eq!(last_used("idle"), Value::Null, "{idle}");
}

#[tokio::test]
async fn a_suspended_org_gets_no_new_keys_but_its_admin_may_still_erase_a_person() {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    let admin = admin_of(&app, "acme", "boss");
    let key = create(&app, &admin, Some("acme"), "before").await;
    let secret = key["data"]["createApiKey"]["secret"]
        .as_str()
        .unwrap_or_else(|| panic!("{key}"))
        .to_string();
    let body = app
        .ingest_as(
            &secret,
            &[event("acme", "SESSION_STARTED")
                .session("s1")
                .user("ann")
                .build()],
        )
        .await;
    assert_eq!(body["data"]["ingestEvents"]["accepted"], 1, "{body}");
    let suspended = app
        .graphql(
            Some(&app.super_admin()),
            "mutation { updateOrg(slug: \"acme\", status: SUSPENDED) { status } }",
            json!({}),
        )
        .await;
    assert_eq!(
        suspended["data"]["updateOrg"]["status"], "SUSPENDED",
        "{suspended}"
    );

    let refused = create(&app, &admin, Some("acme"), "after").await;
    assert_eq!(error_code(&refused), "FORBIDDEN", "{refused}");
    assert!(refused.to_string().contains("suspended"), "{refused}");
    let refused = create(&app, &app.super_admin(), Some("acme"), "after").await;
    assert_eq!(error_code(&refused), "FORBIDDEN", "{refused}");
    assert_eq!(
        app.count("SELECT count(*) AS n FROM api_keys WHERE name = 'after'")
            .await,
        0
    );

    let erased = app
        .graphql(
            Some(&admin),
            "mutation { eraseUser(org: \"acme\", userId: \"ann\") { userId } }",
            json!({}),
        )
        .await;
    assert_eq!(erased["data"]["eraseUser"]["userId"], "ann", "{erased}");
}

#[tokio::test]
async fn an_address_that_presents_many_unknown_keys_gets_no_more_key_checks_for_a_while() {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    let admin = admin_of(&app, "acme", "boss");
    let good = create(&app, &admin, Some("acme"), "good").await["data"]["createApiKey"]["secret"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let url = format!("http://{}/otlp/v1/logs", app.listen().await);
    let client = reqwest::Client::new();
    let send = |key: String| {
        client
            .post(&url)
            .header("content-type", "application/json")
            .header("x-api-key", key)
            .body(r#"{"resourceLogs":[]}"#)
            .send()
    };
    // The known key works from this address.
    let ok = send(good.clone()).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(ok.status(), 200);
    let limit = agentmon_api::refusals::MAX_REFUSED_KEYS;
    for i in 0..limit {
        let unknown = format!("amk_{:0>43}", i);
        let r = send(unknown).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.status(), 401, "unknown key {i}");
    }
    // The next one is refused before any lookup, with when to retry.
    let r = send(format!("amk_{:0>43}", "x"))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status(), 429);
    let retry = r
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    assert!(retry.is_some_and(|s| s > 0 && s <= 60), "{retry:?}");
    // A key this server verified moments ago still passes from the same
    // address (a collector shared with a misconfigured producer).
    let known = send(good.clone()).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(known.status(), 200);
    // The same server still takes the known key from another client (the
    // in-process requests carry no address of their own).
    let body = app
        .ingest_as(
            &good,
            &[event("acme", "SESSION_STARTED").session("s1").build()],
        )
        .await;
    assert_eq!(body["data"]["ingestEvents"]["accepted"], 1, "{body}");
}
