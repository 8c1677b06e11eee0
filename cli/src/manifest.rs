//! `prov add --manifest FILE`: documents recorded by hash alone, one
//! `<sha256 hex> <size> <name>` per line.
//!
//! Two passes over the file, each streaming one line at a time: the first checks every line
//! (syntax and the ledger's field rules) before anything is recorded, the second records in
//! batches. Memory is bounded by the batch, whatever the manifest's size. A manifest that
//! cannot be read twice (stdin, a pipe) is copied to a temporary file during the first pass.
//! A line may end in CRLF; the `\r` is not part of the name.

use crate::failure::{Failure, Result};
use prov_ledger::{FileDigest, FileId};
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, Write};
use std::path::Path;

/// The longest line accepted: a 64-digit hash, a 20-digit size, a 4,096-byte name, the
/// separators and CRLF.
const MAX_LINE: usize = 64 + 1 + 20 + 1 + prov_ledger::MAX_NAME + 2;

/// One manifest line.
pub struct Line {
    /// Its line number, from 1.
    pub number: u64,
    /// The name to record (`None` when the line gives none).
    pub name: Option<Vec<u8>>,
    /// Its hash and size.
    pub digest: FileDigest,
}

/// A manifest, open for its two passes.
pub struct Manifest {
    file: File,
    /// How errors name it: the path, or `stdin`.
    shown: String,
    /// The file as the first pass saw it, to notice a change before the second.
    id: FileId,
}

impl Manifest {
    /// Opens the manifest; stdin and pipes are spooled to a temporary file as they are read.
    pub fn open(path: &Path) -> Result<Manifest> {
        let stdin = path.as_os_str() == "-";
        let shown = if stdin {
            "stdin".to_owned()
        } else {
            path.display().to_string()
        };
        let cannot = |e: std::io::Error| {
            Failure::input(format!("cannot read manifest {shown}: {e}: check the path"))
        };
        let mut file = if stdin {
            spool(std::io::stdin().lock()).map_err(cannot)?
        } else {
            let file = crate::proof::open_input(path, "manifest")?;
            let meta = file.metadata().map_err(cannot)?;
            if meta.is_file() {
                file
            } else {
                spool(file).map_err(cannot)?
            }
        };
        file.rewind().map_err(cannot)?;
        let id = FileId::of(&file.metadata().map_err(cannot)?);
        Ok(Manifest { file, shown, id })
    }

    /// The first pass: every line parsed and given to `check`. Returns how many lines
    /// name a document.
    pub fn check_all(&mut self, check: impl Fn(&Line) -> Result<(), String>) -> Result<u64> {
        let shown = self.shown.clone();
        let mut count = 0;
        for line in self.lines()? {
            let line = line?;
            check(&line)
                .map_err(|why| Failure::input(format!("{shown}:{}: {why}", line.number)))?;
            count += 1;
        }
        Ok(count)
    }

    /// The lines, read again from the start. Refuses a manifest changed since `open`.
    pub fn lines(&mut self) -> Result<Lines<'_>> {
        let now = self.file.metadata().map(|m| FileId::of(&m)).ok();
        if now != Some(self.id) {
            return Err(Failure::input(format!(
                "manifest {} changed while it was being read: write it completely, then add it again",
                self.shown
            )));
        }
        self.file
            .rewind()
            .map_err(|e| Failure::input(format!("cannot read manifest {}: {e}", self.shown)))?;
        Ok(Lines {
            r: BufReader::with_capacity(1 << 16, &self.file),
            shown: &self.shown,
            number: 0,
            buf: Vec::with_capacity(MAX_LINE + 1),
        })
    }
}

/// Copies a stream that cannot be read twice to an anonymous temporary file.
fn spool(mut r: impl Read) -> std::io::Result<File> {
    let mut tmp = tempfile::tempfile()?;
    std::io::copy(&mut r, &mut tmp)?;
    tmp.flush()?;
    Ok(tmp)
}

