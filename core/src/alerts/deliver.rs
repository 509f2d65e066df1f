//! One delivery attempt: the body POSTed as JSON with
//! `X-Agentmon-Signature: sha256=<HMAC-SHA256 of the body with the
//! channel's secret, hex>` and `X-Agentmon-Delivery: <id>` (the same id on
//! every attempt), to an address the policy allows, redirects not
//! followed. What came back says whether to try again: timeouts, refused
//! connections, 429 and 5xx are worth another attempt; other answers are
//! not.

use std::fmt::Write;
use std::time::Duration;

use hmac::{Hmac, Mac};
use sha2::Sha256;
use uuid::Uuid;

use super::target::{Target, Unsendable, WebhookPolicy};

/// A channel's new signing secret: 256 random bits, `whsec_` and
/// URL-safe base64.
pub fn new_secret() -> String {
    use base64::Engine;
    let bytes: [u8; 32] = rand::random();
    format!(
        "whsec_{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

/// A body ready to send: its bytes, its delivery id and its signature.
#[derive(Debug, Clone)]
pub struct Signed {
    pub delivery_id: Uuid,
    pub body: Vec<u8>,
    /// `sha256=` and the hex HMAC of `body`.
    pub signature: String,
}

impl Signed {
    pub fn new(secret: &str, delivery_id: Uuid, body: &serde_json::Value) -> Signed {
        let body = serde_json::to_vec(body).unwrap_or_default();
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
            .unwrap_or_else(|_| unreachable!("HMAC takes a key of any length"));
        mac.update(&body);
        let mut signature = String::from("sha256=");
        for byte in mac.finalize().into_bytes() {
            let _ = write!(signature, "{byte:02x}");
        }
        Signed {
            delivery_id,
            body,
            signature,
        }
    }
}

/// What one attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    pub delivered: bool,
    /// The receiver's HTTP status, when it answered.
    pub response_status: Option<u16>,
    /// Why it was not delivered (never the URL's path).
    pub error: Option<String>,
    /// Whether another attempt may succeed.
    pub retry: bool,
}

impl Attempt {
    fn failed(error: String, retry: bool, status: Option<u16>) -> Attempt {
        Attempt {
            delivered: false,
            response_status: status,
            error: Some(error),
            retry,
        }
    }
}

/// How long a receiver has to answer.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// POSTs `signed` to a channel's `url` (as stored), within [`TIMEOUT`]:
/// a URL that no longer parses fails for good.
pub async fn send_to(url: &str, policy: WebhookPolicy, signed: &Signed) -> Attempt {
    match Target::parse(url) {
        Ok(target) => send(&target, policy, signed, TIMEOUT).await,
        Err(e) => Attempt::failed(e.to_string(), false, None),
    }
}

/// POSTs `signed` to `target`, connecting only to an address `policy`
/// allows.
pub async fn send(
    target: &Target,
    policy: WebhookPolicy,
    signed: &Signed,
    timeout: Duration,
) -> Attempt {
    let addrs = match target.resolve(policy).await {
        Ok(addrs) => addrs,
        // A name that no longer resolves may again; one that now points
        // inside the network is refused for good.
        Err(why) => {
            let retry = matches!(why, Unsendable::Unresolved(_));
            return Attempt::failed(why.to_string(), retry, None);
        }
    };
    let host = target.url.host_str().unwrap_or_default().to_string();
    // No proxy (HTTP_PROXY and the like): a proxy would resolve the name
    // again, past the address checked, and see the whole URL.
    let client = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .connect_timeout(timeout)
        .resolve_to_addrs(&host, &addrs)
        .user_agent(concat!("agentmon/", env!("CARGO_PKG_VERSION")))
        .build();
    let client = match client {
        Ok(c) => c,
        Err(e) => return Attempt::failed(format!("cannot send: {}", e.without_url()), false, None),
    };
    let response = client
        .post(target.url.clone())
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header("X-Agentmon-Signature", &signed.signature)
        .header("X-Agentmon-Delivery", signed.delivery_id.to_string())
        .body(signed.body.clone())
        .send()
        .await;
    match response {
        Ok(r) => {
            let status = r.status();
            let code = Some(status.as_u16());
            if status.is_success() {
                return Attempt {
                    delivered: true,
                    response_status: code,
                    error: None,
                    retry: false,
                };
            }
            let retry = status.as_u16() == 429 || status.is_server_error();
            let why = if status.is_redirection() {
                format!("the receiver answered {status}: redirects are not followed; give the final URL")
            } else {
                format!("the receiver answered {status}")
            };
            Attempt::failed(why, retry, code)
        }
        Err(e) => {
            let what = if e.is_timeout() {
                format!("no answer within {} s", timeout.as_secs())
            } else if e.is_connect() {
                format!("cannot connect: {}", e.without_url())
            } else {
                format!("cannot send: {}", e.without_url())
            };
            Attempt::failed(what, true, None)
        }
    }
}
