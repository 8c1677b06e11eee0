//! The ledger on its real files (log, tiles, content index): first-seen semantics, persistence,
//! proofs, reindex, locking, crash recovery, and the audit finding every kind of tamper.
#![forbid(unsafe_code)]

use prov_ledger::{Content, Error, Kind, Ledger, NewDocument, Status, audit};
use prov_proofs::{Checkpoint, TlogProof};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

const T0: u64 = 1_767_225_600_000;

fn doc(content: &[u8], source: &str) -> NewDocument {
    NewDocument {
        content: Content {
            sha256: Sha256::digest(content).into(),
            size: content.len() as u64,
            name: Some(b"doc.txt".to_vec()),
            ..Default::default()
        },
        source: source.into(),
        ..Default::default()
    }
}

fn new_ledger() -> (tempfile::TempDir, PathBuf, Ledger) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("ledger");
    let l = Ledger::init(&dir, "test.example/ledger").unwrap();
    (tmp, dir, l)
}

fn clean(dir: &Path) -> prov_ledger::AuditReport {
    let r = audit(dir, None, &|_, _| {}).unwrap();
    assert!(r.fault.is_none(), "audit fault: {}", r.fault.unwrap());
    r
}

#[test]
fn first_seen_sighting_and_already_recorded() {
    let (_t, dir, mut l) = new_ledger();
    let r = l
        .append(&[doc(b"memo v1", "https://leak.example/a")], T0)
        .unwrap();
    assert_eq!(r.results[0].status, Status::FirstSeen);
    assert_eq!(r.results[0].seq, 0);
    // The same bytes from a second source a day later: a sighting, first-seen unchanged.
    let r = l
        .append(
            &[
                doc(b"memo v1", "mailto:tip@news.example"),
                doc(b"memo v2 (altered)", "mailto:tip@news.example"),
            ],
            T0 + 86_400_000,
        )
        .unwrap();
    assert_eq!(r.results[0].status, Status::Sighting);
    assert_eq!(r.results[0].seq, 1);
    assert_eq!(r.results[0].first_seen.seq, 0);
    assert_eq!(r.results[0].first_seen.time_ms, T0);
    assert_eq!(r.results[0].first_seen.source, "https://leak.example/a");
    assert_eq!(r.results[1].status, Status::FirstSeen);
    // Re-running either ingest adds nothing and issues no checkpoint.
    let size = l.size();
    let r = l
        .append(
            &[
                doc(b"memo v1", "https://leak.example/a"),
                doc(b"memo v1", "mailto:tip@news.example"),
            ],
            T0 + 2 * 86_400_000,
        )
        .unwrap();
    assert!(
        r.results
            .iter()
            .all(|x| x.status == Status::AlreadyRecorded)
    );
    assert_eq!((r.results[0].seq, r.results[1].seq), (0, 1));
    assert!(r.checkpoint.is_none());
    assert_eq!(l.size(), size);
    // Within one batch, a duplicate from the same source is recorded once.
    let r = l
        .append(
            &[doc(b"new", "s"), doc(b"new", "s"), doc(b"new", "t")],
            T0 + 3 * 86_400_000,
        )
        .unwrap();
    let st: Vec<Status> = r.results.iter().map(|x| x.status).collect();
    assert_eq!(
        st,
        [Status::FirstSeen, Status::AlreadyRecorded, Status::Sighting]
    );
    // Lookup returns the first-seen entry first, then sightings.
    let all = l.lookup(&Sha256::digest(b"memo v1").into()).unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].kind, Kind::FirstSeen);
    assert_eq!(all[1].kind, Kind::Sighting { first: 0 });
    assert_eq!(all[0].time_ms, T0);
    drop(l);
    clean(&dir);
}

#[test]
fn state_survives_reopen_and_clock_going_backwards_is_clamped() {
    let (_t, dir, mut l) = new_ledger();
    l.append(&[doc(b"a", "s")], T0).unwrap();
    drop(l);
    let mut l = Ledger::open_writer(&dir).unwrap();
    assert_eq!(l.size(), 1);
    l.append(&[doc(b"b", "s")], T0 - 5_000).unwrap();
    assert_eq!(l.entry(1).unwrap().time_ms, T0, "time went backwards");
    assert_eq!(
        l.entry(1).unwrap().prev,
        l.entry(0).unwrap().leaf_hash().unwrap()
    );
    drop(l);
    let l = Ledger::open(&dir).map_err(|e| e.to_string()).unwrap();
    assert_eq!(l.size(), 2);
    assert_eq!(
        l.checkpoints()
            .unwrap()
            .iter()
            .map(|c| c.0)
            .collect::<Vec<_>>(),
        [0, 1, 2]
    );
    // A read-only ledger refuses to append.
    drop(l);
    let mut ro = Ledger::open(&dir).unwrap();
    assert!(ro.append(&[doc(b"c", "s")], T0).is_err());
}

