//! Date and time ranges of queries, checked before any query runs.

use agentmon_core::Error;
use async_graphql::InputObject;
use chrono::{DateTime, NaiveDate, Utc};

use super::scalars::Date;

/// Longest range a query may ask for, in days.
pub const MAX_DAYS: i64 = 3_660;

/// Whole days, both ends included, in the org's time zone.
#[derive(InputObject, Debug, Clone, Copy)]
pub struct DateRange {
    pub from: Date,
    pub to: Date,
}

impl DateRange {
    pub fn days(&self) -> Result<(NaiveDate, NaiveDate), Error> {
        check_days(self.from.0, self.to.0)
    }
}

/// Whole days `from..=to`, in order and at most [`MAX_DAYS`] of them: the
/// rule of every day range, in queries and exports.
pub fn check_days(from: NaiveDate, to: NaiveDate) -> Result<(NaiveDate, NaiveDate), Error> {
    if from > to {
        return Err(Error::BadUserInput(format!(
            "range.from ({from}) is after range.to ({to})"
        )));
    }
    if (to - from).num_days() >= MAX_DAYS {
        return Err(Error::BadUserInput(format!(
            "a range may span at most {MAX_DAYS} days"
        )));
    }
    Ok((from, to))
}

/// A half-open span of time [from, to).
#[derive(InputObject, Debug, Clone, Copy)]
pub struct TimeRange {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

impl TimeRange {
    pub fn bounds(&self) -> Result<(DateTime<Utc>, DateTime<Utc>), Error> {
        if self.from >= self.to {
            return Err(Error::BadUserInput(
                "range.from must be before range.to".into(),
            ));
        }
        Ok((self.from, self.to))
    }
}
