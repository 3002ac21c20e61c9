//! [`NatsReader`]: a subscriber on `heartbeat.>` that speaks the NATS client protocol
//! itself, over plain TCP, and hands out batches borrowed from its read buffer, so a
//! monitor decodes beats in place: no allocation, no copy, no channel per message.
//!
//! Why a second subscriber beside [`NatsSubscriber`](crate::NatsSubscriber): the general
//! client spends most of a beat's cost on its own bookkeeping (a subject copy, a channel,
//! a timer reset and a search set up per message), several times what decoding and
//! judging the beat costs. This reader keeps only what a subscriber needs: `CONNECT`,
//! one `SUB`, `PING`/`PONG`, and the server's `INFO`, `MSG`, `HMSG`, `+OK` and `-ERR`.
//! It does not speak TLS: a server that requires it is refused with
//! [`Fault::Unsupported`](crate::Fault::Unsupported), and the caller falls back to the general client.
//!
//! Nothing is lost in the reader: it holds what the socket gave it and reads more only
//! when the batch before is done, so a monitor that falls behind slows the socket, and
//! the backlog waits in the server (which closes a client that stays behind past its
//! pending limit: an outage, reported as one).

use std::ops::Range;
use std::time::Duration;

use heartwire::time::{SystemClock, WallClock};
use heartwire::transport::NATS_FILTER;
use heartwire_broker::{Backoff, BrokerError, Fault, LinkHealth, Loss, Step};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::NatsConfig;
use crate::url::{Server, servers};

/// The longest control line (`MSG ...`, `INFO {...}`) read: the server's own default
/// (`max_control_line`, 4 KiB) with room for a long `INFO`.
pub const MAX_CONTROL_LINE: usize = 64 * 1024;

/// The largest message kept: the server's largest `max_payload` (64 MiB) is allowed by
/// NATS, but no heartbeat comes near 1 MiB (its default); a larger message is skipped as
/// it arrives and counted as lost, [`Loss::Oversized`], and the connection is kept.
pub const MAX_MESSAGE: usize = 1024 * 1024;

/// How much is read from the socket at once.
const READ_SIZE: usize = 256 * 1024;

/// How long a silent connection waits before it sends a `PING`; two unanswered ones
/// end it.
const PING_INTERVAL: Duration = Duration::from_secs(20);

/// One operation the server sent, with the bytes it took.
#[derive(Debug, PartialEq, Eq)]
enum Op {
    /// A message: its subject and payload, as ranges of the buffer.
    Msg {
        subject: Range<usize>,
        payload: Range<usize>,
    },
    /// A message over [`MAX_MESSAGE`]: its bytes after the control line are skipped.
    Oversized {
        skip: usize,
    },
    Ping,
    Pong,
    Ok,
    Info {
        tls_required: bool,
    },
    Err(String),
}

