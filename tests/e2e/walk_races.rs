//! The races between the walk and the hashing, on the real binary. `add` writes its notes
//! about skipped paths to stderr after the walk and before any hashing; with thousands of
//! notes and stderr a pipe nobody reads yet, `prov` is held between the two steps. The test
//! reads the first note (the walk is over), changes the file system, then lets it go.

use prov_tests::{Run, Workspace};
use std::io::{BufRead, BufReader, Read};
use std::os::unix::fs::MetadataExt;
use std::process::Stdio;

/// More notes than any pipe buffers (a Linux pipe holds 64 KiB by default, 1 MiB at most).
const LINKS: usize = 12_000;

/// A folder `dump` with `a-doc.txt` listed first, then many symlinks that are skipped.
fn dump_with_many_skipped_links(w: &Workspace) -> std::path::PathBuf {
    let doc = w.write("dump/a-doc.txt", "an innocent memo\n");
    let pad = "x".repeat(180);
    for i in 0..LINKS {
        std::os::unix::fs::symlink("a-doc.txt", w.path(&format!("dump/link-{i:05}-{pad}")))
            .unwrap();
    }
    doc
}

/// Runs `add dump` and calls `between` after the walk, before the hashing.
fn add_with_a_change_between_walk_and_hash(w: &Workspace, between: impl FnOnce()) -> Run {
    let mut child = w
        .cmd(&["add", "dump", "--source", "s"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut first = String::new();
    err.read_line(&mut first).unwrap();
    assert!(first.contains("skipped dump/link-"), "{first}");
    between();
    let mut rest = String::new();
    err.read_to_string(&mut rest).unwrap();
    let o = child.wait_with_output().unwrap();
    let stderr: String = rest
        .lines()
        .filter(|l| !l.contains("symlink not followed"))
        .collect();
    Run {
        stderr,
        ..Run::from(o)
    }
}

#[test]
fn a_file_swapped_for_a_symlink_after_the_walk_is_not_followed() {
    let w = Workspace::new();
    w.init();
    let secret = w.write("shadow", "root:$6$secret-hash:19000:0:99999:7:::\n");
    let doc = dump_with_many_skipped_links(&w);
    let before = w.ledger_state();
    let r = add_with_a_change_between_walk_and_hash(&w, || {
        std::fs::remove_file(&doc).unwrap();
        std::os::unix::fs::symlink(&secret, &doc).unwrap();
    });
    r.fails(3, "dump/a-doc.txt is a symlink now");
    assert_eq!(w.ledger_state(), before, "the secret's hash was recorded");
}

#[test]
fn a_file_changed_in_place_with_its_mtime_restored_is_refused() {
    let w = Workspace::new();
    w.init();
    let doc = dump_with_many_skipped_links(&w);
    let listed = std::fs::metadata(&doc).unwrap();
    let before = w.ledger_state();
    let r = add_with_a_change_between_walk_and_hash(&w, || {
        // Same size, other bytes, the modification time put back; repeated until the
        // change time moves past the kernel's coarse tick, as any later change does.
        loop {
            std::fs::write(&doc, "a doctored memo!\n").unwrap();
            let f = std::fs::OpenOptions::new().write(true).open(&doc).unwrap();
            f.set_modified(listed.modified().unwrap()).unwrap();
            drop(f);
            let now = std::fs::metadata(&doc).unwrap();
            assert_eq!(now.len(), listed.len());
            if (now.ctime(), now.ctime_nsec()) != (listed.ctime(), listed.ctime_nsec()) {
                break;
            }
            std::thread::yield_now();
        }
    });
    r.fails(3, "dump/a-doc.txt changed while it was being hashed");
    assert_eq!(w.ledger_state(), before);
}
