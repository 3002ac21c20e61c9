//! `heartwire monitor` ingesting heartbeats over NATS, end to end, against a naive
//! Python subscriber measured in the same run (issue 14: at least 2,000,000 beats per
//! CPU-second in the monitor, and no silent loss at any offered rate).
//!
//! Run it with `cargo bench -p heartwire-benches --bench ingest` (arguments after `--`
//! keep only the runs whose label contains one of them, e.g. `-- 1M/heartwire`). It
//! needs `nats-server` on `PATH`, `python3` with `venv`, and PyPI once, for the venv.
//!
//! First it runs `cargo build --release -p heartwire-cli --bin heartwire` (a no-op when
//! the binary is fresh) and makes the venv `target/tmp/ingest-venv` with
//! `clients/python/setup-venv.sh` and `benches/requirements-ingest.txt` (nats-py). Then,
//! for each scenario (10,000 and 1,000,000 processes), each offered rate (150,000 beats
//! per second, and as fast as the generator can) and each program (the release
//! `heartwire monitor --from nats://… --json`, stdout to `/dev/null`, and
//! `benches/ingest_baseline.py`), it starts a private `nats-server` on free ports and
//! the program, and publishes `BEATS` beats `beat/60` on `heartbeat.bench.p<i>`, round
//! robin over the processes, from an async-nats client in this process. When the server
//! has delivered everything it will and the program has gone idle, it reads:
//!
//! - D, the messages the server delivered to the program (`/connz` `out_msgs`);
//! - R and L, what the program says it received and lost (the monitor's summary line;
//!   the baseline counts no loss);
//! - C, the program's CPU seconds from the first beat to idle (`/proc/PID/stat`, user
//!   and system, all threads), and so the beats per CPU-second R / C.
//!
//! Silent loss is D - R - L: messages delivered that the program neither received nor
//! knows it lost. The bench fails when the monitor's is not zero. The server's own
//! slow-consumer count (`/varz`) is shown too: a connection it closes loses what it had
//! queued, which no client can count. "As fast as it can" is as fast as the server
//! lets the generator go: nats-server slows a publisher whose subscriber falls behind,
//! so the achieved rate is printed beside the offered one. The generator, the server
//! and the program share the machine: wall-clock rates depend on its load, and so do
//! CPU seconds, less but noticeably (run it more than once).
//!
//! With `HEARTWIRE_INGEST_BIN=PATH`, the monitor measured is that binary instead (no
//! build), e.g. one built from another commit. With `HEARTWIRE_INGEST_ARGS="..."`, the
//! monitor is given these arguments too (split at spaces), e.g. `--listen 127.0.0.1:0`
//! to measure it with its HTTP receiver, which keeps every process's history. With `HEARTWIRE_INGEST_PERF=DIR`, each
//! monitor run is also sampled by `perf record --call-graph dwarf` (the release binary
//! has no frame pointers) into `DIR/<label>.data` (both relative to the repository;
//! the figures of such a run include perf's cost); then
//! `perf report -i FILE --no-children --sort symbol -g none` gives the top symbols.
//!
//! **The cost of durability (issue 22).** In both scenarios, at both rates, the
//! monitor is also run with `--durable bench --snapshot FILE` (label
//! `<scenario>/durable/<rate>`), reading `heartbeat.>` through the JetStream stream
//! `HEARTWIRE` and a durable pull consumer. Only these runs start the server with
//! JetStream (`-js -sd DIR`), each with a fresh store and snapshot in
//! `target/tmp/ingest-durable/<label>`, removed afterwards. A durable run brings the
//! core-NATS monitor run of the same scenario and rate with it, so `-- durable`
//! measures both and prints beats per CPU-second durable / core. In a durable run what
//! should reach the monitor is the stream's message count S (`/jsz`), not the server's
//! delivered count (which includes the JetStream API's and the pull requests'
//! traffic); the bench waits (bounded) until the consumer has delivered the whole
//! stream and the monitor has acknowledged all of it (it acknowledges only what a
//! snapshot it wrote holds), and the silent loss is S - R - L. A stream holding fewer
//! messages than the generator published (the server took them as core publications
//! and did not store them all) is printed. The server's CPU seconds over the same span
//! are read for every run (in a durable one it also writes the stream to disk).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use bytes::Bytes;

type Error = Box<dyn std::error::Error>;

