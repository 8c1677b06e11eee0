//! An auditor can open a hostile ledger folder safely (issue 9, items 8-10): the read-only
//! commands write nothing and work on a read-only copy; allocation is bounded by the real
//! files, not by what COMMIT claims; nothing inside the folder is followed as a link or read
//! unless it is a regular file.

use prov_tests::{Run, Workspace};
use std::path::Path;
use std::process::{Command, Stdio};

fn ledger_with_entries(w: &Workspace) -> String {
    let vkey = w.init();
    for i in 0..5 {
        w.write(&format!("docs/{i}.txt"), format!("document {i}"));
    }
    w.run(&["add", "docs", "--source", "s"]).ok();
    w.run(&["prove", "0", "-o", "p0.tlog-proof"]).ok();
    vkey
}

/// Every file below `dir`, with its bytes and modification time.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>, std::time::SystemTime)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let meta = e.metadata().unwrap();
            if meta.is_dir() {
                stack.push(e.path());
                continue;
            }
            out.push((
                e.path().display().to_string(),
                std::fs::read(e.path()).unwrap(),
                meta.modified().unwrap(),
            ));
        }
    }
    out.sort();
    out
}

fn read_only_commands(vkey: &str) -> Vec<Vec<String>> {
    let v = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    vec![
        v(&["audit", "--key", vkey]),
        v(&["show", "3"]),
        v(&["log"]),
        v(&["export", "--format", "csv"]),
        v(&["checkpoint"]),
        v(&["key"]),
        v(&["verify-proof", "p0.tlog-proof", "--key", vkey]),
    ]
}

/// Item 8: audit, show, log, export, checkpoint, key and verify-proof write nothing to the
/// ledger folder: no file created, changed or touched.
#[test]
fn read_only_commands_write_nothing() {
    let w = Workspace::new();
    let vkey = ledger_with_entries(&w);
    let before = snapshot(&w.ledger());
    for args in read_only_commands(&vkey) {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        w.run(&args).ok();
        let after = snapshot(&w.ledger());
        let changed: Vec<_> = after
            .iter()
            .filter(|f| !before.contains(f))
            .map(|f| &f.0)
            .collect();
        assert!(changed.is_empty(), "prov {args:?} wrote {changed:?}");
        assert_eq!(after.len(), before.len(), "prov {args:?} removed files");
    }
}

struct Mount(std::path::PathBuf);

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

/// Item 8: the same commands work on a read-only copy (a read-only bind mount; needs root,
/// as the project's machines and CI have), and `add` says why it cannot write.
#[test]
fn read_only_commands_work_on_a_read_only_copy() {
    let w = Workspace::new();
    let vkey = ledger_with_entries(&w);
    let ro = w.path("ro");
    std::fs::create_dir(&ro).unwrap();
    let mounted = Command::new("mount")
        .arg("--bind")
        .arg(w.ledger())
        .arg(&ro)
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        prov_tests::skip("a bind mount needs root");
        return;
    }
    let _m = Mount(ro.clone());
    let remounted = Command::new("mount")
        .args(["-o", "remount,ro,bind"])
        .arg(&ro)
        .status()
        .unwrap();
    assert!(remounted.success());
    assert!(
        std::fs::write(ro.join("probe"), b"x").is_err(),
        "not read-only"
    );
    for args in read_only_commands(&vkey) {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let r = w.run_at(&ro, &args);
        assert_eq!(r.code, 0, "prov {args:?} on a read-only copy: {}", r.stderr);
    }
    let r = w.run_at(&ro, &["audit", "--json"]).json();
    assert_eq!(r["ok"], true);
    // Lookups by content read the content index and write nothing.
    w.run_at(&ro, &["check", "docs/1.txt"]).ok();
    w.run_at(&ro, &["prove", "./docs/1.txt"]).ok();
    w.write("new.txt", "new");
    let r = w.run_at(&ro, &["add", "new.txt", "--source", "s"]);
    r.fails(4, "Read-only file system");
    assert!(!r.stderr.contains("damaged"), "{}", r.stderr);
}

/// Runs `prov ARGS` with its address space limited to 256 MiB: an allocation sized by a
/// claimed count rather than the real file aborts it.
fn run_bounded(w: &Workspace, args: &[&str]) -> Run {
    let mut sh = Command::new("sh");
    sh.args(["-c", "ulimit -v 262144; exec \"$0\" \"$@\""]);
    w.run_wrapped(&mut sh, args)
}

