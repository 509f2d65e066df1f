//! A range's per-user rows read in pieces: the whole weeks (Monday to
//! Sunday) inside it from `user_weekly`, the days at its ends from
//! `user_daily`. Ranking and counting users over 90 days reads about a
//! fifth of the rows of reading every day.

use chrono::{Datelike, Days, NaiveDate};

/// The first and last Monday of the whole weeks inside `from..=to`.
fn whole_weeks(from: NaiveDate, to: NaiveDate) -> Option<(NaiveDate, NaiveDate)> {
    let first = from + Days::new(u64::from((7 - from.weekday().num_days_from_monday()) % 7));
    let last =
        to - Days::new(u64::from((to.weekday().num_days_from_monday() + 1) % 7)) - Days::new(6);
    (first <= last).then_some((first, last))
}

/// SQL rows `(user_id, event_count, runs, cost_usd)` of org `$3` over the
/// days `$1..=$2` (bound by the caller), whose sums per user are the
/// user's sums over the range; `filter` (SQL over `user_id`, or empty)
/// narrows them to some users.
pub(super) fn user_pieces(from: NaiveDate, to: NaiveDate, filter: &str) -> String {
    pieces(
        "user_id, event_count, runs::bigint AS runs, cost_usd",
        ("user_weekly", "user_daily"),
        from,
        to,
        filter,
    )
}

/// SQL rows `(bucket, count)` of org `$3`'s duration sketches over the days
/// `$1..=$2`, whose sums per bucket are the range's sketch.
pub(super) fn org_bucket_pieces(from: NaiveDate, to: NaiveDate) -> String {
    pieces(
        "bucket, count",
        ("org_weekly_durations", "org_daily_durations"),
        from,
        to,
        "",
    )
}

/// `columns` of the weekly table's whole weeks inside the range and of the
/// daily table's days outside them.
fn pieces(
    columns: &str,
    (weekly, daily): (&str, &str),
    from: NaiveDate,
    to: NaiveDate,
    filter: &str,
) -> String {
    let and = if filter.is_empty() {
        String::new()
    } else {
        format!(" AND {filter}")
    };
    match whole_weeks(from, to) {
        None => format!(
            "SELECT {columns} FROM {daily} WHERE org_id = $3 AND day BETWEEN $1 AND $2{and}"
        ),
        Some((first, last)) => {
            let before = first - Days::new(1);
            let after = last + Days::new(7);
            format!(
                "SELECT {columns} FROM {weekly} \
                 WHERE org_id = $3 AND week BETWEEN '{first}' AND '{last}'{and} \
                 UNION ALL \
                 SELECT {columns} FROM {daily} WHERE org_id = $3 \
                 AND (day BETWEEN $1 AND '{before}' OR day BETWEEN '{after}' AND $2){and}"
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn whole_weeks_are_mondays_to_sundays_inside_the_range() {
        // 2026-09-06 is a Sunday, 2026-12-04 a Friday.
        assert_eq!(
            whole_weeks(d("2026-09-06"), d("2026-12-04")),
            Some((d("2026-09-07"), d("2026-11-23")))
        );
        // Exactly one week, Monday to Sunday.
        assert_eq!(
            whole_weeks(d("2026-11-30"), d("2026-12-06")),
            Some((d("2026-11-30"), d("2026-11-30")))
        );
        // Tuesday to next Monday holds no whole week.
        assert_eq!(whole_weeks(d("2026-12-01"), d("2026-12-07")), None);
        assert_eq!(whole_weeks(d("2026-12-04"), d("2026-12-04")), None);
    }
}
