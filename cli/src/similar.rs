//! `prov similar`: the recorded documents that look like a file or an entry (TLSH distance
//! of their bytes or text, FORMAT.md 6.9), closest first, each with its first sighting; and
//! what `prov add` says at its end about the new documents that resemble earlier ones.

use crate::failure::{Failure, Result};
use crate::output::{Out, count, rfc3339};
use clap::Args;
use prov_ledger::{DEFAULT_THRESHOLD, Fingerprints, Ledger, SimilarLink};
use prov_report::escape;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

#[derive(Args)]
pub struct SimilarArgs {
    /// A file, or the number of an entry (write ./12 for a file named 12)
    target: String,
    /// The largest TLSH distance reported (0: the same fingerprint; altered copies of a
    /// text measure about 5 to 30, unrelated documents mostly above 100)
    #[arg(long, value_name = "N", default_value_t = DEFAULT_THRESHOLD, value_parser = clap::value_parser!(u32).range(0..=2000))]
    threshold: u32,
}

/// What the target is.
struct Query {
    /// How it is named: `entry 12`, or the path.
    what: String,
    json: Value,
    fingerprints: Fingerprints,
    sha256: Option<[u8; 32]>,
}

fn query(l: &Ledger, target: &str) -> Result<Query> {
    if !target.is_empty() && target.bytes().all(|b| b.is_ascii_digit()) {
        let seq: u64 = target
            .parse()
            .map_err(|_| Failure::input(format!("{target} is not an entry number")))?;
        let (e, fp) = l.fingerprints_of(seq).map_err(|e| match e {
            prov_ledger::Error::Invalid { reason, .. } => Failure::input(reason),
            other => Failure::from(other),
        })?;
        return Ok(Query {
            what: format!("entry {seq}"),
            json: json!({"seq": seq, "sha256": hex::encode(e.content.sha256)}),
            fingerprints: fp,
            sha256: Some(e.content.sha256),
        });
    }
    let path = PathBuf::from(target);
    let (fingerprints, sha256) = of_file(&path)?;
    let mut json = json!({"sha256": hex::encode(sha256)});
    crate::output::set_path(&mut json, target.as_bytes());
    Ok(Query {
        what: escape::path(&path),
        json,
        fingerprints,
        sha256: Some(sha256),
    })
}

/// The fingerprints of a file, as `prov add` takes them (looked into within the default
/// limits; its members are read and left aside).
fn of_file(path: &Path) -> Result<(Fingerprints, [u8; 32])> {
    let meta = std::fs::metadata(path).map_err(|e| {
        Failure::input(format!(
            "cannot read {}: {e}: give a file, or an entry number",
            escape::path(path)
        ))
    })?;
    if !meta.is_file() {
        return Err(Failure::input(format!(
            "{} is not a regular file: give a file, or an entry number",
            escape::path(path)
        )));
    }
    prov_ledger::fingerprint_file(path).map_err(Failure::from_document)
}

pub fn similar(ledger: &Path, a: SimilarArgs, out: Out) -> Result<()> {
    let l = Ledger::open(ledger)?;
    let q = query(&l, &a.target)?;
    let fp = &q.fingerprints;
    if fp.bytes.is_none() && fp.text.is_none() {
        return Err(Failure::negative(format!(
            "{} has no fingerprint (TLSH needs at least 50 bytes with some variety, and the ledger keeps none for documents recorded by hash or before fingerprints): nothing to compare",
            q.what
        )));
    }
    let report = l.similar(fp, a.threshold, q.sha256.as_ref())?;
    if out.json {
        let found: Vec<Value> = report
            .found
            .iter()
            .map(|f| {
                let e = &f.entry;
                json!({
                    "seq": e.seq,
                    "distance": f.distance,
                    "fingerprint": f.kind.as_str(),
                    "signed": f.signed,
                    "sha256": hex::encode(e.content.sha256),
                    "first_seen": {
                        "seq": e.seq,
                        "time": rfc3339(e.time_ms),
                        "source": e.source,
                        "name": e.content.name.as_deref().map(crate::output::name_json),
                    },
                })
            })
            .collect();
        out.json(&json!({
            "query": q.json,
            "fingerprints": {
                "bytes": fp.bytes.as_ref().map(|t| t.text()),
                "text": fp.text.as_ref().map(|t| t.text()),
            },
            "threshold": a.threshold,
            "compared": report.compared,
            "similar": found,
        }))?;
    } else {
        for f in &report.found {
            let e = &f.entry;
            let name = e
                .content
                .name
                .as_deref()
                .map_or_else(|| "(no name)".to_string(), escape::bytes);
            out.line(format!(
                "distance {:>3} ({})  entry {}  {name}  first seen {} from {}{}",
                f.distance,
                f.kind.as_str(),
                e.seq,
                rfc3339(e.time_ms),
                escape::text(&e.source),
                if f.signed {
                    ""
                } else {
                    "  (its entry signs no fingerprint: the unsigned file's word only)"
                },
            ))?;
        }
    }
    if !report.present {
        out.note(
            crate::note::Kind::NoFingerprints,
            "this ledger has no fingerprint file: documents recorded before fingerprints (or in an audit bundle) cannot be compared",
        )?;
    }
    if report.unbelieved > 0 {
        out.note_with(
            crate::note::Kind::FingerprintsNotBelieved,
            format!(
                "{} of the fingerprint file {} not believed (unreadable, or not what the entry it names records and signs)",
                count(report.unbelieved, "record", "records"),
                if report.unbelieved == 1 { "was" } else { "were" }
            ),
            json!({"records": report.unbelieved}),
        )?;
    }
    if report.found.is_empty() {
        return Err(Failure::negative(format!(
            "no recorded document within distance {} of {} ({} compared)",
            a.threshold,
            q.what,
            count(report.compared, "fingerprint", "fingerprints")
        )));
    }
    Ok(())
}

/// The lines `prov add` prints at its end: each new document that resembles an earlier
/// one, and the link recorded. At most `SHOWN` are listed.
pub fn add_lines(
    l: &Ledger,
    found: &[(Vec<u8>, u64, SimilarLink)],
    total: u64,
    out: Out,
) -> Result<()> {
    const SHOWN: usize = 100;
    if out.json || out.quiet {
        return Ok(());
    }
    for (label, seq, link) in found.iter().take(SHOWN) {
        let name = l
            .entry(link.seq)
            .ok()
            .and_then(|e| e.content.name)
            .map_or_else(|| "(no name)".to_string(), |n| escape::bytes(&n));
        out.line(format!(
            "looks like        {}  (entry {seq} similar_to entry {} {name}, distance {} by {})",
            escape::bytes(label),
            link.seq,
            link.distance,
            link.kind.as_str()
        ))?;
    }
    if total as usize > SHOWN {
        out.line(format!(
            "looks like        and {} more (`prov log` and `prov show` give their similar_to links)",
            total as usize - SHOWN
        ))?;
    }
    Ok(())
}
