//! Zip, tar, gzip and their nesting, against what real tools extract.

mod common;

use common::*;
use prov_ingest::{Hashed, Kind, Limits, Mtime};
use std::fs;

/// A zip inside a tar.gz, with a gzip inside the zip: every member found, byte-exact, each
/// linked to its container, containers visited first.
#[test]
fn zip_in_tar_gz() {
    let dir = tempfile::tempdir().unwrap();
    python(
        dir.path(),
        r#"
import zipfile, tarfile, gzip, io, os
os.mkdir("src")
open("src/a.txt", "wb").write(b"alpha\n" * 1000)
open("src/b.bin", "wb").write(bytes(range(256)) * 40)
gz = gzip.compress(b"inner gzip text\n" * 50, mtime=1700000000)
with zipfile.ZipFile("inner.zip", "w", zipfile.ZIP_DEFLATED) as z:
    z.write("src/a.txt", "docs/a.txt")
    z.writestr("docs/c.txt.gz", gz)
    z.writestr("empty.txt", b"")
with tarfile.open("outer.tar.gz", "w:gz") as t:
    t.add("inner.zip", "x/inner.zip")
    t.add("src/b.bin", "x/b.bin")
"#,
    );
    let (found, summary) = walk_all(&dir.path().join("outer.tar.gz"), &Limits::default());
    assert_eq!(summary.kind, Kind::Gzip);
    assert_eq!(summary.hashed, Hashed::Content);
    let top_bytes = fs::read(dir.path().join("outer.tar.gz")).unwrap();
    assert_eq!(summary.sha256, sha(&top_bytes));
    assert_eq!(summary.size, top_bytes.len() as u64);
    assert_eq!(summary.completeness.as_ref().unwrap().found, 1);

    // The gzip's one member is the tar (Python names it in FNAME).
    let tar = &found[0];
    assert_eq!(tar.kind, Kind::Tar);
    assert_eq!(tar.parent, None);
    assert_eq!(tar.path, b"outer.tar");
    let tar_bytes = run(dir.path(), "gzip", &["-dc", "outer.tar.gz"]);
    assert_eq!(tar.sha256, sha(&tar_bytes));

    let zip = by_path(&found, b"x/inner.zip");
    assert_eq!(zip.kind, Kind::Zip);
    assert_eq!(zip.parent, Some(tar.index));
    assert_eq!(
        zip.sha256,
        sha(&fs::read(dir.path().join("inner.zip")).unwrap())
    );
    let c = zip.completeness.as_ref().unwrap();
    assert_eq!((c.declared, c.found), (Some(3), 3));
    assert!(c.not_recorded.is_empty());

    let a = by_path(&found, b"docs/a.txt");
    assert_eq!(a.parent, Some(zip.index));
    assert_eq!(a.sha256, sha(&b"alpha\n".repeat(1000)));
    assert_eq!(a.size, 6000);
    assert!(matches!(a.mtime, Some(Mtime::Local(_))));

    let gz = by_path(&found, b"docs/c.txt.gz");
    assert_eq!(gz.kind, Kind::Gzip);
    let inner = found.iter().find(|f| f.parent == Some(gz.index)).unwrap();
    assert_eq!(inner.sha256, sha(&b"inner gzip text\n".repeat(50)));
    assert_eq!(inner.path, b"", "no FNAME from gzip.compress");
    assert_eq!(inner.mtime, Some(Mtime::Unix(1_700_000_000)));

    let empty = by_path(&found, b"empty.txt");
    assert_eq!((empty.size, empty.sha256), (0, sha(b"")));

    let b = by_path(&found, b"x/b.bin");
    assert_eq!(b.parent, Some(tar.index));
    assert!(matches!(b.mtime, Some(Mtime::Unix(_))));
    assert_eq!(found.len(), 7);
    assert!(found.iter().all(|f| f.note.is_none()), "{found:#?}");
}

/// Members hash exactly as `unzip -p` and `tar -xO` extract them.
#[test]
fn same_bytes_as_unzip_and_tar() {
    if !have("zip") || !have("unzip") {
        return skip("zip or unzip is not installed");
    }
    let dir = tempfile::tempdir().unwrap();
    python(
        dir.path(),
        r#"
import os, random
random.seed(7)
os.mkdir("d")
for i in range(5):
    open(f"d/f{i}.dat", "wb").write(random.randbytes(random.randrange(0, 300000)) + b"text " * i * 999)
"#,
    );
    run(dir.path(), "zip", &["-qr", "-9", "z.zip", "d"]);
    run(dir.path(), "tar", &["-cf", "t.tar", "d"]);
    let (zf, _) = walk_all(&dir.path().join("z.zip"), &Limits::default());
    let (tf, _) = walk_all(&dir.path().join("t.tar"), &Limits::default());
    for i in 0..5 {
        let name = format!("d/f{i}.dat");
        let unzipped = run(dir.path(), "unzip", &["-p", "z.zip", &name]);
        let untarred = run(dir.path(), "tar", &["-xOf", "t.tar", &name]);
        assert_eq!(by_path(&zf, name.as_bytes()).sha256, sha(&unzipped));
        assert_eq!(by_path(&tf, name.as_bytes()).sha256, sha(&untarred));
        assert_eq!(by_path(&tf, name.as_bytes()).size, untarred.len() as u64);
    }
    // Directories are counted, not visited.
    let (_, s) = walk_all(&dir.path().join("t.tar"), &Limits::default());
    let c = s.completeness.unwrap();
    assert_eq!((c.found, c.directories), (6, 1));
}

