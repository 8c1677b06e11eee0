//! A top-level zip walked from a file has its small members decoded ahead on a second thread,
//! and the file hashed on a third (`ahead.rs`, `top.rs`). What is found must be exactly what
//! the walk finds on one thread, for ordinary and for damaged or lying members, and when a
//! limit cuts a member or ends the walk among members already decoded ahead.
//!
//! The reference walk is the same file through `walk_seekable` (no second reader, so the file
//! is hashed first and nothing is read ahead), here with `max_buffered` at 4 MiB, plenty for
//! these members: that walk reads every member on one thread, as before the read-ahead.

mod common;

use common::*;
use prov_ingest::{Found, Hashed, Limits, Summary, walk_seekable};
use std::fs::File;
use std::ops::ControlFlow;
use std::path::Path;

/// Writes `mixed.zip`: emails with attachments, deflated and stored text, a directory, a
/// nested zip, a symlink, an empty file, and members whose central directory lies (a wrong
/// CRC-32, a declared size too small, one too large, the encrypted flag) or whose deflate
/// data is damaged.
const MAKE_MIXED: &str = r#"
import zipfile, io, random, struct
from email.message import EmailMessage
rnd = random.Random(7)
words = "the report is attached please review before the meeting".split()
inner = io.BytesIO()
with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("inner.txt", " ".join(rnd.choice(words) for _ in range(3000)))
with zipfile.ZipFile("mixed.zip", "w", zipfile.ZIP_DEFLATED) as z:
    for i in range(12):
        m = EmailMessage()
        m["From"] = f"user{i}@example.org"
        m["Subject"] = f"message {i}"
        m.set_content(" ".join(rnd.choice(words) for _ in range(300)))
        m.add_attachment(rnd.randbytes(20000 + 1000 * i), maintype="application",
                         subtype="octet-stream", filename=f"a{i}.bin")
        z.writestr(f"mail/{i:02}.eml", m.as_bytes())
    z.writestr("dir/", b"")
    z.writestr("zeros.txt", b"a" * 300000)
    z.writestr(zipfile.ZipInfo("stored.txt"), " ".join(words) * 50)
    z.writestr("inner.zip", inner.getvalue())
    link = zipfile.ZipInfo("link")
    link.external_attr = (0o120777 << 16)
    z.writestr(link, "mail/00.eml")
    z.writestr("empty", b"")
    for name in ["badcrc.txt", "short.txt", "long.txt", "flagged.txt", "damaged.txt"]:
        z.writestr(name, " ".join(rnd.choice(words) for _ in range(2000)))
    z.writestr("last.txt", b"the end\n")
raw = bytearray(open("mixed.zip", "rb").read())
at, = struct.unpack("<I", raw[raw.rindex(b"PK\x05\x06") + 16:][:4])
while raw[at:at + 4] == b"PK\x01\x02":
    nlen, xlen, clen = struct.unpack("<HHH", raw[at + 28:at + 34])
    name = bytes(raw[at + 46:at + 46 + nlen])
    usize, = struct.unpack("<I", raw[at + 24:at + 28])
    local, = struct.unpack("<I", raw[at + 42:at + 46])
    if name == b"badcrc.txt":
        raw[at + 16] ^= 0xFF
    elif name == b"short.txt":
        raw[at + 24:at + 28] = struct.pack("<I", usize - 10)
    elif name == b"long.txt":
        raw[at + 24:at + 28] = struct.pack("<I", usize + 1000)
    elif name == b"flagged.txt":
        raw[at + 8] |= 1
    elif name == b"damaged.txt":
        lnlen, lxlen = struct.unpack("<HH", raw[local + 26:local + 30])
        data = local + 30 + lnlen + lxlen
        for k in range(40, 60):
            raw[data + k] ^= 0x5A
    at += 46 + nlen + xlen + clen
open("mixed.zip", "wb").write(bytes(raw))
"#;

