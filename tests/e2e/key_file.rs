//! A signing key kept outside the ledger folder (`prov init --key-file`, `PROV_KEY_FILE`):
//! the folder then holds nothing secret, writers need the key's path and say so when it is
//! missing, readers and the audit never need it, and a key is never replaced.

use prov_tests::Workspace;
use std::os::unix::fs::PermissionsExt;

#[test]
fn a_key_kept_outside_the_ledger_signs_and_the_folder_holds_no_secret() {
    let w = Workspace::new();
    std::fs::create_dir(w.path("secure")).unwrap();
    let key = w.path("secure/acme.key");
    let k = key.to_str().unwrap();
    let r = w.run(&["init", "--origin", "e2e.example/key-file", "--key-file", k]);
    let vkey = r.ok().trim().to_owned();
    assert!(
        r.stderr.contains("not in the ledger folder"),
        "{}",
        r.stderr
    );
    assert!(
        !w.ledger().join("key.pem").exists(),
        "a key.pem in the ledger folder"
    );
    let mode = std::fs::metadata(&key).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    w.write("a.txt", "a");
    // Without the key: one line that says where to point, exit 4, nothing recorded.
    w.run(&["add", "a.txt", "--source", "s"])
        .fails(4, "--key-file");
    w.run(&["reindex"]).fails(4, "PROV_KEY_FILE");
    assert_eq!(w.run(&["checkpoint", "--json"]).json()["size"], 0);
    // With it, by option or by environment.
    w.run(&["add", "a.txt", "--source", "s", "--key-file", k])
        .ok();
    w.write("b.txt", "b");
    let r = w
        .cmd(&["add", "b.txt", "--source", "s"])
        .env("PROV_KEY_FILE", &key)
        .output()
        .unwrap();
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    w.run(&["reindex", "--key-file", k]).ok();
    // Readers and the audit need no key.
    w.run(&["check", "a.txt", "b.txt"]).ok();
    w.run(&["audit", "--key", &vkey]).ok();
    w.run(&["prove", "./a.txt", "-o", "a.tlog-proof"]).ok();
    w.run(&[
        "verify-proof",
        "a.tlog-proof",
        "--key",
        &vkey,
        "--document",
        "a.txt",
    ])
    .ok();
}

#[test]
fn another_ledgers_key_is_refused_and_no_key_is_ever_replaced() {
    let w = Workspace::new();
    let key = w.path("one.key");
    let k = key.to_str().unwrap();
    w.run(&["init", "--key-file", k]).ok();
    let before = std::fs::read(&key).unwrap();
    // A second ledger may not be made over an existing key file: bad input, key untouched.
    let other = w.path("other");
    w.run_at(&other, &["init", "--key-file", k])
        .fails(3, "never replaces a key");
    assert_eq!(std::fs::read(&key).unwrap(), before);
    assert!(!other.join("ledger.json").exists());
    // Another ledger's key: refused (it would sign under a key the ledger does not name).
    let theirs = w.path("theirs.key");
    w.run_at(&other, &["init", "--key-file", theirs.to_str().unwrap()])
        .ok();
    w.write("a.txt", "a");
    w.run(&[
        "add",
        "a.txt",
        "--source",
        "s",
        "--key-file",
        theirs.to_str().unwrap(),
    ])
    .fails(4, "key");
    assert_eq!(w.run(&["checkpoint", "--json"]).json()["size"], 0);
    // A key readable by others is refused as for key.pem.
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    w.run(&["add", "a.txt", "--source", "s", "--key-file", k])
        .fails(4, "chmod 600");
}

/// `prov demo` makes its own ledger and key whatever the user's environment names: a
/// `PROV_KEY_FILE` exported for a real ledger neither breaks it nor is touched by it.
#[test]
fn the_demo_ignores_the_users_key_file() {
    let w = Workspace::new();
    let key = w.write("real.key", "the user's own key, not the demo's");
    let out = w
        .cmd(&["demo"])
        .env("PROV_KEY_FILE", &key)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(&key).unwrap(),
        "the user's own key, not the demo's"
    );
}

/// The key kept apart is never recorded as a document, even when its folder is added (its
/// SHA-256 would be in the signed log for good).
#[test]
fn the_key_kept_apart_is_never_a_document() {
    let w = Workspace::new();
    std::fs::create_dir(w.path("secure")).unwrap();
    let key = w.path("secure/acme.key");
    let k = key.to_str().unwrap();
    w.run(&["init", "--key-file", k]).ok();
    w.write("secure/notes.txt", "notes beside the key");
    let r = w.run(&["add", "secure", "--source", "s", "--key-file", k, "--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(w.run(&["checkpoint", "--json"]).json()["size"], 1);
    w.run(&["check", "secure/acme.key"]).fails(1, "unknown");
    w.run(&["check", "secure/notes.txt"]).ok();
}
