//! What one session contributes to the breakdowns: run figures per
//! (dimension, day, value), and the session itself on its start day.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::fold::{RunFigures, SessionFold, NO_MODEL};

/// The value of a run without a model, or a session without the attribute.
pub const NONE: &str = NO_MODEL;

/// Additive figures of one (dimension, day, value). A contribution stored
/// before a figure existed reads it as 0.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Figures {
    pub sessions: i64,
    pub runs: i64,
    pub succeeded: i64,
    pub failed: i64,
    pub cancelled: i64,
    pub cost_usd: Decimal,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub model_calls: i64,
    pub cache_read_tokens: i64,
    pub cache_creation_tokens: i64,
    pub estimated_cost_usd: Decimal,
    pub lines_added: i64,
    pub lines_removed: i64,
    pub commits: i64,
    pub pull_requests: i64,
}

impl Figures {
    pub const COLUMNS: [&'static str; 16] = [
        "sessions",
        "runs",
        "succeeded",
        "failed",
        "cancelled",
        "cost_usd",
        "input_tokens",
        "output_tokens",
        "model_calls",
        "cache_read_tokens",
        "cache_creation_tokens",
        "estimated_cost_usd",
        "lines_added",
        "lines_removed",
        "commits",
        "pull_requests",
    ];

    pub fn add(&mut self, other: &Figures, sign: i64) {
        self.sessions += sign * other.sessions;
        self.runs += sign * other.runs;
        self.succeeded += sign * other.succeeded;
        self.failed += sign * other.failed;
        self.cancelled += sign * other.cancelled;
        self.cost_usd += Decimal::from(sign) * other.cost_usd;
        self.input_tokens += sign * other.input_tokens;
        self.output_tokens += sign * other.output_tokens;
        self.model_calls += sign * other.model_calls;
        self.cache_read_tokens += sign * other.cache_read_tokens;
        self.cache_creation_tokens += sign * other.cache_creation_tokens;
        self.estimated_cost_usd += Decimal::from(sign) * other.estimated_cost_usd;
        self.lines_added += sign * other.lines_added;
        self.lines_removed += sign * other.lines_removed;
        self.commits += sign * other.commits;
        self.pull_requests += sign * other.pull_requests;
    }

    pub fn is_zero(&self) -> bool {
        *self == Figures::default()
    }

    /// Whether any figure goes down: a row it is added to may fall to zero.
    pub fn has_negative(&self) -> bool {
        [
            self.sessions,
            self.runs,
            self.succeeded,
            self.failed,
            self.cancelled,
            self.input_tokens,
            self.output_tokens,
            self.model_calls,
            self.cache_read_tokens,
            self.cache_creation_tokens,
            self.lines_added,
            self.lines_removed,
            self.commits,
            self.pull_requests,
        ]
        .iter()
        .any(|n| *n < 0)
            || self.cost_usd.is_sign_negative()
            || self.estimated_cost_usd.is_sign_negative()
    }
}

/// (dimension, day, value): `model` or `attr:<key>`.
pub type Key = (String, NaiveDate, String);

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Contribution {
    /// In key order (JSON objects cannot have tuple keys).
    pub entries: Vec<(Key, Figures)>,
}

impl Contribution {
    /// The session's share, for the model and agent dimensions and each of
    /// `keys`.
    pub fn of(session: &SessionFold, keys: &[String]) -> Contribution {
        let mut map: BTreeMap<Key, Figures> = BTreeMap::new();
        let attribute = |key: &str| match session.attributes.get(key) {
            None | Some(serde_json::Value::Null) => NONE.to_string(),
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
        };
        // The producing agent is always broken down, like the model.
        let mut dimensions: Vec<(String, Option<String>)> = vec![
            ("model".into(), None),
            ("agent".into(), Some(attribute("agent"))),
        ];
        dimensions.extend(
            keys.iter()
                .map(|k| (format!("attr:{k}"), Some(attribute(k)))),
        );
        for (dimension, value) in &dimensions {
            // The session counts once per value on its start day.
            let values: Vec<String> = match value {
                Some(v) => vec![v.clone()],
                None => session.totals.models.keys().cloned().collect(),
            };
            for v in values {
                map.entry((dimension.clone(), session.day, v))
                    .or_default()
                    .sessions += 1;
            }
            for (day, models) in &session.totals.days {
                let by_value: Vec<(String, RunFigures)> = match value {
                    Some(v) => vec![(v.clone(), RunFigures::sum(models.values()))],
                    None => models.iter().map(|(m, f)| (m.clone(), *f)).collect(),
                };
                for (v, r) in by_value {
                    let f = map.entry((dimension.clone(), *day, v)).or_default();
                    f.runs += r.runs;
                    f.succeeded += r.succeeded;
                    f.failed += r.failed;
                    f.cancelled += r.cancelled;
                    f.cost_usd += r.cost_usd;
                    f.input_tokens += r.input_tokens;
                    f.output_tokens += r.output_tokens;
                    f.model_calls += r.model_calls;
                    f.cache_read_tokens += r.cache_read_tokens;
                    f.cache_creation_tokens += r.cache_creation_tokens;
                    f.estimated_cost_usd += r.estimated_cost_usd;
                }
            }
            // Code belongs to the session's agent and attributes, not to a model.
            if let Some(v) = value {
                for (day, r) in &session.totals.activity {
                    if r.lines_added == 0
                        && r.lines_removed == 0
                        && r.commits == 0
                        && r.pull_requests == 0
                    {
                        continue;
                    }
                    let f = map.entry((dimension.clone(), *day, v.clone())).or_default();
                    f.lines_added += r.lines_added;
                    f.lines_removed += r.lines_removed;
                    f.commits += r.commits;
                    f.pull_requests += r.pull_requests;
                }
            }
        }
        Contribution {
            entries: map.into_iter().collect(),
        }
    }
}

impl crate::additive::Contribution for Contribution {
    /// Without the days before `cutoff` (an org's first kept day).
    fn since(mut self, cutoff: Option<NaiveDate>) -> Contribution {
        if let Some(cutoff) = cutoff {
            self.entries.retain(|((_, day, _), _)| *day >= cutoff);
        }
        self
    }
}
