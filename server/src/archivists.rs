//! Archivists and their bearer tokens: who may write to the ledger through the server.
//!
//! A token is 32 random bytes, shown once (64 hex digits) when the archivist is added and
//! never stored: `archivists.json` in the ledger folder keeps only its SHA-256, written whole
//! and durably (a temporary file, fsync, rename, fsync of the folder). A token presented is
//! hashed and compared with every stored hash in constant time (`subtle`), so neither the
//! answer's timing nor an early exit says how much of a token was right. The server looks
//! at the file again for each write request (its identity, size and times; read and parsed
//! again only when they changed): `prov archivist revoke` takes effect at once, with no
//! restart.

use crate::error::{Error, Result};
use rand_core::{OsRng, RngCore};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use subtle::ConstantTimeEq;

/// The file, in the ledger folder.
pub const ARCHIVISTS_FILE: &str = "archivists.json";

/// The lock file of `add` and `revoke`, in the ledger folder: empty, never replaced.
pub const ARCHIVISTS_LOCK: &str = "archivists.lock";

/// The longest name (it becomes each entry's agent).
const MAX_NAME: usize = 128;

/// The largest `archivists.json` read.
const MAX_FILE: u64 = 16 << 20;

/// One archivist as stored.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Archivist {
    /// Its name: the agent of every entry it records.
    pub name: String,
    /// The SHA-256 of its token (hex).
    pub token_sha256: String,
    /// When it was added (ms since the Unix epoch).
    pub added_ms: u64,
    /// When it was revoked, if it was.
    pub revoked_ms: Option<u64>,
}

#[derive(Serialize, Deserialize, Default, Debug)]
struct File {
    archivists: Vec<Archivist>,
}

/// What a presented token turned out to be.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// A current archivist's: its name.
    Valid(String),
    /// A revoked archivist's (403).
    Revoked(String),
    /// Nobody's (401).
    Unknown,
}

/// The archivists of one ledger folder.
#[derive(Clone, Debug)]
pub struct Archivists {
    path: PathBuf,
    /// The file as last parsed, with the stamp it had then.
    parsed: Arc<Mutex<Option<Parsed>>>,
}

/// What tells one version of the file from another: its device and inode (`add` and
/// `revoke` replace it), size, and modification and change times to the nanosecond.
type Stamp = (u64, u64, u64, i64, i64, i64, i64);

/// The file as parsed, and its stamp when it was read.
type Parsed = (Stamp, Arc<File>);

fn stamp(m: &std::fs::Metadata) -> Stamp {
    use std::os::unix::fs::MetadataExt;
    let (dev, ino, len) = (m.dev(), m.ino(), m.len());
    (
        dev,
        ino,
        len,
        m.mtime(),
        m.mtime_nsec(),
        m.ctime(),
        m.ctime_nsec(),
    )
}

/// The time now; a clock before 1970 is an error (never a date of 0 stored).
fn now_ms() -> Result<u64> {
    Ok(prov_ledger::system_time_ms()?)
}

fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.trim().as_bytes()).into()
}

fn check_name(name: &str) -> Result<()> {
    let bad = |reason| {
        Err(Error::BadName {
            name: name.to_owned(),
            reason,
        })
    };
    if name.is_empty() || name.len() > MAX_NAME {
        return bad("must be 1 to 128 bytes long");
    }
    if !name
        .chars()
        .all(|c| c.is_alphanumeric() || "@._+-".contains(c))
    {
        return bad("may hold only letters, digits and @ . _ + - (e.g. alice@newsroom.example)");
    }
    Ok(())
}

impl Archivists {
    /// The archivists of the ledger in `ledger_dir` (the file need not exist yet).
    pub fn new(ledger_dir: &Path) -> Archivists {
        Archivists {
            path: ledger_dir.join(ARCHIVISTS_FILE),
            parsed: Arc::default(),
        }
    }

    fn read(&self) -> Result<File> {
        let f = match std::fs::File::open(&self.path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(File::default()),
            r => r.map_err(Error::io("open", &self.path))?,
        };
        let mut bytes = Vec::new();
        use std::io::Read;
        f.take(MAX_FILE)
            .read_to_end(&mut bytes)
            .map_err(Error::io("read", &self.path))?;
        serde_json::from_slice(&bytes).map_err(|e| Error::Archivists {
            path: self.path.clone(),
            reason: e.to_string(),
        })
    }

