//! `--json` is for scripts, always, and what to hand an auditor, on the real binary.
//!
//! With `--json` an error is one JSON object on stderr (`error`, `exit`, `hint`) and stdout
//! holds only records; usage errors too. Files a walk passes over are records in the stream;
//! a path that is not UTF-8 has its bytes in `path_hex`. `export --audit-bundle` made while
//! an `add` is stopped with a batch written past `COMMIT` holds exactly the committed
//! prefix, never the key, and audits clean.

use prov_tests::{Run, Workspace};
use serde_json::Value;
use std::os::unix::ffi::OsStrExt;
use std::process::Stdio;

/// Asserts a `--json` failure: the exit code, nothing but records on stdout, and stderr one
/// JSON object whose `exit` is the code. Returns the object.
fn json_error(r: &Run, code: i32) -> Value {
    assert_eq!(r.code, code, "exit code; stderr: {}", r.stderr);
    assert_eq!(r.stderr.lines().count(), 1, "not one line: {}", r.stderr);
    let v: Value = serde_json::from_str(r.stderr.trim())
        .unwrap_or_else(|e| panic!("stderr is not one JSON object ({e}): {}", r.stderr));
    assert_eq!(v["exit"], code, "{v}");
    assert!(v["error"].as_str().is_some_and(|e| !e.is_empty()), "{v}");
    assert!(v["hint"].is_null() || v["hint"].is_string(), "{v}");
    assert!(
        !r.stdout.contains("\"error\""),
        "an error on stdout: {}",
        r.stdout
    );
    v
}

#[test]
fn errors_are_one_json_object_on_stderr_for_every_exit_class() {
    let w = Workspace::new();
    // 4: no ledger; the hint is what to do about it.
    let r = w.run(&["log", "--json"]);
    let v = json_error(&r, 4);
    assert!(r.stdout.is_empty(), "{}", r.stdout);
    assert!(v["error"].as_str().unwrap().contains("no ledger at"), "{v}");
    assert!(v["hint"].as_str().unwrap().contains("prov init"), "{v}");
    // Without --json, the same error is the one human line.
    w.run(&["log"]).fails(4, "no ledger at");
    w.init();
    // 3: bad input.
    let r = w.run(&["--json", "check", "no-such-file.pdf"]);
    let v = json_error(&r, 3);
    assert!(r.stdout.is_empty(), "{}", r.stdout);
    assert!(
        v["error"].as_str().unwrap().contains("no-such-file.pdf"),
        "{v}"
    );
    // 2: usage, as clap finds it, with the usage line as the hint; and a command that
    // refuses --json.
    let r = w.run(&["add", "doc.txt", "--json"]);
    let v = json_error(&r, 2);
    assert!(r.stdout.is_empty(), "{}", r.stdout);
    assert!(v["error"].as_str().unwrap().contains("--source"), "{v}");
    assert!(
        v["hint"].as_str().unwrap().starts_with("usage: prov add"),
        "{v}"
    );
    for args in [
        &["completions", "bash", "--json"][..],
        &["help", "add", "--json"],
        &["man", "--json"],
        &["demo", "--json"],
        &["export", "--format", "csv", "--json"],
    ] {
        let r = w.run(args);
        let v = json_error(&r, 2);
        assert!(r.stdout.is_empty(), "{args:?}: {}", r.stdout);
        assert_eq!(v["hint"], "leave out --json", "{args:?}");
    }
    // 1: a negative answer: the record on stdout, the error on stderr, no hint.
    w.write("unknown.txt", "never recorded\n");
    let r = w.run(&["check", "unknown.txt", "--json"]);
    let v = json_error(&r, 1);
    assert!(v["hint"].is_null(), "{v}");
    let records = r.jsonl();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["known"], false);
    assert_eq!(records[0]["path"], "unknown.txt");
    // An operand after `--` is not the option: a plain line.
    w.run(&["add", "--", "--json"]).fails(2, "--source");
}

