//! A private moto server (a local SQS-compatible server, `tests/sqs/setup-venv.sh`) on
//! a free port, for the SQS tests; killed when dropped.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// How long moto may take to start listening (a few seconds on a busy machine).
const STARTUP: Duration = Duration::from_secs(60);

/// The account id moto gives every queue URL.
pub const ACCOUNT: &str = "123456789012";

/// The region the tests use.
pub const REGION: &str = "us-east-1";

/// The moto venv's `moto_server`, set up once per test binary under `target_tmpdir`
/// (its `CARGO_TARGET_TMPDIR`); panics with the set-up script's output, in every test
/// that needs it, when it cannot be set up (python3 and PyPI are needed; CI has them).
pub fn moto_server_binary(target_tmpdir: &str) -> &'static Path {
    static BINARY: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let found = BINARY.get_or_init(|| {
        let dir = Path::new(target_tmpdir).join("moto-venv");
        let python = crate::set_up_venv("tests/sqs/setup-venv.sh", &dir)?;
        Ok(python.with_file_name("moto_server"))
    });
    match found {
        Ok(binary) => binary,
        Err(why) => panic!("the SQS tests need moto's server (tests/sqs/setup-venv.sh): {why}"),
    }
}

/// A running moto server on 127.0.0.1; killed on drop.
pub struct Moto {
    binary: &'static Path,
    log: PathBuf,
    /// Its port.
    pub port: u16,
    child: Option<Child>,
}

impl Moto {
    /// Starts one on a free port and waits until it listens.
    pub fn start(target_tmpdir: &str) -> Moto {
        let binary = moto_server_binary(target_tmpdir);
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        let mut moto = Moto {
            binary,
            log: Path::new(target_tmpdir).join(format!("moto-{port}.log")),
            port,
            child: None,
        };
        moto.restart();
        moto
    }

    /// `http://127.0.0.1:<port>`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The `sqs+http://` URL of a queue on it, with the region.
    pub fn url(&self, queue: &str) -> String {
        format!(
            "sqs+http://127.0.0.1:{}/{ACCOUNT}/{queue}?region={REGION}",
            self.port
        )
    }

