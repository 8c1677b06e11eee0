//! Messages with DKIM-Signature fields from strangers: the claims and the verifier never
//! panic. The input is a key record, a NUL byte, then the message; the record is offered as
//! the key for every signature, so the tag lists of both and the canonicalizers are reached.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (record, message) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (
            &b"v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="[..],
            data,
        ),
    };
    for (key, value) in prov_dkim::claims(message) {
        assert!(key.starts_with("dkim."));
        assert!(value.len() <= 4096);
    }
    let checked = prov_dkim::verify(message, Some(1_500_000_000), |_, _| {
        vec![((), record.to_vec())]
    });
    assert!(checked.len() <= prov_dkim::MAX_SIGNATURES);
});
