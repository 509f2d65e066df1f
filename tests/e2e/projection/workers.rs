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

/// Batches running at once take one org each while they can, so their
/// sessions never meet; once every org with ready events is taken, a
/// batch takes the oldest free rows of any.
#[tokio::test]
async fn concurrent_batches_take_one_org_each_then_any() {
    use crate::harness::batches::OpenBatch;
    use std::collections::BTreeSet;

    let events: Vec<Ev> = (100..110).flat_map(stream).collect();
    let app = app_with(&events).await;
    let queued = app
        .count("SELECT count(*) AS n FROM projection_queue")
        .await;
    assert_eq!(
        app.count("SELECT count(DISTINCT org_id) AS n FROM projection_queue")
            .await,
        2,
        "the test needs ready events of both orgs"
    );
    let mut batches = Vec::new();
    let mut orgs = Vec::new();
    for _ in 0..3 {
        let batch = OpenBatch::claim(&app, 5).await;
        assert_eq!(batch.claimed.len(), 5, "each batch took 5 ready rows");
        orgs.push(
            batch
                .claimed
                .iter()
                .map(|c| c.org_id)
                .collect::<BTreeSet<_>>(),
        );
        batches.push(batch);
    }
    assert_eq!(orgs[0].len(), 1, "the first batch took one org: {orgs:?}");
    assert_eq!(orgs[1].len(), 1, "the second batch took one org: {orgs:?}");
    assert_ne!(orgs[0], orgs[1], "the two batches took different orgs");
    // Both orgs are held: the third batch still found work.
    for batch in batches {
        batch.roll_back().await;
    }
    assert_eq!(
        app.count("SELECT count(*) AS n FROM projection_queue")
            .await,
        queued,
        "rolled back, every claimed row is queued again"
    );
}
