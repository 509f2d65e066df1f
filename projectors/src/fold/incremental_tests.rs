//! The incremental fold against the fold from scratch: any stream of a
//! session's events, shuffled, with events sent twice (the store keeps the
//! first of each id), taken in by batches of any size, keeps the same state
//! and gives the same session and runs as all its events folded at once.

use std::collections::{BTreeMap, HashSet};

use agentmon_core::event::{
    CodeChangeInput, ErrorCategory, EventType, HandoffInput, HandoffTarget, MessageInput,
    MessageRole, ModelCallInput, RunInput, RunStatus, ToolCallInput, ToolDecision,
};
use agentmon_core::metrics::pricing::{Price, PriceTable};
use agentmon_core::storage::models::event::{Payload, StoredEvent};
use chrono::{DateTime, Duration, TimeZone, Utc};
use chrono_tz::Tz;
use proptest::prelude::*;
use rust_decimal::Decimal;
use uuid::Uuid;

use super::{Folded, HandoffFold, RunState, SessionFold, SessionState};

const ORG: Uuid = Uuid::from_u128(7);

/// One generated event: kind, minute offset, run, user, attribute, detail.
type Spec = (u8, i64, u8, u8, Option<(u8, u8)>, u16);

fn stored(i: usize, spec: &Spec) -> StoredEvent {
    let (kind, minute, run, user, attribute, detail) = *spec;
    let base: DateTime<Utc> = Utc.with_ymd_and_hms(2026, 3, 29, 0, 30, 0).unwrap();
    let mut payload = Payload::default();
    let run_id = Some(format!("r{}", run % 5));
    let (event_type, run_id) = match kind % 9 {
        0 => (EventType::SessionStarted, None),
        1 => {
            let role = if detail % 2 == 0 {
                MessageRole::User
            } else {
                MessageRole::Agent
            };
            payload.message = Some(MessageInput { role, text: None });
            // Some messages name their run: they move its last event.
            (EventType::MessageSent, run_id.filter(|_| detail % 5 == 0))
        }
        2 => {
            payload.run = Some(RunInput {
                model: (detail % 3 != 0).then(|| format!("m{}", detail % 3)),
                // Runs of sources that send no end, ended by a later start.
                ends_implicitly: (detail % 2 == 0).then_some(true),
                ..RunInput::default()
            });
            (EventType::RunStarted, run_id)
        }
        3 => {
            let status = [
                RunStatus::Succeeded,
                RunStatus::Failed,
                RunStatus::Cancelled,
            ][usize::from(detail % 3)];
            payload.run = Some(RunInput {
                model: (detail % 4 == 0).then(|| "m-finish".to_string()),
                status: (detail % 5 != 0).then_some(status),
                error_category: (detail % 7 == 0).then_some(ErrorCategory::Timeout),
                error_message: Some(format!("e{detail}")),
                input_tokens: Some(i32::from(detail)),
                output_tokens: (detail % 2 == 0).then_some(i32::from(detail) * 3),
                // Costs of several scales, as producers send them.
                cost_usd: Some(format!(
                    "{}.{:0>width$}",
                    detail % 3,
                    detail % 100,
                    width = usize::from(detail % 4) + 2
                )),
                duration_ms: (detail % 3 == 1).then_some(i32::from(detail) * 100),
                ends_implicitly: None,
            });
            (EventType::RunFinished, run_id)
        }
        4 => {
            let target = if detail % 3 == 0 {
                HandoffTarget::Other
            } else {
                HandoffTarget::Local
            };
            payload.handoff = Some(HandoffInput { target });
            (EventType::SessionHandoff, None)
        }
        6 => {
            payload.model_call = Some(ModelCallInput {
                // "z" has no price: those calls without a cost are unpriced.
                model: if detail % 5 == 0 {
                    "z".into()
                } else {
                    format!("m{}", detail % 3)
                },
                input_tokens: Some(i32::from(detail)),
                output_tokens: Some(i32::from(detail % 7)),
                cache_read_tokens: (detail % 2 == 0).then_some(i32::from(detail) * 2),
                cache_creation_tokens: Some(i32::from(detail % 5)),
                cost_usd: (detail % 4 != 0).then(|| format!("0.{:0>4}", detail)),
                duration_ms: Some(i32::from(detail)),
                error: (detail % 9 == 0).then(|| "overloaded".into()),
                error_category: (detail % 7 == 0).then_some(ErrorCategory::Timeout),
                // Some are attempts that may be retried (Codex CLI).
                attempt: (detail % 11 == 0).then_some(true),
            });
            // Some calls belong to no run.
            (EventType::ModelCall, run_id.filter(|_| detail % 3 != 0))
        }
        7 => {
            payload.tool = Some(ToolCallInput {
                name: format!("t{}", detail % 2),
                success: [None, Some(true), Some(false)][usize::from(detail % 3)],
                duration_ms: Some(i32::from(detail)),
                decision: [
                    None,
                    Some(ToolDecision::Accepted),
                    Some(ToolDecision::Rejected),
                ][usize::from(detail % 3)],
                error: None,
            });
            (EventType::ToolCall, run_id.filter(|_| detail % 2 == 0))
        }
        8 => {
            payload.code = Some(CodeChangeInput {
                lines_added: Some(i32::from(detail)),
                lines_removed: Some(i32::from(detail % 11)),
                commits: Some(i32::from(detail % 2)),
                pull_requests: Some(i32::from(detail % 3 == 0)),
            });
            (EventType::CodeChange, None)
        }
        _ => (EventType::MessageSent, None),
    };
    if let Some((key, value)) = attribute {
        payload.attributes =
            Some(serde_json::json!({ format!("k{}", key % 3): format!("v{value}") }));
    }
    StoredEvent {
        org_id: ORG,
        // Ids in generation order; times repeat, so ties go by id.
        event_id: Uuid::from_u128(1_000 + i as u128),
        // Minutes over two days around a clock change, handoff windows included.
        occurred_at: base + Duration::minutes(minute),
        event_type,
        session_id: "s".into(),
        user_id: format!("u{}", user % 3),
        run_id,
        payload,
        raw: serde_json::Value::Null,
    }
}

