//! JSON values compared as the specification compares them: object key order does not
//! matter, numbers are exact decimals (`156.30` equals `156.3` and `1.563e2`, never a
//! binary double), and, where asked, strings that are both RFC 3339 timestamps are equal
//! when they name the same instant (`spec/json.md` §4.3).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use heartwire::time::Timestamp;

/// How deep a value may nest; deeper output from an implementation is refused.
const MAX_DEPTH: usize = 128;

/// A JSON value with its numbers kept exactly.
#[derive(Debug, Clone)]
pub enum Exact {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number: its text as written, and its exact value.
    Number(String, Decimal),
    /// A string.
    String(String),
    /// An array.
    Array(Vec<Exact>),
    /// An object, by key (a key given twice is refused).
    Object(BTreeMap<String, Exact>),
}

/// An exact decimal: `(-1)^negative × 0.digits × 10^exponent`, with no leading or
/// trailing zero digit; zero has no digits and is never negative.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decimal {
    negative: bool,
    digits: String,
    exponent: i64,
}

/// Where and why a text is not JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotJson {
    /// The byte offset.
    pub offset: usize,
    /// What was wrong.
    pub message: &'static str,
}

impl std::fmt::Display for NotJson {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "not JSON at byte {}: {}", self.offset, self.message)
    }
}

impl std::error::Error for NotJson {}

struct Parser<'t> {
    text: &'t [u8],
    at: usize,
}

