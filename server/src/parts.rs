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
//! The parts are spooled to one temporary file (`spool.rs`), within `max_body` in all and
//! the body time limit, then hashed and looked into where they lie, on the blocking pool.

use crate::answer::Answer;
use crate::server::Ctx;
use crate::upload::bad;
use hyper::body::Incoming;
use prov_ledger::{Fields, Prepared};

/// The boundary of a `multipart/form-data` content type, or `None` for another type.
pub(crate) fn boundary(content_type: &str) -> Option<Result<String, Answer>> {
    let essence = content_type.split(';').next().unwrap_or("").trim();
    if !essence.eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    Some(multer::parse_boundary(content_type).map_err(|e| bad(format!("the content type: {e}"))))
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
    let (file, parts) = crate::spool::parts(ctx, body, boundary).await?;
    for p in &parts {
        if let Err(e) = fields.validate(p.name.as_deref()) {
            return Err(crate::answer::from_ledger(&e));
        }
    }
    let limits = ctx.limits.extract.clone();
    let made = tokio::task::spawn_blocking(move || {
        let mut uploads = Vec::with_capacity(parts.len());
        let mut documents = 0usize;
        for (i, p) in parts.into_iter().enumerate() {
            let upload = Prepared::from_spooled(
                &file,
                (p.start, p.len),
                &format!("part {i} of the request"),
                i.to_string().into_bytes(),
                p.name,
                &fields,
                extract.then_some(&limits),
            )?;
            // The members of all parts together are held to what one body may hold.
            documents += upload.documents();
            if documents as u64 > limits.max_members.saturating_add(1) {
                return Err(prov_ledger::Error::Invalid {
                    field: "request",
                    reason: format!(
                        "its parts hold more than {} documents with their members: send them in several requests",
                        limits.max_members
                    ),
                });
            }
            uploads.push(upload);
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
