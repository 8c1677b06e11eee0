//! 7z archives (7-Zip's `DOC/7zFormat.txt`), decoded with `sevenz-rust2` after their header
//! was checked here ([`header`]). A 7z needs random access (its header is at the end): a
//! top-level one is read from the file, one inside a stream is held in memory within
//! `Limits::max_buffered`, like a nested zip.
//!
//! Members are decoded folder by folder ("solid blocks": one compressed stream holding many
//! files), each file's bytes streamed through the walker, never written out. Paths are the
//! stored names (UTF-16LE in the format) as UTF-8, never resolved. Directories are counted;
//! empty files are members; anti-items (deletion markers of an update archive) are listed as
//! not recorded. An encrypted folder (7-Zip's AES-256 coder) is not decrypted and no password is
//! asked for: its files are listed as not recorded and the archive has a note; an encrypted
//! header (`-mhe`) leaves nothing to list. A folder using a coder not supported here is noted
//! the same way. A cut archive loses its header (it is at the end): the note says so.
//!
//! The expansion ratio of a member is checked against the compressed bytes actually read
//! from the archive for its folder so far (never a size the header claims).

mod fields;
mod folder;
mod header;

use crate::found::{Completeness, Mtime};
use crate::limits::bytes;
use crate::meter::Packed;
use crate::walk::{Entry, Outcome, Walker};
use sevenz_rust2::{Archive, ArchiveEntry, BlockDecoder, Password};
use std::cell::Cell;
use std::io::{self, Cursor, Read, Seek, SeekFrom};
use std::rc::Rc;

/// Coder method IDs (7zFormat.txt, `Methods.txt`).
const COPY: &[u8] = &[0x00];
const LZMA: &[u8] = &[0x03, 0x01, 0x01];
const LZMA2: &[u8] = &[0x21];
const PPMD: &[u8] = &[0x03, 0x04, 0x01];
const BZIP2: &[u8] = &[0x04, 0x02, 0x02];
const BCJ2: &[u8] = &[0x03, 0x03, 0x01, 0x1B];
const AES: &[u8] = &[0x06, 0xF1, 0x07, 0x01];

/// Seconds between 1601-01-01 (the NT epoch of 7z times) and 1970-01-01.
const NT_TO_UNIX: i64 = 11_644_473_600;

/// A 7z found inside a stream: held in memory (within `max_buffered`), then read by [`seek`].
pub(crate) fn stream(
    w: &mut Walker,
    input: &mut dyn Read,
    parent: Option<u64>,
    depth: u32,
) -> (Completeness, Option<String>) {
    crate::meter::in_memory(
        w,
        input,
        "a 7z inside a stream is read in memory",
        "its members",
        |w, buf| seek(w, &mut Cursor::new(buf), parent, depth),
    )
}

/// Reads a 7z's members with random access.
pub(crate) fn seek<R: Read + Seek>(
    w: &mut Walker,
    reader: &mut R,
    parent: Option<u64>,
    depth: u32,
) -> (Completeness, Option<String>) {
    let limits = &w.shared.limits;
    let room = limits.max_buffered.saturating_sub(w.shared.buffered.get());
    let layout = match header::check(reader, room, limits.max_members) {
        Ok(layout) => layout,
        Err(refused) => return stopped(None, refused.why),
    };
    if layout.files == 0 {
        let c = Completeness {
            declared: Some(0),
            ..Completeness::default()
        };
        return (c, None);
    }
    if !w.shared.reserve(layout.memory) {
        return stopped(
            Some(layout.files),
            "its header does not fit in max_buffered".into(),
        );
    }
    let walked = match Archive::read(reader, &Password::empty()) {
        Ok(archive) => members(w, reader, &archive, &layout, parent, depth),
        Err(e) => stopped(Some(layout.files), format!("header unreadable: {e}")),
    };
    w.shared.release(layout.memory);
    walked
}

fn stopped(declared: Option<u64>, why: String) -> (Completeness, Option<String>) {
    let c = Completeness {
        declared,
        stopped: Some(why.clone()),
        ..Completeness::default()
    };
    (c, Some(why))
}