impl Parser<'_> {
    fn fail<T>(&self, message: &'static str) -> Result<T, NotJson> {
        Err(NotJson {
            offset: self.at,
            message,
        })
    }

    fn space(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.text.get(self.at) {
            self.at += 1;
        }
    }

    fn literal(&mut self, word: &'static str, value: Exact) -> Result<Exact, NotJson> {
        if self.text[self.at..].starts_with(word.as_bytes()) {
            self.at += word.len();
            Ok(value)
        } else {
            self.fail("an unknown literal")
        }
    }

    fn value(&mut self, depth: usize) -> Result<Exact, NotJson> {
        if depth > MAX_DEPTH {
            return self.fail("nested too deep");
        }
        self.space();
        match self.text.get(self.at) {
            None => self.fail("the end of input where a value was expected"),
            Some(b'n') => self.literal("null", Exact::Null),
            Some(b't') => self.literal("true", Exact::Bool(true)),
            Some(b'f') => self.literal("false", Exact::Bool(false)),
            Some(b'"') => self.string().map(Exact::String),
            Some(b'[') => {
                self.at += 1;
                let mut items = Vec::new();
                self.space();
                if self.text.get(self.at) == Some(&b']') {
                    self.at += 1;
                    return Ok(Exact::Array(items));
                }
                loop {
                    items.push(self.value(depth + 1)?);
                    self.space();
                    match self.text.get(self.at) {
                        Some(b',') => self.at += 1,
                        Some(b']') => {
                            self.at += 1;
                            return Ok(Exact::Array(items));
                        }
                        _ => return self.fail("',' or ']' expected"),
                    }
                }
            }
            Some(b'{') => {
                self.at += 1;
                let mut members = BTreeMap::new();
                self.space();
                if self.text.get(self.at) == Some(&b'}') {
                    self.at += 1;
                    return Ok(Exact::Object(members));
                }
                loop {
                    self.space();
                    if self.text.get(self.at) != Some(&b'"') {
                        return self.fail("a key expected");
                    }
                    let key_at = self.at;
                    let key = self.string()?;
                    self.space();
                    if self.text.get(self.at) != Some(&b':') {
                        return self.fail("':' expected");
                    }
                    self.at += 1;
                    let value = self.value(depth + 1)?;
                    if members.insert(key, value).is_some() {
                        self.at = key_at;
                        return self.fail("a duplicate key");
                    }
                    self.space();
                    match self.text.get(self.at) {
                        Some(b',') => self.at += 1,
                        Some(b'}') => {
                            self.at += 1;
                            return Ok(Exact::Object(members));
                        }
                        _ => return self.fail("',' or '}' expected"),
                    }
                }
            }
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => self.fail("an unexpected byte"),
        }
    }

    fn string(&mut self) -> Result<String, NotJson> {
        let start = self.at;
        self.at += 1;
        loop {
            match self.text.get(self.at) {
                None => return self.fail("an unterminated string"),
                Some(b'"') => break,
                Some(b'\\') => self.at += 2,
                Some(_) => self.at += 1,
            }
        }
        self.at += 1;
        let token = self.text.get(start..self.at).unwrap_or_default();
        serde_json::from_slice(token).map_err(|_| NotJson {
            offset: start,
            message: "an invalid string",
        })
    }

    fn number(&mut self) -> Result<Exact, NotJson> {
        let start = self.at;
        let digits = |p: &mut Self| {
            let from = p.at;
            while p.text.get(p.at).is_some_and(u8::is_ascii_digit) {
                p.at += 1;
            }
            p.at - from
        };
        let negative = self.text.get(self.at) == Some(&b'-');
        if negative {
            self.at += 1;
        }
        let int_start = self.at;
        let int_len = digits(self);
        if int_len == 0 || (int_len > 1 && self.text[int_start] == b'0') {
            return self.fail("an invalid number");
        }
        let mut mantissa: String = String::from_utf8_lossy(&self.text[int_start..self.at]).into();
        let mut point = i64::try_from(int_len).unwrap_or(i64::MAX);
        if self.text.get(self.at) == Some(&b'.') {
            self.at += 1;
            let frac_start = self.at;
            if digits(self) == 0 {
                return self.fail("an invalid number");
            }
            mantissa.push_str(&String::from_utf8_lossy(&self.text[frac_start..self.at]));
        }
        if let Some(b'e' | b'E') = self.text.get(self.at) {
            self.at += 1;
            let sign_negative = match self.text.get(self.at) {
                Some(b'-') => {
                    self.at += 1;
                    true
                }
                Some(b'+') => {
                    self.at += 1;
                    false
                }
                _ => false,
            };
            let exp_start = self.at;
            if digits(self) == 0 {
                return self.fail("an invalid number");
            }
            let exp: i64 = std::str::from_utf8(&self.text[exp_start..self.at])
                .ok()
                .and_then(|t| t.parse().ok())
                .filter(|e: &i64| *e < 1_000_000_000)
                .map_or_else(|| self.fail("an exponent out of range"), Ok)?;
            point = if sign_negative {
                point - exp
            } else {
                point + exp
            };
        }
        let leading = mantissa.len() - mantissa.trim_start_matches('0').len();
        let digits = mantissa
            .trim_start_matches('0')
            .trim_end_matches('0')
            .to_owned();
        let exponent = if digits.is_empty() {
            0
        } else {
            point - i64::try_from(leading).unwrap_or(0)
        };
        let text = String::from_utf8_lossy(&self.text[start..self.at]).into_owned();
        Ok(Exact::Number(
            text,
            Decimal {
                negative: negative && !digits.is_empty(),
                digits,
                exponent,
            },
        ))
    }
}

impl Exact {
    /// Parses one JSON text (white space around it allowed).
    pub fn parse(text: &str) -> Result<Exact, NotJson> {
        let mut parser = Parser {
            text: text.as_bytes(),
            at: 0,
        };
        let value = parser.value(0)?;
        parser.space();
        if parser.at != text.len() {
            return parser.fail("more than one value");
        }
        Ok(value)
    }

    /// Whether two values are equal as JSON: key order aside, numbers as exact decimals,
    /// strings exactly, unless `instants`: then two strings that are both timestamps
    /// are equal when they name the same instant.
    pub fn same(&self, other: &Exact, instants: bool) -> bool {
        match (self, other) {
            (Exact::Null, Exact::Null) => true,
            (Exact::Bool(a), Exact::Bool(b)) => a == b,
            (Exact::Number(_, a), Exact::Number(_, b)) => a == b,
            (Exact::String(a), Exact::String(b)) => {
                a == b
                    || (instants
                        && matches!(
                            (Timestamp::parse(a), Timestamp::parse(b)),
                            (Ok(x), Ok(y)) if x.unix_time() == y.unix_time()
                        ))
            }
            (Exact::Array(a), Exact::Array(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.same(y, instants))
            }
            (Exact::Object(a), Exact::Object(b)) => {
                a.len() == b.len()
                    && a.iter()
                        .zip(b)
                        .all(|((ka, va), (kb, vb))| ka == kb && va.same(vb, instants))
            }
            _ => false,
        }
    }

