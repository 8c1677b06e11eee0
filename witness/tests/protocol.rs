//! `add-checkpoint` as tlog-witness specifies it, status by status, on a real witness folder
//! (the HTTP front end is tested end to end with real processes in `tests/e2e/witness.rs`).
#![forbid(unsafe_code)]

use ed25519_dalek::SigningKey;
use prov_proofs::{
    Checkpoint, ConsistencyBundle, ConsistencyProof, Hash, HashReader, NodeId, Note, NoteSigner,
    empty_root, leaf_hash, node_hash, verify_cosignatures,
};
use prov_witness::{Witness, WitnessDir};

fn mth(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => empty_root(),
        1 => leaves[0],
        n => {
            // The largest power of two smaller than n (RFC 9162 section 2.1.1).
            let k = 1usize << (usize::BITS - 1 - (n - 1).leading_zeros());
            node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
        }
    }
}

struct Log {
    signer: NoteSigner,
    leaves: Vec<Hash>,
}

impl HashReader for Log {
    type Error = prov_proofs::Error;
    fn read_hashes(&self, ids: &[NodeId]) -> Result<Vec<Hash>, Self::Error> {
        Ok(ids
            .iter()
            .map(|id| {
                let lo = id.first_leaf() as usize;
                mth(&self.leaves[lo..lo + (1 << id.level)])
            })
            .collect())
    }
}

impl Log {
    fn new(seed: u8, origin: &str) -> Log {
        Log {
            signer: NoteSigner::new(origin, SigningKey::from_bytes(&[seed; 32])).unwrap(),
            leaves: Vec::new(),
        }
    }
    fn grow(&mut self, n: usize, salt: u8) {
        for _ in 0..n {
            let i = self.leaves.len();
            self.leaves
                .push(leaf_hash(&[salt, i as u8, (i >> 8) as u8]));
        }
    }
    fn note(&self) -> String {
        Checkpoint {
            origin: self.signer.verifier().name.clone(),
            size: self.leaves.len() as u64,
            root: mth(&self.leaves),
            extensions: vec![],
        }
        .sign(&self.signer)
        .unwrap()
        .to_text()
    }
    /// The add-checkpoint body from `old` to the current size.
    fn body(&self, old: u64) -> Vec<u8> {
        let new = self.leaves.len() as u64;
        let proof = if old == 0 || old == new {
            ConsistencyProof::default()
        } else {
            ConsistencyProof::generate(self, old, new).unwrap()
        };
        ConsistencyBundle {
            old_size: old,
            proof,
            checkpoint: self.note(),
        }
        .to_text()
        .into_bytes()
    }
}

fn witness(logs: &[&Log]) -> (tempfile::TempDir, Witness) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("w");
    WitnessDir::init(&dir, "witness.example/w1").unwrap();
    let d = WitnessDir::open(&dir).unwrap();
    let keys = logs.iter().map(|l| l.signer.verifier().clone()).collect();
    (tmp, Witness::new(d, keys))
}

#[test]
fn cosigns_from_zero_then_only_along_one_history() {
    let mut log = Log::new(1, "log.example/a");
    log.grow(5, 0);
    let (_tmp, w) = witness(&[&log]);
    let a = w.add_checkpoint(&log.body(0), 1000);
    assert_eq!(a.status, 200, "{a:?}");
    // The answer is a cosignature line that verifies over the checkpoint at its time.
    let note = format!("{}{}", log.note(), a.body);
    let cos = verify_cosignatures(
        &Note::parse(note.as_bytes()).unwrap(),
        &[w.dir().verifier().clone()],
    )
    .unwrap();
    assert_eq!(cos[0].timestamp, 1000);
    // From 0 again: 409 with the size, as text/x.tlog.size.
    let a = w.add_checkpoint(&log.body(0), 1001);
    assert_eq!(
        (a.status, a.content_type, a.body.as_str()),
        (409, "text/x.tlog.size", "5\n")
    );
    // Grown, with the right proof: cosigned.
    log.grow(4, 0);
    assert_eq!(w.add_checkpoint(&log.body(5), 1002).status, 200);
    // The same checkpoint again (old = size): cosigned again.
    assert_eq!(w.add_checkpoint(&log.body(9), 1003).status, 200);
    // ...but with a proof it must not have: 422, said as what it is, not as a fork.
    let body = String::from_utf8(log.body(9)).unwrap().replacen(
        "old 9\n",
        "old 9\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
        1,
    );
    let a = w.add_checkpoint(body.as_bytes(), 1003);
    assert_eq!(a.status, 422, "{a:?}");
    assert!(
        a.body
            .contains("a consistency proof between equal sizes must be empty")
            && !a.body.contains("forked"),
        "{a:?}"
    );
    // A fork: same key, the first 9 leaves differ. From 9 to 9: 422; with a proof: 422.
    let mut fork = Log::new(1, "log.example/a");
    fork.grow(9, 7);
    assert_eq!(w.add_checkpoint(&fork.body(9), 1004).status, 422);
    fork.grow(3, 7);
    let mut body = fork.body(9);
    let a = w.add_checkpoint(&body, 1005);
    assert_eq!(a.status, 422, "{a:?}");
    // A proof from another size than the stored one is 409, never checked against it.
    body = fork.body(5);
    assert_eq!(w.add_checkpoint(&body, 1006).status, 409);
    // Nothing of the fork was stored: the real log still goes on.
    log.grow(1, 0);
    assert_eq!(w.add_checkpoint(&log.body(9), 1007).status, 200);
    assert_eq!(w.latest(&hex_sha256("log.example/a")).status, 200);
}