    /// The file as it is now: parsed again only when its stamp changed since it was last
    /// parsed (a server verifies a token for every write request).
    fn current(&self) -> Result<Arc<File>> {
        let now = match std::fs::metadata(&self.path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Arc::default()),
            r => stamp(&r.map_err(Error::io("read", &self.path))?),
        };
        let mut parsed = self
            .parsed
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((seen, f)) = &*parsed
            && *seen == now
        {
            return Ok(f.clone());
        }
        let f = Arc::new(self.read()?);
        // Kept only if the file did not change while it was read.
        if std::fs::metadata(&self.path).is_ok_and(|m| stamp(&m) == now) {
            *parsed = Some((now, f.clone()));
        }
        Ok(f)
    }

    /// Holds the lock of `add` and `revoke` until dropped (it waits for another holder).
    /// Opened without following a symbolic link, and only a regular file.
    fn lock(&self) -> Result<std::fs::File> {
        use std::os::unix::fs::OpenOptionsExt;
        let path = self.path.with_file_name(ARCHIVISTS_LOCK);
        let f = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
            .open(&path)
            .map_err(Error::io("open", &path))?;
        let regular = f
            .metadata()
            .map_err(Error::io("inspect", &path))?
            .file_type()
            .is_file();
        if !regular {
            return Err(Error::Archivists {
                path,
                reason: "it is not a regular file".into(),
            });
        }
        f.lock().map_err(Error::io("lock", &path))?;
        Ok(f)
    }

    fn write(&self, f: &File) -> Result<()> {
        let text = serde_json::to_string_pretty(f).unwrap_or_default() + "\n";
        Ok(prov_ledger::replace_durably(&self.path, text.as_bytes())?)
    }

    /// Every archivist, revoked ones included, in the order they were added.
    ///
    /// # Errors
    /// [`Error::Io`], [`Error::Archivists`].
    pub fn list(&self) -> Result<Vec<Archivist>> {
        Ok(self.read()?.archivists)
    }

    /// Adds `name` and returns its token, the only time it is ever shown.
    ///
    /// # Errors
    /// [`Error::BadName`], [`Error::NameTaken`] (a revoked name too: an entry's agent names
    /// one archivist), and those of reading and writing the file.
    pub fn add(&self, name: &str) -> Result<String> {
        check_name(name)?;
        let _lock = self.lock()?;
        let mut f = self.read()?;
        if f.archivists.iter().any(|a| a.name == name) {
            return Err(Error::NameTaken(name.to_owned()));
        }
        let mut secret = [0u8; 32];
        OsRng.fill_bytes(&mut secret);
        let token = hex::encode(secret);
        f.archivists.push(Archivist {
            name: name.to_owned(),
            token_sha256: hex::encode(token_hash(&token)),
            added_ms: now_ms()?,
            revoked_ms: None,
        });
        self.write(&f)?;
        Ok(token)
    }

    /// Revokes `name`: its token is refused from now on (403). Revoking twice is fine.
    ///
    /// # Errors
    /// [`Error::NoSuchArchivist`], and those of reading and writing the file.
    pub fn revoke(&self, name: &str) -> Result<Archivist> {
        let _lock = self.lock()?;
        let mut f = self.read()?;
        let Some(a) = f.archivists.iter_mut().find(|a| a.name == name) else {
            return Err(Error::NoSuchArchivist(name.to_owned()));
        };
        if a.revoked_ms.is_none() {
            a.revoked_ms = Some(now_ms()?);
        }
        let a = a.clone();
        self.write(&f)?;
        Ok(a)
    }

    /// Whose `token` is, compared with every stored hash in constant time.
    ///
    /// # Errors
    /// Those of reading the file.
    pub fn verify(&self, token: &str) -> Result<Verdict> {
        let presented = token_hash(token);
        let mut found: Option<&Archivist> = None;
        let f = self.current()?;
        for a in &f.archivists {
            let mut stored = [0u8; 32];
            let ok = hex::decode_to_slice(&a.token_sha256, &mut stored).is_ok();
            // Every stored hash is compared, whatever matched before.
            if bool::from(stored.ct_eq(&presented)) && ok {
                found = Some(a);
            }
        }
        Ok(match found {
            Some(a) if a.revoked_ms.is_some() => Verdict::Revoked(a.name.clone()),
            Some(a) => Verdict::Valid(a.name.clone()),
            None => Verdict::Unknown,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_known_until_revoked_and_only_its_hash_is_stored() {
        let dir = tempfile::tempdir().unwrap();
        let a = Archivists::new(dir.path());
        let token = a.add("alice@newsroom.example").unwrap();
        assert_eq!(
            a.verify(&token).unwrap(),
            Verdict::Valid("alice@newsroom.example".into())
        );
        let stored = std::fs::read_to_string(dir.path().join(ARCHIVISTS_FILE)).unwrap();
        assert!(!stored.contains(&token));
        assert_eq!(a.verify(&"0".repeat(64)).unwrap(), Verdict::Unknown);
        assert!(matches!(
            a.add("alice@newsroom.example"),
            Err(Error::NameTaken(_))
        ));
        a.revoke("alice@newsroom.example").unwrap();
        assert_eq!(
            a.verify(&token).unwrap(),
            Verdict::Revoked("alice@newsroom.example".into())
        );
        assert!(matches!(a.add("bad name"), Err(Error::BadName { .. })));
    }

    /// The server's copy is parsed once and kept while the file is the same; another
    /// process's revoke (another `Archivists` here) or a hand edit is seen at the next
    /// request.
    #[test]
    fn a_change_by_another_process_is_seen_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let server = Archivists::new(dir.path());
        let cli = Archivists::new(dir.path());
        let token = cli.add("bo@newsroom.example").unwrap();
        let valid = Verdict::Valid("bo@newsroom.example".into());
        assert_eq!(server.verify(&token).unwrap(), valid);
        assert_eq!(server.verify(&token).unwrap(), valid);
        cli.revoke("bo@newsroom.example").unwrap();
        assert_eq!(
            server.verify(&token).unwrap(),
            Verdict::Revoked("bo@newsroom.example".into())
        );
        // Edited in place (same inode), to a file that no longer parses: an error, not the
        // copy kept.
        let path = dir.path().join(ARCHIVISTS_FILE);
        std::fs::OpenOptions::new()
            .write(true)
            .truncate(true)
            .open(&path)
            .and_then(|mut f| std::io::Write::write_all(&mut f, b"{not json"))
            .unwrap();
        assert!(matches!(
            server.verify(&token),
            Err(Error::Archivists { .. })
        ));
    }
}
