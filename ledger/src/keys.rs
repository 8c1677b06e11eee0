//! The ledger's Ed25519 signing key: PKCS#8 PEM (RFC 5958), mode 0600, refused when others
//! can read it; optionally encrypted with a passphrase as an `ENCRYPTED PRIVATE KEY`
//! (PBES2, RFC 8018: scrypt with N = 2^14, r = 8, p = 1, a 16-byte random salt, and
//! AES-256-CBC) around a version 1 PrivateKeyInfo, the standard form that `openssl pkcs8`
//! and other tools read. The scrypt cost
//! is OpenSSL's own default (`openssl pkcs8 -topk8 -scrypt`): 16 MiB of memory, under the
//! 32 MiB that OpenSSL allows when it decrypts, so that the key stays readable by it.

use crate::error::{Error, Result};
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey, spki::der::pem::LineEnding};
use pkcs8::EncryptedPrivateKeyInfo;
use pkcs8::der::{Decode, pem::PemLabel};
use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;
use zeroize::Zeroizing;

/// A new key from the OS's random source.
pub fn generate_key() -> SigningKey {
    SigningKey::generate(&mut rand_core::OsRng)
}

/// The passphrase of an encrypted key file, asked only when the file read is encrypted;
/// `None` when none can be had (none given, and no one to ask).
pub type Passphrase<'a> = &'a dyn Fn() -> Option<Zeroizing<String>>;

