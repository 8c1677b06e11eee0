//! The walk: every member read once, hashed while its own parser reads it, visited depth
//! first with each container before its members.
//!
//! A container's SHA-256 is known only once all its bytes were read, and its members are found
//! while reading them. So that a caller can record a container before what it contains (a
//! ledger entry may only link to earlier entries), the [`Found`]s of a container's members are
//! held (metadata only, never content) until the container is finished, then the container is
//! visited, then its members. Members of the top file that are not containers are visited as
//! soon as they are read.

use crate::claimed::{self, Claims};
use crate::fingerprint::{self, Fingerprints, Tlsh};
use crate::found::{Completeness, Found, Hashed, Link, Mtime, Summary};
use crate::limits::Limits;
use crate::meter::{Meter, Packed, Shared, Source};
use crate::sniff::{Kind, SNIFF_LEN, sniff};
use crate::{Error, email, gzip, mbox, sevenz, tar, zip};
use std::fs::File;
use std::io::{BufReader, Cursor, Read, Seek};
use std::ops::ControlFlow;
use std::path::Path;
use std::rc::Rc;

/// The visitor: called once per member, in order; `ControlFlow::Break` ends the walk.
pub type Visit<'v> = dyn FnMut(Found) -> ControlFlow<()> + 'v;

/// Walks the file at `path`: finds its members recursively, hashes each, and calls `visit`
/// for each (see the module documentation for the order). A top-level zip is read with random
/// access from the file; anything else is streamed. Returns the top file's [`Summary`].
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
    walk_seekable(file, size, &path.display().to_string(), limits, visit)
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
    let capacity = usize::try_from(size).map_or(1 << 18, |s| s.clamp(1 << 13, 1 << 18));
    let mut source = Source {
        inner: BufReader::with_capacity(capacity, file),
        shared: shared.clone(),
    };
    let kind = sniff(&head);
    let top = if kind == Kind::Zip || kind == Kind::SevenZip || claimed::reads_bytes(kind) {
        // Random access from the file: hash it first, then read members through the
        // central directory (a 7z's header), so a big archive is never held in memory; or
        // read the claims of a document from where its format keeps them (a PDF's trailer,
        // an OOXML package's directory), so it is not held in memory either.
        let mut top = walker.inspect(0, &mut source, Packed::No, Leaf::Opaque);
        top.kind = kind;
        if shared.source_error.borrow().is_none() && source.rewind().is_ok() {
            if kind == Kind::Zip {
                let (completeness, note) = zip::seek(&mut walker, &mut source, None, 1);
                if let Some(claims) = walker.office.take() {
                    top.kind = Kind::Office;
                    top.claims = claims;
                } else {
                    top.completeness = Some(completeness);
                    top.note = note;
                }
            } else if kind == Kind::SevenZip {
                let (completeness, note) = sevenz::seek(&mut walker, &mut source, None, 1);
                top.completeness = Some(completeness);
                top.note = note;
            } else {
                top.claims = claimed::from_seekable(kind, &mut source);
                if kind == Kind::Pdf {
                    top.fingerprints.text = top_pdf_text(&mut source, &shared);
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
        }
        top
    } else {
        walker.inspect(0, &mut source, Packed::No, Leaf::No)
    };
    walker.finish(top, what.to_string())
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

/// What the parsers tell the walker about one member besides its bytes.
pub(crate) struct Entry {
    pub parent: Option<u64>,
    pub path: Vec<u8>,
    pub locator: Option<String>,
    /// This member's depth: 1 for members of the top file.
    pub depth: u32,
    pub mtime: Option<Mtime>,
    pub media_type: Option<String>,
    pub packed: Packed,
    pub leaf: Leaf,
}

impl Entry {
    pub fn new(parent: Option<u64>, depth: u32, path: Vec<u8>) -> Entry {
        Entry {
            parent,
            path,
            locator: None,
            depth,
            mtime: None,
            media_type: None,
            packed: Packed::No,
            leaf: Leaf::No,
        }
    }
}

/// Whether a member is looked into.
pub(crate) enum Leaf {
    /// Sniff it, and open it if it is a container.
    No,
    /// Its bytes are stored ones (compressed or encrypted) that could not be decoded: hash
    /// them as they are, with this note.
    Stored(String),
    /// A link: no content, never followed.
    Link(Link),
    /// Hash it, do not look inside (used for the top zip's first pass).
    Opaque,
}

/// What became of a member, for its container's [`Completeness`].
pub(crate) enum Outcome {
    Whole,
    Partial(String),
    Skipped(String),
}

/// The state of one walk.
pub(crate) struct Walker<'w, 'v> {
    pub shared: Rc<Shared>,
    visit: &'w mut Visit<'v>,
    next_index: u64,
    /// The claims of an OOXML or ODF document found by `zip::seek` (which then leaves it
    /// whole): the zip being inspected is that document.
    pub office: Option<Claims>,
    /// The DKIM claims (`prov-dkim`) of the email just parsed, taken by its `inspect`.
    pub dkim: Option<Vec<(String, String)>>,
    /// The text fingerprint of the email just parsed, taken by its `inspect`.
    pub email_text: Option<Tlsh>,
    /// Members found, held in visiting order until their outermost open container is
    /// finished; `None` marks a container still being read.
    pending: Vec<Option<Found>>,
    open: usize,
    stopped_by_visitor: bool,
    /// Bytes of `max_buffered` taken by the `Found`s in `pending` (see [`held_cost`]).
    held: u64,
}

impl<'w, 'v> Walker<'w, 'v> {
    fn new(shared: Rc<Shared>, visit: &'w mut Visit<'v>) -> Self {
        Walker {
            shared,
            visit,
            next_index: 0,
            office: None,
            dkim: None,
            email_text: None,
            pending: Vec::new(),
            open: 0,
            stopped_by_visitor: false,
            held: 0,
        }
    }

    /// Reads one member from `reader` (its bytes, and its members if it is a container) and
    /// queues it for visiting.
    pub fn member(&mut self, entry: Entry, reader: &mut dyn Read) -> Outcome {
        if let Some(why) = self.shared.halted() {
            return Outcome::Skipped(why);
        }
        if self.next_index >= self.shared.limits.max_members {
            return Outcome::Skipped(format!(
                "member limit: the walk already visited {} members (max_members)",
                self.shared.limits.max_members
            ));
        }
        // Its metadata is held until its outermost container is finished: that counts
        // against max_buffered, so a stream of a million small files stays bounded.
        let cost = held_cost(&entry.path);
        if !self.shared.reserve(cost) {
            return Outcome::Skipped(format!(
                "max_buffered: the details of the members of a streamed container are held \
                 until it is read to its end, and those already held fill max_buffered ({}); \
                 raise it to record more",
                crate::limits::bytes(self.shared.limits.max_buffered)
            ));
        }
        self.held += cost;
        let index = self.next_index;
        self.next_index += 1;
        let slot = self.pending.len();
        self.pending.push(None);
        self.open += 1;
        let link = match &entry.leaf {
            Leaf::Link(link) => Some(link.clone()),
            _ => None,
        };
        let own = Some(index);
        let mut got = self.inspect_as(own, entry.depth, reader, entry.packed, entry.leaf);
        if let Some(mtime) = &entry.mtime {
            got.claims
                .push("archive.mtime", claimed::mtime(mtime).as_bytes());
        }
        let (claimed, _) = got.claims.finish();
        let outcome = match (&got.hashed, &got.note) {
            (Hashed::Prefix, Some(why)) => Outcome::Partial(why.clone()),
            _ => Outcome::Whole,
        };
        self.pending[slot] = Some(Found {
            index,
            parent: entry.parent,
            path: entry.path,
            locator: entry.locator,
            kind: got.kind,
            sha256: got.sha256,
            size: got.size,
            hashed: got.hashed,
            mtime: entry.mtime,
            media_type: entry.media_type,
            link,
            note: got.note,
            completeness: got.completeness,
            claimed,
            fingerprints: got.fingerprints,
        });
        self.open -= 1;
        if self.open == 0 {
            self.flush();
        }
        outcome
    }

    fn flush(&mut self) {
        self.shared.release(std::mem::take(&mut self.held));
        for found in self.pending.drain(..).flatten() {
            if self.stopped_by_visitor {
                break;
            }
            if (self.visit)(found).is_break() {
                self.stopped_by_visitor = true;
                self.shared.set_halt("the walk was stopped".into());
            }
        }
    }

    fn inspect(&mut self, depth: u32, reader: &mut dyn Read, packed: Packed, leaf: Leaf) -> Got {
        self.inspect_as(None, depth, reader, packed, leaf)
    }

    /// Hashes one member's bytes and, when it is a container within the depth limit, walks
    /// its members from the same bytes.
    fn inspect_as(
        &mut self,
        own: Option<u64>,
        depth: u32,
        reader: &mut dyn Read,
        packed: Packed,
        leaf: Leaf,
    ) -> Got {
        let mut meter = Meter::new(reader, self.shared.clone(), packed);
        let mut notes = Vec::new();
        let mut completeness = None;
        let mut claims = Claims::default();
        let mut plain = false;
        let (kind, stored) = match leaf {
            Leaf::Link(_) => (Kind::Link, false),
            Leaf::Opaque => (Kind::Opaque, false),
            Leaf::Stored(why) => {
                notes.push(why);
                (Kind::Opaque, true)
            }
            Leaf::No => {
                let head = meter.head(SNIFF_LEN);
                let mut kind = sniff(&head);
                if kind == Kind::Opaque && fingerprint::is_html(&head) {
                    meter.start_html(&head);
                }
                plain = kind == Kind::Opaque && fingerprint::is_text(&head);
                let mut input = Cursor::new(head).chain(&mut meter);
                let max_depth = self.shared.limits.max_depth;
                if kind.is_container() && depth >= max_depth {
                    notes.push(format!(
                        "depth limit: a {} at depth {depth} (max_depth {max_depth}); its \
                         members were not looked for",
                        kind.name()
                    ));
                    if kind == Kind::Email {
                        // Its header still says what it claims.
                        let mut capture = claimed::email::Capture::new(&mut input);
                        Meter::drain(&mut capture);
                        claims = capture.finish();
                    }
                } else if kind == Kind::Email {
                    // The header is kept for its claims as the message goes to its parser.
                    let mut capture = claimed::email::Capture::new(&mut input);
                    let (c, note) = self.container(kind, &mut capture, own, depth + 1);
                    claims = capture.finish();
                    // Its DKIM signatures' tags and body hash, from the message held whole.
                    if let Some(dkim) = self.dkim.take() {
                        claims.extend(dkim);
                    }
                    claims.text = self.email_text.take();
                    completeness = Some(c);
                    notes.extend(note);
                } else if kind.is_container() {
                    let (c, note) = self.container(kind, &mut input, own, depth + 1);
                    if let Some(office) = self.office.take() {
                        kind = Kind::Office; // one document, left whole
                        claims = office;
                    } else {
                        completeness = Some(c);
                        notes.extend(note);
                    }
                } else if claimed::reads_bytes(kind) {
                    claims = claimed::buffered(kind, &mut input, &self.shared);
                } else if kind == Kind::Rar {
                    notes.push("RAR archives are not opened: recorded as one document".into());
                }
                Meter::drain(&mut input);
                (kind, false)
            }
        };
        Meter::drain(&mut meter);
        let incomplete = meter.incomplete();
        let size = meter.size;
        let (sha256, bytes_print, html_text) = meter.finish();
        let hashed = match (&incomplete, stored) {
            (Some(_), _) => Hashed::Prefix,
            (None, true) => Hashed::Stored,
            (None, false) => Hashed::Content,
        };
        if let Some(why) = incomplete {
            notes.insert(0, format!("not read to the end: {why}"));
        }
        notes.append(&mut claims.notes);
        if let (Some(c), Some(why)) = (&mut completeness, self.shared.halted()) {
            c.stopped.get_or_insert(why);
        }
        // A prefix's fingerprint is not the member's, as its hash is not.
        let bytes_print = bytes_print.filter(|_| hashed != Hashed::Prefix);
        let text = match claims.text.take().or(html_text) {
            Some(t) => Some(t),
            None if plain => bytes_print.clone(),
            None => None,
        };
        Got {
            kind,
            sha256,
            size,
            hashed,
            fingerprints: Fingerprints {
                bytes: bytes_print,
                text: text.filter(|_| hashed != Hashed::Prefix),
            },
            note: (!notes.is_empty()).then(|| notes.join("; ")),
            completeness,
            claims,
        }
    }

    fn container(
        &mut self,
        kind: Kind,
        input: &mut dyn Read,
        own: Option<u64>,
        depth: u32,
    ) -> (Completeness, Option<String>) {
        match kind {
            Kind::Zip => zip::stream(self, input, own, depth),
            Kind::SevenZip => sevenz::stream(self, input, own, depth),
            Kind::Tar => tar::walk(self, input, own, depth),
            Kind::Gzip => gzip::walk(self, input, own, depth),
            Kind::Email => email::walk(self, input, own, depth),
            Kind::Mbox => mbox::walk(self, input, own, depth),
            _ => (Completeness::default(), None),
        }
    }

    fn finish(mut self, top: Got, what: String) -> Result<Summary, Error> {
        self.flush();
        if let Some(source) = self.shared.source_error.borrow_mut().take() {
            return Err(Error::Read { what, source });
        }
        Ok(Summary {
            kind: top.kind,
            sha256: top.sha256,
            size: top.size,
            hashed: top.hashed,
            note: top.note,
            completeness: top.completeness,
            members: self.next_index,
            bytes: self.shared.total.get(),
            stopped_by_visitor: self.stopped_by_visitor,
            claimed: top.claims.finish().0,
            fingerprints: top.fingerprints,
        })
    }
}

/// About how much memory a held `Found` takes (measured: about 350 bytes each for a
/// `.tar.gz` of 200,000 files with 18-byte names, slots and allocator overhead included).
fn held_cost(path: &[u8]) -> u64 {
    (std::mem::size_of::<Option<Found>>() + 64 + path.len()) as u64
}

/// One member's bytes, as `inspect` read them.
struct Got {
    kind: Kind,
    sha256: [u8; 32],
    size: u64,
    hashed: Hashed,
    note: Option<String>,
    completeness: Option<Completeness>,
    /// What the member claims (its notes already moved into `note`).
    claims: Claims,
    fingerprints: Fingerprints,
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
