//! `prov prove` and `prov verify-proof`: offline inclusion proofs, as a C2SP `.tlog-proof`
//! or one JSON object, verified with nothing but the ledger's verifier key.

use crate::failure::{Failure, Result};
use crate::note;
use crate::output::{Out, count, entry_json, rfc3339};
use clap::Args;
use prov_ledger::parse_sha256;
use prov_ledger::{Kind, Ledger, hash_file};
use prov_proofs::{NoteVerifier, TlogProof};
use prov_report::escape;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

#[derive(Args)]
pub struct ProveArgs {
    /// What to prove: a sequence number, a SHA-256, or a file (use ./NAME for a file named by digits)
    pub(crate) target: String,
    /// Write the proof here instead of stdout
    #[arg(short, long)]
    pub(crate) output: Option<PathBuf>,
    /// Prove against the checkpoint issued at this size (`prov checkpoints` lists them)
    /// [default: the latest]
    #[arg(long, value_name = "SIZE")]
    pub(crate) at: Option<u64>,
    /// The ledger's verifier key (the line `prov key` prints, or a file holding it): the
    /// proof is checked against it, as `prov verify-proof` checks it, before it is written,
    /// and refused (exit 7) when it does not verify. Needed with --server, whose answer is
    /// otherwise taken on trust
    #[arg(long, value_name = "KEY")]
    pub(crate) key: Option<String>,
    /// Accepted for scripts of earlier versions, where lookups waited for a running `add`;
    /// they no longer wait
    #[arg(long, hide = true)]
    no_wait: bool,
}

#[derive(Args)]
pub struct VerifyProofArgs {
    /// The proof file (.tlog-proof or JSON), or - for stdin
    file: PathBuf,
    /// The ledger's verifier key: the string from `prov key`, or a file holding it
    #[arg(long)]
    key: String,
    /// Also check that this document is the one the entry records
    #[arg(long)]
    document: Option<PathBuf>,
    #[command(flatten)]
    witnesses: crate::quorum::QuorumArgs,
    /// A TSA's certificate (PEM or DER): also check the RFC 3161 timestamp token of the
    /// proof's checkpoint with it, and say by when the checkpoint existed
    #[arg(long, value_name = "FILE")]
    tsa_cert: Option<PathBuf>,
    /// The timestamp token (or TSA reply) to check [default: the proof's name + .tst, as
    /// `prov prove -o` writes it, or the JSON proof's `timestamps`]
    #[arg(long, value_name = "FILE", requires = "tsa_cert")]
    tsr: Option<PathBuf>,
}

/// Reads a whole input file (or stdin for `-`), refusing anything over 16 MiB.
pub fn read_input(path: &Path, what: &str) -> Result<Vec<u8>> {
    use std::io::Read;
    const LIMIT: u64 = 16 << 20;
    let mut buf = Vec::new();
    let res = if path.as_os_str() == "-" {
        std::io::stdin()
            .lock()
            .take(LIMIT + 1)
            .read_to_end(&mut buf)
    } else {
        open_input(path, what)?
            .take(LIMIT + 1)
            .read_to_end(&mut buf)
    };
    res.map_err(|e| {
        Failure::input(format!(
            "cannot read {what} {}: {e}: check the path",
            path.display()
        ))
    })?;
    if buf.len() as u64 > LIMIT {
        return Err(Failure::input(format!(
            "{} is larger than 16 MiB: not a {what}",
            path.display()
        )));
    }
    Ok(buf)
}

/// Opens an input file (a proof, checkpoint, key or manifest) after checking what it is,
/// without blocking: a regular file, or a pipe (`<(...)`, a FIFO), is read; a folder,
/// device or socket is refused.
pub fn open_input(path: &Path, what: &str) -> Result<std::fs::File> {
    use std::os::unix::fs::FileTypeExt;
    let cannot = |e: std::io::Error| {
        Failure::input(format!(
            "cannot read {what} {}: {e}: check the path",
            path.display()
        ))
    };
    let file = prov_ledger::open_document(path, true).map_err(cannot)?;
    let t = file.metadata().map_err(cannot)?.file_type();
    if t.is_dir() {
        return Err(Failure::input(format!(
            "{} is a folder, not a {what}",
            path.display()
        )));
    }
    if t.is_fifo() {
        // A pipe is read as a pipe: wait for its writer, as `cat` would.
        return std::fs::File::open(path).map_err(cannot);
    }
    if !t.is_file() {
        return Err(Failure::input(format!(
            "{} is a device or socket, not a {what}: give a file",
            path.display()
        )));
    }
    Ok(file)
}

