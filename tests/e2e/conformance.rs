//! Issue 10, items 7 to 10: one verdict for the same bytes, size as part of content, every
//! rule of FORMAT.md checked by `audit`, and JSON proofs whose stated sizes are the signed
//! ones. Each test fails with the binary of da949ea
//! (`PROV_BIN=/path/to/old/prov cargo test -p prov-tests --test e2e -- conformance`).

use crate::forge::{Forged, entry, forge, test_key};
use prov_ledger::Kind;
use prov_tests::Workspace;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

fn sha(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

fn first(seq: u64, content: &[u8], size: u64, source: &str) -> prov_ledger::Entry {
    entry(seq, Kind::FirstSeen, sha(content), size, source)
}

fn sighting(seq: u64, of: u64, content: &[u8], size: u64, source: &str) -> prov_ledger::Entry {
    entry(
        seq,
        Kind::Sighting { first: of },
        sha(content),
        size,
        source,
    )
}

/// Writes `f` as the ledger `name` and audits it with its key.
fn audit(w: &Workspace, f: &Forged, name: &str) -> prov_tests::Run {
    f.write(&w.path(name));
    w.run_at(&w.path(name), &["audit", "--key", &f.vkey])
}

fn identity_r_vector() -> Value {
    let f = forge(
        vec![first(0, b"hello\n", 6, "https://leaks.example/dump-1")],
        &[0],
        true,
    );
    let proof = &f.proofs[0];
    json!({
        "description": "Entry 0 signed with R the identity point and S = k a (k = SHA-512(R || A || M) mod l), by the RFC 8032 TEST 1 key. S B = R + k A holds, so Ed25519 batch verification and cofactorless single verification that allows small-order R accept it; RFC 8032 strict verification as prov does it (FORMAT.md section 2) refuses an R of small order. Both `prov audit` of the ledger and `prov verify-proof` of the proof must refuse it.",
        "generator": "tests/e2e/conformance.rs::identity_r_vector (PROV_UPDATE_VECTORS=1 rewrites it)",
        "key_seed": "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "vkey": f.vkey,
        "leaf_data": hex::encode(proof.extra.as_deref().unwrap()),
        "ledger_json": f.ledger_json,
        "entries_log": hex::encode(&f.log),
        "commit": f.commit,
        "tlog_proof": proof.to_text(),
        "wantErr": true,
    })
}

/// Item 7: the crafted entry is checked in as a vector; audit (batch) and verify-proof
/// (strict) both refuse it. On da949ea `audit` passed this ledger.
#[test]
fn an_identity_r_signature_is_refused_by_audit_and_by_verify_proof() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/vectors/identity_r.json");
    let v = identity_r_vector();
    let text = serde_json::to_string_pretty(&v).unwrap() + "\n";
    if std::env::var_os("PROV_UPDATE_VECTORS").is_some() {
        std::fs::write(path, &text).unwrap();
    }
    assert_eq!(
        std::fs::read_to_string(path).unwrap(),
        text,
        "{path} changed"
    );
    // The vector is what it says: batch verification accepts it, strict refuses it.
    let key = test_key().verifying_key();
    let leaf = hex::decode(v["leaf_data"].as_str().unwrap()).unwrap();
    let e = prov_ledger::Entry::from_bytes(&leaf).unwrap();
    let msg = e.signed_message().unwrap();
    let sig = ed25519_dalek::Signature::from_bytes(&e.signature);
    assert!(ed25519_dalek::verify_batch(&[&msg[..]], &[sig], &[key]).is_ok());
    assert!(
        ed25519_dalek::Verifier::verify(&key, &msg, &sig).is_ok(),
        "cofactorless, small R allowed"
    );
    assert!(key.verify_strict(&msg, &sig).is_err());

    let w = Workspace::new();
    let dir = w.path("crafted");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("ledger.json"), v["ledger_json"].as_str().unwrap()).unwrap();
    let log = hex::decode(v["entries_log"].as_str().unwrap()).unwrap();
    std::fs::write(dir.join("entries.log"), log).unwrap();
    std::fs::write(dir.join("COMMIT"), v["commit"].as_str().unwrap()).unwrap();
    let vkey = v["vkey"].as_str().unwrap();
    w.run_at(&dir, &["audit", "--key", vkey])
        .fails(1, "entry 0: signature does not verify");
    w.write("crafted.tlog-proof", v["tlog_proof"].as_str().unwrap());
    w.run(&["verify-proof", "crafted.tlog-proof", "--key", vkey])
        .fails(1, "signature does not verify");
    // The same entry signed as prov signs audits clean: the forge itself is sound.
    let honest = forge(
        vec![first(0, b"hello\n", 6, "https://leaks.example/dump-1")],
        &[],
        true,
    );
    audit(&w, &honest, "honest").ok();
}

