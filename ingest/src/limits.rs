//! Limits that keep a walk of a hostile archive bounded in time and memory.
//!
//! Nothing is ever written to disk, so the costs to bound are time (every byte found is
//! decompressed and hashed) and memory (a zip nested in a stream and an email are held in
//! memory while their members are read, and each visited member's metadata is held until its
//! container is fully read). Each limit reached is reported on the member concerned, and the
//! rest of the walk goes on where it can.

use crate::error::Error;

/// The limits of one walk. `Limits::default()` gives the documented defaults.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// How deep containers are opened: members of the top file are at depth 1, their members
    /// at depth 2, and so on. A container at depth `max_depth` is hashed but its members are
    /// not looked for (the note says so). Default 8: real leaks nest a few levels (a zip of
    /// mailboxes of messages with zipped attachments is 4); 42.zip needs 6.
    pub max_depth: u32,
    /// Total bytes hashed over the whole walk, at every depth (a nested member counts in its
    /// own right and again inside each container that holds it). When reached, every member
    /// being read is cut there and the walk ends. Default 1 TiB: about an hour of inflating
    /// and hashing on one core, far above a real leak's expansion and far below a bomb's.
    pub max_total_bytes: u64,
    /// The expansion ratio allowed, as a whole number: a compressed member (a zip entry, a
    /// gzip stream) may not expand to more than `max_ratio` times the bytes it was read from,
    /// and the whole walk may not hash more than `max_ratio` times the top file's size; below
    /// `ratio_floor` bytes neither applies. Default 200: text and office documents compress
    /// 2-20:1 and logs rarely beyond 100:1, while deflate's best is about 1032:1, which only
    /// long runs of one byte (the stuff of zip bombs) reach.
    pub max_ratio: u64,
    /// Sizes below which `max_ratio` is not checked, so that small highly compressible files
    /// are read whole. Default 8 MiB.
    pub ratio_floor: u64,
    /// How many members one walk visits, at every depth; members past it are listed as not
    /// recorded. A zip or 7z that declares more entries is not opened (its directory would
    /// be read whole). Default 1,000,000.
    pub max_members: u64,
    /// How many bytes may be held in memory at once, over all depths: a zip inside a stream
    /// needs random access and is held whole while its members are read, and so is an email
    /// while its MIME structure is parsed. A bigger one is hashed (so recorded) but its
    /// members are not looked for, and the note says so. Zip central directories, 7z headers
    /// and decoder dictionaries, and the details of a streamed container's members (held
    /// until it is finished, about 400 bytes each) count against it too. Default 128 MiB.
    /// Parsing an email may take up to about twice its size again (decoded attachments).
    pub max_buffered: u64,
    /// The largest member whose claims are read when they need it held in memory (an Office,
    /// OLE or PDF document inside a container; within `max_buffered`). A larger one is still
    /// hashed and recorded, with no claims and a note saying why. Default 64 MiB: documents
    /// are rarely larger, and a top file's claims are read from the file, not held.
    pub max_claimed: u64,
    /// The smallest top file walked on more than one thread: from this size up, a zip or 7z
    /// read from a file (or a document whose claims are read from where its format keeps
    /// them) is hashed on a second thread while its members are read, and a zip's small
    /// members are decoded ahead on a third. A smaller file is walked on one thread, which
    /// costs less than starting two. Default 1 MiB. 0 starts them for every such file.
    pub parallel_from: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 8,
            max_total_bytes: 1 << 40,
            max_ratio: 200,
            ratio_floor: 8 << 20,
            max_members: 1_000_000,
            max_buffered: 128 << 20,
            max_claimed: 64 << 20,
            parallel_from: 1 << 20,
        }
    }
}

impl Limits {
    /// Refuses limits that cannot work.
    pub fn check(&self) -> Result<(), Error> {
        let bad = |what: &str| Err(Error::Limits(format!("{what} must be at least 1")));
        if self.max_depth == 0 {
            return bad("max_depth");
        }
        if self.max_total_bytes == 0 {
            return bad("max_total_bytes");
        }
        if self.max_ratio == 0 {
            return bad("max_ratio");
        }
        Ok(())
    }

    /// The cap on total bytes hashed for a top file of `top_size` bytes (if known).
    pub(crate) fn total_cap(&self, top_size: Option<u64>) -> u64 {
        match top_size {
            Some(size) => self
                .max_total_bytes
                .min(self.ratio_cap(size).max(self.ratio_floor)),
            None => self.max_total_bytes,
        }
    }

    /// How many bytes something read from `packed` bytes may expand to.
    pub(crate) fn ratio_cap(&self, packed: u64) -> u64 {
        packed.saturating_mul(self.max_ratio).max(self.ratio_floor)
    }
}

/// Formats a byte count for notes: `1234 bytes`, `8 MiB`, `1.5 GiB`.
pub(crate) fn bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} bytes");
    }
    let mut value = n as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if value.fract() == 0.0 {
        format!("{value} {}", UNITS[unit])
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps() {
        let l = Limits::default();
        assert_eq!(l.ratio_cap(1), 8 << 20);
        assert_eq!(l.ratio_cap(1 << 20), 200 << 20);
        assert_eq!(l.total_cap(Some(10_000)), 8 << 20);
        assert_eq!(l.total_cap(Some(u64::MAX)), 1 << 40);
        assert_eq!(l.total_cap(None), 1 << 40);
        assert!(Limits { max_depth: 0, ..l }.check().is_err());
        assert_eq!(bytes(5), "5 bytes");
        assert_eq!(bytes(8 << 20), "8 MiB");
        assert_eq!(bytes(3 << 29), "1.5 GiB");
    }
}
