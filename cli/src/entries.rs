//! `prov show`, `prov log`, `prov export`: decoded entries for people and scripts.

use crate::failure::{Failure, Result};
use crate::output::{Out, count, entry_json, name_json, rfc3339};
use clap::{Args, ValueEnum};
use prov_ledger::parse_sha256;
use prov_ledger::{Entry, Kind, Ledger};
use prov_report::escape;
use prov_report::story::Found;
use std::path::Path;

#[derive(Args)]
pub struct ShowArgs {
    /// A sequence number, or a SHA-256: all 64 hex digits, or its first digits as `prov log`
    /// prints them (at least 4; a prefix reads the whole log)
    pub(crate) target: String,
}

#[derive(Args)]
pub struct LogArgs {
    /// First sequence number
    #[arg(long, default_value_t = 0)]
    from: u64,
    /// Most entries to list
    #[arg(long)]
    limit: Option<u64>,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Jsonl,
    Csv,
    /// `HEX  NAME` lines that `sha256sum -c` checks (named entries only)
    Sha256sum,
    /// A holey BagIt bag in DIR: manifest, fetch.txt, bag-info.txt, checkpoint and proofs
    Bagit,
}

#[derive(Args)]
pub struct ExportArgs {
    /// Output format: jsonl, csv, sha256sum (`sha256sum -c` checks it), or bagit DIR (a
    /// BagIt bag of hashes, checkpoint and proofs; the payload is not included)
    #[arg(
        long,
        value_enum,
        default_value = "jsonl",
        conflicts_with = "audit_bundle"
    )]
    format: Format,
    /// The new or empty folder `--format bagit` writes the bag into
    #[arg(value_name = "DIR", required_if_eq("format", "bagit"))]
    dir: Option<std::path::PathBuf>,
    /// Write what an auditor needs into this new or empty folder instead: entries.log,
    /// COMMIT, ledger.json, ledger.vkey and the latest checkpoint (never key.pem)
    #[arg(long, value_name = "DIR")]
    audit_bundle: Option<std::path::PathBuf>,
}

impl ExportArgs {
    /// The text format this export writes that `--json` cannot be (CSV, sha256sum lines).
    pub fn text_format(&self) -> Option<(&'static str, &'static str)> {
        match self.format {
            _ if self.audit_bundle.is_some() => None,
            Format::Csv => Some(("export --format csv", "CSV")),
            Format::Sha256sum => Some(("export --format sha256sum", "sha256sum lines")),
            Format::Jsonl | Format::Bagit => None,
        }
    }

    /// Whether the export is JSON Lines (a stream of records), not a bag or a bundle.
    pub fn is_jsonl(&self) -> bool {
        matches!(self.format, Format::Jsonl) && self.audit_bundle.is_none()
    }
}

/// The fewest hex digits `show` takes as the start of a SHA-256.
const MIN_PREFIX: usize = 4;

pub fn show(ledger: &Path, a: ShowArgs, out: Out) -> Result<()> {
    let target = a.target.to_ascii_lowercase();
    let digits = !target.is_empty() && target.bytes().all(|b| b.is_ascii_digit());
    let entries = if let Some(seq) = digits.then(|| target.parse::<u64>().ok()).flatten() {
        // Digits alone are a sequence number; past the end of the ledger they may be the
        // start of a hash that `log` printed (about one hash in seven starts with 4 digits).
        let l = Ledger::open_read_only(ledger)?;
        if seq < l.size() || target.len() < MIN_PREFIX {
            vec![l.entry(seq)?]
        } else {
            match by_prefix(ledger, &target)? {
                Some(e) => e,
                None => vec![l.entry(seq)?],
            }
        }
    } else if let Some(sha) = parse_sha256(&target) {
        // A whole hash is looked up in the content index.
        let e = Ledger::open(ledger)?.lookup(&sha)?;
        if e.is_empty() {
            return Err(Failure::negative(format!("no entry has SHA-256 {target}")));
        }
        e
    } else if (MIN_PREFIX..64).contains(&target.len())
        && target.bytes().all(|b| b.is_ascii_hexdigit())
    {
        by_prefix(ledger, &target)?.ok_or_else(|| {
            Failure::negative(format!("no entry has a SHA-256 that starts with {target}"))
        })?
    } else {
        return Err(Failure::input(format!(
            "'{}' is neither a sequence number nor a SHA-256: give an entry's number, or its SHA-256 or at least its first {MIN_PREFIX} hex digits (`prov log` prints 16)",
            // Escaped once, where the error line is printed.
            a.target
        )));
    };
    // Claims about each entry and links to it: one pass over the log for all of them.
    let l = Ledger::open_read_only(ledger)?;
    let found = Found::read(&l, &entries.iter().map(|e| e.seq).collect::<Vec<_>>())?;
    for (i, e) in entries.iter().enumerate() {
        let told = found.tell(std::slice::from_ref(e));
        let mut v = entry_json(e);
        told.json_into(&mut v, false);
        if out.json {
            out.json(&v)?;
        } else {
            if i > 0 {
                out.line("")?;
            }
            out.line(prov_report::lines::show_text(&v))?;
        }
    }
    Ok(())
}

