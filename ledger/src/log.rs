//! The entry log: the ledger's source of truth (FORMAT.md section 7).
//!
//! `entries.log` is an 8-byte header followed by framed records; `COMMIT` names how many of
//! its bytes are committed. The storage contract, at each point a crash could hit an append:
//!
//! 1. Records are written after the committed end. A crash here leaves a tail that `COMMIT`
//!    does not cover: it was never reported, and the next writer cuts it off.
//! 2. `entries.log` is fsync'd. A crash here leaves the same uncommitted tail.
//! 3. `COMMIT.tmp` is written and fsync'd, then renamed over `COMMIT`. The rename is the
//!    commit point: before it, the batch can be cut (by the lock holder only); from the
//!    moment `COMMIT` may name the batch, nothing of it is ever cut again.
//! 4. The folder is fsync'd, making the rename durable. Only after this returns is the
//!    batch reported to the caller.
//!
//! So every byte at or before the committed end was fsync'd before it was reported, and any
//! byte change in that region is a fault that `audit` locates, never a silent truncation.
//! A complete, signed batch found past `COMMIT` (a crash between steps 2 and 4) is rolled
//! forward by the next writer, not cut (see `recovery.rs`).

use crate::error::{Error, Result};
use crate::fsys::{self, Io, Step};
use std::fs::{File, OpenOptions};
use std::io::{BufReader, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

/// The first 8 bytes of `entries.log`: `PROVLOG` and the log format version, 1.
pub const LOG_MAGIC: [u8; 8] = *b"PROVLOG\x01";
/// Bytes of the header.
pub const HEADER_LEN: u64 = LOG_MAGIC.len() as u64;
/// Record type of an entry (payload: the leaf data).
pub const RECORD_ENTRY: u8 = 1;
/// Record type of a checkpoint (payload: the signed note text).
pub const RECORD_CHECKPOINT: u8 = 2;
/// Largest record payload accepted.
pub const MAX_PAYLOAD: u32 = 1 << 20;
/// Bytes a frame adds around its payload: type, length, CRC-32.
pub const FRAME_OVERHEAD: u64 = 1 + 4 + 4;

/// One record read back from the log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    /// Byte offset of the frame in the log.
    pub offset: u64,
    /// [`RECORD_ENTRY`] or [`RECORD_CHECKPOINT`].
    pub kind: u8,
    /// The payload.
    pub payload: Vec<u8>,
}

impl Frame {
    /// Offset of the byte after this frame.
    pub fn end(&self) -> u64 {
        self.offset + FRAME_OVERHEAD + self.payload.len() as u64
    }
}

