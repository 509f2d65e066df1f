//! Bearer tokens already verified: a dashboard sends the same JWT with
//! every request, and checking its signature and claims again (base64,
//! JSON and an HMAC or RSA check) was a fifth of the server's work on a
//! trivial signed-in query. Only tokens that passed are kept, under their
//! exact text, with their expiry: an entry is used only while the token would still pass
//! (`exp` plus the leeway), so an expired token fails exactly as it did
//! before. What a token stands for depends on its text and the server's
//! keys alone; the membership read after it is not kept here.

use std::time::Duration;

use super::Principal;

/// Tokens kept at most; one per signed-in browser tab or client.
const CAPACITY: u64 = 20_000;
/// An entry unused this long is dropped (a token is re-verified then).
const IDLE: Duration = Duration::from_secs(10 * 60);

#[derive(Clone)]
pub(super) struct VerifiedTokens(moka::sync::Cache<Box<str>, (Principal, i64)>);

impl Default for VerifiedTokens {
    fn default() -> Self {
        VerifiedTokens(
            moka::sync::Cache::builder()
                .max_capacity(CAPACITY)
                .time_to_idle(IDLE)
                .build(),
        )
    }
}

impl VerifiedTokens {
    /// What `token` stands for and its `exp`, if it was verified before and
    /// is still valid at `now` (seconds) give or take `leeway`.
    pub(super) fn get(&self, token: &str, now: i64, leeway: i64) -> Option<(Principal, i64)> {
        let (principal, exp) = self.0.get(token)?;
        if now > exp.saturating_add(leeway) {
            self.0.invalidate(token);
            return None;
        }
        Some((principal, exp))
    }

    /// Keeps a token that just passed verification.
    pub(super) fn keep(&self, token: &str, principal: &Principal, exp: i64) {
        self.0.insert(token.into(), (principal.clone(), exp));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::{Role, UserPrincipal};

    fn someone() -> Principal {
        Principal::User(UserPrincipal {
            sub: "ada".into(),
            role: Role::Manager,
            org: Some("acme".into()),
        })
    }

    #[test]
    fn a_kept_token_is_given_back_only_while_it_would_still_pass() {
        let kept = VerifiedTokens::default();
        kept.keep("t1", &someone(), 1_000);
        assert_eq!(kept.get("t1", 990, 30), Some((someone(), 1_000)));
        // Past `exp` but within the leeway, as the verifier allows.
        assert_eq!(kept.get("t1", 1_030, 30), Some((someone(), 1_000)));
        assert_eq!(kept.get("t1", 1_031, 30), None, "expired beyond the leeway");
        assert_eq!(kept.get("t1", 990, 30), None, "an expired entry is dropped");
    }

    #[test]
    fn only_the_exact_text_matches() {
        let kept = VerifiedTokens::default();
        kept.keep("header.claims.signature", &someone(), 1_000);
        assert_eq!(kept.get("header.claims.signaturf", 990, 30), None);
        assert_eq!(kept.get("header.claims.signatur", 990, 30), None);
    }
}
