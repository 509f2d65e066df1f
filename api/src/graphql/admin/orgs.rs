//! `createOrg` (SUPER_ADMIN) and `updateOrg` (SUPER_ADMIN; an ORG_ADMIN of
//! the org for its name, time zone and retention).

use agentmon_core::auth::policy::Capability;
use agentmon_core::auth::Role;
use agentmon_core::storage::models::org::{NewOrg, OrgChanges, OrgStatus};
use agentmon_core::Error;
use async_graphql::{Context, Object};

use crate::actions;
use crate::graphql::access::{find_org, Access};
use crate::graphql::context::{db, GqlResult, RequestContext};
use crate::graphql::enums::OrgStatusValue;
use crate::graphql::orgs::OrgObject;

#[derive(Default)]
pub struct OrgMutation;

#[Object]
impl OrgMutation {
    /// SUPER_ADMIN only.
    async fn create_org(
        &self,
        ctx: &Context<'_>,
        slug: String,
        name: String,
        #[graphql(default_with = "Some(\"UTC\".to_string())")] timezone: Option<String>,
    ) -> async_graphql::Result<OrgObject> {
        let user = RequestContext::of(ctx)?.user().gql()?;
        if user.role != Role::SuperAdmin {
            return Err(Error::Forbidden(
                "only a SUPER_ADMIN may create orgs".into(),
            ))
            .gql();
        }
        let new = NewOrg {
            slug,
            name,
            timezone: timezone.unwrap_or_else(|| "UTC".into()),
        };
        let created = actions::orgs::create(db(ctx)?, user, &new).await.gql()?;
        Ok(OrgObject(created))
    }

    /// SUPER_ADMIN; an ORG_ADMIN of the org may change name, timezone and
    /// retentionDays (1 to 3,650), not status. A new time zone rebuilds the
    /// org's day rollups and a new retention removes what is now too old,
    /// each as a job (`Query.job`, `Query.jobs`).
    async fn update_org(
        &self,
        ctx: &Context<'_>,
        slug: String,
        name: Option<String>,
        timezone: Option<String>,
        status: Option<OrgStatusValue>,
        retention_days: Option<i32>,
    ) -> async_graphql::Result<OrgObject> {
        let request = RequestContext::of(ctx)?;
        let user = request.user().gql()?;
        if user.role != Role::SuperAdmin {
            find_org(
                db(ctx)?,
                &request.audited,
                user,
                &slug,
                Capability::OrgAdmin,
                Access::Query,
            )
            .await
            .gql()?;
            if status.is_some() {
                return Err(Error::Forbidden(
                    "only a SUPER_ADMIN may suspend or reactivate an org".into(),
                ))
                .gql();
            }
        }
        let changes = OrgChanges {
            retention_days,
            name,
            timezone,
            status: status.map(|s| match OrgStatus::from(s) {
                OrgStatus::Active => "ACTIVE".to_string(),
                OrgStatus::Suspended => "SUSPENDED".to_string(),
            }),
        };
        let (updated, _jobs) = actions::orgs::update(db(ctx)?, user, &slug, changes)
            .await
            .gql()?;
        Ok(OrgObject(updated))
    }
}