    /// The value written with one member or item per line, keys sorted, numbers as
    /// written: for a diff of expected and actual.
    pub fn pretty(&self) -> String {
        let mut out = String::new();
        self.write_pretty(&mut out, 0);
        out
    }

    fn write_pretty(&self, out: &mut String, indent: usize) {
        let pad = |out: &mut String, n: usize| out.extend(std::iter::repeat_n("  ", n));
        match self {
            Exact::Null => out.push_str("null"),
            Exact::Bool(b) => {
                let _ = write!(out, "{b}");
            }
            Exact::Number(text, _) => out.push_str(text),
            Exact::String(s) => out.push_str(&quote(s)),
            Exact::Array(items) if items.is_empty() => out.push_str("[]"),
            Exact::Array(items) => {
                out.push_str("[\n");
                for (i, item) in items.iter().enumerate() {
                    pad(out, indent + 1);
                    item.write_pretty(out, indent + 1);
                    out.push_str(if i + 1 < items.len() { ",\n" } else { "\n" });
                }
                pad(out, indent);
                out.push(']');
            }
            Exact::Object(members) if members.is_empty() => out.push_str("{}"),
            Exact::Object(members) => {
                out.push_str("{\n");
                for (i, (key, value)) in members.iter().enumerate() {
                    pad(out, indent + 1);
                    out.push_str(&quote(key));
                    out.push_str(": ");
                    value.write_pretty(out, indent + 1);
                    out.push_str(if i + 1 < members.len() { ",\n" } else { "\n" });
                }
                pad(out, indent);
                out.push('}');
            }
        }
    }
}

/// A string as a JSON string literal.
pub fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same(a: &str, b: &str, instants: bool) -> bool {
        match (Exact::parse(a), Exact::parse(b)) {
            (Ok(a), Ok(b)) => a.same(&b, instants),
            (a, b) => panic!("{a:?} {b:?}"),
        }
    }

    #[test]
    fn numbers_are_exact_decimals() {
        assert!(same("156.30", "156.3", false));
        assert!(same("1.563e2", "156.3", false));
        assert!(same("0.00001", "1e-5", false));
        assert!(same("1E-05", "1e-5", false));
        assert!(same("-0", "0.0", false));
        assert!(same("100", "1e2", false));
        assert!(!same("0.1", "0.10000000000000001", false));
        assert!(!same("18446744073709551617", "18446744073709551616", false));
        assert!(!same("-1", "1", false));
        assert!(!same("5", "\"5\"", false));
    }

    #[test]
    fn key_order_does_not_matter_but_keys_do() {
        assert!(same(
            r#"{"a":1,"b":[1,2]}"#,
            r#"{ "b" : [1, 2], "a" : 1 }"#,
            false
        ));
        assert!(!same(r#"{"a":1}"#, r#"{"a":1,"b":2}"#, false));
        assert!(!same("[1,2]", "[2,1]", false));
        assert!(Exact::parse(r#"{"a":1,"a":1}"#).is_err());
    }

    #[test]
    fn timestamps_compare_as_instants_only_when_asked() {
        let (a, b) = (
            r#""2025-01-16T09:30:00+01:00""#,
            r#""2025-01-16T08:30:00Z""#,
        );
        assert!(same(a, b, true));
        assert!(!same(a, b, false));
        assert!(!same(r#""2025-01-16T08:30:01Z""#, b, true));
    }

    #[test]
    fn garbage_is_not_json() {
        for text in [
            "",
            "{",
            "[1,]",
            "01",
            "1.",
            "\"a",
            "nul",
            "1 2",
            "{\"a\" 1}",
        ] {
            assert!(Exact::parse(text).is_err(), "{text}");
        }
        let deep = "[".repeat(200) + &"]".repeat(200);
        assert!(Exact::parse(&deep).is_err());
    }
}
