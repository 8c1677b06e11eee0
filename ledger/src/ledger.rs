//! A ledger directory: opening it, recovering from a crash, and creating one.
//!
//! Layout (FORMAT.md section 7): `ledger.json` (format, origin, verifier key), `key.pem`
//! (mode 0600), `entries.log` and `COMMIT` (the truth), `tile/` and `offsets` (the Merkle
//! tree and where each entry starts, derived), `content/` (the content index, derived).
//! Three ways to open it:
//! - [`Ledger::open_read_only`]: no lock, no index, nothing written; reads the committed log,
//!   `offsets` and the tiles. For `show`, `log`, `export`, `checkpoint`, `key`, proofs by
//!   seq, consistency and audit; works on a read-only copy and while a writer runs, and
//!   sees the last committed state.
//! - [`Ledger::open`]: as `open_read_only`, with the content index, for lookups by content;
//!   no lock either. Every index answer is checked against the signed log, and entries past
//!   the index's reach are read from the log.
//! - [`Ledger::open_writer`]: the exclusive lock and the key; first verifies the whole committed log
//!   against its last signed checkpoint, rolls complete batches past `COMMIT` forward, cuts
//!   an unfinished one, and rebuilds an index that disagrees with the log.

use crate::commit::Commit;
use crate::error::{Error, Result};
use crate::fsys::{self, Io};
use crate::index::Index;
use crate::log::LogFile;
use crate::offsets::Offsets;
use crate::tiles::TileFiles;
use ed25519_dalek::SigningKey;
use prov_proofs::{Checkpoint, Hash, NoteSigner, NoteVerifier, TileBuilder};
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::path::{Path, PathBuf};

/// The ledger directory format this code writes. Format 2 records each place a document was
/// found (audit rule 5 is by content, source and place); format 1 ledgers are read, and are
/// upgraded to format 2 by the first append (FORMAT.md section 7.1).
pub const FORMAT_VERSION: u32 = 2;

/// The ledger directory format of a ledger that holds claim entries (FORMAT.md section 6.7):
/// format 2's rules, plus entries of kind 2. The first claim moves a ledger to it, so that
/// `prov` versions that know no claims refuse the ledger as newer rather than misread it.
/// This code reads every format up to it.
pub const CLAIMS_FORMAT: u32 = 3;

/// The oldest ledger directory format this code reads.
pub const OLDEST_FORMAT: u32 = 1;

/// `ledger.json`.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub(crate) struct Config {
    pub format: u32,
    pub origin: String,
    pub vkey: String,
}

/// How a ledger was opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    ReadOnly,
    Indexed,
    Writer,
}

/// An open ledger.
pub struct Ledger {
    pub(crate) dir: PathBuf,
    pub(crate) config: Config,
    pub(crate) verifier: NoteVerifier,
    pub(crate) mode: Mode,
    pub(crate) signer: Option<(SigningKey, NoteSigner)>,
    pub(crate) log: LogFile,
    pub(crate) index: Option<Index>,
    pub(crate) commit: Commit,
    /// Writer only: the committed tree with its rightmost tiles (empty in other modes).
    pub(crate) frontier: TileBuilder,
    /// The tile files.
    pub(crate) tiles: TileFiles,
    /// `offsets`, when it exists (a ledger written before it has none until a writer runs).
    pub(crate) offsets: Option<Offsets>,
    /// The latest signed checkpoint, verified (not loaded in read-only mode).
    pub(crate) latest: Option<(String, Checkpoint)>,
    pub(crate) last_leaf: Hash,
    pub(crate) last_time: u64,
    pub(crate) io: Io,
    /// Set when a commit ended in an unknown state: no further append in this process.
    pub(crate) poisoned: bool,
    /// Writer only: the content of every entry in the verified log, sorted, and how many
    /// entries of each content were recorded since ([`crate::recovery::Verified::contents`]).
    pub(crate) contents: Vec<([u8; 32], u64)>,
    pub(crate) contents_since: std::collections::HashMap<[u8; 32], Vec<u64>>,
    /// Writer only: what the committed log holds per content, for the dedupe decision.
    pub(crate) seen_cache: std::collections::HashMap<[u8; 32], crate::decide::Committed>,
    /// The places held in `seen_cache`, over all contents.
    pub(crate) seen_cached: usize,
    /// The format before this process upgraded `ledger.json`, if it did.
    pub(crate) upgraded_from: Option<u32>,
    /// Clamp the time to the last entry's however far the clock is behind.
    pub(crate) clamp_any: bool,
    pub(crate) recovered: u64,
    pub(crate) rolled_forward: u64,
    pub(crate) sealed: u64,
    pub(crate) index_rebuilt: bool,
    /// The locked ledger folder (not in read-only mode); also used to fsync it.
    pub(crate) dir_handle: Option<File>,
    /// The clock check's latest verified cosignature or timestamp, kept between appends.
    pub(crate) clock_bound: Option<crate::clock_bound::ClockBound>,
    /// In a folder with no tiles: the leaf hashes of the latest signed tree, read from the
    /// log once and checked against its root (`prove.rs`).
    pub(crate) log_leaves: std::sync::OnceLock<Vec<prov_proofs::Hash>>,
    /// Writer only: `fingerprints`, opened (and cut back to the committed entries) at the
    /// first batch that stores any.
    pub(crate) prints_out: Option<crate::fingerprints::Appender>,
    /// Writer only: the look-alike index an ingest built, kept for the next one with the
    /// number of entries it covers (a long-lived writer, the server's, loads it once).
    pub(crate) prints_kept: Option<(crate::prints::Prints, u64)>,
}

