//! `POST /v1/claims`: a signed claim about an entry (FORMAT.md section 6.7), as `prov claim`
//! records it: `{"about": SEQ, "verdict": "forged", "by": WHO, "reason": TEXT, "evidence":
//! [SEQ...], "meta": {KEY: VALUE}}`, recorded by the archivist whose token it is (the
//! entry's agent), answered with the object `prov claim --json` prints once durable and
//! published.

use crate::answer::{self, Answer};
use crate::server::{Ctx, MAX_JSON_BODY};
use crate::spool::{timed_out, too_large};
use crate::upload::authenticate;
use crate::writer::{Upload, Work};
use http_body_util::{BodyExt, Limited};
use hyper::Request;
use hyper::body::Incoming;
use prov_ledger::{NewClaim, Verdict};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::Arc;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClaimJson {
    about: u64,
    verdict: String,
    by: String,
    reason: Option<String>,
    #[serde(default)]
    evidence: Vec<u64>,
    #[serde(default)]
    meta: BTreeMap<String, String>,
}

/// A claim that cannot be taken as sent.
fn bad(why: impl std::fmt::Display) -> Answer {
    Answer::error(
        400,
        why,
        "send Content-Type: application/json and {\"about\": SEQ, \"verdict\": V, \"by\": WHO, \"reason\": TEXT, \"evidence\": [SEQ...], \"meta\": {...}}; nothing was recorded",
    )
}

/// `POST /v1/claims`.
pub(crate) async fn post(ctx: Arc<Ctx>, req: Request<Incoming>) -> Answer {
    let (head, body) = req.into_parts();
    let admitted =
        authenticate(&ctx, &head.headers).and_then(|agent| match ctx.writer.has_room() {
            true => Ok(agent),
            false => Err(crate::writer::Writer::full().with("connection", "close")),
        });
    let agent = match admitted {
        Ok(a) => a,
        Err(refusal) => {
            return crate::linger::refuse(&head, body, refusal, ctx.limits.body_timeout).await;
        }
    };
    let body = Limited::new(body, MAX_JSON_BODY);
    let body = match tokio::time::timeout(ctx.limits.body_timeout, body.collect()).await {
        Err(_) => return timed_out(),
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => {
            return too_large(MAX_JSON_BODY as u64);
        }
        Ok(Err(_)) => return bad("the request body could not be read"),
        Ok(Ok(b)) => b.to_bytes(),
    };
    let c: ClaimJson = match serde_json::from_slice(&body) {
        Ok(c) => c,
        Err(e) => return bad(format!("the JSON body: {e}")),
    };
    let Some(verdict) = Verdict::parse(&c.verdict) else {
        return bad(format!(
            "verdict {:?} is not one of authentic, forged, altered, disputed, unverified, retracted",
            c.verdict
        ));
    };
    let claim = NewClaim {
        about: c.about,
        verdict: Some(verdict),
        by: c.by,
        reason: c.reason,
        evidence: c.evidence,
        agent: Some(agent),
        metadata: c.meta,
    };
    if let Err(e) = claim.validate() {
        return answer::from_ledger(&e);
    }
    let (reply, answer) = tokio::sync::oneshot::channel();
    if let Err(a) = ctx.writer.submit(Upload {
        work: Work::Claim(claim),
        reply,
    }) {
        return a;
    }
    answer.await.unwrap_or_else(|_| Answer::stopped())
}
