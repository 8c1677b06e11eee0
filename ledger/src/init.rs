//! Creating a ledger: all or nothing, with modes that do not depend on the umask.

use crate::commit::Commit;
use crate::error::{Error, Result};
use crate::fsys::{self, Io};
use crate::keys;
use crate::ledger::{Config, FORMAT_VERSION, Ledger};
use crate::log::{HEADER_LEN, LogFile, RECORD_CHECKPOINT};
use ed25519_dalek::SigningKey;
use prov_proofs::{Checkpoint, NoteSigner};
use std::fs::File;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};

impl Ledger {
    /// Creates a new ledger in `dir` (which must be absent or empty) with a new key. The
    /// ledger is built in a temporary folder beside `dir` and renamed into place, so an
    /// `init` that is killed or fails leaves `dir` as it was. Modes are set explicitly,
    /// whatever the umask: the folder 0700, `key.pem` 0600, the other files 0644.
    ///
    /// # Errors
    /// [`Error::AlreadyExists`], [`Error::Invalid`] for a bad origin, or I/O errors.
    pub fn init(dir: &Path, origin: &str) -> Result<Ledger> {
        Self::init_with_key(dir, origin, None)
    }

    /// [`Ledger::init`], with the new signing key written to `key_file` (created, mode 0600;
    /// an existing file is never replaced) instead of the folder's `key.pem`: a key kept
    /// apart from the ledger it signs. Every writer then needs that path
    /// ([`Ledger::open_writer_with_key`]).
    ///
    /// # Errors
    /// As [`Ledger::init`]; [`Error::Io`] when `key_file` exists or cannot be created.
    pub fn init_with_key(dir: &Path, origin: &str, key_file: Option<&Path>) -> Result<Ledger> {
        Self::init_with_key_encrypted(dir, origin, key_file, None)
    }

    /// [`Ledger::init_with_key`], with the key file encrypted with `passphrase` when given
    /// (encrypted PKCS#8, see `keys.rs`): every writer then needs the passphrase too
    /// ([`Ledger::open_writer_unlocking`]).
    ///
    /// # Errors
    /// As [`Ledger::init_with_key`]; [`Error::Invalid`] for an empty passphrase.
    pub fn init_with_key_encrypted(
        dir: &Path,
        origin: &str,
        key_file: Option<&Path>,
        passphrase: Option<&str>,
    ) -> Result<Ledger> {
        if passphrase.is_some_and(str::is_empty) {
            return Err(Error::invalid(
                "passphrase",
                "it is empty: give a passphrase, or leave the key unencrypted",
            ));
        }
        if dir.join("ledger.json").exists() {
            return Err(Error::AlreadyExists(dir.to_owned()));
        }
        if dir.exists() {
            let mut entries = std::fs::read_dir(dir).map_err(Error::io("read", dir))?;
            if entries.next().is_some() {
                return Err(Error::invalid(
                    "ledger directory",
                    format!(
                        "{} is not empty: choose a new or empty directory",
                        dir.display()
                    ),
                ));
            }
        }
        if origin.chars().any(char::is_control) {
            return Err(Error::invalid(
                "origin",
                "must not contain control characters",
            ));
        }
        crate::entry_rules::check_recorded_text("origin", origin)?;
        // Everything is validated before anything is written.
        let key = keys::generate_key();
        let signer = NoteSigner::new(origin, key.clone()).map_err(|e| {
            Error::invalid(
                "origin",
                format!("{e}; use a name like archive.example.org/leaks"),
            )
        })?;
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "ledger".into());
        let parent = match dir.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&parent).map_err(Error::io("create", &parent))?;
        let tmp = parent.join(format!(".{name}.prov-init-{}", std::process::id()));
        if fsys::exists(&tmp) {
            std::fs::remove_dir_all(&tmp).map_err(Error::io("remove", &tmp))?;
        }
        if let Some(k) = key_file {
            let real = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_owned());
            let folder = k.parent().map(real);
            if k.starts_with(dir) || folder.is_some_and(|f| f.starts_with(real(dir))) {
                return Err(Error::invalid(
                    "key file",
                    format!(
                        "{} is inside the ledger folder {}: leave out --key-file to keep the key there as key.pem, or choose a path outside it",
                        k.display(),
                        dir.display()
                    ),
                ));
            }
            if fsys::exists(k) {
                return Err(Error::invalid(
                    "key file",
                    format!(
                        "{} already exists: prov never replaces a key; choose a new path",
                        k.display()
                    ),
                ));
            }
            keys::create_key_file(k, &key, passphrase)?;
            // The key's name made durable too: a ledger whose key is lost can sign nothing.
            let folder = match k.parent() {
                Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
                _ => PathBuf::from("."),
            };
            File::open(&folder)
                .and_then(|d| d.sync_all())
                .map_err(Error::io("sync", &folder))?;
        }
        let in_folder = key_file.is_none().then_some(passphrase);
        let built = build_ledger(&tmp, origin, &key, &signer, in_folder).and_then(|()| {
            // rename(2) replaces an empty directory, and refuses a non-empty one.
            std::fs::rename(&tmp, dir).map_err(Error::io("create", dir))?;
            File::open(&parent)
                .and_then(|d| d.sync_all())
                .map_err(Error::io("sync", &parent))
        });
        if let Err(e) = built {
            let _ = std::fs::remove_dir_all(&tmp);
            if let Some(k) = key_file {
                let _ = std::fs::remove_file(k);
            }
            return Err(e);
        }
        let given = || passphrase.map(|p| zeroize::Zeroizing::new(p.to_owned()));
        Ledger::open_writer_unlocking(dir, key_file, &given)
    }
}

