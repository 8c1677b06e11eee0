//! The one error type of this crate: what stops the server from starting or an archivist
//! command from running. A refused request is an HTTP answer, not an error.

use std::path::PathBuf;

/// What can go wrong setting up or running the server, or keeping its archivists.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The ledger refused (missing, in use, damaged, a key that does not unlock...).
    #[error(transparent)]
    Ledger(#[from] prov_ledger::Error),
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
    /// `archivists.json` does not read.
    #[error("{} does not read ({reason}): restore it from a backup, or remove it and add the archivists again", path.display())]
    Archivists {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// An archivist name that cannot be used.
    #[error("archivist name {name:?} {reason}")]
    BadName {
        /// The name given.
        name: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// `archivist add` of a name already there.
    #[error("archivist {0:?} already exists: revoke it and pick another name to issue a new token")]
    NameTaken(String),
    /// `archivist revoke` of a name not there.
    #[error("there is no archivist {0:?}: `prov archivist list` shows them")]
    NoSuchArchivist(String),
    /// A file of the browser verifier (`--web`) cannot be served.
    #[error("the browser verifier's {} cannot be served ({reason}): build the page with web/build.sh and give its web/dist folder to --web", path.display())]
    WebPage {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The TLS certificate or key does not read.
    #[error("TLS: {0}")]
    Tls(String),
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
