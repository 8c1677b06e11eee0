//! Hostile and damaged archives: encryption, cuts, bombs, overlapping entries, depth.

mod common;

use common::*;
use prov_ingest::{Hashed, Kind, Limits, walk_reader};
use std::fs;
use std::ops::ControlFlow;

fn note(f: &prov_ingest::Found) -> &str {
    f.note.as_deref().unwrap_or("")
}

#[test]
fn encrypted_zip_member_is_opaque_with_note() {
    if !have("zip") {
        return skip("zip is not installed");
    }
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("secret.txt"), b"secret words\n".repeat(100)).unwrap();
    fs::write(dir.path().join("open.txt"), b"open words\n").unwrap();
    run(
        dir.path(),
        "zip",
        &["-q", "-P", "pw", "enc.zip", "secret.txt"],
    );
    run(dir.path(), "zip", &["-q", "enc.zip", "open.txt"]);
    let (found, summary) = walk_all(&dir.path().join("enc.zip"), &Limits::default());
    let secret = by_path(&found, b"secret.txt");
    assert_eq!((secret.kind, secret.hashed), (Kind::Opaque, Hashed::Stored));
    assert!(note(secret).contains("encrypted"), "{secret:?}");
    assert_ne!(secret.sha256, sha(&b"secret words\n".repeat(100)));
    assert_eq!(by_path(&found, b"open.txt").sha256, sha(b"open words\n"));
    let c = summary.completeness.unwrap();
    assert_eq!((c.declared, c.found), (Some(2), 2));
}

/// Writes `cut.tar.gz` and `cut.zip`: five 100 KB members, cut in the fourth.
const MAKE_CUT: &str = r#"
import tarfile, zipfile, io, random
random.seed(1)
data = [random.randbytes(100000) for _ in range(5)]
with tarfile.open("whole.tar.gz", "w:gz") as t:
    for i, d in enumerate(data):
        info = tarfile.TarInfo(f"m{i}"); info.size = len(d); t.addfile(info, io.BytesIO(d))
with zipfile.ZipFile("whole.zip", "w") as z:
    for i, d in enumerate(data):
        z.writestr(f"m{i}", d)
for name in ["whole.tar.gz", "whole.zip"]:
    raw = open(name, "rb").read()
    open(name.replace("whole", "cut"), "wb").write(raw[:350000])
    for i, d in enumerate(data):
        open(f"m{i}", "wb").write(d)
"#;

#[test]
fn truncated_archives_keep_members_before_the_cut() {
    let dir = tempfile::tempdir().unwrap();
    python(dir.path(), MAKE_CUT);
    let member = |i: usize| sha(&fs::read(dir.path().join(format!("m{i}"))).unwrap());

    let (found, summary) = walk_all(&dir.path().join("cut.tar.gz"), &Limits::default());
    assert_eq!(
        summary.hashed,
        Hashed::Content,
        "the cut file is read whole"
    );
    let tar = &found[0];
    assert_eq!(tar.hashed, Hashed::Prefix);
    assert!(note(tar).contains("not read to the end"), "{tar:?}");
    for i in 0..3 {
        let m = by_path(&found, format!("m{i}").as_bytes());
        assert_eq!((m.hashed, m.sha256), (Hashed::Content, member(i)));
    }
    let m3 = by_path(&found, b"m3");
    assert_eq!(m3.hashed, Hashed::Prefix);
    assert_ne!(m3.sha256, member(3));
    let c = tar.completeness.as_ref().unwrap();
    assert_eq!(c.found, 4);
    assert_eq!(c.not_recorded.len(), 1);
    assert_eq!(c.not_recorded[0].0, b"m3");
    assert!(c.stopped.is_some());

    let (found, summary) = walk_all(&dir.path().join("cut.zip"), &Limits::default());
    assert!(note_of(&summary).contains("central directory unreadable"));
    for i in 0..3 {
        assert_eq!(
            by_path(&found, format!("m{i}").as_bytes()).sha256,
            member(i)
        );
    }
    let c = summary.completeness.unwrap();
    assert_eq!(c.declared, None);
    assert!(c.stopped.is_some() || !c.not_recorded.is_empty(), "{c:?}");
}

