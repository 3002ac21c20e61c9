//! `heartwire record`: the seed's `HeartbeatPublisher` from the command line. A liveness
//! record (`spec/record.md`) for a service every interval, on Redis, with the uptime,
//! memory and CPU of a process and members of the service's own (`--set`, `--collect`).
//!
//! The records are built by `heartwire_publish::records` (the one record publisher) and
//! published by the Redis adapter ([`RecordSink`]); this file adds what a command line
//! needs: the members given as text, a collector command run before each record, and the
//! loop that stops on SIGINT or SIGTERM, or when the measured process exits.

use std::io::Read;
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Args, ValueEnum};
use heartwire::json::RawJson;
use heartwire::record::{Convention, InstanceId, MEMBERS, Record, ServiceName};
use heartwire::time::{SystemClock, Timestamp, WallClock};
use heartwire_http::RunId;
use heartwire_publish::records::{Built, RecordPublisher};
use heartwire_publish::usage::{ProcessUsage, Sampler};
use tokio::sync::Notify;

use crate::brokers::{Broker, RecordSink};
use crate::duration;
use crate::signals::{self, Caught};

/// The most bytes of `--set` members in all (keys and values as JSON).
pub(crate) const MAX_SET_BYTES: usize = 16 * 1024;
/// The most bytes a collector command may write on its stdout for one record. With
/// [`MAX_SET_BYTES`] and the record's own members (under 1 KiB), a record stays under the
/// 64 KiB of `spec/json.md` §2.2 whatever the members.
pub(crate) const MAX_COLLECTED_BYTES: usize = 16 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ConventionArg {
    /// heartbeat:service:<SERVICE>, the channel the seed's admin panel reads
    Heartbeat,
    /// health:service:<SERVICE>:heartbeat, the seed's naming section
    Health,
    /// both channels, each record on each
    Both,
}

impl ConventionArg {
    fn conventions(self) -> &'static [Convention] {
        match self {
            ConventionArg::Heartbeat => &[Convention::Heartbeat],
            ConventionArg::Health => &[Convention::Health],
            ConventionArg::Both => &Convention::ALL,
        }
    }
}

/// `heartwire record`'s options.
#[derive(Debug, Args)]
pub(crate) struct RecordArgs {
    /// The service name: 1 to 128 letters, digits, `_` and `-` (tracker_fetcher).
    #[arg(value_name = "SERVICE")]
    service: String,
    /// The Redis or Valkey server: redis://[[USER]:PASSWORD@]HOST:PORT[/DB].
    #[arg(long, value_name = "URL")]
    to: String,
    /// How often a record is sent, a duration (the seed's HEARTBEAT_INTERVAL).
    #[arg(long, default_value = "60s", value_parser = duration::parse, value_name = "DURATION")]
    interval: Duration,
    /// The process the records speak for: its uptime, memory and CPU. When it exits,
    /// no more records are sent. Default: the process that started heartwire record
    /// (its parent), as when a service starts it beside itself.
    #[arg(long, value_name = "PID")]
    pid: Option<u32>,
    /// A member of every record: KEY=VALUE, VALUE as JSON when it is JSON (1380, true,
    /// null, "text", {"a":1}), else as a string (authenticated). Repeatable.
    #[arg(long = "set", value_name = "KEY=VALUE", value_parser = parse_member)]
    set: Vec<Member>,
    /// A command run (by `sh -c`) before each record: its stdout, one JSON object, gives
    /// members of that record ({"queue_size":1380}). It may take --collect-timeout and
    /// write 16 KiB; when it fails, the record goes out without its members.
    #[arg(long, value_name = "COMMAND")]
    collect: Option<String>,
    /// How long the collector command may run, a duration.
    #[arg(long, default_value = "5s", value_parser = duration::parse, value_name = "DURATION")]
    collect_timeout: Duration,
    /// The channel convention (spec/record.md §9.1).
    #[arg(long, value_enum, default_value_t = ConventionArg::Heartbeat)]
    convention: ConventionArg,
    /// Stop after this long, a duration such as 90s (for scripts and demonstrations).
    #[arg(long, value_name = "DURATION", value_parser = duration::parse)]
    exit_after: Option<Duration>,
}

