//! `prov --server URL [--token T] add|check|show|prove`: the same commands through a ledger
//! server (`prov serve`), over HTTP(S) with ureq. `add` hashes and looks into files here;
//! with `--hash-only` it sends only each document's hash, size, name, metadata and links
//! (members with the index of their container), so the bytes never leave this machine.
//! The server's answers are the objects these commands print with `--json`; only `path` is
//! set to the local path.

use crate::add::AddArgs;
use crate::check::CheckArgs;
use crate::entries::ShowArgs;
use crate::failure::{Failure, Result};
use crate::fields::parse_fields;
use crate::output::{Out, count};
use crate::proof::ProveArgs;
use prov_ledger::{Fields, Limits, Prepared, Skip, hash_files, walk};
use prov_report::escape;
use serde_json::{Value, json};
use std::os::unix::ffi::OsStrExt;

/// The server and the archivist's token.
pub struct Remote {
    pub url: String,
    pub token: Option<String>,
}

/// An answer: its status and body.
struct Reply {
    status: u16,
    body: Vec<u8>,
}

impl Remote {
    fn agent() -> ureq::Agent {
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into()
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.url.trim_end_matches('/'))
    }

    fn unreachable(&self, e: ureq::Error) -> Failure {
        Failure::environment(format!(
            "cannot reach the ledger server {}: {e}: check --server and that `prov serve` runs there",
            self.url
        ))
    }

    fn reply(
        &self,
        r: std::result::Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> Result<Reply> {
        let mut r = r.map_err(|e| self.unreachable(e))?;
        let status = r.status().as_u16();
        let body = r
            .body_mut()
            .with_config()
            .limit(64 << 20)
            .read_to_vec()
            .map_err(|e| self.unreachable(e))?;
        Ok(Reply { status, body })
    }

    fn get(&self, path: &str) -> Result<Reply> {
        self.reply(Self::agent().get(self.url(path)).call())
    }

    fn post(&self, path: &str, content_type: &str, body: impl ureq::AsSendBody) -> Result<Reply> {
        let token = self.token.as_deref().ok_or_else(|| {
            Failure::usage("recording through a server needs an archivist's token: give --token TOKEN or set PROV_TOKEN (from `prov archivist add NAME` on the server)")
        })?;
        let req = Self::agent()
            .post(self.url(path))
            .header("content-type", content_type)
            .header("authorization", format!("Bearer {}", token.trim()));
        self.reply(req.send(body))
    }
}

/// A refusal from the server as a failure with its exit code: what the client sent (3), a
/// token refused (3), the server's state (5).
fn refused(r: &Reply) -> Failure {
    let v: Value = serde_json::from_slice(&r.body).unwrap_or(Value::Null);
    let msg = match (v["error"].as_str(), v["hint"].as_str()) {
        (Some(e), Some(h)) => format!("the server refused ({}): {e}: {h}", r.status),
        _ => format!(
            "the server answered {}: {}",
            r.status,
            String::from_utf8_lossy(&r.body).trim()
        ),
    };
    match r.status {
        500.. | 408 => Failure::environment(msg),
        404 => Failure::negative(msg),
        _ => Failure::input(msg),
    }
}

fn lines(r: &Reply) -> Result<Vec<Value>> {
    String::from_utf8_lossy(&r.body)
        .lines()
        .map(|l| {
            serde_json::from_str(l)
                .map_err(|e| Failure::environment(format!("the server's answer is not JSON: {e}")))
        })
        .collect()
}

