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
    let path = escape::text(v["path"].as_str().unwrap_or_default());
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
    labels: Vec<String>,
    body: usize,
    files: usize,
    bytes: u64,
}

/// A file hashed and looked into here.
struct Looked {
    /// Each document's label (the path, then `!member`) and JSON form, `within` counted
    /// from the file's own first document.
    docs: Vec<(String, Value)>,
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
                (String::from_utf8_lossy(l).into_owned(), v)
            })
            .collect();
        Ok(Looked {
            docs,
            size: f.id.size,
        })
    }

    /// Shows the answers to one request, labelled as `prov add` labels them: by the labels
    /// sent, or (bytes) the local path, then `!member`.
    fn show(&mut self, r: &Reply, labels: &[String], shown: &str, files: usize) -> Result<()> {
        if r.status != 200 {
            return Err(refused(r));
        }
        for (i, mut v) in lines(r)?.into_iter().enumerate() {
            let label = v["path"].as_str().unwrap_or_default().to_owned();
            let member = label.split_once('!').map(|(_, m)| m.to_owned());
            v["path"] = json!(match (labels.get(i), member) {
                (Some(l), _) => l.clone(),
                (None, Some(m)) => format!("{shown}!{m}"),
                (None, None) => shown.to_owned(),
            });
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
        self.show(&r, &list.labels, "", list.files)?;
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

/// The multipart body of `files` (RFC 7578), read as it is sent: one part after another,
/// each file opened only when its part is reached (so a request of 4,096 files holds one
/// open at a time) and checked against the walk as `prov add` checks it ([`SentFile`]).
/// Each part is named by its `filename` when the name is UTF-8 text that needs no quoting,
/// else by a `Prov-Name-Hex` header with its exact bytes (empty for no name).
struct Body {
    parts: std::vec::IntoIter<(Vec<u8>, WalkedFile)>,
    now: Option<(std::io::Cursor<Vec<u8>>, SentFile)>,
    end: std::io::Cursor<Vec<u8>>,
    /// Why a file could not be sent, for the caller (the request fails with its text only).
    failed: Arc<Mutex<Option<prov_ledger::Error>>>,
}

impl Body {
    /// The body, and its length (sent as `Content-Length`, so that a server refuses a body
    /// over its limit before any of it is sent).
    fn new(files: &[WalkedFile], boundary: &str) -> (Body, u64) {
        let mut len = 0u64;
        let mut parts = Vec::with_capacity(files.len());
        for (i, f) in files.iter().enumerate() {
            let mut head = if i == 0 { String::new() } else { "\r\n".into() };
            head.push_str(&format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"document\""
            ));
            let plain = |n: &str| {
                !n.is_empty() && !n.chars().any(|c| c.is_control() || c == '"' || c == '\\')
            };
            match std::str::from_utf8(&f.name) {
                Ok(name) if plain(name) => head.push_str(&format!("; filename=\"{name}\"")),
                _ => head.push_str(&format!("\r\nProv-Name-Hex: {}", hex::encode(&f.name))),
            }
            head.push_str("\r\nContent-Type: application/octet-stream\r\n\r\n");
            len += head.len() as u64 + f.id.size;
            parts.push((head.into_bytes(), f.clone()));
        }
        let end = format!("\r\n--{boundary}--\r\n").into_bytes();
        len += end.len() as u64;
        let body = Body {
            parts: parts.into_iter(),
            now: None,
            end: std::io::Cursor::new(end),
            failed: Arc::default(),
        };
        (body, len)
    }
}

impl std::io::Read for Body {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            if let Some((head, file)) = &mut self.now {
                let n = head.read(buf)?;
                if n > 0 {
                    return Ok(n);
                }
                match file.read(buf) {
                    Ok(0) => self.now = None,
                    Ok(n) => return Ok(n),
                    Err(e) => {
                        if let Some(why) = file.take_error() {
                            *self.failed.lock().unwrap_or_else(PoisonError::into_inner) = Some(why);
                        }
                        return Err(e);
                    }
                }
            } else if let Some((head, f)) = self.parts.next() {
                self.now = Some((std::io::Cursor::new(head), SentFile::new(f)));
            } else {
                return self.end.read(buf);
            }
        }
    }
}

