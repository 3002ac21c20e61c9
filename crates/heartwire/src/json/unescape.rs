//! The unescaping of a JSON string that is read (a key, a string member): the text it
//! stands for.
//!
//! The scanner has checked the string's syntax, so one rule is left, which RFC 8259's
//! grammar does not have: a `\u` escape is a UTF-16 code unit and the text is UTF-8, so
//! a surrogate must come in a pair, a leading one (`\uD800` to `\uDBFF`) then an escaped
//! trailing one (`\uDC00` to `\uDFFF`); a lone one is refused. The fault says what
//! serde_json says and where it says it (the byte it stopped on), as every fault of the
//! scanner does; the module's tests hold it to serde_json.

use super::scan::{EOF_STRING, Fault, INVALID_ESCAPE, find_special};

/// A surrogate that is not a leading one followed by a trailing one (serde_json's words,
/// also for a lone trailing surrogate).
pub(crate) const LONE_SURROGATE: &str = "lone leading surrogate in hex escape";
/// A leading surrogate followed by something else than a `\u` escape.
pub(crate) const HEX_ESCAPE_END: &str = "unexpected end of hex escape";

/// The string whose opening quote begins `text`, unescaped: up to its closing quote, or
/// to the end of `text` for a string cut short (the part of a key before a fault of the
/// scanner). The fault's offset counts from the opening quote; a string cut short in the
/// middle of an escape fails at `text.len()`, as serde_json does at the end of its input.
pub(crate) fn unescape(text: &str) -> Result<String, Fault> {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    // The plain bytes from `run` up to `at` are copied as one slice when a special byte
    // ends them; `at` and `run` are always at ASCII bytes, so the slices are `str`s.
    let mut run = 1;
    let mut at = find_special(bytes, run);
    loop {
        match bytes.get(at) {
            Some(b'\\') => {
                out.push_str(text.get(run..at).unwrap_or_default());
                let (c, after) = escape(bytes, at + 1)?;
                out.push(c);
                run = after;
                at = find_special(bytes, after);
            }
            // A control byte (only in a string the scanner has not checked) is kept.
            Some(b) if *b != b'"' => at = find_special(bytes, at + 1),
            _ => {
                out.push_str(text.get(run..at).unwrap_or_default());
                return Ok(out);
            }
        }
    }
}

/// The character of the escape whose backslash is just before `at`, and the offset
/// after the escape.
fn escape(bytes: &[u8], at: usize) -> Result<(char, usize), Fault> {
    let c = match bytes.get(at) {
        Some(b'"') => '"',
        Some(b'\\') => '\\',
        Some(b'/') => '/',
        Some(b'b') => '\u{8}',
        Some(b'f') => '\u{c}',
        Some(b'n') => '\n',
        Some(b'r') => '\r',
        Some(b't') => '\t',
        Some(b'u') => return unicode(bytes, at + 1),
        Some(_) => return Err(Fault::new(INVALID_ESCAPE, at)),
        None => return Err(Fault::new(EOF_STRING, bytes.len())),
    };
    Ok((c, at + 1))
}

/// The character of a `\u` escape whose four hex digits start at `at` (and of the
/// trailing surrogate's escape after it, for a leading surrogate), and the offset after.
fn unicode(bytes: &[u8], at: usize) -> Result<(char, usize), Fault> {
    let unit = hex(bytes, at)?;
    let after = at + 4;
    if !(0xD800..=0xDFFF).contains(&unit) {
        // Every code unit outside the surrogates is a character of its own.
        let c = char::from_u32(u32::from(unit)).unwrap_or(char::REPLACEMENT_CHARACTER);
        return Ok((c, after));
    }
    if unit >= 0xDC00 {
        return Err(Fault::new(LONE_SURROGATE, after - 1));
    }
    // A leading surrogate: `\u` and a trailing one must follow. serde_json stops on the
    // first byte that breaks this.
    match bytes.get(after) {
        Some(b'\\') => {}
        Some(_) => return Err(Fault::new(HEX_ESCAPE_END, after)),
        None => return Err(Fault::new(EOF_STRING, bytes.len())),
    }
    match bytes.get(after + 1) {
        Some(b'u') => {}
        Some(_) => return Err(Fault::new(HEX_ESCAPE_END, after + 1)),
        None => return Err(Fault::new(EOF_STRING, bytes.len())),
    }
    let trailing = hex(bytes, after + 2)?;
    let end = after + 6;
    if !(0xDC00..=0xDFFF).contains(&trailing) {
        return Err(Fault::new(LONE_SURROGATE, end - 1));
    }
    let code = 0x1_0000 + ((u32::from(unit) - 0xD800) << 10 | (u32::from(trailing) - 0xDC00));
    let c = char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER);
    Ok((c, end))
}

