//! `OrgOverview.adoption`: the share of members who used an agent, new and
//! returning users, and active users per calendar month.

use agentmon_core::storage::models::org::Org;
use agentmon_core::storage::models::rollup::{self, Adoption, Scope};
use async_graphql::{Context, Object, SimpleObject};
use chrono::{Datelike, Months, NaiveDate};

use super::access::in_org;
use super::scalars::Date;

pub struct AdoptionObject {
    pub org: Org,
    pub scope: Scope<'static>,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub figures: Adoption,
}

/// A calendar month of a range, cut to the range at its ends.
#[derive(SimpleObject)]
pub struct MonthlyPoint {
    /// The first day of the month inside the range.
    pub from: Date,
    /// The last day of the month inside the range.
    pub to: Date,
    /// Days of the month inside the range.
    pub days: i32,
    /// Distinct users with any event on those days.
    pub active_users: i32,
}

fn int(n: i64) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

impl AdoptionObject {
    pub async fn load(
        ctx: &Context<'_>,
        org: &Org,
        scope: Scope<'static>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> async_graphql::Result<AdoptionObject> {
        let org_id = org.id;
        let figures = in_org!(ctx, org_id, |tx| rollup::adoption(tx, scope, from, to)
            .await?)?;
        Ok(AdoptionObject {
            org: org.clone(),
            scope,
            from,
            to,
            figures,
        })
    }
}

#[Object(name = "Adoption")]
impl AdoptionObject {
    /// The org's members (users with a role in it, not disabled), or the
    /// team's current members.
    async fn members(&self) -> i32 {
        int(self.figures.members)
    }
    /// Members with any event on a day of the range.
    async fn active_members(&self) -> i32 {
        int(self.figures.active_members)
    }
    /// `activeMembers ÷ members`: the share of members who used an agent;
    /// null without members.
    async fn member_share(&self) -> Option<f64> {
        self.figures.member_share()
    }
    /// Distinct users with any event on a day of the range, members or not.
    async fn active_users(&self) -> i32 {
        int(self.figures.active_users)
    }
    /// Active users whose first kept event is in the range.
    async fn new_users(&self) -> i32 {
        int(self.figures.new_users())
    }
    /// Active users who had an event before the range too.
    async fn returning_users(&self) -> i32 {
        int(self.figures.returning_users)
    }
    /// Active users per calendar month touching the range, the months at
    /// its ends cut to it; months without activity as zeros.
    async fn monthly(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<MonthlyPoint>> {
        let (org_id, scope, from, to) = (self.org.id, self.scope, self.from, self.to);
        let mut counts = in_org!(ctx, org_id, |tx| rollup::monthly_active_users(
            tx, scope, from, to
        )
        .await?)?;
        let mut months = Vec::new();
        let mut first = from.with_day(1).unwrap_or(from);
        while first <= to {
            let next = first + Months::new(1);
            let (start, end) = (first.max(from), (next - chrono::Days::new(1)).min(to));
            months.push(MonthlyPoint {
                from: Date(start),
                to: Date(end),
                days: (end - start).num_days() as i32 + 1,
                active_users: int(counts.remove(&first).unwrap_or(0)),
            });
            first = next;
        }
        Ok(months)
    }
}
