//! The DKIM key record (RFC 6376 section 3.6.1), as published in DNS TXT at
//! `SELECTOR._domainkey.DOMAIN`: `v=DKIM1; k=rsa; p=<base64>` and the optional `h=`, `s=`,
//! `t=`. An empty `p=` is a revoked key.

use crate::error::{Error, Result};
use crate::signature::{Algorithm, Signature, base64_value};
use crate::tags::{Tag, TagList};
use rsa::pkcs1::DecodeRsaPublicKey as _;
use rsa::pkcs8::DecodePublicKey as _;
use rsa::traits::PublicKeyParts as _;

/// RSA keys shorter than this are weak: RFC 8301 section 3.2 requires at least 1024 bits.
pub const WEAK_BELOW_BITS: usize = 1024;

/// A public key from a key record.
#[derive(Clone, Debug, PartialEq, Eq)]
enum PublicKey {
    Rsa(rsa::RsaPublicKey),
    Ed25519(ed25519_dalek::VerifyingKey),
}

/// A parsed key record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyRecord {
    /// `k=`: `rsa` or `ed25519`.
    key_type: &'static str,
    /// The key; `None` when revoked.
    key: Option<PublicKey>,
    /// `h=`: the hashes allowed, lowercase; `None` allows all.
    hashes: Option<Vec<String>>,
    /// `s=`: the service types, lowercase; `None` is `*`.
    services: Option<Vec<String>>,
    /// `t=`: the flags, lowercase.
    flags: Vec<String>,
}

impl KeyRecord {
    /// Parses a key record: the TXT record's text (its strings joined, without quotes).
    ///
    /// # Errors
    /// The tag list's errors; [`Error::Unsupported`] for `v=` other than `DKIM1` (or not
    /// first) or a key type other than `rsa` and `ed25519`; [`Error::MissingTag`] without
    /// `p=`; [`Error::BadKey`] when `p=` is not a public key of that type (RSA: DER
    /// SubjectPublicKeyInfo or RSAPublicKey, at most 4096 bits; Ed25519: 32 bytes, RFC 8463
    /// section 4.2).
    pub fn parse(text: &[u8]) -> Result<KeyRecord> {
        let tags = TagList::parse(text)?;
        if let Some((i, v)) = tags.tags.iter().enumerate().find(|(_, t)| t.name == "v") {
            let value = v.compact();
            if i != 0 || value != b"DKIM1" {
                return Err(Error::Unsupported {
                    what: "version",
                    value: format!(
                        "{}{}",
                        String::from_utf8_lossy(&value),
                        if i != 0 { " (v= must come first)" } else { "" }
                    ),
                });
            }
        }
        let k = tags
            .get("k")
            .map_or_else(|| b"rsa".to_vec(), |k| k.compact().to_ascii_lowercase());
        let key_type = match k.as_slice() {
            b"rsa" => "rsa",
            b"ed25519" => "ed25519",
            _ => {
                return Err(Error::Unsupported {
                    what: "key type",
                    value: String::from_utf8_lossy(&k).into_owned(),
                });
            }
        };
        let p = base64_value("p", tags.get("p").ok_or(Error::MissingTag("p"))?)?;
        let key = if p.is_empty() {
            None
        } else if key_type == "rsa" {
            let rsa = rsa::RsaPublicKey::from_public_key_der(&p)
                .or_else(|_| rsa::RsaPublicKey::from_pkcs1_der(&p))
                .map_err(|e| Error::BadKey {
                    kind: "rsa",
                    reason: format!("{e} (an RSA key must be DER, at most 4096 bits)"),
                })?;
            Some(PublicKey::Rsa(rsa))
        } else {
            let bytes: [u8; 32] = p.as_slice().try_into().map_err(|_| Error::BadKey {
                kind: "ed25519",
                reason: format!("{} bytes where an Ed25519 key has 32", p.len()),
            })?;
            let key =
                ed25519_dalek::VerifyingKey::from_bytes(&bytes).map_err(|e| Error::BadKey {
                    kind: "ed25519",
                    reason: e.to_string(),
                })?;
            Some(PublicKey::Ed25519(key))
        };
        Ok(KeyRecord {
            key_type,
            key,
            hashes: tags.get("h").map(list),
            services: tags.get("s").map(list),
            flags: tags.get("t").map(list).unwrap_or_default(),
        })
    }

