//! Login rate limiting: per account and per client address, so neither guessing one account
//! from many places nor many accounts from one place gets far.

use std::num::NonZeroU32;

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

pub struct LoginLimiter {
    limiter: DefaultKeyedRateLimiter<String>,
}

impl LoginLimiter {
    pub fn per_minute(attempts: u32) -> Self {
        let attempts = NonZeroU32::new(attempts.max(1)).unwrap_or(NonZeroU32::MIN);
        Self {
            limiter: RateLimiter::keyed(Quota::per_minute(attempts)),
        }
    }

    /// Whether one more attempt for `account` from `ip` is allowed now; counts it either way.
    pub fn allow(&self, account: &str, ip: &str) -> bool {
        let by_account = self
            .limiter
            .check_key(&format!("account:{}", account.trim().to_lowercase()))
            .is_ok();
        let by_ip = self.limiter.check_key(&format!("ip:{ip}")).is_ok();
        by_account && by_ip
    }

    /// Forgets idle keys so the map does not grow without bound.
    pub fn tidy(&self) {
        self.limiter.retain_recent();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attempts_beyond_the_quota_are_refused() {
        let limiter = LoginLimiter::per_minute(3);
        for _ in 0..3 {
            assert!(limiter.allow("a@example.test", "10.0.0.1"));
        }
        assert!(
            !limiter.allow("A@example.test", "10.0.0.2"),
            "same account elsewhere"
        );
        assert!(limiter.allow("b@example.test", "10.0.0.3"));
    }
}