#[test]
fn proofs_verify_with_the_proofs_crate_alone() {
    let (_t, dir, mut l) = new_ledger();
    for batch in 0..5u64 {
        let docs: Vec<_> = (0..7u64)
            .map(|i| doc(format!("{batch}-{i}").as_bytes(), "s"))
            .collect();
        l.append(&docs, T0 + batch).unwrap();
    }
    let vkey = l.verifier().clone();
    let sizes: Vec<u64> = l.checkpoints().unwrap().iter().map(|c| c.0).collect();
    assert_eq!(sizes, [0, 7, 14, 21, 28, 35]);
    for &size in &sizes[1..] {
        for seq in 0..size {
            let p = l.prove(seq, Some(size)).unwrap();
            let text = p.to_text();
            let parsed = TlogProof::parse(text.as_bytes()).unwrap();
            let extra = parsed.extra.clone().unwrap();
            let cp = parsed.verify(&vkey, &extra).unwrap();
            assert_eq!(cp.size, size);
            assert_eq!(prov_ledger::Entry::from_bytes(&extra).unwrap().seq, seq);
        }
        for &old in &sizes {
            if old > size {
                continue;
            }
            let old_cp = Checkpoint::open(l.checkpoint_at(old).unwrap().as_bytes(), &vkey).unwrap();
            let b = l.consistency(old, Some(size)).unwrap();
            assert_eq!(b.verify(&old_cp, &vkey).unwrap().size, size);
        }
    }
    assert!(matches!(
        l.prove(3, Some(5)),
        Err(Error::NoSuchCheckpoint(5))
    ));
    assert!(matches!(l.prove(35, None), Err(Error::NoSuchEntry { .. })));
    drop(l);
    clean(&dir);
}

#[test]
fn ten_thousand_entries_audit_clean() {
    let (_t, dir, mut l) = new_ledger();
    for batch in 0..10u64 {
        let docs: Vec<_> = (0..1000u64)
            .map(|i| {
                doc(
                    format!("document {batch}/{i}").as_bytes(),
                    if i % 10 == 0 { "b" } else { "a" },
                )
            })
            .collect();
        l.append(&docs, T0 + batch * 1000).unwrap();
    }
    // Every tenth batch's documents again from another source: sightings.
    let again: Vec<_> = (0..1000u64)
        .map(|i| doc(format!("document 0/{i}").as_bytes(), "c"))
        .collect();
    l.append(&again, T0 + 20_000).unwrap();
    let root = l.root().unwrap();
    drop(l);
    let r = clean(&dir);
    assert_eq!(r.entries, 11_000);
    assert_eq!((r.first_seen, r.sightings), (10_000, 1_000));
    assert_eq!(r.checkpoints, 12);
    assert_eq!(r.root, root);
    assert!(r.index_checked);
}

#[test]
fn reindex_restores_identical_lookups_proofs_and_checkpoints() {
    let (_t, dir, mut l) = new_ledger();
    for b in 0..4u64 {
        let docs: Vec<_> = (0..50u64)
            .map(|i| doc(format!("{}", i % 30).as_bytes(), &format!("src{b}")))
            .collect();
        l.append(&docs, T0 + b).unwrap();
    }
    let snapshot = |l: &Ledger| {
        let cps = l.checkpoints().unwrap();
        let lookups: Vec<_> = (0..30)
            .map(|i| {
                l.lookup(&Sha256::digest(format!("{i}").as_bytes()).into())
                    .unwrap()
            })
            .collect();
        let proofs: Vec<_> = (0..l.size())
            .map(|s| l.prove(s, None).unwrap().to_text())
            .collect();
        let cons: Vec<_> = cps
            .iter()
            .map(|c| l.consistency(c.0, None).unwrap().to_text())
            .collect();
        (cps, lookups, proofs, cons, l.root().unwrap())
    };
    let before = snapshot(&l);
    drop(l);
    std::fs::remove_dir_all(dir.join("content")).unwrap();
    let l = Ledger::reindex(&dir).unwrap();
    assert_eq!(snapshot(&l), before);
    drop(l);
    clean(&dir);
}

