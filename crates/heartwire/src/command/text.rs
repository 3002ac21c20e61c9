//! The string form of a command, `Heartbeat(10)` (`spec/command.md` §4.2): the one
//! parser of its grammar, used by the decoder, `FromStr` and the name checks of the
//! other encodings.
//!
//! ```abnf
//! command-text = name [ "(" arg *( "," arg ) ")" ]
//! name         = ALPHA *( ALPHA / DIGIT / "_" )
//! arg          = ws value ws            ; RFC 8259 value and ws
//! ```
//!
//! The grammar finds where each argument starts and ends; the argument itself is then
//! read as JSON by serde_json, like any other member of a document.

use nom::character::complete::{char, multispace0};
use nom::error::{ErrorKind, ParseError};
use nom::{IResult, Parser};
use smallvec::SmallVec;

/// What the grammar expected where it failed, and the input left there.
#[derive(Debug)]
pub(crate) struct Fail<'t> {
    rest: &'t str,
    pub(crate) expected: &'static str,
}

impl<'t> ParseError<&'t str> for Fail<'t> {
    fn from_error_kind(rest: &'t str, _: ErrorKind) -> Self {
        Fail {
            rest,
            expected: "the end of the command",
        }
    }

    fn append(_: &'t str, _: ErrorKind, other: Self) -> Self {
        other
    }
}

type Res<'t, T> = IResult<&'t str, T, Fail<'t>>;

fn fail<'t, T>(rest: &'t str, expected: &'static str) -> Res<'t, T> {
    Err(nom::Err::Failure(Fail { rest, expected }))
}

/// A command in the string form: its name and each argument's text with its offset.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Parsed<'t> {
    pub(crate) name: &'t str,
    pub(crate) args: SmallVec<[(&'t str, usize); 2]>,
}

/// `name = ALPHA *( ALPHA / DIGIT / "_" )`: a ReScript constructor as it stands in the
/// three encodings alike.
pub(crate) fn name(input: &str) -> Res<'_, &str> {
    if !input
        .as_bytes()
        .first()
        .is_some_and(u8::is_ascii_alphabetic)
    {
        return fail(
            input,
            "a command name (a letter, then letters, digits or '_')",
        );
    }
    let len = input
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
        .count();
    match input.split_at_checked(len) {
        Some((name, rest)) => Ok((rest, name)),
        None => fail(input, "a command name"),
    }
}

/// Whether `s` is a valid command name, whole.
pub(crate) fn is_name(s: &str) -> bool {
    matches!(name(s), Ok(("", _)))
}

/// The end of the string literal starting at `bytes[start]` (a `"`), after its closing
/// quote; `None` when it is not closed.
fn string_end(bytes: &[u8], start: usize) -> Option<usize> {
    let mut i = start + 1;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

/// The end of the array or object starting at `bytes[0]`, after its closing bracket;
/// `None` when brackets are not balanced. Counting, not recursion: any depth is safe.
fn nested_end(bytes: &[u8]) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'"' => {
                i = string_end(bytes, i)?;
                continue;
            }
            b'[' | b'{' => depth += 1,
            b']' | b'}' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// One argument's text: a string literal, a balanced array or object, or a scalar token
/// running to the next `,`, `)` or white space. Its JSON validity is checked later.
fn value(input: &str) -> Res<'_, &str> {
    let bytes = input.as_bytes();
    let end = match bytes.first() {
        None | Some(b',' | b')') => return fail(input, "an argument (a JSON value)"),
        Some(b'"') => string_end(bytes, 0),
        Some(b'[' | b'{') => nested_end(bytes),
        Some(_) => Some(
            bytes
                .iter()
                .position(|b| matches!(b, b',' | b')' | b' ' | b'\t' | b'\n' | b'\r'))
                .unwrap_or(bytes.len()),
        ),
    };
    let Some(end) = end else {
        return fail(&input[input.len()..], "the end of the argument");
    };
    match input.split_at_checked(end) {
        Some((value, rest)) => Ok((rest, value)),
        None => fail(input, "an argument (a JSON value)"),
    }
}

