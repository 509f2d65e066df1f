//! Alert channels: make one (its signing secret shown once), delete one.
//! The target must be a URL the operator's policy allows.

use agentmon_core::alerts::{Target, WebhookPolicy};
use agentmon_core::auth::UserPrincipal;
use agentmon_core::storage::db::Db;
use agentmon_core::storage::models::alert_channel::{self, Channel, NewChannel, MAX_CHANNELS};
use agentmon_core::storage::models::org::Org;
use agentmon_core::{Error, Result};
use uuid::Uuid;

use super::{audited, input, Audit, Scope};

/// The audit entry of an action on `channel`: never its URL's path or its
/// secret.
fn entry(action: &'static str, channel: &Channel, shown: &str) -> Audit {
    Audit::new(
        action,
        Some(&channel.name),
        serde_json::json!({ "id": channel.id, "kind": channel.kind, "target": shown }),
    )
}

/// Makes channel `name` of `kind` (`WEBHOOK` or `SLACK`) posting to `url`,
/// refused when the URL is not one `policy` allows. The secret its
/// deliveries are signed with is returned with it, once.
pub async fn create(
    db: &Db,
    policy: WebhookPolicy,
    actor: &UserPrincipal,
    org: &Org,
    name: &str,
    kind: &'static str,
    url: &str,
) -> Result<(Channel, String)> {
    let name = input::name("name", name, 128)?;
    let target = Target::parse(url)?;
    target.resolve(policy).await?;
    let secret = agentmon_core::alerts::deliver::new_secret();
    let shown = target.shown();
    let channel = audited!(db, actor, Scope::Org(org), |tx| {
        if alert_channel::count(tx, org.id).await? >= MAX_CHANNELS {
            return Err(Error::BadUserInput(format!(
                "an org may have at most {MAX_CHANNELS} alert channels; delete one first"
            )));
        }
        let new = NewChannel {
            org_id: org.id,
            name: &name,
            kind,
            url: target.url.as_str(),
            signing_secret: &secret,
            created_by: &actor.sub,
        };
        let channel = alert_channel::create(tx, &new).await?;
        let entry = entry("ALERT_CHANNEL_CREATED", &channel, &shown);
        (channel, entry)
    })?;
    Ok((channel, secret))
}

/// Deletes channel `id` of `org`, with the deliveries made to it.
pub async fn delete(db: &Db, actor: &UserPrincipal, org: &Org, id: Uuid) -> Result<Channel> {
    audited!(db, actor, Scope::Org(org), |tx| {
        let channel = alert_channel::delete(tx, id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("no alert channel {id}")))?;
        let shown = Target::parse(&channel.url)
            .map(|t| t.shown())
            .unwrap_or_default();
        let entry = entry("ALERT_CHANNEL_DELETED", &channel, &shown);
        (channel, entry)
    })
}
