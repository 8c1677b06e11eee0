//! One run of the content index (FORMAT.md section 7.3): a file `content/<first>-<end>`
//! holding, for each entry whose seq is in `[first, end)`, one 40-byte record: the entry's
//! content SHA-256 and its seq as a big-endian uint64, sorted by those 40 bytes. Nothing
//! else: the file is exactly `40 * (end - first)` bytes. Runs are written whole to a
//! temporary name, fsync'd and renamed into place, and never change afterwards.
//!
//! A lookup finds the records of one SHA-256, or of a start of one, with a few positioned
//! reads (`content_run/search.rs`).

use crate::error::{Error, Result};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

mod search;
pub(crate) use search::hex_starts_with;

/// Bytes per record: the SHA-256, then the seq.
pub(crate) const RECORD: usize = 40;
/// Records read together when a search narrows to them (5 KiB).
const WINDOW: u64 = 128;
/// Interpolated guesses before a search only halves.
const GUESSES: u32 = 6;

/// One record: a content hash and the seq of an entry recording it.
pub(crate) type Record = ([u8; 32], u64);

/// The canonical file name of the run of `[first, end)`.
pub(crate) fn name(first: u64, end: u64) -> String {
    format!("{first}-{end}")
}

/// The range a canonical run name stands for (decimal, no leading zeros, `first < end`).
pub(crate) fn parse_name(name: &str) -> Option<(u64, u64)> {
    let (a, b) = name.split_once('-')?;
    let num = |s: &str| -> Option<u64> {
        let canonical = !s.is_empty()
            && s.bytes().all(|c| c.is_ascii_digit())
            && (s == "0" || !s.starts_with('0'));
        canonical.then(|| s.parse().ok()).flatten()
    };
    let (first, end) = (num(a)?, num(b)?);
    (first < end).then_some((first, end))
}

fn decode(bytes: &[u8]) -> Record {
    let mut sha = [0u8; 32];
    sha.copy_from_slice(&bytes[..32]);
    let mut seq = [0u8; 8];
    seq.copy_from_slice(&bytes[32..RECORD]);
    (sha, u64::from_be_bytes(seq))
}

fn encode(r: &Record, out: &mut [u8]) {
    out[..32].copy_from_slice(&r.0);
    out[32..RECORD].copy_from_slice(&r.1.to_be_bytes());
}

/// An open run.
pub(crate) struct Run {
    pub first: u64,
    pub end: u64,
    pub path: PathBuf,
    file: File,
}

impl Run {
    /// Opens the run at `path` for `[first, end)`: a regular file, never through a link,
    /// of exactly the length its range gives.
    ///
    /// # Errors
    /// [`Error::Io`] (`NotFound` kept as the kind: a merge may have replaced it), and
    /// [`Error::IndexDisagrees`] for a file of the wrong kind or length.
    pub fn open(path: PathBuf, first: u64, end: u64) -> Result<Run> {
        let file = crate::fsys::open_regular(&path, false).map_err(|e| match e {
            e @ Error::Io { .. } => e,
            // A derived file: the fix is `reindex`, never a backup.
            Error::Damaged { path, reason, .. } => Error::IndexDisagrees {
                reason: format!("{}: {reason}", path.display()),
            },
            e => Error::IndexDisagrees {
                reason: e.to_string(),
            },
        })?;
        let len = file.metadata().map_err(Error::io("inspect", &path))?.len();
        let want = (end - first).checked_mul(RECORD as u64);
        if Some(len) != want {
            return Err(Error::IndexDisagrees {
                reason: format!(
                    "{} is {len} bytes, where its {} entries take {} bytes",
                    path.display(),
                    end - first,
                    (end - first).saturating_mul(RECORD as u64)
                ),
            });
        }
        Ok(Run {
            first,
            end,
            path,
            file,
        })
    }

    /// Records in the run.
    pub fn count(&self) -> u64 {
        self.end - self.first
    }

    fn read(&self, from: u64, n: u64) -> Result<Vec<u8>> {
        let mut buf = vec![0u8; (n as usize) * RECORD];
        self.file
            .read_exact_at(&mut buf, from * RECORD as u64)
            .map_err(Error::io("read", &self.path))?;
        Ok(buf)
    }

    fn disagrees(&self, what: &str) -> Error {
        Error::IndexDisagrees {
            reason: format!("{} {what}", self.path.display()),
        }
    }

    /// Every record, in order, read sequentially (with positioned reads: any number of
    /// passes, never the file's shared cursor).
    pub fn records(&self) -> Records<'_> {
        Records {
            run: self,
            next: 0,
            buf: Vec::new(),
            at: 0,
        }
    }
}

/// Records read together by [`Records`] (64 KiB).
const CHUNK_RECORDS: u64 = 1638;

/// A run's records in file order.
pub(crate) struct Records<'a> {
    run: &'a Run,
    /// The index of the next record to read from the file.
    next: u64,
    buf: Vec<u8>,
    /// Where the next record starts in `buf`.
    at: usize,
}

impl Iterator for Records<'_> {
    type Item = Result<Record>;
    fn next(&mut self) -> Option<Result<Record>> {
        if self.at == self.buf.len() {
            let n = CHUNK_RECORDS.min(self.run.count() - self.next);
            if n == 0 {
                return None;
            }
            match self.run.read(self.next, n) {
                Ok(b) => (self.buf, self.at) = (b, 0),
                Err(e) => {
                    self.next = self.run.count();
                    self.buf.clear();
                    return Some(Err(e));
                }
            }
            self.next += n;
        }
        let r = decode(&self.buf[self.at..self.at + RECORD]);
        self.at += RECORD;
        Some(Ok(r))
    }
}

