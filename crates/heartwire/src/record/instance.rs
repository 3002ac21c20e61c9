//! [`InstanceId`]: which run of a service sent a record (`spec/record.md` §4.3).

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

/// The length of a UUID in its text form: 32 hex digits and 4 dashes.
const UUID_LEN: usize = 36;

/// Where the text form of a UUID has its dashes (`true`) and its hex digits.
const LAYOUT: [bool; UUID_LEN] = {
    let mut layout = [false; UUID_LEN];
    layout[8] = true;
    layout[13] = true;
    layout[18] = true;
    layout[23] = true;
    layout
};

/// Which bytes are lower-case hex digits.
const LOWER_HEX: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = matches!(b as u8, b'0'..=b'9' | b'a'..=b'f');
        b += 1;
    }
    table
};

/// What the instance id grammar expected where it failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum InstanceIdExpected {
    /// A lower-case hex digit, `0-9` or `a-f`.
    HexDigit,
    /// A dash, at bytes 8, 13, 18 and 23.
    Dash,
    /// The end of the id, after 36 bytes.
    End,
}

/// An instance id that is not a UUID in lower-case `8-4-4-4-12` form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct InstanceIdError {
    /// The first byte that breaks the grammar, counted from the start of the id.
    pub offset: usize,
    /// What was expected there.
    pub expected: InstanceIdExpected,
    /// The character found there, or `None` at the end of the id.
    pub found: Option<char>,
}

impl InstanceIdError {
    /// What a JSON reader says it expected, for `json.value` errors of `instance_id`.
    pub(crate) const fn expected_text(&self) -> &'static str {
        match self.expected {
            InstanceIdExpected::HexDigit => {
                "a lower-case hex digit of the instance id (a UUID, 8-4-4-4-12)"
            }
            InstanceIdExpected::Dash => "'-' in the instance id (a UUID, 8-4-4-4-12)",
            InstanceIdExpected::End => "the end of the instance id after 36 bytes",
        }
    }
}

impl fmt::Display for InstanceIdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let expected = match self.expected {
            InstanceIdExpected::HexDigit => "a lower-case hex digit",
            InstanceIdExpected::Dash => "'-'",
            InstanceIdExpected::End => "the end of the UUID",
        };
        write!(f, "expected {expected} at byte {}", self.offset)?;
        match self.found {
            Some(c) => write!(f, ", found {c:?}"),
            None => f.write_str(", found the end"),
        }
    }
}

impl std::error::Error for InstanceIdError {}

/// Whether 36 bytes are a UUID's lower-case text form: every byte judged without a
/// branch (arithmetic, not a table, so that the compiler compares 16 bytes at a time).
#[inline]
fn fits_layout(bytes: &[u8; UUID_LEN]) -> bool {
    let mut bad = 0u8;
    for (&b, dash) in bytes.iter().zip(LAYOUT) {
        let hex = u8::from(b.wrapping_sub(b'0') < 10) | u8::from(b.wrapping_sub(b'a') < 6);
        let dash = u8::from(dash);
        // A dash where the layout has one, a hex digit everywhere else.
        bad |= (dash & u8::from(b != b'-')) | (!dash & 1 & !hex);
    }
    bad == 0
}

/// The one place the instance id rule is applied.
fn check(id: &str) -> Result<(), InstanceIdError> {
    let bytes = id.as_bytes();
    let fail = |offset: usize, expected| InstanceIdError {
        offset,
        expected,
        found: id.get(offset..).and_then(|rest| rest.chars().next()),
    };
    let expected_at = |at: usize| {
        if matches!(at, 8 | 13 | 18 | 23) {
            InstanceIdExpected::Dash
        } else {
            InstanceIdExpected::HexDigit
        }
    };
    // The common case in one comparison per byte against a mask of the layout: this runs
    // on every record decoded. Only a failure looks for where and why.
    let fits = <&[u8; UUID_LEN]>::try_from(bytes).is_ok_and(fits_layout);
    if fits {
        return Ok(());
    }
    for (at, &b) in bytes.iter().take(UUID_LEN).enumerate() {
        let dash = LAYOUT[at];
        if (dash && b != b'-') || (!dash && !LOWER_HEX[usize::from(b)]) {
            return Err(fail(at, expected_at(at)));
        }
    }
    if bytes.len() < UUID_LEN {
        return Err(fail(bytes.len(), expected_at(bytes.len())));
    }
    if bytes.len() > UUID_LEN {
        return Err(fail(UUID_LEN, InstanceIdExpected::End));
    }
    Ok(())
}

/// Which run of a service sent a record: a UUID in the lower-case text form that
/// Python's `str(uuid.uuid4())` writes, `a1b2c3d4-e5f6-7890-abcd-ef1234567890`
/// (`spec/record.md` §4.3).
///
/// Any version is accepted: the id only has to be unique per run of a service.
///
/// ```
/// use heartwire::record::{InstanceId, InstanceIdExpected};
///
/// let id = InstanceId::new("a1b2c3d4-e5f6-7890-abcd-ef1234567890")?;
/// assert_eq!(id.as_u128(), 0xa1b2c3d4_e5f6_7890_abcd_ef1234567890);
/// assert_eq!(InstanceId::from_u128(id.as_u128()), id);
///
/// // One spelling per id: upper case would make a second instance of the same run.
/// let e = InstanceId::new("A1B2C3D4-E5F6-7890-ABCD-EF1234567890").unwrap_err();
/// assert_eq!((e.offset, e.expected), (0, InstanceIdExpected::HexDigit));
/// # Ok::<(), heartwire::record::InstanceIdError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct InstanceId<'a>(Cow<'a, str>);

