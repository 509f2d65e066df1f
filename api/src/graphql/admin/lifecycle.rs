//! The data lifecycle over GraphQL: `eraseUser` and `Org.erasures` (ORG_ADMIN
//! of the org, SUPER_ADMIN), `replay` and `Query.jobs` (SUPER_ADMIN),
//! `Query.job` (SUPER_ADMIN, and an ORG_ADMIN for their org's jobs). The
//! work runs as jobs in the worker; these answer at once.

use agentmon_core::auth::policy::{self, Capability};
use agentmon_core::auth::Role;
use agentmon_core::storage::db::set_org;
use agentmon_core::storage::models::erasure::{self, Erasure};
use agentmon_core::storage::models::job::{self, Job};
use agentmon_core::Error;
use async_graphql::{Context, Enum, Object, ID};
use chrono::{DateTime, Utc};
use diesel_async::AsyncConnection;

use crate::actions::{self, input};
use crate::graphql::access::{administered, authorize, find_org, in_org, Access};
use crate::graphql::context::{db, GqlResult, RequestContext};
use crate::graphql::paging::{page_size, List};

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(name = "JobStatus")]
pub enum JobStatusValue {
    Queued,
    Running,
    Succeeded,
    Failed,
}

pub struct JobObject(pub Job);

#[Object(name = "Job")]
impl JobObject {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// REPLAY, TIMEZONE_CHANGE, RETENTION or ERASURE.
    async fn kind(&self) -> &str {
        &self.0.kind
    }
    /// The org's slug; null for a job over every org.
    async fn org(&self) -> Option<&str> {
        self.0.org_slug.as_deref()
    }
    async fn status(&self) -> JobStatusValue {
        match self.0.status.as_str() {
            "RUNNING" => JobStatusValue::Running,
            "SUCCEEDED" => JobStatusValue::Succeeded,
            "FAILED" => JobStatusValue::Failed,
            _ => JobStatusValue::Queued,
        }
    }
    /// 0 to 1.
    async fn progress(&self) -> f64 {
        self.0.progress
    }
    async fn created_by(&self) -> &str {
        &self.0.created_by
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn finished_at(&self) -> Option<DateTime<Utc>> {
        self.0.finished_at
    }
    /// Why the job failed (or, while it is queued again, what interrupted it).
    async fn error(&self) -> Option<&str> {
        self.0.error.as_deref()
    }
    /// Times the job was started (a job taken over counts again).
    async fn attempts(&self) -> i32 {
        self.0.attempts
    }
    /// What the job did, once it succeeded (counts, partitions dropped).
    async fn result(&self) -> Option<async_graphql::Json<serde_json::Value>> {
        self.0.result.clone().map(async_graphql::Json)
    }
}

pub struct ErasureObject(pub Erasure);

#[Object(name = "Erasure")]
impl ErasureObject {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn user_id(&self) -> &str {
        &self.0.user_id
    }
    async fn requested_by(&self) -> &str {
        &self.0.requested_by
    }
    async fn requested_at(&self) -> DateTime<Utc> {
        self.0.requested_at
    }
    /// Null while its job runs.
    async fn completed_at(&self) -> Option<DateTime<Utc>> {
        self.0.completed_at
    }
    /// Events removed.
    async fn events(&self) -> i32 {
        clamp(self.0.events)
    }
    async fn sessions(&self) -> i32 {
        clamp(self.0.sessions)
    }
    async fn runs(&self) -> i32 {
        clamp(self.0.runs)
    }
    /// The job doing the erasure: follow its progress with `job(id:)`.
    async fn job_id(&self) -> ID {
        ID(self.0.job_id.to_string())
    }
}

fn clamp(n: i64) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

fn job_id(id: &ID) -> Result<uuid::Uuid, Error> {
    id.parse()
        .map_err(|_| Error::BadUserInput(format!("{:?} is not a job id", id.as_str())))
}

/// `Org.erasures`: ORG_ADMIN of the org and SUPER_ADMIN, newest first.
pub async fn of_org(
    ctx: &Context<'_>,
    org: &agentmon_core::storage::models::org::Org,
) -> async_graphql::Result<Vec<ErasureObject>> {
    authorize(ctx, org, Capability::OrgAdmin).await?;
    let org_id = org.id;
    let rows = in_org!(ctx, org_id, |tx| erasure::of_org(tx, org_id).await?)?;
    Ok(rows.into_iter().map(ErasureObject).collect())
}

#[derive(Default)]
pub struct LifecycleQuery;

#[Object]
impl LifecycleQuery {
    /// SUPER_ADMIN: the newest jobs, newest first.
    async fn jobs(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 50)] first: Option<i32>,
    ) -> async_graphql::Result<Vec<JobObject>> {
        let viewer = RequestContext::of(ctx)?.user().gql()?;
        policy::check(viewer, Capability::Platform, None).gql()?;
        let first = page_size(List::Items, first).gql()?;
        let mut conn = db(ctx)?.owner().await.gql()?;
        let jobs = job::newest(&mut conn, first).await.gql()?;
        Ok(jobs.into_iter().map(JobObject).collect())
    }

    /// SUPER_ADMIN any job; an ORG_ADMIN the jobs of their org (others are null).
    async fn job(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<JobObject>> {
        let request = RequestContext::of(ctx)?;
        let viewer = request.user().gql()?;
        let id = job_id(&id).gql()?;
        let db = db(ctx)?;
        if viewer.role == Role::SuperAdmin {
            let mut conn = db.owner().await.gql()?;
            return Ok(job::by_id(&mut conn, id).await.gql()?.map(JobObject));
        }
        let Some(slug) = viewer.org.as_deref() else {
            return Err(Error::Forbidden(
                "jobs are for org admins and SUPER_ADMIN".into(),
            ))
            .gql();
        };
        let found = find_org(
            db,
            &request.audited,
            viewer,
            slug,
            Capability::OrgAdmin,
            Access::Query,
        )
        .await
        .gql()?;
        let mut conn = db.app().await.gql()?;
        let row = conn
            .transaction::<_, Error, _>(async |tx| {
                set_org(tx, found.id).await?;
                job::by_id(tx, id).await
            })
            .await
            .gql()?;
        Ok(row.map(JobObject))
    }
}

