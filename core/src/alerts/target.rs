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
        // Percent-encoding can lengthen it.
        if url.as_str().len() > MAX_URL {
            return Err(bad(&format!("at most {MAX_URL} characters once encoded")));
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
    pub async fn resolve(
        &self,
        policy: WebhookPolicy,
    ) -> std::result::Result<Vec<SocketAddr>, Unsendable> {
        let host = self.url.host_str().unwrap_or_default();
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let port = self.url.port_or_known_default().unwrap_or(443);
        // Bounded: a delivery holds its lease while it waits.
        let lookup = tokio::time::timeout(LOOKUP_TIMEOUT, tokio::net::lookup_host((host, port)));
        let addrs: Vec<SocketAddr> = match lookup.await {
            Ok(Ok(addrs)) => addrs.collect(),
            Ok(Err(e)) => {
                return Err(Unsendable::Unresolved(format!(
                    "url: cannot resolve {host:?}: {e}"
                )))
            }
            Err(_) => {
                return Err(Unsendable::Unresolved(format!(
                    "url: resolving {host:?} took over {} s",
                    LOOKUP_TIMEOUT.as_secs()
                )))
            }
        };
        if addrs.is_empty() {
            return Err(Unsendable::Unresolved(format!(
                "url: {host:?} resolves to no address"
            )));
        }
        // Cloud metadata endpoints hold credentials: never, whatever the policy.
        if addrs.iter().any(|a| is_metadata(a.ip())) {
            return Err(Unsendable::Refused(format!(
                "url: {host:?} is a cloud metadata address; agentmon never sends there"
            )));
        }
        if !policy.allow_private && addrs.iter().any(|a| !is_public(a.ip())) {
            return Err(Unsendable::Refused(format!(
                "url: {host:?} is a loopback, private, link-local or otherwise {INTERNAL}; \
                 agentmon sends only to public addresses unless its operator sets \
                 AGENTMON_WEBHOOK_ALLOW_PRIVATE=true"
            )));
        }
        Ok(addrs)
    }
}

/// The longest a target's name may take to resolve.
const LOOKUP_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Why a target cannot be sent to now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unsendable {
    /// Its name does not resolve (now): it may again.
    Unresolved(String),
    /// It resolves to an address agentmon does not send to: for good.
    Refused(String),
}

impl std::fmt::Display for Unsendable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unsendable::Unresolved(m) | Unsendable::Refused(m) => f.write_str(m),
        }
    }
}

impl From<Unsendable> for Error {
    fn from(why: Unsendable) -> Error {
        Error::BadUserInput(why.to_string())
    }
}

/// How a refusal names a non-public address.
const INTERNAL: &str = "internal address";

/// Whether `ip` is a cloud provider's metadata endpoint (AWS, GCP, Azure,
/// and AWS's IPv6 one).
pub fn is_metadata(ip: IpAddr) -> bool {
    let v4 = match ip {
        IpAddr::V4(v4) => Some(v4),
        IpAddr::V6(v6) => v6.to_ipv4_mapped(),
    };
    v4 == Some(Ipv4Addr::new(169, 254, 169, 254))
        || ip == IpAddr::V6(Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254))
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
    let benchmarking = a == 198 && (b == 18 || b == 19); // 198.18.0.0/15
    let protocol = a == 192 && b == 0 && ip.octets()[2] == 0; // 192.0.0.0/24
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || shared
        || this_network
        || reserved
        || benchmarking
        || protocol)
}

fn public_v6(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    // Addresses that carry an IPv4 one: IPv4-compatible (::a.b.c.d) and
    // NAT64 (64:ff9b::/96) reach that IPv4 address.
    let embedded = |hi: u16, lo: u16| Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
    if s[..6] == [0; 6] && !(ip.is_loopback() || ip.is_unspecified()) {
        return public_v4(embedded(s[6], s[7]));
    }
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return public_v4(embedded(s[6], s[7]));
    }
    let local_nat64 = s[0] == 0x64 && s[1] == 0xff9b && s[2] == 1; // 64:ff9b:1::/48
    let six_to_four = s[0] == 0x2002; // 2002::/16 tunnels to an IPv4 address
    let unique_local = s[0] & 0xfe00 == 0xfc00; // fc00::/7
    let link_local = s[0] & 0xffc0 == 0xfe80; // fe80::/10
    let site_local = s[0] & 0xffc0 == 0xfec0; // fec0::/10, deprecated
    let documentation = s[0] == 0x2001 && s[1] == 0x0db8;
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || local_nat64
        || six_to_four
        || unique_local
        || link_local
        || site_local
        || documentation)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A name that does not resolve (now) may later: retried, whatever
    /// it reads like; an address agentmon does not send to is refused for
    /// good. (A host named like "hooks.metadata…" failed for good.)
    #[tokio::test]
    async fn an_unresolved_name_is_retried_and_an_internal_address_refused() {
        let resolve = |url: &str| {
            let target = Target::parse(url).unwrap();
            async move { target.resolve(WebhookPolicy::default()).await }
        };
        let unresolved = resolve("https://hooks.metadata.invalid/x").await;
        assert!(
            matches!(unresolved, Err(Unsendable::Unresolved(_))),
            "{unresolved:?}"
        );
        for url in [
            "http://127.0.0.1:9/x",
            "http://169.254.169.254/latest",
            "http://[::1]/x",
        ] {
            let refused = resolve(url).await;
            assert!(
                matches!(refused, Err(Unsendable::Refused(_))),
                "{url}: {refused:?}"
            );
        }
    }

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
            "::7f00:1",
            "64:ff9b::a00:1",
            "64:ff9b:1::1",
            "2002:7f00:1::1",
            "fec0::1",
            "198.18.0.1",
            "192.0.0.8",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
        for ip in [
            "93.184.216.34",
            "1.1.1.1",
            "2606:4700:4700::1111",
            "64:ff9b::5db8:d822",
        ] {
            assert!(is_public(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn metadata_endpoints_are_known() {
        for ip in ["169.254.169.254", "::ffff:169.254.169.254", "fd00:ec2::254"] {
            assert!(is_metadata(ip.parse().unwrap()), "{ip}");
        }
        assert!(!is_metadata("169.254.169.253".parse().unwrap()));
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
