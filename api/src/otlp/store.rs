//! Storing what an export became, the same for HTTP and gRPC: in calls of
//! at most 1,000 events through the producer path of `ingestEvents`
//! (atomic per call, rate-limited, the RLS-bound role), counting what was
//! dropped and why.

use std::collections::HashSet;

use agentmon_core::auth::ProducerPrincipal;
use agentmon_core::event::MAX_EVENTS_PER_CALL;
use agentmon_core::ingest::{already_stored, join_current_runs};
use agentmon_core::Error;

use opentelemetry_proto::tonic::collector::logs::v1::{
    ExportLogsPartialSuccess, ExportLogsServiceResponse,
};
use opentelemetry_proto::tonic::collector::metrics::v1::{
    ExportMetricsPartialSuccess, ExportMetricsServiceResponse,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTracePartialSuccess, ExportTraceServiceResponse,
};

use crate::http::AppState;
use crate::produce::produce;

/// Records dropped, and the reasons (at most five).
#[derive(Debug, Default)]
pub struct Dropped {
    pub count: i64,
    pub reasons: Vec<String>,
}

impl Dropped {
    /// What the answer's `partial_success` says: none when nothing was
    /// dropped.
    fn partial(&self) -> Option<(i64, String)> {
        (self.count > 0 || !self.reasons.is_empty()).then(|| (self.count, self.reasons.join("; ")))
    }

    pub fn logs(&self) -> ExportLogsServiceResponse {
        ExportLogsServiceResponse {
            partial_success: self.partial().map(|(n, m)| ExportLogsPartialSuccess {
                rejected_log_records: n,
                error_message: m,
            }),
        }
    }

    pub fn traces(&self) -> ExportTraceServiceResponse {
        ExportTraceServiceResponse {
            partial_success: self.partial().map(|(n, m)| ExportTracePartialSuccess {
                rejected_spans: n,
                error_message: m,
            }),
        }
    }

    pub fn metrics(&self) -> ExportMetricsServiceResponse {
        ExportMetricsServiceResponse {
            partial_success: self.partial().map(|(n, m)| ExportMetricsPartialSuccess {
                rejected_data_points: n,
                error_message: m,
            }),
        }
    }
}

/// Stores the mapped events. Calls stored before an error stay stored:
/// the export sent again finds them stored, and pays only for the rest.
pub async fn store(
    state: &AppState,
    producer: &ProducerPrincipal,
    mut mapped: agentmon_otlp::Mapped,
) -> Result<Dropped, Error> {
    join_current_runs(
        &state.db,
        &producer.scope,
        &mut mapped.events,
        &mapped.joining,
    )
    .await?;
    let mut dropped = Dropped {
        count: mapped.rejected as i64,
        reasons: mapped.reasons.iter().map(|r| r.to_string()).collect(),
    };
    // An export sent again is charged only for what it adds (see
    // `already_stored`); what is stored counts once, as before.
    let stored = already_stored(&state.db, &producer.scope, &mapped.events).await?;
    if !stored.is_empty() {
        let (events, records) = std::mem::take(&mut mapped.events)
            .into_iter()
            .zip(std::mem::take(&mut mapped.records))
            .filter(|(e, _)| !stored.contains(&(e.org.clone(), e.event_id)))
            .unzip();
        (mapped.events, mapped.records) = (events, records);
        metrics::counter!("agentmon_duplicate_events_total").increment(stored.len() as u64);
    }
    if mapped.events.is_empty() && !stored.is_empty() {
        // Sent again whole, it still costs one request of the producer's
        // budget: its lookup is not free to repeat over and over. (An
        // export whose records all are ignored looked nothing up, and
        // stays free: many agents send such exports all day.)
        produce(&state.db, &state.rates, producer, &[]).await?;
    }
    // The records refused: one whose events were refused (in one call or
    // two) counts once.
    let mut refused: HashSet<u32> = HashSet::new();
    let calls = mapped.events.chunks(MAX_EVENTS_PER_CALL);
    for (call, records) in calls.zip(mapped.records.chunks(MAX_EVENTS_PER_CALL)) {
        let outcome = produce(&state.db, &state.rates, producer, call).await?;
        for r in outcome.rejected {
            refused.extend(records.get(r.index));
            let reason = format!("{}: {}", r.code, r.message);
            if !dropped.reasons.contains(&reason) && dropped.reasons.len() < 5 {
                dropped.reasons.push(reason);
            }
        }
    }
    dropped.count += refused.len() as i64;
    Ok(dropped)
}