/// Most contents counted when a start of a hash is ambiguous.
const PREFIX_CANDIDATES: usize = 1000;

/// Every entry for the one content whose SHA-256 starts with `prefix` (lowercase hex), or
/// `None` when no content's does. The content index names the candidates (a few reads);
/// the one found is looked up and checked as any lookup by content is.
fn by_prefix(ledger: &Path, prefix: &str) -> Result<Option<Vec<Entry>>> {
    let l = Ledger::open(ledger)?;
    let candidates = l.contents_with_prefix(prefix, PREFIX_CANDIDATES + 1)?;
    // Each candidate is believed only with its checked entries.
    let mut found = Vec::new();
    for entries in l.lookup_many(&candidates)? {
        let entries = entries?;
        if !entries.is_empty() {
            found.push(entries);
        }
    }
    match found.len() {
        0 => Ok(None),
        1 => Ok(found.pop()),
        n => Err(Failure::input(format!(
            "{} documents have a SHA-256 that starts with {prefix}: give more of its digits",
            if n > PREFIX_CANDIDATES {
                format!("more than {PREFIX_CANDIDATES}")
            } else {
                n.to_string()
            }
        ))),
    }
}

fn log_line(e: &Entry) -> String {
    let kind = match e.kind {
        Kind::FirstSeen => "first".to_owned(),
        Kind::Sighting { first } => format!("again:{first}"),
        Kind::Claim { about, verdict } => format!("{}:{about}", verdict.as_str()),
    };
    let name = e
        .content
        .name
        .as_deref()
        .map(escape::bytes)
        .unwrap_or_default();
    format!(
        "{:>6}  {}  {:<9} {}  {:>10}  {}  {}",
        e.seq,
        rfc3339(e.time_ms),
        kind,
        &hex::encode(e.content.sha256)[..16],
        e.content.size,
        escape::text(&e.source),
        name
    )
}

pub fn log(ledger: &Path, a: LogArgs, out: Out) -> Result<()> {
    let l = Ledger::open_read_only(ledger)?;
    if a.from > l.size() {
        return Err(Failure::input(format!(
            "--from {} is past the end: the ledger has {}",
            a.from,
            count(l.size(), "entry", "entries")
        )));
    }
    for e in l.range(a.from, a.limit.unwrap_or(u64::MAX)) {
        let e = e?;
        if out.json {
            out.json(&entry_json(&e))?;
        } else {
            out.line(log_line(&e))?;
        }
    }
    Ok(())
}

/// A text cell that a spreadsheet will not run as a formula: a cell starting with `=`, `+`,
/// `-`, `@`, tab or carriage return gets a leading `'` (as OWASP recommends for CSV
/// injection). The recorded text is in `export --format jsonl`, exactly.
fn csv_cell(s: String) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s
    }
}

