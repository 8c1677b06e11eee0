//! Similarity fingerprints: TLSH of a document's bytes and, for documents that carry text,
//! of the text extracted from them (`text.rs`), so that an altered copy can be found though
//! its SHA-256 differs entirely.
//!
//! TLSH is Trend Micro's locality-sensitive hash (Oliver, Cheng and Chen, "TLSH -- A Locality
//! Sensitive Hash", 4th Cybercrime and Trustworthy Computing Workshop, 2013), in the form of
//! its reference implementation's defaults: 128 buckets, a 1-byte checksum, written `T1` and
//! 70 hex digits (`tlsh -force` is not used: the reference's minimum of 50 bytes and its
//! variety rule hold). The distance is the reference's `totalDiff` with the length term:
//! 0 for the same fingerprint, growing with the difference, with no upper bound.
//!
//! A fingerprint is of the first [`MAX_FINGERPRINTED`] bytes at most: a larger document gets
//! none (its bytes are still hashed and recorded), which bounds the extra work per document.

use tlsh2::{Tlsh128_1, TlshBuilder128_1};

/// The largest document (or extracted text) fingerprinted, in bytes.
pub const MAX_FINGERPRINTED: u64 = 64 << 20;

/// The fewest bytes TLSH fingerprints (the reference implementation's minimum).
pub const MIN_FINGERPRINTED: u64 = 50;

/// A document's similarity fingerprints.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Fingerprints {
    /// TLSH of its bytes (as recorded: after decompression or transfer decoding).
    pub bytes: Option<Tlsh>,
    /// TLSH of the text extracted from it: an email's text and HTML parts, an Office
    /// document's text, a PDF's text strings, an HTML page without its tags; a plain-text
    /// document's text is its bytes.
    pub text: Option<Tlsh>,
}

/// One TLSH fingerprint, with its body's 128 quartile codes as four u64 (the last 64 hex
/// digits of its text, each 16 read as one big-endian u64), for quick comparisons. Boxed: a
/// walk holds the `Found` of every member of a streamed container until it is finished
/// (`Limits::max_buffered`), and a fingerprint there costs a pointer.
#[derive(Clone)]
pub struct Tlsh(Box<(Tlsh128_1, [u64; 4])>);

impl Tlsh {
    fn new(digest: Tlsh128_1) -> Tlsh {
        let body = body_of(&digest.hash());
        Tlsh(Box::new((digest, body)))
    }

    /// Its text, as the reference implementation writes it: `T1` and 70 uppercase hex digits.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.0.hash()).into_owned()
    }

    /// Its body: 128 codes of 2 bits, the last 64 hex digits of its text as four u64.
    pub fn body(&self) -> [u64; 4] {
        self.0.1
    }

    /// Reads a fingerprint written as [`Tlsh::text`] does; `None` for anything else.
    pub fn parse(text: &str) -> Option<Tlsh> {
        let digest = text.parse::<Tlsh128_1>().ok()?;
        Some(Tlsh(Box::new((digest, body_of(text.as_bytes())))))
    }

    /// The TLSH distance to `other` (with the length term): 0 for equal fingerprints.
    pub fn distance(&self, other: &Tlsh) -> u32 {
        u32::try_from(self.0.0.diff(&other.0.0, true)).unwrap_or(u32::MAX)
    }

    /// The fingerprint of `data`, when it is between [`MIN_FINGERPRINTED`] and
    /// [`MAX_FINGERPRINTED`] bytes and varied enough for TLSH (more than half its buckets
    /// used); `None` otherwise.
    pub fn of(data: &[u8]) -> Option<Tlsh> {
        let mut p = Printer::new();
        p.update(data);
        p.finish()
    }
}

/// The body codes of a fingerprint's text (`T1` and 70 hex digits, checked by the caller).
fn body_of(text: &[u8]) -> [u64; 4] {
    let mut body = [0u64; 4];
    for (i, chunk) in text[text.len().saturating_sub(64)..].chunks(16).enumerate() {
        let digits = std::str::from_utf8(chunk).unwrap_or("0");
        body[i] = u64::from_str_radix(digits, 16).unwrap_or(0);
    }
    body
}

impl std::fmt::Debug for Tlsh {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text())
    }
}

impl PartialEq for Tlsh {
    fn eq(&self, other: &Tlsh) -> bool {
        self.0.0.hash() == other.0.0.hash()
    }
}

impl Eq for Tlsh {}

/// Builds a fingerprint from bytes given in pieces; past [`MAX_FINGERPRINTED`] it gives up.
pub struct Printer {
    builder: Option<Box<TlshBuilder128_1>>,
    len: u64,
}

impl Default for Printer {
    fn default() -> Printer {
        Printer::new()
    }
}

impl Printer {
    /// A printer that has seen nothing yet.
    pub fn new() -> Printer {
        Printer {
            builder: Some(Box::new(TlshBuilder128_1::new())),
            len: 0,
        }
    }

