//! Verifying an RFC 3161 time-stamp token against the TSA certificate an auditor trusts
//! (`docs/FORMAT.md` section 10). What is checked, in order:
//!
//! 1. the token parses: ContentInfo, SignedData, TSTInfo (RFC 3161 section 2.4.2);
//! 2. the message imprint is SHA-256 and equals the expected one; the nonce, when one was
//!    sent, is echoed;
//! 3. exactly one SignerInfo, with signed attributes (RFC 5652 section 5.3), identifying
//!    the given certificate (issuer and serial, or subject key identifier), or, with none
//!    given, a certificate the token carries;
//! 4. the content-type attribute is id-ct-TSTInfo and the message-digest attribute is the
//!    digest (SHA-256, -384 or -512) of the encapsulated TSTInfo (RFC 5652 section 11);
//! 5. a signing-certificate attribute, ESSCertID (RFC 2634, SHA-1) or ESSCertIDv2
//!    (RFC 5035), whose first certificate hash is that of the signer's certificate
//!    (RFC 3161 section 2.4.1, RFC 5816);
//! 6. the signature over the DER of the signed attributes verifies with the certificate's
//!    key: RSA PKCS #1 v1.5 or ECDSA on P-256 or P-384;
//! 7. the certificate's extended key usage is critical and is id-kp-timeStamping alone
//!    (RFC 3161 section 2.3), and genTime lies within its validity.
//!
//! Not checked: a chain from the certificate to a root, revocation (CRL, OCSP), the meaning
//! of the TSA's policy, its accuracy field; RSA-PSS and Ed25519 signers are refused.

use crate::error::{Error, Result};
use crate::tsa_token::{Parsed, TokenFacts, facts, parse};
use cms::cert::CertificateChoices;
use cms::signed_data::{SignedData, SignerIdentifier, SignerInfo};
use der::asn1::OctetString;
use der::oid::ObjectIdentifier as Oid;
use der::{Decode, Encode, Sequence};
use sha2::Digest as _;
use spki::AlgorithmIdentifierOwned;
use x509_cert::Certificate;

const ID_CONTENT_TYPE: Oid = Oid::new_unwrap("1.2.840.113549.1.9.3");
const ID_MESSAGE_DIGEST: Oid = Oid::new_unwrap("1.2.840.113549.1.9.4");
const ID_SIGNING_CERT: Oid = Oid::new_unwrap("1.2.840.113549.1.9.16.2.12");
const ID_SIGNING_CERT_V2: Oid = Oid::new_unwrap("1.2.840.113549.1.9.16.2.47");
const ID_SHA1: Oid = Oid::new_unwrap("1.3.14.3.2.26");
const ID_SHA384: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.2");
const ID_SHA512: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.3");
const RSA_ENCRYPTION: Oid = Oid::new_unwrap("1.2.840.113549.1.1.1");
const EC_PUBLIC_KEY: Oid = Oid::new_unwrap("1.2.840.10045.2.1");
const P256: Oid = Oid::new_unwrap("1.2.840.10045.3.1.7");
const P384: Oid = Oid::new_unwrap("1.3.132.0.34");
const EXT_KEY_USAGE: Oid = Oid::new_unwrap("2.5.29.37");
const SUBJECT_KEY_ID: Oid = Oid::new_unwrap("2.5.29.14");
const KP_TIME_STAMPING: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.3.8");

/// ESSCertID (RFC 2634 section 5.4.1) and ESSCertIDv2 (RFC 5035 section 4), read alike:
/// an optional hash algorithm (v2 only; absent means SHA-256), the certificate's hash, and
/// the optional issuer and serial, not read.
#[derive(Sequence)]
struct EssCertId {
    #[asn1(optional = "true")]
    hash_algorithm: Option<AlgorithmIdentifierOwned>,
    cert_hash: OctetString,
    #[asn1(optional = "true")]
    issuer_serial: Option<der::Any>,
}

/// SigningCertificate(V2): the certificates, then optional policies, not read.
#[derive(Sequence)]
struct SigningCertificate {
    certs: Vec<EssCertId>,
    #[asn1(optional = "true")]
    policies: Option<der::Any>,
}

