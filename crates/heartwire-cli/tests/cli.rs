//! The `heartwire` binary, run as a user runs it: arguments, stdin, stdout, stderr and
//! exit status.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn heartwire(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_heartwire"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let mut pipe = child.stdin.take().expect("stdin is piped");
    // A child that exits early closes its stdin; that is its business.
    let _ = pipe.write_all(stdin);
    drop(pipe);
    child.wait_with_output().expect("the binary finishes")
}

fn text(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).expect("output is UTF-8")
}

#[test]
fn no_command_decodes_the_built_in_example() {
    let out = heartwire(&[], b"");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert_eq!(stdout.lines().count(), 9);
    assert!(stdout.starts_with(
        "{\"format\":\"text\",\"process\":\"billing.worker-1\",\"signal\":\"start\",\"warmup\":60}\n"
    ));
    assert!(
        stdout.contains("\"period\":0.00001}"),
        "1e-05 decodes exactly"
    );
}

#[test]
fn decode_with_subject_and_payload_argument() {
    let out = heartwire(
        &["decode", "--subject", "heartbeat.my.process", "beat/5.0"],
        b"",
    );
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        text(&out.stdout),
        "{\"format\":\"text\",\"process\":\"my.process\",\"signal\":\"beat\",\"period\":5}\n"
    );
}

#[test]
fn decode_with_payload_on_stdin() {
    let out = heartwire(&["decode", "--subject", "heartbeat.x"], b"degraded/0.1\n");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        text(&out.stdout),
        "{\"format\":\"text\",\"process\":\"x\",\"signal\":\"degraded\",\"period\":0.1}\n"
    );
    let out = heartwire(&["decode", "--subject", "heartbeat.x"], b"stop");
    assert_eq!(
        text(&out.stdout),
        "{\"format\":\"text\",\"process\":\"x\",\"signal\":\"stop\"}\n"
    );
}

#[test]
fn decode_errors_name_the_part_and_offset_and_exit_1() {
    let out = heartwire(
        &["decode", "--subject", "heartbeat.orders.*", "beat/5"],
        b"",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let stderr = text(&out.stderr);
    assert!(stderr.starts_with("subject: expected a letter, digit, '_', '-' or '.' at byte 17, found '*' (a NATS wildcard)"), "{stderr}");

    let out = heartwire(&["decode", "--subject", "heartbeat.x", "beat/nan"], b"");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).starts_with("payload: expected a digit at byte 5"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_long_stdin_payload_is_rejected_not_buffered() {
    let out = heartwire(
        &["decode", "--subject", "heartbeat.x"],
        &vec![b'1'; 1 << 20],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr)
            .starts_with("payload: payload is 1048576 bytes long, expected at most 64"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn line_input_keeps_going_after_bad_lines() {
    let input =
        b"heartbeat.a beat/5\nheartbeat.b beat/-5\n\nheartbeat.c\xff stop\r\nheartbeat.d stop";
    let out = heartwire(&["decode"], input);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stdout),
        "{\"format\":\"text\",\"process\":\"a\",\"signal\":\"beat\",\"period\":5}\n\
         {\"format\":\"text\",\"process\":\"d\",\"signal\":\"stop\"}\n"
    );
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("stdin:2: expected a digit at byte 17"),
        "{stderr}"
    );
    assert!(
        stderr.contains("stdin:4: line is not valid UTF-8 at byte 11"),
        "{stderr}"
    );
}

#[test]
fn an_endless_line_is_counted_not_buffered() {
    let mut input = vec![b'x'; 4 << 20];
    input.extend_from_slice(b"\nheartbeat.ok beat/1\n");
    let out = heartwire(&["decode"], &input);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stdout),
        "{\"format\":\"text\",\"process\":\"ok\",\"signal\":\"beat\",\"period\":1}\n"
    );
    assert!(
        text(&out.stderr).contains("stdin:1: line is 4194304 bytes long, expected at most 320")
    );
}

#[test]
fn encode_reads_json_lines_and_writes_the_line_form() {
    let input =
        b"{\"format\":\"text\",\"process\":\"my.process\",\"signal\":\"start\",\"warmup\":60}\n\
{\"signal\":\"beat\",\"period\":1e-5,\"process\":\"my.process\",\"format\":\"text\"}\n\
{\"format\":\"text\",\"process\":\"my.process\",\"signal\":\"beat\",\"period\":0}\n\
{\"format\":\"text\",\"process\":\"my.process\",\"signal\":\"stop\"}\n";
    let out = heartwire(&["encode"], input);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stdout),
        "heartbeat.my.process start/60\nheartbeat.my.process beat/0.00001\nheartbeat.my.process stop\n"
    );
    assert!(
        text(&out.stderr).contains(
            "stdin:3: period: expected a duration of at least 1 nanosecond at byte 65, found zero"
        ),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn example_decode_encode_round_trip_is_canonical() {
    let example = heartwire(&["example"], b"");
    let decoded = heartwire(&["decode"], &example.stdout);
    let encoded = heartwire(&["encode"], &decoded.stdout);
    assert_eq!(encoded.status.code(), Some(0));
    let again = heartwire(&["encode"], &heartwire(&["decode"], &encoded.stdout).stdout);
    assert_eq!(
        again.stdout, encoded.stdout,
        "canonical form is a fixed point"
    );
    assert!(text(&encoded.stdout).contains("heartbeat.billing.worker-1 beat/5\n"));
    assert!(!text(&encoded.stdout).contains("5.0"));
}

#[test]
fn usage_errors_exit_2_and_help_documents_exit_status() {
    assert_eq!(heartwire(&["decode", "beat/5"], b"").status.code(), Some(2));
    assert_eq!(heartwire(&["frobnicate"], b"").status.code(), Some(2));
    let help = heartwire(&["--help"], b"");
    assert_eq!(help.status.code(), Some(0));
    let help = text(&help.stdout);
    for needle in ["decode", "encode", "example", "Exit status", "byte offset"] {
        assert!(help.contains(needle), "--help mentions {needle}");
    }
    let decode_help = heartwire(&["decode", "--help"], b"");
    assert!(text(&decode_help.stdout).contains("--subject"));
}
