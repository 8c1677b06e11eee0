//! The text of documents whose bytes hide it, for their text fingerprint (`fingerprint.rs`):
//! Office and PDF files are compressed containers whose bytes change entirely with one edit,
//! while their text changes by that edit only.
//!
//! - OOXML (ECMA-376 Part 1): the character data of `word/document.xml`, `xl/sharedStrings.xml`,
//!   `xl/worksheets/*.xml` (cell values) and `ppt/slides/*.xml`; ODF (OpenDocument 1.2 Part 1):
//!   of `content.xml`. Parts in the order of the zip's central directory, each text node
//!   followed by a newline.
//! - PDF (ISO 32000-1): the string operands (literal `(...)` and hex `<...>` strings, 7.3.4)
//!   of its content streams (7.8.2), unfiltered or `FlateDecode`d. Fonts, images, XMP and
//!   object streams are left out by their dictionaries. This is not layout-aware text
//!   extraction (strings are glyph codes in the font's encoding), which the fingerprint does
//!   not need: the same text in the same fonts gives the same strings.
//!
//! Bounded on hostile input: each part or stream is read to at most [`MAX_PART`] bytes after
//! decompression, and at most [`MAX_TOTAL`] bytes in all per document; a PDF's streams are
//! found by one forward scan, never by following its object graph.

use crate::fingerprint::{Printer, Tlsh};
use quick_xml::events::Event;
use std::io::{Read, Seek};
use zip::ZipArchive;

/// The most bytes read from one part or stream, decompressed.
pub const MAX_PART: u64 = 16 << 20;
/// The most bytes decompressed per document for its text.
pub const MAX_TOTAL: u64 = 64 << 20;

/// The text fingerprint of a document held whole in memory, as the walk takes it: the
/// strings of a PDF's content streams when [`crate::sniff`] says PDF, the text parts of an
/// OOXML or ODF package when it says Office; `None` for anything else (and for text too
/// short or too uniform to fingerprint). For tools and fuzzing: the walk itself reads these
/// parts from the file or the container, never a second copy.
pub fn text_fingerprint(raw: &[u8]) -> Option<Tlsh> {
    match crate::sniff(&raw[..raw.len().min(crate::SNIFF_LEN)]) {
        crate::Kind::Pdf => pdf(raw),
        crate::Kind::Office => office(&mut ZipArchive::new(std::io::Cursor::new(raw)).ok()?),
        _ => None,
    }
}

/// Whether an OOXML or ODF part holds the document's text.
fn text_part(name: &str) -> bool {
    name == "word/document.xml"
        || name == "xl/sharedStrings.xml"
        || name == "content.xml"
        || (name.starts_with("xl/worksheets/") && name.ends_with(".xml"))
        || (name.starts_with("ppt/slides/") && name.ends_with(".xml"))
}

/// The text fingerprint of an OOXML or ODF package.
pub(crate) fn office<R: Read + Seek>(archive: &mut ZipArchive<R>) -> Option<Tlsh> {
    let mut printer = Printer::new();
    let mut budget = MAX_TOTAL;
    for i in 0..archive.len() {
        if budget == 0 {
            break;
        }
        let wanted = archive
            .name_for_index(i)
            .and_then(Result::ok)
            .is_some_and(|n| text_part(&n));
        if !wanted {
            continue;
        }
        let mut raw = Vec::new();
        let Ok(part) = archive.by_index(i) else {
            continue;
        };
        // A damaged part gives what was read of it.
        let _ = part.take(MAX_PART.min(budget)).read_to_end(&mut raw);
        budget -= raw.len() as u64;
        xml_text(&raw, &mut printer);
    }
    printer.finish()
}

/// Feeds the character data of an XML document to `printer`, each text node then a newline,
/// up to the first damage.
fn xml_text(raw: &[u8], printer: &mut Printer) {
    let mut reader = quick_xml::Reader::from_reader(raw);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match reader.read_event_into(&mut buf) {
            Ok(Event::Text(t)) => {
                printer.update(t.xml10_content().as_bytes());
                printer.update(b"\n");
            }
            Ok(Event::CData(t)) => {
                printer.update(t.into_inner().as_bytes());
                printer.update(b"\n");
            }
            Ok(Event::GeneralRef(r)) => {
                if let Ok(Some(c)) = r.resolve_char_ref() {
                    printer.update(c.encode_utf8(&mut [0; 4]).as_bytes());
                } else if let Some(s) =
                    quick_xml::escape::resolve_predefined_entity(&r.xml10_content())
                {
                    printer.update(s.as_bytes());
                }
            }
            Ok(Event::Eof) | Err(_) => return,
            Ok(_) => {}
        }
    }
}