fn note_of(s: &prov_ingest::Summary) -> &str {
    s.note.as_deref().unwrap_or("")
}

/// The classic bomb: a tiny zip of zips of 20 MB of zeros. With the default limits the walk
/// may hash only 8 MiB (the ratio floor, since 200 times a 4 KB file is less): it ends there,
/// and every member not reached is listed with the reason.
#[test]
fn zip_bomb_hits_total_limit() {
    let dir = tempfile::tempdir().unwrap();
    python(dir.path(), &bomb_script(false));
    let (found, summary) = walk_all(&dir.path().join("bomb.zip"), &Limits::default());
    assert!(summary.size < 8192, "a tiny top file: {}", summary.size);
    assert_eq!(summary.bytes, 8 << 20);
    let zero = found.iter().find(|f| f.path == b"zeros0").unwrap();
    assert_eq!(zero.hashed, Hashed::Prefix);
    assert!(note(zero).contains("total size limit"), "{zero:?}");
    let c = summary.completeness.unwrap();
    assert!(c.stopped.as_deref().unwrap().contains("total size limit"));
    assert_eq!(c.not_recorded.len(), 8, "{c:?}");
    assert!(c.not_recorded[7].1.contains("total size limit"));
}

fn bomb_script(pad: bool) -> String {
    format!(
        r#"
import zipfile, io, random
zeros = bytes(20 * 1024 * 1024)
inner = io.BytesIO()
with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED) as z:
    for i in range(4):
        z.writestr(f"zeros{{i}}", zeros)
with zipfile.ZipFile("bomb.zip", "w", zipfile.ZIP_DEFLATED) as z:
    if {pad}:
        z.writestr("pad.bin", random.randbytes(1 << 20))
    for i in range(8):
        z.writestr(f"layer{{i}}.zip", inner.getvalue())
"#,
        pad = if pad { "True" } else { "False" }
    )
}

/// The same bomb beside 1 MiB of random data, so that the walk may hash 200 MiB: each 20 MB
/// of zeros (from about 20 KB, a ratio near 1000) is cut at 8 MiB by the ratio limit, and the
/// total limit ends the walk later.
#[test]
fn zip_bomb_hits_ratio_then_total_limit() {
    let dir = tempfile::tempdir().unwrap();
    python(dir.path(), &bomb_script(true));
    let (found, summary) = walk_all(&dir.path().join("bomb.zip"), &Limits::default());
    let zero = found.iter().find(|f| f.path == b"zeros0").unwrap();
    assert_eq!((zero.hashed, zero.size), (Hashed::Prefix, 8 << 20));
    assert!(note(zero).contains("expansion ratio limit"), "{zero:?}");
    assert!(summary.bytes <= 200 * summary.size);
    let c = summary.completeness.unwrap();
    assert!(c.stopped.as_deref().unwrap().contains("total size limit"));
}