/// What the start of `buf` holds.
#[derive(Debug, PartialEq, Eq)]
enum Parsed {
    /// An operation, and how many bytes it took (for [`Op::Oversized`], its control
    /// line only).
    Op(Op, usize),
    /// Not all of it has arrived.
    Incomplete,
    /// Not the NATS protocol.
    Invalid(&'static str),
}

/// Parses one server operation at the start of `buf`; `base` is `buf`'s offset in the
/// reader's buffer, for the ranges.
fn parse(buf: &[u8], base: usize) -> Parsed {
    let window = &buf[..buf.len().min(MAX_CONTROL_LINE)];
    // The line ends at its first LF, which must follow a CR.
    let Some(eol) = memchr::memchr(b'\n', window) else {
        return if buf.len() >= MAX_CONTROL_LINE {
            Parsed::Invalid("a control line over the limit")
        } else {
            Parsed::Incomplete
        };
    };
    if eol == 0 || buf[eol - 1] != b'\r' {
        return Parsed::Invalid("a control line not ended by CR LF");
    }
    let eol = eol - 1;
    let line = &buf[..eol];
    let after = eol + 2;
    let (verb, args) = match line.iter().position(|&b| b == b' ' || b == b'\t') {
        Some(i) => (&line[..i], &line[i + 1..]),
        None => (line, &[][..]),
    };
    let mut fields = args
        .split(|&b| b == b' ' || b == b'\t')
        .filter(|f| !f.is_empty());
    let number = |f: Option<&[u8]>| -> Option<usize> {
        let f = f?;
        if f.is_empty() || f.len() > 12 {
            return None;
        }
        f.iter().try_fold(0usize, |n, &b| {
            b.is_ascii_digit().then(|| n * 10 + usize::from(b - b'0'))
        })
    };
    match verb {
        b"MSG" | b"HMSG" => {
            let Some(subject) = fields.next() else {
                return Parsed::Invalid("a MSG without a subject");
            };
            let mut rest: [&[u8]; 4] = [&[]; 4];
            let mut count = 0;
            for field in fields {
                if count == rest.len() {
                    return Parsed::Invalid("a MSG with the wrong number of fields");
                }
                rest[count] = field;
                count += 1;
            }
            // MSG subject sid [reply] len; HMSG subject sid [reply] header_len total_len
            let (headers, total) = match (verb, &rest[..count]) {
                (b"MSG", [_sid, len] | [_sid, _, len]) => (Some(0), number(Some(len))),
                (b"HMSG", [_sid, h, len] | [_sid, _, h, len]) => {
                    (number(Some(h)), number(Some(len)))
                }
                _ => return Parsed::Invalid("a MSG with the wrong number of fields"),
            };
            let (Some(headers), Some(total)) = (headers, total) else {
                return Parsed::Invalid("a MSG length that is not a number");
            };
            if headers > total {
                return Parsed::Invalid("a HMSG whose headers are longer than it");
            }
            if total > MAX_MESSAGE {
                return Parsed::Op(Op::Oversized { skip: total + 2 }, after);
            }
            if buf.len() < after + total + 2 {
                return Parsed::Incomplete;
            }
            if &buf[after + total..after + total + 2] != b"\r\n" {
                return Parsed::Invalid("a message not followed by CR LF");
            }
            let subject_start = subject.as_ptr() as usize - buf.as_ptr() as usize;
            Parsed::Op(
                Op::Msg {
                    subject: base + subject_start..base + subject_start + subject.len(),
                    payload: base + after + headers..base + after + total,
                },
                after + total + 2,
            )
        }
        b"PING" => Parsed::Op(Op::Ping, after),
        b"PONG" => Parsed::Op(Op::Pong, after),
        b"+OK" => Parsed::Op(Op::Ok, after),
        b"INFO" => {
            // Only one member matters here; a JSON parser for it is not worth its weight.
            let text = String::from_utf8_lossy(args);
            let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
            Parsed::Op(
                Op::Info {
                    tls_required: compact.contains("\"tls_required\":true"),
                },
                after,
            )
        }
        b"-ERR" => Parsed::Op(
            Op::Err(
                String::from_utf8_lossy(args)
                    .trim()
                    .trim_matches('\'')
                    .to_owned(),
            ),
            after,
        ),
        _ => Parsed::Invalid("an operation the NATS protocol does not have"),
    }
}

/// A JSON string, quoted and escaped.
fn json_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Messages on `heartbeat.>`, a batch at a time, borrowed from the reader's buffer.
///
/// It speaks the NATS client protocol itself, over plain TCP: the general client
/// ([`NatsSubscriber`](crate::NatsSubscriber)) spends several times what decoding and
/// judging a beat costs on its own bookkeeping per message (a subject copy, a channel, a
/// timer reset). It keeps only what a subscriber needs (`CONNECT`, one `SUB`,
/// `PING`/`PONG`; the server's `INFO`, `MSG`, `HMSG`, `+OK`, `-ERR`), and refuses a
/// server that requires TLS with [`Fault::Unsupported`](crate::Fault::Unsupported).
///
/// Nothing is lost in it: it reads more only when the batch before is done, so a reader
/// that falls behind slows the socket and the backlog waits in the server (which closes
/// a client that stays behind past its pending limit: an outage, reported as one).
///
/// ```no_run
/// use heartwire::text::Message;
/// use heartwire_nats::{NatsConfig, NatsReader};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let mut reader = NatsReader::connect(&NatsConfig::new("nats://127.0.0.1:4222")).await?;
/// loop {
///     for (subject, payload) in reader.next_batch().await.iter() {
///         match Message::decode(subject, payload) {
///             Ok(message) => println!("{message}"),
///             Err(e) => eprintln!("invalid: {e}"),
///         }
///     }
/// }
/// # }
/// ```
pub struct NatsReader {
    config: NatsConfig,
    servers: Vec<Server>,
    next_server: usize,
    stream: Option<TcpStream>,
    buf: Vec<u8>,
    /// The bytes of `buf` not parsed yet.
    start: usize,
    end: usize,
    /// Bytes of an oversized message still to skip.
    skip: usize,
    spans: Vec<(Range<usize>, Range<usize>)>,
    pings_out: u32,
    backoff: Backoff,
    /// When to try connecting again, after a failure: kept across calls, so that a
    /// caller that gives up waiting (a timeout around `next_batch`) does not start the
    /// pause again.
    retry_at: Option<tokio::time::Instant>,
    health: LinkHealth,
}

impl std::fmt::Debug for NatsReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NatsReader")
            .field("config", &self.config)
            .field("connected", &self.stream.is_some())
            .finish_non_exhaustive()
    }
}

