//! Checkpoints and proofs, read from the log and the tiles and verified against the signed
//! checkpoint before they are returned.

use crate::error::{Error, Result};
use crate::ledger::Ledger;
use crate::log::{HEADER_LEN, RECORD_CHECKPOINT};
use prov_proofs::{
    Checkpoint, ConsistencyBundle, ConsistencyProof, Hash, InclusionProof, TileHashReader,
    TlogProof, Tree,
};

impl Ledger {
    fn tiles_disagree(&self, reason: impl Into<String>) -> Error {
        Error::TilesDisagree {
            path: self.dir.join("tile"),
            reason: reason.into(),
        }
    }

    /// Runs `f` on the node hashes of the tree of `size` leaves, read from the tiles.
    fn with_tree<T>(
        &self,
        size: u64,
        f: impl FnOnce(&TileHashReader<'_, crate::tiles::TilesAt<'_>>) -> Result<T>,
    ) -> Result<T> {
        let files = self.tiles.at(size);
        f(&TileHashReader::new(size, &files))
    }

    /// Proves `leaf` is leaf `seq` of the latest signed tree, from the tiles; in a folder
    /// with no tiles at all (an audit bundle, or a ledger written before tiles), from the
    /// log itself: every leaf of the signed tree is hashed from it and the root compared
    /// with the signed one (RFC 9162 section 2.1.1), once per process.
    pub(crate) fn check_included(&self, seq: u64, leaf: &Hash) -> Result<()> {
        let tree = self.signed_tree()?;
        if !crate::fsys::exists(&self.dir.join("tile")) {
            return self.check_included_by_log(seq, leaf, &tree);
        }
        let proof = self.with_tree(tree.size, |r| InclusionProof::generate(r, seq, tree.size))?;
        tree.verify_inclusion(seq, leaf, &proof).map_err(|e| {
            self.tiles_disagree(format!("entry {seq} is not proven in the signed tree: {e}"))
        })?;
        Ok(())
    }

    /// [`Ledger::check_included`] with no tiles: the log's first `tree.size` entries must
    /// give the signed root, and leaf `seq` must be `leaf`. The leaves are kept after the
    /// first call (32 bytes an entry), so that a lookup of many documents reads the log once.
    fn check_included_by_log(&self, seq: u64, leaf: &Hash, tree: &Tree) -> Result<()> {
        let leaves = match self.log_leaves.get() {
            Some(l) => l,
            None => {
                let mut frontier = prov_proofs::Frontier::new();
                let mut leaves = Vec::new();
                let mut frames = self.log.frames(HEADER_LEN, self.commit.log_length)?;
                while frontier.size() < tree.size {
                    let Some(frame) = frames.next_frame() else {
                        break;
                    };
                    let frame = frame.map_err(|f| f.damaged(&self.log.path))?;
                    if frame.kind != crate::log::RECORD_ENTRY {
                        continue;
                    }
                    let h = prov_proofs::leaf_hash(&frame.payload);
                    frontier.append(h);
                    leaves.push(h);
                }
                if frontier.tree() != *tree {
                    return Err(self.damaged(
                        None,
                        format!(
                            "its first {} do not give the root of the latest signed checkpoint: run `prov audit`",
                            crate::error::count(tree.size, "entry", "entries")
                        ),
                    ));
                }
                self.log_leaves.get_or_init(|| leaves)
            }
        };
        if leaves.get(seq as usize) != Some(leaf) {
            return Err(self.damaged(
                None,
                format!("entry {seq} is not leaf {seq} of the latest signed checkpoint"),
            ));
        }
        Ok(())
    }

    fn signed_tree(&self) -> Result<Tree> {
        Ok(self.signed_tree_checkpoint()?.tree())
    }

    fn signed_tree_checkpoint(&self) -> Result<Checkpoint> {
        match &self.latest {
            Some((_, cp)) => Ok(cp.clone()),
            None => Ok(self.read_latest_checkpoint()?.1),
        }
    }

    /// The offset of the record that follows entry `size - 1` (the header's end for 0).
    fn offset_after(&self, size: u64) -> Result<u64> {
        if size == 0 {
            return Ok(HEADER_LEN);
        }
        let frame = self.frame_of(size - 1, self.offset_of(size - 1)?)?;
        self.checked_entry(size - 1, &frame)?;
        Ok(frame.end())
    }

