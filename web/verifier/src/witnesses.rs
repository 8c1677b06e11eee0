//! The witness keys and quorum a reader may give: C2SP tlog-cosignature Ed25519 cosigner keys,
//! as signed-note verifier keys of signature type `0x04` (tlog-cosignature, "Format"), one a
//! line, and how many of them must have cosigned.
//!
//! They are read and checked here, so a mistyped key is named at once. Checking the
//! cosignatures themselves is not done yet: the checkpoint's witness lines are left unread and
//! the verdict says so (a later version will verify them with `prov_proofs`).

use crate::error::{Error, Result};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

/// tlog-cosignature: the signature type of an Ed25519 cosigner key.
const COSIGNATURE_ED25519: u8 = 0x04;

/// One witness's cosigner key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WitnessKey {
    /// The witness's key name.
    pub name: String,
    /// Its key ID.
    pub key_id: u32,
    /// Its Ed25519 public key.
    pub key: [u8; 32],
}

/// The witnesses the reader trusts and how many must cosign.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WitnessPolicy {
    /// The keys, in the order given.
    pub keys: Vec<WitnessKey>,
    /// How many of them must have cosigned the checkpoint.
    pub quorum: usize,
}

impl WitnessKey {
    /// Parses `<name>+<8 hex key ID>+<base64(0x04 || 32-byte key)>` and checks that the key
    /// ID is `SHA-256(name || "\n" || 0x04 || key)[:4]` (tlog-cosignature, "Format").
    ///
    /// # Errors
    /// [`Error::Witnesses`] saying what is wrong with the line.
    pub fn parse(line: &str) -> Result<WitnessKey> {
        let bad = |why: &str| Error::Witnesses(format!("the witness key {line:?} {why}"));
        // The name holds no '+', the base64 key may.
        let mut parts = line.splitn(3, '+');
        let (Some(name), Some(id_hex), Some(encoded)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(bad("is not of the form name+keyid+key"));
        };
        if name.is_empty() || name.chars().any(|c| c.is_whitespace() || c == '+') {
            return Err(bad("has an empty name or one with spaces or '+'"));
        }
        if id_hex.len() != 8 || !id_hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad("has a key ID that is not 8 hex digits"));
        }
        let key_id = u32::from_str_radix(id_hex, 16).map_err(|_| bad("has a bad key ID"))?;
        let raw = STANDARD
            .decode(encoded)
            .map_err(|_| bad("has a key that is not base64"))?;
        match raw.split_first() {
            Some((&COSIGNATURE_ED25519, key)) if key.len() == 32 => {
                let mut h = Sha256::new();
                h.update(name.as_bytes());
                h.update([b'\n', COSIGNATURE_ED25519]);
                h.update(key);
                let want = u32::from_be_bytes(h.finalize()[..4].try_into().unwrap_or_default());
                if want != key_id {
                    return Err(bad(&format!(
                        "has key ID {key_id:08x}, but its name and key give {want:08x}"
                    )));
                }
                let mut k = [0; 32];
                k.copy_from_slice(key);
                Ok(WitnessKey {
                    name: name.to_owned(),
                    key_id,
                    key: k,
                })
            }
            Some((&0x01, _)) => Err(bad(
                "is a log's signing key (type 0x01), not a witness's cosigner key (type 0x04)",
            )),
            _ => Err(bad("is not an Ed25519 cosigner key (type 0x04, 32 bytes)")),
        }
    }
}

impl WitnessPolicy {
    /// Reads the keys (one a line; blank lines and lines starting with `#` are skipped) and
    /// the quorum; a quorum of 0 with keys given means all of them.
    ///
    /// # Errors
    /// [`Error::Witnesses`] for a bad line (named by its number), the same key twice, or a
    /// quorum larger than the number of keys.
    pub fn parse(text: &str, quorum: u32) -> Result<WitnessPolicy> {
        let mut keys: Vec<WitnessKey> = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let key = WitnessKey::parse(line)
                .map_err(|e| Error::Witnesses(format!("line {}: {e}", n + 1)))?;
            if keys
                .iter()
                .any(|k| k.name == key.name && k.key_id == key.key_id)
            {
                return Err(Error::Witnesses(format!(
                    "line {}: the witness key {}+{:08x} is given twice",
                    n + 1,
                    key.name,
                    key.key_id
                )));
            }
            keys.push(key);
        }
        let quorum = usize::try_from(quorum).unwrap_or(usize::MAX);
        if quorum > keys.len() {
            return Err(Error::Witnesses(format!(
                "the quorum is {quorum}, but only {} witness keys are given",
                keys.len()
            )));
        }
        let quorum = if quorum == 0 { keys.len() } else { quorum };
        Ok(WitnessPolicy { keys, quorum })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A cosigner key made here from the RFC 8032 TEST 1 public key.
    fn vkey(name: &str) -> String {
        let key = hex::decode("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
            .unwrap();
        let mut h = Sha256::new();
        h.update(name.as_bytes());
        h.update([b'\n', 0x04]);
        h.update(&key);
        let id = hex::encode(&h.finalize()[..4]);
        let body = STANDARD.encode([&[0x04][..], &key].concat());
        format!("{name}+{id}+{body}")
    }

    #[test]
    fn reads_cosigner_keys_and_a_quorum() {
        let text = format!(
            "# witnesses\n{}\n\n{}\n",
            vkey("w1.example"),
            vkey("w2.example")
        );
        let p = WitnessPolicy::parse(&text, 1).unwrap();
        assert_eq!(p.keys.len(), 2);
        assert_eq!(p.quorum, 1);
        assert_eq!(WitnessPolicy::parse(&text, 0).unwrap().quorum, 2);
        assert_eq!(
            WitnessPolicy::parse("", 0).unwrap(),
            WitnessPolicy::default()
        );
    }

    #[test]
    fn refuses_what_cannot_be_a_witness_policy() {
        let one = vkey("w1.example");
        let e = WitnessPolicy::parse(&one, 2).unwrap_err().to_string();
        assert!(e.contains("quorum is 2, but only 1"), "{e}");
        let e = WitnessPolicy::parse(&format!("{one}\n{one}"), 1)
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 2") && e.contains("twice"), "{e}");
        // The log's own key type (0x01) is not a cosigner key.
        let log_key = "example.com/prov+ad911d63+AddamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea";
        let e = WitnessPolicy::parse(log_key, 1).unwrap_err().to_string();
        assert!(e.contains("type 0x01"), "{e}");
        // A changed name no longer matches the key ID.
        let renamed = one.replacen("w1", "w9", 1);
        let e = WitnessPolicy::parse(&renamed, 1).unwrap_err().to_string();
        assert!(e.contains("but its name and key give"), "{e}");
    }
}
