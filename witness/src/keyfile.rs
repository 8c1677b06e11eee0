//! The witness folder: `witness.json` (format, name, verifier key), `witness.key` (the Ed25519
//! cosigning key, PKCS#8 PEM, mode 0600) and `logs/` (the state, `state.rs`).

use crate::error::{Error, Result};
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey, spki::der::pem::LineEnding};
use prov_proofs::{CosignerSigner, CosignerVerifier};
use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

const CONFIG: &str = "witness.json";
const KEY: &str = "witness.key";
/// The folder of per-log state files.
pub(crate) const LOGS: &str = "logs";
const MAX_SMALL_FILE: u64 = 64 << 10;

#[derive(Serialize, Deserialize)]
struct Config {
    format: u32,
    name: String,
    vkey: String,
}

/// An open witness folder: its cosigner and where its state lives. The folder is locked
/// (`flock`) while this value lives, so one process at a time serves it.
pub struct WitnessDir {
    dir: PathBuf,
    signer: CosignerSigner,
    _lock: File,
}

impl WitnessDir {
    /// Creates a witness folder with a new key: `dir` must not exist or be empty. Returns the
    /// cosigner verifier key (signed-note vkey of type 0x04) to publish.
    ///
    /// # Errors
    /// [`Error::AlreadyExists`], [`Error::Proofs`] for a bad name, [`Error::Io`].
    pub fn init(dir: &Path, name: &str) -> Result<String> {
        let key = SigningKey::generate(&mut rand_core::OsRng);
        let signer = CosignerSigner::new(name, key.clone())?;
        if dir.exists() {
            let mut entries = std::fs::read_dir(dir).map_err(Error::io("read", dir))?;
            if entries.next().is_some() {
                return Err(Error::AlreadyExists(dir.to_owned()));
            }
        } else {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .map_err(Error::io("create", dir))?;
        }
        let pem = key
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|e| Error::NotAWitness {
                path: dir.join(KEY),
                reason: e.to_string(),
            })?;
        write_new(&dir.join(KEY), pem.as_bytes(), 0o600)?;
        let vkey = signer.verifier().to_vkey();
        let config = Config {
            format: 1,
            name: name.to_owned(),
            vkey: vkey.clone(),
        };
        let json = serde_json::to_string_pretty(&config).unwrap_or_default() + "\n";
        write_new(&dir.join(CONFIG), json.as_bytes(), 0o644)?;
        std::fs::DirBuilder::new()
            .mode(0o700)
            .create(dir.join(LOGS))
            .map_err(Error::io("create", &dir.join(LOGS)))?;
        sync_dir(dir)?;
        Ok(vkey)
    }

    /// Opens and locks a witness folder made by [`WitnessDir::init`].
    ///
    /// # Errors
    /// [`Error::InUse`], [`Error::NotAWitness`], [`Error::KeyPermissions`], [`Error::Io`].
    pub fn open(dir: &Path) -> Result<WitnessDir> {
        let lock = File::open(dir).map_err(|e| Error::NotAWitness {
            path: dir.to_owned(),
            reason: format!(
                "{e}: create one with `prov witness init --dir {} --name NAME`",
                dir.display()
            ),
        })?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => return Err(Error::InUse(dir.to_owned())),
            Err(std::fs::TryLockError::Error(e)) => return Err(Error::io("lock", dir)(e)),
        }
        let not = |reason: String| Error::NotAWitness {
            path: dir.to_owned(),
            reason,
        };
        let config: Config = serde_json::from_slice(&read_small(&dir.join(CONFIG))?)
            .map_err(|e| not(format!("{CONFIG}: {e}")))?;
        if config.format != 1 {
            return Err(not(format!(
                "{CONFIG} has format {}, this prov reads 1",
                config.format
            )));
        }
        let key_path = dir.join(KEY);
        // Never through a link: the mode checked is the key file's own, and the key read is
        // the one in this folder.
        let file = open_no_follow(&key_path).map_err(|e| match e.raw_os_error() {
            Some(libc::ELOOP) => not(format!(
                "{KEY} is a symbolic link; keep the key itself in the folder (mode 0600)"
            )),
            _ => Error::io("open", &key_path)(e),
        })?;
        let meta = file.metadata().map_err(Error::io("read", &key_path))?;
        if !meta.file_type().is_file() {
            return Err(not(format!("{KEY} is not a regular file")));
        }
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(Error::KeyPermissions {
                path: key_path,
                mode,
            });
        }
        let mut pem = String::new();
        file.take(MAX_SMALL_FILE)
            .read_to_string(&mut pem)
            .map_err(Error::io("read", &key_path))?;
        let key = SigningKey::from_pkcs8_pem(&pem).map_err(|e| not(format!("{KEY}: {e}")))?;
        let signer = CosignerSigner::new(&config.name, key)?;
        if signer.verifier().to_vkey() != config.vkey {
            return Err(not(format!("{KEY} is not the key {CONFIG} names")));
        }
        if !dir.join(LOGS).is_dir() {
            return Err(not(format!("{LOGS}/ is missing")));
        }
        Ok(WitnessDir {
            dir: dir.to_owned(),
            signer,
            _lock: lock,
        })
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The cosigner's verifier key.
    pub fn verifier(&self) -> &CosignerVerifier {
        self.signer.verifier()
    }

    pub(crate) fn signer(&self) -> &CosignerSigner {
        &self.signer
    }
}

fn write_new(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)
        .map_err(Error::io("create", path))?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .map_err(Error::io("write", path))
}

/// Opens a file of the witness folder for reading, never through a symbolic link (`ELOOP`)
/// and never blocking on a FIFO.
fn open_no_follow(path: &Path) -> std::io::Result<File> {
    OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
}

pub(crate) fn read_small(path: &Path) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    open_no_follow(path)
        .and_then(|f| f.take(MAX_SMALL_FILE).read_to_end(&mut bytes))
        .map_err(Error::io("read", path))?;
    Ok(bytes)
}

/// fsyncs a folder, so that a rename or creation in it survives a power loss.
pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(Error::io("sync", dir))
}
