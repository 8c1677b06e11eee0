//! Gzip streams (RFC 1952): one member, the decompressed stream, named by the header's
//! `FNAME` field (raw bytes, ISO 8859-1 by the RFC) when there is one, dated by `MTIME` when it
//! is not 0. Concatenated gzip members (RFC 1952 2.2) are one stream, as `gzip -d` gives it.
//! Bytes after the last member that do not start another (the zeros a tape or block writer
//! pads with, or anything else) are not part of the stream: `gzip -d` ignores them, and so
//! does this, with a note unless they are all zeros.
//! The expansion ratio is checked against the compressed bytes consumed so far.

use crate::found::{Completeness, Mtime};
use crate::meter::{Counted, Packed};
use crate::walk::{Entry, Walker};
use flate2::bufread::GzDecoder;
use std::cell::Cell;
use std::io::{self, BufRead, BufReader, Cursor, Read};
use std::rc::Rc;

/// The longest `FNAME` looked for in the header.
const MAX_NAME: usize = 4096;

pub(crate) fn walk(
    w: &mut Walker,
    input: &mut dyn Read,
    parent: Option<u64>,
    depth: u32,
) -> (Completeness, Option<String>) {
    // Read the fixed header and the optional fields, then hand the same bytes to the decoder.
    let mut head = Vec::new();
    let _ = input
        .take((10 + 2 + 65535 + MAX_NAME) as u64)
        .read_to_end(&mut head);
    let (name, mtime) = header(&head);
    let count = Rc::new(Cell::new(0));
    let mut chained = Cursor::new(head).chain(input);
    let counted = Counted {
        inner: &mut chained,
        count: count.clone(),
    };
    let trailing = Rc::new(Cell::new(Trailing::default()));
    let mut decoder = Members {
        current: Some(GzDecoder::new(Pushback::new(BufReader::new(counted)))),
        trailing: trailing.clone(),
    };
    let mut entry = Entry::new(parent, depth, name.unwrap_or_default());
    entry.mtime = mtime.map(|t| Mtime::Unix(i64::from(t)));
    entry.packed = Packed::Live(count);
    let mut c = Completeness {
        declared: Some(1),
        ..Completeness::default()
    };
    let path = entry.path.clone();
    let outcome = w.member(entry, &mut decoder);
    c.record(&path, outcome);
    let t = trailing.get();
    let note = (t.bytes > 0 && !t.zeros).then(|| {
        format!(
            "{} bytes after the gzip stream do not start another member: not part of it, \
             ignored as gzip -d ignores them",
            t.bytes
        )
    });
    (c, note)
}

/// What followed the last member: how many bytes, and whether all were zeros.
#[derive(Clone, Copy)]
struct Trailing {
    bytes: u64,
    zeros: bool,
}

impl Default for Trailing {
    fn default() -> Trailing {
        Trailing {
            bytes: 0,
            zeros: true,
        }
    }
}

/// The members of a gzip stream one after another (RFC 1952 section 2.2), as one stream;
/// what follows the last one is counted in `trailing`, never decoded.
struct Members<R: BufRead> {
    current: Option<GzDecoder<Pushback<R>>>,
    trailing: Rc<Cell<Trailing>>,
}

impl<R: BufRead> Read for Members<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let Some(member) = self.current.as_mut() else {
                return Ok(0);
            };
            let n = member.read(buf)?;
            if n > 0 || buf.is_empty() {
                return Ok(n);
            }
            // This member ended: another starts with the magic bytes 1f 8b, as `gzip -d`
            // reads them; a 1f that the input ends after starts one too (cut short: an error,
            // as in `gzip -d`).
            let Some(member) = self.current.take() else {
                return Ok(0);
            };
            let mut rest = member.into_inner();
            let next = rest.fill_buf()?;
            if next.is_empty() {
                return Ok(0);
            }
            let mut t = Trailing::default();
            if next.starts_with(&[0x1f, 0x8b]) {
                self.current = Some(GzDecoder::new(rest));
                continue;
            }
            if next == [0x1f] {
                // The buffer ends between the magic bytes, or the input after the first:
                // the next byte tells, and the first is given back to the new member.
                rest.consume(1);
                let after = rest.fill_buf()?;
                if after.is_empty() || after.starts_with(&[0x8b]) {
                    rest.give_back(0x1f);
                    self.current = Some(GzDecoder::new(rest));
                    continue;
                }
                t.zeros = false;
                t.bytes = 1;
            }
            loop {
                let chunk = rest.fill_buf()?;
                if chunk.is_empty() {
                    break;
                }
                t.zeros &= chunk.iter().all(|&b| b == 0);
                t.bytes += chunk.len() as u64;
                let n = chunk.len();
                rest.consume(n);
            }
            self.trailing.set(t);
            return Ok(0);
        }
    }
}

/// A buffered reader that can be given back one byte it gave: read again before the rest.
/// One slot, reused from member to member, so a stream whose members' magic bytes the
/// buffer splits again and again is never wrapped more than once.
struct Pushback<R> {
    inner: R,
    byte: [u8; 1],
    held: bool,
}

impl<R: BufRead> Pushback<R> {
    fn new(inner: R) -> Self {
        Pushback {
            inner,
            byte: [0],
            held: false,
        }
    }

    /// The next read starts with `b`.
    fn give_back(&mut self, b: u8) {
        self.byte = [b];
        self.held = true;
    }
}

