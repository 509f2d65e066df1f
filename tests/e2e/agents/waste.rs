//! Waste: the cost of runs that failed or were cancelled, of model calls
//! that failed for good, and of sessions without any code change — each
//! equal to a computation from the events as sent, for the org, each user
//! and each day, whatever the arrival order; the sessions behind each
//! figure are the ones the sessions filter lists; the figures follow a
//! price change, a late code change and an erasure.

use std::collections::{BTreeMap, BTreeSet};

use agentmon_core::auth::Role;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rust_decimal::Decimal;
use serde_json::{json, Value};

use crate::harness::{event, TestApp};

fn ev(user: &str, session: &str, kind: &str, at: &str) -> crate::harness::EventBuilder {
    event("acme", kind)
        .user(user)
        .session(session)
        .set("occurredAt", json!(format!("2026-11-{at}:00Z")))
}

fn call(user: &str, session: &str, run: Option<&str>, at: &str, c: Value) -> Value {
    let e = ev(user, session, "MODEL_CALL", at).set("modelCall", c);
    match run {
        Some(r) => e.run(r).build(),
        None => e.build(),
    }
}

fn run_event(user: &str, session: &str, run: &str, kind: &str, at: &str, r: Value) -> Value {
    ev(user, session, kind, at).run(run).set("run", r).build()
}

fn code(user: &str, session: &str, at: &str, c: Value) -> Value {
    ev(user, session, "CODE_CHANGE", at).set("code", c).build()
}

/// Two users, sessions over two days: a failed run with calls (one failed
/// for good) and code; a cancelled run without calls; a failed unpriced
/// call without a run; a cancelled run across midnight whose calls cost on
/// both days (one priced only once a price is set); a succeeded run with
/// code; a succeeded run across midnight without code.
fn events() -> Vec<Value> {
    vec![
        run_event(
            "ann",
            "a1",
            "a1-r",
            "RUN_STARTED",
            "20T10:00",
            json!({"model": "claude-x"}),
        ),
        call(
            "ann",
            "a1",
            Some("a1-r"),
            "20T10:01",
            json!({"model": "claude-x", "inputTokens": 10, "costUsd": "0.02", "error": "overloaded"}),
        ),
        call(
            "ann",
            "a1",
            Some("a1-r"),
            "20T10:02",
            json!({"model": "claude-x", "inputTokens": 10, "outputTokens": 5, "costUsd": "0.05"}),
        ),
        run_event(
            "ann",
            "a1",
            "a1-r",
            "RUN_FINISHED",
            "20T10:03",
            json!({"status": "FAILED", "errorCategory": "TOOL", "costUsd": "7"}),
        ),
        code("ann", "a1", "20T10:04", json!({"linesAdded": 5})),
        run_event("ann", "a2", "a2-r", "RUN_STARTED", "20T11:00", json!({})),
        run_event(
            "ann",
            "a2",
            "a2-r",
            "RUN_FINISHED",
            "20T11:05",
            json!({"status": "CANCELLED", "costUsd": "0.4"}),
        ),
        call(
            "ann",
            "a3",
            None,
            "21T09:00",
            json!({"model": "gpt-x", "inputTokens": 1000, "outputTokens": 200, "error": "bad request"}),
        ),
        run_event("bob", "b1", "b1-r", "RUN_STARTED", "20T12:00", json!({})),
        call(
            "bob",
            "b1",
            Some("b1-r"),
            "20T12:01",
            json!({"model": "claude-x", "outputTokens": 9, "costUsd": "0.3"}),
        ),
        run_event(
            "bob",
            "b1",
            "b1-r",
            "RUN_FINISHED",
            "20T12:02",
            json!({"status": "SUCCEEDED"}),
        ),
        code("bob", "b1", "20T12:03", json!({"commits": 1})),
        run_event("bob", "b2", "b2-r", "RUN_STARTED", "20T23:50", json!({})),
        call(
            "bob",
            "b2",
            Some("b2-r"),
            "20T23:55",
            json!({"model": "claude-x", "outputTokens": 9, "costUsd": "0.25"}),
        ),
        call(
            "bob",
            "b2",
            Some("b2-r"),
            "21T00:05",
            json!({"model": "claude-x", "outputTokens": 9, "costUsd": "0.5"}),
        ),
        run_event(
            "bob",
            "b2",
            "b2-r",
            "RUN_FINISHED",
            "21T00:10",
            json!({"status": "SUCCEEDED", "costUsd": "3"}),
        ),
    ]
}

/// Per (user, day): failed-run cost, failed-call cost, no-code cost,
/// total cost; from the events as sent, with `price` (per million input
/// and output tokens) for calls that report no cost.
type Waste = BTreeMap<(String, String), [Decimal; 4]>;

