//! Integrity regressions (issue 9): nothing committed or reported is ever cut, the derived
//! index is never believed without checking, damage is noticed before anything is signed on
//! top of it, and a hostile ledger folder is refused rather than followed. Each test fails on
//! the code before the integrity work (da949ea).
#![forbid(unsafe_code)]

mod common;

use common::{T0, clean, doc, raw_doc, sha};
use prov_ledger::{Error, Ledger, Status, audit};
use std::path::{Path, PathBuf};

fn new_ledger() -> (tempfile::TempDir, PathBuf, Ledger) {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("l");
    let l = Ledger::init(&dir, "integrity.example/log").unwrap();
    (t, dir, l)
}

fn read(dir: &Path, f: &str) -> Vec<u8> {
    std::fs::read(dir.join(f)).unwrap()
}

/// Item 2: a second writer is refused before it touches anything, even with a batch of the
/// first writer's past COMMIT; and there is no lock file whose deletion lets it in.
#[test]
fn a_refused_second_writer_cuts_nothing() {
    let (_t, dir, mut l) = new_ledger();
    l.append(&[doc("a", "s")], T0).unwrap();
    // The first writer's unfinished batch, past COMMIT.
    let mut log = read(&dir, "entries.log");
    let unfinished = log[8..40].to_vec();
    log.extend_from_slice(&unfinished);
    std::fs::write(dir.join("entries.log"), &log).unwrap();
    let _ = std::fs::remove_file(dir.join("lock"));
    assert!(matches!(Ledger::open_writer(&dir), Err(Error::InUse(_))));
    assert!(matches!(Ledger::reindex(&dir), Err(Error::InUse(_))));
    assert_eq!(read(&dir, "entries.log"), log);
    assert!(!dir.join("lock").exists());
}

/// Item 3: a COMMIT rolled back to an earlier state (restored from an older copy) makes the
/// next writer commit the complete, signed batches past it, never delete them.
#[test]
fn a_rolled_back_commit_is_rolled_forward_not_cut() {
    let (_t, dir, mut l) = new_ledger();
    l.append(&[doc("a", "s")], T0).unwrap();
    let old_commit = read(&dir, "COMMIT");
    l.append(&[doc("b", "s"), doc("c", "s")], T0 + 1).unwrap();
    l.append(&[doc("d", "s")], T0 + 2).unwrap();
    let cp4 = l.latest_checkpoint().unwrap();
    let log = read(&dir, "entries.log");
    drop(l);
    std::fs::write(dir.join("COMMIT"), &old_commit).unwrap();
    let mut l = Ledger::open_writer(&dir).unwrap();
    assert_eq!(l.rolled_forward_entries(), 3);
    assert_eq!(l.size(), 4);
    assert_eq!(read(&dir, "entries.log"), log, "nothing was cut");
    assert_eq!(l.latest_checkpoint().unwrap(), cp4);
    // The next batch extends the same tree: no second tree of any size is signed.
    let r = l.append(&[doc("e", "s")], T0 + 3).unwrap();
    assert_eq!(r.results[0].seq, 4);
    drop(l);
    clean(&dir);
}

/// Item 3: signed records past COMMIT that do not continue the log are no crash's doing:
/// refused, nothing written.
#[test]
fn a_tail_that_is_no_crash_leftover_is_refused_untouched() {
    let (_t, dir, mut l) = new_ledger();
    l.append(&[doc("a", "s")], T0).unwrap();
    let commit = read(&dir, "COMMIT");
    l.append(&[doc("b", "s")], T0 + 1).unwrap();
    let log = read(&dir, "entries.log");
    drop(l);
    // The same batch twice past the old COMMIT: the second copy does not continue the chain.
    let start = String::from_utf8(commit.clone()).unwrap();
    let start: usize = start.lines().nth(1).unwrap()[11..].parse().unwrap();
    let mut doubled = log.clone();
    doubled.extend_from_slice(&log[start..]);
    std::fs::write(dir.join("entries.log"), &doubled).unwrap();
    std::fs::write(dir.join("COMMIT"), &commit).unwrap();
    match Ledger::open_writer(&dir) {
        Err(e @ Error::UnexpectedTail { .. }) => {
            assert!(
                e.to_string().contains("no crash of prov leaves this"),
                "{e}"
            )
        }
        other => panic!("{:?}", other.map(|l| l.size())),
    }
    assert!(matches!(
        Ledger::reindex(&dir),
        Err(Error::UnexpectedTail { .. })
    ));
    assert_eq!(read(&dir, "entries.log"), doubled);
    assert_eq!(read(&dir, "COMMIT"), commit);
    // The audit reports the same, rather than promising the next `add` sorts it out.
    let r = audit(&dir, None, &|_, _| {}).unwrap();
    assert!(
        r.fault
            .unwrap()
            .what
            .contains("does not continue the chain")
    );
}

