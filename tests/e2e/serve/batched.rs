//! `prov --server URL add` of a folder sends many files per request (`--hash-only`: JSON
//! lists of documents; the bytes: multipart bodies) and several requests at once
//! (`--in-flight`), and prints
//! exactly what one request per file prints, and what `prov add` prints on the ledger
//! itself: the same documents, statuses, first sightings, containers and paths.

use super::{Hold, Serve, archivist};
use prov_tests::{Run, Workspace};
use serde_json::Value;
use std::collections::BTreeMap;

const SOURCE: &str = "https://leak.example/dump";

/// A folder of 17 files: distinct ones first, a tar whose member is also a file of the
/// folder, a copy of the first file, one recorded before from this source and one from
/// another. Made once, so every ledger sees the same bytes at the same paths.
fn dump(src: &Workspace) -> String {
    for i in 0..12 {
        src.write(&format!("dump/{i:02}.txt"), format!("doc {i}\n"));
    }
    src.write("pack/a.txt", "alpha\n");
    src.write("pack/c.txt", "gamma\n");
    let ok = std::process::Command::new("tar")
        .current_dir(src.path(""))
        .args(["cf", "dump/12-pack.tar", "pack/a.txt", "pack/c.txt"])
        .status()
        .unwrap();
    assert!(ok.success());
    src.write("dump/13-alpha.txt", "alpha\n");
    src.write("dump/14-dup.txt", "doc 0\n");
    src.write("dump/15-old.txt", "recorded before\n");
    src.write("dump/16-elsewhere.txt", "from elsewhere\n");
    src.path("dump").to_str().unwrap().to_owned()
}

/// A fresh ledger holding the two documents recorded before (entries 0 and 1).
fn ledger(dump: &str) -> Workspace {
    let w = Workspace::new();
    w.init();
    w.run(&["add", &format!("{dump}/15-old.txt"), "--source", SOURCE])
        .ok();
    w.run(&["add", &format!("{dump}/16-elsewhere.txt"), "-s", "other"])
        .ok();
    w
}

fn through(w: &Workspace, s: &Serve, token: &str, dump: &str, args: &[&str]) -> Vec<Value> {
    let mut c = w.cmd(&[
        "--server", &s.url, "add", dump, "--source", SOURCE, "--json",
    ]);
    c.args(args).env("PROV_TOKEN", token);
    let run = Run::from(c.output().unwrap());
    run.ok();
    run.documents()
}

/// The answers with each entry number named by the path of the document that made it
/// (entries made before keep their number), and no times.
fn named(docs: &[Value]) -> Vec<Value> {
    let mut made = BTreeMap::new();
    for v in docs {
        if v["status"] != "already_recorded" {
            made.insert(v["seq"].as_u64().unwrap(), v["path"].clone());
        }
    }
    let name = |s: &Value| {
        s.as_u64()
            .and_then(|n| made.get(&n).cloned())
            .unwrap_or_else(|| s.clone())
    };
    docs.iter()
        .map(|v| {
            let mut v = v.clone();
            v["first_seen"]["time"] = Value::Null;
            v["seq"] = name(&v["seq"]);
            v["contained_in"] = name(&v["contained_in"]);
            v["first_seen"]["seq"] = name(&v["first_seen"]["seq"]);
            v
        })
        .collect()
}

fn untimed(docs: &[Value]) -> Vec<Value> {
    docs.iter()
        .map(|v| {
            let mut v = v.clone();
            v["first_seen"]["time"] = Value::Null;
            v
        })
        .collect()
}

fn posts(s: &Serve) -> usize {
    s.log().matches("POST /v1/documents 200").count()
}

#[test]
fn hash_only_sends_many_files_per_request_with_the_results_of_one_by_one() {
    let src = Workspace::new();
    let dump = dump(&src);
    let local = ledger(&dump);
    let mine = local
        .run(&["add", &dump, "--source", SOURCE, "--json"])
        .documents();
    assert_eq!(mine.len(), 19, "17 files and the tar's two members");
    let statuses: Vec<&str> = mine.iter().map(|v| v["status"].as_str().unwrap()).collect();
    let n = |want: &str| statuses.iter().filter(|s| **s == want).count();
    assert_eq!(
        n("already_recorded"),
        1,
        "the one recorded before: {statuses:?}"
    );
    assert_eq!(
        n("sighting"),
        3,
        "the copy of 00, the member's twin, the one from elsewhere: {statuses:?}"
    );
    // One by one (a list of one file each), in lists of at most 5 documents (each file
    // whole: 5, 5, 5 with the tar and its members, 4), and all in one.
    for (batch, requests) in [("1", 17), ("5", 4), ("4096", 1)] {
        let w = ledger(&dump);
        let token = archivist(&w, "kim@news.example");
        let s = Serve::start(&w, &[], &[]);
        let theirs = through(&w, &s, &token, &dump, &["--hash-only", "--batch", batch]);
        assert_eq!(untimed(&theirs), untimed(&mine), "--batch {batch}");
        assert_eq!(posts(&s), requests, "--batch {batch}: {}", s.log());
    }
}

