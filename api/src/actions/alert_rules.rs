//! Alert rules: create, update and delete one, audited; every reference a
//! rule makes (its team, its channels) must be the org's own.

use agentmon_core::auth::UserPrincipal;
use agentmon_core::storage::db::Db;
use agentmon_core::storage::models::alert_rule::{self, Rule, RuleInput, MAX_RULES};
use agentmon_core::storage::models::org::Org;
use agentmon_core::storage::models::{alert_channel, team};
use agentmon_core::{Error, Result};
use diesel_async::AsyncPgConnection;
use uuid::Uuid;

use super::{audited, Audit, Scope};

fn entry(action: &'static str, rule: &Rule) -> Audit {
    Audit::new(
        action,
        Some(&rule.name),
        serde_json::json!({
            "id": rule.id, "metric": rule.metric, "window": rule.window, "comparison": rule.comparison,
            "threshold": rule.threshold, "warnAt": rule.warn_at, "team": rule.team_id, "user": rule.user_id,
            "channels": rule.channel_ids, "enabled": rule.enabled,
        }),
    )
}

/// Refuses a team or a channel that is not the org's (row-level security
/// hides other orgs' rows: they read as missing).
async fn check_refs(tx: &mut AsyncPgConnection, org: &Org, input: &RuleInput) -> Result<()> {
    if let Some(id) = input.team_id {
        if team::get(tx, org.id, id).await?.is_none() {
            return Err(Error::BadUserInput(format!(
                "teamId: org {:?} has no team {id}",
                org.slug
            )));
        }
    }
    for id in &input.channel_ids {
        if alert_channel::by_id(tx, *id).await?.is_none() {
            return Err(Error::BadUserInput(format!(
                "channelIds: org {:?} has no alert channel {id}",
                org.slug
            )));
        }
    }
    Ok(())
}

pub async fn create(db: &Db, actor: &UserPrincipal, org: &Org, input: &RuleInput) -> Result<Rule> {
    audited!(db, actor, Scope::Org(org), |tx| {
        if alert_rule::count(tx, org.id).await? >= MAX_RULES {
            return Err(Error::BadUserInput(format!(
                "an org may have at most {MAX_RULES} alert rules; delete one first"
            )));
        }
        check_refs(tx, org, input).await?;
        let rule = alert_rule::create(tx, org.id, input, &actor.sub).await?;
        let entry = entry("ALERT_RULE_CREATED", &rule);
        (rule, entry)
    })
}

pub async fn update(
    db: &Db,
    actor: &UserPrincipal,
    org: &Org,
    id: Uuid,
    input: &RuleInput,
) -> Result<Rule> {
    audited!(db, actor, Scope::Org(org), |tx| {
        check_refs(tx, org, input).await?;
        let rule = alert_rule::update(tx, id, input)
            .await?
            .ok_or_else(|| Error::NotFound(format!("no alert rule {id}")))?;
        let entry = entry("ALERT_RULE_UPDATED", &rule);
        (rule, entry)
    })
}

pub async fn delete(db: &Db, actor: &UserPrincipal, org: &Org, id: Uuid) -> Result<Rule> {
    audited!(db, actor, Scope::Org(org), |tx| {
        let rule = alert_rule::delete(tx, id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("no alert rule {id}")))?;
        let entry = entry("ALERT_RULE_DELETED", &rule);
        (rule, entry)
    })
}
