//! Entry decoding: never panics; exactly one encoding per entry (decode, re-encode, equal).
#![no_main]
use libfuzzer_sys::fuzz_target;
use prov_ledger::Entry;

fuzz_target!(|data: &[u8]| {
    if let Ok(e) = Entry::from_bytes(data) {
        assert_eq!(e.to_bytes().unwrap(), data);
        e.signed_message().unwrap();
    }
});
