//! Stored cosignatures count only when they verify (issue 14's gaps): whoever can write the
//! ledger folder can write `cosignatures/N`, so `check`, the clock check of an append and
//! `audit` verify each line with a listed (or given) witness key over the checkpoint of its
//! size before it counts, and say so when one does not. A real witness on the loopback makes
//! the genuine lines; the forged ones are written here as an intruder would.

use crate::witness::{Server, witness_init};
use prov_proofs::{CosignerSigner, CosignerVerifier, NoteSignature};
use prov_tests::Workspace;
use serde_json::json;
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// The note text (the signed lines) of the ledger's checkpoint of `size`.
fn checkpoint_text(w: &Workspace, size: u64) -> String {
    let note = w
        .run(&["checkpoint", "--size", &size.to_string()])
        .ok()
        .to_owned();
    note[..note.find("\n\n").unwrap() + 1].to_owned()
}

#[test]
fn stored_cosignatures_count_only_when_they_verify_with_a_listed_witness() {
    let w = Workspace::new();
    let vkey = w.init();
    let k1 = witness_init(&w, "w1", "w1.example/witness");
    let s = Server::start(&w, "w1", &vkey, &[]);
    w.run(&["witnesses", "add", &s.url, &k1]).ok();
    for (i, name) in ["a.txt", "b.txt"].iter().enumerate() {
        w.write(name, format!("document {i}"));
        w.run(&["add", name, "--source", "s"]).ok();
        w.run(&["cosign"]).ok();
    }
    let dir = w.ledger().join("cosignatures");
    let genuine2 = std::fs::read_to_string(dir.join("2")).unwrap();
    let c = w.run(&["check", "b.txt", "--json"]).documents()[0].clone();
    assert_eq!(c["independent_bound"]["checkpoint_size"], 2, "{c}");
    assert_eq!(c["unverified_evidence"], json!([]), "{c}");
    let audited = w.run(&["audit", "--json"]).json();
    assert_eq!(audited["evidence_verified"], 2, "{audited}");

    // The witness's real line of checkpoint 1 copied beside checkpoint 2: it never cosigned
    // 2 with it, so nothing bounds b.txt, and `check` says why in one line.
    std::fs::copy(dir.join("1"), dir.join("2")).unwrap();
    let r = w.run(&["check", "b.txt", "--json"]);
    let c = r.documents()[0].clone();
    assert_eq!(c["independent_bound"], json!(null), "{c}");
    assert_eq!(c["unverified_evidence"][0]["file"], "cosignatures/2", "{c}");
    assert_eq!(c["unverified_evidence"][0]["trusted_signer"], true, "{c}");
    // Under --json, the note is a record of the stream (kind unverified_evidence).
    let note: Vec<&str> = r
        .stdout
        .lines()
        .filter(|l| l.contains("not counted") && l.contains("\"kind\":\"unverified_evidence\""))
        .collect();
    assert_eq!(note.len(), 1, "{}", r.stderr);
    assert!(
        note[0].contains("cosignatures/2 by w1.example/witness")
            && note[0].contains("does not verify over the checkpoint of size 2")
            && note[0].contains("run `prov audit`"),
        "{}",
        note[0]
    );
    // The audit names the file and the fix.
    w.run(&["audit"]).fails(1, "cosignatures/2");
    let r = w.run(&["audit", "--json"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let a: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let what = a["fault"]["what"].as_str().unwrap();
    assert!(
        what.contains(
            "a cosignature by w1.example/witness stored for the checkpoint of size 2 does not hold"
        ) && what.contains("run `prov cosign`"),
        "{a}"
    );
    assert!(
        a["fault"]["file"]
            .as_str()
            .unwrap()
            .ends_with("cosignatures/2"),
        "{a}"
    );

    // Lines dated a day ahead, as an intruder who wants every append refused writes them:
    // one in the listed witness's name with a signature that is not its own, one validly
    // signed by a key nobody listed. Neither holds the clock back, neither bounds b.txt.
    let w1 = CosignerVerifier::parse(&k1).unwrap();
    let ahead = now() + 86_400;
    let mut raw = ahead.to_be_bytes().to_vec();
    raw.extend_from_slice(&[7u8; 64]);
    let forged = NoteSignature::new(&w1.name, w1.key_id, raw);
    let rogue = CosignerSigner::new(
        "rogue.example/w",
        ed25519_dalek::SigningKey::from_bytes(&[9; 32]),
    )
    .unwrap();
    let rogue_line = rogue.cosign(&checkpoint_text(&w, 2), ahead).unwrap();
    std::fs::write(
        dir.join("2"),
        format!("{}\n{}\n", forged.to_line(), rogue_line.to_line()),
    )
    .unwrap();
    w.write("c.txt", "document 2");
    w.run(&["add", "c.txt", "--source", "s"]).ok();
    let c = w.run(&["check", "b.txt", "--json"]).documents()[0].clone();
    assert_eq!(c["independent_bound"], json!(null), "{c}");
    let not = c["unverified_evidence"].as_array().unwrap();
    assert_eq!(not.len(), 2, "{c}");
    assert_eq!(not[1]["by"], "rogue.example/w", "{c}");
    assert_eq!(not[1]["trusted_signer"], false, "{c}");

    // The genuine lines back, plus the rogue's: the audit checks what it can and says how
    // many it could not; given the rogue's key as the only witness, the audit refuses w1's
    // line as unknown (not checked), and checks the rogue's.
    std::fs::write(
        dir.join("2"),
        format!("{genuine2}{}\n", rogue_line.to_line()),
    )
    .unwrap();
    let a = w.run(&["audit", "--json"]).json();
    assert_eq!(a["ok"], true, "{a}");
    assert_eq!(a["evidence_verified"], 2, "{a}");
    assert_eq!(a["evidence_untrusted"], 1, "{a}");
    let out = w.run(&["audit"]).ok().to_owned();
    assert!(
        out.contains("  evidence  2 stored cosignatures and timestamps verified; 1 by witnesses or TSAs not trusted"),
        "{out}"
    );
    let rogue_vkey = rogue.verifier().to_vkey();
    let a = w.run(&["audit", "--json", "--witness", &rogue_vkey]).json();
    assert_eq!(a["evidence_verified"], 1, "{a}");
    assert_eq!(a["evidence_untrusted"], 2, "{a}");

    // The audit bundle carries the cosignatures and witnesses.json, and its audit checks
    // them the same way.
    w.run(&["export", "--audit-bundle", "bundle"]).ok();
    let a = w.run_at(&w.path("bundle"), &["audit", "--json"]).json();
    assert_eq!(a["evidence_verified"], 2, "{a}");
    std::fs::copy(dir.join("1"), w.path("bundle/cosignatures/2")).unwrap();
    w.run_at(&w.path("bundle"), &["audit"])
        .fails(1, "cosignatures/2");
}

/// Issue 14's hot path: the clock check reads and verifies the stored cosignatures once per
/// process, not at every batch (the files are seen opened by strace); it reads them again
/// only when they change, so a line stored by another process meanwhile still counts.
#[test]
fn an_add_of_many_batches_reads_the_stored_cosignatures_once() {
    if Command::new("strace").arg("-V").output().is_err() {
        prov_tests::skip("strace is not installed (apt-get install strace)");
        return;
    }
    let w = Workspace::new();
    w.init();
    let signer = CosignerSigner::new(
        "w.example/w",
        ed25519_dalek::SigningKey::from_bytes(&[5; 32]),
    )
    .unwrap();
    let vkey = signer.verifier().to_vkey();
    w.run(&["witnesses", "add", "http://127.0.0.1:9", &vkey])
        .ok();
    // Three checkpoints, each with a valid line of the listed witness.
    for i in 0..3u64 {
        w.write(&format!("{i}.txt"), format!("document {i}"));
        w.run(&["add", &format!("{i}.txt"), "--source", "s"]).ok();
        let line = signer
            .cosign(&checkpoint_text(&w, i + 1), now() - 100 + i)
            .unwrap();
        w.write(
            &format!("ledger/cosignatures/{}", i + 1),
            format!("{}\n", line.to_line()),
        );
    }
    let manifest: String = (0..20)
        .map(|i| format!("{} {} doc{i}\n", hex::encode([i as u8; 32]), i + 1))
        .collect();
    w.write("m.txt", manifest);
    let trace = w.path("trace");
    let mut strace = Command::new("strace");
    strace
        .args(["-f", "-qq", "-e", "trace=openat", "-o"])
        .arg(&trace);
    let r = w.run_wrapped(
        &mut strace,
        &[
            "add",
            "--manifest",
            "m.txt",
            "--source",
            "s",
            "--batch",
            "1",
        ],
    );
    r.ok();
    let opened = std::fs::read_to_string(&trace)
        .unwrap()
        .lines()
        .filter(|l| l.contains("/cosignatures/") && !l.contains("/cosignatures/."))
        .count();
    assert_eq!(opened, 3, "each cosignature file once for 20 batches");
}

/// A witness (here a hostile one, a few lines of HTTP in this test) whose answer starts with
/// a blank line, then a line it signed over the whole note the ledger sent (its text, a blank
/// line and the ledger's signature): read as one note with the checkpoint, that answer moved
/// the text the line was checked over, and `prov cosign` stored a line that does not verify
/// over the checkpoint. The answer is now read as signature lines alone.
#[test]
fn a_witness_answer_that_moves_the_signed_text_is_refused_and_nothing_is_stored() {
    use std::io::{BufRead, BufReader, Read, Write};
    let w = Workspace::new();
    w.init();
    w.write("a.txt", "alpha");
    w.run(&["add", "a.txt", "--source", "s"]).ok();
    let signer = CosignerSigner::new(
        "hostile.example/w",
        ed25519_dalek::SigningKey::from_bytes(&[6; 32]),
    )
    .unwrap();
    let vkey = signer.verifier().to_vkey();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let server = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut r = BufReader::new(stream.try_clone().unwrap());
        let mut length = 0usize;
        loop {
            let mut line = String::new();
            r.read_line(&mut line).unwrap();
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = v.trim().parse().unwrap();
            }
            if line == "\r\n" {
                break;
            }
        }
        let mut body = vec![0; length];
        r.read_exact(&mut body).unwrap();
        let body = String::from_utf8(body).unwrap();
        // The tlog-witness body: the old size line, a blank line, the signed note.
        let note = body.split_once("\n\n").unwrap().1;
        let line = signer.cosign(note, now()).unwrap();
        let answer = format!("\n{}\n", line.to_line());
        let mut s = stream;
        write!(
            s,
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
            answer.len()
        )
        .unwrap();
    });
    w.run(&["cosign", "--witness", &format!("{url}={vkey}")])
        .fails(
            1,
            "witness hostile.example/w answered a cosignature that does not parse",
        );
    server.join().unwrap();
    assert!(
        !w.ledger().join("cosignatures/1").exists(),
        "a line that does not verify over the checkpoint was stored"
    );
}

