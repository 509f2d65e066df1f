//! JWTs: HS256 with the shared secret, RS256/ES256 against a JWKS whose
//! key is chosen by `kid` (so keys rotate: every key in the set is valid);
//! `iss`, `aud`, `exp` and `nbf` checked with a small leeway. Minting (HS256)
//! for the CLI and tests.

use chrono::Utc;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, JwkSet, KeyAlgorithm};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use super::verified::VerifiedTokens;
use super::{OrgScope, Principal, ProducerPrincipal, Role, UserPrincipal};
use crate::{Error, Result};

/// Seconds of clock skew tolerated on `exp` and `nbf`.
const LEEWAY_SECONDS: u64 = 30;

#[derive(Clone, Debug)]
pub struct JwtSettings {
    /// Never in `Debug` output or logs.
    pub secret: secrecy::SecretString,
    pub issuer: String,
    pub audience: String,
    /// Public keys for RS256/ES256 tokens, chosen by the token's `kid`.
    pub jwks: Option<JwkSet>,
}

impl JwtSettings {
    /// A key for another purpose (`label`), derived from the HMAC secret:
    /// every replica with the same secret derives the same key.
    pub fn derived_key(&self, label: &str) -> [u8; 32] {
        use hmac::{Hmac, Mac};
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(
            secrecy::ExposeSecret::expose_secret(&self.secret).as_bytes(),
        )
        .unwrap_or_else(|_| unreachable!("HMAC takes a key of any length"));
        mac.update(label.as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// Reads a JWKS file (`{"keys": [...]}`).
    pub fn read_jwks(path: &std::path::Path) -> anyhow::Result<JwkSet> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("cannot read the JWKS file {}: {e}", path.display()))?;
        serde_json::from_str(&text).map_err(|e| {
            anyhow::anyhow!(
                "{} is not a JWKS ({{\"keys\": [...]}}): {e}",
                path.display()
            )
        })
    }
}

#[derive(Clone)]
pub struct Authenticator {
    settings: JwtSettings,
    decoding: DecodingKey,
    encoding: EncodingKey,
    validation: Validation,
    /// Tokens that passed, shared by the clones of this authenticator.
    verified: VerifiedTokens,
}

/// The claims agentmon reads; `iss`, `aud`, `exp`, `nbf` are checked by the
/// validation itself.
#[derive(Debug, Deserialize)]
struct Claims {
    exp: i64,
    sub: Option<String>,
    role: Option<Role>,
    org: Option<String>,
    scope: Option<String>,
    orgs: Option<Vec<String>>,
}

#[derive(Debug, Serialize)]
struct MintedClaims<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    sub: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    role: Option<Role>,
    #[serde(skip_serializing_if = "Option::is_none")]
    org: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    orgs: Option<&'a [String]>,
    iss: &'a str,
    aud: &'a str,
    iat: i64,
    exp: i64,
}

/// What to put in a minted token.
#[derive(Debug, Clone)]
pub enum MintRequest {
    User {
        sub: String,
        role: Role,
        org: Option<String>,
    },
    Ingest {
        orgs: Vec<String>,
    },
}

