//! What a document claims about itself, kept apart from what the walk observed.
//!
//! A document's own metadata (an email's `Date:`, a spreadsheet's last author, a PDF's
//! producer) is a claim: anyone who wrote the file could have written anything there. It is
//! still evidence (forgeries have been exposed by it: every spreadsheet of one archive last
//! saved within minutes by the same Cyrillic-named user), so it is read and kept exactly, under
//! fixed keys, and never mistaken for what the ledger saw (its first-seen time).
//!
//! Keys: `email.message_id`, `email.date`, `email.from`, `email.to`, `email.subject`
//! ([`email`]); `office.creator`, `office.last_modified_by`, `office.created`,
//! `office.modified`, `office.application`, `office.company` ([`office`] for OOXML and ODF,
//! [`ole`] for legacy OLE files); `pdf.producer`, `pdf.creator`, `pdf.author`, `pdf.created`,
//! `pdf.modified` ([`pdf`]); `archive.mtime` for a member whose container stores a time.
//!
//! Values (see [`Claims::push`]): text when the bytes are UTF-8 with no control character but
//! tab and no bidirectional control or line/paragraph separator; otherwise the key with `.hex`
//! appended and the raw bytes as lowercase hex, never both. At most [`MAX_VALUE`] bytes per
//! value: a longer one is cut (at a character boundary for text) and `KEY.truncated` gives the
//! original length in bytes. At most [`MAX_KEYS`] keys per document.

pub(crate) mod email;
pub(crate) mod office;
pub(crate) mod ole;
pub(crate) mod pdf;
mod pdf_syntax;

use crate::found::Mtime;
use crate::limits::bytes;
use crate::meter::Shared;
use crate::sniff::Kind;
use std::io::{Read, Seek};

/// The most bytes a claim's value keeps (the ledger's limit for a metadata value).
pub const MAX_VALUE: usize = 4096;

/// The most keys one document's claims hold (the ledger allows 256 per entry).
pub const MAX_KEYS: usize = 64;

/// Characters a text value may not hold besides control characters: the bidirectional
/// controls and line/paragraph separators the ledger refuses in its own text (FORMAT.md 6.1).
const REFUSED: &[char] = &[
    '\u{061C}', '\u{200E}', '\u{200F}', '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}',
    '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}', '\u{2028}', '\u{2029}',
];

/// The claims of one document being collected, with notes on what could not be read.
#[derive(Debug, Default)]
pub(crate) struct Claims {
    pub list: Vec<(String, String)>,
    pub notes: Vec<String>,
    /// The fingerprint of the document's text, read with its claims (Office, PDF).
    pub text: Option<crate::fingerprint::Tlsh>,
    dropped: bool,
}

impl Claims {
    /// Adds a claim: `key` (one of the fixed keys) and the value's raw bytes, as text or as
    /// hex under `KEY.hex`, cut to [`MAX_VALUE`] bytes with `KEY.truncated` when longer. A
    /// key already claimed is not claimed again (the first occurrence counts).
    pub fn push(&mut self, key: &str, raw: &[u8]) {
        let text = std::str::from_utf8(raw).ok().filter(|s| is_text(s));
        self.push_value(key, text, raw);
    }

    /// Adds claims already in their final form (text, or `KEY.hex`; cut with
    /// `KEY.truncated`), such as `prov-dkim`'s, within [`MAX_KEYS`].
    pub fn extend(&mut self, claims: Vec<(String, String)>) {
        for (k, v) in claims {
            if self.list.len() + 1 > MAX_KEYS {
                if !self.dropped {
                    self.dropped = true;
                    self.notes
                        .push(format!("claims past {MAX_KEYS} keys were not kept"));
                }
                return;
            }
            if !self.has(&k) {
                self.list.push((k, v));
            }
        }
    }

    /// Adds a claim decoded from its own encoding (a PDF string's): `text` when it is text
    /// by the rule of [`Claims::push`], else the raw bytes as hex.
    pub fn push_text_or_hex(&mut self, key: &str, text: &str, raw: &[u8]) {
        self.push_value(key, Some(text).filter(|s| is_text(s)), raw);
    }

    /// Adds a claim as the hex of its raw bytes (they are not valid in their encoding).
    pub fn push_hex(&mut self, key: &str, raw: &[u8]) {
        self.push_value(key, None, raw);
    }

    fn push_value(&mut self, key: &str, text: Option<&str>, raw: &[u8]) {
        if self.has(key) {
            return;
        }
        let (name, value, cut) = match text {
            Some(s) => (
                key.to_string(),
                cut_text(s).to_string(),
                s.len() > MAX_VALUE,
            ),
            None => (
                format!("{key}.hex"),
                hex(&raw[..raw.len().min(MAX_VALUE / 2)]),
                raw.len() > MAX_VALUE / 2,
            ),
        };
        let needed = if cut { 2 } else { 1 };
        if self.list.len() + needed > MAX_KEYS {
            if !self.dropped {
                self.dropped = true;
                self.notes
                    .push(format!("claims past {MAX_KEYS} keys were not kept"));
            }
            return;
        }
        self.list.push((name, value));
        if cut {
            let length = text.map_or(raw.len(), str::len);
            self.list
                .push((format!("{key}.truncated"), length.to_string()));
        }
    }

    /// Whether `key` was claimed already (as text or as hex).
    pub fn has(&self, key: &str) -> bool {
        self.list.iter().any(|(k, _)| {
            k.strip_prefix(key)
                .is_some_and(|rest| rest.is_empty() || rest == ".hex")
        })
    }