pub(crate) fn read_config(dir: &Path) -> Result<(Config, NoteVerifier)> {
    if !dir.is_dir() {
        return Err(Error::Missing(dir.to_owned()));
    }
    let path = dir.join("ledger.json");
    if !fsys::exists(&path) {
        return Err(Error::NotALedger(dir.to_owned()));
    }
    let damaged = |reason: String| Error::Damaged {
        path: path.clone(),
        offset: None,
        reason,
    };
    let bytes = fsys::read_small(&path, fsys::MAX_CONFIG_BYTES)?;
    let value: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|e| damaged(e.to_string()))?;
    let format = value.get("format").and_then(|f| f.as_u64()).unwrap_or(0);
    if format > CLAIMS_FORMAT as u64 {
        return Err(Error::NewerFormat {
            found: format as u32,
            supported: CLAIMS_FORMAT,
        });
    }
    let config: Config = serde_json::from_value(value).map_err(|e| damaged(e.to_string()))?;
    if !(OLDEST_FORMAT..=CLAIMS_FORMAT).contains(&config.format) {
        return Err(damaged(format!("unknown format {}", config.format)));
    }
    let verifier = NoteVerifier::parse(&config.vkey).map_err(|e| damaged(e.to_string()))?;
    if verifier.name != config.origin {
        return Err(damaged("verifier key name is not the origin".into()));
    }
    Ok((config, verifier))
}

/// Writes `ledger.json` for `config` durably ([`fsys::replace_durably`]).
pub(crate) fn write_config(dir: &Path, config: &Config) -> Result<()> {
    let text = serde_json::to_string_pretty(config).unwrap_or_default() + "\n";
    fsys::replace_durably(&dir.join("ledger.json"), text.as_bytes())
}

/// Opens the committed log: `COMMIT`, then the log, which must be at least that long.
pub(crate) fn open_log(dir: &Path, write: bool) -> Result<(Commit, LogFile, u64)> {
    let commit = Commit::read(&dir.join("COMMIT"))?;
    let log = LogFile::open(&dir.join("entries.log"), write)?;
    let len = log.len()?;
    if len < commit.log_length {
        return Err(Error::Damaged {
            path: log.path.clone(),
            offset: Some(len),
            reason: format!(
                "the log is {} bytes shorter than its last commit (a truncated log, or a COMMIT from another copy)",
                commit.log_length - len
            ),
        });
    }
    Ok((commit, log, len))
}

impl Ledger {
    /// Opens without the lock or the index, writing nothing: reads of the committed log
    /// (`entry`, `range`, checkpoints), which a writer never changes. Works on a read-only
    /// copy and while a writer runs. Walks the log's record headers once, to check that the
    /// latest checkpoint follows exactly the entries `COMMIT` names and ends the log.
    ///
    /// # Errors
    /// [`Error::Missing`], [`Error::NotALedger`], [`Error::NewerFormat`],
    /// [`Error::Damaged`].
    pub fn open_read_only(dir: &Path) -> Result<Ledger> {
        let (config, verifier) = read_config(dir)?;
        let (commit, log, _) = open_log(dir, false)?;
        let mut l = Ledger::assemble(dir, config, verifier, Mode::ReadOnly, log, commit);
        l.offsets = Offsets::open(dir, false)?;
        // COMMIT's size is believed only once the log agrees: its latest checkpoint, for that
        // size, must follow exactly that many entries and end the committed log.
        l.latest = Some(l.read_latest_checkpoint()?);
        Ok(l)
    }

