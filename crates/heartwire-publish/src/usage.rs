//! Where the record publisher's `memory_usage_mb` and `cpu_usage_percent` come from: a
//! [`Sampler`] of this process ([`ProcessUsage`], feature `process-usage`) or none
//! ([`NoUsage`]).

#[cfg(feature = "process-usage")]
use std::fmt;

/// This process's use of memory and CPU at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Usage {
    /// Resident memory, in MiB (the seed's `memory_usage_mb`).
    pub memory_mb: Option<f64>,
    /// CPU use since the previous sample, in percent of one core (the seed's
    /// `cpu_usage_percent`, as `psutil.Process().cpu_percent()` gives it).
    pub cpu_percent: Option<f64>,
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

/// This process's usage, read by the `sysinfo` crate (feature `process-usage`).
#[cfg(feature = "process-usage")]
pub struct ProcessUsage {
    system: sysinfo::System,
    pid: Option<sysinfo::Pid>,
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
        };
        usage.refresh();
        usage
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
            },
        }
    }
}
