//! Hostile and mistaken clients: missing, wrong and revoked tokens; an oversized body; a
//! slow client; overload; malformed requests: each a JSON error with a hint, nothing
//! recorded, and the server still serving others.

use super::{Hold, Serve, archivist, get, try_post, upload};
use prov_tests::Workspace;
use sha2::Digest as _;
use std::io::{Read, Write};
use std::sync::Arc;

fn size(w: &Workspace) -> u64 {
    w.run(&["log", "--json"]).jsonl().len() as u64
}

#[test]
fn writes_need_a_valid_token_and_a_revoked_one_is_refused_at_once() {
    let w = Workspace::new();
    w.init();
    let token = archivist(&w, "eve@news.example");
    let s = Serve::start(&w, &[], &[]);
    let r = upload(&s, None, "source=x", b"no token\n");
    r.refused(401, "needs an archivist's token");
    let r = upload(&s, Some(&"0".repeat(64)), "source=x", b"wrong token\n");
    r.refused(401, "not an archivist's");
    assert_eq!(size(&w), 0, "a refused upload records nothing");
    assert_eq!(
        upload(&s, Some(&token), "source=x", b"good token\n").status,
        200
    );
    // The scheme is case-insensitive (RFC 9110 section 11.1): `bearer` is `Bearer`.
    let r = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .new_agent()
        .post(&format!("{}/v1/documents?source=x", s.url))
        .header("authorization", format!("bearer  {token}"))
        .send(&b"lower-case scheme\n"[..])
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(size(&w), 2);
    // Revoked while the server runs: refused from the next request on.
    w.run(&["archivist", "revoke", "eve@news.example"]).ok();
    let r = upload(&s, Some(&token), "source=x", b"revoked token\n");
    r.refused(403, "revoked");
    assert_eq!(size(&w), 2);
    let listed = w.run(&["archivist", "list", "--json"]).jsonl();
    assert!(listed[0]["revoked"].is_string());
    // Reads are public.
    assert_eq!(get(&format!("{}/v1/entries/0", s.url)).status, 200);
}

#[test]
fn an_oversized_body_is_refused_and_a_malformed_request_is_a_json_error() {
    let w = Workspace::new();
    w.init();
    let token = archivist(&w, "fay@news.example");
    let s = Serve::start(&w, &["--max-body", "1000"], &[]);
    upload(&s, Some(&token), "source=x", &[b'a'; 2000]).refused(413, "larger than");
    // A JSON body declared larger than 1 MiB is refused from its headers alone.
    let mut big = std::net::TcpStream::connect(("127.0.0.1", s.port)).unwrap();
    write!(
        big,
        "POST /v1/documents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: 2000000\r\n\r\n{{"
    )
    .unwrap();
    let mut answer = vec![0; 4096];
    let n = big.read(&mut answer).unwrap();
    let answer = String::from_utf8_lossy(&answer[..n]);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    upload(&s, Some(&token), "name=x", b"doc\n").refused(400, "source");
    upload(&s, Some(&token), "source=x&meta=novalue", b"doc\n").refused(400, "KEY=VALUE");
    upload(&s, Some(&token), "source=x&agent=me", b"doc\n").refused(400, "unknown query parameter");
    upload(&s, Some(&token), "source=x", b"").refused(400, "empty");
    let post_json = |body: &str| super::post_json(&s, Some(&token), "/v1/documents", body);
    post_json("{not json").refused(400, "JSON body");
    post_json(r#"{"sha256": "zz", "size": 1, "source": "x"}"#).refused(400, "sha256");
    post_json(&format!(
        r#"{{"sha256": "{}", "size": 1, "source": "x", "agent": "me"}}"#,
        "a".repeat(64)
    ))
    .refused(400, "unknown field");
    // A list of more documents than one request takes (4096), well within 1 MiB.
    let one = format!(
        r#"{{"sha256": "{}", "size": 1, "source": "x"}}"#,
        "b".repeat(64)
    );
    let list = format!(r#"{{"documents": [{}]}}"#, vec![one; 4097].join(","));
    post_json(&list).refused(413, "at most 4096");
    get(&format!("{}/v1/documents/xyz", s.url)).refused(400, "not a SHA-256");
    get(&format!("{}/v1/entries/7", s.url)).refused(404, "no entry 7");
    get(&format!("{}/v1/entries/-1", s.url)).refused(400, "not an entry number");
    get(&format!("{}/v1/consistency", s.url)).refused(400, "old=SIZE");
    get(&format!("{}/nothing", s.url)).refused(404, "nothing is served");
    let unknown = get(&format!("{}/v1/documents/{}", s.url, "ab".repeat(32)));
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.json()["known"], false);
    assert_eq!(size(&w), 0, "nothing was recorded: {}", s.log());
    // Still serving.
    assert_eq!(upload(&s, Some(&token), "source=x", b"fine\n").status, 200);
}

#[test]
fn a_slow_client_is_cut_off_and_does_not_hold_the_ledger() {
    let w = Workspace::new();
    w.init();
    let token = archivist(&w, "gus@news.example");
    let s = Serve::start(&w, &["--body-timeout", "1s"], &[]);
    let mut slow = std::net::TcpStream::connect(("127.0.0.1", s.port)).unwrap();
    write!(
        slow,
        "POST /v1/documents?source=x HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Length: 100\r\n\r\n0123456789"
    )
    .unwrap();
    // Meanwhile another archivist records.
    assert_eq!(
        upload(&s, Some(&token), "source=y", b"not slow\n").status,
        200
    );
    // The slow one gets 408 once its time is up (it never sends the rest).
    let mut answer = Vec::new();
    let _ = slow.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("\"hint\""), "{answer}");
    assert_eq!(size(&w), 1);
}

