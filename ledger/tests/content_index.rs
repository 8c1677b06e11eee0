//! The content index (FORMAT.md section 7.3) against a model: batches of any size, contents
//! repeated within and across batches and sources, reopened writers and readers. Every
//! lookup answers exactly the entries the model holds, the runs stay few (merged as the
//! ledger grows), and the audit agrees.
#![forbid(unsafe_code)]

mod common;

use common::{T0, clean, doc};
use proptest::prelude::*;
use prov_ledger::{Ledger, Status};
use std::collections::HashMap;

fn hex(sha: &[u8; 32]) -> String {
    sha.iter().map(|b| format!("{b:02x}")).collect()
}

fn run_count(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir.join("content"))
        .unwrap()
        .filter(|e| {
            !e.as_ref()
                .unwrap()
                .file_name()
                .to_str()
                .unwrap()
                .starts_with('.')
        })
        .count()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]
    #[test]
    fn lookups_answer_what_was_recorded(
        batches in prop::collection::vec(
            prop::collection::vec((0u8..40, 0u8..3), 1..70), 1..14),
        reopen_every in 1usize..5,
    ) {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("l");
        let mut l = Ledger::init(&dir, "test.example/content").unwrap();
        // content -> seqs recorded for it, in order.
        let mut model: HashMap<String, Vec<u64>> = HashMap::new();
        let mut size = 0u64;
        for (i, batch) in batches.iter().enumerate() {
            if i % reopen_every == 0 {
                drop(l);
                l = Ledger::open_writer(&dir).unwrap();
            }
            let docs: Vec<_> = batch
                .iter()
                .map(|(c, s)| doc(&format!("c{c}"), &format!("s{s}")))
                .collect();
            let r = l.append(&docs, T0 + i as u64).unwrap();
            for ((c, _), rec) in batch.iter().zip(&r.results) {
                if rec.status != Status::AlreadyRecorded {
                    model.entry(format!("c{c}")).or_default().push(rec.seq);
                    size += 1;
                }
            }
            prop_assert_eq!(l.size(), size);
        }
        drop(l);
        let reader = Ledger::open(&dir).unwrap();
        for c in 0u8..45 {
            let name = format!("c{c}");
            let got: Vec<u64> = reader
                .lookup(&common::sha(&name))
                .unwrap()
                .iter()
                .map(|e| e.seq)
                .collect();
            let want = model.get(&name).cloned().unwrap_or_default();
            prop_assert_eq!(&got, &want, "{}", name);
            // The start of its hash, as `prov log` prints it, names it exactly when recorded.
            let sha = common::sha(&name);
            let start = hex(&sha)[..5].to_owned();
            let found = reader.contents_with_prefix(&start, 10).unwrap();
            prop_assert_eq!(found.contains(&sha), !want.is_empty(), "{} by {}", name, start);
            let all_match = found.iter().all(|f| hex(f).starts_with(&start));
            prop_assert!(all_match);
        }
        // Runs merge while the older is no more than twice the newer: sizes more than double
        // going back, so at most log2(size) + 1 of them.
        let names: Vec<_> = std::fs::read_dir(dir.join("content")).unwrap().map(|e| e.unwrap().file_name()).collect();
        prop_assert!(run_count(&dir) as u64 <= 64 - size.leading_zeros() as u64, "{:?} {}", names, size);
        clean(&dir);
    }
}

