//! `prov add`: the arguments made into the ledger's one ingest path
//! ([`prov_ledger::Ledger::ingest`]: walk, hashing beside signing, durable batches), and each
//! result shown as its batch is recorded (by [`crate::add_report`]).

use crate::add_report::{Shown, files_bar, manifest_bar, recorded_anyway, summary_line};
use crate::failure::{Failure, Result};
use crate::fields::parse_fields;
use crate::note::Kind;
use crate::output::{Out, now_ms, rfc3339};
use clap::Args;
use prov_ledger::{
    DEFAULT_BATCH, Documents, Fields, FileDigest, Ledger, Limits, Manifest, Options, Skip,
    parse_sha256, walk,
};
use serde_json::json;
use std::path::{Path, PathBuf};

#[derive(Args)]
pub struct AddArgs {
    /// Files or folders to record (folders recursively); - reads one document from stdin
    #[arg(required_unless_present_any = ["sha256", "manifest"])]
    pub(crate) paths: Vec<PathBuf>,
    /// Where the documents came from: a URL, a mailbox, a person, a drive
    #[arg(long, short)]
    pub(crate) source: String,
    /// Who records them
    #[arg(long)]
    pub(crate) agent: Option<String>,
    /// The signing key, when it is kept outside the ledger folder (see `prov init --key-file`)
    #[arg(long, env = "PROV_KEY_FILE", value_name = "PATH")]
    key_file: Option<PathBuf>,
    #[command(flatten)]
    passphrase: crate::passphrase::PassphraseArgs,
    /// Metadata KEY=VALUE, for example a date the document claims (repeatable)
    #[arg(long = "meta", value_name = "KEY=VALUE")]
    pub(crate) meta: Vec<String>,
    /// Media type of the documents, for example application/pdf
    #[arg(long)]
    pub(crate) media_type: Option<String>,
    /// Link to an earlier entry, RELATION=SEQ, for example altered_copy_of=12 (repeatable;
    /// not contained_in or evidence, which the ledger records itself)
    #[arg(long = "related", value_name = "RELATION=SEQ")]
    pub(crate) related: Vec<String>,
    /// File name to record for stdin or --sha256 documents (files keep their own names)
    #[arg(long)]
    pub(crate) name: Option<String>,
    /// Follow symlinks inside folders
    #[arg(long, short = 'L')]
    pub(crate) follow_symlinks: bool,
    /// Record a document by its SHA-256 alone (the bytes never touch the ledger)
    #[arg(long, value_name = "HEX", requires = "size", conflicts_with_all = ["paths", "manifest"])]
    pub(crate) sha256: Option<String>,
    /// Record many documents by hash alone, in batches, from a hash list: `<sha256 hex>
    /// <size> <name>` lines, `sha256sum` output, a BagIt manifest-sha256.txt, or JSON Lines
    /// with per-document metadata (`prov help formats`); - reads it from stdin
    #[arg(long, value_name = "FILE", conflicts_with = "paths")]
    pub(crate) manifest: Option<PathBuf>,
    /// Read the manifest as this format instead of telling it from its first line (and,
    /// for bagit, its name): prov, sha256sum, bagit, jsonl
    #[arg(long, value_name = "FORMAT", requires = "manifest", value_parser = manifest_format)]
    manifest_format: Option<prov_ledger::ManifestFormat>,
    /// Size in bytes of the --sha256 document
    #[arg(long, requires = "sha256")]
    pub(crate) size: Option<u64>,
    /// When the system clock is behind the ledger's last entry (stamped by a clock that was
    /// set ahead), record new entries at that entry's time instead of refusing
    #[arg(long)]
    clamp_time: bool,
    /// Documents per commit: each batch is fsync'd, signed into a checkpoint and reported
    /// before the next is read (smaller: less to redo after a crash; larger: faster). With
    /// --server: files per request (at most 4096, in at most 16 MiB unless one file is
    /// larger); with --hash-only, documents per request (at most 4096, in at most 1 MiB of
    /// JSON). The server records each request as one commit
    #[arg(long, default_value_t = DEFAULT_BATCH as u64, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub(crate) batch: u64,
    /// With --server, without --hash-only: requests sent at once (each carries the bytes of
    /// up to --batch files; the server records those that arrive together as one commit).
    /// Results are printed in the order of the files, and two requests holding the same
    /// document are never in flight together, so each file says what it would say one by one
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u64).range(1..=64))]
    pub(crate) in_flight: u64,
    /// Also print a line for each document already recorded from this source (a re-run
    /// otherwise prints only the summary)
    #[arg(long, short)]
    pub(crate) verbose: bool,
    /// After the last batch, ask the ledger's witnesses (`prov witnesses list`) to cosign
    /// the latest checkpoint, as `prov cosign` does
    #[arg(long)]
    pub(crate) cosign: bool,
    /// After the last batch, ask the ledger's TSAs (`prov tsas list`) for RFC 3161
    /// timestamps of the latest checkpoint, as `prov timestamp` does
    #[arg(long)]
    pub(crate) timestamp: bool,
    /// With --server: send only each document's hash, size, name, metadata and links (and
    /// those of the members found in it), never its bytes
    #[arg(long)]
    pub(crate) hash_only: bool,
    /// With --hash-only: send also what each document claims about itself (its email
    /// headers, PDF and Office properties, DKIM tags, archive dates), which are read from
    /// its content and may be as sensitive; without it they stay here, and only what you
    /// give with --meta is sent
    #[arg(long, requires = "hash_only")]
    pub(crate) send_claims: bool,
    /// Do not link new documents to the earlier ones they resemble (`similar_to`; their
    /// fingerprints are still kept for `prov similar`)
    #[arg(long, help_heading = "Look-alikes")]
    pub(crate) no_similar: bool,
    /// The largest TLSH distance at which a new document is linked `similar_to` the
    /// earlier document it resembles most (FORMAT.md 6.9)
    #[arg(long, value_name = "N", default_value_t = prov_ledger::DEFAULT_THRESHOLD, value_parser = clap::value_parser!(u32).range(0..=2000), help_heading = "Look-alikes", conflicts_with = "no_similar")]
    pub(crate) similar_threshold: u32,
    /// Record only the files given: do not look inside them. Without it, archives (zip, tar,
    /// gzip, 7z), emails (their MIME parts and attachments) and mailboxes (mbox), told by their
    /// content rather than their name, are opened, and every member is recorded too, linked
    /// to what held it
    #[arg(long, help_heading = "Containers")]
    pub(crate) no_extract: bool,
    /// How deep containers are opened (a zip in a tar in a gzip is 3 deep)
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_depth, value_parser = clap::value_parser!(u32).range(1..=64), help_heading = "Containers")]
    pub(crate) max_depth: u32,
    /// Bytes hashed at most while looking into one file given (its own bytes, then each
    /// member's again, at every depth), for example 500G
    #[arg(long, value_name = "SIZE", default_value = "1T", value_parser = parse_size, help_heading = "Containers")]
    pub(crate) max_expanded: u64,
    /// A compressed member may expand to this many times its stored size (above 8 MiB);
    /// zip bombs expand a thousand times
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_ratio, value_parser = clap::value_parser!(u64).range(1..), help_heading = "Containers")]
    pub(crate) max_ratio: u64,
    /// Members recorded from one file at most, at every depth
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_members, value_parser = clap::value_parser!(u64).range(1..), help_heading = "Containers")]
    pub(crate) max_members: u64,
}

