//! The HTTP front end: hyper 1 (HTTP/1.1, keep-alive) on a tokio runtime, plain or over TLS
//! (rustls), routing each request to its handler.
//!
//! Hostile clients: headers must arrive within [`Limits::header_timeout`] (also the most an
//! idle keep-alive connection is held), a body within [`Limits::body_timeout`] (408), and
//! no larger than [`Limits::max_body`] (413, refused from its `Content-Length` before it is
//! read, or as soon as it passes the limit); an answer the client does not take is given up
//! after [`Limits::write_timeout`] without progress; at most [`Limits::max_connections`]
//! are served at once (more wait in the kernel's backlog; see `connection.rs`); the
//! writer's queue holds [`Limits::queue`] uploads, and past it an upload is answered 503
//! with `Retry-After` at once, before its body is read. A request our routes refuse is
//! answered with a JSON error; no input makes a handler panic, and a panic would end only
//! its own request.
//!
//! A request hyper itself cannot parse (a bad method, header, URI or version: 400; header
//! fields too large: 431; a URI too long: 414) is answered by hyper with the status and an
//! empty body, then the connection is closed: hyper 1 writes that answer's head alone
//! (`Conn::on_parse_error`) and has no hook to give it a body, so it carries no JSON error.

use crate::answer::Answer;
use crate::error::{Error, Result};
use crate::state::State;
use crate::writer::Writer;
use crate::{reads, tree, upload};
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::{Method, Request, Response};
use prov_ledger::Ledger;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// The largest JSON body (documents by their hashes, a claim): 1 MiB.
pub const MAX_JSON_BODY: usize = 1 << 20;

/// Bounds on what clients can make the server hold.
#[derive(Clone, Debug)]
pub struct Limits {
    /// The largest upload read (bytes).
    pub max_body: u64,
    /// Time allowed for a request's headers, and for an idle connection.
    pub header_timeout: Duration,
    /// Time allowed for a request's body.
    pub body_timeout: Duration,
    /// Time an answer's write may make no progress (the client does not read it).
    pub write_timeout: Duration,
    /// Connections served at once.
    pub max_connections: usize,
    /// Uploads waiting for the writer, at most.
    pub queue: usize,
    /// How far uploads are looked into (as `prov add`'s `--max-*`).
    pub extract: prov_ledger::Limits,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body: 1 << 30,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(300),
            write_timeout: Duration::from_secs(30),
            max_connections: 1024,
            queue: 4096,
            extract: prov_ledger::Limits::default(),
        }
    }
}

/// How the server runs.
pub struct Config {
    /// The ledger folder.
    pub ledger_dir: PathBuf,
    /// The folder the tiles tree is published in (and served from).
    pub public_dir: PathBuf,
    /// The limits.
    pub limits: Limits,
    /// A PEM certificate chain and its PEM private key, to serve HTTPS.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// The browser verifier's files (`--web`), served at `/verify/`.
    pub web: Option<crate::VerifyPage>,
    /// Tests only: asked before each group with the number of uploads waiting; the writer
    /// waits while it answers true.
    pub hold: Option<crate::writer::Hold>,
}

/// What every handler shares.
pub(crate) struct Ctx {
    pub state: Arc<State>,
    pub writer: Writer,
    pub limits: Limits,
    pub web: Option<crate::VerifyPage>,
}

fn tls_acceptor(
    cert: &std::path::Path,
    key: &std::path::Path,
) -> Result<tokio_rustls::TlsAcceptor> {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    let certs = CertificateDer::pem_file_iter(cert)
        .and_then(|i| i.collect::<std::result::Result<Vec<_>, _>>())
        .map_err(|e| {
            Error::Tls(format!(
                "cannot read the certificate {}: {e}",
                cert.display()
            ))
        })?;
    if certs.is_empty() {
        return Err(Error::Tls(format!(
            "{} holds no PEM certificate",
            cert.display()
        )));
    }
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| {
        Error::Tls(format!(
            "cannot read the private key {}: {e}",
            key.display()
        ))
    })?;
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = tokio_rustls::rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Tls(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| Error::Tls(format!("the certificate and key do not go together: {e}")))?;
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

