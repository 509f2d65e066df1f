//! Pagination, the same for every list: how many items a page may hold,
//! `PageInfo`, and opaque cursors (URL-safe base64 of a JSON value) that a
//! list decodes back into its own keyset position.

use agentmon_core::Error;
use async_graphql::SimpleObject;
use base64::Engine;

/// Most items any page may hold.
pub const MAX_PAGE: i64 = 200;

/// The kinds of lists, by the smallest page they accept.
#[derive(Debug, Clone, Copy)]
pub enum List {
    /// Connections with a `totalCount` (sessions, users): `first: 0` asks
    /// for the count alone.
    Counted,
    /// Lists read for their items (audit log, dead letters, jobs).
    Items,
}

/// The page size `first` asks for (50 when absent), within the list's
/// bounds.
pub fn page_size(list: List, first: Option<i32>) -> Result<i64, Error> {
    let first = i64::from(first.unwrap_or(50));
    let min = match list {
        List::Counted => 0,
        List::Items => 1,
    };
    if !(min..=MAX_PAGE).contains(&first) {
        return Err(Error::BadUserInput(format!(
            "first must be between {min} and {MAX_PAGE}; got {first}"
        )));
    }
    Ok(first)
}

#[derive(SimpleObject, Debug, Clone)]
pub struct PageInfo {
    pub has_next_page: bool,
    pub end_cursor: Option<String>,
}

/// A cursor holding `value`.
pub fn encode_cursor(value: &serde_json::Value) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(value.to_string())
}

/// The value a cursor of [`encode_cursor`] holds; `BAD_USER_INPUT` for
/// anything else.
pub fn decode_cursor(cursor: &str) -> Result<serde_json::Value, Error> {
    let bad = || Error::BadUserInput("after is not a cursor returned by this list".into());
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .map_err(|_| bad())?;
    serde_json::from_slice(&bytes).map_err(|_| bad())
}

/// What a list without a page size (a team's members, an org's teams, a
/// session's runs and events) counts for in a query's complexity: each of
/// its items as many times, so that nesting lists in lists reaches the
/// complexity limit before it reaches the database.
pub const LISTED: usize = 20;
