//! Differential tests against Cloudflare's independent Rust implementations of the same C2SP
//! specs, `signed_note` and `tlog_tiles` (crates.io, dev-dependencies only): the same notes,
//! verifier keys, checkpoints and Merkle proofs, generated and then mutated (byte flips,
//! truncations, duplicated and deleted lines), must reach the same accept/reject verdict in
//! both, and the same values when both accept.
//!
//! Where prov is deliberately different, the difference is stated once, in
//! [`Deliberate`], and asserted exactly: the other verdict must be the one predicted.
#![forbid(unsafe_code)]

mod common;

use common::*;
use ed25519_dalek::SigningKey;
use proptest::prelude::*;
use prov_proofs::{
    Checkpoint, ConsistencyProof, Hash, InclusionProof, Note, NoteSignature, NoteSigner,
    NoteVerifier, Tree, empty_root, leaf_hash, root_at,
};
use signed_note::{StandardVerifier, Verifier as _, VerifierList};

/// The ways prov's verdict deliberately differs from Cloudflare's crates.
#[derive(Debug, PartialEq, Eq)]
enum Deliberate {
    /// A signature line by a key the verifier does not know, whose base64 has non-zero
    /// padding bits: prov ignores it as signed-note and Go's `sumdb/note` do; `signed_note`
    /// (the `base64` crate's strict default) rejects the whole note. prov's verdict is then
    /// `signed_note`'s verdict on the same note with that line canonically encoded.
    UnknownKeyNonCanonicalBase64,
    /// The same (name, key ID) trusted twice: prov refuses the set whatever signed the note;
    /// `signed_note` (like Go) refuses only when a signature names that pair.
    DuplicateVerifier,
    /// A verifier key whose key ID is written in upper-case hex: signed-note's hex is lower
    /// case and prov accepts only a key's one canonical string; `signed_note` parses it.
    UpperCaseKeyId,
    /// A checkpoint of size 0 whose root is not SHA-256(""): prov refuses it (tlog-witness);
    /// `tlog_tiles` parses it.
    SizeZeroWithoutEmptyRoot,
    /// Consistency between two trees of size 0: prov, with transparency-dev/merkle, accepts
    /// an empty proof and equal roots; `tlog_tiles` refuses any old size 0.
    ConsistencyZeroToZero,
}

// ---- signed notes -------------------------------------------------------------------

fn signer(name: &str, seed: u8) -> NoteSigner {
    NoteSigner::new(name, SigningKey::from_bytes(&[seed; 32])).unwrap()
}

/// prov's verdict: the verified text, or `None`.
fn prov_open(note: &[u8], vkeys: &[String]) -> Option<String> {
    let verifiers: Vec<NoteVerifier> = vkeys
        .iter()
        .map(|k| NoteVerifier::parse(k).unwrap())
        .collect();
    Note::open(note, &verifiers).ok().map(|n| n.text)
}

/// `signed_note`'s verdict: the verified text, or `None`.
fn cf_open(note: &[u8], vkeys: &[String]) -> Option<String> {
    let list: Vec<Box<dyn signed_note::Verifier>> = vkeys
        .iter()
        .map(|k| Box::new(StandardVerifier::new(k).unwrap()) as Box<dyn signed_note::Verifier>)
        .collect();
    let n = signed_note::Note::from_bytes(note).ok()?;
    n.verify(&VerifierList::new(list)).ok()?;
    Some(String::from_utf8(n.text().to_vec()).unwrap())
}

/// What prov deliberately does differently with this note and these keys, if anything.
fn note_difference(note: &[u8], vkeys: &[String]) -> Option<Deliberate> {
    let verifiers: Vec<NoteVerifier> = vkeys
        .iter()
        .map(|k| NoteVerifier::parse(k).unwrap())
        .collect();
    let known = |s: &NoteSignature| {
        verifiers
            .iter()
            .any(|v| v.name == s.name && v.key_id == s.key_id)
    };
    for (i, v) in verifiers.iter().enumerate() {
        if verifiers[..i]
            .iter()
            .any(|w| w.name == v.name && w.key_id == v.key_id)
        {
            return Some(Deliberate::DuplicateVerifier);
        }
    }
    // A known key's non-canonical line is rejected by both.
    let parsed = Note::parse(note).ok()?;
    let noncanonical = |k: bool| {
        parsed
            .signatures
            .iter()
            .any(|s| !s.is_canonical() && known(s) == k)
    };
    (noncanonical(false) && !noncanonical(true)).then_some(Deliberate::UnknownKeyNonCanonicalBase64)
}

