//! When a rate fires (`spec/schedule.md` §8).
//!
//! All arithmetic is on whole seconds since the epoch in `i128`, so no instant a
//! [`UnixTime`] can hold overflows it, and on whole days for the clock rates, so that
//! month ends, leap years and week boundaries need no special case: a day is a day.

use std::iter::FusedIterator;

use crate::time::{UnixTime, Weekday, days_from_civil, weekday_from_days};

use super::rate::{Date, Rate};

const MINUTE: i128 = 60;
const HOUR: i128 = 3600;
const DAY: i128 = 86_400;

/// The first instant a rate fires at: 0000-01-01T00:00:00Z, the first instant of
/// `spec/json.md` §4.
pub const FIRST_FIRE_TIME: UnixTime = UnixTime::new(-62_167_219_200, 0);

/// The last instant a rate fires at: 9999-12-31T23:59:00Z, the last whole minute of
/// `spec/json.md` §4; a series ends there.
pub const LAST_FIRE_TIME: UnixTime = UnixTime::new(253_402_300_740, 0);

fn secs(t: UnixTime) -> i128 {
    i128::from(t.secs())
}

/// The fire time `t` (whole seconds), if it is within the range of fire times.
fn fire(t: i128) -> Option<UnixTime> {
    if t < secs(FIRST_FIRE_TIME) || t > secs(LAST_FIRE_TIME) {
        return None;
    }
    i64::try_from(t).ok().map(|s| UnixTime::new(s, 0))
}

/// The instant of a date at a time of day.
fn at(date: Date, hour: u8, minute: u8) -> i128 {
    let days = days_from_civil(i32::from(date.year()), date.month(), date.day());
    i128::from(days) * DAY + i128::from(hour) * HOUR + i128::from(minute) * MINUTE
}

impl Rate {
    /// The first time the rate fires strictly after `after`, counting the interval rates
    /// (`Minutes`, `Hours`, `Days`) from the Unix epoch, 1970-01-01T00:00Z: `Minutes(15)`
    /// fires at :00, :15, :30 and :45, `Hours(6)` at 00:00, 06:00, 12:00 and 18:00 UTC,
    /// `Days(1)` at midnight UTC.
    ///
    /// Fire times are whole minutes in UTC. `None` when the rate does not fire again: a
    /// `Single` at or before `after`, or a next fire time after [`LAST_FIRE_TIME`].
    ///
    /// ```
    /// use heartwire::schedule::Rate;
    /// use heartwire::time::Timestamp;
    ///
    /// let friday = Timestamp::parse("2024-03-01T17:00:00Z")?.unix_time();
    /// let next = Rate::weekdays(17, 0).unwrap().next_after(friday).unwrap();
    /// assert_eq!(next, Timestamp::parse("2024-03-04T17:00:00Z")?.unix_time()); // Monday
    /// # Ok::<(), heartwire::time::TimestampError>(())
    /// ```
    pub fn next_after(&self, after: UnixTime) -> Option<UnixTime> {
        self.next_after_anchored(after, UnixTime::EPOCH)
    }

