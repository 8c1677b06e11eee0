//! Signed notes, checkpoints and tlog-proofs: the C2SP spec examples, golden bytes for
//! `docs/FORMAT.md`, and rejection of every malformed or forged form.
#![forbid(unsafe_code)]

mod common;

use common::*;
use ed25519_dalek::SigningKey;
use prov_proofs::{
    Checkpoint, ConsistencyBundle, ConsistencyProof, Error, InclusionProof, Note, NoteSignature,
    NoteSigner, NoteVerifier, TlogProof, root_at, verifier_key_string,
};

const SPEC_VKEY: &str = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";
const SPEC_NOTE: &str = "This is an example message.\n\n\u{2014} example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n";

/// The RFC 8032 section 7.1 TEST 1 secret key: fixed, public, never a real ledger's key.
pub fn golden_signer() -> NoteSigner {
    let seed =
        hex::decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60").unwrap();
    NoteSigner::new(
        "example.com/prov",
        SigningKey::from_bytes(&seed.try_into().unwrap()),
    )
    .unwrap()
}

#[test]
fn spec_example_note_verifies_and_a_changed_byte_does_not() {
    let v = NoteVerifier::parse(SPEC_VKEY).unwrap();
    assert_eq!(v.to_vkey(), SPEC_VKEY);
    let note = Note::open(SPEC_NOTE.as_bytes(), std::slice::from_ref(&v)).unwrap();
    assert_eq!(note.text, "This is an example message.\n");
    assert_eq!(note.to_text(), SPEC_NOTE);
    // Every single-byte change of the text or signature is rejected.
    let bytes = SPEC_NOTE.as_bytes();
    for i in 0..bytes.len() {
        let mut bad = bytes.to_vec();
        bad[i] ^= 0x01;
        assert!(
            Note::open(&bad, std::slice::from_ref(&v)).is_err(),
            "byte {i} changed still verifies"
        );
    }
}

#[test]
fn unknown_signers_are_ignored_and_known_bad_ones_reject() {
    let signer = golden_signer();
    let other = NoteSigner::new("example.com/other", SigningKey::from_bytes(&[7; 32])).unwrap();
    let mut note = signer.sign("hello\n").unwrap();
    let extra = other.sign("hello\n").unwrap();
    note.signatures.insert(0, extra.signatures[0].clone());
    let text = note.to_text();
    // The other key is unknown to this verifier: ignored.
    Note::open(text.as_bytes(), &[signer.verifier().clone()]).unwrap();
    // Only the other key trusted: fine too.
    Note::open(text.as_bytes(), &[other.verifier().clone()]).unwrap();
    // A third key is trusted and signed nothing: rejected, naming what was found.
    let third = NoteSigner::new("example.com/third", SigningKey::from_bytes(&[9; 32])).unwrap();
    let err = Note::open(text.as_bytes(), &[third.verifier().clone()]).unwrap_err();
    assert!(matches!(err, Error::NoTrustedSignature { .. }), "{err}");
    assert!(err.to_string().contains("example.com/prov+"), "{err}");
    // A known key's failing signature rejects the note even when another verifies.
    let mut forged = note.clone();
    forged.signatures[0].signature[0] ^= 1;
    let err = Note::open(
        forged.to_text().as_bytes(),
        &[signer.verifier().clone(), other.verifier().clone()],
    )
    .unwrap_err();
    assert!(matches!(err, Error::BadSignature { .. }), "{err}");
    // Same name, different key ID: an unknown key, ignored.
    let mut renamed = extra.signatures[0].clone();
    renamed.name = "example.com/prov".into();
    let mut mixed = signer.sign("hello\n").unwrap();
    mixed.signatures.push(renamed);
    Note::open(mixed.to_text().as_bytes(), &[signer.verifier().clone()]).unwrap();
}

