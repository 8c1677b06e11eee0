//! Several archivists appending at once: one commit for the uploads that wait together,
//! answers equal to `prov add --json`'s and `prov check --json`'s, the archivist as agent,
//! and every acknowledged entry still there after SIGKILL of the server and a restart.

use super::{Hold, Serve, archivist, get, try_post, upload};
use prov_tests::Workspace;
use sha2::Digest;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};

/// An acknowledged upload: its seq, its SHA-256 and its archivist.
type Acked = (u64, String, &'static str);

fn checkpoints(w: &Workspace) -> usize {
    w.run(&["checkpoints", "--json"]).jsonl().len()
}

#[test]
fn uploads_waiting_together_are_one_commit_and_answer_as_add_and_check_json_do() {
    let w = Workspace::new();
    w.init();
    let tokens = [
        archivist(&w, "alice@news.example"),
        archivist(&w, "bob@news.example"),
    ];
    let hold = Hold::new(&w);
    let s = Arc::new(Serve::start(&w, &[], &[hold.env()]));
    let before = checkpoints(&w);
    let threads: Vec<_> = (0..8)
        .map(|i| {
            let (s, token) = (s.clone(), tokens[i % 2].clone());
            std::thread::spawn(move || {
                let body = format!("document {i}\n");
                upload(
                    &s,
                    Some(&token),
                    &format!("source=mirror-{}&name=d{i}.txt", i % 2),
                    body.as_bytes(),
                )
            })
        })
        .collect();
    // All eight wait in the queue before the writer takes any: one group.
    hold.wait_for(8);
    hold.release();
    let answers: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    assert_eq!(
        checkpoints(&w),
        before + 1,
        "eight uploads that waited together are one commit with one checkpoint: {}",
        s.log()
    );
    let mut seqs = HashSet::new();
    for (i, a) in answers.iter().enumerate() {
        assert_eq!(a.status, 200, "{}", a.body);
        let v = a.json();
        assert_eq!(v["status"], "first_seen");
        assert!(seqs.insert(v["seq"].as_u64().unwrap()));
        let body = format!("document {i}\n");
        assert_eq!(
            v["sha256"],
            hex::encode(sha2::Sha256::digest(body.as_bytes()))
        );
        // The agent is the archivist whose token it was, never the client's word.
        let e = w.run(&["show", &v["seq"].to_string(), "--json"]).jsonl()[0].clone();
        let who = if i % 2 == 0 {
            "alice@news.example"
        } else {
            "bob@news.example"
        };
        assert_eq!(e["agent"], who);
        // GET /v1/documents/{sha256} is the very object `prov check --json` prints.
        let served = get(&format!(
            "{}/v1/documents/{}",
            s.url,
            v["sha256"].as_str().unwrap()
        ));
        assert_eq!(served.status, 200);
        let cli = w.run(&["check", "--sha256", v["sha256"].as_str().unwrap(), "--json"]);
        assert_eq!(served.json(), cli.json());
    }
    assert_eq!(seqs.len(), 8);
    // The same upload again is already recorded, and nothing is appended.
    let again = upload(
        &s,
        Some(&tokens[0]),
        "source=mirror-0&name=d0.txt",
        b"document 0\n",
    );
    assert_eq!(again.json()["status"], "already_recorded");
    assert_eq!(again.json()["seq"], answers[0].json()["seq"]);
    // Stop the server: `prov add` of the same bytes at the same place prints the object the
    // server answered, but for its status.
    drop(s);
    let cli = w.run_stdin(
        &[
            "add", "-", "--name", "d0.txt", "--source", "mirror-0", "--json",
        ],
        b"document 0\n",
    );
    let mut served = answers[0].json();
    served["status"] = "already_recorded".into();
    assert_eq!(cli.documents()[0], served);
}

#[test]
fn a_container_uploaded_is_extracted_as_add_extracts_it() {
    let w = Workspace::new();
    w.init();
    let token = archivist(&w, "carol@news.example");
    let s = Serve::start(&w, &[], &[]);
    // A tar with two members, made by the system's tar.
    w.write("pack/a.txt", "alpha\n");
    w.write("pack/b.txt", "beta\n");
    let ok = std::process::Command::new("tar")
        .current_dir(w.path(""))
        .args(["cf", "pack.tar", "pack/a.txt", "pack/b.txt"])
        .status()
        .unwrap();
    assert!(ok.success());
    let tar = std::fs::read(w.path("pack.tar")).unwrap();
    let a = upload(&s, Some(&token), "source=drop&name=pack.tar", &tar);
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.content_type, "application/jsonl");
    let lines: Vec<serde_json::Value> = a
        .body
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3, "the tar and its two members: {}", a.body);
    assert_eq!(lines[1]["contained_in"], lines[0]["seq"]);
    assert_eq!(lines[2]["path"], "-!pack/b.txt");
}

