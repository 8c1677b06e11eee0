//! The witness's HTTP front end: hyper 1 (HTTP/1.1, keep-alive) on a tokio runtime.
//!
//! Routes (tlog-witness, "HTTP Interface", with the submission and monitoring prefixes both
//! the server's root): `POST /add-checkpoint` and `GET /<origin hash>/checkpoint`. Anything
//! else is 404, another method on a known path 405.
//!
//! Hostile clients: a body larger than [`Limits::max_body`] is refused (413) without being
//! read further; headers must arrive within [`Limits::header_timeout`] and the whole body
//! within [`Limits::body_timeout`] (408); at most [`Limits::max_connections`] are served at
//! once (more wait in the kernel's backlog). The protocol work (signature checks, fsync) runs
//! on the blocking pool, never on the I/O threads.

use crate::add_checkpoint::{Answer, Witness};
use crate::error::{Error, Result};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use std::sync::Arc;
use std::time::Duration;

/// Bounds on what one client can make the server hold.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// The largest request body read (a note is at most 1 MiB, plus 63 proof lines).
    pub max_body: usize,
    /// Time allowed for a request's headers.
    pub header_timeout: Duration,
    /// Time allowed for a request's body.
    pub body_timeout: Duration,
    /// Connections served at once.
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body: (1 << 20) + (8 << 10),
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            max_connections: 256,
        }
    }
}

/// Serves `witness` on `listener` until the process ends; `log` gets every answer (with its
/// one-line summary), for the operator's log.
///
/// # Errors
/// [`Error::Server`] when the runtime or the listener cannot start.
pub fn serve(
    witness: Arc<Witness>,
    listener: std::net::TcpListener,
    limits: Limits,
    log: Arc<dyn Fn(&Answer) + Send + Sync>,
) -> Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Error::Server(e.to_string()))?;
    rt.block_on(async move {
        listener
            .set_nonblocking(true)
            .map_err(|e| Error::Server(e.to_string()))?;
        let listener = tokio::net::TcpListener::from_std(listener)
            .map_err(|e| Error::Server(e.to_string()))?;
        let slots = Arc::new(tokio::sync::Semaphore::new(limits.max_connections));
        loop {
            let Ok(permit) = slots.clone().acquire_owned().await else {
                return Ok(());
            };
            let stream = match listener.accept().await {
                Ok((stream, _)) => stream,
                // A connection that failed before it was accepted (reset), or no descriptor
                // left to accept it with (EMFILE, which an accept retried at once meets again
                // at once): wait a little, then the next one may do better.
                Err(_) => {
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    continue;
                }
            };
            let (witness, log) = (witness.clone(), log.clone());
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |req| {
                    handle(witness.clone(), log.clone(), limits, req)
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(limits.header_timeout)
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
                drop(permit);
            });
        }
    })
}

fn respond(a: &Answer) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(a.body.clone())));
    *r.status_mut() = StatusCode::from_u16(a.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let Ok(v) = hyper::header::HeaderValue::from_str(a.content_type) {
        r.headers_mut().insert(hyper::header::CONTENT_TYPE, v);
    }
    r
}

fn plain(status: u16, why: &str) -> Answer {
    Answer {
        status,
        content_type: "text/plain; charset=utf-8",
        body: format!("{why}\n"),
        summary: format!("refused ({status}): {why}"),
    }
}

async fn handle(
    witness: Arc<Witness>,
    log: Arc<dyn Fn(&Answer) + Send + Sync>,
    limits: Limits,
    req: Request<Incoming>,
) -> std::result::Result<Response<Full<Bytes>>, std::convert::Infallible> {
    let path = req.uri().path().to_owned();
    let answer = match (req.method(), path.as_str()) {
        (&Method::POST, "/add-checkpoint")
            if hyper::body::Body::size_hint(req.body()).lower() > limits.max_body as u64 =>
        {
            plain(413, "the request body is too large")
        }
        (&Method::POST, "/add-checkpoint") => {
            let body = Limited::new(req.into_body(), limits.max_body);
            match tokio::time::timeout(limits.body_timeout, body.collect()).await {
                Err(_) => plain(408, "the request body did not arrive in time"),
                Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => {
                    plain(413, "the request body is too large")
                }
                Ok(Err(_)) => plain(400, "the request body could not be read"),
                Ok(Ok(body)) => {
                    let body = body.to_bytes();
                    let now = std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map_or(0, |d| d.as_secs());
                    let w = witness.clone();
                    tokio::task::spawn_blocking(move || w.add_checkpoint(&body, now))
                        .await
                        .unwrap_or_else(|_| plain(500, "internal error"))
                }
            }
        }
        (_, "/add-checkpoint") => plain(405, "use POST"),
        (method, p) => match p
            .strip_prefix('/')
            .and_then(|p| p.strip_suffix("/checkpoint"))
            .filter(|h| h.len() == 64 && h.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
        {
            Some(hash) if method == Method::GET => {
                let (w, hash) = (witness.clone(), hash.to_owned());
                tokio::task::spawn_blocking(move || w.latest(&hash))
                    .await
                    .unwrap_or_else(|_| plain(500, "internal error"))
            }
            Some(_) => plain(405, "use GET"),
            None => plain(404, "not found: this witness serves POST /add-checkpoint"),
        },
    };
    log(&answer);
    Ok(respond(&answer))
}
