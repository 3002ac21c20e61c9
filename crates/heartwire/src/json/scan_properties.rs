//! The JSON scanner against serde_json, over generated JSON-ish text
//! (proptest): both accept and reject the same documents.
//!
//! A document is read as every JSON format reads one: [`Doc::parse`] checks a top-level
//! value that is not an object whole, and [`Doc::object`] reads an object member by
//! member, each value checked whole and each key unescaped. serde_json is asked the same
//! question: `IgnoredAny` for a value that is not an object, and a map of `String` keys
//! to `IgnoredAny` values for an object.
//!
//! Lone surrogate escapes (`"\uD800"`) are well-formed for both in values that are only
//! checked (RFC 8259's grammar allows any four hex digits; serde_json's skipping accepts
//! them), and rejected by both in keys, which are unescaped into UTF-8.

use std::collections::BTreeMap;

use super::{Doc, JsonError};
use proptest::prelude::*;
use serde::de::IgnoredAny;

/// How many cases each property runs: `PROPTEST_CASES`, or 2048.
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(2048)
}

/// heartwire's reading of a document: its syntax error, if any.
fn heartwire(text: &str) -> Result<(), JsonError> {
    let (doc, raw) = Doc::parse(text.as_bytes())?;
    if raw.get().starts_with('{') {
        doc.object(raw, |_, _| Ok(()))?;
    }
    Ok(())
}

/// serde_json's reading of the same document.
fn serde(text: &str) -> Result<(), serde_json::Error> {
    let object = text
        .trim_start_matches([' ', '\t', '\n', '\r'])
        .starts_with('{');
    if object {
        serde_json::from_str::<BTreeMap<String, IgnoredAny>>(text).map(drop)
    } else {
        serde_json::from_str::<IgnoredAny>(text).map(drop)
    }
}

fn agree(text: &str) -> Result<(), TestCaseError> {
    let (ours, theirs) = (heartwire(text), serde(text));
    prop_assert_eq!(
        ours.is_ok(),
        theirs.is_ok(),
        "{:?}: heartwire {:?}, serde_json {:?}",
        text,
        ours,
        theirs
    );
    if let Err(e) = ours {
        prop_assert_eq!(e.class(), "json.syntax", "{:?}: {}", text, e);
        prop_assert!(e.offset <= text.len(), "{:?}: {}", text, e);
    }
    Ok(())
}

/// Pieces of JSON and of near-JSON, to be strung together.
fn token() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("{".to_owned()),
        Just("}".to_owned()),
        Just("[".to_owned()),
        Just("]".to_owned()),
        Just(",".to_owned()),
        Just(":".to_owned()),
        Just(" ".to_owned()),
        Just("\t".to_owned()),
        Just("\n".to_owned()),
        Just("\r".to_owned()),
        Just("\u{b}".to_owned()),
        Just("\u{a0}".to_owned()),
        Just("\"k\":".to_owned()),
        Just("\"k\":1,".to_owned()),
        Just("\"a\"".to_owned()),
        Just("\"\"".to_owned()),
        Just("\"".to_owned()),
        Just("\\".to_owned()),
        Just("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"".to_owned()),
        Just("\"\\u00e9\\u20AC\"".to_owned()),
        Just("\"\\uD83D\\uDE00\"".to_owned()),
        Just("\"\\uD800\"".to_owned()),
        Just("\"\\uDC00\":".to_owned()),
        Just("\"\\uD800\\u0041\"".to_owned()),
        Just("\"\\u12".to_owned()),
        Just("\"\\u12G4\"".to_owned()),
        Just("\"\\x\"".to_owned()),
        Just("\"\\'\"".to_owned()),
        Just("\"a\tb\"".to_owned()),
        Just("\"\u{1}\"".to_owned()),
        Just("\"\u{7f}é😀\"".to_owned()),
        Just("'a'".to_owned()),
        Just("0".to_owned()),
        Just("-0".to_owned()),
        Just("01".to_owned()),
        Just("-".to_owned()),
        Just("+1".to_owned()),
        Just(".5".to_owned()),
        Just("1.".to_owned()),
        Just("1.5".to_owned()),
        Just("1e".to_owned()),
        Just("1E+9".to_owned()),
        Just("2.5e-05".to_owned()),
        Just("1e999".to_owned()),
        Just("123456789012345678901234567890".to_owned()),
        Just("true".to_owned()),
        Just("false".to_owned()),
        Just("null".to_owned()),
        Just("nul".to_owned()),
        Just("True".to_owned()),
        Just("NaN".to_owned()),
        Just("[".repeat(70)),
        Just("]".repeat(70)),
        Just("{\"a\":".repeat(40)),
        "[a-z0-9]{0,3}",
        "[ -~]{0,2}",
    ]
}

