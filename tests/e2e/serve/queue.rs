//! A full queue is refused before the upload is read: 503 with `Retry-After` on the
//! request's headers alone, not after the whole body was taken in (or waited for).

use super::{Hold, Serve, archivist, upload};
use prov_tests::Workspace;
use std::io::{Read, Write};
use std::sync::Arc;

#[test]
fn a_full_queue_refuses_an_upload_before_reading_its_body() {
    let w = Workspace::new();
    w.init();
    let token = archivist(&w, "ned@news.example");
    let hold = Hold::new(&w);
    // A body that never comes whole would be cut off after 1 s with 408: a 503 says the
    // queue was checked first.
    let s = Arc::new(Serve::start(
        &w,
        &["--queue", "1", "--body-timeout", "1s"],
        &[hold.env()],
    ));
    let waiting = {
        let (s, token) = (s.clone(), token.clone());
        std::thread::spawn(move || upload(&s, Some(&token), "source=x", b"queued\n"))
    };
    hold.wait_for(1);
    for content_type in ["application/octet-stream", "application/json"] {
        let mut c = std::net::TcpStream::connect(("127.0.0.1", s.port)).unwrap();
        write!(
            c,
            "POST /v1/documents?source=x HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Type: {content_type}\r\nContent-Length: 1000000\r\n\r\n0123456789"
        )
        .unwrap();
        let mut answer = Vec::new();
        let _ = c.read_to_end(&mut answer);
        let answer = String::from_utf8_lossy(&answer).to_ascii_lowercase();
        assert!(answer.starts_with("http/1.1 503"), "{answer}");
        assert!(answer.contains("retry-after: 1"), "{answer}");
        assert!(answer.contains("too many uploads waiting"), "{answer}");
    }
    let claim = super::post_json(
        &s,
        Some(&token),
        "/v1/claims",
        r#"{"about": 0, "verdict": "forged", "by": "x"}"#,
    );
    assert_eq!(claim.status, 503, "{}", claim.body);
    hold.release();
    assert_eq!(waiting.join().unwrap().status, 200);
    assert_eq!(upload(&s, Some(&token), "source=x", b"after\n").status, 200);
}
