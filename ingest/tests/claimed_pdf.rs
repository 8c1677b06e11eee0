//! What a PDF claims: its information dictionary, as pypdf wrote it (a classic
//! cross-reference table), after pypdf's incremental update (a cross-reference stream whose
//! `Prev` is the table), and after qpdf moved it into an object stream; compared with what
//! pypdf reads back. Cut, cyclic and garbage structures give no claims and no panic.

mod common;

use common::*;
use prov_ingest::{Kind, Limits};
use std::fs;
use std::path::Path;

fn python_has(module: &str) -> bool {
    std::process::Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// `a.pdf` (pypdf, classic xref), `b.pdf` (a's incremental update by pypdf: new Author and
/// ModDate), and for each `NAME.pdf.txt` the metadata as pypdf reads it (key=value lines);
/// `in.zip` holding a.pdf.
const MAKE_PDF: &str = r#"
from pypdf import PdfWriter, PdfReader
import zipfile
w = PdfWriter()
w.add_blank_page(200, 200)
w.add_metadata({"/Producer": "Café Writer 1.0", "/Creator": "Microsoft® Word 2016",
                "/Author": "Анна Иванова", "/CreationDate": "D:20170505140211+02'00'",
                "/ModDate": "D:20170505141500+02'00'"})
w.write("a.pdf")
u = PdfWriter(PdfReader("a.pdf"), incremental=True)
u.add_metadata({"/ModDate": "D:20180101000000Z", "/Author": "Пётр"})
u.write("b.pdf")
def expect(name):
    meta = PdfReader(name).metadata
    keys = {"/Producer": "pdf.producer", "/Creator": "pdf.creator", "/Author": "pdf.author",
            "/CreationDate": "pdf.created", "/ModDate": "pdf.modified"}
    with open(name + ".txt", "w", encoding="utf-8") as out:
        for k, v in sorted(meta.items()):
            out.write(f"{keys[k]}={v}\n")
expect("a.pdf"); expect("b.pdf")
with zipfile.ZipFile("in.zip", "w", zipfile.ZIP_DEFLATED) as z:
    z.write("a.pdf", "scans/a.pdf")
"#;

fn expected(file: &Path) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = fs::read_to_string(file)
        .unwrap()
        .lines()
        .map(|l| {
            let (k, v) = l.split_once('=').unwrap();
            (k.to_string(), v.to_string())
        })
        .collect();
    out.sort();
    out
}

fn make(dir: &Path) -> bool {
    if !python_has("pypdf") {
        skip("Python's pypdf is not installed (pip install pypdf)");
        return false;
    }
    python(dir, MAKE_PDF);
    true
}

#[test]
fn a_pdf_claims_what_pypdf_reads_in_its_info_dictionary() {
    let dir = tempfile::tempdir().unwrap();
    if !make(dir.path()) {
        return;
    }
    let want = expected(&dir.path().join("a.pdf.txt"));
    assert_eq!(want.len(), 5);
    let (found, top) = walk_all(&dir.path().join("a.pdf"), &Limits::default());
    assert!(found.is_empty());
    assert_eq!(top.kind, Kind::Pdf);
    assert_eq!(top.claimed, want);
    assert_eq!(top.note, None);

    // The incremental update: the newest section's Info, found through the stream and
    // its Prev; the new values, and the old ones that were kept.
    let want_b = expected(&dir.path().join("b.pdf.txt"));
    let (_, top) = walk_all(&dir.path().join("b.pdf"), &Limits::default());
    assert_eq!(top.claimed, want_b);
    assert!(top.claimed.contains(&("pdf.author".into(), "Пётр".into())));

    // Inside a zip: held in memory for its claims; too large for max_claimed: a note.
    let (found, _) = walk_all(&dir.path().join("in.zip"), &Limits::default());
    let mut with_time = want.clone();
    with_time.extend(
        found[0]
            .claimed
            .iter()
            .filter(|(k, _)| k == "archive.mtime")
            .cloned(),
    );
    with_time.sort();
    assert_eq!((found[0].kind, &found[0].claimed), (Kind::Pdf, &with_time));
    let small = Limits {
        max_claimed: 100,
        ..Limits::default()
    };
    let (found, _) = walk_all(&dir.path().join("in.zip"), &small);
    assert_eq!(found[0].kind, Kind::Pdf);
    assert!(found[0].claimed.iter().all(|(k, _)| k == "archive.mtime"));
    assert!(found[0].note.as_ref().unwrap().contains("max_claimed"));
}

