//! DKIM keys archived and signatures verified offline: emails signed by dkimpy (Python; an
//! implementation independent of prov) with keys made by `openssl genrsa`, the key record
//! archived with `prov dkim-key add`, then `prov verify-dkim` on the email as signed and
//! altered by one byte.

use base64::Engine as _;
use prov_tests::Workspace;
use serde_json::Value;
use std::process::Command;

/// The dkimpy side: make a multipart email with an attachment, sign it, and say how dkimpy
/// reads and verifies its signatures.
const DKIMPY: &str = r#"
import json, sys
from email.message import EmailMessage
from email import policy
import dkim, dkim.util

cmd = sys.argv[1]
if cmd == "email":
    m = EmailMessage()
    m["From"] = "Emmanuel Example <em@campaign.example>"
    m["To"] = "team@campaign.example"
    m["Subject"] = "Re: budget du meeting, version corrig\u00e9e avec toutes les annexes jointes"
    m["Date"] = "Fri, 05 May 2017 17:59:01 +0200"
    m["Message-ID"] = "<4242@campaign.example>"
    m.set_content("Bonjour,\n\nCi-joint le budget.  Merci de relire\tavant lundi.\n\n")
    m.add_attachment(bytes(range(256)) * 64, maintype="application",
                     subtype="vnd.ms-excel", filename="budget.xls")
    open(sys.argv[2], "wb").write(m.as_bytes(policy=policy.SMTP))
elif cmd == "sign":
    _, _, src, key, selector, canon, out = sys.argv
    msg = open(src, "rb").read()
    sig = dkim.sign(msg, selector.encode(), b"campaign.example", open(key, "rb").read(),
                    canonicalize=tuple(canon.encode().split(b"/")),
                    include_headers=[b"from", b"to", b"subject", b"date", b"message-id"])
    open(out, "wb").write(sig + msg)
elif cmd == "tags":
    d = dkim.DKIM(open(sys.argv[2], "rb").read())
    sigs = [v for k, v in d.headers if k.lower() == b"dkim-signature"]
    print(json.dumps([{k.decode(): v.decode() for k, v in
                       dkim.util.parse_tag_value(s.replace(b"\r\n", b"")).items()} for s in sigs]))
elif cmd == "verify":
    record = open(sys.argv[3], "rb").read().strip()
    ok = dkim.verify(open(sys.argv[2], "rb").read(), minkey=512,
                     dnsfunc=lambda name, timeout=5: record)
    sys.exit(0 if ok else 1)
"#;

/// Whether dkimpy and openssl are here; if not the test says it skipped (a failure under CI).
fn tools() -> bool {
    let python = Command::new("python3")
        .args(["-c", "import dkim"])
        .output()
        .is_ok_and(|o| o.status.success());
    let openssl = Command::new("openssl")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !(python && openssl) {
        prov_tests::skip(
            "python3 with dkimpy (pip install dkimpy) and openssl are needed to sign emails",
        );
    }
    python && openssl
}