/// Item 3: a damaged record past a stale COMMIT, with signed batches after it, is no torn
/// write: neither `add` nor `reindex` may cut the reported entries behind the damage.
#[test]
fn damage_past_a_stale_commit_never_cuts_the_signed_batches_behind_it() {
    let (_t, dir, mut l) = new_ledger();
    l.append(&[doc("a", "s")], T0).unwrap();
    let commit = read(&dir, "COMMIT");
    for (i, d) in ["b", "c", "d"].iter().enumerate() {
        l.append(&[doc(d, "s")], T0 + 1 + i as u64).unwrap();
    }
    drop(l);
    let start = String::from_utf8(commit.clone()).unwrap();
    let start: usize = start.lines().nth(1).unwrap()[11..].parse().unwrap();
    let mut log = read(&dir, "entries.log");
    log[start + 60] ^= 0xff;
    std::fs::write(dir.join("entries.log"), &log).unwrap();
    std::fs::write(dir.join("COMMIT"), &commit).unwrap();
    std::fs::remove_dir_all(dir.join("content")).unwrap();
    for open in [Ledger::open_writer, Ledger::reindex] {
        match open(&dir) {
            Err(Error::UnexpectedTail { what, .. }) => {
                assert!(what.contains("signed by this ledger"), "{what}")
            }
            other => panic!("{:?}", other.map(|l| l.size())),
        }
        assert_eq!(read(&dir, "entries.log"), log);
    }
    assert!(audit(&dir, None, &|_, _| {}).unwrap().fault.is_some());
}

/// Item 3: the index ahead of COMMIT with nothing to roll forward is refused, not rebuilt
/// behind the user's back; `reindex` is the explicit way.
#[test]
fn an_index_ahead_of_commit_is_refused_until_reindex() {
    let (_t, dir, mut l) = new_ledger();
    l.append(&[doc("a", "s")], T0).unwrap();
    let (log, commit) = (read(&dir, "entries.log"), read(&dir, "COMMIT"));
    l.append(&[doc("b", "s")], T0 + 1).unwrap();
    drop(l);
    std::fs::write(dir.join("entries.log"), &log).unwrap();
    std::fs::write(dir.join("COMMIT"), &commit).unwrap();
    assert!(Ledger::open_writer(&dir).is_err());
    assert!(matches!(
        Ledger::open(&dir),
        Err(Error::IndexDisagrees { .. })
    ));
    assert_eq!(read(&dir, "entries.log"), log);
    Ledger::reindex(&dir).unwrap();
    clean(&dir);
}

/// Item 4: damage inside the committed log (a flipped byte, with or without its checksum
/// recomputed) stops a writer before it signs anything on top.
#[test]
fn a_writer_refuses_to_sign_on_top_of_damage() {
    for fix_crc in [false, true] {
        let (_t, dir, mut l) = new_ledger();
        let docs: Vec<_> = (0..20).map(|i| doc(&format!("d{i}"), "s")).collect();
        l.append(&docs, T0).unwrap();
        drop(l);
        let mut log = read(&dir, "entries.log");
        // A byte of entry 2's source, well inside the committed log.
        let (mut at, mut n) = (8usize, 0);
        while n < 3 {
            let len = u32::from_be_bytes(log[at + 1..at + 5].try_into().unwrap()) as usize;
            if log[at] == 1 {
                n += 1;
            }
            if n < 3 {
                at += 9 + len;
            }
        }
        let len = u32::from_be_bytes(log[at + 1..at + 5].try_into().unwrap()) as usize;
        log[at + 5 + 100] ^= 0x01;
        if fix_crc {
            let crc = crc32fast::hash(&log[at..at + 5 + len]);
            log[at + 5 + len..at + 9 + len].copy_from_slice(&crc.to_be_bytes());
        }
        std::fs::write(dir.join("entries.log"), &log).unwrap();
        match Ledger::open_writer(&dir) {
            Err(Error::Damaged { .. }) => {}
            other => panic!("fix_crc={fix_crc}: {:?}", other.map(|l| l.size())),
        }
        assert_eq!(read(&dir, "entries.log"), log);
        // A reader answering from that entry refuses too; about other entries it answers.
        let l = Ledger::open(&dir).unwrap();
        assert!(l.lookup(&sha("d2")).is_err(), "fix_crc={fix_crc}");
        assert!(l.prove(2, None).is_err());
        assert_eq!(l.lookup(&sha("d7")).unwrap()[0].seq, 7);
    }
}

