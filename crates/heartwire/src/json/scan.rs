//! A validating JSON scanner (RFC 8259), the one reader of the structure of every JSON
//! document heartwire decodes.
//!
//! It reads exactly RFC 8259's grammar: white space is space, tab, line feed and carriage
//! return; strings hold no raw byte below 0x20 and only the escapes `\" \\ \/ \b \f \n \r
//! \t` and `\u` with four hex digits (a lone surrogate such as `\uD800` is a well-formed
//! escape here, as in RFC 8259's grammar and serde_json's skipping; a string that is
//! *read* is unescaped by the `unescape` module, which rejects it); numbers are
//! `-? (0 | [1-9][0-9]*) (\.[0-9]+)? ([eE][+-]?[0-9]+)?`; and `true`, `false`, `null`,
//! arrays and objects.
//!
//! The scanner does not build anything: [`value`] skips one value and leaves the caller
//! to slice its text, and says whether it needs a second look (a string with escapes, a
//! number with an exponent), so that a caller borrows a plain string without reading it
//! again. Arrays and objects inside a value are skipped without recursion: their nesting
//! is a stack of bits, one word for the first 64 levels (every JSON format rejects a
//! document nested past 32, after reading it) and a heap vector only beyond, so that any
//! document is checked whole. The end of a string is found eight bytes at a time.
//!
//! A fault is serde_json's message and the exact offset of the offending byte: the byte
//! that cannot come where it is, the first non-hex digit of a `\u` escape, the control
//! character in a string; or the length of the text when it ends too early.

/// A syntax error: what is wrong, in serde_json's words, and where, as a byte offset in
/// the scanned text (its length when the text ends too early).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Fault {
    /// serde_json's message for the same fault.
    pub(crate) message: &'static str,
    /// The offset of the offending byte.
    pub(crate) at: usize,
}

pub(crate) const EOF_VALUE: &str = "EOF while parsing a value";
pub(crate) const EOF_STRING: &str = "EOF while parsing a string";
pub(crate) const EOF_LIST: &str = "EOF while parsing a list";
pub(crate) const EOF_OBJECT: &str = "EOF while parsing an object";
pub(crate) const EXPECTED_COLON: &str = "expected `:`";
pub(crate) const EXPECTED_LIST_END: &str = "expected `,` or `]`";
pub(crate) const EXPECTED_OBJECT_END: &str = "expected `,` or `}`";
pub(crate) const EXPECTED_IDENT: &str = "expected ident";
pub(crate) const EXPECTED_VALUE: &str = "expected value";
pub(crate) const INVALID_ESCAPE: &str = "invalid escape";
pub(crate) const INVALID_NUMBER: &str = "invalid number";
pub(crate) const CONTROL: &str = "control character (\\u0000-\\u001F) found while parsing a string";
pub(crate) const KEY_NOT_STRING: &str = "key must be a string";
pub(crate) const TRAILING_COMMA: &str = "trailing comma";
pub(crate) const TRAILING: &str = "trailing characters";

impl Fault {
    pub(crate) const fn new(message: &'static str, at: usize) -> Fault {
        Fault { message, at }
    }
}

/// Eight copies of a byte, for the word-at-a-time search of a string's end.
const fn splat(b: u8) -> u64 {
    0x0101_0101_0101_0101 * b as u64
}

/// The high bit of every byte of `x` that is `"`, `\` or below 0x20 — exact for the
/// lowest such byte (bytes above it may be flagged falsely, from borrows; only the lowest
/// is used).
///
/// A byte `c` of `x ^ splat(q)` is zero where `x` holds `q`, and `c - 1` then has its
/// high bit set, as `c - 1` does for no other `c` below 0x80; likewise `b - 0x20` for a
/// byte `b` below 0x20. Bytes from 0x80 up are excluded once for all three, by `!x`: the
/// exclusive-ors keep the high bit of `x`.
#[inline]
const fn specials(x: u64) -> u64 {
    let quote = (x ^ splat(b'"')).wrapping_sub(splat(1));
    let slash = (x ^ splat(b'\\')).wrapping_sub(splat(1));
    let control = x.wrapping_sub(splat(0x20));
    (quote | slash | control) & !x & splat(0x80)
}

