//! `--replicated`: one of several replicas of a durable monitor (spec/liveness.md
//! §6.6). A replica waits as a standby until it takes the lease; then it leads: it
//! reads the state and the alerts' ledger the last leader stored, reads the stream from
//! the position that state holds, stores both back as the file-backed monitor saves
//! its snapshot, and alone sends alerts, while its lease is valid. When the lease is
//! lost (not renewed in time, or taken), it drops what it held and waits again.

use std::io::Write;
use std::process::ExitCode;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use heartwire::time::{SystemClock, WallClock};
use heartwire_http::receiver::{History, HistoryLimits};
use heartwire_liveness::Config;
use heartwire_nats::{Lease, NatsConfig, Renewal, ReplicaConfig, SharedState, Stored, Taken};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use super::alerts::Gate;
use super::ingest::LinkInfo;
use super::{Ended, MonitorArgs, Parts, SavedState, Store, View, restore, watch};
use crate::brokers::Broker;

/// What a replica stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Blob {
    /// The engine's snapshot, the history and the stream positions (a `SavedState`).
    State,
    /// The alerts' ledger.
    Alerts,
}

impl Blob {
    fn key(self) -> &'static str {
        match self {
            Blob::State => "state",
            Blob::Alerts => "alerts",
        }
    }
}

/// What storing did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    Written,
    /// Not now (the server did not answer): tried again at the next save.
    Failed,
    /// Another replica wrote since: this one no longer leads.
    Fenced,
}

/// A replica while it leads.
pub(crate) struct Leading {
    shared: Arc<SharedState>,
    lease: Arc<Mutex<Lease>>,
    gate: Arc<Gate>,
    lost: Arc<Notify>,
    /// Renews the lease; closes the gate and rings `lost` when it cannot.
    keeper: JoinHandle<()>,
    /// Each store's own generation.
    counter: u64,
    /// Each blob's head revision, as last read or written: the fencing check.
    revisions: [Option<u64>; 2],
}

impl Leading {
    fn start(shared: Arc<SharedState>, lease: Lease, revisions: [Option<u64>; 2]) -> Leading {
        let gate = Arc::new(Gate::new(lease.valid_until()));
        let lost = Arc::new(Notify::new());
        let lease = Arc::new(Mutex::new(lease));
        let keeper = tokio::spawn(keep(
            Arc::clone(&shared),
            Arc::clone(&lease),
            Arc::clone(&gate),
            Arc::clone(&lost),
        ));
        Leading {
            shared,
            lease,
            gate,
            lost,
            keeper,
            counter: 0,
            revisions,
        }
    }

    /// Stores `bytes` as `blob`, fenced by what this replica last read or wrote.
    pub(crate) async fn store(&mut self, blob: Blob, bytes: Vec<u8>) -> Outcome {
        if !self.gate.is_open() {
            // Not renewed in time: whatever it holds may be another's by now.
            return Outcome::Fenced;
        }
        self.counter += 1;
        let lease = lock(&self.lease).clone();
        let slot = &mut self.revisions[blob as usize];
        match self
            .shared
            .store(blob.key(), &bytes, &lease, self.counter, *slot)
            .await
        {
            Ok(Stored::Written(revision)) => {
                *slot = Some(revision);
                Outcome::Written
            }
            Ok(Stored::Fenced) => {
                note!(
                    "heartwire monitor: the shared {} was written by another replica: this one no longer leads",
                    blob.key()
                );
                self.gate.close();
                Outcome::Fenced
            }
            Err(e) => {
                note!(
                    "heartwire monitor: cannot store the shared {}: {e}",
                    blob.key()
                );
                Outcome::Failed
            }
        }
    }

    /// The gate the alert workers look at.
    pub(crate) fn gate(&self) -> Arc<Gate> {
        Arc::clone(&self.gate)
    }

    /// Rung when the lease is lost.
    pub(crate) fn lost(&self) -> Arc<Notify> {
        Arc::clone(&self.lost)
    }

    /// Gives the lease up at a clean stop, so that a standby need not wait for it.
    pub(crate) async fn release(&self) {
        self.keeper.abort();
        self.gate.close();
        let lease = lock(&self.lease).clone();
        match self.shared.release(&lease).await {
            Ok(()) => note!("heartwire monitor: the lease is released"),
            Err(e) => note!("heartwire monitor: cannot release the lease ({e}); it expires"),
        }
    }
}

