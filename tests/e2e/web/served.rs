//! The browser verifier served by `prov serve --web web/dist` at `/verify/` (issue 16 item
//! 4): a reader opens the archive's own address in headless Chromium, checks a document and
//! the proof the same server gave, and checks an entry fetched from the tiles the server
//! publishes, with the page's Content-Security-Policy in force (a violation would show in
//! the browser's console, which the test reads).

use super::{browser, drive, root, verdict};
use crate::serve::Serve;
use prov_tests::Workspace;
use serde_json::json;

/// GET with no redirect followed: status, the named header, body.
fn fetch(url: &str, header: &str) -> (u16, Option<String>, Vec<u8>) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into();
    let mut r = agent.get(url).call().unwrap();
    let h = r
        .headers()
        .get(header)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (r.status().as_u16(), h, r.body_mut().read_to_vec().unwrap())
}

#[test]
fn prov_serve_serves_the_browser_verifier_and_it_verifies_against_the_server() {
    let Some(chromium) = browser() else { return };
    let ws = Workspace::new();
    let key = ws.init();
    let doc = ws.write("memo.txt", "the memo, as leaked\n");
    ws.write("other.txt", "another document\n");
    ws.run(&[
        "add",
        "memo.txt",
        "other.txt",
        "--source",
        "https://leaks.example/a",
    ])
    .ok();
    let dist = root().join("web/dist");
    let s = Serve::start(&ws, &["--web", dist.to_str().unwrap()], &[]);

    // The page, its files and its policy.
    let (status, location, _) = fetch(&format!("{}/verify", s.url), "location");
    assert_eq!((status, location.as_deref()), (308, Some("/verify/")));
    let (status, csp, body) = fetch(&format!("{}/verify/", s.url), "content-security-policy");
    assert_eq!(status, 200);
    assert_eq!(body, std::fs::read(dist.join("index.html")).unwrap());
    let csp = csp.expect("the page has a Content-Security-Policy");
    assert!(
        csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    let (status, kind, _) = fetch(
        &format!("{}/verify/verifier_wasm.js", s.url),
        "content-type",
    );
    assert_eq!(
        (status, kind.as_deref()),
        (200, Some("text/javascript; charset=utf-8"))
    );
    // Only the page's own files: nothing else of the folder, and no way out of it.
    std::fs::write(ws.path("secret.txt"), "not for the web").unwrap();
    for path in [
        "/verify/secret.txt",
        "/verify/../secret.txt",
        "/verify/%2e%2e/key.pem",
    ] {
        let (status, _, _) = fetch(&format!("{}{path}", s.url), "content-type");
        assert_eq!(status, 404, "{path}");
    }

    // The proof, as the server gives it.
    let proof = super::super::serve::get(&format!("{}/v1/proofs/0", s.url));
    assert_eq!(proof.status, 200, "{}", proof.body);
    let proof_file = ws.write("memo.tlog-proof", &proof.body);
    let page = format!("{}/verify/", s.url);
    let answers = drive(
        &ws,
        &chromium,
        "served",
        vec![
            json!({"name": "served-valid", "url": page, "action": "verify",
                   "document": doc, "proof": proof_file, "key": key}),
            json!({"name": "served-wrong-document", "url": page, "action": "verify",
                   "document": ws.path("other.txt"), "proof": proof_file, "key": key}),
            // The tiles address is the server's own, filled in by the page.
            json!({"name": "served-entry", "url": page, "action": "entry",
                   "entry_index": 1, "document": ws.path("other.txt"), "key": key}),
        ],
    );
    verdict(
        &answers,
        "served-valid",
        None,
        &["memo.txt", "https://leaks.example/a"],
    );
    verdict(
        &answers,
        "served-wrong-document",
        Some("document_hash"),
        &[],
    );
    verdict(&answers, "served-entry", None, &["other.txt"]);
    for a in &answers {
        assert_eq!(
            a["console_errors"],
            json!([]),
            "the page broke its policy: {a}"
        );
        assert_eq!(a["tiles_url_on_load"], json!(format!("{}/", s.url)), "{a}");
    }
    // Verifying a proof asks the server for nothing but the page itself.
    let valid = answers
        .iter()
        .find(|a| a["name"] == "served-valid")
        .unwrap();
    for url in valid["requests"].as_array().unwrap() {
        assert!(url.as_str().unwrap().starts_with(&page), "{url}");
    }
}

#[test]
fn without_web_the_verify_route_says_how_to_serve_it() {
    let ws = Workspace::new();
    ws.init();
    let s = Serve::start(&ws, &[], &[]);
    let r = super::super::serve::get(&format!("{}/verify/", s.url));
    r.refused(404, "without the browser verifier");
    assert!(
        r.json()["hint"].as_str().unwrap().contains("--web"),
        "{}",
        r.body
    );
    // A --web folder that is not a built page stops the server before it serves anything.
    let empty = ws.path("empty");
    std::fs::create_dir_all(&empty).unwrap();
    drop(s);
    let out = ws.run(&[
        "serve",
        "--addr",
        "127.0.0.1:0",
        "--web",
        empty.to_str().unwrap(),
    ]);
    out.fails(3, "web/build.sh");
}
