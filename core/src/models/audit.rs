//! The audit log: who did what to which org.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::auth::UserPrincipal;
use crate::schema::audit_log;

#[derive(Insertable, Debug)]
#[diesel(table_name = audit_log)]
struct NewEntry<'a> {
    org_id: Uuid,
    actor_sub: &'a str,
    actor_role: &'a str,
    action: &'a str,
    detail: serde_json::Value,
}

/// Appends one entry. Inside a tenant transaction the entry's org must be
/// the transaction's org.
pub async fn record(
    conn: &mut AsyncPgConnection,
    org_id: Uuid,
    actor: &UserPrincipal,
    action: &str,
    detail: serde_json::Value,
) -> QueryResult<()> {
    diesel::insert_into(audit_log::table)
        .values(NewEntry {
            org_id,
            actor_sub: &actor.sub,
            actor_role: actor.role.as_str(),
            action,
            detail,
        })
        .execute(conn)
        .await
        .map(|_| ())
}
