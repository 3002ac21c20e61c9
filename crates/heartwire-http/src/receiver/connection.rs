//! Connections: accepted up to the caps, the excess refused at once without a task of
//! its own; each served by hyper with the header timeout, and closed when an answer is
//! not taken within the send timeout.

use std::convert::Infallible;
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;

use super::answer::Shared;
use super::clients::{ClientId, Full, Slot, Slots};
use super::lock;

/// Accepts connections forever.
pub(crate) async fn serve(listener: TcpListener, shared: Arc<Shared>, connections: Arc<Slots>) {
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(_) => {
                // Out of descriptors or a connection reset before accept: wait, go on.
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let client = ClientId::of(peer.ip());
        match connections.take(client) {
            Ok(slot) => {
                tokio::spawn(connection(stream, client, Arc::clone(&shared), slot));
            }
            Err(full) => {
                shared
                    .stats
                    .refused_connections
                    .fetch_add(1, Ordering::Relaxed);
                refuse(stream, client, full);
            }
        }
    }
}

/// Writes a 503 if the socket takes it at once, and closes the connection.
fn refuse(stream: TcpStream, client: ClientId, full: Full) {
    let reason = match full {
        Full::All(n) => format!("too many connections: {n} open"),
        Full::Client(n) => format!("too many connections from {client}: {n} open"),
    };
    let answer = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: {}\r\nretry-after: 1\r\nconnection: close\r\n\r\n{reason}\n",
        reason.len() + 1
    );
    // The std socket is non-blocking: a write that would wait is skipped.
    if let Ok(stream) = stream.into_std() {
        let _ = (&stream).write(answer.as_bytes());
    }
}

/// Counts an open connection until dropped.
struct Open<'a>(&'a AtomicU64);

impl Drop for Open<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

async fn connection(stream: TcpStream, client: ClientId, shared: Arc<Shared>, slot: Slot) {
    let _slot = slot;
    shared.stats.connections.fetch_add(1, Ordering::Relaxed);
    let _open = Open(&shared.stats.connections);
    let _ = stream.set_nodelay(true);
    let send_timeout = shared.config.send_timeout;
    let watch = Arc::new(SendWatch::default());
    let service = {
        let shared = Arc::clone(&shared);
        let watch = Arc::clone(&watch);
        hyper::service::service_fn(move |request| {
            watch.set(None);
            let shared = Arc::clone(&shared);
            let watch = Arc::clone(&watch);
            async move {
                let answer = shared.answer(client, request).await;
                watch.set(Some(Instant::now() + send_timeout));
                Ok::<_, Infallible>(answer)
            }
        })
    };
    let connection = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(shared.config.header_timeout)
        .max_buf_size(shared.config.head_buffer())
        .serve_connection(TokioIo::new(stream), service);
    // Dropping the connection closes it.
    tokio::select! {
        _ = connection => {}
        () = watch.expired(send_timeout) => {}
    }
}

/// When the answer being sent must have been taken by.
#[derive(Debug, Default)]
struct SendWatch {
    deadline: Mutex<Option<Instant>>,
}

impl SendWatch {
    fn set(&self, deadline: Option<Instant>) {
        *lock(&self.deadline) = deadline;
    }

    /// Returns when the deadline has passed, looking again at least every `period`.
    async fn expired(&self, period: Duration) {
        loop {
            let deadline = *lock(&self.deadline);
            match deadline {
                Some(at) if at <= Instant::now() => return,
                Some(at) => tokio::time::sleep_until(at).await,
                None => tokio::time::sleep(period).await,
            }
        }
    }
}
