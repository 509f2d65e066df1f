//! Events of any month are accepted: the month's partition is made on
//! demand, also when several calls race to make it.

use chrono::{TimeZone, Utc};

use crate::harness::{event, TestApp};

#[tokio::test]
async fn concurrent_calls_for_a_new_month_all_succeed() {
    let app = TestApp::new().await;
    app.create_org("acme", "UTC").await;
    for year in [2019, 2020] {
        let calls: Vec<_> = (0..6)
            .map(|i| {
                let at = Utc
                    .with_ymd_and_hms(year, 3, 1 + i, 12, 0, 0)
                    .single()
                    .unwrap_or_default();
                vec![event("acme", "SESSION_STARTED")
                    .session(&format!("s{year}-{i}"))
                    .at(at)
                    .build()]
            })
            .collect();
        let results = futures::future::join_all(calls.iter().map(|batch| app.ingest(batch))).await;
        for body in results {
            assert_eq!(body["data"]["ingestEvents"]["accepted"], 1, "{body}");
        }
    }
    assert_eq!(app.count("SELECT count(*) AS n FROM events").await, 12);
}
