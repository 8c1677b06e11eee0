//! Witness cosignatures kept beside the checkpoints they cosign: `cosignatures/<size>` holds
//! the C2SP tlog-cosignature lines of the checkpoint of that size (`docs/FORMAT.md`
//! section 9). They are not covered by the ledger's signature, and need not be: each line is
//! a witness's own signature over the checkpoint, which a verifier checks with the witness's
//! key (`prov verify-proof --witness`). Readers append them to the checkpoint note wherever
//! `prov` prints or carries one (`checkpoint`, `prove`, `consistency`, the audit bundle);
//! verifiers that do not know the witnesses ignore them (signed-note).

use crate::error::{Error, Result};
use crate::fsys;
use crate::ledger::Ledger;
use prov_proofs::{Checkpoint, MAX_NOTE_SIGNATURES, MAX_TIMESTAMP, Note, NoteSignature};
use std::path::{Path, PathBuf};

/// The folder of cosignature files in the ledger folder.
pub const COSIGNATURES_DIR: &str = "cosignatures";
/// The largest cosignature file read.
const MAX_FILE: u64 = 64 << 10;

/// The latest cosignature a ledger holds: for the clock check of an append.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeldCosignature {
    /// The size of the checkpoint it cosigns.
    pub size: u64,
    /// The witness's name.
    pub witness: String,
    /// Its timestamp, POSIX seconds.
    pub timestamp: u64,
}

/// Parses a cosignature file: signature lines, each ending in `\n` (none when empty).
fn parse_lines(path: &Path, bytes: &[u8]) -> Result<Vec<NoteSignature>> {
    if bytes.is_empty() {
        return Ok(Vec::new());
    }
    let mut note = b"c\n\n".to_vec();
    note.extend_from_slice(bytes);
    Note::parse(&note)
        .map(|n| n.signatures)
        .map_err(|e| Error::Damaged {
            path: path.to_owned(),
            offset: None,
            reason: format!("not cosignature lines: {e}"),
        })
}

impl Ledger {
    fn cosignatures_dir(&self) -> PathBuf {
        self.dir.join(COSIGNATURES_DIR)
    }

    /// The cosignature lines stored for the checkpoint of `size` (none when there are none).
    ///
    /// # Errors
    /// [`Error::Damaged`] when the file does not read as signature lines; [`Error::Io`].
    pub fn cosignatures_at(&self, size: u64) -> Result<Vec<NoteSignature>> {
        let path = self.cosignatures_dir().join(size.to_string());
        if !fsys::exists(&path) {
            return Ok(Vec::new());
        }
        parse_lines(&path, &fsys::read_small(&path, MAX_FILE)?)
    }

    /// `note` (a checkpoint this ledger signed) with the stored cosignatures of its size
    /// appended after its own signature lines, skipping any line whose name and key ID are
    /// already there or whose name is the ledger's origin, up to the note's limit of
    /// signature lines. The ledger's signature and text are unchanged.
    ///
    /// # Errors
    /// As [`Ledger::cosignatures_at`]; [`Error::Proof`] for a note that does not parse.
    pub fn cosigned_note(&self, note: &str) -> Result<String> {
        let parsed = Note::parse(note.as_bytes())?;
        let cp = Checkpoint::from_text(&parsed.text)?;
        let mut out = note.to_owned();
        let mut count = parsed.signatures.len();
        for line in self.cosignatures_at(cp.size)? {
            let present = parsed
                .signatures
                .iter()
                .any(|s| s.name == line.name && s.key_id == line.key_id);
            if present || line.name == cp.origin || count == MAX_NOTE_SIGNATURES {
                continue;
            }
            out.push_str(&line.to_line());
            out.push('\n');
            count += 1;
        }
        Ok(out)
    }

    /// Stores cosignature lines (already verified by the caller) for the checkpoint of
    /// `size`: merged with the lines there, a line replacing the one of the same name and key
    /// ID, written to `cosignatures/.<size>.tmp`, fsync'd, renamed to `cosignatures/<size>`,
    /// the folder fsync'd. A lock (`flock` on `cosignatures/`) orders concurrent writers.
    ///
    /// # Errors
    /// [`Error::NoSuchCheckpoint`] for a size the ledger never signed; [`Error::Io`].
    pub fn store_cosignatures(&self, size: u64, lines: &[NoteSignature]) -> Result<()> {
        if size > self.size() {
            return Err(Error::NoSuchCheckpoint(size));
        }
        let dir = self.cosignatures_dir();
        if !dir.is_dir() {
            std::fs::create_dir(&dir)
                .or_else(|e| match e.kind() {
                    std::io::ErrorKind::AlreadyExists => Ok(()),
                    _ => Err(e),
                })
                .map_err(Error::io("create", &dir))?;
            std::fs::File::open(&self.dir)
                .and_then(|d| d.sync_all())
                .map_err(Error::io("sync", &self.dir))?;
        }
        let lock = std::fs::File::open(&dir).map_err(Error::io("open", &dir))?;
        lock.lock().map_err(Error::io("lock", &dir))?;
        let mut kept = self.cosignatures_at(size)?;
        for line in lines {
            kept.retain(|k| !(k.name == line.name && k.key_id == line.key_id));
            kept.push(line.clone());
        }
        let text: String = kept.iter().map(|l| l.to_line() + "\n").collect();
        crate::fsys::replace_durably(&dir.join(size.to_string()), text.as_bytes())
    }

