//! The encrypted signing key against a wrong passphrase from each of its three sources
//! (`PROV_KEY_PASSPHRASE`, `--passphrase-file`, typed on a terminal that `script` gives the
//! command), and key and passphrase files that others can read or that are links: each is
//! refused in one line with its exit code, and the ledger is left byte for byte as it was.

use prov_tests::{Run, Workspace, prov_bin};
use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};

const PASS: &str = "correct horse battery staple";

/// A ledger whose encrypted key is kept apart, in `secure/acme.key`.
fn ledger(w: &Workspace) {
    std::fs::create_dir(w.path("secure")).unwrap();
    let mut c = w.cmd(&[
        "init",
        "--origin",
        "keys.example/a",
        "--key-file",
        "secure/acme.key",
        "--encrypt-key",
    ]);
    c.env("PROV_KEY_PASSPHRASE", PASS);
    Run::from(c.output().unwrap()).ok();
    w.write("a.txt", "a document\n");
}

/// `prov add a.txt` with the key kept apart and `extra` arguments, and the passphrase in
/// the environment when `env` is given.
fn add(w: &Workspace, env: Option<&str>, extra: &[&str]) -> Run {
    let mut args = vec![
        "add",
        "a.txt",
        "--source",
        "s",
        "--key-file",
        "secure/acme.key",
    ];
    args.extend(extra);
    let mut c = w.cmd(&args);
    if let Some(p) = env {
        c.env("PROV_KEY_PASSPHRASE", p);
    }
    Run::from(c.output().unwrap())
}

/// `prov add` on a terminal (util-linux `script`), with `typed` typed at its prompt; stdin
/// stays open until the command ends, so nothing depends on timing. `None` without
/// `script`.
fn add_on_a_terminal(w: &Workspace, typed: &str) -> Option<(i32, String)> {
    let line = format!(
        "{} --ledger {} add a.txt --source s --key-file secure/acme.key; echo \"exit=$?\"",
        prov_bin().display(),
        w.ledger().display()
    );
    let mut child = Command::new("script")
        .args(["-qec", &line, "/dev/null"])
        .current_dir(w.path(""))
        .env_remove("PROV_LEDGER")
        .env_remove("PROV_KEY_PASSPHRASE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .ok()?;
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(typed.as_bytes()).unwrap();
    let mut text = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    drop(stdin);
    child.wait().unwrap();
    let code = text
        .rsplit_once("exit=")
        .and_then(|(_, c)| c.trim().parse().ok())
        .unwrap_or(-1);
    Some((code, text))
}

#[test]
fn a_wrong_passphrase_from_each_source_is_exit_6_and_writes_nothing() {
    let w = Workspace::new();
    ledger(&w);
    let before = w.ledger_state();
    add(&w, Some("wrong"), &[]).fails(6, "the passphrase does not decrypt key file");
    w.write("wrong.txt", "wrong\n");
    std::fs::set_permissions(w.path("wrong.txt"), PermissionsExt::from_mode(0o600)).unwrap();
    add(&w, None, &["--passphrase-file", "wrong.txt"]).fails(6, "does not decrypt");
    // The file wins over the environment, even when the environment's is right.
    add(&w, Some(PASS), &["--passphrase-file", "wrong.txt"]).fails(6, "does not decrypt");
    assert_eq!(w.ledger_state(), before);
    match add_on_a_terminal(&w, "wrong\r") {
        None => prov_tests::skip("script (util-linux) is not installed"),
        Some((code, text)) => {
            assert!(text.contains("passphrase of the signing key:"), "{text}");
            assert!(text.contains("does not decrypt key file"), "{text}");
            assert_eq!(code, 6, "{text}");
            assert_eq!(w.ledger_state(), before);
            // Typed right, it signs.
            let (code, text) = add_on_a_terminal(&w, &format!("{PASS}\r")).unwrap();
            assert_eq!(code, 0, "{text}");
            assert!(text.contains("first seen        a.txt"), "{text}");
        }
    }
}

#[test]
fn key_and_passphrase_files_that_others_can_read_or_that_are_links_are_refused() {
    let w = Workspace::new();
    ledger(&w);
    let before = w.ledger_state();
    // A passphrase file others can read protects nothing: refused, whatever it holds.
    w.write("pass.txt", format!("{PASS}\n"));
    std::fs::set_permissions(w.path("pass.txt"), PermissionsExt::from_mode(0o644)).unwrap();
    add(&w, None, &["--passphrase-file", "pass.txt"]).fails(
        3,
        "--passphrase-file pass.txt is readable or writable by others (mode 644)",
    );
    assert_eq!(w.ledger_state(), before);
    // Through a link, the file's own mode is what counts (secrets are often mounted so).
    std::os::unix::fs::symlink("pass.txt", w.path("pass.link")).unwrap();
    add(&w, None, &["--passphrase-file", "pass.link"]).fails(3, "chmod 600 pass.link");
    std::fs::set_permissions(w.path("pass.txt"), PermissionsExt::from_mode(0o600)).unwrap();
    // A key file others can read is refused (exit 4) with the command that fixes it.
    let key = w.path("secure/acme.key");
    std::fs::set_permissions(&key, PermissionsExt::from_mode(0o640)).unwrap();
    add(&w, Some(PASS), &[]).fails(4, "run `chmod 600 secure/acme.key`");
    std::fs::set_permissions(&key, PermissionsExt::from_mode(0o600)).unwrap();
    // A key file that is a link is not followed, and the error says so plainly.
    std::os::unix::fs::symlink("acme.key", w.path("secure/link.key")).unwrap();
    let mut c = w.cmd(&[
        "add",
        "a.txt",
        "--source",
        "s",
        "--key-file",
        "secure/link.key",
    ]);
    c.env("PROV_KEY_PASSPHRASE", PASS);
    let r = Run::from(c.output().unwrap());
    r.fails(
        4,
        "key file secure/link.key is a symbolic link: the signing key is read only from a regular file, never through a link",
    );
    assert!(!r.stderr.contains("PKCS#8"), "{}", r.stderr);
    assert_eq!(w.ledger_state(), before);
    // With every file as it should be, it signs.
    add(&w, None, &["--passphrase-file", "pass.link"]).ok();
}