/// Many central directory entries sharing one local file's bytes (the overlapping-entry zip
/// bomb): the first is read, the others are not extracted.
#[test]
fn overlapping_entries_are_not_extracted() {
    let dir = tempfile::tempdir().unwrap();
    python(
        dir.path(),
        r#"
import zipfile, struct
with zipfile.ZipFile("one.zip", "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("a", b"x" * 100000)
raw = open("one.zip", "rb").read()
cd = raw.index(b"PK\x01\x02")
eocd = raw.index(b"PK\x05\x06")
record = raw[cd:eocd]
for n, name in [(26, "overlap.zip"), (30, "duplicates.zip")]:
    central = b"".join(record[:46] + bytes([0x61 + i % 26]) + record[47:] for i in range(n))
    end = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, n, n, len(central), cd, 0)
    open(name, "wb").write(raw[:cd] + central + end)
# Bytes before the archive (its offsets then count from where it starts).
open("prepended.zip", "wb").write(b"PK\x03\x04" + b"\0" * 100 + open("duplicates.zip", "rb").read())
# A name the Info-ZIP Unicode Path field (0x7075) gives again, which the zip library reads
# instead of the header's.
import zlib
with zipfile.ZipFile("unicode.zip", "w") as z:
    info = zipfile.ZipInfo("a.txt")
    other = b"z.txt"
    info.extra = struct.pack("<HHB", 0x7075, 5 + len(other), 1) + struct.pack("<I", zlib.crc32(b"a.txt")) + other
    z.writestr(info, "first")
    z.writestr("a.txt", "second")
    z.writestr("b.txt", "third")
    z.writestr("b.txt", "fourth")
"#,
    );
    let (found, summary) = walk_all(&dir.path().join("overlap.zip"), &Limits::default());
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].sha256, sha(&b"x".repeat(100000)));
    let c = summary.completeness.unwrap();
    assert_eq!(
        (c.declared, c.found, c.not_recorded.len()),
        (Some(26), 26, 25)
    );
    assert!(c.not_recorded[0].1.contains("overlapping entries"));
    // Four names used twice: the zip library keeps one entry per name, and the four others
    // are counted as found and listed one by one, not silently lost.
    let (_, summary) = walk_all(&dir.path().join("duplicates.zip"), &Limits::default());
    let c = summary.completeness.unwrap();
    assert_eq!((c.declared, c.found), (Some(30), 30));
    let repeats: Vec<&[u8]> = c
        .not_recorded
        .iter()
        .filter(|(_, why)| why.contains("repeats another entry's name"))
        .map(|(name, _)| &name[..])
        .collect();
    // Each by the name it repeats, in the directory's order.
    assert_eq!(repeats, [b"a", b"b", b"c", b"d"], "{c:?}");
    let hidden = |zip: &str| -> Vec<Vec<u8>> {
        let (_, summary) = walk_all(&dir.path().join(zip), &Limits::default());
        let c = summary.completeness.unwrap();
        c.not_recorded
            .iter()
            .filter(|(_, why)| why.contains("repeats another entry's name"))
            .map(|(name, _)| name.clone())
            .collect()
    };
    // Read from where the library found the directory, not where the end record says.
    assert_eq!(hidden("prepended.zip"), [b"a", b"b", b"c", b"d"]);
    // A directory the library reads otherwise is not named from its headers: listed
    // without a name rather than under one that may not be the hidden entry's.
    let unnamed = hidden("unicode.zip");
    assert!(
        !unnamed.is_empty() && unnamed.iter().all(Vec::is_empty),
        "{unnamed:?}"
    );
}

#[test]
fn depth_limit() {
    let dir = tempfile::tempdir().unwrap();
    python(
        dir.path(),
        r#"
import zipfile, io
data = b"deep\n"; name = "leaf.txt"
for level in range(10):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(name, data)
    data, name = buf.getvalue(), f"z{level}.zip"
open("deep.zip", "wb").write(data)
"#,
    );
    let (found, _) = walk_all(&dir.path().join("deep.zip"), &Limits::default());
    assert_eq!(found.len(), 8);
    let last = found.last().unwrap();
    assert_eq!(last.kind, Kind::Zip);
    assert!(note(last).contains("depth limit"), "{last:?}");
    assert!(last.completeness.is_none());
    let (found, _) = walk_all(
        &dir.path().join("deep.zip"),
        &Limits {
            max_depth: 10,
            ..Limits::default()
        },
    );
    assert_eq!(found.last().unwrap().sha256, sha(b"deep\n"));
}

