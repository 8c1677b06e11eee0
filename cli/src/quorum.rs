//! The auditor's witness policy for `verify-proof` and `verify-consistency`: `--witness VKEY`
//! (repeatable) with `--quorum N`, or a C2SP tlog-policy file (`--policy FILE`). A proof then
//! holds only when enough of those witnesses cosigned its checkpoint (C2SP tlog-cosignature);
//! the output says which did, and when.

use crate::failure::{Failure, Result};
use crate::output::{Out, rfc3339};
use crate::proof::{proof_failure, read_input};
use clap::Args;
use prov_proofs::{Cosignature, CosignerVerifier, Note, NoteVerifier, Policy, verify_cosignatures};
use prov_report::escape;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

#[derive(Args, Default)]
pub struct QuorumArgs {
    /// A witness whose cosignature counts: its verifier key (as `prov witness init` printed
    /// it) or a file holding it (repeatable)
    #[arg(long = "witness", value_name = "VKEY")]
    witnesses: Vec<String>,
    /// How many of the --witness keys must have cosigned the checkpoint [default: all]
    #[arg(long, value_name = "N", requires = "witnesses")]
    quorum: Option<usize>,
    /// A C2SP tlog-policy file naming the witnesses and the quorum (instead of --witness)
    #[arg(long, value_name = "FILE", conflicts_with_all = ["witnesses", "quorum"])]
    policy: Option<PathBuf>,
}

/// What the cosignatures of a checkpoint proved.
pub struct Witnessed {
    /// The trusted witnesses' verified cosignatures, in the policy's order.
    pub cosignatures: Vec<Cosignature>,
    /// The quorum, in words.
    pub quorum: String,
    /// The earliest time by which the quorum had cosigned (POSIX seconds): the checkpoint
    /// existed then unless every witness of some quorum lied.
    pub by: u64,
}

pub fn parse_witness(arg: &str) -> Result<CosignerVerifier> {
    if let Ok(v) = CosignerVerifier::parse(arg.trim()) {
        return Ok(v);
    }
    let path = Path::new(arg);
    if path.is_file() {
        let text = read_input(path, "witness key")?;
        return CosignerVerifier::parse(String::from_utf8_lossy(&text).trim()).map_err(|e| {
            Failure::input(format!(
                "--witness {}: {e}: give the line the witness published",
                path.display()
            ))
        });
    }
    let e = CosignerVerifier::parse(arg.trim())
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    Err(Failure::input(format!(
        "--witness {}: {e}: give the witness's verifier key, or a file holding it",
        escape::text(arg)
    )))
}

impl QuorumArgs {
    /// The policy asked for, or `None` when no witness was named. The ledger's key must be
    /// one of the policy's logs when the policy lists any.
    pub fn policy(&self, ledger: &NoteVerifier) -> Result<Option<Policy>> {
        if let Some(path) = &self.policy {
            let bytes = read_input(path, "policy")?;
            let p = Policy::parse(&bytes)
                .map_err(|e| Failure::input(format!("{}: {e}", path.display())))?;
            if !p.logs.is_empty() && !p.logs.iter().any(|(l, _)| l.key == ledger.key) {
                return Err(Failure::input(format!(
                    "the policy {} does not list the ledger key given by --key ({}+{:08x}) among its logs: give the policy for this ledger",
                    path.display(),
                    escape::text(&ledger.name),
                    ledger.key_id
                )));
            }
            return Ok(Some(p));
        }
        if self.witnesses.is_empty() {
            return Ok(None);
        }
        let list = self
            .witnesses
            .iter()
            .map(|w| parse_witness(w))
            .collect::<Result<Vec<_>>>()?;
        let k = self.quorum.unwrap_or(list.len());
        if k == 0 || k > list.len() {
            return Err(Failure::usage(format!(
                "--quorum {k}: give a number from 1 to the {} --witness keys given",
                list.len()
            )));
        }
        Policy::threshold(list, k)
            .map(Some)
            .map_err(|e| Failure::input(format!("--witness: {e}")))
    }
}

/// Checks the cosignatures of `note` (a checkpoint, cosignature lines included) against
/// `policy`: every line by a trusted witness must verify, and the quorum must be met.
pub fn check(policy: &Policy, note: &str) -> Result<Witnessed> {
    let parsed =
        Note::parse(note.as_bytes()).map_err(|e| Failure::malformed("the checkpoint", e))?;
    let mut cosignatures = verify_cosignatures(&parsed, &policy.cosigners())
        .map_err(|e| proof_failure("a witness's cosignature", e))?;
    let quorum = policy.describe_quorum();
    if !policy.is_met(&cosignatures) {
        let names: Vec<String> = cosignatures.iter().map(|c| escape::text(&c.name)).collect();
        return Err(Failure::negative(format!(
            "the checkpoint's cosignatures do not meet the quorum ({quorum}): cosigned by {} of the trusted witnesses{}: get a checkpoint the witnesses cosigned (`prov cosign` on the archive's side), or check the witness keys",
            cosignatures.len(),
            if names.is_empty() {
                String::new()
            } else {
                format!(" ({})", names.join(", "))
            }
        )));
    }
    // The earliest time at which the cosignatures made so far met the quorum.
    cosignatures.sort_by_key(|c| c.timestamp);
    let by = (1..=cosignatures.len())
        .find(|&n| policy.is_met(&cosignatures[..n]))
        .map_or(0, |n| cosignatures[n - 1].timestamp);
    Ok(Witnessed {
        cosignatures,
        quorum,
        by,
    })
}

impl Witnessed {
    /// The JSON form: `cosignatures` (`witness`, `key_id`, `time`, `timestamp`), `quorum`,
    /// `witnessed_by`.
    pub fn json(&self) -> Value {
        json!({
            "cosignatures": self.cosignatures.iter().map(|c| json!({
                "witness": c.name,
                "key_id": format!("{:08x}", c.key_id),
                "time": rfc3339(c.timestamp.saturating_mul(1000)),
                "timestamp": c.timestamp,
            })).collect::<Vec<_>>(),
            "quorum": self.quorum,
            "witnessed_by": (self.by > 0).then(|| rfc3339(self.by.saturating_mul(1000))),
        })
    }

    /// The human lines.
    pub fn show(&self, out: Out) -> Result<()> {
        for c in &self.cosignatures {
            out.human(format!(
                "  cosigned  by {} at {}",
                escape::text(&c.name),
                rfc3339(c.timestamp.saturating_mul(1000))
            ))?;
        }
        if self.by > 0 {
            out.human(format!(
                "  witnessed the checkpoint existed by {} at the latest (quorum: {})",
                rfc3339(self.by.saturating_mul(1000)),
                self.quorum
            ))?;
        }
        Ok(())
    }
}