/// Serves the ledger `ledger` (opened for writing) on `listener` until the process ends:
/// publishes its tiles tree first, then starts the writer and answers requests; `log` gets a
/// line per request.
///
/// # Errors
/// [`Error::Ledger`] when the tree cannot be published or the readers' snapshot opened,
/// [`Error::Tls`] for a certificate or key that does not read, [`Error::Server`] when the
/// runtime or the listener cannot start.
pub fn serve(
    ledger: Ledger,
    config: Config,
    listener: std::net::TcpListener,
    log: Arc<dyn Fn(&str) + Send + Sync>,
) -> Result<()> {
    let tls = match &config.tls {
        Some((cert, key)) => Some(tls_acceptor(cert, key)?),
        None => None,
    };
    ledger.publish(&config.public_dir)?;
    let state = Arc::new(State::new(
        &config.ledger_dir,
        &config.public_dir,
        log.clone(),
    )?);
    let writer = Writer::start(ledger, config.limits.queue, state.clone(), config.hold)
        .map_err(|e| Error::Server(e.to_string()))?;
    let ctx = Arc::new(Ctx {
        state,
        writer,
        limits: config.limits,
        web: config.web,
    });
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Server(e.to_string()))?;
    rt.block_on(crate::connection::accept_loop(listener, ctx, tls))
}

/// The HTTP response of `a`; to a HEAD request, the same status and header fields with no
/// body, its `Content-Length` the GET's (RFC 9110 sections 9.3.2 and 8.6).
fn respond(a: Answer, head: bool) -> Response<Full<Bytes>> {
    let length = a.body.len();
    let body = if head {
        Bytes::new()
    } else {
        Bytes::from(a.body)
    };
    let mut r = Response::new(Full::new(body));
    *r.status_mut() =
        hyper::StatusCode::from_u16(a.status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    let h = r.headers_mut();
    h.insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static(a.content_type),
    );
    for (name, value) in a.headers {
        if let Ok(v) = hyper::header::HeaderValue::from_str(&value) {
            h.insert(name, v);
        }
    }
    if head {
        h.insert(hyper::header::CONTENT_LENGTH, length.into());
    }
    r
}

/// The routes, for a client that asked for another.
const ROUTES: &str = "the routes: POST /v1/documents, POST /v1/claims; GET or HEAD /v1/documents/SHA256, /v1/entries/SEQ, /v1/proofs/SEQ, /v1/consistency?old=N, /checkpoint, /tile/..., /verify/";

/// The methods of the read routes: HEAD is GET without the body (RFC 9110 section 9.3.2).
const READ: &str = "GET, HEAD";

fn method_not_allowed(allow: &'static str) -> Answer {
    Answer::error(405, format!("use {allow} here"), ROUTES).with("allow", allow)
}

async fn route(ctx: Arc<Ctx>, req: Request<Incoming>) -> Answer {
    let path = req.uri().path().to_owned();
    let query = req.uri().query().unwrap_or("").to_owned();
    let get = req.method() == Method::GET || req.method() == Method::HEAD;
    if path == "/v1/documents" {
        return match req.method() == Method::POST {
            true => upload::post(ctx, req).await,
            false => method_not_allowed("POST"),
        };
    }
    if path == "/v1/claims" {
        return match req.method() == Method::POST {
            true => crate::claims::post(ctx, req).await,
            false => method_not_allowed("POST"),
        };
    }
    let read = |p: &str| {
        path.strip_prefix(p)
            .filter(|rest| !rest.contains('/'))
            .map(str::to_owned)
    };
    if let Some(sha) = read("/v1/documents/") {
        return if get {
            reads::document(ctx, &sha).await
        } else {
            method_not_allowed(READ)
        };
    }
    if let Some(seq) = read("/v1/entries/") {
        return if get {
            reads::entry(ctx, &seq).await
        } else {
            method_not_allowed(READ)
        };
    }
    if let Some(seq) = read("/v1/proofs/") {
        return if get {
            reads::proof(ctx, &seq).await
        } else {
            method_not_allowed(READ)
        };
    }
    if path == "/v1/consistency" {
        return if get {
            reads::consistency(ctx, &query).await
        } else {
            method_not_allowed(READ)
        };
    }
    if path == "/checkpoint" {
        return if get {
            tree::checkpoint(ctx.state.public_dir())
        } else {
            method_not_allowed(READ)
        };
    }
    if let Some(full) = path.strip_prefix('/').and_then(tree::tile_path) {
        return if get {
            tree::tile(ctx.state.public_dir(), &path[1..], full)
        } else {
            method_not_allowed(READ)
        };
    }
    let page = match &ctx.web {
        Some(web) => web.answer(&path),
        None => crate::verify_page::not_served(&path),
    };
    if let Some(page) = page {
        return if get { page } else { method_not_allowed(READ) };
    }
    Answer::error(404, format!("nothing is served at {path}"), ROUTES)
}

pub(crate) async fn handle(
    ctx: Arc<Ctx>,
    req: Request<Incoming>,
) -> std::result::Result<Response<Full<Bytes>>, std::convert::Infallible> {
    let line = format!("{} {}", req.method(), req.uri().path());
    let head = req.method() == Method::HEAD;
    let answer = route(ctx.clone(), req).await;
    ctx.state.log(&format!("{line} {}", answer.summary()));
    Ok(respond(answer, head))
}
