//! Private NATS servers with JetStream for the tests of durable and replicated
//! monitors: one server, or a cluster of three on loopback, on free ports, each killed
//! on drop; and a publisher with its runtime.

#![allow(dead_code)] // Each test file uses part of it.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use heartwire::time::{SystemClock, UnixTime, WallClock};
use heartwire_nats::{NatsConfig, NatsPublisher};
use serde_json::Value;

use crate::running::unique;

/// A `nats-server -js` of the test's own, on a free port, its store in `dir`; killed on
/// drop. It can be killed with SIGKILL and started again on the same port and store.
pub(crate) struct JetStream {
    pub(crate) port: u16,
    store: PathBuf,
    child: Option<Child>,
}

impl JetStream {
    pub(crate) fn start(dir: &Path) -> JetStream {
        let mut nats = JetStream {
            port: free_port(),
            store: dir.join("jetstream"),
            child: None,
        };
        nats.resume();
        nats
    }

    pub(crate) fn resume(&mut self) {
        let port = self.port;
        let child = Command::new("nats-server")
            .args(["-a", "127.0.0.1", "-p", &port.to_string(), "-js", "-sd"])
            .arg(&self.store)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nats-server runs (README, Brokers for development)");
        self.child = Some(child);
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "nats-server did not listen"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub(crate) fn kill_9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub(crate) fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }
}

impl Drop for JetStream {
    fn drop(&mut self) {
        self.kill_9();
    }
}

/// A directory of the test's own under the system's temporary directory.
pub(crate) fn scratch(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(unique(tag));
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    dir
}

/// A publisher on a connection of its own, with a runtime to drive it.
pub(crate) struct Beats {
    pub(crate) runtime: tokio::runtime::Runtime,
    pub(crate) publisher: NatsPublisher,
}

impl Beats {
    pub(crate) fn connect(url: &str) -> Beats {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        let publisher = runtime
            .block_on(NatsPublisher::connect(&NatsConfig::new(url)))
            .expect("the publisher connects");
        Beats { runtime, publisher }
    }

    /// `beat/2` from each of `processes`, flushed; the time it was sent.
    pub(crate) fn beat(&self, processes: &[&str]) -> UnixTime {
        self.runtime.block_on(async {
            for process in processes {
                self.publisher
                    .send(&format!("heartbeat.{process}"), "beat/2".into())
                    .await
                    .expect("published");
            }
        });
        SystemClock.now()
    }

    /// The durable consumer's state, as the server reports it.
    pub(crate) fn consumer_info(&self, name: &str) -> Value {
        self.api(&format!("CONSUMER.INFO.HEARTWIRE.{name}"), "")
    }

    /// A JetStream API request (`$JS.API.<what>`) and its JSON answer.
    pub(crate) fn api(&self, what: &str, body: &str) -> Value {
        self.try_api(what, body)
            .unwrap_or_else(|| panic!("no JSON answer to {what}"))
    }

    /// [`Beats::api`], `None` without an answer within 5 s.
    pub(crate) fn try_api(&self, what: &str, body: &str) -> Option<Value> {
        self.runtime.block_on(async {
            let request = self
                .publisher
                .client()
                .request(format!("$JS.API.{what}"), body.to_owned().into());
            let answer = tokio::time::timeout(Duration::from_secs(5), request)
                .await
                .ok()?
                .ok()?;
            serde_json::from_slice(&answer.payload).ok()
        })
    }
}

