//! Claims about entries (FORMAT.md section 6.7): "this spreadsheet is a forgery", "this email
//! verifies by DKIM", each a signed entry of kind 2 in the same log, chain and Merkle tree as
//! the captures, so that a claim is proven, exported and audited like any entry. A claim never
//! changes the entry it is about; a later claim of verdict `retracted` withdraws it.
//!
//! A claim records no document: its `sha256` and `size` are those of the entry it is about
//! (for a retraction, of the claim it retracts, so the same document's), its `source` is who
//! makes the claim, its reason is the metadata value [`CLAIM_REASON`], and its evidence the
//! related links [`EVIDENCE`]. The decision (what is refused, what is already recorded) is
//! here; the durable append is `append.rs`'s.

use crate::entry::{Content, Entry, Kind, Related};
use crate::error::{Error, Result};
use crate::ledger::{CLAIMS_FORMAT, Ledger};
use std::collections::BTreeMap;

/// The metadata key holding a claim's reason.
pub const CLAIM_REASON: &str = "claim.reason";
/// The relation of a claim's evidence links.
pub const EVIDENCE: &str = "evidence";
/// Metadata keys starting with this are the ledger's own on a claim.
const RESERVED: &str = "claim.";

/// What became of a claim given to [`Ledger::claim`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClaimStatus {
    /// A new claim entry was appended.
    Recorded,
    /// The ledger already held the same claim: nothing was appended.
    AlreadyRecorded,
}

impl ClaimStatus {
    /// `recorded` or `already_recorded`.
    pub fn as_str(self) -> &'static str {
        match self {
            ClaimStatus::Recorded => "recorded",
            ClaimStatus::AlreadyRecorded => "already_recorded",
        }
    }
}

/// What a claim says about the entry it is about (FORMAT.md section 6.7, the verdict byte).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Verdict {
    /// The document is what it says it is (byte `0`).
    Authentic,
    /// The document is a forgery (`1`).
    Forged,
    /// The document was altered, for example from another entry given as evidence (`2`).
    Altered,
    /// Its authenticity is disputed (`3`).
    Disputed,
    /// It could not be verified (`4`).
    Unverified,
    /// Withdraws the earlier claim this claim is about (`5`).
    Retracted,
}

impl Verdict {
    /// Every verdict, in the order of their bytes.
    pub const ALL: [Verdict; 6] = [
        Verdict::Authentic,
        Verdict::Forged,
        Verdict::Altered,
        Verdict::Disputed,
        Verdict::Unverified,
        Verdict::Retracted,
    ];

    /// The verdict byte of the encoding.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The verdict of a verdict byte; `None` for a byte no verdict has.
    pub fn from_code(code: u8) -> Option<Verdict> {
        Verdict::ALL.get(usize::from(code)).copied()
    }

    /// Its name: `authentic`, `forged`, `altered`, `disputed`, `unverified`, `retracted`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Authentic => "authentic",
            Verdict::Forged => "forged",
            Verdict::Altered => "altered",
            Verdict::Disputed => "disputed",
            Verdict::Unverified => "unverified",
            Verdict::Retracted => "retracted",
        }
    }

    /// The verdict of a name, as [`Verdict::as_str`] gives it.
    pub fn parse(name: &str) -> Option<Verdict> {
        Verdict::ALL.into_iter().find(|v| v.as_str() == name)
    }
}

/// The field rules of a claim entry (FORMAT.md section 6.7), beyond those of every entry: it
/// is about an earlier entry, names no file, media type or further digest, and its related
/// links are all `evidence`.
pub(crate) fn validate_claim_fields(e: &Entry, about: u64) -> Result<()> {
    if about >= e.seq {
        return Err(Error::invalid(
            "claim",
            format!(
                "entry {} cannot be about entry {about}, which is not earlier",
                e.seq
            ),
        ));
    }
    let c = &e.content;
    if c.name.is_some() || c.media_type.is_some() || !c.digests.is_empty() {
        return Err(Error::invalid(
            "claim",
            "a claim records no document: no name, media type or further digest",
        ));
    }
    if let Some(r) = e.related.iter().find(|r| r.relation != EVIDENCE) {
        return Err(Error::invalid(
            "claim",
            format!("a claim's links are all '{EVIDENCE}', not '{}'", r.relation),
        ));
    }
    Ok(())
}