fn reference(events: &[Value], price: Option<(i64, i64)>) -> Waste {
    let mut seen = BTreeSet::new();
    let events: Vec<&Value> = events
        .iter()
        .filter(|e| seen.insert(e["eventId"].to_string()))
        .collect();
    let s = |e: &Value, k: &str| e[k].as_str().unwrap_or_default().to_string();
    let day = |e: &Value| s(e, "occurredAt")[..10].to_string();
    let money = |v: &Value| v.as_str().map(|c| c.parse::<Decimal>().unwrap_or_default());
    let call_cost = |c: &Value| {
        money(&c["costUsd"]).unwrap_or_else(|| match price {
            Some((input, output)) => {
                (Decimal::from(c["inputTokens"].as_i64().unwrap_or(0) * input)
                    + Decimal::from(c["outputTokens"].as_i64().unwrap_or(0) * output))
                    / Decimal::from(1_000_000)
            }
            None => Decimal::ZERO,
        })
    };
    let with_code: BTreeSet<String> = events
        .iter()
        .filter(|e| e["type"] == "CODE_CHANGE")
        .filter(|e| {
            ["linesAdded", "linesRemoved", "commits", "pullRequests"]
                .iter()
                .any(|k| e["code"][k].as_i64().unwrap_or(0) != 0)
        })
        .map(|e| s(e, "sessionId"))
        .collect();
    // (session, user, day, cost) of every cost, and each run's calls' cost
    // per day.
    let mut costs: Vec<(String, String, String, Decimal)> = Vec::new();
    let mut run_calls: BTreeMap<String, BTreeMap<String, Decimal>> = BTreeMap::new();
    let mut out = Waste::new();
    for e in &events {
        if e["type"] == "MODEL_CALL" {
            let cost = call_cost(&e["modelCall"]);
            costs.push((s(e, "sessionId"), s(e, "userId"), day(e), cost));
            if let Some(run) = e["runId"].as_str() {
                *run_calls
                    .entry(run.to_string())
                    .or_default()
                    .entry(day(e))
                    .or_default() += cost;
            }
            if !e["modelCall"]["error"].is_null() {
                out.entry((s(e, "userId"), day(e))).or_default()[1] += cost;
            }
        }
    }
    for e in events.iter().filter(|e| e["type"] == "RUN_FINISHED") {
        // A run's cost counts on its calls' days, else on its end's day.
        let by_day = run_calls.get(&s(e, "runId")).cloned().unwrap_or_else(|| {
            let cost = money(&e["run"]["costUsd"]).unwrap_or_default();
            costs.push((s(e, "sessionId"), s(e, "userId"), day(e), cost));
            BTreeMap::from([(day(e), cost)])
        });
        if e["run"]["status"] != "SUCCEEDED" {
            for (d, cost) in by_day {
                out.entry((s(e, "userId"), d)).or_default()[0] += cost;
            }
        }
    }
    for (session, user, day, cost) in costs {
        let slot = out.entry((user, day)).or_default();
        slot[3] += cost;
        if !with_code.contains(&session) {
            slot[2] += cost;
        }
    }
    out
}

/// The sessions behind each waste figure, from the events as sent.
fn sessions_behind(events: &[Value], price: Option<(i64, i64)>) -> [BTreeSet<String>; 3] {
    let session = |e: &Value| e["sessionId"].as_str().unwrap_or_default().to_string();
    let failed_runs = events
        .iter()
        .filter(|e| e["type"] == "RUN_FINISHED" && e["run"]["status"] != "SUCCEEDED")
        .map(session)
        .collect();
    let failed_calls = events
        .iter()
        .filter(|e| e["type"] == "MODEL_CALL" && !e["modelCall"]["error"].is_null())
        .map(session)
        .collect();
    let mut no_code = BTreeSet::new();
    for s in events.iter().map(session).collect::<BTreeSet<_>>() {
        let of: Vec<Value> = events.iter().filter(|e| session(e) == s).cloned().collect();
        let w = reference(&of, price);
        if w.values().any(|f| f[2] > Decimal::ZERO) {
            no_code.insert(s);
        }
    }
    [failed_runs, failed_calls, no_code]
}

fn sum(w: &Waste, keep: impl Fn(&str, &str) -> bool) -> [Decimal; 4] {
    let mut total = [Decimal::ZERO; 4];
    for ((user, day), f) in w {
        if keep(user, day) {
            for i in 0..4 {
                total[i] += f[i];
            }
        }
    }
    total
}

const FIELDS: [&str; 4] = [
    "failedRunCostUsd",
    "failedModelCallCostUsd",
    "noCodeCostUsd",
    "costUsd",
];

fn read(k: &Value) -> [Decimal; 4] {
    FIELDS.map(|f| {
        k[f].as_str()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("{f} in {k}"))
    })
}

