//! The ledger's Ed25519 signing key: PKCS#8 PEM, mode 0600, refused when others can read it.

use crate::error::{Error, Result};
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey, spki::der::pem::LineEnding};
use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// A new key from the OS's random source.
pub fn generate_key() -> SigningKey {
    SigningKey::generate(&mut rand_core::OsRng)
}

/// Writes `key` to a new file, mode 0600.
///
/// # Errors
/// [`Error::Io`] when the file exists or cannot be written.
pub fn create_key_file(path: &Path, key: &SigningKey) -> Result<()> {
    let pem = key
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| Error::KeyInvalid {
            path: path.to_owned(),
            reason: e.to_string(),
        })?;
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(Error::io("create", path))?;
    f.write_all(pem.as_bytes())
        .and_then(|_| f.sync_all())
        .map_err(Error::io("write", path))?;
    Ok(())
}

/// Loads the key (a regular file, never followed as a link), refusing a file that group or
/// others can read or write.
///
/// # Errors
/// [`Error::KeyPermissions`], [`Error::KeyInvalid`], [`Error::Damaged`] or [`Error::Io`].
pub fn load_key_file(path: &Path) -> Result<SigningKey> {
    // A link or FIFO where the key should be is a key that cannot be used, not ledger damage.
    let file = crate::fsys::open_regular(path, false).map_err(|e| match e {
        Error::Damaged { reason, .. } => Error::KeyInvalid {
            path: path.to_owned(),
            reason: format!("{reason}: give the key file's real path"),
        },
        e => e,
    })?;
    let meta = file.metadata().map_err(Error::io("read", path))?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(Error::KeyPermissions {
            path: path.to_owned(),
            mode,
        });
    }
    // Read through the file whose mode was checked, never the path again (no swap between).
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(
        &mut std::io::Read::take(&file, crate::fsys::MAX_KEY_BYTES + 1),
        &mut bytes,
    )
    .map_err(Error::io("read", path))?;
    if bytes.len() as u64 > crate::fsys::MAX_KEY_BYTES {
        return Err(Error::KeyInvalid {
            path: path.to_owned(),
            reason: format!("it is larger than {} bytes", crate::fsys::MAX_KEY_BYTES),
        });
    }
    let pem = String::from_utf8(bytes).map_err(|e| Error::KeyInvalid {
        path: path.to_owned(),
        reason: e.to_string(),
    })?;
    SigningKey::from_pkcs8_pem(&pem).map_err(|e| Error::KeyInvalid {
        path: path.to_owned(),
        reason: e.to_string(),
    })
}