#[derive(Default)]
pub struct LifecycleMutation;

#[Object]
impl LifecycleMutation {
    /// Removes every trace of one user's data from the org (ORG_ADMIN of the
    /// org, SUPER_ADMIN). Answers at once with the receipt; it completes
    /// when its job ends.
    async fn erase_user(
        &self,
        ctx: &Context<'_>,
        org: String,
        user_id: String,
    ) -> async_graphql::Result<ErasureObject> {
        let user_id = input::user_id(&user_id).gql()?;
        let (viewer, found) = administered(ctx, &org).await?;
        let receipt = actions::erasure::erase_user(db(ctx)?, viewer, &found, user_id)
            .await
            .gql()?;
        Ok(ErasureObject(receipt))
    }

    /// SUPER_ADMIN: rebuilds the read models of one org (or every org) from
    /// the stored events, with every projector (or the one named), as a job.
    async fn replay(
        &self,
        ctx: &Context<'_>,
        org: Option<String>,
        projector: Option<String>,
    ) -> async_graphql::Result<JobObject> {
        let viewer = RequestContext::of(ctx)?.user().gql()?;
        policy::check(viewer, Capability::Platform, None).gql()?;
        let db = db(ctx)?;
        let found = crate::graphql::access::platform_org(ctx, org.as_deref()).await?;
        let queued = actions::jobs::queue_replay(db, viewer, found.as_ref(), projector.as_deref())
            .await
            .gql()?;
        Ok(JobObject(queued))
    }
}
