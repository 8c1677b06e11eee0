//! The one ingest path (`Ledger::ingest`) as a front end other than the CLI would call it:
//! files walked and hashed beside the signer, batches, every result reported in order, a
//! reporter that stops, a file that cannot be hashed, streams, digests and manifests.
#![forbid(unsafe_code)]

mod common;

use common::{T0, clean, sha};
use prov_ledger::{
    Documents, Error, Fields, FileDigest, Ingested, Ledger, LineProblem, Manifest, Options,
    PathProblem, Report, Skip, Status, Summary, walk,
};
use std::io::Write;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Everything a reporter is told, and where it stops.
#[derive(Default)]
struct Seen {
    results: Vec<(String, Status, u64)>,
    batches: Vec<u64>,
    stop_after: Option<usize>,
}

impl Report for Seen {
    fn recorded(&mut self, d: &Ingested<'_>) -> ControlFlow<()> {
        let label = String::from_utf8_lossy(d.label).into_owned();
        self.results
            .push((label, d.recorded.status, d.recorded.seq));
        if Some(self.results.len()) == self.stop_after {
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    }

    fn batch_done(&mut self, documents: u64) {
        self.batches.push(documents);
    }
}

fn fields(source: &str) -> Fields {
    Fields {
        source: source.into(),
        ..Default::default()
    }
}

fn clock() -> prov_ledger::Result<u64> {
    Ok(T0)
}

fn options(batch: usize) -> Options<'static> {
    Options {
        batch,
        clock: &clock,
        progress: &|_| {},
        extract: None,
        similar: None,
    }
}

/// A ledger in a temporary folder, and `n` documents in `docs/` (two subfolders, so the
/// walk's name order is not the creation order), each with its own content.
fn setup(n: usize) -> (tempfile::TempDir, PathBuf, Ledger) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("ledger");
    let l = Ledger::init(&dir, "test.example/ingest").unwrap();
    for i in 0..n {
        let sub = if i % 2 == 0 { "b" } else { "a" };
        let path = tmp
            .path()
            .join("docs")
            .join(sub)
            .join(format!("{i:03}.txt"));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, format!("document {i}")).unwrap();
    }
    (tmp, dir, l)
}

fn walked(root: &Path, ledger: &Path) -> prov_ledger::Walked {
    walk(&[root.join("docs")], false, &Skip::ledger(ledger)).unwrap()
}

#[test]
fn files_are_recorded_in_walk_order_in_batches_each_reported_once_durable() {
    let (tmp, dir, mut l) = setup(25);
    let w = walked(tmp.path(), &dir);
    assert_eq!(w.files.len(), 25);
    let mut seen = Seen::default();
    let s = l
        .ingest(
            Documents::Files(&w.files),
            &fields("s"),
            &options(4),
            &mut seen,
        )
        .unwrap();
    assert_eq!(s.first_seen, 25);
    assert!(!s.stopped);
    let labels: Vec<String> = seen.results.iter().map(|r| r.0.clone()).collect();
    let walked: Vec<String> = w
        .files
        .iter()
        .map(|f| f.path.display().to_string())
        .collect();
    assert_eq!(labels, walked);
    assert!(labels[0].ends_with("docs/a/001.txt"), "{}", labels[0]);
    let seqs: Vec<u64> = seen.results.iter().map(|r| r.2).collect();
    assert_eq!(seqs, (0..25).collect::<Vec<_>>());
    assert_eq!(seen.batches, vec![4, 8, 12, 16, 20, 24, 25]);
    // Each entry records the file's path in the folder added, and its content.
    let e = l.entry(0).unwrap();
    assert_eq!(e.content.name.as_deref(), Some(&b"a/001.txt"[..]));
    assert_eq!(e.content.sha256, sha("document 1"));
    assert_eq!(e.time_ms, T0);
    // Again: everything already recorded, nothing appended.
    let mut again = Seen::default();
    let s = l
        .ingest(
            Documents::Files(&w.files),
            &fields("s"),
            &options(7),
            &mut again,
        )
        .unwrap();
    assert_eq!(s.already_recorded, 25);
    assert_eq!(l.size(), 25);
    drop(l);
    clean(&dir);
}

