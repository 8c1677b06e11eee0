//! The one error type of the ledger crate.

use std::path::PathBuf;

/// Everything that can go wrong with a ledger. Each message names the thing and, where the
/// user can act, says what to do.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file-system operation failed.
    #[error("cannot {op} {}: {source}", path.display())]
    Io {
        /// What was being done ("read", "create", ...).
        op: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// No ledger at this path.
    #[error("no ledger at {}: create one with `prov init` or point --ledger at an existing one", .0.display())]
    Missing(PathBuf),
    /// The directory exists but is not a ledger.
    #[error("{} is not a prov ledger (no ledger.json): check --ledger", .0.display())]
    NotALedger(PathBuf),
    /// `init` on a directory that already holds a ledger.
    #[error("{} already holds a ledger: choose another directory", .0.display())]
    AlreadyExists(PathBuf),
    /// Another process holds the ledger.
    #[error("ledger {} is in use by another prov process: wait for it to finish and try again", .0.display())]
    InUse(PathBuf),
    /// The ledger was written by a newer `prov`.
    #[error(
        "ledger format version {found} is newer than this prov supports ({supported}): upgrade prov"
    )]
    NewerFormat {
        /// Version found.
        found: u32,
        /// Highest version supported.
        supported: u32,
    },
    /// The ledger's files are damaged or inconsistent.
    #[error("ledger damaged: {reason} (in {}{}): run `prov audit` to locate the fault and restore from a backup", path.display(), offset.map(|o| format!(" at byte {o}")).unwrap_or_default())]
    Damaged {
        /// The file.
        path: PathBuf,
        /// Byte offset in that file, where known.
        offset: Option<u64>,
        /// What is wrong.
        reason: String,
    },
    /// The derived index (sled) failed.
    #[error("ledger index failed: {0}: run `prov reindex` to rebuild it from the log")]
    Index(#[from] sled::Error),
    /// The signing key file is readable by others.
    #[error("key file {} is readable by others (mode {mode:o}): run `chmod 600 {}`", path.display(), path.display())]
    KeyPermissions {
        /// The key file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The signing key file is not a usable Ed25519 PKCS#8 PEM key.
    #[error("key file {} is not an Ed25519 PKCS#8 PEM private key: {reason}", path.display())]
    KeyInvalid {
        /// The key file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The key file does not match the key the ledger was created with.
    #[error("key file {} has key ID {found:08x}, but the ledger was created with key ID {want:08x}", path.display())]
    KeyMismatch {
        /// The key file.
        path: PathBuf,
        /// Key ID of the file's key.
        found: u32,
        /// Key ID recorded in the ledger.
        want: u32,
    },
    /// A document or field the ledger refuses to record.
    #[error("invalid {field}: {reason}")]
    Invalid {
        /// Which field.
        field: &'static str,
        /// Why.
        reason: String,
    },
    /// Entry bytes that do not decode under the strict rules of FORMAT.md section 6.
    #[error("malformed entry: {0}")]
    Decode(String),
    /// A file changed while it was being hashed.
    #[error("{} changed while it was being hashed: add it again once it is no longer being written", .0.display())]
    FileChanged(PathBuf),
    /// A sequence number beyond the ledger.
    #[error("no entry {seq}: the ledger has {size} entries")]
    NoSuchEntry {
        /// The sequence number asked for.
        seq: u64,
        /// The ledger's size.
        size: u64,
    },
    /// A tree size for which no checkpoint was issued.
    #[error("no checkpoint was issued at size {0}: use a size from `prov log` or the latest")]
    NoSuchCheckpoint(u64),
    /// The system clock is behind the ledger's last recorded time by more than the tolerance:
    /// recording now would make time run backwards along the chain.
    #[error(
        "the clock reads {clock_ms} ms since 1970, behind the ledger's last recorded time {ledger_ms}: correct the clock"
    )]
    ClockBehind {
        /// What the clock said (ms since the Unix epoch).
        clock_ms: u64,
        /// The ledger's last recorded time (ms since the Unix epoch).
        ledger_ms: u64,
    },
    /// A proof or note error from the proofs crate.
    #[error(transparent)]
    Proof(#[from] prov_proofs::Error),
}

impl Error {
    pub(crate) fn io(
        op: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io { op, path, source }
    }

    pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> Error {
        Error::Invalid {
            field,
            reason: reason.into(),
        }
    }
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
