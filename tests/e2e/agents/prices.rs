//! Prices: calls reported without a cost are estimated from the price
//! valid at each call (the org's over the platform's, exact over prefix),
//! a price change re-prices by a job so figures equal a fresh computation
//! under the table as it now is; reported costs never change; only the
//! right admins may change prices.

use agentmon_core::auth::Role;
use rust_decimal::Decimal;
use serde_json::{json, Value};

use crate::harness::{error_code, event, TestApp};

fn call(minute: u32, model: &str, cost: Option<&str>) -> Value {
    let mut c = json!({"model": model, "inputTokens": 1_000 + minute, "outputTokens": 500, "cacheReadTokens": 2_000, "cacheCreationTokens": 100});
    if let Some(cost) = cost {
        c["costUsd"] = json!(cost);
    }
    event("acme", "MODEL_CALL")
        .session("s1")
        .run("s1-r1")
        .set(
            "occurredAt",
            json!(format!("2026-11-20T10:{minute:02}:00Z")),
        )
        .set("modelCall", c)
        .build()
}

fn events() -> Vec<Value> {
    vec![
        event("acme", "RUN_STARTED")
            .session("s1")
            .run("s1-r1")
            .set("occurredAt", json!("2026-11-20T09:59:00Z"))
            .build(),
        call(1, "claude-x", Some("0.01")),
        call(2, "gpt-x", None),
        call(3, "gpt-mini", None),
        call(8, "gpt-x", None),
    ]
}

/// The independent estimate: each unreported call at the price valid then.
fn estimate(events: &[Value], price_of: &dyn Fn(&str, &str) -> Option<[i64; 4]>) -> (Decimal, i64) {
    let mut total = Decimal::ZERO;
    let mut unpriced = 0;
    for e in events
        .iter()
        .filter(|e| e["type"] == "MODEL_CALL" && e["modelCall"]["costUsd"].is_null())
    {
        let c = &e["modelCall"];
        let Some(p) = price_of(
            c["model"].as_str().unwrap_or_default(),
            e["occurredAt"].as_str().unwrap_or_default(),
        ) else {
            unpriced += 1;
            continue;
        };
        let tokens = [
            "inputTokens",
            "outputTokens",
            "cacheReadTokens",
            "cacheCreationTokens",
        ];
        let sum: i64 = tokens
            .iter()
            .zip(p)
            .map(|(k, price)| c[k].as_i64().unwrap_or(0) * price)
            .sum();
        total += Decimal::from(sum) / Decimal::from(1_000_000);
    }
    (total.normalize(), unpriced)
}

