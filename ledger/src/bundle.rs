//! What to hand an auditor: the signed log and what reads it, never the key that signs it.
//!
//! An audit bundle is a folder holding the committed prefix of `entries.log`, the `COMMIT`
//! that names it, `ledger.json`, the verifier key (`ledger.vkey`, one line) and the latest
//! signed checkpoint (`checkpoint`, the note `prov checkpoint` prints). It is a ledger folder
//! without the signing key and without the derived files (tiles, offsets, content index):
//! `audit` verifies it and says that those were not checked, and every read-only command
//! (`log`, `show N`, `checkpoint`, `key`) answers from it.
//!
//! It is written from a read-only open, so it is consistent while an `add` runs: `COMMIT`
//! was read first, the latest checkpoint was found to end exactly the prefix it names, and
//! only that prefix is copied. A writer appends past it and never changes it.
//!
//! When the ledger holds witness cosignatures, the bundle's `checkpoint` carries those of
//! its size after the ledger's signature, and `cosignatures/` holds a copy of every
//! cosignature file of a bundled size (`docs/FORMAT.md` section 9); `timestamps/` likewise
//! holds every RFC 3161 token of a bundled size (section 10).

use crate::error::{Error, Result};
use crate::ledger::Ledger;
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// The files of an audit bundle, in the order they are written.
pub const BUNDLE_FILES: [&str; 5] = [
    "entries.log",
    "COMMIT",
    "ledger.json",
    "ledger.vkey",
    "checkpoint",
];

/// What an audit bundle holds.
#[derive(Clone, Debug)]
pub struct AuditBundle {
    /// The folder written.
    pub dir: PathBuf,
    /// Entries in the bundled log.
    pub size: u64,
    /// Bytes of the bundled log.
    pub log_bytes: u64,
    /// The verifier key written to `ledger.vkey`.
    pub vkey: String,
    /// The checkpoint written to `checkpoint`.
    pub checkpoint: String,
}

fn refused(dir: &Path, reason: impl Into<String>) -> Error {
    Error::BundleRefused {
        dir: dir.to_owned(),
        reason: reason.into(),
    }
}

/// The folder that will hold the bundle, checked: not the ledger folder nor inside it, and
/// empty if it exists. Returns whether it had to be created.
fn check_target(ledger: &Path, dir: &Path) -> Result<bool> {
    let ledger_meta = std::fs::metadata(ledger).map_err(Error::io("inspect", ledger))?;
    let ledger_id = (ledger_meta.dev(), ledger_meta.ino());
    // The nearest folder that exists: the bundle folder, or the parent it is created in.
    let existing = dir.symlink_metadata().is_ok();
    let probe = if existing {
        dir.to_owned()
    } else {
        match dir.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
            _ => PathBuf::from("."),
        }
    };
    let real = std::fs::canonicalize(&probe).map_err(Error::io("inspect", &probe))?;
    for (i, a) in real.ancestors().enumerate() {
        if std::fs::metadata(a).is_ok_and(|m| (m.dev(), m.ino()) == ledger_id) {
            return Err(refused(
                dir,
                if i == 0 && existing {
                    "is the ledger folder itself (its key must never leave it)"
                } else {
                    "lies inside the ledger folder"
                },
            ));
        }
    }
    if !existing {
        return Ok(true);
    }
    let meta = std::fs::metadata(dir).map_err(Error::io("inspect", dir))?;
    if !meta.is_dir() {
        return Err(refused(dir, "is not a folder"));
    }
    let mut entries = std::fs::read_dir(dir).map_err(Error::io("read", dir))?;
    if entries.next().is_some() {
        return Err(refused(dir, "is not empty"));
    }
    Ok(false)
}

/// Creates `path` (which must not exist), writes `fill` into it and fsyncs it.
pub(crate) fn write_new(
    path: &Path,
    fill: impl FnOnce(&mut File) -> std::io::Result<()>,
) -> Result<()> {
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o644)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
        .map_err(Error::io("create", path))?;
    fill(&mut f)
        .and_then(|()| f.sync_all())
        .map_err(Error::io("write", path))
}

