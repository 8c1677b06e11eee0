//! Every tamper with the log is found by the audit and located: the byte offset of the
//! record at fault, and the entry concerned.
#![forbid(unsafe_code)]

use prov_ledger::{Content, Fault, Ledger, NewDocument, audit};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

const T0: u64 = 1_767_225_600_000;

/// A small ledger: 5 entries in 2 batches (a sighting among them), 3 checkpoints.
fn small_ledger() -> (tempfile::TempDir, PathBuf, Vec<u8>) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("l");
    let mut l = Ledger::init(&dir, "tamper.example/log").unwrap();
    let d = |c: &str, s: &str| NewDocument {
        content: Content {
            sha256: Sha256::digest(c.as_bytes()).into(),
            size: c.len() as u64,
            name: Some(format!("{c}.eml").into_bytes()),
            ..Default::default()
        },
        source: s.into(),
        ..Default::default()
    };
    l.append(&[d("a", "s1"), d("b", "s1"), d("c", "s1")], T0)
        .unwrap();
    l.append(&[d("a", "s2"), d("e", "s2")], T0 + 1).unwrap();
    drop(l);
    let log = std::fs::read(dir.join("entries.log")).unwrap();
    (tmp, dir, log)
}

/// (start, end, type) of each record.
fn frames(log: &[u8]) -> Vec<(usize, usize, u8)> {
    let mut out = Vec::new();
    let mut at = 8;
    while at < log.len() {
        let len = u32::from_be_bytes(log[at + 1..at + 5].try_into().unwrap()) as usize;
        out.push((at, at + 9 + len, log[at]));
        at += 9 + len;
    }
    out
}

fn fix_crc(log: &mut [u8], (start, end, _): (usize, usize, u8)) {
    let crc = crc32fast::hash(&log[start..end - 4]);
    log[end - 4..end].copy_from_slice(&crc.to_be_bytes());
}

fn audit_with(dir: &Path, log: &[u8], commit_len: Option<usize>) -> Option<Fault> {
    std::fs::write(dir.join("entries.log"), log).unwrap();
    if let Some(len) = commit_len {
        let text = std::fs::read_to_string(dir.join("COMMIT")).unwrap();
        let size = text.lines().nth(2).unwrap().to_owned();
        std::fs::write(
            dir.join("COMMIT"),
            format!("prov-commit v1\nlog_length {len}\n{size}\n"),
        )
        .unwrap();
    }
    audit(dir, None, &|_, _| {}).unwrap().fault
}

/// The seq of each entry record, by frame number (None for checkpoints).
fn seqs(fr: &[(usize, usize, u8)]) -> Vec<Option<u64>> {
    let mut n = 0;
    fr.iter()
        .map(|f| {
            (f.2 == 1).then(|| {
                n += 1;
                n - 1
            })
        })
        .collect()
}

#[test]
fn every_single_byte_change_is_found_at_its_record() {
    let (_t, dir, log) = small_ledger();
    let fr = frames(&log);
    assert_eq!(fr.iter().filter(|f| f.2 == 2).count(), 3);
    assert!(audit_with(&dir, &log, None).is_none());
    for pos in 0..log.len() {
        for flip in [0x01u8, 0xff] {
            let mut bad = log.clone();
            bad[pos] ^= flip;
            let fault = audit_with(&dir, &bad, None)
                .unwrap_or_else(|| panic!("byte {pos} ^ {flip:#x} not detected"));
            let want = if pos < 8 {
                0
            } else {
                fr.iter().find(|f| f.0 <= pos && pos < f.1).unwrap().0
            };
            let got = fault.offset.unwrap();
            assert!(
                got == want as u64 || (pos < 8 && got == 7),
                "byte {pos}: fault at {got}, record starts at {want}: {fault}"
            );
        }
    }
}

