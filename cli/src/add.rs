//! `prov add`: the arguments made into the ledger's one ingest path
//! ([`prov_ledger::Ledger::ingest`]: walk, hashing beside signing, durable batches), and each
//! result shown as its batch is recorded.

use crate::escape;
use crate::failure::{ENVIRONMENT, Failure, Result};
use crate::fields::parse_fields;
use crate::output::{Out, now_ms, rfc3339};
use clap::Args;
use indicatif::ProgressBar;
use prov_ledger::{
    DEFAULT_BATCH, Documents, Fields, FileDigest, Ingested, Ledger, Manifest, Options, Report,
    Skip, Status, parse_sha256, walk,
};
use serde_json::json;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

#[derive(Args)]
pub struct AddArgs {
    /// Files or folders to record (folders recursively); - reads one document from stdin
    #[arg(required_unless_present_any = ["sha256", "manifest"])]
    paths: Vec<PathBuf>,
    /// Where the documents came from: a URL, a mailbox, a person, a drive
    #[arg(long, short)]
    source: String,
    /// Who records them
    #[arg(long)]
    agent: Option<String>,
    /// Metadata KEY=VALUE, for example a date the document claims (repeatable)
    #[arg(long = "meta", value_name = "KEY=VALUE")]
    meta: Vec<String>,
    /// Media type of the documents, for example application/pdf
    #[arg(long)]
    media_type: Option<String>,
    /// Link to an earlier entry, RELATION=SEQ, for example altered_copy_of=12 (repeatable)
    #[arg(long = "related", value_name = "RELATION=SEQ")]
    related: Vec<String>,
    /// File name to record for stdin or --sha256 documents (files keep their own names)
    #[arg(long)]
    name: Option<String>,
    /// Follow symlinks inside folders
    #[arg(long, short = 'L')]
    follow_symlinks: bool,
    /// Record a document by its SHA-256 alone (the bytes never touch the ledger)
    #[arg(long, value_name = "HEX", requires = "size", conflicts_with_all = ["paths", "manifest"])]
    sha256: Option<String>,
    /// Record many documents by hash alone: one `<sha256 hex> <size> <name>` per line
    /// (the name may be empty); - reads the manifest from stdin
    #[arg(long, value_name = "FILE", conflicts_with = "paths")]
    manifest: Option<PathBuf>,
    /// Size in bytes of the --sha256 document
    #[arg(long, requires = "sha256")]
    size: Option<u64>,
    /// When the system clock is behind the ledger's last entry (stamped by a clock that was
    /// set ahead), record new entries at that entry's time instead of refusing
    #[arg(long)]
    clamp_time: bool,
    /// Documents per commit: each batch is fsync'd, signed into a checkpoint and reported
    /// before the next is read (smaller: less to redo after a crash; larger: faster)
    #[arg(long, default_value_t = DEFAULT_BATCH as u64, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    batch: u64,
}

/// The value of a `--sha256` option: 64 hex digits, or one line that says so.
pub fn sha256_arg(hex: &str) -> Result<[u8; 32]> {
    parse_sha256(hex)
        .ok_or_else(|| Failure::input(format!("--sha256 '{hex}' is not 64 hex digits")))
}

