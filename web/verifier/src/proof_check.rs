//! Verifying a `.tlog-proof` and a document, in the order of FORMAT.md section 4, stopping at
//! the first check that fails, and saying what was proven or what is wrong in plain words.
//! The same rules as `prov verify-proof`, written from the specification alone.

use crate::display::{bytes, count, escape_bytes, escape_text, utc_time};
use crate::entry::{Entry, Kind};
use crate::proof_file::parse_proof;
use crate::verdict::{Checks, Failure, Verdict};
use crate::witnesses::{Witnessed, Witnesses};
use prov_proofs::{Checkpoint, NoteVerifier, TlogProof};

/// The checks of a proof, in the order they are made.
pub const PROOF_CHECKS: &[(&str, &str)] = &[
    ("key", "The archive's key is a valid verifier key"),
    ("witness_keys", "The witness keys and quorum can be read"),
    ("proof_file", "The proof file can be read"),
    ("checkpoint", "The archive signed the proof's checkpoint"),
    ("inclusion", "The entry is in the archive's signed log"),
    ("entry", "The recorded entry is well formed"),
    (
        "entry_position",
        "The entry is at the position the proof names",
    ),
    ("entry_key", "The entry names the archive's key"),
    ("entry_signature", "The archive signed the entry"),
    (
        "document_hash",
        "The document's SHA-256 fingerprint is the recorded one",
    ),
    ("document_size", "The document's size is the recorded one"),
    ("witnesses", "Enough witnesses cosigned the checkpoint"),
];

/// A document as the page measured it: its SHA-256 and its size in bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Document {
    /// SHA-256 of its bytes.
    pub sha256: [u8; 32],
    /// Its size in bytes.
    pub size: u64,
}

/// What the reader gave the page.
pub struct Request<'a> {
    /// The proof file's bytes.
    pub proof: &'a [u8],
    /// The archive's verifier key, as pasted.
    pub key: &'a str,
    /// Witness cosigner keys, one a line, or a C2SP tlog-policy text.
    pub witnesses: &'a str,
    /// How many witnesses must have cosigned (0: all of them, or as the policy says).
    pub quorum: u32,
    /// The document, if one was given and hashed.
    pub document: Option<Document>,
}

/// Verifies a proof file (and a document) under the archive's key; never fails, since a
/// failure is a verdict too.
pub fn verify_proof(req: &Request) -> Verdict {
    let mut checks = Checks::new(PROOF_CHECKS);
    match read_inputs(req, &mut checks) {
        Ok((key, policy, proof)) => verify_parsed(&proof, &key, &policy, req.document, checks),
        Err(f) => checks.fail(f, Vec::new()),
    }
}

/// Reads the key, the witness policy and the proof file: what the reader gave.
pub(crate) fn read_inputs(
    req: &Request,
    checks: &mut Checks,
) -> Result<(NoteVerifier, Option<Witnesses>, TlogProof), Failure> {
    let key = read_key(req.key, checks)?;
    let policy = read_policy(req.witnesses, req.quorum, &key, checks)?;
    let proof = parse_proof(req.proof).map_err(|e| {
        Failure::new("proof_file", "The proof file could not be read.", e).because(
            "It is not a proof made by `prov prove` (a .tlog-proof file, or its JSON form), or it has been damaged.",
        )
    })?;
    checks.pass("proof_file", format!("a proof of entry {}", proof.index));
    Ok((key, policy, proof))
}

/// The archive's verifier key, as pasted (surrounding blank space is ignored).
pub(crate) fn read_key(text: &str, checks: &mut Checks) -> Result<NoteVerifier, Failure> {
    let key = NoteVerifier::parse(text.trim()).map_err(|e| {
        Failure::new("key", "The archive's key you gave is not a verifier key.", e).because(
            "A verifier key is one line such as example.org/archive+1a2b3c4d+AbCd…, published by the archive (`prov key` prints it). Paste the whole line, or pick the file that holds it.",
        )
    })?;
    checks.pass("key", format!("{}+{:08x}", key.name, key.key_id));
    Ok(key)
}

