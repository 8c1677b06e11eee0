//! Just enough of PDF's object syntax (ISO 32000-1 7.2, 7.3) to read a trailer, a
//! cross-reference stream's dictionary and the document information dictionary: numbers,
//! names, strings, arrays, dictionaries and indirect references. Anything malformed or nested
//! too deep is `None`, never a panic.

/// How deep arrays and dictionaries may nest.
const MAX_NESTING: usize = 16;

/// A direct object, as far as this reader needs.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Obj {
    Int(i64),
    Name(Vec<u8>),
    /// A string's bytes after its escapes (literal) or digits (hex) are decoded (7.3.4).
    Str(Vec<u8>),
    Ref(u32, u16),
    Array(Vec<Obj>),
    Dict(Vec<(Vec<u8>, Obj)>),
    /// Booleans, reals, null, and anything else skipped.
    Other,
}

impl Obj {
    /// A dictionary's value for `key` (a name without its slash).
    pub fn get(&self, key: &[u8]) -> Option<&Obj> {
        match self {
            Obj::Dict(d) => d.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn int(&self) -> Option<i64> {
        match self {
            Obj::Int(i) => Some(*i),
            _ => None,
        }
    }
}

/// Reads objects from bytes, from a position.
pub(crate) struct Lexer<'a> {
    pub bytes: &'a [u8],
    pub at: usize,
}

impl<'a> Lexer<'a> {
    pub fn new(bytes: &'a [u8], at: usize) -> Lexer<'a> {
        Lexer { bytes, at }
    }

    /// Skips white space (7.2.2) and comments (7.2.3).
    pub fn skip(&mut self) {
        while let Some(&b) = self.bytes.get(self.at) {
            if matches!(b, b'\0' | b'\t' | b'\n' | b'\x0c' | b'\r' | b' ') {
                self.at += 1;
            } else if b == b'%' {
                while self
                    .bytes
                    .get(self.at)
                    .is_some_and(|&b| b != b'\n' && b != b'\r')
                {
                    self.at += 1;
                }
            } else {
                return;
            }
        }
    }

    /// Consumes `word` (after white space) if it is next, followed by a delimiter.
    pub fn keyword(&mut self, word: &[u8]) -> bool {
        self.skip();
        let rest = &self.bytes[self.at.min(self.bytes.len())..];
        if rest.starts_with(word)
            && rest
                .get(word.len())
                .is_none_or(|&b| !regular(b) || !regular(word[word.len() - 1]))
        {
            self.at += word.len();
            return true;
        }
        false
    }

    /// An unsigned integer, if one is next.
    pub fn uint(&mut self) -> Option<u64> {
        self.skip();
        let start = self.at;
        while self.bytes.get(self.at).is_some_and(u8::is_ascii_digit) {
            self.at += 1;
        }
        let digits = std::str::from_utf8(&self.bytes[start..self.at]).ok()?;
        digits.parse().ok()
    }

    /// The next object, with `N G R` read as a reference.
    pub fn object(&mut self) -> Option<Obj> {
        self.object_at(0)
    }

    fn object_at(&mut self, nesting: usize) -> Option<Obj> {
        if nesting > MAX_NESTING {
            return None;
        }
        self.skip();
        let b = *self.bytes.get(self.at)?;
        match b {
            b'/' => {
                self.at += 1;
                Some(Obj::Name(self.word().to_vec()))
            }
            b'(' => self.literal().map(Obj::Str),
            b'<' if self.bytes.get(self.at + 1) == Some(&b'<') => {
                self.at += 2;
                let mut dict = Vec::new();
                loop {
                    self.skip();
                    if self.bytes[self.at.min(self.bytes.len())..].starts_with(b">>") {
                        self.at += 2;
                        return Some(Obj::Dict(dict));
                    }
                    let Obj::Name(key) = self.object_at(nesting + 1)? else {
                        return None;
                    };
                    let value = self.object_at(nesting + 1)?;
                    dict.push((key, value));
                }
            }
            b'<' => self.hex().map(Obj::Str),
            b'[' => {
                self.at += 1;
                let mut items = Vec::new();
                loop {
                    self.skip();
                    if self.bytes.get(self.at) == Some(&b']') {
                        self.at += 1;
                        return Some(Obj::Array(items));
                    }
                    items.push(self.object_at(nesting + 1)?);
                }
            }
            b'0'..=b'9' => {
                let first = self.number()?;
                let back = self.at;
                if let Obj::Int(n) = first
                    && let Some(generation) = self.uint()
                    && self.keyword(b"R")
                {
                    return Some(Obj::Ref(
                        u32::try_from(n).ok()?,
                        u16::try_from(generation).ok()?,
                    ));
                }
                self.at = back;
                Some(first)
            }
            b'+' | b'-' | b'.' => self.number(),
            _ if regular(b) => {
                self.word(); // true, false, null, or an operator this reader does not need
                Some(Obj::Other)
            }
            _ => None,
        }
    }

    fn number(&mut self) -> Option<Obj> {
        let word = self.word();
        if word.contains(&b'.') {
            return Some(Obj::Other);
        }
        std::str::from_utf8(word).ok()?.parse().ok().map(Obj::Int)
    }

    /// A run of regular characters (7.2.2).
    fn word(&mut self) -> &'a [u8] {
        let start = self.at;
        while self.bytes.get(self.at).is_some_and(|&b| regular(b)) {
            self.at += 1;
        }
        &self.bytes[start..self.at]
    }

