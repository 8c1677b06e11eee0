//! Issue 13, items 1, 2 and 4: authenticity claims as signed entries (FORMAT.md 6.7), `check`
//! and `show` telling the whole story both ways, `verify-proof` of a claim, the audit's claim
//! rules, and exports that keep every field.

use crate::forge::{Forged, entry, forge};
use prov_ledger::{CLAIM_REASON, EVIDENCE, Kind, Related, Verdict};
use prov_tests::Workspace;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// A ledger with an original (entry 0) and an altered copy of it (entry 1, linked
/// `altered_copy_of` 0).
fn two_documents() -> Workspace {
    let w = Workspace::new();
    w.init();
    w.write("orig.pdf", b"%PDF-1.4 the original contract\n");
    w.write("altered.pdf", b"%PDF-1.4 the contract, altered\n");
    w.run(&["add", "orig.pdf", "--source", "https://leaks.example/a"])
        .ok();
    w.run(&[
        "add",
        "altered.pdf",
        "--source",
        "https://leaks.example/b",
        "--related",
        "altered_copy_of=0",
    ])
    .ok();
    w
}

fn claim(w: &Workspace, args: &[&str]) -> Value {
    let mut all = vec!["claim", "--json"];
    all.extend_from_slice(args);
    w.run(&all).json()
}

fn format_of(w: &Workspace) -> u64 {
    let text = std::fs::read_to_string(w.ledger().join("ledger.json")).unwrap();
    serde_json::from_str::<Value>(&text).unwrap()["format"]
        .as_u64()
        .unwrap()
}

