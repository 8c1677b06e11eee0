//! DKIM key records (RFC 6376 3.6.1, through the tag-list parser of 3.2): never panics, and
//! what parses tells a consistent story (a revoked key has no size; only RSA is weak).
#![no_main]
use libfuzzer_sys::fuzz_target;
use prov_dkim::KeyRecord;

fuzz_target!(|data: &[u8]| {
    if let Ok(k) = KeyRecord::parse(data) {
        assert_eq!(k.is_revoked(), k.bits().is_none());
        assert!(!k.is_weak() || k.key_type() == "rsa");
    }
});
