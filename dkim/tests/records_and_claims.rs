//! Key records as DNS publishes them (RFC 6376 3.6.1), and claims from hostile or odd
//! DKIM-Signature fields.

use prov_dkim::{Error, KeyRecord, claims, verify};
use std::path::PathBuf;

fn vector(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/vectors")
        .join(name);
    let mut v = std::fs::read(path).unwrap();
    if name.ends_with(".txt") {
        v.pop();
    }
    v
}

#[test]
fn published_records_parse_with_their_size() {
    let rsa = KeyRecord::parse(&vector("rsa2048.txt")).unwrap();
    assert_eq!(
        (rsa.key_type(), rsa.bits(), rsa.is_weak()),
        ("rsa", Some(2048), false)
    );
    let weak = KeyRecord::parse(&vector("rsa512.txt")).unwrap();
    assert_eq!((weak.bits(), weak.is_weak()), (Some(512), true));
    let ed = KeyRecord::parse(&vector("ed25519.txt")).unwrap();
    assert_eq!(
        (ed.key_type(), ed.bits(), ed.is_weak()),
        ("ed25519", Some(256), false)
    );
    // k= defaults to rsa, v= may be left out, unknown tags are ignored, folding is allowed.
    let text = String::from_utf8(vector("rsa2048.txt")).unwrap();
    let p = text.split("p=").nth(1).unwrap();
    let folded = format!("n=notes here; t=y:s;\r\n p={}\r\n {}", &p[..100], &p[100..]);
    let r = KeyRecord::parse(folded.as_bytes()).unwrap();
    assert!(r.is_testing());
    assert_eq!(r.bits(), Some(2048));
}

#[test]
fn an_empty_p_is_a_revoked_key() {
    let r = KeyRecord::parse(b"v=DKIM1; k=rsa; p=").unwrap();
    assert!(r.is_revoked());
    assert_eq!(r.bits(), None);
}

#[test]
fn records_that_are_not_dkim_keys_are_refused_with_why() {
    let cases: [(&[u8], &str); 7] = [
        (
            b"v=spf1 include:_spf.example.org ~all",
            "unsupported version",
        ),
        (b"k=rsa; v=DKIM1; p=", "v= must come first"),
        (b"p=abc; k", "tag-spec without '='"),
        (b"v=DKIM1; k=dsa; p=AAAA", "unsupported key type"),
        (b"v=DKIM1; k=rsa", "required tag p= is missing"),
        (b"v=DKIM1; k=rsa; p=AAAA", "not a usable rsa public key"),
        (
            b"v=DKIM1; k=ed25519; p=AAAA",
            "3 bytes where an Ed25519 key has 32",
        ),
    ];
    for (text, why) in cases {
        let e = KeyRecord::parse(text).unwrap_err().to_string();
        assert!(e.contains(why), "{}: {e}", String::from_utf8_lossy(text));
    }
    // A TXT record copied with its zone-file quotes is not a record's text.
    assert!(KeyRecord::parse(b"\"v=DKIM1; k=rsa; \" \"p=AAAA\"").is_err());
}

#[test]
fn a_key_record_can_refuse_a_signature() {
    let msg = vector("sha1.eml");
    let p = String::from_utf8(vector("rsa2048.txt")).unwrap();
    // The same key, with h= allowing sha256 only: an rsa-sha1 signature is not its.
    let only256 = p.replace("k=rsa;", "k=rsa; h=sha256;");
    let c = verify(&msg, None, |_, _| vec![((), only256.clone().into_bytes())]);
    assert!(
        matches!(&c[0].result, Err(Error::KeyNotApplicable(w)) if w.contains("sha1")),
        "{:?}",
        c[0].result
    );
    let not_email = p.replace("k=rsa;", "k=rsa; s=tlsrpt;");
    let c = verify(&msg, None, |_, _| {
        vec![((), not_email.clone().into_bytes())]
    });
    assert!(matches!(&c[0].result, Err(Error::KeyNotApplicable(_))));
    let fine = verify(&msg, None, |_, _| vec![((), p.clone().into_bytes())]);
    assert!(fine[0].result.as_ref().unwrap().obsolete_algorithm);
}

const BODY: &str = "From: a@example.org\r\n\r\nhello\r\n";

#[test]
fn odd_fields_give_honest_claims() {
    // A broken tag list: only an error, numbered as the field it is.
    let msg = format!("DKIM-Signature: v=1; v=2\r\nDKIM-Signature: d=b.example; s=x\r\n{BODY}");
    let got = claims(msg.as_bytes());
    assert_eq!(got[0].0, "dkim.error");
    assert!(got[0].1.contains("appears twice"), "{}", got[0].1);
    assert!(got.contains(&("dkim.2.d".into(), "b.example".into())));
    // No a= or bh=: the body hash cannot be checked, and the claims say why.
    assert!(got.contains(&("dkim.2.body_hash".into(), "fail".into())));
    assert!(got.contains(&("dkim.2.error".into(), "required tag a= is missing".into())));

    // Bytes that are not text go as hex; a huge h= is cut and says how long it was.
    let long = "x:".repeat(3000);
    let head = "DKIM-Signature: d=\u{202e}evil.example; s=";
    let tail = format!("; h={long}\r\n{BODY}");
    // s= in Latin-1, not UTF-8.
    let msg = [head.as_bytes(), b"\xe9t\xe9", tail.as_bytes()].concat();
    let got = claims(&msg);
    let key = |k: &str| got.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    assert_eq!(key("dkim.d.hex"), Some(hex_of("\u{202e}evil.example")));
    assert_eq!(key("dkim.d"), None);
    assert_eq!(key("dkim.s.hex"), Some("e974e9".into()));
    assert_eq!(key("dkim.h").map(|h| h.len()), Some(4096));
    assert_eq!(key("dkim.h.truncated"), Some("6000".into()));
}

fn hex_of(s: &str) -> String {
    s.bytes().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn at_most_eight_signatures_are_read() {
    let sig = "DKIM-Signature: v=1; d=a.example; s=s\r\n";
    let msg = format!("{}{BODY}", sig.repeat(20));
    let got = claims(msg.as_bytes());
    assert!(got.iter().any(|(k, _)| k == "dkim.8.d"));
    assert!(!got.iter().any(|(k, _)| k.starts_with("dkim.9.")));
    assert_eq!(
        verify(msg.as_bytes(), None, |_, _| Vec::<((), _)>::new()).len(),
        8
    );
}
