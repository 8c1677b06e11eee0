//! What `prov add` tells as it goes: a progress bar on stderr (files recorded, bytes
//! hashed), a line per document that the ledger learned something from (first seen, seen
//! again; with `-v`, already recorded too), and a summary that says what was added and, when
//! nothing was, why.

use crate::failure::{ENVIRONMENT, Failure, Result};
use crate::output::{Out, count, rfc3339};
use indicatif::ProgressBar;
use prov_ledger::{Ingested, Report, Status, Summary};
use prov_report::escape;
use serde_json::json;
use std::ops::ControlFlow;

/// The progress bar of an ingest of `files` walked files of `bytes` bytes.
pub fn files_bar(out: Out, files: usize, bytes: u64) -> ProgressBar {
    let bar = out.progress(
        bytes,
        "{spinner} {msg} [{bar:30}] {bytes}/{total_bytes} hashed, {bytes_per_sec}, ETA {eta}",
    );
    bar.set_message(format!("0/{files} files recorded"));
    bar
}

/// The progress of a manifest's ingest, whose length is not known before it is read.
pub fn manifest_bar(out: Out) -> ProgressBar {
    let bar = out.progress(0, "{spinner} {msg}");
    bar.set_message("0 documents recorded");
    bar
}

/// Documents already recorded whose fields the note on unrecorded fields compares (each
/// comparison reads an entry).
pub const ALREADY_KEPT: usize = 10_000;

/// Shows each recorded document. A reader that went away (`| head`) stops the printing,
/// never the recording: the rest of the documents are still recorded. Any other output
/// error stops the ingest after the batch being shown (it is recorded).
pub struct Shown<'a> {
    pub out: Out,
    /// Also a line for each document already recorded from this source.
    pub verbose: bool,
    pub bar: Option<&'a ProgressBar>,
    /// How many files were walked (none for a manifest), for the progress bar.
    pub files: usize,
    /// Documents found already recorded: each one's entry (the first
    /// `ALREADY_KEPT`), for the note on fields not recorded.
    pub already: Vec<u64>,
    pub failed: Option<Failure>,
    /// Files given whose result was reported (members found inside them not counted).
    pub files_done: usize,
    /// Containers whose entry says members were not recorded: how many, the members, and
    /// the first such entry.
    pub short: (u64, u64, Option<u64>),
    /// Containers found already recorded, with the member count this add found (the first
    /// few), to say when their entry counts otherwise.
    pub recounted: Vec<(u64, String)>,
    /// New documents linked `similar_to` an earlier one (label, entry, link): the first
    /// [`ALREADY_KEPT`], and how many in all.
    pub resembling: Vec<(Vec<u8>, u64, prov_ledger::SimilarLink)>,
    pub resembling_total: u64,
}

impl Shown<'_> {
    /// The note on members not recorded, if any container had some, and its facts.
    pub fn short_note(&self) -> Option<(String, serde_json::Value)> {
        let (containers, members, first) = self.short;
        Some(members_note(containers, members, first?))
    }
}

/// The note on `members` members of `containers` containers not recorded, the first such
/// container's entry `first`, and its facts for `--json`.
pub fn members_note(containers: u64, members: u64, first: u64) -> (String, serde_json::Value) {
    (
        format!(
            "{} in {} {} not recorded (a limit reached, damaged data, an encrypted archive or a name that repeats): `prov show {first}` lists them with the reason",
            count(members, "member", "members"),
            count(containers, "container", "containers"),
            if members == 1 { "was" } else { "were" },
        ),
        json!({"members": members, "containers": containers, "first_seq": first}),
    )
}

