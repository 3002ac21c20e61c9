//! The schemas of the conformance harness against what the harness really writes and
//! reads: a request for every case of the suite, heartwire's own answer to every case in
//! both modes, and reports, each validated against its schema.

use heartwire_harness::builtin;
use heartwire_harness::compare::{Answer, check};
use heartwire_harness::protocol::{HarnessHello, PROTOCOL, Request, Response, Stop};
use heartwire_harness::report::{CaseResult, Implementation, Report, Status};
use heartwire_harness::suite::Suite;
use serde::Serialize;

fn validator(name: &str) -> jsonschema::Validator {
    let schema = heartwire_schema::schema(name).expect("a listed name has a schema");
    let value = serde_json::to_value(&schema).expect("a schema is JSON");
    jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(&value)
        .unwrap_or_else(|e| panic!("{name} does not compile: {e}"))
}

fn assert_valid(validator: &jsonschema::Validator, name: &str, message: &impl Serialize) {
    let value = serde_json::to_value(message).expect("a message serializes");
    let errors: Vec<String> = validator
        .iter_errors(&value)
        .map(|e| e.to_string())
        .collect();
    assert!(
        errors.is_empty(),
        "the {name} schema rejects {value}: {errors:?}"
    );
}

#[test]
fn every_message_of_a_session_and_every_exec_answer_validates() {
    let suite = Suite::builtin().expect("the embedded suite is whole");
    let from_harness = validator("session-harness");
    let from_implementation = validator("session-implementation");
    let exec = validator("exec-answer");

    let hello = HarnessHello {
        kind: "hello".to_owned(),
        protocol: PROTOCOL,
        suite: suite.manifest.version.clone(),
    };
    assert_valid(&from_harness, "session-harness", &hello);
    assert_valid(&from_harness, "session-harness", &Stop { kind: "stop" });

    let (mut ok, mut rejected) = (0, 0);
    for (seq, item) in (1u64..).zip(suite.cases()) {
        let case = item.case;
        let request = Request {
            kind: "request",
            seq,
            id: &case.id,
            format: item.format,
            operation: case.operation.as_str(),
            input: &case.input,
        };
        assert_valid(&from_harness, "session-harness", &request);

        let answer = builtin::answer(item.format, &case.operation, &case.input);
        match &answer {
            Answer::Accepted(output) => {
                ok += 1;
                assert_valid(&exec, "exec-answer", output);
            }
            Answer::Rejected(rejection) => {
                rejected += 1;
                assert_valid(&exec, "exec-answer", rejection);
            }
            Answer::Skipped(_) | Answer::Errored(_) => {}
        }
        let response = match answer {
            Answer::Accepted(output) => Response::Ok { seq, output },
            Answer::Rejected(rejection) => Response::Rejected { seq, rejection },
            Answer::Skipped(reason) => Response::Skipped { seq, reason },
            Answer::Errored(message) => Response::Errored { seq, message },
        };
        assert_valid(&from_implementation, "session-implementation", &response);
    }
    assert!(
        ok > 300 && rejected > 300,
        "{ok} accepted, {rejected} rejected"
    );
}

#[test]
fn reports_validate() {
    let suite = Suite::builtin().expect("the embedded suite is whole");
    let mut results: Vec<CaseResult> = suite
        .cases()
        .map(|item| {
            let answer = builtin::answer(item.format, &item.case.operation, &item.case.input);
            let status = if check(&item.case.expect, &answer).is_ok() {
                Status::Pass
            } else {
                Status::Fail
            };
            CaseResult::new(
                &item.case.id,
                item.format,
                item.case.operation.as_str(),
                status,
            )
        })
        .collect();
    let mut stale = CaseResult::new("text.payload.retired", "", "", Status::StaleExpectation);
    stale.reason = Some("listed as an expected failure, not in the suite".to_owned());
    results.push(stale);
    let implementation = Implementation {
        name: "heartwire".to_owned(),
        version: "0.1.0".to_owned(),
        ..Implementation::default()
    };
    let report = Report::new(
        &suite.manifest.version,
        &suite.manifest.spec_version,
        "builtin",
        implementation,
        results,
    );
    let value: serde_json::Value = serde_json::from_str(&report.to_json()).expect("JSON");
    let errors: Vec<String> = validator("report")
        .iter_errors(&value)
        .map(|e| e.to_string())
        .collect();
    assert!(
        errors.is_empty(),
        "the report schema rejects the report: {errors:?}"
    );
}
