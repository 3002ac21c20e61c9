//! `heartwire monitor --durable NAME --replicated` (`spec/liveness.md` §6.6): replicas
//! of one monitor on private nats-servers with JetStream, a webhook receiver counting
//! the alerts. One replica leads at a time; when it is killed with SIGKILL, cut off
//! from NATS, or everything restarts, another takes over from the shared state: nobody
//! is convicted falsely, no death is missed, and every alert arrives exactly once.

mod hooks;
mod jetstream;
mod running;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use heartwire_nats::{NatsConfig, NatsPublisher};
use hooks::{Hooks, Received};
use jetstream::{Beats, Cluster, JetStream, scratch};
use running::{Running, unique};

/// The lease of these tests: short, so that takeovers are quick.
const LEASE: &str = "2s";

/// A replica of the monitor named `name` reading `url` as the durable consumer
/// `consumer`, alerting `webhook` of deaths and recoveries; its stream and buckets kept
/// by `copies` servers.
fn replica(
    url: &str,
    consumer: &str,
    name: &str,
    webhook: &str,
    (lease, copies): (&str, &str),
) -> Running {
    Running::monitor(&[
        "--from",
        url,
        "--durable",
        consumer,
        "--durable-replicas",
        copies,
        "--replicated",
        "--lease",
        lease,
        "--replica-name",
        name,
        "--alert-webhook",
        webhook,
        "--json",
    ])
}

/// Processes beating every 500 ms on a thread of their own, through `url`, until
/// stopped: `beat/5` for those named `steady...` (dead after 15 s of silence, longer
/// than a restart of everything takes), `beat/2` for the others (dead after 6 s); a
/// beat the server does not take (it is down) is skipped.
struct Beating {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    processes: Arc<std::sync::Mutex<Vec<String>>>,
}

impl Beating {
    fn start(url: &str, processes: &[&str]) -> Beating {
        let stop = Arc::new(AtomicBool::new(false));
        let list: Vec<String> = processes.iter().map(|p| (*p).to_owned()).collect();
        let processes = Arc::new(std::sync::Mutex::new(list));
        let (url, halt, names) = (url.to_owned(), Arc::clone(&stop), Arc::clone(&processes));
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime");
            let publisher = runtime
                .block_on(NatsPublisher::connect(&NatsConfig::new(url)))
                .expect("the publisher connects");
            // At most 10 minutes, whatever the test does.
            let bound = Instant::now() + Duration::from_secs(600);
            while !halt.load(Ordering::Relaxed) && Instant::now() < bound {
                let now: Vec<String> = names.lock().expect("the names").clone();
                runtime.block_on(async {
                    for process in &now {
                        let beat = if process.starts_with("steady") {
                            "beat/5"
                        } else {
                            "beat/2"
                        };
                        let _ = tokio::time::timeout(
                            Duration::from_secs(1),
                            publisher.send(&format!("heartbeat.{process}"), beat.into()),
                        )
                        .await;
                    }
                });
                std::thread::sleep(Duration::from_millis(500));
            }
        });
        Beating {
            stop,
            thread: Some(thread),
            processes,
        }
    }

    /// `process` beats no more.
    fn silence(&self, process: &str) {
        self.processes
            .lock()
            .expect("the names")
            .retain(|p| p != process);
    }
}

impl Drop for Beating {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The alerts the receiver got, as (process, new state, id).
fn alerts(hooks: &Hooks) -> Vec<(String, String, String)> {
    hooks
        .all()
        .iter()
        .map(|r: &Received| {
            let event = &r.body["event"];
            (
                event["process"].as_str().unwrap_or("?").to_owned(),
                event["new"].as_str().unwrap_or("?").to_owned(),
                r.body["id"].as_str().unwrap_or("?").to_owned(),
            )
        })
        .collect()
}

/// Each alert id arrived once; on failure, what the replicas said.
fn assert_each_once(hooks: &Hooks, outputs: &[String]) {
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (_, _, id) in alerts(hooks) {
        *seen.entry(id).or_default() += 1;
    }
    let twice: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        twice.is_empty(),
        "alerts sent twice: {:#?}\nthe replicas said:\n{}",
        alerts(hooks),
        outputs.join("\n----\n")
    );
}