/// Beats published in each run: every process of the 1M scenario is seen three times.
const BEATS: u64 = 3_000_000;
const SCENARIOS: [(&str, u64); 2] = [("10k", 10_000), ("1M", 1_000_000)];
/// Offered rates in beats per second; `None` is as fast as the generator can.
const RATES: [Option<u64>; 2] = [Some(150_000), None];
const PAYLOAD: &[u8] = b"beat/60";
/// Issue 14's target for the monitor, in beats per CPU-second.
const TARGET: u64 = 2_000_000;
/// The generator flushes its client this often, so that its own buffer stays bounded.
const FLUSH_EVERY: u64 = 10_000;
/// A paced generator checks the clock this often.
const PACE_EVERY: u64 = 1_000;
/// The client name of the generator's connection; every other one is the program's.
const GENERATOR: &str = "heartwire-bench-ingest-generator";
/// Bounds of each phase of a run.
const READY_WITHIN: Duration = Duration::from_secs(30);
const PUBLISH_WITHIN: Duration = Duration::from_secs(60);
const DELIVERED_WITHIN: Duration = Duration::from_secs(60);
const IDLE_WITHIN: Duration = Duration::from_secs(120);
const EXIT_WITHIN: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Program {
    /// `heartwire monitor` on a core-NATS subscription.
    Heartwire,
    /// `heartwire monitor --durable`: through a JetStream stream and durable consumer.
    Durable,
    Python,
}

impl Program {
    fn name(self) -> &'static str {
        match self {
            Program::Heartwire => "heartwire",
            Program::Durable => "durable",
            Program::Python => "python",
        }
    }

    fn is_monitor(self) -> bool {
        matches!(self, Program::Heartwire | Program::Durable)
    }
}

/// The scenarios the durable monitor is measured in (beside the core one).
const DURABLE_SCENARIOS: [&str; 2] = ["10k", "1M"];
/// The durable consumer's name.
const CONSUMER: &str = "bench";
/// The stream `heartwire monitor --durable` makes.
const STREAM: &str = "HEARTWIRE";
/// How long the durable consumer may deliver nothing new before the bench stops
/// waiting: longer than the monitor's snapshot interval (10 s), after which it
/// acknowledges, in case delivery waits for acknowledgements.
const DURABLE_STALL: Duration = Duration::from_secs(15);
/// How long the bench waits for the monitor to acknowledge the whole stream.
const ACKED_WITHIN: Duration = Duration::from_secs(30);

/// What one run measured.
struct Row {
    scenario: &'static str,
    program: Program,
    rate: Option<u64>,
    published: u64,
    /// What the generator achieved, beats per second to its last flush.
    achieved: f64,
    delivered: u64,
    /// A durable run's: the messages the stream held (what should reach the monitor),
    /// and the last stream sequence the consumer had acknowledged.
    stream: Option<Stream>,
    received: u64,
    lost: u64,
    cpu: f64,
    /// The server's CPU seconds over the same span as `cpu`.
    server_cpu: f64,
    slow_consumers: u64,
    outages: u64,
}

#[derive(Debug, Clone, Copy)]
struct Stream {
    messages: u64,
    acked: u64,
}

impl Row {
    /// What should have reached the program: the stream's messages for a durable run,
    /// what the server delivered otherwise.
    fn expected(&self) -> u64 {
        self.stream.map_or(self.delivered, |s| s.messages)
    }

    fn silent(&self) -> i64 {
        self.expected() as i64 - self.received as i64 - self.lost as i64
    }

    /// Beats per CPU-second of the program and the server together.
    fn per_cpu_second_with_server(&self) -> f64 {
        self.received as f64 / (self.cpu + self.server_cpu).max(0.01)
    }

    fn per_cpu_second(&self) -> f64 {
        self.received as f64 / self.cpu.max(0.01)
    }

    fn label(&self) -> String {
        label(self.scenario, self.program, self.rate)
    }
}

fn label(scenario: &str, program: Program, rate: Option<u64>) -> String {
    format!("{scenario}/{}/{}", program.name(), rate_text(rate))
}

fn rate_text(rate: Option<u64>) -> String {
    rate.map_or_else(|| "max".to_owned(), |r| r.to_string())
}

fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--list") {
        println!("ingest: benchmark");
        return Ok(());
    }
    if args.iter().any(|a| a == "--test") || !args.iter().any(|a| a == "--bench") {
        // `cargo test --benches` runs the bench as a test: it does nothing then, as
        // millions of beats through a broker are a measurement, not a test.
        return Ok(());
    }
    let filters: Vec<&str> = args
        .iter()
        .filter(|a| !a.starts_with("--"))
        .map(String::as_str)
        .collect();
    let wanted = |label: &str| filters.is_empty() || filters.iter().any(|f| label.contains(f));

    let root = heartwire_tests::repo_root();
    let heartwire = match std::env::var_os("HEARTWIRE_INGEST_BIN") {
        Some(bin) => root.join(bin),
        None => build_monitor(&root)?,
    };
    // The venv only when a baseline run is wanted.
    let python = if SCENARIOS.iter().any(|(scenario, _)| {
        RATES
            .iter()
            .any(|rate| wanted(&label(scenario, Program::Python, *rate)))
    }) {
        set_up_python(&root)?
    } else {
        PathBuf::new()
    };
    let baseline = root.join("benches/ingest_baseline.py");
    let ticks = clock_ticks();
    // Relative to the repository (a bench runs in its package's folder).
    let perf = std::env::var_os("HEARTWIRE_INGEST_PERF").map(|dir| root.join(dir));
    if let Some(dir) = &perf {
        std::fs::create_dir_all(dir)?;
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;

    let mut rows = Vec::new();
    let mut failed = false;
    for (scenario, processes) in SCENARIOS {
        let subjects: Vec<async_nats::Subject> = (0..processes)
            .map(|i| async_nats::Subject::from(format!("heartbeat.bench.p{i}")))
            .collect();
        for rate in RATES {
            // A durable run brings the core run it is compared with.
            let durable = DURABLE_SCENARIOS.contains(&scenario)
                && wanted(&label(scenario, Program::Durable, rate));
            for program in [Program::Heartwire, Program::Durable, Program::Python] {
                let label = label(scenario, program, rate);
                let run_it = match program {
                    Program::Heartwire => wanted(&label) || durable,
                    Program::Durable => durable,
                    Program::Python => wanted(&label),
                };
                if !run_it {
                    continue;
                }
                // A fresh JetStream store and snapshot for each durable run.
                let scratch = match program {
                    Program::Durable => Some(Scratch::new(
                        root.join("target/tmp/ingest-durable")
                            .join(label.replace('/', "-")),
                    )?),
                    _ => None,
                };
                let command = match program {
                    Program::Heartwire | Program::Durable => {
                        let mut c = Command::new(&heartwire);
                        c.args(["monitor", "--json", "--exit-after", "600s"]);
                        if let Ok(extra) = std::env::var("HEARTWIRE_INGEST_ARGS") {
                            c.args(extra.split_whitespace());
                        }
                        if let Some(scratch) = &scratch {
                            c.args(["--durable", CONSUMER, "--snapshot"])
                                .arg(scratch.0.join("monitor.snapshot"));
                        }
                        c.arg("--from");
                        c
                    }
                    Program::Python => {
                        let mut c = Command::new(&python);
                        c.arg(&baseline);
                        c
                    }
                };
                let run = Run {
                    scenario,
                    program,
                    rate,
                    subjects: &subjects,
                    ticks,
                    store: scratch.as_ref().map(|s| s.0.join("store")),
                    perf: perf
                        .as_deref()
                        .filter(|_| program.is_monitor())
                        .map(|dir| dir.join(format!("{}.data", label.replace('/', "-")))),
                };
                println!("{label}: running");
                let row = match run.measure(command, &runtime) {
                    Ok(row) => row,
                    Err(e) => {
                        println!("{label}: failed: {e}");
                        failed = true;
                        continue;
                    }
                };
                drop(scratch);
                println!(
                    "{label}: published {} at {:.0}/s, delivered {}, stream {}, received {}, lost {}, silent {}, {:.2} CPU s, {:.0} beats per CPU-second, server {:.2} CPU s, server slow consumers {}, outages {}",
                    row.published,
                    row.achieved,
                    row.delivered,
                    row.stream.map_or_else(
                        || "-".to_owned(),
                        |s| format!("{} (acknowledged to {})", s.messages, s.acked)
                    ),
                    row.received,
                    row.lost,
                    row.silent(),
                    row.cpu,
                    row.per_cpu_second(),
                    row.server_cpu,
                    row.slow_consumers,
                    row.outages,
                );
                rows.push(row);
            }
        }
    }
    print_table(&rows);
    print_durability(&rows);

    for row in rows.iter().filter(|r| r.program.is_monitor()) {
        let yes = row.silent() == 0;
        println!(
            "{}: zero silent loss: {}; {:.0} beats per CPU-second, target {TARGET} met: {}",
            row.label(),
            if yes { "yes" } else { "no" },
            row.per_cpu_second(),
            if row.per_cpu_second() >= TARGET as f64 {
                "yes"
            } else {
                "no"
            }
        );
        failed |= !yes;
    }
    for row in rows.iter().filter(|r| r.program == Program::Durable) {
        if row.stream.is_some_and(|s| s.messages != row.published) {
            println!(
                "{}: the stream holds {} of the {} beats published",
                row.label(),
                row.expected(),
                row.published
            );
        }
    }
    for row in rows.iter().filter(|r| r.program == Program::Python) {
        if row.silent() != 0 {
            println!(
                "{}: {} messages delivered by the server were lost silently (nats-py drops what exceeds its pending queue and counts nothing)",
                row.label(),
                row.silent()
            );
        }
    }
    if failed {
        return Err(
            "a run failed, or the monitor lost messages silently (received + lost != delivered, or != the stream's messages)".into(),
        );
    }
    Ok(())
}

