//! `POST /v1/documents` with `Content-Type: multipart/form-data` (RFC 7578): the bytes of
//! several documents in one request, one part each, recorded as one commit with their
//! members, all or none. One request per document waits for one durable commit and publish
//! each; a client with many small files sends them this way instead (`prov --server URL
//! add` does).
//!
//! Each part with a body is a document: its name is the part's `filename` (RFC 7578
//! section 4.2), or the bytes given in hex by the part's `Prov-Name-Hex` header for a name
//! that is not UTF-8, or none. The fields in the query (`source`, `media_type`, `meta`,
//! `related`, `extract`) apply to every part; a part's own `Content-Type` is not read (a
//! client sends `application/octet-stream` for anything; the ledger tells the type from the
//! bytes). The answer is one JSON line per document in the parts' order, each `path` the
//! part's index (`0` for the first) and, for a member, `!` and its path inside.
//!
//! The parts are spooled to one temporary file, within `max_body` in all and the body
//! time limit, then hashed and looked into on the blocking pool.

use crate::answer::Answer;
use crate::server::Ctx;
use crate::upload::{MAX_LIST, bad, timed_out, too_large};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use prov_ledger::{Fields, Prepared};
use std::fs::File;
use std::io::Write;

/// The most parts one request takes (one writer group).
pub const MAX_PARTS: usize = MAX_LIST;

/// The part header that gives a name that is not UTF-8, as hex.
const NAME_HEX: &str = "prov-name-hex";

/// One part spooled: its name and where its bytes are in the spool.
struct Part {
    name: Option<Vec<u8>>,
    start: u64,
    len: u64,
}

/// The boundary of a `multipart/form-data` content type, or `None` for another type.
pub(crate) fn boundary(content_type: &str) -> Option<Result<String, Answer>> {
    let essence = content_type.split(';').next().unwrap_or("").trim();
    if !essence.eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    Some(multer::parse_boundary(content_type).map_err(|e| bad(format!("the content type: {e}"))))
}

/// Reads every part of `body` into one temporary file.
async fn spool(ctx: &Ctx, body: Incoming, boundary: String) -> Result<(File, Vec<Part>), Answer> {
    let spool_failed = |e: std::io::Error| {
        Answer::error(
            503,
            format!("cannot spool the upload: {e}"),
            "try again later",
        )
    };
    let mut file = tempfile::tempfile().map_err(spool_failed)?;
    let max = ctx.limits.max_body;
    let limits = multer::Constraints::new().size_limit(multer::SizeLimit::new().whole_stream(max));
    let mut form = multer::Multipart::with_constraints(body.into_data_stream(), boundary, limits);
    let mut parts = Vec::new();
    let mut at = 0u64;
    let read = async {
        while let Some(mut field) = form.next_field().await.map_err(multipart_error(max))? {
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
                file.write_all(&chunk).map_err(spool_failed)?;
                at += chunk.len() as u64;
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

fn multipart_error(max: u64) -> impl Fn(multer::Error) -> Answer {
    move |e| match e {
        multer::Error::StreamSizeExceeded { .. } => too_large(max),
        e => bad(format!("the multipart body: {e}")),
    }
}

/// A part's name: its `filename`, or the bytes its `Prov-Name-Hex` header gives.
fn part_name(field: &multer::Field<'_>) -> Result<Option<Vec<u8>>, Answer> {
    let hex_name = match field.headers().get(NAME_HEX) {
        None => None,
        Some(v) => Some(
            v.to_str()
                .ok()
                .and_then(|h| hex::decode(h).ok())
                .ok_or_else(|| bad("a part's Prov-Name-Hex is not hex"))?,
        ),
    };
    match (field.file_name(), hex_name) {
        (Some(_), Some(_)) => Err(bad(
            "a part gives both a filename and Prov-Name-Hex: give one",
        )),
        (Some(n), None) => Ok((!n.is_empty()).then(|| n.as_bytes().to_vec())),
        (None, h) => Ok(h),
    }
}

/// Spools the parts, then prepares each (hashed and, with `extract`, looked into, as
/// `prov add` does) on the blocking pool: one upload of them all, in their order.
pub(crate) async fn prepare(
    ctx: &Ctx,
    body: Incoming,
    boundary: String,
    fields: Fields,
    extract: bool,
) -> Result<Prepared, Answer> {
    let (file, parts) = spool(ctx, body, boundary).await?;
    for p in &parts {
        if let Err(e) = fields.validate(p.name.as_deref()) {
            return Err(crate::answer::from_ledger(&e));
        }
    }
    let limits = ctx.limits.extract.clone();
    let made = tokio::task::spawn_blocking(move || {
        let mut uploads = Vec::with_capacity(parts.len());
        for (i, p) in parts.into_iter().enumerate() {
            uploads.push(Prepared::from_spooled(
                &file,
                (p.start, p.len),
                &format!("part {i} of the request"),
                i.to_string().into_bytes(),
                p.name,
                &fields,
                extract.then_some(&limits),
            )?);
        }
        Ok::<_, prov_ledger::Error>(Prepared::join(uploads))
    })
    .await;
    match made {
        Ok(Ok(p)) => Ok(p),
        Ok(Err(e)) => Err(crate::answer::from_ledger(&e)),
        Err(_) => Err(Answer::error(500, "internal error", "tell the operator")),
    }
}
