//! Any number of workers may share the queue: two give what one gives.

use super::stream::{stream, Ev, ORGS};
use super::{model, verify::verify};
use crate::harness::read_models::{assert_same, snapshot};
use crate::harness::TestApp;

async fn app_with(events: &[Ev]) -> TestApp {
    let app = TestApp::new().await;
    for (slug, tz) in ORGS {
        app.create_org(slug, tz).await;
    }
    let json: Vec<_> = events.iter().map(Ev::json).collect();
    for chunk in json.chunks(500) {
        app.ingest(chunk).await;
    }
    app
}

#[tokio::test]
async fn two_workers_on_the_same_queue_give_the_same_read_models_as_one() {
    let events: Vec<Ev> = (100..110).flat_map(stream).collect();

    let one = app_with(&events).await;
    one.worker(7)
        .drain()
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    let two = app_with(&events).await;
    let (a, b) = (two.worker(7), two.worker(5));
    let (ra, rb) = tokio::join!(a.drain(), b.drain());
    let (na, nb) = (
        ra.unwrap_or_else(|e| panic!("{e}")),
        rb.unwrap_or_else(|e| panic!("{e}")),
    );
    assert_eq!(
        na + nb,
        two.count("SELECT count(*) AS n FROM events").await as usize
    );
    assert!(na > 0 && nb > 0, "both workers took a share: {na} and {nb}");

    assert_same(
        &snapshot(&one).await,
        &snapshot(&two).await,
        "one worker vs two",
    );
    verify(&two, &model::expected(&events), "two workers").await;
}