/// `prov witnesses add` and `prov tsas add` rewrite their file under the ledger's writer lock:
/// eight at once (four of each) keep all eight, where each read-then-replace without it could
/// drop what another had just written.
#[test]
fn witnesses_and_tsas_added_at_once_are_all_kept() {
    let w = Workspace::new();
    w.init();
    let cert = w.path("cert.der");
    let made = Command::new("openssl")
        .current_dir(w.path(""))
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "k.pem",
            "-subj",
            "/CN=t",
            "-days",
            "1",
            "-outform",
            "DER",
            "-out",
        ])
        .arg(&cert)
        .output()
        .is_ok_and(|o| o.status.success());
    let mut children = Vec::new();
    for i in 0..4u8 {
        let vkey = CosignerSigner::new(
            &format!("w{i}.example/w"),
            ed25519_dalek::SigningKey::from_bytes(&[i + 1; 32]),
        )
        .unwrap()
        .verifier()
        .to_vkey();
        let url = format!("http://127.0.0.1:{}", 9000 + u16::from(i));
        children.push(w.cmd(&["witnesses", "add", &url, &vkey]).spawn().unwrap());
        let tsa = format!("http://127.0.0.1:{}/tsr", 9100 + u16::from(i));
        let mut c = w.cmd(&["tsas", "add", &tsa]);
        if made {
            c.arg("--cert").arg(&cert);
        }
        children.push(c.spawn().unwrap());
    }
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    assert_eq!(w.run(&["witnesses", "list", "--json"]).jsonl().len(), 4);
    assert_eq!(w.run(&["tsas", "list", "--json"]).jsonl().len(), 4);
}

