//! tlog-tiles entry bundles: parsing never panics; what parses re-encodes to the same bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;
use prov_proofs::{encode_bundle, parse_bundle};

fuzz_target!(|data: &[u8]| {
    if let Ok(entries) = parse_bundle(data) {
        assert_eq!(encode_bundle(entries).unwrap(), data);
    }
});
