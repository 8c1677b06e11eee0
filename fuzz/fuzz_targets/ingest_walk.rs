//! Containers from strangers (`prov_ingest::walk_reader`: zip, 7z, tar, gzip, email, mbox, and
//! what `sniff` makes of any bytes): never a panic, a hang or an allocation past the limits;
//! members are visited in order, each after its container; a member hashed whole has the
//! SHA-256 of bytes of its size; what documents claim (OOXML, OLE, PDF, email headers) stays
//! within the ledger's metadata limits.
#![no_main]
use libfuzzer_sys::fuzz_target;
use prov_ingest::{Hashed, Limits, walk_reader};
use std::ops::ControlFlow;

fuzz_target!(|data: &[u8]| {
    let _ = prov_ingest::sniff(data);
    // Small limits, so that an input that expands is cut quickly.
    let limits = Limits {
        max_total_bytes: 64 << 20,
        max_buffered: 16 << 20,
        ratio_floor: 1 << 20,
        max_members: 10_000,
        ..Limits::default()
    };
    let mut last = None;
    let mut seen = 0u64;
    let walked = walk_reader(&mut &data[..], &limits, &mut |f| {
        assert!(last.is_none_or(|l| l < f.index), "indexes ascend");
        assert!(
            f.parent.is_none_or(|p| p < f.index),
            "a container before its members"
        );
        assert!(f.hashed != Hashed::Content || f.size <= limits.max_total_bytes);
        // What a member claims: at most 64 keys, sorted, each value within the ledger's 4,096
        // bytes and free of control characters but tab.
        assert!(f.claimed.len() <= 64 && f.claimed.is_sorted());
        assert!(f.claimed.iter().all(|(k, v)| !k.is_empty()
            && v.len() <= 4096
            && !v.chars().any(|c| c.is_control() && c != '\t')));
        last = Some(f.index);
        seen += 1;
        ControlFlow::Continue(())
    });
    if let Ok(summary) = walked
        && summary.hashed == Hashed::Content
    {
        assert_eq!(summary.size, data.len() as u64, "the top file's size");
    }
    assert!(seen <= limits.max_members);
});
