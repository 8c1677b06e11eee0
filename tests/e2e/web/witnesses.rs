//! The browser verifier's witness check, on cosignatures made by real witnesses: two `prov
//! witness serve` on 127.0.0.1 (waited for by their `listening on` line), `prov cosign` with
//! both, `prov prove`; then the page with a quorum met, a quorum not met (one key of a witness
//! that never cosigned), and a proof whose cosignature line was altered. Each verdict is
//! compared with `prov verify-proof --witness ... --quorum N` on the same files.

use super::{answer, browser, drive, page_time, root, verdict};
use crate::witness::{Server, witness_init};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use prov_tests::Workspace;
use serde_json::{Value, json};
use std::path::Path;

#[test]
fn browser_checks_real_witness_cosignatures_and_the_quorum() {
    let Some(chromium) = browser() else { return };
    let ws = Workspace::new();
    let key = ws.init();
    let key_file = ws.write("ledger.vkey", format!("{key}\n"));
    let k1 = witness_init(&ws, "w1", "w1.example/witness");
    let k2 = witness_init(&ws, "w2", "w2.example/witness");
    // A real witness key whose witness never saw this ledger.
    let k3 = witness_init(&ws, "w3", "w3.example/witness");
    let (s1, s2) = (
        Server::start(&ws, "w1", &key, &[]),
        Server::start(&ws, "w2", &key, &[]),
    );
    let doc = ws.write("docs/report.txt", "the board knew in March\n");
    ws.run(&["add", "docs", "--source", "https://leaks.example/dump-2"])
        .ok();
    ws.run(&["witnesses", "add", &s1.url, &k1]).ok();
    ws.run(&["witnesses", "add", &s2.url, &k2]).ok();
    assert_eq!(ws.run(&["cosign", "--json"]).jsonl().len(), 2);
    drop((s1, s2));
    let proof = ws.path("report.tlog-proof");
    ws.run(&["prove", "docs/report.txt", "-o", proof.to_str().unwrap()])
        .ok();

    // One bit of w2's Ed25519 signature changed: still a well-formed line naming w2.
    let text = std::fs::read_to_string(&proof).unwrap();
    let w2_line = "\u{2014} w2.example/witness ";
    assert!(
        text.contains(w2_line),
        "the proof carries w2's line: {text}"
    );
    let tampered = ws.write(
        "tampered.tlog-proof",
        text.lines()
            .map(|l| match l.strip_prefix(w2_line) {
                Some(b64) => {
                    let mut raw = STANDARD.decode(b64).unwrap();
                    raw[4 + 8 + 10] ^= 1;
                    format!("{w2_line}{}\n", STANDARD.encode(raw))
                }
                None => format!("{l}\n"),
            })
            .collect::<String>(),
    );

    // What prov verify-proof says on the same files: the times to find on the page.
    let cli = |proof: &Path, keys: &[&str], quorum: usize| {
        let mut args = vec![
            "verify-proof".to_owned(),
            proof.display().to_string(),
            "--key".into(),
            key.clone(),
            "--document".into(),
            doc.display().to_string(),
            "--quorum".into(),
            quorum.to_string(),
            "--json".into(),
        ];
        for k in keys {
            args.extend(["--witness".into(), (*k).to_owned()]);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        ws.run(&args)
    };
    let met = cli(&proof, &[&k1, &k2], 2).json();
    let cosigned = met["witnesses"]["cosignatures"].as_array().unwrap();
    let time_of = |name: &str| {
        let c = cosigned.iter().find(|c| c["witness"] == name).unwrap();
        page_time(c["time"].as_str().unwrap())
    };
    let (t1, t2) = (time_of("w1.example/witness"), time_of("w2.example/witness"));
    let by = page_time(met["witnesses"]["witnessed_by"].as_str().unwrap());

    let page = format!(
        "file://{}",
        root()
            .join("web/dist/index.html")
            .canonicalize()
            .unwrap()
            .display()
    );
    let case = |name: &str, proof: &Path, keys: &[&str]| -> Value {
        json!({
            "name": name, "url": page, "action": "verify",
            "document": doc, "proof": proof, "key_file": key_file,
            "witnesses": keys.iter().map(|k| format!("{k}\n")).collect::<String>(),
            "quorum": 2,
        })
    };
    let cases: [(&str, &Path, [&str; 2]); 3] = [
        ("quorum-met", &proof, [&k1, &k2]),
        ("quorum-not-met", &proof, [&k1, &k3]),
        ("cosignature-tampered", &tampered, [&k1, &k2]),
    ];
    let answers = drive(
        &ws,
        &chromium,
        "witnesses",
        cases
            .iter()
            .map(|(name, proof, keys)| case(name, proof, keys))
            .collect(),
    );

    verdict(
        &answers,
        "quorum-met",
        None,
        &[
            "Proven: this exact document was recorded by e2e.example/ledger.",
            &format!(
                "The checkpoint was cosigned by 2 of the witnesses you named: w1.example/witness on {t1}, and w2.example/witness on {t2}."
            ),
            &format!("existed by {by} at the latest"),
        ],
    );
    verdict(
        &answers,
        "quorum-not-met",
        Some("witnesses"),
        &[
            "Not enough witnesses cosigned the archive's checkpoint: the quorum you asked for is not met.",
            &format!(
                "Of the 2 witnesses you named, 1 cosigned this checkpoint: w1.example/witness on {t1}."
            ),
            "No valid cosignature from w3.example/witness is in the proof.",
        ],
    );
    verdict(
        &answers,
        "cosignature-tampered",
        Some("witnesses"),
        &[
            "The cosignature of the witness w2.example/witness on the archive's checkpoint does not verify.",
        ],
    );
    for (name, proof, keys) in &cases {
        let a = answer(&answers, name);
        assert_eq!(a["requests"], json!([]), "{name}: {a}");
        let cli_ok = cli(proof, keys, 2).code == 0;
        assert_eq!(
            cli_ok,
            a["ok"] == true,
            "{name}: prov verify-proof disagrees"
        );
    }
}
