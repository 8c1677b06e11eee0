//! `prov dkim-key add`: a domain's DKIM key record archived as an entry, since DNS forgets
//! a key when it is rotated, so that `prov verify-dkim` (`dkim_verify.rs`) can check a
//! signature with it later.
//!
//! A key entry (docs/DKIM.md): content = SHA-256 and size of the record's text, name
//! `SELECTOR._domainkey.DOMAIN`, media type `text/x-dkim-key`, metadata `dkim.domain`,
//! `dkim.selector` and `dkim.key` (the text itself: the ledger keeps hashes, not bytes).

use crate::failure::{Failure, Result};
use crate::output::{Out, rfc3339};
use clap::{Args, Subcommand};
use prov_dkim::KeyRecord;
use prov_ledger::{Documents, Fields, FileDigest, Ingested, Ledger, Options, Report};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

/// The media type of a key entry.
pub const MEDIA_TYPE: &str = "text/x-dkim-key";
/// The longest key record kept: the ledger's limit for a metadata value.
const MAX_RECORD: usize = 4096;

#[derive(Subcommand)]
pub enum DkimKeyCommand {
    /// Record a DKIM key record (its DNS TXT text) as an entry, for `prov verify-dkim`
    #[command(
        after_help = "Examples:\n  dig +short TXT may2017._domainkey.mail.example.org | sed 's/\" \"//g; s/^\"//; s/\"$//' > k.txt\n  prov dkim-key add --domain mail.example.org --selector may2017 --txt-file k.txt \\\n      --source 'dns:may2017._domainkey.mail.example.org via 9.9.9.9'\n  prov dkim-key add --domain example.org --selector s1 --txt 'v=DKIM1; k=ed25519; p=...' -s dns\n\nThe same record again from the same source is already recorded; from another source it\nis a sighting. An RSA key under 1,024 bits is recorded, and flagged weak."
    )]
    Add(KeyAddArgs),
}

#[derive(Args)]
pub struct KeyAddArgs {
    /// The signing domain: the d= of the signatures this key verifies
    #[arg(long)]
    domain: String,
    /// The selector: the s= of those signatures
    #[arg(long)]
    selector: String,
    /// The key record's text as DNS serves it, its strings joined: v=DKIM1; k=rsa; p=...
    #[arg(long, value_name = "TEXT", required_unless_present = "txt_file")]
    txt: Option<String>,
    /// A file holding the key record's text (one trailing newline is not part of it)
    #[arg(long, value_name = "FILE", conflicts_with = "txt")]
    txt_file: Option<PathBuf>,
    /// Where and when the record was read, e.g. dns:may2017._domainkey.mail.example.org
    #[arg(long, short)]
    source: String,
    /// Who records it
    #[arg(long)]
    agent: Option<String>,
    /// The signing key, when it is kept outside the ledger folder (see `prov init --key-file`)
    #[arg(long, env = "PROV_KEY_FILE", value_name = "PATH")]
    key_file: Option<PathBuf>,
}

pub fn dkim_key(ledger: &Path, c: DkimKeyCommand, out: Out) -> Result<()> {
    match c {
        DkimKeyCommand::Add(a) => add_key(ledger, a, out),
    }
}

/// A domain or selector: DNS labels of letters, digits, `-` and `_`, lowercased, without a
/// final dot.
fn dns_name(what: &str, given: &str) -> Result<String> {
    let name = given
        .strip_suffix('.')
        .unwrap_or(given)
        .to_ascii_lowercase();
    let ok = !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        });
    if !ok {
        return Err(Failure::input(format!(
            "--{what} '{given}' is not a DNS name: give dot-separated labels of letters, digits, '-' and '_' (an international name in its xn-- form)"
        )));
    }
    Ok(name)
}

/// The record's text, checked to be one line of text that parses as a DKIM key record.
fn record_text(a: &KeyAddArgs, name: &str) -> Result<(String, KeyRecord)> {
    let text = match (&a.txt, &a.txt_file) {
        (Some(t), _) => t.clone(),
        (None, Some(p)) => {
            let bytes = crate::proof::read_input(p, "key record")?;
            let bytes = bytes.strip_suffix(b"\n").unwrap_or(&bytes);
            let bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
            String::from_utf8(bytes.to_vec()).map_err(|_| {
                Failure::input(format!(
                    "{} is not UTF-8 text: give the key record's text (v=DKIM1; k=rsa; p=...)",
                    p.display()
                ))
            })?
        }
        (None, None) => return Err(Failure::usage("give --txt TEXT or --txt-file FILE")),
    };
    if text.len() > MAX_RECORD {
        return Err(Failure::input(format!(
            "the key record is {} bytes, more than the 4,096 an entry keeps: check that it is one DKIM key record",
            text.len()
        )));
    }
    if text.starts_with('"') {
        return Err(Failure::input(
            "the key record is quoted as in a zone file: give its text, the quoted strings joined without quotes (v=DKIM1; k=rsa; p=...)",
        ));
    }
    if text.chars().any(char::is_control) {
        return Err(Failure::input(
            "the key record holds a line break or control character: give it on one line, its DNS strings joined",
        ));
    }
    let record = KeyRecord::parse(text.as_bytes()).map_err(|e| {
        Failure::input(format!(
            "the text given for {name} is not a DKIM key record ({e}): give the TXT record as DNS serves it, v=DKIM1; k=rsa; p=..."
        ))
    })?;
    Ok((text, record))
}

