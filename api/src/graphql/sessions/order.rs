//! The order of a sessions list as GraphQL takes it, and the cursors of
//! ordered pages (which name their order, so a cursor of one order is not
//! taken by another).

use agentmon_core::storage::models::session_order::{Order, SortField, SortedCursor};
use agentmon_core::Error;
use async_graphql::{Enum, InputObject};

use crate::graphql::paging::{decode_cursor, encode_cursor};

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(name = "SessionOrderField", remote = "SortField")]
pub enum SessionOrderField {
    /// The session's last event (the default, newest first).
    LastActivity,
    /// The session's first event.
    Started,
    /// Cost of its runs.
    Cost,
    /// Runs started in it.
    Runs,
    /// Its failed runs.
    FailedRuns,
    /// Its messages.
    Messages,
    /// Its active time.
    ActiveTime,
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Default)]
pub enum OrderDirection {
    Asc,
    #[default]
    Desc,
}

/// How a sessions list is ordered (latest activity first when not
/// given); ties by session id, the same way.
#[derive(InputObject, Debug, Clone, Copy)]
pub struct SessionOrder {
    pub field: SessionOrderField,
    #[graphql(default)]
    pub direction: OrderDirection,
}

impl SessionOrder {
    pub fn order(self) -> Order {
        Order {
            field: self.field.into(),
            descending: self.direction == OrderDirection::Desc,
        }
    }
}

pub fn encode(order: Order, cursor: &SortedCursor) -> String {
    encode_cursor(&serde_json::json!({
        "order": order.field.name(),
        "descending": order.descending,
        "value": cursor.value.to_text(),
        "id": cursor.session_id,
    }))
}

/// A cursor of a page in `order`; one of another order (or of the default
/// walk) is refused with what to do.
pub fn decode(order: Order, cursor: &str) -> Result<SortedCursor, Error> {
    let v = decode_cursor(cursor)?;
    let other = || {
        Error::BadUserInput(
            "after is a cursor of a list in another order: start again without after".into(),
        )
    };
    let field = v["order"].as_str().and_then(SortField::from_name);
    if field != Some(order.field) || v["descending"].as_bool() != Some(order.descending) {
        return Err(other());
    }
    let value = v["value"].as_str().and_then(|t| order.field.parse(t));
    match (value, v["id"].as_str()) {
        (Some(value), Some(id)) => Ok(SortedCursor {
            value,
            session_id: id.to_string(),
        }),
        _ => Err(Error::BadUserInput(
            "after is not a cursor returned by this list".into(),
        )),
    }
}
