//! How the ledger reaches the file system: every file inside a ledger folder is opened
//! without following symlinks and must be a regular file (a FIFO, device or link is refused
//! before anything is read from it); small files are read with a size cap; the writer's lock
//! is an advisory lock on the folder itself, which cannot be deleted from under it.
//!
//! The commit path's system calls go through [`Io::step`], the seam at which tests inject
//! failures ([`Step`], [`Injected`]) into the real files, at the system-call boundary.

use crate::error::{Error, Result};
use std::fs::{File, OpenOptions};
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;

/// Largest `ledger.json` accepted.
pub const MAX_CONFIG_BYTES: u64 = 64 << 10;
/// Largest `COMMIT` accepted.
pub const MAX_COMMIT_BYTES: u64 = 4 << 10;
/// Largest `key.pem` accepted.
pub const MAX_KEY_BYTES: u64 = 16 << 10;

pub(crate) fn kind_of(ft: std::fs::FileType) -> &'static str {
    if ft.is_symlink() {
        "a symbolic link"
    } else if ft.is_dir() {
        "a directory"
    } else if ft.is_fifo() {
        "a FIFO"
    } else if ft.is_socket() {
        "a socket"
    } else if ft.is_block_device() || ft.is_char_device() {
        "a device"
    } else if ft.is_file() {
        "a regular file"
    } else {
        "not a regular file"
    }
}

fn not_regular(path: &Path, what: &str) -> Error {
    Error::Damaged {
        path: path.to_owned(),
        offset: None,
        reason: format!(
            "it is {what}, where the ledger keeps a regular file (refused, not followed)"
        ),
    }
}

/// Opens a file of the ledger folder: never through a symlink, never blocking on a FIFO,
/// and only if it is a regular file.
///
/// # Errors
/// [`Error::Io`] when it cannot be opened (`NotFound` kept as the source kind),
/// [`Error::Damaged`] when it is a link, FIFO, device or directory.
pub fn open_regular(path: &Path, write: bool) -> Result<File> {
    let file = OpenOptions::new()
        .read(true)
        .write(write)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| {
            if e.raw_os_error() == Some(libc::ELOOP) {
                return not_regular(path, "a symbolic link");
            }
            Error::Io {
                op: if write { "open for writing" } else { "open" },
                path: path.to_owned(),
                source: e,
            }
        })?;
    let meta = file.metadata().map_err(Error::io("inspect", path))?;
    if !meta.file_type().is_file() {
        return Err(not_regular(path, kind_of(meta.file_type())));
    }
    Ok(file)
}

/// Reads a small file of the ledger folder whole, refusing one larger than `max` bytes.
///
/// # Errors
/// As [`open_regular`], and [`Error::Damaged`] when the file is larger than `max`.
pub fn read_small(path: &Path, max: u64) -> Result<Vec<u8>> {
    let file = open_regular(path, false)?;
    let len = file.metadata().map_err(Error::io("inspect", path))?.len();
    if len > max {
        return Err(Error::Damaged {
            path: path.to_owned(),
            offset: None,
            reason: format!("it is {len} bytes, more than the {max} such a file can hold"),
        });
    }
    let mut out = Vec::with_capacity(len as usize);
    file.take(max + 1)
        .read_to_end(&mut out)
        .map_err(Error::io("read", path))?;
    if out.len() as u64 > max {
        return Err(Error::Damaged {
            path: path.to_owned(),
            offset: None,
            reason: format!("it grew past the {max} bytes such a file can hold"),
        });
    }
    Ok(out)
}

/// Whether `path` exists as anything at all (a dangling symlink counts).
pub fn exists(path: &Path) -> bool {
    path.symlink_metadata().is_ok()
}

/// Removes whatever stands at `path` (a folder, file or link, never following a link).
///
/// # Errors
/// [`Error::Io`].
pub fn remove_any(path: &Path) -> Result<()> {
    match path.symlink_metadata() {
        Err(_) => Ok(()),
        Ok(m) if m.file_type().is_dir() => {
            std::fs::remove_dir_all(path).map_err(Error::io("remove", path))
        }
        Ok(_) => std::fs::remove_file(path).map_err(Error::io("remove", path)),
    }
}

/// Takes the ledger's exclusive lock: an advisory `flock` on the ledger folder itself, so
/// that no file can be deleted or replaced to let a second process in. Writes nothing.
/// Returns the open folder, which also serves to fsync it.
///
/// # Errors
/// [`Error::InUse`] when another process holds it, [`Error::Io`] otherwise.
pub fn lock_dir(dir: &Path) -> Result<File> {
    let f = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_DIRECTORY)
        .open(dir)
        .map_err(Error::io("open", dir))?;
    match f.try_lock() {
        Ok(()) => Ok(f),
        Err(std::fs::TryLockError::WouldBlock) => Err(Error::InUse(dir.to_owned())),
        Err(std::fs::TryLockError::Error(e)) => Err(Error::io("lock", dir)(e)),
    }
}