/// The witness keys and quorum, or a tlog-policy text; `None` when none is given.
pub(crate) fn read_policy(
    text: &str,
    quorum: u32,
    key: &NoteVerifier,
    checks: &mut Checks,
) -> Result<Option<Witnesses>, Failure> {
    let witnesses = Witnesses::parse(text, quorum, key).map_err(|e| {
        Failure::new("witness_keys", "A witness key or the quorum you gave cannot be used.", e)
            .because("Witness keys are the cosigner keys the witnesses publish (`prov witness init` prints one; signature type 0x04), one a line, or the text of a C2SP tlog-policy file. The quorum is at most the number of keys. Leave both empty to check no witnesses.")
    })?;
    let detail = match &witnesses {
        None => "none given".to_owned(),
        Some(w) => format!(
            "{} witnesses; quorum: {}",
            w.policy.witnesses.len(),
            w.quorum
        ),
    };
    checks.pass("witness_keys", detail);
    Ok(witnesses)
}

/// Steps 2 to 8 of FORMAT.md section 4, then the witnesses.
pub(crate) fn verify_parsed(
    proof: &TlogProof,
    key: &NoteVerifier,
    policy: &Option<Witnesses>,
    document: Option<Document>,
    mut checks: Checks,
) -> Verdict {
    let Some(leaf) = proof.extra.as_deref() else {
        let f = Failure::new("proof_file", "The proof file does not contain the recorded entry.", "it has no `extra` line")
            .because("A proof without the entry only proves that some data is in the log, not what the archive recorded. Ask the archive for a proof made by `prov prove`.");
        return checks.fail(f, Vec::new());
    };
    let checkpoint = match Checkpoint::open(proof.checkpoint.as_bytes(), key) {
        Ok(c) => c,
        Err(e) => return checks.fail(checkpoint_failure(e, key), Vec::new()),
    };
    checks.pass(
        "checkpoint",
        format!("{}, {} entries", checkpoint.origin, checkpoint.size),
    );
    if let Err(e) =
        checkpoint
            .tree()
            .verify_inclusion(proof.index, &prov_proofs::leaf_hash(leaf), &proof.proof)
    {
        let f = Failure::new("inclusion", "The proof does not show that the entry is in the archive's log.", e)
            .because("The archive's signature is good, but the entry or the path of hashes that links it to the signed log has been altered or damaged. Ask the archive for the proof again.");
        return checks.fail(f, log_facts(&checkpoint, proof.index));
    }
    checks.pass(
        "inclusion",
        format!("entry {} of {}", proof.index, checkpoint.size),
    );
    let entry = match Entry::decode(leaf) {
        Ok(e) => e,
        Err(e) => {
            let f = Failure::new("entry", "The recorded entry inside the proof is malformed.", e)
                .because("It is in the archive's signed log, but it does not follow the entry format (FORMAT.md section 6), so this page cannot say what it records.");
            return checks.fail(f, log_facts(&checkpoint, proof.index));
        }
    };
    checks.pass("entry", "");
    let facts = entry_facts(&checkpoint, &entry);
    if entry.seq != proof.index {
        let f = Failure::new("entry_position", format!("The entry says it is entry {}, but the proof puts it at position {}.", entry.seq, proof.index), "")
            .because("An archive never writes such an entry; the proof has been made or altered by someone else.");
        return checks.fail(f, facts);
    }
    checks.pass("entry_position", "");
    if entry.key_id != key.key_id {
        let f = Failure::new(
            "entry_key",
            "The entry names another key than the archive's.",
            format!(
                "the entry's key ID is {:08x}, the archive key's is {:08x}",
                entry.key_id, key.key_id
            ),
        )
        .because("The archive signs every entry with its own key; this one claims another key.");
        return checks.fail(f, facts);
    }
    checks.pass("entry_key", "");
    if let Err(e) = entry.verify(&key.key) {
        let f = Failure::new(
            "entry_signature",
            "The archive's signature on the entry does not verify.",
            e,
        )
        .because("The entry has been altered or forged after the archive signed it.");
        return checks.fail(f, facts);
    }
    checks.pass("entry_signature", "");
    let recorded = recorded_sentences(&checkpoint, &entry);
    match document {
        Some(d) => {
            if let Err(f) = check_document(&d, &entry, &mut checks, &recorded) {
                return checks.fail(f, facts);
            }
        }
        None => {
            checks.not_checked("document_hash", "no document was given");
            checks.not_checked("document_size", "no document was given");
        }
    }
    let witnessed = match check_witnesses(policy.as_ref(), &proof.checkpoint, &mut checks) {
        Ok(w) => w,
        Err(f) => return checks.fail(f, facts),
    };
    let (headline, mut explanation) = match document {
        Some(_) => (
            format!(
                "Proven: {} by {}.",
                match entry.kind {
                    Kind::Claim { .. } => "a claim about this exact document was recorded",
                    _ => "this exact document was recorded",
                },
                escape_text(&checkpoint.origin)
            ),
            recorded,
        ),
        None => {
            let mut s = recorded;
            s.push("Add the document to check that it is the one recorded.".into());
            ("The proof is valid, but no document was checked.".into(), s)
        }
    };
    let mut facts = facts;
    if let Some(w) = &witnessed {
        explanation.extend(witnessed_sentences(w));
        facts.extend(witness_facts(w));
    }
    explanation.push("Everything was checked in this browser; nothing was sent anywhere.".into());
    checks.proven(headline, explanation, Vec::new(), facts)
}