    /// Opens for lookups by content: [`Ledger::open_read_only`] and the content index
    /// (`content/`), with no lock, so it runs while a writer appends and sees the last
    /// committed state. Entries the index does not reach yet are found in the log.
    ///
    /// # Errors
    /// As [`Ledger::open_read_only`], and [`Error::IndexRefused`] or
    /// [`Error::IndexDisagrees`] for a damaged index (`prov reindex` rebuilds it).
    pub fn open(dir: &Path) -> Result<Ledger> {
        let mut l = Ledger::open_read_only(dir)?;
        let index = Index::open(dir)?;
        // A writer adds a run after the COMMIT naming its entries, so an index reaching past
        // COMMIT as it stands now is not this log's (another ledger's, or a log rolled back).
        let now = Commit::read(&dir.join("COMMIT"))?;
        if index.reach() > now.size.max(l.commit.size) {
            return Err(Error::IndexDisagrees {
                reason: format!(
                    "it covers {} entries, the log only {} committed",
                    index.reach(),
                    now.size
                ),
            });
        }
        l.index = Some(index);
        l.mode = Mode::Indexed;
        Ok(l)
    }

    pub(crate) fn assemble(
        dir: &Path,
        config: Config,
        verifier: NoteVerifier,
        mode: Mode,
        log: LogFile,
        commit: Commit,
    ) -> Ledger {
        Ledger {
            dir: dir.to_owned(),
            config,
            verifier,
            mode,
            signer: None,
            log,
            index: None,
            commit,
            frontier: TileBuilder::new(),
            tiles: TileFiles::new(dir),
            offsets: None,
            latest: None,
            last_leaf: Hash::default(),
            last_time: 0,
            io: Io::default(),
            poisoned: false,
            contents: Vec::new(),
            contents_since: Default::default(),
            seen_cache: Default::default(),
            seen_cached: 0,
            upgraded_from: None,
            clamp_any: false,
            recovered: 0,
            rolled_forward: 0,
            sealed: 0,
            index_rebuilt: false,
            dir_handle: None,
            clock_bound: None,
            log_leaves: std::sync::OnceLock::new(),
            prints_out: None,
            prints_kept: None,
        }
    }

    /// Sets the hook through which tests inject failures into the commit path (see
    /// [`crate::Step`]). Not for production use.
    #[doc(hidden)]
    pub fn set_fault_hook(&mut self, hook: Option<crate::FaultHook>) {
        self.io.set_hook(hook);
    }

    /// Entries that opening for writing found complete and signed past `COMMIT` (a crash
    /// before the commit point) and committed (0 if none), sealed ones included.
    pub fn rolled_forward_entries(&self) -> u64 {
        self.rolled_forward + self.sealed
    }

    /// Of those, entries whose checkpoint was torn or damaged: opening for writing signed a
    /// new checkpoint for them rather than cut complete, signed records.
    pub fn sealed_entries(&self) -> u64 {
        self.sealed
    }

    /// The ledger directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The origin: checkpoint origin line and key name.
    pub fn origin(&self) -> &str {
        &self.config.origin
    }

    /// The verifier of the ledger's signatures.
    pub fn verifier(&self) -> &NoteVerifier {
        &self.verifier
    }

    /// Number of committed entries.
    pub fn size(&self) -> u64 {
        self.commit.size
    }

    /// Committed bytes of the entry log.
    pub fn log_length(&self) -> u64 {
        self.commit.log_length
    }

    /// Bytes of an uncommitted tail that opening for writing cut off (0 if none).
    pub fn recovered_bytes(&self) -> u64 {
        self.recovered
    }

    /// Whether opening found the derived index out of step with the log and rebuilt it.
    pub fn index_rebuilt(&self) -> bool {
        self.index_rebuilt
    }

    /// The root of the committed tree (in read-only mode, from the latest checkpoint).
    ///
    /// # Errors
    /// [`Error::Damaged`] when the latest checkpoint cannot be read or verified.
    pub fn root(&self) -> Result<Hash> {
        match &self.latest {
            Some((_, cp)) => Ok(cp.root),
            None => Ok(self.read_latest_checkpoint()?.1.root),
        }
    }
}