/// The lines of a manifest, one at a time.
pub struct Lines<'a> {
    r: BufReader<&'a File>,
    shown: &'a str,
    number: u64,
    buf: Vec<u8>,
}

impl Iterator for Lines<'_> {
    type Item = Result<Line>;

    fn next(&mut self) -> Option<Result<Line>> {
        loop {
            self.buf.clear();
            self.number += 1;
            let at = |number: u64, why: String| {
                Failure::input(format!("{}:{number}: {why}", self.shown))
            };
            let read = (&mut self.r)
                .take(MAX_LINE as u64 + 1)
                .read_until(b'\n', &mut self.buf);
            match read {
                Ok(0) => return None,
                Ok(_) => {}
                Err(e) => return Some(Err(at(self.number, format!("cannot read: {e}")))),
            }
            let line = match self.buf.strip_suffix(b"\n") {
                Some(l) => l,
                None if self.buf.len() > MAX_LINE => {
                    return Some(Err(at(
                        self.number,
                        format!(
                            "the line is longer than {MAX_LINE} bytes: names are at most {} bytes",
                            prov_ledger::MAX_NAME
                        ),
                    )));
                }
                None => &self.buf[..],
            };
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.is_empty() {
                continue;
            }
            return Some(
                parse(line)
                    .map_err(|why| at(self.number, why))
                    .map(|(name, digest)| Line {
                        number: self.number,
                        name,
                        digest,
                    }),
            );
        }
    }
}

fn parse(line: &[u8]) -> Result<(Option<Vec<u8>>, FileDigest), String> {
    let bad = || "expected `<sha256 hex> <size> <name>`".to_owned();
    let mut parts = line.splitn(3, |b| *b == b' ');
    let sha256 = parts
        .next()
        .and_then(|h| std::str::from_utf8(h).ok())
        .and_then(crate::add::parse_sha256)
        .ok_or_else(bad)?;
    let size = parts
        .next()
        .and_then(|s| std::str::from_utf8(s).ok())
        .and_then(|s| s.parse().ok())
        .ok_or_else(bad)?;
    let name = parts.next().filter(|n| !n.is_empty()).map(<[u8]>::to_vec);
    Ok((name, FileDigest { sha256, size }))
}

#[cfg(test)]
mod tests {
    use super::*;

    type Parsed = Result<(u64, Option<Vec<u8>>), String>;

    fn lines_of(text: &[u8]) -> Vec<Parsed> {
        let mut tmp = tempfile::NamedTempFile::new().unwrap();
        tmp.write_all(text).unwrap();
        let mut m = Manifest::open(tmp.path()).unwrap();
        m.lines()
            .unwrap()
            .map(|l| l.map(|l| (l.number, l.name)).map_err(|f| f.msg))
            .collect()
    }

    const H: &str = "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03";

    #[test]
    fn crlf_lines_keep_no_carriage_return_and_blank_lines_are_skipped() {
        let text = format!("{H} 6 a.txt\r\n\r\n{H} 6 b c\n{H} 6\n");
        let got = lines_of(text.as_bytes());
        assert_eq!(got.len(), 3);
        assert_eq!(got[0], Ok((1, Some(b"a.txt".to_vec()))));
        assert_eq!(got[1], Ok((3, Some(b"b c".to_vec()))));
        assert_eq!(got[2], Ok((4, None)));
    }

    #[test]
    fn errors_name_the_line() {
        let text = format!("{H} 6 a\nnot a line\n");
        let got = lines_of(text.as_bytes());
        let err = got[1].clone().unwrap_err();
        assert!(err.contains(":2: expected"), "{err}");
    }

    #[test]
    fn an_endless_line_is_refused_without_reading_it_whole() {
        let text = vec![b'a'; MAX_LINE * 3];
        let got = lines_of(&text);
        assert!(
            got[0]
                .clone()
                .unwrap_err()
                .contains(":1: the line is longer")
        );
    }
}
