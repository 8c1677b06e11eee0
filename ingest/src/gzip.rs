//! Gzip streams (RFC 1952): one member, the decompressed stream, named by the header's
//! `FNAME` field (raw bytes, ISO 8859-1 by the RFC) when there is one, dated by `MTIME` when it
//! is not 0. Concatenated gzip members (RFC 1952 2.2) are one stream, as `gzip -d` gives it.
//! The expansion ratio is checked against the compressed bytes consumed so far.

use crate::found::{Completeness, Mtime};
use crate::meter::{Counted, Packed};
use crate::walk::{Entry, Walker};
use flate2::read::MultiGzDecoder;
use std::cell::Cell;
use std::io::{Cursor, Read};
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
    let mut decoder = MultiGzDecoder::new(counted);
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
    (c, None)
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
}
