//! Results on stdout (human lines or JSON), progress on stderr, time and entry rendering.

use crate::escape;
use crate::failure::Result;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use prov_ledger::{Entry, Kind};
use serde_json::{Value, json};
use std::io::Write;
use std::time::{Duration, UNIX_EPOCH};

/// Global output settings.
#[derive(Clone, Copy)]
pub struct Out {
    pub json: bool,
    pub quiet: bool,
    /// With `json`: the command's output is JSON Lines, so notes are records in it (see
    /// `note.rs`); otherwise it is one JSON object and notes go to stderr.
    pub stream: bool,
}

impl Out {
    /// One result line on stdout (a broken pipe ends the command quietly).
    pub fn line(&self, s: impl AsRef<str>) -> Result<()> {
        let mut o = std::io::stdout().lock();
        o.write_all(s.as_ref().as_bytes())?;
        o.write_all(b"\n")?;
        Ok(())
    }

    /// Raw text on stdout, as is.
    pub fn raw(&self, s: &str) -> Result<()> {
        std::io::stdout().lock().write_all(s.as_bytes())?;
        Ok(())
    }

    /// One JSON object on one line.
    pub fn json(&self, v: &Value) -> Result<()> {
        self.line(v.to_string())
    }

    /// A human line, unless --json or -q.
    pub fn human(&self, s: impl AsRef<str>) -> Result<()> {
        if self.json || self.quiet {
            return Ok(());
        }
        self.line(s)
    }

