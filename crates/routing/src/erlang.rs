//! The Erlang C queueing formulas (M/M/N, no abandonment): the textbook answer for one queue
//! served by interchangeable agents, used to check the simulator and for staffing estimates.
//!
//! Computed with the Erlang B recursion `B(0) = 1, B(k) = A·B(k−1) / (k + A·B(k−1))`, which
//! stays within [0, 1] at every step, so it is exact in floating point for thousands of agents
//! where `A^N / N!` would overflow.

use serde::{Deserialize, Serialize};

/// Probability that a contact finds all `servers` busy and is lost (Erlang B), for an offered
/// load of `erlangs` (arrival rate × mean handle time).
pub fn erlang_b(servers: u32, erlangs: f64) -> f64 {
    (1..=servers).fold(1.0, |b, k| {
        let ab = erlangs * b;
        ab / (f64::from(k) + ab)
    })
}

/// Probability that a contact has to wait (Erlang C). 1 when the load is at or above capacity.
pub fn erlang_c(servers: u32, erlangs: f64) -> f64 {
    let n = f64::from(servers);
    if erlangs >= n {
        return 1.0;
    }
    let b = erlang_b(servers, erlangs);
    n * b / (n - erlangs * (1.0 - b))
}

/// Mean wait of all contacts (waiting or not), in seconds; infinite when the queue is unstable.
pub fn average_speed_of_answer(servers: u32, erlangs: f64, handle_secs: f64) -> f64 {
    let spare = f64::from(servers) - erlangs;
    if spare <= 0.0 {
        return f64::INFINITY;
    }
    erlang_c(servers, erlangs) * handle_secs / spare
}

/// Fraction of contacts answered within `target_secs`.
pub fn service_level(servers: u32, erlangs: f64, handle_secs: f64, target_secs: f64) -> f64 {
    let spare = f64::from(servers) - erlangs;
    if spare <= 0.0 {
        return 0.0;
    }
    1.0 - erlang_c(servers, erlangs) * (-spare * target_secs / handle_secs).exp()
}

/// What Erlang C predicts for a simulator run's settings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Prediction {
    pub probability_of_waiting: f64,
    pub service_level: f64,
    pub asa_seconds: f64,
    pub occupancy: f64,
}

pub fn predict(
    agents: u32,
    arrivals_per_hour: f64,
    handle_secs: f64,
    target_secs: f64,
) -> Prediction {
    let erlangs = arrivals_per_hour * handle_secs / 3600.0;
    Prediction {
        probability_of_waiting: erlang_c(agents, erlangs),
        service_level: service_level(agents, erlangs, handle_secs, target_secs),
        asa_seconds: average_speed_of_answer(agents, erlangs, handle_secs),
        occupancy: (erlangs / f64::from(agents.max(1))).min(1.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Erlang C from its closed form, term by term (fine for small N).
    fn erlang_c_direct(n: u32, a: f64) -> f64 {
        let mut term = 1.0; // a^k / k!
        let mut sum = 0.0;
        for k in 0..n {
            sum += term;
            term *= a / f64::from(k + 1);
        }
        let top = term * f64::from(n) / (f64::from(n) - a);
        top / (sum + top)
    }

    #[test]
    fn recursion_agrees_with_the_closed_form() {
        for (n, a) in [
            (1, 0.5),
            (2, 1.5),
            (5, 3.0),
            (11, 10.0),
            (20, 17.5),
            (50, 45.0),
        ] {
            let (fast, direct) = (erlang_c(n, a), erlang_c_direct(n, a));
            assert!(
                (fast - direct).abs() < 1e-12,
                "N={n} A={a}: {fast} vs {direct}"
            );
        }
    }

    #[test]
    fn textbook_example_ten_erlangs() {
        // 100 calls per half hour of 3 minutes each = 10 erlangs.
        let (a, h) = (10.0, 180.0);
        // 11 agents: 68.2% wait, ASA about 123 s, 39% answered within 20 s.
        assert!((erlang_c(11, a) - 0.6821).abs() < 1e-4);
        assert!((average_speed_of_answer(11, a, h) - 122.8).abs() < 0.1);
        assert!((service_level(11, a, h, 20.0) - 0.3897).abs() < 1e-3);
        // 14 agents: 17.4% wait, ASA under 8 s, 89% within 20 s.
        assert!((erlang_c(14, a) - 0.1741).abs() < 1e-4);
        assert!((average_speed_of_answer(14, a, h) - 7.836).abs() < 1e-3);
        assert!((service_level(14, a, h, 20.0) - 0.8884).abs() < 1e-3);
        // One server is M/M/1: P(wait) = ρ.
        assert!((erlang_c(1, 0.7) - 0.7).abs() < 1e-12);
    }

    #[test]
    fn large_centres_do_not_overflow() {
        let c = erlang_c(5000, 4900.0);
        assert!(c.is_finite() && c > 0.0 && c < 1.0, "{c}");
        assert_eq!(erlang_c(10, 10.0), 1.0);
        assert_eq!(average_speed_of_answer(10, 12.0, 180.0), f64::INFINITY);
        assert_eq!(service_level(10, 12.0, 180.0, 20.0), 0.0);
    }
}
