//! The canonical entry encoding of FORMAT.md section 6: big-endian integers, `u16`
//! length-prefixed strings, one presence byte per optional field, sorted unique maps, and
//! strict decoding (one accepted encoding per entry, trailing bytes rejected, limits enforced).

use crate::claim::Verdict;
use crate::entry::{Content, ENTRY_VERSION, Entry, Kind, Related};
use crate::entry_rules::{MAX_DECODED_ENTRY_BYTES, validate_fields};
use crate::error::{Error, Result};
use prov_proofs::Hash;
use std::collections::BTreeMap;

/// Writes `u16 length || bytes`, refusing what a `u16` cannot count: the encoder never
/// truncates, so bytes it returns always say what the entry holds.
fn put_bytes(out: &mut Vec<u8>, field: &'static str, b: &[u8]) -> Result<()> {
    let len = u16::try_from(b.len())
        .map_err(|_| Error::invalid(field, format!("{} bytes do not fit a u16 length", b.len())))?;
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(b);
    Ok(())
}

fn put_opt(out: &mut Vec<u8>, field: &'static str, b: Option<&[u8]>) -> Result<()> {
    match b {
        None => out.push(0),
        Some(b) => {
            out.push(1);
            put_bytes(out, field, b)?;
        }
    }
    Ok(())
}

fn put_count<T: TryFrom<usize>>(field: &'static str, n: usize) -> Result<T> {
    T::try_from(n).map_err(|_| Error::invalid(field, format!("{n} items do not fit the count")))
}

/// Appends the unsigned encoding (everything but the signature) to `out`.
///
/// # Errors
/// [`Error::Invalid`] for a length or count the format cannot hold. Callers check the
/// field rules first ([`crate::entry_rules::validate_fields`]); this only keeps the
/// encoder from ever writing a wrong prefix.
pub(crate) fn encode_unsigned(e: &Entry, out: &mut Vec<u8>) -> Result<()> {
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
        Kind::Claim { about, verdict } => {
            out.push(2);
            out.extend_from_slice(&about.to_be_bytes());
            out.push(verdict.code());
        }
    }
    let c = &e.content;
    out.extend_from_slice(&c.sha256);
    out.extend_from_slice(&c.size.to_be_bytes());
    put_opt(out, "name", c.name.as_deref())?;
    put_opt(
        out,
        "media type",
        c.media_type.as_deref().map(str::as_bytes),
    )?;
    out.push(put_count::<u8>("digests", c.digests.len())?);
    for (alg, value) in &c.digests {
        put_bytes(out, "digest name", alg.as_bytes())?;
        put_bytes(out, "digest value", value)?;
    }
    put_bytes(out, "source", e.source.as_bytes())?;
    put_opt(out, "agent", e.agent.as_deref().map(str::as_bytes))?;
    let n = put_count::<u16>("metadata", e.metadata.len())?;
    out.extend_from_slice(&n.to_be_bytes());
    for (k, v) in &e.metadata {
        put_bytes(out, "metadata key", k.as_bytes())?;
        put_bytes(out, "metadata value", v.as_bytes())?;
    }
    let n = put_count::<u16>("related", e.related.len())?;
    out.extend_from_slice(&n.to_be_bytes());
    for r in &e.related {
        put_bytes(out, "relation", r.relation.as_bytes())?;
        out.extend_from_slice(&r.seq.to_be_bytes());
    }
    out.extend_from_slice(&e.key_id.to_be_bytes());
    Ok(())
}

/// The fixed-position fields of an encoded entry, read without decoding it: seq, prev, time
/// (the layout [`encode_unsigned`] writes; for the writer's and the audit's fast passes).
pub(crate) fn peek_head(payload: &[u8]) -> Option<(u64, Hash, u64)> {
    if payload.first() != Some(&crate::entry::ENTRY_VERSION) || payload.len() < 49 {
        return None;
    }
    let seq = u64::from_be_bytes(payload[1..9].try_into().ok()?);
    let prev = Hash::try_from_slice(&payload[9..41])?;
    let time = u64::from_be_bytes(payload[41..49].try_into().ok()?);
    Some((seq, prev, time))
}

/// The SHA-256 an encoded entry records, read without decoding it: right after the kind
/// byte, and a sighting's first-seen seq or a claim's seq and verdict (the layout
/// [`encode_unsigned`] writes).
pub(crate) fn peek_content(payload: &[u8]) -> Option<[u8; 32]> {
    let at = match payload.get(49)? {
        0 => 50,
        1 => 58,
        2 => 59,
        _ => return None,
    };
    payload.get(at..at + 32)?.try_into().ok()
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
    if bytes.len() > MAX_DECODED_ENTRY_BYTES {
        return Err(Error::Decode(format!(
            "{} bytes is over the 65,536-byte limit",
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
        2 => {
            let about = r.u64("claim seq")?;
            let code = r.u8("verdict")?;
            let verdict = Verdict::from_code(code)
                .ok_or_else(|| Error::Decode(format!("unknown claim verdict {code}")))?;
            Kind::Claim { about, verdict }
        }
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
    // The size limit was checked on `bytes` above, and a strict decode re-encodes to the
    // same bytes: only the field rules are left, without encoding the entry again.
    validate_fields(&e).map_err(|err| Error::Decode(err.to_string()))?;
    Ok(e)
}
