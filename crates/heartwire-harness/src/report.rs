//! The report of a run: per case statuses, and the run as text, JSON or JUnit XML
//! (`spec/harness.md`, reports).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use schemars::JsonSchema;
use serde::Serialize;

use crate::compare::diff;
use crate::suite::{Expect, Input};

/// The status of one case (or of one listed expected failure).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// The answer is the one expected.
    Pass,
    /// The answer differs: wrong output, an invalid input accepted, a valid one
    /// rejected, or the wrong error class, offset or path.
    Fail,
    /// The implementation failed: it crashed, hung past the timeout, exited, wrote
    /// garbage, or answered `errored`.
    Error,
    /// The implementation does not support the case's format or operation.
    Skip,
    /// A fail or an error on a case the expected failures file lists.
    ExpectedFailure,
    /// A pass on a case the expected failures file lists: the list is out of date.
    UnexpectedPass,
    /// An id the expected failures file lists that is not in the suite.
    StaleExpectation,
}

impl Status {
    /// Every status, in report order.
    pub const ALL: [Status; 7] = [
        Status::Pass,
        Status::Fail,
        Status::Error,
        Status::Skip,
        Status::ExpectedFailure,
        Status::UnexpectedPass,
        Status::StaleExpectation,
    ];

    /// The status's name, as the reports write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::Error => "error",
            Status::Skip => "skip",
            Status::ExpectedFailure => "expected-failure",
            Status::UnexpectedPass => "unexpected-pass",
            Status::StaleExpectation => "stale-expectation",
        }
    }

    /// Whether a case with this status makes the run fail.
    pub fn fails_the_run(self) -> bool {
        matches!(
            self,
            Status::Fail | Status::Error | Status::UnexpectedPass | Status::StaleExpectation
        )
    }
}

/// The result of one case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct CaseResult {
    /// The case's id (for a stale expectation, the id listed).
    pub id: String,
    /// The case's format (empty for a stale expectation).
    pub format: String,
    /// The case's operation (empty for a stale expectation).
    pub operation: String,
    /// Its status.
    pub status: Status,
    /// Why, when it did not pass: what differs, what the implementation said, or how
    /// it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The expectation, one member per line, when the answer differs from it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    /// The answer, one member per line, when it differs from the expectation. Only the
    /// members compared are written (`spec/harness.md` §6): a member the case does not
    /// fix is not part of the difference.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actual: Option<String>,
    /// What the case shows, in one line, from the vector file (empty for a stale
    /// expectation).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// The chapter of the specification the case tests, as its vector file names it
    /// (`spec/text.md`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub spec: String,
    /// The section of that chapter (`4.1`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub section: String,
    /// The case's input, member by member, shortened, with the expected offset marked:
    /// given when the answer was wrong (fail, error, expected failure), so that a
    /// failure can be understood without looking the case up.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub input: Vec<InputExcerpt>,
    /// The end of what the implementation wrote on stderr (at most
    /// `runner::STDERR_TAIL` bytes, cut at a line start): in exec mode the case's
    /// process's, in session mode the session's since the case was sent. Given with an
    /// error, when the program wrote anything there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stderr: Option<String>,
}

impl CaseResult {
    /// A result with a status and nothing else (no reason, no texts); the other members
    /// are set by the caller.
    pub fn new(id: &str, format: &str, operation: &str, status: Status) -> CaseResult {
        CaseResult {
            id: id.to_owned(),
            format: format.to_owned(),
            operation: operation.to_owned(),
            status,
            reason: None,
            expected: None,
            actual: None,
            description: String::new(),
            spec: String::new(),
            section: String::new(),
            input: Vec::new(),
            stderr: None,
        }
    }

    /// `text.md §4.1`: the chapter's file name and the section, as a reader looks it up.
    pub fn spec_section(&self) -> String {
        let chapter = self.spec.rsplit('/').next().unwrap_or_default();
        match (chapter.is_empty(), self.section.is_empty()) {
            (true, _) => String::new(),
            (false, true) => chapter.to_owned(),
            (false, false) => format!("{chapter} \u{a7}{}", self.section),
        }
    }