#[test]
fn every_file_is_hashed_exactly_once_whatever_the_batch() {
    for batch in [1, 2, 3, 64] {
        let (tmp, dir, mut l) = setup(40);
        let w = walked(tmp.path(), &dir);
        let hashed = AtomicU64::new(0);
        let progress = |n| {
            hashed.fetch_add(n, Ordering::SeqCst);
        };
        let opts = Options {
            batch,
            clock: &clock,
            progress: &progress,
            extract: None,
            similar: None,
        };
        let s = l
            .ingest(
                Documents::Files(&w.files),
                &fields("s"),
                &opts,
                &mut Seen::default(),
            )
            .unwrap();
        assert_eq!(s.first_seen, 40, "batch {batch}");
        assert_eq!(
            hashed.load(Ordering::SeqCst),
            w.total_bytes(),
            "batch {batch}"
        );
    }
}

#[test]
fn a_reporter_that_stops_keeps_its_batch_and_nothing_after_it_is_recorded() {
    let (tmp, dir, mut l) = setup(10);
    let w = walked(tmp.path(), &dir);
    let mut seen = Seen {
        stop_after: Some(5),
        ..Default::default()
    };
    let s = l
        .ingest(
            Documents::Files(&w.files),
            &fields("s"),
            &options(3),
            &mut seen,
        )
        .unwrap();
    assert_eq!(
        s,
        Summary {
            first_seen: 6,
            stopped: true,
            ..Default::default()
        }
    );
    assert_eq!(seen.results.len(), 5);
    assert_eq!(l.size(), 6);
    drop(l);
    clean(&dir);
}

#[test]
fn a_file_gone_after_the_walk_stops_before_its_batch_and_says_what_is_recorded() {
    let (tmp, dir, mut l) = setup(10);
    let w = walked(tmp.path(), &dir);
    std::fs::remove_file(&w.files[5].path).unwrap();
    let mut seen = Seen::default();
    let e = l
        .ingest(
            Documents::Files(&w.files),
            &fields("s"),
            &options(4),
            &mut seen,
        )
        .unwrap_err();
    match &e {
        Error::NotHashed { source, recorded } => {
            assert_eq!(*recorded, 4);
            assert!(matches!(**source, Error::Io { .. }), "{source:?}");
        }
        other => panic!("{other:?}"),
    }
    let msg = e.to_string();
    assert!(
        msg.contains(": check the path and its permissions"),
        "{msg}"
    );
    assert!(msg.contains("(4 documents before it are recorded"), "{msg}");
    assert_eq!(seen.results.len(), 4);
    assert_eq!(l.size(), 4);
    drop(l);
    clean(&dir);
}

#[test]
fn walk_errors_name_the_path_and_the_problem() {
    let (tmp, dir, _l) = setup(1);
    let missing = tmp.path().join("nope.txt");
    match walk(&[missing], false, &Skip::ledger(&dir)).unwrap_err() {
        e @ Error::Path {
            problem: PathProblem::Missing,
            ..
        } => assert!(
            e.to_string()
                .ends_with("nope.txt does not exist: check the path")
        ),
        other => panic!("{other:?}"),
    }
    let inside = dir.join("entries.log");
    assert!(matches!(
        walk(&[inside], false, &Skip::ledger(&dir)),
        Err(Error::Path {
            problem: PathProblem::InsideLedger,
            ..
        })
    ));
    // The ledger's own folder inside a walked folder is skipped, with why.
    let w = walk(&[tmp.path().to_owned()], false, &Skip::ledger(&dir)).unwrap();
    assert_eq!(w.files.len(), 1);
    assert_eq!(w.skipped.len(), 1);
    assert_eq!(w.skipped[0].0, dir);
}

