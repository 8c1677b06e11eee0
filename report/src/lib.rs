//! `prov-report`: the answers `prov` gives, built once for every front end. The objects
//! `prov add --json`, `prov check --json` and `prov show --json` print are the very objects
//! the ledger server (`prov serve`) answers with, so a script reads both alike.
//!
//! - [`added_json`]: one recorded document (`prov add --json`, `POST /v1/documents`);
//! - [`Checked`] and [`check_sha256`]: one document's story (`prov check --json`,
//!   `GET /v1/documents/{sha256}`);
//! - [`entry_json`]: one entry, every field decoded (FORMAT.md section 6);
//! - [`lines`]: the human lines of `check` and `show`, made from those objects (so a local
//!   command and the same through a server print the same);
//! - [`escape`]: text recorded from untrusted input, made safe to show on a terminal.
//!
//! Nothing here prints or exits; errors are the ledger's ([`prov_ledger::Error`]).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod added;
mod checked;
pub mod containers;
mod entry_json;
pub mod escape;
mod fields;
pub mod lines;
pub mod story;

pub use added::{added_json, similar_json};
pub use checked::{Checked, bound_json, check_sha256, unverified_json};
pub use entry_json::{claim_json, claim_line, claimed_json, entry_json, evidence};
pub use fields::{count, name_json, rfc3339, set_path, set_path_as};
