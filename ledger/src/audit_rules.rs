//! The audit's rules for each record, in the order of FORMAT.md section 8: an entry's place
//! in the chain and its time, its key, what it says about its content (first seen, or a
//! sighting of the first-seen entry with the same size, from a source not yet recorded for
//! that content), and each checkpoint's size, root and order, from the opening empty-tree
//! checkpoint `prov init` writes. Signatures are collected and checked by `audit_sigs.rs`.

use crate::audit::{AuditReport, Fault};
use crate::audit_sigs::{PendingSig, batchable_key, first_bad};
use crate::entry::{Entry, Kind};
use crate::log::{LogFile, read_frame_at};
use prov_proofs::{Checkpoint, Hash, NoteVerifier, TileBuilder};
use std::collections::HashMap;
use std::path::PathBuf;

/// Signatures collected before they are verified, in parallel, and the pass moves on.
const SIG_CHUNK: usize = 4096;

/// What the audit knows of content seen more than once: its first-seen entry's seq and size,
/// and the key of each (source, place) recorded for it (`location.rs`), with the entry that
/// recorded it.
struct Sighted {
    first: u64,
    size: u64,
    places: HashMap<[u8; 32], u64>,
}

/// What the audit keeps of a claim, for the claims that retract it.
struct ClaimSeen {
    sha256: [u8; 32],
    size: u64,
    retraction: bool,
    retracted_by: Option<u64>,
}

type Checked = std::result::Result<(), Fault>;

pub(crate) struct Pass<'a> {
    log_path: PathBuf,
    log: &'a LogFile,
    verifier: &'a NoteVerifier,
    batch_key: bool,
    pub(crate) report: AuditReport,
    pub(crate) frontier: TileBuilder,
    /// The check of the tiles and offsets, when the audit makes it.
    pub(crate) derived: Option<crate::audit_tiles::TileCheck>,
    pub(crate) prev: Hash,
    pub(crate) last_time: u64,
    /// Each content's first-seen record, by its log offset (read back at a sighting).
    pub(crate) first_of: HashMap<[u8; 32], u64>,
    sighted: HashMap<[u8; 32], Sighted>,
    /// Each claim seen: its content, whether it is a retraction, whether it was retracted.
    claims: HashMap<u64, ClaimSeen>,
    pending: Vec<PendingSig>,
    pub(crate) last_checkpoint: Option<u64>,
    /// The ledger's format, whose rule 5 applies (`ledger.json`).
    pub(crate) format: u32,
    /// The sizes whose checkpoints the evidence check needs (`audit_evidence.rs`).
    pub(crate) evidence_sizes: std::collections::HashSet<u64>,
    /// Those checkpoints, as signed, once checked.
    pub(crate) evidence_notes: HashMap<u64, String>,
}

/// The key of an entry's source and place under `format`'s rule 5.
fn place_id(format: u32, e: &Entry) -> [u8; 32] {
    crate::location::key(
        format,
        &crate::location::Place {
            source: &e.source,
            name: e.content.name.as_deref(),
            related: &e.related,
            metadata: &e.metadata,
            container: None,
        },
    )
}

impl<'a> Pass<'a> {
    /// A pass over `log` at `log_path`, expecting about `entries` entries (the content map is
    /// sized once: growing it doubles the peak memory of a large audit).
    pub(crate) fn new(
        log_path: PathBuf,
        log: &'a LogFile,
        verifier: &'a NoteVerifier,
        report: AuditReport,
        entries: u64,
    ) -> Self {
        Pass {
            log_path,
            log,
            verifier,
            batch_key: batchable_key(&verifier.key),
            report,
            frontier: TileBuilder::new(),
            derived: None,
            prev: Hash::default(),
            last_time: 0,
            first_of: HashMap::with_capacity(entries as usize),
            sighted: HashMap::new(),
            claims: HashMap::new(),
            pending: Vec::new(),
            last_checkpoint: None,
            format: crate::ledger::FORMAT_VERSION,
            evidence_sizes: Default::default(),
            evidence_notes: HashMap::new(),
        }
    }

    pub(crate) fn fault(&self, offset: u64, seq: Option<u64>, what: impl Into<String>) -> Fault {
        Fault {
            file: self.log_path.clone(),
            offset: Some(offset),
            seq,
            what: what.into(),
        }
    }

