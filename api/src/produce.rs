//! What a producer's call does, whatever it came by (`ingestEvents`, OTLP
//! over HTTP or gRPC): the events against the budget of each org they
//! name, then stored as one atomic call, then counted.

use std::collections::BTreeMap;

use agentmon_core::auth::ProducerPrincipal;
use agentmon_core::event::{EventInput, MAX_EVENTS_PER_CALL};
use agentmon_core::ingest::{ingest, IngestOutcome};
use agentmon_core::storage::db::Db;
use agentmon_core::Error;

use crate::rate_limits::RateLimits;

/// The call's events against the budget of each org they name, before
/// anything is stored: a refused call stores nothing. An org's budget is
/// shared by all its producers, so making more keys buys no more. A call
/// with no event the producer may write (empty, or naming only orgs outside
/// its scope, rejected one by one) still costs: one request of the
/// producer's request budget.
async fn take_budget(
    rates: &RateLimits,
    producer: &ProducerPrincipal,
    events: &[EventInput],
) -> Result<(), Error> {
    let mut per_org: BTreeMap<&str, u32> = BTreeMap::new();
    for event in events.iter().take(MAX_EVENTS_PER_CALL) {
        if producer.scope.allows(&event.org) {
            *per_org.entry(event.org.as_str()).or_default() += 1;
        }
    }
    if per_org.is_empty() {
        return rates
            .requests
            .take(&format!("producer:{}", producer.id), 1)
            .await;
    }
    for (org, n) in per_org {
        rates.ingest.take(&format!("org:{org}"), n).await?;
    }
    Ok(())
}

/// Stores one call of at most [`MAX_EVENTS_PER_CALL`] events for
/// `producer`, within the rate limits.
pub async fn produce(
    db: &Db,
    rates: &RateLimits,
    producer: &ProducerPrincipal,
    events: &[EventInput],
) -> Result<IngestOutcome, Error> {
    take_budget(rates, producer, events).await?;
    let outcome = ingest(db, &producer.scope, events, chrono::Utc::now()).await?;
    metrics::counter!("agentmon_ingested_events_total").increment(outcome.accepted as u64);
    metrics::counter!("agentmon_duplicate_events_total").increment(outcome.duplicates as u64);
    metrics::counter!("agentmon_rejected_events_total").increment(outcome.rejected.len() as u64);
    Ok(outcome)
}
