//! C2SP tlog-tiles: the spec's own examples, tiles and paths compared with Cloudflare's
//! independent `tlog_tiles` crate (which writes Go's `tile/<H>/<L>/<N>` form: the same path
//! with the tile height 8 after `tile/`), and proofs read back from tiles equal to proofs
//! from every stored node.
#![forbid(unsafe_code)]

mod common;

use common::*;
use proptest::prelude::*;
use prov_proofs::{
    ConsistencyProof, Error, Hash, InclusionProof, Tile, TileBuilder, TileHashReader, TileKind,
    TileReader, partial_tiles, root_at, tiles_of,
};
use std::collections::HashMap;

/// Tiles kept as a log keeps them: every full tile, and the partial tiles of every size a
/// checkpoint was made at; a partial tile that is gone is served from its full tile.
#[derive(Default)]
struct Stored(HashMap<Tile, Vec<u8>>);

impl TileReader for Stored {
    type Error = Error;
    fn read_tiles(&self, tiles: &[Tile]) -> Result<Vec<Vec<u8>>, Error> {
        tiles
            .iter()
            .map(|t| {
                if let Some(b) = self.0.get(t) {
                    return Ok(b.clone());
                }
                let full = self.0.get(&t.full()).ok_or(Error::Storage(t.path()))?;
                Ok(full[..t.byte_len()].to_vec())
            })
            .collect()
    }
}

fn build(leaves: &[Hash], checkpoints: impl Fn(u64) -> bool) -> (Stored, TileBuilder) {
    let mut b = TileBuilder::new();
    let mut s = Stored::default();
    for l in leaves {
        s.0.extend(b.append(*l));
        if checkpoints(b.size()) {
            s.0.extend(b.partials());
        }
    }
    (s, b)
}

#[test]
fn the_specs_examples() {
    let t = Tile {
        level: 0,
        index: 1_234_067,
        width: 256,
    };
    assert_eq!(t.path(), "tile/0/x001/x234/067");
    assert_eq!(
        Tile { width: 12, ..t }.entries_path(),
        "tile/entries/x001/x234/067.p/12"
    );
    // "a tree of size 70,000 will be represented by 273 full level 0 tiles, one partial
    // level 0 tile of width 112, one full level 1 tile, one partial level 1 tile of width
    // 17, and one partial level 2 tile of width 1."
    let all: Vec<Tile> = tiles_of(70_000).collect();
    let count = |level: u8, full: bool| {
        all.iter()
            .filter(|t| t.level == level && t.is_full() == full)
            .count()
    };
    assert_eq!(
        (count(0, true), count(1, true), count(2, true)),
        (273, 1, 0)
    );
    let widths: Vec<(u8, u16)> = partial_tiles(70_000)
        .iter()
        .map(|t| (t.level, t.width))
        .collect();
    assert_eq!(widths, vec![(0, 112), (1, 17), (2, 1)]);
    // "a tree of size 256 will be represented by a full level 0 tile and a partial level 1
    // tile of width 1."
    let all: Vec<Tile> = tiles_of(256).collect();
    assert_eq!(all.len(), 2);
    assert!(all[0].is_full() && all[0].level == 0);
    assert_eq!((all[1].level, all[1].width), (1, 1));
    assert!(partial_tiles(0).is_empty());
}

#[test]
fn non_canonical_paths_are_refused() {
    for p in [
        "tile/0/1",
        "tile/0/01",
        "tile/00/001",
        "tile/64/001",
        "tile/0/x000/001",
        "tile/0/001/002",
        "tile/0/x001/x002",
        "tile/0/x1/002",
        "tile/0/001.p/0",
        "tile/0/001.p/256",
        "tile/0/001.p/012",
        "tile/0/001.p/",
        "tile/x/001",
        "tile/entries/",
        "tiles/0/001",
        "tile/0/x018/x446/x744/x073/x709/x551/616",
    ] {
        assert!(Tile::parse_path(p).is_err(), "{p}");
    }
    assert_eq!(
        Tile::parse_path("tile/entries/x001/000.p/3").unwrap(),
        (
            TileKind::Entries,
            Tile {
                level: 0,
                index: 1000,
                width: 3
            }
        )
    );
    let max = Tile {
        level: 63,
        index: u64::MAX,
        width: 256,
    };
    assert_eq!(
        Tile::parse_path(&max.path()).unwrap(),
        (TileKind::Hashes, max)
    );
}

fn theirs(t: &Tile) -> tlog_tiles::Tile {
    tlog_tiles::Tile::new(8, t.level, t.index, u32::from(t.width), false)
}

