//! Every `Kpis` field of `overview`, `daily`, `user.stats`, `user.daily`
//! and `globalOverview` equals an independent computation from the raw
//! events, for a UTC org and a half-hour-offset org, over whole ranges and
//! ranges cut mid-way.

use chrono::NaiveDate;
use serde_json::{json, Value};

use super::expect::{assert_kpis, kpis, Scope, KPI_FIELDS};
use crate::harness::TestApp;
use crate::projection::model::expected;
use crate::projection::stream::{stream, Ev, ORGS};

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
}

/// Every day of `from..=to`: the points a daily series must have.
fn days_of(from: &str, to: &str) -> Vec<NaiveDate> {
    date(from)
        .iter_days()
        .take_while(|d| *d <= date(to))
        .collect()
}

const RANGES: [(&str, &str); 3] = [
    ("2026-11-08", "2026-11-17"),
    ("2026-11-11", "2026-11-12"),
    ("2026-11-10", "2026-11-10"),
];

async fn seeded() -> (TestApp, Vec<Ev>) {
    let app = TestApp::new().await;
    for (slug, tz) in ORGS {
        app.create_org(slug, tz).await;
    }
    let events: Vec<Ev> = (300..308).flat_map(stream).collect();
    let json: Vec<Value> = events.iter().map(Ev::json).collect();
    for chunk in json.chunks(500) {
        app.ingest(chunk).await;
    }
    app.project_all().await;
    (app, events)
}

#[tokio::test]
async fn org_overview_and_daily_match_the_raw_events() {
    let (app, events) = seeded().await;
    let exp = expected(&events);
    let admin = app.super_admin();
    let query = format!(
        "query($org: String!, $from: Date!, $to: Date!) {{ org(slug: $org) {{ overview(range: {{from: $from, to: $to}}) {{ \
         kpis {{ {KPI_FIELDS} }} daily {{ date kpis {{ {KPI_FIELDS} }} }} }} }} }}"
    );
    for (org, _) in ORGS {
        for (from, to) in RANGES {
            let body = app
                .graphql(
                    Some(&admin),
                    &query,
                    json!({"org": org, "from": from, "to": to}),
                )
                .await;
            let overview = &body["data"]["org"]["overview"];
            let scope = Scope {
                org: Some(org),
                user: None,
                users: None,
            };
            let context = format!("{org} {from}..{to}");
            assert_kpis(
                &overview["kpis"],
                &kpis(&exp, &events, &scope, date(from), date(to)),
                &context,
            );
            let daily = overview["daily"]
                .as_array()
                .unwrap_or_else(|| panic!("{body}"));
            let days = days_of(from, to);
            assert_eq!(daily.len(), days.len(), "{context}: one point per day");
            for (point, day) in daily.iter().zip(days) {
                assert_eq!(point["date"], json!(day.to_string()));
                assert_kpis(
                    &point["kpis"],
                    &kpis(&exp, &events, &scope, day, day),
                    &format!("{context} on {day}"),
                );
            }
        }
    }
}

