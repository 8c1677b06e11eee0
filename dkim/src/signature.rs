//! The DKIM-Signature header field (RFC 6376 section 3.5): its tags read into what a verifier
//! needs, with the checks of section 6.1.1 that need no key.

use crate::canon::Canon;
use crate::error::{Error, Result};
use crate::tags::{Tag, TagList};
use base64::Engine as _;
use sha2::Digest as _;
use std::ops::Range;

/// A signing algorithm (`a=`): RFC 6376 section 3.3 and RFC 8463.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Algorithm {
    /// `rsa-sha1`: still verified for old mail, but obsolete (RFC 8301 section 3.1 says
    /// it must no longer be used), so a pass with it is flagged.
    RsaSha1,
    /// `rsa-sha256` (RFC 6376 section 3.3.1).
    RsaSha256,
    /// `ed25519-sha256` (RFC 8463 section 3): Ed25519 over the SHA-256 of the header data.
    Ed25519Sha256,
}

impl Algorithm {
    /// Parses an `a=` value (compared case-insensitively, as its ABNF's strings are).
    ///
    /// # Errors
    /// [`Error::Unsupported`] for any other algorithm.
    pub fn parse(a: &[u8]) -> Result<Algorithm> {
        match a.to_ascii_lowercase().as_slice() {
            b"rsa-sha1" => Ok(Algorithm::RsaSha1),
            b"rsa-sha256" => Ok(Algorithm::RsaSha256),
            b"ed25519-sha256" => Ok(Algorithm::Ed25519Sha256),
            _ => Err(Error::Unsupported {
                what: "algorithm",
                value: String::from_utf8_lossy(a).into_owned(),
            }),
        }
    }

    /// The key type (`k=` of the key record) it needs.
    pub fn key_type(self) -> &'static str {
        match self {
            Algorithm::RsaSha1 | Algorithm::RsaSha256 => "rsa",
            Algorithm::Ed25519Sha256 => "ed25519",
        }
    }

    /// The hash name (as a key record's `h=` lists it).
    pub fn hash_name(self) -> &'static str {
        match self {
            Algorithm::RsaSha1 => "sha1",
            _ => "sha256",
        }
    }

    /// The hash of `data` with its hash algorithm.
    pub fn hasher(self) -> Hasher {
        match self {
            Algorithm::RsaSha1 => Hasher::Sha1(sha1::Sha1::new()),
            _ => Hasher::Sha256(sha2::Sha256::new()),
        }
    }
}

/// A running SHA-1 or SHA-256.
pub enum Hasher {
    /// SHA-1.
    Sha1(sha1::Sha1),
    /// SHA-256.
    Sha256(sha2::Sha256),
}

impl Hasher {
    /// Adds bytes.
    pub fn update(&mut self, bytes: &[u8]) {
        match self {
            Hasher::Sha1(h) => h.update(bytes),
            Hasher::Sha256(h) => h.update(bytes),
        }
    }

    /// The digest.
    pub fn finish(self) -> Vec<u8> {
        match self {
            Hasher::Sha1(h) => h.finalize().to_vec(),
            Hasher::Sha256(h) => h.finalize().to_vec(),
        }
    }
}

/// What the body hash needs: `a=`, `c=`, `l=` and `bh=` (section 3.7). Readable from a
/// signature whose other tags are broken, so that claims can say whether the body matches.
pub struct BodySpec {
    /// The algorithm, for its hash.
    pub algorithm: Algorithm,
    /// The header (first) and body (second) canonicalization.
    pub canon: (Canon, Canon),
    /// `l=`: how many bytes of the canonical body are signed.
    pub length: Option<u64>,
    /// `bh=`, decoded.
    pub expected: Vec<u8>,
}

impl BodySpec {
    /// Reads `a=`, `c=`, `l=` and `bh=`.
    ///
    /// # Errors
    /// [`Error::MissingTag`], [`Error::Unsupported`], [`Error::BadValue`].
    pub fn from_tags(tags: &TagList) -> Result<BodySpec> {
        let algorithm = Algorithm::parse(&required(tags, "a")?.compact())?;
        let c = tags.get("c").map(Tag::compact);
        let canon = Canon::parse_pair(c.as_deref())?;
        let length = tags.get("l").map(|t| number("l", t)).transpose()?;
        let expected = base64_value("bh", required(tags, "bh")?)?;
        Ok(BodySpec {
            algorithm,
            canon,
            length,
            expected,
        })
    }

    /// Whether `body` hashes to `bh=`.
    ///
    /// # Errors
    /// [`Error::BodyHashMismatch`] when it does not, or when it is shorter than `l=`.
    pub fn check(&self, body: &[u8]) -> Result<()> {
        let mut h = self.algorithm.hasher();
        crate::canon::limited_body(self.canon.1, body, self.length, &mut |p| h.update(p))?;
        if h.finish() != self.expected {
            return Err(Error::BodyHashMismatch);
        }
        Ok(())
    }
}

