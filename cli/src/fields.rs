//! The fields an archivist gives `add` (metadata, relations, source, agent), parsed from
//! the command line and checked against the ledger's own rules before anything is written.

use crate::failure::{Failure, Result};
use prov_ledger::{Entry, Kind, NewDocument, Related, check_recorded_text};
use std::collections::BTreeMap;

/// Parses `--meta KEY=VALUE` and `--related RELATION=SEQ` arguments.
pub fn parse_fields(
    meta_args: &[String],
    related_args: &[String],
) -> Result<(BTreeMap<String, String>, Vec<Related>)> {
    let mut meta = BTreeMap::new();
    for m in meta_args {
        let (k, v) = m
            .split_once('=')
            .ok_or_else(|| Failure::input(format!("--meta '{m}' has no '=': write KEY=VALUE")))?;
        if meta.insert(k.to_owned(), v.to_owned()).is_some() {
            return Err(Failure::input(format!("--meta key '{k}' is given twice")));
        }
    }
    let mut related = Vec::new();
    for r in related_args {
        let parsed = r.split_once('=').and_then(|(rel, seq)| {
            Some(Related {
                relation: rel.to_owned(),
                seq: seq.parse().ok()?,
            })
        });
        related.push(
            parsed.ok_or_else(|| Failure::input(format!("--related '{r}' is not RELATION=SEQ")))?,
        );
    }
    related.sort();
    related.dedup();
    Ok((meta, related))
}

/// Checks a document against every field rule the ledger applies when recording it, so
/// that bad input is refused before anything is written.
pub fn check_document(doc: &NewDocument) -> Result<(), prov_ledger::Error> {
    check_recorded_text("source", &doc.source)?;
    if let Some(agent) = &doc.agent {
        check_recorded_text("agent", agent)?;
    }
    Entry {
        seq: u64::MAX,
        prev: Default::default(),
        time_ms: 0,
        kind: Kind::FirstSeen,
        content: doc.content.clone(),
        source: doc.source.clone(),
        agent: doc.agent.clone(),
        metadata: doc.metadata.clone(),
        related: doc.related.clone(),
        key_id: 0,
        signature: [0; 64],
    }
    .validate()
}