fn refused(reason: impl Into<String>) -> Error {
    Error::TokenRefused {
        reason: reason.into(),
    }
}

fn digest(alg: &Oid, data: &[u8]) -> Option<Vec<u8>> {
    Some(match *alg {
        crate::tsa_token::ID_SHA256 => sha2::Sha256::digest(data).to_vec(),
        ID_SHA384 => sha2::Sha384::digest(data).to_vec(),
        ID_SHA512 => sha2::Sha512::digest(data).to_vec(),
        ID_SHA1 => sha1::Sha1::digest(data).to_vec(),
        _ => return None,
    })
}

/// Whether `cert` is the one `sid` names.
fn identifies(sid: &SignerIdentifier, cert: &Certificate) -> bool {
    let tbs = &cert.tbs_certificate;
    match sid {
        SignerIdentifier::IssuerAndSerialNumber(ias) => {
            ias.issuer == tbs.issuer && ias.serial_number == tbs.serial_number
        }
        SignerIdentifier::SubjectKeyIdentifier(ski) => tbs
            .extensions
            .iter()
            .flatten()
            .filter(|e| e.extn_id == SUBJECT_KEY_ID)
            .any(|e| {
                OctetString::from_der(e.extn_value.as_bytes())
                    .is_ok_and(|v| v.as_bytes() == ski.0.as_bytes())
            }),
    }
}

/// The one SignerInfo of a token (RFC 3161 section 2.4.2: the TSA signs it alone).
fn signer_info(signed: &SignedData) -> Result<&SignerInfo> {
    let infos = signed.signer_infos.0.as_slice();
    match infos {
        [one] => Ok(one),
        _ => Err(refused(format!(
            "{} signers, where a token has exactly one",
            infos.len()
        ))),
    }
}

/// Whether `token`'s one signer is the certificate `cert` (DER) names: the certificate to
/// verify it with, among several trusted ones.
pub(crate) fn token_names_cert(token: &[u8], cert: &[u8]) -> bool {
    let (Ok(p), Ok(c)) = (parse(token), Certificate::from_der(cert)) else {
        return false;
    };
    signer_info(&p.signed).is_ok_and(|si| identifies(&si.sid, &c))
}

/// The certificate the token carries that its signer identifies, with its DER.
pub(crate) fn carried_signer(signed: &SignedData) -> Option<(Certificate, Vec<u8>)> {
    let si = signed.signer_infos.0.as_slice().first()?;
    signed
        .certificates
        .iter()
        .flat_map(|set| set.0.iter())
        .find_map(|c| match c {
            CertificateChoices::Certificate(c) if identifies(&si.sid, c) => {
                Some((c.clone(), c.to_der().ok()?))
            }
            _ => None,
        })
}

/// The single value of the signed attribute `oid`.
fn attribute(si: &SignerInfo, oid: Oid, what: &str) -> Result<der::Any> {
    let attrs = si
        .signed_attrs
        .as_ref()
        .ok_or_else(|| refused("no signed attributes"))?;
    let mut found = attrs.iter().filter(|a| a.oid == oid);
    match (found.next(), found.next()) {
        (Some(a), None) if a.values.len() == 1 => Ok(a.values.as_slice()[0].clone()),
        (None, _) => Err(refused(format!("no {what} attribute"))),
        _ => Err(refused(format!("more than one {what} attribute value"))),
    }
}

