//! `prov timestamp`, `prov add --timestamp`, `prov timestamps` and `prov tsas add|list`:
//! RFC 3161 timestamp tokens over the latest checkpoint, obtained from timestamp
//! authorities over HTTP (RFC 3161 section 3.4: POST `application/timestamp-query`),
//! verified, and kept beside the checkpoint (`timestamps/<size>-<id>.tst`, FORMAT.md
//! section 10); and the check of a proof's token by `verify-proof --tsa-cert`.

use crate::failure::{Failure, Result};
use crate::note::Kind;
use crate::output::{Out, rfc3339};
use crate::proof::read_input;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use clap::{Args, Subcommand};
use prov_ledger::{Ledger, TokenFacts, TsaConfig};
use prov_proofs::Checkpoint;
use prov_report::escape;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Args)]
pub struct TimestampArgs {
    /// The TSA to ask: the URL its RFC 3161 requests are POSTed to
    /// [default: the TSAs of `prov tsas list`]
    #[arg(long, value_name = "URL")]
    tsa: Option<String>,
    /// The TSA's certificate (PEM or DER) its token must verify with [default: the
    /// certificate the token carries, which proves only that the token is whole]
    #[arg(long, value_name = "FILE", requires = "tsa")]
    tsa_cert: Option<PathBuf>,
}

#[derive(Args)]
pub struct TsasArgs {
    #[command(subcommand)]
    command: TsasCommand,
}

impl TsasArgs {
    /// Whether this lists the TSAs (JSON Lines), rather than adds one (one object).
    pub fn is_list(&self) -> bool {
        matches!(self.command, TsasCommand::List)
    }
}

#[derive(Subcommand)]
enum TsasCommand {
    /// Add a TSA the ledger asks for timestamps (`prov timestamp`, `add --timestamp`)
    #[command(after_help = "Example:\n  prov tsas add https://tsa.example.org/tsr --cert tsa.pem")]
    Add {
        /// The URL RFC 3161 requests are POSTed to
        url: String,
        /// The TSA's certificate (PEM or DER) its tokens must verify with
        #[arg(long, value_name = "FILE")]
        cert: Option<PathBuf>,
    },
    /// List the TSAs the ledger asks
    #[command(after_help = "Example:\n  prov tsas list --json")]
    List,
}

pub fn read_cert(path: &Path) -> Result<Vec<u8>> {
    let bytes = read_input(path, "TSA certificate")?;
    prov_ledger::parse_tsa_cert(&bytes).map_err(|e| {
        Failure::input(format!(
            "{}: {e}: give the TSA's X.509 certificate",
            path.display()
        ))
    })
}

fn cert_subject(der: &[u8]) -> String {
    prov_ledger::TokenFacts::subject_of(der).unwrap_or_default()
}

pub fn tsas(ledger: &Path, a: TsasArgs, out: Out) -> Result<()> {
    let l = Ledger::open_read_only(ledger)?;
    match a.command {
        TsasCommand::Add { url, cert } => {
            let cert = cert.as_deref().map(read_cert).transpose()?;
            let new = l.add_tsa(&url, cert.as_deref()).map_err(|e| match e {
                prov_ledger::Error::Invalid { .. } => Failure::input(e.to_string()),
                e => Failure::from(e),
            })?;
            let subject = cert.as_deref().map(cert_subject);
            if out.json {
                return out.json(&json!({"added": new, "url": url, "cert_subject": subject}));
            }
            out.human(format!(
                "{} TSA {}{}",
                if new { "added" } else { "updated" },
                escape::text(&url),
                subject
                    .map(|s| format!(" (certificate {})", escape::text(&s)))
                    .unwrap_or_else(|| {
                        " (no certificate: tokens are checked with the one they carry, and do not count as an independent bound)".into()
                    })
            ))
        }
        TsasCommand::List => {
            let list = l.tsas()?;
            for t in &list {
                let subject = t.cert.as_deref().map(cert_subject);
                if out.json {
                    out.json(&json!({"url": t.url, "cert_subject": subject, "cert": t.cert.as_ref().map(|c| STANDARD.encode(c))}))?;
                } else {
                    out.line(format!(
                        "{}  {}",
                        escape::text(&t.url),
                        subject.map_or_else(|| "(no certificate)".into(), |s| escape::text(&s))
                    ))?;
                }
            }
            if list.is_empty() {
                out.note(
                    Kind::Empty,
                    "no TSAs: add one with `prov tsas add URL --cert FILE`",
                )?;
            }
            Ok(())
        }
    }
}