/// As [`lock_dir`], but a lock held only for a moment does not refuse: tries again for up to
/// `patience` before saying the ledger is in use. For writers: one starting while another
/// finishes should not fail for it.
///
/// # Errors
/// As [`lock_dir`].
pub fn lock_dir_patient(dir: &Path, patience: std::time::Duration) -> Result<File> {
    let start = std::time::Instant::now();
    loop {
        match lock_dir(dir) {
            Err(Error::InUse(_)) if start.elapsed() < patience => {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            other => return other,
        }
    }
}

/// Creates the folder `dir` inside the ledger folder `ledger` if it is missing (durably: the
/// ledger folder is fsync'd), and takes an exclusive `flock` on it, waiting for it: the lock
/// that orders the writers of `cosignatures/` and `timestamps/`. Held while the file lives.
///
/// # Errors
/// [`Error::Io`].
pub(crate) fn locked_subdir(ledger: &Path, dir: &Path) -> Result<File> {
    if !dir.is_dir() {
        std::fs::create_dir(dir)
            .or_else(|e| match e.kind() {
                std::io::ErrorKind::AlreadyExists => Ok(()),
                _ => Err(e),
            })
            .map_err(Error::io("create", dir))?;
        File::open(ledger)
            .and_then(|d| d.sync_all())
            .map_err(Error::io("sync", ledger))?;
    }
    let lock = File::open(dir).map_err(Error::io("open", dir))?;
    lock.lock().map_err(Error::io("lock", dir))?;
    Ok(lock)
}

/// A step of the commit path at which a test can inject a failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Step {
    /// Writing a tile file to its temporary name and starting its fsync (the fsyncs of a
    /// batch's tiles run together and are awaited before any is renamed into place; a failed
    /// fsync is an error of the write, reached through the real system call only).
    TileWrite,
    /// fsync of a folder of tile files.
    TileSync,
    /// Writing the batch's offsets to `offsets`.
    OffsetsWrite,
    /// fsync of `offsets`.
    OffsetsSync,
    /// Writing the batch's records after the committed end of `entries.log`.
    LogWrite,
    /// fsync of `entries.log`.
    LogSync,
    /// Writing `COMMIT.tmp`.
    CommitWrite,
    /// fsync of `COMMIT.tmp`.
    CommitSync,
    /// Renaming `COMMIT.tmp` over `COMMIT`: the commit point.
    CommitRename,
    /// Reading `COMMIT` back after the rename reported an error, to learn whether it took
    /// effect.
    CommitReadBack,
    /// fsync of the ledger folder after the rename.
    DirSync,
    /// Writing the batch's run of the content index (after the commit point).
    IndexApply,
}

/// How an injected failure behaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Injected {
    /// The system call is not made; an error is returned.
    FailedNotPersisted,
    /// The system call is made and takes effect; an error is returned all the same.
    FailedButPersisted,
}

/// A test's choice, per step, of a failure to inject.
pub type FaultHook = Box<dyn FnMut(Step) -> Option<Injected> + Send + Sync>;

/// The commit path's access to the file system: direct, or with injected failures.
#[derive(Default)]
pub struct Io {
    hook: Option<FaultHook>,
}

impl Io {
    /// Sets the hook that tests use to inject failures.
    pub fn set_hook(&mut self, hook: Option<FaultHook>) {
        self.hook = hook;
    }

    /// Runs one system call of the commit path, or fails it as the hook says.
    pub fn step<T>(
        &mut self,
        step: Step,
        op: impl FnOnce() -> std::io::Result<T>,
    ) -> std::io::Result<T> {
        let injected = self.hook.as_mut().and_then(|h| h(step));
        let fail = || std::io::Error::other(format!("injected failure at {step:?}"));
        match injected {
            None => op(),
            Some(Injected::FailedNotPersisted) => Err(fail()),
            Some(Injected::FailedButPersisted) => {
                op()?;
                Err(fail())
            }
        }
    }
}

/// Replaces the file at `path` with `bytes` durably: written to `.NAME.tmp` beside it (a
/// leftover or a link planted there is removed, never followed: the temporary is created new,
/// with `O_NOFOLLOW`), fsync'd, renamed over `path`, and the folder fsync'd. `path` is then the
/// old or the new file, never a part; a link at `path` itself is replaced, not written through.
///
/// # Errors
/// [`Error::Io`] naming the step.
pub fn replace_durably(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let tmp = dir.join(format!(".{name}.tmp"));
    let _ = std::fs::remove_file(&tmp);
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o644)
        .custom_flags(libc::O_NOFOLLOW)
        .open(&tmp)
        .map_err(Error::io("create", &tmp))?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .map_err(Error::io("write", &tmp))?;
    drop(f);
    std::fs::rename(&tmp, path).map_err(Error::io("rename", &tmp))?;
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(Error::io("sync", dir))
}
