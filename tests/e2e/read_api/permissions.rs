//! The permission matrix of SPEC section 4: every query field × every role
//! × own org, other org, own user, other user → the data, or FORBIDDEN.

use agentmon_core::auth::{MintRequest, Role};
use serde_json::{json, Value};

use crate::harness::{error_code, event, TestApp};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Outcome {
    Data,
    Forbidden,
}
use Outcome::*;

const ROLES: [Role; 5] = [
    Role::Member,
    Role::Manager,
    Role::OrgAdmin,
    Role::Support,
    Role::SuperAdmin,
];

/// (what, query, outcome for MEMBER, MANAGER, ORG_ADMIN, SUPPORT, SUPER_ADMIN)
fn matrix() -> Vec<(&'static str, &'static str, [Outcome; 5])> {
    let all = [Data; 5];
    let people = [Forbidden, Data, Data, Data, Data];
    let cross = [Forbidden, Forbidden, Forbidden, Data, Data];
    let admin = [Forbidden, Forbidden, Data, Forbidden, Data];
    let platform = [Forbidden, Forbidden, Forbidden, Forbidden, Data];
    vec![
        (
            "own org overview",
            r#"{ org(slug: "acme") { overview(range: {from: "2026-11-01", to: "2026-11-30"}) { kpis { sessions } daily { date } } } }"#,
            all,
        ),
        (
            "other org overview",
            r#"{ org(slug: "globex") { overview(range: {from: "2026-11-01", to: "2026-11-30"}) { kpis { sessions } } } }"#,
            cross,
        ),
        (
            "own org topUsers",
            r#"{ org(slug: "acme") { overview(range: {from: "2026-11-01", to: "2026-11-30"}) { topUsers { user { id } runs } } } }"#,
            people,
        ),
        (
            "other org topUsers",
            r#"{ org(slug: "globex") { overview(range: {from: "2026-11-01", to: "2026-11-30"}) { topUsers { runs } } } }"#,
            cross,
        ),
        (
            "own org adoption",
            r#"{ org(slug: "acme") { overview(range: {from: "2026-11-01", to: "2026-11-30"}) { adoption { members activeMembers newUsers } } } }"#,
            people,
        ),
        (
            "other org adoption",
            r#"{ org(slug: "globex") { overview(range: {from: "2026-11-01", to: "2026-11-30"}) { adoption { members } } } }"#,
            cross,
        ),
        (
            "own org waste",
            r#"{ org(slug: "acme") { overview(range: {from: "2026-11-01", to: "2026-11-30"}) { kpis { failedRunCostUsd failedModelCallCostUsd noCodeCostUsd } } } }"#,
            all,
        ),
        (
            "own org alert rules",
            r#"{ org(slug: "acme") { alertRules { id state value } } }"#,
            people,
        ),
        (
            "other org alert rules",
            r#"{ org(slug: "globex") { alertRules { id } } }"#,
            cross,
        ),
        (
            "own org alert notifications",
            r#"{ org(slug: "acme") { alertNotifications { totalCount edges { node { state } } } } }"#,
            people,
        ),
        (
            "other org alert notifications",
            r#"{ org(slug: "globex") { alertNotifications { totalCount } } }"#,
            cross,
        ),
        (
            "own org alert value",
            r#"{ org(slug: "acme") { alertValue(metric: COST_USD, window: MONTH) { value windowStart } } }"#,
            people,
        ),
        (
            "other org alert value",
            r#"{ org(slug: "globex") { alertValue(metric: RUNS, window: DAY) { value } } }"#,
            cross,
        ),
        (
            "own org alert channels",
            r#"{ org(slug: "acme") { alertChannels { id target } } }"#,
            admin,
        ),
        (
            "own org users list",
            r#"{ org(slug: "acme") { users(range: {from: "2026-11-01", to: "2026-11-30"}) { totalCount edges { node { user { id } } } } } }"#,
            people,
        ),
        (
            "other org users list",
            r#"{ org(slug: "globex") { users(range: {from: "2026-11-01", to: "2026-11-30"}) { totalCount } } }"#,
            cross,
        ),
        (
            "own sessions list",
            r#"{ org(slug: "acme") { sessions { totalCount edges { node { id user { id } } } } } }"#,
            all,
        ),
        (
            "other user's sessions by filter",
            r#"{ org(slug: "acme") { sessions(filter: {userId: "bob"}) { totalCount } } }"#,
            people,
        ),
        (
            "other org sessions",
            r#"{ org(slug: "globex") { sessions { totalCount } } }"#,
            cross,
        ),
        (
            "own session",
            r#"{ org(slug: "acme") { session(id: "alice-1") { id runs { id } timeline { type } } } }"#,
            all,
        ),
        (
            "other user's session",
            r#"{ org(slug: "acme") { session(id: "bob-1") { id } } }"#,
            people,
        ),
        (
            "other org session",
            r#"{ org(slug: "globex") { session(id: "gina-1") { id } } }"#,
            cross,
        ),
        (
            "own user",
            r#"{ org(slug: "acme") { user(id: "alice") { id stats(range: {from: "2026-11-01", to: "2026-11-30"}) { runs } sessions { totalCount } } } }"#,
            all,
        ),
        (
            "other user",
            r#"{ org(slug: "acme") { user(id: "bob") { id } } }"#,
            people,
        ),
        (
            "own user's kpis",
            r#"{ org(slug: "acme") { user(id: "alice") { kpis(range: {from: "2026-11-01", to: "2026-11-30"}) { runs linesAdded noCodeCostUsd } } } }"#,
            all,
        ),
        (
            "other user's kpis",
            r#"{ org(slug: "acme") { user(id: "bob") { kpis(range: {from: "2026-11-01", to: "2026-11-30"}) { runs } } } }"#,
            people,
        ),
        (
            "other user's stats via topUsers' user",
            r#"{ org(slug: "acme") { user(id: "bob") { stats(range: {from: "2026-11-01", to: "2026-11-30"}) { runs } } } }"#,
            people,
        ),
        (
            "other org user",
            r#"{ org(slug: "globex") { user(id: "gina") { id } } }"#,
            cross,
        ),
        (
            "own org retention",
            r#"{ org(slug: "acme") { retentionDays } }"#,
            all,
        ),
        (
            "own org teams",
            r#"{ org(slug: "acme") { teams { id name } } }"#,
            all,
        ),
        (
            "own org api keys",
            r#"{ org(slug: "acme") { apiKeys { id prefix } } }"#,
            admin,
        ),
        (
            "other org api keys",
            r#"{ org(slug: "globex") { apiKeys { id } } }"#,
            platform,
        ),
        (
            "own org members",
            r#"{ org(slug: "acme") { members { id role disabled } } }"#,
            admin,
        ),
        (
            "own org audit log",
            r#"{ org(slug: "acme") { auditLog { edges { node { action } } } } }"#,
            admin,
        ),
        (
            "other org audit log",
            r#"{ org(slug: "globex") { auditLog { edges { cursor } } } }"#,
            platform,
        ),
        ("every api key", r#"{ apiKeys { id } }"#, platform),
        (
            "the whole audit log",
            r#"{ auditLog { edges { node { action } } } }"#,
            platform,
        ),
        (
            "global overview",
            r#"{ globalOverview(range: {from: "2026-11-01", to: "2026-11-30"}) { kpis { sessions } topOrgs { org { slug } } } }"#,
            [Forbidden, Forbidden, Forbidden, Forbidden, Data],
        ),
    ]
}

async fn seeded() -> TestApp {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    app.create_org("globex", "UTC").await;
    let finished = json!({"status": "SUCCEEDED", "durationMs": 1000, "costUsd": "0.5"});
    let mut events = vec![];
    for (org, user) in [("acme", "alice"), ("acme", "bob"), ("globex", "gina")] {
        let session = format!("{user}-1");
        events.push(
            event(org, "SESSION_STARTED")
                .session(&session)
                .user(user)
                .build(),
        );
        events.push(
            event(org, "RUN_FINISHED")
                .session(&session)
                .user(user)
                .run(&format!("{user}-r1"))
                .set("run", finished.clone())
                .build(),
        );
    }
    // The member (alice) is the viewer of MEMBER tokens; every other role is "mgr".
    app.ingest(&events).await;
    app.project_all().await;
    app
}

fn token(app: &TestApp, role: Role) -> String {
    let sub = if role == Role::Member { "alice" } else { "mgr" };
    let org = (!role.is_cross_org()).then(|| "acme".to_string());
    app.token(MintRequest::User {
        sub: sub.into(),
        role,
        org,
    })
}

#[tokio::test]
async fn every_field_answers_exactly_the_roles_spec_section_4_allows() {
    let app = seeded().await;
    for (what, query, outcomes) in matrix() {
        for (role, outcome) in ROLES.iter().zip(outcomes) {
            let body = app
                .graphql(Some(&token(&app, *role)), query, json!({}))
                .await;
            let context = format!("{what} as {role:?}: {body}");
            match outcome {
                Data => {
                    assert!(body["errors"].is_null(), "{context}");
                    assert!(!has_null_leaf(&body["data"]), "{context}");
                }
                Forbidden => assert_eq!(error_code(&body), "FORBIDDEN", "{context}"),
            }
        }
    }
}

/// True when an object in the answer is null where data was expected.
fn has_null_leaf(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Object(o) => o
            .values()
            .any(|x| matches!(x, Value::Null) || (x.is_object() && has_null_leaf(x))),
        _ => false,
    }
}

