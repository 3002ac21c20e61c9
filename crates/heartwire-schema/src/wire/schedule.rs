//! The Reventless Scheduler schedule (`spec/schedule.md`).

use schemars::JsonSchema;

/// An hour of the day in the string form: 0 to 23 without leading zeros.
macro_rules! hour {
    () => {
        r"([0-9]|1[0-9]|2[0-3])"
    };
}

/// A minute in the string form: 0 to 59 without leading zeros.
macro_rules! minute {
    () => {
        r"([0-9]|[1-5][0-9])"
    };
}

/// A count in the string form: 1 to 2147483647 (2^31 - 1), no leading zero, digit by
/// digit below the bound.
macro_rules! count {
    () => {
        concat!(
            r"([1-9][0-9]{0,8}|1[0-9]{9}|20[0-9]{8}|21[0-3][0-9]{7}|214[0-6][0-9]{6}",
            r"|2147[0-3][0-9]{5}|21474[0-7][0-9]{4}|214748[0-2][0-9]{3}|2147483[0-5][0-9]{2}",
            r"|21474836[0-3][0-9]|214748364[0-7])"
        )
    };
}

/// A date of a `Single` in the string form: year, month and day that exist together,
/// 29 February only in the leap years of 1970 to 2199 (2100 is not one).
macro_rules! date {
    () => {
        concat!(
            r"(",
            // Any month up to the 28th, months but February up to the 30th, the 31st in
            // the seven long months.
            r"(19[7-9][0-9]|2[01][0-9][0-9])",
            sep!(),
            r"(([1-9]|1[0-2])",
            sep!(),
            r"([1-9]|1[0-9]|2[0-8])|([13-9]|1[0-2])",
            sep!(),
            r"(29|30)|([13578]|1[02])",
            sep!(),
            r"31)",
            // 29 February of a leap year.
            r"|(19(7[26]|8[048]|9[26])|20([02468][048]|[13579][26])|21(0[48]|[2468][048]|[13579][26]))",
            sep!(),
            r"2",
            sep!(),
            r"29)"
        )
    };
}

/// The separator of arguments: a comma and one optional space.
macro_rules! sep {
    () => {
        r", ?"
    };
}

/// The string form of a rate (spec/schedule.md §4.2) with the ranges of §4.5, the
/// existence of a `Single`'s date included.
pub const RATE_TEXT_PATTERN: &str = concat!(
    r"^(Single\(",
    date!(),
    sep!(),
    hour!(),
    sep!(),
    minute!(),
    r"\)",
    r"|(Minutes|Hours|Days)\(",
    count!(),
    r"\)",
    r"|(Daily|Weekdays|WeekdaysAndSaturday)\(",
    hour!(),
    sep!(),
    minute!(),
    r"\))$"
);

/// # Reventless schedule
///
/// A schedule of the Reventless Scheduler (spec/schedule.md): its `name`, when it fires
/// (`rate`, in one of three forms) and the `payload` published when it fires. Other
/// members are extra members, kept verbatim.
#[derive(JsonSchema)]
#[schemars(extend("additionalProperties" = true), extend("examples" = [
    {"name": "daily-report", "rate": "Daily(9,0)", "payload": "{\"type\":\"GenerateReport\"}"},
    {"name": "christmas", "rate": {"TAG": "Single", "_0": 2024, "_1": 12, "_2": 25, "_3": 14, "_4": 30}, "payload": ""},
    {"name": "cleanup", "rate": ["Hours", 6], "payload": "cleanup"}
]))]
pub struct Schedule {
    /// The schedule's unique name: 1 to 64 ASCII letters, digits, `.`, `_` and `-`, the
    /// rule EventBridge applies to rule and schedule names (spec/schedule.md §3).
    #[schemars(regex(pattern = r"^[A-Za-z0-9._-]{1,64}$"))]
    pub name: String,
    /// When the schedule fires.
    pub rate: Rate,
    /// What is published when it fires: any string, kept exactly.
    pub payload: String,
}

