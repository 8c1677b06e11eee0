//! The tiles tree the server publishes, read over HTTP by a tlog-tiles client that shares
//! no code with prov (`publish.rs`'s, on Cloudflare's `tlog_tiles` and `signed_note`):
//! signed by the ledger's key, its tiles giving the checkpoint's root, every entry there;
//! with the right cache headers, and nothing served outside the tlog-tiles grammar.

use super::{Serve, archivist, get};
use prov_tests::Workspace;
use sha2::Digest;
use std::sync::Arc;

#[test]
fn the_served_tiles_verify_with_an_independent_tlog_tiles_client() {
    let w = Workspace::new();
    let vkey = w.init();
    let token = archivist(&w, "ida@news.example");
    let s = Arc::new(Serve::start(&w, &[], &[]));
    // 300 documents by hash alone from 4 clients at once: past the first full tile (256).
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let (s, token) = (s.clone(), token.clone());
            std::thread::spawn(move || {
                for i in 0..75 {
                    let sha = hex::encode(sha2::Sha256::digest(format!("{t}/{i}")));
                    let body = format!(r#"{{"sha256": "{sha}", "size": 10, "source": "hashes", "name": "{t}/{i}"}}"#);
                    let r = super::post_json(&s, Some(&token), "/v1/documents", &body);
                    assert_eq!(r.status, 200, "{}", r.body);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let (size, entries) = crate::publish::verified_tree(s.port, vkey.trim());
    assert_eq!(size, 300);
    assert_eq!(entries.len(), 300);
    // Each entry bundle's bytes are the ledger's entries.
    let e7 = get(&format!("{}/v1/entries/7", s.url)).json();
    let leaf = prov_proofs_leaf(&entries[7]);
    assert_eq!(e7["leaf_hash"], leaf);
    // Cache headers: full tiles forever, the checkpoint never.
    let full = get(&format!("{}/tile/0/000", s.url));
    assert_eq!(full.status, 200);
    assert_eq!(full.cache_control, "public, max-age=31536000, immutable");
    assert_eq!(full.content_type, "application/octet-stream");
    let cp = get(&format!("{}/checkpoint", s.url));
    assert_eq!(cp.cache_control, "no-cache");
    assert!(cp.content_type.starts_with("text/plain"));
    // The proof of an entry, as `prov prove` prints it, verifies with the ledger's key.
    let proof = get(&format!("{}/v1/proofs/7", s.url));
    assert_eq!(proof.status, 200);
    w.write("7.tlog-proof", &proof.body);
    w.run(&["verify-proof", "7.tlog-proof", "--key", vkey.trim()])
        .ok();
    let consistency = get(&format!("{}/v1/consistency?old=100", s.url));
    assert_eq!(consistency.status, 200, "{}", consistency.body);
    // Nothing outside the grammar, whatever the folder holds.
    for bad in [
        "/tile/0/../../ledger.json",
        "/tile/0/000.p/0",
        "/tile/64/000",
        "/tile/0/x1/000",
        "/key.pem",
        "/archivists.json",
        "/tile/entries/%2e%2e/checkpoint",
    ] {
        let r = get(&format!("{}{bad}", s.url));
        assert_eq!(r.status, 404, "{bad}: {}", r.body);
    }
}

/// RFC 6962 leaf hash, in hex: SHA-256(0x00 || entry).
fn prov_proofs_leaf(entry: &[u8]) -> String {
    let mut h = sha2::Sha256::new();
    h.update([0u8]);
    h.update(entry);
    hex::encode(h.finalize())
}

/// `prov --ledger . serve`, run inside the ledger folder: the tree is published beside the
/// folder (`LEDGER.public`), as for any other spelling of its path. It was `..public`,
/// inside the folder, refused after the server had said it was listening.
#[test]
fn a_ledger_given_as_dot_publishes_beside_it() {
    use std::io::BufRead;
    let w = Workspace::new();
    w.init();
    let mut child = std::process::Command::new(prov_tests::prov_bin())
        .args(["--ledger", ".", "serve", "--addr", "127.0.0.1:0"])
        .current_dir(w.ledger())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap()
        .to_owned();
    let checkpoint = get(&format!("{url}/checkpoint"));
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(checkpoint.status, 200, "{}", checkpoint.body);
    let mut beside = w.ledger().into_os_string();
    beside.push(".public");
    assert!(std::path::Path::new(&beside).join("checkpoint").is_file());
    assert!(!w.ledger().join("..public").exists());
}
