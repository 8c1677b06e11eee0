//! The rough edges a new user hits in the first hour: missing arguments named with the
//! usage, answers that say everything (nothing added and why, the unknown files, a short
//! hash, the checkpoints, a swapped file, "1 entry"), and a re-run that says one line.

use prov_tests::{Run, Workspace};
use sha2::{Digest, Sha256};

fn sha(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

#[test]
fn a_missing_argument_is_named_with_the_usage_line_and_an_example() {
    let w = Workspace::new();
    w.init();
    w.write("file", "x");
    let h = sha(b"x");
    // Each with the example of its `--help` that gives what is missing.
    for (args, named, example) in [
        (
            vec!["add", "file"],
            "--source <SOURCE>",
            "for example `prov add ./dump --source https://leak.example/dump-1 --meta case=2026-17`",
        ),
        (
            vec!["verify-proof", "x"],
            "--key <KEY>",
            "for example `prov verify-proof memo.tlog-proof --key \"$(cat ledger.vkey)\" --document memo.pdf`",
        ),
        (
            vec!["add", "--sha256", &h, "--source", "s"],
            "--size <SIZE>",
            "for example `prov add --sha256 5891b5b5...be03 --size 6 --source 'court exhibit 12'`",
        ),
        (
            vec!["add", "--sha256", &h],
            "--size <SIZE>",
            "--size 6 --source",
        ),
        (
            vec!["witness", "serve", "--dir", "w"],
            "--log <VKEY>",
            "for example `prov witness serve --dir /srv/witness",
        ),
        (
            vec!["dkim-key", "add", "--domain", "d"],
            "--selector <SELECTOR>",
            "--txt-file k.txt --source 'dns:may2017._domainkey.mail.example.org via 9.9.9.9'`",
        ),
    ] {
        let r = w.run(&args);
        r.fails(2, named);
        assert!(r.stderr.contains(example), "{}", r.stderr);
        // The help page named is the command's own, subcommand and all.
        let cmd = if args[0] == "add" || args[0] == "verify-proof" {
            args[0].to_owned()
        } else {
            format!("{} {}", args[0], args[1])
        };
        assert!(
            r.stderr.contains(&format!("; see `prov {cmd} --help`)")),
            "{}",
            r.stderr
        );
        assert!(
            !r.stderr.contains("provided: ("),
            "empty list: {}",
            r.stderr
        );
        assert!(
            r.stderr.contains(&format!("(usage: prov {cmd} ")),
            "{}",
            r.stderr
        );
    }
    // A mistyped command keeps clap's suggestion, on the same one line.
    let r = w.run(&["ad", "file"]);
    r.fails(
        2,
        "unrecognized subcommand 'ad'; some similar subcommands exist:",
    );
    assert!(r.stderr.contains("'add'"), "{}", r.stderr);
    assert_eq!(w.run(&["log"]).ok(), "", "nothing was recorded");
}

#[test]
fn re_adding_with_new_metadata_says_nothing_was_added_and_why() {
    let w = Workspace::new();
    w.init();
    w.write("a.txt", "alpha");
    w.run(&["add", "a.txt", "--source", "s", "--meta", "case=1"])
        .ok();
    let r = w.run(&["add", "a.txt", "--source", "s", "--meta", "case=2"]);
    assert!(
        r.ok()
            .starts_with("nothing added: the document was already recorded from this source"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("the ledger holds 1 entry\n"),
        "{}",
        r.stdout
    );
    assert_eq!(r.stdout.lines().count(), 1, "{}", r.stdout);
    assert!(
        r.stderr.contains("the --meta given now was not recorded") && r.stderr.contains("entry 0"),
        "{}",
        r.stderr
    );
    let shown = w.run(&["show", "0", "--json"]).json();
    assert_eq!(
        shown["metadata"]["case"], "1",
        "the first recording's metadata stays"
    );
    // A plain re-run with the same fields has nothing to explain.
    let r = w.run(&["add", "a.txt", "--source", "s", "--meta", "case=1"]);
    assert!(r.ok().starts_with("nothing added"), "{}", r.stdout);
    assert_eq!(r.stderr, "", "no note for the same fields");
}

#[test]
fn a_rerun_prints_one_summary_and_lists_each_file_only_when_asked() {
    let w = Workspace::new();
    w.init();
    for i in 0..3 {
        w.write(&format!("d/{i}.txt"), format!("doc {i}"));
    }
    let first = w.run(&["add", "d", "--source", "s"]);
    assert_eq!(
        first
            .ok()
            .lines()
            .filter(|l| l.starts_with("first seen"))
            .count(),
        3
    );
    assert!(
        first.stdout.contains("3 documents: 3 first seen"),
        "{}",
        first.stdout
    );
    let again = w.run(&["add", "d", "--source", "s"]);
    assert_eq!(
        again.ok(),
        "nothing added: all 3 documents were already recorded from this source (the ledger records each content, source and place once; `-v` lists them); the ledger holds 3 entries\n"
    );
    let verbose = w.run(&["add", "d", "--source", "s", "-v"]);
    let lines: Vec<&str> = verbose.ok().lines().collect();
    assert_eq!(lines.len(), 4, "{}", verbose.stdout);
    assert!(
        lines[..3]
            .iter()
            .all(|l| l.starts_with("already recorded  d/")),
        "{lines:?}"
    );
    // --json is unchanged: one object per document.
    let json = w.run(&["add", "d", "--source", "s", "--json"]).jsonl();
    assert_eq!(json.len(), 3);
    assert!(json.iter().all(|l| l["status"] == "already_recorded"));
}

/// The progress bar is drawn only on a terminal: `script` gives the command one.
#[test]
fn the_progress_bar_shows_files_and_bytes() {
    let w = Workspace::new();
    w.init();
    for i in 0..20 {
        w.write(&format!("d/{i:02}.txt"), format!("document number {i}"));
    }
    let prov = prov_tests::prov_bin();
    let line = format!(
        "{} --ledger {} add {} --source s --batch 5",
        prov.display(),
        w.ledger().display(),
        w.path("d").display()
    );
    let o = std::process::Command::new("script")
        .args(["-qec", &line, "/dev/null"])
        .current_dir(w.tmp.path())
        .env_remove("PROV_LEDGER")
        .stdin(std::process::Stdio::null())
        .output();
    let Ok(o) = o else {
        prov_tests::skip("script (util-linux) is not installed");
        return;
    };
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{text}");
    assert!(text.contains("/20 files recorded"), "{text}");
    assert!(text.contains(" B/") && text.contains("hashed"), "{text}");
    // With --json, even on a terminal, nothing but JSON objects: no bar.
    w.write("d/new.txt", "one more");
    let o = std::process::Command::new("script")
        .args(["-qec", &format!("{line} --json"), "/dev/null"])
        .current_dir(w.tmp.path())
        .env_remove("PROV_LEDGER")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{text}");
    assert!(!text.contains("files recorded"), "{text}");
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line.trim_end_matches('\r'))
            .unwrap_or_else(|e| panic!("not JSON ({e}): {line:?}"));
        assert!(v.is_object(), "{line}");
    }
}

