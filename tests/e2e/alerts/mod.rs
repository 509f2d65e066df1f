//! Alerts: channels (webhook and Slack) with a real HTTP receiver on a
//! loopback port, budgets and rules evaluated and delivered, live
//! notifications, and real worker processes (two at once, one killed).

mod budgets;
mod channels;
mod fairness;
mod live;
mod receiver;
mod value;
mod workers;

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use serde_json::{json, Value};

use agentmon_core::auth::Role;

use crate::harness::{event, TestApp};
use receiver::Receiver;

/// A minute ago, or the first second of today (UTC) when that is later:
/// inside today's, this week's and this month's windows whenever the test
/// runs (unless the day ends during it).
pub fn recent() -> DateTime<Utc> {
    let now = Utc::now();
    let today = now
        .duration_trunc(TimeDelta::days(1))
        .unwrap_or_else(|e| panic!("{e}"));
    (now - TimeDelta::minutes(1)).max(today + TimeDelta::seconds(1))
}

/// A finished run of `user` in acme that cost `cost` dollars.
pub fn spend(user: &str, run: &str, cost: &str) -> Value {
    event("acme", "RUN_FINISHED")
        .user(user)
        .session(&format!("s-{run}"))
        .run(run)
        .at(recent())
        .set("run", json!({ "status": "SUCCEEDED", "costUsd": cost }))
        .build()
}

/// What [`budget`] made.
pub struct Budget {
    pub secret: String,
    pub channel: Value,
    pub team: Value,
    pub rule: Value,
}

/// Org acme with a webhook channel to `receiver` and a daily budget of $1
/// (warning at 50 %) on team Core, whose one member is ann.
pub async fn budget(app: &TestApp, receiver: &Receiver) -> Budget {
    app.create_org("acme", "UTC").await;
    let admin = app.user_token(Role::OrgAdmin, Some("acme"));
    let body = app
        .graphql(
            Some(&admin),
            "mutation($url: String!) { createAlertChannel(org: \"acme\", name: \"hook\", kind: WEBHOOK, url: $url) { signingSecret channel { id } } \
             createTeam(org: \"acme\", name: \"Core\") { id } }",
            json!({ "url": format!("http://{}/hook", receiver.addr) }),
        )
        .await;
    let secret = body["data"]["createAlertChannel"]["signingSecret"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_string();
    let channel = body["data"]["createAlertChannel"]["channel"]["id"].clone();
    let team = body["data"]["createTeam"]["id"].clone();
    let body = app
        .graphql(
            Some(&admin),
            "mutation($t: ID!, $c: ID!) { setTeamMembers(org: \"acme\", team: $t, userIds: [\"ann\"]) { id } \
             createAlertRule(org: \"acme\", rule: {name: \"Core budget\", metric: COST_USD, window: DAY, threshold: 1.0, warnAt: 0.5, teamId: $t, channelIds: [$c]}) { id } }",
            json!({ "t": team, "c": channel }),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
    let rule = body["data"]["createAlertRule"]["id"].clone();
    Budget {
        secret,
        channel,
        team,
        rule,
    }
}
