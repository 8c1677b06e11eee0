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
        }
        // Runs merge while the older is no more than twice the newer: sizes more than double
        // going back, so at most log2(size) + 1 of them.
        let names: Vec<_> = std::fs::read_dir(dir.join("content")).unwrap().map(|e| e.unwrap().file_name()).collect();
        prop_assert!(run_count(&dir) as u64 <= 64 - size.leading_zeros() as u64, "{:?} {}", names, size);
        clean(&dir);
    }
}
