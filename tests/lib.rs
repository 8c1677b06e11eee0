//! Helpers for the end-to-end tests: a temporary workspace with a real ledger, and a way to
//! run the real `prov` binary in it.
#![forbid(unsafe_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The `prov` binary of this build (target/<profile>/prov, beside the test's deps folder).
pub fn prov_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("PROV_BIN") {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().expect("test executable path");
    let bin = exe
        .parent()
        .and_then(Path::parent)
        .expect("target dir")
        .join("prov");
    assert!(
        bin.exists(),
        "{} is missing: run `cargo build -p prov` (or `cargo test --workspace`) first",
        bin.display()
    );
    // `cargo test -p prov-tests` alone does not rebuild the binary: refuse a stale one.
    let built = std::fs::metadata(&bin)
        .and_then(|m| m.modified())
        .expect("binary mtime");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    for krate in ["cli/src", "ledger/src", "proofs/src", "witness/src"] {
        for entry in std::fs::read_dir(root.join(krate))
            .into_iter()
            .flatten()
            .flatten()
        {
            let newer = entry
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|t| t > built);
            assert!(
                !newer,
                "{} is older than {}: run `cargo build -p prov` or `cargo test --workspace`",
                bin.display(),
                entry.path().display()
            );
        }
    }
    bin
}

/// A test that cannot run here (a tool or root is missing) says so; under CI (`CI` set, as
/// `.ci/run` runs), where the project's scripts install what the tests need, that is a
/// failure rather than a pass that checked nothing.
pub fn skip(why: &str) {
    assert!(
        std::env::var_os("CI").is_none(),
        "under CI this test must run, but {why}"
    );
    eprintln!("skipped: {why}");
}

/// What one run of `prov` did.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// The result of a finished process.
    pub fn from(o: Output) -> Run {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }

    /// Asserts success and returns stdout.
    pub fn ok(&self) -> &str {
        assert_eq!(self.code, 0, "prov failed: {}", self.stderr);
        &self.stdout
    }

    /// The stdout as one JSON value.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(self.stdout.trim())
            .unwrap_or_else(|e| panic!("not one JSON object ({e}): {}", self.stdout))
    }

    /// The stdout as JSON Lines.
    pub fn jsonl(&self) -> Vec<serde_json::Value> {
        self.stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON line ({e}): {l}")))
            .collect()
    }

    /// The JSON Lines records of documents, leaving out the `skipped` records of files a
    /// walk passed over and the `note` records.
    pub fn documents(&self) -> Vec<serde_json::Value> {
        self.jsonl()
            .into_iter()
            .filter(|v| v.get("skipped").is_none() && v.get("note").is_none())
            .collect()
    }

    /// Asserts a `--json` failure with this exit code: stderr is one JSON object whose
    /// `exit` is the code and whose `error` contains `needle`.
    pub fn fails_json(&self, code: i32, needle: &str) -> serde_json::Value {
        assert_eq!(self.code, code, "exit code; stderr: {}", self.stderr);
        assert_eq!(
            self.stderr.lines().count(),
            1,
            "not one line: {}",
            self.stderr
        );
        let v: serde_json::Value = serde_json::from_str(self.stderr.trim())
            .unwrap_or_else(|e| panic!("stderr is not one JSON object ({e}): {}", self.stderr));
        assert_eq!(v["exit"], code, "{v}");
        let error = v["error"].as_str().unwrap_or_default();
        assert!(error.contains(needle), "error lacks {needle:?}: {v}");
        v
    }

    /// Asserts a failure with this exit code and a single stderr line containing `needle`.
    pub fn fails(&self, code: i32, needle: &str) {
        assert_eq!(self.code, code, "exit code; stderr: {}", self.stderr);
        assert_eq!(
            self.stderr.trim_end().lines().count(),
            1,
            "not one line: {}",
            self.stderr
        );
        assert!(self.stderr.starts_with("prov: "), "{}", self.stderr);
        assert!(
            self.stderr.contains(needle),
            "stderr lacks {needle:?}: {}",
            self.stderr
        );
        assert!(
            !self.stderr.contains("panicked") && !self.stderr.contains("RUST_BACKTRACE"),
            "{}",
            self.stderr
        );
    }
}