    /// A literal string (7.3.4.2): balanced parentheses, backslash escapes, end-of-line
    /// markers read as LF.
    fn literal(&mut self) -> Option<Vec<u8>> {
        self.at += 1;
        let mut out = Vec::new();
        let mut depth = 1usize;
        loop {
            let b = *self.bytes.get(self.at)?;
            self.at += 1;
            match b {
                b'(' => {
                    depth += 1;
                    out.push(b);
                }
                b')' => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(out);
                    }
                    out.push(b);
                }
                b'\r' => {
                    if self.bytes.get(self.at) == Some(&b'\n') {
                        self.at += 1;
                    }
                    out.push(b'\n');
                }
                b'\\' => {
                    let e = *self.bytes.get(self.at)?;
                    self.at += 1;
                    match e {
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'b' => out.push(8),
                        b'f' => out.push(12),
                        b'0'..=b'7' => {
                            let mut v = u32::from(e - b'0');
                            for _ in 0..2 {
                                match self.bytes.get(self.at) {
                                    Some(&d @ b'0'..=b'7') => {
                                        v = v * 8 + u32::from(d - b'0');
                                        self.at += 1;
                                    }
                                    _ => break,
                                }
                            }
                            out.push(v as u8); // high-order overflow is ignored (7.3.4.2)
                        }
                        b'\r' => {
                            if self.bytes.get(self.at) == Some(&b'\n') {
                                self.at += 1;
                            }
                        }
                        b'\n' => {}
                        other => out.push(other), // \( \) \\ and unknown escapes
                    }
                }
                other => out.push(other),
            }
        }
    }

    /// A hexadecimal string (7.3.4.3): white space ignored, a missing last digit is 0.
    fn hex(&mut self) -> Option<Vec<u8>> {
        self.at += 1;
        let mut digits = Vec::new();
        loop {
            let b = *self.bytes.get(self.at)?;
            self.at += 1;
            match b {
                b'>' => break,
                b'0'..=b'9' | b'a'..=b'f' | b'A'..=b'F' => digits.push(b),
                b'\0' | b'\t' | b'\n' | b'\x0c' | b'\r' | b' ' => {}
                _ => return None,
            }
        }
        if digits.len() % 2 == 1 {
            digits.push(b'0');
        }
        let value = |d: u8| (d as char).to_digit(16).unwrap_or(0) as u8;
        Some(
            digits
                .chunks(2)
                .map(|p| value(p[0]) << 4 | value(p[1]))
                .collect(),
        )
    }
}

