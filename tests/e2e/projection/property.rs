//! The property: random streams, delivered in random order with random
//! duplicates in random batches, projected in random rounds, give the read
//! models of the independent fold.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::stream::{deliveries, stream, ORGS};
use super::{model, verify::verify};
use crate::harness::TestApp;

const SEEDS: u64 = 12;

#[tokio::test]
async fn any_arrival_order_repetition_and_batching_gives_the_same_read_models() {
    for seed in 0..SEEDS {
        let app = TestApp::new().await;
        for (slug, tz) in ORGS {
            app.create_org(slug, tz).await;
        }
        let events = stream(seed);
        let mut rng = StdRng::seed_from_u64(seed);
        for batch in deliveries(seed, &events) {
            let body = app.ingest(&batch).await;
            let result = &body["data"]["ingestEvents"];
            assert!(
                result["rejected"].as_array().is_some_and(Vec::is_empty),
                "seed {seed}: {body}"
            );
            // Project now and then, in rounds of random size, so that
            // sessions are folded from partial histories too.
            if rng.random_bool(0.5) {
                let round = app.worker(rng.random_range(1..30)).round().await;
                round.unwrap_or_else(|e| panic!("seed {seed}: {e}"));
            }
        }
        app.project_all().await;
        verify(&app, &model::expected(&events), &format!("seed {seed}")).await;
    }
}
