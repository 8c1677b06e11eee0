//! The audit's claim rules (FORMAT.md 6.7, section 8 rule 5), on ledgers a key holder signs
//! byte by byte (`forge.rs`).

use crate::forge::{Forged, entry, forge};
use prov_ledger::{CLAIM_REASON, EVIDENCE, Kind, Related, Verdict};
use prov_tests::Workspace;
use sha2::{Digest, Sha256};

fn sha(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// Claim `seq` about `about`, on `content`, by `by`: as a key holder could sign it.
fn forged_claim(
    seq: u64,
    about: u64,
    verdict: Verdict,
    content: &[u8],
    size: u64,
) -> prov_ledger::Entry {
    let mut e = entry(
        seq,
        Kind::Claim { about, verdict },
        sha(content),
        size,
        "desk",
    );
    e.metadata.insert(CLAIM_REASON.into(), "why".into());
    e.related.push(Related {
        relation: EVIDENCE.into(),
        seq: 0,
    });
    e
}

fn audit(w: &Workspace, mut f: Forged, format: u32, name: &str) -> prov_tests::Run {
    f.ledger_json = f
        .ledger_json
        .replace("\"format\":1", &format!("\"format\":{format}"));
    f.write(&w.path(name));
    w.run_at(&w.path(name), &["audit", "--key", &f.vkey])
}

/// Ledgers signed by the key holder that break a claim rule of FORMAT.md 6.7: the audit names
/// each, at the entry.
#[test]
fn the_audit_refuses_claims_that_break_the_chain_rules() {
    let w = Workspace::new();
    let doc = |seq| entry(seq, Kind::FirstSeen, sha(b"doc"), 3, "src");
    let ok = forge(
        vec![
            doc(0),
            forged_claim(1, 0, Verdict::Forged, b"doc", 3),
            forged_claim(2, 1, Verdict::Retracted, b"doc", 3),
        ],
        &[],
        true,
    );
    let a = audit(&w, ok, 3, "ok");
    assert!(a.ok().contains("2 claims"), "{}", a.stdout);
    for (name, entries, format, says) in [
        (
            "format",
            vec![doc(0), forged_claim(1, 0, Verdict::Forged, b"doc", 3)],
            2,
            "a claim entry in a format 2 ledger",
        ),
        (
            "content",
            vec![doc(0), forged_claim(1, 0, Verdict::Forged, b"other", 3)],
            3,
            "records a content no document entry has",
        ),
        (
            "size",
            vec![doc(0), forged_claim(1, 0, Verdict::Forged, b"doc", 4)],
            3,
            "records 4 bytes, the document 3",
        ),
        (
            "about-claim",
            vec![
                doc(0),
                forged_claim(1, 0, Verdict::Forged, b"doc", 3),
                forged_claim(2, 1, Verdict::Forged, b"doc", 3),
            ],
            3,
            "which is not a document entry",
        ),
        (
            "retract-doc",
            vec![doc(0), forged_claim(1, 0, Verdict::Retracted, b"doc", 3)],
            3,
            "a retraction of entry 0, which is not a claim",
        ),
        (
            "retract-twice",
            vec![
                doc(0),
                forged_claim(1, 0, Verdict::Forged, b"doc", 3),
                forged_claim(2, 1, Verdict::Retracted, b"doc", 3),
                forged_claim(3, 1, Verdict::Retracted, b"doc", 3),
            ],
            3,
            "claim 1 is retracted again (first by entry 2)",
        ),
    ] {
        let r = audit(&w, forge(entries, &[], true), format, name);
        assert_eq!(r.code, 1, "{name}: {} {}", r.stdout, r.stderr);
        let said = format!("{}{}", r.stdout, r.stderr);
        assert!(said.contains(says), "{name}: lacks {says:?}: {said}");
    }
}
