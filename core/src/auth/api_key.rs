//! Producer API keys: `amk_` and 43 characters of a 256-bit random secret,
//! shown once. Only a keyed hash of it is stored (HMAC-SHA-256 with a
//! server key), so a lookup is one indexed equality and no password hash
//! slows ingest. A verified key is remembered for [`CACHE_TTL`], so that a
//! revocation reaches every replica within seconds; its last use is
//! written for many calls at once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use chrono::{DateTime, Utc};
use diesel::sql_types::{Array, Bytea, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use uuid::Uuid;

use super::{OrgScope, ProducerPrincipal};
use crate::storage::db::Db;
use crate::{Error, Result};

/// What every secret starts with, so that a leaked one is recognised.
pub const SECRET_PREFIX: &str = "amk_";
/// How long a verified (or refused) key is remembered by a server.
pub const CACHE_TTL: Duration = Duration::from_secs(2);
/// Characters of the secret shown as its prefix.
const SHOWN: usize = SECRET_PREFIX.len() + 8;

#[derive(Clone)]
pub struct ApiKeys {
    key: Arc<[u8; 32]>,
    cache: moka::future::Cache<Vec<u8>, Option<Arc<ProducerPrincipal>>>,
    used: Arc<Mutex<HashMap<Uuid, DateTime<Utc>>>>,
}

/// A new key's secret (shown once), its keyed hash and its prefix.
pub struct NewSecret {
    pub secret: String,
    pub hash: Vec<u8>,
    pub prefix: String,
}

#[derive(diesel::QueryableByName)]
struct Found {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    org_slug: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    revoked: bool,
}

impl ApiKeys {
    /// Keys hashed with `server_key` (every replica must have the same).
    pub fn new(server_key: [u8; 32]) -> ApiKeys {
        ApiKeys {
            key: Arc::new(server_key),
            cache: moka::future::Cache::builder()
                .max_capacity(100_000)
                .time_to_live(CACHE_TTL)
                .support_invalidation_closures()
                .build(),
            used: Default::default(),
        }
    }

    pub fn is_key(token: &str) -> bool {
        token.starts_with(SECRET_PREFIX)
    }

    /// Whether this server verified `secret` as a valid key moments ago
    /// (no lookup): such a key is never held up by another client's refusals.
    pub async fn known_valid(&self, secret: &str) -> bool {
        well_formed(secret)
            && self
                .cache
                .get(&self.hash(secret))
                .await
                .is_some_and(|found| found.is_some())
    }

    fn hash(&self, secret: &str) -> Vec<u8> {
        let mut mac = Hmac::<Sha256>::new_from_slice(self.key.as_slice())
            .unwrap_or_else(|_| unreachable!("HMAC takes a key of any length"));
        mac.update(secret.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }

    /// A fresh secret: 256 random bits.
    pub fn generate(&self) -> NewSecret {
        let bytes: [u8; 32] = rand::random();
        let secret = format!(
            "{SECRET_PREFIX}{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
        );
        NewSecret {
            hash: self.hash(&secret),
            prefix: secret.chars().take(SHOWN).collect(),
            secret,
        }
    }

    /// The producer a presented secret stands for. Unknown and revoked keys
    /// get the same answer.
    pub async fn verify(&self, db: &Db, secret: &str) -> Result<ProducerPrincipal> {
        if !well_formed(secret) {
            return Err(refused());
        }
        let hash = self.hash(secret);
        let found = match self.cache.get(&hash).await {
            Some(found) => found,
            None => {
                let found = self.lookup(db, &hash).await?;
                self.cache.insert(hash, found.clone()).await;
                found
            }
        };
        let producer = found.ok_or_else(refused)?;
        if let Some(id) = producer
            .id
            .strip_prefix("key:")
            .and_then(|id| id.parse().ok())
        {
            self.used
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(id, Utc::now());
        }
        Ok((*producer).clone())
    }

    async fn lookup(&self, db: &Db, hash: &[u8]) -> Result<Option<Arc<ProducerPrincipal>>> {
        let mut conn = db.app().await?;
        let found: Option<Found> =
            diesel::sql_query("SELECT id, org_slug, revoked FROM api_key_by_hash($1)")
                .bind::<Bytea, _>(hash)
                .get_result(&mut conn)
                .await
                .map(Some)
                .or_else(|e| match e {
                    diesel::result::Error::NotFound => Ok(None),
                    e => Err(e),
                })?;
        Ok(found.filter(|f| !f.revoked).map(|f| {
            Arc::new(ProducerPrincipal {
                id: format!("key:{}", f.id),
                scope: match f.org_slug {
                    Some(slug) => OrgScope::Only(vec![slug]),
                    None => OrgScope::All,
                },
            })
        }))
    }

    /// Forgets what this server remembers of key `id` (revoked here).
    pub fn forget(&self, id: Uuid) {
        let principal = format!("key:{id}");
        let _ = self.cache.invalidate_entries_if(move |_, found| {
            found.as_ref().is_some_and(|p| p.id == principal)
        });
    }

    /// Writes the last use of the keys used since the last call.
    pub async fn flush_last_used(&self, conn: &mut AsyncPgConnection) -> Result<usize> {
        let used: Vec<(Uuid, DateTime<Utc>)> =
            std::mem::take(&mut *self.used.lock().unwrap_or_else(|e| e.into_inner()))
                .into_iter()
                .collect();
        if used.is_empty() {
            return Ok(0);
        }
        // Each key with its own last use: the function takes them as two
        // arrays of the same length.
        let (ids, ats): (Vec<Uuid>, Vec<DateTime<Utc>>) = used.into_iter().unzip();
        diesel::sql_query("SELECT api_keys_used($1, $2)")
            .bind::<Array<SqlUuid>, _>(&ids)
            .bind::<Array<Timestamptz>, _>(&ats)
            .execute(conn)
            .await?;
        Ok(ids.len())
    }
}

/// One answer for every key that does not work, whatever the reason.
fn refused() -> Error {
    Error::Unauthenticated(
        "this API key is not valid: it is unknown or was revoked; ask an org admin for a new one"
            .into(),
    )
}

/// The shape of a secret this server makes: the prefix and 43 base64url
/// characters. Anything else is refused without a lookup.
fn well_formed(secret: &str) -> bool {
    secret.len() == SECRET_PREFIX.len() + 43
        && secret[SECRET_PREFIX.len()..]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}
