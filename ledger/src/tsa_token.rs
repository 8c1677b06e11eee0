//! RFC 3161 time-stamp tokens: the request `prov timestamp` sends, the reply it reads, and
//! the facts a token states (`docs/FORMAT.md` section 10). A token is a CMS SignedData
//! (RFC 5652 section 5) whose encapsulated content is a TSTInfo (RFC 3161 section 2.4.2):
//! the TSA's signed statement that the message imprint (here the SHA-256 of a checkpoint's
//! note text) existed at genTime. Reading a token here checks nothing but its form; the
//! signature and the certificate are checked by [`verify_token`](crate::verify_token).

use crate::error::{Error, Result};
use cms::content_info::ContentInfo;
use cms::signed_data::SignedData;
use der::asn1::{Int, OctetString};
use der::oid::ObjectIdentifier as Oid;
use der::{Any, Decode, Encode};
use spki::AlgorithmIdentifier;
use x509_cert::ext::pkix::name::GeneralName;
use x509_tsp::{MessageImprint, TimeStampReq, TimeStampResp, TspVersion, TstInfo};

/// id-signedData (RFC 5652 section 5.1).
pub(crate) const ID_SIGNED_DATA: Oid = Oid::new_unwrap("1.2.840.113549.1.7.2");
/// id-ct-TSTInfo (RFC 3161 section 2.4.2).
pub(crate) const ID_CT_TSTINFO: Oid = Oid::new_unwrap("1.2.840.113549.1.9.16.1.4");
/// id-sha256 (RFC 5754 section 2.2).
pub(crate) const ID_SHA256: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.1");

/// The largest token or reply read: a TSA's reply with its certificate chain is a few KiB.
pub const MAX_TOKEN_BYTES: usize = 256 << 10;

/// What a time-stamp token states, read from its TSTInfo and its signer's certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenFacts {
    /// genTime: when the TSA says the imprint existed, ms since the Unix epoch.
    pub gen_time_ms: u64,
    /// The TSA's policy under which the token was issued, a dotted OID.
    pub policy: String,
    /// The token's serial number, in hex (two's complement, as encoded).
    pub serial: String,
    /// The message imprint: SHA-256 of the checkpoint's note text.
    pub imprint: [u8; 32],
    /// The nonce, when the request carried one.
    pub nonce: Option<u64>,
    /// The TSA, named by its signing certificate's subject (RFC 4514), else by TSTInfo's
    /// `tsa` field, else `unknown TSA`.
    pub tsa: String,
    /// The DER certificate that signed the token: the one the verifier gave, else the
    /// matching one the token carries; `None` when neither is known.
    pub signer_cert: Option<Vec<u8>>,
}

impl TokenFacts {
    /// A certificate's subject (RFC 4514), to name a TSA; `None` for bytes that are not a
    /// DER certificate.
    pub fn subject_of(cert: &[u8]) -> Option<String> {
        x509_cert::Certificate::from_der(cert)
            .ok()
            .map(|c| c.tbs_certificate.subject.to_string())
    }
}

pub(crate) fn malformed(reason: impl Into<String>) -> Error {
    Error::TokenMalformed {
        reason: reason.into(),
    }
}

/// The parts of a token the checks need.
pub(crate) struct Parsed {
    pub signed: SignedData,
    pub tst: TstInfo,
    /// The encapsulated TSTInfo's DER bytes, as signed (the message-digest attribute's input).
    pub econtent: Vec<u8>,
    /// genTime's fraction of a second, in milliseconds (`tst.gen_time` holds the seconds).
    pub fraction_ms: u64,
}

