//! `POST /v1/documents`: an archivist's upload, authenticated, read within the limits,
//! prepared (hashed, looked into) on the blocking pool, then queued for the writer and
//! answered once it is recorded.
//!
//! Two forms: the document's bytes as the body, its fields in the query
//! (`?source=S[&name=N|&name_hex=HEX][&media_type=T][&meta=K=V...][&related=R=SEQ...][&extract=false]`;
//! `name_hex` for a name that is not UTF-8, its bytes in hex),
//! extracted as `prov add` extracts; or `Content-Type: application/json` and
//! `{"sha256": HEX, "size": N, "source": S, ...}` to record it by its hash alone; or several
//! documents' bytes as the parts of `Content-Type: multipart/form-data` (`parts.rs`). Each way
//! the entry's agent is the archivist the token belongs to, never a value the client chose.

use crate::answer::Answer;
use crate::archivists::Verdict;
use crate::server::Ctx;
use crate::spool::{timed_out, too_large};
use crate::writer::{Upload, Work};
use http_body_util::{BodyExt, Limited};
use hyper::body::{Body, Incoming};
use hyper::http::request::Parts;
use hyper::{HeaderMap, Request};
use prov_ledger::{Fields, FileDigest, Prepared, Related};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The archivist a request's bearer token names.
pub(crate) fn authenticate(ctx: &Ctx, headers: &HeaderMap) -> Result<String, Answer> {
    let unauthorized = |why: &str| {
        Answer::error(
            401,
            why,
            "send the header `Authorization: Bearer TOKEN` with an archivist's token, which the ledger's operator issues",
        )
        .with("www-authenticate", "Bearer realm=\"prov\"")
    };
    let Some(value) = headers.get(hyper::header::AUTHORIZATION) else {
        return Err(unauthorized("this request needs an archivist's token"));
    };
    let token = value
        .to_str()
        .ok()
        // The scheme is case-insensitive (RFC 9110 section 11.1), and one or more spaces
        // may follow it (section 11.4).
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim_start_matches(' '))
        .ok_or_else(|| unauthorized("the Authorization header is not `Bearer TOKEN`"))?;
    match ctx.state.archivists.verify(token) {
        Ok(Verdict::Valid(name)) => Ok(name),
        Ok(Verdict::Revoked(name)) => Err(Answer::error(
            403,
            format!("the token of archivist {name:?} was revoked"),
            "ask the ledger's operator for a new archivist and token",
        )),
        Ok(Verdict::Unknown) => Err(unauthorized("this token is not an archivist's")),
        Err(e) => Err(Answer::error(500, e, "tell the server's operator")),
    }
}

pub(crate) fn bad(why: impl std::fmt::Display) -> Answer {
    Answer::error(
        400,
        why,
        "send the document's bytes as the body with its fields in the query (?source=S[&name=N or &name_hex=HEX][&media_type=T][&meta=K=V][&related=R=SEQ][&extract=false]), or several documents as the parts of Content-Type: multipart/form-data with the fields in the query, or Content-Type: application/json and {\"sha256\", \"size\", \"source\", ...}; nothing was recorded",
    )
}

/// The fields of a bytes upload, from its query string.
fn query_fields(query: &str, agent: String) -> Result<(Fields, Option<Vec<u8>>, bool), Answer> {
    let mut f = Fields {
        agent: Some(agent),
        ..Fields::default()
    };
    let (mut source, mut name, mut extract) = (None, None, true);
    for (k, v) in form_urlencoded::parse(query.as_bytes()) {
        match &*k {
            "source" => source = Some(v.into_owned()),
            "name" | "name_hex" if name.is_some() => {
                return Err(bad("give name or name_hex, once"));
            }
            "name" => name = Some(v.into_owned().into_bytes()),
            // A name that is not UTF-8, byte for byte (percent-decoding is read as UTF-8).
            "name_hex" => {
                name = Some(hex::decode(&*v).map_err(|_| bad("name_hex is not hex"))?);
            }
            "media_type" => f.media_type = Some(v.into_owned()),
            "meta" => {
                let (key, value) = v
                    .split_once('=')
                    .ok_or_else(|| bad(format!("meta={v} is not KEY=VALUE")))?;
                f.metadata.insert(key.to_owned(), value.to_owned());
            }
            "related" => {
                let (relation, seq) = v
                    .split_once('=')
                    .and_then(|(r, s)| Some((r, s.parse::<u64>().ok()?)))
                    .ok_or_else(|| bad(format!("related={v} is not RELATION=SEQ")))?;
                f.related.push(Related {
                    relation: relation.to_owned(),
                    seq,
                });
            }
            "extract" => {
                extract = match &*v {
                    "true" => true,
                    "false" => false,
                    _ => return Err(bad("extract is true or false")),
                }
            }
            other => return Err(bad(format!("unknown query parameter {other:?}"))),
        }
    }
    f.source = source.ok_or_else(|| bad("the query needs source=WHERE_IT_CAME_FROM"))?;
    f.related.sort();
    f.related.dedup();
    Ok((f, name, extract))
}