/// The note with every signature line canonically encoded.
fn canonical(note: &[u8]) -> Vec<u8> {
    let mut n = Note::parse(note).unwrap();
    for s in &mut n.signatures {
        *s = NoteSignature::new(&s.name, s.key_id, s.signature.clone());
    }
    n.to_text().into_bytes()
}

/// Asserts both implementations agree on `note`, or differ exactly as stated.
fn assert_same_note_verdict(note: &[u8], vkeys: &[String]) -> Option<Deliberate> {
    let (ours, theirs) = (prov_open(note, vkeys), cf_open(note, vkeys));
    let difference = note_difference(note, vkeys);
    match difference {
        None => assert_eq!(
            ours,
            theirs,
            "verdicts differ on {:?} with {vkeys:?}",
            String::from_utf8_lossy(note)
        ),
        Some(Deliberate::UnknownKeyNonCanonicalBase64) => {
            assert_eq!(theirs, None, "signed_note accepted a non-canonical line");
            assert_eq!(
                ours,
                cf_open(&canonical(note), vkeys),
                "{:?} {vkeys:?}",
                String::from_utf8_lossy(note)
            );
        }
        Some(Deliberate::DuplicateVerifier) => assert_eq!(ours, None),
        Some(d) => unreachable!("{d:?}"),
    }
    difference
}

/// Single mutations: every byte flipped (two ways), every truncation, every line duplicated
/// and every line deleted.
fn mutations(bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for i in 0..bytes.len() {
        for bit in [0x01, 0x80] {
            let mut m = bytes.to_vec();
            m[i] ^= bit;
            out.push(m);
        }
        out.push(bytes[..i].to_vec());
    }
    let lines: Vec<&[u8]> = bytes.split_inclusive(|&b| b == b'\n').collect();
    for i in 0..lines.len() {
        let mut dup = lines.clone();
        dup.insert(i, lines[i]);
        out.push(dup.concat());
        let mut del = lines.clone();
        del.remove(i);
        out.push(del.concat());
    }
    out
}

/// Sets the padding bits of the last base64 character before the `=` of the last line.
fn noncanonical_last_line(note: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut b = note.as_bytes().to_vec();
    let at = b.len() - 3;
    assert_eq!(&b[at + 1..], b"=\n");
    let v = ALPHABET.iter().position(|&c| c == b[at]).unwrap();
    b[at] = ALPHABET[v | 1];
    String::from_utf8(b).unwrap()
}

