//! The handoffs read model: every handoff, and whether the user iterated
//! within 4 hours of it.

use agentmon_core::event::{EventType, HandoffTarget};
use agentmon_core::storage::models::event::StoredEvent;
use agentmon_core::Result;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use diesel_async::AsyncPgConnection;
use serde::Serialize;
use uuid::Uuid;

use crate::projector::{Batch, Changes, Projector, ReplayScope};
use crate::sql::{delete_scope, write_rows};

pub struct HandoffsProjector;

#[derive(Serialize)]
struct Row<'a> {
    org_id: Uuid,
    event_id: Uuid,
    session_id: &'a str,
    user_id: &'a str,
    at: DateTime<Utc>,
    target: HandoffTarget,
    iterated: bool,
}

const UPSERT: &str = "
INSERT INTO handoffs (org_id, event_id, session_id, user_id, at, target, iterated)
SELECT * FROM jsonb_to_recordset($1) AS x(org_id uuid, event_id uuid, session_id text,
  user_id text, at timestamptz, target text, iterated boolean)
ON CONFLICT (org_id, event_id) DO UPDATE SET iterated = excluded.iterated";

#[async_trait]
impl Projector for HandoffsProjector {
    fn name(&self) -> &'static str {
        "handoffs"
    }

    /// A handoff, or what may count as iterating after one.
    fn interested_in(&self, event: &StoredEvent) -> bool {
        matches!(
            event.event_type,
            EventType::SessionHandoff | EventType::MessageSent | EventType::RunStarted
        )
    }

    async fn apply(&self, tx: &mut AsyncPgConnection, batch: &Batch) -> Result<Changes> {
        let rows: Vec<Row> = batch
            .sessions
            .iter()
            .flat_map(|s| {
                s.handoffs.iter().map(move |h| Row {
                    org_id: s.org_id,
                    event_id: h.event_id,
                    session_id: &s.session_id,
                    user_id: &s.user_id,
                    at: h.at,
                    target: h.target,
                    iterated: h.iterated,
                })
            })
            .collect();
        write_rows(tx, UPSERT, &rows).await?;
        Ok(Changes::of_batch(batch))
    }

    async fn reset(&self, tx: &mut AsyncPgConnection, scope: &ReplayScope) -> Result<()> {
        delete_scope(tx, "handoffs", scope.org).await
    }
}
