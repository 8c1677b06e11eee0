//! Email and mbox: MIME parts after transfer decoding, byte-exact against Python's `email`
//! package, and attachments that are containers walked in turn.

mod common;

use common::*;
use prov_ingest::{Kind, Limits};
use std::fs;

/// Writes `msg.eml` (a Latin-1 quoted-printable body, an HTML alternative, a zip attachment
/// in base64, an attached message) and `box.mbox` (that message and two more, one with a
/// `From ` line in its body), plus `parts/N` with each part's bytes as Python decodes them.
const MAKE_MAIL: &str = r#"
import email, mailbox, zipfile, io, os
from email.message import EmailMessage
from email import policy
buf = io.BytesIO()
with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("contract.txt", b"the contract\n" * 20)
    z.writestr("scan.bin", bytes(range(256)) * 8)
inner = EmailMessage()
inner["From"] = "c@example.org"; inner["To"] = "d@example.org"; inner["Subject"] = "fwd"
inner.set_content("forwarded body\n")
m = EmailMessage()
m["From"] = "a@example.org"; m["To"] = "b@example.org"; m["Subject"] = "leak"
m["Message-ID"] = "<1@example.org>"
m.set_content("Caf\xe9 cr\xe8me, r\xe9sum\xe9\n" * 3, charset="iso-8859-1", cte="quoted-printable")
m.add_alternative("<p>Caf\xe9</p>\n", subtype="html", charset="utf-8", cte="base64")
m.add_attachment(buf.getvalue(), maintype="application", subtype="zip", filename="docs.zip")
m.add_attachment(inner)
raw = m.as_bytes(policy=policy.SMTP)
open("msg.eml", "wb").write(raw)
os.mkdir("parts")
parsed = email.message_from_bytes(raw, policy=policy.default)
n = 0
for part in parsed.walk():
    if part.is_multipart():
        continue
    n += 1
    open(f"parts/{n}", "wb").write(part.get_payload(decode=True))
for part in parsed.walk():
    if part.get_content_type() == "message/rfc822":
        n += 1
        open(f"parts/{n}", "wb").write(part.get_payload()[0].as_bytes(policy=policy.SMTP))
box = mailbox.mbox("box.mbox", create=True)
box.add(raw)
plain = EmailMessage(); plain["From"] = "e@example.org"; plain["Subject"] = "two"
plain.set_content("From the start of a line\nnot a separator once quoted\n")
box.add(plain)
third = EmailMessage(); third["From"] = "f@example.org"; third["Subject"] = "three"
third.set_content("last\n")
box.add(third)
box.close()
box = mailbox.mbox("box.mbox")
for i, key in enumerate(box.keys()):
    open(f"parts/mbox{i + 1}", "wb").write(box.get_bytes(key))
"#;

#[test]
fn eml_parts_match_python() {
    let dir = tempfile::tempdir().unwrap();
    python(dir.path(), MAKE_MAIL);
    let part = |n: &str| fs::read(dir.path().join("parts").join(n)).unwrap();
    let (found, summary) = walk_all(&dir.path().join("msg.eml"), &Limits::default());
    assert_eq!(summary.kind, Kind::Email);
    let top: Vec<_> = found.iter().filter(|f| f.parent.is_none()).collect();
    assert_eq!(top.len(), 4, "text, html, zip, message: {found:#?}");
    let locators: Vec<_> = top.iter().map(|f| f.locator.clone().unwrap()).collect();
    assert_eq!(locators, ["1", "2", "3", "4"]);

    // The text part is Latin-1 after quoted-printable decoding: never re-encoded to UTF-8.
    assert_eq!(top[0].sha256, sha(&part("1")), "text part");
    assert!(part("1").contains(&0xe9));
    assert_eq!(top[0].media_type.as_deref(), Some("text/plain"));
    assert_eq!(top[1].sha256, sha(&part("2")), "html part");
    assert_eq!(top[1].media_type.as_deref(), Some("text/html"));

    let zip = top[2];
    assert_eq!((zip.kind, &zip.path[..]), (Kind::Zip, &b"docs.zip"[..]));
    assert_eq!(zip.sha256, sha(&part("3")));
    let contract = by_path(&found, b"contract.txt");
    assert_eq!(contract.parent, Some(zip.index));
    assert_eq!(contract.sha256, sha(&b"the contract\n".repeat(20)));

    let fwd = top[3];
    assert_eq!(fwd.kind, Kind::Email);
    assert_eq!(fwd.media_type.as_deref(), Some("message/rfc822"));
    // Python's walk goes into the attached message: parts/4 is its body, parts/5 its bytes.
    let fwd_body = found.iter().find(|f| f.parent == Some(fwd.index)).unwrap();
    assert_eq!(fwd_body.sha256, sha(&part("4")));
    assert_eq!(part("4"), b"forwarded body\r\n");
    assert_eq!(fwd.sha256, sha(&part("5")), "attached message");
    assert!(found.iter().all(|f| f.note.is_none()), "{found:#?}");
}