/// Parses a verifier key given as the string itself or as a file holding it.
pub fn parse_key(arg: &str) -> Result<NoteVerifier> {
    if let Ok(v) = NoteVerifier::parse(arg.trim()) {
        return Ok(v);
    }
    let path = Path::new(arg);
    if path.is_file() {
        let text = read_input(path, "verifier key")?;
        let text = String::from_utf8_lossy(&text);
        return NoteVerifier::parse(text.trim()).map_err(|e| {
            Failure::input(format!(
                "{e} (in {}): give the line `prov key` prints",
                path.display()
            ))
        });
    }
    let e = NoteVerifier::parse(arg.trim())
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    Err(Failure::input(format!(
        "{e}: give the line `prov key` prints, or a file holding it"
    )))
}

/// Sorts a proofs-crate error into bad input (3) or a proof that does not hold (1).
pub fn proof_failure(context: &str, e: prov_proofs::Error) -> Failure {
    use prov_proofs::Error as E;
    match e {
        E::MalformedNote(_)
        | E::MalformedCheckpoint(_)
        | E::MalformedTlogProof(_)
        | E::MalformedKey(_)
        | E::MalformedConsistencyText(_)
        | E::ProofBytes(_) => Failure::malformed(context, e),
        e => Failure::negative(format!("{context} does not verify: {e}")),
    }
}

/// Sorts a refused inclusion proof: no entry or a malformed checkpoint or path is bad input
/// (3); any rule that does not hold is a negative answer (1).
fn refused(e: prov_ledger::Error, document: Option<&Path>) -> Failure {
    use prov_ledger::Error as E;
    match e {
        E::ProofWithoutEntry => Failure::input(e.to_string()),
        E::Proof(e) => proof_failure("the proof", e),
        e @ (E::DocumentHash { .. } | E::DocumentSize { .. }) => Failure::negative(format!(
            "{}: {e}",
            document
                .map(|p| p.display().to_string())
                .unwrap_or_default()
        )),
        e => Failure::negative(e.to_string()),
    }
}

/// `prove --key`: the proof `p` of entry `seq` (and of the document `sha256`, when the
/// target was one) verified against `key` as `prov verify-proof` verifies it; `whose` says
/// whose proof it is ("the server's") in the refusal, which is exit 7.
pub fn checked(
    p: &TlogProof,
    key: &NoteVerifier,
    seq: u64,
    sha256: Option<&[u8; 32]>,
    whose: &str,
) -> Result<prov_ledger::VerifiedEntry> {
    let refuse = |why: String| {
        Failure::unverified(format!(
            "{whose} proof of entry {seq} does not verify against --key {}+{:08x} ({why}): nothing was written; check that --key is the ledger's (`prov key` prints it where the ledger is)",
            key.name, key.key_id
        ))
    };
    let proven = prov_ledger::verify_tlog_proof(p, key, None).map_err(|e| refuse(e.to_string()))?;
    if proven.entry.seq != seq {
        return Err(refuse(format!("it proves entry {}", proven.entry.seq)));
    }
    if let Some(sha) = sha256
        && proven.entry.content.sha256 != *sha
    {
        return Err(refuse(format!(
            "the entry records SHA-256 {}, not {}",
            hex::encode(proven.entry.content.sha256),
            hex::encode(sha)
        )));
    }
    Ok(proven)
}