#[test]
fn sixteen_signatures_are_accepted() {
    let signers: Vec<NoteSigner> = (0..16u8)
        .map(|i| {
            NoteSigner::new(
                &format!("w{i}.example"),
                SigningKey::from_bytes(&[i + 1; 32]),
            )
            .unwrap()
        })
        .collect();
    let mut note = signers[0].sign("cosigned\n").unwrap();
    for s in &signers[1..] {
        note.signatures
            .extend(s.sign("cosigned\n").unwrap().signatures);
    }
    let all: Vec<NoteVerifier> = signers.iter().map(|s| s.verifier().clone()).collect();
    let opened = Note::open(note.to_text().as_bytes(), &all).unwrap();
    assert_eq!(opened.signatures.len(), 16);
}

/// FORMAT.md section 2: a note carries at most 100 signature lines; the 101st is refused.
#[test]
fn a_hundred_signatures_are_the_limit() {
    let signer = golden_signer();
    let note = signer.sign("cosigned\n").unwrap();
    let others: Vec<_> = (0..100u8)
        .map(|i| {
            let s = NoteSigner::new(&format!("w{i}.example"), SigningKey::from_bytes(&[i; 32]));
            s.unwrap().sign("cosigned\n").unwrap().signatures
        })
        .collect();
    let with = |n: usize| {
        let mut n_note = note.clone();
        for sigs in &others[..n] {
            n_note.signatures.extend(sigs.iter().cloned());
        }
        Note::open(n_note.to_text().as_bytes(), &[signer.verifier().clone()])
    };
    assert_eq!(with(99).unwrap().signatures.len(), 100);
    assert!(with(100).is_err(), "101 signature lines accepted");
}

#[test]
fn malformed_notes_are_rejected() {
    let v = golden_signer().verifier().clone();
    let good = golden_signer().sign("a\nb\n").unwrap().to_text();
    let sig_line = good.lines().last().unwrap().to_owned();
    let cases = [
        ("no blank line", format!("a\n{sig_line}\n")),
        ("no signatures", "a\n\n".to_owned()),
        ("missing final newline", good.trim_end().to_owned()),
        ("control character", good.replace("a\n", "a\u{7}\n")),
        ("carriage return", good.replace("a\n", "a\r\n")),
        ("not an em dash", good.replace('\u{2014}', "-")),
        (
            "no space in signature line",
            good.replace("example.com/prov ", "example.com/prov"),
        ),
        (
            "bad base64",
            good.replace(&sig_line[sig_line.len() - 4..], "!!!!"),
        ),
        ("extra line after signatures", format!("{good}\n")),
    ];
    for (what, text) in cases {
        assert!(
            Note::open(text.as_bytes(), std::slice::from_ref(&v)).is_err(),
            "{what} accepted"
        );
    }
    assert!(
        Note::parse(&[0xff, b'\n', b'\n']).is_err(),
        "invalid UTF-8 accepted"
    );
    for bad_key in [
        "",
        "name+530d903a",
        "name+530d90+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
        "name+530d903a+AgkyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
        "name+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U",
        "na me+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
    ] {
        assert!(
            NoteVerifier::parse(bad_key).is_err(),
            "{bad_key:?} accepted"
        );
    }
}

