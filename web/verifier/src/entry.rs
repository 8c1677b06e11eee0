//! Entries, decoded from FORMAT.md section 6 alone (format version 1), as an auditor with only
//! the specification would: the field table of 6.1, the strict rules of 6.2, the signed
//! message of 6.3 and the claim entries of 6.7 (kind 2). The `ledger` crate is not used (it does file I/O and is not built for the
//! browser); the golden entries of FORMAT.md 6.5 and 6.6 (`tests/vectors/entries.json`) and
//! proofs made by the real `prov` binary check that both read the same bytes the same way.

use crate::error::{Error, Result};
use ed25519_dalek::{Signature, VerifyingKey};

/// The whole entry as a decoder accepts it (FORMAT.md 6.1: 65,535 bytes as a writer signs it,
/// 65,536 for entries written before entry bundles).
pub const MAX_ENTRY: usize = 65_536;
/// FORMAT.md 6.3: the domain-separation prefix of the signed message.
pub const SIGNED_PREFIX: &[u8] = b"prov-entry-v1\n";
const SIGNATURE_LEN: usize = 64;

/// Whether the entry is the first sighting of its content or a later one (6.1 `kind`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `0`: the first time the ledger saw this content.
    FirstSeen,
    /// `1`: the same content later from another source; the seq of its first-seen entry.
    Sighting(u64),
    /// `2`: a claim about an earlier entry (FORMAT.md 6.7): its seq and the verdict's name.
    Claim {
        /// The entry the claim is about (for `retracted`, the claim it withdraws).
        about: u64,
        /// `authentic`, `forged`, `altered`, `disputed`, `unverified` or `retracted`.
        verdict: &'static str,
    },
}

/// FORMAT.md 6.7: the verdicts, by their byte.
pub const VERDICTS: [&str; 6] = [
    "authentic",
    "forged",
    "altered",
    "disputed",
    "unverified",
    "retracted",
];

/// One decoded entry (FORMAT.md 6.1), every field as the table names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Sequence number, which is the Merkle leaf index.
    pub seq: u64,
    /// Leaf hash of entry `seq - 1` (zeros for entry 0).
    pub prev: [u8; 32],
    /// Recorded time, milliseconds since the Unix epoch (UTC).
    pub time_ms: u64,
    /// First seen, or a sighting of an earlier entry.
    pub kind: Kind,
    /// SHA-256 of the document.
    pub sha256: [u8; 32],
    /// Size of the document in bytes.
    pub size: u64,
    /// Original file name, raw bytes.
    pub name: Option<Vec<u8>>,
    /// Media type.
    pub media_type: Option<String>,
    /// Further digests: (algorithm, value).
    pub digests: Vec<(String, Vec<u8>)>,
    /// Where the document came from.
    pub source: String,
    /// Who recorded it.
    pub agent: Option<String>,
    /// Metadata pairs, keys ascending.
    pub metadata: Vec<(String, String)>,
    /// Links to earlier entries: (relation, seq).
    pub related: Vec<(String, u64)>,
    /// ID of the key that signed it (FORMAT.md section 2).
    pub key_id: u32,
    /// The Ed25519 signature.
    pub signature: [u8; SIGNATURE_LEN],
    /// The encoding up to and including the key ID: what 6.3 signs after the prefix.
    signed: Vec<u8>,
}