    /// What a reader needs to understand a case that needs attention, one line each:
    /// the case's description and section, its input (with a caret under the expected
    /// offset), the difference of expected (`-`) and actual (`+`), and the end of the
    /// program's stderr (its last [`STDERR_LINES`] lines). The text report indents it
    /// under the case; JUnit puts it in the failure's text.
    pub fn details(&self) -> Vec<String> {
        let mut lines = Vec::new();
        let section = self.spec_section();
        match (self.description.is_empty(), section.is_empty()) {
            (true, true) => {}
            (false, true) => lines.push(format!("case: {}", self.description)),
            (true, false) => lines.push(format!("case: ({section})")),
            (false, false) => lines.push(format!("case: {} ({section})", self.description)),
        }
        for excerpt in &self.input {
            lines.extend(excerpt.lines());
        }
        if let (Some(expected), Some(actual)) = (&self.expected, &self.actual) {
            lines.push("answer (- expected, + actual):".to_owned());
            lines.extend(diff(expected, actual).lines().map(str::to_owned));
        }
        if let Some(stderr) = &self.stderr {
            let all: Vec<&str> = stderr.lines().collect();
            let shown = &all[all.len().saturating_sub(STDERR_LINES)..];
            if shown.len() < all.len() {
                lines.push(format!("stderr (its last {} lines):", shown.len()));
            } else {
                lines.push("stderr:".to_owned());
            }
            lines.extend(shown.iter().map(|line| format!("| {line}")));
        }
        lines
    }
}

/// How many lines of a program's stderr the text and JUnit reports show (the JSON
/// report has all that was kept).
pub const STDERR_LINES: usize = 12;

/// The most columns of one input member a report shows; a longer member is cut around
/// the expected offset, with `…` (U+2026) where it was cut.
pub const EXCERPT_COLUMNS: usize = 100;

/// Of [`EXCERPT_COLUMNS`], the most shown before the expected offset, so that what
/// follows it, where the error usually is, is seen too.
const EXCERPT_BEFORE: usize = 60;

/// One member of a case's input, as the reports show it.
///
/// Its `text` is one line, whatever the bytes: printable ASCII and the letters and
/// digits of the Latin, Greek, Cyrillic and Armenian scripts are shown as they are;
/// control characters as their Unicode control pictures (`␊` for a line feed, `␉` for
/// a tab); every other character as `\u{200b}`, and every byte that is not part of a
/// UTF-8 character as `\xff`. So every shown character takes one column,
/// invisible and look-alike characters are told apart, and a caret under the text
/// points at the right place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct InputExcerpt {
    /// The member: `subject`, `payload`, `line`, `json`, `document` (each also for its
    /// `_hex` twin, shown as bytes), `dialect`, `args`, or `args.NAME` for the
    /// argument an expected offset counts in.
    pub member: String,
    /// How many bytes it has.
    pub bytes: usize,
    /// The member shown as one line (see above), at most [`EXCERPT_COLUMNS`]
    /// characters and `…` (U+2026) at an end where it was cut.
    pub text: String,
    /// The byte offset at which the case expects the error, when it is in this member.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<usize>,
    /// Where `offset` is in `text`: the number of characters of `text` before it (the
    /// length of `text` for an offset at the member's end).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
}

/// One character of an excerpt (or an escape standing for one) and the byte it starts.
struct Shown {
    at: usize,
    text: String,
}

/// Bytes as [`InputExcerpt::text`] shows them, one [`Shown`] per character or byte.
fn shown(bytes: &[u8]) -> Vec<Shown> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    for chunk in bytes.utf8_chunks() {
        for (i, c) in chunk.valid().char_indices() {
            let text = match c {
                ' '..='~' => c.to_string(),
                '\0'..='\u{1f}' => char::from_u32(0x2400 + c as u32)
                    .map_or_else(|| format!("\\u{{{:x}}}", c as u32), String::from),
                '\u{7f}' => "\u{2421}".to_owned(),
                c if c.is_alphanumeric() && (c as u32) < 0x0590 => c.to_string(),
                c => format!("\\u{{{:x}}}", c as u32),
            };
            out.push(Shown { at: at + i, text });
        }
        at += chunk.valid().len();
        for b in chunk.invalid() {
            out.push(Shown {
                at,
                text: format!("\\x{b:02x}"),
            });
            at += 1;
        }
    }
    out
}