/// Appends one framed record: `u8 type || u32 length || payload || u32 CRC-32`, the CRC
/// (IEEE) taken over type, length and payload.
pub fn encode_frame(kind: u8, payload: &[u8], out: &mut Vec<u8>) {
    let start = out.len();
    out.push(kind);
    out.extend_from_slice(&(payload.len() as u32).to_be_bytes());
    out.extend_from_slice(payload);
    let crc = crc32fast::hash(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

/// A framing fault: where and what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FrameFault {
    /// Offset of the bad frame.
    pub offset: u64,
    /// What is wrong with it.
    pub reason: String,
}

impl FrameFault {
    /// The damage it is, in the log at `path`.
    pub fn damaged(self, path: &Path) -> Error {
        Error::Damaged {
            path: path.to_owned(),
            offset: Some(self.offset),
            reason: self.reason,
        }
    }
}

/// Reads frames in order from `offset` up to `end` (the committed end).
pub struct FrameReader<R: Read> {
    r: BufReader<R>,
    offset: u64,
    end: u64,
}

impl<R: Read> FrameReader<R> {
    /// `r` must be positioned at `offset`.
    pub fn new(r: R, offset: u64, end: u64) -> Self {
        Self {
            r: BufReader::with_capacity(1 << 20, r),
            offset,
            end,
        }
    }

    /// The offset of the next frame.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The next frame, `None` at `end`, or the fault that stops the reading.
    pub fn next_frame(&mut self) -> Option<std::result::Result<Frame, FrameFault>> {
        if self.offset >= self.end {
            return None;
        }
        let fault = |reason: String| FrameFault {
            offset: self.offset,
            reason,
        };
        let left = self.end - self.offset;
        if left < FRAME_OVERHEAD {
            return Some(Err(fault(format!(
                "{left} stray bytes before the committed end"
            ))));
        }
        let mut head = [0u8; 5];
        if let Err(e) = self.r.read_exact(&mut head) {
            return Some(Err(fault(format!("cannot read frame header: {e}"))));
        }
        let kind = head[0];
        let len = u32::from_be_bytes([head[1], head[2], head[3], head[4]]);
        if kind != RECORD_ENTRY && kind != RECORD_CHECKPOINT {
            return Some(Err(fault(format!("unknown record type {kind}"))));
        }
        if len > MAX_PAYLOAD || FRAME_OVERHEAD + len as u64 > left {
            return Some(Err(fault(format!(
                "record length {len} runs past the committed end"
            ))));
        }
        let mut payload = vec![0u8; len as usize];
        let mut crc = [0u8; 4];
        if let Err(e) = self
            .r
            .read_exact(&mut payload)
            .and_then(|_| self.r.read_exact(&mut crc))
        {
            return Some(Err(fault(format!("cannot read record: {e}"))));
        }
        let mut hasher = crc32fast::Hasher::new();
        hasher.update(&head);
        hasher.update(&payload);
        if hasher.finalize() != u32::from_be_bytes(crc) {
            return Some(Err(fault("record checksum mismatch".into())));
        }
        let frame = Frame {
            offset: self.offset,
            kind,
            payload,
        };
        self.offset = frame.end();
        Some(Ok(frame))
    }
}

/// Reads the one frame at `offset` (for lookups by index).
pub fn read_frame_at(file: &File, path: &Path, offset: u64, end: u64) -> Result<Frame> {
    let damaged = |reason: String| Error::Damaged {
        path: path.to_owned(),
        offset: Some(offset),
        reason,
    };
    let mut head = [0u8; 5];
    file.read_exact_at(&mut head, offset)
        .map_err(|e| damaged(format!("cannot read record: {e}")))?;
    let len = u32::from_be_bytes([head[1], head[2], head[3], head[4]]) as u64;
    if len > MAX_PAYLOAD as u64 || offset + FRAME_OVERHEAD + len > end {
        return Err(damaged("record runs past the committed end".into()));
    }
    let mut rest = vec![0u8; len as usize + 4];
    file.read_exact_at(&mut rest, offset + 5)
        .map_err(|e| damaged(format!("cannot read record: {e}")))?;
    let crc = u32::from_be_bytes(rest[len as usize..].try_into().unwrap_or_default());
    rest.truncate(len as usize);
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(&head);
    hasher.update(&rest);
    if hasher.finalize() != crc {
        return Err(damaged("record checksum mismatch".into()));
    }
    Ok(Frame {
        offset,
        kind: head[0],
        payload: rest,
    })
}

/// The open log file of a ledger.
pub struct LogFile {
    /// The file.
    pub file: File,
    /// Its path.
    pub path: PathBuf,
}

impl LogFile {
    /// Creates a new log with its header, durably.
    pub fn create(path: &Path) -> Result<LogFile> {
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(path)
            .map_err(Error::io("create", path))?;
        file.write_all(&LOG_MAGIC)
            .and_then(|_| file.sync_all())
            .map_err(Error::io("write", path))?;
        Ok(LogFile {
            file,
            path: path.to_owned(),
        })
    }

    /// Opens an existing log (a regular file, never followed as a link), checking its
    /// header.
    ///
    /// # Errors
    /// [`Error::Io`] when it cannot be opened (for writing: a read-only file says so),
    /// [`Error::Damaged`] when it is not a regular file or has a foreign header.
    pub fn open(path: &Path, write: bool) -> Result<LogFile> {
        let mut file = fsys::open_regular(path, write)?;
        check_header(&mut file, path)?;
        Ok(LogFile {
            file,
            path: path.to_owned(),
        })
    }

    /// Bytes the file really occupies on disk (a sparse file claims a length it does
    /// not hold): what presizing a structure by the log may rely on.
    ///
    /// # Errors
    /// [`Error::Io`].
    pub fn allocated(&self) -> Result<u64> {
        use std::os::unix::fs::MetadataExt;
        let m = self
            .file
            .metadata()
            .map_err(Error::io("inspect", &self.path))?;
        Ok(m.len().min(m.blocks().saturating_mul(512)))
    }

    /// Current length in bytes.
    pub fn len(&self) -> Result<u64> {
        Ok(self
            .file
            .metadata()
            .map_err(Error::io("inspect", &self.path))?
            .len())
    }

    /// Writes `bytes` at `offset` and fsyncs the data (steps [`Step::LogWrite`],
    /// [`Step::LogSync`]).
    ///
    /// # Errors
    /// [`Error::Io`].
    pub fn write_at_and_sync(&self, offset: u64, bytes: &[u8], io: &mut Io) -> Result<()> {
        io.step(Step::LogWrite, || self.file.write_all_at(bytes, offset))
            .map_err(Error::io("write", &self.path))?;
        io.step(Step::LogSync, || self.file.sync_data())
            .map_err(Error::io("sync", &self.path))
    }

    /// Cuts the file to `len` bytes, durably.
    pub fn truncate(&self, len: u64) -> Result<()> {
        self.file
            .set_len(len)
            .and_then(|_| self.file.sync_all())
            .map_err(Error::io("truncate", &self.path))
    }

    /// A reader of the frames in `[offset, end)`.
    pub fn frames(&self, offset: u64, end: u64) -> Result<FrameReader<AtReader>> {
        Ok(FrameReader::new(self.reader_at(offset)?, offset, end))
    }

    /// A reader of the log from `offset` with a position of its own: a cloned handle
    /// shares the file offset with every other, so readers interleaved on one log would move
    /// each other's position; this one reads with `pread` instead.
    pub fn reader_at(&self, offset: u64) -> Result<AtReader> {
        let file = self
            .file
            .try_clone()
            .map_err(Error::io("read", &self.path))?;
        Ok(AtReader { file, pos: offset })
    }
}

/// Reads a file from a position of its own (positioned reads), never moving the offset that
/// its other handles share.
pub struct AtReader {
    file: File,
    pos: u64,
}

impl Read for AtReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.file.read_at(buf, self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for AtReader {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        let next = match to {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
            SeekFrom::End(_) => None,
        };
        self.pos = next.ok_or_else(|| std::io::Error::other("seek out of range"))?;
        Ok(self.pos)
    }
}

/// Checks the 8-byte header, telling a newer format from a foreign file.
pub fn check_header(file: &mut File, path: &Path) -> Result<()> {
    let mut magic = [0u8; 8];
    file.read_exact_at(&mut magic, 0)
        .map_err(|e| Error::Damaged {
            path: path.to_owned(),
            offset: Some(0),
            reason: format!("cannot read the log header: {e}"),
        })?;
    if magic[..7] != LOG_MAGIC[..7] {
        return Err(Error::Damaged {
            path: path.to_owned(),
            offset: Some(0),
            reason: "the log header is not PROVLOG".into(),
        });
    }
    if magic[7] > LOG_MAGIC[7] {
        return Err(Error::NewerFormat {
            found: magic[7] as u32,
            supported: LOG_MAGIC[7] as u32,
        });
    }
    if magic[7] != LOG_MAGIC[7] {
        return Err(Error::Damaged {
            path: path.to_owned(),
            offset: Some(7),
            reason: format!("unknown log version {}", magic[7]),
        });
    }
    Ok(())
}

/// Walks the frames of `[from, end)` by their headers alone, skipping payloads: how a reader
/// without the index finds a record. The record it stops at is then read in full and
/// checked ([`read_frame_at`]); a damaged length makes the walk land on garbage, which that
/// check refuses, so a wrong answer cannot come of it.
pub struct HeaderWalk {
    r: BufReader<AtReader>,
    offset: u64,
    end: u64,
    path: PathBuf,
}

impl HeaderWalk {
    /// Starts at `from`, which must be a frame boundary.
    ///
    /// # Errors
    /// [`Error::Io`] when the log cannot be read.
    pub fn new(log: &LogFile, from: u64, end: u64) -> Result<HeaderWalk> {
        Ok(HeaderWalk {
            r: BufReader::with_capacity(1 << 20, log.reader_at(from)?),
            offset: from,
            end,
            path: log.path.clone(),
        })
    }

    /// The next frame's (offset, type, payload length), or `None` at the end.
    ///
    /// # Errors
    /// [`Error::Damaged`] when a header cannot be read or runs past the end.
    pub fn next_header(&mut self) -> Result<Option<(u64, u8, u32)>> {
        if self.offset >= self.end {
            return Ok(None);
        }
        let at = self.offset;
        let damaged = |reason: String| Error::Damaged {
            path: self.path.clone(),
            offset: Some(at),
            reason,
        };
        let mut head = [0u8; 5];
        self.r
            .read_exact(&mut head)
            .map_err(|e| damaged(format!("cannot read record: {e}")))?;
        if head[0] != RECORD_ENTRY && head[0] != RECORD_CHECKPOINT {
            return Err(damaged(format!("unknown record type {}", head[0])));
        }
        let len = u32::from_be_bytes([head[1], head[2], head[3], head[4]]);
        let next = at + FRAME_OVERHEAD + len as u64;
        if len > MAX_PAYLOAD || next > self.end {
            return Err(damaged("record runs past the committed end".into()));
        }
        self.r
            .seek_relative(len as i64 + 4)
            .map_err(|e| damaged(format!("cannot read record: {e}")))?;
        self.offset = next;
        Ok(Some((at, head[0], len)))
    }
}
