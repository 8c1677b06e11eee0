//! A ledger directory: opening it (one process at a time), recovering from a crash, and
//! reading entries, checkpoints and proofs. Appending is in `append.rs`, audit in `audit.rs`.
//!
//! Layout of a ledger directory (FORMAT.md section 7): `ledger.json` (format, origin,
//! verifier key), `key.pem` (mode 0600), `entries.log` and `COMMIT` (the truth), `index/`
//! (sled, derived), `lock`.

use crate::error::{Error, Result};
use crate::index::Index;
use crate::keys;
use crate::log::{Commit, HEADER_LEN, LogFile, RECORD_CHECKPOINT, sync_dir};
use ed25519_dalek::SigningKey;
use prov_proofs::{Checkpoint, Frontier, Hash, NoteSigner, NoteVerifier};
use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

/// The ledger directory format this code reads and writes.
pub const FORMAT_VERSION: u32 = 1;

/// `ledger.json`.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub(crate) struct Config {
    pub format: u32,
    pub origin: String,
    pub vkey: String,
}

/// An open ledger. Only one process holds a ledger at a time (readers included, as sled
/// allows one process per index); a second gets [`Error::InUse`].
pub struct Ledger {
    pub(crate) dir: PathBuf,
    pub(crate) config: Config,
    pub(crate) verifier: NoteVerifier,
    pub(crate) signer: Option<(SigningKey, NoteSigner)>,
    pub(crate) log: LogFile,
    pub(crate) index: Index,
    pub(crate) commit: Commit,
    pub(crate) frontier: Frontier,
    pub(crate) last_leaf: Hash,
    pub(crate) last_time: u64,
    recovered: u64,
    index_rebuilt: bool,
    _lock: File,
}

pub(crate) fn read_config(dir: &Path) -> Result<(Config, NoteVerifier)> {
    if !dir.is_dir() {
        return Err(Error::Missing(dir.to_owned()));
    }
    let path = dir.join("ledger.json");
    if !path.exists() {
        return Err(Error::NotALedger(dir.to_owned()));
    }
    let text = std::fs::read_to_string(&path).map_err(Error::io("read", &path))?;
    let damaged = |reason: String| Error::Damaged {
        path: path.clone(),
        offset: None,
        reason,
    };
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| damaged(e.to_string()))?;
    let format = value.get("format").and_then(|f| f.as_u64()).unwrap_or(0);
    if format > FORMAT_VERSION as u64 {
        return Err(Error::NewerFormat {
            found: format as u32,
            supported: FORMAT_VERSION,
        });
    }
    let config: Config = serde_json::from_value(value).map_err(|e| damaged(e.to_string()))?;
    if config.format != FORMAT_VERSION {
        return Err(damaged(format!("unknown format {}", config.format)));
    }
    let verifier = NoteVerifier::parse(&config.vkey).map_err(|e| damaged(e.to_string()))?;
    if verifier.name != config.origin {
        return Err(damaged("verifier key name is not the origin".into()));
    }
    Ok((config, verifier))
}

pub(crate) fn lock(dir: &Path) -> Result<File> {
    let path = dir.join("lock");
    let f = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(Error::io("open", &path))?;
    match f.try_lock() {
        Ok(()) => Ok(f),
        Err(std::fs::TryLockError::WouldBlock) => Err(Error::InUse(dir.to_owned())),
        Err(std::fs::TryLockError::Error(e)) => Err(Error::io("lock", &path)(e)),
    }
}

/// Opens the index and catches it up with the committed log; any disagreement is an error.
fn attach_index(index_dir: &Path, log: &LogFile, commit: Commit) -> Result<(Index, Frontier)> {
    let index = Index::open(index_dir)?;
    let indexed = index.log_end()?;
    if indexed > commit.log_length {
        return Err(Error::Damaged {
            path: index_dir.to_owned(),
            offset: None,
            reason: format!(
                "the index covers {indexed} log bytes but only {} are committed",
                commit.log_length
            ),
        });
    }
    let mut frontier = Frontier::load(&index, index.size()?)?;
    if indexed < commit.log_length {
        index.index_log(log, indexed, commit.log_length, &mut frontier)?;
    }
    if frontier.size() != commit.size {
        return Err(Error::Damaged {
            path: log.path.with_file_name("COMMIT"),
            offset: None,
            reason: format!(
                "the commit marker names {} entries but the log holds {}",
                commit.size,
                frontier.size()
            ),
        });
    }
    Ok((index, frontier))
}

