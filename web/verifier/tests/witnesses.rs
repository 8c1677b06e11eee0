//! The witnesses' check: cosignature lines made by `prov_proofs`'s own cosigner (as `prov
//! witness serve` makes them) on a proof's checkpoint, judged against the reader's keys and
//! quorum, or a C2SP tlog-policy text; and tlog-cosignature's golden vectors.

mod common;

use common::{KEY, hello, proof_of, proof_with};
use ed25519_dalek::SigningKey;
use prov_proofs::{CosignerSigner, NoteSignature, NoteVerifier};
use prov_web_verifier::{Request, Status, Verdict, Witnesses, utc_time, verify_proof};

/// 2026-01-01T00:00:00Z and an hour later.
const T1: u64 = 1_767_225_600;
const T2: u64 = T1 + 3600;

fn witness(n: u8) -> CosignerSigner {
    CosignerSigner::new(
        &format!("w{n}.example/witness"),
        SigningKey::from_bytes(&[n; 32]),
    )
    .unwrap()
}

fn vkey(n: u8) -> String {
    witness(n).verifier().to_vkey()
}

/// The proof of entry 0, cosigned by witness 1 at T1 and witness 2 at T2.
fn cosigned() -> String {
    proof_with(0, |text| {
        vec![
            witness(1).cosign(text, T1).unwrap(),
            witness(2).cosign(text, T2).unwrap(),
        ]
    })
}

fn verify(proof: &str, witnesses: &str, quorum: u32) -> Verdict {
    verify_proof(&Request {
        proof: proof.as_bytes(),
        key: KEY,
        witnesses,
        quorum,
        document: Some(hello()),
    })
}

fn status(v: &Verdict, id: &str) -> Status {
    v.checks.iter().find(|c| c.id == id).unwrap().status
}

fn time(secs: u64) -> String {
    utc_time(secs * 1000)
}

#[test]
fn a_quorum_met_names_each_witness_and_when_the_checkpoint_existed() {
    let keys = format!("{}\n{}\n", vkey(1), vkey(2));
    for quorum in [2, 0] {
        let v = verify(&cosigned(), &keys, quorum);
        assert!(v.ok, "{v:?}");
        assert_eq!(status(&v, "witnesses"), Status::Passed);
        assert!(v.warnings.is_empty(), "{v:?}");
        let text = v.explanation.join(" ");
        for needle in [
            format!(
                "cosigned by 2 of the witnesses you named: w1.example/witness on {}, and w2.example/witness on {}.",
                time(T1),
                time(T2)
            ),
            format!("existed by {} at the latest", time(T2)),
        ] {
            assert!(text.contains(&needle), "{needle:?} not in {text}");
        }
        assert!(
            v.facts.contains(&(
                "Cosigned by".into(),
                format!("w1.example/witness on {}", time(T1))
            )),
            "{:?}",
            v.facts
        );
        assert!(v.facts.contains(&("Existed by".into(), time(T2))));
    }
    // One of the two suffices from the first cosignature's time on.
    let v = verify(&cosigned(), &keys, 1);
    assert!(v.ok, "{v:?}");
    assert!(
        v.explanation
            .join(" ")
            .contains(&format!("existed by {} at the latest", time(T1))),
        "{v:?}"
    );
}

#[test]
fn a_quorum_not_met_says_who_cosigned_and_who_did_not() {
    let keys = format!("{}\n{}\n", vkey(1), vkey(3));
    let v = verify(&cosigned(), &keys, 2);
    assert!(!v.ok);
    assert_eq!(v.failed, Some("witnesses"));
    assert_eq!(
        v.headline,
        "Not enough witnesses cosigned the archive's checkpoint: the quorum you asked for is not met."
    );
    let text = v.explanation.join(" ");
    for needle in [
        "You asked for all 2 of the witnesses you named.".to_owned(),
        format!(
            "Of the 2 witnesses you named, 1 cosigned this checkpoint: w1.example/witness on {}.",
            time(T1)
        ),
        "No valid cosignature from w3.example/witness is in the proof.".to_owned(),
    ] {
        assert!(text.contains(&needle), "{needle:?} not in {text}");
    }
    // The recorded facts are still shown, and the other checks held.
    assert!(v.facts.iter().any(|(k, _)| k == "Source"), "{:?}", v.facts);
    assert_eq!(status(&v, "document_size"), Status::Passed);

    // A proof nobody cosigned: 0 of them.
    let plain = proof_of(0);
    let v = verify(&plain, &vkey(1), 0);
    assert_eq!(v.failed, Some("witnesses"), "{v:?}");
    assert!(
        v.explanation
            .join(" ")
            .contains("Of the 1 witnesses you named, 0 cosigned this checkpoint."),
        "{v:?}"
    );
}

