//! DataLoaders, made for each request: a list of sessions with their users
//! costs one users query, not one per row.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use agentmon_core::storage::db::{set_org, Db};
use agentmon_core::storage::models::user::{self, UserRow};
use agentmon_core::Error;
use async_graphql::dataloader::Loader;
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

type Loaded<L> = Arc<async_graphql::dataloader::DataLoader<L>>;

fn loaded<L: Loader<(Uuid, String)>>(loader: L) -> Loaded<L> {
    Arc::new(async_graphql::dataloader::DataLoader::new(
        loader,
        tokio::spawn,
    ))
}

/// The loaders of one request (or websocket connection).
pub struct Loaders {
    pub users: Loaded<UserLoader>,
    pub members: Loaded<MemberLoader>,
    pub titles: Loaded<TitleLoader>,
}

pub fn for_request(db: &Db) -> Loaders {
    Loaders {
        users: loaded(UserLoader { db: db.clone() }),
        members: loaded(MemberLoader { db: db.clone() }),
        titles: loaded(TitleLoader { db: db.clone() }),
    }
}

/// The loaders of a websocket connection, in its data.
pub fn insert(data: &mut async_graphql::Data, db: &Db) {
    let loaders = for_request(db);
    data.insert(loaders.users);
    data.insert(loaders.members);
    data.insert(loaders.titles);
}