#[test]
fn notes_and_their_mutations_get_the_same_verdicts() {
    let log = signer("example.com/log", 1);
    let witness = signer("witness.example/w1", 2);
    let stranger = signer("example.com/stranger", 3);
    let vk = |s: &NoteSigner| s.verifier().to_vkey();
    let cosigned = |text: &str| {
        let mut n = log.sign(text).unwrap();
        n.signatures.extend(witness.sign(text).unwrap().signatures);
        n.to_text()
    };
    let notes = [
        log.sign("hello\n").unwrap().to_text(),
        cosigned("example.com/log\n3\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n"),
        log.sign("a\u{7f}\n\nb \u{2014} c\n").unwrap().to_text(),
        noncanonical_last_line(&cosigned("text\n")),
    ];
    let key_sets = [
        vec![vk(&log)],
        vec![vk(&witness)],
        vec![vk(&log), vk(&witness)],
        vec![vk(&stranger)],
    ];
    let mut differences = Vec::new();
    for note in &notes {
        for keys in &key_sets {
            assert_same_note_verdict(note.as_bytes(), keys);
            for m in mutations(note.as_bytes()) {
                differences.extend(assert_same_note_verdict(&m, keys));
            }
        }
    }
    // The deliberate difference did come up, from the prepared note and from flips.
    assert!(differences.contains(&Deliberate::UnknownKeyNonCanonicalBase64));
    // And the one that no mutation reaches: the same key trusted twice (Go's
    // `[enoch, peter, enoch]`), with the note signed by the other key.
    let twice = vec![vk(&log), vk(&witness), vk(&log)];
    let by_witness = witness.sign("hello\n").unwrap().to_text();
    assert_eq!(
        assert_same_note_verdict(by_witness.as_bytes(), &twice),
        Some(Deliberate::DuplicateVerifier)
    );
    assert!(cf_open(by_witness.as_bytes(), &twice).is_some());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Random texts signed by one or two of three keys, checked by a random key set,
    /// then mutated once.
    #[test]
    fn random_notes_get_the_same_verdicts(
        text in "(?s)[a-z \\n\\u{7f}\\u{2014}\\t]{0,24}",
        signed_by in 1usize..4,
        trusted in 0usize..8,
        pick in any::<prop::sample::Index>(),
    ) {
        let signers = [signer("a.example", 1), signer("b.example", 2), signer("c.example", 3)];
        let text = text + "\n";
        let mut note: Option<Note> = None;
        for (i, s) in signers.iter().enumerate() {
            if signed_by & (1 << i) != 0 {
                let Ok(n) = s.sign(&text) else { return Ok(()) };
                match &mut note {
                    Some(note) => note.signatures.extend(n.signatures),
                    None => note = Some(n),
                }
            }
        }
        let bytes = note.unwrap().to_text().into_bytes();
        let keys: Vec<String> = signers
            .iter()
            .enumerate()
            .filter(|(i, _)| trusted & (1 << i) != 0)
            .map(|(_, s)| s.verifier().to_vkey())
            .collect();
        assert_same_note_verdict(&bytes, &keys);
        let all = mutations(&bytes);
        let mutated: &Vec<u8> = pick.get(&all);
        assert_same_note_verdict(mutated, &keys);
    }
}

// ---- verifier keys ------------------------------------------------------------------

#[test]
fn verifier_key_mangles_get_the_same_verdicts() {
    let mut differences = Vec::new();
    for name in ["example.com/log", "witness.example/w1", "\u{e9}t\u{e9}"] {
        let vkey = signer(name, 9).verifier().to_vkey();
        for m in vkey_mangles(&vkey) {
            let Ok(text) = std::str::from_utf8(&m) else {
                continue;
            };
            let ours = NoteVerifier::parse(text).ok().map(|v| (v.name, v.key_id));
            let theirs = StandardVerifier::new(text)
                .ok()
                .map(|v| (v.name().to_owned(), v.key_id()));
            let id = text.split('+').nth(1).unwrap_or_default();
            if ours.is_none() && theirs.is_some() && id.bytes().any(|b| b.is_ascii_uppercase()) {
                // The same key with its ID in lower case parses in both.
                let lower = text.replacen(id, &id.to_ascii_lowercase(), 1);
                assert_eq!(
                    NoteVerifier::parse(&lower).ok().map(|v| (v.name, v.key_id)),
                    theirs
                );
                differences.push(Deliberate::UpperCaseKeyId);
                continue;
            }
            assert_eq!(ours, theirs, "verdicts differ on {text:?}");
        }
    }
    assert!(differences.contains(&Deliberate::UpperCaseKeyId));
}

// ---- checkpoints --------------------------------------------------------------------

/// prov's reading of a checkpoint body, as `tlog_tiles` reports it.
fn prov_checkpoint(text: &[u8]) -> Option<(String, u64, [u8; 32], String)> {
    let cp = Checkpoint::from_text(std::str::from_utf8(text).ok()?).ok()?;
    let ext: String = cp.extensions.iter().map(|e| format!("{e}\n")).collect();
    Some((cp.origin, cp.size, cp.root.0, ext))
}

