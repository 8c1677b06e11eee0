//! The reader every member's bytes go through: it hashes them (SHA-256), counts them, and
//! enforces the byte limits, while the member's own parser (if it is a container) reads the
//! same bytes. One read, two uses: that is the tee.

use crate::fingerprint::{HtmlText, Printer, Tlsh};
use crate::limits::{Limits, bytes};
use sha2::{Digest, Sha256};
use std::cell::{Cell, RefCell};
use std::io::{self, Read, Seek};
use std::rc::Rc;

/// State shared by every meter of one walk.
#[derive(Debug)]
pub(crate) struct Shared {
    pub limits: Limits,
    /// Cap on `total` (see `Limits::total_cap`).
    pub total_cap: u64,
    /// Bytes hashed so far, at every depth.
    pub total: Cell<u64>,
    /// Bytes held in memory now (buffered zips and emails).
    pub buffered: Cell<u64>,
    /// Why the whole walk is ending, once it is (total limit, the visitor stopped it).
    pub halt: RefCell<Option<String>>,
    /// An I/O error from the top file itself (not its content): the walk fails with it.
    pub source_error: RefCell<Option<io::Error>>,
    /// Whether a top-level zip's members are decoded ahead on a second thread (`ahead.rs`):
    /// for a walk given a second reader of the file (`walk`, `walk_seekable_twin`).
    pub read_ahead: Cell<bool>,
}

impl Shared {
    pub fn new(limits: Limits, top_size: Option<u64>) -> Rc<Shared> {
        Rc::new(Shared {
            total_cap: limits.total_cap(top_size),
            limits,
            total: Cell::new(0),
            buffered: Cell::new(0),
            halt: RefCell::new(None),
            source_error: RefCell::new(None),
            read_ahead: Cell::new(false),
        })
    }

    pub fn halted(&self) -> Option<String> {
        self.halt.borrow().clone()
    }

    pub fn set_halt(&self, reason: String) {
        self.halt.borrow_mut().get_or_insert(reason);
    }

    /// Takes `n` bytes of the in-memory budget, if there are that many left.
    pub fn reserve(&self, n: u64) -> bool {
        let now = self.buffered.get();
        if now.saturating_add(n) > self.limits.max_buffered {
            return false;
        }
        self.buffered.set(now + n);
        true
    }

    pub fn release(&self, n: u64) {
        self.buffered.set(self.buffered.get().saturating_sub(n));
    }
}

/// How much compressed input a member was read from, for the ratio limit.
#[derive(Clone, Debug)]
pub(crate) enum Packed {
    /// Not compressed (tar members, email parts): no ratio limit.
    No,
    /// Its compressed size is known (a zip entry's).
    Fixed(u64),
    /// Counted as it is consumed (a gzip stream's input).
    Live(Rc<Cell<u64>>),
}

/// Hashes, counts and limits the bytes of one member.
pub(crate) struct Meter<'a> {
    inner: &'a mut dyn Read,
    shared: Rc<Shared>,
    packed: Packed,
    hasher: Sha256,
    /// The TLSH of the same bytes (`fingerprint.rs`).
    printer: Printer,
    /// For an HTML page: the TLSH of its text.
    html: Option<HtmlText>,
    pub size: u64,
    /// Why reading stopped before the end (a limit), if it did.
    pub cut: Option<String>,
    /// The read error that ended the member early, if any.
    pub error: Option<String>,
    /// The member's bytes, already read and hashed whole on another thread (`ahead.rs`):
    /// read from here instead of `inner`, and hashed again only if not read to their end.
    whole: Option<(Whole, usize)>,
}

/// A member's bytes decoded whole ahead of the walk, with the SHA-256 and the TLSH printer of
/// all of them: the meter reads them as it would read the member, and when it reads them to
/// their end (no limit cut them) these are the member's hash and fingerprint, exactly as if
/// it had hashed them itself.
pub(crate) struct Whole {
    pub data: Vec<u8>,
    pub sha256: [u8; 32],
    pub printer: Printer,
}

