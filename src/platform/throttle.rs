//! Fixed-window counters for rate limits and failed-attempt throttling.
//! Hand-rolled rather than `governor` because the API's RateLimit headers
//! need the remaining count, which GCRA limiters do not expose.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};

/// Counts per key: an account's email, a client address, a key id.
pub struct Window<K = String> {
    pub limit: u32,
    pub period: Duration,
    /// Distinct keys counted in one window at most.
    capacity: usize,
    counts: Mutex<Counts<K>>,
    /// The name its refusals are counted under in the metrics (none for a
    /// window that refuses no request).
    name: Option<&'static str>,
}

/// The current window's counts only. They are dropped together when it
/// ends, so memory is bounded by the keys seen in one window and no entry
/// is ever scanned. Past `capacity` distinct keys (a client spread over
/// more addresses than that within one window), new keys share one count:
/// bounded memory, and a limit still holds for them, together.
struct Counts<K> {
    start: i64,
    by_key: HashMap<K, u32>,
    overflow: u32,
}

/// Distinct keys per window before new ones share a count.
const KEYS_PER_WINDOW: usize = 100_000;

/// The fixed window of `period` that `now` falls in, aligned on the clock
/// (so that every instance agrees on it): its start in milliseconds, and the
/// whole seconds until it ends (at least 1).
pub fn fixed_window(period: Duration, now: DateTime<Utc>) -> (i64, u64) {
    let period = period.as_millis().max(1) as i64;
    let now = now.timestamp_millis();
    let start = now - now.rem_euclid(period);
    let reset = ((start + period - now) as u64).div_ceil(1000);
    (start, reset.max(1))
}

/// The outcome of counting one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict {
    pub allowed: bool,
    pub remaining: u32,
    /// Seconds until the window resets.
    pub reset_secs: u64,
}

impl<K: Hash + Eq + Clone> Window<K> {
    pub fn new(limit: u32, period: Duration) -> Self {
        Self::with_capacity(limit, period, KEYS_PER_WINDOW)
    }

    fn with_capacity(limit: u32, period: Duration, capacity: usize) -> Self {
        Self {
            limit,
            period,
            capacity,
            counts: Mutex::new(Counts {
                start: i64::MIN,
                by_key: HashMap::new(),
                overflow: 0,
            }),
            name: None,
        }
    }

    /// A throttle of client requests: its refusals are counted in the
    /// metrics under `name`.
    pub fn throttling(mut self, name: &'static str) -> Self {
        self.name = Some(name);
        metrics::counter!(super::metrics::THROTTLE_BLOCKS, "throttle" => name).increment(0);
        self
    }

    fn count_block(&self) {
        if let Some(name) = self.name {
            metrics::counter!(super::metrics::THROTTLE_BLOCKS, "throttle" => name).increment(1);
        }
    }

    fn window_start(&self, now: DateTime<Utc>) -> (i64, u64) {
        fixed_window(self.period, now)
    }

    /// Counts one event for `key` and says whether it is within the limit.
    pub fn hit<Q>(&self, key: &Q, now: DateTime<Utc>) -> Verdict
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
    {
        let (start, reset_secs) = self.window_start(now);
        let mut counts = self.counts.lock().expect("throttle lock");
        // A request stamped just before a window change that another one
        // made counts in the new window, rather than clearing it again.
        if start > counts.start {
            counts.start = start;
            counts.by_key.clear();
            counts.overflow = 0;
        }
        if !counts.by_key.contains_key(key) && counts.by_key.len() < self.capacity {
            counts.by_key.insert(key.to_owned(), 0);
        }
        let counts = &mut *counts;
        let n = counts.by_key.get_mut(key).unwrap_or(&mut counts.overflow);
        *n = n.saturating_add(1);
        if *n > self.limit {
            self.count_block();
        }
        Verdict {
            allowed: *n <= self.limit,
            remaining: self.limit.saturating_sub(*n),
            reset_secs,
        }
    }

