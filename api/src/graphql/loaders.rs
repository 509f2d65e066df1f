//! DataLoaders, one set for each request (or websocket connection), each
//! made on its first use: a list of sessions with their users costs one
//! users query, not one per row, and a request that loads nothing (most of
//! them) makes none.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, OnceLock};

use agentmon_core::storage::db::{set_org, Db};
use agentmon_core::storage::models::user::{self, UserRow};
use agentmon_core::Error;
use async_graphql::dataloader::Loader;
use async_graphql::Context;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use futures::future::{BoxFuture, FutureExt};
use uuid::Uuid;

/// The values of `keys`, each org's ids read by `read` in one transaction
/// bound to that org; `read` returns (id, value) pairs.
async fn per_org<T, F>(
    db: &Db,
    keys: &[(Uuid, String)],
    read: F,
) -> Result<HashMap<(Uuid, String), T>, Arc<Error>>
where
    T: Send,
    F: Sync
        + for<'c> Fn(
            &'c mut AsyncPgConnection,
            Uuid,
            &'c [String],
        ) -> BoxFuture<'c, diesel::QueryResult<Vec<(String, T)>>>,
{
    let mut by_org: BTreeMap<Uuid, Vec<String>> = BTreeMap::new();
    for (org, id) in keys {
        by_org.entry(*org).or_default().push(id.clone());
    }
    let mut conn = db.app().await.map_err(Arc::new)?;
    let mut found = HashMap::new();
    for (org, ids) in by_org {
        let rows = conn
            .transaction::<_, Error, _>(async |tx| {
                set_org(tx, org).await?;
                Ok(read(tx, org, &ids).await?)
            })
            .await
            .map_err(Arc::new)?;
        found.extend(rows.into_iter().map(|(id, value)| ((org, id), value)));
    }
    Ok(found)
}

pub struct UserLoader {
    pub db: Db,
}

impl Loader<(Uuid, String)> for UserLoader {
    type Value = UserRow;
    type Error = Arc<Error>;

    async fn load(
        &self,
        keys: &[(Uuid, String)],
    ) -> Result<HashMap<(Uuid, String), UserRow>, Self::Error> {
        per_org(&self.db, keys, |tx, org, ids| {
            async move {
                let rows = user::by_ids(tx, org, ids).await?;
                Ok(rows.into_iter().map(|r| (r.user_id.clone(), r)).collect())
            }
            .boxed()
        })
        .await
    }
}

/// Roles and access set in agentmon, per (org, user).
pub struct MemberLoader {
    pub db: Db,
}

impl Loader<(Uuid, String)> for MemberLoader {
    type Value = agentmon_core::storage::models::member::Member;
    type Error = Arc<Error>;

    async fn load(
        &self,
        keys: &[(Uuid, String)],
    ) -> Result<HashMap<(Uuid, String), Self::Value>, Self::Error> {
        per_org(&self.db, keys, |tx, org, ids| {
            async move {
                let rows = agentmon_core::storage::models::member::by_ids(tx, org, ids).await?;
                Ok(rows.into_iter().map(|r| (r.user_id.clone(), r)).collect())
            }
            .boxed()
        })
        .await
    }
}

/// A session's title: its first user message, per (org, session).
pub struct TitleLoader {
    pub db: Db,
}

impl Loader<(Uuid, String)> for TitleLoader {
    type Value = String;
    type Error = Arc<Error>;

    async fn load(
        &self,
        keys: &[(Uuid, String)],
    ) -> Result<HashMap<(Uuid, String), String>, Self::Error> {
        per_org(&self.db, keys, |tx, org, ids| {
            agentmon_core::storage::models::event::first_user_messages(tx, org, ids).boxed()
        })
        .await
    }
}

type Loaded<L> = async_graphql::dataloader::DataLoader<L>;

fn loaded<L: Loader<(Uuid, String)>>(loader: L) -> Loaded<L> {
    async_graphql::dataloader::DataLoader::new(loader, tokio::spawn)
}

/// The loaders of one request (or websocket connection), in its data.
pub struct Loaders {
    db: Db,
    users: OnceLock<Loaded<UserLoader>>,
    members: OnceLock<Loaded<MemberLoader>>,
    titles: OnceLock<Loaded<TitleLoader>>,
}

impl Loaders {
    /// Loaders reading from `db` (the request's, so a replica when it reads
    /// from one), shared by the request's operations.
    pub fn new(db: &Db) -> Arc<Self> {
        Arc::new(Loaders {
            db: db.clone(),
            users: OnceLock::new(),
            members: OnceLock::new(),
            titles: OnceLock::new(),
        })
    }

    /// The loaders of the request behind `ctx`.
    pub fn of<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a Loaders> {
        Ok(ctx.data::<Arc<Loaders>>()?)
    }

    pub fn users(&self) -> &Loaded<UserLoader> {
        self.users.get_or_init(|| {
            loaded(UserLoader {
                db: self.db.clone(),
            })
        })
    }

    pub fn members(&self) -> &Loaded<MemberLoader> {
        self.members.get_or_init(|| {
            loaded(MemberLoader {
                db: self.db.clone(),
            })
        })
    }

    pub fn titles(&self) -> &Loaded<TitleLoader> {
        self.titles.get_or_init(|| {
            loaded(TitleLoader {
                db: self.db.clone(),
            })
        })
    }
}
