//! `prov verify-dkim FILE`: an email's DKIM signatures verified offline (RFC 6376, by
//! `prov-dkim`) with the key records archived by `prov dkim-key add`, saying for each which
//! key entry verified it and whether that key was archived before or after the ledger first
//! saw the email.
//!
//! With `--record`, the result becomes a signed claim about the email's entry (FORMAT.md
//! section 6.7), whose evidence is the key entries.
//!
//! The keys are found by reading every entry (a linear scan of the log): fine for the
//! ledgers of today, and to be replaced by an index by name if key entries become many.

use crate::dkim::{key_json, key_words};
use crate::failure::{Failure, Result};
use crate::output::{Out, rfc3339};
use clap::Args;
use prov_dkim::{Checked, Error as DkimError, KeyRecord};
use prov_ledger::{Entry, Ledger};
use prov_report::escape;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::{Path, PathBuf};

/// The largest email read.
const MAX_EMAIL: u64 = 256 << 20;

#[derive(Args)]
pub struct VerifyDkimArgs {
    /// The email file (RFC 5322, its bytes exactly as received or kept)
    email: PathBuf,
    /// Record the result as a signed claim about the email's entry (`authentic` when a
    /// signature verifies, `unverified` otherwise), the key entries as its evidence
    #[arg(long, requires = "by")]
    record: bool,
    /// Who makes the recorded claim (with --record)
    #[arg(long, value_name = "WHO", requires = "record")]
    by: Option<String>,
    /// The signing key, when kept outside the ledger folder (with --record)
    #[arg(long, env = "PROV_KEY_FILE", value_name = "PATH")]
    key_file: Option<PathBuf>,
}

/// An archived key: its entry, and the record's text.
struct Archived {
    entry: Entry,
    text: String,
}

impl Archived {
    /// Whether this is a key entry for `domain` and `selector` (DNS names: any case, a
    /// final dot or not).
    fn names(&self, domain: &str, selector: &str) -> bool {
        let same = |k: &str, v: &str| {
            let bare = |s: &str| s.strip_suffix('.').unwrap_or(s).to_ascii_lowercase();
            self.entry
                .metadata
                .get(k)
                .is_some_and(|m| bare(m) == bare(v))
        };
        same("dkim.domain", domain) && same("dkim.selector", selector)
    }
}

/// Every key entry of the ledger, in order: one read of the whole log. A key entry is one
/// `prov dkim-key add` made: media type `text/x-dkim-key`, and a `dkim.key` text whose SHA-256
/// and size are the entry's content. Any other entry carrying `dkim.*` metadata (which `--meta`
/// can set on any document) is not a key: the key text must be what the entry's signed
/// content commits to.
fn archived_keys(l: &Ledger) -> Result<Vec<Archived>> {
    use sha2::{Digest, Sha256};
    let mut keys = Vec::new();
    for e in l.range(0, u64::MAX) {
        let e = e?;
        let m = &e.metadata;
        if e.content.media_type.as_deref() != Some(crate::dkim::MEDIA_TYPE)
            || !(m.contains_key("dkim.domain") && m.contains_key("dkim.selector"))
        {
            continue;
        }
        let Some(text) = m.get("dkim.key").cloned() else {
            continue;
        };
        let committed: [u8; 32] = Sha256::digest(text.as_bytes()).into();
        if committed == e.content.sha256 && text.len() as u64 == e.content.size {
            keys.push(Archived { entry: e, text });
        }
    }
    Ok(keys)
}

/// The email's bytes, refusing what is not a regular file or a pipe, or is over 256 MiB.
fn read_email(path: &Path) -> Result<Vec<u8>> {
    let given = path.to_string_lossy();
    if !path.exists() && !given.is_empty() && given.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Failure::input(format!(
            "'{given}' is not a file: verify-dkim needs the email's bytes, and the ledger keeps only their hash; give the email file (`prov show {given}` shows that entry's name and SHA-256)"
        )));
    }
    let mut bytes = Vec::new();
    crate::proof::open_input(path, "email")?
        .take(MAX_EMAIL + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| {
            Failure::input(format!(
                "cannot read email {}: {e}: check the path",
                path.display()
            ))
        })?;
    if bytes.len() as u64 > MAX_EMAIL {
        return Err(Failure::input(format!(
            "{} is larger than 256 MiB: give an email file",
            path.display()
        )));
    }
    Ok(bytes)
}

