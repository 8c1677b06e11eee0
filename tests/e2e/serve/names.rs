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

/// Through a server, `add` shows a path that is not UTF-8 as a local `add` shows it:
/// escaped for people (`\xe9`), and in JSON lossily in `path` with its bytes in `path_hex`;
/// the path of a member inside a container too, with the bytes or by hash alone.
#[test]
fn a_path_that_is_not_utf8_is_shown_as_a_local_add_shows_it() {
    let raw: &[u8] = b"caf\xe9 menu.txt";
    let make = |w: &Workspace| {
        w.init();
        let dir = w.path("docs");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(std::ffi::OsStr::from_bytes(raw)), "latin-1 name\n").unwrap();
        // The tar's member has the same path and other bytes, so every line is "first seen".
        let packed = w.path("pack/docs");
        std::fs::create_dir_all(&packed).unwrap();
        std::fs::write(packed.join(std::ffi::OsStr::from_bytes(raw)), "packed\n").unwrap();
        let tarred = std::process::Command::new("tar")
            .current_dir(w.path("pack"))
            .args(["cf", "../pack.tar", "docs"])
            .status()
            .unwrap();
        assert!(tarred.success());
    };
    let (local, w, token, s) = super::local_and_served(make);
    let through = |args: &[&str]| super::remote(&w, &s, &token, args);
    let args = ["add", "docs", "pack.tar", "--source", "s"];
    let (l, r) = (local.run(&args), through(&args));
    assert_eq!((l.code, r.code), (0, 0), "{}", r.stderr);
    assert_eq!(l.stdout, r.stdout);
    assert!(l.stdout.contains("docs/caf\\xe9 menu.txt"), "{}", l.stdout);
    assert!(
        l.stdout.contains("pack.tar!docs/caf\\xe9 menu.txt"),
        "{}",
        l.stdout
    );
    let shown = |run: Run| -> Vec<String> {
        assert_eq!(run.code, 0, "{}", run.stderr);
        run.documents()
            .iter()
            .map(|v| {
                format!(
                    "{} {} {} {}",
                    v["status"], v["seq"], v["path"], v["path_hex"]
                )
            })
            .collect()
    };
    for (source, extra) in [("t", None), ("u", Some("--hash-only"))] {
        let args = ["add", "docs", "pack.tar", "--source", source, "--json"];
        let l = shown(local.run(&args));
        let r = shown(through(&[&args[..], extra.as_slice()].concat()));
        assert_eq!(l, r, "{extra:?}");
        let hexed = hex::encode(b"pack.tar!docs/caf\xe9 menu.txt");
        assert!(l.iter().any(|line| line.contains(&hexed)), "{l:?}");
    }
}