    /// Kills it (SIGKILL) and waits for it to end; its queues are gone with it.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it (again) on the same port and waits until it listens.
    pub fn restart(&mut self) {
        self.kill();
        let log = std::fs::File::create(&self.log).expect("the moto log file");
        let child = Command::new(self.binary)
            .args(["-H", "127.0.0.1", "-p", &self.port.to_string()])
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("the log file"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", self.binary.display()));
        self.child = Some(child);
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                started.elapsed() < STARTUP,
                "moto did not listen on {} within {STARTUP:?}; see {}",
                self.port,
                self.log.display()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Creates a queue (a FIFO one when its name ends in `.fifo`) with a visibility
    /// timeout of `visibility` seconds, through moto's query API (moto checks no
    /// signature); returns its queue URL.
    pub fn create_queue(&self, name: &str, visibility: u32) -> String {
        let mut body = format!(
            "Action=CreateQueue&Version=2012-11-05&QueueName={name}\
             &Attribute.1.Name=VisibilityTimeout&Attribute.1.Value={visibility}"
        );
        if name.ends_with(".fifo") {
            body.push_str("&Attribute.2.Name=FifoQueue&Attribute.2.Value=true");
        }
        let answer = self.post(&body);
        let url = answer
            .split_once("<QueueUrl>")
            .and_then(|(_, rest)| rest.split_once("</QueueUrl>"))
            .map(|(url, _)| url.to_owned());
        url.unwrap_or_else(|| panic!("moto did not create {name}: {answer}"))
    }

    /// Receives up to 10 messages of the queue `url` (as [`Moto::create_queue`] returned
    /// it) with every system attribute, waiting up to `wait_secs` for one; they stay in
    /// the queue, invisible for its visibility timeout (a FIFO queue's group with them).
    pub fn receive(&self, url: &str, wait_secs: u32) -> Vec<Received> {
        let answer = self.post(&format!(
            "Action=ReceiveMessage&Version=2012-11-05&QueueUrl={}\
             &AttributeName.1=All&MaxNumberOfMessages=10&WaitTimeSeconds={wait_secs}",
            form_encode(url)
        ));
        assert!(
            answer.contains("<ReceiveMessageResult"),
            "moto did not receive from {url}: {answer}"
        );
        answer
            .split("<Message>")
            .skip(1)
            .map(|message| Received {
                body: xml_unescape(between(message, "<Body>", "</Body>").unwrap_or_default()),
                attributes: message
                    .split("<Attribute>")
                    .skip(1)
                    .filter_map(|a| {
                        Some((
                            xml_unescape(between(a, "<Name>", "</Name>")?),
                            xml_unescape(between(a, "<Value>", "</Value>")?),
                        ))
                    })
                    .collect(),
            })
            .collect()
    }

    /// How many messages of the queue `url` (as [`Moto::create_queue`] returned it) are waiting and how many are in flight
    /// (received, neither deleted nor visible again), as SQS counts them.
    pub fn messages(&self, url: &str) -> (u64, u64) {
        let answer = self.post(&format!(
            "Action=GetQueueAttributes&Version=2012-11-05&QueueUrl={}\
             &AttributeName.1=ApproximateNumberOfMessages\
             &AttributeName.2=ApproximateNumberOfMessagesNotVisible",
            url.replace(':', "%3A").replace('/', "%2F")
        ));
        let count = |name: &str| -> u64 {
            answer
                .split_once(&format!("<Name>{name}</Name><Value>"))
                .and_then(|(_, rest)| rest.split_once("</Value>"))
                .and_then(|(n, _)| n.parse().ok())
                .unwrap_or_else(|| panic!("moto did not count {name}: {answer}"))
        };
        (
            count("ApproximateNumberOfMessages"),
            count("ApproximateNumberOfMessagesNotVisible"),
        )
    }

    /// Sends a query-API request to its SQS service; the whole answer.
    fn post(&self, body: &str) -> String {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).expect("moto listens");
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .expect("a timeout");
        let request = format!(
            "POST / HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n\
             Content-Type: application/x-www-form-urlencoded\r\n\
             Authorization: AWS4-HMAC-SHA256 Credential=AKIDTEST/20260101/{REGION}/sqs/aws4_request, \
             SignedHeaders=host, Signature=0\r\nContent-Length: {}\r\n\r\n{body}",
            self.port,
            body.len()
        );
        stream
            .write_all(request.as_bytes())
            .expect("the request is sent");
        let mut answer = String::new();
        let _ = stream.read_to_string(&mut answer);
        answer
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A message as moto's `ReceiveMessage` gives it.
#[derive(Debug, Clone)]
pub struct Received {
    /// The body, unescaped.
    pub body: String,
    /// The system attributes (`MessageGroupId`, `MessageDeduplicationId`, ...), in order.
    pub attributes: Vec<(String, String)>,
}

impl Received {
    /// The value of the attribute `name`.
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The text between the first `open` and the next `close`.
fn between<'a>(text: &'a str, open: &str, close: &str) -> Option<&'a str> {
    let (_, rest) = text.split_once(open)?;
    Some(rest.split_once(close)?.0)
}

/// XML text with its five entities and character references resolved.
fn xml_unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let Some(end) = rest[at..].find(';') else {
            break;
        };
        let entity = &rest[at + 1..at + end];
        let c = match entity {
            "quot" => Some('"'),
            "apos" => Some('\''),
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            _ => entity
                .strip_prefix("#x")
                .map(|hex| u32::from_str_radix(hex, 16))
                .or_else(|| entity.strip_prefix('#').map(str::parse))
                .and_then(Result::ok)
                .and_then(char::from_u32),
        };
        let c = c.unwrap_or_else(|| panic!("unknown XML entity &{entity}; in {text:?}"));
        out.push(c);
        rest = &rest[at + end + 1..];
    }
    out.push_str(rest);
    out
}

/// `application/x-www-form-urlencoded` of a value.
fn form_encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