    /// Adds the next bytes.
    pub fn update(&mut self, data: &[u8]) {
        let Some(b) = &mut self.builder else {
            return;
        };
        self.len = self.len.saturating_add(data.len() as u64);
        if self.len > MAX_FINGERPRINTED {
            self.builder = None;
        } else {
            b.update(data);
        }
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    /// The fingerprint of the bytes given, if TLSH gives one (see [`Tlsh::of`]).
    pub fn finish(&self) -> Option<Tlsh> {
        self.builder.as_ref()?.build().map(Tlsh::new)
    }
}

/// Fingerprints the text of an HTML page as it streams by: its bytes outside tags, each tag
/// read as one space (entities are left as written).
pub(crate) struct HtmlText {
    printer: Printer,
    in_tag: bool,
    out: Vec<u8>,
}

impl HtmlText {
    pub fn new() -> HtmlText {
        HtmlText {
            printer: Printer::new(),
            in_tag: false,
            out: Vec::new(),
        }
    }

    pub fn update(&mut self, data: &[u8]) {
        self.out.clear();
        for &b in data {
            match (self.in_tag, b) {
                (false, b'<') => self.in_tag = true,
                (true, b'>') => {
                    self.in_tag = false;
                    self.out.push(b' ');
                }
                (false, _) => self.out.push(b),
                (true, _) => {}
            }
        }
        self.printer.update(&self.out);
    }

    pub fn finish(&self) -> Option<Tlsh> {
        self.printer.finish()
    }
}

/// Whether a document starting with `head` is an HTML page.
pub(crate) fn is_html(head: &[u8]) -> bool {
    let start = head
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(head.len());
    let head = head[start..]
        .strip_prefix(b"\xef\xbb\xbf")
        .unwrap_or(&head[start..]);
    let lower: Vec<u8> = head.iter().take(15).map(u8::to_ascii_lowercase).collect();
    lower.starts_with(b"<!doctype html") || lower.starts_with(b"<html")
}

/// Whether a document starting with `head` is plain text: UTF-8 (a character cut at the
/// end of the head aside) with no NUL byte.
pub(crate) fn is_text(head: &[u8]) -> bool {
    if head.is_empty() || head.contains(&0) {
        return false;
    }
    match std::str::from_utf8(head) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none() && head.len() - e.valid_up_to() < 4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A text written for this test (no third-party data): 26 lines of a made-up letter.
    fn letter(changed: &str) -> Vec<u8> {
        let mut s = String::new();
        for i in 0..26u8 {
            let c = char::from(b'a' + i);
            s.push_str(&format!(
                "Line {i}: the quarterly report of department {c} shows {} units shipped.\n",
                u32::from(i) * 37 + 11
            ));
            if i == 13 {
                s.push_str(changed);
            }
        }
        s.into_bytes()
    }

    /// Golden vector from the reference implementation (Trend Micro's C++ TLSH 4.x through
    /// Python `py-tlsh` 5.0.0: `tlsh.hash(letter(...))`), pinned so that an upgrade of the
    /// crate that changes a fingerprint or a distance cannot pass unnoticed.
    #[test]
    fn matches_the_reference_implementation() {
        let a = Tlsh::of(&letter("The totals were approved by the board.\n")).unwrap();
        let b = Tlsh::of(&letter("The totals were rejected by the board.\n")).unwrap();
        assert_eq!(a.text(), REFERENCE_A);
        assert_eq!(b.text(), REFERENCE_B);
        assert_eq!(a.distance(&b), REFERENCE_DISTANCE);
        assert_eq!(Tlsh::parse(REFERENCE_A), Some(a.clone()));
        assert_eq!(a.distance(&a), 0);
    }

    const REFERENCE_A: &str =
        "T19C3148702C16AD21C21726B53E9C3AF3B3A2171DAE0B362184B71261FB16EF2557C5A9";
    const REFERENCE_B: &str =
        "T128314A702C16AD21C21726B53E9C3AF3B3A3171DAE0B362184B71261FB16EF1557C599";
    const REFERENCE_DISTANCE: u32 = 16;

    #[test]
    fn too_small_or_too_plain_gets_none() {
        assert_eq!(Tlsh::of(b"short"), None);
        assert_eq!(Tlsh::of(&[b'a'; 4096]), None);
        assert!(Tlsh::parse("T1zz").is_none());
        assert!(Tlsh::parse("").is_none());
    }

    #[test]
    fn html_text_leaves_tags_out() {
        let body = letter("x\n");
        let mut page = b"<!DOCTYPE html><html><body><p class=\"a\">".to_vec();
        page.extend_from_slice(&body);
        page.extend_from_slice(b"</p></body></html>");
        assert!(is_html(&page));
        let mut h = HtmlText::new();
        for chunk in page.chunks(7) {
            h.update(chunk);
        }
        let plain = Tlsh::of(&body).unwrap();
        assert!(h.finish().unwrap().distance(&plain) < 30);
        assert!(is_text(b"caf\xc3"));
        assert!(!is_text(b"a\0b"));
        assert!(!is_text(b"\xff\xfe"));
    }
}
