//! Review of the first-hour CLI edges (merge 629af35): short hashes, the re-run note, `check -q`
//! and a closed pipe, usage lines, the kind of a file given in the wrong place, and `--json`
//! paths. Each test states what should happen; the ones that fail are findings.

use prov_tests::Workspace;
use sha2::{Digest, Sha256};
use std::process::{Command, Stdio};

fn sha(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

/// README: `prov show` takes "the start of one [SHA-256] as `prov log` prints it (16 hex
/// digits; at least 4)". About 15% of SHA-256s start with 4 decimal digits; such a start is
/// taken as a sequence number when it has fewer than 8 digits, even past the ledger's end.
#[test]
fn show_takes_a_short_hash_made_only_of_decimal_digits() {
    let w = Workspace::new();
    w.init();
    let text = (0u32..)
        .map(|i| format!("doc {i}"))
        .find(|t| sha(t.as_bytes())[..4].bytes().all(|b| b.is_ascii_digit()))
        .unwrap();
    w.write("a.txt", &text);
    w.run(&["add", "a.txt", "--source", "s"]).ok();
    let h = sha(text.as_bytes());
    for n in [4, 5, 6, 7] {
        if !h[..n].bytes().all(|b| b.is_ascii_digit()) {
            break;
        }
        let r = w.run(&["show", &h[..n]]);
        assert_eq!(
            r.code,
            0,
            "`prov show {}` (the first {n} digits of the only entry's SHA-256, past the end as a number): {}",
            &h[..n],
            r.stderr
        );
        assert!(r.stdout.contains(&h), "{}", r.stdout);
    }
}

/// README: a re-run with other `--meta` "records none of them, and says so on stderr with the
/// entry that keeps the first ones". The note looks only at the first document found already
/// recorded: when that one happens to have the fields given now, the others' are not named.
#[test]
fn the_unrecorded_meta_note_does_not_depend_on_which_document_comes_first() {
    let w = Workspace::new();
    w.init();
    w.write("a.txt", "alpha");
    w.write("b.txt", "beta");
    w.run(&["add", "a.txt", "--source", "s", "--meta", "case=1"])
        .ok();
    w.run(&["add", "b.txt", "--source", "s", "--meta", "case=2"])
        .ok();
    // b.txt (case=2) is reported first; a.txt keeps case=1, so case=2 is not recorded for it.
    let r = w.run(&["add", "b.txt", "a.txt", "--source", "s", "--meta", "case=2"]);
    assert!(r.ok().starts_with("nothing added"), "{}", r.stdout);
    assert_eq!(
        w.run(&["show", "0", "--json"]).json()["metadata"]["case"],
        "1",
        "a.txt keeps its first metadata"
    );
    assert!(
        r.stderr.contains("--meta"),
        "no note that --meta case=2 was not recorded for a.txt (entry 0): stderr {:?}",
        r.stderr
    );
}

/// `--name` is where a document sits, part of its place: a re-run with another name is the
/// same content found at another place, so it is recorded as a sighting, and the first name
/// stays with the first entry.
#[test]
fn a_rerun_with_another_name_records_the_other_place() {
    let w = Workspace::new();
    w.init();
    w.run_stdin(
        &["add", "-", "--source", "s", "--name", "one.txt"],
        b"hello",
    )
    .ok();
    let r = w.run_stdin(
        &["add", "-", "--source", "s", "--name", "two.txt"],
        b"hello",
    );
    assert!(r.ok().contains("1 seen again"), "{}", r.stdout);
    assert_eq!(w.run(&["show", "0", "--json"]).json()["name"], "one.txt");
    let second = w.run(&["show", "1", "--json"]).json();
    assert_eq!(second["name"], "two.txt");
    assert_eq!(second["kind"], "sighting");
    // The same name again: nothing added.
    let again = w.run_stdin(
        &["add", "-", "--source", "s", "--name", "two.txt"],
        b"hello",
    );
    assert!(again.ok().starts_with("nothing added"), "{}", again.stdout);
}

/// `check` answers by its exit code ("Exit 0 when every document is known, 1 when any is
/// not"), and `check -q` now prints the unknown files. A reader that goes away (`| head -1`)
/// turns the negative answer into exit 0: under `set -o pipefail`, "all known".
#[test]
fn check_quiet_keeps_exit_1_when_its_reader_goes_away() {
    let w = Workspace::new();
    w.init();
    w.write("new.txt", "never added");
    let mut child = w
        .cmd(&["check", "-q", "new.txt"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The reader is gone before prov writes its first line.
    drop(child.stdout.take());
    let o = child.wait_with_output().unwrap();
    assert_eq!(
        o.status.code(),
        Some(1),
        "a document is unknown, yet the exit says every one is known; stderr {:?}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// README: "a usage error names the missing or wrong argument and gives the command's usage
/// line". A missing or invalid option value gives no usage line and points at `prov --help`
/// instead of the command's page.
#[test]
fn a_wrong_option_value_gives_the_commands_usage_line() {
    let w = Workspace::new();
    w.init();
    w.write("a.txt", "a");
    for (args, cmd) in [
        (vec!["prove", "0", "--at"], "prove"),
        (vec!["log", "--limit", "x"], "log"),
        (vec!["export", "--format", "xml"], "export"),
        (vec!["add", "a.txt", "--source", "s", "--batch", "0"], "add"),
    ] {
        let r = w.run(&args);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert!(
            r.stderr.contains(&format!("(usage: prov {cmd} ")),
            "{args:?}: no usage line: {}",
            r.stderr
        );
        assert!(
            r.stderr.contains(&format!("`prov {cmd} --help`")),
            "{args:?}: points at the wrong help page: {}",
            r.stderr
        );
    }
}

/// With `PROV_LEDGER` set (as the README's quick start does), the usage line of a usage error
/// lists `--ledger <LEDGER>` among the required arguments; it is never required.
#[test]
fn the_usage_line_does_not_list_ledger_as_required_when_prov_ledger_is_set() {
    let w = Workspace::new();
    w.init();
    let o = Command::new(prov_tests::prov_bin())
        .current_dir(w.tmp.path())
        .env("PROV_LEDGER", w.ledger())
        .args(["add", "a.txt"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("--source <SOURCE>"), "{err}");
    assert!(
        !err.contains("--ledger <LEDGER>"),
        "the usage line makes --ledger look required: {err}"
    );
}

/// `verify-consistency PROOF CHECKPOINT` says the files are swapped when the checkpoint is
/// `prov checkpoint --json`'s; following that advice then fails with "malformed signed note",
/// naming neither the file nor that it is the JSON form.
#[test]
fn the_swapped_advice_for_a_json_checkpoint_leads_somewhere() {
    let w = Workspace::new();
    let vkey = w.init();
    w.write("a.txt", "alpha");
    w.run(&["add", "a.txt", "--source", "s"]).ok();
    w.write("cp.txt", w.run(&["checkpoint"]).ok());
    w.write("cp.json", w.run(&["checkpoint", "--json"]).ok());
    w.write("b.txt", "beta");
    w.run(&["add", "b.txt", "--source", "s"]).ok();
    w.run(&["consistency", "cp.txt", "-o", "proof.txt"]).ok();
    let swapped = w.run(&["verify-consistency", "proof.txt", "cp.json", "--key", &vkey]);
    swapped.fails(3, "the two files are swapped");
    let r = w.run(&["verify-consistency", "cp.json", "proof.txt", "--key", &vkey]);
    assert!(
        r.code == 0 || r.stderr.contains("cp.json"),
        "the order the swapped message asked for: exit {}, {}",
        r.code,
        r.stderr
    );
}

/// `prov help formats` (new): "--json is exact". The `path` of `add --json` and `check --json`
/// replaces bytes that are not UTF-8 with U+FFFD, so two files whose names differ only there
/// get the same path (the entry JSON has `name_hex` for this; these objects have nothing).
#[test]
fn add_and_check_json_tell_apart_names_that_are_not_utf8() {
    use std::os::unix::ffi::OsStrExt;
    let w = Workspace::new();
    w.init();
    let d = w.path("d");
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(d.join(std::ffi::OsStr::from_bytes(b"\xff")), "one").unwrap();
    std::fs::write(d.join(std::ffi::OsStr::from_bytes(b"\xfe")), "two").unwrap();
    assert!(
        w.run(&["help", "formats"]).ok().contains("--json is exact"),
        "the claim under test"
    );
    for args in [
        vec!["check", "d", "--json"],
        vec!["add", "d", "--source", "s", "--json"],
    ] {
        let lines = w.run(&args).jsonl();
        assert_eq!(lines.len(), 2, "{args:?}");
        assert_ne!(
            lines[0]["sha256"], lines[1]["sha256"],
            "sanity: two documents"
        );
        let exact = |l: &serde_json::Value| serde_json::json!([l["path"], l.get("path_hex")]);
        assert_ne!(
            exact(&lines[0]),
            exact(&lines[1]),
            "{args:?}: two different file names give the same JSON path: {lines:?}"
        );
    }
}

/// What held, kept as a test: hash starts of 63, 64 and 65 digits, uppercase, non-hex, an
/// empty ledger, and a start that matches a sighting's content.
#[test]
fn show_edges_that_hold() {
    let w = Workspace::new();
    w.init();
    w.run(&["show", "abcd"])
        .fails(1, "no entry has a SHA-256 that starts with abcd");
    w.run(&["show", "0"])
        .fails(8, "no entry 0: the ledger has 0 entries");
    w.write("a.txt", "alpha");
    w.run(&["add", "a.txt", "--source", "s1"]).ok();
    w.run(&["add", "a.txt", "--source", "s2"]).ok();
    let h = sha(b"alpha");
    let n = w.run(&["show", &h[..63], "--json"]).jsonl();
    assert_eq!(n.len(), 2, "first seen and the sighting");
    assert_eq!(w.run(&["show", &h.to_uppercase(), "--json"]).jsonl(), n);
    w.run(&["show", &format!("{h}0")])
        .fails(3, "neither a sequence number nor a SHA-256");
    w.run(&["show", "zzzz"])
        .fails(3, "neither a sequence number nor a SHA-256");
}

/// The error for a target that is neither a number nor a hash escapes it, and then
/// `stderr_line` escapes the whole line again: the user reads `'a\\x1b[31m'` and `'a\\\\b'`.
#[test]
fn show_escapes_a_bad_target_once() {
    let w = Workspace::new();
    w.init();
    w.run(&["show", "a\u{1b}[31m"])
        .fails(3, "'a\\x1b[31m' is neither");
    w.run(&["show", "a\\b"]).fails(3, "'a\\\\b' is neither");
}

/// A path of the user's that is a file where a folder belongs is bad input (exit 3) for
/// `publish DIR` and `prove -o`; `prov man --dir FILE` says "File exists" with exit 5
/// (environment).
#[test]
fn man_dir_onto_a_file_is_bad_input_like_publish() {
    let w = Workspace::new();
    w.init();
    w.write("afile", "not a folder");
    w.run(&["publish", "afile"]).fails(3, "afile");
    w.run(&["man", "--dir", "afile"]).fails(3, "afile");
}
