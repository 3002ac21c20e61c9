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
        };
        usage.refresh();
        usage
    }

    /// A sampler of process `pid`, with its start time ([`Usage::started`]). Its first
    /// CPU figure is 0, as for [`ProcessUsage::new`].
    pub fn of(pid: u32) -> ProcessUsage {
        let mut usage = ProcessUsage {
            system: sysinfo::System::new(),
            pid: Some(sysinfo::Pid::from_u32(pid)),
            report_start: true,
        };
        usage.refresh();
        usage
    }

    /// Whether the process still runs, as of the last sample: `false` once it has
    /// exited (a zombie not yet reaped by its parent has exited too).
    pub fn running(&self) -> bool {
        self.pid
            .and_then(|pid| self.system.process(pid))
            .is_some_and(|p| p.status() != sysinfo::ProcessStatus::Zombie)
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
        match self.pid.and_then(|pid| self.system.process(pid)) {
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