fn cf_checkpoint(text: &[u8]) -> Option<(String, u64, [u8; 32], String)> {
    let cp = tlog_tiles::Checkpoint::from_bytes(text).ok()?;
    Some((
        cp.origin().to_owned(),
        cp.size(),
        cp.hash().0,
        cp.extension().to_owned(),
    ))
}

fn assert_same_checkpoint_verdict(text: &[u8]) -> Option<Deliberate> {
    let (ours, theirs) = (prov_checkpoint(text), cf_checkpoint(text));
    if let (None, Some((_, 0, root, _))) = (&ours, &theirs)
        && *root != empty_root().0
    {
        return Some(Deliberate::SizeZeroWithoutEmptyRoot);
    }
    assert_eq!(
        ours,
        theirs,
        "verdicts differ on {:?}",
        String::from_utf8_lossy(text)
    );
    None
}

#[test]
fn checkpoints_and_their_mutations_get_the_same_verdicts() {
    let store = NaiveStore(reference_leaf_hashes());
    let r = |n| root_at(&store, n).unwrap().to_base64();
    let texts = [
        format!("example.com/log\n8\n{}\n", r(8)),
        format!("example.com/log\n1\n{}\nextension one\nsecond\n", r(1)),
        format!("example.com/log\n0\n{}\n", r(0)),
        format!("o\n18446744073709551615\n{}\n", r(5)),
        format!("o \u{7f}+\n10\n{}\n", r(3)),
    ];
    let mut differences = Vec::new();
    for text in &texts {
        assert_eq!(assert_same_checkpoint_verdict(text.as_bytes()), None);
        for m in mutations(text.as_bytes()) {
            differences.extend(assert_same_checkpoint_verdict(&m));
        }
    }
    assert!(differences.contains(&Deliberate::SizeZeroWithoutEmptyRoot));

    // Signed: prov's `Checkpoint::open` against signed_note's verification, tlog_tiles's
    // parse and the origin check prov documents (the origin is the key's name).
    let log = signer("example.com/log", 1);
    let v = log.verifier().clone();
    for text in &texts[..3] {
        let note = log.sign(text).unwrap().to_text();
        for m in std::iter::once(note.clone().into_bytes()).chain(mutations(note.as_bytes())) {
            let ours = Checkpoint::open(&m, &v).ok();
            let theirs = cf_open(&m, &[v.to_vkey()])
                .and_then(|text| cf_checkpoint(text.as_bytes()).filter(|cp| cp.0 == v.name));
            match (&ours, &theirs) {
                (None, Some((_, 0, root, _))) if *root != empty_root().0 => {}
                _ => assert_eq!(
                    ours.map(|cp| (cp.size, cp.root.0)),
                    theirs.map(|cp| (cp.1, cp.2)),
                    "verdicts differ on {:?}",
                    String::from_utf8_lossy(&m)
                ),
            }
        }
    }
}

// ---- Merkle proofs ------------------------------------------------------------------

fn cf(h: &Hash) -> tlog_tiles::Hash {
    tlog_tiles::Hash(h.0)
}

fn flipped(h: &Hash, bit: usize) -> Hash {
    let mut b = h.0;
    b[bit / 8] ^= 1 << (bit % 8);
    Hash(b)
}

/// Proofs as generated, and single corruptions: a bit flipped in each hash, truncated,
/// extended, a hash duplicated.
fn proof_mutations(proof: &[Hash]) -> Vec<Vec<Hash>> {
    let mut out = vec![proof.to_vec()];
    for i in 0..proof.len() {
        let mut m = proof.to_vec();
        m[i] = flipped(&m[i], i * 37 % 256);
        out.push(m);
        let mut dup = proof.to_vec();
        dup.insert(i, proof[i]);
        out.push(dup);
    }
    if !proof.is_empty() {
        out.push(proof[..proof.len() - 1].to_vec());
        out.push(proof[1..].to_vec());
    }
    let mut long = proof.to_vec();
    long.push(Hash([7; 32]));
    out.push(long);
    out
}