    /// Whether `key` is already over the limit, without counting.
    pub fn is_blocked<Q>(&self, key: &Q, now: DateTime<Utc>) -> Option<u64>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let (start, reset_secs) = self.window_start(now);
        let counts = self.counts.lock().expect("throttle lock");
        if start != counts.start {
            return None;
        }
        let n = match counts.by_key.get(key) {
            Some(n) => *n,
            None if counts.by_key.len() >= self.capacity => counts.overflow,
            None => 0,
        };
        let blocked = n >= self.limit;
        if blocked {
            self.count_block();
        }
        blocked.then_some(reset_secs)
    }

    pub fn clear<Q>(&self, key: &Q)
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.counts
            .lock()
            .expect("throttle lock")
            .by_key
            .remove(key);
    }

    /// Takes back one event of `key`: an attempt that turned out to be
    /// legitimate (a right password) costs nothing, so that many people
    /// behind one address are not locked out by succeeding. Failures still
    /// add up: each attempt is counted before it is checked.
    pub fn forgive<Q>(&self, key: &Q)
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let mut counts = self.counts.lock().expect("throttle lock");
        if let Some(n) = counts.by_key.get_mut(key) {
            *n = n.saturating_sub(1);
        }
    }

    /// Keys counted in the current window (for tests).
    #[cfg(test)]
    fn keys(&self) -> usize {
        self.counts.lock().expect("throttle lock").by_key.len()
    }
}

/// The key a client is throttled by: its IPv4 address, or the /64 network
/// of an IPv6 one (a single host usually holds a whole /64, so rotating the
/// low bits must not buy new attempts).
pub fn client_key(ip: std::net::IpAddr) -> String {
    match ip {
        std::net::IpAddr::V4(v4) => v4.to_string(),
        std::net::IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn ipv6_clients_are_keyed_by_their_64_bit_network() {
        let a: std::net::IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: std::net::IpAddr = "2001:db8:1:2:ffff:1:2:3".parse().unwrap();
        let c: std::net::IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(client_key(a), client_key(b));
        assert_ne!(client_key(a), client_key(c));
        assert_eq!(client_key("203.0.113.9".parse().unwrap()), "203.0.113.9");
        assert_eq!(
            client_key("::ffff:203.0.113.9".parse().unwrap()),
            "203.0.113.9"
        );
    }

    #[test]
    fn counts_up_to_the_limit_then_refuses_until_the_window_resets() {
        let w = Window::new(2, Duration::from_secs(60));
        let t = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 10).unwrap();
        assert_eq!(
            w.hit("k", t),
            Verdict {
                allowed: true,
                remaining: 1,
                reset_secs: 50
            }
        );
        assert!(w.hit("k", t).allowed);
        assert!(!w.hit("k", t).allowed);
        assert_eq!(w.is_blocked("k", t), Some(50));
        assert!(w.hit("other", t).allowed);
        let later = t + chrono::Duration::seconds(50);
        assert!(w.hit("k", later).allowed);
    }

    #[test]
    fn memory_is_bounded_by_one_window_and_keys_past_the_bound_share_a_limit() {
        let w = Window::with_capacity(3, Duration::from_secs(60), 1_000);
        let t = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 10).unwrap();
        for i in 0..5_000 {
            w.hit(format!("203.0.113.{i}").as_str(), t);
        }
        assert_eq!(w.keys(), 1_000);
        // The 4,000 keys past the bound counted together: over the limit.
        assert!(w.is_blocked("198.51.100.1", t).is_some());
        assert!(!w.hit("198.51.100.1", t).allowed);
        // Keys inside the bound keep their own counts.
        assert!(w.hit("203.0.113.0", t).allowed);
        // The next window starts empty.
        let next = t + chrono::Duration::seconds(60);
        assert!(w.hit("198.51.100.1", next).allowed);
        assert_eq!(w.keys(), 1);
        // A request stamped in the previous window counts in the current one.
        assert!(w.hit("198.51.100.1", t).allowed);
        assert_eq!(w.keys(), 1);
    }

    #[test]
    fn a_forgiven_event_no_longer_counts_and_failures_still_do() {
        let w = Window::new(2, Duration::from_secs(60));
        let t = Utc::now();
        for _ in 0..10 {
            w.hit("office", t);
            w.forgive("office");
        }
        assert!(w.is_blocked("office", t).is_none(), "ten successes");
        w.hit("office", t);
        w.hit("office", t);
        assert!(w.is_blocked("office", t).is_some(), "two failures");
    }

    #[test]
    fn clearing_forgets_a_key() {
        let w = Window::new(1, Duration::from_secs(60));
        let t = Utc::now();
        w.hit("k", t);
        assert!(w.is_blocked("k", t).is_some());
        w.clear("k");
        assert!(w.is_blocked("k", t).is_none());
    }
}
