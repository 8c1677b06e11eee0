//! Signed-note parsing and verification must never panic, and what parses must re-encode
//! to the same bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;
use prov_proofs::{Note, NoteVerifier};

fuzz_target!(|data: &[u8]| {
    if let Ok(note) = Note::parse(data) {
        assert_eq!(note.to_text().as_bytes(), data);
    }
    let key = ed25519_dalek::SigningKey::from_bytes(&[1; 32]).verifying_key();
    let v = NoteVerifier::new("example.com/fuzz", key).unwrap();
    let _ = Note::open(data, &[v]);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = NoteVerifier::parse(text);
    }
});
