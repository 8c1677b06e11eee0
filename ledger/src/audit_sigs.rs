//! The audit's signature check: RFC 8032 strict verification (FORMAT.md section 6.3), made
//! fast with Ed25519 batch verification where batching cannot change the verdict.
//!
//! Batch verification checks `sum z_i (R_i + k_i A - S_i B) = 0` for random `z_i`; strict
//! verification checks `R_i = encode(S_i B - k_i A)` byte for byte and refuses an `R` or `A`
//! of small order. Both refuse a non-canonical `S` and an `R` that does not decode. They
//! differ where a term can vanish without being zero:
//! - an `R` of small order (the identity among them): `S = k a` with that `R` passes batch
//!   verification, as it passes Go's or OpenSSL's single verification, but strict refuses it;
//! - an `R` encoded non-canonically (its y at least p): batch decodes it, strict compares
//!   bytes with the canonical encoding and refuses it;
//! - a key `A` outside the prime-order subgroup: `k A` carries a small-order part that the
//!   random `z_i` can cancel.
//!
//! So a signature is batched only when its `R` bytes are canonical and not of small order,
//! a check of its bytes alone; any other goes to strict verification. The key is checked
//! once per audit: outside the prime-order subgroup, every signature is verified strictly.
//! What remains is an `R` with a small-order part that is not itself of small order: only
//! the key's holder can make one, and finding it costs a full scalar multiplication per
//! signature (as much as strict verification), so it is named in FORMAT.md section 8.

use ed25519_dalek::{Signature, VerifyingKey};
use rayon::prelude::*;

/// Signatures per batch verification.
const SUB_BATCH: usize = 64;

