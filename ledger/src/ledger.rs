//! A ledger directory: opening it, recovering from a crash, and creating one.
//!
//! Layout (FORMAT.md section 7): `ledger.json` (format, origin, verifier key), `key.pem`
//! (mode 0600), `entries.log` and `COMMIT` (the truth), `index/` (sled, derived). Three ways
//! to open it:
//! - [`Ledger::open_read_only`]: no lock, no index, nothing written; reads only the committed
//!   log. For `show`, `log`, `export`, `checkpoint`, `key`; works on a read-only copy and
//!   while a writer runs.
//! - [`Ledger::open`]: the exclusive lock and the index, for lookups and proofs; every index
//!   answer is checked against the signed log. Catches a lagging index up; refuses one that
//!   disagrees with the log.
//! - [`Ledger::open_writer`]: as `open`, with the key; first verifies the whole committed log
//!   against its last signed checkpoint, rolls complete batches past `COMMIT` forward, cuts
//!   an unfinished one, and rebuilds an index that disagrees with the log.

use crate::error::{Error, Result};
use crate::fsys::{self, Io};
use crate::index::Index;
use crate::keys;
use crate::log::{Commit, HEADER_LEN, LogFile, RECORD_CHECKPOINT};
use crate::recovery::{self, Verified};
use ed25519_dalek::SigningKey;
use prov_proofs::{Checkpoint, Frontier, Hash, NoteSigner, NoteVerifier};
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
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
    /// The committed tree (empty in read-only mode, which reads no index).
    pub(crate) frontier: Frontier,
    /// The latest signed checkpoint, verified (not loaded in read-only mode).
    pub(crate) latest: Option<(String, Checkpoint)>,
    pub(crate) last_leaf: Hash,
    pub(crate) last_time: u64,
    pub(crate) io: Io,
    /// Set when the index could not be brought up to the committed log after a commit.
    pub(crate) index_stale: bool,
    /// Set when a commit ended in an unknown state: no further append in this process.
    pub(crate) poisoned: bool,
    /// Writer only: the content prefixes first seen in the verified log, and those recorded
    /// since ([`crate::recovery::Verified::seen`]).
    pub(crate) seen_sorted: Vec<u64>,
    pub(crate) seen_since: std::collections::HashSet<u64>,
    /// Writer only: the index was rebuilt from the verified log in this process, so its
    /// "never seen" needs no second opinion.
    pub(crate) index_fresh: bool,
    /// Clamp the time to the last entry's however far the clock is behind.
    pub(crate) clamp_any: bool,
    recovered: u64,
    rolled_forward: u64,
    pub(crate) index_rebuilt: bool,
    /// The locked ledger folder (not in read-only mode); also used to fsync it.
    pub(crate) dir_handle: Option<File>,
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

/// Opens the sled index, starting it afresh when sled finds its own files corrupt (as a
/// crash can leave them). Returns whether it was reset.
fn open_index(index_dir: &Path) -> Result<(Index, bool)> {
    if fsys::exists(index_dir) {
        fsys::check_tree(index_dir)?;
    }
    Index::open_or_reset(index_dir)
}

