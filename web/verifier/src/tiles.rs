//! Proofs built from a published C2SP tlog-tiles tree (`prov publish`, FORMAT.md 7.5), in two
//! passes, since the page fetches and this crate does no I/O: [`plan_entry`] (or
//! [`plan_consistency`](crate::consistency_check::plan_consistency)) says which tiles a proof
//! needs, the page fetches them (a partial tile that is gone is read as its full tile's prefix,
//! as tlog-tiles lets a client do), and the verification builds the proof from the bytes and
//! checks it against the signed checkpoint. Nothing fetched is trusted: a wrong tile gives a
//! proof that does not lead to the signed root.

use crate::error::{Error, Result};
use crate::proof_check::{Document, read_key, read_policy, verify_parsed};
use crate::verdict::{Checks, Failure, Verdict};
use prov_proofs::{
    Checkpoint, InclusionProof, NoteVerifier, TILE_WIDTH, Tile, TileHashReader, TileReader,
    TlogProof, parse_bundle,
};
use serde::Serialize;

/// The checks of an entry proven from tiles, in order (FORMAT.md section 4, with the proof
/// built from the tiles rather than read from a file).
pub const TILE_CHECKS: &[(&str, &str)] = &[
    ("key", "The archive's key is a valid verifier key"),
    ("witness_keys", "The witness keys and quorum can be read"),
    ("checkpoint", "The archive signed the published checkpoint"),
    ("tiles", "The published tiles hold the entry and its proof"),
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

/// One file the page must fetch, relative to the tiles URL.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Fetch {
    /// Its path (`tile/0/x001/234.p/7`, `tile/entries/005`).
    pub path: String,
    /// Its full tile's path, to read the prefix of when a partial one is gone.
    pub full_path: String,
    /// The bytes to keep: the prefix of the full tile that stands for it (0 for a bundle,
    /// which is kept whole).
    pub len: usize,
}

/// What the page fetches for one proof: hash tiles, in this order, and an entry bundle.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Plan {
    /// Hash tiles, whose bytes the page passes back concatenated in this order.
    pub tiles: Vec<Fetch>,
    /// The entry bundle holding the entry, for an entry's proof.
    pub bundle: Option<Fetch>,
}

/// A tile reader that reads nothing and answers with the tiles it was asked for.
pub(crate) struct Recorder;

/// Why a generation through [`Recorder`] stopped.
pub(crate) enum Stop {
    Wanted(Vec<Tile>),
    Proofs(prov_proofs::Error),
}

impl From<prov_proofs::Error> for Stop {
    fn from(e: prov_proofs::Error) -> Self {
        Stop::Proofs(e)
    }
}

impl TileReader for Recorder {
    type Error = Stop;
    fn read_tiles(&self, tiles: &[Tile]) -> std::result::Result<Vec<Vec<u8>>, Stop> {
        Err(Stop::Wanted(tiles.to_vec()))
    }
}