fn print_table(rows: &[Row]) {
    println!();
    println!(
        "| scenario | program | offered /s | achieved /s | delivered (D) | stream (S) | received (R) | reported lost (L) | silent loss (D-R-L or S-R-L) | CPU s | beats per CPU-second | server CPU s | heartwire / python |"
    );
    println!("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
    for row in rows {
        let ratio = match row.program {
            Program::Heartwire | Program::Durable => rows
                .iter()
                .find(|o| {
                    o.program == Program::Python && o.scenario == row.scenario && o.rate == row.rate
                })
                .map_or_else(
                    || "-".to_owned(),
                    |o| format!("{:.1}", row.per_cpu_second() / o.per_cpu_second()),
                ),
            Program::Python => String::new(),
        };
        println!(
            "| {} | {} | {} | {:.0} | {} | {} | {} | {} | {} | {:.2} | {:.0} | {:.2} | {} |",
            row.scenario,
            row.program.name(),
            rate_text(row.rate),
            row.achieved,
            row.delivered,
            row.stream
                .map_or_else(|| "-".to_owned(), |s| s.messages.to_string()),
            row.received,
            row.lost,
            row.silent(),
            row.cpu,
            row.per_cpu_second(),
            row.server_cpu,
            ratio
        );
    }
    println!();
}

/// The durable monitor against the core one of the same scenario and rate (issue 22).
fn print_durability(rows: &[Row]) {
    let pairs: Vec<(&Row, &Row)> = rows
        .iter()
        .filter(|r| r.program == Program::Durable)
        .filter_map(|d| {
            rows.iter()
                .find(|c| {
                    c.program == Program::Heartwire && c.scenario == d.scenario && c.rate == d.rate
                })
                .map(|c| (c, d))
        })
        .collect();
    if pairs.is_empty() {
        return;
    }
    println!("The cost of durability: the durable monitor against the core-NATS one");
    println!();
    println!(
        "| scenario | offered /s | core beats per CPU-s | durable beats per CPU-s | durable / core | core CPU s (monitor + server) | durable CPU s (monitor + server) | with the server's CPU, durable / core | durable R + L = S |"
    );
    println!("|---|--:|--:|--:|--:|--:|--:|--:|---|");
    for (core, durable) in pairs {
        println!(
            "| {} | {} | {:.0} | {:.0} | {:.2} | {:.2} + {:.2} | {:.2} + {:.2} | {:.2} | {} |",
            core.scenario,
            rate_text(core.rate),
            core.per_cpu_second(),
            durable.per_cpu_second(),
            durable.per_cpu_second() / core.per_cpu_second(),
            core.cpu,
            core.server_cpu,
            durable.cpu,
            durable.server_cpu,
            durable.per_cpu_second_with_server() / core.per_cpu_second_with_server(),
            if durable.silent() == 0 { "yes" } else { "no" },
        );
    }
    println!();
}

/// A scratch folder, made empty, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(dir: PathBuf) -> Result<Scratch, Error> {
        if dir.exists() {
            std::fs::remove_dir_all(&dir)?;
        }
        std::fs::create_dir_all(&dir)?;
        Ok(Scratch(dir))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Builds the release monitor (a no-op when it is fresh), and gives its path.
fn build_monitor(root: &Path) -> Result<PathBuf, Error> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut build = Command::new(cargo);
    // What cargo set for this bench (CARGO_MANIFEST_DIR, CARGO_PKG_NAME, ...) is read by
    // build scripts (ring's): passed on, it would rebuild their crates every time.
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy();
        if key.starts_with("CARGO_PKG_")
            || key.starts_with("CARGO_MANIFEST_")
            || [
                "CARGO_CRATE_NAME",
                "CARGO_BIN_NAME",
                "CARGO_PRIMARY_PACKAGE",
                "CARGO_TARGET_TMPDIR",
                "CARGO_RUSTC_CURRENT_DIR",
                "OUT_DIR",
            ]
            .contains(&key.as_ref())
        {
            build.env_remove(key.as_ref());
        }
    }
    let status = build
        .current_dir(root)
        .args([
            "build",
            "--release",
            "-p",
            "heartwire-cli",
            "--bin",
            "heartwire",
        ])
        .status()?;
    if !status.success() {
        return Err(format!("cargo build --release -p heartwire-cli: {status}").into());
    }
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    Ok(target.join("release").join("heartwire"))
}

