//! `prov cosign`, `prov add --cosign` and `prov witnesses add|list`: the ledger asks its
//! witnesses (C2SP tlog-witness `add-checkpoint`) to cosign its latest checkpoint, and keeps
//! their cosignatures beside it (`cosignatures/<size>`, FORMAT.md section 9).
//!
//! Each witness is first sent the checkpoint from old size 0; a witness that has cosigned
//! before answers 409 with the size it holds, and is then sent the consistency proof from
//! that size. A witness that refuses the proof (403 or 422: the history it cosigned is not
//! this ledger's) is an alarm, never a warning: exit 1 with its answer.

use crate::failure::{Failure, Result};
use crate::note::Kind;
use crate::output::{Out, rfc3339};
use crate::proof::read_input;
use clap::{Args, Subcommand};
use prov_ledger::{Ledger, WitnessConfig};
use prov_proofs::{
    Checkpoint, ConsistencyBundle, ConsistencyProof, CosignerVerifier, Note, NoteSignature,
};
use prov_report::escape;
use serde_json::json;
use std::path::Path;
use std::time::Duration;

#[derive(Args)]
pub struct CosignArgs {
    /// A witness to ask, URL=VKEY: its submission prefix and verifier key (repeatable)
    /// [default: the witnesses of `prov witnesses list`]
    #[arg(long = "witness", value_name = "URL=VKEY")]
    witnesses: Vec<String>,
}

#[derive(Args)]
pub struct WitnessesArgs {
    #[command(subcommand)]
    command: WitnessesCommand,
}

impl WitnessesArgs {
    /// Whether this lists the witnesses (JSON Lines), rather than adds one (one object).
    pub fn is_list(&self) -> bool {
        matches!(self.command, WitnessesCommand::List)
    }
}

#[derive(Subcommand)]
enum WitnessesCommand {
    /// Add a witness the ledger asks for cosignatures (`prov cosign`, `add --cosign`)
    #[command(
        after_help = "Example:\n  prov witnesses add https://witness.example.org \"$(cat witness.vkey)\""
    )]
    Add {
        /// The witness's submission prefix (POST URL/add-checkpoint)
        url: String,
        /// The witness's verifier key, as `prov witness init` printed it, or a file holding it
        vkey: String,
    },
    /// List the witnesses the ledger asks
    #[command(after_help = "Example:\n  prov witnesses list --json")]
    List,
}

/// The answer of one witness that cosigned.
struct Cosigned {
    url: String,
    line: NoteSignature,
    key: CosignerVerifier,
    timestamp: u64,
}

fn parse_vkey(arg: &str) -> Result<CosignerVerifier> {
    if let Ok(v) = CosignerVerifier::parse(arg.trim()) {
        return Ok(v);
    }
    let path = Path::new(arg);
    let text = if path.is_file() {
        String::from_utf8_lossy(&read_input(path, "witness key")?)
            .trim()
            .to_owned()
    } else {
        arg.trim().to_owned()
    };
    CosignerVerifier::parse(&text).map_err(|e| {
        Failure::input(format!(
            "{e}: give the witness's verifier key (the line `prov witness init` printed)"
        ))
    })
}

pub fn witnesses(ledger: &Path, a: WitnessesArgs, out: Out) -> Result<()> {
    let l = Ledger::open_read_only(ledger)?;
    match a.command {
        WitnessesCommand::Add { url, vkey } => {
            let v = parse_vkey(&vkey)?;
            let new = l.add_witness(&url, &v).map_err(|e| match e {
                prov_ledger::Error::Invalid { .. } => Failure::input(e.to_string()),
                e => Failure::from(e),
            })?;
            if out.json {
                return out
                    .json(&json!({"added": new, "url": url, "name": v.name, "vkey": v.to_vkey()}));
            }
            out.human(format!(
                "{} witness {} at {}",
                if new { "added" } else { "updated the URL of" },
                escape::text(&v.name),
                escape::text(&url)
            ))
        }
        WitnessesCommand::List => {
            let list = l.witnesses()?;
            for w in &list {
                if out.json {
                    out.json(&json!({"name": w.verifier.name, "url": w.url, "vkey": w.verifier.to_vkey()}))?;
                } else {
                    out.line(format!(
                        "{}  {}  {}",
                        escape::text(&w.verifier.name),
                        escape::text(&w.url),
                        w.verifier.to_vkey()
                    ))?;
                }
            }
            if list.is_empty() {
                out.note(
                    Kind::Empty,
                    "no witnesses: add one with `prov witnesses add URL VKEY`",
                )?;
            }
            Ok(())
        }
    }
}

fn parse_witness_arg(arg: &str) -> Result<WitnessConfig> {
    let (url, vkey) = arg.split_once('=').ok_or_else(|| {
        Failure::usage(format!(
            "--witness {}: expected URL=VKEY",
            escape::text(arg)
        ))
    })?;
    prov_ledger::check_witness_url(url).map_err(|e| Failure::input(e.to_string()))?;
    Ok(WitnessConfig {
        url: url.to_owned(),
        verifier: parse_vkey(vkey)?,
    })
}

