//! Members of an org: roles and access set in agentmon (they win over the
//! token's role claim), and when each signed-in user was last seen.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::upsert::excluded;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::auth::Role;
use crate::storage::schema::org_members;

#[derive(Queryable, QueryableByName, Selectable, Debug, Clone)]
#[diesel(table_name = org_members, check_for_backend(diesel::pg::Pg))]
pub struct Member {
    pub org_id: Uuid,
    pub user_id: String,
    pub role: Option<String>,
    pub token_role: Option<String>,
    pub disabled: bool,
    pub set_by: Option<String>,
    pub set_at: Option<DateTime<Utc>>,
    pub last_seen_at: Option<DateTime<Utc>>,
}

impl Member {
    /// The role that applies: the one set in agentmon, else the token's.
    pub fn role(&self) -> Option<Role> {
        self.role
            .as_deref()
            .or(self.token_role.as_deref())
            .and_then(|r| r.parse().ok())
    }

    /// The role set in agentmon, if any.
    pub fn set_role(&self) -> Option<Role> {
        self.role.as_deref().and_then(|r| r.parse().ok())
    }
}

/// In a transaction bound to the org.
pub async fn get(
    conn: &mut AsyncPgConnection,
    org_id: Uuid,
    user_id: &str,
) -> QueryResult<Option<Member>> {
    org_members::table
        .filter(org_members::org_id.eq(org_id))
        .filter(org_members::user_id.eq(user_id))
        .select(Member::as_select())
        .first(conn)
        .await
        .optional()
}

pub async fn of_org(conn: &mut AsyncPgConnection, org_id: Uuid) -> QueryResult<Vec<Member>> {
    org_members::table
        .filter(org_members::org_id.eq(org_id))
        .order(org_members::user_id)
        .select(Member::as_select())
        .load(conn)
        .await
}

pub async fn by_ids(
    conn: &mut AsyncPgConnection,
    org_id: Uuid,
    ids: &[String],
) -> QueryResult<Vec<Member>> {
    org_members::table
        .filter(org_members::org_id.eq(org_id))
        .filter(org_members::user_id.eq_any(ids))
        .select(Member::as_select())
        .load(conn)
        .await
}

/// Sets the role of `user_id` (MEMBER, MANAGER or ORG_ADMIN) and/or their
/// access, by `by`; `None` keeps what is set.
pub async fn set(
    conn: &mut AsyncPgConnection,
    org_id: Uuid,
    user_id: &str,
    role: Option<Role>,
    disabled: Option<bool>,
    by: &str,
) -> QueryResult<Member> {
    use diesel::sql_types::{Bool, Nullable, Text, Uuid as SqlUuid};
    diesel::sql_query(
        "INSERT INTO org_members (org_id, user_id, role, disabled, set_by, set_at) \
         VALUES ($1, $2, $3, coalesce($4, false), $5, now()) \
         ON CONFLICT (org_id, user_id) DO UPDATE SET role = coalesce($3, org_members.role), \
           disabled = coalesce($4, org_members.disabled), set_by = excluded.set_by, set_at = excluded.set_at \
         RETURNING *",
    )
    .bind::<SqlUuid, _>(org_id)
    .bind::<Text, _>(user_id)
    .bind::<Nullable<Text>, _>(role.map(Role::as_str))
    .bind::<Nullable<Bool>, _>(disabled)
    .bind::<Text, _>(by)
    .get_result(conn)
    .await
}

/// Records that these users of the org were seen at `at` with the role
/// their tokens claimed (many sightings written at once).
pub async fn seen(
    conn: &mut AsyncPgConnection,
    org_id: Uuid,
    sightings: &[(String, Role, DateTime<Utc>)],
) -> QueryResult<usize> {
    if sightings.is_empty() {
        return Ok(0);
    }
    diesel::insert_into(org_members::table)
        .values(
            sightings
                .iter()
                .map(|(user, role, at)| {
                    (
                        org_members::org_id.eq(org_id),
                        org_members::user_id.eq(user),
                        org_members::token_role.eq(role.as_str()),
                        org_members::last_seen_at.eq(*at),
                    )
                })
                .collect::<Vec<_>>(),
        )
        .on_conflict((org_members::org_id, org_members::user_id))
        .do_update()
        .set((
            org_members::token_role.eq(excluded(org_members::token_role)),
            org_members::last_seen_at.eq(excluded(org_members::last_seen_at)),
        ))
        .execute(conn)
        .await
}
