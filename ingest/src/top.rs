//! The top file: sniffed, hashed, and its members walked (`walk.rs`).
//!
//! A zip or 7z is read with random access through its directory, and a PDF or OOXML document's
//! claims from where its format keeps them, so the top file's own hash is a pass of its own
//! over the file. Given a second reader of the same bytes (a twin), that pass runs on another
//! thread while the members are walked; the walk is then the same as if the file had been
//! hashed first: the bytes it hashed are counted before the members are read, as they would
//! have been, and a read error or a length other than the one given fails the walk.

use crate::claimed;
use crate::fingerprint::Printer;
use crate::found::{Hashed, Summary};
use crate::limits::Limits;
use crate::meter::{Packed, Shared, Source};
use crate::sniff::{Kind, SNIFF_LEN, sniff};
use crate::walk::{Got, Leaf, Visit, Walker};
use crate::{Error, Tlsh, sevenz, zip};
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{self, BufReader, Read, Seek};
use std::path::Path;

/// Walks the file at `path`: finds its members recursively, hashes each, and calls `visit`
/// for each (see the module documentation for the order). A top-level zip is read with random
/// access from the file (and hashed on a second thread, reading the same file); anything
/// else is streamed. Returns the top file's [`Summary`].
///
/// Fails only when the file cannot be opened or read: damaged or hostile content is never an
/// error, it is a note on the member concerned.
pub fn walk(path: &Path, limits: &Limits, visit: &mut Visit<'_>) -> Result<Summary, Error> {
    limits.check()?;
    let open_err = |source| Error::Open {
        path: path.to_path_buf(),
        source,
    };
    let file = File::open(path).map_err(open_err)?;
    let size = file.metadata().map_err(open_err)?.len();
    let what = path.display().to_string();
    #[cfg(unix)]
    {
        // The same open file, read at a position of its own.
        let mut twin = BufReader::with_capacity(
            buffer_for(size),
            At {
                file: &file,
                pos: 0,
            },
        );
        walk_seekable_twin(&file, Some(&mut twin), size, &what, limits, visit)
    }
    #[cfg(not(unix))]
    walk_seekable_twin(file, None, size, &what, limits, visit)
}

/// A file read from a position of its own, so that two threads can read it at once.
#[cfg(unix)]
struct At<'f> {
    file: &'f File,
    pos: u64,
}

#[cfg(unix)]
impl Read for At<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        use std::os::unix::fs::FileExt;
        let n = self.file.read_at(buf, self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}

/// Walks a file the caller already opened (and checked), like [`walk`]: `size` is its length,
/// which bounds the walk's expansion ratio, and `what` names it in errors. The reader is
/// read from its start; a top-level zip is read with random access.
///
/// # Errors
/// [`Error::Read`] when it cannot be read; [`Error::Limits`] for limits that make no sense.
pub fn walk_seekable<R: Read + Seek>(
    reader: R,
    size: u64,
    what: &str,
    limits: &Limits,
    visit: &mut Visit<'_>,
) -> Result<Summary, Error> {
    walk_seekable_twin(reader, None, size, what, limits, visit)
}

/// Walks a file as [`walk_seekable`] does; `twin`, a second reader of the same bytes from
/// their start, lets a top-level zip, 7z, PDF or OOXML document be hashed on another thread
/// while its members (or claims) are read through `reader`, when it is at least
/// `limits.parallel_from` bytes long. The result is the same.
///
/// # Errors
/// As [`walk_seekable`]; also [`Error::Read`] when the twin's bytes are not `size` long.
pub fn walk_seekable_twin<R: Read + Seek>(
    reader: R,
    twin: Option<&mut (dyn Read + Send)>,
    size: u64,
    what: &str,
    limits: &Limits,
    visit: &mut Visit<'_>,
) -> Result<Summary, Error> {
    limits.check()?;
    let read_err = |source| Error::Read {
        what: what.to_string(),
        source,
    };
    let mut file = reader;
    file.rewind().map_err(read_err)?;
    let mut head = Vec::with_capacity(SNIFF_LEN);
    (&mut file)
        .take(SNIFF_LEN as u64)
        .read_to_end(&mut head)
        .map_err(read_err)?;
    file.rewind().map_err(read_err)?;
    let shared = Shared::new(limits.clone(), Some(size));
    let mut walker = Walker::new(shared.clone(), visit);
    // A reader without `read_buf` (std's is unstable) has its buffer zeroed before the
    // first read: 256 KiB for each 1 KiB file was 9% of an `add` of such files.
    let mut source = Source {
        inner: BufReader::with_capacity(buffer_for(size), file),
        shared: shared.clone(),
    };
    let kind = sniff(&head);
    if !(kind == Kind::Zip || kind == Kind::SevenZip || claimed::reads_bytes(kind)) {
        let top = walker.inspect(0, &mut source, Packed::No, Leaf::No);
        return walker.finish(top, what.to_string());
    }
    // Random access from the file: hash it, and read members through the central directory
    // (a 7z's header), so a big archive is never held in memory; or read the claims of a
    // document from where its format keeps them (a PDF's trailer, an OOXML package's
    // directory), so it is not held in memory either. Hashing the whole file never reaches
    // a limit unless it is larger than max_total_bytes: only then is it hashed first.
    let twin = twin.filter(|_| size <= shared.total_cap && size >= limits.parallel_from);
    shared.read_ahead.set(twin.is_some());
    let top = std::thread::scope(|scope| {
        let hashing = twin.and_then(|twin| {
            std::thread::Builder::new()
                .name("top-hash".into())
                .spawn_scoped(scope, move || hash(twin, size))
                .ok()
        });
        let Some(hashing) = hashing else {
            let top = walker.inspect(0, &mut source, Packed::No, Leaf::Opaque);
            let read = shared.source_error.borrow().is_none();
            return inside(&mut walker, &mut source, &shared, top, kind, read);
        };
        // As if hashed first: its bytes count towards the walk's total before the members.
        shared.total.set(size);
        let top = Got {
            kind: Kind::Opaque,
            sha256: [0; 32],
            size,
            hashed: Hashed::Content,
            note: None,
            completeness: None,
            claims: Default::default(),
            fingerprints: Default::default(),
        };
        let mut top = inside(&mut walker, &mut source, &shared, top, kind, true);
        match hashing.join() {
            Ok(Ok((sha256, print, n))) if n == size => {
                top.sha256 = sha256;
                top.fingerprints.bytes = print;
            }
            Ok(Ok((_, _, n))) => fail(
                &shared,
                io::Error::other(format!(
                    "it is {n} bytes long, not {size}: it changed while it was read"
                )),
            ),
            Ok(Err(e)) => fail(&shared, e),
            Err(_) => fail(&shared, io::Error::other("the thread hashing it failed")),
        }
        top
    });
    walker.finish(top, what.to_string())
}