/// A size in bytes, with an optional K, M, G or T suffix (powers of 1024).
fn parse_size(s: &str) -> std::result::Result<u64, String> {
    let t = s.trim();
    let (digits, shift) = match t.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => {
            let shift = match c.to_ascii_uppercase() {
                'K' => 10,
                'M' => 20,
                'G' => 30,
                'T' => 40,
                _ => {
                    return Err(format!(
                        "'{s}' is not a size: use digits with K, M, G or T, like 500G"
                    ));
                }
            };
            (&t[..i], shift)
        }
        _ => (t, 0),
    };
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("'{s}' is not a size: use digits with K, M, G or T, like 500G"))?;
    n.checked_shl(shift)
        .filter(|v| v >> shift == n && *v > 0)
        .ok_or_else(|| format!("'{s}' is not a size between 1 byte and 16 EiB"))
}

/// The value of `--manifest-format`.
fn manifest_format(s: &str) -> std::result::Result<prov_ledger::ManifestFormat, String> {
    let names = prov_ledger::ManifestFormat::NAMES;
    names
        .iter()
        .find(|(n, _)| *n == s)
        .map(|(_, f)| *f)
        .ok_or_else(|| {
            let all: Vec<_> = names.iter().map(|(n, _)| *n).collect();
            format!(
                "'{s}' is not a manifest format: use one of {}",
                all.join(", ")
            )
        })
}

