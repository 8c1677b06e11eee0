//! `witnesses.json`: the witnesses a ledger asks for cosignatures (`prov witnesses add`,
//! `prov cosign`, `prov add --cosign`). Configuration, not evidence: it is not covered by the
//! ledger's signature, and an auditor names the witnesses it trusts itself
//! (`verify-proof --witness`, or a tlog-policy file). Format in `docs/FORMAT.md` section 9.

use crate::error::{Error, Result};
use crate::fsys;
use crate::ledger::Ledger;
use prov_proofs::CosignerVerifier;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

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

#[derive(Serialize, Deserialize)]
struct File {
    format: u32,
    witnesses: Vec<Listed>,
}

#[derive(Serialize, Deserialize)]
struct Listed {
    url: String,
    vkey: String,
}

/// Checks a submission prefix: `http://` or `https://`, a host, no whitespace or control
/// characters, and no trailing `/` (the path `/add-checkpoint` is appended).
///
/// # Errors
/// [`Error::Invalid`] naming what is wrong.
pub fn check_witness_url(url: &str) -> Result<()> {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
        .ok_or_else(|| Error::invalid("witness URL", "must start with http:// or https://"))?;
    if rest.is_empty() || rest.starts_with('/') {
        return Err(Error::invalid("witness URL", "has no host"));
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Error::invalid(
            "witness URL",
            "contains spaces or control characters",
        ));
    }
    if url.ends_with('/') {
        return Err(Error::invalid(
            "witness URL",
            "ends with '/': give the submission prefix without it (…/add-checkpoint is appended)",
        ));
    }
    Ok(())
}

impl Ledger {
    fn witnesses_path(&self) -> PathBuf {
        self.dir.join(WITNESSES_FILE)
    }

    /// The configured witnesses, in the order they were added; none when the file is absent.
    ///
    /// # Errors
    /// [`Error::Damaged`] when the file does not read as section 9 says.
    pub fn witnesses(&self) -> Result<Vec<WitnessConfig>> {
        let path = self.witnesses_path();
        if !fsys::exists(&path) {
            return Ok(Vec::new());
        }
        let damaged = |reason: String| Error::Damaged {
            path: path.clone(),
            offset: None,
            reason,
        };
        let bytes = fsys::read_small(&path, fsys::MAX_CONFIG_BYTES)?;
        let file: File = serde_json::from_slice(&bytes).map_err(|e| damaged(e.to_string()))?;
        if file.format != 1 {
            return Err(damaged(format!(
                "format {} (this prov reads 1)",
                file.format
            )));
        }
        file.witnesses
            .into_iter()
            .map(|w| {
                check_witness_url(&w.url).map_err(|e| damaged(e.to_string()))?;
                let verifier = CosignerVerifier::parse(&w.vkey)
                    .map_err(|e| damaged(format!("{}: {e}", w.vkey)))?;
                Ok(WitnessConfig {
                    url: w.url,
                    verifier,
                })
            })
            .collect()
    }

    /// Adds a witness (or gives a listed key its new URL), writing `witnesses.json` to a
    /// temporary file, fsync'd and renamed into place. Returns whether the key is new.
    /// Takes no lock: two `witnesses add` at once may keep only one of them.
    ///
    /// # Errors
    /// [`Error::Invalid`] for a bad URL, [`Error::Damaged`] for an unreadable file,
    /// [`Error::Io`].
    pub fn add_witness(&self, url: &str, verifier: &CosignerVerifier) -> Result<bool> {
        check_witness_url(url)?;
        let mut list = self.witnesses()?;
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
        let file = File {
            format: 1,
            witnesses: list
                .iter()
                .map(|w| Listed {
                    url: w.url.clone(),
                    vkey: w.verifier.to_vkey(),
                })
                .collect(),
        };
        let text = serde_json::to_string_pretty(&file).unwrap_or_default() + "\n";
        crate::fsys::replace_durably(&self.witnesses_path(), text.as_bytes())?;
        Ok(new)
    }
}
