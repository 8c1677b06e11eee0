//! Zip archives (PKWARE APPNOTE.TXT 6.3): members are read through the central directory
//! (4.3.12), with random access. A zip nested in a stream is held in memory for that, up to
//! `Limits::max_buffered`.
//!
//! Hostile archives: an entry whose bytes overlap another entry's (the "overlapping entries"
//! zip bomb; APPNOTE gives each entry its own local header and data, 4.3.6) is not extracted;
//! an encrypted entry (traditional PKWARE encryption 6.1, or WinZip AES) or one compressed
//! with a method not supported here is hashed as stored, with a note; an archive whose central
//! directory cannot be read (cut short) is read from its local headers (4.3.7) up to the cut.

use crate::found::{Completeness, Link, Mtime};
use crate::limits::bytes;
use crate::meter::Packed;
use crate::walk::{Entry, Leaf, Outcome, Walker};
use std::collections::HashMap;
use std::io::{self, Cursor, Read, Seek, SeekFrom};
use zip::result::ZipError;
use zip::{ExtraField, ZipArchive};

/// A symlink's target is at most this long (PATH_MAX on Linux).
const MAX_LINK: u64 = 4096;

/// A zip found inside a stream: held in memory (within `max_buffered`), then read by
/// [`seek`].
pub(crate) fn stream(
    w: &mut Walker,
    input: &mut dyn Read,
    parent: Option<u64>,
    depth: u32,
) -> (Completeness, Option<String>) {
    crate::meter::in_memory(
        w,
        input,
        "a zip inside a stream is read in memory",
        "its members",
        |w, buf| seek(w, &mut Cursor::new(buf), parent, depth),
    )
}

/// Reads a zip's members with random access.
///
/// The `zip` crate reads the whole central directory into memory first, so the end record is
/// read before it: a zip declaring more entries than `max_members`, or whose directory would
/// take more than what is left of `max_buffered` (see [`directory_memory`]), is refused with
/// a note, and the memory the directory takes is held against `max_buffered` meanwhile.
pub(crate) fn seek<R: Read + Seek>(
    w: &mut Walker,
    reader: &mut R,
    parent: Option<u64>,
    depth: u32,
) -> (Completeness, Option<String>) {
    let len = reader.seek(SeekFrom::End(0)).unwrap_or(u64::MAX);
    let end = end_record(reader);
    let held = end.as_ref().map_or(0, directory_memory);
    if let Some(why) = end.as_ref().and_then(|end| refuse(w, end, held)) {
        let c = Completeness {
            declared: end.map(|e| e.entries),
            stopped: Some(why.clone()),
            ..Completeness::default()
        };
        return (c, Some(why));
    }
    let declared = end.map(|e| e.entries);
    let walked = match ZipArchive::new(&mut *reader) {
        Ok(mut archive) => {
            // An OOXML or ODF package is one document, not a container (claimed/office.rs).
            w.office = crate::claimed::office::detect(&mut archive);
            if w.office.is_some() {
                (Completeness::default(), None)
            } else {
                (central(w, &mut archive, declared, parent, depth, len), None)
            }
        }
        Err(e) => {
            let note = format!(
                "central directory unreadable ({e}): members read from their local headers"
            );
            let mut c = Completeness::default();
            if reader.seek(SeekFrom::Start(0)).is_ok() {
                local(w, reader, parent, depth, len, &mut c);
            }
            (c, Some(note))
        }
    };
    w.shared.release(held);
    walked
}

