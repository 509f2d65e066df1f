//! A mergeable duration sketch in the manner of DDSketch: a value lands in a
//! logarithmic bucket, every value of a bucket is within 1 % of the bucket's
//! representative, and sketches merge by adding bucket counts — so day
//! rollups answer percentiles over any range.

/// Relative accuracy of every quantile.
pub const RELATIVE_ACCURACY: f64 = 0.01;
/// The bucket of zero (and of anything below 1 ms).
pub const ZERO_BUCKET: i32 = i32::MIN;

fn gamma() -> f64 {
    (1.0 + RELATIVE_ACCURACY) / (1.0 - RELATIVE_ACCURACY)
}

/// The bucket holding `ms` (negative values count as zero).
pub fn bucket(ms: i64) -> i32 {
    if ms < 1 {
        return ZERO_BUCKET;
    }
    ((ms as f64).ln() / gamma().ln()).ceil() as i32
}

/// The value a bucket stands for: within 1 % of any value in it.
pub fn representative(bucket: i32) -> f64 {
    if bucket == ZERO_BUCKET {
        return 0.0;
    }
    let g = gamma();
    2.0 * g.powi(bucket) / (g + 1.0)
}

/// The nearest-rank quantile (the ⌈q·n⌉-th smallest value) of the values
/// counted in `buckets`, which may come in any order and repeat buckets.
pub fn quantile(buckets: &[(i32, i64)], q: f64) -> Option<f64> {
    let mut sorted: Vec<(i32, i64)> = buckets.iter().copied().filter(|(_, c)| *c > 0).collect();
    sorted.sort_unstable_by_key(|(b, _)| *b);
    let total: i64 = sorted.iter().map(|(_, c)| c).sum();
    if total == 0 {
        return None;
    }
    let rank = ((q * total as f64).ceil() as i64).clamp(1, total);
    let mut seen = 0;
    for (bucket, count) in sorted {
        seen += count;
        if seen >= rank {
            return Some(representative(bucket));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exact(values: &mut [i64], q: f64) -> f64 {
        values.sort_unstable();
        let rank = ((q * values.len() as f64).ceil() as usize).clamp(1, values.len());
        values[rank - 1] as f64
    }

    #[test]
    fn quantiles_are_within_one_percent_of_nearest_rank() {
        let mut values: Vec<i64> = (0..5_000).map(|i| (i * 7919 % 100_003) * 37 + 1).collect();
        let buckets: Vec<(i32, i64)> = values.iter().map(|v| (bucket(*v), 1)).collect();
        for q in [0.5, 0.95, 0.99, 0.01, 1.0] {
            let want = exact(&mut values, q);
            let got = quantile(&buckets, q).unwrap_or(f64::NAN);
            assert!(
                (got - want).abs() <= want * RELATIVE_ACCURACY,
                "q={q}: {got} vs {want}"
            );
        }
    }

    #[test]
    fn zero_and_empty_are_handled() {
        assert_eq!(quantile(&[], 0.5), None);
        assert_eq!(quantile(&[(bucket(0), 3)], 0.99), Some(0.0));
        assert_eq!(quantile(&[(bucket(10), 0)], 0.5), None);
    }
}
