//! Leaks as they arrive (issue 12): archives and mailboxes recorded member by member, each
//! linked to what held it, with each container's completeness signed, and `check` finding a
//! file extracted by the system's own tools through its chain of containers.
//!
//! The containers are made by real tools: Python's `email`, `mailbox` and `zipfile`, and
//! the system's `zip`, `tar` and `gzip`; members are extracted again by `unzip` and `tar`.

use prov_tests::{Workspace, skip};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

fn have(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Runs `program -c script` in `dir`, which must succeed.
fn script(program: &str, dir: &Path, script: &str) {
    let o = Command::new(program)
        .arg("-c")
        .arg(script)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{program}: {script}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

fn sh(dir: &Path, s: &str) {
    script("sh", dir, s)
}

fn python(dir: &Path, s: &str) {
    script("python3", dir, s)
}

/// Three emails with attachments (one logo shared by all), a copy of one email elsewhere in
/// the dump, and an mbox holding two of them, made with Python's email library.
const MAKE_MAILBOXES: &str = r#"
import os, mailbox
from email.message import EmailMessage
os.makedirs('dump/mailboxes/e.lefevre/Sent', exist_ok=True)
box = mailbox.mbox('dump/archive.mbox')
for i in range(3):
    m = EmailMessage()
    m['From'] = 'e.lefevre@example.org'; m['To'] = 'partner@example.com'
    m['Subject'] = 'Contrat %d' % i; m['Date'] = 'Fri, 05 May 2017 14:02:1%d +0200' % i
    m['Message-ID'] = '<%d@example.org>' % i
    m.set_content('Voir la piece jointe %d.\n' % i)
    m.add_attachment(b'%PDF-1.4 contract number ' + bytes([48 + i]) * 50, maintype='application', subtype='pdf', filename='contrat%d.pdf' % i)
    m.add_attachment(b'\x89PNG logo' * 40, maintype='image', subtype='png', filename='logo.png')
    data = bytes(m)
    open('dump/mailboxes/e.lefevre/Sent/%04d.eml' % i, 'wb').write(data)
    if i < 2:
        box.add(m)
box.flush(); box.close()
open('dump/copy-of-0001.eml', 'wb').write(open('dump/mailboxes/e.lefevre/Sent/0001.eml', 'rb').read())
"#;

fn tools(tools: &[&str]) -> bool {
    for t in tools {
        if !have(t) {
            skip(&format!("`{t}` is not installed (.ci/run installs it)"));
            return false;
        }
    }
    true
}

fn entries(w: &Workspace) -> Vec<Value> {
    w.run(&["export", "--format", "jsonl"]).jsonl()
}

fn meta<'a>(e: &'a Value, key: &str) -> Option<&'a str> {
    e["metadata"][key].as_str()
}

/// Every member links to a container whose entry counts it: for each container, the entries
/// linked to it are exactly as many as its `container.recorded` says.
fn assert_links_match_completeness(all: &[Value]) {
    assert!(
        all.iter().any(|e| meta(e, "container.found").is_some()),
        "no container among the entries: nothing to check"
    );
    let mut linked: BTreeMap<u64, u64> = BTreeMap::new();
    for e in all {
        if let Some(c) = contained_in(e) {
            *linked.entry(c).or_default() += 1;
        }
    }
    for e in all {
        let seq = e["seq"].as_u64().unwrap();
        if let Some(found) = meta(e, "container.found") {
            let n = |k: &str| meta(e, k).unwrap_or("0").parse::<u64>().unwrap();
            assert_eq!(
                found.parse::<u64>().unwrap(),
                n("container.directories")
                    + n("container.recorded")
                    + n("container.repeated")
                    + n("container.not_recorded"),
                "found = directories + recorded + not recorded: {e}"
            );
        }
        match meta(e, "container.recorded") {
            Some(n) => assert_eq!(
                linked.get(&seq).copied().unwrap_or(0).to_string(),
                n,
                "entry {seq} counts {n} members: {e}"
            ),
            None => assert!(!linked.contains_key(&seq), "entry {seq} holds members: {e}"),
        }
    }
}

fn contained_in(e: &Value) -> Option<u64> {
    e["related"]
        .as_array()?
        .iter()
        .find(|r| r["relation"] == "contained_in")
        .and_then(|r| r["seq"].as_u64())
}

