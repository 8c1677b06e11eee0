//! Tar archives (POSIX.1-2001 `pax` and ustar, GNU long names and sparse files, old V7),
//! streamed entry by entry with the `tar` crate: nothing is ever written out, and entry paths
//! are kept as the raw bytes the archive stores (`../x`, `/etc/x` included), never resolved.
//!
//! Regular files become members; symbolic and hard links are members with their target
//! recorded (never followed); directories are counted; device and FIFO entries are listed as
//! not recorded. Tar declares no member count, so a cut archive reports what it reached.

use crate::found::{Completeness, Link, Mtime};
use crate::walk::{Entry, Leaf, Outcome, Walker};
use std::io::{self, Read};
use tar::{Archive, EntryType};

pub(crate) fn walk(
    w: &mut Walker,
    input: &mut dyn Read,
    parent: Option<u64>,
    depth: u32,
) -> (Completeness, Option<String>) {
    let mut c = Completeness::default();
    let mut archive = Archive::new(input);
    let entries = match archive.entries() {
        Ok(entries) => entries,
        Err(e) => {
            c.stopped = Some(format!("unreadable tar: {e}"));
            let note = c.stopped.clone();
            return (c, note);
        }
    };
    for entry in entries {
        if let Some(why) = w.shared.halted() {
            c.stopped = Some(why);
            break;
        }
        let mut entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                c.stopped = Some(format!("tar damaged or cut here: {e}"));
                break;
            }
        };
        let path = entry.path_bytes().into_owned();
        let kind = entry.header().entry_type();
        let mut found = Entry::new(parent, depth, path.clone());
        // A pax `mtime` record (POSIX.1-2001) overrides the header's field, which cannot hold
        // a date before 1970 or past 2242 (GNU tar then writes 0 there).
        found.mtime = pax_mtime(&mut entry)
            .or_else(|| {
                let t = entry.header().mtime().ok()?;
                i64::try_from(t).ok()
            })
            .map(Mtime::Unix);
        let outcome = match kind {
            EntryType::Regular | EntryType::Continuous | EntryType::GNUSparse => {
                let size = entry.size();
                w.member(
                    found,
                    &mut Exact {
                        inner: &mut entry,
                        left: size,
                    },
                )
            }
            EntryType::Symlink | EntryType::Link => {
                let target = entry
                    .link_name_bytes()
                    .map(|t| t.into_owned())
                    .unwrap_or_default();
                found.leaf = Leaf::Link(Link {
                    hard: kind == EntryType::Link,
                    target,
                });
                w.member(found, &mut io::empty())
            }
            EntryType::Directory => {
                c.found += 1;
                c.directories += 1;
                continue;
            }
            other => Outcome::Skipped(format!(
                "tar entry of type {:?} ({}): not a document",
                other,
                other.as_byte() as char
            )),
        };
        c.record(&path, outcome);
    }
    let note = c.stopped.clone();
    (c, note)
}

/// A tar member's bytes, which must be as many as its header says: the `tar` crate ends a cut
/// member's reader as if it were whole, so that a missing end reads as an error here, and the
/// member is never recorded with a hash of only its first bytes.
struct Exact<'a, R> {
    inner: &'a mut R,
    left: u64,
}

impl<R: Read> Read for Exact<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 && self.left > 0 && !buf.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "the archive ends {} bytes before this member does (cut short)",
                    self.left
                ),
            ));
        }
        self.left = self.left.saturating_sub(n as u64);
        Ok(n)
    }
}

/// The whole seconds of a pax extended header's `mtime` record (`-315619200.5` is
/// -315619201: the second it falls in), if it has a well-formed one.
fn pax_mtime<R: Read>(entry: &mut tar::Entry<'_, R>) -> Option<i64> {
    let records = entry.pax_extensions().ok()??;
    let value = records
        .filter_map(Result::ok)
        .find(|r| r.key_bytes() == b"mtime")?
        .value()
        .ok()?
        .to_owned();
    let (whole, fraction) = value.split_once('.').unwrap_or((&value, ""));
    if !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let seconds: i64 = whole.parse().ok()?;
    let below = value.starts_with('-') && fraction.bytes().any(|b| b != b'0');
    seconds.checked_sub(i64::from(below))
}