/// Two people claim, one retracts; the same claim again adds nothing; `check` and `show`
/// give the claims and the links both ways; `audit` checks them.
#[test]
fn claims_by_two_people_one_retracted_and_the_chain_both_ways() {
    let w = two_documents();
    assert_eq!(format_of(&w), 2);
    let alice = ["1", "--verdict", "altered", "--by", "alice@desk.example"];
    let reason = ["--reason", "fonts postdate the date", "--evidence", "0"];
    let c = claim(&w, &[&alice[..], &reason[..]].concat());
    assert_eq!(
        (&c["status"], &c["seq"], &c["verdict"], &c["about"]),
        (&"recorded".into(), &2.into(), &"altered".into(), &1.into()),
        "{c}"
    );
    assert_eq!(c["evidence"], serde_json::json!([0]));
    assert_eq!(c["entry"]["kind"], "claim");
    assert_eq!(
        format_of(&w),
        3,
        "the first claim moves the ledger to format 3"
    );
    // The same claim again: already recorded, nothing written.
    let before = w.ledger_state();
    let again = claim(&w, &[&alice[..], &reason[..]].concat());
    assert_eq!(
        (&again["status"], &again["seq"]),
        (&"already_recorded".into(), &2.into())
    );
    assert_eq!(w.ledger_state(), before);
    // Another person, another verdict; then retracted.
    let bob = claim(
        &w,
        &["1", "--verdict", "authentic", "--by", "bob@desk.example"],
    );
    assert_eq!(bob["seq"], 3);
    let r = claim(
        &w,
        &[
            "3",
            "--verdict",
            "retracted",
            "--by",
            "bob@desk.example",
            "--reason",
            "wrong file",
        ],
    );
    assert_eq!((&r["seq"], &r["about"]), (&4.into(), &3.into()));
    let twice = claim(&w, &["3", "--verdict", "retracted", "--by", "carol"]);
    assert_eq!(
        (&twice["status"], &twice["seq"]),
        (&"already_recorded".into(), &4.into())
    );
    // Claims that break a rule are refused as bad input, nothing written.
    let before = w.ledger_state();
    for (args, says) in [
        (
            vec!["4", "--verdict", "retracted", "--by", "x"],
            "a retraction cannot be retracted",
        ),
        (
            vec!["0", "--verdict", "retracted", "--by", "x"],
            "entry 0 is not a claim",
        ),
        (
            vec!["2", "--verdict", "forged", "--by", "x"],
            "entry 2 is a claim",
        ),
        (vec!["1", "--verdict", "forged", "--by", " "], "by"),
        (
            vec![
                "1",
                "--verdict",
                "forged",
                "--by",
                "x",
                "--meta",
                "claim.reason=y",
            ],
            "claim.",
        ),
    ] {
        let mut all = vec!["claim"];
        all.extend(args);
        w.run(&all).fails(3, says);
    }
    assert_eq!(w.ledger_state(), before);

    // check of the altered copy: its claims in order, the retraction, its own link.
    let v = w.run(&["check", "--json", "altered.pdf"]).json();
    let claims = v["claims"].as_array().unwrap();
    assert_eq!(claims.len(), 2, "{v}");
    assert_eq!(
        (
            &claims[0]["seq"],
            &claims[0]["verdict"],
            &claims[0]["by"],
            &claims[0]["retracted"]
        ),
        (
            &2.into(),
            &"altered".into(),
            &"alice@desk.example".into(),
            &false.into()
        )
    );
    assert_eq!(claims[0]["reason"], "fonts postdate the date");
    assert_eq!(claims[0]["evidence"], serde_json::json!([0]));
    assert_eq!(
        (
            &claims[1]["seq"],
            &claims[1]["retracted"],
            &claims[1]["retracted_by"]["seq"]
        ),
        (&3.into(), &true.into(), &4.into())
    );
    assert_eq!(claims[1]["retracted_by"]["reason"], "wrong file");
    assert_eq!(
        v["related"],
        serde_json::json!([{"seq": 1, "relation": "altered_copy_of", "to": 0}])
    );
    // check of the original: the altered copy and the claim citing it, the other way.
    let v = w.run(&["check", "--json", "orig.pdf"]).json();
    let from: Vec<(u64, &str, &str)> = v["linked_from"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["seq"].as_u64().unwrap(),
                l["relation"].as_str().unwrap(),
                l["kind"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        from,
        [(1, "altered_copy_of", "document"), (2, "evidence", "claim")],
        "{v}"
    );
    assert_eq!(v["claims"], serde_json::json!([]));
    // The same for people.
    let out = w.run(&["check", "altered.pdf", "orig.pdf"]).ok().to_owned();
    for want in [
        "claim     altered, by alice@desk.example, at ",
        ": \"fonts postdate the date\"; evidence entry 0 (entry 2, about entry 1)",
        "claim     authentic, by bob@desk.example, at ",
        "retracted by bob@desk.example at ",
        "related   entry 1 is altered_copy_of entry 0",
        "linked    entry 1 altered.pdf is altered_copy_of entry 0",
        "linked    entry 2 a claim (altered, by alice@desk.example",
    ] {
        assert!(out.contains(want), "check lacks {want:?}:\n{out}");
    }
    // show: an entry, the claims about it and what links to it.
    let s = w.run(&["show", "1", "--json"]).json();
    assert_eq!(s["claims"].as_array().unwrap().len(), 2, "{s}");
    assert_eq!(
        s["related"],
        serde_json::json!([{"relation": "altered_copy_of", "seq": 0}])
    );
    let s = w.run(&["show", "0"]).ok().to_owned();
    assert!(
        s.contains("linked    entry 1 altered.pdf is altered_copy_of entry 0"),
        "{s}"
    );
    let s = w.run(&["show", "2", "--json"]).json();
    assert_eq!(
        (&s["kind"], &s["claim"]["verdict"], &s["claim"]["about"]),
        (&"claim".into(), &"altered".into(), &1.into())
    );
    let log = w.run(&["log"]).ok().to_owned();
    assert!(
        log.contains("altered:1") && log.contains("retracted:3"),
        "{log}"
    );
    // The audit checks every claim rule and counts them.
    let key = w.run(&["key"]).ok().trim().to_owned();
    let a = w.run(&["audit", "--key", &key]);
    assert!(
        a.ok().contains("(2 first seen, 0 sightings, 3 claims)"),
        "{}",
        a.stdout
    );
    assert_eq!(
        w.run(&["audit", "--key", &key, "--json"]).json()["claims"],
        3
    );
    // A claim is no sighting: the document is still known once, and seen again from
    // another source it gets a sighting, after a reindex too.
    let v = w.run(&["check", "--json", "altered.pdf"]).json();
    assert_eq!(v["sightings"], serde_json::json!([]));
    let again = w
        .run(&[
            "add",
            "altered.pdf",
            "--source",
            "https://mirror.example/b",
            "--json",
        ])
        .documents();
    assert_eq!(
        (&again[0]["status"], &again[0]["seq"]),
        (&"sighting".into(), &5.into())
    );
    w.run(&["reindex"]).ok();
    let v = w.run(&["check", "--json", "altered.pdf"]).json();
    assert_eq!(v["sightings"][0]["seq"], 5, "{v}");
    assert_eq!(v["claims"].as_array().unwrap().len(), 2, "{v}");
    assert!(
        w.run(&["audit", "--key", &key])
            .ok()
            .contains("1 sighting, 3 claims")
    );
}

/// `prove` of a claim, verified offline with the document it is about: who claimed what,
/// when; and `verify-proof` of an entry prints its name and relations.
#[test]
fn a_claim_is_proven_and_verified_with_its_document() {
    let w = two_documents();
    claim(
        &w,
        &[
            "1",
            "--verdict",
            "forged",
            "--by",
            "desk",
            "--reason",
            "metadata",
            "--evidence",
            "0",
        ],
    );
    let key = w.run(&["key"]).ok().trim().to_owned();
    w.run(&["prove", "2", "-o", "claim.tlog-proof"]).ok();
    let out = w
        .run(&[
            "verify-proof",
            "claim.tlog-proof",
            "--key",
            &key,
            "--document",
            "altered.pdf",
        ])
        .ok()
        .to_owned();
    for want in [
        "verified: entry 2 is in ledger",
        "= the given document",
        "claim     forged, by desk, at ",
        ": \"metadata\"; evidence entry 0",
        "a claim about entry 1",
    ] {
        assert!(out.contains(want), "verify-proof lacks {want:?}:\n{out}");
    }
    let v = w
        .run(&["verify-proof", "claim.tlog-proof", "--key", &key, "--json"])
        .json();
    assert_eq!(
        (&v["entry"]["claim"]["verdict"], &v["entry"]["claim"]["by"]),
        (&"forged".into(), &"desk".into())
    );
    // The claim is about the altered copy's bytes, not the original's.
    w.run(&[
        "verify-proof",
        "claim.tlog-proof",
        "--key",
        &key,
        "--document",
        "orig.pdf",
    ])
    .fails(1, "it is not the recorded document");
    // An entry's proof says its name and its relations in the human output too.
    w.run(&["prove", "1", "-o", "copy.tlog-proof"]).ok();
    let out = w
        .run(&["verify-proof", "copy.tlog-proof", "--key", &key])
        .ok()
        .to_owned();
    assert!(out.contains("name      altered.pdf"), "{out}");
    assert!(out.contains("related   altered_copy_of entry 0"), "{out}");
}

/// A claim about an entry, or with evidence, that the ledger does not hold is refused as bad
/// input (exit 3), and nothing is written: not even the format change.
#[test]
fn a_claim_about_a_seq_that_does_not_exist_is_refused_with_nothing_written() {
    let w = two_documents();
    let before = w.ledger_state();
    w.run(&["claim", "9", "--verdict", "forged", "--by", "desk"])
        .fails(3, "no entry 9: the ledger has 2 entries");
    w.run(&[
        "claim",
        "9",
        "--verdict",
        "forged",
        "--by",
        "desk",
        "--json",
    ])
    .fails_json(3, "no entry 9");
    w.run(&[
        "claim",
        "1",
        "--verdict",
        "forged",
        "--by",
        "desk",
        "--evidence",
        "7",
    ])
    .fails(3, "no entry 7");
    w.run(&["claim", "1", "--verdict", "fake", "--by", "desk"])
        .fails(2, "--verdict");
    w.run(&["claim", "1", "--verdict", "forged"])
        .fails(2, "--by");
    assert_eq!(w.ledger_state(), before);
    assert_eq!(format_of(&w), 2);
}

/// Export keeps metadata, relations, claims and signatures, in CSV (text cells that would
/// start a formula neutralized) as in JSON Lines.
#[test]
fn export_keeps_metadata_relations_claims_and_signatures() {
    let w = two_documents();
    w.write("c.txt", b"third\n");
    w.run(&[
        "add",
        "c.txt",
        "--source",
        "=HYPERLINK(\"x\")",
        "--meta",
        "case=-17",
        "--related",
        "similar_to=0",
    ])
    .ok();
    claim(
        &w,
        &[
            "1",
            "--verdict",
            "altered",
            "--by",
            "@desk",
            "--evidence",
            "0",
        ],
    );
    let jsonl = w.run(&["export"]).jsonl();
    assert_eq!(jsonl.len(), 4);
    assert_eq!(jsonl[2]["metadata"]["case"], "-17");
    assert_eq!(jsonl[3]["claim"]["verdict"], "altered");
    let csv = w.run(&["export", "--format", "csv"]).ok().to_owned();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    for col in [
        "metadata",
        "related",
        "claim_about",
        "claim_verdict",
        "signature",
        "leaf_hash",
        "prev",
    ] {
        assert!(
            header.contains(&col),
            "CSV lacks the column {col}: {header:?}"
        );
    }
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 4, "{csv}");
    let sig = |j: &Value| {
        use base64::Engine as _;
        hex::encode(
            base64::engine::general_purpose::STANDARD
                .decode(j["signature"].as_str().unwrap())
                .unwrap(),
        )
    };
    for (row, j) in rows.iter().zip(&jsonl) {
        assert!(row.ends_with(&sig(j)), "the signature, in hex: {row}");
    }
    assert!(rows[1].contains(",altered_copy_of:0,"), "{}", rows[1]);
    assert!(
        rows[2].contains("'=HYPERLINK"),
        "formula neutralized: {}",
        rows[2]
    );
    assert!(rows[2].contains(r#""{""case"":""-17""}""#), "{}", rows[2]);
    assert!(rows[2].contains(",similar_to:0,"), "{}", rows[2]);
    assert!(rows[3].contains(",claim,"), "{}", rows[3]);
    assert!(rows[3].contains(",'@desk,"), "{}", rows[3]);
    assert!(rows[3].contains(",1,altered,"), "{}", rows[3]);
    assert!(rows[3].contains(",evidence:0,"), "{}", rows[3]);
}

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

/// `verify-dkim --record`: the result as a claim about the email's entry, the key entry as its
/// evidence; `authentic` when a signature verifies, `unverified` (and exit 1) when none does.
#[test]
fn verify_dkim_records_its_result_as_a_claim_with_the_key_as_evidence() {
    let Some(w) = crate::dkim::signed() else {
        return;
    };
    w.run(&["verify-dkim", "rr.eml", "--record"])
        .fails(2, "--by");
    w.run(&["verify-dkim", "rr.eml", "--record", "--by", "desk"])
        .fails(3, "is not in this ledger");
    w.run(&["add", "rr.eml", "--source", "mailbox"]).ok();
    let key = crate::dkim::archive(&w, "may2017", "k2048.txt");
    let key_seq = key["seq"].as_u64().unwrap();
    let email = w.run(&["check", "--json", "rr.eml"]).json()["first_seen"]["seq"].clone();
    let v = w
        .run(&[
            "verify-dkim",
            "rr.eml",
            "--record",
            "--by",
            "desk",
            "--json",
        ])
        .json();
    assert_eq!(v["claim"]["status"], "recorded", "{v}");
    let c = &v["claim"]["entry"]["claim"];
    assert_eq!(
        (&c["verdict"], &c["about"], &c["by"], &c["evidence"]),
        (
            &"authentic".into(),
            &email,
            &"desk".into(),
            &serde_json::json!([key_seq])
        )
    );
    let reason = c["reason"].as_str().unwrap();
    assert!(
        reason.contains(&format!(
            "verifies with key entry {key_seq}, archived after the email was first seen"
        )),
        "{reason}"
    );
    // The same result again is already recorded.
    let again = w
        .run(&[
            "verify-dkim",
            "rr.eml",
            "--record",
            "--by",
            "desk",
            "--json",
        ])
        .json();
    assert_eq!(again["claim"]["status"], "already_recorded");
    // check tells it: the claim on the email, the key linked as its evidence.
    let v = w.run(&["check", "--json", "rr.eml"]).json();
    assert_eq!(v["claims"][0]["verdict"], "authentic", "{v}");
    let k = w
        .run(&[
            "check",
            "--json",
            "--sha256",
            key["sha256"].as_str().unwrap(),
        ])
        .json();
    assert_eq!(k["linked_from"][0]["relation"], "evidence", "{k}");
    // One byte changed: nothing verifies, the claim says unverified, exit 1.
    let bad = crate::dkim::altered(&w, "rr.eml", "Ci-joint le budget", b'b', b'B');
    w.run(&["add", &bad, "--source", "mailbox"]).ok();
    let r = w.run(&["verify-dkim", &bad, "--record", "--by", "desk"]);
    r.fails(1, "does not verify with an archived key");
    assert!(r.stdout.contains("claim recorded"), "{}", r.stdout);
    assert!(r.stdout.contains("unverified, by desk"), "{}", r.stdout);
    assert!(r.stdout.contains("body hash mismatch"), "{}", r.stdout);
}