/// Writes a new ledger's files into the empty folder `tmp`; `key_in_folder` is `Some` (with the
/// passphrase that encrypts it, if any) when the key is kept there as `key.pem`.
fn build_ledger(
    tmp: &Path,
    origin: &str,
    key: &SigningKey,
    signer: &NoteSigner,
    key_in_folder: Option<Option<&str>>,
) -> Result<()> {
    std::fs::DirBuilder::new()
        .mode(0o700)
        .create(tmp)
        .map_err(Error::io("create", tmp))?;
    let mode = |path: &Path, mode: u32| {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
            .map_err(Error::io("set the mode of", path))
    };
    mode(tmp, 0o700)?;
    let handle = File::open(tmp).map_err(Error::io("open", tmp))?;
    if let Some(passphrase) = key_in_folder {
        keys::create_key_file(&tmp.join("key.pem"), key, passphrase)?;
        mode(&tmp.join("key.pem"), 0o600)?;
    }
    let log = LogFile::create(&tmp.join("entries.log"))?;
    mode(&log.path, 0o644)?;
    let empty = Checkpoint {
        origin: origin.to_owned(),
        size: 0,
        root: prov_proofs::empty_root(),
        extensions: vec![],
    };
    let mut buf = Vec::new();
    crate::log::encode_frame(
        RECORD_CHECKPOINT,
        empty.sign(signer)?.to_text().as_bytes(),
        &mut buf,
    );
    log.write_at_and_sync(HEADER_LEN, &buf, &mut Io::default())?;
    Commit {
        log_length: HEADER_LEN + buf.len() as u64,
        size: 0,
    }
    .write(tmp, &handle)?;
    mode(&tmp.join("COMMIT"), 0o644)?;
    let config = Config {
        format: FORMAT_VERSION,
        origin: origin.to_owned(),
        vkey: signer.verifier().to_vkey(),
    };
    let path = tmp.join("ledger.json");
    let text = serde_json::to_string_pretty(&config).unwrap_or_default() + "\n";
    std::fs::write(&path, text)
        .and_then(|_| File::open(&path)?.sync_all())
        .map_err(Error::io("write", &path))?;
    mode(&path, 0o644)?;
    handle.sync_all().map_err(Error::io("sync", tmp))
}
