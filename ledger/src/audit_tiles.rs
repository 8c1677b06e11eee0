//! The audit of the files derived from the log beside the content index (FORMAT.md section
//! 7.4): the audit recomputes every tile from the log as it reads it and compares it with
//! the tile files, and every entry's offset with `offsets`. Readers use these files without
//! recomputing them (they verify each proof against the signed checkpoint instead), so this
//! is where a wrong tile is named. The log is the truth: a fault here is a fault of a
//! derived file, which `prov reindex` rebuilds.

use crate::audit::Fault;
use crate::error::Error;
use crate::tiles::TileFiles;
use prov_proofs::{HASH_SIZE, Tile, TileBuilder};
use std::io::Read;
use std::path::{Path, PathBuf};

/// The state of the tiles-and-offsets check along the log pass.
pub(crate) struct TileCheck {
    dir: PathBuf,
    files: TileFiles,
    offsets: Option<std::io::BufReader<std::fs::File>>,
    /// The first fault found in a derived file (the log pass goes on: its faults come first).
    pub fault: Option<Fault>,
    /// Tiles compared.
    pub tiles: u64,
    /// Every checkpointed size, ascending: a partial tile file of a width no checkpoint had
    /// is a leftover of a batch that was cut, which no reader asks for.
    sizes: Vec<u64>,
}

impl TileCheck {
    pub(crate) fn new(dir: &Path) -> TileCheck {
        let offsets = crate::fsys::open_regular(&dir.join("offsets"), false)
            .ok()
            .map(|f| std::io::BufReader::with_capacity(1 << 16, f));
        TileCheck {
            dir: dir.to_owned(),
            files: TileFiles::new(dir),
            offsets,
            fault: None,
            tiles: 0,
            sizes: Vec::new(),
        }
    }

    /// A checkpoint of `size` entries.
    pub(crate) fn checkpoint(&mut self, size: u64) {
        self.sizes.push(size);
    }

    /// Whether some checkpoint has this partial tile.
    fn checkpointed(&self, t: &Tile) -> bool {
        let span = 1u64 << (8 * u32::from(t.level));
        let lo = (t
            .index
            .saturating_mul(256)
            .saturating_add(u64::from(t.width)))
        .saturating_mul(span);
        let from = self.sizes.partition_point(|s| *s < lo);
        self.sizes
            .get(from)
            .is_some_and(|s| *s < lo.saturating_add(span))
    }

    fn found(&mut self, file: PathBuf, seq: Option<u64>, what: String) {
        if self.fault.is_none() {
            self.fault = Some(Fault {
                file,
                offset: None,
                seq,
                what: format!("{what}: run `prov reindex` to rebuild it from the log"),
            });
        }
    }

    /// Entry `seq` starts at `offset` in the log: `offsets` must say so.
    pub(crate) fn entry(&mut self, seq: u64, offset: u64) {
        if self.fault.is_some() {
            return;
        }
        let Some(r) = self.offsets.as_mut() else {
            let file = self.dir.join("offsets");
            return self.found(file, Some(seq), "the offsets file is missing".into());
        };
        let mut b = [0u8; 8];
        let said = r.read_exact(&mut b).map(|()| u64::from_be_bytes(b));
        if said.as_ref().ok() != Some(&offset) {
            let what = match said {
                Ok(o) => {
                    format!("the offsets file places this entry at byte {o}, the log at {offset}")
                }
                Err(_) => "the offsets file ends before this entry".into(),
            };
            self.found(self.dir.join("offsets"), Some(seq), what);
        }
    }

    /// Compares one tile with its file, and any partial tile files of it with its prefix.
    fn compare(&mut self, tile: Tile, bytes: &[u8]) {
        self.tiles += 1;
        // The first entry under the tile (none that a u64 can number, for a tile too far out).
        let seq = 1u64
            .checked_shl(8 * (u32::from(tile.level) + 1))
            .and_then(|span| tile.index.checked_mul(span));
        match self.files.read(&tile) {
            Ok(b) if b == bytes => {}
            Ok(_) => {
                let what = format!("tile {} differs from the one the log gives", tile.path());
                return self.found(self.files.path(&tile), seq, what);
            }
            Err(Error::TilesDisagree { reason, .. }) => {
                return self.found(self.files.path(&tile), seq, reason);
            }
            Err(e) => return self.found(self.files.path(&tile), seq, e.to_string()),
        }
        let mut partials = self.files.path(&tile.full()).into_os_string();
        partials.push(".p");
        let Ok(list) = std::fs::read_dir(PathBuf::from(partials)) else {
            return;
        };
        for e in list.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let Ok(width) = name.parse::<u16>() else {
                continue;
            };
            if width == 0 || width > tile.width {
                continue;
            }
            let t = Tile { width, ..tile };
            if !self.checkpointed(&t) {
                continue;
            }
            let prefix = &bytes[..usize::from(width) * HASH_SIZE];
            if self.files.read(&t).ok().as_deref() != Some(prefix) {
                let what = format!("tile {} differs from the one the log gives", t.path());
                return self.found(self.files.path(&t), seq, what);
            }
        }
    }

    /// Full tiles the log completed.
    pub(crate) fn full(&mut self, tiles: Vec<(Tile, Vec<u8>)>) {
        for (t, b) in tiles {
            if self.fault.is_none() {
                self.compare(t, &b);
            }
        }
    }

    /// At the end of the committed log: its partial tiles.
    pub(crate) fn finish(&mut self, tree: &TileBuilder) {
        for (t, b) in tree.partials() {
            if self.fault.is_none() {
                self.compare(t, &b);
            }
        }
    }
}
