//! tlog-witness `add-checkpoint` (<https://c2sp.org/tlog-witness>, "add-checkpoint"): from a
//! request body to the answer, in the spec's order of checks.
//!
//! 1. The body is an old size line, at most 63 proof lines, a blank line and a signed note
//!    (else 400). The checkpoint's origin must be a log the witness knows (else 404), and a
//!    known key of that origin must have signed it, with no failing signature by a known
//!    key (else 403). Its text must be a checkpoint (else 400; a size-0 checkpoint without
//!    the empty tree's root, 422). The old size must not exceed its size (else 400).
//! 2. Under the log's lock: the old size must be the size of the latest checkpoint the
//!    witness cosigned for that origin, 0 if none (else 409, body `<size>\n`,
//!    `text/x.tlog.size`). From 0 the proof must be empty; at the same size the roots must
//!    be equal; otherwise the RFC 9162 consistency proof must verify (else 422).
//! 3. The checkpoint, with the witness's cosignature added, is stored durably (`state.rs`),
//!    and only then the cosignature line is answered (200).

use crate::error::Error;
use crate::keyfile::WitnessDir;
use crate::state;
use prov_proofs::{Checkpoint, ConsistencyBundle, Note, NoteVerifier};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// The answer to a request: an HTTP status, its content type and body, and one line that
/// says what was done, for the operator's log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    /// The HTTP status code.
    pub status: u16,
    /// The `Content-Type`.
    pub content_type: &'static str,
    /// The body.
    pub body: String,
    /// What was done or refused, on one line.
    pub summary: String,
}

const TEXT: &str = "text/plain; charset=utf-8";

fn refuse(status: u16, why: impl Into<String>) -> Answer {
    let why = why.into();
    Answer {
        status,
        content_type: TEXT,
        body: format!("{why}\n"),
        summary: format!("refused ({status}): {why}"),
    }
}

/// Hook run after a checkpoint is stored and before its cosignature is answered (for crash
/// tests).
pub type AfterPersist = Box<dyn Fn() + Send + Sync>;

