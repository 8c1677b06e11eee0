//! C2SP tlog-tiles (`shared/specs/tlog-tiles.md`): tile coordinates and their paths, the
//! tiles a growing tree completes, and node hashes read back from tiles.
//!
//! A tile at level `L` holds up to 256 consecutive Merkle Tree Hashes of height `8 * L`
//! (leaf hashes at level 0). A node whose height is not a multiple of 8 is not stored: it is
//! recomputed from the tile hashes under it ("Merkle Tree" section of the spec).

use crate::error::{Error, Result};
use crate::hash::{HASH_SIZE, Hash, node_hash};
use crate::tree::{Frontier, HashReader, NodeId, Tree};

/// Tree levels per tile level.
pub const TILE_HEIGHT: u8 = 8;
/// Hashes in a full tile (and entries in a full bundle).
pub const TILE_WIDTH: u16 = 256;

/// One tile of hashes (or the entry bundle beside a level-0 tile, see [`Tile::entries_path`]).
///
/// `width` is 256 for a full tile, 1 to 255 for a partial one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tile {
    /// Tile level: its hashes have tree height `8 * level`.
    pub level: u8,
    /// Position among the tiles of that level.
    pub index: u64,
    /// Hashes it holds.
    pub width: u16,
}

/// What a tile path names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TileKind {
    /// `tile/<L>/<N>[.p/<W>]`: Merkle Tree Hashes.
    Hashes,
    /// `tile/entries/<N>[.p/<W>]`: the entries under the level-0 tile `N`.
    Entries,
}

/// Writes `n` as the spec's path elements: 3-digit groups, all but the last prefixed `x`.
fn push_index(out: &mut String, n: u64) {
    let digits = n.to_string();
    let pad = (3 - digits.len() % 3) % 3;
    let padded = format!("{}{digits}", "0".repeat(pad));
    let groups: Vec<&str> = padded
        .as_bytes()
        .chunks(3)
        .map(|c| std::str::from_utf8(c).unwrap_or("000"))
        .collect();
    for (i, g) in groups.iter().enumerate() {
        if i + 1 < groups.len() {
            out.push('x');
        }
        out.push_str(g);
        if i + 1 < groups.len() {
            out.push('/');
        }
    }
}

fn bad(what: &'static str) -> Error {
    Error::MalformedTilePath(what)
}

fn three_digits(s: &str) -> Result<u64> {
    if s.len() != 3 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad("an index element is not three digits"));
    }
    s.parse()
        .map_err(|_| bad("an index element is not three digits"))
}

/// A decimal with no leading zero (but "0" itself), within `max`.
fn decimal(s: &str, max: u64, what: &'static str) -> Result<u64> {
    let ok =
        !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && (s == "0" || !s.starts_with('0'));
    let n: u64 = if ok {
        s.parse().map_err(|_| bad(what))?
    } else {
        0
    };
    if !ok || n > max {
        return Err(bad(what));
    }
    Ok(n)
}

impl Tile {
    /// The tile of `level` and `index` as it stands in a tree of `size` leaves, or `None`
    /// when that tree has none of its hashes yet.
    pub fn at(level: u8, index: u64, size: u64) -> Option<Tile> {
        let stored = stored_at(level, size);
        let before = index.checked_mul(u64::from(TILE_WIDTH))?;
        let width = stored.checked_sub(before).filter(|w| *w > 0)?;
        Some(Tile {
            level,
            index,
            width: width.min(u64::from(TILE_WIDTH)) as u16,
        })
    }

    /// Whether it holds 256 hashes.
    pub fn is_full(&self) -> bool {
        self.width == TILE_WIDTH
    }

    /// The same tile, full.
    pub fn full(&self) -> Tile {
        Tile {
            width: TILE_WIDTH,
            ..*self
        }
    }

    /// Its byte length: 32 bytes a hash.
    pub fn byte_len(&self) -> usize {
        usize::from(self.width) * HASH_SIZE
    }

    /// `tile/<L>/<N>[.p/<W>]`.
    pub fn path(&self) -> String {
        self.path_under(&self.level.to_string())
    }

    /// `tile/entries/<N>[.p/<W>]`, the entry bundle of this level-0 tile's leaves.
    pub fn entries_path(&self) -> String {
        self.path_under("entries")
    }

    fn path_under(&self, level: &str) -> String {
        let mut p = format!("tile/{level}/");
        push_index(&mut p, self.index);
        if !self.is_full() {
            p.push_str(&format!(".p/{}", self.width));
        }
        p
    }

