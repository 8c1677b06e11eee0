//! Consistency-proof text (tlog-witness body): parse never panics; round-trips exactly.
#![no_main]
use libfuzzer_sys::fuzz_target;
use prov_proofs::ConsistencyBundle;

fuzz_target!(|data: &[u8]| {
    if let Ok(b) = ConsistencyBundle::parse(data) {
        assert_eq!(b.to_text().as_bytes(), data);
    }
});