impl InputExcerpt {
    /// A member's bytes shown and shortened, marked at `offset` when given.
    pub fn new(member: &str, bytes: &[u8], offset: Option<usize>) -> InputExcerpt {
        let pieces = shown(bytes);
        // columns[i]: how many columns pieces[..i] take.
        let mut columns = Vec::with_capacity(pieces.len() + 1);
        columns.push(0);
        for p in &pieces {
            columns.push(columns[columns.len() - 1] + p.text.chars().count());
        }
        let total = columns[pieces.len()];
        // The piece the offset is in; past the last one for an offset at the end.
        let marked = offset.map(|o| match pieces.iter().rposition(|p| p.at <= o) {
            Some(_) if o >= bytes.len() => pieces.len(),
            Some(i) => i,
            None => 0,
        });
        let (mut start, mut end) = (0, pieces.len());
        if total > EXCERPT_COLUMNS {
            if let Some(m) = marked {
                while columns[m] - columns[start] > EXCERPT_BEFORE {
                    start += 1;
                }
            }
            end = start;
            while end < pieces.len() && columns[end + 1] - columns[start] <= EXCERPT_COLUMNS {
                end += 1;
            }
        }
        let mut text = String::new();
        if start > 0 {
            text.push('\u{2026}');
        }
        let column = marked.map(|m| usize::from(start > 0) + columns[m.min(end)] - columns[start]);
        for p in &pieces[start..end] {
            text.push_str(&p.text);
        }
        if end < pieces.len() {
            text.push('\u{2026}');
        }
        InputExcerpt {
            member: member.to_owned(),
            bytes: bytes.len(),
            text,
            offset,
            column,
        }
    }

    /// The members of a case's input, each shown and shortened, the one the expected
    /// offset counts in marked.
    pub fn of_case(input: &Input<'_>, expect: &Expect<'_>) -> Vec<InputExcerpt> {
        let members: Vec<(&str, Vec<u8>)> = [
            ("subject", input.subject_bytes()),
            ("payload", input.payload_bytes()),
            ("line", input.line_bytes()),
            ("json", input.json.as_ref().map(|j| j.as_bytes().to_vec())),
            ("document", input.document_bytes()),
        ]
        .into_iter()
        .filter_map(|(member, bytes)| Some((member, bytes?)))
        .collect();
        let marked = expect
            .offset
            .and_then(|offset| offset_member(&members, expect, offset));
        let mut out: Vec<InputExcerpt> = members
            .iter()
            .map(|(member, bytes)| {
                let offset = expect.offset.filter(|_| marked == Some(*member));
                InputExcerpt::new(member, bytes, offset)
            })
            .collect();
        if let Some(dialect) = &input.dialect {
            out.push(InputExcerpt::new("dialect", dialect.as_bytes(), None));
        }
        if let Some(args) = input.args {
            out.push(InputExcerpt::new(
                "args",
                one_line(args.get()).as_bytes(),
                None,
            ));
            let argument = expect.offset.and_then(|_| offset_argument(input, expect));
            if let Some((name, value)) = argument {
                let member = format!("args.{name}");
                out.push(InputExcerpt::new(&member, value.as_bytes(), expect.offset));
            }
        }
        out
    }

    /// The excerpt as the text report shows it: `member: text`, and under it a caret at
    /// the expected offset.
    pub fn lines(&self) -> Vec<String> {
        // An ellipsis in the text is a cut: one in the input is shown escaped.
        let cut = if self.text.contains('\u{2026}') {
            format!(" ({} bytes)", self.bytes)
        } else {
            String::new()
        };
        let label = format!("{}{cut}: ", self.member);
        let mut lines = vec![format!("{label}{}", self.text)];
        if let (Some(offset), Some(column)) = (self.offset, self.column) {
            lines.push(format!(
                "{}^ expected offset {offset}",
                " ".repeat(label.chars().count() + column)
            ));
        }
        lines
    }
}

/// JSON text on one line: a line break and the white space after it become one space
/// (outside strings, the only place a raw line break can be).
fn one_line(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    let mut breaking = false;
    for c in json.chars() {
        match c {
            '\n' | '\r' => breaking = true,
            ' ' | '\t' if breaking => {}
            c => {
                if breaking {
                    out.push(' ');
                    breaking = false;
                }
                out.push(c);
            }
        }
    }
    out
}