/// One `--set` member: its key and its value as JSON.
#[derive(Debug, Clone)]
struct Member {
    key: String,
    value: RawJson<'static>,
}

/// `--set KEY=VALUE`: the value as JSON when it is JSON, else as a JSON string.
fn parse_member(text: &str) -> Result<Member, String> {
    let Some((key, value)) = text.split_once('=') else {
        return Err(format!("{text:?}: expected KEY=VALUE"));
    };
    if key.is_empty() {
        return Err(format!("{text:?}: the key is empty"));
    }
    if MEMBERS.contains(&key) {
        return Err(format!(
            "{key:?} is a member of the record itself, measured by heartwire record"
        ));
    }
    let value = match RawJson::new(value.to_owned()) {
        Ok(json) => json,
        Err(_) => RawJson::new(serde_json::Value::from(value).to_string())
            .map_err(|e| format!("{text:?}: {e}"))?,
    };
    Ok(Member {
        key: key.to_owned(),
        value,
    })
}

/// Runs until SIGINT, SIGTERM, --exit-after or the end of the measured process: exit 0;
/// 1 when stdout cannot be written; 2 on a usage error.
pub(crate) fn run(args: RecordArgs) -> ExitCode {
    if let Some(refused) = crate::brokers::refuse_unbuilt("record", &args.to) {
        return refused;
    }
    if Broker::of(&args.to) != Some(Broker::Redis) {
        return crate::usage(
            "record",
            format_args!(
                "--to {}: expected a redis:// URL (liveness records travel on Redis and Valkey, spec/transports.md)",
                heartwire_broker::redact_url(&args.to)
            ),
        );
    }
    let service = match ServiceName::new(&args.service) {
        Ok(service) => service.into_owned(),
        Err(e) => return crate::usage("record", format_args!("SERVICE: {e}")),
    };
    let set_bytes: usize = args
        .set
        .iter()
        .map(|m| m.key.len() + m.value.get().len() + 4)
        .sum();
    if set_bytes > MAX_SET_BYTES {
        return crate::usage(
            "record",
            format_args!("--set: {set_bytes} bytes of members, expected at most {MAX_SET_BYTES}"),
        );
    }
    let pid = args.pid.unwrap_or_else(parent_pid);
    let mut usage = ProcessUsage::of(pid);
    if Sampler::sample(&mut usage).memory_mb.is_none() || !usage.running() {
        return crate::usage("record", format_args!("--pid {pid}: no such process"));
    }
    let now = SystemClock.now();
    let instance = match InstanceId::new(RunId::new(now).as_str()) {
        Ok(id) => id.into_owned(),
        Err(e) => {
            note!("heartwire record: cannot make an instance id: {e}");
            return ExitCode::from(1);
        }
    };
    // A member that breaks the rules of extras (too deep, a key twice) is refused now.
    let mut trial = Record::new(
        service.clone(),
        instance.clone(),
        Timestamp::from_unix_micros(now),
    );
    for member in &args.set {
        if let Err(e) = trial.insert_extra(member.key.clone(), member.value.clone()) {
            return crate::usage("record", format_args!("--set: {e}"));
        }
    }
    let mut publisher = RecordPublisher::new(service, instance, args.interval, now, usage);
    for member in args.set {
        let value = member.value;
        if let Err(e) = publisher.register(&member.key, move |_| value.clone()) {
            return crate::usage("record", format_args!("--set: {e}"));
        }
    }

    let terminated = Arc::new(Notify::new());
    let _catching = {
        let terminated = Arc::clone(&terminated);
        signals::catch(&[Caught::Interrupt, Caught::Terminate], move |_| {
            terminated.notify_one();
        })
        .map_err(|e| note!("heartwire record: cannot catch signals ({e}); stop it with SIGKILL"))
        .ok()
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            note!("heartwire record: cannot start: {e}");
            return ExitCode::from(1);
        }
    };
    let collector = args.collect.map(|command| Collector {
        command,
        timeout: args.collect_timeout,
    });
    let publishing = Publishing {
        publisher,
        pid,
        url: args.to,
        conventions: args.convention.conventions(),
        interval: args.interval,
        collector,
    };
    runtime.block_on(publishing.run(terminated, args.exit_after))
}