/// Opens the ledger for writing and records one document; asserts whether the index had to
/// be rebuilt to decide, then that the ledger audits clean. Returns what happened.
fn record_again(
    dir: &Path,
    d: prov_ledger::NewDocument,
    now: u64,
    rebuilt: bool,
) -> prov_ledger::Recorded {
    let mut l = Ledger::open_writer(dir).unwrap();
    let r = l.append(&[d], now).unwrap();
    assert_eq!(l.index_rebuilt(), rebuilt, "index rebuilt");
    drop(l);
    clean(dir);
    r.results[0].clone()
}

/// A run file of the content index and its records.
type RunFile = (PathBuf, Vec<([u8; 32], u64)>);

/// The runs of the ledger's content index (FORMAT.md 7.3): each file and its records
/// (SHA-256, seq), in file order.
fn runs(dir: &Path) -> Vec<RunFile> {
    let mut out: Vec<_> = std::fs::read_dir(dir.join("content"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| !p.file_name().unwrap().to_str().unwrap().starts_with('.'))
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            let recs = bytes
                .chunks_exact(40)
                .map(|r| {
                    let seq = u64::from_be_bytes(r[32..].try_into().unwrap());
                    (r[..32].try_into().unwrap(), seq)
                })
                .collect();
            (p, recs)
        })
        .collect();
    out.sort();
    out
}

/// Rewrites a run with these records, sorted, as an attacker with the folder could.
fn write_run(path: &Path, mut recs: Vec<([u8; 32], u64)>) {
    recs.sort();
    let bytes: Vec<u8> = recs
        .iter()
        .flat_map(|(sha, seq)| sha.iter().copied().chain(seq.to_be_bytes()))
        .collect();
    std::fs::write(path, bytes).unwrap();
}

/// Replaces the index's record of `from` (at whatever seq) with one naming `to`.
fn forge_record(dir: &Path, from: &str, to: &str) {
    for (path, mut recs) in runs(dir) {
        if let Some(r) = recs.iter_mut().find(|r| r.0 == sha(from)) {
            r.0 = sha(to);
            return write_run(&path, recs);
        }
    }
    panic!("no record of {from}");
}

/// Item 5: one forged index record never makes prov say "known" about a document it never
/// recorded, nor prove it; the audit names the run, and a writer rebuilds the index and
/// records the document truly.
#[test]
fn a_forged_index_record_is_caught_by_readers_and_the_audit() {
    let (_t, dir, mut l) = new_ledger();
    l.append(&[doc("real", "s")], T0).unwrap();
    drop(l);
    forge_record(&dir, "real", "never");
    let l = Ledger::open(&dir).unwrap();
    assert!(matches!(
        l.lookup(&sha("never")),
        Err(Error::IndexDisagrees { .. })
    ));
    drop(l);
    let r = audit(&dir, None, &|_, _| {}).unwrap();
    let fault = r.fault.unwrap();
    assert!(fault.what.contains("other content"), "{}", fault.what);
    assert!(
        fault.file.starts_with(dir.join("content")),
        "{:?}",
        fault.file
    );
    // A writer finds the index naming other contents than the log, and rebuilds it.
    let r = record_again(&dir, doc("never", "s2"), T0 + 1, true);
    assert_eq!(r.status, Status::FirstSeen);
}