/// # Rate
///
/// When a schedule fires (spec/schedule.md §4), in the string form `"Daily(9,0)"`, the
/// sury form `{"TAG":"Daily","_0":9,"_1":0}` or the decco form `["Daily",9,0]`. Times are
/// UTC.
#[derive(JsonSchema)]
#[schemars(untagged)]
pub enum Rate {
    /// # RateText
    ///
    /// The string form, as the framework's source code writes a rate:
    /// `Single(2024, 12, 25, 14, 30)`, `Hours(6)`, `Daily(9,0)`.
    Text(#[schemars(regex(pattern = RATE_TEXT_PATTERN))] String),
    /// # SuryRate
    ///
    /// The sury form.
    Sury(SuryRate),
    /// # DeccoRate
    ///
    /// The decco form.
    Decco(DeccoRate),
}

/// A year of a `Single`: 1970 to 2199, the range of EventBridge cron expressions.
#[derive(JsonSchema)]
pub struct Year(#[schemars(range(min = 1970, max = 2199))] pub u16);

/// A month: 1 to 12.
#[derive(JsonSchema)]
pub struct Month(#[schemars(range(min = 1, max = 12))] pub u8);

/// A day of the month: 1 to 31; the rate's schema checks that the date exists (30 days
/// in April, June, September and November; 29 February only in leap years).
#[derive(JsonSchema)]
pub struct Day(#[schemars(range(min = 1, max = 31))] pub u8);

/// An hour of the day: 0 to 23.
#[derive(JsonSchema)]
pub struct Hour(#[schemars(range(min = 0, max = 23))] pub u8);

/// A minute of the hour: 0 to 59.
#[derive(JsonSchema)]
pub struct Minute(#[schemars(range(min = 0, max = 59))] pub u8);

/// A count of minutes, hours or days: 1 to 2147483647, ReScript's largest `int`.
#[derive(JsonSchema)]
pub struct Count(#[schemars(range(min = 1, max = 2147483647))] pub u32);

/// The sury form of a rate: `TAG` names the variant, `_0`, `_1`, ... are its arguments.
#[derive(JsonSchema)]
#[schemars(tag = "TAG", deny_unknown_fields)]
#[allow(non_snake_case)]
pub enum SuryRate {
    /// # SurySingle
    ///
    /// Once, at that minute.
    #[schemars(extend("allOf" = [
        {
            "if": {"properties": {"_1": {"enum": [4, 6, 9, 11]}}},
            "then": {"properties": {"_2": {"type": "integer", "maximum": 30}}}
        },
        {
            "if": {"properties": {"_1": {"const": 2}}},
            "then": {"properties": {"_2": {"type": "integer", "maximum": 29}}}
        },
        {
            "if": {"properties": {"_1": {"const": 2}, "_2": {"const": 29}}},
            "then": {"properties": {"_0": {"type": "integer", "multipleOf": 4, "not": {"const": 2100}}}}
        }
    ]))]
    Single {
        /// The year.
        _0: Year,
        /// The month.
        _1: Month,
        /// The day.
        _2: Day,
        /// The hour.
        _3: Hour,
        /// The minute.
        _4: Minute,
    },
    /// # SuryMinutes
    ///
    /// Every count minutes.
    Minutes {
        /// The count.
        _0: Count,
    },
    /// # SuryHours
    ///
    /// Every count hours.
    Hours {
        /// The count.
        _0: Count,
    },
    /// # SuryDays
    ///
    /// Every count days.
    Days {
        /// The count.
        _0: Count,
    },
    /// # SuryDaily
    ///
    /// Every day at that time.
    Daily {
        /// The hour.
        _0: Hour,
        /// The minute.
        _1: Minute,
    },
    /// # SuryWeekdays
    ///
    /// Monday to Friday at that time.
    Weekdays {
        /// The hour.
        _0: Hour,
        /// The minute.
        _1: Minute,
    },
    /// # SuryWeekdaysAndSaturday
    ///
    /// Monday to Saturday at that time.
    WeekdaysAndSaturday {
        /// The hour.
        _0: Hour,
        /// The minute.
        _1: Minute,
    },
}

/// The decco form of a rate: the variant's name, then its arguments.
#[derive(JsonSchema)]
#[schemars(untagged)]
pub enum DeccoRate {
    /// # DeccoSingle
    ///
    /// `["Single",2024,12,25,14,30]`.
    #[schemars(extend("allOf" = [
        // Each tuple written whole (six items), as ajv's strict mode asks.
        {
            "if": {"prefixItems": [true, true, {"enum": [4, 6, 9, 11]}, true, true, true], "minItems": 6, "maxItems": 6},
            "then": {"prefixItems": [true, true, true, {"type": "integer", "maximum": 30}, true, true], "minItems": 6, "maxItems": 6}
        },
        {
            "if": {"prefixItems": [true, true, {"const": 2}, true, true, true], "minItems": 6, "maxItems": 6},
            "then": {"prefixItems": [true, true, true, {"type": "integer", "maximum": 29}, true, true], "minItems": 6, "maxItems": 6}
        },
        {
            "if": {"prefixItems": [true, true, {"const": 2}, {"const": 29}, true, true], "minItems": 6, "maxItems": 6},
            "then": {"prefixItems": [true, {"type": "integer", "multipleOf": 4, "not": {"const": 2100}}, true, true, true, true], "minItems": 6, "maxItems": 6}
        }
    ]))]
    Single(SingleName, Year, Month, Day, Hour, Minute),
    /// # DeccoInterval
    ///
    /// `["Minutes",5]`, `["Hours",6]`, `["Days",1]`.
    Interval(IntervalName, Count),
    /// # DeccoClock
    ///
    /// `["Daily",9,0]`, `["Weekdays",9,0]`, `["WeekdaysAndSaturday",9,0]`.
    Clock(ClockName, Hour, Minute),
}

/// The name of the one-shot variant.
#[derive(JsonSchema)]
pub enum SingleName {
    /// Once.
    Single,
}

/// The names of the interval variants.
#[derive(JsonSchema)]
pub enum IntervalName {
    /// Every count minutes.
    Minutes,
    /// Every count hours.
    Hours,
    /// Every count days.
    Days,
}

/// The names of the clock variants.
#[derive(JsonSchema)]
pub enum ClockName {
    /// Every day.
    Daily,
    /// Monday to Friday.
    Weekdays,
    /// Monday to Saturday.
    WeekdaysAndSaturday,
}
