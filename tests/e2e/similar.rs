//! Look-alikes (FORMAT.md 6.9): altered copies of a news article, a spreadsheet made by
//! openpyxl and a PDF rewritten by qpdf are found by `prov similar` and linked `similar_to`
//! by `add`, though their bytes differ entirely; unrelated documents of the same size and
//! kind are not; a tiny file gets no fingerprint and no error; `--no-similar`; hostile
//! Office and PDF files are read within bounded memory.

use prov_tests::{Workspace, skip};
use serde_json::Value;
use std::path::Path;
use std::process::Command;

/// The fixtures, all made here from text written for this test: an article and a copy with
/// one sentence changed, and another article of the same length; a spreadsheet and a copy
/// with one cell changed (openpyxl), and another sheet; a PDF of 30 lines and a copy with one
/// line changed, both rewritten by qpdf (compressed, in object streams), and another PDF.
const FIXTURES: &str = r#"
import random, zlib, subprocess
ARTICLE = ['minister','contract','ledger','harbour','council','invoice','shipment','auditor',
           'tender','budget','ferry','warehouse','director','committee','report','witness'], \
          ['approved','questioned','signed','delayed','published','rejected','reviewed','funded']
OTHER = ['orchard','recipe','violin','glacier','festival','lantern','meadow','bakery',
         'comet','sculpture','harvest','river','poem','garden','choir','mountain'], \
        ['painted','tasted','carried','planted','sang','climbed','baked','admired']
def article(seed, words, changed=None):
    rnd = random.Random(seed)
    nouns, verbs = words
    out = []
    for i in range(40):
        s = 'The %s %s the %s on day %d, and the %s %s it.' % (rnd.choice(nouns), rnd.choice(verbs),
            rnd.choice(nouns), rnd.randint(1, 28), rnd.choice(nouns), rnd.choice(verbs))
        if i == 17 and changed:
            s = changed
        out.append(s)
    return ' '.join(out) + '\n'
open('article.txt', 'w').write(article(1, ARTICLE))
open('article-altered.txt', 'w').write(article(1, ARTICLE, 'No one at the port ever saw the second shipment arrive.'))
open('other-article.txt', 'w').write(article(2, OTHER))

import openpyxl
def sheet(name, seed, what, cell=None):
    rnd = random.Random(seed)
    wb = openpyxl.Workbook()
    ws = wb.active
    for r in range(1, 101):
        ws.cell(row=r, column=1, value=what % (r, rnd.choice(['Acme Ltd','Borealis SA','Cobalt GmbH','Delta Oy']), rnd.choice(['consulting','freight','licences','catering'])))
        ws.cell(row=r, column=2, value=rnd.randint(1000, 99999))
    if cell:
        ws['A12'] = cell
    wb.save(name)
sheet('accounts.xlsx', 3, 'Payment %d to %s for %s')
sheet('accounts-altered.xlsx', 3, 'Payment %d to %s for %s', 'Payment 12 to Offshore Trust for consulting')
sheet('other-accounts.xlsx', 4, 'Shelf %d: boxes from %s, marked %s, counted by hand')

def pdf(name, seed, line, changed=None):
    rnd = random.Random(seed)
    lines = []
    for i in range(30):
        t = line % (i, rnd.choice(['ordered','returned','held','sold']), rnd.randint(10, 999), rnd.choice(['north','harbour','river','airport']))
        if i == 9 and changed:
            t = changed
        lines.append('BT /F1 11 Tf 50 %d Td (%s) Tj ET' % (780 - 24 * i, t))
    content = zlib.compress('\n'.join(lines).encode())
    objs = [b'<< /Type /Catalog /Pages 2 0 R >>',
            b'<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
            b'<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>',
            b'<< /Length %d /Filter /FlateDecode >>\nstream\n' % len(content) + content + b'\nendstream',
            b'<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>']
    out = b'%PDF-1.5\n'
    offsets = []
    for i, o in enumerate(objs):
        offsets.append(len(out))
        out += b'%d 0 obj\n' % (i + 1) + o + b'\nendobj\n'
    xref = len(out)
    out += b'xref\n0 %d\n0000000000 65535 f \n' % (len(objs) + 1)
    for o in offsets:
        out += b'%010d 00000 n \n' % o
    out += b'trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n' % (len(objs) + 1, xref)
    open('raw-' + name, 'wb').write(out)
    subprocess.run(['qpdf', '--object-streams=generate', '--compress-streams=y',
                    '--recompress-flate', 'raw-' + name, name], check=True)
