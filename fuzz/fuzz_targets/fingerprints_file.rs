//! A ledger's `fingerprints` file as a stranger may have left it (FORMAT.md 7.6: it is not
//! signed and nothing in it is trusted): reading it never panics, a bad header is an error,
//! and only records below the committed size come back, each one's kind and TLSH valid.
#![no_main]
use libfuzzer_sys::fuzz_target;
use prov_ledger::{FINGERPRINTS_FILE, load_fingerprints};

fuzz_target!(|data: &[u8]| {
    // The committed size comes from the input's first byte, the file from the rest.
    let (size, file) = match data.split_first() {
        Some((s, rest)) => (u64::from(*s), rest),
        None => return,
    };
    let dir = tempfile::tempdir().expect("a temporary folder");
    std::fs::write(dir.path().join(FINGERPRINTS_FILE), file).expect("write");
    match load_fingerprints(dir.path(), size) {
        Ok(loaded) => {
            assert!(loaded.present);
            assert!(file.starts_with(b"PROVFPR\x01"), "a bad header is refused");
            for p in &loaded.prints {
                assert!(p.seq < size, "a record past the committed size");
                assert_eq!(p.tlsh.text().len(), 72);
            }
        }
        Err(e) => assert!(!e.to_string().is_empty()),
    }
});
