//! Every limit of the receiver and its default, in one place: `spec/http.md` §5.5's
//! table, as code.

use std::time::Duration;

use heartwire::schedule::Rate;

use super::key::PingKey;

/// `Minutes(1)`, checked when compiled.
const ONE_MINUTE: Rate = match heartwire::schedule::Count::new(1) {
    Some(one) => Rate::Minutes(one),
    None => panic!("1 is a count"),
};

/// The smallest request head hyper can read with (its initial buffer).
const MIN_HEAD: usize = 8 * 1024;

/// A token bucket per client: `per_second` tokens a second, at most `burst` saved up.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    /// Tokens added per second.
    pub per_second: f64,
    /// The most tokens a client can save up.
    pub burst: f64,
}

/// How a receiver behaves, and every bound it keeps; [`ReceiverConfig::default`] is the
/// spec's defaults (`spec/http.md` §5.5).
///
/// A *client* is an IPv4 address, or the /64 prefix of an IPv6 address (one host's
/// share of a network, so that one host cannot be many clients).
#[derive(Debug, Clone, PartialEq)]
pub struct ReceiverConfig {
    /// The largest request body accepted, in bytes (10,000, as healthchecks.io keeps):
    /// 413 beyond.
    pub max_body: usize,
    /// The longest request target (path and query) accepted, in bytes (2,048): 414
    /// beyond.
    pub max_target: usize,
    /// The largest request head (request line and headers), in bytes (16 KiB; 8 KiB
    /// at least): 431 beyond. It is also what a connection may buffer of an answer.
    pub max_head: usize,
    /// How long a client may take to send a request's headers (10 s), counted from the
    /// connection or from the end of the previous answer: it is also the idle timeout
    /// of a kept-alive connection. The connection is closed.
    pub header_timeout: Duration,
    /// How long a client may take to send a request's body once its headers are in
    /// (10 s): 408 and the connection closed.
    pub body_timeout: Duration,
    /// How long an answer may take to be taken by the client, from when it is ready
    /// (30 s): the connection is closed.
    pub send_timeout: Duration,
    /// The most connections open at once (1,024). One more is answered 503 and closed
    /// at once. Lowered to the process's file limit less 64 where that is smaller.
    pub max_connections: usize,
    /// The most connections open at once from one client (256).
    pub max_connections_per_client: usize,
    /// Requests per client (1,000 a second, bursts of 2,000): 429 beyond. `None`
    /// turns it off.
    pub rate_limit: Option<RateLimit>,
    /// Names new to the engine per client (bursts of 1,000, then 100 a minute): 429
    /// beyond. `None` turns it off.
    pub new_names: Option<RateLimit>,
    /// The most clients whose buckets are remembered (65,536).
    pub max_clients: usize,
    /// The schedule a ping registers a new name with when it declares none
    /// (`Minutes(1)`).
    pub default_rate: Rate,
    /// A process in a final state (`dead`, `stopped`, `disconnected`) silent this long
    /// is forgotten (7 days). `None` keeps them.
    pub forget_after: Option<Duration>,
    /// How often the engine is swept for such processes (60 s).
    pub sweep_interval: Duration,
    /// How many of the latest new names are remembered, so that the oldest of them
    /// never heard from again can make room when the engine is full (65,536).
    pub unconfirmed_kept: usize,
    /// The processes a `/status` page lists without `limit=` (1,000).
    pub status_page: usize,
    /// The most a `/status` page may list (`limit=`; 5,000).
    pub max_status_page: usize,
    /// The most `/status` and `/metrics` answers being sent at once (32): 503 beyond.
    pub max_status_answers: usize,
    /// The most `/status` and `/metrics` answers being sent at once to one client (4):
    /// 503 beyond.
    pub max_status_answers_per_client: usize,
    /// The most processes with series of their own in a `/metrics` answer (10,000),
    /// those in trouble first; the others are counted (`spec/http.md` §5.10).
    pub max_metrics_processes: usize,
    /// When set, every request must carry this key (`spec/http.md` §5.6); without it,
    /// anyone who reaches the port may ping (the open mode).
    pub ping_key: Option<PingKey>,
}

impl Default for ReceiverConfig {
    fn default() -> Self {
        ReceiverConfig {
            max_body: 10_000,
            max_target: 2_048,
            max_head: 16 * 1024,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(10),
            send_timeout: Duration::from_secs(30),
            max_connections: 1_024,
            max_connections_per_client: 256,
            rate_limit: Some(RateLimit {
                per_second: 1_000.0,
                burst: 2_000.0,
            }),
            new_names: Some(RateLimit {
                per_second: 100.0 / 60.0,
                burst: 1_000.0,
            }),
            max_clients: 65_536,
            default_rate: ONE_MINUTE,
            forget_after: Some(Duration::from_secs(7 * 24 * 3600)),
            sweep_interval: Duration::from_secs(60),
            unconfirmed_kept: 65_536,
            status_page: 1_000,
            max_status_page: 5_000,
            max_status_answers: 32,
            max_status_answers_per_client: 4,
            max_metrics_processes: 10_000,
            ping_key: None,
        }
    }
}

impl ReceiverConfig {
    /// The request head hyper is given: at least what it can work with.
    pub(super) fn head_buffer(&self) -> usize {
        self.max_head.max(MIN_HEAD)
    }

    /// The default page, within the maximum and at least 1.
    pub(super) fn default_page(&self) -> usize {
        self.status_page.clamp(1, self.max_status_page.max(1))
    }
}

/// The connection cap the process can keep: `wanted`, or the file limit less 64 for
/// the program's other files, where that is smaller, so that an excess connection can
/// always be accepted and refused instead of waiting unseen in the backlog.
pub(super) fn connection_cap(wanted: usize) -> usize {
    #[cfg(unix)]
    {
        use nix::sys::resource::{Resource, getrlimit};
        if let Ok((soft, _)) = getrlimit(Resource::RLIMIT_NOFILE) {
            let usable = usize::try_from(soft.saturating_sub(64)).unwrap_or(usize::MAX);
            return wanted.min(usable.max(1));
        }
    }
    wanted
}
