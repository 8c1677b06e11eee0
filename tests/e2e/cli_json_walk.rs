//! Every command `prov --help` lists, and every subcommand its own `--help` lists, run with
//! `--json` against a real ledger, a real witness and (with openssl) a real TSA: it either
//! honours `--json` (stdout one JSON object, or JSON Lines whose notes are records with a
//! `kind`; any note of a one-object command a JSON object on stderr) or refuses it with a
//! usage error object; a command line it cannot parse and a missing ledger give one error
//! object on stderr. The commands come from the help text, so a new one cannot slip by
//! without a case here.

use crate::timestamps::{Tsa, have_openssl};
use crate::witness::{Server, witness_init};
use prov_tests::{Run, Workspace, prov_bin};
use serde_json::Value;
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

/// The commands a help page lists under `Commands:`.
fn commands_in_help(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| l.trim_end() != "Commands:")
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .collect()
}

/// Every leaf command (`add`, `witness serve`): the top level's, and each one's own.
fn leaf_commands(w: &Workspace) -> BTreeSet<String> {
    let top = commands_in_help(w.run(&["--help"]).ok());
    assert!(top.len() > 20, "the help lists too few commands: {top:?}");
    let mut leaves = BTreeSet::new();
    for c in top {
        let subs = commands_in_help(w.run(&[&c, "--help"]).ok());
        if subs.is_empty() {
            leaves.insert(c.clone());
        }
        for s in subs {
            leaves.insert(format!("{c} {s}"));
        }
    }
    leaves
}

/// What `--json` gives.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Shape {
    /// One JSON object on stdout; notes, if any, JSON objects on stderr.
    One,
    /// JSON Lines on stdout, notes among them; nothing on stderr.
    Lines,
    /// A usage error (exit 2) saying to leave out --json; nothing on stdout.
    Refused,
}

/// Every line of `text` as a JSON object.
fn objects(text: &str, what: &str) -> Vec<Value> {
    text.lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l)
                .unwrap_or_else(|e| panic!("{what}: a line is not JSON ({e}): {l}"));
            assert!(v.is_object(), "{what}: not an object: {l}");
            v
        })
        .collect()
}

/// A note record: its text, and a `kind` of lower-case words.
fn is_note(v: &Value) -> bool {
    let Some(kind) = v.get("kind").and_then(Value::as_str) else {
        return false;
    };
    v["note"].is_string()
        && !kind.is_empty()
        && kind.chars().all(|c| c.is_ascii_lowercase() || c == '_')
}

/// Asserts the `--json` shape of a run that ended with `code`; returns the notes it gave.
fn assert_shape(r: &Run, what: &str, shape: Shape, code: i32) -> Vec<Value> {
    assert_eq!(r.code, code, "{what}: exit code; stderr: {}", r.stderr);
    let (out, err) = (objects(&r.stdout, what), objects(&r.stderr, what));
    // An error, when there is one, is the last object on stderr, and the only error.
    let errors = err.iter().filter(|v| v.get("error").is_some()).count();
    assert_eq!(errors, usize::from(code != 0), "{what}: {}", r.stderr);
    if code != 0 {
        let last = err.last().unwrap();
        assert_eq!(last["exit"], code, "{what}: {last}");
    }
    match shape {
        Shape::Refused => {
            assert!(r.stdout.is_empty(), "{what}: {}", r.stdout);
            assert_eq!(err.len(), 1, "{what}: {}", r.stderr);
            assert_eq!(err[0]["hint"], "leave out --json", "{what}");
            Vec::new()
        }
        Shape::One => {
            assert!(
                out.len() == 1 || (out.is_empty() && code != 0),
                "{what}: not one object on stdout: {}",
                r.stdout
            );
            let notes: Vec<Value> = err
                .into_iter()
                .filter(|v| v.get("error").is_none())
                .collect();
            assert!(notes.iter().all(is_note), "{what}: {}", r.stderr);
            notes
        }
        Shape::Lines => {
            assert_eq!(err.len(), errors, "{what}: notes on stderr: {}", r.stderr);
            let notes: Vec<Value> = out
                .into_iter()
                .filter(|v| v.get("note").is_some())
                .collect();
            assert!(notes.iter().all(is_note), "{what}: {}", r.stdout);
            notes
        }
    }
}

/// The walk: the commands run so far, and the last one's stdout.
struct Walk<'a> {
    w: &'a Workspace,
    seen: BTreeSet<String>,
    stdout: String,
}

impl Walk<'_> {
    /// Runs the command `name` with `args` and `--json`, and asserts its shape and exit
    /// code; returns its notes.
    fn run(&mut self, name: &str, args: &[&str], shape: Shape, code: i32) -> Vec<Value> {
        self.run_at(&self.w.ledger(), name, args, shape, code)
    }

    /// [`Walk::run`] against the ledger at `ledger`.
    fn run_at(
        &mut self,
        ledger: &std::path::Path,
        name: &str,
        args: &[&str],
        shape: Shape,
        code: i32,
    ) -> Vec<Value> {
        self.seen.insert(name.to_owned());
        let mut all = args.to_vec();
        all.push("--json");
        let r = self.w.run_at(ledger, &all);
        self.stdout.clone_from(&r.stdout);
        assert_shape(&r, &format!("{all:?}"), shape, code)
    }
}

