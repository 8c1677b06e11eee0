//! What Office documents claim about themselves: an `.xlsx` written by openpyxl with Cyrillic
//! authors (the MacronLeaks pattern), read whole as one document wherever it sits; legacy OLE
//! summary information; damaged packages and property sets give no claims and no panic.

mod common;

use common::*;
use prov_ingest::{Found, Kind, Limits};
use std::fs;
use std::io::Write;
use std::path::Path;

/// Whether Python has `module`; under CI its absence fails the test (see `skip`).
fn python_has(module: &str) -> bool {
    std::process::Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

fn claim<'a>(claimed: &'a [(String, String)], key: &str) -> Option<&'a str> {
    claimed
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// `book.xlsx` by openpyxl with Cyrillic creator and last author, then the same book inside a
/// zip (stored date), a tar (mtime) and an email attachment; `expect.txt` holds what
/// core.xml and app.xml say, as Python's own XML parser reads them (key=value lines).
const MAKE_XLSX: &str = r#"
import openpyxl, datetime, zipfile, tarfile, io
import xml.etree.ElementTree as ET
from email.message import EmailMessage
from email import policy
wb = openpyxl.Workbook()
wb.active["A1"] = "Бюджет"
p = wb.properties
p.creator = "Иван Петров"
p.lastModifiedBy = "Роман Сергеевич"
p.created = datetime.datetime(2017, 4, 27, 10, 2, 0)
wb.save("book.xlsx")
z = zipfile.ZipFile("book.xlsx")
core = ET.fromstring(z.read("docProps/core.xml"))
app = ET.fromstring(z.read("docProps/app.xml"))
ns = {"dc": "http://purl.org/dc/elements/1.1/", "dcterms": "http://purl.org/dc/terms/",
      "cp": "http://schemas.openxmlformats.org/package/2006/metadata/core-properties",
      "ep": "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"}
with open("expect.txt", "w", encoding="utf-8") as out:
    for key, path, root in [("office.creator", "dc:creator", core),
                            ("office.last_modified_by", "cp:lastModifiedBy", core),
                            ("office.created", "dcterms:created", core),
                            ("office.modified", "dcterms:modified", core),
                            ("office.application", "ep:Application", app)]:
        out.write(f"{key}={root.find(path, ns).text}\n")
data = open("book.xlsx", "rb").read()
with zipfile.ZipFile("in.zip", "w") as outer:
    info = zipfile.ZipInfo("leak/book.xlsx", date_time=(2017, 5, 5, 14, 2, 10))
    outer.writestr(info, data)
with tarfile.open("in.tar", "w") as t:
    info = tarfile.TarInfo("leak/book.xlsx"); info.size = len(data); info.mtime = 1493992931
    t.addfile(info, io.BytesIO(data))
m = EmailMessage(); m["From"] = "a@example.org"; m["Subject"] = "budget"
m.set_content("see attached\n")
m.add_attachment(data, maintype="application",
                 subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                 filename="book.xlsx")
open("in.eml", "wb").write(m.as_bytes(policy=policy.SMTP))
"#;

fn expected(dir: &Path) -> Vec<(String, String)> {
    let text = fs::read_to_string(dir.join("expect.txt")).unwrap();
    let mut out: Vec<(String, String)> = text
        .lines()
        .map(|l| {
            let (k, v) = l.split_once('=').unwrap();
            (k.to_string(), v.to_string())
        })
        .collect();
    out.sort();
    out
}

fn the_book(found: &[Found]) -> &Found {
    let books: Vec<&Found> = found
        .iter()
        .filter(|f| f.path.ends_with(b"book.xlsx"))
        .collect();
    assert_eq!(books.len(), 1, "{found:#?}");
    let book = books[0];
    assert_eq!(book.kind, Kind::Office, "{book:#?}");
    assert!(book.completeness.is_none());
    assert!(
        !found.iter().any(|f| f.parent == Some(book.index)),
        "an xlsx is one document: its parts are not members"
    );
    book
}

