//! Logs through `tracing`: readable by default, JSON lines with
//! `AGENTMON_LOG_FORMAT=json`; the level from `RUST_LOG` (default `info`).
//! Every line logged while serving a request carries its `request_id`.

use tracing_subscriber::EnvFilter;

pub fn init() {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,tower_http=info,async_graphql=warn"));
    let json = std::env::var("AGENTMON_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if json {
        builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .try_init()
    } else {
        builder.try_init()
    };
}