    /// Verifies the pending signatures (see `audit_sigs.rs`) and names the first bad one.
    pub(crate) fn flush_signatures(&mut self) -> Checked {
        let bad = first_bad(&self.pending, &self.verifier.key, self.batch_key);
        let result = match bad {
            Some(i) => {
                let p = &self.pending[i];
                Err(self.fault(p.offset, Some(p.seq), "signature does not verify"))
            }
            None => Ok(()),
        };
        self.pending.clear();
        result
    }

    pub(crate) fn entry(&mut self, offset: u64, payload: Vec<u8>) -> Checked {
        let want = self.frontier.size();
        let path = self.log_path.clone();
        let at = |what: String| Fault {
            file: path.clone(),
            offset: Some(offset),
            seq: Some(want),
            what,
        };
        if self.last_checkpoint.is_none() {
            return Err(at(
                "an entry comes before the opening checkpoint of the empty tree, which `prov init` writes first".into(),
            ));
        }
        let e = Entry::from_bytes(&payload).map_err(|e| at(e.to_string()))?;
        if e.seq != want {
            return Err(at(format!(
                "record holds entry {} where entry {want} belongs (removed, reordered or duplicated records)",
                e.seq
            )));
        }
        if e.prev != self.prev {
            return Err(at(
                "previous-entry hash does not match the entry before it (chain broken)".into(),
            ));
        }
        if e.time_ms < self.last_time {
            return Err(at(format!(
                "recorded time {} is earlier than the previous entry's {}",
                e.time_ms, self.last_time
            )));
        }
        if e.key_id != self.verifier.key_id {
            return Err(at(format!(
                "signed by key ID {:08x}, the ledger's is {:08x}",
                e.key_id, self.verifier.key_id
            )));
        }
        self.content(offset, &e).map_err(at)?;
        let msg = crate::entry::signed_message_of(&payload)
            .ok_or_else(|| at("entry too short to hold a signature".into()))?;
        self.pending.push(PendingSig {
            seq: e.seq,
            offset,
            msg,
            sig: e.signature,
        });
        let leaf = prov_proofs::leaf_hash(&payload);
        let full = self.frontier.append(leaf);
        if let Some(d) = self.derived.as_mut() {
            d.entry(e.seq, offset);
            d.full(full);
        }
        self.prev = leaf;
        self.last_time = e.time_ms;
        let first = self.report.time_range.map_or(e.time_ms, |r| r.0);
        self.report.time_range = Some((first, e.time_ms));
        if self.pending.len() >= SIG_CHUNK {
            self.flush_signatures()?;
        }
        Ok(())
    }

    /// The content rules: first seen once; a sighting names the first-seen entry, has its
    /// size, and comes from a source not yet recorded for the content.
    fn content(&mut self, offset: u64, e: &Entry) -> std::result::Result<(), String> {
        let sha = e.content.sha256;
        let first = match e.kind {
            Kind::FirstSeen => {
                if let Some(&at) = self.first_of.get(&sha) {
                    let f = self.read_entry(at)?;
                    return Err(format!(
                        "content first seen at entry {} is recorded again as first seen",
                        f.seq
                    ));
                }
                self.first_of.insert(sha, offset);
                self.report.first_seen += 1;
                return Ok(());
            }
            Kind::Sighting { first } => first,
            Kind::Claim { about, verdict } => return self.claim(e, about, verdict),
        };
        if !self.sighted.contains_key(&sha) {
            let Some(&at) = self.first_of.get(&sha) else {
                return Err(format!(
                    "sighting refers to entry {first}, which is not an earlier entry for this content"
                ));
            };
            let f = self.read_entry(at)?;
            let sighted = Sighted {
                first: f.seq,
                size: f.content.size,
                places: HashMap::from([(place_id(self.format, &f), f.seq)]),
            };
            self.sighted.insert(sha, sighted);
        }
        let s = self.sighted.get_mut(&sha).ok_or("content lost")?;
        if s.first != first {
            return Err(format!(
                "sighting refers to entry {first}, but this content was first seen at entry {}",
                s.first
            ));
        }
        if s.size != e.content.size {
            return Err(format!(
                "sighting records {} bytes, but this content was first seen at entry {} as {} bytes",
                e.content.size, s.first, s.size
            ));
        }
        if let Some(earlier) = s.places.insert(place_id(self.format, e), e.seq) {
            return Err(if self.format == crate::location::FORMAT_SOURCE_ONLY {
                format!(
                    "content and source already recorded together at entry {earlier} (a repeated pair adds no entry)"
                )
            } else {
                format!(
                    "content, source and place already recorded together at entry {earlier} (a repeated place adds no entry)"
                )
            });
        }
        self.report.sightings += 1;
        Ok(())
    }