#[test]
fn files_a_walk_passes_over_are_records_in_the_json_stream() {
    let w = Workspace::new();
    w.init();
    w.write("dump/a.txt", "a document\n");
    w.write("dump/empty.txt", "");
    std::os::unix::fs::symlink("a.txt", w.path("dump/link")).unwrap();
    for args in [
        &["add", "dump", "--source", "s", "--json"][..],
        &["check", "dump", "--json"],
    ] {
        let r = w.run(args);
        assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
        assert!(
            r.stderr.is_empty(),
            "{args:?}: notes on stderr: {}",
            r.stderr
        );
        let records = r.jsonl();
        let skipped: Vec<(&str, &str)> = records
            .iter()
            .filter_map(|v| Some((v["path"].as_str()?, v["skipped"].as_str()?)))
            .collect();
        assert_eq!(
            skipped,
            [
                ("dump/empty.txt", "empty file"),
                ("dump/link", "symlink not followed (use --follow-symlinks)"),
            ],
            "{args:?}"
        );
        // The document's own record keeps its shape.
        let doc = records.iter().find(|v| v["path"] == "dump/a.txt").unwrap();
        assert!(doc.get("skipped").is_none() && doc["sha256"].is_string());
    }
    // Without --json they stay notes on stderr.
    let r = w.run(&["check", "dump"]);
    assert!(r.stderr.contains("skipped dump/link: symlink not followed"));
}

#[test]
fn a_path_that_is_not_utf8_is_given_in_hex_by_add_and_check() {
    let w = Workspace::new();
    w.init();
    std::fs::create_dir(w.path("latin1")).unwrap();
    let name = std::ffi::OsStr::from_bytes(b"r\xe9sum\xe9.txt");
    std::fs::write(w.path("latin1").join(name), "cv").unwrap();
    let exact = hex::encode(b"latin1/r\xe9sum\xe9.txt");
    let added = w.run(&["add", "latin1", "--source", "s", "--json"]).jsonl();
    assert_eq!(added[0]["path_hex"], exact, "{}", added[0]);
    let r = w.run(&["check", "latin1", "--json"]);
    let checked = r.jsonl();
    assert_eq!(checked.len(), 1, "{}", r.stdout);
    assert_eq!(checked[0]["path_hex"], exact);
    assert_eq!(checked[0]["known"], true);
    assert_eq!(checked[0]["path"], "latin1/r\u{fffd}sum\u{fffd}.txt");
    // A UTF-8 path has no hex field.
    w.write("plain.txt", "cv");
    let plain = w.run(&["check", "plain.txt", "--json"]).jsonl();
    assert!(plain[0].get("path_hex").is_none(), "{}", plain[0]);
}

/// `/proc/PID/stat`'s state letter (`T` when stopped).
fn proc_state(pid: u32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit_once(") ")?.1.chars().next()
}