    /// The first time the rate fires strictly after `after`, counting the interval rates
    /// from `anchor` instead of the epoch: they fire at `anchor + k * interval` for every
    /// whole `k`, with `anchor` truncated to its minute. EventBridge counts a `rate()`
    /// expression from when the rule was created, so pass that instant to predict its
    /// fire times. The clock rates and `Single` ignore the anchor.
    pub fn next_after_anchored(&self, after: UnixTime, anchor: UnixTime) -> Option<UnixTime> {
        // Nothing fires before the first fire time, so an earlier `after` is the same as
        // the instant just before it; this also keeps every number below small.
        let after = secs(after).max(secs(FIRST_FIRE_TIME) - 1);
        let anchor = secs(anchor).div_euclid(MINUTE) * MINUTE;
        let every = |interval: i128| {
            let k = (after - anchor).div_euclid(interval) + 1;
            fire(anchor + k * interval)
        };
        let clock = |hour: u8, minute: u8, fires_on: fn(Weekday) -> bool| {
            let time = i128::from(hour) * HOUR + i128::from(minute) * MINUTE;
            let mut day = after.div_euclid(DAY);
            if day * DAY + time <= after {
                day += 1;
            }
            // At most two days are skipped (Saturday and Sunday).
            for _ in 0..7 {
                let weekday = i64::try_from(day).map(weekday_from_days).ok()?;
                if fires_on(weekday) {
                    return fire(day * DAY + time);
                }
                day += 1;
            }
            None
        };
        match *self {
            Rate::Single { date, hour, minute } => {
                let t = at(date, hour.get(), minute.get());
                if t > after { fire(t) } else { None }
            }
            Rate::Minutes(n) => every(i128::from(n.get()) * MINUTE),
            Rate::Hours(n) => every(i128::from(n.get()) * HOUR),
            Rate::Days(n) => every(i128::from(n.get()) * DAY),
            Rate::Daily { hour, minute } => clock(hour.get(), minute.get(), |_| true),
            Rate::Weekdays { hour, minute } => clock(hour.get(), minute.get(), |d| {
                !matches!(d, Weekday::Saturday | Weekday::Sunday)
            }),
            Rate::WeekdaysAndSaturday { hour, minute } => {
                clock(hour.get(), minute.get(), |d| d != Weekday::Sunday)
            }
        }
    }

    /// The fire times strictly after `after`, in order, counting interval rates from the
    /// epoch (see [`Rate::next_after`]). A `Single` yields at most one.
    ///
    /// ```
    /// use heartwire::schedule::Rate;
    /// use heartwire::time::Timestamp;
    ///
    /// let after = Timestamp::parse("2024-02-28T09:00:00Z")?.unix_time();
    /// let times: Vec<String> = Rate::daily(9, 0).unwrap().fire_times(after)
    ///     .take(2)
    ///     .map(|t| format!("{:?}", (t.civil().month, t.civil().day)))
    ///     .collect();
    /// assert_eq!(times, ["(2, 29)", "(3, 1)"]); // 2024 is a leap year
    /// # Ok::<(), heartwire::time::TimestampError>(())
    /// ```
    pub fn fire_times(&self, after: UnixTime) -> FireTimes {
        self.fire_times_anchored(after, UnixTime::EPOCH)
    }

    /// The fire times strictly after `after`, counting interval rates from `anchor` (see
    /// [`Rate::next_after_anchored`]).
    pub fn fire_times_anchored(&self, after: UnixTime, anchor: UnixTime) -> FireTimes {
        FireTimes {
            rate: *self,
            anchor,
            after: Some(after),
        }
    }
}

/// The fire times of a rate, in order: the iterator of [`Rate::fire_times`].
///
/// Each step is a constant amount of work; it ends after a `Single`'s one fire time or at
/// [`LAST_FIRE_TIME`].
#[derive(Debug, Clone)]
pub struct FireTimes {
    rate: Rate,
    anchor: UnixTime,
    after: Option<UnixTime>,
}

impl Iterator for FireTimes {
    type Item = UnixTime;

    fn next(&mut self) -> Option<UnixTime> {
        let next = self.rate.next_after_anchored(self.after?, self.anchor);
        self.after = next;
        next
    }
}

impl FusedIterator for FireTimes {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Timestamp;

    fn t(text: &str) -> UnixTime {
        Timestamp::parse(text).expect(text).unix_time()
    }

    fn next(rate: &str, after: &str, n: usize) -> Vec<UnixTime> {
        let rate = Rate::parse(rate).expect(rate);
        rate.fire_times(t(after)).take(n).collect()
    }

