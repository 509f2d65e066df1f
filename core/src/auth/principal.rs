//! The principal behind a request: a dashboard user with a role, or a
//! producer allowed to ingest for some orgs.

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Role {
    Member,
    Manager,
    OrgAdmin,
    Support,
    SuperAdmin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Member => "MEMBER",
            Role::Manager => "MANAGER",
            Role::OrgAdmin => "ORG_ADMIN",
            Role::Support => "SUPPORT",
            Role::SuperAdmin => "SUPER_ADMIN",
        }
    }

    /// SUPPORT and SUPER_ADMIN see every org; the others only their own.
    pub fn is_cross_org(self) -> bool {
        matches!(self, Role::Support | Role::SuperAdmin)
    }
}

impl std::str::FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        serde_json::from_value(serde_json::Value::String(s.to_ascii_uppercase())).map_err(|_| {
            format!("unknown role {s:?}; use MEMBER, MANAGER, ORG_ADMIN, SUPPORT or SUPER_ADMIN")
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserPrincipal {
    pub sub: String,
    pub role: Role,
    /// The org slug; always present for MEMBER, MANAGER and ORG_ADMIN.
    pub org: Option<String>,
}

/// The orgs a producer may write to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrgScope {
    All,
    Only(Vec<String>),
}

impl OrgScope {
    pub fn allows(&self, slug: &str) -> bool {
        match self {
            OrgScope::All => true,
            OrgScope::Only(slugs) => slugs.iter().any(|s| s == slug),
        }
    }

    pub fn from_list(orgs: &[String]) -> Self {
        if orgs.iter().any(|o| o == "*") {
            OrgScope::All
        } else {
            OrgScope::Only(orgs.to_vec())
        }
    }
}

/// A producer: who it is (for its rate limit and the audit log) and the
/// orgs it may write to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProducerPrincipal {
    /// `jwt:<sub>` for an ingest token, `key:<id>` for an API key.
    pub id: String,
    pub scope: OrgScope,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    User(UserPrincipal),
    Producer(ProducerPrincipal),
}

impl Principal {
    /// The dashboard user behind the request; producers may only ingest.
    pub fn user(&self) -> Result<&UserPrincipal> {
        match self {
            Principal::User(user) => Ok(user),
            Principal::Producer(_) => Err(Error::Forbidden(
                "an ingest token can only call ingestEvents; use a user token to read".into(),
            )),
        }
    }

    pub fn producer(&self) -> Result<&ProducerPrincipal> {
        match self {
            Principal::Producer(producer) => Ok(producer),
            Principal::User(_) => Err(Error::Forbidden(
                "ingestEvents needs an ingest token (scope \"ingest\"); user tokens cannot ingest"
                    .into(),
            )),
        }
    }
}

impl UserPrincipal {
    /// SUPPORT and SUPER_ADMIN see every org; other roles their own.
    pub fn may_see_org(&self, slug: &str) -> bool {
        self.role.is_cross_org() || self.org.as_deref() == Some(slug)
    }
}
