//! Adoption over a range: the members who used an agent, and the active
//! users who are new or returning. "New" is against the events still kept:
//! a user whose earlier days were removed by retention counts as new.

use chrono::NaiveDate;
use diesel::sql_types::BigInt;
use diesel::QueryResult;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::pieces::user_pieces;
use super::scope::{team_members, Scope};

/// The adoption figures of an org or a team.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, diesel::QueryableByName)]
pub struct Adoption {
    /// An org's members (a role in it, not disabled), or a team's members.
    #[diesel(sql_type = BigInt)]
    pub members: i64,
    /// Members with any event on a day of the range.
    #[diesel(sql_type = BigInt)]
    pub active_members: i64,
    /// Users with any event on a day of the range.
    #[diesel(sql_type = BigInt)]
    pub active_users: i64,
    /// Active users with an event on a kept day before the range.
    #[diesel(sql_type = BigInt)]
    pub returning_users: i64,
}

impl Adoption {
    /// Active users whose first kept day is in the range.
    pub fn new_users(&self) -> i64 {
        self.active_users - self.returning_users
    }

    /// Active members over members; none without members.
    pub fn member_share(&self) -> Option<f64> {
        (self.members > 0).then(|| self.active_members as f64 / self.members as f64)
    }
}

/// The adoption of an org or a team (`Scope::Org` or `Scope::Team`; any
/// other scope answers zeros).
pub async fn adoption(
    conn: &mut AsyncPgConnection,
    scope: Scope<'_>,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Adoption> {
    let (members, filter) = match scope {
        Scope::Org(_) => (
            "SELECT user_id FROM org_members WHERE org_id = $3 AND NOT disabled".to_string(),
            String::new(),
        ),
        Scope::Team(..) => (
            "SELECT user_id FROM team_members WHERE org_id = $3 AND team_id = $4".to_string(),
            team_members(4),
        ),
        Scope::User(..) | Scope::Global => return Ok(Adoption::default()),
    };
    let sql = format!(
        "WITH active AS (SELECT user_id FROM ({}) p GROUP BY user_id HAVING sum(event_count) > 0), \
         members AS ({members}) \
         SELECT (SELECT count(*) FROM members) AS members, \
           (SELECT count(*) FROM active JOIN members USING (user_id)) AS active_members, \
           (SELECT count(*) FROM active) AS active_users, \
           (SELECT count(*) FROM active a WHERE EXISTS (SELECT 1 FROM user_daily d \
              WHERE d.org_id = $3 AND d.user_id = a.user_id AND d.day < $1 AND d.event_count > 0)) \
             AS returning_users",
        user_pieces(from, to, &filter)
    );
    bound!(sql, scope, from, to).get_result(conn).await
}