/// Item 5: another ledger's index copied in is refused by readers and rebuilt by writers,
/// and the next checkpoint's root is this ledger's.
#[test]
fn another_ledgers_index_is_never_used() {
    let (_t, dir, mut l) = new_ledger();
    l.append(&[doc("mine", "s")], T0).unwrap();
    drop(l);
    let (_t2, other, mut o) = new_ledger();
    o.append(&[doc("theirs", "s"), doc("more", "s")], T0)
        .unwrap();
    o.append(&[doc("again", "s")], T0).unwrap();
    drop(o);
    std::fs::remove_dir_all(dir.join("content")).unwrap();
    let status = std::process::Command::new("cp")
        .arg("-r")
        .arg(other.join("content"))
        .arg(dir.join("content"))
        .status()
        .unwrap();
    assert!(status.success());
    assert!(matches!(
        Ledger::open(&dir),
        Err(Error::IndexDisagrees { .. })
    ));
    let mut l = Ledger::open_writer(&dir).unwrap();
    assert!(l.index_rebuilt());
    l.append(&[doc("next", "s")], T0 + 1).unwrap();
    drop(l);
    clean(&dir);
}

/// Item 7: a run cut short is damage, never a panic.
#[test]
fn a_short_run_never_panics() {
    let (_t, dir, mut l) = new_ledger();
    l.append(&[doc("a", "s"), doc("b", "s")], T0).unwrap();
    drop(l);
    let (path, _) = runs(&dir).remove(0);
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() - 7]).unwrap();
    let r = audit(&dir, None, &|_, _| {}).unwrap();
    assert!(r.fault.unwrap().what.contains("bytes"));
    assert!(matches!(
        Ledger::open(&dir),
        Err(Error::IndexDisagrees { .. })
    ));
    // A writer rebuilds an index it cannot read.
    let r = record_again(&dir, doc("a", "s"), T0 + 1, true);
    assert_eq!(r.status, Status::AlreadyRecorded);
}

/// Item 6: a missing index is "not checked", and the audit does not create one; an empty
/// one reaches no entry, which is allowed (lookups read the log), and stays empty.
#[test]
fn audit_never_creates_an_index() {
    let (_t, dir, mut l) = new_ledger();
    l.append(&[doc("a", "s")], T0).unwrap();
    drop(l);
    std::fs::remove_dir_all(dir.join("content")).unwrap();
    let r = audit(&dir, None, &|_, _| {}).unwrap();
    assert!(r.fault.is_none() && !r.index_checked);
    assert!(r.index_not_checked.unwrap().contains("no content index"));
    assert!(!dir.join("content").exists());
    assert_eq!(
        Ledger::open(&dir).unwrap().lookup(&sha("a")).unwrap().len(),
        1
    );
    std::fs::create_dir(dir.join("content")).unwrap();
    let r = audit(&dir, None, &|_, _| {}).unwrap();
    assert!(r.fault.is_none() && r.index_checked);
    assert_eq!(std::fs::read_dir(dir.join("content")).unwrap().count(), 0);
}

/// Item 10: links inside the ledger folder are refused, never followed, and nothing is
/// written through them (a writer replaces a link where the content index belongs).
#[test]
fn links_in_the_ledger_folder_are_refused() {
    let (t, dir, mut l) = new_ledger();
    l.append(&[doc("a", "s")], T0).unwrap();
    drop(l);
    let victim = t.path().join("victim");
    std::fs::create_dir(&victim).unwrap();
    std::fs::remove_dir_all(dir.join("content")).unwrap();
    std::os::unix::fs::symlink(&victim, dir.join("content")).unwrap();
    let r = audit(&dir, None, &|_, _| {}).unwrap();
    assert!(r.fault.unwrap().what.contains("symbolic link"));
    assert!(Ledger::open(&dir).is_err());
    let mut l = Ledger::open_writer(&dir).unwrap();
    l.append(&[doc("b", "s")], T0).unwrap();
    drop(l);
    assert_eq!(std::fs::read_dir(&victim).unwrap().count(), 0);
    assert!(dir.join("content").symlink_metadata().unwrap().is_dir());
    for f in ["COMMIT", "entries.log", "ledger.json", "key.pem"] {
        let real = t.path().join(f);
        std::fs::rename(dir.join(f), &real).unwrap();
        std::os::unix::fs::symlink(&real, dir.join(f)).unwrap();
        let err = match f {
            "key.pem" => Ledger::open_writer(&dir).err().unwrap(),
            _ => Ledger::open_read_only(&dir).err().unwrap(),
        };
        assert!(err.to_string().contains("symbolic link"), "{f}: {err}");
        std::fs::remove_file(dir.join(f)).unwrap();
        std::fs::rename(&real, dir.join(f)).unwrap();
    }
    clean(&dir);
}