    /// Parses a path written by [`Tile::path`] or [`Tile::entries_path`], refusing every
    /// non-canonical spelling (leading zeros, missing `x`, a width of 0 or 256).
    ///
    /// # Errors
    /// [`Error::MalformedTilePath`].
    pub fn parse_path(path: &str) -> Result<(TileKind, Tile)> {
        let rest = path
            .strip_prefix("tile/")
            .ok_or(bad("it does not start with tile/"))?;
        let (level, rest) = rest.split_once('/').ok_or(bad("no index"))?;
        let (kind, level) = match level {
            "entries" => (TileKind::Entries, 0),
            l => (
                TileKind::Hashes,
                decimal(l, 63, "the level is not 0 to 63")? as u8,
            ),
        };
        let (index, width) = match rest.split_once(".p/") {
            Some((i, w)) => (i, decimal(w, 255, "the width is not 1 to 255")? as u16),
            None => (rest, TILE_WIDTH),
        };
        if width == 0 {
            return Err(bad("the width is not 1 to 255"));
        }
        let parts: Vec<&str> = index.split('/').collect();
        let mut n: u64 = 0;
        for (i, p) in parts.iter().enumerate() {
            let last = i + 1 == parts.len();
            let digits = match p.strip_prefix('x') {
                Some(d) if !last => d,
                _ if !last => return Err(bad("an index element other than the last lacks x")),
                Some(_) => return Err(bad("the last index element has an x")),
                None => p,
            };
            let group = three_digits(digits)?;
            if i == 0 && group == 0 && !last {
                return Err(bad("the index has a leading zero element"));
            }
            n = n
                .checked_mul(1000)
                .and_then(|n| n.checked_add(group))
                .ok_or(bad("the index is too large"))?;
        }
        Ok((
            kind,
            Tile {
                level,
                index: n,
                width,
            },
        ))
    }

    /// Its hashes, checked for length.
    ///
    /// # Errors
    /// [`Error::TileSize`] when `bytes` is not `width` hashes.
    pub fn hashes(&self, bytes: &[u8]) -> Result<Vec<Hash>> {
        if bytes.len() != self.byte_len() {
            return Err(Error::TileSize {
                tile: self.path(),
                got: bytes.len(),
                want: self.byte_len(),
            });
        }
        Ok(bytes
            .chunks_exact(HASH_SIZE)
            .filter_map(Hash::try_from_slice)
            .collect())
    }
}

/// How many hashes of tile level `level` a tree of `size` leaves has.
fn stored_at(level: u8, size: u64) -> u64 {
    let shift = u32::from(level) * u32::from(TILE_HEIGHT);
    if shift >= 64 { 0 } else { size >> shift }
}

/// The partial tiles of a tree of `size` leaves, lowest level first: the ones a log must
/// serve for a checkpoint of that size, beside the full tiles below it.
pub fn partial_tiles(size: u64) -> Vec<Tile> {
    (0..=7u8)
        .filter_map(|level| {
            let stored = stored_at(level, size);
            Tile::at(level, stored / u64::from(TILE_WIDTH), size)
        })
        .collect()
}

/// Every tile, full or partial, of a tree of `size` leaves, by level then index.
pub fn tiles_of(size: u64) -> impl Iterator<Item = Tile> {
    (0..=7u8).flat_map(move |level| {
        let stored = stored_at(level, size);
        let count = stored.div_ceil(u64::from(TILE_WIDTH));
        (0..count).filter_map(move |index| Tile::at(level, index, size))
    })
}

/// Builds tiles as leaves are appended: the full tiles each leaf completes, and the partial
/// tiles of the current size. Keeps at most 255 hashes a level besides the frontier.
#[derive(Clone, Debug, Default)]
pub struct TileBuilder {
    frontier: Frontier,
    /// The hashes of the rightmost, not yet full, tile of each level.
    open: Vec<Vec<Hash>>,
}

impl TileBuilder {
    /// For an empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// The builder of a tree of `size` leaves, from its tiles. Nothing read is checked here:
    /// compare [`TileBuilder::root`] with a signed root before building on it (every hash
    /// read is one the root depends on).
    ///
    /// # Errors
    /// Whatever the reader fails with.
    pub fn load<R: TileReader>(tiles: &R, size: u64) -> Result<Self, R::Error> {
        let frontier = Frontier::load(&TileHashReader::new(size, tiles), size)?;
        let partial = partial_tiles(size);
        let bytes = tiles.read_tiles(&partial)?;
        let mut open = vec![Vec::new(); 8];
        for (t, b) in partial.iter().zip(&bytes) {
            open[usize::from(t.level)] = t.hashes(b)?;
        }
        Ok(TileBuilder { frontier, open })
    }

    /// Leaves appended so far.
    pub fn size(&self) -> u64 {
        self.frontier.size()
    }

    /// The tree head so far.
    pub fn tree(&self) -> Tree {
        self.frontier.tree()
    }

    /// The root so far (RFC 9162 section 2.1.1).
    pub fn root(&self) -> Hash {
        self.frontier.root()
    }

