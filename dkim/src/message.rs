//! A message split into its header fields and its body (RFC 5322 section 2.1, 2.2), keeping
//! every byte as it is: signatures are checked over the exact fields.
//!
//! Lines end with CRLF on the wire; a message kept in a file often has bare LF. Either ends a
//! line here, and the canonical forms (`canon.rs`) write CRLF, as RFC 6376 section 5.3
//! expects a verifier to do for messages in local line-ending form.

/// One header field: its name and its whole text, folded lines included.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Field<'a> {
    /// The field as it is in the message, from its name to the end of its last line (line
    /// ends included).
    pub raw: &'a [u8],
    /// Where its colon is in `raw`.
    pub colon: usize,
}

impl<'a> Field<'a> {
    /// The field name, without whitespace before the colon (obsolete syntax, RFC 5322 section
    /// 4.5).
    pub fn name(&self) -> &'a [u8] {
        let name = &self.raw[..self.colon];
        let end = name
            .iter()
            .rposition(|b| !matches!(b, b' ' | b'\t'))
            .map_or(0, |i| i + 1);
        &name[..end]
    }

    /// Whether the field is named `name`, compared case-insensitively (RFC 5322 section 1.2.2).
    pub fn is(&self, name: &str) -> bool {
        self.name().eq_ignore_ascii_case(name.as_bytes())
    }

    /// Everything after the colon, line ends included.
    pub fn value(&self) -> &'a [u8] {
        &self.raw[self.colon + 1..]
    }
}

/// A message's header fields in order, and its body.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Message<'a> {
    /// The header fields, top first.
    pub fields: Vec<Field<'a>>,
    /// The bytes after the empty line that ends the header (none if there is no such line).
    pub body: &'a [u8],
    /// The first header line (from 1) that is neither a field nor a continuation, if any:
    /// such a message cannot be verified.
    pub malformed: Option<usize>,
}

/// The lines of `bytes`, each with its line end (`\n`, `\r\n`), the last maybe without one.
pub fn lines(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    bytes.split_inclusive(|&b| b == b'\n')
}

/// A line without its line end.
pub fn content(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Splits `message` into header fields and body. Never fails: a line that does not belong
/// in a header is noted in [`Message::malformed`] and skipped; a leading mbox `From ` line is
/// skipped silently.
pub fn parse(message: &[u8]) -> Message<'_> {
    let mut m = Message::default();
    // Each field as (start, colon offset), its end being the next field's or line's start.
    let mut open: Option<(usize, usize)> = None;
    let mut at = 0;
    fn close<'a>(
        open: &mut Option<(usize, usize)>,
        end: usize,
        m: &mut Message<'a>,
        msg: &'a [u8],
    ) {
        if let Some((start, colon)) = open.take() {
            m.fields.push(Field {
                raw: &msg[start..end],
                colon,
            });
        }
    }
    for (n, line) in lines(message).enumerate() {
        let text = content(line);
        if text.is_empty() {
            close(&mut open, at, &mut m, message);
            m.body = &message[at + line.len()..];
            return m;
        }
        if matches!(text[0], b' ' | b'\t') && open.is_some() {
            at += line.len();
            continue;
        }
        close(&mut open, at, &mut m, message);
        let field = text.iter().position(|&b| b == b':').filter(|&colon| {
            let f = Field { raw: text, colon };
            let name = f.name();
            !name.is_empty() && name.iter().all(|b| (0x21..=0x7e).contains(b))
        });
        match field {
            Some(colon) => open = Some((at, colon)),
            None if n == 0 && text.starts_with(b"From ") => {}
            None => {
                m.malformed.get_or_insert(n + 1);
            }
        }
        at += line.len();
    }
    close(&mut open, at, &mut m, message);
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_keep_their_folds_and_the_body_starts_after_the_empty_line() {
        let msg = b"From x  Mon\nSubject : a\r\n  b\nTo: c\n\nbody\n";
        let m = parse(msg);
        assert_eq!(m.fields.len(), 2);
        assert_eq!(m.fields[0].raw, b"Subject : a\r\n  b\n");
        assert_eq!(m.fields[0].name(), b"Subject");
        assert!(m.fields[1].is("to"));
        assert_eq!(m.body, b"body\n");
        assert_eq!(m.malformed, None);
    }

    #[test]
    fn a_header_without_an_end_has_no_body_and_stray_lines_are_noted() {
        let m = parse(b"A: 1\nnot a field\nB: 2");
        assert_eq!(m.fields.len(), 2);
        assert_eq!(m.fields[1].raw, b"B: 2");
        assert_eq!(m.body, b"");
        assert_eq!(m.malformed, Some(2));
    }
}
