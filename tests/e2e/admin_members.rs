//! Roles and access set in agentmon win over the token's claim from the
//! next request on; live connections of a disabled user end; every
//! administrative action leaves one audit entry an org admin can read.

use std::time::Duration;

use agentmon_core::auth::{MintRequest, Role};
use serde_json::json;

use crate::harness::live::LiveClient;
use crate::harness::{error_code, event, TestApp};

const SET_ROLE: &str = "mutation($org: String!, $user: String!, $role: Role!) { setUserRole(org: $org, userId: $user, role: $role) { id role roleSetBy disabled } }";
const SET_DISABLED: &str = "mutation($org: String!, $user: String!, $off: Boolean!) { setUserDisabled(org: $org, userId: $user, disabled: $off) { id disabled } }";
const TOP_USERS: &str = "{ org(slug: \"acme\") { overview(range: {from: \"2026-01-01\", to: \"2026-12-31\"}) { topUsers { user { id } } } } }";

fn user(app: &TestApp, sub: &str, role: Role) -> String {
    app.token(MintRequest::User {
        sub: sub.into(),
        role,
        org: Some("acme".into()),
    })
}

async fn seeded() -> TestApp {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    app.create_org("globex", "UTC").await;
    app.ingest(&[
        event("acme", "SESSION_STARTED")
            .user("mia")
            .session("s1")
            .build(),
        event("acme", "SESSION_STARTED")
            .user("max")
            .session("s2")
            .build(),
    ])
    .await;
    app
}

#[tokio::test]
async fn a_member_promoted_to_manager_sees_top_users_on_the_next_request() {
    let app = seeded().await;
    let mia = user(&app, "mia", Role::Member);
    let admin = user(&app, "boss", Role::OrgAdmin);
    assert_eq!(
        error_code(&app.graphql(Some(&mia), TOP_USERS, json!({})).await),
        "FORBIDDEN"
    );

    let set = app
        .graphql(
            Some(&admin),
            SET_ROLE,
            json!({ "org": "acme", "user": "mia", "role": "MANAGER" }),
        )
        .await;
    assert_eq!(
        set["data"]["setUserRole"],
        json!({ "id": "mia", "role": "MANAGER", "roleSetBy": "boss", "disabled": false }),
        "{set}"
    );
    let now = app.graphql(Some(&mia), TOP_USERS, json!({})).await;
    assert!(
        now["errors"].is_null(),
        "the same MEMBER token now reads as a MANAGER: {now}"
    );
    let me = app.graphql(Some(&mia), "{ me { role } }", json!({})).await;
    assert_eq!(me["data"]["me"]["role"], "MANAGER", "{me}");
}

#[tokio::test]
async fn another_server_sees_a_role_change_and_a_disabled_user_within_its_member_cache_ttl() {
    let app = seeded().await;
    let mia = user(&app, "mia", Role::Member);
    let admin = user(&app, "boss", Role::OrgAdmin);
    let role_on_replica = async || {
        let me = app
            .graphql_on_replica(&mia, "{ me { role } }", json!({}))
            .await;
        me["data"]["me"]["role"]
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| error_code(&me).to_string())
    };
    // The replica reads (and remembers) mia as a MEMBER.
    assert_eq!(role_on_replica().await, "MEMBER");

    let changed = std::time::Instant::now();
    let set = app
        .graphql(
            Some(&admin),
            SET_ROLE,
            json!({ "org": "acme", "user": "mia", "role": "MANAGER" }),
        )
        .await;
    assert!(set["errors"].is_null(), "{set}");
    let here = app.graphql(Some(&mia), "{ me { role } }", json!({})).await;
    assert_eq!(
        here["data"]["me"]["role"], "MANAGER",
        "at once where it changed: {here}"
    );
    let ttl = agentmon_api::members::MEMBER_CACHE_TTL + Duration::from_millis(500);
    let mut seen = role_on_replica().await;
    while seen != "MANAGER" && changed.elapsed() < ttl {
        tokio::time::sleep(Duration::from_millis(50)).await;
        seen = role_on_replica().await;
    }
    assert_eq!(seen, "MANAGER", "the replica within {ttl:?}");

    let disabled = std::time::Instant::now();
    let off = app
        .graphql(
            Some(&admin),
            SET_DISABLED,
            json!({ "org": "acme", "user": "mia", "off": true }),
        )
        .await;
    assert!(off["errors"].is_null(), "{off}");
    assert_eq!(
        error_code(&app.graphql(Some(&mia), "{ me { role } }", json!({})).await),
        "FORBIDDEN",
        "at once where it changed"
    );
    let mut seen = role_on_replica().await;
    while seen != "FORBIDDEN" && disabled.elapsed() < ttl {
        tokio::time::sleep(Duration::from_millis(50)).await;
        seen = role_on_replica().await;
    }
    assert_eq!(seen, "FORBIDDEN", "the replica within {ttl:?}");
}