/// A document by its hash alone.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ByHash {
    pub sha256: String,
    pub size: u64,
    pub source: String,
    pub name: Option<String>,
    pub name_hex: Option<String>,
    pub media_type: Option<String>,
    #[serde(default)]
    pub meta: BTreeMap<String, String>,
    #[serde(default)]
    pub related: Vec<RelatedJson>,
    /// In a list: the index of the earlier document it was found in.
    pub within: Option<usize>,
}

/// The most documents one JSON list of `POST /v1/documents` takes (one writer group); more are refused with 413.
pub const MAX_LIST: usize = crate::writer::GROUP;

/// Several documents by hash alone, as `prov --server URL add --hash-only` sends files and
/// the members it found in them (at most [`MAX_LIST`], in at most 1 MiB of JSON).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ByHashList {
    pub documents: Vec<ByHash>,
}

/// A link in a JSON upload.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RelatedJson {
    pub relation: String,
    pub seq: u64,
}

fn document(d: ByHash, agent: &str) -> Result<prov_ledger::PlannedDocument, Answer> {
    let sha256 =
        prov_ledger::parse_sha256(&d.sha256).ok_or_else(|| bad("sha256 is not 64 hex digits"))?;
    let name = match (d.name, d.name_hex) {
        (Some(_), Some(_)) => return Err(bad("give name or name_hex, not both")),
        (Some(n), None) => Some(n.into_bytes()),
        (None, Some(h)) => Some(hex::decode(h).map_err(|_| bad("name_hex is not hex"))?),
        (None, None) => None,
    };
    let mut related: Vec<Related> = d
        .related
        .into_iter()
        .map(|r| Related {
            relation: r.relation,
            seq: r.seq,
        })
        .collect();
    related.sort();
    related.dedup();
    let fields = Fields {
        source: d.source,
        agent: Some(agent.to_owned()),
        media_type: d.media_type,
        metadata: d.meta,
        related,
    };
    let label = format!("sha256:{}", hex::encode(sha256)).into_bytes();
    let doc = fields.document(
        name,
        FileDigest {
            sha256,
            size: d.size,
        },
    );
    Ok((label, doc, d.within))
}

fn by_hash(body: &[u8], agent: String) -> Result<Prepared, Answer> {
    let v: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| bad(format!("the JSON body: {e}")))?;
    let docs = match v.get("documents") {
        Some(_) => {
            serde_json::from_value::<ByHashList>(v)
                .map_err(|e| bad(format!("the JSON body: {e}")))?
                .documents
        }
        None => {
            let d: ByHash =
                serde_json::from_value(v).map_err(|e| bad(format!("the JSON body: {e}")))?;
            if d.within.is_some() {
                return Err(bad("within is for a list of documents"));
            }
            vec![d]
        }
    };
    if docs.len() > MAX_LIST {
        return Err(Answer::error(
            413,
            format!(
                "the list holds {} documents; a request takes at most {MAX_LIST}",
                docs.len()
            ),
            "send them in several requests, each of at most that many",
        ));
    }
    let docs = docs
        .into_iter()
        .map(|d| document(d, &agent))
        .collect::<Result<Vec<_>, _>>()?;
    Prepared::from_planned(docs).map_err(|e| crate::answer::from_ledger(&e))
}