/// The worked examples of `docs/FORMAT.md`, pinned byte for byte: the checkpoint of the
/// RFC 6962 reference tree and a tlog-proof of leaf 3, signed with the RFC 8032 TEST 1 key.
#[test]
fn format_md_worked_examples_are_exact() {
    let signer = golden_signer();
    let vkey = verifier_key_string("example.com/prov", &signer.verifier().key);
    let store = NaiveStore(reference_leaf_hashes());
    let cp = Checkpoint {
        origin: "example.com/prov".into(),
        size: 8,
        root: root_at(&store, 8).unwrap(),
        extensions: vec![],
    };
    let note = cp.sign(&signer).unwrap().to_text();
    let proof = TlogProof {
        extra: Some(hex::decode(REFERENCE_LEAVES[3]).unwrap()),
        index: 3,
        proof: InclusionProof::generate(&store, 3, 8).unwrap(),
        checkpoint: note.clone(),
    };
    let proof_text = proof.to_text();
    let consistency = ConsistencyBundle {
        old_size: 6,
        proof: ConsistencyProof::generate(&store, 6, 8).unwrap(),
        checkpoint: note.clone(),
    }
    .to_text();
    // A checkpoint with an extension line, as a witness or another log may write one.
    let with_ext = Checkpoint {
        extensions: vec!["example.com/witness-time 1767225600".into()],
        ..cp.clone()
    };
    let ext_note = with_ext.sign(&signer).unwrap().to_text();
    if std::env::var_os("PROV_PRINT_EXAMPLES").is_some() {
        println!("{ext_note}");
    }

    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/FORMAT.md")).unwrap();
    let missing: Vec<String> = [
        ("verifier key", vkey.as_str()),
        ("checkpoint", note.as_str()),
        ("tlog-proof", proof_text.as_str()),
        ("consistency text", consistency.as_str()),
        ("checkpoint with an extension line", ext_note.as_str()),
    ]
    .iter()
    .filter(|(_, want)| !doc.contains(want))
    .map(|(what, want)| format!("--- {what}:\n{want}"))
    .collect();
    assert!(
        missing.is_empty(),
        "docs/FORMAT.md lacks these exact examples:\n{}",
        missing.join("\n")
    );

    // And they verify as an auditor would.
    let v = NoteVerifier::parse(&vkey).unwrap();
    let parsed = TlogProof::parse(proof_text.as_bytes()).unwrap();
    assert_eq!(parsed, proof);
    let extra = parsed.extra.clone().unwrap();
    assert_eq!(parsed.verify(&v, &extra).unwrap(), cp);
    assert!(parsed.verify(&v, b"another leaf").is_err());
    let old = Checkpoint {
        size: 6,
        root: root_at(&store, 6).unwrap(),
        ..cp.clone()
    };
    let bundle = ConsistencyBundle::parse(consistency.as_bytes()).unwrap();
    assert_eq!(bundle.verify(&old, &v).unwrap(), cp);
    assert_eq!(Checkpoint::open(ext_note.as_bytes(), &v).unwrap(), with_ext);
}

#[test]
fn checkpoint_open_checks_origin_signature_and_body() {
    let signer = golden_signer();
    let v = signer.verifier().clone();
    let cp = Checkpoint {
        origin: "example.com/prov".into(),
        size: 0,
        root: prov_proofs::empty_root(),
        extensions: vec![],
    };
    let note = cp.sign(&signer).unwrap().to_text();
    assert_eq!(Checkpoint::open(note.as_bytes(), &v).unwrap(), cp);
    // Signed under the right key name but another origin (which `Checkpoint::sign` refuses
    // to write).
    let foreign = Checkpoint {
        origin: "example.com/elsewhere".into(),
        ..cp.clone()
    };
    let note = signer.sign(&foreign.to_text()).unwrap().to_text();
    assert!(matches!(
        Checkpoint::open(note.as_bytes(), &v),
        Err(Error::WrongOrigin { .. })
    ));
    // A signed body that is not a checkpoint.
    let note = signer
        .sign("example.com/prov\n007\nroot\n")
        .unwrap()
        .to_text();
    assert!(matches!(
        Checkpoint::open(note.as_bytes(), &v),
        Err(Error::MalformedCheckpoint(_))
    ));
}

#[test]
fn malformed_tlog_proofs_are_rejected() {
    let signer = golden_signer();
    let store = NaiveStore(reference_leaf_hashes());
    let cp = Checkpoint {
        origin: "example.com/prov".into(),
        size: 8,
        root: root_at(&store, 8).unwrap(),
        extensions: vec![],
    };
    let good = TlogProof {
        extra: Some(b"leaf".to_vec()),
        index: 3,
        proof: InclusionProof::generate(&store, 3, 8).unwrap(),
        checkpoint: cp.sign(&signer).unwrap().to_text(),
    }
    .to_text();
    let cases = [
        good.replace("c2sp.org/tlog-proof@v1", "c2sp.org/tlog-proof@v2"),
        good.replace("index 3", "index 03"),
        good.replace("index 3", "index 99999999999999999999"),
        good.replace("index 3", "idx 3"),
        good.replace("extra bGVhZg==", "extra "),
        good.replace("extra bGVhZg==", "extra ***"),
        good.replacen("\n\n", "\n", 1),
        good[..good.find("\n\n").unwrap() + 2].to_owned(),
        good.replacen('=', "", 1),
        String::new(),
    ];
    for bad in cases {
        assert!(
            TlogProof::parse(bad.as_bytes()).is_err(),
            "accepted:\n{bad}"
        );
    }
    // Parsed fine but forged: the index moved.
    let mut p = TlogProof::parse(good.as_bytes()).unwrap();
    p.index = 2;
    assert!(p.verify(signer.verifier(), b"leaf").is_err());
}

