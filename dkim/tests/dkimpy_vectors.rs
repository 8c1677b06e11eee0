//! Emails signed by dkimpy, an independent implementation (`vectors/make.py` makes them):
//! each verifies here with the key record dkimpy verified it with, changed by one byte it
//! does not, and the claims read the tags that dkimpy read.

use prov_dkim::{Checked, Error, claims, verify};
use serde_json::Value;
use std::path::PathBuf;

fn vectors() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors")
}

fn read(name: &str) -> Vec<u8> {
    std::fs::read(vectors().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn record(key: &str) -> Vec<u8> {
    let mut r = read(&format!("{key}.txt"));
    assert_eq!(r.pop(), Some(b'\n'));
    r
}

/// Every key record archived, named by its file: the verifier must pick the right one.
fn all_keys(_d: &str, s: &str) -> Vec<(String, Vec<u8>)> {
    let key = match s {
        "may2017" => "rsa2048",
        "old" => "rsa512",
        "brisbane" => "ed25519",
        _ => return Vec::new(),
    };
    vec![(key.to_owned(), record(key))]
}

fn cases() -> Vec<Value> {
    serde_json::from_slice(&read("cases.json")).unwrap()
}

fn check(msg: &[u8]) -> Vec<Checked<String>> {
    verify(msg, Some(1_494_000_000), all_keys)
}

#[test]
fn every_dkimpy_signature_verifies_with_the_key_dkimpy_used() {
    let cases = cases();
    assert_eq!(cases.len(), 7);
    for case in &cases {
        let file = case["file"].as_str().unwrap();
        let checked = check(&read(file));
        let sigs = case["signatures"].as_array().unwrap();
        assert_eq!(checked.len(), sigs.len(), "{file}");
        for (c, want) in checked.iter().zip(sigs) {
            assert!(want["dkimpy_verifies"].as_bool().unwrap(), "{file}");
            let v = c.result.as_ref().unwrap_or_else(|e| panic!("{file}: {e}"));
            assert_eq!(v.key, want["key"].as_str().unwrap(), "{file}");
            assert_eq!(v.weak_key, v.key == "rsa512", "{file}");
            assert_eq!(v.obsolete_algorithm, file == "sha1.eml", "{file}");
            let bits = match v.key.as_str() {
                "rsa2048" => 2048,
                "rsa512" => 512,
                _ => 256,
            };
            assert_eq!(v.bits, bits, "{file}");
        }
    }
}

#[test]
fn claims_read_the_tags_dkimpy_read_and_the_body_hash_passes() {
    for case in cases() {
        let file = case["file"].as_str().unwrap();
        let got = claims(&read(file));
        for (i, sig) in case["signatures"].as_array().unwrap().iter().enumerate() {
            let prefix = if i == 0 {
                "dkim".to_owned()
            } else {
                format!("dkim.{}", i + 1)
            };
            for tag in ["d", "s", "t", "a", "h", "bh"] {
                // dkimpy keeps the whitespace inside a value (`from : to`); the claims
                // drop it, as RFC 6376 3.5 says it is ignored.
                let want: String = sig["tags"][tag]
                    .as_str()
                    .unwrap()
                    .split_whitespace()
                    .collect();
                let key = format!("{prefix}.{tag}");
                assert!(
                    got.contains(&(key.clone(), want.clone())),
                    "{file}: {key}={want} not in {got:?}"
                );
            }
            assert!(got.contains(&(format!("{prefix}.body_hash"), "pass".into())));
        }
    }
}

/// The position of the first occurrence of `needle` in `hay` at or after `from`.
fn find(hay: &[u8], needle: &[u8], from: usize) -> usize {
    from + hay[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .unwrap()
}

#[test]
fn one_byte_changed_in_the_body_fails_the_body_hash() {
    for file in ["relaxed-rsa.eml", "simple-rsa-lf.eml", "ed25519.eml"] {
        let mut msg = read(file);
        let at = find(&msg, b"Voici les comptes", 0);
        msg[at] = b'v';
        let c = check(&msg);
        assert_eq!(c[0].result, Err(Error::BodyHashMismatch), "{file}");
        assert!(claims(&msg).contains(&("dkim.body_hash".into(), "fail".into())));
    }
}

#[test]
fn one_byte_changed_in_a_signed_header_fails_the_signature_only() {
    for file in ["relaxed-rsa.eml", "simple-rsa-lf.eml", "ed25519.eml"] {
        let mut msg = read(file);
        let at = find(&msg, b"To: bob@", 0) + 4;
        msg[at] = b'B';
        let c = check(&msg);
        assert_eq!(c[0].result, Err(Error::SignatureMismatch), "{file}");
        assert!(claims(&msg).contains(&("dkim.body_hash".into(), "pass".into())));
    }
}

#[test]
fn relaxed_forgives_whitespace_and_simple_does_not() {
    // Refolding a signed header field is what relaxed canonicalization tolerates.
    let refold = |msg: &[u8]| {
        let at = find(msg, b"Date: Fri,", 0) + 5;
        [&msg[..at], b"  \t", &msg[at..]].concat()
    };
    assert!(check(&refold(&read("relaxed-rsa.eml")))[0].result.is_ok());
    let simple = check(&refold(&read("simple-rsa-lf.eml")));
    assert_eq!(simple[0].result, Err(Error::SignatureMismatch));
    // The same message with CRLF turned into LF still verifies: files keep local line ends.
    let lf: Vec<u8> = String::from_utf8_lossy(&read("relaxed-rsa.eml"))
        .replace("\r\n", "\n")
        .into_bytes();
    assert!(check(&lf)[0].result.is_ok());
}

#[test]
fn l_leaves_what_follows_unsigned_and_a_cut_body_fails() {
    let msg = read("length.eml");
    assert!(String::from_utf8_lossy(&msg).ends_with("Appended after signing.\r\n"));
    assert!(check(&msg)[0].result.is_ok());
    let cut = &msg[..msg.len() - 300];
    assert_eq!(check(cut)[0].result, Err(Error::BodyHashMismatch));
}

#[test]
fn two_signatures_are_told_apart_and_numbered() {
    let msg = read("two.eml");
    let c = check(&msg);
    assert_eq!((c[0].index, c[0].selector.as_str()), (1, "may2017"));
    assert_eq!((c[1].index, c[1].selector.as_str()), (2, "brisbane"));
    let got = claims(&msg);
    assert!(got.contains(&("dkim.s".into(), "may2017".into())));
    assert!(got.contains(&("dkim.2.s".into(), "brisbane".into())));
    assert!(got.contains(&("dkim.2.a".into(), "ed25519-sha256".into())));
}

#[test]
fn without_the_right_key_nothing_verifies() {
    let msg = read("relaxed-rsa.eml");
    let none = verify(&msg, None, |_, _| Vec::<(u8, Vec<u8>)>::new());
    assert_eq!(
        none[0].result,
        Err(Error::NoKey {
            domain: "mail.example.org".into(),
            selector: "may2017".into()
        })
    );
    // Another domain's key, a revoked record, then the right key: the right one is named,
    // and the others are said with why.
    let c = verify(&msg, None, |_, _| {
        vec![
            (1, record("rsa512")),
            (2, b"v=DKIM1; k=rsa; p=".to_vec()),
            (3, record("ed25519")),
            (4, record("rsa2048")),
        ]
    });
    assert_eq!(c[0].result.as_ref().map(|v| v.key), Ok(4));
    let why: Vec<_> = c[0].rejected.iter().map(|(k, e)| (*k, e.clone())).collect();
    assert_eq!(why[0], (1, Error::SignatureMismatch));
    assert_eq!(why[1], (2, Error::RevokedKey));
    assert!(matches!(why[2], (3, Error::KeyNotApplicable(_))));
    let only_revoked = verify(&msg, None, |_, _| vec![((), b"p=".to_vec())]);
    assert_eq!(only_revoked[0].result, Err(Error::RevokedKey));
}

#[test]
fn expiry_is_judged_at_the_time_given() {
    // x= added by hand after signing: the expiry is judged before any key, so an expired
    // signature is said to be expired whatever else is wrong with it.
    let msg = read("relaxed-rsa.eml");
    let at = find(&msg, b"t=1494000000;", 0) + 13;
    let with_x = [&msg[..at], b" x=1494003600;", &msg[at..]].concat();
    let late = verify(&with_x, Some(1_494_003_601), all_keys);
    assert_eq!(
        late[0].result,
        Err(Error::Expired {
            expires: 1_494_003_600,
            at: 1_494_003_601
        })
    );
    assert_eq!(late[0].expires, Some(1_494_003_600));
    let early = verify(&with_x, Some(1_494_000_001), all_keys);
    assert_eq!(early[0].result, Err(Error::SignatureMismatch));
}

#[test]
fn repeated_fields_are_taken_from_the_bottom() {
    // RFC 6376 5.4.2: a field named once in h= is its last instance. A Subject added above
    // the signed one is not what was signed (so the signature still holds, which is why
    // signers list a name more times than it appears: 8.15); one added below it is.
    let msg = read("relaxed-rsa.eml");
    let top = [b"Subject: forged\r\n".as_slice(), &msg].concat();
    assert!(check(&top)[0].result.is_ok());
    let at = find(&msg, b"MIME-Version:", 0);
    let below = [&msg[..at], b"Subject: forged\r\n", &msg[at..]].concat();
    assert_eq!(check(&below)[0].result, Err(Error::SignatureMismatch));
}
