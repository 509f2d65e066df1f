//! What a rule decides, apart from storage: the calendar window a moment
//! falls in (in the org's time zone), the state a value puts a rule in, and
//! which state changes are notified — each at most once per rule, window
//! and state (SPEC section 12).

use chrono::{DateTime, Datelike, Days, Months, NaiveDate, NaiveTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    Hour,
    Day,
    Week,
    Month,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    Above,
    Below,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum State {
    Ok,
    Warning,
    Firing,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Ok => "OK",
            State::Warning => "WARNING",
            State::Firing => "FIRING",
        }
    }
}

/// A window of the org's calendar: its first moment and the first moment
/// after it, and the days it covers (for the daily rollups).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
}

/// The first moment of `day` in `tz` (the earliest, across a DST gap).
fn midnight(day: NaiveDate, tz: Tz) -> DateTime<Utc> {
    let naive = day.and_time(NaiveTime::MIN);
    tz.from_local_datetime(&naive)
        .earliest()
        .or_else(|| {
            tz.from_local_datetime(&(naive + chrono::Duration::hours(1)))
                .earliest()
        })
        .map_or_else(|| naive.and_utc(), |t| t.with_timezone(&Utc))
}

impl Window {
    /// The window of `at` in time zone `tz`.
    pub fn span(self, at: DateTime<Utc>, tz: Tz) -> Span {
        let local = at.with_timezone(&tz);
        let day = local.date_naive();
        match self {
            Window::Hour => {
                let start = (at - chrono::Duration::minutes(i64::from(local.minute())))
                    .with_second(0)
                    .and_then(|t| t.with_nanosecond(0))
                    .unwrap_or(at);
                Span {
                    start,
                    end: start + chrono::Duration::hours(1),
                    first_day: day,
                    last_day: day,
                }
            }
            Window::Day => Span {
                start: midnight(day, tz),
                end: midnight(day + Days::new(1), tz),
                first_day: day,
                last_day: day,
            },
            Window::Week => {
                let monday = day - Days::new(u64::from(day.weekday().num_days_from_monday()));
                let sunday = monday + Days::new(6);
                Span {
                    start: midnight(monday, tz),
                    end: midnight(sunday + Days::new(1), tz),
                    first_day: monday,
                    last_day: sunday,
                }
            }
            Window::Month => {
                let first = day.with_day(1).unwrap_or(day);
                let next = first + Months::new(1);
                Span {
                    start: midnight(first, tz),
                    end: midnight(next, tz),
                    first_day: first,
                    last_day: next - Days::new(1),
                }
            }
        }
    }
}

/// The state `value` puts a rule in: FIRING past the threshold, WARNING
/// past `warn_at × threshold` (budgets), else OK. Past means above for
/// `Above` and below for `Below` (a success rate under 80 %); the line
/// itself counts as crossed. No value (nothing to measure) is OK.
pub fn state_of(
    value: Option<f64>,
    threshold: f64,
    warn_at: Option<f64>,
    comparison: Comparison,
) -> State {
    let Some(v) = value else { return State::Ok };
    let past = |line: f64| match comparison {
        Comparison::Above => v >= line,
        Comparison::Below => v <= line,
    };
    if past(threshold) {
        State::Firing
    } else if warn_at.is_some_and(|w| past(threshold * w)) {
        State::Warning
    } else {
        State::Ok
    }
}

/// A change to notify: the state it reached in the window starting then.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Change {
    pub window_start: DateTime<Utc>,
    pub state: State,
}

