//! Turning the paths a person gives into the documents to hash: files as named, folders
//! recursively in name order, symlinks inside folders only when asked, the ledger's own
//! folder never.
//!
//! Each file is opened as it is listed (never following a symlink inside a folder unless
//! asked, never blocking on a FIFO), and its identity (device, inode, size, change time) is
//! kept: the hashing refuses a file that is not the one listed here. A folder's entries are
//! looked at and opened in parallel, then taken in name order, so that the walk's result and
//! its first error are the same as one thread's.

use crate::digest::{FileId, WalkedFile, open_document};
use crate::error::{Error, PathProblem, Result};
use rayon::prelude::*;
use std::collections::HashSet;
use std::fs::{DirEntry, Metadata};
use std::io::ErrorKind;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// What a walk found.
#[derive(Debug, Default)]
pub struct Walked {
    /// Regular, non-empty files, in order.
    pub files: Vec<WalkedFile>,
    /// Paths passed over inside folders, with why.
    pub skipped: Vec<(PathBuf, &'static str)>,
}

impl Walked {
    /// The files' total size, for progress bars.
    pub fn total_bytes(&self) -> u64 {
        self.files.iter().map(|f| f.id.size).sum()
    }
}

/// What a walk passes over: the ledger folder and its own files (key, log, `COMMIT`,
/// `offsets`...), by device and inode, so that neither a symlink nor a hard link brings the
/// ledger's key or log in as a document. What lies in its subfolders (tiles, the content
/// index: public, derived, thousands of files) is passed over by path: a followed link that
/// resolves inside the ledger folder is skipped, so that a lookup does not stat every tile.
#[derive(Clone, Debug, Default)]
pub struct Skip {
    ledger: Option<(u64, u64)>,
    files: HashSet<(u64, u64)>,
}

impl Skip {
    /// Skips the ledger folder at `dir`, if there is one, and the files in it.
    pub fn ledger(dir: &Path) -> Skip {
        let mut files = HashSet::new();
        for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            if let Ok(m) = std::fs::symlink_metadata(e.path())
                && m.is_file()
            {
                files.insert((m.dev(), m.ino()));
            }
        }
        Skip {
            ledger: std::fs::metadata(dir).ok().map(|m| (m.dev(), m.ino())),
            files,
        }
    }

    /// Skips `key_file` too, by device and inode: a signing key kept outside the ledger
    /// folder (`prov init --key-file`) is never a document, whatever path reaches it.
    pub fn with_key_file(mut self, key_file: Option<&Path>) -> Skip {
        if let Some(m) = key_file.and_then(|k| std::fs::metadata(k).ok()) {
            self.files.insert((m.dev(), m.ino()));
        }
        self
    }

    fn is_ledger(&self, meta: &Metadata) -> bool {
        self.ledger == Some((meta.dev(), meta.ino()))
    }

    /// Whether this file is one of the ledger's own (reached through any link).
    fn is_ledger_file(&self, meta: &Metadata) -> bool {
        self.files.contains(&(meta.dev(), meta.ino()))
    }

