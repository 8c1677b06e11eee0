//! Hash lists as archivists have them: real `sha256sum` output (escaped names included), a
//! BagIt bag made by the Library of Congress's `bagit` (Python), and a JSON Lines manifest
//! whose lines carry an email's own date, recorded in one batch; and back out again as
//! `prov export --format sha256sum` (checked by `sha256sum -c`) and `--format bagit`
//! (validated by `bagit`). See also `manifest.rs` for prov's own form.

use prov_tests::{Run, Workspace};
use std::process::Command;

/// Names that coreutils writes escaped (a backslash, a newline, a carriage return).
const FILES: [(&str, &str); 4] = [
    ("plain name.txt", "plain"),
    ("back\\slash.txt", "backslash"),
    ("new\nline.txt", "newline!"),
    ("cr\rname.txt", "cr"),
];

/// Runs a tool in the workspace's folder `dir`; `None` when it is not installed.
fn tool(w: &Workspace, dir: &str, program: &str, args: &[&str]) -> Option<Run> {
    let o = Command::new(program)
        .args(args)
        .current_dir(w.path(dir))
        .output()
        .ok()?;
    Some(Run::from(o))
}

/// Whether Python's `bagit` module is here (CI installs it; elsewhere the test skips).
pub fn have_bagit() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import bagit"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        prov_tests::skip("Python's bagit is not installed (pip install bagit)");
    }
    ok
}

/// Every entry's (name, size, metadata), from `prov export`.
fn recorded(w: &Workspace) -> Vec<(String, u64, serde_json::Value)> {
    w.run(&["export"])
        .jsonl()
        .into_iter()
        .map(|e| {
            (
                e["name"].as_str().unwrap_or_default().to_owned(),
                e["size"].as_u64().unwrap(),
                e["metadata"].clone(),
            )
        })
        .collect()
}

fn checkpoints(w: &Workspace) -> usize {
    w.run(&["checkpoints", "--json"]).jsonl().len()
}

#[test]
fn sha256sum_output_is_recorded_with_escaped_names_and_sizes_from_the_files() {
    let w = Workspace::new();
    w.init();
    for (name, body) in FILES {
        w.write(&format!("dump/{name}"), body);
    }
    let names: Vec<&str> = FILES.iter().map(|(n, _)| *n).collect();
    // Text mode for two, binary mode for the others, as people mix them.
    let Some(text) = tool(&w, "dump", "sha256sum", &names[..2]) else {
        return prov_tests::skip("sha256sum is not installed");
    };
    let binary = tool(&w, "dump", "sha256sum", &[&["-b"], &names[2..]].concat()).unwrap();
    let sums = format!("{}{}", text.ok(), binary.ok());
    assert!(sums.contains("\\"), "coreutils escaped nothing: {sums}");
    assert!(sums.contains(" *"), "{sums}");
    w.write("dump/SHA256SUMS", &sums);
    let before = checkpoints(&w);
    w.run(&["add", "--manifest", "dump/SHA256SUMS", "--source", "s"])
        .ok();
    assert_eq!(checkpoints(&w), before + 1, "one batch, one checkpoint");
    let got = recorded(&w);
    for (name, body) in FILES {
        assert!(
            got.iter()
                .any(|(n, s, _)| n == name && *s == body.len() as u64),
            "{name:?} not recorded with its size: {got:?}"
        );
    }
    // A line whose file is not there: which line, and how to give the size; nothing recorded.
    w.write(
        "dump/MORE",
        format!("{}{}  gone.pdf\n", text.ok(), &"ab".repeat(32)),
    );
    let state = w.ledger_state();
    let r = w.run(&["add", "--manifest", "dump/MORE", "--source", "t"]);
    r.fails(3, "dump/MORE:3: no size");
    assert!(r.stderr.contains("dump/gone.pdf"), "{}", r.stderr);
    assert!(r.stderr.contains("\"size\": BYTES"), "{}", r.stderr);
    assert_eq!(w.ledger_state(), state);
    // Given as prov's own form, the same line is read as that.
    let r = w.run(&[
        "add",
        "--manifest",
        "dump/MORE",
        "--manifest-format",
        "prov",
        "--source",
        "t",
    ]);
    r.fails(3, "dump/MORE:1: expected `<sha256 hex> <size> <name>`");
}

