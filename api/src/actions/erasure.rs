//! A person's data: erase one user from an org (the receipt answers at
//! once; its job removes the data in the worker).

use agentmon_core::auth::UserPrincipal;
use agentmon_core::storage::db::Db;
use agentmon_core::storage::models::erasure::{self, Erasure};
use agentmon_core::storage::models::org::Org;
use agentmon_core::Result;

use super::{audited, Audit, Scope};

/// Asks for the erasure of `user_id` from `org`; the caller has checked
/// the id with [`super::input::user_id`].
pub async fn erase_user(
    db: &Db,
    actor: &UserPrincipal,
    org: &Org,
    user_id: &str,
) -> Result<Erasure> {
    audited!(db, actor, Scope::Org(org), |tx| {
        let receipt = erasure::request(tx, org.id, user_id, &actor.sub).await?;
        let detail = serde_json::json!({ "erasure": receipt.id, "job": receipt.job_id });
        let entry = Audit::new("USER_ERASED", Some(user_id), detail);
        (receipt, entry)
    })
}