/// Which input member an expected offset counts in (`spec/text.md` §8: the subject for
/// subject errors, the payload for payload and number errors; a whole line, JSON text or
/// document when that is the input). For a subject and payload pair and a class of
/// neither (`limit.length`, `encoding.utf8`), the member that breaks the rule at that
/// offset: the one over its limit (255 for a subject, 64 for a payload, `text.md` §7),
/// or the one that is not UTF-8 there. `None` when it cannot be told.
fn offset_member<'m>(
    members: &[(&'m str, Vec<u8>)],
    expect: &Expect<'_>,
    offset: usize,
) -> Option<&'m str> {
    if let [(only, _)] = members {
        return Some(only);
    }
    let class = expect.error.as_deref().unwrap_or_default();
    let named = |member: &str| members.iter().find(|(m, _)| *m == member).map(|(m, _)| *m);
    if class.starts_with("subject.") {
        return named("subject");
    }
    if class.starts_with("payload.") || class.starts_with("number.") {
        return named("payload");
    }
    members.iter().map(|(m, _)| *m).find(|m| {
        let bytes = members
            .iter()
            .find(|(n, _)| n == m)
            .map(|(_, b)| b.as_slice())
            .unwrap_or_default();
        match class {
            "limit.length" => {
                let limit = match *m {
                    "subject" => 255,
                    "payload" => 64,
                    _ => usize::MAX,
                };
                offset == limit && bytes.len() > limit
            }
            "encoding.utf8" => std::str::from_utf8(bytes)
                .err()
                .is_some_and(|e| e.valid_up_to() == offset),
            _ => false,
        }
    })
}

/// The argument of an operation an expected offset counts in (from the start of the
/// argument, `spec/vectors/README.md`): the string argument the case's `path` names,
/// or the only string argument. `None` when it cannot be told.
fn offset_argument(input: &Input<'_>, expect: &Expect<'_>) -> Option<(String, String)> {
    let serde_json::Value::Object(args) = input.args_value()? else {
        return None;
    };
    let strings: Vec<(&String, &str)> = args
        .iter()
        .filter_map(|(name, value)| Some((name, value.as_str()?)))
        .collect();
    let named = expect
        .path
        .as_ref()
        .and_then(|path| strings.iter().find(|(name, _)| *name == path));
    match (named, strings.as_slice()) {
        (Some((name, value)), _) | (None, [(name, value)]) => {
            Some(((*name).clone(), (*value).to_owned()))
        }
        _ => None,
    }
}

/// The implementation a report is about.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Implementation {
    /// Its name (from its `hello` in session mode; the command in exec mode).
    pub name: String,
    /// Its version (session mode), empty when unknown.
    pub version: String,
    /// Its choices where the specification allows implementation-defined behaviour.
    pub choices: BTreeMap<String, String>,
    /// Formats its hello says it supports that the suite does not have (`Text` for
    /// `text`): their cases are not run, so they are named, never silently ignored.
    #[serde(skip)]
    #[schemars(skip)]
    pub unknown_formats: Vec<String>,
}

/// A whole run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[schemars(
    title = "heartwire verify report",
    extend("examples" = [{
        "report_version": 1,
        "protocol": 1,
        "suite_version": "1.0.0",
        "spec_version": "1.0.0",
        "mode": "session",
        "implementation": {"name": "my-heartbeat-lib", "version": "0.3.1", "choices": {}},
        "counts": {
            "pass": 1, "fail": 1, "error": 1, "skip": 0, "expected-failure": 0,
            "unexpected-pass": 0, "stale-expectation": 0
        },
        "conformant": false,
        "results": [
            {
                "id": "text.payload.beat.fraction", "format": "text", "operation": "decode", "status": "pass",
                "description": "Python writes 0.5 for a float period", "spec": "spec/text.md", "section": "5.2"
            },
            {
                "id": "text.subject.nats-star", "format": "text", "operation": "decode", "status": "fail",
                "reason": "rejected at another offset",
                "expected": "error: \"subject.forbidden-char\"\noffset: 17",
                "actual": "error: \"subject.forbidden-char\"\noffset: 18",
                "description": "'*' is a NATS wildcard", "spec": "spec/text.md", "section": "3.2",
                "input": [
                    {"member": "subject", "bytes": 18, "text": "heartbeat.orders.*", "offset": 17, "column": 17},
                    {"member": "payload", "bytes": 6, "text": "beat/5"}
                ]
            },
            {
                "id": "text.subject.dollar", "format": "text", "operation": "decode", "status": "error",
                "reason": "crashed: exit status: 2",
                "actual": "(error: crashed: exit status: 2)",
                "description": "'$' starts reserved NATS and MQTT names", "spec": "spec/text.md", "section": "3.2",
                "input": [
                    {"member": "subject", "bytes": 14, "text": "heartbeat.$SYS", "offset": 10, "column": 10},
                    {"member": "payload", "bytes": 6, "text": "beat/5"}
                ],
                "stderr": "Traceback (most recent call last):\n  ...\nKeyError: 'subject'\n"
            }
        ]
    }])
)]
pub struct Report {
    /// The version of the JSON report format.
    pub report_version: u32,
    /// The harness protocol version.
    pub protocol: u32,
    /// The suite's version.
    pub suite_version: String,
    /// The version of the specification the suite tests.
    pub spec_version: String,
    /// `builtin`, `exec` or `session`.
    #[schemars(extend("enum" = ["builtin", "exec", "session"]))]
    pub mode: String,
    /// The implementation.
    pub implementation: Implementation,
    /// How many cases had each status (every status present, zeros included).
    pub counts: BTreeMap<Status, usize>,
    /// Whether the run passed: at least one case passed, and no fail, error, unexpected
    /// pass or stale expectation. A run in which nothing passed checked nothing (every
    /// case skipped, a filter that matches none, a hello that supports nothing).
    pub conformant: bool,
    /// Every case run, in suite order, then the stale expectations.
    pub results: Vec<CaseResult>,
}

