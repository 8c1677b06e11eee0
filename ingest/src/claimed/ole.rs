//! What a legacy Office file claims (`.doc`, `.xls`, `.ppt`, `.msg`: an OLE compound file,
//! [MS-CFB]): its summary information property sets ([MS-OLEPS]).
//!
//! From the `\x05SummaryInformation` stream ([MS-OLEPS] 2.25.1): `PIDSI_AUTHOR` (4) as
//! `office.creator`, `PIDSI_LASTAUTHOR` (8) as `office.last_modified_by`, `PIDSI_CREATE_DTM`
//! (12) as `office.created`, `PIDSI_LASTSAVE_DTM` (13) as `office.modified`, `PIDSI_APPNAME`
//! (18) as `office.application`; from `\x05DocumentSummaryInformation` (2.25.3):
//! `PIDDSI_COMPANY` (15) as `office.company`.
//!
//! Strings: `VT_LPWSTR` (UTF-16LE) and `VT_LPSTR` in code page 1200 are converted to UTF-8;
//! other `VT_LPSTR` strings are kept as their bytes (text when they happen to be UTF-8, as
//! ASCII and code page 65001 are; otherwise hex), trailing NULs removed. Times are binary
//! `VT_FILETIME` values (100-ns intervals since 1601-01-01 UTC, [MS-DTYP] 2.3.3), so they are
//! written as RFC 3339 UTC to the second (`2017-04-27T10:02:00Z`); a zero time (not set) is not
//! claimed. The parser reads only within the stream's bytes and never trusts an offset.

use super::Claims;
use std::io::{Read, Seek};

/// The most bytes of a property set stream read (real ones are a few KiB).
const MAX_STREAM: u64 = 1 << 20;

/// The most properties looked at in one set.
const MAX_PROPERTIES: usize = 1024;

const SUMMARY: &[(u32, &str)] = &[
    (4, "office.creator"),
    (8, "office.last_modified_by"),
    (12, "office.created"),
    (13, "office.modified"),
    (18, "office.application"),
];
const DOCUMENT: &[(u32, &str)] = &[(15, "office.company")];

const VT_I2: u16 = 0x0002;
const VT_LPSTR: u16 = 0x001E;
const VT_LPWSTR: u16 = 0x001F;
const VT_FILETIME: u16 = 0x0040;
const CP_UTF16: u16 = 1200;

/// The claims of an OLE compound file (a damaged one gives none, and a note).
pub(crate) fn claims<R: Read + Seek>(reader: &mut R, claims: &mut Claims) {
    let mut file = match cfb::CompoundFile::open(reader) {
        Ok(file) => file,
        Err(e) => {
            claims.notes.push(format!(
                "its claims were not read: not a readable compound file ({e})"
            ));
            return;
        }
    };
    for (stream, keys) in [
        ("/\u{5}SummaryInformation", SUMMARY),
        ("/\u{5}DocumentSummaryInformation", DOCUMENT),
    ] {
        if !file.is_stream(stream) {
            continue;
        }
        let mut raw = Vec::new();
        let read = file
            .open_stream(stream)
            .and_then(|s| s.take(MAX_STREAM).read_to_end(&mut raw));
        match read {
            Ok(_) => property_set(&raw, keys, claims),
            Err(e) => claims
                .notes
                .push(format!("claims in {} not read: {e}", &stream[2..])),
        }
    }
}

/// Claims the properties named in `keys` from the first property set of a
/// PropertySetStream ([MS-OLEPS] 2.21; the set itself 2.20).
pub(crate) fn property_set(raw: &[u8], keys: &[(u32, &str)], claims: &mut Claims) {
    // ByteOrder 0xFFFE, Version, SystemIdentifier, CLSID, NumPropertySets, then FMTID0 and
    // Offset0 at 28 and 44.
    if u16_at(raw, 0) != Some(0xFFFE) || u32_at(raw, 24).is_none_or(|n| n == 0) {
        return;
    }
    let Some(set) = u32_at(raw, 44).and_then(|o| raw.get(o as usize..)) else {
        return;
    };
    let (Some(size), Some(count)) = (u32_at(set, 0), u32_at(set, 4)) else {
        return;
    };
    let set = &set[..(size as usize).min(set.len())];
    let mut ids = Vec::new();
    for i in 0..(count as usize).min(MAX_PROPERTIES) {
        match (u32_at(set, 8 + 8 * i), u32_at(set, 12 + 8 * i)) {
            (Some(id), Some(offset)) => ids.push((id, offset as usize)),
            _ => break,
        }
    }
    let code_page = ids
        .iter()
        .find(|(id, _)| *id == 1)
        .filter(|(_, at)| u16_at(set, *at) == Some(VT_I2))
        .and_then(|(_, at)| u16_at(set, at + 4));
    for (pid, key) in keys {
        if let Some(&(_, at)) = ids.iter().find(|(id, _)| id == pid)
            && let Some(value) = value(set, at, code_page)
        {
            claims.push(key, &value);
        }
    }
}

