//! RFC 3161 timestamp tokens kept beside the checkpoints they timestamp:
//! `timestamps/<size>-<id>.tst` holds one TSA's token over the SHA-256 of the note text of
//! the checkpoint of that size (`docs/FORMAT.md` section 10). Like cosignatures (section 9),
//! they are not covered by the ledger's signature and need not be: each is the TSA's own
//! signature, which a verifier checks with the TSA's certificate (`verify-proof --tsa-cert`,
//! or `openssl ts -verify`). `prov timestamp` verifies a token before it stores it.

use crate::error::{Error, Result};
use crate::fsys;
use crate::ledger::Ledger;
use crate::tsa_token::{MAX_TOKEN_BYTES, TokenFacts, read_token};
use prov_proofs::Note;
use sha2::Digest as _;
use std::path::{Path, PathBuf};

pub use crate::tsa_config::{TSAS_FILE, TsaConfig};

/// The folder of timestamp tokens in the ledger folder.
pub const TIMESTAMPS_DIR: &str = "timestamps";

/// A token the ledger holds.
#[derive(Clone, Debug)]
pub struct HeldTimestamp {
    /// The size of the checkpoint it timestamps.
    pub size: u64,
    /// Its file name in `timestamps/`.
    pub file: String,
    /// The token, DER (a CMS ContentInfo).
    pub token: Vec<u8>,
    /// What it states (read, not verified: [`Ledger::evidence`] verifies).
    pub facts: TokenFacts,
}

/// The message imprint of a checkpoint: SHA-256 of its note text (the lines the ledger
/// signed, final `\n` included; no blank line, no signature line).
///
/// # Errors
/// [`Error::Proof`] for a note that does not parse.
pub fn checkpoint_imprint(note: &str) -> Result<[u8; 32]> {
    let parsed = Note::parse(note.as_bytes())?;
    Ok(sha2::Sha256::digest(parsed.text.as_bytes()).into())
}

/// The size a token file is for, when its name is `<size>-<16 hex>.tst`.
fn size_of(name: &str) -> Option<u64> {
    let stem = name.strip_suffix(".tst")?;
    let (size, id) = stem.split_once('-')?;
    let ok = id.len() == 16
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    let n: u64 = size.parse().ok()?;
    (ok && n.to_string() == size).then_some(n)
}

impl Ledger {
    fn timestamps_dir(&self) -> PathBuf {
        self.dir.join(TIMESTAMPS_DIR)
    }

    /// The token files of committed sizes, with their sizes, sorted by size then name.
    pub(crate) fn token_files(&self) -> Vec<(u64, String)> {
        let Ok(list) = std::fs::read_dir(self.timestamps_dir()) else {
            return Vec::new();
        };
        let mut files: Vec<(u64, String)> = list
            .filter_map(|e| {
                let name = e.ok()?.file_name().into_string().ok()?;
                Some((size_of(&name)?, name))
            })
            .filter(|(n, _)| *n <= self.size())
            .collect();
        files.sort();
        files
    }

    fn held(&self, size: u64, file: String) -> Result<HeldTimestamp> {
        let path = self.timestamps_dir().join(&file);
        let token = fsys::read_small(&path, MAX_TOKEN_BYTES as u64)?;
        let facts = read_token(&token).map_err(|e| Error::Damaged {
            path: path.clone(),
            offset: None,
            reason: e.to_string(),
        })?;
        Ok(HeldTimestamp {
            size,
            file,
            token,
            facts,
        })
    }

    /// Every token the ledger holds for a committed checkpoint, by size, then by genTime.
    ///
    /// # Errors
    /// [`Error::Damaged`] for a token file that does not parse; [`Error::Io`].
    pub fn timestamps(&self) -> Result<Vec<HeldTimestamp>> {
        let mut all = self
            .token_files()
            .into_iter()
            .map(|(n, f)| self.held(n, f))
            .collect::<Result<Vec<_>>>()?;
        all.sort_by_key(|t| (t.size, t.facts.gen_time_ms));
        Ok(all)
    }

