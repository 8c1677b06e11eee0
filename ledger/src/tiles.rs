//! The Merkle tree on disk as C2SP tlog-tiles (FORMAT.md section 7.4): `tile/<L>/<N>` and
//! `tile/<L>/<N>.p/<W>` inside the ledger folder, in exactly the layout a static web server
//! serves (`prov publish` copies them).
//!
//! Tiles are derived from `entries.log` and written, fsync'd and renamed into place before
//! the `COMMIT` that names their tree size, so a committed checkpoint always has its tiles.
//! A tile file is only ever replaced whole (write to a temporary name, fsync, rename), so a
//! reader never sees half of one. Partial tiles of a tile that has become full are deleted
//! after the commit; a reader that misses one reads the full tile's prefix, as the spec
//! allows clients to. Nothing read from a tile is believed: every proof built from tiles is
//! verified against the signed checkpoint before it is returned.

use crate::error::{Error, Result};
use prov_proofs::{Tile, TileReader};
use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

mod write;

/// The `tile/` folder of a ledger.
#[derive(Clone, Debug)]
pub struct TileFiles {
    root: PathBuf,
    /// What to do with a link or file where a folder belongs: replace it (the ledger's own
    /// derived folders) or refuse (a published folder, which the user may have arranged).
    replace: bool,
    /// Added to temporary names: nothing in the ledger (its writer holds the lock), the
    /// process ID in a published folder (two publishes may run at once).
    tmp_tag: String,
}

/// What a tile file turned out to be.
fn tile_fault(path: &Path, reason: impl Into<String>) -> Error {
    Error::TilesDisagree {
        path: path.to_owned(),
        reason: reason.into(),
    }
}

impl TileFiles {
    /// The tiles of the ledger in `dir`.
    pub fn new(dir: &Path) -> TileFiles {
        TileFiles {
            root: dir.to_owned(),
            replace: true,
            tmp_tag: String::new(),
        }
    }

    /// Files under a folder that is not the ledger's (`prov publish`): a link or file where
    /// a folder belongs is refused, never followed nor replaced.
    pub fn published(dir: &Path) -> TileFiles {
        TileFiles {
            root: dir.to_owned(),
            replace: false,
            tmp_tag: format!(".{}", std::process::id()),
        }
    }

    /// Makes sure every folder of `rel` (a relative folder path) under the root is a real
    /// folder, never a link: creates missing ones, and replaces or refuses what else stands
    /// there. With `create` false, only says whether they all are real folders.
    fn real_dirs(&self, rel: &Path, create: bool) -> Result<bool> {
        let mut at = self.root.clone();
        for part in rel.components() {
            at.push(part);
            match at.symlink_metadata() {
                Ok(m) if m.file_type().is_dir() => continue,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound && create => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
                Err(e) => return Err(Error::io("inspect", &at)(e)),
                Ok(_) if !create => return Ok(false),
                Ok(_) if self.replace => crate::fsys::remove_any(&at)?,
                Ok(_) => {
                    return Err(Error::Io {
                        op: "use (it is a link or file where a folder belongs: refused, not followed)",
                        path: at,
                        source: std::io::Error::other("not a folder"),
                    });
                }
            }
            std::fs::create_dir(&at).map_err(Error::io("create", &at))?;
        }
        Ok(true)
    }

    /// The file of a tile.
    pub fn path(&self, tile: &Tile) -> PathBuf {
        self.root.join(tile.path())
    }

    /// Reads one tile file whole, if it exists: never through a link, never more than a
    /// full tile.
    fn read_file(path: &Path, want: usize) -> Result<Option<Vec<u8>>> {
        let file = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
            .open(path);
        let mut file = match file {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(tile_fault(path, format!("it cannot be opened ({e})"))),
            Ok(f) => f,
        };
        let meta = file.metadata().map_err(Error::io("inspect", path))?;
        if !meta.file_type().is_file() {
            return Err(tile_fault(path, "it is not a regular file"));
        }
        let mut bytes = Vec::with_capacity(want);
        file.by_ref()
            .take(want as u64 + 1)
            .read_to_end(&mut bytes)
            .map_err(Error::io("read", path))?;
        Ok(Some(bytes))
    }

    /// Reads a tile as a tree of its width has it: the partial file, or else the full tile's
    /// prefix (a partial tile is deleted once its full tile exists).
    ///
    /// # Errors
    /// [`Error::TilesDisagree`] when neither exists or a file has the wrong length.
    pub fn read(&self, tile: &Tile) -> Result<Vec<u8>> {
        let want = tile.byte_len();
        if !tile.is_full()
            && let Some(bytes) = Self::read_file(&self.path(tile), want)?
        {
            return match bytes.len() == want {
                true => Ok(bytes),
                false => Err(tile_fault(
                    &self.path(tile),
                    format!("it holds {} bytes, not {want}", bytes.len()),
                )),
            };
        }
        let full = tile.full();
        let path = self.path(&full);
        match Self::read_file(&path, full.byte_len())? {
            Some(mut bytes) if bytes.len() == full.byte_len() => {
                bytes.truncate(want);
                Ok(bytes)
            }
            Some(bytes) => Err(tile_fault(
                &path,
                format!("it holds {} bytes, not {}", bytes.len(), full.byte_len()),
            )),
            None => Err(tile_fault(
                &self.path(tile),
                "it is missing (a ledger written before tiles, or a deleted file)",
            )),
        }
    }

    /// Deletes the partial tiles of tiles now full (after the commit that made them full;
    /// best effort: a partial tile left behind is only disk space).
    pub fn remove_partials(&self, full: &[Tile]) {
        for t in full.iter().filter(|t| t.is_full()) {
            self.remove_partials_of(&t.path());
        }
    }

    /// Deletes the `.p/` folder beside the full tile or bundle at `rel`, only through real
    /// folders (a link on the way is never followed).
    pub fn remove_partials_of(&self, rel: &str) {
        let dir = format!("{rel}.p");
        let Some(parent) = Path::new(&dir).parent() else {
            return;
        };
        if self.real_dirs(parent, false).unwrap_or(false) {
            let _ = crate::fsys::remove_any(&self.root.join(&dir));
        }
    }

    /// The tiles of a tree of `size` leaves, for [`prov_proofs::TileHashReader`].
    pub fn at(&self, size: u64) -> TilesAt<'_> {
        TilesAt { files: self, size }
    }
}

/// The tile files as a [`TileReader`] of one tree size.
pub struct TilesAt<'a> {
    files: &'a TileFiles,
    size: u64,
}

impl TileReader for TilesAt<'_> {
    type Error = Error;

    fn read_tiles(&self, tiles: &[Tile]) -> Result<Vec<Vec<u8>>> {
        tiles
            .iter()
            .map(|t| match Tile::at(t.level, t.index, self.size) {
                Some(have) if have == *t => self.files.read(t),
                _ => Err(Error::invalid(
                    "tile",
                    format!("{} is not a tile of a tree of size {}", t.path(), self.size),
                )),
            })
            .collect()
    }
}
