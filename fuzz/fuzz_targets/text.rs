//! Documents from strangers read for their text fingerprint (`prov_ingest::text_fingerprint`:
//! a PDF's content streams, an OOXML or ODF package's text parts): never a panic, a hang or
//! an allocation past the per-document budget; whatever fingerprint comes out reads back
//! from its own text form.
#![no_main]
use libfuzzer_sys::fuzz_target;
use prov_ingest::{Tlsh, text_fingerprint};

fuzz_target!(|data: &[u8]| {
    if let Some(print) = text_fingerprint(data) {
        let text = print.text();
        let back = Tlsh::parse(&text).expect("a fingerprint's text parses");
        assert_eq!(back.distance(&print), 0);
    }
});