impl Report {
    /// Makes a report of results, counting them.
    pub fn new(
        suite_version: &str,
        spec_version: &str,
        mode: &str,
        implementation: Implementation,
        results: Vec<CaseResult>,
    ) -> Report {
        let mut counts: BTreeMap<Status, usize> = Status::ALL.iter().map(|s| (*s, 0)).collect();
        for r in &results {
            *counts.entry(r.status).or_default() += 1;
        }
        Report {
            report_version: 1,
            protocol: crate::protocol::PROTOCOL,
            suite_version: suite_version.to_owned(),
            spec_version: spec_version.to_owned(),
            mode: mode.to_owned(),
            implementation,
            conformant: results.iter().any(|r| r.status == Status::Pass)
                && !results.iter().any(|r| r.status.fails_the_run()),
            counts,
            results,
        }
    }

    /// How many cases had a status.
    pub fn count(&self, status: Status) -> usize {
        self.counts.get(&status).copied().unwrap_or(0)
    }

    /// Per format, in suite order: how many of its cases the implementation answered
    /// (every status but skip), and how many there were.
    pub fn ran_by_format(&self) -> Vec<(&str, usize, usize)> {
        let mut formats: Vec<(&str, usize, usize)> = Vec::new();
        for r in self.results.iter().filter(|r| !r.format.is_empty()) {
            let i = match formats.iter().position(|(f, _, _)| *f == r.format) {
                Some(i) => i,
                None => {
                    formats.push((r.format.as_str(), 0, 0));
                    formats.len() - 1
                }
            };
            formats[i].2 += 1;
            if r.status != Status::Skip {
                formats[i].1 += 1;
            }
        }
        formats
    }

    /// The ids with a status, in report order.
    pub fn ids(&self, status: Status) -> Vec<&str> {
        self.results
            .iter()
            .filter(|r| r.status == status)
            .map(|r| r.id.as_str())
            .collect()
    }