impl<'a> Meter<'a> {
    pub fn new(inner: &'a mut dyn Read, shared: Rc<Shared>, packed: Packed) -> Meter<'a> {
        Meter {
            inner,
            shared,
            packed,
            hasher: Sha256::new(),
            printer: Printer::new(),
            html: None,
            size: 0,
            cut: None,
            error: None,
            whole: None,
        }
    }

    /// The meter reads `whole`'s bytes, if given, rather than its reader's.
    pub fn with_whole(mut self, whole: Option<Whole>) -> Meter<'a> {
        self.whole = whole.map(|w| (w, 0));
        self
    }

    /// Reads up to `n` first bytes (fewer only at the end or on an error).
    pub fn head(&mut self, n: usize) -> Vec<u8> {
        let mut head = Vec::with_capacity(n);
        let _ = self.by_ref().take(n as u64).read_to_end(&mut head);
        head
    }

    /// Reads the rest to the end, hashing it.
    pub fn drain(reader: &mut dyn Read) {
        let _ = io::copy(reader, &mut io::sink());
    }

    /// Why the bytes read are not the whole member, if they are not.
    pub fn incomplete(&self) -> Option<String> {
        self.cut.clone().or_else(|| self.error.clone())
    }

    /// Fingerprints the text of this member too, as an HTML page: `head` is what was read
    /// of it so far.
    pub fn start_html(&mut self, head: &[u8]) {
        let mut html = HtmlText::new();
        html.update(head);
        self.html = Some(html);
    }

    /// The SHA-256, the TLSH of the bytes and, for an HTML page, of its text.
    pub fn finish(self) -> ([u8; 32], Option<Tlsh>, Option<Tlsh>) {
        let html = self.html.as_ref().and_then(HtmlText::finish);
        match self.whole {
            // Read to their end: the hashes taken ahead are of exactly these bytes.
            Some((whole, _)) if self.size == whole.data.len() as u64 => {
                (whole.sha256, whole.printer.finish(), html)
            }
            // Cut by a limit: what was kept is the first `size` bytes.
            Some((whole, _)) => {
                let kept = &whole.data[..whole.data.len().min(self.size as usize)];
                let mut printer = Printer::new();
                printer.update(kept);
                (Sha256::digest(kept).into(), printer.finish(), html)
            }
            None => (self.hasher.finalize().into(), self.printer.finish(), html),
        }
    }

    /// Reads the next bytes from `whole` if the meter has them, else from its reader.
    fn read_inner(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some((whole, at)) = &mut self.whole {
            let rest = whole.data.get(*at..).unwrap_or_default();
            let n = rest.len().min(buf.len());
            buf[..n].copy_from_slice(&rest[..n]);
            *at += n;
            return Ok(n);
        }
        self.inner.read(buf)
    }

    fn stop(&mut self, reason: String) -> io::Error {
        self.cut.get_or_insert(reason.clone());
        io::Error::other(reason)
    }
}

