//! Who is calling: JWT verification and minting, and the principal a token
//! stands for (SPEC section 4).

pub mod api_key;
mod jwt;
pub mod policy;
mod principal;
mod verified;

pub use api_key::ApiKeys;
pub use jwt::{Authenticator, JwtSettings, MintRequest};
pub use principal::{OrgScope, Principal, ProducerPrincipal, Role, UserPrincipal};