/// The code unit of the four hex digits at `at`. serde_json reads all four before it
/// judges them, so a bad digit fails at the fourth.
fn hex(bytes: &[u8], at: usize) -> Result<u16, Fault> {
    let digits = bytes
        .get(at..at + 4)
        .ok_or(Fault::new(EOF_STRING, bytes.len()))?;
    digits.iter().try_fold(0u16, |unit, &d| {
        let value = char::from(d)
            .to_digit(16)
            .ok_or(Fault::new(INVALID_ESCAPE, at + 3))?;
        // Four digits of at most 15 fit in 16 bits.
        Ok(unit << 4 | value as u16)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::{Doc, JsonErrorKind};
    use proptest::prelude::*;

    /// serde_json's unescaping of a quoted string: the string, or its message and the
    /// offset of the byte it stopped on (the byte before its 1-based column; the strings
    /// here have no raw line feed, so all is on line 1).
    fn serde(quoted: &str) -> Result<String, (String, usize)> {
        serde_json::from_str::<String>(quoted).map_err(|e| {
            let message = e.to_string();
            let message = message
                .rfind(" at line ")
                .map_or(message.as_str(), |at| &message[..at]);
            let at = if e.is_eof() {
                quoted.len()
            } else {
                e.column().saturating_sub(1)
            };
            (message.to_owned(), at)
        })
    }

    fn ours(quoted: &str) -> Result<String, (String, usize)> {
        unescape(quoted).map_err(|f| (f.message.to_owned(), f.at))
    }

    #[test]
    fn escapes_and_surrogates() {
        let ok = |quoted: &str, text: &str| assert_eq!(ours(quoted), Ok(text.to_owned()));
        ok(r#""""#, "");
        ok(
            r#""a\"b\\c\/d\be\ff\ng\rh\ti""#,
            "a\"b\\c/d\u{8}e\u{c}f\ng\rh\ti",
        );
        ok(r#""\u00e9\u20AC\u0041x""#, "é€Ax");
        ok(r#""\uD83D\uDE00 \udbff\udfff""#, "😀 \u{10ffff}");
        ok(r#""é\n日本""#, "é\n日本");
        let fault = |quoted: &str, message: &str, at: usize| {
            assert_eq!(ours(quoted), Err((message.to_owned(), at)), "{quoted}");
            assert_eq!(ours(quoted), serde(quoted), "{quoted}");
        };
        fault(r#""\uDC00""#, LONE_SURROGATE, 6);
        fault(r#""ab\uD800""#, HEX_ESCAPE_END, 9);
        fault(r#""\uD800x""#, HEX_ESCAPE_END, 7);
        fault(r#""\uD800\n""#, HEX_ESCAPE_END, 8);
        fault(r#""\uD800\u0041""#, LONE_SURROGATE, 12);
        fault(r#""\uD800\uD800\uDC00""#, LONE_SURROGATE, 12);
        // Cut short (the part of a key before a fault): at the end, as serde_json says.
        fault(r#""\uD800"#, EOF_STRING, 7);
        fault(r#""\uD800\"#, EOF_STRING, 8);
        fault(r#""\uD800\u12"#, EOF_STRING, 11);
        fault(r#""\u12"#, EOF_STRING, 5);
        fault(r#""a\"#, EOF_STRING, 3);
        assert_eq!(ours(r#""a\u0041"#), Ok("aA".to_owned()));
        // Faults the scanner finds first, where serde_json finds them.
        fault(r#""\q""#, INVALID_ESCAPE, 2);
        fault(r#""\u12G4""#, INVALID_ESCAPE, 6);
        fault(r#""\uD800\u12G4""#, INVALID_ESCAPE, 12);
    }

    /// Pieces of the inside of a well-formed JSON string, surrogates lone and paired in
    /// both cases of hex digits.
    fn piece() -> impl Strategy<Value = String> {
        let unit = |range: std::ops::RangeInclusive<u16>| {
            (range, any::<bool>()).prop_map(|(u, upper)| {
                if upper {
                    format!("\\u{u:04X}")
                } else {
                    format!("\\u{u:04x}")
                }
            })
        };
        prop_oneof![
            any::<char>()
                .prop_filter("plain", |c| !matches!(c, '"' | '\\' | '\0'..='\u{1f}'))
                .prop_map(String::from),
            "[a-z é日😀]{1,4}",
            prop::sample::select(vec![
                "\\\"", "\\\\", "\\/", "\\b", "\\f", "\\n", "\\r", "\\t"
            ])
            .prop_map(str::to_owned),
            unit(0..=0xFFFF),
            unit(0..=0xD7FF),
            unit(0xD800..=0xDBFF),
            unit(0xDC00..=0xDFFF),
            (unit(0xD800..=0xDBFF), unit(0xDC00..=0xDFFF)).prop_map(|(l, t)| l + &t),
        ]
    }

    /// Pieces of the inside of a string that the scanner refuses: a bad escape, bad or
    /// missing hex digits, a backslash alone (which escapes the closing quote), raw
    /// control characters.
    fn damage() -> impl Strategy<Value = String> {
        prop::sample::select(vec![
            "\\q", "\\u12G4", "\\uZ", "\\u12", "\\", "\t", "\n", "\u{1}",
        ])
        .prop_map(str::to_owned)
    }

    /// The error of the first key of `doc` (whose opening quote is its second byte) as
    /// the reader gave it when serde_json unescaped keys (kept here as the oracle): the
    /// scanner's fault, unless serde_json's reading of the text from the quote on stopped
    /// before it; serde_json's line and column made an offset as then.
    fn serde_key(doc: &str) -> Result<String, (String, usize)> {
        let rest = doc.get(1..).unwrap_or_default();
        let fault = match crate::json::scan::string(doc.as_bytes(), 1) {
            Ok((end, _)) => {
                let key = doc.get(1..end).unwrap_or_default();
                return serde(key).map_err(|(m, at)| (m, 1 + at));
            }
            Err(fault) => fault,
        };
        let at = if fault.at >= doc.len() {
            doc.len()
        } else {
            fault.at
        };
        let scanner = Err((fault.message.to_owned(), at));
        if !rest
            .get(..fault.at - 1)
            .is_some_and(|key| key.contains('\\'))
        {
            return scanner;
        }
        let Err(e) = serde_json::from_str::<String>(rest) else {
            return scanner;
        };
        let line_start: usize = rest
            .split_inclusive('\n')
            .take(e.line().saturating_sub(1))
            .map(str::len)
            .sum();
        let offset = if e.is_eof() {
            doc.len()
        } else {
            1 + (line_start + e.column().saturating_sub(1)).min(rest.len())
        };
        let message = e.to_string();
        let message = message
            .rfind(" at line ")
            .map_or(message.as_str(), |at| &message[..at]);
        if offset < fault.at {
            Err((message.to_owned(), offset))
        } else {
            scanner
        }
    }

    /// The first key of `doc` as the reader reads it now.
    fn key(doc: &str) -> Result<String, (String, usize)> {
        let (d, raw) = Doc::parse(doc.as_bytes()).map_err(|e| (e.to_string(), e.offset))?;
        let mut first = None;
        d.object(raw, |k, _| {
            first.get_or_insert(k.into_owned());
            Ok(())
        })
        .map_err(|e| match e.kind {
            JsonErrorKind::Syntax { message } => (message, e.offset),
            kind => (kind.to_string(), e.offset),
        })?;
        Ok(first.unwrap_or_default())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4096))]

        /// A key, well-formed or not, is read or refused as when serde_json unescaped
        /// it: the same text, or the same message at the same byte.
        #[test]
        fn keys_as_serde_json_did(
            pieces in prop::collection::vec(prop_oneof![4 => piece(), 1 => damage()], 0..8),
        ) {
            let doc = format!("{{\"{}\":1}}", pieces.concat());
            // A backslash alone before an escaped one ends the key early: what follows
            // is not about the key.
            let end = crate::json::scan::string(doc.as_bytes(), 1).map(|(end, _)| end);
            prop_assume!(end.is_err() || end == Ok(doc.len() - 3));
            prop_assert_eq!(key(&doc), serde_key(&doc), "{}", doc);
        }

        /// Every well-formed string unescapes to serde_json's text, or fails with its
        /// message at its byte.
        #[test]
        fn as_serde_json_does(pieces in prop::collection::vec(piece(), 0..8)) {
            let quoted = format!("\"{}\"", pieces.concat());
            prop_assert_eq!(ours(&quoted), serde(&quoted), "{}", quoted);
        }

        /// A string cut anywhere (the part of a key before a fault) fails no earlier
        /// than serde_json reading the whole string would.
        #[test]
        fn cut_short_as_serde_json_does(
            pieces in prop::collection::vec(piece(), 0..8),
            cut in any::<prop::sample::Index>(),
        ) {
            let quoted = format!("\"{}\"", pieces.concat());
            let cuts: Vec<usize> = (1..quoted.len()).filter(|&i| quoted.is_char_boundary(i)).collect();
            let cut = cuts.get(cut.index(cuts.len())).copied().unwrap_or(1);
            let part = quoted.get(..cut).unwrap_or_default();
            // Before the cut, both stop at the same byte; at or after it, ours says the
            // string ended there.
            match (ours(part), serde(&quoted)) {
                (Err((m, at)), Err((theirs, their_at))) if at < part.len() => {
                    prop_assert_eq!((m, at), (theirs, their_at), "{}", part);
                }
                (Err((_, at)), Err((_, their_at))) => {
                    prop_assert!(at == part.len() && their_at >= at, "{}", part);
                }
                (Err((m, at)), Ok(_)) => {
                    prop_assert_eq!((m.as_str(), at), (EOF_STRING, part.len()), "{}", part);
                }
                (Ok(text), Ok(whole)) => prop_assert!(whole.starts_with(&text), "{}", part),
                (Ok(_), Err((_, their_at))) => prop_assert!(their_at >= part.len(), "{}", part),
            }
        }
    }
}