/// Item 8: a sighting must have the first-seen size: refused at `add` (exit 3, nothing
/// written), from another source or the same one. On da949ea it was recorded.
#[test]
fn a_sighting_of_another_size_is_refused_at_add() {
    let w = Workspace::new();
    w.init();
    w.write("hi.txt", "hi");
    w.run(&["add", "hi.txt", "--source", "first"]).ok();
    let before = w.ledger_state();
    let h = hex::encode(sha(b"hi"));
    for source in ["second", "first"] {
        w.run(&["add", "--sha256", &h, "--size", "99", "--source", source])
            .fails(3, "was first recorded as 2 bytes (entry 0), not 99");
        assert_eq!(w.ledger_state(), before, "nothing written");
    }
    w.run(&["add", "--sha256", &h, "--size", "2", "--source", "second"])
        .ok();
}

/// Item 8: `verify-proof --document` compares size as well as SHA-256. On da949ea it
/// printed "(99 bytes) = the given document" for a 2-byte document.
#[test]
fn verify_proof_document_compares_the_size() {
    let w = Workspace::new();
    let vkey = w.init();
    w.write("hi.txt", "hi");
    let h = hex::encode(sha(b"hi"));
    w.run(&["add", "--sha256", &h, "--size", "99", "--source", "s"])
        .ok();
    w.run(&["prove", &h, "-o", "p.tlog-proof"]).ok();
    w.run(&["verify-proof", "p.tlog-proof", "--key", &vkey])
        .ok();
    w.run(&[
        "verify-proof",
        "p.tlog-proof",
        "--key",
        &vkey,
        "--document",
        "hi.txt",
    ])
    .fails(
        1,
        "hi.txt: the document is 2 bytes, but the proven entry records 99",
    );
}

/// Items 8 and 9: audit checks every content rule of FORMAT.md section 8. On da949ea the
/// first three of these ledgers audited clean.
#[test]
fn audit_reports_each_content_rule_broken() {
    let w = Workspace::new();
    let cases: [(&str, Forged, &str); 5] = [
        (
            "size",
            forge(
                vec![first(0, b"hi", 2, "a"), sighting(1, 0, b"hi", 99, "b")],
                &[],
                true,
            ),
            "entry 1: sighting records 99 bytes, but this content was first seen at entry 0 as 2 bytes",
        ),
        (
            "pair-again",
            forge(
                vec![
                    first(0, b"hi", 2, "a"),
                    sighting(1, 0, b"hi", 2, "b"),
                    sighting(2, 0, b"hi", 2, "b"),
                ],
                &[],
                true,
            ),
            "entry 2: content and source already recorded together at entry 1",
        ),
        (
            "pair-first",
            forge(
                vec![first(0, b"hi", 2, "a"), sighting(1, 0, b"hi", 2, "a")],
                &[],
                true,
            ),
            "entry 1: content and source already recorded together at entry 0",
        ),
        (
            "not-first",
            forge(
                vec![
                    first(0, b"hi", 2, "a"),
                    sighting(1, 0, b"hi", 2, "b"),
                    sighting(2, 1, b"hi", 2, "c"),
                ],
                &[],
                true,
            ),
            "entry 2: sighting refers to entry 1, but this content was first seen at entry 0",
        ),
        (
            "first-again",
            forge(
                vec![first(0, b"hi", 2, "a"), first(1, b"hi", 2, "b")],
                &[],
                true,
            ),
            "entry 1: content first seen at entry 0 is recorded again as first seen",
        ),
    ];
    for (name, f, want) in cases {
        audit(&w, &f, name).fails(1, want);
    }
    let clean = forge(
        vec![
            first(0, b"hi", 2, "a"),
            sighting(1, 0, b"hi", 2, "b"),
            first(2, b"yo", 2, "a"),
            sighting(3, 0, b"hi", 2, "c"),
            sighting(4, 2, b"yo", 2, "b"),
        ],
        &[],
        true,
    );
    audit(&w, &clean, "clean").ok();
}