    /// The signed checkpoint issued at `size`, read from the log and verified: the record
    /// right after entry `size - 1` must be it, signed by the ledger, naming that size.
    /// Returns it with its offset.
    fn read_checkpoint(&self, size: u64) -> Result<(String, Checkpoint, u64)> {
        if size > self.size() {
            return Err(Error::NoSuchCheckpoint(size));
        }
        let at = self.offset_after(size)?;
        if at >= self.commit.log_length {
            return Err(self.damaged(Some(at), "the committed log does not end with a checkpoint"));
        }
        let frame = self.frame_at(at)?;
        if frame.kind != RECORD_CHECKPOINT {
            return Err(Error::NoSuchCheckpoint(size));
        }
        let cp = Checkpoint::open(&frame.payload, &self.verifier).map_err(|e| {
            self.damaged(
                Some(at),
                format!("the checkpoint at size {size} does not verify: {e}"),
            )
        })?;
        if cp.size != size {
            return Err(self.damaged(
                Some(at),
                format!(
                    "the checkpoint after entry {} names size {}",
                    size - 1,
                    cp.size
                ),
            ));
        }
        let note = String::from_utf8(frame.payload)
            .map_err(|_| self.damaged(Some(at), "checkpoint is not UTF-8"))?;
        Ok((note, cp, at))
    }

    /// The latest checkpoint, which must end the committed log.
    pub(crate) fn read_latest_checkpoint(&self) -> Result<(String, Checkpoint)> {
        let (note, cp, at) = self.read_checkpoint(self.size()).map_err(|e| match e {
            Error::NoSuchCheckpoint(size) => self.damaged(
                None,
                format!("COMMIT names {size} entries, but no checkpoint follows the {size}th entry of the log"),
            ),
            e => e,
        })?;
        if at + crate::log::FRAME_OVERHEAD + note.len() as u64 != self.commit.log_length {
            return Err(self.damaged(
                Some(at),
                "the latest checkpoint does not end the committed log",
            ));
        }
        Ok((note, cp))
    }

    /// Every issued checkpoint (size, signed note), oldest first, read from the whole
    /// committed log (one pass) with each signature verified.
    ///
    /// # Errors
    /// [`Error::Damaged`] when a record does not read or a checkpoint does not verify.
    pub fn checkpoints(&self) -> Result<Vec<(u64, String)>> {
        let mut out = Vec::new();
        self.for_each_checkpoint(|size, note| {
            out.push((size, note));
            Ok::<_, Error>(())
        })?;
        Ok(out)
    }

    /// [`Ledger::checkpoints`] one at a time, in constant memory: `f` gets each checkpoint's
    /// size and signed note, oldest first, and its error ends the pass.
    ///
    /// # Errors
    /// [`Error::Damaged`] as [`Ledger::checkpoints`]; `f`'s own.
    pub fn for_each_checkpoint<E: From<Error>>(
        &self,
        mut f: impl FnMut(u64, String) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        let mut frames = self.log.frames(HEADER_LEN, self.commit.log_length)?;
        let mut size = 0u64;
        while let Some(frame) = frames.next_frame() {
            let frame = frame.map_err(|f| f.damaged(&self.log.path))?;
            if frame.kind != RECORD_CHECKPOINT {
                size += 1;
                continue;
            }
            let cp = Checkpoint::open(&frame.payload, &self.verifier)
                .map_err(|e| self.damaged(Some(frame.offset), e.to_string()))?;
            if cp.size != size {
                return Err(self
                    .damaged(
                        Some(frame.offset),
                        format!("a checkpoint of size {} after {size} entries", cp.size),
                    )
                    .into());
            }
            let note = String::from_utf8(frame.payload)
                .map_err(|_| self.damaged(Some(frame.offset), "checkpoint is not UTF-8"))?;
            f(size, note)?;
        }
        Ok(())
    }

    /// The latest signed checkpoint note.
    ///
    /// # Errors
    /// [`Error::Damaged`] when it cannot be read or does not verify.
    pub fn latest_checkpoint(&self) -> Result<String> {
        match &self.latest {
            Some((note, _)) => Ok(note.clone()),
            None => Ok(self.read_latest_checkpoint()?.0),
        }
    }