/// The value of a `--sha256` option: 64 hex digits, or one line that says so.
pub fn sha256_arg(hex: &str) -> Result<[u8; 32]> {
    parse_sha256(hex)
        .ok_or_else(|| Failure::input(format!("--sha256 '{hex}' is not 64 hex digits")))
}

pub fn add(ledger: &Path, a: AddArgs, out: Out) -> Result<()> {
    if a.hash_only {
        return Err(Failure::usage(
            "--hash-only is for recording through a server (`prov --server URL add --hash-only ...`); a local ledger never keeps the bytes anyway",
        ));
    }
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
                Manifest::from_file(file, p.display().to_string())?.located(p)?
            };
            if let Some(f) = a.manifest_format {
                m = m.with_format(f)?;
            }
            // The ledger's size now: a line's links must name entries it holds.
            let size = Ledger::open_read_only(ledger)?.size();
            m.check(&fields, size)?;
            if let Some(line) = m.names_itself() {
                out.note_with(
                    Kind::ManifestItself,
                    format!(
                        "{}:{line} names the manifest itself, which was hashed while it was being written (so the hash is of no file that exists): that line is not recorded",
                        m.shown()
                    ),
                    json!({"line": line}),
                )?;
            }
            Some(m)
        }
        None => None,
    };
    let walked = if stdin || a.sha256.is_some() || a.manifest.is_some() {
        Default::default()
    } else {
        let skip = Skip::ledger(ledger).with_key_file(a.key_file.as_deref());
        walk(&a.paths, a.follow_symlinks, &skip)?
    };
    crate::output::skipped(&out, &walked.skipped)?;
    let passphrase = a.passphrase.for_writer()?;
    let mut l = Ledger::open_writer_unlocking(ledger, a.key_file.as_deref(), &passphrase)?;
    crate::crash_point::install(&mut l);
    l.allow_clock_behind(a.clamp_time);
    let now = now_ms()?;
    const MONTH_MS: u64 = 30 * 24 * 3600 * 1000;
    if l.size() > 0 && now > l.last_time_ms().saturating_add(MONTH_MS) {
        out.note_with(
            Kind::ClockAhead,
            format!(
                "the clock reads {}, more than 30 days after the ledger's last entry ({}): if the clock is wrong, fix it before recording more, since later entries can never carry an earlier time",
                rfc3339(now),
                rfc3339(l.last_time_ms())
            ),
            json!({"clock": rfc3339(now), "last_entry_time": rfc3339(l.last_time_ms())}),
        )?;
    }
    let rebuilt_at_open = l.index_rebuilt();
    if rebuilt_at_open {
        out.note(
            Kind::IndexRebuilt,
            "the index disagreed with the signed log (after a crash, or tampered with) and has been rebuilt from it",
        )?;
    }
    crate::admin::recovery_notes(&l, out)?;
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
    let bar = match &documents {
        Documents::Files(files) => Some(files_bar(out, files.len(), walked.total_bytes())),
        Documents::Manifest(_) => Some(manifest_bar(out)),
        _ => None,
    };
    let progress = |n| {
        if let Some(bar) = &bar {
            bar.inc(n);
        }
    };
    let limits = Limits {
        max_depth: a.max_depth,
        max_total_bytes: a.max_expanded,
        max_ratio: a.max_ratio,
        max_members: a.max_members,
        ..Limits::default()
    };
    let options = Options {
        batch: usize::try_from(a.batch).unwrap_or(usize::MAX),
        clock: &prov_ledger::system_time_ms,
        progress: &progress,
        extract: (!a.no_extract).then_some(&limits),
        similar: (!a.no_similar).then_some(a.similar_threshold),
    };
    let mut shown = Shown {
        out,
        verbose: a.verbose,
        bar: bar.as_ref(),
        files: walked.files.len(),
        already: Vec::new(),
        failed: None,
        files_done: 0,
        short: (0, 0, None),
        recounted: Vec::new(),
        resembling: Vec::new(),
        resembling_total: 0,
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
    let done = summary.documents();
    let noted = |r: Result<()>| r.map_err(|f| recorded_anyway(f, done));
    if let Some((note, facts)) = shown.short_note() {
        noted(out.note_with(Kind::MembersNotRecorded, note, facts))?;
    }
    // A container recorded before, looked into again with other limits (or first added with
    // --no-extract): its entry keeps the counts of its first recording.
    for (seq, now) in &shown.recounted {
        let Ok(e) = l.entry(*seq) else { continue };
        let then = e.metadata.get("container.recorded");
        if then != Some(now) {
            noted(out.note_with(
                Kind::ContainerRecounted,
                format!(
                    "entry {seq} (a container recorded before) counts {} recorded; this add found {now}: its entry keeps the counts of its first recording, and the members found now are linked to it",
                    then.map_or("no members".into(), |n| match n.parse() {
                        Ok(n) => crate::output::count(n, "member", "members"),
                        Err(_) => format!("{n} members"),
                    })
                ),
                json!({"seq": seq, "recorded_then": then, "found_now": now}),
            ))?;
            break;
        }
    }
    if let Some(old) = l.upgraded_from() {
        noted(out.note_with(
            Kind::FormatUpgraded,
            format!(
                "the ledger was format {old} and is now format {}: each place a document is found is now recorded (the same content from one source at two paths is two entries), and files added from a folder are named by their path in it, so files recorded before under their file names alone are recorded again under their paths, once; `prov` versions before this one refuse it as newer",
                prov_ledger::FORMAT_VERSION
            ),
            json!({"from": old, "to": prov_ledger::FORMAT_VERSION}),
        ))?;
    }
    if l.index_rebuilt() && !rebuilt_at_open {
        noted(out.note(
            Kind::IndexRebuilt,
            "the index gave an answer that the signed log contradicts; it has been rebuilt from the log",
        ))?;
    }
    noted(unrecorded_fields_note(&l, &shown.already, &fields, out))?;
    noted(crate::similar::add_lines(
        &l,
        &shown.resembling,
        shown.resembling_total,
        out,
    ))?;
    out.human(summary_line(&summary, l.size()))
        .map_err(|f| recorded_anyway(f, done))?;
    if a.cosign {
        crate::cosign::after_add(&l, out)?;
    }
    if a.timestamp {
        crate::timestamp::after_add(&l, out)?;
    }
    Ok(())
}

