//! The witnesses a reader trusts, the quorum of them that must have cosigned, and the check of
//! the cosignatures a checkpoint carries (C2SP tlog-cosignature, tlog-policy; FORMAT.md
//! section 9), with `prov_proofs`'s cosigner keys, policies and verification, so that the page
//! and `prov verify-proof --witness ... --quorum N` (or `--policy FILE`) judge alike.
//!
//! The reader gives either cosigner keys, one a line, and a quorum (0: all of them), or the
//! text of a tlog-policy file (its own `quorum` line then says how many).

use crate::error::{Error, Result};
use prov_proofs::{Cosignature, CosignerVerifier, Note, NoteVerifier, Policy, verify_cosignatures};

/// The witnesses the reader trusts and what they must have done.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Witnesses {
    /// The policy: the witnesses, and the quorum of them.
    pub policy: Policy,
    /// The quorum in words.
    pub quorum: String,
}

/// What the cosignatures of a checkpoint show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Witnessed {
    /// The trusted witnesses' verified cosignatures, in the order the witnesses were given.
    pub cosignatures: Vec<Cosignature>,
    /// The trusted witnesses without a cosignature, in the order they were given.
    pub missing: Vec<CosignerVerifier>,
    /// Whether the cosignatures meet the quorum.
    pub met: bool,
    /// When met, the earliest time (POSIX seconds) at which the cosignatures made by then met
    /// the quorum: the checkpoint existed by then (as `prov verify-proof` computes it).
    /// `None` when the quorum is not met, or met with no cosignature at all.
    pub by: Option<u64>,
}

/// Whether the first word of some line is a tlog-policy keyword: a cosigner key holds no
/// space, so such a text cannot be a list of keys.
fn is_policy_text(text: &str) -> bool {
    text.lines().any(|l| {
        matches!(
            l.split_whitespace().next(),
            Some("log" | "witness" | "group" | "quorum")
        )
    })
}

impl Witnesses {
    /// Reads what the reader gave: cosigner keys (one a line; blank lines and lines starting
    /// with `#` are skipped) with `quorum` (0: all of them), or a tlog-policy text with
    /// `quorum` 0. `None` when nothing is given. A policy that lists logs must list `log`.
    ///
    /// # Errors
    /// [`Error::Witnesses`] for a bad key (named by its line), the same key twice, a quorum
    /// larger than the number of keys or given beside a policy, a malformed policy, or a
    /// policy for other logs.
    pub fn parse(text: &str, quorum: u32, log: &NoteVerifier) -> Result<Option<Witnesses>> {
        let text = text.replace("\r\n", "\n");
        if is_policy_text(&text) {
            return Self::from_policy_text(&text, quorum, log).map(Some);
        }
        let mut keys: Vec<CosignerVerifier> = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let key = CosignerVerifier::parse(line).map_err(|e| {
                Error::Witnesses(format!("line {}: the witness key {line:?}: {e}", n + 1))
            })?;
            if keys.iter().any(|k| k.key == key.key) {
                return Err(Error::Witnesses(format!(
                    "line {}: the key of witness {} is given twice",
                    n + 1,
                    key.name
                )));
            }
            keys.push(key);
        }
        let k = usize::try_from(quorum).unwrap_or(usize::MAX);
        if keys.is_empty() {
            return match k {
                0 => Ok(None),
                _ => Err(Error::Witnesses(format!(
                    "the quorum is {k}, but no witness key is given"
                ))),
            };
        }
        if k > keys.len() {
            return Err(Error::Witnesses(format!(
                "the quorum is {k}, but only {} witness keys are given",
                keys.len()
            )));
        }
        let n = keys.len();
        let k = if k == 0 { n } else { k };
        let policy = Policy::threshold(keys, k)?;
        let quorum = match (k, n) {
            (1, 1) => "the witness you named".to_owned(),
            (k, n) if k == n => format!("all {n} of the witnesses you named"),
            (k, n) => format!("at least {k} of the {n} witnesses you named"),
        };
        Ok(Some(Witnesses { policy, quorum }))
    }

    fn from_policy_text(text: &str, quorum: u32, log: &NoteVerifier) -> Result<Witnesses> {
        if quorum != 0 {
            return Err(Error::Witnesses(
                "a policy's own `quorum` line says how many witnesses must cosign: leave the quorum field empty".into(),
            ));
        }
        let mut bytes = text.as_bytes().to_vec();
        if !bytes.ends_with(b"\n") {
            bytes.push(b'\n');
        }
        let policy = Policy::parse(&bytes)?;
        if !policy.logs.is_empty() && !policy.logs.iter().any(|(l, _)| l.key == log.key) {
            return Err(Error::Witnesses(format!(
                "the policy does not list the archive's key ({}+{:08x}) among its logs: it is the policy for other logs",
                log.name, log.key_id
            )));
        }
        let quorum = policy.describe_quorum();
        Ok(Witnesses { policy, quorum })
    }

    /// Checks the cosignature lines of `note` (a checkpoint, signature lines included): every
    /// line by a trusted witness must verify; the others are ignored.
    ///
    /// # Errors
    /// [`Error::Proofs`] when the note cannot be read or a trusted witness's line does not
    /// verify ([`prov_proofs::Error::BadSignature`] names the witness).
    pub fn check(&self, note: &str) -> Result<Witnessed> {
        let note = Note::parse(note.as_bytes())?;
        let trusted = self.policy.cosigners();
        let cosignatures = verify_cosignatures(&note, &trusted)?;
        let missing = trusted
            .into_iter()
            .filter(|w| {
                !cosignatures
                    .iter()
                    .any(|c| c.name == w.name && c.key_id == w.key_id)
            })
            .collect();
        let met = self.policy.is_met(&cosignatures);
        let by = if met {
            // The earliest time at which the cosignatures made so far met the quorum.
            let mut sorted = cosignatures.clone();
            sorted.sort_by_key(|c| c.timestamp);
            (1..=sorted.len())
                .find(|&n| self.policy.is_met(&sorted[..n]))
                .map(|n| sorted[n - 1].timestamp)
        } else {
            None
        };
        Ok(Witnessed {
            cosignatures,
            missing,
            met,
            by,
        })
    }
}
