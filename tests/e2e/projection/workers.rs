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

/// Ingests a burst of 1,500 events of org `big` (more than a claim looks
/// through), then 3 of org `small` queued behind them.
async fn burst_then_three(app: &TestApp, big: &str, small: &str) {
    use crate::harness::event;
    let burst: Vec<_> = (0..1_500)
        .map(|i| {
            event(big, "SESSION_STARTED")
                .session(&format!("s{}", i % 50))
                .build()
        })
        .collect();
    for chunk in burst.chunks(500) {
        app.ingest(chunk).await;
    }
    let behind: Vec<_> = (0..3)
        .map(|i| {
            event(small, "SESSION_STARTED")
                .session(&format!("t{i}"))
                .build()
        })
        .collect();
    app.ingest(&behind).await;
    assert_eq!(app.count(&queued_of(big)).await, 1_500);
    assert_eq!(app.count(&queued_of(small)).await, 3);
}

fn queued_of(slug: &str) -> String {
    format!(
        "SELECT count(*) AS n FROM projection_queue q JOIN orgs o ON o.id = q.org_id \
         WHERE o.slug = '{slug}'"
    )
}

/// A tenant's burst does not hold back the others: when the oldest ready
/// rows (more than a claim looks through) are all of an org another batch
/// holds, a batch takes an org whose rows wait behind them.
#[tokio::test]
async fn an_org_behind_another_orgs_backlog_is_taken_by_the_next_batch() {
    use crate::harness::batches::OpenBatch;

    let app = app_with(&[]).await;
    burst_then_three(&app, ORGS[0].0, ORGS[1].0).await;

    let first = OpenBatch::claim(&app, 5).await;
    let second = OpenBatch::claim(&app, 5).await;
    let org_ids = |b: &OpenBatch| {
        b.claimed
            .iter()
            .map(|c| c.org_id)
            .collect::<std::collections::BTreeSet<_>>()
    };
    assert_eq!(
        first.claimed.len(),
        5,
        "the first batch took 5 of the burst"
    );
    assert_eq!(org_ids(&first).len(), 1);
    assert_eq!(
        second.claimed.len(),
        3,
        "the second batch took the 3 rows waiting behind the burst, not 5 more of it"
    );
    assert!(
        org_ids(&first).is_disjoint(&org_ids(&second)),
        "the two batches took different orgs"
    );
    // With both orgs held, a third batch takes the burst's next rows.
    let third = OpenBatch::claim(&app, 5).await;
    assert_eq!(third.claimed.len(), 5);
    assert_eq!(org_ids(&third), org_ids(&first));
    for batch in [first, second, third] {
        batch.roll_back().await;
    }
}

/// The same with a running worker: while another batch holds the
/// bursting org, the worker projects the three events behind the burst
/// first, not the burst's free rows.
#[tokio::test]
async fn a_worker_projects_a_small_org_while_a_batch_holds_a_bursting_one() {
    use crate::harness::batches::OpenBatch;

    let app = app_with(&[]).await;
    let (big, small) = (ORGS[0].0, ORGS[1].0);
    burst_then_three(&app, big, small).await;
    let held = OpenBatch::claim(&app, 5).await;

    let stop = tokio_util::sync::CancellationToken::new();
    let worker = app.worker(100);
    let running = tokio::spawn({
        let stop = stop.clone();
        async move { worker.run(stop).await }
    });
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while app.count(&queued_of(small)).await > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the small org's events were not projected in 30 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let burst_left = app.count(&queued_of(big)).await;
    stop.cancel();
    running
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|e| panic!("{e}"));
    held.roll_back().await;
    assert!(
        burst_left >= 1_000,
        "the small org waited for the burst: only {burst_left} of its 1,500 events were left"
    );
}