/// Whether a byte ends a run of plain string bytes.
const fn special(b: u8) -> bool {
    b == b'"' || b == b'\\' || b < 0x20
}

/// The index of the first `"`, `\` or control byte at or after `from`, or `bytes.len()`:
/// sixteen bytes at a time, in a loop over a fixed block the compiler turns into SIMD
/// compares and one mask (SSE2 on x86-64), then eight at a time ([`find_special_words`]).
#[inline(always)]
pub(crate) fn find_special(bytes: &[u8], from: usize) -> usize {
    let mut rest = bytes.get(from..).unwrap_or_default();
    while let Some((block, after)) = rest.split_first_chunk::<16>() {
        let hits = block_specials(block);
        if hits != 0 {
            return bytes.len() - rest.len() + (hits.trailing_zeros() / 8) as usize;
        }
        rest = after;
    }
    find_special_words(bytes, bytes.len() - rest.len())
}

/// 0xff for each byte of `block` that is `"`, `\` or below 0x20, else 0, as one
/// little-endian number: byte-wise compares the compiler makes SIMD ones (16 at a time
/// with x86-64's SSE2).
#[inline(always)]
fn block_specials(block: &[u8; 16]) -> u128 {
    let mut hits = [0u8; 16];
    for (hit, &b) in hits.iter_mut().zip(block) {
        // `|`, not `||`: no branch per byte, so that the loop becomes vector compares.
        let special = (b == b'"') | (b == b'\\') | (b < 0x20);
        *hit = u8::from(special).wrapping_neg();
    }
    u128::from_le_bytes(hits)
}

/// [`find_special`] eight bytes at a time, in plain integer operations.
#[inline(always)]
pub(crate) fn find_special_words(bytes: &[u8], from: usize) -> usize {
    let mut rest = bytes.get(from..).unwrap_or_default();
    while let Some((word, after)) = rest.split_first_chunk::<8>() {
        let hits = specials(u64::from_le_bytes(*word));
        if hits != 0 {
            return bytes.len() - rest.len() + (hits.trailing_zeros() / 8) as usize;
        }
        rest = after;
    }
    bytes.len() - rest.len() + rest.iter().position(|&b| special(b)).unwrap_or(rest.len())
}

/// Whether a byte is JSON white space: space, tab, line feed or carriage return, as one
/// bit of a mask for the bytes up to the space.
const fn is_ws(b: u8) -> bool {
    const MASK: u64 = 1 << b' ' | 1 << b'\t' | 1 << b'\n' | 1 << b'\r';
    b <= b' ' && MASK >> b & 1 == 1
}

/// The open arrays (`false`) and objects (`true`) of a value being skipped, innermost
/// last: one bit each, in a word for the first 64 levels.
#[derive(Default)]
struct Stack {
    bits: u64,
    depth: usize,
    deeper: Vec<bool>,
}

impl Stack {
    fn push(&mut self, object: bool) {
        if self.depth < 64 {
            self.bits |= u64::from(object) << self.depth;
        } else {
            self.deeper.push(object);
        }
        self.depth += 1;
    }

    /// The innermost open container, if any: whether it is an object.
    fn top(&self) -> Option<bool> {
        match self.depth {
            0 => None,
            d if d <= 64 => Some(self.bits >> (d - 1) & 1 == 1),
            _ => self.deeper.last().copied(),
        }
    }

    fn pop(&mut self) {
        self.depth = self.depth.saturating_sub(1);
        if self.depth < 64 {
            self.bits &= !(1 << self.depth);
        } else {
            self.deeper.pop();
        }
    }
}

// The readers below take the text as bytes and the offset to start at, and give the
// offset after what they read: the position lives in a register, not in a struct.

