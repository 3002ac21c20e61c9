//! The liveness engine (issue 6) against the baseline a hand-written monitor is: a
//! `HashMap<String, _>` of last-beat times, scanned in full on every poll. Both run in
//! the same process, on the same messages, in deadline mode (late at 1.5 and dead at 3
//! declared periods).
//!
//! - `beat`: one beat of an already tracked process (`beat/3600`, so that every process
//!   stays healthy), for 1,000 and 1,000,000 tracked processes. Target: at least 5
//!   million per second on one core.
//! - `poll`: a poll at which nothing is due, with 1,000 and 1,000,000 healthy processes.
//!   Target: the engine's cost does not depend on the number of healthy processes.
//! - Memory: printed before the timings, measured with a byte-counting global allocator
//!   (`heartwire-alloc-counter`): bytes per tracked process besides its name, for
//!   1,000,000 processes. Target: at most 64.

use std::collections::HashMap;
use std::hint::black_box;

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group};
use heartwire::text::{Message, Process, Seconds, Signal};
use heartwire::time::UnixTime;
use heartwire_alloc_counter::{CountingAlloc, live_bytes_of};
use heartwire_liveness::{Config, Monitor};

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

const EPOCH: i64 = 1_700_000_000;
const MS: u64 = 1_000_000;
const SIZES: [usize; 3] = [1_000, 100_000, 1_000_000];

fn unix(n: u64) -> UnixTime {
    let secs = EPOCH + (n / 1_000_000_000) as i64;
    UnixTime::new(secs, (n % 1_000_000_000) as u32)
}

fn nanos(t: UnixTime) -> u64 {
    u64::try_from(t.as_nanos()).unwrap_or(0)
}

/// What a monitor written by hand keeps per process.
#[derive(Debug, Clone, Copy)]
struct Tracked {
    last: u64,
    period: u64,
    state: u8,
}

/// The baseline: a `HashMap<String, Tracked>`, every entry looked at on every poll.
#[derive(Debug, Default)]
struct Baseline {
    map: HashMap<String, Tracked>,
}

impl Baseline {
    fn observe(&mut self, message: &Message<'_>, at: UnixTime) {
        let (period, state) = match message.signal() {
            Signal::Start { warmup } => (warmup.as_nanos(), 0),
            Signal::Beat { period } => (period.as_nanos(), 1),
            Signal::Degraded { period } => (period.as_nanos(), 2),
            Signal::Stop => (0, 5),
        };
        let tracked = Tracked {
            last: nanos(at),
            period,
            state,
        };
        match self.map.get_mut(message.process().as_str()) {
            Some(t) => *t = tracked,
            None => {
                self.map
                    .insert(message.process().as_str().to_owned(), tracked);
            }
        }
    }

    /// The number of state changes at `now`.
    fn poll(&mut self, now: UnixTime) -> usize {
        let now = nanos(now);
        let mut changed = 0;
        for t in self.map.values_mut() {
            if t.state >= 4 {
                continue;
            }
            let elapsed = now.saturating_sub(t.last);
            let state = if elapsed * 1000 >= t.period * 3000 {
                4
            } else if elapsed * 1000 >= t.period * 1500 {
                3
            } else {
                t.state
            };
            if state != t.state {
                t.state = state;
                changed += 1;
            }
        }
        changed
    }
}

struct Fleet {
    names: Vec<String>,
}

impl Fleet {
    fn new(n: usize) -> Fleet {
        Fleet {
            names: (0..n).map(|i| format!("fleet.node-{i}")).collect(),
        }
    }