impl Report for Shown<'_> {
    fn recorded(&mut self, d: &Ingested<'_>) -> ControlFlow<()> {
        if d.contained_in.is_none() {
            self.files_done += 1;
        }
        let missing = d
            .document
            .metadata
            .get("container.not_recorded")
            .and_then(|n| n.parse::<u64>().ok())
            .unwrap_or(0);
        if d.recorded.status == Status::AlreadyRecorded
            && self.recounted.len() < ALREADY_KEPT
            && let Some(n) = d.document.metadata.get("container.recorded")
        {
            self.recounted.push((d.recorded.seq, n.clone()));
        }
        if missing > 0 && d.recorded.status != Status::AlreadyRecorded {
            self.short.0 += 1;
            self.short.1 += missing;
            self.short.2.get_or_insert(d.recorded.seq);
        }
        if let Some(link) = d.recorded.similar {
            self.resembling_total += 1;
            if self.resembling.len() < ALREADY_KEPT {
                self.resembling
                    .push((d.label.to_vec(), d.recorded.seq, link));
            }
        }
        if d.recorded.status == Status::AlreadyRecorded && self.already.len() < ALREADY_KEPT {
            self.already.push(d.recorded.seq);
        }
        // The bar is cleared while a line prints, and drawn again under it.
        let shown = match self.bar {
            Some(bar) => bar.suspend(|| report_one(d, &self.out, self.verbose)),
            None => report_one(d, &self.out, self.verbose),
        };
        match shown {
            Ok(()) => ControlFlow::Continue(()),
            Err(f) if f.is_quiet_stop() => {
                self.out = Out {
                    json: false,
                    quiet: true,
                    stream: false,
                };
                ControlFlow::Continue(())
            }
            Err(f) => {
                self.failed = Some(f);
                ControlFlow::Break(())
            }
        }
    }

    fn batch_done(&mut self, documents: u64) {
        if let Some(bar) = self.bar {
            bar.set_message(match self.files {
                0 => format!("{} recorded", count(documents, "document", "documents")),
                n if documents as usize == self.files_done => {
                    format!("{documents}/{n} files recorded")
                }
                n => format!(
                    "{}/{n} files recorded ({})",
                    self.files_done,
                    count(documents, "document", "documents")
                ),
            });
        }
    }
}

fn report_one(d: &Ingested<'_>, out: &Out, verbose: bool) -> Result<()> {
    let (label, r) = (d.label, d.recorded);
    let f = &r.first_seen;
    if out.json {
        let v = prov_report::added_json(d);
        return out.json(&v);
    }
    if out.quiet {
        return Ok(());
    }
    let path = escape::bytes(label);
    match r.status {
        Status::FirstSeen => out.line(format!("first seen        {path}  (entry {})", r.seq)),
        Status::Sighting => out.line(format!(
            "seen again        {path}  (entry {}; first seen {} from {}, entry {})",
            r.seq,
            rfc3339(f.time_ms),
            escape::text(&f.source),
            f.seq
        )),
        Status::AlreadyRecorded if verbose => out.line(format!(
            "already recorded  {path}  (entry {}, from this source)",
            r.seq
        )),
        Status::AlreadyRecorded => Ok(()),
    }
}

/// The summary line: what was added, and the ledger's size. When nothing was added, it says
/// so first, and why.
pub fn summary_line(s: &Summary, ledger_size: u64) -> String {
    let done = s.documents();
    let holds = count(ledger_size, "entry", "entries");
    if s.first_seen + s.sightings == 0 && s.already_recorded > 0 {
        return format!(
            "nothing added: {} already recorded from this source (the ledger records each content, source and place once; `-v` lists them); the ledger holds {holds}",
            if done == 1 {
                "the document was".to_owned()
            } else {
                format!("all {done} documents were")
            }
        );
    }
    format!(
        "{}: {} first seen, {} seen again, {} already recorded; the ledger holds {holds}",
        count(done, "document", "documents"),
        s.first_seen,
        s.sightings,
        s.already_recorded,
    )
}

/// An output error after documents were recorded: say that they were (exit 5).
pub fn recorded_anyway(f: Failure, recorded: u64) -> Failure {
    if f.code != ENVIRONMENT {
        return f;
    }
    Failure::environment(format!(
        "{}; the {} processed so far {} recorded in the ledger (a re-run reports {} as already recorded)",
        f.msg,
        count(recorded, "document", "documents"),
        if recorded == 1 { "is" } else { "are" },
        if recorded == 1 { "it" } else { "them" },
    ))
}
