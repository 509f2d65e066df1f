//! Sessions in an order other than the default walk (latest activity
//! first): by a figure of the session, either way, keyset-paginated on
//! (figure, id).
//!
//! Unlike the default walk these pages are not pinned to the walk's start:
//! a live session whose figure grows between two pages can move past the
//! cursor and show again, or not at all, on a later page. A client that
//! pages a figure that changes shows each id once.

use chrono::{DateTime, Utc};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::session::{push_filter, SessionFilter, SessionRow, COLUMNS};
use super::sql::{Bind, Sql};

/// What a list of sessions is ordered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SortField {
    LastActivity,
    Started,
    Cost,
    Runs,
    FailedRuns,
    Messages,
    ActiveTime,
}

impl SortField {
    pub const ALL: [SortField; 7] = [
        SortField::LastActivity,
        SortField::Started,
        SortField::Cost,
        SortField::Runs,
        SortField::FailedRuns,
        SortField::Messages,
        SortField::ActiveTime,
    ];

    /// The name a cursor carries.
    pub fn name(self) -> &'static str {
        match self {
            SortField::LastActivity => "LAST_ACTIVITY",
            SortField::Started => "STARTED",
            SortField::Cost => "COST",
            SortField::Runs => "RUNS",
            SortField::FailedRuns => "FAILED_RUNS",
            SortField::Messages => "MESSAGES",
            SortField::ActiveTime => "ACTIVE_TIME",
        }
    }

    pub fn from_name(name: &str) -> Option<SortField> {
        SortField::ALL.into_iter().find(|f| f.name() == name)
    }

    fn column(self) -> &'static str {
        match self {
            SortField::LastActivity => "s.last_event_at",
            SortField::Started => "s.started_at",
            SortField::Cost => "s.cost_usd",
            SortField::Runs => "s.run_count",
            SortField::FailedRuns => "s.failed_runs",
            SortField::Messages => "s.message_count",
            SortField::ActiveTime => "s.active_time_ms",
        }
    }

    /// The row's value of the figure, as a cursor carries it.
    pub fn value_of(self, row: &SessionRow) -> SortValue {
        match self {
            SortField::LastActivity => SortValue::Time(row.last_event_at),
            SortField::Started => SortValue::Time(row.started_at),
            SortField::Cost => SortValue::Decimal(row.cost_usd),
            SortField::Runs => SortValue::Int(row.run_count.into()),
            SortField::FailedRuns => SortValue::Int(row.failed_runs.into()),
            SortField::Messages => SortValue::Int(row.message_count.into()),
            SortField::ActiveTime => SortValue::Int(row.active_time_ms),
        }
    }

    /// A cursor's value read back: `None` when it is not of this figure's type.
    pub fn parse(self, text: &str) -> Option<SortValue> {
        match self {
            SortField::LastActivity | SortField::Started => DateTime::parse_from_rfc3339(text)
                .ok()
                .map(|t| SortValue::Time(t.with_timezone(&Utc))),
            SortField::Cost => text.parse().ok().map(SortValue::Decimal),
            _ => text.parse().ok().map(SortValue::Int),
        }
    }
}

/// A session's value of the figure a list is ordered by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SortValue {
    Time(DateTime<Utc>),
    Decimal(Decimal),
    Int(i64),
}

impl SortValue {
    pub fn to_text(&self) -> String {
        match self {
            SortValue::Time(t) => t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            SortValue::Decimal(d) => d.normalize().to_string(),
            SortValue::Int(i) => i.to_string(),
        }
    }

    fn push(&self, sql: &mut Sql) {
        match self {
            SortValue::Time(t) => {
                sql.bind(Bind::Time(*t));
            }
            SortValue::Decimal(d) => {
                sql.push("CAST(")
                    .bind(Bind::Text(d.to_string()))
                    .push(" AS numeric)");
            }
            SortValue::Int(i) => {
                sql.bind(Bind::Int(*i));
            }
        }
    }
}

/// An order: a figure and a direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Order {
    pub field: SortField,
    pub descending: bool,
}

impl Order {
    /// Latest activity first: the default walk, pinned to its start.
    pub const DEFAULT: Order = Order {
        field: SortField::LastActivity,
        descending: true,
    };
}

/// Where a page of an ordered list starts: after this (value, id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SortedCursor {
    pub value: SortValue,
    pub session_id: String,
}

/// Up to `limit` sessions in `order`, after `after`; ties by id, the same way.
pub async fn page(
    conn: &mut AsyncPgConnection,
    org: Uuid,
    filter: &SessionFilter,
    order: Order,
    after: Option<&SortedCursor>,
    limit: i64,
) -> diesel::QueryResult<Vec<SessionRow>> {
    let column = order.field.column();
    let (dir, cmp) = if order.descending {
        ("DESC", "<")
    } else {
        ("ASC", ">")
    };
    let mut sql = Sql::new(&format!(
        "SELECT {COLUMNS}, s.last_event_at AS key_at FROM sessions s WHERE"
    ));
    push_filter(&mut sql, org, filter);
    if let Some(c) = after {
        sql.push(&format!(" AND ({column}, s.session_id) {cmp} ("));
        c.value.push(&mut sql);
        sql.push(", ")
            .bind(Bind::Text(c.session_id.clone()))
            .push(")");
    }
    sql.push(&format!(
        " ORDER BY {column} {dir}, s.session_id {dir} LIMIT "
    ))
    .bind(Bind::Int(limit));
    sql.query().load(conn).await
}
