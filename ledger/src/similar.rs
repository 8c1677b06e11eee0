//! Look-alikes: recorded documents whose fingerprints (TLSH, `prov_ingest::Tlsh`) are close
//! to a document's, for `prov similar` and for the `similar_to` link `prov add` records
//! (FORMAT.md section 6.9).
//!
//! Bytes are compared with bytes and text with text; a document's distance to another is the
//! smaller of the two, with the kind that gave it. `prov similar` scans every fingerprint the
//! ledger holds (`docs/PERFORMANCE.md` has its cost), each cut short by a lower bound on the
//! TLSH distance (the number of differing quartile codes); `prov add`, which asks once per
//! new document, goes through an index that finds close fingerprints with high probability
//! (`print_index.rs`).

use crate::entry::{Entry, Kind};
use crate::error::{Error, Result};
use crate::fingerprints::{self, PrintKind};
use crate::ledger::Ledger;
use crate::prints::{Query, codes};
use prov_ingest::Fingerprints;

/// The relation `prov add` records from a new document to the earlier one it resembles.
pub const SIMILAR_TO: &str = "similar_to";
/// The metadata key holding that link's TLSH distance (decimal).
pub const SIMILAR_DISTANCE: &str = "similar_to.distance";
/// The metadata key naming the fingerprint that gave it: `text` or `bytes`.
pub const SIMILAR_BY: &str = "similar_to.fingerprint";
/// The metadata key of a first-seen entry holding the TLSH of its document's bytes, as
/// `prov add` took it (FORMAT.md section 6.10): signed, so a record of the unsigned
/// `fingerprints` file is believed only when it says the same.
pub const TLSH_BYTES: &str = "tlsh.bytes";
/// The metadata key holding the TLSH of its document's extracted text.
pub const TLSH_TEXT: &str = "tlsh.text";

/// The key of a fingerprint of `kind` in an entry's metadata.
pub(crate) fn tlsh_key(kind: PrintKind) -> &'static str {
    match kind {
        PrintKind::Bytes => TLSH_BYTES,
        PrintKind::Text => TLSH_TEXT,
    }
}

/// Keys and relations only `prov add` writes, from what it measured: a caller giving them
/// would pass a person's word for a measurement (FORMAT.md sections 6.9 and 6.10).
pub(crate) fn check_not_measured(
    related: &[crate::entry::Related],
    metadata: &std::collections::BTreeMap<String, String>,
) -> Result<()> {
    let key = metadata
        .keys()
        .find(|k| k.starts_with("similar_to.") || k.starts_with("tlsh."))
        .map(String::as_str)
        .or_else(|| {
            related
                .iter()
                .any(|r| r.relation == SIMILAR_TO)
                .then_some(SIMILAR_TO)
        });
    match key {
        Some(key) => Err(Error::invalid(
            "document",
            format!(
                "`{key}` is written by prov add itself, from the fingerprints it measured: to link an altered copy you judged, use --related altered_copy_of=SEQ, or record a claim (prov claim)"
            ),
        )),
        None => Ok(()),
    }
}

/// How a record of the fingerprint file stands against the entry it names: believed when
/// the entry first saw the record's content and signs the same fingerprint; `Unsigned`
/// when the entry signs no fingerprint of that kind (one recorded before fingerprints were
/// signed), which `prov similar` lists and `prov add` does not link to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Belief {
    Signed,
    Unsigned,
    Refused,
}

pub(crate) fn belief(entry: &Entry, close: &crate::prints::Close) -> Belief {
    if entry.content.sha256 != close.sha256 || entry.kind != Kind::FirstSeen {
        return Belief::Refused;
    }
    match entry.metadata.get(tlsh_key(close.kind)) {
        Some(signed) if *signed == close.tlsh.text() => Belief::Signed,
        Some(_) => Belief::Refused,
        None => Belief::Unsigned,
    }
}

/// The distance at or below which documents are said to look alike, unless told otherwise.
///
/// TLSH's paper (Oliver, Cheng and Chen 2013) reports for a cut-off below 40 a false
/// positive rate of 0.07% (with 49.6% of related files detected), and below 100 a rate of
/// 6.43% (94.5% detected): unrelated documents linked to each other would be noise in a
/// signed ledger, so the threshold stays at the low end. An altered copy of a text (one
/// sentence, one cell, one line changed) measures 5 to 15 in tests/e2e/similar.rs, well
/// within it.
pub const DEFAULT_THRESHOLD: u32 = 40;

/// What the walk found of a document's look, and the earlier document it was found to
/// resemble before it was recorded.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Similarity {
    /// Its fingerprints, stored when it is first seen (`fingerprints`).
    pub fingerprints: Fingerprints,
    /// The earlier document to link as `similar_to`, when it is first seen.
    pub link: Option<Resemblance>,
}

/// A document resembling an earlier one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Resemblance {
    /// The earlier document.
    pub to: Target,
    /// The TLSH distance.
    pub distance: u32,
    /// Which fingerprints gave it.
    pub kind: PrintKind,
}

/// Where the earlier document is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// An entry already committed (its first-seen entry).
    Entry(u64),
    /// A document of the same batch, by its index there (before this one): its content's
    /// first-seen entry once the batch is decided.
    Earlier(usize),
}

/// A `similar_to` link recorded in an entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SimilarLink {
    /// The first-seen entry of the document it resembles.
    pub seq: u64,
    /// The TLSH distance.
    pub distance: u32,
    /// Which fingerprints gave it.
    pub kind: PrintKind,
}