/// A cursor over the bytes; every read checks that the bytes are there.
struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, field: &'static str) -> Result<&'a [u8]> {
        if self.bytes.len() < n {
            return Err(Error::Entry(format!("it ends inside its {field}")));
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Ok(head)
    }

    fn array<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N]> {
        let mut out = [0; N];
        out.copy_from_slice(self.take(N, field)?);
        Ok(out)
    }

    fn u8(&mut self, field: &'static str) -> Result<u8> {
        Ok(self.array::<1>(field)?[0])
    }

    fn u16(&mut self, field: &'static str) -> Result<u16> {
        Ok(u16::from_be_bytes(self.array(field)?))
    }

    fn u64(&mut self, field: &'static str) -> Result<u64> {
        Ok(u64::from_be_bytes(self.array(field)?))
    }

    /// `bytes`: `u16 length || bytes`, the length within `min..=max`.
    fn bytes(&mut self, field: &'static str, min: usize, max: usize) -> Result<&'a [u8]> {
        let len = usize::from(self.u16(field)?);
        if len < min || len > max {
            return Err(Error::Entry(format!(
                "its {field} is {len} bytes long, outside {min}..{max}"
            )));
        }
        self.take(len, field)
    }

    /// `str`: as `bytes`, valid UTF-8 and a text field (no Unicode control characters).
    fn text(&mut self, field: &'static str, min: usize, max: usize) -> Result<String> {
        let raw = self.bytes(field, min, max)?;
        let s = std::str::from_utf8(raw)
            .map_err(|_| Error::Entry(format!("its {field} is not valid UTF-8")))?;
        if s.chars().any(char::is_control) {
            return Err(Error::Entry(format!(
                "its {field} holds a control character"
            )));
        }
        Ok(s.to_owned())
    }

    /// `opt<T>`: a presence byte of 0 or 1.
    fn present(&mut self, field: &'static str) -> Result<bool> {
        match self.u8(field)? {
            0 => Ok(false),
            1 => Ok(true),
            b => Err(Error::Entry(format!(
                "its {field} presence byte is {b}, not 0 or 1"
            ))),
        }
    }
}

/// `[a-z0-9-]{1,32}` for digest names, `[a-z0-9_]{1,64}` for relations.
fn is_token(s: &str, max: usize, extra: u8) -> bool {
    (1..=max).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == extra)
}

/// Refuses a list that is not strictly ascending (which also makes it unique).
fn ascending<T: Ord>(items: &[T], field: &'static str) -> Result<()> {
    if items.windows(2).any(|w| w[0] >= w[1]) {
        return Err(Error::Entry(format!(
            "its {field} are not in strictly ascending order"
        )));
    }
    Ok(())
}

impl Entry {
    /// Decodes leaf data under the strict rules of FORMAT.md 6.2: one encoding per entry.
    ///
    /// # Errors
    /// [`Error::Entry`] naming the first rule broken.
    pub fn decode(bytes: &[u8]) -> Result<Entry> {
        if bytes.len() > MAX_ENTRY {
            return Err(Error::Entry(format!(
                "it is {} bytes long, over the limit of {MAX_ENTRY}",
                bytes.len()
            )));
        }
        let mut r = Reader { bytes };
        let version = r.u8("version")?;
        if version != 1 {
            return Err(Error::Entry(format!(
                "its format version is {version}, and only version 1 exists"
            )));
        }
        let seq = r.u64("seq")?;
        let prev = r.array("prev")?;
        let time_ms = r.u64("time")?;
        let kind = match r.u8("kind")? {
            0 => Kind::FirstSeen,
            1 => {
                let first = r.u64("first-seen seq")?;
                if first >= seq {
                    return Err(Error::Entry(format!(
                        "it is a sighting of entry {first}, which is not before its own seq {seq}"
                    )));
                }
                Kind::Sighting(first)
            }
            2 => {
                let about = r.u64("claim seq")?;
                if about >= seq {
                    return Err(Error::Entry(format!(
                        "it is a claim about entry {about}, which is not before its own seq {seq}"
                    )));
                }
                let code = r.u8("verdict")?;
                let verdict = VERDICTS.get(usize::from(code)).ok_or_else(|| {
                    Error::Entry(format!("its claim verdict is {code}, not 0 to 5"))
                })?;
                Kind::Claim { about, verdict }
            }
            k => return Err(Error::Entry(format!("its kind is {k}, not 0, 1 or 2"))),
        };
        let sha256 = r.array("sha256")?;
        let size = r.u64("size")?;
        let name = match r.present("name")? {
            true => Some(r.bytes("name", 1, 4096)?.to_vec()),
            false => None,
        };
        let media_type = match r.present("media type")? {
            true => Some(r.text("media type", 1, 255)?),
            false => None,
        };
        let digests = Self::digests(&mut r)?;
        let source = r.text("source", 1, 4096)?;
        if source.chars().all(char::is_whitespace) {
            return Err(Error::Entry("its source is blank".into()));
        }
        let agent = match r.present("agent")? {
            true => Some(r.text("agent", 1, 1024)?),
            false => None,
        };
        let metadata = Self::metadata(&mut r)?;
        let related = Self::related(&mut r, seq)?;
        if matches!(kind, Kind::Claim { .. }) {
            if name.is_some() || media_type.is_some() || !digests.is_empty() {
                return Err(Error::Entry(
                    "it is a claim, which records no name, media type or further digest".into(),
                ));
            }
            if let Some((relation, _)) = related.iter().find(|(rel, _)| rel != "evidence") {
                return Err(Error::Entry(format!(
                    "it is a claim, whose links are all \"evidence\", not {relation:?}"
                )));
            }
        }
        let key_id = u32::from_be_bytes(r.array("key ID")?);
        let signed = bytes[..bytes.len() - r.bytes.len()].to_vec();
        let signature = r.array("signature")?;
        if !r.bytes.is_empty() {
            return Err(Error::Entry(format!(
                "{} bytes follow its signature",
                r.bytes.len()
            )));
        }
        Ok(Entry {
            seq,
            prev,
            time_ms,
            kind,
            sha256,
            size,
            name,
            media_type,
            digests,
            source,
            agent,
            metadata,
            related,
            key_id,
            signature,
            signed,
        })
    }