/// Prices for some of the generated models, one changing mid-stream, so
/// that calls without a cost are estimated.
fn prices() -> PriceTable {
    let price = |model: &str, hour: u32, input: i64| Price {
        id: Uuid::from_u128(u128::from(hour)),
        org_id: None,
        model: model.into(),
        valid_from: Utc.with_ymd_and_hms(2026, 3, 29, hour, 0, 0).unwrap(),
        input: Decimal::from(input),
        output: Decimal::new(15, 1),
        cache_read: Decimal::new(3, 2),
        cache_creation: Decimal::new(375, 2),
    };
    PriceTable {
        org: vec![price("m1", 0, 3)],
        platform: vec![price("m*", 0, 1), price("m*", 12, 2)],
    }
}

/// What the projectors end up with after every batch of an incremental
/// fold: the last session fold with the latest version of every run, and
/// the state kept.
fn incremental(
    batches: &[Vec<&StoredEvent>],
    tz: Tz,
) -> (SessionFold, SessionState, BTreeMap<String, RunState>) {
    let mut state: Option<SessionState> = None;
    let mut runs: BTreeMap<String, RunState> = BTreeMap::new();
    let mut seen_runs = BTreeMap::new();
    let mut taken: Vec<&StoredEvent> = Vec::new();
    let mut last = None;
    for batch in batches {
        taken.extend(batch.iter().copied());
        let fold = match state.as_mut() {
            None => {
                let f = Folded::of(batch, tz, &prices()).expect("a first batch has events");
                runs = f.runs;
                state = Some(f.state);
                f.fold
            }
            Some(s) => {
                // What the store answers: work already taken in (this batch
                // included) in a new handoff's window.
                let earlier = |h: &HandoffFold| {
                    taken
                        .iter()
                        .any(|e| super::handoff::is_iteration(e) && h.window_holds(e.occurred_at))
                };
                // As projection does: only the runs the batch touches and
                // the open ones are loaded.
                let ids: std::collections::BTreeSet<String> = batch
                    .iter()
                    .filter(|e| RunState::concerns(e))
                    .filter_map(|e| e.run_id.clone())
                    .chain(s.open.iter().cloned())
                    .collect();
                let mut loaded: BTreeMap<String, RunState> = ids
                    .iter()
                    .filter_map(|id| runs.remove(id).map(|r| (id.clone(), r)))
                    .collect();
                let changed = s.take(batch, &mut loaded, &earlier, tz, &prices());
                runs.extend(loaded);
                s.fold(ORG, "s", tz, changed)
            }
        };
        seen_runs.extend(fold.runs.clone());
        last = Some(fold);
    }
    let mut fold = last.expect("at least one batch");
    fold.runs = seen_runs;
    (fold, state.expect("folded"), runs)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]
    #[test]
    fn taking_batches_in_any_order_equals_folding_everything(
        specs in prop::collection::vec((0u8..9, 0i64..2_880, 0u8..5, 0u8..3, prop::option::of((0u8..3, 0u8..4)), 0u16..400), 1..60),
        order in any::<prop::sample::Index>(),
        resend in prop::collection::vec(any::<prop::sample::Index>(), 0..10),
        cuts in prop::collection::vec(1usize..8, 1..30),
        zone in 0usize..3,
    ) {
        let tz = [Tz::UTC, Tz::Europe__Berlin, Tz::America__Los_Angeles][zone];
        let events: Vec<StoredEvent> = specs.iter().enumerate().map(|(i, s)| stored(i, s)).collect();
        // Arrival: shuffled, some events sent again.
        let mut arrival: Vec<&StoredEvent> = events.iter().collect();
        for r in &resend {
            arrival.push(&events[r.index(events.len())]);
        }
        let n = arrival.len();
        let offset = order.index(n);
        arrival.rotate_left(offset);
        let mut seed = offset as u64 + 1;
        for i in (1..n).rev() {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            arrival.swap(i, (seed >> 33) as usize % (i + 1));
        }
        // The store keeps the first of each id; what it keeps is projected.
        let mut ids = HashSet::new();
        arrival.retain(|e| ids.insert(e.event_id));
        let mut batches: Vec<Vec<&StoredEvent>> = Vec::new();
        let mut rest = arrival.as_slice();
        for cut in cuts.iter().cycle() {
            if rest.is_empty() {
                break;
            }
            let (batch, tail) = rest.split_at((*cut).min(rest.len()));
            batches.push(batch.to_vec());
            rest = tail;
        }

        let whole = Folded::of(&events.iter().collect::<Vec<_>>(), tz, &prices()).expect("events");
        let (fold, state, runs) = incremental(&batches, tz);
        prop_assert_eq!(&fold, &whole.fold);
        prop_assert_eq!(
            serde_json::to_value(&state).unwrap(),
            serde_json::to_value(&whole.state).unwrap()
        );
        prop_assert_eq!(
            serde_json::to_value(&runs).unwrap(),
            serde_json::to_value(&whole.runs).unwrap()
        );
    }
}

#[test]
fn a_handoff_taken_after_the_work_that_follows_it_is_iterated() {
    let tz = Tz::UTC;
    let handoff = stored(0, &(4, 10, 0, 0, None, 1));
    let message = stored(1, &(1, 20, 0, 0, None, 0));
    let whole = Folded::of(&[&handoff, &message], tz, &prices()).expect("events");
    assert!(whole.fold.iterated_after_handoff());
    let (fold, _, _) = incremental(&[vec![&message], vec![&handoff]], tz);
    assert!(fold.iterated_after_handoff(), "the store's answer marks it");
}
