//! `prov --server URL prove --key KEY`: the client checks the proof a server sends against
//! the verifier key it trusts, and writes nothing when it does not verify (exit 7). The
//! lying server is a few lines here: a loopback listener that answers every request with
//! the same body, a changed copy of a real proof.

use super::{Serve, archivist};
use prov_tests::{Run, Workspace};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;

/// A server that answers every request with 200 and `body`; its URL.
fn lying_server(body: String) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 0) && line != "\r\n" {
                line.clear();
            }
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    url
}

fn prove_through(w: &Workspace, url: &str, args: &[&str]) -> Run {
    let mut c = w.cmd(&["--server", url, "prove"]);
    c.args(args);
    Run::from(c.output().unwrap())
}

#[test]
fn a_proof_from_the_server_is_verified_before_it_is_written() {
    let w = Workspace::new();
    let vkey = w.init();
    let vkey = vkey.trim();
    let token = archivist(&w, "jo@news.example");
    let s = Serve::start(&w, &[], &[]);
    for (name, text) in [("a.txt", "alpha\n"), ("b.txt", "beta\n")] {
        w.write(name, text);
        let mut c = w.cmd(&["--server", &s.url, "add", name, "--source", "s"]);
        c.env("PROV_TOKEN", &token);
        Run::from(c.output().unwrap()).ok();
    }
    // The honest server: verified, written, and the same as verify-proof checks.
    prove_through(&w, &s.url, &["1", "--key", vkey, "-o", "b.tlog-proof"]).ok();
    prove_through(&w, &s.url, &["a.txt", "--key", vkey, "-o", "a.tlog-proof"]).ok();
    let real = std::fs::read_to_string(w.path("b.tlog-proof")).unwrap();
    w.run(&[
        "verify-proof",
        "b.tlog-proof",
        "--key",
        vkey,
        "--document",
        "b.txt",
    ])
    .ok();
    // Without a key there is nothing to check against: a usage error.
    prove_through(&w, &s.url, &["1"]).fails(2, "--key");
    // Another ledger's key: the honest server's proof does not verify against it.
    let other = Workspace::new();
    let other_key = other.init();
    let r = prove_through(&w, &s.url, &["1", "--key", other_key.trim(), "-o", "x"]);
    r.fails(7, "does not verify against --key");
    assert!(!w.path("x").exists());
    // On the ledger itself --key checks the proof too.
    w.run(&["prove", "1", "--key", other_key.trim(), "-o", "x"])
        .fails(7, "this ledger's proof of entry 1 does not verify");
    assert!(!w.path("x").exists());
    w.run(&["prove", "1", "--key", vkey]).ok();
    // A server that changes the proof's path: refused, nothing written, one line.
    let lines: Vec<&str> = real.lines().collect();
    let at = lines.iter().position(|l| l.starts_with("index ")).unwrap() + 1;
    let mut changed = lines.clone();
    let zero = format!("{}=", "A".repeat(43));
    changed[at] = &zero;
    let liar = lying_server(changed.join("\n") + "\n");
    let r = prove_through(&w, &liar, &["1", "--key", vkey, "-o", "forged.tlog-proof"]);
    r.fails(7, "the server's proof of entry 1 does not verify");
    assert!(!w.path("forged.tlog-proof").exists());
    // The same printed to stdout: nothing printed.
    let r = prove_through(&w, &liar, &["1", "--key", vkey]);
    assert_eq!((r.code, r.stdout.as_str()), (7, ""), "{}", r.stderr);
    // A true proof, but of another entry than the one asked for.
    let liar = lying_server(std::fs::read_to_string(w.path("a.tlog-proof")).unwrap());
    prove_through(&w, &liar, &["1", "--key", vkey, "-o", "y"]).fails(7, "it proves entry 0");
    assert!(!w.path("y").exists());
    // Not a proof at all.
    let liar = lying_server("hello\n".into());
    prove_through(&w, &liar, &["1", "--key", vkey]).fails(7, "malformed");
}
