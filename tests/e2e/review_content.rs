//! Review of the content index as sorted runs in `content/` (FORMAT.md 7.3, 8 item 10), the
//! change since b482b66: regression tests for the problems found. Each test states what
//! should happen; each one fails on the code under review (ccec453). Run them with:
//!
//! ```sh
//! cargo build -p prov && cargo test -p prov-tests --test e2e review_content
//! ```

use prov_tests::{Run, Workspace};
use std::path::Path;
use std::process::Command;

/// Copies the folder `from` to `to` (files and folders only), replacing what is there.
fn copy_tree(from: &Path, to: &Path) {
    let _ = std::fs::remove_dir_all(to);
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}

/// `prov add --manifest` of `n` documents by hash alone, one commit.
fn add_many(w: &Workspace, n: u64) {
    let mut text = String::new();
    for i in 0..n {
        text.push_str(&format!("{:064x} 10 doc{i}\n", i + 1));
    }
    w.write("many.manifest", text);
    w.run(&["-q", "add", "--manifest", "many.manifest", "--source", "s"])
        .ok();
}

/// Runs `prov ARGS` with at most `files` open files (`ulimit -n`; Linux's usual soft limit
/// is 1024).
fn run_with_open_files(w: &Workspace, files: u32, args: &[&str]) -> Run {
    let mut sh = Command::new("sh");
    sh.args(["-c", &format!("ulimit -n {files}; exec \"$0\" \"$@\"")]);
    w.run_wrapped(&mut sh, args)
}

/// Finding 1 (medium). `COMMIT` and the log restored from an older copy while `content/`
/// still holds the runs of the later state: `check` refuses ("it covers 5 entries, the log
/// only 3 committed") and `add` refuses ("the index covers more than the log's 3 complete
/// entries"), but the audit passed, printing "index agrees (both ways)", exit 0:
/// `index_check::compare` caps the chain at the audited size and accepts every record past it.
/// RELIABILITY.md section 3 says the audit finds "another ledger's index, or one ahead of the
/// log". The audit should fail, naming `content/`, when the index reaches past the `COMMIT`
/// it reads after listing the runs (as `Ledger::open` does, so that a writer adding runs
/// during the audit is still no fault).
#[test]
fn audit_finds_an_index_reaching_past_commit() {
    let w = Workspace::new();
    w.init();
    for (name, text) in [("a", "A"), ("b", "B"), ("c", "C"), ("d", "D"), ("e", "E")] {
        w.write(&format!("docs/{name}.txt"), text);
    }
    w.run(&[
        "add",
        "docs/a.txt",
        "docs/b.txt",
        "docs/c.txt",
        "--source",
        "s",
    ])
    .ok();
    // The backup: the log, COMMIT and the derived tiles and offsets of 3 entries.
    let backup = w.path("backup");
    copy_tree(&w.ledger(), &backup);
    w.run(&["add", "docs/d.txt", "docs/e.txt", "--source", "s"])
        .ok();
    for f in ["entries.log", "COMMIT", "offsets"] {
        std::fs::copy(backup.join(f), w.ledger().join(f)).unwrap();
    }
    copy_tree(&backup.join("tile"), &w.ledger().join("tile"));
    // The runs of 5 entries stay: what the readers and the writer see.
    w.run(&["check", "docs/a.txt"]).fails(4, "prov reindex");
    let r = w.run(&["add", "docs/a.txt", "--source", "t"]);
    assert_eq!(r.code, 4, "{}", r.stderr);
    // The audit must see it too.
    let r = w.run(&["audit"]);
    assert_eq!(
        r.code, 1,
        "the audit passed an index reaching past COMMIT: {}{}",
        r.stdout, r.stderr
    );
    assert!(r.stderr.contains("content"), "{}", r.stderr);
}

