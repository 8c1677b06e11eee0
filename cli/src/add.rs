//! `prov add`: hash documents in parallel, record them in durable batches, report each.

use crate::escape;
use crate::failure::{ENVIRONMENT, Failure, Result};
use crate::fields::parse_fields;
use crate::manifest::Manifest;
use crate::output::{Out, now_ms, rfc3339};
use crate::walk::{Skip, walk};
use clap::Args;
use prov_ledger::{Content, FileDigest, Ledger, NewDocument, Recorded, Status, hash_files};
use serde_json::json;
use std::os::unix::ffi::OsStrExt;
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
    #[arg(long, default_value_t = 4096, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    batch: u64,
}

/// The value of a `--sha256` option: 64 hex digits, or one line that says so.
pub fn sha256_arg(hex: &str) -> Result<[u8; 32]> {
    parse_sha256(hex)
        .ok_or_else(|| Failure::input(format!("--sha256 '{hex}' is not 64 hex digits")))
}

/// Parses a 64-digit hex SHA-256.
pub fn parse_sha256(s: &str) -> Option<[u8; 32]> {
    let v = hex::decode(s).ok()?;
    v.try_into().ok()
}

fn template(a: &AddArgs, name: Option<Vec<u8>>, d: FileDigest) -> NewDocument {
    NewDocument {
        content: Content {
            sha256: d.sha256,
            size: d.size,
            name,
            media_type: a.media_type.clone(),
            ..Default::default()
        },
        source: a.source.clone(),
        agent: a.agent.clone(),
        ..Default::default()
    }
}

/// A document's label in the output: its path, manifest name, or hash.
type Label = Vec<u8>;

