//! What the server sends back: a status, a content type, cache headers and a body. Every
//! refusal is JSON `{"error": WHAT, "hint": WHAT TO DO}` with a 4xx or 5xx status.

use prov_ledger::Error as LedgerError;
use serde_json::json;

/// One HTTP answer.
#[derive(Clone, Debug)]
pub struct Answer {
    /// The status code.
    pub status: u16,
    /// `Content-Type`.
    pub content_type: &'static str,
    /// Further headers (`Cache-Control`, `Retry-After`, `WWW-Authenticate`).
    pub headers: Vec<(&'static str, String)>,
    /// The body.
    pub body: Vec<u8>,
}

/// JSON, one object.
pub(crate) const JSON: &str = "application/json";
/// JSON Lines: one object a line (an upload that recorded several documents).
pub(crate) const JSON_LINES: &str = "application/jsonl";
/// Text: proofs, checkpoints.
pub(crate) const TEXT: &str = "text/plain; charset=utf-8";

impl Answer {
    /// 200 with `body` of `content_type`, not to be cached (it changes with the ledger).
    pub(crate) fn ok(content_type: &'static str, body: Vec<u8>) -> Answer {
        Answer {
            status: 200,
            content_type,
            headers: vec![("cache-control", "no-cache".into())],
            body,
        }
    }

    /// 200 with one JSON object.
    pub(crate) fn json(v: &serde_json::Value) -> Answer {
        Answer::ok(JSON, (v.to_string() + "\n").into_bytes())
    }

    /// A refusal: `{"error": ..., "hint": ...}`.
    pub(crate) fn error(status: u16, error: impl std::fmt::Display, hint: &str) -> Answer {
        Answer {
            status,
            content_type: JSON,
            headers: vec![("cache-control", "no-store".into())],
            body: (json!({"error": error.to_string(), "hint": hint}).to_string() + "\n")
                .into_bytes(),
        }
    }

    /// 503: the writer stopped (an error it cannot go on from); nothing more is recorded
    /// until the operator restarts the server.
    pub(crate) fn stopped() -> Answer {
        Answer::error(
            503,
            "the server stopped recording",
            "its operator must restart it (what it acknowledged is kept)",
        )
    }

    /// 503 with `Retry-After` (seconds): the queue is full or the writer is busy.
    pub(crate) fn busy(error: &str, retry_after: u64) -> Answer {
        let mut a = Answer::error(
            503,
            error,
            "try again after the number of seconds in Retry-After",
        );
        a.headers.push(("retry-after", retry_after.to_string()));
        a
    }

    /// With one more header.
    pub(crate) fn with(mut self, name: &'static str, value: impl Into<String>) -> Answer {
        self.headers.retain(|(n, _)| *n != name);
        self.headers.push((name, value.into()));
        self
    }

    /// A summary for the server's log line.
    pub fn summary(&self) -> String {
        match self.status {
            200..=299 => format!("{}", self.status),
            _ => format!(
                "{} {}",
                self.status,
                serde_json::from_slice::<serde_json::Value>(&self.body)
                    .ok()
                    .and_then(|v| v["error"].as_str().map(str::to_owned))
                    .unwrap_or_default()
            ),
        }
    }
}

/// The answer for a ledger error met while serving a request: what the client sent (4xx),
/// or the server's state (5xx).
pub(crate) fn from_ledger(e: &LedgerError) -> Answer {
    use LedgerError as E;
    match e {
        E::Invalid { .. } | E::EmptyStream { .. } => {
            Answer::error(400, e, "correct the request; nothing was recorded")
        }
        E::SizeMismatch { .. } => Answer::error(
            409,
            e,
            "the ledger holds this content with another size: check the hash and size sent",
        ),
        E::NoSuchEntry { .. } => Answer::error(404, e, "`GET /checkpoint` gives the ledger's size"),
        E::StreamUnreadable { .. } => {
            Answer::error(400, e, "the body could not be read whole: send it again")
        }
        E::ClockBehind { .. }
        | E::ClockBeforeCosignature { .. }
        | E::ClockBeforeTimestamp { .. }
        | E::ClockBeforeEpoch { .. } => Answer::error(
            503,
            e,
            "the server's clock is wrong: its operator must set it right; nothing was recorded",
        ),
        E::CommitUncertain { .. } | E::NotDurable { .. } => Answer::error(
            503,
            e,
            "the server stopped recording: its operator must restart it (what it acknowledged is kept)",
        ),
        _ => Answer::error(
            500,
            e,
            "the server could not answer: try again later, or tell its operator",
        ),
    }
}
