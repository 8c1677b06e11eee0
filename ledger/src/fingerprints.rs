//! `fingerprints`: the similarity fingerprints of recorded documents (FORMAT.md section 7.6).
//!
//! The ledger keeps hashes, not bytes, so a document's TLSH can only be computed when it is
//! added: this file is written then, beside the log, and cannot be rebuilt from the log. It
//! is not signed and nothing in it is trusted: a record is believed only for an entry that
//! records the record's SHA-256, read from the signed log when it is reported.
//!
//! One 8-byte header `PROVFPR` `0x01`, then 113-byte records, in seq order:
//! `seq (u64 BE) || sha256 (32) || kind (u8: 1 bytes, 2 text) || TLSH (72 ASCII bytes)`.
//! A writer appends a batch's records and fsyncs them before the batch's commit point
//! (FORMAT.md 7.2), so every committed first-seen entry that has a fingerprint has its
//! record; a batch cut back leaves records past the committed size, which readers ignore and
//! the next writer cuts before it appends.

use crate::error::{Error, Result};
use crate::fsys;
use prov_ingest::Tlsh;
use std::fs::{File, OpenOptions};
use std::io::{BufReader, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// The file's name in the ledger folder.
pub const FILE: &str = "fingerprints";
const HEADER: &[u8; 8] = b"PROVFPR\x01";
/// One record's size in bytes.
pub const RECORD: usize = 8 + 32 + 1 + 72;

/// Which of a document's fingerprints a record holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PrintKind {
    /// TLSH of its bytes.
    Bytes,
    /// TLSH of its extracted text.
    Text,
}

impl PrintKind {
    /// `bytes` or `text`.
    pub fn as_str(self) -> &'static str {
        match self {
            PrintKind::Bytes => "bytes",
            PrintKind::Text => "text",
        }
    }

    fn byte(self) -> u8 {
        match self {
            PrintKind::Bytes => 1,
            PrintKind::Text => 2,
        }
    }
}

/// One fingerprint of one recorded document.
#[derive(Clone, Debug)]
pub struct Print {
    /// The first-seen entry of the document.
    pub seq: u64,
    /// Its SHA-256.
    pub sha256: [u8; 32],
    /// What was fingerprinted.
    pub kind: PrintKind,
    /// The fingerprint.
    pub tlsh: Tlsh,
}

impl Print {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.seq.to_be_bytes());
        out.extend_from_slice(&self.sha256);
        out.push(self.kind.byte());
        let text = self.tlsh.text();
        debug_assert_eq!(text.len(), 72);
        out.extend_from_slice(text.as_bytes());
    }

    /// A record's fields; `None` for a record that does not read (a bad kind or TLSH).
    fn decode(r: &[u8; RECORD]) -> Option<Print> {
        let seq = u64::from_be_bytes(r[..8].try_into().ok()?);
        let sha256 = r[8..40].try_into().ok()?;
        let kind = match r[40] {
            1 => PrintKind::Bytes,
            2 => PrintKind::Text,
            _ => return None,
        };
        let tlsh = Tlsh::parse(std::str::from_utf8(&r[41..]).ok()?)?;
        Some(Print {
            seq,
            sha256,
            kind,
            tlsh,
        })
    }
}

/// What a reader found in the file.
#[derive(Debug, Default)]
pub struct Loaded {
    /// The records of committed entries that read, in file order.
    pub prints: Vec<Print>,
    /// Records that do not read (counted, skipped).
    pub unreadable: u64,
    /// Whether the file exists.
    pub present: bool,
}

fn path(dir: &Path) -> PathBuf {
    dir.join(FILE)
}

/// Reads every record of entries below `size` (the committed size). A missing file is no
/// error (`present` false): a ledger written before fingerprints, or an audit bundle.
///
/// # Errors
/// [`Error::FingerprintsDamaged`] for a bad header, [`Error::Damaged`] for a link or
/// another kind of file; read errors.
pub fn load(dir: &Path, size: u64) -> Result<Loaded> {
    let mut prints = Vec::new();
    let mut loaded = scan(dir, size, |p| prints.push(p))?;
    loaded.prints = prints;
    Ok(loaded)
}

