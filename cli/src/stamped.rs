//! What an RFC 3161 timestamp proves to a reader: `verify-proof --tsa-cert` checks the
//! token of a proof's checkpoint with the TSA certificate the auditor trusts (FORMAT.md
//! section 10, "What an auditor checks"), and `prov check` names the earliest independent
//! bound (a timestamp or a cosignature) on an entry's first-seen time.

use crate::failure::{Failure, Result};
use crate::output::{Out, count, rfc3339};
use crate::proof::read_input;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use prov_ledger::TokenFacts;
use prov_report::escape;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

/// The token `verify-proof --tsa-cert` checks: `--tsr FILE`, else the proof file's name
/// with `.tst` appended, else the JSON proof's first `timestamps` token.
fn proof_token(proof: &Path, tsr: Option<&Path>, proof_bytes: &[u8]) -> Result<Vec<u8>> {
    if let Some(p) = tsr {
        return read_input(p, "timestamp token");
    }
    let mut side = proof.as_os_str().to_owned();
    side.push(".tst");
    let side = PathBuf::from(side);
    if proof.as_os_str() != "-" && side.is_file() {
        return read_input(&side, "timestamp token");
    }
    let from_json = serde_json::from_slice::<Value>(proof_bytes)
        .ok()
        .and_then(|v| v["timestamps"][0].as_str().map(str::to_owned))
        .and_then(|b| STANDARD.decode(b).ok());
    from_json.ok_or_else(|| {
        Failure::input(format!(
            "no timestamp token for {}: give --tsr FILE (the .tst that `prov prove -o` wrote beside the proof)",
            proof.display()
        ))
    })
}

/// What `verify-proof --tsa-cert` proved: the checkpoint existed before genTime, per the TSA.
pub struct Stamped(TokenFacts);

/// Checks the token of a proof's checkpoint with the TSA certificate the auditor trusts.
pub fn check_proof(
    proof: &Path,
    proof_bytes: &[u8],
    tsr: Option<&Path>,
    tsa_cert: &Path,
    checkpoint: &str,
) -> Result<Stamped> {
    let cert = crate::timestamp::read_cert(tsa_cert)?;
    let bytes = proof_token(proof, tsr, proof_bytes)?;
    let token = prov_ledger::token_from_reply(&bytes).map_err(Failure::from)?;
    let imprint = prov_ledger::checkpoint_imprint(checkpoint)?;
    prov_ledger::verify_token(&token, &imprint, None, Some(&cert))
        .map(Stamped)
        .map_err(Failure::from)
}

impl Stamped {
    pub fn json(&self) -> Value {
        json!({
            "tsa": self.0.tsa,
            "gen_time": rfc3339(self.0.gen_time_ms),
            "policy": self.0.policy,
            "serial": self.0.serial,
            "committed_before": rfc3339(self.0.gen_time_ms),
        })
    }

    pub fn show(&self, out: Out) -> Result<()> {
        out.human(format!(
            "  committed before {} per {}",
            rfc3339(self.0.gen_time_ms),
            escape::text(&self.0.tsa)
        ))
    }
}

/// `prov check`'s one line on stored cosignatures or tokens that do not count: how many,
/// and the first, with what to do.
pub fn unverified_note(first: &prov_ledger::Unverified, all: usize) -> String {
    let fix = if first.unknown {
        "list the witness with `prov witnesses add URL VKEY` or the TSA with `prov tsas add URL --cert FILE` if you trust it"
    } else {
        "someone wrote it who could write the ledger folder, or it was damaged: run `prov audit`"
    };
    format!(
        "not counted as an independent bound: {} that {} not verify against witnesses.json and tsas.json; the first, {}{}: {}; {fix}",
        count(
            all as u64,
            "stored cosignature or timestamp",
            "stored cosignatures or timestamps"
        ),
        if all == 1 { "does" } else { "do" },
        first.file,
        match first.by.as_str() {
            "" => String::new(),
            by => format!(" by {}", escape::text(by)),
        },
        escape::text(&first.why),
    )
}