#[test]
fn check_quiet_prints_the_unknown_files() {
    let w = Workspace::new();
    w.init();
    w.write("known.txt", "known");
    w.write("new.txt", "new");
    w.run(&["add", "known.txt", "--source", "s"]).ok();
    let r = w.run(&["check", "-q", "known.txt", "new.txt"]);
    r.fails(1, "1 of 2 documents is unknown to this ledger");
    assert_eq!(
        r.stdout,
        format!("unknown  new.txt  (sha256 {})\n", sha(b"new"))
    );
    w.run(&["check", "-q", "new.txt"])
        .fails(1, "1 of 1 document is unknown");
}

/// Two contents whose SHA-256s share their first four hex digits.
fn colliding_prefix() -> (String, String, String) {
    let mut seen = std::collections::HashMap::new();
    for i in 0u32.. {
        let text = format!("doc {i}");
        let h = sha(text.as_bytes());
        if let Some(other) = seen.insert(h[..4].to_owned(), text.clone()) {
            return (h[..4].to_owned(), other, text);
        }
    }
    unreachable!()
}

#[test]
fn show_takes_the_short_hash_that_log_prints() {
    let w = Workspace::new();
    w.init();
    let (prefix, a, b) = colliding_prefix();
    w.write("a.txt", &a);
    w.write("b.txt", &b);
    w.write("c.txt", "third");
    w.run(&["add", "a.txt", "b.txt", "c.txt", "--source", "s1"])
        .ok();
    w.run(&["add", "c.txt", "--source", "s2"]).ok();
    // The hash column of `log` (the fourth field) as the user copies it.
    let log = w.run(&["log"]).ok().to_owned();
    let short = log
        .lines()
        .nth(2)
        .unwrap()
        .split_whitespace()
        .nth(3)
        .unwrap();
    assert_eq!(short.len(), 16);
    let r = w.run(&["show", short]);
    assert!(r.ok().contains(&sha(b"third")), "{}", r.stdout);
    let shown = w.run(&["show", short, "--json"]).jsonl();
    assert_eq!(shown.len(), 2, "the first sighting and the later one");
    assert_eq!(shown[1]["kind"], "sighting");
    assert_eq!(w.run(&["show", &short.to_uppercase()]).ok(), r.stdout);
    w.run(&["show", &prefix]).fails(
        3,
        &format!("2 documents have a SHA-256 that starts with {prefix}: give more"),
    );
    let absent = (0..16u8)
        .map(|d| format!("{d:x}{}", &prefix[1..]))
        .find(|p| {
            ![a.as_str(), b.as_str(), "third"]
                .iter()
                .any(|t| sha(t.as_bytes()).starts_with(p))
        })
        .unwrap();
    w.run(&["show", &absent])
        .fails(1, "no entry has a SHA-256 that starts with");
    w.run(&["show", "abc"])
        .fails(3, "at least its first 4 hex digits");
    w.run(&["show", "7"])
        .fails(8, "no entry 7: the ledger has 4 entries");
}

