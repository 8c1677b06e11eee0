//! Reading an upload's body into a temporary file (deleted when closed), never into memory,
//! within `max_body` (413, as soon as it passes the limit) and `body_timeout` (408): a
//! document's bytes as the whole body, or the parts of a `multipart/form-data` body (RFC
//! 7578) one after another in one file, each with where it lies.

use crate::answer::Answer;
use crate::server::Ctx;
use crate::upload::bad;
use futures_util::StreamExt;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use std::fs::File;
use std::io::{self, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// The most parts one request takes (one writer group).
pub const MAX_PARTS: usize = crate::upload::MAX_LIST;

/// The part header that gives a name that is not UTF-8, as hex.
const NAME_HEX: &str = "prov-name-hex";

/// How far the body read may run ahead of what was spooled since the part being read began
/// (or since the body began, before the first part): the largest chunk hyper reads at once
/// and the headers of one part, or what comes before the first part.
const HELD: u64 = 1 << 20;

/// The parser was given more than [`HELD`] that it did not hand on as a part's bytes.
#[derive(Debug)]
struct HeadersTooLarge;

impl std::fmt::Display for HeadersTooLarge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a part's headers, or what comes before the first part, are larger than this server takes (about 1 MiB)")
    }
}

impl std::error::Error for HeadersTooLarge {}

/// A spool file that cannot be made or written: the server's trouble, not the client's.
fn spool_failed(e: io::Error) -> Answer {
    Answer::error(
        503,
        format!("cannot spool the upload: {e}"),
        "try again later",
    )
}

/// Writes a chunk to the spool, off the async workers' way (a disk under writeback pressure
/// blocks the write).
fn spool_write(file: &mut File, chunk: &[u8]) -> Result<(), Answer> {
    tokio::task::block_in_place(|| file.write_all(chunk)).map_err(spool_failed)
}

/// One part spooled: its name and where its bytes are in the spool.
pub(crate) struct Part {
    pub name: Option<Vec<u8>>,
    pub start: u64,
    pub len: u64,
}

/// Reads the body into a temporary file, within the size limit and the time allowed: the
/// file and how many bytes it holds.
pub(crate) async fn body(ctx: &Ctx, body: Incoming) -> Result<(std::fs::File, u64), Answer> {
    let mut file = tempfile::tempfile().map_err(spool_failed)?;
    let max = ctx.limits.max_body;
    let read = async {
        let mut body = body;
        let mut total = 0u64;
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|_| bad("the request body could not be read"))?;
            if let Ok(data) = frame.into_data() {
                total += data.len() as u64;
                if total > max {
                    return Err(too_large(max));
                }
                spool_write(&mut file, &data)?;
            }
        }
        Ok(total)
    };
    let total = match tokio::time::timeout(ctx.limits.body_timeout, read).await {
        Err(_) => return Err(timed_out()),
        Ok(r) => r?,
    };
    Ok((file, total))
}

pub(crate) fn too_large(max: u64) -> Answer {
    Answer::error(
        413,
        format!("the request body is larger than this server takes ({max} bytes)"),
        "send the document by its hash alone (Content-Type: application/json and {\"sha256\", \"size\", \"source\"}), or ask the server's operator to take larger bodies",
    )
}

pub(crate) fn timed_out() -> Answer {
    Answer::error(
        408,
        "the request body did not arrive in time",
        "send it again over a faster link, or ask the server's operator to allow more time",
    )
    .with("connection", "close")
}

