//! `prov add`: hash documents in parallel, record them in durable batches, report each.

use crate::failure::{Failure, Result};
use crate::output::{Out, now_ms, rfc3339};
use crate::walk::walk;
use clap::Args;
use prov_ledger::{
    Content, FileDigest, Ledger, NewDocument, Recorded, Related, Status, hash_files,
};
use serde_json::json;
use std::collections::BTreeMap;
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
    /// File name to record for stdin or --sha256 documents
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
    /// Documents per commit: each batch is fsync'd, signed into a checkpoint and reported
    /// before the next is read (smaller: less to redo after a crash; larger: faster)
    #[arg(long, default_value_t = 4096, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    batch: u64,
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

fn parse_fields(a: &AddArgs) -> Result<(BTreeMap<String, String>, Vec<Related>)> {
    let mut meta = BTreeMap::new();
    for m in &a.meta {
        let (k, v) = m
            .split_once('=')
            .ok_or_else(|| Failure::input(format!("--meta {m:?} has no '=': write KEY=VALUE")))?;
        if meta.insert(k.to_owned(), v.to_owned()).is_some() {
            return Err(Failure::input(format!("--meta key {k:?} is given twice")));
        }
    }
    let mut related = Vec::new();
    for r in &a.related {
        let parsed = r.split_once('=').and_then(|(rel, seq)| {
            Some(Related {
                relation: rel.to_owned(),
                seq: seq.parse().ok()?,
            })
        });
        related.push(
            parsed.ok_or_else(|| Failure::input(format!("--related {r:?} is not RELATION=SEQ")))?,
        );
    }
    related.sort();
    related.dedup();
    Ok((meta, related))
}

