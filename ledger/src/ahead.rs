//! Hashing ahead of the signer. Signing is sequential (each entry signs the previous one's
//! hash), so while the caller signs and commits batch k on its core, one worker thread
//! hashes batches k+1 and k+2 on the other. When the caller needs a batch that is not yet
//! hashed (large files: hashing is the slower side), it hashes that batch's remaining files
//! itself alongside the worker, so no core idles either way. Only one worker: a second would
//! take the signer's core from it whenever signing is the slower side (small files).
//!
//! Files are claimed one at a time from a batch's counter, so each is hashed exactly once,
//! by whichever thread claims it; results are taken in the batch's order.

use crate::digest::WalkedFile;
use crate::error::{Error, Result};
use crate::extract::{Extracted, read_walked};
use std::collections::VecDeque;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

/// Batches hashed ahead of the one being signed, at most.
const AHEAD: usize = 2;

/// One batch of files being hashed.
struct Job<'f> {
    files: &'f [WalkedFile],
    /// The next file to claim.
    claimed: AtomicUsize,
    /// Files whose result is stored.
    finished: AtomicUsize,
    results: Mutex<Vec<Option<Result<Extracted>>>>,
}

/// The batches started and not yet taken by the caller, oldest first.
struct Queue<'f> {
    jobs: VecDeque<Arc<Job<'f>>>,
    /// How many batches were started.
    started: usize,
}

/// Batches of walked files, hashed ahead on a worker thread (see the module documentation).
pub(crate) struct Ahead<'f> {
    batches: Vec<&'f [WalkedFile]>,
    queue: Mutex<Queue<'f>>,
    changed: Condvar,
    stop: AtomicBool,
    extract: Option<&'f prov_ingest::Limits>,
    progress: &'f (dyn Fn(u64) + Sync),
}

fn locked<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding one of these locks leaves nothing half-done that matters here.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<'f> Ahead<'f> {
    /// Hashing of `files` in batches of `batch`, looking into each within `extract`'s limits
    /// if given, reporting bytes read to `progress`.
    pub(crate) fn new(
        files: &'f [WalkedFile],
        batch: usize,
        extract: Option<&'f prov_ingest::Limits>,
        progress: &'f (dyn Fn(u64) + Sync),
    ) -> Ahead<'f> {
        Ahead {
            batches: chunks(files, batch.max(1), extract.is_some()),
            queue: Mutex::new(Queue {
                jobs: VecDeque::new(),
                started: 0,
            }),
            changed: Condvar::new(),
            stop: AtomicBool::new(false),
            extract,
            progress,
        }
    }

    /// The batches, in order.
    pub(crate) fn batches(&self) -> &[&'f [WalkedFile]] {
        &self.batches
    }

    /// Ends the worker's loop: nothing more is started, and the file being hashed is the
    /// last.
    pub(crate) fn stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
        let _guard = locked(&self.queue);
        self.changed.notify_all();
    }

    /// Starts the next batch (the caller holds the queue).
    fn start_next(&self, q: &mut Queue<'f>) -> Option<Arc<Job<'f>>> {
        let files = *self.batches.get(q.started)?;
        q.started += 1;
        let job = Arc::new(Job {
            files,
            claimed: AtomicUsize::new(0),
            finished: AtomicUsize::new(0),
            results: Mutex::new((0..files.len()).map(|_| None).collect()),
        });
        q.jobs.push_back(job.clone());
        self.changed.notify_all();
        Some(job)
    }

    /// Hashes the job's unclaimed files until none is left.
    fn work(&self, job: &Job<'f>) {
        while !self.stop.load(Ordering::SeqCst) {
            let i = job.claimed.fetch_add(1, Ordering::SeqCst);
            let Some(f) = job.files.get(i) else { return };
            // A claimed file always gets a result, so that no one waits for it forever.
            let r = std::panic::catch_unwind(AssertUnwindSafe(|| {
                read_walked(f, self.extract, self.progress)
            }))
            .unwrap_or_else(|_| Err(lost(f)));
            locked(&job.results)[i] = Some(r);
            if job.finished.fetch_add(1, Ordering::SeqCst) + 1 == job.files.len() {
                let _guard = locked(&self.queue);
                self.changed.notify_all();
            }
        }
    }

    /// The worker thread's loop: the oldest started batch with files left, else a new batch
    /// while fewer than [`AHEAD`] wait for the caller, else wait. Returns once every batch
    /// is claimed, or on [`Ahead::stop`].
    pub(crate) fn run_worker(&self) {
        loop {
            let job = {
                let mut q = locked(&self.queue);
                loop {
                    if self.stop.load(Ordering::SeqCst) {
                        return;
                    }
                    let open = q
                        .jobs
                        .iter()
                        .find(|j| j.claimed.load(Ordering::SeqCst) < j.files.len())
                        .cloned();
                    if let Some(job) = open {
                        break job;
                    }
                    if q.started == self.batches.len() {
                        return;
                    }
                    if q.jobs.len() < AHEAD
                        && let Some(job) = self.start_next(&mut q)
                    {
                        break job;
                    }
                    q = self.changed.wait(q).unwrap_or_else(PoisonError::into_inner);
                }
            };
            self.work(&job);
        }
    }

    /// The next batch's results, in order, hashing alongside the worker until it is done.
    /// `None` once every batch was taken.
    pub(crate) fn next_batch(&self) -> Option<Vec<Result<Extracted>>> {
        let job = {
            let mut q = locked(&self.queue);
            match q.jobs.front() {
                Some(j) => j.clone(),
                None => self.start_next(&mut q)?,
            }
        };
        self.work(&job);
        let mut q = locked(&self.queue);
        while job.finished.load(Ordering::SeqCst) < job.files.len() {
            q = self.changed.wait(q).unwrap_or_else(PoisonError::into_inner);
        }
        q.jobs.pop_front();
        self.changed.notify_all();
        drop(q);
        let results = std::mem::take(&mut *locked(&job.results));
        let files = job.files.iter();
        Some(
            results
                .into_iter()
                .zip(files)
                .map(|(r, f)| r.unwrap_or_else(|| Err(lost(f))))
                .collect(),
        )
    }
}

/// When files are looked into, a batch ends once its files hold this many bytes: what was
/// found in a batch's files is held until the batch is recorded (and the next batch's while it
/// is read ahead), and members grow with bytes, not with the number of files.
const EXTRACTED_BYTES_PER_BATCH: u64 = 8 << 20;

/// The batches: `batch` files each, or, when files are looked into, fewer once they hold
/// [`EXTRACTED_BYTES_PER_BATCH`] bytes (at least one file each).
fn chunks(files: &[WalkedFile], batch: usize, extract: bool) -> Vec<&[WalkedFile]> {
    if !extract {
        return files.chunks(batch).collect();
    }
    let mut out = Vec::new();
    let (mut start, mut bytes) = (0, 0u64);
    for (i, f) in files.iter().enumerate() {
        bytes += f.id.size;
        if i + 1 - start == batch || bytes >= EXTRACTED_BYTES_PER_BATCH {
            out.push(&files[start..=i]);
            (start, bytes) = (i + 1, 0);
        }
    }
    if start < files.len() {
        out.push(&files[start..]);
    }
    out
}

/// A file whose hashing ended without a result (a panic while hashing it): refused, never
/// recorded.
fn lost(f: &WalkedFile) -> Error {
    Error::invalid(
        "document",
        format!(
            "hashing {} failed unexpectedly: run the same command again",
            f.path.display()
        ),
    )
}
