//! Days in an org's time zone: what every per-day figure is keyed by.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

/// The calendar day of `at` in time zone `tz`.
pub fn day_of(at: DateTime<Utc>, tz: Tz) -> NaiveDate {
    at.with_timezone(&tz).date_naive()
}