/// The offset of the first byte at or after `at` that is not white space.
#[inline]
pub(crate) fn skip_ws(bytes: &[u8], mut at: usize) -> usize {
    while bytes.get(at).copied().is_some_and(is_ws) {
        at += 1;
    }
    at
}

/// Reads a string whose opening quote is at `at`: gives the offset after its closing
/// quote, and whether it has escapes.
#[inline(always)]
pub(crate) fn string(bytes: &[u8], at: usize) -> Result<(usize, bool), Fault> {
    let end = find_special(bytes, at + 1);
    if bytes.get(end) == Some(&b'"') {
        Ok((end + 1, false))
    } else {
        string_rest(bytes, end)
    }
}

/// The rest of a string from its first escape, control character or end of text at `at`.
#[inline(never)]
pub(crate) fn string_rest(bytes: &[u8], mut at: usize) -> Result<(usize, bool), Fault> {
    let mut escaped = false;
    loop {
        match bytes.get(at) {
            Some(b'"') => return Ok((at + 1, escaped)),
            Some(b'\\') => {
                escaped = true;
                at = find_special(bytes, escape(bytes, at + 1)?);
            }
            Some(_) => return Err(Fault::new(CONTROL, at)),
            None => return Err(Fault::new(EOF_STRING, bytes.len())),
        }
    }
}

/// Checks the escape whose backslash is just before `at`; gives the offset after it.
#[cold]
fn escape(bytes: &[u8], at: usize) -> Result<usize, Fault> {
    match bytes.get(at) {
        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => Ok(at + 1),
        Some(b'u') => {
            let Some(digits) = bytes.get(at + 1..at + 5) else {
                // Fewer than four bytes left: cut short, as serde_json says.
                return Err(Fault::new(EOF_STRING, bytes.len()));
            };
            match digits.iter().position(|b| !b.is_ascii_hexdigit()) {
                Some(bad) => Err(Fault::new(INVALID_ESCAPE, at + 1 + bad)),
                None => Ok(at + 5),
            }
        }
        Some(_) => Err(Fault::new(INVALID_ESCAPE, at)),
        None => Err(Fault::new(EOF_STRING, bytes.len())),
    }
}

/// Reads one value starting at `at` (white space already skipped): gives the offset
/// after it, and whether it is unusual: a string with escapes, a number with an exponent.
#[inline(always)]
pub(crate) fn value(bytes: &[u8], at: usize) -> Result<(usize, bool), Fault> {
    match bytes.get(at) {
        Some(b'"') => string(bytes, at),
        Some(b'-' | b'0'..=b'9') => number(bytes, at),
        Some(b'[' | b'{') => nested(bytes, at).map(|end| (end, false)),
        _ => literal(bytes, at).map(|end| (end, false)),
    }
}

/// Reads a value that is not an array or an object (or fails at the byte that starts
/// one, which the caller has handled).
#[inline]
fn scalar(bytes: &[u8], at: usize) -> Result<usize, Fault> {
    match bytes.get(at) {
        Some(b'"') => string(bytes, at).map(|(end, _)| end),
        Some(b'-' | b'0'..=b'9') => number(bytes, at).map(|(end, _)| end),
        _ => literal(bytes, at),
    }
}

/// Reads `true`, `false` or `null` at `at`, or fails as nothing else can start there.
fn literal(bytes: &[u8], at: usize) -> Result<usize, Fault> {
    let word: &[u8] = match bytes.get(at) {
        Some(b't') => b"true",
        Some(b'f') => b"false",
        Some(b'n') => b"null",
        Some(_) => return Err(Fault::new(EXPECTED_VALUE, at)),
        None => return Err(Fault::new(EOF_VALUE, bytes.len())),
    };
    if bytes.get(at..at + word.len()) == Some(word) {
        return Ok(at + word.len());
    }
    for (i, &expected) in word.iter().enumerate().skip(1) {
        match bytes.get(at + i) {
            Some(&b) if b == expected => {}
            Some(_) => return Err(Fault::new(EXPECTED_IDENT, at + i)),
            None => return Err(Fault::new(EOF_VALUE, bytes.len())),
        }
    }
    Ok(at + word.len())
}

