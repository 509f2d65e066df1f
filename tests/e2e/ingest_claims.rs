//! Session ownership claimed ahead of the store: calls racing for a new
//! session leave it to one user, and an id already stored stays a
//! duplicate whatever session or user it names when sent again.

use serde_json::Value;

use crate::harness::{event, TestApp};

fn codes(body: &Value) -> Vec<String> {
    body["data"]["ingestEvents"]["rejected"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .iter()
        .map(|r| r["code"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[tokio::test]
async fn calls_racing_for_a_new_session_leave_it_to_one_user() {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    // Eight calls at once, each from its own user, for the same 20 sessions.
    let calls: Vec<Vec<Value>> = (0..8)
        .map(|u| {
            (0..20)
                .map(|s| {
                    event("acme", "SESSION_STARTED")
                        .session(&format!("s{s}"))
                        .user(&format!("user-{u}"))
                        .build()
                })
                .collect()
        })
        .collect();
    let results = futures::future::join_all(calls.iter().map(|c| app.ingest(c))).await;
    let mut accepted = 0;
    let mut refused = 0;
    for body in &results {
        accepted += body["data"]["ingestEvents"]["accepted"]
            .as_i64()
            .unwrap_or_else(|| panic!("{body}"));
        let codes = codes(body);
        assert!(codes.iter().all(|c| c == "SESSION_USER_MISMATCH"), "{body}");
        refused += codes.len() as i64;
    }
    assert_eq!(accepted + refused, 160);
    // Each session holds the events of exactly one user, and the one its
    // owner row names.
    assert_eq!(accepted, 20, "one event per session is stored");
    assert_eq!(
        app.count(
            "SELECT count(*) AS n FROM (SELECT session_id FROM events \
             GROUP BY session_id HAVING count(DISTINCT user_id) = 1) s"
        )
        .await,
        20
    );
    assert_eq!(
        app.count(
            "SELECT count(*) AS n FROM events e JOIN session_owners o \
             ON o.org_id = e.org_id AND o.session_id = e.session_id AND o.user_id = e.user_id"
        )
        .await,
        20
    );
}

#[tokio::test]
async fn a_stored_id_sent_again_naming_another_user_is_a_duplicate() {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    let id = uuid::Uuid::new_v4();
    let first = app
        .ingest(&[event("acme", "SESSION_STARTED")
            .id(id)
            .session("s1")
            .user("alice")
            .build()])
        .await;
    assert_eq!(first["data"]["ingestEvents"]["accepted"], 1, "{first}");

    // The same id, now naming bob in alice's session, beside a new event of bob's there.
    let body = app
        .ingest(&[
            event("acme", "SESSION_STARTED")
                .id(id)
                .session("s1")
                .user("bob")
                .build(),
            event("acme", "SESSION_ENDED")
                .session("s1")
                .user("bob")
                .build(),
        ])
        .await;
    let result = &body["data"]["ingestEvents"];
    assert_eq!(result["accepted"], 0, "{body}");
    assert_eq!(result["duplicates"], 1, "{body}");
    assert_eq!(codes(&body), vec!["SESSION_USER_MISMATCH"], "{body}");
    assert_eq!(result["rejected"][0]["index"], 1, "{body}");
    assert_eq!(
        app.count("SELECT count(*) AS n FROM events WHERE user_id = 'alice'")
            .await,
        1
    );
    assert_eq!(app.count("SELECT count(*) AS n FROM events").await, 1);
}
