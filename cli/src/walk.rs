//! Turning the paths on the command line into the documents to hash: files as named,
//! folders recursively in name order, symlinks inside folders only with --follow-symlinks,
//! the ledger's own folder never.
//!
//! Each file is opened as it is listed (never following a symlink inside a folder without
//! --follow-symlinks, never blocking on a FIFO), and its identity (device, inode, size,
//! change time) is kept: the hashing refuses a file that is not the one listed here.

use crate::failure::{Failure, Result};
use prov_ledger::{FileId, WalkedFile, open_document};
use std::collections::HashSet;
use std::io::ErrorKind;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// What a walk found.
#[derive(Default)]
pub struct Walked {
    /// Regular, non-empty files, in order.
    pub files: Vec<WalkedFile>,
    /// Paths passed over inside folders, with why.
    pub skipped: Vec<(PathBuf, &'static str)>,
}

/// What a walk passes over: the ledger folder and every file in it, by device and inode, so
/// that neither a symlink nor a hard link brings the ledger's key or log in as a document.
#[derive(Clone, Default)]
pub struct Skip {
    ledger: Option<(u64, u64)>,
    files: HashSet<(u64, u64)>,
}

impl Skip {
    /// Skips the ledger folder at `dir`, if there is one, and the files in it.
    pub fn ledger(dir: &Path) -> Skip {
        let mut files = HashSet::new();
        let mut stack = vec![dir.to_owned()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
                let Ok(m) = std::fs::symlink_metadata(e.path()) else {
                    continue;
                };
                if m.is_dir() {
                    stack.push(e.path());
                } else if m.is_file() {
                    files.insert((m.dev(), m.ino()));
                }
            }
        }
        Skip {
            ledger: std::fs::metadata(dir).ok().map(|m| (m.dev(), m.ino())),
            files,
        }
    }

    fn is_ledger(&self, meta: &std::fs::Metadata) -> bool {
        self.ledger == Some((meta.dev(), meta.ino()))
    }

    /// Whether this file is one of the ledger's own (reached through any link).
    fn is_ledger_file(&self, meta: &std::fs::Metadata) -> bool {
        self.files.contains(&(meta.dev(), meta.ino()))
    }

    /// Whether `path` lies inside the ledger folder (through any links on the way).
    fn contains(&self, path: &Path) -> bool {
        let Ok(real) = std::fs::canonicalize(path) else {
            return false;
        };
        real.ancestors()
            .skip(1)
            .filter_map(|a| std::fs::metadata(a).ok())
            .any(|m| self.is_ledger(&m))
    }
}

const LEDGER_SKIPPED: &str = "the ledger's own folder (its key and log are not documents)";

fn describe(path: &Path, e: &std::io::Error) -> Failure {
    match e.kind() {
        ErrorKind::NotFound => {
            Failure::input(format!("{} does not exist: check the path", path.display()))
        }
        ErrorKind::PermissionDenied => Failure::input(format!(
            "{} is not readable (permission denied): check its permissions",
            path.display()
        )),
        _ if e.raw_os_error() == Some(40) => Failure::input(format!(
            "{} is a symlink loop: point at the real file",
            path.display()
        )),
        _ => Failure::input(format!("cannot read {}: {e}", path.display())),
    }
}

impl Walked {
    /// The files' total size, for progress bars.
    pub fn total_bytes(&self) -> u64 {
        self.files.iter().map(|f| f.id.size).sum()
    }
}

/// Opens `path` as the walk lists it and keeps what it is. `None` when it is no longer a
/// regular file (it changed between listing and opening).
fn listed(path: PathBuf, follow: bool) -> Result<Option<WalkedFile>> {
    let file = open_document(&path, follow).map_err(|e| describe(&path, &e))?;
    let meta = file.metadata().map_err(|e| describe(&path, &e))?;
    if !meta.is_file() {
        return Ok(None);
    }
    Ok(Some(WalkedFile {
        path,
        id: FileId::of(&meta),
        follow,
    }))
}

/// Walks the command-line paths. A path that is missing, unreadable, empty or not a file or
/// folder is an error before anything is recorded; inside folders such paths are skipped.
/// Symlinks named on the command line are followed.
pub fn walk(paths: &[PathBuf], follow: bool, skip: Skip) -> Result<Walked> {
    let mut w = Walked::default();
    let mut seen_dirs = HashSet::new();
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|e| describe(p, &e))?;
        if !skip.is_ledger(&meta) && (skip.contains(p) || skip.is_ledger_file(&meta)) {
            return Err(Failure::input(format!(
                "{} is inside the ledger's own folder: its files (the key, the log, the index) are not documents; give other paths",
                p.display()
            )));
        }
        if meta.is_dir() {
            if skip.is_ledger(&meta) {
                w.skipped.push((p.clone(), LEDGER_SKIPPED));
                continue;
            }
            seen_dirs.insert((meta.dev(), meta.ino()));
            walk_dir(p, follow, &skip, &mut seen_dirs, &mut w)?;
        } else if meta.is_file() {
            if meta.len() == 0 {
                return Err(Failure::input(format!(
                    "{} is empty: an empty file has no content to record",
                    p.display()
                )));
            }
            match listed(p.clone(), true)? {
                Some(f) => w.files.push(f),
                None => {
                    return Err(Failure::input(format!(
                        "{} changed while it was listed: give it again",
                        p.display()
                    )));
                }
            }
        } else {
            return Err(Failure::input(format!(
                "{} is not a regular file or folder (a FIFO, socket or device): give files or folders",
                p.display()
            )));
        }
    }
    Ok(w)
}

fn walk_dir(
    dir: &Path,
    follow: bool,
    skip: &Skip,
    seen: &mut HashSet<(u64, u64)>,
    w: &mut Walked,
) -> Result<()> {
    let rd = std::fs::read_dir(dir).map_err(|e| {
        Failure::input(format!(
            "cannot read folder {}: {}: check its permissions",
            dir.display(),
            e.kind()
        ))
    })?;
    let mut entries: Vec<_> = rd
        .map(|e| e.map(|e| e.path()))
        .collect::<std::io::Result<_>>()
        .map_err(|e| describe(dir, &e))?;
    entries.sort();
    for path in entries {
        let lmeta = std::fs::symlink_metadata(&path).map_err(|e| describe(&path, &e))?;
        let meta = if lmeta.file_type().is_symlink() {
            if !follow {
                w.skipped
                    .push((path, "symlink not followed (use --follow-symlinks)"));
                continue;
            }
            match std::fs::metadata(&path) {
                Ok(m) => m,
                Err(_) => {
                    w.skipped.push((path, "broken symlink or symlink loop"));
                    continue;
                }
            }
        } else {
            lmeta
        };
        if meta.is_dir() {
            if skip.is_ledger(&meta) {
                w.skipped.push((path, LEDGER_SKIPPED));
                continue;
            }
            if !seen.insert((meta.dev(), meta.ino())) {
                w.skipped
                    .push((path, "folder already visited (symlink loop)"));
                continue;
            }
            walk_dir(&path, follow, skip, seen, w)?;
        } else if !meta.is_file() {
            w.skipped.push((path, "not a regular file"));
        } else if skip.is_ledger_file(&meta) {
            w.skipped.push((path, LEDGER_SKIPPED));
        } else if meta.len() == 0 {
            w.skipped.push((path, "empty file"));
        } else {
            match listed(path.clone(), follow)? {
                Some(f) => w.files.push(f),
                None => w.skipped.push((path, "not a regular file")),
            }
        }
    }
    Ok(())
}
