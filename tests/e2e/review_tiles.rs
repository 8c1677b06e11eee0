//! Review of the move of the Merkle tree into C2SP tlog-tiles files (`tile/`, `offsets`) and
//! of `prov publish`: regression tests for the problems found. Each test states what should
//! happen; each one failed on the code under review (353c16c). The fixed findings run in the
//! normal suite; the one still `#[ignore]`d is open (7: a copy of a pre-tiles ledger without
//! `key.pem` cannot build its tiles). Run it with:
//!
//! ```sh
//! cargo build -p prov && cargo test -p prov-tests --test e2e review_tiles -- --ignored
//! ```
//!
//! Un-ignore a test in the same change that fixes its finding.

use prov_tests::Workspace;
use std::os::unix::fs::FileTypeExt;
use std::path::Path;
use std::process::Stdio;

/// A manifest of `n` documents by hash alone (`<sha256> <size> <name>` a line), from `from`.
fn manifest(w: &Workspace, name: &str, from: u64, n: u64) -> String {
    let mut text = String::new();
    for i in from..from + n {
        text.push_str(&format!("{:064x} 10 doc{i}\n", i + 1));
    }
    w.write(name, text);
    name.to_owned()
}

/// `prov add --manifest` of `n` documents from `from`, in batches of `batch`.
fn add_many(w: &Workspace, from: u64, n: u64, batch: u64) {
    let m = manifest(w, &format!("m{from}-{n}"), from, n);
    w.run(&[
        "-q",
        "add",
        "--manifest",
        &m,
        "--source",
        "s",
        "--batch",
        &batch.to_string(),
    ])
    .ok();
}

/// Plants a FIFO at `path` and holds its read end open (opened without waiting for a
/// writer), so that a `prov` that wrongly opened it for writing would write into the pipe
/// and go on, leaving a FIFO where a file belongs, instead of hanging the test: the test
/// then fails by what it finds, with no clock involved.
fn planted_fifo(path: &Path) -> std::fs::File {
    use std::os::unix::fs::OpenOptionsExt;
    mkfifo(path);
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .unwrap()
}

fn mkfifo(path: &Path) {
    let st = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap();
    assert!(st.success());
}

/// Every path below `dir` (names only).
fn listing(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            out.push(e.path().display().to_string());
            if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
            }
        }
    }
    out.sort();
    out
}

/// Finding 1. FORMAT.md 7: every file of the ledger folder is opened without following links
/// "and nothing is written through it"; RELIABILITY.md 5: "Nothing inside the folder is
/// followed as a symbolic link". With `tile/0` replaced by a link to a folder outside the
/// ledger, `prov add` writes its tiles into that folder and, when a tile becomes full,
/// deletes `<outside>/000.p` recursively (`remove_partials`).
#[test]
fn review_the_writer_never_writes_or_deletes_through_a_tile_folder_link() {
    let w = Workspace::new();
    w.init();
    add_many(&w, 0, 250, 250);
    let outside = w.path("outside");
    std::fs::rename(w.ledger().join("tile/0"), &outside).unwrap();
    std::os::unix::fs::symlink(&outside, w.ledger().join("tile/0")).unwrap();
    w.write("outside/000.p/victim/keep.txt", "not the ledger's");
    let before = listing(&outside);
    // Completes level-0 tile 000: its full tile is written, its .p/ folder deleted.
    let m = manifest(&w, "more", 250, 50);
    // The link is replaced by a real folder (the tiles are derived), and the add records.
    w.run(&["-q", "add", "--manifest", &m, "--source", "s"])
        .ok();
    assert!(
        w.ledger()
            .join("tile/0")
            .symlink_metadata()
            .unwrap()
            .is_dir()
    );
    assert!(
        w.path("outside/000.p/victim/keep.txt").exists(),
        "prov add deleted a file outside the ledger, through the link tile/0"
    );
    assert_eq!(
        listing(&outside),
        before,
        "prov add wrote into a folder outside the ledger, through the link tile/0"
    );
}

