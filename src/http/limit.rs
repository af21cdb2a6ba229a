//! A token bucket for the endpoints that cost RSA operations (`/v1/verify`, `/v1/rotate`):
//! a burst, then a steady rate; over it, the caller gets 429.

use std::sync::Mutex;
use std::time::Instant;

/// A token bucket shared by every caller.
pub struct Limiter {
    state: Mutex<(f64, Instant)>,
    rate: f64,
    burst: f64,
}

impl Limiter {
    /// `rate` requests per second on average, `burst` at once.
    pub fn new(rate: f64, burst: u32) -> Limiter {
        let burst = f64::from(burst.max(1));
        Limiter {
            state: Mutex::new((burst, Instant::now())),
            rate: rate.max(0.0),
            burst,
        }
    }

    /// Takes one token; false when none is left.
    pub fn try_acquire(&self) -> bool {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        let refilled = state.0 + now.duration_since(state.1).as_secs_f64() * self.rate;
        *state = (refilled.min(self.burst), now);
        if state.0 >= 1.0 {
            state.0 -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_then_refuse() {
        let limiter = Limiter::new(0.0, 3);
        assert!((0..3).all(|_| limiter.try_acquire()));
        assert!(!limiter.try_acquire());
    }
}