impl Drop for Leading {
    fn drop(&mut self) {
        self.keeper.abort();
        self.gate.close();
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Renews the lease four times per lease; when it is taken, or not renewed before it
/// ends, closes the gate and rings `lost`.
async fn keep(
    shared: Arc<SharedState>,
    lease: Arc<Mutex<Lease>>,
    gate: Arc<Gate>,
    lost: Arc<Notify>,
) {
    let every = shared.replica().renew_every();
    let mut failing = false;
    loop {
        let until = lock(&lease).valid_until();
        let wait = every.min(until.saturating_duration_since(Instant::now()));
        tokio::time::sleep(wait).await;
        let mut renewed = lock(&lease).clone();
        if Instant::now() >= renewed.valid_until() {
            gate.close();
            note!(
                "heartwire monitor: the lease ended before it could be renewed: this replica no longer leads"
            );
            lost.notify_one();
            return;
        }
        // Bounded by the lease's end (a renewal that answers after it is no use) and by
        // the interval, so that a request lost while the cluster elects a leader is
        // tried again within the lease rather than waited for.
        let left = renewed
            .valid_until()
            .saturating_duration_since(Instant::now())
            .min(every);
        match tokio::time::timeout(left, shared.renew(&mut renewed)).await {
            Ok(Ok(Renewal::Kept)) => {
                if failing {
                    note!("heartwire monitor: the lease is renewed again");
                    failing = false;
                }
                gate.open_until(renewed.valid_until());
                *lock(&lease) = renewed;
            }
            Ok(Ok(Renewal::Lost)) => {
                gate.close();
                note!(
                    "heartwire monitor: the lease was taken by another replica: this one no longer leads"
                );
                lost.notify_one();
                return;
            }
            Ok(Err(e)) if !failing => {
                failing = true;
                note!("heartwire monitor: cannot renew the lease ({e}); trying again");
            }
            Ok(Err(_)) | Err(_) => {}
        }
    }
}

/// Runs a replica until it is stopped: standby, leader, standby again if it loses the
/// lease. Exit 0 when stopped, 2 when the shared state cannot be read.
pub(crate) fn run(
    args: MonitorArgs,
    links: Vec<LinkInfo>,
    config: Config,
    terminated: Arc<Notify>,
) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            note!("heartwire monitor: cannot start: {e}");
            return ExitCode::from(1);
        }
    };
    runtime.block_on(replicate(args, links, config, terminated))
}

async fn replicate(
    args: MonitorArgs,
    links: Vec<LinkInfo>,
    config: Config,
    terminated: Arc<Notify>,
) -> ExitCode {
    let stop_at = args
        .exit_after
        .and_then(|after| Instant::now().checked_add(after));
    let (Some(name), Some(nats)) = (
        args.durable.clone(),
        links.iter().find(|l| l.broker == Broker::Nats),
    ) else {
        note!(
            "heartwire monitor: --replicated reads NATS links: expected --durable and a nats:// --from"
        );
        return ExitCode::from(2);
    };
    let replica = ReplicaConfig::new(name.clone())
        .replicas(args.durable_replicas)
        .lease(args.lease);
    let holder = args
        .replica_name
        .clone()
        .unwrap_or_else(|| format!("{}:{}", super::alerts::host_name(), std::process::id()));
    let nats_config =
        NatsConfig::new(nats.secret_url().to_owned()).name(format!("heartwire monitor {holder}"));
    // The buckets, tried every second until they open (NATS may start after us).
    let mut said = String::new();
    let shared = loop {
        match SharedState::connect(&nats_config, &replica, &holder).await {
            Ok(shared) => break Arc::new(shared),
            Err(e) => {
                let line = e.to_string();
                if line != said {
                    note!(
                        "heartwire monitor: cannot open the replicas' buckets ({line}); trying again every second"
                    );
                    said = line;
                }
            }
        }
        if !pause(Duration::from_secs(1), &terminated, stop_at).await {
            return ExitCode::SUCCESS;
        }
    };
    let view = if args.json || !std::io::IsTerminal::is_terminal(&std::io::stdout()) {
        View::Json
    } else {
        View::Table
    };
    loop {
        let waited = Instant::now();
        let Some(lease) = standby(&shared, &name, &terminated, stop_at).await else {
            return ExitCode::SUCCESS;
        };
        note!(
            "heartwire monitor: leading {name} as {holder} (term {}, after {:.3} s as a standby)",
            lease.term(),
            waited.elapsed().as_secs_f64()
        );
        tell(view, &holder, "leading", Some(lease.term()));
        let (state, ledger) = match load(&shared).await {
            Ok(loaded) => loaded,
            Err(Unread::Unreachable(e)) => {
                // The cluster may be electing the bucket's leader: give the lease back
                // and try again, as any replica would.
                note!(
                    "heartwire monitor: cannot read the shared state ({e}); waiting as a standby again"
                );
                let _ = shared.release(&lease).await;
                if !pause(shared.replica().renew_every(), &terminated, stop_at).await {
                    return ExitCode::SUCCESS;
                }
                continue;
            }
            Err(Unread::Invalid(e)) => {
                note!("heartwire monitor: cannot read the shared state: {e}");
                return ExitCode::from(2);
            }
        };
        let revisions = [
            state.as_ref().map(|(_, r)| *r),
            ledger.as_ref().map(|(_, r)| *r),
        ];
        let history = Arc::new(History::new(HistoryLimits::default()));
        let mut infos: Vec<LinkInfo> = links.iter().map(LinkInfo::fresh).collect();
        let (engine, _) = match restore(
            config.clone(),
            state.map(|(saved, _)| saved),
            &history,
            &args,
            &mut infos,
        ) {
            Ok(restored) => restored,
            Err(e) => {
                note!("heartwire monitor: {e}");
                return ExitCode::from(2);
            }
        };
        let leading = Leading::start(Arc::clone(&shared), lease, revisions);
        let parts = Parts {
            links: infos.into_iter().map(Arc::new).collect(),
            engine: Arc::new(Mutex::new(engine)),
            journal: None,
            history,
            view,
            listening: None,
            terminated: Arc::clone(&terminated),
            store: Store::Shared(leading),
            ledger: Some(ledger.map(|(text, _)| text).unwrap_or_default()),
            stop_at,
            // Nothing serves it: a replica has no HTTP receiver.
            keeps_history: false,
        };
        match watch(&args, parts).await {
            Ended::Exit(code) => return code,
            Ended::Deposed => {
                note!("heartwire monitor: waiting as a standby again");
                tell(view, &holder, "standby", None);
            }
        }
    }
}

