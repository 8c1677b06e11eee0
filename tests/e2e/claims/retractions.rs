//! Retracted claims, review of issue 13: a claim made again after its retraction is a new
//! claim, and a retracted claim is shown retracted wherever it is listed.

use super::{claim, two_documents};
use serde_json::Value;

/// `forged` by desk, retracted, then the same claim again: recorded anew (FORMAT.md 6.7,
/// idempotence: the retracted claim no longer stands), and the next one is already recorded.
#[test]
fn a_retracted_claim_can_be_made_again() {
    let w = two_documents();
    let forged = [
        "0",
        "--verdict",
        "forged",
        "--by",
        "desk",
        "--reason",
        "fonts",
    ];
    assert_eq!(claim(&w, &forged)["seq"], 2);
    claim(&w, &["2", "--verdict", "retracted", "--by", "x"]);
    let again = claim(&w, &forged);
    assert_eq!(
        (&again["status"], &again["seq"]),
        (&"recorded".into(), &4.into()),
        "{again}"
    );
    let once_more = claim(&w, &forged);
    assert_eq!(
        (&once_more["status"], &once_more["seq"]),
        (&"already_recorded".into(), &4.into())
    );
    let v = w.run(&["check", "--json", "orig.pdf"]).json();
    let standing: Vec<(&Value, &Value)> = v["claims"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (&c["seq"], &c["retracted"]))
        .collect();
    assert_eq!(
        standing,
        [(&2.into(), &true.into()), (&4.into(), &false.into())],
        "{v}"
    );
    let key = w.run(&["key"]).ok().trim().to_owned();
    w.run(&["audit", "--key", &key]).ok();
}

/// A claim citing the original as evidence, then retracted: `check` and `show` of the
/// original list it retracted, as they list a retracted claim about the document.
#[test]
fn a_retracted_claim_cited_as_evidence_is_shown_retracted() {
    let w = two_documents();
    let altered = [
        "1",
        "--verdict",
        "altered",
        "--by",
        "desk",
        "--evidence",
        "0",
    ];
    assert_eq!(claim(&w, &altered)["seq"], 2);
    let why = ["--reason", "wrong original"];
    claim(
        &w,
        &[&["2", "--verdict", "retracted", "--by", "x"][..], &why[..]].concat(),
    );
    for args in [
        &["check", "--json", "orig.pdf"][..],
        &["show", "0", "--json"],
    ] {
        let v = w.run(args).json();
        let cited = v["linked_from"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["seq"] == 2)
            .unwrap_or_else(|| panic!("{args:?} lacks the claim: {v}"));
        assert_eq!(cited["claim"]["retracted"], true, "{args:?}: {v}");
        let by = &cited["claim"]["retracted_by"];
        assert_eq!(
            (&by["seq"], &by["by"], &by["reason"]),
            (&3.into(), &"x".into(), &"wrong original".into()),
            "{args:?}: {v}"
        );
        // The other link to the original, a document, has no claim to retract.
        assert!(v["linked_from"][0]["claim"].is_null(), "{v}");
    }
    for args in [&["check", "orig.pdf"][..], &["show", "0"]] {
        let out = w.run(args).ok().to_owned();
        let at = out
            .find("linked    entry 2 a claim (altered, by desk")
            .unwrap_or_else(|| panic!("{args:?}:\n{out}"));
        let next = out[at..].lines().nth(1).unwrap_or_default();
        assert!(
            next.trim_start().starts_with("retracted by x at ")
                && next.ends_with("(entry 3): \"wrong original\""),
            "{args:?}:\n{out}"
        );
    }
    // Not retracted: false, and no line.
    let standing = [
        "1",
        "--verdict",
        "forged",
        "--by",
        "desk",
        "--evidence",
        "0",
    ];
    assert_eq!(claim(&w, &standing)["seq"], 4);
    let v = w.run(&["check", "--json", "orig.pdf"]).json();
    let last = v["linked_from"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (
            &last["seq"],
            &last["claim"]["retracted"],
            &last["claim"]["retracted_by"]
        ),
        (&4.into(), &false.into(), &Value::Null),
        "{v}"
    );
}

/// The proof of a claim proves it was recorded, not that it still stands: `verify-proof`
/// says where a later retraction would be found, and that place shows it.
#[test]
fn verify_proof_of_a_claim_says_a_later_retraction_is_found_in_the_ledger() {
    let w = two_documents();
    claim(&w, &["1", "--verdict", "forged", "--by", "desk"]);
    w.run(&["prove", "2", "-o", "claim.tlog-proof"]).ok();
    claim(&w, &["2", "--verdict", "retracted", "--by", "desk"]);
    let key = w.run(&["key"]).ok().trim().to_owned();
    let out = w
        .run(&["verify-proof", "claim.tlog-proof", "--key", &key])
        .ok()
        .to_owned();
    let want = "  a proof cannot show a later retraction or claim: `prov show 2` or `prov check` on the ledger gives them";
    assert!(out.contains(want), "{out}");
    assert!(
        w.run(&["show", "2"])
            .ok()
            .contains("claim     retracted, by desk, at "),
        "show of the claim gives its retraction"
    );
    // A document's proof says nothing of the kind.
    w.run(&["prove", "1", "-o", "doc.tlog-proof"]).ok();
    let out = w
        .run(&["verify-proof", "doc.tlog-proof", "--key", &key])
        .ok()
        .to_owned();
    assert!(!out.contains("a later retraction"), "{out}");
}
