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
