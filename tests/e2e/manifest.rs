//! `prov add --manifest`: every line checked before anything is recorded, errors that name
//! the line, memory bounded by the batch whatever the manifest's size, CRLF line ends.

use prov_tests::Workspace;
use std::io::Write;

const HELLO: &str = "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03";

fn sha(i: u32) -> String {
    format!("{i:064x}")
}

#[test]
fn a_bad_line_anywhere_records_nothing_and_names_its_line() {
    // A name the ledger's field rule refuses (4,100 bytes), and a line too long to be read
    // as one (5,000 bytes): each is found before anything is recorded.
    for name_len in [4100, 5000] {
        bad_line_case(name_len);
    }
}

fn bad_line_case(name_len: usize) {
    let w = Workspace::new();
    w.init();
    let long = "n".repeat(name_len);
    w.write(
        "manifest.txt",
        format!(
            "{} 1 a\n{} 2 b\n{} 3 c\n{} 4 {long}\n{} 5 e\n",
            sha(1),
            sha(2),
            sha(3),
            sha(4),
            sha(5)
        ),
    );
    let before = w.ledger_state();
    let r = w.run(&[
        "add",
        "--manifest",
        "manifest.txt",
        "--source",
        "s",
        "--batch",
        "2",
    ]);
    r.fails(3, "manifest.txt:4: ");
    assert!(r.stderr.contains("4096 bytes"), "{}", r.stderr);
    if name_len == 4100 {
        assert!(r.stderr.contains("invalid name"), "{}", r.stderr);
    }
    assert_eq!(
        w.ledger_state(),
        before,
        "lines before the bad one were recorded"
    );
    assert_eq!(w.run(&["log"]).ok(), "");

    // A syntax error is named by its line too, blank lines counted.
    w.write("syntax.txt", format!("{} 1 a\n\n{} x b\n", sha(1), sha(2)));
    w.run(&["add", "--manifest", "syntax.txt", "--source", "s"])
        .fails(3, "syntax.txt:3: expected `<sha256 hex> <size> <name>`");
    assert_eq!(w.ledger_state(), before);
}

#[test]
fn a_crlf_manifest_records_names_without_the_carriage_return() {
    let w = Workspace::new();
    w.init();
    w.write(
        "manifest.txt",
        format!(
            "{} 1 a.pdf\r\n{} 2 b c.pdf\r\n{HELLO} 6\r\n",
            sha(1),
            sha(2)
        ),
    );
    w.run(&["add", "--manifest", "manifest.txt", "--source", "s"])
        .ok();
    let names: Vec<_> = w
        .run(&["log", "--json"])
        .jsonl()
        .iter()
        .map(|e| e["name"].clone())
        .collect();
    assert_eq!(
        names,
        [
            serde_json::json!("a.pdf"),
            serde_json::json!("b c.pdf"),
            serde_json::Value::Null
        ]
    );
}

#[test]
fn a_manifest_on_stdin_is_checked_whole_before_recording() {
    let w = Workspace::new();
    w.init();
    let before = w.ledger_state();
    let bad = format!("{} 1 a\n{} 2 b\nnonsense\n", sha(1), sha(2));
    w.run_stdin(
        &["add", "--manifest", "-", "--source", "s", "--batch", "1"],
        bad.as_bytes(),
    )
    .fails(3, "stdin:3: expected");
    assert_eq!(w.ledger_state(), before);
    let good = format!("{} 1 a\n{} 2 b\n", sha(1), sha(2));
    let r = w.run_stdin(
        &["add", "--manifest", "-", "--source", "s"],
        good.as_bytes(),
    );
    assert!(r.ok().contains("2 documents: 2 first seen"), "{}", r.stdout);
}

/// A manifest of `lines` lines of one 4 KiB name, all for the same content from the same source
/// and place (so recording stays cheap: one entry, the rest already recorded).
fn big_manifest(w: &Workspace, lines: u32) -> u64 {
    let path = w.path("big.txt");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    let filler = "n".repeat(3992);
    for _ in 0..lines {
        writeln!(f, "{HELLO} 6 {filler}").unwrap();
    }
    f.flush().unwrap();
    drop(f);
    std::fs::metadata(&path).unwrap().len()
}

#[test]
fn memory_is_bounded_by_the_batch_not_by_the_manifest() {
    let w = Workspace::new();
    w.init();
    let bytes = big_manifest(&w, 34_000);
    assert!(bytes > 128 << 20);
    let maxrss = std::path::Path::new(env!("CARGO_BIN_EXE_maxrss"));
    let (r, kib) = w.run_measured(
        maxrss,
        &[
            "add",
            "--manifest",
            "big.txt",
            "--source",
            "s",
            "--batch",
            "256",
            "-q",
        ],
    );
    r.ok();
    // The whole manifest in memory (as it once was) is 128 MiB and more; batches of 256
    // lines of at most ~4 KiB, plus the program itself, stay far below.
    assert!(
        kib < 48 * 1024,
        "peak memory {kib} KiB for a {bytes}-byte manifest: not bounded by the batch"
    );
    assert_eq!(w.run(&["log"]).ok().lines().count(), 1);
}
