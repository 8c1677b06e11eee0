//! The one error type of this crate.

use std::path::PathBuf;

/// What can go wrong setting up or running a witness (a refused request is an [`Answer`],
/// not an error).
///
/// [`Answer`]: crate::Answer
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file or folder operation failed.
    #[error("cannot {op} {}: {source}", path.display())]
    Io {
        /// What was being done.
        op: &'static str,
        /// On what.
        path: PathBuf,
        /// The system's error.
        source: std::io::Error,
    },
    /// `init` on a folder that already holds a witness, or is not empty.
    #[error("{} already exists and is not empty: give a new folder (a witness key is never overwritten)", .0.display())]
    AlreadyExists(PathBuf),
    /// A folder that is not a witness folder, or whose files do not read.
    #[error("{} is not a usable witness folder: {reason}", path.display())]
    NotAWitness {
        /// The folder or file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The key file can be read by others.
    #[error("{} can be read or written by others (mode {mode:o}): run `chmod 600` on it", path.display())]
    KeyPermissions {
        /// The key file.
        path: PathBuf,
        /// Its mode.
        mode: u32,
    },
    /// Another process serves this witness folder.
    #[error("{} is in use by another witness process: one process serves a witness folder", .0.display())]
    InUse(PathBuf),
    /// The stored state of a log does not read: the witness refuses to cosign for it rather
    /// than guess where the log stands.
    #[error("the stored checkpoint {} does not read ({reason}): restore it from a backup; the witness cosigns nothing for this log until then", path.display())]
    State {
        /// The state file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A bad name or key.
    #[error("{0}")]
    Proofs(#[from] prov_proofs::Error),
    /// The HTTP server could not run.
    #[error("the HTTP server failed: {0}")]
    Server(String),
}

impl Error {
    /// A closure making an [`Error::Io`], for `map_err`.
    pub(crate) fn io(
        op: &'static str,
        path: &std::path::Path,
    ) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.to_owned();
        move |source| Error::Io { op, path, source }
    }
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
