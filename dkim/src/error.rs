//! The crate's one error type: why a tag list, key record or signature is refused, and why a
//! signature does not verify.

/// Why something DKIM is refused, or a signature does not verify (RFC 6376 section 6.1 names
/// these outcomes PERMFAIL).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A tag list does not follow RFC 6376 section 3.2.
    #[error("malformed tag list at byte {at}: {reason}")]
    TagList {
        /// Offset in the tag list where it goes wrong.
        at: usize,
        /// What is wrong there.
        reason: &'static str,
    },
    /// A tag appears twice: the whole tag list is invalid (RFC 6376 section 3.2).
    #[error("tag {0}= appears twice (RFC 6376 3.2: the tag list is invalid)")]
    DuplicateTag(String),
    /// A required tag is missing (RFC 6376 section 3.5, 3.6.1).
    #[error("required tag {0}= is missing")]
    MissingTag(&'static str),
    /// A tag's value is not what its definition allows.
    #[error("tag {tag}= is invalid: {reason}")]
    BadValue {
        /// The tag.
        tag: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// A signing algorithm (`a=`), canonicalization (`c=`) or key type (`k=`) this crate
    /// does not implement.
    #[error("unsupported {what} {value:?}")]
    Unsupported {
        /// `algorithm`, `canonicalization`, `key type` or `version`.
        what: &'static str,
        /// The value given.
        value: String,
    },
    /// The message's header does not parse: a line that is neither a field nor a
    /// continuation (RFC 5322 section 2.2).
    #[error("the message header has a line that is not a header field (line {line})")]
    MalformedMessage {
        /// The line, from 1.
        line: usize,
    },
    /// The signature does not sign the From field (RFC 6376 section 5.4, 6.1.1).
    #[error("the signature does not sign the From field (h= lacks from)")]
    FromNotSigned,
    /// The `i=` identity is not in the signing domain `d=` (RFC 6376 section 3.5).
    #[error("i= is not in the domain d= or a subdomain of it")]
    IdentityOutsideDomain,
    /// The signature expired (`x=`) before the time it is checked at (RFC 6376 section 3.5).
    #[error("signature expired at {expires} (x=), before the time checked, {at} (Unix seconds)")]
    Expired {
        /// Its `x=`.
        expires: u64,
        /// The time given to check it at.
        at: u64,
    },
    /// The body hash recomputed from the message differs from `bh=` (RFC 6376 section
    /// 6.1.3): the body was changed after signing.
    #[error("body hash mismatch: the body is not the one signed")]
    BodyHashMismatch,
    /// The signature does not verify with the key: the signed header fields were changed, or
    /// the key is not the signer's.
    #[error("signature mismatch: the signed header fields or the key differ from the signer's")]
    SignatureMismatch,
    /// No key record was given for the signature's domain and selector.
    #[error("no key archived for selector {selector:?} of domain {domain:?}")]
    NoKey {
        /// `d=`.
        domain: String,
        /// `s=`.
        selector: String,
    },
    /// The key record has an empty `p=`: the key was revoked (RFC 6376 section 3.6.1).
    #[error("the key record is revoked (empty p=)")]
    RevokedKey,
    /// The key record does not allow this signature: another key type, a hash its `h=` does
    /// not list, a service other than email, or `t=s` with a subdomain identity.
    #[error("the key record does not allow this signature: {0}")]
    KeyNotApplicable(String),
    /// A key record's `p=` is not a public key of its type.
    #[error("the key record's p= is not a usable {kind} public key: {reason}")]
    BadKey {
        /// `rsa` or `ed25519`.
        kind: &'static str,
        /// Why.
        reason: String,
    },
}

/// Results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