#[test]
fn a_pdf_whose_info_is_in_an_object_stream() {
    let dir = tempfile::tempdir().unwrap();
    if !make(dir.path()) {
        return;
    }
    if !have("qpdf") {
        return skip("qpdf is not installed");
    }
    run(
        dir.path(),
        "qpdf",
        &["--object-streams=generate", "a.pdf", "c.pdf"],
    );
    let shown = run(dir.path(), "qpdf", &["--show-xref", "c.pdf"]);
    let shown = String::from_utf8(shown).unwrap();
    assert!(
        shown.contains("compressed; stream"),
        "qpdf made object streams: {shown}"
    );
    let (_, top) = walk_all(&dir.path().join("c.pdf"), &Limits::default());
    let want = expected(&dir.path().join("a.pdf.txt"));
    assert_eq!(top.claimed, want);
}

#[test]
fn cut_cyclic_and_garbage_pdfs_claim_nothing() {
    let dir = tempfile::tempdir().unwrap();
    if !make(dir.path()) {
        return;
    }
    let a = fs::read(dir.path().join("a.pdf")).unwrap();
    let b = fs::read(dir.path().join("b.pdf")).unwrap();
    let find = |hay: &[u8], needle: &[u8]| {
        hay.windows(needle.len())
            .rposition(|w| w == needle)
            .unwrap()
    };
    let mut cases: Vec<(&str, Vec<u8>)> = vec![("cut", a[..a.len() / 2].to_vec())];
    // startxref pointing past the end, and at garbage.
    let at = find(&a, b"startxref") + 10;
    let mut past = a[..at].to_vec();
    past.extend_from_slice(b"99999999\n%%EOF\n");
    cases.push(("past", past));
    let mut garbage = a[..at].to_vec();
    garbage.extend_from_slice(b"5\n%%EOF\n");
    cases.push(("garbage", garbage));
    // The update's Prev pointing to itself: a cycle. Its own Info is still found.
    let own = String::from_utf8_lossy(&b[find(&b, b"startxref") + 10..])
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    let prev = find(&b, b"/Prev ") + 6;
    let end = prev + b[prev..].iter().position(|c| !c.is_ascii_digit()).unwrap();
    let mut cyclic = b[..prev].to_vec();
    cyclic.extend_from_slice(format!("{own:0>width$}", width = end - prev).as_bytes());
    cyclic.extend_from_slice(&b[end..]);
    assert!(
        own.len() <= end - prev,
        "the update's own offset fits in its Prev"
    );
    cases.push(("cyclic", cyclic));
    // A trailer that is not a dictionary, and an Info that points to a free object.
    let t = find(&a, b"trailer") + 7;
    let mut bad_trailer = a[..t].to_vec();
    bad_trailer.extend_from_slice(b"\n[ << /Info ( >> ]\nstartxref\n");
    bad_trailer.extend_from_slice(&a[at..]);
    cases.push(("bad trailer", bad_trailer));
    let info = find(&a, b"/Info 1 0 R");
    let mut free = a.clone();
    free[info..info + 11].copy_from_slice(b"/Info 0 0 R");
    cases.push(("free", free));
    for (name, bytes) in cases {
        let path = dir.path().join(format!("{}.pdf", name.replace(' ', "-")));
        fs::write(&path, &bytes).unwrap();
        let (_, top) = walk_all(&path, &Limits::default());
        assert_eq!(top.kind, Kind::Pdf, "{name}");
        assert_eq!(top.size, bytes.len() as u64, "{name}: hashed whole");
        if name == "cyclic" {
            let want = expected(&dir.path().join("b.pdf.txt"));
            assert_eq!(top.claimed, want, "{name}");
        } else {
            assert!(top.claimed.is_empty(), "{name}: {:?}", top.claimed);
            assert!(
                top.note.is_some_and(|n| n.contains("claims were not read")),
                "{name}"
            );
        }
    }
}
