//! Rate limits: events per second a producer may send into an org, and
//! requests per minute a signed-in user may make. Generic cell rate
//! algorithm (GCRA) either way: in process with `governor`, or in Redis
//! (one small script) so that every replica shares the same budget. A
//! Redis that does not answer in time never blocks a request: the process
//! falls back to its own budget and says so in the log and in
//! `agentmon_rate_limit_errors_total`.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use redis::aio::ConnectionManager;
use tokio::sync::OnceCell;

use crate::Error;

/// How long a Redis answer may take before the local budget decides.
const REDIS_TIMEOUT: Duration = Duration::from_millis(150);

/// One budget: `rate` units per `period`, at most `burst` at once.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    pub rate: u32,
    pub period: Duration,
    pub burst: u32,
}

impl Budget {
    pub fn per_second(rate: u32, burst: u32) -> Budget {
        Budget {
            rate,
            period: Duration::from_secs(1),
            burst,
        }
    }

    pub fn per_minute(rate: u32) -> Budget {
        Budget {
            rate,
            period: Duration::from_secs(60),
            burst: rate,
        }
    }

    /// Time between two units.
    fn interval(&self) -> Duration {
        self.period / self.rate.max(1)
    }
}

#[derive(Clone)]
pub struct Limiter {
    name: &'static str,
    budget: Budget,
    local: Arc<DefaultKeyedRateLimiter<String>>,
    redis: Option<Arc<(redis::Client, OnceCell<ConnectionManager>)>>,
}

/// The GCRA step in Redis: KEYS[1] the budget's key; ARGV interval in
/// microseconds, burst tolerance in microseconds, units asked. Returns 0
/// when allowed, else microseconds to wait.
const SCRIPT: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local n = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local new_tat = tat + interval * n
local allow_at = new_tat - tolerance
if allow_at > now then return allow_at - now end
redis.call('SET', KEYS[1], new_tat, 'PX', math.ceil((new_tat - now) / 1000) + 1000)
return 0
";

impl Limiter {
    /// A limiter named `name` (the metric label and the Redis key prefix).
    pub fn new(
        name: &'static str,
        budget: Budget,
        redis_url: Option<&str>,
    ) -> anyhow::Result<Self> {
        let rate = NonZeroU32::new(budget.rate.max(1)).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(budget.burst.max(1)).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::with_period(budget.interval())
            .unwrap_or_else(|| Quota::per_second(rate))
            .allow_burst(burst);
        let redis = match redis_url {
            Some(url) => Some(Arc::new((redis::Client::open(url)?, OnceCell::new()))),
            None => None,
        };
        Ok(Limiter {
            name,
            budget,
            local: Arc::new(governor::RateLimiter::keyed(quota)),
            redis,
        })
    }

    /// Takes `n` units of `key`'s budget, or says how long to wait.
    pub async fn take(&self, key: &str, n: u32) -> Result<(), Error> {
        let n = n.max(1);
        if n > self.budget.burst {
            return Err(Error::BadUserInput(format!(
                "{n} at once is more than the {} this budget ever allows",
                self.budget.burst
            )));
        }
        let wait = match &self.redis {
            Some(redis) => match self.take_in_redis(redis, key, n).await {
                Ok(wait) => wait,
                Err(e) => {
                    tracing::warn!(limiter = self.name, error = %e, "rate limit in Redis unavailable; using this process's budget");
                    metrics::counter!("agentmon_rate_limit_errors_total", "limiter" => self.name)
                        .increment(1);
                    self.take_locally(key, n)
                }
            },
            None => self.take_locally(key, n),
        };
        match wait {
            None => Ok(()),
            Some(wait) => {
                metrics::counter!("agentmon_rate_limited_total", "limiter" => self.name)
                    .increment(1);
                let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
                Err(Error::RateLimited {
                    message: format!(
                        "over the limit of {} per {} s; retry in {} s",
                        self.budget.rate,
                        self.budget.period.as_secs(),
                        seconds.max(1)
                    ),
                    retry_after_seconds: seconds.max(1),
                })
            }
        }
    }

    fn take_locally(&self, key: &str, n: u32) -> Option<Duration> {
        let n = NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN);
        match self.local.check_key_n(&key.to_string(), n) {
            Ok(Ok(())) => None,
            Ok(Err(not_until)) => Some(not_until.wait_time_from(DefaultClock::default().now())),
            Err(_) => Some(self.budget.period),
        }
    }

    async fn take_in_redis(
        &self,
        redis: &(redis::Client, OnceCell<ConnectionManager>),
        key: &str,
        n: u32,
    ) -> anyhow::Result<Option<Duration>> {
        let work = async {
            let mut conn = redis
                .1
                .get_or_try_init(|| ConnectionManager::new(redis.0.clone()))
                .await?
                .clone();
            let interval = self.budget.interval().as_micros() as u64;
            let tolerance = interval * u64::from(self.budget.burst);
            let wait: u64 = redis::Script::new(SCRIPT)
                .key(format!("agentmon:limit:{}:{key}", self.name))
                .arg(interval)
                .arg(tolerance)
                .arg(n)
                .invoke_async(&mut conn)
                .await?;
            anyhow::Ok((wait > 0).then(|| Duration::from_micros(wait)))
        };
        tokio::time::timeout(REDIS_TIMEOUT, work)
            .await
            .map_err(|_| anyhow::anyhow!("no answer within {REDIS_TIMEOUT:?}"))?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_budget_allows_its_burst_then_says_how_long_to_wait() {
        let limiter = Limiter::new("test", Budget::per_second(10, 20), None)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(limiter.take("a", 20).await.is_ok());
        match limiter.take("a", 5).await {
            Err(Error::RateLimited {
                retry_after_seconds,
                ..
            }) => assert_eq!(retry_after_seconds, 1),
            other => panic!("{other:?}"),
        }
        assert!(
            limiter.take("b", 5).await.is_ok(),
            "keys have their own budgets"
        );
        assert!(matches!(
            limiter.take("c", 21).await,
            Err(Error::BadUserInput(_))
        ));
    }
}
