//! The agents' own OpenTelemetry read as agentmon events (SPEC section 11):
//! OTLP logs of Claude Code, Codex and Gemini CLI, Claude Code's code metrics, and
//! GenAI semantic-convention spans. Pure: the receiver decodes, this maps,
//! ingest stores. Each event id is derived from the record it comes from,
//! so an export sent twice stores nothing new.

pub mod attrs;
mod claude;
mod codex;
pub mod count;
pub mod envelope;
mod failure;
mod gemini;
mod genai;
mod logs;
mod metrics;

pub use envelope::Target;
pub use genai::map as traces;
pub use logs::map as logs;
pub use metrics::map as metrics;

use agentmon_core::event::EventInput;

/// What a batch of records became.
#[derive(Debug, Default)]
pub struct Mapped {
    pub events: Vec<EventInput>,
    /// For each event, the record (log record, span, data point) it comes
    /// from, numbered in the export: a record of two events that are both
    /// refused is one record refused, as `partial_success` counts them.
    pub records: Vec<u32>,
    /// Records that could not be placed in a session, and why (the first
    /// reason of each kind).
    pub rejected: u64,
    pub reasons: Vec<&'static str>,
    /// Records that carry nothing agentmon counts (startup events, unknown
    /// names, other spans): not an error.
    pub ignored: u64,
    /// Events (indices into `events`) of a source that names no run on
    /// them (Codex CLI): each joins the run its session started latest at
    /// or before it, which may be in an earlier export
    /// (`agentmon_core::ingest::join_current_runs`).
    pub joining: Vec<usize>,
}

impl Mapped {
    /// Within what an event may hold: names cut to 256 characters, texts
    /// to what ingest takes, NUL characters (which cannot be stored) gone.
    fn tidy(mut self) -> Mapped {
        let text = |t: &mut Option<String>, max: usize| {
            if let Some(s) = t {
                *s = s.chars().filter(|c| *c != '\0').take(max).collect();
            }
        };
        for e in &mut self.events {
            if let Some(c) = &mut e.model_call {
                c.model = envelope::clip(&c.model);
                text(&mut c.error, 10_000);
            }
            if let Some(t) = &mut e.tool {
                t.name = envelope::clip(&t.name);
                text(&mut t.error, 10_000);
            }
            if let Some(m) = &mut e.message {
                text(&mut m.text, 100_000);
            }
            if let Some(r) = &mut e.run {
                r.model = r.model.as_deref().map(envelope::clip);
                text(&mut r.error_message, 10_000);
            }
        }
        // A session's attributes (the resource's) are the same on every
        // record: stored once per session and export, on its latest event
        // (the fold keeps each attribute as the latest event set it).
        let mut latest: std::collections::HashMap<
            (&str, &str),
            (chrono::DateTime<chrono::Utc>, uuid::Uuid),
        > = std::collections::HashMap::new();
        for e in &self.events {
            let key = (e.org.as_str(), e.session_id.as_str());
            let stamp = (e.occurred_at, e.event_id);
            let slot = latest.entry(key).or_insert(stamp);
            *slot = (*slot).max(stamp);
        }
        let keep: std::collections::HashSet<uuid::Uuid> =
            latest.into_values().map(|(_, id)| id).collect();
        for e in &mut self.events {
            if !keep.contains(&e.event_id) {
                e.attributes = None;
            }
        }
        self
    }

    /// Takes the events of one record.
    fn add(&mut self, events: impl IntoIterator<Item = EventInput>) {
        let record = self.records.last().map_or(0, |r| r + 1);
        for event in events {
            self.events.push(event);
            self.records.push(record);
        }
    }

    fn unplaced(&mut self, why: &'static str) {
        self.rejected += 1;
        if !self.reasons.contains(&why) {
            self.reasons.push(why);
        }
    }
}
