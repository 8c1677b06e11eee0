//! The files derived from the log beside the content index: the tiles and `offsets`
//! (FORMAT.md section 7.4). A batch writes its share before its `COMMIT`; a writer opening the
//! ledger checks that they reach the committed size and rebuilds them from the log when
//! they do not (a ledger written before they existed, a deleted or damaged file, a crash in a
//! roll-forward).

use crate::error::{Error, Result};
use crate::fsys::Io;
use crate::log::{HEADER_LEN, LogFile, RECORD_ENTRY};
use crate::offsets::Offsets;
use crate::recovery::Verified;
use crate::tiles::TileFiles;
use prov_proofs::{Tile, TileBuilder};
use std::collections::BTreeMap;

/// Full tiles written together while rebuilding (8 KiB each).
const TILE_CHUNK: usize = 256;
/// Offsets written together while rebuilding.
const OFFSET_CHUNK: usize = 1 << 16;

/// What one batch adds to the derived files.
#[derive(Default)]
pub(crate) struct Derived {
    /// Full tiles the batch completed and the partial tiles of its checkpoint.
    pub tiles: Vec<(Tile, Vec<u8>)>,
    /// The seq of the batch's first entry.
    pub first_seq: u64,
    /// The log offset of each of its entries.
    pub offsets: Vec<u64>,
}

impl Derived {
    /// Writes the batch's tiles and offsets, durably.
    ///
    /// # Errors
    /// [`Error::Io`]; nothing committed depends on what was written.
    pub fn write(&self, tiles: &TileFiles, offsets: &Offsets, io: &mut Io) -> Result<()> {
        tiles.write(&self.tiles, io)?;
        offsets.write(self.first_seq, &self.offsets, io)
    }

    /// The full tiles among them (whose partial tiles can go once committed).
    pub fn full_tiles(&self) -> Vec<Tile> {
        self.tiles
            .iter()
            .map(|(t, _)| *t)
            .filter(Tile::is_full)
            .collect()
    }
}

/// Whether the derived files reach the verified committed state: `offsets` covers every
/// entry and names the last one's record, and the partial tiles of the committed size are
/// there with the bytes the log gives. (A full tile is checked where it is used: by the
/// proof built from it, and by `prov audit`.)
///
/// # Errors
/// [`Error::Io`] reading them.
pub(crate) fn reach(tiles: &TileFiles, offsets: &Offsets, state: &Verified) -> Result<bool> {
    let size = state.frontier.size();
    if offsets.entries()? < size {
        return Ok(false);
    }
    if size > 0 && offsets.get(size - 1, 1)?.first() != Some(&state.last_offset) {
        return Ok(false);
    }
    for (tile, bytes) in state.frontier.partials() {
        match tiles.read(&tile) {
            Ok(b) if b == bytes => {}
            Ok(_) | Err(Error::TilesDisagree { .. }) => return Ok(false),
            Err(e) => return Err(e),
        }
    }
    Ok(true)
}

/// Rebuilds the tiles and offsets of the log's records in `[HEADER_LEN, end)` (already
/// verified by the caller): every full tile, the partial tiles of every checkpointed size
/// whose tile is still partial at the end, and every entry's offset. Returns the tree.
///
/// # Errors
/// [`Error::Io`], [`Error::Damaged`] when a record does not read.
pub(crate) fn rebuild(
    log: &LogFile,
    end: u64,
    tiles: &TileFiles,
    offsets: &Offsets,
    io: &mut Io,
) -> Result<TileBuilder> {
    let mut tree = TileBuilder::new();
    let mut full = Vec::new();
    let mut partial: BTreeMap<Tile, Vec<u8>> = BTreeMap::new();
    let mut offs = Vec::new();
    let mut first = 0;
    let mut frames = log.frames(HEADER_LEN, end)?;
    while let Some(frame) = frames.next_frame() {
        let frame = frame.map_err(|f| f.damaged(&log.path))?;
        if frame.kind != RECORD_ENTRY {
            partial.extend(tree.partials());
            continue;
        }
        offs.push(frame.offset);
        for (t, bytes) in tree.append(prov_proofs::leaf_hash(&frame.payload)) {
            partial.retain(|p, _| p.level != t.level || p.index != t.index);
            full.push((t, bytes));
        }
        if full.len() >= TILE_CHUNK {
            tiles.write(&std::mem::take(&mut full), io)?;
        }
        if offs.len() >= OFFSET_CHUNK {
            offsets.write(first, &offs, io)?;
            first += offs.len() as u64;
            offs.clear();
        }
    }
    full.extend(partial);
    tiles.write(&full, io)?;
    offsets.write(first, &offs, io)?;
    offsets.truncate(tree.size())?;
    Ok(tree)
}
