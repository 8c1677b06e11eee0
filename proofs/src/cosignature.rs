//! C2SP tlog-cosignature v1 (<https://c2sp.org/tlog-cosignature>), the Ed25519 type: a
//! witness's timestamped signature on a checkpoint, carried as one more signature line of
//! the checkpoint's signed note (signed-note signature type `0x04`).
//!
//! The signature line is `— <cosigner name> base64(key ID || timestamp || signature)`, where
//! the key ID is `SHA-256(name || 0x0A || 0x04 || public key)[:4]`, the timestamp a
//! big-endian `u64` of POSIX seconds (at most 2^63 - 1), and the signature an Ed25519
//! signature over the message of [`cosigned_message`]:
//!
//! ```text
//! cosignature/v1
//! time <timestamp>
//! <the checkpoint's note text, its final newline included>
//! ```
//!
//! A verifier that does not know the cosigner ignores the line (signed-note, "Signatures"),
//! so a cosigned checkpoint still verifies with the log's key alone.

use crate::error::{Error, Result};
use crate::note::{Note, NoteSignature, check_key_name};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

/// Signature type byte of timestamped Ed25519 checkpoint cosignatures (signed-note,
/// "Signature types"; tlog-cosignature, "Format").
pub const COSIGNATURE_V1: u8 = 0x04;
/// The first line of the cosigned message: domain separation (tlog-cosignature, "Ed25519
/// signed message").
pub const COSIGNATURE_HEADER: &str = "cosignature/v1";
/// The largest timestamp allowed: 2^63 - 1 (tlog-cosignature, "Format").
pub const MAX_TIMESTAMP: u64 = i64::MAX as u64;
/// Bytes after the key ID: the `u64` timestamp and the 64-byte Ed25519 signature.
const TIMESTAMPED_LEN: usize = 8 + 64;

/// `SHA-256(name || 0x0A || 0x04 || public key)[:4]` as a big-endian integer.
pub fn cosigner_key_id(name: &str, public_key: &VerifyingKey) -> u32 {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([b'\n', COSIGNATURE_V1]);
    h.update(public_key.as_bytes());
    let d = h.finalize();
    u32::from_be_bytes([d[0], d[1], d[2], d[3]])
}

/// The message a v1 cosignature signs: `cosignature/v1\n`, `time <timestamp>\n`, then the
/// whole note text of the checkpoint (its final newline included, no signature lines).
pub fn cosigned_message(note_text: &str, timestamp: u64) -> Vec<u8> {
    format!("{COSIGNATURE_HEADER}\ntime {timestamp}\n{note_text}").into_bytes()
}

/// A cosignature that verified: who made it and when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cosignature {
    /// The cosigner's name.
    pub name: String,
    /// The cosigner's key ID.
    pub key_id: u32,
    /// When the cosigner signed, POSIX seconds.
    pub timestamp: u64,
}

/// A trusted cosigner (witness) public key with its name and key ID.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CosignerVerifier {
    /// The cosigner's name (a schema-less URL, by the spec's advice).
    pub name: String,
    /// The key ID its signature lines carry.
    pub key_id: u32,
    /// The Ed25519 public key.
    pub key: VerifyingKey,
}

impl CosignerVerifier {
    /// A verifier for `key` under `name`.
    ///
    /// # Errors
    /// [`Error::MalformedKey`] when the name is empty or has spaces or `+`.
    pub fn new(name: &str, key: VerifyingKey) -> Result<Self> {
        if !check_key_name(name) {
            return Err(Error::MalformedKey(
                "cosigner name is empty or has spaces or '+'",
            ));
        }
        Ok(Self {
            name: name.to_owned(),
            key_id: cosigner_key_id(name, &key),
            key,
        })
    }