/// One token as `prov timestamps --json` and `prov timestamp --json` give it.
fn token_json(size: u64, f: &TokenFacts, token: &[u8], file: &str) -> Value {
    json!({
        "size": size,
        "tsa": f.tsa,
        "gen_time": rfc3339(f.gen_time_ms),
        "policy": f.policy,
        "serial": f.serial,
        "imprint": hex::encode(f.imprint),
        "token": STANDARD.encode(token),
        "file": format!("{}/{file}", prov_ledger::TIMESTAMPS_DIR),
    })
}

pub fn timestamps(ledger: &Path, out: Out) -> Result<()> {
    let l = Ledger::open_read_only(ledger)?;
    let all = l.timestamps()?;
    for t in &all {
        if out.json {
            out.json(&token_json(t.size, &t.facts, &t.token, &t.file))?;
        } else {
            out.line(format!(
                "size {}  {}  {}  serial {}  {}/{}",
                t.size,
                rfc3339(t.facts.gen_time_ms),
                escape::text(&t.facts.tsa),
                t.facts.serial,
                prov_ledger::TIMESTAMPS_DIR,
                t.file
            ))?;
        }
    }
    if all.is_empty() {
        out.note(
            Kind::Empty,
            "no timestamps: get one with `prov timestamp --tsa URL`",
        )?;
    }
    Ok(())
}

pub fn timestamp(ledger: &Path, a: TimestampArgs, out: Out) -> Result<()> {
    let l = Ledger::open_read_only(ledger)?;
    let given = a.tsa.is_some();
    let list = match a.tsa {
        Some(url) => {
            prov_ledger::check_tsa_url(&url).map_err(|e| Failure::input(e.to_string()))?;
            let cert = a.tsa_cert.as_deref().map(read_cert).transpose()?;
            vec![TsaConfig { url, cert }]
        }
        None => l.tsas()?,
    };
    if list.is_empty() {
        return Err(Failure::usage(
            "no TSA to ask: give --tsa URL, or add one with `prov tsas add URL --cert FILE`",
        ));
    }
    stamp_latest(&l, &list, out, false)?;
    // Said once all is stored: a failure stays the one line on stderr.
    let configured = l.tsas()?;
    if let [one] = &list[..]
        && given
        && !configured
            .iter()
            .any(|c| c.cert.is_some() && c.cert == one.cert)
    {
        out.note(
            crate::note::Kind::NotTrusted,
            format!(
            "this TSA's certificate is not in tsas.json: its token is stored, but `prov check` and the clock check count it only once you list it (`prov tsas add {} --cert FILE`)",
            escape::text(&one.url)
            ),
        )?;
    }
    Ok(())
}

/// After `prov add --timestamp`'s last batch: the configured TSAs timestamp the latest
/// checkpoint.
pub fn after_add(l: &Ledger, out: Out) -> Result<()> {
    let list = l.tsas()?;
    if list.is_empty() {
        return Err(Failure::usage(
            "--timestamp: this ledger has no TSAs; the documents are recorded; add one with `prov tsas add URL --cert FILE`, then run `prov timestamp`",
        ));
    }
    stamp_latest(l, &list, out, true)
}

