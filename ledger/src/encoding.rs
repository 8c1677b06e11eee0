//! The canonical entry encoding of FORMAT.md section 6: big-endian integers, `u16`
//! length-prefixed strings, one presence byte per optional field, sorted unique maps, and
//! strict decoding (one accepted encoding per entry, trailing bytes rejected, limits enforced).

use crate::entry::{Content, ENTRY_VERSION, Entry, Kind, Related};
use crate::error::{Error, Result};
use prov_proofs::Hash;
use std::collections::BTreeMap;

/// Largest encoded entry, signature included.
pub const MAX_ENTRY_BYTES: usize = 64 * 1024;
const MAX_NAME: usize = 4096;
const MAX_MEDIA_TYPE: usize = 255;
const MAX_DIGESTS: usize = 8;
const MAX_DIGEST_NAME: usize = 32;
const MAX_DIGEST_VALUE: usize = 64;
const MAX_SOURCE: usize = 4096;
const MAX_AGENT: usize = 1024;
const MAX_META: usize = 256;
const MAX_META_KEY: usize = 256;
const MAX_META_VALUE: usize = 4096;
const MAX_RELATED: usize = 64;
const MAX_RELATION: usize = 64;

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    // Lengths are checked by `validate` before anything is signed or written.
    out.extend_from_slice(&(b.len().min(u16::MAX as usize) as u16).to_be_bytes());
    out.extend_from_slice(&b[..b.len().min(u16::MAX as usize)]);
}

fn put_opt(out: &mut Vec<u8>, b: Option<&[u8]>) {
    match b {
        None => out.push(0),
        Some(b) => {
            out.push(1);
            put_bytes(out, b);
        }
    }
}

/// Appends the unsigned encoding (everything but the signature) to `out`.
pub(crate) fn encode_unsigned(e: &Entry, out: &mut Vec<u8>) {
    out.push(ENTRY_VERSION);
    out.extend_from_slice(&e.seq.to_be_bytes());
    out.extend_from_slice(&e.prev.0);
    out.extend_from_slice(&e.time_ms.to_be_bytes());
    match e.kind {
        Kind::FirstSeen => out.push(0),
        Kind::Sighting { first } => {
            out.push(1);
            out.extend_from_slice(&first.to_be_bytes());
        }
    }
    let c = &e.content;
    out.extend_from_slice(&c.sha256);
    out.extend_from_slice(&c.size.to_be_bytes());
    put_opt(out, c.name.as_deref());
    put_opt(out, c.media_type.as_deref().map(str::as_bytes));
    out.push(c.digests.len().min(255) as u8);
    for (alg, value) in &c.digests {
        put_bytes(out, alg.as_bytes());
        put_bytes(out, value);
    }
    put_bytes(out, e.source.as_bytes());
    put_opt(out, e.agent.as_deref().map(str::as_bytes));
    out.extend_from_slice(&(e.metadata.len().min(u16::MAX as usize) as u16).to_be_bytes());
    for (k, v) in &e.metadata {
        put_bytes(out, k.as_bytes());
        put_bytes(out, v.as_bytes());
    }
    out.extend_from_slice(&(e.related.len().min(u16::MAX as usize) as u16).to_be_bytes());
    for r in &e.related {
        put_bytes(out, r.relation.as_bytes());
        out.extend_from_slice(&r.seq.to_be_bytes());
    }
    out.extend_from_slice(&e.key_id.to_be_bytes());
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8]> {
        if self.buf.len() - self.pos < n {
            return Err(Error::Decode(format!(
                "truncated in {what} at byte {}",
                self.pos
            )));
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }
    fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N]> {
        let mut a = [0; N];
        a.copy_from_slice(self.take(N, what)?);
        Ok(a)
    }
    fn u8(&mut self, what: &str) -> Result<u8> {
        Ok(self.take(1, what)?[0])
    }
    fn u16(&mut self, what: &str) -> Result<usize> {
        Ok(u16::from_be_bytes(self.array(what)?) as usize)
    }
    fn u64(&mut self, what: &str) -> Result<u64> {
        Ok(u64::from_be_bytes(self.array(what)?))
    }
    fn bytes(&mut self, what: &str) -> Result<Vec<u8>> {
        let n = self.u16(what)?;
        Ok(self.take(n, what)?.to_vec())
    }
    fn string(&mut self, what: &str) -> Result<String> {
        String::from_utf8(self.bytes(what)?)
            .map_err(|_| Error::Decode(format!("{what} is not UTF-8")))
    }
    fn present(&mut self, what: &str) -> Result<bool> {
        match self.u8(what)? {
            0 => Ok(false),
            1 => Ok(true),
            b => Err(Error::Decode(format!(
                "{what}: presence byte {b} is not 0 or 1"
            ))),
        }
    }
}