#[test]
fn checkpoints_lists_the_sizes_that_prove_at_takes() {
    let w = Workspace::new();
    w.init();
    w.write("a.txt", "alpha");
    w.write("b.txt", "beta");
    w.run(&["add", "a.txt", "--source", "s"]).ok();
    w.run(&["add", "b.txt", "--source", "s"]).ok();
    let r = w.run(&["checkpoints"]);
    let lines: Vec<&str> = r.ok().lines().collect();
    assert!(
        lines[0].contains("size") && lines[0].contains("root"),
        "{lines:?}"
    );
    let sizes: Vec<&str> = lines[1..4]
        .iter()
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(sizes, ["0", "1", "2"]);
    assert!(lines[4].starts_with("3 checkpoints"), "{lines:?}");
    let json = w.run(&["checkpoints", "--json"]).jsonl();
    assert_eq!(json.len(), 3);
    assert!(json[0]["last_entry_time"].is_null());
    let entry1 = w.run(&["show", "1", "--json"]).json();
    assert_eq!(json[2]["last_entry_time"], entry1["time"]);
    let cp = w.run(&["checkpoint", "--size", "1", "--json"]).json();
    assert_eq!(json[1]["root"], cp["root"]);
    w.run(&["prove", "0", "--at", "1"]).ok();
}

#[test]
fn a_consistency_check_with_its_files_swapped_says_which_is_which() {
    let w = Workspace::new();
    let vkey = w.init();
    w.write("a.txt", "alpha");
    w.run(&["add", "a.txt", "--source", "s"]).ok();
    w.write("cp.txt", w.run(&["checkpoint"]).ok());
    w.write("b.txt", "beta");
    w.run(&["add", "b.txt", "--source", "s"]).ok();
    w.run(&["consistency", "cp.txt", "-o", "proof.txt"]).ok();
    let verify = |old: &str, proof: &str| -> Run {
        w.run(&["verify-consistency", old, proof, "--key", &vkey])
    };
    let r = verify("cp.txt", "proof.txt");
    assert!(r.ok().contains("grew from 1 to 2 entries"), "{}", r.stdout);
    verify("proof.txt", "cp.txt").fails(
        3,
        "the two files are swapped: proof.txt is a consistency proof and cp.txt a checkpoint",
    );
    verify("cp.txt", "cp.txt").fails(3, "cp.txt is a checkpoint, not a consistency proof");
    verify("proof.txt", "proof.txt").fails(3, "proof.txt is a consistency proof, not a checkpoint");
    w.run(&["consistency", "proof.txt"])
        .fails(3, "is a consistency proof, not a checkpoint");
}

#[test]
fn one_is_singular_wherever_a_count_is_printed() {
    let w = Workspace::new();
    let vkey = w.init();
    w.write("cp0.txt", w.run(&["checkpoint"]).ok());
    w.write("a.txt", "a");
    let mut all = String::new();
    let mut keep = |r: Run| {
        all += &r.stdout;
        all += &r.stderr;
    };
    keep(w.run(&["add", "a.txt", "--source", "s"]));
    keep(w.run(&["add", "a.txt", "--source", "s"]));
    keep(w.run(&["show", "0"]));
    keep(w.run(&["log", "--from", "5"]));
    keep(w.run(&["prove", "3"]));
    keep(w.run(&["audit"]));
    keep(w.run(&["reindex"]));
    keep(w.run(&["publish", "pub"]));
    keep(w.run(&["checkpoints"]));
    keep(w.run(&["consistency", "cp0.txt", "-o", "p.txt"]));
    keep(w.run(&["verify-consistency", "cp0.txt", "p.txt", "--key", &vkey]));
    for one in [
        "1 entry\n",
        "1 entry,",
        "size        1 byte\n",
        "1 first seen",
        "published 1 entry ",
    ] {
        assert!(all.contains(one), "{one:?} missing from:\n{all}");
    }
    for wrong in [
        "1 entries",
        "1 bytes",
        "1 documents",
        "1 checkpoints",
        "1 sightings",
        "1 new tiles",
    ] {
        assert!(!all.contains(wrong), "{wrong:?} in:\n{all}");
    }
}