fn hex_sha256(s: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(s.as_bytes()))
}

#[test]
fn a_log_key_given_twice_is_one_key() {
    let mut log = Log::new(1, "log.example/a");
    log.grow(2, 0);
    let (_tmp, w) = witness(&[&log, &log]);
    let a = w.add_checkpoint(&log.body(0), 1);
    assert_eq!(a.status, 200, "{a:?}");
}

#[test]
fn each_refusal_has_the_specified_status() {
    let mut log = Log::new(1, "log.example/a");
    log.grow(3, 0);
    let (_tmp, w) = witness(&[&log]);
    // Unknown origin: 404.
    let mut other = Log::new(2, "log.example/other");
    other.grow(1, 0);
    assert_eq!(w.add_checkpoint(&other.body(0), 1).status, 404);
    // Known origin, another key: 403.
    let mut impostor = Log::new(3, "log.example/a");
    impostor.grow(3, 0);
    assert_eq!(w.add_checkpoint(&impostor.body(0), 1).status, 403);
    // A known key's signature that fails: 403.
    let good = String::from_utf8(log.body(0)).unwrap();
    let bad = good.replacen("log.example/a\n3\n", "log.example/a\n4\n", 1);
    assert_eq!(w.add_checkpoint(bad.as_bytes(), 1).status, 403);
    // Old size above the checkpoint's: 400.
    let body = good.replacen("old 0\n", "old 4\n", 1);
    assert_eq!(w.add_checkpoint(body.as_bytes(), 1).status, 400);
    // Malformed bodies: 400, never a panic.
    for junk in [
        &b""[..],
        b"old\n\n",
        b"old 01\n\nx\n",
        b"\xff\xfe",
        b"old 0\n\nnot a note",
    ] {
        assert_eq!(w.add_checkpoint(junk, 1).status, 400, "{junk:?}");
    }
    // A proof from old size 0: 422.
    let body = good.replacen(
        "old 0\n",
        "old 0\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
        1,
    );
    assert_eq!(w.add_checkpoint(body.as_bytes(), 1).status, 422);
    // Nothing was stored by any of these.
    assert_eq!(w.latest(&hex_sha256("log.example/a")).status, 404);
    assert_eq!(w.add_checkpoint(good.as_bytes(), 1).status, 200);
}

#[test]
fn the_state_survives_reopening_and_one_process_holds_the_folder() {
    let mut log = Log::new(1, "log.example/a");
    log.grow(2, 0);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("w");
    let vkey = WitnessDir::init(&dir, "witness.example/w1").unwrap();
    assert!(vkey.starts_with("witness.example/w1+"));
    assert!(
        WitnessDir::init(&dir, "witness.example/w1").is_err(),
        "never overwrites a key"
    );
    {
        let w = Witness::new(
            WitnessDir::open(&dir).unwrap(),
            vec![log.signer.verifier().clone()],
        );
        assert!(matches!(
            WitnessDir::open(&dir),
            Err(prov_witness::Error::InUse(_))
        ));
        assert_eq!(w.add_checkpoint(&log.body(0), 5).status, 200);
    }
    let w = Witness::new(
        WitnessDir::open(&dir).unwrap(),
        vec![log.signer.verifier().clone()],
    );
    let a = w.add_checkpoint(&log.body(0), 6);
    assert_eq!((a.status, a.body.as_str()), (409, "2\n"));
    assert_eq!(
        WitnessDir::open(&dir)
            .err()
            .map(|e| e.to_string().contains("in use")),
        Some(true)
    );
    assert_eq!(w.dir().verifier().to_vkey(), vkey);
}
