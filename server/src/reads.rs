//! The public reads: `GET /v1/documents/{sha256}` (the object `prov check --json` prints),
//! `GET /v1/entries/{seq}` (as `prov show --json`), `GET /v1/proofs/{seq}` (the
//! `.tlog-proof` `prov prove` writes) and `GET /v1/consistency?old=N` (as `prov
//! consistency`). Each runs on the blocking pool against the readers' snapshot: no lock, no
//! waiting for the writer.

use crate::answer::{self, Answer, TEXT};
use crate::server::Ctx;
use prov_ledger::Ledger;
use std::sync::Arc;

fn not_found(what: String, size: u64) -> Answer {
    Answer::error(
        404,
        what,
        &format!("the ledger holds entries 0 to {}", size.saturating_sub(1)),
    )
}

fn seq_of(s: &str) -> Result<u64, Answer> {
    s.parse::<u64>().map_err(|_| {
        Answer::error(
            400,
            format!("{s:?} is not an entry number"),
            "give a decimal number, e.g. /v1/entries/42",
        )
    })
}

/// Runs `f` on the blocking pool with the snapshot.
async fn with_reader(ctx: &Ctx, f: impl FnOnce(&Ledger) -> Answer + Send + 'static) -> Answer {
    let l = ctx.state.reader();
    tokio::task::spawn_blocking(move || f(&l))
        .await
        .unwrap_or_else(|_| Answer::error(500, "internal error", "tell the operator"))
}

/// `GET /v1/documents/{sha256}`: 200 with the check object when known, 404 with the same
/// object (`"known": false`) when not.
pub(crate) async fn document(ctx: Arc<Ctx>, hex: &str) -> Answer {
    let Some(sha) = prov_ledger::parse_sha256(hex) else {
        return Answer::error(
            400,
            format!("{hex:?} is not a SHA-256"),
            "give 64 hex digits: /v1/documents/5891b5b5...be03",
        );
    };
    let snap = ctx.state.snapshot();
    let checked = tokio::task::spawn_blocking(move || {
        prov_report::check_sha256(&snap.ledger, &snap.evidence, Some(&snap.links), sha)
    });
    match checked.await {
        Ok(Ok(v)) => {
            let known = v["known"].as_bool() == Some(true);
            let mut a = Answer::json(&v);
            if !known {
                a.status = 404;
            }
            a
        }
        Ok(Err(e)) => answer::from_ledger(&e),
        Err(_) => Answer::error(500, "internal error", "tell the operator"),
    }
}

/// `GET /v1/entries/{seq}`: as `prov show --json`, the entry with the claims about it and
/// the links to it (from the snapshot's link index, as `GET /v1/documents/{sha256}`).
pub(crate) async fn entry(ctx: Arc<Ctx>, seq: &str) -> Answer {
    let seq = match seq_of(seq) {
        Ok(s) => s,
        Err(a) => return a,
    };
    let snap = ctx.state.snapshot();
    let shown = tokio::task::spawn_blocking(move || {
        let l = &snap.ledger;
        if seq >= l.size() {
            return Ok(Err(not_found(format!("there is no entry {seq}"), l.size())));
        }
        let e = l.entry(seq)?;
        let found = prov_report::story::Found::read_with(l, &[seq], Some(&snap.links))?;
        let mut v = prov_report::entry_json(&e);
        found
            .tell(std::slice::from_ref(&e))
            .json_into(&mut v, false);
        Ok(Ok(v))
    });
    match shown.await {
        Ok(Ok(Ok(v))) => Answer::json(&v),
        Ok(Ok(Err(a))) => a,
        Ok(Err(e)) => answer::from_ledger(&e),
        Err(_) => Answer::error(500, "internal error", "tell the operator"),
    }
}

/// `GET /v1/proofs/{seq}`: the entry's inclusion proof at the latest checkpoint, with its
/// cosignatures (C2SP tlog-proof, as `prov prove SEQ` prints it).
pub(crate) async fn proof(ctx: Arc<Ctx>, seq: &str) -> Answer {
    let seq = match seq_of(seq) {
        Ok(s) => s,
        Err(a) => return a,
    };
    with_reader(&ctx, move |l| {
        if seq >= l.size() {
            return not_found(format!("there is no entry {seq}"), l.size());
        }
        let proof = l.prove(seq, None).and_then(|mut p| {
            p.checkpoint = l.cosigned_note(&p.checkpoint)?;
            Ok(p)
        });
        match proof {
            Ok(p) => Answer::ok(TEXT, p.to_text().into_bytes()),
            Err(e) => answer::from_ledger(&e),
        }
    })
    .await
}

/// `GET /v1/consistency?old=N`: the consistency proof from size N to the latest checkpoint
/// (as `prov consistency` prints it).
pub(crate) async fn consistency(ctx: Arc<Ctx>, query: &str) -> Answer {
    let old = form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "old")
        .and_then(|(_, v)| v.parse::<u64>().ok());
    let Some(old) = old else {
        return Answer::error(
            400,
            "the query needs old=SIZE",
            "e.g. /v1/consistency?old=100",
        );
    };
    with_reader(&ctx, move |l| {
        if old == 0 || old > l.size() {
            return Answer::error(
                400,
                format!("old={old} is not a size this ledger had"),
                &format!("give a size from 1 to {}", l.size()),
            );
        }
        let b = l.consistency(old, None).and_then(|mut b| {
            b.checkpoint = l.cosigned_note(&b.checkpoint)?;
            Ok(b)
        });
        match b {
            Ok(b) => Answer::ok(TEXT, b.to_text().into_bytes()),
            Err(e) => answer::from_ledger(&e),
        }
    })
    .await
}
