//! The `User` node: a user of an org, as other objects link to it (a
//! session's user, a team's members, search results). Its fields are in
//! [`super::object`]; this module holds only what it is and how it loads,
//! so that every object may link to users without a circle.

use agentmon_core::storage::models::member::Member;
use agentmon_core::storage::models::org::Org;
use agentmon_core::storage::models::user::UserRow;
use async_graphql::Context;

use crate::graphql::context::GqlResult;
use crate::graphql::loaders::Loaders;

pub struct UserObject {
    pub org: Org,
    pub row: UserRow,
}

impl UserObject {
    /// A user known only by id (no row yet).
    pub fn bare(org: Org, user_id: &str) -> UserObject {
        let row = UserRow {
            org_id: org.id,
            user_id: user_id.to_string(),
            email: None,
            name: None,
            role: None,
            first_seen_at: None,
            last_active_at: None,
        };
        UserObject { org, row }
    }

    pub async fn load(
        ctx: &Context<'_>,
        org: &Org,
        user_id: &str,
    ) -> async_graphql::Result<UserObject> {
        let loader = Loaders::of(ctx)?.users();
        let row = loader
            .load_one((org.id, user_id.to_string()))
            .await
            .map_err(|e| e.again())
            .gql()?;
        Ok(match row {
            Some(row) => UserObject {
                org: org.clone(),
                row,
            },
            None => UserObject::bare(org.clone(), user_id),
        })
    }
}

impl UserObject {
    /// The user's membership of the org (role and access set in agentmon).
    pub async fn member(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Member>> {
        let loader = Loaders::of(ctx)?.members();
        loader
            .load_one((self.org.id, self.row.user_id.clone()))
            .await
            .map_err(|e| e.again())
            .gql()
    }
}