/// One batch: every message that had arrived whole, in order.
#[derive(Debug)]
pub struct Batch<'a> {
    buf: &'a [u8],
    spans: &'a [(Range<usize>, Range<usize>)],
}

impl<'a> Batch<'a> {
    /// How many messages.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// Each message's subject and payload, as received.
    pub fn iter(&self) -> impl Iterator<Item = (&'a [u8], &'a [u8])> + '_ {
        let buf = self.buf;
        self.spans
            .iter()
            .map(move |(s, p)| (&buf[s.clone()], &buf[p.clone()]))
    }
}

impl NatsReader {
    /// Connects to the first server of the URL that answers and subscribes to
    /// `heartbeat.>` and the command subjects of its extension points; returns once the server has the subscription, so nothing published
    /// after it is missed. [`Fault::Unsupported`](crate::Fault::Unsupported) for what it does not speak (TLS, a
    /// scheme other than `nats://`).
    pub async fn connect(config: &NatsConfig) -> Result<NatsReader, BrokerError> {
        let servers =
            servers(config.endpoint.url().secret()).map_err(|what| unsupported(config, what))?;
        let mut reader = NatsReader {
            config: config.clone(),
            servers,
            next_server: 0,
            stream: None,
            buf: vec![0; READ_SIZE + MAX_CONTROL_LINE],
            start: 0,
            end: 0,
            skip: 0,
            spans: Vec::new(),
            pings_out: 0,
            backoff: Backoff::new(),
            retry_at: None,
            health: config.endpoint.health().clone(),
        };
        let mut last = None;
        for _ in 0..reader.servers.len() {
            match reader.open().await {
                Ok(()) => return Ok(reader),
                Err(
                    e @ BrokerError {
                        fault: Fault::Unsupported(_),
                        ..
                    },
                ) => return Err(e),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| config.endpoint.bad_url("no server in the URL")))
    }

    /// Where this reader reports its connection and its losses.
    pub fn health(&self) -> &LinkHealth {
        &self.health
    }

    fn connect_error(&self, reason: String) -> BrokerError {
        self.config.endpoint.cannot_connect(&reason)
    }

