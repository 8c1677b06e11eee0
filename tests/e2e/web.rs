//! The browser verifier (`web/`), driven in Debian's headless Chromium as a person would use
//! it: `web/tests/drive.mjs` (Node with `playwright-core`) opens `web/dist/index.html`, sets
//! the document, proof and key files through the page's file inputs, clicks, and reads the
//! verdict; a screenshot of each verdict goes to `target/web-screenshots/`. The ledger, the
//! proofs, the published tiles (`web/tiles.rs`) and the witnesses' cosignatures
//! (`web/witnesses.rs`) are made by the real `prov` binary, and every verdict on a proof file
//! is compared with `prov verify-proof`'s on the same files.
//!
//! `web/dist` is built by `web/build.sh` (`.ci/run` runs it before `cargo test`), not here:
//! a cargo build inside a running `cargo test` would wait on the build folder's lock. A
//! `web/dist` older than its sources fails with what to run; a missing one, or a missing
//! Chromium, Node or `web/node_modules`, skips (and fails under CI, which installs them).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use prov_tests::{Workspace, skip};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

mod served;
mod tiles;
mod witnesses;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Newest modification time under `dir` (files only, recursively).
fn newest(dir: &Path) -> std::time::SystemTime {
    let mut t = std::time::UNIX_EPOCH;
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        let m = if p.is_dir() {
            newest(&p)
        } else {
            e.metadata().and_then(|m| m.modified()).unwrap_or(t)
        };
        t = t.max(m);
    }
    t
}

/// Chromium, and `web/dist` checked fresh; `None` (after saying why) when the tools are missing.
fn browser() -> Option<PathBuf> {
    let chromium = std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| "/usr/bin/chromium".into());
    let web = root().join("web");
    if !chromium.exists() {
        skip(&format!(
            "{} is missing (Debian's `chromium`; .ci/run installs it)",
            chromium.display()
        ));
        return None;
    }
    if Command::new("node").arg("--version").output().is_err() {
        skip("node is missing (Debian's `nodejs`; .ci/run installs it)");
        return None;
    }
    if !web.join("node_modules/playwright-core").exists() {
        skip("web/node_modules is missing: run `npm ci` in web/ (.ci/run does)");
        return None;
    }
    let built = web.join("dist/verifier_wasm.js");
    let Ok(built_at) = std::fs::metadata(&built).and_then(|m| m.modified()) else {
        skip("web/dist is not built: run web/build.sh (.ci/run does)");
        return None;
    };
    for src in [
        "web/index.html",
        "web/app.js",
        "web/style.css",
        "web/verifier",
        "proofs/src",
    ] {
        let p = root().join(src);
        let t = if p.is_dir() {
            newest(&p)
        } else {
            std::fs::metadata(&p).and_then(|m| m.modified()).unwrap()
        };
        assert!(
            t <= built_at,
            "web/dist is older than {src}: run web/build.sh"
        );
    }
    Some(chromium)
}

/// Runs the driver on `cases`; returns its answer for each case, by name.
fn drive(ws: &Workspace, chromium: &Path, test: &str, cases: Vec<Value>) -> Vec<Value> {
    let exe = std::env::current_exe().unwrap();
    let target = exe.ancestors().nth(3).unwrap().to_owned();
    let shots = target.join("web-screenshots").join(test);
    let _ = std::fs::remove_dir_all(&shots);
    std::fs::create_dir_all(&shots).unwrap();
    let plan = json!({
        "chromium": chromium,
        "profile": ws.path("chromium-profile"),
        "screenshots": shots,
        "cases": cases,
    });
    let plan_file = ws.write("plan.json", plan.to_string());
    let out = Command::new("node")
        .arg(root().join("web/tests/drive.mjs"))
        .arg(&plan_file)
        .current_dir(root().join("web"))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the driver failed: {}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    let answers: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        answers.len(),
        plan["cases"].as_array().unwrap().len(),
        "{stdout}"
    );
    for a in &answers {
        assert!(
            shots
                .join(format!("{}.png", a["name"].as_str().unwrap()))
                .exists()
        );
        assert_eq!(a["errors"], json!([]), "the page threw: {a}");
        assert_eq!(a["state"], "done", "{a}");
    }
    answers
}

fn answer<'a>(answers: &'a [Value], name: &str) -> &'a Value {
    answers.iter().find(|a| a["name"] == name).unwrap()
}

/// Asserts a verdict: good or the failed check, and sentences its text must hold.
fn verdict(answers: &[Value], name: &str, failed: Option<&str>, needles: &[&str]) {
    let a = answer(answers, name);
    assert_eq!(a["ok"], failed.is_none(), "{name}: {a}");
    assert_eq!(a["failed"], json!(failed), "{name}: {a}");
    let text = a["text"].as_str().unwrap();
    for n in needles {
        assert!(text.contains(n), "{name}: the verdict lacks {n:?}:\n{text}");
    }
}

/// `2026-11-24T06:52:43.165Z` as the page shows it.
fn page_time(rfc3339: &str) -> String {
    format!(
        "{} UTC",
        rfc3339.trim_end_matches('Z').replacen('T', " ", 1)
    )
}