#[test]
fn an_xlsx_claims_its_cyrillic_authors_wherever_it_sits() {
    if !python_has("openpyxl") {
        return skip("Python's openpyxl is not installed (pip install openpyxl)");
    }
    let dir = tempfile::tempdir().unwrap();
    python(dir.path(), MAKE_XLSX);
    let want = expected(dir.path());
    assert_eq!(
        claim(&want, "office.last_modified_by"),
        Some("Роман Сергеевич")
    );

    // The top file: one document, claims read from its directory.
    let (found, summary) = walk_all(&dir.path().join("book.xlsx"), &Limits::default());
    assert_eq!(summary.kind, Kind::Office);
    assert!(found.is_empty(), "no members: {found:#?}");
    assert_eq!(summary.claimed, want);
    assert_eq!(summary.note, None);

    // Inside a zip, with the zip's stored local time.
    let (found, _) = walk_all(&dir.path().join("in.zip"), &Limits::default());
    let book = the_book(&found);
    let mut with_time = want.clone();
    with_time.insert(0, ("archive.mtime".into(), "2017-05-05T14:02:10".into()));
    with_time.sort();
    assert_eq!(book.claimed, with_time);

    // Inside a tar, with its Unix time.
    let (found, _) = walk_all(&dir.path().join("in.tar"), &Limits::default());
    let book = the_book(&found);
    assert_eq!(
        claim(&book.claimed, "archive.mtime"),
        Some("2017-05-05T14:02:11Z")
    );
    assert_eq!(claim(&book.claimed, "office.creator"), Some("Иван Петров"));
    assert_eq!(book.claimed.len(), want.len() + 1);

    // Attached to an email (a zip inside a stream, held in memory).
    let (found, summary) = walk_all(&dir.path().join("in.eml"), &Limits::default());
    assert_eq!(the_book(&found).claimed, want);
    assert_eq!(claim(&summary.claimed, "email.subject"), Some("budget"));
}