impl<R: BufRead> Read for Pushback<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = {
            let available = self.fill_buf()?;
            let n = available.len().min(buf.len());
            buf[..n].copy_from_slice(&available[..n]);
            n
        };
        self.consume(n);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Pushback<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        match self.held {
            true => Ok(&self.byte),
            false => self.inner.fill_buf(),
        }
    }

    fn consume(&mut self, n: usize) {
        match self.held {
            true if n > 0 => {
                self.held = false;
                self.inner.consume(n - 1);
            }
            true => {}
            false => self.inner.consume(n),
        }
    }
}

/// `FNAME` and `MTIME` from a gzip header (RFC 1952 2.3), when the header is well formed.
fn header(h: &[u8]) -> (Option<Vec<u8>>, Option<u32>) {
    if h.len() < 10 {
        return (None, None);
    }
    let flags = h[3];
    let mtime = u32::from_le_bytes([h[4], h[5], h[6], h[7]]);
    let mtime = (mtime != 0).then_some(mtime);
    let mut at = 10;
    if flags & 0x04 != 0 {
        // FEXTRA: XLEN then that many bytes
        let Some(x) = h.get(at..at + 2) else {
            return (None, mtime);
        };
        at += 2 + usize::from(u16::from_le_bytes([x[0], x[1]]));
    }
    if flags & 0x08 == 0 {
        return (None, mtime);
    }
    let rest = h.get(at..).unwrap_or_default();
    let name = rest
        .iter()
        .position(|&b| b == 0)
        .map(|end| rest[..end].to_vec());
    (name.filter(|n| !n.is_empty()), mtime)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_fields() {
        let h = b"\x1f\x8b\x08\x08\x01\0\0\0\0\x03a.tar\0rest";
        assert_eq!(header(h), (Some(b"a.tar".to_vec()), Some(1)));
        let h = b"\x1f\x8b\x08\x00\0\0\0\0\0\x03rest";
        assert_eq!(header(h), (None, None));
        let h = b"\x1f\x8b\x08\x0c\0\0\0\0\0\x03\x02\0xyn\0";
        assert_eq!(header(h), (Some(b"n".to_vec()), None));
        assert_eq!(header(b"\x1f\x8b"), (None, None));
    }

    fn gz(data: &[u8]) -> Vec<u8> {
        use std::io::Write;
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    /// The stream of `data` read through a buffer of `cap` bytes, and what trailed it; or
    /// the error that ended it.
    fn read(data: &[u8], cap: usize) -> io::Result<(Vec<u8>, u64, bool)> {
        let trailing = Rc::new(Cell::new(Trailing::default()));
        let mut m = Members {
            current: Some(GzDecoder::new(Pushback::new(BufReader::with_capacity(
                cap, data,
            )))),
            trailing: trailing.clone(),
        };
        let mut out = Vec::new();
        m.read_to_end(&mut out)?;
        let t = trailing.get();
        Ok((out, t.bytes, t.zeros))
    }

    /// A member whose magic bytes the read buffer splits is still a member, however many
    /// times that happens; a lone 1f after the last member starts a member cut short (an
    /// error, as `gzip -d` says "unexpected end of file"); 1f then other bytes trail.
    #[test]
    fn a_split_magic_starts_a_member_and_a_lone_first_byte_is_cut_short() {
        let a = gz(b"first member\n");
        let two = [a.clone(), gz(b"second member\n")].concat();
        let both = b"first member\nsecond member\n".to_vec();
        assert_eq!(read(&two, 8192).unwrap(), (both.clone(), 0, true));
        // The buffer ends after the second member's first byte.
        assert_eq!(read(&two, a.len() + 1).unwrap(), (both, 0, true));
        let lone = [a.clone(), vec![0x1f]].concat();
        let e = read(&lone, 8192).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof, "{e}");
        let junk = [a.clone(), vec![0x1f, 0, 0]].concat();
        let first = b"first member\n".to_vec();
        assert_eq!(read(&junk, a.len() + 1).unwrap(), (first, 3, false));
        // 100,000 members, the buffer splitting the magic bytes of each one after the first:
        // read whole. Wrapped once more for each, the reader took time growing with the
        // square of the members, and a call as deep as them overflowed the stack.
        let member = gz(b"x");
        let many: Vec<u8> = member.repeat(100_000);
        let split = Split {
            data: &many,
            at: 0,
            first: member.len() + 1,
            then: member.len(),
        };
        let trailing = Rc::new(Cell::new(Trailing::default()));
        let reader = BufReader::with_capacity(member.len() + 1, split);
        let mut m = Members {
            current: Some(GzDecoder::new(Pushback::new(reader))),
            trailing: trailing.clone(),
        };
        let mut out = Vec::new();
        m.read_to_end(&mut out).unwrap();
        assert_eq!((out.len(), trailing.get().bytes), (100_000, 0));
    }

    /// Gives `first` bytes, then `then` bytes at a time: with members `then` long, each
    /// read after the first ends one byte into the next member.
    struct Split<'a> {
        data: &'a [u8],
        at: usize,
        first: usize,
        then: usize,
    }

    impl Read for Split<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let want = if self.at == 0 { self.first } else { self.then };
            let n = want.min(buf.len()).min(self.data.len() - self.at);
            buf[..n].copy_from_slice(&self.data[self.at..self.at + n]);
            self.at += n;
            Ok(n)
        }
    }
}