impl Read for Meter<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(reason) = self.cut.clone() {
            return Err(io::Error::other(reason));
        }
        if let Some(error) = &self.error {
            // A decoder that failed once is never read again: its state is not to be trusted
            // (lzma-rust2 0.16 loops forever when read after a failure).
            return Err(io::Error::other(error.clone()));
        }
        if let Some(reason) = self.shared.halted() {
            return Err(self.stop(reason));
        }
        let n = loop {
            match self.read_inner(buf) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.error.get_or_insert_with(|| format!("read error: {e}"));
                    return Err(e);
                }
            }
        };
        let limits = &self.shared.limits;
        let ratio_cap = match &self.packed {
            Packed::No => u64::MAX,
            Packed::Fixed(p) => limits.ratio_cap(*p),
            Packed::Live(p) => limits.ratio_cap(p.get()),
        };
        // What each limit leaves room for; the read keeps the least of them, so neither is
        // ever passed (and no subtraction can underflow on the next read).
        let ratio_room = ratio_cap.saturating_sub(self.size);
        let total_room = self
            .shared
            .total_cap
            .saturating_sub(self.shared.total.get());
        let keep = (n as u64).min(ratio_room).min(total_room) as usize;
        let reason = if keep == n {
            None
        } else if total_room <= ratio_room {
            let reason = format!(
                "total size limit: the walk hashed {} (max_total_bytes, or max_ratio times \
                 the top file); nothing more is read",
                bytes(self.shared.total_cap)
            );
            self.shared.set_halt(reason.clone());
            Some(reason)
        } else {
            let packed = match &self.packed {
                Packed::Fixed(p) => *p,
                Packed::Live(p) => p.get(),
                Packed::No => 0,
            };
            Some(format!(
                "expansion ratio limit: more than {} from {} compressed (max_ratio {}); \
                 read stopped at {}",
                bytes(ratio_cap),
                bytes(packed),
                limits.max_ratio,
                bytes(ratio_cap)
            ))
        };
        if self.whole.is_none() {
            self.hasher.update(&buf[..keep]);
            self.printer.update(&buf[..keep]);
        }
        if let Some(html) = &mut self.html {
            html.update(&buf[..keep]);
        }
        self.size += keep as u64;
        self.shared.total.set(self.shared.total.get() + keep as u64);
        match reason {
            Some(reason) => Err(self.stop(reason)),
            None => Ok(n),
        }
    }
}

/// Counts the bytes read through it (a gzip stream's compressed input, for `Packed::Live`).
pub(crate) struct Counted<'a> {
    pub inner: &'a mut dyn Read,
    pub count: Rc<Cell<u64>>,
}

impl Read for Counted<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.set(self.count.get() + n as u64);
        Ok(n)
    }
}

/// The top file's reader: an I/O error here is about the file, not its content, and fails
/// the walk.
pub(crate) struct Source<R> {
    pub inner: R,
    pub shared: Rc<Shared>,
}

impl<R: Read> Read for Source<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf).inspect_err(|e| {
            if e.kind() != io::ErrorKind::Interrupted {
                let copy = io::Error::new(e.kind(), e.to_string());
                self.shared.source_error.borrow_mut().get_or_insert(copy);
            }
        })
    }
}

impl<R: Seek> Seek for Source<R> {
    fn seek(&mut self, pos: io::SeekFrom) -> io::Result<u64> {
        self.inner.seek(pos)
    }
}

/// Reads a member that must be parsed in memory (`what`: "an email is parsed in memory",
/// "a zip inside a stream is read in memory") within what is left of `max_buffered`, then
/// hands its bytes to `parse`, holding them against that limit meanwhile. One larger is not
/// parsed: `inner` names what was then not looked for ("its parts").
pub(crate) fn in_memory(
    w: &mut crate::walk::Walker,
    input: &mut dyn Read,
    what: &str,
    inner: &str,
    parse: impl FnOnce(&mut crate::walk::Walker, &[u8]) -> (crate::found::Completeness, Option<String>),
) -> (crate::found::Completeness, Option<String>) {
    let shared = w.shared.clone();
    let room = shared
        .limits
        .max_buffered
        .saturating_sub(shared.buffered.get());
    let mut raw = Vec::new();
    let cut = input
        .take(room.saturating_add(1))
        .read_to_end(&mut raw)
        .err();
    if raw.len() as u64 > room {
        let why = format!(
            "{what}, and this one is larger than the {} left of max_buffered ({}): {inner} were not looked for",
            bytes(room),
            bytes(shared.limits.max_buffered)
        );
        let c = crate::found::Completeness {
            stopped: Some(why.clone()),
            ..crate::found::Completeness::default()
        };
        return (c, Some(why));
    }
    let held = raw.len() as u64;
    shared.reserve(held);
    let (mut c, note) = parse(w, &raw);
    shared.release(held);
    if let Some(e) = cut {
        c.stopped.get_or_insert(format!("read error: {e}"));
    }
    (c, note)
}
