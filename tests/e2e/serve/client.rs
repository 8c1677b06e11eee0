//! `prov --server URL --token T add|check|show|prove`: the CLI as a client of `prov serve`,
//! answering as it does on a local ledger; `add --hash-only` records what a bytes upload
//! records, from hashes, sizes, names and links alone.

use super::{Serve, archivist, remote};
use prov_tests::Workspace;

fn tar(w: &Workspace) {
    w.write("pack/a.txt", "alpha\n");
    w.write("pack/b.txt", "beta\n");
    let ok = std::process::Command::new("tar")
        .current_dir(w.path(""))
        .args(["cf", "pack.tar", "pack/a.txt", "pack/b.txt"])
        .status()
        .unwrap();
    assert!(ok.success());
}

#[test]
fn the_cli_records_checks_shows_and_proves_through_the_server() {
    let w = Workspace::new();
    let vkey = w.init();
    let token = archivist(&w, "jo@news.example");
    let s = Serve::start(&w, &[], &[]);
    w.write("memo.txt", "a memo\n");
    let added = remote(
        &w,
        &s,
        &token,
        &["add", "memo.txt", "--source", "tips", "--json"],
    );
    let v = &added.documents()[0];
    assert_eq!(v["status"], "first_seen", "{}", added.stderr);
    assert_eq!(v["path"], "memo.txt");
    // check through the server prints what `prov check` prints on the ledger itself.
    let through = remote(&w, &s, &token, &["check", "memo.txt", "--json"]);
    let local = w.run(&["check", "memo.txt", "--json"]);
    assert_eq!(through.json(), local.json());
    let shown = remote(&w, &s, &token, &["show", "0", "--json"]).json();
    assert_eq!(shown["agent"], "jo@news.example");
    let local = w.run(&["show", "0", "--json"]).jsonl();
    assert_eq!(shown["signature"], local[0]["signature"]);
    remote(
        &w,
        &s,
        &token,
        &[
            "prove",
            "memo.txt",
            "--key",
            vkey.trim(),
            "-o",
            "memo.tlog-proof",
        ],
    )
    .ok();
    w.run(&[
        "verify-proof",
        "memo.tlog-proof",
        "--key",
        vkey.trim(),
        "--document",
        "memo.txt",
    ])
    .ok();
    // Unknown: exit 1, as locally.
    w.write("other.txt", "never recorded\n");
    assert_eq!(remote(&w, &s, &token, &["check", "other.txt"]).code, 1);
    // A wrong token: the server's refusal, exit 3; none: a usage error.
    remote(
        &w,
        &s,
        &"0".repeat(64),
        &["add", "other.txt", "--source", "x"],
    )
    .fails(3, "refused (401)");
    // With a body far larger than the socket buffers: the server refuses before reading
    // it, and the client waits for its 100 before sending, so it reads the refusal rather
    // than failing on a broken pipe (exit 5, "cannot reach").
    let big: Vec<u8> = (0..24u32 << 20)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(w.path("big.bin"), big).unwrap();
    for _ in 0..3 {
        remote(
            &w,
            &s,
            &"0".repeat(64),
            &["add", "big.bin", "--source", "x"],
        )
        .fails(3, "refused (401)");
    }
    let mut c = w.cmd(&["--server", &s.url, "add", "other.txt", "--source", "x"]);
    c.env_remove("PROV_TOKEN");
    prov_tests::Run::from(c.output().unwrap()).fails(2, "needs an archivist's token");
}

