//! The report of a run: per case statuses, and the run as text, JSON or JUnit XML
//! (`spec/harness.md`, reports).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use schemars::JsonSchema;
use serde::Serialize;

use crate::compare::diff;

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
    /// The answer, one member per line, when it differs from the expectation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actual: Option<String>,
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
            "pass": 1, "fail": 1, "error": 0, "skip": 0, "expected-failure": 0,
            "unexpected-pass": 0, "stale-expectation": 0
        },
        "conformant": false,
        "results": [
            {"id": "text.payload.beat.fraction", "format": "text", "operation": "decode", "status": "pass"},
            {
                "id": "text.number.exponent", "format": "text", "operation": "decode", "status": "fail",
                "reason": "the output differs",
                "expected": "encoded: \"heartbeat.p beat/0.00001\"",
                "actual": "encoded: \"heartbeat.p beat/1e-05\""
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
    /// `diffs` differences as a diff of expected (`-`) and actual (`+`), and the counts.
    pub fn to_text(&self, diffs: usize) -> String {
        let mut out = String::new();
        let mut shown = 0;
        for r in &self.results {
            if !r.status.fails_the_run() {
                continue;
            }
            let _ = write!(out, "{} {}", r.status.as_str().to_uppercase(), r.id);
            if let Some(reason) = &r.reason {
                let _ = write!(out, ": {reason}");
            }
            out.push('\n');
            if let (Some(expected), Some(actual), true) = (&r.expected, &r.actual, shown < diffs) {
                shown += 1;
                for line in diff(expected, actual).lines() {
                    let _ = writeln!(out, "    {line}");
                }
            }
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
                let body = match (&r.expected, &r.actual) {
                    (Some(e), Some(a)) => xml(&diff(e, a)),
                    _ => String::new(),
                };
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
        let pass = CaseResult {
            id: "text.subject.dotted".to_owned(),
            format: "text".to_owned(),
            operation: "decode".to_owned(),
            status: Status::Pass,
            reason: None,
            expected: None,
            actual: None,
        };
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

    #[test]
    fn stale_and_unexpected_pass_fail_the_run() {
        let result = |id: &str, status| CaseResult {
            id: id.to_owned(),
            format: "text".to_owned(),
            operation: "decode".to_owned(),
            status,
            reason: None,
            expected: None,
            actual: None,
        };
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
