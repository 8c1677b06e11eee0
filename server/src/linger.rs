//! Refusing a request before its body is read, so that the client reads the refusal.
//!
//! A server that answers and closes while a request body is still arriving resets the
//! connection when the rest of the body reaches its closed socket, and the reset can make
//! the client's stack drop the answer before the client reads it, or fail the client's
//! next write (RFC 9112 section 9.6): a wrong token then reads as "broken pipe". So a small
//! body that was never read is read to its end and dropped first, within a bound of bytes
//! and time; a client that asked `Expect: 100-continue` has sent nothing yet and is
//! answered at once (RFC 9110 section 10.1.1), as is a body too large to drain, on a
//! connection then closed.

use crate::answer::Answer;
use http_body_util::BodyExt;
use hyper::body::{Body, Incoming};
use hyper::http::request::Parts;
use std::time::Duration;

/// The most bytes of an unread body read and dropped before a refusal.
const MAX: u64 = 1 << 20;

/// The longest a refusal waits for the body it drops (less when the server gives a body less
/// time: a refused client never holds a request longer than an accepted one may).
const TIME: Duration = Duration::from_secs(2);

/// `refusal`, sent once the unread `body` of the request `head` has arrived, when it is
/// small enough to be worth waiting for (within `body_timeout`, the time any body is given);
/// with `Connection: close` when it is not.
pub(crate) async fn refuse(
    head: &Parts,
    body: Incoming,
    refusal: Answer,
    body_timeout: Duration,
) -> Answer {
    if body.is_end_stream() {
        return refusal;
    }
    if expects_continue(head) || body.size_hint().lower() > MAX {
        return refusal.with("connection", "close");
    }
    match tokio::time::timeout(TIME.min(body_timeout), drain(body)).await {
        Ok(true) => refusal,
        _ => refusal.with("connection", "close"),
    }
}

/// Reads `body` to its end, dropping what it holds: whether it ended within [`MAX`] bytes.
async fn drain(mut body: Incoming) -> bool {
    let mut read = 0u64;
    while let Some(frame) = body.frame().await {
        let Ok(frame) = frame else { return false };
        if let Ok(data) = frame.into_data() {
            read += data.len() as u64;
            if read > MAX {
                return false;
            }
        }
    }
    true
}

/// Whether the client waits for `100 (Continue)` before it sends the body.
fn expects_continue(head: &Parts) -> bool {
    head.headers
        .get(hyper::header::EXPECT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("100-continue"))
}