/// Makes the baseline's venv (a no-op when it is ready), and gives its interpreter.
fn set_up_python(root: &Path) -> Result<PathBuf, Error> {
    let dir = root.join("target/tmp/ingest-venv");
    let output = Command::new("bash")
        .arg(root.join("clients/python/setup-venv.sh"))
        .arg(&dir)
        .arg(root.join("benches/requirements-ingest.txt"))
        .output()?;
    if !output.status.success() {
        return Err(format!(
            "setup-venv.sh failed ({}); the baseline needs python3 and PyPI\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        )
        .into());
    }
    Ok(dir.join("bin").join("python"))
}

/// Clock ticks per second, the unit of `/proc/PID/stat`'s CPU times.
fn clock_ticks() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}

/// A process's CPU time so far (user and system, all threads), in clock ticks.
fn cpu_ticks(pid: u32) -> Result<u64, Error> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // The name (field 2) is in parentheses and may hold spaces; field 3 follows.
    let rest = stat.rsplit_once(')').ok_or("no ) in /proc/PID/stat")?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field = |n: usize| -> Result<u64, Error> {
        Ok(fields.get(n - 3).ok_or("short /proc/PID/stat")?.parse()?)
    };
    Ok(field(14)? + field(15)?)
}

/// A port free on 127.0.0.1 a moment ago.
fn free_port() -> Result<u16, Error> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// A child killed when dropped, also on a panic or an early return.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn signal(pid: u32, name: &str) -> Result<(), Error> {
    let status = Command::new("kill")
        .args([&format!("-{name}"), &pid.to_string()])
        .status()?;
    if !status.success() {
        return Err(format!("kill -{name} {pid}: {status}").into());
    }
    Ok(())
}

/// A private nats-server on free ports.
struct Server {
    child: Guard,
    port: u16,
    monitor_port: u16,
}

/// The stream's and the durable consumer's state (`/jsz`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct JetStreamState {
    messages: u64,
    last_seq: u64,
    /// The last stream sequence the consumer delivered, and acknowledged.
    delivered: u64,
    acked: u64,
    /// Messages the consumer has yet to deliver.
    pending: u64,
}

impl Server {
    /// With `store`, JetStream on, keeping its streams there.
    fn start(store: Option<&Path>) -> Result<Server, Error> {
        let mut last = String::new();
        for _ in 0..3 {
            let (port, monitor_port) = (free_port()?, free_port()?);
            let mut command = Command::new("nats-server");
            if let Some(store) = store {
                command.arg("-js").arg("-sd").arg(store);
            }
            let child = Guard(
                command
                    .args(["-a", "127.0.0.1", "-p", &port.to_string()])
                    .args(["-m", &monitor_port.to_string()])
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()
                    .map_err(|e| format!("cannot start nats-server (is it on PATH?): {e}"))?,
            );
            let server = Server {
                child,
                port,
                monitor_port,
            };
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                match server.get("/varz") {
                    Ok(_) if TcpStream::connect(("127.0.0.1", port)).is_ok() => return Ok(server),
                    Ok(_) => {}
                    Err(e) => last = e.to_string(),
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        Err(format!("nats-server did not start: {last}").into())
    }

    fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// A JSON document of the monitoring port.
    fn get(&self, path: &str) -> Result<serde_json::Value, Error> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.monitor_port))?;
        stream.set_read_timeout(Some(Duration::from_secs(5)))?;
        write!(
            stream,
            "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        )?;
        let mut response = Vec::new();
        stream.read_to_end(&mut response)?;
        let start = response
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .ok_or("no end of headers")?
            + 4;
        Ok(serde_json::from_slice(&response[start..])?)
    }

