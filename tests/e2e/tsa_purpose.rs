//! What a TSA certificate must be for its token to hold (RFC 3161 section 2.3, and genTime
//! within the certificate's validity), tried with certificates made by `openssl` in the
//! test's folder and tokens signed with them by `openssl cms -sign -cades`.

use crate::timestamps::{body_file, have_openssl, openssl};
use prov_tests::Workspace;
use std::process::Command;

/// RFC 3161 section 2.3 and the certificate's validity, tried as an attacker with a key of
/// the wrong purpose would: the TSTInfo of a real token over checkpoint 1, signed again with
/// `openssl cms -sign -cades` (content type id-ct-TSTInfo, a signingCertificateV2 attribute)
/// by certificates whose extended key usage is not critical, not timeStamping alone, or
/// absent, or that had expired (made under faketime) when genTime says it was signed: each
/// refused by `verify-proof --tsa-cert`; the same re-signing with a proper certificate holds.
#[test]
fn a_token_signed_for_another_purpose_or_outside_the_certificates_validity_is_refused() {
    let found = Command::new("faketime")
        .args(["-f", "+0", "true"])
        .status()
        .is_ok_and(|s| s.success());
    if !have_openssl() || !found {
        prov_tests::skip("openssl or faketime is not installed");
        return;
    }
    let w = Workspace::new();
    let vkey = w.init();
    w.write("a.txt", "alpha");
    w.run(&["add", "a.txt", "--source", "s"]).ok();
    w.run(&["prove", "a.txt", "-o", "a.tlog-proof"]).ok();
    let dir = w.path("certs");
    std::fs::create_dir(&dir).unwrap();
    let (body, _) = body_file(&w, 1);
    openssl(
        &dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "3650",
            "-subj",
            "/CN=CA",
        ],
    );
    // A certificate NAME with the extensions EXT, made under `faketime OFFSET`, valid a day.
    let make = |name: &str, ext: &str, offset: &str| {
        std::fs::write(
            dir.join(format!("{name}.cnf")),
            format!("[e]\n{ext}\nbasicConstraints=CA:FALSE\n"),
        )
        .unwrap();
        openssl(
            &dir,
            &[
                "req",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-keyout",
                &format!("{name}.key"),
                "-out",
                &format!("{name}.csr"),
                "-subj",
                &format!("/CN={name}"),
            ],
        );
        let o = Command::new("faketime")
            .current_dir(&dir)
            .args(["-f", offset, "openssl", "x509", "-req", "-in"])
            .arg(format!("{name}.csr"))
            .args([
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-days",
                "1",
            ])
            .args([
                "-extfile",
                &format!("{name}.cnf"),
                "-extensions",
                "e",
                "-out",
            ])
            .arg(format!("{name}.pem"))
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    };
    make("good", "extendedKeyUsage=critical,timeStamping", "+0");
    make("noncritical", "extendedKeyUsage=timeStamping", "+0");
    make(
        "mixed",
        "extendedKeyUsage=critical,timeStamping,codeSigning",
        "+0",
    );
    make("none", "keyUsage=digitalSignature", "+0");
    make("expired", "extendedKeyUsage=critical,timeStamping", "-400d");
    make("later", "extendedKeyUsage=critical,timeStamping", "+400d");
    // A real token over checkpoint 1 by the good certificate, and its TSTInfo.
    std::fs::write(
        dir.join("tsa.cnf"),
        "[tsa]\ndefault_tsa = t\n[t]\ndir = .\nserial = ./tsaserial\nsigner_digest = sha256\ndefault_policy = 1.2.3.4.1\ndigests = sha256\ness_cert_id_alg = sha256\n",
    )
    .unwrap();
    let body = body.to_str().unwrap();
    openssl(
        &dir,
        &[
            "ts", "-query", "-data", body, "-sha256", "-cert", "-out", "q.tsq",
        ],
    );
    openssl(
        &dir,
        &[
            "ts",
            "-reply",
            "-queryfile",
            "q.tsq",
            "-signer",
            "good.pem",
            "-inkey",
            "good.key",
            "-config",
            "tsa.cnf",
            "-token_out",
            "-out",
            "real.tst",
        ],
    );
    openssl(
        &dir,
        &[
            "cms",
            "-verify",
            "-noverify",
            "-binary",
            "-inform",
            "DER",
            "-in",
            "real.tst",
            "-out",
            "tstinfo.der",
        ],
    );
    let verify = |name: &str| {
        let token = format!("{name}.tst");
        openssl(
            &dir,
            &[
                "cms",
                "-sign",
                "-cades",
                "-econtent_type",
                "1.2.840.113549.1.9.16.1.4",
                "-nodetach",
                "-binary",
                "-in",
                "tstinfo.der",
                "-outform",
                "DER",
                "-md",
                "sha256",
                "-signer",
                &format!("{name}.pem"),
                "-inkey",
                &format!("{name}.key"),
                "-out",
                &token,
            ],
        );
        w.run(&[
            "verify-proof",
            "a.tlog-proof",
            "--key",
            &vkey,
            "--tsa-cert",
            dir.join(format!("{name}.pem")).to_str().unwrap(),
            "--tsr",
            dir.join(token).to_str().unwrap(),
        ])
    };
    let ok = verify("good").ok().to_owned();
    assert!(
        ok.contains("committed before ") && ok.contains(" per CN=good"),
        "{ok}"
    );
    for name in ["noncritical", "mixed"] {
        verify(name).fails(
            1,
            "the TSA certificate's extended key usage is not timeStamping alone and critical",
        );
    }
    verify("none").fails(1, "does not have one extended key usage extension");
    for name in ["expired", "later"] {
        verify(name).fails(1, "its genTime lies outside the TSA certificate's validity");
    }
}
