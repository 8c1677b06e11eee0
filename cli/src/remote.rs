//! `prov --server URL [--token T] add|check|show|prove`: the same commands through a ledger
//! server (`prov serve`), over HTTP(S) with ureq. `add` hashes and looks into files here;
//! with `--hash-only` it sends only each document's hash, size, name, metadata and links
//! (members with the index of their container), so the bytes never leave this machine.
//! The server's answers are the objects these commands print with `--json`; only `path` is
//! set to the local path.

use crate::check::CheckArgs;
use crate::entries::ShowArgs;
use crate::failure::{Failure, Result};
use crate::output::{Out, count};
use prov_ledger::{Skip, hash_files, walk};
use prov_report::escape;
use serde_json::Value;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// The server and the archivist's token.
pub struct Remote {
    url: String,
    token: Option<String>,
    /// One agent: its connections are kept alive and shared by the upload threads.
    agent: ureq::Agent,
}

mod add;
mod prove;
pub use add::add;
pub use prove::prove;

/// An answer: its status and body.
struct Reply {
    status: u16,
    body: Vec<u8>,
}

impl Remote {
    /// The server at `url`, writing with `token`; over HTTPS, trusting the certificates of
    /// `ca_cert` (PEM) instead of the public roots when it is given.
    pub fn new(url: String, token: Option<String>, ca_cert: Option<&Path>) -> Result<Remote> {
        let mut config = ureq::Agent::config_builder().http_status_as_error(false);
        if let Some(path) = ca_cert {
            config = config.tls_config(
                ureq::tls::TlsConfig::builder()
                    .root_certs(ureq::tls::RootCerts::new_with_certs(&ca_certs(path)?))
                    .build(),
            );
        }
        let agent = config.build().into();
        Ok(Remote { url, token, agent })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.url.trim_end_matches('/'))
    }

    fn unreachable(&self, e: ureq::Error) -> Failure {
        let hint = if e.to_string().contains("certificate") {
            "its certificate is not trusted here: if a private CA issued it, give --ca-cert CA.pem"
        } else {
            "check --server and that `prov serve` runs there"
        };
        Failure::environment(format!(
            "cannot reach the ledger server {}: {e}: {hint}",
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
        self.reply(self.agent.get(self.url(path)).call())
    }

    fn post(&self, path: &str, content_type: &str, body: &[u8]) -> Result<Reply> {
        self.post_sized(path, content_type, body, Some(body.len() as u64))
    }

    /// `post` with the body's length given (a reader's length is not known otherwise, and
    /// the body would go chunked).
    fn post_sized(
        &self,
        path: &str,
        content_type: &str,
        body: impl ureq::AsSendBody,
        len: Option<u64>,
    ) -> Result<Reply> {
        let token = self.token.as_deref().ok_or_else(|| {
            Failure::usage("recording through a server needs an archivist's token: give --token TOKEN or set PROV_TOKEN (from `prov archivist add NAME` on the server)")
        })?;
        let req = self
            .agent
            .post(self.url(path))
            .header("content-type", content_type)
            .header("authorization", format!("Bearer {}", token.trim()));
        // The server refuses a wrong token or a full queue before it reads the body, and
        // closes the connection: for a body larger than the socket takes at once, waiting for
        // its 100 (RFC 9110 section 10.1.1) lets the refusal be read rather than a broken pipe
        // from sending the body. A small body is sent at once (no round trip more).
        let req = match len {
            Some(len) if len <= EXPECT_ABOVE => req,
            _ => req.header("expect", "100-continue"),
        };
        let req = match len {
            Some(len) => req.header("content-length", len.to_string()),
            None => req,
        };
        self.reply(req.send(body))
    }
}

/// Bodies larger than this wait for the server's 100 (Continue) before they are sent.
const EXPECT_ABOVE: u64 = 64 << 10;

/// The certificates of a PEM file given with `--ca-cert` (at most 1 MiB).
fn ca_certs(path: &Path) -> Result<Vec<ureq::tls::Certificate<'static>>> {
    let what = escape::path(path);
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| std::io::Read::read_to_end(&mut std::io::Read::take(f, 1 << 20), &mut bytes))
        .map_err(|e| Failure::input(format!("cannot read --ca-cert {what}: {e}")))?;
    let mut certs = Vec::new();
    for item in ureq::tls::parse_pem(&bytes) {
        match item {
            Ok(ureq::tls::PemItem::Certificate(c)) => certs.push(c),
            Ok(_) => {}
            Err(e) => {
                return Err(Failure::input(format!(
                    "--ca-cert {what} is not PEM: {e}: give the CA's certificate (-----BEGIN CERTIFICATE-----)"
                )));
            }
        }
    }
    if certs.is_empty() {
        return Err(Failure::input(format!(
            "--ca-cert {what} holds no certificate: give the CA's certificate in PEM (-----BEGIN CERTIFICATE-----)"
        )));
    }
    Ok(certs)
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