/// Runs the dkimpy script in the workspace; its stdout.
fn dkimpy(w: &Workspace, args: &[&str]) -> String {
    let o = Command::new("python3")
        .arg(w.path("dkimpy.py"))
        .args(args)
        .current_dir(w.tmp.path())
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "dkimpy {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

/// An RSA key of `bits` made by openssl (`NAME.pem`) and its DKIM key record (`NAME.txt`,
/// with a trailing newline as a file from `dig` has).
fn rsa_key(w: &Workspace, name: &str, bits: &str) {
    let pem = w.path(&format!("{name}.pem"));
    let ok = Command::new("openssl")
        .args(["genrsa", "-traditional", "-out"])
        .arg(&pem)
        .arg(bits)
        .output()
        .unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let der = Command::new("openssl")
        .args(["rsa", "-pubout", "-outform", "DER", "-in"])
        .arg(&pem)
        .output()
        .unwrap();
    assert!(der.status.success());
    let p = base64::engine::general_purpose::STANDARD.encode(der.stdout);
    w.write(&format!("{name}.txt"), format!("v=DKIM1; k=rsa; p={p}\n"));
}

/// A workspace with a ledger, the dkimpy script, a 2048-bit key `k2048` and the email
/// signed with it as `rr.eml` (relaxed/relaxed) and `ss.eml` (simple/simple).
pub(crate) fn signed() -> Option<Workspace> {
    if !tools() {
        return None;
    }
    let w = Workspace::new();
    w.init();
    w.write("dkimpy.py", DKIMPY);
    rsa_key(&w, "k2048", "2048");
    dkimpy(&w, &["email", "plain.eml"]);
    for (canon, out) in [("relaxed/relaxed", "rr.eml"), ("simple/simple", "ss.eml")] {
        dkimpy(
            &w,
            &["sign", "plain.eml", "k2048.pem", "may2017", canon, out],
        );
        dkimpy(&w, &["verify", out, "k2048.txt"]);
    }
    Some(w)
}

pub(crate) fn archive(w: &Workspace, selector: &str, key: &str) -> Value {
    w.run(&[
        "dkim-key",
        "add",
        "--domain",
        "campaign.example",
        "--selector",
        selector,
        "--txt-file",
        key,
        "--source",
        &format!("dns:{selector}._domainkey.campaign.example"),
        "--json",
    ])
    .json()
}

/// `name` with the first `from` after `after` replaced by `to` (one byte).
pub(crate) fn altered(w: &Workspace, name: &str, after: &str, from: u8, to: u8) -> String {
    let mut bytes = std::fs::read(w.path(name)).unwrap();
    let start = bytes
        .windows(after.len())
        .position(|x| x == after.as_bytes())
        .unwrap();
    let at = start + bytes[start..].iter().position(|&b| b == from).unwrap();
    bytes[at] = to;
    let out = format!("altered-{name}");
    w.write(&out, bytes);
    out
}

fn claim(w: &Workspace, name: &str, key: &str) -> Option<String> {
    let bytes = std::fs::read(w.path(name)).unwrap();
    prov_dkim::claims(&bytes)
        .into_iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
}

/// What the ledger records as the email's claim `key` when `add` records it.
fn recorded_claim(w: &Workspace, name: &str, key: &str) -> Option<String> {
    let added = w
        .run(&["--json", "add", name, "--source", "claims"])
        .documents();
    let seq = added[0]["seq"].as_u64().unwrap().to_string();
    let e = w.run(&["show", &seq, "--json"]).json();
    e["metadata"][key].as_str().map(str::to_owned)
}

#[test]
fn a_dkimpy_signed_email_verifies_with_its_archived_key_and_one_byte_breaks_it() {
    let Some(w) = signed() else { return };
    w.run(&["add", "rr.eml", "--source", "mailbox"]).ok();
    // No key archived yet: nothing verifies, and the error says how to archive one.
    w.run(&["verify-dkim", "rr.eml"]).fails(
        1,
        "prov dkim-key add --domain campaign.example --selector may2017",
    );
    let e = w
        .run(&["verify-dkim", "rr.eml", "--json"])
        .fails_json(1, "with an archived key");
    assert!(
        e["hint"]
            .as_str()
            .unwrap()
            .starts_with("run `prov dkim-key add"),
        "{e}"
    );

    // A document that only carries dkim.* metadata (as --meta can put on anything) is not
    // an archived key: its content does not commit to the key text.
    let record = std::fs::read_to_string(w.path("k2048.txt")).unwrap();
    w.write("not-a-key.txt", "anything at all");
    w.run(&[
        "add",
        "not-a-key.txt",
        "--source",
        "forger",
        "--media-type",
        "text/x-dkim-key",
        "--meta",
        "dkim.domain=campaign.example",
        "--meta",
        "dkim.selector=may2017",
        "--meta",
        &format!("dkim.key={}", record.trim_end()),
    ])
    .ok();
    w.run(&["verify-dkim", "rr.eml"]).fails(
        1,
        "prov dkim-key add --domain campaign.example --selector may2017",
    );

    let key = archive(&w, "may2017", "k2048.txt");
    assert_eq!(
        (&key["status"], &key["bits"], &key["weak"], &key["name"]),
        (
            &"first_seen".into(),
            &2048.into(),
            &false.into(),
            &"may2017._domainkey.campaign.example".into()
        )
    );
    let key_seq = key["seq"].as_u64().unwrap();
    // The entry holds the record exactly as given (the file's newline is not part of it).
    let entry = w.run(&["show", &key_seq.to_string(), "--json"]).json();
    let record = std::fs::read_to_string(w.path("k2048.txt")).unwrap();
    assert_eq!(entry["metadata"]["dkim.key"], record.trim_end());
    assert_eq!(entry["size"], record.trim_end().len());
    assert_eq!(entry["media_type"], "text/x-dkim-key");
    assert_eq!(entry["name"], "may2017._domainkey.campaign.example");

    // rr.eml was first seen before the key was archived; ss.eml after.
    w.run(&["add", "ss.eml", "--source", "mailbox"]).ok();
    for (name, archived, words) in [
        (
            "rr.eml",
            "after_email",
            "archived AFTER the email was first seen",
        ),
        (
            "ss.eml",
            "before_email",
            "archived before the email was first seen",
        ),
    ] {
        let r = w.run(&["verify-dkim", name]);
        let out = r.ok();
        assert!(out.contains(&format!("pass   signature 1: d=campaign.example s=may2017 a=rsa-sha256 verified with key entry {key_seq} (rsa, 2048 bits)")), "{out}");
        assert!(out.contains(words), "{out}");
        let v = w.run(&["verify-dkim", name, "--json"]).json();
        let sig = &v["signatures"][0];
        assert_eq!(
            (&v["verified"], &sig["result"]),
            (&true.into(), &"pass".into()),
            "{v}"
        );
        assert_eq!(
            (&sig["key"]["seq"], &sig["key"]["archived"]),
            (&key_seq.into(), &archived.into())
        );
        assert_eq!(claim(&w, name, "dkim.body_hash").as_deref(), Some("pass"));
    }

    // One byte of the body changed: the body hash fails, with or without a key.
    for name in ["rr.eml", "ss.eml"] {
        let bad = altered(&w, name, "Ci-joint le budget", b'b', b'B');
        let r = w.run(&["verify-dkim", &bad]);
        r.fails(1, "does not verify with an archived key");
        assert!(r.stdout.contains("body hash mismatch"), "{}", r.stdout);
        assert_eq!(claim(&w, &bad, "dkim.body_hash").as_deref(), Some("fail"));
        assert_eq!(
            recorded_claim(&w, &bad, "dkim.body_hash").as_deref(),
            Some("fail"),
            "the altered email's entry records that its body hash fails"
        );
        // One byte of a signed header field: the signature fails, the body still matches.
        let bad = altered(&w, name, "Re: budget du", b'b', b'B');
        let r = w.run(&["verify-dkim", &bad]);
        r.fails(1, "does not verify with an archived key");
        assert!(r.stdout.contains("signature mismatch"), "{}", r.stdout);
        assert_eq!(claim(&w, &bad, "dkim.body_hash").as_deref(), Some("pass"));
        assert_eq!(
            recorded_claim(&w, &bad, "dkim.body_hash").as_deref(),
            Some("pass")
        );
    }
}

#[test]
fn a_512_bit_key_verifies_but_is_flagged_weak() {
    let Some(w) = signed() else { return };
    rsa_key(&w, "k512", "512");
    dkimpy(
        &w,
        &[
            "sign",
            "plain.eml",
            "k512.pem",
            "old2009",
            "relaxed/simple",
            "weak.eml",
        ],
    );
    let key = archive(&w, "old2009", "k512.txt");
    assert_eq!((&key["bits"], &key["weak"]), (&512.into(), &true.into()));
    let out = w.run(&["verify-dkim", "weak.eml"]).ok().to_owned();
    assert!(out.contains("512 bits, WEAK"), "{out}");
    assert!(out.contains("the email is not in this ledger"), "{out}");
    let v = w.run(&["verify-dkim", "weak.eml", "--json"]).json();
    assert_eq!(v["signatures"][0]["weak_key"], true);
    assert_eq!(v["signatures"][0]["key"]["archived"], "unknown");
}

#[test]
fn claims_read_each_tag_as_dkimpy_does() {
    let Some(w) = signed() else { return };
    for name in ["rr.eml", "ss.eml"] {
        let tags: Vec<Value> = serde_json::from_str(&dkimpy(&w, &["tags", name])).unwrap();
        assert_eq!(tags.len(), 1);
        for tag in ["d", "s", "t", "a", "h", "bh"] {
            // dkimpy keeps whitespace inside a value (`from : to`); the claim drops it.
            let want: String = tags[0][tag].as_str().unwrap().split_whitespace().collect();
            assert_eq!(
                claim(&w, name, &format!("dkim.{tag}")),
                Some(want),
                "{name} {tag}"
            );
        }
    }
}

#[test]
fn what_is_not_a_key_record_or_an_email_file_is_refused() {
    let Some(w) = signed() else { return };
    let before = w.ledger_state();
    let add = |txt: &str| {
        w.run(&[
            "dkim-key",
            "add",
            "--domain",
            "campaign.example",
            "--selector",
            "s",
            "--txt",
            txt,
            "--source",
            "dns",
        ])
    };
    add("v=spf1 -all").fails(3, "is not a DKIM key record");
    add("\"v=DKIM1; k=rsa; \" \"p=MIIB\"").fails(3, "quoted strings joined without quotes");
    add(&"x".repeat(5000)).fails(3, "more than the 4,096 an entry keeps");
    w.run(&[
        "dkim-key",
        "add",
        "--domain",
        "bad domain",
        "--selector",
        "s",
        "--txt",
        "p=",
        "--source",
        "d",
    ])
    .fails(3, "is not a DNS name");
    assert_eq!(w.ledger_state(), before);
    // An entry number is not an email: the ledger has its hash, not its bytes.
    w.run(&["verify-dkim", "7"])
        .fails(3, "the ledger keeps only their hash");
    w.run(&["verify-dkim", "plain.eml"])
        .fails(1, "has no DKIM-Signature");
}
