//! Realistic demo traffic: several orgs in several time zones, users with
//! different habits, sessions with messages, runs of several models that
//! succeed, fail by category or get cancelled, handoffs with and without
//! iteration afterwards, and attributes. Deterministic for a seed.

mod agents;
mod session;

use chrono::{DateTime, Duration, TimeZone, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::event::EventInput;

pub use session::Habits;

/// Time zones the demo orgs cycle through, half-hour offsets included.
pub const TIMEZONES: [&str; 5] = [
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "Asia/Kolkata",
    "Australia/Adelaide",
];

#[derive(Debug, Clone)]
pub struct Plan {
    pub orgs: usize,
    pub users: usize,
    pub days: u32,
    pub seed: u64,
    /// The last day of traffic ends here.
    pub until: DateTime<Utc>,
    /// Org slugs are `{prefix}-{n}`.
    pub prefix: String,
    /// Whether the orgs' people use coding agents (model calls, tools,
    /// code); `None`: every third org does.
    pub coding_agents: Option<bool>,
}

impl Default for Plan {
    fn default() -> Self {
        Plan {
            orgs: 3,
            users: 20,
            days: 30,
            seed: 42,
            until: Utc::now(),
            prefix: "demo".into(),
            coding_agents: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoOrg {
    pub slug: String,
    pub name: String,
    pub timezone: String,
    /// Its people use coding agents that send their own telemetry (model
    /// calls, tools, code) rather than a platform's runs: every third org.
    pub coding_agents: bool,
}

impl Plan {
    pub fn orgs(&self) -> Vec<DemoOrg> {
        const NAMES: [&str; 8] = [
            "Acme", "Globex", "Initech", "Umbrella", "Hooli", "Vandelay", "Stark", "Wayne",
        ];
        (0..self.orgs)
            .map(|i| DemoOrg {
                slug: format!("{}-{}", self.prefix, i + 1),
                name: format!("{} (demo)", NAMES[i % NAMES.len()]),
                timezone: TIMEZONES[i % TIMEZONES.len()].to_string(),
                coding_agents: self.coding_agents.unwrap_or(i % 3 == 2),
            })
            .collect()
    }

    /// Every event of the plan, day by day (so a consumer can stream it).
    pub fn events(&self) -> impl Iterator<Item = EventInput> + '_ {
        let orgs = self.orgs();
        let mut rng = StdRng::seed_from_u64(self.seed);
        let users: Vec<Vec<Habits>> = orgs
            .iter()
            .map(|_| {
                (0..self.users)
                    .map(|u| Habits::random(u, &mut rng))
                    .collect()
            })
            .collect();
        let start = self.until - Duration::days(i64::from(self.days));
        (0..self.days).flat_map(move |day| {
            let mut rng = StdRng::seed_from_u64(self.seed ^ (u64::from(day) << 20));
            let day_start = start + Duration::days(i64::from(day));
            let mut events = Vec::new();
            for (org, habits) in orgs.iter().zip(&users) {
                for user in habits {
                    if !rng.random_bool(user.active_probability) {
                        continue;
                    }
                    for _ in 0..rng.random_range(1..=user.max_sessions_per_day) {
                        let offset = Duration::seconds(rng.random_range(0..86_400));
                        let at = day_start + offset;
                        if at > self.until {
                            continue;
                        }
                        events.extend(if org.coding_agents {
                            agents::generate(&org.slug, user, at, &mut rng)
                        } else {
                            session::generate(&org.slug, user, at, &mut rng)
                        });
                    }
                }
            }
            events.sort_by_key(|e| e.occurred_at);
            // Nothing from the future: sessions still going at `until` are cut
            // there, as a live org's would be.
            events.retain(|e| e.occurred_at <= self.until);
            events
        })
    }
}

/// Midnight UTC of the given day, for reproducible plans in tests.
pub fn utc_day(year: i32, month: u32, day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(year, month, day, 0, 0, 0)
        .single()
        .unwrap_or_else(Utc::now)
}
