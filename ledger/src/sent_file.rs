//! A walked file read to be sent elsewhere (`prov --server URL add` uploads its bytes):
//! opened only when it is read, refused as `prov add` refuses it when it is not the file the
//! walk listed, and when it changed while it was read, so that no torn or newer version is
//! sent as the file that was listed.

use crate::digest::{WalkedFile, check_unchanged, open_walked};
use crate::error::Error;
use std::fs::{File, Metadata};
use std::io::{self, Read};

/// The bytes of a walked file, checked against the walk when they end.
pub struct SentFile {
    file: WalkedFile,
    open: Option<(File, Metadata)>,
    read: u64,
    /// The first error, kept for the caller: an I/O error carries only its text.
    failed: Option<Error>,
}

impl SentFile {
    /// `f`, to be opened at its first read.
    pub fn new(f: WalkedFile) -> SentFile {
        SentFile {
            file: f,
            open: None,
            read: 0,
            failed: None,
        }
    }

    /// Why reading it failed, if it did (the file replaced, changed, or unreadable).
    pub fn take_error(&mut self) -> Option<Error> {
        self.failed.take()
    }

    fn fail(&mut self, e: Error) -> io::Error {
        let err = io::Error::other(e.to_string());
        self.failed = Some(e);
        err
    }
}

impl Read for SentFile {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.failed.is_some() {
            return Err(io::Error::other("the file failed before"));
        }
        if self.open.is_none() {
            match open_walked(&self.file) {
                Ok(o) => self.open = Some(o),
                Err(e) => return Err(self.fail(e)),
            }
        }
        let Some((file, before)) = &mut self.open else {
            return Ok(0);
        };
        let n = match file.read(buf) {
            Ok(n) => n,
            Err(e) => {
                let e = Error::io("read", &self.file.path)(e);
                return Err(self.fail(e));
            }
        };
        self.read += n as u64;
        // At its end, or past the size listed: the same file, as long as listed, unchanged.
        if (n == 0 && !buf.is_empty()) || self.read > self.file.id.size {
            let checked = check_unchanged(file, before, self.read, &self.file.path);
            if let Err(e) = checked {
                return Err(self.fail(e));
            }
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn walked(dir: &std::path::Path) -> WalkedFile {
        let w =
            crate::walk::walk(&[dir.to_path_buf()], false, &crate::walk::Skip::default()).unwrap();
        w.files.into_iter().next().unwrap()
    }

    /// Sent as listed; a file changed after the walk (same size or not) fails the read with
    /// the error `prov add` gives, kept for the caller.
    #[test]
    fn a_file_changed_after_the_walk_is_not_sent() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.txt");
        std::fs::write(&path, "as listed\n").unwrap();
        let mut sent = Vec::new();
        SentFile::new(walked(dir.path()))
            .read_to_end(&mut sent)
            .unwrap();
        assert_eq!(sent, b"as listed\n");
        for changed in ["as listeD\n", "as listed, and more\n"] {
            let f = walked(dir.path());
            std::thread::sleep(std::time::Duration::from_millis(20));
            std::fs::write(&path, changed).unwrap();
            let mut s = SentFile::new(f);
            assert!(s.read_to_end(&mut Vec::new()).is_err(), "{changed}");
            assert!(
                matches!(s.take_error(), Some(Error::FileChanged(_))),
                "{changed}"
            );
        }
    }
}
