//! Reading users.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::storage::schema::users;

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = users, check_for_backend(diesel::pg::Pg))]
pub struct UserRow {
    pub org_id: Uuid,
    pub user_id: String,
    pub email: Option<String>,
    pub name: Option<String>,
    pub role: Option<String>,
    pub first_seen_at: Option<DateTime<Utc>>,
    pub last_active_at: Option<DateTime<Utc>>,
}

pub async fn by_ids(
    conn: &mut AsyncPgConnection,
    org: Uuid,
    ids: &[String],
) -> QueryResult<Vec<UserRow>> {
    users::table
        .filter(users::org_id.eq(org))
        .filter(users::user_id.eq_any(ids))
        .select(UserRow::as_select())
        .load(conn)
        .await
}

pub async fn by_id(
    conn: &mut AsyncPgConnection,
    org: Uuid,
    id: &str,
) -> QueryResult<Option<UserRow>> {
    users::table
        .filter(users::org_id.eq(org))
        .filter(users::user_id.eq(id))
        .select(UserRow::as_select())
        .first(conn)
        .await
        .optional()
}

/// `text` with LIKE's wildcards and escape taken literally.
fn like_literal(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// Users of an org whose id starts with `text` or whose name or email holds
/// it (any case): the id itself first, then the most recently active.
pub async fn matching(
    conn: &mut AsyncPgConnection,
    org: Uuid,
    text: &str,
    limit: i64,
) -> QueryResult<Vec<UserRow>> {
    let literal = like_literal(text);
    let prefix = format!("{literal}%");
    let inside = format!("%{literal}%");
    users::table
        .filter(users::org_id.eq(org))
        .filter(
            users::user_id
                .ilike(&prefix)
                .or(users::name.ilike(&inside))
                .or(users::email.ilike(&inside)),
        )
        .order((
            users::user_id.ne(text),
            users::last_active_at.desc().nulls_last(),
            users::user_id,
        ))
        .limit(limit)
        .select(UserRow::as_select())
        .load(conn)
        .await
}
