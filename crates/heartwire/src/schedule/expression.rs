//! EventBridge schedule expressions of rates (`spec/schedule.md` §9).

use super::error::ScheduleError;
use super::rate::Rate;

impl Rate {
    /// The EventBridge schedule expression that fires as this rate does (`spec/schedule.md`
    /// §9): `rate(1 minute)`, `rate(5 minutes)`, `rate(6 hours)`, `rate(1 day)`,
    /// `cron(0 9 * * ? *)` for `Daily(9,0)`, `cron(0 17 ? * MON-FRI *)` for
    /// `Weekdays(17,0)`, `cron(0 8 ? * MON-SAT *)` for `WeekdaysAndSaturday(8,0)` and
    /// `cron(30 14 25 12 ? 2024)` for `Single(2024,12,25,14,30)`.
    ///
    /// `Daily` is not the Reventless framework's `cron(m h * * * *)`: EventBridge rejects
    /// a `*` in both day-of-month and day-of-week. A `rate()` expression counts from when
    /// the rule is created, not from the epoch (see [`Rate::next_after_anchored`]).
    ///
    /// ```
    /// use heartwire::schedule::Rate;
    ///
    /// assert_eq!(Rate::minutes(1).unwrap().expression(), "rate(1 minute)");
    /// assert_eq!(Rate::daily(2, 0).unwrap().expression(), "cron(0 2 * * ? *)");
    /// ```
    pub fn expression(&self) -> String {
        let unit = |n: u32, unit: &str| {
            let plural = if n == 1 { "" } else { "s" };
            format!("rate({n} {unit}{plural})")
        };
        match *self {
            Rate::Minutes(n) => unit(n.get(), "minute"),
            Rate::Hours(n) => unit(n.get(), "hour"),
            Rate::Days(n) => unit(n.get(), "day"),
            Rate::Daily { hour, minute } => {
                format!("cron({} {} * * ? *)", minute.get(), hour.get())
            }
            Rate::Weekdays { hour, minute } => {
                format!("cron({} {} ? * MON-FRI *)", minute.get(), hour.get())
            }
            Rate::WeekdaysAndSaturday { hour, minute } => {
                format!("cron({} {} ? * MON-SAT *)", minute.get(), hour.get())
            }
            Rate::Single { date, hour, minute } => format!(
                "cron({} {} {} {} ? {})",
                minute.get(),
                hour.get(),
                date.day(),
                date.month(),
                date.year()
            ),
        }
    }

    /// The one-time expression of EventBridge Scheduler for a `Single`,
    /// `at(2024-12-25T14:30:00)`, or `None` for a rate that repeats.
    ///
    /// ```
    /// use heartwire::schedule::Rate;
    ///
    /// let rate = Rate::single(2024, 12, 25, 14, 30).unwrap();
    /// assert_eq!(rate.at_expression().as_deref(), Some("at(2024-12-25T14:30:00)"));
    /// assert_eq!(Rate::hours(6).unwrap().at_expression(), None);
    /// ```
    pub fn at_expression(&self) -> Option<String> {
        match *self {
            Rate::Single { date, hour, minute } => Some(format!(
                "at({:04}-{:02}-{:02}T{:02}:{:02}:00)",
                date.year(),
                date.month(),
                date.day(),
                hour.get(),
                minute.get()
            )),
            _ => None,
        }
    }

    /// The rate an EventBridge expression stands for: the inverse of
    /// [`Rate::expression`] and [`Rate::at_expression`] (`spec/schedule.md` §9.4).
    ///
    /// Expressions that EventBridge rejects, such as the framework's
    /// `cron(m h * * * *)`, and those no rate stands for, such as `cron(0/15 * * * ? *)`,
    /// are errors with the byte offset of the field at fault.
    ///
    /// ```
    /// use heartwire::schedule::{Rate, ScheduleErrorKind};
    ///
    /// assert_eq!(Rate::from_expression("rate(6 hours)")?, Rate::hours(6).unwrap());
    /// let e = Rate::from_expression("cron(0 9 * * * *)").unwrap_err();
    /// assert_eq!((e.offset, e.kind), (13, ScheduleErrorKind::DayFields));
    /// # Ok::<(), heartwire::schedule::ScheduleError>(())
    /// ```
    pub fn from_expression(expression: &str) -> Result<Rate, ScheduleError> {
        super::grammar::expression(expression)
    }
}
