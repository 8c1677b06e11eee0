//! The independent evidence a ledger holds, checked before it counts: each stored
//! cosignature line (`cosignatures/<size>`, `docs/FORMAT.md` section 9) is verified with a
//! trusted witness key over the note text of the checkpoint of that size, and each stored
//! RFC 3161 token (`timestamps/<size>-<id>.tst`, section 10) with a trusted TSA certificate
//! over that checkpoint's imprint. Whoever can write the ledger folder can write those files;
//! only what verifies bounds an entry's time (`prov check`) or holds the clock back (an
//! append), and `prov audit` reports what does not.
//!
//! Trust comes from the ledger's own configuration (`witnesses.json`, and the certificates of
//! `tsas.json`: a TSA listed without one vouches for nothing) or from the auditor
//! ([`Trust`] built from the keys and certificates it was given).

use crate::cosigned::COSIGNATURES_DIR;
use crate::error::Result;
use crate::ledger::Ledger;
use crate::timestamps::TIMESTAMPS_DIR;
use crate::tsa_token::{MAX_TOKEN_BYTES, read_token};
use prov_proofs::{CosignerVerifier, Note};

/// Whose cosignatures and timestamps count.
#[derive(Clone, Debug, Default)]
pub struct Trust {
    /// The witnesses' cosigner keys.
    pub witnesses: Vec<CosignerVerifier>,
    /// The TSAs' certificates, DER.
    pub tsa_certs: Vec<Vec<u8>>,
}

impl Trust {
    /// The ledger's configuration: the keys of `witnesses.json` and the certificates of
    /// `tsas.json`.
    ///
    /// # Errors
    /// [`crate::Error::Damaged`] when either file does not read as FORMAT.md says.
    pub fn configured(l: &Ledger) -> Result<Trust> {
        Ok(Trust {
            witnesses: l.witnesses()?.into_iter().map(|w| w.verifier).collect(),
            tsa_certs: l.tsas()?.into_iter().filter_map(|t| t.cert).collect(),
        })
    }

    /// [`Trust::configured`] for readers that must answer anyway (`prov check`): a
    /// configuration file that does not read gives no keys of its kind, and its error is
    /// returned beside, to be said.
    pub fn configured_or_none(l: &Ledger) -> (Trust, Vec<crate::Error>) {
        let mut errors = Vec::new();
        let witnesses = l.witnesses().unwrap_or_else(|e| {
            errors.push(e);
            Vec::new()
        });
        let tsas = l.tsas().unwrap_or_else(|e| {
            errors.push(e);
            Vec::new()
        });
        let trust = Trust {
            witnesses: witnesses.into_iter().map(|w| w.verifier).collect(),
            tsa_certs: tsas.into_iter().filter_map(|t| t.cert).collect(),
        };
        (trust, errors)
    }
}

/// The earliest time by which someone other than the ledger vouches an entry existed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndependentBound {
    /// The size of the checkpoint vouched for (greater than the entry's seq).
    pub size: u64,
    /// The time, ms since the Unix epoch.
    pub time_ms: u64,
    /// Who: the TSA (its certificate's subject) or the witness's name.
    pub by: String,
    /// Whether it is a TSA's token (else a witness's cosignature).
    pub timestamp: bool,
}

/// A stored cosignature line or token that does not count, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unverified {
    /// Its file, relative to the ledger folder (`cosignatures/3`, `timestamps/3-<id>.tst`).
    pub file: String,
    /// The size of the checkpoint it is stored for.
    pub size: u64,
    /// Whose it says it is: the witness's name, or the TSA its certificate names.
    pub by: String,
    /// Why it does not count.
    pub why: String,
    /// Whether it is only by a witness or TSA not trusted (else it names a trusted one and
    /// does not verify, or does not read at all).
    pub unknown: bool,
}

/// What a ledger holds, checked ([`Ledger::evidence`]).
#[derive(Clone, Debug, Default)]
pub struct Evidence {
    /// Every cosignature and token that verified, with the size it vouches for.
    pub bounds: Vec<IndependentBound>,
    /// Every one that did not.
    pub unverified: Vec<Unverified>,
}

impl Evidence {
    /// The earliest independent bound on when entry `seq` existed: the earliest verified
    /// token or cosignature of a checkpoint of a size greater than `seq` (one that holds it).
    pub fn for_entry(&self, seq: u64) -> Option<&IndependentBound> {
        self.bounds
            .iter()
            .filter(|b| b.size > seq)
            .min_by_key(|b| (b.time_ms, !b.timestamp))
    }

    /// The stored ones that do not count and would have bounded entry `seq`.
    pub fn unverified_for(&self, seq: u64) -> impl Iterator<Item = &Unverified> {
        self.unverified.iter().filter(move |u| u.size > seq)
    }

    /// The verified one with the latest time (for the clock check of an append).
    pub fn latest(&self) -> Option<&IndependentBound> {
        self.bounds.iter().max_by_key(|b| b.time_ms)
    }
}

/// Where the signed checkpoint of a size comes from: `Ok(Err(why))` when there is none.
pub(crate) type Checkpoints<'a> = &'a dyn Fn(u64) -> Result<std::result::Result<String, String>>;

/// Why a stored cosignature or token of `size` cannot hold.
pub(crate) fn no_checkpoint(size: u64) -> String {
    format!("the ledger never signed a checkpoint of size {size}")
}

impl Ledger {
    /// Every stored cosignature line and token of a committed size, each verified against
    /// `trust` as this module says. A file that does not read is reported, not an error.
    ///
    /// # Errors
    /// [`crate::Error::Damaged`] when a checkpoint of the log cannot be read; I/O errors
    /// listing the folders.
    pub fn evidence(&self, trust: &Trust) -> Result<Evidence> {
        self.evidence_over(trust, &|size| self.checkpoint_note(size))
    }