#[test]
fn a_dump_of_archives_is_recorded_member_by_member_and_extracted_files_are_found_through_their_containers()
 {
    if !tools(&["python3", "zip", "unzip", "tar", "gzip"]) {
        return;
    }
    let w = Workspace::new();
    w.init();
    let dir = w.tmp.path();
    python(dir, MAKE_MAILBOXES);
    // A zip of the mailboxes made by the system's zip, and a tar.gz holding that zip and
    // the mbox: a zip in a tar in a gzip.
    sh(
        dir,
        "cd dump && zip -qr ../EMLEAKS-3.zip mailboxes copy-of-0001.eml && cd .. && mkdir -p drop && cp EMLEAKS-3.zip dump/archive.mbox drop/ && tar -czf leak.tar.gz -C drop .",
    );
    let added = w.run(&["--json", "add", "-s", "4chan mirror", "leak.tar.gz"]);
    let docs = added.documents();
    assert!(added.code == 0, "{}", added.stderr);
    let all = entries(&w);
    // Every entry but the first was found inside another, earlier one.
    assert_eq!(all[0]["name"], "leak.tar.gz");
    assert_eq!(contained_in(&all[0]), None);
    for e in &all[1..] {
        let c = contained_in(e).unwrap_or_else(|| panic!("no container: {e}"));
        assert!(c < e["seq"].as_u64().unwrap());
    }
    assert_eq!(docs.len(), all.len(), "one result per entry on a first add");
    for d in &docs {
        let e = &all[d["seq"].as_u64().unwrap() as usize];
        assert_eq!(d["contained_in"].as_u64(), contained_in(e), "{d}");
    }

    // Completeness: the zip says how many entries it declares and how many members were
    // recorded; the ledger alone shows as many entries linked to it.
    let zip = all
        .iter()
        .find(|e| e["media_type"] == "application/zip")
        .expect("the zip has an entry");
    let zip_seq = zip["seq"].as_u64().unwrap();
    let listed = String::from_utf8(
        Command::new("unzip")
            .args(["-Z1"])
            .arg(dir.join("EMLEAKS-3.zip"))
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let files = listed.lines().filter(|l| !l.ends_with('/')).count();
    assert_eq!(meta(zip, "container.format"), Some("zip"));
    assert_eq!(
        meta(zip, "container.declared"),
        Some(listed.lines().count().to_string().as_str())
    );
    assert_eq!(
        meta(zip, "container.recorded"),
        Some(files.to_string().as_str())
    );
    assert_eq!(meta(zip, "container.not_recorded"), Some("0"));
    let linked = all
        .iter()
        .filter(|e| contained_in(e) == Some(zip_seq))
        .count();
    assert_eq!(linked, files);

    // Paths: relative to the container, so the same email at two paths is two records.
    let names: Vec<&str> = all.iter().filter_map(|e| e["name"].as_str()).collect();
    assert!(
        names.contains(&"mailboxes/e.lefevre/Sent/0001.eml"),
        "{names:?}"
    );
    assert!(names.contains(&"copy-of-0001.eml"), "{names:?}");
    // The mbox's messages are named by position.
    let mbox = all
        .iter()
        .find(|e| e["media_type"] == "application/mbox")
        .expect("the mbox has an entry");
    let messages: Vec<&Value> = all
        .iter()
        .filter(|e| contained_in(e) == mbox["seq"].as_u64())
        .collect();
    assert_eq!(messages.len(), 2);
    assert_eq!(meta(messages[1], "container.part"), Some("2"));

    // Extracted by the system's tools, every file is known, with its chain of containers.
    sh(
        dir,
        "mkdir -p out && cd out && tar -xzf ../leak.tar.gz && mkdir z && cd z && unzip -q ../EMLEAKS-3.zip",
    );
    let check = w.run(&["--json", "check", "out"]);
    assert_eq!(check.code, 0, "{}\n{}", check.stdout, check.stderr);
    for v in check.jsonl() {
        assert_eq!(v["known"], true, "{v}");
    }
    // An attachment pulled out by hand from an email: first seen through the email, the zip
    // and the tar.gz, innermost first.
    python(
        dir,
        r#"
import email
m = email.message_from_bytes(open('out/z/mailboxes/e.lefevre/Sent/0002.eml', 'rb').read())
for p in m.walk():
    if p.get_filename() == 'contrat2.pdf':
        open('contrat2.pdf', 'wb').write(p.get_payload(decode=True))
"#,
    );
    let one = w.run(&["--json", "check", "contrat2.pdf"]).json();
    let chain: Vec<&str> = one["first_seen"]["containers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap_or("(no name)"))
        .collect();
    assert_eq!(
        chain,
        // The tar inside the gzip has no name of its own (tar -z stores none).
        [
            "mailboxes/e.lefevre/Sent/0002.eml",
            "./EMLEAKS-3.zip",
            "(no name)",
            "leak.tar.gz"
        ],
        "{one}"
    );
    let human = w.run(&["check", "contrat2.pdf"]);
    assert!(
        human
            .ok()
            .contains("in mailboxes/e.lefevre/Sent/0002.eml (entry "),
        "{}",
        human.stdout
    );
    assert!(
        human
            .stdout
            .contains("leak.tar.gz (entry 0, from 4chan mirror at ")
    );
    // What the email claims about itself is kept apart from when the ledger saw it.
    let email = &all[one["first_seen"]["containers"][0]["seq"].as_u64().unwrap() as usize];
    assert_eq!(meta(email, "email.subject"), Some("Contrat 2"));
    assert_eq!(
        meta(email, "email.date"),
        Some("Fri, 05 May 2017 14:02:12 +0200")
    );
    assert_eq!(meta(email, "email.message_id"), Some("<2@example.org>"));
    assert!(meta(email, "archive.mtime").is_some(), "{email}");

    // The shared logo: one first sighting, a sighting in each other email that holds it.
    let logo = all
        .iter()
        .filter(|e| e["name"] == "logo.png")
        .collect::<Vec<_>>();
    assert_eq!(logo.len(), 3 + 1 + 2, "3 emails, the copy, 2 in the mbox");
    assert_eq!(logo.iter().filter(|e| e["kind"] == "first_seen").count(), 1);

    assert_links_match_completeness(&all);
    // A folder of several containers (files before and after them): each member is linked
    // to its own container.
    w.write("dump/0-readme.txt", "what this dump is");
    std::fs::copy(dir.join("EMLEAKS-3.zip"), dir.join("dump/EMLEAKS-3.zip")).unwrap();
    let r = w.run(&["add", "-s", "drive", "dump"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let with_folder = entries(&w);
    assert_links_match_completeness(&with_folder);
    for e in &with_folder[all.len()..] {
        if let Some(c) = contained_in(e) {
            let container = &with_folder[c as usize];
            assert!(
                meta(container, "container.format").is_some(),
                "{e} in {container}"
            );
        }
    }
    let all = with_folder;

    // Idempotent: the same add again records nothing.
    let again = w.run(&["add", "-s", "4chan mirror", "leak.tar.gz"]);
    assert!(again.ok().contains("nothing added"), "{}", again.stdout);
    assert_eq!(entries(&w).len(), all.len());
    // Audited clean, the place rule included.
    w.run(&["audit"]).ok();
}

#[test]
fn a_folder_records_paths_relative_to_it_and_no_extract_records_only_the_files_given() {
    if !tools(&["python3", "zip"]) {
        return;
    }
    let w = Workspace::new();
    w.init();
    let dir = w.tmp.path();
    python(dir, MAKE_MAILBOXES);
    sh(dir, "cd dump && zip -qr ../mail.zip mailboxes");
    // Folder: paths relative to the folder given; the same bytes at two paths, two records.
    let out = w.run(&["--json", "add", "-s", "drive", "--no-extract", "dump"]);
    let docs = out.documents();
    assert_eq!(docs.len(), 5, "{}", out.stdout);
    let all = entries(&w);
    let by_name: BTreeMap<&str, &Value> = all
        .iter()
        .map(|e| (e["name"].as_str().unwrap(), e))
        .collect();
    // Name order: the copy comes first, the mailbox's email is a sighting of it.
    assert_eq!(by_name["copy-of-0001.eml"]["kind"], "first_seen");
    let email = by_name["mailboxes/e.lefevre/Sent/0001.eml"];
    assert_eq!(email["kind"], "sighting");
    assert_eq!(email["first_seen_seq"], by_name["copy-of-0001.eml"]["seq"]);
    assert!(all.iter().all(|e| contained_in(e).is_none()));
    // A zip with --no-extract is one opaque document.
    w.run(&["add", "-s", "drive", "--no-extract", "mail.zip"])
        .ok();
    assert_eq!(entries(&w).len(), 6);
    // Without it, the same zip is looked into (its entry is already recorded, its members
    // are new places).
    // With --json the note is a record in the stream, with its facts.
    let r = w.run(&["--json", "add", "-s", "drive", "mail.zip"]);
    assert!(r.stderr.is_empty(), "{}", r.stderr);
    let note = r
        .jsonl()
        .into_iter()
        .find(|v| v["kind"] == "container_recounted")
        .unwrap_or_else(|| panic!("no container_recounted note: {}", r.stdout));
    assert!(
        note["note"]
            .as_str()
            .unwrap()
            .contains("(a container recorded before) counts no members recorded"),
        "{note}"
    );
    assert_eq!(note["recorded_then"], serde_json::Value::Null, "{note}");
    assert_eq!(note["seq"], r.documents()[0]["seq"], "{note}");
    let statuses: Vec<String> = r
        .documents()
        .iter()
        .map(|d| d["status"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(statuses[0], "already_recorded");
    assert!(statuses[1..].iter().all(|s| *s != "already_recorded"));
}

#[test]
fn hostile_members_are_recorded_as_bytes_never_followed_and_limits_are_reported_per_member() {
    if !tools(&["python3", "zip"]) {
        return;
    }
    let w = Workspace::new();
    w.init();
    let dir = w.tmp.path();
    // A traversal path, an absolute path, a symlink member, a photo, a bomb-like member
    // (64 MiB of zeros) and an ordinary file after it; then a copy cut in half.
    python(
        dir,
        r#"
import os, zipfile, stat
z = zipfile.ZipFile('hostile.zip', 'w', zipfile.ZIP_DEFLATED)
z.writestr('../../escaped.txt', b'outside?')
z.writestr('/etc/absolute.txt', b'absolute')
link = zipfile.ZipInfo('link-to-etc')
link.external_attr = (stat.S_IFLNK | 0o777) << 16
z.writestr(link, '/etc/passwd')
z.writestr('photo.jpg', os.urandom(4 << 20))
z.writestr('zeros.bin', b'\0' * (64 << 20))
z.writestr('fine.txt', b'an ordinary member')
z.close()
data = open('hostile.zip', 'rb').read()
open('cut.zip', 'wb').write(data[: len(data) // 2])
"#,
    );
    let r = w.run(&["add", "-s", "pastebin", "--max-ratio", "50", "hostile.zip"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // Said at the end, not only in the container's entry.
    assert!(
        r.stderr
            .contains("1 member in 1 container was not recorded")
            && r.stderr.contains("`prov show 0` lists them"),
        "{}",
        r.stderr
    );
    assert!(!dir.join("escaped.txt").exists() && !Path::new("/escaped.txt").exists());
    let all = entries(&w);
    let names: Vec<&str> = all.iter().filter_map(|e| e["name"].as_str()).collect();
    assert!(names.contains(&"../../escaped.txt"), "{names:?}");
    assert!(names.contains(&"/etc/absolute.txt"), "{names:?}");
    assert!(names.contains(&"fine.txt"), "{names:?}");
    assert!(
        !names.contains(&"zeros.bin"),
        "a cut member is never recorded: {names:?}"
    );
    let link = all.iter().find(|e| e["name"] == "link-to-etc").unwrap();
    assert_eq!(meta(link, "archive.link"), Some("symbolic"));
    assert_eq!(meta(link, "archive.link_target"), Some("/etc/passwd"));
    let zip = &all[0];
    assert_eq!(meta(zip, "container.not_recorded"), Some("1"));
    let why = meta(zip, "container.not_recorded.1").unwrap();
    assert!(
        why.starts_with("zeros.bin: ") && why.contains("ratio"),
        "{why}"
    );
    assert_eq!(meta(zip, "container.recorded"), Some("5"));

    // The same bomb from stdin: looked into as the file is, with the same limits.
    let bytes = std::fs::read(dir.join("hostile.zip")).unwrap();
    let piped = w.run_stdin(
        &[
            "add",
            "-s",
            "stdin",
            "--max-ratio",
            "50",
            "--name",
            "hostile.zip",
            "-",
        ],
        &bytes,
    );
    assert_eq!(piped.code, 0, "{}", piped.stderr);
    let from_stdin: Vec<Value> = entries(&w)
        .into_iter()
        .filter(|e| e["source"] == "stdin")
        .collect();
    assert_eq!(meta(&from_stdin[0], "container.not_recorded"), Some("1"));
    assert!(from_stdin.iter().all(|e| e["name"] != "zeros.bin"));
    // A tar holding the same member twice: one place, one entry, counted once.
    python(
        dir,
        r#"
import tarfile, io
with tarfile.open('twice.tar', 'w') as t:
    for _ in range(2):
        data = b'same bytes, same path'
        info = tarfile.TarInfo('x.txt'); info.size = len(data)
        t.addfile(info, io.BytesIO(data))
"#,
    );
    w.run(&["add", "-s", "pastebin", "twice.tar"]).ok();
    assert_links_match_completeness(&entries(&w));

    // A truncated archive: recorded, with what was found and why it stopped.
    let cut = w.run(&["add", "-s", "pastebin", "cut.zip"]);
    assert_eq!(cut.code, 0, "{}", cut.stderr);
    let all = entries(&w);
    let e = all.iter().find(|e| e["name"] == "cut.zip").unwrap();
    assert!(
        meta(e, "container.stopped").is_some() || meta(e, "ingest.note").is_some(),
        "{e}"
    );
    w.run(&["audit"]).ok();
}

#[test]
fn an_encrypted_member_is_recorded_as_stored_with_a_note() {
    if !tools(&["zip"]) {
        return;
    }
    let w = Workspace::new();
    w.init();
    w.write("secret/plans.txt", "the plans, in clear");
    sh(
        w.tmp.path(),
        "cd secret && zip -q -P hunter2 ../locked.zip plans.txt",
    );
    let r = w.run(&["add", "-s", "leak site", "locked.zip"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let all = entries(&w);
    let member = all.iter().find(|e| e["name"] == "plans.txt").unwrap();
    let note = meta(member, "ingest.note").unwrap_or_default();
    assert!(note.contains("encrypt"), "{member}");
    // Its hash is of the stored (encrypted) bytes, not the clear text.
    assert_ne!(
        member["sha256"],
        Value::String(sha256_hex(b"the plans, in clear"))
    );
}

#[test]
fn a_stream_is_looked_into_and_an_old_format_ledger_is_upgraded_on_its_first_add() {
    if !tools(&["zip"]) {
        return;
    }
    let w = Workspace::new();
    w.init();
    // A ledger of format 1 (every format 1 ledger keeps to format 2's rules).
    let cfg = w.ledger().join("ledger.json");
    let text = std::fs::read_to_string(&cfg).unwrap();
    std::fs::write(&cfg, text.replace("\"format\": 2", "\"format\": 1")).unwrap();
    w.run(&["audit"]).ok();
    w.write("in/a.txt", "first member");
    w.write("in/b.txt", "second member");
    sh(w.tmp.path(), "cd in && zip -q ../two.zip a.txt b.txt");
    let zip = std::fs::read(w.path("two.zip")).unwrap();
    let r = w.run_stdin(&["add", "-s", "upload", "--name", "two.zip", "-"], &zip);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("is now format 2"), "{}", r.stderr);
    assert!(
        std::fs::read_to_string(&cfg)
            .unwrap()
            .contains("\"format\": 2")
    );
    let names: Vec<String> = entries(&w)
        .iter()
        .map(|e| e["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["two.zip", "a.txt", "b.txt"]);
    w.run(&["audit"]).ok();
}

fn sha256_hex(b: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(b))
}

#[test]
fn a_spreadsheet_is_one_document_with_what_it_claims_about_its_authors() {
    if !tools(&["python3", "zip"]) {
        return;
    }
    let w = Workspace::new();
    w.init();
    let dir = w.tmp.path();
    let made = Command::new("python3")
        .arg("-c")
        .arg(
            r#"
import openpyxl
wb = openpyxl.Workbook()
wb.active['A1'] = 'Q3 2017'
wb.properties.creator = 'Иван Петров'
wb.properties.lastModifiedBy = 'Иван Петров'
wb.save('accounts.xlsx')
from pypdf import PdfWriter
pdf = PdfWriter()
pdf.add_blank_page(width=200, height=200)
pdf.add_metadata({'/Author': 'Jean Dupont', '/Producer': 'Microsoft Word 2016',
                  '/CreationDate': "D:20170428101500+02'00'"})
pdf.write('memo.pdf')
"#,
        )
        .current_dir(dir)
        .output()
        .unwrap();
    if !made.status.success() {
        skip("Python's openpyxl or pypdf is not installed (.ci/run installs them)");
        return;
    }
    sh(dir, "zip -q dump.zip accounts.xlsx memo.pdf");
    w.run(&["add", "-s", "leak", "dump.zip"]).ok();
    let all = entries(&w);
    // The zip, the spreadsheet and the PDF: the spreadsheet's own parts are not members.
    assert_eq!(all.len(), 3, "{all:?}");
    let pdf = all.iter().find(|e| e["name"] == "memo.pdf").unwrap();
    assert_eq!(pdf["media_type"], "application/pdf");
    assert_eq!(meta(pdf, "pdf.author"), Some("Jean Dupont"));
    assert_eq!(meta(pdf, "pdf.producer"), Some("Microsoft Word 2016"));
    assert_eq!(meta(pdf, "pdf.created"), Some("D:20170428101500+02'00'"));
    let sheet = all.iter().find(|e| e["name"] == "accounts.xlsx").unwrap();
    assert_eq!(sheet["name"], "accounts.xlsx");
    assert_eq!(meta(sheet, "office.last_modified_by"), Some("Иван Петров"));
    assert_eq!(meta(sheet, "office.creator"), Some("Иван Петров"));
    assert!(meta(sheet, "office.modified").is_some(), "{sheet}");
}

#[test]
fn a_7z_archive_is_looked_into_and_its_members_found_again_after_7z_extracts_them() {
    let seven = if have("7zz") { "7zz" } else { "7z" };
    if !tools(&["python3", seven]) {
        return;
    }
    let w = Workspace::new();
    w.init();
    let dir = w.tmp.path();
    python(dir, MAKE_MAILBOXES);
    sh(
        dir,
        &format!("cd dump && {seven} a -bd -bso0 ../mail.7z mailboxes copy-of-0001.eml"),
    );
    let r = w.run(&["add", "-s", "forum", "mail.7z"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let all = entries(&w);
    assert_eq!(meta(&all[0], "container.format"), Some("7z"));
    assert_eq!(all[0]["media_type"], "application/x-7z-compressed");
    assert_links_match_completeness(&all);
    sh(
        dir,
        &format!("mkdir -p out && cd out && {seven} x -bd -bso0 ../mail.7z"),
    );
    let check = w.run(&["--json", "check", "out"]);
    assert_eq!(check.code, 0, "{}", check.stdout);
    for v in check.jsonl() {
        assert_eq!(v["first_seen"]["containers"][0]["seq"], 0, "{v}");
    }
}

#[test]
fn the_format_upgrade_never_writes_through_a_link_and_a_folder_inside_another_is_listed_once() {
    let w = Workspace::new();
    w.init();
    let cfg = w.ledger().join("ledger.json");
    let text = std::fs::read_to_string(&cfg).unwrap();
    std::fs::write(&cfg, text.replace("\"format\": 2", "\"format\": 1")).unwrap();
    let victim = w.write("victim.txt", "keep me");
    std::os::unix::fs::symlink(&victim, w.ledger().join(".ledger.json.tmp")).unwrap();
    w.write("dump/a.txt", "alpha");
    w.write("dump/sub/b.txt", "beta");
    let r = w.run(&["add", "-s", "drive", "dump", "dump/sub"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me");
    assert!(
        !std::fs::symlink_metadata(&cfg)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert!(
        std::fs::read_to_string(&cfg)
            .unwrap()
            .contains("\"format\": 2")
    );
    let names: Vec<String> = entries(&w)
        .iter()
        .map(|e| e["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        names,
        ["a.txt", "sub/b.txt"],
        "each file once, named from dump"
    );
    assert!(r.stderr.contains("folder already listed"), "{}", r.stderr);
    w.run(&["audit"]).ok();
}

#[test]
fn commits_of_any_size_link_every_member_to_the_same_container() {
    if !tools(&["python3", "zip", "tar", "gzip"]) {
        return;
    }
    let w = Workspace::new();
    let dir = w.tmp.path();
    python(dir, MAKE_MAILBOXES);
    sh(
        dir,
        "cd dump && zip -qr ../dump/z.zip mailboxes && tar -czf ../dump/t.tar.gz mailboxes archive.mbox",
    );
    // Each entry as (name, kind, container's name), by ledger.
    let shape = |batch: &str| {
        let ledger = w.path(&format!("l{batch}"));
        w.run_at(&ledger, &["init", "--origin", "e2e.example/b"])
            .ok();
        w.run_at(&ledger, &["add", "-s", "s", "--batch", batch, "dump"])
            .ok();
        let all = w.run_at(&ledger, &["export"]).jsonl();
        all.iter()
            .map(|e| {
                let c = contained_in(e).map(|c| all[c as usize]["name"].clone());
                (e["name"].clone(), e["kind"].clone(), c)
            })
            .collect::<Vec<_>>()
    };
    let whole = shape("4096");
    assert!(whole.len() > 30, "{whole:?}");
    for batch in ["1", "2", "7"] {
        assert_eq!(shape(batch), whole, "--batch {batch}");
    }
}

/// Emails with attachments in a zip with deflated and stored members, one whose CRC-32 in the
/// central directory is wrong and one whose declared size is too small, then that zip in a
/// tar.
const MAKE_MAIL_ZIP: &str = r#"
import zipfile, random, struct, tarfile
from email.message import EmailMessage
rnd = random.Random(3)
words = "the report is attached please review before the meeting on monday".split()
with zipfile.ZipFile("z.zip", "w", zipfile.ZIP_DEFLATED) as z:
    for i in range(40):
        m = EmailMessage()
        m["From"] = f"user{i % 7}@example.org"; m["To"] = "leak@example.org"
        m["Subject"] = f"message {i}"
        m.set_content(" ".join(rnd.choice(words) for _ in range(200 + i)))
        m.add_attachment(rnd.randbytes(5000 + 100 * i), maintype="application",
                         subtype="octet-stream", filename=f"a{i}.bin")
        z.writestr(f"mail/{i:03}.eml", m.as_bytes())
    z.writestr(zipfile.ZipInfo("stored.txt"), " ".join(words) * 30)
    for name in ["badcrc.txt", "short.txt", "after.txt"]:
        z.writestr(name, " ".join(rnd.choice(words) for _ in range(500)))
raw = bytearray(open("z.zip", "rb").read())
at, = struct.unpack("<I", raw[raw.rindex(b"PK\x05\x06") + 16:][:4])
while raw[at:at + 4] == b"PK\x01\x02":
    nlen, xlen, clen = struct.unpack("<HHH", raw[at + 28:at + 34])
    name = bytes(raw[at + 46:at + 46 + nlen])
    if name == b"badcrc.txt":
        raw[at + 16] ^= 0xFF
    elif name == b"short.txt":
        usize, = struct.unpack("<I", raw[at + 24:at + 28])
        raw[at + 24:at + 28] = struct.pack("<I", usize - 10)
    at += 46 + nlen + xlen + clen
open("z.zip", "wb").write(bytes(raw))
with tarfile.open("t.tar", "w") as t:
    t.add("z.zip")
"#;

/// A zip given to `add` is read on three threads (its members decoded ahead, the file hashed
/// beside the walk); the same zip inside a tar is read on one. Both record the same members:
/// names, hashes, sizes, claims, notes, links to their container and to look-alikes.
#[test]
fn a_zip_given_records_what_the_same_zip_inside_a_tar_records() {
    if !tools(&["python3"]) {
        return;
    }
    let w = Workspace::new();
    let dir = w.tmp.path();
    python(dir, MAKE_MAIL_ZIP);
    let record = |name: &str| {
        let ledger = w.path(&format!("l-{name}"));
        w.run_at(&ledger, &["init", "--origin", "e2e.example/z"])
            .ok();
        w.run_at(&ledger, &["add", "-s", "s", name]).ok();
        w.run_at(&ledger, &["audit"]).ok();
        w.run_at(&ledger, &["export"]).jsonl()
    };
    let given = record("z.zip");
    let in_tar = record("t.tar");
    // In the tar's ledger, entry 0 is the tar and entry 1 the zip: one seq later each.
    let member = |e: &Value, shift: u64| {
        let related: Vec<_> = e["related"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r["relation"].clone(), r["seq"].as_u64().unwrap() - shift))
            .collect();
        let fields = ["name", "kind", "sha256", "size", "media_type", "metadata"];
        (fields.map(|f| e[f].clone()), related)
    };
    assert_eq!(given.len() + 1, in_tar.len());
    assert_eq!(
        given[0]["sha256"], in_tar[1]["sha256"],
        "the zip's own hash"
    );
    assert_eq!(given[0]["size"], in_tar[1]["size"]);
    for k in ["declared", "found", "recorded", "not_recorded"] {
        let key = format!("container.{k}");
        assert_eq!(meta(&given[0], &key), meta(&in_tar[1], &key), "{key}");
    }
    for (a, b) in given[1..].iter().zip(&in_tar[2..]) {
        assert_eq!(member(a, 0), member(b, 1));
    }
    // The fixture is what it says: 40 emails with 2 parts each, and the two lies show (a
    // member not read to its end has no hash to record: its container lists it).
    assert_eq!(given.len(), 1 + 40 * 3 + 2);
    let listed = [1, 2].map(|i| meta(&given[0], &format!("container.not_recorded.{i}")));
    assert_eq!(
        listed,
        [1, 2].map(|i| meta(&in_tar[1], &format!("container.not_recorded.{i}")))
    );
    assert!(
        listed[0]
            .unwrap()
            .contains("badcrc.txt: not read to the end"),
        "{listed:?}"
    );
    assert!(
        listed[1]
            .unwrap()
            .contains("short.txt: not read to the end"),
        "{listed:?}"
    );
    assert!(given.iter().any(|e| {
        e["related"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["relation"] == "similar_to")
    }));
}

/// Found by an attacker: what a walk says about a hostile container (a tar library's error
/// quoting a header's control bytes; a note naming 1,500 damaged parts; an email part whose
/// Content-Type holds a control character) was put as it was into signed metadata, which
/// refused it, and the whole `add` failed with nothing recorded. A tar.gz padded with zeros
/// (as block writers pad) or followed by junk lost every member; a pax tar's dates before
/// 1970 or past 2242 were signed as 1970.
#[test]
fn what_a_hostile_container_says_is_recorded_and_never_stops_the_add() {
    if !tools(&["python3", "tar", "gzip"]) {
        return;
    }
    let w = Workspace::new();
    w.init();
    python(
        &w.path(""),
        r#"
import tarfile, io, os, gzip
os.makedirs('dump', exist_ok=True)
b = io.BytesIO()
t = tarfile.open(fileobj=b, mode='w', format=tarfile.GNU_FORMAT)
ti = tarfile.TarInfo('a.txt'); ti.size = 3; t.addfile(ti, io.BytesIO(b'abc')); t.close()
open('dump/junk-header.tar', 'wb').write(b.getvalue()[:1024] + b'\x0b' * 32 + b'\0' * 480)
parts = b''.join(b'--X\r\nContent-Transfer-Encoding: base64\r\n\r\n!!@@' + str(i).encode() + b'\r\n' for i in range(1500))
open('dump/many-parts.eml', 'wb').write(b'From: a@b\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=X\r\n\r\n' + parts + b'--X--\r\n')
open('dump/control-type.eml', 'wb').write(b'From: a@b\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=X\r\n\r\n--X\r\nContent-Type: application/x\x01; name="f.txt"\r\n\r\nattached bytes\r\n--X--\r\n')
b = io.BytesIO()
t = tarfile.open(fileobj=b, mode='w', format=tarfile.PAX_FORMAT)
for name, when in (('old.txt', -302443200), ('future.txt', 10413792000)):
    data = name.encode() * 3
    ti = tarfile.TarInfo(name); ti.size = len(data); ti.mtime = when
    t.addfile(ti, io.BytesIO(data))
t.close()
tgz = gzip.compress(b.getvalue())
open('dump/zero-padded.tgz', 'wb').write(tgz + b'\0' * 1024)
open('dump/junk-after.tgz', 'wb').write(tgz + b'JUNKJUNK')
"#,
    );
    let r = w.run(&["add", "dump", "-s", "hostile", "--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let all = entries(&w);
    let named = |n: &str| {
        all.iter()
            .find(|e| e["name"].as_str() == Some(n))
            .unwrap_or_else(|| panic!("{n} not recorded: {all:?}"))
    };
    let stopped = meta(named("junk-header.tar"), "container.stopped").unwrap();
    assert!(stopped.contains("\\u{b}"), "{stopped}");
    let note = meta(named("many-parts.eml"), "ingest.note").unwrap();
    assert!(note.len() <= 1024 + 3 && note.ends_with('…'), "{note}");
    // The attachment is recorded; only its declared type is left out, with a note.
    let f = named("f.txt");
    assert!(
        meta(f, "ingest.note").unwrap().contains("media type"),
        "{f}"
    );
    // Every member of both tar.gz files, with the pax dates; junk is noted, zeros are not.
    for tgz in ["zero-padded.tgz", "junk-after.tgz"] {
        let e = named(tgz);
        let inner = all
            .iter()
            .find(|x| {
                x["related"]
                    .to_string()
                    .contains(&format!("\"seq\":{}", e["seq"]))
            })
            .unwrap();
        assert_eq!(meta(inner, "container.recorded"), Some("2"), "{inner}");
        let noted = meta(e, "ingest.note").is_some();
        assert_eq!(noted, tgz == "junk-after.tgz", "{e}");
    }
    let dates: Vec<&str> = ["old.txt", "future.txt"]
        .iter()
        .flat_map(|n| all.iter().filter(move |e| e["name"].as_str() == Some(*n)))
        .filter_map(|e| meta(e, "archive.mtime"))
        .collect();
    assert!(dates.contains(&"1960-06-01T12:00:00Z"), "{dates:?}");
    assert!(dates.contains(&"2300-01-01T00:00:00Z"), "{dates:?}");
    w.run(&["audit"]).ok();
}
