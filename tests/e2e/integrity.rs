//! Integrity of the real binary (issue 9): what was committed is never cut whatever fails,
//! an index answer the log contradicts is never printed, and `init` is all or nothing.

use prov_tests::{Run, Workspace};
use sha2::{Digest, Sha256};
use std::process::{Command, Stdio};

/// Runs `prov ARGS` under strace, failing the system calls `calls` with EIO as `when` says
/// (strace's fault injection: the real binary, the real files, failed at the system-call
/// boundary). `None` when strace cannot run here.
fn run_failing(w: &Workspace, calls: &str, when: &str, args: &[&str]) -> Option<Run> {
    let installed = Command::new("strace").arg("-V").output().is_ok();
    let mut strace = Command::new("strace");
    strace
        .args(["-f", "-qq", "-o", "/dev/null", "-e"])
        .arg(format!("trace={calls}"))
        .arg("-e")
        .arg(format!("inject={calls}:error=EIO:when={when}"));
    let r = installed.then(|| w.run_wrapped(&mut strace, args))?;
    (!r.stderr.contains("strace:")).then_some(r)
}

/// Item 1: each fsync, fdatasync, write and rename of `prov add` fails in turn (once, and
/// from then on); whatever it reported stays, nothing under COMMIT is ever cut, the ledger
/// always opens and audits clean after, and the same `add` then completes.
#[test]
fn failed_system_calls_never_cut_a_commit() {
    let mut ran = 0;
    for calls in [
        "fsync",
        "fdatasync",
        "pwrite64",
        "rename,renameat,renameat2",
    ] {
        for k in 1..=7 {
            for when in [format!("{k}"), format!("{k}+")] {
                let w = Workspace::new();
                w.init();
                w.write("first.txt", "first");
                w.run(&["add", "first.txt", "--source", "s"]).ok();
                for i in 0..12 {
                    w.write(&format!("docs/{i}.txt"), format!("doc {i}"));
                }
                let args = ["add", "docs", "--source", "s", "--batch", "4", "--json"];
                let Some(r) = run_failing(&w, calls, &when, &args) else {
                    prov_tests::skip("strace cannot run here (apt-get install strace)");
                    return;
                };
                ran += 1;
                let case = format!("{calls} when={when}: {}", r.stderr.trim());
                assert!(!r.stderr.contains("panicked"), "{case}");
                let audit = w.run(&["audit"]);
                assert_eq!(audit.code, 0, "{case}; then audit: {}", audit.stderr);
                let exported = w.run(&["export"]).jsonl();
                for line in r
                    .stdout
                    .lines()
                    .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
                {
                    assert!(
                        exported
                            .iter()
                            .any(|e| e["seq"] == line["seq"] && e["sha256"] == line["sha256"]),
                        "{case}: reported entry {} lost",
                        line["seq"]
                    );
                }
                w.run(&["add", "docs", "--source", "s"]).ok();
                assert_eq!(w.run(&["export"]).jsonl().len(), 13, "{case}");
            }
        }
    }
    eprintln!("{ran} injected failures");
}