/// Parses a whole command in the string form. Errors give the byte offset in `text`
/// and what was expected there.
pub(crate) fn parse(text: &str) -> Result<Parsed<'_>, (usize, &'static str)> {
    let at = |rest: &str| text.len() - rest.len();
    let failed = |e: nom::Err<Fail<'_>>| match e {
        nom::Err::Error(f) | nom::Err::Failure(f) => (at(f.rest), f.expected),
        nom::Err::Incomplete(_) => (text.len(), "more input"),
    };
    let (rest, name) = name(text).map_err(failed)?;
    let mut args = SmallVec::new();
    let Ok((mut rest, _)) = char::<_, Fail<'_>>('(').parse(rest) else {
        return if rest.is_empty() {
            Ok(Parsed { name, args })
        } else {
            Err((at(rest), "'(' or the end of the command"))
        };
    };
    loop {
        let (after, (_, arg, _)) = (multispace0, value, multispace0)
            .parse(rest)
            .map_err(failed)?;
        // The argument is a slice of `text`: its offset is where it starts in memory.
        let start = (arg.as_ptr() as usize).saturating_sub(text.as_ptr() as usize);
        args.push((arg, start));
        match after.as_bytes().first() {
            Some(b',') => rest = &after[1..],
            Some(b')') if after.len() == 1 => return Ok(Parsed { name, args }),
            Some(b')') => return Err((at(after) + 1, "the end of the command")),
            _ => return Err((at(after), "',' or ')'")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Outcome<'t> = Result<(&'t str, Vec<(&'t str, usize)>), (usize, &'static str)>;

    fn args(text: &str) -> Outcome<'_> {
        parse(text).map(|p| (p.name, p.args.to_vec()))
    }

    #[test]
    fn names_and_arguments() {
        assert_eq!(args("DisconnectPlugin"), Ok(("DisconnectPlugin", vec![])));
        assert_eq!(args("Heartbeat(10)"), Ok(("Heartbeat", vec![("10", 10)])));
        assert_eq!(
            args("Foo( 1 ,\t\"a,)\\\"\" , [1,[2]],{\"k\":\")\"})"),
            Ok((
                "Foo",
                vec![
                    ("1", 5),
                    ("\"a,)\\\"\"", 9),
                    ("[1,[2]]", 19),
                    ("{\"k\":\")\"}", 27)
                ]
            ))
        );
        assert_eq!(args("Foo(tru)"), Ok(("Foo", vec![("tru", 4)])));
    }

    #[test]
    fn rejections_say_where() {
        assert_eq!(args("").map_err(|e| e.0), Err(0));
        assert_eq!(args("9lives").map_err(|e| e.0), Err(0));
        assert_eq!(args("Heartbeat 10").map_err(|e| e.0), Err(9));
        assert_eq!(args("Heartbeat()").map_err(|e| e.0), Err(10));
        assert_eq!(args("Heartbeat(10").map_err(|e| e.0), Err(12));
        assert_eq!(args("Heartbeat(10 11)").map_err(|e| e.0), Err(13));
        assert_eq!(args("Heartbeat(10,)").map_err(|e| e.0), Err(13));
        assert_eq!(args("Heartbeat(10))").map_err(|e| e.0), Err(13));
        assert_eq!(args("Foo(\"abc)").map_err(|e| e.0), Err(9));
        assert_eq!(args("Foo([1,2)").map_err(|e| e.0), Err(9));
        assert_eq!(args("Fé(1)").map_err(|e| e.0), Err(1));
    }

    #[test]
    fn deep_brackets_do_not_recurse() {
        let deep = format!("Foo({}{})", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(args(&deep).map(|(_, a)| a.len()), Ok(1));
    }
}