    /// The tokens of the checkpoint of `size` to carry with its proofs: those that verify
    /// over the checkpoint with a certificate of `tsas.json`, earliest genTime first, then
    /// those that verify only with the certificate they carry (a TSA listed without one),
    /// earliest first. A token that does not verify or read is left out: `verify-proof`
    /// checks the first one, so an intruder's token with an early genTime must never lead.
    ///
    /// # Errors
    /// [`Error::Damaged`] for a checkpoint of the log that does not read.
    pub fn timestamps_at(&self, size: u64) -> Result<Vec<HeldTimestamp>> {
        // A `tsas.json` that does not read lists no certificate (`prov audit` says why).
        let certs: Vec<Vec<u8>> = self
            .tsas()
            .unwrap_or_default()
            .into_iter()
            .filter_map(|t| t.cert)
            .collect();
        let imprint = match self.checkpoint_at(size) {
            Ok(note) => checkpoint_imprint(&note)?,
            Err(Error::NoSuchCheckpoint(_)) => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let mut at: Vec<(bool, HeldTimestamp)> = Vec::new();
        for (n, f) in self.token_files().into_iter().filter(|(n, _)| *n == size) {
            let Ok(t) = self.held(n, f) else { continue };
            let listed = certs
                .iter()
                .filter(|c| crate::tsa_verify::token_names_cert(&t.token, c))
                .any(|c| crate::verify_token(&t.token, &imprint, None, Some(c)).is_ok());
            if listed || crate::verify_token(&t.token, &imprint, None, None).is_ok() {
                at.push((!listed, t));
            }
        }
        at.sort_by_key(|(carried, t)| (*carried, t.facts.gen_time_ms));
        Ok(at.into_iter().map(|(_, t)| t).collect())
    }

    /// Stores a token (already verified by the caller, with the certificate `cert`, DER) for
    /// the checkpoint of `size` as `timestamps/<size>-<first 16 hex digits of SHA-256(cert)>.tst`,
    /// replacing that TSA's token of the size unless that one verifies with the same
    /// certificate and is not later (an earlier token is the better bound on when the
    /// checkpoint existed, so asking a TSA again never loses it): written to a temporary file,
    /// fsync'd, renamed, the folder fsync'd, under an `flock` on `timestamps/`. Returns the
    /// file name, and the genTime of the earlier token kept in its place, if one was.
    ///
    /// # Errors
    /// [`Error::NoSuchCheckpoint`] for a size the ledger never signed; [`Error::Io`].
    pub fn store_timestamp(
        &self,
        size: u64,
        token: &[u8],
        cert: &[u8],
    ) -> Result<(String, Option<u64>)> {
        if size > self.size() {
            return Err(Error::NoSuchCheckpoint(size));
        }
        let imprint = checkpoint_imprint(&self.checkpoint_at(size)?)?;
        let dir = self.timestamps_dir();
        let _lock = crate::fsys::locked_subdir(&self.dir, &dir)?;
        let id = sha2::Sha256::digest(cert);
        let name = format!("{size}-{}.tst", &hex_of(&id)[..16]);
        let path = dir.join(&name);
        let verified = |t: &[u8]| {
            crate::verify_token(t, &imprint, None, Some(cert))
                .ok()
                .map(|f| f.gen_time_ms)
        };
        let held = fsys::exists(&path)
            .then(|| fsys::read_small(&path, MAX_TOKEN_BYTES as u64).ok())
            .flatten()
            .and_then(|t| verified(&t))
            .filter(|&t| verified(token).is_some_and(|n| t <= n));
        if held.is_none() {
            crate::fsys::replace_durably(&path, token)?;
        }
        Ok((name, held))
    }

    /// Copies every token file of a committed size that reads into `bundle/timestamps/`, as
    /// it is (none: no folder).
    ///
    /// # Errors
    /// [`Error::Io`].
    pub(crate) fn bundle_timestamps(&self, bundle: &Path) -> Result<()> {
        // Copied as they are, whether or not they verify: the audit of the bundle says.
        let files = self.token_files();
        if files.is_empty() {
            return Ok(());
        }
        let out = bundle.join(TIMESTAMPS_DIR);
        std::fs::create_dir(&out).map_err(Error::io("create", &out))?;
        for (_, name) in files {
            let path = self.timestamps_dir().join(&name);
            let Ok(token) = fsys::read_small(&path, MAX_TOKEN_BYTES as u64) else {
                continue;
            };
            crate::bundle::write_new(&out.join(&name), |f| std::io::Write::write_all(f, &token))?;
        }
        std::fs::File::open(&out)
            .and_then(|d| d.sync_all())
            .map_err(Error::io("sync", &out))
    }
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_file_names_are_size_dash_sixteen_hex() {
        assert_eq!(size_of("12-0123456789abcdef.tst"), Some(12));
        assert_eq!(size_of("0-0123456789abcdef.tst"), Some(0));
        for bad in [
            "012-0123456789abcdef.tst",
            "12-0123456789ABCDEF.tst",
            "12-0123456789abcde.tst",
            "12-0123456789abcdef.tsr",
            ".12-0123456789abcdef.tst.tmp",
            "x-0123456789abcdef.tst",
        ] {
            assert_eq!(size_of(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_imprint_is_the_sha256_of_the_note_text_without_signatures() {
        let note = "example.com/prov\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n\n\u{2014} example.com/prov rZEdYyy4xEmcjaQuhMqYg6713avbGftGXmPesfXgV6WDQ+PhoXkEYtQygG92Ejge0SVL3y6Q8n/3PFEyxHt0HgSMoAk=\n";
        let text = "example.com/prov\n8\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n";
        let want: [u8; 32] = sha2::Sha256::digest(text.as_bytes()).into();
        assert_eq!(checkpoint_imprint(note).unwrap(), want);
    }
}
