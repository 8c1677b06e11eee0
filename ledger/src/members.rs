//! What an extracted file becomes: the file's own document first, then one document per
//! member found in it, each linked to its container, each container's entry saying how
//! completely its members were recorded (FORMAT.md section 6.4 lists the metadata keys).
//!
//! A member whose hash is not its own (`Hashed::Prefix`: reading stopped early) is never
//! recorded; its container lists it as not recorded, with the reason, and so do members the
//! ledger cannot take (a field too long). Members of a container that is not recorded are
//! not recorded either: nothing could link them to it.

use crate::append::NewDocument;
use crate::entry::Content;
use crate::entry_rules::MAX_MEDIA_TYPE;
use crate::extract::Extracted;
use crate::ingest::Fields;
use crate::location::PART_KEY;
use prov_ingest::{Completeness, Found, Hashed, Kind};
use std::collections::BTreeMap;

/// Reasons for members not recorded, named in a container's entry at most (the count is
/// always given in full).
const NAMED_NOT_RECORDED: usize = 16;

/// The longest member path recorded as a name (FORMAT.md section 6.2); a longer one is cut
/// there, and its full length given.
const MAX_NAME: usize = crate::entry_rules::MAX_NAME;

/// One document to record, planned before any is.
#[derive(Clone)]
pub(crate) struct Planned {
    /// How results name it: `leak.zip!mailboxes/a.eml!invoice.pdf`.
    pub label: Vec<u8>,
    pub doc: NewDocument,
    /// The document of the same plan it was found in.
    pub container: Option<usize>,
}

/// The documents of one file: the file first, then its members in the walk's order.
pub(crate) fn plan(fields: &Fields, label: Vec<u8>, name: Vec<u8>, x: Extracted) -> Vec<Planned> {
    let mut top = fields.document((!name.is_empty()).then_some(name), x.digest);
    top.similar.fingerprints = x.fingerprints;
    let Some(summary) = x.top else {
        return vec![Planned {
            label,
            doc: top,
            container: None,
        }];
    };
    if top.content.media_type.is_none() {
        top.content.media_type = media_type(summary.kind).map(str::to_string);
    }
    let mut plan = vec![Planned {
        label,
        doc: top,
        container: None,
    }];
    // Walk index -> position in `plan`, for members that are recorded.
    let mut at: Vec<Option<usize>> = Vec::with_capacity(x.members.len());
    // Members not recorded, per container position, beyond what the walk listed.
    let mut refused: BTreeMap<usize, Vec<(Vec<u8>, String)>> = BTreeMap::new();
    let mut completeness: Vec<(usize, Kind, Completeness, Option<String>)> = vec![];
    if let Some(c) = summary.completeness {
        completeness.push((0, summary.kind, c, None));
    }
    if let Some(note) = summary.note {
        plan[0]
            .doc
            .metadata
            .insert("ingest.note".into(), recordable(&note));
    }
    claim(&mut plan[0].doc, summary.claimed);
    if plan[0].doc.validate().is_err() {
        // What the file claims cannot make it unrecordable: without its claims it is.
        plan[0].doc.metadata.retain(|k, _| !is_claim(k));
    }
    for found in x.members {
        let parent = match found.parent {
            None => Some(0),
            Some(p) => at.get(p as usize).copied().flatten(),
        };
        let Some(parent) = parent else {
            at.push(None); // its container is not recorded
            continue;
        };
        if found.hashed == Hashed::Prefix {
            at.push(None); // listed in its container's completeness by the walk
            continue;
        }
        let label = [&plan[parent].label[..], b"!", &shown(&found)[..]].concat();
        let mut doc = member(fields, &found);
        claim(&mut doc, found.claimed.clone());
        if doc.validate().is_err() {
            doc.metadata.retain(|k, _| !is_claim(k));
        }
        if let Err(e) = doc.validate() {
            refused
                .entry(parent)
                .or_default()
                .push((found.path.clone(), format!("not recordable: {e}")));
            at.push(None);
            continue;
        }
        let pos = plan.len();
        at.push(Some(pos));
        if let Some(c) = found.completeness {
            completeness.push((pos, found.kind, c, None));
        }
        plan.push(Planned {
            label,
            doc,
            container: Some(parent),
        });
    }
    // Members recorded, each place once: the same bytes at the same path twice in one
    // container (a tar may repeat a member) are one entry linked to it.
    let mut recorded = vec![(0u64, 0u64); plan.len()];
    let mut places = std::collections::HashSet::new();
    for p in &plan {
        if let Some(c) = p.container {
            let d = &p.doc;
            let place = (
                c,
                d.content.sha256,
                &d.content.name,
                d.metadata.get(PART_KEY),
            );
            if places.insert(place) {
                recorded[c].0 += 1;
            } else {
                recorded[c].1 += 1;
            }
        }
    }
    for (pos, kind, c, _) in completeness {
        let extra = refused.remove(&pos).unwrap_or_default();
        let (once, again) = recorded[pos];
        describe(&mut plan[pos].doc, kind, &c, once, again, extra);
    }
    plan
}

