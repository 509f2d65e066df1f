//! Teams' figures follow their members, as the README says.

use serde_json::{json, Value};

use crate::harness::{event, TestApp};

const TEAM: &str = "query($team: ID!) { org(slug: \"acme\") { team(id: $team) { \
    overview(range: {from: \"2026-11-01\", to: \"2026-11-30\"}) { kpis { runs } } \
    users(range: {from: \"2026-11-01\", to: \"2026-11-30\"}, first: 50) { totalCount edges { node { user { id } } } } } } }";

fn runs_of(user: &str, n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| {
            event("acme", "RUN_FINISHED")
                .session(&format!("s-{user}"))
                .user(user)
                .run(&format!("r-{user}-{i}"))
                .set("run", json!({"status": "SUCCEEDED", "costUsd": "1"}))
                .build()
        })
        .collect()
}

/// README: `Team.overview(range)` and `Team.users(range)` "are exact figures
/// over the team's current members".
#[tokio::test]
async fn a_teams_figures_follow_its_members_from_the_next_request() {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    let mut events = runs_of("ann", 1);
    events.extend(runs_of("bob", 2));
    events.extend(runs_of("cat", 4));
    app.seed(&events).await;
    let admin = app.super_admin();
    let created = app
        .graphql(
            Some(&admin),
            "mutation { createTeam(org: \"acme\", name: \"Platform\") { id } }",
            json!({}),
        )
        .await;
    let team = created["data"]["createTeam"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{created}"))
        .to_string();
    for (members, runs) in [
        (vec!["ann"], 1),
        (vec!["ann", "bob"], 3),
        (vec!["bob", "cat"], 6),
        (vec!["bob"], 2),
    ] {
        let set = app
            .graphql(
                Some(&admin),
                "mutation($team: ID!, $users: [String!]!) { setTeamMembers(org: \"acme\", team: $team, userIds: $users) { id } }",
                json!({ "team": team, "users": members }),
            )
            .await;
        assert!(set["errors"].is_null(), "{members:?}: {set}");
        let body = app
            .graphql(Some(&admin), TEAM, json!({ "team": team }))
            .await;
        let node = &body["data"]["org"]["team"];
        assert_eq!(
            node["overview"]["kpis"]["runs"], runs,
            "{members:?}: {body}"
        );
        let mut listed: Vec<&str> = node["users"]["edges"]
            .as_array()
            .unwrap_or_else(|| panic!("{body}"))
            .iter()
            .filter_map(|e| e["node"]["user"]["id"].as_str())
            .collect();
        listed.sort_unstable();
        assert_eq!(listed, members, "{body}");
        assert_eq!(node["users"]["totalCount"], members.len(), "{body}");
    }
}