/// Uploads the bytes of `files` as one request (one commit on the server), their common
/// fields in the query.
fn send_batch(
    remote: &Remote,
    fields: &Fields,
    extract: bool,
    files: &[WalkedFile],
    boundary: &str,
) -> Result<Reply> {
    let mut q = form_urlencoded::Serializer::new(String::new());
    q.append_pair("source", &fields.source);
    if let Some(m) = &fields.media_type {
        q.append_pair("media_type", m);
    }
    for (k, v) in &fields.metadata {
        q.append_pair("meta", &format!("{k}={v}"));
    }
    for r in &fields.related {
        q.append_pair("related", &format!("{}={}", r.relation, r.seq));
    }
    if !extract {
        q.append_pair("extract", "false");
    }
    let path = format!("/v1/documents?{}", q.finish());
    let (body, len) = Body::new(files, boundary);
    let failed = body.failed.clone();
    let sent = remote.post_sized(
        &path,
        &format!("multipart/form-data; boundary={boundary}"),
        ureq::SendBody::from_owned_reader(body),
        Some(len),
    );
    // A file that could not be sent (replaced, changed, unreadable) is the error, not the
    // broken request it left.
    match failed.lock().unwrap_or_else(PoisonError::into_inner).take() {
        Some(why) => Err(why.into()),
        None => sent,
    }
}

/// A boundary no part holds: drawn from the hashes of the documents in them when they were
/// looked into here (a file cannot hold a hash of itself), 64 random bits (std's hasher
/// keys) and the clock.
fn boundary(hashes: &HashSet<String>) -> String {
    use sha2::{Digest, Sha256};
    use std::hash::BuildHasher;
    let mut sorted: Vec<&String> = hashes.iter().collect();
    sorted.sort();
    let mut h = Sha256::new();
    for s in sorted {
        h.update(s.as_bytes());
    }
    h.update(
        std::collections::hash_map::RandomState::new()
            .hash_one(hashes.len())
            .to_le_bytes(),
    );
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    h.update(nanos.to_le_bytes());
    format!("prov-{}", hex::encode(&h.finalize()[..16]))
}

fn shown(f: &WalkedFile) -> String {
    String::from_utf8_lossy(f.path.as_os_str().as_bytes()).into_owned()
}

/// What a worker hands back: the batch's first file, its end, and the server's answer.
type Sent = (usize, usize, Result<Reply>);