/// The proof with one byte of witness `n`'s Ed25519 signature changed.
fn tampered(n: u8) -> String {
    proof_with(0, |text| {
        let mut lines: Vec<NoteSignature> = vec![
            witness(1).cosign(text, T1).unwrap(),
            witness(2).cosign(text, T2).unwrap(),
        ];
        lines[usize::from(n) - 1].signature[40] ^= 1;
        lines
    })
}

#[test]
fn a_named_witness_whose_line_does_not_verify_fails_the_check() {
    let keys = format!("{}\n{}\n", vkey(1), vkey(2));
    // Even when the other witness alone would meet the quorum.
    let v = verify(&tampered(2), &keys, 1);
    assert_eq!(v.failed, Some("witnesses"), "{v:?}");
    assert_eq!(
        v.headline,
        "The cosignature of the witness w2.example/witness on the archive's checkpoint does not verify."
    );
    // A witness the reader did not name is ignored, as signed-note requires.
    let v = verify(&tampered(2), &vkey(1), 1);
    assert!(v.ok, "{v:?}");
}

#[test]
fn a_tlog_policy_text_sets_the_witnesses_and_the_quorum() {
    let (k1, k2, k3) = (vkey(1), vkey(2), vkey(3));
    let any = format!(
        "# trusted\r\nlog {KEY}\nwitness A {k1}\nwitness B {k2}\nwitness C {k3}\ngroup AB all A B\ngroup G any AB C\nquorum G"
    );
    let v = verify(&cosigned(), &any, 0);
    assert!(v.ok, "{v:?}");
    assert!(
        v.explanation
            .join(" ")
            .contains(&format!("existed by {} at the latest", time(T2))),
        "{v:?}"
    );
    let all = format!("witness A {k1}\nwitness C {k3}\ngroup G all A C\nquorum G\n");
    let v = verify(&cosigned(), &all, 0);
    assert_eq!(v.failed, Some("witnesses"), "{v:?}");
    assert!(
        v.explanation
            .join(" ")
            .contains("You asked for at least 2 of 2 (group G)."),
        "{v:?}"
    );
    // A quorum beside a policy, and a policy for another log, cannot be used.
    let v = verify(&cosigned(), &any, 1);
    assert_eq!(v.failed, Some("witness_keys"), "{v:?}");
    let other_log = NoteVerifier::new(
        "example.com/prov",
        SigningKey::from_bytes(&[9; 32]).verifying_key(),
    )
    .unwrap()
    .to_vkey();
    let v = verify(
        &cosigned(),
        &format!("log {other_log}\nwitness A {k1}\nquorum A\n"),
        0,
    );
    assert_eq!(v.failed, Some("witness_keys"), "{v:?}");
    assert!(
        v.explanation.join(" ").contains("policy for other logs"),
        "{v:?}"
    );
}

#[test]
fn keys_that_are_not_witness_keys_are_named() {
    let cases = [
        (KEY.to_owned(), 1, "log (checkpoint) key"),
        (vkey(1).replacen("w1", "w9", 1), 1, "line 1"),
        (format!("{}\n{}", vkey(1), vkey(1)), 1, "given twice"),
        (vkey(1), 2, "the quorum is 2, but only 1"),
        (String::new(), 1, "no witness key is given"),
    ];
    for (keys, quorum, needle) in cases {
        let v = verify(&cosigned(), &keys, quorum);
        assert_eq!(v.failed, Some("witness_keys"), "{keys}: {v:?}");
        assert!(v.explanation.join(" ").contains(needle), "{needle}: {v:?}");
    }
    // Nothing given: the check is not made, and says why.
    let v = verify(&cosigned(), "", 0);
    assert!(v.ok);
    assert_eq!(status(&v, "witnesses"), Status::NotChecked);
}

/// tlog-cosignature's vectors (`tests/vectors/cosignature.json`): a checkpoint of another log
/// with one cosignature line, good or altered.
#[test]
fn the_cosignature_vectors_are_judged_as_the_spec_says() {
    let path = format!(
        "{}/../../tests/vectors/cosignature.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let vectors: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let log = NoteVerifier::parse(KEY).unwrap();
    let mut seen = (0, 0);
    for v in vectors.as_array().unwrap() {
        let s = |f: &str| v[f].as_str().unwrap();
        let Ok(Some(w)) = Witnesses::parse(s("vkey"), 1, &log) else {
            panic!("{}: the vkey is refused", s("name"));
        };
        let note = format!("{}\n{}\n", s("checkpoint"), s("line"));
        let got = w.check(&note);
        if v["wantErr"] == true {
            assert!(got.is_err(), "{}: {got:?}", s("name"));
            seen.1 += 1;
        } else {
            let got = got.unwrap();
            assert!(got.met, "{}", s("name"));
            assert_eq!(got.by, v["timestamp"].as_u64(), "{}", s("name"));
            seen.0 += 1;
        }
    }
    assert!(seen.0 >= 1 && seen.1 >= 2, "{seen:?}");
}