MEMO = 'Item %d: the board %s %d units for the %s project.'
pdf('memo.pdf', 5, MEMO)
pdf('memo-altered.pdf', 5, MEMO, 'Item 9: the board never saw these units at all.')
pdf('other-memo.pdf', 6, 'Verse %d, %s softly, %d lanterns over the %s, where swallows gather at dusk')
"#;

fn fixtures(w: &Workspace) -> bool {
    let made = Command::new("python3")
        .arg("-c")
        .arg(FIXTURES)
        .current_dir(w.tmp.path())
        .output();
    match made {
        Ok(o) if o.status.success() => true,
        Ok(o) => {
            skip(&format!(
                "the fixtures need python3 with openpyxl and qpdf (.ci/run installs them): {}",
                String::from_utf8_lossy(&o.stderr)
            ));
            false
        }
        Err(e) => {
            skip(&format!("python3 cannot run: {e}"));
            false
        }
    }
}

fn by_name<'a>(docs: &'a [Value], name: &str) -> &'a Value {
    docs.iter()
        .find(|d| d["path"] == name)
        .unwrap_or_else(|| panic!("no {name} in {docs:?}"))
}

fn differ(w: &Workspace, a: &str, b: &str) {
    let (a, b) = (w.path(a), w.path(b));
    assert_ne!(std::fs::read(a).unwrap(), std::fs::read(b).unwrap());
}

#[test]
fn altered_copies_are_found_and_linked_and_unrelated_documents_are_not() {
    let w = Workspace::new();
    w.init();
    if !fixtures(&w) {
        return;
    }
    // Not one byte in common where it counts: zipped and compressed anew.
    differ(&w, "accounts.xlsx", "accounts-altered.xlsx");
    differ(&w, "memo.pdf", "memo-altered.pdf");
    let originals = ["article.txt", "accounts.xlsx", "memo.pdf"];
    let mut args = vec!["add", "-s", "leak", "--json"];
    args.extend(originals);
    w.run(&args).ok();
    let copies = [
        "article-altered.txt",
        "accounts-altered.xlsx",
        "memo-altered.pdf",
        "other-article.txt",
        "other-accounts.xlsx",
        "other-memo.pdf",
    ];
    let mut args = vec!["add", "-s", "forum", "--json"];
    args.extend(copies);
    let docs = w.run(&args).documents();
    for (copy, original_seq, by) in [
        ("article-altered.txt", 0, "text"),
        ("accounts-altered.xlsx", 1, "text"),
        ("memo-altered.pdf", 2, "text"),
    ] {
        let link = &by_name(&docs, copy)["similar_to"];
        assert_eq!(link["seq"], original_seq, "{copy}: {link}");
        assert_eq!(link["fingerprint"], by, "{copy}: {link}");
        let d = link["distance"].as_u64().unwrap();
        assert!(d <= 40, "{copy}: {d}");
    }
    for other in ["other-article.txt", "other-accounts.xlsx", "other-memo.pdf"] {
        assert_eq!(by_name(&docs, other)["similar_to"], Value::Null, "{other}");
    }
    // The link is signed: the distance is in the entry, next to the relation.
    let e = w.run(&["show", "4", "--json"]).json();
    assert_eq!(e["related"][0]["relation"], "similar_to", "{e}");
    assert_eq!(e["related"][0]["seq"], 1);
    assert!(
        e["metadata"]["similar_to.distance"].as_str().is_some(),
        "{e}"
    );
    assert_eq!(e["metadata"]["similar_to.fingerprint"], "text");
    // Human output at the end of add, and both ways in check and show.
    let shown = w.run(&["show", "1"]).ok().to_string();
    assert!(
        shown.contains("linked    entry 4 accounts-altered.xlsx is similar_to entry 1 (distance"),
        "{shown}"
    );
    let checked = w.run(&["check", "memo-altered.pdf"]).ok().to_string();
    assert!(
        checked.contains("related   entry 5 is similar_to entry 2 (distance"),
        "{checked}"
    );
    // prov similar, from a file not recorded and from an entry, closest first.
    let r = w
        .run(&["similar", "accounts-altered.xlsx", "--json"])
        .json();
    assert_eq!(r["similar"][0]["seq"], 1, "{r}");
    assert_eq!(r["similar"][0]["first_seen"]["source"], "leak");
    assert_eq!(r["similar"][0]["first_seen"]["name"], "accounts.xlsx");
    assert_eq!(r["similar"].as_array().unwrap().len(), 1, "{r}");
    let r = w.run(&["similar", "0", "--json"]).json();
    assert_eq!(r["similar"][0]["seq"], 3, "{r}");
    let human = w.run(&["similar", "2"]).ok().to_string();
    assert!(
        human.contains("entry 5  memo-altered.pdf  first seen"),
        "{human}"
    );
    w.run(&["similar", "8"])
        .fails(1, "no recorded document within distance 40 of entry 8");
    // The audit passes with the fingerprint file beside the log.
    w.run(&["audit"]).ok();
}