pub fn add(ledger: &Path, a: AddArgs, mut out: Out) -> Result<()> {
    let (metadata, related) = parse_fields(&a)?;
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
    let manifest = match &a.manifest {
        Some(p) => read_manifest(p)?,
        None => Vec::new(),
    };
    let walked = if stdin || a.sha256.is_some() || a.manifest.is_some() {
        Default::default()
    } else {
        walk(&a.paths, a.follow_symlinks)?
    };
    for (p, why) in &walked.skipped {
        out.note(format!("skipped {}: {why}", p.display()));
    }
    let mut l = Ledger::open_writer(ledger)?;
    crate::crash_point::install(&mut l);
    let rebuilt_at_open = l.index_rebuilt();
    if rebuilt_at_open {
        out.note(
            "the index disagreed with the signed log (after a crash, or tampered with) and has been rebuilt from it",
        );
    }
    if l.rolled_forward_entries() > 0 {
        out.note(format!(
            "recovered: committed {} entries that an interrupted append had written and signed in full",
            l.rolled_forward_entries()
        ));
    }
    if l.recovered_bytes() > 0 {
        out.note(format!(
            "recovered: cut {} bytes an interrupted append left uncommitted (never reported)",
            l.recovered_bytes()
        ));
    }
    let with = |mut d: NewDocument| {
        d.metadata = metadata.clone();
        d.related = related.clone();
        d
    };
    let mut tally = [0u64; 3];
    if a.manifest.is_some() {
        for chunk in manifest.chunks(a.batch as usize) {
            let docs = chunk
                .iter()
                .map(|(label, name, d)| (label.clone(), with(template(&a, name.clone(), *d))))
                .collect();
            commit(&mut l, docs, &mut out, &mut tally)?;
        }
    } else if let Some(hex) = &a.sha256 {
        let sha256 = parse_sha256(hex)
            .ok_or_else(|| Failure::input(format!("--sha256 {hex:?} is not 64 hex digits")))?;
        let d = FileDigest {
            sha256,
            size: a.size.unwrap_or_default(),
        };
        let doc = with(template(&a, a.name.clone().map(String::into_bytes), d));
        commit(
            &mut l,
            vec![(format!("sha256:{hex}"), doc)],
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
        commit(&mut l, vec![("-".into(), doc)], &mut out, &mut tally)?;
    } else {
        let total = walked.total_bytes();
        let bar = out.progress(
            total,
            "{spinner} {msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} ETA {eta}",
        );
        let chunks: Vec<&[PathBuf]> = walked.files.chunks(a.batch as usize).collect();
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
                for (p, d) in chunk.iter().zip(digests) {
                    let d = d.map_err(|e| {
                        bar.abandon();
                        let done = tally.iter().sum::<u64>();
                        let mut f = Failure::from_document(e);
                        if done > 0 {
                            f.msg += &format!(" ({done} documents before it are recorded; run the same command again to complete)");
                        }
                        f
                    })?;
                    let name = p.file_name().map(|n| n.as_bytes().to_vec());
                    docs.push((p.display().to_string(), with(template(&a, name, d))));
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
    out.human(format!(
        "{} document{}: {} first seen, {} seen again, {} already recorded; the ledger holds {} entries",
        tally.iter().sum::<u64>(),
        if tally.iter().sum::<u64>() == 1 { "" } else { "s" },
        tally[0],
        tally[1],
        tally[2],
        l.size()
    ))?;
    Ok(())
}

/// Reads a manifest: `<sha256 hex> <size> <name>` per line; every line is checked before
/// anything is recorded.
/// One manifest line: a label for the output, the recorded name, the digest.
type ManifestLine = (String, Option<Vec<u8>>, FileDigest);

fn read_manifest(path: &Path) -> Result<Vec<ManifestLine>> {
    let bytes = crate::proof::read_input_unbounded(path, "manifest")?;
    let mut out = Vec::new();
    for (i, line) in bytes.split(|b| *b == b'\n').enumerate() {
        if line.is_empty() {
            continue;
        }
        let bad = || {
            Failure::input(format!(
                "{} line {}: expected `<sha256 hex> <size> <name>`",
                path.display(),
                i + 1
            ))
        };
        let mut parts = line.splitn(3, |b| *b == b' ');
        let sha = parts
            .next()
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(parse_sha256)
            .ok_or_else(bad)?;
        let size = parts
            .next()
            .and_then(|s| std::str::from_utf8(s).ok())
            .and_then(|s| s.parse().ok())
            .ok_or_else(bad)?;
        let name = parts.next().filter(|n| !n.is_empty()).map(<[u8]>::to_vec);
        let label = match &name {
            Some(n) => String::from_utf8_lossy(n).into_owned(),
            None => format!("sha256:{}", hex::encode(sha)),
        };
        out.push((label, name, FileDigest { sha256: sha, size }));
    }
    Ok(out)
}

/// Records a batch and reports each document. A reader that went away (`| head`) stops
/// the printing, never the recording: the rest of the documents are still recorded.
fn commit(
    l: &mut Ledger,
    docs: Vec<(String, NewDocument)>,
    out: &mut Out,
    tally: &mut [u64; 3],
) -> Result<()> {
    let batch: Vec<NewDocument> = docs.iter().map(|(_, d)| d.clone()).collect();
    let report = l.append(&batch, now_ms())?;
    for ((path, doc), r) in docs.iter().zip(&report.results) {
        match report_one(path, doc, r, out) {
            Err(Failure { code: 0, .. }) => {
                *out = Out {
                    json: false,
                    quiet: true,
                }
            }
            other => other?,
        }
        tally[match r.status {
            Status::FirstSeen => 0,
            Status::Sighting => 1,
            Status::AlreadyRecorded => 2,
        }] += 1;
    }
    Ok(())
}

fn report_one(path: &str, doc: &NewDocument, r: &Recorded, out: &Out) -> Result<()> {
    let f = &r.first_seen;
    if out.json {
        return out.json(&json!({
            "path": path,
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
    match r.status {
        Status::FirstSeen => out.line(format!("first seen        {path}  (entry {})", r.seq)),
        Status::Sighting => out.line(format!(
            "seen again        {path}  (entry {}; first seen {} from {}, entry {})",
            r.seq,
            rfc3339(f.time_ms),
            f.source,
            f.seq
        )),
        Status::AlreadyRecorded => out.line(format!(
            "already recorded  {path}  (entry {}, from this source)",
            r.seq
        )),
    }
}