pub fn add(ledger: &Path, a: AddArgs, mut out: Out) -> Result<()> {
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
    let with = |mut d: NewDocument| {
        d.metadata = metadata.clone();
        d.related = related.clone();
        d
    };
    let fields = with(template(
        &a,
        a.name.clone().map(String::into_bytes),
        FileDigest {
            sha256: [0; 32],
            size: 1,
        },
    ));
    fields
        .validate()
        .map_err(|e| Failure::input(e.to_string()))?;
    let mut manifest = match &a.manifest {
        Some(p) => {
            let mut m = Manifest::open(p)?;
            m.check_all(|line| {
                with(template(&a, line.name.clone(), line.digest))
                    .validate()
                    .map_err(|e| e.to_string())
            })?;
            Some(m)
        }
        None => None,
    };
    let walked = if stdin || a.sha256.is_some() || a.manifest.is_some() {
        Default::default()
    } else {
        walk(&a.paths, a.follow_symlinks, Skip::ledger(ledger))?
    };
    for (p, why) in &walked.skipped {
        out.note(format!("skipped {}: {why}", p.display()));
    }
    let mut l = Ledger::open_writer(ledger)?;
    crate::crash_point::install(&mut l);
    l.allow_clock_behind(a.clamp_time);
    let now = crate::output::now_ms()?;
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
    let mut tally = [0u64; 3];
    if let Some(m) = &mut manifest {
        let mut docs = Vec::new();
        for line in m.lines()? {
            let line = line?;
            let label = match &line.name {
                Some(n) => n.clone(),
                None => format!("sha256:{}", hex::encode(line.digest.sha256)).into_bytes(),
            };
            docs.push((label, with(template(&a, line.name, line.digest))));
            if docs.len() as u64 == a.batch {
                commit(&mut l, std::mem::take(&mut docs), &mut out, &mut tally)?;
            }
        }
        if !docs.is_empty() {
            commit(&mut l, docs, &mut out, &mut tally)?;
        }
    } else if let Some(hex) = &a.sha256 {
        let sha256 = sha256_arg(hex)?;
        let d = FileDigest {
            sha256,
            size: a.size.unwrap_or_default(),
        };
        let doc = with(template(&a, a.name.clone().map(String::into_bytes), d));
        commit(
            &mut l,
            vec![(format!("sha256:{hex}").into_bytes(), doc)],
            &mut out,
            &mut tally,
        )?;
    } else if stdin {
        let d = prov_ledger::hash_reader(std::io::stdin().lock(), &|_| {})
            .map_err(|e| Failure::input(format!("cannot read stdin: {e}")))?;
        if d.size == 0 {
            return Err(Failure::input(
                "stdin is empty: an empty document has no content to record",
            ));
        }
        let doc = with(template(&a, a.name.clone().map(String::into_bytes), d));
        commit(&mut l, vec![(b"-".to_vec(), doc)], &mut out, &mut tally)?;
    } else {
        let total = walked.total_bytes();
        let bar = out.progress(
            total,
            "{spinner} {msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} ETA {eta}",
        );
        let chunks: Vec<&[prov_ledger::WalkedFile]> =
            walked.files.chunks(a.batch as usize).collect();
        let mut done_files = 0;
        // Batch k+1 is hashed (on all cores) while batch k is signed and committed.
        std::thread::scope(|scope| -> Result<()> {
            let mut next = chunks
                .first()
                .map(|c| scope.spawn(|| hash_files(c, &|n| bar.inc(n))));
            for (i, chunk) in chunks.iter().enumerate() {
                let digests = match next.take() {
                    Some(h) => h
                        .join()
                        .map_err(|_| Failure::input("hashing failed unexpectedly"))?,
                    None => break,
                };
                if let Some(c) = chunks.get(i + 1) {
                    next = Some(scope.spawn(|| hash_files(c, &|n| bar.inc(n))));
                }
                let mut docs = Vec::with_capacity(chunk.len());
                for (f, d) in chunk.iter().zip(digests) {
                    let d = d.map_err(|e| {
                        bar.abandon();
                        let done = tally.iter().sum::<u64>();
                        let mut f = Failure::from_document(e);
                        if done > 0 {
                            f.msg += &format!(" ({done} documents before it are recorded; run the same command again to complete)");
                        }
                        f
                    })?;
                    let name = f.path.file_name().map(|n| n.as_bytes().to_vec());
                    let label = f.path.as_os_str().as_bytes().to_vec();
                    docs.push((label, with(template(&a, name, d))));
                }
                commit(&mut l, docs, &mut out, &mut tally)?;
                done_files += chunk.len();
                bar.set_message(format!("{done_files}/{} files", walked.files.len()));
            }
            Ok(())
        })?;
        bar.finish_and_clear();
    }
    let _ = l.flush_index();
    if l.index_rebuilt() && !rebuilt_at_open {
        out.note("the index gave an answer that the signed log contradicts; it has been rebuilt from the log");
    }
    let done = tally.iter().sum::<u64>();
    out.human(format!(
        "{} document{}: {} first seen, {} seen again, {} already recorded; the ledger holds {} entries",
        done,
        if done == 1 { "" } else { "s" },
        tally[0],
        tally[1],
        tally[2],
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

/// Records a batch and reports each document. A reader that went away (`| head`) stops
/// the printing, never the recording: the rest of the documents are still recorded.
fn commit(
    l: &mut Ledger,
    docs: Vec<(Label, NewDocument)>,
    out: &mut Out,
    tally: &mut [u64; 3],
) -> Result<()> {
    let batch: Vec<NewDocument> = docs.iter().map(|(_, d)| d.clone()).collect();
    let report = l.append(&batch, now_ms()?)?;
    let recorded = tally.iter().sum::<u64>() + docs.len() as u64;
    for ((label, doc), r) in docs.iter().zip(&report.results) {
        match report_one(label, doc, r, out) {
            Err(f) if f.is_quiet_stop() => {
                *out = Out {
                    json: false,
                    quiet: true,
                }
            }
            other => other.map_err(|f| recorded_anyway(f, recorded))?,
        }
        tally[match r.status {
            Status::FirstSeen => 0,
            Status::Sighting => 1,
            Status::AlreadyRecorded => 2,
        }] += 1;
    }
    Ok(())
}

fn report_one(label: &[u8], doc: &NewDocument, r: &Recorded, out: &Out) -> Result<()> {
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
