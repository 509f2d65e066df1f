//! Tool usage per day and tool: calls, failures, accepted and rejected
//! permission decisions (`org_daily_tools`) and the duration sketch of the
//! calls (`org_daily_tool_durations`). An additive read model (see
//! [`crate::additive`]): each session's share is kept in
//! `tool_contributions` and only the difference is applied.

mod deltas;

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::additive::{AdditiveModel, Tables};
use crate::fold::{SessionFold, ToolFigures};

pub use deltas::Deltas;

pub struct Tools;

/// One session's tool calls per (day, tool).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Contribution {
    /// In key order (JSON objects cannot have tuple keys).
    pub entries: Vec<((NaiveDate, String), ToolFigures)>,
}

impl crate::additive::Contribution for Contribution {
    fn since(mut self, cutoff: Option<NaiveDate>) -> Contribution {
        if let Some(cutoff) = cutoff {
            self.entries.retain(|((day, _), _)| *day >= cutoff);
        }
        self
    }
}

impl AdditiveModel for Tools {
    const NAME: &'static str = "tools";
    const TABLES: Tables = Tables {
        contributions: "tool_contributions",
        days: &["org_daily_tools", "org_daily_tool_durations"],
        // Entries are [[day, tool], figures].
        trim: "jsonb_build_object('entries',
                 (SELECT coalesce(jsonb_agg(e ORDER BY n), '[]'::jsonb)
                  FROM jsonb_array_elements(c.contribution->'entries') WITH ORDINALITY AS x(e, n)
                  WHERE e->0->>0 >= $3))",
        weeks: &[],
    };
    type Context = ();
    type Contribution = Contribution;
    type Deltas = Deltas;

    fn contribution(&self, session: &SessionFold, _: &()) -> Contribution {
        let entries: BTreeMap<(NaiveDate, String), ToolFigures> = session
            .totals
            .tools
            .iter()
            .flat_map(|(day, tools)| {
                tools
                    .iter()
                    .map(|(name, f)| ((*day, name.clone()), f.clone()))
            })
            .collect();
        Contribution {
            entries: entries.into_iter().collect(),
        }
    }
}
