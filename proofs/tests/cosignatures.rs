//! C2SP tlog-cosignature (Ed25519, `cosignature/v1`) and tlog-policy: the spec's own example,
//! a checked-in golden vector (`tests/vectors/cosignature.json`, generated here: run with
//! `PROV_UPDATE_VECTORS=1` to rewrite it and review the diff), an independent check of the
//! signed message written from the spec, properties, and the policy spec's example.
#![forbid(unsafe_code)]

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signature, SigningKey, Verifier as _};
use proptest::prelude::*;
use prov_proofs::{
    Checkpoint, Cosignature, CosignerSigner, CosignerVerifier, Note, NoteSigner, NoteVerifier,
    Policy, cosigned_message, cosigner_key_id, verify_cosignatures,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::PathBuf;

/// tlog-cosignature, "Format": the example checkpoint with a log signature and a cosignature.
const SPEC_COSIGNED: &str = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n\u{2014} example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n\u{2014} witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n";
/// tlog-cosignature, "Ed25519 signed message": the example message, verbatim.
const SPEC_MESSAGE: &str = "cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";

/// The RFC 8032 section 7.1 TEST 1 secret key: fixed and public, never a real witness's.
fn golden_cosigner() -> CosignerSigner {
    let seed: [u8; 32] =
        hex::decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
            .unwrap()
            .try_into()
            .unwrap();
    CosignerSigner::new("witness.example.com/w1", SigningKey::from_bytes(&seed)).unwrap()
}

#[test]
fn spec_example_line_carries_the_spec_time_and_message() {
    let note = Note::parse(SPEC_COSIGNED.as_bytes()).unwrap();
    let line = &note.signatures[1];
    assert_eq!(line.name, "witness.example.com/w1");
    assert_eq!(
        line.signature.len(),
        72,
        "u64 timestamp || 64-byte signature"
    );
    let time = u64::from_be_bytes(line.signature[..8].try_into().unwrap());
    assert_eq!(time, 1679315147);
    assert_eq!(
        cosigned_message(&note.text, time),
        SPEC_MESSAGE.as_bytes(),
        "the signed message is the spec's example, byte for byte"
    );
    // The cosigner's key is not published with the example, so its signature cannot be
    // checked; a verifier with another key under that name ignores or refuses it by key ID.
    let other = golden_cosigner().verifier().clone();
    assert_ne!(other.key_id, line.key_id);
    assert!(verify_cosignatures(&note, &[other]).unwrap().is_empty());
    // The log's verifier still opens the note: the cosignature line is an unknown key's.
    let cp = Checkpoint::from_text(&note.text).unwrap();
    assert_eq!(cp.size, 20852163);
}

#[derive(Serialize, Deserialize, PartialEq, Debug)]
#[serde(rename_all = "camelCase")]
struct CosignatureVector {
    name: String,
    vkey: String,
    key_id: String,
    timestamp: u64,
    checkpoint: String,
    message: String,
    line: String,
    want_err: bool,
}

fn vectors() -> Vec<CosignatureVector> {
    let s = golden_cosigner();
    let text =
        "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
    let ts = 1679315147;
    let good = s.cosign(text, ts).unwrap().to_line();
    let mut out = vec![CosignatureVector {
        name: "spec_checkpoint".into(),
        vkey: s.verifier().to_vkey(),
        key_id: format!("{:08x}", s.verifier().key_id),
        timestamp: ts,
        checkpoint: text.into(),
        message: String::from_utf8(cosigned_message(text, ts)).unwrap(),
        line: good.clone(),
        want_err: false,
    }];
    let mutate = |name: &str, f: &dyn Fn(&mut Vec<u8>)| {
        let (prefix, b64) = good.rsplit_once(' ').unwrap();
        let mut raw = STANDARD.decode(b64).unwrap();
        f(&mut raw);
        CosignatureVector {
            name: name.into(),
            line: format!("{prefix} {}", STANDARD.encode(raw)),
            want_err: true,
            ..CosignatureVector {
                name: String::new(),
                vkey: s.verifier().to_vkey(),
                key_id: format!("{:08x}", s.verifier().key_id),
                timestamp: ts,
                checkpoint: text.into(),
                message: String::from_utf8(cosigned_message(text, ts)).unwrap(),
                line: String::new(),
                want_err: true,
            }
        }
    };
    out.push(mutate("fail_timestamp_changed", &|r| r[11] ^= 1));
    out.push(mutate("fail_signature_changed", &|r| r[20] ^= 1));
    out.push(mutate("fail_timestamp_over_2_63", &|r| r[4] |= 0x80));
    out.push(mutate("fail_truncated", &|r| {
        r.pop();
    }));
    let other = text.replace("20852163", "20852164");
    out.push(CosignatureVector {
        name: "fail_signed_another_checkpoint".into(),
        line: s.cosign(&other, ts).unwrap().to_line(),
        want_err: true,
        ..mutate("", &|_| {})
    });
    out
}

#[test]
fn golden_vectors_are_checked_in_and_hold() {
    let v = vectors();
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors/cosignature.json");
    let text = serde_json::to_string_pretty(&v).unwrap() + "\n";
    if std::env::var_os("PROV_UPDATE_VECTORS").is_some() {
        std::fs::write(&path, &text).unwrap();
    }
    let on_disk = std::fs::read_to_string(&path).unwrap();
    assert!(
        on_disk == text,
        "cosignature.json differs from the generator: run with PROV_UPDATE_VECTORS=1 and review the diff"
    );
    for case in &v {
        let verifier = CosignerVerifier::parse(&case.vkey).unwrap();
        // For the failing cases the line's time is taken as the good one's: what changed
        // must make it fail.
        let note = format!("{}\n{}\n", case.checkpoint, case.line);
        let got = Note::parse(note.as_bytes())
            .map_err(|e| e.to_string())
            .and_then(|n| {
                verify_cosignatures(&n, std::slice::from_ref(&verifier)).map_err(|e| e.to_string())
            })
            .and_then(|c| {
                if c.is_empty() {
                    Err("not found".into())
                } else {
                    Ok(c)
                }
            });
        assert_eq!(got.is_err(), case.want_err, "{}: {got:?}", case.name);
        if !case.want_err {
            assert_eq!(got.unwrap()[0].timestamp, case.timestamp);
            independent_check(case);
        }
    }
}

/// Checks a vector from the spec's text alone, with none of the crate's cosignature code:
/// key ID = SHA-256(name || 0x0A || 0x04 || key)[:4]; the line's bytes are key ID, big-endian
/// u64 time, Ed25519 signature over "cosignature/v1\ntime <t>\n" || checkpoint text.
fn independent_check(case: &CosignatureVector) {
    let mut parts = case.vkey.splitn(3, '+');
    let (name, id, key) = (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    );
    let key = STANDARD.decode(key).unwrap();
    assert_eq!(key[0], 0x04);
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([0x0a, 0x04]);
    h.update(&key[1..]);
    assert_eq!(hex::encode(&h.finalize()[..4]), id);
    assert_eq!(id, case.key_id);
    let raw = STANDARD
        .decode(
            case.line
                .strip_prefix(&format!("\u{2014} {name} "))
                .unwrap(),
        )
        .unwrap();
    assert_eq!(hex::encode(&raw[..4]), id);
    let time = u64::from_be_bytes(raw[4..12].try_into().unwrap());
    assert_eq!(time, case.timestamp);
    let message = format!("cosignature/v1\ntime {time}\n{}", case.checkpoint);
    assert_eq!(message, case.message);
    let vk = ed25519_dalek::VerifyingKey::from_bytes(&key[1..].try_into().unwrap()).unwrap();
    vk.verify(
        message.as_bytes(),
        &Signature::from_slice(&raw[12..]).unwrap(),
    )
    .unwrap();
}

#[test]
fn a_cosigned_checkpoint_still_opens_with_the_log_key_alone() {
    let log = NoteSigner::new("example.com/log", SigningKey::from_bytes(&[1; 32])).unwrap();
    let w = golden_cosigner();
    let cp = Checkpoint {
        origin: "example.com/log".into(),
        size: 0,
        root: prov_proofs::empty_root(),
        extensions: vec![],
    };
    let mut note = cp.sign(&log).unwrap();
    note.signatures.push(w.cosign(&note.text, 5).unwrap());
    let text = note.to_text();
    assert_eq!(
        Checkpoint::open(text.as_bytes(), log.verifier()).unwrap(),
        cp
    );
    // And in Cloudflare's independent signed-note implementation.
    let v: Box<dyn signed_note::Verifier> =
        Box::new(signed_note::StandardVerifier::new(&log.verifier().to_vkey()).unwrap());
    let parsed = signed_note::Note::from_bytes(text.as_bytes()).unwrap();
    parsed
        .verify(&signed_note::VerifierList::new(vec![v]))
        .unwrap();
    // The witness's key is not the log's: a cosigner key never verifies a checkpoint.
    assert_ne!(
        cosigner_key_id(&log.verifier().name, &log.verifier().key),
        log.verifier().key_id
    );
    let as_log = NoteVerifier::new(&w.verifier().name, w.verifier().key).unwrap();
    assert!(Note::open(text.as_bytes(), &[as_log]).is_err());
}

proptest! {
    #[test]
    fn cosign_then_verify_and_any_bit_flip_fails(ts in 1u64..=prov_proofs::MAX_TIMESTAMP, size in 0u64..1_000_000, bit in 0usize..(72 * 8)) {
        let s = CosignerSigner::new("w.example/p", SigningKey::from_bytes(&[5; 32])).unwrap();
        let text = format!("o.example/log\n{size}\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n");
        let line = s.cosign(&text, ts).unwrap();
        prop_assert_eq!(s.verifier().verify(&text, &line).unwrap().timestamp, ts);
        let mut bad = line.clone();
        bad.signature[bit / 8] ^= 1 << (bit % 8);
        prop_assert!(s.verifier().verify(&text, &bad).is_err());
    }
}

fn witness(i: u8) -> CosignerSigner {
    CosignerSigner::new(
        &format!("w{i}.example"),
        SigningKey::from_bytes(&[i + 10; 32]),
    )
    .unwrap()
}

#[test]
fn the_policy_spec_example_needs_two_x_and_one_y() {
    let ws: Vec<_> = (0..6).map(witness).collect();
    let log = NoteSigner::new("example.com/log", SigningKey::from_bytes(&[1; 32])).unwrap();
    let v = |i: usize| ws[i].verifier().to_vkey();
    let policy = format!(
        "# the example of tlog-policy\nlog {}\n\nwitness X1 {}\nwitness X2 {}\nwitness X3 {} https://x3.example/\ngroup X-witnesses 2 X1 X2 X3\n\n\twitness Y1 {}\nwitness Y2 {}\nwitness Y3 {}\ngroup Y-witnesses any Y1 Y2 Y3\n\ngroup X-and-Y all X-witnesses Y-witnesses\nquorum X-and-Y\n",
        log.verifier().to_vkey(),
        v(0),
        v(1),
        v(2),
        v(3),
        v(4),
        v(5)
    );
    let p = Policy::parse(policy.as_bytes()).unwrap();
    assert_eq!(p.logs.len(), 1);
    assert_eq!(p.witnesses[2].url.as_deref(), Some("https://x3.example/"));
    let cos = |set: &[usize]| -> Vec<Cosignature> {
        set.iter()
            .map(|&i| Cosignature {
                name: ws[i].verifier().name.clone(),
                key_id: ws[i].verifier().key_id,
                timestamp: 1,
            })
            .collect()
    };
    for mask in 0u32..64 {
        let set: Vec<usize> = (0..6).filter(|i| mask & (1 << i) != 0).collect();
        let x = set.iter().filter(|&&i| i < 3).count();
        let y = set.len() - x;
        assert_eq!(p.is_met(&cos(&set)), x >= 2 && y >= 1, "{set:?}");
    }
}

#[test]
fn malformed_policies_name_the_line() {
    let a = witness(1).verifier().to_vkey();
    let b = witness(2).verifier().to_vkey();
    for (text, line) in [
        (String::new(), 0),
        (format!("witness A {a}\n"), 0),
        (format!("witness A {a}\nquorum B\n"), 2),
        (format!("quorum A\nwitness A {a}\n"), 1),
        (format!("witness A {a}\nwitness B {a}\nquorum A\n"), 2),
        (format!("witness A {a}\nwitness A {b}\nquorum A\n"), 2),
        (format!("witness none {a}\nquorum none\n"), 1),
        (format!("witness A {a}\ngroup G 2 A\nquorum G\n"), 2),
        (format!("witness A {a}\ngroup G 01 A\nquorum G\n"), 2),
        (format!("witness A {a}\ngroup G any A A\nquorum G\n"), 2),
        (format!("witness A {a}\ngroup G any\nquorum G\n"), 2),
        (format!("witness A {a}\nquorum A\nquorum A\n"), 3),
        (format!("witness A {a}\nfrobnicate\nquorum A\n"), 2),
        (format!("witness A {a}\x0b\nquorum A\n"), 1),
        ("quorum none".to_owned(), 0),
        (format!("log {a}\nquorum none\n"), 1),
    ] {
        match Policy::parse(text.as_bytes()) {
            Err(prov_proofs::Error::MalformedPolicy { line: got, .. }) => {
                assert_eq!(got, line, "{text:?}")
            }
            other => panic!("{text:?}: {other:?}"),
        }
    }
    let none = Policy::parse(b"quorum none\n").unwrap();
    assert!(none.is_met(&[]));
}

#[test]
fn a_threshold_policy_counts_distinct_witnesses() {
    let ws: Vec<_> = (0..3).map(witness).collect();
    let p = Policy::threshold(ws.iter().map(|w| w.verifier().clone()).collect(), 2).unwrap();
    let c = |i: usize| Cosignature {
        name: ws[i].verifier().name.clone(),
        key_id: ws[i].verifier().key_id,
        timestamp: 1,
    };
    assert!(!p.is_met(&[c(0)]));
    assert!(!p.is_met(&[c(0), c(0)]));
    assert!(p.is_met(&[c(0), c(2)]));
    assert!(Policy::threshold(vec![ws[0].verifier().clone()], 2).is_err());
}

/// The worked example of `docs/FORMAT.md` section 9: the reference checkpoint of section 3
/// (signed by the RFC 8032 TEST 1 key) cosigned by the RFC 8032 TEST 2 key as the witness
/// `witness.example.com/w1` at 1767225600 (2026-01-01T00:00:00Z).
#[test]
fn format_md_cosignature_example_is_exact() {
    let seed = |h: &str| -> [u8; 32] { hex::decode(h).unwrap().try_into().unwrap() };
    let log = NoteSigner::new(
        "example.com/prov",
        SigningKey::from_bytes(&seed(
            "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        )),
    )
    .unwrap();
    let w = CosignerSigner::new(
        "witness.example.com/w1",
        SigningKey::from_bytes(&seed(
            "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        )),
    )
    .unwrap();
    let cp = Checkpoint::from_text(
        "example.com/prov\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n",
    )
    .unwrap();
    let mut note = cp.sign(&log).unwrap();
    let line = w.cosign(&note.text, 1767225600).unwrap();
    note.signatures.push(line.clone());
    let text = note.to_text();
    let file = format!("{}\n", line.to_line());
    if std::env::var_os("PROV_PRINT_EXAMPLES").is_some() {
        println!("{}\n{text}", w.verifier().to_vkey());
    }
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/FORMAT.md")).unwrap();
    for (what, want) in [
        ("witness vkey", w.verifier().to_vkey()),
        ("cosigned checkpoint", text.clone()),
        ("cosignature file", file),
        (
            "signed message",
            String::from_utf8(cosigned_message(&note.text, 1767225600)).unwrap(),
        ),
    ] {
        assert!(
            doc.contains(&want),
            "FORMAT.md section 9 lacks the {what}:\n{want}"
        );
    }
    let opened = Note::parse(text.as_bytes()).unwrap();
    assert_eq!(
        verify_cosignatures(&opened, &[w.verifier().clone()]).unwrap()[0].timestamp,
        1767225600
    );
}