/// The y coordinates (little-endian, sign bit cleared) of the eight points of small order:
/// the identity (y = 1), the point of order 2 (y = -1), those of order 4 (y = 0) and the
/// four of order 8 (y = ±y8). An `R` whose low 255 bits are one of these is of small order
/// whatever its sign bit (with x = 0 the sign bit set is a non-canonical encoding).
const SMALL_ORDER_Y: [[u8; 32]; 5] = [
    hex32(b"0100000000000000000000000000000000000000000000000000000000000000"),
    hex32(b"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),
    hex32(b"0000000000000000000000000000000000000000000000000000000000000000"),
    hex32(b"26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05"),
    hex32(b"c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a"),
];

const fn hex32(s: &[u8; 64]) -> [u8; 32] {
    const fn nibble(c: u8) -> u8 {
        match c {
            b'0'..=b'9' => c - b'0',
            _ => c - b'a' + 10,
        }
    }
    let mut out = [0u8; 32];
    let mut i = 0;
    while i < 32 {
        out[i] = nibble(s[2 * i]) << 4 | nibble(s[2 * i + 1]);
        i += 1;
    }
    out
}

/// Whether a signature's `R` (its first 32 bytes) is a canonical encoding of a point that is
/// not of small order, as far as its bytes tell: its y is below p = 2^255 - 19 and is not
/// one of the small-order points' y. Only such signatures are batched.
pub(crate) fn batchable_r(r: &[u8; 32]) -> bool {
    let mut y = *r;
    y[31] &= 0x7f;
    // y >= p exactly when y is one of 2^255 - 19 ..= 2^255 - 1: bytes 1..=30 all 0xff,
    // byte 31 0x7f, byte 0 at least 0xed.
    let at_least_p = y[0] >= 0xed && y[1..31].iter().all(|b| *b == 0xff) && y[31] == 0x7f;
    !at_least_p && !SMALL_ORDER_Y.contains(&y)
}

/// One signature waiting to be checked.
pub(crate) struct PendingSig {
    pub(crate) seq: u64,
    pub(crate) offset: u64,
    pub(crate) msg: Vec<u8>,
    pub(crate) sig: [u8; 64],
}

/// Returns the position of the first signature in `pending` that strict verification under
/// `key` refuses, checking sub-batches of [`SUB_BATCH`] in parallel. `batch_key` says the key
/// is in the prime-order subgroup (see the module documentation); without it, or for a
/// signature whose `R` is not [`batchable_r`], verification is strict and one at a time.
pub(crate) fn first_bad(
    pending: &[PendingSig],
    key: &VerifyingKey,
    batch_key: bool,
) -> Option<usize> {
    let strict_fails = |p: &PendingSig| {
        key.verify_strict(&p.msg, &Signature::from_bytes(&p.sig))
            .is_err()
    };
    let in_chunk = |chunk: &[PendingSig]| -> Option<usize> {
        let doubtful = !batch_key
            || chunk
                .iter()
                .any(|p| !batchable_r(p.sig[..32].try_into().unwrap_or(&[0; 32])));
        if !doubtful {
            let msgs: Vec<&[u8]> = chunk.iter().map(|p| p.msg.as_slice()).collect();
            let sigs: Vec<Signature> = chunk
                .iter()
                .map(|p| Signature::from_bytes(&p.sig))
                .collect();
            let keys = vec![*key; chunk.len()];
            if ed25519_dalek::verify_batch(&msgs, &sigs, &keys).is_ok() {
                return None;
            }
        }
        chunk.iter().position(strict_fails)
    };
    pending
        .par_chunks(SUB_BATCH)
        .enumerate()
        .filter_map(|(n, chunk)| in_chunk(chunk).map(|i| n * SUB_BATCH + i))
        .min()
}

/// Whether signatures under `key` may be batched: its point is in the prime-order subgroup.
pub(crate) fn batchable_key(key: &VerifyingKey) -> bool {
    key.to_edwards().is_torsion_free()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::{Signer, SigningKey};

    #[test]
    fn batch_and_strict_agree_on_honest_and_tampered_signatures() {
        let key = SigningKey::from_bytes(&[5; 32]);
        let vk = key.verifying_key();
        assert!(batchable_key(&vk));
        let mut pending: Vec<PendingSig> = (0..200u64)
            .map(|i| {
                let msg = format!("message {i}").into_bytes();
                PendingSig {
                    seq: i,
                    offset: i,
                    sig: key.sign(&msg).to_bytes(),
                    msg,
                }
            })
            .collect();
        assert!(
            pending
                .iter()
                .all(|p| batchable_r(p.sig[..32].try_into().unwrap()))
        );
        assert_eq!(first_bad(&pending, &vk, true), None);
        pending[130].msg.push(0);
        pending[170].sig[40] ^= 1;
        assert_eq!(first_bad(&pending, &vk, true), Some(130));
        assert_eq!(first_bad(&pending, &vk, false), Some(130));
    }

    /// The small-order y list is exactly the eight torsion points' (found as [l]Q for points
    /// Q), and `batchable_r` agrees with decoding on random and edge-case bytes.
    #[test]
    fn batchable_r_is_canonical_and_not_of_small_order() {
        use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
        use curve25519_dalek::scalar::Scalar;
        use curve25519_dalek::traits::{Identity, VartimeMultiscalarMul};
        let mut torsion = std::collections::BTreeSet::new();
        for i in 0u8..40 {
            let Some(q) = CompressedEdwardsY([i; 32]).decompress() else {
                continue;
            };
            // [l]Q = [l - 1]Q + Q: the small-order part of Q, times l.
            let t = EdwardsPoint::vartime_multiscalar_mul([-Scalar::ONE], [q]) + q;
            let mut m = EdwardsPoint::identity();
            for _ in 0..8 {
                let mut y = m.compress().0;
                y[31] &= 0x7f;
                torsion.insert(y);
                m += t;
            }
        }
        let listed: std::collections::BTreeSet<[u8; 32]> = SMALL_ORDER_Y.into_iter().collect();
        assert_eq!(torsion, listed);
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut edge: Vec<[u8; 32]> = Vec::new();
        for y in SMALL_ORDER_Y {
            let mut neg = y;
            neg[31] |= 0x80;
            edge.extend([y, neg]);
        }
        for low in 0xe0..=0xffu8 {
            let mut r = [0xff; 32];
            r[0] = low;
            r[31] = 0x7f;
            edge.push(r);
            r[31] = 0xff;
            edge.push(r);
        }
        edge.extend([[0; 32], [1; 32]].map(|mut r| {
            r[0] = 0xee;
            r
        }));
        let random = (0..20_000).map(|_| {
            let mut r = [0u8; 32];
            for b in &mut r {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                *b = seed as u8;
            }
            r
        });
        for r in edge.into_iter().chain(random) {
            if let Some(p) = CompressedEdwardsY(r).decompress() {
                let strict_ok = !p.is_small_order() && p.compress().0 == r;
                assert_eq!(batchable_r(&r), strict_ok, "{}", hex_of(&r));
            }
        }
    }

    fn hex_of(b: &[u8]) -> String {
        b.iter().map(|b| format!("{b:02x}")).collect()
    }
}
