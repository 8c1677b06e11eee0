//! The fields an archivist gives `add` (metadata, relations, source, agent), parsed from
//! the command line and checked against the ledger's own rules before anything is written.

use crate::failure::{Failure, Result};
use prov_ledger::Related;
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