/// Prefixes of the metadata keys of what a document claims about itself (`prov-ingest`'s
/// claims: FORMAT.md section 6.4).
const CLAIM_PREFIXES: [&str; 5] = ["email.", "dkim.", "office.", "pdf.", "archive.mtime"];

/// Whether a metadata key holds what a document claims about itself (`email.*`, `dkim.*`,
/// `office.*`, `pdf.*`, `archive.mtime`): read from its content, so as telling as the
/// content for whoever may not see it (`prov --server add --hash-only` keeps them back).
pub fn is_claim(key: &str) -> bool {
    CLAIM_PREFIXES.iter().any(|p| key.starts_with(p))
}

/// Adds what a document claims about itself to its metadata: the claims name what the
/// document says, so they win over a `--meta` of the same key (which `add` reports).
fn claim(doc: &mut NewDocument, claimed: Vec<(String, String)>) {
    for (k, v) in claimed {
        doc.metadata.insert(k, v);
    }
}

/// How a member is shown in results: its path, or `#N` for one named by position only.
fn shown(found: &Found) -> Vec<u8> {
    match (&found.path[..], &found.locator) {
        ([], Some(l)) => format!("#{l}").into_bytes(),
        ([], None) => b"#".to_vec(),
        (p, _) => p.to_vec(),
    }
}

/// A member's document: its own content, name, kind and notes, with the ingest's source,
/// agent and metadata (never the ingest's links, which are about the file given).
fn member(fields: &Fields, found: &Found) -> NewDocument {
    let mut metadata = fields.metadata.clone();
    let mut name = (!found.path.is_empty()).then(|| found.path.clone());
    if let Some(n) = &mut name
        && n.len() > MAX_NAME
    {
        metadata.insert("container.path_length".into(), n.len().to_string());
        n.truncate(MAX_NAME);
    }
    if let Some(l) = &found.locator {
        metadata.insert(PART_KEY.into(), l.clone());
    }
    if let Some(link) = &found.link {
        let kind = if link.hard { "hard" } else { "symbolic" };
        metadata.insert("archive.link".into(), kind.into());
        text_or_hex(&mut metadata, "archive.link_target", &link.target);
    }
    let mut note = found.note.clone();
    // A type the container declares (an email part's Content-Type) that the ledger's rule
    // refuses is left out, never the member with it.
    let declared = match &found.media_type {
        Some(t) => match crate::entry_rules::text("media type", t, 1, MAX_MEDIA_TYPE) {
            Ok(()) => Some(t.clone()),
            Err(e) => {
                let why = format!(
                    "its declared media type was left out ({e}): {}",
                    recordable(t)
                );
                note = Some(match note {
                    Some(n) => format!("{n}; {why}"),
                    None => why,
                });
                None
            }
        },
        None => None,
    };
    if let Some(note) = &note {
        metadata.insert("ingest.note".into(), recordable(note));
    }
    NewDocument {
        content: Content {
            sha256: found.sha256,
            size: found.size,
            name,
            media_type: declared.or_else(|| media_type(found.kind).map(str::to_string)),
            ..Default::default()
        },
        source: fields.source.clone(),
        agent: fields.agent.clone(),
        metadata,
        related: Vec::new(),
        within_batch: None,
        similar: crate::similar::Similarity {
            fingerprints: found.fingerprints.clone(),
            link: None,
        },
    }
}

