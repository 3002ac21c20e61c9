//! Aligned schedules: fire when the minute is divisible by the frequency
//! (`spec/http.md` §3).

use std::fmt;

use heartwire::time::UnixTime;

/// How often an aligned pinger fires, in minutes of the clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Frequency {
    /// At :00, :05, :10, ...
    Every5,
    /// At :00, :10, :20, ...
    Every10,
    /// At :00, :15, :30, :45.
    Every15,
    /// At :00, :20, :40.
    Every20,
    /// At :00 and :30 (the Intervalometerator: :15 and :45).
    Every30,
    /// At :00 (the Intervalometerator: :30).
    Every60,
}

impl Frequency {
    /// Every frequency, shortest first.
    pub const ALL: [Frequency; 6] = [
        Frequency::Every5,
        Frequency::Every10,
        Frequency::Every15,
        Frequency::Every20,
        Frequency::Every30,
        Frequency::Every60,
    ];

    /// The frequency of `minutes`, if it is one of 5, 10, 15, 20, 30, 60.
    pub const fn from_minutes(minutes: u32) -> Option<Frequency> {
        match minutes {
            5 => Some(Frequency::Every5),
            10 => Some(Frequency::Every10),
            15 => Some(Frequency::Every15),
            20 => Some(Frequency::Every20),
            30 => Some(Frequency::Every30),
            60 => Some(Frequency::Every60),
            _ => None,
        }
    }

    /// Its length in minutes.
    pub const fn minutes(self) -> u32 {
        match self {
            Frequency::Every5 => 5,
            Frequency::Every10 => 10,
            Frequency::Every15 => 15,
            Frequency::Every20 => 20,
            Frequency::Every30 => 30,
            Frequency::Every60 => 60,
        }
    }
}

/// Which minutes a frequency fires at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Alignment {
    /// When the minute of the hour is divisible by the frequency (60: at :00).
    #[default]
    Divisible,
    /// The Intervalometerator's rule: as `Divisible`, except 30 fires at :15 and :45
    /// and 60 at :30 (since 2021).
    Intervalometerator,
}

/// A pinger's schedule: aligned to the clock, once at start, and on demand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AlignedSchedule {
    /// How often.
    pub frequency: Frequency,
    /// At which minutes.
    pub alignment: Alignment,
}

impl AlignedSchedule {
    /// A schedule of `frequency` with `alignment`.
    pub const fn new(frequency: Frequency, alignment: Alignment) -> AlignedSchedule {
        AlignedSchedule {
            frequency,
            alignment,
        }
    }

    /// The offset in minutes of the first fire time of each hour.
    pub const fn offset_minutes(&self) -> u32 {
        match (self.alignment, self.frequency) {
            (Alignment::Intervalometerator, Frequency::Every30) => 15,
            (Alignment::Intervalometerator, Frequency::Every60) => 30,
            _ => 0,
        }
    }

    /// The first fire time strictly after `after`, on a whole minute (UTC). Pure, so a
    /// virtual clock can drive it: feed each fire time back in to get the next.
    pub fn next_fire(&self, after: UnixTime) -> UnixTime {
        let period = i64::from(self.frequency.minutes()) * 60;
        let offset = i64::from(self.offset_minutes()) * 60;
        let k = (after.secs() - offset).div_euclid(period);
        UnixTime::new(offset + (k + 1) * period, 0)
    }

    /// The fire times strictly after `after`, forever.
    pub fn fires_after(self, after: UnixTime) -> impl Iterator<Item = UnixTime> {
        std::iter::successors(Some(self.next_fire(after)), move |&t| {
            Some(self.next_fire(t))
        })
    }
}

impl fmt::Display for AlignedSchedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.alignment {
            Alignment::Divisible => write!(f, "every {} min", self.frequency.minutes()),
            Alignment::Intervalometerator => write!(
                f,
                "every {} min (intervalometerator)",
                self.frequency.minutes()
            ),
        }
    }
}

/// Why a pinger fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Trigger {
    /// Once, when it starts.
    Start,
    /// A fire time of its schedule.
    Scheduled,
    /// Asked to ("heartbeat now").
    OnDemand,
}

/// The firing plan of a pinger on a clock it is told: once at start, on every fire
/// time of its schedule, and on demand.
#[derive(Debug, Clone)]
pub struct Plan {
    schedule: AlignedSchedule,
    next: Option<UnixTime>,
    started: bool,
    demanded: bool,
}

impl Plan {
    /// A plan that has not started.
    pub fn new(schedule: AlignedSchedule) -> Plan {
        Plan {
            schedule,
            next: None,
            started: false,
            demanded: false,
        }
    }

    /// Asks for a ping at the next [`Plan::due`].
    pub fn demand(&mut self) {
        self.demanded = true;
    }

    /// What is due at `now`, if anything; each trigger is returned once. Several fire
    /// times passed at once (a suspended machine) are one ping.
    pub fn due(&mut self, now: UnixTime) -> Option<Trigger> {
        if !self.started {
            self.started = true;
            self.next = Some(self.schedule.next_fire(now));
            return Some(Trigger::Start);
        }
        if self.demanded {
            self.demanded = false;
            return Some(Trigger::OnDemand);
        }
        match self.next {
            Some(next) if next <= now => {
                self.next = Some(self.schedule.next_fire(now));
                Some(Trigger::Scheduled)
            }
            _ => None,
        }
    }

    /// When the next scheduled ping is due, once started.
    pub fn next_due(&self) -> Option<UnixTime> {
        self.next
    }
}
