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
    assert_eq!(stdout.lines().count(), 14);
    assert!(stdout.starts_with(
        "{\"format\":\"text\",\"process\":\"billing.worker-1\",\"signal\":\"start\",\"warmup\":60}\n"
    ));
    assert!(
        stdout.contains("\"period\":0.00001}"),
        "1e-05 decodes exactly"
    );
    // The three encodings of one heartbeat command decode to one canonical command.
    assert_eq!(
        stdout
            .matches(r#""command":{"TAG":"Heartbeat","_0":10}}"#)
            .count(),
        3
    );
    assert!(stdout.contains(r#""queue_size":1380,"#), "extras are kept");
    assert!(stdout.contains(r#""rate":"Daily(9,0)""#), "{stdout}");
}

#[test]
fn decode_with_subject_and_payload() {
    let out = heartwire(
        &[
            "decode",
            "--subject",
            "heartbeat.my.process",
            "--payload",
            "beat/5.0",
        ],
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
        &[
            "decode",
            "--subject",
            "heartbeat.orders.*",
            "--payload",
            "beat/5",
        ],
        b"",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let stderr = text(&out.stderr);
    assert!(stderr.starts_with("subject: expected a letter, digit, '_', '-' or '.' at byte 17, found '*' (a NATS wildcard)"), "{stderr}");

    let out = heartwire(
        &[
            "decode",
            "--subject",
            "heartbeat.x",
            "--payload",
            "beat/nan",
        ],
        b"",
    );
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
    // The payload was once an argument; now FILE arguments are files of lines.
    let old = heartwire(&["decode", "--subject", "heartbeat.x", "beat/5"], b"");
    assert_eq!(old.status.code(), Some(2));
    assert!(
        text(&old.stderr).contains("cannot be used with"),
        "{}",
        text(&old.stderr)
    );
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

const SEED_RECORD: &str = r#"{"service_name": "tracker_fetcher", "instance_id": "a1b2c3d4-e5f6-7890-abcd-ef1234567890", "timestamp": "2025-01-16T08:30:00.123456+00:00", "uptime_seconds": 3600.5, "heartbeat_count": 60, "memory_usage_mb": 156.30, "cpu_usage_percent": 12.5, "queue_size": 1380}"#;

const ENVELOPE: &str = r#"{"id":"health-monitor","meta":{"service":"CorePluginExtensionPoint","time":"2024-01-26T10:30:00.000Z","ip":"","user":"Heartbeat","msgId":"7d444840-9dc0-11d1-b245-5ffdce74fad2","correlationId":"e4eaaaf2-d142-11e1-b3e4-080027620cdd"},"commandJson":"Heartbeat(10)"}"#;

#[test]
fn decode_detects_each_line_format_and_keeps_numbers_as_written() {
    let input = format!(
        "heartbeat.a beat/5\n{SEED_RECORD}\n{ENVELOPE}\n{{\"name\":\"cleanup-task\",\"rate\":[\"Hours\",6],\"payload\":\"{{}}\"}}\n"
    );
    let out = heartwire(&["decode"], input.as_bytes());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let lines: Vec<&str> = text(&out.stdout).lines().collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(
        lines[0],
        r#"{"format":"text","process":"a","signal":"beat","period":5}"#
    );
    assert_eq!(
        lines[1],
        r#"{"service_name":"tracker_fetcher","instance_id":"a1b2c3d4-e5f6-7890-abcd-ef1234567890","timestamp":"2025-01-16T08:30:00.123456+00:00","uptime_seconds":3600.5,"heartbeat_count":60,"memory_usage_mb":156.30,"cpu_usage_percent":12.5,"queue_size":1380}"#
    );
    assert!(lines[2].ends_with(r#""command":{"TAG":"Heartbeat","_0":10}}"#));
    assert_eq!(
        lines[3],
        r#"{"name":"cleanup-task","rate":"Hours(6)","payload":"{}"}"#
    );
}

#[test]
fn json_errors_name_the_path_and_offset_and_exit_1() {
    let bad = SEED_RECORD.replace(r#""heartbeat_count": 60"#, r#""heartbeat_count": -1"#);
    let input = format!("{bad}\n{SEED_RECORD}\n");
    let out = heartwire(&["decode"], input.as_bytes());
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stdout).lines().count(),
        1,
        "the good line is decoded"
    );
    let offset = bad.find(": -1").expect("in the document") + 2;
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(&format!("stdin:1: at byte {offset} (heartbeat_count)")),
        "{stderr}"
    );
}

#[test]
fn format_option_takes_one_format() {
    let out = heartwire(&["decode", "--format", "command"], SEED_RECORD.as_bytes());
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("json.missing") || text(&out.stderr).contains("missing"));
    let out = heartwire(&["decode", "--format", "text"], b"heartbeat.x stop\n");
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn an_oversized_json_line_is_a_size_error() {
    let mut input = b"{\"service_name\": \"".to_vec();
    input.resize(100_000, b'a');
    input.extend_from_slice(b"\"}\n");
    let out = heartwire(&["decode"], &input);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("document of 100002 bytes is over the limit of 65536"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn encode_writes_the_dialect_asked_for() {
    for (dialect, tail) in [
        ("sury", r#""command":{"TAG":"Heartbeat","_0":10}}"#),
        ("decco", r#""command":["Heartbeat",10]}"#),
        ("seed", r#""commandJson":"Heartbeat(10)"}"#),
    ] {
        let out = heartwire(&["encode", "--dialect", dialect], ENVELOPE.as_bytes());
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        assert!(
            text(&out.stdout).trim_end().ends_with(tail),
            "{dialect}: {}",
            text(&out.stdout)
        );
    }
    let schedule = br#"{"name":"r","rate":"Daily(9,0)","payload":""}"#;
    let out = heartwire(&["encode", "--rate-dialect", "decco"], schedule);
    assert_eq!(
        text(&out.stdout),
        "{\"name\":\"r\",\"rate\":[\"Daily\",9,0],\"payload\":\"\"}\n"
    );
    assert_eq!(
        heartwire(&["encode", "--dialect", "xml"], b"")
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn schedule_next_prints_fire_times() {
    let out = heartwire(
        &[
            "schedule",
            "next",
            "Weekdays(17,0)",
            "--after",
            "2024-02-29T18:00:00Z",
            "--count",
            "3",
        ],
        b"",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // Thursday 29 February 2024 is past 17:00: Friday, then Monday and Tuesday.
    assert_eq!(
        text(&out.stdout),
        "2024-03-01T17:00:00Z\n2024-03-04T17:00:00Z\n2024-03-05T17:00:00Z\n"
    );
    let out = heartwire(
        &[
            "schedule",
            "next",
            "cron(30 14 25 12 ? 2024)",
            "--after",
            "2024-01-01T00:00:00Z",
        ],
        b"",
    );
    assert_eq!(text(&out.stdout), "2024-12-25T14:30:00Z\n");
    // A one-time schedule that has passed: nothing to print, and a word on stderr.
    let out = heartwire(
        &[
            "schedule",
            "next",
            "Single(2024,12,25,14,30)",
            "--after",
            "2025-01-01T00:00:00Z",
        ],
        b"",
    );
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stdout), "");
    assert!(text(&out.stderr).contains("fires no more"));
    let out = heartwire(
        &[
            "schedule",
            "next",
            "Minutes(15)",
            "--after",
            "2024-01-01T00:07:00+01:00",
            "--count",
            "2",
        ],
        b"",
    );
    assert_eq!(
        text(&out.stdout),
        "2023-12-31T23:15:00Z\n2023-12-31T23:30:00Z\n"
    );
}

#[test]
fn schedule_expr_writes_valid_eventbridge_forms() {
    let expr = |args: &[&str]| {
        let out = heartwire(args, b"");
        (
            out.status.code(),
            text(&out.stdout).to_owned(),
            text(&out.stderr).to_owned(),
        )
    };
    assert_eq!(
        expr(&["schedule", "expr", "Daily(9,0)"]).1,
        "cron(0 9 * * ? *)\n"
    );
    assert_eq!(
        expr(&["schedule", "expr", "Minutes(1)"]).1,
        "rate(1 minute)\n"
    );
    assert_eq!(
        expr(&["schedule", "expr", "--at", "Single(2024,12,25,14,30)"]).1,
        "at(2024-12-25T14:30:00)\n"
    );
    let (code, _, stderr) = expr(&["schedule", "expr", "--at", "Hours(6)"]);
    assert_eq!(code, Some(1), "{stderr}");
    let (code, _, stderr) = expr(&["schedule", "expr", "Daily(24,0)"]);
    assert_eq!(code, Some(1));
    assert!(stderr.contains("schedule:"), "{stderr}");
    // The framework's own Daily expression is refused with the fix.
    let (code, _, stderr) = expr(&["schedule", "expr", "cron(0 9 * * * *)"]);
    assert_eq!(code, Some(1));
    assert!(stderr.contains("?"), "{stderr}");
    let (code, _, _) = expr(&[
        "schedule",
        "next",
        "Daily(9,0)",
        "--after",
        "2024-01-01 09:00:00Z",
    ]);
    assert_eq!(code, Some(1));
}

#[test]
fn schema_lists_prints_and_writes_the_committed_schemas() {
    let spec = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../spec/schema");

    let list = heartwire(&["schema"], b"");
    assert!(list.status.success());
    let names: Vec<&str> = text(&list.stdout)
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .collect();
    assert_eq!(
        names,
        [
            "text",
            "record",
            "command",
            "schedule",
            "vectors",
            "liveness-vectors",
            "suite",
            "session-harness",
            "session-implementation",
            "exec-answer",
            "report",
            "alert"
        ]
    );
    assert!(text(&list.stdout).contains("record.schema.json"));

    let record = heartwire(&["schema", "record"], b"");
    assert!(record.status.success());
    let committed = std::fs::read(spec.join("record.schema.json")).expect("committed schema");
    assert_eq!(text(&record.stdout), text(&committed));

    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("schema-out");
    let _ = std::fs::remove_dir_all(&dir);
    let dir_arg = dir.to_str().expect("a UTF-8 path");
    let written = heartwire(&["schema", "--out", dir_arg], b"");
    assert!(written.status.success(), "{}", text(&written.stderr));
    assert_eq!(text(&written.stdout).lines().count(), names.len());
    for name in names {
        let file = format!("{name}.schema.json");
        assert_eq!(
            std::fs::read(dir.join(&file)).expect("written"),
            std::fs::read(spec.join(&file)).expect("committed"),
            "{file}"
        );
    }

    let unknown = heartwire(&["schema", "beats"], b"");
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        text(&unknown.stderr).contains("no schema named \"beats\""),
        "{}",
        text(&unknown.stderr)
    );
    assert!(unknown.stdout.is_empty());
}

/// Runs `heartwire ARGS` with stdout or stderr a pipe whose reading end is closed
/// (the reader, `true`, has exited before heartwire starts); its exit status.
fn with_closed(stream: &str, args: &[&str]) -> Option<i32> {
    let redirect = match stream {
        "stdout" => "2>/dev/null",
        _ => "2>&1 >/dev/null",
    };
    let script =
        format!("exec 3>&1; {{ sleep 0.3; \"$0\" \"$@\" {redirect} 3>&-; echo $? >&3; }} | true");
    let output = Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg(env!("CARGO_BIN_EXE_heartwire"))
        .args(args)
        .output()
        .expect("sh runs");
    text(&output.stdout).trim().parse().ok()
}

/// A closed stderr or stdout is no panic (exit 101) and no success (exit 0): exit 1.
#[test]
fn closed_output_ends_with_exit_1_not_a_panic() {
    assert_eq!(with_closed("stderr", &[]), Some(1), "stderr closed");
    assert_eq!(
        with_closed("stdout", &["vectors", "list"]),
        Some(1),
        "stdout closed"
    );
    assert_eq!(
        with_closed("stdout", &["example"]),
        Some(1),
        "stdout closed"
    );
    // The monitor's first JSON line (its link to the machine's NATS is up) cannot be
    // written: it stops at once, exit 1, long before --exit-after.
    let started = std::time::Instant::now();
    let monitor = [
        "monitor",
        "--from",
        "nats://127.0.0.1:4222",
        "--json",
        "--exit-after",
        "30s",
    ];
    assert_eq!(
        with_closed("stdout", &monitor),
        Some(1),
        "monitor, stdout closed"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
}

#[test]
fn decode_and_encode_read_file_arguments_in_order_with_dash_for_stdin() {
    // Files written afresh each run; `missing.log` is never written.
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("files");
    std::fs::create_dir_all(&dir).expect("a scratch folder");
    let first = dir.join("first.log");
    let second = dir.join("second.log");
    std::fs::write(&first, "heartbeat.a beat/5\n").expect("written");
    std::fs::write(&second, "heartbeat.b stop\nheartbeat.c beat/x\n").expect("written");
    let missing = dir.join("missing.log");
    let [first, second, missing] =
        [&first, &second, &missing].map(|p| p.to_str().expect("UTF-8").to_owned());

    let out = heartwire(
        &["decode", &first, "-", &second, &missing],
        b"heartbeat.s beat/1\n",
    );
    // The others are decoded, in order; a bad line and a missing file make it exit 1.
    assert_eq!(out.status.code(), Some(1));
    let processes: Vec<&str> = text(&out.stdout)
        .lines()
        .map(|l| l.split("\"process\":\"").nth(1).expect("a process"))
        .map(|rest| &rest[..1])
        .collect();
    assert_eq!(processes, ["a", "s", "b"]);
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(&format!("{second}:2: expected a digit at byte 17")),
        "{stderr}"
    );
    assert!(stderr.contains(&format!("{missing}: ")), "{stderr}");
    assert!(
        !stderr.contains("reading"),
        "no terminal, no hint: {stderr}"
    );

    let out = heartwire(&["decode", &first, &first], b"");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).lines().count(), 2);

    let canonical = dir.join("canonical.jsonl");
    std::fs::write(
        &canonical,
        "{\"format\":\"text\",\"process\":\"a\",\"signal\":\"stop\"}\n",
    )
    .expect("written");
    let canonical = canonical.to_str().expect("UTF-8");
    let out = heartwire(
        &["encode", "-", canonical],
        b"{\"format\":\"text\",\"process\":\"s\",\"signal\":\"stop\"}\n",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "heartbeat.s stop\nheartbeat.a stop\n");
}

#[test]
fn mistyped_commands_and_flags_get_a_suggestion() {
    let out = heartwire(&["decod"], b"");
    assert_eq!(out.status.code(), Some(2));
    // Which other commands are named beside it depends on the commands there are.
    let tip = text(&out.stderr);
    let tip = tip
        .lines()
        .find(|l| l.contains("similar subcommand"))
        .unwrap_or("");
    assert!(tip.contains("'decode'"), "{}", text(&out.stderr));
    let out = heartwire(&["ping", "--evry", "5m"], b"");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("a similar argument exists: '--every'"),
        "{}",
        text(&out.stderr)
    );
}

/// `heartwire beat` to an unused URL with one flag more.
fn beat_with(flag: &'static str, value: &'static str) -> Vec<&'static str> {
    let mut args = vec!["beat", "--to", "http://x/", "--process", "a"];
    args.extend([flag, value]);
    args
}

/// `heartwire ping` of a refused port of 127.0.0.1 (`to` the flag naming it), one
/// attempt, stopping after `exit_after`; it must print its start ping and exit 0.
fn ping_once(to: &str, every: &str, exit_after: &str) {
    let policy = [
        "--timeout",
        "500ms",
        "--attempts",
        "1",
        "--retry-after",
        "0.5m",
    ];
    let mut args = vec!["ping", to, "http://127.0.0.1:9/", "--every", every];
    args.extend(policy);
    args.extend(["--exit-after", exit_after]);
    let out = heartwire(&args, b"");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{args:?}: {}",
        text(&out.stderr)
    );
    let stdout = text(&out.stdout);
    assert!(stdout.ends_with(" start\n"), "{args:?}: {stdout}");
}

#[test]
fn every_duration_flag_takes_a_unit_and_refuses_a_bare_number() {
    // `run` takes the flags `beat` takes, and a job.
    let run = [
        &["run"][..],
        &beat_with("--period", "30")[1..],
        &["--", "true"],
    ]
    .concat();
    let ping = |flags: &[&'static str]| [&["ping", "--to", "http://x/"][..], flags].concat();
    // Each flag, given a bare number: refused before anything runs, with a hint.
    for args in [
        run,
        beat_with("--period", "60"),
        beat_with("--timeout", "10"),
        beat_with("--retry-after", "20"),
        ping(&["--every", "15"]),
        ping(&["--every", "15m", "--exit-after", "1"]),
        vec!["monitor", "--refresh", "500"],
        vec!["monitor", "--exit-after", "30"],
        vec!["verify", "--timeout", "5000"],
    ] {
        let out = heartwire(&args, b"");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = text(&out.stderr);
        assert!(
            stderr.contains("has no unit; add one:") && stderr.contains("s, "),
            "{args:?}: {stderr}"
        );
    }
    for (args, why) in [
        (beat_with("--period", "0s"), "zero"),
        (beat_with("--period", "5 s"), "a space"),
        (beat_with("--period", "5sec"), "no such unit"),
        (ping(&["--every", "7m"]), "no aligned frequency"),
        (vec!["monitor", "--refresh", "1ms"], "below 10ms"),
    ] {
        let out = heartwire(&args, b"");
        assert_eq!(out.status.code(), Some(2), "{why}");
        assert!(text(&out.stderr).contains("invalid value"), "{why}");
    }
    // Accepted: every unit, and fractions, end to end.
    ping_once("--to", "1h", "300ms");
    let monitor = ["--refresh", "50ms", "--exit-after", "0.5s"];
    let out = heartwire(
        &[
            &["monitor", "--listen", "127.0.0.1:0", "--json"][..],
            &monitor,
        ]
        .concat(),
        b"",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // The help says so.
    let help = heartwire(&["beat", "--help"], b"");
    assert!(text(&help.stdout).contains("--period <DURATION>"));
}

#[test]
fn ping_url_is_a_hidden_alias_of_to() {
    ping_once("--url", "5m", "200ms");
    let help = heartwire(&["ping", "--help"], b"");
    let help = text(&help.stdout);
    assert!(help.contains("--to <URL>"), "{help}");
    assert!(!help.contains("--url"), "{help}");
    // Both at once is one flag given twice.
    let both = ["--url", "http://x/", "--to", "http://y/", "--every", "5m"];
    let out = heartwire(&[&["ping"][..], &both].concat(), b"");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn the_help_names_the_liveness_commands_and_each_exit_status() {
    let long = heartwire(&["--help"], b"");
    assert_eq!(long.status.code(), Some(0));
    let long = text(&long.stdout);
    for needle in [
        "heartwire monitor",
        "heartwire run --to URL",
        "heartwire beat --to URL",
        "heartwire ping --to URL --every 15m",
        "500ms, 30s, 2m or 1h",
        "Exit status:",
        "verify           0 conformant",
        "128+N",
        "beat             0 sent",
        "2 usage error",
    ] {
        assert!(long.contains(needle), "--help mentions {needle:?}:\n{long}");
    }
    let short = heartwire(&["-h"], b"");
    let short = text(&short.stdout);
    for needle in [
        "`heartwire monitor`",
        "`heartwire run`",
        "`heartwire ping`",
        "`heartwire beat`",
    ] {
        assert!(short.contains(needle), "-h mentions {needle}:\n{short}");
    }
}

/// On a terminal, `decode` says it reads stdin before it waits there; typed lines
/// and Ctrl-D still work.
#[cfg(unix)]
#[test]
fn decode_on_a_terminal_says_it_reads_stdin() {
    use std::io::{BufRead, BufReader};
    use std::time::Duration;

    let pty = nix::pty::openpty(None, None).expect("a pseudo-terminal");
    let mut child = Command::new(env!("CARGO_BIN_EXE_heartwire"))
        .arg("decode")
        .stdin(Stdio::from(pty.slave))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let stderr = child.stderr.take().expect("piped");
    let (tx, lines) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let hint = lines.recv_timeout(Duration::from_secs(20));
    let mut terminal = std::fs::File::from(pty.master);
    // A line, then end of input (Ctrl-D at the start of a line).
    terminal
        .write_all(b"heartbeat.typed beat/1\n\x04")
        .expect("typed");
    let hint = hint.expect("a hint before any input");
    assert!(
        hint.starts_with(
            "heartwire decode: reading lines from stdin (a terminal; end with Ctrl-D)"
        ),
        "{hint}"
    );
    let out = child.wait_with_output().expect("it ends at Ctrl-D");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        text(&out.stdout),
        "{\"format\":\"text\",\"process\":\"typed\",\"signal\":\"beat\",\"period\":1}\n"
    );
}

/// `beat --plugin` sends an envelope, which has no run id, message, service or exit
/// status: each is refused as a usage error that names it, rather than dropped.
#[test]
fn beat_for_a_plugin_refuses_what_its_envelope_cannot_carry() {
    for extra in [
        ["--run-id", "r-1"],
        ["--message", "hello"],
        ["--service", "beatit"],
        ["--exit-status", "3"],
        ["--process", "billing"],
    ] {
        let mut args = vec![
            "beat",
            "--plugin",
            "orders@1.2.0",
            "--to",
            "nats://127.0.0.1:1",
        ];
        args.extend(extra);
        let out = heartwire(&args, b"");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{extra:?}: {stderr}");
        assert!(stderr.contains(extra[0]), "{extra:?}: {stderr}");
        assert!(stderr.contains("--plugin"), "{extra:?}: {stderr}");
    }
}
