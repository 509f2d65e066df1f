//! Producer API keys: create one (its secret shown once) and revoke one.

use agentmon_core::auth::{ApiKeys, UserPrincipal};
use agentmon_core::storage::db::Db;
use agentmon_core::storage::models::api_key::{self, Key, NewKey};
use agentmon_core::storage::models::org::{Org, OrgStatus};
use agentmon_core::{Error, Result};
use uuid::Uuid;

use super::{audited, Audit, Scope};

/// A new key and its secret: the only time the secret exists outside the
/// caller's hands.
pub struct Created {
    pub key: Key,
    pub secret: String,
}

/// The audit entry of an action on `key` (never its secret).
fn entry(action: &'static str, key: &Key) -> Audit {
    Audit::new(
        action,
        Some(&key.0.prefix),
        serde_json::json!({ "id": key.0.id, "name": key.0.name, "org": key.1 }),
    )
    .under(key.0.org_id)
}

/// Creates a key named `name` (checked by [`super::input::name`]) that may
/// ingest into `org`, or into every org without one; in `scope` (an org
/// admin's key in their org; the operator's on the platform). A suspended
/// org gets none: it accepts no events.
pub async fn create(
    db: &Db,
    keys: &ApiKeys,
    actor: &UserPrincipal,
    scope: Scope<'_>,
    org: Option<&Org>,
    name: &str,
) -> Result<Created> {
    if let Some(org) = org.filter(|o| o.status() == OrgStatus::Suspended) {
        return Err(Error::Forbidden(format!(
            "org {:?} is suspended: it accepts no events, so it gets no new keys; a SUPER_ADMIN \
             reactivates it with updateOrg(status: ACTIVE)",
            org.slug
        )));
    }
    let secret = keys.generate();
    let key = audited!(db, actor, scope, |tx| {
        let new = NewKey {
            org_id: org.map(|o| o.id),
            name,
            prefix: &secret.prefix,
            hash: &secret.hash,
            created_by: &actor.sub,
        };
        let key: Key = (
            api_key::create(tx, &new).await?,
            org.map(|o| o.slug.clone()),
        );
        let entry = entry("API_KEY_CREATED", &key);
        (key, entry)
    })?;
    Ok(Created {
        key,
        secret: secret.secret,
    })
}

/// Revokes key `id`: among `org`'s keys, or any key without an org. The
/// key is refused from its next call on; the caller tells its servers'
/// key caches to forget it.
pub async fn revoke(db: &Db, actor: &UserPrincipal, org: Option<&Org>, id: Uuid) -> Result<Key> {
    let scope = org.map_or(Scope::Platform, Scope::Org);
    audited!(db, actor, scope, |tx| {
        let key = api_key::revoke(tx, id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("no API key {id} that you may manage")))?;
        let entry = entry("API_KEY_REVOKED", &key);
        (key, entry)
    })
}
