//! `prov-server`: the ledger as an HTTP service for a newsroom (`prov serve`). Several
//! archivists append at once through one writer that commits what arrives together as one
//! group (one fsync, one signed checkpoint), each answered only once its entries are durable
//! and the tiles tree covering them is published; anyone reads, with no lock and no waiting.
//!
//! - [`serve`]: the HTTP front end (hyper on tokio, optional rustls TLS) and its routes:
//!   `POST /v1/documents`, `GET /v1/documents/{sha256}`, `/v1/entries/{seq}`,
//!   `/v1/proofs/{seq}`, `/v1/consistency?old=N`, `POST /v1/claims`, and the C2SP tlog-tiles tree
//!   (<https://c2sp.org/tlog-tiles>) at `/checkpoint` and `/tile/...`; the browser verifier
//!   at `/verify/` when started with its built page ([`VerifyPage`]);
//! - [`Archivists`]: who may write, by bearer token (stored as a SHA-256 only);
//! - the answers are the objects of `prov add --json` and `prov check --json`
//!   (`prov-report`), not a second rendering of them.
//!
//! Nothing here prints or exits; `prov serve` and `prov archivist` do.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod answer;
mod archivists;
mod claims;
mod connection;
mod error;
mod linger;
mod parts;
mod reads;
mod server;
mod spool;
mod state;
mod tree;
mod upload;
mod verify_page;
mod writer;

pub use answer::Answer;
pub use archivists::{ARCHIVISTS_FILE, ARCHIVISTS_LOCK, Archivist, Archivists, Verdict};
pub use error::{Error, Result};
pub use server::{Config, Limits, MAX_JSON_BODY, serve};
pub use spool::MAX_PARTS;
pub use upload::MAX_LIST;
pub use verify_page::{CONTENT_SECURITY_POLICY, PAGE_FILES, VerifyPage};
pub use writer::{GROUP, Hold};