#[test]
fn a_bag_made_by_bagit_is_recorded_by_payload_path_and_checked_against_its_oxum() {
    let w = Workspace::new();
    w.init();
    if !have_bagit() {
        return;
    }
    w.write("bag/report.pdf", "%PDF-1.7 report");
    w.write("bag/mail/1.eml", "From: a\r\n\r\nhello");
    let made = tool(&w, ".", "python3", &["-m", "bagit", "bag"]).unwrap();
    assert_eq!(made.code, 0, "{}", made.stderr);
    let manifest = std::fs::read_to_string(w.path("bag/manifest-sha256.txt")).unwrap();
    assert!(manifest.contains("  data/mail/1.eml\n"), "{manifest}");
    w.run(&[
        "add",
        "--manifest",
        "bag/manifest-sha256.txt",
        "--source",
        "bag",
    ])
    .ok();
    let mut names: Vec<_> = recorded(&w).into_iter().map(|(n, s, _)| (n, s)).collect();
    names.sort();
    assert_eq!(
        names,
        [("mail/1.eml".to_owned(), 16), ("report.pdf".to_owned(), 15)]
    );
    // A payload that no longer adds up to the bag's Payload-Oxum is refused whole.
    let info = std::fs::read_to_string(w.path("bag/bag-info.txt")).unwrap();
    w.write(
        "bag/bag-info.txt",
        info.replace("Payload-Oxum: 31.2", "Payload-Oxum: 31.3"),
    );
    let state = w.ledger_state();
    w.run(&[
        "add",
        "--manifest",
        "bag/manifest-sha256.txt",
        "--source",
        "other",
    ])
    .fails(
        3,
        "Payload-Oxum says 31 bytes in 3 files, but the manifest lists 31 bytes in 2 files",
    );
    assert_eq!(w.ledger_state(), state);
}

#[test]
fn a_json_lines_manifest_records_301_emails_with_their_own_dates_in_one_checkpoint() {
    let w = Workspace::new();
    w.init();
    let mut lines = String::new();
    for i in 0..301u32 {
        let sha = format!("{:064x}", u64::from(i) + 1);
        let date = format!("Tue, 3 Mar 2026 09:{:02}:{:02} +0000", i / 60, i % 60);
        lines += &format!(
            "{{\"sha256\":\"{sha}\",\"size\":{},\"name\":\"mail/{i}.eml\",\"media_type\":\"message/rfc822\",\"meta\":{{\"email.date\":\"{date}\"{}}}}}\n",
            100 + i,
            // The line's own value wins over the command's --meta for the same key.
            if i == 7 { ",\"case\":\"7-own\"" } else { "" }
        );
    }
    w.write("mails.jsonl", &lines);
    let before = checkpoints(&w);
    w.run(&[
        "add",
        "--manifest",
        "mails.jsonl",
        "--source",
        "mailbox:acme",
        "--meta",
        "case=2026-17",
    ])
    .ok();
    assert_eq!(checkpoints(&w), before + 1, "301 documents, one checkpoint");
    let got = recorded(&w);
    assert_eq!(got.len(), 301);
    assert_eq!(got[0].0, "mail/0.eml");
    assert_eq!(got[0].2["email.date"], "Tue, 3 Mar 2026 09:00:00 +0000");
    assert_eq!(got[0].2["case"], "2026-17");
    assert_eq!(got[300].2["email.date"], "Tue, 3 Mar 2026 09:05:00 +0000");
    assert_eq!(got[7].2["case"], "7-own");
    let e = w.run(&["show", "5", "--json"]).json();
    assert_eq!(e["media_type"], "message/rfc822");
    // A reply that links to an earlier entry, and a misspelt field, named by its line.
    let sha = format!("{:064x}", 9999);
    w.write(
        "reply.jsonl",
        format!(
            "{{\"sha256\":\"{sha}\",\"size\":5,\"name\":\"re.eml\",\"related\":[{{\"relation\":\"reply_to\",\"seq\":3}}]}}\n"
        ),
    );
    w.run(&["add", "--manifest", "reply.jsonl", "--source", "s"])
        .ok();
    let e = w.run(&["show", "301", "--json"]).json();
    assert_eq!(e["related"][0]["relation"], "reply_to");
    assert_eq!(e["related"][0]["seq"], 3);
    w.write(
        "typo.jsonl",
        format!("{{\"sha256\":\"{sha}\",\"size\":5}}\n{{\"sha256\":\"{sha}\",\"sise\":5}}\n"),
    );
    w.run(&["add", "--manifest", "typo.jsonl", "--source", "s"])
        .fails(3, "typo.jsonl:2: not a manifest line: unknown field `sise`");
}

/// A ledger of [`FILES`] added from `dump/` with a URL source, and with `unnamed`, one entry
/// with no name.
fn exported_ledger(w: &Workspace, unnamed: bool) -> String {
    let vkey = w.init();
    for (name, body) in FILES {
        w.write(&format!("dump/{name}"), body);
    }
    w.run(&["add", "dump", "--source", "https://leaks.example/acme"])
        .ok();
    if unnamed {
        let sha = format!("{:064x}", 42);
        let add = [
            "add",
            "--sha256",
            &sha,
            "--size",
            "3",
            "--source",
            "exhibit 4",
        ];
        w.run(&add).ok();
    }
    vkey
}

