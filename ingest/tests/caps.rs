//! Memory caps: the names of entries not recorded, a zip's central directory read only when
//! its end record allows it, and a zip member's ratio cap that a lying size cannot raise.

mod common;

use common::*;
use prov_ingest::{Completeness, Hashed, Limits};

/// A tar of 1,500 FIFO entries and one file: every entry counted, the first 1,000 named.
#[test]
fn not_recorded_keeps_a_thousand_names_and_counts_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    python(
        dir.path(),
        r#"
import tarfile, io
with tarfile.open("fifos.tar", "w") as t:
    for i in range(1500):
        info = tarfile.TarInfo(f"fifo{i}")
        info.type = tarfile.FIFOTYPE
        t.addfile(info)
    data = b"a document\n"
    info = tarfile.TarInfo("doc.txt")
    info.size = len(data)
    t.addfile(info, io.BytesIO(data))
"#,
    );
    let (found, summary) = walk_all(&dir.path().join("fifos.tar"), &Limits::default());
    assert_eq!(found.len(), 1);
    let c = summary.completeness.unwrap();
    assert_eq!(c.found, 1501);
    assert_eq!(c.not_recorded.len(), Completeness::KEPT);
    assert_eq!(c.not_recorded_more, 500);
    assert_eq!(c.not_recorded[999].0, b"fifo999");
}

/// Past max_members, the entries not visited are counted, and named up to the cap.
#[test]
fn entries_past_max_members_are_counted_not_all_named() {
    let dir = tempfile::tempdir().unwrap();
    python(
        dir.path(),
        r#"
import tarfile, io
with tarfile.open("many.tar", "w") as t:
    for i in range(1200):
        info = tarfile.TarInfo(f"f{i}")
        info.size = 1
        t.addfile(info, io.BytesIO(b"x"))
"#,
    );
    let limits = Limits {
        max_members: 100,
        ..Limits::default()
    };
    let (found, summary) = walk_all(&dir.path().join("many.tar"), &limits);
    assert_eq!(found.len(), 100);
    let c = summary.completeness.unwrap();
    assert_eq!(c.found, 1200);
    assert_eq!(c.not_recorded.len() as u64 + c.not_recorded_more, 1100);
    assert_eq!(c.not_recorded_more, 100);
}

/// A zip whose end record declares more entries than max_members is refused before its
/// central directory is read: a note, `stopped`, and nothing visited.
#[test]
fn a_zip_declaring_more_entries_than_max_members_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    python(
        dir.path(),
        r#"
import zipfile, struct
with zipfile.ZipFile("five.zip", "w") as z:
    for i in range(5):
        z.writestr(f"m{i}", b"member")
# The same zip, its end record claiming 65,000 entries (and a 4 GB directory).
data = bytearray(open("five.zip", "rb").read())
end = data.rfind(b"PK\x05\x06")
data[end + 8:end + 12] = struct.pack("<HH", 65000, 65000)
open("liar.zip", "wb").write(bytes(data))
data[end + 8:end + 12] = struct.pack("<HH", 5, 5)
data[end + 12:end + 16] = struct.pack("<I", 0xFFFFFFF0)
open("huge_dir.zip", "wb").write(bytes(data))
"#,
    );
    let limits = Limits {
        max_members: 3,
        ..Limits::default()
    };
    let (found, summary) = walk_all(&dir.path().join("five.zip"), &limits);
    assert!(found.is_empty());
    let c = summary.completeness.as_ref().unwrap();
    assert_eq!((c.declared, c.found), (Some(5), 0));
    assert!(c.stopped.as_deref().unwrap().contains("max_members"));
    assert!(summary.note.as_deref().unwrap().contains("5 entries"));

    let thousand = Limits {
        max_members: 1000,
        ..Limits::default()
    };
    let (found, summary) = walk_all(&dir.path().join("liar.zip"), &thousand);
    assert!(found.is_empty());
    assert!(summary.note.as_deref().unwrap().contains("65000 entries"));
    let (found, summary) = walk_all(&dir.path().join("five.zip"), &Limits::default());
    assert_eq!((found.len(), summary.note), (5, None));

    let (found, summary) = walk_all(&dir.path().join("huge_dir.zip"), &Limits::default());
    assert!(found.is_empty());
    let note = summary.note.as_deref().unwrap();
    assert!(note.contains("max_buffered"), "{note}");
}

/// A zip entry of 20 MiB of zeros whose directory claims 2 GB compressed: its ratio cap is
/// 200 times the bytes the archive really has after the entry's data starts, not the claim.
/// (The zip sits in a tar with 1 MiB of random bytes, so that the walk's own cap, 200 times
/// the top file, is far above the member's.)
#[test]
fn a_lying_compressed_size_does_not_raise_the_ratio_cap() {
    let dir = tempfile::tempdir().unwrap();
    python(
        dir.path(),
        r#"
import zipfile, struct
with zipfile.ZipFile("bomb.zip", "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("zeros", bytes(20 << 20))
data = bytearray(open("bomb.zip", "rb").read())
cd = data.rfind(b"PK\x01\x02")
data[cd + 20:cd + 24] = struct.pack("<I", 0x7FFFFFFF)
open("liar.zip", "wb").write(bytes(data))
import tarfile, os
open("noise", "wb").write(os.urandom(1 << 20))
with tarfile.open("liar.tar", "w") as t:
    t.add("noise")
    t.add("liar.zip")
"#,
    );
    let limits = Limits {
        ratio_floor: 1 << 20,
        ..Limits::default()
    };
    let (found, _) = walk_all(&dir.path().join("liar.tar"), &limits);
    let zeros = by_path(&found, b"zeros");
    assert_eq!(zeros.hashed, Hashed::Prefix, "{zeros:?}");
    let note = zeros.note.as_deref().unwrap();
    assert!(note.contains("expansion ratio"), "{note}");
    assert!(zeros.size < 20 << 20);
}

/// The details of a streamed container's members are held until it is finished (so that it
/// is visited first); they count against max_buffered, and those past it are listed.
#[test]
fn held_members_of_a_stream_count_against_max_buffered() {
    let dir = tempfile::tempdir().unwrap();
    python(
        dir.path(),
        r#"
import tarfile, io
with tarfile.open("many.tar.gz", "w:gz") as t:
    for i in range(2000):
        info = tarfile.TarInfo(f"f{i:05}")
        info.size = 1
        t.addfile(info, io.BytesIO(b"x"))
"#,
    );
    let path = dir.path().join("many.tar.gz");
    let (found, _) = walk_all(&path, &Limits::default());
    assert_eq!(found.len(), 2001);
    let limits = Limits {
        max_buffered: 100_000,
        ..Limits::default()
    };
    let (found, _) = walk_all(&path, &limits);
    assert!(found.len() > 100 && found.len() < 1000, "{}", found.len());
    let c = found[0].completeness.as_ref().unwrap();
    assert_eq!(c.found, 2000);
    let listed = c.not_recorded.len() as u64 + c.not_recorded_more;
    assert_eq!(listed + found.len() as u64 - 1, 2000);
    assert!(c.not_recorded[0].1.contains("max_buffered"));
}