/// The text fingerprint of a PDF held in memory.
pub(crate) fn pdf(raw: &[u8]) -> Option<Tlsh> {
    let mut printer = Printer::new();
    let mut budget = MAX_TOTAL;
    let mut at = 0;
    while let Some(found) = find(&raw[at..], b"stream") {
        let start = at + found;
        at = start + 6;
        let Some(data_start) = stream_data(raw, at) else {
            continue;
        };
        let Some(len) = find(&raw[data_start..], b"endstream") else {
            break;
        };
        let data = &raw[data_start..data_start + len];
        at = data_start + len + 9;
        let dict = dictionary(&raw[..start]);
        if !is_content(dict) || budget == 0 {
            continue;
        }
        let mut content = Vec::new();
        let limit = MAX_PART.min(budget);
        if contains(dict, b"/Filter") {
            if !contains(dict, b"/FlateDecode") || contains(dict, b"/DecodeParms") {
                continue;
            }
            let mut z = flate2::read::ZlibDecoder::new(data).take(limit);
            let _ = z.read_to_end(&mut content); // a damaged stream gives what was inflated
        } else {
            content.extend_from_slice(&data[..data.len().min(limit as usize)]);
        }
        budget -= content.len() as u64;
        strings(&content, &mut printer);
    }
    printer.finish()
}

/// Where a stream's data starts after the `stream` keyword ending at `at`: after its end of
/// line (CRLF or LF, 7.3.8.1).
fn stream_data(raw: &[u8], at: usize) -> Option<usize> {
    match raw.get(at..at + 2)? {
        [b'\r', b'\n'] => Some(at + 2),
        [b'\n', _] => Some(at + 1),
        _ => None,
    }
}

/// The stream dictionary before a `stream` keyword: from the last `obj` before it.
fn dictionary(before: &[u8]) -> &[u8] {
    let from = before.len().saturating_sub(4096);
    let window = &before[from..];
    match rfind(window, b"obj") {
        Some(i) => &window[i..],
        None => window,
    }
}

/// Whether a stream dictionary may be a page's content stream: not a font, image, form,
/// XMP metadata, object or cross-reference stream.
fn is_content(dict: &[u8]) -> bool {
    let refused: [&[u8]; 6] = [
        b"/Subtype",
        b"/Length1",
        b"/Type/XRef",
        b"/Type /XRef",
        b"/ObjStm",
        b"/Metadata",
    ];
    !refused.iter().any(|r| contains(dict, r))
}

/// Feeds the string operands of a content stream to `printer`, each then a newline.
fn strings(content: &[u8], printer: &mut Printer) {
    let mut i = 0;
    let mut out = Vec::new();
    while i < content.len() {
        match content[i] {
            b'%' => {
                while i < content.len() && content[i] != b'\n' && content[i] != b'\r' {
                    i += 1;
                }
            }
            b'(' => {
                i = literal(content, i + 1, &mut out);
                out.push(b'\n');
            }
            b'<' if content.get(i + 1) == Some(&b'<') => i += 2,
            b'<' => {
                let end = content[i..]
                    .iter()
                    .position(|&b| b == b'>')
                    .map_or(content.len(), |p| i + p);
                let digits: Vec<u8> = content[i + 1..end]
                    .iter()
                    .copied()
                    .filter(u8::is_ascii_hexdigit)
                    .collect();
                for pair in digits.chunks(2) {
                    let hi = hex_value(pair[0]);
                    let lo = pair.get(1).map_or(0, |&b| hex_value(b));
                    out.push(hi << 4 | lo);
                }
                out.push(b'\n');
                i = end + 1;
            }
            _ => i += 1,
        }
        if out.len() >= 1 << 16 {
            printer.update(&out);
            out.clear();
        }
    }
    printer.update(&out);
}

