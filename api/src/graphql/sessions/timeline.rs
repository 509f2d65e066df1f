//! A session's timeline: every stored event, with one line a person reads.

use agentmon_core::event::{
    ErrorCategory, EventType, HandoffTarget, MessageRole, RunStatus, ToolDecision,
};
use agentmon_core::storage::models::event::StoredEvent;
use async_graphql::SimpleObject;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use agentmon_core::Error;

use crate::graphql::event_input as gql;
use crate::graphql::paging::{decode_cursor, encode_cursor, PageInfo};

#[derive(SimpleObject)]
pub struct TimelineEvent {
    pub event_id: Uuid,
    #[graphql(name = "type")]
    pub event_type: gql::EventType,
    pub occurred_at: DateTime<Utc>,
    pub run_id: Option<String>,
    pub summary: String,
    pub data: async_graphql::Json<serde_json::Value>,
}

impl From<StoredEvent> for TimelineEvent {
    fn from(e: StoredEvent) -> Self {
        TimelineEvent {
            summary: summary(&e),
            event_id: e.event_id,
            event_type: e.event_type.into(),
            occurred_at: e.occurred_at,
            run_id: e.run_id,
            data: async_graphql::Json(e.raw),
        }
    }
}

/// A duration as a person reads it: ms below a second, then s, min, h.
/// Rounded before the unit is chosen, so 59,960 ms reads "1.0 min".
fn readable_duration(ms: i32) -> String {
    let ms = f64::from(ms);
    let seconds = (ms / 100.0).round() / 10.0;
    let minutes = (ms / 6_000.0).round() / 10.0;
    match ms {
        _ if ms < 1_000.0 => format!("{ms} ms"),
        _ if seconds < 60.0 => format!("{seconds:.1} s"),
        _ if minutes < 60.0 => format!("{minutes:.1} min"),
        _ => format!("{:.1} h", ms / 3_600_000.0),
    }
}

/// The producer's exact decimal without trailing zeros, keeping cents:
/// `0.129816000` → `0.129816`, `2.5` → `2.50`.
fn readable_cost(decimal: &str) -> String {
    let Some((whole, fraction)) = decimal.split_once('.') else {
        return format!("{decimal}.00");
    };
    let fraction = fraction.trim_end_matches('0');
    format!("{whole}.{fraction:0<2}")
}

/// One line a person reads in a timeline.
fn summary(e: &StoredEvent) -> String {
    let run_id = e.run_id.as_deref().unwrap_or("?");
    let run = e.payload.run.as_ref();
    match e.event_type {
        EventType::SessionStarted => "Session started".into(),
        EventType::SessionEnded => "Session ended".into(),
        EventType::MessageSent => {
            let who = match e.payload.message.as_ref().map(|m| m.role) {
                Some(MessageRole::Agent) => "Agent",
                _ => "User",
            };
            let text = e
                .payload
                .message
                .as_ref()
                .and_then(|m| m.text.as_deref())
                .unwrap_or("");
            let short: String = text.chars().take(120).collect();
            let more = if text.chars().count() > 120 {
                "…"
            } else {
                ""
            };
            format!("{who}: {short}{more}")
        }
        EventType::RunStarted => match run.and_then(|r| r.model.as_deref()) {
            Some(model) => format!("Run {run_id} started on {model}"),
            None => format!("Run {run_id} started"),
        },
        EventType::RunFinished => {
            let status = match run.and_then(|r| r.status) {
                Some(RunStatus::Failed) => {
                    let category = run
                        .and_then(|r| r.error_category)
                        .unwrap_or(ErrorCategory::Other);
                    format!("failed ({})", format!("{category:?}").to_lowercase())
                }
                Some(RunStatus::Cancelled) => "was cancelled".into(),
                _ => "succeeded".into(),
            };
            let mut line = format!("Run {run_id} {status}");
            if let Some(ms) = run.and_then(|r| r.duration_ms) {
                line.push_str(&format!(" in {}", readable_duration(ms)));
            }
            if let Some(cost) = run.and_then(|r| r.cost_usd.as_deref()) {
                line.push_str(&format!(", ${}", readable_cost(cost)));
            }
            line
        }
        EventType::SessionHandoff => match e.payload.handoff.as_ref().map(|h| h.target) {
            Some(HandoffTarget::Local) => "Handed off to the user's machine".into(),
            _ => "Handed off elsewhere".into(),
        },
        EventType::ModelCall => model_call(e),
        EventType::ToolCall => tool_call(e),
        EventType::CodeChange => {
            let Some(c) = e.payload.code.as_ref() else {
                return "Code changed".into();
            };
            let n = |v: Option<i32>| v.unwrap_or(0);
            let mut parts = vec![format!(
                "+{} −{} lines",
                n(c.lines_added),
                n(c.lines_removed)
            )];
            if n(c.commits) > 0 {
                parts.push(format!("{} commit(s)", n(c.commits)));
            }
            if n(c.pull_requests) > 0 {
                parts.push(format!("{} pull request(s)", n(c.pull_requests)));
            }
            format!("Code: {}", parts.join(", "))
        }
    }
}