#[tokio::test]
async fn user_stats_and_daily_match_the_raw_events() {
    let (app, events) = seeded().await;
    let exp = expected(&events);
    let admin = app.super_admin();
    let query = "query($org: String!, $user: String!, $from: Date!, $to: Date!) { org(slug: $org) { user(id: $user) { \
                 stats(range: {from: $from, to: $to}) { user { id } sessions runs avgRunsPerSession avgActiveTimeMs \
                 localHandoffRate postHandoffIterationRate successRate costUsd totalTokens } \
                 daily(range: {from: $from, to: $to}) { date kpis { activeUsers sessions runs costUsd } } } } }";
    let mut checked = 0;
    for (org, _) in ORGS {
        for user in ["u0", "u1", "u2"] {
            for (from, to) in RANGES {
                let body = app
                    .graphql(
                        Some(&admin),
                        query,
                        json!({"org": org, "user": user, "from": from, "to": to}),
                    )
                    .await;
                let scope = Scope {
                    org: Some(org),
                    user: Some(user),
                    users: None,
                };
                let want = kpis(&exp, &events, &scope, date(from), date(to));
                let Some(found) = body["data"]["org"]["user"].as_object() else {
                    // Only a user who sent nothing to the org may be missing.
                    assert_eq!(want["sessions"], json!(0), "{org}/{user} missing: {body}");
                    assert_eq!(want["runs"], json!(0), "{org}/{user} missing: {body}");
                    continue;
                };
                checked += 1;
                let stats = &found["stats"];
                let context = format!("{org}/{user} {from}..{to}");
                assert_eq!(stats["user"]["id"], json!(user));
                let tokens = want["inputTokens"].as_f64().unwrap_or(0.0)
                    + want["outputTokens"].as_f64().unwrap_or(0.0);
                let as_stats = json!({
                    "sessions": want["sessions"], "runs": want["runs"],
                    "avgRunsPerSession": want["avgRunsPerSession"], "avgActiveTimeMs": want["avgActiveTimeMs"],
                    "localHandoffRate": want["localHandoffRate"], "postHandoffIterationRate": want["postHandoffIterationRate"],
                    "successRate": want["successRate"], "costUsd": want["costUsd"], "totalTokens": tokens,
                });
                assert_kpis(stats, &as_stats, &context);
                let daily = found["daily"]
                    .as_array()
                    .unwrap_or_else(|| panic!("{context}: {body}"));
                let days = days_of(from, to);
                assert_eq!(daily.len(), days.len(), "{context}: one point per day");
                for (point, day) in daily.iter().zip(days) {
                    assert_eq!(point["date"], json!(day.to_string()), "{context}");
                    let want = kpis(&exp, &events, &scope, day, day);
                    let want = json!({"activeUsers": want["activeUsers"], "sessions": want["sessions"], "runs": want["runs"], "costUsd": want["costUsd"]});
                    assert_kpis(&point["kpis"], &want, &format!("{context} on {day}"));
                }
            }
        }
    }
    assert!(checked >= 2, "the seed's users were found in the orgs");
}

#[tokio::test]
async fn the_global_overview_sums_every_org_on_its_own_days() {
    let (app, events) = seeded().await;
    let exp = expected(&events);
    let query = format!(
        "query($from: Date!, $to: Date!) {{ globalOverview(range: {{from: $from, to: $to}}) {{ kpis {{ {KPI_FIELDS} }} \
         daily {{ date kpis {{ {KPI_FIELDS} }} }} topOrgs(limit: 5) {{ org {{ slug }} kpis {{ costUsd runs }} }} }} }}"
    );
    for (from, to) in RANGES {
        let body = app
            .graphql(
                Some(&app.super_admin()),
                &query,
                json!({"from": from, "to": to}),
            )
            .await;
        let global = &body["data"]["globalOverview"];
        let all = Scope {
            org: None,
            user: None,
            users: None,
        };
        assert_kpis(
            &global["kpis"],
            &kpis(&exp, &events, &all, date(from), date(to)),
            &format!("global {from}..{to}"),
        );
        let daily = global["daily"]
            .as_array()
            .unwrap_or_else(|| panic!("{body}"));
        let days = days_of(from, to);
        assert_eq!(
            daily.len(),
            days.len(),
            "global {from}..{to}: one point per day"
        );
        for (point, day) in daily.iter().zip(days) {
            assert_eq!(point["date"], json!(day.to_string()));
            assert_kpis(
                &point["kpis"],
                &kpis(&exp, &events, &all, day, day),
                &format!("global on {day}"),
            );
        }
        // By cost, then runs.
        let costs: Vec<f64> = global["topOrgs"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|o| {
                o["kpis"]["costUsd"]
                    .as_str()
                    .unwrap_or("0")
                    .parse()
                    .unwrap_or(0.0)
            })
            .collect();
        assert!(costs.windows(2).all(|w| w[0] >= w[1]), "{costs:?}");
    }
}

