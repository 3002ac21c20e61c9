//! Writing JSON text into any [`fmt::Write`] (a `String`, a formatter, a byte buffer
//! through [`Appender`](super::Appender)), so that every `encode` and `Display` share one string
//! escaper and neither allocates on its own.

use std::fmt::{self, Write};

/// Writes `s` as a JSON string literal, escaped as serde_json escapes (`spec/json.md`
/// §7): `"`, `\` and control characters only; everything else, non-ASCII included, as is.
pub(crate) fn string<W: Write + ?Sized>(w: &mut W, s: &str) -> fmt::Result {
    w.write_char('"')?;
    escaped(w, s)?;
    w.write_char('"')
}

/// Writes the inside of a JSON string literal for `s`, without the quotes.
pub(crate) fn escaped<W: Write + ?Sized>(w: &mut W, s: &str) -> fmt::Result {
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let short = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0x00..=0x1f => "",
            _ => continue,
        };
        // Every byte escaped is ASCII, so `start..i` falls on character boundaries.
        w.write_str(s.get(start..i).unwrap_or_default())?;
        if short.is_empty() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            w.write_str("\\u00")?;
            w.write_char(char::from(HEX[usize::from(b >> 4)]))?;
            w.write_char(char::from(HEX[usize::from(b & 0xf)]))?;
        } else {
            w.write_str(short)?;
        }
        start = i + 1;
    }
    w.write_str(s.get(start..).unwrap_or_default())
}

/// A writer that escapes everything written through it, to put text made by a
/// `Display` impl inside a JSON string literal without building it first.
pub(crate) struct Escaping<'w, W: ?Sized>(pub(crate) &'w mut W);

impl<W: Write + ?Sized> Write for Escaping<'_, W> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        escaped(self.0, s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_exactly_as_serde_json_does() {
        let mut all: String = (0u32..0x80).filter_map(char::from_u32).collect();
        all.push_str("é€😀\u{2028}\u{7f}");
        let mut ours = String::new();
        string(&mut ours, &all).expect("a String never fails");
        let theirs = serde_json::to_string(&all).expect("a str serializes");
        assert_eq!(ours, theirs);
    }

    #[test]
    fn escaping_writer_escapes_display_output() {
        let mut out = String::new();
        let arg = "\"a\\b\"";
        write!(Escaping(&mut out), "Foo({arg})").expect("String");
        assert_eq!(out, r#"Foo(\"a\\b\")"#);
    }
}
