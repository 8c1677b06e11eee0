//! Verifying a message's DKIM signatures with key records the caller supplies (RFC 6376
//! section 6.1), with no DNS: the keys are the ones archived when they were first seen.

use crate::canon;
use crate::error::{Error, Result};
use crate::key_record::KeyRecord;
use crate::message::{self, Message};
use crate::signature::Signature;
use crate::tags::TagList;

/// The most DKIM-Signature fields looked at in one message, top first: a real message has a
/// few; a hostile one with thousands would otherwise cost a body hash each.
pub const MAX_SIGNATURES: usize = 8;

/// A signature that verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified<K> {
    /// The caller's name for the key record that verified it.
    pub key: K,
    /// The key's size in bits.
    pub bits: usize,
    /// An RSA key under 1024 bits (RFC 8301 section 3.2): anyone could have factored it.
    pub weak_key: bool,
    /// Signed with `rsa-sha1`, which RFC 8301 section 3.1 made obsolete.
    pub obsolete_algorithm: bool,
    /// The key record says the domain was testing DKIM (`t=y`).
    pub testing: bool,
}

/// What came of one DKIM-Signature field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checked<K> {
    /// Its place among the message's DKIM-Signature fields, from 1 (top first).
    pub index: usize,
    /// `d=`, as given (empty when the tag list does not parse or lacks it).
    pub domain: String,
    /// `s=`, as given (or empty).
    pub selector: String,
    /// `a=`, as given (or empty).
    pub algorithm: String,
    /// `x=`, when given: the signature expires then (Unix seconds).
    pub expires: Option<u64>,
    /// The key that verified it, or why none did. With candidates that all failed: a
    /// signature mismatch if any usable key did not verify, else the first candidate's error.
    pub result: Result<Verified<K>>,
    /// Each candidate key that did not verify it, and why, in the order given.
    pub rejected: Vec<(K, Error)>,
}

/// Verifies each of `message`'s DKIM-Signature fields (at most [`MAX_SIGNATURES`], top
/// first) with the key records `keys` gives for its domain and selector: each as the
/// caller's name for it and the record's text. The first candidate that verifies is named.
///
/// `at` is the time, in Unix seconds, at which an `x=` expiry is judged: for evidence, when
/// the message was first seen, not now. `None` judges no expiry (see [`Checked::expires`]).
///
/// The body hash is checked before any key (it needs none); an `l=` shorter than the body
/// leaves the rest unsigned, as RFC 6376 section 8.2 warns.
pub fn verify<K: Clone>(
    message: &[u8],
    at: Option<u64>,
    mut keys: impl FnMut(&str, &str) -> Vec<(K, Vec<u8>)>,
) -> Vec<Checked<K>> {
    let m = message::parse(message);
    signature_fields(&m)
        .map(|(index, field)| {
            let tags = TagList::parse(m.fields[field].value());
            let shown = |name| {
                tags.as_ref()
                    .ok()
                    .and_then(|t| t.get(name))
                    .map(|t| String::from_utf8_lossy(&t.compact()).into_owned())
                    .unwrap_or_default()
            };
            let mut checked = Checked {
                index,
                domain: shown("d"),
                selector: shown("s"),
                algorithm: shown("a"),
                expires: None,
                result: Err(Error::MissingTag("b")),
                rejected: Vec::new(),
            };
            checked.result = tags.and_then(|t| Signature::parse(&t)).and_then(|sig| {
                checked.expires = sig.expires;
                check_one(&m, field, &sig, at, &mut keys, &mut checked.rejected)
            });
            checked
        })
        .collect()
}

/// The DKIM-Signature fields of `m`, as (place from 1, index in `m.fields`).
pub(crate) fn signature_fields<'m>(
    m: &'m Message<'_>,
) -> impl Iterator<Item = (usize, usize)> + 'm {
    m.fields
        .iter()
        .enumerate()
        .filter(|(_, f)| f.is("DKIM-Signature"))
        .take(MAX_SIGNATURES)
        .enumerate()
        .map(|(n, (i, _))| (n + 1, i))
}

/// Section 6.1.1 to 6.1.3 for one signature, the field at `field` of `m`.
fn check_one<K: Clone>(
    m: &Message<'_>,
    field: usize,
    sig: &Signature,
    at: Option<u64>,
    keys: &mut impl FnMut(&str, &str) -> Vec<(K, Vec<u8>)>,
    rejected: &mut Vec<(K, Error)>,
) -> Result<Verified<K>> {
    if let Some(line) = m.malformed {
        return Err(Error::MalformedMessage { line });
    }
    if let (Some(expires), Some(at)) = (sig.expires, at)
        && at > expires
    {
        return Err(Error::Expired { expires, at });
    }
    sig.body.check(m.body)?;
    let mut h = sig.body.algorithm.hasher();
    h.update(&header_data(m, field, sig));
    let digest = h.finish();
    let candidates = keys(&sig.domain, &sig.selector);
    if candidates.is_empty() {
        return Err(Error::NoKey {
            domain: sig.domain.clone(),
            selector: sig.selector.clone(),
        });
    }
    for (name, text) in candidates {
        let outcome = KeyRecord::parse(&text).and_then(|key| {
            key.allows(sig)?;
            if !key.verifies(sig.body.algorithm, &digest, &sig.signature) {
                return Err(Error::SignatureMismatch);
            }
            Ok(key)
        });
        match outcome {
            Ok(key) => {
                return Ok(Verified {
                    key: name,
                    bits: key.bits().unwrap_or_default(),
                    weak_key: key.is_weak(),
                    obsolete_algorithm: sig.body.algorithm == crate::signature::Algorithm::RsaSha1,
                    testing: key.is_testing(),
                });
            }
            Err(e) => rejected.push((name, e)),
        }
    }
    let mismatch = rejected.iter().any(|(_, e)| *e == Error::SignatureMismatch);
    Err(if mismatch {
        Error::SignatureMismatch
    } else {
        rejected[0].1.clone()
    })
}

/// The header data the signature signs (section 3.7): the fields `h=` names, each the last
/// one of that name not yet taken (bottom-up, section 5.4.2), canonicalized; then the
/// signature's own field with its `b=` value blanked, without its final CRLF.
fn header_data(m: &Message<'_>, field: usize, sig: &Signature) -> Vec<u8> {
    let c = sig.body.canon.0;
    let mut taken = vec![false; m.fields.len()];
    // The field being verified is never one of the fields it names.
    taken[field] = true;
    let mut out = Vec::new();
    for name in &sig.headers {
        let found = (0..m.fields.len())
            .rev()
            .find(|&i| !taken[i] && m.fields[i].name().eq_ignore_ascii_case(name));
        // A name with no field left contributes nothing (section 5.4).
        if let Some(i) = found {
            taken[i] = true;
            canon::header(c, &m.fields[i], &mut out);
        }
    }
    let f = &m.fields[field];
    let value = f.colon + 1;
    let mut raw = f.raw[..value + sig.b_span.start].to_vec();
    raw.extend_from_slice(&f.raw[value + sig.b_span.end..]);
    canon::header_raw(c, &raw, f.colon, &mut out);
    out.truncate(out.len().saturating_sub(2));
    out
}
