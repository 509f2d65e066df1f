//! Orgs: created by a SUPER_ADMIN only, with clear errors; seen by whom
//! SPEC section 4 allows.

use agentmon_core::auth::Role;
use serde_json::json;

use crate::harness::{error_code, TestApp};

const CREATE: &str = "mutation($slug: String!, $tz: String!) { createOrg(slug: $slug, name: \"Org\", timezone: $tz) { slug timezone status } }";

#[tokio::test]
async fn create_org_checks_its_input() {
    let app = TestApp::new().await;
    let admin = app.super_admin();
    let ok = app
        .graphql(
            Some(&admin),
            CREATE,
            json!({"slug": "acme", "tz": "Asia/Kolkata"}),
        )
        .await;
    assert_eq!(
        ok["data"]["createOrg"],
        json!({"slug": "acme", "timezone": "Asia/Kolkata", "status": "ACTIVE"}),
        "{ok}"
    );
    for (slug, tz, mentions) in [
        ("acme", "UTC", "already exists"),
        ("Bad_Slug", "UTC", "slug"),
        ("a", "UTC", "slug"),
        ("good-slug", "Mars/Olympus", "timezone"),
    ] {
        let body = app
            .graphql(Some(&admin), CREATE, json!({"slug": slug, "tz": tz}))
            .await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{slug}: {body}");
        let message = body["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(message.contains(mentions), "{slug}: {message}");
    }
    assert_eq!(app.count("SELECT count(*) AS n FROM orgs").await, 1);
    assert_eq!(
        app.count("SELECT count(*) AS n FROM audit_log WHERE action = 'ORG_CREATED'")
            .await,
        1
    );
}

#[tokio::test]
async fn only_a_super_admin_creates_orgs() {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    for role in [Role::Member, Role::Manager, Role::OrgAdmin, Role::Support] {
        let token = app.user_token(role, Some("acme"));
        let body = app
            .graphql(
                Some(&token),
                CREATE,
                json!({"slug": "new-org", "tz": "UTC"}),
            )
            .await;
        assert_eq!(error_code(&body), "FORBIDDEN", "{role:?}: {body}");
    }
    let body = app
        .graphql(None, CREATE, json!({"slug": "new-org", "tz": "UTC"}))
        .await;
    assert_eq!(error_code(&body), "UNAUTHENTICATED", "{body}");
}

#[tokio::test]
async fn each_role_sees_the_orgs_it_may() {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    app.create_org("globex", "Europe/Berlin").await;
    let orgs = "{ orgs { slug } }";
    for (role, expected) in [
        (Role::Member, json!([{"slug": "acme"}])),
        (Role::Manager, json!([{"slug": "acme"}])),
        (Role::OrgAdmin, json!([{"slug": "acme"}])),
        (Role::Support, json!([{"slug": "acme"}, {"slug": "globex"}])),
        (
            Role::SuperAdmin,
            json!([{"slug": "acme"}, {"slug": "globex"}]),
        ),
    ] {
        let body = app
            .graphql(Some(&app.user_token(role, Some("acme"))), orgs, json!({}))
            .await;
        assert_eq!(body["data"]["orgs"], expected, "{role:?}: {body}");
    }
}

#[tokio::test]
async fn org_by_slug_is_forbidden_outside_the_viewers_org() {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    app.create_org("globex", "UTC").await;
    let member = app.user_token(Role::Member, Some("acme"));
    let q = "query($s: String!) { org(slug: $s) { slug name status timezone } }";

    let own = app.graphql(Some(&member), q, json!({"s": "acme"})).await;
    assert_eq!(own["data"]["org"]["slug"], "acme", "{own}");
    let other = app.graphql(Some(&member), q, json!({"s": "globex"})).await;
    assert_eq!(error_code(&other), "FORBIDDEN", "{other}");
    // No existence leak: an unknown slug is FORBIDDEN too for an org role.
    let unknown = app.graphql(Some(&member), q, json!({"s": "nosuch"})).await;
    assert_eq!(error_code(&unknown), "FORBIDDEN", "{unknown}");

    let admin = app.super_admin();
    let missing = app.graphql(Some(&admin), q, json!({"s": "nosuch"})).await;
    assert!(missing["errors"].is_null(), "{missing}");
    assert!(missing["data"]["org"].is_null(), "{missing}");
}

#[tokio::test]
async fn support_reading_an_org_is_audited() {
    let app = TestApp::new().await;
    app.create_org("globex", "UTC").await;
    let support = app.user_token(Role::Support, None);
    let body = app
        .graphql(
            Some(&support),
            "{ org(slug: \"globex\") { slug } }",
            json!({}),
        )
        .await;
    assert_eq!(body["data"]["org"]["slug"], "globex", "{body}");
    assert_eq!(
        app.count("SELECT count(*) AS n FROM audit_log WHERE action = 'SUPPORT_READ' AND actor_role = 'SUPPORT'")
            .await,
        1
    );
}

#[tokio::test]
async fn me_names_the_viewer_and_their_org() {
    let app = TestApp::new().await;
    app.create_org("acme", "America/New_York").await;
    let token = app.user_token(Role::Manager, Some("acme"));
    let body = app
        .graphql(
            Some(&token),
            "{ me { userId role org { slug timezone } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        body["data"]["me"],
        json!({"userId": "tester", "role": "MANAGER", "org": {"slug": "acme", "timezone": "America/New_York"}}),
        "{body}"
    );
}
