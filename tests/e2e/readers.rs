//! Readers during a writer, as real processes. A real `prov add DIR --batch 7` records a few
//! thousand files (one commit every 7) while reader threads run `checkpoint`, `prove SEQ`,
//! `consistency OLD`, `show SEQ`, `log --from X --limit N`, `audit` and `publish DIR` in a loop,
//! several at the same time. What a reader promises (FORMAT.md 7, "Locking"; README): it takes
//! no lock, never waits for the writer, never fails because one runs, and answers from the last
//! committed state: never from the bytes a writer has written past `COMMIT`.
//!
//! What this checks, for every read:
//! - it exits 0 and never waits: a reader that blocks on the ledger's lock (seen in
//!   `/proc/locks`) or prints the "waiting" note fails the test at once, and reads are counted
//!   as finished while the writer was alive (its `/proc` state, the child not reaped yet);
//! - the size it answers for lies between the committed sizes `COMMIT` names just before and
//!   just after it ran (a reader that reads past `COMMIT` answers for a bigger size), and never
//!   goes backwards across one reader's successive reads;
//! - every proof verifies (`verify-proof`, `verify-consistency`, with `--key` from `prov key`);
//! - every checkpoint it printed (alone, or in a proof or a publish) verifies with the key
//!   (Cloudflare's `signed_note`, no prov code), and is, byte for byte, the one the final
//!   ledger gives for that size (`checkpoint --size`), which the final audit verifies again;
//!   every entry it showed is the final ledger's entry with that seq; every log listing that
//!   reached the end ended at a size that has a checkpoint.
//!
//! And deterministically, `add` is stopped (`PROV_TEST_STOP_AT=CommitRename:N`, SIGSTOP) when
//! a whole batch is written and fsync'd past `COMMIT` (its records, tiles, offsets and
//! `COMMIT.tmp`), the one step before its commit point, still holding the ledger's lock. Then
//! every reader must answer for exactly the committed size (the batch written past `COMMIT`
//! is invisible), the background readers must keep finishing reads, and lookups by content
//! (`check`, `prove FILE`, which read the content index without the lock) must know exactly
//! the committed documents. Then `add` goes on, and the final ledger audits clean with every
//! file.

use prov_tests::{Run, Workspace};
use serde_json::Value;
use signed_note::{Note, StandardVerifier, VerifierList};
use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

/// Files the `add` records: enough that it runs for a good while at one commit per `BATCH`.
const FILES: u64 = 3000;
/// Documents per commit (`add --batch`).
const BATCH: u64 = 7;
/// `add` is stopped at the commit point of this batch (about a third of the way through).
const STOP_AT_BATCH: u64 = 140;
/// Reader threads, each running one `prov` at a time.
const READERS: usize = 3;
/// The reads a reader makes in turn (each thread starts at its own place in the turn, so that
/// different commands run at the same time).
const OPS: u64 = 8;

/// `/proc/PID/stat`'s state letter: `R`, `S`, `D` running, `T` stopped, `Z` exited but not
/// yet reaped (the test reaps the writer only after every read it counts).
fn proc_state(pid: u32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit_once(") ")?.1.chars().next()
}

/// Whether process `pid` is blocked waiting for a `flock` (a `->` line of `/proc/locks`).
fn waits_for_a_lock(pid: u32) -> bool {
    let pid = pid.to_string();
    std::fs::read_to_string("/proc/locks")
        .unwrap_or_default()
        .lines()
        .any(|l| {
            let t: Vec<&str> = l.split_whitespace().collect();
            t.get(1) == Some(&"->") && t.contains(&pid.as_str())
        })
}

/// Whether process `pid` holds a `flock` on the file with inode `ino` (the ledger folder).
fn holds_the_lock(pid: u32, ino: u64) -> bool {
    let (pid, ino) = (pid.to_string(), format!(":{ino}"));
    std::fs::read_to_string("/proc/locks")
        .unwrap_or_default()
        .lines()
        .any(|l| {
            let t: Vec<&str> = l.split_whitespace().collect();
            t.get(1) == Some(&"FLOCK")
                && t.contains(&pid.as_str())
                && t.iter().any(|f| f.ends_with(&ino))
        })
}