    /// [`Ledger::evidence`] with the signed checkpoint of each size from `checkpoint` (the
    /// audit has them from its pass over the log), or why there is none.
    pub(crate) fn evidence_over(
        &self,
        trust: &Trust,
        checkpoint: Checkpoints<'_>,
    ) -> Result<Evidence> {
        let mut ev = Evidence::default();
        for size in self.cosignature_sizes() {
            self.check_cosignatures(size, trust, checkpoint, &mut ev)?;
        }
        for (size, name) in self.token_files() {
            self.check_token(size, name, trust, checkpoint, &mut ev)?;
        }
        Ok(ev)
    }

    /// The sizes of the checkpoints that have stored cosignatures or tokens.
    pub(crate) fn evidence_sizes(&self) -> std::collections::HashSet<u64> {
        let mut sizes: std::collections::HashSet<u64> =
            self.cosignature_sizes().into_iter().collect();
        sizes.extend(self.token_files().into_iter().map(|(n, _)| n));
        sizes
    }

    /// The signed checkpoint of `size`, or why there is none.
    fn checkpoint_note(&self, size: u64) -> Result<std::result::Result<String, String>> {
        match self.checkpoint_at(size) {
            Ok(note) => Ok(Ok(note)),
            Err(crate::Error::NoSuchCheckpoint(_)) => Ok(Err(no_checkpoint(size))),
            Err(e) => Err(e),
        }
    }

    fn check_cosignatures(
        &self,
        size: u64,
        trust: &Trust,
        checkpoint: Checkpoints<'_>,
        ev: &mut Evidence,
    ) -> Result<()> {
        let file = format!("{COSIGNATURES_DIR}/{size}");
        let bad = |by: String, why: String, unknown: bool| Unverified {
            file: file.clone(),
            size,
            by,
            why,
            unknown,
        };
        let lines = match self.cosignatures_at(size) {
            Ok(lines) => lines,
            Err(e) => {
                ev.unverified.push(bad(String::new(), e.to_string(), false));
                return Ok(());
            }
        };
        if lines.is_empty() {
            return Ok(());
        }
        let text = match checkpoint(size)? {
            Ok(note) => Note::parse(note.as_bytes())?.text,
            Err(why) => {
                for l in lines {
                    ev.unverified.push(bad(l.name, why.clone(), false));
                }
                return Ok(());
            }
        };
        for line in lines {
            let Some(w) = trust.witnesses.iter().find(|w| w.names(&line)) else {
                let why = format!(
                    "its key {}+{:08x} is not a trusted witness's",
                    line.name, line.key_id
                );
                ev.unverified.push(bad(line.name, why, true));
                continue;
            };
            match w.verify(&text, &line) {
                Ok(c) if c.timestamp > 0 => ev.bounds.push(IndependentBound {
                    size,
                    time_ms: c.timestamp.saturating_mul(1000),
                    by: line.name,
                    timestamp: false,
                }),
                Ok(_) => ev
                    .unverified
                    .push(bad(line.name, "it has no timestamp".into(), false)),
                Err(_) => {
                    let why = format!(
                        "it does not verify over the checkpoint of size {size} with the witness's key (forged, or made for another checkpoint)"
                    );
                    ev.unverified.push(bad(line.name, why, false));
                }
            }
        }
        Ok(())
    }

    fn check_token(
        &self,
        size: u64,
        name: String,
        trust: &Trust,
        checkpoint: Checkpoints<'_>,
        ev: &mut Evidence,
    ) -> Result<()> {
        let file = format!("{TIMESTAMPS_DIR}/{name}");
        let path = self.dir.join(TIMESTAMPS_DIR).join(&name);
        let mut bad = |by: String, why: String, unknown: bool| {
            ev.unverified.push(Unverified {
                file: file.clone(),
                size,
                by,
                why,
                unknown,
            })
        };
        let token = match crate::fsys::read_small(&path, MAX_TOKEN_BYTES as u64) {
            Ok(t) => t,
            Err(e) => {
                bad(String::new(), e.to_string(), false);
                return Ok(());
            }
        };
        let read = read_token(&token);
        let by = read
            .as_ref()
            .map_or_else(|_| String::new(), |f| f.tsa.clone());
        let note = match checkpoint(size)? {
            Ok(note) => note,
            Err(why) => {
                bad(by, why, false);
                return Ok(());
            }
        };
        let imprint = crate::timestamps::checkpoint_imprint(&note)?;
        let named: Vec<&Vec<u8>> = trust
            .tsa_certs
            .iter()
            .filter(|c| crate::tsa_verify::token_names_cert(&token, c))
            .collect();
        if named.is_empty() {
            match read {
                Err(e) => bad(by, e.to_string(), false),
                Ok(_) => bad(
                    by,
                    "it is signed by no trusted TSA certificate".into(),
                    true,
                ),
            }
            return Ok(());
        }
        let mut first_error = None;
        for cert in named {
            match crate::verify_token(&token, &imprint, None, Some(cert)) {
                Ok(f) => {
                    ev.bounds.push(IndependentBound {
                        size,
                        time_ms: f.gen_time_ms,
                        by: f.tsa,
                        timestamp: true,
                    });
                    return Ok(());
                }
                Err(e) => {
                    first_error.get_or_insert(e.to_string());
                }
            }
        }
        bad(by, first_error.unwrap_or_default(), false);
        Ok(())
    }
}
