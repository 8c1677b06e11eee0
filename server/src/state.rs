//! What every request handler shares: the ledger folder, the published tiles folder, the
//! archivists, and the readers' snapshot of the ledger.
//!
//! Readers never wait for the writer: they use a ledger opened read-only with its content
//! index (`Ledger::open`: no lock, it sees the last committed state), which the writer
//! replaces with a fresh one after each group and before it answers, so an archivist who
//! was told an entry is recorded finds it at once. Swapping the snapshot holds a lock for
//! the time of one pointer copy; a reader keeps the one it took for its whole request.

use crate::archivists::Archivists;
use prov_ledger::{Evidence, Ledger, LinkIndex, Trust};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

/// The readers' ledger and the cosignatures and timestamps that count for it, verified once
/// when the snapshot is taken (not on every read: each verification is a signature check,
/// and a CMS one for a timestamp token), and which entries link to which (read once from
/// the log, then extended by each group: a document's story then reads its linking entries
/// only, not every entry after its first).
#[derive(Clone)]
pub(crate) struct Snapshot {
    pub ledger: Arc<Ledger>,
    pub evidence: Arc<Evidence>,
    pub links: LinkIndex,
}

impl Snapshot {
    /// The snapshot of the ledger in `dir`, its link index extended from `links` (the last
    /// snapshot's, shared); evidence that cannot be read counts for nothing (said in `log`),
    /// so that the readers still move on to the new entries.
    fn open(dir: &Path, links: LinkIndex, log: &dyn Fn(&str)) -> prov_ledger::Result<Snapshot> {
        let ledger = Ledger::open(dir)?;
        let mut links = links;
        ledger.index_links(&mut links)?;
        // As for `prov check`: a configuration file that does not read counts nothing.
        let (trust, _unreadable) = Trust::configured_or_none(&ledger);
        let evidence = ledger.evidence(&trust).unwrap_or_else(|e| {
            log(&format!(
                "readers: no cosignature or timestamp counts ({e})"
            ));
            Evidence::default()
        });
        Ok(Snapshot {
            ledger: Arc::new(ledger),
            evidence: Arc::new(evidence),
            links,
        })
    }
}

/// The server's shared state.
pub(crate) struct State {
    ledger_dir: PathBuf,
    public_dir: PathBuf,
    reader: RwLock<Snapshot>,
    stopped: AtomicBool,
    pub archivists: Archivists,
    log: Arc<dyn Fn(&str) + Send + Sync>,
}

impl State {
    /// The state of a server of the ledger in `ledger_dir` publishing into `public_dir`.
    ///
    /// # Errors
    /// Those of [`Ledger::open`].
    pub fn new(
        ledger_dir: &Path,
        public_dir: &Path,
        log: Arc<dyn Fn(&str) + Send + Sync>,
    ) -> prov_ledger::Result<State> {
        Ok(State {
            ledger_dir: ledger_dir.to_owned(),
            public_dir: public_dir.to_owned(),
            reader: RwLock::new(Snapshot::open(ledger_dir, LinkIndex::default(), &*log)?),
            stopped: AtomicBool::new(false),
            archivists: Archivists::new(ledger_dir),
            log,
        })
    }

    /// The ledger folder.
    pub fn ledger_dir(&self) -> &Path {
        &self.ledger_dir
    }

    /// The folder the tiles tree is published in.
    pub fn public_dir(&self) -> &Path {
        &self.public_dir
    }

    /// The readers' ledger, as of the last group recorded.
    pub fn reader(&self) -> Arc<Ledger> {
        self.snapshot().ledger
    }

    /// The readers' ledger and its verified evidence, taken together.
    pub fn snapshot(&self) -> Snapshot {
        match self.reader.read() {
            Ok(r) => r.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Opens a new snapshot and swaps it in (the old one stays if the ledger does not open:
    /// readers keep answering from it).
    pub fn refresh(&self) {
        let links = self.snapshot().links;
        match Snapshot::open(&self.ledger_dir, links, &*self.log) {
            Ok(fresh) => match self.reader.write() {
                Ok(mut r) => *r = fresh,
                Err(poisoned) => *poisoned.into_inner() = fresh,
            },
            // Said, since the readers now lag the entries the writer acknowledges.
            Err(e) => self.log(&format!("readers: the snapshot was not renewed ({e})")),
        }
    }

    /// A line for the operator's log.
    pub fn log(&self, line: &str) {
        (self.log)(line)
    }

    /// The writer stopped: uploads are refused until a restart.
    pub fn set_stopped(&self) {
        self.stopped.store(true, Ordering::SeqCst);
    }

    /// Whether the writer stopped.
    pub fn stopped(&self) -> bool {
        self.stopped.load(Ordering::SeqCst)
    }
}