/// Why a zip is not opened, judged from its end record alone; `None` when it may be, in which
/// case `held` bytes of `max_buffered` were taken for its directory.
fn refuse(w: &Walker, end: &End, held: u64) -> Option<String> {
    let limits = &w.shared.limits;
    if end.entries > limits.max_members {
        return Some(format!(
            "the end record declares {} entries, more than max_members ({}): the central \
             directory was not read and no member was looked for",
            end.entries, limits.max_members
        ));
    }
    let room = limits.max_buffered.saturating_sub(w.shared.buffered.get());
    if !w.shared.reserve(held) {
        return Some(format!(
            "the central directory ({}, {} entries) would take about {} in memory, more than \
             the {} left of max_buffered ({}): it was not read and no member was looked for",
            bytes(end.dir_size),
            end.entries,
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
fn directory_memory(end: &End) -> u64 {
    end.dir_size
        .saturating_mul(2)
        .saturating_add(end.entries.saturating_mul(320))
}

/// A member's compressed size, for its expansion ratio: as the directory or local header
/// says, but never more than the bytes the archive has after the member's data starts, so
/// that a lying size cannot raise the member's own ratio cap.
fn packed(claimed: u64, data_start: u64, len: u64) -> Packed {
    Packed::Fixed(claimed.min(len.saturating_sub(data_start)))
}

/// Byte ranges (local header to end of data) of entries that overlap an earlier one, mapped to
/// the entry they overlap.
fn overlaps<R: Read + Seek>(archive: &mut ZipArchive<R>) -> HashMap<usize, usize> {
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
struct End {
    /// Total number of entries in the central directory.
    entries: u64,
    /// Size of the central directory in bytes.
    dir_size: u64,
}

fn end_record<R: Read + Seek>(r: &mut R) -> Option<End> {
    let len = r.seek(SeekFrom::End(0)).ok()?;
    let start = len.saturating_sub(22 + 65535);
    r.seek(SeekFrom::Start(start)).ok()?;
    let mut tail = Vec::new();
    r.take(len - start).read_to_end(&mut tail).ok()?;
    let at = (0..=tail.len().checked_sub(22)?)
        .rev()
        .find(|&i| tail[i..].starts_with(b"PK\x05\x06"))?;
    let u16_at = |i: usize| u64::from(u16::from_le_bytes([tail[at + i], tail[at + i + 1]]));
    let u32_at = |i: usize| {
        u64::from(u32::from_le_bytes(
            tail[at + i..at + i + 4].try_into().unwrap_or_default(),
        ))
    };
    let short = End {
        entries: u16_at(10),
        dir_size: u32_at(12),
    };
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
    Some(End {
        entries: u64::from_le_bytes(record[32..40].try_into().ok()?),
        dir_size: u64::from_le_bytes(record[40..48].try_into().ok()?),
    })
}

fn central<R: Read + Seek>(
    w: &mut Walker,
    archive: &mut ZipArchive<R>,
    declared: Option<u64>,
    parent: Option<u64>,
    depth: u32,
    len: u64,
) -> Completeness {
    let listed = archive.len() as u64;
    let mut c = Completeness {
        declared: Some(declared.unwrap_or(listed).max(listed)),
        ..Completeness::default()
    };
    if let Some(missing) = declared
        .and_then(|d| d.checked_sub(listed))
        .filter(|&m| m > 0)
    {
        let why = if archive.has_duplicate_names() {
            "not read: its name repeats another entry's name, and the zip library keeps one \
             entry per name (the one read may be a decoy)"
                .to_string()
        } else {
            "declared by the end record, and not in the directory".to_string()
        };
        // Each is an entry of the container that was reached and not recorded: counted and
        // listed one by one, so that found = directories + recorded + not recorded holds.
        for _ in 0..missing {
            c.record(&[], Outcome::Skipped(why.clone()));
        }
    }
    let overlapped = overlaps(archive);
    for i in 0..archive.len() {
        if let Some(why) = w.shared.halted() {
            // The directory names what was not reached: list it.
            for name in archive.file_names_raw().skip(i) {
                c.record(name, Outcome::Skipped(why.clone()));
            }
            c.stopped = Some(why);
            break;
        }
        let opened = archive.by_index_raw(i).map(|f| {
            let mut entry = Entry::new(parent, depth, f.name_raw().to_vec());
            entry.mtime = mtime(&f);
            let start = f.data_start().unwrap_or(f.header_start());
            entry.packed = packed(f.compressed_size(), start, len);
            (entry, f.is_dir(), f.encrypted(), f.is_symlink())
        });
        let (mut entry, encrypted, symlink) = match opened {
            Ok((_, true, _, _)) => {
                c.found += 1;
                c.directories += 1;
                continue;
            }
            Ok((entry, false, encrypted, symlink)) => (entry, encrypted, symlink),
            Err(e) => {
                let name = archive.name_for_index(i).and_then(Result::ok);
                let name = name.map(|n| n.as_bytes().to_vec()).unwrap_or_default();
                c.record(&name, Outcome::Skipped(format!("unreadable entry: {e}")));
                continue;
            }
        };
        let path = entry.path.clone();
        if let Some(other) = overlapped.get(&i) {
            let why = format!(
                "overlapping entries: its bytes overlap those of entry {other} (a zip bomb \
                 pattern; APPNOTE gives each entry its own bytes): not extracted"
            );
            c.record(&path, Outcome::Skipped(why));
            continue;
        }
        let outcome = if encrypted {
            entry.leaf = Leaf::Stored(
                "encrypted (traditional PKWARE or AES): the stored bytes are hashed, not \
                 decrypted"
                    .into(),
            );
            match archive.by_index_raw(i) {
                Ok(mut f) => w.member(entry, &mut f),
                Err(e) => Outcome::Skipped(format!("unreadable entry: {e}")),
            }
        } else if symlink {
            match archive.by_index(i) {
                Ok(f) => link(w, entry, f),
                Err(e) => Outcome::Skipped(format!("unreadable entry: {e}")),
            }
        } else {
            let failed = match archive.by_index(i) {
                Ok(mut f) => Ok(w.member(entry, &mut f)),
                Err(e) => Err((e, entry)),
            };
            match failed {
                Ok(outcome) => outcome,
                Err((
                    e @ (ZipError::UnsupportedArchive(_)
                    | ZipError::CompressionMethodNotSupported(_)),
                    mut entry,
                )) => {
                    entry.leaf = Leaf::Stored(format!(
                        "{e}: the stored (compressed) bytes are hashed, not decoded"
                    ));
                    match archive.by_index_raw(i) {
                        Ok(mut f) => w.member(entry, &mut f),
                        Err(e) => Outcome::Skipped(format!("unreadable entry: {e}")),
                    }
                }
                Err((e, _)) => Outcome::Skipped(format!("unreadable entry: {e}")),
            }
        };
        c.record(&path, outcome);
    }
    c
}

/// A zip whose central directory is missing or damaged: entries in order from their local
/// headers, until the data ends or stops making sense.
fn local<R: Read>(
    w: &mut Walker,
    reader: &mut R,
    parent: Option<u64>,
    depth: u32,
    len: u64,
    c: &mut Completeness,
) {
    loop {
        if let Some(why) = w.shared.halted() {
            c.stopped = Some(why);
            return;
        }
        match zip::read::read_zipfile_from_stream(reader) {
            Ok(Some(mut f)) => {
                let mut entry = Entry::new(parent, depth, f.name_raw().to_vec());
                if f.is_dir() {
                    c.found += 1;
                    c.directories += 1;
                    continue;
                }
                entry.mtime = mtime(&f);
                entry.packed = packed(f.compressed_size(), f.data_start().unwrap_or(0), len);
                let path = entry.path.clone();
                let outcome = if f.encrypted() {
                    Outcome::Skipped("encrypted, and no central directory to read it".into())
                } else {
                    w.member(entry, &mut f)
                };
                c.record(&path, outcome);
            }
            Ok(None) => return,
            Err(e) => {
                c.stopped = Some(format!("local headers end in damage: {e}"));
                return;
            }
        }
    }
}

fn link<R: Read>(w: &mut Walker, mut entry: Entry, f: zip::read::ZipFile<'_, R>) -> Outcome {
    let mut target = Vec::new();
    if let Err(e) = f.take(MAX_LINK).read_to_end(&mut target) {
        return Outcome::Skipped(format!("unreadable symlink target: {e}"));
    }
    entry.leaf = Leaf::Link(Link {
        hard: false,
        target,
    });
    w.member(entry, &mut io::empty())
}

/// The extended timestamp (0x5455, Unix seconds) if present, else the MS-DOS date and time
/// (APPNOTE 4.4.6), which has no time zone.
fn mtime<R: Read>(f: &zip::read::ZipFile<'_, R>) -> Option<Mtime> {
    for field in f.extra_data_fields() {
        if let ExtraField::ExtendedTimestamp(ts) = field
            && let Some(t) = ts.mod_time()
        {
            return Some(Mtime::Unix(i64::from(t)));
        }
    }
    let t = f.last_modified()?;
    Some(Mtime::Local(format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )))
}
