//! `agentmon token`: mints a JWT signed with the configured secret.

use agentmon_core::auth::{Authenticator, MintRequest};

use crate::cli::{AuthArgs, StorageArgs, TokenArgs};
use crate::storage::{jwt_settings, SecretFile};

pub fn run(storage: &StorageArgs, auth: &AuthArgs, args: TokenArgs) -> anyhow::Result<()> {
    let authenticator = Authenticator::new(jwt_settings(auth, storage, SecretFile::MustExist)?);
    let request = match args.role {
        Some(role) => MintRequest::User {
            sub: args.sub,
            role,
            org: args.org,
        },
        None => MintRequest::Ingest { orgs: args.orgs },
    };
    println!("{}", authenticator.mint(&request, args.ttl)?);
    Ok(())
}