    /// `rsa` or `ed25519`.
    pub fn key_type(&self) -> &'static str {
        self.key_type
    }

    /// Whether the key is revoked (an empty `p=`).
    pub fn is_revoked(&self) -> bool {
        self.key.is_none()
    }

    /// The key's size in bits (RSA: the modulus; Ed25519: 256), or `None` when revoked.
    pub fn bits(&self) -> Option<usize> {
        match &self.key {
            Some(PublicKey::Rsa(k)) => Some(k.n().bits()),
            Some(PublicKey::Ed25519(_)) => Some(256),
            None => None,
        }
    }

    /// Whether the key is too short to be trusted: RSA under 1024 bits (RFC 8301 section 3.2).
    pub fn is_weak(&self) -> bool {
        self.key_type == "rsa" && self.bits().is_some_and(|b| b < WEAK_BELOW_BITS)
    }

    /// Whether the record says the domain is testing DKIM (`t=y`): signatures are not to be
    /// treated differently from unsigned mail (section 3.6.1).
    pub fn is_testing(&self) -> bool {
        self.flags.iter().any(|f| f == "y")
    }

    /// Whether this key may verify `sig` (section 6.1.2): its type, `h=`, `s=` and `t=s`.
    ///
    /// # Errors
    /// [`Error::RevokedKey`]; [`Error::KeyNotApplicable`] saying which rule refuses it.
    pub(crate) fn allows(&self, sig: &Signature) -> Result<()> {
        if self.is_revoked() {
            return Err(Error::RevokedKey);
        }
        let alg = sig.body.algorithm;
        if alg.key_type() != self.key_type {
            return Err(Error::KeyNotApplicable(format!(
                "an {} key cannot verify {alg:?}",
                self.key_type
            )));
        }
        if let Some(h) = &self.hashes
            && !h.iter().any(|h| h == alg.hash_name())
        {
            return Err(Error::KeyNotApplicable(format!(
                "its h= does not allow {}",
                alg.hash_name()
            )));
        }
        if let Some(s) = &self.services
            && !s.iter().any(|s| s == "*" || s == "email")
        {
            return Err(Error::KeyNotApplicable("its s= excludes email".into()));
        }
        let strict = self.flags.iter().any(|f| f == "s");
        if strict
            && let Some(id) = &sig.identity_domain
            && !id.eq_ignore_ascii_case(&sig.domain)
        {
            return Err(Error::KeyNotApplicable(
                "its t=s forbids an i= in a subdomain of d=".into(),
            ));
        }
        Ok(())
    }

    /// Whether `signature` over `digest` (the header hash) verifies with this key.
    pub(crate) fn verifies(&self, alg: Algorithm, digest: &[u8], signature: &[u8]) -> bool {
        match (&self.key, alg) {
            (Some(PublicKey::Rsa(k)), Algorithm::RsaSha256) => k
                .verify(rsa::Pkcs1v15Sign::new::<sha2::Sha256>(), digest, signature)
                .is_ok(),
            (Some(PublicKey::Rsa(k)), Algorithm::RsaSha1) => k
                .verify(rsa::Pkcs1v15Sign::new::<sha1::Sha1>(), digest, signature)
                .is_ok(),
            (Some(PublicKey::Ed25519(k)), Algorithm::Ed25519Sha256) => {
                // RFC 8463 section 3: PureEdDSA over the SHA-256 of the header data.
                ed25519_dalek::Signature::from_slice(signature)
                    .is_ok_and(|s| k.verify_strict(digest, &s).is_ok())
            }
            _ => false,
        }
    }
}

/// A colon-separated list (`h=`, `s=`, `t=`), lowercase, whitespace removed.
fn list(tag: &Tag) -> Vec<String> {
    String::from_utf8_lossy(&tag.compact())
        .to_ascii_lowercase()
        .split(':')
        .map(str::to_owned)
        .collect()
}