/// Checks the ESSCertID(v2) of the signed attributes against the signer's certificate.
fn check_signing_certificate(si: &SignerInfo, cert_der: &[u8]) -> Result<()> {
    let (value, v2) = match attribute(si, ID_SIGNING_CERT_V2, "signing-certificate-v2") {
        Ok(v) => (v, true),
        Err(_) => (
            attribute(si, ID_SIGNING_CERT, "signing-certificate")?,
            false,
        ),
    };
    let sc: SigningCertificate = value.decode_as().map_err(|e| {
        refused(format!(
            "a signing-certificate attribute that does not parse ({e})"
        ))
    })?;
    let first = sc
        .certs
        .first()
        .ok_or_else(|| refused("a signing-certificate attribute naming no certificate"))?;
    let alg = match (&first.hash_algorithm, v2) {
        (Some(a), true) => a.oid,
        (None, true) => crate::tsa_token::ID_SHA256,
        (_, false) => ID_SHA1,
    };
    let hash = digest(&alg, cert_der).ok_or_else(|| {
        refused(format!(
            "a certificate hash by {alg}, which prov does not know"
        ))
    })?;
    if hash != first.cert_hash.as_bytes() {
        return Err(refused(
            "its signing-certificate attribute names another certificate than the TSA's",
        ));
    }
    Ok(())
}

/// Verifies the signature of `si` over `signed_attrs` with the certificate's key.
fn check_signature(cert: &Certificate, si: &SignerInfo, signed_attrs: &[u8]) -> Result<()> {
    let alg = si.digest_alg.oid;
    let hashed = match alg {
        crate::tsa_token::ID_SHA256 | ID_SHA384 | ID_SHA512 => digest(&alg, signed_attrs),
        _ => None,
    }
    .ok_or_else(|| {
        refused(format!(
            "digest algorithm {alg} (prov takes SHA-256, -384, -512)"
        ))
    })?;
    let spki = &cert.tbs_certificate.subject_public_key_info;
    let spki_der = spki
        .to_der()
        .map_err(|e| refused(format!("the certificate's key does not encode ({e})")))?;
    let sig = si.signature.as_bytes();
    let bad = |e: String| {
        refused(format!(
            "the signature does not verify with the TSA certificate ({e})"
        ))
    };
    if spki.algorithm.oid == RSA_ENCRYPTION {
        use rsa::pkcs8::DecodePublicKey as _;
        let key =
            rsa::RsaPublicKey::from_public_key_der(&spki_der).map_err(|e| bad(e.to_string()))?;
        let scheme = match alg {
            crate::tsa_token::ID_SHA256 => rsa::Pkcs1v15Sign::new::<sha2::Sha256>(),
            ID_SHA384 => rsa::Pkcs1v15Sign::new::<sha2::Sha384>(),
            _ => rsa::Pkcs1v15Sign::new::<sha2::Sha512>(),
        };
        return key
            .verify(scheme, &hashed, sig)
            .map_err(|e| bad(e.to_string()));
    }
    if spki.algorithm.oid != EC_PUBLIC_KEY {
        return Err(refused(format!(
            "a TSA key of algorithm {} (prov takes RSA and ECDSA P-256, P-384)",
            spki.algorithm.oid
        )));
    }
    let curve: Option<Oid> = spki
        .algorithm
        .parameters
        .as_ref()
        .and_then(|p| p.decode_as().ok());
    use p256::ecdsa::signature::hazmat::PrehashVerifier as _;
    use p256::pkcs8::DecodePublicKey as _;
    match curve {
        Some(P256) => {
            let key = p256::ecdsa::VerifyingKey::from_public_key_der(&spki_der)
                .map_err(|e| bad(e.to_string()))?;
            let sig = p256::ecdsa::Signature::from_der(sig).map_err(|e| bad(e.to_string()))?;
            key.verify_prehash(&hashed, &sig)
                .map_err(|e| bad(e.to_string()))
        }
        Some(P384) => {
            let key = p384::ecdsa::VerifyingKey::from_public_key_der(&spki_der)
                .map_err(|e| bad(e.to_string()))?;
            let sig = p384::ecdsa::Signature::from_der(sig).map_err(|e| bad(e.to_string()))?;
            key.verify_prehash(&hashed, &sig)
                .map_err(|e| bad(e.to_string()))
        }
        _ => Err(refused(
            "an ECDSA key on a curve other than P-256 and P-384",
        )),
    }
}