/// The committed state `COMMIT` names now: (log_length, size). `COMMIT` is replaced by a
/// rename, so this reads the old or the new one, never a mix.
fn commit(ledger: &Path) -> (u64, u64) {
    let text = std::fs::read_to_string(ledger.join("COMMIT")).unwrap();
    commit_of(&text)
}

fn commit_of(text: &str) -> (u64, u64) {
    let field = |name: &str| -> u64 {
        text.lines()
            .find_map(|l| l.strip_prefix(name))
            .unwrap_or_else(|| panic!("COMMIT without {name:?}: {text:?}"))
            .parse()
            .unwrap()
    };
    (field("log_length "), field("size "))
}

/// The size a checkpoint note names (its second line).
fn note_size(note: &str) -> u64 {
    note.lines()
        .nth(1)
        .and_then(|l| l.parse().ok())
        .unwrap_or_else(|| panic!("not a checkpoint: {note:?}"))
}

/// Verifies a checkpoint's signature with the ledger's key, with no prov code (Cloudflare's
/// `signed_note`), and returns the size it names.
fn verify_checkpoint(what: &str, note: &str, key: &str) -> u64 {
    let verifier = StandardVerifier::new(key).unwrap();
    let n = Note::from_bytes(note.as_bytes())
        .unwrap_or_else(|e| panic!("{what} printed no signed note ({e}): {note:?}"));
    n.verify(&VerifierList::new(vec![Box::new(verifier)]))
        .unwrap_or_else(|e| {
            panic!("{what} printed a checkpoint that does not verify ({e}): {note:?}")
        });
    let text = String::from_utf8_lossy(n.text());
    assert_eq!(text.lines().next(), key.split('+').next(), "{what}: origin");
    note_size(&text)
}

/// What the readers saw, to compare with the final ledger.
struct Seen {
    /// The ledger's verifier key, from `prov key`.
    key: String,
    /// size → the checkpoint note printed for it.
    checkpoints: BTreeMap<u64, String>,
    /// seq → the entry as a reader printed it (JSON).
    entries: BTreeMap<u64, Value>,
    /// Sizes at which a log listing ended (it reached the end of the committed log).
    log_ends: BTreeSet<u64>,
}

impl Seen {
    fn new(key: &str) -> Seen {
        Seen {
            key: key.to_owned(),
            checkpoints: BTreeMap::new(),
            entries: BTreeMap::new(),
            log_ends: BTreeSet::new(),
        }
    }

    /// A checkpoint a reader printed: it must verify, and be the only one for its size.
    fn checkpoint(&mut self, what: &str, note: &str) -> u64 {
        let size = note_size(note);
        let known = self.checkpoints.entry(size).or_insert_with(|| {
            assert_eq!(verify_checkpoint(what, note, &self.key), size);
            note.to_owned()
        });
        assert_eq!(
            known, note,
            "{what}: two different checkpoints were printed for size {size}"
        );
        size
    }

    fn entry(&mut self, what: &str, e: &Value) {
        let seq = e["seq"].as_u64().unwrap_or_else(|| panic!("{what}: {e}"));
        // `show` adds what the log says about the entry (claims, links to it), which grows
        // as entries are appended: the entry itself is the rest.
        let mut e = e.clone();
        if let Some(o) = e.as_object_mut() {
            o.remove("claims");
            o.remove("linked_from");
        }
        let e = &e;
        let known = self.entries.entry(seq).or_insert_with(|| e.clone());
        assert_eq!(
            known, e,
            "{what}: two different entries were printed for seq {seq}"
        );
    }
}

/// Counts of finished reads, by the writer's state when each one finished.
#[derive(Default)]
struct Counts {
    /// Every read.
    reads: AtomicUsize,
    /// Finished while the writer was running (not stopped, not exited).
    running: AtomicUsize,
    /// Finished while the writer was stopped holding the lock, a batch past `COMMIT`.
    stopped: AtomicUsize,
}