/// What a log publishes when its tree grows: the full tiles completed and the partial
/// tiles of the new size, with the same bytes `tlog_tiles` reads from stored hashes.
#[test]
fn tiles_are_the_ones_and_the_bytes_tlog_tiles_computes() {
    const N: u64 = 70_000;
    let mut store = CfStore(Vec::new());
    let mut b = TileBuilder::new();
    let mut last_checkpoint = 0;
    for i in 0..N {
        let data = i.to_be_bytes();
        let new = tlog_tiles::stored_hashes(i, &data, &store).unwrap();
        store.0.extend(new);
        let mut emitted = b.append(prov_proofs::leaf_hash(&data));
        // Checkpoints: often at first, then around tile boundaries and now and then.
        let size = b.size();
        if size < 600
            || size % 256 < 3
            || size % 65_536 < 3
            || size.is_multiple_of(977)
            || size == N
        {
            emitted.extend(b.partials_since(last_checkpoint));
            let mut ours: Vec<Tile> = emitted.iter().map(|(t, _)| *t).collect();
            let mut want = tlog_tiles::Tile::new_tiles(8, last_checkpoint, size);
            ours.sort();
            want.sort_by_key(|t| (t.level(), t.level_index(), t.width()));
            let ours_cf: Vec<tlog_tiles::Tile> = ours.iter().map(theirs).collect();
            assert_eq!(ours_cf, want, "tiles from {last_checkpoint} to {size}");
            for (t, bytes) in &emitted {
                assert_eq!(
                    format!("tile/{}", t.path().strip_prefix("tile/").unwrap()),
                    theirs(t).path().replacen("tile/8/", "tile/", 1)
                );
                let cf = theirs(t).read_data(&store).unwrap();
                assert_eq!(&cf, bytes, "bytes of {}", t.path());
            }
            last_checkpoint = size;
        } else {
            // Full tiles completed between checkpoints are published at the next one.
            assert!(emitted.iter().all(|(t, _)| t.is_full()));
        }
    }
}

#[test]
fn proofs_from_tiles_are_the_proofs_from_every_node() {
    let leaves = numbered_leaf_hashes(1100);
    let naive = MemoryStore::with_leaves(&leaves);
    // Checkpoints at every size: every partial tile is there.
    let (every, _) = build(&leaves, |_| true);
    // Checkpoints now and then: older partial tiles come from the full tile's prefix.
    let (some, b) = build(&leaves, |s| s.is_multiple_of(300));
    assert_eq!(b.tree().root, root_at(&naive, 1100).unwrap());
    for size in 1..=1100u64 {
        let r = TileHashReader::new(size, &every);
        assert_eq!(root_at(&r, size).unwrap(), root_at(&naive, size).unwrap());
        for n in [0, size / 3, size - 1] {
            assert_eq!(
                InclusionProof::generate(&r, n, size).unwrap(),
                InclusionProof::generate(&naive, n, size).unwrap()
            );
        }
        for old in [1, size / 2, size] {
            assert_eq!(
                ConsistencyProof::generate(&r, old.max(1), size).unwrap(),
                ConsistencyProof::generate(&naive, old.max(1), size).unwrap()
            );
        }
        if size.is_multiple_of(300) || size < 1024 {
            let r = TileHashReader::new(size, &some);
            assert_eq!(root_at(&r, size).unwrap(), root_at(&naive, size).unwrap());
        }
    }
}

#[test]
fn a_short_tile_or_a_node_outside_the_tree_is_an_error() {
    let leaves = numbered_leaf_hashes(300);
    let (mut s, _) = build(&leaves, |n| n == 300);
    let r = TileHashReader::new(300, &s);
    assert!(matches!(
        InclusionProof::generate(&r, 0, 301),
        Err(Error::IndexOutOfRange { .. })
    ));
    let partial = partial_tiles(300)[0];
    s.0.get_mut(&partial).unwrap().pop();
    let r = TileHashReader::new(300, &s);
    assert!(matches!(root_at(&r, 300), Err(Error::TileSize { .. })));
}

proptest! {
    #[test]
    fn paths_round_trip(level in 0u8..=63, index: u64, width in 1u16..=256) {
        let t = Tile { level, index, width };
        prop_assert_eq!(Tile::parse_path(&t.path()).unwrap(), (TileKind::Hashes, t));
        let e = Tile { level: 0, ..t };
        prop_assert_eq!(Tile::parse_path(&e.entries_path()).unwrap(), (TileKind::Entries, e));
        prop_assert_eq!(t.path(), theirs(&t).path().replacen("tile/8/", "tile/", 1));
    }
}