#[test]
fn an_audit_bundle_made_while_an_add_runs_is_the_committed_ledger_without_its_key() {
    let w = Workspace::new();
    let vkey = w.init();
    for i in 0..200 {
        w.write(&format!("docs/{i:03}.txt"), format!("document {i}\n"));
    }
    // The add stops itself with its fifth batch written and fsync'd past COMMIT, just
    // before its commit point, holding the ledger's lock.
    let mut add = w
        .cmd(&["add", "docs", "--source", "s", "--batch", "10", "--json"])
        .env("PROV_TEST_STOP_AT", "CommitRename:5")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = add.id();
    while proc_state(pid) != Some('T') {
        assert!(
            add.try_wait().unwrap().is_none(),
            "add ended before it stopped"
        );
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    let commit = std::fs::read(w.ledger().join("COMMIT")).unwrap();
    let log_now = std::fs::read(w.ledger().join("entries.log")).unwrap();
    let made = w.run(&["export", "--audit-bundle", "bundle", "--json"]);
    let cont = std::process::Command::new("kill")
        .args(["-CONT", &pid.to_string()])
        .status()
        .unwrap();
    assert!(cont.success());
    let status = add.wait().unwrap();
    assert!(status.success(), "the add failed");
    let made = made.json();
    assert_eq!(made["size"], 40, "{made}");

    let bundle = w.path("bundle");
    let mut files: Vec<String> = std::fs::read_dir(&bundle)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(
        files,
        [
            "COMMIT",
            "checkpoint",
            "entries.log",
            "ledger.json",
            "ledger.vkey"
        ]
    );
    // Exactly the committed prefix: the batch written past COMMIT is not in it.
    assert_eq!(std::fs::read(bundle.join("COMMIT")).unwrap(), commit);
    let bundled = std::fs::read(bundle.join("entries.log")).unwrap();
    assert!(
        bundled.len() < log_now.len(),
        "the uncommitted batch was copied"
    );
    let final_log = std::fs::read(w.ledger().join("entries.log")).unwrap();
    assert_eq!(&final_log[..bundled.len()], &bundled[..]);
    assert_eq!(
        std::fs::read_to_string(bundle.join("ledger.vkey"))
            .unwrap()
            .trim(),
        vkey
    );

    // The auditor's run, with the key as published and with the bundle's key file.
    let r = w.run_at(&bundle, &["audit", "--key", &vkey]);
    assert!(
        r.ok().starts_with("audit passed: 40 entries"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("tiles     not checked: there are no tiles")
    );
    assert!(
        r.stdout
            .contains("index not checked: there is no content index")
    );
    let r = Run::from(
        std::process::Command::new(prov_tests::prov_bin())
            .current_dir(w.tmp.path())
            .env_remove("PROV_LEDGER")
            .args([
                "audit",
                "--ledger",
                "bundle",
                "--key",
                "bundle/ledger.vkey",
                "--json",
            ])
            .output()
            .unwrap(),
    );
    let audit = r.json();
    assert_eq!(audit["ok"], true, "{audit}");
    assert_eq!(audit["entries"], 40);
    assert!(audit["tiles_not_checked"].is_string() && audit["index_not_checked"].is_string());
    // The bundle's checkpoint is one the ledger went on from.
    w.run(&["consistency", "bundle/checkpoint", "-o", "since.txt"])
        .ok();
    let r = w.run(&[
        "verify-consistency",
        "bundle/checkpoint",
        "since.txt",
        "--key",
        "bundle/ledger.vkey",
        "--json",
    ]);
    let v = r.json();
    assert_eq!(
        (v["consistent"].clone(), v["old_size"].clone()),
        (true.into(), 40.into())
    );
    assert_eq!(v["new_size"], 200);
}

#[test]
fn an_audit_bundle_is_never_written_into_the_ledger_or_a_full_folder() {
    let w = Workspace::new();
    w.init();
    w.write("full/x", "x");
    let before = w.ledger_state();
    for (dir, why) in [
        ("ledger", "is the ledger folder itself"),
        ("ledger/bundle", "lies inside the ledger folder"),
        ("full", "is not empty"),
    ] {
        w.run(&["export", "--audit-bundle", dir]).fails(3, why);
        let v = json_error(&w.run(&["export", "--audit-bundle", dir, "--json"]), 3);
        assert!(
            v["hint"]
                .as_str()
                .unwrap()
                .starts_with("give a new or empty folder")
        );
    }
    assert_eq!(w.ledger_state(), before);
    assert!(!w.path("ledger/bundle").exists());
    // An empty folder is taken, and --format with it is a usage error.
    std::fs::create_dir(w.path("empty")).unwrap();
    let r = w.run(&["export", "--audit-bundle", "empty"]);
    assert!(
        r.ok().starts_with("wrote an audit bundle of 0 entries"),
        "{}",
        r.stdout
    );
    w.run(&["export", "--audit-bundle", "x", "--format", "csv"])
        .fails(2, "cannot be used with");
}
