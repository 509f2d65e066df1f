//! The audit log: who did what to which org.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::auth::UserPrincipal;
use crate::storage::schema::audit_log;

#[derive(Insertable, Debug)]
#[diesel(table_name = audit_log)]
struct NewEntry<'a> {
    org_id: Uuid,
    actor_sub: &'a str,
    actor_role: &'a str,
    action: &'a str,
    target: Option<&'a str>,
    detail: serde_json::Value,
}

/// What an entry records: the action (`API_KEY_CREATED`, `ROLE_SET`, …),
/// its target (a user id, a key, a team) and details.
pub struct Action<'a> {
    pub action: &'a str,
    pub target: Option<&'a str>,
    pub detail: serde_json::Value,
}

/// Platform actions (no org) are filed under this org id.
pub const PLATFORM: Uuid = Uuid::nil();

/// Appends one entry. Inside a tenant transaction the entry's org must be
/// the transaction's org.
pub async fn record(
    conn: &mut AsyncPgConnection,
    org_id: Uuid,
    actor: &UserPrincipal,
    entry: Action<'_>,
) -> QueryResult<()> {
    diesel::insert_into(audit_log::table)
        .values(NewEntry {
            org_id,
            actor_sub: &actor.sub,
            actor_role: actor.role.as_str(),
            action: entry.action,
            target: entry.target,
            detail: entry.detail,
        })
        .execute(conn)
        .await
        .map(|_| ())
}

/// One entry as read back.
#[derive(diesel::QueryableByName, Debug, Clone)]
pub struct Entry {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub id: i64,
    #[diesel(sql_type = diesel::sql_types::Timestamptz)]
    pub at: chrono::DateTime<chrono::Utc>,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub actor_sub: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub actor_role: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub action: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    pub org_slug: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    pub target: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Jsonb)]
    pub detail: serde_json::Value,
}

/// One org's entries older than `before` (an entry id), newest first; in
/// a transaction bound to the org.
pub async fn of_org(
    conn: &mut AsyncPgConnection,
    org_id: Uuid,
    before: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<Entry>> {
    diesel::sql_query(
        "SELECT a.id, a.at, a.actor_sub, a.actor_role, a.action, o.slug AS org_slug, a.target, a.detail \
           FROM audit_log a JOIN orgs o ON o.id = a.org_id \
          WHERE a.org_id = $1 AND ($2::bigint IS NULL OR a.id < $2) ORDER BY a.id DESC LIMIT $3",
    )
    .bind::<diesel::sql_types::Uuid, _>(org_id)
    .bind::<diesel::sql_types::Nullable<diesel::sql_types::BigInt>, _>(before)
    .bind::<diesel::sql_types::BigInt, _>(limit)
    .load(conn)
    .await
}

/// Every org's entries and the platform's, older than `before`, newest
/// first (through a SECURITY DEFINER function: for SUPER_ADMIN only).
pub async fn everything(
    conn: &mut AsyncPgConnection,
    before: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<Entry>> {
    diesel::sql_query("SELECT * FROM platform_audit_log($1, $2::int)")
        .bind::<diesel::sql_types::Nullable<diesel::sql_types::BigInt>, _>(before)
        .bind::<diesel::sql_types::BigInt, _>(limit)
        .load(conn)
        .await
}