#[test]
fn member_limit_visitor_stop_and_readers() {
    let dir = tempfile::tempdir().unwrap();
    python(
        dir.path(),
        r#"
import tarfile, io
with tarfile.open("five.tar.gz", "w:gz") as t:
    for i in range(5):
        d = f"member {i}\n".encode(); info = tarfile.TarInfo(f"m{i}"); info.size = len(d)
        t.addfile(info, io.BytesIO(d))
open("fake.7z", "wb").write(b"7z\xbc\xaf\x27\x1c\x00\x04" + bytes(100))
open("fake.rar", "wb").write(b"Rar!\x1a\x07\x01\x00" + bytes(100))
"#,
    );
    let path = dir.path().join("five.tar.gz");
    let limits = Limits {
        max_members: 3,
        ..Limits::default()
    };
    let (found, _) = walk_all(&path, &limits);
    assert_eq!(found.len(), 3);
    let c = found[0].completeness.as_ref().unwrap();
    assert_eq!(c.found, 5);
    assert_eq!(c.not_recorded.len(), 3);
    assert!(c.not_recorded[0].1.contains("max_members"));

    let mut seen = 0;
    let summary = prov_ingest::walk(&path, &Limits::default(), &mut |_| {
        seen += 1;
        ControlFlow::Break(())
    })
    .unwrap();
    assert_eq!(seen, 1);
    assert!(summary.stopped_by_visitor);

    let bytes = fs::read(&path).unwrap();
    let mut from_reader = Vec::new();
    let summary = walk_reader(&mut &bytes[..], &Limits::default(), &mut |f| {
        from_reader.push(f);
        ControlFlow::Continue(())
    })
    .unwrap();
    assert_eq!(summary.sha256, sha(&bytes));
    assert_eq!(from_reader, walk_all(&path, &Limits::default()).0);

    for (name, kind, why) in [
        ("fake.7z", Kind::SevenZip, "never finished"),
        ("fake.rar", Kind::Rar, "not opened"),
    ] {
        let (found, summary) = walk_all(&dir.path().join(name), &Limits::default());
        assert!(found.is_empty());
        assert_eq!(summary.kind, kind);
        assert!(note_of(&summary).contains(why), "{summary:?}");
    }
}

/// Review finding: one read that passes both a member's ratio cap and the walk's total cap
/// put the total past its cap, and the next member's read underflowed (a panic in a debug
/// build, a slice out of range in a release one). Each read now keeps the least that either
/// limit leaves.
#[test]
fn a_read_past_both_caps_never_overflows_the_next() {
    use std::io::Write;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let deflated = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("zeros", deflated).unwrap();
    zip.write_all(&vec![0u8; 9 << 20]).unwrap();
    zip.start_file("after", deflated).unwrap();
    zip.write_all(b"after").unwrap();
    let bytes = zip.finish().unwrap().into_inner();
    let limits = Limits {
        ratio_floor: 1_000_000,
        max_total_bytes: 1_836_228,
        ..Limits::default()
    };
    let mut found = Vec::new();
    let summary = walk_reader(&mut &bytes[..], &limits, &mut |f| {
        found.push(f);
        std::ops::ControlFlow::Continue(())
    })
    .unwrap();
    assert!(summary.bytes <= limits.max_total_bytes, "{}", summary.bytes);
    let zeros = found.iter().find(|f| f.path == b"zeros").unwrap();
    assert_eq!(zeros.hashed, Hashed::Prefix);
}

/// A tar cut inside a member: the `tar` crate ends that member's reader as if it were whole,
/// so its hash would be of its first bytes only. It must be listed as not recorded.
#[test]
fn a_tar_cut_inside_a_member_never_gives_that_member_a_hash() {
    let mut tar = Vec::new();
    {
        let mut b = tar::Builder::new(&mut tar);
        for name in ["t0", "t1", "t2"] {
            let data = vec![name.as_bytes()[1]; 5000];
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            h.set_cksum();
            b.append_data(&mut h, name, &data[..]).unwrap();
        }
        b.finish().unwrap();
    }
    tar.truncate(8000); // inside t1's data (512 + 5120 + 512 + 1856)
    let mut found = Vec::new();
    let s = prov_ingest::walk_reader(&mut &tar[..], &Default::default(), &mut |f| {
        found.push(f);
        std::ops::ControlFlow::Continue(())
    })
    .unwrap();
    let t1 = found
        .iter()
        .find(|f| f.path == b"t1")
        .expect("t1 is visited");
    assert_eq!(t1.hashed, prov_ingest::Hashed::Prefix, "{t1:?}");
    let c = s.completeness.unwrap();
    assert!(
        c.not_recorded.iter().any(|(p, _)| p == b"t1"),
        "{:?}",
        c.not_recorded
    );
    let t0 = found.iter().find(|f| f.path == b"t0").unwrap();
    assert_eq!(t0.hashed, prov_ingest::Hashed::Content);
}