/// The changes to notify when a rule that was `before` (its window and
/// state, none before its first evaluation) is now `state` in the window
/// starting at `window_start`. Rising to WARNING or FIRING is notified;
/// leaving FIRING for OK is notified as resolved — also when a new window
/// begins, which resolves the old one. Storage keeps each (rule, window,
/// state) once, so a change evaluated twice is sent once.
pub fn changes(
    before: Option<(DateTime<Utc>, State)>,
    window_start: DateTime<Utc>,
    state: State,
) -> Vec<Change> {
    let mut out = Vec::new();
    let prior = match before {
        Some((start, previous)) if start == window_start => previous,
        Some((start, State::Firing)) => {
            out.push(Change {
                window_start: start,
                state: State::Ok,
            });
            State::Ok
        }
        _ => State::Ok,
    };
    if state > prior || (prior == State::Firing && state == State::Ok) {
        out.push(Change {
            window_start,
            state,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn windows_follow_the_orgs_calendar() {
        let ny: Tz = "America/New_York".parse().unwrap();
        // 03:00 UTC on 1 Nov is 23:00 on 31 Oct in New York (EDT).
        let day = Window::Day.span(at("2026-11-01T03:00:00Z"), ny);
        assert_eq!(day.first_day.to_string(), "2026-10-31");
        assert_eq!(day.start, at("2026-10-31T04:00:00Z"));
        // The day DST ends is 25 hours long.
        let long = Window::Day.span(at("2026-11-01T12:00:00Z"), ny);
        assert_eq!(long.end - long.start, chrono::Duration::hours(25));
        let week = Window::Week.span(at("2026-11-04T12:00:00Z"), ny);
        assert_eq!(
            (week.first_day.to_string(), week.last_day.to_string()),
            ("2026-11-02".into(), "2026-11-08".into())
        );
        let month = Window::Month.span(at("2026-12-31T23:30:00Z"), ny);
        assert_eq!(month.first_day.to_string(), "2026-12-01");
        assert_eq!(month.end, at("2027-01-01T05:00:00Z"));
        let kolkata: Tz = "Asia/Kolkata".parse().unwrap();
        let hour = Window::Hour.span(at("2026-11-01T03:40:00Z"), kolkata);
        // 09:10 in Kolkata: its hour began at 09:00 there, 03:30 UTC.
        assert_eq!(hour.start, at("2026-11-01T03:30:00Z"));
    }

    #[test]
    fn a_budget_warns_then_fires() {
        let s = |v: f64| state_of(Some(v), 100.0, Some(0.85), Comparison::Above);
        assert_eq!(
            [s(10.0), s(85.0), s(99.9), s(100.0)],
            [State::Ok, State::Warning, State::Warning, State::Firing]
        );
        let rate = |v: f64| state_of(Some(v), 0.8, None, Comparison::Below);
        assert_eq!(
            [rate(0.9), rate(0.8), rate(0.5)],
            [State::Ok, State::Firing, State::Firing]
        );
        assert_eq!(state_of(None, 1.0, None, Comparison::Below), State::Ok);
    }

    #[test]
    fn each_change_is_notified_once_and_a_new_window_resolves() {
        let w1 = at("2026-12-01T05:00:00Z");
        let w2 = at("2027-01-01T05:00:00Z");
        let c = |w, s| Change {
            window_start: w,
            state: s,
        };
        assert_eq!(changes(None, w1, State::Ok), []);
        assert_eq!(
            changes(Some((w1, State::Ok)), w1, State::Warning),
            [c(w1, State::Warning)]
        );
        assert_eq!(changes(Some((w1, State::Warning)), w1, State::Warning), []);
        assert_eq!(
            changes(Some((w1, State::Warning)), w1, State::Firing),
            [c(w1, State::Firing)]
        );
        assert_eq!(changes(Some((w1, State::Firing)), w1, State::Firing), []);
        assert_eq!(
            changes(Some((w1, State::Firing)), w1, State::Ok),
            [c(w1, State::Ok)]
        );
        // A new window resolves the old one, then counts from OK.
        assert_eq!(
            changes(Some((w1, State::Firing)), w2, State::Ok),
            [c(w1, State::Ok)]
        );
        assert_eq!(
            changes(Some((w1, State::Firing)), w2, State::Firing),
            [c(w1, State::Ok), c(w2, State::Firing)]
        );
        assert_eq!(changes(Some((w1, State::Warning)), w2, State::Ok), []);
    }
}