/// Item 12: a clock far behind the ledger's last entry is refused with both times; a small
/// step back is clamped.
#[test]
fn a_clock_behind_the_ledger_is_refused() {
    let (_t, dir, mut l) = new_ledger();
    let far = 10_413_792_000_000; // 2300-01-01
    l.append(&[doc("a", "s")], far).unwrap();
    match l.append(&[doc("b", "s")], T0) {
        Err(e @ Error::ClockBehind { .. }) => {
            let msg = e.to_string();
            assert!(
                msg.contains("2300-01-01") && msg.contains("2026-01-01"),
                "{msg}"
            );
        }
        other => panic!("{:?}", other.map(|r| r.results)),
    }
    let r = l.append(&[doc("c", "s")], far - 1000).unwrap();
    assert_eq!(l.entry(r.results[0].seq).unwrap().time_ms, far);
    assert_eq!(l.size(), 2);
    drop(l);
    clean(&dir);
}

/// Item 14: `init` builds in a temporary folder: a leftover from a killed `init` does not
/// stand in the way, and modes do not depend on the umask.
#[test]
fn init_is_atomic_and_sets_its_modes() {
    use std::os::unix::fs::PermissionsExt;
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("l");
    std::fs::create_dir(
        t.path()
            .join(format!(".l.prov-init-{}", std::process::id())),
    )
    .unwrap();
    let l = Ledger::init(&dir, "integrity.example/log").unwrap();
    drop(l);
    let mode = |p: PathBuf| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(dir.clone()), 0o700);
    assert_eq!(mode(dir.join("key.pem")), 0o600);
    for f in ["entries.log", "COMMIT", "ledger.json"] {
        assert_eq!(mode(dir.join(f)), 0o644, "{f}");
    }
    let left: Vec<_> = std::fs::read_dir(t.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, vec![std::ffi::OsString::from("l")]);
    clean(&dir);
}

/// Review finding: a content record removed from the index must not make a writer record
/// known content as first seen again (and so sign a later first-seen time that verifies
/// offline).
#[test]
fn a_deleted_index_record_never_makes_known_content_first_seen_again() {
    let (_t, dir, mut l) = new_ledger();
    l.append(&[doc("a", "s1"), doc("b", "s1")], T0).unwrap();
    drop(l);
    forge_record(&dir, "a", "b");
    let r = record_again(&dir, doc("a", "s2"), T0 + 1, true);
    assert_eq!(r.status, Status::Sighting);
    assert_eq!(r.first_seen.seq, 0);
}

/// Review finding: read commands must not believe COMMIT's entry count when the log says
/// otherwise (fewer hides entries, more claims ones that are not there).
#[test]
fn read_only_opening_checks_commits_count_against_the_log() {
    let (_t, dir, mut l) = new_ledger();
    l.append(
        &[doc("a", "s"), doc("b", "s"), doc("c", "s"), doc("d", "s")],
        T0,
    )
    .unwrap();
    drop(l);
    let commit = String::from_utf8(read(&dir, "COMMIT")).unwrap();
    for size in [2u64, 1000] {
        let edited = commit.replace("size 4\n", &format!("size {size}\n"));
        std::fs::write(dir.join("COMMIT"), edited).unwrap();
        match Ledger::open_read_only(&dir) {
            Err(Error::Damaged { .. }) => {}
            other => panic!("size {size}: {:?}", other.map(|l| l.size())),
        }
    }
    std::fs::write(dir.join("COMMIT"), commit).unwrap();
    assert_eq!(Ledger::open_read_only(&dir).unwrap().size(), 4);
}

