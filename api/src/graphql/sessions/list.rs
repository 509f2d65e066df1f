//! Lists of sessions: one page of an org's (or a user's) sessions, in the
//! default walk (latest activity first, pinned to the walk's start) or
//! ordered by a figure, and one session by id.

use agentmon_core::auth::policy::{self, Capability};
use agentmon_core::storage::models::org::Org;
use agentmon_core::storage::models::session::{self, Cursor, SessionFilter, SessionRow};
use agentmon_core::storage::models::session_order::{Order, SortedCursor};
use agentmon_core::Error;
use async_graphql::{Context, SimpleObject};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::filter::SessionFilterInput;
use super::object::SessionObject;
use super::order::{self, SessionOrder};
use crate::graphql::access::{authorize, in_org};
use crate::graphql::context::GqlResult;
use crate::graphql::paging::{decode_cursor, encode_cursor, page_size, List, PageInfo};

#[derive(SimpleObject)]
pub struct SessionEdge {
    pub cursor: String,
    pub node: SessionObject,
}

#[derive(SimpleObject)]
pub struct SessionConnection {
    pub edges: Vec<SessionEdge>,
    pub page_info: PageInfo,
    pub total_count: i32,
}

fn encode_session_cursor(c: &Cursor) -> String {
    encode_cursor(&serde_json::json!([
        c.as_of.timestamp_micros(),
        c.key_at.timestamp_micros(),
        c.session_id
    ]))
}

fn decode_session_cursor(cursor: &str) -> Result<Cursor, Error> {
    let v = decode_cursor(cursor)?;
    let time = |i: usize| {
        v[i].as_i64()
            .and_then(DateTime::<Utc>::from_timestamp_micros)
    };
    match (time(0), time(1), v[2].as_str()) {
        (Some(as_of), Some(key_at), Some(id)) => Ok(Cursor {
            as_of,
            key_at,
            session_id: id.to_string(),
        }),
        _ => Err(Error::BadUserInput(
            "after is not a cursor returned by this list".into(),
        )),
    }
}

/// One page of an org's sessions; viewers who may not see other users'
/// sessions see only their own.
pub async fn list_sessions(
    ctx: &Context<'_>,
    org: &Org,
    input: SessionFilterInput,
    first: Option<i32>,
    after: Option<String>,
    order: Option<SessionOrder>,
) -> async_graphql::Result<SessionConnection> {
    let viewer = authorize(ctx, org, Capability::OwnSessions).await?;
    let mut filter = input.to_filter().gql()?;
    if !policy::allows(viewer, Capability::OthersSessions, Some(&org.slug)) {
        match &filter.user_id {
            Some(other) if *other != viewer.sub => {
                policy::check(viewer, Capability::OthersSessions, Some(&org.slug)).gql()?;
            }
            _ => filter.user_id = Some(viewer.sub.clone()),
        }
    }
    let first = page_size(List::Counted, first).gql()?;
    let org_id = org.id;
    if let Some(team) = filter.team {
        let found = in_org!(ctx, org_id, |tx| agentmon_core::storage::models::team::get(
            tx, org_id, team
        )
        .await?)?;
        if found.is_none() {
            return Err(Error::NotFound(format!(
                "org {:?} has no team {team}",
                org.slug
            )))
            .gql();
        }
    }
    let order = order.map_or(Order::DEFAULT, SessionOrder::order);
    let (rows, total, cursor_of) = if order == Order::DEFAULT {
        latest_first(ctx, org_id, &filter, after, first).await?
    } else {
        ordered(ctx, org_id, &filter, order, after, first).await?
    };
    let has_next_page = rows.len() as i64 > first;
    let edges: Vec<SessionEdge> = rows
        .into_iter()
        .take(first as usize)
        .map(|row| SessionEdge {
            cursor: cursor_of(&row),
            node: SessionObject {
                org: org.clone(),
                row,
            },
        })
        .collect();
    Ok(SessionConnection {
        page_info: PageInfo {
            has_next_page,
            end_cursor: edges.last().map(|e| e.cursor.clone()),
        },
        edges,
        total_count: i32::try_from(total).unwrap_or(i32::MAX),
    })
}

/// Rows of one page (one more than asked, to tell whether another
/// follows), the count of the filter, and how to write a row's cursor.
type Page = (
    Vec<SessionRow>,
    i64,
    Box<dyn Fn(&SessionRow) -> String + Send>,
);

/// The default walk, latest activity first, pinned to the walk's start.
async fn latest_first(
    ctx: &Context<'_>,
    org_id: Uuid,
    filter: &SessionFilter,
    after: Option<String>,
    first: i64,
) -> async_graphql::Result<Page> {
    let after = after
        .as_deref()
        .map(decode_session_cursor)
        .transpose()
        .gql()?;
    let (rows, total, as_of) = in_org!(ctx, org_id, |tx| {
        let as_of = match &after {
            Some(c) => c.as_of,
            None => session::now(tx).await?,
        };
        let rows = session::page(tx, org_id, filter, after.as_ref(), as_of, first + 1).await?;
        let total = session::count(tx, org_id, filter).await?;
        (rows, total, as_of)
    })?;
    let cursor_of = move |row: &SessionRow| {
        encode_session_cursor(&Cursor {
            as_of,
            key_at: row.key_at,
            session_id: row.session_id.clone(),
        })
    };
    Ok((rows, total, Box::new(cursor_of)))
}

/// Ordered by a figure of the session, either way.
async fn ordered(
    ctx: &Context<'_>,
    org_id: Uuid,
    filter: &SessionFilter,
    order: Order,
    after: Option<String>,
    first: i64,
) -> async_graphql::Result<Page> {
    let after = after
        .as_deref()
        .map(|c| order::decode(order, c))
        .transpose()
        .gql()?;
    let (rows, total) = in_org!(ctx, org_id, |tx| {
        let rows = agentmon_core::storage::models::session_order::page(
            tx,
            org_id,
            filter,
            order,
            after.as_ref(),
            first + 1,
        )
        .await?;
        let total = session::count(tx, org_id, filter).await?;
        (rows, total)
    })?;
    let cursor_of = move |row: &SessionRow| {
        order::encode(
            order,
            &SortedCursor {
                value: order.field.value_of(row),
                session_id: row.session_id.clone(),
            },
        )
    };
    Ok((rows, total, Box::new(cursor_of)))
}

/// One session, if the viewer may see it: null when it does not exist,
/// FORBIDDEN when it is another user's and the viewer may see only their own.
pub async fn find_session(
    ctx: &Context<'_>,
    org: &Org,
    id: &str,
) -> async_graphql::Result<Option<SessionObject>> {
    let viewer = authorize(ctx, org, Capability::OwnSessions).await?;
    let org_id = org.id;
    let Some(row) = in_org!(ctx, org_id, |tx| session::by_id(tx, org_id, id).await?)? else {
        return Ok(None);
    };
    if row.user_id != viewer.sub {
        policy::check(viewer, Capability::OthersSessions, Some(&org.slug)).gql()?;
    }
    Ok(Some(SessionObject {
        org: org.clone(),
        row,
    }))
}
