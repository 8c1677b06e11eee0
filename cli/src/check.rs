//! `prov check`: is each document known, since when, from where, seen where else, what is
//! claimed about it and what links to it (both ways).

use crate::failure::{Failure, Result};
use crate::note::Kind;
use crate::output::{Out, count};
use clap::Args;
use prov_ledger::{Entry, Ledger, Skip, hash_files, walk};
use prov_report::containers::Chains;
use prov_report::escape;
use prov_report::story::Found;
use serde_json::json;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

#[derive(Args)]
pub struct CheckArgs {
    /// Files or folders to check
    #[arg(required_unless_present = "sha256")]
    pub(crate) paths: Vec<PathBuf>,
    /// Check a SHA-256 instead of a file
    #[arg(long, value_name = "HEX", conflicts_with = "paths")]
    pub(crate) sha256: Option<String>,
    /// Follow symlinks inside folders
    #[arg(long, short = 'L')]
    pub(crate) follow_symlinks: bool,
    /// Accepted for scripts of earlier versions, where lookups waited for a running `add`;
    /// they no longer wait
    #[arg(long, hide = true)]
    no_wait: bool,
}

pub fn check(ledger: &Path, a: CheckArgs, out: Out) -> Result<()> {
    // Open first: a missing ledger is said at once, not after hashing everything.
    let _ = a.no_wait;
    let l = Ledger::open(ledger)?;
    // Each document: its label for JSON (the path's bytes), for people (escaped), and its
    // hash.
    let mut items: Vec<(Vec<u8>, String, [u8; 32])> = Vec::new();
    if let Some(hex) = &a.sha256 {
        let sha = crate::add::sha256_arg(hex)?;
        items.push((
            format!("sha256:{hex}").into_bytes(),
            format!("sha256:{hex}"),
            sha,
        ));
    } else {
        let walked = walk(&a.paths, a.follow_symlinks, &Skip::ledger(ledger))?;
        crate::output::skipped(&out, &walked.skipped)?;
        let total = walked.total_bytes();
        let bar = out.progress(
            total,
            "{spinner} hashing [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} ETA {eta}",
        );
        for (f, d) in walked
            .files
            .iter()
            .zip(hash_files(&walked.files, &|n| bar.inc(n)))
        {
            items.push((
                f.path.as_os_str().as_bytes().to_vec(),
                escape::path(&f.path),
                d.map_err(Failure::from_document)?.sha256,
            ));
        }
        bar.finish_and_clear();
    }
    let shas: Vec<[u8; 32]> = items.iter().map(|i| i.2).collect();
    let answers = l.lookup_many(&shas)?;
    // Counted before anything prints: a reader that goes away (`| head -1`) stops the
    // printing, never the answer the exit code gives.
    let unknown = answers
        .iter()
        .filter(|a| a.as_ref().is_ok_and(|e| e.is_empty()))
        .count() as u64;
    // The entries that link to the known documents' entries: one pass over the log for all.
    let targets: Vec<u64> = answers
        .iter()
        .flat_map(|a| a.iter().flatten().map(|e| e.seq))
        .collect();
    let found = Found::read(&l, &targets)?;
    if found.more() > 0 {
        out.note_with(
            Kind::LinksNotShown,
            format!(
                "{} more entries link to these documents than are shown (at most {} are)",
                found.more(),
                prov_ledger::MAX_LINKING
            ),
            json!({"more": found.more(), "shown_at_most": prov_ledger::MAX_LINKING}),
        )?;
    }
    let printed = show_answers(&l, &items, answers, &found, out);
    match printed {
        Err(f) if f.is_quiet_stop() && unknown == 0 => return Err(f),
        Err(f) if !f.is_quiet_stop() => return Err(f),
        _ => {}
    }
    if unknown > 0 {
        return Err(Failure::negative(format!(
            "{unknown} of {} {} unknown to this ledger",
            count(items.len() as u64, "document", "documents"),
            if unknown == 1 { "is" } else { "are" }
        )));
    }
    Ok(())
}

/// Prints each document's answer, in order; an answer that is an error ends it.
fn show_answers(
    l: &Ledger,
    items: &[(Vec<u8>, String, [u8; 32])],
    answers: Vec<prov_ledger::Result<Vec<Entry>>>,
    found: &Found,
    out: Out,
) -> Result<()> {
    let mut chains = Chains::default();
    // Timestamps and cosignatures: when someone other than the ledger vouches for an entry,
    // each verified with the witness keys and TSA certificates of the ledger's configuration.
    let (trust, unreadable) = prov_ledger::Trust::configured_or_none(l);
    for e in unreadable {
        out.note(
            crate::note::Kind::ConfigUnreadable,
            format!(
            "{e}: no cosignature or timestamp it would vouch for is counted as an independent bound; fix the file, or add the witnesses and TSAs again"
        ),
        )?;
    }
    let evidence = l.evidence(&trust)?;
    let mut unverified_seen = None;
    for ((path, shown, sha), entries) in items.iter().zip(answers) {
        let entries = entries?;
        let found_in: Vec<Vec<Entry>> = entries
            .iter()
            .map(|e| chains.of(l, e))
            .collect::<prov_ledger::Result<_>>()?;
        let told = found.tell(&entries);
        let v = prov_report::Checked {
            label: path,
            sha256: *sha,
            entries: &entries,
            found_in: &found_in,
            told: &told,
            evidence: &evidence,
        }
        .json();
        if let Some(f) = entries.first() {
            unverified_seen = unverified_seen.or(evidence.unverified_for(f.seq).next());
        }
        match (out.json, entries.is_empty()) {
            (true, _) => out.json(&v)?,
            // Printed even with -q: the unknown documents are the answer a script wants.
            (false, true) => {
                out.line(format!("unknown  {shown}  (sha256 {})", hex::encode(sha)))?
            }
            (false, false) => {
                for line in prov_report::lines::check_lines(&v, shown) {
                    out.human(line)?;
                }
            }
        }
    }
    if let Some(u) = unverified_seen {
        out.note(
            crate::note::Kind::UnverifiedEvidence,
            crate::stamped::unverified_note(u, evidence.unverified.len()),
        )?;
    }
    Ok(())
}
