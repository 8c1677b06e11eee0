//! `prov --server URL add`: files recorded through a ledger server, with the results, JSON
//! lines and summary `prov add` prints on a local ledger.
//!
//! - `--hash-only`: each file is hashed and looked into here, and the documents of many
//!   files (each file with its members, whole) go in one JSON list per request: at most
//!   `--batch` documents, never more than the server takes ([`prov_server::MAX_LIST`]), in
//!   at most [`prov_server::MAX_JSON_BODY`] bytes. The list is recorded in its order, as one
//!   by one, so the entries and answers are the same.
//! - the bytes: many files per request, as the parts of one `multipart/form-data` body
//!   (at most `--batch` files, never more than [`prov_server::MAX_PARTS`], in at most
//!   [`BYTES_PER_REQUEST`] unless one file is larger), which the server records as one
//!   commit; `--in-flight` requests at once on as many connections. Each file is hashed and
//!   looked into here first, and a request that shares a document with one still in flight
//!   waits for it: which copy is first seen, seen again or already recorded is then what
//!   one by one says. Results are printed in the order of the files; only the entry numbers
//!   may interleave differently.

mod bytes;
mod multipart;

use super::{Remote, Reply, lines, refused};
use crate::add::AddArgs;
use crate::failure::{Failure, Result};
use crate::fields::parse_fields;
use crate::output::Out;
use indicatif::ProgressBar;
use prov_ledger::{Fields, Limits, Prepared, SentFile, Skip, WalkedFile, walk};
use prov_report::escape;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashSet};
use std::os::unix::ffi::OsStrExt;
use std::sync::{Arc, Mutex, PoisonError};

/// Room kept in a list's body for its `{"documents":[...]}` and commas.
const BODY_MARGIN: usize = 1024;

/// Prints one recorded document as `prov add` does: nothing with `-q`.
fn show_added(v: &Value, out: &Out, verbose: bool) -> Result<()> {
    if out.json {
        return out.json(v);
    }
    if out.quiet {
        return Ok(());
    }
    let path = escape::bytes(&path_bytes(v));
    let seq = &v["seq"];
    let f = &v["first_seen"];
    match v["status"].as_str() {
        Some("first_seen") => out.line(format!("first seen        {path}  (entry {seq})")),
        Some("sighting") => out.line(format!(
            "seen again        {path}  (entry {seq}; first seen {} from {}, entry {})",
            f["time"].as_str().unwrap_or_default(),
            escape::text(f["source"].as_str().unwrap_or_default()),
            f["seq"]
        )),
        _ if verbose => out.line(format!(
            "already recorded  {path}  (entry {seq}, from this source)"
        )),
        _ => Ok(()),
    }
}

/// An answer's `path` as bytes: from `path_hex` when it is not UTF-8.
fn path_bytes(v: &Value) -> Vec<u8> {
    match v["path_hex"].as_str().and_then(|h| hex::decode(h).ok()) {
        Some(bytes) => bytes,
        None => v["path"].as_str().unwrap_or_default().as_bytes().to_vec(),
    }
}

/// Labels an answer with `label` (the local path, then `!member`) as `prov add --json`
/// labels it: `path`, and `path_hex` when it is not UTF-8.
fn relabel(v: &mut Value, label: &[u8]) {
    if let Some(o) = v.as_object_mut() {
        o.remove("path_hex");
    }
    prov_report::set_path(v, label);
}

/// The JSON form of a document planned here, for `--hash-only`. What the document claims
/// about itself (its email headers, PDF and Office properties, DKIM tags: read from its
/// content) is kept back unless `claims`; a key the archivist gave with `--meta` is sent
/// with the archivist's value.
fn planned_json(
    doc: &prov_ledger::NewDocument,
    within: Option<usize>,
    claims: bool,
    given: &std::collections::BTreeMap<String, String>,
) -> Value {
    let meta: std::collections::BTreeMap<&String, &String> = doc
        .metadata
        .iter()
        .filter(|(k, _)| claims || !prov_ledger::is_claim(k))
        .chain(
            given
                .iter()
                .filter(|(k, _)| !claims && prov_ledger::is_claim(k)),
        )
        .collect();
    let mut v = json!({
        "sha256": hex::encode(doc.content.sha256),
        "size": doc.content.size,
        "source": doc.source,
        "media_type": doc.content.media_type,
        "meta": meta,
        "related": doc.related.iter().map(|r| json!({"relation": r.relation, "seq": r.seq})).collect::<Vec<_>>(),
        "within": within,
    });
    if let Some(n) = &doc.content.name {
        match std::str::from_utf8(n) {
            Ok(s) => v["name"] = json!(s),
            Err(_) => v["name_hex"] = json!(hex::encode(n)),
        }
    }
    v
}