/// A random JSON value, written with random white space.
fn value() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("null".to_owned()),
        Just("true".to_owned()),
        Just("false".to_owned()),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| format!("{f:e}")),
        any::<String>().prop_map(|s| serde_json::to_string(&s).unwrap_or_default()),
    ];
    leaf.prop_recursive(8, 64, 6, |inner| {
        let ws = prop_oneof![Just(""), Just(" "), Just("\n  "), Just("\t\r\n")];
        prop_oneof![
            (proptest::collection::vec(inner.clone(), 0..6), ws.clone())
                .prop_map(|(v, ws)| format!("[{ws}{}{ws}]", v.join(&format!("{ws},{ws}")))),
            (
                proptest::collection::vec((any::<String>(), inner), 0..6),
                ws
            )
                .prop_map(|(members, ws)| {
                    let members: Vec<String> = members
                        .into_iter()
                        .map(|(k, v)| {
                            let k = serde_json::to_string(&k).unwrap_or_default();
                            format!("{k}{ws}:{ws}{v}")
                        })
                        .collect();
                    format!("{{{ws}{}{ws}}}", members.join(","))
                }),
        ]
    })
}

/// A JSON value with one byte deleted, inserted, replaced or cut.
fn damaged() -> impl Strategy<Value = String> {
    (value(), any::<prop::sample::Index>(), 0u8..4, 0u8..0x80).prop_map(|(v, at, how, byte)| {
        let mut bytes = v.into_bytes();
        let at = at.index(bytes.len() + 1);
        match how {
            0 if at < bytes.len() => {
                bytes.remove(at);
            }
            1 => bytes.insert(at, byte),
            2 if at < bytes.len() => {
                if let Some(b) = bytes.get_mut(at) {
                    *b = byte;
                }
            }
            _ => bytes.truncate(at),
        }
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    /// Strings of JSON tokens, valid or not, alone and as a member, an element and the
    /// members of an object.
    #[test]
    fn token_strings(tokens in proptest::collection::vec(token(), 0..24)) {
        let text = tokens.concat();
        agree(&text)?;
        agree(&format!("{{\"m\":{text}}}"))?;
        agree(&format!("{{\"m\":[{text}]}}"))?;
        agree(&format!("{{{text}}}"))?;
    }

    /// Valid JSON values are accepted, and a byte's damage is seen alike.
    #[test]
    fn values_and_damaged_values(text in value(), broken in damaged()) {
        prop_assert!(heartwire(&text).is_ok(), "{:?}: {:?}", text, heartwire(&text));
        agree(&text)?;
        agree(&format!("{{\"m\": {text} }}"))?;
        agree(&broken)?;
        agree(&format!("{{\"m\":{broken}}}"))?;
    }
}

/// Bytes for the fast paths of the scanner and of the UTF-8 check: mostly plain ASCII,
/// with every kind of byte they must stop at (quotes, backslashes, control characters,
/// bytes from 0x80 up, invalid UTF-8 among them) at any position.
fn bytes() -> impl Strategy<Value = Vec<u8>> {
    let byte = prop_oneof![
        8 => b'a'..=b'z',
        1 => Just(b'"'),
        1 => Just(b'\\'),
        1 => 0u8..0x20,
        1 => 0x20u8..0x80,
        1 => 0x80u8..=0xff,
    ];
    let text = "[a-z\"\\\\ \u{e9}\u{65e5}\u{1f600}]{0,80}".prop_map(String::into_bytes);
    prop_oneof![proptest::collection::vec(byte, 0..80), text]
}

/// The first `"`, `\` or control byte at or after `from`, one byte at a time.
fn first_special(bytes: &[u8], from: usize) -> usize {
    let start = from.min(bytes.len());
    bytes
        .iter()
        .skip(start)
        .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
        .map_or(bytes.len(), |i| start + i)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    /// The block search of a string's end (16 bytes at a time) and the word search (8 at a
    /// time) find the byte a byte-by-byte search finds, from every start.
    #[test]
    fn the_block_search_finds_the_first_special_byte(bytes in bytes()) {
        for from in 0..=bytes.len() + 1 {
            let expected = first_special(&bytes, from);
            prop_assert_eq!(super::scan::find_special(&bytes, from), expected, "{:?} from {}", bytes, from);
            prop_assert_eq!(super::scan::find_special_words(&bytes, from), expected, "{:?} from {}", bytes, from);
        }
    }

    /// A document's UTF-8 check (all-ASCII fast path, else std's) says what
    /// `std::str::from_utf8` says: the same text, or an error at the first invalid byte.
    #[test]
    fn the_utf8_check_is_std_s(bytes in bytes(), pad in 0usize..70) {
        // Padding moves the bytes across the 32-byte blocks of the ASCII check.
        let mut padded = vec![b' '; pad];
        padded.extend_from_slice(&bytes);
        for input in [&bytes[..], &padded[..]] {
            let ours = super::utf8(input).map_err(|e| (e.class(), e.offset));
            let std = std::str::from_utf8(input).map_err(|e| ("json.utf8", e.valid_up_to()));
            prop_assert_eq!(ours, std, "{:?}", input);
            prop_assert_eq!(crate::ascii::is_ascii(input), input.is_ascii(), "{:?}", input);
        }
    }
}