    /// The signed checkpoint issued at `size`, read from the log and verified.
    ///
    /// # Errors
    /// [`Error::NoSuchCheckpoint`], [`Error::Damaged`].
    pub fn checkpoint_at(&self, size: u64) -> Result<String> {
        if size == self.size() {
            return self.latest_checkpoint();
        }
        Ok(self.read_checkpoint(size)?.0)
    }

    /// A self-contained tlog-proof of entry `seq` at the checkpoint of `size` (default: the
    /// latest), with the entry bytes in its `extra` line, verified before it is returned.
    ///
    /// # Errors
    /// [`Error::NoSuchEntry`], [`Error::NotInCheckpoint`], [`Error::NoSuchCheckpoint`],
    /// [`Error::IndexDisagrees`].
    pub fn prove(&self, seq: u64, size: Option<u64>) -> Result<TlogProof> {
        let size = size.unwrap_or(self.size());
        if seq >= self.size() {
            return Err(Error::NoSuchEntry {
                seq,
                size: self.size(),
            });
        }
        let (checkpoint, cp, _) = self.read_checkpoint(size)?;
        if seq >= size {
            return Err(Error::NotInCheckpoint {
                seq,
                checkpoint: size,
                ledger: self.size(),
            });
        }
        let bytes = self.entry_bytes(seq)?;
        let proof = self.with_tree(size, |r| InclusionProof::generate(r, seq, size))?;
        Tree {
            size,
            root: cp.root,
        }
        .verify_inclusion(seq, &prov_proofs::leaf_hash(&bytes), &proof)
        .map_err(|e| {
            self.tiles_disagree(format!("the proof of entry {seq} does not verify: {e}"))
        })?;
        Ok(TlogProof {
            extra: Some(bytes),
            index: seq,
            proof,
            checkpoint,
        })
    }

    /// A consistency proof from `old_size` to the checkpoint at `new_size` (default latest),
    /// verified against the signed new root before it is returned. From old size 0 the
    /// proof is empty, as tlog-witness's body format requires.
    ///
    /// # Errors
    /// [`Error::NoSuchCheckpoint`], [`Error::Proof`] when `old_size > new_size`,
    /// [`Error::TilesDisagree`].
    pub fn consistency(&self, old_size: u64, new_size: Option<u64>) -> Result<ConsistencyBundle> {
        let new_size = new_size.unwrap_or(self.size());
        let (checkpoint, cp, _) = self.read_checkpoint(new_size)?;
        let (proof, _) = self.proven_prefix(old_size, &cp)?;
        Ok(ConsistencyBundle {
            old_size,
            proof,
            checkpoint,
        })
    }

    /// The consistency proof from `old_size` to the signed tree `new`, and the root of the
    /// first `old_size` entries it proves: both read from the tiles, and verified against the
    /// signed root before they are returned.
    fn proven_prefix(&self, old_size: u64, new: &Checkpoint) -> Result<(ConsistencyProof, Hash)> {
        if old_size > new.size {
            return Err(prov_proofs::Error::SizeOrder {
                old: old_size,
                new: new.size,
            }
            .into());
        }
        if old_size == 0 {
            return Ok((ConsistencyProof::default(), prov_proofs::empty_root()));
        }
        if old_size == new.size {
            return Ok((ConsistencyProof::default(), new.root));
        }
        let (proof, old_root) = self.with_tree(new.size, |r| {
            Ok((
                ConsistencyProof::generate(r, old_size, new.size)?,
                prov_proofs::root_at(r, old_size)?,
            ))
        })?;
        let old = Tree {
            size: old_size,
            root: old_root,
        };
        old.verify_consistency(&new.tree(), &proof).map_err(|e| {
            self.tiles_disagree(format!("the consistency proof does not verify: {e}"))
        })?;
        Ok((proof, old_root))
    }

    /// The root of the first `size` entries (at most the ledger's size), proven: read from
    /// the tiles and verified, by a consistency proof, against the latest signed checkpoint.
    ///
    /// # Errors
    /// [`Error::TilesDisagree`] when the tiles do not give a root the signed one proves.
    pub fn root_at(&self, size: u64) -> Result<Hash> {
        let latest = self.signed_tree_checkpoint()?;
        Ok(self.proven_prefix(size.min(latest.size), &latest)?.1)
    }
}