    /// The claim rules (FORMAT.md section 8, rule 5): a claim is in a ledger of the claims
    /// format; a claim other than a retraction is about an earlier document entry (first seen
    /// or sighting, never a claim) and records its content and size; a retraction is about
    /// an earlier claim that is not a retraction and was not retracted before, and records
    /// its content and size. Evidence links name earlier entries (a decoding rule).
    fn claim(
        &mut self,
        e: &Entry,
        about: u64,
        verdict: crate::claim::Verdict,
    ) -> std::result::Result<(), String> {
        if self.format < crate::ledger::CLAIMS_FORMAT {
            return Err(format!(
                "a claim entry in a format {} ledger (claims come with format {})",
                self.format,
                crate::ledger::CLAIMS_FORMAT
            ));
        }
        let (sha, size) = (e.content.sha256, e.content.size);
        let retraction = verdict == crate::claim::Verdict::Retracted;
        if retraction {
            let Some(c) = self.claims.get_mut(&about) else {
                return Err(format!(
                    "a retraction of entry {about}, which is not a claim"
                ));
            };
            if c.retraction {
                return Err(format!(
                    "a retraction of entry {about}, itself a retraction"
                ));
            }
            if let Some(by) = c.retracted_by {
                return Err(format!(
                    "claim {about} is retracted again (first by entry {by})"
                ));
            }
            if (c.sha256, c.size) != (sha, size) {
                return Err(format!(
                    "a retraction of claim {about} records another content or size than that claim"
                ));
            }
            c.retracted_by = Some(e.seq);
        } else {
            let Some(&at) = self.first_of.get(&sha) else {
                return Err(format!(
                    "a claim about entry {about} records a content no document entry has"
                ));
            };
            let f = self.read_entry(at)?;
            let sighting = self
                .sighted
                .get(&sha)
                .is_some_and(|s| s.places.values().any(|&seq| seq == about));
            if about != f.seq && !sighting {
                return Err(format!(
                    "a claim about entry {about}, which is not a document entry of the content it records"
                ));
            }
            if size != f.content.size {
                return Err(format!(
                    "a claim about entry {about} records {size} bytes, the document {}",
                    f.content.size
                ));
            }
        }
        self.claims.insert(
            e.seq,
            ClaimSeen {
                sha256: sha,
                size,
                retraction,
                retracted_by: None,
            },
        );
        self.report.claims += 1;
        Ok(())
    }

    /// Reads back an entry this pass has already checked.
    fn read_entry(&self, offset: u64) -> std::result::Result<Entry, String> {
        let end = self.log.len().map_err(|e| e.to_string())?;
        let frame = read_frame_at(&self.log.file, &self.log_path, offset, end)
            .map_err(|e| e.to_string())?;
        Entry::from_bytes(&frame.payload)
            .map_err(|e| format!("re-reading entry at byte {offset}: {e}"))
    }

    pub(crate) fn checkpoint(&mut self, offset: u64, payload: &[u8]) -> Checked {
        let size = self.frontier.size();
        let cp = Checkpoint::open(payload, self.verifier).map_err(|e| {
            self.fault(
                offset,
                None,
                format!("checkpoint following {size} entries: {e}"),
            )
        })?;
        if cp.size != size {
            return Err(self.fault(
                offset,
                Some(cp.size.min(size)), // the first entry missing, or the first one too many
                format!(
                    "checkpoint claims size {} where the log holds {size} entries",
                    cp.size
                ),
            ));
        }
        if cp.root != self.frontier.root() {
            return Err(self.fault(
                offset,
                None,
                format!(
                    "checkpoint at size {size} has a root that differs from the recomputed one"
                ),
            ));
        }
        if self.last_checkpoint.is_some_and(|last| last >= size) {
            return Err(self.fault(
                offset,
                None,
                format!("checkpoint at size {size} does not follow a smaller one"),
            ));
        }
        self.last_checkpoint = Some(size);
        if self.evidence_sizes.contains(&size) {
            self.evidence_notes
                .insert(size, String::from_utf8_lossy(payload).into_owned());
        }
        if let Some(d) = self.derived.as_mut() {
            d.checkpoint(size);
        }
        self.report.checkpoints += 1;
        Ok(())
    }
}