#[test]
fn a_cut_xlsx_gives_no_claims_and_the_walk_goes_on() {
    if !python_has("openpyxl") {
        return skip("Python's openpyxl is not installed (pip install openpyxl)");
    }
    let dir = tempfile::tempdir().unwrap();
    python(dir.path(), MAKE_XLSX);
    // Repacked as Excel orders its parts ([Content_Types].xml first), so that the first
    // bytes show a package even when the directory at the end is cut off.
    python(
        dir.path(),
        r#"
import zipfile
src = zipfile.ZipFile("book.xlsx")
names = sorted(src.namelist(), key=lambda n: n != "[Content_Types].xml")
with zipfile.ZipFile("excel.xlsx", "w", zipfile.ZIP_DEFLATED) as out:
    for n in names:
        out.writestr(n, src.read(n))
for name in ["book.xlsx", "excel.xlsx"]:
    data = open(name, "rb").read()
    open("cut-" + name, "wb").write(data[: len(data) // 2])
"#,
    );
    let (found, summary) = walk_all(&dir.path().join("excel.xlsx"), &Limits::default());
    assert_eq!((summary.kind, found.len()), (Kind::Office, 0));
    assert_eq!(
        claim(&summary.claimed, "office.creator"),
        Some("Иван Петров")
    );

    let (found, summary) = walk_all(&dir.path().join("cut-excel.xlsx"), &Limits::default());
    assert_eq!((summary.kind, found.len()), (Kind::Office, 0));
    assert!(summary.claimed.is_empty(), "{:?}", summary.claimed);
    assert!(summary.note.unwrap().contains("claims were not read"));

    // openpyxl's order: the cut file looks like any cut zip and is read from its local
    // headers; nothing claims anything and nothing panics.
    let (found, summary) = walk_all(&dir.path().join("cut-book.xlsx"), &Limits::default());
    assert_eq!(summary.kind, Kind::Zip);
    assert!(summary.claimed.is_empty());
    assert!(!found.is_empty());
    assert!(
        found
            .iter()
            .all(|f| f.claimed.iter().all(|(k, _)| k == "archive.mtime"))
    );

    // The same cut package inside a tar: the walk goes on to the next member.
    let cut = fs::read(dir.path().join("cut-excel.xlsx")).unwrap();
    let path = dir.path().join("cut.tar");
    let mut tar = tar::Builder::new(fs::File::create(&path).unwrap());
    for name in ["cut.xlsx", "after.txt"] {
        let data: &[u8] = if name == "after.txt" {
            b"after\n"
        } else {
            &cut
        };
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(0);
        header.set_cksum();
        tar.append_data(&mut header, name, data).unwrap();
    }
    tar.finish().unwrap();
    drop(tar);
    let (found, _) = walk_all(&path, &Limits::default());
    assert_eq!(found.len(), 2);
    assert_eq!(found[0].kind, Kind::Office);
    assert_eq!(
        found[0].claimed,
        vec![(
            "archive.mtime".to_string(),
            "1970-01-01T00:00:00Z".to_string()
        )]
    );
    assert_eq!(found[1].sha256, sha(b"after\n"));
}

/// A property set stream ([MS-OLEPS] 2.21) with one set of `props` (id, type, value bytes).
fn property_set(fmtid: [u8; 16], props: &[(u32, u16, Vec<u8>)]) -> Vec<u8> {
    let mut body = Vec::new();
    let mut index = Vec::new();
    let table = 8 + 8 * props.len();
    for (id, kind, value) in props {
        index.push((*id, (table + body.len()) as u32));
        body.extend_from_slice(&kind.to_le_bytes());
        body.extend_from_slice(&[0, 0]);
        body.extend_from_slice(value);
        while body.len() % 4 != 0 {
            body.push(0);
        }
    }
    let mut set = Vec::new();
    set.extend_from_slice(&((table + body.len()) as u32).to_le_bytes());
    set.extend_from_slice(&(props.len() as u32).to_le_bytes());
    for (id, offset) in index {
        set.extend_from_slice(&id.to_le_bytes());
        set.extend_from_slice(&offset.to_le_bytes());
    }
    set.extend_from_slice(&body);
    let mut out = vec![0xFE, 0xFF, 0, 0, 6, 2, 2, 0];
    out.extend_from_slice(&[0; 16]); // CLSID
    out.extend_from_slice(&1u32.to_le_bytes());
    out.extend_from_slice(&fmtid);
    out.extend_from_slice(&48u32.to_le_bytes());
    out.extend_from_slice(&set);
    out
}

fn lpstr(bytes: &[u8]) -> Vec<u8> {
    let mut v = ((bytes.len() + 1) as u32).to_le_bytes().to_vec();
    v.extend_from_slice(bytes);
    v.push(0);
    v
}

fn lpwstr(s: &str) -> Vec<u8> {
    let units: Vec<u16> = s.encode_utf16().chain([0]).collect();
    let mut v = (units.len() as u32).to_le_bytes().to_vec();
    units
        .iter()
        .for_each(|u| v.extend_from_slice(&u.to_le_bytes()));
    v
}

fn write_ole(path: &Path, summary: &[u8], document: &[u8]) {
    let mut file = cfb::create(path).unwrap();
    file.create_stream("/WordDocument")
        .unwrap()
        .write_all(b"not a real document")
        .unwrap();
    for (name, data) in [
        ("/\u{5}SummaryInformation", summary),
        ("/\u{5}DocumentSummaryInformation", document),
    ] {
        file.create_stream(name).unwrap().write_all(data).unwrap();
    }
    file.flush().unwrap();
}

/// No light tool writes OLE summary information (xlwt writes none; LibreOffice is heavy), so
/// the file is built with the `cfb` crate and property sets checked by hand against
/// [MS-OLEPS]: code page 1252, an ASCII author, a last author in code page 1252 bytes that
/// are not UTF-8, creation and save times, the application; a UTF-16 company.
#[test]
fn an_ole_file_claims_its_summary_information() {
    let dir = tempfile::tempdir().unwrap();
    let created: u64 = (1_493_287_320 + 11_644_473_600) * 10_000_000 + 1234; // 2017-04-27T10:02:00Z
    let saved: u64 = (1_493_287_559 + 11_644_473_600) * 10_000_000;
    let summary = property_set(
        [
            0xE0, 0x85, 0x9F, 0xF2, 0xF9, 0x4F, 0x68, 0x10, 0xAB, 0x91, 0x08, 0x00, 0x2B, 0x27,
            0xB3, 0xD9,
        ],
        &[
            (1, 2, 1252u16.to_le_bytes().to_vec()),
            (4, 0x1E, lpstr(b"John Smith")),
            (8, 0x1E, lpstr(&[0xC8, 0xE2, 0xE0, 0xED])), // "Иван" in code page 1251 bytes
            (12, 0x40, created.to_le_bytes().to_vec()),
            (13, 0x40, saved.to_le_bytes().to_vec()),
            (18, 0x1E, lpstr(b"Microsoft Excel")),
        ],
    );
    let document = property_set(
        [
            0x02, 0xD5, 0xCD, 0xD5, 0x9C, 0x2E, 0x1B, 0x10, 0x93, 0x97, 0x08, 0x00, 0x2B, 0x2C,
            0xF9, 0xAE,
        ],
        &[(15, 0x1F, lpwstr("ООО «Ромашка»"))],
    );
    let path = dir.path().join("old.xls");
    write_ole(&path, &summary, &document);
    let (found, top) = walk_all(&path, &Limits::default());
    assert!(found.is_empty());
    assert_eq!(top.kind, Kind::Ole);
    let want: Vec<(String, String)> = [
        ("office.application", "Microsoft Excel"),
        ("office.company", "ООО «Ромашка»"),
        ("office.created", "2017-04-27T10:02:00Z"),
        ("office.creator", "John Smith"),
        ("office.last_modified_by.hex", "c8e2e0ed"),
        ("office.modified", "2017-04-27T10:05:59Z"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    assert_eq!(top.claimed, want);

    // The same inside a gzip (held in memory for its claims).
    let gz = dir.path().join("old.xls.gz");
    let mut enc = flate2::write::GzEncoder::new(fs::File::create(&gz).unwrap(), Default::default());
    enc.write_all(&fs::read(&path).unwrap()).unwrap();
    enc.finish().unwrap();
    let (found, _) = walk_all(&gz, &Limits::default());
    assert_eq!((found[0].kind, &found[0].claimed), (Kind::Ole, &want));

    // Hostile property sets: offsets past the end, a count in the billions, a string whose
    // size runs past its set. No claims from them, no panic.
    let mut bad = summary.clone();
    bad[44..48].copy_from_slice(&u32::MAX.to_le_bytes());
    let mut huge = summary.clone();
    huge[52..56].copy_from_slice(&u32::MAX.to_le_bytes());
    let mut long = property_set([0; 16], &[(4, 0x1E, lpstr(b"x"))]);
    let at = long.len() - 8;
    long[at..at + 4].copy_from_slice(&0x7FFF_FFF0u32.to_le_bytes());
    for (i, broken) in [bad, huge, long].iter().enumerate() {
        let path = dir.path().join(format!("bad{i}.xls"));
        write_ole(&path, broken, b"\xfe\xff garbage");
        let (_, top) = walk_all(&path, &Limits::default());
        assert_eq!(top.kind, Kind::Ole);
        // Only what the intact part of the table still says (the huge count is cut short
        // where the table ends).
        assert!(
            top.claimed.iter().all(|c| want.contains(c)),
            "case {i}: {:?}",
            top.claimed
        );
        assert_eq!(
            top.claimed.is_empty(),
            i != 1,
            "case {i}: {:?}",
            top.claimed
        );
    }
    // Not a compound file past its signature.
    let path = dir.path().join("sig-only.doc");
    fs::write(&path, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 and then nothing").unwrap();
    let (_, top) = walk_all(&path, &Limits::default());
    assert!(top.claimed.is_empty());
    assert!(top.note.unwrap().contains("claims were not read"));
}
