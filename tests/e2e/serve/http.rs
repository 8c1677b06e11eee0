//! HTTP as any client expects it: HEAD on every read route is GET without the body (RFC
//! 9110 section 9.3.2), and every refusal says what to do in HTTP terms.

use super::{Serve, archivist, upload};
use prov_tests::Workspace;
use std::io::{Read, Write};

/// One request on its own connection; the answer's head (status line and header fields,
/// lower-cased) and its body.
fn raw(s: &Serve, request: &str) -> (String, Vec<u8>) {
    let mut c = std::net::TcpStream::connect(("127.0.0.1", s.port)).unwrap();
    c.write_all(request.as_bytes()).unwrap();
    let mut answer = Vec::new();
    c.read_to_end(&mut answer).unwrap();
    let at = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no head: {}", String::from_utf8_lossy(&answer)));
    let head = String::from_utf8_lossy(&answer[..at]).to_ascii_lowercase();
    (head, answer[at + 4..].to_vec())
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}: ")))
        .map(str::trim)
}

#[test]
fn head_is_get_without_the_body_on_every_read_route() {
    let w = Workspace::new();
    w.init();
    let token = archivist(&w, "max@news.example");
    let s = Serve::start(&w, &[], &[]);
    upload(&s, Some(&token), "source=x", b"one\n");
    let sha = "f6d9ba2d2c2b8ab7d2c2d4c23b4ff5cdcf1c8dbb19d07ae5eb9a5a91f5a35ba8";
    for path in [
        "/checkpoint",
        "/v1/entries/0",
        "/v1/proofs/0",
        "/v1/consistency?old=1",
        &format!("/v1/documents/{sha}"),
        "/v1/entries/9",
        "/nothing",
    ] {
        let req = |method: &str| {
            raw(
                &s,
                &format!("{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
            )
        };
        let (get, body) = req("GET");
        let (head, nothing) = req("HEAD");
        assert_eq!(
            get.lines().next(),
            head.lines().next(),
            "{path}: {get}\n{head}"
        );
        assert!(nothing.is_empty(), "{path}: a body to HEAD: {nothing:?}");
        assert_eq!(
            header(&head, "content-length"),
            Some(body.len().to_string().as_str()),
            "{path}: {head}"
        );
        for name in ["content-type", "cache-control"] {
            assert_eq!(header(&get, name), header(&head, name), "{path} {name}");
        }
    }
    // The tiles tree too, and a write route is still POST only.
    let (head, nothing) = raw(
        &s,
        "HEAD /tile/entries/000.p/1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(nothing.is_empty());
    let (head, _) = raw(
        &s,
        "HEAD /v1/documents HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert!(head.starts_with("http/1.1 405"), "{head}");
    assert_eq!(header(&head, "allow"), Some("post"));
    let (head, _) = raw(
        &s,
        "DELETE /checkpoint HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert!(head.starts_with("http/1.1 405"), "{head}");
    assert_eq!(header(&head, "allow"), Some("get, head"));
}

/// Every refusal's hint speaks to an HTTP client: what to send, or whom to ask; never a
/// `prov` command or flag, which such a client does not have. (`/verify/` without the page
/// says what its operator would start the server with: web/served.rs.)
#[test]
fn refusals_say_what_to_do_in_http_terms() {
    let w = Workspace::new();
    w.init();
    let token = archivist(&w, "max@news.example");
    let s = Serve::start(&w, &["--max-body", "100"], &[]);
    upload(&s, Some(&token), "source=x", b"one\n");
    let post =
        |path: &str, token: Option<&str>, json: &str| super::post_json(&s, token, path, json);
    let list = format!(
        r#"{{"documents": [{}]}}"#,
        vec![
            format!(
                r#"{{"sha256": "{}", "size": 1, "source": "x"}}"#,
                "b".repeat(64)
            );
            4097
        ]
        .join(",")
    );
    let refusals = [
        upload(&s, None, "source=x", b"no token\n"),
        upload(&s, Some(&token), "name=x", b"no source\n"),
        upload(&s, Some(&token), "source=x", &[b'a'; 200]),
        post("/v1/documents", Some(&token), "{not json"),
        post("/v1/documents", Some(&token), &list),
        post("/v1/claims", Some(&token), r#"{"about": 0}"#),
        post(
            "/v1/claims",
            Some(&token),
            r#"{"about": 0, "verdict": "forged", "by": "x", "meta": {"claim.reason": "r"}}"#,
        ),
        super::get(&format!("{}/nothing", s.url)),
        super::get(&format!("{}/v1/entries/x", s.url)),
    ];
    for r in refusals {
        assert!(r.status >= 400, "{}", r.body);
        let v = r.json();
        let hint = v["hint"].as_str().unwrap();
        let error = v["error"].as_str().unwrap();
        for text in [hint, error] {
            assert!(
                !text.contains("prov ") && !text.contains(" --"),
                "{}: a prov command or flag in {v}",
                r.status
            );
        }
    }
    let (head, _) = raw(
        &s,
        "PUT /checkpoint HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert!(head.starts_with("http/1.1 405"), "{head}");
}

/// A request hyper cannot parse is answered by hyper alone: its status and an empty body
/// (hyper 1 has no hook to give that answer a body), and the server goes on serving.
#[test]
fn a_request_hyper_cannot_parse_gets_its_status_and_the_server_goes_on() {
    let w = Workspace::new();
    w.init();
    let s = Serve::start(&w, &[], &[]);
    let (head, body) = raw(&s, "GET /checkpoint HTTP/1.1\r\nHost x\r\n\r\n");
    assert!(head.starts_with("http/1.1 400"), "{head}");
    assert!(body.is_empty(), "{body:?}");
    let (head, _) = raw(
        &s,
        "GET /checkpoint HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert!(head.starts_with("http/1.1 200"), "{head}");
}

/// A write refused before its body is read (a wrong token) is answered once the small body
/// that was still arriving is in: a server that answered and closed at once would reset the
/// connection when the rest arrived, and the client would see "broken pipe" or "connection
/// reset" instead of the 401 (RFC 9112 section 9.6). The body here comes in pieces, the
/// first after a pause in which such a server would already have answered and closed.
#[test]
fn a_refusal_is_read_by_a_client_still_sending_its_small_body() {
    let w = Workspace::new();
    w.init();
    let s = Serve::start(&w, &[], &[]);
    for path in ["/v1/documents?source=x", "/v1/claims"] {
        let mut c = std::net::TcpStream::connect(("127.0.0.1", s.port)).unwrap();
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nContent-Length: 4096\r\nConnection: close\r\n\r\n",
            "0".repeat(64)
        );
        c.write_all(head.as_bytes()).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(300));
        // In four pieces, well within the 2 s the server waits for a body it drops.
        for _ in 0..4 {
            c.write_all(&[b'{'; 1024])
                .unwrap_or_else(|e| panic!("{path}: sending the body: {e}"));
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let mut answer = Vec::new();
        c.read_to_end(&mut answer)
            .unwrap_or_else(|e| panic!("{path}: reading the answer: {e}"));
        let answer = String::from_utf8_lossy(&answer);
        assert!(answer.starts_with("HTTP/1.1 401"), "{path}: {answer}");
        assert!(answer.contains("not an archivist's"), "{path}: {answer}");
    }
    // A client that waits for 100 (Continue) is refused at once, without it.
    let mut c = std::net::TcpStream::connect(("127.0.0.1", s.port)).unwrap();
    let head = format!(
        "POST /v1/documents?source=x HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nContent-Length: 4096\r\nExpect: 100-continue\r\n\r\n",
        "0".repeat(64)
    );
    c.write_all(head.as_bytes()).unwrap();
    let mut answer = Vec::new();
    c.read_to_end(&mut answer).unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    assert!(!answer.contains("100 Continue"), "{answer}");
}