/// A DKIM-Signature, read and checked as far as it can be without a key.
pub struct Signature {
    /// `a=`, `c=`, `l=`, `bh=`.
    pub body: BodySpec,
    /// `b=`, decoded.
    pub signature: Vec<u8>,
    /// `d=`: the signing domain.
    pub domain: String,
    /// `s=`: the selector.
    pub selector: String,
    /// `h=`: the signed header field names, in order.
    pub headers: Vec<Vec<u8>>,
    /// `x=`: when it expires, Unix seconds.
    pub expires: Option<u64>,
    /// The domain of `i=` (what follows its last `@`), if given.
    pub identity_domain: Option<String>,
    /// Where the `b=` value is in the field's value: blanked when the field is hashed.
    pub b_span: Range<usize>,
}

impl Signature {
    /// Reads a DKIM-Signature's tag list (section 3.5) and makes the checks of section 6.1.1.
    ///
    /// # Errors
    /// A missing required tag, `v=` other than 1, an unsupported algorithm or
    /// canonicalization, a malformed value, `h=` without `from`, `i=` outside `d=`, `x=` not
    /// after `t=`.
    pub fn parse(tags: &TagList) -> Result<Signature> {
        let v = required(tags, "v")?.compact();
        if v != b"1" {
            return Err(Error::Unsupported {
                what: "version",
                value: String::from_utf8_lossy(&v).into_owned(),
            });
        }
        let body = BodySpec::from_tags(tags)?;
        let b = required(tags, "b")?;
        let signature = base64_value("b", b)?;
        let domain = text("d", required(tags, "d")?)?;
        let selector = text("s", required(tags, "s")?)?;
        let headers: Vec<Vec<u8>> = required(tags, "h")?
            .compact()
            .split(|&c| c == b':')
            .map(<[u8]>::to_vec)
            .collect();
        if headers.iter().any(Vec::is_empty) {
            return Err(bad("h", "an empty header field name"));
        }
        if !headers.iter().any(|h| h.eq_ignore_ascii_case(b"from")) {
            return Err(Error::FromNotSigned);
        }
        let identity_domain = match tags.get("i") {
            None => None,
            Some(i) => {
                let i = text("i", i)?;
                let at = i.rfind('@').ok_or_else(|| bad("i", "no '@'"))?;
                let id = i[at + 1..].to_ascii_lowercase();
                let d = domain.to_ascii_lowercase();
                if id != d && !id.ends_with(&format!(".{d}")) {
                    return Err(Error::IdentityOutsideDomain);
                }
                Some(id)
            }
        };
        let t = tags.get("t").map(|t| number("t", t)).transpose()?;
        let expires = tags.get("x").map(|x| number("x", x)).transpose()?;
        if let (Some(t), Some(x)) = (t, expires)
            && x <= t
        {
            return Err(bad("x", "not after t="));
        }
        Ok(Signature {
            body,
            signature,
            domain,
            selector,
            headers,
            expires,
            identity_domain,
            b_span: b.span.clone(),
        })
    }
}

fn bad(tag: &'static str, reason: &str) -> Error {
    Error::BadValue {
        tag,
        reason: reason.to_owned(),
    }
}

/// The tag `name`, which must be present.
pub(crate) fn required<'t>(tags: &'t TagList, name: &'static str) -> Result<&'t Tag> {
    tags.get(name).ok_or(Error::MissingTag(name))
}

/// A tag's value as text (UTF-8), folding whitespace removed.
fn text(name: &'static str, tag: &Tag) -> Result<String> {
    let v = tag.compact();
    if v.is_empty() {
        return Err(bad(name, "empty"));
    }
    String::from_utf8(v).map_err(|_| bad(name, "not UTF-8 text"))
}

/// A decimal number (`l=`, `t=`, `x=`). More than 12 digits may be taken as infinite
/// (section 3.5); such values are kept as the largest number.
fn number(name: &'static str, tag: &Tag) -> Result<u64> {
    let v = tag.compact();
    if v.is_empty() || !v.iter().all(u8::is_ascii_digit) {
        return Err(bad(name, "not a decimal number"));
    }
    Ok(std::str::from_utf8(&v)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(u64::MAX))
}

/// A base64 value (`b=`, `bh=`, `p=`), whitespace ignored (section 3.5, 3.6.1).
pub(crate) fn base64_value(name: &'static str, tag: &Tag) -> Result<Vec<u8>> {
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    const LENIENT: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    LENIENT
        .decode(tag.compact())
        .map_err(|e| bad(name, &format!("not base64: {e}")))
}
