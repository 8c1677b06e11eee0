//! Each error class: its exit code, its one-line message, and nothing written.

use prov_tests::Workspace;

#[test]
fn bad_input_is_exit_3_and_writes_nothing() {
    let w = Workspace::new();
    w.init();
    w.write("ok.txt", "fine");
    w.write("empty.txt", "");
    let before = w.ledger_state();
    let fifo = w.path("fifo");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    std::os::unix::fs::symlink(w.path("loop1"), w.path("loop2")).unwrap();
    std::os::unix::fs::symlink(w.path("loop2"), w.path("loop1")).unwrap();
    let cases: &[(&[&str], &str)] = &[
        (&["add", "missing.txt", "--source", "s"], "does not exist"),
        (
            &["add", "ok.txt", "missing.txt", "--source", "s"],
            "does not exist",
        ),
        (&["add", "empty.txt", "--source", "s"], "is empty"),
        (&["add", "fifo", "--source", "s"], "not a regular file"),
        (&["add", "loop1", "--source", "s"], "symlink loop"),
        (&["add", "ok.txt", "--source", ""], "--source is empty"),
        (
            &["add", "ok.txt", "--source", "a\u{1b}[31mb"],
            "control characters",
        ),
        (
            &["add", "ok.txt", "--source", "s", "--meta", "novalue"],
            "has no '='",
        ),
        (
            &["add", "--sha256", "abc", "--size", "1", "--source", "s"],
            "not 64 hex digits",
        ),
        (&["check", "missing.txt"], "does not exist"),
        (&["prove", "ledger"], "is a folder"),
        (
            &["verify-proof", "ok.txt", "--key", "nonsense"],
            "malformed verifier key",
        ),
    ];
    for (args, needle) in cases {
        let r = w.run(args);
        r.fails(3, needle);
        assert_eq!(w.ledger_state(), before, "{args:?} changed the ledger");
    }
    // An unreadable file (root can read anything, so only check when not root).
    let locked = w.write("locked.txt", "x");
    std::fs::set_permissions(&locked, std::os::unix::fs::PermissionsExt::from_mode(0o000)).unwrap();
    if std::fs::read(&locked).is_err() {
        w.run(&["add", "locked.txt", "--source", "s"])
            .fails(3, "permission denied");
    }
}

#[test]
fn proofs_and_keys_that_are_wrong_or_malformed() {
    let w = Workspace::new();
    let vkey = w.init();
    w.write("a.txt", "alpha");
    w.run(&["add", "a.txt", "--source", "s"]).ok();
    w.run(&["prove", "a.txt", "-o", "a.tlog-proof"]).ok();
    let good = std::fs::read_to_string(w.path("a.tlog-proof")).unwrap();
    // Wrong key: a well-formed key of another ledger. A negative answer naming both keys.
    let other = Workspace::new();
    let other_key = other.init();
    let r = w.run(&["verify-proof", "a.tlog-proof", "--key", &other_key]);
    r.fails(1, "not signed by any trusted key");
    // Malformed proofs: bad input.
    w.write("trunc.tlog-proof", &good[..40]);
    w.run(&["verify-proof", "trunc.tlog-proof", "--key", &vkey])
        .fails(3, "malformed");
    w.write("zero.tlog-proof", good.replace("index 0", "index 00"));
    w.run(&["verify-proof", "zero.tlog-proof", "--key", &vkey])
        .fails(3, "malformed");
    w.write("bad.json", "{\"entry\": 1}");
    w.run(&["verify-proof", "bad.json", "--key", &vkey])
        .fails(3, "JSON proof is malformed");
    w.run(&["verify-proof", "nothing.tlog-proof", "--key", &vkey])
        .fails(3, "cannot read proof");
    // A forged signature line: a negative answer.
    let sig_start = good.rfind(' ').unwrap() + 1;
    let mut forged = good.clone();
    forged.replace_range(
        sig_start..sig_start + 8,
        if &good[sig_start..sig_start + 8] == "AAAAAAAA" {
            "BBBBBBBB"
        } else {
            "AAAAAAAA"
        },
    );
    w.write("forged.tlog-proof", &forged);
    // (Its key ID bytes changed too, so no trusted key signed it any more.)
    w.run(&["verify-proof", "forged.tlog-proof", "--key", &vkey])
        .fails(1, "does not verify");
    // The wrong document: a negative answer.
    w.write("b.txt", "beta");
    w.run(&[
        "verify-proof",
        "a.tlog-proof",
        "--key",
        &vkey,
        "--document",
        "b.txt",
    ])
    .fails(1, "not the recorded document");
    // A checkpoint from another ledger for consistency.
    other.write("x.txt", "x");
    other.run(&["add", "x.txt", "--source", "s"]).ok();
    std::fs::write(w.path("other-cp.txt"), other.run(&["checkpoint"]).ok()).unwrap();
    w.run(&["consistency", "other-cp.txt"])
        .fails(1, "not signed by any trusted key");
    // Unknown document: a negative answer; unknown entry: its own code.
    w.run(&["check", "b.txt"]).fails(1, "unknown");
    w.run(&["show", "99"]).fails(8, "no entry 99");
    w.run(&["prove", "b.txt"]).fails(1, "not in this ledger");
}