    fn messages(&self) -> Vec<Message<'_>> {
        let period = Seconds::from_secs(3600).unwrap_or(Seconds::MAX);
        self.names
            .iter()
            .map(|n| {
                let process = Process::new(n).unwrap_or_else(|e| panic!("{e}"));
                Message::new(process, Signal::Beat { period })
            })
            .collect()
    }

    fn name_bytes(&self) -> usize {
        self.names.iter().map(String::len).sum()
    }

    fn monitor(&self, messages: &[Message<'_>]) -> Monitor {
        let mut monitor = Monitor::new(Config {
            max_processes: heartwire_liveness::MAX_PROCESSES,
            ..Config::default()
        });
        for m in messages {
            monitor
                .observe_text(m, unix(0))
                .unwrap_or_else(|e| panic!("{e}"));
        }
        monitor.poll(unix(0)).for_each(drop);
        monitor.poll(unix(0)).for_each(drop);
        monitor
    }

    fn baseline(&self, messages: &[Message<'_>]) -> Baseline {
        let mut baseline = Baseline::default();
        for m in messages {
            baseline.observe(m, unix(0));
        }
        baseline
    }
}

fn memory() {
    let fleet = Fleet::new(1_000_000);
    let messages = fleet.messages();
    let names = fleet.name_bytes();
    let (monitor, engine) = live_bytes_of(|| fleet.monitor(&messages));
    let (baseline, hashmap) = live_bytes_of(|| fleet.baseline(&messages));
    let per = |bytes: i64| (bytes as f64 - names as f64) / messages.len() as f64;
    let footprint = monitor.memory_footprint();
    println!(
        "memory, 1,000,000 processes, {names} bytes of names: heartwire {engine} bytes ({:.1} per process besides its name; memory_footprint() says {:.1}), HashMap baseline {hashmap} bytes ({:.1})",
        per(engine),
        footprint.per_process(),
        per(hashmap),
    );
    assert_eq!(
        footprint.total as i64, engine,
        "the footprint is what was allocated"
    );
    black_box((monitor, baseline));
}

fn beat(c: &mut Criterion) {
    let mut group = c.benchmark_group("liveness/beat");
    group.throughput(Throughput::Elements(1));
    for n in SIZES {
        let fleet = Fleet::new(n);
        let messages = fleet.messages();
        let mut monitor = fleet.monitor(&messages);
        let (mut i, mut t) = (0usize, 0u64);
        group.bench_function(BenchmarkId::new("heartwire", n), |b| {
            b.iter(|| {
                i = if i + 1 == n { 0 } else { i + 1 };
                t += MS;
                monitor.observe_text(black_box(&messages[i]), unix(t))
            })
        });
        assert!(
            monitor.poll(unix(t)).all(|e| e.change().is_none()),
            "all healthy"
        );
        // The same beats, 256 at a time through the batch API.
        const BATCH: usize = 256;
        let mut results = Vec::with_capacity(BATCH);
        group.throughput(Throughput::Elements(BATCH as u64));
        group.bench_function(BenchmarkId::new("heartwire_batch", n), |b| {
            // Building the batch is not measured.
            b.iter_batched_ref(
                || {
                    let mut batch: Vec<(Message<'_>, UnixTime)> = Vec::with_capacity(BATCH);
                    for _ in 0..BATCH {
                        i = if i + 1 == n { 0 } else { i + 1 };
                        t += MS;
                        batch.push((messages[i].clone(), unix(t)));
                    }
                    batch
                },
                |batch| {
                    results.clear();
                    monitor.observe_texts(black_box(batch), &mut results);
                },
                BatchSize::SmallInput,
            )
        });
        assert!(results.iter().all(Result::is_ok), "every beat accepted");
        group.throughput(Throughput::Elements(1));
        let mut baseline = fleet.baseline(&messages);
        let (mut i, mut t) = (0usize, 0u64);
        group.bench_function(BenchmarkId::new("hashmap", n), |b| {
            b.iter(|| {
                i = if i + 1 == n { 0 } else { i + 1 };
                t += MS;
                baseline.observe(black_box(&messages[i]), unix(t));
            })
        });
    }
    group.finish();
}

fn poll(c: &mut Criterion) {
    let mut group = c.benchmark_group("liveness/poll");
    for n in SIZES {
        let fleet = Fleet::new(n);
        let messages = fleet.messages();
        let mut monitor = fleet.monitor(&messages);
        let mut t = 0u64;
        group.bench_function(BenchmarkId::new("heartwire", n), |b| {
            b.iter(|| {
                t += 1000;
                monitor.poll(black_box(unix(t))).count()
            })
        });
        let mut baseline = fleet.baseline(&messages);
        let mut t = 0u64;
        group.bench_function(BenchmarkId::new("hashmap", n), |b| {
            b.iter(|| {
                t += 1000;
                baseline.poll(black_box(unix(t)))
            })
        });
    }
    group.finish();
}

/// `HEARTWIRE_COUNT=one|batch|hashmap`: `rounds` passes of beats over `n` tracked
/// processes (`HEARTWIRE_PROCESSES`, 1,000,000; in process order, or shuffled with
/// `HEARTWIRE_ORDER=shuffled`, or shuffled with their names in one buffer in arrival
/// order with `HEARTWIRE_ORDER=arrival`) and nothing else, for counting instructions and
/// cache misses under `valgrind --tool=callgrind --toggle-collect='*count_beats*'` (see
/// README).
fn count(mode: &str, n: usize, rounds: usize) {
    let fleet = Fleet::new(n);
    let arrived: String;
    let mut messages = fleet.messages();
    let mut monitor = fleet.monitor(&messages);
    let mut baseline = fleet.baseline(&messages);
    let order = std::env::var("HEARTWIRE_ORDER").unwrap_or_default();
    if order == "shuffled" || order == "arrival" {
        // Beats in an order unrelated to the processes' (a fixed Fisher-Yates shuffle),
        // as from many publishers: then the slots and names are not read in sequence.
        let mut x = 0x2545_F491_4F6C_DD1Du64;
        for i in (1..messages.len()).rev() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            messages.swap(i, (x % (i as u64 + 1)) as usize);
        }
    }
    if order == "arrival" {
        // The names one after the other, as a receiver's buffer holds the subjects it
        // read, rather than each where the fleet allocated it: then hashing a beat's
        // name reads memory in sequence, and only the engine's own reads are random.
        arrived = messages.iter().map(|m| m.process().as_str()).collect();
        let mut rest = arrived.as_str();
        for m in &mut messages {
            let (name, after) = rest.split_at(m.process().as_str().len());
            rest = after;
            let process = Process::new(name).unwrap_or_else(|e| panic!("{e}"));
            *m = Message::new(process, m.signal());
        }
    }
    let (start, cpu) = (std::time::Instant::now(), cpu_ticks());
    let accepted = count_beats(mode, &mut monitor, &mut baseline, &messages, rounds);
    let ns = start.elapsed().as_nanos() as f64 / accepted.max(1) as f64;
    // Ticks of 10 ms: the CPU time is for long runs (HEARTWIRE_ROUNDS).
    let cpu_ns = (cpu_ticks() - cpu) as f64 * 1e7 / accepted.max(1) as f64;
    println!("{mode}: {accepted} beats, {ns:.1} ns per beat, {cpu_ns:.1} ns of CPU time");
}

/// This thread's user and system CPU time in clock ticks (Linux), or 0.
fn cpu_ticks() -> u64 {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap_or_default();
    // The fields after the command name, which is in parentheses: utime and stime are
    // the 14th and 15th of the line.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<u64> = rest
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|f| f.parse().ok())
        .collect();
    fields.iter().sum()
}

