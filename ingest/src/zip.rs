//! Zip archives (PKWARE APPNOTE.TXT 6.3): members are read through the central directory
//! (4.3.12), with random access. A zip nested in a stream is held in memory for that, up to
//! `Limits::max_buffered`.
//!
//! Hostile archives: an entry whose bytes overlap another entry's (the "overlapping entries"
//! zip bomb; APPNOTE gives each entry its own local header and data, 4.3.6) is not extracted;
//! an encrypted entry (traditional PKWARE encryption 6.1, or WinZip AES) or one compressed
//! with a method not supported here is hashed as stored, with a note; an archive whose central
//! directory cannot be read (cut short) is read from its local headers (4.3.7) up to the cut.

use crate::ahead::Ahead;
use crate::found::{Completeness, Link, Mtime};
use crate::walk::{Entry, Leaf, Outcome, Walker};
use crate::zip_directory::{directory_memory, end_record, overlaps, packed, refuse};
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
    let declared = end.as_ref().map(|e| e.entries);
    let walked = match ZipArchive::new(&mut *reader) {
        Ok(mut archive) => {
            // An OOXML or ODF package is one document, not a container (claimed/office.rs).
            w.office = crate::claimed::office::detect(&mut archive);
            if w.office.is_some() {
                (Completeness::default(), None)
            } else {
                let mut c = central(w, &mut archive, declared, parent, depth, len);
                if archive.has_duplicate_names() {
                    let start = archive.central_directory_start();
                    let held: Vec<Vec<u8>> = archive.file_names_raw().map(<[u8]>::to_vec).collect();
                    drop(archive);
                    let held = held.iter().map(Vec::as_slice).collect();
                    let names = end.as_ref().and_then(|end| {
                        crate::zip_directory::repeated_names(
                            reader,
                            start,
                            end.dir_size,
                            end.entries,
                            &held,
                        )
                    });
                    name_repeated(&mut c, names.unwrap_or_default());
                }
                (c, None)
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

/// Why an entry whose name the directory repeats is not recorded.
const REPEATS: &str = "not read: its name repeats another entry's name, and the zip library \
                       keeps one entry per name (the one read may be a decoy)";

/// Names the entries listed as not read for a repeated name, in the directory's order: when
/// there is a name for each (those past the list's cap are counted, not listed), and none
/// otherwise.
fn name_repeated(c: &mut Completeness, names: Vec<Vec<u8>>) {
    let hidden = |(path, why): &&mut (Vec<u8>, String)| path.is_empty() && why == REPEATS;
    let listed = c.not_recorded.iter_mut().filter(hidden).count();
    if listed > names.len() || (listed < names.len() && c.not_recorded_more == 0) {
        return;
    }
    for ((path, _), name) in c.not_recorded.iter_mut().filter(hidden).zip(names) {
        *path = name;
    }
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
            REPEATS.to_string()
        } else {
            "declared by the end record, and not in the directory".to_string()
        };
        // Each is an entry of the container that was reached and not recorded: counted and
        // listed one by one, so that found = directories + recorded + not recorded holds
        // (named once the archive is read: `name_repeated`).
        for _ in 0..missing {
            c.record(&[], Outcome::Skipped(why.clone()));
        }
    }
    let at = Within {
        parent,
        depth,
        len,
        overlapped: overlaps(archive),
    };
    // A top-level zip's small members are decoded ahead on a second thread (ahead.rs) when
    // the walk has a second reader of the file, within a window of its own on top of
    // max_buffered, so that every limit meets what it
    // met without read-ahead.
    std::thread::scope(|scope| {
        let mut ahead = if depth == 1 && w.shared.read_ahead.get() {
            Ahead::start(scope)
        } else {
            None
        };
        for i in 0..archive.len() {
            if let Some(why) = w.shared.halted() {
                // The directory names what was not reached: list it.
                for name in archive.file_names_raw().skip(i) {
                    c.record(name, Outcome::Skipped(why.clone()));
                }
                c.stopped = Some(why);
                break;
            }
            if let Some(a) = &mut ahead {
                a.fill(&w.shared, archive, &at.overlapped, i);
            }
            match member(w, archive, i, &at, &mut ahead) {
                Some((path, outcome)) => c.record(&path, outcome),
                None => {
                    c.found += 1;
                    c.directories += 1;
                }
            }
        }
    });
    c
}

/// Where a zip's entries are: what `member` needs besides the entry.
struct Within {
    parent: Option<u64>,
    depth: u32,
    /// The zip's length.
    len: u64,
    /// Entries whose bytes overlap an earlier entry's (see [`overlaps`]).
    overlapped: HashMap<usize, usize>,
}

/// Reads entry `i` of a zip's central directory: `None` for a directory, else its path and
/// what became of it.
fn member<R: Read + Seek>(
    w: &mut Walker,
    archive: &mut ZipArchive<R>,
    i: usize,
    at: &Within,
    ahead: &mut Option<Ahead>,
) -> Option<(Vec<u8>, Outcome)> {
    let opened = archive.by_index_raw(i).map(|f| {
        let mut entry = Entry::new(at.parent, at.depth, f.name_raw().to_vec());
        entry.mtime = mtime(&f);
        let start = f.data_start().unwrap_or(f.header_start());
        entry.packed = packed(f.compressed_size(), start, at.len);
        (entry, f.is_dir(), f.encrypted(), f.is_symlink())
    });
    let (mut entry, encrypted, symlink) = match opened {
        Ok((_, true, _, _)) => return None,
        Ok((entry, false, encrypted, symlink)) => (entry, encrypted, symlink),
        Err(e) => {
            let name = archive.name_for_index(i).and_then(Result::ok);
            let name = name.map(|n| n.as_bytes().to_vec()).unwrap_or_default();
            return Some((name, Outcome::Skipped(format!("unreadable entry: {e}"))));
        }
    };
    let path = entry.path.clone();
    if let Some(other) = at.overlapped.get(&i) {
        let why = format!(
            "overlapping entries: its bytes overlap those of entry {other} (a zip bomb \
             pattern; APPNOTE gives each entry its own bytes): not extracted"
        );
        return Some((path, Outcome::Skipped(why)));
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
    } else if let Some((whole, cost)) = ahead.as_mut().and_then(|a| a.take(i)) {
        // Decoded ahead; or, when it could not be, read here as below.
        let outcome = match whole {
            Some(whole) => {
                entry.whole = Some(whole);
                w.member(entry, &mut io::empty())
            }
            None => decoded(w, archive, i, entry),
        };
        if let Some(a) = ahead {
            a.walked(cost);
        }
        outcome
    } else {
        decoded(w, archive, i, entry)
    };
    Some((path, outcome))
}

/// Reads an entry through the `zip` crate's decoder; one it cannot decode is hashed as
/// stored, with a note.
fn decoded<R: Read + Seek>(
    w: &mut Walker,
    archive: &mut ZipArchive<R>,
    i: usize,
    entry: Entry,
) -> Outcome {
    let failed = match archive.by_index(i) {
        Ok(mut f) => Ok(w.member(entry, &mut f)),
        Err(e) => Err((e, entry)),
    };
    match failed {
        Ok(outcome) => outcome,
        Err((
            e @ (ZipError::UnsupportedArchive(_) | ZipError::CompressionMethodNotSupported(_)),
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
