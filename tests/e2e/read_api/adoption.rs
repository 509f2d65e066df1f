//! Adoption: the share of members who used an agent, new and returning
//! users, and active users per month — for the org and a team, on the
//! org's calendar days (New York: an event at 03:00 UTC on 1 October is
//! still 30 September), each equal to a count over the events as sent.

use std::collections::{BTreeMap, BTreeSet};

use agentmon_core::auth::Role;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde_json::{json, Value};

use crate::harness::{event, TestApp};

const TZ: chrono_tz::Tz = chrono_tz::America::New_York;
const FROM: &str = "2026-10-01";
const TO: &str = "2026-11-10";

/// (user, UTC time) of every event.
const ACTIVITY: [(&str, &str); 13] = [
    ("u7", "2026-08-02T12:00:00Z"),
    ("u1", "2026-09-20T15:00:00Z"),
    ("u1", "2026-10-05T15:00:00Z"),
    ("u2", "2026-10-01T03:00:00Z"), // 30 September in New York: before the range
    ("u2", "2026-11-02T15:00:00Z"),
    ("u3", "2026-10-01T05:00:00Z"), // 1 October in New York
    ("u4", "2026-09-02T12:00:00Z"),
    ("u5", "2026-11-10T23:00:00Z"), // still 10 November
    ("u5", "2026-10-30T12:00:00Z"),
    ("u6", "2026-11-11T06:00:00Z"), // 11 November: after the range
    ("u8", "2026-10-15T12:00:00Z"),
    ("u9", "2026-08-01T12:00:00Z"),
    ("u9", "2026-11-01T12:00:00Z"),
];
/// Users given a role; u8 is disabled after; u7 sends nothing in the range.
const ROLES: [&str; 5] = ["u1", "u2", "u7", "u8", "u9"];
const TEAM: [&str; 3] = ["u1", "u3", "u7"];

fn day(at: &str) -> NaiveDate {
    at.parse::<DateTime<Utc>>()
        .unwrap_or_else(|e| panic!("{e}"))
        .with_timezone(&TZ)
        .date_naive()
}

/// What the events and the roles say: members, active members, active,
/// new and returning users, and active users per month, over the users
/// `within` (every user for the org).
fn reference(within: Option<&[&str]>, members: &[&str]) -> (Value, Vec<i64>) {
    let (from, to) = (
        FROM.parse().unwrap_or_default(),
        TO.parse().unwrap_or_default(),
    );
    let keep = |u: &str| within.is_none_or(|w| w.contains(&u));
    let mut active = BTreeSet::new();
    let mut earlier = BTreeSet::new();
    let mut months: BTreeMap<(i32, u32), BTreeSet<&str>> = BTreeMap::new();
    for (user, at) in ACTIVITY.iter().filter(|(u, _)| keep(u)) {
        let d = day(at);
        if d < from {
            earlier.insert(*user);
        } else if d <= to {
            active.insert(*user);
            months
                .entry((d.year(), d.month()))
                .or_default()
                .insert(*user);
        }
    }
    let returning = active.intersection(&earlier).count() as i64;
    let active_members = members.iter().filter(|m| active.contains(*m)).count() as i64;
    let monthly = [(2026, 10), (2026, 11)]
        .iter()
        .map(|m| months.get(m).map_or(0, |s| s.len() as i64))
        .collect();
    (
        json!({
            "members": members.len(),
            "activeMembers": active_members,
            "memberShare": if members.is_empty() { Value::Null } else { json!(active_members as f64 / members.len() as f64) },
            "activeUsers": active.len(),
            "newUsers": active.len() as i64 - returning,
            "returningUsers": returning,
        }),
        monthly,
    )
}

const FIELDS: &str = "members activeMembers memberShare activeUsers newUsers returningUsers monthly { from to days activeUsers }";

fn check(got: &Value, want: &(Value, Vec<i64>), what: &str) {
    let (figures, monthly) = want;
    for (field, value) in figures.as_object().into_iter().flatten() {
        assert_eq!(&got[field], value, "{what}: {field} in {got}");
    }
    assert_eq!(
        got["monthly"],
        json!([
            {"from": "2026-10-01", "to": "2026-10-31", "days": 31, "activeUsers": monthly[0]},
            {"from": "2026-11-01", "to": "2026-11-10", "days": 10, "activeUsers": monthly[1]},
        ]),
        "{what}: monthly"
    );
}

#[tokio::test]
async fn adoption_counts_members_new_and_returning_users_on_the_orgs_days() {
    let app = TestApp::new().await;
    app.create_org("acme", "America/New_York").await;
    let events: Vec<Value> = ACTIVITY
        .iter()
        .enumerate()
        .map(|(i, (user, at))| {
            event("acme", "MESSAGE_SENT")
                .user(user)
                .session(&format!("s{i}"))
                .at(at.parse().unwrap_or_default())
                .set("message", json!({"role": "USER", "text": "hi"}))
                .build()
        })
        .collect();
    app.seed(&events).await;

    let admin = app.user_token(Role::OrgAdmin, Some("acme"));
    for user in ROLES {
        let body = app
            .graphql(
                Some(&admin),
                "mutation($u: String!) { setUserRole(org: \"acme\", userId: $u, role: MEMBER) { id } }",
                json!({ "u": user }),
            )
            .await;
        assert!(body["errors"].is_null(), "{body}");
    }
    let body = app
        .graphql(
            Some(&admin),
            "mutation { setUserDisabled(org: \"acme\", userId: \"u8\", disabled: true) { id } }",
            json!({}),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
    let created = app
        .graphql(
            Some(&admin),
            "mutation { createTeam(org: \"acme\", name: \"Core\") { id } }",
            json!({}),
        )
        .await;
    let team = created["data"]["createTeam"]["id"].clone();
    let body = app
        .graphql(
            Some(&admin),
            "mutation($t: ID!, $u: [String!]!) { setTeamMembers(org: \"acme\", team: $t, userIds: $u) { id } }",
            json!({ "t": team, "u": TEAM }),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");

    let manager = app.user_token(Role::Manager, Some("acme"));
    let body = app
        .graphql(
            Some(&manager),
            &format!(
                "query($t: ID!) {{ org(slug: \"acme\") {{ overview(range: {{from: \"{FROM}\", to: \"{TO}\"}}) {{ adoption {{ {FIELDS} }} }} \
                 team(id: $t) {{ overview(range: {{from: \"{FROM}\", to: \"{TO}\"}}) {{ adoption {{ {FIELDS} }} }} }} }} }}"
            ),
            json!({ "t": team }),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
    let org = &body["data"]["org"];
    // u8 is disabled: not a member any more.
    let members: Vec<&str> = ROLES.iter().copied().filter(|u| *u != "u8").collect();
    check(
        &org["overview"]["adoption"],
        &reference(None, &members),
        "org",
    );
    check(
        &org["team"]["overview"]["adoption"],
        &reference(Some(&TEAM), &TEAM),
        "team",
    );
}
