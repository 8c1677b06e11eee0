//! The browser verifier's optional part, which reads a published tlog-tiles tree: `prov
//! publish` writes it, python's `http.server` serves it beside a copy of `web/dist`, and the
//! page fetches an entry and its proof by number, and proves that the log only grew.

use super::{answer, browser, drive, root, verdict};
use prov_tests::Workspace;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// `python3 -m http.server` on 127.0.0.1 serving `root`, on a port the OS chose; this one
/// child is killed, by its handle, when dropped.
struct Server {
    child: Child,
    port: u16,
}

impl Server {
    fn start(root: &Path) -> Server {
        let mut child = Command::new("python3")
            .args([
                "-u",
                "-m",
                "http.server",
                "--bind",
                "127.0.0.1",
                "--directory",
            ])
            .arg(root)
            .arg("0")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 serves the published folder");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        // "Serving HTTP on 127.0.0.1 port 40123 (http://127.0.0.1:40123/) ..."
        let port = line
            .split_whitespace()
            .skip_while(|w| *w != "port")
            .nth(1)
            .and_then(|p| p.parse().ok());
        Server {
            child,
            port: port.unwrap_or_else(|| panic!("no port in {line:?}")),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

#[test]
fn browser_checks_entries_and_growth_from_published_tiles() {
    let Some(chromium) = browser() else { return };
    let ws = Workspace::new();
    let key = ws.init();
    // 100 documents, a checkpoint kept, then 200 more: 300 entries, a full level-0 tile and a
    // partial one.
    let content = |i: u32| format!("document {i}\n").into_bytes();
    let manifest = |range: std::ops::Range<u32>| -> String {
        range
            .map(|i| {
                format!(
                    "{} {} doc-{i}.txt\n",
                    hex::encode(Sha256::digest(content(i))),
                    content(i).len()
                )
            })
            .collect()
    };
    ws.write("first.txt", manifest(0..100));
    ws.write("second.txt", manifest(100..300));
    ws.run(&[
        "add",
        "--manifest",
        "first.txt",
        "--source",
        "https://leaks.example/a",
    ])
    .ok();
    let old = ws.run(&["checkpoint"]).ok().to_owned();
    ws.run(&[
        "add",
        "--manifest",
        "second.txt",
        "--source",
        "https://leaks.example/b",
    ])
    .ok();
    let new = ws.run(&["checkpoint"]).ok().to_owned();
    let old_file = ws.write("old.txt", &old);
    let growth = ws
        .run(&["consistency", old_file.to_str().unwrap()])
        .ok()
        .to_owned();
    let site = ws.path("site");
    ws.run(&["publish", site.join("log").to_str().unwrap()])
        .ok();
    copy_dir(&root().join("web/dist"), &site.join("verify"));
    let doc = ws.write("doc-260.txt", content(260));
    let server = Server::start(&site);
    let base = format!("http://127.0.0.1:{}", server.port);

    let page = format!("{base}/verify/index.html");
    let tiles = format!("{base}/log/");
    let case = |name: &str, extra: Value| {
        let mut c = json!({"name": name, "url": page, "key": key, "tiles_url": tiles});
        c.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        c
    };
    let answers = drive(
        &ws,
        &chromium,
        "tiles",
        vec![
            case(
                "entry-in-partial-tile",
                json!({"action": "entry", "entry_index": 260, "document": doc}),
            ),
            case(
                "entry-in-full-tile",
                json!({"action": "entry", "entry_index": 5}),
            ),
            case(
                "entry-wrong-document",
                json!({"action": "entry", "entry_index": 5, "document": doc}),
            ),
            case(
                "entry-not-yet",
                json!({"action": "entry", "entry_index": 300}),
            ),
            case(
                "grew-from-tiles",
                json!({"action": "consistency", "old_checkpoint": old, "new_checkpoint": new}),
            ),
            case(
                "grew-offline",
                json!({"action": "consistency", "old_checkpoint": old, "new_checkpoint": growth}),
            ),
            case(
                "grew-backwards",
                json!({"action": "consistency", "old_checkpoint": new, "new_checkpoint": old}),
            ),
        ],
    );
    verdict(
        &answers,
        "entry-in-partial-tile",
        None,
        &[
            "Proven: this exact document was recorded by e2e.example/ledger.",
            "from https://leaks.example/b",
            "This is entry 260 of the archive's log, which held 300 entries",
        ],
    );
    assert_eq!(
        answer(&answers, "entry-in-partial-tile")["saved_proof"],
        true
    );
    verdict(
        &answers,
        "entry-in-full-tile",
        None,
        &[
            "The proof is valid, but no document was checked.",
            "from https://leaks.example/a",
        ],
    );
    verdict(
        &answers,
        "entry-wrong-document",
        Some("document_hash"),
        &["This is not the recorded document"],
    );
    verdict(
        &answers,
        "entry-not-yet",
        Some("tiles"),
        &["The archive's log has no entry 300: it holds 300 entries"],
    );
    verdict(
        &answers,
        "grew-from-tiles",
        None,
        &["Proven: the archive's log only grew, from 100 to 300 entries."],
    );
    verdict(
        &answers,
        "grew-offline",
        None,
        &["Proven: the archive's log only grew, from 100 to 300 entries."],
    );
    verdict(
        &answers,
        "grew-backwards",
        Some("consistency"),
        &["give them the other way round"],
    );
    for a in &answers {
        for r in a["requests"].as_array().unwrap() {
            assert!(r.as_str().unwrap().starts_with(&base), "{r}");
        }
    }
    let offline = answer(&answers, "grew-offline")["requests"].to_string();
    assert!(
        !offline.contains("/log/"),
        "a consistency text needs no tiles: {offline}"
    );
    assert!(
        answer(&answers, "entry-in-partial-tile")["requests"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r.as_str().unwrap().contains("/log/tile/"))
    );
    drop(server);
}
