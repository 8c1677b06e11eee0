//! `export` keeps metadata, relations, claims and signatures (issue 13, item 4).

use super::{claim, two_documents};
use serde_json::Value;

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
        "translation_of=0",
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
    assert!(rows[2].contains(",translation_of:0,"), "{}", rows[2]);
    assert!(rows[3].contains(",claim,"), "{}", rows[3]);
    assert!(rows[3].contains(",'@desk,"), "{}", rows[3]);
    assert!(rows[3].contains(",1,altered,"), "{}", rows[3]);
    assert!(rows[3].contains(",evidence:0,"), "{}", rows[3]);
}
