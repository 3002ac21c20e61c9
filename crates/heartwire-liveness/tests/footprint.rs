//! `Monitor::memory_footprint` against what the allocator counted, and the 64-byte
//! budget per tracked process besides its name (issue 6).
//!
//! A byte-counting global allocator ([`heartwire_alloc_counter`]) wraps `System`; this
//! target has `harness = false`, so nothing else allocates while a monitor is built.

use std::process::ExitCode;

use heartwire::text::{Message, Process, Seconds, Signal};
use heartwire::time::UnixTime;
use heartwire_alloc_counter::{CountingAlloc, live_bytes_of};
use heartwire_liveness::{Config, Monitor};

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

/// Builds a monitor tracking `n` beatit processes and returns it with the bytes the
/// allocator holds for it.
fn build(n: usize, names: &[String]) -> (Monitor, i64) {
    let period = Seconds::from_secs(5).unwrap_or(Seconds::MAX);
    live_bytes_of(|| {
        let mut monitor = Monitor::new(Config::default());
        for (i, name) in names.iter().take(n).enumerate() {
            let Ok(process) = Process::new(name) else {
                continue;
            };
            let message = Message::new(process, Signal::Beat { period });
            let at = UnixTime::new(1_700_000_000 + (i % 5) as i64, 0);
            let _ = monitor.observe_text(&message, at);
        }
        // Events are drained by every poll; the next one gives back a burst's memory.
        monitor.poll(UnixTime::new(1_700_000_004, 0)).for_each(drop);
        monitor.poll(UnixTime::new(1_700_000_004, 0)).for_each(drop);
        monitor
    })
}

fn main() -> ExitCode {
    let mut failed = 0;
    for n in [1_000usize, 100_000] {
        let names: Vec<String> = (0..n).map(|i| format!("svc.worker-{i}")).collect();
        let name_bytes: usize = names.iter().map(String::len).sum();
        let (monitor, counted) = build(n, &names);
        let footprint = monitor.memory_footprint();
        let counted = usize::try_from(counted).unwrap_or(0);
        let per_process = (counted - name_bytes) as f64 / n as f64;
        println!(
            "{n} processes: footprint {} bytes, allocator {counted} bytes, {per_process:.1} bytes per process besides its name",
            footprint.total
        );
        let checks = [
            ("tracks every process", monitor.len() == n),
            ("names counted", footprint.names == name_bytes),
            // The event queue's capacity is counted by the footprint too, so the two
            // agree exactly: every allocation of the monitor is accounted for.
            (
                "footprint is what the allocator holds",
                footprint.total == counted,
            ),
            // The fixed part (256 events kept between drains) dominates small monitors.
            (
                "at most 64 bytes per process besides its name",
                n < 100_000 || per_process <= 64.0,
            ),
        ];
        for (what, ok) in checks {
            if !ok {
                failed += 1;
                println!("FAIL {n} processes: {what}");
            }
        }
    }
    println!("footprint: {} failed", failed);
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