pub fn verify_dkim(ledger: &Path, a: VerifyDkimArgs, out: Out) -> Result<()> {
    let message = read_email(&a.email)?;
    let sha256: [u8; 32] = Sha256::digest(&message).into();
    let l = Ledger::open(ledger)?;
    let email = l.lookup(&sha256)?.into_iter().next();
    let keys = archived_keys(&l)?;
    // An expiry (x=) is judged when the ledger first saw the email, not now.
    let at = email.as_ref().map(|e| e.time_ms / 1000);
    let checked = prov_dkim::verify(&message, at, |d, s| {
        let mut candidates: Vec<(usize, Vec<u8>)> = Vec::new();
        for (i, k) in keys.iter().enumerate() {
            // The same record archived again (a sighting) is the same key: its first entry.
            if k.names(d, s) && !candidates.iter().any(|(_, t)| *t == k.text.as_bytes()) {
                candidates.push((i, k.text.clone().into_bytes()));
            }
        }
        candidates
    });
    let shown = escape::path(&a.email);
    let recorded = match (&a.by, &email) {
        (Some(by), Some(e)) if a.record => {
            let c = dkim_claim(e, by, &checked, &keys);
            drop(l);
            Some(crate::claim::record(
                ledger,
                &c,
                a.key_file.as_deref(),
                out,
            )?)
        }
        (_, None) if a.record => {
            return Err(Failure::input(format!(
                "{shown} is not in this ledger: record it first (`prov add`), then verify with --record, since a claim is about an entry"
            )));
        }
        _ => None,
    };
    let view = View {
        email: email.as_ref(),
        keys: &keys,
        expiry_judged: at.is_some(),
    };
    if out.json {
        let mut v = json!({
            "sha256": hex::encode(sha256),
            "email_first_seen": email.as_ref().map(|e| json!({"seq": e.seq, "time": rfc3339(e.time_ms), "source": e.source})),
            "verified": checked.iter().any(|c| c.result.is_ok()),
            "signatures": checked.iter().map(|c| view.json(c)).collect::<Vec<_>>(),
        });
        if let Some((status, e)) = &recorded {
            v["claim"] = json!({
                "status": status.as_str(),
                "seq": e.seq,
                "entry": crate::output::entry_json(e),
            });
        }
        crate::output::set_path(
            &mut v,
            std::os::unix::ffi::OsStrExt::as_bytes(a.email.as_os_str()),
        );
        out.json(&v)?;
    } else {
        out.human(match &email {
            Some(e) => format!(
                "email  {shown}  first seen {} from {} (entry {})",
                rfc3339(e.time_ms),
                escape::text(&e.source),
                e.seq
            ),
            None => format!(
                "email  {shown}  not in this ledger (sha256 {}): no key can be said to be archived before it (`prov add` records it)",
                hex::encode(sha256)
            ),
        })?;
        for c in &checked {
            for line in view.lines(c) {
                out.human(line)?;
            }
        }
        if let Some((status, e)) = &recorded {
            crate::claim::show(status, e, out)?;
        }
    }
    if checked.is_empty() {
        return Err(Failure::negative(format!(
            "{shown} has no DKIM-Signature header field: there is nothing to verify"
        )));
    }
    if checked.iter().any(|c| c.result.is_ok()) {
        return Ok(());
    }
    let missing = checked.iter().find_map(|c| match &c.result {
        Err(DkimError::NoKey { domain, selector }) => Some((domain, selector)),
        _ => None,
    });
    let none = match checked.len() {
        1 => format!("the DKIM signature of {shown} does not verify with an archived key"),
        n => format!("none of the {n} DKIM signatures of {shown} verifies with an archived key"),
    };
    Err(Failure::negative(match missing {
        Some((d, s)) => format!(
            "{none}: run `prov dkim-key add --domain {d} --selector {s} --txt TEXT --source SRC` with the key record DNS served for {s}._domainkey.{d} (or an archive of it), then verify again"
        ),
        None => none,
    }))
}

/// The claim `--record` makes about the email's entry `email`: `authentic` with the key
/// entries that verified a signature as evidence, or `unverified` with the keys tried, and
/// the result in words as its reason (the same result gives the same claim, so a re-run is
/// already recorded).
fn dkim_claim(
    email: &Entry,
    by: &str,
    checked: &[Checked<usize>],
    keys: &[Archived],
) -> prov_ledger::NewClaim {
    let passed: Vec<&Checked<usize>> = checked.iter().filter(|c| c.result.is_ok()).collect();
    let mut evidence: Vec<u64> = Vec::new();
    let mut said: Vec<String> = Vec::new();
    for c in checked {
        let what = format!(
            "signature {} (d={} s={} a={})",
            c.index, c.domain, c.selector, c.algorithm
        );
        match &c.result {
            Ok(v) => {
                let k = &keys[v.key].entry;
                evidence.push(k.seq);
                let when = if k.seq < email.seq { "before" } else { "after" };
                said.push(format!(
                    "{what} verifies with key entry {}, archived {when} the email was first seen",
                    k.seq
                ));
            }
            Err(e) => {
                evidence.extend(c.rejected.iter().map(|(k, _)| keys[*k].entry.seq));
                said.push(format!("{what} does not verify: {e}"));
            }
        }
    }
    if checked.is_empty() {
        said.push("no DKIM-Signature header field".into());
    }
    // The keys that verified are kept whatever the room; rejected ones fill what is left.
    let room = prov_ledger::MAX_LINKING.min(64);
    let verified: Vec<u64> = passed
        .iter()
        .map(|c| c.result.as_ref().map(|v| keys[v.key].entry.seq))
        .filter_map(|r| r.ok())
        .collect();
    evidence.retain(|s| !verified.contains(s));
    evidence.sort_unstable();
    evidence.dedup();
    evidence.truncate(room.saturating_sub(verified.len()));
    evidence.extend(verified);
    evidence.sort_unstable();
    evidence.dedup();
    let mut reason = format!("DKIM (RFC 6376), prov verify-dkim: {}", said.join("; "));
    if reason.len() > 4096 {
        let mut cut = 4096;
        while !reason.is_char_boundary(cut) {
            cut -= 1;
        }
        reason.truncate(cut);
    }
    prov_ledger::NewClaim {
        about: email.seq,
        verdict: Some(if passed.is_empty() {
            prov_ledger::Verdict::Unverified
        } else {
            prov_ledger::Verdict::Authentic
        }),
        by: by.to_owned(),
        reason: Some(reason.chars().filter(|c| !c.is_control()).collect()),
        evidence,
        agent: None,
        metadata: Default::default(),
    }
}

