//! Proving that a log only grew between two checkpoints the reader pasted (RFC 9162 section
//! 2.1.4): either with a `prov consistency` text in place of the newer checkpoint (the
//! tlog-witness `add-checkpoint` body, FORMAT.md section 5), offline, or with a proof built
//! from the published tiles (`tiles.rs`).

use crate::display::{count, escape_text};
use crate::proof_check::read_key;
use crate::tiles::{Fetched, Plan, fetch_of, open_checkpoint, wanted};
use crate::verdict::{Checks, Failure, Verdict};
use prov_proofs::{
    Checkpoint, ConsistencyBundle, ConsistencyProof, NoteVerifier, TileHashReader, empty_root,
};

/// The checks of a consistency proof, in order.
pub const CONSISTENCY_CHECKS: &[(&str, &str)] = &[
    ("key", "The archive's key is a valid verifier key"),
    ("old_checkpoint", "The archive signed the older checkpoint"),
    ("new_checkpoint", "The archive signed the newer checkpoint"),
    (
        "consistency",
        "The newer log keeps every entry of the older one, unchanged",
    ),
];

/// Both checkpoints, their signatures checked, and the older one not larger.
fn open_both(
    old: &str,
    new: &str,
    key: &str,
    checks: &mut Checks,
) -> Result<(Checkpoint, Checkpoint), Failure> {
    let key = read_key(key, checks)?;
    let o = open_checkpoint("old_checkpoint", "older checkpoint", old, &key, checks)?;
    let n = open_checkpoint("new_checkpoint", "newer checkpoint", new, &key, checks)?;
    if o.size > n.size {
        return Err(Failure::new(
            "consistency",
            format!(
                "The older checkpoint has more entries ({}) than the newer one ({}): give them the other way round.",
                count(o.size),
                count(n.size)
            ),
            "",
        ));
    }
    Ok((o, n))
}

/// What to fetch to prove that `new` extends `old`; or the verdict when the checkpoints
/// cannot be used.
///
/// # Errors
/// The verdict that says what is wrong.
pub fn plan_consistency(old: &str, new: &str, key: &str) -> Result<Plan, Box<Verdict>> {
    let mut checks = Checks::new(CONSISTENCY_CHECKS);
    let (o, n) = match open_both(old, new, key, &mut checks) {
        Ok(v) => v,
        Err(f) => return Err(Box::new(checks.fail(f, Vec::new()))),
    };
    if o.size == 0 {
        return Ok(Plan {
            tiles: Vec::new(),
            bundle: None,
        });
    }
    match wanted(n.size, |r| ConsistencyProof::generate(r, o.size, n.size)) {
        Ok(tiles) => Ok(Plan {
            tiles: tiles.iter().map(fetch_of).collect(),
            bundle: None,
        }),
        Err(e) => Err(Box::new(checks.fail(
            Failure::new("consistency", "The proof cannot be planned.", e),
            Vec::new(),
        ))),
    }
}

/// Verifies that the newer checkpoint extends the older one, with the proof built from the
/// fetched tiles (concatenated in the order of [`plan_consistency`]).
pub fn verify_consistency_from_tiles(old: &str, new: &str, key: &str, tiles: &[u8]) -> Verdict {
    let mut checks = Checks::new(CONSISTENCY_CHECKS);
    let (o, n) = match open_both(old, new, key, &mut checks) {
        Ok(v) => v,
        Err(f) => return checks.fail(f, Vec::new()),
    };
    let result = if o.size == 0 {
        from_empty(&o)
    } else {
        wanted(n.size, |r| ConsistencyProof::generate(r, o.size, n.size))
            .and_then(|t| Fetched::split(&t, tiles))
            .and_then(|f| {
                ConsistencyProof::generate(&TileHashReader::new(n.size, &f), o.size, n.size)
            })
            .and_then(|p| Ok(o.tree().verify_consistency(&n.tree(), &p)?))
    };
    conclude(checks, &o, &n, result.map_err(|e| e.to_string()))
}

/// The empty tree is a prefix of every tree; an old checkpoint of size 0 must carry its root.
fn from_empty(o: &Checkpoint) -> crate::error::Result<()> {
    if o.root != empty_root() {
        return Err(prov_proofs::Error::MalformedCheckpoint(
            "size is 0 but the root is not the empty tree's",
        )
        .into());
    }
    Ok(())
}

/// Verifies a `prov consistency` text against the older checkpoint, offline.
pub fn verify_consistency_text(old: &str, text: &str, key: &str) -> Verdict {
    let mut checks = Checks::new(CONSISTENCY_CHECKS);
    let key: NoteVerifier = match read_key(key, &mut checks) {
        Ok(k) => k,
        Err(f) => return checks.fail(f, Vec::new()),
    };
    let o = match open_checkpoint("old_checkpoint", "older checkpoint", old, &key, &mut checks) {
        Ok(c) => c,
        Err(f) => return checks.fail(f, Vec::new()),
    };
    let bundle = match ConsistencyBundle::parse(text.as_bytes()) {
        Ok(b) => b,
        Err(e) => {
            let f = Failure::new(
                "new_checkpoint",
                "The consistency proof could not be read.",
                e,
            )
            .because("Paste the text `prov consistency` wrote, or the newer checkpoint itself.");
            return checks.fail(f, Vec::new());
        }
    };
    let n = match open_checkpoint(
        "new_checkpoint",
        "newer checkpoint",
        &bundle.checkpoint,
        &key,
        &mut checks,
    ) {
        Ok(c) => c,
        Err(f) => return checks.fail(f, Vec::new()),
    };
    let result = bundle
        .verify(&o, &key)
        .map(|_| ())
        .map_err(|e| e.to_string());
    conclude(checks, &o, &n, result)
}

fn conclude(
    mut checks: Checks,
    o: &Checkpoint,
    n: &Checkpoint,
    result: Result<(), String>,
) -> Verdict {
    let facts = vec![
        ("Archive".into(), escape_text(&n.origin)),
        ("Older log size".into(), count(o.size)),
        ("Newer log size".into(), count(n.size)),
    ];
    match result {
        Err(e) => {
            let f = Failure::new("consistency", "The newer checkpoint does not extend the older one: the archive's log was changed, not only added to.", e)
                .because("Both checkpoints are signed by the archive, but they describe logs that disagree about entries the older one already held (or the proof has been altered). Keep both checkpoints: together they are evidence that the archive rewrote its log.");
            checks.fail(f, facts)
        }
        Ok(()) => {
            checks.pass("consistency", "");
            let headline = format!(
                "Proven: the archive's log only grew, from {} to {} entries.",
                count(o.size),
                count(n.size)
            );
            let explanation = vec![
                format!(
                    "Every one of the {} entries of the older checkpoint is in the newer one, unchanged and in the same order; nothing was removed or rewritten.",
                    count(o.size)
                ),
                "Everything was checked in this browser.".into(),
            ];
            checks.proven(headline, explanation, Vec::new(), facts)
        }
    }
}