/// signed-note, "Verifier keys": the key ID is `SHA-256(name || 0x0A || 0x01 || key)[:4]`,
/// so a key string with a changed name, ID or key is malformed. Whatever mangle still parses
/// must be a genuine, self-consistent key written in its one canonical form (none does).
#[test]
fn every_mangled_verifier_key_is_refused_as_malformed() {
    let golden = golden_signer().verifier().to_vkey();
    for vkey in [SPEC_VKEY, golden.as_str()] {
        NoteVerifier::parse(vkey).unwrap();
        let mangles = vkey_mangles(vkey);
        assert!(mangles.len() > 3000, "{}", mangles.len());
        let mut accepted = Vec::new();
        for m in &mangles {
            let Ok(text) = std::str::from_utf8(m) else {
                continue;
            };
            match NoteVerifier::parse(text) {
                Ok(v) => {
                    assert_eq!(
                        v.key_id,
                        prov_proofs::key_id(&v.name, &v.key),
                        "{text:?} parses with a key ID its name and key do not give"
                    );
                    assert_eq!(v.to_vkey(), text, "{text:?} is not in canonical form");
                    accepted.push(text.to_owned());
                }
                Err(e) => assert!(matches!(e, Error::MalformedKey(_)), "{text:?}: {e}"),
            }
        }
        assert!(
            accepted.is_empty(),
            "mangles of {vkey} accepted: {accepted:?}"
        );
    }
    // The name changed: refused when the key is read, not later when a note fails to verify.
    let renamed = SPEC_VKEY.replacen("example.com/foo", "example.com/fop", 1);
    let err = NoteVerifier::parse(&renamed).unwrap_err();
    assert!(err.to_string().contains("key ID"), "{err}");
    // The spec's hex is lower case; an upper-case ID is not the key's canonical string.
    assert!(NoteVerifier::parse(&SPEC_VKEY.replacen("530d903a", "530D903A", 1)).is_err());
}

/// Go's `[enoch, peter, enoch]`: trusting the same (name, key ID) twice is ambiguous and
/// refused, whichever key signed the note; so are two keys that share a name and ID.
#[test]
fn a_key_trusted_twice_is_refused() {
    let enoch = golden_signer();
    let peter = NoteSigner::new("example.com/peter", SigningKey::from_bytes(&[5; 32])).unwrap();
    let note = peter.sign("hello\n").unwrap().to_text();
    let (e, p) = (enoch.verifier().clone(), peter.verifier().clone());
    Note::open(note.as_bytes(), &[e.clone(), p.clone()]).unwrap();
    let err = Note::open(note.as_bytes(), &[e.clone(), p.clone(), e.clone()]).unwrap_err();
    assert_eq!(
        err,
        Error::DuplicateVerifier {
            name: e.name.clone(),
            key_id: e.key_id
        }
    );
    let by_enoch = enoch.sign("hello\n").unwrap().to_text();
    assert!(matches!(
        Note::open(by_enoch.as_bytes(), &[e.clone(), p.clone(), e.clone()]),
        Err(Error::DuplicateVerifier { .. })
    ));
    // Another key under the same name and ID: a collision, just as ambiguous.
    let colliding = NoteVerifier {
        key: SigningKey::from_bytes(&[6; 32]).verifying_key(),
        ..e.clone()
    };
    assert!(matches!(
        Note::open(by_enoch.as_bytes(), &[colliding, e]),
        Err(Error::DuplicateVerifier { .. })
    ));
}