/// Asks each TSA for a token over the latest checkpoint and stores those that verify. After
/// an `add` (`in_add`), each result in `--json` is a note (`timestamped`) in `add`'s stream.
fn stamp_latest(l: &Ledger, list: &[TsaConfig], out: Out, in_add: bool) -> Result<()> {
    let note = l.latest_checkpoint()?;
    let cp = Checkpoint::open(note.as_bytes(), l.verifier()).map_err(|e| {
        Failure::ledger(format!(
            "the latest checkpoint does not verify: {e}: run `prov audit`"
        ))
    })?;
    let imprint = prov_ledger::checkpoint_imprint(&note)?;
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into();
    let mut failed: Option<Failure> = None;
    for t in list {
        match ask(&agent, t, &imprint) {
            Ok((token, facts)) => {
                let cert = facts.signer_cert.clone().unwrap_or_default();
                if let Err(f) = crate::cosign::not_ahead(
                    facts.gen_time_ms,
                    &format!("TSA {}", escape::text(&facts.tsa)),
                ) {
                    failed.get_or_insert(f);
                    continue;
                }
                let (file, earlier) = l.store_timestamp(cp.size, &token, &cert)?;
                let kept = earlier.map(rfc3339);
                let words = format!(
                    "timestamped: checkpoint size {} committed before {} per {}{}",
                    cp.size,
                    rfc3339(facts.gen_time_ms),
                    escape::text(&facts.tsa),
                    match &kept {
                        Some(t) =>
                            format!(" (its earlier token of {t} is kept: the earlier bound)"),
                        None => String::new(),
                    }
                );
                let mut v = token_json(cp.size, &facts, &token, &file);
                v["url"] = json!(t.url);
                v["kept_earlier"] = json!(kept);
                match (out.json, in_add) {
                    (true, false) => out.json(&v)?,
                    (true, true) => {
                        out.json(&crate::note::note_json(Kind::Timestamped, &words, v))?
                    }
                    (false, _) => out.human(words)?,
                }
            }
            // A token that does not hold (exit 1) wins over an unreachable TSA (exit 5).
            Err(f) => match &failed {
                Some(Failure { code, .. }) if *code <= f.code => {}
                _ => failed = Some(f),
            },
        }
    }
    match failed {
        Some(f) => Err(f),
        None => Ok(()),
    }
}

/// Asks one TSA for a token over `imprint`, and verifies it (with its configured
/// certificate, else the one the token carries) before it is stored.
fn ask(agent: &ureq::Agent, t: &TsaConfig, imprint: &[u8; 32]) -> Result<(Vec<u8>, TokenFacts)> {
    let url = escape::text(&t.url);
    let nonce = prov_ledger::timestamp_nonce();
    let query = prov_ledger::timestamp_request(imprint, nonce)?;
    let unreachable = |e: String| {
        Failure::environment(format!(
            "TSA {url} could not be reached: {e}: check the URL and that it runs, then run `prov timestamp` again"
        ))
    };
    let mut resp = agent
        .post(&t.url)
        .header("Content-Type", "application/timestamp-query")
        .send(&query[..])
        .map_err(|e| unreachable(e.to_string()))?;
    let status = resp.status().as_u16();
    let body = resp
        .body_mut()
        .with_config()
        .limit(prov_ledger::MAX_TOKEN_BYTES as u64)
        .read_to_vec()
        .map_err(|e| unreachable(e.to_string()))?;
    if status != 200 {
        let said = escape::text(String::from_utf8_lossy(&body[..body.len().min(200)]).trim_end());
        return Err(Failure::environment(format!(
            "TSA {url} answered {status} ({said}): check the URL, or try again later"
        )));
    }
    let token = prov_ledger::token_from_reply(&body).map_err(|e| match e {
        prov_ledger::Error::TokenRefused { .. } => Failure::negative(format!("TSA {url}: {e}")),
        e => Failure::environment(format!(
            "TSA {url} answered something that is not an RFC 3161 reply ({e}): check the URL"
        )),
    })?;
    let facts = prov_ledger::verify_token(&token, imprint, Some(nonce), t.cert.as_deref())
        .map_err(|e| {
            Failure::negative(format!(
                "TSA {url} answered a token that does not hold ({e}): nothing was stored; check its certificate"
            ))
        })?;
    Ok((token, facts))
}