/// `process` turning `new` was alerted `times` times; on failure, what the replicas
/// said.
fn assert_alerted(hooks: &Hooks, process: &str, new: &str, times: usize, outputs: &[String]) {
    assert_eq!(
        count(hooks, process, new),
        times,
        "{process} {new}: {:#?}\nthe replicas said:\n{}",
        alerts(hooks),
        outputs.join("\n----\n")
    );
}

/// How many alerts of `process` turning `new` arrived.
fn count(hooks: &Hooks, process: &str, new: &str) -> usize {
    alerts(hooks)
        .iter()
        .filter(|(p, n, _)| p == process && n == new)
        .count()
}

/// Waits until `process` turning `new` has been alerted, bounded; on failure, what
/// the replicas said.
fn wait_alert(hooks: &Hooks, process: &str, new: &str, bound: Duration, replicas: &[&Running]) {
    let deadline = Instant::now() + bound;
    while count(hooks, process, new) == 0 {
        if Instant::now() > deadline {
            let said: Vec<String> = replicas.iter().map(|r| r.output()).collect();
            panic!(
                "no alert of {process} {new} within {bound:?}: {:#?}\nthe replicas said:\n{}",
                alerts(hooks),
                said.join("\n----\n")
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Whether `done` turns true within `bound`.
fn wait_for(bound: Duration, done: impl Fn() -> bool) -> bool {
    let deadline = Instant::now() + bound;
    while !done() {
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    true
}

/// No change of `process` to dead in `output`.
fn assert_never_dead(output: &str, process: &str) {
    for line in output.lines() {
        assert!(
            !(line.contains(&format!("\"process\":\"{process}\""))
                && line.contains("\"event\":\"changed\"")
                && line.contains("\"new\":\"dead\"")),
            "{process} convicted: {line}"
        );
    }
}

/// Waits for `replica`'s report that it delivered the alert of `process`, and a moment
/// for the ledger saying so to be stored.
fn delivered(replica: &Running, process: &str) {
    replica.next_where(
        &format!("the delivery of {process}'s alert"),
        Duration::from_secs(10),
        |e| e["event"] == "alert" && e["process"] == process && e["outcome"] == "delivered",
    );
    std::thread::sleep(Duration::from_millis(300));
}

/// Who holds the lease of `consumer`'s replicas, read from the lease bucket through
/// `url` (waiting 30 s at most for a holder).
fn lease_holder(url: &str, consumer: &str) -> &'static str {
    let beats = Beats::connect(url);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let answer = beats.try_api(
            &format!("STREAM.MSG.GET.KV_HEARTWIRE_LEASE_{consumer}"),
            &format!(r#"{{"last_by_subj":"$KV.HEARTWIRE_LEASE_{consumer}.leader"}}"#),
        );
        // The holder's name in base64, as the API gives message data.
        match answer.as_ref().and_then(|a| a["message"]["data"].as_str()) {
            Some("cmVwbGljYS1h") => return "replica-a",
            Some("cmVwbGljYS1i") => return "replica-b",
            _ => {}
        }
        assert!(Instant::now() < deadline, "no lease holder: {answer:?}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The seconds from `since` to the stderr line saying `replica` leads.
fn takeover(replica: &Running, since: Instant, bound: Duration) -> f64 {
    replica.error_about("heartwire monitor: leading", bound);
    since.elapsed().as_secs_f64()
}

#[test]
fn a_leader_killed_with_sigkill_is_replaced_and_each_alert_is_sent_once() {
    let dir = scratch("replicas-kill");
    let mut nats = JetStream::start(&dir);
    let url = nats.url();
    let hooks = Hooks::start(200);
    let webhook = hooks.url("/hook/r3plica-s3cret");
    let consumer = unique("r");
    let (steady, early, gap, gone) = (
        unique("steady"),
        unique("early"),
        unique("gap"),
        unique("gone"),
    );
    let mut a1 = replica(&url, &consumer, "replica-a", &webhook, (LEASE, "1"));
    a1.error_about("heartwire monitor: leading", Duration::from_secs(20));
    let mut b1 = replica(&url, &consumer, "replica-b", &webhook, (LEASE, "1"));
    b1.error_about("is led by replica-a", Duration::from_secs(20));
    a1.error_about("caught up with the stream", Duration::from_secs(20));

    let beating = Beating::start(&url, &[&steady, &early, &gap, &gone]);
    a1.changed(&early, "alive", Duration::from_secs(10));
    // `early` dies while a leads: a alerts it.
    beating.silence(&early);
    wait_alert(&hooks, &early, "dead", Duration::from_secs(15), &[&a1, &b1]);
    delivered(&a1, &early);
    // `gap` goes silent and a is killed before its death is due: b convicts it.
    std::thread::sleep(Duration::from_millis(500));
    beating.silence(&gap);
    std::thread::sleep(Duration::from_millis(500));
    a1.kill_9();
    let killed = Instant::now();
    let seconds = takeover(&b1, killed, Duration::from_secs(20));
    let event = b1.next_where("b1 leading", Duration::from_secs(5), |e| {
        e["event"] == "replica"
    });
    assert_eq!(
        (&event["replica"], &event["state"]),
        (&"replica-b".into(), &"leading".into()),
        "{event}"
    );
    assert!(event["term"].as_u64().is_some_and(|t| t > 1), "{event}");
    eprintln!("takeover after SIGKILL of the leader: {seconds:.2} s (lease {LEASE})");
    assert!(
        seconds < 2.0 * 2.0 + 2.0,
        "took {seconds} s, over two leases and a poll"
    );
    b1.error_about("caught up with the stream", Duration::from_secs(20));
    wait_alert(&hooks, &gap, "dead", Duration::from_secs(20), &[&a1, &b1]);
    // Killed once it has stored the delivery: killed between the receiver's answer and
    // that store (a few milliseconds), a leader's successor sends the alert again, with
    // the same id (spec/liveness.md §6.6).
    delivered(&b1, &gap);

    // Everything restarts: the server and both replicas killed; `gone` stops meanwhile.
    beating.silence(&gone);
    b1.kill_9();
    nats.kill_9();
    std::thread::sleep(Duration::from_secs(1));
    nats.resume();
    let restarted = Instant::now();
    let a2 = replica(&url, &consumer, "replica-a", &webhook, (LEASE, "1"));
    let b2 = replica(&url, &consumer, "replica-b", &webhook, (LEASE, "1"));
    // b's lease may outlive it by up to a lease: whichever takes it, within bounds.
    let leader = loop {
        if let Some(line) = a2.next_error(Duration::from_millis(100))
            && line.contains("heartwire monitor: leading")
        {
            break "a";
        }
        if let Some(line) = b2.next_error(Duration::from_millis(100))
            && line.contains("heartwire monitor: leading")
        {
            break "b";
        }
        assert!(
            restarted.elapsed() < Duration::from_secs(30),
            "no replica leads 30 s after the restart"
        );
    };
    eprintln!(
        "a replica leads {:.2} s after everything restarted ({leader})",
        restarted.elapsed().as_secs_f64()
    );
    wait_alert(&hooks, &gone, "dead", Duration::from_secs(30), &[&a2, &b2]);
    // Beats for a few more seconds: the steady process stays alive throughout.
    std::thread::sleep(Duration::from_secs(3));
    drop(beating);
    let outputs = [a1.stop(), b1.stop(), a2.stop(), b2.stop()];

    assert_alerted(&hooks, &early, "dead", 1, &outputs);
    assert_alerted(&hooks, &gap, "dead", 1, &outputs);
    assert_alerted(&hooks, &gone, "dead", 1, &outputs);
    assert_alerted(&hooks, &steady, "dead", 0, &outputs);
    assert_each_once(&hooks, &outputs);
    for output in &outputs {
        assert_never_dead(output, &steady);
        assert!(
            !output.contains("r3plica-s3cret"),
            "the webhook's secret shown"
        );
    }
    drop(nats);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn on_a_cluster_a_lost_node_and_a_cut_off_leader_convict_nobody_falsely_and_alert_once() {
    let dir = scratch("replicas-cluster");
    let mut cluster = Cluster::start(&dir);
    let ports = cluster.ports.clone();
    let node = |i: usize| format!("nats://127.0.0.1:{}", ports[i]);
    let hooks = Hooks::start(200);
    let webhook = hooks.url("/hook/c1uster-s3cret");
    let consumer = unique("c");
    let (steady, first, second) = (unique("steady"), unique("first"), unique("second"));
    // Each replica reaches one node only: stopping it cuts that replica off.
    let lease = "5s";
    let a = replica(&node(0), &consumer, "replica-a", &webhook, (lease, "3"));
    a.error_about("heartwire monitor: leading", Duration::from_secs(30));
    let b = replica(&node(1), &consumer, "replica-b", &webhook, (lease, "3"));
    b.error_about("is led by replica-a", Duration::from_secs(30));
    a.error_about("caught up with the stream", Duration::from_secs(30));
    let beating = Beating::start(&node(2), &[&steady, &first]);
    a.changed(&first, "alive", Duration::from_secs(10));

    // A node neither replica uses goes: `first` is alerted once (by a, or, if the
    // buckets' election outlasts a's lease, by whichever replica leads next).
    cluster.kill_9(2);
    let beating = {
        drop(beating);
        Beating::start(&node(1), &[&steady])
    };
    wait_alert(&hooks, &first, "dead", Duration::from_secs(30), &[&a, &b]);
    // `second` begins once the cluster is whole again: beats published while a stream
    // elects its leader are dropped by the server, and a process of `beat/2` that
    // misses them for 6 s is rightly convicted.
    cluster.resume(2);
    let beating = {
        drop(beating);
        Beating::start(&node(2), &[&steady, &second])
    };
    std::thread::sleep(Duration::from_secs(4));

    // The leader's node goes: it cannot renew, stops leading within its lease, and the
    // other takes over.
    let holder = lease_holder(&node(2), &consumer);
    let (cut_off, other, lost) = match holder {
        "replica-a" => (&a, &b, 0),
        _ => (&b, &a, 1),
    };
    a.forget_errors();
    b.forget_errors();
    beating.silence(&second);
    cluster.kill_9(lost);
    let cut = Instant::now();
    cut_off.error_about("no longer leads", Duration::from_secs(20));
    let stepped_down = cut.elapsed().as_secs_f64();
    cut_off.next_where("a standby event", Duration::from_secs(10), |e| {
        e["event"] == "replica" && e["replica"] == holder && e["state"] == "standby"
    });
    let seconds = takeover(other, cut, Duration::from_secs(40));
    eprintln!(
        "the cut-off leader ({holder}) stepped down after {stepped_down:.2} s; the other led after {seconds:.2} s (lease {lease})"
    );
    if count(&hooks, &second, "dead") == 0
        && !wait_for(Duration::from_secs(30), || {
            count(&hooks, &second, "dead") > 0
        })
    {
        eprintln!("the cluster's streams:\n{}", cluster.describe());
    }
    wait_alert(&hooks, &second, "dead", Duration::from_secs(1), &[&a, &b]);
    std::thread::sleep(Duration::from_secs(2));
    drop(beating);
    let outputs = [a.stop(), b.stop()];

    assert_alerted(&hooks, &first, "dead", 1, &outputs);
    assert_alerted(&hooks, &second, "dead", 1, &outputs);
    assert_alerted(&hooks, &steady, "dead", 0, &outputs);
    assert_each_once(&hooks, &outputs);
    for output in &outputs {
        assert_never_dead(output, &steady);
        assert!(
            !output.contains("c1uster-s3cret"),
            "the webhook's secret shown"
        );
    }
    drop(cluster);
    let _ = std::fs::remove_dir_all(&dir);
}
