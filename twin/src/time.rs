//! The virtual clock. The twin never reads the wall clock; all time is `SimTime` since the scenario start.

use chrono::{DateTime, Datelike, Duration, Timelike, Utc, Weekday};
use serde::{Deserialize, Serialize};

pub const SECONDS_PER_MINUTE: u64 = 60;
pub const MINUTES_PER_DAY: u64 = 24 * 60;
pub const SECONDS_PER_DAY: u64 = MINUTES_PER_DAY * SECONDS_PER_MINUTE;

/// Simulated time: whole seconds since the scenario's start instant.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SimTime(pub u64);

impl SimTime {
    pub fn from_minutes(minutes: u64) -> SimTime {
        SimTime(minutes.saturating_mul(SECONDS_PER_MINUTE))
    }
    pub fn seconds(self) -> u64 {
        self.0
    }
    pub fn minutes(self) -> u64 {
        self.0 / SECONDS_PER_MINUTE
    }
    /// The wall-clock instant this simulated time stands for.
    pub fn to_utc(self, start: DateTime<Utc>) -> DateTime<Utc> {
        start + Duration::seconds(self.0.min(i64::MAX as u64) as i64)
    }
}

/// Local clock reading at a UTC offset: minute of the day and whether it is a weekend day there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LocalClock {
    pub minute_of_day: u32,
    pub weekend: bool,
}

impl LocalClock {
    pub fn at(utc: DateTime<Utc>, utc_offset_s: i32) -> LocalClock {
        let local = utc + Duration::seconds(utc_offset_s as i64);
        LocalClock {
            minute_of_day: local.hour() * 60 + local.minute(),
            weekend: matches!(local.weekday(), Weekday::Sat | Weekday::Sun),
        }
    }
}

/// A region's calendar: its days run midnight to midnight at a reference UTC offset (the member-weighted
/// offset of its metros at the start, to the hour). Day 0 is the local day of the start's UTC date.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RegionCalendar {
    /// Local time minus UTC.
    pub offset_s: i64,
    /// Seconds from UTC midnight of the start date to the start.
    pub start_of_day_s: i64,
    /// Weekday (0 = Monday) of the start's UTC date.
    pub weekday0: usize,
}

impl RegionCalendar {
    pub fn new(start: DateTime<Utc>, offset_s: i64) -> RegionCalendar {
        RegionCalendar {
            offset_s,
            start_of_day_s: start.num_seconds_from_midnight() as i64,
            weekday0: start.weekday().num_days_from_monday() as usize,
        }
    }
    /// When day `day` begins, in seconds from the start.
    pub fn start_s(&self, day: i64) -> i64 {
        day * SECONDS_PER_DAY as i64 - self.offset_s - self.start_of_day_s
    }
    pub fn weekday(&self, day: i64) -> usize {
        (self.weekday0 as i64 + day).rem_euclid(7) as usize
    }
    /// The day in progress at `t_s` seconds from the start.
    pub fn day_at(&self, t_s: i64) -> i64 {
        (t_s + self.offset_s + self.start_of_day_s).div_euclid(SECONDS_PER_DAY as i64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_days_run_from_local_midnight() {
        // Monday 2026-11-23 00:00 UTC; a region at UTC−6 starts its Monday at 06:00 UTC.
        let start = DateTime::parse_from_rfc3339("2026-11-23T00:00:00Z").unwrap().with_timezone(&Utc);
        let na = RegionCalendar::new(start, -6 * 3600);
        assert_eq!(na.day_at(0), -1);
        assert_eq!(na.start_s(0), 6 * 3600);
        assert_eq!((na.weekday(-1), na.weekday(0)), (6, 0), "Sunday, then Monday");
        let asia = RegionCalendar::new(start, 7 * 3600);
        assert_eq!((asia.day_at(0), asia.start_s(1)), (0, 17 * 3600));
        // A start at noon shifts nothing but the clock's origin.
        let noon = RegionCalendar::new(start + Duration::hours(12), -6 * 3600);
        assert_eq!(noon.start_s(0), -6 * 3600);
    }
}
