//! Bad input, as a table: each case names its expected exit code and message; none may
//! panic, print more than one line, or change the ledger.

use prov_tests::{Run, Workspace};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::process::Command;

/// A case: the ledger it runs against (relative to the workspace), its arguments, the exit
/// code and a piece of the one-line message.
struct Case {
    name: &'static str,
    ledger: &'static str,
    args: Vec<String>,
    code: i32,
    needle: &'static str,
}

fn case(
    name: &'static str,
    ledger: &'static str,
    args: &[&str],
    code: i32,
    needle: &'static str,
) -> Case {
    Case {
        name,
        ledger,
        args: args.iter().map(|s| s.to_string()).collect(),
        code,
        needle,
    }
}

fn run_in(w: &Workspace, ledger: &str, args: &[String]) -> Run {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    w.run_at(&w.path(ledger), &args)
}

fn init(w: &Workspace, dir: &str) -> String {
    run_in(
        w,
        dir,
        &[
            "init".into(),
            "--origin".into(),
            format!("bad.example/{dir}"),
        ],
    )
    .ok()
    .trim()
    .to_owned()
}

#[test]
fn the_bad_input_table() {
    let w = Workspace::new();
    let vkey = init(&w, "ledger");
    let other_vkey = init(&w, "other");
    for i in 0..3 {
        w.write(&format!("docs/{i}.txt"), format!("document {i}"));
    }
    run_in(
        &w,
        "ledger",
        &["add".into(), "docs".into(), "--source".into(), "s".into()],
    )
    .ok();
    run_in(
        &w,
        "ledger",
        &[
            "prove".into(),
            "1".into(),
            "-o".into(),
            "p.tlog-proof".into(),
        ],
    )
    .ok();
    run_in(
        &w,
        "ledger",
        &[
            "prove".into(),
            "1".into(),
            "--json".into(),
            "-o".into(),
            "p.json".into(),
        ],
    )
    .ok();
    let cp3 = run_in(&w, "ledger", &["checkpoint".into()]).ok().to_owned();
    w.write("cp3.txt", &cp3);
    let cp0 = run_in(
        &w,
        "ledger",
        &["checkpoint".into(), "--size".into(), "0".into()],
    )
    .ok()
    .to_owned();
    w.write("docs2/3.txt", "document 3");
    run_in(
        &w,
        "ledger",
        &["add".into(), "docs2".into(), "--source".into(), "t".into()],
    )
    .ok();
    run_in(
        &w,
        "ledger",
        &[
            "consistency".into(),
            "cp3.txt".into(),
            "-o".into(),
            "c.txt".into(),
        ],
    )
    .ok();
    let proof = std::fs::read_to_string(w.path("p.tlog-proof")).unwrap();
    let consistency = std::fs::read_to_string(w.path("c.txt")).unwrap();

    // Fixtures for the cases.
    w.write("empty.txt", "");
    w.write("ok.txt", "fine");
    assert!(
        Command::new("mkfifo")
            .arg(w.path("fifo"))
            .status()
            .unwrap()
            .success()
    );
    std::os::unix::fs::symlink(w.path("loop-a"), w.path("loop-b")).unwrap();
    std::os::unix::fs::symlink(w.path("loop-b"), w.path("loop-a")).unwrap();
    w.write("p-trunc", &proof[..proof.len() / 2]);
    w.write("p-extra", format!("{proof}trailing line\n"));
    w.write("p-ctrl", proof.replacen("index 1", "index 1\u{7}", 1));
    w.write(
        "p-huge",
        proof.replacen("index 1", "index 99999999999999999999999", 1),
    );
    let sig_at = proof.rfind(' ').unwrap() + 10;
    let mut forged = proof.clone();
    forged.replace_range(
        sig_at..sig_at + 4,
        if &proof[sig_at..sig_at + 4] == "AAAA" {
            "BBBB"
        } else {
            "AAAA"
        },
    );
    w.write("p-badsig", &forged);
    let body_end = proof.find("\n\n").unwrap() + 2;
    w.write(
        "p-size0",
        format!(
            "c2sp.org/tlog-proof@v1\n{}index 0\n\n{cp0}",
            &proof[proof.find("extra").unwrap()..proof.find("index").unwrap()]
        ),
    );
    w.write(
        "p-noextra",
        format!(
            "c2sp.org/tlog-proof@v1\n{}",
            &proof[proof.find("index").unwrap()..]
        ),
    );
    let _ = body_end;
    w.write("p-bad.json", "{\"checkpoint\": \"x\", \"leaf_index\": -1}");
    w.write("cp-trunc", &cp3[..20]);
    w.write("cp-extra", cp3.replacen('\n', "\nextension\n", 1));
    w.write("c-wrongsize", consistency.replacen("old 3", "old 2", 1));
    let first_hash_line = consistency.lines().nth(1).unwrap().to_owned();
    let flipped = match first_hash_line.strip_prefix('A') {
        Some(rest) => format!("B{rest}"),
        None => format!("A{}", &first_hash_line[1..]),
    };
    w.write(
        "c-tampered",
        consistency.replacen(&first_hash_line, &flipped, 1),
    );
    w.write("key-file", format!("{vkey}\n"));
    w.write("garbage-key", "this is not a key\n");
    // Ledgers in bad states.
    std::fs::create_dir(w.path("not-a-ledger")).unwrap();
    w.write("not-a-ledger/notes.txt", "hello");
    init(&w, "newer");
    let cfg = w.path("newer/ledger.json");
    std::fs::write(
        &cfg,
        std::fs::read_to_string(&cfg)
            .unwrap()
            .replace("\"format\": 2", "\"format\": 9"),
    )
    .unwrap();
    init(&w, "loose-key");
    std::fs::set_permissions(
        w.path("loose-key/key.pem"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    init(&w, "garbage-keyfile");
    std::fs::write(
        w.path("garbage-keyfile/key.pem"),
        "-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n",
    )
    .unwrap();
    init(&w, "damaged");
    let log = w.path("damaged/entries.log");
    let mut bytes = std::fs::read(&log).unwrap();
    bytes[20] ^= 1;
    std::fs::write(&log, bytes).unwrap();

    let v = vkey.as_str();
    let ov = other_vkey.as_str();
    let table = vec![
        case(
            "missing path",
            "ledger",
            &["add", "nope.txt", "--source", "s"],
            3,
            "does not exist",
        ),
        case(
            "missing path among good ones",
            "ledger",
            &["add", "ok.txt", "nope", "--source", "s"],
            3,
            "does not exist",
        ),
        case(
            "empty file",
            "ledger",
            &["add", "empty.txt", "--source", "s"],
            3,
            "is empty",
        ),
        case(
            "FIFO",
            "ledger",
            &["add", "fifo", "--source", "s"],
            3,
            "not a regular file",
        ),
        case(
            "symlink loop",
            "ledger",
            &["add", "loop-a", "--source", "s"],
            3,
            "symlink loop",
        ),
        case(
            "empty source",
            "ledger",
            &["add", "ok.txt", "--source", ""],
            3,
            "--source is empty",
        ),
        case(
            "blank source",
            "ledger",
            &["add", "ok.txt", "--source", "   "],
            3,
            "--source is empty",
        ),
        case(
            "source with control characters",
            "ledger",
            &["add", "ok.txt", "--source", "evil\u{1b}[2J"],
            3,
            "control characters",
        ),
        case(
            "metadata key without =",
            "ledger",
            &["add", "ok.txt", "--source", "s", "--meta", "date"],
            3,
            "has no '='",
        ),
        case(
            "metadata key twice",
            "ledger",
            &[
                "add", "ok.txt", "--source", "s", "--meta", "a=1", "--meta", "a=2",
            ],
            3,
            "given twice",
        ),
        case(
            "metadata key with control characters",
            "ledger",
            &["add", "ok.txt", "--source", "s", "--meta", "k\u{7}=v"],
            3,
            "control characters",
        ),
        case(
            "related link malformed",
            "ledger",
            &["add", "ok.txt", "--source", "s", "--related", "copy_of"],
            3,
            "RELATION=SEQ",
        ),
        case(
            "related link to the future",
            "ledger",
            &["add", "ok.txt", "--source", "s", "--related", "copy_of=999"],
            3,
            "not earlier",
        ),
        case(
            "--sha256 not hex",
            "ledger",
            &["add", "--sha256", "xyz", "--size", "1", "--source", "s"],
            3,
            "64 hex digits",
        ),
        case(
            "--batch 0",
            "ledger",
            &["add", "ok.txt", "--source", "s", "--batch", "0"],
            2,
            "--help",
        ),
        case(
            "stdin with other paths",
            "ledger",
            &["add", "-", "ok.txt", "--source", "s"],
            2,
            "only path",
        ),
        case(
            "ledger missing",
            "nowhere",
            &["check", "ok.txt"],
            4,
            "prov init",
        ),
        case(
            "not a ledger",
            "not-a-ledger",
            &["key"],
            4,
            "not a prov ledger",
        ),
        case("newer format version", "newer", &["key"], 4, "upgrade prov"),
        case(
            "key readable by others",
            "loose-key",
            &["add", "ok.txt", "--source", "s"],
            4,
            "chmod 600",
        ),
        case(
            "key file garbage",
            "garbage-keyfile",
            &["add", "ok.txt", "--source", "s"],
            4,
            "not an Ed25519 PKCS#8 PEM",
        ),
        case("damaged log", "damaged", &["audit"], 1, "audit failed"),
        case(
            "init over a ledger",
            "ledger",
            &["init"],
            3,
            "already holds a ledger",
        ),
        case(
            "init in a non-empty folder",
            "not-a-ledger",
            &["init"],
            3,
            "not empty",
        ),
        case(
            "origin with a space",
            "fresh",
            &["init", "--origin", "has space"],
            3,
            "invalid origin",
        ),
        case(
            "wrong verifier key",
            "ledger",
            &["verify-proof", "p.tlog-proof", "--key", ov],
            1,
            "not signed by any trusted key",
        ),
        case(
            "malformed verifier key",
            "ledger",
            &["verify-proof", "p.tlog-proof", "--key", "x+y+z"],
            3,
            "malformed verifier key",
        ),
        case(
            "garbage key file",
            "ledger",
            &["verify-proof", "p.tlog-proof", "--key", "garbage-key"],
            3,
            "verifier key",
        ),
        case(
            "truncated proof",
            "ledger",
            &["verify-proof", "p-trunc", "--key", v],
            3,
            "malformed",
        ),
        case(
            "proof with extra lines",
            "ledger",
            &["verify-proof", "p-extra", "--key", v],
            3,
            "malformed",
        ),
        case(
            "proof with control characters",
            "ledger",
            &["verify-proof", "p-ctrl", "--key", v],
            3,
            "malformed",
        ),
        case(
            "proof with a huge index",
            "ledger",
            &["verify-proof", "p-huge", "--key", v],
            3,
            "malformed",
        ),
        case(
            "proof with a bad signature",
            "ledger",
            &["verify-proof", "p-badsig", "--key", v],
            1,
            "does not verify",
        ),
        case(
            "proof at tree size 0",
            "ledger",
            &["verify-proof", "p-size0", "--key", v],
            1,
            "outside a tree of size 0",
        ),
        case(
            "proof without the entry",
            "ledger",
            &["verify-proof", "p-noextra", "--key", v],
            3,
            "carries no entry",
        ),
        case(
            "malformed JSON proof",
            "ledger",
            &["verify-proof", "p-bad.json", "--key", v],
            3,
            "JSON proof is malformed",
        ),
        case(
            "proof file missing",
            "ledger",
            &["verify-proof", "gone.tlog-proof", "--key", v],
            3,
            "cannot read proof",
        ),
        case(
            "proof is a folder",
            "ledger",
            &["verify-proof", "docs", "--key", v],
            3,
            "is a folder",
        ),
        case(
            "document is a folder",
            "ledger",
            &[
                "verify-proof",
                "p.tlog-proof",
                "--key",
                v,
                "--document",
                "docs",
            ],
            3,
            "is a folder",
        ),
        case(
            "truncated checkpoint",
            "ledger",
            &["consistency", "cp-trunc"],
            3,
            "malformed",
        ),
        case(
            "checkpoint with an unsigned extra line",
            "ledger",
            &["consistency", "cp-extra"],
            1,
            "does not verify",
        ),
        case(
            "consistency proof for the wrong sizes",
            "ledger",
            &["verify-consistency", "cp3.txt", "c-wrongsize", "--key", v],
            1,
            "proves nothing",
        ),
        case(
            "tampered consistency proof",
            "ledger",
            &["verify-consistency", "cp3.txt", "c-tampered", "--key", v],
            1,
            "does not verify",
        ),
        case(
            "show something that is no entry",
            "ledger",
            &["show", "abc"],
            3,
            "neither a sequence number",
        ),
        case(
            "show beyond the end",
            "ledger",
            &["show", "99"],
            8,
            "no entry 99",
        ),
        case(
            "log from beyond the end",
            "ledger",
            &["log", "--from", "99"],
            3,
            "past the end",
        ),
        case(
            "prove at a size never issued",
            "ledger",
            &["prove", "0", "--at", "2"],
            3,
            "no checkpoint was issued",
        ),
        case(
            "prove a folder",
            "ledger",
            &["prove", "docs"],
            3,
            "is a folder",
        ),
        case(
            "check an unknown document",
            "ledger",
            &["check", "ok.txt"],
            1,
            "unknown",
        ),
    ];
    assert!(table.len() >= 30);
    for c in &table {
        let before = (
            w.ledger_state(),
            std::fs::read(w.path(&format!("{}/entries.log", c.ledger))).ok(),
        );
        let r = run_in(&w, c.ledger, &c.args);
        assert_eq!(
            r.code, c.code,
            "{}: exit {} (want {}): {}",
            c.name, r.code, c.code, r.stderr
        );
        assert_eq!(
            r.stderr.trim_end().lines().count(),
            1,
            "{}: not one line: {}",
            c.name,
            r.stderr
        );
        assert!(
            r.stderr.contains(c.needle),
            "{}: {:?} lacks {:?}",
            c.name,
            r.stderr,
            c.needle
        );
        assert!(!r.stderr.contains("panicked"), "{}: {}", c.name, r.stderr);
        let after = (
            w.ledger_state(),
            std::fs::read(w.path(&format!("{}/entries.log", c.ledger))).ok(),
        );
        assert!(before == after, "{}: the ledger changed", c.name);
    }
    assert!(
        !w.path("fresh").exists(),
        "a refused init left a folder behind"
    );
}

#[test]
fn a_file_name_that_is_not_utf8_is_kept_losslessly() {
    let w = Workspace::new();
    w.init();
    let name = std::ffi::OsStr::from_bytes(b"r\xe9sum\xe9.txt");
    std::fs::create_dir(w.path("latin1")).unwrap();
    std::fs::write(w.path("latin1").join(name), "cv").unwrap();
    w.run(&["add", "latin1", "--source", "s"]).ok();
    let e = w.run(&["show", "0", "--json"]).json();
    assert_eq!(e["name_hex"], hex::encode(b"r\xe9sum\xe9.txt"));
}

#[test]
fn a_file_that_changes_while_hashed_is_refused() {
    let w = Workspace::new();
    w.init();
    let path = w.write("growing.log", vec![b'x'; 64 << 20]);
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            use std::io::Write;
            let mut f = std::fs::OpenOptions::new().append(true).open(path).unwrap();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                f.write_all(b"more\n").unwrap();
                std::thread::sleep(std::time::Duration::from_micros(200));
            }
        })
    };
    let before = w.ledger_state();
    let r = w.run(&["add", "growing.log", "--source", "s"]);
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    writer.join().unwrap();
    r.fails(3, "changed while it was being hashed");
    assert_eq!(w.ledger_state(), before);
}