/// Asking a witness or a TSA again at the same checkpoint size never loses the earlier
/// cosignature or token: the earlier one is the better bound on when the checkpoint existed
/// (a witness an hour behind first, under libfaketime, then with the real time; a TSA with
/// the real time, then a minute ahead).
#[test]
fn asking_again_at_the_same_size_keeps_the_earlier_bound() {
    let lib = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1";
    let have = std::path::Path::new(lib).exists()
        && crate::timestamps::have_openssl()
        && Command::new("faketime")
            .args(["-f", "+0", "true"])
            .status()
            .is_ok_and(|s| s.success());
    if !have {
        prov_tests::skip("faketime or openssl is not installed");
        return;
    }
    let w = Workspace::new();
    let vkey = w.init();
    let k1 = witness_init(&w, "w1", "w1.example/witness");
    let tsa = crate::timestamps::Tsa::start(&w.path("tsa"), "Test TSA", true);
    w.run(&[
        "tsas",
        "add",
        &tsa.url,
        "--cert",
        crate::timestamps::p(&tsa.cert),
    ])
    .ok();
    w.write("a.txt", "alpha");
    w.run(&["add", "a.txt", "--source", "s"]).ok();
    let behind = Server::start(&w, "w1", &vkey, &[("LD_PRELOAD", lib), ("FAKETIME", "-1h")]);
    w.run(&["witnesses", "add", &behind.url, &k1]).ok();
    w.run(&["cosign"]).ok();
    drop(behind);
    w.run(&["timestamp"]).ok();
    let first = w.run(&["check", "a.txt", "--json"]).documents()[0].clone();
    let t1 = first["independent_bound"]["time"]
        .as_str()
        .unwrap()
        .to_owned();
    let stamped1 = w.run(&["timestamps", "--json"]).json()["gen_time"].clone();

    // The same checkpoint, asked again: the witness with the real time, the TSA a minute
    // ahead (within the clock's tolerance; its certificate was not valid an hour ago).
    std::fs::write(w.path("tsa/faketime"), "+1m").unwrap();
    let s = Server::start(&w, "w1", &vkey, &[]);
    w.run(&["witnesses", "add", &s.url, &k1]).ok();
    let out = w.run(&["cosign"]).ok().to_owned();
    assert!(out.contains("(its earlier cosignature of "), "{out}");
    let out = w.run(&["timestamp"]).ok().to_owned();
    assert!(out.contains("(its earlier token of "), "{out}");
    let again = w.run(&["check", "a.txt", "--json"]).documents()[0].clone();
    assert_eq!(again["independent_bound"]["time"], t1.as_str(), "{again}");
    assert_eq!(
        w.run(&["timestamps", "--json"]).json()["gen_time"],
        stamped1
    );
    let a = w.run(&["audit", "--json"]).json();
    assert_eq!(a["evidence_verified"], 2, "{a}");
}