/// Every entry, in the archive's order: each folder decoded in turn, the entries without data
/// (directories, empty files, anti-items) visited where they stand.
fn members<R: Read + Seek>(
    w: &mut Walker,
    reader: &mut R,
    archive: &Archive,
    layout: &header::Layout,
    parent: Option<u64>,
    depth: u32,
) -> (Completeness, Option<String>) {
    let files = &archive.files;
    let mut c = Completeness {
        declared: Some(files.len() as u64),
        ..Completeness::default()
    };
    let mut done = vec![false; files.len()];
    let mut notes: Vec<String> = Vec::new();
    let mut next = 0;
    let count = Rc::new(Cell::new(0));
    let password = Password::empty();
    let mut counted = CountedSeek {
        inner: reader,
        count: count.clone(),
    };
    for (b, block) in archive.blocks.iter().enumerate() {
        let first = archive.stream_map.block_first_file_index[b];
        for (i, file) in files.iter().enumerate().take(first).skip(next) {
            no_data(w, file, i, &mut done, &mut c, parent, depth);
        }
        next = next.max(first);
        let why = if let Some(why) = w.shared.halted() {
            Some(why)
        } else if block.coders.iter().any(|c| c.encoder_method_id() == AES) {
            let why = "encrypted (7z AES-256): not decrypted, and no password is asked for";
            notes.push(format!("{why}: its members were not read"));
            Some(why.to_string())
        } else if block.coders.iter().any(|c| c.encoder_method_id() == BZIP2) {
            let why = "compressed with BZip2, which is not decoded here (the decoder at hand \
                       panics on some damaged data)";
            notes.push(format!("{why}: its members were not read"));
            Some(why.to_string())
        } else if !w.shared.reserve(layout.folder_memory[b]) {
            let why = format!(
                "decoding its folder needs about {} of memory (its dictionary), more than \
                 what is left of max_buffered ({})",
                bytes(layout.folder_memory[b]),
                bytes(w.shared.limits.max_buffered)
            );
            notes.push(why.clone());
            Some(why)
        } else {
            count.set(0);
            let mut k = 0;
            let mut cut = None;
            let decoder = BlockDecoder::new(1, b, archive, &password, &mut counted);
            let decoded = decoder.for_each_entries(&mut |file: &ArchiveEntry, data| {
                let i = first + k;
                k += 1;
                if let Some(why) = w.shared.halted() {
                    cut = Some(why);
                    return Ok(false);
                }
                done[i] = true;
                let outcome = if file.has_stream && !file.is_directory {
                    let mut entry = entry(file, parent, depth);
                    entry.packed = Packed::Live(count.clone());
                    w.member(entry, data)
                } else {
                    let outcome = no_data_outcome(w, file, parent, depth, &mut c);
                    match outcome {
                        Some(outcome) => outcome,
                        None => return Ok(true),
                    }
                };
                let whole = matches!(outcome, Outcome::Whole);
                c.record(file.name().as_bytes(), outcome);
                if !whole {
                    // The rest of this file was not read: what follows it in the folder's
                    // stream cannot be found without decompressing it.
                    cut = Some(
                        "not reached: an earlier member of its solid block was not read to \
                         its end"
                            .to_string(),
                    );
                }
                Ok(whole)
            });
            w.shared.release(layout.folder_memory[b]);
            match decoded {
                Err(e) => {
                    let why = format!("its solid block (7z folder) could not be decoded: {e}");
                    notes.push(why.clone());
                    Some(why)
                }
                Ok(_) => cut,
            }
        };
        let why = why.unwrap_or_else(|| "not reached in its folder".into());
        // A folder's files come in index order from its first, before the next folder's
        // (so this scan stays linear over the whole archive, however many folders).
        let blocks = &archive.stream_map.file_block_index;
        let own = (first..files.len()).take_while(|&i| blocks[i].is_none_or(|x| x <= b));
        for i in own.filter(|&i| blocks[i] == Some(b)) {
            if !done[i] {
                done[i] = true;
                c.record(files[i].name().as_bytes(), Outcome::Skipped(why.clone()));
            }
        }
    }
    for (i, file) in files.iter().enumerate().skip(next) {
        no_data(w, file, i, &mut done, &mut c, parent, depth);
    }
    if let Some(why) = w.shared.halted() {
        c.stopped.get_or_insert(why);
    }
    notes.dedup();
    let note = (!notes.is_empty()).then(|| notes.join("; "));
    (c, note)
}

/// An entry outside any folder: a directory, an empty file or an anti-item.
fn no_data(
    w: &mut Walker,
    file: &ArchiveEntry,
    i: usize,
    done: &mut [bool],
    c: &mut Completeness,
    parent: Option<u64>,
    depth: u32,
) {
    if done[i] {
        return;
    }
    done[i] = true;
    if let Some(why) = w.shared.halted() {
        c.record(file.name().as_bytes(), Outcome::Skipped(why));
        return;
    }
    if let Some(outcome) = no_data_outcome(w, file, parent, depth, c) {
        c.record(file.name().as_bytes(), outcome);
    }
}

/// What becomes of an entry with no data; `None` for a directory (counted here).
fn no_data_outcome(
    w: &mut Walker,
    file: &ArchiveEntry,
    parent: Option<u64>,
    depth: u32,
    c: &mut Completeness,
) -> Option<Outcome> {
    if file.is_anti_item {
        return Some(Outcome::Skipped(
            "anti-item: a marker that an update deletes this path, not a document".into(),
        ));
    }
    if file.is_directory {
        c.found += 1;
        c.directories += 1;
        return None;
    }
    Some(w.member(entry(file, parent, depth), &mut io::empty()))
}

fn entry(file: &ArchiveEntry, parent: Option<u64>, depth: u32) -> Entry {
    let mut entry = Entry::new(parent, depth, file.name().as_bytes().to_vec());
    if file.has_last_modified_date {
        let ticks = u64::from(file.last_modified_date);
        entry.mtime = Some(Mtime::Unix((ticks / 10_000_000) as i64 - NT_TO_UNIX));
    }
    entry
}

/// Counts the bytes read from the archive (a folder's compressed input, for `Packed::Live`).
struct CountedSeek<'a, R> {
    inner: &'a mut R,
    count: Rc<Cell<u64>>,
}

impl<R: Read> Read for CountedSeek<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.set(self.count.get() + n as u64);
        Ok(n)
    }
}

impl<R: Seek> Seek for CountedSeek<'_, R> {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.inner.seek(pos)
    }
}