    /// The report as JSON (pretty, one member per line).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// A readable summary: every case that needs attention with its reason, the first
    /// `details` of them with their [`CaseResult::details`] (description and section,
    /// input, the diff of expected (`-`) and actual (`+`), stderr), and the counts.
    pub fn to_text(&self, details: usize) -> String {
        let mut out = String::new();
        let mut shown = 0;
        let mut short = 0;
        for r in &self.results {
            if !r.status.fails_the_run() {
                continue;
            }
            let _ = write!(out, "{} {}", r.status.as_str().to_uppercase(), r.id);
            if let Some(reason) = &r.reason {
                let _ = write!(out, ": {reason}");
            }
            out.push('\n');
            if shown < details {
                shown += 1;
                for line in r.details() {
                    let _ = writeln!(out, "    {line}");
                }
            } else {
                short += 1;
            }
        }
        if short > 0 {
            let _ = writeln!(
                out,
                "({short} more cases are shown in one line each; the JSON report has every detail)"
            );
        }
        let expected_failures = self.ids(Status::ExpectedFailure);
        if !expected_failures.is_empty() {
            let _ = writeln!(
                out,
                "expected failures ({}): {}",
                expected_failures.len(),
                expected_failures.join(", ")
            );
        }
        let who = format!(
            "{} {}",
            self.implementation.name, self.implementation.version
        );
        // The choices qualify the result: a run passes the cases as the implementation
        // chose to answer where the specification lets it choose (`spec/harness.md` §4).
        if !self.implementation.choices.is_empty() {
            let _ = writeln!(out, "choices of {}:", who.trim_end());
            for (what, choice) in &self.implementation.choices {
                let _ = writeln!(out, "    {what}: {choice}");
            }
        }
        let ran: Vec<String> = self
            .ran_by_format()
            .iter()
            .map(|(format, ran, all)| format!("{format} {ran} of {all}"))
            .collect();
        if !ran.is_empty() {
            let _ = writeln!(out, "cases run, by format: {}", ran.join(", "));
        }
        let _ = write!(
            out,
            "{} against suite {} (spec {}), {} mode: ",
            who.trim_end(),
            self.suite_version,
            self.spec_version,
            self.mode
        );
        let counts: Vec<String> = Status::ALL
            .iter()
            .filter(|s| self.count(**s) > 0 || **s == Status::Pass)
            .map(|s| format!("{} {}", self.count(*s), s.as_str()))
            .collect();
        let _ = writeln!(
            out,
            "{}; {}",
            counts.join(", "),
            if self.conformant {
                "conformant"
            } else if self.count(Status::Pass) == 0 {
                "NOT conformant: no case passed, nothing was checked"
            } else {
                "NOT conformant"
            }
        );
        out
    }

    /// The report as JUnit XML: one test suite per format, one test case per case;
    /// fail and unexpected pass are `<failure>`, error and stale expectation `<error>`,
    /// skip and expected failure `<skipped>`. Each test suite has `<properties>`: the
    /// implementation, its version, the mode and each of its choices (`choice.` and
    /// the choice's name), since JUnit readers show properties per test suite.
    pub fn to_junit(&self) -> String {
        let mut by_format: BTreeMap<&str, Vec<&CaseResult>> = BTreeMap::new();
        for r in &self.results {
            let format = if r.format.is_empty() {
                "expectations"
            } else {
                r.format.as_str()
            };
            by_format.entry(format).or_default().push(r);
        }
        let total = self.results.len();
        let failures = self.count(Status::Fail) + self.count(Status::UnexpectedPass);
        let errors = self.count(Status::Error) + self.count(Status::StaleExpectation);
        let skipped = self.count(Status::Skip) + self.count(Status::ExpectedFailure);
        let mut properties = String::from("    <properties>\n");
        let implementation = [
            ("implementation", self.implementation.name.as_str()),
            (
                "implementation.version",
                self.implementation.version.as_str(),
            ),
            ("mode", self.mode.as_str()),
        ];
        let choices = self
            .implementation
            .choices
            .iter()
            .map(|(what, choice)| (format!("choice.{what}"), choice.as_str()));
        for (name, value) in implementation
            .into_iter()
            .map(|(n, v)| (n.to_owned(), v))
            .chain(choices)
        {
            let _ = writeln!(
                properties,
                "      <property name=\"{}\" value=\"{}\"/>",
                xml(&name),
                xml(value)
            );
        }
        properties.push_str("    </properties>\n");
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let _ = writeln!(
            out,
            "<testsuites name=\"{}\" tests=\"{total}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\">",
            xml(&format!("heartwire suite {}", self.suite_version))
        );
        for (format, results) in by_format {
            let count = |f: &dyn Fn(Status) -> bool| results.iter().filter(|r| f(r.status)).count();
            let _ = writeln!(
                out,
                "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\">",
                xml(format),
                results.len(),
                count(&|s| matches!(s, Status::Fail | Status::UnexpectedPass)),
                count(&|s| matches!(s, Status::Error | Status::StaleExpectation)),
                count(&|s| matches!(s, Status::Skip | Status::ExpectedFailure)),
            );
            out.push_str(&properties);
            for r in results {
                let _ = write!(
                    out,
                    "    <testcase classname=\"{}\" name=\"{}\"",
                    xml(&format!("heartwire.{format}")),
                    xml(&r.id)
                );
                let message = xml(r.reason.as_deref().unwrap_or(r.status.as_str()));
                // The same details as the text report's, one per line.
                let body = xml(&r
                    .details()
                    .iter()
                    .map(|l| format!("{l}\n"))
                    .collect::<String>());
                let element = match r.status {
                    Status::Pass => None,
                    Status::Fail | Status::UnexpectedPass => Some("failure"),
                    Status::Error | Status::StaleExpectation => Some("error"),
                    Status::Skip | Status::ExpectedFailure => Some("skipped"),
                };
                match element {
                    None => out.push_str("/>\n"),
                    Some(element) => {
                        let _ = writeln!(
                            out,
                            ">\n      <{element} type=\"{}\" message=\"{message}\">{body}</{element}>\n    </testcase>",
                            r.status.as_str()
                        );
                    }
                }
            }
            out.push_str("  </testsuite>\n");
        }
        out.push_str("</testsuites>\n");
        out
    }
}