/// Shared by the readers: the ledger, its key, the writer to watch.
struct Env<'a> {
    w: &'a Workspace,
    key: &'a str,
    writer: u32,
    seen: &'a Mutex<Seen>,
    /// Readers running now, and the most that ever ran at once.
    in_flight: AtomicUsize,
    most_in_flight: AtomicUsize,
}

impl Env<'_> {
    /// Runs `prov ARGS` with its output in files under `scratch` (a listing can be bigger than
    /// a pipe holds), watching that it never waits for the ledger's lock; counts the read by
    /// the writer's state when it finished.
    fn spawn(&self, scratch: &Path, counts: &Counts, args: &[&str]) -> Run {
        let (out, err) = (scratch.join("stdout"), scratch.join("stderr"));
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.most_in_flight.fetch_max(now, Ordering::SeqCst);
        let mut child: Child = self
            .w
            .cmd(args)
            .stdout(File::create(&out).unwrap())
            .stderr(File::create(&err).unwrap())
            .spawn()
            .unwrap();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if waits_for_a_lock(child.id()) {
                let _ = child.kill();
                let _ = child.wait();
                panic!("`prov {}` waited for the writer's lock", args.join(" "));
            }
            std::thread::sleep(Duration::from_millis(1));
        };
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        match proc_state(self.writer) {
            Some('T') => counts.stopped.fetch_add(1, Ordering::SeqCst),
            Some('Z') | None => 0,
            Some(_) => counts.running.fetch_add(1, Ordering::SeqCst),
        };
        counts.reads.fetch_add(1, Ordering::SeqCst);
        let run = Run {
            code: status.code().unwrap_or(-1),
            stdout: std::fs::read_to_string(&out).unwrap(),
            stderr: std::fs::read_to_string(&err).unwrap(),
        };
        assert!(
            !run.stderr.contains("waiting for another prov process"),
            "`prov {}` waited for the writer: {}",
            args.join(" "),
            run.stderr
        );
        run
    }

    /// As `spawn`, and the read must succeed.
    fn read(&self, scratch: &Path, counts: &Counts, args: &[&str]) -> Run {
        let run = self.spawn(scratch, counts, args);
        assert_eq!(
            run.code,
            0,
            "`prov {}` failed while a writer ran: {}",
            args.join(" "),
            run.stderr
        );
        run
    }

    /// `prov verify-proof FILE --key KEY --json` (no ledger involved): the proof must verify,
    /// for this seq, at this checkpoint size.
    fn verify_proof(&self, proof: &Path, seq: u64, size: u64) {
        let r = self.w.run(&[
            "verify-proof",
            proof.to_str().unwrap(),
            "--key",
            self.key,
            "--json",
        ]);
        assert_eq!(
            r.code, 0,
            "the proof of entry {seq} at size {size} does not verify: {}",
            r.stderr
        );
        let v = r.json();
        assert_eq!(v["verified"], true, "{v}");
        assert_eq!(v["seq"], seq, "{v}");
        assert_eq!(v["checkpoint_size"], size, "{v}");
    }

    /// `prov verify-consistency OLD PROOF --key KEY --json`: the proof must verify, from the
    /// old checkpoint's size to `size`.
    fn verify_consistency(&self, old: &Path, proof: &Path, size: u64) -> Value {
        let r = self.w.run(&[
            "verify-consistency",
            old.to_str().unwrap(),
            proof.to_str().unwrap(),
            "--key",
            self.key,
            "--json",
        ]);
        assert_eq!(
            r.code, 0,
            "the consistency proof to size {size} does not verify: {}",
            r.stderr
        );
        let v = r.json();
        assert_eq!(v["consistent"], true, "{v}");
        assert_eq!(v["new_size"], size, "{v}");
        v
    }
}

