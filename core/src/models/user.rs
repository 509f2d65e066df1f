//! Reading users.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::schema::users;

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