/// Three `nats-server -js` in one cluster on loopback, each its own store; killed on
/// drop.
pub(crate) struct Cluster {
    pub(crate) ports: Vec<u16>,
    routes: Vec<u16>,
    dir: PathBuf,
    children: Vec<Option<Child>>,
}

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind(("127.0.0.1", 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl Cluster {
    pub(crate) fn start(dir: &Path) -> Cluster {
        let mut cluster = Cluster {
            ports: (0..3).map(|_| free_port()).collect(),
            routes: (0..3).map(|_| free_port()).collect(),
            dir: dir.to_owned(),
            children: (0..3).map(|_| None).collect(),
        };
        for node in 0..3 {
            cluster.spawn(node);
        }
        // Ready once JetStream answers through every node (its meta leader elected).
        for node in 0..3 {
            cluster.wait_ready(node);
        }
        cluster
    }

    /// Starts `node` (again) with its store, on its ports.
    fn spawn(&mut self, node: usize) {
        let others: Vec<String> = (0..3)
            .filter(|&j| j != node)
            .map(|j| format!("nats://127.0.0.1:{}", self.routes[j]))
            .collect();
        let child = Command::new("nats-server")
            .args([
                "-a",
                "127.0.0.1",
                "-p",
                &self.ports[node].to_string(),
                "-js",
                "-sd",
            ])
            .arg(self.dir.join(format!("node{node}")))
            .args(["-n", &format!("node{node}"), "--cluster_name", "heartwire"])
            .args([
                "--cluster",
                &format!("nats://127.0.0.1:{}", self.routes[node]),
            ])
            .args(["--routes", &others.join(",")])
            // Clients reach the nodes they are given, no others: stopping a node cuts
            // off a client given only it, as a partition would.
            .arg("--no_advertise")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nats-server runs (README, Brokers for development)");
        self.children[node] = Some(child);
    }

    /// Waits (60 s at most) until JetStream answers through `node`.
    fn wait_ready(&self, node: usize) {
        let port = self.ports[node];
        let started = Instant::now();
        loop {
            let ready = std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() && {
                let beats = Beats::connect(&format!("nats://127.0.0.1:{port}"));
                beats
                    .try_api("INFO", "")
                    .is_some_and(|i| i.get("error").is_none())
            };
            if ready {
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "the cluster's JetStream is not ready in 60 s"
            );
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    /// Starts a node killed before, and waits until it answers and has caught up: a
    /// stream of three replicas survives the loss of one node, not of a second while
    /// the first is still catching up (on a slow machine, that takes seconds).
    pub(crate) fn resume(&mut self, node: usize) {
        self.spawn(node);
        self.wait_ready(node);
        self.wait_healthy();
    }

    /// Waits (60 s at most) until every stream and every consumer has a leader and
    /// all its copies are current, as the JetStream API says through each running node.
    pub(crate) fn wait_healthy(&self) {
        let started = Instant::now();
        for node in (0..3).filter(|&n| self.children[n].is_some()) {
            let beats = Beats::connect(&format!("nats://127.0.0.1:{}", self.ports[node]));
            loop {
                let groups = groups(&beats);
                if groups.as_ref().is_some_and(|g| g.iter().all(Group::whole)) {
                    break;
                }
                assert!(
                    started.elapsed() < Duration::from_secs(60),
                    "node{node} does not see the cluster whole 60 s after it started: {groups:?}"
                );
                std::thread::sleep(Duration::from_millis(250));
            }
        }
        eprintln!(
            "the cluster is whole after {:.2} s",
            started.elapsed().as_secs_f64()
        );
    }

    /// What a running node says of every stream's and consumer's group, to tell on a
    /// failure whether the cluster was whole.
    pub(crate) fn describe(&self) -> String {
        let Some(node) = (0..3).find(|&n| self.children[n].is_some()) else {
            return "no node runs".into();
        };
        let beats = Beats::connect(&format!("nats://127.0.0.1:{}", self.ports[node]));
        format!("through node{node}: {:#?}", groups(&beats))
    }

    pub(crate) fn url(&self) -> String {
        self.ports
            .iter()
            .map(|p| format!("nats://127.0.0.1:{p}"))
            .collect::<Vec<_>>()
            .join(",")
    }

    pub(crate) fn kill_9(&mut self, node: usize) {
        if let Some(mut child) = self.children[node].take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for node in 0..self.children.len() {
            self.kill_9(node);
        }
    }
}

/// A stream's or a consumer's group of copies, as the JetStream API lists it.
#[derive(Debug)]
#[allow(dead_code)] // Its fields are read through `Debug`, in failure messages.
struct Group {
    name: String,
    leader: String,
    /// The other copies: name, current, offline.
    replicas: Vec<(String, bool, bool)>,
}

impl Group {
    fn read(name: String, cluster: &Value) -> Group {
        let replicas = cluster["replicas"]
            .as_array()
            .map(|r| {
                r.iter()
                    .map(|c| {
                        (
                            c["name"].as_str().unwrap_or("?").to_owned(),
                            c["current"].as_bool().unwrap_or(false),
                            c["offline"].as_bool().unwrap_or(false),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        Group {
            name,
            leader: cluster["leader"].as_str().unwrap_or("").to_owned(),
            replicas,
        }
    }

    /// A leader, and every other copy current and online.
    fn whole(&self) -> bool {
        !self.leader.is_empty()
            && self
                .replicas
                .iter()
                .all(|(_, current, offline)| *current && !offline)
    }
}

/// Every stream's and consumer's group, `None` if the API does not answer in full (a
/// stream without a leader is listed as missing).
fn groups(beats: &Beats) -> Option<Vec<Group>> {
    let list = beats.try_api("STREAM.LIST", "")?;
    if list.get("error").is_some() || list["missing"].as_array().is_some_and(|m| !m.is_empty()) {
        return None;
    }
    let mut groups = Vec::new();
    for stream in list["streams"].as_array()? {
        let name = stream["config"]["name"].as_str()?.to_owned();
        groups.push(Group::read(name.clone(), &stream["cluster"]));
        let consumers = beats.try_api(&format!("CONSUMER.LIST.{name}"), "")?;
        if consumers.get("error").is_some() {
            return None;
        }
        for consumer in consumers["consumers"].as_array()? {
            let consumer_name = consumer["name"].as_str().unwrap_or("?");
            groups.push(Group::read(
                format!("{name} > {consumer_name}"),
                &consumer["cluster"],
            ));
        }
    }
    Some(groups)
}
