//! `ingestEvents`: producers send batches of events.

use agentmon_core::event::{EventInput, Rejection};

use super::event_input;
use agentmon_core::ingest::{ingest, IngestOutcome};
use async_graphql::{Context, Object, SimpleObject};
use uuid::Uuid;

use std::collections::BTreeMap;

use agentmon_core::auth::ProducerPrincipal;
use agentmon_core::event::MAX_EVENTS_PER_CALL;
use agentmon_core::Error;

use super::context::{db, GqlResult, RequestContext};
use super::RateLimits;

#[derive(SimpleObject)]
pub struct IngestResult {
    /// Newly stored.
    pub accepted: i32,
    /// eventId already stored for that org: ignored, not an error.
    pub duplicates: i32,
    pub rejected: Vec<RejectedEvent>,
}

#[derive(SimpleObject)]
pub struct RejectedEvent {
    /// Position in the batch.
    pub index: i32,
    pub event_id: Option<Uuid>,
    /// UNKNOWN_ORG | ORG_SUSPENDED | FORBIDDEN_ORG | INVALID_EVENT | SESSION_USER_MISMATCH
    pub code: String,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl From<IngestOutcome> for IngestResult {
    fn from(o: IngestOutcome) -> Self {
        IngestResult {
            accepted: count(o.accepted),
            duplicates: count(o.duplicates),
            rejected: o.rejected.into_iter().map(RejectedEvent::from).collect(),
        }
    }
}

impl From<Rejection> for RejectedEvent {
    fn from(r: Rejection) -> Self {
        RejectedEvent {
            index: count(r.index),
            event_id: r.event_id,
            code: r.code.to_string(),
            message: r.message,
        }
    }
}

fn count(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

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

#[derive(Default)]
pub struct IngestMutation;

#[Object]
impl IngestMutation {
    /// Producers only (ingest scope). At most 1,000 events per call.
    async fn ingest_events(
        &self,
        ctx: &Context<'_>,
        events: Vec<event_input::EventInput>,
    ) -> async_graphql::Result<IngestResult> {
        let events: Vec<EventInput> = events.into_iter().map(Into::into).collect();
        let producer = RequestContext::of(ctx)?.producer().gql()?;
        take_budget(ctx.data::<RateLimits>()?, producer, &events)
            .await
            .gql()?;
        let outcome = ingest(db(ctx)?, &producer.scope, &events, chrono::Utc::now())
            .await
            .gql()?;
        metrics::counter!("agentmon_ingested_events_total").increment(outcome.accepted as u64);
        metrics::counter!("agentmon_duplicate_events_total").increment(outcome.duplicates as u64);
        metrics::counter!("agentmon_rejected_events_total")
            .increment(outcome.rejected.len() as u64);
        Ok(outcome.into())
    }
}
