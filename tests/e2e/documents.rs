//! What counts as a document: never a FIFO (refused without waiting for a writer), never
//! the ledger's own files; and --name only where there is no file name to record.

use prov_tests::{Run, Workspace};
use std::os::unix::fs::OpenOptionsExt;
use std::process::Stdio;

fn mkfifo(w: &Workspace, name: &str) -> std::path::PathBuf {
    let p = w.path(name);
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&p)
            .status()
            .unwrap()
            .success()
    );
    p
}

/// Runs prov on a FIFO and tells whether it ever waited for the FIFO's writer (the
/// kernel's wait channel of its main thread names the FIFO open). A prov that waits is then
/// let go, by a writer that opens the FIFO and closes it at once, so that the test fails on
/// its answer instead of hanging.
fn run_on_fifo(w: &Workspace, fifo: &std::path::Path, args: &[&str]) -> (Run, bool) {
    let mut child = w
        .cmd(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let wchan = format!("/proc/{}/wchan", child.id());
    let mut waited = false;
    while child.try_wait().unwrap().is_none() {
        let chan = std::fs::read_to_string(&wchan).unwrap_or_default();
        let waiting = matches!(chan.as_str(), "wait_for_partner" | "fifo_open");
        waited |= waiting;
        // "0" is a running process: only a waiting one is let go (or one whose wait channel
        // this system does not show at all).
        if waiting || chan.is_empty() {
            let _ = std::fs::OpenOptions::new()
                .write(true)
                .custom_flags(libc::O_NONBLOCK)
                .open(fifo);
        }
        std::thread::yield_now();
    }
    let o = child.wait_with_output().unwrap();
    let run = Run::from(o);
    (run, waited)
}

#[test]
fn a_fifo_as_a_document_is_refused_without_waiting() {
    let w = Workspace::new();
    let vkey = w.init();
    w.write("a.txt", "alpha");
    w.run(&["add", "a.txt", "--source", "s"]).ok();
    w.run(&["prove", "0", "-o", "a.tlog-proof"]).ok();
    let fifo = mkfifo(&w, "doc.fifo");
    let (r, waited) = run_on_fifo(&w, &fifo, &["prove", "doc.fifo"]);
    assert!(!waited, "prove waited for a writer on the FIFO");
    r.fails(3, "doc.fifo is not a regular file");
    let verify = [
        "verify-proof",
        "a.tlog-proof",
        "--key",
        &vkey,
        "--document",
        "doc.fifo",
    ];
    let (r, waited) = run_on_fifo(&w, &fifo, &verify);
    assert!(!waited, "verify-proof waited for a writer on the FIFO");
    r.fails(3, "doc.fifo is not a regular file");
}

#[test]
fn name_with_files_is_a_usage_error() {
    let w = Workspace::new();
    w.init();
    w.write("a.txt", "alpha");
    let before = w.ledger_state();
    w.run(&["add", "a.txt", "--source", "s", "--name", "other.pdf"])
        .fails(2, "--name names a document read from stdin");
    assert_eq!(w.ledger_state(), before);
    // Where it belongs, it is recorded.
    w.run_stdin(
        &["add", "-", "--source", "s", "--name", "memo.pdf"],
        b"memo",
    )
    .ok();
    assert_eq!(w.run(&["show", "0", "--json"]).json()["name"], "memo.pdf");
}

#[test]
fn adding_the_folder_that_holds_the_ledger_skips_the_ledger() {
    let w = Workspace::new();
    w.init();
    w.write("notes/a.txt", "alpha");
    // The ledger is ./ledger, inside the folder being added.
    let r = w.run(&["add", ".", "--source", "s"]);
    r.ok();
    assert!(
        r.stderr
            .contains("skipped ./ledger: the ledger's own folder"),
        "{}",
        r.stderr
    );
    let names: Vec<String> = w
        .run(&["log", "--json"])
        .jsonl()
        .iter()
        .map(|e| e["name"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(
        names,
        ["notes/a.txt"],
        "the ledger's own files were recorded"
    );

    // Reached through a symlink with -L, it is skipped all the same.
    std::os::unix::fs::symlink(w.ledger(), w.path("notes/ledger-link")).unwrap();
    let r = w.run(&["add", "notes", "-L", "--source", "t"]);
    r.ok();
    assert!(r.stderr.contains("the ledger's own folder"), "{}", r.stderr);
    assert_eq!(w.run(&["log"]).ok().lines().count(), 2);
}