#[test]
fn overload_is_503_with_retry_after_and_the_queued_uploads_are_still_recorded() {
    let w = Workspace::new();
    w.init();
    let token = archivist(&w, "hal@news.example");
    let hold = Hold::new(&w);
    let s = Arc::new(Serve::start(&w, &["--queue", "2"], &[hold.env()]));
    let waiting: Vec<_> = (0..2)
        .map(|i| {
            let (s, token) = (s.clone(), token.clone());
            std::thread::spawn(move || {
                upload(
                    &s,
                    Some(&token),
                    "source=x",
                    format!("queued {i}\n").as_bytes(),
                )
            })
        })
        .collect();
    hold.wait_for(2);
    let r = upload(&s, Some(&token), "source=x", b"one too many\n");
    r.refused(503, "too many uploads waiting");
    assert_eq!(r.retry_after.as_deref(), Some("1"));
    hold.release();
    for t in waiting {
        assert_eq!(t.join().unwrap().status, 200);
    }
    assert_eq!(size(&w), 2);
    // Once the queue drains, the same upload is taken.
    assert_eq!(
        upload(&s, Some(&token), "source=x", b"one too many\n").status,
        200
    );
}

#[test]
fn tls_serves_the_same_routes_over_https() {
    let w = Workspace::new();
    w.init();
    let made = std::process::Command::new("openssl")
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
            "key.pem",
            "-out",
            "cert.pem",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-addext",
            "basicConstraints=critical,CA:FALSE",
        ])
        .output();
    if !made.is_ok_and(|o| o.status.success()) {
        return prov_tests::skip("openssl is needed to make a test certificate");
    }
    let s = Serve::start(&w, &["--tls-cert", "cert.pem", "--tls-key", "key.pem"], &[]);
    assert!(s.url.starts_with("https://"), "{}", s.url);
    let cert = std::fs::read(w.path("cert.pem")).unwrap();
    let cert = ureq::tls::Certificate::from_pem(&cert).unwrap();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .tls_config(
            ureq::tls::TlsConfig::builder()
                .root_certs(ureq::tls::RootCerts::new_with_certs(&[cert]))
                .build(),
        )
        .build()
        .into();
    let mut r = agent.get(format!("{}/checkpoint", s.url)).call().unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(
        r.body_mut()
            .read_to_string()
            .unwrap()
            .starts_with("e2e.example/ledger\n0\n")
    );
    // Plain HTTP to the TLS port gets no answer.
    let plain = try_post(
        &format!("{}/v1/documents", s.url.replace("https", "http")),
        None,
        "text/plain",
        b"x",
    );
    assert!(plain.is_err());
}

