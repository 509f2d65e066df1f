//! Alerts: channels (webhook and Slack) with a real HTTP receiver on a
//! loopback port, budgets and rules evaluated and delivered, live
//! notifications, and real worker processes (two at once, one killed).

mod budgets;
mod channels;
mod live;
mod receiver;
mod value;
mod workers;

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use serde_json::{json, Value};

use crate::harness::event;

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
