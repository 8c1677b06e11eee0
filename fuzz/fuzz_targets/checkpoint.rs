//! Checkpoint bodies: parse never panics; what parses round-trips exactly.
#![no_main]
use libfuzzer_sys::fuzz_target;
use prov_proofs::Checkpoint;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(cp) = Checkpoint::from_text(text) {
            assert_eq!(cp.to_text(), text);
        }
    }
});