/// Writes `key` to a new file, mode 0600: plain PKCS#8, or encrypted with `passphrase`.
///
/// # Errors
/// [`Error::Io`] when the file exists or cannot be written.
pub fn create_key_file(path: &Path, key: &SigningKey, passphrase: Option<&str>) -> Result<()> {
    let invalid = |e: pkcs8::Error| Error::KeyInvalid {
        path: path.to_owned(),
        reason: e.to_string(),
    };
    let pem = match passphrase {
        None => key.to_pkcs8_pem(LineEnding::LF).map_err(invalid)?,
        Some(p) => encrypt(key, p).map_err(invalid)?,
    };
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

/// scrypt's cost, as log2(N), r and p: see the module's documentation.
const SCRYPT: (u8, u32, u32) = (14, 8, 1);

/// `key` as an encrypted PKCS#8 PEM document.
fn encrypt(key: &SigningKey, passphrase: &str) -> pkcs8::Result<Zeroizing<String>> {
    use rand_core::RngCore;
    let plain = key.to_pkcs8_der()?;
    let (mut salt, mut iv) = ([0u8; 16], [0u8; 16]);
    rand_core::OsRng.fill_bytes(&mut salt);
    rand_core::OsRng.fill_bytes(&mut iv);
    let (log_n, r, p) = SCRYPT;
    let cost = pkcs8::pkcs5::scrypt::Params::new(log_n, r, p, 32).map_err(|_| {
        pkcs8::Error::EncryptedPrivateKey(pkcs8::pkcs5::Error::AlgorithmParametersInvalid {
            oid: pkcs8::pkcs5::pbes2::SCRYPT_OID,
        })
    })?;
    let params = pkcs8::pkcs5::pbes2::Parameters::scrypt_aes256cbc(cost, &salt, &iv)?;
    let mut info = pkcs8::PrivateKeyInfo::try_from(plain.as_bytes())?;
    // PKCS#8 version 1 (RFC 5208: no public key field), as `openssl genpkey` writes an
    // Ed25519 key: OpenSSL 3.0 refuses version 2; the public key follows from the private.
    info.public_key = None;
    let sealed = info.encrypt_with_params(params, passphrase.as_bytes())?;
    Ok(sealed.to_pem(EncryptedPrivateKeyInfo::PEM_LABEL, LineEnding::LF)?)
}

/// Loads the key (a regular file, never followed as a link), refusing a file that group or
/// others can read or write. An encrypted key is decrypted with `passphrase`, which is
/// asked only then.
///
/// # Errors
/// [`Error::KeyPermissions`], [`Error::KeyNotRegular`], [`Error::KeyInvalid`] or
/// [`Error::Io`];
/// [`Error::KeyPassphraseNeeded`] and [`Error::KeyPassphraseWrong`] for an encrypted key.
pub fn load_key_file(path: &Path, passphrase: Passphrase<'_>) -> Result<SigningKey> {
    // A link or FIFO where the key should be is a key that cannot be used, not ledger damage.
    let file = crate::fsys::open_regular(path, false).map_err(|e| match e {
        Error::Damaged { .. } => Error::KeyNotRegular {
            path: path.to_owned(),
            what: std::fs::symlink_metadata(path).map_or("not a regular file", |m| {
                crate::fsys::kind_of(m.file_type())
            }),
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
    // Sized once so that no reallocation leaves a copy of the key behind; zeroed when dropped.
    let mut bytes = Zeroizing::new(Vec::with_capacity(crate::fsys::MAX_KEY_BYTES as usize + 1));
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
    let pem = std::str::from_utf8(&bytes).map_err(|e| Error::KeyInvalid {
        path: path.to_owned(),
        reason: e.to_string(),
    })?;
    let invalid = |reason: String| Error::KeyInvalid {
        path: path.to_owned(),
        reason,
    };
    let (label, der) = pkcs8::der::pem::decode_vec(pem.as_bytes())
        .map_err(|e| invalid(format!("not PEM: {e}")))?;
    let der = Zeroizing::new(der);
    if label != EncryptedPrivateKeyInfo::PEM_LABEL {
        return SigningKey::from_pkcs8_pem(pem).map_err(|e| invalid(e.to_string()));
    }
    let info = EncryptedPrivateKeyInfo::from_der(&der)
        .map_err(|e| invalid(format!("a malformed encrypted key: {e}")))?;
    let Some(pass) = passphrase() else {
        return Err(Error::KeyPassphraseNeeded {
            path: path.to_owned(),
        });
    };
    // A wrong passphrase fails the padding check, or (about once in 256) yields bytes that
    // are no key: both are the passphrase's fault, since the structure around them parsed.
    let wrong = |_| Error::KeyPassphraseWrong {
        path: path.to_owned(),
    };
    let plain = info.decrypt(pass.as_bytes()).map_err(wrong)?;
    SigningKey::from_pkcs8_der(plain.as_bytes()).map_err(wrong)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(passphrase: Option<&str>) -> (tempfile::TempDir, std::path::PathBuf, SigningKey) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key.pem");
        let key = generate_key();
        create_key_file(&path, &key, passphrase).unwrap();
        (dir, path, key)
    }

    #[test]
    fn an_encrypted_key_opens_with_its_passphrase_only() {
        let (_d, path, key) = written(Some("correct horse"));
        let pem = std::fs::read_to_string(&path).unwrap();
        assert!(
            pem.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----\n"),
            "{pem}"
        );
        let right = load_key_file(&path, &|| Some(Zeroizing::new("correct horse".into())));
        assert_eq!(right.unwrap().to_bytes(), key.to_bytes());
        let wrong = load_key_file(&path, &|| Some(Zeroizing::new("correct horsf".into())));
        assert!(matches!(wrong, Err(Error::KeyPassphraseWrong { .. })));
        let none = load_key_file(&path, &|| None);
        assert!(matches!(none, Err(Error::KeyPassphraseNeeded { .. })));
    }

    #[test]
    fn a_plain_key_never_asks_for_a_passphrase() {
        let (_d, path, key) = written(None);
        let asked = std::cell::Cell::new(false);
        let got = load_key_file(&path, &|| {
            asked.set(true);
            None
        });
        assert_eq!(got.unwrap().to_bytes(), key.to_bytes());
        assert!(!asked.get());
    }
}