#[test]
fn ledger_unavailable_is_exit_4() {
    let w = Workspace::new();
    w.run(&["key"]).fails(4, "prov init");
    std::fs::create_dir(w.ledger()).unwrap();
    w.write("ledger/stray.txt", "not a ledger");
    w.run(&["key"]).fails(4, "not a prov ledger");
    w.run(&["init"]).fails(3, "not empty");
    let w = Workspace::new();
    w.init();
    w.run(&["init"]).fails(3, "already holds a ledger");
    // Newer format.
    let cfg = std::fs::read_to_string(w.ledger().join("ledger.json")).unwrap();
    std::fs::write(
        w.ledger().join("ledger.json"),
        cfg.replace("\"format\": 2", "\"format\": 4"),
    )
    .unwrap();
    w.run(&["key"]).fails(4, "newer than this prov supports");
    std::fs::write(w.ledger().join("ledger.json"), &cfg).unwrap();
    // A key file others can read.
    let key = w.ledger().join("key.pem");
    std::fs::set_permissions(&key, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
    w.write("a.txt", "a");
    w.run(&["add", "a.txt", "--source", "s"])
        .fails(4, "chmod 600");
    std::fs::set_permissions(&key, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    w.run(&["add", "a.txt", "--source", "s"]).ok();
    // A damaged log: unavailable to use, and the audit locates it.
    let log = w.ledger().join("entries.log");
    let mut bytes = std::fs::read(&log).unwrap();
    let at = bytes.len() - 300;
    bytes[at] ^= 0x40;
    std::fs::write(&log, &bytes).unwrap();
    let r = w.run(&["audit"]);
    r.fails(1, "audit failed: entry 0");
    assert!(r.stderr.contains("byte"), "{}", r.stderr);
    let j = w.run(&["audit", "--json"]).json();
    assert_eq!(j["ok"], false);
    assert_eq!(j["fault"]["seq"], 0);
    std::fs::remove_dir_all(w.ledger().join("content")).unwrap();
    w.run(&["reindex"]).fails(4, "ledger damaged");
}

#[test]
fn a_second_writer_is_refused_while_the_first_holds_the_ledger() {
    let w = Workspace::new();
    w.init();
    w.write("a.txt", "a");
    w.run(&["add", "a.txt", "--source", "s"]).ok();
    // `prov add -` holds the ledger while it waits for stdin.
    let mut first = w
        .cmd(&["add", "-", "--source", "slow"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until it holds the ledger's lock, watching /proc/locks rather than competing for
    // the lock (a competing probe could make the first process the one refused).
    // The lock is on the ledger folder itself: no file that could be deleted to let a second
    // writer in.
    let ino = std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(w.ledger()).unwrap());
    let held = lock_seen(ino, "FLOCK");
    assert!(held, "the first prov never took the ledger's lock");
    let log = std::fs::read(w.ledger().join("entries.log")).unwrap();
    w.write("b.txt", "b");
    // Lookups by content read the content index without the lock: they answer at once
    // (`--no-wait` is still accepted, from scripts of earlier versions).
    w.run(&["check", "a.txt", "--no-wait"]).ok();
    w.run(&["check", "b.txt"]).fails(1, "unknown");
    w.run(&["prove", "./a.txt", "-o", "a.tlog-proof"]).ok();
    w.run(&["add", "b.txt", "--source", "s"]).fails(4, "in use");
    assert_eq!(std::fs::read(w.ledger().join("entries.log")).unwrap(), log);
    // Readers of the committed log and tiles do not wait for the writer.
    w.run(&["key"]).ok();
    w.run(&["log"]).ok();
    w.run(&["checkpoint"]).ok();
    w.run(&["audit"]).ok();
    w.run(&["show", "0"]).ok();
    w.run(&["prove", "0"]).ok();
    w.run(&["publish", "www"]).ok();
    {
        use std::io::Write;
        first.stdin.take().unwrap().write_all(b"streamed").unwrap();
    }
    assert!(first.wait().unwrap().success());
    // Once the writer is done, a lookup sees what it recorded.
    w.write("streamed.txt", "streamed");
    w.run(&["check", "streamed.txt"]).ok();
    w.run(&["add", "b.txt", "--source", "s"]).ok();
}

#[test]
fn a_broken_pipe_is_not_an_error() {
    let w = Workspace::new();
    w.init();
    for i in 0..50 {
        w.write(&format!("d/{i}.txt"), format!("doc {i}"));
    }
    w.run(&["add", "d", "--source", "s"]).ok();
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "'{}' --ledger '{}' log | head -n 1",
            prov_tests::prov_bin().display(),
            w.ledger().display()
        ))
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 1);
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_closed_pipe_stops_the_printing_never_the_recording() {
    let w = Workspace::new();
    w.init();
    for i in 0..300 {
        w.write(&format!("d/{i:03}.txt"), format!("document {i}"));
    }
    let sh = |cmd: String| {
        std::process::Command::new("sh")
            .arg("-c")
            .arg(cmd)
            .output()
            .unwrap()
    };
    let bin = prov_tests::prov_bin();
    let ledger = w.ledger();
    let out = sh(format!(
        "cd '{}' && '{}' --ledger '{}' add d --source s --json --batch 10 | head -n 1",
        w.path("").display(),
        bin.display(),
        ledger.display()
    ));
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 1);
    assert_eq!(
        w.run(&["log", "--json"]).jsonl().len(),
        300,
        "add stopped recording when its reader went away"
    );
    let out = sh(format!("'{}' completions bash | head -n 1", bin.display()));
    assert!(
        out.stderr.is_empty(),
        "completions into a closed pipe: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Review finding: `audit` holds the ledger's lock for the moment it copies the index; a
/// writer starting in that moment waits for it instead of failing with "in use". The
/// moment is played by `flock(1)` holding the folder's lock for a second.
#[test]
fn a_writer_waits_out_a_lock_held_for_a_moment() {
    let w = Workspace::new();
    w.init();
    w.write("a.txt", "a");
    let mut holder = std::process::Command::new("flock")
        .arg(w.ledger())
        .args(["sleep", "1"])
        .spawn()
        .unwrap();
    let ino = std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(w.ledger()).unwrap());
    let held = lock_seen(ino, "FLOCK");
    assert!(held, "flock never took the ledger's lock");
    w.run(&["add", "a.txt", "--source", "s"]).ok();
    assert!(holder.wait().unwrap().success());
}

/// Whether `/proc/locks` comes to show a lock of `kind` ("FLOCK" held, "-> FLOCK" waited
/// for) on the folder with inode `ino`; polls up to 2,000 times. Watching it, rather than
/// competing for the lock, never makes the process under test the one refused.
fn lock_seen(ino: u64, kind: &str) -> bool {
    (0..2000).any(|_| {
        let locks = std::fs::read_to_string("/proc/locks").unwrap_or_default();
        let found = locks
            .lines()
            .any(|l| l.contains(kind) && l.contains(&format!(":{ino} ")));
        if !found {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        found
    })
}

/// A hash recorded with size 0 that is not the empty document's: refused (no bytes have
/// that size and hash, and the record would refuse the real document forever); the empty
/// document itself still records.
#[test]
fn size_zero_is_only_the_empty_documents() {
    let w = Workspace::new();
    w.init();
    let other = "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03";
    w.run(&["add", "--sha256", other, "--size", "0", "--source", "s"])
        .fails(3, "0 bytes is the size of the empty document alone");
    assert_eq!(w.run(&["checkpoint", "--json"]).json()["size"], 0);
    let empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    w.run(&["add", "--sha256", empty, "--size", "0", "--source", "s"])
        .ok();
    w.write("real.txt", "hello\n");
    w.run(&["add", "real.txt", "--source", "s"]).ok();
}