/// Calls `each` with every record of an entry below `size`, in file order, holding none:
/// what [`load`] does, in constant memory. The `Loaded` returned has no `prints`.
///
/// # Errors
/// As [`load`].
pub fn scan(dir: &Path, size: u64, mut each: impl FnMut(Print)) -> Result<Loaded> {
    let p = path(dir);
    if !fsys::exists(&p) {
        return Ok(Loaded::default());
    }
    let file = fsys::open_regular(&p, false)?;
    if file.metadata().is_ok_and(|m| m.len() == 0) {
        // Left empty by a crash between its creation and its header (`Appender::open`).
        return Ok(Loaded::default());
    }
    let mut r = BufReader::with_capacity(1 << 20, file);
    check_header(&mut r, &p)?;
    let mut loaded = Loaded {
        present: true,
        ..Loaded::default()
    };
    let mut rec = [0u8; RECORD];
    loop {
        match r.read_exact(&mut rec) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
            Err(e) => return Err(Error::io("read", &p)(e)),
        }
        match Print::decode(&rec) {
            Some(print) if print.seq < size => each(print),
            Some(_) => {} // past the committed size: a batch cut back
            None => loaded.unreadable += 1,
        }
    }
    Ok(loaded)
}

fn check_header(r: &mut impl Read, p: &Path) -> Result<()> {
    let mut h = [0u8; 8];
    let ok = r.read_exact(&mut h).is_ok() && &h == HEADER;
    if !ok {
        return Err(Error::FingerprintsDamaged { path: p.to_owned() });
    }
    Ok(())
}

/// The file open for appending, cut back to the records of committed entries.
pub(crate) struct Appender {
    file: File,
    path: PathBuf,
}

impl Appender {
    /// Opens (creating it if missing) the file of the ledger in `dir`, whose committed size
    /// is `size`, and cuts what follows the last record of an entry below `size`.
    ///
    /// # Errors
    /// As [`load`]; errors creating, cutting or syncing it.
    pub fn open(dir: &Path, size: u64) -> Result<Appender> {
        let p = path(dir);
        let existing = if fsys::exists(&p) {
            Some(fsys::open_regular(&p, true)?)
        } else {
            None
        };
        let empty = |f: &File| f.metadata().is_ok_and(|m| m.len() == 0);
        let file = if let Some(f) = existing.filter(|f| !empty(f)) {
            f
        } else if fsys::exists(&p) {
            // Left empty by a crash between its creation and its header: nothing in it to
            // keep, so it is started again.
            let mut f = fsys::open_regular(&p, true)?;
            f.write_all(HEADER).map_err(Error::io("write", &p))?;
            f.sync_all().map_err(Error::io("sync", &p))?;
            f
        } else {
            let mut f = OpenOptions::new()
                .read(true)
                .write(true)
                .create_new(true)
                .mode(0o644)
                .custom_flags(libc::O_NOFOLLOW)
                .open(&p)
                .map_err(Error::io("create", &p))?;
            f.write_all(HEADER).map_err(Error::io("write", &p))?;
            f.sync_all().map_err(Error::io("sync", &p))?;
            File::open(dir)
                .and_then(|d| d.sync_all())
                .map_err(Error::io("sync", dir))?;
            f
        };
        let mut head = [0u8; 8];
        let _ = std::os::unix::fs::FileExt::read_exact_at(&file, &mut head, 0);
        check_header(&mut &head[..], &p)?;
        let len = file.metadata().map_err(Error::io("inspect", &p))?.len();
        let mut records = len.saturating_sub(8) / RECORD as u64;
        // Records are in seq order: cut those of entries not committed (and a torn end).
        let mut seq = [0u8; 8];
        while records > 0 {
            let at = 8 + (records - 1) * RECORD as u64;
            std::os::unix::fs::FileExt::read_exact_at(&file, &mut seq, at)
                .map_err(Error::io("read", &p))?;
            if u64::from_be_bytes(seq) < size {
                break;
            }
            records -= 1;
        }
        let keep = 8 + records * RECORD as u64;
        if keep != len {
            file.set_len(keep).map_err(Error::io("cut", &p))?;
            file.sync_all().map_err(Error::io("sync", &p))?;
        }
        Ok(Appender { file, path: p })
    }