    /// The claims sorted by key, and the notes joined.
    pub fn finish(mut self) -> (Vec<(String, String)>, Option<String>) {
        self.list.sort();
        let note = (!self.notes.is_empty()).then(|| self.notes.join("; "));
        (self.list, note)
    }
}

/// Whether a value may be stored as text: no control character but tab, none of the
/// characters the ledger refuses in its own text.
fn is_text(s: &str) -> bool {
    !s.chars()
        .any(|c| (c.is_control() && c != '\t') || REFUSED.contains(&c))
}

fn cut_text(s: &str) -> &str {
    if s.len() <= MAX_VALUE {
        return s;
    }
    let mut end = MAX_VALUE;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Lowercase hex.
pub(crate) fn hex(raw: &[u8]) -> String {
    raw.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether documents of this kind make claims read from their bytes (emails are read from
/// their header while they are parsed as containers).
pub(crate) fn reads_bytes(kind: Kind) -> bool {
    matches!(kind, Kind::Office | Kind::Ole | Kind::Pdf)
}

/// The claims of a document held in memory.
pub(crate) fn from_bytes(kind: Kind, raw: &[u8]) -> Claims {
    let mut claims = from_seekable(kind, &mut std::io::Cursor::new(raw));
    if kind == Kind::Pdf {
        claims.text = crate::text::pdf(raw);
    }
    claims
}

/// The claims of a document read with random access (the top file: only the parts that hold
/// the metadata are read, not the whole file).
pub(crate) fn from_seekable<R: Read + Seek>(kind: Kind, reader: &mut R) -> Claims {
    let mut claims = Claims::default();
    match kind {
        Kind::Office => office::claims(reader, &mut claims),
        Kind::Ole => ole::claims(reader, &mut claims),
        Kind::Pdf => pdf::claims(reader, &mut claims),
        _ => {}
    }
    claims
}

/// Reads a member whose claims need its bytes into memory, within what is left of
/// `Limits::max_buffered` and at most `Limits::max_claimed`, and reads its claims; a larger
/// one gets no claims and a note saying why.
pub(crate) fn buffered(kind: Kind, input: &mut dyn Read, shared: &Shared) -> Claims {
    let room = shared
        .limits
        .max_buffered
        .saturating_sub(shared.buffered.get())
        .min(shared.limits.max_claimed);
    let mut raw = Vec::new();
    // A read error (a cut member) leaves what was read: the walk notes the cut on the member,
    // and whatever claims those bytes still hold are read.
    let _ = input.take(room.saturating_add(1)).read_to_end(&mut raw);
    if raw.len() as u64 > room {
        let mut claims = Claims::default();
        claims.notes.push(format!(
            "what the {} claims about itself was not read: it is larger than the {} it may \
             be held in memory for that (max_claimed {}, max_buffered {})",
            kind.name(),
            bytes(room),
            bytes(shared.limits.max_claimed),
            bytes(shared.limits.max_buffered)
        ));
        return claims;
    }
    let held = raw.len() as u64;
    shared.reserve(held);
    let claims = from_bytes(kind, &raw);
    shared.release(held);
    claims
}

/// `archive.mtime`: a Unix time as RFC 3339 UTC (`2017-05-05T14:02:11Z`), a local time (zip's
/// MS-DOS fields) as stored, with no zone (`2017-05-05T14:02:10`).
pub(crate) fn mtime(m: &Mtime) -> String {
    match m {
        Mtime::Unix(s) => rfc3339(*s).unwrap_or_else(|| s.to_string()),
        Mtime::Local(s) => s.clone(),
    }
}

/// Seconds since the Unix epoch as `YYYY-MM-DDTHH:MM:SSZ`, for years 0 to 9999.
pub(crate) fn rfc3339(secs: i64) -> Option<String> {
    let days = secs.div_euclid(86_400);
    let rest = secs.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (the proleptic Gregorian calendar).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    if !(0..=9999).contains(&year) {
        return None;
    }
    Some(format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_hex_and_cut() {
        let mut c = Claims::default();
        c.push("email.subject", "Привет\tмир".as_bytes());
        c.push("email.subject", b"second"); // first occurrence counts
        c.push("email.from", b"a\x01b");
        c.push("email.to", "x\u{202E}y".as_bytes());
        c.push("pdf.author", &[0xff, 0x41]);
        let long = "é".repeat(3000);
        c.push("email.date", long.as_bytes());
        let (list, note) = c.finish();
        assert_eq!(note, None);
        let get = |k: &str| list.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("email.subject"), Some("Привет\tмир"));
        assert_eq!(get("email.from.hex"), Some("610162"));
        assert_eq!(get("email.from"), None);
        assert_eq!(get("email.to.hex"), Some("78e280ae79"));
        assert_eq!(get("pdf.author.hex"), Some("ff41"));
        assert_eq!(get("email.date").map(str::len), Some(4096));
        assert_eq!(get("email.date.truncated"), Some("6000"));
    }

    #[test]
    fn key_budget() {
        let mut c = Claims::default();
        for i in 0..MAX_KEYS + 8 {
            c.push(&format!("k{i:02}"), b"v");
        }
        let (list, note) = c.finish();
        assert_eq!(list.len(), MAX_KEYS);
        assert!(note.unwrap().contains("64 keys"));
    }

    #[test]
    fn times() {
        assert_eq!(rfc3339(0).unwrap(), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_493_992_931).unwrap(), "2017-05-05T14:02:11Z");
        assert_eq!(rfc3339(-1).unwrap(), "1969-12-31T23:59:59Z");
        assert_eq!(rfc3339(951_782_400).unwrap(), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(i64::MAX), None);
        assert_eq!(
            mtime(&Mtime::Local("2017-05-05T14:02:10".into())),
            "2017-05-05T14:02:10"
        );
    }
}
