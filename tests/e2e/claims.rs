//! Issue 13, items 1, 2 and 4: authenticity claims as signed entries (FORMAT.md 6.7), `check`
//! and `show` telling the whole story both ways, `verify-proof` of a claim (here); the audit's
//! claim rules (`claims/audit_rules.rs`), exports that keep every field (`claims/export.rs`)
//! and `verify-dkim --record` (`claims/dkim_record.rs`).

mod audit_rules;
mod dkim_record;
mod export;
mod fields;
mod retractions;

use prov_tests::Workspace;
use serde_json::Value;

/// A ledger with an original (entry 0) and an altered copy of it (entry 1, linked
/// `altered_copy_of` 0).
pub(crate) fn two_documents() -> Workspace {
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

pub(crate) fn claim(w: &Workspace, args: &[&str]) -> Value {
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

/// A claim about an entry, or with evidence, that the ledger does not hold is refused (exit 8,
/// as everywhere), and nothing is written: not even the format change.
#[test]
fn a_claim_about_a_seq_that_does_not_exist_is_refused_with_nothing_written() {
    let w = two_documents();
    let before = w.ledger_state();
    w.run(&["claim", "9", "--verdict", "forged", "--by", "desk"])
        .fails(8, "no entry 9: the ledger has 2 entries");
    w.run(&[
        "claim",
        "9",
        "--verdict",
        "forged",
        "--by",
        "desk",
        "--json",
    ])
    .fails_json(8, "no entry 9");
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
    .fails(8, "no entry 7");
    w.run(&["claim", "1", "--verdict", "fake", "--by", "desk"])
        .fails(2, "--verdict");
    w.run(&["claim", "1", "--verdict", "forged"])
        .fails(2, "--by");
    assert_eq!(w.ledger_state(), before);
    assert_eq!(format_of(&w), 2);
}