#[test]
fn the_altered_copy_in_the_same_add_is_linked_and_the_add_says_so() {
    let w = Workspace::new();
    w.init();
    if !fixtures(&w) {
        return;
    }
    let r = w.run(&["add", "-s", "leak", "article.txt", "article-altered.txt"]);
    let out = r.ok();
    assert!(
        out.contains("looks like        article-altered.txt  (entry 1 similar_to entry 0 article.txt, distance"),
        "{out}"
    );
    // --no-similar: the fingerprints are kept, no link is recorded.
    let docs = w
        .run(&[
            "add",
            "-s",
            "other",
            "--no-similar",
            "--json",
            "accounts.xlsx",
            "accounts-altered.xlsx",
        ])
        .documents();
    assert!(docs.iter().all(|d| d["similar_to"].is_null()), "{docs:?}");
    let e = w.run(&["show", "3", "--json"]).json();
    assert_eq!(e["related"], serde_json::json!([]), "{e}");
    let r = w.run(&["similar", "3", "--json"]).json();
    assert_eq!(r["similar"][0]["seq"], 2, "{r}");
}

#[test]
fn a_tiny_file_gets_no_fingerprint_and_no_error() {
    let w = Workspace::new();
    w.init();
    w.write("tiny.txt", "short note\n");
    let docs = w.run(&["add", "-s", "s", "--json", "tiny.txt"]).documents();
    assert_eq!(docs[0]["status"], "first_seen");
    assert!(docs[0]["similar_to"].is_null());
    w.run(&["similar", "0"])
        .fails(1, "entry 0 has no fingerprint");
    w.run(&["similar", "tiny.txt"])
        .fails(1, "tiny.txt has no fingerprint");
    w.run(&["similar", "missing.txt"])
        .fails(3, "cannot read missing.txt");
    w.run(&["similar", "7"]).fails(8, "no entry 7");
    w.run(&["audit"]).ok();
}

