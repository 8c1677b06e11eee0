//! tlog-proof files: parse and verify never panic; what parses round-trips exactly.
#![no_main]
use libfuzzer_sys::fuzz_target;
use prov_proofs::{NoteVerifier, TlogProof};

fuzz_target!(|data: &[u8]| {
    if let Ok(p) = TlogProof::parse(data) {
        assert_eq!(p.to_text().as_bytes(), data);
        let key = ed25519_dalek::SigningKey::from_bytes(&[1; 32]).verifying_key();
        let v = NoteVerifier::new("example.com/fuzz", key).unwrap();
        let _ = p.verify(&v, p.extra.as_deref().unwrap_or_default());
    }
});