/// Reads every part of `body` into one temporary file.
pub(crate) async fn parts(
    ctx: &Ctx,
    body: Incoming,
    boundary: String,
) -> Result<(File, Vec<Part>), Answer> {
    let mut file = tempfile::tempfile().map_err(spool_failed)?;
    let max = ctx.limits.max_body;
    let limits = multer::Constraints::new().size_limit(multer::SizeLimit::new().whole_stream(max));
    // What the parser holds that is not spooled (the headers of the part it reads, or what
    // comes before the first part) is bounded: since the part being read began, the body
    // read may run ahead of what was written by at most HELD.
    let (got, kept) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let (got_in, kept_in) = (got.clone(), kept.clone());
    let stream = body.into_data_stream().map(move |chunk| {
        let chunk = chunk.map_err(io::Error::other)?;
        let total = got_in.fetch_add(chunk.len() as u64, Ordering::Relaxed) + chunk.len() as u64;
        if total > kept_in.load(Ordering::Relaxed) + HELD {
            return Err(io::Error::other(HeadersTooLarge));
        }
        Ok(chunk)
    });
    let mut form = multer::Multipart::with_constraints(stream, boundary, limits);
    let mut parts = Vec::new();
    let mut at = 0u64;
    let read = async {
        while let Some(mut field) = form.next_field().await.map_err(multipart_error(max))? {
            // The allowance starts again at each part: it never carries over.
            kept.store(got.load(Ordering::Relaxed), Ordering::Relaxed);
            if parts.len() == MAX_PARTS {
                return Err(Answer::error(
                    413,
                    format!("the upload holds more than {MAX_PARTS} parts"),
                    "send the documents in several requests, each of at most that many",
                ));
            }
            let name = part_name(&field)?;
            let start = at;
            while let Some(chunk) = field.chunk().await.map_err(multipart_error(max))? {
                spool_write(&mut file, &chunk)?;
                at += chunk.len() as u64;
                kept.fetch_add(chunk.len() as u64, Ordering::Relaxed);
            }
            parts.push(Part {
                name,
                start,
                len: at - start,
            });
        }
        Ok(())
    };
    match tokio::time::timeout(ctx.limits.body_timeout, read).await {
        Err(_) => return Err(timed_out()),
        Ok(r) => r?,
    }
    if parts.is_empty() {
        return Err(bad("the multipart body holds no part"));
    }
    Ok((file, parts))
}

/// Whether a read error is (or wraps) [`HeadersTooLarge`].
fn too_large_headers(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut at = Some(e);
    while let Some(e) = at {
        if e.is::<HeadersTooLarge>()
            || e.downcast_ref::<io::Error>()
                .and_then(|io| io.get_ref())
                .is_some_and(|inner| inner.is::<HeadersTooLarge>())
        {
            return true;
        }
        at = e.source();
    }
    false
}

fn multipart_error(max: u64) -> impl Fn(multer::Error) -> Answer {
    move |e| match e {
        multer::Error::StreamSizeExceeded { .. } => too_large(max),
        multer::Error::StreamReadFailed(e) if too_large_headers(&*e) => bad(HeadersTooLarge),
        e => bad(format!("the multipart body: {e}")),
    }
}

/// A part's name: its `filename`, or the bytes its `Prov-Name-Hex` header gives (empty for a
/// document with no name). A part with neither is a form field, not a file: refused, so
/// that a form's text inputs never become documents.
fn part_name(field: &multer::Field<'_>) -> Result<Option<Vec<u8>>, Answer> {
    let hex_name = match field.headers().get(NAME_HEX) {
        None => None,
        Some(v) => Some(
            v.to_str()
                .ok()
                .and_then(|h| hex::decode(h.trim()).ok())
                .ok_or_else(|| bad("a part's Prov-Name-Hex is not hex"))?,
        ),
    };
    let disposition = field
        .headers()
        .get(hyper::header::CONTENT_DISPOSITION)
        .map(|v| v.as_bytes().to_ascii_lowercase());
    let names_a_file = disposition
        .as_deref()
        .is_some_and(|d| d.windows(8).any(|w| w == b"filename"));
    match (field.file_name(), hex_name) {
        (Some(_), Some(_)) => Err(bad(
            "a part gives both a filename and Prov-Name-Hex: give one",
        )),
        (Some(n), None) => Ok((!n.is_empty()).then(|| n.as_bytes().to_vec())),
        (None, Some(h)) => Ok((!h.is_empty()).then_some(h)),
        (None, None) if names_a_file => Err(bad(
            "a part's filename could not be read (not UTF-8, or given only as filename*): give its bytes in hex in a Prov-Name-Hex header instead",
        )),
        (None, None) => Err(bad(format!(
            "part {:?} is a form field, not a file: each part must be a document with a filename (or a Prov-Name-Hex header); the fields go in the query",
            field.name().unwrap_or("")
        ))),
    }
}
