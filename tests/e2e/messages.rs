//! Messages that say what is true: the checkpoint an entry is missing from, a log that
//! cannot be written (not "damaged"), a bad checkpoint record named as a checkpoint.

use prov_tests::Workspace;

fn ledger_of(entries: usize) -> Workspace {
    let w = Workspace::new();
    w.init();
    for i in 0..entries {
        w.write(&format!("d{i}/f.txt"), format!("document {i}"));
        w.run(&["add", &format!("d{i}"), "--source", "s"]).ok();
    }
    w
}

#[test]
fn an_entry_after_the_checkpoint_asked_for_names_both_sizes() {
    let w = ledger_of(7);
    w.run(&["prove", "4", "--at", "3"]).fails(
        1,
        "entry 4 is not in the checkpoint of size 3 (the ledger has 7 entries)",
    );
    w.run(&["prove", "9"])
        .fails(8, "no entry 9: the ledger has 7 entries");
    // An entry beyond the ledger is named with the ledger's size, not the checkpoint's.
    w.run(&["prove", "9", "--at", "3"])
        .fails(8, "no entry 9: the ledger has 7 entries");
}

#[test]
fn a_log_that_cannot_be_opened_for_writing_is_not_called_damaged() {
    let w = ledger_of(1);
    let log = w.ledger().join("entries.log");
    // Root writes through permission bits; an immutable file refuses even root. Without
    // chattr (or on a file system without the flag), the test has nothing to show.
    let immutable = |flag: &str| {
        std::process::Command::new("chattr")
            .arg(flag)
            .arg(&log)
            .status()
            .is_ok_and(|s| s.success())
    };
    if !immutable("+i") {
        prov_tests::skip("chattr +i is not available here");
        return;
    }
    w.write("b.txt", "beta");
    let r = w.run(&["add", "b.txt", "--source", "s"]);
    immutable("-i");
    r.fails(4, "cannot open for writing");
    assert!(r.stderr.contains("entries.log"), "{}", r.stderr);
    assert!(r.stderr.contains("permission"), "{}", r.stderr);
    assert!(!r.stderr.contains("damaged"), "{}", r.stderr);
    // Reading needs no write permission.
    w.run(&["log"]).ok();
}

#[test]
fn a_damaged_checkpoint_record_is_named_by_its_size() {
    let w = ledger_of(2);
    let path = w.ledger().join("entries.log");
    let mut log = std::fs::read(&path).unwrap();
    // The last record is the checkpoint at size 2; flip a byte of its root line.
    let origin = b"e2e.example/ledger\n2\n";
    let at = log
        .windows(origin.len())
        .rposition(|win| win == origin)
        .unwrap();
    log[at + origin.len() + 3] ^= 1;
    std::fs::write(&path, log).unwrap();
    let r = w.run(&["audit"]);
    r.fails(1, "checkpoint at size 2: record checksum mismatch");
    assert!(!r.stderr.contains("entry 2"), "{}", r.stderr);
}

/// An entry number the ledger does not hold is exit 8 from every command that takes one,
/// through a server too: `similar` exits 1 for "no look-alike", `claim` exited 3 and the
/// others 1, so a script could not tell the cases apart (issue 13 review).
#[test]
fn an_entry_the_ledger_does_not_hold_is_exit_8_everywhere() {
    let w = ledger_of(3);
    let before = w.ledger_state();
    let no_entry = "no entry 9: the ledger has 3 entries";
    for args in [
        &["show", "9"][..],
        &["show", "12345"],
        &["prove", "9"],
        &["prove", "9", "--at", "2"],
        &["similar", "9"],
        &["claim", "9", "--verdict", "forged", "--by", "desk"],
    ] {
        w.run(args).fails(8, "no entry ");
    }
    w.run(&["show", "9"]).fails(8, no_entry);
    w.run(&[
        "claim",
        "0",
        "--verdict",
        "forged",
        "--by",
        "d",
        "--evidence",
        "9",
    ])
    .fails(8, "no entry 9");
    assert_eq!(
        w.run(&["show", "9", "--json"]).fails_json(8, no_entry)["exit"],
        8
    );
    assert_eq!(w.ledger_state(), before);
    // The same through `prov serve`.
    let s = crate::serve::Serve::start(&w, &[], &[]);
    let key = w.run(&["key"]).ok().trim().to_owned();
    for args in [&["show", "9"][..], &["prove", "9", "--key", &key]] {
        let mut all = vec!["--server", s.url.as_str()];
        all.extend_from_slice(args);
        w.run(&all).fails(8, "there is no entry 9");
    }
    let page = w.run(&["help", "exit-codes"]).ok().to_owned();
    assert!(page.contains("no entry of the number given"), "{page}");
}