/// Records an error reading the top file: the walk fails with it.
fn fail(shared: &Shared, e: io::Error) {
    shared.source_error.borrow_mut().get_or_insert(e);
}

/// The SHA-256, TLSH and length of all that `twin` gives (a file of `size` bytes).
fn hash(twin: &mut (dyn Read + Send), size: u64) -> io::Result<([u8; 32], Option<Tlsh>, u64)> {
    let mut hasher = Sha256::new();
    let mut printer = Printer::new();
    let mut buf = vec![0u8; buffer_for(size)];
    let mut n = 0u64;
    loop {
        let got = match twin.read(&mut buf) {
            Ok(0) => break,
            Ok(got) => got,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        hasher.update(&buf[..got]);
        printer.update(&buf[..got]);
        n += got as u64;
    }
    Ok((hasher.finalize().into(), printer.finish(), n))
}

/// Reads what is inside the top file (`top`, already hashed, or being hashed): its members,
/// or its claims; `read` is whether the file could be read so far.
fn inside<R: Read + Seek>(
    walker: &mut Walker,
    source: &mut Source<R>,
    shared: &Shared,
    mut top: Got,
    kind: Kind,
    read: bool,
) -> Got {
    top.kind = kind;
    if !read || source.rewind().is_err() {
        return top;
    }
    if kind == Kind::Zip {
        let (completeness, note) = zip::seek(walker, source, None, 1);
        if let Some(claims) = walker.office.take() {
            top.kind = Kind::Office;
            top.claims = claims;
        } else {
            top.completeness = Some(completeness);
            top.note = note;
        }
    } else if kind == Kind::SevenZip {
        let (completeness, note) = sevenz::seek(walker, source, None, 1);
        top.completeness = Some(completeness);
        top.note = note;
    } else {
        top.claims = claimed::from_seekable(kind, source);
        if kind == Kind::Pdf {
            top.fingerprints.text = top_pdf_text(source, shared);
        }
    }
    if let Some(text) = top.claims.text.take() {
        top.fingerprints.text = Some(text);
    }
    let notes = std::mem::take(&mut top.claims.notes);
    top.note = top
        .note
        .into_iter()
        .chain(notes)
        .reduce(|a, b| a + "; " + &b);
    top
}

/// Walks what `reader` gives, like [`walk`]; a top-level zip is held in memory (up to
/// `Limits::max_buffered`), and the expansion ratio of the whole walk is not bounded since
/// the input's size is not known (each member's still is).
pub fn walk_reader(
    reader: &mut dyn Read,
    limits: &Limits,
    visit: &mut Visit<'_>,
) -> Result<Summary, Error> {
    limits.check()?;
    let shared = Shared::new(limits.clone(), None);
    let mut walker = Walker::new(shared.clone(), visit);
    let mut source = Source {
        inner: reader,
        shared,
    };
    let top = walker.inspect(0, &mut source, Packed::No, Leaf::No);
    walker.finish(top, "input".into())
}

/// The text fingerprint of a top-level PDF, read whole from the file for it within
/// `max_claimed` (a larger one gets none).
fn top_pdf_text<R: Read + Seek>(source: &mut R, shared: &Shared) -> Option<Tlsh> {
    let max = shared.limits.max_claimed;
    source.rewind().ok()?;
    let mut raw = Vec::new();
    source
        .take(max.saturating_add(1))
        .read_to_end(&mut raw)
        .ok()?;
    if raw.len() as u64 > max {
        return None;
    }
    crate::text::pdf(&raw)
}

/// A read buffer no larger than the file (8 KiB to 256 KiB): see `walk_seekable_twin`.
fn buffer_for(size: u64) -> usize {
    usize::try_from(size).map_or(1 << 18, |s| s.clamp(1 << 13, 1 << 18))
}
