//! What a PDF claims: its document information dictionary (ISO 32000-1 14.3.3): `Producer`,
//! `Creator`, `Author`, `CreationDate` and `ModDate`, as `pdf.producer`, `pdf.creator`,
//! `pdf.author`, `pdf.created`, `pdf.modified`.
//!
//! The dictionary is found the way a reader finds it, reading only what it needs (so a large
//! top file is not read again whole): `startxref` near the end (7.5.5), the cross-reference
//! section it points to, a table (7.5.4) or a cross-reference stream (7.5.8), its trailer's
//! `Info` reference (the newest section that has one, following `Prev`), then the object the
//! cross-reference gives for it, directly or inside an object stream (7.5.7). Strings are
//! decoded as text strings (7.9.2.2: UTF-16BE with a byte order mark, or PDFDocEncoding);
//! bytes not valid in their encoding are kept as hex. Dates exactly as written
//! (`D:20170427100200+02'00'`). A cut, cyclic or garbage structure gives no claims and a note.

use super::Claims;
use super::pdf_syntax::{Lexer, Obj, text};
use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom};

/// How many bytes at the end are searched for `startxref`.
const TAIL: u64 = 4096;
/// How many bytes are read to parse one object or section header.
const CHUNK: usize = 64 << 10;
/// How many cross-reference sections are followed through `Prev`.
const MAX_SECTIONS: usize = 64;
/// How many subsections one cross-reference table may have.
const MAX_SUBSECTIONS: usize = 4096;
/// The most bytes a decoded cross-reference or object stream may have.
const MAX_DECODED: u64 = 16 << 20;

const KEYS: &[(&[u8], &str)] = &[
    (b"Producer", "pdf.producer"),
    (b"Creator", "pdf.creator"),
    (b"Author", "pdf.author"),
    (b"CreationDate", "pdf.created"),
    (b"ModDate", "pdf.modified"),
];

/// Where an object is, as a cross-reference section says.
#[derive(Clone, Copy)]
enum Place {
    At(u64),
    /// In object stream `.0`, at index `.1`.
    InStream(u32, u64),
}

/// One cross-reference section, newest first.
enum Section {
    /// A table's subsections: first object number, count, where their entries start.
    Table(Vec<(u64, u64, u64)>),
    /// A cross-reference stream's entries.
    Stream(HashMap<u32, Place>),
}

struct Pdf<'r, R> {
    reader: &'r mut R,
    len: u64,
    sections: Vec<Section>,
}

/// The claims of a PDF (a damaged one gives none, and a note).
pub(crate) fn claims<R: Read + Seek>(reader: &mut R, claims: &mut Claims) {
    let Ok(len) = reader.seek(SeekFrom::End(0)) else {
        return;
    };
    let mut pdf = Pdf {
        reader,
        len,
        sections: Vec::new(),
    };
    match pdf.info() {
        Ok(Some(info)) => {
            for (name, key) in KEYS {
                let value = match info.get(name) {
                    Some(Obj::Ref(n, _)) => pdf.object(*n, 1).ok(),
                    other => other.cloned(),
                };
                if let Some(Obj::Str(raw)) = value {
                    match text(&raw) {
                        Some(s) => claims.push_text_or_hex(key, &s, &raw),
                        None => claims.push_hex(key, &raw),
                    }
                }
            }
        }
        Ok(None) => {}
        Err(why) => claims
            .notes
            .push(format!("its claims were not read: {why}")),
    }
}