/// Writes the run of `[first, end)` into `dir` from records already in order: to a
/// temporary name, fsync'd, then renamed into place, so that a run's name never stands for
/// a partial file. The folder is not fsync'd: a run whose name is lost is only an index
/// behind the log, which the next writer catches up.
///
/// # Errors
/// [`Error::Io`]; [`Error::IndexDisagrees`] when the records are not exactly one per entry.
pub(crate) fn write(
    dir: &Path,
    first: u64,
    end: u64,
    records: impl Iterator<Item = Result<Record>>,
) -> Result<()> {
    let path = dir.join(name(first, end));
    let tmp = dir.join(format!(".{}.tmp", name(first, end)));
    crate::fsys::remove_any(&tmp)?;
    let written = (|| -> Result<()> {
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o644)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
            .open(&tmp)
            .map_err(Error::io("create", &tmp))?;
        let mut w = BufWriter::with_capacity(1 << 16, file);
        let (mut n, mut last): (u64, Option<Record>) = (0, None);
        let mut buf = [0u8; RECORD];
        for r in records {
            let r = r?;
            if last.is_some_and(|l| l >= r) || r.1 < first || r.1 >= end {
                return Err(Error::IndexDisagrees {
                    reason: format!("the records of entries {first} to {end} do not sort"),
                });
            }
            encode(&r, &mut buf);
            w.write_all(&buf).map_err(Error::io("write", &tmp))?;
            (n, last) = (n + 1, Some(r));
        }
        if n != end - first {
            return Err(Error::IndexDisagrees {
                reason: format!(
                    "{n} records for the {} entries {first} to {end}",
                    end - first
                ),
            });
        }
        let file = w.into_inner().map_err(|e| Error::Io {
            op: "write",
            path: tmp.clone(),
            source: e.into_error(),
        })?;
        file.sync_data().map_err(Error::io("sync", &tmp))
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    std::fs::rename(&tmp, &path).map_err(Error::io("rename", &path))
}

/// The records of two runs, merged in order.
pub(crate) fn merged<'a>(a: &'a Run, b: &'a Run) -> impl Iterator<Item = Result<Record>> + 'a {
    let (mut a, mut b) = (a.records().peekable(), b.records().peekable());
    std::iter::from_fn(move || match (a.peek(), b.peek()) {
        (Some(Ok(x)), Some(Ok(y))) if x <= y => a.next(),
        (Some(Ok(_)), Some(Ok(_))) => b.next(),
        (Some(Err(_)), _) | (_, None) => a.next(),
        _ => b.next(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_of(dir: &Path, mut recs: Vec<Record>) -> Run {
        recs.sort_unstable();
        let end = recs.len() as u64;
        write(dir, 0, end, recs.into_iter().map(Ok)).unwrap();
        Run::open(dir.join(name(0, end)), 0, end).unwrap()
    }

    fn sha(i: u64, skew: bool) -> [u8; 32] {
        let mut s: [u8; 32] = sha2::Digest::finalize(sha2::Digest::chain_update(
            <sha2::Sha256 as sha2::Digest>::new(),
            i.to_be_bytes(),
        ))
        .into();
        if skew {
            // Every hash in one corner of the space: the interpolation guesses nothing.
            s[..6].fill(0xff);
        }
        s
    }

    /// Every lookup finds exactly the seqs recorded for that hash, however the hashes are
    /// spread, with repeats crossing read windows, and a hash absent finds nothing.
    #[test]
    fn lookups_find_exactly_what_was_written() {
        for skew in [false, true] {
            let tmp = tempfile::tempdir().unwrap();
            let n = 5_000u64;
            // Content i % 1500: most hashes once, some many times (up to 300 apart).
            let recs: Vec<Record> = (0..n)
                .map(|s| (sha(s % 1500 + s / 4900, skew), s))
                .collect();
            let run = run_of(tmp.path(), recs.clone());
            for c in 0..1600 {
                let want: Vec<u64> = recs
                    .iter()
                    .filter(|r| r.0 == sha(c, skew))
                    .map(|r| r.1)
                    .collect();
                assert_eq!(
                    run.seqs_for(&sha(c, skew)).unwrap(),
                    want,
                    "content {c} skew {skew}"
                );
            }
            assert!(run.seqs_for(&[0; 32]).unwrap().is_empty());
            assert!(run.seqs_for(&[0xff; 32]).unwrap().is_empty());
        }
    }

    #[test]
    fn names_are_canonical() {
        assert_eq!(parse_name("0-1"), Some((0, 1)));
        assert_eq!(parse_name(&name(4096, 8192)), Some((4096, 8192)));
        for bad in [
            "1-1", "2-1", "01-2", "0-02", "-1", "0-", "a-b", "0-1.tmp", "+1-2",
        ] {
            assert_eq!(parse_name(bad), None, "{bad}");
        }
    }

    /// A file of the wrong length is refused, and records out of order are an error,
    /// never a wrong answer or a panic.
    #[test]
    fn damaged_runs_are_errors() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("0-3");
        std::fs::write(&path, vec![0u8; 119]).unwrap();
        assert!(matches!(
            Run::open(path.clone(), 0, 3),
            Err(Error::IndexDisagrees { .. })
        ));
        let mut bytes = vec![0u8; 120];
        bytes[0] = 9;
        std::fs::write(&path, bytes).unwrap();
        let run = Run::open(path, 0, 3).unwrap();
        assert!(matches!(
            run.seqs_for(&[1; 32]),
            Err(Error::IndexDisagrees { .. })
        ));
    }
}