/// The completeness of a container, in its entry's metadata (FORMAT.md section 6.4).
fn describe(
    doc: &mut NewDocument,
    kind: Kind,
    c: &Completeness,
    recorded: u64,
    repeated: u64,
    refused: Vec<(Vec<u8>, String)>,
) {
    let m = &mut doc.metadata;
    m.insert("container.format".into(), kind.name().into());
    if let Some(d) = c.declared {
        m.insert("container.declared".into(), d.to_string());
    }
    m.insert("container.found".into(), c.found.to_string());
    m.insert("container.directories".into(), c.directories.to_string());
    m.insert("container.recorded".into(), recorded.to_string());
    if repeated > 0 {
        m.insert("container.repeated".into(), repeated.to_string());
    }
    let not: Vec<&(Vec<u8>, String)> = c.not_recorded.iter().chain(&refused).collect();
    // The walk names at most a thousand of them, and counts the rest.
    let total = not.len() as u64 + c.not_recorded_more;
    m.insert("container.not_recorded".into(), total.to_string());
    for (i, (path, why)) in not.iter().take(NAMED_NOT_RECORDED).enumerate() {
        let path = match std::str::from_utf8(path) {
            Ok(p) if !p.chars().any(char::is_control) => p.to_string(),
            _ => format!("hex:{}", crate::error::hex(path)),
        };
        m.insert(
            format!("container.not_recorded.{}", i + 1),
            recordable(&format!("{path}: {why}")),
        );
    }
    if let Some(why) = &c.stopped {
        m.insert("container.stopped".into(), recordable(why));
    }
}

/// A note of the walk as a metadata value the ledger takes, whatever it quotes (a library's
/// error quoting a header's bytes, thousands of damaged parts): each control character, and
/// each character that reorders or breaks the text a person reads, written as `\u{..}`,
/// then cut to 1,024 bytes, well within the limit of one value.
pub(crate) fn recordable(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control() || crate::entry_rules::is_display_control(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    cut(out)
}

/// A value within 1,024 bytes (and an ellipsis when cut).
fn cut(mut s: String) -> String {
    let max = 1024;
    if s.len() > max {
        let mut end = max;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
        s.push('…');
    }
    s
}

/// Stores raw bytes as text when they are printable UTF-8, else under `KEY.hex`.
pub(crate) fn text_or_hex(m: &mut BTreeMap<String, String>, key: &str, bytes: &[u8]) {
    match std::str::from_utf8(bytes) {
        Ok(s) if !s.chars().any(char::is_control) => {
            m.insert(key.into(), s.into());
        }
        _ => {
            m.insert(format!("{key}.hex"), crate::error::hex(bytes));
        }
    }
}

/// The media type of a container kind.
fn media_type(kind: Kind) -> Option<&'static str> {
    Some(match kind {
        Kind::Pdf => "application/pdf",
        Kind::Zip => "application/zip",
        Kind::Tar => "application/x-tar",
        Kind::Gzip => "application/gzip",
        Kind::SevenZip => "application/x-7z-compressed",
        Kind::Rar => "application/vnd.rar",
        Kind::Email => "message/rfc822",
        Kind::Mbox => "application/mbox",
        _ => return None,
    })
}
