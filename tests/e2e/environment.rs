//! Exit 5, the environment: output that cannot be written (what was recorded is said to
//! be), an unusable clock; and a stderr or stdout that went away never panics.

use prov_tests::Workspace;
use std::process::{Command, Stdio};

#[test]
fn output_that_cannot_be_written_is_exit_5_and_says_what_was_recorded() {
    let w = Workspace::new();
    w.init();
    w.write("d/a.txt", "alpha");
    w.write("d/b.txt", "beta");
    let full = std::fs::File::create("/dev/full").unwrap();
    let out = w
        .cmd(&["add", "d", "--source", "s"])
        .stdout(full)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(5), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("cannot write output"), "{stderr}");
    assert!(
        stderr.contains("the 2 documents processed so far are recorded"),
        "{stderr}"
    );
    assert_eq!(w.run(&["log"]).ok().lines().count(), 2);
}

/// A pipe whose reader is already gone: every write to it fails with EPIPE.
fn closed_pipe() -> std::io::PipeWriter {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    writer
}

#[test]
fn an_error_written_to_a_closed_stderr_keeps_its_exit_code() {
    let w = Workspace::new();
    w.init();
    let status = w
        .cmd(&["add", "missing.txt", "--source", "s"])
        .stderr(closed_pipe())
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(3));
    let status = w
        .cmd(&["add", "nothing", "--sourze", "s"])
        .stderr(closed_pipe())
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(2));
}

#[test]
fn demo_into_a_reader_that_went_away_stops_quietly() {
    let w = Workspace::new();
    let out = w
        .cmd(&["demo"])
        .stdout(closed_pipe())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// `faketime`, from Debian's package of that name (.ci/run installs it where it can).
fn faketime() -> Option<Command> {
    let found = Command::new("faketime")
        .args(["-f", "+0", "true"])
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        prov_tests::skip("faketime is not installed (apt-get install faketime)");
        return None;
    }
    Some(Command::new("faketime"))
}

fn run_at_time(w: &Workspace, spec: &str, args: &[&str]) -> Option<prov_tests::Run> {
    let mut c = faketime()?;
    c.args(["-f", spec]);
    Some(w.run_wrapped(&mut c, args))
}

#[test]
fn a_clock_before_1970_is_exit_5_for_every_command_never_a_panic() {
    let w = Workspace::new();
    let vkey = w.init();
    w.write("a.txt", "alpha");
    w.run(&["add", "a.txt", "--source", "s"]).ok();
    w.run(&["prove", "0", "-o", "p.tlog-proof"]).ok();
    let before = w.ledger_state();
    let at = "@1960-01-01 00:00:00";
    for args in [
        &["add", "a.txt", "--source", "t"][..],
        &["check", "a.txt"],
        &["log"],
        &["show", "0"],
        &["audit"],
        &["key"],
        &["prove", "0"],
        &["export"],
        &["init", "--origin", "x.example/y"],
        // Never an archivist dated 0.
        &["archivist", "add", "eve@news.example"],
    ] {
        let Some(r) = run_at_time(&w, at, args) else {
            return;
        };
        r.fails(5, "the system clock reads");
        assert!(r.stderr.contains("before 1970"), "{}", r.stderr);
    }
    assert_eq!(w.ledger_state(), before);
    // Offline verification needs no clock.
    let Some(r) = run_at_time(&w, at, &["verify-proof", "p.tlog-proof", "--key", &vkey]) else {
        return;
    };
    r.ok();
}

#[test]
fn a_clock_behind_the_ledger_is_refused_with_exit_5() {
    let w = Workspace::new();
    w.init();
    w.write("a.txt", "alpha");
    w.write("b.txt", "beta");
    w.run(&["add", "a.txt", "--source", "s"]).ok();
    let before = w.ledger_state();
    let Some(r) = run_at_time(&w, "-1d", &["add", "b.txt", "--source", "s"]) else {
        return;
    };
    r.fails(5, "but the ledger's last entry was recorded at");
    assert!(r.stderr.contains("--clamp-time"), "{}", r.stderr);
    assert_eq!(w.ledger_state(), before);
    // When the ledger's last time is the wrong one, --clamp-time goes on at that time.
    let Some(r) = run_at_time(
        &w,
        "-1d",
        &["add", "b.txt", "--source", "s", "--clamp-time", "--json"],
    ) else {
        return;
    };
    assert_eq!(r.code, 0, "{}", r.stderr);
    let e = w.run(&["show", "1", "--json"]).json();
    let a = w.run(&["show", "0", "--json"]).json();
    assert_eq!(e["time"], a["time"]);
}