    /// Messages the generator published (`in_msgs`), and messages delivered to every
    /// other connection, open or closed (`out_msgs`).
    fn counts(&self) -> Result<(u64, u64), Error> {
        let connz = self.get("/connz?state=all&subs=1&limit=1024")?;
        let connections = connz["connections"]
            .as_array()
            .ok_or("no connections in /connz")?;
        let (mut published, mut delivered) = (0, 0);
        for c in connections {
            let number = |key: &str| c[key].as_u64().unwrap_or(0);
            if c["name"].as_str() == Some(GENERATOR) {
                published += number("in_msgs");
            } else {
                delivered += number("out_msgs");
            }
        }
        Ok((published, delivered))
    }

    fn pid(&self) -> u32 {
        self.child.0.id()
    }

    /// The stream [`STREAM`] and its consumer [`CONSUMER`] (zeros for what is absent).
    fn jetstream(&self) -> Result<JetStreamState, Error> {
        let jsz = self.get("/jsz?accounts=true&streams=true&consumers=true")?;
        let mut state = JetStreamState {
            messages: 0,
            last_seq: 0,
            delivered: 0,
            acked: 0,
            pending: 0,
        };
        let accounts = jsz["account_details"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        for account in &accounts {
            let streams = account["stream_detail"].as_array();
            for stream in streams.into_iter().flatten() {
                if stream["name"].as_str() != Some(STREAM) {
                    continue;
                }
                state.messages = stream["state"]["messages"].as_u64().unwrap_or(0);
                state.last_seq = stream["state"]["last_seq"].as_u64().unwrap_or(0);
                let consumers = stream["consumer_detail"].as_array();
                for consumer in consumers.into_iter().flatten() {
                    if consumer["name"].as_str() != Some(CONSUMER) {
                        continue;
                    }
                    state.delivered = consumer["delivered"]["stream_seq"].as_u64().unwrap_or(0);
                    state.acked = consumer["ack_floor"]["stream_seq"].as_u64().unwrap_or(0);
                    state.pending = consumer["num_pending"].as_u64().unwrap_or(0);
                }
            }
        }
        Ok(state)
    }

    fn slow_consumers(&self) -> Result<u64, Error> {
        Ok(self.get("/varz")?["slow_consumers"].as_u64().unwrap_or(0))
    }
}

/// Lines of a child's stream, sent on as they come, on a thread of their own (so that
/// the child never blocks on a full pipe); the thread ends at the end of the stream.
fn lines(stream: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Waits (at most `within`) for a line containing `text`, keeping the lines seen.
fn wait_for(
    rx: &mpsc::Receiver<String>,
    text: &str,
    within: Duration,
    seen: &mut Vec<String>,
) -> Result<(), Error> {
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => {
                let found = line.contains(text);
                seen.push(line);
                if found {
                    return Ok(());
                }
            }
            Err(_) => {
                return Err(format!(
                    "no line with {text:?} within {within:?}; seen: {}",
                    seen.join("\n")
                )
                .into());
            }
        }
    }
}

/// Every remaining line, until the stream ends (at most `within`).
fn drain(rx: &mpsc::Receiver<String>, within: Duration, seen: &mut Vec<String>) {
    let deadline = Instant::now() + within;
    while let Ok(line) = rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
        if seen.len() < 10_000 {
            seen.push(line);
        }
    }
}

/// The counts of the monitor's summary line for `url`: received, invalid, lost,
/// overflow, oversized, dropped, expired, outages.
fn summary(lines: &[String], url: &str) -> Result<[u64; 8], Error> {
    let prefix = format!("heartwire monitor: {url}: ");
    let line = lines
        .iter()
        .rev()
        .find_map(|l| {
            l.strip_prefix(&prefix)
                .filter(|rest| rest.contains(" received ("))
        })
        .ok_or_else(|| format!("no summary line for {url}; stderr:\n{}", lines.join("\n")))?;
    let numbers: Vec<u64> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .map(str::parse)
        .collect::<Result<_, _>>()?;
    numbers
        .try_into()
        .map_err(|_| format!("unexpected summary line: {line}").into())
}

