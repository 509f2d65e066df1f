//! The accepted events of one call are stored atomically: when the call
//! fails in the database, none of its events (nor their queue rows) is kept.

use diesel_async::SimpleAsyncConnection;

use crate::harness::{error_code, event, TestApp};

#[tokio::test]
async fn a_call_that_fails_in_the_database_stores_none_of_its_events() {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    // A fault injected below the API: inserting session "boom" fails.
    let mut owner = app.db.owner().await.unwrap_or_else(|e| panic!("{e}"));
    owner
        .batch_execute(
            "CREATE FUNCTION fail_on_boom() RETURNS trigger LANGUAGE plpgsql AS $$ \
             BEGIN IF NEW.session_id = 'boom' THEN RAISE EXCEPTION 'injected failure'; END IF; RETURN NEW; END $$; \
             CREATE TRIGGER fail_on_boom BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION fail_on_boom();",
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    let body = app
        .ingest(&[
            event("acme", "SESSION_STARTED").session("fine").build(),
            event("acme", "SESSION_STARTED").session("boom").build(),
        ])
        .await;
    assert_eq!(error_code(&body), "INTERNAL", "{body}");
    assert!(
        body["errors"][0]["extensions"]["requestId"].is_string(),
        "{body}"
    );
    assert!(
        !body.to_string().contains("injected failure"),
        "internals must not leak: {body}"
    );
    // Ownership claims are committed before the events are stored (so that
    // concurrent calls do not wait for each other); they stay, and the retry
    // below finds them its own.
    for table in ["events", "event_keys", "projection_queue", "users"] {
        assert_eq!(
            app.count(&format!("SELECT count(*) AS n FROM {table}"))
                .await,
            0,
            "{table}"
        );
    }

    // The producer retries the whole call once the fault is gone.
    owner
        .batch_execute("DROP TRIGGER fail_on_boom ON events")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let body = app
        .ingest(&[
            event("acme", "SESSION_STARTED").session("fine").build(),
            event("acme", "SESSION_STARTED").session("boom").build(),
        ])
        .await;
    assert_eq!(body["data"]["ingestEvents"]["accepted"], 2, "{body}");
    assert_eq!(
        body["data"]["ingestEvents"]["rejected"],
        serde_json::json!([]),
        "{body}"
    );
    assert_eq!(app.count("SELECT count(*) AS n FROM events").await, 2);
}
