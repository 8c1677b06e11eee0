//! An audit bundle as the auditor uses it (README "Handing a ledger to an auditor"): it has
//! no tiles, offsets or content index, and `check`, `show` (by number or by the start of a
//! hash), `log`, `checkpoint` and `key` answer from its log, each answer checked against the
//! signed checkpoint; and a bundle folder that holds anything, a link named like one of its
//! files included, is refused with nothing written through the link.

use prov_tests::Workspace;

#[test]
fn the_read_only_commands_answer_from_a_bundle_of_many_entries() {
    let w = Workspace::new();
    let vkey = w.init();
    // An email (its body a member of it) and a plain file, in two batches.
    w.write(
        "mail.eml",
        "From: a@example.org\r\nSubject: s\r\n\r\nthe body\r\n",
    );
    w.write("a.txt", "a document\n");
    w.run(&["add", "mail.eml", "--source", "s"]).ok();
    w.run(&["add", "a.txt", "--source", "s"]).ok();
    w.run(&["export", "--audit-bundle", "bundle"]).ok();
    let bundle = w.path("bundle");
    assert!(!bundle.join("tile").exists() && !bundle.join("offsets").exists());
    let r = w.run_at(&bundle, &["check", "a.txt", "mail.eml"]);
    let text = r.ok();
    assert!(text.contains("known    a.txt  first seen"), "{text}");
    assert!(text.contains("known    mail.eml  first seen"), "{text}");
    let checked = w.run_at(&bundle, &["check", "a.txt", "--json"]).jsonl();
    let seq = checked[0]["first_seen"]["seq"].as_u64().unwrap();
    let sha = checked[0]["sha256"].as_str().unwrap().to_owned();
    let shown = w.run_at(&bundle, &["show", &sha[..16], "--json"]).jsonl();
    assert_eq!(shown[0]["seq"], seq, "{shown:?}");
    w.run_at(&bundle, &["show", &seq.to_string()]).ok();
    assert_eq!(w.run_at(&bundle, &["log"]).ok(), w.run(&["log"]).ok());
    assert_eq!(w.run_at(&bundle, &["key"]).ok().trim(), vkey);
    // An unknown document is a negative answer there too.
    w.write("new.txt", "never recorded\n");
    w.run_at(&bundle, &["check", "new.txt"])
        .fails(1, "1 of 1 document is unknown");
}

#[test]
fn a_bundle_folder_holding_a_link_named_like_its_files_is_refused() {
    let w = Workspace::new();
    w.init();
    w.write("a.txt", "a document\n");
    w.run(&["add", "a.txt", "--source", "s"]).ok();
    std::fs::create_dir(w.path("out")).unwrap();
    for name in ["entries.log", "COMMIT", "checkpoint", "ledger.vkey"] {
        let link = w.path(&format!("out/{name}"));
        std::os::unix::fs::symlink(w.path("victim"), &link).unwrap();
        w.run(&["export", "--audit-bundle", "out"])
            .fails(3, "out is not empty");
        assert!(!w.path("victim").exists(), "written through {name}");
        std::fs::remove_file(&link).unwrap();
    }
    // A link to a folder, given as the bundle folder itself, is where the user points it.
    std::fs::create_dir(w.path("real")).unwrap();
    std::os::unix::fs::symlink(w.path("real"), w.path("via")).unwrap();
    w.run(&["export", "--audit-bundle", "via"]).ok();
    assert!(w.path("real/entries.log").is_file());
}
