//! The fault-injection table (in the style of Sunlight's sequencing tests): every system call
//! of the commit path fails, once as "failed and not persisted" and once as "failed but
//! persisted", on the real files. After each: the error (or success) says what happened,
//! the ledger reopens, the audit is clean, every reported entry is present and unchanged,
//! and re-running the batch records each document exactly once.
#![forbid(unsafe_code)]

mod common;

use common::{T0, clean, doc};
use prov_ledger::{Error, Injected, Ledger, Status, Step};
use std::sync::{Arc, Mutex};

/// What the failed append must have done to the batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    /// Err, and the batch is not in the ledger (cut back before the commit point).
    NotRecorded,
    /// Ok: the batch was committed and reported.
    Reported,
    /// Err that says the batch was committed: it is in the ledger.
    CommittedWithError,
}

fn expected(step: Step, how: Injected) -> Outcome {
    use Injected::*;
    use Step::*;
    match (step, how) {
        (TileWrite | TileSync | OffsetsWrite | OffsetsSync, _) => Outcome::NotRecorded,
        (LogWrite | LogSync | CommitWrite | CommitSync, _) => Outcome::NotRecorded,
        (CommitRename, FailedNotPersisted) => Outcome::NotRecorded,
        (CommitRename, FailedButPersisted) => Outcome::Reported,
        (DirSync, _) => Outcome::CommittedWithError,
        (IndexApply, _) => Outcome::Reported,
        // Reached only when the rename fails: see the test of an uncertain commit.
        (CommitReadBack, _) => Outcome::Reported,
    }
}

/// Fails `step` as `how` every time it is reached (`times` times at most).
fn hook(step: Step, how: Injected, times: usize) -> prov_ledger::FaultHook {
    let left = Arc::new(Mutex::new(times));
    Box::new(move |s| {
        let mut left = left.lock().unwrap();
        (s == step && *left > 0).then(|| {
            *left -= 1;
            how
        })
    })
}

fn run_case(step: Step, how: Injected) {
    let case = format!("{step:?} {how:?}");
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("l");
    let mut l = Ledger::init(&dir, "faults.example/log").unwrap();
    let first: Vec<_> = (0..3).map(|i| doc(&format!("reported {i}"), "s")).collect();
    l.append(&first, T0).unwrap();
    let reported_log = std::fs::read(dir.join("entries.log")).unwrap();
    let batch: Vec<_> = (0..4).map(|i| doc(&format!("batch {i}"), "s")).collect();
    l.set_fault_hook(Some(hook(step, how, usize::MAX)));
    let r = l.append(&batch, T0 + 1);
    let outcome = match &r {
        Ok(_) => Outcome::Reported,
        Err(Error::NotDurable { size, .. }) => {
            assert_eq!(*size, 7, "{case}");
            Outcome::CommittedWithError
        }
        Err(Error::NotRecorded { .. }) => Outcome::NotRecorded,
        Err(e) => panic!("{case}: an error that says neither: {e}"),
    };
    assert_eq!(outcome, expected(step, how), "{case}: {:?}", r.err());
    l.set_fault_hook(None);
    drop(l);
    // The ledger reopens for writing, nothing reported was lost or changed.
    let log = std::fs::read(dir.join("entries.log")).unwrap();
    assert_eq!(&log[..reported_log.len()], &reported_log[..], "{case}");
    let l = Ledger::open_writer(&dir).unwrap_or_else(|e| panic!("{case}: {e}"));
    let want = if outcome == Outcome::NotRecorded {
        3
    } else {
        7
    };
    assert_eq!(l.size(), want, "{case}");
    assert_eq!(
        l.recovered_bytes(),
        0,
        "{case}: the failed append left a tail"
    );
    drop(l);
    // Readers without the lock prove every entry from the tiles, and the audit finds the
    // tiles and offsets the log gives.
    let r = Ledger::open_read_only(&dir).unwrap();
    for seq in 0..want {
        r.prove(seq, None)
            .unwrap_or_else(|e| panic!("{case}: entry {seq}: {e}"));
    }
    let audit = prov_ledger::audit(&dir, None, &|_, _| {}).unwrap();
    assert_eq!(audit.fault, None, "{case}");
    clean(&dir);
    // Re-running the batch records each document exactly once.
    let mut l = Ledger::open_writer(&dir).unwrap();
    let again = l.append(&batch, T0 + 2).unwrap();
    let status = if want == 7 {
        Status::AlreadyRecorded
    } else {
        Status::FirstSeen
    };
    assert!(again.results.iter().all(|r| r.status == status), "{case}");
    assert_eq!(l.size(), 7, "{case}");
    for d in first.iter().chain(&batch) {
        assert_eq!(l.lookup(&d.content.sha256).unwrap().len(), 1, "{case}");
    }
    drop(l);
    clean(&dir);
}

