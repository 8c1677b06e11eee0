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
use prov_proofs::{Checkpoint, CosignerVerifier, MAX_NOTE_SIGNATURES, Note, NoteSignature};
use std::path::{Path, PathBuf};

/// The folder of cosignature files in the ledger folder.
pub const COSIGNATURES_DIR: &str = "cosignatures";
/// The largest cosignature file read.
const MAX_FILE: u64 = 64 << 10;

/// Parses a cosignature file: signature lines, each ending in `\n` (none when empty), and
/// nothing else.
fn parse_lines(path: &Path, bytes: &[u8]) -> Result<Vec<NoteSignature>> {
    let damaged = |reason: String| Error::Damaged {
        path: path.to_owned(),
        offset: None,
        reason: format!("not cosignature lines: {reason}"),
    };
    let text = std::str::from_utf8(bytes).map_err(|_| damaged("not UTF-8".into()))?;
    prov_proofs::parse_signature_lines(text).map_err(|e| damaged(e.to_string()))
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
    /// appended after its own signature lines: only those that verify, over the note's text,
    /// with a witness key of `witnesses.json` (a line naming a witness a verifier trusts that
    /// does not verify would make it refuse the whole note, signed-note; so anyone who can
    /// write the ledger folder could otherwise spoil every proof of that size), once per
    /// witness, skipping any line whose name and key ID are already there or whose name is
    /// the ledger's origin, up to the note's limit of signature lines. A cosignature file
    /// that does not read adds nothing (`prov audit` reports it). The ledger's signature and
    /// text are unchanged.
    ///
    /// # Errors
    /// [`Error::Proof`] for a note that does not parse.
    pub fn cosigned_note(&self, note: &str) -> Result<String> {
        let parsed = Note::parse(note.as_bytes())?;
        let cp = Checkpoint::from_text(&parsed.text)?;
        // A `witnesses.json` that does not read vouches for no line (`prov audit` says why).
        let witnesses = self.witnesses().unwrap_or_default();
        let mut out = note.to_owned();
        let mut present: Vec<(String, u32)> = parsed
            .signatures
            .iter()
            .map(|s| (s.name.clone(), s.key_id))
            .collect();
        for line in self.cosignatures_at(cp.size).unwrap_or_default() {
            let id = (line.name.clone(), line.key_id);
            let verifies = witnesses
                .iter()
                .any(|w| w.verifier.names(&line) && w.verifier.verify(&parsed.text, &line).is_ok());
            if !verifies
                || present.contains(&id)
                || line.name == cp.origin
                || present.len() == MAX_NOTE_SIGNATURES
            {
                continue;
            }
            out.push_str(&line.to_line());
            out.push('\n');
            present.push(id);
        }
        Ok(out)
    }

    /// Stores cosignature lines for the checkpoint of `size`, each with the key of its
    /// witness (the caller verified it): merged with the lines there, a line replacing the
    /// one of the same name and key ID unless that one verifies with the same key and is not
    /// later (an earlier cosignature is the better bound on when the checkpoint existed, so
    /// asking a witness again never loses it); written to `cosignatures/.<size>.tmp`,
    /// fsync'd, renamed to `cosignatures/<size>`, the folder fsync'd. A lock (`flock` on
    /// `cosignatures/`) orders concurrent writers. Returns, for each line, the timestamp of
    /// the earlier line kept in its place, if one was.
    ///
    /// # Errors
    /// [`Error::NoSuchCheckpoint`] for a size the ledger never signed; [`Error::Io`].
    pub fn store_cosignatures(
        &self,
        size: u64,
        lines: &[(NoteSignature, CosignerVerifier)],
    ) -> Result<Vec<Option<u64>>> {
        if size > self.size() {
            return Err(Error::NoSuchCheckpoint(size));
        }
        let text = Note::parse(self.checkpoint_at(size)?.as_bytes())?.text;
        let dir = self.cosignatures_dir();
        let _lock = crate::fsys::locked_subdir(&self.dir, &dir)?;
        // A file that does not read is replaced by the new lines (`prov audit` reports it).
        let mut kept = self.cosignatures_at(size).unwrap_or_default();
        let mut earlier = Vec::with_capacity(lines.len());
        for (line, key) in lines {
            let new_time = key.verify(&text, line).map(|c| c.timestamp).ok();
            let held = kept
                .iter()
                .find(|k| k.name == line.name && k.key_id == line.key_id)
                .and_then(|k| key.verify(&text, k).ok())
                .map(|c| c.timestamp)
                .filter(|&t| new_time.is_some_and(|n| t <= n));
            earlier.push(held);
            if held.is_none() {
                kept.retain(|k| !(k.name == line.name && k.key_id == line.key_id));
                kept.push(line.clone());
            }
        }
        let text: String = kept.iter().map(|l| l.to_line() + "\n").collect();
        crate::fsys::replace_durably(&dir.join(size.to_string()), text.as_bytes())?;
        Ok(earlier)
    }

    /// Copies every cosignature file of a committed size into `bundle/cosignatures/`, each
    /// re-written from its parsed lines (none: no folder).
    ///
    /// # Errors
    /// As [`Ledger::cosignatures_at`]; [`Error::Io`].
    pub(crate) fn bundle_cosignatures(&self, bundle: &Path) -> Result<()> {
        let sizes = self.cosignature_sizes();
        if sizes.is_empty() {
            return Ok(());
        }
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

    /// The sizes of the cosignature files of committed sizes, ascending.
    pub(crate) fn cosignature_sizes(&self) -> Vec<u64> {
        let Ok(list) = std::fs::read_dir(self.cosignatures_dir()) else {
            return Vec::new();
        };
        let mut sizes: Vec<u64> = list
            .filter_map(|e| {
                let name = e.ok()?.file_name().into_string().ok()?;
                let n: u64 = name.parse().ok()?;
                (n.to_string() == name).then_some(n)
            })
            .filter(|&n| n <= self.size())
            .collect();
        sizes.sort_unstable();
        sizes
    }
}
