//! Whether an implementation's answer to a case is the one the case expects
//! (`spec/harness.md`, comparison).

use serde_json::value::RawValue;

use crate::exact::{Exact, quote};
use crate::protocol::{Output, Rejection};
use crate::suite::Expect;

/// What an implementation did with one case.
#[derive(Debug)]
pub enum Answer {
    /// It accepted the input and produced this.
    Accepted(Output),
    /// It rejected the input.
    Rejected(Rejection),
    /// It does not support the case's format or operation.
    Skipped(String),
    /// It failed: said so, crashed, hung, exited or wrote garbage. Never a rejection.
    Errored(String),
}

/// How an answer differs from the expectation: why, and both sides written out for a
/// diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// Why, in one line.
    pub reason: String,
    /// The expectation, one member per line.
    pub expected: String,
    /// The answer, one member per line.
    pub actual: String,
}

/// Writes the members of an expectation or an output, one per line, each value pretty.
fn members(items: &[(&str, String)]) -> String {
    items
        .iter()
        .map(|(k, v)| format!("{k}: {v}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn pretty_json(text: &str) -> String {
    Exact::parse(text).map_or_else(|_| text.to_owned(), |v| v.pretty())
}

/// The members of an expectation, written out: all of them, or (for a rejection) only
/// those `compared` names.
fn expect_items(expect: &Expect<'_>, compared: &Compared) -> Vec<(&'static str, String)> {
    let mut items = Vec::new();
    if let Some(error) = &expect.error {
        if compared.error {
            items.push(("error", quote(error)));
        }
        if let (Some(offset), true) = (expect.offset, compared.offset) {
            items.push(("offset", offset.to_string()));
        }
        if let (Some(path), true) = (&expect.path, compared.path) {
            items.push(("path", quote(path)));
        }
        return items;
    }
    if let Some(decoded) = expect.decoded {
        items.push(("decoded", pretty_json(decoded.get())));
    }
    if let Some(encoded) = &expect.encoded {
        items.push(("encoded", quote(encoded)));
    }
    if let Some(result) = expect.result {
        items.push(("result", pretty_json(result.get())));
    }
    items
}

/// Which members of a rejection are compared (`spec/harness.md` §6): each one that both
/// the answer and the case give. Everything when the answer is not a rejection of an
/// invalid input, since then what differs is the kind of answer itself.
#[derive(Debug, Clone, Copy)]
struct Compared {
    error: bool,
    offset: bool,
    path: bool,
}

impl Compared {
    const ALL: Compared = Compared {
        error: true,
        offset: true,
        path: true,
    };

    fn of(expect: &Expect<'_>, answer: &Answer) -> Compared {
        match (answer, &expect.error) {
            (Answer::Rejected(r), Some(_)) => Compared {
                error: r.error.is_some(),
                offset: r.offset.is_some() && expect.offset.is_some(),
                path: r.path.is_some() && expect.path.is_some(),
            },
            _ => Compared::ALL,
        }
    }
}

/// The answer written out in full: every member it gave.
pub fn answer_text(answer: &Answer) -> String {
    match answer {
        Answer::Skipped(why) => format!("(skipped: {why})"),
        Answer::Errored(why) => format!("(error: {why})"),
        Answer::Accepted(_) | Answer::Rejected(_) => members(&answer_items(answer, None)),
    }
}

/// The members of an accepted or rejected answer, written out. With an expectation,
/// only those compared with it: for an output, the members a valid case expects
/// (`(absent)` for one the output lacks); for a rejection of an invalid input, those
/// both sides give. Without one, or when the kind of answer is itself what differs,
/// every member the answer has.
fn answer_items(answer: &Answer, expect: Option<&Expect<'_>>) -> Vec<(&'static str, String)> {
    let mut items = Vec::new();
    match answer {
        Answer::Accepted(output) => {
            let valid = expect.filter(|e| e.error.is_none());
            let json = |v: &Option<Box<RawValue>>| v.as_ref().map(|v| pretty_json(v.get()));
            for (member, value, expected) in [
                (
                    "decoded",
                    json(&output.decoded),
                    valid.is_some_and(|e| e.decoded.is_some()),
                ),
                (
                    "encoded",
                    output.encoded.as_deref().map(quote),
                    valid.is_some_and(|e| e.encoded.is_some()),
                ),
                (
                    "result",
                    json(&output.result),
                    valid.is_some_and(|e| e.result.is_some()),
                ),
            ] {
                match (value, valid) {
                    (Some(value), None) => items.push((member, value)),
                    (value, Some(_)) if expected => {
                        items.push((member, value.unwrap_or_else(|| "(absent)".to_owned())));
                    }
                    _ => {}
                }
            }
            if items.is_empty() {
                items.push(("accepted", "(no output)".to_owned()));
            }
        }
        Answer::Rejected(r) => {
            let compared = expect.map_or(Compared::ALL, |e| Compared::of(e, answer));
            if compared.error {
                let class = r
                    .error
                    .as_deref()
                    .map_or_else(|| "(no class)".to_owned(), quote);
                items.push(("error", class));
            }
            if let (Some(offset), true) = (r.offset, compared.offset) {
                items.push(("offset", offset.to_string()));
            }
            if let (Some(path), true) = (&r.path, compared.path) {
                items.push(("path", quote(path)));
            }
        }
        Answer::Skipped(why) => items.push(("skipped", why.clone())),
        Answer::Errored(why) => items.push(("errored", why.clone())),
    }
    items
}

/// Compares a JSON text an implementation gave with the one expected.
fn same_json(expected: &str, actual: &str, instants: bool) -> Result<(), String> {
    let expected = Exact::parse(expected).map_err(|e| format!("the expectation is {e}"))?;
    let actual = Exact::parse(actual).map_err(|e| format!("the output is {e}"))?;
    if expected.same(&actual, instants) {
        Ok(())
    } else {
        Err(String::new())
    }
}

/// Checks an accepted or rejected answer against the case's expectation. Skipped and
/// errored answers are not compared (the caller counts them).
pub fn check(expect: &Expect<'_>, answer: &Answer) -> Result<(), Mismatch> {
    if let Some(events) = expect.events {
        return crate::scenario::check(events, answer);
    }
    // Only the members compared are written out, so that the diff shows what differs
    // and nothing the harness does not look at (a `path` the case does not fix).
    let compared = Compared::of(expect, answer);
    let mismatch = |reason: String| Mismatch {
        reason,
        expected: members(&expect_items(expect, &compared)),
        actual: members(&answer_items(answer, Some(expect))),
    };
    match (answer, &expect.error) {
        (Answer::Accepted(_), Some(_)) => Err(mismatch("accepted an invalid input".to_owned())),
        (Answer::Rejected(_), None) => Err(mismatch("rejected a valid input".to_owned())),
        (Answer::Rejected(r), Some(class)) => {
            if r.error.as_ref().is_some_and(|c| c != class) {
                return Err(mismatch("rejected with another error class".to_owned()));
            }
            if matches!((r.offset, expect.offset), (Some(a), Some(e)) if a != e) {
                return Err(mismatch("rejected at another offset".to_owned()));
            }
            if matches!((&r.path, &expect.path), (Some(a), Some(e)) if a != e) {
                return Err(mismatch("rejected in another member".to_owned()));
            }
            Ok(())
        }
        (Answer::Accepted(output), None) => {
            let json =
                |what: &str, expected: Option<&RawValue>, actual: Option<&RawValue>, instants| {
                    let Some(expected) = expected else {
                        return Ok(());
                    };
                    let actual = actual.ok_or_else(|| mismatch(format!("no {what}")))?;
                    same_json(expected.get(), actual.get(), instants).map_err(|why| {
                        mismatch(if why.is_empty() {
                            format!("another {what}")
                        } else {
                            why
                        })
                    })
                };
            json(
                "decoded form",
                expect.decoded,
                output.decoded.as_deref(),
                false,
            )?;
            if let Some(encoded) = &expect.encoded {
                match &output.encoded {
                    None => return Err(mismatch("no encoded form".to_owned())),
                    Some(actual) if actual != encoded => {
                        return Err(mismatch("another encoded form".to_owned()));
                    }
                    Some(_) => {}
                }
            }
            json("result", expect.result, output.result.as_deref(), true)
        }
        (Answer::Skipped(_) | Answer::Errored(_), _) => Ok(()),
    }
}

/// A line diff of two texts: `-` lines only in `expected`, `+` lines only in `actual`,
/// `  ` lines in both (longest common subsequence; texts over 400 lines are shown whole).
pub fn diff(expected: &str, actual: &str) -> String {
    let a: Vec<&str> = expected.lines().collect();
    let b: Vec<&str> = actual.lines().collect();
    let mut out = String::new();
    if a.len() > 400 || b.len() > 400 {
        for line in &a {
            out.push_str(&format!("- {line}\n"));
        }
        for line in &b {
            out.push_str(&format!("+ {line}\n"));
        }
        return out;
    }
    // lcs[i][j]: the longest common subsequence of a[i..] and b[j..].
    let mut lcs = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            out.push_str(&format!("  {}\n", a[i]));
            i += 1;
            j += 1;
        } else if i < a.len() && (j == b.len() || lcs[i + 1][j] >= lcs[i][j + 1]) {
            out.push_str(&format!("- {}\n", a[i]));
            i += 1;
        } else {
            out.push_str(&format!("+ {}\n", b[j]));
            j += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(expect: &str, answer: &str) -> Result<(), String> {
        let expect: Expect<'_> = serde_json::from_str(expect).map_err(|e| e.to_string())?;
        let answer = match answer.strip_prefix("rejected ") {
            Some(r) => Answer::Rejected(serde_json::from_str(r).map_err(|e| e.to_string())?),
            None => Answer::Accepted(serde_json::from_str(answer).map_err(|e| e.to_string())?),
        };
        check(&expect, &answer).map_err(|m| m.reason)
    }

    #[test]
    fn outputs_compare_semantically_and_wire_text_exactly() {
        let expect = r#"{"decoded":{"a":156.30,"b":"x"},"encoded":"w 1"}"#;
        assert_eq!(
            verdict(
                expect,
                r#"{"decoded":{"b":"x","a":1.563e2},"encoded":"w 1"}"#
            ),
            Ok(())
        );
        assert_eq!(
            verdict(
                expect,
                r#"{"decoded":{"b":"x","a":156.31},"encoded":"w 1"}"#
            ),
            Err("another decoded form".to_owned())
        );
        assert_eq!(
            verdict(
                expect,
                r#"{"decoded":{"a":156.3,"b":"x"},"encoded":"w 1.0"}"#
            ),
            Err("another encoded form".to_owned())
        );
        assert_eq!(
            verdict(expect, r#"{"decoded":{"a":156.3,"b":"x"}}"#),
            Err("no encoded form".to_owned())
        );
        assert_eq!(
            verdict(expect, r#"rejected {}"#),
            Err("rejected a valid input".to_owned())
        );
        let instant = r#"{"result":["2024-03-04T17:00:00Z"]}"#;
        assert_eq!(
            verdict(instant, r#"{"result":["2024-03-04T18:00:00+01:00"]}"#),
            Ok(())
        );
        assert_eq!(
            verdict(instant, r#"{"result":["2024-03-04T17:00:01Z"]}"#),
            Err("another result".to_owned())
        );
        assert_eq!(
            verdict(r#"{"result":null}"#, r#"{}"#),
            Err("no result".to_owned())
        );
        assert_eq!(verdict(r#"{"result":null}"#, r#"{"result":null}"#), Ok(()));
    }

    #[test]
    fn rejections_compare_what_both_sides_give() {
        let expect = r#"{"error":"json.value","offset":7,"path":"a"}"#;
        assert_eq!(verdict(expect, "rejected {}"), Ok(()));
        assert_eq!(
            verdict(
                expect,
                r#"rejected {"error":"json.value","offset":7,"path":"a"}"#
            ),
            Ok(())
        );
        assert_eq!(
            verdict(expect, r#"rejected {"error":"json.type"}"#),
            Err("rejected with another error class".to_owned())
        );
        assert_eq!(
            verdict(expect, r#"rejected {"offset":8}"#),
            Err("rejected at another offset".to_owned())
        );
        assert_eq!(
            verdict(expect, r#"rejected {"path":"b"}"#),
            Err("rejected in another member".to_owned())
        );
        assert_eq!(
            verdict(r#"{"error":"json.shape"}"#, r#"rejected {"offset":3}"#),
            Ok(()),
            "an offset the case leaves open"
        );
        assert_eq!(
            verdict(expect, r#"{"encoded":"x"}"#),
            Err("accepted an invalid input".to_owned())
        );
    }

    /// The diff of a mismatch shows the members compared and nothing else: not a `path`
    /// the case does not fix, not a `decoded` form an encode case does not expect.
    #[test]
    fn mismatches_show_only_compared_members() {
        let mismatch = |expect: &str, answer: &str| {
            let expect: Expect<'_> = serde_json::from_str(expect).map_err(|e| e.to_string())?;
            let answer = match answer.strip_prefix("rejected ") {
                Some(r) => Answer::Rejected(serde_json::from_str(r).map_err(|e| e.to_string())?),
                None => Answer::Accepted(serde_json::from_str(answer).map_err(|e| e.to_string())?),
            };
            check(&expect, &answer)
                .err()
                .map(|m| diff(&m.expected, &m.actual))
                .ok_or_else(|| "no mismatch".to_owned())
        };
        assert_eq!(
            mismatch(
                r#"{"error":"subject.forbidden-char","offset":17}"#,
                r#"rejected {"error":"subject.forbidden-char","offset":18,"path":"text"}"#
            ),
            Ok("  error: \"subject.forbidden-char\"\n- offset: 17\n+ offset: 18\n".to_owned())
        );
        assert_eq!(
            mismatch(
                r#"{"error":"json.value","offset":7,"path":"a"}"#,
                r#"rejected {"path":"b"}"#
            ),
            Ok("- path: \"a\"\n+ path: \"b\"\n".to_owned())
        );
        assert_eq!(
            mismatch(
                r#"{"encoded":"w 1"}"#,
                r#"{"decoded":{"a":1},"encoded":"w 2"}"#
            ),
            Ok("- encoded: \"w 1\"\n+ encoded: \"w 2\"\n".to_owned())
        );
        assert_eq!(
            mismatch(
                r#"{"decoded":{"a":1},"encoded":"w 1"}"#,
                r#"{"encoded":"w 1"}"#
            ),
            Ok(
                "- decoded: {\n-   \"a\": 1\n- }\n+ decoded: (absent)\n  encoded: \"w 1\"\n"
                    .to_owned()
            )
        );
        // When the kind of answer differs, the whole answer is what differs.
        assert_eq!(
            mismatch(
                r#"{"encoded":"w 1"}"#,
                r#"rejected {"error":"x","path":"p"}"#
            ),
            Ok("- encoded: \"w 1\"\n+ error: \"x\"\n+ path: \"p\"\n".to_owned())
        );
    }

    #[test]
    fn the_diff_marks_what_changed() {
        assert_eq!(diff("a\nb\nc", "a\nx\nc"), "  a\n- b\n+ x\n  c\n");
        assert_eq!(diff("", "a"), "+ a\n");
    }
}
