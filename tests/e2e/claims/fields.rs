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
