//! The login every request runs under: `agentmon_api`, a member of
//! `agentmon_app` only (no superuser, not the tables' owner, no BYPASSRLS),
//! so that nothing a request's SQL does — `RESET ROLE` included — leaves
//! row-level security.
//!
//! With `DATABASE_APP_URL` the operator gives that login. Otherwise its
//! password is derived from the owner's URL (HMAC-SHA-256), so every replica
//! configured with the same `DATABASE_URL` arrives at the same password, and
//! the owner sets it when the current one does not work.

use anyhow::{anyhow, Context};
use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The login role created by the migrations.
pub const APP_LOGIN: &str = "agentmon_api";

/// The URL of the request login for the database at `owner_url`, its
/// password set if needed.
pub async fn app_login(owner_url: &str) -> anyhow::Result<String> {
    let url = derived_url(owner_url)?;
    if AsyncPgConnection::establish(&url).await.is_ok() {
        return Ok(url);
    }
    let password = derived_password(owner_url);
    let mut owner = AsyncPgConnection::establish(owner_url)
        .await
        .context("cannot connect as the database owner")?;
    let mut last = None;
    // Concurrent first starts may race on the role's catalog row.
    for _ in 0..5 {
        match owner
            .batch_execute(&format!(
                "ALTER ROLE {APP_LOGIN} WITH LOGIN PASSWORD '{password}'"
            ))
            .await
        {
            Ok(()) => return Ok(url),
            Err(e) => last = Some(e),
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    Err(anyhow!(
        "cannot set the password of the {APP_LOGIN} login ({}); give its URL in DATABASE_APP_URL",
        last.map(|e| e.to_string()).unwrap_or_default()
    ))
}

/// From the owner's credentials and server, not the database: one role
/// serves every database of the cluster, so all must agree on it.
fn derived_password(owner_url: &str) -> String {
    let key = match url::Url::parse(owner_url) {
        Ok(u) => format!(
            "{}:{}@{}:{}",
            u.username(),
            u.password().unwrap_or_default(),
            u.host_str().unwrap_or_default(),
            u.port().unwrap_or(5432)
        ),
        Err(_) => owner_url.to_string(),
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes a key of any length"));
    mac.update(b"agentmon_api login");
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn derived_url(owner_url: &str) -> anyhow::Result<String> {
    let mut url = url::Url::parse(owner_url).context("DATABASE_URL is not a URL")?;
    url.set_username(APP_LOGIN)
        .map_err(|()| anyhow!("DATABASE_URL has no host"))?;
    url.set_password(Some(&derived_password(owner_url)))
        .map_err(|()| anyhow!("DATABASE_URL has no host"))?;
    Ok(url.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_login_url_keeps_the_database_and_changes_the_credentials() {
        let url = derived_url("postgres://owner:pw@127.0.0.1:5432/agentmon?sslmode=disable")
            .unwrap_or_else(|e| panic!("{e}"));
        let parsed = url::Url::parse(&url).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(parsed.username(), APP_LOGIN);
        assert_eq!(parsed.path(), "/agentmon");
        assert_eq!(parsed.query(), Some("sslmode=disable"));
        assert_eq!(parsed.password().map(str::len), Some(64));
        assert_ne!(parsed.password(), Some("pw"));
        assert_eq!(
            derived_password("postgres://a:b@h/d1"),
            derived_password("postgres://a:b@h/d2"),
            "every replica and every database of the cluster derive the same password"
        );
        assert_ne!(
            derived_password("postgres://a:b@h/d"),
            derived_password("postgres://a:c@h/d")
        );
    }
}
