//! Clients and what each may use: a token bucket of requests and one of new names per
//! client, and slots (connections, `/status` answers) with a cap in all and per client.

use std::collections::HashMap;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::limits::RateLimit;
use super::lock;

/// One client: an IPv4 address, or the /64 prefix of an IPv6 address (the share of a
/// network one host gets, so that a host cannot be millions of clients).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum ClientId {
    V4(Ipv4Addr),
    V6(u64),
}

impl ClientId {
    pub(crate) fn of(ip: IpAddr) -> ClientId {
        match ip {
            IpAddr::V4(v4) => ClientId::V4(v4),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => ClientId::V4(v4),
                None => ClientId::V6((u128::from(v6) >> 64) as u64),
            },
        }
    }
}

impl fmt::Display for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientId::V4(v4) => write!(f, "{v4}"),
            ClientId::V6(prefix) => {
                let v6 = std::net::Ipv6Addr::from(u128::from(*prefix) << 64);
                write!(f, "{v6}/64")
            }
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Bucket {
    fn full(limit: &RateLimit, now: Instant) -> Bucket {
        Bucket {
            tokens: limit.burst,
            at: now,
        }
    }

    /// Takes `n` tokens, or none and says how long until there are `n`.
    fn take(&mut self, limit: &RateLimit, n: f64, now: Instant) -> Result<(), Duration> {
        let refill = now.duration_since(self.at).as_secs_f64() * limit.per_second;
        self.tokens = (self.tokens + refill).min(limit.burst);
        self.at = now;
        if self.tokens >= n {
            self.tokens -= n;
            Ok(())
        } else {
            let wait = (n.min(limit.burst) - self.tokens) / limit.per_second.max(f64::MIN_POSITIVE);
            Err(Duration::try_from_secs_f64(wait).unwrap_or(Duration::MAX))
        }
    }

    fn refilled(&self, limit: &RateLimit, now: Instant) -> bool {
        self.tokens + now.duration_since(self.at).as_secs_f64() * limit.per_second >= limit.burst
    }
}

#[derive(Debug, Clone, Copy)]
struct Buckets {
    requests: Bucket,
    names: Bucket,
}

/// Both buckets of every client seen lately, at most `max` clients.
#[derive(Debug)]
pub(crate) struct Clients {
    requests: Option<RateLimit>,
    names: Option<RateLimit>,
    max: usize,
    buckets: HashMap<ClientId, Buckets>,
}

/// How many tokens a bucket holds when it is not limited.
const UNLIMITED: RateLimit = RateLimit {
    per_second: f64::INFINITY,
    burst: f64::INFINITY,
};

impl Clients {
    pub(crate) fn new(
        requests: Option<RateLimit>,
        names: Option<RateLimit>,
        max: usize,
    ) -> Clients {
        Clients {
            requests,
            names,
            max: max.max(1),
            buckets: HashMap::new(),
        }
    }

    /// A request of `client`, or how long until it may make one.
    pub(crate) fn request(&mut self, client: ClientId, now: Instant) -> Result<(), Duration> {
        let Some(limit) = self.requests else {
            return Ok(());
        };
        self.buckets(client, now).requests.take(&limit, 1.0, now)
    }

    /// `n` names new to the engine from `client`, all or none; or how long until it
    /// may register them.
    pub(crate) fn new_names(
        &mut self,
        client: ClientId,
        n: usize,
        now: Instant,
    ) -> Result<(), Duration> {
        let Some(limit) = self.names else {
            return Ok(());
        };
        if n == 0 {
            return Ok(());
        }
        self.buckets(client, now).names.take(&limit, n as f64, now)
    }

    /// The most new names a client may register at once.
    pub(crate) fn names_burst(&self) -> Option<f64> {
        self.names.map(|l| l.burst)
    }

