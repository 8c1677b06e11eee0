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
