//! A top-level zip's small members decoded ahead of the walk, on a second thread.
//!
//! The walk reads a zip's members one after the other, and each member's bytes are inflated,
//! hashed (SHA-256 and TLSH), then parsed if it is a container (an email's MIME parts decoded
//! and hashed in turn). With one thread that uses one core. Here the walker thread reads the
//! stored (compressed) bytes of the next members and sends them to a worker thread, which
//! inflates each whole, checks it as the `zip` crate does (the CRC-32 of APPNOTE 4.4.7, and no
//! more bytes than the declared size, 4.4.9), and hashes it; meanwhile the walker parses and
//! hashes the member before. Everything that decides what is recorded stays on the walker
//! thread, in the member's order: the limits (depth, members, expansion ratio, total bytes,
//! `max_buffered`), notes, completeness, and the visiting order. The worker's answer is only
//! "these are the member's bytes, and their hashes", and the walker reads those bytes through
//! its meter as it would read them from the zip (`Meter::with_whole`), so the results are
//! the same as without it.
//!
//! Bounds: a member is sent only if its declared size and its stored size are both at most
//! [`WHOLE_MAX`], and the members sent and not yet walked take at most [`WINDOW`] bytes
//! (stored plus declared), on top of `max_buffered`, which every member and everything
//! nested in one meets exactly as without read-ahead (a window held against it would leave
//! less for a container nested in a member, and change what is recorded). A
//! member the worker cannot decode whole (damaged, lying about its size or CRC, or a method
//! other than stored or deflate) is read by the walker from the zip as before, with the same
//! notes.

use crate::fingerprint::Printer;
use crate::meter::{Shared, Whole};
use libdeflater::Decompressor;
use sha2::{Digest, Sha256};
use std::collections::{HashMap, VecDeque};
use std::io::{Read, Seek};
use std::panic::AssertUnwindSafe;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread::Scope;
use zip::{CompressionMethod, ZipArchive};

/// Members declaring more bytes than this, or storing more, are streamed by the walker.
pub(crate) const WHOLE_MAX: u64 = 8 << 20;

/// Bytes (stored plus declared) of the members sent and not yet walked, at most: memory on
/// top of `max_buffered` while a top-level zip is walked with read-ahead.
pub(crate) const WINDOW: u64 = 32 << 20;

/// Members sent ahead and not yet walked, at most.
const MAX_AHEAD: usize = 64;

/// One member's stored bytes, for the worker.
struct Job {
    raw: Vec<u8>,
    deflated: bool,
    size: u64,
    crc32: u32,
}

/// The walker's side of the read-ahead of one zip.
pub(crate) struct Ahead {
    jobs: Sender<Job>,
    done: Receiver<Option<Whole>>,
    /// Members sent and not yet taken, in order, with their cost in bytes.
    sent: VecDeque<(usize, u64)>,
    /// The next member to consider sending.
    next: usize,
    /// Bytes of [`WINDOW`] taken by members sent and not yet walked.
    in_flight: u64,
    /// A member whose stored bytes could not be read: not tried again (it is the walker's
    /// to meet), so nothing past it is sent before the walker passes it.
    unreadable: Option<usize>,
}

