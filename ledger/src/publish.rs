//! `prov publish DIR`: the ledger as a static C2SP tlog-tiles tree (FORMAT.md section 7.5),
//! a complete read API that any web server serves and any tlog-tiles client verifies.
//!
//! What is published is computed from the log, not copied: the tree at the size already
//! published is loaded from the ledger's tiles and checked against that size's signed root,
//! then every entry since is read from the log, hashed into new tiles and bundled. So a
//! damaged tile in the ledger is never published; it stops the publish instead.

use crate::error::{Error, Result};
use crate::fsys::Io;
use crate::ledger::Ledger;
use crate::log::RECORD_CHECKPOINT;
use crate::tiles::TileFiles;
use prov_proofs::{Checkpoint, TILE_WIDTH, TileBuilder, encode_bundle};
use std::path::Path;

/// Files written together (tiles are 8 KiB, bundles a few hundred KiB).
const CHUNK: usize = 128;

/// What a publish wrote.
#[derive(Clone, Debug, Default)]
pub struct PublishReport {
    /// The tree size published now.
    pub size: u64,
    /// The size published before (0 for a new folder).
    pub previous: u64,
    /// Hash tiles written.
    pub tiles: u64,
    /// Entry bundles written.
    pub bundles: u64,
    /// The checkpoint published.
    pub checkpoint: String,
}

fn refused(dir: &Path, reason: impl Into<String>) -> Error {
    Error::PublishRefused {
        dir: dir.to_owned(),
        reason: reason.into(),
    }
}

/// The files of one publish, written in chunks.
struct Out<'a> {
    files: TileFiles,
    pending: Vec<(String, Vec<u8>)>,
    io: &'a mut Io,
}

impl Out<'_> {
    fn add(&mut self, path: String, bytes: Vec<u8>) -> Result<()> {
        self.pending.push((path, bytes));
        match self.pending.len() >= CHUNK {
            true => self.flush(),
            false => Ok(()),
        }
    }

    fn flush(&mut self) -> Result<()> {
        let files: Vec<(String, &[u8])> = self
            .pending
            .iter()
            .map(|(p, b)| (p.clone(), &b[..]))
            .collect();
        self.files.write_files(&files, self.io)?;
        self.pending.clear();
        Ok(())
    }
}

/// Whether `dir` holds the partial tiles and bundle (or the full ones) of a tree of `size`.
fn right_edge_present(dir: &Path, size: u64) -> bool {
    let have = |rel: String| dir.join(rel).symlink_metadata().is_ok_and(|m| m.is_file());
    prov_proofs::partial_tiles(size).iter().all(|t| {
        (have(t.path()) || have(t.full().path()))
            && (t.level > 0 || have(t.entries_path()) || have(t.full().entries_path()))
    })
}

impl Ledger {
    /// The checkpoint already published in `dir`, checked: signed by this ledger, for a
    /// size it has, with the root it has there. `None` for a folder with none.
    fn published_in(&self, dir: &Path) -> Result<Option<Checkpoint>> {
        let path = dir.join("checkpoint");
        if !crate::fsys::exists(&path) {
            return Ok(None);
        }
        let note = crate::fsys::read_small(&path, crate::fsys::MAX_CONFIG_BYTES).map_err(|e| {
            let why = match e {
                Error::Damaged { reason, .. } => reason,
                e => e.to_string(),
            };
            refused(
                dir,
                format!("a checkpoint file that cannot be read ({why})"),
            )
        })?;
        let cp = Checkpoint::open(&note, &self.verifier)
            .map_err(|e| refused(dir, format!("a checkpoint this ledger did not sign ({e})")))?;
        if cp.size > self.size() {
            return Err(refused(
                dir,
                format!(
                    "a checkpoint of {} entries, more than this ledger's {}",
                    cp.size,
                    self.size()
                ),
            ));
        }
        let ours = match self.root_at_checked(cp.size) {
            Ok(root) => root == cp.root,
            Err(Error::NoSuchCheckpoint(_)) => false,
            Err(e) => return Err(e),
        };
        if !ours {
            return Err(refused(
                dir,
                format!(
                    "a checkpoint of size {} that this ledger did not issue (a forked or rewritten history)",
                    cp.size
                ),
            ));
        }
        Ok(Some(cp))
    }

