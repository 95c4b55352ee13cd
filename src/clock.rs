//! Time, injected: every rule that depends on time reads one [`Clock`].

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Duration, Utc};

/// A source of the current time.
///
/// The tenant reads time only through its clock: pass validity, sessions, the
/// ten-minute registration window, lockouts and log timestamps.
pub trait Clock: Send + Sync + fmt::Debug {
    /// The current instant.
    fn now(&self) -> DateTime<Utc>;
}

/// The machine's wall clock. Not deterministic: use [`ManualClock`] in tests and labs.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that moves only when told to.
///
/// Clones share one time: hand a clone to the tenant and keep one to move time.
/// The instant is kept with microsecond precision, between 1970-01-01T00:00:00Z and
/// [`crate::graph::latest_instant`] (9999-12-31T23:59:59.999999Z); moves past either
/// end stop there.
///
/// ```
/// use chrono::{Duration, TimeZone, Utc};
/// use tapsim::{Clock, ManualClock};
///
/// let start = Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap();
/// let clock = ManualClock::new(start);
/// let shared = clock.clone();
/// clock.advance(Duration::minutes(61));
/// assert_eq!(shared.now(), start + Duration::minutes(61));
/// ```
#[derive(Clone)]
pub struct ManualClock {
    micros: Arc<AtomicI64>,
}

impl ManualClock {
    /// A clock showing `start` (truncated to whole microseconds; instants before 1970
    /// are clamped to 1970-01-01T00:00:00Z).
    pub fn new(start: DateTime<Utc>) -> ManualClock {
        ManualClock {
            micros: Arc::new(AtomicI64::new(clamp(start.timestamp_micros()))),
        }
    }

    /// Moves the clock forward (or back, for a negative duration) by `by`.
    /// The result saturates at the clock's range.
    pub fn advance(&self, by: Duration) {
        let delta = by.num_microseconds().unwrap_or(if by < Duration::zero() {
            i64::MIN
        } else {
            i64::MAX
        });
        // fetch_update's closure always returns Some, so the update cannot fail.
        let _ = self
            .micros
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |m| {
                Some(clamp(m.saturating_add(delta)))
            });
    }

    /// Sets the clock to `to`.
    pub fn set(&self, to: DateTime<Utc>) {
        self.micros
            .store(clamp(to.timestamp_micros()), Ordering::SeqCst);
    }
}

/// Keeps a microsecond count within 1970-01-01 and 9999-12-31.
fn clamp(micros: i64) -> i64 {
    micros.clamp(0, crate::graph::latest_instant().timestamp_micros())
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        let micros = self.micros.load(Ordering::SeqCst);
        // `clamp` keeps every stored value within chrono's range, so the fallback is never
        // taken.
        DateTime::from_timestamp_micros(micros).unwrap_or(DateTime::<Utc>::MAX_UTC)
    }
}

impl fmt::Debug for ManualClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ManualClock")
            .field("now", &self.now())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn manual_clock_advances_sets_and_saturates() {
        let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let c = ManualClock::new(t0);
        c.advance(Duration::seconds(90));
        assert_eq!(c.now(), t0 + Duration::seconds(90));
        c.set(t0);
        assert_eq!(c.now(), t0);
        c.advance(Duration::MAX);
        assert_eq!(c.now(), crate::graph::latest_instant());
        c.advance(Duration::MIN);
        assert_eq!(c.now().timestamp(), 0);
    }
}
