//! DKIM signatures (RFC 6376) checked offline, against key records archived when they were
//! first seen, and what they claim.
//!
//! A domain's DKIM key is replaced in DNS when it is rotated, so a signature can only be
//! checked years later with the key kept at the time. This crate never looks anything up:
//! [`verify`] takes the candidate key records for each signature's domain and selector from
//! the caller, and [`claims`] needs no key at all.
//!
//! Implemented: the tag lists of section 3.2; the DKIM-Signature of section 3.5 (`v`, `a`,
//! `b`, `bh`, `c`, `d`, `h`, `i`, `l`, `s`, `t`, `x`; `q` and `z` are ignored); simple and
//! relaxed canonicalization of section 3.4 with `l=`; header fields picked bottom-up (5.4.2);
//! `rsa-sha256`, `rsa-sha1` (verified, flagged obsolete per RFC 8301) and `ed25519-sha256`
//! (RFC 8463); the key record of section 3.6.1 (`v`, `k`, `p`, `h`, `s`, `t`; an empty `p=`
//! is revoked). RSA keys of more than 4096 bits are refused; keys under 1024 bits verify but
//! are flagged weak (RFC 8301 section 3.2).
//!
//! Messages in files often end their lines with LF alone: LF and CRLF both end a line, and
//! the canonical forms use CRLF (section 5.3).
//!
//! ```
//! let message = b"From: a@example.org\r\nSubject: hi\r\n\r\nHello\r\n";
//! // No DKIM-Signature: nothing claimed, nothing verified.
//! assert!(prov_dkim::claims(message).is_empty());
//! let checked = prov_dkim::verify(message, None, |_d, _s| Vec::<((), Vec<u8>)>::new());
//! assert!(checked.is_empty());
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod canon;
mod claims;
mod error;
mod key_record;
mod message;
mod signature;
mod tags;
mod verify;

pub use claims::claims;
pub use error::{Error, Result};
pub use key_record::{KeyRecord, WEAK_BELOW_BITS};
pub use verify::{Checked, MAX_SIGNATURES, Verified, verify};
