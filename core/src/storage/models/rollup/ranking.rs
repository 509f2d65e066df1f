//! Rankings over a range: an org's (or a team's) users by runs, and
//! every org by cost.

use chrono::NaiveDate;
use diesel::sql_types::{BigInt, Date, Text, Uuid as SqlUuid};
use diesel::{QueryResult, QueryableByName};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::metrics::kpis::Sums;

use super::pieces::user_pieces;
use super::scope::{team_members, Scope};
use super::sums::{active_users, SumsRow, SUMS};

#[derive(diesel::QueryableByName, Debug)]
struct UserSumsRow {
    #[diesel(sql_type = Text)]
    user_id: String,
    #[diesel(embed)]
    sums: SumsRow,
}

/// Per-user sums over a range, for user lists.
#[derive(Debug, Clone)]
pub struct UserSums {
    pub user_id: String,
    sums: Sums,
}

impl UserSums {
    pub fn sums(&self) -> Sums {
        self.sums
    }
}

/// Users of an org (of one of its teams, when `team` is given) with any
/// event in the range, ordered by `order` (an SQL ORDER BY over the sums
/// and `user_id`: `runs`, `cost_usd`), after `after`, at most `limit`.
#[allow(clippy::too_many_arguments)]
pub async fn user_sums(
    conn: &mut AsyncPgConnection,
    org: Uuid,
    team: Option<Uuid>,
    from: NaiveDate,
    to: NaiveDate,
    order: &str,
    after: Option<(i64, &str)>,
    limit: i64,
) -> QueryResult<Vec<UserSums>> {
    // Ranked over pieces (whole weeks and the days at the ends), then the
    // page's users summed day by day.
    let members = team_members(7);
    let ranked = format!(
        "SELECT user_id, sum(runs)::bigint AS runs, sum(cost_usd) AS cost_usd \
         FROM ({pieces}) p GROUP BY user_id HAVING sum(event_count) > 0",
        pieces = user_pieces(from, to, &format!("($7::uuid IS NULL OR {members})"))
    );
    let sql = format!(
        "WITH page AS (SELECT * FROM ({ranked}) u \
           WHERE $4::bigint IS NULL OR runs < $4 OR (runs = $4 AND user_id > $5) \
           ORDER BY {order} LIMIT $6) \
         SELECT user_id, s.sums FROM page JOIN ( \
           SELECT user_id, {sums} FROM user_daily \
           WHERE day BETWEEN $1 AND $2 AND org_id = $3 AND user_id IN (SELECT user_id FROM page) \
           GROUP BY user_id) s USING (user_id) \
         ORDER BY {order}",
        sums = *SUMS
    );
    let rows: Vec<UserSumsRow> = diesel::sql_query(sql)
        .bind::<Date, _>(from)
        .bind::<Date, _>(to)
        .bind::<SqlUuid, _>(org)
        .bind::<diesel::sql_types::Nullable<BigInt>, _>(after.map(|a| a.0))
        .bind::<Text, _>(after.map(|a| a.1.to_string()).unwrap_or_default())
        .bind::<BigInt, _>(limit)
        .bind::<diesel::sql_types::Nullable<SqlUuid>, _>(team)
        .load(conn)
        .await?;
    rows.into_iter()
        .map(|r| {
            Ok(UserSums {
                sums: r.sums.sums()?,
                user_id: r.user_id,
            })
        })
        .collect()
}

/// How many users of an org (or of one of its teams) had any event in the range.
pub async fn user_count(
    conn: &mut AsyncPgConnection,
    org: Uuid,
    team: Option<Uuid>,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<i64> {
    let scope = team.map_or(Scope::Org(org), |team| Scope::Team(org, team));
    active_users(conn, scope, from, to).await
}

/// Orgs by cost then runs over a range (every org, each on its own days).
#[derive(diesel::QueryableByName, Debug)]
pub struct OrgSums {
    #[diesel(sql_type = SqlUuid)]
    pub org_id: Uuid,
}

pub async fn top_orgs(
    conn: &mut AsyncPgConnection,
    from: NaiveDate,
    to: NaiveDate,
    limit: i64,
) -> QueryResult<Vec<Uuid>> {
    let rows: Vec<OrgSums> = diesel::sql_query(
        "SELECT org_id FROM platform_org_daily($1, $2) GROUP BY org_id \
         ORDER BY sum(cost_usd) DESC, sum(runs) DESC, org_id LIMIT $3",
    )
    .bind::<Date, _>(from)
    .bind::<Date, _>(to)
    .bind::<BigInt, _>(limit)
    .load(conn)
    .await?;
    Ok(rows.into_iter().map(|r| r.org_id).collect())
}