/// Prints one recorded document as `prov add` does.
fn show_added(v: &Value, out: &Out, verbose: bool) -> Result<()> {
    if out.json {
        return out.json(v);
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

/// The JSON form of a document planned here, for `--hash-only`.
fn planned_json(doc: &prov_ledger::NewDocument, within: Option<usize>) -> Value {
    let mut v = json!({
        "sha256": hex::encode(doc.content.sha256),
        "size": doc.content.size,
        "source": doc.source,
        "media_type": doc.content.media_type,
        "meta": doc.metadata,
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

pub fn add(remote: &Remote, a: AddArgs, out: Out) -> Result<()> {
    let hash_only = a.hash_only;
    if a.agent.is_some() {
        return Err(Failure::usage(
            "--agent is not taken with --server: the server records the archivist whose token it is",
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
    let mut answers: Vec<Value> = Vec::new();
    if let Some(hex) = &a.sha256 {
        let sha256 = crate::add::sha256_arg(hex)?;
        let digest = prov_ledger::FileDigest {
            sha256,
            size: a.size.unwrap_or_default(),
        };
        let mut doc = fields.document(a.name.clone().map(String::into_bytes), digest);
        doc.agent = None;
        let body = planned_json(&doc, None).to_string();
        let r = remote.post("/v1/documents", "application/json", body.as_bytes())?;
        if r.status != 200 {
            return Err(refused(&r));
        }
        answers.extend(lines(&r)?);
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
    for f in &walked.files {
        let label = f.path.as_os_str().as_bytes().to_vec();
        let shown = String::from_utf8_lossy(&label).into_owned();
        let mut file = std::fs::File::open(&f.path)
            .map_err(|e| Failure::input(format!("cannot read {}: {e}", escape::path(&f.path))))?;
        let mut labels: Vec<String> = Vec::new();
        let r = if hash_only {
            let p = Prepared::from_stream(
                &mut file,
                &shown,
                label.clone(),
                (!f.name.is_empty()).then(|| f.name.clone()),
                &fields,
                (!a.no_extract).then_some(&limits),
            )?;
            let docs: Vec<Value> = p.planned().map(|(_, d, c)| planned_json(d, c)).collect();
            labels = p
                .planned()
                .map(|(l, _, _)| String::from_utf8_lossy(l).into_owned())
                .collect();
            let body = json!({"documents": docs}).to_string();
            remote.post("/v1/documents", "application/json", body.as_bytes())?
        } else {
            let mut q = form_urlencoded::Serializer::new(String::new());
            q.append_pair("source", &fields.source);
            if !f.name.is_empty() {
                q.append_pair("name", &String::from_utf8_lossy(&f.name));
            }
            if let Some(m) = &fields.media_type {
                q.append_pair("media_type", m);
            }
            for (k, v) in &fields.metadata {
                q.append_pair("meta", &format!("{k}={v}"));
            }
            for r in &fields.related {
                q.append_pair("related", &format!("{}={}", r.relation, r.seq));
            }
            if a.no_extract {
                q.append_pair("extract", "false");
            }
            let path = format!("/v1/documents?{}", q.finish());
            remote.post(&path, "application/octet-stream", &file)?
        };
        if r.status != 200 {
            return Err(refused(&r));
        }
        for (i, mut v) in lines(&r)?.into_iter().enumerate() {
            // Labelled as `prov add` labels them: the local path, then `!member`.
            let label = v["path"].as_str().unwrap_or_default().to_owned();
            let member = label.split_once('!').map(|(_, m)| m.to_owned());
            v["path"] = json!(match (labels.get(i), member) {
                (Some(l), _) => l.clone(),
                (None, Some(m)) => format!("{shown}!{m}"),
                (None, None) => shown.clone(),
            });
            show_added(&v, &out, a.verbose)?;
            answers.push(v);
        }
    }
    summary(remote, &answers, out)
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

fn document(remote: &Remote, sha: &[u8; 32]) -> Result<Option<Value>> {
    let r = remote.get(&format!("/v1/documents/{}", hex::encode(sha)))?;
    match r.status {
        200 => Ok(lines(&r)?.pop()),
        404 => Ok(None),
        _ => Err(refused(&r)),
    }
}

pub fn check(remote: &Remote, a: CheckArgs, out: Out) -> Result<()> {
    let mut items: Vec<(String, [u8; 32])> = Vec::new();
    if let Some(hex) = &a.sha256 {
        items.push((format!("sha256:{hex}"), crate::add::sha256_arg(hex)?));
    } else {
        let walked = walk(&a.paths, a.follow_symlinks, &Skip::default())?;
        crate::output::skipped(&out, &walked.skipped)?;
        for (f, d) in walked.files.iter().zip(hash_files(&walked.files, &|_| {})) {
            let d = d.map_err(Failure::from_document)?;
            items.push((
                String::from_utf8_lossy(f.path.as_os_str().as_bytes()).into_owned(),
                d.sha256,
            ));
        }
    }
    let mut unknown = 0u64;
    for (path, sha) in &items {
        match document(remote, sha)? {
            Some(mut v) => {
                v["path"] = json!(path);
                if out.json {
                    out.json(&v)?;
                    continue;
                }
                let f = &v["first_seen"];
                out.human(format!(
                    "known    {}  first seen {} from {} (entry {})",
                    escape::text(path),
                    f["time"].as_str().unwrap_or_default(),
                    escape::text(f["source"].as_str().unwrap_or_default()),
                    f["seq"]
                ))?;
                for s in v["sightings"].as_array().into_iter().flatten() {
                    out.human(format!(
                        "         seen again {} from {} (entry {})",
                        s["time"].as_str().unwrap_or_default(),
                        escape::text(s["source"].as_str().unwrap_or_default()),
                        s["seq"]
                    ))?;
                }
            }
            None => {
                unknown += 1;
                if out.json {
                    let r = remote.get(&format!("/v1/documents/{}", hex::encode(sha)))?;
                    let mut v = lines(&r)?.pop().unwrap_or(Value::Null);
                    v["path"] = json!(path);
                    out.json(&v)?;
                } else {
                    out.line(format!(
                        "unknown  {}  (sha256 {})",
                        escape::text(path),
                        hex::encode(sha)
                    ))?;
                }
            }
        }
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

pub fn show(remote: &Remote, a: ShowArgs, out: Out) -> Result<()> {
    let seq: u64 = a.target.parse().map_err(|_| {
        Failure::usage("through a server, `show` takes an entry number (`prov --server URL check --sha256 HEX` finds a document's entries)")
    })?;
    let r = remote.get(&format!("/v1/entries/{seq}"))?;
    if r.status != 200 {
        return Err(refused(&r));
    }
    let v = lines(&r)?.pop().unwrap_or(Value::Null);
    if out.json {
        return out.json(&v);
    }
    let mut s = format!("entry {seq}\n");
    for k in [
        "kind",
        "time",
        "sha256",
        "size",
        "source",
        "name",
        "media_type",
        "agent",
    ] {
        match &v[k] {
            Value::Null => {}
            Value::String(t) => s += &format!("  {k:<11} {}\n", escape::text(t)),
            other => s += &format!("  {k:<11} {other}\n"),
        }
    }
    for (k, m) in v["metadata"].as_object().into_iter().flatten() {
        s += &format!(
            "  meta        {}={}\n",
            escape::text(k),
            escape::text(m.as_str().unwrap_or_default())
        );
    }
    s += &format!(
        "  leaf hash   {}",
        v["leaf_hash"].as_str().unwrap_or_default()
    );
    out.line(s)
}

pub fn prove(remote: &Remote, a: ProveArgs, out: Out) -> Result<()> {
    if a.at.is_some() {
        return Err(Failure::usage(
            "--at works on a local ledger only: a server proves against its latest checkpoint",
        ));
    }
    let seq = match a.target.parse::<u64>() {
        Ok(seq) => seq,
        Err(_) => {
            let sha = match prov_ledger::parse_sha256(&a.target) {
                Some(sha) => sha,
                None => {
                    let path = std::path::Path::new(&a.target);
                    prov_ledger::hash_file(path, &|_| {})
                        .map_err(Failure::from_document)?
                        .sha256
                }
            };
            let v = document(remote, &sha)?.ok_or_else(|| {
                Failure::negative(format!("{} is not in this ledger", escape::text(&a.target)))
            })?;
            v["first_seen"]["seq"].as_u64().unwrap_or_default()
        }
    };
    let r = remote.get(&format!("/v1/proofs/{seq}"))?;
    if r.status != 200 {
        return Err(refused(&r));
    }
    let text = String::from_utf8_lossy(&r.body).into_owned();
    match &a.output {
        Some(path) => {
            std::fs::write(path, &text)
                .map_err(|e| Failure::input(format!("cannot write {}: {e}", path.display())))?;
            out.note(
                crate::note::Kind::Wrote,
                format!("wrote the proof of entry {seq} to {}", path.display()),
            )?;
            Ok(())
        }
        None => out.raw(&text),
    }
}