/// A TypedPropertyValue ([MS-OLEPS] 2.15) at `at`, as claim bytes.
fn value(set: &[u8], at: usize, code_page: Option<u16>) -> Option<Vec<u8>> {
    let kind = u16_at(set, at)?;
    let body = at.checked_add(4)?;
    match kind {
        VT_LPSTR => {
            // CodePageString (2.5): Size in bytes including the terminator, then the bytes.
            let size = u32_at(set, body)? as usize;
            let bytes = set.get(body + 4..(body + 4).checked_add(size)?)?;
            if code_page == Some(CP_UTF16) {
                return Some(utf16(bytes));
            }
            let end = bytes.iter().rposition(|&b| b != 0).map_or(0, |p| p + 1);
            Some(bytes[..end].to_vec())
        }
        VT_LPWSTR => {
            // UnicodeString (2.7): Length in characters including the terminator.
            let chars = u32_at(set, body)? as usize;
            let bytes = set.get(body + 4..(body + 4).checked_add(chars.checked_mul(2)?)?)?;
            Some(utf16(bytes))
        }
        VT_FILETIME => {
            let low = u64::from(u32_at(set, body)?);
            let high = u64::from(u32_at(set, body + 4)?);
            let ticks = high << 32 | low;
            if ticks == 0 {
                return None;
            }
            let secs = (ticks / 10_000_000) as i64 - 11_644_473_600;
            super::rfc3339(secs).map(String::into_bytes)
        }
        _ => None,
    }
}

/// UTF-16LE without its trailing NULs, as UTF-8; as the raw bytes if it is not valid UTF-16
/// (they then become a hex claim).
fn utf16(bytes: &[u8]) -> Vec<u8> {
    let units: Vec<u16> = bytes
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    let end = units.iter().rposition(|&u| u != 0).map_or(0, |p| p + 1);
    match String::from_utf16(&units[..end]) {
        Ok(s) => s.into_bytes(),
        Err(_) => bytes[..end * 2].to_vec(),
    }
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(
        b.get(at..at.checked_add(2)?)?.try_into().ok()?,
    ))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(
        b.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_offsets_claim_nothing() {
        let mut raw = vec![0xFE, 0xFF, 0, 0];
        raw.resize(48, 0);
        raw[24] = 1;
        raw[44..48].copy_from_slice(&u32::MAX.to_le_bytes());
        let mut claims = Claims::default();
        property_set(&raw, SUMMARY, &mut claims);
        raw[44..48].copy_from_slice(&48u32.to_le_bytes());
        raw.extend_from_slice(&100u32.to_le_bytes());
        raw.extend_from_slice(&u32::MAX.to_le_bytes()); // count
        raw.extend_from_slice(&4u32.to_le_bytes()); // PIDSI_AUTHOR
        raw.extend_from_slice(&u32::MAX.to_le_bytes()); // offset out of the set
        property_set(&raw, SUMMARY, &mut claims);
        assert!(claims.list.is_empty());
    }

    #[test]
    fn filetime() {
        // 2017-04-27T10:02:00Z
        let ticks: u64 = (1_493_287_320 + 11_644_473_600) * 10_000_000;
        let mut set = vec![0x40, 0, 0, 0];
        set.extend_from_slice(&ticks.to_le_bytes());
        assert_eq!(
            value(&set, 0, None).unwrap(),
            b"2017-04-27T10:02:00Z".to_vec()
        );
    }
}