/// The offset of the first byte at or after `at` that is not a digit.
#[inline]
fn digits(bytes: &[u8], mut at: usize) -> usize {
    while bytes.get(at).is_some_and(u8::is_ascii_digit) {
        at += 1;
    }
    at
}

/// Reads a number whose first byte (`-` or a digit) is at `at`: gives the offset after
/// it, and whether it has an exponent.
#[inline(always)]
fn number(bytes: &[u8], at: usize) -> Result<(usize, bool), Fault> {
    let mut at = at + usize::from(bytes.get(at) == Some(&b'-'));
    let invalid = |at: usize| Fault::new(INVALID_NUMBER, at.min(bytes.len()));
    match bytes.get(at) {
        Some(b'0') => {
            at += 1;
            if bytes.get(at).is_some_and(u8::is_ascii_digit) {
                return Err(invalid(at));
            }
        }
        Some(b'1'..=b'9') => at = digits(bytes, at + 1),
        _ => return Err(invalid(at)),
    }
    if bytes.get(at) == Some(&b'.') {
        at += 1;
        if !bytes.get(at).is_some_and(u8::is_ascii_digit) {
            return Err(invalid(at));
        }
        at = digits(bytes, at + 1);
    }
    if let Some(b'e' | b'E') = bytes.get(at) {
        at += 1;
        if let Some(b'+' | b'-') = bytes.get(at) {
            at += 1;
        }
        if !bytes.get(at).is_some_and(u8::is_ascii_digit) {
            return Err(invalid(at));
        }
        return Ok((digits(bytes, at + 1), true));
    }
    Ok((at, false))
}

/// Reads an object's key at `at` (white space skipped) and the `:` after it; gives the
/// offset after the colon.
fn key(bytes: &[u8], at: usize) -> Result<usize, Fault> {
    match bytes.get(at) {
        Some(b'"') => {}
        Some(_) => return Err(Fault::new(KEY_NOT_STRING, at)),
        None => return Err(Fault::new(EOF_OBJECT, bytes.len())),
    }
    let (end, _) = string(bytes, at)?;
    colon(bytes, end)
}

/// Reads the `:` after a key, white space before it skipped; gives the offset after it.
#[inline]
pub(crate) fn colon(bytes: &[u8], at: usize) -> Result<usize, Fault> {
    let at = skip_ws(bytes, at);
    match bytes.get(at) {
        Some(b':') => Ok(at + 1),
        Some(_) => Err(Fault::new(EXPECTED_COLON, at)),
        None => Err(Fault::new(EOF_OBJECT, bytes.len())),
    }
}

/// Skips an array or object whose opening bracket is at `at`, with everything in it,
/// without recursion; gives the offset after its closing bracket.
fn nested(bytes: &[u8], mut at: usize) -> Result<usize, Fault> {
    let mut stack = Stack::default();
    // At the top of this loop `at` is at the first byte of a value.
    loop {
        match bytes.get(at) {
            Some(b'[') => {
                at = skip_ws(bytes, at + 1);
                if bytes.get(at) == Some(&b']') {
                    at += 1;
                } else {
                    stack.push(false);
                    continue;
                }
            }
            Some(b'{') => {
                at = skip_ws(bytes, at + 1);
                if bytes.get(at) == Some(&b'}') {
                    at += 1;
                } else {
                    stack.push(true);
                    at = skip_ws(bytes, key(bytes, at)?);
                    continue;
                }
            }
            _ => at = scalar(bytes, at)?,
        }
        // After a value: a separator, or the end of one or more containers.
        loop {
            let Some(object) = stack.top() else {
                return Ok(at);
            };
            at = skip_ws(bytes, at);
            match bytes.get(at) {
                Some(b',') => {
                    at = skip_ws(bytes, at + 1);
                    if object {
                        at = skip_ws(bytes, key(bytes, at)?);
                    }
                    break;
                }
                Some(b']') if !object => {
                    at += 1;
                    stack.pop();
                }
                Some(b'}') if object => {
                    at += 1;
                    stack.pop();
                }
                Some(_) if object => return Err(Fault::new(EXPECTED_OBJECT_END, at)),
                Some(_) => return Err(Fault::new(EXPECTED_LIST_END, at)),
                None if object => return Err(Fault::new(EOF_OBJECT, bytes.len())),
                None => return Err(Fault::new(EOF_LIST, bytes.len())),
            }
        }
    }
}