#[tokio::test]
async fn a_member_listing_sessions_sees_only_their_own() {
    let app = seeded().await;
    let body = app
        .graphql(Some(&token(&app, Role::Member)), r#"{ org(slug: "acme") { sessions { totalCount edges { node { id user { id } } } } } }"#, json!({}))
        .await;
    let sessions = &body["data"]["org"]["sessions"];
    assert_eq!(sessions["totalCount"], 1, "{body}");
    assert_eq!(sessions["edges"][0]["node"]["user"]["id"], "alice");

    let manager = app
        .graphql(
            Some(&token(&app, Role::Manager)),
            r#"{ org(slug: "acme") { sessions { totalCount } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(
        manager["data"]["org"]["sessions"]["totalCount"], 2,
        "{manager}"
    );
}

#[tokio::test]
async fn support_reads_are_audited_and_super_admin_reads_are_not() {
    let app = seeded().await;
    let query = r#"{ org(slug: "globex") { overview(range: {from: "2026-11-01", to: "2026-11-30"}) { kpis { sessions } } sessions { totalCount } } }"#;
    app.graphql(Some(&token(&app, Role::Support)), query, json!({}))
        .await;
    app.graphql(Some(&token(&app, Role::SuperAdmin)), query, json!({}))
        .await;
    let audited = "SELECT count(*) AS n FROM audit_log a JOIN orgs o ON o.id = a.org_id \
                   WHERE o.slug = 'globex' AND a.action = 'SUPPORT_READ'";
    assert_eq!(
        app.count(&format!("{audited} AND a.actor_role = 'SUPPORT'"))
            .await,
        1,
        "once per request and org"
    );
    assert_eq!(
        app.count(&format!("{audited} AND a.actor_role = 'SUPER_ADMIN'"))
            .await,
        0
    );
}

#[tokio::test]
async fn an_unknown_session_or_user_is_null_not_an_error() {
    let app = seeded().await;
    let body = app
        .graphql(
            Some(&token(&app, Role::Manager)),
            r#"{ org(slug: "acme") { session(id: "nope") { id } user(id: "nobody") { id } } }"#,
            json!({}),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
    assert!(body["data"]["org"]["session"].is_null());
    assert!(body["data"]["org"]["user"].is_null());
}

#[tokio::test]
async fn every_administrative_mutation_answers_exactly_the_roles_allowed() {
    let app = seeded().await;
    let admin = [Forbidden, Forbidden, Data, Forbidden, Data];
    let platform = [Forbidden, Forbidden, Forbidden, Forbidden, Data];
    let cases: [(&str, &str, [Outcome; 5]); 10] = [
        (
            "createAlertChannel",
            r#"mutation($n: String!) { createAlertChannel(org: "acme", name: $n, kind: WEBHOOK, url: "https://8.8.8.8/hook") { signingSecret } }"#,
            admin,
        ),
        (
            "createAlertRule",
            r#"mutation($n: String!) { createAlertRule(org: "acme", rule: {name: $n, metric: RUNS, window: DAY, threshold: 5, channelIds: []}) { id } }"#,
            admin,
        ),
        (
            "createTeam",
            r#"mutation($n: String!) { createTeam(org: "acme", name: $n) { id } }"#,
            admin,
        ),
        (
            "createApiKey",
            r#"mutation($n: String!) { createApiKey(org: "acme", name: $n) { secret } }"#,
            admin,
        ),
        (
            "createApiKey for every org",
            r#"mutation($n: String!) { createApiKey(name: $n) { secret } }"#,
            platform,
        ),
        (
            "setUserRole",
            r#"mutation { setUserRole(org: "acme", userId: "bob", role: MANAGER) { id } }"#,
            admin,
        ),
        (
            "setUserDisabled",
            r#"mutation { setUserDisabled(org: "acme", userId: "bob", disabled: false) { id } }"#,
            admin,
        ),
        (
            "updateOrg name",
            r#"mutation($n: String!) { updateOrg(slug: "acme", name: $n) { name } }"#,
            admin,
        ),
        (
            "updateOrg status",
            r#"mutation { updateOrg(slug: "acme", status: ACTIVE) { status } }"#,
            platform,
        ),
        (
            "createOrg",
            r#"mutation($n: String!) { createOrg(slug: $n, name: $n) { slug } }"#,
            platform,
        ),
    ];
    for (what, query, outcomes) in cases {
        for (role, outcome) in ROLES.iter().zip(outcomes) {
            let name = format!("x{}", role.as_str().to_ascii_lowercase().replace('_', "-"));
            let body = app
                .graphql(Some(&token(&app, *role)), query, json!({ "n": name }))
                .await;
            let context = format!("{what} as {role:?}: {body}");
            match outcome {
                Data => assert!(body["errors"].is_null(), "{context}"),
                Forbidden => assert_eq!(error_code(&body), "FORBIDDEN", "{context}"),
            }
        }
    }
}

#[tokio::test]
async fn a_team_of_one_other_person_shows_its_figures_to_managers_and_up_only() {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    app.seed(&[
        event("acme", "SESSION_STARTED")
            .session("a1")
            .user("alice")
            .build(),
        event("acme", "SESSION_STARTED")
            .session("b1")
            .user("bob")
            .build(),
        event("acme", "SESSION_STARTED")
            .session("c1")
            .user("carol")
            .build(),
    ])
    .await;
    let admin = app.user_token(Role::OrgAdmin, Some("acme"));
    let team = |name: &'static str, members: Vec<&'static str>| {
        let admin = admin.clone();
        let app = &app;
        async move {
            let made = app
                .graphql(
                    Some(&admin),
                    r#"mutation($n: String!) { createTeam(org: "acme", name: $n) { id } }"#,
                    json!({ "n": name }),
                )
                .await;
            let id = made["data"]["createTeam"]["id"].clone();
            let set = app
                .graphql(
                    Some(&admin),
                    r#"mutation($t: ID!, $u: [String!]!) { setTeamMembers(org: "acme", team: $t, userIds: $u) { id } }"#,
                    json!({ "t": id, "u": members }),
                )
                .await;
            assert!(set["errors"].is_null(), "{set}");
            id
        }
    };
    let solo = team("solo", vec!["bob"]).await;
    let pair = team("pair", vec!["alice", "bob"]).await;
    let trio = team("trio", vec!["alice", "bob", "carol"]).await;
    let overview = |token: String, id: Value| {
        let app = &app;
        async move {
            app.graphql(
                Some(&token),
                r#"query($t: ID!) { org(slug: "acme") { team(id: $t) { overview(range: {from: "2026-01-01", to: "2027-12-31"}) { kpis { sessions } } } } }"#,
                json!({ "t": id }),
            )
            .await
        }
    };
    let member = |sub: &str| {
        app.token(MintRequest::User {
            sub: sub.into(),
            role: Role::Member,
            org: Some("acme".into()),
        })
    };
    // Bob alone: his figures. Alice (a MEMBER) may not read them through
    // the team; bob may read his own; a MANAGER may.
    assert_eq!(
        error_code(&overview(member("alice"), solo.clone()).await),
        "FORBIDDEN"
    );
    let own = overview(member("bob"), solo.clone()).await;
    assert_eq!(
        own["data"]["org"]["team"]["overview"]["kpis"]["sessions"], 1,
        "{own}"
    );
    let manager = app.user_token(Role::Manager, Some("acme"));
    let seen = overview(manager, solo).await;
    assert_eq!(
        seen["data"]["org"]["team"]["overview"]["kpis"]["sessions"], 1,
        "{seen}"
    );
    // Alice and bob: for alice, the team less herself is bob alone.
    assert_eq!(
        error_code(&overview(member("alice"), pair.clone()).await),
        "FORBIDDEN"
    );
    // For carol, outside it, the pair is two people.
    let two = overview(member("carol"), pair).await;
    assert_eq!(
        two["data"]["org"]["team"]["overview"]["kpis"]["sessions"], 2,
        "{two}"
    );
    // Three people: no one person's figures for anyone.
    let many = overview(member("alice"), trio).await;
    assert_eq!(
        many["data"]["org"]["team"]["overview"]["kpis"]["sessions"], 3,
        "{many}"
    );
}