/// Not white space and not a delimiter (7.2.2).
fn regular(b: u8) -> bool {
    !matches!(
        b,
        b'\0'
            | b'\t'
            | b'\n'
            | b'\x0c'
            | b'\r'
            | b' '
            | b'('
            | b')'
            | b'<'
            | b'>'
            | b'['
            | b']'
            | b'{'
            | b'}'
            | b'/'
            | b'%'
    )
}

/// A text string's value (7.9.2.2): UTF-16BE with its byte order mark, UTF-8 with its mark
/// (PDF 2.0), or PDFDocEncoding (Annex D.2). `None` when the bytes are not valid in the
/// encoding they claim (an undefined PDFDocEncoding code, bad UTF-16): keep them raw.
pub(crate) fn text(raw: &[u8]) -> Option<String> {
    if let Some(be) = raw.strip_prefix(&[0xFE, 0xFF]) {
        if be.len() % 2 == 1 {
            return None;
        }
        let units: Vec<u16> = be
            .chunks(2)
            .map(|c| u16::from_be_bytes([c[0], c[1]]))
            .collect();
        return String::from_utf16(&units).ok();
    }
    if let Some(utf8) = raw.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return String::from_utf8(utf8.to_vec()).ok();
    }
    raw.iter().map(|&b| pdf_doc(b)).collect()
}

/// PDFDocEncoding (ISO 32000-1 Annex D.2, Table D.2): one byte to one character.
fn pdf_doc(b: u8) -> Option<char> {
    const LOW: [char; 8] = ['˘', 'ˇ', 'ˆ', '˙', '˝', '˛', '˚', '˜'];
    const HIGH: [char; 31] = [
        '•', '†', '‡', '…', '—', '–', 'ƒ', '⁄', '‹', '›', '−', '‰', '„', '“', '”', '‘', '’', '‚',
        '™', 'ﬁ', 'ﬂ', 'Ł', 'Œ', 'Š', 'Ÿ', 'Ž', 'ı', 'ł', 'œ', 'š', 'ž',
    ];
    match b {
        b'\t' | b'\n' | b'\r' | 0x20..=0x7E => Some(char::from(b)),
        0x18..=0x1F => Some(LOW[usize::from(b - 0x18)]),
        0x80..=0x9E => Some(HIGH[usize::from(b - 0x80)]),
        0xA0 => Some('€'),
        0xA1..=0xFF if b != 0xAD => Some(char::from(b)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects() {
        let src = b"<< /Info 12 0 R /Size 5 /Prev 1234 /ID [<0a0B> (x\\(y\\)\\101\\\n)] /R 1.5 >>";
        let obj = Lexer::new(src, 0).object().unwrap();
        assert_eq!(obj.get(b"Info"), Some(&Obj::Ref(12, 0)));
        assert_eq!(obj.get(b"Prev").and_then(Obj::int), Some(1234));
        assert_eq!(
            obj.get(b"ID"),
            Some(&Obj::Array(vec![
                Obj::Str(vec![10, 11]),
                Obj::Str(b"x(y)A".to_vec())
            ]))
        );
        assert_eq!(obj.get(b"R"), Some(&Obj::Other));
        assert_eq!(
            Lexer::new(b"[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]", 0).object(),
            None
        );
        assert_eq!(Lexer::new(b"(unclosed", 0).object(), None);
        assert_eq!(Lexer::new(b"<< /A", 0).object(), None);
    }

    #[test]
    fn text_strings() {
        assert_eq!(text(b"\xfe\xff\x04\x1f\x04\x40").as_deref(), Some("Пр"));
        assert_eq!(text(b"caf\xe9 \x8dq\x8e\x93").as_deref(), Some("café “q”ﬁ"));
        assert_eq!(text(b"\xad"), None);
        assert_eq!(text(b"\xfe\xff\xd8\x00"), None);
    }
}
