//! Ledgers written byte by byte, as a key holder could write them, to show what `audit` and
//! `verify-proof` say of bytes `prov` itself never writes. Each ledger is a folder with
//! `ledger.json`, `entries.log` and `COMMIT` (no index: audit says it was not checked).

use curve25519_dalek::scalar::Scalar;
use ed25519_dalek::SigningKey;
use prov_ledger::{Content, Entry, Kind, LOG_MAGIC, RECORD_CHECKPOINT, RECORD_ENTRY, encode_frame};
use prov_proofs::{
    Checkpoint, Frontier, Hash, HashReader, InclusionProof, NodeId, NoteSigner, TlogProof,
};
use sha2::{Digest, Sha512};
use std::collections::BTreeMap;
use std::collections::HashMap;
use std::path::Path;

/// RFC 8032 section 7.1 TEST 1, the key of FORMAT.md's examples: never a real ledger's.
pub fn test_key() -> SigningKey {
    let seed =
        hex::decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60").unwrap();
    SigningKey::from_bytes(&seed.try_into().unwrap())
}

const ORIGIN: &str = "example.com/prov";

/// An entry of `content` (its SHA-256 and size) from `source`, unsigned.
pub fn entry(seq: u64, kind: Kind, sha256: [u8; 32], size: u64, source: &str) -> Entry {
    Entry {
        seq,
        prev: Hash([0; 32]),
        time_ms: 1_767_225_600_000 + seq,
        kind,
        content: Content {
            sha256,
            size,
            ..Default::default()
        },
        source: source.into(),
        agent: None,
        metadata: BTreeMap::new(),
        related: vec![],
        key_id: 0,
        signature: [0; 64],
    }
}

/// Signs `e` with R the identity point: S = k a, which satisfies S B = R + k A. Batch
/// verification accepts it; strict verification refuses an R of small order.
pub fn sign_with_identity_r(e: &mut Entry, key: &SigningKey, key_id: u32) {
    e.key_id = key_id;
    let msg = e.signed_message().unwrap();
    let mut r = [0u8; 32];
    r[0] = 1; // the identity: y = 1, x = 0
    let k = Scalar::from_bytes_mod_order_wide(
        &Sha512::new()
            .chain_update(r)
            .chain_update(key.verifying_key().as_bytes())
            .chain_update(&msg)
            .finalize()
            .into(),
    );
    let s = k * key.to_scalar();
    e.signature[..32].copy_from_slice(&r);
    e.signature[32..].copy_from_slice(s.as_bytes());
}

/// A forged ledger's files, its key, and the proof of each entry at its final size.
pub struct Forged {
    pub log: Vec<u8>,
    pub commit: String,
    pub ledger_json: String,
    pub vkey: String,
    pub proofs: Vec<TlogProof>,
}

/// The ledger of `entries` (in order, seq 0 up): `prev` filled in, each signed by
/// [`test_key`] (those whose seq is in `identity_r` with R the identity), the log opened with
/// the empty tree's checkpoint (unless `opening_checkpoint` is false) and closed with the
/// checkpoint of all entries.
pub fn forge(entries: Vec<Entry>, identity_r: &[u64], opening_checkpoint: bool) -> Forged {
    let signer = NoteSigner::new(ORIGIN, test_key()).unwrap();
    let key_id = signer.verifier().key_id;
    let sign_cp = |f: &Frontier| {
        Checkpoint {
            origin: ORIGIN.into(),
            size: f.size(),
            root: f.root(),
            extensions: vec![],
        }
        .sign(&signer)
        .unwrap()
        .to_text()
    };
    let mut log = LOG_MAGIC.to_vec();
    let mut frontier = Frontier::new();
    if opening_checkpoint {
        encode_frame(RECORD_CHECKPOINT, sign_cp(&frontier).as_bytes(), &mut log);
    }
    let mut prev = Hash([0; 32]);
    let mut leaves = Vec::new();
    let mut nodes = Nodes::default();
    for mut e in entries {
        e.prev = prev;
        let bytes = if identity_r.contains(&e.seq) {
            sign_with_identity_r(&mut e, &test_key(), key_id);
            e.to_bytes().unwrap()
        } else {
            e.sign(&test_key(), key_id).unwrap()
        };
        prev = prov_proofs::leaf_hash(&bytes);
        let index = frontier.size();
        nodes.0.insert(NodeId { level: 0, index }, prev);
        nodes.0.extend(frontier.append(prev));
        encode_frame(RECORD_ENTRY, &bytes, &mut log);
        leaves.push(bytes);
    }
    let checkpoint = sign_cp(&frontier);
    encode_frame(RECORD_CHECKPOINT, checkpoint.as_bytes(), &mut log);
    let size = frontier.size();
    let proofs = leaves
        .iter()
        .enumerate()
        .map(|(i, b)| TlogProof {
            extra: Some(b.clone()),
            index: i as u64,
            proof: InclusionProof::generate(&nodes, i as u64, size).unwrap(),
            checkpoint: checkpoint.clone(),
        })
        .collect();
    let vkey = signer.verifier().to_vkey();
    Forged {
        commit: format!(
            "prov-commit v1\nlog_length {}\nsize {}\n",
            log.len(),
            leaves.len()
        ),
        ledger_json: serde_json::json!({"format": 1, "origin": ORIGIN, "vkey": vkey}).to_string(),
        log,
        vkey,
        proofs,
    }
}

impl Forged {
    /// Writes the ledger folder at `dir`.
    pub fn write(&self, dir: &Path) {
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(dir.join("ledger.json"), &self.ledger_json).unwrap();
        std::fs::write(dir.join("entries.log"), &self.log).unwrap();
        std::fs::write(dir.join("COMMIT"), &self.commit).unwrap();
    }
}

/// Every node hash of a small tree, for proof generation.
#[derive(Default)]
struct Nodes(HashMap<NodeId, Hash>);

impl HashReader for Nodes {
    type Error = prov_proofs::Error;
    fn read_hashes(&self, ids: &[NodeId]) -> Result<Vec<Hash>, Self::Error> {
        Ok(ids.iter().map(|id| self.0[id]).collect())
    }
}