impl Ledger {
    /// Creates a new ledger in `dir` (which must be absent or empty) with a new key.
    ///
    /// # Errors
    /// [`Error::AlreadyExists`], [`Error::Invalid`] for a bad origin, or I/O errors.
    pub fn init(dir: &Path, origin: &str) -> Result<Ledger> {
        if dir.join("ledger.json").exists() {
            return Err(Error::AlreadyExists(dir.to_owned()));
        }
        if dir.exists() {
            let mut entries = std::fs::read_dir(dir).map_err(Error::io("read", dir))?;
            if entries.next().is_some() {
                return Err(Error::invalid(
                    "ledger directory",
                    format!(
                        "{} is not empty: choose a new or empty directory",
                        dir.display()
                    ),
                ));
            }
        }
        if origin.chars().any(char::is_control) {
            return Err(Error::invalid(
                "origin",
                "must not contain control characters",
            ));
        }
        crate::encoding::check_recorded_text("origin", origin)?;
        // Everything is validated before anything is written.
        let key = keys::generate_key();
        let signer = NoteSigner::new(origin, key.clone()).map_err(|e| {
            Error::invalid(
                "origin",
                format!("{e}; use a name like archive.example.org/leaks"),
            )
        })?;
        std::fs::create_dir_all(dir).map_err(Error::io("create", dir))?;
        let lock_file = lock(dir)?;
        keys::create_key_file(&dir.join("key.pem"), &key)?;
        let log = LogFile::create(&dir.join("entries.log"))?;
        let empty = Checkpoint {
            origin: origin.to_owned(),
            size: 0,
            root: prov_proofs::empty_root(),
            extensions: vec![],
        };
        let mut buf = Vec::new();
        crate::log::encode_frame(
            RECORD_CHECKPOINT,
            empty.sign(&signer)?.to_text().as_bytes(),
            &mut buf,
        );
        log.write_at_and_sync(HEADER_LEN, &buf)?;
        Commit {
            log_length: HEADER_LEN + buf.len() as u64,
            size: 0,
        }
        .write(dir)?;
        let config = Config {
            format: FORMAT_VERSION,
            origin: origin.to_owned(),
            vkey: signer.verifier().to_vkey(),
        };
        let tmp = dir.join("ledger.json.tmp");
        let text = serde_json::to_string_pretty(&config).unwrap_or_default() + "\n";
        std::fs::write(&tmp, text)
            .and_then(|_| File::open(&tmp)?.sync_all())
            .map_err(Error::io("write", &tmp))?;
        std::fs::rename(&tmp, dir.join("ledger.json"))
            .map_err(Error::io("create", dir.join("ledger.json")))?;
        sync_dir(dir)?;
        drop(log);
        drop(lock_file);
        Ledger::open_writer(dir)
    }

    /// Opens for reading: lookups, proofs. Catches the derived index up with the log.
    ///
    /// # Errors
    /// [`Error::Missing`], [`Error::NotALedger`], [`Error::InUse`], [`Error::NewerFormat`],
    /// [`Error::Damaged`], [`Error::Index`].
    pub fn open(dir: &Path) -> Result<Ledger> {
        Self::open_inner(dir, false, false)
    }

    /// Opens for appending: loads the key, and cuts off any uncommitted tail a crash left.
    ///
    /// # Errors
    /// As [`Ledger::open`], and key errors.
    pub fn open_writer(dir: &Path) -> Result<Ledger> {
        Self::open_inner(dir, true, false)
    }

    /// Deletes the sled index and rebuilds it from the log alone.
    ///
    /// # Errors
    /// As [`Ledger::open`].
    pub fn reindex(dir: &Path) -> Result<Ledger> {
        Self::open_inner(dir, false, true)
    }

    fn open_inner(dir: &Path, write: bool, rebuild: bool) -> Result<Ledger> {
        let (config, verifier) = read_config(dir)?;
        let lock_file = lock(dir)?;
        let commit = Commit::read(&dir.join("COMMIT"))?;
        let log = LogFile::open(&dir.join("entries.log"), write)?;
        let len = log.len()?;
        if len < commit.log_length {
            return Err(Error::Damaged {
                path: log.path.clone(),
                offset: Some(len),
                reason: format!(
                    "the log is {} bytes shorter than its last commit",
                    commit.log_length - len
                ),
            });
        }
        let mut recovered = 0;
        if write && len > commit.log_length {
            log.truncate(commit.log_length)?;
            recovered = len - commit.log_length;
        }
        let index_dir = dir.join("index");
        if rebuild && index_dir.exists() {
            std::fs::remove_dir_all(&index_dir).map_err(Error::io("remove", &index_dir))?;
        }
        // The index is derived: if it disagrees with the log in any way (ahead of a log
        // restored from a backup, corrupt after a crash, missing nodes), start it afresh and
        // catch it up. An error that survives a rebuild is the log's, and is reported.
        let (index, frontier, reset) = match attach_index(&index_dir, &log, commit) {
            Ok((index, frontier)) => (index, frontier, false),
            Err(e @ (Error::Io { .. } | Error::Index(sled::Error::Io(_)))) => return Err(e),
            Err(_) => {
                std::fs::remove_dir_all(&index_dir).map_err(Error::io("remove", &index_dir))?;
                let (index, frontier) = attach_index(&index_dir, &log, commit)?;
                (index, frontier, true)
            }
        };
        let signer = if write {
            let path = dir.join("key.pem");
            let key = keys::load_key_file(&path)?;
            let signer = NoteSigner::new(&config.origin, key.clone())?;
            if signer.verifier() != &verifier {
                return Err(Error::KeyMismatch {
                    path,
                    found: signer.verifier().key_id,
                    want: verifier.key_id,
                });
            }
            Some((key, signer))
        } else {
            None
        };
        let mut ledger = Ledger {
            dir: dir.to_owned(),
            config,
            verifier,
            signer,
            log,
            index,
            commit,
            frontier,
            last_leaf: Hash::default(),
            last_time: 0,
            recovered,
            index_rebuilt: reset,
            _lock: lock_file,
        };
        if commit.size > 0 {
            let last = ledger.entry(commit.size - 1)?;
            ledger.last_leaf = last.leaf_hash();
            ledger.last_time = last.time_ms;
        }
        Ok(ledger)
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

    /// The root of the committed tree.
    pub fn root(&self) -> Hash {
        self.frontier.root()
    }
}
