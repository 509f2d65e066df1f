//! Who may see what (SPEC section 4), as one table that every resolver and
//! export asks. Isolation also holds in the database (row-level security).

use super::{Role, UserPrincipal};
use crate::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Capability {
    /// An org's overview and daily figures.
    OrgOverview,
    /// `topUsers`, the users list, other users' pages.
    People,
    /// The viewer's own sessions and user page.
    OwnSessions,
    /// Other users' sessions.
    OthersSessions,
    /// Users, roles, keys, retention, export, erasure.
    OrgAdmin,
    /// The global overview, creating and suspending orgs, dead letters, replay.
    Platform,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reach {
    No,
    OwnOrg,
    AnyOrg,
}

use Capability::*;
use Reach::*;

/// Columns: MEMBER, MANAGER, ORG_ADMIN, SUPPORT, SUPER_ADMIN.
const TABLE: [(Capability, [Reach; 5]); 6] = [
    (OrgOverview, [OwnOrg, OwnOrg, OwnOrg, AnyOrg, AnyOrg]),
    (People, [No, OwnOrg, OwnOrg, AnyOrg, AnyOrg]),
    (OwnSessions, [OwnOrg, OwnOrg, OwnOrg, AnyOrg, AnyOrg]),
    (OthersSessions, [No, OwnOrg, OwnOrg, AnyOrg, AnyOrg]),
    (OrgAdmin, [No, No, OwnOrg, No, AnyOrg]),
    (Platform, [No, No, No, No, AnyOrg]),
];

fn column(role: Role) -> usize {
    match role {
        Role::Member => 0,
        Role::Manager => 1,
        Role::OrgAdmin => 2,
        Role::Support => 3,
        Role::SuperAdmin => 4,
    }
}

/// May `user` use `capability` on org `org` (`None` for platform-wide)?
pub fn allows(user: &UserPrincipal, capability: Capability, org: Option<&str>) -> bool {
    let reach = TABLE
        .iter()
        .find(|(c, _)| *c == capability)
        .map_or(No, |(_, reaches)| reaches[column(user.role)]);
    match (reach, org) {
        (No, _) => false,
        (AnyOrg, _) => true,
        (OwnOrg, Some(slug)) => user.org.as_deref() == Some(slug),
        (OwnOrg, None) => false,
    }
}

/// Like [`allows`], as a `FORBIDDEN` error that says what is missing.
pub fn check(user: &UserPrincipal, capability: Capability, org: Option<&str>) -> Result<()> {
    if allows(user, capability, org) {
        return Ok(());
    }
    let what = match capability {
        OrgOverview => "this org's figures",
        People => "other users' figures",
        OwnSessions => "sessions of this org",
        OthersSessions => "other users' sessions",
        OrgAdmin => "org administration",
        Platform => "platform administration",
    };
    Err(Error::Forbidden(format!(
        "a {} of {} may not see {what}",
        user.role.as_str(),
        user.org
            .as_deref()
            .map_or("no org".to_string(), |o| format!("org {o:?}"))
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(role: Role) -> UserPrincipal {
        UserPrincipal {
            sub: "u".into(),
            role,
            org: Some("acme".into()),
        }
    }

    #[test]
    fn the_table_of_spec_section_4() {
        let roles = [
            Role::Member,
            Role::Manager,
            Role::OrgAdmin,
            Role::Support,
            Role::SuperAdmin,
        ];
        let expect = |cap, own: [bool; 5], other: [bool; 5]| {
            for (i, role) in roles.iter().enumerate() {
                assert_eq!(
                    allows(&user(*role), cap, Some("acme")),
                    own[i],
                    "{cap:?} {role:?} own org"
                );
                assert_eq!(
                    allows(&user(*role), cap, Some("globex")),
                    other[i],
                    "{cap:?} {role:?} other org"
                );
            }
        };
        expect(OrgOverview, [true; 5], [false, false, false, true, true]);
        expect(
            People,
            [false, true, true, true, true],
            [false, false, false, true, true],
        );
        expect(OwnSessions, [true; 5], [false, false, false, true, true]);
        expect(
            OthersSessions,
            [false, true, true, true, true],
            [false, false, false, true, true],
        );
        expect(
            OrgAdmin,
            [false, false, true, false, true],
            [false, false, false, false, true],
        );
        expect(
            Platform,
            [false, false, false, false, true],
            [false, false, false, false, true],
        );
    }
}