async fn check(app: &TestApp, events: &[Value], price: Option<(i64, i64)>, what: &str) {
    let want = reference(events, price);
    let manager = app.user_token(Role::Manager, Some("acme"));
    let kpis = FIELDS.join(" ");
    let body = app
        .graphql(
            Some(&manager),
            &format!("{{ org(slug: \"acme\") {{ overview(range: {{from: \"2026-11-20\", to: \"2026-11-21\"}}) {{ \
             kpis {{ {kpis} }} daily {{ date kpis {{ {kpis} }} }} }} \
             ann: user(id: \"ann\") {{ daily(range: {{from: \"2026-11-20\", to: \"2026-11-21\"}}) {{ kpis {{ {kpis} }} }} \
               kpis(range: {{from: \"2026-11-20\", to: \"2026-11-21\"}}) {{ {kpis} }} }} \
             bob: user(id: \"bob\") {{ daily(range: {{from: \"2026-11-20\", to: \"2026-11-21\"}}) {{ kpis {{ {kpis} }} }} \
               kpis(range: {{from: \"2026-11-20\", to: \"2026-11-21\"}}) {{ {kpis} }} }} }} }}"),
            json!({}),
        )
        .await;
    let org = &body["data"]["org"];
    let overview = &org["overview"];
    assert_eq!(
        read(&overview["kpis"]),
        sum(&want, |_, _| true),
        "{what}: org, {body}"
    );
    for point in overview["daily"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
    {
        let day = point["date"].as_str().unwrap_or_default();
        assert_eq!(
            read(&point["kpis"]),
            sum(&want, |_, d| d == day),
            "{what}: {day}, {body}"
        );
    }
    for user in ["ann", "bob"] {
        let days = org[user]["daily"].as_array().cloned().unwrap_or_default();
        let mut got = [Decimal::ZERO; 4];
        for p in &days {
            let f = read(&p["kpis"]);
            for i in 0..4 {
                got[i] += f[i];
            }
        }
        let expected = sum(&want, |u, _| u == user);
        if org[user].is_null() {
            assert_eq!(expected, [Decimal::ZERO; 4], "{what}: {user} gone, {body}");
        } else {
            assert_eq!(got, expected, "{what}: {user}'s days, {body}");
            assert_eq!(
                read(&org[user]["kpis"]),
                expected,
                "{what}: {user}'s kpis, {body}"
            );
        }
    }
    let behind = sessions_behind(events, price);
    for (kind, want) in ["FAILED_RUNS", "FAILED_MODEL_CALLS", "NO_CODE"]
        .iter()
        .zip(behind)
    {
        let body = app
            .graphql(
                Some(&manager),
                "query($w: Waste) { org(slug: \"acme\") { sessions(filter: {waste: $w}) { edges { node { id } } } } }",
                json!({ "w": kind }),
            )
            .await;
        let got: BTreeSet<String> = body["data"]["org"]["sessions"]["edges"]
            .as_array()
            .unwrap_or_else(|| panic!("{body}"))
            .iter()
            .map(|e| e["node"]["id"].as_str().unwrap_or_default().to_string())
            .collect();
        assert_eq!(got, want, "{what}: sessions behind {kind}");
    }
}

#[tokio::test]
async fn waste_equals_the_events_through_reordering_a_price_a_late_change_and_an_erasure() {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    let mut evs = events();

    // Shuffled, each event sent twice, projected between calls.
    let mut arrival: Vec<Value> = evs.iter().chain(evs.iter()).cloned().collect();
    arrival.shuffle(&mut StdRng::seed_from_u64(23));
    for chunk in arrival.chunks(5) {
        let body = app.ingest(chunk).await;
        assert!(body["errors"].is_null(), "{body}");
        app.project_all().await;
    }
    check(&app, &evs, None, "as sent").await;

    // A price for gpt-x makes the failed unpriced call cost something.
    let body = app
        .graphql(
            Some(&app.super_admin()),
            "mutation($p: ModelPriceInput!) { setModelPrice(price: $p) { id } }",
            json!({"p": {"model": "gpt-x", "validFrom": "2026-01-01T00:00:00Z", "inputUsdPerMTok": "3",
                         "outputUsdPerMTok": "15", "cacheReadUsdPerMTok": "0", "cacheCreationUsdPerMTok": "0"}}),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
    app.run_jobs().await;
    app.project_all().await;
    let price = Some((3, 15));
    check(&app, &evs, price, "priced").await;

    // A late pull request takes b2 out of the sessions without code.
    let late = code("bob", "b2", "21T08:00", json!({"pullRequests": 1}));
    app.seed(std::slice::from_ref(&late)).await;
    evs.push(late);
    check(&app, &evs, price, "late code").await;

    // Erasing ann leaves bob's figures alone.
    let admin = app.user_token(Role::OrgAdmin, Some("acme"));
    let body = app
        .graphql(
            Some(&admin),
            "mutation { eraseUser(org: \"acme\", userId: \"ann\") { id } }",
            json!({}),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
    app.run_jobs().await;
    app.project_all().await;
    evs.retain(|e| e["userId"] != "ann");
    check(&app, &evs, price, "ann erased").await;
}