/// One reader thread: its own scratch folder, publish folder, saved checkpoint and sizes.
struct Reader<'a> {
    env: &'a Env<'a>,
    id: usize,
    dir: PathBuf,
    counts: &'a Counts,
    /// The largest size this reader has seen answered.
    last: u64,
    /// A checkpoint this reader saved earlier (`consistency OLD`).
    old: PathBuf,
    rng: u64,
    /// Documents `check` found known, with their first-seen entry.
    known: BTreeMap<u64, u64>,
}

impl<'a> Reader<'a> {
    fn new(env: &'a Env<'a>, id: usize, counts: &'a Counts) -> Reader<'a> {
        let dir = env.w.path(&format!("reader-{id}"));
        std::fs::create_dir_all(&dir).unwrap();
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64;
        Reader {
            env,
            id,
            old: dir.join("old-checkpoint.txt"),
            known: BTreeMap::new(),
            dir,
            counts,
            last: 0,
            rng: (seed ^ (id as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15)) | 1,
        }
    }

    fn below(&mut self, n: u64) -> u64 {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        self.rng % n.max(1)
    }

    fn path(&self, name: &str) -> String {
        self.dir.join(name).to_str().unwrap().to_owned()
    }

    fn read(&self, args: &[&str]) -> Run {
        self.env.read(&self.dir, self.counts, args)
    }

    /// A reader answered for `size` (committed `before` and `after` it ran): a committed size
    /// of that moment, and not smaller than any this reader saw before.
    fn answered(&mut self, what: &str, size: u64, before: u64, after: u64) {
        assert!(
            before <= size && size <= after,
            "reader {}: {what} answered for size {size}, but COMMIT named {before} before it \
             ran and {after} after: not the committed state",
            self.id
        );
        assert!(
            size >= self.last,
            "reader {}: {what} answered for size {size} after size {}: went backwards",
            self.id,
            self.last
        );
        self.last = size;
    }

    /// Reads until the writer is done: each turn, the next command of the rotation.
    fn run(mut self, done: &AtomicBool) {
        self.checkpoint(true);
        let mut turn = self.id as u64;
        while !done.load(Ordering::SeqCst) {
            self.op(turn % OPS);
            turn += 1;
        }
    }

    fn op(&mut self, op: u64) {
        let ledger = self.env.w.ledger();
        let before = commit(&ledger).1;
        // Seqs are picked below the size of a checkpoint this reader has seen: committed.
        let size = self.last;
        match op {
            0 => {
                let save = self.below(3) == 0;
                self.checkpoint(save);
            }
            1 if size > 0 => {
                let seq = self.below(size);
                let file = self.path("proof.json");
                self.read(&["prove", &seq.to_string(), "--json", "-o", &file]);
                let proof: Value =
                    serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
                let note = proof["checkpoint"].as_str().unwrap();
                let at = self.env.seen.lock().unwrap().checkpoint("prove", note);
                self.answered("prove", at, before, commit(&ledger).1);
                self.env.verify_proof(Path::new(&file), seq, at);
                self.env
                    .seen
                    .lock()
                    .unwrap()
                    .entry("prove", &proof["decoded"]);
            }
            2 => {
                let file = self.path("consistency.json");
                let old = self.old.to_str().unwrap();
                self.read(&["consistency", old, "--json", "-o", &file]);
                let proof: Value =
                    serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
                let note = proof["checkpoint"].as_str().unwrap();
                let at = self
                    .env
                    .seen
                    .lock()
                    .unwrap()
                    .checkpoint("consistency", note);
                self.answered("consistency", at, before, commit(&ledger).1);
                self.env.verify_consistency(&self.old, Path::new(&file), at);
            }
            3 if size > 0 => {
                let seq = self.below(size);
                let e = self.read(&["show", &seq.to_string(), "--json"]).json();
                assert_eq!(e["seq"], seq, "{e}");
                self.env.seen.lock().unwrap().entry("show", &e);
            }
            4 if size > 0 => {
                // Near the end, so that the listing often reaches it.
                let from = size - 1 - self.below(size.min(3 * BATCH));
                let limit = 1 + self.below(5 * BATCH);
                let (f, l) = (from.to_string(), limit.to_string());
                let got = self
                    .read(&["log", "--from", &f, "--limit", &l, "--json"])
                    .jsonl();
                let after = commit(&ledger).1;
                let end = from + got.len() as u64;
                assert!(!got.is_empty() && got.len() as u64 <= limit);
                let mut seen = self.env.seen.lock().unwrap();
                for (i, e) in got.iter().enumerate() {
                    assert_eq!(e["seq"], from + i as u64, "log --from {from}: {e}");
                    seen.entry("log", e);
                }
                if (got.len() as u64) < limit {
                    seen.log_ends.insert(end);
                    drop(seen);
                    self.answered("log", end, before, after);
                } else {
                    assert!(end <= after, "log listed entries past COMMIT's {after}");
                }
            }
            5 => {
                let a = self
                    .read(&["audit", "--key", self.env.key, "--json"])
                    .json();
                assert_eq!(a["ok"], true, "{a}");
                assert!(a["fault"].is_null(), "{a}");
                let at = a["entries"].as_u64().unwrap();
                self.answered("audit", at, before, commit(&ledger).1);
            }
            6 => {
                let dir = self.path("published");
                let p = self.read(&["publish", &dir, "--json"]).json();
                let note = p["checkpoint"].as_str().unwrap();
                assert_eq!(p["size"], note_size(note), "{p}");
                assert_eq!(
                    std::fs::read_to_string(Path::new(&dir).join("checkpoint")).unwrap(),
                    note,
                    "the published checkpoint is the one publish printed"
                );
                let at = self.env.seen.lock().unwrap().checkpoint("publish", note);
                self.answered("publish", at, before, commit(&ledger).1);
            }
            7 => {
                // A lookup by content (the content index, read while the writer adds runs
                // and merges them): known only at a committed entry, and once known,
                // always at the same one.
                let i = self.below(FILES);
                let file = format!("docs/{:02}/{i:05}.txt", i % 20);
                let r = self
                    .env
                    .spawn(&self.dir, self.counts, &["check", &file, "--json"]);
                let after = commit(&ledger).1;
                let j = r.json();
                match j["first_seen"]["seq"].as_u64() {
                    Some(seq) => {
                        assert_eq!(r.code, 0, "{}", r.stderr);
                        assert!(seq < after, "check saw entry {seq} past COMMIT's {after}");
                        let was = *self.known.entry(i).or_insert(seq);
                        assert_eq!(was, seq, "{file} moved from entry {was} to {seq}");
                    }
                    None => {
                        assert_eq!(r.code, 1, "{}", r.stderr);
                        assert!(!self.known.contains_key(&i), "{file} known, then unknown");
                    }
                }
            }
            // Nothing recorded yet to prove, show or list.
            _ => self.checkpoint(false),
        }
    }

    /// `prov checkpoint --json`; with `save`, keeps it as the old checkpoint for `consistency`.
    fn checkpoint(&mut self, save: bool) {
        let ledger = self.env.w.ledger();
        let before = commit(&ledger).1;
        let c = self.read(&["checkpoint", "--json"]).json();
        let note = c["checkpoint"].as_str().unwrap();
        assert_eq!(c["size"], note_size(note), "{c}");
        let at = self.env.seen.lock().unwrap().checkpoint("checkpoint", note);
        self.answered("checkpoint", at, before, commit(&ledger).1);
        if save {
            std::fs::write(&self.old, note).unwrap();
        }
    }
}

/// On a panic of the test's main thread: stops the readers, and kills the writer (the test's
/// own child, by its id; not reaped yet, so the id is still its), which may be stopped, so that
/// the threads reading its output end.
struct OnPanic<'a> {
    done: &'a AtomicBool,
    writer: u32,
}

