//! A signing key encrypted with a passphrase (`prov init --encrypt-key`): writers unlock it
//! from `PROV_KEY_PASSPHRASE` or `--passphrase-file`, a wrong or missing passphrase is one
//! line and exit 6 with nothing written, and OpenSSL reads the key file as the standard
//! encrypted PKCS#8 it claims to be.

use base64::Engine;
use prov_tests::{Run, Workspace};
use std::process::Command;

const PASS: &str = "correct horse battery staple";

/// A ledger whose key.pem is encrypted with [`PASS`]; returns its verifier key.
fn encrypted(w: &Workspace) -> String {
    let r = Run::from(
        w.cmd(&["init", "--origin", "e2e.example/enc", "--encrypt-key"])
            .env("PROV_KEY_PASSPHRASE", PASS)
            .output()
            .unwrap(),
    );
    assert!(
        r.stderr.contains("the signing key is encrypted"),
        "{}",
        r.stderr
    );
    r.ok().trim().to_owned()
}

fn add_with(w: &Workspace, env: Option<&str>, args: &[&str]) -> Run {
    let mut c = w.cmd(args);
    if let Some(p) = env {
        c.env("PROV_KEY_PASSPHRASE", p);
    }
    Run::from(c.output().unwrap())
}

#[test]
fn an_encrypted_key_signs_with_its_passphrase_and_nothing_without_it() {
    let w = Workspace::new();
    let vkey = encrypted(&w);
    let pem = std::fs::read_to_string(w.ledger().join("key.pem")).unwrap();
    assert!(
        pem.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----\n"),
        "{pem}"
    );
    w.write("a.txt", "a");
    let before = w.ledger_state();
    // None: stdin is not a terminal here, so nobody is asked and nothing waits.
    add_with(&w, None, &["add", "a.txt", "--source", "s"]).fails(6, "is encrypted");
    // Wrong: one line, exit 6, the ledger byte for byte as it was.
    let r = add_with(
        &w,
        Some("correct horse battery stapler"),
        &["add", "a.txt", "--source", "s"],
    );
    r.fails(6, "the passphrase does not decrypt key file");
    assert_eq!(
        w.ledger_state(),
        before,
        "a refused add wrote to the ledger"
    );
    add_with(
        &w,
        Some("wrong"),
        &["add", "a.txt", "--source", "s", "--json"],
    )
    .fails_json(6, "does not decrypt");
    add_with(&w, Some("wrong"), &["reindex"]).fails(6, "does not decrypt");
    assert_eq!(w.ledger_state(), before);
    // Right, by environment and by file.
    add_with(&w, Some(PASS), &["add", "a.txt", "--source", "s"]).ok();
    w.write("pass.txt", format!("{PASS}\n"));
    private(&w, "pass.txt");
    w.write("b.txt", "b");
    add_with(
        &w,
        None,
        &[
            "add",
            "b.txt",
            "--source",
            "s",
            "--passphrase-file",
            "pass.txt",
        ],
    )
    .ok();
    add_with(&w, None, &["reindex", "--passphrase-file", "pass.txt"]).ok();
    add_with(
        &w,
        None,
        &[
            "add",
            "b.txt",
            "-s",
            "s",
            "--passphrase-file",
            "nowhere.txt",
        ],
    )
    .fails(3, "cannot read --passphrase-file nowhere.txt");
    // Readers never need it; the audit holds.
    assert_eq!(w.run(&["checkpoint", "--json"]).json()["size"], 2);
    w.run(&["audit", "--key", &vkey]).ok();
}

#[test]
fn openssl_reads_the_key_file_as_encrypted_pkcs8_and_finds_the_ledgers_key() {
    let w = Workspace::new();
    let vkey = encrypted(&w);
    let key = w.ledger().join("key.pem");
    let openssl = |pass: &str| {
        Command::new("openssl")
            .args(["pkey", "-noout", "-text_pub", "-passin"])
            .arg(format!("pass:{pass}"))
            .arg("-in")
            .arg(&key)
            .output()
    };
    let out = match openssl(PASS) {
        Ok(o) => o,
        Err(_) => return prov_tests::skip("openssl is not installed"),
    };
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The public key OpenSSL derives is the one in the verifier key (after its type byte).
    let hex: String = text
        .lines()
        .skip_while(|l| !l.starts_with("pub:"))
        .skip(1)
        .flat_map(|l| l.trim().split(':'))
        .collect();
    let b64 = vkey.splitn(3, '+').nth(2).unwrap();
    let raw = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap();
    assert_eq!(raw[0], 1, "Ed25519 verifier key");
    assert_eq!(hex, hex::encode(&raw[1..]), "{text}");
    let asn1 = Command::new("openssl")
        .args(["asn1parse", "-in"])
        .arg(&key)
        .output()
        .unwrap();
    let asn1 = String::from_utf8_lossy(&asn1.stdout);
    for alg in [":PBES2", ":scrypt", ":aes-256-cbc"] {
        assert!(asn1.contains(alg), "{alg} missing: {asn1}");
    }
    assert!(!openssl("not the passphrase").unwrap().status.success());
}

#[test]
fn init_needs_a_passphrase_from_somewhere_and_encrypts_a_key_kept_apart_too() {
    let w = Workspace::new();
    w.run(&["init", "--origin", "e2e.example/enc", "--encrypt-key"])
        .fails(2, "--encrypt-key needs a passphrase");
    assert!(!w.ledger().exists(), "a refused init left a ledger");
    let r = Run::from(
        w.cmd(&["init", "--origin", "e2e.example/enc", "--encrypt-key"])
            .env("PROV_KEY_PASSPHRASE", "")
            .output()
            .unwrap(),
    );
    r.fails(3, "the passphrase is empty");
    std::fs::create_dir(w.path("secure")).unwrap();
    w.write("pass.txt", "s3cret\r\n");
    private(&w, "pass.txt");
    let k = w.path("secure/ledger.key");
    let k = k.to_str().unwrap();
    let args = [
        "init",
        "--origin",
        "e2e.example/enc",
        "--encrypt-key",
        "--passphrase-file",
        "pass.txt",
        "--key-file",
        k,
    ];
    w.run(&args).ok();
    assert!(
        std::fs::read_to_string(k)
            .unwrap()
            .contains("ENCRYPTED PRIVATE KEY")
    );
    w.write("a.txt", "a");
    add_with(
        &w,
        Some("s3cret"),
        &["add", "a.txt", "-s", "s", "--key-file", k],
    )
    .ok();
    add_with(
        &w,
        Some("s3cret\r"),
        &["add", "a.txt", "-s", "s", "--key-file", k],
    )
    .fails(6, "does not decrypt");
}

/// Makes a file readable by its owner only, as `prov` needs of a passphrase file.
fn private(w: &Workspace, rel: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(w.path(rel), std::fs::Permissions::from_mode(0o600)).unwrap();
}
