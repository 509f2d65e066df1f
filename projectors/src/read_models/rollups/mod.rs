//! Daily rollups per org/day and per org/user/day in the org's time zone,
//! with duration sketches: everything `Kpis` needs, answered from at most
//! one row per day (plus sketch buckets) whatever the number of events.
//!
//! An additive read model (see [`crate::additive`]): rollups change only by
//! the difference between what a session contributes now and what it
//! contributed at its last projection (kept in `rollup_contributions`).

mod contribution;
mod deltas;

use crate::additive::{AdditiveModel, Tables};
use crate::fold::SessionFold;

pub use contribution::Contribution;
pub use deltas::Deltas;

pub struct Rollups;

impl AdditiveModel for Rollups {
    const NAME: &'static str = "rollups";
    const TABLES: Tables = Tables {
        contributions: "rollup_contributions",
        days: &[
            "org_daily",
            "user_daily",
            "org_daily_durations",
            "user_daily_durations",
        ],
        trim: "c.contribution || jsonb_build_object(
                 'days', (SELECT coalesce(jsonb_object_agg(k, v), '{}'::jsonb)
                          FROM jsonb_each(c.contribution->'days') AS d(k, v) WHERE k >= $3),
                 'durations', (SELECT coalesce(jsonb_object_agg(k, v), '{}'::jsonb)
                               FROM jsonb_each(c.contribution->'durations') AS d(k, v) WHERE k >= $3))",
        weeks: &[
            ("user_weekly", deltas::REFILL_USER_WEEK),
            ("org_weekly_durations", deltas::REFILL_ORG_WEEK_DURATIONS),
        ],
    };

    type Context = ();
    type Contribution = Contribution;
    type Deltas = Deltas;

    fn contribution(&self, session: &SessionFold, _: &()) -> Contribution {
        Contribution::of(session)
    }
}