/// Parses a token (a CMS ContentInfo holding SignedData holding TSTInfo).
pub(crate) fn parse(token: &[u8]) -> Result<Parsed> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err(malformed("larger than 256 KiB"));
    }
    let ci = ContentInfo::from_der(token)
        .map_err(|e| malformed(format!("not a CMS ContentInfo ({e})")))?;
    if ci.content_type != ID_SIGNED_DATA {
        return Err(malformed(format!(
            "content type {} is not SignedData",
            ci.content_type
        )));
    }
    let signed: SignedData = ci
        .content
        .decode_as()
        .map_err(|e| malformed(format!("not a CMS SignedData ({e})")))?;
    let encap = &signed.encap_content_info;
    if encap.econtent_type != ID_CT_TSTINFO {
        return Err(malformed(format!(
            "encapsulated content type {} is not TSTInfo",
            encap.econtent_type
        )));
    }
    let econtent: OctetString = encap
        .econtent
        .as_ref()
        .ok_or_else(|| malformed("no encapsulated TSTInfo"))?
        .decode_as()
        .map_err(|e| malformed(format!("encapsulated content is not an OCTET STRING ({e})")))?;
    let econtent = econtent.into_bytes();
    let (whole_seconds, fraction_ms) = without_fraction(&econtent)?;
    let tst = TstInfo::from_der(whole_seconds.as_deref().unwrap_or(&econtent))
        .map_err(|e| malformed(format!("not an RFC 3161 TSTInfo ({e})")))?;
    Ok(Parsed {
        signed,
        tst,
        econtent,
        fraction_ms,
    })
}

/// RFC 3161 section 2.4.2 lets genTime carry fractions of a second
/// (`YYYYMMDDhhmmss[.s...]Z`), which DER's GeneralizedTime type (and so `x509-tsp`'s TSTInfo)
/// refuses. The TSTInfo is re-encoded here with genTime cut to the second, for reading
/// only (the signature is checked over the bytes as signed), and the fraction's
/// milliseconds are returned beside; `None` when genTime has no fraction.
fn without_fraction(tst_info: &[u8]) -> Result<(Option<Vec<u8>>, u64)> {
    let not_tst = |e: der::Error| malformed(format!("not an RFC 3161 TSTInfo ({e})"));
    let mut fields = Vec::<Any>::from_der(tst_info).map_err(not_tst)?;
    let Some(time) = fields
        .iter_mut()
        .find(|f| der::Tagged::tag(*f) == der::Tag::GeneralizedTime)
    else {
        return Ok((None, 0));
    };
    let text = time.value();
    let Some(dot) = text.iter().position(|&b| b == b'.') else {
        return Ok((None, 0));
    };
    let digits = text
        .get(dot + 1..text.len().saturating_sub(1))
        .unwrap_or_default();
    if text.last() != Some(&b'Z') || digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Err(malformed(
            "genTime's fraction of a second is not digits ending in Z",
        ));
    }
    let fraction_ms = digits
        .iter()
        .chain(b"000")
        .take(3)
        .fold(0u64, |n, d| n * 10 + u64::from(d - b'0'));
    let whole: Vec<u8> = text[..dot].iter().copied().chain(*b"Z").collect();
    *time = Any::new(der::Tag::GeneralizedTime, whole).map_err(not_tst)?;
    Ok((Some(fields.to_der().map_err(not_tst)?), fraction_ms))
}

/// A DER INTEGER's value as a `u64`, when it is non-negative and fits.
fn int_u64(i: &Int) -> Option<u64> {
    let b = i.as_bytes();
    if b.first().is_some_and(|&x| x & 0x80 != 0) {
        return None;
    }
    let b = match b.iter().position(|&x| x != 0) {
        Some(p) => &b[p..],
        None => &[],
    };
    (b.len() <= 8).then(|| b.iter().fold(0u64, |n, &x| (n << 8) | u64::from(x)))
}