fn names(dir: &std::path::Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir.join("content"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    v.sort();
    v
}

/// What a crash in the middle of a merge or a run's write leaves: the merged run in place with
/// an input not yet deleted, a temporary half written. Readers use the longest run from
/// each start and ignore the rest; the next writer deletes them; the audit agrees.
#[test]
fn leftovers_of_an_interrupted_merge_are_ignored_then_cleared() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("l");
    let mut l = Ledger::init(&dir, "test.example/content").unwrap();
    let batch: Vec<_> = (0..10).map(|i| doc(&format!("a{i}"), "s")).collect();
    l.append(&batch, T0).unwrap();
    l.append(&[doc("b", "s")], T0).unwrap();
    assert_eq!(names(&dir), ["0-10", "10-11"]);
    let input = std::fs::read(dir.join("content/10-11")).unwrap();
    // The next batch of one merges with it: 10-12.
    l.append(&[doc("c", "s")], T0).unwrap();
    drop(l);
    assert_eq!(names(&dir), ["0-10", "10-12"]);
    std::fs::write(dir.join("content/10-11"), input).unwrap();
    std::fs::write(dir.join("content/.12-13.tmp"), [7u8; 17]).unwrap();
    // A name no writer makes is ignored, and left alone.
    std::fs::write(dir.join("content/NOTES"), "the archivist's").unwrap();
    let reader = Ledger::open(&dir).unwrap();
    for (c, seq) in [("a3", 3), ("b", 10), ("c", 11)] {
        let found = reader.lookup(&common::sha(c)).unwrap();
        assert_eq!(
            found.iter().map(|e| e.seq).collect::<Vec<_>>(),
            [seq],
            "{c}"
        );
    }
    drop(reader);
    clean(&dir);
    let l = Ledger::open_writer(&dir).unwrap();
    assert!(!l.index_rebuilt());
    drop(l);
    assert_eq!(names(&dir), ["0-10", "10-12", "NOTES"]);
    clean(&dir);
}

/// A run lost after its `COMMIT` (a crash before it was written, or its name not yet on
/// disk): lookups find those entries in the log, and the next writer writes the run.
#[test]
fn an_index_behind_the_log_is_read_past_and_caught_up() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("l");
    let mut l = Ledger::init(&dir, "test.example/content").unwrap();
    let batch: Vec<_> = (0..10).map(|i| doc(&format!("a{i}"), "s")).collect();
    l.append(&batch, T0).unwrap();
    l.append(&[doc("b", "s"), doc("a1", "t")], T0).unwrap();
    drop(l);
    std::fs::remove_file(dir.join("content/10-12")).unwrap();
    let reader = Ledger::open(&dir).unwrap();
    let seqs = |c: &str| -> Vec<u64> {
        reader
            .lookup(&common::sha(c))
            .unwrap()
            .iter()
            .map(|e| e.seq)
            .collect()
    };
    assert_eq!(seqs("b"), [10]);
    assert_eq!(seqs("a1"), [1, 11]);
    let b = common::sha("b");
    assert_eq!(reader.contents_with_prefix(&hex(&b)[..6], 5).unwrap(), [b]);
    drop(reader);
    clean(&dir);
    let mut l = Ledger::open_writer(&dir).unwrap();
    assert!(!l.index_rebuilt());
    let r = l.append(&[doc("a1", "t")], T0).unwrap();
    assert_eq!(r.results[0].status, Status::AlreadyRecorded);
    drop(l);
    assert_eq!(names(&dir), ["0-10", "10-12"]);
    clean(&dir);
}

/// Review finding: the writer decided sightings through lookups that prove each earlier entry
/// from the tiles, so one damaged full tile stopped every sighting. It now reads the log's
/// own entries for the content; the derived files play no part in what it signs.
#[test]
fn a_damaged_tile_does_not_stop_a_sighting() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("l");
    let mut l = Ledger::init(&dir, "test.example/content").unwrap();
    let batch: Vec<_> = (0..300).map(|i| doc(&format!("f{i}"), "s")).collect();
    l.append(&batch, T0).unwrap();
    drop(l);
    let tile = dir.join("tile/0/000");
    let mut bytes = std::fs::read(&tile).unwrap();
    bytes[100] ^= 1;
    std::fs::write(&tile, bytes).unwrap();
    let mut l = Ledger::open_writer(&dir).unwrap();
    let r = l.append(&[doc("f5", "s9")], T0 + 1).unwrap();
    assert_eq!(r.results[0].status, Status::Sighting);
    assert_eq!(r.results[0].first_seen.seq, 5);
    drop(l);
    // The audit still names the damaged tile, and `reindex` repairs it.
    let fault = prov_ledger::audit(&dir, None, &|_, _| {})
        .unwrap()
        .fault
        .unwrap();
    assert_eq!(fault.file, tile);
    drop(Ledger::reindex(&dir).unwrap());
    clean(&dir);
}
