//! Helpers shared by the integration tests: fixtures are made at run time by real tools
//! (Python's zipfile, tarfile, gzip, email and mailbox modules; zip, tar, gzip when present).
#![allow(dead_code)]

use prov_ingest::{Found, Limits, Summary, walk};
use sha2::{Digest, Sha256};
use std::ops::ControlFlow;
use std::path::Path;
use std::process::Command;

/// Runs a Python script in `dir` (the script sees it as the current directory).
pub fn python(dir: &Path, script: &str) {
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .current_dir(dir)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs a command in `dir` and returns its standard output.
pub fn run(dir: &Path, program: &str, args: &[&str]) -> Vec<u8> {
    let out = Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("{program} runs: {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// A test that cannot run here (a tool is missing) says so; under CI (`CI` set, as `.ci/run`
/// runs, which installs the tools), that is a failure rather than a pass that checked nothing.
pub fn skip(why: &str) {
    assert!(
        std::env::var_os("CI").is_none(),
        "under CI this test must run, but {why}"
    );
    eprintln!("skipped: {why}");
}

/// Whether a system tool is installed.
pub fn have(program: &str) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {program}"))
        .output()
        .is_ok_and(|o| o.status.success())
}

pub fn sha(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// Walks `path` and returns every member visited, in order, with the summary.
pub fn walk_all(path: &Path, limits: &Limits) -> (Vec<Found>, Summary) {
    let mut found = Vec::new();
    let summary = walk(path, limits, &mut |f| {
        found.push(f);
        ControlFlow::Continue(())
    })
    .expect("walk");
    check_order(&found);
    (found, summary)
}

/// Visiting order: indexes count from 0, and a container comes before its members.
pub fn check_order(found: &[Found]) {
    for (i, f) in found.iter().enumerate() {
        assert_eq!(f.index, i as u64, "indexes in visiting order");
        if let Some(p) = f.parent {
            assert!(p < f.index, "parent {p} visited before member {}", f.index);
            assert!(found[p as usize].kind.is_container());
        }
    }
}

/// The member with this path (and this parent, when given).
pub fn by_path<'a>(found: &'a [Found], path: &[u8]) -> &'a Found {
    let hits: Vec<_> = found.iter().filter(|f| f.path == path).collect();
    assert_eq!(
        hits.len(),
        1,
        "one member named {:?} in {:#?}",
        String::from_utf8_lossy(path),
        found
            .iter()
            .map(|f| String::from_utf8_lossy(&f.path).into_owned())
            .collect::<Vec<_>>()
    );
    hits[0]
}

pub fn path_str(f: &Found) -> String {
    String::from_utf8_lossy(&f.path).into_owned()
}