impl Ahead {
    /// Starts the worker thread in `scope`; `None` if no thread can be started (the zip is
    /// then walked on one).
    pub fn start<'s>(scope: &'s Scope<'s, '_>) -> Option<Ahead> {
        let (jobs, job_rx) = channel::<Job>();
        let (done_tx, done) = channel();
        let worker = move || {
            let mut d = Decompressor::new();
            for job in job_rx {
                // A panic in a decoder is a member read by the walker instead.
                let decoded = std::panic::catch_unwind(AssertUnwindSafe(|| decode(&mut d, job)));
                let whole = decoded.unwrap_or_else(|_| {
                    d = Decompressor::new();
                    None
                });
                if done_tx.send(whole).is_err() {
                    return;
                }
            }
        };
        std::thread::Builder::new()
            .name("zip-ahead".into())
            .spawn_scoped(scope, worker)
            .ok()?;
        Some(Ahead {
            jobs,
            done,
            sent: VecDeque::new(),
            next: 0,
            in_flight: 0,
            unreadable: None,
        })
    }

    /// Sends the stored bytes of the members from `at` on, in order, while they can be
    /// decoded whole and the window has room. It stops at the first member that cannot (too
    /// large, encrypted, a link, another method, unreadable): the walker reaches that one
    /// with nothing in flight. Directories and overlapping entries are not sent (the walker
    /// reads nothing of them) and do not stop it.
    pub fn fill<R: Read + Seek>(
        &mut self,
        shared: &Shared,
        archive: &mut ZipArchive<R>,
        overlapped: &HashMap<usize, usize>,
        at: usize,
    ) {
        self.next = self.next.max(at);
        while self.next < archive.len() && self.sent.len() < MAX_AHEAD {
            let i = self.next;
            if self.unreadable == Some(i) {
                return;
            }
            let Ok(f) = archive.by_index_raw(i) else {
                return;
            };
            if f.is_dir() || overlapped.contains_key(&i) {
                self.next += 1;
                continue;
            }
            let deflated = match f.compression() {
                CompressionMethod::Stored => false,
                CompressionMethod::Deflated => true,
                _ => return,
            };
            let (stored, size) = (f.compressed_size(), f.size());
            if f.encrypted() || f.is_symlink() || stored > WHOLE_MAX || size > WHOLE_MAX {
                return;
            }
            let cost = stored + size;
            if self.in_flight + cost > WINDOW {
                return;
            }
            let crc32 = f.crc32();
            let mut raw = Vec::with_capacity(stored as usize);
            // A read error is the walker's to meet when it reads this member itself: it is
            // not recorded against the file here.
            let before = shared.source_error.borrow().is_some();
            if f.take(stored).read_to_end(&mut raw).is_err() {
                if !before {
                    shared.source_error.borrow_mut().take();
                }
                self.unreadable = Some(i);
                return;
            }
            let job = Job {
                raw,
                deflated,
                size,
                crc32,
            };
            if self.jobs.send(job).is_err() {
                return;
            }
            self.sent.push_back((i, cost));
            self.in_flight += cost;
            self.next += 1;
        }
    }

    /// Member `i`'s bytes decoded whole, if it was sent: `Some(None)` when the worker could
    /// not decode it (the walker reads it from the zip). Call [`Ahead::walked`] with the cost
    /// returned once the member is walked.
    pub fn take(&mut self, i: usize) -> Option<(Option<Whole>, u64)> {
        while let Some(&(j, cost)) = self.sent.front() {
            if j > i {
                return None;
            }
            self.sent.pop_front();
            // The worker answers every job in order, unless it is gone (then: read it here).
            let whole = self.done.recv().ok().flatten();
            if j == i {
                return Some((whole, cost));
            }
            self.in_flight -= cost;
        }
        None
    }

    /// A member taken is walked: its bytes leave the window.
    pub fn walked(&mut self, cost: u64) {
        self.in_flight = self.in_flight.saturating_sub(cost);
    }
}

/// Decodes a member whole and hashes it, or `None` when the walker should read it itself:
/// the data is damaged, longer than declared, or its CRC-32 is not the declared one (the
/// `zip` crate's reader would then end it with an error, which the walker notes).
fn decode(d: &mut Decompressor, job: Job) -> Option<Whole> {
    let data = if job.deflated {
        inflate(d, &job.raw, job.size)?
    } else {
        job.raw
    };
    if data.len() as u64 > job.size || crc32fast::hash(&data) != job.crc32 {
        return None;
    }
    let mut printer = Printer::new();
    printer.update(&data);
    Some(Whole {
        sha256: Sha256::digest(&data).into(),
        printer,
        data,
    })
}

/// Inflates a raw deflate stream (RFC 1951) whose output must fit in `size` bytes, with
/// libdeflate (see Cargo.toml for why).
fn inflate(d: &mut Decompressor, raw: &[u8], size: u64) -> Option<Vec<u8>> {
    let mut out = vec![0u8; usize::try_from(size).ok()?];
    // Longer than declared (InsufficientSpace) or damaged (BadData): read by the walker.
    let n = d.deflate_decompress(raw, &mut out).ok()?;
    out.truncate(n);
    Some(out)
}