/// Issue 11: the tiles and `offsets` are derived like the index. Damaged or missing, a
/// reader without the lock refuses to answer from them (saying to reindex), the audit names
/// the file, and a writer rebuilds them from the log instead of refusing the ledger.
#[test]
fn damaged_tiles_or_offsets_are_refused_by_readers_and_rebuilt_by_writers() {
    for damage in [
        "offsets zeroed",
        "offsets short",
        "tile flipped",
        "tile deleted",
    ] {
        let (_t, dir, mut l) = new_ledger();
        let docs: Vec<_> = (0..5).map(|i| doc(&format!("d{i}"), "s")).collect();
        l.append(&docs, T0).unwrap();
        drop(l);
        let tile = dir.join("tile/0/000.p/5");
        match damage {
            "offsets zeroed" => std::fs::write(dir.join("offsets"), [0u8; 40]).unwrap(),
            "offsets short" => std::fs::write(dir.join("offsets"), [0u8; 3]).unwrap(),
            "tile flipped" => {
                let mut b = std::fs::read(&tile).unwrap();
                b[100] ^= 1; // leaf 3, the sibling in the proof of entry 2
                std::fs::write(&tile, b).unwrap();
            }
            "tile torn" => {
                let f = std::fs::OpenOptions::new().write(true).open(&tile).unwrap();
                f.set_len(50).unwrap();
            }
            _ => std::fs::remove_file(&tile).unwrap(),
        }
        let r = Ledger::open_read_only(&dir).and_then(|r| r.prove(2, None).map(|_| ()));
        match (damage, r) {
            // A short offsets file is not used: the reader walks the log instead.
            ("offsets short", Ok(())) => {}
            (_, Err(Error::TilesDisagree { .. })) => {}
            (_, other) => panic!("{damage}: {other:?}"),
        }
        let f = audit(&dir, None, &|_, _| {}).unwrap().fault;
        let f = f.unwrap_or_else(|| panic!("{damage}: the audit passed"));
        let named = if damage.starts_with("offsets") {
            "offsets"
        } else {
            "tile"
        };
        assert!(f.file.to_string_lossy().contains(named), "{damage}: {f}");
        let r = record_again(&dir, doc("d1", "s"), T0 + 1, false);
        assert_eq!(r.status, Status::AlreadyRecorded, "{damage}");
        let r = Ledger::open_read_only(&dir).unwrap();
        for seq in 0..5 {
            r.prove(seq, None)
                .unwrap_or_else(|e| panic!("{damage}: {e}"));
        }
    }
}

/// Issue 11: the audit recomputes every tile from the log and names the first that differs,
/// a full tile as well as a partial one.
#[test]
fn audit_names_the_first_tile_that_differs() {
    for (path, width) in [
        ("tile/0/001", 256),
        ("tile/0/002.p/88", 88),
        ("tile/1/000.p/2", 2),
    ] {
        let (_t, dir, mut l) = new_ledger();
        let docs: Vec<_> = (0..600).map(|i| doc(&format!("d{i}"), "s")).collect();
        l.append(&docs, T0).unwrap();
        drop(l);
        clean(&dir);
        let file = dir.join(path);
        let mut b = std::fs::read(&file).unwrap();
        assert_eq!(b.len(), width * 32, "{path}");
        b[width * 32 - 1] ^= 0x80;
        std::fs::write(&file, b).unwrap();
        let f = audit(&dir, None, &|_, _| {}).unwrap().fault.unwrap();
        assert!(f.file.ends_with(path), "{path}: {f}");
        assert!(f.what.contains("differs"), "{path}: {f}");
    }
}

/// Review finding: after an entry stamped by a clock set far ahead, `allow_clock_behind`
/// (`add --clamp-time`) records at that entry's time instead of refusing.
#[test]
fn a_ledger_stamped_ahead_can_go_on_at_its_own_time() {
    let (_t, dir, mut l) = new_ledger();
    let far = 10_413_792_000_000; // 2300-01-01
    l.append(&[doc("a", "s")], far).unwrap();
    assert!(l.append(&[doc("b", "s")], T0).is_err());
    l.allow_clock_behind(true);
    let r = l.append(&[doc("b", "s")], T0).unwrap();
    assert_eq!(l.entry(r.results[0].seq).unwrap().time_ms, far);
    drop(l);
    clean(&dir);
}