/// The kinds of `notes`.
fn kinds(notes: &[Value]) -> Vec<&str> {
    notes.iter().filter_map(|n| n["kind"].as_str()).collect()
}

#[test]
fn every_command_in_the_help_honours_json_or_refuses_it() {
    let w = Workspace::new();
    let leaves = leaf_commands(&w);
    let vkey = w.init();
    w.write("doc.txt", "a document\n");
    w.write("memo.txt", "a memo\n");
    w.write(
        "plain.eml",
        "From: a@example.org\r\nSubject: hi\r\n\r\nbody\r\n",
    );
    w.run(&["add", "doc.txt", "--source", "s"]).ok();
    std::fs::write(w.path("old.cp"), w.run(&["checkpoint"]).ok()).unwrap();
    w.run(&["prove", "0", "-o", "doc.tlog-proof"]).ok();
    w.run(&["add", "memo.txt", "--source", "s"]).ok();
    w.run(&["consistency", "old.cp", "-o", "since.txt"]).ok();
    let witness_vkey = witness_init(&w, "wdir", "walk.example/w1");
    let server = Server::start(&w, "wdir", &vkey, &[]);
    let tsa = have_openssl().then(|| Tsa::start(&w.path("tsa"), "Walk TSA", true));
    let dkim_txt = "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";

    let mut walk = Walk {
        w: &w,
        seen: BTreeSet::new(),
        stdout: String::new(),
    };
    use Shape::*;
    // The commands that write the ledger come first, in an order that each one's input
    // exists: witnesses and TSAs are configured before `add --cosign --timestamp`.
    let notes = walk.run_at(
        &w.path("other"),
        "init",
        &["init", "--origin", "walk.example/o", "--key-file", "o.key"],
        One,
        0,
    );
    assert_eq!(kinds(&notes), ["key_file"]);
    walk.run(
        "witnesses add",
        &["witnesses", "add", &server.url, &witness_vkey],
        One,
        0,
    );
    walk.run("witnesses list", &["witnesses", "list"], Lines, 0);
    let mut stamp = vec![
        "add", "doc.txt", "--source", "s", "--meta", "k=v", "--cosign",
    ];
    if let Some(t) = &tsa {
        let cert = t.cert.to_str().unwrap();
        walk.run("tsas add", &["tsas", "add", &t.url, "--cert", cert], One, 0);
        stamp.push("--timestamp");
    } else {
        walk.seen.insert("tsas add".into());
    }
    let notes = walk.run("add", &stamp, Lines, 0);
    let mut want = vec!["fields_not_recorded", "cosigned"];
    if tsa.is_some() {
        want.push("timestamped");
    }
    assert_eq!(kinds(&notes), want, "{notes:?}");
    walk.run("tsas list", &["tsas", "list"], Lines, 0);
    walk.run("cosign", &["cosign"], Lines, 0);
    if tsa.is_some() {
        walk.run("timestamp", &["timestamp"], Lines, 0);
    } else {
        // No TSA to ask: the usage error, as one object.
        walk.run("timestamp", &["timestamp"], One, 2);
    }
    walk.run("timestamps", &["timestamps"], Lines, 0);
    let notes = walk.run(
        "claim",
        &["claim", "0", "--verdict", "authentic", "--by", "desk"],
        One,
        0,
    );
    assert_eq!(kinds(&notes), ["format_upgraded"]);
    walk.run(
        "dkim-key add",
        &[
            "dkim-key",
            "add",
            "--domain",
            "d.example",
            "--selector",
            "s",
            "--txt",
            dkim_txt,
            "--source",
            "dns",
        ],
        One,
        0,
    );
    // An email with no signature: the answer as one object, and the negative answer.
    walk.run("verify-dkim", &["verify-dkim", "plain.eml"], One, 1);
    walk.run("reindex", &["reindex"], One, 0);
    walk.run(
        "archivist add",
        &["archivist", "add", "liv@news.example"],
        One,
        0,
    );
    walk.run("archivist list", &["archivist", "list"], Lines, 0);
    walk.run(
        "archivist revoke",
        &["archivist", "revoke", "liv@news.example"],
        One,
        0,
    );
    // The readers.
    walk.run("check", &["check", "doc.txt", "memo.txt"], Lines, 0);
    // A text long enough for a fingerprint, like nothing recorded: the answer as one
    // object, and the negative answer.
    w.write(
        "long.txt",
        "the quick brown fox jumps over the lazy dog by the river bank\n".repeat(5),
    );
    walk.run("similar", &["similar", "long.txt"], One, 1);
    walk.run("show", &["show", "0"], Lines, 0);
    walk.run("log", &["log"], Lines, 0);
    walk.run("checkpoint", &["checkpoint"], One, 0);
    walk.run("checkpoints", &["checkpoints"], Lines, 0);
    walk.run("key", &["key"], One, 0);
    walk.run("prove", &["prove", "0"], One, 0);
    // Written to a file, the proof's place on stdout holds the `wrote` note.
    walk.run("prove", &["prove", "1", "-o", "memo.json"], One, 0);
    let wrote: Value = serde_json::from_str(&walk.stdout).unwrap();
    assert_eq!(wrote["kind"], "wrote", "{wrote}");
    assert_eq!(wrote["path"], "memo.json", "{wrote}");
    let written: Value =
        serde_json::from_slice(&std::fs::read(w.path("memo.json")).unwrap()).unwrap();
    assert_eq!(written["leaf_index"], 1);
    walk.run(
        "verify-proof",
        &["verify-proof", "doc.tlog-proof", "--key", &vkey],
        One,
        0,
    );
    walk.run("consistency", &["consistency", "old.cp"], One, 0);
    walk.run(
        "verify-consistency",
        &["verify-consistency", "old.cp", "since.txt", "--key", &vkey],
        One,
        0,
    );
    walk.run("audit", &["audit", "--key", &vkey], One, 0);
    walk.run("publish", &["publish", "tiles"], One, 0);
    walk.run("export", &["export"], Lines, 0);
    walk.run("export", &["export", "--format", "bagit", "bag"], One, 0);
    walk.run("export", &["export", "--audit-bundle", "bundle"], One, 0);
    walk.run("export", &["export", "--format", "csv"], Refused, 2);
    walk.run("export", &["export", "--format", "sha256sum"], Refused, 2);
    walk.run(
        "witness init",
        &[
            "witness",
            "init",
            "--dir",
            "w2",
            "--name",
            "walk.example/w2",
        ],
        One,
        0,
    );
    let w2: Value = serde_json::from_str(&walk.stdout).unwrap();
    for refused in [
        &["completions", "bash"][..],
        &["help", "add"],
        &["man"],
        &["demo"],
    ] {
        walk.run(refused[0], refused, Refused, 2);
    }
    // `witness serve` runs until stopped: its address line is a record, and so is each
    // answer it gives (the cosignature it makes for `prov cosign`).
    walk.seen.insert("witness serve".into());
    let mut serve = Command::new(prov_bin())
        .current_dir(w.path(""))
        .args([
            "witness",
            "serve",
            "--dir",
            "w2",
            "--addr",
            "127.0.0.1:0",
            "--log",
            &vkey,
            "--json",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(serve.stdout.take().unwrap()).lines();
    let first: Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
    let url = first["url"].as_str().unwrap().to_owned();
    let w2_vkey = w2["vkey"].as_str().unwrap();
    let cosigned = w.run(&["cosign", "--witness", &format!("{url}={w2_vkey}"), "--json"]);
    assert_shape(&cosigned, "cosign with w2", Lines, 0);
    let answer: Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
    assert_eq!(answer["kind"], "witness_answer", "{answer}");
    assert_eq!(answer["status"], 200, "{answer}");
    let _ = serve.kill();
    let _ = serve.wait();
    drop(server);
    // `serve` runs until stopped too: its address line is one object.
    walk.seen.insert("serve".into());
    let mut ledger_server = w
        .cmd(&["serve", "--addr", "127.0.0.1:0", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(ledger_server.stdout.take().unwrap()).lines();
    let first: Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
    assert!(
        first["url"]
            .as_str()
            .unwrap()
            .starts_with("http://127.0.0.1:"),
        "{first}"
    );
    let _ = ledger_server.kill();
    let _ = ledger_server.wait();

    assert_eq!(
        walk.seen, leaves,
        "the commands the help lists and the ones this test runs differ"
    );
    // Any command line that does not parse, and any ledger command with no ledger: one
    // error object on stderr, nothing on stdout.
    for leaf in &leaves {
        let mut args: Vec<&str> = leaf.split(' ').collect();
        args.extend(["--json", "--no-such-option"]);
        let r = w.run(&args);
        let v = r.fails_json(2, "--no-such-option");
        assert!(r.stdout.is_empty(), "{leaf}: {}", r.stdout);
        assert!(
            v["hint"]
                .as_str()
                .is_some_and(|h| h.starts_with(&format!("usage: prov {leaf}"))),
            "{leaf}: {v}"
        );
    }
    for args in [
        &["log"][..],
        &["check", "doc.txt"],
        &["audit"],
        &["export"],
        &["key"],
    ] {
        let mut all = args.to_vec();
        all.push("--json");
        let r = w.run_at(std::path::Path::new("nowhere"), &all);
        r.fails_json(4, "no ledger at nowhere");
        assert!(r.stdout.is_empty(), "{args:?}: {}", r.stdout);
    }
}
