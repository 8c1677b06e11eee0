//! The machine's limits for `bench/run.sh`, measured with the same libraries `prov` uses:
//! single-core Ed25519 signing and strict verification of entry-sized messages, and
//! single-core SHA-256 throughput. Prints one JSON object.
//!
//! `cargo run --release -p prov-ledger --example limits`
#![forbid(unsafe_code)]

use ed25519_dalek::{Signer as _, SigningKey};
use sha2::{Digest, Sha256};
use std::time::Instant;

fn main() {
    let key = SigningKey::from_bytes(&[7; 32]);
    let msgs: Vec<Vec<u8>> = (0..20_000u32)
        .map(|i| [&i.to_be_bytes()[..], &[0xab; 230]].concat())
        .collect();
    let t = Instant::now();
    let sigs: Vec<_> = msgs.iter().map(|m| key.sign(m)).collect();
    let sign_per_s = msgs.len() as f64 / t.elapsed().as_secs_f64();
    let vk = key.verifying_key();
    let t = Instant::now();
    let ok = msgs
        .iter()
        .zip(&sigs)
        .filter(|(m, s)| vk.verify_strict(m, s).is_ok())
        .count();
    let verify_per_s = msgs.len() as f64 / t.elapsed().as_secs_f64();
    assert_eq!(ok, msgs.len());
    let buf = vec![0x5au8; 64 << 20];
    let t = Instant::now();
    let mut h = Sha256::new();
    for _ in 0..4 {
        h.update(&buf);
    }
    let digest = h.finalize();
    let sha_mb_s = 256.0 / t.elapsed().as_secs_f64();
    println!(
        "{{\"sign_per_s\": {sign_per_s:.0}, \"verify_strict_per_s\": {verify_per_s:.0}, \"sha256_mib_per_s\": {sha_mb_s:.0}, \"check\": \"{:02x}\"}}",
        digest[0]
    );
}
