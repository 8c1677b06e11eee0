//! The verdicts the page shows, on a real two-entry log: FORMAT.md's golden entries in a tree
//! signed by the same key, proven as `prov prove` proves (the binary's own proofs are checked
//! by `tests/e2e/web.rs`, in the browser). Each case names the check that must fail.

use ed25519_dalek::SigningKey;
use prov_proofs::NoteSigner;
use prov_web_verifier::{Document, Request, Status, Verdict, verify_proof};
use sha2::{Digest, Sha256};

mod common;
use common::{KEY, hello, proof_of};

fn verify(proof: &str, key: &str, document: Option<Document>) -> Verdict {
    verify_proof(&Request {
        proof: proof.as_bytes(),
        key,
        witnesses: "",
        quorum: 0,
        document,
    })
}

fn failed(v: &Verdict, id: &str, headline: &str) {
    assert!(!v.ok, "{v:?}");
    assert_eq!(v.failed, Some(id), "{v:?}");
    assert!(v.headline.contains(headline), "{}", v.headline);
    let c = v.checks.iter().position(|c| c.id == id).unwrap();
    assert!(
        v.checks[..c].iter().all(|c| c.status == Status::Passed),
        "{v:?}"
    );
    assert_eq!(v.checks[c].status, Status::Failed);
    assert!(
        v.checks[c + 1..]
            .iter()
            .all(|c| c.status == Status::NotReached),
        "{v:?}"
    );
}

#[test]
fn a_valid_proof_and_its_document_say_what_was_proven() {
    let v = verify(&proof_of(0), KEY, Some(hello()));
    assert!(v.ok, "{v:?}");
    assert_eq!(
        v.headline,
        "Proven: this exact document was recorded by example.com/prov."
    );
    let text = v.explanation.join(" ");
    assert!(
        text.contains(
            "first saw it on 2026-01-01 00:00:00.123 UTC, from https://leaks.example/dump-1"
        ),
        "{text}"
    );
    assert!(
        text.contains("entry 0 of the archive's log, which held 2 entries"),
        "{text}"
    );
    assert!(v.warnings.is_empty());
    let witnesses = v.checks.iter().find(|c| c.id == "witnesses").unwrap();
    assert_eq!(witnesses.status, Status::NotChecked);

    // Entry 1 is a sighting: the verdict says it was not the first time.
    let v = verify(&proof_of(1), KEY, Some(hello()));
    assert!(v.ok, "{v:?}");
    let text = v.explanation.join(" ");
    assert!(text.contains("saw it on 2026-01-02 00:00:00.000 UTC, from mailto:tips@newsroom.example. That was not the first time: entry 0"), "{text}");
    assert!(
        v.facts.contains(&("Name".into(), "r\\xe9p.txt".into())),
        "{:?}",
        v.facts
    );
}

#[test]
fn without_a_document_the_proof_alone_is_reported() {
    let v = verify(&proof_of(0), KEY, None);
    assert!(v.ok);
    assert_eq!(
        v.headline,
        "The proof is valid, but no document was checked."
    );
    let doc = v.checks.iter().find(|c| c.id == "document_hash").unwrap();
    assert_eq!(doc.status, Status::NotChecked);
}

#[test]
fn each_fault_names_its_check() {
    let proof = proof_of(0);
    // The wrong document; then the right fingerprint with another size.
    let other = Document {
        sha256: Sha256::digest(b"hello!\n").into(),
        size: 7,
    };
    failed(
        &verify(&proof, KEY, Some(other)),
        "document_hash",
        "This is not the recorded document",
    );
    let resized = Document { size: 7, ..hello() };
    failed(
        &verify(&proof, KEY, Some(resized)),
        "document_size",
        "another size",
    );
    // Another archive's key (same name, another key: its ID differs).
    let other_key = NoteSigner::new("example.com/prov", SigningKey::from_bytes(&[7; 32])).unwrap();
    let v = verify(&proof, &other_key.verifier().to_vkey(), Some(hello()));
    failed(&v, "checkpoint", "not signed with the archive key you gave");
    // Not a key at all.
    failed(
        &verify(&proof, "archive.example", None),
        "key",
        "not a verifier key",
    );
    // A changed source: the entry's leaf hash no longer leads to the signed root.
    let tampered = tamper_extra(&proof, |e| {
        let at = e.windows(5).position(|w| w == b"leaks").unwrap();
        e[at] = b'L';
    });
    failed(
        &verify(&tampered, KEY, Some(hello())),
        "inclusion",
        "does not show that the entry is in",
    );
    // A changed checkpoint root: the archive's signature no longer verifies.
    let altered = proof.replace("\n2\n", "\n3\n");
    failed(
        &verify(&altered, KEY, None),
        "checkpoint",
        "does not verify",
    );
    // Not a proof.
    failed(
        &verify("hello", KEY, None),
        "proof_file",
        "could not be read",
    );
}

/// Rewrites the `extra` line's entry bytes.
fn tamper_extra(proof: &str, change: impl Fn(&mut Vec<u8>)) -> String {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    proof
        .lines()
        .map(|l| match l.strip_prefix("extra ") {
            Some(e) => {
                let mut bytes = b64.decode(e).unwrap();
                change(&mut bytes);
                format!("extra {}", b64.encode(bytes))
            }
            None => l.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}
