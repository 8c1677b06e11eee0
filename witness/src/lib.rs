//! `prov-witness`: a C2SP tlog-witness (<https://c2sp.org/tlog-witness>). It keeps, for each
//! log it knows, the latest checkpoint it cosigned, and cosigns a new checkpoint only when a
//! consistency proof shows that it extends that one; its cosignatures are C2SP
//! tlog-cosignature v1 lines (Ed25519, timestamped; `prov_proofs::CosignerSigner`).
//!
//! - [`WitnessDir`]: the witness's folder (its name, key and state), made by
//!   [`WitnessDir::init`];
//! - [`Witness::add_checkpoint`]: the protocol's `add-checkpoint` call, from request body to
//!   answer, with its storage contract;
//! - [`serve`]: the HTTP front end (hyper on tokio): `POST /add-checkpoint` and the
//!   monitoring `GET /<origin hash>/checkpoint`.
//!
//! Nothing here prints or exits; the `prov witness` commands do.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod add_checkpoint;
mod error;
mod keyfile;
mod server;
mod state;

pub use add_checkpoint::{AfterPersist, Answer, Witness};
pub use error::{Error, Result};
pub use keyfile::WitnessDir;
pub use server::{Limits, serve};