#[test]
fn browser_verdicts_on_proofs_made_by_prov() {
    let Some(chromium) = browser() else { return };
    let ws = Workspace::new();
    let key = ws.init();
    let key_file = ws.write("ledger.vkey", format!("{key}\n"));
    // Over two 8 MiB slices, so the page hashes it in three.
    let big: Vec<u8> = (0..17_000_003u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let doc = ws.write("docs/contract.pdf", &big);
    ws.write("docs/other.txt", "another document\n");
    ws.run(&["add", "docs", "--source", "https://leaks.example/dump-1"])
        .ok();
    let proof = ws.path("contract.tlog-proof");
    ws.run(&["prove", "docs/contract.pdf", "-o", proof.to_str().unwrap()])
        .ok();
    let json_proof = ws.write(
        "contract.json",
        ws.run(&["prove", "docs/contract.pdf", "--json"]).ok(),
    );
    let shown = ws
        .run(&["show", &hex::encode(Sha256::digest(&big)), "--json"])
        .json();
    let seq = shown["seq"].as_u64().unwrap();
    let when = page_time(shown["time"].as_str().unwrap());

    // A proof whose entry names another source: re-encoded, it no longer hashes to its leaf.
    let text = std::fs::read_to_string(&proof).unwrap();
    let tampered = ws.write(
        "tampered.tlog-proof",
        text.lines()
            .map(|l| match l.strip_prefix("extra ") {
                Some(e) => {
                    let mut entry = STANDARD.decode(e).unwrap();
                    let at = entry.windows(5).position(|w| w == b"leaks").unwrap();
                    entry[at] = b'L';
                    format!("extra {}\n", STANDARD.encode(entry))
                }
                None => format!("{l}\n"),
            })
            .collect::<String>(),
    );
    // Another ledger of the same name: its key is not the archive's.
    let other = ws.path("other");
    ws.run_at(&other, &["init", "--origin", "e2e.example/ledger"])
        .ok();
    let other_key = ws.write("other.vkey", ws.run_at(&other, &["key"]).ok());

    let page = format!(
        "file://{}",
        root()
            .join("web/dist/index.html")
            .canonicalize()
            .unwrap()
            .display()
    );
    let case = |name: &str, extra: Value| {
        let mut c = json!({"name": name, "url": page, "action": "verify"});
        c.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        c
    };
    let answers = drive(
        &ws,
        &chromium,
        "proofs",
        vec![
            case(
                "valid",
                json!({"document": doc, "proof": proof, "key_file": key_file}),
            ),
            // The key is remembered from the case before; the proof is the --json form.
            case(
                "remembered-key-json-proof",
                json!({"document": doc, "proof": json_proof}),
            ),
            case(
                "wrong-document",
                json!({"document": ws.path("docs/other.txt"), "proof": proof, "key_file": key_file}),
            ),
            case(
                "tampered-proof",
                json!({"document": doc, "proof": tampered, "key_file": key_file}),
            ),
            case(
                "wrong-key",
                json!({"document": doc, "proof": proof, "key_file": other_key}),
            ),
            case("no-document", json!({"proof": proof, "key_file": key_file})),
        ],
    );

    let proven = "Proven: this exact document was recorded by e2e.example/ledger.";
    let first_seen =
        format!("e2e.example/ledger first saw it on {when}, from https://leaks.example/dump-1.");
    let position = format!("This is entry {seq} of the archive's log, which held 2 entries");
    verdict(
        &answers,
        "valid",
        None,
        &[
            proven,
            &first_seen,
            &position,
            "17,000,003 bytes",
            "contract.pdf",
        ],
    );
    let valid = answer(&answers, "valid");
    assert_eq!(
        valid["progress"], 1000,
        "the progress bar ends full: {valid}"
    );
    verdict(&answers, "remembered-key-json-proof", None, &[proven]);
    assert_eq!(
        answer(&answers, "remembered-key-json-proof")["key_on_load"],
        key.as_str()
    );
    verdict(
        &answers,
        "wrong-document",
        Some("document_hash"),
        &["This is not the recorded document", &first_seen],
    );
    verdict(
        &answers,
        "tampered-proof",
        Some("inclusion"),
        &["The proof does not show that the entry is in the archive's log."],
    );
    verdict(
        &answers,
        "wrong-key",
        Some("checkpoint"),
        &["The proof is not signed with the archive key you gave."],
    );
    verdict(
        &answers,
        "no-document",
        None,
        &[
            "The proof is valid, but no document was checked.",
            &first_seen,
        ],
    );
    for a in &answers {
        assert_eq!(
            a["requests"],
            json!([]),
            "a page opened from a file fetched something: {a}"
        );
    }

    // prov verify-proof reaches the same verdict on the same files.
    let vkey = |p: &Path| std::fs::read_to_string(p).unwrap().trim().to_owned();
    for (name, proof, key, document) in [
        ("valid", &proof, &key_file, Some(&doc)),
        (
            "wrong-document",
            &proof,
            &key_file,
            Some(&ws.path("docs/other.txt")),
        ),
        ("tampered-proof", &tampered, &key_file, Some(&doc)),
        ("wrong-key", &proof, &other_key, Some(&doc)),
        ("no-document", &proof, &key_file, None),
    ] {
        let mut args = vec![
            "verify-proof".to_owned(),
            proof.display().to_string(),
            "--key".into(),
            vkey(key),
        ];
        if let Some(d) = document {
            args.extend(["--document".into(), d.display().to_string()]);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let cli_ok = ws.run(&args).code == 0;
        assert_eq!(
            cli_ok,
            answer(&answers, name)["ok"] == true,
            "{name}: prov verify-proof disagrees"
        );
    }
}