impl Ledger {
    /// Creates a new ledger in `dir` (which must be absent or empty) with a new key. The
    /// ledger is built in a temporary folder beside `dir` and renamed into place, so an
    /// `init` that is killed or fails leaves `dir` as it was. Modes are set explicitly,
    /// whatever the umask: the folder 0700, `key.pem` 0600, the other files 0644.
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
        crate::entry_rules::check_recorded_text("origin", origin)?;
        // Everything is validated before anything is written.
        let key = keys::generate_key();
        let signer = NoteSigner::new(origin, key.clone()).map_err(|e| {
            Error::invalid(
                "origin",
                format!("{e}; use a name like archive.example.org/leaks"),
            )
        })?;
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "ledger".into());
        let parent = match dir.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&parent).map_err(Error::io("create", &parent))?;
        let tmp = parent.join(format!(".{name}.prov-init-{}", std::process::id()));
        if fsys::exists(&tmp) {
            std::fs::remove_dir_all(&tmp).map_err(Error::io("remove", &tmp))?;
        }
        let built = build_ledger(&tmp, origin, &key, &signer).and_then(|()| {
            // rename(2) replaces an empty directory, and refuses a non-empty one.
            std::fs::rename(&tmp, dir).map_err(Error::io("create", dir))?;
            File::open(&parent)
                .and_then(|d| d.sync_all())
                .map_err(Error::io("sync", &parent))
        });
        if let Err(e) = built {
            let _ = std::fs::remove_dir_all(&tmp);
            return Err(e);
        }
        Ledger::open_writer(dir)
    }

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
        // COMMIT's size is believed only once the log agrees: its latest checkpoint, for that
        // size, must follow exactly that many entries and end the committed log.
        l.latest = Some(l.read_latest_checkpoint()?);
        Ok(l)
    }

    /// Opens for lookups and proofs: the exclusive lock and the index. A lagging index is
    /// caught up from the log; one that disagrees with the signed log is refused.
    ///
    /// # Errors
    /// As [`Ledger::open_read_only`], and [`Error::InUse`], [`Error::IndexDisagrees`],
    /// [`Error::Index`].
    pub fn open(dir: &Path) -> Result<Ledger> {
        let (config, verifier) = read_config(dir)?;
        let dir_handle = fsys::lock_dir(dir)?;
        let (commit, log, _) = open_log(dir, false)?;
        let mut l = Ledger::assemble(dir, config, verifier, Mode::Indexed, log, commit);
        l.dir_handle = Some(dir_handle);
        let index_dir = dir.join("index");
        let (index, reset) = open_index(&index_dir).map_err(|e| match e {
            Error::Index(sled::Error::Io(e))
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::ReadOnlyFilesystem | std::io::ErrorKind::PermissionDenied
                ) =>
            {
                Error::Io {
                    op: "open the index (check, prove and consistency need to write it; show, log, export and audit work read-only) in",
                    path: index_dir.clone(),
                    source: e,
                }
            }
            e => e,
        })?;
        l.index_rebuilt = reset;
        let indexed = index.log_end()?;
        if indexed > commit.log_length || index.size()? > commit.size {
            return Err(Error::IndexDisagrees {
                reason: format!(
                    "it covers {indexed} log bytes, the log only {} committed",
                    commit.log_length
                ),
            });
        }
        let mut frontier = Frontier::load(&index, index.size()?)?;
        if indexed < commit.log_length {
            index
                .index_log(&l.log, indexed, commit.log_length, &mut frontier)
                .map_err(|e| match e {
                    e @ (Error::Io { .. } | Error::Index(_)) => e,
                    e => Error::IndexDisagrees {
                        reason: format!(
                            "it cannot be caught up with the log from where it ends ({e})"
                        ),
                    },
                })?;
        }
        l.index = Some(index);
        let latest = l.read_latest_checkpoint()?;
        if frontier.size() != commit.size || frontier.root() != latest.1.root {
            return Err(Error::IndexDisagrees {
                reason: format!(
                    "its tree of {} entries has another root than the checkpoint signed at size {}",
                    frontier.size(),
                    commit.size
                ),
            });
        }
        l.frontier = frontier;
        l.latest = Some(latest);
        Ok(l)
    }

    /// Opens for appending: loads the key, verifies the committed log against its last
    /// signed checkpoint, handles the tail past `COMMIT` (see `recovery.rs`), and brings the
    /// index into agreement with the log, rebuilding it if it disagrees.
    ///
    /// # Errors
    /// As [`Ledger::open`], key errors, and [`Error::Damaged`] for damage the writer must
    /// not build on (nothing is written then).
    pub fn open_writer(dir: &Path) -> Result<Ledger> {
        Self::open_writer_inner(dir, false)
    }

    /// Deletes the sled index and rebuilds it from the verified log alone.
    ///
    /// # Errors
    /// As [`Ledger::open_writer`].
    pub fn reindex(dir: &Path) -> Result<Ledger> {
        Self::open_writer_inner(dir, true)
    }

    fn open_writer_inner(dir: &Path, rebuild: bool) -> Result<Ledger> {
        let (config, verifier) = read_config(dir)?;
        // The lock comes before anything is touched; nothing is cut by a process without it.
        let dir_handle = fsys::lock_dir(dir)?;
        let (commit, log, len) = open_log(dir, true)?;
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
        let mut state: Verified = recovery::verify_committed(&log, commit, &verifier)?;
        let tail = recovery::examine_tail(&log, commit, len, &verifier, &mut state)?;
        let commit = tail.commit.unwrap_or(commit);
        let index_dir = dir.join("index");
        if rebuild {
            // Whatever stands there is replaced; a link is removed, never followed.
            fsys::remove_any(&index_dir)?;
        }
        // Read the index's extent before anything changes: one ahead of the (rolled
        // forward) commit cannot come of a crash.
        let (index, mut reset) = open_index(&index_dir)?;
        let ahead = index.log_end()? > commit.log_length || index.size()? > commit.size;
        // Ahead, and agreeing with the log as far as the log goes: this ledger's own index
        // of a later state, so COMMIT and the log were rolled back. Ahead and disagreeing:
        // not this log's index at all (a copy from elsewhere), rebuilt below.
        let ours =
            ahead && prov_proofs::root_at(&index, commit.size).ok() == Some(state.frontier.root());
        if ours && !rebuild {
            return Err(Error::Damaged {
                path: index_dir,
                offset: None,
                reason: format!(
                    "the index covers more than the log's {} complete entries, which no crash leaves (a COMMIT and log restored from an older copy?); nothing was changed: if you restored them from a backup on purpose, run `prov reindex`",
                    commit.size
                ),
            });
        }
        if tail.commit.is_some() {
            commit.write(dir, &dir_handle)?;
        }
        if tail.cut_bytes > 0 {
            log.truncate(commit.log_length)?;
        }
        let mut l = Ledger::assemble(dir, config, verifier, Mode::Writer, log, commit);
        l.dir_handle = Some(dir_handle);
        l.signer = Some((key, signer));
        l.recovered = tail.cut_bytes;
        l.rolled_forward = tail.rolled_entries;
        l.last_leaf = state.last_leaf;
        l.last_time = state.last_time;
        let cp = Checkpoint::open(state.checkpoint.as_bytes(), &l.verifier)?;
        l.latest = Some((state.checkpoint, cp));
        l.frontier = state.frontier;
        l.seen_sorted = state.seen;
        let index = if rebuild || ahead {
            drop(index);
            std::fs::remove_dir_all(&index_dir).map_err(Error::io("remove", &index_dir))?;
            reset = !rebuild;
            l.fill_index(Index::open(&index_dir)?)?
        } else {
            match l.fill_index(index) {
                Ok(index) => index,
                Err(e @ (Error::Io { .. } | Error::Index(sled::Error::Io(_)))) => return Err(e),
                Err(_) => {
                    reset = true;
                    std::fs::remove_dir_all(&index_dir).map_err(Error::io("remove", &index_dir))?;
                    l.fill_index(Index::open(&index_dir)?)?
                }
            }
        };
        l.index_rebuilt = reset;
        l.index_fresh = reset || rebuild || ahead;
        l.index = Some(index);
        Ok(l)
    }

    /// Catches `index` up with the committed log and checks that its tree is the log's.
    fn fill_index(&self, index: Index) -> Result<Index> {
        let indexed = index.log_end()?;
        let mut frontier = Frontier::load(&index, index.size()?)?;
        if indexed < self.commit.log_length {
            index.index_log(&self.log, indexed, self.commit.log_length, &mut frontier)?;
        }
        if frontier.size() != self.frontier.size() || frontier.root() != self.frontier.root() {
            return Err(Error::IndexDisagrees {
                reason: "its tree differs from the log's".into(),
            });
        }
        Ok(index)
    }

    fn assemble(
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
            frontier: Frontier::new(),
            latest: None,
            last_leaf: Hash::default(),
            last_time: 0,
            io: Io::default(),
            index_stale: false,
            poisoned: false,
            seen_sorted: Vec::new(),
            seen_since: Default::default(),
            index_fresh: false,
            clamp_any: false,
            recovered: 0,
            rolled_forward: 0,
            index_rebuilt: false,
            dir_handle: None,
        }
    }

    /// Sets the hook through which tests inject failures into the commit path (see
    /// [`crate::Step`]). Not for production use.
    #[doc(hidden)]
    pub fn set_fault_hook(&mut self, hook: Option<crate::FaultHook>) {
        self.io.set_hook(hook);
    }

    /// Entries that opening for writing found complete and signed past `COMMIT` (a crash
    /// before the commit point) and committed (0 if none).
    pub fn rolled_forward_entries(&self) -> u64 {
        self.rolled_forward
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

/// Writes a new ledger's files into the empty folder `tmp`.
fn build_ledger(tmp: &Path, origin: &str, key: &SigningKey, signer: &NoteSigner) -> Result<()> {
    std::fs::DirBuilder::new()
        .mode(0o700)
        .create(tmp)
        .map_err(Error::io("create", tmp))?;
    let mode = |path: &Path, mode: u32| {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
            .map_err(Error::io("set the mode of", path))
    };
    mode(tmp, 0o700)?;
    let handle = File::open(tmp).map_err(Error::io("open", tmp))?;
    keys::create_key_file(&tmp.join("key.pem"), key)?;
    mode(&tmp.join("key.pem"), 0o600)?;
    let log = LogFile::create(&tmp.join("entries.log"))?;
    mode(&log.path, 0o644)?;
    let empty = Checkpoint {
        origin: origin.to_owned(),
        size: 0,
        root: prov_proofs::empty_root(),
        extensions: vec![],
    };
    let mut buf = Vec::new();
    crate::log::encode_frame(
        RECORD_CHECKPOINT,
        empty.sign(signer)?.to_text().as_bytes(),
        &mut buf,
    );
    log.write_at_and_sync(HEADER_LEN, &buf, &mut Io::default())?;
    Commit {
        log_length: HEADER_LEN + buf.len() as u64,
        size: 0,
    }
    .write(tmp, &handle)?;
    mode(&tmp.join("COMMIT"), 0o644)?;
    let config = Config {
        format: FORMAT_VERSION,
        origin: origin.to_owned(),
        vkey: signer.verifier().to_vkey(),
    };
    let path = tmp.join("ledger.json");
    let text = serde_json::to_string_pretty(&config).unwrap_or_default() + "\n";
    std::fs::write(&path, text)
        .and_then(|_| File::open(&path)?.sync_all())
        .map_err(Error::io("write", &path))?;
    mode(&path, 0o644)?;
    handle.sync_all().map_err(Error::io("sync", tmp))
}
