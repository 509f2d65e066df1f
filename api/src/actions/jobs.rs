//! Work over stored events, for SUPER_ADMIN and the operator: a replay of
//! the read models, and dead letters put back on the queue.

use agentmon_core::auth::UserPrincipal;
use agentmon_core::storage::db::Db;
use agentmon_core::storage::models::dead_letter;
use agentmon_core::storage::models::job::{self, Job, Kind, NewJob};
use agentmon_core::storage::models::org::Org;
use agentmon_core::Result;

use super::{audited, Audit, Scope};

/// Queues a replay of one org (or every org), of one projector (or all).
/// An unknown projector is `BAD_USER_INPUT` naming the known ones.
pub async fn queue_replay(
    db: &Db,
    actor: &UserPrincipal,
    org: Option<&Org>,
    projector: Option<&str>,
) -> Result<Job> {
    agentmon_projectors::replay::select(agentmon_projectors::registry(), projector)?;
    audited!(db, actor, Scope::Platform, |tx| {
        let new = NewJob {
            kind: Kind::Replay,
            org_id: org.map(|o| o.id),
            params: serde_json::json!({ "projector": projector }),
            created_by: &actor.sub,
            pause_now: false,
        };
        let queued = job::create(tx, new).await?;
        let detail = serde_json::json!({ "projector": projector, "job": queued.id });
        let entry =
            Audit::new("REPLAY", org.map(|o| o.slug.as_str()), detail).under(org.map(|o| o.id));
        (queued, entry)
    })
}

/// Puts the dead letters of one org (or all) back on the queue; how many.
/// A worker projects them (again failing ones come back after their
/// attempts).
pub async fn retry_dead_letters(
    db: &Db,
    actor: &UserPrincipal,
    org: Option<&Org>,
) -> Result<usize> {
    audited!(db, actor, Scope::Platform, |tx| {
        let n = dead_letter::requeue(tx, org.map(|o| o.id)).await?;
        let detail = serde_json::json!({ "requeued": n });
        let entry = Audit::new("DEAD_LETTERS_RETRIED", org.map(|o| o.slug.as_str()), detail)
            .under(org.map(|o| o.id));
        (n, entry)
    })
}
