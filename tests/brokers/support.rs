//! What the broker tests share: the brokers of the machine, private brokers for restart
//! tests, unique names, bounded waits.
#![allow(dead_code, unreachable_pub)]

use std::future::Future;
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures_util::StreamExt;
use heartwire::text::Seconds;
use heartwire::transport::{Delivery, Invalid, Origin};
use heartwire_broker::Subscriber;

/// Where an item came from, valid or not.
pub fn origin(item: &Result<Delivery, Invalid>) -> &Origin {
    match item {
        Ok(d) => &d.origin,
        Err(i) => &i.origin,
    }
}

/// The next item whose address holds `token` (other tests and runs share the brokers),
/// valid or not, failing the test after [`BOUND`].
pub async fn next_about(sub: &mut impl Subscriber, token: &str) -> Result<Delivery, Invalid> {
    bounded(token, async {
        loop {
            match StreamExt::next(sub).await {
                Some(item) if origin(&item).address.contains(token) => return item,
                Some(_) => {}
                None => panic!("the subscription ended"),
            }
        }
    })
    .await
}

/// Whole seconds, for signals.
pub fn secs(n: u64) -> Seconds {
    Seconds::from_secs(n).unwrap_or(Seconds::MIN)
}

/// The value, or a test failure that shows the error.
pub fn ok<T, E: std::fmt::Display>(r: Result<T, E>) -> T {
    r.unwrap_or_else(|e| panic!("{e}"))
}

/// The longest any single wait of a broker test may take before the test fails.
pub const BOUND: Duration = Duration::from_secs(30);

/// A token unique to this test run and call: letters, digits and `_` only, so it is a
/// valid name on every broker.
pub fn unique(label: &str) -> String {
    static COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!("{label}_{}_{nanos}_{n}", std::process::id())
}

/// The broker of this machine at `port`, or a panic that says how to start it.
pub fn require(name: &str, port: u16, start: &str) {
    if TcpStream::connect(("127.0.0.1", port)).is_err() {
        panic!(
            "{name} is not running on 127.0.0.1:{port}; the broker tests need it \
             (README, \"Broker adapters\"). Start it with:\n    {start}"
        );
    }
}

pub fn require_nats() {
    require("NATS", 4222, "nats-server -a 127.0.0.1 -p 4222 &");
}

pub fn require_redis() {
    require(
        "Redis",
        6379,
        "redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' --appendonly no",
    );
}

pub fn require_mosquitto() {
    require("Mosquitto", 1883, "mosquitto -d -p 1883");
}

pub fn require_rabbitmq() {
    require("RabbitMQ", 5672, "rabbitmq-server -detached");
}

/// Waits for `future`, failing the test (not hanging it) after [`BOUND`].
pub async fn bounded<T>(what: &str, future: impl Future<Output = T>) -> T {
    match tokio::time::timeout(BOUND, future).await {
        Ok(t) => t,
        Err(_) => panic!("{what}: nothing within {BOUND:?}"),
    }
}