/// Finding 2 (low). A chain of 1,500 one-entry runs planted in `content/` (an attacker with
/// write access; 60 KB): `Index::open` keeps every run of the chain open, so under the usual
/// limit of 1024 open files `check` fails with "cannot open .../content/1017-1018: Too many
/// open files", which says nothing of `prov reindex`, and `add` fails the same way instead of
/// rebuilding the index as it does for every other damaged run (`writer.rs` returns any
/// `Error::Io` from `Index::open`). Only `prov reindex` repairs. What should happen: a chain
/// longer than any writer makes (more than log2(n) + 1 runs, FORMAT.md 7.3) is an index error
/// saying to run `prov reindex` (exit 4), and `add` rebuilds it.
#[test]
fn a_flood_of_planted_runs_is_an_index_error_that_add_repairs() {
    let w = Workspace::new();
    w.init();
    add_many(&w, 1500);
    let content = w.ledger().join("content");
    std::fs::remove_dir_all(&content).unwrap();
    std::fs::create_dir(&content).unwrap();
    for i in 0..1500u64 {
        std::fs::write(content.join(format!("{i}-{}", i + 1)), [0u8; 40]).unwrap();
    }
    let sha = format!("{:064x}", 1);
    let r = run_with_open_files(&w, 1024, &["check", "--sha256", &sha]);
    r.fails(4, "prov reindex");
    w.write("new.txt", "a new document");
    let r = run_with_open_files(&w, 1024, &["add", "new.txt", "--source", "t"]);
    assert_eq!(r.code, 0, "add did not repair the index: {}", r.stderr);
    run_with_open_files(&w, 1024, &["check", "--sha256", &sha]).ok();
    w.run(&["audit"]).ok();
}

/// Finding 3 (low). A FIFO, folder or link in place of a run: `check` says, in one line, both
/// "run `prov audit` to locate the fault and restore from a backup" and "run `prov reindex` to
/// rebuild it from the log" ("the ledger's index disagrees with its signed log (ledger
/// damaged: it is a FIFO, where the ledger keeps a regular file (refused, not followed) (in
/// .../content/0-3): run `prov audit` ... restore from a backup): run `prov reindex` ..."):
/// `Run::open` wraps the whole text of the `Damaged` error. A derived file is never a reason
/// to restore from a backup: the line should say only to run `prov reindex`.
#[test]
fn a_planted_run_says_only_to_reindex() {
    let w = Workspace::new();
    w.init();
    for (name, text) in [("a", "A"), ("b", "B"), ("c", "C")] {
        w.write(&format!("docs/{name}.txt"), text);
    }
    w.run(&["add", "docs", "--source", "s"]).ok();
    let run = w.ledger().join("content").join("0-3");
    assert!(run.exists());
    for plant in ["fifo", "folder"] {
        let _ = std::fs::remove_file(&run);
        let _ = std::fs::remove_dir(&run);
        match plant {
            "fifo" => assert!(Command::new("mkfifo").arg(&run).status().unwrap().success()),
            _ => std::fs::create_dir(&run).unwrap(),
        }
        for args in [&["check", "docs/a.txt"][..], &["audit"]] {
            let r = w.run(args);
            assert!(
                r.stderr.contains("prov reindex"),
                "{plant} {args:?}: {}",
                r.stderr
            );
            assert!(
                !r.stderr.contains("backup"),
                "{plant} {args:?}: a derived file is no reason to restore a backup: {}",
                r.stderr
            );
        }
    }
}

/// Finding 4 (low). A regular file in place of `content/`: readers say "content: it is not a
/// regular file, not a folder (refused, not followed)": `fsys::kind_of` answers "not a
/// regular file" for a regular file. It should say it is a regular file.
#[test]
fn a_file_in_place_of_the_content_folder_is_called_a_file() {
    let w = Workspace::new();
    w.init();
    w.write("a.txt", "A");
    w.run(&["add", "a.txt", "--source", "s"]).ok();
    let content = w.ledger().join("content");
    std::fs::remove_dir_all(&content).unwrap();
    std::fs::write(&content, "x").unwrap();
    let r = w.run(&["check", "a.txt"]);
    r.fails(4, "prov reindex");
    assert!(
        !r.stderr.contains("not a regular file"),
        "a regular file called not one: {}",
        r.stderr
    );
}