#[test]
fn every_commit_step_failed_both_ways_loses_nothing_reported() {
    for step in [
        Step::TileWrite,
        Step::TileSync,
        Step::OffsetsWrite,
        Step::OffsetsSync,
        Step::LogWrite,
        Step::LogSync,
        Step::CommitWrite,
        Step::CommitSync,
        Step::CommitRename,
        Step::DirSync,
        Step::IndexApply,
    ] {
        for how in [Injected::FailedNotPersisted, Injected::FailedButPersisted] {
            run_case(step, how);
        }
    }
}

/// A folder fsync that fails once is retried; the batch is then reported as usual.
#[test]
fn a_folder_sync_that_fails_once_is_retried() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("l");
    let mut l = Ledger::init(&dir, "faults.example/log").unwrap();
    l.set_fault_hook(Some(hook(Step::DirSync, Injected::FailedNotPersisted, 1)));
    assert!(l.append(&[doc("x", "s")], T0).is_ok());
    drop(l);
    clean(&dir);
}

/// After the index update failed in a process, the next batch of the same process still
/// sees the earlier one (the index is caught up from the log), so nothing is recorded twice.
#[test]
fn after_a_failed_index_update_the_same_process_records_nothing_twice() {
    for how in [Injected::FailedNotPersisted, Injected::FailedButPersisted] {
        let t = tempfile::tempdir().unwrap();
        let dir = t.path().join("l");
        let mut l = Ledger::init(&dir, "faults.example/log").unwrap();
        l.set_fault_hook(Some(hook(Step::IndexApply, how, 1)));
        l.append(&[doc("x", "s")], T0).unwrap();
        let r = l.append(&[doc("x", "s")], T0 + 1).unwrap();
        assert_eq!(r.results[0].status, Status::AlreadyRecorded, "{how:?}");
        assert_eq!(l.size(), 1);
        drop(l);
        clean(&dir);
    }
}

/// A failed commit leaves the on-disk COMMIT either as it was or naming the whole batch,
/// never anything else, whatever step failed.
#[test]
fn commit_names_the_old_state_or_the_whole_batch() {
    for how in [Injected::FailedNotPersisted, Injected::FailedButPersisted] {
        for step in [Step::CommitWrite, Step::CommitSync, Step::CommitRename] {
            let t = tempfile::tempdir().unwrap();
            let dir = t.path().join("l");
            let mut l = Ledger::init(&dir, "faults.example/log").unwrap();
            let before = std::fs::read_to_string(dir.join("COMMIT")).unwrap();
            l.set_fault_hook(Some(hook(step, how, 1)));
            let r = l.append(&[doc("y", "s")], T0);
            let after = std::fs::read_to_string(dir.join("COMMIT")).unwrap();
            match r {
                Ok(_) => assert!(after.ends_with("size 1\n"), "{step:?} {how:?}: {after}"),
                Err(_) => assert_eq!(after, before, "{step:?} {how:?}"),
            }
            assert!(!dir.join("COMMIT.tmp").exists(), "{step:?} {how:?}");
        }
    }
}

/// The rename reports an error and COMMIT cannot be read back: the error says the state is
/// unknown, nothing is cut, the same process appends nothing more, and the next writer
/// commits the complete batch.
#[test]
fn a_commit_that_cannot_be_read_back_is_uncertain_and_rolled_forward() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("l");
    let mut l = Ledger::init(&dir, "faults.example/log").unwrap();
    let fail_both: prov_ledger::FaultHook = Box::new(|s| {
        matches!(s, Step::CommitRename | Step::CommitReadBack)
            .then_some(Injected::FailedNotPersisted)
    });
    l.set_fault_hook(Some(fail_both));
    let batch = [doc("x", "s"), doc("y", "s")];
    match l.append(&batch, T0) {
        Err(e @ Error::CommitUncertain { .. }) => {
            assert!(e.to_string().contains("nothing was cut"), "{e}")
        }
        other => panic!("{:?}", other.map(|r| r.results)),
    }
    l.set_fault_hook(None);
    assert!(matches!(
        l.append(&[doc("z", "s")], T0),
        Err(Error::CommitUncertain { .. })
    ));
    drop(l);
    let mut l = Ledger::open_writer(&dir).unwrap();
    assert_eq!((l.size(), l.rolled_forward_entries()), (2, 2));
    let again = l.append(&batch, T0 + 1).unwrap();
    assert!(
        again
            .results
            .iter()
            .all(|r| r.status == Status::AlreadyRecorded)
    );
    drop(l);
    clean(&dir);
}