    /// Appends a leaf hash; returns the full tiles it completed with their bytes, lowest
    /// level first.
    pub fn append(&mut self, leaf: Hash) -> Vec<(Tile, Vec<u8>)> {
        let mut full = Vec::new();
        for (id, hash) in self.frontier.append(leaf) {
            if id.level % TILE_HEIGHT != 0 {
                continue;
            }
            let level = id.level / TILE_HEIGHT;
            if self.open.len() <= usize::from(level) {
                self.open.resize(usize::from(level) + 1, Vec::new());
            }
            let open = &mut self.open[usize::from(level)];
            open.push(hash);
            if open.len() == usize::from(TILE_WIDTH) {
                let tile = Tile {
                    level,
                    index: id.index / u64::from(TILE_WIDTH),
                    width: TILE_WIDTH,
                };
                full.push((tile, open.iter().flat_map(|h| h.0).collect()));
                open.clear();
            }
        }
        full
    }

    /// The partial tiles of the current size with their bytes, lowest level first.
    pub fn partials(&self) -> Vec<(Tile, Vec<u8>)> {
        self.partials_since(u64::MAX)
    }

    /// The partial tiles of the current size that a tree of size `since` did not have (what
    /// a log that published that size must add), lowest level first.
    pub fn partials_since(&self, since: u64) -> Vec<(Tile, Vec<u8>)> {
        partial_tiles(self.size())
            .into_iter()
            .filter(|t| since > self.size() || Tile::at(t.level, t.index, since) != Some(*t))
            .filter_map(|t| {
                let open = self.open.get(usize::from(t.level))?;
                (open.len() == usize::from(t.width))
                    .then(|| (t, open.iter().flat_map(|h| h.0).collect()))
            })
            .collect()
    }
}

/// Reads tiles: from files, from a web server, from memory.
pub trait TileReader {
    /// The reader's own error; it must be able to carry this crate's errors too.
    type Error: From<Error>;

    /// Returns the bytes of each tile, in the order asked. A reader may serve a partial
    /// tile from the prefix of the full one (the spec allows a client that fallback).
    ///
    /// # Errors
    /// Whatever the storage fails with, including a tile it does not have.
    fn read_tiles(&self, tiles: &[Tile]) -> Result<Vec<Vec<u8>>, Self::Error>;
}

/// Node hashes of a tree of a given size, read from its tiles: what proofs are generated
/// from. The hashes are not checked here; a caller verifies what it builds from them
/// against a signed root (as every proof is before `prov` returns it).
pub struct TileHashReader<'a, R> {
    size: u64,
    tiles: &'a R,
}

impl<'a, R: TileReader> TileHashReader<'a, R> {
    /// Reads the tree of `size` leaves from `tiles`.
    pub fn new(size: u64, tiles: &'a R) -> Self {
        TileHashReader { size, tiles }
    }
}

/// Where node `id` lives: its tile, and the range of tile hashes it is the root of.
fn locate(id: NodeId, size: u64) -> Result<(Tile, usize, usize)> {
    let level = id.level / TILE_HEIGHT;
    let rise = id.level % TILE_HEIGHT;
    // A complete subtree of the tree: its last leaf is inside it.
    id.index
        .checked_add(1)
        .and_then(|i| i.checked_mul(1u64.checked_shl(u32::from(id.level))?))
        .filter(|end| *end <= size)
        .ok_or(Error::IndexOutOfRange {
            index: id.first_leaf(),
            size,
        })?;
    let first = id.index << rise;
    let index = first / u64::from(TILE_WIDTH);
    let tile = Tile::at(level, index, size).ok_or(Error::IndexOutOfRange {
        index: id.first_leaf(),
        size,
    })?;
    let lo = (first % u64::from(TILE_WIDTH)) as usize;
    Ok((tile, lo, 1usize << rise))
}

/// The Merkle Tree Hash of a power-of-two run of hashes.
fn subtree(hashes: &[Hash]) -> Hash {
    let mut level: Vec<Hash> = hashes.to_vec();
    while level.len() > 1 {
        level = level
            .chunks_exact(2)
            .map(|p| node_hash(&p[0], &p[1]))
            .collect();
    }
    level[0]
}

impl<R: TileReader> HashReader for TileHashReader<'_, R> {
    type Error = R::Error;

    fn read_hashes(&self, ids: &[NodeId]) -> Result<Vec<Hash>, R::Error> {
        let located: Vec<(Tile, usize, usize)> = ids
            .iter()
            .map(|id| locate(*id, self.size))
            .collect::<Result<_>>()?;
        let mut wanted: Vec<Tile> = located.iter().map(|(t, _, _)| *t).collect();
        wanted.sort_unstable();
        wanted.dedup();
        let bytes = self.tiles.read_tiles(&wanted)?;
        if bytes.len() != wanted.len() {
            return Err(Error::ProofLength {
                got: bytes.len(),
                want: wanted.len(),
            }
            .into());
        }
        let mut hashes = Vec::with_capacity(wanted.len());
        for (t, b) in wanted.iter().zip(&bytes) {
            hashes.push(t.hashes(b)?);
        }
        Ok(located
            .iter()
            .map(|(t, lo, n)| {
                let at = wanted.binary_search(t).unwrap_or_default();
                subtree(&hashes[at][*lo..*lo + *n])
            })
            .collect())
    }
}
