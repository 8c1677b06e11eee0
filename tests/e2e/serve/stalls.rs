//! Clients that hold a connection without making progress: one that never reads the answers
//! it asked for (the server's writes stall once the socket buffers are full), one that
//! never sends a request, one that keeps an idle keep-alive connection open. Each is closed
//! once its time is up, and a server whose every slot they held answers new clients again.

use super::Serve;
use prov_tests::Workspace;
use std::io::{Read, Write};
use std::net::TcpStream;

/// A connection that sends requests without end and never reads an answer; the thread
/// writing them ends when the server closes the connection.
fn never_reads(port: u16) -> (TcpStream, std::thread::JoinHandle<()>) {
    let c = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let mut writer = c.try_clone().unwrap();
    let requests = "GET /nothing/here HTTP/1.1\r\nHost: x\r\n\r\n".repeat(1000);
    let t = std::thread::spawn(move || while writer.write_all(requests.as_bytes()).is_ok() {});
    (c, t)
}

/// Reads what the server sends until it closes the connection (or resets it).
fn until_closed(mut c: TcpStream) -> Vec<u8> {
    let mut got = Vec::new();
    let _ = c.read_to_end(&mut got);
    got
}

/// A new client's `GET /checkpoint`, answered once a slot is free. Its read has a bound
/// only so that a server that never frees a slot fails the test instead of hanging it (the
/// server's own timeouts are 1 s).
fn probe(s: &Serve) {
    let mut probe = TcpStream::connect(("127.0.0.1", s.port)).unwrap();
    probe
        .set_read_timeout(Some(std::time::Duration::from_secs(120)))
        .unwrap();
    probe
        .write_all(b"GET /checkpoint HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut answer = Vec::new();
    let read = probe.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        read.is_ok() && answer.starts_with("HTTP/1.1 200"),
        "{read:?}: {answer}; the server's last lines: {:?}",
        s.log().lines().rev().take(5).collect::<Vec<_>>()
    );
    assert!(answer.contains("e2e.example/ledger\n0\n"), "{answer}");
}

#[test]
fn stalled_clients_are_closed_and_a_full_server_answers_new_ones() {
    let w = Workspace::new();
    w.init();
    let s = Serve::start(
        &w,
        &[
            "--max-connections",
            "2",
            "--write-timeout",
            "1s",
            "--header-timeout",
            "1s",
        ],
        &[],
    );
    // Both slots held by a client that never speaks and an idle keep-alive connection
    // (after an answer it read): closed after --header-timeout, with nothing sent.
    let silent = TcpStream::connect(("127.0.0.1", s.port)).unwrap();
    let mut idle = TcpStream::connect(("127.0.0.1", s.port)).unwrap();
    idle.write_all(b"GET /checkpoint HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut first = [0u8; 12];
    idle.read_exact(&mut first).unwrap();
    assert_eq!(&first, b"HTTP/1.1 200");
    probe(&s);
    assert!(until_closed(silent).is_empty());
    let rest = until_closed(idle);
    assert!(
        !String::from_utf8_lossy(&rest).contains("HTTP/1.1"),
        "{rest:?}"
    );
    // Both slots held by clients that ask without end and never read: each is closed once
    // the server could not write for --write-timeout, and a new client is answered.
    let readers = [never_reads(s.port), never_reads(s.port)];
    probe(&s);
    for (c, t) in readers {
        t.join().unwrap();
        drop(c);
    }
}
