//! Where the record publisher's `memory_usage_mb` and `cpu_usage_percent` come from: a
//! [`Sampler`] of this process or of another one ([`ProcessUsage`], feature
//! `process-usage`) or none ([`NoUsage`]).

#[cfg(feature = "process-usage")]
use std::fmt;

use heartwire::time::UnixTime;

/// This process's use of memory and CPU at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Usage {
    /// Resident memory, in MiB (the seed's `memory_usage_mb`).
    pub memory_mb: Option<f64>,
    /// CPU use since the previous sample, in percent of one core (the seed's
    /// `cpu_usage_percent`, as `psutil.Process().cpu_percent()` gives it).
    pub cpu_percent: Option<f64>,
    /// When the measured process started, when the sampler knows it: the record's
    /// `uptime_seconds` counts from it (else from the publisher's own start).
    pub started: Option<UnixTime>,
}

/// Where a publisher's [`Usage`] comes from.
pub trait Sampler {
    /// The usage now.
    fn sample(&mut self) -> Usage;
}

/// No measurements: the records carry neither memory nor CPU.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoUsage;

impl Sampler for NoUsage {
    fn sample(&mut self) -> Usage {
        Usage::default()
    }
}

/// A process's usage, read by the `sysinfo` crate (feature `process-usage`): this
/// process's ([`ProcessUsage::new`]) or another's ([`ProcessUsage::of`], the one a
/// sidecar publisher speaks for).
#[cfg(feature = "process-usage")]
pub struct ProcessUsage {
    system: sysinfo::System,
    pid: Option<sysinfo::Pid>,
    /// Whether [`Usage::started`] is reported: for another process only (this one's
    /// start is the publisher's own).
    report_start: bool,
    /// The start time of the process first sampled: a process of the same id that
    /// started at another time is not the one measured (its id was reused).
    first_start: Option<u64>,
}

#[cfg(feature = "process-usage")]
impl fmt::Debug for ProcessUsage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProcessUsage")
            .field("pid", &self.pid)
            .finish()
    }
}

#[cfg(feature = "process-usage")]
impl ProcessUsage {
    /// A sampler of the current process. Its first CPU figure is 0, as psutil's is:
    /// CPU use is measured between two samples.
    pub fn new() -> ProcessUsage {
        let mut usage = ProcessUsage {
            system: sysinfo::System::new(),
            pid: sysinfo::get_current_pid().ok(),
            report_start: false,
            first_start: None,
        };
        usage.refresh();
        usage.first_start = usage.process().map(sysinfo::Process::start_time);
        usage
    }

    /// A sampler of process `pid`, with its start time ([`Usage::started`]). Its first
    /// CPU figure is 0, as for [`ProcessUsage::new`].
    pub fn of(pid: u32) -> ProcessUsage {
        let mut usage = ProcessUsage {
            system: sysinfo::System::new(),
            pid: Some(sysinfo::Pid::from_u32(pid)),
            report_start: true,
            first_start: None,
        };
        usage.refresh();
        usage.first_start = usage.process().map(sysinfo::Process::start_time);
        usage
    }

    /// Whether the process still runs, as of the last sample: `false` once it has
    /// exited (a zombie not yet reaped by its parent has exited too), and once its id
    /// belongs to a process that started at another time (the id was reused).
    pub fn running(&self) -> bool {
        self.process().is_some_and(|p| {
            p.status() != sysinfo::ProcessStatus::Zombie
                && self.first_start.is_none_or(|first| p.start_time() == first)
        })
    }

    /// The measured process as of the last sample, if its id still names one.
    fn process(&self) -> Option<&sysinfo::Process> {
        self.pid.and_then(|pid| self.system.process(pid))
    }

    fn refresh(&mut self) {
        if let Some(pid) = self.pid {
            self.system.refresh_processes_specifics(
                sysinfo::ProcessesToUpdate::Some(&[pid]),
                true,
                sysinfo::ProcessRefreshKind::nothing()
                    .with_memory()
                    .with_cpu(),
            );
        }
    }
}

#[cfg(feature = "process-usage")]
impl Default for ProcessUsage {
    fn default() -> Self {
        ProcessUsage::new()
    }
}

#[cfg(feature = "process-usage")]
impl Sampler for ProcessUsage {
    fn sample(&mut self) -> Usage {
        self.refresh();
        if !self.running() {
            // Exited, or its id is another process's now: nothing of it to measure.
            return Usage::default();
        }
        match self.process() {
            None => Usage::default(),
            Some(process) => Usage {
                memory_mb: Some(process.memory() as f64 / (1024.0 * 1024.0)),
                cpu_percent: Some(f64::from(process.cpu_usage())),
                started: self.report_start.then(|| {
                    UnixTime::new(i64::try_from(process.start_time()).unwrap_or(i64::MAX), 0)
                }),
            },
        }
    }
}

#[cfg(all(test, feature = "process-usage", unix))]
mod tests {
    use super::*;

    /// A process is the one first sampled only while its start time is the same: an id
    /// reused by a later process is an exit of the one measured.
    #[test]
    fn a_reused_process_id_is_not_the_process_measured() {
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .expect("sleep runs");
        let mut usage = ProcessUsage::of(child.id());
        assert!(usage.running());
        assert!(usage.sample().started.is_some());
        // As if the id now named a process started a second later than the first.
        usage.first_start = usage.first_start.map(|start| start + 1);
        assert!(!usage.running());
        assert_eq!(usage.sample(), Usage::default());
        let _ = child.kill();
        let _ = child.wait();
        let mut gone = ProcessUsage::of(child.id());
        assert!(!gone.running());
        assert_eq!(gone.sample(), Usage::default());
    }
}
