//! `prov-ingest`: find the members of a file recursively and hash each one while streaming.
//!
//! A leak arrives as archives of mailboxes. [`walk`] reads a file once, tells what it is from
//! its bytes ([`sniff`]), and if it is a container (zip, 7z, tar, gzip, email, mbox) finds its
//! members, their members, and so on, calling the visitor with a [`Found`] for each: its raw
//! path inside its container, its SHA-256 and size (of its bytes after decompression or
//! transfer decoding, never re-encoded), what it is, and a note when it could not be read
//! whole. Each container also reports its [`Completeness`]: how many members it declares, how
//! many were found, and which were not recorded and why. Each document also reports what it
//! claims about itself (`Found::claimed`: an email's header fields, an Office or PDF file's
//! authors, application and dates, an archive member's stored time), kept exactly and apart
//! from what the walk observed; OOXML and ODF packages are documents, not containers.
//!
//! Hostile archives are expected: nothing is written to disk, member paths are never resolved
//! against a file system, links are recorded and never followed, and the work is bounded by
//! [`Limits`] (depth, total bytes, expansion ratio, member count, bytes held in memory), each
//! limit reached being reported on the member concerned; what is held in memory (nested
//! archives, emails, zip directories, 7z headers and dictionaries, the members of a streamed
//! container until it is finished) counts against `max_buffered`.
//!
//! This crate knows nothing of the ledger: recording what it finds is the caller's job.
//!
//! ```no_run
//! use std::ops::ControlFlow;
//! let mut seen = Vec::new();
//! let summary = prov_ingest::walk(
//!     std::path::Path::new("leak.tar.gz"),
//!     &prov_ingest::Limits::default(),
//!     &mut |found| {
//!         seen.push((found.index, found.parent, found.path, found.sha256));
//!         ControlFlow::Continue(())
//!     },
//! )?;
//! println!("{} members", summary.members);
//! # Ok::<(), prov_ingest::Error>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod ahead;
mod claimed;
mod email;
mod error;
mod fingerprint;
mod found;
mod gzip;
mod limits;
mod mbox;
mod meter;
mod sevenz;
mod sniff;
mod tar;
mod text;
mod top;
mod walk;
mod zip;
mod zip_directory;

pub use error::Error;
pub use fingerprint::{Fingerprints, MAX_FINGERPRINTED, MIN_FINGERPRINTED, Printer, Tlsh};
pub use found::{Completeness, Found, Hashed, Link, Mtime, Summary};
pub use limits::Limits;
pub use sniff::{Kind, SNIFF_LEN, sniff};
pub use text::text_fingerprint;
pub use top::{walk, walk_reader, walk_seekable, walk_seekable_twin};
pub use walk::Visit;
