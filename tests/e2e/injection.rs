//! Untrusted text (file names, sources, agents, origins) never reaches the terminal raw:
//! human output escapes it, JSON keeps it exact, the ledger refuses bidi controls and line
//! separators in what it records, and CSV cells never start a formula.

use prov_tests::Workspace;
use std::os::unix::ffi::OsStrExt;

/// A name that forges a line, retitles the terminal and reverses the text after it.
const EVIL: &[u8] =
    b"memo\nfirst seen        forged.pdf  (entry 99)\x1b]0;owned\x07\xe2\x80\xaefdp.exe";
const EVIL_SHOWN: &str =
    "memo\\nfirst seen        forged.pdf  (entry 99)\\x1b]0;owned\\x07\\u{202e}fdp.exe";

fn assert_clean(what: &str, text: &str) {
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{7}') && !text.contains('\u{202e}'),
        "{what} printed a raw control: {text:?}"
    );
    assert!(
        !text
            .lines()
            .any(|l| l.starts_with("first seen        forged.pdf")),
        "{what} printed a forged line: {text:?}"
    );
}

fn workspace_with_evil_name() -> Workspace {
    let w = Workspace::new();
    w.init();
    std::fs::create_dir(w.path("dump")).unwrap();
    std::fs::write(
        w.path("dump").join(std::ffi::OsStr::from_bytes(EVIL)),
        "payload",
    )
    .unwrap();
    w
}

#[test]
fn names_are_escaped_in_every_human_output_and_exact_in_json() {
    let w = workspace_with_evil_name();
    let add = w.run(&["add", "dump", "--source", "s"]);
    let out = add.ok();
    assert_clean("add", out);
    assert!(
        out.contains(&format!("first seen        dump/{EVIL_SHOWN}  (entry 0)")),
        "{out}"
    );

    let log = w.run(&["log"]);
    assert_clean("log", log.ok());
    assert!(log.stdout.contains(EVIL_SHOWN), "{}", log.stdout);
    assert_eq!(log.stdout.lines().count(), 1);

    let show = w.run(&["show", "0"]);
    assert_clean("show", show.ok());
    assert!(
        show.stdout
            .contains(&format!("  name        {EVIL_SHOWN}\n"))
    );

    let check = w.run(&["check", "dump"]);
    assert_clean("check", check.ok());
    assert!(
        check
            .stdout
            .starts_with(&format!("known    dump/{EVIL_SHOWN}  first seen"))
    );

    // JSON keeps the exact text.
    let e = w.run(&["show", "0", "--json"]).json();
    assert_eq!(e["name"].as_str().unwrap().as_bytes(), EVIL);
}

#[test]
fn errors_and_notes_are_one_escaped_line() {
    let w = workspace_with_evil_name();
    let missing = "gone\nprov: all good\u{1b}[2J";
    let r = w.run(&["add", missing, "--source", "s"]);
    r.fails(3, "gone\\nprov: all good\\x1b[2J does not exist");
    assert_clean("an error", &r.stderr);

    // A skipped symlink's note names it escaped.
    std::os::unix::fs::symlink("/etc/hostname", w.path("dump").join("link\nline")).unwrap();
    let r = w.run(&["add", "dump", "--source", "t"]);
    r.ok();
    assert!(
        r.stderr
            .contains("skipped dump/link\\nline: symlink not followed"),
        "{}",
        r.stderr
    );
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
}

#[test]
fn sources_agents_and_origins_with_bidi_controls_or_separators_are_refused() {
    let w = Workspace::new();
    w.init();
    w.write("a.txt", "alpha");
    let before = w.ledger_state();
    for (args, needle) in [
        (
            vec![
                "add",
                "a.txt",
                "--source",
                "https://evil.example/\u{202e}fdp.exe",
            ],
            "invalid source: contains U+202E",
        ),
        (
            vec!["add", "a.txt", "--source", "a\u{2028}b"],
            "invalid source: contains U+2028",
        ),
        (
            vec!["add", "a.txt", "--source", "s", "--agent", "me\u{2066}x"],
            "invalid agent: contains U+2066",
        ),
        (
            vec!["add", "a.txt", "--source", "s", "--agent", "me\u{200f}"],
            "invalid agent: contains U+200F",
        ),
    ] {
        w.run(&args).fails(3, needle);
        assert_eq!(w.ledger_state(), before, "{args:?} changed the ledger");
    }
    let r = w.run_at(
        &w.path("fresh"),
        &["init", "--origin", "archive.example/\u{202e}skaeL"],
    );
    r.fails(3, "invalid origin: contains U+202E");
    assert!(!w.path("fresh").exists(), "a refused init left a folder");
}

#[test]
fn sources_are_escaped_where_they_are_printed() {
    // The ledger refuses controls in a source; a sighting line quotes another source, and
    // verify-proof prints the source: both escaped all the same (a backslash is doubled).
    let w = Workspace::new();
    let vkey = w.init();
    w.write("a.txt", "alpha");
    w.run(&["add", "a.txt", "--source", "C:\\leaks\\n"]).ok();
    let r = w.run(&["add", "a.txt", "--source", "mirror"]);
    assert!(
        r.ok().contains("from C:\\\\leaks\\\\n, entry 0"),
        "{}",
        r.stdout
    );
    w.run(&["prove", "0", "-o", "p.tlog-proof"]).ok();
    let r = w.run(&["verify-proof", "p.tlog-proof", "--key", &vkey]);
    assert!(
        r.ok().contains("  source    C:\\\\leaks\\\\n\n"),
        "{}",
        r.stdout
    );
}

#[test]
fn csv_cells_never_start_a_formula() {
    let w = Workspace::new();
    w.init();
    w.write("d/=HYPERLINK(\"http---evil.example\").pdf", "one");
    w.write("d/+1.txt", "two");
    w.write("d/plain.txt", "three");
    w.run(&["add", "d", "--source", "@SUM(1+1)", "--agent=-2+3"])
        .ok();
    let csv = w.run(&["export", "--format", "csv"]);
    let text = csv.ok();
    assert!(text.contains(",'+1.txt,"), "{text}");
    assert!(
        text.contains(",\"'=HYPERLINK(\"\"http---evil.example\"\").pdf\","),
        "{text}"
    );
    assert!(text.contains(",plain.txt,"), "{text}");
    for line in text.lines().skip(1) {
        assert!(line.contains(",'@SUM(1+1),'-2+3,"), "{line}");
    }
    // JSON Lines keeps the exact text.
    let e = w.run(&["export"]).jsonl();
    assert_eq!(e[0]["source"], "@SUM(1+1)");
}