/// A claim to record: who says what about which entry, and why.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NewClaim {
    /// The entry it is about (for a retraction, the claim it retracts).
    pub about: u64,
    /// What is claimed.
    pub verdict: Option<Verdict>,
    /// Who makes the claim (the entry's `source`).
    pub by: String,
    /// Why, in words (metadata [`CLAIM_REASON`]); `None` when there is none, never blank.
    pub reason: Option<String>,
    /// Entries that support it (links `evidence`).
    pub evidence: Vec<u64>,
    /// Who records it (the entry's `agent`).
    pub agent: Option<String>,
    /// Further metadata (keys starting with `claim.` are the ledger's).
    pub metadata: BTreeMap<String, String>,
}

impl NewClaim {
    /// The claim's entry at `seq`, about `content`, unsigned and unchained.
    fn entry(&self, seq: u64, verdict: Verdict, content: &Content) -> Entry {
        let mut metadata = self.metadata.clone();
        if let Some(r) = &self.reason {
            metadata.insert(CLAIM_REASON.into(), r.clone());
        }
        let mut related: Vec<Related> = self
            .evidence
            .iter()
            .map(|&seq| Related {
                relation: EVIDENCE.into(),
                seq,
            })
            .collect();
        related.sort();
        related.dedup();
        Entry {
            seq,
            prev: Default::default(),
            time_ms: 0,
            kind: Kind::Claim {
                about: self.about,
                verdict,
            },
            content: Content {
                sha256: content.sha256,
                size: content.size,
                ..Content::default()
            },
            source: self.by.clone(),
            agent: self.agent.clone(),
            metadata,
            related,
            key_id: 0,
            signature: [0; 64],
        }
    }

    /// Checks the claim's own fields against every rule its entry must keep, before the
    /// ledger is read: a verdict, who claims, the reason and metadata.
    ///
    /// # Errors
    /// [`Error::Invalid`] naming the field.
    pub fn validate(&self) -> Result<Verdict> {
        let verdict = self
            .verdict
            .ok_or_else(|| Error::invalid("verdict", "a claim needs a verdict"))?;
        if let Some(k) = self.metadata.keys().find(|k| k.starts_with(RESERVED)) {
            return Err(Error::invalid(
                "metadata key",
                format!(
                    "'{k}': keys starting with '{RESERVED}' are the claim's own (give the reason as the claim's reason)"
                ),
            ));
        }
        // FORMAT.md 6.7: `claim.reason` is absent when no reason is given, never empty.
        if self.reason.as_ref().is_some_and(|r| r.trim().is_empty()) {
            return Err(Error::invalid(
                "reason",
                "must not be blank: say why in words, or leave it out",
            ));
        }
        if let Some(r) = &self.reason
            && (r.chars().any(char::is_control) || r.len() > crate::entry_rules::MAX_META_VALUE)
        {
            return Err(Error::invalid(
                "reason",
                format!(
                    "must be one line of at most {} bytes, without control characters (tabs, newlines)",
                    crate::entry_rules::MAX_META_VALUE
                ),
            ));
        }
        let mut probe = self.entry(u64::MAX, verdict, &Content::default());
        probe.kind = Kind::Claim { about: 0, verdict };
        probe.check_signable().map_err(|e| match e {
            Error::Invalid {
                field: "source",
                reason,
            } => Error::Invalid {
                field: "by",
                reason,
            },
            e => e,
        })?;
        Ok(verdict)
    }
}