/// What `add` needs to look into a file and show its results.
struct Job<'a> {
    remote: &'a Remote,
    fields: Fields,
    limits: Option<Limits>,
    out: Out,
    verbose: bool,
    /// `--send-claims`: send what documents claim about themselves too.
    send_claims: bool,
    bar: ProgressBar,
    files: usize,
    done: usize,
    answers: Vec<Value>,
}

/// Documents by hash waiting to be sent as one list.
#[derive(Default)]
struct List {
    docs: Vec<String>,
    labels: Vec<Vec<u8>>,
    body: usize,
    files: usize,
    bytes: u64,
}

/// A file hashed and looked into here.
struct Looked {
    /// Each document's label (the path, then `!member`) and JSON form, `within` counted
    /// from the file's own first document.
    docs: Vec<(Vec<u8>, Value)>,
    size: u64,
}

impl Job<'_> {
    fn look(&self, f: &WalkedFile) -> Result<Looked> {
        let label = f.path.as_os_str().as_bytes().to_vec();
        let p = Prepared::from_walked(f, label, &self.fields, self.limits.as_ref())?;
        let docs = p
            .planned()
            .map(|(l, d, c)| {
                let v = planned_json(d, c, self.send_claims, &self.fields.metadata);
                (l.to_vec(), v)
            })
            .collect();
        Ok(Looked {
            docs,
            size: f.id.size,
        })
    }

    /// Shows the answers to one list, labelled as `prov add` labels them: by the labels
    /// sent, one per document.
    fn show(&mut self, r: &Reply, labels: &[Vec<u8>], files: usize) -> Result<()> {
        if r.status != 200 {
            return Err(refused(r));
        }
        let answers = lines(r)?;
        if answers.len() != labels.len() {
            return Err(Failure::environment(format!(
                "the server answered for {} documents where the request held {}",
                answers.len(),
                labels.len()
            )));
        }
        for (mut v, label) in answers.into_iter().zip(labels) {
            relabel(&mut v, label);
            self.bar
                .suspend(|| show_added(&v, &self.out, self.verbose))?;
            self.answers.push(v);
        }
        self.done += files;
        self.bar
            .set_message(format!("{}/{} files recorded", self.done, self.files));
        Ok(())
    }

    /// `--hash-only`: the files' documents in lists of at most `per_request`, each file
    /// whole in one list (a file with more documents than that goes alone).
    fn by_hash(&mut self, files: &[WalkedFile], per_request: usize) -> Result<()> {
        let max_body = prov_server::MAX_JSON_BODY - BODY_MARGIN;
        let mut list = List::default();
        for f in files {
            // A file that cannot be read stops the add, as one by one: what was looked at
            // before it is sent first.
            let looked = match self.look(f) {
                Ok(l) => l,
                Err(e) => {
                    if list.files > 0 {
                        self.send_list(list)?;
                    }
                    return Err(e);
                }
            };
            let size: usize = looked
                .docs
                .iter()
                .map(|(_, v)| v.to_string().len() + 1)
                .sum();
            if list.files > 0
                && (list.docs.len() + looked.docs.len() > per_request
                    || list.body + size > max_body)
            {
                self.send_list(std::mem::take(&mut list))?;
            }
            let base = list.docs.len();
            for (label, mut v) in looked.docs {
                if let Some(w) = v["within"].as_u64() {
                    v["within"] = json!(w as usize + base);
                }
                list.labels.push(label);
                list.docs.push(v.to_string());
            }
            list.body += size;
            list.files += 1;
            list.bytes += looked.size;
        }
        if list.files > 0 {
            self.send_list(list)?;
        }
        Ok(())
    }

    fn send_list(&mut self, list: List) -> Result<()> {
        let body = format!("{{\"documents\":[{}]}}", list.docs.join(","));
        let r = self
            .remote
            .post("/v1/documents", "application/json", body.as_bytes())?;
        self.show(&r, &list.labels, list.files)?;
        self.bar.inc(list.bytes);
        Ok(())
    }
}

fn open(f: &WalkedFile) -> Result<std::fs::File> {
    std::fs::File::open(&f.path)
        .map_err(|e| Failure::input(format!("cannot read {}: {e}", escape::path(&f.path))))
}