/// Finding 5 (low-medium, a regression of 5d9aaef). `Skip::ledger` no longer lists the files
/// of the ledger's subfolders, and nothing else skips them: `prov add -L` of a folder holding
/// a link to the ledger's `content/` (or `tile/`) lists the runs and tiles as documents. At
/// b482b66 each was skipped ("the ledger's own folder"). Here the add fails part way: its own
/// first batch merges the runs it listed, and the next batch cannot open them ("cannot open
/// e/zz-idx/0-5: No such file or directory ... (30 documents before it are recorded)"). The
/// doc comment of `Skip` says the subfolders' files "are passed over by path", which the walk
/// of a folder does not do. What should happen: the ledger's derived files are skipped as the
/// ledger's own, and the add records the 30 documents and exits 0.
#[test]
fn links_into_the_ledgers_subfolders_are_not_documents() {
    let w = Workspace::new();
    w.init();
    for i in 0..5 {
        w.write(&format!("d/a{i}"), format!("first {i}"));
    }
    w.run(&["-q", "add", "d", "--source", "s0", "--batch", "1"])
        .ok();
    for i in 0..30 {
        w.write(&format!("e/b{i:02}"), format!("second {i}"));
    }
    std::os::unix::fs::symlink(w.ledger().join("content"), w.path("e/zz-idx")).unwrap();
    std::os::unix::fs::symlink(w.ledger().join("tile"), w.path("e/zz-tile")).unwrap();
    let r = w.run(&["add", "-L", "e", "--source", "s1", "--batch", "1", "--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let recorded = r.documents();
    assert_eq!(recorded.len(), 30, "{}", r.stdout);
    assert!(
        !recorded.iter().any(|v| v.to_string().contains("zz-")),
        "the ledger's derived files were recorded as documents: {}",
        r.stdout
    );
}

/// Finding 6 (low; docs). Two records of the one run given each other's seq (hashes intact,
/// order still valid): readers refuse every lookup of those contents ("it lists entry 1 for
/// content that entry does not record"), as they should; but the next `add` of other
/// documents keeps the index, because the writer's check at open (`Index::holds_exactly`)
/// compares only the hashes, and the readers go on refusing after it. RELIABILITY.md section 3
/// says of "a content-index record forged": the writer "rebuilds the index at open (its records
/// must name exactly the log's contents)". Either the writer checks which entry each record
/// names (the seqs, as the audit does), or the docs say that only a record naming other content
/// is rebuilt at open. This test asks for the former: after an `add`, `check` answers.
#[test]
fn a_record_naming_the_wrong_entry_is_rebuilt_by_the_next_add() {
    let w = Workspace::new();
    w.init();
    for (name, text) in [("a", "A"), ("b", "B"), ("c", "C")] {
        w.write(&format!("docs/{name}.txt"), text);
    }
    w.run(&["add", "docs", "--source", "s"]).ok();
    let run = w.ledger().join("content").join("0-3");
    let mut bytes = std::fs::read(&run).unwrap();
    // Swap the seqs of the first two records (bytes 32..40 and 72..80).
    let (s0, s1) = (bytes[32..40].to_vec(), bytes[72..80].to_vec());
    bytes[32..40].copy_from_slice(&s1);
    bytes[72..80].copy_from_slice(&s0);
    std::fs::write(&run, bytes).unwrap();
    let r = w.run(&["check", "docs"]);
    assert_eq!(r.code, 4, "{}", r.stderr);
    w.run(&["audit"]).fails(1, "content");
    w.write("other.txt", "another document");
    w.run(&["add", "other.txt", "--source", "t"]).ok();
    let r = w.run(&["check", "docs"]);
    assert_eq!(
        r.code, 0,
        "the index the writer kept still refuses lookups: {}",
        r.stderr
    );
}

/// Finding 7 (low-medium; performance). Until its next `add`, a ledger of an older prov (sled
/// `index/`, no `content/`), or a read-only copy of one, has no content index, and every
/// lookup reads the whole committed log: `check` of a folder of M documents reads the log M
/// times (measured: 300 documents on a 2.6 MB log read 797 MB; with the index, 10 MB). On an
/// archive's ledger of millions of entries, a `check` of a folder before the migration takes
/// hours. README says only that "lookups by content read the log". What should happen: one
/// pass over the log answers all the documents of one `check` (or the docs say the cost).
/// Measured with `strace` (bytes returned by read and pread64), not the clock.
#[test]
fn a_check_without_content_index_reads_the_log_once() {
    if Command::new("strace").arg("-V").output().is_err() {
        prov_tests::skip("strace is not installed");
        return;
    }
    let w = Workspace::new();
    w.init();
    add_many(&w, 2000);
    // As a ledger of b482b66 is before its next add: no content/.
    std::fs::remove_dir_all(w.ledger().join("content")).unwrap();
    for i in 0..50 {
        w.write(&format!("q/{i}.txt"), format!("not recorded {i}"));
    }
    let trace = w.path("trace.txt");
    let mut strace = Command::new("strace");
    strace
        .args(["-f", "-e", "trace=read,pread64", "-o"])
        .arg(&trace);
    let r = w.run_wrapped(&mut strace, &["check", "q"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let read: u64 = std::fs::read_to_string(&trace)
        .unwrap()
        .lines()
        .filter_map(|l| {
            l.rsplit_once("= ")?
                .1
                .split_whitespace()
                .next()?
                .parse::<u64>()
                .ok()
        })
        .sum();
    let log = std::fs::metadata(w.ledger().join("entries.log"))
        .unwrap()
        .len();
    assert!(
        read < 5 * log,
        "check of 50 documents read {read} bytes, {}x the {log}-byte log",
        read / log
    );
}
