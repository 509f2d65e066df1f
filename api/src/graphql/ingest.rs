//! `ingestEvents`: producers send batches of events.

use agentmon_core::event::{EventInput, Rejection};

use super::event_input;
use agentmon_core::ingest::IngestOutcome;
use async_graphql::{Context, Object, SimpleObject};
use uuid::Uuid;

use super::context::{db, GqlResult, RequestContext};
use super::RateLimits;
use crate::http::ingest_body::ReadEvents;
use crate::produce::produce;

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
        // Read from the body already, when the HTTP layer could (an empty
        // list stands in for them in the variables).
        let events = ctx
            .data_opt::<ReadEvents>()
            .and_then(ReadEvents::take)
            .unwrap_or(events);
        let events: Vec<EventInput> = events.into_iter().map(Into::into).collect();
        let producer = RequestContext::of(ctx)?.producer().gql()?;
        let outcome = produce(db(ctx)?, ctx.data::<RateLimits>()?, producer, &events)
            .await
            .gql()?;
        Ok(outcome.into())
    }
}
