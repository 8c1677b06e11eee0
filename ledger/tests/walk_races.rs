//! The races between listing a file and hashing it, reproduced step by step on the library
//! functions `prov add` uses: list a file as the walk does, change the file system, then hash.
//! The binary cannot stop between the two steps, so the races are reproduced here.

use prov_ledger::{Error, FileId, WalkedFile, hash_walked, open_document};
use sha2::{Digest, Sha256};
use std::path::Path;

/// Lists a file the way the walk does: opened without following links (unless `follow`),
/// its identity taken from the open file.
fn list(path: &Path, follow: bool) -> WalkedFile {
    let file = open_document(path, follow).unwrap();
    WalkedFile {
        path: path.to_owned(),
        id: FileId::of(&file.metadata().unwrap()),
        follow,
        name: b"doc".to_vec(),
    }
}

#[test]
fn a_file_swapped_for_a_symlink_after_the_walk_is_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("shadow");
    std::fs::write(&secret, "root:$6$secret-hash:19000:0:99999:7:::\n").unwrap();
    let doc = dir.path().join("docs").join("memo.txt");
    std::fs::create_dir(doc.parent().unwrap()).unwrap();
    std::fs::write(&doc, "an innocent memo\n").unwrap();
    let listed = list(&doc, false);

    std::fs::remove_file(&doc).unwrap();
    std::os::unix::fs::symlink(&secret, &doc).unwrap();

    match hash_walked(&listed, &|_| {}) {
        Err(Error::Invalid { reason, .. }) => {
            assert!(reason.contains("is a symlink now"), "{reason}")
        }
        other => panic!("the swapped-in symlink was hashed: {other:?}"),
    }
}

#[test]
fn a_symlink_retargeted_after_the_walk_is_refused_even_when_links_are_followed() {
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("shadow");
    std::fs::write(&secret, "secret\n").unwrap();
    let real = dir.path().join("real.txt");
    std::fs::write(&real, "the real document\n").unwrap();
    let link = dir.path().join("link.txt");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let listed = list(&link, true);

    std::fs::remove_file(&link).unwrap();
    std::os::unix::fs::symlink(&secret, &link).unwrap();

    match hash_walked(&listed, &|_| {}) {
        Err(Error::Invalid { reason, .. }) => assert!(reason.contains("replaced"), "{reason}"),
        other => panic!("another file was hashed: {other:?}"),
    }
}

#[test]
fn a_file_changed_in_place_with_its_mtime_restored_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let doc = dir.path().join("contract.txt");
    std::fs::write(&doc, "Total value: EUR 2,400,000\n").unwrap();
    let mtime = std::fs::metadata(&doc).unwrap().modified().unwrap();
    let listed = list(&doc, false);

    // Same size, different bytes, and the modification time put back as it was. The change
    // time has the kernel's coarse clock tick: repeat until the change falls in a later tick
    // than the listing, as any change made after the walk does.
    loop {
        std::fs::write(&doc, "Total value: EUR 0,240,000\n").unwrap();
        let f = std::fs::OpenOptions::new().write(true).open(&doc).unwrap();
        f.set_modified(mtime).unwrap();
        drop(f);
        let m = std::fs::metadata(&doc).unwrap();
        if FileId::of(&m).ctime != listed.id.ctime {
            break;
        }
        std::thread::yield_now();
    }
    assert_eq!(std::fs::metadata(&doc).unwrap().modified().unwrap(), mtime);
    assert_eq!(std::fs::metadata(&doc).unwrap().len(), listed.id.size);

    match hash_walked(&listed, &|_| {}) {
        Err(Error::FileChanged(p)) => assert_eq!(p, doc),
        other => panic!("a changed file was hashed as the listed one: {other:?}"),
    }
}

#[test]
fn an_unchanged_file_hashes_to_its_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let doc = dir.path().join("a.txt");
    std::fs::write(&doc, "hello\n").unwrap();
    let d = hash_walked(&list(&doc, false), &|_| {}).unwrap();
    assert_eq!(d.sha256, <[u8; 32]>::from(Sha256::digest(b"hello\n")));
    assert_eq!(d.size, 6);
}

#[test]
fn a_fifo_is_refused_without_waiting_for_a_writer() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    match prov_ledger::hash_file(&fifo, &|_| {}) {
        Err(Error::Invalid { reason, .. }) => assert!(reason.contains("not a regular file")),
        other => panic!("{other:?}"),
    }
}