/// A zip bomb dressed as a .docx (its document part inflates to 256 MiB of one repeated
/// text) and a PDF whose content stream inflates to 256 MiB: recorded, fingerprinted within
/// the bounds of text.rs, in bounded memory.
#[test]
fn hostile_office_and_pdf_files_are_read_in_bounded_memory() {
    let w = Workspace::new();
    w.init();
    let made = Command::new("python3")
        .arg("-c")
        .arg(
            r#"
import zipfile, zlib
z = zipfile.ZipFile('bomb.docx', 'w', zipfile.ZIP_DEFLATED)
z.writestr('[Content_Types].xml', '<Types/>')
with z.open('word/document.xml', 'w', force_zip64=True) as f:
    f.write(b'<w:document><w:t>')
    chunk = b'All work and no play. ' * 4096
    for _ in range((1 << 28) // len(chunk)):
        f.write(chunk)
    f.write(b'</w:t></w:document>')
z.close()
c = zlib.compressobj(9)
data = b''
chunk = b'(All work and no play) Tj ' * 4096
for _ in range((1 << 28) // len(chunk)):
    data += c.compress(chunk)
data += c.flush()
pdf = b'%%PDF-1.4\n1 0 obj\n<< /Length %d /Filter /FlateDecode >>\nstream\n' % len(data) + data + b'\nendstream\nendobj\n%EOF\n'
open('bomb.pdf', 'wb').write(pdf)
"#,
        )
        .current_dir(w.tmp.path())
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let maxrss = Path::new(env!("CARGO_BIN_EXE_maxrss"));
    let (r, kib) = w.run_measured(
        maxrss,
        &["add", "-s", "s", "--json", "bomb.docx", "bomb.pdf"],
    );
    let docs = r.documents();
    assert_eq!(docs.len(), 2, "{}", r.stderr);
    // 16 MiB of a part or stream at most, held once, besides what add holds anyway.
    assert!(kib < 160 * 1024, "peak {kib} KiB");
}

/// The fingerprint file is not signed and cannot be rebuilt: one that is not one is named,
/// with what to do, by `add` (exit 4, nothing recorded) and `similar`; the audit still
/// passes and says it is unreadable; moved aside, `add` starts a new one.
#[test]
fn a_damaged_fingerprint_file_is_named_and_never_overwritten() {
    let w = Workspace::new();
    w.init();
    let text: String = (0..60)
        .map(|i| format!("line {i} of a memo about ferries\n"))
        .collect();
    w.write("memo.txt", &text);
    w.write("memo2.txt", text.replace("line 7 ", "row 7 "));
    w.run(&["add", "-s", "s", "memo.txt"]).ok();
    let file = w.ledger().join("fingerprints");
    std::fs::write(&file, b"not mine").unwrap();
    let before = w.ledger_state();
    w.run(&["add", "-s", "s", "memo2.txt"]).fails(
        4,
        "is not a fingerprint file (its first 8 bytes are not PROVFPR 1): move it aside",
    );
    assert!(
        before == w.ledger_state(),
        "a refused add changed the ledger"
    );
    w.run(&["similar", "0"]).fails(4, "move it aside");
    let audit = w.run(&["audit"]).ok().to_string();
    assert!(audit.contains("fingerprints unreadable"), "{audit}");
    std::fs::rename(&file, w.path("aside")).unwrap();
    let docs = w
        .run(&["add", "-s", "s", "--json", "memo2.txt"])
        .documents();
    assert!(docs[0]["similar_to"].is_null(), "{docs:?}");
    // Entry 0's fingerprints went with the file; entry 1's are in the new one.
    let r = w.run(&["similar", "memo.txt", "--json"]).json();
    assert_eq!(r["compared"], 2, "{r}");
    assert_eq!(r["similar"][0]["seq"], 1, "{r}");
}

fn proc_state(pid: u32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit_once(") ")?.1.chars().next()
}

/// A text of its own for each name, long and varied enough for a fingerprint.
fn memo(name: &str) -> String {
    (0..40)
        .map(|i| format!("{name}: paragraph {i} says {} things\n", i * 7 + name.len()))
        .collect()
}

/// Killed (SIGKILL) after a batch's fingerprints were stored and before its commit point:
/// the next add cuts that batch's records before it stores its own, so every record names the
/// content its entry records, and what was reported keeps its fingerprints.
#[test]
fn kill_9_before_the_commit_point_leaves_no_stale_fingerprint() {
    let w = Workspace::new();
    w.init();
    for name in ["a", "b", "c"] {
        w.write(&format!("docs/{name}.txt"), memo(name));
    }
    let mut child = w
        .cmd(&["add", "docs", "--source", "s", "--batch", "1", "--json"])
        .env("PROV_TEST_STOP_AT", "LogWrite:3")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    while proc_state(child.id()) != Some('T') {
        assert!(
            child.try_wait().unwrap().is_none(),
            "prov ended instead of stopping"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let file = w.ledger().join("fingerprints");
    // Two records (bytes and text) per document: c's were stored, not committed.
    assert_eq!(std::fs::metadata(&file).unwrap().len(), 8 + 6 * 113);
    std::fs::remove_file(w.path("docs/c.txt")).unwrap();
    w.write("docs/d.txt", memo("d"));
    w.run(&["add", "docs", "--source", "s"]).ok();
    let shas: std::collections::HashMap<u64, String> = w
        .run(&["export"])
        .jsonl()
        .iter()
        .map(|e| {
            (
                e["seq"].as_u64().unwrap(),
                e["sha256"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let bytes = std::fs::read(&file).unwrap();
    assert_eq!(bytes.len(), 8 + 6 * 113, "c's records were cut, d's stored");
    for r in bytes[8..].chunks(113) {
        let seq = u64::from_be_bytes(r[..8].try_into().unwrap());
        assert_eq!(shas[&seq], hex::encode(&r[8..40]), "record of entry {seq}");
    }
    w.run(&["similar", "docs/d.txt", "--threshold", "2000"])
        .ok();
}

/// One record of the fingerprints file: seq, SHA-256, kind (1 bytes), the TLSH text.
fn record(seq: u64, sha256: &[u8], tlsh: &str) -> Vec<u8> {
    let mut r = seq.to_be_bytes().to_vec();
    r.extend_from_slice(sha256);
    r.push(1);
    r.extend_from_slice(tlsh.as_bytes());
    assert_eq!(r.len(), 113);
    r
}

/// The fingerprints file is not signed, the fingerprint in each first-seen entry's metadata
/// is (FORMAT.md 6.10): a record planted in the file for entry 1 (its seq and content, an
/// unrelated document's fingerprint) makes no `similar_to` link to it, and `similar` does
/// not list it; a false record for entry 0 hides neither its true record from `similar` nor
/// the link `add` records to it.
#[test]
fn a_fingerprint_the_log_does_not_sign_is_never_believed() {
    let w = Workspace::new();
    w.init();
    w.write("a.txt", memo("alpha"));
    w.write("b.txt", memo("bravo-bravo"));
    w.run(&["add", "-s", "s", "a.txt", "b.txt"]).ok();
    let shown = w.run(&["show", "0", "--json"]).json();
    let signed = shown["metadata"]["tlsh.bytes"]
        .as_str()
        .unwrap_or_else(|| panic!("{shown}"));
    assert!(signed.starts_with("T1") && signed.len() == 72, "{signed}");
    // The fingerprint of an unrelated document, taken by another ledger.
    let other = Workspace::new();
    other.init();
    other.write("d.txt", memo("delta-delta-delta-x"));
    other.run(&["add", "-s", "s", "d.txt"]).ok();
    let d_print = other.run(&["show", "0", "--json"]).json()["metadata"]["tlsh.bytes"]
        .as_str()
        .unwrap()
        .to_owned();
    let sha = |name: &str| {
        let v = w.run(&["show", name, "--json"]).json();
        hex::decode(v["sha256"].as_str().unwrap()).unwrap()
    };
    let (sha_a, sha_b) = (sha("0"), sha("1"));
    let file = w.ledger().join("fingerprints");
    let mut bytes = std::fs::read(&file).unwrap();
    bytes.extend(record(1, &sha_b, &d_print));
    // A false record for entry 0 at distance 0 from the near copy added below.
    let mut near = memo("alpha");
    near.push_str("one more line\n");
    w.write("a2.txt", &near);
    other.write("a2.txt", &near);
    other.run(&["add", "-s", "s", "a2.txt"]).ok();
    let a2_print = other.run(&["show", "1", "--json"]).json()["metadata"]["tlsh.bytes"]
        .as_str()
        .unwrap()
        .to_owned();
    bytes.extend(record(0, &[1u8; 32], &a2_print));
    std::fs::write(&file, bytes).unwrap();

    w.write("d.txt", memo("delta-delta-delta-x"));
    let docs = w.run(&["add", "-s", "s2", "--json", "d.txt"]).documents();
    assert!(
        docs[0]["similar_to"].is_null(),
        "linked to a planted record: {docs:?}"
    );
    let r = w.run(&["similar", "d.txt", "--json"]);
    let listed = r.json();
    assert!(
        listed["similar"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["seq"] != 1),
        "{listed}"
    );
    let r = w.run(&["similar", "a2.txt", "--json"]).json();
    assert_eq!(r["similar"][0]["seq"], 0, "the true record of entry 0: {r}");
    assert_eq!(r["similar"][0]["signed"], true, "its entry signs it: {r}");
    let docs = w.run(&["add", "-s", "s2", "--json", "a2.txt"]).documents();
    assert_eq!(docs[0]["similar_to"]["seq"], 0, "{docs:?}");
    let _ = sha_a;
    w.run(&["audit"]).ok();
}

/// `similar_to` links and their keys, and the signed fingerprints, are what `prov add`
/// measured: given by a person they are refused (they would read as measured), with
/// nothing written.
#[test]
fn a_look_alike_link_cannot_be_given_by_hand() {
    let w = Workspace::new();
    w.init();
    w.write("a.txt", memo("alpha"));
    w.write("u.txt", memo("unrelated-u"));
    w.run(&["add", "-s", "s", "a.txt"]).ok();
    let before = w.ledger_state();
    for extra in [
        ["--related", "similar_to=0"],
        ["--meta", "similar_to.distance=0"],
        ["--meta", "tlsh.bytes=T1AAAA"],
    ] {
        let mut args = vec!["add", "-s", "s", "u.txt"];
        args.extend(extra);
        w.run(&args).fails(3, "is written by prov add itself");
    }
    assert!(
        before == w.ledger_state(),
        "a refused add changed the ledger"
    );
}

/// A fingerprints file left empty (a crash between its creation and its header) is no
/// damage: `add` and `similar` go on, and the file is started again.
#[test]
fn an_empty_fingerprint_file_is_started_again() {
    let w = Workspace::new();
    w.init();
    w.write("a.txt", memo("alpha"));
    w.run(&["add", "-s", "s", "a.txt"]).ok();
    std::fs::write(w.ledger().join("fingerprints"), b"").unwrap();
    w.run(&["similar", "a.txt"]);
    w.write("b.txt", memo("bravo"));
    w.run(&["add", "-s", "s", "b.txt"]).ok();
    let r = w.run(&["similar", "a.txt", "--json"]).json();
    assert_eq!(r["compared"], 2, "b's two records only: {r}");
}

/// Found in review: the look-alike index kept every copy's fingerprints (sightings too), so
/// 100 copies of a document, in earlier batches of the same add, pushed the original out of
/// the latest items its buckets keep, and its altered copy was linked to nothing. A copy of
/// content already held is not filed again.
#[test]
fn copies_in_earlier_batches_do_not_hide_the_original() {
    let w = Workspace::new();
    w.init();
    let original = memo("contract");
    w.write("docs/000-original.txt", &original);
    for i in 1..=100 {
        w.write(&format!("docs/{i:03}-copy.txt"), &original);
    }
    w.write(
        "docs/101-altered.txt",
        original.replacen("paragraph 3", "paragraph 9", 1),
    );
    let docs = w
        .run(&["add", "docs", "--source", "s", "--batch", "101", "--json"])
        .documents();
    let altered = docs
        .iter()
        .find(|d| d["path"].as_str().unwrap().ends_with("101-altered.txt"))
        .unwrap();
    assert_eq!(altered["similar_to"]["seq"], 0, "{altered}");
}

/// A `tlsh.*` key given by hand is refused before any file is read (review: it was refused
/// only at the commit, after every file was read, or through a server uploaded): the
/// files are never opened (strace).
#[test]
fn a_measured_key_given_by_hand_is_refused_before_any_file_is_read() {
    if std::process::Command::new("strace")
        .arg("-V")
        .output()
        .is_err()
    {
        prov_tests::skip("strace is not installed (apt-get install strace)");
        return;
    }
    let w = Workspace::new();
    w.init();
    w.write("docs/never-opened.txt", memo("never"));
    let trace = w.path("trace");
    let mut strace = std::process::Command::new("strace");
    strace.args([
        "-f",
        "-e",
        "trace=openat,open",
        "-o",
        trace.to_str().unwrap(),
    ]);
    let r = w.run_wrapped(
        &mut strace,
        &["add", "docs", "--source", "s", "--meta", "tlsh.bytes=T1AB"],
    );
    r.fails(3, "`tlsh.bytes` is written by prov add itself");
    let opened = std::fs::read_to_string(&trace).unwrap();
    assert!(opened.contains("openat"), "the trace saw nothing: {opened}");
    assert!(!opened.contains("never-opened.txt"), "{opened}");
}