/// Item 9: a COMMIT that claims an enormous log is a located fault, found within a bounded
/// address space, never an abort on a giant allocation.
#[test]
fn claimed_sizes_never_drive_allocation() {
    let w = Workspace::new();
    ledger_with_entries(&w);
    for (log_length, size) in [
        (150_000_000_000_000u64, 1_000_000_000_000u64),
        (60_000_000_000, 400_000_000),
    ] {
        std::fs::write(
            w.ledger().join("COMMIT"),
            format!("prov-commit v1\nlog_length {log_length}\nsize {size}\n"),
        )
        .unwrap();
        let r = run_bounded(&w, &["audit"]);
        r.fails(1, "before its last commit (truncated)");
        for args in [
            &["show", "1"][..],
            &["log"],
            &["add", "docs", "--source", "x"],
        ] {
            let r = run_bounded(&w, args);
            r.fails(4, "shorter than its last commit");
        }
    }
}

/// Item 10: a link where the ledger keeps its content index is refused by readers and the
/// audit, and replaced (never followed) by a writer: nothing is written through it.
#[test]
fn an_index_link_is_never_followed() {
    let w = Workspace::new();
    ledger_with_entries(&w);
    let victim = w.path("victim");
    std::fs::create_dir(&victim).unwrap();
    std::fs::remove_dir_all(w.ledger().join("content")).unwrap();
    std::os::unix::fs::symlink(&victim, w.ledger().join("content")).unwrap();
    w.run(&["audit"]).fails(1, "symbolic link");
    w.run(&["check", "docs/1.txt"]).fails(4, "symbolic link");
    w.run(&["add", "docs", "--source", "t"]).ok();
    assert_eq!(std::fs::read_dir(&victim).unwrap().count(), 0);
    assert!(
        w.ledger()
            .join("content")
            .symlink_metadata()
            .unwrap()
            .is_dir()
    );
    w.run(&["check", "docs/1.txt"]).ok();
    w.run(&["audit"]).ok();
}

/// Item 10: a FIFO or a device in place of a ledger file is refused at once (no command
/// waits on it), and a link to one is not followed.
#[test]
fn fifos_and_devices_are_refused_not_read() {
    let w = Workspace::new();
    ledger_with_entries(&w);
    for f in ["COMMIT", "entries.log", "ledger.json"] {
        let path = w.ledger().join(f);
        let real = w.path(&format!("{f}.real"));
        std::fs::rename(&path, &real).unwrap();
        let made = Command::new("mkfifo").arg(&path).status().unwrap();
        assert!(made.success());
        for args in [
            &["audit"][..],
            &["show", "1"],
            &["log"],
            &["check", "docs/1.txt"],
        ] {
            let r = run_watched(&w, args);
            assert!(r.code == 1 || r.code == 4, "{f} {args:?}: {}", r.stderr);
            assert!(r.stderr.contains("FIFO"), "{f} {args:?}: {}", r.stderr);
        }
        std::fs::remove_file(&path).unwrap();
        std::os::unix::fs::symlink("/dev/zero", &path).unwrap();
        let r = run_watched(&w, &["log"]);
        assert!(r.stderr.contains("symbolic link"), "{f}: {}", r.stderr);
        std::fs::remove_file(&path).unwrap();
        std::fs::rename(&real, &path).unwrap();
    }
    w.run(&["audit"]).ok();
}