    /// Whether an open file lies inside the ledger folder, by the path the kernel gives for
    /// it (Linux `/proc/self/fd`); false where that cannot be read.
    fn holds_open(&self, file: &std::fs::File) -> bool {
        use std::os::fd::AsRawFd;
        std::fs::read_link(format!("/proc/self/fd/{}", file.as_raw_fd()))
            .is_ok_and(|real| self.contains(&real))
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

fn path_error(path: &Path, problem: PathProblem) -> Error {
    Error::Path {
        path: path.to_owned(),
        problem,
    }
}

fn describe(path: &Path, e: std::io::Error) -> Error {
    let problem = match e.kind() {
        ErrorKind::NotFound => PathProblem::Missing,
        ErrorKind::PermissionDenied => PathProblem::PermissionDenied,
        _ if e.raw_os_error() == Some(libc::ELOOP) => PathProblem::SymlinkLoop,
        _ => PathProblem::Unreadable(e),
    };
    path_error(path, problem)
}

/// Opens `path` as the walk lists it and keeps what it is. `None` when it is no longer a
/// regular file (it changed between listing and opening), or when, opened through a link,
/// the file opened lies inside the ledger folder (its tiles, its content index): where it
/// lies is read from the open file itself, so a link swapped in meanwhile changes nothing.
fn listed(path: &Path, follow: bool, skip: &Skip) -> Result<Found> {
    let file = open_document(path, follow).map_err(|e| describe(path, e))?;
    let meta = file.metadata().map_err(|e| describe(path, e))?;
    if !meta.is_file() {
        return Ok(Found::Skipped("not a regular file"));
    }
    if follow && skip.holds_open(&file) {
        return Ok(Found::Skipped(LEDGER_SKIPPED));
    }
    Ok(Found::File(WalkedFile {
        path: path.to_owned(),
        id: FileId::of(&meta),
        follow,
        name: file_name(path),
    }))
}

/// Walks the given paths. A path that is missing, unreadable, empty or not a file or folder
/// is an error before anything is recorded; inside folders such paths are skipped, with
/// why. Symlinks named directly are followed; inside folders only with `follow`.
///
/// # Errors
/// [`Error::Path`] naming the first path (in the order given, folders in name order) that
/// cannot be recorded.
pub fn walk(paths: &[PathBuf], follow: bool, skip: &Skip) -> Result<Walked> {
    let mut w = Walked::default();
    let mut seen_dirs = HashSet::new();
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|e| describe(p, e))?;
        if !skip.is_ledger(&meta) && (skip.contains(p) || skip.is_ledger_file(&meta)) {
            return Err(path_error(p, PathProblem::InsideLedger));
        }
        if meta.is_dir() {
            if skip.is_ledger(&meta) {
                w.skipped.push((p.clone(), LEDGER_SKIPPED));
                continue;
            }
            if !seen_dirs.insert((meta.dev(), meta.ino())) {
                // Inside a folder given before it (`prov add dump dump/sub`): its files are
                // listed once, named from that folder.
                w.skipped.push((
                    p.clone(),
                    "folder already listed (it is inside another folder given)",
                ));
                continue;
            }
            let from = w.files.len();
            walk_dir(p, follow, skip, &mut seen_dirs, &mut w)?;
            // Names relative to the folder given: `mailboxes/e.lefevre/Sent/0255.eml`.
            for f in &mut w.files[from..] {
                if let Ok(rel) = f.path.strip_prefix(p) {
                    f.name = rel.as_os_str().as_bytes().to_vec();
                }
            }
        } else if meta.is_file() {
            if meta.len() == 0 {
                return Err(path_error(p, PathProblem::Empty));
            }
            match listed(p, true, skip)? {
                Found::File(f) => w.files.push(f),
                Found::Skipped(LEDGER_SKIPPED) => {
                    return Err(path_error(p, PathProblem::InsideLedger));
                }
                _ => return Err(path_error(p, PathProblem::ChangedWhileListed)),
            }
        } else {
            return Err(path_error(p, PathProblem::NotFileOrFolder));
        }
    }
    Ok(w)
}

