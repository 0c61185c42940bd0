//! Latency summaries (nanosecond samples in, microsecond percentiles out).

use serde_json::{json, Value};

/// Percentiles of `samples` (nanoseconds) in microseconds; null fields when there are none.
pub fn summary(mut samples: Vec<u64>) -> Value {
    if samples.is_empty() {
        return json!({"count": 0, "p50_us": null, "p90_us": null, "p99_us": null, "max_us": null});
    }
    samples.sort_unstable();
    let pick = |q: f64| {
        let i = ((samples.len() as f64 - 1.0) * q).round() as usize;
        samples[i.min(samples.len() - 1)] as f64 / 1000.0
    };
    let mean = samples.iter().map(|&s| s as f64).sum::<f64>() / samples.len() as f64 / 1000.0;
    json!({
        "count": samples.len(),
        "p50_us": pick(0.50),
        "p90_us": pick(0.90),
        "p99_us": pick(0.99),
        "max_us": pick(1.0),
        "mean_us": mean,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_of_a_ramp() {
        let v: Vec<u64> = (1..=100).map(|i| i * 1000).collect();
        let s = summary(v);
        assert_eq!(s["count"], 100);
        assert_eq!(s["p50_us"], 51.0);
        assert_eq!(s["p99_us"], 99.0);
        assert_eq!(s["max_us"], 100.0);
    }
}