#[test]
fn hash_only_records_the_same_entries_as_the_bytes_without_sending_them() {
    let w = Workspace::new();
    w.init();
    let token = archivist(&w, "kim@news.example");
    let s = Serve::start(&w, &[], &[]);
    tar(&w);
    let bytes = remote(
        &w,
        &s,
        &token,
        &["add", "pack.tar", "--source", "a", "--json"],
    )
    .documents();
    let hashes = remote(
        &w,
        &s,
        &token,
        &["add", "pack.tar", "--source", "b", "--hash-only", "--json"],
    )
    .documents();
    assert_eq!(bytes.len(), 3, "the tar and its two members");
    assert_eq!(hashes.len(), 3);
    for (x, y) in bytes.iter().zip(&hashes) {
        assert_eq!(y["status"], "sighting");
        assert_eq!(x["sha256"], y["sha256"]);
        assert_eq!(x["size"], y["size"]);
        assert_eq!(x["name"], y["name"]);
        assert_eq!(x["path"], y["path"]);
    }
    // The members are linked to the container's own new entry.
    assert_eq!(hashes[1]["contained_in"], hashes[0]["seq"]);
    assert_eq!(hashes[2]["contained_in"], hashes[0]["seq"]);
    // The server saw JSON only for the second add: no bytes upload of it.
    let log = s.log();
    assert_eq!(log.matches("POST /v1/documents 200").count(), 2, "{log}");
}

/// The "done": three archivists ingest three mirrors (that share some files) into
/// one ledger at the same time, each with its own `prov --server` process, and an auditor
/// verifies the whole ledger from the served tiles alone.
#[test]
fn three_archivists_ingest_three_mirrors_at_once_and_the_tiles_prove_it() {
    let w = Workspace::new();
    let vkey = w.init();
    let s = Serve::start(&w, &[], &[]);
    for m in 0..3 {
        for i in 0..40 {
            w.write(
                &format!("mirror{m}/own-{i}.txt"),
                format!("mirror {m} file {i}\n"),
            );
            w.write(
                &format!("mirror{m}/shared-{i}.txt"),
                format!("shared file {i}\n"),
            );
        }
    }
    let children: Vec<_> = (0..3)
        .map(|m| {
            let token = archivist(&w, &format!("archivist{m}@news.example"));
            let mut c = w.cmd(&["--server", &s.url, "add", &format!("mirror{m}")]);
            c.args(["--source", &format!("https://mirror{m}.example/"), "--json"])
                .env("PROV_TOKEN", token)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped());
            c.spawn().unwrap()
        })
        .collect();
    let mut statuses = std::collections::BTreeMap::new();
    for child in children {
        let run = prov_tests::Run::from(child.wait_with_output().unwrap());
        for v in run.documents() {
            *statuses
                .entry(v["status"].as_str().unwrap().to_owned())
                .or_insert(0) += 1;
        }
    }
    // 120 own files first seen; the 40 shared contents first seen once and seen again twice.
    assert_eq!(statuses.get("first_seen"), Some(&160), "{statuses:?}");
    assert_eq!(statuses.get("sighting"), Some(&80), "{statuses:?}");
    let (size, entries) = crate::publish::verified_tree(s.port, vkey.trim());
    assert_eq!(size, 240);
    assert_eq!(entries.len(), 240);
    // Each archivist is the agent of exactly its 80 entries.
    let log = w.run(&["log", "--json"]).jsonl();
    for m in 0..3 {
        let who = format!("archivist{m}@news.example");
        assert_eq!(
            log.iter().filter(|e| e["agent"] == who.as_str()).count(),
            80
        );
    }
}

/// Runs openssl in the workspace; false when it is missing or fails.
fn openssl(w: &Workspace, args: &[&str]) -> bool {
    std::process::Command::new("openssl")
        .current_dir(w.path(""))
        .args(args)
        .output()
        .is_ok_and(|o| o.status.success())
}