impl Authenticator {
    pub fn new(settings: JwtSettings) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[&settings.issuer]);
        validation.set_audience(&[&settings.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        validation.validate_nbf = true;
        validation.leeway = LEEWAY_SECONDS;
        Authenticator {
            decoding: DecodingKey::from_secret(
                secrecy::ExposeSecret::expose_secret(&settings.secret).as_bytes(),
            ),
            encoding: EncodingKey::from_secret(
                secrecy::ExposeSecret::expose_secret(&settings.secret).as_bytes(),
            ),
            settings,
            validation,
            verified: VerifiedTokens::default(),
        }
    }

    /// Verifies a bearer token and says who it stands for.
    pub fn verify(&self, token: &str) -> Result<Principal> {
        self.verify_with_expiry(token)
            .map(|(principal, _)| principal)
    }

    /// Like [`Authenticator::verify`], with the token's expiry.
    /// A token verified before is taken from memory while it is unexpired.
    pub fn verify_with_expiry(&self, token: &str) -> Result<(Principal, chrono::DateTime<Utc>)> {
        let now = Utc::now().timestamp();
        let (principal, exp) = match self.verified.get(token, now, LEEWAY_SECONDS as i64) {
            Some(known) => known,
            None => {
                let (principal, exp) = self.check(token)?;
                self.verified.keep(token, &principal, exp);
                (principal, exp)
            }
        };
        let expires_at = chrono::DateTime::from_timestamp(exp, 0).unwrap_or_else(Utc::now);
        Ok((principal, expires_at))
    }

    /// Checks the signature and claims of `token`: what it stands for and its `exp`.
    fn check(&self, token: &str) -> Result<(Principal, i64)> {
        let header = jsonwebtoken::decode_header(token)
            .map_err(|e| Error::Unauthenticated(explain(e.kind())))?;
        let data = match header.kid.as_deref() {
            None => jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation),
            Some(kid) => {
                let (key, algorithm) = self.public_key(kid)?;
                if header.alg != algorithm {
                    return Err(Error::Unauthenticated(format!(
                        "the token says {:?} but key {kid:?} is a {algorithm:?} key",
                        header.alg
                    )));
                }
                let mut validation = self.validation.clone();
                validation.algorithms = vec![algorithm];
                jsonwebtoken::decode::<Claims>(token, &key, &validation)
            }
        }
        .map_err(|e| Error::Unauthenticated(explain(e.kind())))?;
        let exp = data.claims.exp;
        Ok((principal(data.claims)?, exp))
    }

    /// The public key named `kid` in the JWKS, and the one algorithm it verifies.
    fn public_key(&self, kid: &str) -> Result<(DecodingKey, Algorithm)> {
        let jwk = self
            .settings
            .jwks
            .as_ref()
            .and_then(|set| set.find(kid))
            .ok_or_else(|| Error::Unauthenticated(format!("unknown key id (kid) {kid:?}")))?;
        let algorithm = algorithm_of(jwk).ok_or_else(|| {
            Error::Unauthenticated(format!("key {kid:?} is not an RS256 or ES256 key"))
        })?;
        let key = DecodingKey::from_jwk(jwk)
            .map_err(|_| Error::Unauthenticated(format!("key {kid:?} in the JWKS is unusable")))?;
        Ok((key, algorithm))
    }

    /// Signs a token for `request`, valid for `ttl`.
    pub fn mint(&self, request: &MintRequest, ttl: std::time::Duration) -> Result<String> {
        let now = Utc::now().timestamp();
        let ttl = i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX / 2);
        let mut claims = MintedClaims {
            sub: None,
            role: None,
            org: None,
            scope: None,
            orgs: None,
            iss: &self.settings.issuer,
            aud: &self.settings.audience,
            iat: now,
            exp: now.saturating_add(ttl),
        };
        match request {
            MintRequest::User { sub, role, org } => {
                if !role.is_cross_org() && org.is_none() {
                    return Err(Error::BadUserInput(format!(
                        "a {} token needs an org: give --org SLUG",
                        role.as_str()
                    )));
                }
                claims.sub = Some(sub);
                claims.role = Some(*role);
                claims.org = org.as_deref();
            }
            MintRequest::Ingest { orgs } => {
                claims.sub = Some("producer");
                claims.scope = Some("ingest");
                claims.orgs = Some(orgs);
            }
        }
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| Error::internal(format!("cannot sign a token: {e}")))
    }
}

/// RS256 for RSA keys and ES256 for P-256 keys; a key's own `alg`, when
/// given, must agree. Symmetric keys in a JWKS are never accepted.
fn algorithm_of(jwk: &Jwk) -> Option<Algorithm> {
    let by_type = match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => Algorithm::RS256,
        AlgorithmParameters::EllipticCurve(ec) if ec.curve == EllipticCurve::P256 => {
            Algorithm::ES256
        }
        _ => return None,
    };
    match jwk.common.key_algorithm {
        None => Some(by_type),
        Some(KeyAlgorithm::RS256) if by_type == Algorithm::RS256 => Some(by_type),
        Some(KeyAlgorithm::ES256) if by_type == Algorithm::ES256 => Some(by_type),
        Some(_) => None,
    }
}

fn principal(claims: Claims) -> Result<Principal> {
    if let Some(scope) = claims.scope.as_deref() {
        if scope != "ingest" {
            return Err(Error::Unauthenticated(format!(
                "unknown token scope {scope:?}; producers use scope \"ingest\""
            )));
        }
        let orgs = claims.orgs.ok_or_else(|| {
            Error::Unauthenticated(
                "an ingest token needs an \"orgs\" claim: a list of org slugs, or [\"*\"]".into(),
            )
        })?;
        return Ok(Principal::Producer(ProducerPrincipal {
            id: format!("jwt:{}", claims.sub.as_deref().unwrap_or("producer")),
            scope: OrgScope::from_list(&orgs),
        }));
    }
    let role = claims.role.ok_or_else(|| {
        Error::Unauthenticated("the token has no \"role\" claim and no ingest scope".into())
    })?;
    let sub = claims
        .sub
        .filter(|s| !s.is_empty())
        .ok_or_else(|| Error::Unauthenticated("the token has no \"sub\" claim".into()))?;
    if !role.is_cross_org() && claims.org.is_none() {
        return Err(Error::Unauthenticated(format!(
            "a {} token must name its org in the \"org\" claim",
            role.as_str()
        )));
    }
    Ok(Principal::User(UserPrincipal {
        sub,
        role,
        org: claims.org,
    }))
}

fn explain(kind: &ErrorKind) -> String {
    match kind {
        ErrorKind::ExpiredSignature => "the token has expired; sign in again or mint a new one",
        ErrorKind::ImmatureSignature => "the token is not valid yet (nbf is in the future)",
        ErrorKind::InvalidIssuer => "the token's issuer (iss) is not the one this server accepts",
        ErrorKind::InvalidAudience => "the token's audience (aud) is not this server",
        ErrorKind::InvalidSignature => {
            "the token's signature does not verify with this server's key"
        }
        ErrorKind::InvalidAlgorithm => "the token's algorithm is not accepted (HS256 expected)",
        ErrorKind::MissingRequiredClaim(_) => "the token lacks a required claim (exp, iss, aud)",
        _ => "the token is malformed; send `Authorization: Bearer <JWT>`",
    }
    .to_string()
}