fn resolve(l: &Ledger, target: &str) -> Result<u64> {
    if let Ok(seq) = target.parse::<u64>() {
        return Ok(seq);
    }
    let (sha, what) = match parse_sha256(target) {
        Some(sha) => (sha, format!("SHA-256 {target}")),
        None => {
            let p = Path::new(target);
            if p.is_dir() {
                return Err(Failure::input(format!(
                    "{target} is a folder: prove one document at a time"
                )));
            }
            // hash_file refuses a FIFO, socket or device without waiting on it.
            (
                hash_file(p, &|_| {})
                    .map_err(Failure::from_document)?
                    .sha256,
                target.to_owned(),
            )
        }
    };
    match l.lookup(&sha)?.first() {
        Some(e) => Ok(e.seq),
        None => Err(Failure::negative(format!("{what} is not in this ledger"))),
    }
}

pub fn prove(ledger: &Path, a: ProveArgs, out: Out) -> Result<()> {
    // Nothing here takes the lock: a sequence number needs the log and the tiles, a
    // document the content index too.
    let _ = a.no_wait;
    let l = match a.target.parse::<u64>() {
        Ok(_) => Ledger::open_read_only(ledger)?,
        Err(_) => Ledger::open(ledger)?,
    };
    let seq = resolve(&l, &a.target)?;
    let key = a.key.as_deref().map(parse_key).transpose()?;
    let mut p = l.prove(seq, a.at)?;
    p.checkpoint = l.cosigned_note(&p.checkpoint)?;
    if let Some(key) = &key {
        checked(&p, key, seq, None, "this ledger's")?;
    }
    let size = a.at.unwrap_or(l.size());
    // The RFC 3161 tokens of the checkpoint, earliest first (FORMAT.md section 10).
    let tokens = l.timestamps_at(size)?;
    if tokens.is_empty()
        && let Some(t) = l
            .timestamps()
            .unwrap_or_default()
            .into_iter()
            .find(|t| t.size > seq)
    {
        out.note_with(
            note::Kind::NoTimestamp,
            format!(
                "the checkpoint of size {size} has no RFC 3161 timestamp; the one of size {} has: `prov prove {} --at {}`",
                t.size,
                escape::text(&a.target),
                t.size
            ),
            json!({"size": size, "timestamped_size": t.size}),
        )?;
    }
    let text = if out.json {
        let decoded = prov_ledger::decoded_entry(&p)
            .map(|e| entry_json(&e))
            .unwrap_or(Value::Null);
        let mut v = prov_ledger::inclusion_to_json(&p, decoded)?;
        if !tokens.is_empty() {
            use base64::Engine as _;
            let b64 = |t: &prov_ledger::HeldTimestamp| {
                base64::engine::general_purpose::STANDARD.encode(&t.token)
            };
            v["timestamps"] = tokens.iter().map(b64).collect();
        }
        v.to_string() + "\n"
    } else {
        p.to_text()
    };
    match &a.output {
        Some(path) => {
            std::fs::write(path, &text)
                .map_err(|e| Failure::input(format!("cannot write {}: {e}", path.display())))?;
            let mut v = json!({"what": "inclusion proof", "seq": seq});
            crate::output::set_path(&mut v, path.as_os_str().as_encoded_bytes());
            out.wrote(
                format!("wrote the proof of entry {seq} to {}", path.display()),
                v,
            )?;
            if let (Some(t), false) = (tokens.first(), out.json) {
                let mut side = path.as_os_str().to_owned();
                side.push(".tst");
                let side = PathBuf::from(side);
                std::fs::write(&side, &t.token)
                    .map_err(|e| Failure::input(format!("cannot write {}: {e}", side.display())))?;
                let mut v = json!({"what": "timestamp token", "tsa": t.facts.tsa});
                crate::output::set_path(&mut v, side.as_os_str().as_encoded_bytes());
                out.note_with(
                    note::Kind::Wrote,
                    format!(
                        "wrote the checkpoint's RFC 3161 timestamp token by {} to {}",
                        escape::text(&t.facts.tsa),
                        side.display()
                    ),
                    v,
                )?;
            }
            Ok(())
        }
        None => out.raw(&text),
    }
}