/// Names that a multipart `filename` cannot carry as they are (a quote, a backslash, a
/// line break) go as `Prov-Name-Hex`, and come back byte for byte; a hand-made multipart
/// body names each part by its `filename` or that header.
#[test]
fn names_in_a_multipart_upload_are_exact() {
    let w = Workspace::new();
    w.init();
    let token = archivist(&w, "eli@news.example");
    let names: [&[u8]; 4] = [
        b"say \"hi\".txt",
        b"back\\slash.txt",
        b"line\nbreak.txt",
        b"plain name.txt",
    ];
    for (i, n) in names.iter().enumerate() {
        let p = w.path("odd").join(std::ffi::OsStr::from_bytes(n));
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, format!("odd name {i}\n")).unwrap();
    }
    let s = Serve::start(&w, &[], &[]);
    let mut c = w.cmd(&["--server", &s.url, "add", "odd", "--source", "s", "--json"]);
    c.env("PROV_TOKEN", &token);
    let r = Run::from(c.output().unwrap());
    assert_eq!(r.code, 0, "{}", r.stderr);
    let entries = w.run(&["log", "--json"]).jsonl();
    let mut recorded: Vec<Vec<u8>> = entries
        .iter()
        .map(|e| match e["name"].as_str() {
            Some(n) => n.as_bytes().to_vec(),
            None => hex::decode(e["name_hex"].as_str().unwrap()).unwrap(),
        })
        .collect();
    recorded.sort();
    let mut want: Vec<Vec<u8>> = names.iter().map(|n| n.to_vec()).collect();
    want.sort();
    assert_eq!(recorded, want);

    // By hand: a filename, a hex name, both (refused), and a bad hex.
    let part = |head: &str, body: &str| {
        format!("--B\r\nContent-Disposition: form-data; name=\"d\"{head}\r\n\r\n{body}\r\n")
    };
    let post = |body: String| {
        super::try_post(
            &format!("{}/v1/documents?source=hand", s.url),
            Some(&token),
            "multipart/form-data; boundary=B",
            body.as_bytes(),
        )
        .unwrap()
    };
    let r = post(
        part("; filename=\"a.txt\"", "first by hand")
            + &part("\r\nProv-Name-Hex: ff2e62696e", "second by hand")
            + "--B--\r\n",
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let lines: Vec<serde_json::Value> = r
        .body
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[0]["name"], "a.txt");
    assert_eq!(lines[0]["path"], "0");
    assert_eq!(lines[1]["name_hex"], "ff2e62696e");
    assert_eq!(lines[1]["path"], "1");
    post(part("; filename=\"a\"\r\nProv-Name-Hex: 62", "both") + "--B--\r\n")
        .refused(400, "give one");
    post(part("\r\nProv-Name-Hex: zz", "bad") + "--B--\r\n").refused(400, "not hex");
    post("--B--\r\n".into()).refused(400, "no part");
    // A form field is not a document; a part's headers are bounded (here 2 MiB of one
    // header line), as is what comes before the first part.
    post("--B\r\nContent-Disposition: form-data; name=\"source\"\r\n\r\nzzz\r\n--B--\r\n".into())
        .refused(400, "form field");
    // The server refuses these while the body is still arriving and closes the connection,
    // so a client still sending may see the connection cut rather than the answer; either
    // way nothing is recorded (counted below).
    let cut_short = |body: String| match super::try_post(
        &format!("{}/v1/documents?source=hand", s.url),
        Some(&token),
        "multipart/form-data; boundary=B",
        body.as_bytes(),
    ) {
        Ok(r) => r.refused(400, "headers"),
        Err(ureq::Error::Io(e)) => assert!(
            matches!(
                e.kind(),
                std::io::ErrorKind::BrokenPipe | std::io::ErrorKind::ConnectionReset
            ),
            "{e}"
        ),
        Err(e) => panic!("{e}"),
    };
    let huge = format!("X-Pad: {}", "a".repeat(2 << 20));
    cut_short(part(&format!("; filename=\"h\"\r\n{huge}"), "padded") + "--B--\r\n");
    cut_short(
        "x".repeat(2 << 20) + "\r\n" + &part("; filename=\"p\"", "after a preamble") + "--B--\r\n",
    );
    // The allowance is each part's own: many small parts before do not add up to room for
    // one part's large headers.
    let small: String = (0..200)
        .map(|i| part(&format!("; filename=\"s{i}\""), "s"))
        .collect();
    cut_short(small + &part(&format!("; filename=\"late\"\r\n{huge}"), "late") + "--B--\r\n");
    // No name at all: an empty Prov-Name-Hex.
    let r = post(part("\r\nProv-Name-Hex: ", "nameless by hand") + "--B--\r\n");
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.json()["name"].is_null(), "{}", r.body);
    post(part("; filename=\"cut\"", "no end")).refused(400, "multipart");
    // Nothing of a refused upload was recorded: 4 files and the 3 parts by hand.
    assert_eq!(w.run(&["log", "--json"]).jsonl().len(), 7);
    // A JSON body is JSON whatever the case of its media type (RFC 9110 section 8.3.1).
    let by_hash = format!(
        r#"{{"sha256": "{}", "size": 5, "source": "hand"}}"#,
        "ab".repeat(32)
    );
    let r = super::try_post(
        &format!("{}/v1/documents", s.url),
        Some(&token),
        "Application/JSON",
        by_hash.as_bytes(),
    )
    .unwrap();
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["sha256"], "ab".repeat(32));
}