/// Step 8: the document's SHA-256, then its size.
fn check_document(
    d: &Document,
    entry: &Entry,
    checks: &mut Checks,
    recorded: &[String],
) -> Result<(), Failure> {
    if d.sha256 != entry.sha256 {
        let mut f = Failure::new(
            "document_hash",
            "This is not the recorded document: its SHA-256 fingerprint differs from the one the archive recorded.",
            format!("the document's SHA-256 is {}, the entry's is {}", hex::encode(d.sha256), hex::encode(entry.sha256)),
        )
        .because("The proof itself is valid. Even a one-byte change to a document gives it another fingerprint, so the document you gave is not the one this proof is about, or it has been changed.")
        .because("The proof is about this recorded document:");
        f.explanation.extend(recorded.iter().cloned());
        return Err(f);
    }
    checks.pass("document_hash", hex::encode(d.sha256));
    if d.size != entry.size {
        let f = Failure::new(
            "document_size",
            "This is not the recorded document: it has the recorded fingerprint but another size.",
            format!(
                "the document is {} bytes, the entry records {}",
                d.size, entry.size
            ),
        );
        return Err(f);
    }
    checks.pass("document_size", bytes(d.size));
    Ok(())
}

/// The witnesses' check: every cosignature line of a named witness must verify, and the
/// quorum must be met. `None` when no witness was named.
fn check_witnesses(
    policy: Option<&Witnesses>,
    note: &str,
    checks: &mut Checks,
) -> Result<Option<Witnessed>, Failure> {
    let Some(policy) = policy else {
        checks.not_checked("witnesses", "no witness keys were given");
        return Ok(None);
    };
    let w = policy.check(note).map_err(|e| {
        let who = match &e {
            crate::Error::Proofs(prov_proofs::Error::BadSignature { name, .. }) => {
                format!("the witness {}", escape_text(name))
            }
            _ => "a witness you named".to_owned(),
        };
        Failure::new(
            "witnesses",
            format!("The cosignature of {who} on the archive's checkpoint does not verify."),
            e,
        )
        .because(format!("The proof carries a cosignature line in the name of {who}, but it is not that witness's signature on this checkpoint: the line, or the checkpoint, was altered after the witness signed."))
        .because("The archive's own signatures may be fine, but a forged or damaged cosignature makes the whole checkpoint untrustworthy. Ask the archive for the proof again.")
    })?;
    let cosigned = cosigned_list(&w);
    if !w.met {
        let named = w.cosignatures.len() + w.missing.len();
        let missing: Vec<String> = w.missing.iter().map(|m| escape_text(&m.name)).collect();
        let f = Failure::new(
            "witnesses",
            "Not enough witnesses cosigned the archive's checkpoint: the quorum you asked for is not met.",
            format!(
                "cosigned by {} of the {named} trusted witnesses; not by {}; quorum: {}",
                w.cosignatures.len(),
                missing.join(", "),
                policy.quorum
            ),
        )
        .because(format!(
            "You asked for {}. Of the {named} witnesses you named, {} cosigned this checkpoint{}.",
            policy.quorum,
            count(w.cosignatures.len() as u64),
            if cosigned.is_empty() {
                String::new()
            } else {
                format!(": {}", cosigned.join(", "))
            }
        ))
        .because(format!(
            "No valid cosignature from {} is in the proof.",
            missing.join(", nor from ")
        ))
        .because("Without enough witnesses, nothing independent of the archive shows when its log, and this entry, existed. Ask the archive for a proof made after its witnesses cosigned (`prov cosign`), or check the witness keys you gave.");
        return Err(f);
    }
    let mut detail = cosigned.join("; ");
    if let Some(by) = w.by {
        detail.push_str(&format!(
            "; existed by {}",
            utc_time(by.saturating_mul(1000))
        ));
    }
    checks.pass("witnesses", detail);
    Ok(Some(w))
}

