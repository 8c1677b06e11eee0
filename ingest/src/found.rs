//! What a walk reports: one [`Found`] per member, a [`Completeness`] per container, and a
//! [`Summary`] of the top file.

use crate::sniff::Kind;
use crate::walk::Outcome;

/// One member of a container, as `walk` found it.
///
/// Members are visited depth first in container order, a container before its own members
/// (its `sha256` is already known then: see `walk`). `index` counts visited members from 0 in
/// that order, so a parent's index is always smaller than its members'.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    /// Position of this member in the walk's visiting order, from 0.
    pub index: u64,
    /// The containing member's `index`; `None` for members of the top file.
    pub parent: Option<u64>,
    /// How the container names this member, raw bytes as stored (a tar or zip path, a gzip
    /// `FNAME`, an email part's file name); empty when the container gives no name (an mbox
    /// message, an unnamed MIME part). Never checked against or resolved on any file system.
    pub path: Vec<u8>,
    /// Where the member sits in its container when `path` cannot tell it: `"3"` for an mbox's
    /// third message, `"2"` for an email's second part (MIME parts numbered from 1 in the order
    /// they appear, multiparts left out). `None` for archive members.
    pub locator: Option<String>,
    /// What the member is, sniffed from its bytes.
    pub kind: Kind,
    /// SHA-256 of the bytes read (see `hashed` for what those are).
    pub sha256: [u8; 32],
    /// How many bytes were read.
    pub size: u64,
    /// Whether `sha256` and `size` cover the member's whole content.
    pub hashed: Hashed,
    /// The modification time the container stores, if any.
    pub mtime: Option<Mtime>,
    /// For an email part, its declared media type (`text/plain`), lowercase.
    pub media_type: Option<String>,
    /// For a link member (tar symlink or hard link, zip symlink): where it points, raw.
    pub link: Option<Link>,
    /// Why the member was not extracted, not fully read, or not looked into; `None` when
    /// everything went as it should.
    pub note: Option<String>,
    /// For a container whose members were looked for: how complete that was.
    pub completeness: Option<Completeness>,
    /// What the member claims about itself (its own metadata: an email's `Date:`, a
    /// spreadsheet's last author, a PDF's producer) and what its container stores about it
    /// (`archive.mtime`), as (key, value) sorted by key; never what the walk observed.
    ///
    /// Keys: `email.{message_id,date,from,to,subject}` (header field bodies, unfolded per RFC
    /// 5322 2.2.3, trimmed, encoded words not decoded), `office.{creator,last_modified_by,
    /// created,modified,application,company}` (OOXML/ODF properties, OLE summary
    /// information), `pdf.{producer,creator,author,created,modified}` (the `Info`
    /// dictionary), `archive.mtime` (RFC 3339 UTC for a Unix time, the stored local time with
    /// no zone for a zip's MS-DOS time). Dates are as stored, except OLE's binary FILETIMEs,
    /// written as RFC 3339 UTC to the second. A value is text when it is UTF-8 with no control
    /// character but tab and no bidirectional control or line/paragraph separator; otherwise
    /// the key ends in `.hex` and the value is the raw bytes in lowercase hex. Values are at
    /// most 4,096 bytes: a longer one is cut and `KEY.truncated` gives its length in bytes. At
    /// most 64 keys. Details: the crate README, "What documents claim about themselves".
    pub claimed: Vec<(String, String)>,
    /// Its similarity fingerprints (TLSH of its bytes and of its text), when it has them.
    pub fingerprints: crate::Fingerprints,
}

/// What `Found::sha256` covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hashed {
    /// The member's whole content, decompressed and transfer-decoded: its real bytes.
    Content,
    /// The member's bytes as stored in the container (still compressed or encrypted), because
    /// they could not be decoded; `note` says why.
    Stored,
    /// Only the first `size` bytes: reading stopped early (a limit, a cut or corrupt archive);
    /// `note` says why. This is not the member's hash and must not be recorded as one.
    Prefix,
}