/// `../../etc/x`, `/etc/passwd` and a symlink out of the archive are recorded as stored, and
/// nothing is created or read on the file system.
#[test]
fn hostile_paths_and_links_are_only_names() {
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path().join("work");
    fs::create_dir(&work).unwrap();
    python(
        &work,
        r#"
import tarfile, zipfile, io, stat
def add(t, name, data=b"", kind=tarfile.REGTYPE, link=""):
    i = tarfile.TarInfo(name); i.type = kind; i.linkname = link; i.size = len(data)
    t.addfile(i, io.BytesIO(data) if data else None)
with tarfile.open("evil.tar", "w", format=tarfile.GNU_FORMAT) as t:
    add(t, "../../etc/x", b"traversal\n")
    add(t, "/etc/passwd", b"absolute\n")
    add(t, "link", kind=tarfile.SYMTYPE, link="/etc/shadow")
    add(t, "hard", kind=tarfile.LNKTYPE, link="../../etc/x")
    add(t, "fifo", kind=tarfile.FIFOTYPE)
    add(t, "caf\xe9.txt", b"latin-1 name\n")
with zipfile.ZipFile("evil.zip", "w") as z:
    z.writestr("../../../tmp/zipslip", b"slip\n")
    i = zipfile.ZipInfo("zlink"); i.external_attr = (stat.S_IFLNK | 0o777) << 16
    z.writestr(i, "../../../../etc/passwd")
"#,
    );
    let before: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
    let (found, summary) = walk_all(&work.join("evil.tar"), &Limits::default());
    let t = by_path(&found, b"../../etc/x");
    assert_eq!(t.sha256, sha(b"traversal\n"));
    assert_eq!(by_path(&found, b"/etc/passwd").sha256, sha(b"absolute\n"));
    let link = by_path(&found, b"link");
    assert_eq!(link.kind, Kind::Link);
    let target = link.link.as_ref().unwrap();
    assert_eq!(
        (target.hard, &target.target[..]),
        (false, &b"/etc/shadow"[..])
    );
    assert_eq!(link.size, 0, "a link is never followed");
    assert!(by_path(&found, b"hard").link.as_ref().unwrap().hard);
    // Python writes the GNU name as UTF-8 of the str it was given; the raw bytes are kept.
    assert_eq!(by_path(&found, "café.txt".as_bytes()).size, 13);
    let c = summary.completeness.unwrap();
    assert_eq!(c.found, 6);
    assert_eq!(c.not_recorded.len(), 1);
    assert_eq!(c.not_recorded[0].0, b"fifo");

    let (zf, _) = walk_all(&work.join("evil.zip"), &Limits::default());
    assert_eq!(by_path(&zf, b"../../../tmp/zipslip").sha256, sha(b"slip\n"));
    let zl = by_path(&zf, b"zlink");
    assert_eq!(zl.kind, Kind::Link);
    assert_eq!(zl.link.as_ref().unwrap().target, b"../../../../etc/passwd");
    let after: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(
        before.len(),
        after.len(),
        "nothing written beside the archive"
    );
    assert_eq!(fs::read_dir(&work).unwrap().count(), 2, "nor in its folder");
}

/// Detection is by content: a tar named .txt and a zip named .pdf are walked as such.
#[test]
fn content_not_extension() {
    let dir = tempfile::tempdir().unwrap();
    python(
        dir.path(),
        r#"
import tarfile, zipfile, io
with zipfile.ZipFile("report.pdf", "w") as z:
    z.writestr("inside.txt", b"hi\n")
with tarfile.open("notes.txt", "w") as t:
    i = tarfile.TarInfo("report.pdf"); data = open("report.pdf", "rb").read(); i.size = len(data)
    t.addfile(i, io.BytesIO(data))
"#,
    );
    let (found, summary) = walk_all(&dir.path().join("notes.txt"), &Limits::default());
    assert_eq!(summary.kind, Kind::Tar);
    assert_eq!(found[0].kind, Kind::Zip);
    assert_eq!(found[1].path, b"inside.txt");
    assert_eq!(found[1].parent, Some(0));
}
