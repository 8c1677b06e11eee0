//! Turning the paths on the command line into the documents to hash: files as named,
//! folders recursively in name order, symlinks inside folders only with --follow-symlinks.

use crate::failure::{Failure, Result};
use std::collections::HashSet;
use std::io::ErrorKind;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// What a walk found.
#[derive(Default)]
pub struct Walked {
    /// Regular, non-empty files, in order.
    pub files: Vec<PathBuf>,
    /// Paths passed over inside folders, with why.
    pub skipped: Vec<(PathBuf, &'static str)>,
}

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
        self.files
            .iter()
            .filter_map(|p| std::fs::metadata(p).ok())
            .map(|m| m.len())
            .sum()
    }
}

/// Walks the command-line paths. A path that is missing, unreadable, empty or not a file or
/// folder is an error before anything is recorded; inside folders such paths are skipped.
pub fn walk(paths: &[PathBuf], follow: bool) -> Result<Walked> {
    let mut w = Walked::default();
    let mut seen_dirs = HashSet::new();
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|e| describe(p, &e))?;
        if meta.is_dir() {
            seen_dirs.insert((meta.dev(), meta.ino()));
            walk_dir(p, follow, &mut seen_dirs, &mut w)?;
        } else if meta.is_file() {
            if meta.len() == 0 {
                return Err(Failure::input(format!(
                    "{} is empty: an empty file has no content to record",
                    p.display()
                )));
            }
            std::fs::File::open(p).map_err(|e| describe(p, &e))?;
            w.files.push(p.clone());
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
            if !seen.insert((meta.dev(), meta.ino())) {
                w.skipped
                    .push((path, "folder already visited (symlink loop)"));
                continue;
            }
            walk_dir(&path, follow, seen, w)?;
        } else if !meta.is_file() {
            w.skipped.push((path, "not a regular file"));
        } else if meta.len() == 0 {
            w.skipped.push((path, "empty file"));
        } else {
            std::fs::File::open(&path).map_err(|e| describe(&path, &e))?;
            w.files.push(path);
        }
    }
    Ok(())
}
