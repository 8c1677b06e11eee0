//! A zip's central directory judged before its members are read (PKWARE APPNOTE.TXT 6.3):
//! what the end record declares (4.3.16, zip64 4.3.14), the memory the `zip` crate will take
//! to read the directory, and the entries whose bytes overlap another's.

use crate::limits::bytes;
use crate::meter::Packed;
use crate::walk::Walker;
use std::collections::{HashMap, HashSet};
use std::io::{Read, Seek, SeekFrom};
use zip::ZipArchive;

/// Why a zip is not opened, judged from its end record alone; `None` when it may be, in which
/// case `held` bytes of `max_buffered` were taken for its directory.
pub(crate) fn refuse(w: &Walker, end: &End, held: u64) -> Option<String> {
    let limits = &w.shared.limits;
    if end.most_entries > limits.max_members {
        return Some(format!(
            "the end record declares {} entries, more than max_members ({}): the central \
             directory was not read and no member was looked for",
            end.most_entries, limits.max_members
        ));
    }
    let room = limits.max_buffered.saturating_sub(w.shared.buffered.get());
    if !w.shared.reserve(held) {
        return Some(format!(
            "the central directory ({}, {} entries) would take about {} in memory, more than \
             the {} left of max_buffered ({}): it was not read and no member was looked for",
            bytes(end.largest_dir),
            end.most_entries,
            bytes(held),
            bytes(room),
            bytes(limits.max_buffered)
        ));
    }
    None
}

/// About how much memory the `zip` crate takes for a central directory: each entry's record
/// is parsed into a structure of about 320 bytes, and its name and extra fields are held
/// about twice (as read, and decoded).
pub(crate) fn directory_memory(end: &End) -> u64 {
    end.largest_dir
        .saturating_mul(2)
        .saturating_add(end.most_entries.saturating_mul(320))
}

/// A member's compressed size, for its expansion ratio: as the directory or local header
/// says, but never more than the bytes the archive has after the member's data starts, so
/// that a lying size cannot raise the member's own ratio cap.
pub(crate) fn packed(claimed: u64, data_start: u64, len: u64) -> Packed {
    Packed::Fixed(claimed.min(len.saturating_sub(data_start)))
}

/// Byte ranges (local header to end of data) of entries that overlap an earlier one, mapped to
/// the entry they overlap.
pub(crate) fn overlaps<R: Read + Seek>(archive: &mut ZipArchive<R>) -> HashMap<usize, usize> {
    let mut ranges = Vec::new();
    for i in 0..archive.len() {
        if let Ok(f) = archive.by_index_raw(i) {
            let start = f.header_start();
            let data = f.data_start().unwrap_or(start);
            ranges.push((start, data.saturating_add(f.compressed_size()), i));
        }
    }
    ranges.sort_unstable();
    let mut overlapped = HashMap::new();
    let mut reach: Option<(u64, usize)> = None;
    for (start, end, i) in ranges {
        match reach {
            Some((far, owner)) if start < far => {
                overlapped.insert(i, owner);
            }
            _ => {}
        }
        if reach.is_none_or(|(far, _)| end > far) {
            reach = Some((end, i));
        }
    }
    overlapped
}

/// What the end of central directory record (APPNOTE 4.3.16) says, or the zip64 one (4.3.14)
/// when the former holds 0xFFFF or 0xFFFFFFFF placeholders.
pub(crate) struct End {
    /// Total number of entries in the central directory.
    pub entries: u64,
    /// Size of the central directory in bytes.
    pub dir_size: u64,
    /// The most entries any end record in the file's last 64 KiB declares (this one's, or
    /// an earlier one's, which the zip library may take instead).
    pub most_entries: u64,
    /// The largest directory any of them declares.
    pub largest_dir: u64,
}