    /// Publishes the ledger's latest checkpoint, its hash tiles and its entry bundles into
    /// `dir` (created if missing), writing only what changed since the checkpoint already
    /// there. Every file is written to a temporary name, fsync'd and renamed into place;
    /// `checkpoint` last, so it never names a tree whose tiles are not all there.
    ///
    /// # Errors
    /// [`Error::PublishRefused`] when `dir` holds another ledger's or a forked tree,
    /// [`Error::TilesDisagree`] when the ledger's tiles do not give the published root,
    /// [`Error::Proof`] for an entry too large for a bundle, I/O errors.
    pub fn publish(&self, dir: &Path) -> Result<PublishReport> {
        if dir.symlink_metadata().is_ok() && !dir.is_dir() {
            return Err(refused(dir, "a file, where the published folder belongs"));
        }
        // Never into the ledger, nor a folder holding it: a web server would serve the key.
        // Checked on the nearest folder that exists before any is made, and again once made.
        let canon = |p: &Path| std::fs::canonicalize(p).map_err(Error::io("resolve", p));
        let ledger = canon(&self.dir)?;
        let inside =
            "the ledger folder, or is inside it or holds it (serving it would serve key.pem)";
        let nearest = dir
            .ancestors()
            .find(|a| a.symlink_metadata().is_ok())
            .unwrap_or(Path::new("."));
        if canon(nearest)?.starts_with(&ledger) {
            return Err(refused(dir, inside));
        }
        std::fs::create_dir_all(dir).map_err(Error::io("create", dir))?;
        let target = canon(dir)?;
        if ledger.starts_with(&target) || target.starts_with(&ledger) {
            return Err(refused(dir, inside));
        }
        let (note, cp) = match &self.latest {
            Some((note, cp)) => (note.clone(), cp.clone()),
            None => self.read_latest_checkpoint()?,
        };
        // The checkpoint there (verified by `published_in`) is believed only with the right
        // edge of its tree: otherwise (tiles lost, or a checkpoint copied in) everything is
        // published again.
        let (previous, signed) = match self.published_in(dir)? {
            Some(c) if right_edge_present(dir, c.size) => (c.size, c.root),
            _ => (0, prov_proofs::empty_root()),
        };
        let mut tree = match previous {
            0 => TileBuilder::new(),
            n => TileBuilder::load(&self.tiles.at(n), n)?,
        };
        if tree.root() != signed {
            return Err(self.tiles_disagree_at(previous));
        }
        let mut io = Io::default();
        let mut out = Out {
            files: TileFiles::published(dir),
            pending: Vec::new(),
            io: &mut io,
        };
        let mut report = PublishReport {
            size: cp.size,
            previous,
            ..Default::default()
        };
        // The open level-0 tile's entries, for its bundles.
        let width = u64::from(TILE_WIDTH);
        let start = previous - previous % width;
        let mut bundle: Vec<Vec<u8>> = (start..previous)
            .map(|s| self.entry_bytes(s))
            .collect::<Result<_>>()?;
        // They are the leaves of the tree just checked against the signed root.
        let leaves: Vec<u8> = bundle
            .iter()
            .flat_map(|e| prov_proofs::leaf_hash(e).0)
            .collect();
        let edge = tree.partials().into_iter().find(|(t, _)| t.level == 0);
        if edge.map_or(Vec::new(), |(_, b)| b) != leaves {
            return Err(self.damaged(
                None,
                format!("entries {start} to {previous} are not the ones the tree signed at size {previous} holds"),
            ));
        }
        let mut done: Vec<prov_proofs::Tile> = Vec::new();
        if previous < cp.size {
            let at = self.offset_of(previous)?;
            let mut frames = self.log.frames(at, self.commit.log_length)?;
            // Each entry's bytes are checked at the end, all at once: their root must be the
            // signed one before the checkpoint is published.
            let mut last = previous;
            while let Some(frame) = frames.next_frame() {
                let frame = frame.map_err(|f| f.damaged(&self.log.path))?;
                if frame.kind == RECORD_CHECKPOINT {
                    self.publish_partials(&tree, last, &bundle, &mut out, &mut report)?;
                    last = tree.size();
                    continue;
                }
                let full = tree.append(prov_proofs::leaf_hash(&frame.payload));
                bundle.push(frame.payload);
                for (t, bytes) in full {
                    done.push(t);
                    if t.level == 0 {
                        let b = encode_bundle(bundle.iter().map(Vec::as_slice))?;
                        out.add(t.entries_path(), b)?;
                        bundle.clear();
                        report.bundles += 1;
                    }
                    out.add(t.path(), bytes)?;
                    report.tiles += 1;
                }
            }
        }
        if tree.size() != cp.size || tree.root() != cp.root {
            return Err(self.damaged(
                None,
                "the entries do not give the root of the latest checkpoint",
            ));
        }
        out.flush()?;
        // The checkpoint, last.
        out.files
            .write_files(&[("checkpoint".to_owned(), note.as_bytes())], out.io)?;
        // Partial tiles and bundles of tiles now full may go (tlog-tiles): a client holding
        // an older checkpoint reads the full one's prefix.
        for t in &done {
            out.files.remove_partials_of(&t.path());
            if t.level == 0 {
                out.files.remove_partials_of(&t.entries_path());
            }
        }
        report.checkpoint = note;
        Ok(report)
    }

    /// At a checkpoint past the published size: its partial tiles that the last checkpoint
    /// did not have, and its partial bundle.
    fn publish_partials(
        &self,
        tree: &TileBuilder,
        previous: u64,
        bundle: &[Vec<u8>],
        out: &mut Out<'_>,
        report: &mut PublishReport,
    ) -> Result<()> {
        if tree.size() <= previous {
            return Ok(());
        }
        for (t, bytes) in tree.partials_since(previous) {
            if t.level == 0 {
                let b = encode_bundle(bundle.iter().map(Vec::as_slice))?;
                out.add(t.entries_path(), b)?;
                report.bundles += 1;
            }
            out.add(t.path(), bytes)?;
            report.tiles += 1;
        }
        Ok(())
    }

    fn root_at_checked(&self, size: u64) -> Result<prov_proofs::Hash> {
        match size {
            0 => Ok(prov_proofs::empty_root()),
            n => Ok(Checkpoint::open(self.checkpoint_at(n)?.as_bytes(), &self.verifier)?.root),
        }
    }

    fn tiles_disagree_at(&self, size: u64) -> Error {
        Error::TilesDisagree {
            path: self.dir.join("tile"),
            reason: format!("its tiles do not give the root signed at size {size}"),
        }
    }
}