/// A modification time as the container stores it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mtime {
    /// Seconds since 1970-01-01T00:00:00Z (tar, gzip `MTIME`, zip extended timestamp).
    Unix(i64),
    /// A local date and time in an unknown zone, `YYYY-MM-DDTHH:MM:SS` (zip MS-DOS fields).
    Local(String),
}

/// A link member's target. It is recorded, never resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    /// `true` for a tar hard link (a name of another member), `false` for a symbolic link.
    pub hard: bool,
    /// The target exactly as stored.
    pub target: Vec<u8>,
}

/// How completely a container's members were found.
///
/// Every entry the container has is counted in `found` once it was reached; each reached
/// entry is either visited as a [`Found`], or is a directory (`directories`), or is listed in
/// `not_recorded` with the reason. Members visited with [`Hashed::Prefix`] are listed in
/// `not_recorded` too, since their hash is not theirs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Completeness {
    /// How many entries the container says it has: a zip's central directory count, and 1
    /// for a gzip stream (one member by its format); `None` for formats that do not say (tar,
    /// email, mbox).
    pub declared: Option<u64>,
    /// How many entries were reached.
    pub found: u64,
    /// How many of them were directories (not documents, not visited).
    pub directories: u64,
    /// Entries not recorded, or recorded only in part, with the reason: (raw path, reason).
    /// Only the first [`Completeness::KEPT`] are kept, so that a container of a million
    /// device entries, or a walk past `max_members`, holds bounded memory; the others are
    /// counted in `not_recorded_more`.
    pub not_recorded: Vec<(Vec<u8>, String)>,
    /// Why the container was not read to its end, if it was not (a cut, corrupt data, a
    /// limit); entries after that point are not counted anywhere.
    pub stopped: Option<String>,
    /// How many more entries were not recorded than `not_recorded` lists (those past the
    /// first [`Completeness::KEPT`]); 0 when it lists them all.
    pub not_recorded_more: u64,
}

/// The top file of a walk: its own hash, kind and completeness.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    /// What the top file is.
    pub kind: Kind,
    /// SHA-256 of the top file's bytes as read.
    pub sha256: [u8; 32],
    /// Its size in bytes as read.
    pub size: u64,
    /// Whether the whole top file was read.
    pub hashed: Hashed,
    /// Why it was not fully read or looked into, if so.
    pub note: Option<String>,
    /// For a container: how completely its members were found.
    pub completeness: Option<Completeness>,
    /// How many members were visited, at every depth.
    pub members: u64,
    /// Total bytes hashed, at every depth (a member's bytes count again in each container
    /// that holds it).
    pub bytes: u64,
    /// Whether the visitor stopped the walk early.
    pub stopped_by_visitor: bool,
    /// What the top file claims about itself, as [`Found::claimed`] (no `archive.mtime`).
    pub claimed: Vec<(String, String)>,
    /// Its similarity fingerprints, as [`Found::fingerprints`].
    pub fingerprints: crate::Fingerprints,
}

impl Completeness {
    /// How many entries `not_recorded` lists at most, per container.
    pub const KEPT: usize = 1000;

    /// Counts one entry reached, and lists it if it was not recorded whole.
    pub(crate) fn record(&mut self, path: &[u8], outcome: Outcome) {
        self.found += 1;
        match outcome {
            Outcome::Whole => {}
            Outcome::Partial(why) | Outcome::Skipped(why) => self.list(path, why),
        }
    }

    /// Lists an entry not recorded (without counting it as found), within [`Self::KEPT`].
    pub(crate) fn list(&mut self, path: &[u8], why: String) {
        if self.not_recorded.len() < Self::KEPT {
            self.not_recorded.push((path.to_vec(), why));
        } else {
            self.not_recorded_more += 1;
        }
    }
}
