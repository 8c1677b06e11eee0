//! RFC 3161 time-stamp replies and tokens from a TSA nobody vouches for
//! (`prov_ledger::token_from_reply`, `read_token`, `verify_token`): never a panic, and no
//! token longer than the limit comes out of a reply. The fraction of a genTime sliced before
//! its bounds were checked (fixed in 24c8dc5) is the kind of panic this looks for.
#![no_main]
use libfuzzer_sys::fuzz_target;
use prov_ledger::{MAX_TOKEN_BYTES, read_token, token_from_reply, verify_token};

fuzz_target!(|data: &[u8]| {
    if let Ok(token) = token_from_reply(data) {
        assert!(token.len() <= MAX_TOKEN_BYTES);
    }
    let _ = read_token(data);
    let _ = verify_token(data, &[0u8; 32], Some(1), None);
});