pub fn cosign(ledger: &Path, a: CosignArgs, out: Out) -> Result<()> {
    let l = Ledger::open_read_only(ledger)?;
    let list = if a.witnesses.is_empty() {
        l.witnesses()?
    } else {
        a.witnesses
            .iter()
            .map(|w| parse_witness_arg(w))
            .collect::<Result<_>>()?
    };
    if list.is_empty() {
        return Err(Failure::usage(
            "no witnesses to ask: give --witness URL=VKEY, or add them with `prov witnesses add URL VKEY`",
        ));
    }
    cosign_latest(&l, &list, out, false)?;
    // Said once all is stored: a failure stays the one line on stderr.
    let configured = l.witnesses()?;
    for w in &list {
        if !configured.iter().any(|c| c.verifier == w.verifier) {
            out.note(
                crate::note::Kind::NotTrusted,
                format!(
                "witness {} is not in witnesses.json: its cosignature is stored, but `prov check`, the clock check and the checkpoints `prove` and `checkpoint` print count it only once you list it (`prov witnesses add {} VKEY`)",
                escape::text(&w.verifier.name),
                escape::text(&w.url)
            ),
            )?;
        }
    }
    Ok(())
}

/// After `prov add --cosign`'s last batch: the configured witnesses cosign the latest
/// checkpoint.
pub fn after_add(l: &Ledger, out: Out) -> Result<()> {
    let list = l.witnesses()?;
    if list.is_empty() {
        return Err(Failure::usage(
            "--cosign: this ledger has no witnesses; the documents are recorded; add witnesses with `prov witnesses add URL VKEY`, then run `prov cosign`",
        ));
    }
    cosign_latest(l, &list, out, true)
}

/// Asks each witness to cosign the latest checkpoint and stores what they sign. After an
/// `add` (`in_add`), each result in `--json` is a note (`cosigned`) in `add`'s stream of
/// documents, so that a script tells it from a document's record.
fn cosign_latest(l: &Ledger, list: &[WitnessConfig], out: Out, in_add: bool) -> Result<()> {
    let note = l.latest_checkpoint()?;
    let cp = Checkpoint::open(note.as_bytes(), l.verifier()).map_err(|e| {
        Failure::ledger(format!(
            "the latest checkpoint does not verify: {e}: run `prov audit`"
        ))
    })?;
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into();
    let mut done = Vec::new();
    let mut failed = None;
    for w in list {
        match ask(l, &agent, &note, &cp, w) {
            Ok(c) => done.push(c),
            // An alarm (exit 1) wins over an unreachable witness (exit 5).
            Err(f) => match &failed {
                Some(Failure { code, .. }) if *code <= f.code => {}
                _ => failed = Some(f),
            },
        }
    }
    let lines: Vec<(NoteSignature, CosignerVerifier)> = done
        .iter()
        .map(|c| (c.line.clone(), c.key.clone()))
        .collect();
    let kept = match lines.is_empty() {
        true => Vec::new(),
        false => l.store_cosignatures(cp.size, &lines)?,
    };
    for (c, earlier) in done.iter().zip(kept) {
        let kept_text = earlier.map(|t| rfc3339(t.saturating_mul(1000)));
        let words = format!(
            "cosigned: checkpoint size {} by {} at {}{}",
            cp.size,
            escape::text(&c.line.name),
            rfc3339(c.timestamp.saturating_mul(1000)),
            match &kept_text {
                Some(t) => format!(" (its earlier cosignature of {t} is kept: the earlier bound)"),
                None => String::new(),
            }
        );
        let v = json!({
            "size": cp.size,
            "witness": c.line.name,
            "url": c.url,
            "time": rfc3339(c.timestamp.saturating_mul(1000)),
            "timestamp": c.timestamp,
            "kept_earlier": kept_text,
        });
        match (out.json, in_add) {
            (true, false) => out.json(&v)?,
            (true, true) => out.json(&crate::note::note_json(Kind::Cosigned, &words, v))?,
            (false, _) => out.human(words)?,
        }
    }
    match failed {
        Some(f) => Err(f),
        None => Ok(()),
    }
}

