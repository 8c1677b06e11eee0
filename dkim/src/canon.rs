//! Canonicalization (RFC 6376 section 3.4): the `simple` and `relaxed` forms of header fields
//! and body that signer and verifier both hash, and the body length limit `l=` (section
//! 3.4.5). Line ends are written as CRLF whatever the message used (section 5.3).

use crate::error::{Error, Result};
use crate::message::{Field, content, lines};

/// One canonicalization algorithm (section 3.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Canon {
    /// Section 3.4.1 (header) and 3.4.3 (body): almost no change.
    Simple,
    /// Section 3.4.2 (header) and 3.4.4 (body): tolerant of whitespace changes.
    Relaxed,
}

impl Canon {
    /// Parses a `c=` value: `header/body`, or `header` alone (the body then `simple`);
    /// absent, both are `simple` (section 3.5).
    ///
    /// # Errors
    /// [`Error::Unsupported`] for another algorithm name.
    pub fn parse_pair(c: Option<&[u8]>) -> Result<(Canon, Canon)> {
        let Some(c) = c else {
            return Ok((Canon::Simple, Canon::Simple));
        };
        let one = |s: &[u8]| match s {
            b"simple" => Ok(Canon::Simple),
            b"relaxed" => Ok(Canon::Relaxed),
            _ => Err(Error::Unsupported {
                what: "canonicalization",
                value: String::from_utf8_lossy(c).into_owned(),
            }),
        };
        match c.iter().position(|&b| b == b'/') {
            Some(i) => Ok((one(&c[..i])?, one(&c[i + 1..])?)),
            None => Ok((one(c)?, Canon::Simple)),
        }
    }
}

fn is_wsp(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// Appends the canonical form of `field` (its `raw` text) to `out`, ending with CRLF.
pub fn header(c: Canon, field: &Field<'_>, out: &mut Vec<u8>) {
    header_raw(c, field.raw, field.colon, out);
}

/// [`header`] of a field given as its text and the offset of its colon.
pub fn header_raw(c: Canon, raw: &[u8], colon: usize, out: &mut Vec<u8>) {
    match c {
        // Section 3.4.1: the field exactly, each line ending in CRLF.
        Canon::Simple => {
            for line in lines(raw) {
                out.extend_from_slice(content(line));
                out.extend_from_slice(b"\r\n");
            }
        }
        // Section 3.4.2: lowercase name, unfolded, whitespace runs as one space, none at the
        // ends of the value or around the colon.
        Canon::Relaxed => {
            let name = Field { raw, colon }.name();
            out.extend(name.iter().map(u8::to_ascii_lowercase));
            out.push(b':');
            let mut space = false;
            let mut any = false;
            let value = &raw[colon + 1..];
            for (i, &b) in value.iter().enumerate() {
                match b {
                    // Unfolding removes line ends; a CR that ends no line is text.
                    b'\n' => {}
                    b'\r' if value.get(i + 1) == Some(&b'\n') => {}
                    b' ' | b'\t' => space = true,
                    _ => {
                        if space && any {
                            out.push(b' ');
                        }
                        space = false;
                        any = true;
                        out.push(b);
                    }
                }
            }
            out.extend_from_slice(b"\r\n");
        }
    }
}

/// Feeds the canonical form of `body` to `sink`, in pieces (section 3.4.3, 3.4.4).
pub fn body(c: Canon, body: &[u8], sink: &mut dyn FnMut(&[u8])) {
    let mut empty_lines = 0usize;
    let mut emitted = false;
    let mut line_buf = Vec::new();
    for line in lines(body) {
        let text = content(line);
        let text: &[u8] = match c {
            Canon::Simple => text,
            Canon::Relaxed => {
                line_buf.clear();
                let mut space = false;
                for &b in text {
                    if is_wsp(b) {
                        space = true;
                    } else {
                        if space {
                            line_buf.push(b' ');
                        }
                        space = false;
                        line_buf.push(b);
                    }
                }
                // Whitespace at the end of a line is dropped (the pending `space`).
                &line_buf
            }
        };
        // Empty lines at the end of the body are dropped: hold them until a line follows.
        if text.is_empty() {
            empty_lines += 1;
            continue;
        }
        for _ in 0..empty_lines {
            sink(b"\r\n");
        }
        empty_lines = 0;
        sink(text);
        sink(b"\r\n");
        emitted = true;
    }
    // An empty body is one CRLF in `simple`, nothing in `relaxed`.
    if !emitted && c == Canon::Simple {
        sink(b"\r\n");
    }
}

/// The canonical body, cut to `limit` bytes (`l=`, section 3.4.5), fed to `sink`.
///
/// # Errors
/// [`Error::BodyHashMismatch`] when the canonical body is shorter than `limit`: the
/// signature covers bytes that are not there.
pub fn limited_body(
    c: Canon,
    text: &[u8],
    limit: Option<u64>,
    sink: &mut dyn FnMut(&[u8]),
) -> Result<()> {
    let mut left = limit.unwrap_or(u64::MAX);
    body(c, text, &mut |piece| {
        let take = usize::try_from(left).map_or(piece.len(), |l| l.min(piece.len()));
        sink(&piece[..take]);
        left -= take as u64;
    });
    if limit.is_some() && left > 0 {
        return Err(Error::BodyHashMismatch);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon_body(c: Canon, b: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        body(c, b, &mut |p| out.extend_from_slice(p));
        out
    }

    /// The examples of RFC 6376 section 3.4.5.
    #[test]
    fn the_rfc_examples() {
        let (h1, h2) = (b"A: X\r\n".as_slice(), b"B : Y\t\r\n\tZ  \r\n".as_slice());
        let body_text = b" C \r\nD \t E\r\n\r\n\r\n";
        let mut out = Vec::new();
        header_raw(Canon::Relaxed, h1, 1, &mut out);
        header_raw(Canon::Relaxed, h2, 2, &mut out);
        assert_eq!(out, b"a:X\r\nb:Y Z\r\n");
        assert_eq!(canon_body(Canon::Relaxed, body_text), b" C\r\nD E\r\n");
        out.clear();
        header_raw(Canon::Simple, h1, 1, &mut out);
        header_raw(Canon::Simple, h2, 2, &mut out);
        assert_eq!(out, b"A: X\r\nB : Y\t\r\n\tZ  \r\n");
        assert_eq!(canon_body(Canon::Simple, body_text), b" C \r\nD \t E\r\n");
    }

    #[test]
    fn empty_bodies_and_bare_line_feeds() {
        assert_eq!(canon_body(Canon::Simple, b""), b"\r\n");
        assert_eq!(canon_body(Canon::Relaxed, b"\n\n"), b"");
        assert_eq!(canon_body(Canon::Simple, b"a\n\nb"), b"a\r\n\r\nb\r\n");
    }

    #[test]
    fn a_length_limit_cuts_and_a_short_body_fails() {
        let mut out = Vec::new();
        limited_body(Canon::Simple, b"abcdef\n", Some(3), &mut |p| {
            out.extend_from_slice(p)
        })
        .unwrap();
        assert_eq!(out, b"abc");
        let short = limited_body(Canon::Simple, b"ab\n", Some(10), &mut |_| {});
        assert_eq!(short, Err(Error::BodyHashMismatch));
    }
}
