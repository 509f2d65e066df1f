//! Walking all pages with `after` returns every session once, in order of
//! last activity then id — also while new events arrive between pages.

use std::collections::BTreeMap;

use chrono::{Duration, TimeZone, Utc};
use diesel_async::SimpleAsyncConnection;
use serde_json::{json, Value};

use crate::harness::{error_code, event, TestApp};

const PAGE: &str =
    "query($after: String) { org(slug: \"acme\") { sessions(first: 7, after: $after) { \
  totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id } } } } }";

#[tokio::test]
async fn every_session_once_while_events_arrive_between_pages() {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    let base = Utc
        .with_ymd_and_hms(2026, 11, 1, 0, 0, 0)
        .single()
        .unwrap_or_default();
    let originals: Vec<String> = (0..60).map(|i| format!("s{i:02}")).collect();
    let events: Vec<Value> = originals
        .iter()
        .enumerate()
        .map(|(i, s)| {
            event("acme", "SESSION_STARTED")
                .session(s)
                .at(base + Duration::minutes(i as i64))
                .build()
        })
        .collect();
    app.ingest(&events).await;
    app.project_all().await;
    // Most sessions settled long ago; those that change during the walk are new.
    let mut owner = app.db.owner().await.unwrap_or_else(|e| panic!("{e}"));
    owner
        .batch_execute("UPDATE sessions SET projected_at = projected_at - interval '1 hour'")
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    let token = app.super_admin();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut after = Value::Null;
    let mut page = 0;
    loop {
        let body = app
            .graphql(Some(&token), PAGE, json!({ "after": after }))
            .await;
        let sessions = &body["data"]["org"]["sessions"];
        for edge in sessions["edges"]
            .as_array()
            .unwrap_or_else(|| panic!("{body}"))
        {
            let id = edge["node"]["id"].as_str().unwrap_or_default().to_string();
            *seen.entry(id).or_default() += 1;
        }
        // Between pages: the oldest sessions (not yet listed) get a new
        // event, which moves them to the top, and brand-new sessions start.
        page += 1;
        let late = format!("s{:02}", page - 1);
        let now = base + Duration::days(2) + Duration::minutes(page);
        app.ingest(&[
            event("acme", "SESSION_ENDED")
                .session(&late)
                .at(now)
                .build(),
            event("acme", "SESSION_STARTED")
                .session(&format!("new{page}"))
                .at(now)
                .build(),
        ])
        .await;
        app.project_all().await;
        if sessions["pageInfo"]["hasNextPage"] != json!(true) {
            break;
        }
        after = sessions["pageInfo"]["endCursor"].clone();
        assert!(page < 30, "the walk does not end");
    }
    for id in &originals {
        assert_eq!(
            seen.get(id),
            Some(&1),
            "session {id} seen {:?} times",
            seen.get(id)
        );
    }
    assert!(
        seen.iter().all(|(_, n)| *n == 1),
        "no session twice: {seen:?}"
    );
}