#[test]
fn a_large_folder_is_walked_in_name_order_with_its_subfolders_in_place() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("big");
    let mut want = Vec::new();
    // More entries than the walk looks at on one thread, written out of order.
    for i in (0..150).rev() {
        let path = root.join(format!("{i:03}"));
        std::fs::create_dir_all(&root).unwrap();
        match i % 30 {
            7 => {
                std::fs::create_dir(&path).unwrap();
                std::fs::write(path.join("inner.txt"), "inner").unwrap();
            }
            11 => std::fs::write(&path, "").unwrap(),
            13 => std::os::unix::fs::symlink("000", &path).unwrap(),
            _ => std::fs::write(&path, format!("doc {i}")).unwrap(),
        }
    }
    for i in 0..150 {
        let path = root.join(format!("{i:03}"));
        match i % 30 {
            7 => want.push(path.join("inner.txt")),
            11 | 13 => {}
            _ => want.push(path),
        }
    }
    let w = walk(std::slice::from_ref(&root), false, &Skip::default()).unwrap();
    let got: Vec<PathBuf> = w.files.iter().map(|f| f.path.clone()).collect();
    assert_eq!(got, want);
    let skipped: Vec<(String, &str)> = w
        .skipped
        .iter()
        .map(|(p, why)| (p.file_name().unwrap().to_string_lossy().into_owned(), *why))
        .collect();
    assert_eq!(skipped.len(), 10);
    assert_eq!(skipped[0], ("011".into(), "empty file"));
    assert_eq!(
        skipped[1],
        ("013".into(), "symlink not followed (use --follow-symlinks)")
    );
}

#[test]
fn a_stream_is_one_document_and_an_empty_one_is_refused() {
    let (_tmp, dir, mut l) = setup(0);
    let stream = |bytes: &'static [u8]| Documents::Stream {
        reader: Box::new(bytes),
        what: "the upload".into(),
        label: b"-".to_vec(),
        name: Some(b"memo.txt".to_vec()),
    };
    let e = l
        .ingest(stream(b""), &fields("s"), &options(8), &mut Seen::default())
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "the upload is empty: an empty document has no content to record"
    );
    let mut seen = Seen::default();
    l.ingest(stream(b"memo"), &fields("s"), &options(8), &mut seen)
        .unwrap();
    assert_eq!(seen.results, vec![("-".into(), Status::FirstSeen, 0)]);
    assert_eq!(l.entry(0).unwrap().content.sha256, sha("memo"));
    let digest = Documents::Digest {
        digest: FileDigest {
            sha256: sha("memo"),
            size: 4,
        },
        label: b"sha256:...".to_vec(),
        name: None,
    };
    let mut seen = Seen::default();
    l.ingest(digest, &fields("t"), &options(8), &mut seen)
        .unwrap();
    assert_eq!(
        seen.results,
        vec![("sha256:...".into(), Status::Sighting, 1)]
    );
    drop(l);
    clean(&dir);
}

#[test]
fn a_manifest_is_checked_whole_then_recorded_in_batches_by_its_names() {
    let (_tmp, dir, mut l) = setup(0);
    let hex = |s: &str| {
        sha(s)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    let mut text = String::new();
    for i in 0..5 {
        text += &format!("{} {} doc-{i}.pdf\r\n", hex(&format!("d{i}")), 10 + i);
    }
    text += &format!("{} 7\n", hex("unnamed"));
    let mut file = tempfile::tempfile().unwrap();
    file.write_all(text.as_bytes()).unwrap();
    let mut m = Manifest::from_file(file, "list.txt").unwrap();
    assert_eq!(m.check(&fields("s"), l.size()).unwrap(), 6);
    // A field the ledger refuses is named by line, before anything is recorded.
    let bad = Fields {
        media_type: Some("x".repeat(300)),
        ..fields("s")
    };
    match m.check(&bad, l.size()).unwrap_err() {
        e @ Error::ManifestLine {
            line: 1,
            problem: LineProblem::Refused(_),
            ..
        } => assert!(e.to_string().starts_with("list.txt:1: invalid"), "{e}"),
        other => panic!("{other:?}"),
    }
    let mut seen = Seen::default();
    let s = l
        .ingest(
            Documents::Manifest(&mut m),
            &fields("s"),
            &options(4),
            &mut seen,
        )
        .unwrap();
    assert_eq!(s.first_seen, 6);
    assert_eq!(seen.batches, vec![4, 6]);
    assert_eq!(seen.results[0].0, "doc-0.pdf");
    assert_eq!(seen.results[5].0, format!("sha256:{}", hex("unnamed")));
    assert_eq!(l.entry(5).unwrap().content.name, None);
    drop(l);
    clean(&dir);
}

#[test]
fn a_batch_of_nothing_is_refused_before_anything_is_read() {
    let (_tmp, _dir, mut l) = setup(0);
    let e = l
        .ingest(
            Documents::Files(&[]),
            &fields("s"),
            &options(0),
            &mut Seen::default(),
        )
        .unwrap_err();
    assert!(matches!(e, Error::Invalid { field: "batch", .. }), "{e:?}");
}
