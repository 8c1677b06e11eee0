//! What emails claim (their header fields exactly, unfolded, encoded words left encoded), in
//! a file, an mbox and attached to another message; and what archives store about their
//! members (`archive.mtime`): compared with Python's `email` header parser and the times
//! Python's `tarfile` and `zipfile` wrote.

mod common;

use common::*;
use prov_ingest::{Kind, Limits};
use std::fs;
use std::path::Path;

/// `msg.eml`: a non-ASCII subject (an RFC 2047 encoded word, folded), a To list long enough
/// to be folded, Date and Message-ID, a forwarded message attached; `raw8.eml`: a subject in
/// raw Latin-1 bytes (not UTF-8); `box.mbox` with both. `want/NAME.txt`: for each, the five
/// fields as Python's compat32 header parser gives them, unfolded per RFC 5322 2.2.3 and
/// trimmed, as `key<TAB>hex of the bytes` lines.
const MAKE_MAIL: &str = r#"
import email, mailbox, os, re
from email.message import EmailMessage
from email import policy
from email.parser import BytesHeaderParser
inner = EmailMessage()
inner["From"] = "Олег <oleg@example.ru>"; inner["Subject"] = "Fwd: отчёт"
inner["Message-ID"] = "<inner@example.ru>"
inner.set_content("forwarded\n")
m = EmailMessage()
m["From"] = "Анна Иванова <anna@example.ru>"
m["To"] = ", ".join(f"Получатель номер {i} <r{i}@example.org>" for i in range(6))
m["Subject"] = "Привет, мир: квартальный отчёт о бюджете и расходах на второй квартал"
m["Date"] = "Fri, 05 May 2017 14:02:11 +0300"
m["Message-ID"] = "<20170505140211.1@example.ru>"
m.set_content("body\n")
m.add_attachment(inner)
raw = m.as_bytes(policy=policy.SMTP)
assert b"\r\n " in raw.split(b"\r\n\r\n")[0], "the header is folded"
open("msg.eml", "wb").write(raw)
raw8 = (b"From: x@example.org\r\nSubject: caf\xe9 cr\xe8me\r\nDate: yesterday\r\n"
        b"\r\nbody\r\n")
open("raw8.eml", "wb").write(raw8)
box = mailbox.mbox("box.mbox", create=True)
box.add(raw); box.add(raw8); box.close()
os.mkdir("want")
keys = {"message-id": "email.message_id", "date": "email.date", "from": "email.from",
        "to": "email.to", "subject": "email.subject"}
def want(name, data):
    msg = BytesHeaderParser(policy=policy.compat32).parsebytes(data)
    lines = []
    for field, key in keys.items():
        value = next((v for n, v in msg.raw_items() if n.lower() == field), None)
        if value is None:
            continue
        # compat32 gives the raw body; surrogates stand for bytes that are not ASCII.
        body = value.encode("ascii", "surrogateescape")
        body = re.sub(rb"\r?\n(?=[ \t])", b"", body).strip(b" \t")
        lines.append(f"{key}\t{body.hex()}")
    open(f"want/{name}.txt", "w").write("\n".join(lines))
want("msg", raw); want("raw8", raw8); want("inner", inner.as_bytes(policy=policy.SMTP))
"#;

/// The expected claims: text when the bytes are UTF-8 without control characters, else hex.
fn expected(dir: &Path, name: &str) -> Vec<(String, String)> {
    let text = fs::read_to_string(dir.join(format!("want/{name}.txt"))).unwrap();
    let mut out: Vec<(String, String)> = text
        .lines()
        .map(|l| {
            let (k, h) = l.split_once('\t').unwrap();
            let bytes = hex::decode(h).unwrap();
            match String::from_utf8(bytes) {
                Ok(s) if !s.chars().any(char::is_control) => (k.to_string(), s),
                _ => (format!("{k}.hex"), h.to_string()),
            }
        })
        .collect();
    out.sort();
    out
}