/// The checkpoints `prove` and `checkpoint` print carry only the stored lines that verify
/// with a listed witness's key: a line in a trusted witness's name that does not verify makes
/// a verifier refuse the whole note (signed-note), so an intruder who appended one could
/// spoil every proof of that size; and a cosignature file that does not read at all no
/// longer stops `prov checkpoint`.
#[test]
fn a_forged_line_beside_a_genuine_one_does_not_spoil_the_proofs() {
    let w = Workspace::new();
    let vkey = w.init();
    let k1 = witness_init(&w, "w1", "w1.example/witness");
    let s = Server::start(&w, "w1", &vkey, &[]);
    w.run(&["witnesses", "add", &s.url, &k1]).ok();
    w.write("a.txt", "alpha");
    w.run(&["add", "a.txt", "--source", "s", "--cosign"]).ok();
    let w1 = CosignerVerifier::parse(&k1).unwrap();
    let mut raw = (now() - 10).to_be_bytes().to_vec();
    raw.extend_from_slice(&[3u8; 64]);
    let forged = NoteSignature::new(&w1.name, w1.key_id, raw);
    let file = w.ledger().join("cosignatures/1");
    let genuine = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, format!("{}\n{genuine}", forged.to_line())).unwrap();
    w.run(&["prove", "a.txt", "-o", "a.tlog-proof"]).ok();
    let proof = std::fs::read_to_string(w.path("a.tlog-proof")).unwrap();
    assert!(!proof.contains(&forged.to_line()), "{proof}");
    assert!(proof.contains(genuine.trim_end()), "{proof}");
    let v = w
        .run(&[
            "verify-proof",
            "a.tlog-proof",
            "--key",
            &vkey,
            "--witness",
            &k1,
            "--quorum",
            "1",
        ])
        .ok()
        .to_owned();
    assert!(v.contains("cosigned  by w1.example/witness at "), "{v}");
    std::fs::write(&file, "not a cosignature\n").unwrap();
    let note = w.run(&["checkpoint"]).ok().to_owned();
    assert_eq!(note.matches('\u{2014}').count(), 1, "{note}");
}

