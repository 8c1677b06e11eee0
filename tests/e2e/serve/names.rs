//! A file name that is not UTF-8 is recorded through a server byte for byte, as a local
//! `add` records it: sent as `name_hex` in a bytes upload (a percent-encoded `name` is read
//! as UTF-8, so its invalid bytes would become U+FFFD) and in a list by hash alike.

use super::{Serve, archivist, upload};
use prov_tests::{Run, Workspace};
use std::os::unix::ffi::OsStrExt;

#[test]
fn a_name_that_is_not_utf8_is_recorded_byte_for_byte() {
    let w = Workspace::new();
    w.init();
    let token = archivist(&w, "eli@news.example");
    let raw: &[u8] = b"caf\xe9 menu.txt";
    let dir = w.path("docs");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(std::ffi::OsStr::from_bytes(raw));
    std::fs::write(&path, "latin-1 name\n").unwrap();
    w.write("other/x.txt", "placeholder\n");
    std::fs::write(
        w.path("other").join(std::ffi::OsStr::from_bytes(raw)),
        "another, by hash\n",
    )
    .unwrap();
    // What a local add records, on a second ledger.
    let local = Workspace::new();
    local.init();
    let mut c = local.cmd(&["add", "--source", "s", "--json"]);
    c.arg(&path);
    let added = Run::from(c.output().unwrap());
    assert_eq!(
        added.documents()[0]["name_hex"],
        hex::encode(raw),
        "{}",
        added.stdout
    );
    let s = Serve::start(&w, &[], &[]);
    for (folder, extra) in [("docs", None), ("other", Some("--hash-only"))] {
        let mut c = w.cmd(&["--server", &s.url, "add", folder, "--source", "s", "--json"]);
        c.args(extra).env("PROV_TOKEN", &token);
        let r = Run::from(c.output().unwrap());
        assert_eq!(r.code, 0, "{}", r.stderr);
    }
    let entries = w.run(&["log", "--json"]).jsonl();
    let named: Vec<_> = entries
        .iter()
        .filter(|e| e["name_hex"] == hex::encode(raw))
        .collect();
    assert_eq!(named.len(), 2, "{entries:?}");
    // The query form by hand, and a name given twice.
    let r = upload(
        &s,
        Some(&token),
        &format!("source=s&name_hex={}", hex::encode(b"\xff.bin")),
        b"by hand\n",
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["name_hex"], "ff2e62696e");
    upload(&s, Some(&token), "source=s&name=a&name_hex=62", b"twice\n").refused(400, "once");
    upload(&s, Some(&token), "source=s&name_hex=zz", b"bad\n").refused(400, "not hex");
}
