//! `verify-dkim --record`: a DKIM result recorded as a claim (issue 13, item 1).

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
