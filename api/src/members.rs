//! What a signed-in request needs to know of its user's membership — the
//! org's id, the role set in agentmon, whether their access is disabled —
//! remembered for [`MEMBER_CACHE_TTL`], so that a request does not pay two
//! round trips to the database to learn it again. A change made through
//! this server is forgotten at once; other replicas see it within the TTL,
//! as they see a revoked key.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use agentmon_core::auth::Role;
use agentmon_core::storage::db::{set_org, Db};
use agentmon_core::storage::models::{member, org};
use agentmon_core::Error;
use diesel_async::AsyncConnection;
use uuid::Uuid;

/// How long a server trusts what it read of a membership.
pub const MEMBER_CACHE_TTL: Duration = Duration::from_secs(2);

/// An org's membership of one user, as the gate reads it.
#[derive(Debug, Clone, PartialEq)]
pub enum Membership {
    /// The token names an org that does not exist.
    NoOrg,
    Of {
        org: Uuid,
        /// The role set in agentmon, over the token's claim.
        role: Option<Role>,
        disabled: bool,
    },
}

/// Memberships by (org slug, user).
#[derive(Clone)]
pub struct MemberCache {
    known: moka::future::Cache<(String, String), Membership>,
    /// Bumped by every [`MemberCache::forget`]: a read that began before
    /// a change is not kept after it.
    changes: Arc<AtomicU64>,
}

impl Default for MemberCache {
    fn default() -> Self {
        MemberCache {
            known: moka::future::Cache::builder()
                .max_capacity(100_000)
                .time_to_live(MEMBER_CACHE_TTL)
                .build(),
            changes: Default::default(),
        }
    }
}

impl MemberCache {
    /// `user`'s membership of org `slug`, read on the RLS-bound role when
    /// not remembered.
    pub async fn get(&self, db: &Db, slug: &str, user: &str) -> Result<Membership, Error> {
        let key = (slug.to_string(), user.to_string());
        let before = self.changes.load(Ordering::SeqCst);
        // Concurrent requests of one user (each of their live connections
        // rechecks every 2 s) wait for one read rather than each making it.
        let found = self
            .known
            .try_get_with(key.clone(), read(db, slug, user))
            .await
            .map_err(|e| e.again())?;
        if self.changes.load(Ordering::SeqCst) == before {
            return Ok(found);
        }
        // A change was made meanwhile: what was read may predate it.
        self.known.invalidate(&key).await;
        read(db, slug, user).await
    }

    /// Forgets what this server read of `user` in org `slug`: the next
    /// request reads it again.
    pub async fn forget(&self, slug: &str, user: &str) {
        self.changes.fetch_add(1, Ordering::SeqCst);
        self.known
            .invalidate(&(slug.to_string(), user.to_string()))
            .await;
    }
}

async fn read(db: &Db, slug: &str, user: &str) -> Result<Membership, Error> {
    let mut conn = db.app().await?;
    let Some(found) = org::by_slug(&mut conn, slug).await? else {
        return Ok(Membership::NoOrg);
    };
    let member = conn
        .transaction::<_, Error, _>(async |tx| {
            set_org(tx, found.id).await?;
            Ok(member::get(tx, found.id, user).await?)
        })
        .await?;
    Ok(Membership::Of {
        org: found.id,
        role: member.as_ref().and_then(|m| m.set_role()),
        disabled: member.is_some_and(|m| m.disabled),
    })
}