#[test]
fn a_second_writer_is_refused_while_the_first_holds_the_ledger() {
    let (_t, dir, l) = new_ledger();
    assert!(matches!(Ledger::open_writer(&dir), Err(Error::InUse(_))));
    // Readers take no lock: lookups and the audit (which checks the index) run alongside.
    assert_eq!(Ledger::open(&dir).unwrap().size(), 0);
    let r = audit(&dir, None, &|_, _| {}).unwrap();
    assert!(r.fault.is_none(), "{:?}", r.fault);
    // So do the read-only commands.
    assert_eq!(Ledger::open_read_only(&dir).unwrap().size(), 0);
    drop(l);
    Ledger::open_writer(&dir).unwrap();
}

#[test]
fn a_torn_tail_is_cut_on_the_next_write_and_never_a_fault() {
    let (_t, dir, mut l) = new_ledger();
    l.append(&[doc(b"a", "s"), doc(b"b", "s")], T0).unwrap();
    let committed = l.log_length();
    drop(l);
    // A crash mid-append leaves records past COMMIT: here a whole entry frame and half of one.
    let log = dir.join("entries.log");
    let mut bytes = std::fs::read(&log).unwrap();
    let tail: Vec<u8> = bytes[8..60].to_vec();
    bytes.extend_from_slice(&tail);
    std::fs::write(&log, &bytes).unwrap();
    let r = clean(&dir);
    assert_eq!(r.uncommitted_bytes, 52);
    let l = Ledger::open_writer(&dir).unwrap();
    assert_eq!(l.recovered_bytes(), 52);
    assert_eq!(l.log_length(), committed);
    assert_eq!(std::fs::metadata(&log).unwrap().len(), committed);
    drop(l);
    assert_eq!(clean(&dir).uncommitted_bytes, 0);
}

#[test]
fn a_log_shorter_than_its_commit_is_damaged() {
    let (_t, dir, mut l) = new_ledger();
    l.append(&[doc(b"a", "s")], T0).unwrap();
    drop(l);
    let log = dir.join("entries.log");
    let len = std::fs::metadata(&log).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&log)
        .unwrap()
        .set_len(len - 10)
        .unwrap();
    let err = Ledger::open(&dir).err().expect("opened a truncated ledger");
    assert!(matches!(err, Error::Damaged { .. }), "{err}");
    assert!(err.to_string().contains("prov audit"), "{err}");
    let f = audit(&dir, None, &|_, _| {})
        .unwrap()
        .fault
        .expect("truncation not found");
    assert!(
        f.what.contains("truncated") || f.what.contains("committed end"),
        "{f}"
    );
}

#[test]
fn key_file_readable_by_others_is_refused_with_the_fix() {
    use std::os::unix::fs::PermissionsExt;
    let (_t, dir, l) = new_ledger();
    drop(l);
    let key = dir.join("key.pem");
    assert_eq!(
        std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
        0o600
    );
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let err = Ledger::open_writer(&dir).err().unwrap();
    assert!(matches!(err, Error::KeyPermissions { .. }));
    assert!(err.to_string().contains("chmod 600"), "{err}");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    std::fs::write(&key, "garbage").unwrap();
    assert!(matches!(
        Ledger::open_writer(&dir).err().unwrap(),
        Error::KeyInvalid { .. }
    ));
}

#[test]
fn init_refuses_an_existing_ledger_and_bad_origins() {
    let (_t, dir, l) = new_ledger();
    drop(l);
    assert!(matches!(
        Ledger::init(&dir, "x.example/y"),
        Err(Error::AlreadyExists(_))
    ));
    let tmp = tempfile::tempdir().unwrap();
    for bad in ["", "has space", "a+b", "tab\there"] {
        assert!(Ledger::init(&tmp.path().join("l"), bad).is_err(), "{bad:?}");
    }
    assert!(matches!(
        Ledger::open(&tmp.path().join("nothing")),
        Err(Error::Missing(_))
    ));
    assert!(matches!(
        Ledger::open(tmp.path()),
        Err(Error::NotALedger(_))
    ));
}

#[test]
fn invalid_documents_write_nothing() {
    let (_t, dir, mut l) = new_ledger();
    let before = std::fs::read(dir.join("entries.log")).unwrap();
    for bad in [doc(b"x", ""), doc(b"x", "   "), doc(b"x", "line\nbreak")] {
        assert!(matches!(
            l.append(&[doc(b"ok", "s"), bad], T0),
            Err(Error::Invalid { .. })
        ));
    }
    assert_eq!(std::fs::read(dir.join("entries.log")).unwrap(), before);
    assert_eq!(l.size(), 0);
}