/// The process that started this one; this one where there is no such thing.
fn parent_pid() -> u32 {
    #[cfg(unix)]
    {
        std::os::unix::process::parent_id()
    }
    #[cfg(not(unix))]
    {
        std::process::id()
    }
}

/// The loop's state.
struct Publishing {
    publisher: RecordPublisher<ProcessUsage>,
    pid: u32,
    url: String,
    conventions: &'static [Convention],
    interval: Duration,
    collector: Option<Collector>,
}

impl Publishing {
    async fn run(mut self, terminated: Arc<Notify>, exit_after: Option<Duration>) -> ExitCode {
        let until = exit_after.map(|d| tokio::time::Instant::now() + d);
        let mut sink: Option<RecordSink> = None;
        loop {
            let now = SystemClock.now();
            let wait = self
                .publisher
                .next_deadline()
                .map_or(Duration::MAX, |due| due.since(now).unwrap_or_default());
            let wake = tokio::time::Instant::now()
                .checked_add(wait)
                .unwrap_or_else(far_future);
            let stop_at = until.unwrap_or_else(far_future);
            tokio::select! {
                () = terminated.notified() => return ExitCode::SUCCESS,
                () = tokio::time::sleep_until(stop_at) => return ExitCode::SUCCESS,
                () = tokio::time::sleep_until(wake) => {}
            }
            let extras = match &self.collector {
                None => Vec::new(),
                Some(collector) => collector.collect().unwrap_or_else(|why| {
                    note!(
                        "heartwire record: collector failed: {why}; this record goes out without its members"
                    );
                    Vec::new()
                }),
            };
            let Some(built) = self.publisher.record_due_with(SystemClock.now(), &extras) else {
                continue;
            };
            if !self.publisher.sampler().running() {
                note!(
                    "heartwire record: process {} has exited: no more records",
                    self.pid
                );
                return ExitCode::SUCCESS;
            }
            if let Some(code) = self.publish(&mut sink, built).await {
                return code;
            }
        }
    }

    /// Publishes one record, connecting first when there is no connection; a failure is
    /// reported and the next record is the retry (`spec/transports.md` §1.4). `Some`
    /// exit status when stdout cannot be written.
    async fn publish(&mut self, sink: &mut Option<RecordSink>, built: Built) -> Option<ExitCode> {
        for e in &built.errors {
            note!("heartwire record: a member left out of this record: {e}");
        }
        if sink.is_none() {
            match RecordSink::connect(&self.url, self.conventions, self.interval).await {
                Ok(connected) => *sink = Some(connected),
                Err(e) => {
                    note!("heartwire record: not published: {e}");
                    return None;
                }
            }
        }
        let published = match sink.as_mut() {
            Some(sink) => sink.publish(&built.record).await,
            None => return None,
        };
        match published {
            Ok(()) => {
                use std::io::Write;
                let mut out = std::io::stdout().lock();
                if writeln!(out, "{}", built.record)
                    .and_then(|()| out.flush())
                    .is_err()
                {
                    return Some(ExitCode::from(1));
                }
            }
            Err(e) => note!("heartwire record: not published: {e}"),
        }
        None
    }
}