impl Drop for OnPanic<'_> {
    fn drop(&mut self) {
        self.done.store(true, Ordering::SeqCst);
        if std::thread::panicking() {
            let _ = std::process::Command::new("kill")
                .args(["-KILL", &self.writer.to_string()])
                .status();
        }
    }
}

/// The writer; killed (this one child, by its handle) if the test ends before it does, since a
/// stopped writer would otherwise stay stopped.
struct Writer(Child);

impl Drop for Writer {
    fn drop(&mut self) {
        if self.0.try_wait().ok().flatten().is_none() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// While `add` is stopped a batch past `COMMIT`: every reader answers for exactly the
/// committed size and none waits, lookups by content included.
fn while_stopped(env: &Env, counts: &Counts) {
    let w = env.w;
    let ledger = w.ledger();
    let (log_length, size) = commit(&ledger);
    assert_eq!(
        size,
        (STOP_AT_BATCH - 1) * BATCH,
        "stopped at the wrong commit"
    );
    // The stopped batch is all there past the commit point: its records in the log, and the
    // COMMIT.tmp that names it, which only the rename makes the commit.
    let log_bytes = std::fs::metadata(ledger.join("entries.log")).unwrap().len();
    assert!(
        log_bytes > log_length,
        "no records past COMMIT: {log_bytes} bytes"
    );
    let pending = std::fs::read_to_string(ledger.join("COMMIT.tmp")).unwrap();
    assert_eq!(commit_of(&pending), (log_bytes, size + BATCH), "{pending}");
    let offsets = std::fs::metadata(ledger.join("offsets")).unwrap().len();
    assert!(offsets >= 8 * (size + BATCH), "offsets: {offsets} bytes");
    let new = size + BATCH;
    // (A level-0 tile index below 1000 and a size that is no multiple of 256: one path element.)
    let tile = format!("tile/0/{:03}.p/{}", new / 256, new % 256);
    assert!(ledger.join(&tile).is_file(), "no {tile}");
    let dir = w.path("stopped");
    std::fs::create_dir_all(&dir).unwrap();
    let p = |name: &str| dir.join(name).to_str().unwrap().to_owned();
    let read = |args: &[&str]| env.read(&dir, counts, args);
    let fail = |args: &[&str]| env.spawn(&dir, counts, args);
    let n = size.to_string();
    let next = (size + BATCH).to_string();

    let c = read(&["checkpoint", "--json"]).json();
    assert_eq!(c["size"], size, "checkpoint past COMMIT: {c}");
    let note = c["checkpoint"].as_str().unwrap();
    env.seen.lock().unwrap().checkpoint("checkpoint", note);
    fail(&["checkpoint", "--size", &next]).fails(3, "no checkpoint was issued at size");

    let unseen = format!("no entry {size}: the ledger has {size} entries");
    fail(&["show", &n]).fails(8, &unseen);
    fail(&["prove", &n]).fails(8, &unseen);
    let last = (size - 1).to_string();
    let e = read(&["show", &last, "--json"]).json();
    env.seen.lock().unwrap().entry("show", &e);
    read(&["prove", &last, "--json", "-o", &p("proof.json")]);
    env.verify_proof(Path::new(&p("proof.json")), size - 1, size);

    let listed = read(&["log", "--json"]).jsonl();
    assert_eq!(listed.len() as u64, size, "log listed past COMMIT");
    assert!(read(&["log", "--from", &n, "--json"]).stdout.is_empty());
    let exported = read(&["export"]).jsonl();
    assert_eq!(exported.len() as u64, size, "export went past COMMIT");

    let a = read(&["audit", "--key", env.key, "--json"]).json();
    assert_eq!(
        (&a["ok"], &a["entries"]),
        (&Value::Bool(true), &size.into()),
        "{a}"
    );

    let published = read(&["publish", &p("published"), "--json"]).json();
    assert_eq!(
        published["size"], size,
        "publish went past COMMIT: {published}"
    );

    let old = w.path("stopped/old.txt");
    std::fs::write(&old, w.run(&["checkpoint", "--size", "7"]).ok()).unwrap();
    read(&[
        "consistency",
        old.to_str().unwrap(),
        "-o",
        &p("consistency.txt"),
    ]);
    env.verify_consistency(&old, Path::new(&p("consistency.txt")), size);

    // Lookups by content read the content index without the lock, and answer for the
    // committed size: every committed document is known at its committed entry, the
    // stopped batch's documents and others are unknown.
    w.write("outside.txt", "not recorded");
    fail(&["check", "outside.txt"]).fails(1, "unknown");
    let r = fail(&["check", "docs", "--json"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let lines = r.jsonl();
    let known: Vec<u64> = lines
        .iter()
        .filter(|l| l["known"] == true)
        .map(|l| l["first_seen"]["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(known.len() as u64, size, "known documents while stopped");
    assert!(known.iter().all(|s| *s < size), "a lookup saw past COMMIT");
    let first = lines.iter().find(|l| l["known"] == true).unwrap();
    let file = first["path"].as_str().unwrap();
    read(&[
        "prove",
        &format!("./{file}"),
        "-o",
        &p("by-file.tlog-proof"),
    ]);
    fail(&["prove", "./outside.txt"]).fails(1, "not in this ledger");
}

#[test]
fn readers_see_only_committed_states_while_an_add_runs_and_never_wait() {
    let w = Workspace::new();
    let key = w.init();
    assert_eq!(w.run(&["key"]).ok().trim(), key);
    let mut names = BTreeSet::new();
    for i in 0..FILES {
        let name = format!("{:02}/{i:05}.txt", i % 20);
        w.write(&format!("docs/{name}"), format!("document {i}\n"));
        names.insert(name);
    }
    let child = w
        .cmd(&[
            "add",
            "docs",
            "--source",
            "https://leak.example/readers",
            "--batch",
            &BATCH.to_string(),
            "--json",
        ])
        .env("PROV_TEST_STOP_AT", format!("CommitRename:{STOP_AT_BATCH}"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut writer = Writer(child);
    let pid = writer.0.id();
    // The readers start once the add holds the ledger's lock (watched in /proc/locks, not
    // competed for): `audit` takes the lock, without waiting, for the moment it copies the
    // index, and an `add` that opens the ledger in that moment is refused as in use.
    let ino = std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(w.ledger()).unwrap());
    while !holds_the_lock(pid, ino) {
        assert!(
            writer.0.try_wait().unwrap().is_none(),
            "add ended before it took the ledger's lock"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    let seen = Mutex::new(Seen::new(&key));
    let env = Env {
        w: &w,
        key: &key,
        writer: pid,
        seen: &seen,
        in_flight: AtomicUsize::new(0),
        most_in_flight: AtomicUsize::new(0),
    };
    let done = AtomicBool::new(false);
    let counts: Vec<Counts> = (0..READERS).map(|_| Counts::default()).collect();
    let main_counts = Counts::default();

    let reported = std::thread::scope(|s| {
        let _guard = OnPanic {
            done: &done,
            writer: pid,
        };
        // The writer's output, read as it comes (a pipe nobody reads would hold it up).
        let mut out = writer.0.stdout.take().unwrap();
        let mut err = writer.0.stderr.take().unwrap();
        let out = s.spawn(move || std::io::read_to_string(&mut out).unwrap());
        let err = s.spawn(move || std::io::read_to_string(&mut err).unwrap());
        let readers: Vec<_> = counts
            .iter()
            .enumerate()
            .map(|(id, c)| {
                let (env, done) = (&env, &done);
                s.spawn(move || Reader::new(env, id, c).run(done))
            })
            .collect();
        // A reader that failed ends its thread: stop waiting, and let the join report it.
        let failed = || readers.iter().any(|r| r.is_finished());

        // 1. The add runs, up to its stop just before the commit point of batch STOP_AT_BATCH.
        while proc_state(pid) != Some('T') && !failed() {
            assert!(
                writer.0.try_wait().unwrap().is_none(),
                "add ended before it reached batch {STOP_AT_BATCH}"
            );
            std::thread::sleep(Duration::from_millis(2));
        }
        if !failed() {
            // 2. Stopped, holding the lock, with a whole batch written past COMMIT.
            while_stopped(&env, &main_counts);
            // Meanwhile every background reader keeps finishing reads.
            while !failed() && counts.iter().any(|c| c.stopped.load(Ordering::SeqCst) < 2) {
                std::thread::sleep(Duration::from_millis(2));
            }
            assert_eq!(proc_state(pid), Some('T'), "the writer went on by itself");
            let cont = std::process::Command::new("kill")
                .args(["-CONT", &pid.to_string()])
                .status()
                .unwrap();
            assert!(cont.success(), "kill -CONT {pid}");
        }
        // 3. The add runs to its end (a zombie until reaped below, after the readers).
        while proc_state(pid).is_some_and(|s| s != 'Z') && !failed() {
            std::thread::sleep(Duration::from_millis(2));
        }
        done.store(true, Ordering::SeqCst);
        for r in readers {
            r.join().expect("a reader failed");
        }
        let status = writer.0.wait().unwrap();
        let (out, err) = (out.join().unwrap(), err.join().unwrap());
        assert!(status.success(), "add failed: {err}");
        out
    });

    // Every read is counted; the readers ran beside the writer, while it ran and while it
    // stood stopped, holding the lock.
    let total = |f: fn(&Counts) -> &AtomicUsize| -> usize {
        counts
            .iter()
            .map(|c| f(c).load(Ordering::SeqCst))
            .sum::<usize>()
    };
    let (reads, running, stopped) = (
        total(|c| &c.reads),
        total(|c| &c.running),
        total(|c| &c.stopped),
    );
    eprintln!(
        "readers: {reads} reads by {READERS} threads ({running} finished while add ran, \
         {stopped} while it was stopped past COMMIT), and {} by the test while it was stopped",
        main_counts.reads.load(Ordering::SeqCst)
    );
    assert!(
        env.most_in_flight.load(Ordering::SeqCst) >= 2,
        "never two readers at once"
    );
    for (i, c) in counts.iter().enumerate() {
        assert!(
            c.running.load(Ordering::SeqCst) > 0,
            "reader {i} finished no read while the add ran"
        );
    }

    // The final ledger: audits clean with the key, and has every file.
    let reported: BTreeSet<u64> = reported
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["seq"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert_eq!(
        reported,
        (0..FILES).collect(),
        "add reported every file, once"
    );
    assert_eq!(commit(&w.ledger()).1, FILES);
    let a = w.run(&["audit", "--key", &key, "--json"]).json();
    assert_eq!(a["ok"], true, "{a}");
    assert_eq!(a["entries"], FILES, "{a}");
    assert_eq!(a["index_checked"], true, "{a}");
    let exported = w.run(&["export"]).jsonl();
    let recorded: BTreeSet<String> = exported
        .iter()
        .map(|e| e["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(exported.len() as u64, FILES);
    assert_eq!(recorded, names, "every file is recorded, once");

    // What the readers saw is the final ledger's: its checkpoints byte for byte, its entries.
    let seen = seen.into_inner().unwrap();
    for (size, note) in &seen.checkpoints {
        let c = w
            .run(&["checkpoint", "--size", &size.to_string(), "--json"])
            .json();
        assert_eq!(
            c["checkpoint"].as_str(),
            Some(note.as_str()),
            "a reader printed a checkpoint for size {size} that the ledger does not have"
        );
    }
    for size in &seen.log_ends {
        let r = w.run(&["checkpoint", "--size", &size.to_string()]);
        assert_eq!(
            r.code, 0,
            "a log listing ended at size {size}, which no checkpoint has: {}",
            r.stderr
        );
    }
    for (seq, e) in &seen.entries {
        assert_eq!(
            &exported[*seq as usize], e,
            "entry {seq} as a reader printed it"
        );
    }
    eprintln!(
        "readers printed {} checkpoints, {} entries, {} log ends; all are the final ledger's",
        seen.checkpoints.len(),
        seen.entries.len(),
        seen.log_ends.len()
    );
}
