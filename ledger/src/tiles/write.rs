//! Writing tile files durably: each to a temporary name, fsync'd, renamed into place, then
//! every folder touched fsync'd, before the caller goes on to the log and `COMMIT`.
//!
//! The fsyncs of a group of files run at once, one thread each, and then those of the
//! folders: one after another they cost the signing thread a device round trip per file
//! (17 files per batch of 4,096 entries). Only the waiting moves: each file is renamed into
//! place only after its own fsync returned, and a write returns only once every file and
//! folder it touched is durable, so the storage order of `durable.rs` is unchanged.

use super::TileFiles;
use crate::error::{Error, Result};
use crate::fsys::{Io, Step};
use prov_proofs::Tile;
use std::collections::BTreeSet;
use std::fs::File;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

impl TileFiles {
    /// Writes tiles durably: each to a temporary name, fsync'd, renamed into place, and
    /// every folder touched fsync'd (steps [`Step::TileWrite`], [`Step::TileSync`]).
    ///
    /// # Errors
    /// [`Error::Io`]; tiles already in place stay (they are past any committed size or
    /// equal to what they replace).
    pub fn write(&self, tiles: &[(Tile, Vec<u8>)], io: &mut Io) -> Result<()> {
        let files: Vec<(String, &[u8])> = tiles.iter().map(|(t, b)| (t.path(), &b[..])).collect();
        self.write_files(&files, io)
    }

    /// Writes files under the folder (paths relative to it) as [`TileFiles::write`] does.
    ///
    /// The fsyncs run at once (see the module documentation).
    ///
    /// # Errors
    /// [`Error::Io`]; temporaries not renamed into place are removed.
    pub fn write_files(&self, files: &[(String, &[u8])], io: &mut Io) -> Result<()> {
        let mut dirs = BTreeSet::new();
        for group in files.chunks(SYNC_TOGETHER) {
            std::thread::scope(|s| self.write_group(group, &mut dirs, io, s))?;
        }
        std::thread::scope(|s| {
            let mut syncing = Vec::with_capacity(dirs.len());
            for d in &dirs {
                let started = io.step(Step::TileSync, || {
                    let dir = File::open(d)?;
                    Ok(start_sync(s, dir, true))
                });
                syncing.push((d, started.map_err(Error::io("sync", d))?));
            }
            for (d, handle) in syncing {
                joined(handle).map_err(Error::io("sync", d))?;
            }
            Ok(())
        })
    }

    /// Writes one group of files to their temporaries, their fsyncs started on threads of
    /// `s`, then renames each into place once its fsync returned; adds the folders to sync.
    fn write_group<'s>(
        &self,
        group: &[(String, &[u8])],
        dirs: &mut BTreeSet<PathBuf>,
        io: &mut Io,
        s: &'s std::thread::Scope<'s, '_>,
    ) -> Result<()> {
        let mut pending = Vec::with_capacity(group.len());
        for (rel, bytes) in group {
            let path = self.root.join(rel);
            let rel_parent = Path::new(rel).parent().unwrap_or(Path::new(""));
            let parent = self.root.join(rel_parent);
            // Every folder created on the way needs its own entry made durable.
            let mut created = parent.as_path();
            while !created.exists() && created.starts_with(&self.root) {
                dirs.insert(created.parent().unwrap_or(&self.root).to_owned());
                created = created.parent().unwrap_or(&self.root);
            }
            let tmp = parent.join(format!(
                ".{}{}.tmp",
                path.file_name().and_then(|n| n.to_str()).unwrap_or("tile"),
                self.tmp_tag
            ));
            // A leftover (or planted) temporary is removed, never opened: no FIFO can block.
            let prepared = self
                .real_dirs(rel_parent, true)
                .and_then(|_| crate::fsys::remove_any(&tmp));
            let started = prepared.and_then(|()| {
                let started = io.step(Step::TileWrite, || {
                    let mut f = std::fs::OpenOptions::new()
                        .write(true)
                        .create_new(true)
                        .mode(0o644)
                        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
                        .open(&tmp)?;
                    std::io::Write::write_all(&mut f, bytes)?;
                    Ok(start_sync(s, f, false))
                });
                started.map_err(Error::io("write", &tmp))
            });
            match started {
                Ok(handle) => pending.push((tmp, path, parent, handle)),
                Err(e) => {
                    // Its own temporary too, however far its write got (never one a
                    // refused folder stands in for: only a file is removed).
                    if tmp
                        .symlink_metadata()
                        .is_ok_and(|m| m.file_type().is_file())
                    {
                        let _ = std::fs::remove_file(&tmp);
                    }
                    return Err(abandon(pending, e));
                }
            }
        }
        let mut pending = pending.into_iter();
        while let Some((tmp, path, parent, handle)) = pending.next() {
            let placed = joined(handle)
                .map_err(Error::io("write", &tmp))
                .and_then(|()| self.place(&tmp, &path));
            if let Err(e) = placed {
                let _ = std::fs::remove_file(&tmp);
                return Err(abandon(pending.collect(), e));
            }
            dirs.insert(parent);
        }
        Ok(())
    }

    /// Renames the fsync'd temporary `tmp` over `path`, replacing a folder there only in the
    /// ledger's own tiles.
    fn place(&self, tmp: &Path, path: &Path) -> Result<()> {
        let folder = path
            .symlink_metadata()
            .is_ok_and(|m| m.file_type().is_dir());
        if folder {
            match self.replace {
                true => crate::fsys::remove_any(path)?,
                false => {
                    let _ = std::fs::remove_file(tmp);
                    return Err(Error::Io {
                        op: "replace (a folder stands where a file belongs)",
                        path: path.to_owned(),
                        source: std::io::Error::other("is a folder"),
                    });
                }
            }
        }
        std::fs::rename(tmp, path).map_err(Error::io("replace", path))
    }
}

/// Tile files whose fsyncs run at once, at most (one thread each).
const SYNC_TOGETHER: usize = 64;

/// An fsync running on its own thread, or its result if no thread could be started.
enum Syncing<'s> {
    Running(std::thread::ScopedJoinHandle<'s, std::io::Result<()>>),
    Done(std::io::Result<()>),
}
/// A temporary whose fsync is running: its path, where it goes, and that place's folder.
type Pending<'s> = (PathBuf, PathBuf, PathBuf, Syncing<'s>);

/// Starts the fsync of `file` (its data, or `all` of it) on a thread of `s`; when no thread
/// can be started, runs it here.
fn start_sync<'s>(s: &'s std::thread::Scope<'s, '_>, file: File, all: bool) -> Syncing<'s> {
    let sync = move |f: &File| if all { f.sync_all() } else { f.sync_data() };
    let file = Arc::new(file);
    let shared = Arc::clone(&file);
    match std::thread::Builder::new().spawn_scoped(s, move || sync(&shared)) {
        Ok(handle) => Syncing::Running(handle),
        Err(_) => Syncing::Done(sync(&file)),
    }
}

/// The result of an fsync (a panic on its thread is an I/O error here).
fn joined(syncing: Syncing<'_>) -> std::io::Result<()> {
    match syncing {
        Syncing::Running(h) => h
            .join()
            .unwrap_or_else(|_| Err(std::io::Error::other("fsync thread panicked"))),
        Syncing::Done(result) => result,
    }
}

/// Waits for the fsyncs of temporaries not renamed into place and removes them; gives `e`.
fn abandon(pending: Vec<Pending<'_>>, e: Error) -> Error {
    for (tmp, _, _, handle) in pending {
        let _ = joined(handle);
        let _ = std::fs::remove_file(&tmp);
    }
    e
}
