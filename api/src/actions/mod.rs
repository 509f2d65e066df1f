//! What an administrator does: every action that changes state for an
//! admin (keys, members, teams, orgs, erasure, replays, dead letters) is one
//! function here, used by GraphQL and the command line alike.
//!
//! Each runs through [`audited!`]: bind the transaction to the action's
//! [`Scope`], act, and write the action's [`Audit`] entry in that same
//! transaction, so an action is on record exactly when it took effect. The
//! audited export of a person's data uses the same helper. Who may act is
//! decided before (the GraphQL resolvers and the exports ask the policy;
//! the command line is the operator).

pub mod alert_rules;
pub mod alerts;
pub mod erasure;
pub mod input;
pub mod jobs;
pub mod keys;
pub mod members;
pub mod orgs;
pub mod prices;
pub mod teams;

use agentmon_core::auth::{Role, UserPrincipal};
use agentmon_core::storage::db::{set_org, Conn, Db};
use agentmon_core::storage::models::audit;
use agentmon_core::storage::models::org::Org;
use agentmon_core::Result;
use diesel_async::AsyncPgConnection;
use uuid::Uuid;

/// Where an action runs.
#[derive(Clone, Copy)]
pub enum Scope<'a> {
    /// One org, on the request login, bound to the org by row-level
    /// security: the action cannot touch another org's rows.
    Org(&'a Org),
    /// Orgs themselves, keys for every org, jobs and dead letters over
    /// every org: the owner's login, for SUPER_ADMIN actions and the
    /// operator's command line.
    Platform,
}

impl Scope<'_> {
    /// A connection of the login this scope uses.
    pub async fn connect(self, db: &Db) -> Result<Conn> {
        match self {
            Scope::Org(_) => db.app().await,
            Scope::Platform => db.owner().await,
        }
    }

    /// Binds the transaction to the org (nothing for the platform).
    pub async fn bind(self, tx: &mut AsyncPgConnection) -> Result<()> {
        if let Scope::Org(org) = self {
            set_org(tx, org.id).await?;
        }
        Ok(())
    }

    /// Writes the entry: under the bound org, or under the org the entry
    /// names (the platform's without one).
    pub async fn record(
        self,
        tx: &mut AsyncPgConnection,
        actor: &UserPrincipal,
        entry: Audit,
    ) -> Result<()> {
        let org = match self {
            Scope::Org(org) => org.id,
            Scope::Platform => entry.org.unwrap_or(audit::PLATFORM),
        };
        let action = audit::Action {
            action: entry.action,
            target: entry.target.as_deref(),
            detail: entry.detail,
        };
        audit::record(tx, org, actor, action).await?;
        Ok(())
    }
}

/// An action's entry in the audit log: what (`API_KEY_CREATED`, …), its
/// target (a key's prefix, a user id, a team's name) and details.
pub struct Audit {
    pub action: &'static str,
    pub target: Option<String>,
    pub detail: serde_json::Value,
    /// The org a platform action is filed under (`None`: the platform).
    pub org: Option<Uuid>,
}

impl Audit {
    pub fn new(action: &'static str, target: Option<&str>, detail: serde_json::Value) -> Audit {
        Audit {
            action,
            target: target.map(str::to_string),
            detail,
            org: None,
        }
    }

    /// Files a platform action under `org`.
    pub fn under(mut self, org: Option<Uuid>) -> Audit {
        self.org = org;
        self
    }
}

/// Runs `$act` — an expression using the transaction `$tx` (and `?` for
/// errors) that evaluates to `(T, Audit)` — in one transaction of `$scope` on `$db`, and
/// writes the entry for `$actor` in it; evaluates to `Result<T>`. A macro
/// rather than a function so that the body may borrow freely and await
/// inside the transaction's closure.
macro_rules! audited {
    ($db:expr, $actor:expr, $scope:expr, |$tx:ident| $act:expr) => {{
        let scope: $crate::actions::Scope<'_> = $scope;
        let actor: &agentmon_core::auth::UserPrincipal = $actor;
        let mut conn = scope.connect($db).await?;
        diesel_async::AsyncConnection::transaction::<_, agentmon_core::Error, _>(
            &mut *conn,
            async |$tx| {
                scope.bind($tx).await?;
                let (value, entry) = $act;
                scope.record($tx, actor, entry).await?;
                Ok(value)
            },
        )
        .await
    }};
}
pub(crate) use audited;

/// Who an operator at the command line is, in the audit log.
pub fn operator() -> UserPrincipal {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .ok()
        .or_else(|| {
            nix::unistd::User::from_uid(nix::unistd::getuid())
                .ok()
                .flatten()
                .map(|u| u.name)
        })
        .unwrap_or_else(|| "unknown".into());
    UserPrincipal {
        sub: format!("cli:{user}"),
        role: Role::SuperAdmin,
        org: None,
    }
}
