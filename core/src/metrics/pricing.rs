//! The price of a model call (SPEC section 11): among the prices valid at
//! the call's time, the org's beat the platform's; within each, an exact
//! model name beats a prefix pattern (`claude-*`), a longer prefix a
//! shorter, and the latest `valid_from` the earlier. The cost is the
//! tokens of each kind times their price per million, to 9 decimals.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::event::ModelCallInput;

/// One price per million tokens, valid from a moment on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Price {
    pub id: Uuid,
    /// `None`: the platform's default for every org.
    pub org_id: Option<Uuid>,
    /// An exact model name, or a prefix ending in `*`.
    pub model: String,
    pub valid_from: DateTime<Utc>,
    pub input: Decimal,
    pub output: Decimal,
    pub cache_read: Decimal,
    pub cache_creation: Decimal,
}

/// Tokens of a call, by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tokens {
    pub input: i64,
    pub output: i64,
    pub cache_read: i64,
    pub cache_creation: i64,
}

impl Price {
    /// How well this price names `model`: `None` when it does not; exact
    /// names rank above every prefix, longer prefixes above shorter.
    fn specificity(&self, model: &str) -> Option<usize> {
        match self.model.strip_suffix('*') {
            Some(prefix) => model.starts_with(prefix).then_some(prefix.len()),
            None => (self.model == model).then_some(usize::MAX),
        }
    }

    /// What `tokens` cost at this price, to 9 decimals.
    pub fn cost(&self, t: Tokens) -> Decimal {
        let per_million = Decimal::from(t.input) * self.input
            + Decimal::from(t.output) * self.output
            + Decimal::from(t.cache_read) * self.cache_read
            + Decimal::from(t.cache_creation) * self.cache_creation;
        (per_million / Decimal::from(1_000_000))
            .round_dp(9)
            .normalize()
    }
}

/// What a model call costs: as its producer reported it, else priced from
/// the price valid at its time, else nothing known (counts 0, unpriced).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallCost {
    Reported(Decimal),
    Estimated(Decimal),
    Unpriced,
}

impl CallCost {
    /// The cost of `call` at `at`. A reported cost that cannot be read
    /// (validated at ingest) counts as none.
    pub fn of(call: &ModelCallInput, at: DateTime<Utc>, prices: &PriceTable) -> CallCost {
        let reported = call
            .cost_usd
            .as_deref()
            .and_then(|c| Decimal::from_str(c).ok());
        let tokens = |n: Option<i32>| n.map(i64::from).unwrap_or(0);
        match (reported, prices.price_of(&call.model, at)) {
            (Some(cost), _) => CallCost::Reported(cost),
            (None, Some(price)) => CallCost::Estimated(price.cost(Tokens {
                input: tokens(call.input_tokens),
                output: tokens(call.output_tokens),
                cache_read: tokens(call.cache_read_tokens),
                cache_creation: tokens(call.cache_creation_tokens),
            })),
            (None, None) => CallCost::Unpriced,
        }
    }

    /// The cost counted: 0 when unpriced.
    pub fn usd(self) -> Decimal {
        match self {
            CallCost::Reported(c) | CallCost::Estimated(c) => c,
            CallCost::Unpriced => Decimal::ZERO,
        }
    }
}

/// The prices an org's calls are priced from: its own and the platform's.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PriceTable {
    pub org: Vec<Price>,
    pub platform: Vec<Price>,
}

impl PriceTable {
    /// The price of `model` at `at`, if any.
    pub fn price_of(&self, model: &str, at: DateTime<Utc>) -> Option<&Price> {
        [&self.org, &self.platform].into_iter().find_map(|prices| {
            prices
                .iter()
                .filter(|p| p.valid_from <= at)
                .filter_map(|p| p.specificity(model).map(|s| (s, p.valid_from, p)))
                .max_by_key(|(s, from, _)| (*s, *from))
                .map(|(_, _, p)| p)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn price(org: Option<u128>, model: &str, day: u32, input: i64) -> Price {
        Price {
            id: Uuid::new_v4(),
            org_id: org.map(Uuid::from_u128),
            model: model.into(),
            valid_from: Utc.with_ymd_and_hms(2026, 11, day, 0, 0, 0).unwrap(),
            input: Decimal::from(input),
            output: Decimal::ZERO,
            cache_read: Decimal::ZERO,
            cache_creation: Decimal::ZERO,
        }
    }

    #[test]
    fn the_org_beats_the_platform_then_exact_beats_prefix_then_the_latest_valid_wins() {
        let table = PriceTable {
            org: vec![
                price(Some(1), "claude-*", 1, 10),
                price(Some(1), "claude-opus*", 1, 20),
            ],
            platform: vec![
                price(None, "claude-opus-5", 1, 30),
                price(None, "gpt-*", 1, 40),
                price(None, "gpt-*", 10, 41),
            ],
        };
        let at = |day| Utc.with_ymd_and_hms(2026, 11, day, 12, 0, 0).unwrap();
        let input = |model: &str, day| table.price_of(model, at(day)).map(|p| p.input);
        // The org's longest prefix, although the platform names it exactly.
        assert_eq!(input("claude-opus-5", 5), Some(Decimal::from(20)));
        assert_eq!(input("claude-haiku", 5), Some(Decimal::from(10)));
        // The platform's, the one valid at the time.
        assert_eq!(input("gpt-5", 5), Some(Decimal::from(40)));
        assert_eq!(input("gpt-5", 10), Some(Decimal::from(41)));
        assert_eq!(input("gemini", 5), None);
        // Nothing valid yet.
        let early = Utc.with_ymd_and_hms(2026, 10, 1, 0, 0, 0).unwrap();
        assert_eq!(table.price_of("gpt-5", early), None);
    }

    #[test]
    fn a_cost_is_each_kind_of_token_at_its_price_per_million() {
        let p = Price {
            input: Decimal::new(3, 0),
            output: Decimal::new(15, 0),
            cache_read: Decimal::new(3, 1),
            cache_creation: Decimal::new(375, 2),
            ..price(None, "m", 1, 0)
        };
        let t = Tokens {
            input: 1_000,
            output: 2_000,
            cache_read: 10_000,
            cache_creation: 4_000,
        };
        // 0.003 + 0.03 + 0.003 + 0.015
        assert_eq!(p.cost(t), Decimal::new(51, 3));
    }
}