/// A recorded document that looks like the one asked about.
#[derive(Clone, Debug)]
pub struct Lookalike {
    /// Its first-seen entry, read from the log.
    pub entry: Entry,
    /// The TLSH distance.
    pub distance: u32,
    /// Which fingerprints gave it.
    pub kind: PrintKind,
    /// Whether its entry signs the fingerprint compared (FORMAT.md 6.10); when not (an
    /// entry recorded before entries signed them, or one that has no fingerprint of its
    /// own), the fingerprint is the unsigned file's word only.
    pub signed: bool,
}

/// What [`Ledger::similar`] found.
#[derive(Debug, Default)]
pub struct SimilarReport {
    /// Closest first.
    pub found: Vec<Lookalike>,
    /// How many fingerprints were compared.
    pub compared: u64,
    /// Whether the ledger has a fingerprint file at all.
    pub present: bool,
    /// Records that did not read, or named an entry of other content (not believed).
    pub unbelieved: u64,
}

/// The fingerprints of a file as `prov add` takes them (looked into within the default
/// limits, its members read and left aside), and its SHA-256.
///
/// # Errors
/// [`Error::Io`] when it cannot be opened or read.
pub fn fingerprint_file(path: &std::path::Path) -> Result<(Fingerprints, [u8; 32])> {
    let top = prov_ingest::walk(path, &prov_ingest::Limits::default(), &mut |_| {
        std::ops::ControlFlow::Continue(())
    })
    .map_err(|e| match e {
        prov_ingest::Error::Read { source, .. } | prov_ingest::Error::Open { source, .. } => {
            Error::io("read", path)(source)
        }
        other => Error::invalid("document", other.to_string()),
    })?;
    Ok((top.fingerprints, top.sha256))
}

impl Ledger {
    /// The fingerprints the ledger holds for its committed entries.
    ///
    /// # Errors
    /// Those of reading `fingerprints`.
    pub fn fingerprints(&self) -> Result<fingerprints::Loaded> {
        fingerprints::load(&self.dir, self.size())
    }

    /// Recorded documents within `threshold` of `fp`, closest first, leaving out the content
    /// `own` (the document asked about, when it is recorded). Each is read from the signed
    /// log: a record whose entry is not a first sighting of its SHA-256 is not believed.
    ///
    /// # Errors
    /// Reading the fingerprint file or the log.
    pub fn similar(
        &self,
        fp: &Fingerprints,
        threshold: u32,
        own: Option<&[u8; 32]>,
    ) -> Result<SimilarReport> {
        // One record at a time, each compared as it is read: constant memory.
        let q = Query::new(fp, threshold, own);
        let mut compared = 0u64;
        let mut close = Vec::new();
        let loaded = fingerprints::scan(&self.dir, self.size(), |p| {
            compared += 1;
            let c = codes(&p.tlsh);
            for mine in &q.mine {
                close.extend(q.check(mine, &p, p.kind, &c));
            }
        })?;
        // Each record is checked against its entry before one per entry is kept, so that a
        // false record cannot hide a true one of the same entry.
        close.sort_by_key(|c| (c.distance, c.seq, c.kind == PrintKind::Bytes));
        let mut report = SimilarReport {
            compared,
            present: loaded.present,
            unbelieved: loaded.unreadable,
            ..SimilarReport::default()
        };
        let mut kept = std::collections::HashSet::new();
        for close in close {
            if kept.contains(&close.seq) {
                continue;
            }
            let entry = self.entry(close.seq)?;
            let belief = belief(&entry, &close);
            if belief == Belief::Refused {
                report.unbelieved += 1;
                continue;
            }
            kept.insert(close.seq);
            report.found.push(Lookalike {
                entry,
                distance: close.distance,
                kind: close.kind,
                signed: belief == Belief::Signed,
            });
        }
        Ok(report)
    }

    /// The fingerprints stored for entry `seq`'s content (those of its first-seen entry).
    ///
    /// # Errors
    /// Reading the log or the fingerprint file; [`Error::NoSuchEntry`].
    pub fn fingerprints_of(&self, seq: u64) -> Result<(Entry, Fingerprints)> {
        let entry = self.entry(seq)?;
        let first = match entry.kind {
            Kind::Sighting { first } => first,
            Kind::Claim { about, .. } => {
                return Err(Error::invalid(
                    "entry",
                    format!(
                        "entry {seq} is a claim about entry {about}, not a document: give a document's entry"
                    ),
                ));
            }
            _ => seq,
        };
        // Those its first-seen entry signs, when it signs them; else the file's (an entry
        // recorded before fingerprints were signed).
        let first_entry = if first == seq {
            entry.clone()
        } else {
            self.entry(first)?
        };
        let signed = |kind| {
            first_entry
                .metadata
                .get(tlsh_key(kind))
                .and_then(|t| prov_ingest::Tlsh::parse(t))
        };
        // An entry that signs any fingerprint is believed alone: one it signs that does not
        // parse is none, never the file's record instead.
        if [TLSH_BYTES, TLSH_TEXT]
            .iter()
            .any(|k| first_entry.metadata.contains_key(*k))
        {
            let fp = Fingerprints {
                bytes: signed(PrintKind::Bytes),
                text: signed(PrintKind::Text),
            };
            return Ok((entry, fp));
        }
        let mut fp = Fingerprints::default();
        fingerprints::scan(&self.dir, self.size(), |p| {
            if p.seq == first && p.sha256 == entry.content.sha256 {
                match p.kind {
                    PrintKind::Bytes => fp.bytes = Some(p.tlsh),
                    PrintKind::Text => fp.text = Some(p.tlsh),
                }
            }
        })?;
        Ok((entry, fp))
    }
}