#[tokio::test]
async fn pages_are_ordered_by_last_activity_then_id() {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    let at = Utc
        .with_ymd_and_hms(2026, 11, 1, 0, 0, 0)
        .single()
        .unwrap_or_default();
    // Equal last activity: the id decides (descending).
    let events: Vec<Value> = ["a", "b", "c", "d"]
        .iter()
        .map(|s| event("acme", "SESSION_STARTED").session(s).at(at).build())
        .chain([event("acme", "SESSION_STARTED")
            .session("z-old")
            .at(at - Duration::hours(1))
            .build()])
        .collect();
    app.ingest(&events).await;
    app.project_all().await;
    let token = app.super_admin();
    let body = app
        .graphql(Some(&token), "{ org(slug: \"acme\") { sessions(first: 3) { totalCount pageInfo { hasNextPage endCursor } edges { node { id } } } } }", json!({}))
        .await;
    let ids: Vec<&str> = body["data"]["org"]["sessions"]["edges"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["node"]["id"].as_str())
        .collect();
    assert_eq!(ids, ["d", "c", "b"], "{body}");
    assert_eq!(body["data"]["org"]["sessions"]["totalCount"], 5);
    let cursor = body["data"]["org"]["sessions"]["pageInfo"]["endCursor"].clone();
    let next = app
        .graphql(Some(&token), "query($a: String) { org(slug: \"acme\") { sessions(first: 3, after: $a) { pageInfo { hasNextPage } edges { node { id } } } } }", json!({"a": cursor}))
        .await;
    let ids: Vec<&str> = next["data"]["org"]["sessions"]["edges"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["node"]["id"].as_str())
        .collect();
    assert_eq!(ids, ["a", "z-old"]);
    assert_eq!(
        next["data"]["org"]["sessions"]["pageInfo"]["hasNextPage"],
        false
    );

    for bad in [json!({"a": "not-a-cursor"}), json!({"a": "W10"})] {
        let body = app
            .graphql(
                Some(&token),
                "query($a: String) { org(slug: \"acme\") { sessions(after: $a) { totalCount } } }",
                bad,
            )
            .await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    }
    let body = app
        .graphql(
            Some(&token),
            "{ org(slug: \"acme\") { sessions(first: 500) { totalCount } } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
}

#[tokio::test]
async fn filters_narrow_the_list() {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    let at = Utc
        .with_ymd_and_hms(2026, 11, 5, 12, 0, 0)
        .single()
        .unwrap_or_default();
    app.ingest(&[
        event("acme", "SESSION_STARTED")
            .session("web-1")
            .user("ann")
            .at(at)
            .set("attributes", json!({"repo": "web", "pr": 7}))
            .build(),
        event("acme", "SESSION_HANDOFF")
            .session("web-1")
            .user("ann")
            .at(at + Duration::minutes(5))
            .set("handoff", json!({"target": "LOCAL"}))
            .build(),
        event("acme", "SESSION_STARTED")
            .session("api-1")
            .user("ben")
            .at(at - Duration::days(2))
            .set("attributes", json!({"repo": "api"}))
            .build(),
        event("acme", "SESSION_ENDED")
            .session("api-1")
            .user("ben")
            .at(at + Duration::days(1))
            .build(),
    ])
    .await;
    app.project_all().await;
    let token = app.super_admin();
    let ids = |filter: Value| {
        let (app, token) = (&app, &token);
        async move {
            let body = app
                .graphql(Some(token), "query($f: SessionFilter) { org(slug: \"acme\") { sessions(filter: $f) { totalCount edges { node { id } } } } }", json!({"f": filter}))
                .await;
            let conn = &body["data"]["org"]["sessions"];
            let ids: Vec<String> = conn["edges"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|e| e["node"]["id"].as_str().map(String::from))
                .collect();
            assert_eq!(conn["totalCount"], json!(ids.len()), "{body}");
            ids
        }
    };
    assert_eq!(ids(json!({"userId": "ann"})).await, ["web-1"]);
    assert_eq!(ids(json!({"handedOff": true})).await, ["web-1"]);
    assert_eq!(ids(json!({"handedOff": false})).await, ["api-1"]);
    assert_eq!(
        ids(json!({"attributes": [{"key": "repo", "equals": "api"}]})).await,
        ["api-1"]
    );
    assert_eq!(
        ids(json!({"attributes": [{"key": "pr", "equals": "7"}]})).await,
        ["web-1"]
    );
    // api-1 spans the 5th but has no event on it: "any event in the range".
    let day = json!({"range": {"from": "2026-11-05T00:00:00Z", "to": "2026-11-06T00:00:00Z"}});
    assert_eq!(ids(day).await, ["web-1"]);
    let both = json!({"range": {"from": "2026-11-03T00:00:00Z", "to": "2026-11-07T00:00:00Z"}});
    assert_eq!(ids(both).await, ["api-1", "web-1"]);
}

#[tokio::test]
async fn the_org_says_when_its_newest_projected_event_happened() {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    let token = app.super_admin();
    let fresh = || {
        app.graphql(
            Some(&token),
            "{ org(slug: \"acme\") { lastEventAt } }",
            json!({}),
        )
    };
    assert!(
        fresh().await["data"]["org"]["lastEventAt"].is_null(),
        "no events yet"
    );
    let newest = Utc
        .with_ymd_and_hms(2026, 11, 3, 8, 30, 0)
        .single()
        .unwrap_or_default();
    app.ingest(&[
        event("acme", "SESSION_STARTED")
            .session("a")
            .at(newest - Duration::hours(5))
            .build(),
        event("acme", "SESSION_ENDED")
            .session("b")
            .at(newest)
            .build(),
    ])
    .await;
    assert!(
        fresh().await["data"]["org"]["lastEventAt"].is_null(),
        "not projected yet"
    );
    app.project_all().await;
    let answered = fresh().await["data"]["org"]["lastEventAt"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let answered = chrono::DateTime::parse_from_rfc3339(&answered)
        .map(|t| t.with_timezone(&Utc))
        .ok();
    assert_eq!(answered, Some(newest));
}

const EVENTS_PAGE: &str = "query($first: Int, $after: String) { org(slug: \"acme\") { session(id: \"long\") { \
  events(first: $first, after: $after) { pageInfo { hasNextPage endCursor } edges { cursor node { eventId occurredAt } } } } } }";

#[tokio::test]
async fn a_long_session_is_read_a_page_at_a_time_every_event_once_in_timeline_order() {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    let base = Utc
        .with_ymd_and_hms(2026, 11, 1, 0, 0, 0)
        .single()
        .unwrap_or_default();
    // 45 events, several sharing a time: the order is by time, then id.
    let mut expected: Vec<(chrono::DateTime<Utc>, uuid::Uuid)> = (0..45)
        .map(|i| (base + Duration::seconds(i / 3), uuid::Uuid::new_v4()))
        .collect();
    let events: Vec<Value> = expected
        .iter()
        .enumerate()
        .map(|(i, (at, id))| {
            let kind = if i == 0 {
                "SESSION_STARTED"
            } else {
                "MESSAGE_SENT"
            };
            let e = event("acme", kind).session("long").id(*id).at(*at);
            if i == 0 {
                e.build()
            } else {
                e.set(
                    "message",
                    json!({ "role": "USER", "text": format!("m{i}") }),
                )
                .build()
            }
        })
        .collect();
    let body = app.ingest(&events).await;
    assert_eq!(body["data"]["ingestEvents"]["accepted"], 45, "{body}");
    app.project_all().await;
    expected.sort();

    let token = app.super_admin();
    let mut got = Vec::new();
    let mut after = Value::Null;
    let mut pages = 0;
    loop {
        let body = app
            .graphql(
                Some(&token),
                EVENTS_PAGE,
                json!({ "first": 7, "after": after }),
            )
            .await;
        let page = &body["data"]["org"]["session"]["events"];
        let edges = page["edges"].as_array().unwrap_or_else(|| panic!("{body}"));
        assert!(edges.len() <= 7, "{body}");
        for edge in edges {
            let id = edge["node"]["eventId"].as_str().unwrap_or_default();
            got.push(uuid::Uuid::parse_str(id).unwrap_or_else(|e| panic!("{id}: {e}")));
        }
        pages += 1;
        if page["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = page["pageInfo"]["endCursor"].clone();
        assert!(pages < 20, "the walk ends");
    }
    assert_eq!(pages, 7, "45 events in pages of 7");
    let want: Vec<uuid::Uuid> = expected.iter().map(|(_, id)| *id).collect();
    assert_eq!(got, want, "every event once, by time then id");

    for (first, after) in [
        (json!(0), Value::Null),
        (json!(201), Value::Null),
        (json!(5), json!("not-a-cursor")),
    ] {
        let body = app
            .graphql(
                Some(&token),
                EVENTS_PAGE,
                json!({ "first": first, "after": after }),
            )
            .await;
        assert_eq!(
            error_code(&body),
            "BAD_USER_INPUT",
            "first {first}, after {after}: {body}"
        );
    }
}