impl<R: Read + Seek> Pdf<'_, R> {
    fn read_at(&mut self, at: u64, max: usize) -> Result<Vec<u8>, String> {
        let mut buf = Vec::new();
        self.reader
            .seek(SeekFrom::Start(at))
            .and_then(|_| (&mut *self.reader).take(max as u64).read_to_end(&mut buf))
            .map_err(|e| format!("read error: {e}"))?;
        Ok(buf)
    }

    /// The information dictionary, if the trailer names one.
    fn info(&mut self) -> Result<Option<Obj>, String> {
        let start = self.len.saturating_sub(TAIL);
        let tail = self.read_at(start, TAIL as usize)?;
        let at = tail
            .windows(9)
            .rposition(|w| w == b"startxref")
            .ok_or("no startxref at its end (cut or not a PDF)")?;
        let mut offset = Lexer::new(&tail, at + 9)
            .uint()
            .ok_or("startxref gives no offset")?;
        let mut info = None;
        let mut seen = Vec::new();
        loop {
            if seen.contains(&offset) || seen.len() >= MAX_SECTIONS {
                break; // a cycle, or too long a chain: what was read is used
            }
            seen.push(offset);
            let trailer = self.section(offset)?;
            if info.is_none() {
                info = trailer.get(b"Info").cloned();
            }
            // A hybrid file's table also points to a cross-reference stream (7.5.8.4).
            if let Some(stream) = trailer.get(b"XRefStm").and_then(Obj::int)
                && let Ok(at) = u64::try_from(stream)
                && !seen.contains(&at)
            {
                seen.push(at);
                let _ = self.section(at);
            }
            match trailer.get(b"Prev").and_then(Obj::int) {
                Some(prev) => offset = u64::try_from(prev).map_err(|_| "negative Prev")?,
                None => break,
            }
        }
        let Some(Obj::Ref(number, _)) = info else {
            return Ok(None);
        };
        match self.object(number, 0)? {
            dict @ Obj::Dict(_) => Ok(Some(dict)),
            _ => Err("its Info entry is not a dictionary".into()),
        }
    }

    /// Reads the cross-reference section at `offset` into `sections` (newer sections were
    /// read first and win), and returns its trailer dictionary.
    fn section(&mut self, offset: u64) -> Result<Obj, String> {
        let chunk = self.read_at(offset, CHUNK)?;
        let mut lex = Lexer::new(&chunk, 0);
        if !lex.keyword(b"xref") {
            return self.xref_stream(offset);
        }
        // Subsections `first count`, then count entries of 20 bytes (7.5.4).
        let mut at = offset + lex.at as u64;
        let mut subsections = Vec::new();
        loop {
            let chunk = self.read_at(at, 256)?;
            let mut lex = Lexer::new(&chunk, 0);
            if lex.keyword(b"trailer") {
                self.sections.push(Section::Table(subsections));
                let chunk = self.read_at(at + lex.at as u64, CHUNK)?;
                return Lexer::new(&chunk, 0)
                    .object()
                    .filter(|o| matches!(o, Obj::Dict(_)))
                    .ok_or_else(|| "unreadable trailer".into());
            }
            let (Some(first), Some(count)) = (lex.uint(), lex.uint()) else {
                return Err("damaged cross-reference table".into());
            };
            if subsections.len() >= MAX_SUBSECTIONS {
                return Err("too many cross-reference subsections".into());
            }
            lex.skip();
            let entries = at + lex.at as u64;
            subsections.push((first, count, entries));
            at = count
                .checked_mul(20)
                .and_then(|n| n.checked_add(entries))
                .filter(|&end| end <= self.len)
                .ok_or("cross-reference table runs past the end")?;
        }
    }

    /// A cross-reference stream (7.5.8): its dictionary is the trailer.
    fn xref_stream(&mut self, offset: u64) -> Result<Obj, String> {
        let (dict, data) = self.stream_at(offset)?;
        if dict.get(b"Type") != Some(&Obj::Name(b"XRef".to_vec())) {
            return Err("startxref points to neither a table nor a cross-reference stream".into());
        }
        let widths: Vec<usize> = match dict.get(b"W") {
            Some(Obj::Array(w)) if w.len() == 3 => w
                .iter()
                .map(|x| {
                    x.int()
                        .and_then(|n| usize::try_from(n).ok())
                        .filter(|&n| n <= 8)
                })
                .collect::<Option<_>>()
                .ok_or("bad W in cross-reference stream")?,
            _ => return Err("no W in cross-reference stream".into()),
        };
        let row = widths.iter().sum::<usize>();
        if row == 0 {
            return Err("bad W in cross-reference stream".into());
        }
        let size = dict.get(b"Size").and_then(Obj::int).unwrap_or(0);
        let index: Vec<i64> = match dict.get(b"Index") {
            Some(Obj::Array(a)) => a.iter().filter_map(Obj::int).collect(),
            _ => vec![0, size],
        };
        let mut places = HashMap::new();
        let mut rows = data.chunks_exact(row);
        for pair in index.chunks_exact(2) {
            let (Ok(first), Ok(count)) = (u32::try_from(pair[0]), u64::try_from(pair[1])) else {
                break;
            };
            for i in 0..count {
                let Some(r) = rows.next() else {
                    break;
                };
                let field = |k: usize| {
                    let start: usize = widths[..k].iter().sum();
                    r[start..start + widths[k]]
                        .iter()
                        .fold(0u64, |v, &b| v << 8 | u64::from(b))
                };
                let kind = if widths[0] == 0 { 1 } else { field(0) };
                let Some(number) = u64::from(first)
                    .checked_add(i)
                    .and_then(|n| u32::try_from(n).ok())
                else {
                    break;
                };
                let place = match kind {
                    1 => Place::At(field(1)),
                    2 => match u32::try_from(field(1)) {
                        Ok(stream) => Place::InStream(stream, field(2)),
                        Err(_) => continue,
                    },
                    _ => continue,
                };
                places.entry(number).or_insert(place);
            }
        }
        self.sections.push(Section::Stream(places));
        Ok(dict)
    }

    /// The object `number`, from where the cross-reference puts it; `hops` counts object
    /// streams gone through (one at most: an object stream is never inside another).
    fn object(&mut self, number: u32, hops: u8) -> Result<Obj, String> {
        match self.place(number)? {
            Some(Place::At(offset)) => {
                let chunk = self.read_at(offset, CHUNK)?;
                let mut lex = Lexer::new(&chunk, 0);
                if lex.uint() != Some(u64::from(number))
                    || lex.uint().is_none()
                    || !lex.keyword(b"obj")
                {
                    return Err(format!(
                        "object {number} is not where the cross-reference says"
                    ));
                }
                lex.object()
                    .ok_or_else(|| format!("object {number} is unreadable"))
            }
            Some(Place::InStream(stream, index)) if hops < 2 => {
                let Some(Place::At(offset)) = self.place(stream)? else {
                    return Err(format!("object stream {stream} is not listed"));
                };
                let (dict, data) = self.stream_at(offset)?;
                let count = dict.get(b"N").and_then(Obj::int).unwrap_or(0);
                let first = dict.get(b"First").and_then(Obj::int).unwrap_or(0);
                let mut lex = Lexer::new(&data, 0);
                for i in 0..count.max(0) as u64 {
                    let (Some(n), Some(at)) = (lex.uint(), lex.uint()) else {
                        break;
                    };
                    if i == index || n == u64::from(number) {
                        let at = usize::try_from(at.saturating_add(first.max(0) as u64))
                            .unwrap_or(usize::MAX);
                        return Lexer::new(&data, at)
                            .object()
                            .ok_or_else(|| format!("object {number} is unreadable"));
                    }
                }
                Err(format!("object {number} is not in its object stream"))
            }
            _ => Err(format!("object {number} is not in the cross-reference")),
        }
    }

    /// Where the newest section that lists object `number` puts it (`None`: free or not
    /// listed).
    fn place(&mut self, number: u32) -> Result<Option<Place>, String> {
        let n = u64::from(number);
        for s in 0..self.sections.len() {
            let entry = match &self.sections[s] {
                Section::Stream(places) => match places.get(&number) {
                    Some(place) => return Ok(Some(*place)),
                    None => continue,
                },
                Section::Table(subsections) => subsections
                    .iter()
                    .find(|(first, count, _)| n >= *first && n - first < *count)
                    .map(|(first, _, at)| at + (n - first) * 20),
            };
            if let Some(at) = entry {
                return self.table_entry(at);
            }
        }
        Ok(None)
    }

    /// A table entry (7.5.4): 10 digits of offset, generation, `n` (in use) or `f` (free).
    fn table_entry(&mut self, at: u64) -> Result<Option<Place>, String> {
        let entry = self.read_at(at, 20)?;
        if entry.get(17) != Some(&b'n') {
            return Ok(None);
        }
        Ok(std::str::from_utf8(&entry[..10])
            .ok()
            .and_then(|s| s.parse().ok())
            .map(Place::At))
    }

    /// The stream object at `offset`: its dictionary and its data decoded (`FlateDecode` with
    /// or without a PNG predictor, 7.4.4; nothing else is needed for cross-reference and
    /// object streams).
    fn stream_at(&mut self, offset: u64) -> Result<(Obj, Vec<u8>), String> {
        let chunk = self.read_at(offset, CHUNK)?;
        let mut lex = Lexer::new(&chunk, 0);
        let (Some(_), Some(_)) = (lex.uint(), lex.uint()) else {
            return Err("no object where a stream should be".into());
        };
        let dict = match (lex.keyword(b"obj"), lex.object()) {
            (true, Some(dict @ Obj::Dict(_))) => dict,
            _ => return Err("unreadable stream dictionary".into()),
        };
        if !lex.keyword(b"stream") {
            return Err("a dictionary without its stream".into());
        }
        // The data starts after CRLF or LF (7.3.8.1).
        if chunk.get(lex.at) == Some(&b'\r') {
            lex.at += 1;
        }
        if chunk.get(lex.at) == Some(&b'\n') {
            lex.at += 1;
        }
        let length = dict
            .get(b"Length")
            .and_then(Obj::int)
            .and_then(|n| u64::try_from(n).ok())
            .ok_or("stream without a direct Length")?;
        let raw = self.read_at(offset + lex.at as u64, length.min(MAX_DECODED) as usize)?;
        let data = match dict.get(b"Filter") {
            None => raw,
            Some(Obj::Name(n)) if n == b"FlateDecode" => {
                let mut out = Vec::new();
                flate2::read::ZlibDecoder::new(&raw[..])
                    .take(MAX_DECODED)
                    .read_to_end(&mut out)
                    .map_err(|e| format!("stream does not inflate: {e}"))?;
                out
            }
            Some(_) => return Err("stream filter not supported here".into()),
        };
        let params = dict.get(b"DecodeParms");
        let predictor = params.and_then(|p| p.get(b"Predictor")).and_then(Obj::int);
        match predictor {
            None | Some(1) => Ok((dict, data)),
            Some(10..=15) => {
                let columns = params
                    .and_then(|p| p.get(b"Columns"))
                    .and_then(Obj::int)
                    .and_then(|c| usize::try_from(c).ok())
                    .filter(|&c| c > 0 && c <= 1 << 16)
                    .unwrap_or(1);
                Ok((dict, png_up(&data, columns)))
            }
            Some(_) => Err("stream predictor not supported here".into()),
        }
    }
}

