//! `prov init`, `prov audit`, `prov reindex`, and the completions arguments.

use crate::failure::{Failure, Result};
use crate::note::Kind;
use crate::output::{Out, count, rfc3339};
use crate::passphrase::PassphraseArgs;
use crate::proof::parse_key;
use clap::Args;
use clap_complete::Shell;
use prov_ledger::Ledger;
use serde_json::json;
use std::hash::BuildHasher;
use std::path::Path;

#[derive(Args)]
pub struct InitArgs {
    /// The ledger's name: checkpoint origin and key name, a schema-less URL such as
    /// archive.example.org/leaks-2026 [default: prov.local/<random>]
    #[arg(long)]
    origin: Option<String>,
    /// Keep the new signing key in this file (created, mode 0600) instead of the ledger
    /// folder's key.pem; every `add` and `reindex` then needs it (--key-file or
    /// $PROV_KEY_FILE)
    #[arg(long, env = "PROV_KEY_FILE", value_name = "PATH")]
    key_file: Option<std::path::PathBuf>,
    /// Encrypt the new key with a passphrase (encrypted PKCS#8: scrypt and AES-256-CBC),
    /// from --passphrase-file, $PROV_KEY_PASSPHRASE, or typed twice on the terminal; every
    /// `add` and `reindex` then needs it, and a lost passphrase is a lost key
    #[arg(long)]
    encrypt_key: bool,
    #[command(flatten)]
    passphrase: PassphraseArgs,
}

#[derive(Args)]
pub struct ReindexArgs {
    /// The signing key, when it is kept outside the ledger folder (see `prov init --key-file`)
    #[arg(long, env = "PROV_KEY_FILE", value_name = "PATH")]
    key_file: Option<std::path::PathBuf>,
    #[command(flatten)]
    passphrase: PassphraseArgs,
}

#[derive(Args)]
pub struct AuditArgs {
    /// Audit against this verifier key (from a source you trust) instead of ledger.json's
    #[arg(long)]
    key: Option<String>,
    /// Check the stored cosignatures against this witness key (its verifier key, or a file
    /// holding it; repeatable) instead of witnesses.json's
    #[arg(long = "witness", value_name = "VKEY")]
    witnesses: Vec<String>,
    /// Check the stored timestamp tokens against this TSA certificate (PEM or DER;
    /// repeatable) instead of tsas.json's
    #[arg(long = "tsa-cert", value_name = "FILE")]
    tsa_certs: Vec<std::path::PathBuf>,
}

#[derive(Args)]
pub struct CompletionsArgs {
    /// bash, zsh, fish, elvish or powershell
    pub shell: Shell,
}

pub fn init(ledger: &Path, a: InitArgs, out: Out) -> Result<()> {
    let origin = a.origin.unwrap_or_else(|| {
        format!(
            "prov.local/{:016x}",
            std::collections::hash_map::RandomState::new().hash_one(ledger)
        )
    });
    let passphrase = a
        .encrypt_key
        .then(|| a.passphrase.for_new_key())
        .transpose()?;
    let l = Ledger::init_with_key_encrypted(
        ledger,
        &origin,
        a.key_file.as_deref(),
        passphrase.as_ref().map(|p| p.as_str()),
    )?;
    let vkey = l.verifier().to_vkey();
    if passphrase.is_some() {
        out.note(
            Kind::KeyEncrypted,
            "the signing key is encrypted: `add` and `reindex` need its passphrase ($PROV_KEY_PASSPHRASE, --passphrase-file, or typed on a terminal); a lost passphrase cannot be recovered",
        )?;
    }
    if let Some(k) = &a.key_file {
        let mut v = json!({});
        crate::output::set_path(&mut v, k.as_os_str().as_encoded_bytes());
        out.note_with(
            Kind::KeyFile,
            format!(
                "the signing key is in {}, not in the ledger folder: `add` and `reindex` need --key-file or PROV_KEY_FILE; back it up apart from the ledger",
                k.display()
            ),
            v,
        )?;
    }
    if out.json {
        return out.json(
            &json!({"ledger": ledger.display().to_string(), "origin": origin, "vkey": vkey}),
        );
    }
    out.words(format!(
        "created ledger {} with origin {origin}; publish its verifier key:",
        ledger.display()
    ));
    out.line(vkey)
}

