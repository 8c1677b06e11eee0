//! RFC 3161 timestamps against a real timestamp authority run in the test: OpenSSL's
//! `openssl ts -reply`, with a test CA and TSA certificates made by `openssl req` and
//! `openssl x509 -req` in the test's folder, behind a small HTTP listener on the loopback.
//! Two TSAs: one RSA (ESSCertID, SHA-1), one ECDSA P-256 (ESSCertIDv2, SHA-256). Every token
//! `prov` stores is also verified by `openssl ts -verify`, an implementation independent of
//! prov's. The listener answers each request as it comes; nothing waits on a timeout.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use prov_tests::Workspace;
use sha2::Digest as _;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A TSA: its certificates and the URL of its listener (a thread that lives as long as
/// the test process).
pub(crate) struct Tsa {
    pub(crate) url: String,
    pub(crate) cert: PathBuf,
    ca: PathBuf,
}

pub(crate) fn openssl(dir: &Path, args: &[&str]) {
    let o = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("openssl runs");
    assert!(
        o.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

pub(crate) fn have_openssl() -> bool {
    let found = Command::new("openssl")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        prov_tests::skip("openssl is not installed (apt-get install openssl)");
    }
    found
}

impl Tsa {
    /// Makes a CA and a TSA certificate (extendedKeyUsage critical, timeStamping) in
    /// `dir`, and starts the listener. `ec`: a P-256 key and ESSCertIDv2; else RSA and
    /// ESSCertID.
    pub(crate) fn start(dir: &Path, name: &str, ec: bool) -> Tsa {
        std::fs::create_dir_all(dir).unwrap();
        let newkey = if ec { "ec:params.pem" } else { "rsa:2048" };
        if ec {
            openssl(
                dir,
                &["ecparam", "-name", "prime256v1", "-out", "params.pem"],
            );
        }
        std::fs::write(
            dir.join("ext.cnf"),
            "[tsa]\nextendedKeyUsage=critical,timeStamping\nbasicConstraints=CA:FALSE\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n",
        )
        .unwrap();
        openssl(
            dir,
            &[
                "req", "-x509", "-newkey", newkey, "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
                "-days", "3650", "-subj",
            ]
            .iter()
            .copied()
            .chain([format!("/CN={name} Root CA").as_str()])
            .collect::<Vec<_>>(),
        );
        openssl(
            dir,
            &[
                "req", "-newkey", newkey, "-nodes", "-keyout", "tsa.key", "-out", "tsa.csr",
                "-subj",
            ]
            .iter()
            .copied()
            .chain([format!("/CN={name}").as_str()])
            .collect::<Vec<_>>(),
        );
        openssl(
            dir,
            &[
                "x509",
                "-req",
                "-in",
                "tsa.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                "tsa.pem",
                "-days",
                "3650",
                "-extfile",
                "ext.cnf",
                "-extensions",
                "tsa",
            ],
        );
        std::fs::write(
            dir.join("tsa.cnf"),
            format!(
                "[tsa]\ndefault_tsa = tsa1\n[tsa1]\ndir = .\nserial = $dir/tsaserial\nsigner_digest = sha256\ndefault_policy = 1.2.3.4.1\ndigests = sha256\naccuracy = secs:1\ness_cert_id_alg = {}\n",
                if ec { "sha256" } else { "sha1" }
            ),
        )
        .unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/tsr", listener.local_addr().unwrap());
        let home = dir.to_owned();
        std::thread::spawn(move || {
            for (n, stream) in listener.incoming().enumerate() {
                let Ok(stream) = stream else { continue };
                serve(&home, n, stream);
            }
        });
        Tsa {
            url,
            cert: dir.join("tsa.pem"),
            ca: dir.join("ca.pem"),
        }
    }
}

/// `openssl`, or `faketime -f OFFSET openssl` when the TSA's folder holds a file `faketime`
/// (OFFSET): a TSA whose clock a test set.
fn faketime_in(dir: &Path) -> Command {
    match std::fs::read_to_string(dir.join("faketime")) {
        Ok(offset) => {
            let mut c = Command::new("faketime");
            c.args(["-f", offset.trim(), "openssl"]);
            c
        }
        Err(_) => Command::new("openssl"),
    }
}

/// Answers one HTTP request: the POSTed TimeStampReq goes to `openssl ts -reply`, whose
/// TimeStampResp is the answer; a request that is not a POST of a query gets a 400.
fn serve(dir: &Path, n: usize, stream: std::net::TcpStream) {
    let mut r = BufReader::new(stream.try_clone().unwrap());
    let mut head = String::new();
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            length = v.trim().parse().unwrap_or(0);
        }
        head.push_str(&line);
        if line == "\r\n" {
            break;
        }
    }
    let mut body = vec![0; length];
    if r.read_exact(&mut body).is_err() {
        return;
    }
    let query = dir.join(format!("q{n}.tsq"));
    let reply = dir.join(format!("r{n}.tsr"));
    std::fs::write(&query, &body).unwrap();
    let ok = head.starts_with("POST ")
        && head
            .to_ascii_lowercase()
            .contains("content-type: application/timestamp-query")
        && faketime_in(dir)
            .current_dir(dir)
            .args(["ts", "-reply", "-queryfile"])
            .arg(&query)
            .args([
                "-signer", "tsa.pem", "-inkey", "tsa.key", "-config", "tsa.cnf", "-out",
            ])
            .arg(&reply)
            .output()
            .is_ok_and(|o| o.status.success());
    let mut w = stream;
    if ok {
        let der = std::fs::read(&reply).unwrap();
        let _ = write!(
            w,
            "HTTP/1.1 200 OK\r\nContent-Type: application/timestamp-reply\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            der.len()
        );
        let _ = w.write_all(&der);
    } else {
        let _ = w.write_all(
            b"HTTP/1.1 400 Bad Request\r\nContent-Length: 9\r\nConnection: close\r\n\r\nnot a TSQ",
        );
    }
}