/// RFC 3161 section 2.3: the TSA's certificate has one extended key usage, critical,
/// id-kp-timeStamping alone.
fn check_key_usage(cert: &Certificate) -> Result<()> {
    let mut ekus = cert
        .tbs_certificate
        .extensions
        .iter()
        .flatten()
        .filter(|e| e.extn_id == EXT_KEY_USAGE);
    let (Some(eku), None) = (ekus.next(), ekus.next()) else {
        return Err(refused(
            "the TSA certificate does not have one extended key usage extension (RFC 3161 section 2.3)",
        ));
    };
    let usages = x509_cert::ext::pkix::ExtendedKeyUsage::from_der(eku.extn_value.as_bytes())
        .map_err(|e| {
            refused(format!(
                "the TSA certificate's extended key usage does not parse ({e})"
            ))
        })?;
    if !eku.critical || usages.0 != [KP_TIME_STAMPING] {
        return Err(refused(
            "the TSA certificate's extended key usage is not timeStamping alone and critical (RFC 3161 section 2.3)",
        ));
    }
    Ok(())
}

/// Verifies a time-stamp token over `imprint` (checks 1 to 7 of this module), with the TSA
/// certificate `cert` (DER) when given, else with the certificate the token carries (which
/// then proves only that the token is whole, not who signed it). `nonce` is the one sent.
///
/// # Errors
/// [`Error::TokenMalformed`] when it does not parse; [`Error::TokenRefused`] naming the
/// first check that fails.
pub fn verify_token(
    token: &[u8],
    imprint: &[u8; 32],
    nonce: Option<u64>,
    cert: Option<&[u8]>,
) -> Result<TokenFacts> {
    let p: Parsed = parse(token)?;
    let si = signer_info(&p.signed)?;
    let (cert, cert_der) = match cert {
        Some(der) => {
            let c = Certificate::from_der(der)
                .map_err(|e| Error::invalid("TSA certificate", e.to_string()))?;
            if !identifies(&si.sid, &c) {
                return Err(refused(format!(
                    "it was signed by another certificate than the TSA certificate given ({})",
                    c.tbs_certificate.subject
                )));
            }
            (c, der.to_vec())
        }
        None => carried_signer(&p.signed)
            .ok_or_else(|| refused("it carries no certificate of its signer: give the TSA's"))?,
    };
    let f = facts(&p, Some(cert_der.clone()))?;
    if f.imprint != *imprint {
        return Err(refused(
            "its message imprint is not the SHA-256 of this checkpoint's note text",
        ));
    }
    if nonce.is_some() && f.nonce != nonce {
        return Err(refused("the TSA did not echo the request's nonce"));
    }
    let content_type: Oid = attribute(si, ID_CONTENT_TYPE, "content-type")?
        .decode_as()
        .map_err(|_| refused("a content-type attribute that is not an OID"))?;
    if content_type != crate::tsa_token::ID_CT_TSTINFO {
        return Err(refused("its content-type attribute is not id-ct-TSTInfo"));
    }
    let md: OctetString = attribute(si, ID_MESSAGE_DIGEST, "message-digest")?
        .decode_as()
        .map_err(|_| refused("a message-digest attribute that is not an OCTET STRING"))?;
    if digest(&si.digest_alg.oid, &p.econtent).as_deref() != Some(md.as_bytes()) {
        return Err(refused(
            "its message-digest attribute is not the digest of its TSTInfo (the token was altered)",
        ));
    }
    check_signing_certificate(si, &cert_der)?;
    let signed_attrs = si
        .signed_attrs
        .as_ref()
        .and_then(|a| a.to_der().ok())
        .ok_or_else(|| refused("no signed attributes"))?;
    check_signature(&cert, si, &signed_attrs)?;
    check_key_usage(&cert)?;
    let v = &cert.tbs_certificate.validity;
    let ms = |t: x509_cert::time::Time| {
        u64::try_from(t.to_unix_duration().as_millis()).unwrap_or(u64::MAX)
    };
    if f.gen_time_ms < ms(v.not_before) || f.gen_time_ms > ms(v.not_after) {
        return Err(refused(
            "its genTime lies outside the TSA certificate's validity",
        ));
    }
    Ok(f)
}