/// What one folder entry is, found without regard to the others.
enum Found {
    Folder(Metadata),
    File(WalkedFile),
    Skipped(&'static str),
}

/// Looks at one folder entry and, if it is a file to record, opens it as the walk lists it.
/// An entry the folder says is a regular file is opened at once (see [`look_file`]).
fn look(entry: &DirEntry, path: &Path, follow: bool, skip: &Skip) -> Result<Found> {
    if entry.file_type().is_ok_and(|t| t.is_file())
        && let Some(found) = look_file(path, follow, skip)
    {
        return Ok(found);
    }
    let lmeta = std::fs::symlink_metadata(path).map_err(|e| describe(path, e))?;
    let meta = if lmeta.file_type().is_symlink() {
        if !follow {
            return Ok(Found::Skipped(
                "symlink not followed (use --follow-symlinks)",
            ));
        }
        match std::fs::metadata(path) {
            // A link into the ledger folder (its tiles, its content index): its own.
            Ok(_) if skip.contains(path) => return Ok(Found::Skipped(LEDGER_SKIPPED)),
            Ok(m) => m,
            Err(_) => return Ok(Found::Skipped("broken symlink or symlink loop")),
        }
    } else {
        lmeta
    };
    Ok(if meta.is_dir() {
        Found::Folder(meta)
    } else if !meta.is_file() {
        Found::Skipped("not a regular file")
    } else if skip.is_ledger_file(&meta) {
        Found::Skipped(LEDGER_SKIPPED)
    } else if meta.len() == 0 {
        Found::Skipped("empty file")
    } else {
        listed(path, follow, skip)?
    })
}

/// An entry the folder listed as a regular file, opened and inspected without the `lstat`
/// that [`look`] starts with: the file type the folder gives costs no system call, and the
/// `fstat` of the opened file says everything that `lstat` would (a quarter of the walk's
/// system calls). `None` when it cannot be opened or is not a regular file once opened (it
/// changed since it was listed): then [`look`] looks at it as at any entry, so errors and
/// skips are the same as without this.
fn look_file(path: &Path, follow: bool, skip: &Skip) -> Option<Found> {
    // Listed as a regular file: opened as one, never through a link swapped in since (a
    // link goes the slow way, where where it leads is checked).
    let file = open_document(path, false).ok()?;
    let meta = file.metadata().ok()?;
    if !meta.is_file() {
        return None;
    }
    Some(if skip.is_ledger_file(&meta) {
        Found::Skipped(LEDGER_SKIPPED)
    } else if meta.len() == 0 {
        Found::Skipped("empty file")
    } else {
        Found::File(WalkedFile {
            path: path.to_owned(),
            id: FileId::of(&meta),
            follow,
            name: file_name(path),
        })
    })
}

/// A file's last component, raw: the name it is recorded under when named by itself.
fn file_name(path: &Path) -> Vec<u8> {
    path.file_name().map_or_else(
        || path.as_os_str().as_bytes().to_vec(),
        |n| n.as_bytes().to_vec(),
    )
}

/// Folders with fewer entries than this are looked at on the calling thread.
const PARALLEL_FROM: usize = 64;

fn walk_dir(
    dir: &Path,
    follow: bool,
    skip: &Skip,
    seen: &mut HashSet<(u64, u64)>,
    w: &mut Walked,
) -> Result<()> {
    let rd =
        std::fs::read_dir(dir).map_err(|e| path_error(dir, PathProblem::FolderUnreadable(e)))?;
    let mut entries: Vec<(PathBuf, DirEntry)> = rd
        .map(|e| e.map(|e| (e.path(), e)))
        .collect::<std::io::Result<_>>()
        .map_err(|e| describe(dir, e))?;
    // Name order. Entries of one folder differ only in their last component, so comparing
    // the bytes orders them as comparing paths does, without splitting each into components.
    entries.sort_unstable_by(|a, b| a.0.as_os_str().cmp(b.0.as_os_str()));
    let one = |(p, e): &(PathBuf, DirEntry)| look(e, p, follow, skip);
    let found: Vec<Result<Found>> = if entries.len() < PARALLEL_FROM {
        entries.iter().map(one).collect()
    } else {
        entries.par_iter().map(one).collect()
    };
    for ((path, _), found) in entries.into_iter().zip(found) {
        match found? {
            Found::File(f) => w.files.push(f),
            Found::Skipped(why) => w.skipped.push((path, why)),
            Found::Folder(meta) => {
                if skip.is_ledger(&meta) {
                    w.skipped.push((path, LEDGER_SKIPPED));
                } else if !seen.insert((meta.dev(), meta.ino())) {
                    w.skipped
                        .push((path, "folder already visited (symlink loop)"));
                } else {
                    walk_dir(&path, follow, skip, seen, w)?;
                }
            }
        }
    }
    Ok(())
}
