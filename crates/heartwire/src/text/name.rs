//! [`Process`] names and the [`Subject`]s built from them.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use super::grammar::{self, PREFIX};
use super::{MAX_PROCESS_LEN, MAX_SUBJECT_LEN, Part, TextError};
use crate::ascii::ascii_text;

/// Checks the length of a raw input before any grammar runs on it (§7).
pub(crate) const fn check_len(bytes: &[u8], part: Part, max: usize) -> Result<(), TextError> {
    if bytes.len() > max {
        return Err(TextError::TooLong {
            part,
            offset: max,
            len: bytes.len(),
            max,
        });
    }
    Ok(())
}

/// A valid subject as text: the one place the subject rules are applied (§3, §7).
///
/// The whole subject is converted, not just the name, so that [`Subject`] and
/// [`Process`] share this one path.
///
/// Always inlined into the decoders, as [`Signal::decode`](super::Signal::decode) is,
/// for the same measured reason.
#[inline(always)]
fn subject_text(subject: &[u8]) -> Result<&str, TextError> {
    check_len(subject, Part::Subject, MAX_SUBJECT_LEN)?;
    grammar::run_all(subject, Part::Subject, grammar::subject)?;
    accepted_text(subject, Part::Subject)
}

/// Input the grammar accepted, as text. The grammar accepts ASCII only, so this cannot
/// fail; it is still checked here rather than assumed ([`ascii_text`], the crate's one
/// `unsafe` block): `std::str::from_utf8` was about 160 of the 574 instructions of a
/// whole text decode, because for a short slice its general UTF-8 automaton dominates.
#[inline]
fn accepted_text(bytes: &[u8], part: Part) -> Result<&str, TextError> {
    match ascii_text(bytes) {
        Some(text) => Ok(text),
        None => std::str::from_utf8(bytes).map_err(|e| TextError::NotUtf8 {
            part,
            offset: e.valid_up_to(),
        }),
    }
}

/// A process name that is safe as a subject, topic, channel or routing key on every
/// broker heartwire speaks (`spec/text.md` §3).
///
/// One or more tokens of ASCII letters, digits, `_` and `-`, joined by single dots, at
/// most [`MAX_PROCESS_LEN`] bytes: `my.process.identifier`, `billing-worker_7`. A name
/// that decodes from a subject borrows from it; [`Process::into_owned`] detaches it.
///
/// ```
/// use heartwire::text::{Process, TextError};
///
/// let name = Process::new("my.process.identifier")?;
/// assert_eq!(name.as_str(), "my.process.identifier");
/// assert_eq!(
///     Process::new("orders.*"),
///     Err(TextError::ForbiddenChar { offset: 7, found: '*' })
/// );
/// # Ok::<(), TextError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Process<'a>(Cow<'a, str>);