/// `prov --server https://... --ca-cert ca.pem`: a server whose certificate a private CA
/// issued (made here by openssl) is trusted through that CA alone, and refused without it.
#[test]
fn the_cli_reaches_an_https_server_through_a_private_ca() {
    let w = Workspace::new();
    w.init();
    let token = archivist(&w, "lee@news.example");
    w.write(
        "leaf.ext",
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=critical,CA:FALSE\n",
    );
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
    ];
    let made = openssl(
        &w,
        &[
            &["req", "-x509"][..],
            &ec,
            &["-keyout", "ca.key", "-out", "ca.pem", "-days", "2"],
        ]
        .concat()
        .into_iter()
        .chain([
            "-subj",
            "/CN=newsroom test CA",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
        ])
        .collect::<Vec<_>>(),
    ) && openssl(
        &w,
        &[
            &["req"][..],
            &ec,
            &[
                "-keyout",
                "key.pem",
                "-out",
                "leaf.csr",
                "-subj",
                "/CN=ledger",
            ],
        ]
        .concat(),
    ) && openssl(
        &w,
        &[
            "x509",
            "-req",
            "-in",
            "leaf.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "cert.pem",
            "-days",
            "2",
            "-extfile",
            "leaf.ext",
        ],
    );
    if !made {
        return prov_tests::skip("openssl is needed to make a test CA");
    }
    let s = Serve::start(&w, &["--tls-cert", "cert.pem", "--tls-key", "key.pem"], &[]);
    assert!(s.url.starts_with("https://"), "{}", s.url);
    w.write("memo.txt", "a memo over https\n");
    let add = ["add", "memo.txt", "--source", "tips", "--json"];
    // Not a certificate the public roots know: refused, nothing sent.
    remote(&w, &s, &token, &add[..4]).fails(5, "give --ca-cert");
    let with_ca = |args: &[&str]| {
        remote(
            &w,
            &s,
            &token,
            &[&["--ca-cert", "ca.pem"][..], args].concat(),
        )
    };
    let added = with_ca(&add);
    assert_eq!(
        added.documents()[0]["status"],
        "first_seen",
        "{}",
        added.stderr
    );
    let checked = with_ca(&["check", "memo.txt", "--json"]);
    assert_eq!(
        checked.json(),
        w.run(&["check", "memo.txt", "--json"]).json()
    );
    // A file that is no certificate: one line saying so, exit 3.
    remote(
        &w,
        &s,
        &token,
        &["--ca-cert", "leaf.ext", "check", "memo.txt"],
    )
    .fails(3, "holds no certificate");
}

/// `--hash-only` keeps back what a document claims about itself (an email's sender and
/// subject are as telling as its bytes): only hashes, sizes, names, links and the archivist's
/// own `--meta` are sent, unless `--send-claims`.
#[test]
fn hash_only_keeps_back_what_a_document_claims_about_itself() {
    let w = Workspace::new();
    w.init();
    let token = archivist(&w, "jo@news.example");
    let s = Serve::start(&w, &[], &[]);
    let mail = "From: Deep Throat <source@example.org>\r\nTo: desk@news.example\r\n\
                Subject: Follow the money\r\nDate: Mon, 5 May 2025 10:00:00 +0000\r\n\
                Message-ID: <1@example.org>\r\n\r\nthe garage, at two\r\n";
    w.write("tip.eml", mail);
    w.write("other.eml", mail.replace("two", "three"));
    let kept = remote(
        &w,
        &s,
        &token,
        &[
            "add",
            "tip.eml",
            "--source",
            "tips",
            "--hash-only",
            "--meta",
            "email.subject=(withheld)",
        ],
    );
    assert_eq!(kept.code, 0, "{}", kept.stderr);
    let sent = remote(
        &w,
        &s,
        &token,
        &[
            "add",
            "other.eml",
            "--source",
            "tips",
            "--hash-only",
            "--send-claims",
        ],
    );
    assert_eq!(sent.code, 0, "{}", sent.stderr);
    drop(s);
    let entries = w.run(&["log", "--json"]).jsonl();
    let meta = |name: &str| {
        entries
            .iter()
            .find(|e| e["name"] == name)
            .unwrap_or_else(|| panic!("no {name}: {entries:?}"))
            .to_string()
    };
    let tip = meta("tip.eml");
    assert!(
        !tip.contains("Deep Throat") && !tip.contains("source@example.org"),
        "{tip}"
    );
    assert!(
        !tip.contains("Follow the money") && tip.contains("(withheld)"),
        "{tip}"
    );
    let other = meta("other.eml");
    assert!(
        other.contains("source@example.org") && other.contains("Follow the money"),
        "{other}"
    );
}
