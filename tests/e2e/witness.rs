//! Witnesses (C2SP tlog-witness, tlog-cosignature, tlog-policy) with real processes on the
//! loopback: two `prov witness serve`, a ledger that adds, cosigns, adds again and cosigns
//! again; a forked ledger (same key, another history) refused with nothing stored; a witness
//! killed with SIGKILL between storing and answering, restarted, that still never cosigns
//! the fork; the auditor's quorum on `verify-proof` and `verify-consistency`; the clock check.
//! Servers are waited for by reading the line they print once bound, never by a timeout.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::Verifier as _;
use prov_tests::{Run, Workspace, prov_bin};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// A running `prov witness serve`; killed when dropped. Also used by `web/witnesses.rs`.
pub(crate) struct Server {
    child: Child,
    pub(crate) url: String,
    log: PathBuf,
}

impl Server {
    pub(crate) fn start(
        w: &Workspace,
        dir: &str,
        ledger_vkey: &str,
        env: &[(&str, &str)],
    ) -> Server {
        let log = w.path(&format!("{dir}.log"));
        let mut c = Command::new(prov_bin());
        c.current_dir(w.path(""))
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
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap());
        for (k, v) in env {
            c.env(k, v);
        }
        let mut child = c.spawn().unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| {
                panic!(
                    "no address line: {line:?}; {}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                )
            })
            .to_owned();
        Server { child, url, log }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn witness_init(w: &Workspace, dir: &str, name: &str) -> String {
    w.run(&["witness", "init", "--dir", dir, "--name", name])
        .ok()
        .trim()
        .to_owned()
}

fn proc_state(pid: u32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit_once(") ")?.1.chars().next()
}

/// The witness signature lines of a note (every line after the ledger's own).
fn witness_lines(note: &str, origin: &str) -> Vec<String> {
    let sigs = note.rsplit_once("\n\n").unwrap().1;
    sigs.lines()
        .filter(|l| !l.starts_with(&format!("\u{2014} {origin} ")))
        .map(str::to_owned)
        .collect()
}

/// Checks a cosignature line from the spec's text alone, with no prov code: the key ID is
/// SHA-256(name || 0x0A || 0x04 || key)[:4], the line's bytes are key ID || u64 time ||
/// Ed25519 signature, signed over "cosignature/v1\ntime <t>\n" || the checkpoint's text.
fn check_independently(note: &str, line: &str, vkey: &str) -> u64 {
    use sha2::Digest;
    let mut parts = vkey.splitn(3, '+');
    let (name, id, key) = (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    );
    let key = STANDARD.decode(key).unwrap();
    assert_eq!(key[0], 0x04, "a cosignature key has type 0x04");
    let mut h = sha2::Sha256::new();
    h.update(name.as_bytes());
    h.update([b'\n', 0x04]);
    h.update(&key[1..]);
    assert_eq!(hex::encode(&h.finalize()[..4]), id);
    let raw = STANDARD
        .decode(line.strip_prefix(&format!("\u{2014} {name} ")).unwrap())
        .unwrap();
    assert_eq!(raw.len(), 4 + 8 + 64);
    assert_eq!(hex::encode(&raw[..4]), id);
    let time = u64::from_be_bytes(raw[4..12].try_into().unwrap());
    let text = &note[..note.rfind("\n\n").unwrap() + 1];
    let message = format!("cosignature/v1\ntime {time}\n{text}");
    let vk = ed25519_dalek::VerifyingKey::from_bytes(&key[1..].try_into().unwrap()).unwrap();
    vk.verify(
        message.as_bytes(),
        &ed25519_dalek::Signature::from_slice(&raw[12..]).unwrap(),
    )
    .expect("the cosignature verifies over the spec's message");
    time
}

fn copy_dir(from: &Path, to: &Path) {
    let ok = Command::new("cp")
        .arg("-a")
        .arg(from)
        .arg(to)
        .status()
        .unwrap();
    assert!(ok.success());
}

#[test]
fn two_witnesses_cosign_along_one_history_and_the_auditor_counts_them() {
    let w = Workspace::new();
    let ledger_vkey = w.init();
    let k1 = witness_init(&w, "w1", "w1.example/witness");
    let k2 = witness_init(&w, "w2", "w2.example/witness");
    let k3 = witness_init(&w, "w3", "w3.example/witness");
    let (s1, s2) = (
        Server::start(&w, "w1", &ledger_vkey, &[]),
        Server::start(&w, "w2", &ledger_vkey, &[]),
    );
    w.write("k1.vkey", format!("{k1}\n"));
    w.write("k2.vkey", format!("{k2}\n"));
    w.write("k3.vkey", format!("{k3}\n"));
    w.write("a.txt", "alpha");
    w.run(&["add", "a.txt", "--source", "s"]).ok();
    w.run(&["witnesses", "add", &s1.url, &k1]).ok();
    w.run(&["witnesses", "add", &s2.url, "k2.vkey"]).ok();
    let listed = w.run(&["witnesses", "list", "--json"]).jsonl();
    assert_eq!(listed.len(), 2);
    let first = w.run(&["cosign", "--json"]).jsonl();
    assert_eq!(first.len(), 2, "both witnesses cosigned");
    assert!(first.iter().all(|c| c["size"] == 1));
    let old = w.run(&["checkpoint"]).ok().to_owned();
    w.write("old.txt", &old);
    assert_eq!(witness_lines(&old, "e2e.example/ledger").len(), 2);

    // Add again with --cosign: each witness answers 409 with size 1, then cosigns size 2
    // from the consistency proof.
    w.write("b.txt", "beta");
    w.run(&["add", "b.txt", "--source", "s", "--cosign"]).ok();
    for s in [&s1, &s2] {
        let log = s.log();
        assert!(log.contains("refused (409)"), "{log}");
        assert!(log.contains("size 2 (from 1)"), "{log}");
    }
    let note = w.run(&["checkpoint"]).ok().to_owned();
    let lines = witness_lines(&note, "e2e.example/ledger");
    assert_eq!(lines.len(), 2, "{note}");
    for (line, key) in lines.iter().zip([&k1, &k2]) {
        let t = check_independently(&note, line, key);
        assert!(t > 1_700_000_000, "a real time: {t}");
    }
    // Existing verifiers still verify it with the ledger's key alone: Cloudflare's
    // signed-note implementation, and ours without --witness.
    let v: Box<dyn signed_note::Verifier> =
        Box::new(signed_note::StandardVerifier::new(&ledger_vkey).unwrap());
    signed_note::Note::from_bytes(note.as_bytes())
        .unwrap()
        .verify(&signed_note::VerifierList::new(vec![v]))
        .unwrap();
    w.run(&["prove", "a.txt", "-o", "a.tlog-proof"]).ok();
    w.run(&["prove", "a.txt", "--json", "-o", "a.json"]).ok();
    let proof = std::fs::read_to_string(w.path("a.tlog-proof")).unwrap();
    assert!(
        proof.ends_with(&note),
        "the proof carries the cosigned checkpoint"
    );
    let plain = w.run(&["verify-proof", "a.tlog-proof", "--key", &ledger_vkey]);
    assert!(!plain.ok().contains("cosigned"));

    // The auditor's quorum: both, 2 of 2, 1 of (k1, k3); refused: k3 alone, 2 of (k1, k3).
    for file in ["a.tlog-proof", "a.json"] {
        let out = w.run(&[
            "verify-proof",
            file,
            "--key",
            &ledger_vkey,
            "--witness",
            &k1,
            "--witness",
            "k2.vkey",
            "--document",
            "a.txt",
        ]);
        let text = out.ok();
        assert!(
            text.contains("cosigned  by w1.example/witness at "),
            "{text}"
        );
        assert!(
            text.contains("cosigned  by w2.example/witness at "),
            "{text}"
        );
        assert!(text.contains("existed by"), "{text}");
    }
    let j = w
        .run(&[
            "verify-proof",
            "a.tlog-proof",
            "--key",
            &ledger_vkey,
            "--witness",
            &k1,
            "--witness",
            &k3,
            "--quorum",
            "1",
            "--json",
        ])
        .json();
    assert_eq!(j["witnesses"]["cosignatures"].as_array().unwrap().len(), 1);
    assert_eq!(
        j["witnesses"]["cosignatures"][0]["witness"],
        "w1.example/witness"
    );
    w.run(&[
        "verify-proof",
        "a.tlog-proof",
        "--key",
        &ledger_vkey,
        "--witness",
        &k3,
    ])
    .fails(1, "do not meet the quorum");
    w.run(&[
        "verify-proof",
        "a.tlog-proof",
        "--key",
        &ledger_vkey,
        "--witness",
        &k1,
        "--witness",
        &k3,
        "--quorum",
        "2",
    ])
    .fails(1, "cosigned by 1 of the trusted witnesses");
    w.run(&[
        "verify-proof",
        "a.tlog-proof",
        "--key",
        &ledger_vkey,
        "--witness",
        &k1,
        "--quorum",
        "2",
    ])
    .fails(2, "--quorum 2");
    // A tlog-policy file: the spec's format.
    w.write(
        "ok.policy",
        format!("log {ledger_vkey}\nwitness A {k1} {}\nwitness B {k2}\nwitness C {k3}\ngroup AB all A B\ngroup any-of any AB C\nquorum any-of\n", s1.url),
    );
    w.run(&[
        "verify-proof",
        "a.tlog-proof",
        "--key",
        &ledger_vkey,
        "--policy",
        "ok.policy",
    ])
    .ok();
    w.write(
        "c.policy",
        format!("witness A {k1}\nwitness C {k3}\ngroup G all A C\nquorum G\n"),
    );
    w.run(&[
        "verify-proof",
        "a.tlog-proof",
        "--key",
        &ledger_vkey,
        "--policy",
        "c.policy",
    ])
    .fails(1, "do not meet the quorum");
    w.write("bad.policy", format!("witness A {k1}\nquorum B\n"));
    w.run(&[
        "verify-proof",
        "a.tlog-proof",
        "--key",
        &ledger_vkey,
        "--policy",
        "bad.policy",
    ])
    .fails(3, "line 2");

    // Consistency: the proof's new checkpoint carries the cosignatures too.
    w.run(&["consistency", "old.txt", "-o", "since.txt"]).ok();
    let out = w.run(&[
        "verify-consistency",
        "old.txt",
        "since.txt",
        "--key",
        &ledger_vkey,
        "--witness",
        &k1,
        "--witness",
        &k2,
        "--json",
    ]);
    assert_eq!(
        out.json()["witnesses"]["cosignatures"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    w.run(&[
        "verify-consistency",
        "old.txt",
        "since.txt",
        "--key",
        &ledger_vkey,
        "--witness",
        &k3,
    ])
    .fails(1, "quorum");

    // The audit bundle carries them, and audits.
    w.run(&["export", "--audit-bundle", "bundle"]).ok();
    assert!(w.path("bundle/cosignatures/1").is_file() && w.path("bundle/cosignatures/2").is_file());
    assert_eq!(
        std::fs::read_to_string(w.path("bundle/checkpoint")).unwrap(),
        note
    );
    w.run_at(&w.path("bundle"), &["audit", "--key", &ledger_vkey])
        .ok();
}

#[test]
fn a_forked_ledger_is_refused_and_the_witness_stores_nothing_of_it() {
    let w = Workspace::new();
    let ledger_vkey = w.init();
    let k1 = witness_init(&w, "w1", "w1.example/witness");
    let s = Server::start(&w, "w1", &ledger_vkey, &[]);
    // The fork: the same folder, so the same key, and another history from entry 0.
    copy_dir(&w.ledger(), &w.path("fork"));
    w.write("a.txt", "alpha");
    w.write("z.txt", "zulu");
    w.run(&["add", "a.txt", "--source", "s"]).ok();
    w.run_at(&w.path("fork"), &["add", "z.txt", "--source", "s"])
        .ok();
    let witness = format!("{}={k1}", s.url);
    w.run(&["cosign", "--witness", &witness]).ok();
    let state_dir = w.path("w1/logs");
    let state = || {
        let mut files: Vec<_> = std::fs::read_dir(&state_dir)
            .unwrap()
            .map(|e| {
                let p = e.unwrap().path();
                (p.clone(), std::fs::read(p).unwrap())
            })
            .collect();
        files.sort();
        files
    };
    let before = state();
    assert_eq!(before.len(), 1);
    // Same size, another root: 409 (size 1), then 422 on the proof from 1.
    let r = w.run_at(&w.path("fork"), &["cosign", "--witness", &witness]);
    r.fails(
        1,
        "ALARM: witness w1.example/witness refused checkpoint size 1 (422",
    );
    assert!(
        !w.path("fork/cosignatures").exists(),
        "nothing stored on the fork's side"
    );
    assert_eq!(state(), before, "nothing stored on the witness's side");
    // Grown further: the proof from 1 does not lead from the root the witness holds.
    w.write("y.txt", "yankee");
    w.run_at(&w.path("fork"), &["add", "y.txt", "--source", "s"])
        .ok();
    w.run_at(&w.path("fork"), &["cosign", "--witness", &witness])
        .fails(1, "(422");
    assert_eq!(state(), before);
    // The real ledger goes on.
    w.write("b.txt", "beta");
    w.run(&["add", "b.txt", "--source", "s"]).ok();
    w.run(&["cosign", "--witness", &witness]).ok();
    assert_ne!(state(), before);
}

#[test]
fn a_witness_killed_after_storing_and_before_answering_never_cosigns_the_fork() {
    let w = Workspace::new();
    let ledger_vkey = w.init();
    let k1 = witness_init(&w, "w1", "w1.example/witness");
    copy_dir(&w.ledger(), &w.path("fork"));
    w.write("a.txt", "alpha");
    w.write("z.txt", "zulu");
    w.run(&["add", "a.txt", "--source", "s"]).ok();
    w.run_at(&w.path("fork"), &["add", "z.txt", "--source", "s"])
        .ok();
    let mut s = Server::start(
        &w,
        "w1",
        &ledger_vkey,
        &[("PROV_TEST_STOP_AT", "WitnessPersisted")],
    );
    let witness = format!("{}={k1}", s.url);
    let cosign = w
        .cmd(&["cosign", "--witness", &witness])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = s.child.id();
    // Stopped, or at least parked at the crash point (it never answers from there).
    while proc_state(pid) != Some('T') && !s.log().contains("stopping at WitnessPersisted") {
        assert!(
            s.child.try_wait().unwrap().is_none(),
            "the witness ended instead of stopping"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    s.child.kill().unwrap();
    s.child.wait().unwrap();
    let r = Run::from(cosign.wait_with_output().unwrap());
    r.fails(5, "could not be reached");
    assert!(
        !w.path("ledger/cosignatures/1").exists(),
        "no answer, nothing stored"
    );
    // Restarted: it holds size 1 of the real ledger, so the fork is refused...
    let s = Server::start(&w, "w1", &ledger_vkey, &[]);
    let witness = format!("{}={k1}", s.url);
    w.run_at(&w.path("fork"), &["cosign", "--witness", &witness])
        .fails(1, "ALARM");
    // ...and the real ledger is cosigned at the size the witness stored.
    w.run(&["cosign", "--witness", &witness]).ok();
    assert!(
        s.log()
            .contains("cosigned the log e2e.example/ledger at size 1 (from 1)"),
        "{}",
        s.log()
    );
}

#[test]
fn an_append_whose_clock_is_before_the_latest_cosignature_is_refused() {
    let found = Command::new("faketime")
        .args(["-f", "+0", "true"])
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        prov_tests::skip("faketime is not installed (apt-get install faketime)");
        return;
    }
    let w = Workspace::new();
    let ledger_vkey = w.init();
    let k1 = witness_init(&w, "w1", "w1.example/witness");
    let s = Server::start(&w, "w1", &ledger_vkey, &[]);
    w.write("a.txt", "alpha");
    w.write("b.txt", "beta");
    w.write("c.txt", "gamma");
    w.run(&["add", "a.txt", "--source", "s"]).ok();
    // One minute behind the last entry is within the ledger's own tolerance (it clamps)...
    let behind = |args: &[&str]| {
        let mut c = Command::new("faketime");
        c.args(["-f", "-1m"]);
        w.run_wrapped(&mut c, args)
    };
    behind(&["add", "b.txt", "--source", "s"]).ok();
    // ...but not behind a witness's cosignature (of a witness the ledger lists): refused,
    // with both times.
    w.run(&["witnesses", "add", &s.url, &k1]).ok();
    w.run(&["cosign", "--witness", &format!("{}={k1}", s.url)])
        .ok();
    let r = behind(&["add", "c.txt", "--source", "s"]);
    r.fails(
        5,
        "earlier than the cosignature by witness w1.example/witness of checkpoint size 2 at ",
    );
    assert_eq!(r.stderr.matches("Z").count(), 2, "both times: {}", r.stderr);
    w.run(&["add", "c.txt", "--source", "s"]).ok();
    // The latest size's file emptied (damaged, or by someone who wants the clock back): the
    // earlier cosignature still holds the clock.
    w.run(&["cosign", "--witness", &format!("{}={k1}", s.url)])
        .ok();
    std::fs::write(w.ledger().join("cosignatures/3"), "").unwrap();
    w.write("d.txt", "delta");
    behind(&["add", "d.txt", "--source", "s"]).fails(
        5,
        "earlier than the cosignature by witness w1.example/witness of checkpoint size 2 at ",
    );
}

#[test]
fn witness_refusals_and_bad_input_are_one_line_each() {
    let w = Workspace::new();
    let ledger_vkey = w.init();
    let k1 = witness_init(&w, "w1", "w1.example/witness");
    w.run(&[
        "witness",
        "init",
        "--dir",
        "w1",
        "--name",
        "w1.example/witness",
    ])
    .fails(3, "already exists");
    // A witness for another ledger: 404, said as such; for another key under this
    // ledger's origin: 403, an alarm.
    let other = Workspace::new();
    let other_vkey = other
        .run(&["init", "--origin", "other.example/ledger"])
        .ok()
        .trim()
        .to_owned();
    let s = Server::start(&w, "w1", &other_vkey, &[]);
    w.run(&["cosign", "--witness", &format!("{}={k1}", s.url)])
        .fails(1, "does not witness this ledger");
    drop(s);
    let third = Workspace::new();
    let s = Server::start(&w, "w1", &third.init(), &[]);
    w.run(&["cosign", "--witness", &format!("{}={k1}", s.url)])
        .fails(
            1,
            "ALARM: witness w1.example/witness refused checkpoint size 0 (403",
        );
    w.run(&["cosign"]).fails(2, "no witnesses");
    w.run(&["cosign", "--witness", "nourl"])
        .fails(2, "URL=VKEY");
    w.run(&["witnesses", "add", "ftp://x", &k1])
        .fails(3, "http://");
    w.run(&["witnesses", "add", "http://x", &ledger_vkey])
        .fails(3, "log (checkpoint) key");
    // Nothing listens here (the server above is another witness folder's).
    w.run(&["cosign", "--witness", &format!("http://127.0.0.1:9={k1}")])
        .fails(5, "could not be reached");
    w.run(&["witness", "serve", "--dir", "w1", "--log", &ledger_vkey])
        .fails(4, "in use");
    w.run(&[
        "witness",
        "serve",
        "--dir",
        "nowhere",
        "--log",
        &ledger_vkey,
    ])
    .fails(3, "prov witness init");
    w.run(&[
        "verify-proof",
        "x",
        "--key",
        &ledger_vkey,
        "--witness",
        "junk",
    ])
    .fails(3, "--witness junk");
}

/// One raw HTTP/1.1 exchange on a new connection; returns the head (status line and
/// headers) and the body.
fn raw_http(url: &str, request: &[u8]) -> (String, String) {
    use std::io::{Read, Write};
    let addr = url.strip_prefix("http://").unwrap();
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.write_all(request).unwrap();
    let mut answer = Vec::new();
    s.read_to_end(&mut answer).unwrap();
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    (head.to_owned(), body.to_owned())
}

#[test]
fn hostile_requests_get_their_status_and_the_witness_goes_on() {
    let w = Workspace::new();
    let ledger_vkey = w.init();
    let k1 = witness_init(&w, "w1", "w1.example/witness");
    let s = Server::start(&w, "w1", &ledger_vkey, &[]);
    w.write("a.txt", "alpha");
    w.run(&["add", "a.txt", "--source", "s"]).ok();
    let post = |body: &str| {
        raw_http(
            &s.url,
            format!("POST /add-checkpoint HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}", body.len()).as_bytes(),
        )
    };
    for (request, want) in [
        (&b"GARBAGE\r\n\r\n"[..], "HTTP/1.1 400"),
        (b"GET /nothing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", "HTTP/1.1 404"),
        (b"GET /add-checkpoint HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", "HTTP/1.1 405"),
        // A declared body over the limit is refused before it is read.
        (b"POST /add-checkpoint HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 100000000\r\n\r\n", "HTTP/1.1 413"),
    ] {
        let (status, _) = raw_http(&s.url, request);
        assert!(status.starts_with(want), "{:?}: {status}", String::from_utf8_lossy(request));
    }
    assert!(
        post("old 0\n\nnot a checkpoint\n")
            .0
            .starts_with("HTTP/1.1 400")
    );
    assert!(post("old x\n").0.starts_with("HTTP/1.1 400"));
    // The ledger's own body, as `prov consistency` would write it from size 0: cosigned, and
    // again from 0: 409 with the size as text/x.tlog.size.
    let note = w.run(&["checkpoint"]).ok().to_owned();
    let (status, body) = post(&format!("old 0\n\n{note}"));
    assert!(status.starts_with("HTTP/1.1 200"), "{status}");
    check_independently(&note, body.trim_end(), &k1);
    let (status, body) = raw_http(
        &s.url,
        format!("POST /add-checkpoint HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: {}\r\n\r\nold 0\n\n{note}", note.len() + 7).as_bytes(),
    );
    assert!(status.starts_with("HTTP/1.1 409"), "{status}");
    assert!(
        status
            .to_ascii_lowercase()
            .contains("content-type: text/x.tlog.size"),
        "{status}"
    );
    assert_eq!(body, "1\n");
    // The monitoring endpoint serves the stored checkpoint with the cosignature.
    use sha2::Digest;
    let hash = hex::encode(sha2::Sha256::digest(b"e2e.example/ledger"));
    let (status, body) = raw_http(
        &s.url,
        format!("GET /{hash}/checkpoint HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .as_bytes(),
    );
    assert!(status.starts_with("HTTP/1.1 200"), "{status}");
    assert!(
        body.starts_with(&note) && body.contains("w1.example/witness"),
        "{body}"
    );
    let log = s.log();
    assert!(!log.contains("panicked"), "{log}");
}

/// A witness whose clock is a day ahead: its cosignature would refuse every append until the
/// ledger's clock caught up, so it is refused and nothing is stored.
#[test]
fn a_cosignature_dated_ahead_of_the_clock_is_refused_and_not_stored() {
    let lib = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1";
    if !std::path::Path::new(lib).exists() {
        prov_tests::skip("libfaketime is not installed (apt-get install faketime)");
        return;
    }
    let w = Workspace::new();
    let ledger_vkey = w.init();
    let k1 = witness_init(&w, "w1", "w1.example/witness");
    let s = Server::start(
        &w,
        "w1",
        &ledger_vkey,
        &[("LD_PRELOAD", lib), ("FAKETIME", "+1d")],
    );
    w.write("a.txt", "alpha");
    w.run(&["add", "a.txt", "--source", "s"]).ok();
    w.run(&["cosign", "--witness", &format!("{}={k1}", s.url)])
        .fails(1, "ahead of this machine's clock");
    let stored = std::fs::read_dir(w.ledger().join("cosignatures"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(stored, 0, "nothing stored");
    w.write("b.txt", "beta");
    w.run(&["add", "b.txt", "--source", "s"]).ok();
}

/// The witness's key file is read only as itself: a symbolic link in its place (to a key of
/// mode 0600 elsewhere, which the mode check read through the link) is refused, and answers
/// name a log by its origin in words, with a character that could change what a terminal
/// shows written as an escape.
#[test]
fn a_linked_witness_key_is_refused_and_an_odd_origin_is_answered_in_words() {
    let w = Workspace::new();
    let ledger_vkey = w.init();
    witness_init(&w, "w1", "w1.example/witness");
    std::fs::rename(w.path("w1/witness.key"), w.path("elsewhere.key")).unwrap();
    std::os::unix::fs::symlink(w.path("elsewhere.key"), w.path("w1/witness.key")).unwrap();
    // Read the first line it prints rather than wait for it: a witness that serves would
    // never exit.
    let mut child = w
        .cmd(&[
            "witness",
            "serve",
            "--dir",
            "w1",
            "--addr",
            "127.0.0.1:0",
            "--log",
            &ledger_vkey,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    if !line.is_empty() {
        let _ = child.kill();
    }
    let r = Run::from(child.wait_with_output().unwrap());
    assert!(line.is_empty(), "served with a linked key: {line}");
    assert_ne!(r.code, 0);
    assert!(
        r.stderr.contains("witness.key is a symbolic link"),
        "{}",
        r.stderr
    );
    std::fs::remove_file(w.path("w1/witness.key")).unwrap();
    std::fs::rename(w.path("elsewhere.key"), w.path("w1/witness.key")).unwrap();
    let s = Server::start(&w, "w1", &ledger_vkey, &[]);
    let body = "old 0\n\nevil\u{202e}txt.exe\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n\u{2014} x AAAAAAAA\n";
    let (status, answer) = raw_http(
        &s.url,
        format!(
            "POST /add-checkpoint HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .as_bytes(),
    );
    assert!(status.starts_with("HTTP/1.1 404"), "{status}");
    assert_eq!(
        answer,
        "this witness does not witness the log evil\\u{202e}txt.exe\n"
    );
}