/// Strictly decodes one entry; see FORMAT.md section 6.
pub(crate) fn decode(bytes: &[u8]) -> Result<Entry> {
    if bytes.len() > MAX_ENTRY_BYTES {
        return Err(Error::Decode(format!(
            "{} bytes is over the 64 KiB limit",
            bytes.len()
        )));
    }
    let mut r = Reader { buf: bytes, pos: 0 };
    let version = r.u8("version")?;
    if version != ENTRY_VERSION {
        return Err(Error::Decode(format!("unknown entry version {version}")));
    }
    let seq = r.u64("seq")?;
    let prev = Hash(r.array("prev")?);
    let time_ms = r.u64("time")?;
    let kind = match r.u8("kind")? {
        0 => Kind::FirstSeen,
        1 => Kind::Sighting {
            first: r.u64("first seq")?,
        },
        k => return Err(Error::Decode(format!("unknown kind {k}"))),
    };
    let sha256 = r.array("sha256")?;
    let size = r.u64("size")?;
    let name = if r.present("name")? {
        Some(r.bytes("name")?)
    } else {
        None
    };
    let media_type = if r.present("media type")? {
        Some(r.string("media type")?)
    } else {
        None
    };
    let mut digests = BTreeMap::new();
    for _ in 0..r.u8("digest count")? {
        let alg = r.string("digest name")?;
        let value = r.bytes("digest value")?;
        if digests.last_key_value().is_some_and(|(k, _)| *k >= alg) {
            return Err(Error::Decode(
                "digests are not in strictly ascending order".into(),
            ));
        }
        digests.insert(alg, value);
    }
    let source = r.string("source")?;
    let agent = if r.present("agent")? {
        Some(r.string("agent")?)
    } else {
        None
    };
    let mut metadata = BTreeMap::new();
    for _ in 0..r.u16("metadata count")? {
        let k = r.string("metadata key")?;
        let v = r.string("metadata value")?;
        if metadata
            .last_key_value()
            .is_some_and(|(last, _)| *last >= k)
        {
            return Err(Error::Decode(
                "metadata keys are not in strictly ascending order".into(),
            ));
        }
        metadata.insert(k, v);
    }
    let mut related: Vec<Related> = Vec::new();
    for _ in 0..r.u16("related count")? {
        let rel = Related {
            relation: r.string("relation")?,
            seq: r.u64("related seq")?,
        };
        if related.last().is_some_and(|last| *last >= rel) {
            return Err(Error::Decode(
                "related links are not in strictly ascending order".into(),
            ));
        }
        related.push(rel);
    }
    let key_id = u32::from_be_bytes(r.array("key id")?);
    let signature = r.array("signature")?;
    if r.pos != bytes.len() {
        return Err(Error::Decode(format!(
            "{} trailing bytes",
            bytes.len() - r.pos
        )));
    }
    let e = Entry {
        seq,
        prev,
        time_ms,
        kind,
        content: Content {
            sha256,
            size,
            name,
            media_type,
            digests,
        },
        source,
        agent,
        metadata,
        related,
        key_id,
        signature,
    };
    validate(&e).map_err(|err| Error::Decode(err.to_string()))?;
    Ok(e)
}

fn text(field: &'static str, s: &str, min: usize, max: usize) -> Result<()> {
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
    encode_unsigned(e, &mut unsigned);
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
                    "{:?} must be lower-case letters, digits and '_'",
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
        return Err(Error::invalid("entry", "encodes to more than 64 KiB"));
    }
    Ok(())
}