    /// A progress bar on stderr: drawn only on a terminal, never with -q or --json (whose
    /// stderr holds only JSON objects, even on a terminal).
    pub fn progress(&self, total: u64, template: &str) -> ProgressBar {
        if self.quiet || self.json {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar
    }
}

/// `prov: LINE` on stderr, escaped as one line. A stderr that cannot be written (closed,
/// full) is ignored: there is nowhere left to say anything, and the exit code still tells.
pub fn stderr_line(s: &str) {
    let line = format!("prov: {}\n", escape::text(s));
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}

/// A count with its noun: `1 entry`, `2 entries`, `0 entries`.
pub fn count(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// RFC 3339 UTC with milliseconds.
pub fn rfc3339(ms: u64) -> String {
    // RFC 3339 ends at 9999-12-31T23:59:59.999Z; beyond it (only a signer could write such
    // an entry) say the raw number rather than overflow.
    const MAX_MS: u64 = 253_402_300_799_999;
    match UNIX_EPOCH.checked_add(Duration::from_millis(ms)) {
        Some(t) if ms <= MAX_MS => humantime::format_rfc3339_millis(t).to_string(),
        _ => format!("{ms} ms after 1970-01-01T00:00:00Z"),
    }
}

/// The current time in ms since the Unix epoch: the time `add` records.
///
/// # Errors
/// A clock before 1970 (exit 5): no time it gives can be recorded.
pub fn now_ms() -> Result<u64> {
    Ok(prov_ledger::system_time_ms()?)
}

/// A file name for JSON: UTF-8 as is, anything else lossily with its hex alongside.
pub fn name_json(name: &[u8]) -> String {
    String::from_utf8_lossy(name).into_owned()
}

/// A path for JSON: its text (lossy where it is not UTF-8) in `path`, and, when it is not
/// UTF-8, its exact bytes in hex in `path_hex` (as `name_hex` beside an entry's `name`).
pub fn set_path(v: &mut Value, path: &[u8]) {
    set_path_as(v, "path", path);
}

/// [`set_path`] under another key (`dir`, with `dir_hex`).
pub fn set_path_as(v: &mut Value, key: &str, path: &[u8]) {
    v[key] = Value::String(String::from_utf8_lossy(path).into_owned());
    if std::str::from_utf8(path).is_err() {
        v[format!("{key}_hex")] = Value::String(hex::encode(path));
    }
}

/// What a walk passed over, said where its documents are: with `--json`, a record in the
/// stream on stdout (`{"path": ..., "skipped": WHY}`, and `path_hex` when the path is not
/// UTF-8); otherwise a note on stderr.
pub fn skipped(out: &Out, skipped: &[(std::path::PathBuf, &str)]) -> Result<()> {
    use std::os::unix::ffi::OsStrExt;
    for (p, why) in skipped {
        if out.json {
            let mut v = json!({"skipped": why});
            set_path(&mut v, p.as_os_str().as_bytes());
            out.json(&v)?;
        } else {
            out.words(format!("skipped {}: {why}", p.display()));
        }
    }
    Ok(())
}

/// An entry as JSON, every field decoded.
pub fn entry_json(e: &Entry) -> Value {
    let (kind, first) = match e.kind {
        Kind::FirstSeen => ("first_seen", Some(e.seq)),
        Kind::Sighting { first } => ("sighting", Some(first)),
        Kind::Claim { .. } => ("claim", None),
    };
    let mut v = json!({
        "seq": e.seq,
        "kind": kind,
        "first_seen_seq": first,
        "time": rfc3339(e.time_ms),
        "time_ms": e.time_ms,
        "sha256": hex::encode(e.content.sha256),
        "size": e.content.size,
        "name": e.content.name.as_deref().map(name_json),
        "media_type": e.content.media_type,
        "digests": e.content.digests.iter().map(|(k, v)| (k.clone(), Value::String(hex::encode(v)))).collect::<serde_json::Map<_, _>>(),
        "source": e.source,
        "agent": e.agent,
        "metadata": e.metadata,
        "related": e.related.iter().map(|r| json!({"relation": r.relation, "seq": r.seq})).collect::<Vec<_>>(),
        "prev": e.prev.to_hex(),
        "leaf_hash": e.leaf_hash().ok().map(|h| h.to_hex()),
        "key_id": format!("{:08x}", e.key_id),
        "signature": STANDARD.encode(e.signature),
    });
    if let Some(name) = &e.content.name
        && std::str::from_utf8(name).is_err()
    {
        v["name_hex"] = Value::String(hex::encode(name));
    }
    if let Some(c) = claim_json(e) {
        v["claim"] = c;
    }
    v
}

/// What a claim entry says, for `--json`: `about`, `verdict`, `by`, `reason` (or null) and
/// `evidence` (seqs); `None` for an entry that is not a claim.
pub fn claim_json(e: &Entry) -> Option<Value> {
    let Kind::Claim { about, verdict } = e.kind else {
        return None;
    };
    Some(json!({
        "about": about,
        "verdict": verdict.as_str(),
        "by": e.source,
        "reason": e.metadata.get(prov_ledger::CLAIM_REASON),
        "evidence": evidence(e),
    }))
}

/// A claim's evidence: the seqs of its `evidence` links.
pub fn evidence(e: &Entry) -> Vec<u64> {
    e.related
        .iter()
        .filter(|r| r.relation == prov_ledger::EVIDENCE)
        .map(|r| r.seq)
        .collect()
}

/// A claim for people, on one line: `forged, by X, at TIME: "REASON"; evidence entries 3, 4`.
pub fn claim_line(e: &Entry) -> String {
    let Kind::Claim { verdict, .. } = e.kind else {
        return String::new();
    };
    let mut s = format!(
        "{}, by {}, at {}",
        verdict.as_str(),
        escape::text(&e.source),
        rfc3339(e.time_ms)
    );
    if let Some(r) = e.metadata.get(prov_ledger::CLAIM_REASON) {
        s += &format!(": \"{}\"", escape::text(r));
    }
    let ev = evidence(e);
    if !ev.is_empty() {
        let list: Vec<String> = ev.iter().map(u64::to_string).collect();
        s += &format!(
            "; evidence {} {}",
            if ev.len() == 1 { "entry" } else { "entries" },
            list.join(", ")
        );
    }
    s
}

/// An entry for people, several lines.
pub fn entry_text(e: &Entry) -> String {
    let kind = match e.kind {
        Kind::FirstSeen => "first seen".to_owned(),
        Kind::Sighting { first } => format!("sighting of entry {first}"),
        Kind::Claim { about, verdict } => {
            format!("claim: {} about entry {about}", verdict.as_str())
        }
    };
    let mut s = format!(
        "entry {}\n  kind        {kind}\n  recorded    {}\n  sha256      {}\n  size        {}\n  {}      {}\n",
        e.seq,
        rfc3339(e.time_ms),
        hex::encode(e.content.sha256),
        count(e.content.size, "byte", "bytes"),
        if e.is_claim() { "by    " } else { "source" },
        escape::text(&e.source)
    );
    if let Some(n) = &e.content.name {
        s += &format!("  name        {}\n", escape::bytes(n));
    }
    if let Some(m) = &e.content.media_type {
        s += &format!("  media type  {}\n", escape::text(m));
    }
    if let Some(a) = &e.agent {
        s += &format!("  agent       {}\n", escape::text(a));
    }
    for (k, v) in &e.content.digests {
        s += &format!("  {:<11} {}\n", escape::text(k), hex::encode(v));
    }
    for (k, v) in &e.metadata {
        s += &format!("  meta        {}={}\n", escape::text(k), escape::text(v));
    }
    for r in &e.related {
        s += &format!(
            "  related     {} entry {}\n",
            escape::text(&r.relation),
            r.seq
        );
    }
    // Entries shown were decoded, so they always encode; say so if one ever does not.
    let leaf = e
        .leaf_hash()
        .map_or_else(|err| format!("(none: {err})"), |h| h.to_hex());
    s += &format!("  leaf hash   {leaf}");
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn counts_say_one_thing_in_the_singular() {
        assert_eq!(super::count(1, "entry", "entries"), "1 entry");
        assert_eq!(super::count(0, "entry", "entries"), "0 entries");
        assert_eq!(super::count(2, "byte", "bytes"), "2 bytes");
    }

    #[test]
    fn times_format_as_rfc3339_and_never_overflow() {
        assert_eq!(
            super::rfc3339(1_767_225_600_123),
            "2026-01-01T00:00:00.123Z"
        );
        assert_eq!(super::rfc3339(0), "1970-01-01T00:00:00.000Z");
        assert!(super::rfc3339(u64::MAX).starts_with("18446744073709551615 ms"));
    }
}