/// `NAME on TIME` for each cosignature.
fn cosigned_list(w: &Witnessed) -> Vec<String> {
    w.cosignatures
        .iter()
        .map(|c| {
            format!(
                "{} on {}",
                escape_text(&c.name),
                utc_time(c.timestamp.saturating_mul(1000))
            )
        })
        .collect()
}

/// What the witnesses proved, in sentences.
fn witnessed_sentences(w: &Witnessed) -> Vec<String> {
    let cosigned = cosigned_list(w);
    let mut out = Vec::new();
    if cosigned.is_empty() {
        out.push(
            "No witness cosignature was required, and none of the witnesses you named cosigned."
                .into(),
        );
    } else {
        out.push(format!(
            "The checkpoint was cosigned by {} of the witnesses you named: {}.",
            count(cosigned.len() as u64),
            cosigned.join(", and ")
        ));
    }
    if let Some(by) = w.by {
        out.push(format!(
            "So the checkpoint, and this entry in it, existed by {} at the latest: the witnesses are independent of the archive, and each cosigned only a history that extends the one it saw before.",
            utc_time(by.saturating_mul(1000))
        ));
    }
    out
}

/// The cosignatures, for the table under the verdict.
fn witness_facts(w: &Witnessed) -> Vec<(String, String)> {
    let mut f: Vec<(String, String)> = w
        .cosignatures
        .iter()
        .map(|c| {
            (
                "Cosigned by".to_owned(),
                format!(
                    "{} on {}",
                    escape_text(&c.name),
                    utc_time(c.timestamp.saturating_mul(1000))
                ),
            )
        })
        .collect();
    if let Some(by) = w.by {
        f.push(("Existed by".into(), utc_time(by.saturating_mul(1000))));
    }
    f
}