/// Reads a literal string's bytes from `i` (after its `(`) into `out`, resolving escapes
/// and balanced parentheses (7.3.4.2); returns where it ends.
fn literal(content: &[u8], mut i: usize, out: &mut Vec<u8>) -> usize {
    let mut depth = 1usize;
    while i < content.len() {
        let b = content[i];
        i += 1;
        match b {
            b'\\' => {
                let Some(&e) = content.get(i) else { break };
                i += 1;
                match e {
                    b'n' => out.push(b'\n'),
                    b'r' => out.push(b'\r'),
                    b't' => out.push(b'\t'),
                    b'b' => out.push(8),
                    b'f' => out.push(12),
                    b'0'..=b'7' => {
                        let mut v = u32::from(e - b'0');
                        for _ in 0..2 {
                            match content.get(i) {
                                Some(&d @ b'0'..=b'7') => {
                                    v = v * 8 + u32::from(d - b'0');
                                    i += 1;
                                }
                                _ => break,
                            }
                        }
                        out.push((v & 0xff) as u8);
                    }
                    b'\r' | b'\n' => {}
                    other => out.push(other),
                }
            }
            b'(' => {
                depth += 1;
                out.push(b);
            }
            b')' => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
                out.push(b);
            }
            _ => out.push(b),
        }
    }
    i
}

fn hex_value(b: u8) -> u8 {
    match b {
        b'0'..=b'9' => b - b'0',
        b'a'..=b'f' => b - b'a' + 10,
        b'A'..=b'F' => b - b'A' + 10,
        _ => 0,
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn rfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).rposition(|w| w == needle)
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    find(hay, needle).is_some()
}

/// The text fingerprint of an email: its text and HTML parts (HTML without its tags), in
/// order, each as decoded by the walk.
pub(crate) struct EmailText {
    printer: crate::fingerprint::HtmlText,
    plain: Printer,
    any: bool,
}

impl EmailText {
    pub fn new() -> EmailText {
        EmailText {
            printer: crate::fingerprint::HtmlText::new(),
            plain: Printer::new(),
            any: false,
        }
    }

    /// Adds one part's decoded body; `html` when it is `text/html`.
    pub fn part(&mut self, body: &[u8], html: bool) {
        self.any = true;
        if html {
            self.printer.update(body);
        } else {
            self.plain.update(body);
            self.plain.update(b"\n");
        }
    }

    /// The fingerprint of its plain text, or, for an email with HTML only, of its HTML text.
    pub fn finish(&self) -> Option<Tlsh> {
        if !self.any {
            return None;
        }
        self.plain.finish().or_else(|| self.printer.finish())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pdf_strings_of_content_streams() {
        let mut pdf = b"%PDF-1.4\n1 0 obj\n<< /Length 60 >>\nstream\n".to_vec();
        let mut content = Vec::new();
        for i in 0..20 {
            content.extend_from_slice(
                format!(
                    "BT /F1 12 Tf 72 {} Td (Line {i} of the \\(draft\\) memo, item \\101) Tj ET\n",
                    700 - i * 14
                )
                .as_bytes(),
            );
        }
        pdf.extend_from_slice(&content);
        pdf.extend_from_slice(b"\nendstream\nendobj\n2 0 obj\n<< /Subtype /Image /Length 3 >>\nstream\nabc\nendstream\nendobj\n%%EOF\n");
        let mut expect = Printer::new();
        let mut out = Vec::new();
        for i in 0..20 {
            out.extend_from_slice(format!("Line {i} of the (draft) memo, item A\n").as_bytes());
        }
        expect.update(&out);
        assert_eq!(pdf_fingerprint_text(&pdf), expect.finish());
    }

    /// The PDF path and the public entry point agree.
    fn pdf_fingerprint_text(raw: &[u8]) -> Option<Tlsh> {
        let direct = pdf(raw);
        assert_eq!(text_fingerprint(raw), direct);
        assert_eq!(
            text_fingerprint(&raw[1..]),
            None,
            "not a PDF without its header"
        );
        direct
    }

    #[test]
    fn hostile_pdf_bits_do_not_panic() {
        for raw in [
            &b"stream"[..],
            b"stream\r\n",
            b"obj << /Filter /FlateDecode >> stream\nxx",
            b"obj << /Filter /FlateDecode >> stream\n\x78\x9c\xff\xffendstream",
            b"obj <<>> stream\n(unclosed \\",
            b"obj <<>> stream\n<abc",
            b"obj <<>> stream\n(\\7",
        ] {
            let _ = pdf(raw);
        }
    }

    #[test]
    fn xml_text_nodes() {
        let mut a = Printer::new();
        xml_text(
            b"<w:document><w:p><w:t>Hello &amp; good&#33;</w:t></w:p><x>bad</y></w:document>",
            &mut a,
        );
        let mut b = Printer::new();
        b.update(b"Hello \n& good!\n");
        // Same prefix up to the damage; both too short for a fingerprint.
        assert_eq!(a.len(), b.len() + 4);
    }
}