/// What the walk of `path` found: with the read-ahead (through `walk`), or on one thread.
fn walked(path: &Path, limits: &Limits, ahead: bool) -> (Vec<Found>, Summary) {
    if ahead {
        // However small the file, the threads are used (`threads.rs` sees that they run).
        let every = Limits {
            parallel_from: 0,
            ..limits.clone()
        };
        return walk_all(path, &every);
    }
    let one_thread = Limits {
        max_buffered: 4 << 20,
        ..limits.clone()
    };
    let file = File::open(path).unwrap();
    let size = file.metadata().unwrap().len();
    let mut found = Vec::new();
    let summary = walk_seekable(file, size, "mixed.zip", &one_thread, &mut |f| {
        found.push(f);
        ControlFlow::Continue(())
    })
    .unwrap();
    (found, summary)
}

fn same_either_way(path: &Path, limits: &Limits) -> (Vec<Found>, Summary) {
    let (found, summary) = walked(path, limits, true);
    let (one_found, one_summary) = walked(path, limits, false);
    assert_eq!(found.len(), one_found.len(), "{limits:?}");
    for (a, b) in found.iter().zip(&one_found) {
        assert_eq!(a, b, "{limits:?}");
    }
    assert_eq!(summary, one_summary, "{limits:?}");
    (found, summary)
}

fn note(f: &Found) -> &str {
    f.note.as_deref().unwrap_or("")
}

#[test]
fn a_zip_read_ahead_finds_what_one_thread_finds() {
    let dir = tempfile::tempdir().unwrap();
    python(dir.path(), MAKE_MIXED);
    let path = dir.path().join("mixed.zip");
    let (found, summary) = same_either_way(&path, &Limits::default());
    // The fixture is what it says: each lie or damage shows, and the rest is whole.
    let c = summary.completeness.as_ref().unwrap();
    assert_eq!((c.found, c.directories), (24, 1), "{c:?}");
    let member = |name: &[u8]| by_path(&found, name);
    for bad in [&b"badcrc.txt"[..], b"short.txt", b"damaged.txt"] {
        let f = member(bad);
        assert_eq!(f.hashed, Hashed::Prefix, "{f:?}");
        assert!(note(f).contains("not read to the end"), "{f:?}");
    }
    assert_eq!(member(b"long.txt").hashed, Hashed::Content);
    assert!(note(member(b"flagged.txt")).contains("encrypted"));
    assert!(member(b"link").link.is_some());
    assert_eq!(member(b"empty").size, 0);
    assert_eq!(member(b"last.txt").sha256, sha(b"the end\n"));
    assert_eq!(
        found.iter().filter(|f| f.parent.is_some()).count(),
        12 * 2 + 1
    );
}

/// Limits that cut members read ahead (the expansion ratio), end the walk among them (the
/// total bytes, the member count): the same either way.
#[test]
fn limits_cut_a_zip_read_ahead_where_they_cut_it_on_one_thread() {
    let dir = tempfile::tempdir().unwrap();
    python(dir.path(), MAKE_MIXED);
    let path = dir.path().join("mixed.zip");
    let ratio = Limits {
        max_ratio: 10,
        ratio_floor: 50_000,
        ..Limits::default()
    };
    let (found, _) = same_either_way(&path, &ratio);
    let zeros = by_path(&found, b"zeros.txt");
    assert_eq!((zeros.hashed, zeros.size), (Hashed::Prefix, 50_000));
    assert_eq!(zeros.sha256, sha(&b"a".repeat(50_000)));
    for total in [200_000, 700_000, 1_000_000, 1_300_000] {
        let limits = Limits {
            max_total_bytes: total,
            ..Limits::default()
        };
        let (_, summary) = same_either_way(&path, &limits);
        let stopped = summary.completeness.unwrap().stopped.unwrap_or_default();
        assert!(
            stopped.contains("total size limit"),
            "{total}: {stopped} {}",
            summary.bytes
        );
    }
    for members in [24, 30, 40] {
        let limits = Limits {
            max_members: members,
            ..Limits::default()
        };
        let (found, _) = same_either_way(&path, &limits);
        assert_eq!(
            found.len() as u64,
            members,
            "{:?}",
            found.iter().map(path_str).collect::<Vec<_>>()
        );
    }
}