/// Documents already recorded from this source keep the entry they have: the ledger records
/// each content, source and place once (a place is the name and containers, so a new
/// `--name` is a new record). When the fields given now (metadata, agent, media type,
/// relations) differ from an entry's, say that they were not recorded,
/// naming the first entry that keeps other ones; a re-run with the same fields says nothing.
/// Looks at the first [`crate::add_report::ALREADY_KEPT`] such documents.
fn unrecorded_fields_note(l: &Ledger, already: &[u64], fields: &Fields, out: Out) -> Result<()> {
    let given = !fields.metadata.is_empty()
        || fields.agent.is_some()
        || fields.media_type.is_some()
        || !fields.related.is_empty();
    if !given {
        // Nothing was given that could differ: no entry to read.
        return Ok(());
    }
    for seq in already {
        let Ok(e) = l.entry(*seq) else { continue };
        // A member found inside a container gets the metadata given, never the media type
        // or links (which are about the files given), and keys of its own.
        let member = e
            .related
            .iter()
            .any(|r| r.relation == prov_ledger::CONTAINED_IN);
        let mut differ = Vec::new();
        if fields
            .metadata
            .iter()
            .any(|(k, v)| e.metadata.get(k) != Some(v))
        {
            differ.push("--meta");
        }
        if fields.agent.is_some() && e.agent != fields.agent {
            differ.push("--agent");
        }
        if !member && fields.media_type.is_some() && e.content.media_type != fields.media_type {
            differ.push("--media-type");
        }
        if !member && !fields.related.iter().all(|r| e.related.contains(r)) {
            differ.push("--related");
        }
        if differ.is_empty() {
            continue;
        }
        return out.note_with(
            Kind::FieldsNotRecorded,
            format!(
                "the {} given now {} not recorded for a document already recorded from this source (entry {seq}{}): the ledger records each content, source and place once, with the fields of its first recording; `prov show {seq}` shows them",
                differ.join(", "),
                if differ.len() == 1 { "was" } else { "were" },
                if already.len() > 1 { ", and maybe others" } else { "" },
            ),
            json!({"seq": seq, "fields": differ}),
        );
    }
    Ok(())
}