impl<'a> Process<'a> {
    /// Validates a name; errors count offsets from the start of `name`.
    pub fn new(name: &'a str) -> Result<Process<'a>, TextError> {
        Process::check(name.as_bytes())?;
        Ok(Process(Cow::Borrowed(name)))
    }

    /// Validates a name given as bytes (it must be UTF-8).
    pub fn decode(name: &'a [u8]) -> Result<Process<'a>, TextError> {
        Process::check(name)?;
        Ok(Process(Cow::Borrowed(accepted_text(name, Part::Process)?)))
    }

    fn check(name: &[u8]) -> Result<(), TextError> {
        check_len(name, Part::Process, MAX_PROCESS_LEN)?;
        grammar::run_all(name, Part::Process, grammar::process).map(drop)
    }

    /// A name that was validated by the grammar already.
    pub(crate) fn from_valid(name: &'a str) -> Process<'a> {
        Process(Cow::Borrowed(name))
    }

    /// The process name of a subject given as bytes, validated as [`Subject::decode`]
    /// does, without building the subject: what a receiver needs.
    #[inline]
    pub(crate) fn from_subject(subject: &'a [u8]) -> Result<Process<'a>, TextError> {
        let text = subject_text(subject)?;
        Ok(Process(Cow::Borrowed(&text[PREFIX.len()..])))
    }

    /// The process name of a subject that is text already: the same rules, without the
    /// UTF-8 check that `&str` has made.
    #[inline]
    pub(crate) fn from_subject_str(subject: &'a str) -> Result<Process<'a>, TextError> {
        check_len(subject.as_bytes(), Part::Subject, MAX_SUBJECT_LEN)?;
        grammar::run_all(subject.as_bytes(), Part::Subject, grammar::subject)?;
        // The grammar accepted an ASCII prefix, so this is a character boundary.
        let name = subject
            .get(PREFIX.len()..)
            .ok_or(TextError::MissingPrefix {
                offset: subject.len(),
            })?;
        Ok(Process(Cow::Borrowed(name)))
    }

    /// A validated name from a string that may own its text (a JSON string with escapes).
    pub(crate) fn from_cow(name: Cow<'a, str>) -> Result<Process<'a>, TextError> {
        Process::check(name.as_bytes())?;
        Ok(Process(name))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The same name, owning its text.
    pub fn into_owned(self) -> Process<'static> {
        Process(Cow::Owned(self.0.into_owned()))
    }

    /// A copy of this name borrowing from `self`, so it can be passed on without cloning.
    pub fn borrowed(&self) -> Process<'_> {
        Process(Cow::Borrowed(&self.0))
    }

    /// The subject this process publishes on: `heartbeat.<name>`.
    pub fn subject(&self) -> Subject<'static> {
        Subject(Cow::Owned(format!("{PREFIX}{}", self.0)))
    }
}

impl fmt::Display for Process<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Process<'static> {
    type Err = TextError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Process::new(s).map(Process::into_owned)
    }
}

impl AsRef<str> for Process<'_> {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

/// A subject of the text convention: `heartbeat.` followed by a [`Process`] name, at most
/// [`MAX_SUBJECT_LEN`] bytes (`spec/text.md` §3).
///
/// This is the exact text a publisher sends; [`Subject::process`] gives the name back.
///
/// ```
/// use heartwire::text::{Subject, TextError};
///
/// let subject = Subject::decode(b"heartbeat.my.process")?;
/// assert_eq!(subject.process().as_str(), "my.process");
/// assert_eq!(
///     Subject::decode(b"heartbeat.my..process"),
///     Err(TextError::EmptyToken { offset: 13 })
/// );
/// # Ok::<(), TextError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Subject<'a>(Cow<'a, str>);

impl<'a> Subject<'a> {
    /// Validates a subject; errors count offsets from the start of `subject`.
    pub fn new(subject: &'a str) -> Result<Subject<'a>, TextError> {
        Subject::decode(subject.as_bytes())
    }

    /// Validates a subject given as bytes, as brokers deliver it.
    pub fn decode(subject: &'a [u8]) -> Result<Subject<'a>, TextError> {
        Ok(Subject(Cow::Borrowed(subject_text(subject)?)))
    }

    /// The process name after `heartbeat.`.
    pub fn process(&self) -> Process<'_> {
        Process::from_valid(&self.0[PREFIX.len()..])
    }

    /// The process name after `heartbeat.`, keeping the borrow of the input the
    /// subject was decoded from.
    pub fn into_process(self) -> Process<'a> {
        match self.0 {
            Cow::Borrowed(text) => Process::from_valid(&text[PREFIX.len()..]),
            Cow::Owned(mut text) => {
                text.drain(..PREFIX.len());
                Process(Cow::Owned(text))
            }
        }
    }

    /// The subject text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The subject text as bytes, as beatit publishes it by default.
    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }

    /// The same subject, owning its text.
    pub fn into_owned(self) -> Subject<'static> {
        Subject(Cow::Owned(self.0.into_owned()))
    }
}

impl fmt::Display for Subject<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Subject<'static> {
    type Err = TextError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Subject::new(s).map(Subject::into_owned)
    }
}

impl AsRef<str> for Subject<'_> {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl<'a> From<&'a Subject<'a>> for Process<'a> {
    fn from(subject: &'a Subject<'a>) -> Process<'a> {
        subject.process()
    }
}