#[test]
fn a_corrupt_index_is_rebuilt_from_the_log() {
    let (_t, dir, mut l) = new_ledger();
    let docs: Vec<_> = (0..300u64)
        .map(|i| doc(format!("{i}").as_bytes(), "s"))
        .collect();
    l.append(&docs, T0).unwrap();
    let root = l.root().unwrap();
    drop(l);
    // Scribble over the run's records, as a disk that lost a write can.
    let run = dir.join("content").join("0-300");
    let mut bytes = std::fs::read(&run).unwrap();
    bytes[4000..4400].fill(0);
    std::fs::write(&run, bytes).unwrap();
    // The audit names the run, and leaves it exactly as it was.
    let scribbled = std::fs::read(&run).unwrap();
    let r = audit(&dir, None, &|_, _| {}).unwrap();
    let fault = r.fault.unwrap();
    assert_eq!(fault.file, run);
    assert!(fault.what.contains("reindex"), "{}", fault.what);
    assert_eq!(std::fs::read(&run).unwrap(), scribbled);
    // A lookup that meets the damage says so rather than answer.
    let l = Ledger::open(&dir).unwrap();
    let damaged: Vec<_> = (0..300u64)
        .filter(|i| l.lookup(&Sha256::digest(format!("{i}")).into()).is_err())
        .collect();
    assert!(!damaged.is_empty());
    drop(l);
    // A writer rebuilds an index that disagrees with the log once an answer shows it;
    // `reindex` at once.
    drop(Ledger::reindex(&dir).unwrap());
    let l = Ledger::open(&dir).unwrap();
    assert_eq!(l.root().unwrap(), root);
    assert_eq!(l.lookup(&Sha256::digest(b"42").into()).unwrap()[0].seq, 42);
    drop(l);
    assert!(audit(&dir, None, &|_, _| {}).unwrap().fault.is_none());
}

/// The recovery RELIABILITY.md prescribes: restore `entries.log` and `COMMIT` from a backup,
/// then `reindex`. An index ahead of the log is no state a crash leaves, so nothing uses it
/// (nor writes on top of it) until `reindex` rebuilds it from the restored log.
#[test]
fn restoring_the_log_from_a_backup_then_reindex() {
    let (t, dir, mut l) = new_ledger();
    l.append(&[doc(b"kept", "s")], T0).unwrap();
    let root = l.root().unwrap();
    drop(l);
    let backup = t.path().join("backup");
    std::fs::create_dir(&backup).unwrap();
    for f in ["entries.log", "COMMIT"] {
        std::fs::copy(dir.join(f), backup.join(f)).unwrap();
    }
    let mut l = Ledger::open_writer(&dir).unwrap();
    l.append(&[doc(b"lost with the disk", "s")], T0 + 1)
        .unwrap();
    drop(l);
    for f in ["entries.log", "COMMIT"] {
        std::fs::copy(backup.join(f), dir.join(f)).unwrap();
    }
    let restored = std::fs::read(dir.join("entries.log")).unwrap();
    assert!(matches!(
        Ledger::open(&dir),
        Err(Error::IndexDisagrees { .. })
    ));
    match Ledger::open_writer(&dir) {
        Err(Error::Damaged { reason, .. }) => assert!(reason.contains("prov reindex"), "{reason}"),
        other => panic!("{:?}", other.map(|l| l.size())),
    }
    assert_eq!(std::fs::read(dir.join("entries.log")).unwrap(), restored);
    drop(Ledger::reindex(&dir).unwrap());
    let l = Ledger::open(&dir).unwrap();
    assert_eq!((l.size(), l.root().unwrap()), (1, root));
    assert!(
        l.lookup(&Sha256::digest(b"lost with the disk").into())
            .unwrap()
            .is_empty()
    );
    assert!(matches!(l.prove(1, None), Err(Error::NoSuchEntry { .. })));
    drop(l);
    clean(&dir);
}

#[test]
fn a_range_streams_the_same_entries_as_single_reads() {
    let (_t, _dir, mut l) = new_ledger();
    for b in 0..4u64 {
        let docs: Vec<_> = (0..9u64)
            .map(|i| doc(format!("{b}/{i}").as_bytes(), "s"))
            .collect();
        l.append(&docs, T0 + b).unwrap();
    }
    for (from, limit) in [
        (0, 36),
        (0, 100),
        (5, 13),
        (8, 1),
        (9, 9),
        (35, 5),
        (36, 3),
        (50, 1),
        (3, 0),
    ] {
        let streamed: Vec<_> = l.range(from, limit).map(|e| e.unwrap()).collect();
        let single: Vec<_> = (from..(from + limit).min(36))
            .map(|s| l.entry(s).unwrap())
            .collect();
        assert_eq!(streamed, single, "range({from}, {limit})");
    }
}
