//! The one duration syntax of every flag: a number and a unit, `500ms`, `30s`, `1.5m`,
//! `2h`. The number is beatit's (`spec/text.md` §5.1, read by [`Seconds::parse`]), so it
//! is exact to the nanosecond; a bare number is refused, since `--timeout 5000` meant
//! milliseconds to one command and seconds to another.

use std::time::Duration;

use heartwire::text::Seconds;

/// What a duration flag's help says it takes.
pub(crate) const SYNTAX: &str = "a number and a unit: ms, s, m or h (500ms, 30s, 2m, 1h)";

/// The units, longest suffix first (`ms` before `s` and `m`), with their length in
/// nanoseconds.
const UNITS: [(&str, u128); 4] = [
    ("ms", 1_000_000),
    ("s", 1_000_000_000),
    ("m", 60_000_000_000),
    ("h", 3_600_000_000_000),
];

/// A duration flag's value: a positive number and a unit.
pub(crate) fn parse(text: &str) -> Result<Duration, String> {
    let Some((number, nanos_per_unit)) = UNITS
        .iter()
        .find_map(|&(unit, nanos)| text.strip_suffix(unit).map(|number| (number, nanos)))
    else {
        return Err(if Seconds::parse(text).is_ok() {
            format!("{text:?} has no unit; add one: {text}s, {text}ms, {text}m or {text}h")
        } else {
            format!("{text:?} is not a duration; expected {SYNTAX}")
        });
    };
    // The number read as seconds gives its value in units of 1e-9: exact, never a float.
    let value = Seconds::parse(number)
        .map_err(|_| format!("{text:?} is not a duration; expected {SYNTAX}"))?;
    let scaled = u128::from(value.as_nanos()) * nanos_per_unit;
    if scaled % 1_000_000_000 != 0 {
        return Err(format!("{text:?} is finer than a nanosecond"));
    }
    let nanos = scaled / 1_000_000_000;
    let seconds =
        u64::try_from(nanos / 1_000_000_000).map_err(|_| format!("{text:?} is too long"))?;
    let fraction = u32::try_from(nanos % 1_000_000_000).unwrap_or(0);
    Ok(Duration::new(seconds, fraction))
}

/// A duration flag's value that is also a beatit period (at most [`Seconds::MAX`]).
pub(crate) fn parse_seconds(text: &str) -> Result<Seconds, String> {
    let duration = parse(text)?;
    Seconds::try_from(duration).map_err(|e| format!("{text:?}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_unit_is_read_exactly() {
        assert_eq!(parse("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse("0.1s"), Ok(Duration::from_millis(100)));
        assert_eq!(parse("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse("1.5m"), Ok(Duration::from_secs(90)));
        assert_eq!(parse("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse("0.000001ms"), Ok(Duration::from_nanos(1)));
    }

    #[test]
    fn a_bare_number_is_refused_with_a_hint() {
        let e = parse("30").expect_err("no unit");
        assert!(e.contains("no unit") && e.contains("30s"), "{e}");
        let e = parse("5000").expect_err("no unit");
        assert!(e.contains("5000ms"), "{e}");
    }

    #[test]
    fn what_is_not_a_duration_is_refused() {
        for text in [
            "",
            "s",
            "ms",
            "0s",
            "-1s",
            "1x",
            "1 s",
            "s1",
            "1e",
            "nans",
            "1sec",
            "0.0000001ms",
        ] {
            assert!(parse(text).is_err(), "{text:?}");
        }
    }

    #[test]
    fn a_period_is_at_most_the_longest_beatit_duration() {
        assert_eq!(
            parse_seconds("1m"),
            Ok(Seconds::from_secs(60).expect("60 s"))
        );
        assert!(parse("1000000000h").is_ok());
        assert!(parse_seconds("1000000000h").is_err());
    }
}
