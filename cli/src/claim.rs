//! `prov claim SEQ --verdict V --by WHO`: records a signed claim about an entry (FORMAT.md
//! section 6.7), in the same log, chain and tree as the documents, so it is proven, exported
//! and audited like any entry. A claim never changes the entry it is about.

use crate::failure::{Failure, Result};
use crate::fields::parse_fields;
use crate::note;
use crate::output::{Out, claim_line};
use clap::{Args, ValueEnum};
use prov_ledger::{ClaimStatus, Entry, Error, Kind, Ledger, NewClaim, Verdict};
use serde_json::json;
use std::path::{Path, PathBuf};

/// The verdicts, as `--verdict` takes them.
#[derive(Clone, Copy, ValueEnum)]
pub enum VerdictArg {
    /// The document is what it says it is
    Authentic,
    /// The document is a forgery
    Forged,
    /// The document was altered (from the entries given as --evidence, for example)
    Altered,
    /// Its authenticity is disputed
    Disputed,
    /// It could not be verified (say why with --reason)
    Unverified,
    /// Withdraws an earlier claim: SEQ is that claim
    Retracted,
}

impl From<VerdictArg> for Verdict {
    fn from(v: VerdictArg) -> Verdict {
        match v {
            VerdictArg::Authentic => Verdict::Authentic,
            VerdictArg::Forged => Verdict::Forged,
            VerdictArg::Altered => Verdict::Altered,
            VerdictArg::Disputed => Verdict::Disputed,
            VerdictArg::Unverified => Verdict::Unverified,
            VerdictArg::Retracted => Verdict::Retracted,
        }
    }
}

#[derive(Args)]
pub struct ClaimArgs {
    /// The entry the claim is about (`prov check` and `prov show` give entry numbers); for
    /// `--verdict retracted`, the claim it retracts
    seq: u64,
    /// What is claimed
    #[arg(long, value_enum)]
    verdict: VerdictArg,
    /// Who makes the claim: a person, a desk, a tool (recorded as the entry's source)
    #[arg(long, value_name = "WHO")]
    by: String,
    /// Why, in words (not blank: leave --reason out when there is none)
    #[arg(long, value_name = "TEXT")]
    reason: Option<String>,
    /// An earlier entry that supports the claim (repeatable): an original, a key, a claim
    #[arg(long, value_name = "SEQ")]
    evidence: Vec<u64>,
    /// Further metadata (repeatable); keys starting with `claim.` are the claim's own
    #[arg(long = "meta", value_name = "KEY=VALUE")]
    meta: Vec<String>,
    /// Who records the claim, when not the one who makes it
    #[arg(long)]
    agent: Option<String>,
    /// The signing key, when kept outside the ledger folder
    #[arg(long, env = "PROV_KEY_FILE", value_name = "PATH")]
    key_file: Option<PathBuf>,
}

/// Records `c` and returns what happened, with the claim's entry (the earlier one when it
/// was already recorded). A seq the ledger does not hold is [`crate::failure::NO_ENTRY`]
/// (exit 8), as everywhere: nothing is written.
pub fn record(
    ledger: &Path,
    c: &NewClaim,
    key_file: Option<&Path>,
    out: Out,
) -> Result<(ClaimStatus, Entry)> {
    c.validate().map_err(|e| match e {
        Error::Invalid { field, reason } if matches!(field, "by" | "reason") => {
            Failure::input(format!("--{field} {reason}"))
        }
        e => Failure::input(e.to_string()),
    })?;
    let mut l = Ledger::open_writer_with_key(ledger, key_file)?;
    let now = crate::output::now_ms()?;
    let done = l.claim(c, now).map_err(|e| match e {
        Error::NoSuchEntry { seq, size } => Failure::no_entry(format!(
            "no entry {seq}: the ledger has {}; a claim names entries the ledger holds (`prov log` lists them)",
            crate::output::count(size, "entry", "entries")
        )),
        e => Failure::from(e),
    })?;
    if let Some(old) = l.upgraded_from() {
        out.note_with(
            note::Kind::FormatUpgraded,
            format!(
                "the ledger was format {old} and is now format {} (it holds claims); `prov` versions before claims refuse it as newer",
                prov_ledger::CLAIMS_FORMAT
            ),
            json!({"from": old, "to": prov_ledger::CLAIMS_FORMAT}),
        )?;
    }
    Ok(done)
}

pub fn claim(ledger: &Path, a: ClaimArgs, out: Out) -> Result<()> {
    let (metadata, _) = parse_fields(&a.meta, &[])?;
    let c = NewClaim {
        about: a.seq,
        verdict: Some(a.verdict.into()),
        by: a.by,
        reason: a.reason,
        evidence: a.evidence,
        agent: a.agent,
        metadata,
    };
    let (status, e) = record(ledger, &c, a.key_file.as_deref(), out)?;
    show(&status, &e, out)
}

/// Prints a recorded (or already recorded) claim: one line, or one JSON object.
pub fn show(status: &ClaimStatus, e: &Entry, out: Out) -> Result<()> {
    let recorded = *status == ClaimStatus::Recorded;
    if out.json {
        let v = prov_report::claimed_json(*status, e);
        return out.json(&v);
    }
    let about = match e.kind {
        Kind::Claim { about, .. } => about,
        _ => e.seq,
    };
    out.human(format!(
        "{}  entry {}: {} (about entry {about})",
        if recorded {
            "claim recorded  "
        } else {
            "already recorded"
        },
        e.seq,
        claim_line(e)
    ))
}