/// Text escaped for XML content and attribute values. Characters XML 1.0 cannot hold
/// at all (most control characters, lone surrogates cannot occur in a `str`) are written
/// as `\u{..}`.
pub fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_escapes_everything_it_must() {
        assert_eq!(
            xml("a<b>&\"c'\n\u{1}"),
            "a&lt;b&gt;&amp;&quot;c&apos;&#10;\\u{1}"
        );
    }

    /// The text and JUnit reports show the implementation's choices, escaped in XML.
    #[test]
    fn reports_show_the_choices() {
        let implementation = Implementation {
            name: "my-heartbeats".to_owned(),
            version: "2.3.0".to_owned(),
            choices: BTreeMap::from([
                ("json.shape offsets".to_owned(), "not reported".to_owned()),
                ("encoder".to_owned(), "beatit <2022> & \"more\"".to_owned()),
            ]),
            ..Implementation::default()
        };
        let pass = CaseResult::new("text.subject.dotted", "text", "decode", Status::Pass);
        let report = Report::new("1.0.0", "1.0.0", "session", implementation, vec![pass]);
        let text = report.to_text(5);
        assert!(
            text.contains(
                "choices of my-heartbeats 2.3.0:\n    encoder: beatit <2022> & \"more\"\n    json.shape offsets: not reported\n"
            ),
            "{text}"
        );
        let junit = report.to_junit();
        assert!(
            junit.contains(concat!(
                "<testsuite name=\"text\" tests=\"1\" failures=\"0\" errors=\"0\" skipped=\"0\">\n",
                "    <properties>\n",
                "      <property name=\"implementation\" value=\"my-heartbeats\"/>\n",
                "      <property name=\"implementation.version\" value=\"2.3.0\"/>\n",
                "      <property name=\"mode\" value=\"session\"/>\n",
                "      <property name=\"choice.encoder\" value=\"beatit &lt;2022&gt; &amp; &quot;more&quot;\"/>\n",
                "      <property name=\"choice.json.shape offsets\" value=\"not reported\"/>\n",
                "    </properties>\n",
                "    <testcase ",
            )),
            "{junit}"
        );

        // Without choices, the text report has no such line.
        let plain = Report::new("1.0.0", "1.0.0", "exec", Implementation::default(), vec![]);
        assert!(!plain.to_text(5).contains("choices"));
    }

    /// The character of an excerpt's text at its marker.
    fn at_marker(e: &InputExcerpt) -> Option<char> {
        e.column.and_then(|c| e.text.chars().nth(c))
    }

    #[test]
    fn excerpts_escape_what_cannot_be_seen_and_mark_the_offset() {
        let plain = InputExcerpt::new("subject", b"heartbeat.orders.*", Some(17));
        assert_eq!(plain.text, "heartbeat.orders.*");
        assert_eq!((plain.column, at_marker(&plain)), (Some(17), Some('*')));
        assert_eq!(
            plain.lines(),
            [
                "subject: heartbeat.orders.*".to_owned(),
                format!("{}^ expected offset 17", " ".repeat(9 + 17)),
            ]
        );

        // Letters of Latin scripts are shown; a zero-width space, a line feed and a
        // byte that is not UTF-8 are escaped, and the marker counts bytes into columns.
        let bytes = "caf\u{e9}\u{200b}\n"
            .bytes()
            .chain([0xff, b'x'])
            .collect::<Vec<u8>>();
        let mixed = InputExcerpt::new("payload", &bytes, Some(bytes.len() - 1));
        assert_eq!(mixed.text, "caf\u{e9}\\u{200b}\u{240a}\\xffx");
        assert_eq!(at_marker(&mixed), Some('x'));
        let at_bad_byte = InputExcerpt::new("payload", &bytes, Some(bytes.len() - 2));
        assert_eq!(
            at_bad_byte
                .text
                .chars()
                .skip(at_bad_byte.column.unwrap_or(0))
                .take(4)
                .collect::<String>(),
            "\\xff"
        );

        // An offset at the end points past the last character.
        let end = InputExcerpt::new("line", b"heartbeat.x", Some(11));
        assert_eq!(end.column, Some(11));
        assert_eq!(at_marker(&end), None);

        // A long input is cut around the offset, with ellipses, and the marker still
        // points at the byte.
        let mut long = vec![b'a'; 300];
        long[255] = b'Z';
        let cut = InputExcerpt::new("subject", &long, Some(255));
        assert!(
            cut.text.starts_with('\u{2026}') && cut.text.ends_with('\u{2026}'),
            "{}",
            cut.text
        );
        assert!(cut.text.chars().count() <= EXCERPT_COLUMNS + 2);
        assert_eq!(at_marker(&cut), Some('Z'));
        assert!(cut.lines()[0].starts_with("subject (300 bytes): \u{2026}"));
        // Without an offset, the start is shown.
        let start = InputExcerpt::new("document", &long, None);
        assert!(start.text.starts_with("aaa") && start.text.ends_with('\u{2026}'));
        assert_eq!(start.lines().len(), 1);
    }

    #[test]
    fn the_offset_is_marked_in_the_member_it_counts_in() {
        let case = |text: &str| -> (Input<'static>, Expect<'static>) {
            let value: serde_json::Value = serde_json::from_str(text).unwrap_or_default();
            let leak = |v: &serde_json::Value| -> &'static str {
                Box::leak(v.to_string().into_boxed_str())
            };
            let input = serde_json::from_str(leak(&value["input"]));
            let expect = serde_json::from_str(leak(&value["expect"]));
            (
                input.unwrap_or_else(|e| panic!("{e}")),
                expect.unwrap_or_else(|e| panic!("{e}")),
            )
        };
        let marked = |text: &str| {
            let (input, expect) = case(text);
            InputExcerpt::of_case(&input, &expect)
                .into_iter()
                .map(|e| format!("{}{}", e.member, if e.column.is_some() { "^" } else { "" }))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            marked(
                r#"{"input":{"subject":"heartbeat.a","payload":"beat/05"},"expect":{"error":"number.leading-zero","offset":6}}"#
            ),
            ["subject", "payload^"]
        );
        assert_eq!(
            marked(
                r#"{"input":{"subject_hex":"6865617274626561742e61ff","payload":"beat/5"},"expect":{"error":"encoding.utf8","offset":11}}"#
            ),
            ["subject^", "payload"]
        );
        assert_eq!(
            marked(
                r#"{"input":{"args":{"rate":"Daily(24,0)","after":"2024-01-01T00:00:00Z"}},"expect":{"error":"schedule.range","offset":6,"path":"rate"}}"#
            ),
            ["args", "args.rate^"]
        );
        // Two string arguments and no path: which one cannot be told, so none is marked.
        assert_eq!(
            marked(
                r#"{"input":{"args":{"service":"orders*","convention":"heartbeat"}},"expect":{"error":"name.forbidden-char","offset":6}}"#
            ),
            ["args"]
        );
    }

    #[test]
    fn stale_and_unexpected_pass_fail_the_run() {
        let result = |id: &str, status| CaseResult::new(id, "text", "decode", status);
        for (status, conformant) in [
            (Status::Pass, true),
            (Status::Skip, true),
            (Status::ExpectedFailure, true),
            (Status::Fail, false),
            (Status::Error, false),
            (Status::UnexpectedPass, false),
            (Status::StaleExpectation, false),
        ] {
            let report = Report::new(
                "1.0.0",
                "1.0.0",
                "exec",
                Implementation::default(),
                vec![result("a", Status::Pass), result("b", status)],
            );
            assert_eq!(report.conformant, conformant, "{status:?}");
            assert_eq!(
                report.count(status),
                if status == Status::Pass { 2 } else { 1 }
            );
        }
    }
}