/// The facts of a parsed token, naming the TSA by `signer_cert` when given.
pub(crate) fn facts(p: &Parsed, signer_cert: Option<Vec<u8>>) -> Result<TokenFacts> {
    let tst = &p.tst;
    let imprint = &tst.message_imprint;
    if imprint.hash_algorithm.oid != ID_SHA256 {
        return Err(malformed(format!(
            "the message imprint's hash is {}, not SHA-256",
            imprint.hash_algorithm.oid
        )));
    }
    let imprint: [u8; 32] = imprint
        .hashed_message
        .as_bytes()
        .try_into()
        .map_err(|_| malformed("the SHA-256 message imprint is not 32 bytes"))?;
    let gen_time_ms = u64::try_from(tst.gen_time.to_unix_duration().as_millis())
        .unwrap_or(u64::MAX)
        .saturating_add(p.fraction_ms);
    let nonce = match &tst.nonce {
        None => None,
        Some(n) => Some(int_u64(n).ok_or_else(|| malformed("a nonce that prov never sends"))?),
    };
    let from_cert = signer_cert.as_deref().and_then(TokenFacts::subject_of);
    let from_tst = tst.tsa.as_ref().map(|n| match n {
        GeneralName::DirectoryName(d) => d.to_string(),
        // Another form of name (RFC 5280 GeneralName): said by its kind, never a debug dump.
        GeneralName::Rfc822Name(s) | GeneralName::DnsName(s) => s.to_string(),
        GeneralName::UniformResourceIdentifier(s) => s.to_string(),
        _ => "a TSA named by a form of name prov does not show".to_string(),
    });
    Ok(TokenFacts {
        gen_time_ms,
        policy: tst.policy.to_string(),
        serial: hex_of(tst.serial_number.as_bytes()),
        imprint,
        nonce,
        tsa: from_cert
            .or(from_tst)
            .unwrap_or_else(|| "unknown TSA".to_owned()),
        signer_cert,
    })
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Reads a token's facts without verifying it (for listing tokens `prov timestamp` already
/// verified before it stored them). The TSA is named by the certificate the token carries
/// that matches its signer, when it carries one.
///
/// # Errors
/// [`Error::TokenMalformed`] when it does not parse as RFC 3161 says.
pub fn read_token(token: &[u8]) -> Result<TokenFacts> {
    let p = parse(token)?;
    let cert = crate::tsa_verify::carried_signer(&p.signed).map(|(_, der)| der);
    facts(&p, cert)
}

/// A TimeStampReq (RFC 3161 section 2.4.1) for a SHA-256 imprint: version 1, the imprint,
/// the nonce, and certReq TRUE, so that the token carries the TSA's certificate.
///
/// # Errors
/// [`Error::Invalid`] only if the DER encoder fails (it does not for these sizes).
pub fn timestamp_request(imprint: &[u8; 32], nonce: u64) -> Result<Vec<u8>> {
    let der_error = |e: der::Error| Error::invalid("timestamp request", e.to_string());
    let nonce = nonce & (u64::MAX >> 1);
    let bytes = nonce.to_be_bytes();
    // The shortest two's complement form of a positive number (bit 63 is clear, so a byte
    // before one with its high bit set exists and is zero).
    let mut first = bytes.iter().position(|&b| b != 0).unwrap_or(7);
    if bytes[first] & 0x80 != 0 {
        first -= 1;
    }
    let req = TimeStampReq {
        version: TspVersion::V1,
        message_imprint: MessageImprint {
            hash_algorithm: AlgorithmIdentifier {
                oid: ID_SHA256,
                parameters: Some(Any::null()),
            },
            hashed_message: OctetString::new(imprint.to_vec()).map_err(der_error)?,
        },
        req_policy: None,
        nonce: Some(Int::new(&bytes[first..]).map_err(der_error)?),
        cert_req: true,
        extensions: None,
    };
    req.to_der().map_err(der_error)
}

/// A fresh random nonce for a request (positive, 63 bits).
pub fn timestamp_nonce() -> u64 {
    use rand_core::RngCore;
    rand_core::OsRng.next_u64() & (u64::MAX >> 1)
}

/// The token of a TSA's reply: a TimeStampResp (RFC 3161 section 2.4.2) whose status is
/// granted (0) or grantedWithMods (1); a bare token (ContentInfo) is returned as it is.
///
/// # Errors
/// [`Error::TokenMalformed`] for bytes that are neither; [`Error::TokenRefused`] for a
/// reply that grants no token (its status and text are named).
pub fn token_from_reply(bytes: &[u8]) -> Result<Vec<u8>> {
    if bytes.len() > MAX_TOKEN_BYTES {
        return Err(malformed("larger than 256 KiB"));
    }
    if let Ok(resp) = TimeStampResp::from_der(bytes) {
        use cmpv2::status::PkiStatus;
        let status = resp.status.status;
        if !matches!(status, PkiStatus::Accepted | PkiStatus::GrantedWithMods) {
            let text: Vec<String> = resp
                .status
                .status_string
                .iter()
                .flatten()
                .map(|s| s.as_str().to_owned())
                .collect();
            return Err(Error::TokenRefused {
                reason: format!(
                    "the TSA did not grant a token (PKIStatus {}{})",
                    status as u8,
                    if text.is_empty() {
                        String::new()
                    } else {
                        format!(": {}", text.join("; "))
                    }
                ),
            });
        }
        let token = resp
            .time_stamp_token
            .ok_or_else(|| malformed("a granted reply without a token"))?;
        return token
            .to_der()
            .map_err(|e| malformed(format!("the token does not re-encode ({e})")));
    }
    ContentInfo::from_der(bytes)
        .map_err(|e| malformed(format!("neither a TimeStampResp nor a token ({e})")))?;
    Ok(bytes.to_vec())
}

#[cfg(test)]
mod tests {

    /// A genTime that is a dot alone, or a dot and Z, is refused as malformed, never a
    /// panic (a hostile TSA chooses these bytes).
    #[test]
    fn a_fraction_with_no_digits_is_malformed() {
        let der_of = |time: &[u8]| {
            vec![Any::new(der::Tag::GeneralizedTime, time.to_vec()).unwrap()]
                .to_der()
                .unwrap()
        };
        for time in [&b"."[..], b".Z", b"20261124120000.Z", b"20261124120000.1"] {
            let refused = without_fraction(&der_of(time)).is_err();
            assert!(refused, "{}", String::from_utf8_lossy(time));
        }
        let (whole, ms) = without_fraction(&der_of(b"20261124120000.5Z")).unwrap();
        assert_eq!(ms, 500);
        let whole = Vec::<Any>::from_der(&whole.unwrap()).unwrap();
        assert_eq!(whole[0].value(), b"20261124120000Z");
    }
    use super::*;

    #[test]
    fn a_request_carries_the_imprint_and_a_positive_nonce_that_reads_back() {
        for nonce in [1u64, 0x80, 0xff00, 0x7fff_ffff_ffff_ffff, u64::MAX] {
            let der = timestamp_request(&[7; 32], nonce).unwrap();
            let req = TimeStampReq::from_der(&der).unwrap();
            assert_eq!(req.message_imprint.hashed_message.as_bytes(), [7; 32]);
            assert_eq!(req.message_imprint.hash_algorithm.oid, ID_SHA256);
            assert!(req.cert_req);
            let n = req.nonce.unwrap();
            assert_eq!(int_u64(&n), Some(nonce & (u64::MAX >> 1)), "{nonce:x}");
        }
    }

    #[test]
    fn garbage_is_malformed_not_a_panic() {
        for bytes in [&b""[..], b"\x30\x00", b"\x30\x03\x02\x01\x00", b"not DER"] {
            assert!(matches!(
                token_from_reply(bytes),
                Err(Error::TokenMalformed { .. })
            ));
            assert!(matches!(
                read_token(bytes),
                Err(Error::TokenMalformed { .. })
            ));
        }
    }
}
