//! Stored producer keys (never their secrets): create, list, revoke.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::storage::schema::{api_keys, orgs};

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = api_keys, check_for_backend(diesel::pg::Pg))]
pub struct KeyRow {
    pub id: Uuid,
    pub org_id: Option<Uuid>,
    pub name: String,
    pub prefix: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A key with the slug of its org (`None`: every org).
pub type Key = (KeyRow, Option<String>);

#[derive(Insertable)]
#[diesel(table_name = api_keys)]
pub struct NewKey<'a> {
    pub org_id: Option<Uuid>,
    pub name: &'a str,
    pub prefix: &'a str,
    pub hash: &'a [u8],
    pub created_by: &'a str,
}

pub async fn create(conn: &mut AsyncPgConnection, new: &NewKey<'_>) -> QueryResult<KeyRow> {
    diesel::insert_into(api_keys::table)
        .values(new)
        .returning(KeyRow::as_returning())
        .get_result(conn)
        .await
}

/// The keys this connection may see (one org's inside a bound
/// transaction; every key for the owner), newest first.
pub async fn list(conn: &mut AsyncPgConnection, org_id: Option<Uuid>) -> QueryResult<Vec<Key>> {
    let mut query = api_keys::table
        .left_join(orgs::table.on(api_keys::org_id.eq(orgs::id.nullable())))
        .order(api_keys::created_at.desc())
        .select((KeyRow::as_select(), orgs::slug.nullable()))
        .into_boxed();
    if let Some(org) = org_id {
        query = query.filter(api_keys::org_id.eq(org));
    }
    query.load(conn).await
}

/// Revokes key `id` (once: a second revocation keeps the first time).
pub async fn revoke(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Option<Key>> {
    let updated = diesel::update(api_keys::table.filter(api_keys::id.eq(id)))
        .set(api_keys::revoked_at.eq(diesel::dsl::sql::<
            diesel::sql_types::Nullable<diesel::sql_types::Timestamptz>,
        >("coalesce(revoked_at, now())")))
        .returning(KeyRow::as_returning())
        .get_result::<KeyRow>(conn)
        .await
        .optional()?;
    let Some(row) = updated else { return Ok(None) };
    let slug = match row.org_id {
        Some(org) => orgs::table
            .filter(orgs::id.eq(org))
            .select(orgs::slug)
            .first::<String>(conn)
            .await
            .optional()?,
        None => None,
    };
    Ok(Some((row, slug)))
}