/// The columns of `export --format csv`, one row per entry: every field of the entry, so
/// that nothing recorded is lost (the first ten as before claims, so that a reader by
/// position still reads them) (metadata as one JSON object, links as
/// `RELATION:SEQ` separated by spaces, a claim's `about` and verdict, the signature in hex,
/// which never starts a formula, where `export` (JSON Lines) gives it in base64).
const CSV_COLUMNS: [&str; 20] = [
    "seq",
    "kind",
    "first_seen_seq",
    "time",
    "sha256",
    "size",
    "name",
    "media_type",
    "source",
    "agent",
    "name_hex",
    "claim_about",
    "claim_verdict",
    "metadata",
    "related",
    "digests",
    "prev",
    "leaf_hash",
    "key_id",
    "signature",
];

/// One entry as a CSV row of [`CSV_COLUMNS`], every text cell neutralized ([`csv_cell`]).
fn csv_row(e: &Entry) -> Vec<String> {
    let (kind, first, about, verdict) = match e.kind {
        Kind::FirstSeen => ("first_seen", e.seq.to_string(), String::new(), ""),
        Kind::Sighting { first } => ("sighting", first.to_string(), String::new(), ""),
        Kind::Claim { about, verdict } => {
            ("claim", String::new(), about.to_string(), verdict.as_str())
        }
    };
    let json = entry_json(e);
    let related: Vec<String> = e
        .related
        .iter()
        .map(|r| format!("{}:{}", r.relation, r.seq))
        .collect();
    vec![
        e.seq.to_string(),
        kind.to_owned(),
        first,
        rfc3339(e.time_ms),
        hex::encode(e.content.sha256),
        e.content.size.to_string(),
        csv_cell(e.content.name.as_deref().map(name_json).unwrap_or_default()),
        csv_cell(e.content.media_type.clone().unwrap_or_default()),
        csv_cell(e.source.clone()),
        csv_cell(e.agent.clone().unwrap_or_default()),
        json["name_hex"].as_str().unwrap_or_default().to_owned(),
        about,
        verdict.to_owned(),
        csv_cell(json["metadata"].to_string()),
        csv_cell(related.join(" ")),
        csv_cell(json["digests"].to_string()),
        e.prev.to_hex(),
        json["leaf_hash"].as_str().unwrap_or_default().to_owned(),
        format!("{:08x}", e.key_id),
        hex::encode(e.signature),
    ]
}

pub fn export(ledger: &Path, a: ExportArgs, out: Out) -> Result<()> {
    let l = Ledger::open_read_only(ledger)?;
    if let Some(dir) = &a.audit_bundle {
        return crate::bundle::audit_bundle(&l, dir, out);
    }
    if a.dir.is_some() && a.format != Format::Bagit {
        return Err(Failure::usage(
            "a folder is what `--format bagit DIR` writes into: leave it out, or give --format bagit",
        ));
    }
    match a.format {
        Format::Sha256sum => return crate::export_lists::sha256sum(&l, out),
        Format::Bagit => {
            let dir = a.dir.as_deref().unwrap_or(Path::new("."));
            return crate::export_lists::bagit(&l, ledger, dir, out);
        }
        Format::Jsonl => {
            for e in l.range(0, u64::MAX) {
                out.json(&entry_json(&e?))?;
            }
        }
        Format::Csv => {
            let mut w = csv::Writer::from_writer(std::io::stdout().lock());
            let csv_err = |e: csv::Error| match e.into_kind() {
                csv::ErrorKind::Io(io) => Failure::from(io),
                k => Failure::input(format!("cannot write CSV: {k:?}")),
            };
            w.write_record(CSV_COLUMNS).map_err(csv_err)?;
            for e in l.range(0, u64::MAX) {
                w.write_record(csv_row(&e?)).map_err(csv_err)?;
            }
            w.flush()?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn csv_cells_never_start_a_formula() {
        for bad in ["=HYPERLINK(\"x\")", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(super::csv_cell(bad.into()), format!("'{bad}"));
        }
        for ok in ["https://a.example", "report.pdf", "", "a=b"] {
            assert_eq!(super::csv_cell(ok.into()), ok);
        }
    }
}