impl<'a> InstanceId<'a> {
    /// Validates an id; errors count offsets from the start of `id`.
    pub fn new(id: &'a str) -> Result<InstanceId<'a>, InstanceIdError> {
        check(id)?;
        Ok(InstanceId(Cow::Borrowed(id)))
    }

    /// Validates an id that may own its text (a JSON string with escapes).
    pub fn from_cow(id: Cow<'a, str>) -> Result<InstanceId<'a>, InstanceIdError> {
        check(&id)?;
        Ok(InstanceId(id))
    }

    /// The id of a UUID given as a number (as `uuid::Uuid::as_u128` gives it), written
    /// in the canonical lower-case form.
    pub fn from_u128(value: u128) -> InstanceId<'static> {
        let hex = format!("{value:032x}");
        let mut text = String::with_capacity(UUID_LEN);
        for (i, c) in hex.chars().enumerate() {
            if matches!(i, 8 | 12 | 16 | 20) {
                text.push('-');
            }
            text.push(c);
        }
        InstanceId(Cow::Owned(text))
    }

    /// The UUID as a number.
    pub fn as_u128(&self) -> u128 {
        self.0
            .bytes()
            .filter_map(|b| char::from(b).to_digit(16))
            .fold(0u128, |acc, d| acc << 4 | u128::from(d))
    }

    /// The id's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The same id, owning its text.
    pub fn into_owned(self) -> InstanceId<'static> {
        InstanceId(Cow::Owned(self.0.into_owned()))
    }
}

impl fmt::Display for InstanceId<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for InstanceId<'static> {
    type Err = InstanceIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        InstanceId::new(s).map(InstanceId::into_owned)
    }
}

impl AsRef<str> for InstanceId<'_> {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(id: &str) -> (usize, InstanceIdExpected, Option<char>) {
        let e = InstanceId::new(id).expect_err(id);
        (e.offset, e.expected, e.found)
    }

    #[test]
    fn grammar() {
        use InstanceIdExpected as E;
        InstanceId::new("00000000-0000-0000-0000-000000000000").expect("nil is a UUID");
        InstanceId::new("ffffffff-ffff-ffff-ffff-ffffffffffff").expect("max is a UUID");
        assert_eq!(err(""), (0, E::HexDigit, None));
        assert_eq!(err("a1b2c3d4"), (8, E::Dash, None));
        assert_eq!(
            err("a1b2c3d4e5f67890abcdef1234567890"),
            (8, E::Dash, Some('e'))
        );
        assert_eq!(
            err("a1b2c3d4-e5f6-7890-abcd-ef123456789"),
            (35, E::HexDigit, None)
        );
        assert_eq!(
            err("a1b2c3d4-e5f6-7890-abcd-ef12345678901"),
            (36, E::End, Some('1'))
        );
        assert_eq!(
            err("a1b2c3d4-e5f6-7890-abcd-ef123456789G"),
            (35, E::HexDigit, Some('G'))
        );
        assert_eq!(
            err("{a1b2c3d4-e5f6-7890-abcd-ef1234567890}"),
            (0, E::HexDigit, Some('{'))
        );
        assert_eq!(
            err("a1b2c3d4-e5f6-7890-abcd-ef123456789é"),
            (35, E::HexDigit, Some('é'))
        );
    }

    /// The layout by the tables, one byte at a time: the reference of `fits_layout`.
    fn fits_by_table(bytes: &[u8; UUID_LEN]) -> bool {
        bytes.iter().zip(LAYOUT).all(|(&b, dash)| {
            if dash {
                b == b'-'
            } else {
                LOWER_HEX[usize::from(b)]
            }
        })
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(8192))]

        /// The branch-free check agrees with the tables on ids, valid and with one or two
        /// bytes changed to anything.
        #[test]
        fn the_branch_free_check_is_the_table_s(
            value in proptest::prelude::any::<u128>(),
            damage in proptest::collection::vec((0..UUID_LEN, proptest::prelude::any::<u8>()), 0..3),
        ) {
            let mut bytes = [0u8; UUID_LEN];
            bytes.copy_from_slice(InstanceId::from_u128(value).as_str().as_bytes());
            for (at, byte) in damage {
                bytes[at] = byte;
            }
            proptest::prop_assert_eq!(fits_layout(&bytes), fits_by_table(&bytes), "{:?}", bytes);
        }
    }

    #[test]
    fn numbers() {
        for value in [0, 1, u128::MAX, 0xa1b2c3d4_e5f6_7890_abcd_ef1234567890] {
            let id = InstanceId::from_u128(value);
            assert_eq!(InstanceId::new(id.as_str()), Ok(id.clone()));
            assert_eq!(id.as_u128(), value);
        }
        assert_eq!(
            InstanceId::from_u128(1).as_str(),
            "00000000-0000-0000-0000-000000000001"
        );
    }
}
