//! `prov --server URL prove TARGET --key KEY`: the inclusion proof the server sends, checked
//! against the verifier key the user trusts before it is written. A server that answers
//! with a proof that does not verify (another ledger's, a changed entry, a path that does
//! not lead to the signed root, another entry than the one asked for) is refused with exit
//! 7 and nothing is written: the client trusts the key, never the server.

use super::{Remote, document, refused_entry};
use crate::failure::{Failure, Result};
use crate::output::Out;
use crate::proof::{ProveArgs, checked, parse_key};
use prov_proofs::TlogProof;
use prov_report::escape;

pub fn prove(remote: &Remote, a: ProveArgs, out: Out) -> Result<()> {
    if a.at.is_some() {
        return Err(Failure::usage(
            "--at works on a local ledger only: a server proves against its latest checkpoint",
        ));
    }
    let key = a.key.as_deref().ok_or_else(|| {
        Failure::usage(
            "through a server, prove needs the ledger's verifier key to check the proof it sends: give --key KEY (the line `prov key` prints where the ledger is, or a file holding it)",
        )
    })?;
    let key = parse_key(key)?;
    let (seq, sha256) = match a.target.parse::<u64>() {
        Ok(seq) => (seq, None),
        Err(_) => {
            let sha = match prov_ledger::parse_sha256(&a.target) {
                Some(sha) => sha,
                None => {
                    let path = std::path::Path::new(&a.target);
                    prov_ledger::hash_file(path, &|_| {})
                        .map_err(Failure::from_document)?
                        .sha256
                }
            };
            let v = document(remote, &sha)?.ok_or_else(|| {
                Failure::negative(format!("{} is not in this ledger", escape::text(&a.target)))
            })?;
            let seq = v["first_seen"]["seq"].as_u64().ok_or_else(|| {
                Failure::unverified(format!(
                    "the server's answer for {} names no entry: nothing was written",
                    escape::text(&a.target)
                ))
            })?;
            (seq, Some(sha))
        }
    };
    let r = remote.get(&format!("/v1/proofs/{seq}"))?;
    if r.status != 200 {
        return Err(refused_entry(&r));
    }
    let p = TlogProof::parse(&r.body).map_err(|e| {
        Failure::unverified(format!(
            "the server's proof of entry {seq} is malformed ({e}): nothing was written"
        ))
    })?;
    checked(&p, &key, seq, sha256.as_ref(), "the server's")?;
    // What was verified is what is written: the proof as parsed, in its text form.
    let text = p.to_text();
    match &a.output {
        Some(path) => {
            std::fs::write(path, &text)
                .map_err(|e| Failure::input(format!("cannot write {}: {e}", path.display())))?;
            out.note(
                crate::note::Kind::Wrote,
                format!("wrote the proof of entry {seq} to {}", path.display()),
            )?;
            Ok(())
        }
        None => out.raw(&text),
    }
}