fn far_future() -> tokio::time::Instant {
    tokio::time::Instant::now() + Duration::from_secs(86_400 * 365)
}

/// `--collect`: a command whose stdout gives members of the next record.
struct Collector {
    command: String,
    timeout: Duration,
}

impl Collector {
    /// Runs the command; its members, or why there are none (it could not start, ran
    /// past the timeout, exited with a failure, wrote too much or not a JSON object).
    fn collect(&self) -> Result<Vec<(String, RawJson<'static>)>, String> {
        let mut command = Command::new("sh");
        command
            .arg("-c")
            .arg(&self.command)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        #[cfg(unix)]
        {
            // Its own process group: a timeout ends the command and what it started.
            use std::os::unix::process::CommandExt;
            command.process_group(0);
        }
        let mut child = command.spawn().map_err(|e| format!("cannot run sh: {e}"))?;
        let output = read_bounded(&mut child, self.timeout);
        let ended = end(&mut child);
        let output = output?;
        match ended {
            Some(status) if status.success() => {}
            Some(status) => return Err(format!("it exited with {status}")),
            None => return Err("it did not exit after writing its output".to_owned()),
        }
        members(&output)
    }
}

/// The child's stdout, at most [`MAX_COLLECTED_BYTES`], read until it ends or `timeout`
/// passes.
fn read_bounded(child: &mut Child, timeout: Duration) -> Result<Vec<u8>, String> {
    let Some(mut stdout) = child.stdout.take() else {
        return Err("no stdout".to_owned());
    };
    let (sent, received) = std::sync::mpsc::channel();
    // The pipe is read on a thread, so that the wait is bounded; the thread ends when
    // the pipe closes, which `end` makes sure of.
    std::thread::spawn(move || {
        let mut output = Vec::new();
        let read = (&mut stdout)
            .take(MAX_COLLECTED_BYTES as u64 + 1)
            .read_to_end(&mut output);
        let _ = sent.send(read.map(|_| output));
    });
    let started = Instant::now();
    match received.recv_timeout(timeout) {
        Ok(Ok(output)) if output.len() > MAX_COLLECTED_BYTES => Err(format!(
            "it wrote more than {MAX_COLLECTED_BYTES} bytes, expected one JSON object"
        )),
        Ok(Ok(output)) => Ok(output),
        Ok(Err(e)) => Err(format!("its output could not be read: {e}")),
        Err(_) => Err(format!(
            "it ran longer than {:?}",
            started.elapsed().max(timeout)
        )),
    }
}

/// Ends the child if it still runs (its whole process group) and reaps it.
fn end(child: &mut Child) -> Option<std::process::ExitStatus> {
    if let Ok(Some(status)) = child.try_wait() {
        kill_group(child);
        return Some(status);
    }
    // Output is read: give it a moment to exit by itself.
    let deadline = Instant::now() + Duration::from_millis(200);
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            kill_group(child);
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    kill_group(child);
    let _ = child.kill();
    let _ = child.wait();
    None
}

/// Kills what is left of the collector's process group (what it started in the
/// background would keep the pipe open).
fn kill_group(child: &Child) {
    #[cfg(unix)]
    {
        use nix::sys::signal::{Signal, killpg};
        use nix::unistd::Pid;
        if let Ok(id) = i32::try_from(child.id()) {
            let _ = killpg(Pid::from_raw(id), Signal::SIGKILL);
        }
    }
    #[cfg(not(unix))]
    let _ = child;
}

