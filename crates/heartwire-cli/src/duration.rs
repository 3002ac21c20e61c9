//! The durations of the command-line flags.

use std::time::Duration;

use heartwire::text::Seconds;

/// `30`, `30s`, `1.5s`, `5m`, `1h`: a beatit number and an optional unit.
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
    let (number, scale) = match text.as_bytes().last() {
        Some(b's') => (&text[..text.len() - 1], 1),
        Some(b'm') => (&text[..text.len() - 1], 60),
        Some(b'h') => (&text[..text.len() - 1], 3_600),
        _ => (text, 1),
    };
    let seconds = parse_seconds(number)?;
    seconds
        .as_duration()
        .checked_mul(scale)
        .ok_or_else(|| format!("{text:?} is too long"))
}

pub(crate) fn parse_seconds(text: &str) -> Result<Seconds, String> {
    Seconds::parse(text).map_err(|e| format!("{e}, expected a number of seconds such as 30 or 0.5"))
}
