//! Teams: named groups of an org's users. Read and changed in a
//! transaction bound to the org.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::storage::schema::{team_members, teams};
use crate::{Error, Result};

/// Most members a team may have.
pub const MAX_MEMBERS: usize = 1_000;

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = teams, check_for_backend(diesel::pg::Pg))]
pub struct Team {
    pub org_id: Uuid,
    pub id: Uuid,
    pub name: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub members_version: i32,
}

pub async fn create(
    conn: &mut AsyncPgConnection,
    org_id: Uuid,
    name: &str,
    by: &str,
) -> Result<Team> {
    diesel::insert_into(teams::table)
        .values((
            teams::org_id.eq(org_id),
            teams::name.eq(name),
            teams::created_by.eq(by),
        ))
        .returning(Team::as_returning())
        .get_result(conn)
        .await
        .map_err(|e| match e {
            diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            ) => Error::BadUserInput(format!(
                "the org has a team named {name:?} already; choose another name"
            )),
            other => other.into(),
        })
}

pub async fn of_org(conn: &mut AsyncPgConnection, org_id: Uuid) -> QueryResult<Vec<Team>> {
    teams::table
        .filter(teams::org_id.eq(org_id))
        .order(teams::name)
        .select(Team::as_select())
        .load(conn)
        .await
}

pub async fn get(
    conn: &mut AsyncPgConnection,
    org_id: Uuid,
    id: Uuid,
) -> QueryResult<Option<Team>> {
    teams::table
        .filter(teams::org_id.eq(org_id))
        .filter(teams::id.eq(id))
        .select(Team::as_select())
        .first(conn)
        .await
        .optional()
}

pub async fn members(
    conn: &mut AsyncPgConnection,
    org_id: Uuid,
    id: Uuid,
) -> QueryResult<Vec<String>> {
    team_members::table
        .filter(team_members::org_id.eq(org_id))
        .filter(team_members::team_id.eq(id))
        .order(team_members::user_id)
        .select(team_members::user_id)
        .load(conn)
        .await
}

/// Replaces the members of team `id` (it must exist) and bumps its version.
pub async fn set_members(
    conn: &mut AsyncPgConnection,
    org_id: Uuid,
    id: Uuid,
    users: &[String],
) -> QueryResult<Team> {
    diesel::delete(
        team_members::table
            .filter(team_members::org_id.eq(org_id))
            .filter(team_members::team_id.eq(id)),
    )
    .execute(conn)
    .await?;
    let mut users: Vec<&String> = users.iter().collect();
    users.sort();
    users.dedup();
    if !users.is_empty() {
        diesel::insert_into(team_members::table)
            .values(
                users
                    .iter()
                    .map(|u| {
                        (
                            team_members::org_id.eq(org_id),
                            team_members::team_id.eq(id),
                            team_members::user_id.eq(*u),
                        )
                    })
                    .collect::<Vec<_>>(),
            )
            .execute(conn)
            .await?;
    }
    diesel::update(
        teams::table
            .filter(teams::org_id.eq(org_id))
            .filter(teams::id.eq(id)),
    )
    .set(teams::members_version.eq(teams::members_version + 1))
    .returning(Team::as_returning())
    .get_result(conn)
    .await
}

pub async fn delete(conn: &mut AsyncPgConnection, org_id: Uuid, id: Uuid) -> QueryResult<bool> {
    let n = diesel::delete(
        teams::table
            .filter(teams::org_id.eq(org_id))
            .filter(teams::id.eq(id)),
    )
    .execute(conn)
    .await?;
    Ok(n > 0)
}