/// A container of more than one group's worth of members (4,096) whose last member cannot be
/// recorded (its SHA-256 is in the ledger with another size): refused whole, with nothing of
/// it recorded, and the answer saying so is true (it once committed the first 4,096 members
/// and answered that nothing was recorded).
#[test]
fn an_upload_larger_than_a_group_is_recorded_whole_or_not_at_all() {
    let w = Workspace::new();
    w.init();
    let zip = w.path("many.zip");
    let made = std::process::Command::new("python3")
        .args([
            "-c",
            "import sys, zipfile\n\
             with zipfile.ZipFile(sys.argv[1], 'w') as z:\n\
             \x20   for i in range(5000): z.writestr(f'm/{i:05}.txt', f'member {i}\\n')\n\
             \x20   z.writestr('m/last.txt', b'the planted member\\n')\n",
        ])
        .arg(&zip)
        .status()
        .unwrap();
    assert!(made.success());
    // The last member's SHA-256, recorded by hash alone with a size it does not have.
    let planted = hex::encode(sha2::Sha256::digest(b"the planted member\n"));
    w.run(&[
        "add", "--sha256", &planted, "--size", "3", "--source", "planted",
    ])
    .ok();
    let token = archivist(&w, "alice");
    let s = Serve::start(&w, &[], &[]);
    let before = get(&format!("{}/checkpoint", s.url)).body;
    let r = upload(
        &s,
        Some(&token),
        "source=leak",
        &std::fs::read(&zip).unwrap(),
    );
    r.refused(409, "first recorded as 3 bytes");
    // Nothing of it: not the container, not its first member, and the tree did not move.
    let first = hex::encode(sha2::Sha256::digest(b"member 0\n"));
    assert_eq!(get(&format!("{}/v1/documents/{first}", s.url)).status, 404);
    assert_eq!(get(&format!("{}/checkpoint", s.url)).body, before);
    drop(s);
    let size = w.run(&["checkpoint", "--json"]).json()["size"]
        .as_u64()
        .unwrap();
    assert_eq!(size, 1, "only the planted record is in the ledger");
    w.run(&["audit"]).ok();
}

/// A symbolic link planted in the published folder (to the ledger's private key) is not
/// followed: the key is never served.
#[test]
fn a_link_planted_in_the_published_folder_is_not_followed() {
    let w = Workspace::new();
    w.init();
    w.write("a.txt", "a\n");
    w.run(&["add", "a.txt", "--source", "s"]).ok();
    let s = Serve::start(&w, &[], &[]);
    let public = std::path::PathBuf::from(format!("{}.public", w.ledger().display()));
    let key = w.ledger().join("key.pem");
    std::fs::create_dir_all(public.join("tile/1")).unwrap();
    std::os::unix::fs::symlink(&key, public.join("tile/1/000")).unwrap();
    std::os::unix::fs::symlink(public.join("tile/1"), public.join("tile/2")).unwrap();
    let pem = std::fs::read_to_string(&key).unwrap();
    for path in ["tile/1/000", "tile/2/000"] {
        let r = get(&format!("{}/{path}", s.url));
        assert!(
            !r.body.contains("PRIVATE KEY") && !r.body.contains(pem.trim()),
            "{path}: {}",
            r.body
        );
        assert_eq!(r.status, 500, "{path}: {}", r.body);
    }
}

/// `prov archivist add` and `revoke` change `archivists.json` under their own lock: many at
/// once all count, and a revoke while `prov serve` runs (holding the ledger's lock) is
/// neither refused nor kept waiting, and takes effect at once.
#[test]
fn archivists_added_and_revoked_at_once_are_all_kept() {
    let w = Workspace::new();
    w.init();
    let first = archivist(&w, "first@news.example");
    let s = Serve::start(&w, &[], &[]);
    let spawn = |args: &[&str]| {
        w.cmd(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let mut children: Vec<_> = (0..16)
        .map(|i| spawn(&["archivist", "add", &format!("a{i}@news.example")]))
        .collect();
    children.push(spawn(&["archivist", "revoke", "first@news.example"]));
    let runs: Vec<_> = children
        .into_iter()
        .map(|c| prov_tests::Run::from(c.wait_with_output().unwrap()))
        .collect();
    let listed = w.run(&["archivist", "list", "--json"]).jsonl();
    assert_eq!(listed.len(), 17, "{listed:?}");
    for (i, run) in runs[..16].iter().enumerate() {
        let token = run.ok().trim();
        let query = format!("source=x&name=a{i}");
        let r = upload(&s, Some(token), &query, format!("from a{i}\n").as_bytes());
        assert_eq!(r.status, 200, "a{i}: {}", r.body);
    }
    runs[16].ok();
    upload(&s, Some(&first), "source=x", b"after the revoke\n").refused(403, "revoked");
    assert_eq!(size(&w), 16);
}