/// The token `prove` writes beside a proof (and lists first in `--json`) is one that
/// verifies with a listed TSA's certificate, not merely the earliest stored: a token from a
/// TSA not listed (asked with `timestamp --tsa URL`, or planted) that came first led, and
/// `verify-proof --tsa-cert` with the listed TSA's certificate then refused the proof; and a
/// token file that does not read no longer stops `prove`.
#[test]
fn prove_carries_first_the_token_of_a_listed_tsa() {
    if !crate::timestamps::have_openssl()
        || Command::new("faketime").arg("--version").output().is_err()
    {
        prov_tests::skip("openssl or faketime is not installed");
        return;
    }
    use crate::timestamps::{Tsa, p};
    let w = Workspace::new();
    let vkey = w.init();
    let listed = Tsa::start(&w.path("tsa-listed"), "Listed TSA", true);
    let other = Tsa::start(&w.path("tsa-other"), "Other TSA", false);
    w.run(&["tsas", "add", &listed.url, "--cert", p(&listed.cert)])
        .ok();
    w.write("a.txt", "alpha");
    w.run(&["add", "a.txt", "--source", "s"]).ok();
    w.run(&["timestamp", "--tsa", &other.url]).ok();
    // The listed TSA's token a minute later (its clock ahead, within the tolerance).
    std::fs::write(w.path("tsa-listed/faketime"), "+1m").unwrap();
    w.run(&["timestamp"]).ok();
    w.write("ledger/timestamps/1-0123456789abcdef.tst", "not a token");
    w.run(&["prove", "a.txt", "-o", "a.tlog-proof"]).ok();
    w.run(&["prove", "a.txt", "--json", "-o", "a.json"]).ok();
    for proof in ["a.tlog-proof", "a.json"] {
        let v = w
            .run(&[
                "verify-proof",
                proof,
                "--key",
                &vkey,
                "--tsa-cert",
                p(&listed.cert),
            ])
            .ok()
            .to_owned();
        assert!(v.contains(" per CN=Listed TSA"), "{proof}: {v}");
    }
}

/// A `witnesses.json` that does not read (a slip while editing it by hand, or an intruder)
/// does not stop `check`, `checkpoint` or `prove`: no cosignature counts or is carried, and
/// `check` says why in one line; `audit` reports the file as a fault.
#[test]
fn a_configuration_that_does_not_read_stops_no_lookup() {
    let w = Workspace::new();
    let vkey = w.init();
    let k1 = witness_init(&w, "w1", "w1.example/witness");
    let s = Server::start(&w, "w1", &vkey, &[]);
    w.run(&["witnesses", "add", &s.url, &k1]).ok();
    w.write("a.txt", "alpha");
    w.run(&["add", "a.txt", "--source", "s", "--cosign"]).ok();
    w.write("ledger/witnesses.json", "{\"format\": 1, \"witnesses\": [");
    let r = w.run(&["check", "a.txt", "--json"]);
    assert_eq!(r.documents()[0]["independent_bound"], json!(null));
    let said = r
        .jsonl()
        .into_iter()
        .find(|v| v["kind"] == "config_unreadable");
    assert!(
        said.is_some_and(|v| v["note"].as_str().unwrap().contains("witnesses.json")),
        "{}",
        r.stdout
    );
    let note = w.run(&["checkpoint"]).ok().to_owned();
    assert_eq!(note.matches('\u{2014}').count(), 1, "{note}");
    w.run(&["prove", "a.txt", "-o", "a.tlog-proof"]).ok();
    w.run(&["audit"]).fails(1, "witnesses.json");
    // With the witnesses' keys given, the file that does not read is not needed: the audit
    // reads the TSAs' from theirs (none here) and passes.
    w.run(&["audit", "--witness", &k1]).ok();
}
