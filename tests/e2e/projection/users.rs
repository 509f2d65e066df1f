//! Users: first seen, last active, and each profile field last-write-wins
//! by occurrence time, whatever the arrival order.

use chrono::{Duration, TimeZone, Utc};
use serde_json::json;

use crate::harness::{event, TestApp};

#[tokio::test]
async fn the_latest_profile_wins_field_by_field_in_any_arrival_order() {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    let t0 = Utc
        .with_ymd_and_hms(2026, 11, 1, 9, 0, 0)
        .single()
        .unwrap_or_default();
    let at = |h: i64| t0 + Duration::hours(h);
    let profile = |h: i64, user: serde_json::Value| {
        event("acme", "SESSION_STARTED")
            .session(&format!("s{h}"))
            .user("ada")
            .at(at(h))
            .set("user", user)
            .build()
    };
    // Newest first, one event per call, projected after each: the worst order.
    for e in [
        profile(3, json!({"email": "new@example.com"})),
        profile(2, json!({"name": "Ada L."})),
        profile(1, json!({"email": "old@example.com", "name": "Ada"})),
        event("acme", "SESSION_ENDED")
            .session("s0")
            .user("ada")
            .at(at(0))
            .build(),
    ] {
        app.ingest(&[e]).await;
        app.project_all().await;
    }
    assert_eq!(app.count("SELECT count(*) AS n FROM users WHERE user_id = 'ada' AND email = 'new@example.com' AND name = 'Ada L.'").await, 1);
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) AS n FROM users WHERE user_id = 'ada' AND first_seen_at = '{}' AND last_active_at = '{}'",
            at(0).to_rfc3339(),
            at(3).to_rfc3339()
        ))
        .await,
        1
    );
}
