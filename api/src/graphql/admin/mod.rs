//! Administration over GraphQL: orgs, producer keys, roles and access,
//! teams, breakdown keys, erasure, jobs, dead letters and the audit log,
//! with the admin's views of them. Each mutation checks the policy
//! (`OrgAdmin`: ORG_ADMIN of the org or SUPER_ADMIN; `Platform`:
//! SUPER_ADMIN) and calls its action in `crate::actions`, which writes the
//! audit entry in the action's transaction.

pub mod audit;
pub mod breakdown_keys;
pub mod dead_letters;
pub mod keys;
pub mod lifecycle;
pub mod members;
pub mod orgs;
pub mod prices;
pub mod teams;

use async_graphql::MergedObject;

#[derive(MergedObject, Default)]
pub struct AdminMutation(
    keys::KeyMutation,
    members::MemberMutation,
    teams::TeamMutation,
    lifecycle::LifecycleMutation,
    dead_letters::DeadLetterMutation,
);

#[derive(MergedObject, Default)]
pub struct AdminQuery(
    keys::KeyQuery,
    audit::AuditQuery,
    lifecycle::LifecycleQuery,
    dead_letters::DeadLetterQuery,
);