#[test]
fn every_acknowledged_entry_survives_kill_9_of_the_server() {
    let w = Workspace::new();
    let vkey = w.init();
    let names = ["ana@news.example", "ben@news.example", "cy@news.example"];
    let tokens: Vec<String> = names.iter().map(|n| archivist(&w, n)).collect();
    let s = Serve::start(&w, &[], &[]);
    let url = s.url.clone();
    let acked: Arc<Mutex<Vec<Acked>>> = Arc::default();
    let threads: Vec<_> = names
        .iter()
        .zip(tokens)
        .map(|(&name, token)| {
            let (acked, url) = (acked.clone(), url.clone());
            std::thread::spawn(move || {
                for i in 0..100_000 {
                    let body = format!("{name} document {i}\n");
                    let posted = try_post(
                        &format!("{url}/v1/documents?source=mirror&name={i}"),
                        Some(&token),
                        "application/octet-stream",
                        body.as_bytes(),
                    );
                    match posted {
                        Ok(r) if r.status == 200 => {
                            let v = r.json();
                            acked.lock().unwrap().push((
                                v["seq"].as_u64().unwrap(),
                                v["sha256"].as_str().unwrap().to_owned(),
                                name,
                            ));
                        }
                        Ok(r) => panic!("{}: {}", r.status, r.body),
                        // The server is gone.
                        Err(_) => return,
                    }
                }
            })
        })
        .collect();
    while acked.lock().unwrap().len() < 60 {
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    s.kill9();
    for t in threads {
        t.join().unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    // Restarted, the server finds every acknowledged entry, by seq and content, with its
    // archivist as agent.
    let s = Serve::start(&w, &[], &[]);
    for (seq, sha, name) in &acked {
        let e = get(&format!("{}/v1/entries/{seq}", s.url)).json();
        assert_eq!(e["sha256"], sha.as_str(), "entry {seq}");
        assert_eq!(e["agent"], *name, "entry {seq}");
    }
    // No duplicates: each content once, and seqs 0..size with no gap.
    let log = w.run(&["log", "--json"]).jsonl();
    let shas: HashSet<&str> = log.iter().map(|e| e["sha256"].as_str().unwrap()).collect();
    assert_eq!(shas.len(), log.len(), "a content recorded twice");
    assert!(log.len() >= acked.len());
    // It goes on appending after the restart.
    let token = archivist(&w, "dee@news.example");
    let after = upload(&s, Some(&token), "source=mirror", b"after the restart\n");
    assert_eq!(after.json()["seq"], log.len() as u64);
    drop(s);
    let audit = w.run(&["audit", "--json"]);
    assert_eq!(audit.code, 0, "{}{}", audit.stdout, audit.stderr);
    // And the published tree covers everything, as a tlog-tiles client reads it.
    let s = Serve::start(&w, &[], &[]);
    let (size, entries) = crate::publish::verified_tree(s.port, vkey.trim());
    assert_eq!(size, log.len() as u64 + 1);
    assert_eq!(entries.len() as u64, size);
}

#[test]
fn a_claim_posted_is_recorded_by_the_archivist_as_prov_claim_records_it() {
    let w = Workspace::new();
    w.init();
    let token = archivist(&w, "liv@news.example");
    let s = Serve::start(&w, &[], &[]);
    assert_eq!(
        upload(&s, Some(&token), "source=x&name=c.pdf", b"a contract\n").status,
        200
    );
    let body = r#"{"about": 0, "verdict": "forged", "by": "verification desk", "reason": "fonts postdate the date"}"#;
    let post = |body: &str, token: Option<&str>| super::post_json(&s, token, "/v1/claims", body);
    post(body, None).refused(401, "token");
    let r = post(body, Some(&token));
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert_eq!(v["status"], "recorded");
    assert_eq!(v["verdict"], "forged");
    assert_eq!(v["entry"]["agent"], "liv@news.example");
    post(
        r#"{"about": 9, "verdict": "forged", "by": "desk"}"#,
        Some(&token),
    )
    .refused(404, "9");
    post(
        r#"{"about": 0, "verdict": "fake", "by": "desk"}"#,
        Some(&token),
    )
    .refused(400, "verdict");
    // check through the server lists it, as `prov check` does.
    let sha = hex::encode(sha2::Sha256::digest(b"a contract\n"));
    let checked = get(&format!("{}/v1/documents/{sha}", s.url)).json();
    assert_eq!(checked["claims"][0]["verdict"], "forged");
    assert_eq!(checked["claims"][0]["recorded_by"], "liv@news.example");
    drop(s);
    // `by` is what the archivist wrote; who recorded it is shown beside it.
    w.write("c.pdf", "a contract\n");
    let shown = w.run(&["check", "c.pdf"]).ok().to_owned();
    assert!(
        shown.contains("forged, by verification desk (recorded by liv@news.example)"),
        "{shown}"
    );
    // The same claim again through `prov claim` is already recorded: the same object.
    let again = w.run(&[
        "claim",
        "0",
        "--verdict",
        "forged",
        "--by",
        "verification desk",
        "--reason",
        "fonts postdate the date",
        "--json",
    ]);
    let mut served = v.clone();
    served["status"] = "already_recorded".into();
    assert_eq!(again.json(), served);
}
