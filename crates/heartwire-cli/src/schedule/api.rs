//! The control API of `heartwire schedule run` (`spec/schedule.md` §13.3): HTTP/1.1 on
//! loopback by default, served by hyper as `heartwire monitor`'s receiver is (header
//! timeout, bounded head, bounded bodies, a cap on connections). It only reads requests
//! and hands each to the run loop, which owns the schedules and answers.
//!
//! - `POST /schedules`: a schedule document; `201` created, `200` replaced.
//! - `DELETE /schedules/<name>`: `204` deleted, `404` no such schedule.
//! - `GET /schedules`: every schedule with its target and next fire time.

use std::convert::Infallible;
use std::io::Cursor;
use std::sync::Arc;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, mpsc, oneshot};

use super::limits::{
    CONNECTION_TIMEOUT, HEAD_TIMEOUT, MAX_CONNECTIONS, MAX_DOCUMENT_LEN, MAX_HEAD_LEN,
};

/// What a client asked, for the run loop to do.
pub(crate) enum Call {
    Create(Vec<u8>),
    Delete(String),
    List,
}

/// The run loop's answer: a status and a JSON body.
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) body: String,
}

impl Answer {
    /// An error answer: `{"error": message}`.
    pub(crate) fn error(status: StatusCode, message: impl std::fmt::Display) -> Answer {
        Answer {
            status,
            body: serde_json::json!({ "error": message.to_string() }).to_string(),
        }
    }
}

/// A call and where its answer goes.
pub(crate) type Asked = (Call, oneshot::Sender<Answer>);

type Body = Full<Cursor<Vec<u8>>>;

/// Serves forever, handing every call to `calls`.
pub(crate) async fn serve(listener: TcpListener, calls: mpsc::Sender<Asked>) {
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            // Out of descriptors, or reset before accept: wait, go on.
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            continue;
        };
        // Over the cap: closed at once, without a task.
        let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
            continue;
        };
        let calls = calls.clone();
        tokio::spawn(async move {
            let _slot = slot;
            let service = hyper::service::service_fn(move |request| {
                let calls = calls.clone();
                async move { Ok::<_, Infallible>(answer(request, calls).await) }
            });
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEAD_TIMEOUT)
                .max_buf_size(MAX_HEAD_LEN.max(8192))
                .serve_connection(TokioIo::new(stream), service);
            let _ = tokio::time::timeout(CONNECTION_TIMEOUT, connection).await;
        });
    }
}

async fn answer(request: Request<Incoming>, calls: mpsc::Sender<Asked>) -> Response<Body> {
    let call = match call(request).await {
        Ok(call) => call,
        Err(answer) => return respond(answer),
    };
    let (reply, answered) = oneshot::channel();
    if calls.send((call, reply)).await.is_err() {
        return respond(Answer::error(
            StatusCode::SERVICE_UNAVAILABLE,
            "the scheduler is stopping",
        ));
    }
    match answered.await {
        Ok(answer) => respond(answer),
        Err(_) => respond(Answer::error(
            StatusCode::SERVICE_UNAVAILABLE,
            "the scheduler is stopping",
        )),
    }
}

/// What the request asks, or the answer that refuses it.
async fn call(request: Request<Incoming>) -> Result<Call, Answer> {
    let path = request.uri().path().to_owned();
    let method = request.method().clone();
    let not_allowed = |allowed: &str| {
        Err(Answer::error(
            StatusCode::METHOD_NOT_ALLOWED,
            format!("{method} {path}: expected {allowed}"),
        ))
    };
    if path == "/schedules" {
        return match method {
            Method::GET => Ok(Call::List),
            Method::POST => Ok(Call::Create(body(request).await?)),
            _ => not_allowed("GET or POST"),
        };
    }
    if let Some(name) = path.strip_prefix("/schedules/") {
        return match method {
            Method::DELETE => Ok(Call::Delete(name.to_owned())),
            _ => not_allowed("DELETE"),
        };
    }
    Err(Answer::error(
        StatusCode::NOT_FOUND,
        format!("{path}: expected /schedules or /schedules/<name>"),
    ))
}

/// The body, at most [`MAX_DOCUMENT_LEN`] bytes: `413` beyond, said by `Content-Length`
/// before anything is read when it can be.
async fn body(request: Request<Incoming>) -> Result<Vec<u8>, Answer> {
    let too_large = || {
        Answer::error(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("a schedule document is at most {MAX_DOCUMENT_LEN} bytes"),
        )
    };
    let declared = request
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > MAX_DOCUMENT_LEN as u64) {
        return Err(too_large());
    }
    match Limited::new(request.into_body(), MAX_DOCUMENT_LEN)
        .collect()
        .await
    {
        Ok(collected) => Ok(collected.to_bytes().to_vec()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(too_large()),
        Err(e) => Err(Answer::error(StatusCode::BAD_REQUEST, e)),
    }
}

fn respond(answer: Answer) -> Response<Body> {
    let mut body = answer.body.into_bytes();
    body.push(b'\n');
    let mut response = Response::new(Full::new(Cursor::new(body)));
    *response.status_mut() = answer.status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}