/// Retries `attempt` every 100 ms until it gives `Some`, failing the test after
/// [`BOUND`].
pub async fn eventually<T, F, Fut>(what: &str, mut attempt: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let started = Instant::now();
    loop {
        if let Some(t) = attempt().await {
            return t;
        }
        if started.elapsed() > BOUND {
            panic!("{what}: not within {BOUND:?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A bound on a retry loop: [`Deadline::check`] fails the test once [`BOUND`] has
/// passed since [`Deadline::start`].
pub struct Deadline(Instant);

impl Deadline {
    pub fn start() -> Deadline {
        Deadline(Instant::now())
    }

    /// Fails the test when the bound has passed; otherwise waits 100 ms, the pace of a
    /// retry loop.
    pub async fn check(&self, what: &str) {
        if self.0.elapsed() > BOUND {
            panic!("{what}: not within {BOUND:?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A port nobody listens on now.
pub fn free_port() -> u16 {
    match TcpListener::bind(("127.0.0.1", 0)).and_then(|l| l.local_addr()) {
        Ok(addr) => addr.port(),
        Err(e) => panic!("no free port: {e}"),
    }
}

/// A broker process of the test's own, on its own port, killed on drop; it can be
/// stopped and started again on the same port.
pub struct PrivateBroker {
    program: &'static str,
    args: Vec<String>,
    env: Vec<(String, String)>,
    pub port: u16,
    child: Option<Child>,
    pub dir: PathBuf,
    boot: Duration,
}

impl PrivateBroker {
    /// A private `nats-server`.
    pub fn nats() -> PrivateBroker {
        let port = free_port();
        PrivateBroker::start(
            "nats-server",
            vec![
                "-a".into(),
                "127.0.0.1".into(),
                "-p".into(),
                port.to_string(),
            ],
            vec![],
            port,
            temp_dir("broker"),
            Duration::from_secs(10),
        )
    }

    /// A private `redis-server`, keeping nothing on disk.
    pub fn redis() -> PrivateBroker {
        let port = free_port();
        PrivateBroker::start(
            "redis-server",
            [
                "--bind",
                "127.0.0.1",
                "--port",
                &port.to_string(),
                "--save",
                "",
                "--appendonly",
                "no",
            ]
            .map(String::from)
            .to_vec(),
            vec![],
            port,
            temp_dir("broker"),
            Duration::from_secs(10),
        )
    }

    /// A private `mosquitto` (anonymous clients on loopback).
    pub fn mosquitto() -> PrivateBroker {
        let port = free_port();
        let dir = temp_dir("mosquitto");
        let conf = dir.join("mosquitto.conf");
        let text = format!("listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n");
        if let Err(e) = std::fs::write(&conf, text) {
            panic!("cannot write {}: {e}", conf.display());
        }
        PrivateBroker::start(
            "mosquitto",
            vec!["-c".into(), conf.display().to_string()],
            vec![],
            port,
            dir,
            Duration::from_secs(10),
        )
    }

    /// A private `rabbitmq-server` node: its own name, ports and directories. The
    /// server script runs the node as the `rabbitmq` user when started as root, so the
    /// directory is open to it.
    pub fn rabbitmq() -> PrivateBroker {
        let port = free_port();
        let dist = free_port();
        let dir = temp_dir("rabbitmq");
        let node = format!("hw{}_{port}@localhost", std::process::id());
        let files = [
            (
                "rabbitmq.conf",
                format!("listeners.tcp.default = 127.0.0.1:{port}\nloopback_users = none\n"),
            ),
            ("enabled_plugins", "[].\n".to_owned()),
        ];
        for (name, text) in files {
            if let Err(e) = std::fs::write(dir.join(name), text) {
                panic!("cannot write {name} in {}: {e}", dir.display());
            }
        }
        for sub in ["mnesia", "log"] {
            if let Err(e) = std::fs::create_dir_all(dir.join(sub)) {
                panic!("cannot create {sub} in {}: {e}", dir.display());
            }
        }
        open_to_all(&dir);
        let path = |p: &str| dir.join(p).display().to_string();
        let env = vec![
            ("RABBITMQ_NODE_PORT".into(), port.to_string()),
            ("RABBITMQ_NODENAME".into(), node),
            ("RABBITMQ_DIST_PORT".into(), dist.to_string()),
            ("RABBITMQ_MNESIA_BASE".into(), path("mnesia")),
            ("RABBITMQ_LOG_BASE".into(), path("log")),
            ("RABBITMQ_CONFIG_FILE".into(), path("rabbitmq")),
            (
                "RABBITMQ_ENABLED_PLUGINS_FILE".into(),
                path("enabled_plugins"),
            ),
            ("RABBITMQ_FEATURE_FLAGS_FILE".into(), path("feature_flags")),
            ("RABBITMQ_PID_FILE".into(), path("rabbit.pid")),
        ];
        PrivateBroker::start(
            "rabbitmq-server",
            vec![],
            env,
            port,
            dir,
            Duration::from_secs(120),
        )
    }

    fn start(
        program: &'static str,
        args: Vec<String>,
        env: Vec<(String, String)>,
        port: u16,
        dir: PathBuf,
        boot: Duration,
    ) -> PrivateBroker {
        let mut broker = PrivateBroker {
            program,
            args,
            env,
            port,
            child: None,
            dir,
            boot,
        };
        broker.resume();
        broker
    }

    /// Starts the broker again on its port and waits until it accepts connections.
    pub fn resume(&mut self) {
        let log = match std::fs::File::create(self.dir.join("broker.log")) {
            Ok(f) => f,
            Err(e) => panic!(
                "cannot create the broker log in {}: {e}",
                self.dir.display()
            ),
        };
        let child = Command::new(self.program)
            .args(&self.args)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .stdout(log.try_clone().map_or_else(|_| Stdio::null(), Stdio::from))
            .stderr(Stdio::from(log))
            .spawn();
        match child {
            Ok(child) => self.child = Some(child),
            Err(e) => panic!("cannot start {} (is it installed?): {e}", self.program),
        }
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            if started.elapsed() > self.boot {
                let log = std::fs::read_to_string(self.dir.join("broker.log")).unwrap_or_default();
                panic!(
                    "{} did not listen on {} within {:?}:\n{log}",
                    self.program, self.port, self.boot
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Kills the broker (SIGKILL: no goodbye to its clients) and waits for it to exit.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        // RabbitMQ's server script runs the Erlang VM as a process of its own, which
        // writes its id to the pid file: kill that one too.
        let pid_file = self.dir.join("rabbit.pid");
        if let Ok(pid) = std::fs::read_to_string(&pid_file) {
            let pid = pid.trim();
            if !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()) {
                let _ = Command::new("kill").args(["-9", pid]).status();
            }
            let _ = std::fs::remove_file(&pid_file);
        }
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", self.port)).is_ok() && started.elapsed() < BOUND {
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// `host:port`.
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

impl Drop for PrivateBroker {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Opens a directory tree to every user (for a server that drops to a user of its own).
fn open_to_all(dir: &std::path::Path) {
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o777));
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                open_to_all(&path);
            } else {
                let _ = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o666));
            }
        }
    }
}

fn temp_dir(label: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(unique(&format!("heartwire-{label}")));
    if let Err(e) = std::fs::create_dir_all(&dir) {
        panic!("cannot create {}: {e}", dir.display());
    }
    dir
}

/// A password holding every character that ends a part of a URL (`/ # ? @ :`) and `%`,
/// made of pieces distinct enough to look for in any text.
pub const SPECIAL_PASSWORD: &str = "Pw0rd/S3c#Fr4g?Q5y@A7t:C0l%P3t";

/// [`SPECIAL_PASSWORD`] percent-encoded, as it belongs in a URL.
pub const SPECIAL_PASSWORD_ENCODED: &str = "Pw0rd%2FS3c%23Fr4g%3FQ5y%40A7t%3AC0l%25P3t";

/// The pieces of [`SPECIAL_PASSWORD`] between its special characters.
pub const SPECIAL_PASSWORD_PIECES: [&str; 7] = ["Pw0rd", "S3c", "Fr4g", "Q5y", "A7t", "C0l", "P3t"];

/// `scheme://user:password@host_port/path` with [`SPECIAL_PASSWORD`] percent-encoded, then
/// raw (unencoded, as a user may well type it).
pub fn special_password_urls(scheme: &str, user: &str, host_port: &str, path: &str) -> [String; 2] {
    [SPECIAL_PASSWORD_ENCODED, SPECIAL_PASSWORD]
        .map(|password| format!("{scheme}://{user}:{password}@{host_port}{path}"))
}

/// Fails the test if `shown` holds [`SPECIAL_PASSWORD`], encoded or not, or any piece
/// of it.
pub fn assert_hides_special_password(shown: &str) {
    for secret in [SPECIAL_PASSWORD, SPECIAL_PASSWORD_ENCODED]
        .into_iter()
        .chain(SPECIAL_PASSWORD_PIECES)
    {
        assert!(!shown.contains(secret), "{secret:?} shown in: {shown}");
    }
}

/// A subscription's health after its broker was killed (not before `before_kill`) and
/// started again (at `before_resume`), and then heard from: connected, one outage that
/// began after the kill and before the restart and ended after the restart, nothing
/// counted as lost.
pub fn assert_one_outage(
    status: &heartwire_broker::LinkStatus,
    before_kill: heartwire::time::UnixTime,
    before_resume: heartwire::time::UnixTime,
) {
    assert!(status.connected, "{status:?}");
    assert_eq!(status.outages, 1, "{status:?}");
    let (down, up) = status
        .last_outage()
        .unwrap_or_else(|| panic!("no outage in {status:?}"));
    assert!(before_kill <= down && down <= before_resume, "{status:?}");
    assert!(before_resume <= up, "{status:?}");
    assert_eq!(status.lost_total(), 0, "{status:?}");
}