    /// Parses a cosigner verifier key `<name>+<hex key ID>+<base64(0x04 || key)>`
    /// (signed-note, "Verifier keys"; tlog-cosignature, "Format"). The key ID must be the one
    /// the name and key give.
    ///
    /// # Errors
    /// [`Error::MalformedKey`] naming the part that is wrong; a ledger (checkpoint) key of
    /// type `0x01`, or an ML-DSA-44 cosigner key (`0x06`, not supported), is refused as such.
    pub fn parse(vkey: &str) -> Result<Self> {
        let vkey = vkey.trim_end_matches(['\n', '\r']);
        let mut parts = vkey.splitn(3, '+');
        let (Some(name), Some(id), Some(b64)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(Error::MalformedKey("expected <name>+<key id>+<key>"));
        };
        if !check_key_name(name) {
            return Err(Error::MalformedKey("key name is empty or has spaces"));
        }
        if id.len() != 8 || !id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(Error::MalformedKey("key ID is not 8 lower-case hex digits"));
        }
        let key_id = u32::from_str_radix(id, 16)
            .map_err(|_| Error::MalformedKey("key ID is not 8 lower-case hex digits"))?;
        let raw = STANDARD
            .decode(b64)
            .map_err(|_| Error::MalformedKey("key is not base64"))?;
        let (kind, public) = raw
            .split_first()
            .ok_or(Error::MalformedKey("key is empty"))?;
        match *kind {
            COSIGNATURE_V1 => {}
            0x01 => {
                return Err(Error::MalformedKey(
                    "this is a log (checkpoint) key, type 0x01, not a witness cosignature key (0x04): give the key `prov witness init` printed",
                ));
            }
            0x06 => {
                return Err(Error::MalformedKey(
                    "ML-DSA-44 cosignature keys (type 0x06) are not supported; only Ed25519 (0x04)",
                ));
            }
            _ => {
                return Err(Error::MalformedKey(
                    "key type is not an Ed25519 cosignature key (0x04)",
                ));
            }
        }
        let public: [u8; 32] = public
            .try_into()
            .map_err(|_| Error::MalformedKey("Ed25519 key is not 32 bytes"))?;
        let key = VerifyingKey::from_bytes(&public)
            .map_err(|_| Error::MalformedKey("not a valid Ed25519 public key"))?;
        if key_id != cosigner_key_id(name, &key) {
            return Err(Error::MalformedKey(
                "key ID is not SHA-256(name || 0x0A || 0x04 || key)[:4]: the name, ID or key was altered; copy the whole line the witness published",
            ));
        }
        Ok(Self {
            name: name.to_owned(),
            key_id,
            key,
        })
    }

    /// The verifier key string `<name>+<hex key ID>+<base64(0x04 || key)>`.
    pub fn to_vkey(&self) -> String {
        let mut material = vec![COSIGNATURE_V1];
        material.extend_from_slice(self.key.as_bytes());
        format!(
            "{}+{:08x}+{}",
            self.name,
            self.key_id,
            STANDARD.encode(material)
        )
    }

    /// Whether a signature line names this cosigner (its name and key ID both match).
    pub fn names(&self, sig: &NoteSignature) -> bool {
        sig.name == self.name && sig.key_id == self.key_id
    }

    /// Verifies one cosignature line over a checkpoint's note text, with the strict Ed25519
    /// rule (`verify_strict`, as for every signature `prov` checks).
    ///
    /// # Errors
    /// [`Error::BadSignature`] when the line is not this cosigner's, is not 72 bytes after
    /// the key ID, carries a timestamp above 2^63 - 1 or does not verify;
    /// [`Error::MalformedNote`] for non-canonical base64.
    pub fn verify(&self, note_text: &str, sig: &NoteSignature) -> Result<Cosignature> {
        let bad = || Error::BadSignature {
            name: self.name.clone(),
            key_id: self.key_id,
        };
        if !self.names(sig) || sig.signature.len() != TIMESTAMPED_LEN {
            return Err(bad());
        }
        if !sig.is_canonical() {
            return Err(Error::MalformedNote(
                "a trusted cosigner's signature is not canonical base64 (non-zero padding bits)",
            ));
        }
        let (time, signature) = sig.signature.split_at(8);
        let timestamp = u64::from_be_bytes(time.try_into().map_err(|_| bad())?);
        if timestamp > MAX_TIMESTAMP {
            return Err(bad());
        }
        let signature = Signature::from_slice(signature).map_err(|_| bad())?;
        self.key
            .verify_strict(&cosigned_message(note_text, timestamp), &signature)
            .map_err(|_| bad())?;
        Ok(Cosignature {
            name: self.name.clone(),
            key_id: self.key_id,
            timestamp,
        })
    }
}

/// A named Ed25519 key that cosigns checkpoints. It has no `Debug`, so it cannot be logged.
pub struct CosignerSigner {
    key: SigningKey,
    verifier: CosignerVerifier,
}

impl CosignerSigner {
    /// A cosigner for `key` under `name`.
    ///
    /// # Errors
    /// [`Error::MalformedKey`] when the name is empty or has spaces or `+`.
    pub fn new(name: &str, key: SigningKey) -> Result<Self> {
        let verifier = CosignerVerifier::new(name, key.verifying_key())?;
        Ok(Self { key, verifier })
    }