/// How an upload's body is read, once its head was admitted.
enum Form {
    /// `application/json`: documents by hash alone, recorded by `agent`.
    Json(String),
    /// `multipart/form-data`: one document a part.
    Parts {
        boundary: String,
        fields: Fields,
        extract: bool,
    },
    /// The document's bytes as the body.
    Bytes {
        fields: Fields,
        name: Option<Vec<u8>>,
        extract: bool,
    },
}

/// What the head of an upload allows, or its refusal, before any byte of the body is read.
fn admit(ctx: &Ctx, head: &Parts, declared: u64) -> Result<Form, Answer> {
    if ctx.state.stopped() {
        return Err(Answer::stopped());
    }
    let agent = authenticate(ctx, &head.headers)?;
    // A full queue is said before the body is read: an upload is not spooled whole only
    // to be refused.
    if !ctx.writer.has_room() {
        return Err(crate::writer::Writer::full().with("connection", "close"));
    }
    let content_type = head
        .headers
        .get(hyper::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    // Media types are case-insensitive (RFC 9110 section 8.3.1).
    if content_type
        .to_ascii_lowercase()
        .starts_with("application/json")
    {
        let max = crate::server::MAX_JSON_BODY as u64;
        return match declared > max {
            true => Err(too_large(max)),
            false => Ok(Form::Json(agent)),
        };
    }
    let (fields, name, extract) = query_fields(head.uri.query().unwrap_or(""), agent)?;
    fields
        .validate(name.as_deref())
        .map_err(|e| crate::answer::from_ledger(&e))?;
    if declared > ctx.limits.max_body {
        return Err(too_large(ctx.limits.max_body));
    }
    match crate::parts::boundary(content_type) {
        Some(_) if name.is_some() => Err(bad(
            "in a multipart upload each part's name is its filename (or its Prov-Name-Hex header), not name= in the query",
        )),
        Some(boundary) => Ok(Form::Parts {
            boundary: boundary?,
            fields,
            extract,
        }),
        None => Ok(Form::Bytes {
            fields,
            name,
            extract,
        }),
    }
}

/// Reads the body as `form` says, and prepares its documents.
async fn read(ctx: &Ctx, form: Form, body: Incoming) -> Result<Prepared, Answer> {
    match form {
        Form::Json(agent) => {
            let max = crate::server::MAX_JSON_BODY;
            let body = Limited::new(body, max);
            let body = match tokio::time::timeout(ctx.limits.body_timeout, body.collect()).await {
                Err(_) => return Err(timed_out()),
                Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => {
                    return Err(too_large(max as u64));
                }
                Ok(Err(_)) => return Err(bad("the request body could not be read")),
                Ok(Ok(b)) => b.to_bytes(),
            };
            by_hash(&body, agent)
        }
        Form::Parts {
            boundary,
            fields,
            extract,
        } => crate::parts::prepare(ctx, body, boundary, fields, extract).await,
        Form::Bytes {
            fields,
            name,
            extract,
        } => {
            let (file, len) = crate::spool::body(ctx, body).await?;
            let limits = ctx.limits.extract.clone();
            let made = tokio::task::spawn_blocking(move || {
                Prepared::from_spooled(
                    &file,
                    (0, len),
                    "the request body",
                    b"-".to_vec(),
                    name,
                    &fields,
                    extract.then_some(&limits),
                )
            })
            .await;
            match made {
                Ok(Ok(p)) => Ok(p),
                Ok(Err(e)) => Err(crate::answer::from_ledger(&e)),
                Err(_) => Err(Answer::error(500, "internal error", "tell the operator")),
            }
        }
    }
}

/// `POST /v1/documents`.
pub(crate) async fn post(ctx: Arc<Ctx>, req: Request<Incoming>) -> Answer {
    let (head, body) = req.into_parts();
    let form = match admit(&ctx, &head, body.size_hint().lower()) {
        Ok(f) => f,
        Err(refusal) => {
            return crate::linger::refuse(&head, body, refusal, ctx.limits.body_timeout).await;
        }
    };
    let prepared = match read(&ctx, form, body).await {
        Ok(p) => p,
        Err(a) => return a,
    };
    let (reply, answer) = tokio::sync::oneshot::channel();
    if let Err(a) = ctx.writer.submit(Upload {
        work: Work::Documents(prepared),
        reply,
    }) {
        return a;
    }
    answer.await.unwrap_or_else(|_| Answer::stopped())
}