/// Second review: a stale COMMIT and damage inside the checkpoint that ends the last batch
/// (or the log cut inside it): the batch's complete, signed entries are never cut; the writer
/// seals them with a new checkpoint, of the same tree the lost one signed.
#[test]
fn signed_entries_whose_checkpoint_was_lost_are_sealed_not_cut() {
    for damage in ["zeros", "flip", "truncate"] {
        let (_t, dir, mut l) = new_ledger();
        l.append(&[doc("a", "s"), doc("b", "s")], T0).unwrap();
        let commit = read(&dir, "COMMIT");
        l.append(&[doc("c", "s"), doc("d", "s")], T0 + 1).unwrap();
        let cp4 =
            prov_proofs::Checkpoint::open(l.latest_checkpoint().unwrap().as_bytes(), l.verifier())
                .unwrap();
        let entries: Vec<_> = (0..4).map(|s| l.entry_bytes(s).unwrap()).collect();
        drop(l);
        let mut log = read(&dir, "entries.log");
        let cp_at = log.len() - (9 + l_cp_len(&log));
        match damage {
            "zeros" => log[cp_at + 20..cp_at + 60].fill(0),
            "flip" => log[cp_at + 30] ^= 1,
            _ => log.truncate(cp_at + 40),
        }
        std::fs::write(dir.join("entries.log"), &log).unwrap();
        std::fs::write(dir.join("COMMIT"), &commit).unwrap();
        std::fs::remove_dir_all(dir.join("content")).unwrap();
        let r = audit(&dir, None, &|_, _| {}).unwrap();
        assert!(r.fault.is_none(), "{damage}");
        assert_eq!(r.pending_entries, 2, "{damage}");
        let mut l = Ledger::open_writer(&dir).unwrap();
        assert_eq!((l.size(), l.sealed_entries()), (4, 2), "{damage}");
        for (s, bytes) in entries.iter().enumerate() {
            assert_eq!(&l.entry_bytes(s as u64).unwrap(), bytes, "{damage}");
        }
        let cp =
            prov_proofs::Checkpoint::open(l.latest_checkpoint().unwrap().as_bytes(), l.verifier())
                .unwrap();
        assert_eq!(
            (cp.size, cp.root),
            (cp4.size, cp4.root),
            "{damage}: the same tree"
        );
        l.append(&[doc("e", "s")], T0 + 2).unwrap();
        drop(l);
        clean(&dir);
    }
}

/// The payload length of the last record of a log (the checkpoint that ends it).
fn l_cp_len(log: &[u8]) -> usize {
    let (mut at, mut last) = (8usize, 0usize);
    while at < log.len() {
        last = u32::from_be_bytes(log[at + 1..at + 5].try_into().unwrap()) as usize;
        at += 9 + last;
    }
    last
}

/// Second review: a sighting dropped from the index never makes the writer sign a
/// repeated (content, source) pair; the audit finds the index short.
#[test]
fn a_dropped_sighting_never_makes_a_repeated_pair() {
    let (_t, dir, mut l) = new_ledger();
    l.append(&[doc("a", "s1")], T0).unwrap();
    l.append(&[doc("a", "s2")], T0).unwrap();
    drop(l);
    for (path, mut recs) in runs(&dir) {
        if let Some(r) = recs.iter_mut().find(|r| **r == (sha("a"), 1)) {
            r.0 = sha("elsewhere");
            write_run(&path, recs);
        }
    }
    assert!(audit(&dir, None, &|_, _| {}).unwrap().fault.is_some());
    let r = record_again(&dir, doc("a", "s2"), T0 + 1, true);
    assert_eq!(r.status, Status::AlreadyRecorded);
}

/// Second review: the audit compares content hashes whole, not by a prefix: a record moved
/// to a hash sharing the first 8 bytes is found.
#[test]
fn audit_compares_content_hashes_whole() {
    let (_t, dir, mut l) = new_ledger();
    l.append(&[doc("a", "s1")], T0).unwrap();
    drop(l);
    let (path, mut recs) = runs(&dir).remove(0);
    recs[0].0[20] ^= 0xff;
    write_run(&path, recs);
    let f = audit(&dir, None, &|_, _| {}).unwrap().fault.unwrap();
    assert!(f.what.contains("other content"), "{}", f.what);
}

/// Second review: two contents sharing their first 8 bytes are nothing to rebuild over.
#[test]
fn contents_sharing_a_prefix_are_no_disagreement() {
    let (_t, dir, mut l) = new_ledger();
    let mut a = [0xaa; 32];
    let mut b = [0xaa; 32];
    a[31] = 1;
    b[31] = 2;
    l.append(&[raw_doc(a, 5, "s")], T0).unwrap();
    drop(l);
    let r = record_again(&dir, raw_doc(b, 5, "s"), T0, false);
    assert_eq!(r.status, Status::FirstSeen);
}
