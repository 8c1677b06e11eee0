//! A claim's own fields, review of issue 13: the reason is words or absent (FORMAT.md 6.7),
//! and the claimant's further metadata is part of the document's story.

use super::{claim, two_documents};

/// `--reason ''` (or blanks) would record `claim.reason=""`, where FORMAT.md 6.7 has the key
/// absent when no reason is given: refused, one line, nothing written.
#[test]
fn a_blank_reason_is_refused_with_nothing_written() {
    let w = two_documents();
    let before = w.ledger_state();
    for blank in ["", "   "] {
        w.run(&[
            "claim",
            "1",
            "--verdict",
            "forged",
            "--by",
            "desk",
            "--reason",
            blank,
        ])
        .fails(
            3,
            "--reason must not be blank: say why in words, or leave it out",
        );
    }
    assert_eq!(w.ledger_state(), before);
    let help = w.run(&["claim", "--help"]).ok().to_owned();
    assert!(
        help.contains("leave --reason out when there is none"),
        "{help}"
    );
    // No reason: no key.
    let c = claim(&w, &["1", "--verdict", "forged", "--by", "desk"]);
    assert_eq!(c["entry"]["metadata"], serde_json::json!({}), "{c}");
}

/// A claim's `--meta` is in the document's story, not only in `show` of the claim: JSON
/// `claims[].metadata` (without the reason, which is `reason`), a `meta` line for people.
#[test]
fn a_claims_further_metadata_is_in_the_documents_story() {
    let w = two_documents();
    let c = claim(
        &w,
        &[
            "1",
            "--verdict",
            "disputed",
            "--by",
            "ed",
            "--reason",
            "dates",
            "--meta",
            "ticket=T-42",
            "--meta",
            "lang=fr",
        ],
    );
    assert_eq!(c["seq"], 2);
    let want = serde_json::json!({"lang": "fr", "ticket": "T-42"});
    for args in [
        &["check", "--json", "altered.pdf"][..],
        &["show", "1", "--json"],
    ] {
        let v = w.run(args).json();
        assert_eq!(v["claims"][0]["metadata"], want, "{args:?}: {v}");
        assert_eq!(v["claims"][0]["reason"], "dates", "{args:?}: {v}");
    }
    for args in [&["check", "altered.pdf"][..], &["show", "1"]] {
        let out = w.run(args).ok().to_owned();
        let at = out
            .find("claim     disputed, by ed")
            .unwrap_or_else(|| panic!("{args:?}:\n{out}"));
        let next = out[at..].lines().nth(1).unwrap_or_default().trim_start();
        assert_eq!(next, "meta      lang=fr; ticket=T-42", "{args:?}:\n{out}");
    }
    // Without --meta: an empty object, and no line.
    claim(&w, &["1", "--verdict", "forged", "--by", "fay"]);
    let v = w.run(&["check", "--json", "altered.pdf"]).json();
    assert_eq!(v["claims"][1]["metadata"], serde_json::json!({}), "{v}");
    let out = w.run(&["check", "altered.pdf"]).ok().to_owned();
    assert_eq!(out.matches("meta ").count(), 1, "{out}");
}
