//! Every command has --help with a worked example, and usage errors are one line, exit 2.
//! (This test also makes `cargo test --workspace` build the binary the `tests/` crate drives.)
#![forbid(unsafe_code)]

use std::process::Command;

const COMMANDS: [&str; 20] = [
    "init",
    "add",
    "check",
    "show",
    "log",
    "checkpoint",
    "checkpoints",
    "key",
    "prove",
    "verify-proof",
    "consistency",
    "verify-consistency",
    "audit",
    "reindex",
    "publish",
    "export",
    "completions",
    "help",
    "man",
    "demo",
];

#[test]
fn every_command_has_help_with_an_example() {
    for cmd in COMMANDS {
        let out = Command::new(env!("CARGO_BIN_EXE_prov"))
            .args([cmd, "--help"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{cmd} --help");
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(
            text.contains("Example"),
            "{cmd} --help has no example:\n{text}"
        );
        assert!(
            text.contains(&format!("prov {cmd}")) || text.contains("prov --ledger"),
            "{cmd} --help example does not show the command:\n{text}"
        );
    }
}

#[test]
fn usage_errors_are_one_line_with_exit_2() {
    for args in [
        &["frobnicate"][..],
        &["add", "x"],
        &["show"],
        &["log", "--limit", "many"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_prov"))
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with("prov: ") && err.contains("--help"), "{err}");
    }
}

#[test]
fn help_lists_every_exit_code() {
    let out = Command::new(env!("CARGO_BIN_EXE_prov"))
        .arg("--help")
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    for code in [
        "0 success",
        "1 negative answer",
        "2 usage",
        "3 bad input",
        "4 ledger unavailable",
        "5 environment",
        "6 the signing key's passphrase",
    ] {
        assert!(
            text.contains(code),
            "--help lacks exit code {code:?}:\n{text}"
        );
    }
}