/// signed-note forbids only the ASCII control characters below U+0020 (other than
/// newline): U+007F (DEL) is allowed in a note, in signing and in parsing.
#[test]
fn del_is_allowed_and_c0_controls_are_not() {
    let signer = golden_signer();
    let v = signer.verifier().clone();
    let text = "a\u{7f}b\n\u{7f}\n";
    let note = signer.sign(text).unwrap().to_text();
    assert_eq!(Note::parse(note.as_bytes()).unwrap().text, text);
    assert_eq!(Note::open(note.as_bytes(), &[v]).unwrap().text, text);
    for c in (0u8..0x20).filter(|&c| c != b'\n') {
        let bad = format!("a{}b\n", c as char);
        assert!(signer.sign(&bad).is_err(), "{c:#04x} signed");
        let good = signer.sign("ab\n").unwrap().to_text();
        let bad_note = good.replacen("ab", &bad[..3], 1);
        assert!(Note::parse(bad_note.as_bytes()).is_err(), "{c:#04x} parsed");
    }
}

/// Sets the padding bits of the last base64 character before `=`: the same bytes, in a
/// non-canonical encoding that Go's decoder reads and strict decoders refuse.
fn with_padding_bits(line: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let b = line.as_bytes();
    let at = b.len() - 2;
    assert_eq!(b[at + 1], b'=', "needs one padding character: {line}");
    let v = ALPHABET.iter().position(|&c| c == b[at]).unwrap();
    assert_eq!(v & 0b11, 0, "already non-canonical");
    let mut out = b.to_vec();
    out[at] = ALPHABET[v | 0b01];
    String::from_utf8(out).unwrap()
}

/// The same note with every signature's encoding canonical.
fn edited_canonical(note: &Note) -> Note {
    Note {
        text: note.text.clone(),
        signatures: note
            .signatures
            .iter()
            .map(|s| NoteSignature::new(&s.name, s.key_id, s.signature.clone()))
            .collect(),
    }
}

/// signed-note, "Signatures": an unknown key's line is ignored whatever its bytes beyond
/// the line syntax (as Go does); only what prov verifies must be canonical base64.
#[test]
fn unknown_key_lines_are_ignored_whatever_their_base64_padding_bits() {
    let signer = golden_signer();
    let other = NoteSigner::new("example.com/other", SigningKey::from_bytes(&[7; 32])).unwrap();
    let mut note = signer.sign("hello\n").unwrap();
    note.signatures
        .extend(other.sign("hello\n").unwrap().signatures);
    let text = note.to_text();
    let other_line = text.lines().last().unwrap();
    let odd_line = with_padding_bits(other_line);
    let odd = text.replacen(other_line, &odd_line, 1);
    assert_ne!(odd, text);
    // Ignored by a verifier that does not know the key, and kept byte for byte.
    let opened = Note::open(odd.as_bytes(), &[signer.verifier().clone()]).unwrap();
    assert_eq!(opened.to_text(), odd);
    assert_eq!(Note::parse(odd.as_bytes()).unwrap().to_text(), odd);
    assert!(!opened.signatures[1].is_canonical());
    // A trusted key's signature must be canonical, even though it decodes to valid bytes.
    let err = Note::open(odd.as_bytes(), &[other.verifier().clone()]).unwrap_err();
    assert!(matches!(err, Error::MalformedNote(_)), "{err}");
    let both = [signer.verifier().clone(), other.verifier().clone()];
    assert!(Note::open(odd.as_bytes(), &both).is_err());
    // Edited after parsing, a signature is written canonically again.
    let mut edited = opened.clone();
    edited.signatures[1].signature[0] ^= 1;
    let reparsed = Note::parse(edited.to_text().as_bytes()).unwrap();
    assert!(reparsed.signatures[1].is_canonical());
    assert_eq!(reparsed, edited_canonical(&edited));
    // The line syntax still holds for every line: not base64, or too short, rejects.
    for bad in ["!!!!", "AAAA", ""] {
        let broken = text.replacen(&other_line["\u{2014} example.com/other ".len()..], bad, 1);
        assert!(
            Note::open(broken.as_bytes(), &[signer.verifier().clone()]).is_err(),
            "{bad:?} accepted"
        );
    }
}

