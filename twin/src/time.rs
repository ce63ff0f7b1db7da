//! The virtual clock. The twin never reads the wall clock; all time is `SimTime` since the scenario start.

use chrono::{DateTime, Datelike, Duration, Timelike, Utc, Weekday};
use serde::{Deserialize, Serialize};

pub const SECONDS_PER_MINUTE: u64 = 60;
pub const MINUTES_PER_DAY: u64 = 24 * 60;

/// Simulated time: whole seconds since the scenario's start instant.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct SimTime(pub u64);

impl SimTime {
    pub fn from_minutes(minutes: u64) -> SimTime {
        SimTime(minutes * SECONDS_PER_MINUTE)
    }
    pub fn seconds(self) -> u64 {
        self.0
    }
    pub fn minutes(self) -> u64 {
        self.0 / SECONDS_PER_MINUTE
    }
    /// The wall-clock instant this simulated time stands for.
    pub fn to_utc(self, start: DateTime<Utc>) -> DateTime<Utc> {
        start + Duration::seconds(self.0 as i64)
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