/// The most bytes of files one request carries (a larger file goes alone).
const BYTES_PER_REQUEST: u64 = 16 << 20;

/// Consecutive files sent as one request, and the documents found in them here.
struct Batch {
    start: usize,
    end: usize,
    hashes: HashSet<String>,
}

pub fn add(remote: &Remote, a: AddArgs, out: Out) -> Result<()> {
    if a.agent.is_some() {
        return Err(Failure::usage(
            "--agent is not taken with --server: the server records the archivist whose token it is",
        ));
    }
    if a.no_similar || a.similar_threshold != prov_ledger::DEFAULT_THRESHOLD {
        return Err(Failure::usage(
            "--no-similar and --similar-threshold work on a local ledger only: the server links look-alikes at its own threshold (40)",
        ));
    }
    if a.manifest.is_some() || a.cosign || a.timestamp {
        return Err(Failure::usage(
            "--manifest, --cosign and --timestamp work on a local ledger only; through a server give files or --sha256",
        ));
    }
    let (metadata, related) = parse_fields(&a.meta, &a.related)?;
    let fields = Fields {
        source: a.source.clone(),
        agent: None,
        media_type: a.media_type.clone(),
        metadata,
        related,
    };
    if let Some(hex) = &a.sha256 {
        let sha256 = crate::add::sha256_arg(hex)?;
        let digest = prov_ledger::FileDigest {
            sha256,
            size: a.size.unwrap_or_default(),
        };
        let doc = fields.document(a.name.clone().map(String::into_bytes), digest);
        let body = planned_json(&doc, None, true, &fields.metadata).to_string();
        let r = remote.post("/v1/documents", "application/json", body.as_bytes())?;
        if r.status != 200 {
            return Err(refused(&r));
        }
        let answers = lines(&r)?;
        for v in &answers {
            show_added(v, &out, a.verbose)?;
        }
        return summary(remote, &answers, out);
    }
    let walked = walk(&a.paths, a.follow_symlinks, &Skip::default())?;
    crate::output::skipped(&out, &walked.skipped)?;
    let limits = Limits {
        max_depth: a.max_depth,
        max_total_bytes: a.max_expanded,
        max_ratio: a.max_ratio,
        max_members: a.max_members,
        ..Limits::default()
    };
    let bar = crate::add_report::files_bar(out, walked.files.len(), walked.total_bytes());
    let mut job = Job {
        remote,
        fields,
        limits: (!a.no_extract).then_some(limits),
        out,
        verbose: a.verbose,
        send_claims: a.send_claims,
        bar,
        files: walked.files.len(),
        done: 0,
        answers: Vec::new(),
    };
    let per_request = usize::try_from(a.batch).unwrap_or(usize::MAX);
    let result = if a.hash_only {
        job.by_hash(&walked.files, per_request.min(prov_server::MAX_LIST))
    } else {
        let in_flight = usize::try_from(a.in_flight).unwrap_or(1);
        job.by_bytes(
            &walked.files,
            per_request.min(prov_server::MAX_PARTS),
            in_flight,
        )
    };
    job.bar.finish_and_clear();
    result?;
    summary(remote, &job.answers, out)
}

/// The summary line of `add` (not with `--json`, whose objects are the whole answer), and
/// the note on members not recorded, as `prov add` prints them.
fn summary(remote: &Remote, answers: &[Value], out: Out) -> Result<()> {
    let (mut containers, mut members, mut first) = (0, 0, None);
    for v in answers {
        let missing = v["members_not_recorded"].as_u64().unwrap_or_default();
        if missing > 0 && v["status"] != "already_recorded" {
            (containers, members) = (containers + 1, members + missing);
            first = first.or(v["seq"].as_u64());
        }
    }
    if let Some(first) = first {
        let (note, facts) = crate::add_report::members_note(containers, members, first);
        out.note_with(crate::note::Kind::MembersNotRecorded, note, facts)?;
    }
    if out.json || out.quiet {
        return Ok(());
    }
    let n = |s: &str| answers.iter().filter(|v| v["status"] == s).count() as u64;
    let size = remote
        .get("/checkpoint")
        .ok()
        .and_then(|r| {
            String::from_utf8_lossy(&r.body)
                .lines()
                .nth(1)
                .and_then(|l| l.parse::<u64>().ok())
        })
        .unwrap_or_default();
    let s = prov_ledger::Summary {
        first_seen: n("first_seen"),
        sightings: n("sighting"),
        already_recorded: n("already_recorded"),
        stopped: false,
    };
    out.human(crate::add_report::summary_line(&s, size))
}