/// A refusal of a route that names an entry (`/v1/entries/SEQ`, `/v1/proofs/SEQ`): its 404
/// is an entry the ledger does not hold, the exit code it has without a server.
fn refused_entry(r: &Reply) -> Failure {
    let f = refused(r);
    match r.status {
        404 => Failure::no_entry(f.msg),
        _ => f,
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

fn document(remote: &Remote, sha: &[u8; 32]) -> Result<Option<Value>> {
    Ok(looked_up(remote, sha)?.ok())
}

/// What the server says of a document: its `check --json` object when it is known (`Ok`),
/// or the object saying it is not (`Err`, the 404's body).
fn looked_up(remote: &Remote, sha: &[u8; 32]) -> Result<std::result::Result<Value, Value>> {
    let r = remote.get(&format!("/v1/documents/{}", hex::encode(sha)))?;
    match r.status {
        200 => Ok(Ok(lines(&r)?.pop().unwrap_or(Value::Null))),
        404 => Ok(Err(lines(&r)
            .ok()
            .and_then(|mut l| l.pop())
            .unwrap_or(Value::Null))),
        _ => Err(refused(&r)),
    }
}

pub fn check(remote: &Remote, a: CheckArgs, out: Out) -> Result<()> {
    // Each document: its label for JSON (the path's bytes), for people (escaped), and its
    // hash, as `prov check` on the ledger.
    let mut items: Vec<(Vec<u8>, String, [u8; 32])> = Vec::new();
    if let Some(hex) = &a.sha256 {
        let label = format!("sha256:{hex}");
        items.push((
            label.clone().into_bytes(),
            label,
            crate::add::sha256_arg(hex)?,
        ));
    } else {
        let walked = walk(&a.paths, a.follow_symlinks, &Skip::default())?;
        crate::output::skipped(&out, &walked.skipped)?;
        for (f, d) in walked.files.iter().zip(hash_files(&walked.files, &|_| {})) {
            let d = d.map_err(Failure::from_document)?;
            items.push((
                f.path.as_os_str().as_bytes().to_vec(),
                escape::path(&f.path),
                d.sha256,
            ));
        }
    }
    let mut unknown = 0u64;
    for (path, shown, sha) in &items {
        match looked_up(remote, sha)? {
            Ok(mut v) => {
                crate::output::set_path(&mut v, path);
                if out.json {
                    out.json(&v)?;
                    continue;
                }
                for line in prov_report::lines::check_lines(&v, shown) {
                    out.human(line)?;
                }
            }
            Err(mut v) => {
                unknown += 1;
                if out.json {
                    crate::output::set_path(&mut v, path);
                    out.json(&v)?;
                } else {
                    out.line(format!("unknown  {shown}  (sha256 {})", hex::encode(sha)))?;
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
        return Err(refused_entry(&r));
    }
    let v = lines(&r)?.pop().unwrap_or(Value::Null);
    if out.json {
        return out.json(&v);
    }
    out.line(prov_report::lines::show_text(&v))
}
