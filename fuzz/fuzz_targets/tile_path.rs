//! tlog-tiles paths: parsing never panics; what parses is the canonical path of its tile.
#![no_main]
use libfuzzer_sys::fuzz_target;
use prov_proofs::{Tile, TileKind};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok((kind, t)) = Tile::parse_path(text) {
            let again = match kind {
                TileKind::Hashes => t.path(),
                TileKind::Entries => t.entries_path(),
            };
            assert_eq!(again, text);
        }
    }
});
