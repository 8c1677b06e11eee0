//! The JSON forms of inclusion and consistency proofs: never panic, and what parses
//! survives a round trip through the writer.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(p) = prov_ledger::inclusion_from_json(data) {
        let again = prov_ledger::inclusion_to_json(&p, serde_json::Value::Null)
            .unwrap()
            .to_string();
        assert_eq!(
            prov_ledger::inclusion_from_json(again.as_bytes()).unwrap(),
            p
        );
    }
    if let Ok(b) = prov_ledger::consistency_from_json(data) {
        let again = prov_ledger::consistency_to_json(&b).unwrap().to_string();
        assert_eq!(
            prov_ledger::consistency_from_json(again.as_bytes()).unwrap(),
            b
        );
    }
});