/// Two zip entries under one name: the library reads one; the other is counted and listed,
/// never silently dropped.
#[test]
fn a_zip_entry_hidden_behind_a_repeated_name_is_counted_and_listed() {
    let mut zip = Vec::new();
    {
        let mut z = zip::ZipWriter::new(std::io::Cursor::new(&mut zip));
        let o = zip::write::SimpleFileOptions::default();
        z.start_file("a.txt", o).unwrap();
        std::io::Write::write_all(&mut z, b"SECRET first\n").unwrap();
        // The writer refuses a repeated name; write another name of the same length, then
        // rename it in place below.
        z.start_file("b.txt", o).unwrap();
        std::io::Write::write_all(&mut z, b"decoy second\n").unwrap();
        z.finish().unwrap();
    }
    // Rename every "b.txt" (local header and central directory) to "a.txt".
    let mut i = 0;
    while let Some(at) = zip[i..].windows(5).position(|w| w == b"b.txt") {
        zip[i + at] = b'a';
        i += at + 5;
    }
    let mut found = 0;
    let s = prov_ingest::walk_reader(&mut &zip[..], &Default::default(), &mut |_| {
        found += 1;
        std::ops::ControlFlow::Continue(())
    })
    .unwrap();
    let c = s.completeness.unwrap();
    assert_eq!(c.declared, Some(2));
    assert_eq!(found, 1);
    assert_eq!(c.found, 2, "{c:?}");
    assert_eq!(c.not_recorded.len(), 1, "{c:?}");
    assert!(c.not_recorded[0].1.contains("repeats"), "{c:?}");
}

/// An end record planted in the comment, small and whose directory does not read, makes the
/// zip library fall back to the real one: the limits hold for that one too, so a planted
/// record cannot let a directory past `max_members` (or `max_buffered`) be read.
#[test]
fn a_planted_end_record_does_not_let_a_large_directory_in() {
    let dir = tempfile::tempdir().unwrap();
    python(
        dir.path(),
        r#"
import zipfile, struct
with zipfile.ZipFile("real.zip", "w") as z:
    for i in range(2000):
        z.writestr(zipfile.ZipInfo(f"f{i:05}", date_time=(2024, 1, 1, 0, 0, 0)), b"")
raw = bytearray(open("real.zip", "rb").read())
eocd = raw.rfind(b"PK\x05\x06")
header = b"PK\x01\x02" + struct.pack("<HHHHHHIIIHHHHHII", 20, 20, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0) + b"fake"
planted = header + b"XXXX" + b"\0" * 42
end = b"PK\x05\x06" + struct.pack("<HHHHIIH", 0, 0, 2, 2, len(planted), eocd + 22, 0)
comment = planted + b"gap!" + end
raw[eocd + 20:eocd + 22] = struct.pack("<H", len(comment))
open("planted.zip", "wb").write(bytes(raw) + comment)
"#,
    );
    let limits = Limits {
        max_members: 1000,
        ..Limits::default()
    };
    for zip in ["real.zip", "planted.zip"] {
        let (found, summary) = walk_all(&dir.path().join(zip), &limits);
        let c = summary.completeness.unwrap();
        assert!(found.is_empty(), "{zip}: {} members read", found.len());
        let stopped = c.stopped.unwrap_or_default();
        assert!(
            stopped.contains("more than max_members"),
            "{zip}: {stopped}"
        );
    }
}