/// The note text of the checkpoint of `size` (what the token's imprint hashes), as a file.
pub(crate) fn body_file(w: &Workspace, size: u64) -> (PathBuf, Vec<u8>) {
    let note = w
        .run(&["checkpoint", "--size", &size.to_string()])
        .ok()
        .to_owned();
    let text = &note[..note.find("\n\n").unwrap() + 1];
    let path = w.write(&format!("body-{size}"), text);
    (path, text.as_bytes().to_vec())
}

/// `openssl ts -verify` of a token over a checkpoint's note text, trusting `ca`.
fn openssl_verifies(token: &Path, body: &Path, ca: &Path) -> bool {
    Command::new("openssl")
        .args(["ts", "-verify", "-token_in", "-in"])
        .arg(token)
        .arg("-data")
        .arg(body)
        .arg("-CAfile")
        .arg(ca)
        .output()
        .is_ok_and(|o| o.status.success())
}

pub(crate) fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[test]
fn tokens_from_a_real_openssl_tsa_are_stored_listed_proven_and_verified_by_openssl() {
    if !have_openssl() {
        return;
    }
    let w = Workspace::new();
    let vkey = w.init();
    let rsa = Tsa::start(&w.path("tsa-rsa"), "Test TSA RSA", false);
    let ec = Tsa::start(&w.path("tsa-ec"), "Test TSA EC", true);
    w.write("a.txt", "alpha");
    w.write("b.txt", "beta");
    w.run(&["add", "a.txt", "--source", "s"]).ok();
    // `prov timestamp --tsa URL --tsa-cert FILE`: checkpoint size 1.
    let out = w
        .run(&["timestamp", "--tsa", &rsa.url, "--tsa-cert", p(&rsa.cert)])
        .ok()
        .to_owned();
    assert!(
        out.starts_with("timestamped: checkpoint size 1 committed before ")
            && out.contains(" per CN=Test TSA RSA"),
        "{out}"
    );
    // `prov add --timestamp` with the ledger's configured TSA: checkpoint size 2.
    w.run(&["tsas", "add", &ec.url, "--cert", p(&ec.cert)]).ok();
    let listed = w.run(&["tsas", "list", "--json"]).json();
    assert_eq!(listed["url"], ec.url.as_str());
    assert_eq!(listed["cert_subject"], "CN=Test TSA EC");
    let out = w
        .run(&["add", "b.txt", "--source", "s", "--timestamp"])
        .ok()
        .to_owned();
    assert!(
        out.contains("timestamped: checkpoint size 2 committed before "),
        "{out}"
    );

    // `prov timestamps --json`: one line per token, each checked against the files and by
    // openssl.
    let tokens = w.run(&["timestamps", "--json"]).jsonl();
    assert_eq!(tokens.len(), 2, "{tokens:?}");
    for (t, (size, tsa)) in tokens.iter().zip([(1u64, &rsa), (2, &ec)]) {
        assert_eq!(t["size"], size);
        assert_eq!(t["policy"], "1.2.3.4.1");
        assert!(t["gen_time"].as_str().unwrap().ends_with('Z'), "{t}");
        assert!(!t["serial"].as_str().unwrap().is_empty(), "{t}");
        let (body, text) = body_file(&w, size);
        assert_eq!(t["imprint"], hex::encode(sha2::Sha256::digest(&text)));
        let der = STANDARD.decode(t["token"].as_str().unwrap()).unwrap();
        let file = w.ledger().join(t["file"].as_str().unwrap());
        assert_eq!(
            std::fs::read(&file).unwrap(),
            der,
            "the listed token is the stored one"
        );
        assert!(
            openssl_verifies(&file, &body, &tsa.ca),
            "openssl ts -verify {t}"
        );
        // Against another checkpoint's text, openssl refuses it too.
        let (other, _) = body_file(&w, 3 - size);
        assert!(!openssl_verifies(&file, &other, &tsa.ca));
    }
    assert_eq!(tokens[0]["tsa"], "CN=Test TSA RSA");
    assert_eq!(tokens[1]["tsa"], "CN=Test TSA EC");

    // The text proof of a.txt at size 1 gets its token beside it; verify-proof checks it.
    w.run(&["prove", "a.txt", "--at", "1", "-o", "a.tlog-proof"])
        .ok();
    assert!(w.path("a.tlog-proof.tst").is_file());
    let gen1 = tokens[0]["gen_time"].as_str().unwrap();
    let v = w
        .run(&[
            "verify-proof",
            "a.tlog-proof",
            "--key",
            &vkey,
            "--tsa-cert",
            p(&rsa.cert),
        ])
        .ok()
        .to_owned();
    assert!(
        v.contains(&format!("  committed before {gen1} per CN=Test TSA RSA")),
        "{v}"
    );
    // The JSON proof carries its tokens.
    w.run(&["prove", "b.txt", "--json", "-o", "b.json"]).ok();
    let v = w
        .run(&[
            "verify-proof",
            "b.json",
            "--key",
            &vkey,
            "--tsa-cert",
            p(&ec.cert),
            "--json",
        ])
        .json();
    assert_eq!(v["timestamp"]["tsa"], "CN=Test TSA EC");
    assert_eq!(v["timestamp"]["committed_before"], tokens[1]["gen_time"]);

    // The wrong TSA certificate, another checkpoint's token, and altered tokens: refused.
    w.run(&[
        "verify-proof",
        "a.tlog-proof",
        "--key",
        &vkey,
        "--tsa-cert",
        p(&ec.cert),
    ])
    .fails(
        1,
        "signed by another certificate than the TSA certificate given",
    );
    let size2 = w.ledger().join(tokens[1]["file"].as_str().unwrap());
    w.run(&[
        "verify-proof",
        "a.tlog-proof",
        "--key",
        &vkey,
        "--tsa-cert",
        p(&ec.cert),
        "--tsr",
        p(&size2),
    ])
    .fails(
        1,
        "its message imprint is not the SHA-256 of this checkpoint's note text",
    );
    let good = std::fs::read(w.path("a.tlog-proof.tst")).unwrap();
    let (body1, _) = body_file(&w, 1);
    // A digit of genTime (GeneralizedTime: tag 0x18, length 15) moved on by one.
    let at = good.windows(2).position(|x| x == [0x18, 0x0f]).unwrap() + 2 + 3;
    let mut later = good.clone();
    later[at] += 1;
    // The last byte of the RSA signature.
    let mut bad_sig = good.clone();
    *bad_sig.last_mut().unwrap() ^= 1;
    for (name, bytes, why) in [
        (
            "later.tst",
            later,
            "its message-digest attribute is not the digest of its TSTInfo",
        ),
        (
            "sig.tst",
            bad_sig,
            "the signature does not verify with the TSA certificate",
        ),
    ] {
        let f = w.write(name, &bytes);
        w.run(&[
            "verify-proof",
            "a.tlog-proof",
            "--key",
            &vkey,
            "--tsa-cert",
            p(&rsa.cert),
            "--tsr",
            name,
        ])
        .fails(1, why);
        assert!(
            !openssl_verifies(&f, &body1, &rsa.ca),
            "openssl accepts {name}"
        );
    }
    w.write("junk.tst", b"not DER");
    w.run(&[
        "verify-proof",
        "a.tlog-proof",
        "--key",
        &vkey,
        "--tsa-cert",
        p(&rsa.cert),
        "--tsr",
        "junk.tst",
    ])
    .fails(3, "the timestamp token is malformed");

    // `prov check`: the first-seen time, and beside it the earliest independent bound, once
    // the TSA's certificate is listed (until then its token vouches for nothing, and `check`
    // says so).
    let r = w.run(&["check", "a.txt", "--json"]);
    let c = r.documents()[0].clone();
    assert_eq!(c["independent_bound"]["checkpoint_size"], 2, "{c}");
    assert_eq!(
        c["unverified_evidence"][0]["file"], tokens[0]["file"],
        "{c}"
    );
    assert_eq!(c["unverified_evidence"][0]["trusted_signer"], false, "{c}");
    assert!(
        r.stdout.contains("not counted as an independent bound: 1 stored cosignature or timestamp that does not verify")
            && r.stdout.contains("prov tsas add URL --cert FILE"),
        "{}",
        r.stdout
    );
    w.run(&["tsas", "add", &rsa.url, "--cert", p(&rsa.cert)])
        .ok();
    let c = w.run(&["check", "a.txt"]).ok().to_owned();
    assert!(
        c.contains(&format!(
            "independently bounded: committed before {gen1} per TSA CN=Test TSA RSA (checkpoint size 1)"
        )),
        "{c}"
    );
    let c = w.run(&["check", "b.txt", "--json"]).documents()[0].clone();
    assert_eq!(c["independent_bound"]["kind"], "timestamp");
    assert_eq!(c["independent_bound"]["checkpoint_size"], 2);

    // The audit bundle carries every token, byte for byte.
    w.run(&["export", "--audit-bundle", "bundle"]).ok();
    for t in &tokens {
        let file = t["file"].as_str().unwrap();
        assert_eq!(
            std::fs::read(w.path("bundle").join(file)).unwrap(),
            std::fs::read(w.ledger().join(file)).unwrap()
        );
    }
    let a = w.run_at(&w.path("bundle"), &["audit", "--json"]).json();
    assert_eq!(a["evidence_verified"], 2, "{a}");
    // Given only the EC TSA's certificate, the RSA token is not checked (not a fault).
    let a = w
        .run_at(
            &w.path("bundle"),
            &["audit", "--json", "--tsa-cert", p(&ec.cert)],
        )
        .json();
    assert_eq!(
        (
            a["evidence_verified"].clone(),
            a["evidence_untrusted"].clone()
        ),
        (1.into(), 1.into()),
        "{a}"
    );

    // The size-1 token moved beside checkpoint 2, as whoever writes the ledger folder could:
    // its imprint is checkpoint 1's, so it bounds nothing, and the audit names the file.
    let one = tokens[0]["file"].as_str().unwrap();
    let moved = one.replacen("timestamps/1-", "timestamps/2-", 1);
    std::fs::rename(w.ledger().join(one), w.ledger().join(&moved)).unwrap();
    let c = w.run(&["check", "b.txt", "--json"]).documents()[0].clone();
    assert_eq!(c["independent_bound"]["by"], "CN=Test TSA EC", "{c}");
    assert_eq!(c["unverified_evidence"][0]["file"], moved.as_str(), "{c}");
    assert!(
        c["unverified_evidence"][0]["why"]
            .as_str()
            .unwrap()
            .contains("its message imprint is not the SHA-256 of this checkpoint's note text"),
        "{c}"
    );
    let r = w.run(&["audit"]);
    r.fails(1, &moved);
    assert!(
        r.stderr
            .contains("remove the file, then run `prov timestamp`"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_token_that_does_not_hold_is_never_stored_and_bad_input_is_one_line() {
    if !have_openssl() {
        return;
    }
    let w = Workspace::new();
    w.init();
    let rsa = Tsa::start(&w.path("tsa-rsa"), "Test TSA RSA", false);
    let ec = Tsa::start(&w.path("tsa-ec"), "Test TSA EC", true);
    w.write("a.txt", "alpha");
    w.run(&["add", "a.txt", "--source", "s"]).ok();
    // The RSA TSA's token checked with the EC TSA's certificate: refused, nothing stored.
    w.run(&["timestamp", "--tsa", &rsa.url, "--tsa-cert", p(&ec.cert)])
        .fails(1, "answered a token that does not hold");
    assert!(
        !w.ledger().join("timestamps").exists()
            || std::fs::read_dir(w.ledger().join("timestamps"))
                .unwrap()
                .next()
                .is_none()
    );
    // No token: no record but the note that says so.
    let none = w.run(&["timestamps", "--json"]);
    none.ok();
    let kinds: Vec<_> = none.jsonl().iter().map(|v| v["kind"].clone()).collect();
    assert_eq!(kinds, ["empty"], "{}", none.stdout);
    // No TSA configured; a URL that answers no RFC 3161 reply; a closed port.
    w.run(&["timestamp"]).fails(2, "no TSA to ask");
    w.run(&["add", "a.txt", "--source", "t", "--timestamp"])
        .fails(
            2,
            "--timestamp: this ledger has no TSAs; the documents are recorded",
        );
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_url = format!("http://{}/", closed.local_addr().unwrap());
    drop(closed);
    w.run(&["timestamp", "--tsa", &closed_url])
        .fails(5, "could not be reached");
    w.run(&["timestamp", "--tsa", "ftp://tsa.example"])
        .fails(3, "TSA URL");
    w.write("not-a-cert.pem", "hello");
    w.run(&["tsas", "add", &rsa.url, "--cert", "not-a-cert.pem"])
        .fails(3, "not an X.509 certificate");
    // Without --tsa-cert, the token is checked with the certificate it carries.
    let out = w.run(&["timestamp", "--tsa", &rsa.url]).ok().to_owned();
    assert!(out.contains("per CN=Test TSA RSA"), "{out}");
    // A proof with no token beside it.
    w.run(&["prove", "a.txt", "-o", "x.tlog-proof"]).ok();
    std::fs::remove_file(w.path("x.tlog-proof.tst")).unwrap();
    let vkey = w.run(&["key"]).ok().trim().to_owned();
    w.run(&[
        "verify-proof",
        "x.tlog-proof",
        "--key",
        &vkey,
        "--tsa-cert",
        p(&rsa.cert),
    ])
    .fails(3, "no timestamp token for x.tlog-proof");
}

#[test]
fn an_append_whose_clock_is_before_the_latest_tsa_time_is_refused() {
    if !have_openssl() {
        return;
    }
    let found = Command::new("faketime")
        .args(["-f", "+0", "true"])
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        prov_tests::skip("faketime is not installed (apt-get install faketime)");
        return;
    }
    let w = Workspace::new();
    w.init();
    let rsa = Tsa::start(&w.path("tsa-rsa"), "Test TSA RSA", false);
    w.write("a.txt", "alpha");
    w.write("b.txt", "beta");
    w.write("c.txt", "gamma");
    w.run(&["add", "a.txt", "--source", "s"]).ok();
    let behind = |args: &[&str]| {
        let mut c = Command::new("faketime");
        c.args(["-f", "-1m"]);
        w.run_wrapped(&mut c, args)
    };
    // One minute behind the last entry is within the ledger's own tolerance (it clamps)...
    behind(&["add", "b.txt", "--source", "s"]).ok();
    // ...but not behind a TSA's genTime (of a TSA the ledger lists): refused, with both
    // times.
    w.run(&["tsas", "add", &rsa.url, "--cert", p(&rsa.cert)])
        .ok();
    w.run(&["timestamp", "--tsa", &rsa.url, "--tsa-cert", p(&rsa.cert)])
        .ok();
    let r = behind(&["add", "c.txt", "--source", "s"]);
    r.fails(
        5,
        "earlier than the timestamp of checkpoint size 2 by CN=Test TSA RSA at ",
    );
    assert_eq!(r.stderr.matches("Z").count(), 2, "both times: {}", r.stderr);
    w.run(&["add", "c.txt", "--source", "s"]).ok();
}

/// A running `prov witness serve`; killed when dropped.
struct Witness(std::process::Child);

impl Drop for Witness {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts a witness of the ledger; returns it with its URL=VKEY argument and its key.
fn witness(w: &Workspace, dir: &str, ledger_vkey: &str) -> (Witness, String, String) {
    let vkey = w
        .run(&[
            "witness",
            "init",
            "--dir",
            dir,
            "--name",
            &format!("{dir}.example/w"),
        ])
        .ok()
        .trim()
        .to_owned();
    let mut child = Command::new(prov_tests::prov_bin())
        .current_dir(w.path(""))
        .args([
            "witness",
            "serve",
            "--dir",
            dir,
            "--addr",
            "127.0.0.1:0",
            "--log",
            ledger_vkey,
        ])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap()
        .to_owned();
    (Witness(child), format!("{url}={vkey}"), vkey)
}

/// Issue 14's "done when": with the ledger key, two witness keys and a TSA certificate, an
/// auditor checks offline that a document was committed by a time no single party could fake.
#[test]
fn an_auditor_with_the_ledger_key_two_witness_keys_and_a_tsa_certificate_verifies_offline() {
    if !have_openssl() {
        return;
    }
    let w = Workspace::new();
    let vkey = w.init();
    let tsa = Tsa::start(&w.path("tsa"), "Test TSA", true);
    let (_w1, arg1, k1) = witness(&w, "w1", &vkey);
    let (_w2, arg2, k2) = witness(&w, "w2", &vkey);
    w.write("memo.txt", "the memo");
    w.run(&["tsas", "add", &tsa.url, "--cert", p(&tsa.cert)])
        .ok();
    w.run(&["add", "memo.txt", "--source", "s", "--timestamp"])
        .ok();
    // Before any cosignature, `check` names the TSA's bound.
    let c = w.run(&["check", "memo.txt", "--json"]).documents()[0].clone();
    assert_eq!(c["independent_bound"]["kind"], "timestamp", "{c}");
    // The witnesses the ledger lists: only their verified cosignatures go into its proofs.
    for (arg, k) in [(&arg1, &k1), (&arg2, &k2)] {
        let (url, _) = arg.split_once('=').unwrap();
        w.run(&["witnesses", "add", url, k]).ok();
    }
    w.run(&["cosign", "--witness", &arg1, "--witness", &arg2])
        .ok();
    w.run(&["prove", "memo.txt", "-o", "memo.tlog-proof"]).ok();
    // Offline: the proof, its .tst, three keys and a certificate; no ledger.
    let offline = w.path("auditor");
    std::fs::create_dir(&offline).unwrap();
    for f in ["memo.tlog-proof", "memo.tlog-proof.tst", "memo.txt"] {
        std::fs::copy(w.path(f), offline.join(f)).unwrap();
    }
    std::fs::copy(&tsa.cert, offline.join("tsa.pem")).unwrap();
    let r = Command::new(prov_tests::prov_bin())
        .current_dir(&offline)
        .env_remove("PROV_LEDGER")
        .args([
            "verify-proof",
            "memo.tlog-proof",
            "--key",
            &vkey,
            "--document",
            "memo.txt",
            "--witness",
            &k1,
            "--witness",
            &k2,
            "--quorum",
            "2",
            "--tsa-cert",
            "tsa.pem",
            "--json",
        ])
        .output()
        .unwrap();
    let r = prov_tests::Run::from(r);
    let v = r.json();
    assert_eq!(v["verified"], true);
    assert_eq!(v["document_matches"], true);
    assert_eq!(
        v["witnesses"]["cosignatures"].as_array().unwrap().len(),
        2,
        "{v}"
    );
    assert_eq!(v["timestamp"]["tsa"], "CN=Test TSA");
    // The TSA's genTime came first here, so it stays the earliest bound `check` names; a
    // cosignature is named where it is the earliest (a checkpoint cosigned, not stamped).
    let c = w.run(&["check", "memo.txt", "--json"]).documents()[0].clone();
    assert_eq!(c["independent_bound"]["kind"], "timestamp", "{c}");
    w.write("later.txt", "later");
    w.run(&["add", "later.txt", "--source", "s"]).ok();
    w.run(&["cosign", "--witness", &arg1]).ok();
    let c = w.run(&["check", "later.txt"]).ok().to_owned();
    assert!(
        c.contains("independently bounded: cosigned by w1.example/w at ")
            && c.contains("(checkpoint size 2)"),
        "{c}"
    );
}

/// A TSA that gives genTime with fractions of a second (RFC 3161 section 2.4.2 allows
/// `YYYYMMDDhhmmss.sssZ`; OpenSSL's `clock_precision_digits` makes one): its token is
/// stored, verified, and its time kept to the millisecond, as `openssl ts -reply -text`
/// prints it. Such tokens were refused as malformed.
#[test]
fn a_gen_time_with_fractions_of_a_second_is_read_to_the_millisecond() {
    if !have_openssl() {
        return;
    }
    let w = Workspace::new();
    w.init();
    let dir = w.path("tsa-ms");
    let tsa = Tsa::start(&dir, "Test TSA ms", true);
    let cnf = std::fs::read_to_string(dir.join("tsa.cnf")).unwrap();
    std::fs::write(dir.join("tsa.cnf"), cnf + "clock_precision_digits = 3\n").unwrap();
    w.write("a.txt", "alpha");
    w.run(&["add", "a.txt", "--source", "s"]).ok();
    w.run(&["timestamp", "--tsa", &tsa.url, "--tsa-cert", p(&tsa.cert)])
        .ok();
    let tokens = w.run(&["timestamps", "--json"]).jsonl();
    assert_eq!(tokens.len(), 1, "{tokens:?}");
    let t = &tokens[0];
    let file = w.ledger().join(t["file"].as_str().unwrap());
    // What OpenSSL itself reads in the token: "Time stamp: Nov 24 12:00:00.123 2026 GMT".
    let text = Command::new("openssl")
        .args(["ts", "-reply", "-token_in", "-text", "-in"])
        .arg(&file)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&text.stdout).into_owned();
    let stamp = text
        .lines()
        .find_map(|l| l.strip_prefix("Time stamp: "))
        .unwrap_or_else(|| panic!("{text}"));
    // DER drops a fraction's trailing zeros (X.690 11.7.3): "19.76" is 760 ms, and a time
    // on the second has no fraction at all.
    let digits: String = stamp
        .split_once('.')
        .map(|(_, r)| r.chars().take_while(char::is_ascii_digit).collect())
        .unwrap_or_default();
    assert!(digits.len() <= 3, "more digits than asked: {stamp}");
    let ms = format!("{digits:0<3}");
    let gen_time = t["gen_time"].as_str().unwrap();
    assert!(
        gen_time.ends_with(&format!(".{ms}Z")),
        "{gen_time} against {stamp}"
    );
    let (body, _) = body_file(&w, 1);
    assert!(openssl_verifies(&file, &body, &tsa.ca));
    w.run(&["tsas", "add", &tsa.url, "--cert", p(&tsa.cert)])
        .ok();
    w.run(&["audit"]).ok();
}