/// An mbox of three messages: each message byte-exact as Python's `mailbox` reads it, the
/// first one's zip attachment walked three levels down.
#[test]
fn mbox_messages_and_nested_attachment() {
    let dir = tempfile::tempdir().unwrap();
    python(dir.path(), MAKE_MAIL);
    let part = |n: &str| fs::read(dir.path().join("parts").join(n)).unwrap();
    let (found, summary) = walk_all(&dir.path().join("box.mbox"), &Limits::default());
    assert_eq!(summary.kind, Kind::Mbox);
    let c = summary.completeness.unwrap();
    assert_eq!((c.declared, c.found, c.not_recorded.len()), (None, 3, 0));
    let messages: Vec<_> = found.iter().filter(|f| f.parent.is_none()).collect();
    assert_eq!(messages.len(), 3);
    for (i, m) in messages.iter().enumerate() {
        let n = i + 1;
        assert_eq!(m.kind, Kind::Email);
        assert_eq!(m.locator.as_deref(), Some(n.to_string().as_str()));
        assert_eq!(m.sha256, sha(&part(&format!("mbox{n}"))), "message {n}");
    }
    // mbox > message > zip > contract.txt
    let contract = by_path(&found, b"contract.txt");
    let zip = &found[contract.parent.unwrap() as usize];
    let message = &found[zip.parent.unwrap() as usize];
    assert_eq!(message.parent, None);
    assert_eq!(message.index, messages[0].index);
    // The second message's body keeps the `>From ` quoting Python's mailbox wrote.
    let body = found
        .iter()
        .find(|f| f.parent == Some(messages[1].index))
        .unwrap();
    assert_eq!(
        body.sha256,
        sha(b">From the start of a line\nnot a separator once quoted\n")
    );
}

/// A message too big for `max_buffered` is still recorded whole; its parts are not looked
/// for, and the note says why.
#[test]
fn email_over_buffer_limit() {
    let dir = tempfile::tempdir().unwrap();
    python(dir.path(), MAKE_MAIL);
    let limits = Limits {
        max_buffered: 1000,
        ..Limits::default()
    };
    let (found, summary) = walk_all(&dir.path().join("box.mbox"), &limits);
    let first = &found[0];
    assert_eq!(
        first.sha256,
        sha(&fs::read(dir.path().join("parts/mbox1")).unwrap())
    );
    assert!(
        first.note.as_deref().unwrap().contains("max_buffered"),
        "{first:?}"
    );
    assert!(first.completeness.as_ref().unwrap().stopped.is_some());
    assert_eq!(summary.completeness.unwrap().found, 3);
    assert!(found.iter().all(|f| f.path != b"contract.txt"));
}

/// A message of an mbox, or a part of an email without a name, that is not recorded whole
/// is listed by its position, `#N`, as results show it (not by an empty name).
#[test]
fn an_mbox_message_not_recorded_is_listed_by_its_position() {
    let dir = tempfile::tempdir().unwrap();
    let message = |n: usize| {
        format!(
            "From a@example.org Mon Jan  1 00:00:00 2024\nFrom: a@example.org\nSubject: {n}\n\n{}\n",
            format!("line {n}\n").repeat(100)
        )
    };
    let mbox: String = (1..=3).map(message).collect();
    let path = dir.path().join("box.mbox");
    fs::write(&path, &mbox).unwrap();
    // The mailbox's own bytes, the first message and its body whole, part of the second.
    let limits = Limits {
        max_total_bytes: mbox.len() as u64 + 2 * message(1).len() as u64,
        ..Limits::default()
    };
    let (_, summary) = walk_all(&path, &limits);
    let c = summary.completeness.unwrap();
    assert_eq!(c.not_recorded.len(), 1, "{c:?}");
    assert_eq!(c.not_recorded[0].0, b"#2", "{c:?}");
    // So is an email's part without a name.
    let eml = dir.path().join("one.eml");
    let one = message(1);
    let one = one.split_once('\n').unwrap().1;
    fs::write(&eml, one).unwrap();
    let limits = Limits {
        max_total_bytes: one.len() as u64 + 100,
        ..Limits::default()
    };
    let (_, summary) = walk_all(&eml, &limits);
    let c = summary.completeness.unwrap();
    assert_eq!(c.not_recorded.len(), 1, "{c:?}");
    assert_eq!(c.not_recorded[0].0, b"#1", "{c:?}");
}