/// The members of a collector's output: one JSON object, each member in order.
fn members(output: &[u8]) -> Result<Vec<(String, RawJson<'static>)>, String> {
    let text = std::str::from_utf8(output).map_err(|e| format!("its output is not UTF-8: {e}"))?;
    let pairs: ObjectMembers = serde_json::from_str(text)
        .map_err(|e| format!("its output is not one JSON object: {e}"))?;
    let mut members: Vec<(String, RawJson<'static>)> = Vec::with_capacity(pairs.0.len());
    for (key, value) in pairs.0 {
        if members.iter().any(|(k, _)| *k == key) {
            return Err(format!("its output has the key {key:?} twice"));
        }
        let value =
            RawJson::new(value.get().to_owned()).map_err(|e| e.in_field(&key).to_string())?;
        members.push((key, value));
    }
    Ok(members)
}

/// A JSON object's members in document order, each value as its text.
struct ObjectMembers(Vec<(String, Box<serde_json::value::RawValue>)>);

impl<'de> serde::Deserialize<'de> for ObjectMembers {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = ObjectMembers;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<ObjectMembers, A::Error> {
                let mut members = Vec::new();
                while let Some(member) = map.next_entry()? {
                    members.push(member);
                }
                Ok(ObjectMembers(members))
            }
        }
        deserializer.deserialize_map(Visit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_are_json_when_they_are_json_else_strings() {
        let m = |t: &str| parse_member(t).map(|m| (m.key, m.value.get().to_owned()));
        assert_eq!(
            m("queue_size=1380"),
            Ok(("queue_size".into(), "1380".into()))
        );
        assert_eq!(
            m("api_status=authenticated"),
            Ok(("api_status".into(), r#""authenticated""#.into()))
        );
        assert_eq!(m(r#"v="1.0""#), Ok(("v".into(), r#""1.0""#.into())));
        assert_eq!(m("a=b=c"), Ok(("a".into(), r#""b=c""#.into())));
        assert_eq!(m("empty="), Ok(("empty".into(), r#""""#.into())));
        assert!(m("no-equals").is_err());
        assert!(m("=1").is_err());
        assert!(m("heartbeat_count=3").is_err());
    }

    #[test]
    fn a_collector_gives_an_object_of_members_in_order() {
        let got = members(br#"{"queue_size":1380,"api_status":"authenticated","x":{"a":[1]}}"#)
            .map(|m| {
                m.into_iter()
                    .map(|(k, v)| format!("{k}={}", v.get()))
                    .collect::<Vec<_>>()
            });
        assert_eq!(
            got,
            Ok(vec![
                "queue_size=1380".to_owned(),
                r#"api_status="authenticated""#.to_owned(),
                r#"x={"a":[1]}"#.to_owned()
            ])
        );
        for bad in [
            &b"[1]"[..],
            b"42",
            b"{\"a\":1,\"a\":2}",
            b"{",
            b"\xff",
            b"{} {}",
        ] {
            assert!(members(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_collector_is_bounded_in_time_and_size_and_its_failures_say_why() {
        let run = |command: &str| {
            Collector {
                command: command.to_owned(),
                timeout: Duration::from_millis(500),
            }
            .collect()
        };
        assert!(run(r#"echo '{"queue_size":3}'"#).is_ok_and(|m| m.len() == 1));
        let started = Instant::now();
        let slow = run("sleep 5; echo '{}'");
        assert!(
            slow.as_ref().is_err_and(|e| e.contains("longer")),
            "{slow:?}"
        );
        assert!(started.elapsed() < Duration::from_secs(3));
        let big = run("head -c 100000 /dev/zero");
        assert!(
            big.as_ref().is_err_and(|e| e.contains("more than")),
            "{big:?}"
        );
        let failed = run("echo '{}'; exit 3");
        assert!(
            failed.as_ref().is_err_and(|e| e.contains("exit")),
            "{failed:?}"
        );
        let not_json = run("echo queue_size=3");
        assert!(
            not_json.as_ref().is_err_and(|e| e.contains("JSON object")),
            "{not_json:?}"
        );
        // A background child holding the pipe does not hold the collector.
        let started = Instant::now();
        let background = run(r#"sleep 5 & echo '{"a":1}'"#);
        assert!(started.elapsed() < Duration::from_secs(3), "{background:?}");
    }
}