/// Finding 1 (publish side). A link planted in the published folder (`DIR/tile`) makes
/// `publish` write the tree outside DIR.
#[test]
fn review_publish_never_writes_through_a_link_in_the_published_folder() {
    let w = Workspace::new();
    w.init();
    add_many(&w, 0, 20, 20);
    std::fs::create_dir_all(w.path("pub")).unwrap();
    std::fs::create_dir_all(w.path("outside")).unwrap();
    std::os::unix::fs::symlink(w.path("outside"), w.path("pub/tile")).unwrap();
    // Refused: the published folder is the user's, never rearranged (an output error, 5).
    w.run(&["publish", "pub"]).fails(5, "refused, not followed");
    assert!(
        listing(&w.path("outside")).is_empty(),
        "publish wrote through pub/tile -> outside: {:?}",
        listing(&w.path("outside"))
    );
}

/// Finding 2. A FIFO at the temporary name of the next tile (`tile/0/000.p/.6.tmp`) makes
/// `prov add` block forever in open(2) while it holds the ledger's lock (and every `check`
/// then waits for it). FORMAT.md 7: a FIFO "is refused before anything is read from it".
#[test]
fn review_a_fifo_at_a_tile_temporary_name_does_not_hang_add() {
    let w = Workspace::new();
    w.init();
    add_many(&w, 0, 5, 5);
    let fifo = w.ledger().join("tile/0/000.p/.6.tmp");
    let _reader = planted_fifo(&fifo);
    let m = manifest(&w, "one", 5, 1);
    w.run(&["-q", "add", "--manifest", &m, "--source", "s"])
        .ok();
    // The temporary was removed, never opened: the tile written is a file.
    assert!(!fifo.exists(), "the planted FIFO is still there");
    assert!(w.ledger().join("tile/0/000.p/6").is_file());
    w.run(&["audit"]).ok();
}

/// Finding 2 (publish side): a FIFO at `DIR/.checkpoint.tmp` hangs `prov publish`.
#[test]
fn review_a_fifo_in_the_published_folder_does_not_hang_publish() {
    let w = Workspace::new();
    w.init();
    add_many(&w, 0, 5, 5);
    std::fs::create_dir_all(w.path("pub")).unwrap();
    let fifo = w.path("pub/.checkpoint.tmp");
    let _reader = planted_fifo(&fifo);
    // Its temporaries have names of their own (per process): the FIFO is left alone.
    w.run(&["publish", "pub"]).ok();
    assert!(w.path("pub/checkpoint").is_file());
    assert!(fifo.symlink_metadata().unwrap().file_type().is_fifo());
}

/// Finding 3. `prov consistency OLD` compares the old checkpoint's root with a root computed
/// from the tiles *before* verifying anything (`Ledger::root_at`, "checked only through the
/// proofs built on them"). One flipped byte in a tile makes it declare the ledger's history
/// "rewritten or forked" (exit 1, a negative answer) instead of naming the damaged derived
/// file (exit 4, run `prov reindex`). RELIABILITY.md 3: no answer rests on an unchecked file.
#[test]
fn review_consistency_blames_a_damaged_tile_not_the_history() {
    let w = Workspace::new();
    w.init();
    add_many(&w, 0, 3, 3);
    let old = w.run(&["checkpoint"]).ok().to_owned();
    w.write("old.cp", old);
    add_many(&w, 3, 2, 2);
    w.run(&["consistency", "old.cp"]).ok();
    let tile = w.ledger().join("tile/0/000.p/3");
    let mut bytes = std::fs::read(&tile).unwrap();
    bytes[5] ^= 0xff;
    std::fs::write(&tile, bytes).unwrap();
    let r = w.run(&["consistency", "old.cp"]);
    assert!(
        !r.stderr.contains("rewritten or forked"),
        "a damaged derived tile was reported as a forked history: {}",
        r.stderr
    );
    // That tile is the old size's; the proof to the latest checkpoint is built from the
    // latest size's tiles, so the answer is the true one. A damaged tile the proof needs is
    // named instead ("run `prov reindex`").
    assert_eq!(r.code, 0, "{}", r.stderr);
    let tile = w.ledger().join("tile/0/000.p/5");
    let mut bytes = std::fs::read(&tile).unwrap();
    bytes[5] ^= 0xff;
    std::fs::write(&tile, bytes).unwrap();
    let r = w.run(&["consistency", "old.cp"]);
    assert!(!r.stderr.contains("rewritten or forked"), "{}", r.stderr);
    r.fails(4, "prov reindex");
}