/// Rule 5 by format: in a format 2 ledger a content is recorded once per place (source,
/// name, `contained_in` seqs, `container.part`); in a format 1 ledger, once per source. The
/// same entries are judged by the format `ledger.json` names.
#[test]
fn audit_applies_the_place_rule_of_the_ledgers_format() {
    let w = Workspace::new();
    let at = |mut e: prov_ledger::Entry, name: &str, part: Option<&str>, inside: Option<u64>| {
        e.content.name = Some(name.as_bytes().to_vec());
        if let Some(p) = part {
            e.metadata.insert("container.part".into(), p.into());
        }
        if let Some(c) = inside {
            e.related.push(prov_ledger::Related {
                relation: "contained_in".into(),
                seq: c,
            });
        }
        e
    };
    let places = || {
        vec![
            at(first(0, b"box", 3, "a"), "inbox.mbox", None, None),
            at(first(1, b"hi", 2, "a"), "logo.png", Some("2"), Some(0)),
            at(
                sighting(2, 1, b"hi", 2, "a"),
                "logo.png",
                Some("3"),
                Some(0),
            ),
            at(sighting(3, 1, b"hi", 2, "a"), "copy/logo.png", None, None),
            at(sighting(4, 1, b"hi", 2, "a"), "logo.png", None, None),
        ]
    };
    let format2 = |mut f: Forged| {
        f.ledger_json = f.ledger_json.replace("\"format\":1", "\"format\":2");
        assert!(f.ledger_json.contains("\"format\":2"), "{}", f.ledger_json);
        f
    };
    audit(&w, &format2(forge(places(), &[], true)), "places-2").ok();
    audit(&w, &forge(places(), &[], true), "places-1").fails(
        1,
        "entry 2: content and source already recorded together at entry 1",
    );
    let mut again = places();
    again.push(at(
        sighting(5, 1, b"hi", 2, "a"),
        "logo.png",
        Some("3"),
        Some(0),
    ));
    audit(&w, &format2(forge(again, &[], true)), "place-again").fails(
        1,
        "entry 5: content, source and place already recorded together at entry 2",
    );
}

/// Item 9: the log opens with the empty tree's checkpoint, as `prov init` writes it. On
/// da949ea a log without it audited clean.
#[test]
fn audit_requires_the_opening_empty_tree_checkpoint() {
    let w = Workspace::new();
    let f = forge(vec![first(0, b"hi", 2, "a")], &[], false);
    audit(&w, &f, "no-opening").fails(1, "before the opening checkpoint of the empty tree");
    // With it, the same entry audits clean.
    let f = forge(vec![first(0, b"hi", 2, "a")], &[], true);
    audit(&w, &f, "opening").ok();
}

/// Item 10: `tree_size` and `new_size` are the signed checkpoint's sizes; a proof where
/// either was changed or deleted is refused. On da949ea both verified.
#[test]
fn json_proofs_with_a_changed_or_missing_size_are_refused() {
    let w = Workspace::new();
    let vkey = w.init();
    w.write("a.txt", "a");
    w.write("b.txt", "b");
    w.run(&["add", "a.txt", "--source", "s"]).ok();
    w.write("cp1.txt", w.run(&["checkpoint"]).ok());
    w.run(&["add", "b.txt", "--source", "s"]).ok();
    let inclusion = w.run(&["--json", "prove", "0"]).json();
    let consistency = w.run(&["--json", "consistency", "cp1.txt"]).json();
    assert_eq!(inclusion["tree_size"], 2);
    assert_eq!(consistency["new_size"], 2);
    let check = |v: &Value, args: &[&str]| {
        w.write("proof.json", v.to_string());
        w.run(args)
    };
    let inc_args = ["verify-proof", "proof.json", "--key", &vkey];
    let con_args = [
        "verify-consistency",
        "cp1.txt",
        "proof.json",
        "--key",
        &vkey,
    ];
    check(&inclusion, &inc_args).ok();
    check(&consistency, &con_args).ok();
    for (v, field, args) in [
        (&inclusion, "tree_size", &inc_args[..]),
        (&consistency, "new_size", &con_args[..]),
    ] {
        for bad in [json!(3), json!(1), json!(0)] {
            let mut v = v.clone();
            v[field] = bad.clone();
            check(&v, args).fails(
                3,
                &format!("JSON {field} is {bad}, but the checkpoint is for size 2"),
            );
        }
        let mut v = v.clone();
        v.as_object_mut().unwrap().remove(field);
        check(&v, args).fails(3, &format!("JSON proof has no \"{field}\""));
    }
}