#[test]
fn bytes_go_many_files_per_request_with_the_results_of_one_by_one() {
    let src = Workspace::new();
    let dump = dump(&src);
    let local = ledger(&dump);
    let mine = local
        .run(&["add", &dump, "--source", SOURCE, "--json"])
        .documents();
    // In requests of at most 5 files (5, 5, 5, 2), one at a time, then all in one request
    // (the default), each request one multipart body the server records as one commit.
    for (args, requests) in [(&["--batch", "5", "--in-flight", "1"][..], 4), (&[][..], 1)] {
        let w = ledger(&dump);
        let token = archivist(&w, "kim@news.example");
        let s = Serve::start(&w, &[], &[]);
        let theirs = through(&w, &s, &token, &dump, args);
        assert_eq!(untimed(&theirs), untimed(&mine), "{args:?}");
        assert_eq!(posts(&s), requests, "{args:?}: {}", s.log());
        assert_eq!(w.run(&["log", "--json"]).jsonl().len(), 20);
    }
    // In requests of at most 5 files, 4 at once: the third request holds a copy of the
    // first file (14-dup.txt), so it waits for the first, and every file still says what it
    // says one by one (the tar's member and its twin 13-alpha.txt share the third).
    let w = ledger(&dump);
    let token = archivist(&w, "kim@news.example");
    let s = Serve::start(&w, &[], &[]);
    let four = through(&w, &s, &token, &dump, &["--batch", "5", "--in-flight", "4"]);
    assert_eq!(named(&four), named(&mine));
    assert_eq!(posts(&s), 4);
    assert_eq!(w.run(&["log", "--json"]).jsonl().len(), 20);
}

#[test]
fn bytes_go_several_at_once_with_the_results_of_one_by_one() {
    let src = Workspace::new();
    let dump = dump(&src);
    let local = ledger(&dump);
    let mine = local
        .run(&["add", &dump, "--source", SOURCE, "--json"])
        .documents();
    // One at a time: the very entries `prov add` makes.
    let w = ledger(&dump);
    let token = archivist(&w, "kim@news.example");
    let s = Serve::start(&w, &[], &[]);
    let one = through(&w, &s, &token, &dump, &["--batch", "1", "--in-flight", "1"]);
    assert_eq!(untimed(&one), untimed(&mine));
    drop(s);
    // Four at once: the writer is held until four uploads wait together.
    let w = ledger(&dump);
    let token = archivist(&w, "kim@news.example");
    let hold = Hold::new(&w);
    let s = Serve::start(&w, &[], &[hold.env()]);
    let mut c = w.cmd(&[
        "--server", &s.url, "add", &dump, "--source", SOURCE, "--json",
    ]);
    c.args(["--batch", "1", "--in-flight", "4"])
        .env("PROV_TOKEN", &token)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let child = c.spawn().unwrap();
    hold.wait_for(4);
    hold.release();
    let run = Run::from(child.wait_with_output().unwrap());
    run.ok();
    let four = run.documents();
    // The same documents, statuses and links, printed in the order of the files; only
    // the entry numbers may interleave otherwise.
    assert_eq!(named(&four), named(&mine));
    assert!(s.log().contains("writer: 4 uploads"), "{}", s.log());
    assert_eq!(posts(&s), 17);
    // And the ledger holds each entry once: 2 before, 18 made now.
    let log = w.run(&["log", "--json"]).jsonl();
    assert_eq!(log.len(), 20);
}

/// A request of many files opens one at a time (a folder of more files than the process
/// may open still goes in one request), and a refused request names its files.
#[test]
fn many_files_go_with_few_descriptors_and_a_refusal_names_its_files() {
    let w = Workspace::new();
    w.init();
    let token = archivist(&w, "kim@news.example");
    for i in 0..300 {
        w.write(&format!("many/{i:03}.txt"), format!("file {i}\n"));
    }
    let s = Serve::start(&w, &[], &[]);
    let script = format!(
        "ulimit -n 64 && exec '{}' --ledger '{}' --server '{}' add many --source s -q",
        prov_tests::prov_bin().display(),
        w.ledger().display(),
        s.url
    );
    let mut c = std::process::Command::new("sh");
    c.args(["-c", &script])
        .current_dir(w.path(""))
        .env("PROV_TOKEN", &token);
    let r = Run::from(c.output().unwrap());
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(posts(&s), 1);
    assert_eq!(w.run(&["log", "--json"]).jsonl().len(), 300);
    // A document held by hash with another size: its request is refused whole, and says
    // which files were not recorded.
    for i in 0..5 {
        w.write(&format!("more/{i}.txt"), format!("more {i}\n"));
    }
    let sha = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(b"more 2\n"))
    };
    let by_hash = format!(r#"{{"sha256": "{sha}", "size": 99, "source": "s"}}"#);
    let r = super::post_json(&s, Some(&token), "/v1/documents", &by_hash);
    assert_eq!(r.status, 200, "{}", r.body);
    let mut c = w.cmd(&["--server", &s.url, "add", "more", "--source", "s"]);
    c.env("PROV_TOKEN", &token);
    Run::from(c.output().unwrap()).fails(
        3,
        "nothing of this request was recorded, its 5 files: more/0.txt",
    );
    // And the look-alike flags are refused: the server links at its own threshold.
    let mut c = w.cmd(&[
        "--server",
        &s.url,
        "add",
        "more",
        "--source",
        "s",
        "--no-similar",
    ]);
    c.env("PROV_TOKEN", &token);
    Run::from(c.output().unwrap()).fails(2, "local ledger only");
}