#[test]
fn every_byte_change_of_an_entry_with_its_checksum_fixed_names_that_entry() {
    let (_t, dir, log) = small_ledger();
    let fr = frames(&log);
    let seqs = seqs(&fr);
    for (i, f) in fr.iter().enumerate() {
        for pos in f.0 + 5..f.1 - 4 {
            let mut bad = log.clone();
            bad[pos] ^= 0x01;
            fix_crc(&mut bad, *f);
            let fault = audit_with(&dir, &bad, None)
                .unwrap_or_else(|| panic!("payload byte {pos} of record {i} not detected"));
            assert_eq!(fault.offset, Some(f.0 as u64), "{fault}");
            if let Some(seq) = seqs[i] {
                assert_eq!(fault.seq, Some(seq), "{fault}");
            }
        }
    }
}

#[test]
fn removed_reordered_duplicated_and_spliced_records_are_found() {
    let (_t, dir, log) = small_ledger();
    let fr = frames(&log);
    let seqs = seqs(&fr);
    let rec = |i: usize| log[fr[i].0..fr[i].1].to_vec();
    let rebuild = |order: &[usize]| -> Vec<u8> {
        let mut out = log[..8].to_vec();
        for &i in order {
            out.extend(rec(i));
        }
        out
    };
    let all: Vec<usize> = (0..fr.len()).collect();
    let entries: Vec<usize> = all.iter().copied().filter(|&i| fr[i].2 == 1).collect();
    for &i in &entries {
        // Removed.
        let order: Vec<usize> = all.iter().copied().filter(|&j| j != i).collect();
        let bad = rebuild(&order);
        let f = audit_with(&dir, &bad, Some(bad.len())).expect("removal not found");
        assert_eq!(f.seq, seqs[i], "removed entry {i}: {f}");
        assert_eq!(f.offset, Some(fr[i].0 as u64), "{f}");
        // Duplicated.
        let mut order = all.clone();
        order.insert(i + 1, i);
        let bad = rebuild(&order);
        let f = audit_with(&dir, &bad, Some(bad.len())).expect("duplicate not found");
        assert_eq!(f.seq, seqs[i].map(|s| s + 1), "duplicated entry {i}: {f}");
        // Swapped with the next entry.
        if let Some(&j) = entries.iter().find(|&&j| j > i) {
            let mut order = all.clone();
            order.swap(i, j);
            let bad = rebuild(&order);
            let f = audit_with(&dir, &bad, Some(bad.len())).expect("reorder not found");
            assert_eq!(f.seq, seqs[i], "swapped entries {i} and {j}: {f}");
        }
    }
    // An entry spliced in from another ledger, with its seq and chain made to fit: its
    // signature is by another key.
    let (_t2, _dir2, other) = small_ledger();
    let ofr = frames(&other);
    let mut bad = log.clone();
    let (s, e, _) = fr[1];
    bad.splice(s..e, other[ofr[1].0..ofr[1].1].iter().copied());
    let f = audit_with(&dir, &bad, Some(bad.len())).expect("spliced entry not found");
    assert_eq!(f.seq, Some(0), "{f}");
}

#[test]
fn a_checkpoint_from_another_ledger_is_found() {
    let (_t, dir, log) = small_ledger();
    let (_t2, _d2, other) = small_ledger();
    let fr = frames(&log);
    let ofr = frames(&other);
    let last = fr.len() - 1;
    let mut bad = log[..fr[last].0].to_vec();
    bad.extend_from_slice(&other[ofr[last].0..ofr[last].1]);
    let f = audit_with(&dir, &bad, Some(bad.len())).expect("foreign checkpoint not found");
    assert_eq!(f.offset, Some(fr[last].0 as u64));
    assert!(f.what.contains("checkpoint"), "{f}");
}

#[test]
fn a_truncated_log_or_a_doctored_commit_is_found() {
    let (_t, dir, log) = small_ledger();
    let fr = frames(&log);
    // Cut at the end of an earlier checkpoint: COMMIT still names the full length.
    let cut = fr.iter().filter(|f| f.2 == 2).nth(1).unwrap().1;
    let f = audit_with(&dir, &log[..cut], None).expect("truncation not found");
    assert!(f.what.contains("truncated"), "{f}");
    // COMMIT made to match the shorter log, but its size is now wrong.
    let f = audit_with(&dir, &log[..cut], Some(cut)).expect("doctored commit not found");
    assert!(f.what.contains("commit marker"), "{f}");
}