fn checkpoint_failure(e: prov_proofs::Error, key: &NoteVerifier) -> Failure {
    use prov_proofs::Error as E;
    let name = escape_text(&key.name);
    match &e {
        E::NoTrustedSignature { .. } => Failure::new("checkpoint", "The proof is not signed with the archive key you gave.", &e)
            .because(format!("Either the key is not the one {name} published, or the proof does not come from that archive. Check that you have the key the archive published.")),
        E::BadSignature { .. } => Failure::new("checkpoint", "The archive's signature on the proof's checkpoint does not verify: the checkpoint has been altered.", &e)
            .because("A checkpoint is the archive's signed statement of its whole log; this one was changed after it was signed."),
        E::WrongOrigin { got, .. } => Failure::new("checkpoint", format!("The proof's checkpoint names another archive ({}) than the key you gave ({name}).", escape_text(got)), &e),
        _ => Failure::new("checkpoint", "The proof's checkpoint (the archive's signed statement of its log) is damaged.", &e),
    }
}

/// What the entry records, in sentences.
fn recorded_sentences(checkpoint: &Checkpoint, entry: &Entry) -> Vec<String> {
    let archive = escape_text(&checkpoint.origin);
    let when = utc_time(entry.time_ms);
    let source = escape_text(&entry.source);
    let mut out = vec![match entry.kind {
        Kind::FirstSeen => format!("{archive} first saw it on {when}, from {source}."),
        Kind::Sighting(first) => format!(
            "{archive} saw it on {when}, from {source}. That was not the first time: entry {} records when it first saw this content.",
            count(first)
        ),
        Kind::Claim { about, verdict } => format!(
            "{archive} recorded on {when} a claim by {source}: entry {} is {verdict}{}.",
            count(about),
            if verdict == "retracted" {
                " (that claim is withdrawn)"
            } else {
                ""
            }
        ),
    }];
    out.push(format!(
        "The document is {}, with SHA-256 fingerprint {}.",
        bytes(entry.size),
        hex::encode(entry.sha256)
    ));
    out.push(format!(
        "This is entry {} of the archive's log, which held {} entries when the archive signed the checkpoint in this proof.",
        count(entry.seq),
        count(checkpoint.size)
    ));
    out
}

fn log_facts(checkpoint: &Checkpoint, index: u64) -> Vec<(String, String)> {
    vec![
        ("Archive".into(), escape_text(&checkpoint.origin)),
        ("Entry".into(), count(index)),
        ("Log size".into(), count(checkpoint.size)),
    ]
}

/// Every recorded field, for the table under the verdict.
pub(crate) fn entry_facts(checkpoint: &Checkpoint, e: &Entry) -> Vec<(String, String)> {
    let mut f = log_facts(checkpoint, e.seq);
    f.push(("Recorded at".into(), utc_time(e.time_ms)));
    f.push((
        "Kind".into(),
        match e.kind {
            Kind::FirstSeen => "first seen".into(),
            Kind::Sighting(first) => format!("seen again (first seen in entry {})", count(first)),
            Kind::Claim { about, verdict } => {
                format!("claim: {verdict} about entry {}", count(about))
            }
        },
    ));
    let by = match e.kind {
        Kind::Claim { .. } => "Claimed by",
        _ => "Source",
    };
    f.push((by.into(), escape_text(&e.source)));
    f.push(("SHA-256".into(), hex::encode(e.sha256)));
    f.push(("Size".into(), bytes(e.size)));
    if let Some(n) = &e.name {
        f.push(("Name".into(), escape_bytes(n)));
    }
    if let Some(m) = &e.media_type {
        f.push(("Media type".into(), escape_text(m)));
    }
    if let Some(a) = &e.agent {
        f.push(("Recorded by".into(), escape_text(a)));
    }
    for (alg, value) in &e.digests {
        f.push((escape_text(alg), hex::encode(value)));
    }
    for (k, v) in &e.metadata {
        f.push((format!("Metadata: {}", escape_text(k)), escape_text(v)));
    }
    for (rel, seq) in &e.related {
        f.push((
            "Related".into(),
            format!("{} entry {}", escape_text(rel), count(*seq)),
        ));
    }
    f
}
