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
use crate::meter::{Meter, Packed, Shared};
use crate::sniff::{Kind, SNIFF_LEN, sniff};
use crate::{Error, email, gzip, mbox, sevenz, tar, zip};
use std::io::{Cursor, Read};
use std::ops::ControlFlow;
use std::rc::Rc;

/// The visitor: called once per member, in order; `ControlFlow::Break` ends the walk.
pub type Visit<'v> = dyn FnMut(Found) -> ControlFlow<()> + 'v;

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
    /// Its bytes, decoded and hashed ahead (`ahead.rs`): read from here, not the reader.
    pub whole: Option<crate::meter::Whole>,
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
            whole: None,
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
    pub fn new(shared: Rc<Shared>, visit: &'w mut Visit<'v>) -> Self {
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
        let meter = Meter::new(reader, self.shared.clone(), entry.packed).with_whole(entry.whole);
        let mut got = self.inspect_as(own, entry.depth, meter, entry.leaf);
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

    pub fn inspect(
        &mut self,
        depth: u32,
        reader: &mut dyn Read,
        packed: Packed,
        leaf: Leaf,
    ) -> Got {
        let meter = Meter::new(reader, self.shared.clone(), packed);
        self.inspect_as(None, depth, meter, leaf)
    }

    /// Hashes one member's bytes and, when it is a container within the depth limit, walks
    /// its members from the same bytes.
    fn inspect_as(
        &mut self,
        own: Option<u64>,
        depth: u32,
        mut meter: Meter<'_>,
        leaf: Leaf,
    ) -> Got {
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

    pub fn finish(mut self, top: Got, what: String) -> Result<Summary, Error> {
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
pub(crate) struct Got {
    pub kind: Kind,
    pub sha256: [u8; 32],
    pub size: u64,
    pub hashed: Hashed,
    pub note: Option<String>,
    pub completeness: Option<Completeness>,
    /// What the member claims (its notes already moved into `note`).
    pub claims: Claims,
    pub fingerprints: Fingerprints,
}