pub fn add(ledger: &Path, a: AddArgs, out: Out) -> Result<()> {
    let (metadata, related) = parse_fields(&a.meta, &a.related)?;
    if a.source.trim().is_empty() {
        return Err(Failure::input(
            "--source is empty: say where the documents came from (a URL, mailbox, person or drive)",
        ));
    }
    if a.source.chars().any(char::is_control) {
        return Err(Failure::input(
            "--source contains control characters: give it on one line of plain text",
        ));
    }
    // Validate everything before the ledger is touched: a bad path writes nothing.
    let stdin = a.paths.iter().any(|p| p.as_os_str() == "-");
    if stdin && a.paths.len() > 1 {
        return Err(Failure::usage("- (stdin) must be the only path"));
    }
    if a.name.is_some() && !stdin && a.sha256.is_none() {
        return Err(Failure::usage(
            "--name names a document read from stdin (-) or given by --sha256; files and manifest lines keep their own names",
        ));
    }
    let fields = Fields {
        source: a.source.clone(),
        agent: a.agent.clone(),
        media_type: a.media_type.clone(),
        metadata,
        related,
    };
    let name = a.name.clone().map(String::into_bytes);
    fields
        .validate(name.as_deref())
        .map_err(|e| Failure::input(e.to_string()))?;
    let mut manifest = match &a.manifest {
        Some(p) => {
            let mut m = if p.as_os_str() == "-" {
                Manifest::from_reader(std::io::stdin().lock(), "stdin")?
            } else {
                let file = crate::proof::open_input(p, "manifest")?;
                Manifest::from_file(file, p.display().to_string())?
            };
            m.check(&fields)?;
            Some(m)
        }
        None => None,
    };
    let walked = if stdin || a.sha256.is_some() || a.manifest.is_some() {
        Default::default()
    } else {
        walk(&a.paths, a.follow_symlinks, &Skip::ledger(ledger))?
    };
    for (p, why) in &walked.skipped {
        out.note(format!("skipped {}: {why}", p.display()));
    }
    let mut l = Ledger::open_writer(ledger)?;
    crate::crash_point::install(&mut l);
    l.allow_clock_behind(a.clamp_time);
    let now = now_ms()?;
    const MONTH_MS: u64 = 30 * 24 * 3600 * 1000;
    if l.size() > 0 && now > l.last_time_ms().saturating_add(MONTH_MS) {
        out.note(format!(
            "the clock reads {}, more than 30 days after the ledger's last entry ({}): if the clock is wrong, fix it before recording more, since later entries can never carry an earlier time",
            rfc3339(now),
            rfc3339(l.last_time_ms())
        ));
    }
    let rebuilt_at_open = l.index_rebuilt();
    if rebuilt_at_open {
        out.note(
            "the index disagreed with the signed log (after a crash, or tampered with) and has been rebuilt from it",
        );
    }
    crate::admin::recovery_notes(&l, out);
    let documents = if let Some(m) = &mut manifest {
        Documents::Manifest(m)
    } else if let Some(hex) = &a.sha256 {
        let sha256 = sha256_arg(hex)?;
        Documents::Digest {
            digest: FileDigest {
                sha256,
                size: a.size.unwrap_or_default(),
            },
            label: format!("sha256:{hex}").into_bytes(),
            name,
        }
    } else if stdin {
        Documents::Stream {
            reader: Box::new(std::io::stdin().lock()),
            what: "stdin".into(),
            label: b"-".to_vec(),
            name,
        }
    } else {
        Documents::Files(&walked.files)
    };
    let bar = matches!(documents, Documents::Files(_)).then(|| {
        out.progress(
            walked.total_bytes(),
            "{spinner} {msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} ETA {eta}",
        )
    });
    let progress = |n| {
        if let Some(bar) = &bar {
            bar.inc(n);
        }
    };
    let options = Options {
        batch: usize::try_from(a.batch).unwrap_or(usize::MAX),
        clock: &prov_ledger::system_time_ms,
        progress: &progress,
    };
    let mut shown = Shown {
        out,
        bar: bar.as_ref(),
        files: walked.files.len(),
        failed: None,
    };
    let summary = l
        .ingest(documents, &fields, &options, &mut shown)
        .map_err(|e| {
            if let (prov_ledger::Error::NotHashed { .. }, Some(bar)) = (&e, &bar) {
                bar.abandon();
            }
            Failure::from(e)
        })?;
    if let Some(f) = shown.failed {
        return Err(recorded_anyway(f, summary.documents()));
    }
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let out = shown.out;
    if l.index_rebuilt() && !rebuilt_at_open {
        out.note("the index gave an answer that the signed log contradicts; it has been rebuilt from the log");
    }
    let done = summary.documents();
    out.human(format!(
        "{} document{}: {} first seen, {} seen again, {} already recorded; the ledger holds {} entries",
        done,
        if done == 1 { "" } else { "s" },
        summary.first_seen,
        summary.sightings,
        summary.already_recorded,
        l.size()
    ))
    .map_err(|f| recorded_anyway(f, done))?;
    Ok(())
}

/// An output error after documents were recorded: say that they were (exit 5).
fn recorded_anyway(f: Failure, recorded: u64) -> Failure {
    if f.code != ENVIRONMENT {
        return f;
    }
    Failure::environment(format!(
        "{}; the {recorded} documents processed so far are recorded in the ledger (a re-run reports them as already recorded)",
        f.msg
    ))
}

/// Shows each recorded document. A reader that went away (`| head`) stops the printing,
/// never the recording: the rest of the documents are still recorded. Any other output
/// error stops the ingest after the batch being shown (it is recorded).
struct Shown<'a> {
    out: Out,
    bar: Option<&'a ProgressBar>,
    /// How many files were walked, for the progress bar.
    files: usize,
    failed: Option<Failure>,
}

impl Report for Shown<'_> {
    fn recorded(&mut self, d: &Ingested<'_>) -> ControlFlow<()> {
        match report_one(d, &self.out) {
            Ok(()) => ControlFlow::Continue(()),
            Err(f) if f.is_quiet_stop() => {
                self.out = Out {
                    json: false,
                    quiet: true,
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
            bar.set_message(format!("{documents}/{} files", self.files));
        }
    }
}

fn report_one(d: &Ingested<'_>, out: &Out) -> Result<()> {
    let (label, doc, r) = (d.label, d.document, d.recorded);
    let f = &r.first_seen;
    if out.json {
        return out.json(&json!({
            "path": String::from_utf8_lossy(label),
            "status": r.status.as_str(),
            "seq": r.seq,
            "sha256": hex::encode(doc.content.sha256),
            "size": doc.content.size,
            "first_seen": {"seq": f.seq, "time": rfc3339(f.time_ms), "source": f.source},
        }));
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
        Status::AlreadyRecorded => out.line(format!(
            "already recorded  {path}  (entry {}, from this source)",
            r.seq
        )),
    }
}