/// Item 5: a forged index record (`sha256(never.txt) || 0`) never makes `check` say
/// known, `prove` write a proof, or `verify-proof` print "verified"; `add` rebuilds the index
/// from the log, says so, and records the document truly.
#[test]
fn a_forged_index_key_is_never_believed() {
    let w = Workspace::new();
    let vkey = w.init();
    w.write("real.txt", "real");
    w.write("never.txt", "never recorded");
    w.run(&["add", "real.txt", "--source", "s"]).ok();
    // The one run of the content index (FORMAT.md 7.3) holds one record, for entry 0:
    // rewrite it to name the unrecorded document.
    let mut record = Sha256::digest(b"never recorded").to_vec();
    record.extend_from_slice(&0u64.to_be_bytes());
    std::fs::write(w.ledger().join("content").join("0-1"), record).unwrap();
    w.run(&["check", "never.txt"]).fails(4, "prov reindex");
    w.run(&["prove", "never.txt", "-o", "never.tlog-proof"])
        .fails(4, "prov reindex");
    assert!(!w.path("never.tlog-proof").exists());
    let r = w.run(&["add", "never.txt", "--source", "s2", "--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.documents()[0]["status"], "first_seen");
    let notes: Vec<_> = r
        .jsonl()
        .into_iter()
        .filter(|v| v["kind"] == "index_rebuilt")
        .collect();
    assert_eq!(notes.len(), 1, "{}", r.stdout);
    assert!(notes[0]["note"].as_str().unwrap().contains("rebuilt"));
    w.run(&["check", "never.txt"]).ok();
    w.run(&["prove", "never.txt", "-o", "never.tlog-proof"])
        .ok();
    w.run(&[
        "verify-proof",
        "never.tlog-proof",
        "--key",
        &vkey,
        "--document",
        "never.txt",
    ])
    .ok();
    w.run(&["audit"]).ok();
}

/// Item 14: `init` killed at any moment leaves either no ledger (and a new `init` works) or a
/// complete one that audits clean; never a folder that neither `init` nor `add` accepts.
#[test]
fn init_killed_at_any_moment_is_all_or_nothing() {
    let w = Workspace::new();
    w.write("a.txt", "a");
    let mut complete = 0;
    for round in 0..30u64 {
        let dir = w.path(&format!("l{round}"));
        let mut child = w
            .cmd_at(&dir, &["init", "--origin", "e2e.example/init"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Kill after a varying delay, from before exec to after completion.
        std::thread::sleep(std::time::Duration::from_micros(round * round * 40));
        let _ = child.kill();
        let _ = child.wait();
        if dir.join("ledger.json").exists() {
            complete += 1;
            w.run_at(&dir, &["audit"]).ok();
        } else {
            assert!(
                !dir.exists() || std::fs::read_dir(&dir).unwrap().next().is_none(),
                "round {round}: a half-made ledger folder"
            );
            w.run_at(&dir, &["init", "--origin", "e2e.example/init"])
                .ok();
        }
        w.run_at(&dir, &["add", "a.txt", "--source", "s"]).ok();
    }
    eprintln!("{complete} of 30 inits completed before the kill");
}

/// Item 14: with umask 000 the ledger's folder and files still get their documented modes.
#[test]
fn init_sets_modes_whatever_the_umask() {
    use std::os::unix::fs::PermissionsExt;
    let w = Workspace::new();
    let o = Command::new("sh")
        .arg("-c")
        .arg("umask 000; exec \"$0\" --ledger \"$1\" init --origin e2e.example/umask")
        .arg(prov_tests::prov_bin())
        .arg(w.ledger())
        .output()
        .unwrap();
    assert!(o.status.success());
    let mode = |p: std::path::PathBuf| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(w.ledger()), 0o700);
    assert_eq!(mode(w.ledger().join("key.pem")), 0o600);
    assert_eq!(mode(w.ledger().join("entries.log")), 0o644);
}

/// The state letter of a process in /proc (`T` when stopped).
fn proc_state(pid: u32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit_once(") ")?.1.chars().next()
}

/// How many times `prov add --batch 1` on a new ledger reaches `step` by its third batch: once
/// a batch, but for the tile folders' fsync, four times in the first batch (the ledger
/// folder, `tile`, `tile/0` and `tile/0/000.p` are new), then once.
fn third_batch(step: &str) -> u32 {
    match step {
        "TileSync" => 6,
        _ => 3,
    }
}

/// The crash harness, aimed: `prov add --batch 1` is stopped at each system call of its
/// commit path in turn (the third time it gets there, so two batches were reported), then
/// killed with SIGKILL. After each: the ledger audits clean, everything reported is there,
/// and re-running the same `add` records every file exactly once.
#[test]
fn kill_9_at_every_step_of_the_commit_loses_nothing_reported() {
    for step in [
        "TileWrite",
        "TileSync",
        "OffsetsWrite",
        "OffsetsSync",
        "LogWrite",
        "LogSync",
        "CommitWrite",
        "CommitSync",
        "CommitRename",
        "DirSync",
        "IndexApply",
    ] {
        let w = Workspace::new();
        w.init();
        for i in 0..5 {
            w.write(&format!("docs/{i}.txt"), format!("doc {i}"));
        }
        let mut child = w
            .cmd(&["add", "docs", "--source", "s", "--batch", "1", "--json"])
            .env("PROV_TEST_STOP_AT", format!("{step}:{}", third_batch(step)))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let pid = child.id();
        while proc_state(pid) != Some('T') {
            assert!(
                child.try_wait().unwrap().is_none(),
                "{step}: prov ended instead of stopping"
            );
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        child.kill().unwrap();
        let out = child.wait_with_output().unwrap();
        let reported: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect();
        assert_eq!(
            reported.len(),
            2,
            "{step}: two batches were reported before the stop"
        );
        let audit = w.run(&["audit"]);
        assert_eq!(audit.code, 0, "{step}: {}", audit.stderr);
        let exported = w.run(&["export"]).jsonl();
        for r in &reported {
            assert!(
                exported
                    .iter()
                    .any(|e| e["seq"] == r["seq"] && e["sha256"] == r["sha256"]),
                "{step}: reported entry {} lost",
                r["seq"]
            );
            // A reader without the lock proves it from the tiles, before any writer ran.
            let seq = r["seq"].as_u64().unwrap().to_string();
            let proof = w.run(&["prove", &seq]);
            assert_eq!(proof.code, 0, "{step}: prove {seq}: {}", proof.stderr);
        }
        w.run(&["add", "docs", "--source", "s"]).ok();
        let exported = w.run(&["export"]).jsonl();
        assert_eq!(exported.len(), 5, "{step}: each file exactly once");
        w.run(&["audit"]).ok();
    }
}