async fn figures(app: &TestApp) -> (Decimal, Decimal, i64, String) {
    let body = app
        .graphql(
            Some(&app.super_admin()),
            "{ org(slug: \"acme\") { overview(range: {from: \"2026-11-20\", to: \"2026-11-20\"}) { kpis { costUsd estimatedCostUsd unpricedModelCalls } } \
             session(id: \"s1\") { runs { costSource } } } }",
            json!({}),
        )
        .await;
    let k = &body["data"]["org"]["overview"]["kpis"];
    let dec = |v: &Value| {
        v.as_str()
            .and_then(|s| s.parse::<Decimal>().ok())
            .unwrap_or(Decimal::MIN)
    };
    (
        dec(&k["costUsd"]),
        dec(&k["estimatedCostUsd"]),
        k["unpricedModelCalls"].as_i64().unwrap_or(-1),
        body["data"]["org"]["session"]["runs"][0]["costSource"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    )
}

/// Per model, the breakdown's calls, cost and estimated part equal the
/// events' under the prices of `price_of`: its reported costs plus its own
/// calls' estimate.
async fn check_models(
    app: &TestApp,
    evs: &[Value],
    price_of: &dyn Fn(&str, &str) -> Option<[i64; 4]>,
) {
    let body = app
        .graphql(
            Some(&app.super_admin()),
            "{ org(slug: \"acme\") { overview(range: {from: \"2026-11-20\", to: \"2026-11-20\"}) { \
             breakdown(by: MODEL) { rows { value modelCalls costUsd estimatedCostUsd } } } } }",
            json!({}),
        )
        .await;
    let rows = body["data"]["org"]["overview"]["breakdown"]["rows"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let dec = |v: &Value| v.as_str().and_then(|s| s.parse::<Decimal>().ok());
    let mut models: Vec<&str> = evs
        .iter()
        .filter_map(|e| e["modelCall"]["model"].as_str())
        .collect();
    models.sort();
    models.dedup();
    for model in models {
        let mine: Vec<Value> = evs
            .iter()
            .filter(|e| e["modelCall"]["model"] == model)
            .cloned()
            .collect();
        let (estimated, _) = estimate(&mine, price_of);
        let reported: Decimal = mine
            .iter()
            .filter_map(|e| dec(&e["modelCall"]["costUsd"]))
            .sum();
        let row = rows
            .iter()
            .find(|r| r["value"] == model)
            .cloned()
            .unwrap_or_default();
        assert_eq!(
            (
                row["modelCalls"].as_i64(),
                dec(&row["costUsd"]).map(|d| d.normalize()),
                dec(&row["estimatedCostUsd"]).map(|d| d.normalize())
            ),
            (
                Some(mine.len() as i64),
                Some((reported + estimated).normalize()),
                Some(estimated.normalize())
            ),
            "{model}: {body}"
        );
    }
}

const SET: &str = "mutation($org: String, $p: ModelPriceInput!) { setModelPrice(org: $org, price: $p) { id org model inputUsdPerMTok } }";

fn price(model: &str, from: &str, p: [i64; 4]) -> Value {
    json!({"model": model, "validFrom": from, "inputUsdPerMTok": p[0].to_string(), "outputUsdPerMTok": p[1].to_string(),
           "cacheReadUsdPerMTok": p[2].to_string(), "cacheCreationUsdPerMTok": p[3].to_string()})
}

async fn settle(app: &TestApp) {
    app.run_jobs().await;
    app.project_all().await;
}

#[tokio::test]
async fn estimates_follow_the_price_table_through_every_change_and_reported_costs_never_move() {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    app.create_org("globex", "UTC").await;
    let evs = events();
    app.seed(&evs).await;
    let reported = Decimal::new(1, 2);
    assert_eq!(
        figures(&app).await,
        (reported, Decimal::ZERO, 3, "UNPRICED".into())
    );
    check_models(&app, &evs, &|_, _| None).await;

    // The platform prices every gpt model.
    let platform = [2, 8, 1, 3];
    let body = app
        .graphql(
            Some(&app.super_admin()),
            SET,
            json!({"p": price("gpt-*", "2026-01-01T00:00:00Z", platform)}),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
    settle(&app).await;
    let (est, unpriced) = estimate(&evs, &|m, _| m.starts_with("gpt-").then_some(platform));
    assert_eq!(unpriced, 0);
    assert_eq!(
        figures(&app).await,
        (reported + est, est, 0, "ESTIMATED".into())
    );
    check_models(&app, &evs, &|m, _| {
        m.starts_with("gpt-").then_some(platform)
    })
    .await;

    // The org's own exact price for gpt-x from 10:05 on beats the platform's.
    let own = [5, 20, 2, 6];
    let admin = app.user_token(Role::OrgAdmin, Some("acme"));
    let body = app
        .graphql(
            Some(&admin),
            SET,
            json!({"org": "acme", "p": price("gpt-x", "2026-11-20T10:05:00Z", own)}),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
    let own_id = body["data"]["setModelPrice"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert_eq!(body["data"]["setModelPrice"]["org"], "acme");
    settle(&app).await;
    let (est2, _) = estimate(&evs, &|m, at| match (m, at >= "2026-11-20T10:05") {
        ("gpt-x", true) => Some(own),
        (m, _) if m.starts_with("gpt-") => Some(platform),
        _ => None,
    });
    assert_ne!(est2, est);
    assert_eq!(
        figures(&app).await,
        (reported + est2, est2, 0, "ESTIMATED".into())
    );
    check_models(&app, &evs, &|m, at| match (m, at >= "2026-11-20T10:05") {
        ("gpt-x", true) => Some(own),
        (m, _) if m.starts_with("gpt-") => Some(platform),
        _ => None,
    })
    .await;

    // The org's admin sees its price and the platform's; another org's admin
    // can neither see nor delete it.
    let body = app
        .graphql(
            Some(&admin),
            "{ modelPrices(org: \"acme\") { org model } }",
            json!({}),
        )
        .await;
    assert_eq!(
        body["data"]["modelPrices"],
        json!([{"org": "acme", "model": "gpt-x"}, {"org": null, "model": "gpt-*"}]),
        "{body}"
    );
    let other = app.user_token(Role::OrgAdmin, Some("globex"));
    let body = app
        .graphql(
            Some(&other),
            "mutation($id: ID!) { deleteModelPrice(id: $id) }",
            json!({"id": own_id}),
        )
        .await;
    assert!(
        ["FORBIDDEN", "NOT_FOUND"].contains(&error_code(&body)),
        "{body}"
    );

    // Deleted: back to the platform's price.
    let body = app
        .graphql(
            Some(&admin),
            "mutation($id: ID!) { deleteModelPrice(id: $id) }",
            json!({"id": own_id}),
        )
        .await;
    assert_eq!(body["data"]["deleteModelPrice"], true, "{body}");
    settle(&app).await;
    assert_eq!(
        figures(&app).await,
        (reported + est, est, 0, "ESTIMATED".into())
    );
}

#[tokio::test]
async fn only_the_right_admins_set_prices_and_bad_prices_are_refused() {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    let good = price("gpt-*", "2026-01-01T00:00:00Z", [1, 2, 0, 0]);
    let cases = [
        (
            app.user_token(Role::OrgAdmin, Some("acme")),
            json!({"p": good}),
            "FORBIDDEN",
        ),
        (
            app.user_token(Role::Member, Some("acme")),
            json!({"org": "acme", "p": good}),
            "FORBIDDEN",
        ),
        (
            app.user_token(Role::Manager, Some("acme")),
            json!({"org": "acme", "p": good}),
            "FORBIDDEN",
        ),
    ];
    for (token, vars, code) in cases {
        let body = app.graphql(Some(&token), SET, vars).await;
        assert_eq!(error_code(&body), code, "{body}");
    }
    let admin = app.user_token(Role::OrgAdmin, Some("acme"));
    for (model, input) in [
        ("gpt-*", "-1"),
        ("gpt-*", "abc"),
        ("gpt-*", "1e3"),
        ("a*b", "1"),
        ("*", "1"),
        ("", "1"),
        ("gpt-*", "1000001"),
    ] {
        let mut p = good.clone();
        p["model"] = json!(model);
        p["inputUsdPerMTok"] = json!(input);
        let body = app
            .graphql(Some(&admin), SET, json!({"org": "acme", "p": p}))
            .await;
        assert_eq!(
            error_code(&body),
            "BAD_USER_INPUT",
            "{model} {input}: {body}"
        );
    }
    assert_eq!(app.count("SELECT count(*) AS n FROM model_prices").await, 0);
    assert_eq!(
        app.count("SELECT count(*) AS n FROM jobs").await,
        0,
        "nothing refused queues a job"
    );
}
