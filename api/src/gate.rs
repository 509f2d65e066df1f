//! Who a request is, from its bearer token: an API key (a producer), or a
//! JWT whose user's role and access in their org are those set in agentmon
//! when set (a disabled user is refused). Signed-in users are recorded as
//! seen, many sightings written at once.
//!
//! The gate knows tokens, keys, members and sightings, and no HTTP: the
//! server lends it what it holds as a [`Gate`].

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use agentmon_core::auth::{ApiKeys, Authenticator, Principal, Role, UserPrincipal};
use agentmon_core::storage::db::{set_org, Db};
use agentmon_core::storage::models::member;
use agentmon_core::Error;
use chrono::{DateTime, Utc};
use diesel_async::AsyncConnection;
use uuid::Uuid;

use crate::members::{MemberCache, Membership};
use crate::refusals::KeyRefusals;

/// One user of one org.
type Who = (Uuid, String);
/// The role their token claimed, and when.
type Sighting = (Role, DateTime<Utc>);

/// Sightings of signed-in users not yet written.
#[derive(Clone, Default)]
pub struct Presence(Arc<Mutex<HashMap<Who, Sighting>>>);

impl Presence {
    fn saw(&self, org: Uuid, user: &UserPrincipal) {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert((org, user.sub.clone()), (user.role, Utc::now()));
    }

    /// Writes the sightings since the last call; how many.
    pub async fn flush(&self, db: &Db) -> Result<usize, Error> {
        let taken = std::mem::take(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()));
        let mut by_org: HashMap<Uuid, Vec<(String, Role, DateTime<Utc>)>> = HashMap::new();
        for ((org, user), (role, at)) in taken {
            by_org.entry(org).or_default().push((user, role, at));
        }
        let mut written = 0;
        let mut failure = None;
        for (org_id, mut sightings) in by_org {
            sightings.sort_by(|a, b| a.0.cmp(&b.0));
            let done = async {
                let mut conn = db.app().await?;
                conn.transaction::<_, Error, _>(async |tx| {
                    set_org(tx, org_id).await?;
                    Ok(member::seen(tx, org_id, &sightings).await?)
                })
                .await
            }
            .await;
            match done {
                Ok(n) => written += n,
                Err(e) => {
                    // Kept for the next flush, unless newer sightings came.
                    let mut pending = self.0.lock().unwrap_or_else(|e| e.into_inner());
                    for (user, role, at) in sightings {
                        pending.entry((org_id, user)).or_insert((role, at));
                    }
                    failure = Some(e);
                }
            }
        }
        match failure {
            Some(e) => Err(e),
            None => Ok(written),
        }
    }
}

/// What the gate reads a token with: the server's verifier of JWTs, its
/// API keys, its database and its record of who was seen.
#[derive(Clone, Copy)]
pub struct Gate<'a> {
    pub auth: &'a Authenticator,
    pub keys: &'a ApiKeys,
    pub db: &'a Db,
    pub presence: &'a Presence,
    pub members: &'a MemberCache,
    pub refusals: &'a KeyRefusals,
    /// The address the request came from, when the server knows it.
    pub peer: Option<IpAddr>,
}

impl Gate<'_> {
    /// The principal behind `token`, with the expiry of a JWT (keys do not
    /// expire).
    pub async fn principal(
        &self,
        token: &str,
    ) -> Result<(Principal, Option<DateTime<Utc>>), Error> {
        if ApiKeys::is_key(token) {
            // Keys known valid pass; an address that keeps presenting
            // unknown ones gets no more lookups for a while.
            if !self.keys.known_valid(token).await {
                self.refusals.check(self.peer).await?;
            }
            let verified = self.keys.verify(self.db, token).await;
            if let Err(Error::Unauthenticated(_)) = verified {
                self.refusals.count(self.peer).await;
            }
            return Ok((Principal::Producer(verified?), None));
        }
        let (principal, expires_at) = self.auth.verify_with_expiry(token)?;
        let principal = match principal {
            Principal::User(user) => {
                Principal::User(membership(self.db, self.presence, self.members, user).await?)
            }
            producer => producer,
        };
        Ok((principal, Some(expires_at)))
    }
}

/// The role and access set in agentmon for a user of an org, over the
/// token's claim. SUPPORT and SUPER_ADMIN tokens name no org and keep
/// their role.
pub async fn membership(
    db: &Db,
    presence: &Presence,
    members: &MemberCache,
    mut user: UserPrincipal,
) -> Result<UserPrincipal, Error> {
    // SUPPORT and SUPER_ADMIN are the platform's, not an org's: an org's
    // admin neither demotes nor disables them.
    if user.role.is_cross_org() {
        return Ok(user);
    }
    let Some(slug) = user.org.clone() else {
        return Ok(user);
    };
    let Membership::Of {
        org,
        role,
        disabled,
    } = members.get(db, &slug, &user.sub).await?
    else {
        return Ok(user); // reads of a missing org answer NOT_FOUND later
    };
    if disabled {
        return Err(Error::Forbidden(format!(
            "your access to org {slug:?} was disabled by an org admin"
        )));
    }
    presence.saw(org, &user);
    if let Some(role) = role {
        user.role = role;
    }
    Ok(user)
}