/// One program under one scenario at one offered rate.
struct Run<'a> {
    scenario: &'static str,
    program: Program,
    rate: Option<u64>,
    subjects: &'a [async_nats::Subject],
    ticks: f64,
    /// A durable run's JetStream store.
    store: Option<PathBuf>,
    perf: Option<PathBuf>,
}

impl Run<'_> {
    fn measure(
        &self,
        mut command: Command,
        runtime: &tokio::runtime::Runtime,
    ) -> Result<Row, Error> {
        let server = Server::start(self.store.as_deref())?;
        let url = server.url();
        let mut child = Guard(
            command
                .arg(&url)
                .stdin(Stdio::null())
                .stdout(match self.program {
                    Program::Heartwire | Program::Durable => Stdio::null(),
                    Program::Python => Stdio::piped(),
                })
                .stderr(Stdio::piped())
                .spawn()?,
        );
        let pid = child.0.id();
        let stdout = child.0.stdout.take().map(lines);
        let stderr = lines(child.0.stderr.take().ok_or("no stderr")?);
        let (mut out_seen, mut err_seen) = (Vec::new(), Vec::new());
        match (self.program, &stdout) {
            (Program::Heartwire | Program::Durable, _) => {
                wait_for(&stderr, "subscribed to", READY_WITHIN, &mut err_seen)?;
            }
            (Program::Python, Some(out)) => {
                wait_for(out, "ready", READY_WITHIN, &mut out_seen)?;
            }
            (Program::Python, None) => return Err("no stdout".into()),
        }

        let perf = match &self.perf {
            Some(path) => Some(Guard(
                Command::new("perf")
                    .args(["record", "-F", "499", "--call-graph", "dwarf,16384", "-o"])
                    .arg(path)
                    .args(["-p", &pid.to_string()])
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()?,
            )),
            None => None,
        };
        let cpu_before = cpu_ticks(pid)?;
        let server_before = cpu_ticks(server.pid())?;
        let (published, elapsed) = runtime.block_on(generate(&url, self.subjects, self.rate))?;
        let achieved = published as f64 / elapsed.as_secs_f64();

        let stream = match self.program {
            Program::Durable => Some(wait_durable(&server, published)?),
            _ => {
                // Delivered: the server's count stops growing (or has every message).
                let deadline = Instant::now() + DELIVERED_WITHIN;
                let mut last = server.counts()?.1;
                let mut still = 0;
                while Instant::now() < deadline && still < 10 {
                    std::thread::sleep(Duration::from_millis(100));
                    let (_, delivered) = server.counts()?;
                    if delivered >= published {
                        break;
                    }
                    still = if delivered == last { still + 1 } else { 0 };
                    last = delivered;
                }
                None
            }
        };
        // Idle: the program took what it was given (at most a tick in 250 ms, twice).
        let deadline = Instant::now() + IDLE_WITHIN;
        let mut last = cpu_ticks(pid)?;
        let mut still = 0;
        while Instant::now() < deadline && still < 2 {
            std::thread::sleep(Duration::from_millis(250));
            let now = cpu_ticks(pid)?;
            still = if now <= last + 1 { still + 1 } else { 0 };
            last = now;
        }
        let cpu = (cpu_ticks(pid)? - cpu_before) as f64 / self.ticks;
        let server_cpu = (cpu_ticks(server.pid())? - server_before) as f64 / self.ticks;
        // The stream's count again: the monitor is idle and so is the generator.
        let stream = match stream {
            Some(_) => {
                let state = server.jetstream()?;
                Some(Stream {
                    messages: state.messages,
                    acked: state.acked,
                })
            }
            None => None,
        };
        let (server_published, delivered) = server.counts()?;
        if server_published != published {
            return Err(format!(
                "the server counted {server_published} published, the generator {published}"
            )
            .into());
        }
        let slow_consumers = server.slow_consumers()?;
        if let (Some(mut perf), Some(path)) = (perf, &self.perf) {
            signal(perf.0.id(), "INT")?;
            let status = perf.0.wait()?;
            println!("perf record: {status}, {}", path.display());
        }

        signal(pid, "TERM")?;
        let deadline = Instant::now() + EXIT_WITHIN;
        while child.0.try_wait()?.is_none() {
            if Instant::now() > deadline {
                return Err(format!(
                    "{} did not exit within {EXIT_WITHIN:?}",
                    self.program.name()
                )
                .into());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        drain(&stderr, EXIT_WITHIN, &mut err_seen);
        let (received, lost, outages) = match (self.program, &stdout) {
            (Program::Heartwire | Program::Durable, _) => {
                let [received, _invalid, lost, _, _, _, _, outages] = summary(&err_seen, &url)?;
                (received, lost, outages)
            }
            (Program::Python, Some(out)) => {
                drain(out, EXIT_WITHIN, &mut out_seen);
                let received = out_seen
                    .iter()
                    .find_map(|l| l.strip_prefix("received "))
                    .ok_or_else(|| {
                        format!(
                            "the baseline printed no count; stdout:\n{}\nstderr:\n{}",
                            out_seen.join("\n"),
                            err_seen
                                .iter()
                                .take(20)
                                .cloned()
                                .collect::<Vec<_>>()
                                .join("\n")
                        )
                    })?
                    .parse()?;
                (received, 0, 0)
            }
            (Program::Python, None) => return Err("no stdout".into()),
        };
        Ok(Row {
            scenario: self.scenario,
            program: self.program,
            rate: self.rate,
            published,
            achieved,
            delivered,
            stream,
            received,
            lost,
            cpu,
            server_cpu,
            slow_consumers,
            outages,
        })
    }
}

/// Waits (bounded) until the stream has taken what the generator published (or stops
/// growing), the durable consumer has delivered all of it, and the monitor has
/// acknowledged all of it (which it does once a snapshot it wrote holds it); gives the
/// last state read. What is not reached within the bounds is printed, not an error: the
/// counts at exit tell what the monitor received.
fn wait_durable(server: &Server, published: u64) -> Result<JetStreamState, Error> {
    let start = Instant::now();
    let deadline = start + DELIVERED_WITHIN + DURABLE_STALL;
    let mut state = server.jetstream()?;
    let mut moved = Instant::now();
    loop {
        let delivered_all = state.pending == 0
            && state.delivered >= state.last_seq
            && (state.messages >= published || moved.elapsed() >= Duration::from_secs(1));
        if delivered_all {
            break;
        }
        if Instant::now() > deadline || moved.elapsed() > DURABLE_STALL {
            println!(
                "durable: not all delivered after {:.1} s ({:.1} s without progress): {state:?}",
                start.elapsed().as_secs_f64(),
                moved.elapsed().as_secs_f64()
            );
            return Ok(state);
        }
        std::thread::sleep(Duration::from_millis(100));
        let now = server.jetstream()?;
        if now != state {
            moved = Instant::now();
        }
        state = now;
    }
    let delivered_at = start.elapsed();
    // Acknowledged: the monitor has applied everything and a snapshot holds it.
    let deadline = Instant::now() + ACKED_WITHIN;
    while state.acked < state.last_seq && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
        state = server.jetstream()?;
    }
    println!(
        "durable: all delivered {:.1} s after the generator's last flush, acknowledged to {} of {} after {:.1} s",
        delivered_at.as_secs_f64(),
        state.acked,
        state.last_seq,
        start.elapsed().as_secs_f64()
    );
    Ok(state)
}

/// Publishes `BEATS` beats round robin over `subjects`, paced to `rate` when there is
/// one, on a connection of its own; gives how many, and the time to the last flush.
async fn generate(
    url: &str,
    subjects: &[async_nats::Subject],
    rate: Option<u64>,
) -> Result<(u64, Duration), Error> {
    let client = async_nats::ConnectOptions::new()
        .name(GENERATOR)
        .connect(url)
        .await?;
    let payload = Bytes::from_static(PAYLOAD);
    let start = tokio::time::Instant::now();
    let mut published = 0;
    for (i, subject) in subjects.iter().cycle().take(BEATS as usize).enumerate() {
        client.publish(subject.clone(), payload.clone()).await?;
        published = i as u64 + 1;
        if published % FLUSH_EVERY == 0 {
            client.flush().await?;
            if start.elapsed() > PUBLISH_WITHIN {
                break;
            }
        }
        if let Some(rate) = rate
            && published % PACE_EVERY == 0
        {
            let due = start + Duration::from_secs_f64(published as f64 / rate as f64);
            tokio::time::sleep_until(due).await;
        }
    }
    client.flush().await?;
    Ok((published, start.elapsed()))
}