    /// Copies every cosignature file of a committed size into `bundle/cosignatures/`, each
    /// re-written from its parsed lines (none: no folder).
    ///
    /// # Errors
    /// As [`Ledger::cosignatures_at`]; [`Error::Io`].
    pub(crate) fn bundle_cosignatures(&self, bundle: &Path) -> Result<()> {
        let Ok(list) = std::fs::read_dir(self.cosignatures_dir()) else {
            return Ok(());
        };
        let mut sizes: Vec<u64> = list
            .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u64>().ok())
            .filter(|&n| n <= self.size())
            .collect();
        if sizes.is_empty() {
            return Ok(());
        }
        sizes.sort_unstable();
        let out = bundle.join(COSIGNATURES_DIR);
        std::fs::create_dir(&out).map_err(Error::io("create", &out))?;
        for size in sizes {
            let text: String = self
                .cosignatures_at(size)?
                .iter()
                .map(|l| l.to_line() + "\n")
                .collect();
            crate::bundle::write_new(&out.join(size.to_string()), |f| {
                std::io::Write::write_all(f, text.as_bytes())
            })?;
        }
        std::fs::File::open(&out)
            .and_then(|d| d.sync_all())
            .map_err(Error::io("sync", &out))
    }

    /// Every stored cosignature of a checkpoint of a committed size greater than `seq`:
    /// its size, witness and timestamp (POSIX seconds), read as stored (for
    /// [`Ledger::independent_bounds`]).
    ///
    /// # Errors
    /// As [`Ledger::cosignatures_at`].
    pub(crate) fn held_cosignatures(&self, seq: u64) -> Result<Vec<(u64, String, u64)>> {
        let Ok(list) = std::fs::read_dir(self.cosignatures_dir()) else {
            return Ok(Vec::new());
        };
        let sizes: Vec<u64> = list
            .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u64>().ok())
            .filter(|&n| n > seq && n <= self.size())
            .collect();
        let mut out = Vec::new();
        for size in sizes {
            for l in self.cosignatures_at(size)? {
                if l.signature.len() == 72 {
                    let t = u64::from_be_bytes(l.signature[..8].try_into().unwrap_or_default());
                    if t > 0 && t <= MAX_TIMESTAMP {
                        out.push((size, l.name, t));
                    }
                }
            }
        }
        Ok(out)
    }

    /// The cosignature with the latest timestamp among those stored for the largest
    /// checkpoint size that has any (a witness never cosigns a smaller size after a larger
    /// one). Lines are read, not verified again: `prov cosign` verified them before it
    /// stored them. `None` when the ledger holds none.
    ///
    /// # Errors
    /// As [`Ledger::cosignatures_at`].
    pub fn latest_cosignature(&self) -> Result<Option<HeldCosignature>> {
        let dir = self.cosignatures_dir();
        let Ok(list) = std::fs::read_dir(&dir) else {
            return Ok(None);
        };
        // Every size's, not only the largest's: an emptied or damaged latest file must not
        // let an append past the times the others hold.
        let mut sizes: Vec<u64> = list
            .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u64>().ok())
            .filter(|&n| n <= self.size())
            .collect();
        sizes.sort_unstable();
        let mut latest: Option<HeldCosignature> = None;
        for size in sizes {
            let held = self
                .cosignatures_at(size)?
                .into_iter()
                .filter(|l| l.signature.len() == 72)
                .map(|l| HeldCosignature {
                    size,
                    timestamp: u64::from_be_bytes(l.signature[..8].try_into().unwrap_or_default()),
                    witness: l.name,
                })
                .filter(|c| c.timestamp <= MAX_TIMESTAMP);
            for c in held {
                if latest.as_ref().is_none_or(|l| c.timestamp > l.timestamp) {
                    latest = Some(c);
                }
            }
        }
        Ok(latest)
    }

    /// Clock sanity (issue 14, item 6): an append whose clock reads earlier than the latest
    /// cosignature the ledger holds is refused, since it would record entries as seen before
    /// a time a witness already vouched the ledger had reached.
    ///
    /// # Errors
    /// [`Error::ClockBeforeCosignature`] with both times; errors reading the cosignatures.
    pub(crate) fn check_clock_against_cosignatures(&self, now_ms: u64) -> Result<()> {
        // The TSAs' genTimes too (RFC 3161 timestamps, FORMAT.md section 10).
        self.check_clock_against_timestamps(now_ms)?;
        let Some(c) = self.latest_cosignature()? else {
            return Ok(());
        };
        let cosigned_ms = c.timestamp.saturating_mul(1000);
        if now_ms < cosigned_ms {
            return Err(Error::ClockBeforeCosignature {
                clock_ms: now_ms,
                cosigned_ms,
                witness: c.witness,
                size: c.size,
            });
        }
        Ok(())
    }
}