#[tokio::test]
async fn a_team_overview_matches_the_raw_events_of_its_members() {
    let (app, events) = seeded().await;
    let exp = expected(&events);
    let admin = app.super_admin();
    let (org, _) = ORGS[0];
    let mut members: Vec<String> = events
        .iter()
        .filter(|e| e.org == org)
        .map(|e| e.user.clone())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    members.truncate(members.len() / 2 + 1);
    let created = app
        .graphql(
            Some(&admin),
            "mutation($org: String!) { createTeam(org: $org, name: \"Platform\") { id } }",
            json!({ "org": org }),
        )
        .await;
    let team = created["data"]["createTeam"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{created}"))
        .to_string();
    let set = app
        .graphql(
            Some(&admin),
            "mutation($org: String!, $team: ID!, $users: [String!]!) { setTeamMembers(org: $org, team: $team, userIds: $users) { members { id } } }",
            json!({ "org": org, "team": team, "users": members }),
        )
        .await;
    assert_eq!(
        set["data"]["setTeamMembers"]["members"]
            .as_array()
            .map(Vec::len),
        Some(members.len()),
        "{set}"
    );
    let query = format!(
        "query($org: String!, $team: ID!, $from: Date!, $to: Date!) {{ org(slug: $org) {{ team(id: $team) {{ \
         overview(range: {{from: $from, to: $to}}) {{ kpis {{ {KPI_FIELDS} }} daily {{ date kpis {{ {KPI_FIELDS} }} }} }} \
         users(range: {{from: $from, to: $to}}, first: 200) {{ totalCount edges {{ node {{ user {{ id }} }} }} }} }} }} }}"
    );
    for (from, to) in RANGES {
        let body = app
            .graphql(
                Some(&admin),
                &query,
                json!({ "org": org, "team": team, "from": from, "to": to }),
            )
            .await;
        let team_node = &body["data"]["org"]["team"];
        let scope = Scope {
            org: Some(org),
            user: None,
            users: Some(&members),
        };
        let context = format!("team of {org} {from}..{to}");
        assert_kpis(
            &team_node["overview"]["kpis"],
            &kpis(&exp, &events, &scope, date(from), date(to)),
            &context,
        );
        let daily = team_node["overview"]["daily"]
            .as_array()
            .unwrap_or_else(|| panic!("{body}"));
        let days = days_of(from, to);
        assert_eq!(daily.len(), days.len(), "{context}: one point per day");
        for (point, day) in daily.iter().zip(days) {
            assert_eq!(point["date"], json!(day.to_string()));
            assert_kpis(
                &point["kpis"],
                &kpis(&exp, &events, &scope, day, day),
                &format!("{context} on {day}"),
            );
        }
        let listed: Vec<&str> = team_node["users"]["edges"]
            .as_array()
            .unwrap_or_else(|| panic!("{body}"))
            .iter()
            .filter_map(|e| e["node"]["user"]["id"].as_str())
            .collect();
        assert!(
            listed.iter().all(|u| members.iter().any(|m| m == u)),
            "{context}: only members listed"
        );
        // Every member active in the range, no fewer.
        let active = kpis(&exp, &events, &scope, date(from), date(to))["activeUsers"].clone();
        assert_eq!(
            json!(listed.len()),
            active,
            "{context}: every active member listed"
        );
        assert_eq!(team_node["users"]["totalCount"], active, "{context}");
    }
    // Sessions of the team's members only.
    let sessions = app
        .graphql(
            Some(&admin),
            "query($org: String!, $team: ID!) { org(slug: $org) { sessions(filter: {team: $team}, first: 200) { edges { node { user { id } } } } } }",
            json!({ "org": org, "team": team }),
        )
        .await;
    let users: Vec<&str> = sessions["data"]["org"]["sessions"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{sessions}"))
        .iter()
        .filter_map(|e| e["node"]["user"]["id"].as_str())
        .collect();
    assert!(
        !users.is_empty() && users.iter().all(|u| members.iter().any(|m| m == u)),
        "{sessions}"
    );
}