#[test]
fn export_as_sha256sum_is_checked_by_sha256sum_where_the_files_are() {
    let w = Workspace::new();
    exported_ledger(&w, true);
    let r = w.run(&["export", "--format", "sha256sum"]);
    let sums = r.ok().to_owned();
    assert!(r.stderr.contains("1 entry has no name"), "{}", r.stderr);
    assert_eq!(
        sums.lines().filter(|l| l.starts_with('\\')).count(),
        3,
        "{sums}"
    );
    w.write("dump/SUMS", &sums);
    let Some(check) = tool(&w, "dump", "sha256sum", &["-c", "--strict", "SUMS"]) else {
        return prov_tests::skip("sha256sum is not installed");
    };
    assert_eq!(check.code, 0, "{}{}", check.stdout, check.stderr);
    assert_eq!(check.stdout.matches(": OK").count(), 4, "{}", check.stdout);
    // A changed file is caught by the same check.
    w.write("dump/plain name.txt", "changed");
    let check = tool(&w, "dump", "sha256sum", &["-c", "SUMS"]).unwrap();
    assert_eq!(check.code, 1, "{}", check.stdout);
    // And the list reads back as a manifest: every document already recorded from there.
    w.write("dump/plain name.txt", "plain");
    let again = w.run(&[
        "add",
        "--manifest",
        "dump/SUMS",
        "--source",
        "https://leaks.example/acme",
    ]);
    assert!(again.ok().contains("nothing added"), "{}", again.stdout);
    w.run(&["export", "--format", "sha256sum", "--json"])
        .fails_json(2, "leave out --json");
}

#[test]
fn export_as_a_holey_bag_validates_with_bagit_once_its_payload_is_in_place() {
    let w = Workspace::new();
    let vkey = exported_ledger(&w, false);
    if !have_bagit() {
        return;
    }
    w.run(&["export", "--format", "bagit"]).fails(2, "DIR");
    // A claim is an entry but no payload file: the bag's Payload-Oxum counts the files.
    w.run(&["claim", "0", "--verdict", "authentic", "--by", "desk"])
        .ok();
    let r = w.run(&["export", "--format", "bagit", "bag", "--json"]);
    let v = r.json();
    assert_eq!(
        (
            v["entries"].as_u64(),
            v["files"].as_u64(),
            v["fetch"].as_u64()
        ),
        (Some(5), Some(4), Some(4)),
        "{v}"
    );
    let info = std::fs::read_to_string(w.path("bag/bag-info.txt")).unwrap();
    let oxum = info.lines().find_map(|l| l.strip_prefix("Payload-Oxum: "));
    assert_eq!(oxum, Some(&*format!("{}.4", v["bytes"])), "{info}");
    w.run(&["export", "--format", "bagit", "bag"])
        .fails(3, "not empty");
    let fetch = std::fs::read_to_string(w.path("bag/fetch.txt")).unwrap();
    assert!(fetch.starts_with("https://leaks.example/acme "), "{fetch}");
    // As written: a well-formed bag with holes, so not yet complete.
    let py = |code: &str| tool(&w, ".", "python3", &["-c", code]).unwrap();
    let holey = py("import bagit; b = bagit.Bag('bag'); b.validate_fetch(); print(b.is_valid())");
    assert_eq!(holey.stdout.trim(), "False", "{}", holey.stderr);
    // Each file put where the manifest says completes it; bagit then checks every hash, the
    // Payload-Oxum and the tag manifest (bagit.txt, bag-info.txt, fetch.txt, prov/...).
    let manifest = std::fs::read_to_string(w.path("bag/manifest-sha256.txt")).unwrap();
    for line in manifest.lines() {
        let path = &line[66..];
        let seq: u64 = path.split('/').nth(1).unwrap().parse().unwrap();
        let name = w.run(&["show", &seq.to_string(), "--json"]).json()["name"].clone();
        let body = std::fs::read(w.path(&format!("dump/{}", name.as_str().unwrap()))).unwrap();
        let real = path.replace("%0A", "\n").replace("%0D", "\r");
        w.write(&format!("bag/{real}"), body);
    }
    for args in [&["--validate"][..], &["--validate", "--fast"]] {
        let r = tool(
            &w,
            ".",
            "python3",
            &[&["-m", "bagit"], args, &["bag"]].concat(),
        )
        .unwrap();
        assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
    }
    // Each entry's proof verifies against the bag's own checkpoint and the published key.
    w.run(&[
        "verify-proof",
        "bag/prov/proofs/0.tlog-proof",
        "--key",
        &vkey,
        "--document",
        &format!(
            "dump/{}",
            w.run(&["show", "0", "--json"]).json()["name"]
                .as_str()
                .unwrap()
        ),
    ])
    .ok();
}