/// What the report needs besides each signature's result.
struct View<'a> {
    email: Option<&'a Entry>,
    keys: &'a [Archived],
    expiry_judged: bool,
}

impl View<'_> {
    /// `before_email`, `after_email`, or `unknown` when the email is not in the ledger.
    fn archived(&self, key: &Entry) -> &'static str {
        match self.email {
            Some(e) if key.seq < e.seq => "before_email",
            Some(_) => "after_email",
            None => "unknown",
        }
    }

    fn json(&self, c: &Checked<usize>) -> Value {
        let key = c.result.as_ref().ok().map(|v| {
            let k = &self.keys[v.key];
            let mut j = json!({
                "seq": k.entry.seq,
                "time": rfc3339(k.entry.time_ms),
                "source": k.entry.source,
                "archived": self.archived(&k.entry),
            });
            if let (Value::Object(j), Ok(r)) = (&mut j, KeyRecord::parse(k.text.as_bytes()))
                && let Value::Object(facts) = key_json(&r)
            {
                j.extend(facts);
            }
            j
        });
        let ok = c.result.as_ref().ok();
        json!({
            "index": c.index,
            "domain": c.domain,
            "selector": c.selector,
            "algorithm": c.algorithm,
            "result": if ok.is_some() { "pass" } else { "fail" },
            "reason": c.result.as_ref().err().map(ToString::to_string),
            "key": key,
            "weak_key": ok.is_some_and(|v| v.weak_key),
            "obsolete_algorithm": ok.is_some_and(|v| v.obsolete_algorithm),
            "testing": ok.is_some_and(|v| v.testing),
            "expires": c.expires,
            "expiry_judged": c.expires.is_some() && self.expiry_judged,
            "rejected": c.rejected.iter().map(|(k, e)| json!({"seq": self.keys[*k].entry.seq, "reason": e.to_string()})).collect::<Vec<_>>(),
        })
    }

    /// The lines for one signature: its result, then what to know about it.
    fn lines(&self, c: &Checked<usize>) -> Vec<String> {
        let what = format!(
            "signature {}: d={} s={} a={}",
            c.index,
            escape::text(&c.domain),
            escape::text(&c.selector),
            escape::text(&c.algorithm)
        );
        let mut lines = Vec::new();
        let pad = "             ";
        match &c.result {
            Ok(v) => {
                let k = &self.keys[v.key];
                let facts = KeyRecord::parse(k.text.as_bytes())
                    .map(|r| key_words(&r))
                    .unwrap_or_default();
                lines.push(format!(
                    "pass   {what} verified with key entry {} ({facts}), archived {} from {}",
                    k.entry.seq,
                    rfc3339(k.entry.time_ms),
                    escape::text(&k.entry.source)
                ));
                lines.push(match (self.archived(&k.entry), self.email) {
                    ("before_email", _) => format!("{pad}the key was archived before the email was first seen"),
                    (_, Some(e)) => format!(
                        "{pad}the key was archived AFTER the email was first seen (entry {}): it was not in the archive when the email arrived",
                        e.seq
                    ),
                    _ => format!("{pad}whether the key was archived before the email is unknown: the email is not in this ledger"),
                });
                if v.obsolete_algorithm {
                    lines.push(format!("{pad}rsa-sha1 is obsolete (RFC 8301): a weak hash"));
                }
                if v.testing {
                    lines.push(format!(
                        "{pad}the key record says t=y: the domain was testing DKIM"
                    ));
                }
            }
            Err(e) => {
                lines.push(format!("fail   {what}: {}", escape::text(&e.to_string())));
                for (k, why) in &c.rejected {
                    lines.push(format!(
                        "{pad}key entry {}: {}",
                        self.keys[*k].entry.seq,
                        escape::text(&why.to_string())
                    ));
                }
            }
        }
        if let (Some(x), false) = (c.expires, self.expiry_judged) {
            lines.push(format!(
                "{pad}its expiry (x={x}) is not judged: when the email was first seen is unknown"
            ));
        }
        lines
    }
}