/// A temporary folder with a ledger at `./ledger` in it.
pub struct Workspace {
    pub tmp: tempfile::TempDir,
}

impl Default for Workspace {
    fn default() -> Self {
        Self::new()
    }
}

impl Workspace {
    pub fn new() -> Workspace {
        Workspace {
            tmp: tempfile::tempdir().unwrap(),
        }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.tmp.path().join(rel)
    }

    pub fn ledger(&self) -> PathBuf {
        self.path("ledger")
    }

    /// Writes a file (creating folders).
    pub fn write(&self, rel: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let p = self.path(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, bytes).unwrap();
        p
    }

    /// A `prov` command in this folder, with `--ledger ledger`.
    pub fn cmd(&self, args: &[&str]) -> Command {
        self.cmd_at(&self.ledger(), args)
    }

    /// A `prov` command in this folder for the ledger at `ledger`.
    pub fn cmd_at(&self, ledger: &Path, args: &[&str]) -> Command {
        let mut c = Command::new(prov_bin());
        c.current_dir(self.tmp.path())
            .env_remove("PROV_LEDGER")
            .env_remove("PROV_KEY_FILE")
            .env_remove("PROV_KEY_PASSPHRASE")
            .arg("--ledger")
            .arg(ledger)
            .args(args);
        c.stdin(Stdio::null());
        c
    }

    /// Runs `prov ARGS` against the ledger at `ledger`.
    pub fn run_at(&self, ledger: &Path, args: &[&str]) -> Run {
        Run::from(self.cmd_at(ledger, args).output().unwrap())
    }

    /// Runs `prov ARGS`.
    pub fn run(&self, args: &[&str]) -> Run {
        Run::from(self.cmd(args).output().unwrap())
    }

    /// Runs `prov ARGS` under a wrapper program (`strace ...`, `faketime ...`, a shell that
    /// sets limits): the wrapper's own arguments are in `wrapper`, then the prov command.
    pub fn run_wrapped(&self, wrapper: &mut Command, args: &[&str]) -> Run {
        let prov = self.cmd(args);
        let o = wrapper
            .arg(prov.get_program())
            .args(prov.get_args())
            .current_dir(self.tmp.path())
            .env_remove("PROV_LEDGER")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        Run::from(o)
    }

    /// Runs `prov ARGS` with bytes on stdin.
    pub fn run_stdin(&self, args: &[&str], input: &[u8]) -> Run {
        use std::io::Write;
        let mut child = self
            .cmd(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(input).unwrap();
        Run::from(child.wait_with_output().unwrap())
    }

    /// Runs `prov ARGS` under the `maxrss` helper (its path from the test binary's
    /// `CARGO_BIN_EXE_maxrss`); returns the run and the peak resident set of `prov` in KiB.
    pub fn run_measured(&self, maxrss: &Path, args: &[&str]) -> (Run, u64) {
        let out = self.path("maxrss.out");
        let prov = self.cmd(args);
        let mut c = Command::new(maxrss);
        c.current_dir(self.tmp.path())
            .env_remove("PROV_LEDGER")
            .arg(&out)
            .arg(prov.get_program())
            .args(prov.get_args())
            .stdin(Stdio::null());
        let run = Run::from(c.output().unwrap());
        let kib = std::fs::read_to_string(&out)
            .expect("maxrss wrote nothing")
            .trim()
            .parse()
            .unwrap();
        (run, kib)
    }

    /// `prov init` with a fixed origin; returns the verifier key.
    pub fn init(&self) -> String {
        self.run(&["init", "--origin", "e2e.example/ledger"])
            .ok()
            .trim()
            .to_owned()
    }

    /// The bytes of every ledger file but the index, to show a command wrote nothing.
    pub fn ledger_state(&self) -> Vec<(String, Vec<u8>)> {
        ["entries.log", "COMMIT", "ledger.json", "key.pem"]
            .iter()
            .map(|f| {
                (
                    f.to_string(),
                    std::fs::read(self.ledger().join(f)).unwrap_or_default(),
                )
            })
            .collect()
    }
}