impl Job<'_> {
    /// The bytes: the files in requests of at most `per_request` files and
    /// [`BYTES_PER_REQUEST`] bytes, `in_flight` requests at once.
    fn by_bytes(
        &mut self,
        files: &[WalkedFile],
        per_request: usize,
        in_flight: usize,
    ) -> Result<()> {
        let extract = self.limits.is_some();
        let (job_tx, job_rx) = std::sync::mpsc::channel::<(usize, usize, String)>();
        let job_rx = std::sync::Mutex::new(job_rx);
        let (sent_tx, sent_rx) = std::sync::mpsc::channel::<Sent>();
        let (remote, fields) = (self.remote, self.fields.clone());
        std::thread::scope(|scope| {
            for _ in 0..in_flight.max(1) {
                let (job_rx, sent_tx, fields) = (&job_rx, sent_tx.clone(), &fields);
                scope.spawn(move || {
                    loop {
                        let next = job_rx
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner)
                            .recv();
                        let Ok((start, end, b)) = next else { return };
                        let r = send_batch(remote, fields, extract, &files[start..end], &b);
                        if sent_tx.send((start, end, r)).is_err() {
                            return;
                        }
                    }
                });
            }
            drop(sent_tx);
            let result = self.dispatch(files, per_request, in_flight.max(1), &job_tx, &sent_rx);
            drop(job_tx);
            result
        })
    }

    /// The next batch from `files[next..]`: files looked into here until the request is
    /// full. A file that cannot be read ends the batch before it, and is the error once
    /// the batch is empty.
    fn batch(
        &self,
        files: &[WalkedFile],
        next: usize,
        per_request: usize,
        look: bool,
    ) -> Result<Batch> {
        let mut b = Batch {
            start: next,
            end: next,
            hashes: HashSet::new(),
        };
        let mut bytes = 0u64;
        while b.end < files.len() && b.end - b.start < per_request {
            let f = &files[b.end];
            if b.end > b.start && bytes + f.id.size > BYTES_PER_REQUEST {
                break;
            }
            // Without another request in flight to wait for, a file is only opened here.
            let looked = match look {
                true => self.look(f).map(|l| {
                    let docs = l.docs.iter();
                    b.hashes.extend(
                        docs.map(|(_, v)| v["sha256"].as_str().unwrap_or_default().to_owned()),
                    );
                }),
                false => open(f).map(drop),
            };
            match looked {
                Ok(()) => {}
                Err(e) if b.end == b.start => return Err(e),
                Err(_) => break,
            }
            bytes += f.id.size;
            b.end += 1;
        }
        Ok(b)
    }

    /// Shows one request's answers as `prov add` shows them, each labelled by the local
    /// path of the part it came from (the answer's `path` is the part's index, then
    /// `!member`).
    fn show_batch(&mut self, r: &Reply, files: &[WalkedFile]) -> Result<()> {
        if r.status != 200 {
            // One request is one commit: none of its files was recorded. Say which.
            let mut f = refused(r);
            let names: Vec<String> = files
                .iter()
                .take(3)
                .map(|f| escape::path(&f.path))
                .collect();
            let more = files.len().saturating_sub(3);
            let count = match files.len() {
                1 => "1 file".to_string(),
                n => format!("{n} files"),
            };
            let more = if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            };
            f.msg.push_str(&format!(
                " (nothing of this request was recorded, its {count}: {}{more})",
                names.join(", ")
            ));
            if r.status == 413 && files.len() > 1 {
                f.msg.push_str("; --batch 1 sends one file per request");
            }
            return Err(f);
        }
        for mut v in lines(r)? {
            let path = v["path"].as_str().unwrap_or_default().to_owned();
            let (part, member) = match path.split_once('!') {
                Some((p, m)) => (p, Some(m)),
                None => (path.as_str(), None),
            };
            let Some(f) = part.parse::<usize>().ok().and_then(|i| files.get(i)) else {
                return Err(Failure::environment(format!(
                    "the server answered for a part the request did not hold ({path:?})"
                )));
            };
            v["path"] = json!(match member {
                Some(m) => format!("{}!{m}", shown(f)),
                None => shown(f),
            });
            self.bar
                .suspend(|| show_added(&v, &self.out, self.verbose))?;
            self.answers.push(v);
        }
        self.done += files.len();
        self.bar
            .set_message(format!("{}/{} files recorded", self.done, self.files));
        self.bar.inc(files.iter().map(|f| f.id.size).sum());
        Ok(())
    }

    /// Hands batches to the workers in order, never one sharing a document with a batch in
    /// flight (so each file says what it would say one by one), and shows the answers in
    /// the order of the files. After a failure nothing more is sent; what was in flight is
    /// still shown (it is recorded), then the first failure is the result.
    fn dispatch(
        &mut self,
        files: &[WalkedFile],
        per_request: usize,
        in_flight: usize,
        jobs: &std::sync::mpsc::Sender<(usize, usize, String)>,
        sent: &std::sync::mpsc::Receiver<Sent>,
    ) -> Result<()> {
        let mut flying: BTreeMap<usize, HashSet<String>> = BTreeMap::new();
        let mut answered: BTreeMap<usize, (usize, Result<Reply>)> = BTreeMap::new();
        let mut waiting: Option<Batch> = None;
        let (mut next, mut shown_up_to) = (0usize, 0usize);
        let mut failed: Option<Failure> = None;
        // The documents of each request are needed only to hold back one that shares a
        // document with a request in flight: with one request at a time, or all the files
        // in one request, the files are not looked into here (the server does).
        let bytes: u64 = files.iter().map(|f| f.id.size).sum();
        let one_request = files.len() <= per_request && bytes <= BYTES_PER_REQUEST;
        let look = in_flight > 1 && !one_request;
        loop {
            while failed.is_none()
                && (waiting.is_some() || next < files.len())
                && flying.len() < in_flight
            {
                let b = match waiting.take() {
                    Some(b) => b,
                    None => match self.batch(files, next, per_request, look) {
                        Ok(b) => b,
                        Err(e) => {
                            failed = Some(e);
                            break;
                        }
                    },
                };
                next = b.end;
                if flying.values().any(|h| !h.is_disjoint(&b.hashes)) {
                    waiting = Some(b);
                    break;
                }
                if jobs.send((b.start, b.end, boundary(&b.hashes))).is_err() {
                    failed = Some(Failure::environment("the upload threads stopped"));
                    break;
                }
                flying.insert(b.start, b.hashes);
            }
            if flying.is_empty() {
                break;
            }
            let Ok((start, end, r)) = sent.recv() else {
                failed.get_or_insert(Failure::environment("the upload threads stopped"));
                break;
            };
            flying.remove(&start);
            answered.insert(start, (end, r));
            while let Some((end, r)) = answered.remove(&shown_up_to) {
                if let Err(e) = r.and_then(|r| self.show_batch(&r, &files[shown_up_to..end])) {
                    failed.get_or_insert(e);
                }
                shown_up_to = end;
            }
        }
        failed.map_or(Ok(()), Err)
    }
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

/// The summary line of `add` (not with `--json`, whose objects are the whole answer).
fn summary(remote: &Remote, answers: &[Value], out: Out) -> Result<()> {
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
