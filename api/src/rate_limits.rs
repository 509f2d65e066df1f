//! The rate limits every path shares: events per second per org, requests
//! per minute per user (see `agentmon_core::limits`).

use agentmon_core::limits::{Budget, Limiter};

/// Events per second a producer may send into an org; requests per
/// minute a signed-in user may make.
#[derive(Clone)]
pub struct RateLimits {
    pub ingest: Limiter,
    pub requests: Limiter,
    /// Channel tests per org (`testAlertChannel`): a test button, not a
    /// way to flood a receiver through agentmon.
    pub channel_tests: Limiter,
}

/// Channel tests an org may make a minute.
pub const CHANNEL_TESTS_PER_MINUTE: u32 = 10;

/// Defaults a demo never reaches.
pub const INGEST_EVENTS_PER_SECOND: u32 = 20_000;
pub const REQUESTS_PER_MINUTE: u32 = 3_000;

impl RateLimits {
    /// `events_per_second` per org, whatever the producer (a whole call of
    /// 1,000 events always fits the burst), `requests_per_minute` per user
    /// (and per producer for calls with nothing to store); in
    /// Redis when `redis_url` is given, shared by every replica.
    pub fn new(
        events_per_second: u32,
        requests_per_minute: u32,
        redis_url: Option<&str>,
    ) -> anyhow::Result<RateLimits> {
        let burst = events_per_second.max(agentmon_core::event::MAX_EVENTS_PER_CALL as u32);
        Ok(RateLimits {
            ingest: Limiter::new(
                "ingest",
                Budget::per_second(events_per_second, burst),
                redis_url,
            )?,
            requests: Limiter::new(
                "requests",
                Budget::per_minute(requests_per_minute),
                redis_url,
            )?,
            channel_tests: Limiter::new(
                "channel_tests",
                Budget::per_minute(CHANNEL_TESTS_PER_MINUTE),
                redis_url,
            )?,
        })
    }

    pub fn defaults() -> RateLimits {
        RateLimits::new(INGEST_EVENTS_PER_SECOND, REQUESTS_PER_MINUTE, None)
            .unwrap_or_else(|e| unreachable!("in-process limits need no connection: {e}"))
    }
}
