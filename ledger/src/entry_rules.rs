//! The field rules of FORMAT.md section 6.1 and 6.2: lengths, counts, character classes,
//! sorted unique maps and the size limit. The encoder and the strict decoder both apply
//! them, so an entry that breaks one is never encoded, signed or accepted.

use crate::encoding::encode_unsigned;
use crate::entry::{Entry, Kind};
use crate::error::{Error, Result};

/// Largest encoded entry a writer signs, signature included: what the 16-bit length prefix
/// of a C2SP tlog-tiles entry bundle can carry.
pub const MAX_ENTRY_BYTES: usize = 65_535;
/// Largest encoded entry a reader decodes: 65,536, the limit before entry bundles, so that
/// ledgers written then stay readable (such an entry cannot be published in a bundle).
pub(crate) const MAX_DECODED_ENTRY_BYTES: usize = 64 * 1024;
/// Largest file name an entry records, in bytes.
pub const MAX_NAME: usize = 4096;
pub(crate) const MAX_MEDIA_TYPE: usize = 255;
pub(crate) const MAX_DIGESTS: usize = 8;
pub(crate) const MAX_DIGEST_NAME: usize = 32;
pub(crate) const MAX_DIGEST_VALUE: usize = 64;
pub(crate) const MAX_SOURCE: usize = 4096;
pub(crate) const MAX_AGENT: usize = 1024;
pub(crate) const MAX_META: usize = 256;
pub(crate) const MAX_META_KEY: usize = 256;
pub(crate) const MAX_META_VALUE: usize = 4096;
pub(crate) const MAX_RELATED: usize = 64;
pub(crate) const MAX_RELATION: usize = 64;

pub(crate) fn text(field: &'static str, s: &str, min: usize, max: usize) -> Result<()> {
    if s.len() < min || s.len() > max {
        return Err(Error::invalid(
            field,
            format!("must be {min} to {max} bytes, is {}", s.len()),
        ));
    }
    if s.chars().any(char::is_control) {
        return Err(Error::invalid(field, "must not contain control characters"));
    }
    Ok(())
}

/// Whether `c` is a bidirectional control or a line or paragraph separator: characters that
/// reorder or break the text a person reads (U+061C, U+200E, U+200F, U+202A..U+202E,
/// U+2066..U+2069, U+2028, U+2029).
pub fn is_display_control(c: char) -> bool {
    matches!(
        c,
        '\u{061C}'
            | '\u{200E}'
            | '\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2066}'..='\u{2069}'
            | '\u{2028}'
            | '\u{2029}'
    )
}

/// The rule for text a ledger records from now on (FORMAT.md section 6.1): a source, agent
/// or origin holds no bidirectional controls and no line or paragraph separators, so that
/// what a person reads is what was recorded. Entries written before this rule still decode.
///
/// # Errors
/// [`Error::Invalid`] naming the field and the first such character.
pub fn check_recorded_text(field: &'static str, s: &str) -> Result<()> {
    match s.chars().find(|c| is_display_control(*c)) {
        None => Ok(()),
        Some(c) => Err(Error::invalid(
            field,
            format!(
                "contains U+{:04X}, a bidirectional control or line separator that changes how the text reads: remove it",
                c as u32
            ),
        )),
    }
}

/// Checks the field rules of FORMAT.md section 6.2, the size limit included.
pub(crate) fn validate(e: &Entry) -> Result<()> {
    validate_fields(e)?;
    let mut unsigned = Vec::new();
    encode_unsigned(e, &mut unsigned)?;
    check_size(unsigned.len())
}

/// Checks every field rule but the size limit (which needs the encoding).
pub(crate) fn validate_fields(e: &Entry) -> Result<()> {
    if let Kind::Sighting { first } = e.kind
        && first >= e.seq
    {
        return Err(Error::invalid(
            "kind",
            "a sighting must refer to an earlier entry",
        ));
    }
    if let Kind::Claim { about, .. } = e.kind {
        crate::claim::validate_claim_fields(e, about)?;
    }
    if let Some(name) = &e.content.name
        && (name.is_empty() || name.len() > MAX_NAME)
    {
        return Err(Error::invalid(
            "name",
            format!("must be 1 to {MAX_NAME} bytes"),
        ));
    }
    if let Some(mt) = &e.content.media_type {
        text("media type", mt, 1, MAX_MEDIA_TYPE)?;
    }
    if e.content.digests.len() > MAX_DIGESTS {
        return Err(Error::invalid("digests", format!("at most {MAX_DIGESTS}")));
    }
    for (alg, value) in &e.content.digests {
        let ok_name = !alg.is_empty()
            && alg.len() <= MAX_DIGEST_NAME
            && alg
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !ok_name || alg == "sha256" {
            return Err(Error::invalid(
                "digest name",
                format!("{alg:?} is not a lower-case algorithm name other than sha256"),
            ));
        }
        if value.is_empty() || value.len() > MAX_DIGEST_VALUE {
            return Err(Error::invalid(
                "digest value",
                format!("must be 1 to {MAX_DIGEST_VALUE} bytes"),
            ));
        }
    }
    text("source", &e.source, 1, MAX_SOURCE)?;
    if e.source.trim().is_empty() {
        return Err(Error::invalid("source", "must not be blank"));
    }
    if let Some(agent) = &e.agent {
        text("agent", agent, 1, MAX_AGENT)?;
    }
    if e.metadata.len() > MAX_META {
        return Err(Error::invalid(
            "metadata",
            format!("at most {MAX_META} keys"),
        ));
    }
    for (k, v) in &e.metadata {
        text("metadata key", k, 1, MAX_META_KEY)?;
        if k.contains('=') {
            return Err(Error::invalid("metadata key", "must not contain '='"));
        }
        text("metadata value", v, 0, MAX_META_VALUE)?;
    }
    if e.related.len() > MAX_RELATED {
        return Err(Error::invalid(
            "related",
            format!("at most {MAX_RELATED} links"),
        ));
    }
    for (i, r) in e.related.iter().enumerate() {
        let ok = !r.relation.is_empty()
            && r.relation.len() <= MAX_RELATION
            && r.relation
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !ok {
            return Err(Error::invalid(
                "relation",
                format!(
                    "'{}' must be lower-case letters, digits and '_'",
                    r.relation
                ),
            ));
        }
        if r.seq >= e.seq {
            return Err(Error::invalid(
                "related",
                format!("entry {} is not earlier than {}", r.seq, e.seq),
            ));
        }
        if i > 0 && e.related[i - 1] >= *r {
            return Err(Error::invalid("related", "links must be sorted and unique"));
        }
    }
    Ok(())
}

/// The whole entry (unsigned encoding plus the 64-byte signature) must fit the limit.
pub(crate) fn check_size(unsigned_len: usize) -> Result<()> {
    if unsigned_len + 64 > MAX_ENTRY_BYTES {
        return Err(Error::invalid(
            "entry",
            "encodes to more than 65,535 bytes (the most an entry bundle carries)",
        ));
    }
    Ok(())
}
