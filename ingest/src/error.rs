//! The crate's one error type.

use std::io;
use std::path::PathBuf;

/// What stops a walk as a whole. Everything about the content (corrupt or cut archives,
/// limits, unsupported formats) is not an error: it is a note on the member concerned.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The top file could not be opened or inspected.
    #[error("cannot open {}: {source}", path.display())]
    Open {
        /// The file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// Reading the top file (or reader) failed for a reason other than its content: the
    /// results would not describe it.
    #[error("cannot read {what}: {source}")]
    Read {
        /// The file's path, or `input` for a reader.
        what: String,
        /// Why.
        source: io::Error,
    },
    /// Limits that cannot work (a zero depth or byte limit).
    #[error("invalid limits: {0}")]
    Limits(String),
}
