//! `prov checkpoint`, `prov checkpoints`, `prov key`, `prov consistency`,
//! `prov verify-consistency`: what an auditor saves, and the proof that the ledger only
//! appended since.

use crate::failure::{Failure, Result};
use crate::output::{Out, count, rfc3339};
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
pub struct CheckpointsArgs {}

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
    #[command(flatten)]
    witnesses: crate::quorum::QuorumArgs,
}

pub fn checkpoint(ledger: &Path, a: CheckpointArgs, out: Out) -> Result<()> {
    let l = Ledger::open_read_only(ledger)?;
    let note = l.cosigned_note(&l.checkpoint_at(a.size.unwrap_or(l.size()))?)?;
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

/// Every checkpoint the ledger issued, oldest first: its size (what `prove --at` and
/// `checkpoint --size` take), the recorded time of its last entry (a checkpoint carries no
/// time of its own), and its root.
pub fn checkpoints(ledger: &Path, _a: CheckpointsArgs, out: Out) -> Result<()> {
    let l = Ledger::open_read_only(ledger)?;
    out.human(format!(
        "{:>10}  {:<24}  root",
        "size", "last entry recorded"
    ))?;
    let mut listed = 0u64;
    // One checkpoint at a time: memory does not grow with how many were issued.
    l.for_each_checkpoint(|size, note| {
        let cp = Checkpoint::open(note.as_bytes(), l.verifier()).map_err(|e| {
            Failure::ledger(format!(
                "the stored checkpoint of size {size} does not verify: {e}: run `prov audit`"
            ))
        })?;
        let time = match size {
            0 => None,
            n => Some(rfc3339(l.entry(n - 1)?.time_ms)),
        };
        listed += 1;
        if out.json {
            out.json(&json!({
                "size": size,
                "root": cp.root.to_base64(),
                "last_entry_time": time,
                "origin": cp.origin,
            }))
        } else {
            let time = time.unwrap_or_else(|| "-".to_owned());
            out.line(format!("{size:>10}  {time:<24}  {}", cp.root.to_base64()))
        }
    })?;
    out.human(format!(
        "{}; `prov checkpoint --size N` prints one, `prov prove --at N` proves against it",
        count(listed, "checkpoint", "checkpoints")
    ))
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
    let bytes = note_of(read_input(&a.old_checkpoint, "checkpoint")?);
    let old = Checkpoint::open(&bytes, l.verifier()).map_err(|e| {
        not_a_checkpoint(&a.old_checkpoint, &bytes)
            .unwrap_or(proof_failure("the old checkpoint", e))
    })?;
    if old.size > l.size() {
        return Err(Failure::negative(format!(
            "the old checkpoint has {} but this ledger only {}: it is from another ledger, or this one lost entries",
            count(old.size, "entry", "entries"),
            l.size()
        )));
    }
    let mut b = l.consistency(old.size, None)?;
    b.checkpoint = l.cosigned_note(&b.checkpoint)?;
    // Proven against the latest signed root: a damaged tile is named, never called a fork.
    let ours = l.root_at(old.size)?;
    if ours != old.root {
        return Err(Failure::negative(format!(
            "this ledger's first {} differ from what the old checkpoint committed to: its history was rewritten or forked",
            count(old.size, "entry", "entries")
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
            let mut v =
                json!({"what": "consistency proof", "old_size": old.size, "size": l.size()});
            crate::output::set_path(&mut v, path.as_os_str().as_encoded_bytes());
            out.wrote(
                format!(
                    "wrote the consistency proof from size {} to {} to {}",
                    old.size,
                    l.size(),
                    path.display()
                ),
                v,
            )?;
            Ok(())
        }
        None => out.raw(&text),
    }
}

pub fn verify_consistency(a: VerifyConsistencyArgs, out: Out) -> Result<()> {
    let v = parse_key(&a.key)?;
    let policy = a.witnesses.policy(&v)?;
    let old_bytes = note_of(read_input(&a.old_checkpoint, "checkpoint")?);
    let bytes = read_input(&a.proof, "consistency proof")?;
    let old = Checkpoint::open(&old_bytes, &v).map_err(|e| {
        if kind_of(&old_bytes) == Some(CONSISTENCY) && kind_of(&bytes) == Some(CHECKPOINT) {
            return Failure::input(format!(
                "the two files are swapped: {} is a consistency proof and {} a checkpoint: give the old checkpoint first, then the proof",
                a.old_checkpoint.display(),
                a.proof.display()
            ));
        }
        not_a_checkpoint(&a.old_checkpoint, &old_bytes)
            .unwrap_or(proof_failure("the old checkpoint", e))
    })?;
    let parsed = if bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{') {
        prov_ledger::consistency_from_json(&bytes)
            .map_err(|e| format!("JSON consistency proof is malformed: {e}"))
    } else {
        ConsistencyBundle::parse(&bytes)
            .map_err(|e| format!("the consistency proof is malformed: {e}"))
    };
    let bundle = parsed.map_err(|msg| match kind_of(&bytes) {
        Some(kind) if kind != CONSISTENCY => Failure::input(format!(
            "{} is {kind}, not a consistency proof: give the proof that `prov consistency {}` writes",
            a.proof.display(),
            a.old_checkpoint.display()
        )),
        _ => Failure::input(msg),
    })?;
    if bundle.old_size != old.size {
        return Err(Failure::negative(format!(
            "the proof starts from size {}, but the old checkpoint has size {}: it proves nothing about that checkpoint",
            bundle.old_size, old.size
        )));
    }
    let new = bundle
        .verify(&old, &v)
        .map_err(|e| proof_failure("the consistency proof", e))?;
    let witnessed = match &policy {
        Some(p) => Some(crate::quorum::check(p, &bundle.checkpoint)?),
        None => None,
    };
    if out.json {
        let mut v = json!({
            "consistent": true,
            "origin": new.origin,
            "old_size": old.size,
            "new_size": new.size,
            "old_root": old.root.to_base64(),
            "new_root": new.root.to_base64(),
        });
        if let Some(w) = &witnessed {
            v["witnesses"] = w.json();
        }
        return out.json(&v);
    }
    out.human(format!(
        "consistent: ledger {} grew from {} to {} without rewriting any of them",
        prov_report::escape::text(&new.origin),
        old.size,
        count(new.size, "entry", "entries")
    ))?;
    out.human(format!("  new root  {}", new.root.to_base64()))?;
    match &witnessed {
        Some(w) => w.show(out),
        None => Ok(()),
    }
}

const CHECKPOINT: &str = "a checkpoint";
const CONSISTENCY: &str = "a consistency proof";

/// What kind of file `prov` wrote this is, by its first line (text) or its keys (JSON):
/// used only to explain a file given in the wrong place.
fn kind_of(bytes: &[u8]) -> Option<&'static str> {
    let start = bytes.iter().position(|b| !b.is_ascii_whitespace())?;
    let text = &bytes[start..];
    if text.starts_with(b"{") {
        let v: serde_json::Value = serde_json::from_slice(text).ok()?;
        return [
            ("old_size", CONSISTENCY),
            ("leaf_index", "an inclusion proof"),
            ("root", CHECKPOINT),
        ]
        .into_iter()
        .find(|(key, _)| v.get(key).is_some())
        .map(|(_, kind)| kind);
    }
    if text.starts_with(b"old ") {
        Some(CONSISTENCY)
    } else if text.starts_with(b"c2sp.org/tlog-proof@v1") {
        Some("an inclusion proof (.tlog-proof)")
    } else if prov_proofs::Note::parse(text).is_ok() {
        Some(CHECKPOINT)
    } else {
        None
    }
}

/// A file given as a checkpoint that is another kind: said so, with what to give instead.
fn not_a_checkpoint(path: &Path, bytes: &[u8]) -> Option<Failure> {
    match kind_of(bytes)? {
        CHECKPOINT => None,
        kind => Some(Failure::input(format!(
            "{} is {kind}, not a checkpoint: give the checkpoint you saved (from `prov checkpoint`) first",
            path.display()
        ))),
    }
}

/// A saved checkpoint as the signed note: the file itself, or the `checkpoint` field of what
/// `prov checkpoint --json` printed.
fn note_of(bytes: Vec<u8>) -> Vec<u8> {
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return bytes;
    }
    let v: Option<serde_json::Value> = serde_json::from_slice(&bytes).ok();
    match v.as_ref().and_then(|v| v["checkpoint"].as_str()) {
        Some(note) => note.as_bytes().to_vec(),
        None => bytes,
    }
}