/// Runs `prov ARGS`; a watchdog kills it if it is still running after two minutes (a hang
/// on a FIFO), which fails the test by its exit code, not by any timing.
fn run_watched(w: &Workspace, args: &[&str]) -> Run {
    let child = w
        .cmd(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let watchdog = std::thread::spawn(move || {
        if rx
            .recv_timeout(std::time::Duration::from_secs(120))
            .is_err()
        {
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
        }
    });
    let o = child.wait_with_output().unwrap();
    let _ = tx.send(());
    watchdog.join().unwrap();
    Run::from(o)
}

/// Review finding: links and FIFOs *inside* `content/` are refused too: no command follows
/// a link or waits on a FIFO, nothing is written through a link, and a writer (`add` or
/// `reindex`) replaces the index.
#[test]
fn links_and_fifos_inside_the_index_are_refused() {
    let w = Workspace::new();
    ledger_with_entries(&w);
    let victim = w.path("victim");
    std::fs::create_dir(&victim).unwrap();
    let index = w.ledger().join("content");
    for (plant, repair) in [("link", "add"), ("fifo", "reindex"), ("fifo", "add")] {
        let at = std::fs::read_dir(&index)
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path();
        std::fs::remove_file(&at).unwrap();
        if plant == "link" {
            std::os::unix::fs::symlink(victim.join("created_by_prov"), &at).unwrap();
        } else {
            assert!(Command::new("mkfifo").arg(&at).status().unwrap().success());
        }
        for args in [&["check", "docs/1.txt"][..], &["prove", "./docs/1.txt"]] {
            let r = run_watched(&w, args);
            assert_eq!(r.code, 4, "{plant} {args:?}: {}", r.stderr);
            assert!(r.stderr.contains("refused, not followed"), "{}", r.stderr);
        }
        let r = run_watched(&w, &["audit"]);
        assert_eq!(r.code, 1, "{plant}: {}", r.stderr);
        let r = match repair {
            "add" => run_watched(&w, &["add", "docs", "--source", "t"]),
            _ => run_watched(&w, &["reindex"]),
        };
        assert_eq!(r.code, 0, "{plant} {repair}: {}", r.stderr);
        assert_eq!(std::fs::read_dir(&victim).unwrap().count(), 0);
        w.run(&["check", "docs/1.txt"]).ok();
        w.run(&["audit"]).ok();
    }
}

/// Review finding: paths inside the ledger folder named on the command line are refused,
/// not recorded (the key's hash, the index's files).
#[test]
fn files_inside_the_ledger_folder_are_not_documents() {
    let w = Workspace::new();
    ledger_with_entries(&w);
    for p in ["ledger/key.pem", "ledger/content", "ledger/entries.log"] {
        w.run(&["add", p, "--source", "s"])
            .fails(3, "inside the ledger's own folder");
    }
    // Nor through a symlink followed with -L, or a hard link.
    std::fs::create_dir(w.path("d")).unwrap();
    w.write("d/a.txt", "a document");
    std::os::unix::fs::symlink(w.ledger().join("key.pem"), w.path("d/keylink")).unwrap();
    std::fs::hard_link(w.ledger().join("entries.log"), w.path("d/log-hardlink")).unwrap();
    let r = w.run(&["add", "-L", "d", "--source", "s", "--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let recorded = r.documents();
    assert_eq!(recorded.len(), 1, "{}", r.stdout);
    // With --json, what the walk passed over is in the stream, with why.
    assert!(
        r.jsonl().iter().any(|v| v["skipped"]
            .as_str()
            .is_some_and(|s| s.contains("the ledger's own folder"))),
        "{}",
        r.stdout
    );
    w.run(&["add", "d/log-hardlink", "--source", "s"])
        .fails(3, "inside the ledger's own folder");
}

/// Second review: a zero-filled log is refused at its first record, not walked 9 bytes at a
/// time.
#[test]
fn a_zero_filled_log_is_refused_at_once() {
    let w = Workspace::new();
    ledger_with_entries(&w);
    let log = w.ledger().join("entries.log");
    let f = std::fs::OpenOptions::new().write(true).open(&log).unwrap();
    f.set_len(1 << 30).unwrap();
    std::fs::write(
        w.ledger().join("COMMIT"),
        format!("prov-commit v1\nlog_length {}\nsize 1000\n", 1u64 << 30),
    )
    .unwrap();
    for args in [&["log"][..], &["show", "3"], &["checkpoint"]] {
        let r = run_watched(&w, args);
        assert_eq!(r.code, 4, "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains("unknown record type 0"), "{}", r.stderr);
    }
}

/// Review finding: an audit running while `add`s commit never reports a fault in a healthy
/// ledger (it compares the index with the COMMIT of the moment it copies it).
#[test]
fn audits_during_adds_never_report_a_false_fault() {
    let w = Workspace::new();
    ledger_with_entries(&w);
    for i in 0..40 {
        w.write(&format!("more/{i}.txt"), format!("more {i}"));
    }
    let dir = w.ledger();
    let bin = prov_tests::prov_bin();
    let auditor = std::thread::spawn(move || {
        (0..8)
            .map(|_| {
                let o = Command::new(&bin)
                    .arg("--ledger")
                    .arg(&dir)
                    .args(["audit", "--json"])
                    .output()
                    .unwrap();
                (
                    o.status.code(),
                    String::from_utf8_lossy(&o.stdout).into_owned(),
                )
            })
            .collect::<Vec<_>>()
    });
    for i in 0..40 {
        let r = w.run(&["add", &format!("more/{i}.txt"), "--source", "s"]);
        assert!(r.code == 0 || r.stderr.contains("in use"), "{}", r.stderr);
    }
    for (code, out) in auditor.join().unwrap() {
        assert_eq!(code, Some(0), "{out}");
    }
    w.run(&["audit"]).ok();
}