pub fn verify_proof(a: VerifyProofArgs, out: Out) -> Result<()> {
    let v = parse_key(&a.key)?;
    let policy = a.witnesses.policy(&v)?;
    let bytes = read_input(&a.file, "proof")?;
    let proof = if bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{') {
        prov_ledger::inclusion_from_json(&bytes)
            .map_err(|e| Failure::input(format!("JSON proof is malformed: {e}")))?
    } else {
        TlogProof::parse(&bytes).map_err(|e| Failure::malformed("the proof", e))?
    };
    // The proof first: a multi-gigabyte document is hashed only once it could matter.
    let mut proven = prov_ledger::verify_tlog_proof(&proof, &v, None)
        .map_err(|e| refused(e, a.document.as_deref()))?;
    if let Some(p) = &a.document {
        if p.is_dir() {
            return Err(Failure::input(format!(
                "{} is a folder: give the one document the proof is for",
                p.display()
            )));
        }
        let d = hash_file(p, &|_| {}).map_err(Failure::from_document)?;
        proven
            .check_document(&d)
            .map_err(|e| refused(e, a.document.as_deref()))?;
    }
    let witnessed = match &policy {
        Some(p) => Some(crate::quorum::check(p, &proof.checkpoint)?),
        None => None,
    };
    let stamped = match &a.tsa_cert {
        Some(cert) => Some(crate::stamped::check_proof(
            &a.file,
            &bytes,
            a.tsr.as_deref(),
            cert,
            &proof.checkpoint,
        )?),
        None => None,
    };
    let (e, cp) = (proven.entry, proven.checkpoint);
    let document_matches = proven.document_checked.then_some(true);
    if out.json {
        let mut v = json!({
            "verified": true,
            "origin": cp.origin,
            "checkpoint_size": cp.size,
            "root": cp.root.to_base64(),
            "seq": e.seq,
            "sha256": hex::encode(e.content.sha256),
            "size": e.content.size,
            "time": rfc3339(e.time_ms),
            "source": e.source,
            "document_matches": document_matches,
            "entry": entry_json(&e),
        });
        if let Some(w) = &witnessed {
            v["witnesses"] = w.json();
        }
        if let Some(t) = &stamped {
            v["timestamp"] = t.json();
        }
        return out.json(&v);
    }
    out.human(format!(
        "verified: entry {} is in ledger {} at checkpoint size {}",
        e.seq,
        escape::text(&cp.origin),
        cp.size
    ))?;
    out.human(format!(
        "  sha256    {}  ({}){}",
        hex::encode(e.content.sha256),
        count(e.content.size, "byte", "bytes"),
        if document_matches.is_some() {
            "  = the given document"
        } else {
            ""
        }
    ))?;
    if e.is_claim() {
        out.human(format!("  claim     {}", crate::output::claim_line(&e)))?;
    } else {
        out.human(format!("  source    {}", escape::text(&e.source)))?;
    }
    if let Some(n) = &e.content.name {
        out.human(format!("  name      {}", escape::bytes(n)))?;
    }
    for r in e.related.iter().filter(|_| !e.is_claim()) {
        out.human(format!(
            "  related   {} entry {}",
            escape::text(&r.relation),
            r.seq
        ))?;
    }
    if let Some(w) = &witnessed {
        w.show(out)?;
    }
    if let Some(t) = &stamped {
        t.show(out)?;
    }
    match e.kind {
        Kind::FirstSeen => out.human(format!("  first seen by the ledger at {}", rfc3339(e.time_ms))),
        Kind::Sighting { first } => out.human(format!(
            "  seen again at {}; first seen in entry {first} (prove that entry for the first-seen time)",
            rfc3339(e.time_ms)
        )),
        Kind::Claim { about, .. } => {
            out.human(format!(
                "  a claim about entry {about} (the document above is that entry's), recorded by the ledger at {}",
                rfc3339(e.time_ms)
            ))?;
            // A proof is of one entry at one checkpoint: what was recorded after it is not
            // in it (FORMAT.md 6.7, links both ways).
            out.human(format!(
                "  a proof cannot show a later retraction or claim: `prov show {}` or `prov check` on the ledger gives them",
                e.seq
            ))
        }
    }
}