    #[test]
    fn clock_rates() {
        assert_eq!(
            next("Daily(9,0)", "2024-02-28T09:00:00Z", 3),
            [
                t("2024-02-29T09:00:00Z"),
                t("2024-03-01T09:00:00Z"),
                t("2024-03-02T09:00:00Z")
            ]
        );
        assert_eq!(
            next("Daily(9,0)", "2024-02-28T08:59:59.999Z", 1),
            [t("2024-02-28T09:00:00Z")]
        );
        assert_eq!(
            next("Daily(9,0)", "2024-02-28T09:00:00.001Z", 1),
            [t("2024-02-29T09:00:00Z")]
        );
        // Friday after the time: Monday; Saturday for Mon-Sat.
        assert_eq!(
            next("Weekdays(17,0)", "2024-03-01T17:00:00Z", 2),
            [t("2024-03-04T17:00:00Z"), t("2024-03-05T17:00:00Z")]
        );
        assert_eq!(
            next("WeekdaysAndSaturday(17,0)", "2024-03-01T17:00:00Z", 2),
            [t("2024-03-02T17:00:00Z"), t("2024-03-04T17:00:00Z")]
        );
        assert_eq!(
            next("Weekdays(0,0)", "2024-12-31T00:00:00Z", 2),
            [t("2025-01-01T00:00:00Z"), t("2025-01-02T00:00:00Z")]
        );
    }

    #[test]
    fn interval_rates_count_from_the_epoch() {
        assert_eq!(
            next("Minutes(15)", "2024-01-01T10:07:00Z", 3),
            [
                t("2024-01-01T10:15:00Z"),
                t("2024-01-01T10:30:00Z"),
                t("2024-01-01T10:45:00Z")
            ]
        );
        assert_eq!(
            next("Hours(6)", "2024-12-31T18:00:00Z", 2),
            [t("2025-01-01T00:00:00Z"), t("2025-01-01T06:00:00Z")]
        );
        assert_eq!(
            next("Days(1)", "1969-12-31T12:00:00Z", 1),
            [t("1970-01-01T00:00:00Z")]
        );
        let rate = Rate::minutes(15).expect("valid");
        let anchor = t("2024-01-01T10:07:42Z");
        assert_eq!(
            rate.next_after_anchored(t("2024-01-01T10:07:00Z"), anchor),
            Some(t("2024-01-01T10:22:00Z"))
        );
        assert_eq!(
            rate.next_after_anchored(t("2024-01-01T10:06:59Z"), anchor),
            Some(t("2024-01-01T10:07:00Z"))
        );
    }

    #[test]
    fn single_fires_once_and_the_range_ends() {
        assert_eq!(
            next("Single(2024,12,25,14,30)", "2024-01-01T00:00:00Z", 5),
            [t("2024-12-25T14:30:00Z")]
        );
        assert!(next("Single(2024,12,25,14,30)", "2024-12-25T14:30:00Z", 5).is_empty());
        assert_eq!(
            next("Daily(23,59)", "9999-12-30T23:59:00Z", 5),
            [t("9999-12-31T23:59:00Z")]
        );
        let max = UnixTime::new(i64::MAX, 999_999_999);
        let min = UnixTime::new(i64::MIN, 0);
        for rate in [
            "Minutes(1)",
            "Days(7)",
            "Weekdays(0,0)",
            "Single(1970,1,1,0,0)",
        ] {
            let rate = Rate::parse(rate).expect(rate);
            assert_eq!(rate.next_after(max), None);
            assert_eq!(rate.next_after_anchored(max, min), None);
            let first = rate.next_after_anchored(min, max).expect("fires");
            assert!(first >= FIRST_FIRE_TIME);
        }
        // The first fire time after year 0 of a long interval is past year 9999.
        let long = Rate::days(crate::schedule::MAX_COUNT).expect("valid");
        assert_eq!(long.next_after(UnixTime::EPOCH), None);
        assert_eq!(long.next_after(min), Some(UnixTime::EPOCH));
        assert_eq!(FIRST_FIRE_TIME, t("0000-01-01T00:00:00Z"));
        assert_eq!(LAST_FIRE_TIME, t("9999-12-31T23:59:00Z"));
    }
}