/// The tiles a proof generation reads from a tree of `size` leaves (the generation reads
/// them all in one call, `proofs` `HashReader`).
pub(crate) fn wanted<T>(
    size: u64,
    generate: impl Fn(&TileHashReader<'_, Recorder>) -> std::result::Result<T, Stop>,
) -> Result<Vec<Tile>> {
    match generate(&TileHashReader::new(size, &Recorder)) {
        Ok(_) => Ok(Vec::new()),
        Err(Stop::Wanted(t)) => Ok(t),
        Err(Stop::Proofs(e)) => Err(e.into()),
    }
}

pub(crate) fn fetch_of(t: &Tile) -> Fetch {
    Fetch {
        path: t.path(),
        full_path: t.full().path(),
        len: t.byte_len(),
    }
}

/// The fetched tiles, in the order of a plan.
pub(crate) struct Fetched {
    tiles: Vec<(Tile, Vec<u8>)>,
}

impl Fetched {
    /// Splits the page's concatenated bytes by the lengths of `tiles`.
    pub(crate) fn split(tiles: &[Tile], mut bytes: &[u8]) -> Result<Fetched> {
        let want: usize = tiles.iter().map(Tile::byte_len).sum();
        if bytes.len() != want {
            return Err(Error::Tiles(format!(
                "the fetched tiles are {} bytes, not the {want} bytes of the {} tiles needed",
                bytes.len(),
                tiles.len()
            )));
        }
        let mut out = Vec::with_capacity(tiles.len());
        for t in tiles {
            let (head, rest) = bytes.split_at(t.byte_len());
            out.push((*t, head.to_vec()));
            bytes = rest;
        }
        Ok(Fetched { tiles: out })
    }
}

impl TileReader for Fetched {
    type Error = Error;
    fn read_tiles(&self, tiles: &[Tile]) -> Result<Vec<Vec<u8>>> {
        tiles
            .iter()
            .map(|want| {
                self.tiles
                    .iter()
                    .find(|(t, _)| t == want)
                    .map(|(_, b)| b.clone())
                    .ok_or_else(|| Error::Tiles(format!("tile {} was not fetched", want.path())))
            })
            .collect()
    }
}

/// Opens a checkpoint the reader pasted or the page fetched, as a check of `checks`.
pub(crate) fn open_checkpoint(
    id: &'static str,
    what: &str,
    text: &str,
    key: &NoteVerifier,
    checks: &mut Checks,
) -> std::result::Result<Checkpoint, Failure> {
    let c = Checkpoint::open(text.as_bytes(), key).map_err(|e| {
        let headline = match e {
            prov_proofs::Error::NoTrustedSignature { .. } => {
                format!("The {what} is not signed with the archive key you gave.")
            }
            prov_proofs::Error::BadSignature { .. } => {
                format!(
                    "The archive's signature on the {what} does not verify: it has been altered."
                )
            }
            _ => format!("The {what} is not a checkpoint of this archive's log."),
        };
        Failure::new(id, headline, e)
    })?;
    checks.pass(id, format!("{} entries", c.size));
    Ok(c)
}

/// What to fetch to prove entry `index` under the published `checkpoint`, once its signature
/// is checked. On a bad key or checkpoint, or an entry the log does not have yet, the verdict.
///
/// # Errors
/// The verdict that says what is wrong.
pub fn plan_entry(
    checkpoint: &str,
    key: &str,
    index: u64,
) -> std::result::Result<Plan, Box<Verdict>> {
    let mut checks = Checks::new(TILE_CHECKS);
    match plan_checked(checkpoint, key, index, &mut checks) {
        Ok(plan) => Ok(plan),
        Err(f) => Err(Box::new(checks.fail(f, Vec::new()))),
    }
}

fn plan_checked(
    checkpoint: &str,
    key: &str,
    index: u64,
    checks: &mut Checks,
) -> std::result::Result<Plan, Failure> {
    let key = read_key(key, checks)?;
    let cp = open_checkpoint(
        "checkpoint",
        "published checkpoint",
        checkpoint,
        &key,
        checks,
    )?;
    if index >= cp.size {
        return Err(Failure::new(
            "tiles",
            format!(
                "The archive's log has no entry {index}: it holds {} entries (numbered from 0).",
                cp.size
            ),
            "",
        ));
    }
    let tiles = wanted(cp.size, |r| InclusionProof::generate(r, index, cp.size))
        .map_err(|e| Failure::new("tiles", "The proof cannot be planned.", e))?;
    let bundle = Tile::at(0, index / u64::from(TILE_WIDTH), cp.size).map(|t| Fetch {
        path: t.entries_path(),
        full_path: t.full().entries_path(),
        len: 0,
    });
    Ok(Plan {
        tiles: tiles.iter().map(fetch_of).collect(),
        bundle,
    })
}

/// What the page fetched for an entry's proof, with what the reader gave.
pub struct TilesRequest<'a> {
    /// The published checkpoint, as fetched.
    pub checkpoint: &'a str,
    /// The archive's verifier key.
    pub key: &'a str,
    /// Witness cosigner keys, one a line, or a C2SP tlog-policy text.
    pub witnesses: &'a str,
    /// The witness quorum (0: all, or as the policy says).
    pub quorum: u32,
    /// The entry's number.
    pub index: u64,
    /// The hash tiles of the plan, concatenated in its order.
    pub tiles: &'a [u8],
    /// The entry bundle (partial, or the full one standing for it).
    pub bundle: &'a [u8],
    /// The document, if one was given.
    pub document: Option<Document>,
}

/// Builds entry `index`'s proof from the fetched tiles and bundle and verifies it as a proof
/// file is verified; also returns the proof as a `.tlog-proof` text the reader can keep.
pub fn verify_entry_from_tiles(req: &TilesRequest) -> (Verdict, Option<String>) {
    let mut checks = Checks::new(TILE_CHECKS);
    let inputs = read_key(req.key, &mut checks).and_then(|key| {
        let policy = read_policy(req.witnesses, req.quorum, &key, &mut checks)?;
        let cp = open_checkpoint(
            "checkpoint",
            "published checkpoint",
            req.checkpoint,
            &key,
            &mut checks,
        )?;
        let proof = build_proof(req, &cp).map_err(|e| {
            Failure::new(
                "tiles",
                "The published tiles do not hold a proof of this entry.",
                e,
            )
        })?;
        Ok((key, policy, proof))
    });
    match inputs {
        Ok((key, policy, proof)) => {
            checks.pass("tiles", "");
            let verdict = verify_parsed(&proof, &key, &policy, req.document, checks);
            let text = verdict.ok.then(|| proof.to_text());
            (verdict, text)
        }
        Err(f) => (checks.fail(f, Vec::new()), None),
    }
}

fn build_proof(req: &TilesRequest, cp: &Checkpoint) -> Result<TlogProof> {
    let tiles = wanted(cp.size, |r| InclusionProof::generate(r, req.index, cp.size))?;
    let fetched = Fetched::split(&tiles, req.tiles)?;
    let proof =
        InclusionProof::generate(&TileHashReader::new(cp.size, &fetched), req.index, cp.size)?;
    let entries = parse_bundle(req.bundle)?;
    let at = (req.index % u64::from(TILE_WIDTH)) as usize;
    let entry = entries.get(at).ok_or_else(|| {
        Error::Tiles(format!(
            "the entry bundle holds {} entries, not entry {}",
            entries.len(),
            req.index
        ))
    })?;
    Ok(TlogProof {
        extra: Some(entry.to_vec()),
        index: req.index,
        proof,
        checkpoint: req.checkpoint.to_owned(),
    })
}