#[test]
fn merkle_proofs_are_the_same_and_get_the_same_verdicts() {
    const N: u64 = 40;
    let data: Vec<Vec<u8>> = (0..N).map(|i| format!("leaf {i}").into_bytes()).collect();
    let leaves: Vec<Hash> = data.iter().map(|d| leaf_hash(d)).collect();
    let ours = MemoryStore::with_leaves(&leaves);
    let mut theirs = CfStore(Vec::new());
    for (i, d) in data.iter().enumerate() {
        assert_eq!(tlog_tiles::record_hash(d).0, leaves[i].0);
        let new = tlog_tiles::stored_hashes(i as u64, d, &theirs).unwrap();
        theirs.0.extend(new);
    }
    let root = |n: u64| root_at(&ours, n).unwrap();
    let mut differences = Vec::new();
    for t in 0..=N {
        assert_eq!(
            tlog_tiles::tree_hash(t, &theirs).unwrap().0,
            root(t).0,
            "root {t}"
        );
        let tree = Tree {
            size: t,
            root: root(t),
        };
        for n in 0..t {
            let proof = InclusionProof::generate(&ours, n, t).unwrap();
            let cf_proof = tlog_tiles::prove_record(t, n, &theirs).unwrap();
            assert_eq!(
                proof.hashes().iter().map(cf).collect::<Vec<_>>(),
                cf_proof,
                "inclusion {n}/{t}"
            );
            for m in proof_mutations(proof.hashes()) {
                let cf_m: Vec<_> = m.iter().map(cf).collect();
                let p = InclusionProof::from_hashes(m.clone());
                for (idx, size, r) in [
                    (n, t, tree.root),
                    ((n + 1) % t, t, tree.root),
                    (n, t + 1, tree.root),
                    (n, t, flipped(&tree.root, 3)),
                ] {
                    let ours = Tree { size, root: r }
                        .verify_inclusion(idx, &leaves[n as usize], &p)
                        .is_ok();
                    let theirs =
                        tlog_tiles::check_record(&cf_m, size, cf(&r), idx, cf(&leaves[n as usize]))
                            .is_ok();
                    assert_eq!(ours, theirs, "inclusion {idx}/{size} {m:?}");
                }
            }
        }
        for n in 0..=t {
            let proof = ConsistencyProof::generate(&ours, n, t);
            let cf_proof = tlog_tiles::prove_tree(t, n, &theirs);
            if (n, t) == (0, 0) {
                // Deliberate::ConsistencyZeroToZero: prov's proof between two empty trees
                // is empty, tlog_tiles has none.
                assert_eq!(proof, Ok(ConsistencyProof::default()));
                assert!(cf_proof.is_err());
            } else {
                assert_eq!(
                    proof
                        .as_ref()
                        .ok()
                        .map(|p| p.hashes().iter().map(cf).collect::<Vec<_>>()),
                    cf_proof.as_ref().ok().cloned(),
                    "consistency {n}->{t}"
                );
            }
            let hashes = proof.map(|p| p.hashes().to_vec()).unwrap_or_default();
            for m in proof_mutations(&hashes) {
                let cf_m: Vec<_> = m.iter().map(cf).collect();
                let p = ConsistencyProof::from_hashes(m.clone());
                for (old, old_root, new_root) in [
                    (n, root(n), root(t)),
                    (n, flipped(&root(n), 5), root(t)),
                    (n, root(n), flipped(&root(t), 5)),
                ] {
                    let ours = Tree {
                        size: old,
                        root: old_root,
                    }
                    .verify_consistency(
                        &Tree {
                            size: t,
                            root: new_root,
                        },
                        &p,
                    )
                    .is_ok();
                    let theirs =
                        tlog_tiles::check_tree(&cf_m, t, cf(&new_root), old, cf(&old_root)).is_ok();
                    if old == 0 && t == 0 && ours && !theirs {
                        assert!(m.is_empty() && old_root == new_root);
                        differences.push(Deliberate::ConsistencyZeroToZero);
                        continue;
                    }
                    assert_eq!(ours, theirs, "consistency {old}->{t} {m:?}");
                }
            }
        }
    }
    assert_eq!(differences, [Deliberate::ConsistencyZeroToZero]);
}