/// The `replica` event (spec/liveness.md §7.1): this replica leads (in `term`), or
/// waits again; a JSON line in the JSON view.
fn tell(view: View, holder: &str, state: &str, term: Option<u64>) {
    if view != View::Json {
        return;
    }
    let mut event = serde_json::json!({
        "event": "replica",
        "replica": holder,
        "state": state,
        "at": super::events::time(SystemClock.now()),
    });
    if let Some(term) = term {
        event["term"] = term.into();
    }
    let mut out = std::io::stdout().lock();
    // A stdout that cannot be written is found by the loop's next write.
    let _ = writeln!(out, "{event}").and_then(|()| out.flush());
}

/// Waits as a standby until this replica takes the lease; `None` when stopped first.
async fn standby(
    shared: &SharedState,
    name: &heartwire_nats::ConsumerName,
    terminated: &Notify,
    stop_at: Option<Instant>,
) -> Option<Lease> {
    let every = shared.replica().renew_every();
    let mut said = String::new();
    loop {
        let line = match shared.try_lead().await {
            Ok(Taken::Leading(lease)) => return Some(lease),
            Ok(Taken::HeldBy(holder)) => {
                format!("standby: {name} is led by {holder}")
            }
            Err(e) => format!("standby: cannot reach the lease ({e}); trying again"),
        };
        if line != said {
            note!("heartwire monitor: {line}");
            said = line;
        }
        if !pause(every, terminated, stop_at).await {
            return None;
        }
    }
}

/// Sleeps `wait`; false if stopped meanwhile.
async fn pause(wait: Duration, terminated: &Notify, stop_at: Option<Instant>) -> bool {
    let stop = async {
        match stop_at {
            Some(at) => tokio::time::sleep_until(at.into()).await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        () = tokio::time::sleep(wait) => true,
        () = stop => false,
        () = terminated.notified() => false,
    }
}

/// Why the shared state was not read.
enum Unread {
    /// The servers did not answer (in time): worth another try.
    Unreachable(heartwire_nats::BrokerError),
    /// What is stored does not read: no replica can go on from it.
    Invalid(String),
}

/// The state and the ledger the last leader stored, with their heads' revisions.
#[allow(clippy::type_complexity)]
async fn load(
    shared: &SharedState,
) -> Result<(Option<(SavedState, u64)>, Option<(Vec<u8>, u64)>), Unread> {
    let swept = shared
        .sweep(Blob::State.key())
        .await
        .map_err(Unread::Unreachable)?
        + shared
            .sweep(Blob::Alerts.key())
            .await
            .map_err(Unread::Unreachable)?;
    if swept > 0 {
        note!(
            "heartwire monitor: {swept} generations of chunks a previous leader left unfinished are removed"
        );
    }
    let state = match shared
        .load(Blob::State.key())
        .await
        .map_err(Unread::Unreachable)?
    {
        Some(loaded) => {
            let saved: SavedState = serde_json::from_slice(&loaded.bytes)
                .map_err(|e| Unread::Invalid(format!("the state does not read: {e}")))?;
            Some((saved, loaded.revision))
        }
        None => None,
    };
    let ledger = shared
        .load(Blob::Alerts.key())
        .await
        .map_err(Unread::Unreachable)?
        .map(|loaded| (loaded.bytes, loaded.revision));
    Ok((state, ledger))
}