/// Undoes PNG row filters (PNG spec 9.2) for one-byte-per-pixel rows of `columns` bytes, each
/// preceded by its filter type. Cross-reference streams use Up (2); None, Sub, Average and
/// Paeth are undone too.
fn png_up(data: &[u8], columns: usize) -> Vec<u8> {
    let mut out: Vec<u8> = Vec::with_capacity(data.len());
    let mut prev = vec![0u8; columns];
    for row in data.chunks_exact(columns + 1) {
        let mut cur = row[1..].to_vec();
        for i in 0..columns {
            let left = if i > 0 { cur[i - 1] } else { 0 };
            let up = prev[i];
            let corner = if i > 0 { prev[i - 1] } else { 0 };
            cur[i] = cur[i].wrapping_add(match row[0] {
                1 => left,
                2 => up,
                3 => ((u16::from(left) + u16::from(up)) / 2) as u8,
                4 => paeth(left, up, corner),
                _ => 0,
            });
        }
        out.extend_from_slice(&cur);
        prev = cur;
    }
    out
}

fn paeth(a: u8, b: u8, c: u8) -> u8 {
    let p = i16::from(a) + i16::from(b) - i16::from(c);
    let (pa, pb, pc) = (
        (p - i16::from(a)).abs(),
        (p - i16::from(b)).abs(),
        (p - i16::from(c)).abs(),
    );
    if pa <= pb && pa <= pc {
        a
    } else if pb <= pc {
        b
    } else {
        c
    }
}