impl Ledger {
    /// Records a claim and returns only once it is durable (the append path of `append.rs`:
    /// one entry, its checkpoint, the commit point). The first claim moves the ledger to
    /// [`CLAIMS_FORMAT`].
    ///
    /// Refused, with nothing written: an `about` or evidence entry the ledger does not hold,
    /// a verdict other than `retracted` about a claim, a `retracted` about anything but a
    /// claim that is not itself a retraction. Already recorded (nothing written, the earlier
    /// entry returned): the same verdict by the same `by` with the same reason about the same
    /// entry, not retracted since, or a retraction of a claim already retracted.
    ///
    /// # Errors
    /// [`Error::NoSuchEntry`], [`Error::Invalid`], and those of [`Ledger::append`].
    pub fn claim(&mut self, c: &NewClaim, now_ms: u64) -> Result<(ClaimStatus, Entry)> {
        let verdict = c.validate()?;
        let size = self.size();
        for &seq in std::iter::once(&c.about).chain(&c.evidence) {
            if seq >= size {
                return Err(Error::NoSuchEntry { seq, size });
            }
        }
        let target = self.entry(c.about)?;
        match (verdict, target.kind) {
            (
                Verdict::Retracted,
                Kind::Claim {
                    verdict: Verdict::Retracted,
                    ..
                },
            ) => {
                return Err(Error::invalid(
                    "claim",
                    format!(
                        "entry {} is a retraction: a retraction cannot be retracted (make a new claim instead)",
                        c.about
                    ),
                ));
            }
            (Verdict::Retracted, Kind::Claim { .. }) => {}
            (Verdict::Retracted, _) => {
                return Err(Error::invalid(
                    "claim",
                    format!(
                        "entry {} is not a claim: `retracted` names the claim it retracts",
                        c.about
                    ),
                ));
            }
            (_, Kind::Claim { .. }) => {
                return Err(Error::invalid(
                    "claim",
                    format!(
                        "entry {} is a claim: make a claim about the document's entry, or retract it with the verdict retracted",
                        c.about
                    ),
                ));
            }
            _ => {}
        }
        let wanted = c.entry(size, verdict, &target.content);
        if let Some(earlier) = self.same_claim(&wanted)? {
            return Ok((ClaimStatus::AlreadyRecorded, earlier));
        }
        self.ready_to_append(now_ms, true, CLAIMS_FORMAT)?;
        let time_ms = now_ms.max(self.last_time);
        let Some(built) = self.build_entries([wanted], 1, time_ms)? else {
            return Err(Error::invalid("claim", "nothing was built"));
        };
        self.commit_built(built)?;
        Ok((ClaimStatus::Recorded, self.entry(size)?))
    }

    /// The claim already recorded that `wanted` repeats: the same entry, verdict, claimant
    /// and reason, not retracted since (a retracted claim no longer stands: making it again
    /// is a new claim); for a retraction, any retraction of the same claim. Read from the
    /// log's entries of the claimed content, each checked: a retraction records the sha256
    /// of the claim it retracts (FORMAT.md 6.7), so the retractions of every candidate are
    /// among them, and no pass over the whole log is needed.
    fn same_claim(&self, wanted: &Entry) -> Result<Option<Entry>> {
        let sha = wanted.content.sha256;
        let mut seqs = crate::recovery::seqs_in(&self.contents, &sha);
        seqs.extend(self.contents_since.get(&sha).into_iter().flatten());
        let Kind::Claim { about, verdict } = wanted.kind else {
            return Ok(None);
        };
        let mut claims = Vec::new();
        for seq in seqs.into_iter().filter(|s| *s > about) {
            let e = self.entry(seq)?;
            if let Kind::Claim {
                about: a,
                verdict: v,
            } = e.kind
            {
                claims.push((a, v, e));
            }
        }
        let retracted = |seq: u64| {
            claims
                .iter()
                .any(|(a, v, _)| *a == seq && *v == Verdict::Retracted)
        };
        Ok(claims
            .iter()
            .find(|(a, v, e)| {
                *a == about
                    && *v == verdict
                    && (verdict == Verdict::Retracted
                        || (e.source == wanted.source
                            && e.metadata.get(CLAIM_REASON) == wanted.metadata.get(CLAIM_REASON)
                            && !retracted(e.seq)))
            })
            .map(|(_, _, e)| e.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::Verdict;

    #[test]
    fn verdicts_have_one_byte_and_one_name_each() {
        for (i, v) in Verdict::ALL.into_iter().enumerate() {
            assert_eq!(usize::from(v.code()), i);
            assert_eq!(Verdict::from_code(v.code()), Some(v));
            assert_eq!(Verdict::parse(v.as_str()), Some(v));
        }
        assert_eq!(Verdict::from_code(6), None);
        assert_eq!(Verdict::parse("Forged"), None);
    }
}
