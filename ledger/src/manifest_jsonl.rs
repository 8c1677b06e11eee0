//! A JSON Lines manifest: one object a line, for documents that carry their own metadata
//! and links (an email's own date, recorded with hundreds of others in one batch):
//!
//! ```json
//! {"sha256": "5891…be03", "size": 6, "name": "mail/1.eml", "media_type": "message/rfc822",
//!  "meta": {"email.date": "Tue, 3 Mar 2026 09:00:00 +0000"},
//!  "related": [{"relation": "attachment_of", "seq": 12}]}
//! ```
//!
//! `sha256` is required; `size` may be left out when `name` (or `name_hex`) is a file
//! relative to the manifest's folder, whose size is then read; `name_hex` gives a name that
//! is not UTF-8, as `prov export` does. Any other field is refused, so that a misspelt one is
//! never dropped silently.

use crate::entry::Related;
use crate::error::LineProblem;
use crate::manifest_lines::{LineFields, Parsed, parse_sha256};
use serde::Deserialize;
use std::collections::BTreeMap;

/// The fields of one line, as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonLine {
    sha256: String,
    size: Option<u64>,
    name: Option<String>,
    name_hex: Option<String>,
    media_type: Option<String>,
    #[serde(default)]
    meta: BTreeMap<String, String>,
    #[serde(default)]
    related: Vec<JsonRelated>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonRelated {
    relation: String,
    seq: u64,
}

/// Reads one line of a JSON Lines manifest.
pub(crate) fn parse(line: &[u8]) -> Result<Parsed, LineProblem> {
    let bad = |why: String| LineProblem::Json(why);
    let j: JsonLine = serde_json::from_slice(line).map_err(|e| bad(e.to_string()))?;
    let sha256 = parse_sha256(&j.sha256)
        .ok_or_else(|| bad(format!("`sha256` \"{}\" is not 64 hex digits", j.sha256)))?;
    let name = match (j.name, j.name_hex) {
        (Some(_), Some(_)) => return Err(bad("give `name` or `name_hex`, not both".into())),
        (Some(n), None) => Some(n.into_bytes()),
        (None, Some(h)) => {
            Some(hex_bytes(&h).ok_or_else(|| bad(format!("`name_hex` \"{h}\" is not hex bytes")))?)
        }
        (None, None) => None,
    };
    if j.size.is_none() && name.is_none() {
        return Err(bad(
            "a line with no `name` needs its `size`: give `\"size\": BYTES`".into(),
        ));
    }
    let extra = LineFields {
        media_type: j.media_type,
        metadata: j.meta,
        related: j
            .related
            .into_iter()
            .map(|r| Related {
                relation: r.relation,
                seq: r.seq,
            })
            .collect(),
    };
    let extra = (extra != LineFields::default()).then(|| Box::new(extra));
    Ok(Parsed {
        sha256,
        size: j.size,
        path: name.clone(),
        name,
        extra,
    })
}

fn hex_bytes(h: &str) -> Option<Vec<u8>> {
    if !h.len().is_multiple_of(2) || h.is_empty() {
        return None;
    }
    h.as_bytes()
        .chunks_exact(2)
        .map(|p| u8::from_str_radix(std::str::from_utf8(p).ok()?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: &str = "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03";

    #[test]
    fn a_line_gives_its_own_fields_and_misspelt_ones_are_refused() {
        let line = format!(
            r#"{{"sha256":"{H}","size":6,"name":"a.eml","meta":{{"email.date":"Tue"}},"related":[{{"relation":"reply_to","seq":3}}]}}"#
        );
        let p = parse(line.as_bytes()).unwrap();
        assert_eq!(p.size, Some(6));
        assert_eq!(p.name.as_deref(), Some(&b"a.eml"[..]));
        let extra = p.extra.unwrap();
        assert_eq!(extra.metadata["email.date"], "Tue");
        assert_eq!(extra.related[0].seq, 3);
        let typo = format!(r#"{{"sha256":"{H}","size":6,"metadata":{{}}}}"#);
        let err = parse(typo.as_bytes()).unwrap_err().to_string();
        assert!(err.contains("unknown field `metadata`"), "{err}");
        let hexed = format!(r#"{{"sha256":"{H}","name_hex":"ff00"}}"#);
        assert_eq!(parse(hexed.as_bytes()).unwrap().name, Some(vec![0xff, 0]));
        let no_size = format!(r#"{{"sha256":"{H}"}}"#);
        assert!(parse(no_size.as_bytes()).is_err());
        assert!(parse(br#"{"sha256":"12","size":1}"#).is_err());
        assert!(parse(b"[1]").is_err());
    }
}
