//! What an OOXML or ODF document claims: its creator, last author, dates, application and
//! company. Such a document is a zip, but one document, never exploded into its parts.
//!
//! OOXML (ECMA-376 Part 2, Open Packaging Conventions): a zip holding `[Content_Types].xml`
//! (10.1.2.2). Claims from the core properties part `docProps/core.xml` (Part 2 section 11:
//! `dc:creator`, `cp:lastModifiedBy`, `dcterms:created`, `dcterms:modified`) and the extended
//! properties part `docProps/app.xml` (Part 1 section 22.2: `Application`, `Company`).
//!
//! ODF (OASIS OpenDocument 1.2 Part 3, 3.3): a zip whose first entry is `mimetype`, stored,
//! holding `application/vnd.oasis.opendocument...`. Claims from `meta.xml` (Part 1 section 4):
//! `meta:initial-creator` (creator), `dc:creator` (last modified by), `meta:creation-date`,
//! `dc:date` (modified), `meta:generator` (application).
//!
//! Values are the elements' text with XML's escapes resolved (what the document says, not how
//! XML spells it); dates exactly as written (`2017-04-27T10:02:00Z`).

use super::Claims;
use quick_xml::events::Event;
use std::io::{Read, Seek};
use zip::ZipArchive;

/// The most bytes of one metadata part read (real ones are a few KiB).
const MAX_PART: u64 = 1 << 20;

const ODF_TYPE: &[u8] = b"application/vnd.oasis.opendocument";

const CORE: &[(&str, &str)] = &[
    ("creator", "office.creator"),
    ("lastModifiedBy", "office.last_modified_by"),
    ("created", "office.created"),
    ("modified", "office.modified"),
];
const APP: &[(&str, &str)] = &[
    ("Application", "office.application"),
    ("Company", "office.company"),
];
const ODF_META: &[(&str, &str)] = &[
    ("initial-creator", "office.creator"),
    ("creator", "office.last_modified_by"),
    ("creation-date", "office.created"),
    ("date", "office.modified"),
    ("generator", "office.application"),
];

/// Whether a zip's first bytes show an OOXML or ODF document: its first local header (APPNOTE
/// 4.3.7) names `[Content_Types].xml`, or `mimetype` stored with an ODF media type. Writers
/// that put another part first are found later from the central directory ([`detect`]).
pub(crate) fn sniff(head: &[u8]) -> bool {
    let (Some(name_len), Some(extra_len)) = (le16(head, 26), le16(head, 28)) else {
        return false;
    };
    let Some(name) = head.get(30..30 + name_len) else {
        return false;
    };
    if name == b"[Content_Types].xml" {
        return true;
    }
    let data = 30 + name_len + extra_len;
    name == b"mimetype"
        && le16(head, 8) == Some(0)
        && head.get(data..).is_some_and(|d| d.starts_with(ODF_TYPE))
}

fn le16(b: &[u8], at: usize) -> Option<usize> {
    Some(usize::from(u16::from_le_bytes(
        b.get(at..at + 2)?.try_into().ok()?,
    )))
}

/// The claims of a document read as a zip (a damaged one gives none, and a note).
pub(crate) fn claims<R: Read + Seek>(reader: &mut R, claims: &mut Claims) {
    match ZipArchive::new(reader) {
        Ok(mut archive) => {
            if let Some(found) = detect(&mut archive) {
                *claims = found;
            }
        }
        Err(e) => claims.notes.push(format!(
            "its claims were not read: its zip directory is unreadable ({e})"
        )),
    }
}

/// If this zip is an OOXML or ODF document, its claims; `None` for any other zip.
pub(crate) fn detect<R: Read + Seek>(archive: &mut ZipArchive<R>) -> Option<Claims> {
    let mut claims = Claims::default();
    if archive.index_for_name("[Content_Types].xml").is_some() {
        part(archive, "docProps/core.xml", CORE, &mut claims);
        part(archive, "docProps/app.xml", APP, &mut claims);
        claims.text = crate::text::office(archive);
        return Some(claims);
    }
    let first_is_mimetype = archive
        .name_for_index(0)
        .and_then(Result::ok)
        .is_some_and(|n| n == "mimetype");
    let mut mimetype = Vec::new();
    if first_is_mimetype && let Ok(f) = archive.by_index(0) {
        let _ = f.take(ODF_TYPE.len() as u64).read_to_end(&mut mimetype);
    }
    if mimetype == ODF_TYPE {
        part(archive, "meta.xml", ODF_META, &mut claims);
        claims.text = crate::text::office(archive);
        return Some(claims);
    }
    None
}