    /// Connects to the next server, logs in, subscribes, and waits for the server to
    /// confirm (the `PONG` after the `SUB`).
    async fn open(&mut self) -> Result<(), BrokerError> {
        let server = self.servers[self.next_server % self.servers.len()].clone();
        self.next_server += 1;
        self.start = 0;
        self.end = 0;
        self.skip = 0;
        self.pings_out = 0;
        let timeout = self.config.endpoint.timeout();
        let address = (server.host.as_str(), server.port);
        let mut stream = match tokio::time::timeout(timeout, TcpStream::connect(address)).await {
            Ok(Ok(stream)) => stream,
            Ok(Err(e)) => return Err(self.connect_error(e.to_string())),
            Err(_) => return Err(self.connect_error(format!("no connection within {timeout:?}"))),
        };
        let _ = stream.set_nodelay(true);
        let mut connect = String::from(
            "CONNECT {\"verbose\":false,\"pedantic\":false,\"lang\":\"rust\",\"version\":\"heartwire\",\"protocol\":1,\"headers\":false,\"echo\":false",
        );
        for (key, value) in [
            ("name", self.config.name.as_deref()),
            ("user", server.user.as_deref()),
            ("pass", server.password.as_deref()),
            ("auth_token", server.token.as_deref()),
        ] {
            if let Some(value) = value {
                connect.push_str(&format!(",\"{key}\":{}", json_string(value)));
            }
        }
        connect.push_str(&format!("}}\r\nSUB {NATS_FILTER} 1\r\n"));
        for (sid, subject) in (2..).zip(self.config.command_subjects()) {
            connect.push_str(&format!("SUB {subject} {sid}\r\n"));
        }
        connect.push_str("PING\r\n");
        let handshake = async {
            // The INFO comes first; the rest is read until the PONG that follows the SUB.
            let mut info_seen = false;
            let mut sent = false;
            let mut cursor = 0;
            loop {
                if self.end == self.buf.len() {
                    return Err("the server's greeting is too long".to_owned());
                }
                let n = stream
                    .read(&mut self.buf[self.end..])
                    .await
                    .map_err(|e| e.to_string())?;
                if n == 0 {
                    return Err("the server closed the connection".to_owned());
                }
                self.end += n;
                loop {
                    match parse(&self.buf[cursor..self.end], cursor) {
                        Parsed::Incomplete => break,
                        Parsed::Invalid(why) => return Err(format!("not a NATS server: {why}")),
                        Parsed::Op(op, used) => {
                            match op {
                                Op::Info { tls_required } if !info_seen => {
                                    if tls_required {
                                        return Err("tls".to_owned());
                                    }
                                    info_seen = true;
                                    // Messages come only after the SUB: what is before the
                                    // cursor is done with.
                                    self.start = cursor + used;
                                }
                                Op::Err(e) => return Err(format!("the server refused: {e}")),
                                Op::Pong if sent => return Ok(()),
                                Op::Oversized { skip } => {
                                    // Rare while subscribing; handled by the loop later.
                                    let _ = skip;
                                    return Ok(());
                                }
                                _ => {}
                            }
                            cursor += used;
                        }
                    }
                }
                if info_seen && !sent {
                    stream
                        .write_all(connect.as_bytes())
                        .await
                        .map_err(|e| e.to_string())?;
                    sent = true;
                }
            }
        };
        match tokio::time::timeout(timeout, handshake).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) if e == "tls" => {
                return Err(unsupported(&self.config, "a server that requires TLS"));
            }
            Ok(Err(e)) => return Err(self.connect_error(e)),
            Err(_) => {
                return Err(self.connect_error(format!("not subscribed within {timeout:?}")));
            }
        }
        self.stream = Some(stream);
        self.backoff.reset();
        self.health.connected(SystemClock.now());
        Ok(())
    }

    /// The next batch: every message that has arrived whole (at least one), waiting for
    /// one if none has. Never ends: a lost connection is reported to the
    /// [`LinkHealth`] and made again (at most a second between attempts, through the
    /// servers of the URL in turn).
    pub async fn next_batch(&mut self) -> Batch<'_> {
        // What the previous batch held is done with.
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        self.spans.clear();
        loop {
            if self.stream.is_none() {
                let at = *self
                    .retry_at
                    .get_or_insert_with(|| tokio::time::Instant::now() + self.backoff.next_delay());
                tokio::time::sleep_until(at).await;
                self.retry_at = None;
                if self.open().await.is_err() {
                    self.retry_at = Some(tokio::time::Instant::now() + self.backoff.next_delay());
                }
                continue;
            }
            match self.parse_all().await {
                Ok(()) if !self.spans.is_empty() => break,
                Ok(()) => {}
                Err(_) => {
                    self.drop_connection();
                    continue;
                }
            }
            if self.read_more().await.is_err() {
                self.drop_connection();
            }
        }
        Batch {
            buf: &self.buf,
            spans: &self.spans,
        }
    }

    fn drop_connection(&mut self) {
        self.stream = None;
        self.spans.clear();
        self.start = 0;
        self.end = 0;
        self.skip = 0;
        self.health.disconnected(SystemClock.now());
    }

    /// Parses every whole operation after `start`, answering the server's `PING`s.
    async fn parse_all(&mut self) -> Result<(), String> {
        let mut pongs = 0;
        loop {
            if self.skip > 0 {
                let n = self.skip.min(self.end - self.start);
                self.skip -= n;
                self.start += n;
                if self.skip > 0 {
                    break;
                }
            }
            match parse(&self.buf[self.start..self.end], self.start) {
                Parsed::Incomplete => break,
                Parsed::Invalid(why) => return Err(why.to_owned()),
                Parsed::Op(op, used) => {
                    self.start += used;
                    match op {
                        Op::Msg { subject, payload } => self.spans.push((subject, payload)),
                        Op::Oversized { skip } => {
                            self.skip = skip;
                            self.health.lost(Loss::Oversized, 1);
                        }
                        Op::Ping => pongs += 1,
                        Op::Pong => self.pings_out = 0,
                        Op::Ok | Op::Info { .. } => {}
                        Op::Err(e) => return Err(e),
                    }
                }
            }
        }
        if self.skip > 0 {
            // Nothing after it is parsed until it is skipped.
            self.start = self.end;
        }
        if pongs > 0
            && let Some(stream) = &mut self.stream
        {
            stream
                .write_all(&b"PONG\r\n".repeat(pongs))
                .await
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    /// Reads what the socket has, after making room; a `PING` when it has been silent.
    async fn read_more(&mut self) -> Result<(), String> {
        if self.start > 0 && self.spans.is_empty() {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        let wanted = (self.end + READ_SIZE).min(MAX_MESSAGE + MAX_CONTROL_LINE + 2);
        if self.buf.len() < wanted {
            self.buf.resize(wanted, 0);
        }
        if self.end == self.buf.len() {
            // The spans of this batch hold the rest: it is returned first.
            return Ok(());
        }
        let Some(stream) = &mut self.stream else {
            return Err("not connected".to_owned());
        };
        match tokio::time::timeout(PING_INTERVAL, stream.read(&mut self.buf[self.end..])).await {
            Ok(Ok(0)) => Err("the server closed the connection".to_owned()),
            Ok(Ok(n)) => {
                self.end += n;
                self.pings_out = 0;
                Ok(())
            }
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) if self.pings_out >= 2 => Err("no answer to two pings".to_owned()),
            Err(_) => {
                self.pings_out += 1;
                stream
                    .write_all(b"PING\r\n")
                    .await
                    .map_err(|e| e.to_string())
            }
        }
    }
}

/// What the reader does not speak, which the general client does.
fn unsupported(config: &NatsConfig, what: &str) -> BrokerError {
    config
        .endpoint
        .error(Step::Connect, Fault::Unsupported(what.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(text: &[u8]) -> Parsed {
        parse(text, 0)
    }

    #[test]
    fn messages_are_ranges_of_the_buffer() {
        let buf = b"MSG heartbeat.api 1 6\r\nbeat/5\r\nPING\r\n";
        let Parsed::Op(Op::Msg { subject, payload }, used) = op(buf) else {
            panic!("{:?}", op(buf))
        };
        assert_eq!(&buf[subject], b"heartbeat.api");
        assert_eq!(&buf[payload], b"beat/5");
        assert_eq!(parse(&buf[used..], used), Parsed::Op(Op::Ping, 6));
        let reply = b"MSG heartbeat.a 9 _INBOX.x 4\r\nstop\r\n";
        assert!(matches!(op(reply), Parsed::Op(Op::Msg { .. }, n) if n == reply.len()));
        let headers = b"HMSG heartbeat.a 1 12 16\r\nNATS/1.0\r\n\r\nstop\r\n";
        let Parsed::Op(Op::Msg { payload, .. }, _) = op(headers) else {
            panic!("{:?}", op(headers))
        };
        assert_eq!(&headers[payload], b"stop");
    }

    #[test]
    fn partial_operations_wait_and_bad_ones_are_refused() {
        assert_eq!(op(b"MSG heartbeat.api 1 6\r\nbeat"), Parsed::Incomplete);
        assert_eq!(op(b"MSG heartbeat.api 1 6"), Parsed::Incomplete);
        assert_eq!(op(b""), Parsed::Incomplete);
        assert!(matches!(
            op(b"MSG heartbeat.api 1 x\r\n"),
            Parsed::Invalid(_)
        ));
        assert!(matches!(op(b"MSG a\r\n"), Parsed::Invalid(_)));
        assert!(matches!(op(b"MSG a 1 2\r\nabcd\r\n"), Parsed::Invalid(_)));
        assert!(matches!(op(b"HELLO\r\n"), Parsed::Invalid(_)));
        let long = vec![b'A'; MAX_CONTROL_LINE + 1];
        assert!(matches!(op(&long), Parsed::Invalid(_)));
        let huge = format!("MSG heartbeat.a 1 {}\r\n", MAX_MESSAGE + 1);
        assert_eq!(
            op(huge.as_bytes()),
            Parsed::Op(
                Op::Oversized {
                    skip: MAX_MESSAGE + 3
                },
                huge.len()
            )
        );
    }

    #[test]
    fn server_operations() {
        assert_eq!(
            op(b"-ERR 'Authorization Violation'\r\n"),
            Parsed::Op(Op::Err("Authorization Violation".to_owned()), 32)
        );
        let info = b"INFO {\"tls_required\": true, \"port\":4222}\r\n";
        assert_eq!(
            op(info),
            Parsed::Op(Op::Info { tls_required: true }, info.len())
        );
        assert_eq!(op(b"+OK\r\n"), Parsed::Op(Op::Ok, 5));
        assert_eq!(op(b"PONG\r\n"), Parsed::Op(Op::Pong, 6));
    }

    #[test]
    fn json_strings_are_escaped() {
        assert_eq!(json_string("a\"b\\c\n"), r#""a\"b\\c\u000a""#);
    }
}