pub fn audit(ledger: &Path, a: AuditArgs, out: Out) -> Result<()> {
    let trusted = a.key.as_deref().map(parse_key).transpose()?;
    let evidence = prov_ledger::AuditTrust {
        witnesses: (!a.witnesses.is_empty())
            .then(|| {
                a.witnesses
                    .iter()
                    .map(|w| crate::quorum::parse_witness(w))
                    .collect()
            })
            .transpose()?,
        tsa_certs: (!a.tsa_certs.is_empty())
            .then(|| {
                a.tsa_certs
                    .iter()
                    .map(|c| crate::timestamp::read_cert(c))
                    .collect()
            })
            .transpose()?,
    };
    let bar = out.progress(
        0,
        "{spinner} auditing [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} ETA {eta}",
    );
    let r = prov_ledger::audit_with(ledger, trusted.as_ref(), &evidence, &|done, total| {
        bar.set_length(total);
        bar.set_position(done);
    })
    .map_err(|e| match e {
        // The audit itself cannot run: telling the user to run it is no help.
        prov_ledger::Error::Damaged { path, reason, .. } => Failure::ledger(format!(
            "the audit cannot read {}: {reason}: restore it from a backup",
            path.display()
        )),
        e => Failure::from(e),
    })?;
    bar.finish_and_clear();
    let times = r.time_range.map(|(a, b)| (rfc3339(a), rfc3339(b)));
    // Not signed and not rebuilt from the log (FORMAT.md 7.6): counted, never a fault.
    let prints = prov_ledger::load_fingerprints(ledger, r.entries);
    let prints_line = match &prints {
        Ok(l) if !l.present => "none (a ledger written before them, or a bundle)".to_owned(),
        Ok(l) => format!(
            "{} (not signed: no audit rule depends on them){}",
            count(l.prints.len() as u64, "record", "records"),
            match l.unreadable {
                0 => String::new(),
                n => format!("; {} unreadable", count(n, "record", "records")),
            }
        ),
        Err(e) => format!("unreadable ({e}; not signed: no audit rule depends on them)"),
    };
    if out.json {
        out.json(&json!({
            "ok": r.fault.is_none(),
            "entries": r.entries,
            "first_seen": r.first_seen,
            "sightings": r.sightings,
            "claims": r.claims,
            "log_bytes": r.log_bytes,
            "root": r.root.to_base64(),
            "first_time": times.as_ref().map(|t| &t.0),
            "last_time": times.as_ref().map(|t| &t.1),
            "checkpoints": r.checkpoints,
            "uncommitted_bytes": r.uncommitted_bytes,
            "pending_entries": r.pending_entries,
            "tiles_checked": r.tiles_checked,
            "tiles_not_checked": r.tiles_not_checked,
            "index_checked": r.index_checked,
            "index_not_checked": r.index_not_checked,
            "evidence_verified": r.evidence_verified,
            "evidence_untrusted": r.evidence_untrusted,
            "fingerprints": prints.as_ref().ok().filter(|l| l.present).map(|l| l.prints.len()),
            "fault": r.fault.as_ref().map(|f| json!({
                "file": f.file.display().to_string(), "offset": f.offset, "seq": f.seq, "what": f.what,
            })),
        }))?;
    } else if r.fault.is_none() {
        out.human(format!(
            "audit passed: {} ({} first seen, {}{}), {} verified",
            count(r.entries, "entry", "entries"),
            r.first_seen,
            count(r.sightings, "sighting", "sightings"),
            match r.claims {
                0 => String::new(),
                n => format!(", {}", count(n, "claim", "claims")),
            },
            count(r.checkpoints, "checkpoint", "checkpoints")
        ))?;
        out.human(format!("  root      {}", r.root.to_base64()))?;
        if let Some((a, b)) = &times {
            out.human(format!("  recorded  {a} .. {b}"))?;
        }
        out.human(format!(
            "  log       {}; index {}",
            count(r.log_bytes, "byte", "bytes"),
            match (&r.index_checked, &r.index_not_checked) {
                (true, _) => "agrees (both ways)".to_owned(),
                (false, Some(why)) => format!("not checked: {why}"),
                (false, None) => "not checked".to_owned(),
            }
        ))?;
    }
    if r.fault.is_none() {
        out.human(match &r.tiles_not_checked {
            Some(why) => format!("  tiles     not checked: {why}"),
            None => format!(
                "  tiles     {} recomputed from the log and matched; offsets match",
                r.tiles_checked
            ),
        })?;
        if r.evidence_verified + r.evidence_untrusted > 0 {
            out.human(format!(
                "  evidence  {} verified{}",
                count(r.evidence_verified, "stored cosignature or timestamp", "stored cosignatures and timestamps"),
                match r.evidence_untrusted {
                    0 => String::new(),
                    n => format!("; {n} by witnesses or TSAs not trusted, not checked (give their keys with --witness or --tsa-cert)"),
                }
            ))?;
        }
        out.human(format!("  fingerprints {prints_line}"))?;
    }
    let them = |n: u64| if n == 1 { "it" } else { "them" };
    if r.pending_entries > 0 {
        out.note_with(
            Kind::PendingEntries,
            format!(
                "{} after the last commit (an append interrupted before its commit point, or a COMMIT restored from an older copy); the next `prov add` or `prov reindex` commits {}, never cuts {}",
                count(r.pending_entries, "complete, signed entry lies", "complete, signed entries lie"),
                them(r.pending_entries),
                them(r.pending_entries)
            ),
            json!({"entries": r.pending_entries}),
        )?;
    } else if r.uncommitted_bytes > 0 && r.fault.is_none() {
        out.note_with(
            Kind::UncommittedBytes,
            format!(
                "{} after the last commit {} an unfinished append that was never reported; the next `prov add` removes {}",
                count(r.uncommitted_bytes, "byte", "bytes"),
                if r.uncommitted_bytes == 1 { "is" } else { "are" },
                them(r.uncommitted_bytes)
            ),
            json!({"bytes": r.uncommitted_bytes}),
        )?;
    }
    match r.fault {
        Some(f) => Err(Failure::negative(format!("audit failed: {f}"))),
        None => Ok(()),
    }
}

