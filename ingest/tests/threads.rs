//! A top-level zip walked from a file is read on more threads (its bytes hashed on
//! `top-hash`, its small members decoded ahead on `zip-ahead`) only from
//! `Limits::parallel_from` up: a small zip is walked on the calling thread alone, which
//! costs less than starting two threads for it. The threads are seen by their names in
//! `/proc/self/task` while the walk visits the members; this file holds one test so that no
//! other test's threads are counted.

use prov_ingest::{Limits, walk};
use std::io::Write;
use std::ops::ControlFlow;
use std::path::Path;

/// The names of this process's threads.
fn thread_names() -> Vec<String> {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return Vec::new();
    };
    tasks
        .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("comm")).ok())
        .map(|name| name.trim().to_owned())
        .collect()
}

/// The walk's members, and the names of the threads seen while they were visited.
fn walked(path: &Path, limits: &Limits) -> (usize, Vec<String>) {
    let (mut members, mut seen) = (0, Vec::new());
    walk(path, limits, &mut |_| {
        members += 1;
        for name in thread_names() {
            if !seen.contains(&name) {
                seen.push(name);
            }
        }
        ControlFlow::Continue(())
    })
    .unwrap();
    (members, seen)
}

#[test]
fn a_small_zip_is_walked_on_one_thread_and_read_ahead_only_when_asked() {
    if !Path::new("/proc/self/task").exists() {
        eprintln!("skipped: no /proc/self/task to see threads in");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("small.zip");
    let mut z = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    for i in 0..40 {
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        z.start_file(format!("doc{i}.txt"), options).unwrap();
        z.write_all(
            format!("document {i}, a few words long\n")
                .repeat(50)
                .as_bytes(),
        )
        .unwrap();
    }
    z.finish().unwrap();
    let size = std::fs::metadata(&path).unwrap().len();
    assert!(size < Limits::default().parallel_from, "{size}");
    let (members, seen) = walked(&path, &Limits::default());
    assert_eq!(members, 40);
    for name in ["top-hash", "zip-ahead"] {
        assert!(!seen.iter().any(|s| s == name), "{name} in {seen:?}");
    }
    let every = Limits {
        parallel_from: 0,
        ..Limits::default()
    };
    let (members, seen) = walked(&path, &every);
    assert_eq!(members, 40);
    // `top-hash` may be done with so small a file before the first member is visited.
    assert!(seen.iter().any(|s| s == "zip-ahead"), "{seen:?}");
}