/// Checks that only white space is left after `at`.
#[inline]
pub(crate) fn end(bytes: &[u8], at: usize) -> Result<(), Fault> {
    let at = skip_ws(bytes, at);
    match bytes.get(at) {
        None => Ok(()),
        Some(_) => Err(Fault::new(TRAILING, at)),
    }
}

/// Checks that `text` is one JSON value with optional white space around it.
pub(crate) fn validate(text: &str) -> Result<(), Fault> {
    let bytes = text.as_bytes();
    let (at, _) = value(bytes, skip_ws(bytes, 0))?;
    end(bytes, at)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fault(text: &str) -> Option<(&'static str, usize)> {
        validate(text).err().map(|f| (f.message, f.at))
    }

    #[test]
    fn every_token_kind() {
        for ok in [
            "null",
            "true",
            "false",
            "0",
            "-0",
            "7",
            "-12",
            "1.5",
            "-0.25",
            "1e5",
            "1E+5",
            "2.5e-05",
            "0e0",
            "123456789012345678901234567890",
            "\"\"",
            "\"plain\"",
            "\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u00e9 \\uD83D\\uDE00 \\uD800\"",
            "\"é ü 日本 😀\"",
            "[]",
            "[ ]",
            "{}",
            "{ }",
            "[1,\"a\",null,true,false,{},[]]",
            "{\"a\":1,\"b\":[{\"c\":{}}],\"\":\"\"}",
            " \t\r\n[ 1 , { \"k\" : \"v\" } ] \n",
        ] {
            assert_eq!(fault(ok), None, "{ok:?}");
        }
    }

    #[test]
    fn every_fault_with_its_offset() {
        for (text, message, at) in [
            ("", EOF_VALUE, 0),
            ("   ", EOF_VALUE, 3),
            ("x", EXPECTED_VALUE, 0),
            ("\u{feff}1", EXPECTED_VALUE, 0),
            ("+1", EXPECTED_VALUE, 0),
            (".5", EXPECTED_VALUE, 0),
            ("'a'", EXPECTED_VALUE, 0),
            ("tru", EOF_VALUE, 3),
            ("trux", EXPECTED_IDENT, 3),
            ("nul", EOF_VALUE, 3),
            ("fals e", EXPECTED_IDENT, 4),
            ("NaN", EXPECTED_VALUE, 0),
            ("-", INVALID_NUMBER, 1),
            ("-a", INVALID_NUMBER, 1),
            ("01", INVALID_NUMBER, 1),
            ("-01", INVALID_NUMBER, 2),
            ("1.", INVALID_NUMBER, 2),
            ("1.x", INVALID_NUMBER, 2),
            ("1e", INVALID_NUMBER, 2),
            ("1e+", INVALID_NUMBER, 3),
            ("1E-x", INVALID_NUMBER, 3),
            ("1 2", TRAILING, 2),
            ("{} x", TRAILING, 3),
            ("\"abc", EOF_STRING, 4),
            ("\"a\tb\"", CONTROL, 2),
            ("\"a\u{0}\"", CONTROL, 2),
            ("\"a\u{1f}\"", CONTROL, 2),
            ("\"\\x\"", INVALID_ESCAPE, 2),
            ("\"\\", EOF_STRING, 2),
            ("\"\\u12G4\"", INVALID_ESCAPE, 5),
            ("\"\\uZ234\"", INVALID_ESCAPE, 3),
            ("\"\\u12\"", EOF_STRING, 6),
            ("\"\\u12\"}", INVALID_ESCAPE, 5),
            ("[", EOF_VALUE, 1),
            ("[1", EOF_LIST, 2),
            ("[1,", EOF_VALUE, 3),
            ("[1,]", EXPECTED_VALUE, 3),
            ("[1 2]", EXPECTED_LIST_END, 3),
            ("[1}", EXPECTED_LIST_END, 2),
            ("{", EOF_OBJECT, 1),
            ("{1:2}", KEY_NOT_STRING, 1),
            ("{\"a\"}", EXPECTED_COLON, 4),
            ("{\"a\" 1}", EXPECTED_COLON, 5),
            ("{\"a\"", EOF_OBJECT, 4),
            ("{\"a\":", EOF_VALUE, 5),
            ("{\"a\":}", EXPECTED_VALUE, 5),
            ("{\"a\":1", EOF_OBJECT, 6),
            ("{\"a\":1,}", KEY_NOT_STRING, 7),
            ("{\"a\":1,", EOF_OBJECT, 7),
            ("{\"a\":1]", EXPECTED_OBJECT_END, 6),
            ("{\"a\":1 \"b\":2}", EXPECTED_OBJECT_END, 7),
            ("[[[[{\"a\":[1,2,{\"b\":x}]}]]]]", EXPECTED_VALUE, 19),
        ] {
            assert_eq!(fault(text), Some((message, at)), "{text:?}");
        }
    }

    #[test]
    fn the_word_search_finds_the_first_special_byte() {
        // Every position of every special byte, after every kind of plain byte, in texts
        // long enough to be read a word at a time and short enough to end bytewise.
        for special in [b'"', b'\\', 0x00, 0x1f, b'\n'] {
            for plain in [b'a', b' ', 0x7f, 0x80, 0xff, b'!', b'#', b'[', b']'] {
                for len in 0..20 {
                    for at in 0..=len {
                        let mut bytes = vec![plain; len];
                        if let Some(b) = bytes.get_mut(at) {
                            *b = special;
                        }
                        // A second special byte after the first must not be found first.
                        bytes.push(b'"');
                        let expected = at.min(len);
                        assert_eq!(find_special(&bytes, 0), expected, "{bytes:?}");
                    }
                }
            }
        }
        assert_eq!(find_special(b"abc", 3), 3);
        assert_eq!(find_special(b"abc", 9), 3);
    }

    #[test]
    fn deep_nesting_is_skipped_without_recursion() {
        for depth in [1, 32, 33, 63, 64, 65, 200, 20_000] {
            let arrays = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
            assert_eq!(fault(&arrays), None, "{depth}");
            let objects = format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth));
            assert_eq!(fault(&objects), None, "{depth}");
            let mixed = format!("{}{}", "[{\"k\":".repeat(depth), "}]".repeat(depth));
            assert_eq!(fault(&mixed), Some((EXPECTED_VALUE, depth * 6)), "{depth}");
            let mixed = format!("{}0{}", "[{\"k\":".repeat(depth), "}]".repeat(depth));
            assert_eq!(fault(&mixed), None, "{depth}");
            // A wrong closer deep down is found at its byte.
            let wrong = format!("{}1{}", "[".repeat(depth), "}".repeat(depth));
            assert_eq!(
                fault(&wrong),
                Some((EXPECTED_LIST_END, depth + 1)),
                "{depth}"
            );
            let wrong = format!("{}{}", "[".repeat(depth), "}".repeat(depth));
            assert_eq!(fault(&wrong), Some((EXPECTED_VALUE, depth)), "{depth}");
            let unclosed = "[".repeat(depth);
            assert_eq!(fault(&unclosed), Some((EOF_VALUE, depth)), "{depth}");
        }
    }

    #[test]
    fn the_largest_document() {
        let mut text = String::from("[");
        while text.len() < 64 * 1024 - 16 {
            text.push_str("\"abcdefgh\\n\",");
        }
        text.push_str("1]");
        assert_eq!(fault(&text), None);
        let cut = text.get(..text.len() - 1).unwrap_or_default();
        assert_eq!(fault(cut), Some((EOF_LIST, cut.len())));
    }
}