    fn digests(r: &mut Reader) -> Result<Vec<(String, Vec<u8>)>> {
        let count = r.u8("digest count")?;
        if count > 8 {
            return Err(Error::Entry(format!("it has {count} digests, over 8")));
        }
        let mut out = Vec::with_capacity(usize::from(count));
        for _ in 0..count {
            let algorithm = r.text("digest algorithm", 1, 32)?;
            if !is_token(&algorithm, 32, b'-') || algorithm == "sha256" {
                return Err(Error::Entry(format!(
                    "its digest algorithm name {algorithm:?} is not allowed"
                )));
            }
            let value = r.bytes("digest value", 1, 64)?.to_vec();
            out.push((algorithm, value));
        }
        let names: Vec<&str> = out.iter().map(|(a, _)| a.as_str()).collect();
        ascending(&names, "digest algorithms")?;
        Ok(out)
    }

    fn metadata(r: &mut Reader) -> Result<Vec<(String, String)>> {
        let count = r.u16("metadata count")?;
        if count > 256 {
            return Err(Error::Entry(format!(
                "it has {count} metadata pairs, over 256"
            )));
        }
        let mut out = Vec::with_capacity(usize::from(count));
        for _ in 0..count {
            let key = r.text("metadata key", 1, 256)?;
            if key.contains('=') {
                return Err(Error::Entry(format!(
                    "its metadata key {key:?} contains '='"
                )));
            }
            let value = r.text("metadata value", 0, 4096)?;
            out.push((key, value));
        }
        let keys: Vec<&str> = out.iter().map(|(k, _)| k.as_str()).collect();
        ascending(&keys, "metadata keys")?;
        Ok(out)
    }

    fn related(r: &mut Reader, seq: u64) -> Result<Vec<(String, u64)>> {
        let count = r.u16("related count")?;
        if count > 64 {
            return Err(Error::Entry(format!(
                "it has {count} related links, over 64"
            )));
        }
        let mut out = Vec::with_capacity(usize::from(count));
        for _ in 0..count {
            let relation = r.text("relation", 1, 64)?;
            if !is_token(&relation, 64, b'_') {
                return Err(Error::Entry(format!(
                    "its relation name {relation:?} is not allowed"
                )));
            }
            let target = r.u64("related seq")?;
            if target >= seq {
                return Err(Error::Entry(format!(
                    "it links to entry {target}, which is not before its own seq {seq}"
                )));
            }
            out.push((relation, target));
        }
        ascending(&out, "related links")?;
        Ok(out)
    }

    /// FORMAT.md 6.3: `prov-entry-v1\n` then the encoding up to and including the key ID.
    pub fn signed_message(&self) -> Vec<u8> {
        [SIGNED_PREFIX, &self.signed].concat()
    }

    /// Verifies the entry's signature under `key` by the strict rule of FORMAT.md 2.1
    /// (`verify_strict`: `S < L`, no small-order `A` or `R`, the cofactorless equation with
    /// `R` compared as bytes, so a non-canonical `R` fails too).
    ///
    /// # Errors
    /// [`Error::EntrySignature`].
    pub fn verify(&self, key: &VerifyingKey) -> Result<()> {
        key.verify_strict(
            &self.signed_message(),
            &Signature::from_bytes(&self.signature),
        )
        .map_err(|_| Error::EntrySignature)
    }
}
