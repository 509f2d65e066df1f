//! A channel's target: an http(s) URL whose host resolves only to public
//! addresses — loopback, private, link-local (cloud metadata), shared,
//! unique-local and multicast addresses are refused unless the operator
//! allows them. The address is checked when the channel is made and again
//! at every delivery, and the delivery connects to the address checked
//! (a name that resolves elsewhere a moment later changes nothing).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use url::Url;

use crate::{Error, Result};

/// What the operator allows as a target.
#[derive(Debug, Clone, Copy, Default)]
pub struct WebhookPolicy {
    /// `AGENTMON_WEBHOOK_ALLOW_PRIVATE=true`: loopback and private
    /// addresses too (a receiver on the operator's own network).
    pub allow_private: bool,
}

impl WebhookPolicy {
    /// From `AGENTMON_WEBHOOK_ALLOW_PRIVATE` (`true` or `1`; anything else: no).
    pub fn from_env() -> WebhookPolicy {
        let allow = std::env::var("AGENTMON_WEBHOOK_ALLOW_PRIVATE")
            .is_ok_and(|v| matches!(v.trim(), "true" | "1"));
        WebhookPolicy {
            allow_private: allow,
        }
    }
}

/// A checked URL.
#[derive(Debug, Clone)]
pub struct Target {
    pub url: Url,
}

/// Longest URL a channel may have.
pub const MAX_URL: usize = 2_048;

impl Target {
    /// Parses `text`: an absolute http or https URL with a host, no
    /// credentials, at most [`MAX_URL`] characters.
    pub fn parse(text: &str) -> Result<Target> {
        let bad = |why: &str| Error::BadUserInput(format!("url: {why}"));
        let text = text.trim();
        if text.chars().count() > MAX_URL {
            return Err(bad(&format!("at most {MAX_URL} characters")));
        }
        let url = Url::parse(text).map_err(|e| {
            bad(&format!(
                "not a URL ({e}); give an absolute http(s) URL such as https://hooks.example.com/agentmon"
            ))
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(bad(&format!(
                "scheme {:?} is not http or https",
                url.scheme()
            )));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(bad("it names no host"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(bad(
                "credentials in the URL are not taken; put a token in its path or query",
            ));
        }
        Ok(Target { url })
    }

    /// What may be shown of the target: scheme, host and port (the path
    /// and query may hold a secret).
    pub fn shown(&self) -> String {
        let url = &self.url;
        let host = url.host_str().unwrap_or_default();
        let port = url.port_or_known_default().unwrap_or(0);
        format!("{}://{host}:{port}", url.scheme())
    }

    /// The addresses the host resolves to, every one allowed by `policy`.
    pub async fn resolve(&self, policy: WebhookPolicy) -> Result<Vec<SocketAddr>> {
        let host = self.url.host_str().unwrap_or_default();
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let port = self.url.port_or_known_default().unwrap_or(443);
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
            .await
            .map_err(|e| Error::BadUserInput(format!("url: cannot resolve {host:?}: {e}")))?
            .collect();
        if addrs.is_empty() {
            return Err(Error::BadUserInput(format!(
                "url: {host:?} resolves to no address"
            )));
        }
        if !policy.allow_private {
            if let Some(refused) = addrs.iter().find(|a| !is_public(a.ip())) {
                return Err(Error::BadUserInput(format!(
                    "url: {host:?} is a loopback, private, link-local or otherwise internal address ({}); \
                     agentmon sends only to public addresses unless its operator sets \
                     AGENTMON_WEBHOOK_ALLOW_PRIVATE=true",
                    refused.ip()
                )));
            }
        }
        Ok(addrs)
    }
}

/// Whether `ip` is a public unicast address.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => public_v4(v4),
            None => public_v6(v6),
        },
    }
}

fn public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    let shared = a == 100 && (64..128).contains(&b); // 100.64.0.0/10
    let this_network = a == 0;
    let reserved = a >= 240;
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || shared
        || this_network
        || reserved)
}

fn public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    let unique_local = first & 0xfe00 == 0xfc00; // fc00::/7
    let link_local = first & 0xffc0 == 0xfe80; // fe80::/10
    let documentation = first == 0x2001 && ip.segments()[1] == 0x0db8;
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || unique_local
        || link_local
        || documentation)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_addresses_are_not_public() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111"] {
            assert!(is_public(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn a_target_shows_no_path_and_takes_no_credentials() {
        let t = Target::parse("https://hooks.slack.com/services/T0/B0/secret?x=1").unwrap();
        assert_eq!(t.shown(), "https://hooks.slack.com:443");
        for bad in [
            "ftp://example.com/x",
            "not a url",
            "https://user:pw@example.com/",
            "https://",
        ] {
            assert!(Target::parse(bad).is_err(), "{bad}");
        }
    }
}
