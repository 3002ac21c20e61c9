//! The status page (`spec/http.md` §5.11): three static files compiled into the binary,
//! so that nobody builds anything to get it. They hold no data (the script fetches
//! `/status`), so they are served without the ping key; the page asks for the key
//! itself when `/status` answers 401.
//!
//! Every answer carries a Content-Security-Policy that allows scripts, styles and
//! requests from the receiver only and no inline script at all: a process name or run
//! id that slipped into the page as markup still could not run. The script builds the
//! page with `textContent`, never with markup made from data.

use bytes::Bytes;
use hyper::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, HeaderName, HeaderValue, REFERRER_POLICY,
    X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use hyper::{Response, StatusCode};

use super::answer::{Answer, AnswerBody};
use super::target::Asset;

const INDEX: &str = include_str!("../../ui/index.html");
const SCRIPT: &str = include_str!("../../ui/app.js");
const STYLE: &str = include_str!("../../ui/style.css");

/// The policy of every file of the page: nothing but the receiver's own scripts,
/// styles and requests; no inline script or style, no frames, no forms, no plugins.
pub const CONTENT_SECURITY_POLICY_VALUE: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

impl Asset {
    fn file(self) -> (&'static str, &'static str) {
        match self {
            Asset::Index => (INDEX, "text/html; charset=utf-8"),
            Asset::Script => (SCRIPT, "text/javascript; charset=utf-8"),
            Asset::Style => (STYLE, "text/css; charset=utf-8"),
        }
    }
}

/// The answer for `asset`; `head`: the headers only.
pub(crate) fn answer(asset: Asset, head: bool) -> Answer {
    let (text, content_type) = asset.file();
    let body = (!head).then(|| Bytes::from_static(text.as_bytes()));
    let mut response = Response::new(AnswerBody::Full(body));
    *response.status_mut() = StatusCode::OK;
    let headers = response.headers_mut();
    for (name, value) in [
        (CONTENT_TYPE, content_type),
        (CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY_VALUE),
        (X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (X_FRAME_OPTIONS, "DENY"),
        (REFERRER_POLICY, "no-referrer"),
        // A new binary's page is taken at once, never an old one from a cache.
        (CACHE_CONTROL, "no-cache"),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}