/// Finding 4. `prov reindex` deletes `tile/` first and rebuilds it afterwards; the lock-free
/// readers that FORMAT.md 7 says "run while a writer appends" (`prove SEQ`, `consistency`,
/// `audit`, an incremental `publish`) fail meanwhile with "it is missing ... run `prov
/// reindex`", and `audit` reports "audit failed" (exit 1).
#[test]
fn review_readers_keep_answering_while_reindex_runs() {
    let w = Workspace::new();
    let vkey = w.init();
    add_many(&w, 0, 60_000, 20_000);
    w.run(&["prove", "59990", "-o", "warm.proof"]).ok();
    let mut reindex = w
        .cmd(&["-q", "reindex"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut failures = Vec::new();
    let mut rounds = 0;
    while reindex.try_wait().unwrap().is_none() {
        rounds += 1;
        for args in [
            vec!["prove", "59990", "-o", "p.proof"],
            vec!["audit", "--key", vkey.as_str()],
        ] {
            let r = w.run(&args);
            if r.code != 0 {
                failures.push(format!("{}: {}", args[0], r.stderr.trim()));
            }
        }
    }
    assert!(reindex.wait().unwrap().success());
    assert!(
        failures.is_empty(),
        "{} of {rounds} reader rounds failed while reindex ran, e.g. {:?}",
        failures.len(),
        failures.first()
    );
}

/// Finding 5. `publish` takes the checkpoint found in DIR as proof that everything it covers
/// was published: a folder holding only a checkpoint of this ledger (copied there, or whose
/// `tile/` was lost) gets a new checkpoint while tiles and bundles it covers are missing, and no
/// later publish ever writes them. README: "the checkpoint last, so it never names tiles that
/// are not there".
#[test]
fn review_publish_never_publishes_a_checkpoint_whose_tiles_are_missing() {
    let w = Workspace::new();
    w.init();
    add_many(&w, 0, 300, 300);
    std::fs::create_dir_all(w.path("pub")).unwrap();
    let cp = w.run(&["checkpoint"]).ok().to_owned();
    w.write("pub/checkpoint", cp);
    add_many(&w, 300, 100, 100);
    let r = w.run(&["publish", "pub"]);
    if r.code == 0 {
        for f in [
            "tile/0/000",
            "tile/entries/000",
            "tile/0/001.p/144",
            "tile/1/000.p/1",
        ] {
            assert!(
                w.path("pub").join(f).exists(),
                "publish exited 0 and published a checkpoint of 400 entries, but pub/{f} is missing"
            );
        }
    }
}

/// Finding 6. `prov publish` accepts the ledger folder itself, or a folder that contains it
/// (`prov publish .` with the default ledger `./.prov`): serving that folder as the README
/// shows (`python3 -m http.server --directory DIR`) serves `key.pem`.
#[test]
fn review_publish_refuses_the_ledger_folder_and_its_parents() {
    let w = Workspace::new();
    w.init();
    add_many(&w, 0, 3, 3);
    let ledger = w.ledger().display().to_string();
    let r = w.run(&["publish", &ledger]);
    assert_ne!(r.code, 0, "publish into the ledger folder was accepted");
    assert!(!w.ledger().join("checkpoint").exists());
    let parent = w.tmp.path().display().to_string();
    let r = w.run(&["publish", &parent]);
    assert_ne!(
        r.code, 0,
        "publish into a folder holding the ledger (and its key.pem) was accepted"
    );
    assert!(!w.path("checkpoint").exists());
    // A folder not yet there inside the ledger is refused before any folder is made.
    let inner = w.ledger().join("a/b/c");
    w.run(&["publish", inner.to_str().unwrap()])
        .fails(3, "inside it");
    assert!(
        !w.ledger().join("a").exists(),
        "publish made folders in the ledger"
    );
}

/// Finding 7. A ledger written before tiles (here: one whose `tile/` and `offsets` are gone,
/// which is that shape) copied without its private key, as an auditor gets it: `prove SEQ` and
/// `consistency` (which worked on such a copy at a8d962f) say to run `prov reindex`, and
/// `prov reindex` needs `key.pem`. Tiles are derived from the log alone; nothing that rebuilds
/// them should need the key.
#[test]
#[ignore = "review finding 7: a keyless copy of a pre-tiles ledger cannot prove, and reindex needs the key"]
fn review_a_keyless_copy_of_a_ledger_without_tiles_can_still_prove() {
    let w = Workspace::new();
    w.init();
    add_many(&w, 0, 5, 5);
    std::fs::remove_dir_all(w.ledger().join("tile")).unwrap();
    std::fs::remove_file(w.ledger().join("offsets")).unwrap();
    std::fs::remove_file(w.ledger().join("key.pem")).unwrap();
    let r = w.run(&["prove", "1", "-o", "p.proof"]);
    if r.code != 0 {
        assert!(r.stderr.contains("prov reindex"), "{}", r.stderr);
        let fix = w.run(&["reindex"]);
        assert_eq!(
            fix.code, 0,
            "prove said to run `prov reindex`, which fails without key.pem: {}",
            fix.stderr
        );
        w.run(&["prove", "1", "-o", "p.proof"]).ok();
    }
}

/// Finding 8. A derived file replaced by something that is not a regular file: the advice must
/// be the one that fixes it (`prov reindex`), a command that does not need the file must not
/// fail, and the writer, which rebuilds derived files that disagree (FORMAT.md 7.4), must not
/// be stopped by them.
#[test]
fn review_a_derived_file_that_is_not_a_regular_file_is_named_with_the_fix() {
    let w = Workspace::new();
    w.init();
    add_many(&w, 0, 5, 5);
    // `offsets` as a FIFO: `prov key` does not need it at all.
    std::fs::remove_file(w.ledger().join("offsets")).unwrap();
    mkfifo(&w.ledger().join("offsets"));
    w.run(&["key"]).ok();
    let r = w.run(&["show", "0"]);
    assert!(
        !r.stderr.contains("restore from a backup"),
        "a derived file, rebuilt by `prov reindex`, sends the user to a backup: {}",
        r.stderr
    );
    w.run(&["reindex"]).ok();
    // A link in place of the partial tile of the committed size: `add` should rebuild it (or
    // at least say to run `prov reindex`), not stop at "Too many levels of symbolic links".
    let tile = w.ledger().join("tile/0/000.p/5");
    std::fs::remove_file(&tile).unwrap();
    std::os::unix::fs::symlink(w.path("elsewhere"), &tile).unwrap();
    let m = manifest(&w, "one", 5, 1);
    let r = w.run(&["-q", "add", "--manifest", &m, "--source", "s"]);
    assert!(
        r.code == 0 || r.stderr.contains("prov reindex"),
        "add stopped at a link in tile/ without a fix: {}",
        r.stderr
    );
}

/// Finding 9. Errors of `publish` about the published folder name the ledger instead.
#[test]
fn review_publish_errors_name_the_published_folder() {
    let w = Workspace::new();
    w.init();
    add_many(&w, 0, 3, 3);
    std::fs::create_dir_all(w.path("pub")).unwrap();
    w.write("real-cp", "x");
    std::os::unix::fs::symlink(w.path("real-cp"), w.path("pub/checkpoint")).unwrap();
    let r = w.run(&["publish", "pub"]);
    assert_eq!(r.code, 3, "the folder given is bad input: {}", r.stderr);
    assert!(
        !r.stderr.contains("ledger damaged") && !r.stderr.contains("restore from a backup"),
        "a link in the published folder is reported as damage to the ledger: {}",
        r.stderr
    );
    w.write("afile", "x");
    let r = w.run(&["publish", "afile"]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(
        !r.stderr.contains("File exists"),
        "publish into a file: {}",
        r.stderr
    );
}