/// Whatever `sign` accepts, `open` accepts and reads back unchanged: signing refuses
/// checkpoints and texts that would not parse.
#[test]
fn signing_refuses_what_would_not_open() {
    let signer = golden_signer();
    let cp = Checkpoint {
        origin: "example.com/prov".into(),
        size: 8,
        root: root_at(&NaiveStore(reference_leaf_hashes()), 8).unwrap(),
        extensions: vec![],
    };
    let bad = [
        Checkpoint {
            extensions: vec![String::new()],
            ..cp.clone()
        },
        Checkpoint {
            extensions: vec!["a\nb".into()],
            ..cp.clone()
        },
        Checkpoint {
            origin: "example.com/prov\n8".into(),
            ..cp.clone()
        },
        Checkpoint {
            origin: String::new(),
            ..cp.clone()
        },
        Checkpoint {
            extensions: vec!["tab\there".into()],
            ..cp.clone()
        },
        Checkpoint {
            size: 0,
            ..cp.clone()
        },
        Checkpoint {
            origin: "example.com/elsewhere".into(),
            ..cp.clone()
        },
    ];
    for c in bad {
        assert!(c.sign(&signer).is_err(), "signed: {c:?}");
    }
    let with_ext = Checkpoint {
        extensions: vec!["ext one".into(), "\u{7f}".into()],
        ..cp.clone()
    };
    let note = with_ext.sign(&signer).unwrap().to_text();
    assert_eq!(
        Checkpoint::open(note.as_bytes(), signer.verifier()).unwrap(),
        with_ext
    );
    // A text whose note would pass the parser's 1 MiB limit.
    let big = "a".repeat(1 << 20) + "\n";
    assert!(signer.sign(&big).is_err());
    let fits = "a".repeat((1 << 20) - 200) + "\n";
    let note = signer.sign(&fits).unwrap().to_text();
    Note::open(note.as_bytes(), &[signer.verifier().clone()]).unwrap();
}

/// tlog-witness: a checkpoint of size 0 carries the empty tree's root; consistency from
/// size 0 has no proof, so the witness body from `old 0` carries none.
#[test]
fn size_zero_checkpoints_carry_the_empty_root() {
    let signer = golden_signer();
    let v = signer.verifier().clone();
    let store = NaiveStore(reference_leaf_hashes());
    let wrong_root = root_at(&store, 8).unwrap();
    let forged = signer
        .sign(&format!(
            "example.com/prov\n0\n{}\n",
            wrong_root.to_base64()
        ))
        .unwrap()
        .to_text();
    assert!(matches!(
        Checkpoint::open(forged.as_bytes(), &v),
        Err(Error::MalformedCheckpoint(_))
    ));
    let cp0 = Checkpoint {
        origin: "example.com/prov".into(),
        size: 0,
        root: prov_proofs::empty_root(),
        extensions: vec![],
    };
    let cp8 = Checkpoint {
        size: 8,
        root: wrong_root,
        ..cp0.clone()
    };
    let note8 = cp8.sign(&signer).unwrap().to_text();
    // The witness body from `old 0`: an empty proof, and only the new signature to check.
    let from_zero = ConsistencyBundle {
        old_size: 0,
        proof: ConsistencyProof::default(),
        checkpoint: note8.clone(),
    };
    assert_eq!(from_zero.verify(&cp0, &v).unwrap(), cp8);
    let with_proof = ConsistencyBundle {
        proof: ConsistencyProof::generate(&store, 5, 8).unwrap(),
        ..from_zero.clone()
    };
    assert_eq!(with_proof.verify(&cp0, &v), Err(Error::NonEmptyProof));
    let cp0_forged = Checkpoint {
        root: wrong_root,
        ..cp0.clone()
    };
    assert!(matches!(
        from_zero.verify(&cp0_forged, &v),
        Err(Error::MalformedCheckpoint(_))
    ));
    // Generation refuses the proof that does not exist.
    assert_eq!(
        ConsistencyProof::generate(&store, 0, 8),
        Err(Error::ConsistencyFromEmpty { new: 8 })
    );
}