#[inline(never)]
fn count_beats(
    mode: &str,
    monitor: &mut Monitor,
    baseline: &mut Baseline,
    messages: &[Message<'_>],
    rounds: usize,
) -> usize {
    const BATCH: usize = 256;
    let mut t = 0u64;
    let mut accepted = 0usize;
    let mut results = Vec::with_capacity(BATCH);
    let mut batch: Vec<(Message<'_>, UnixTime)> = Vec::with_capacity(BATCH);
    for _ in 0..rounds {
        for chunk in messages.chunks(BATCH) {
            batch.clear();
            for m in chunk {
                t += MS;
                batch.push((m.clone(), unix(t)));
            }
            match mode {
                "one" => {
                    for (m, at) in &batch {
                        accepted += monitor.observe_text(black_box(m), *at).is_ok() as usize;
                    }
                }
                "batch" => {
                    results.clear();
                    monitor.observe_texts(black_box(&batch), &mut results);
                    accepted += results.iter().filter(|r| r.is_ok()).count();
                }
                "hashmap" => {
                    for (m, at) in &batch {
                        baseline.observe(black_box(m), *at);
                        accepted += 1;
                    }
                }
                other => panic!("unknown mode {other}: one, batch or hashmap"),
            }
        }
    }
    accepted
}

criterion_group!(benches, beat, poll);

fn main() {
    if let Ok(mode) = std::env::var("HEARTWIRE_COUNT") {
        let n = std::env::var("HEARTWIRE_PROCESSES")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(1_000_000);
        let rounds = std::env::var("HEARTWIRE_ROUNDS")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(2);
        count(&mode, n, rounds);
        return;
    }
    memory();
    benches();
    Criterion::default().configure_from_args().final_summary();
}
