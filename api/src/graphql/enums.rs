//! agentmon's enums as GraphQL sees them, mirrored from `agentmon-core`
//! (which carries no GraphQL types): async-graphql's remote enums convert
//! both ways.

use async_graphql::Enum;

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(name = "Role", remote = "agentmon_core::auth::Role")]
pub enum RoleValue {
    Member,
    Manager,
    OrgAdmin,
    Support,
    SuperAdmin,
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(
    name = "OrgStatus",
    remote = "agentmon_core::storage::models::org::OrgStatus"
)]
pub enum OrgStatusValue {
    Active,
    Suspended,
}
