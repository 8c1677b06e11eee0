//! `prov checkpoint`, `prov key`, `prov consistency`, `prov verify-consistency`: what an
//! auditor saves, and the proof that the ledger only appended since.

use crate::failure::{Failure, Result};
use crate::output::Out;
use crate::proof::{parse_key, proof_failure, read_input};
use clap::Args;
use prov_ledger::Ledger;
use prov_proofs::{Checkpoint, ConsistencyBundle};
use serde_json::json;
use std::path::{Path, PathBuf};

#[derive(Args)]
pub struct CheckpointArgs {
    /// Print the checkpoint issued at this size instead of the latest
    #[arg(long)]
    size: Option<u64>,
}

#[derive(Args)]
pub struct ConsistencyArgs {
    /// An older checkpoint of this ledger, as `prov checkpoint` printed it
    old_checkpoint: PathBuf,
    /// Write the proof here instead of stdout
    #[arg(short, long)]
    output: Option<PathBuf>,
}

#[derive(Args)]
pub struct VerifyConsistencyArgs {
    /// The older checkpoint you trust (saved earlier)
    old_checkpoint: PathBuf,
    /// The consistency proof from `prov consistency` (text or JSON)
    proof: PathBuf,
    /// The ledger's verifier key: the string from `prov key`, or a file holding it
    #[arg(long)]
    key: String,
}

pub fn checkpoint(ledger: &Path, a: CheckpointArgs, out: Out) -> Result<()> {
    let l = Ledger::open_read_only(ledger)?;
    let note = l.checkpoint_at(a.size.unwrap_or(l.size()))?;
    if out.json {
        let cp = Checkpoint::open(note.as_bytes(), l.verifier()).map_err(|e| {
            Failure::ledger(format!(
                "the stored checkpoint does not verify: {e}: run `prov audit`"
            ))
        })?;
        return out.json(&json!({"origin": cp.origin, "size": cp.size, "root": cp.root.to_base64(), "checkpoint": note}));
    }
    out.raw(&note)
}

pub fn key(ledger: &Path, out: Out) -> Result<()> {
    let l = Ledger::open_read_only(ledger)?;
    let v = l.verifier();
    if out.json {
        return out.json(
            &json!({"vkey": v.to_vkey(), "origin": v.name, "key_id": format!("{:08x}", v.key_id)}),
        );
    }
    out.line(v.to_vkey())
}

pub fn consistency(ledger: &Path, a: ConsistencyArgs, out: Out) -> Result<()> {
    let l = Ledger::open_read_only(ledger)?;
    let bytes = read_input(&a.old_checkpoint, "checkpoint")?;
    let old = Checkpoint::open(&bytes, l.verifier())
        .map_err(|e| proof_failure("the old checkpoint", e))?;
    if old.size > l.size() {
        return Err(Failure::negative(format!(
            "the old checkpoint has {} entries but this ledger only {}: it is from another ledger, or this one lost entries",
            old.size,
            l.size()
        )));
    }
    let b = l.consistency(old.size, None)?;
    // Proven against the latest signed root: a damaged tile is named, never called a fork.
    let ours = l.root_at(old.size)?;
    if ours != old.root {
        return Err(Failure::negative(format!(
            "this ledger's first {} entries differ from what the old checkpoint committed to: its history was rewritten or forked",
            old.size
        )));
    }
    let text = if out.json {
        prov_ledger::consistency_to_json(&b)?.to_string() + "\n"
    } else {
        b.to_text()
    };
    match &a.output {
        Some(path) => {
            std::fs::write(path, text)
                .map_err(|e| Failure::input(format!("cannot write {}: {e}", path.display())))?;
            out.note(format!(
                "wrote the consistency proof from size {} to {} to {}",
                old.size,
                l.size(),
                path.display()
            ));
            Ok(())
        }
        None => out.raw(&text),
    }
}

pub fn verify_consistency(a: VerifyConsistencyArgs, out: Out) -> Result<()> {
    let v = parse_key(&a.key)?;
    let old = Checkpoint::open(&read_input(&a.old_checkpoint, "checkpoint")?, &v)
        .map_err(|e| proof_failure("the old checkpoint", e))?;
    let bytes = read_input(&a.proof, "consistency proof")?;
    let bundle = if bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{') {
        prov_ledger::consistency_from_json(&bytes)
            .map_err(|e| Failure::input(format!("JSON consistency proof is malformed: {e}")))?
    } else {
        ConsistencyBundle::parse(&bytes)
            .map_err(|e| Failure::malformed("the consistency proof", e))?
    };
    if bundle.old_size != old.size {
        return Err(Failure::negative(format!(
            "the proof starts from size {}, but the old checkpoint has size {}: it proves nothing about that checkpoint",
            bundle.old_size, old.size
        )));
    }
    let new = bundle
        .verify(&old, &v)
        .map_err(|e| proof_failure("the consistency proof", e))?;
    if out.json {
        return out.json(&json!({
            "consistent": true,
            "origin": new.origin,
            "old_size": old.size,
            "new_size": new.size,
            "old_root": old.root.to_base64(),
            "new_root": new.root.to_base64(),
        }));
    }
    out.human(format!(
        "consistent: ledger {} grew from {} to {} entries without rewriting any of them",
        crate::escape::text(&new.origin),
        old.size,
        new.size
    ))?;
    out.human(format!("  new root  {}", new.root.to_base64()))
}
