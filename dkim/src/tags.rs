//! Tag lists (RFC 6376 section 3.2): `tag=value; tag=value`, the syntax of both the
//! DKIM-Signature header field (section 3.5) and the key record (section 3.6.1).
//!
//! ```text
//! tag-list  =  tag-spec *( ";" tag-spec ) [ ";" ]
//! tag-spec  =  [FWS] tag-name [FWS] "=" [FWS] tag-value [FWS]
//! tag-name  =  ALPHA *ALNUMPUNC
//! tag-value =  [ tval *( 1*(WSP / FWS) tval ) ]
//! tval      =  1*VALCHAR          ; VALCHAR = %x21-3A / %x3C-7E
//! ```
//!
//! Values are kept as raw bytes with their position, so that the verifier can blank the
//! `b=` value of the very bytes that were signed (section 3.7). Bytes above 0x7E are
//! accepted in values (RFC 8616 allows UTF-8 in some of them); control characters other
//! than folding whitespace are not.

use crate::error::{Error, Result};
use std::ops::Range;

/// One `name=value` of a tag list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tag {
    /// The tag name (ASCII letters, digits and `_`, starting with a letter). Tag names are
    /// case-sensitive (section 3.2).
    pub name: String,
    /// The value, without the whitespace around it; folding whitespace inside is kept.
    pub value: Vec<u8>,
    /// Where the value is in the tag list: from just after the `=` to the end of the value
    /// (so the whitespace before the value is in it, the whitespace after is not).
    pub span: Range<usize>,
}

impl Tag {
    /// The value with every space, tab, CR and LF removed: the value as tags whose syntax
    /// ignores folding whitespace (base64 `b=`, `bh=`, `p=`; the colon list `h=`; numbers
    /// and names) define it.
    pub fn compact(&self) -> Vec<u8> {
        compact(&self.value)
    }
}

/// `bytes` with every space, tab, CR and LF removed.
pub fn compact(bytes: &[u8]) -> Vec<u8> {
    bytes.iter().copied().filter(|b| !is_fws(*b)).collect()
}

/// Whitespace as folded header text has it: WSP (space, tab) and the CR and LF of a fold.
fn is_fws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// A parsed tag list, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TagList {
    /// The tags, as they appear.
    pub tags: Vec<Tag>,
}

/// Most tags a list may hold: far more than any signature or key record defines, few enough
/// that a hostile list costs nothing.
const MAX_TAGS: usize = 64;

impl TagList {
    /// Parses a tag list.
    ///
    /// # Errors
    /// [`Error::TagList`] where the syntax of RFC 6376 section 3.2 is broken (an empty
    /// tag-spec other than after a final `;`, a missing `=`, a bad tag name, a control
    /// character); [`Error::DuplicateTag`] for a name given twice, which makes the whole list
    /// invalid.
    pub fn parse(text: &[u8]) -> Result<TagList> {
        let mut tags: Vec<Tag> = Vec::new();
        let mut start = 0;
        loop {
            let end = text[start..]
                .iter()
                .position(|&b| b == b';')
                .map_or(text.len(), |i| start + i);
            let spec = &text[start..end];
            let last = end == text.len();
            if spec.iter().all(|&b| is_fws(b)) {
                // Only the list's end may be empty: after a final `;`, or the whole list.
                if !last {
                    return Err(Error::TagList {
                        at: start,
                        reason: "empty tag-spec",
                    });
                }
                break;
            }
            let tag = parse_spec(spec, start)?;
            if tags.iter().any(|t| t.name == tag.name) {
                return Err(Error::DuplicateTag(tag.name));
            }
            if tags.len() == MAX_TAGS {
                return Err(Error::TagList {
                    at: start,
                    reason: "more than 64 tags",
                });
            }
            tags.push(tag);
            if last {
                break;
            }
            start = end + 1;
        }
        Ok(TagList { tags })
    }

    /// The tag named `name`, if present.
    pub fn get(&self, name: &str) -> Option<&Tag> {
        self.tags.iter().find(|t| t.name == name)
    }
}

/// One tag-spec, found at `offset` in the list.
fn parse_spec(spec: &[u8], offset: usize) -> Result<Tag> {
    let bad = |at: usize, reason| Error::TagList {
        at: offset + at,
        reason,
    };
    if let Some(i) = spec
        .iter()
        .position(|&b| (b < 0x20 && !is_fws(b)) || b == 0x7f)
    {
        return Err(bad(i, "control character"));
    }
    let eq = spec
        .iter()
        .position(|&b| b == b'=')
        .ok_or_else(|| bad(0, "tag-spec without '='"))?;
    let name = trim(&spec[..eq]);
    let name_ok = name.first().is_some_and(u8::is_ascii_alphabetic)
        && name.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_');
    if !name_ok {
        return Err(bad(
            0,
            "tag name is not a letter followed by letters, digits or '_'",
        ));
    }
    let after = &spec[eq + 1..];
    let lead = after.iter().take_while(|&&b| is_fws(b)).count();
    let value = trim(after);
    let value_end = eq + 1 + lead + value.len();
    Ok(Tag {
        // Checked ASCII above.
        name: String::from_utf8_lossy(name).into_owned(),
        value: value.to_vec(),
        span: offset + eq + 1..offset + value_end,
    })
}

/// `bytes` without whitespace at either end.
fn trim(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|&b| !is_fws(b))
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|&b| !is_fws(b))
        .map_or(start, |i| i + 1);
    &bytes[start..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_trimmed_and_keep_their_place() {
        let text = b" v=1; a=rsa-sha256;\r\n\tb= ab\r\n cd ;";
        let list = TagList::parse(text).unwrap();
        let names: Vec<_> = list.tags.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["v", "a", "b"]);
        let b = list.get("b").unwrap();
        assert_eq!(b.value, b"ab\r\n cd");
        assert_eq!(b.compact(), b"abcd");
        assert_eq!(&text[b.span.clone()], b" ab\r\n cd");
    }

    #[test]
    fn broken_lists_are_refused() {
        for bad in [
            &b"v=1;;a=b"[..],
            b"v",
            b"1v=2",
            b"v=1; v=2",
            b"a=\x01",
            b"=x",
        ] {
            assert!(
                TagList::parse(bad).is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        assert!(TagList::parse(b"").unwrap().tags.is_empty());
        assert_eq!(TagList::parse(b"k=;").unwrap().get("k").unwrap().value, b"");
    }
}
