//! Whose rollups a query reads: an org, a user, a team's current members,
//! or every org.

use uuid::Uuid;

/// Whose rollups.
#[derive(Debug, Clone, Copy)]
pub enum Scope<'a> {
    Org(Uuid),
    User(Uuid, &'a str),
    /// Every org, each on its own days.
    Global,
    /// The current members of a team of an org, from their user rollups.
    Team(Uuid, Uuid),
}

/// The users of team `$n` of the org bound as `$3`.
pub(super) fn team_members(n: usize) -> String {
    format!("user_id IN (SELECT user_id FROM team_members WHERE org_id = $3 AND team_id = ${n})")
}

impl Scope<'_> {
    /// Global figures come through SECURITY DEFINER functions that return
    /// the org-level rollups of every org: a request's role reads no org's
    /// rows across orgs.
    pub(super) fn daily_table(&self) -> &'static str {
        match self {
            Scope::User(..) | Scope::Team(..) => "user_daily",
            Scope::Org(_) => "org_daily",
            Scope::Global => "platform_org_daily($1, $2) AS org_daily",
        }
    }
    pub(super) fn durations_table(&self) -> &'static str {
        match self {
            Scope::User(..) | Scope::Team(..) => "user_daily_durations",
            Scope::Org(_) => "org_daily_durations",
            Scope::Global => "platform_org_daily_durations($1, $2) AS org_daily_durations",
        }
    }
    /// The WHERE clause; binds are $1 from, $2 to, then $3 org, $4 user
    /// or team.
    pub(super) fn filter(&self) -> String {
        match self {
            Scope::Org(_) => "day BETWEEN $1 AND $2 AND org_id = $3".into(),
            Scope::User(..) => "day BETWEEN $1 AND $2 AND org_id = $3 AND user_id = $4".into(),
            Scope::Global => "day BETWEEN $1 AND $2".into(),
            Scope::Team(..) => format!(
                "day BETWEEN $1 AND $2 AND org_id = $3 AND {}",
                team_members(4)
            ),
        }
    }
}