/// The key facts of a record, for JSON.
pub fn key_json(record: &KeyRecord) -> Value {
    json!({
        "key_type": record.key_type(),
        "bits": record.bits(),
        "weak": record.is_weak(),
        "revoked": record.is_revoked(),
    })
}

/// One line on a key: `rsa, 2048 bits`, with what is wrong with it.
pub fn key_words(record: &KeyRecord) -> String {
    match record.bits() {
        None => format!("{}, revoked (empty p=)", record.key_type()),
        Some(bits) if record.is_weak() => format!(
            "{}, {bits} bits, WEAK: under the 1,024 bits RFC 8301 requires",
            record.key_type()
        ),
        Some(bits) => format!("{}, {bits} bits", record.key_type()),
    }
}

/// Keeps the one result of an ingest.
struct One(Option<prov_ledger::Recorded>);

impl Report for One {
    fn recorded(&mut self, d: &Ingested<'_>) -> ControlFlow<()> {
        self.0 = Some(d.recorded.clone());
        ControlFlow::Continue(())
    }
}

fn add_key(ledger: &Path, a: KeyAddArgs, out: Out) -> Result<()> {
    let domain = dns_name("domain", &a.domain)?;
    let selector = dns_name("selector", &a.selector)?;
    let name = format!("{selector}._domainkey.{domain}");
    let (text, record) = record_text(&a, &name)?;
    let fields = Fields {
        source: a.source.clone(),
        agent: a.agent.clone(),
        media_type: Some(MEDIA_TYPE.to_owned()),
        metadata: [
            ("dkim.domain", domain.clone()),
            ("dkim.selector", selector.clone()),
            ("dkim.key", text.clone()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect(),
        related: Vec::new(),
    };
    fields
        .validate(Some(name.as_bytes()))
        .map_err(|e| Failure::input(e.to_string()))?;
    let digest = FileDigest {
        sha256: Sha256::digest(text.as_bytes()).into(),
        size: text.len() as u64,
    };
    // The ledger records a content and source once: the same record from the same source
    // for another name would be "already recorded" under the other name's fields.
    for e in Ledger::open(ledger)?.lookup(&digest.sha256)? {
        let same = |k: &str, v: &str| e.metadata.get(k).map(String::as_str) == Some(v);
        if e.source == a.source
            && !(same("dkim.domain", &domain) && same("dkim.selector", &selector))
        {
            return Err(Failure::input(format!(
                "this key record is already recorded from source '{}' under another name (entry {}): give a --source that names this one, e.g. dns:{name}",
                a.source, e.seq
            )));
        }
    }
    let mut l = Ledger::open_writer_with_key(ledger, a.key_file.as_deref())?;
    let documents = Documents::Digest {
        digest,
        label: name.clone().into_bytes(),
        name: Some(name.clone().into_bytes()),
    };
    let mut one = One(None);
    l.ingest(documents, &fields, &Options::default(), &mut one)?;
    let r = one
        .0
        .ok_or_else(|| Failure::ledger("the ledger reported nothing for the key record"))?;
    if out.json {
        let mut v = json!({
            "status": r.status.as_str(),
            "seq": r.seq,
            "sha256": hex::encode(digest.sha256),
            "size": digest.size,
            "name": name,
            "domain": domain,
            "selector": selector,
            "first_seen": {"seq": r.first_seen.seq, "time": rfc3339(r.first_seen.time_ms), "source": r.first_seen.source},
        });
        if let (Value::Object(v), Value::Object(k)) = (&mut v, key_json(&record)) {
            v.extend(k);
        }
        return out.json(&v);
    }
    let what = match r.status {
        prov_ledger::Status::FirstSeen => "first seen      ",
        prov_ledger::Status::Sighting => "seen again      ",
        prov_ledger::Status::AlreadyRecorded => "already recorded",
    };
    out.human(format!(
        "{what}  {name}  (entry {}; key {})",
        r.seq,
        key_words(&record)
    ))
}