/// What opening for writing did to the bytes past `COMMIT`, as notes (add and reindex).
///
/// # Errors
/// A note could not be written in the stream on stdout.
pub fn recovery_notes(l: &Ledger, out: Out) -> Result<()> {
    if l.rolled_forward_entries() > 0 {
        out.note_with(
            Kind::RecoveredEntries,
            format!(
                "recovered: committed {} that an interrupted append had written and signed in full{}",
                count(l.rolled_forward_entries(), "entry", "entries"),
                match l.sealed_entries() {
                    0 => String::new(),
                    n => format!(
                        " ({n} of them had lost their checkpoint; a new one was signed for them)"
                    ),
                }
            ),
            json!({"entries": l.rolled_forward_entries(), "resealed": l.sealed_entries()}),
        )?;
    }
    if l.recovered_bytes() > 0 {
        out.note_with(
            Kind::RecoveredBytes,
            format!(
                "recovered: cut {} an interrupted append left unfinished (no checkpoint; never reported)",
                count(l.recovered_bytes(), "byte", "bytes")
            ),
            json!({"bytes": l.recovered_bytes()}),
        )?;
    }
    Ok(())
}

pub fn reindex(ledger: &Path, a: ReindexArgs, out: Out) -> Result<()> {
    let passphrase = a.passphrase.for_writer()?;
    let l = Ledger::reindex_unlocking(ledger, a.key_file.as_deref(), &passphrase)?;
    recovery_notes(&l, out)?;
    let root = l.root()?;
    if out.json {
        return out.json(&json!({"entries": l.size(), "root": root.to_base64()}));
    }
    out.human(format!(
        "rebuilt the content index, tiles and offsets from the log: {}, root {}",
        count(l.size(), "entry", "entries"),
        root.to_base64()
    ))
}