#[tokio::test]
async fn a_disabled_user_is_refused_at_the_next_request_and_their_live_connection_ends() {
    let app = seeded().await;
    let addr = app.listen().await;
    let max = user(&app, "max", Role::Manager);
    let admin = user(&app, "boss", Role::OrgAdmin);
    let mut live = LiveClient::signed_in(&addr, &max).await;
    live.subscribe(
        "1",
        "subscription { sessionUpdated(org: \"acme\") { org } }",
        json!({}),
    )
    .await;

    let off = app
        .graphql(
            Some(&admin),
            SET_DISABLED,
            json!({ "org": "acme", "user": "max", "off": true }),
        )
        .await;
    assert_eq!(off["data"]["setUserDisabled"]["disabled"], true, "{off}");
    let refused = app.graphql(Some(&max), "{ me { role } }", json!({})).await;
    assert_eq!(error_code(&refused), "FORBIDDEN", "{refused}");
    assert!(refused["errors"][0]["message"]
        .as_str()
        .unwrap_or_default()
        .contains("disabled"));

    let mut closed = None;
    while let Some(message) = live.next(Duration::from_secs(5)).await {
        if message["type"] == "closed" {
            closed = Some(message);
            break;
        }
    }
    let closed = closed.unwrap_or_else(|| panic!("the live connection stayed open"));
    assert_eq!(closed["code"], 4403, "{closed}");
    assert!(
        closed["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("disabled"),
        "{closed}"
    );

    let on = app
        .graphql(
            Some(&admin),
            SET_DISABLED,
            json!({ "org": "acme", "user": "max", "off": false }),
        )
        .await;
    assert_eq!(on["data"]["setUserDisabled"]["disabled"], false, "{on}");
    let back = app.graphql(Some(&max), "{ me { role } }", json!({})).await;
    assert_eq!(back["data"]["me"]["role"], "MANAGER", "{back}");
}

#[tokio::test]
async fn grants_an_org_admin_may_not_make_are_refused() {
    let app = seeded().await;
    let admin = user(&app, "boss", Role::OrgAdmin);
    app.graphql(Some(&admin), "{ me { role } }", json!({}))
        .await; // boss signs in
    let cases = [
        (
            json!({ "org": "acme", "user": "mia", "role": "SUPPORT" }),
            "BAD_USER_INPUT",
        ),
        (
            json!({ "org": "acme", "user": "mia", "role": "SUPER_ADMIN" }),
            "BAD_USER_INPUT",
        ),
        (
            json!({ "org": "acme", "user": "boss", "role": "MEMBER" }),
            "FORBIDDEN",
        ),
        (
            json!({ "org": "globex", "user": "mia", "role": "MANAGER" }),
            "FORBIDDEN",
        ),
        (
            json!({ "org": "acme", "user": "nobody", "role": "MANAGER" }),
            "NOT_FOUND",
        ),
        (
            json!({ "org": "acme", "user": "", "role": "MANAGER" }),
            "BAD_USER_INPUT",
        ),
    ];
    for (variables, code) in cases {
        let body = app.graphql(Some(&admin), SET_ROLE, variables.clone()).await;
        assert_eq!(error_code(&body), code, "{variables}: {body}");
    }
    let manager = user(&app, "mgr", Role::Manager);
    let body = app
        .graphql(
            Some(&manager),
            SET_ROLE,
            json!({ "org": "acme", "user": "mia", "role": "MANAGER" }),
        )
        .await;
    assert_eq!(error_code(&body), "FORBIDDEN", "{body}");
    let self_disable = app
        .graphql(
            Some(&admin),
            SET_DISABLED,
            json!({ "org": "acme", "user": "boss", "off": true }),
        )
        .await;
    assert_eq!(error_code(&self_disable), "FORBIDDEN", "{self_disable}");
}

#[tokio::test]
async fn every_action_leaves_one_entry_and_an_org_admin_reads_only_their_orgs() {
    let app = seeded().await;
    let admin = user(&app, "boss", Role::OrgAdmin);
    let other = app.token(MintRequest::User {
        sub: "rival".into(),
        role: Role::OrgAdmin,
        org: Some("globex".into()),
    });
    app.graphql(
        Some(&admin),
        SET_ROLE,
        json!({ "org": "acme", "user": "mia", "role": "MANAGER" }),
    )
    .await;
    app.graphql(
        Some(&admin),
        SET_DISABLED,
        json!({ "org": "acme", "user": "max", "off": true }),
    )
    .await;
    app.graphql(
        Some(&admin),
        "mutation { createApiKey(org: \"acme\", name: \"k\") { secret } }",
        json!({}),
    )
    .await;
    app.graphql(
        Some(&other),
        "mutation { createApiKey(org: \"globex\", name: \"g\") { secret } }",
        json!({}),
    )
    .await;

    let log = app
        .graphql(
            Some(&admin),
            "{ org(slug: \"acme\") { auditLog(first: 2) { edges { node { actor actorRole action org target } } pageInfo { hasNextPage endCursor } } } }",
            json!({}),
        )
        .await;
    let page = &log["data"]["org"]["auditLog"];
    let actions: Vec<&str> = page["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{log}"))
        .iter()
        .map(|e| e["node"]["action"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        actions,
        ["API_KEY_CREATED", "USER_DISABLED"],
        "newest first: {log}"
    );
    assert_eq!(page["edges"][1]["node"]["target"], "max");
    assert_eq!(page["edges"][1]["node"]["actor"], "boss");
    assert_eq!(page["edges"][1]["node"]["actorRole"], "ORG_ADMIN");
    let next = app
        .graphql(
            Some(&admin),
            "query($after: String) { org(slug: \"acme\") { auditLog(first: 50, after: $after) { edges { node { action org } } } } }",
            json!({ "after": page["pageInfo"]["endCursor"] }),
        )
        .await;
    let rest: Vec<&str> = next["data"]["org"]["auditLog"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{next}"))
        .iter()
        .map(|e| e["node"]["action"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(rest, ["ROLE_SET", "ORG_CREATED"], "{next}");
    assert!(
        !next.to_string().contains("globex"),
        "nothing of another org: {next}"
    );
    let denied = app
        .graphql(
            Some(&admin),
            "{ org(slug: \"globex\") { auditLog { edges { cursor } } } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&denied), "FORBIDDEN", "{denied}");
    // A SUPER_ADMIN reads every org's entries.
    let all = app
        .graphql(
            Some(&app.super_admin()),
            "{ auditLog(first: 200) { edges { node { org action } } } }",
            json!({}),
        )
        .await;
    let orgs: std::collections::BTreeSet<String> = all["data"]["auditLog"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{all}"))
        .iter()
        .filter_map(|e| e["node"]["org"].as_str().map(str::to_string))
        .collect();
    assert_eq!(orgs.into_iter().collect::<Vec<_>>(), ["acme", "globex"]);
    assert!(all.to_string().contains("API_KEY_CREATED"));
    // Nobody can change or remove an entry through the request login, even
    // in a transaction bound to the entry's org.
    use diesel_async::SimpleAsyncConnection;
    let entries = "SELECT count(*) AS n FROM audit_log a JOIN orgs o ON o.id = a.org_id \
                   WHERE o.slug = 'acme' AND a.action = 'USER_DISABLED' AND a.target = 'max'";
    assert_eq!(app.count(entries).await, 1);
    let org = app
        .graphql(
            Some(&app.super_admin()),
            "{ org(slug: \"acme\") { id } }",
            json!({}),
        )
        .await["data"]["org"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(!org.is_empty());
    for statement in [
        "UPDATE audit_log SET target = 'nobody' WHERE action = 'USER_DISABLED'",
        "DELETE FROM audit_log WHERE action = 'USER_DISABLED'",
    ] {
        let mut conn = app.db.app().await.unwrap_or_else(|e| panic!("{e}"));
        let bound =
            format!("BEGIN; SELECT set_config('app.org_id', '{org}', true); {statement}; COMMIT;");
        let refused = conn.batch_execute(&bound).await;
        let error = refused.err().map(|e| e.to_string()).unwrap_or_default();
        let _ = conn.batch_execute("ROLLBACK").await;
        assert!(
            error.contains("permission denied"),
            "the request login may not run {statement:?}: {error:?}"
        );
    }
    assert_eq!(app.count(entries).await, 1, "the entry is as it was");
}

#[tokio::test]
async fn who_may_do_what_is_read_by_the_orgs_admins_only() {
    let app = seeded().await;
    let admin = user(&app, "boss", Role::OrgAdmin);
    app.graphql(
        Some(&admin),
        SET_ROLE,
        json!({ "org": "acme", "user": "mia", "role": "MANAGER" }),
    )
    .await;
    let support = app.token(MintRequest::User {
        sub: "helpdesk".into(),
        role: Role::Support,
        org: None,
    });
    for field in ["role", "roleSetBy", "disabled", "lastSeenAt"] {
        let query = format!("{{ org(slug: \"acme\") {{ user(id: \"mia\") {{ id {field} }} }} }}");
        for (who, token) in [
            ("a MANAGER", user(&app, "max", Role::Manager)),
            ("SUPPORT", support.clone()),
        ] {
            let read = app.graphql(Some(&token), &query, json!({})).await;
            assert_eq!(
                error_code(&read),
                "FORBIDDEN",
                "{who} reads {field}: {read}"
            );
        }
        let read = app.graphql(Some(&admin), &query, json!({})).await;
        assert!(read["errors"].is_null(), "the admin reads {field}: {read}");
    }
    let read = app
        .graphql(
            Some(&admin),
            "{ org(slug: \"acme\") { user(id: \"mia\") { role roleSetBy } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        read["data"]["org"]["user"],
        json!({ "role": "MANAGER", "roleSetBy": "boss" }),
        "{read}"
    );
}