    /// Appends `prints` and fsyncs them.
    ///
    /// # Errors
    /// Write and sync errors (the caller then does not commit the batch).
    pub fn append(&mut self, prints: &[Print]) -> Result<()> {
        if prints.is_empty() {
            return Ok(());
        }
        let mut buf = Vec::with_capacity(prints.len() * RECORD);
        for p in prints {
            p.encode(&mut buf);
        }
        self.file
            .seek(SeekFrom::End(0))
            .map_err(Error::io("seek", &self.path))?;
        self.file
            .write_all(&buf)
            .map_err(Error::io("write", &self.path))?;
        self.file.sync_data().map_err(Error::io("sync", &self.path))
    }
}

impl crate::ledger::Ledger {
    /// Stores a batch's fingerprints durably, before its commit point.
    pub(crate) fn store_fingerprints(&mut self, prints: &[Print]) -> Result<()> {
        if prints.is_empty() {
            return Ok(());
        }
        if self.prints_out.is_none() {
            self.prints_out = Some(Appender::open(&self.dir, self.commit.size)?);
        }
        match &mut self.prints_out {
            Some(out) => out.append(prints),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn print(seq: u64) -> Print {
        let text: Vec<u8> = (0..400u32).map(|i| (i * 7919 % 251) as u8).collect();
        Print {
            seq,
            sha256: [seq as u8; 32],
            kind: PrintKind::Text,
            tlsh: Tlsh::of(&text).unwrap(),
        }
    }

    #[test]
    fn append_load_and_cut_back() {
        let dir = tempfile::tempdir().unwrap();
        assert!(!load(dir.path(), 10).unwrap().present);
        let mut a = Appender::open(dir.path(), 0).unwrap();
        a.append(&[print(0), print(1), print(2)]).unwrap();
        drop(a);
        let l = load(dir.path(), 2).unwrap();
        assert_eq!(l.prints.iter().map(|p| p.seq).collect::<Vec<_>>(), [0, 1]);
        // A torn record after them, and a record of a batch cut back.
        let mut f = OpenOptions::new()
            .append(true)
            .open(path(dir.path()))
            .unwrap();
        f.write_all(&[1, 2, 3]).unwrap();
        drop(f);
        let a = Appender::open(dir.path(), 2).unwrap();
        drop(a);
        let len = std::fs::metadata(path(dir.path())).unwrap().len();
        assert_eq!(len, 8 + 2 * RECORD as u64);
        let l = load(dir.path(), 5).unwrap();
        assert_eq!(l.prints.len(), 2);
        assert_eq!(l.prints[1].tlsh, print(1).tlsh);
    }

    #[test]
    fn a_bad_header_is_damage_and_a_bad_record_is_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let mut bytes = HEADER.to_vec();
        print(0).encode(&mut bytes);
        bytes.extend_from_slice(&[0u8; RECORD]);
        std::fs::write(path(dir.path()), &bytes).unwrap();
        let l = load(dir.path(), 9).unwrap();
        assert_eq!((l.prints.len(), l.unreadable), (1, 1));
        std::fs::write(path(dir.path()), b"garbage!").unwrap();
        assert!(matches!(
            load(dir.path(), 9),
            Err(Error::FingerprintsDamaged { .. })
        ));
    }
}