impl Ledger {
    /// Writes an audit bundle of the committed ledger into `dir` (created if missing; it
    /// must be empty otherwise, and neither the ledger folder nor inside it). Never the
    /// signing key. Works on a ledger opened read-only, while a writer appends.
    ///
    /// # Errors
    /// [`Error::BundleRefused`] for a folder it must not write into; [`Error::Io`] when a
    /// file cannot be written; [`Error::Damaged`] when the log is shorter than `COMMIT`
    /// says.
    pub fn write_audit_bundle(&self, dir: &Path) -> Result<AuditBundle> {
        if check_target(&self.dir, dir)? {
            std::fs::create_dir_all(dir).map_err(Error::io("create", dir))?;
        }
        let log_bytes = self.commit.log_length;
        let log_path = dir.join(BUNDLE_FILES[0]);
        let mut prefix = self.log.reader_at(0)?.take(log_bytes);
        write_new(&log_path, |f| {
            let copied = std::io::copy(&mut prefix, f)?;
            if copied != log_bytes {
                return Err(std::io::Error::other(format!(
                    "the ledger's log ended after {copied} of its {log_bytes} committed bytes"
                )));
            }
            Ok(())
        })?;
        let commit = self.commit.to_text();
        write_new(&dir.join(BUNDLE_FILES[1]), |f| {
            f.write_all(commit.as_bytes())
        })?;
        let config = serde_json::to_string_pretty(&self.config).unwrap_or_default() + "\n";
        write_new(&dir.join(BUNDLE_FILES[2]), |f| {
            f.write_all(config.as_bytes())
        })?;
        let vkey = self.verifier.to_vkey();
        write_new(&dir.join(BUNDLE_FILES[3]), |f| {
            f.write_all(format!("{vkey}\n").as_bytes())
        })?;
        let checkpoint = self.cosigned_note(&self.latest_checkpoint()?)?;
        write_new(&dir.join(BUNDLE_FILES[4]), |f| {
            f.write_all(checkpoint.as_bytes())
        })?;
        self.bundle_cosignatures(dir)?;
        self.bundle_timestamps(dir)?;
        // The witnesses and TSAs the ledger trusts, so that `audit` of the bundle checks the
        // stored evidence as `audit` of the ledger does (an auditor gives its own with
        // --witness and --tsa-cert).
        for name in [
            crate::witnesses::WITNESSES_FILE,
            crate::tsa_config::TSAS_FILE,
        ] {
            let path = self.dir.join(name);
            if crate::fsys::exists(&path) {
                let bytes = crate::fsys::read_small(&path, crate::fsys::MAX_CONFIG_BYTES)?;
                write_new(&dir.join(name), |f| f.write_all(&bytes))?;
            }
        }
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(Error::io("sync", dir))?;
        Ok(AuditBundle {
            dir: dir.to_owned(),
            size: self.commit.size,
            log_bytes,
            vkey,
            checkpoint,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bundle_holds_the_committed_log_and_never_the_key() {
        let tmp = tempfile::tempdir().unwrap();
        let ledger = tmp.path().join("ledger");
        Ledger::init(&ledger, "bundle.example/test").unwrap();
        let l = Ledger::open_read_only(&ledger).unwrap();
        let b = l.write_audit_bundle(&tmp.path().join("out")).unwrap();
        let mut names: Vec<String> = std::fs::read_dir(&b.dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        let mut want = BUNDLE_FILES.map(String::from).to_vec();
        want.sort();
        assert_eq!(names, want);
        assert_eq!(
            std::fs::read(b.dir.join("entries.log")).unwrap(),
            std::fs::read(ledger.join("entries.log")).unwrap()
        );
        let audited = crate::audit(&b.dir, None, &|_, _| {}).unwrap();
        assert!(audited.fault.is_none(), "{:?}", audited.fault);
        assert_eq!(Ledger::open_read_only(&b.dir).unwrap().size(), 0);
    }

    #[test]
    fn the_ledger_folder_inside_it_and_a_full_folder_are_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let ledger = tmp.path().join("ledger");
        Ledger::init(&ledger, "bundle.example/test").unwrap();
        let l = Ledger::open_read_only(&ledger).unwrap();
        let full = tmp.path().join("full");
        std::fs::create_dir(&full).unwrap();
        std::fs::write(full.join("x"), "x").unwrap();
        for (dir, why) in [
            (ledger.clone(), "the ledger folder itself"),
            (ledger.join("bundle"), "inside the ledger folder"),
            (full, "is not empty"),
        ] {
            let e = l.write_audit_bundle(&dir).unwrap_err().to_string();
            assert!(e.contains(why), "{e}");
        }
        assert!(!ledger.join("bundle").exists());
    }
}
