//! The README walkthrough, archivist then auditor, checking every --json shape.

use prov_tests::Workspace;
use sha2::{Digest, Sha256};

fn sha(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

#[test]
fn archivist_and_auditor_walkthrough() {
    let w = Workspace::new();
    let vkey = w.init();
    assert!(vkey.starts_with("e2e.example/ledger+"), "{vkey}");
    assert_eq!(w.run(&["key"]).ok().trim(), vkey);
    let k = w.run(&["key", "--json"]).json();
    assert_eq!(k["vkey"], vkey.as_str());
    assert_eq!(k["origin"], "e2e.example/ledger");

    w.write("dump/a.eml", "first email, kept as plain text\n");
    w.write("dump/sub/b.pdf", "%PDF-1.4 contract");
    w.write("dump/c.csv", "x,y\n1,2\n");
    let r = w.run(&[
        "add",
        "dump",
        "--source",
        "https://leak.example/1",
        "--meta",
        "case=17",
        "--json",
    ]);
    let lines = r.jsonl();
    assert_eq!(lines.len(), 3);
    for l in &lines {
        assert_eq!(l["status"], "first_seen");
        for key in ["path", "status", "seq", "sha256", "size", "first_seen"] {
            assert!(l.get(key).is_some(), "add --json lacks {key}: {l}");
        }
        assert_eq!(l["first_seen"]["seq"], l["seq"]);
        assert_eq!(l["first_seen"]["source"], "https://leak.example/1");
        assert!(l["first_seen"]["time"].as_str().unwrap().ends_with('Z'));
    }
    assert_eq!(lines[0]["path"].as_str().unwrap(), "dump/a.eml");
    assert_eq!(
        lines[0]["sha256"],
        sha(b"first email, kept as plain text\n").as_str()
    );
    let first_time = lines[0]["first_seen"]["time"].clone();
    let cp1 = w.run(&["checkpoint"]).ok().to_owned();
    w.write("cp1.txt", &cp1);
    assert!(cp1.starts_with("e2e.example/ledger\n3\n"), "{cp1}");

    // The same file from a second source: a sighting that keeps the first-seen time.
    w.write("mirror/a.eml", "first email, kept as plain text\n");
    let r = w.run(&[
        "add",
        "mirror/a.eml",
        "--source",
        "mailto:tip@news.example",
        "--json",
    ]);
    let s = &r.jsonl()[0];
    assert_eq!(s["status"], "sighting");
    assert_eq!(s["seq"], 3);
    assert_eq!(s["first_seen"]["seq"], 0);
    assert_eq!(s["first_seen"]["time"], first_time);
    assert_eq!(s["first_seen"]["source"], "https://leak.example/1");
    // Human output says so too, and re-running is already recorded.
    let again = w.run(&["add", "mirror/a.eml", "--source", "mailto:tip@news.example"]);
    assert!(again.ok().contains("already recorded"), "{}", again.stdout);
    let r = w.run(&[
        "add",
        "dump",
        "--source",
        "https://leak.example/1",
        "--json",
    ]);
    assert!(r.jsonl().iter().all(|l| l["status"] == "already_recorded"));
    // By hash alone, and from stdin.
    let h = sha(b"kept elsewhere");
    let r = w.run(&[
        "add",
        "--sha256",
        &h,
        "--size",
        "14",
        "--source",
        "court exhibit 12",
        "--json",
    ]);
    assert_eq!(r.jsonl()[0]["status"], "first_seen");
    let r = w.run_stdin(
        &[
            "add",
            "-",
            "--name",
            "memo.txt",
            "--source",
            "stdin-src",
            "--json",
        ],
        b"piped memo",
    );
    assert_eq!(r.jsonl()[0]["sha256"], sha(b"piped memo").as_str());

    // check: known with sightings, unknown, exit codes and JSON shape.
    w.write("other.txt", "never seen");
    let r = w.run(&["check", "dump/a.eml", "--json"]);
    let c = r.json();
    assert_eq!(c["known"], true);
    assert_eq!(c["first_seen"]["seq"], 0);
    assert_eq!(c["sightings"][0]["source"], "mailto:tip@news.example");
    for key in ["path", "sha256", "known", "first_seen", "sightings"] {
        assert!(c.get(key).is_some(), "check --json lacks {key}");
    }
    let r = w.run(&["check", "dump/a.eml", "other.txt", "--json"]);
    assert_eq!(r.code, 1);
    let v = r.jsonl();
    assert_eq!(
        (v[0]["known"].clone(), v[1]["known"].clone()),
        (true.into(), false.into())
    );
    assert!(v[1]["first_seen"].is_null());
    assert!(w.run(&["check", "other.txt"]).stdout.contains("unknown"));

    // show / log / export.
    let e = w.run(&["show", "3", "--json"]).json();
    assert_eq!(
        (e["kind"].clone(), e["first_seen_seq"].clone()),
        ("sighting".into(), 0.into())
    );
    let by_hash = w
        .run(&["show", &sha(b"first email, kept as plain text\n"), "--json"])
        .jsonl();
    assert_eq!(by_hash.len(), 2);
    assert_eq!(by_hash[0]["metadata"]["case"], "17");
    assert_eq!(w.run(&["log", "--json"]).jsonl().len(), 6);
    assert_eq!(
        w.run(&["log", "--from", "4", "--limit", "1", "--json"])
            .jsonl()[0]["seq"],
        4
    );
    assert_eq!(w.run(&["export", "--format", "jsonl"]).jsonl().len(), 6);
    let csv = w.run(&["export", "--format", "csv"]).ok().to_owned();
    assert_eq!(csv.lines().count(), 7);
    assert!(
        csv.starts_with("seq,kind,first_seen_seq,time,sha256,size,name,media_type,source,agent,name_hex,claim_about,claim_verdict,metadata,related,digests,prev,leaf_hash,key_id,signature\n")
    );

    // prove -> verify-proof, text and JSON forms, on "another machine" (no --ledger needed).
    w.run(&["prove", "dump/a.eml", "-o", "a.tlog-proof"]).ok();
    let text = std::fs::read_to_string(w.path("a.tlog-proof")).unwrap();
    assert!(text.starts_with("c2sp.org/tlog-proof@v1\nextra "), "{text}");
    w.run(&["prove", "0", "--json", "-o", "a.json"]).ok();
    let pj: serde_json::Value =
        serde_json::from_slice(&std::fs::read(w.path("a.json")).unwrap()).unwrap();
    for key in [
        "checkpoint",
        "leaf_index",
        "entry",
        "inclusion_proof",
        "decoded",
    ] {
        assert!(pj.get(key).is_some(), "prove --json lacks {key}");
    }
    assert_eq!(
        pj["decoded"]["sha256"],
        sha(b"first email, kept as plain text\n").as_str()
    );
    let elsewhere = Workspace::new();
    for f in ["a.tlog-proof", "a.json"] {
        std::fs::copy(w.path(f), elsewhere.path(f)).unwrap();
        std::fs::copy(w.path("dump/a.eml"), elsewhere.path("a.eml")).unwrap();
        let r = elsewhere.run(&["verify-proof", f, "--key", &vkey, "--document", "a.eml"]);
        assert!(r.ok().contains("verified: entry 0"), "{}", r.stdout);
        let v = elsewhere
            .run(&[
                "verify-proof",
                f,
                "--key",
                &vkey,
                "--document",
                "a.eml",
                "--json",
            ])
            .json();
        assert_eq!(v["verified"], true);
        assert_eq!(v["source"], "https://leak.example/1");
        assert_eq!(v["document_matches"], true);
        assert_eq!(v["checkpoint_size"], 6);
    }
    // The key can be given as a file.
    w.write("ledger.vkey", format!("{vkey}\n"));
    w.run(&["verify-proof", "a.tlog-proof", "--key", "ledger.vkey"])
        .ok();

    // consistency against the saved checkpoint, text and JSON.
    w.run(&["consistency", "cp1.txt", "-o", "since.txt"]).ok();
    assert!(
        std::fs::read_to_string(w.path("since.txt"))
            .unwrap()
            .starts_with("old 3\n")
    );
    let v = w
        .run(&[
            "verify-consistency",
            "cp1.txt",
            "since.txt",
            "--key",
            &vkey,
            "--json",
        ])
        .json();
    assert_eq!(
        (
            v["consistent"].clone(),
            v["old_size"].clone(),
            v["new_size"].clone()
        ),
        (true.into(), 3.into(), 6.into())
    );
    let cj = w.run(&["consistency", "cp1.txt", "--json"]).json();
    for key in ["old_size", "consistency_proof", "checkpoint"] {
        assert!(cj.get(key).is_some(), "consistency --json lacks {key}");
    }
    w.write("since.json", cj.to_string());
    w.run(&[
        "verify-consistency",
        "cp1.txt",
        "since.json",
        "--key",
        &vkey,
    ])
    .ok();

    // audit, reindex, audit again.
    let a = w.run(&["audit", "--key", &vkey, "--json"]).json();
    assert_eq!(
        (
            a["ok"].clone(),
            a["entries"].clone(),
            a["sightings"].clone()
        ),
        (true.into(), 6.into(), 1.into())
    );
    assert!(a["fault"].is_null());
    assert!(w.run(&["audit"]).ok().contains("audit passed: 6 entries"));
    std::fs::remove_dir_all(w.ledger().join("content")).unwrap();
    assert_eq!(w.run(&["reindex", "--json"]).json()["entries"], 6);
    assert_eq!(
        w.run(&["check", "dump/a.eml", "--json"]).json()["sightings"][0]["seq"],
        3
    );
    w.run(&["audit"]).ok();
    let cp = w.run(&["checkpoint", "--json"]).json();
    assert_eq!(cp["size"], 6);
    assert!(w.run(&["completions", "bash"]).ok().contains("prov"));
}

#[test]
fn demo_runs_clean() {
    let w = Workspace::new();
    let r = w.run(&["demo"]);
    let out = r.ok();
    assert!(
        out.contains("audit passed: 18 entries (10 first seen, 8 sightings)"),
        "{out}"
    );
    assert!(out.contains("(exit 1, as expected)"));
}

#[test]
fn folders_skip_symlinks_unless_asked() {
    let w = Workspace::new();
    w.init();
    w.write("outside/secret.txt", "outside the folder");
    w.write("dump/real.txt", "real");
    std::os::unix::fs::symlink(w.path("outside/secret.txt"), w.path("dump/link.txt")).unwrap();
    std::os::unix::fs::symlink(w.path("dump"), w.path("dump/loop")).unwrap();
    let r = w.run(&["add", "dump", "--source", "s", "--json"]);
    assert_eq!(r.documents().len(), 1, "{}", r.stdout);
    assert!(r.stdout.contains("symlink not followed"), "{}", r.stdout);
    let r = w.run(&["add", "dump", "-L", "--source", "t", "--json"]);
    let paths: Vec<String> = r
        .documents()
        .iter()
        .map(|l| l["path"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(paths, ["dump/link.txt", "dump/real.txt"], "{}", r.stderr);
    assert!(r.stdout.contains("already visited"), "{}", r.stdout);
}
