//! `witnesses.json`: the witnesses a ledger asks for cosignatures (`prov witnesses add`,
//! `prov cosign`, `prov add --cosign`). Configuration, not evidence: it is not covered by the
//! ledger's signature, and an auditor names the witnesses it trusts itself
//! (`verify-proof --witness`, or a tlog-policy file). Format in `docs/FORMAT.md` section 9.

use crate::error::{Error, Result};
use crate::ledger::Ledger;
use prov_proofs::CosignerVerifier;
use serde::{Deserialize, Serialize};

/// The configuration file's name in the ledger folder.
pub const WITNESSES_FILE: &str = "witnesses.json";

/// A witness the ledger asks for cosignatures.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WitnessConfig {
    /// Its submission prefix (`POST <url>/add-checkpoint`).
    pub url: String,
    /// Its cosigner key.
    pub verifier: CosignerVerifier,
}

/// Checks a submission prefix: `http://` or `https://`, a host, no whitespace or control
/// characters, and no trailing `/` (the path `/add-checkpoint` is appended).
///
/// # Errors
/// [`Error::Invalid`] naming what is wrong.
pub fn check_witness_url(url: &str) -> Result<()> {
    crate::config_file::check_url("witness URL", url)?;
    if url.ends_with('/') {
        return Err(Error::invalid(
            "witness URL",
            "ends with '/': give the submission prefix without it (…/add-checkpoint is appended)",
        ));
    }
    Ok(())
}

/// A witness as `witnesses.json` lists it.
#[derive(Serialize, Deserialize)]
struct Listed {
    url: String,
    vkey: String,
}

impl Listed {
    fn checked(self, path: &std::path::Path) -> Result<WitnessConfig> {
        let damaged = |reason: String| Error::Damaged {
            path: path.to_owned(),
            offset: None,
            reason,
        };
        check_witness_url(&self.url).map_err(|e| damaged(e.to_string()))?;
        let verifier = CosignerVerifier::parse(&self.vkey)
            .map_err(|e| damaged(format!("{}: {e}", self.vkey)))?;
        Ok(WitnessConfig {
            url: self.url,
            verifier,
        })
    }
}

impl Ledger {
    /// The configured witnesses, in the order they were added; none when the file is absent.
    ///
    /// # Errors
    /// [`Error::Damaged`] when the file does not read as section 9 says.
    pub fn witnesses(&self) -> Result<Vec<WitnessConfig>> {
        let path = self.dir.join(WITNESSES_FILE);
        crate::config_file::load::<Listed>(&path, "witnesses")?
            .into_iter()
            .map(|l| l.checked(&path))
            .collect()
    }

    /// Adds a witness (or gives a listed key its new URL), rewriting `witnesses.json` whole
    /// under the ledger's writer lock, so that two at once both stay. Returns whether the key
    /// is new.
    ///
    /// # Errors
    /// [`Error::Invalid`] for a bad URL or a key whose name and key ID another key has,
    /// [`Error::Damaged`] for an unreadable file, [`Error::InUse`] while a writer runs,
    /// [`Error::Io`].
    pub fn add_witness(&self, url: &str, verifier: &CosignerVerifier) -> Result<bool> {
        check_witness_url(url)?;
        let path = self.dir.join(WITNESSES_FILE);
        self.change_config(WITNESSES_FILE, "witnesses", |listed: Vec<Listed>| {
            let mut list = listed
                .into_iter()
                .map(|l| l.checked(&path))
                .collect::<Result<Vec<_>>>()?;
            let new = match list.iter_mut().find(|w| w.verifier == *verifier) {
                Some(w) => {
                    w.url = url.to_owned();
                    false
                }
                None => {
                    if list.iter().any(|w| {
                        w.verifier.name == verifier.name && w.verifier.key_id == verifier.key_id
                    }) {
                        return Err(Error::invalid(
                            "witness key",
                            "another key with the same name and key ID is listed",
                        ));
                    }
                    list.push(WitnessConfig {
                        url: url.to_owned(),
                        verifier: verifier.clone(),
                    });
                    true
                }
            };
            let out = list
                .iter()
                .map(|w| Listed {
                    url: w.url.clone(),
                    vkey: w.verifier.to_vkey(),
                })
                .collect();
            Ok((out, new))
        })
    }
}