#[test]
fn emails_claim_their_header_fields_exactly() {
    let dir = tempfile::tempdir().unwrap();
    python(dir.path(), MAKE_MAIL);
    let want = expected(dir.path(), "msg");
    assert_eq!(want.len(), 5);
    let subject = &want.iter().find(|(k, _)| k == "email.subject").unwrap().1;
    assert!(subject.starts_with("=?utf-8?"), "left encoded: {subject}");
    assert!(!subject.contains('\n'));

    let (found, top) = walk_all(&dir.path().join("msg.eml"), &Limits::default());
    assert_eq!(top.kind, Kind::Email);
    assert_eq!(top.claimed, want);
    let inner = found.iter().find(|f| f.kind == Kind::Email).unwrap();
    assert_eq!(inner.claimed, expected(dir.path(), "inner"));
    assert!(
        found
            .iter()
            .filter(|f| f.kind != Kind::Email)
            .all(|f| f.claimed.is_empty())
    );

    let raw8 = expected(dir.path(), "raw8");
    assert!(raw8.contains(&(
        "email.subject.hex".into(),
        "636166e9206372e86d65".to_string()
    )));
    let (_, top) = walk_all(&dir.path().join("raw8.eml"), &Limits::default());
    assert_eq!(top.claimed, raw8);

    // In an mbox: each message claims its own fields.
    let (found, top) = walk_all(&dir.path().join("box.mbox"), &Limits::default());
    assert!(top.claimed.is_empty(), "an mbox claims nothing itself");
    let messages: Vec<_> = found.iter().filter(|f| f.parent.is_none()).collect();
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0].claimed, want);
    assert_eq!(messages[1].claimed, raw8);

    // Too large to be parsed: its parts are not looked for, its header still claims.
    let small = Limits {
        max_buffered: 1000,
        ..Limits::default()
    };
    let (found, top) = walk_all(&dir.path().join("msg.eml"), &small);
    assert!(found.is_empty());
    assert_eq!(top.claimed, want);
}

/// `in.tar` and `in.zip` each hold `a.txt` and `b.txt` with known times; `in.tgz` holds the
/// tar.
const MAKE_ARCHIVES: &str = r#"
import tarfile, zipfile, io, gzip
with tarfile.open("in.tar", "w") as t:
    for name, mtime in [("a.txt", 1493992931), ("b.txt", 0)]:
        info = tarfile.TarInfo(name); info.size = 2; info.mtime = mtime
        t.addfile(info, io.BytesIO(b"x\n"))
with zipfile.ZipFile("in.zip", "w") as z:
    z.writestr(zipfile.ZipInfo("a.txt", date_time=(2017, 5, 5, 14, 2, 10)), b"x\n")
    z.writestr(zipfile.ZipInfo("b.txt", date_time=(1980, 1, 1, 0, 0, 0)), b"y\n")
open("in.tgz", "wb").write(gzip.compress(open("in.tar", "rb").read(), mtime=0))
"#;

#[test]
fn archive_members_claim_their_stored_times() {
    let dir = tempfile::tempdir().unwrap();
    python(dir.path(), MAKE_ARCHIVES);
    let time = |f: &prov_ingest::Found| f.claimed.clone();
    let one = |v: &str| vec![("archive.mtime".to_string(), v.to_string())];

    let (found, top) = walk_all(&dir.path().join("in.tar"), &Limits::default());
    assert!(top.claimed.is_empty());
    assert_eq!(time(by_path(&found, b"a.txt")), one("2017-05-05T14:02:11Z"));
    assert_eq!(time(by_path(&found, b"b.txt")), one("1970-01-01T00:00:00Z"));

    let (found, _) = walk_all(&dir.path().join("in.zip"), &Limits::default());
    assert_eq!(time(by_path(&found, b"a.txt")), one("2017-05-05T14:02:10"));
    assert_eq!(time(by_path(&found, b"b.txt")), one("1980-01-01T00:00:00"));

    // Nested: the tar inside the gzip; the gzip's own MTIME of 0 is "not set" (RFC 1952).
    let (found, _) = walk_all(&dir.path().join("in.tgz"), &Limits::default());
    assert_eq!(time(by_path(&found, b"a.txt")), one("2017-05-05T14:02:11Z"));
}