/// The names the central directory gives more than once, one for each time after the first,
/// in the directory's order (APPNOTE 4.3.12: a file header is 46 bytes, then its name, extra
/// field and comment), read from `start` (where the `zip` crate found the directory) within
/// `max` bytes (what `refuse` held room for). The crate keeps one entry per name, so these
/// name the entries it does not give.
///
/// `None` unless the bytes read are what the crate read: `headers` file headers, no name
/// given again by an Info-ZIP Unicode Path field (0x7075, which the crate reads instead of
/// the header's name), and only names the crate holds. A hidden entry is then listed
/// without a name rather than under one an attacker chose.
pub(crate) fn repeated_names<R: Read + Seek>(
    r: &mut R,
    start: u64,
    max: u64,
    headers: u64,
    held: &HashSet<&[u8]>,
) -> Option<Vec<Vec<u8>>> {
    let mut dir = Vec::new();
    r.seek(SeekFrom::Start(start)).ok()?;
    r.take(max).read_to_end(&mut dir).ok()?;
    let u16_at = |i: usize| {
        dir.get(i..i + 2)
            .map(|b| usize::from(u16::from_le_bytes([b[0], b[1]])))
    };
    let mut seen = HashSet::new();
    let mut repeated = Vec::new();
    let (mut at, mut read) = (0, 0u64);
    while dir.get(at..).is_some_and(|d| d.starts_with(b"PK\x01\x02")) {
        let (name, extra, comment) = (u16_at(at + 28)?, u16_at(at + 30)?, u16_at(at + 32)?);
        let n = dir.get(at + 46..at + 46 + name)?;
        let mut fields = dir.get(at + 46 + name..at + 46 + name + extra)?;
        while let [a, b, c, d, rest @ ..] = fields {
            if u16::from_le_bytes([*a, *b]) == 0x7075 {
                return None;
            }
            fields = rest.get(usize::from(u16::from_le_bytes([*c, *d]))..)?;
        }
        if !held.contains(n) {
            return None;
        }
        if !seen.insert(n) {
            repeated.push(n.to_vec());
        }
        at += 46 + name + extra + comment;
        read += 1;
    }
    (read == headers).then_some(repeated)
}

pub(crate) fn end_record<R: Read + Seek>(r: &mut R) -> Option<End> {
    let len = r.seek(SeekFrom::End(0)).ok()?;
    let start = len.saturating_sub(22 + 65535);
    r.seek(SeekFrom::Start(start)).ok()?;
    let mut tail = Vec::new();
    r.take(len - start).read_to_end(&mut tail).ok()?;
    let mut records = (0..=tail.len().checked_sub(22)?)
        .rev()
        .filter(|&i| tail[i..].starts_with(b"PK\x05\x06"));
    let mut end = record_at(r, &tail, records.next()?)?;
    // The zip library takes an earlier record when the last one's directory does not read
    // (one planted in the comment, say): the limits are judged on the largest of them all,
    // or a planted small one would let a huge directory in.
    for at in records {
        if let Some(other) = record_at(r, &tail, at) {
            end.most_entries = end.most_entries.max(other.entries);
            end.largest_dir = end.largest_dir.max(other.dir_size);
        }
    }
    Some(end)
}

/// The end record at `at` in `tail` (the file's last bytes), or the zip64 one it points to.
fn record_at<R: Read + Seek>(r: &mut R, tail: &[u8], at: usize) -> Option<End> {
    let u16_at = |i: usize| {
        tail.get(at + i..at + i + 2)
            .map(|b| u64::from(u16::from_le_bytes([b[0], b[1]])))
    };
    let u32_at = |i: usize| {
        tail.get(at + i..at + i + 4)
            .and_then(|b| b.try_into().ok())
            .map(|b| u64::from(u32::from_le_bytes(b)))
    };
    let end = |entries, dir_size| End {
        entries,
        dir_size,
        most_entries: entries,
        largest_dir: dir_size,
    };
    let short = end(u16_at(10)?, u32_at(12)?);
    if short.entries != 0xFFFF && short.dir_size != 0xFFFF_FFFF {
        return Some(short);
    }
    let locator = tail.get(at.checked_sub(20)?..at)?;
    if !locator.starts_with(b"PK\x06\x07") {
        return Some(short);
    }
    let offset = u64::from_le_bytes(locator[8..16].try_into().ok()?);
    r.seek(SeekFrom::Start(offset)).ok()?;
    let mut record = [0u8; 48];
    r.read_exact(&mut record).ok()?;
    if !record.starts_with(b"PK\x06\x06") {
        return None;
    }
    Some(end(
        u64::from_le_bytes(record[32..40].try_into().ok()?),
        u64::from_le_bytes(record[40..48].try_into().ok()?),
    ))
}