/// Asks one witness, from old size 0, then from the size its 409 names.
fn ask(
    l: &Ledger,
    agent: &ureq::Agent,
    note: &str,
    cp: &Checkpoint,
    w: &WitnessConfig,
) -> Result<Cosigned> {
    let name = escape::text(&w.verifier.name);
    let url = format!("{}/add-checkpoint", w.url);
    let mut old = 0u64;
    for _ in 0..3 {
        let body = if old == 0 {
            ConsistencyBundle {
                old_size: 0,
                proof: ConsistencyProof::default(),
                checkpoint: note.to_owned(),
            }
        } else {
            l.consistency(old, Some(cp.size))?
        };
        let (status, text) = post(agent, &url, body.to_text())
            .map_err(|e| Failure::environment(format!("witness {name} at {url} could not be reached: {e}: check the URL and that it runs, then run `prov cosign` again")))?;
        let said = escape::text(text.trim_end());
        match status {
            200 => return verified(note, w, &text),
            409 => {
                let held = text
                    .strip_suffix('\n')
                    .and_then(|t| t.parse::<u64>().ok())
                    .ok_or_else(|| {
                        Failure::environment(format!(
                            "witness {name} answered 409 without a size ({said})"
                        ))
                    })?;
                if held > cp.size {
                    return Err(Failure::negative(format!(
                        "ALARM: witness {name} has cosigned a checkpoint of size {held} of this ledger, larger than its latest ({}): this ledger lost entries or another ledger signs with its key; stop appending and investigate",
                        cp.size
                    )));
                }
                if held == old {
                    break;
                }
                old = held;
            }
            403 => {
                return Err(Failure::negative(format!(
                    "ALARM: witness {name} refused checkpoint size {} ({status}: {said}): it trusts another key for this ledger's origin: it was given a wrong key, or another ledger signs as this one; check with its operator",
                    cp.size
                )));
            }
            422 => {
                return Err(Failure::negative(format!(
                    "ALARM: witness {name} refused checkpoint size {} ({status}: {said}): the history it cosigned is not this ledger's (a fork, or a rewritten log); stop appending and investigate",
                    cp.size
                )));
            }
            404 => {
                return Err(Failure::negative(format!(
                    "witness {name} does not witness this ledger ({}): give its operator the key `prov key` prints",
                    escape::text(&cp.origin)
                )));
            }
            _ => {
                return Err(Failure::environment(format!(
                    "witness {name} answered {status} ({said}): try again later"
                )));
            }
        }
    }
    Err(Failure::environment(format!(
        "witness {name} kept answering 409 (another client is moving it on): run `prov cosign` again"
    )))
}

fn post(
    agent: &ureq::Agent,
    url: &str,
    body: String,
) -> std::result::Result<(u16, String), ureq::Error> {
    let mut resp = agent
        .post(url)
        .header("Content-Type", "text/plain; charset=utf-8")
        .send(body.as_bytes())?;
    let status = resp.status().as_u16();
    let text = resp
        .body_mut()
        .with_config()
        .limit(64 << 10)
        .read_to_string()?;
    Ok((status, text))
}

/// The witness's cosignature from its 200 answer, verified over the checkpoint; lines by
/// other keys are ignored (tlog-witness: "The client MUST ignore any cosignatures from
/// unknown keys").
fn verified(note: &str, w: &WitnessConfig, answer: &str) -> Result<Cosigned> {
    let name = escape::text(&w.verifier.name);
    let bad = |why: String| {
        Failure::negative(format!(
            "witness {name} answered a cosignature that {why}: check its key"
        ))
    };
    // The answer is signature lines alone, each verified over the checkpoint's own text:
    // an answer that added a blank line could otherwise move the text a line is checked over.
    let lines = prov_proofs::parse_signature_lines(answer)
        .map_err(|e| bad(format!("does not parse as signature lines ({e})")))?;
    let text = Note::parse(note.as_bytes())
        .map_err(|e| Failure::ledger(format!("the latest checkpoint does not parse: {e}")))?
        .text;
    let line = lines
        .iter()
        .find(|s| w.verifier.names(s))
        .ok_or_else(|| bad("is not by the key given for it".into()))?;
    let c = w
        .verifier
        .verify(&text, line)
        .map_err(|e| bad(format!("does not verify ({e})")))?;
    if c.timestamp == 0 {
        return Err(bad("has no timestamp".into()));
    }
    not_ahead(c.timestamp.saturating_mul(1000), &format!("witness {name}"))?;
    Ok(Cosigned {
        url: w.url.clone(),
        line: line.clone(),
        key: w.verifier.clone(),
        timestamp: c.timestamp,
    })
}

/// Refuses a time vouched by a witness or a TSA that is ahead of this machine's clock by more
/// than the ledger's tolerance: stored, it would refuse every append until the clock caught
/// up (the clock check, FORMAT.md sections 9 and 10).
pub(crate) fn not_ahead(ms: u64, who: &str) -> Result<()> {
    let now = crate::output::now_ms()?;
    if ms > now.saturating_add(prov_ledger::CLOCK_TOLERANCE_MS) {
        return Err(Failure::negative(format!(
            "{who} answered with the time {}, ahead of this machine's clock ({}): nothing was stored, since a time ahead would refuse every later append; check its clock, or this one",
            crate::output::rfc3339(ms),
            crate::output::rfc3339(now)
        )));
    }
    Ok(())
}
