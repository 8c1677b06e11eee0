//! A 5 GiB sparse file is hashed and recorded with flat memory. Alone in its own test
//! binary, so that no other test shares the process whose peak memory it measures.
#![forbid(unsafe_code)]

use prov_ledger::{Content, Ledger, NewDocument, Status, audit, hash_file};

const T0: u64 = 1_767_225_600_000;

/// A 5 GiB sparse file streams through SHA-256 in constant memory.
#[test]
fn a_5_gib_sparse_file_is_ingested_with_flat_memory() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("ledger");
    let mut l = Ledger::init(&dir, "test.example/large").unwrap();
    let path = t.path().join("sparse.bin");
    let size = 5u64 << 30;
    std::fs::File::create(&path).unwrap().set_len(size).unwrap();
    let peak_before = peak_rss_kib();
    let d = hash_file(&path, &|_| {}).unwrap();
    let grew = peak_rss_kib() - peak_before;
    assert_eq!(d.size, size);
    // SHA-256 of 5 GiB of zero bytes, computed independently (Python hashlib).
    assert_eq!(
        hex::encode(d.sha256),
        "7f06c62352aebd8125b2a1841e2b9e1ffcbed602f381c3dcb3200200e383d1d5"
    );
    assert!(
        grew < 64 * 1024,
        "peak memory grew by {grew} KiB while hashing 5 GiB"
    );
    let r = l
        .append(
            &[NewDocument {
                content: Content {
                    sha256: d.sha256,
                    size: d.size,
                    ..Default::default()
                },
                source: "disk".into(),
                ..Default::default()
            }],
            T0,
        )
        .unwrap();
    assert_eq!(r.results[0].status, Status::FirstSeen);
    assert_eq!(l.entry(0).unwrap().content.size, size);
    drop(l);
    assert!(audit(&dir, None, &|_, _| {}).unwrap().fault.is_none());
}

fn peak_rss_kib() -> i64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}