/// Reads one metadata part, if the package has it, and claims the elements named in `keys`
/// (by local name, first occurrence).
fn part<R: Read + Seek>(
    archive: &mut ZipArchive<R>,
    name: &str,
    keys: &[(&str, &str)],
    claims: &mut Claims,
) {
    let mut raw = Vec::new();
    let read = match archive.by_name(name) {
        Ok(f) => f
            .take(MAX_PART)
            .read_to_end(&mut raw)
            .map_err(|e| e.to_string()),
        Err(zip::result::ZipError::FileNotFound) => return,
        Err(e) => Err(e.to_string()),
    };
    if let Err(e) = read {
        claims.notes.push(format!("claims in {name} not read: {e}"));
        return;
    }
    let Ok(xml) = std::str::from_utf8(&raw) else {
        claims
            .notes
            .push(format!("claims in {name} not read: it is not UTF-8"));
        return;
    };
    if let Err(e) = elements(xml, keys, claims) {
        claims
            .notes
            .push(format!("claims in {name} read up to damaged XML: {e}"));
    }
}

/// Claims the text of each element whose local name is in `keys`.
fn elements(xml: &str, keys: &[(&str, &str)], claims: &mut Claims) -> Result<(), String> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut open: Option<(&str, String, usize)> = None;
    let mut depth = 0usize;
    loop {
        let event = reader.read_event().map_err(|e| e.to_string())?;
        match event {
            Event::Start(e) => {
                depth += 1;
                if open.is_none() {
                    let local = e.local_name();
                    if let Some((_, key)) = keys.iter().find(|(n, _)| *n == local.as_ref()) {
                        open = Some((key, String::new(), depth));
                    }
                }
            }
            Event::Empty(e) => {
                let local = e.local_name();
                if open.is_none()
                    && let Some((_, key)) = keys.iter().find(|(n, _)| *n == local.as_ref())
                {
                    claims.push(key, b"");
                }
            }
            Event::Text(t) => {
                if let Some((_, text, _)) = &mut open {
                    text.push_str(&t.xml10_content());
                }
            }
            Event::CData(t) => {
                if let Some((_, text, _)) = &mut open {
                    text.push_str(&t.xml10_content());
                }
            }
            Event::GeneralRef(r) => {
                if let Some((_, text, _)) = &mut open {
                    let name = r.xml10_content();
                    match r.resolve_char_ref().map_err(|e| e.to_string())? {
                        Some(c) => text.push(c),
                        None => match quick_xml::escape::resolve_predefined_entity(&name) {
                            Some(s) => text.push_str(s),
                            None => return Err(format!("unknown entity &{name};")),
                        },
                    }
                }
            }
            Event::End(_) => {
                if let Some((key, text, at)) = open.take_if(|(_, _, at)| *at == depth) {
                    let _ = at;
                    claims.push(key, text.as_bytes());
                }
                depth = depth.saturating_sub(1);
            }
            Event::Eof => return Ok(()),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_properties() {
        let xml = r#"<?xml version="1.0"?><cp:coreProperties xmlns:cp="x" xmlns:dc="d"
            xmlns:dcterms="t"><dc:creator>Рома &amp; co&#33;</dc:creator><cp:lastModifiedBy/>
            <dcterms:created xsi:type="dcterms:W3CDTF">2017-04-27T10:02:00Z</dcterms:created>
            </cp:coreProperties>"#;
        let mut claims = Claims::default();
        elements(xml, CORE, &mut claims).unwrap();
        let (list, _) = claims.finish();
        assert_eq!(
            list,
            vec![
                (
                    "office.created".to_string(),
                    "2017-04-27T10:02:00Z".to_string()
                ),
                ("office.creator".into(), "Рома & co!".into()),
                ("office.last_modified_by".into(), "".into()),
            ]
        );
    }

    #[test]
    fn damaged_xml_is_a_note_not_a_panic() {
        let mut claims = Claims::default();
        assert!(elements("<a><creator>x</b>", CORE, &mut claims).is_err());
        assert!(elements("<creator>&bogus;</creator>", CORE, &mut claims).is_err());
        assert!(claims.list.is_empty());
    }
}
