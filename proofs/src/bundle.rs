//! C2SP tlog-tiles entry bundles (`shared/specs/tlog-tiles.md`, "Log entries"): the entries
//! under one level-0 tile, each prefixed with its length as a big-endian uint16.

use crate::error::{Error, Result};

/// The largest entry a bundle can carry.
pub const MAX_BUNDLE_ENTRY: usize = u16::MAX as usize;

/// Encodes entries (leaf data, in order) as one bundle.
///
/// # Errors
/// [`Error::EntryTooLarge`] for an entry over 65,535 bytes.
pub fn encode_bundle<'a>(entries: impl IntoIterator<Item = &'a [u8]>) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    for e in entries {
        let len = u16::try_from(e.len()).map_err(|_| Error::EntryTooLarge(e.len()))?;
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(e);
    }
    Ok(out)
}

/// Splits a bundle into its entries.
///
/// # Errors
/// [`Error::MalformedBundle`] when a length prefix runs past the end.
pub fn parse_bundle(mut bytes: &[u8]) -> Result<Vec<&[u8]>> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        let [a, b, rest @ ..] = bytes else {
            return Err(Error::MalformedBundle("a length prefix is cut short"));
        };
        let len = usize::from(u16::from_be_bytes([*a, *b]));
        if rest.len() < len {
            return Err(Error::MalformedBundle("an entry runs past the end"));
        }
        out.push(&rest[..len]);
        bytes = &rest[len..];
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_limits() {
        let big = vec![7u8; MAX_BUNDLE_ENTRY];
        let entries: Vec<&[u8]> = vec![b"", b"abc", &big];
        let b = encode_bundle(entries.clone()).unwrap();
        assert_eq!(&b[..5], &[0, 0, 0, 3, b'a']);
        assert_eq!(parse_bundle(&b).unwrap(), entries);
        let too_big = vec![0u8; MAX_BUNDLE_ENTRY + 1];
        assert_eq!(
            encode_bundle([&too_big[..]]),
            Err(Error::EntryTooLarge(65_536))
        );
        assert!(parse_bundle(&[0]).is_err());
        assert!(parse_bundle(&[0, 2, 1]).is_err());
    }
}