    /// The matching verifier.
    pub fn verifier(&self) -> &CosignerVerifier {
        &self.verifier
    }

    /// The cosignature line over `note_text` (a checkpoint's note text, final newline
    /// included) at `timestamp` (POSIX seconds).
    ///
    /// # Errors
    /// [`Error::MalformedNote`] when the text does not end in a newline, or the timestamp is
    /// 0 (tlog-witness: a witness never omits it) or above 2^63 - 1.
    pub fn cosign(&self, note_text: &str, timestamp: u64) -> Result<NoteSignature> {
        if !note_text.ends_with('\n') {
            return Err(Error::MalformedNote(
                "text to cosign does not end in a newline",
            ));
        }
        if timestamp == 0 || timestamp > MAX_TIMESTAMP {
            return Err(Error::MalformedNote(
                "a cosignature's timestamp must be between 1 and 2^63 - 1",
            ));
        }
        let sig = self.key.sign(&cosigned_message(note_text, timestamp));
        let mut raw = timestamp.to_be_bytes().to_vec();
        raw.extend_from_slice(&sig.to_bytes());
        Ok(NoteSignature::new(
            &self.verifier.name,
            self.verifier.key_id,
            raw,
        ))
    }
}

/// The cosignatures of `note` by the trusted `cosigners`, each verified over the note's text.
///
/// Signature lines by other keys (the log's own, unknown witnesses) are ignored, as
/// signed-note requires. A line that names a trusted cosigner but does not verify rejects the
/// note (signed-note: "clients SHOULD reject the whole note"). A cosigner that signed twice is
/// listed once, with its latest timestamp. The result follows the order of `cosigners`.
///
/// # Errors
/// [`Error::DuplicateVerifier`] when two cosigners share a name and key ID;
/// [`Error::BadSignature`] or [`Error::MalformedNote`] from [`CosignerVerifier::verify`].
pub fn verify_cosignatures(
    note: &Note,
    cosigners: &[CosignerVerifier],
) -> Result<Vec<Cosignature>> {
    for (i, c) in cosigners.iter().enumerate() {
        if cosigners[..i]
            .iter()
            .any(|d| d.name == c.name && d.key_id == c.key_id)
        {
            return Err(Error::DuplicateVerifier {
                name: c.name.clone(),
                key_id: c.key_id,
            });
        }
    }
    let mut found: Vec<Option<Cosignature>> = vec![None; cosigners.len()];
    for sig in &note.signatures {
        let Some(i) = cosigners.iter().position(|c| c.names(sig)) else {
            continue;
        };
        let cosig = cosigners[i].verify(&note.text, sig)?;
        if found[i]
            .as_ref()
            .is_none_or(|f| f.timestamp < cosig.timestamp)
        {
            found[i] = Some(cosig);
        }
    }
    Ok(found.into_iter().flatten().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer() -> CosignerSigner {
        CosignerSigner::new("witness.example/w1", SigningKey::from_bytes(&[3; 32])).unwrap()
    }

    #[test]
    fn vkey_round_trips_and_a_changed_part_is_refused() {
        let v = signer().verifier().clone();
        let text = v.to_vkey();
        assert_eq!(CosignerVerifier::parse(&text).unwrap(), v);
        let renamed = text.replacen("w1", "w2", 1);
        assert!(CosignerVerifier::parse(&renamed).is_err());
        // The same key as a ledger (0x01) key is refused, saying which kind it is.
        let ledger = crate::verifier_key_string("witness.example/w1", &v.key);
        let e = CosignerVerifier::parse(&ledger).unwrap_err().to_string();
        assert!(e.contains("log (checkpoint) key"), "{e}");
    }

    #[test]
    fn a_cosignature_verifies_only_over_its_text_and_time() {
        let s = signer();
        let text = "o\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
        let line = s.cosign(text, 1_700_000_000).unwrap();
        let c = s.verifier().verify(text, &line).unwrap();
        assert_eq!(c.timestamp, 1_700_000_000);
        assert!(s.verifier().verify("o\n2\n", &line).is_err());
        let mut later = line.clone();
        later.signature[7] ^= 1;
        assert!(s.verifier().verify(text, &later).is_err());
        assert!(s.cosign(text, 0).is_err());
        assert!(s.cosign(text, MAX_TIMESTAMP + 1).is_err());
    }
}