    fn buckets(&mut self, client: ClientId, now: Instant) -> &mut Buckets {
        let requests = self.requests.unwrap_or(UNLIMITED);
        let names = self.names.unwrap_or(UNLIMITED);
        if self.buckets.len() >= self.max && !self.buckets.contains_key(&client) {
            // Forget the clients whose buckets are full again: they lose nothing.
            self.buckets.retain(|_, b| {
                !(b.requests.refilled(&requests, now) && b.names.refilled(&names, now))
            });
            if self.buckets.len() >= self.max {
                self.buckets.clear();
            }
        }
        self.buckets.entry(client).or_insert(Buckets {
            requests: Bucket::full(&requests, now),
            names: Bucket::full(&names, now),
        })
    }
}

/// Places of which at most `max` are taken at once, at most `per_client` by one client
/// (connections; `/status` answers being sent).
#[derive(Debug)]
pub(crate) struct Slots {
    max: usize,
    per_client: usize,
    taken: Mutex<Taken>,
}

#[derive(Debug, Default)]
struct Taken {
    total: usize,
    by_client: HashMap<ClientId, usize>,
}

/// A taken slot, given back when dropped.
#[derive(Debug)]
pub(crate) struct Slot {
    slots: Arc<Slots>,
    client: ClientId,
}

/// Why no slot was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Full {
    /// All are taken.
    All(usize),
    /// The client has its share.
    Client(usize),
}

impl Slots {
    pub(crate) fn new(max: usize, per_client: usize) -> Arc<Slots> {
        Arc::new(Slots {
            max,
            per_client,
            taken: Mutex::default(),
        })
    }

    pub(crate) fn take(self: &Arc<Self>, client: ClientId) -> Result<Slot, Full> {
        let mut taken = lock(&self.taken);
        if taken.total >= self.max {
            return Err(Full::All(self.max));
        }
        let mine = taken.by_client.entry(client).or_insert(0);
        if *mine >= self.per_client {
            return Err(Full::Client(self.per_client));
        }
        *mine += 1;
        taken.total += 1;
        Ok(Slot {
            slots: Arc::clone(self),
            client,
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut taken = lock(&self.slots.taken);
        taken.total = taken.total.saturating_sub(1);
        if let Some(mine) = taken.by_client.get_mut(&self.client) {
            *mine = mine.saturating_sub(1);
            if *mine == 0 {
                taken.by_client.remove(&self.client);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ipv6_host_is_one_client() {
        let a: IpAddr = "2001:db8:1:2::1".parse().expect("an address");
        let b: IpAddr = "2001:db8:1:2:ffff::9".parse().expect("an address");
        let c: IpAddr = "2001:db8:1:3::1".parse().expect("an address");
        assert_eq!(ClientId::of(a), ClientId::of(b));
        assert_ne!(ClientId::of(a), ClientId::of(c));
        assert_eq!(ClientId::of(a).to_string(), "2001:db8:1:2::/64");
        let mapped: IpAddr = "::ffff:10.0.0.1".parse().expect("an address");
        assert_eq!(ClientId::of(mapped).to_string(), "10.0.0.1");
    }

    #[test]
    fn slots_are_capped_in_all_and_per_client() {
        let slots = Slots::new(3, 2);
        let a = ClientId::of([10, 0, 0, 1].into());
        let b = ClientId::of([10, 0, 0, 2].into());
        let a1 = slots.take(a).expect("free");
        let _a2 = slots.take(a).expect("free");
        assert_eq!(slots.take(a).err(), Some(Full::Client(2)));
        let _b1 = slots.take(b).expect("free");
        assert_eq!(slots.take(b).err(), Some(Full::All(3)));
        drop(a1);
        let _b2 = slots.take(b).expect("free again");
        assert_eq!(lock(&slots.taken).total, 3);
    }

    #[test]
    fn new_names_come_from_a_bucket_of_their_own() {
        let limit = RateLimit {
            per_second: 1.0,
            burst: 10.0,
        };
        let mut clients = Clients::new(None, Some(limit), 16);
        let a = ClientId::of([10, 0, 0, 1].into());
        let now = Instant::now();
        assert!(clients.new_names(a, 8, now).is_ok());
        let wait = clients.new_names(a, 5, now).expect_err("only 2 left");
        assert_eq!(wait.as_secs(), 3);
        assert!(clients.new_names(a, 2, now).is_ok());
        assert!(clients.request(a, now).is_ok(), "requests are not limited");
    }
}