fn model_call(e: &StoredEvent) -> String {
    let Some(c) = e.payload.model_call.as_ref() else {
        return "Model call".into();
    };
    if !c.counts() {
        let error = c.error.as_deref().unwrap_or("no error");
        return format!(
            "{} request attempt failed: {}",
            c.model,
            error.chars().take(120).collect::<String>()
        );
    }
    let n = |v: Option<i32>| v.unwrap_or(0);
    let mut line = format!(
        "{} call: {} in, {} out, {} cache read, {} cache written",
        c.model,
        n(c.input_tokens),
        n(c.output_tokens),
        n(c.cache_read_tokens),
        n(c.cache_creation_tokens)
    );
    if let Some(cost) = c.cost_usd.as_deref() {
        line.push_str(&format!(", ${}", readable_cost(cost)));
    }
    if let Some(error) = c.error.as_deref() {
        line.push_str(&format!(
            "; failed: {}",
            error.chars().take(120).collect::<String>()
        ));
    }
    line
}

fn tool_call(e: &StoredEvent) -> String {
    let Some(t) = e.payload.tool.as_ref() else {
        return "Tool call".into();
    };
    let outcome = match (t.decision, t.success) {
        (Some(ToolDecision::Rejected), _) => "rejected".to_string(),
        (_, Some(true)) => "succeeded".into(),
        (_, Some(false)) => "failed".into(),
        (_, None) => "not run".into(),
    };
    let mut line = format!("Tool {} {outcome}", t.name);
    if let Some(ms) = t.duration_ms {
        line.push_str(&format!(" in {}", readable_duration(ms)));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::{readable_cost, readable_duration};

    #[test]
    fn costs_keep_every_significant_digit_and_cents() {
        assert_eq!(readable_cost("0.129816000"), "0.129816");
        assert_eq!(readable_cost("2.5"), "2.50");
        assert_eq!(readable_cost("3"), "3.00");
        assert_eq!(readable_cost("0.000001"), "0.000001");
        assert_eq!(readable_cost("10.000"), "10.00");
    }

    #[test]
    fn durations_read_in_the_unit_that_fits() {
        assert_eq!(readable_duration(850), "850 ms");
        assert_eq!(readable_duration(66_800), "1.1 min");
        assert_eq!(readable_duration(12_300), "12.3 s");
        assert_eq!(readable_duration(5_400_000), "1.5 h");
        assert_eq!(readable_duration(59_960), "1.0 min");
        assert_eq!(readable_duration(3_597_000), "1.0 h");
    }
}

#[derive(SimpleObject)]
pub struct TimelineEdge {
    pub cursor: String,
    pub node: TimelineEvent,
}

/// A page of a session's timeline.
#[derive(SimpleObject)]
pub struct TimelineConnection {
    pub edges: Vec<TimelineEdge>,
    pub page_info: PageInfo,
}

/// The position a cursor of this list holds: an event's time and id.
pub fn position(after: Option<String>) -> Result<Option<(DateTime<Utc>, Uuid)>, Error> {
    let Some(after) = after else {
        return Ok(None);
    };
    let value = decode_cursor(&after)?;
    let bad = || Error::BadUserInput("after is not a cursor of this session's events".into());
    let at = value["at"]
        .as_str()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .ok_or_else(bad)?;
    let id = value["id"]
        .as_str()
        .and_then(|i| Uuid::parse_str(i).ok())
        .ok_or_else(bad)?;
    Ok(Some((at.with_timezone(&Utc), id)))
}

/// A page of at most `first` of `events` (one more was read, to tell
/// whether there is a next page).
pub fn connection(mut events: Vec<StoredEvent>, first: i64) -> TimelineConnection {
    let more = events.len() as i64 > first;
    events.truncate(usize::try_from(first).unwrap_or(0));
    let cursor = |e: &StoredEvent| {
        encode_cursor(&serde_json::json!({
            "at": e.occurred_at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            "id": e.event_id,
        }))
    };
    let end_cursor = events.last().map(cursor);
    TimelineConnection {
        edges: events
            .into_iter()
            .map(|e| TimelineEdge {
                cursor: cursor(&e),
                node: TimelineEvent::from(e),
            })
            .collect(),
        page_info: PageInfo {
            has_next_page: more,
            end_cursor,
        },
    }
}
