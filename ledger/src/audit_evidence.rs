//! The audit's last step: the independent evidence stored beside the checkpoints
//! (`cosignatures/`, `timestamps/`; `docs/FORMAT.md` sections 9 and 10), each verified
//! against the witness keys and TSA certificates the auditor gave, else those of the ledger's
//! `witnesses.json` and `tsas.json`, over the checkpoint of its size as the audit's pass over
//! the log read and checked it. One that names a trusted witness or TSA and does not verify
//! (or a file that does not read) is a fault: `prov check` and the clock check already
//! ignore it, and it should be removed. One by a witness or TSA not trusted is counted as
//! not checked, as signed-note asks of signatures by unknown keys.

use crate::audit::{AuditReport, Fault};
use crate::evidence::{Trust, no_checkpoint};
use crate::ledger::Ledger;
use std::collections::HashMap;
use std::path::Path;

/// Whose evidence the audit checks: the auditor's own keys and certificates, each kind
/// falling back to the ledger's configuration when none is given.
#[derive(Clone, Debug, Default)]
pub struct AuditTrust {
    /// Witness keys the auditor trusts (`audit --witness`); `None`: `witnesses.json`'s.
    pub witnesses: Option<Vec<prov_proofs::CosignerVerifier>>,
    /// TSA certificates, DER, the auditor trusts (`audit --tsa-cert`); `None`: `tsas.json`'s.
    pub tsa_certs: Option<Vec<Vec<u8>>>,
}

/// What to do about a stored item that does not verify.
fn fix_for(file: &str) -> &'static str {
    if file.starts_with(crate::cosigned::COSIGNATURES_DIR) {
        "it counts for nothing (not for `prov check`, not for the clock): remove that line from the file (or the file), then run `prov cosign` to ask the witnesses again"
    } else {
        "it counts for nothing (not for `prov check`, not for the clock): remove the file, then run `prov timestamp` to ask the TSA again"
    }
}

/// Checks the evidence of the ledger in `dir` with the checkpoints `notes` (those of the
/// sizes the audit was asked for), recording what it found in `report`.
pub(crate) fn check_evidence(
    dir: &Path,
    l: &Ledger,
    given: &AuditTrust,
    notes: &HashMap<u64, String>,
    report: &mut AuditReport,
) {
    let fault = |file: std::path::PathBuf, what: String| Fault {
        file,
        offset: None,
        seq: None,
        what,
    };
    // Each kind of key the auditor did not give is read from the ledger's configuration; a
    // file that does not read is a fault only for the kind it holds, and says what to do.
    let unreadable = |e: crate::Error| {
        let (path, reason) = match e {
            crate::Error::Damaged { path, reason, .. } => (path, reason),
            other => (dir.to_owned(), other.to_string()),
        };
        fault(
            path,
            format!(
                "{reason}: the stored cosignatures and timestamps cannot be checked against it; fix or remove it, or give the keys with --witness and --tsa-cert"
            ),
        )
    };
    let witnesses = match &given.witnesses {
        Some(w) => w.clone(),
        None => match l.witnesses() {
            Ok(w) => w.into_iter().map(|w| w.verifier).collect(),
            Err(e) => {
                report.fault = Some(unreadable(e));
                return;
            }
        },
    };
    let tsa_certs = match &given.tsa_certs {
        Some(c) => c.clone(),
        None => match l.tsas() {
            Ok(t) => t.into_iter().filter_map(|t| t.cert).collect(),
            Err(e) => {
                report.fault = Some(unreadable(e));
                return;
            }
        },
    };
    let trust = Trust {
        witnesses,
        tsa_certs,
    };
    let checkpoint = |size: u64| Ok(notes.get(&size).cloned().ok_or_else(|| no_checkpoint(size)));
    let ev = match l.evidence_over(&trust, &checkpoint) {
        Ok(ev) => ev,
        Err(e) => {
            report.fault = Some(fault(dir.to_owned(), e.to_string()));
            return;
        }
    };
    report.evidence_verified = ev.bounds.len() as u64;
    report.evidence_untrusted = ev.unverified.iter().filter(|u| u.unknown).count() as u64;
    if let Some(u) = ev.unverified.iter().find(|u| !u.unknown) {
        let by = match u.by.as_str() {
            "" => String::new(),
            by => format!(" by {by}"),
        };
        let kind = if u.file.starts_with(crate::cosigned::COSIGNATURES_DIR) {
            "a cosignature"
        } else {
            "a timestamp token"
        };
        report.fault = Some(fault(
            dir.join(&u.file),
            format!(
                "{kind}{by} stored for the checkpoint of size {} does not hold: {}; {}",
                u.size,
                u.why,
                fix_for(&u.file)
            ),
        ));
    }
}
