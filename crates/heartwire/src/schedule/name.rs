//! The name of a schedule (`spec/schedule.md` §3).

use std::borrow::Cow;
use std::fmt;

use super::error::{ScheduleError, ScheduleErrorKind};

/// The longest schedule name in bytes: the limit of an EventBridge rule name and of an
/// EventBridge Scheduler schedule name.
pub const MAX_NAME_LEN: usize = 64;

/// The name of a schedule: 1 to 64 characters, each an ASCII letter, digit, `.`, `_` or
/// `-`, the names EventBridge accepts for rules and for schedules, so that every name
/// deploys as it is.
///
/// ```
/// use heartwire::schedule::Name;
///
/// assert_eq!(Name::new("daily-report")?.as_str(), "daily-report");
/// assert!(Name::new("user reminder").is_err());
/// # Ok::<(), heartwire::schedule::ScheduleError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Name<'a>(Cow<'a, str>);

impl<'a> Name<'a> {
    /// Checks a name; borrowed text stays borrowed. The error's offset is the first
    /// character that breaks the rule (0 for an empty name, [`MAX_NAME_LEN`] for a long
    /// one).
    pub fn new(name: impl Into<Cow<'a, str>>) -> Result<Name<'a>, ScheduleError> {
        let name = name.into();
        check(&name)?;
        Ok(Name(name))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A copy that owns its text.
    pub fn into_owned(self) -> Name<'static> {
        Name(Cow::Owned(self.0.into_owned()))
    }
}

/// The one place the name rule is written in code.
fn check(name: &str) -> Result<(), ScheduleError> {
    if let Some(bad) = name
        .bytes()
        .take(MAX_NAME_LEN)
        .position(|b| !(b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-')))
    {
        let found = name
            .get(bad..)
            .and_then(|s| s.chars().next())
            .unwrap_or('\0');
        return Err(ScheduleError::new(
            bad,
            ScheduleErrorKind::NameChar { found },
        ));
    }
    if name.is_empty() {
        return Err(ScheduleError::new(0, ScheduleErrorKind::EmptyName));
    }
    if name.len() > MAX_NAME_LEN {
        return Err(ScheduleError::new(
            MAX_NAME_LEN,
            ScheduleErrorKind::NameTooLong { len: name.len() },
        ));
    }
    Ok(())
}

impl fmt::Display for Name<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Name<'_> {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(name: &str) -> (usize, ScheduleErrorKind) {
        let e = Name::new(name).expect_err(name);
        (e.offset, e.kind)
    }

    #[test]
    fn the_eventbridge_rule() {
        assert!(Name::new("a").is_ok());
        assert!(Name::new("user-reminder_42.v2").is_ok());
        assert!(Name::new("x".repeat(64)).is_ok());
        assert_eq!(err(""), (0, ScheduleErrorKind::EmptyName));
        assert_eq!(
            err(&"x".repeat(65)),
            (64, ScheduleErrorKind::NameTooLong { len: 65 })
        );
        assert_eq!(err("a b"), (1, ScheduleErrorKind::NameChar { found: ' ' }));
        assert_eq!(err("café"), (3, ScheduleErrorKind::NameChar { found: 'é' }));
        assert_eq!(err("a/b"), (1, ScheduleErrorKind::NameChar { found: '/' }));
        // A bad character within the limit is reported before the length.
        let long = format!("{}:{}", "x".repeat(10), "y".repeat(100));
        assert_eq!(err(&long), (10, ScheduleErrorKind::NameChar { found: ':' }));
        assert!(matches!(
            Name::new("borrowed").map(|n| n.0),
            Ok(Cow::Borrowed(_))
        ));
    }
}