/// A witness: its folder, the logs it knows, and one lock per log, so that requests for one
/// log are checked and stored one at a time (tlog-witness: the check of the old size and the
/// update must be atomic).
pub struct Witness {
    dir: WitnessDir,
    logs: Vec<NoteVerifier>,
    locks: Mutex<HashMap<String, Arc<Mutex<()>>>>,
    after_persist: Option<AfterPersist>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock cannot leave a half-written state (the state is a file
    // replaced by rename): the guard is taken over.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Witness {
    /// A witness over an open folder that knows the logs of `logs` (one or more keys per
    /// origin; the key name is the origin). A key given twice is kept once: two verifiers
    /// of one name and key ID would make every note of that log ambiguous, and refused.
    pub fn new(dir: WitnessDir, mut logs: Vec<NoteVerifier>) -> Witness {
        let mut seen = Vec::with_capacity(logs.len());
        logs.retain(|v| {
            let new = !seen.contains(v);
            seen.push(v.clone());
            new
        });
        Witness {
            dir,
            logs,
            locks: Mutex::new(HashMap::new()),
            after_persist: None,
        }
    }

    /// Sets a hook run between storing a checkpoint and answering with its cosignature.
    pub fn set_after_persist(&mut self, hook: Option<AfterPersist>) {
        self.after_persist = hook;
    }

    /// The witness's folder.
    pub fn dir(&self) -> &WitnessDir {
        &self.dir
    }

    fn log_lock(&self, origin: &str) -> Arc<Mutex<()>> {
        lock(&self.locks)
            .entry(origin.to_owned())
            .or_default()
            .clone()
    }

    /// Handles one `add-checkpoint` body at `now` (POSIX seconds, the cosignature's
    /// timestamp), as this module's documentation says. Never panics on any input.
    pub fn add_checkpoint(&self, body: &[u8], now: u64) -> Answer {
        let bundle = match ConsistencyBundle::parse(body) {
            Ok(b) => b,
            Err(e) => return refuse(400, e.to_string()),
        };
        let note = match Note::parse(bundle.checkpoint.as_bytes()) {
            Ok(n) => n,
            Err(e) => return refuse(400, e.to_string()),
        };
        let origin = note.text.split('\n').next().unwrap_or_default().to_owned();
        let keys: Vec<NoteVerifier> = self
            .logs
            .iter()
            .filter(|v| v.name == origin)
            .cloned()
            .collect();
        if keys.is_empty() {
            return refuse(
                404,
                format!("this witness does not witness the log {}", shown(&origin)),
            );
        }
        if let Err(e) = Note::open(bundle.checkpoint.as_bytes(), &keys) {
            return refuse(
                403,
                format!(
                    "the checkpoint of the log {} is not validly signed by its key: {e}",
                    shown(&origin)
                ),
            );
        }
        let cp = match Checkpoint::from_text(&note.text) {
            Ok(cp) => cp,
            Err(e) if note.text.split('\n').nth(1) == Some("0") => {
                return refuse(422, e.to_string());
            }
            Err(e) => return refuse(400, e.to_string()),
        };
        if bundle.old_size > cp.size {
            return refuse(
                400,
                format!(
                    "old size {} is larger than the checkpoint's size {}",
                    bundle.old_size, cp.size
                ),
            );
        }
        let log_lock = self.log_lock(&origin);
        let _held = lock(&log_lock);
        let stored = match state::load(self.dir.dir(), &origin) {
            Ok(s) => s,
            Err(e) => return internal(&origin, e),
        };
        let latest = stored.as_ref().map_or(0, |s| s.checkpoint.size);
        if bundle.old_size != latest {
            return Answer {
                status: 409,
                content_type: "text/x.tlog.size",
                body: format!("{latest}\n"),
                summary: format!(
                    "refused (409): the log {} sent old size {} but the latest cosigned size is {latest}",
                    shown(&origin),
                    bundle.old_size
                ),
            };
        }
        if let Err(why) = consistent(stored.as_ref().map(|s| &s.checkpoint), &bundle, &cp) {
            return refuse(
                422,
                format!("the log {} at size {}: {why}", shown(&origin), cp.size),
            );
        }
        // Kept: the log's signatures it verified, then its own; other lines are dropped, so
        // that the stored note stays within the note limits whatever the request carried.
        let mut cosigned = note;
        cosigned.signatures.retain(|s| {
            keys.iter()
                .any(|k| k.name == s.name && k.key_id == s.key_id)
        });
        match self.dir.signer().cosign(&cosigned.text, now) {
            Ok(line) => cosigned.signatures.push(line),
            Err(e) => return internal(&origin, e.into()),
        }
        if Note::parse(cosigned.to_text().as_bytes()).is_err() {
            return refuse(
                400,
                "the checkpoint is too large to store with a cosignature",
            );
        }
        if let Err(e) = state::store(self.dir.dir(), &origin, &cosigned.to_text()) {
            return internal(&origin, e);
        }
        if let Some(hook) = &self.after_persist {
            hook();
        }
        let line = cosigned
            .signatures
            .last()
            .map(|s| s.to_line())
            .unwrap_or_default();
        Answer {
            status: 200,
            content_type: TEXT,
            body: format!("{line}\n"),
            summary: format!(
                "cosigned the log {} at size {} (from {latest}) at {now}",
                shown(&origin),
                cp.size
            ),
        }
    }

    /// The latest checkpoint cosigned for the log whose origin hashes to `origin_hash`
    /// (tlog-witness, "Monitor Retrieval Mechanism"), with the log's signatures and the
    /// witness's cosignature; 404 when the witness never cosigned one.
    pub fn latest(&self, origin_hash: &str) -> Answer {
        let Some(origin) = self
            .logs
            .iter()
            .map(|v| v.name.clone())
            .find(|o| state::origin_hash(o) == origin_hash)
        else {
            return refuse(404, "no such log");
        };
        let log_lock = self.log_lock(&origin);
        let _held = lock(&log_lock);
        match state::load(self.dir.dir(), &origin) {
            Ok(Some(s)) => Answer {
                status: 200,
                content_type: TEXT,
                body: s.note,
                summary: format!("served the latest checkpoint of the log {}", shown(&origin)),
            },
            Ok(None) => refuse(
                404,
                format!(
                    "no checkpoint of the log {} was cosigned yet",
                    shown(&origin)
                ),
            ),
            Err(e) => internal(&origin, e),
        }
    }
}

/// The consistency checks of step 2, against the stored checkpoint (`None`: never cosigned).
fn consistent(
    stored: Option<&Checkpoint>,
    bundle: &ConsistencyBundle,
    new: &Checkpoint,
) -> std::result::Result<(), String> {
    if bundle.old_size == 0 {
        if !bundle.proof.hashes().is_empty() {
            return Err("a consistency proof from old size 0 must be empty".into());
        }
        return Ok(());
    }
    let Some(old) = stored else {
        return Err("no stored checkpoint for a non-zero old size".into());
    };
    if old.size == new.size {
        if old.root == new.root && !bundle.proof.hashes().is_empty() {
            // The same checkpoint: no fork, only a malformed request (no alarm for the log).
            return Err("a consistency proof between equal sizes must be empty".into());
        }
        if old.root != new.root {
            return Err(format!(
                "same size as the cosigned checkpoint but another root ({} cosigned, {} given): the log forked",
                old.root.to_base64(),
                new.root.to_base64()
            ));
        }
        return Ok(());
    }
    old.tree()
        .verify_consistency(&new.tree(), &bundle.proof)
        .map_err(|e| {
            format!(
                "the consistency proof from size {} does not verify: {e}",
                old.size
            )
        })
}

/// A log's origin as answers and the operator's log show it, in words: as it is, with a
/// character that could change what a terminal shows (a control or bidirectional formatting
/// character) written as `\u{..}`; an empty one said as such.
fn shown(origin: &str) -> String {
    if origin.is_empty() {
        return "with an empty origin".to_owned();
    }
    origin
        .chars()
        .map(|c| {
            let hidden = c.is_control()
                || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}');
            if hidden {
                format!("\\u{{{:x}}}", c as u32)
            } else {
                c.to_string()
            }
        })
        .collect()
}

fn internal(origin: &str, e: Error) -> Answer {
    Answer {
        status: 500,
        content_type: TEXT,
        body: "internal error: the witness could not read or store its state\n".into(),
        summary: format!("failed (500) for the log {}: {e}", shown(origin)),
    }
}
